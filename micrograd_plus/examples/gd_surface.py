"""Wang & Huang, Learn Deep Learning with Me, §3.3.3: gradient descent on J(w1, w2) = w1² + w2² +
2·w2 + 5.

Start A = (−2, 3) with J(A) = 24, learning rate 0.1, 20 steps. ∇J = (2·w1, 2·w2 + 2), so each
step multiplies the distance to the minimum (0, −1), J = 4, by 0.8: step 1 goes to (−1.6, 2.2)
with J = 16.8, and after 20 steps w ≈ (−0.023, −0.954).

    python -m micrograd_plus.examples.gd_surface
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import numpy as np
from rich.table import Table

from ..demos.common import pyplot
from ..core.value import Value
from ..files import replacing
from .output import console, num, write_graph

START = (-2.0, 3.0)
LR = 0.1
STEPS = 20
MINIMUM = (0.0, -1.0)


def J(w1: Value, w2: Value) -> Value:
    """J = w1² + w2² + 2·w2 + 5"""
    return w1**2 + w2**2 + 2 * w2 + 5


# the look of docs/images/gd_surface.svg (also `micrograd-plus render gd_surface`'s default)
GRAPH_STYLE = dict(rankdir="TB", record="stacked", precision=2, edge_labels=True,
                   title="J at A = (−2, 3) after backward(): ∇J = (−4, 8)")


def build(w: Sequence[float] = START, backward: bool = False) -> dict:
    """The graph of J at ``w``; returns ``root`` (= ``J``), ``w1`` and ``w2``."""
    w1 = Value(float(w[0]), label="w1")
    w2 = Value(float(w[1]), label="w2")
    out = J(w1, w2)
    out.label = "J"
    if backward:
        out.backward()
    return {"root": out, "J": out, "w1": w1, "w2": w2}


def descend(start: Sequence[float] = START, lr: float = LR, steps: int = STEPS) -> list[dict]:
    """The path: row k holds w, J(w) and ∇J(w) before step k+1 (k = 0 … steps)."""
    w = [float(v) for v in start]
    path = []
    for k in range(steps + 1):
        g = build(w, backward=True)
        grad = (g["w1"].grad, g["w2"].grad)
        path.append({"step": k, "w": tuple(w), "J": g["J"].data, "grad": grad})
        w = [w[0] - lr * grad[0], w[1] - lr * grad[1]]
    return path


def plot_path(path: list[dict], filename: str | Path) -> Path | None:
    """A contour plot of J with the path, if matplotlib is installed (else None)."""
    plt = pyplot()
    if plt is None:
        return None
    fig, ax = contour_axes(plt)
    draw_path(ax, path, "o-", "#d62728", f"{len(path) - 1} steps, lr {LR}")
    return save(plt, fig, ax, filename)


def contour_axes(plt: Any) -> tuple[Any, Any]:
    """A figure with the contour lines of J, its minimum and the start A (no paths yet)."""
    w1, w2 = np.meshgrid(np.linspace(-2.5, 2.5, 200), np.linspace(-3.5, 3.5, 200))
    fig, ax = plt.subplots(figsize=(6, 6), dpi=150)
    cs = ax.contour(w1, w2, w1**2 + w2**2 + 2 * w2 + 5, levels=[4.5, 6, 8, 12, 16.8, 24, 32],
                    cmap="viridis")
    ax.clabel(cs, fontsize=9)
    ax.plot(*MINIMUM, "k*", markersize=12, label="minimum (0, −1), J = 4", zorder=3)
    ax.annotate("A (−2, 3), J = 24", START, textcoords="offset points", xytext=(8, 4))
    ax.set_xlabel("w1")
    ax.set_ylabel("w2")
    ax.set_title("J(w1, w2) = w1² + w2² + 2·w2 + 5")
    ax.set_aspect("equal")
    return fig, ax


def draw_path(ax: Any, path: list[dict], style: str, color: str, label: str) -> None:
    """The points ``row['w']`` of a path, joined in order."""
    ax.plot([row["w"][0] for row in path], [row["w"][1] for row in path], style, color=color,
            markersize=4, label=label)


def save(plt: Any, fig: Any, ax: Any, filename: str | Path) -> Path:
    ax.legend(loc="lower right")
    with replacing(filename) as tmp:
        fig.savefig(tmp, bbox_inches="tight")
    plt.close(fig)
    return Path(filename)


def main(out_dir: str | Path = "out") -> int:
    console.rule("[bold]Gradient descent on J(w1, w2) = w1² + w2² + 2·w2 + 5")
    path = descend()
    table = Table(title=f"start {START}, learning rate {LR}")
    for col in ("step", "w1", "w2", "J", "∂J/∂w1", "∂J/∂w2"):
        table.add_column(col, justify="right")
    for row in path:
        table.add_row(str(row["step"]), num(row["w"][0]), num(row["w"][1]), num(row["J"]),
                      num(row["grad"][0]), num(row["grad"][1]))
    console.print(table)
    console.print(f"minimum {MINIMUM}, J = 4; after {STEPS} steps "
                  f"w = ({num(path[-1]['w'][0], 3)}, {num(path[-1]['w'][1], 3)})")
    write_graph(build(backward=True)["root"], out_dir, "gd_surface", **GRAPH_STYLE)
    plotted = plot_path(path, Path(out_dir) / "gd_surface_path.png")
    console.print(f"wrote {plotted}" if plotted else
                  "matplotlib is not installed: no contour plot (pip install matplotlib)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
