"""Bing Li's lecture 5 slides: PyTorch's autograd examples in Values and in Tensors.

``x = ones(2, 2)`` (tracked), ``y = x + 2``, ``z = y * y * 2``, ``out = z.mean()``: every z is
18, out = 18, and ∂out/∂x_ij = ¼ · 4·y_ij = 3. A second ``backward()`` without zeroing adds
the same gradient again (6), as in PyTorch. The program runs element by element in scalar
Values (``build``) and as one 2×2 Tensor (``build_tensor``).

The slides' "a graph is created on the fly" RNN cell (``build_rnn``): ``x`` (1×10),
``prev_h`` (1×20), ``W_h`` (20×20), ``W_x`` (20×10), ``i2h = W_x·xᵀ``, ``h2h = W_h·prev_hᵀ``,
``next_h = tanh(i2h + h2h)``, ``loss = next_h.sum()``, with seeded normal numbers in place
of ``randn``. Everything is compared with PyTorch when it is installed.

    python -m micrograd_plus.examples.torch_tutorial
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from rich.table import Table

from ..core.value import Value, vsum
from ..core.tensor import Tensor
from .output import console, num, write_graph


# the look of docs/images/torch_tutorial.svg (also `micrograd-plus render`'s default)
GRAPH_STYLE = dict(rankdir="TB", record="stacked", precision=2,
                   title="out = mean(2·(x + 2)²) after backward(): x.grad = 3")


def build(backward: bool = False) -> dict:
    """The graph in Values; returns ``root`` (= ``out``) and 2×2 lists ``x``, ``y``, ``z``.

    The numbers 2, 2 and 4 are constants, as in PyTorch: they get no gradient.
    """
    x = [[Value(1.0, label=f"x_{i}{j}") for j in (1, 2)] for i in (1, 2)]
    y = [[xij + _const(2.0) for xij in row] for row in x]
    z = [[yij * yij * _const(2.0) for yij in row] for row in y]
    for i in range(2):
        for j in range(2):
            y[i][j].label = f"y_{i + 1}{j + 1}"
            z[i][j].label = f"z_{i + 1}{j + 1}"
    out = vsum([zij for row in z for zij in row]) / _const(4.0)
    out.label = "out"
    if backward:
        out.backward()
    return {"root": out, "out": out, "x": x, "y": y, "z": z}


def _const(v: float) -> Value:
    return Value(v, requires_grad=False)


def run() -> dict:
    """out, z, x.grad after one backward() and after a second one (Values)."""
    g = build()
    g["out"].backward()
    first = [[v.grad for v in row] for row in g["x"]]
    g["out"].backward()
    second = [[v.grad for v in row] for row in g["x"]]
    return {"out": g["out"].data, "z": [[v.data for v in row] for row in g["z"]],
            "grad_once": first, "grad_twice": second}


def build_tensor(backward: bool = False) -> dict:
    """The same program on one 2×2 Tensor: ``root`` (= ``out``) and the Tensors ``x``, ``y``,
    ``yy`` (= y·y), ``z``. The intermediates keep their ``.grad`` (``retain_grad()``)."""
    x = Tensor(np.ones((2, 2)), requires_grad=True, label="x")
    y = x + 2
    yy = y * y
    z = yy * 2
    out = z.mean()
    for node, label in ((y, "y"), (yy, "y·y"), (z, "z"), (out, "out")):
        node.label = label
        node.retain_grad()
    if backward:
        out.backward()
    return {"root": out, "out": out, "x": x, "y": y, "yy": yy, "z": z}


def run_tensor() -> dict:
    """out, z, x.grad after one backward() and after a second one (one Tensor)."""
    g = build_tensor()
    g["out"].backward()
    first = g["x"].grad.tolist()
    g["out"].backward()
    return {"out": float(g["out"].data), "z": g["z"].data.tolist(), "grad_once": first,
            "grad_twice": g["x"].grad.tolist()}


RNN_SHAPES = {"x": (1, 10), "prev_h": (1, 20), "W_h": (20, 20), "W_x": (20, 10)}
RNN_INPUTS = tuple(RNN_SHAPES)


def rnn_inputs(seed: int = 0) -> dict[str, np.ndarray]:
    """The slide's ``torch.randn`` inputs, drawn from a seeded numpy generator."""
    rng = np.random.default_rng(seed)
    return {name: rng.standard_normal(shape) for name, shape in RNN_SHAPES.items()}


def build_rnn(backward: bool = False, seed: int = 0) -> dict:
    """The RNN cell as a Tensor graph: ``root`` (= ``loss``) and every named Tensor.

    All four inputs require grad, so the drawing shows ∂loss/∂W and the gradient that flows
    back to the previous hidden state; intermediates keep theirs (``retain_grad()``).
    """
    t = {name: Tensor(a, requires_grad=True, label=name) for name, a in rnn_inputs(seed).items()}
    t["xᵀ"] = t["x"].T
    t["prev_hᵀ"] = t["prev_h"].T
    t["i2h"] = t["W_x"] @ t["xᵀ"]
    t["h2h"] = t["W_h"] @ t["prev_hᵀ"]
    t["i2h + h2h"] = t["i2h"] + t["h2h"]
    t["next_h"] = t["i2h + h2h"].tanh()
    t["loss"] = t["next_h"].sum()
    for name, node in t.items():
        if name not in RNN_SHAPES:
            node.label = name
            node.retain_grad()
    if backward:
        t["loss"].backward()
    return {"root": t["loss"], **t}


def run_rnn(seed: int = 0) -> dict:
    """loss, next_h and the four inputs' gradients (numpy arrays)."""
    g = build_rnn(backward=True, seed=seed)
    result = {"loss": float(g["loss"].data), "next_h": g["next_h"].data}
    result.update({f"grad_{name}": g[name].grad for name in RNN_INPUTS})
    return result


def run_rnn_torch(seed: int = 0) -> dict | None:
    """The slide's program in PyTorch (float64) on the same numbers; None without torch."""
    try:
        import torch
    except ImportError:
        return None
    t = {name: torch.tensor(a, requires_grad=True) for name, a in rnn_inputs(seed).items()}
    i2h = torch.mm(t["W_x"], t["x"].t())
    h2h = torch.mm(t["W_h"], t["prev_h"].t())
    next_h = (i2h + h2h).tanh()
    loss = next_h.sum()
    loss.backward()
    result = {"loss": loss.item(), "next_h": next_h.detach().numpy()}
    result.update({f"grad_{name}": t[name].grad.numpy() for name in RNN_INPUTS})
    return result


def run_torch() -> dict | None:
    """The same program in PyTorch (float64), or None when torch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    x = torch.ones(2, 2, dtype=torch.float64, requires_grad=True)
    y = x + 2
    z = y * y * 2
    out = z.mean()
    out.backward(retain_graph=True)
    first = x.grad.tolist()
    out.backward()
    return {"out": out.item(), "z": z.tolist(), "grad_once": first,
            "grad_twice": x.grad.tolist()}


def main(out_dir: str | Path = "out") -> int:
    console.rule("[bold]PyTorch's autograd examples in Values and Tensors")
    ours, tensor, theirs = run(), run_tensor(), run_torch()
    table = Table(title="x = ones(2,2); y = x + 2; z = y·y·2; out = z.mean()")
    table.add_column("quantity")
    table.add_column("scalar Values", justify="right")
    table.add_column("one Tensor", justify="right")
    table.add_column("PyTorch" if theirs else "PyTorch (not installed)", justify="right")

    def show(r: dict | None, key: str) -> str:
        if r is None:
            return ""
        if key == "out":
            return num(r[key])
        return "[" + ", ".join("[" + ", ".join(num(v) for v in row) + "]"
                               for row in r[key]) + "]"

    for key, name in (("z", "z"), ("out", "out"), ("grad_once", "x.grad after backward()"),
                      ("grad_twice", "x.grad after a 2nd backward()")):
        table.add_row(name, show(ours, key), show(tensor, key), show(theirs, key))
    console.print(table)
    if theirs is not None:
        same = ours == theirs and tensor == theirs
        console.print("Values and Tensor: identical to PyTorch" if same
                      else "[red]differs from PyTorch[/]")
    _print_rnn()
    write_graph(build(backward=True)["root"], out_dir, "torch_tutorial", **GRAPH_STYLE)
    write_graph(build_tensor(backward=True)["root"], out_dir, "torch_tutorial_tensor",
                rankdir="TB", record="stacked", precision=2, edge_labels=True,
                title="the same program on one 2×2 Tensor: x.grad = 3 in every entry")
    write_graph(build_rnn(backward=True)["root"], out_dir, "rnn_cell", rankdir="TB",
                record="stacked", precision=3, edge_labels=True, max_elements=8,
                title="A graph is created on the fly: next_h = tanh(W_x·xᵀ + W_h·prev_hᵀ), "
                      "loss = Σ next_h (after backward)")
    return 0


def _print_rnn() -> None:
    """The RNN cell's loss and gradients' norms, and the largest difference from PyTorch."""
    ours, theirs = run_rnn(), run_rnn_torch()
    table = Table(title="RNN cell: next_h = tanh(W_x·xᵀ + W_h·prev_hᵀ), loss = Σ next_h")
    table.add_column("quantity")
    table.add_column("shape", justify="right")
    table.add_column("‖micrograd_plus‖", justify="right")
    table.add_column("max |Δ| vs PyTorch" if theirs else "PyTorch (not installed)",
                     justify="right")
    for key in ("loss", "next_h") + tuple(f"grad_{n}" for n in RNN_INPUTS):
        a = np.asarray(ours[key])
        name = key if key in ("loss", "next_h") else f"∂loss/∂{key[5:]}"
        diff = "" if theirs is None else f"{np.max(np.abs(a - theirs[key])):.1e}"
        table.add_row(name, "×".join(map(str, a.shape)) or "scalar",
                      num(float(np.linalg.norm(a.ravel()))), diff)
    console.print(table)


if __name__ == "__main__":
    raise SystemExit(main())
