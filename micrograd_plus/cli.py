"""The ``micrograd-plus`` command (also ``python -m micrograd_plus``).

Subcommands::

    micrograd-plus tour                      render the lunch graph, train a small model
    micrograd-plus examples                  list the worked examples
    micrograd-plus example NAME [-o DIR]     print an example's numbers, write its images
    micrograd-plus render TARGET -o FILE     draw TARGET's graph (svg/png/pdf/dot)
    micrograd-plus step TARGET               step through backprop in the terminal
    micrograd-plus explore TARGET -o FILE    write the interactive HTML explorer page
    micrograd-plus demo [NAME]               run (or list) the training demos
    micrograd-plus bench [NAME]              run a benchmark script

TARGET is a worked-example name (``lunch``) or a Python file that defines ``root`` (a Value
or Tensor after ``backward()``) or a function ``build()`` returning one.
"""

from __future__ import annotations

import argparse
import importlib
import runpy
import sys
from pathlib import Path
from typing import Any, Sequence


def resolve_root(target: str) -> Any:
    """The graph root named by TARGET: an example name or a Python file defining ``root``."""
    path = Path(target)
    if path.suffix == ".py":
        if not path.is_file():
            raise SystemExit(f"error: no such file: {target}")
        namespace = runpy.run_path(str(path), run_name="__micrograd_plus_target__")
        if "root" in namespace:
            return namespace["root"]
        if callable(namespace.get("build")):
            return _root_of(namespace["build"]())
        raise SystemExit(f"error: {target} defines neither `root` nor `build()`")
    from .examples import EXAMPLES

    if target not in EXAMPLES:
        raise SystemExit(
            f"error: unknown example {target!r}; choose one of {', '.join(EXAMPLES)} "
            "or give a .py file that defines `root`"
        )
    module = importlib.import_module(f"micrograd_plus.examples.{target}")
    return _root_of(module.build())


def _root_of(built: Any) -> Any:
    """``build()`` may return the root itself, or a mapping/object with a ``root``."""
    if isinstance(built, dict) and "root" in built:
        return built["root"]
    return getattr(built, "root", built)


def _cmd_tour(args: argparse.Namespace) -> int:
    from .tour import tour

    return tour(out_dir=args.out)


def _cmd_examples(args: argparse.Namespace) -> int:
    from .examples import EXAMPLES

    for name, summary in EXAMPLES.items():
        print(f"{name:16s} {summary}")
    return 0


def _cmd_example(args: argparse.Namespace) -> int:
    from .examples import EXAMPLES

    if args.name not in EXAMPLES:
        raise SystemExit(f"error: unknown example {args.name!r}; choose one of {', '.join(EXAMPLES)}")
    module = importlib.import_module(f"micrograd_plus.examples.{args.name}")
    return module.main(out_dir=args.out) or 0


def _cmd_render(args: argparse.Namespace) -> int:
    from .viz import render_graph

    path = render_graph(resolve_root(args.target), args.output, rankdir=args.rankdir)
    print(f"wrote {path}")
    return 0


def _cmd_step(args: argparse.Namespace) -> int:
    from .debug import run_terminal

    return run_terminal(resolve_root(args.target)) or 0


def _cmd_explore(args: argparse.Namespace) -> int:
    from .explorer import explore

    path = explore(resolve_root(args.target), args.output)
    print(f"wrote {path}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demos import DEMOS, run_demo

    if not args.name:
        for name, summary in DEMOS.items():
            print(f"{name:16s} {summary}")
        return 0
    return run_demo(args.name, quick=args.quick, out_dir=args.out) or 0


def _cmd_bench(args: argparse.Namespace) -> int:
    bench_dir = Path(__file__).resolve().parent.parent / "benchmarks"
    scripts = sorted(p.stem for p in bench_dir.glob("bench_*.py"))
    if not scripts:
        raise SystemExit("error: benchmarks/ is not next to the package (run from a checkout)")
    if not args.name:
        print("\n".join(scripts))
        return 0
    name = args.name if args.name.startswith("bench_") else f"bench_{args.name}"
    if name not in scripts:
        raise SystemExit(f"error: unknown benchmark {args.name!r}; choose one of {scripts}")
    runpy.run_path(str(bench_dir / f"{name}.py"), run_name="__main__")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="micrograd-plus", description="Make backpropagation visible."
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("tour", help="render the lunch-price graph and train a small model")
    p.add_argument("-o", "--out", default="out", help="directory for images (default: out)")
    p.set_defaults(func=_cmd_tour)

    p = sub.add_parser("examples", help="list the worked examples")
    p.set_defaults(func=_cmd_examples)

    p = sub.add_parser("example", help="print a worked example's numbers and write its images")
    p.add_argument("name")
    p.add_argument("-o", "--out", default="out", help="directory for images (default: out)")
    p.set_defaults(func=_cmd_example)

    p = sub.add_parser("render", help="draw a graph to svg/png/pdf/dot")
    p.add_argument("target", help="example name or .py file defining `root`")
    p.add_argument("-o", "--output", required=True, help="output file; format from extension")
    p.add_argument("--rankdir", default="LR", choices=["LR", "TB", "RL", "BT"])
    p.set_defaults(func=_cmd_render)

    p = sub.add_parser("step", help="step through backprop in the terminal")
    p.add_argument("target", help="example name or .py file defining `root`")
    p.set_defaults(func=_cmd_step)

    p = sub.add_parser("explore", help="write an interactive HTML page of a graph")
    p.add_argument("target", help="example name or .py file defining `root`")
    p.add_argument("-o", "--output", required=True, help="the .html file to write")
    p.set_defaults(func=_cmd_explore)

    p = sub.add_parser("demo", help="run a training demo (no name: list them)")
    p.add_argument("name", nargs="?")
    p.add_argument("--quick", action="store_true", help="a few iterations only (smoke test)")
    p.add_argument("-o", "--out", default="out", help="directory for plots (default: out)")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("bench", help="run a benchmark (no name: list them)")
    p.add_argument("name", nargs="?")
    p.set_defaults(func=_cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
