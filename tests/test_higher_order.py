"""Gradients of gradients against PyTorch float64: every op of the table, random DAGs, losses.

Derivatives of order k are computed by calling ``grad(..., create_graph=True)`` k times, in
micrograd_plus and in torch with the same code, and compared to 1e-9. For Values the whole
derivative tensors (∇f, ∇²f, ∇³f) are compared; for Tensors the directional chain
L₀ = Σ c·f(x), L_{k+1} = Σᵢ Σ vₖᵢ·∂Lₖ/∂xᵢ with fixed random c and vₖ (so ∂L₂/∂x is a third
derivative contracted with two directions). Kinks follow torch: relu'' = 0.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, assume, given, reject, settings
from hypothesis import strategies as st

from conftest import needs_dot
from test_ops import CALLS
from micrograd_plus import Tensor, Value, grad, losses
from micrograd_plus.core.ops import OPS
from micrograd_plus.core.tensor import concatenate, maximum

RTOL = 1e-9

# backward(create_graph=True) warns about the leaf-gradient cycle, here and in torch; the tests
# that call it on purpose do not need to hear it (one test checks that it is given)
pytestmark = [
    pytest.mark.filterwarnings("ignore:backward\\(create_graph=True\\):UserWarning"),
    pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph:UserWarning"),
]


# -- the ops of the table: called as tests/test_ops.py calls them (CALLS), with the example
# parameters below (several per op where one would miss a case) -----------------------------
_REDUCE = [{"axis": None, "keepdims": False}, {"axis": 1, "keepdims": True},
           {"axis": (0,), "keepdims": False}]

# example parameters of every op (one test per entry); an op added to the table without an
# entry here fails test_every_op_of_the_table_has_a_second_derivative_test
PARAMS = {
    "+": [{}], "-": [{}], "*": [{}], "/": [{}], "**": [{}],
    "**k": [{"k": 3.0}, {"k": 2.5}, {"k": -1.5}, {"k": 0.0}],
    "neg": [{}], "abs": [{}], "exp": [{}], "log": [{}], "sqrt": [{}], "tanh": [{}],
    "sigmoid": [{}], "ReLU": [{}], "leaky_relu": [{"slope": 0.1}], "softplus": [{}],
    "sin": [{}], "cos": [{}],
    "clip": [{"lo": -0.5, "hi": 0.5}, {"lo": None, "hi": 1.0}],
    "maximum": [{}],
    "where": [{"cond": np.array([[True, False, True], [False, True, True]])}],
    "bce": [{}], "bce_with_logits": [{}], "huber": [{"delta": 1.0}, {"delta": 0.3}],
    "cross_entropy": [{"target": np.array([0, 3, 1])}],
    "vcross_entropy": [{"target": 0}, {"target": 2}],
    "vsum": [{}],
    "dot": [{}],  # its parameter (how parents pair up) is made by dot() from its operands
    "sum": _REDUCE, "mean": _REDUCE, "max": _REDUCE, "min": _REDUCE,
    "reshape": [{"shape": (3, 2)}, {"shape": (-1,)}],
    "transpose": [{"axes": None}, {"axes": (2, 0, 1)}],
    "getitem": [{"index": (slice(None), 1), "basic": True},
                {"index": np.array([1, 0, 1]), "basic": False}],
    "scatter": [{"index": np.array([0, 2, 0]), "shape": (4,), "basic": False}],
    "broadcast_to": [{"shape": (2, 3)}],
    "sum_to": [{"shape": (1, 3)}, {"shape": (3,)}],
    "concatenate": [{"axis": 1}],
    "stack": [{"axis": 0}, {"axis": -1}],
    "matmul": [{}], "linear": [{}],
    "softmax": [{"axis": 1}, {"axis": 0}], "log_softmax": [{"axis": -1}, {"axis": 0}],
}

# Tensor input shapes (default: (2, 3) for each input); binary ops broadcast
SHAPES = {
    "+": ((2, 3), (3,)), "-": ((2, 1), (1, 3)), "*": ((2, 3), ()), "/": ((3,), (2, 3)),
    "**": ((2, 3), (2, 1)),
    "cross_entropy": ((3, 4),),
    "transpose": ((2, 3, 4),),
    "getitem": ((3, 2),),
    "scatter": ((3,),),
    "broadcast_to": ((1, 3),),
    "concatenate": ((2, 3), (2, 2)),
    "stack": ((2, 3), (2, 3)),
    "matmul": ((2, 3), (3, 4)),
    "linear": ((2, 3), (4, 3), (4,)),
}


def draw(kind, shape, rng):
    """Sample inputs of one kind: 'r' real (|x| >= 0.1, away from kinks), 'p' positive,
    'u' in (0, 1), 'n' non-zero."""
    if kind == "p":
        return rng.uniform(0.5, 2.0, shape)
    if kind == "u":
        return rng.uniform(0.1, 0.9, shape)
    low = 0.5 if kind == "n" else 0.1
    return rng.uniform(low, 2.0, shape) * rng.choice([-1.0, 1.0], shape)


def node_cases(kind):
    for name, op in OPS.items():
        if kind in op.kinds:
            for i, params in enumerate(PARAMS[name]):
                yield pytest.param(name, params, id=f"{name}-{i}")


def test_every_op_of_the_table_has_a_second_derivative_test():
    assert set(PARAMS) == set(OPS) and set(CALLS) == set(OPS)
    for name, op in OPS.items():
        if name != "dot":
            assert all(set(p) == set(op.params) for p in PARAMS[name]), name
        assert op.reference is not None, name


# -- derivatives of any order, the same code for both libraries -------------------------------
def _float(x):
    return float(x.detach()) if isinstance(x, torch.Tensor) else float(x)


def _derivative_tensors(f, xs, order, lib):
    """[f, ∇f, ∇²f, …] of a scalar function of scalars, each flattened to a list of floats."""
    if lib == "ours":
        leaves = [Value(x) for x in xs]

        def d(node):
            if not isinstance(node, Value) or not node.requires_grad:
                return [0.0] * len(leaves)
            return [0.0 if g is None else g for g in
                    grad(node, leaves, create_graph=True, allow_unused=True)]
    else:
        leaves = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]

        def d(node):
            if not getattr(node, "requires_grad", False):
                return [0.0] * len(leaves)
            return [0.0 if g is None else g for g in
                    torch.autograd.grad(node, leaves, create_graph=True, allow_unused=True)]
    level = [f(*leaves)]
    tensors = [[_float(level[0])]]
    for _ in range(order):
        level = [g for node in level for g in d(node)]
        tensors.append([_float(g) for g in level])
    return tensors


def _directional(f, arrays, order, lib, rng):
    """∂Lₖ/∂xᵢ for k = 0 … order−1: L₀ = Σ c·f(x), L_{k+1} = Σᵢ Σ vₖᵢ·∂Lₖ/∂xᵢ."""
    if lib == "ours":
        leaves = [Tensor(a, requires_grad=True) for a in arrays]
        const = Tensor

        def d(loss):
            if not getattr(loss, "requires_grad", False):
                return [None] * len(leaves)
            return list(grad(loss, leaves, create_graph=True, allow_unused=True))
    else:
        leaves = [torch.tensor(a, requires_grad=True) for a in arrays]
        const = torch.tensor

        def d(loss):
            if not getattr(loss, "requires_grad", False):
                return [None] * len(leaves)
            return list(torch.autograd.grad(loss, leaves, create_graph=True,
                                            allow_unused=True))
    out = f(*leaves)
    weights = rng.normal(size=tuple(out.shape))
    loss = (out * const(weights)).sum()
    levels = []
    for _ in range(order):
        grads = d(loss)
        levels.append([np.zeros(np.shape(a)) if g is None else np.array(
            g.numpy(force=True) if lib == "torch" else g.data, dtype=float)
            for g, a in zip(grads, arrays)])
        directions = [rng.normal(size=np.shape(a)) for a in arrays]
        loss = 0.0
        for g, v in zip(grads, directions):
            if g is not None and getattr(g, "requires_grad", False):
                loss = loss + (g * const(v)).sum()
    return levels


def assert_close(ours, theirs, what):
    ours, theirs = np.asarray(ours, float), np.asarray(theirs, float)
    scale = 1.0 + np.max(np.abs(theirs), initial=0.0)
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=RTOL * scale, err_msg=what)


@pytest.mark.parametrize("name, params", list(node_cases("value")))
def test_value_op_second_and_third_derivatives_match_torch(name, params):
    op = OPS[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    for _ in range(3):
        xs = [float(draw(kind, (), rng)) for kind in op.sample]
        ours = _derivative_tensors(lambda *v: CALLS[name](*v, **params), xs, 3, "ours")
        theirs = _derivative_tensors(lambda *v: op.reference(torch, *v, **params), xs, 3,
                                     "torch")
        for k, (a, b) in enumerate(zip(ours, theirs)):
            assert_close(a, b, f"{name} {params}: derivative {k} at {xs}")


@pytest.mark.parametrize("name, params", list(node_cases("tensor")))
def test_tensor_op_second_and_third_derivatives_match_torch(name, params):
    op = OPS[name]
    shapes = SHAPES.get(name, ((2, 3),) * len(op.sample))
    kinds = op.sample + op.sample[-1] * (len(shapes) - len(op.sample))
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    arrays = [draw(kind, shape, rng) for kind, shape in zip(kinds, shapes)]
    seed = int(rng.integers(2**31))
    ours = _directional(lambda *t: CALLS[name](*t, **params), arrays, 3, "ours",
                        np.random.default_rng(seed))
    theirs = _directional(lambda *t: op.reference(torch, *t, **params), arrays, 3, "torch",
                          np.random.default_rng(seed))
    for k, (a_level, b_level) in enumerate(zip(ours, theirs)):
        for i, (a, b) in enumerate(zip(a_level, b_level)):
            assert_close(a, b, f"{name} {params}: derivative {k + 1} of input {i}")


# -- regressions found while writing these tests -----------------------------------------------
def test_value_bce_with_a_value_target_has_a_second_derivative_at_every_p():
    # the rule's ln(1 − p) must hold log1p's exact value, or the check that the forward
    # pass's derivatives are unchanged fails for some p ("modified in place")
    for p in np.linspace(0.01, 0.99, 50):
        P, T = Value(float(p)), Value(0.3)
        out = losses.bce([P], [T], reduction="none")[0]
        dp, dt = grad(out, [P, T], create_graph=True)
        assert dp.data == out._local[0] and dt.data == out._local[1]


def test_sqrt_at_zero_has_torchs_infinite_derivatives_with_create_graph():
    # 0.5/√a at a = 0 is inf (IEEE, as without create_graph), not the Value engine's
    # "division by zero" error for a / 0
    for make in (lambda: Value(0.0), lambda: Tensor([0.0, 4.0], requires_grad=True),
                 lambda: torch.tensor([0.0, 4.0], dtype=torch.float64, requires_grad=True)):
        a = make()
        d = grad if not isinstance(a, torch.Tensor) else torch.autograd.grad
        out = (a * 3.0).sqrt() + a
        (g,) = d(out if isinstance(a, Value) else out.sum(), [a], create_graph=True)
        (h,) = d(g if isinstance(a, Value) else g.sum(), [a])
        assert _grad_data(g).ravel()[0] == np.inf and _grad_data(h).ravel()[0] == -np.inf


def test_selecting_ops_send_zero_through_an_infinite_gradient_with_create_graph():
    for lib in ("ours", "torch"):
        x = (Tensor if lib == "ours" else torch.tensor)([-1.0, 2.0], requires_grad=True)
        seed = (Tensor if lib == "ours" else torch.tensor)([np.inf, 1.0])
        y = x.relu()
        (g,) = (grad if lib == "ours" else torch.autograd.grad)(
            [y], [x], [seed], create_graph=True)
        data = g.data if lib == "ours" else g.detach().numpy()
        assert data.tolist() == [0.0, 1.0], lib


# -- random DAGs of Values, with node reuse ----------------------------------------------------
VALUE_OPS = [name for name, op in OPS.items() if "value" in op.kinds]


@st.composite
def programs(draw_):
    """(leaf values, instructions): each instruction applies an op of the table to earlier
    nodes (any of them, so nodes are reused), with one of its example parameter sets."""
    n_leaves = draw_(st.integers(2, 3))
    leaves = draw_(st.lists(st.floats(-1.5, 1.5, allow_nan=False).map(lambda x: round(x, 3)),
                            min_size=n_leaves, max_size=n_leaves))
    steps = []
    for k in range(draw_(st.integers(2, 6))):
        name = draw_(st.sampled_from(VALUE_OPS))
        idx = [draw_(st.integers(0, n_leaves + k - 1)) for _ in OPS[name].sample]
        params = draw_(st.sampled_from(PARAMS[name]))
        steps.append((name, idx, params))
    return leaves, steps


def run_program(steps, leaves, lib):
    """The DAG on the leaves: inputs that must be positive/non-zero get x² + ½, inputs in
    (0, 1) get 0.05 + 0.9·σ(x) (kept from 0 and 1, where torch's second derivative of bce
    loses digits computing 1 − p: 209.09 for the true 210.92, which central differences of
    the first derivatives confirm); the output adds up every computed node."""
    nodes = list(leaves)
    for name, idx, params in steps:
        op = OPS[name]
        args = []
        for kind, i in zip(op.sample, idx):
            x = nodes[i]
            args.append(x * x + 0.5 if kind in "pn" else
                        0.05 + 0.9 * x.sigmoid() if kind == "u" else x)
        call = CALLS[name] if lib == "ours" else lambda *a, op=op, **p: op.reference(torch, *a,
                                                                                   **p)
        nodes.append(call(*args, **params))
    out = nodes[len(leaves)]
    for node in nodes[len(leaves) + 1:]:
        out = out + node
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(programs())
def test_random_dag_second_and_third_derivatives_match_torch(program):
    leaves, steps = program
    try:
        theirs = _derivative_tensors(lambda *v: run_program(steps, v, "torch"), leaves, 3,
                                     "torch")
    except RuntimeError as e:  # torch's abs at exactly 0 gives an immutable ZeroTensor that
        if "ZeroTensor" not in str(e):  # its own engine then fails to add into: no reference
            raise
        reject()
    assume(all(np.all(np.isfinite(d)) and np.max(np.abs(d)) < 1e8 for d in theirs))
    ours = _derivative_tensors(lambda *v: run_program(steps, v, "ours"), leaves, 3, "ours")
    for k, (a, b) in enumerate(zip(ours, theirs)):
        assert_close(a, b, f"derivative {k} of {steps} at {leaves}")


# -- Tensors: matmul, broadcasting, reductions, indexing, softmax ------------------------------
X = np.random.default_rng(3).uniform(-1, 1, (2, 3))
IDX = np.array([0, 1, 0])

# name: (ours, torch, input shapes); the two functions are the same formula in each API
COMPOSITES = {
    "matmul and broadcasting": (
        lambda W, b: (Tensor(X) @ W + b).tanh(),
        lambda W, b: (torch.tensor(X) @ W + b).tanh(), ((3, 4), (4,))),
    "batched matmul": (
        lambda A, B: (A @ B).sin() @ B.transpose((0, 2, 1)),
        lambda A, B: (A @ B).sin() @ B.permute(0, 2, 1), ((2, 2, 3), (2, 3, 3))),
    "matrix-vector": (
        lambda A, v: ((A @ v) * v[:2]).exp() + v @ A.T,
        lambda A, v: ((A @ v) * v[:2]).exp() + v @ A.T, ((2, 3), (3,))),
    "reductions": (
        lambda a: (a.exp().sum(1, True) * a.mean(0)).max(1) - a.min() * a.sum(),
        lambda a: (a.exp().sum(1, True) * a.mean(0)).amax(1) - a.amin() * a.sum(), ((2, 3),)),
    "indexing": (
        lambda a: a[IDX] ** 3 + a[:, 1:].sum() * a[1],
        lambda a: a[IDX] ** 3 + a[:, 1:].sum() * a[1], ((2, 3),)),
    "softmax": (
        lambda a, b: (a @ b).softmax(1) * (a @ b).log_softmax(0),
        lambda a, b: (a @ b).softmax(1) * (a @ b).log_softmax(0), ((2, 3), (3, 4))),
    "reshape and concatenate": (
        lambda a: (concatenate([a, a * a], 1).reshape(3, 4) ** 2).mean(0),
        lambda a: (torch.cat([a, a * a], 1).reshape(3, 4) ** 2).mean(0), ((2, 3),)),
}


def compare_directional(ours_f, torch_f, arrays, name):
    ours = _directional(ours_f, arrays, 3, "ours", np.random.default_rng(1))
    theirs = _directional(torch_f, arrays, 3, "torch", np.random.default_rng(1))
    for k, (a_level, b_level) in enumerate(zip(ours, theirs)):
        for i, (a, b) in enumerate(zip(a_level, b_level)):
            assert_close(a, b, f"{name}: derivative {k + 1} of input {i}")


@pytest.mark.parametrize("name", COMPOSITES)
def test_tensor_composites_second_and_third_derivatives_match_torch(name):
    ours_f, torch_f, shapes = COMPOSITES[name]
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    compare_directional(ours_f, torch_f, [rng.uniform(-1, 1, s) for s in shapes], name)


# -- every Tensor loss, on a one-layer model z = x@W + b ---------------------------------------
_R = np.random.default_rng(11)
XB = _R.uniform(-1, 1, (5, 3))
T_REAL = _R.uniform(-1.5, 1.5, (5, 4))  # some |y − t| below huber's δ = 1, some above
T_UNIT = _R.uniform(0.05, 0.95, (5, 4))
T_BITS = (_R.uniform(size=(5, 4)) > 0.5).astype(float)
T_SIGNS = 2.0 * T_BITS - 1.0
T_CLASS = np.array([0, 3, 1, 1, 2])
F = torch.nn.functional

# name: (loss of (z, W, b) with our API, the same with torch)
LOSSES = {
    "mse": (lambda z, W, b: losses.mse(z.tanh(), T_REAL),
            lambda z, W, b: F.mse_loss(z.tanh(), torch.tensor(T_REAL))),
    "sse": (lambda z, W, b: losses.sse(z.tanh(), T_REAL),
            lambda z, W, b: 0.5 * ((torch.tensor(T_REAL) - z.tanh()) ** 2).sum()),
    "l1": (lambda z, W, b: losses.l1(z.tanh(), T_REAL),
           lambda z, W, b: F.l1_loss(z.tanh(), torch.tensor(T_REAL))),
    "huber": (lambda z, W, b: losses.huber(z * z, T_REAL, reduction="sum"),
              lambda z, W, b: F.huber_loss(z * z, torch.tensor(T_REAL), reduction="sum")),
    "bce": (lambda z, W, b: losses.bce(z.sigmoid(), T_UNIT),
            lambda z, W, b: F.binary_cross_entropy(z.sigmoid(), torch.tensor(T_UNIT))),
    "bce_with_logits": (
        lambda z, W, b: losses.bce_with_logits(z, T_UNIT),
        lambda z, W, b: F.binary_cross_entropy_with_logits(z, torch.tensor(T_UNIT))),
    "cross_entropy": (lambda z, W, b: losses.cross_entropy(z * z, T_CLASS),
                      lambda z, W, b: F.cross_entropy(z * z, torch.tensor(T_CLASS))),
    "nll": (lambda z, W, b: losses.nll(z.log_softmax(1), T_CLASS, reduction="sum"),
            lambda z, W, b: F.nll_loss(z.log_softmax(1), torch.tensor(T_CLASS),
                                       reduction="sum")),
    "hinge": (lambda z, W, b: losses.hinge(z * z.exp(), T_SIGNS),
              lambda z, W, b: (1.0 - torch.tensor(T_SIGNS) * z * z.exp()).relu().mean()),
    "multilabel_bce": (
        lambda z, W, b: losses.multilabel_bce(z * z, T_BITS),
        lambda z, W, b: F.multilabel_soft_margin_loss(z * z, torch.tensor(T_BITS))),
    "l1_penalty": (lambda z, W, b: losses.l1_penalty([W, b], 0.3) * (z * z).sum(),
                   lambda z, W, b: 0.3 * (W.abs().sum() + b.abs().sum()) * (z * z).sum()),
    "l2_penalty": (lambda z, W, b: losses.l2_penalty([W, b], 0.3) * z.sum(),
                   lambda z, W, b: 0.3 * ((W * W).sum() + (b * b).sum()) * z.sum()),
}


def test_every_tensor_loss_has_a_second_derivative_test():
    assert set(LOSSES) == set(losses.__all__)


@pytest.mark.parametrize("name", LOSSES)
def test_tensor_loss_second_and_third_derivatives_match_torch(name):
    ours_loss, torch_loss = LOSSES[name]

    def ours(W, b):
        return ours_loss(Tensor(XB) @ W + b, W, b)

    def theirs(W, b):
        return torch_loss(torch.tensor(XB) @ W + b, W, b)

    rng = np.random.default_rng(zlib.crc32(name.encode()))
    arrays = [rng.uniform(-1, 1, (3, 4)), rng.uniform(-1, 1, (4,))]
    compare_directional(ours, theirs, arrays, name)


# -- semantics of backward(create_graph=True) and grad(), as in PyTorch ------------------------
def _pair(data):
    """The same leaf in both libraries: a Value for a float, else a Tensor."""
    if isinstance(data, float):
        return Value(data), torch.tensor(data, dtype=torch.float64, requires_grad=True)
    return (Tensor(data, requires_grad=True),
            torch.tensor(data, dtype=torch.float64, requires_grad=True))


def _f(x):
    y = (x * x).tanh() * x
    return y if isinstance(y, Value) or y.ndim == 0 else y.sum()


def _grad_data(g):
    if isinstance(g, torch.Tensor):
        return g.detach().numpy()
    return np.asarray(g.data if isinstance(g, (Value, Tensor)) else g)


@pytest.mark.parametrize("data", [0.7, np.array([0.7, -0.4, 1.2])], ids=["Value", "Tensor"])
def test_backward_create_graph_twice_doubles_a_gradient_that_has_a_graph(data):
    x, tx = _pair(data)
    out, tout = _f(x), _f(tx)
    tout.backward(create_graph=True)
    tout.backward(create_graph=True)
    with pytest.warns(UserWarning, match="reference cycle"):  # PyTorch's advice, too
        out.backward(create_graph=True)
    first = np.array(_grad_data(x.grad))
    out.backward(create_graph=True)
    assert_close(_grad_data(x.grad), 2 * first, "twice is double")
    assert_close(_grad_data(x.grad), _grad_data(tx.grad), ".grad vs torch")
    assert x.grad.requires_grad and tx.grad.grad_fn is not None
    # the accumulated .grad is differentiable: d/dx of 2·f'(x) is 2·f''(x), as in torch
    (h,) = grad(x.grad if data.__class__ is float else x.grad.sum(), [x])
    (th,) = torch.autograd.grad(tx.grad if data.__class__ is float else tx.grad.sum(), [tx])
    assert_close(_grad_data(h), _grad_data(th), "second derivative of the accumulated grad")
    # a plain backward() afterwards adds numbers to it
    out.backward()
    assert_close(_grad_data(x.grad), 3 * first, "then a plain backward")


@pytest.mark.parametrize("data", [0.7, np.array([0.7, -0.4, 1.2])], ids=["Value", "Tensor"])
def test_grad_touches_no_grad_and_matches_torch(data):
    x, tx = _pair(data)
    out, tout = _f(x), _f(tx)
    (g,) = grad(out, [x], create_graph=True)
    (tg,) = torch.autograd.grad(tout, [tx], create_graph=True)
    assert_close(_grad_data(g), _grad_data(tg), "grad")
    assert g.requires_grad
    untouched = 0.0 if isinstance(x, Value) else None
    assert x.grad == untouched if untouched is not None else x.grad is None
    assert tx.grad is None
    if isinstance(x, Value):
        from micrograd_plus.core.autograd import topological_order
        assert all(node.grad == 0.0 for node in topological_order(out))
    # without create_graph the gradients are plain numbers
    (plain,) = grad(_f(x), [x])
    assert isinstance(plain, (float, np.ndarray)) and not isinstance(plain, Tensor)


def test_allow_unused_like_torch():
    a, b, unused = Value(0.5), Value(2.0), Value(3.0)
    with pytest.raises(RuntimeError, match="not used by the outputs.*allow_unused=True"):
        grad(a * b, [a, unused])
    da, du = grad(a * b, [a, unused], allow_unused=True, create_graph=True)
    ta, tu = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (0.5, 3.0))
    tda, tdu = torch.autograd.grad(ta * 2.0, [ta, tu], allow_unused=True, create_graph=True)
    assert du is None and tdu is None and da.data == tda.item() == 2.0
    x = Tensor([1.0, 2.0], requires_grad=True)
    y = Tensor([3.0], requires_grad=True)
    assert grad((x * x).sum(), [x, y], allow_unused=True)[1] is None


def test_retain_grad_stores_a_graph_bearing_gradient_on_an_intermediate():
    x, tx = _pair(np.array([0.3, -1.1]))
    z, tz = x * x, tx * tx
    z.retain_grad()
    tz.retain_grad()
    z.sin().sum().backward(create_graph=True)
    tz.sin().sum().backward(create_graph=True)
    assert_close(z.grad.data, tz.grad.detach().numpy(), "retained grad")
    assert_close(x.grad.data, tx.grad.detach().numpy(), "leaf grad")
    assert z.grad.requires_grad
    (dz,) = grad(z.grad.sum(), [x])
    (tdz,) = torch.autograd.grad(tz.grad.sum(), [tx])
    assert_close(dz, tdz.numpy(), "d(z.grad)/dx")


def test_newton_step_from_create_graph_gradients():
    # one Newton step on f(x) = x⁴ − 3x from x = 1: x − f'(x)/f''(x) = 1 − (4 − 3)/12
    x = Value(1.0)
    f = x**4 - 3 * x
    (d1,) = grad(f, [x], create_graph=True)
    (d2,) = grad(d1, [x])
    assert d1.data == 1.0 and d2 == 12.0
    assert x.data - d1.data / d2 == 1.0 - 1.0 / 12.0


def test_zero_grad_breaks_the_cycle_a_create_graph_grad_makes(gc_off):
    # as PyTorch warns: x.grad's graph refers back to x, so a dropped graph lives on until
    # the gradients are cleared
    import weakref

    x = Value(0.3)
    y = x.tanh()
    probe = weakref.ref(y)
    out = y * y
    out.backward(create_graph=True)
    del y
    assert probe() is not None  # held by x.grad's graph (1 − y·y …)
    out.zero_grad()
    del out
    assert probe() is None


# -- drawing the gradient's graph --------------------------------------------------------------
@needs_dot
def test_draw_graph_of_a_gradient_shows_the_backward_pass(artifacts):
    import xml.etree.ElementTree as ET

    from micrograd_plus import draw_graph
    from micrograd_plus.viz import node_name, render_graph, run_dot

    x = Value(0.5, label="x")
    y = x.tanh()
    y.label = "y"
    y.backward(create_graph=True)
    graph = draw_graph(x.grad)
    svg = ET.fromstring(run_dot(graph, "svg"))
    ns = "{http://www.w3.org/2000/svg}"
    texts = {g.find(f"{ns}title").text: " ".join(t.text or "" for t in g.iter(f"{ns}text"))
             for g in svg.iter(f"{ns}g") if g.get("class") == "node"}
    ops = sorted(t for name, t in texts.items() if name.endswith("_op"))
    # dy/dx = 1 − y·y (the seed 1 times it adds no node): tanh (forward), y·y, 1 − y·y
    assert ops == ["tanh", "×", "−"]
    assert "x" in texts[node_name(x)] and "y" in texts[node_name(y)]
    assert x.grad._op == "-" and x.grad._prev[1]._prev == (y, y)
    assert "0.7864" in texts[node_name(x.grad)]
    assert abs(x.grad.data - (1 - np.tanh(0.5) ** 2)) < 1e-15
    render_graph(graph, artifacts / "tanh_gradient_graph.png")


@pytest.mark.parametrize("name", ["SGD", "Adam", "RMSprop", "Adagrad"])
def test_optimizers_step_on_the_numbers_of_a_create_graph_grad_like_torch(name):
    from micrograd_plus import optim

    data = np.array([0.5, -1.0, 2.0])
    p, tp = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    v = Value(0.5)
    kwargs = {"lr": 0.1, "momentum": 0.9} if name == "SGD" else {"lr": 0.1}
    opts = [getattr(optim, name)([p], **kwargs), getattr(optim, name)([v], **kwargs)]
    topt = getattr(torch.optim, name)([tp], **kwargs)
    for _ in range(2):
        for opt in opts:
            opt.zero_grad()
        topt.zero_grad()
        (p * p).tanh().sum().backward(create_graph=True)
        (v * v).tanh().backward(create_graph=True)
        (tp * tp).tanh().sum().backward(create_graph=True)
        assert isinstance(p.grad, Tensor) and isinstance(v.grad, Value)
        for opt in opts:
            opt.step()
        topt.step()
    assert_close(p.data, tp.detach().numpy(), f"{name} on a Tensor")
    assert_close(v.data, tp.detach().numpy()[0], f"{name} on a Value")
    for opt in opts:
        opt.zero_grad()
    assert p.grad is None and v.grad == 0.0
    (p * p).sum().backward(create_graph=True)
    optim.SGD([p], lr=0.1).zero_grad(set_to_none=False)
    assert type(p.grad) is np.ndarray and not p.grad.any()


@needs_dot
def test_draw_graph_of_a_tensor_gradient_shows_the_backward_pass():
    import xml.etree.ElementTree as ET

    from micrograd_plus import draw_graph
    from micrograd_plus.viz import run_dot

    x = Tensor([0.5, -1.0], requires_grad=True, label="x")
    y = x.tanh()
    y.label = "y"
    y.sum().backward(create_graph=True)
    svg = ET.fromstring(run_dot(draw_graph(x.grad), "svg"))
    ns = "{http://www.w3.org/2000/svg}"
    texts = {g.find(f"{ns}title").text: " ".join(t.text or "" for t in g.iter(f"{ns}text"))
             for g in svg.iter(f"{ns}g") if g.get("class") == "node"}
    # ∂Σy/∂x = 1 · (1 − y·y), elementwise
    assert sorted(t for name, t in texts.items() if name.endswith("_op")) == [
        "tanh", "×", "×", "−"]
    np.testing.assert_allclose(x.grad.data, 1 - np.tanh([0.5, -1.0]) ** 2, rtol=1e-15)


# -- kinks follow torch: relu'' = 0, and the first derivative at the kink is torch's ----------
KINKS = {
    "relu": (lambda x: x.relu(), lambda x: x.relu()),
    "abs": (lambda x: abs(x) * x, lambda x: x.abs() * x),
    "leaky_relu": (lambda x: x.leaky_relu(0.1) * x, lambda x: F.leaky_relu(x, 0.1) * x),
    "clip": (lambda x: x.clip(-1.0, 0.0) * x, lambda x: x.clamp(-1.0, 0.0) * x),
    "maximum": (lambda x: maximum(x, x * 0.0) * x, lambda x: torch.maximum(x, x * 0.0) * x),
}


@pytest.mark.parametrize("name", KINKS)
def test_kinks_follow_torch_to_the_second_derivative(name):
    ours_f, torch_f = KINKS[name]
    data = np.array([-1.5, -1.0, 0.0, 0.7])  # at and around the kinks (0, and −1 for clip)
    x, tx = Tensor(data, requires_grad=True), torch.tensor(data, requires_grad=True)
    (g,) = grad(ours_f(x).sum(), [x], create_graph=True)
    (tg,) = torch.autograd.grad(torch_f(tx).sum(), [tx], create_graph=True)
    assert_close(g.data, tg.detach().numpy(), f"{name}'")
    (h,) = grad(g.sum(), [x], allow_unused=True) if g.requires_grad else (None,)
    (th,) = (torch.autograd.grad(tg.sum(), [tx], allow_unused=True) if tg.requires_grad
             else (None,))
    assert_close(np.zeros(4) if h is None else h, np.zeros(4) if th is None else th.numpy(),
                 f"{name}''")
    if name == "relu":  # relu'' = 0 everywhere, relu'(0) = 0
        assert h is None or not np.any(h) and g.data.tolist() == [0.0, 0.0, 0.0, 1.0]
    if name in ("relu", "abs", "leaky_relu"):  # the same on a Value at exactly 0
        v = Value(0.0)
        (dv,) = grad(ours_f(v), [v], create_graph=True)
        tv = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
        (tdv,) = torch.autograd.grad(torch_f(tv), [tv], create_graph=True)
        assert float(getattr(dv, "data", dv)) == tdv.item()


# -- every loss on Values: the Hessian over six inputs ------------------------------------------
_V = np.random.default_rng(5)
Z0 = _V.uniform(-1.5, 1.5, 6)
V_REAL, V_UNIT = _V.uniform(-1, 1, 6), _V.uniform(0.1, 0.9, 6)
V_SIGNS = np.sign(_V.normal(size=6))
V_BITS = (V_SIGNS > 0).astype(float)
V_CLASS = [2, 0]


def _rows(z):
    return [list(z[0:3]), list(z[3:6])]


# name: (loss of the six Values z with our API, the same of a (6,) torch tensor)
VALUE_LOSSES = {
    "mse": (lambda z: losses.mse(list(z), list(V_REAL)),
            lambda z: F.mse_loss(z, torch.tensor(V_REAL))),
    "sse": (lambda z: losses.sse(list(z), list(V_REAL)),
            lambda z: 0.5 * ((torch.tensor(V_REAL) - z) ** 2).sum()),
    "l1": (lambda z: losses.l1([v * v for v in z], list(V_REAL)),
           lambda z: F.l1_loss(z * z, torch.tensor(V_REAL))),
    "huber": (lambda z: losses.huber([v * v for v in z], list(V_REAL)),
              lambda z: F.huber_loss(z * z, torch.tensor(V_REAL))),
    "bce": (lambda z: losses.bce([v.sigmoid() for v in z], list(V_UNIT)),
            lambda z: F.binary_cross_entropy(z.sigmoid(), torch.tensor(V_UNIT))),
    "bce_with_logits": (lambda z: losses.bce_with_logits(list(z), list(V_UNIT)),
                        lambda z: F.binary_cross_entropy_with_logits(z, torch.tensor(V_UNIT))),
    "cross_entropy": (lambda z: losses.cross_entropy(_rows(z), V_CLASS),
                      lambda z: F.cross_entropy(z.reshape(2, 3), torch.tensor(V_CLASS))),
    "nll": (lambda z: losses.nll(_rows([v.sin() for v in z]), V_CLASS),
            lambda z: F.nll_loss(z.sin().reshape(2, 3), torch.tensor(V_CLASS))),
    "hinge": (lambda z: losses.hinge([v * v.exp() for v in z], list(V_SIGNS)),
              lambda z: (1 - torch.tensor(V_SIGNS) * z * z.exp()).relu().mean()),
    "multilabel_bce": (
        lambda z: losses.multilabel_bce(_rows([v * v for v in z]), _rows(V_BITS)),
        lambda z: F.multilabel_soft_margin_loss((z * z).reshape(2, 3),
                                                torch.tensor(V_BITS.reshape(2, 3)))),
    "l1_penalty": (lambda z: losses.l1_penalty(list(z), 0.3) * sum(v * v for v in z),
                   lambda z: 0.3 * z.abs().sum() * (z * z).sum()),
    "l2_penalty": (lambda z: losses.l2_penalty(list(z), 0.3) * sum(z),
                   lambda z: 0.3 * (z * z).sum() * z.sum()),
}


def test_every_value_loss_has_a_second_derivative_test():
    assert set(VALUE_LOSSES) == set(losses.__all__)


@pytest.mark.parametrize("name", VALUE_LOSSES)
def test_value_loss_hessian_matches_torch(name):
    from micrograd_plus import hessian

    ours, theirs = VALUE_LOSSES[name]
    H = hessian(lambda *z: ours(z), list(Z0))
    expected = torch.autograd.functional.hessian(theirs, torch.tensor(Z0)).numpy()
    assert_close(H, expected, f"Hessian of {name}")
