"""A gradient penalty: ‖∇ₓ f(x)‖² added to the loss of a small Tensor MLP.

    loss(θ) = mse(f(x), t) + λ · mean_n ‖∂f(x_n)/∂x_n‖²

The penalty asks for a function that is flat in its input (a smoothness prior, the idea
behind WGAN-GP and double backpropagation). It is a function of a gradient, so training it
needs the gradient of a gradient: ``grad(f(x).sum(), [x], create_graph=True)`` gives
∇ₓ f as a Tensor with a graph (row n is ∂f(x_n)/∂x_n, since each output depends only on its
own row), and ``loss.backward()`` then differentiates through that graph, ∂/∂θ of ∂f/∂x.
The same run in PyTorch, with ``torch.autograd.grad(..., create_graph=True)``, gives the
same losses and weights at every step.

    python -m micrograd_plus.examples.gradient_penalty
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table

from .. import losses, nn, optim
from ..core.autograd import grad
from ..core.tensor import Tensor
from .output import console, num

SEED = 0
N = 16  # samples
LAM = 0.5  # weight λ of the penalty
LR = 0.1
STEPS = 20


def dataset(seed: int = SEED) -> tuple[np.ndarray, np.ndarray]:
    """N points in [−1, 1]² and targets t = sin(2·x₁)·x₂ (shape (N, 1))."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, (N, 2))
    return x, (np.sin(2.0 * x[:, 0]) * x[:, 1]).reshape(N, 1)


def make_model(seed: int = SEED) -> nn.Sequential:
    """Linear(2, 8) → Tanh → Linear(8, 1), PyTorch's initialisation, seeded."""
    rng = np.random.default_rng(seed + 1)
    return nn.Sequential(nn.Linear(2, 8, seed=rng), nn.Tanh(), nn.Linear(8, 1, seed=rng))


def loss_terms(model: Any, x: np.ndarray, t: np.ndarray, lam: float = LAM) -> dict:
    """The fit, the penalty mean_n ‖∇ₓ f(x_n)‖² and their sum, as Tensors with graphs."""
    xt = Tensor(x, requires_grad=True)
    out = model(xt)
    (gx,) = grad(out.sum(), [xt], create_graph=True)  # a Tensor with a graph: (N, 2)
    penalty = (gx * gx).sum(axis=1).mean()
    fit = losses.mse(out, t)
    return {"loss": fit + lam * penalty, "fit": fit, "penalty": penalty, "grad_x": gx}


def build(backward: bool = False) -> dict:
    """The loss at the initial weights; ``root`` is the loss (its graph holds ∇ₓ f)."""
    model = make_model()
    terms = loss_terms(model, *dataset())
    if backward:
        terms["loss"].backward()
    return {"root": terms["loss"], "model": model, **terms}


def train(steps: int = STEPS, lam: float = LAM, lr: float = LR) -> dict:
    """SGD on the penalised loss; ``rows[k]`` holds the loss terms before step k+1."""
    x, t = dataset()
    model = make_model()
    opt = optim.SGD(model.parameters(), lr=lr)
    rows = []
    for k in range(steps + 1):
        terms = loss_terms(model, x, t, lam)
        rows.append({"step": k, "loss": terms["loss"].item(), "fit": terms["fit"].item(),
                     "penalty": terms["penalty"].item()})
        if k == steps:
            break
        opt.zero_grad()
        terms["loss"].backward()
        opt.step()
    return {"rows": rows, "model": model}


def train_torch(steps: int = STEPS, lam: float = LAM, lr: float = LR) -> dict | None:
    """The same run in PyTorch (float64, the same initial weights), or None without torch."""
    try:
        import torch
    except ImportError:
        return None
    from ..interop import to_torch

    x, t = dataset()
    model = to_torch(make_model())
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    target = torch.tensor(t)
    rows = []
    for k in range(steps + 1):
        xt = torch.tensor(x, requires_grad=True)
        out = model(xt)
        (gx,) = torch.autograd.grad(out.sum(), [xt], create_graph=True)
        penalty = (gx * gx).sum(1).mean()
        fit = torch.nn.functional.mse_loss(out, target)
        loss = fit + lam * penalty
        rows.append({"step": k, "loss": loss.item(), "fit": fit.item(),
                     "penalty": penalty.item()})
        if k == steps:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    return {"rows": rows, "model": model}


def main(out_dir: str | Path = "out") -> int:
    console.rule("[bold]Gradient penalty: mse + λ·‖∇ₓ f(x)‖² on a 2-8-1 tanh MLP")
    ours = train()
    theirs = train_torch()
    plain = train(lam=0.0)
    table = Table(title=f"SGD lr {LR}, λ = {LAM}, {N} samples"
                  + (" (PyTorch alongside)" if theirs else ""))
    for col in ("step", "loss", "mse", "‖∇ₓf‖²", "PyTorch loss", "‖∇ₓf‖² without penalty"):
        table.add_column(col, justify="right")
    for k, row in enumerate(ours["rows"]):
        torch_loss = num(theirs["rows"][k]["loss"], 10) if theirs else "—"
        table.add_row(str(row["step"]), num(row["loss"], 10), num(row["fit"]),
                      num(row["penalty"]), torch_loss, num(plain["rows"][k]["penalty"]))
    console.print(table)
    if theirs:
        worst = max(abs(a["loss"] - b["loss"]) for a, b in zip(ours["rows"], theirs["rows"]))
        console.print(f"largest difference from PyTorch's losses over {STEPS} steps: "
                      f"{worst:.1e}")
    else:
        console.print("PyTorch is not installed: no comparison (pip install torch)")
    end, free = ours["rows"][-1], plain["rows"][-1]
    console.print(f"after {STEPS} steps: ‖∇ₓf‖² = {num(end['penalty'])} with the penalty, "
                  f"{num(free['penalty'])} without it")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
