"""Meng & Ou, Deep Learning Theory and Applications, Example 3.5: a 3-3-2 network with fixed
weights.

Input layer 1 (x, 3 values) → hidden layer 2 (3 neurons) → output layer 3 (2 neurons), with
the textbook's labels: ``w^(l)_ij`` joins neuron j of layer l to neuron i of layer l+1,
``z^(l+1)_i = Σ_j w^(l)_ij a^(l)_j + b^(l)_i`` and ``a^(l+1)_i = φ(z^(l+1)_i)``.

- identity φ: A1 = [180, 300, 450], A2 = [2480, 2220];
- sigmoid φ: Z1 = [180, 300, 450] and Z2 ≈ [27, −24] saturate σ, A2 ≈ [1, 0]. With the loss
  J = ½ Σ (y − a^(3))² on top, the gradient that reaches the weights is multiplied by
  σ'(z) = σ(z)(1 − σ(z)) ≈ 1e−12 … 1e−79: vanishing gradients, drawn pale in the graph.

    python -m micrograd_plus.examples.three_layer
"""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from .. import nn
from ..core.value import Value, vsum
from .output import console, num, vec, write_graph

X = [30.0, 50.0, 20.0]
W1 = [[2.0, 1.0, 3.0], [2.0, 4.0, 1.0], [2.0, 6.0, 5.0]]
B1 = [10.0, 20.0, -10.0]
W2 = [[2.0, 1.0, 4.0], [0.0, 3.0, 3.0]]
B2 = [20.0, -30.0]
TARGET = [0.0, 1.0]  # the network says (1, 0): confidently wrong, yet it cannot learn
ACTIVATIONS = {"identity": "linear", "sigmoid": "sigmoid"}
# how the graphs are drawn (also by `micrograd-plus animate three_layer`)
GRAPH_STYLE = dict(record="stacked", precision=2)


def graph_style(activation: str) -> dict:
    """The look of docs/images/three_layer_ACTIVATION.svg."""
    return dict(color_by_grad=True, **GRAPH_STYLE,
                title=f"Meng & Ou, Example 3.5, {activation} activation, after backward()")


# `micrograd-plus render three_layer`'s default: the image of build()'s default (sigmoid)
IMAGE_STYLE = graph_style("sigmoid")


def build(activation: str = "sigmoid", target: list[float] = TARGET,
          backward: bool = False) -> dict:
    """The network, its forward pass on X and the loss J = ½ Σ_i (y_i − a^(3)_i)².

    Returns ``root`` (= ``J``), ``model`` (an ``nn.MLP``), ``x``, ``z2``/``a2`` (hidden layer),
    ``z3``/``a3`` (output layer; z is a for the identity), ``y`` (targets).
    """
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {list(ACTIVATIONS)}, got {activation!r}")
    model = nn.MLP.from_weights([(W1, B1), (W2, B2)], activation=ACTIVATIONS[activation])
    xs = [Value(v, label=f"x_{j}", requires_grad=False) for j, v in enumerate(X, 1)]
    a2 = model.layers[0](xs)
    a3 = model.layers[1](a2)
    z2, z3 = _label_layer(a2, 2, activation), _label_layer(a3, 3, activation)
    ys = [Value(v, label=f"y_{i}", requires_grad=False) for i, v in enumerate(target, 1)]
    errors = []
    for i, (y, a) in enumerate(zip(ys, a3), 1):
        e = y - a
        e.label = f"e_{i}"
        errors.append(e**2)
    J = Value(0.5, label="½", requires_grad=False) * vsum(errors)
    J.label = "J"
    if backward:
        J.backward()
    return {"root": J, "J": J, "model": model, "x": xs, "z2": z2, "a2": a2, "z3": z3,
            "a3": a3, "y": ys}


def _label_layer(outputs: list[Value], layer: int, activation: str) -> list[Value]:
    """Label a^(layer)_i and, under sigmoid, the z^(layer)_i feeding it; returns the z's."""
    zs = []
    for i, a in enumerate(outputs, 1):
        a.label = f"a^({layer})_{i}"
        z = a._prev[0] if activation == "sigmoid" else a
        if z is not a:
            z.label = f"z^({layer})_{i}"
        zs.append(z)
    return zs


def main(out_dir: str | Path = "out") -> int:
    console.rule("[bold]Meng & Ou, Example 3.5: a 3-3-2 network with fixed weights")
    for activation in ACTIVATIONS:
        g = build(activation, backward=True)
        table = Table(title=f"{activation} activation (loss J = ½ Σ (y − a⁽³⁾)², y = {TARGET})")
        for col in ("layer", "z", "a", "∂J/∂a", "max |∂J/∂w| of the layer's weights"):
            table.add_column(col, justify="right")
        for k, (zs, outs) in enumerate([(g["z2"], g["a2"]), (g["z3"], g["a3"])]):
            weights = [w for n in g["model"].layers[k].neurons for w in n.w]
            table.add_row(str(k + 2), vec([z.data for z in zs], 4), vec([a.data for a in outs], 4),
                          vec([a.grad for a in outs], 3),
                          num(max(abs(w.grad) for w in weights), 3))
        console.print(table)
        write_graph(g["root"], out_dir, f"three_layer_{activation}", model=g["model"],
                    **graph_style(activation))
    console.print(f"parameters: {g['model'].num_parameters()} "
                  "(9 + 3 + 6 + 2 = 20)")
    console.print("Under sigmoid every σ is saturated, σ'(z) ≈ 0: the gradients reaching the "
                  "weights vanish (pale nodes in three_layer_sigmoid.png).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
