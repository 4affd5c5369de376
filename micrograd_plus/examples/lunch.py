"""Bing Li's lecture 5 slides (Capital Normal University): the lunch-price neuron, trained by the
delta rule.

A cafeteria prices a lunch by its portions of meat, vegetables and staple food; the cashier
only sees totals. The linear neuron ``y = w_meat·x_meat + w_veg·x_veg + w_staple·x_staple``
learns the prices from ``E = ½(t − y)²``. The delta rule ``Δw = ε·x·(t − y)`` is gradient
descent ``Δw = −ε·∂E/∂w``, because ∂E/∂w = −(t − y)·x.

    python -m micrograd_plus.examples.lunch      # or: micrograd-plus example lunch
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Sequence

from rich.table import Table

from ..core.value import Value, dot, vsum
from .output import console, num, vec, write_graph

FOODS = ("meat", "veg", "staple")
SAMPLES: list[tuple[tuple[float, float, float], float]] = [
    ((5, 2, 4), 1250.0),
    ((3, 3, 3), 900.0),
    ((0, 5, 1), 350.0),
]
TRUE_PRICES = (150.0, 50.0, 100.0)
START = (50.0, 50.0, 50.0)
EPSILONS = (Fraction(1, 70), Fraction(1, 12), Fraction(2, 27))
# The slide prints step 3's Δw as (0, −40, −20): it used x_veg = 2 instead of 5.
SLIDE_STEP3_DELTA = (0.0, -40.0, -20.0)


GRAPH_STYLE = dict(rankdir="TB", edge_labels=True, precision=2, record="stacked",
                   title="Lunch prices, step 1: E = ½(t − y)² after backward()")


def build(w: Sequence[float] = START, sample: int = 0, backward: bool = False) -> dict:
    """The graph of E = ½(t − y)² for one sample; ``backward=True`` also fills the grads.

    Returns ``root`` (= ``E``), ``y``, ``error`` (t − y), ``w`` and ``x`` (lists), ``t``,
    and each node by its label (``w_meat``, ``x_meat``, …). The inputs x, the target t and
    the ½ are data (``requires_grad=False``): only the prices get gradients.
    """
    x_values, target = SAMPLES[sample]
    ws = [Value(float(v), label=f"w_{food}") for v, food in zip(w, FOODS)]
    xs = [Value(float(v), label=f"x_{food}", requires_grad=False)
          for v, food in zip(x_values, FOODS)]
    t = Value(target, label="t", requires_grad=False)
    y = dot(ws, xs)
    y.label = "y"
    error = t - y
    error.label = "t − y"
    square = error**2
    square.label = "(t − y)²"
    E = Value(0.5, label="½", requires_grad=False) * square
    E.label = "E"
    if backward:
        E.backward()
    nodes = {"root": E, "E": E, "y": y, "error": error, "t": t, "w": ws, "x": xs}
    nodes.update({v.label: v for v in ws + xs})
    return nodes


def delta_rule(start: Sequence[float] = START,
               epsilons: Sequence[Fraction] = EPSILONS) -> list[dict]:
    """One row per sample: y, t − y, ε, ∂E/∂w, Δw = −ε·∂E/∂w and w after the step."""
    w = [float(v) for v in start]
    rows = []
    for k, eps in enumerate(epsilons):
        g = build(w, sample=k, backward=True)
        grads = [p.grad for p in g["w"]]
        delta = [-float(eps) * gr for gr in grads]
        w = [wi + d for wi, d in zip(w, delta)]
        rows.append({"step": k + 1, "x": SAMPLES[k][0], "t": SAMPLES[k][1], "y": g["y"].data,
                     "error": g["error"].data, "E": g["E"].data, "eps": eps, "grad": grads,
                     "delta": delta, "w": list(w)})
    return rows


def batch_loss(ws: Sequence[Value]) -> Value:
    """E = ½ Σ_n (t_n − y_n)² over the three samples."""
    E = 0.5 * vsum([(t - dot(ws, x)) ** 2 for x, t in SAMPLES])
    E.label = "E"
    return E


def batch_gd(lr: float = 0.02, steps: int = 30000, start: Sequence[float] = START,
             report: Sequence[int] = (0, 1, 10, 100, 1000, 10000)) -> tuple[list[float], list]:
    """Full-batch gradient descent w ← w − lr·∇E; returns w and (step, w, E) at ``report``.

    XᵀX has eigenvalues ≈ 0.024, 18.6 and 79.4: lr must stay below 2/79.4 ≈ 0.025, and the
    small eigenvalue makes convergence slow (tens of thousands of steps, cheap here).
    """
    w = [float(v) for v in start]
    path = []
    for k in range(steps + 1):
        ws = [Value(v) for v in w]
        E = batch_loss(ws)
        if k in report or k == steps:
            path.append((k, list(w), E.data))
        if k == steps:
            break
        E.backward()
        w = [p.data - lr * p.grad for p in ws]
    return w, path


def main(out_dir: str | Path = "out") -> int:
    g = build(backward=True)
    console.rule("[bold]Lunch prices: one linear neuron, E = ½(t − y)²")
    console.print(f"step 1, sample x = {SAMPLES[0][0]}, t = {num(SAMPLES[0][1])}, "
                  f"w = {vec(START)}:  y = {num(g['y'].data)}, E = {num(g['E'].data)}, "
                  f"∂E/∂y = {num(g['y'].grad)}")
    console.print("∂E/∂w = " + vec(p.grad for p in g["w"]) + "   (= −(t − y)·x)")
    write_graph(g["root"], out_dir, "lunch", **GRAPH_STYLE)
    write_graph(g["root"], out_dir, "lunch_forward", rankdir="TB", show_grad=False,
                precision=2, record="stacked", title="Lunch prices, step 1: the forward pass")
    write_graph(g["root"], out_dir, "lunch_path", rankdir="TB", precision=2, record="stacked",
                highlight_path_to=g["w_meat"],
                title="The gradient's path from E to w_meat: ∂E/∂w_meat = (−700)·5 = −3500")

    table = Table(title="Delta rule, one sample at a time: Δw = ε·x·(t − y)")
    for col in ("step", "sample x", "t", "y", "t − y", "ε", "Δw", "w after"):
        table.add_column(col, justify="right")
    for row in delta_rule():
        table.add_row(str(row["step"]), vec(row["x"]), num(row["t"]), num(row["y"]),
                      num(row["error"]), str(row["eps"]), vec(row["delta"]), vec(row["w"]))
    console.print(table)
    console.print("[yellow]Note:[/] Bing Li's slide prints step 3 as "
                  f"Δw = {vec(SLIDE_STEP3_DELTA)}; "
                  "it used x_veg = 2. With x_veg = 5 the correct Δw is (0, −100, −20).")

    w, path = batch_gd()
    table = Table(title="Batch version: E = ½ Σ (t − y)², gradient descent with lr = 0.02")
    for col in ("step", "w_meat", "w_veg", "w_staple", "E"):
        table.add_column(col, justify="right")
    for k, wk, E in path:
        table.add_row(str(k), *(num(v) for v in wk), num(E))
    console.print(table)
    console.print(f"converged to {vec((round(v, 3) for v in w))}; true prices {vec(TRUE_PRICES)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
