"""How long ``render_graph`` takes to draw a graph of N values to SVG, and what collapsing buys.

Two kinds of graph, built to about N values (leaves included, as ``draw_graph`` counts):

- ``mlp``: micrograd's moons step on a batch: MLP(2, [8, 8, 1]) on B points, max-margin loss
  (the graph people draw): all-to-all layers, wide ``dot`` nodes; B sets the size;
- ``rnn``: a scalar RNN unrolled in time, its three shared weights read at every step: a
  long chain with long edges back to the shared leaves.

Each is drawn three ways: ``full`` (every value, ``collapse=False`` with ``max_nodes``
raised), ``auto`` (the default: collapsed only above ``max_nodes=1500``) and ``collapse=True``
(one box per neuron or layer and per run of same-op nodes). Times are wall seconds of
``draw_graph`` (Python: building the Graphviz source) and of ``dot`` (layout and SVG), and
dot's CPU seconds (one core: little changed by other processes' load), the median of
``--rounds``. ``dot`` is stopped after ``--timeout`` seconds.
Run: ``python benchmarks/bench_render.py [--sizes 100,300,1000] [--rounds 3] [--quick]``.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from micrograd_plus import Value, draw_graph, render_graph, vsum  # noqa: E402
from micrograd_plus.core.autograd import topological_order  # noqa: E402
from micrograd_plus.nn import MLP  # noqa: E402

VALUES_PER_POINT = 35  # an MLP(2, [8, 8, 1]) point adds 17 dot + 16 relu + 2 loss values


def mlp_graph(n: int) -> Value:
    """The moons step's loss on enough points that the graph has about n values."""
    model = MLP(2, [8, 8, 1], seed=0)
    rng = random.Random(0)
    points = max(1, (n - len(model.parameters())) // VALUES_PER_POINT)
    margins = []
    for _ in range(points):
        x = [rng.uniform(-1, 1), rng.uniform(-1, 1)]
        y = rng.choice((-1.0, 1.0))
        margins.append((1.0 - y * model(x)).relu())
    loss = vsum(margins) * (1.0 / points)
    loss.backward()
    return loss


def rnn_graph(n: int) -> Value:
    """A scalar RNN unrolled to about n values: h_t = tanh(w·h_(t−1) + u·x_t + b), loss h_T².

    w, u and b are shared by every step, so three leaves send an arrow to every step: long
    edges that Graphviz has to route along the whole chain.
    """
    rng = random.Random(0)
    w, u, b = Value(0.5, label="w"), Value(-0.3, label="u"), Value(0.1, label="b")
    h = Value(0.0, label="h0")
    for t in range(max(1, (n - 4) // 6)):  # a step adds x_t, w·h, u·x, +, + b, tanh
        x = Value(rng.uniform(-1, 1), label=f"x{t + 1}")
        h = (w * h + u * x + b).tanh()
    loss = h * h
    loss.backward()
    return loss


def children_cpu() -> float:
    """CPU seconds used so far by this process's finished children (the dot runs)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def time_once(root: Any, how: str, timeout: float,
              out: Path) -> tuple[float, float, float, int]:
    """(draw_graph s, dot wall s, dot CPU s, shapes in the SVG); dot's are inf after a timeout.

    dot runs on one core, so its CPU seconds change little with the machine's load.
    """
    kwargs: dict[str, Any] = {"full": {"collapse": False, "max_nodes": 10**6},
                              "auto": {}, "collapse": {"collapse": True}}[how]
    t0 = time.perf_counter()
    graph = draw_graph(root, **kwargs)
    t1, c1 = time.perf_counter(), children_cpu()
    try:
        render_graph(graph, out, timeout=timeout)
    except TimeoutError:
        return t1 - t0, float("inf"), float("inf"), -1
    t2, c2 = time.perf_counter(), children_cpu()
    shapes = out.read_text().count('class="node"')  # records, op circles, group boxes
    return t1 - t0, t2 - t1, c2 - c1, shapes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,300,1000,1500,3000",
                        help="values per mlp graph, comma-separated (default 100,300,1000,1500,"
                        "3000)")
    parser.add_argument("--rnn-sizes", default="100,200,400,1600",
                        help="values per rnn graph (default 100,200,400,1600)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per cell (default 3)")
    parser.add_argument("--timeout", type=float, default=30.0,
                        help="seconds before dot is stopped (default 30)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: mlp of 50 and 200 values, rnn of 40")
    args = parser.parse_args(argv)
    sizes = {"mlp": [50, 200] if args.quick else [int(s) for s in args.sizes.split(",")],
             "rnn": [40] if args.quick else [int(s) for s in args.rnn_sizes.split(",")]}
    rounds = 1 if args.quick else args.rounds
    if shutil.which("dot") is None:
        print("Graphviz's dot is not installed: nothing to time")
        return 0
    version = subprocess.run(["dot", "-V"], capture_output=True, text=True).stderr.strip()
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"python {platform.python_version()}, {version}, {os.cpu_count()} CPUs, "
          f"{time.strftime('%Y-%m-%d %H:%M %Z')}, load average {load}")
    print(f"median of {rounds} rounds; seconds of draw_graph (Python) + dot (layout, SVG); "
          f"dot stopped after {args.timeout:g} s")
    print()
    print(f"{'graph':<8}{'values':>7}{'edges':>7}  {'drawing':<9}{'shapes':>7}"
          f"{'draw_graph s':>14}{'dot s':>9}{'dot CPU s':>11}{'total s':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "g.svg"
        for kind, build in (("mlp", mlp_graph), ("rnn", rnn_graph)):
            for n in sizes[kind]:
                root = build(n)
                nodes = topological_order(root)
                edges = sum(len(v._prev) for v in nodes)
                for how in ("full", "auto", "collapse"):
                    if how == "auto" and len(nodes) <= 1500:
                        continue  # auto draws every value up to max_nodes: same as full
                    runs = [time_once(root, how, args.timeout, out)]
                    while len(runs) < rounds and runs[-1][1] != float("inf"):
                        runs.append(time_once(root, how, args.timeout, out))  # no re-timeouts
                    py = statistics.median(r[0] for r in runs)
                    dot = statistics.median(r[1] for r in runs)
                    cpu = statistics.median(r[2] for r in runs)
                    done = dot != float("inf")
                    print(f"{kind:<8}{len(nodes):>7}{edges:>7}  {how:<9}{runs[0][3]:>7}"
                          f"{py:>14.3f}{f'{dot:.2f}' if done else 'timeout':>9}"
                          f"{f'{cpu:.2f}' if done else '-':>11}"
                          f"{f'{py + dot:.2f}' if done else '-':>9}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
