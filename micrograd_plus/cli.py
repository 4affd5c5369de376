"""The ``micrograd-plus`` command (also ``python -m micrograd_plus``).

Subcommands::

    micrograd-plus tour                      render the lunch graph, train a small model
    micrograd-plus examples                  list the worked examples
    micrograd-plus example NAME [-o DIR]     print an example's numbers, write its images
    micrograd-plus example --all [-o DIR]    every example, numbers and images
    micrograd-plus render TARGET [-o FILE]   draw TARGET's graph (svg/png/pdf/dot)
    micrograd-plus step TARGET               step through backprop in the terminal
    micrograd-plus explore TARGET -o FILE    write the interactive HTML explorer page
    micrograd-plus animate TARGET -o OUT     backprop step by step: OUT.gif, OUT.pdf or a folder
    micrograd-plus demo [NAME]               run (or list) the training demos
    micrograd-plus bench [NAME [ARGS...]]    run (or list) the benchmarks; ARGS go to the script

TARGET is a worked-example name (``lunch``) or a Python file that defines ``root`` (a Value
or Tensor) or a function ``build()`` returning one. ``render`` draws an example after
``backward()``, by default as the example's own image (``docs/images``); ``step`` and
``explore`` replay the backward pass themselves. A ``.py`` TARGET is run (its code is
executed, as ``python FILE.py`` would), so only give files you trust.

Errors are one line on stderr and exit status 2: a bad name or option, a user file that fails
to import or run (``error: FILE:LINE: message``), an output that cannot be written. Output
piped into a program that stops reading (``| head``) ends the command quietly (exit status
1, no message, as Python recommends for a closed pipe).
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import os
import runpy
import sys
import traceback
from pathlib import Path
from typing import Any, Sequence

from . import __version__
from .core.autograd import Node
from .viz import RANKDIRS

BENCH_DIR = Path(__file__).resolve().parent.parent / "benchmarks"


class UsageError(Exception):
    """A bad name or file on the command line: reported like argparse does (exit status 2)."""


def resolve_root(target: str, backward: bool = False) -> Any:
    """The graph root named by TARGET: an example name or a Python file.

    A file defines ``root`` (used as it is) or ``build()``; an example's ``build()`` is the
    forward pass, and ``backward=True`` also runs ``backward()`` (as does a file's
    ``build(backward=...)`` when it takes that argument). The stepper and the explorer replay
    backward themselves, so they ask for the forward pass.
    """
    path = Path(target)
    if path.suffix != ".py":
        module = _example_module(target, ", or give a .py file that defines `root`")
        return _root_of(module.build(backward=backward))
    if not path.is_file():
        raise UsageError(f"no such file: {target}")
    try:
        namespace = runpy.run_path(str(path), run_name="__micrograd_plus_target__")
        if "root" in namespace:
            root, source = namespace["root"], "`root`"
        elif callable(namespace.get("build")):
            build = namespace["build"]
            takes_backward = "backward" in inspect.signature(build).parameters
            root = _root_of(build(backward=backward) if takes_backward else build())
            source = "`build()`"
        else:
            raise UsageError(f"{target} defines neither `root` nor `build()`")
    except (UsageError, KeyboardInterrupt):
        raise
    except BaseException as error:  # SyntaxError, any exception, sys.exit() in the file
        raise UsageError(user_file_error(target, error)) from None
    nodes = root if isinstance(root, (list, tuple)) else [root]  # render draws a list too
    for node in nodes:
        if not isinstance(node, Node):
            raise UsageError(f"{target}: {source} gives a {type(node).__name__}, not a Value "
                             "or Tensor (a graph node)")
    return root


def user_file_error(target: str, error: BaseException) -> str:
    """``FILE:LINE: Type: message`` for an exception raised while running the user's file.

    The line is the deepest one of that file in the traceback (the SyntaxError's own line);
    a failure outside it (none of its lines in the traceback) names line 1.
    """
    where = os.path.realpath(target)
    line = 1
    if isinstance(error, SyntaxError) and error.filename \
            and os.path.realpath(error.filename) == where:
        line, text = error.lineno or 1, error.msg
    else:
        for frame in traceback.extract_tb(error.__traceback__):
            if os.path.realpath(frame.filename) == where:
                line = frame.lineno or line
        text = str(error)
    name = type(error).__name__
    return f"{target}:{line}: {name}: {text}" if text else f"{target}:{line}: {name}"


def default_output(target: str) -> str:
    """``render``'s file when ``-o`` is not given: ``lunch`` → ``lunch.svg``,
    ``models/mine.py`` → ``mine.svg``, in the current directory."""
    return Path(target).stem + ".svg"


def _example_module(name: str, alternative: str = "") -> Any:
    """The module ``micrograd_plus.examples.NAME``, or a UsageError listing the names."""
    from .examples import EXAMPLES

    if name not in EXAMPLES:
        raise UsageError(f"unknown example {name!r}; choose one of {', '.join(EXAMPLES)}"
                         + alternative)
    return importlib.import_module(f"micrograd_plus.examples.{name}")


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
    if args.all:
        if args.name:
            raise UsageError("give an example NAME or --all, not both")
        from .examples import run_all

        return run_all(out_dir=args.out)
    if not args.name:
        raise UsageError("give an example NAME (see `micrograd-plus examples`) or --all")
    return _example_module(args.name).main(out_dir=args.out) or 0


# render's drawing options: None = not given on the command line
RENDER_OPTIONS = ("rankdir", "edge_labels", "color_by_grad", "precision", "title", "show_grad",
                  "record")


def _cmd_render(args: argparse.Namespace) -> int:
    from .viz import output_format, render_graph

    output = args.output or default_output(args.target)
    try:  # before the target runs: a mistyped extension is a usage error, not a traceback
        output_format(output)
    except ValueError as error:
        raise UsageError(str(error)) from None
    style: dict = {}
    if Path(args.target).suffix != ".py":  # an example: the look of its own image
        module = _example_module(args.target, ", or give a .py file that defines `root`")
        built = module.build(backward=True)
        # what the example's image draws, where that is not build()'s root (newton: ∇J)
        root = built["image"] if isinstance(built, dict) and "image" in built else _root_of(built)
        # IMAGE_STYLE where the image adds to the style the example draws with everywhere
        style = dict(getattr(module, "IMAGE_STYLE", None) or getattr(module, "GRAPH_STYLE", {}))
        if isinstance(built, dict) and "model" in built:
            style.setdefault("model", built["model"])
    else:
        root = resolve_root(args.target, backward=True)
    style.update({k: getattr(args, k) for k in RENDER_OPTIONS if getattr(args, k) is not None})
    path = render_graph(root, output, **style)
    print(f"wrote {path}")
    return 0


def _cmd_step(args: argparse.Namespace) -> int:
    from .debug import run_terminal

    return run_terminal(resolve_root(args.target)) or 0


def _cmd_explore(args: argparse.Namespace) -> int:
    from .debug.explorer import explore

    path = explore(resolve_root(args.target), args.output)
    print(f"wrote {path}")
    return 0


def _cmd_animate(args: argparse.Namespace) -> int:
    from .debug.animation import FRAME_FORMATS, MissingExtraError, animate_backprop, render_steps

    out = Path(args.output)
    kind = out.suffix.lower().lstrip(".")
    if kind and kind not in ("gif", "pdf") and not out.is_dir():
        raise UsageError(f"cannot write {args.output}: give a .gif or .pdf file, or a folder "
                         f"for numbered frames ({'/'.join(FRAME_FORMATS)}, see --format)")
    root = resolve_root(args.target)
    if isinstance(root, (list, tuple)):
        raise UsageError(f"{args.target} gives {len(root)} roots; animate steps through the "
                         "backward pass of one (define `root` as a single Value or Tensor)")
    style = {"rankdir": args.rankdir} if args.rankdir else {}
    if not style and Path(args.target).suffix != ".py":  # an example's own look (lunch: TB)
        style = dict(getattr(_example_module(args.target), "GRAPH_STYLE", {}))
        style.pop("title", None)
    try:
        if kind in ("gif", "pdf") and not out.is_dir():
            path = animate_backprop(root, out, args.seconds, args.passes, **style)
            print(f"wrote {path}")
        else:
            paths = render_steps(root, out, args.format, args.passes, **style)
            print(f"wrote {len(paths)} frames to {out}/ ({paths[0].name} ... {paths[-1].name})")
    except MissingExtraError as error:
        raise UsageError(str(error)) from None
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from .demos import DEMOS, run_demo

    if not args.name:
        for name, summary in DEMOS.items():
            print(f"{name:16s} {summary}")
        return 0
    if args.name not in DEMOS:
        raise UsageError(f"unknown demo {args.name!r}; choose one of {', '.join(DEMOS)}")
    return run_demo(args.name, quick=args.quick, out_dir=args.out) or 0


def _cmd_bench(args: argparse.Namespace) -> int:
    scripts = sorted(BENCH_DIR.glob("bench_*.py"))
    if not scripts:
        raise UsageError("benchmarks/ is not next to the package (run from a checkout)")
    names = [p.stem.removeprefix("bench_") for p in scripts]
    if not args.name:
        print("\n".join(names))
        return 0
    name = args.name.removeprefix("bench_")
    if name not in names:
        raise UsageError(f"unknown benchmark {args.name!r}; choose one of {', '.join(names)}")
    script = BENCH_DIR / f"bench_{name}.py"
    saved = sys.argv
    sys.argv = [str(script), *args.script_args]  # the script parses its own options
    try:
        runpy.run_path(str(script), run_name="__main__")
    except SystemExit as stop:  # sys.exit(main()) in the script; a message is re-raised
        if stop.code is None or isinstance(stop.code, int):
            return stop.code or 0
        raise
    finally:
        sys.argv = saved
    return 0


def _out_dir(p: argparse.ArgumentParser, what: str = "images") -> None:
    p.add_argument("-o", "--out", default="out", help=f"directory for {what} (default: out)")


def _target(p: argparse.ArgumentParser) -> None:
    p.add_argument("target", help="example name (see `micrograd-plus examples`) or .py file "
                   "defining `root` or `build()`; a .py file runs the file (its Python code "
                   "is executed): trust it first")


def _precision(text: str) -> int:
    """argparse type: decimals of the numbers, an int >= 0."""
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an int >= 0, got {text!r}")
    return value


def _render_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", default=None,
                   help="output file; the format from its extension: .svg .png .pdf .dot "
                        "(default: TARGET's name + .svg in the current directory)")
    look = p.add_argument_group("drawing options (default: an example's own image style, "
                                "draw_graph's defaults for a file)")
    look.add_argument("--rankdir", default=None, choices=RANKDIRS,
                      help="direction of the data flow: LR (inputs left), TB (inputs on top)")
    look.add_argument("--edge-labels", action=argparse.BooleanOptionalAction, default=None,
                      help="label each edge with its local derivative ∂out/∂in")
    look.add_argument("--color-by-grad", action=argparse.BooleanOptionalAction, default=None,
                      help="fill each value by |grad| (pale = vanishing), with a legend")
    look.add_argument("--precision", type=_precision, default=None, metavar="N",
                      help="decimals of rounded numbers (whole and short numbers are exact)")
    look.add_argument("--title", default=None, help="a caption above the graph")
    look.add_argument("--show-grad", dest="show_grad", action="store_const", const=True,
                      default=None, help="show each value's grad (the default)")
    look.add_argument("--no-grad", dest="show_grad", action="store_const", const=False,
                      help="data only: the graph before backward()")
    look.add_argument("--record", default=None, choices=("row", "stacked"),
                      help="row: label | data | grad in one row; stacked: the label above "
                           "(narrower nodes)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="micrograd-plus", description="Make backpropagation visible.",
        epilog="render/step/explore FILE.py runs the file (as `python FILE.py` would), "
               "then draws the `root` it defines.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}",
                        help="print the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                help="one of the commands below; `COMMAND --help` for its "
                                     "arguments")

    p = sub.add_parser("tour", help="render the lunch-price graph and train a small model")
    _out_dir(p)
    p.set_defaults(func=_cmd_tour)

    p = sub.add_parser("examples", help="list the worked examples")
    p.set_defaults(func=_cmd_examples)

    p = sub.add_parser("example", help="print a worked example's numbers and write its images")
    p.add_argument("name", nargs="?", help="an example (see `micrograd-plus examples`)")
    p.add_argument("--all", action="store_true", help="every example, into one directory")
    _out_dir(p)
    p.set_defaults(func=_cmd_example)

    p = sub.add_parser("render", help="draw a graph (after backward()) to svg/png/pdf/dot")
    _target(p)
    _render_options(p)
    p.set_defaults(func=_cmd_render)

    p = sub.add_parser("step", help="step through backprop in the terminal")
    _target(p)
    p.set_defaults(func=_cmd_step)

    p = sub.add_parser("explore", help="write an interactive HTML page of a graph")
    _target(p)
    p.add_argument("-o", "--output", required=True, help="the .html file to write")
    p.set_defaults(func=_cmd_explore)

    p = sub.add_parser("animate", help="backprop one step per frame: a GIF, a PDF or frames")
    _target(p)
    p.add_argument("-o", "--output", required=True,
                   help="a .gif, a .pdf (one page per step) or a folder of numbered frames")
    p.add_argument("--passes", default="both", choices=("both", "forward", "backward"),
                   help="which passes get frames (default: both, forward first)")
    p.add_argument("--seconds", type=float, default=1.0, help="seconds per step in a GIF")
    p.add_argument("--format", default="png", choices=("png", "svg", "pdf"),
                   help="the frames' format when OUT is a folder")
    p.add_argument("--rankdir", choices=RANKDIRS, help="layout direction (default: LR, or "
                   "the example's own)")
    p.set_defaults(func=_cmd_animate)

    p = sub.add_parser("demo", help="run a training demo (no name: list them)")
    p.add_argument("name", nargs="?", help="a demo (no name: list them)")
    p.add_argument("--quick", action="store_true", help="a few iterations only (smoke test)")
    _out_dir(p, "plots")
    p.set_defaults(func=_cmd_demo)

    p = sub.add_parser("bench", help="run a benchmark (no name: list them)",
                       description="Run benchmarks/bench_NAME.py; ARGS go to the script "
                       "(e.g. `micrograd-plus bench tensor --quick`).")
    p.add_argument("name", nargs="?", help="a benchmark (no name: list them)")
    p.add_argument("script_args", nargs=argparse.REMAINDER, metavar="ARGS",
                   help="options for the benchmark script")
    p.set_defaults(func=_cmd_bench)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        try:
            return int(args.func(args) or 0)
        except UsageError as error:
            message = str(error)
        except BrokenPipeError:
            raise
        except (OSError, RuntimeError, ValueError) as error:  # output, Graphviz, large graph
            message = _output_error(error)
        parser.exit(2, f"{parser.prog} {args.command}: error: {message}\n")
    except BrokenPipeError:
        _quiet_closed_pipe()
        return 1  # as rich's console and Python's docs do: output was cut short


def _output_error(error: Exception) -> str:
    """One line for an error while writing the output: the file and the reason."""
    if isinstance(error, OSError) and error.strerror:  # without Python's "[Errno 2]"
        if error.filename:
            return f"cannot write {error.filename}: {error.strerror}"
        return error.strerror  # the library's own message already names the file
    return " ".join(str(error).split()) or type(error).__name__


def _quiet_closed_pipe() -> None:
    """The reader of our stdout went away (``| head``): stop without a traceback.

    stdout is pointed at /dev/null so that Python's own flush at exit does not fail again.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


if __name__ == "__main__":
    sys.exit(main())
