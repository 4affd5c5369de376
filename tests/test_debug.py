"""explain, gradcheck, anomaly mode and compare_with_torch."""

from __future__ import annotations

import math
import sys

import pytest
from hypothesis import given, settings

from micrograd_plus import Value, dot
from micrograd_plus.core import autograd
from micrograd_plus.debug import (
    AnomalyError,
    BackpropStepper,
    GradcheckError,
    assert_grads_match_torch,
    compare_with_torch,
    detect_anomaly,
    explain,
    gradcheck,
)
from test_stepper import build, recipes, same

# -- explain ------------------------------------------------------------------------------


def lunch_graph():
    w = [Value(50.0, label="w_meat"), Value(50.0, label="w_veg"),
         Value(50.0, label="w_staple")]
    y = dot(w, [5, 2, 4])
    y.label = "y"
    d = 1250 - y
    d.label = "d"
    E = 0.5 * d**2
    E.label = "E"
    return E, y, w


def test_explain_lunch_weight():
    E, y, w = lunch_graph()
    E.backward()
    e = explain(w[0], E)
    assert e.n_paths == 1 and not e.truncated and e.matches
    assert e.gradient == w[0].grad == -3500.0
    text = str(e)
    assert "E → pow1 → d → y → w_meat" in text
    assert "∂E/∂pow1 · ∂pow1/∂d · ∂d/∂y · ∂y/∂w_meat = (0.5)·(1400)·(−1)·(5) = −3500" in text
    assert "✓ equals w_meat.grad = −3500" in text
    assert explain(y, E).gradient == -700.0


def test_explain_sums_several_paths_and_names_reused_edges():
    a = Value(3.0, label="a")
    c = a * a
    c.label = "c"
    L = (c + a) * c
    L.label = "L"
    L.backward()
    e = explain(a, L)
    # L = (a² + a)·a²: dL/da = (2a + 1)·a² + (a² + a)·2a = 63 + 72
    assert a.grad == 135.0 and e.gradient == 135.0 and e.path_sum == 135.0
    assert e.n_paths == len(e.paths) == 5
    assert sorted(p.product for p in e.paths) == [9.0, 27.0, 27.0, 36.0, 36.0]
    text = str(e)
    assert "c →[1] a" in text and "c →[2] a" in text
    assert "Σ over paths = 27 + 27 + 9 + 36 + 36 = 135" in text


def test_explain_reports_a_stale_grad():
    E, _, w = lunch_graph()
    E.backward()
    E.backward()  # accumulated twice
    e = explain(w[1], E)
    assert not e.matches and e.gradient == -1400.0 and w[1].grad == -2800.0
    assert "✗ w_veg.grad = −2800 differs" in str(e)


def test_explain_caps_the_listing_of_exponentially_many_paths():
    x = Value(0.1, label="x")
    h = x
    for _ in range(30):
        h = h * h + h  # 3 ways from each level to the next: 3^30 paths
    h.label = "h"
    h.backward()
    e = explain(x, h, max_paths=7)
    assert e.n_paths == 3**30 and len(e.paths) == 7 and e.truncated
    assert e.matches and same(e.gradient, x.grad)
    assert f"… {3**30 - 7} more paths not listed" in str(e)


def test_explain_without_a_path_and_local_view_and_errors():
    E, y, _ = lunch_graph()
    E.backward()
    stranger = Value(2.0, label="z")
    e = explain(stranger, E)
    assert e.n_paths == 0 and e.gradient == 0.0
    assert "no path from E to z" in str(e)
    frozen = Value(3.0, label="f", requires_grad=False)
    assert "f does not require grad" in str(explain(frozen, frozen * E))
    local = explain(y)
    assert "y = ·(w_meat, w_veg, w_staple) = 550" in local
    assert "∂y/∂w_veg = 2   (w_veg = 50)" in local
    assert "is a leaf" in explain(Value(1.0, label="k"))
    with pytest.raises(TypeError, match="scalar Value graphs"):
        explain(3.0, E)


@settings(max_examples=40, deadline=None)
@given(recipes)
def test_explain_equals_backward_on_random_graphs(recipe):
    root, nodes = build(*recipe)
    root.backward()
    for node in nodes:
        e = explain(node, root, max_paths=200)
        assert same(e.gradient, node.grad)
        if not e.truncated and all(math.isfinite(p.product) for p in e.paths):
            assert len(e.paths) == e.n_paths
            scale = sum(abs(p.product) for p in e.paths)
            assert abs(e.path_sum - node.grad) <= 1e-9 * scale + 1e-12


# -- gradcheck ----------------------------------------------------------------------------


def test_explain_of_a_long_chain_lists_its_one_path():
    """A 20,000-node chain: the path is spelt out once (the listing used to copy the path at
    every node, quadratic in the length); the total is backward()'s."""
    x = Value(0.5, label="x")
    y = x
    for i in range(20_000):
        y = y * 1.0001 if i % 2 else y + 0.001
    y.backward()
    e = explain(x, y)
    assert e.n_paths == 1 and len(e.paths) == 1 and e.matches
    assert len(e.paths[0].nodes) == 20_001 and e.gradient == x.grad


def test_gradcheck_passes_and_restores_grads():
    a, b, c = Value(0.3, label="a"), Value(-1.2, label="b"), Value(2.0, label="c")
    a.grad = 7.0

    def f(a, b, c, k):  # k is a plain number: passed through, not checked
        return (a * b).tanh() + a**3 / c - (b * c).sigmoid() * c.log() + (a - b).exp() * k

    report = gradcheck(f, [a, b, c, 4.0])
    assert report and report.ok and len(report.entries) == 3
    assert [e.label for e in report.entries] == ["a", "b", "c"]
    for e in report.entries:
        assert abs(e.analytic - e.numeric) == e.error < 1e-6
    # ∂f/∂c by hand: −a³/c² − σ'(bc)·b·log c − σ(bc)/c
    s = 1 / (1 + math.exp(1.2 * 2.0))
    want_c = -(0.3**3) / 4 - s * (1 - s) * (-1.2) * math.log(2.0) - s / 2.0
    assert abs(report.entries[2].analytic - want_c) < 1e-12
    assert a.grad == 7.0 and b.grad == 0.0


def test_gradcheck_of_an_input_the_output_does_not_use():
    a, unused = Value(0.5, label="a"), Value(2.0, label="u")
    unused.grad = 5.0  # not in the output's graph: its .grad is still put back
    report = gradcheck(lambda a, u: a * a, [a, unused])
    assert [(e.analytic, e.numeric) for e in report.entries][1] == (0.0, 0.0)
    assert unused.grad == 5.0 and a.grad == 0.0


def broken_square(x: Value) -> Value:
    """x² with a deliberately wrong derivative (3x instead of 2x)."""
    return Value._result(x.data**2, (x,), (3.0 * x.data,), "sq_broken")


def test_gradcheck_catches_a_wrong_derivative():
    x, y = Value(1.5, label="x"), Value(0.5, label="y")

    def f(x, y):
        return broken_square(x) * y + y.tanh()

    with pytest.raises(GradcheckError, match="input 0 x: analytic 2.25, numeric 1.5") as info:
        gradcheck(f, [x, y])
    report = info.value.report
    assert [e.ok for e in report.entries] == [False, True]
    assert report.failures[0].label == "x"
    quiet = gradcheck(f, [x, y], raise_exception=False)
    assert not quiet and "gradcheck FAILED" in str(quiet)
    assert gradcheck(lambda x, y: (x * x) * y + y.tanh(), [x, y])


def test_gradcheck_fails_a_nan_gradient_beside_a_finite_slope():
    # √(x·x) at 0: autograd gives ∞·0 = NaN (PyTorch too), the central difference gives 0
    x = Value(0.0, label="x")
    report = gradcheck(lambda x: (x * x).sqrt(), [x], raise_exception=False)
    assert math.isnan(report.entries[0].analytic) and report.entries[0].numeric == 0.0
    assert not report.ok
    # NaN on both sides (x^0.5 at −1 is NaN, like PyTorch's) is agreement
    assert gradcheck(lambda x: x**0.5, [Value(-1.0)], raise_exception=False).ok


@pytest.mark.parametrize("option, bad", [("eps", 0.0), ("eps", -1e-6), ("eps", math.nan),
                                         ("atol", -1.0), ("rtol", math.nan)])
def test_gradcheck_names_a_bad_step_or_tolerance(option, bad):
    # eps = 0 divided by zero; a negative eps or tolerance gave a silent pass or failure
    with pytest.raises(ValueError, match=f"gradcheck: {option} must be"):
        gradcheck(lambda a: a * a, [Value(1.0)], **{option: bad})


def test_gradcheck_rejects_no_nodes():
    with pytest.raises(TypeError, match="at least one Value or Tensor"):
        gradcheck(lambda a: a, [1.0])


def test_gradcheck_on_tensors():
    import numpy as np

    from micrograd_plus.core import tensor

    x = tensor.Tensor(np.array([[0.5, -1.0], [2.0, 0.25]]), requires_grad=True, label="X")
    w = tensor.Tensor(np.array([0.3, -0.7]), requires_grad=True, label="w")
    report = gradcheck(lambda x, w: ((x * w).tanh() * x).sum(), [x, w])
    assert report.ok and report.entries[0].numeric.shape == (2, 2)

    # a non-scalar output is checked through Σ v·out with a fixed random v
    report = gradcheck(lambda x, w: (x * w).tanh(), [x, w])
    assert report.ok and report.entries[1].analytic.shape == (2,)
    assert np.all(report.entries[1].analytic != 0)


# -- anomaly ------------------------------------------------------------------------------


def test_detect_anomaly_is_autograd_anomaly_and_names_forward_op():
    assert detect_anomaly is autograd.anomaly
    x = Value(1000.0, label="x")
    assert math.isinf(x.exp().data)  # outside anomaly mode inf just propagates
    with detect_anomaly():
        with pytest.raises(AnomalyError, match=r"operation 'exp' produced inf.*'x' data=1000.0"):
            x.exp()


def test_detect_anomaly_names_the_backward_node_and_its_input():
    a = Value(2.0, label="a")
    d = a - a
    d.label = "d"
    r = d.sqrt()
    r.label = "r"
    loss = r * 3.0
    with detect_anomaly():
        with pytest.raises(AnomalyError) as info:
            loss.backward()
        message = str(info.value)
        assert "backward of 'sqrt'" in message and "'r' data=0.0" in message
        assert "'d' data=0.0" in message and "upstream gradient 3.0" in message
        with pytest.raises(AnomalyError, match="backward of 'sqrt'"):
            BackpropStepper(loss)  # the stepper plans with the same check


# -- compare with PyTorch: the worked examples --------------------------------------------


def lunch_E(w_meat, w_veg, w_staple):
    y = w_meat * 5 + w_veg * 2 + w_staple * 4
    E = 0.5 * (1250 - y) ** 2
    return {"y": y, "E": E}


def test_compare_lunch():
    table = assert_grads_match_torch(lunch_E, [50, 50, 50], atol=0, rtol=0)
    grads = [table.row(n).grad for n in ("w_meat", "w_veg", "w_staple")]
    assert grads == [-3500, -1400, -2800]
    assert table.row("y").grad == -700 and table.row("y").kind == "node"
    assert table.row("E").value == 245000 and table.row("E").kind == "output"
    assert table.max_grad_diff == 0.0 and "w_staple" in str(table)


def lunch_batch(w_meat, w_veg, w_staple):
    data = [((5, 2, 4), 1250), ((3, 3, 3), 900), ((0, 5, 1), 350)]
    E = 0
    for (xm, xv, xs), t in data:
        E = E + 0.5 * (t - (w_meat * xm + w_veg * xv + w_staple * xs)) ** 2
    return E


def test_compare_lunch_batch():
    table = assert_grads_match_torch(lunch_batch, [50, 50, 50])
    # ∂E/∂w = −Σ (t − y)·x with residuals 700, 450, 50
    assert table.row("w_veg").grad == -(700 * 2 + 450 * 3 + 50 * 5)


THREE_LAYER = {
    "X": [30, 50, 20],
    "W1": [[2, 1, 3], [2, 4, 1], [2, 6, 5]], "b1": [10, 20, -10],
    "W2": [[2, 1, 4], [0, 3, 3]], "b2": [20, -30],
}


def three_layer_inputs() -> dict:
    flat = {f"x{j}": v for j, v in enumerate(THREE_LAYER["X"])}
    for name in ("W1", "W2"):
        for i, row in enumerate(THREE_LAYER[name]):
            flat.update({f"{name}_{i}{j}": v for j, v in enumerate(row)})
    for name in ("b1", "b2"):
        flat.update({f"{name}_{i}": v for i, v in enumerate(THREE_LAYER[name])})
    return flat


def three_layer(activation):
    def net(**p):
        a1 = [activation(sum(p[f"W1_{i}{j}"] * p[f"x{j}"] for j in range(3)) + p[f"b1_{i}"])
              for i in range(3)]
        return [activation(sum(p[f"W2_{i}{j}"] * a1[j] for j in range(3)) + p[f"b2_{i}"])
                for i in range(2)]
    return net


def test_compare_three_layer_identity_and_sigmoid():
    inputs = three_layer_inputs()
    assert len(inputs) == 23  # 20 parameters and 3 inputs
    table = assert_grads_match_torch(three_layer(lambda z: z), inputs, atol=1e-9)
    assert [table.row("out0").value, table.row("out1").value] == [2480, 2220]
    # ∂(A2_0 + A2_1)/∂x0 = Σ_i (W2_0i + W2_1i)·W1_i0 = 2·2 + 4·2 + 7·2
    assert table.row("x0").grad == 26
    table = assert_grads_match_torch(three_layer(lambda z: z.sigmoid()), inputs,
                                     atol=1e-12, rtol=1e-6)
    assert table.row("out0").value == pytest.approx(1 - 1.9e-12, abs=1e-13)
    assert table.row("out1").value == pytest.approx(3.8e-11, rel=0.05)
    assert abs(table.row("W1_00").grad) < 1e-70  # saturated sigmoids: vanishing gradient


def surface(w1, w2):
    return w1**2 + w2**2 + 2 * w2 + 5


def test_compare_gradient_descent_surface():
    w = [-2.0, 3.0]
    table = assert_grads_match_torch(surface, w, atol=0, rtol=0)
    assert table.row("out").value == 24
    assert [table.row("w1").grad, table.row("w2").grad] == [-4, 8]
    for _ in range(20):
        table = assert_grads_match_torch(surface, w, atol=1e-12)
        w = [w[0] - 0.1 * table.row("w1").grad, w[1] - 0.1 * table.row("w2").grad]
    assert w == pytest.approx([-0.023, -0.954], abs=1e-3)


def torch_tutorial(x00, x01, x10, x11):
    z = [(x + 2) * (x + 2) * 2 for x in (x00, x01, x10, x11)]
    return (z[0] + z[1] + z[2] + z[3]) / 4


def test_compare_torch_tutorial_elementwise():
    table = assert_grads_match_torch(torch_tutorial, [1, 1, 1, 1], atol=0, rtol=0)
    assert table.row("out").value == 18
    assert [table.row(n).grad for n in ("x00", "x01", "x10", "x11")] == [3, 3, 3, 3]


def test_compare_torch_tutorial_with_tensors():
    import numpy as np

    def program(x):
        y = x + 2
        z = y * y * 2
        return {"z": z, "out": z.mean()}

    table = assert_grads_match_torch(program, [np.ones((2, 2))])
    assert table.row("out").value == 18
    assert np.array_equal(table.row("x").grad, np.full((2, 2), 3.0))


def test_compare_names_a_non_node_output_and_a_non_numeric_input():
    with pytest.raises(TypeError, match="build_fn must return a Value or Tensor.*'out' is a "
                                        "float: 3.0"):
        compare_with_torch(lambda a: 3.0, [1.0])
    with pytest.raises(TypeError, match="'y1' is a str"):
        compare_with_torch(lambda a: {"y1": "a", "y2": a * 2}, [1.0])
    with pytest.raises(TypeError, match="input 'a' must be a number or an array of numbers, "
                                        "got str: 'x'"):
        compare_with_torch(lambda a: a * 2, ["x"])


def test_compare_reports_a_disagreement_and_missing_torch(monkeypatch):
    def differs(a):  # relu in micrograd_plus, tanh in torch: must be caught
        return a.relu() if isinstance(a, Value) else a.tanh()

    with pytest.raises(AssertionError, match="disagree on a, out") as info:
        assert_grads_match_torch(differs, [0.3])
    assert "torch grad" in str(info.value)
    table = compare_with_torch(differs, {"a": 0.3})
    # relu'(0.3) = 1 against tanh'(0.3) = 1 − tanh²(0.3)
    assert not table.ok()
    assert table.row("a").grad_diff == pytest.approx(math.tanh(0.3) ** 2, rel=1e-12)
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match="compare_with_torch needs PyTorch.*pip install torch"):
        compare_with_torch(lunch_E, [50, 50, 50])


def test_compare_symbolic_3_4_2_network_with_squared_loss():
    """§3: z^{l+1}_i = Σ_j a^l_j w^l_ij + b^l_i, sigmoid activations, J = ½ Σ (y − ŷ)²."""
    import random

    rnd = random.Random(7)
    sizes = [3, 4, 2]
    params = {"x1": 0.5, "x2": -1.0, "x3": 2.0}
    for layer, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]), start=1):
        for i in range(1, n_out + 1):
            params[f"b{layer}_{i}"] = rnd.uniform(-1, 1)
            for j in range(1, n_in + 1):
                params[f"w{layer}_{i}{j}"] = rnd.uniform(-1, 1)
    assert len(params) == 3 + (12 + 4) + (8 + 2)

    def network(**p):
        a = [p["x1"], p["x2"], p["x3"]]
        for layer, (n_in, n_out) in enumerate(zip(sizes, sizes[1:]), start=1):
            a = [(sum(a[j - 1] * p[f"w{layer}_{i}{j}"] for j in range(1, n_in + 1))
                  + p[f"b{layer}_{i}"]).sigmoid() for i in range(1, n_out + 1)]
        y = [1.0, 0.0]
        return {"yhat1": a[0], "yhat2": a[1],
                "J": 0.5 * ((y[0] - a[0]) ** 2 + (y[1] - a[1]) ** 2)}

    table = assert_grads_match_torch(network, params, atol=1e-12, rtol=1e-9)
    assert table.row("J").kind == "output" and table.row("yhat1").kind == "node"
    assert table.row("yhat1").grad == pytest.approx(table.row("yhat1").value - 1.0)
    assert table.row("w1_11").grad != 0.0


def test_compare_graph_created_on_the_fly_with_tensors():
    """§5: next_h = tanh(W_x·xᵀ + W_h·prev_hᵀ); loss = next_h.sum()."""
    import numpy as np

    rng = np.random.default_rng(0)
    inputs = {"x": rng.normal(size=(1, 10)), "prev_h": rng.normal(size=(1, 20)),
              "W_h": rng.normal(size=(20, 20)), "W_x": rng.normal(size=(20, 10))}

    def rnn_cell(x, prev_h, W_h, W_x):
        i2h = W_x @ x.T
        h2h = W_h @ prev_h.T
        next_h = (i2h + h2h).tanh()
        return {"next_h": next_h, "loss": next_h.sum()}

    table = assert_grads_match_torch(rnn_cell, inputs, atol=1e-10)
    assert table.row("W_x").grad.shape == (20, 10)
    assert table.row("next_h").grad.shape == (20, 1)


def test_debug_exports_everything_its_parts_export():
    import importlib

    from micrograd_plus import debug

    for name in ("stepper", "chain", "table", "terminal", "explain", "gradcheck", "torchcompare"):
        # (micrograd_plus.debug.explain and .gradcheck are the functions, so import the modules)
        part = importlib.import_module(f"micrograd_plus.debug.{name}")
        missing = set(part.__all__) - set(debug.__all__)
        assert not missing, f"debug.__all__ lacks {sorted(missing)} of {part.__name__}"
    assert all(hasattr(debug, name) for name in debug.__all__)
