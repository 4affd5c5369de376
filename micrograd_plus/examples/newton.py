"""Newton's method on the seed surface J(w1, w2) = w1² + w2² + 2·w2 + 5 (WORKED_EXAMPLES.md §4).

Gradient descent only uses the slope ∇J; Newton's method also uses the curvature, the
Hessian H (the second derivatives), and jumps to the minimum of the local quadratic model:

    w ← w − H⁻¹·∇J(w)

The Hessian comes from gradients of gradients: ``grad(J, [w1, w2], create_graph=True)``
returns ∂J/∂w1 = 2·w1 and ∂J/∂w2 = 2·w2 + 2 as Values with a graph of their own, and
differentiating those again gives H = [[2, 0], [0, 2]]. J is quadratic, so its model is
exact: from A = (−2, 3), ∇J = (−4, 8), H⁻¹∇J = (−2, 4), and one step lands on the minimum
(0, −1), J = 4. Gradient descent with learning rate 0.1 (``gd_surface``) shrinks the distance
to the minimum by 0.8 per step and is still at ≈ (−0.023, −0.954) after 20 steps.

    python -m micrograd_plus.examples.newton
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np
from rich.table import Table

from ..core.autograd import grad
from ..demos.common import pyplot
from ..core.value import Value
from . import gd_surface
from .output import console, num, vec, write_graph

START = gd_surface.START
MINIMUM = gd_surface.MINIMUM
J = gd_surface.J


# the look of docs/images/newton_gradient.svg, which `render newton` draws
IMAGE_STYLE = dict(precision=2, title="∇J at A as graphs (create_graph=True): "
                   "differentiated again, they give the Hessian")


def build(w: Sequence[float] = START, backward: bool = False) -> dict:
    """The graph of J at ``w``; with ``backward``, also ∂J/∂w1 and ∂J/∂w2 as graph nodes
    (``dJ_dw1`` = 2·w1, ``dJ_dw2`` = 2·w2 + 2), from ``grad(..., create_graph=True)``, which
    are what the example's image draws (``image``)."""
    built = gd_surface.build(w)
    if backward:
        d1, d2 = grad(built["J"], [built["w1"], built["w2"]], create_graph=True)
        d1.label, d2.label = "∂J/∂w1", "∂J/∂w2"
        built.update(dJ_dw1=d1, dJ_dw2=d2, image=[d1, d2])
    return built


def derivatives(w: Sequence[float]) -> dict:
    """J(w), the gradient ∇J(w) and the Hessian H(w), by differentiating twice.

    ∂J/∂w_i is computed with ``create_graph=True`` (a Value with a graph); H_ij is the
    gradient of that Value with respect to w_j (0 where it does not depend on w_j).
    """
    g = gd_surface.build(w)
    weights = [g["w1"], g["w2"]]
    first = grad(g["J"], weights, create_graph=True)
    hessian = []
    for d in first:
        if isinstance(d, Value) and d.requires_grad:
            row = grad(d, weights, allow_unused=True)
            hessian.append([0.0 if h is None else float(h) for h in row])
        else:  # a constant derivative: its own derivatives are 0
            hessian.append([0.0, 0.0])
    return {"J": g["J"].data, "grad": tuple(float(d) for d in first), "hessian": hessian,
            "first": first}


def newton(start: Sequence[float] = START, steps: int = 1) -> list[dict]:
    """The path: row k holds w, J(w), ∇J(w), H(w) and the Newton step −H⁻¹∇J taken from w."""
    w = np.array(start, dtype=float)
    path = []
    for k in range(steps + 1):
        d = derivatives(w)
        step = -np.linalg.solve(np.array(d["hessian"]), np.array(d["grad"]))
        path.append({"step": k, "w": tuple(float(x) for x in w), "J": d["J"],
                     "grad": d["grad"], "hessian": d["hessian"],
                     "newton_step": tuple(float(x) for x in step)})
        w = w + step
    return path


def plot_paths(newton_path: list[dict], gd_path: list[dict], filename: str | Path
               ) -> Path | None:
    """Both paths on the contour plot of ``gd_surface`` (None without matplotlib)."""
    plt = pyplot()
    if plt is None:
        return None
    fig, ax = gd_surface.contour_axes(plt)
    gd_surface.draw_path(ax, gd_path, "o-", "#d62728",
                         f"gradient descent: {len(gd_path) - 1} steps, lr {gd_surface.LR}")
    # on this round bowl both go straight down the same line; Newton knows how far to go
    gd_surface.draw_path(ax, newton_path, "s", "#1f77b4",
                         f"Newton: {len(newton_path) - 1} step, w − H⁻¹·∇J")
    for a, b in zip(newton_path, newton_path[1:]):
        ax.annotate("", b["w"], a["w"], arrowprops={
            "arrowstyle": "-|>", "color": "#1f77b4", "lw": 1.8, "shrinkA": 4, "shrinkB": 6,
            "connectionstyle": "arc3,rad=-0.35"})
    ax.annotate("1 Newton step", (0.1, 1.4), color="#1f77b4")
    ax.set_title("J = w1² + w2² + 2·w2 + 5: Newton vs gradient descent")
    return gd_surface.save(plt, fig, ax, filename)


def main(out_dir: str | Path = "out") -> int:
    console.rule("[bold]Newton's method on J(w1, w2) = w1² + w2² + 2·w2 + 5")
    path = newton(steps=2)
    at_a = path[0]
    hessian = "[" + ", ".join("[" + ", ".join(num(h) for h in row) + "]"
                              for row in at_a["hessian"]) + "]"
    console.print(f"at A = {vec(at_a['w'])}: J = {num(at_a['J'])}, ∇J = {vec(at_a['grad'])}, "
                  f"Hessian H = {hessian}")
    table = Table(title="Newton: w ← w − H⁻¹·∇J")
    for col in ("step", "w1", "w2", "J", "∂J/∂w1", "∂J/∂w2", "−H⁻¹∇J"):
        table.add_column(col, justify="right")
    for row in path:
        table.add_row(str(row["step"]), num(row["w"][0]), num(row["w"][1]), num(row["J"]),
                      num(row["grad"][0]), num(row["grad"][1]), vec(row["newton_step"]))
    console.print(table)
    gd = gd_surface.descend()
    table = Table(title=f"gradient descent: w ← w − {gd_surface.LR}·∇J")
    for col in ("step", "w1", "w2", "J"):
        table.add_column(col, justify="right")
    for row in gd:
        table.add_row(str(row["step"]), num(row["w"][0]), num(row["w"][1]), num(row["J"]))
    console.print(table)
    end = gd[-1]
    console.print(f"Newton: 1 step to {vec(path[1]['w'])}, J = {num(path[1]['J'])} (the minimum); "
                  f"gradient descent: {len(gd) - 1} steps to ({num(end['w'][0], 3)}, "
                  f"{num(end['w'][1], 3)}), J = {num(end['J'])}")
    write_graph(build(backward=True)["image"], out_dir, "newton_gradient", **IMAGE_STYLE)
    plotted = plot_paths(path[:2], gd, Path(out_dir) / "newton.png")
    console.print(f"wrote {plotted}" if plotted else
                  "matplotlib is not installed: no contour plot (pip install matplotlib)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
