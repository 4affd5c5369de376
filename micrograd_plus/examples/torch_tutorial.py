"""WORKED_EXAMPLES.md §5: PyTorch's autograd tutorial, element by element in scalar Values.

``x = ones(2, 2)`` (tracked), ``y = x + 2``, ``z = y * y * 2``, ``out = z.mean()``: every z is
18, out = 18, and ∂out/∂x_ij = ¼ · 4·y_ij = 3. A second ``backward()`` without zeroing adds
the same gradient again (6), as in PyTorch. Compared with PyTorch when it is installed.

    python -m micrograd_plus.examples.torch_tutorial
"""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from ..engine import Value, vsum
from ._output import console, num, write_graph


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
    console.rule("[bold]PyTorch's autograd tutorial in scalar Values")
    ours = run()
    theirs = run_torch()
    table = Table(title="x = ones(2,2); y = x + 2; z = y·y·2; out = z.mean()")
    table.add_column("quantity")
    table.add_column("micrograd_plus", justify="right")
    table.add_column("PyTorch" if theirs else "PyTorch (not installed)", justify="right")

    def show(m: list) -> str:
        return "[" + ", ".join("[" + ", ".join(num(v) for v in row) + "]" for row in m) + "]"

    for key, name in (("z", "z"), ("out", "out"), ("grad_once", "x.grad after backward()"),
                      ("grad_twice", "x.grad after a 2nd backward()")):
        a = num(ours[key]) if key == "out" else show(ours[key])
        b = "" if theirs is None else num(theirs[key]) if key == "out" else show(theirs[key])
        table.add_row(name, a, b)
    console.print(table)
    if theirs is not None:
        same = all(ours[k] == theirs[k] for k in ours)
        console.print("identical to PyTorch" if same else "[red]differs from PyTorch[/]")
    write_graph(build(backward=True)["root"], out_dir, "torch_tutorial", rankdir="TB",
                record="stacked", precision=2,
                title="out = mean(2·(x + 2)²) after backward(): x.grad = 3")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
