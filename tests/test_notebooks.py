"""The notebooks of docs/notebooks/ run top to bottom in a real Jupyter kernel.

Each notebook asserts its key numbers in its own cells (a failing assert fails the run);
here we also check what a reader sees: graphs drawn inline (SVG), the explorer page inline
(an iframe), the stepper's chain-rule lines, plots. The files in the repository hold no
outputs and are what ``make_notebooks.py`` writes.
"""

from __future__ import annotations

import html
import importlib.util
from pathlib import Path

import nbformat
import pytest
from conftest import needs_dot
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "docs" / "notebooks"

# what must appear in some output of each notebook: (kind, text); kind is a MIME type, or
# "stream" for printed text
EXPECTED = {
    "lunch_price_neuron.ipynb": [
        ("image/svg+xml", "w_meat"),
        ("stream", "∂E/∂w_meat = ∂E/∂y · ∂y/∂w_meat = (−700)·(5) = −3500"),
        ("text/html", "w_meat"),  # the stepper's rich table
        ("image/svg+xml", "Backward 4/7: ∂E/∂y = −700"),  # a frame
        ("stream", "∂E/∂w = [-3500.0, -1400.0, -2800.0]"),
        ("stream", "step 3"),
        ("text/html", "<iframe srcdoc="),  # explore() inline
    ],
    "three_layer_ex35.ipynb": [
        ("stream", "A2 = [180.0, 300.0, 450.0]"),
        ("stream", "A3 = [2480.0, 2220.0]"),
        ("image/svg+xml", "neuron 1"),  # boxes per neuron
        ("image/svg+xml", "Backward 13/36"),
    ],
    "gradient_descent_surface.ipynb": [
        ("stream", "∇J(A) = (-4.0, 8.0)"),
        ("image/svg+xml", "w1"),
        ("image/png", ""),  # the contour plot
        ("stream", "Newton step lands on [0.0, -1.0]"),
    ],
    "pytorch_autograd_tutorial.ipynb": [
        ("stream", "out = 18.0"),
        ("image/svg+xml", "x₁₁"),
        ("stream", "micrograd_plus: [[3.0, 3.0], [3.0, 3.0]] [[6.0, 6.0], [6.0, 6.0]]"),
    ],
    "matrix_backprop_ch8.ipynb": [
        ("stream", "L = 0.373094264917475"),
        ("image/svg+xml", "W⁽⁰⁾"),
        ("stream", "∂L/∂W^(0): |printed − autograd| = 1.42e-02"),
        ("stream", "∂L/∂z^(1) = ∂L/∂a^(1) ⊙ a^(1) ⊙ (1 − a^(1))"),
        ("image/svg+xml", "Backward 9/19"),
    ],
    "micrograd_lecture.ipynb": [
        ("image/svg+xml", "> −8<"),  # L, drawn (one number formatter: whole, unicode minus)
        ("stream", "∂L/∂d = ∂L/∂L · ∂L/∂d = (1)·(−2) = −2"),
        ("image/svg+xml", "Backward 3/7: ∂L/∂e = −2"),
        ("text/html", "<iframe srcdoc="),
        ("stream", "41 parameters"),
    ],
}


def outputs(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """Every output of every code cell as (kind, text)."""
    found = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.output_type == "stream":
                found.append(("stream", out.text))
            elif out.output_type == "error":
                found.append(("error", f"{out.ename}: {out.evalue}"))
            else:
                for mime, data in out.get("data", {}).items():
                    text = data if isinstance(data, str) else str(data)
                    found.append((mime, html.unescape(text) if "svg" in mime else text))
    return found


def test_every_notebook_is_tested_and_stored_without_outputs():
    names = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert names == sorted(EXPECTED)
    for name in names:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, name


def test_notebooks_are_what_the_script_writes():
    spec = importlib.util.spec_from_file_location("make_notebooks",
                                                  NOTEBOOKS / "make_notebooks.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert sorted(script.NOTEBOOKS) == sorted(EXPECTED)
    for name, cells in script.NOTEBOOKS.items():
        stored = nbformat.read(NOTEBOOKS / name, as_version=4)
        assert [c.source for c in stored.cells] == [c.source for c in cells], name


@needs_dot
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_notebook_runs_top_to_bottom(name, tmp_path):
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    client = NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError, with the cell and traceback, on failure
    found = outputs(nb)
    assert not [text for kind, text in found if kind == "error"]
    for kind, text in EXPECTED[name]:
        assert any(k == kind and text in t for k, t in found), (name, kind, text)
