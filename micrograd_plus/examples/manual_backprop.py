"""Chaudhury, Math and Architectures of Deep Learning, chapter 8, listings 8.1–8.3:
backpropagation by hand with matrices, next to autograd.

The book's network is layers l = 0 … L of ``z^(l) = W^(l)·a^(l−1) + b^(l)`` and
``a^(l) = σ(z^(l))`` (a^(−1) = x, column vectors), with the loss ``½(a^(L) − y)²`` summed
over the outputs. Its hand-written backward pass (listing 8.3) is

    δ^(L) = (a^(L) − y) ⊙ a^(L) ⊙ (1 − a^(L))
    δ^(l) = (W^(l+1)ᵀ · δ^(l+1)) ⊙ a^(l) ⊙ (1 − a^(l))
    ∂L/∂W^(l) = δ^(l) · a^(l−1)ᵀ,   ∂L/∂b^(l) = δ^(l)

(δ^(l) is ∂L/∂z^(l).) The printed listing computes ``W_grads[l] = δ^l · a[l−1]ᵀ`` for
l = 0 too, where Python's ``a[-1]`` is the *last* layer's activation, not the input x. This
network has as many outputs as inputs (2-3-3-2), so the slip runs without a shape error and
only the numbers of ∂L/∂W^(0) are wrong: autograd and PyTorch (``compare_with_torch``)
disagree with it, and the corrected listing agrees with both to 1e-12.

    python -m micrograd_plus.examples.manual_backprop
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from rich.table import Table

from ..core.autograd import no_grad
from ..debug.chain import fmt
from ..core.tensor import Tensor
from ..viz.format import format_number, pretty_label
from .output import console, write_graph

# the 2-3-3-2 network: W^(l) has shape (outputs, inputs), b^(l) is a column
WEIGHTS = [
    [[0.5, -0.4], [0.3, 0.8], [-0.6, 0.2]],
    [[0.7, -0.5, 0.1], [-0.3, 0.4, 0.9], [0.2, 0.6, -0.8]],
    [[0.6, -0.7, 0.3], [-0.2, 0.5, 0.8]],
]
BIASES = [[[0.1], [-0.2], [0.05]], [[0.0], [0.3], [-0.1]], [[-0.15], [0.2]]]
X = [[0.5], [-1.0]]
Y = [[1.0], [0.0]]


# -- listing 8.1: forward, layer by layer ---------------------------------------------------
def Z(x: Any, W_l: Any, b_l: Any) -> Any:
    """z^(l) = W^(l)·a^(l−1) + b^(l)"""
    return W_l @ x + b_l


def A(z_l: Any) -> Any:
    """a^(l) = σ(z^(l)), elementwise"""
    return z_l.sigmoid()


def forward(x: Any, W: list, b: list) -> Any:
    """a^(L): Z then A for l = 0 … L, each layer reading the previous one's activation."""
    L = len(W) - 1
    a_l = x
    for l in range(L + 1):  # noqa: E741 (the book's l)
        z_l = Z(a_l, W[l], b[l])
        a_l = A(z_l)
    return a_l


# -- listing 8.2: the loss ------------------------------------------------------------------
def mse_loss(a_L: Any, y: Any) -> Any:
    """½(a^(L) − y)², elementwise (its sum over the outputs is the loss L)"""
    return 0.5 * (a_L - y) ** 2


# -- listing 8.3: forward and backward by hand ----------------------------------------------
def forward_backward(x: Tensor, y: Tensor, W: list, b: list,
                     as_printed: bool = True) -> tuple[Any, list, list]:
    """The book's listing 8.3 on Tensors, with no autograd: (loss, W_grads, b_grads).

    ``as_printed=True`` keeps the listing's ``a[l − 1]`` for l = 0 (Python's ``a[-1]``, the
    last layer's activation); ``as_printed=False`` uses the input x there, as the maths says.
    """
    with no_grad():
        L = len(W) - 1
        a = []
        for l in range(L + 1):  # noqa: E741
            a_prev = x if l == 0 else a[l - 1]
            z_l = Z(a_prev, W[l], b[l])
            a.append(A(z_l))
        loss = mse_loss(a[L], y)

        deltas: list = [None] * (L + 1)
        W_grads: list = [None] * (L + 1)
        b_grads: list = [None] * (L + 1)
        a_L = a[L]
        deltas[L] = (a_L - y) * a_L * (1 - a_L)
        W_grads[L] = deltas[L] @ a[L - 1].T
        b_grads[L] = deltas[L]
        for l in range(L - 1, -1, -1):  # noqa: E741
            a_l = a[l]
            deltas[l] = (W[l + 1].T @ deltas[l + 1]) * a_l * (1 - a_l)
            a_before = a[l - 1] if as_printed or l > 0 else x  # the listing: a[-1] at l = 0
            W_grads[l] = deltas[l] @ a_before.T
            b_grads[l] = deltas[l]
    return loss, W_grads, b_grads


# the look of docs/images/manual_backprop.svg (also `micrograd-plus render`'s default)
GRAPH_STYLE = dict(rankdir="TB", edge_labels=True, precision=4, record="stacked",
                   title="L = Σ ½(a⁽²⁾ − y)², after backward(): ∂L/∂z⁽ˡ⁾ is the book's δ⁽ˡ⁾")


def build(backward: bool = False) -> dict:
    """The network's graph in Tensors, labelled like the book; ``root`` is L = Σ ½(a − y)².

    Every intermediate node keeps its gradient (``retain_grad``); after ``backward()``
    ``z^(l).grad`` is δ^(l).
    """
    x = Tensor(X, label="x")
    y = Tensor(Y, label="y")
    W = [Tensor(w, requires_grad=True, label=f"W^({k})") for k, w in enumerate(WEIGHTS)]
    b = [Tensor(v, requires_grad=True, label=f"b^({k})") for k, v in enumerate(BIASES)]
    a_l, zs, acts = x, [], []
    for l in range(len(W)):  # noqa: E741
        product = W[l] @ a_l
        product.label = f"Wa^({l})"
        product.retain_grad()
        z_l = product + b[l]
        z_l.label = f"z^({l})"
        a_l = A(z_l)
        a_l.label = f"a^({l})"
        zs.append(z_l)
        acts.append(a_l)
    error = a_l - y
    error.label = f"a^({len(W) - 1}) − y"
    square = error**2
    square.label = "(a − y)²"
    half = 0.5 * square  # listing 8.2, with its parts labelled
    half.label = "½(a − y)²"
    loss = half.sum()
    loss.label = "L"
    for node in [*zs, *acts, error, square, half]:
        node.retain_grad()  # so the drawing shows every ∂L/∂node, not only the leaves'
    if backward:
        loss.backward()
    return {"root": loss, "x": x, "y": y, "W": W, "b": b, "z": zs, "a": acts}


def tensors() -> tuple[Tensor, Tensor, list, list]:
    """x, y, W, b as plain Tensors (no gradient wanted): the inputs of listing 8.3."""
    return (Tensor(X), Tensor(Y), [Tensor(w) for w in WEIGHTS], [Tensor(v) for v in BIASES])


def autograd_grads() -> dict:
    """∂L/∂W^(l), ∂L/∂b^(l) and δ^(l) = ∂L/∂z^(l) from ``backward()`` on the same network."""
    g = build(backward=True)
    return {"loss": float(g["root"].data), "W": [w.grad for w in g["W"]],
            "b": [v.grad for v in g["b"]], "delta": [z.grad for z in g["z"]]}


def torch_comparison() -> Any:
    """``compare_with_torch`` on the network (None when PyTorch is not installed)."""
    try:
        from ..debug.torchcompare import compare_with_torch

        inputs = {"x": X, "y": Y}
        for l, (w, v) in enumerate(zip(WEIGHTS, BIASES)):  # noqa: E741
            inputs[f"W{l}"], inputs[f"b{l}"] = w, v
        return compare_with_torch(_network_loss, inputs)
    except ImportError:
        return None


def _network_loss(x: Any, y: Any, W0: Any, b0: Any, W1: Any, b1: Any,
                  W2: Any, b2: Any) -> Any:
    """Listings 8.1 and 8.2 written once for micrograd_plus Tensors and torch tensors."""
    return mse_loss(forward(x, [W0, W1, W2], [b0, b1, b2]), y).sum()


def _rows(m: Any) -> str:
    """A matrix one row per line, as a table cell: ``[−0.00281, 0.00563]``."""
    return "\n".join("[" + ", ".join(format_number(float(v), 5).replace("-", "−")
                                     for v in row) + "]" for row in np.atleast_2d(m))


def _sup(l: int) -> str:  # noqa: E741
    return pretty_label(f"^({l})")


def max_diff(a: Any, b: Any) -> float:
    return float(np.max(np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))))


def compare() -> dict:
    """Per layer: the listing as printed, the corrected listing, autograd and PyTorch."""
    x, y, W, b = tensors()
    _, printed_W, printed_b = forward_backward(x, y, W, b, as_printed=True)
    _, fixed_W, fixed_b = forward_backward(x, y, W, b, as_printed=False)
    auto = autograd_grads()
    table = torch_comparison()
    torch_W = None if table is None else [table.row(f"W{k}").torch_grad for k in range(3)]
    return {"printed_W": [t.data for t in printed_W], "printed_b": [t.data for t in printed_b],
            "fixed_W": [t.data for t in fixed_W], "fixed_b": [t.data for t in fixed_b],
            "auto": auto, "torch_W": torch_W, "torch_table": table}


def main(out_dir: str | Path = "out") -> int:
    console.rule("[bold]Chapter 8: backpropagation by hand (listing 8.3) vs autograd")
    r = compare()
    auto = r["auto"]
    console.print(f"L = Σ ½(a⁽²⁾ − y)² = {fmt(auto['loss'])}   (network 2-3-3-2, sigmoid)")
    table = Table(title="∂L/∂W⁽ˡ⁾ = δ⁽ˡ⁾ · a⁽ˡ⁻¹⁾ᵀ and ∂L/∂b⁽ˡ⁾ = δ⁽ˡ⁾ (δ written as a row)")
    table.caption = ("as printed: W_grads[0] = δ⁽⁰⁾ · a[−1]ᵀ;  corrected: δ⁽⁰⁾ · xᵀ;  "
                     "Δ = max |listing − autograd|")
    for name in ("", "listing 8.3 as printed", "autograd (= corrected listing)", "Δ printed",
                 "Δ corrected"):
        table.add_column(name, justify="left" if not name else "right", no_wrap=True)
    for l in range(len(WEIGHTS)):  # noqa: E741
        bad = max_diff(r["printed_W"][l], auto["W"][l])
        good = max_diff(r["fixed_W"][l], auto["W"][l])
        flag = "[bold red]" if bad > 1e-12 else ""
        table.add_row(f"∂L/∂W{_sup(l)}", _rows(r["printed_W"][l]), _rows(auto["W"][l]),
                      f"{flag}{bad:.1e}", f"{good:.1e}", end_section=True)
    for l in range(len(BIASES)):  # noqa: E741
        table.add_row(f"∂L/∂b{_sup(l)} = δ{_sup(l)}", _rows(r["printed_b"][l].T),
                      _rows(auto["b"][l].T), f"{max_diff(r['printed_b'][l], auto['b'][l]):.1e}",
                      f"{max_diff(r['fixed_b'][l], auto['b'][l]):.1e}")
    console.print(table)
    console.print("The listing's W_grads[0] uses a[-1], the [bold]last[/] layer's activation "
                  "(Python's index −1), where the input x belongs: its ∂L/∂W⁽⁰⁾ is wrong, "
                  "and with 2 inputs and 2 outputs no shape error reveals it.")
    if r["torch_table"] is None:
        console.print("[yellow]PyTorch not installed: compare_with_torch skipped.[/]")
    else:
        console.print(f"compare_with_torch: autograd and PyTorch agree, max |Δ grad| = "
                      f"{r['torch_table'].max_grad_diff:.1e} over x, y, W and b")
        for l in range(len(WEIGHTS)):  # noqa: E741
            console.print(f"PyTorch ∂L/∂W{_sup(l)}: |printed − torch| = "
                          f"{max_diff(r['printed_W'][l], r['torch_W'][l]):.2e}, "
                          f"|corrected − torch| = {max_diff(r['fixed_W'][l], r['torch_W'][l]):.2e}")
    write_graph(build(backward=True)["root"], out_dir, "manual_backprop", **GRAPH_STYLE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
