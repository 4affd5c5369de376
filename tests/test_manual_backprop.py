"""The seed's chapter 8 (listings 8.1–8.3) as example ``manual_backprop``.

The book's hand-written backward pass is checked against autograd and PyTorch; its printed
``a[l − 1]`` at l = 0 (Python's ``a[-1]``: the last activation) is caught, and the corrected
listing agrees to 1e-12.
"""

from __future__ import annotations

import re

import subprocess
import sys
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from conftest import needs_dot

from micrograd_plus import cli
from micrograd_plus.examples import EXAMPLES
from micrograd_plus.examples import manual_backprop as mb
from micrograd_plus.core.tensor import Tensor
from micrograd_plus.viz import draw_graph, node_name, run_dot

SVG = "{http://www.w3.org/2000/svg}"


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def test_listing_8_1_forward_is_sigma_of_w_a_plus_b_layer_by_layer():
    x, y, W, b = mb.tensors()
    a = np.array(mb.X)
    for w, v in zip(mb.WEIGHTS, mb.BIASES):
        a = sigmoid(np.array(w) @ a + np.array(v))
    out = mb.forward(x, W, b)
    assert out.shape == (2, 1)
    np.testing.assert_allclose(out.data, a, rtol=0, atol=1e-15)
    loss = mb.mse_loss(out, y)  # listing 8.2: elementwise ½(a − y)²
    np.testing.assert_allclose(loss.data, 0.5 * (a - np.array(mb.Y)) ** 2, atol=1e-15)
    assert mb.autograd_grads()["loss"] == pytest.approx(float(loss.data.sum()), abs=1e-15)


def test_corrected_listing_agrees_with_autograd_to_1e_12():
    x, y, W, b = mb.tensors()
    loss, W_grads, b_grads = mb.forward_backward(x, y, W, b, as_printed=False)
    auto = mb.autograd_grads()
    assert float(loss.data.sum()) == pytest.approx(auto["loss"], abs=1e-15)
    for l in range(3):  # noqa: E741
        assert W_grads[l].shape == W[l].shape
        assert mb.max_diff(W_grads[l], auto["W"][l]) <= 1e-12
        assert mb.max_diff(b_grads[l], auto["b"][l]) <= 1e-12
        assert mb.max_diff(b_grads[l], auto["delta"][l]) <= 1e-12  # δ^(l) = ∂L/∂z^(l)
    assert not any(t.requires_grad for t in W_grads + b_grads)  # no autograd in the listing


def test_printed_listing_slip_is_caught_by_autograd():
    x, y, W, b = mb.tensors()
    _, W_grads, b_grads = mb.forward_backward(x, y, W, b, as_printed=True)
    auto = mb.autograd_grads()
    # the slip: δ^(0) · a[−1]ᵀ with a[−1] = a^(L), the network's output
    a_L = mb.forward(x, W, b)
    np.testing.assert_allclose(W_grads[0].data, auto["delta"][0] @ a_L.data.T, atol=1e-15)
    assert W_grads[0].shape == W[0].shape  # the same shape: no error tells
    assert mb.max_diff(W_grads[0], auto["W"][0]) > 1e-3  # autograd disagrees
    for l in (1, 2):  # noqa: E741 — the other layers are right
        assert mb.max_diff(W_grads[l], auto["W"][l]) <= 1e-12
    for l in range(3):  # noqa: E741
        assert mb.max_diff(b_grads[l], auto["b"][l]) <= 1e-12


def test_compare_with_torch_catches_the_slip_too():
    pytest.importorskip("torch")
    r = mb.compare()
    table = r["torch_table"]
    assert table.ok(atol=1e-12, rtol=0)  # autograd and PyTorch agree on every gradient
    assert mb.max_diff(r["printed_W"][0], r["torch_W"][0]) > 1e-3
    for l in range(3):  # noqa: E741
        assert mb.max_diff(r["fixed_W"][l], r["torch_W"][l]) <= 1e-12


def test_registered_and_main_prints_side_by_side(tmp_path, capsys):
    assert "manual_backprop" in EXAMPLES
    assert cli.main(["example", "manual_backprop", "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "listing 8.3 as printed" in out and "autograd (= corrected listing)" in out
    row = next(line for line in out.splitlines() if "∂L/∂W⁽⁰⁾" in line)
    printed, corrected = (float(c) for c in row.strip(" │").split("│")[-2:])
    assert printed > 1e-3 and corrected <= 1e-12  # Δ printed, Δ corrected
    assert "[−0.00267, −0.00386]" in row and "[−0.00281, 0.00563]" in row
    assert "compare_with_torch" in out or "PyTorch not installed" in out
    assert list(tmp_path.glob("manual_backprop.*"))  # svg and png, or dot without Graphviz


def test_runs_as_a_module(tmp_path):
    done = subprocess.run([sys.executable, "-m", "micrograd_plus.examples.manual_backprop"],
                          capture_output=True, text=True, timeout=120, check=True, cwd=tmp_path)
    assert "Δ printed" in done.stdout and "1.4e-02" in done.stdout
    assert list((tmp_path / "out").glob("manual_backprop.*"))


@needs_dot
def test_graph_shows_the_deltas_and_the_matrix_rules(artifacts):
    g = mb.build(backward=True)
    graph = draw_graph(g["root"], rankdir="TB", edge_labels=True, record="stacked")
    svg = run_dot(graph, "svg")
    (artifacts / "manual_backprop.svg").write_bytes(svg)
    root = ET.fromstring(svg)
    edges = [" ".join((t.text or "").split()) for grp in root.iter(f"{SVG}g")
             if grp.get("class") == "edge" for t in grp.iter(f"{SVG}text")]
    assert "∂L/∂W⁽⁰⁾ = ∂L/∂Wa⁽⁰⁾ · xᵀ" in edges
    assert "∂L/∂a⁽⁰⁾ = W⁽¹⁾ᵀ · ∂L/∂Wa⁽¹⁾" in edges  # the book's W^(l+1)ᵀ δ^(l+1)
    assert "∂L/∂z⁽²⁾ = ∂L/∂a⁽²⁾ ⊙ a⁽²⁾ ⊙ (1 − a⁽²⁾)" in edges  # σ' = a(1 − a)
    text = " ".join((t.text or "") for t in root.iter(f"{SVG}text"))
    assert "vjp" not in text and "Backward" not in text
    z0 = g["z"][0]
    cells = [(t.text or "").strip() for grp in root.iter(f"{SVG}g")
             if grp.get("id") == node_name(z0) for t in grp.iter(f"{SVG}text")]
    numbers = [c.replace("−", "-") for c in cells]  # every view writes a unicode minus
    shown = [float(c) for c in numbers
             if re.fullmatch(r"-?\d+(\.\d+)?(e-?\d+)?", c)]
    np.testing.assert_allclose(shown[-3:], z0.grad.ravel(), atol=5e-5)  # δ^(0) in the cell
    assert isinstance(z0, Tensor)
