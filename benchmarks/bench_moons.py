"""One full-batch training step of micrograd's demo, timed: micrograd_plus vs its peers.

The step of micrograd's demo.ipynb: MLP(2, [16, 16, 1]) on 100 two-moons points, max-margin
loss mean(relu(1 − y·score)) + 1e-4·Σ p², zero_grad, backward, SGD update. Every variant
starts from the same weights and must give the same loss (checked to 1e-9 at every shared
step, step 1 included) before any time is reported. Variants, timed in one process:

- ``micrograd 0.1.0, GC on``: karpathy's micrograd (``pip install micrograd==0.1.0``, in the
  ``bench`` extra), as its users run it. Each of its nodes is a reference cycle (a closure
  that refers back to the node), so Python's cycle collector does much of the work;
- ``micrograd 0.1.0, GC off``: the same with ``gc.disable()`` during its timed steps (the
  garbage is collected after them, untimed): how much of its time is the collector;
- ``micrograd_plus (micrograd's code)``: the very same step function run on micrograd_plus
  classes (the drop-in claim);
- ``micrograd_plus``: the same maths written the micrograd_plus way (plain-float inputs,
  ``vsum`` and ``dot`` nodes), GC on;
- ``micrograd_plus, GC off``: the same with ``gc.disable()`` during its timed steps: what
  the cycle collector costs it (its graphs hold no cycles, but the collector still walks
  the thousands of nodes each step makes);
- ``micrograd_plus, traced``: the same step under ``micrograd_plus.trace`` with the update
  by ``optim.SGD`` (the same arithmetic as ``p.data -= lr * p.grad``; a hand-written update
  cannot be replayed): its first two calls record (untimed), later calls run the graph
  compiled into straight-line float code, then the optimizer's step;
- ``floor: plain floats``: the same step on plain Python floats, forward and backward written
  by hand (no graph, no nodes): what a scalar engine in pure Python cannot beat.

Rounds are interleaved (each variant takes its turn in every round, so they share the
machine's load); each row shows the median over all timed steps and [min–max].
Run: ``python benchmarks/bench_moons.py [--rounds N] [--quick]``.
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
from operator import mul
from pathlib import Path
from typing import Any, Callable

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import micrograd_plus  # noqa: E402
from micrograd_plus import Value, dot, optim, trace, vsum  # noqa: E402
from micrograd_plus.data import make_moons  # noqa: E402
from micrograd_plus.nn import MLP  # noqa: E402

ALPHA = 1e-4
SIZES = [16, 16, 1]
MG_ON, MG_OFF = "micrograd 0.1.0, GC on", "micrograd 0.1.0, GC off"
DROP_IN, PLUS, FLOOR = "micrograd_plus (micrograd's code)", "micrograd_plus", \
    "floor: plain floats, hand-written backward"
PLUS_OFF = "micrograd_plus, GC off"
TRACED = "micrograd_plus, traced (trace + optim.SGD)"


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


def traced_stepper(model: MLP, X: list, y: list) -> Callable[[float], float]:
    """``plus_step`` under ``trace``: the update by ``optim.SGD``, its learning rate set
    before each call (the optimizer's step runs after the replay, so no new record)."""
    params = model.parameters()
    opt = optim.SGD(params, lr=1.0)

    @trace
    def step(X: list, y: list) -> Value:
        scores = [model(x) for x in X]
        losses = [(1.0 - yi * s).relu() for yi, s in zip(y, scores)]
        total_loss = vsum(losses) * (1.0 / len(losses)) + ALPHA * dot(params, params)
        opt.zero_grad()
        total_loss.backward()
        opt.step()
        return total_loss

    def run(lr: float) -> float:
        opt.param_groups[0]["lr"] = lr
        return step(X, y).data
    return run


class FloorMLP:
    """The demo's MLP on plain floats: ReLU hidden layers, a linear output, no graph.

    ``W[k][i][j]`` is the weight from unit j of layer k to unit i of layer k+1, ``B[k][i]``
    that unit's bias; forward z = W·a + b, a' = max(z, 0) (the last layer keeps z).
    """

    def __init__(self, model: MLP) -> None:
        self.W = [[[w.data for w in n.w] for n in layer.neurons] for layer in model.layers]
        self.B = [[n.b.data for n in layer.neurons] for layer in model.layers]

    def step(self, X: list, y: list, lr: float) -> float:
        """loss = (1/n)·Σ relu(1 − y·s) + α·Σ p², its gradient by hand, then p −= lr·∂loss/∂p.

        Backward per sample: δ = ∂loss/∂s = −y/n at the output (0 if the margin is ≤ 0); for a
        layer, ∂W_ij += δ_i·a_j, ∂b_i += δ_i, and the layer below gets
        δ_j = (Σ_i W_ij δ_i)·[a_j > 0] (ReLU's derivative). The L2 term adds 2α·p.
        """
        W, B = self.W, self.B
        depth = len(W)
        gW = [[[0.0] * len(row) for row in Wk] for Wk in W]
        gB = [[0.0] * len(Bk) for Bk in B]
        WT = [list(zip(*Wk)) for Wk in W]  # columns, for δ of the layer below
        inv_n = 1.0 / len(X)
        data_loss = 0.0
        for x, yi in zip(X, y):
            acts = [x]
            a = x
            for k in range(depth):
                z = [sum(map(mul, row, a)) + b for row, b in zip(W[k], B[k])]
                a = z if k == depth - 1 else [v if v > 0.0 else 0.0 for v in z]
                acts.append(a)
            margin = 1.0 - yi * a[0]
            # no shortcut for a zero margin or a dead unit: the floor does the graph's work,
            # every edge once, multiplying by 0 where the engine does
            data_loss += margin if margin > 0.0 else 0.0
            delta = [-yi * inv_n if margin > 0.0 else 0.0]
            for k in range(depth - 1, -1, -1):
                a_in = acts[k]
                gWk, gBk = gW[k], gB[k]
                for i, d in enumerate(delta):
                    gBk[i] += d
                    gWk[i] = [g + d * aj for g, aj in zip(gWk[i], a_in)]
                if k:
                    delta = [sum(map(mul, col, delta)) if aj > 0.0 else 0.0
                             for col, aj in zip(WT[k], a_in)]
        reg = 0.0
        for k in range(depth):
            for i, row in enumerate(W[k]):
                reg += sum(map(mul, row, row)) + B[k][i] * B[k][i]
                g = gW[k][i]
                W[k][i] = [w - lr * (gw + 2.0 * ALPHA * w) for w, gw in zip(row, g)]
                B[k][i] -= lr * (gB[k][i] + 2.0 * ALPHA * B[k][i])
        return data_loss * inv_n + ALPHA * reg


def copy_weights(src: Any, dst: Any) -> None:
    """Give ``dst`` the weights of ``src`` (micrograd-style MLPs) so losses can be compared."""
    for p, q in zip(src.parameters(), dst.parameters(), strict=True):
        q.data = float(p.data)


class Timer:
    """Wall and CPU time of each call of one variant's step, and the losses it returned.

    CPU time (``time.process_time``) is what the step costs this process; on a busy machine
    wall time also counts the time other processes held the CPU.
    """

    def __init__(self, step: Callable[[float], float], gc_off: bool = False,
                 warmup: int = 1) -> None:
        self.step = step
        self.gc_off = gc_off
        self.warmup = warmup  # untimed steps of the first run (a traced step's records)
        self.wall: list[float] = []
        self.cpu: list[float] = []
        self.losses: list[float] = []

    def run(self, times: int) -> None:
        """Untimed warm-up steps (one, or ``warmup`` in the first run), then ``times`` timed
        steps, back to back.

        Back to back so each step pays for the garbage its predecessor left (micrograd's
        graphs are cycles, freed only by the collector): the steady state of a training
        loop. The heap is collected first, untimed, so no variant pays for another's garbage;
        with ``gc_off`` the collector is disabled during the steps and run after them.
        """
        gc.collect()
        if self.gc_off:
            gc.disable()
        skip, self.warmup = self.warmup, 1
        try:
            for i in range(times + skip):
                k = len(self.losses)
                lr = 1.0 - 0.9 * k / 100  # the demo's learning-rate schedule
                w0, c0 = time.perf_counter(), time.process_time()
                self.losses.append(self.step(lr))
                cpu = (time.process_time() - c0) * 1e3
                wall = (time.perf_counter() - w0) * 1e3
                if i >= skip:
                    self.cpu.append(cpu)
                    self.wall.append(wall)
        finally:
            gc.enable()
        gc.collect()

    def summary(self) -> tuple[float, float, float, float]:
        """(median wall ms, min, max, median CPU ms)."""
        return (statistics.median(self.wall), min(self.wall), max(self.wall),
                statistics.median(self.cpu))


def same_losses(theirs: list[float], ours: list[float], who: str) -> int:
    """Stop the benchmark if two variants trained differently (apples vs pears).

    Returns how many steps were compared (every step both ran, step 1 included).
    """
    for k, (a, b) in enumerate(zip(theirs, ours)):
        if not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12):
            raise SystemExit(f"loss of step {k + 1}: {who} gives {a!r}, micrograd_plus {b!r}")
    return min(len(theirs), len(ours))


def speedup(peer_ms: float, ours_ms: float) -> str:
    """micrograd_plus's time against a peer's, in words a reader cannot misread."""
    if peer_ms >= ours_ms:
        return f"{peer_ms / ours_ms:.2f}x faster"
    return f"{ours_ms / peer_ms:.2f}x slower"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5,
                        help="rounds; in each, every variant takes its turn (default 5)")
    parser.add_argument("--steps", type=int, default=1,
                        help="timed micrograd 0.1.0 steps per round (default 1)")
    parser.add_argument("--plus-steps", type=int, default=10,
                        help="timed micrograd_plus and floor steps per round (default 10)")
    parser.add_argument("--points", type=int, default=100, help="moons points (default 100)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run: 20 points, 1 round, 2 steps (numbers mean little)")
    args = parser.parse_args(argv)
    if args.quick:
        args.points, args.rounds, args.steps, args.plus_steps = 20, 1, 1, 2

    X, y01 = make_moons(args.points, noise=0.1, seed=1337)  # the moons demo's points
    y = 2 * y01 - 1  # labels ±1 for the max-margin loss; every variant gets these same points
    Xf = X.tolist()
    yf = [float(v) for v in y]
    random.seed(1337)
    print(f"python {platform.python_version()} on {platform.machine()} "
          f"({platform.platform(terse=True)}), micrograd_plus {micrograd_plus.__version__}, "
          f"{time.strftime('%Y-%m-%d %H:%M')}")
    print(f"MLP(2, {SIZES}), {args.points} points; {args.rounds} interleaved rounds; "
          "median [min–max] of the timed steps")

    try:
        from micrograd.engine import Value as MGValue
        from micrograd.nn import MLP as MGMLP
    except ImportError:
        MGValue = MGMLP = None

    plus_model = MLP(2, SIZES, seed=1337)
    plus_off_model = MLP(2, SIZES, seed=1337)
    traced_model = MLP(2, SIZES, seed=1337)
    drop_in_model = MLP(2, SIZES, seed=1337)
    timers: dict[str, Timer] = {}
    if MGMLP is not None:
        mg_on, mg_off = MGMLP(2, SIZES), MGMLP(2, SIZES)
        copy_weights(mg_on, mg_off)
        copy_weights(mg_on, plus_model)
        copy_weights(mg_on, plus_off_model)
        copy_weights(mg_on, traced_model)
        copy_weights(mg_on, drop_in_model)
        timers[MG_ON] = Timer(lambda lr: micrograd_step(mg_on, MGValue, X, y, lr))
        timers[MG_OFF] = Timer(lambda lr: micrograd_step(mg_off, MGValue, X, y, lr),
                               gc_off=True)
    floor = FloorMLP(plus_model)
    timers[DROP_IN] = Timer(lambda lr: micrograd_step(drop_in_model, Value, X, y, lr))
    timers[PLUS] = Timer(lambda lr: plus_step(plus_model, Xf, yf, lr))
    timers[PLUS_OFF] = Timer(lambda lr: plus_step(plus_off_model, Xf, yf, lr), gc_off=True)
    timers[TRACED] = Timer(traced_stepper(traced_model, Xf, yf), warmup=3)
    timers[FLOOR] = Timer(lambda lr: floor.step(Xf, yf, lr))

    for _ in range(args.rounds):
        for name, timer in timers.items():
            timer.run(args.steps if name.startswith("micrograd 0.1.0") else args.plus_steps)

    # the variants compute the same thing: same weights give the same loss sequence
    ours = timers[PLUS].losses
    for name, timer in timers.items():
        if name != PLUS:
            n = same_losses(timer.losses, ours, name)
            print(f"equal-loss check: {name}: step 1 loss {timer.losses[0]:.12f}, "
                  f"equal to micrograd_plus's (rel 1e-9) on {n} steps")
    print(f"loss after the first step {ours[0]:.6f}, after {len(ours)} steps {ours[-1]:.6f}")

    print()
    width = max(map(len, [*timers, MG_ON]))
    print(f"{'variant':<{width}}  {'wall ms/step [min–max]':>28}  {'CPU ms':>9}  "
          f"{'/ floor':>7}  micrograd_plus is (wall; CPU)")
    if MGMLP is None:
        for name in (MG_ON, MG_OFF):
            print(f"{name:<{width}}  not installed (pip install micrograd==0.1.0, or the "
                  "'bench' extra)")
    ours = timers[PLUS].summary()
    floor_ms = timers[FLOOR].summary()[0]
    for name, timer in timers.items():
        wall, lo, hi, cpu = timer.summary()
        spread = f"{wall:.2f} [{lo:.2f}–{hi:.2f}]"
        note = "" if name == PLUS else f"{speedup(wall, ours[0])}; {speedup(cpu, ours[3])}"
        print(f"{name:<{width}}  {spread:>28}  {cpu:9.2f}  {wall / floor_ms:6.2f}x  {note}")
    print("(/ floor: the variant's median wall time over the floor's; the last column compares "
          "micrograd_plus's eager step with each variant)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
