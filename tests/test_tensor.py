"""Tensor ops vs PyTorch float64 (values and every gradient), autograd semantics, errors."""

from __future__ import annotations

import gc
import re
import warnings
import weakref

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from test_ops import CALLS
from micrograd_plus import anomaly, no_grad
from micrograd_plus.core.autograd import AnomalyError
from micrograd_plus.core.tensor import Tensor, concatenate, linear, maximum, stack, where

RNG = np.random.default_rng(1234)


def check(f, *arrays, g_torch=None, rtol=1e-10, atol=1e-12, dtype=np.float64):
    """Run ``f`` on Tensors and on torch tensors (``g_torch`` if torch needs other code);
    compare the result and the gradient of every input, seeded with a random upstream grad."""
    g_torch = g_torch or f
    ours = [Tensor(a, requires_grad=True, dtype=dtype) for a in arrays]
    out = f(*ours)
    seed = RNG.normal(size=out.shape).astype(dtype)
    out.backward(seed)
    theirs = [torch.tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in arrays]
    ref = g_torch(*theirs)
    ref.backward(torch.tensor(seed))
    assert out.dtype == ref.detach().numpy().dtype
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=rtol, atol=atol)
    assert out.shape == tuple(ref.shape)
    for i, (t, r) in enumerate(zip(ours, theirs)):
        rg = np.zeros(t.shape, dtype) if r.grad is None else r.grad.numpy()
        assert t.grad is not None, f"input {i} got no gradient"
        assert t.grad.shape == t.shape and t.grad.dtype == t.dtype
        np.testing.assert_allclose(t.grad, rg, rtol=rtol, atol=atol, err_msg=f"grad of input {i}")


def rand(*shape, low=-2.0, high=2.0):
    return RNG.uniform(low, high, size=shape)


# -- elementwise binary with broadcasting -------------------------------------------------
SHAPE_PAIRS = [((3,), (3,)), ((2, 3), (3,)), ((2, 1), (1, 3)), ((4, 1, 3), (2, 1)),
               ((), (2, 3)), ((2, 3), ()), ((1,), (5, 1))]
# the operators as tests/test_ops.py calls them, and a chain of them
BINARY = {name: CALLS[op] for name, op in
          (("add", "+"), ("sub", "-"), ("mul", "*"), ("div", "/"), ("pow", "**"))}
BINARY["chain"] = lambda a, b: (a * b - a / b) * a


@pytest.mark.parametrize("name", BINARY)
@pytest.mark.parametrize("shapes", SHAPE_PAIRS, ids=str)
def test_binary_ops_broadcast_like_torch(name, shapes):
    sa, sb = shapes
    a = rand(*sa, low=0.5, high=2.0)
    b = rand(*sb, low=0.5, high=2.0) * RNG.choice([-1, 1], size=sb)
    check(BINARY[name], a, b)


@settings(max_examples=40, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=3,
                                                 max_side=3),
       name=st.sampled_from(["add", "sub", "mul", "div", "chain"]))
def test_binary_ops_on_hypothesis_shapes(shapes, name):
    sa, sb = shapes.input_shapes
    check(BINARY[name], rand(*sa), rand(*sb, low=0.5, high=2.0))


@pytest.mark.parametrize("f", [
    lambda x: 2.0 - x, lambda x: 3 / x, lambda x: 1.5 + x, lambda x: x * 4, lambda x: -x,
    lambda x: x ** 3, lambda x: x ** 2, lambda x: x ** 0.5, lambda x: x ** 0, lambda x: x ** -1,
    lambda x: 2 ** x, lambda x: +x - x * x,
], ids=["rsub", "rdiv", "radd", "mul", "neg", "cube", "sq", "sqrtpow", "pow0", "inv", "rpow",
        "pos"])
def test_mixing_with_python_numbers(f):
    check(f, rand(2, 3, low=0.5, high=2.0))


def test_mixing_with_numpy_arrays_reflected():
    c = rand(3)
    check(lambda x: c * x + x / c - c, rand(2, 3), g_torch=lambda x: torch.tensor(c) * x
          + x / torch.tensor(c) - torch.tensor(c))
    x = Tensor(rand(2, 3), requires_grad=True)
    out = c - x  # numpy's operator defers to Tensor.__rsub__
    assert isinstance(out, Tensor)
    np.testing.assert_allclose(out.data, c - x.data)


def test_div_gradient_with_tiny_divisor_does_not_underflow():
    # ∂(a/b)/∂b = −a/b²: with b² computed first, b = 1e-200 gives b² = 0 and −inf
    a, b = np.array([1e-200, 3.0, -2e-170]), np.array([1e-200, 1e-170, 4e-170])
    check(lambda x, y: x / y, a, b, rtol=1e-12, atol=0)
    check(lambda x, y: 2.0 / (x / y), a, b, rtol=1e-12, atol=0)


def test_pow_with_tensor_exponent_at_zero_base_matches_torch():
    check(lambda a, b: a ** b, np.array([0.0, 0.0, 2.0, 3.0]), np.array([0.0, 2.0, 0.5, 0.0]))


# -- elementwise unary --------------------------------------------------------------------
UNARY = {
    "exp": (lambda x: x.exp(), None),
    "log": (lambda x: x.log(), None),
    "sqrt": (lambda x: x.sqrt(), None),
    "tanh": (lambda x: x.tanh(), None),
    "sigmoid": (lambda x: x.sigmoid(), None),
    "relu": (lambda x: x.relu(), None),
    "abs": (lambda x: x.abs(), None),
    "abs_op": (lambda x: abs(x), None),
    "leaky_relu": (lambda x: x.leaky_relu(0.1),
                   lambda x: torch.nn.functional.leaky_relu(x, 0.1)),
    "leaky_default": (lambda x: x.leaky_relu(), torch.nn.functional.leaky_relu),
    "clip": (lambda x: x.clip(-0.5, 1.0), lambda x: x.clamp(-0.5, 1.0)),
    "clip_lo": (lambda x: x.clip(min=0.25), lambda x: x.clamp(min=0.25)),
    "clip_hi": (lambda x: x.clip(max=0.25), lambda x: x.clamp(max=0.25)),
}


@pytest.mark.parametrize("name", UNARY)
def test_unary_ops_match_torch(name):
    f, g = UNARY[name]
    positive = name in ("log", "sqrt")
    x = rand(3, 4, low=0.1 if positive else -3.0, high=3.0)
    check(f, x, g_torch=g)


@pytest.mark.parametrize("name", ["relu", "abs", "leaky_relu", "clip"])
def test_kinks_follow_torch_conventions(name):
    f, g = UNARY[name]
    check(f, np.array([0.0, -0.5, 1.0, -1e-300, 0.25]), g_torch=g)


@pytest.mark.parametrize("name", ["relu", "abs", "leaky_relu", "clip", "sigmoid", "tanh", "exp"])
def test_nan_and_infinities_follow_torch_without_numpy_warnings(name):
    f, g = UNARY[name]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check(f, np.array([np.nan, np.inf, -np.inf, 0.0, -1.5]), g_torch=g)


def test_max_and_maximum_next_to_nan_follow_torch():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a NaN row of max has 0/0 gradients, silently
        check(lambda t: t.max(axis=1), np.array([[1.0, np.nan], [3.0, 2.0]]),
              g_torch=lambda t: t.amax(1))
        check(lambda a, b: maximum(a, b), np.array([1.0, np.nan, 2.0, 5.0]),
              np.array([np.nan, 0.0, 2.0, 1.0]), g_torch=torch.maximum)


@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_rows_with_infinities_follow_torch_without_numpy_warnings(name):
    rows = np.array([[np.inf, 0.0, 1.0], [-np.inf] * 3, [np.nan, 1.0, 0.0], [-np.inf, 0.0, 1.0]])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check(lambda t: getattr(t, name)(), rows, g_torch=lambda t: getattr(t, name)(-1))


def test_sigmoid_tanh_exp_stable_at_1000():
    x = np.array([-1000.0, -40.0, 0.0, 40.0, 1000.0])
    check(lambda t: t.sigmoid(), x)
    check(lambda t: t.tanh(), x)
    out = Tensor(x).exp()
    assert out.data[-1] == np.inf and out.data[0] == 0.0


@settings(max_examples=30, deadline=None)
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=4),
                    elements=st.floats(-5, 5)),
       names=st.lists(st.sampled_from(["exp", "tanh", "sigmoid", "relu", "abs",
                                       "leaky_relu", "clip"]), min_size=1, max_size=4))
def test_hypothesis_chains_of_unary_ops(x, names):
    def f(t):
        for n in names:
            t = UNARY[n][0](t)
        return t

    def g(t):
        for n in names:
            t = (UNARY[n][1] or UNARY[n][0])(t)
        return t

    check(f, x, g_torch=g)


# -- linear algebra -----------------------------------------------------------------------
MATMUL_SHAPES = [((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 4)), ((2, 3), (3, 4)),
                 ((5, 2, 3), (3, 4)), ((3,), (5, 3, 2)), ((5, 2, 3), (3,)),
                 ((5, 2, 3), (5, 3, 4)), ((5, 1, 2, 3), (4, 3, 2)), ((1, 2, 3), (4, 3, 2))]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_like_numpy_and_torch(shapes):
    check(lambda a, b: a @ b, rand(*shapes[0]), rand(*shapes[1]))
    check(lambda a, b: a.matmul(b), rand(*shapes[0]), rand(*shapes[1]))


def test_matmul_with_numpy_operand_on_either_side():
    w = rand(3, 2)
    check(lambda x: x @ w, rand(4, 3), g_torch=lambda x: x @ torch.tensor(w))
    check(lambda x: w.T @ x, rand(3, 4), g_torch=lambda x: torch.tensor(w.T) @ x)


@pytest.mark.parametrize("xshape", [(4, 3), (3,), (2, 5, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch_functional_linear(xshape, bias):
    args = [rand(*xshape), rand(2, 3)] + ([rand(2)] if bias else [])
    check(lambda *t: linear(*t), *args, g_torch=lambda *t: torch.nn.functional.linear(*t))


@pytest.mark.parametrize("bshape", [(1, 2), (4, 2), ()], ids=str)
def test_linear_bias_of_any_broadcastable_shape_matches_torch(bshape):
    # the bias gradient is summed back by the engine, like any broadcast operand's
    check(lambda *t: linear(*t), rand(4, 3), rand(2, 3), rand(*bshape),
          g_torch=lambda *t: torch.nn.functional.linear(*t))


# -- reductions ---------------------------------------------------------------------------
AXES = [None, 0, 1, -1, (0, 2), (-1, 0)]


@pytest.mark.parametrize("axis", AXES, ids=str)
@pytest.mark.parametrize("keepdims", [False, True])
@pytest.mark.parametrize("name", ["sum", "mean", "max", "min"])
def test_reductions_match_torch(name, axis, keepdims):
    x = rand(2, 3, 4)
    torch_name = {"max": "amax", "min": "amin"}.get(name, name)

    def g(t):
        if axis is None and name in ("max", "min") and not keepdims:
            return getattr(torch, torch_name)(t)
        if axis is None:
            dims = tuple(range(t.ndim))
            return getattr(torch, torch_name)(t, dim=dims, keepdim=keepdims)
        return getattr(torch, torch_name)(t, dim=axis, keepdim=keepdims)

    check(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims), x, g_torch=g)


@settings(max_examples=40, deadline=None)
@given(x=hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, max_side=3),
                    elements=st.sampled_from([-1.0, 0.0, 0.5, 2.0])),  # ties are likely
       name=st.sampled_from(["sum", "mean", "max", "min"]), keepdims=st.booleans(),
       data=st.data())
def test_reductions_on_hypothesis_shapes_and_axes(x, name, keepdims, data):
    axis = data.draw(st.none() | st.integers(-x.ndim, x.ndim - 1)) if x.ndim else None
    torch_fn = getattr(torch, {"max": "amax", "min": "amin"}.get(name, name))

    def g(t):
        if t.ndim == 0 and name in ("max", "min"):
            return torch_fn(t)
        return torch_fn(t, dim=tuple(range(t.ndim)) if axis is None else axis, keepdim=keepdims)

    check(lambda t: getattr(t, name)(axis=axis, keepdims=keepdims), x, g_torch=g)


@pytest.mark.parametrize("axis", [None, 0, 1])
def test_max_min_split_gradient_among_ties_like_amax(axis):
    x = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, -1.0], [3.0, 0.0, 3.0]])
    dims = (0, 1) if axis is None else axis
    check(lambda t: t.max(axis=axis), x, g_torch=lambda t: torch.amax(t, dim=dims))
    check(lambda t: t.min(axis=axis), -x, g_torch=lambda t: torch.amin(t, dim=dims))


def test_maximum_splits_ties_like_torch():
    a = np.array([1.0, 2.0, 3.0, 2.0])
    b = np.array([[1.0], [2.5]])
    check(lambda s, t: maximum(s, t), a, b, g_torch=torch.maximum)


# -- shape ops and indexing ---------------------------------------------------------------
def test_reshape_transpose_and_T():
    x = rand(2, 3, 4)
    check(lambda t: t.reshape(4, 6), x)
    check(lambda t: t.reshape((3, -1)), x)
    check(lambda t: t.transpose(2, 0, 1), x, g_torch=lambda t: t.permute(2, 0, 1))
    check(lambda t: t.transpose(), x, g_torch=lambda t: t.permute(2, 1, 0))
    check(lambda t: t.T * 2, rand(3, 5))


INDEXES = {
    "int": 1,
    "neg_int": -1,
    "slice": slice(1, None),
    "step": (slice(None), slice(None, None, 2)),
    "newaxis_ellipsis": (None, Ellipsis, 0),
    "int_array_repeats": np.array([0, 2, 0, 0]),
    "pairs": (np.array([0, 1, 2, 2]), np.array([3, 0, 3, 3])),
    "bool_mask": np.array([True, False, True]),
    "list": [2, 2, 1],
    "mixed": (slice(0, 2), np.array([1, 1, 3])),
}


@pytest.mark.parametrize("name", INDEXES)
def test_getitem_scatters_gradient_like_torch(name):
    idx = INDEXES[name]

    def g(t):
        return t[tuple(torch.as_tensor(i) if isinstance(i, np.ndarray) else i for i in idx)
                 if isinstance(idx, tuple) else
                 (torch.as_tensor(idx) if isinstance(idx, np.ndarray) else idx)]

    check(lambda t: t[idx], rand(3, 4), g_torch=g)


def test_getitem_with_tensor_index_and_iteration():
    x = Tensor(rand(3, 2), requires_grad=True)
    rows = [r for r in x]
    assert len(rows) == 3
    np.testing.assert_array_equal(rows[2].data, x.data[2])
    with pytest.raises(TypeError, match="0-d"):  # not an empty iteration, as in torch
        iter(Tensor(1.0))
    i = Tensor([2, 0])
    x[i].sum().backward()
    np.testing.assert_array_equal(x.grad, [[1, 1], [0, 0], [1, 1]])


def test_concatenate_and_stack_match_torch():
    a, b, c = rand(2, 3), rand(1, 3), rand(4, 3)
    check(lambda *t: concatenate(t, axis=0), a, b, c, g_torch=lambda *t: torch.cat(t, 0))
    a, b = rand(2, 3), rand(2, 5)
    check(lambda *t: concatenate(t, axis=-1), a, b, g_torch=lambda *t: torch.cat(t, -1))
    for axis in (0, 1, -1):
        check(lambda *t: stack(t, axis=axis), rand(2, 3), rand(2, 3),
              g_torch=lambda *t: torch.stack(t, axis))


def test_where_matches_torch():
    cond = rand(2, 3) > 0
    check(lambda a, b: where(cond, a, b), rand(2, 3), rand(3),
          g_torch=lambda a, b: torch.where(torch.as_tensor(cond), a, b))
    x = Tensor(rand(4), requires_grad=True)
    y = where(x > 0, x, 0.0)  # a number on one side
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, (x.data > 0).astype(float))


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_softmax_and_log_softmax_match_torch_and_are_stable(axis):
    x = rand(3, 4) * 5
    x[0, 0] = 1000.0
    x[1, 2] = -1000.0
    check(lambda t: t.softmax(axis), x, g_torch=lambda t: torch.softmax(t, axis))
    check(lambda t: t.log_softmax(axis), x, g_torch=lambda t: torch.log_softmax(t, axis))


@pytest.mark.parametrize("axis", [0, -1])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_a_0d_tensor_along_0_or_minus_1_like_torch(name, axis):
    # the default axis is -1, so a 0-d Tensor must accept it as torch does
    check(lambda t: getattr(t, name)(axis), np.array(0.7),
          g_torch=lambda t: getattr(t, name)(axis))
    with pytest.raises(ValueError, match=r"axis 1 is out of range for a Tensor of shape \(\)"):
        getattr(Tensor(0.7), name)(1)


# -- float32 ------------------------------------------------------------------------------
@pytest.mark.parametrize("f", [
    lambda a, b: (a * b + 2.0).tanh().sum(axis=0),
    lambda a, b: (a @ b.T).sigmoid().mean(),
    lambda a, b: (a - b).abs().log_softmax(1),
    lambda a, b: (a / (b * b + 1)).relu() ** 2,
    lambda a, b: concatenate([a, b], 0).max(axis=1),
])
def test_float32_kept_through_ops_and_matches_torch_float32(f):
    def cat_max(a, b):
        return torch.amax(torch.cat([a, b], 0), dim=1)

    g = cat_max if "concatenate" in f.__code__.co_names else None
    check(f, rand(2, 3), rand(2, 3), g_torch=g, dtype=np.float32, rtol=1e-5, atol=1e-6)


def test_float32_with_python_numbers_and_arrays_stays_float32():
    x = Tensor([1.0, 2.0], dtype=np.float32, requires_grad=True)
    y = (x * 2.5 + np.array([1.0, 2.0]) - 1) / 3 ** x
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32


def test_mixed_dtypes_promote_and_grads_keep_each_dtype():
    a = Tensor([1.0, 2.0], dtype=np.float32, requires_grad=True)
    b = Tensor([3.0, 4.0], requires_grad=True)
    out = a * b
    assert out.dtype == np.float64
    out.sum().backward()
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_allclose(a.grad, [3.0, 4.0])


# -- autograd semantics (PyTorch's) -------------------------------------------------------
def test_worked_example_5_first_program_matches_torch_and_accumulates():
    x = Tensor(np.ones((2, 2)), requires_grad=True)
    y = x + 2
    z = y * y * 2
    out = z.mean()
    tx = torch.ones(2, 2, dtype=torch.float64, requires_grad=True)
    tz = (tx + 2) * (tx + 2) * 2
    tout = tz.mean()
    np.testing.assert_allclose(z.data, tz.detach().numpy())
    assert out.item() == tout.item() == 18.0
    out.backward()
    tout.backward(retain_graph=True)
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())
    np.testing.assert_array_equal(x.grad, np.full((2, 2), 3.0))
    out.backward()  # no zeroing: accumulates like PyTorch
    tout.backward()
    np.testing.assert_array_equal(x.grad, tx.grad.numpy())
    np.testing.assert_array_equal(x.grad, np.full((2, 2), 6.0))
    assert x.is_leaf and not y.is_leaf and y.grad is None
    assert x.requires_grad and out.grad_fn is not None and x.grad_fn is None
    assert out._op == "mean" and z._op == "*"


def test_worked_example_5_graph_created_on_the_fly_matches_torch():
    rng = np.random.default_rng(5)
    arrays = {
        "x": rng.normal(size=(1, 10)), "prev_h": rng.normal(size=(1, 20)),
        "W_h": rng.normal(size=(20, 20)), "W_x": rng.normal(size=(20, 10)),
    }
    ours = {k: Tensor(v, requires_grad=True, label=k) for k, v in arrays.items()}
    theirs = {k: torch.tensor(v, requires_grad=True) for k, v in arrays.items()}

    def program(t):
        i2h = t["W_x"] @ t["x"].T
        h2h = t["W_h"] @ t["prev_h"].T
        next_h = (i2h + h2h).tanh()
        return next_h, next_h.sum()

    next_h, loss = program(ours)
    tnext_h, tloss = program(theirs)
    loss.backward()
    tloss.backward()
    np.testing.assert_allclose(next_h.data, tnext_h.detach().numpy(), rtol=1e-12)
    assert abs(loss.item() - tloss.item()) < 1e-12
    for k in arrays:
        np.testing.assert_allclose(ours[k].grad, theirs[k].grad.numpy(), rtol=1e-10,
                                   atol=1e-13, err_msg=k)
    assert next_h.shape == (20, 1) and ours["W_x"].label == "W_x"


def test_worked_example_5_first_program_with_scalar_values_element_by_element():
    from micrograd_plus import Value

    xs = [Value(1.0) for _ in range(4)]
    zs = [(x + 2) * (x + 2) * 2 for x in xs]
    out = sum(zs) * 0.25
    out.backward()
    t = Tensor(np.ones((2, 2)), requires_grad=True)
    ((t + 2) * (t + 2) * 2).mean().backward()
    assert out.data == 18.0 and [z.data for z in zs] == [18.0] * 4
    np.testing.assert_array_equal([x.grad for x in xs], t.grad.ravel())


def test_worked_example_5_tensor_graph_draws_with_shapes_labels_and_symbols():
    from micrograd_plus.viz import draw_graph

    rng = np.random.default_rng(5)
    x = Tensor(rng.normal(size=(1, 10)), requires_grad=True, label="x")
    h = Tensor(rng.normal(size=(1, 20)), requires_grad=True, label="prev_h")
    w_h = Tensor(rng.normal(size=(20, 20)), requires_grad=True, label="W_h")
    w_x = Tensor(rng.normal(size=(20, 10)), requires_grad=True, label="W_x")
    loss = ((w_x @ x.T) + (w_h @ h.T)).tanh().sum()
    loss.backward()
    src = draw_graph(loss).source
    for text in ("W_x", "W_h", "prev_h", "20×10", "20×1", "tanh", "@"):
        assert text in src, text


@settings(max_examples=30, deadline=None)
@given(shapes=hnp.mutually_broadcastable_shapes(signature="(m?,n),(n,p?)->(m?,p?)",
                                                 max_dims=4, max_side=3))
def test_matmul_on_hypothesis_shapes(shapes):
    sa, sb = shapes.input_shapes
    check(lambda a, b: a @ b, rand(*sa), rand(*sb))


def test_only_leaves_keep_grads_unless_retain_grad():
    x = Tensor(rand(3), requires_grad=True)
    h = x * 2
    h.retain_grad()
    k = h.exp()
    k.sum().backward()
    tx = torch.tensor(x.data, requires_grad=True)
    th = tx * 2
    th.retain_grad()
    th.exp().sum().backward()
    np.testing.assert_allclose(h.grad, th.grad.numpy())
    np.testing.assert_allclose(x.grad, tx.grad.numpy())
    assert k.grad is None


def test_constants_get_no_grad_and_graph_needs_a_tracked_input():
    c = Tensor(rand(3))
    x = Tensor(rand(3), requires_grad=True)
    (c * x).sum().backward()
    assert c.grad is None and not c.requires_grad
    y = c * 2
    assert not y.requires_grad and y.is_leaf and y._prev == ()
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_non_scalar_backward_needs_seed_of_right_shape():
    x = Tensor(rand(2, 3), requires_grad=True)
    y = x * 3
    with pytest.raises(ValueError, match=r"shape \(2, 3\).*seed"):
        y.backward()
    with pytest.raises(ValueError, match=r"\(3,\).*\(2, 3\)"):
        y.backward(np.ones(3))
    with pytest.raises(TypeError, match="numeric"):
        y.backward("ones")
    y.backward(Tensor(np.ones((2, 3))))
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 3.0))
    single = (x.sum(keepdims=True))
    single.backward()  # a single element needs no seed, like torch
    np.testing.assert_array_equal(x.grad, np.full((2, 3), 4.0))


def test_hooks_can_replace_the_gradient_and_be_removed():
    x = Tensor(rand(3), requires_grad=True)
    seen = []
    h = x * 2
    handle = h.register_hook(lambda g: seen.append(g.copy()) or g * 10)
    h.sum().backward()
    np.testing.assert_array_equal(seen[0], np.ones(3))
    np.testing.assert_array_equal(x.grad, np.full(3, 20.0))
    handle.remove()
    x.zero_grad()
    assert x.grad is None
    h.sum().backward()
    np.testing.assert_array_equal(x.grad, np.full(3, 2.0))


def test_requires_grad_switch_is_for_leaves_like_torch():
    x = Tensor(rand(3)).requires_grad_()
    h = x * 2
    y = (h * h).sum()
    with pytest.raises(RuntimeError, match=r"requires_grad_\(False\) on a Tensor made by '\*'.*"
                                           r"detach"):
        h.requires_grad_(False)  # torch refuses too: x would silently get no gradient
    assert h.requires_grad and h.requires_grad_(True) is h
    y.backward()
    np.testing.assert_allclose(x.grad, 8.0 * x.data)
    assert not x.requires_grad_(False).requires_grad


def test_a_hook_may_not_change_the_gradients_shape_like_torch():
    x = Tensor(rand(3), requires_grad=True, label="x")
    x.register_hook(lambda g: g[None])  # (1, 3) would be stored as x.grad silently
    with pytest.raises(ValueError, match=r"hook '<lambda>' of 'x' .*changed the gradient's "
                                         r"shape from \(3,\) to \(1, 3\)"):
        (x * 2).sum().backward()
    assert x.grad is None


def test_no_grad_and_detach_record_nothing():
    x = Tensor(rand(3), requires_grad=True)
    with no_grad():
        y = (x * 2).exp()
    assert not y.requires_grad and y._prev == () and y._op == "exp"
    d = x.detach()
    assert not d.requires_grad and d.data is x.data
    z = (d * x).sum()
    z.backward()
    np.testing.assert_allclose(x.grad, x.data)


def test_anomaly_names_the_op_that_made_inf():
    x = Tensor([1.0, 0.0], requires_grad=True)
    y = x.log()  # no exception outside anomaly mode: IEEE -inf like torch
    assert y.data[1] == -np.inf
    with anomaly(), pytest.raises(AnomalyError, match="log"):
        x.log()
    with anomaly(), pytest.raises(AnomalyError, match="backward of 'sqrt'"):
        Tensor([0.0, 4.0], requires_grad=True).sqrt().sum().backward()


def test_deep_chain_needs_no_recursion_and_graph_is_freed_by_refcount():
    x = Tensor(rand(4), requires_grad=True)
    y = x
    for _ in range(20000):
        y = y * 1.0
    y.sum().backward()
    np.testing.assert_array_equal(x.grad, np.ones(4))
    gc.disable()
    try:
        z = (x * 2).tanh()
        ref = weakref.ref(z)
        inner = weakref.ref(z._prev[0])
        del z
        assert ref() is None and inner() is None
    finally:
        gc.enable()


def test_identity_equality_and_elementwise_comparisons():
    a = Tensor([1.0, 2.0, 3.0])
    b = Tensor([1.0, 5.0, 0.0])
    assert a != b and a == a and len({a, b}) == 2 and b in [a, b]
    np.testing.assert_array_equal(a < b, [False, True, False])
    np.testing.assert_array_equal(a >= 2, [False, True, True])
    np.testing.assert_array_equal(a.eq(b), [True, False, False])
    np.testing.assert_array_equal(a.ne(b), [False, True, True])


def test_attributes_and_conversions():
    x = Tensor([[1, 2, 3]], requires_grad=True, label="x")
    assert x.shape == (1, 3) and x.ndim == 2 and x.size == 3 and x.dtype == np.float64
    assert x.numpy() is x.data and np.asarray(x) is x.data and len(x) == 1
    assert Tensor(2.5).item() == 2.5 and float(Tensor([[4.0]])) == 4.0
    assert "label='x'" in repr(x) and "requires_grad=True" in repr(x)
    assert "float32" in repr(Tensor([1.0], dtype=np.float32))
    assert Tensor(np.array([1, 2], dtype=np.float32), dtype=None).dtype == np.float32
    src = np.array([1.0, 2.0])
    t = Tensor(src)
    src[0] = 99.0
    assert t.data[0] == 1.0  # the constructor copies
    copied = np.array(t)  # np.array copies, np.asarray shares (numpy's rules)
    copied[0] = -1.0
    assert t.data[0] == 1.0 and np.asarray(t) is t.data
    assert np.asarray(t, dtype=np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="without a copy"):
        np.asarray(t, dtype=np.float32, copy=False)
    assert bool(Tensor([2.0])) and not Tensor(0.0)
    with pytest.raises(ValueError, match=r"truth value of a Tensor of shape \(2,\)"):
        bool(Tensor([1.0, 2.0]))


# -- errors -------------------------------------------------------------------------------
def test_shape_mismatch_errors_name_the_op_and_both_shapes():
    a, b = Tensor(rand(2, 3)), Tensor(rand(4,))
    for f, op in [(lambda: a + b, r"\+"), (lambda: a * b, r"\*"), (lambda: a - b, "-"),
                  (lambda: a / b, "/")]:
        with pytest.raises(ValueError, match=rf"{op}: shapes \(2, 3\) and \(4,\)"):
            f()
    with pytest.raises(ValueError, match=r"matmul: shapes \(2, 3\) and \(2, 3\)"):
        a @ a
    with pytest.raises(ValueError, match=r"matmul: shapes \(\) and \(\)"):
        Tensor(1.0) @ Tensor(2.0)
    with pytest.raises(ValueError, match=r"reshape.*\(2, 3\)"):
        a.reshape(4, 2)
    with pytest.raises(ValueError, match=r"concatenate: shapes \(2, 3\), \(4,\)"):
        concatenate([a, b])
    with pytest.raises(ValueError, match=r"where: shapes"):
        where(np.array([True, False]), a, b)
    with pytest.raises(ValueError, match=r"sum.*\(2, 3\)"):
        a.sum(axis=5)
    with pytest.raises(IndexError, match=r"getitem.*\(2, 3\)"):
        a[5]
    with pytest.raises(TypeError, match=r"reshape: bad argument for a Tensor of shape \(2, 3\)"):
        a.reshape(2.5, 2)
    with pytest.raises(TypeError, match=r"transpose: bad argument .* \(2, 3\).*'str'"):
        a.transpose("1", 0)


def test_bad_data_and_arguments_raise_clear_errors():
    with pytest.raises(TypeError, match="numeric"):
        Tensor("abc")
    with pytest.raises(TypeError, match="numeric"):
        Tensor([object()])
    with pytest.raises(ValueError, match="rectangular"):
        Tensor([[1.0, 2.0], [3.0]])
    with pytest.raises(TypeError, match="float dtype"):
        Tensor([1, 2], dtype=np.int64)
    with pytest.raises(TypeError, match="unsupported operand"):
        Tensor([1.0]) + "x"
    with pytest.raises(TypeError, match="unsupported operand"):
        Tensor([1.0]) * None
    with pytest.raises(TypeError, match="axis"):
        Tensor([1.0]).sum(axis="0")
    with pytest.raises(TypeError, match="slope"):
        Tensor([1.0]).leaky_relu("x")
    with pytest.raises(ValueError, match="item"):
        Tensor([1.0, 2.0]).item()
    with pytest.raises(TypeError, match="boolean"):
        where(np.array([1, 0]), Tensor([1.0, 2.0]), 0.0)
    with pytest.raises(TypeError, match="list or tuple"):
        stack(Tensor([1.0]))
    with pytest.raises(ValueError, match="axis 2"):
        Tensor(rand(2, 2)).softmax(2)


@pytest.mark.parametrize("bad", [1.5, "1", True])
def test_an_axis_that_is_not_an_int_is_a_type_error_not_truncated(bad):
    a, shown = Tensor(rand(2, 3)), re.escape(repr(bad))
    for f in (lambda: concatenate([a, a], axis=bad), lambda: stack([a, a], axis=bad),
              lambda: a.softmax(bad), lambda: a.sum(axis=bad), lambda: a.max(axis=(0, bad))):
        with pytest.raises(TypeError, match=r"axis must be .*an int.*got .*" + shown):
            f()
