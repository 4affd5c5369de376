"""Every loss: value and gradient vs torch.nn.functional (float64), every reduction, extreme
logits, and the errors bad input gets."""

from __future__ import annotations

import math

import numpy as np

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import close
from micrograd_plus import Tensor, Value, losses, nn, vsum
from micrograd_plus.core.ops import OPS

T = torch.float64


# ---- helpers --------------------------------------------------------------------------------


def _values(x):
    """Nested lists of numbers -> the same nesting of Value leaves."""
    if isinstance(x, (list, tuple)):
        return [_values(v) for v in x]
    return Value(float(x))


def _flat(x):
    if isinstance(x, (list, tuple)):
        return [v for item in x for v in _flat(item)]
    return [x]


def _combine(out):
    """A scalar from a loss result: 'none' results are weighted so each element's gradient
    is checked separately (weights 1, 1.5, 2, …)."""
    items = _flat(out)
    if len(items) == 1:
        return items[0], 1
    return vsum([(1.0 + 0.5 * i) * v for i, v in enumerate(items)]), len(items)


def _torch_combine(out):
    flat = out.reshape(-1)
    weights = 1.0 + 0.5 * torch.arange(flat.numel(), dtype=T)
    return (flat * weights).sum() if flat.numel() > 1 else flat.sum()


def check(ours, theirs, pred, target, target_grad=False, target_dtype=T, rtol=1e-9,
          atol=1e-12, **kw):
    """ours(pred, target, **kw) equals theirs(tensor, tensor, **kw): values and gradients."""
    vp = _values(pred)
    vt = _values(target) if target_grad else target
    out = ours(vp, vt, **kw)
    total, n = _combine(out)
    total.backward()

    tp = torch.tensor(pred, dtype=T, requires_grad=True)
    tt = torch.tensor(target, dtype=target_dtype, requires_grad=target_grad)
    ref = theirs(tp, tt, **kw)
    _torch_combine(ref).backward()

    ref_values = ref.reshape(-1).tolist()
    got = [v.data for v in _flat(out)]
    assert len(got) == len(ref_values) == n
    for g, r in zip(got, ref_values):
        assert close(g, r, rtol, atol), f"value {got} != torch {ref_values}"
    for v, r in zip(_flat(vp), tp.grad.reshape(-1).tolist()):
        assert close(v.grad, r, rtol, atol), f"pred grad {v.grad} != torch {r}"
    if target_grad:
        for v, r in zip(_flat(vt), tt.grad.reshape(-1).tolist()):
            assert close(v.grad, r, rtol, atol), f"target grad {v.grad} != torch {r}"


def torch_hinge(s, y, margin=1.0, reduction="mean"):
    per = torch.relu(margin - y * s)
    return {"mean": per.mean(), "sum": per.sum(), "none": per}[reduction]


def torch_sse(y, t):
    return 0.5 * ((t - y) ** 2).sum()


def torch_multilabel(x, y, reduction="mean"):
    return F.multilabel_soft_margin_loss(x, y, reduction=reduction)


RNG_LOSSES = np.random.default_rng(7)
REDUCTIONS = ["mean", "sum", "none"]
PRED = [0.5, -1.25, 3.0, 0.0, 2.0]
TARGET = [1.0, -1.0, 0.5, 0.0, 4.5]
BATCH_PRED = [[0.5, -1.25, 3.0], [0.0, 2.0, -0.75]]
BATCH_TARGET = [[1.0, -1.0, 0.5], [0.25, 4.5, -0.75]]


# ---- regression -----------------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("pred,target", [(PRED, TARGET), (BATCH_PRED, BATCH_TARGET)])
def test_mse_l1_match_torch(reduction, pred, target):
    check(losses.mse, F.mse_loss, pred, target, target_grad=True, reduction=reduction)
    check(losses.l1, F.l1_loss, pred, target, target_grad=True, reduction=reduction)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [1.0, 0.3, 2.5])
def test_huber_matches_torch(reduction, delta):
    # differences straddle delta on both sides, plus one exactly at delta
    pred = [0.0, 0.2, -3.0, 1.0 + delta, 5.0, -0.1]
    target = [0.0, 0.0, 0.0, 1.0, 0.5, 0.2]
    check(losses.huber, F.huber_loss, pred, target, target_grad=True, delta=delta,
          reduction=reduction)


def test_sse_is_the_textbooks_half_sum_of_squares():
    check(losses.sse, torch_sse, PRED, TARGET, target_grad=True)
    # the lunch example's first step (WORKED_EXAMPLES.md §1): y = 550, t = 1250
    y = Value(550.0)
    e = losses.sse([y], [1250.0])
    e.backward()
    assert e.data == 245000.0 and y.grad == -700.0


# ---- binary classification ------------------------------------------------------------------


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_matches_torch(reduction):
    p = [0.1, 0.5, 0.9, 0.999, 1e-6, 0.3]
    t = [0.0, 1.0, 1.0, 0.0, 1.0, 0.25]  # soft target 0.25 is allowed, as in torch
    check(losses.bce, F.binary_cross_entropy, p, t, target_grad=True, reduction=reduction)


def test_bce_at_exact_zero_and_one_is_clamped_like_torch():
    # log(0) is clamped at -100, and the gradient divides by max(p(1-p), 1e-12)
    check(losses.bce, F.binary_cross_entropy, [0.0, 1.0, 0.0, 1.0], [1.0, 0.0, 0.0, 1.0],
          reduction="sum")
    out = losses.bce([Value(0.0)], [1.0])
    assert out.data == 100.0


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_bce_with_logits_matches_torch(reduction):
    x = [-3.0, -0.5, 0.0, 0.5, 2.0, 25.0, -25.0, 15.0]
    t = [0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0, 0.3]
    check(losses.bce_with_logits, F.binary_cross_entropy_with_logits, x, t, target_grad=True,
          reduction=reduction)


def test_bce_with_logits_extreme_logits():
    x = [1000.0, -1000.0, 1000.0, -1000.0, 800.0]
    t = [0.0, 1.0, 1.0, 0.0, 0.5]
    check(losses.bce_with_logits, F.binary_cross_entropy_with_logits, x, t, target_grad=True,
          reduction="none")
    # the naive formula overflows: σ(-1000) underflows to 0 and log(0) is undefined
    with pytest.raises(ValueError):
        Value(-1000.0).sigmoid().log()


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_matches_relu_of_margin(reduction):
    s = [2.0, 0.5, -0.3, 1.0, -2.0, 0.0]
    y = [1.0, 1.0, 1.0, 1.0, -1.0, -1.0]  # includes a score exactly at the margin
    check(losses.hinge, torch_hinge, s, y, reduction=reduction)
    check(losses.hinge, torch_hinge, s, y, reduction=reduction, margin=0.5)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_bce_matches_multilabel_soft_margin(reduction):
    x = [[1.0, -2.0, 0.5, 1000.0], [-1000.0, 3.0, 0.0, -0.25]]
    y = [[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 1.0, 1.0]]
    check(losses.multilabel_bce, torch_multilabel, x, y, reduction=reduction)


def test_multilabel_bce_single_sample():
    x, y = [1.0, -2.0, 0.5], [1.0, 0.0, 0.0]
    out = losses.multilabel_bce(_values(x), y)
    ref = F.multilabel_soft_margin_loss(torch.tensor([x], dtype=T), torch.tensor([y], dtype=T))
    assert isinstance(out, Value) and close(out.data, ref.item())


# ---- multi-class ----------------------------------------------------------------------------


LOGITS = [[1.0, 2.0, 0.5], [-1.0, 0.0, 3.0], [0.2, 0.2, 0.2], [5.0, -2.0, 1.0]]
CLASSES = [1, 2, 0, 0]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_matches_torch(reduction):
    check(losses.cross_entropy, F.cross_entropy, LOGITS, CLASSES, target_dtype=torch.long,
          reduction=reduction)


def test_cross_entropy_extreme_logits():
    logits = [[1000.0, -1000.0, 0.0], [-1000.0, -1000.0, -1000.0], [1000.0, 1000.0, -5.0]]
    check(losses.cross_entropy, F.cross_entropy, logits, [1, 2, 0], target_dtype=torch.long,
          reduction="none")
    # what the shift avoids: the naive log Σ e^z overflows to inf
    naive = vsum([Value(1000.0).exp(), Value(-1000.0).exp()])
    assert math.isinf(naive.data)


def test_cross_entropy_single_sample_is_one_value():
    z = _values([1.0, 2.0, 0.5])
    for reduction in REDUCTIONS:
        out = losses.cross_entropy(z, 1, reduction=reduction)
        ref = F.cross_entropy(torch.tensor([1.0, 2.0, 0.5], dtype=T), torch.tensor(1))
        assert isinstance(out, Value) and close(out.data, ref.item())


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_matches_torch(reduction):
    log_probs = [[-0.5, -1.2, -2.0], [-3.0, -0.1, -2.5], [-1.0, -1.0, -1.5]]
    check(losses.nll, F.nll_loss, log_probs, [0, 1, 2], target_dtype=torch.long,
          reduction=reduction)


@settings(max_examples=40, deadline=None)
@given(
    rows=st.lists(
        st.lists(st.floats(-50, 50, allow_nan=False), min_size=3, max_size=3),
        min_size=1, max_size=4,
    ),
    data=st.data(),
)
def test_cross_entropy_random_batches(rows, data):
    classes = [data.draw(st.integers(0, 2)) for _ in rows]
    check(losses.cross_entropy, F.cross_entropy, rows, classes, target_dtype=torch.long,
          rtol=1e-9, atol=1e-11)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.floats(-60, 60, allow_nan=False), st.floats(0, 1)),
                min_size=1, max_size=5))
def test_bce_with_logits_random(pairs):
    x = [a for a, _ in pairs]
    t = [b for _, b in pairs]
    check(losses.bce_with_logits, F.binary_cross_entropy_with_logits, x, t, target_grad=True,
          atol=1e-11)


# ---- regularisation -------------------------------------------------------------------------


def test_penalties_match_torch():
    ws = [0.5, -1.5, 0.0, 2.0]
    for ours, theirs in [(losses.l1_penalty, lambda w: 0.3 * w.abs().sum()),
                         (losses.l2_penalty, lambda w: 0.3 * (w**2).sum())]:
        vs = _values(ws)
        out = ours(vs, lam=0.3)
        out.backward()
        tw = torch.tensor(ws, dtype=T, requires_grad=True)
        ref = theirs(tw)
        ref.backward()
        assert close(out.data, ref.item())
        assert all(close(v.grad, g) for v, g in zip(vs, tw.grad.tolist()))


def test_penalty_accepts_a_module():
    model = nn.MLP(2, [3, 1], seed=0)
    expected = sum(p.data**2 for p in model.parameters())
    assert close(losses.l2_penalty(model).data, expected)
    with pytest.raises(ValueError, match="lam"):
        losses.l2_penalty(model, lam=-1.0)


# ---- errors ---------------------------------------------------------------------------------


def test_length_and_shape_mismatch_errors():
    with pytest.raises(ValueError, match="mse: prediction has 2 elements but target has 3"):
        losses.mse([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match="row 1"):
        losses.l1([[1.0], [2.0, 3.0]], [[1.0], [2.0]])
    with pytest.raises(ValueError, match="mse: row 0 is a number but other rows of the pred"):
        losses.mse([1.0, [2.0]], [1.0, [2.0]])  # said "differ in shape (a scalar vs a scalar)"
    with pytest.raises(ValueError, match="empty"):
        losses.mse([], [])
    with pytest.raises(ValueError, match="reduction"):
        losses.mse([1.0], [1.0], reduction="avg")
    with pytest.raises(TypeError, match="predictions must be Values or numbers"):
        losses.mse(["a"], [1.0])
    with pytest.raises(ValueError, match="delta"):
        losses.huber([1.0], [0.0], delta=0.0)


def test_classification_label_errors():
    with pytest.raises(ValueError, match="not a probability"):
        losses.bce([Value(1.2)], [1.0])
    with pytest.raises(ValueError, match="not a probability"):
        losses.bce([Value(-0.1)], [0.0])
    with pytest.raises(ValueError, match="target 0 = 2.0 is not in"):
        losses.bce_with_logits([Value(0.3)], [2.0])
    with pytest.raises(ValueError, match="-1 or \\+1"):
        losses.hinge([Value(0.3), Value(1.0)], [1, 0])
    with pytest.raises(ValueError, match="class index 3 out of range for 3 classes"):
        losses.cross_entropy([[1.0, 2.0, 3.0]], [3])
    with pytest.raises(TypeError, match="must be an int"):
        losses.cross_entropy([[1.0, 2.0, 3.0]], [1.0])
    with pytest.raises(ValueError, match="2 samples"):
        losses.nll([[1.0, 2.0], [0.0, 1.0]], [0])
    with pytest.raises(ValueError, match="sample 1 has 2 elements"):
        losses.cross_entropy([[1.0, 2.0, 3.0], [1.0, 2.0]], [0, 1])


def test_each_loss_is_written_once_for_values_and_tensors():
    """Value and Tensor predictions run the same function and give the same numbers."""
    y = RNG_LOSSES.normal(size=(3, 2))
    t = RNG_LOSSES.uniform(0.1, 0.9, size=(3, 2))
    cases = [
        (losses.mse, y, t, {}), (losses.l1, y, t, {}), (losses.huber, y, t, {"delta": 0.5}),
        (losses.bce, t[::-1].copy(), t, {}), (losses.bce_with_logits, y, t, {}),
        (losses.hinge, y, np.sign(y), {}), (losses.multilabel_bce, y, t, {}),
        (losses.cross_entropy, y, np.array([0, 1, 1]), {}),
        (losses.nll, y, np.array([1, 0, 1]), {}),
    ]
    for fn, pred, target, kw in cases:
        for reduction in REDUCTIONS:
            vs = [[Value(float(a)) for a in row] for row in pred]
            out = fn(vs, target.tolist(), reduction=reduction, **kw)
            ts = Tensor(pred, requires_grad=True)
            tout = fn(ts, target, reduction=reduction, **kw)
            flat = _flat(out)
            np.testing.assert_allclose([v.data for v in flat], np.ravel(tout.data),
                                       rtol=1e-12, err_msg=f"{fn.__name__} {reduction}")
            for v in flat:
                v.backward()
            tout.backward(np.ones_like(tout.data))
            np.testing.assert_allclose([[v.grad for v in row] for row in vs], ts.grad,
                                       rtol=1e-12, atol=1e-15,
                                       err_msg=f"{fn.__name__} {reduction}")
    for penalty in (losses.l1_penalty, losses.l2_penalty):
        vs = [Value(float(a)) for a in y.ravel()]
        ts = Tensor(y, requires_grad=True)
        assert penalty(vs, 0.5).data == pytest.approx(float(penalty([ts], 0.5).data), rel=1e-12)



def test_graphs_read_like_the_formulas():
    y = [Value(1.0), Value(2.0)]
    out = losses.mse(y, [0.0, 1.0])
    assert out._op == "/" and out._prev[0]._op == "sum"
    assert [n._op for n in out._prev[0]._prev] == ["**2", "**2"]
    assert [n._prev[0]._op for n in out._prev[0]._prev] == ["-", "-"]
    e = losses.sse(y, [0.0, 1.0])
    assert e._op == "*" and e._prev[0]._op == "sum" and e._prev[1].data == 0.5
    z = [Value(1000.0), Value(-1000.0)]
    ce = losses.cross_entropy(z, 0)
    # one CE node per sample, as in PyTorch, with the logits as its parents; its forward
    # shifts by the largest logit (ln Σ e^(z − m) + m − z_y), so nothing overflows
    assert ce._op == "cross_entropy" and ce._fn is OPS["vcross_entropy"]
    assert ce._prev == tuple(z) and ce.data == 0.0
    ce.backward()
    assert [v.grad for v in z] == [0.0, 0.0]
    batch = losses.cross_entropy([[1.0, 2.0], [0.5, 0.0]], [1, 0], reduction="sum")
    assert batch._op == "sum" and [n._op for n in batch._prev] == ["cross_entropy"] * 2
    p = losses.bce([Value(0.3)], [1.0], reduction="sum")
    assert p._prev[0]._op == "bce" and "bce" in OPS


# ---- cross_entropy with infinite logits (issue 14, item 6) ----------------------------------

INF = math.inf
INFINITE_LOGITS = [[INF, 1.0, 2.0], [-INF, 1.0, 2.0], [1.0, -INF, 2.0], [INF, INF, 0.0],
                   [-INF, -INF, -INF], [1.0, INF, -INF], [INF, -INF, 1.0], [math.nan, 1.0, 2.0]]


@pytest.mark.parametrize("row", INFINITE_LOGITS, ids=str)
@pytest.mark.parametrize("target", [0, 1])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_with_infinite_logits_matches_torch(row, target, reduction):
    """+inf anywhere or all −inf: NaN loss and NaN gradients; −inf at the target: inf loss."""
    check(losses.cross_entropy, F.cross_entropy, [row], [target], target_dtype=torch.long,
          reduction=reduction)
    check(losses.cross_entropy, F.cross_entropy, row, target, target_dtype=torch.long,
          reduction=reduction)


@pytest.mark.parametrize("row", INFINITE_LOGITS, ids=str)
def test_tensor_cross_entropy_with_infinite_logits_matches_torch(row):
    import warnings


    z = Tensor(np.array([row, [0.5, 1.0, -1.0]]), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = losses.cross_entropy(z, [1, 2], reduction="none")
        (out * Tensor(np.array([1.0, 1.5]))).sum().backward()
    tz = torch.tensor([row, [0.5, 1.0, -1.0]], dtype=T, requires_grad=True)
    ref = F.cross_entropy(tz, torch.tensor([1, 2]), reduction="none")
    (ref * torch.tensor([1.0, 1.5], dtype=T)).sum().backward()
    assert all(close(a, b) for a, b in zip(out.data.tolist(), ref.tolist()))
    assert all(close(a, b) for a, b in zip(z.grad.ravel().tolist(), tz.grad.ravel().tolist()))


def test_boolean_targets_are_0_and_1_for_values_and_tensors():
    """0/1 labels often come as booleans (``Y = X > 0``): both node types take them."""
    scores = [[0.3, -1.0], [2.0, 0.1]]
    labels = np.array([[True, False], [False, True]])
    for fn in (losses.multilabel_bce, losses.bce_with_logits, losses.mse):
        ours = fn([[Value(s) for s in row] for row in scores], labels.tolist())
        tensor = fn(Tensor(scores), labels)
        reference = fn(Tensor(scores), labels.astype(float))
        assert ours.data == pytest.approx(float(tensor.data), rel=1e-12)
        assert float(tensor.data) == float(reference.data)
    with pytest.raises(TypeError, match="predictions must be Values or numbers, got bool"):
        losses.mse([True], [1.0])
