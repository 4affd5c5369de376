"""One full-batch training step of micrograd's demo, timed: micrograd_plus vs micrograd 0.1.0.

The step of micrograd's demo.ipynb: MLP(2, [16, 16, 1]) on 100 two-moons points, max-margin
loss mean(relu(1 − y·score)) + 1e-4·Σ p², zero_grad, backward, SGD update. Timed three ways
in one process, with Python's garbage collector left on (the default):

- ``micrograd``: karpathy's micrograd 0.1.0, if installed (``pip install micrograd==0.1.0``);
- ``micrograd_plus (micrograd's code)``: the very same step function run on micrograd_plus
  classes (the drop-in claim);
- ``micrograd_plus``: the same maths written the micrograd_plus way (plain-float inputs,
  ``vsum`` and ``dot`` nodes).

Run: ``python benchmarks/bench_moons.py [--rounds N]``. Prints ms/step (median) and ratios.
Time on a quiet machine: other processes slow the variants unequally.
"""

from __future__ import annotations

import argparse
import gc
import math
import platform
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import micrograd_plus  # noqa: E402
from micrograd_plus import Value, dot, vsum  # noqa: E402
from micrograd_plus.data import make_moons  # noqa: E402
from micrograd_plus.nn import MLP  # noqa: E402

ALPHA = 1e-4
SIZES = [16, 16, 1]


def micrograd_step(model: Any, value_cls: type, X: np.ndarray, y: np.ndarray,
                   lr: float) -> float:
    """micrograd's demo.ipynb training step, written as the notebook writes it."""
    inputs = [list(map(value_cls, xrow)) for xrow in X]
    scores = list(map(model, inputs))
    losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = ALPHA * sum((p * p for p in model.parameters()))
    total_loss = data_loss + reg_loss
    model.zero_grad()
    total_loss.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return total_loss.data


def plus_step(model: MLP, X: list, y: list, lr: float) -> float:
    """The same step the micrograd_plus way: inputs stay plain floats, sums are one node."""
    params = model.parameters()
    scores = [model(x) for x in X]
    losses = [(1.0 - yi * s).relu() for yi, s in zip(y, scores)]
    total_loss = vsum(losses) * (1.0 / len(losses)) + ALPHA * dot(params, params)
    model.zero_grad()
    total_loss.backward()
    for p in params:
        p.data -= lr * p.grad
    return total_loss.data


def copy_weights(src: Any, dst: MLP) -> None:
    """Give ``dst`` the weights of ``src`` (any micrograd-style MLP) so losses can be compared."""
    for p, q in zip(src.parameters(), dst.parameters(), strict=True):
        q.data = float(p.data)


class Timer:
    """Wall and CPU time of each call of one variant's step, and the losses it returned.

    CPU time (``time.process_time``) is what the step costs this process; on a busy machine
    wall time also counts the time other processes held the CPU.
    """

    def __init__(self, step: Callable[[float], float]) -> None:
        self.step = step
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.losses: list[float] = []

    def run(self, times: int) -> None:
        """One untimed warm-up step, then ``times`` timed steps, back to back.

        Back to back so each step pays for the garbage its predecessor left (micrograd's
        graphs are cycles, freed only by the collector): the steady state of a training
        loop. The heap is collected first, untimed, so no variant pays for another's garbage.
        """
        gc.collect()
        for i in range(times + 1):
            k = len(self.losses)
            lr = 1.0 - 0.9 * k / 100  # the demo's learning-rate schedule
            w0, c0 = time.perf_counter(), time.process_time()
            self.losses.append(self.step(lr))
            cpu = (time.process_time() - c0) * 1e3
            wall = (time.perf_counter() - w0) * 1e3
            if i:
                self.cpu.append(cpu)
                self.wall.append(wall)

    def medians(self) -> tuple[float, float]:
        return statistics.median(self.wall), statistics.median(self.cpu)


def same_losses(theirs: list[float], ours: list[float], who: str) -> None:
    """Stop the benchmark if two variants trained differently: it would compare apples to pears."""
    for k, (a, b) in enumerate(zip(theirs, ours)):
        if not math.isclose(a, b, rel_tol=1e-9):
            raise SystemExit(f"loss of step {k}: {who} gives {a!r}, micrograd_plus {b!r}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3,
                        help="rounds; in each, every variant takes its turn (default 3)")
    parser.add_argument("--steps", type=int, default=2,
                        help="timed micrograd steps per round (default 2)")
    parser.add_argument("--plus-steps", type=int, default=10,
                        help="timed micrograd_plus steps per round (default 10)")
    args = parser.parse_args(argv)

    X, y01 = make_moons(100, noise=0.1, seed=1337)  # the moons demo's points
    y = 2 * y01 - 1  # labels ±1 for the max-margin loss; every variant gets these same points
    Xf = X.tolist()
    yf = [float(v) for v in y]
    random.seed(1337)
    print(f"python {platform.python_version()} on {platform.machine()} "
          f"({platform.platform(terse=True)}), micrograd_plus {micrograd_plus.__version__}")
    print(f"gc enabled; median of the timed steps of {args.rounds} rounds (the variants take "
          "turns, so they share the machine's load)")

    try:
        from micrograd.engine import Value as MGValue
        from micrograd.nn import MLP as MGMLP
    except ImportError:
        MGValue = MGMLP = None
        print("micrograd is not installed (pip install micrograd==0.1.0): "
              "timing micrograd_plus only")

    plus_model = MLP(2, SIZES, seed=1337)
    drop_in_model = MLP(2, SIZES, seed=1337)
    timers: dict[str, Timer] = {}
    if MGMLP is not None:
        mg_model = MGMLP(2, SIZES)
        copy_weights(mg_model, plus_model)
        copy_weights(mg_model, drop_in_model)
        timers["micrograd 0.1.0"] = Timer(lambda lr: micrograd_step(mg_model, MGValue, X, y, lr))
    timers["micrograd_plus (micrograd's code)"] = Timer(
        lambda lr: micrograd_step(drop_in_model, Value, X, y, lr))
    timers["micrograd_plus"] = Timer(lambda lr: plus_step(plus_model, Xf, yf, lr))

    for _ in range(args.rounds):
        for name, timer in timers.items():
            timer.run(args.steps if name == "micrograd 0.1.0" else args.plus_steps)

    # the variants compute the same thing: same weights give the same loss sequence
    ours = timers["micrograd_plus"].losses
    for name, timer in timers.items():
        same_losses(timer.losses, ours, name)
    print(f"loss after the first step {ours[0]:.6f}, after {len(ours)} steps {ours[-1]:.6f}")

    width = max(map(len, timers))
    base = timers["micrograd 0.1.0"].medians() if MGMLP is not None else None
    print(f"{'':<{width}}  {'wall ms/step':>12}  {'CPU ms/step':>12}")
    for name, timer in timers.items():
        wall, cpu = timer.medians()
        line = f"{name:<{width}}  {wall:12.2f}  {cpu:12.2f}"
        if base and name != "micrograd 0.1.0":
            line += f"   {base[0] / wall:5.1f}x faster (wall), {base[1] / cpu:5.1f}x (CPU)"
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
