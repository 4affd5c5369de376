"""Gradients of gradients on one function: y = tanh x, its first and second derivative.

``grad(y, [x], create_graph=True)`` (or ``y.backward(create_graph=True)``) computes dy/dx
with Value operations, so the derivative is a Value with a graph of its own: the backward
pass of tanh, 1 − y·y (tanh's rule times the seed ∂y/∂y = 1), written out as nodes.
Differentiating that graph again gives the second derivative. Both agree with the closed
forms

    dy/dx = 1 − tanh²x,        d²y/dx² = −2·tanh x·(1 − tanh²x)

    python -m micrograd_plus.examples.double_backward
"""

from __future__ import annotations

import math
from pathlib import Path

from rich.table import Table

from ..core.autograd import grad
from ..core.value import Value
from .output import console, num, write_graph

X0 = 0.5
POINTS = (-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0)


# the look of docs/images/double_backward.svg (build()'s root is dy/dx), also `render`'s
GRAPH_STYLE = dict(title="dy/dx of y = tanh x at x = 0.5 as a graph: 1 − y·y")


def build(x: float = X0, backward: bool = False) -> dict:
    """y = tanh x with dy/dx and d²y/dx² as graph nodes; ``root`` is dy/dx.

    With ``backward``, ``dy/dx`` is itself back-propagated, so that ``x.grad`` in its
    drawing is the second derivative.
    """
    xv = Value(float(x), label="x")
    y = xv.tanh()
    y.label = "y = tanh x"
    (dy,) = grad(y, [xv], create_graph=True)
    dy.label = "dy/dx"
    (d2y,) = grad(dy, [xv], create_graph=True)
    d2y.label = "d²y/dx²"
    if backward:
        dy.backward()
    return {"root": dy, "x": xv, "y": y, "dy": dy, "d2y": d2y}


def closed_forms(x: float) -> tuple[float, float, float]:
    """(tanh x, 1 − tanh²x, −2·tanh x·(1 − tanh²x))"""
    t = math.tanh(x)
    return t, 1.0 - t * t, -2.0 * t * (1.0 - t * t)


def table(points: tuple = POINTS) -> list[dict]:
    """Per point: y, both derivatives from the graphs, and the closed forms."""
    rows = []
    for x in points:
        g = build(x)
        t, d1, d2 = closed_forms(x)
        rows.append({"x": x, "y": g["y"].data, "dy": g["dy"].data, "dy_closed": d1,
                     "d2y": g["d2y"].data, "d2y_closed": d2})
    return rows


def main(out_dir: str | Path = "out") -> int:
    console.rule("[bold]tanh, its derivative and its second derivative, by double backward")
    out = Table(title="y = tanh x: dy/dx and d²y/dx² from grad(create_graph=True), "
                      "vs the closed forms")
    for col in ("x", "y", "dy/dx", "1 − tanh²x", "d²y/dx²", "−2·tanh x·(1 − tanh²x)"):
        out.add_column(col, justify="right")
    worst = 0.0
    for row in table():
        out.add_row(num(row["x"]), num(row["y"]), num(row["dy"]), num(row["dy_closed"]),
                    num(row["d2y"]), num(row["d2y_closed"]))
        worst = max(worst, abs(row["dy"] - row["dy_closed"]), abs(row["d2y"] - row["d2y_closed"]))
    console.print(out)
    console.print(f"largest difference from the closed forms: {worst:.1e}")
    g = build()
    console.print(f"at x = {X0}: dy/dx is the node 1 − y·y = {num(g['dy'].data)}, "
                  f"made by the backward pass from y = tanh x")
    write_graph(g["dy"], out_dir, "double_backward", **GRAPH_STYLE)
    write_graph(g["d2y"], out_dir, "double_backward_second",
                title="d²y/dx²: the graph of dy/dx differentiated again")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
