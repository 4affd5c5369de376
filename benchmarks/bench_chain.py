"""backward() on a long chain, per node: micrograd_plus vs micrograd 0.1.0 with its GC off.

The chain y_0 = x, y_{k+1} = y_k · x (x = 1.0, so every value and gradient stays 1.0) has one
new node per op in both engines (no constant nodes), N + 1 nodes in all. Only ``backward()``
is timed: the topological sort plus the chain rule at every node. The graph is built anew,
untimed, for every measurement. Rows:

- ``micrograd_plus``: GC on (the default: its nodes hold no cycles) and GC off;
- ``micrograd 0.1.0, GC off``: karpathy's micrograd (``pip install micrograd==0.1.0``) with
  ``gc.disable()`` while it builds and walks the chain (with the collector on, a million
  live cyclic nodes make the collector dominate, and its recursive sort needs a raised
  recursion limit: both set here).

Rounds are interleaved; medians [min–max] of the rounds, in ns per node.
Run: ``python benchmarks/bench_chain.py [--nodes N] [--rounds R] [--quick]``.
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from micrograd_plus import Value  # noqa: E402

PLUS_ON, PLUS_OFF, MG_OFF = ("micrograd_plus, GC on", "micrograd_plus, GC off",
                             "micrograd 0.1.0, GC off")


def chain(value_cls: type, n: int) -> tuple[Any, Any]:
    """(x, y_n) with y_{k+1} = y_k · x: n product nodes after the leaf x."""
    x = value_cls(1.0)
    y = x
    for _ in range(n):
        y = y * x
    return x, y


def time_backward(value_cls: type, n: int, gc_off: bool) -> float:
    """Seconds of one backward() over a freshly built n-node chain; checks ∂y/∂x = n."""
    gc.collect()
    if gc_off:
        gc.disable()
    try:
        x, y = chain(value_cls, n)
        t0 = time.perf_counter()
        y.backward()
        seconds = time.perf_counter() - t0
        grad = x.grad
        del x, y
    finally:
        gc.enable()
    gc.collect()  # untimed: micrograd's cycles are freed here
    if grad != n + 1:  # y_n = x^(n+1), so dy/dx = (n + 1)·x^n = n + 1 at x = 1
        raise SystemExit(f"{value_cls.__module__}: dy/dx = {grad!r}, expected {n + 1}")
    return seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=1_000_000,
                        help="ops in the chain (default 1,000,000)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (default 3)")
    parser.add_argument("--quick", action="store_true", help="a smoke run: 20,000 nodes, 1 round")
    args = parser.parse_args(argv)
    if args.quick:
        args.nodes, args.rounds = 20_000, 1
    n = args.nodes
    print(f"python {platform.python_version()} on {platform.machine()}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}; chain y_(k+1) = y_k · x of {n:,} ops, "
          f"{args.rounds} interleaved rounds, backward() only")

    runs: dict[str, Callable[[], float]] = {
        PLUS_ON: lambda: time_backward(Value, n, gc_off=False),
        PLUS_OFF: lambda: time_backward(Value, n, gc_off=True),
    }
    try:
        from micrograd.engine import Value as MGValue
    except ImportError:
        MGValue = None
    if MGValue is not None:
        sys.setrecursionlimit(max(sys.getrecursionlimit(), n + 1000))  # its sort recurses
        runs[MG_OFF] = lambda: time_backward(MGValue, n, gc_off=True)

    samples: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.rounds):
        for name, run in runs.items():
            samples[name].append(run() / (n + 1) * 1e9)
    print(f"gradient check: dy/dx = {n + 1:,} in every run ({'; '.join(runs)})")

    print()
    print(f"{'engine':<26}{'ns per node [min–max]':>28}  {'total s':>8}  vs micrograd 0.1.0 GC off")
    if MGValue is None:
        print(f"{MG_OFF:<26}not installed (pip install micrograd==0.1.0, or the 'bench' extra)")
    ref = statistics.median(samples[MG_OFF]) if MGValue is not None else None
    for name, ns in samples.items():
        med = statistics.median(ns)
        spread = f"{med:.0f} [{min(ns):.0f}–{max(ns):.0f}]"
        note = ""
        if ref and name != MG_OFF:
            note = f"{med / ref:.2f}x slower" if med > ref else f"{ref / med:.2f}x faster"
        print(f"{name:<26}{spread:>28}  {med * (n + 1) / 1e9:8.2f}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
