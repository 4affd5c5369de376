"""Tensor engine vs PyTorch eager, JAX jit, HIPS autograd and MyGrad on two training steps.

One training step = forward, loss, gradient, SGD update (lr 0.05), float64, every peer from
the same initial weights (micrograd_plus's ``nn.Linear`` init, copied):

- (a) micrograd's moons demo: MLP 2-16-16-1 (ReLU), 100 samples, max-margin loss
  mean(relu(1 − y·score)) + 1e-4·Σ p² (biases included);
- (b) a wide classifier: MLP 3-64-256-1024-2 (tanh), 1000 samples, mean cross-entropy.

micrograd_plus runs each step twice: eager (``micrograd_plus Tensor``) and under
``micrograd_plus.trace`` (``micrograd_plus traced``: two recording calls, then the
parameters are reset to the initial weights, so every timed and checked step is a replay).

Peers (each optional: a missing one gets a row saying so; ``pip install -e '.[bench]'``):
PyTorch eager (``torch.optim.SGD``), JAX with the whole step (value_and_grad + update) under
``jax.jit`` on the CPU, HIPS ``autograd`` (``value_and_grad``, numpy update), ``mygrad``
(``backward()``, numpy update). Before any timing, the losses of steps 1 and 2 must agree
across peers to 1e-9 (step 2 checks the gradients and the update too).

Rounds are interleaved (every peer takes its turn in each round, so drift and other
processes' load hit all alike), garbage collected between turns; each row shows the median
ms/step over the rounds and [min–max]. The BLAS library, the kernel OpenBLAS chose (it
obeys ``OPENBLAS_CORETYPE``), thread counts, machine, date and load average are printed.
Run: ``python benchmarks/bench_tensor.py [--quick] [--threads N] [--coretype NAME]``.
"""

from __future__ import annotations

import argparse
import gc
import math
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
                   help="BLAS, torch and XLA threads (default: each library's own, all cores)")
    p.add_argument("--coretype", default=None,
                   help="set OPENBLAS_CORETYPE (e.g. Haswell, SkylakeX) before numpy loads")
    p.add_argument("--repeats", type=int, default=7, help="interleaved rounds (default 7)")
    p.add_argument("--quick", action="store_true",
                   help="a smoke run: 1 round, few steps, (b) on 200 samples (numbers mean "
                   "little)")
    return p.parse_known_args()[0]  # tolerant: `micrograd-plus bench tensor` keeps its argv


ARGS = _parse() if __name__ == "__main__" else argparse.Namespace(
    threads=None, coretype=None, repeats=7, quick=True)
if ARGS.threads:  # must be set before numpy loads OpenBLAS (and jax its XLA client)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)
    if ARGS.threads == 1:
        os.environ["XLA_FLAGS"] = (os.environ.get("XLA_FLAGS", "")
                                   + " --xla_cpu_multi_thread_eigen=false"
                                   " intra_op_parallelism_threads=1")
if ARGS.coretype:
    os.environ["OPENBLAS_CORETYPE"] = ARGS.coretype

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from micrograd_plus import Tensor, losses, nn, no_grad, optim, trace  # noqa: E402
from micrograd_plus.data import make_moons  # noqa: E402

ALPHA = 1e-4
LR = 0.05
OURS = "micrograd_plus Tensor"
TRACED = "micrograd_plus traced"
PEERS = {  # row name: (module to import, how to install it)
    "PyTorch eager": ("torch", "pip install torch"),
    "JAX jit": ("jax", "pip install jax"),
    "HIPS autograd": ("autograd", "pip install autograd"),
    "MyGrad": ("mygrad", "pip install mygrad"),
}
Weights = list[tuple[np.ndarray, np.ndarray]]  # (W of shape (out, in), b of shape (out,))


def make_blobs3d(n: int = 1000, seed: int = 2) -> tuple[np.ndarray, np.ndarray]:
    """Two classes of 3-D points (the seeds' 3-D classification data)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, 3)) + y[:, None] * 1.5
    return X, y


class Workload:
    """A training problem every peer solves: data, layer sizes, activation, loss."""

    def __init__(self, title: str, X: np.ndarray, y: np.ndarray, sizes: list[int],
                 act: str, loss: str, steps: int) -> None:
        self.title, self.X, self.y, self.sizes = title, X, y, sizes
        self.act, self.loss, self.steps = act, loss, steps
        self.model = ours_model(sizes, act)

    def weights(self) -> Weights:
        """Copies of the initial weights (every peer trains its own copy)."""
        lins = [m for m in self.model.modules() if isinstance(m, nn.Linear)]
        return [(m.weight.data.copy(), m.bias.data.copy()) for m in lins]


# -- micrograd_plus -------------------------------------------------------------------------
def ours_model(sizes: list[int], act: str) -> nn.Sequential:
    mods: list = []
    for k in range(len(sizes) - 1):
        mods.append(nn.Linear(sizes[k], sizes[k + 1], seed=k))
        if k < len(sizes) - 2:
            mods.append(nn.ReLU() if act == "relu" else nn.Tanh())
    return nn.Sequential(*mods)


def ours_setup(w: Workload) -> tuple[list, Callable[[], Tensor]]:
    """The parameters and the step (returning the loss Tensor) of micrograd_plus."""
    model = ours_model(w.sizes, w.act)
    for m, (W, b) in zip([m for m in model.modules() if isinstance(m, nn.Linear)],
                         w.weights()):
        m.weight.data[...] = W
        m.bias.data[...] = b
    params = model.parameters()
    opt = optim.SGD(params, lr=LR)
    Xt, yt = Tensor(w.X), Tensor(w.y)

    def step() -> Tensor:
        scores = model(Xt)
        if w.loss == "margin":
            loss = (1.0 - yt * scores).relu().mean() + ALPHA * sum((p * p).sum() for p in params)
        else:
            loss = losses.cross_entropy(scores, w.y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    return params, step


def ours_step(w: Workload) -> Callable[[], float]:
    _, step = ours_setup(w)
    return lambda: step().item()


def traced_step(w: Workload) -> Callable[[], float]:
    """The same step under micrograd_plus.trace, its two recording calls undone."""
    params, step = ours_setup(w)
    initial = [p.data.copy() for p in params]
    replay = trace(step)
    replay()
    replay()  # recorded and compiled: from now on every call replays
    with no_grad():
        for p, data in zip(params, initial):
            p.copy_(data)  # in place: the replay reads the parameters' current arrays
    return lambda: replay().item()


# -- PyTorch eager --------------------------------------------------------------------------
def torch_step(w: Workload) -> Callable[[], float]:
    import torch
    import torch.nn.functional as F

    params = [torch.tensor(a, requires_grad=True) for pair in w.weights() for a in pair]
    opt = torch.optim.SGD(params, lr=LR)
    X, y = torch.tensor(w.X), torch.tensor(w.y)
    act = torch.relu if w.act == "relu" else torch.tanh

    def step() -> float:
        h = X
        for k in range(0, len(params), 2):
            h = F.linear(h, params[k], params[k + 1])
            if k < len(params) - 2:
                h = act(h)
        if w.loss == "margin":
            loss = torch.relu(1.0 - y * h).mean() + ALPHA * sum((p * p).sum() for p in params)
        else:
            loss = F.cross_entropy(h, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    return step


# -- the numpy-style peers: one loss function, written once per array module ----------------
def _loss_fn(xp: Any, relu: Callable, logsumexp: Callable, w: Workload) -> Callable:
    """loss(params, X, y) in array module ``xp`` (jax.numpy or autograd.numpy)."""
    act = relu if w.act == "relu" else xp.tanh

    def loss(params: list, X: Any, y: Any) -> Any:
        h = X
        for k, (W, b) in enumerate(params):
            h = h @ W.T + b
            if k < len(params) - 1:
                h = act(h)
        if w.loss == "margin":
            reg = sum(xp.sum(W * W) + xp.sum(b * b) for W, b in params)
            return xp.mean(relu(1.0 - y * h)) + ALPHA * reg
        return xp.mean(logsumexp(h) - h[np.arange(len(y)), y])

    return loss


def jax_step(w: Workload) -> Callable[[], float]:
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    loss = _loss_fn(jnp, jax.nn.relu, lambda h: jax.nn.logsumexp(h, axis=1), w)

    @jax.jit
    def train(params: list, X: Any, y: Any) -> tuple[Any, list]:
        value, grads = jax.value_and_grad(loss)(params, X, y)
        return value, jax.tree_util.tree_map(lambda p, g: p - LR * g, params, grads)

    cpu = jax.devices("cpu")[0]
    state = {"params": jax.device_put([tuple(pair) for pair in w.weights()], cpu)}
    X, y = jax.device_put(w.X, cpu), jax.device_put(w.y, cpu)

    def step() -> float:
        value, state["params"] = train(state["params"], X, y)
        return float(value)  # waits for the result, as .item() does

    return step


def autograd_step(w: Workload) -> Callable[[], float]:
    import autograd
    import autograd.numpy as anp

    def logsumexp(h: Any) -> Any:
        m = anp.max(h, axis=1, keepdims=True)
        return (m + anp.log(anp.sum(anp.exp(h - m), axis=1, keepdims=True)))[:, 0]

    loss = _loss_fn(anp, lambda h: anp.maximum(h, 0.0), logsumexp, w)
    value_and_grad = autograd.value_and_grad(loss)
    params = w.weights()

    def step() -> float:
        value, grads = value_and_grad(params, w.X, w.y)
        for (W, b), (gW, gb) in zip(params, grads):
            W -= LR * gW
            b -= LR * gb
        return float(value)

    return step


def mygrad_step(w: Workload) -> Callable[[], float]:
    import mygrad as mg
    from mygrad.nnet.activations import relu
    from mygrad.nnet.losses import softmax_crossentropy

    params = [(mg.tensor(W), mg.tensor(b)) for W, b in w.weights()]
    act = relu if w.act == "relu" else mg.tanh

    def step() -> float:
        h = w.X
        for k, (W, b) in enumerate(params):
            h = mg.matmul(h, W.T) + b
            if k < len(params) - 1:
                h = act(h)
        if w.loss == "margin":
            reg = sum(mg.sum(W * W) + mg.sum(b * b) for W, b in params)
            loss = mg.mean(relu(1.0 - w.y * h)) + ALPHA * reg
        else:
            loss = softmax_crossentropy(h, w.y)
        loss.backward()
        for W, b in params:
            W.data -= LR * W.grad  # in place: the tensors stay the same leaves
            b.data -= LR * b.grad
        return loss.item()

    return step


BUILDERS = {OURS: ours_step, TRACED: traced_step, "PyTorch eager": torch_step, "JAX jit": jax_step,
            "HIPS autograd": autograd_step, "MyGrad": mygrad_step}


# -- running --------------------------------------------------------------------------------
def installed(name: str) -> bool:
    import importlib.util

    return name in (OURS, TRACED) or importlib.util.find_spec(PEERS[name][0]) is not None


def time_steps(step: Callable[[], float], n: int) -> float:
    """Seconds per step over n consecutive steps."""
    t0 = time.perf_counter()
    for _ in range(n):
        step()
    return (time.perf_counter() - t0) / n


def run(w: Workload, rounds: int) -> dict[str, list[float]]:
    """ms/step samples of every installed peer; stops if any loss of steps 1-2 disagrees."""
    steps = {name: BUILDERS[name](w) for name in BUILDERS if installed(name)}
    first = {name: [f(), f()] for name, f in steps.items()}  # also warms up (JAX compiles)
    for k in range(2):
        ref = first[OURS][k]
        for name, got in first.items():
            if not math.isclose(got[k], ref, rel_tol=1e-9, abs_tol=1e-12):
                raise SystemExit(f"{w.title}: loss of step {k + 1}: {name} gives {got[k]!r}, "
                                 f"{OURS} {ref!r}")
    print(f"equal-loss check, {w.title}: steps 1 and 2 give {first[OURS][0]:.12f} and "
          f"{first[OURS][1]:.12f} (rel 1e-9) in {', '.join(first)}")
    if rounds > 1:
        for f in steps.values():
            f()  # one more warm-up step each
    samples: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(rounds):
        for name, f in steps.items():
            gc.collect()  # start clean: one engine's garbage must not bill the next
            samples[name].append(1e3 * time_steps(f, w.steps))
    return samples


def print_table(w: Workload, samples: dict[str, list[float]]) -> None:
    print(f"\n{w.title} ({w.steps} steps per turn)")
    print(f"{'peer':<24}{'ms/step [min–max]':>30}  {'Tensor (eager) is':<20}traced is")
    ours, traced = (statistics.median(samples[k]) for k in (OURS, TRACED))
    for name in BUILDERS:
        if name not in samples:
            print(f"{name:<24}{'not installed':>30}  ({PEERS[name][1]}, or the 'bench' extra)")
            continue
        ms = samples[name]
        med = statistics.median(ms)
        spread = f"{med:.3f} [{min(ms):.3f}–{max(ms):.3f}]"
        notes = ["" if name in (OURS, TRACED) and (name == key or key == TRACED)
                 else f"{med / mine:.2f}x faster" if med >= mine else f"{mine / med:.2f}x slower"
                 for key, mine in ((OURS, ours), (TRACED, traced))]
        print(f"{name:<24}{spread:>30}  {notes[0]:<20}{notes[1]}".rstrip())


# -- the machine ----------------------------------------------------------------------------
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


def blas_lines() -> list[str]:
    """What does the linear algebra for each library, and on how many threads."""
    lines = []
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        lines.append("numpy BLAS: (pip install threadpoolctl to see the library, kernel and "
                     f"threads); OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')}")
    else:
        for pool in threadpool_info():
            if pool.get("user_api") != "blas":
                continue
            kernel = pool.get("architecture") or "?"
            lines.append(f"numpy BLAS: {pool.get('internal_api')} {pool.get('version')}, "
                         f"kernel {kernel} (OPENBLAS_CORETYPE="
                         f"{os.environ.get('OPENBLAS_CORETYPE', 'unset')}), "
                         f"{pool.get('num_threads')} threads "
                         "(micrograd_plus, HIPS autograd, MyGrad)")
    if installed("PyTorch eager"):
        import torch

        cfg = torch.__config__.show()
        blas = "MKL" if "BLAS_INFO=mkl" in cfg else "its bundled BLAS"
        lines.append(f"PyTorch {torch.__version__}: {blas}, CPU capability "
                     f"{torch.backends.cpu.get_cpu_capability()}, {torch.get_num_threads()} "
                     "threads")
    if installed("JAX jit"):
        import jax

        lines.append(f"JAX {jax.__version__}: XLA CPU (its own Eigen kernels), "
                     f"XLA_FLAGS={os.environ.get('XLA_FLAGS', 'unset')!r}")
    return lines


def main() -> None:
    quick = ARGS.quick
    rounds = 1 if quick else ARGS.repeats
    if installed("PyTorch eager"):
        import torch

        torch.set_num_threads(ARGS.threads or os.cpu_count() or 1)
    load = ", ".join(f"{v:.2f}" for v in os.getloadavg())
    print(f"machine : {machine()}")
    print(f"date    : {time.strftime('%Y-%m-%d %H:%M %Z')}; load average {load} "
          "(1, 5, 15 min)")
    print(f"python {platform.python_version()}, numpy {np.__version__}; float64")
    for line in blas_lines():
        print(line)
    print(f"{rounds} interleaved rounds; median ms/step [min–max] over the rounds")

    X, y01 = make_moons(100, noise=0.1, seed=1)
    y = (2.0 * y01 - 1.0)[:, None]  # labels ±1 as a column, for the max-margin loss
    wide_n = 200 if quick else 1000  # a smoke run needs the logic, not the full matmuls
    Xw, yw = make_blobs3d(wide_n)
    workloads = [
        Workload("(a) moons MLP 2-16-16-1, 100 samples", X, y, [2, 16, 16, 1], "relu",
                 "margin", steps=5 if quick else 200),
        Workload(f"(b) MLP 3-64-256-1024-2, {wide_n} samples", Xw, yw, [3, 64, 256, 1024, 2],
                 "tanh", "cross_entropy", steps=1 if quick else 10),
    ]
    results = [(w, run(w, rounds)) for w in workloads]
    for w, samples in results:
        print_table(w, samples)
    print("\nms per training step (forward, loss, gradient, SGD update); 'traced': the "
          "step under micrograd_plus.trace.")


if __name__ == "__main__":
    main()
