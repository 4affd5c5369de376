"""explain(node, root) on Tensor graphs: paths, matrix rules, totals from the backward walk."""

from __future__ import annotations

import numpy as np
import pytest

from micrograd_plus import Tensor, Value
from micrograd_plus.debug import explain
from micrograd_plus.examples import torch_tutorial
from micrograd_plus.viz import format_number
from test_viz_tensor import INTERNAL, _ops_graph


def small_graph():
    """Z = W @ X + b (b broadcast over columns), A = tanh Z, L = Σ A ⊙ W: W on two paths."""
    W = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, label="W")
    X = Tensor([[1.0, -1.0], [0.5, 2.0]], label="X")
    b = Tensor([[0.1], [0.2]], requires_grad=True, label="b")
    WX = W @ X
    WX.label = "WX"
    Z = WX + b
    Z.label = "Z"
    A = Z.tanh()
    A.label = "A"
    L = (A * W).sum()
    L.label = "L"
    return W, X, b, Z, A, L


def test_two_paths_with_matrix_rules_and_numbers():
    W, X, b, Z, A, L = small_graph()
    L.backward()
    e = explain(W, L)
    assert e.n_paths == len(e.paths) == 2 and not e.truncated and e.matches
    np.testing.assert_array_equal(e.gradient, W.grad)  # read from the backward walk
    np.testing.assert_allclose(e.path_sum, W.grad, rtol=1e-12)
    # the direct path L → mul → W contributes A; the other one (G ⊙ (1 − A²)) · Xᵀ with
    # G = W (the upstream of A along that path)
    direct = next(p for p in e.paths if len(p.nodes) == 3)
    through = next(p for p in e.paths if len(p.nodes) > 3)
    np.testing.assert_allclose(direct.product, A.data, rtol=1e-12)
    np.testing.assert_allclose(through.product, (W.data * (1 - A.data**2)) @ X.data.T,
                               rtol=1e-12)
    text = str(e)
    assert "∂L/∂W (2×2): 2 paths from L to W" in text
    assert "L → mul1 → A → Z → WX → W" in text and "L → mul1 → W:" in text
    assert "∂L/∂Z = ∂L/∂A ⊙ (1 − A²) = [[1, 2], [3, 4]] ⊙ [[" in text  # numbers: small
    assert "∂L/∂W = ∂L/∂WX · Xᵀ = [[" in text and "· [[1, 0.5], [−1, 2]] = [[" in text
    assert "∂L/∂W = ∂L/∂mul1 ⊙ A = [[1, 1], [1, 1]] ⊙ [[0.9705" in text
    assert "∂L/∂W = Σ over paths = [[" in text
    # the one number formatter: 4 decimals, as the graph's cells
    assert "✓ equals W.grad = [[1.0125, 1.0574], [0.9998, 1.0011]]" in text
    assert not any(word in text for word in INTERNAL)


def test_broadcast_input_shows_the_summed_axis():
    W, X, b, Z, A, L = small_graph()
    L.backward()
    e = explain(b, L)
    assert e.n_paths == 1 and e.matches
    np.testing.assert_allclose(e.gradient, (W.data * (1 - A.data**2)).sum(axis=1,
                                                                         keepdims=True))
    assert "∂L/∂b = Σ_cols ∂L/∂Z = Σ_cols [[" in str(e)


def test_a_non_leaf_is_checked_only_when_it_keeps_its_grad():
    W, X, b, Z, A, L = small_graph()
    L.backward()
    e = explain(Z, L)
    assert Z.grad is None and not e.matches  # nothing to compare with: said so, not ✗
    np.testing.assert_allclose(e.gradient, W.data * (1 - A.data**2), rtol=1e-12)
    assert "Z.grad is None: a Tensor made by an operation keeps its .grad only after " \
           "retain_grad()" in str(e)
    assert "✗" not in str(e) and "✓" not in str(e)
    W, X, b, Z, A, L = small_graph()
    Z.retain_grad()
    L.backward()
    e = explain(Z, L)
    assert e.matches and "✓ equals Z.grad = [[" in str(e)
    fresh = small_graph()  # no backward() yet
    assert "no backward() has reached it yet" in str(explain(fresh[0], fresh[-1]))


def test_a_stale_grad_is_reported():
    W, X, b, Z, A, L = small_graph()
    L.backward()
    L.backward()  # accumulated twice
    e = explain(b, L)
    assert not e.matches
    np.testing.assert_allclose(b.grad, 2 * e.gradient)
    assert "✗ b.grad = [[" in str(e) and "differs" in str(e)


def test_large_tensors_show_shapes_and_match_pytorch():
    g = torch_tutorial.build_rnn(backward=True)
    torch_grads = torch_tutorial.run_rnn_torch()
    e = explain(g["W_x"], g["loss"])
    assert e.n_paths == 1 and e.matches
    np.testing.assert_allclose(e.gradient, torch_grads["grad_W_x"], rtol=1e-12, atol=1e-12)
    text = str(e)
    assert "loss → next_h → i2h + h2h → i2h → W_x" in text
    assert "∂loss/∂(i2h + h2h) = ∂loss/∂next_h ⊙ (1 − next_h²) = (20×1) ⊙ (20×1) = (20×1)" \
        in text
    assert "∂loss/∂W_x = ∂loss/∂i2h · x = (20×1) · (1×10) = (20×10)" in text
    norm = np.linalg.norm(g["W_x"].grad)
    assert f"∂loss/∂W_x = (20×10, ‖·‖ = {format_number(norm)})" in text
    assert "✓ equals W_x.grad (20×10; largest difference 0)" in text
    assert "[[" not in text  # no 200-entry matrices spelt out
    e = explain(g["prev_h"], g["loss"])
    np.testing.assert_allclose(e.gradient, torch_grads["grad_prev_h"], rtol=1e-12,
                               atol=1e-12)
    assert "∂loss/∂prev_h = (∂loss/∂prev_hᵀ)ᵀ = (20×1)ᵀ = (1×20)" in str(e)  # one bracket


def test_every_op_reads_without_internal_names_and_the_paths_add_up():
    total, parts = _ops_graph()
    leaves = [n for n in (parts[0]._prev[0], parts[0]._prev[1]) if n.requires_grad]
    for part in parts:
        part.retain_grad()
    total.backward()
    for node in leaves + parts[:12]:
        e = explain(node, total, max_paths=200)
        assert e.matches, str(e)
        assert not e.truncated
        np.testing.assert_allclose(e.path_sum, node.grad, rtol=1e-9, atol=1e-12)
        assert not any(word in str(e) for word in INTERNAL), str(e)
    e = explain(parts[0]._prev[0], total, max_paths=3)  # a: on dozens of paths
    assert e.truncated and len(e.paths) == 3 and e.matches
    assert "more paths not listed" in str(e)


def test_a_root_with_many_entries_is_seeded_with_ones():
    x = Tensor([1.0, 2.0, 3.0], requires_grad=True, label="x")
    y = x * x
    y.label = "y"
    y.backward(np.ones(3))
    e = explain(x, y)
    np.testing.assert_array_equal(e.gradient, [2.0, 4.0, 6.0])
    assert "seeded with ones: the gradient of Σ y" in str(e) and e.matches


def test_no_path_frozen_local_view_and_errors():
    W, X, b, Z, A, L = small_graph()
    L.backward()
    stranger = Tensor([1.0], requires_grad=True, label="s")
    e = explain(stranger, L)
    assert e.n_paths == 0 and not e.gradient.any()
    assert "no path from L to s" in str(e)
    assert "X does not require grad" in str(explain(X, L))
    local = explain(Z)
    assert "Z = WX + b  (2×2) = [[" in local
    assert "∂L/∂b = Σ_cols ∂L/∂Z   (b: 2×1)" in local
    assert "WX = W @ X" in explain(Z._prev[0])
    assert "∂E/∂mul1 = ∂E/∂L copied to every entry (2×2)" in explain(L)
    assert "is a leaf" in explain(W) and "[[1, 2], [3, 4]]" in explain(W)
    with pytest.raises(TypeError, match="both Values or both Tensors"):
        explain(Value(1.0), L)
    with pytest.raises(TypeError, match="graph nodes"):
        explain(np.ones(2), L)
