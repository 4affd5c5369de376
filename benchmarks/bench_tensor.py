"""Tensor engine vs PyTorch CPU (float64, same thread count) on two training steps.

One training step = forward, loss, zero_grad, backward, SGD update, written the same way in
both libraries (``nn.Sequential`` of ``Linear`` + activations, each library's ``optim.SGD``):

- (a) micrograd's moons demo: MLP 2-16-16-1 (ReLU), 100 samples, max-margin loss
  mean(relu(1 − y·score)) + 1e-4·Σ p². Also timed: karpathy's micrograd 0.1.0 (if
  installed: ``pip install micrograd==0.1.0``) and micrograd_plus's scalar ``Value`` MLP.
- (b) the seeds' wide classifier: MLP 3-64-256-1024-2 (tanh), 1000 samples, cross-entropy.

PyTorch runs in the same process with ``torch.set_num_threads`` equal to numpy's BLAS
thread count (``--threads N`` sets both). Timings are medians over repeats, runs of the two
libraries interleaved, garbage collector on (collected between runs).
Run: ``python benchmarks/bench_tensor.py``.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable


def _parse() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=None,
                   help="BLAS and torch threads (default: numpy's BLAS default, all cores)")
    p.add_argument("--repeats", type=int, default=7, help="timed repeats per workload")
    p.add_argument("--quick", action="store_true", help="fewer steps (a smoke run)")
    return p.parse_known_args()[0]  # tolerant: `micrograd-plus bench tensor` keeps its argv


ARGS = _parse() if __name__ == "__main__" else argparse.Namespace(threads=None, repeats=7,
                                                                   quick=True)
if ARGS.threads:  # must be set before numpy loads OpenBLAS
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from micrograd_plus import Tensor, Value, losses, nn, optim  # noqa: E402
from micrograd_plus.data import make_moons  # noqa: E402
from micrograd_plus.interop import to_torch  # noqa: E402

ALPHA = 1e-4


def blas_threads() -> int:
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        if os.environ.get(var, "").isdigit():
            return int(os.environ[var])
    return os.cpu_count() or 1  # OpenBLAS's default: one thread per logical CPU


def make_blobs3d(n: int = 1000, seed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Two classes of 3-D points (the seeds' 3-D classification data)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 3)) + y[:, None] * 1.5
    return X, y


# -- the step in each library ---------------------------------------------------------------
def ours_model(sizes: list[int], act: type, seed: int) -> nn.Sequential:
    mods: list = []
    for k in range(len(sizes) - 1):
        mods.append(nn.Linear(sizes[k], sizes[k + 1], seed=seed + k))
        if k < len(sizes) - 2:
            mods.append(act())
    return nn.Sequential(*mods)


def ours_moons_step(X: np.ndarray, y: np.ndarray) -> Callable[[], float]:
    model = ours_model([2, 16, 16, 1], nn.ReLU, seed=0)
    params = model.parameters()
    opt = optim.SGD(params, lr=0.05)
    Xt, yt = Tensor(X), Tensor(y)

    def step() -> float:
        scores = model(Xt)
        loss = (1.0 - yt * scores).relu().mean() + ALPHA * sum((p * p).sum() for p in params)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step


def ours_wide_step(X: np.ndarray, y: np.ndarray) -> Callable[[], float]:
    model = ours_model([3, 64, 256, 1024, 2], nn.Tanh, seed=0)
    opt = optim.SGD(model.parameters(), lr=0.05)
    Xt = Tensor(X)

    def step() -> float:
        loss = losses.cross_entropy(model(Xt), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step


def torch_moons_step(X: np.ndarray, y: np.ndarray) -> Callable[[], float]:
    import torch

    tmodel = to_torch(ours_model([2, 16, 16, 1], nn.ReLU, seed=0))
    params = list(tmodel.parameters())
    opt = torch.optim.SGD(params, lr=0.05)
    Xt, yt = torch.tensor(X), torch.tensor(y)

    def step() -> float:
        scores = tmodel(Xt)
        loss = torch.relu(1.0 - yt * scores).mean() + ALPHA * sum((p * p).sum() for p in params)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step


def torch_wide_step(X: np.ndarray, y: np.ndarray) -> Callable[[], float]:
    import torch
    import torch.nn.functional as F

    tmodel = to_torch(ours_model([3, 64, 256, 1024, 2], nn.Tanh, seed=0))
    opt = torch.optim.SGD(tmodel.parameters(), lr=0.05)
    Xt, yt = torch.tensor(X), torch.tensor(y)

    def step() -> float:
        loss = F.cross_entropy(tmodel(Xt), yt)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step


def micrograd_moons_step(X: np.ndarray, y: np.ndarray) -> Callable[[], float] | None:
    """karpathy's micrograd 0.1.0 running the demo's step (None when it is not installed)."""
    try:
        from micrograd.engine import Value as MValue
        from micrograd.nn import MLP as MMLP
    except ImportError:
        return None
    import random

    random.seed(1337)
    model = MMLP(2, [16, 16, 1])
    return _scalar_step(model, MValue, X, y)


def scalar_moons_step(X: np.ndarray, y: np.ndarray) -> Callable[[], float]:
    """micrograd_plus's scalar Value MLP (micrograd's API) on the same step."""
    return _scalar_step(nn.MLP(2, [16, 16, 1], seed=1337), Value, X, y)


def _scalar_step(model: Any, value_cls: type, X: np.ndarray, y: np.ndarray) -> Callable:
    rows = [[float(a) for a in row] for row in X]
    labels = [float(v) for v in y[:, 0]]

    def step() -> float:
        inputs = [list(map(value_cls, row)) for row in rows]
        scores = list(map(model, inputs))
        margins = [(1 + -yi * s).relu() for yi, s in zip(labels, scores)]
        loss = sum(margins) * (1.0 / len(margins)) + ALPHA * sum(p * p for p in model.parameters())
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.05 * p.grad
        return loss.data

    return step


# -- timing ---------------------------------------------------------------------------------
def time_steps(step: Callable[[], float], n: int) -> float:
    """Seconds per step over n consecutive steps."""
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - t0) / n


def compare(contenders: dict[str, Callable | None], steps: dict[str, int], repeats: int,
            warmup: int = 3) -> dict[str, float]:
    """Median ms/step of each contender, repeats interleaved so drift hits all alike."""
    live = {k: f for k, f in contenders.items() if f is not None}
    for f in live.values():
        for _ in range(warmup):
            f()
    samples: dict[str, list[float]] = {k: [] for k in live}
    for _ in range(repeats):
        for name, f in live.items():
            gc.collect()  # start clean: one engine's cyclic garbage must not bill the next
            samples[name].append(time_steps(f, steps[name]))
    return {k: 1e3 * statistics.median(v) for k, v in samples.items()}


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} logical CPUs, {platform.system()} {platform.release()}"


def main() -> None:
    import torch

    threads = ARGS.threads or blas_threads()
    torch.set_num_threads(threads)
    quick = ARGS.quick
    repeats = 2 if quick else ARGS.repeats
    print(f"machine : {machine()}")
    print(f"date    : {time.strftime('%Y-%m-%d')}; python {platform.python_version()}, numpy "
          f"{np.__version__}, torch {torch.__version__}; float64; {threads} threads "
          f"(BLAS and torch)")

    X, y01 = make_moons(100, noise=0.1, seed=1)
    y = (2.0 * y01 - 1.0)[:, None]  # labels ±1 as a column, for the max-margin loss
    a = compare({"micrograd_plus Tensor": ours_moons_step(X, y),
                 "PyTorch": torch_moons_step(X, y)},
                steps={"micrograd_plus Tensor": 50 if quick else 500,
                       "PyTorch": 50 if quick else 500}, repeats=repeats)
    # the scalar engines take 0.05-3 s per step: one step per sample, three samples
    a.update(compare({"micrograd_plus Value": scalar_moons_step(X, y),
                      "micrograd 0.1.0": micrograd_moons_step(X, y)},
                     steps={"micrograd_plus Value": 1, "micrograd 0.1.0": 1},
                     repeats=1 if quick else 3, warmup=1))
    Xw, yw = make_blobs3d()
    b = compare({"micrograd_plus Tensor": ours_wide_step(Xw, yw),
                 "PyTorch": torch_wide_step(Xw, yw)},
                steps={"micrograd_plus Tensor": 3 if quick else 10,
                       "PyTorch": 3 if quick else 10}, repeats=repeats)

    rows = [("(a) moons MLP 2-16-16-1, 100 samples", a),
            ("(b) MLP 3-64-256-1024-2, 1000 samples", b)]
    header = (f"{'workload':<40}{'Tensor ms':>11}{'PyTorch ms':>12}{'Tensor/PyTorch':>16}"
              f"{'micrograd ms':>14}{'micrograd/Tensor':>18}{'Value ms':>10}")
    print()
    print(header)
    print("-" * len(header))
    for name, r in rows:
        ours, ref = r["micrograd_plus Tensor"], r["PyTorch"]
        mg = r.get("micrograd 0.1.0")
        val = r.get("micrograd_plus Value")
        print(f"{name:<40}{ours:>11.3f}{ref:>12.3f}{ours / ref:>15.2f}x"
              f"{(f'{mg:.1f}' if mg else '-'):>14}"
              f"{(f'{mg / ours:,.0f}x' if mg else '-'):>18}"
              f"{(f'{val:.1f}' if val else '-'):>10}")
    print("\nms per training step (forward, loss, zero_grad, backward, SGD update); "
          "ratio < 1 means micrograd_plus is faster.")


if __name__ == "__main__":
    main()
