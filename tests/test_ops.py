"""The op table drives these tests: every op, on every node type the table names, against
PyTorch float64 (forward value and every input's gradient).

``CALLS`` says how this library calls an op and ``EXAMPLES`` gives each op's inputs' shapes
and parameters; an op added to the table without them, a rule text, a symbol or a torch
reference makes ``test_every_op_is_declared_and_tested`` fail.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from micrograd_plus import Tensor, Value, dot, losses, vsum
from micrograd_plus.core import tensor as T
from micrograd_plus.core.ops import OPS

RNG = np.random.default_rng(12)

# How micrograd_plus calls each op: inputs first, then the op's parameters as keywords.
CALLS = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / b,
    "**": lambda a, b: a**b,
    "**k": lambda a, k: a**k,
    "neg": lambda a: -a,
    "abs": lambda a: abs(a),
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "sqrt": lambda a: a.sqrt(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "ReLU": lambda a: a.relu(),
    "leaky_relu": lambda a, slope: a.leaky_relu(slope),
    "softplus": lambda a: a.softplus(),
    "sin": lambda a: a.sin(),
    "cos": lambda a: a.cos(),
    "clip": lambda a, lo, hi: a.clip(lo, hi),
    "maximum": lambda a, b: T.maximum(a, b),
    "where": lambda a, b, cond: T.where(cond, a, b),
    "bce": lambda p, t: (losses.bce(p, t, reduction="none") if isinstance(p, Tensor)
                         else losses.bce([p], [t], reduction="sum")),
    "bce_with_logits": lambda x, t: losses.bce_with_logits(x, t, reduction="none"),
    "huber": lambda d, delta: (losses.huber(d, np.zeros(d.shape), delta, reduction="none")
                               if isinstance(d, Tensor)
                               else losses.huber([d], [0.0], delta, reduction="none")[0]),
    "cross_entropy": lambda z, target: losses.cross_entropy(z, target, reduction="none"),
    "vcross_entropy": lambda *z, target: losses.cross_entropy(list(z), target),
    "vsum": lambda *xs: vsum(xs),
    "dot": lambda w1, x1, w2, x2: dot([w1, w2], [x1, x2]),
    "sum": lambda a, axis, keepdims: a.sum(axis, keepdims),
    "mean": lambda a, axis, keepdims: a.mean(axis, keepdims),
    "max": lambda a, axis, keepdims: a.max(axis, keepdims),
    "min": lambda a, axis, keepdims: a.min(axis, keepdims),
    "reshape": lambda a, shape: a.reshape(shape),
    "transpose": lambda a, axes: a.transpose(axes) if axes else a.T,
    "getitem": lambda a, index, basic: a[index],
    "scatter": lambda g, index, shape, basic: T._scatter_node(g, index, shape, basic),
    "broadcast_to": lambda a, shape: T.broadcast_to(a, shape),
    "sum_to": lambda a, shape: T.sum_to_shape(a, shape),
    "concatenate": lambda *xs, axis: T.concatenate(list(xs), axis),
    "stack": lambda *xs, axis: T.stack(list(xs), axis),
    "matmul": lambda a, b: a @ b,
    "linear": lambda x, w, b: T.linear(x, w, b),
    "softmax": lambda a, axis: a.softmax(axis),
    "log_softmax": lambda a, axis: a.log_softmax(axis),
}

_ADV = (np.array([0, 2, 0]),)  # an advanced index that repeats an element
# Tensor inputs' shapes and the op's parameters; Values use one number per input.
EXAMPLES = {
    "+": ([(2, 3), (3,)], {}),  # broadcasting
    "-": ([(2, 1), (1, 3)], {}),
    "*": ([(2, 3), (2, 3)], {}),
    "/": ([(2, 3), (1, 3)], {}),
    "**": ([(2, 3), (2, 3)], {}),
    "**k": ([(2, 3)], {"k": 3}),
    "leaky_relu": ([(2, 3)], {"slope": 0.1}),
    "clip": ([(3, 4)], {"lo": -0.5, "hi": 0.5}),
    "maximum": ([(2, 3), (3,)], {}),
    "where": ([(2, 3), (2, 3)], {"cond": np.array([[True, False, True], [False, True, True]])}),
    "bce": ([(2, 3), (2, 3)], {}),
    "bce_with_logits": ([(2, 3), (2, 3)], {}),
    "huber": ([(3, 4)], {"delta": 1.0}),  # inputs in (−2, 2): both sides of δ
    "cross_entropy": ([(3, 4)], {"target": np.array([0, 3, 1])}),
    "vcross_entropy": ([(), (), ()], {"target": 2}),
    "vsum": ([(), (), ()], {}),
    "dot": ([(), (), (), ()], {}),
    "sum": ([(2, 3, 2)], {"axis": (0, 2), "keepdims": False}),
    "mean": ([(2, 3)], {"axis": 1, "keepdims": True}),
    "max": ([(3, 4)], {"axis": 0, "keepdims": False}),
    "min": ([(3, 4)], {"axis": None, "keepdims": False}),
    "reshape": ([(2, 3)], {"shape": (3, 2)}),
    "transpose": ([(2, 3, 4)], {"axes": (1, 2, 0)}),
    "getitem": ([(3, 4)], {"index": _ADV, "basic": False}),
    "scatter": ([(3, 4)], {"index": _ADV, "shape": (3, 4), "basic": False}),
    "broadcast_to": ([(2, 1)], {"shape": (3, 2, 4)}),
    "sum_to": ([(3, 2, 4)], {"shape": (2, 1)}),
    "concatenate": ([(2, 3), (1, 3)], {"axis": 0}),
    "stack": ([(2, 3), (2, 3)], {"axis": 1}),
    "matmul": ([(2, 3), (3, 4)], {}),
    "linear": ([(5, 3), (4, 3), (4,)], {}),
    "softmax": ([(2, 4)], {"axis": -1}),
    "log_softmax": ([(2, 4)], {"axis": 0}),
}
UNARY = ["neg", "abs", "exp", "log", "sqrt", "tanh", "sigmoid", "ReLU", "softplus", "sin",
         "cos"]
for _name in UNARY:
    EXAMPLES[_name] = ([(2, 3)], {})

# the reference's parameters where torch wants another form than ours
TORCH_PARAMS = {
    "scatter": lambda p: {**p, "index": torch.as_tensor(p["index"][0])},
    "getitem": lambda p: {**p, "index": torch.as_tensor(p["index"][0])},
}


def _draw(kind: str, shape: tuple) -> np.ndarray:
    """Inputs of one kind of sample: real, positive, nonzero or unit interval."""
    if kind == "p":
        x = RNG.uniform(0.3, 2.0, size=shape)
    elif kind == "n":
        x = RNG.uniform(0.5, 2.0, size=shape) * RNG.choice([-1.0, 1.0], size=shape)
    elif kind == "u":
        x = RNG.uniform(0.1, 0.9, size=shape)
    else:
        x = RNG.uniform(-2.0, 2.0, size=shape)
    return np.asarray(x, dtype=np.float64)


def _inputs(name: str, scalar: bool) -> tuple[list, dict]:
    shapes, params = EXAMPLES[name]
    sample = OPS[name].sample
    arrays = []
    for i, shape in enumerate(shapes):
        kind = sample[i] if i < len(sample) else sample[-1]
        arrays.append(_draw(kind, () if scalar else shape))
    if name == "scatter":  # the gradient of a[index]: the shape a[index] has
        arrays = [_draw("r", (3, 4))]
    return arrays, params


def _torch_reference(name: str, arrays: list, params: dict) -> tuple:
    xs = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    tparams = TORCH_PARAMS.get(name, lambda p: p)(params)
    out = OPS[name].reference(torch, *xs, **tparams)
    return xs, out


def _declared(kind: str) -> list:
    return sorted(name for name, op in OPS.items() if kind in op.kinds)


def test_every_op_is_declared_and_tested():
    for name, op in OPS.items():
        assert op.symbol and op.rule, f"op {name!r} has no symbol or rule text"
        assert op.reference is not None, f"op {name!r} has no torch reference"
        assert (op.local is None) != (op.vjp is None)
        assert set(op.kinds) <= {"value", "tensor"} and op.kinds
    assert set(CALLS) == set(OPS), "every op needs a call in CALLS (and OPS no stale names)"
    assert set(EXAMPLES) == set(OPS), "every op needs inputs in EXAMPLES"
    # Value and Tensor have the same elementwise functions (issue: sin, cos, softplus)
    for name in UNARY + ["leaky_relu", "**k", "**"]:
        assert OPS[name].kinds == ("value", "tensor"), name


@pytest.mark.parametrize("name", _declared("tensor"))
def test_tensor_op_matches_torch(name):
    arrays, params = _inputs(name, scalar=False)
    xs_t, out_t = _torch_reference(name, arrays, params)
    xs = [Tensor(a, requires_grad=True) for a in arrays]
    out = CALLS[name](*xs, **params)
    assert out._fn is OPS[name], out._op
    np.testing.assert_allclose(out.data, out_t.detach().numpy(), rtol=1e-12, atol=1e-12)
    upstream = _draw("r", out.shape)
    (out * Tensor(upstream)).sum().backward()
    (out_t * torch.tensor(upstream)).sum().backward()
    for x, xt in zip(xs, xs_t):
        np.testing.assert_allclose(x.grad, xt.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=f"{name}: gradient of an input")


@pytest.mark.parametrize("name", _declared("value"))
def test_value_op_matches_torch(name):
    arrays, params = _inputs(name, scalar=True)
    xs_t, out_t = _torch_reference(name, arrays, params)
    xs = [Value(float(a)) for a in arrays]
    out = CALLS[name](*xs, **params)
    if name == "bce":
        out = out._prev[0] if out._op != "bce" else out
    assert out._fn is OPS[name], out._op
    assert out.data == pytest.approx(out_t.item(), rel=1e-12, abs=1e-12)
    out.backward()
    out_t.sum().backward()
    for x, xt in zip(xs, xs_t):
        assert x.grad == pytest.approx(float(xt.grad), rel=1e-10, abs=1e-12), name


@pytest.mark.parametrize("name", sorted(set(_declared("value")) & set(_declared("tensor"))))
def test_value_and_tensor_agree_elementwise(name):
    """An op both node types have gives the same numbers on a Tensor and on its entries."""
    arrays, params = _inputs(name, scalar=False)
    shape = np.broadcast_shapes(*[a.shape for a in arrays])
    arrays = [np.broadcast_to(a, shape).copy() for a in arrays]
    ts = [Tensor(a, requires_grad=True) for a in arrays]
    CALLS[name](*ts, **params).sum().backward()
    for idx in np.ndindex(shape):
        vs = [Value(float(a[idx])) for a in arrays]
        out = CALLS[name](*vs, **params)
        out.backward()
        for v, t in zip(vs, ts):
            assert v.grad == pytest.approx(float(t.grad[idx]), rel=1e-12, abs=1e-14), name


# -- zero derivatives select, as in PyTorch ----------------------------------------------------
INF, NAN = float("inf"), float("nan")


@pytest.mark.parametrize("upstream", [INF, -INF, NAN])
@pytest.mark.parametrize("case", [
    ("relu below", lambda x: x.relu(), lambda x: x.relu(), -1.0),
    ("relu at 0", lambda x: x.relu(), lambda x: x.relu(), 0.0),
    ("leaky at 0", lambda x: x.leaky_relu(0.01),
     lambda x: torch.nn.functional.leaky_relu(x, 0.01), 0.0),
    ("abs at 0", lambda x: abs(x), lambda x: x.abs(), 0.0),
    ("x**0", lambda x: x**0, lambda x: x**0, 2.0),
    ("x*0", lambda x: x * 0.0, lambda x: x * 0.0, 2.0),
], ids=lambda c: c[0] if isinstance(c, tuple) else str(c))
def test_zero_derivative_with_inf_or_nan_upstream_matches_torch(case, upstream):
    _, ours, theirs, x0 = case
    xt = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    theirs(xt).backward(torch.tensor(upstream, dtype=torch.float64))
    expected = float(xt.grad)
    v = Value(x0)
    ours(v).backward(upstream)
    t = Tensor([x0], requires_grad=True)
    ours(t).backward(np.array([upstream]))
    for got in (v.grad, float(t.grad[0])):
        assert (np.isnan(got) and np.isnan(expected)) or got == expected, (got, expected)


@pytest.mark.parametrize("upstream", [INF, NAN])
def test_tensor_selecting_ops_pass_zero_through_inf_gradients_like_torch(upstream):
    a = np.array([1.0, 3.0, -2.0, 0.5])
    b = np.array([2.0, 3.0, -3.0, 0.5])
    cond = np.array([True, False, True, False])
    cases = [
        (lambda x, y: x.clip(-1.0, 1.0), lambda x, y: x.clamp(-1.0, 1.0)),
        (lambda x, y: T.maximum(x, y), lambda x, y: torch.maximum(x, y)),
        (lambda x, y: T.where(cond, x, y), lambda x, y: torch.where(torch.tensor(cond), x, y)),
        (lambda x, y: x.max(), lambda x, y: x.amax()),
        (lambda x, y: x.relu(), lambda x, y: x.relu()),
    ]
    for ours, theirs in cases:
        xt = torch.tensor(a, requires_grad=True)
        yt = torch.tensor(b, requires_grad=True)
        out_t = theirs(xt, yt)
        out_t.backward(torch.full(out_t.shape, upstream, dtype=torch.float64))
        x, y = Tensor(a, requires_grad=True), Tensor(b, requires_grad=True)
        out = ours(x, y)
        out.backward(np.full(out.shape, upstream))
        for mine, ref in ((x.grad, xt.grad), (y.grad, yt.grad)):
            if ref is None:
                assert mine is None
                continue
            np.testing.assert_array_equal(mine, ref.numpy())
