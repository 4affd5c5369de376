"""Wang & Huang, Learn Deep Learning with Me, §3.3.4: the symbolic 3-4-2 network, with the book's
labels.

L = 3 layers with S1 = 3, S2 = 4, S3 = K = 2 neurons. ``w^(l)_ij`` joins neuron j of layer l to
neuron i of layer l+1, ``b^(l)_i`` is neuron i's bias, ``a^(l)_i`` an activation (a^(1) = x,
a^(3) = ŷ) and ``z^(l+1)_i = Σ_j w^(l)_ij a^(l)_j + b^(l)_i``; the loss is J = ½ Σ (y − ŷ)².
Weights are seeded random numbers: the point is the labels on every node of the graph.

    python -m micrograd_plus.examples.neuron_342
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from rich.table import Table

from .. import nn
from ..core.value import Value, vsum
from ..viz import pretty_label
from .output import console, num, write_graph

SIZES = (3, 4, 2)
X = (1.0, 0.5, -1.0)
Y = (1.0, 0.0)


# the look of docs/images/neuron_342.svg (also `micrograd-plus render neuron_342`'s default)
GRAPH_STYLE = dict(record="stacked", precision=3,
                   title="The 3-4-2 network, J = ½ Σ (y − ŷ)², after backward()")


def build(x: Sequence[float] = X, y: Sequence[float] = Y, seed: int = 0,
          backward: bool = False) -> dict:
    """The network (sigmoid everywhere), its forward pass on x and J; every node labelled.

    Returns ``root`` (= ``J``), ``model``, ``a1`` (the inputs), ``z2``, ``a2``, ``z3``, ``a3``.
    """
    model = nn.MLP(SIZES[0], list(SIZES[1:]), activation="sigmoid", out_activation="sigmoid",
                   seed=seed)
    a1 = [Value(float(v), label=f"a^(1)_{j}", requires_grad=False) for j, v in enumerate(x, 1)]
    nodes = {"a1": a1}
    a = a1
    for k, layer in enumerate(model.layers):
        a = layer(a)
        zs = []
        for i, ai in enumerate(a, 1):
            ai.label = f"a^({k + 2})_{i}"
            zi = ai._prev[0]  # the sigmoid's input: the z of this neuron
            zi.label = f"z^({k + 2})_{i}"
            zs.append(zi)
        nodes[f"z{k + 2}"], nodes[f"a{k + 2}"] = zs, a
    ys = [Value(float(v), label=f"y_{i}", requires_grad=False) for i, v in enumerate(y, 1)]
    half = Value(0.5, label="½", requires_grad=False)
    J = half * vsum([(yi - ai) ** 2 for yi, ai in zip(ys, a)])
    J.label = "J"
    if backward:
        J.backward()
    nodes.update(root=J, J=J, model=model, y=ys)
    return nodes


def main(out_dir: str | Path = "out") -> int:
    g = build(backward=True)
    console.rule("[bold]The 3-4-2 network of Wang & Huang §3.3.4 in the book's notation")
    table = Table(title="parameters: w^(l)_ij joins neuron j of layer l to neuron i of layer l+1")
    for col in ("parameter", "joins", "value", "∂J/∂·"):
        table.add_column(col, justify="right")
    for k, layer in enumerate(g["model"].layers, 1):
        for i, neuron in enumerate(layer.neurons, 1):
            for j, w in enumerate(neuron.w, 1):
                source = pretty_label(f"a^({k})_{j}")
                table.add_row(pretty_label(w.label), f"{source} → neuron {i} of layer {k + 1}",
                              num(w.data), num(w.grad))
            table.add_row(pretty_label(neuron.b.label), f"bias of neuron {i}, layer {k + 1}",
                          num(neuron.b.data), num(neuron.b.grad))
    console.print(table)
    console.print(f"{g['model'].num_parameters()} parameters (3·4 + 4 + 4·2 + 2 = 26); "
                  f"ŷ = ({num(g['a3'][0].data)}, {num(g['a3'][1].data)}), J = {num(g['J'].data)}")
    write_graph(g["root"], out_dir, "neuron_342", model=g["model"], **GRAPH_STYLE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
