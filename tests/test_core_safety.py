"""What PyTorch protects users from, the core protects them from too: grad mode per thread,
accumulation safe under threads, an error for data changed in place between the forward and
the backward pass, no numpy warnings for IEEE results; and the fast backward passes are
bit-identical to the one walk (``autograd.walk``) on random graphs."""

from __future__ import annotations

import sys
import threading
import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import value_dags
from micrograd_plus import Tensor, Value, enable_grad, nn, no_grad, optim
from micrograd_plus.core import autograd
from micrograd_plus.core import tensor as T


@pytest.fixture
def fast_switching():
    """Threads switch every microsecond, so races show up in a short test."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


# -- grad mode is per thread ---------------------------------------------------------------------
def test_no_grad_in_one_thread_does_not_stop_recording_in_another():
    inside, done = threading.Event(), threading.Event()

    def predict():
        with no_grad():
            inside.set()
            done.wait(5)

    t = threading.Thread(target=predict)
    t.start()
    assert inside.wait(5)
    try:
        assert autograd.checks.grad_off == 1  # ops read their thread's mode while it is on
        w = Value(2.0)
        (w * 3.0).backward()
        W = Tensor([1.0, 2.0], requires_grad=True)
        (W * W).sum().backward()
    finally:
        done.set()
        t.join()
    assert autograd.checks.grad_off == 0
    assert w.grad == 3.0
    np.testing.assert_array_equal(W.grad, [2.0, 4.0])


def test_interleaved_grad_mode_blocks_leave_each_thread_as_it_was(fast_switching):
    errors = []

    def worker(outer_off: bool):
        for _ in range(300):
            if outer_off:
                with no_grad():
                    with enable_grad():
                        ok = (Value(1.0) * 2.0).requires_grad
                    ok = ok and not (Value(1.0) * 2.0).requires_grad
            else:
                with enable_grad():
                    ok = (Value(1.0) * 2.0).requires_grad
                ok = ok and (Value(1.0) * 2.0).requires_grad
            if not ok:
                errors.append(outer_off)

    threads = [threading.Thread(target=worker, args=(i % 2 == 0,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert autograd.is_grad_enabled()


# -- accumulation is safe under threads ----------------------------------------------------------
def test_concurrent_backward_on_shared_value_parameters_loses_nothing(fast_switching):
    w = Value(0.5)
    passes, threads_n = 200, 4

    def work():
        for _ in range(passes):
            y = vsum_of_uses(w)
            y.backward()

    ts = [threading.Thread(target=work) for _ in range(threads_n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert w.grad == pytest.approx(passes * threads_n * 10.0)


def vsum_of_uses(w: Value) -> Value:
    out = w * 1.0
    for _ in range(9):
        out = out + w  # ∂out/∂w = 10
    return out


def test_concurrent_backward_on_shared_tensor_parameters_loses_nothing(fast_switching):
    W = Tensor(np.ones((3, 3)), requires_grad=True)
    passes, threads_n = 100, 4
    x = np.arange(3.0)

    def work():
        for _ in range(passes):
            ((W @ x) * 2.0).sum().backward()

    ts = [threading.Thread(target=work) for _ in range(threads_n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    np.testing.assert_allclose(W.grad, passes * threads_n * 2.0 * np.tile(x, (3, 1)))


def test_training_in_parallel_threads_equals_one_thread(fast_switching):
    """Threads train their own models (with no_grad predictions in between) while sharing
    the engine; each ends exactly where the same run alone ends."""
    def make(seed: int):
        rng = np.random.default_rng(seed)
        model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
        for p in model.parameters():
            with no_grad():
                p.copy_(rng.normal(size=p.shape))
        X = Tensor(rng.normal(size=(8, 2)))
        y = rng.normal(size=(8, 1))
        return model, X, y

    def train(model, X, y) -> list:
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        for _ in range(20):
            opt.zero_grad()
            loss = ((model(X) - y) ** 2).mean()
            loss.backward()
            opt.step()
            with no_grad():
                model(X)
        return [p.data.copy() for p in model.parameters()]

    alone = [train(*make(s)) for s in range(4)]
    setups = [make(s) for s in range(4)]
    together: list = [None] * 4

    def run(s):
        together[s] = train(*setups[s])

    ts = [threading.Thread(target=run, args=(s,)) for s in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    for s in range(4):
        for a, b in zip(alone[s], together[s]):
            np.testing.assert_array_equal(a, b)


# -- data changed in place after the forward pass ------------------------------------------------
def _tensor_cases():
    def by_add(W):
        with no_grad():
            W.add_(1.0)

    def by_setitem(W):
        with no_grad():
            W[0, 0] = 5.0

    def by_optimizer(W):
        W.grad = np.ones_like(W.data)
        optim.SGD([W], lr=0.1).step()

    def by_copy(W):
        with no_grad():
            W.copy_(np.zeros((2, 2)))

    return [by_add, by_setitem, by_optimizer, by_copy]


@pytest.mark.parametrize("change", _tensor_cases(), ids=lambda f: f.__name__)
def test_tensor_changed_in_place_after_forward_raises_at_backward(change):
    W = Tensor(np.ones((2, 2)), requires_grad=True)
    out = (W @ np.array([1.0, 2.0])).tanh().sum()
    change(W)
    with pytest.raises(RuntimeError, match="modified in place after it was used"):
        out.backward()
    # a new forward pass sees the change and differentiates fine
    (W @ np.array([1.0, 2.0])).tanh().sum().backward()


def test_tensor_load_state_dict_after_forward_raises_at_backward():
    model = nn.Sequential(nn.Linear(2, 2))
    out = model(Tensor([[1.0, 2.0]])).sum()
    model.load_state_dict({k: v + 1.0 for k, v in model.state_dict().items()})
    with pytest.raises(RuntimeError, match="modified in place"):
        out.backward()


def test_in_place_change_of_a_leaf_that_requires_grad_needs_no_grad_like_torch():
    W = Tensor(np.ones(2), requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        W.add_(1.0)
    with no_grad():
        W.add_(1.0)
    np.testing.assert_array_equal(W.data, [2.0, 2.0])


@pytest.mark.filterwarnings("ignore:backward\\(create_graph=True\\)")
@pytest.mark.parametrize("how", ["optimizer", "set_weights", "load_state_dict"])
def test_value_changed_in_place_after_forward_raises_like_a_tensor(how):
    model = nn.MLP(2, [2, 1])
    out = model([1.0, 2.0])
    if how == "optimizer":
        for p in model.parameters():
            p.grad = 1.0
        optim.SGD(model.parameters(), lr=0.1).step()
    elif how == "set_weights":
        model.layers[0].neurons[0].set_weights([0.1, 0.2], 0.3)
    else:
        model.load_state_dict({k: v + 1.0 for k, v in model.state_dict().items()})
    with pytest.raises(RuntimeError, match="modified in place"):
        out.backward()
    with pytest.raises(RuntimeError, match="modified in place"):
        out.backward(create_graph=True)
    model([1.0, 2.0]).backward()  # a fresh forward pass is fine


def test_training_loop_order_is_not_an_in_place_error():
    model = nn.MLP(2, [3, 1])
    opt = optim.Adam(model.parameters(), lr=0.01)
    for _ in range(3):
        loss = (model([0.5, -1.0]) - 1.0) ** 2
        opt.zero_grad()
        loss.backward()
        opt.step()


# -- no numpy warnings for IEEE results ----------------------------------------------------------
def test_inf_and_nan_data_give_ieee_results_without_numpy_warnings():
    x = Tensor([np.inf, -np.inf, 1.0], requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outs = [x - x, x * 0.0, x.sum(), x.mean(), x / 0.0, x.log(), (x * x).exp()]
        for out in outs:
            out.sum().backward()
        from micrograd_plus import losses

        losses.huber(x, np.zeros(3)).backward()


# -- the fast passes equal the one walk, bit for bit, on random graphs ---------------------------
VALUE_OPS = [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a * 0.7 - b,
    lambda a, b: a.tanh() * b, lambda a, b: (a * b).sigmoid(), lambda a, b: a.relu() + b,
    lambda a, b: abs(a) ** 1.5, lambda a, b: a.sin() + b.cos(), lambda a, b: a / (b * b + 1.0),
    lambda a, b: a.leaky_relu(0.1) * b, lambda a, b: (a * a + 1.0).log(),
    lambda a, b: a.softplus() - b, lambda a, b: (a * 0.1).exp(),
]


@st.composite
def value_graphs(draw):
    leaves, nodes = draw(value_dags(VALUE_OPS, leaves=(2, 4), steps=(1, 14)))
    seed = draw(st.sampled_from([1.0, -0.5, 3.0, float("inf"), float("nan")]))
    return leaves, nodes, seed


def _grads_by_walk(root, seed, order):
    out = {}
    for step in autograd.walk(root, seed, order=order):
        out[step.node] = step.grad
    return out


def _same(a, b):
    return (a == b) or (a != a and b != b)


@settings(max_examples=60, deadline=None)
@given(value_graphs())
def test_value_fast_pass_is_bit_identical_to_the_walk(graph):
    leaves, nodes, seed = graph
    root = nodes[-1]
    order = autograd.topological_order(root)
    expected = _grads_by_walk(root, seed, order)
    root.zero_grad()
    root.backward(seed)
    for node in order:
        assert _same(node.grad, expected.get(node, 0.0)), (node, node.grad, expected.get(node))


@settings(max_examples=40, deadline=None)
@given(value_graphs())
def test_value_graphs_with_inf_or_nan_upstream_match_torch(graph):
    leaves, nodes, seed = graph
    root = nodes[-1]
    # replay the same graph in torch through the ops' torch references
    tleaves = {id(v): torch.tensor(v.data, dtype=torch.float64, requires_grad=True)
               for v in leaves}
    tnodes = _replay(root, tleaves)
    root.backward(seed)
    troot = tnodes[id(root)]
    if not troot.requires_grad:
        return
    troot.backward(torch.tensor(seed, dtype=torch.float64))
    for v in leaves:
        t = tleaves[id(v)]
        ref = 0.0 if t.grad is None else t.grad.item()
        assert _same(v.grad, ref) or v.grad == pytest.approx(ref, rel=1e-9, abs=1e-12), (
            v.label, v.grad, ref)


def _replay(root, tleaves):
    """The torch graph of a Value graph, node by node through the op table's references."""
    values = dict(tleaves)
    for node in autograd.topological_order(root):
        if id(node) in values:
            continue
        if not node._prev:
            values[id(node)] = torch.tensor(node.data, dtype=torch.float64)
            continue
        args = [values[id(p)] for p in node._prev]
        params = node._params()
        values[id(node)] = node._fn.reference(torch, *args, **params)
    return values


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from([1.0, np.inf, np.nan]))
def test_tensor_fast_pass_is_bit_identical_to_the_walk(seed, upstream):
    rng = np.random.default_rng(seed)
    W = Tensor(rng.normal(size=(3, 4)), requires_grad=True)
    b = Tensor(rng.normal(size=(4,)), requires_grad=True)
    x = Tensor(rng.normal(size=(5, 3)))
    h = (x @ W + b)
    ops = [lambda t: t.relu(), lambda t: t.tanh(), lambda t: t.clip(-0.5, 0.5),
           lambda t: t.softmax(-1), lambda t: T.maximum(t, t * 0.5), lambda t: t * t,
           lambda t: t[:, np.array([0, 0, 1])], lambda t: t.max(axis=0, keepdims=True)]
    for k in rng.integers(0, len(ops), size=3):
        h = ops[k](h) + h.mean()
    root = h.sum()
    order = autograd.topological_order(root)
    g0 = np.array(upstream)
    expected = _grads_by_walk(root, g0, order)
    root.backward(g0)
    for leaf in (W, b):
        np.testing.assert_array_equal(leaf.grad, expected[leaf])


def test_backward_with_create_graph_warns_about_the_cycle_like_torch():
    x = Value(0.7)
    with pytest.warns(UserWarning, match="reference cycle"):
        x.tanh().backward(create_graph=True)
    assert x.grad._op == "-"  # 1 − tanh²: the seed 1 adds no node of its own
    t = Tensor([0.7], requires_grad=True)
    with pytest.warns(UserWarning, match="reference cycle"):
        t.tanh().sum().backward(create_graph=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        from micrograd_plus import grad

        (g,) = grad(x.tanh(), [x], create_graph=True)  # grad() stores nothing: no warning
    assert g.data == pytest.approx(1 - np.tanh(0.7) ** 2)


def test_a_gradient_graph_never_aliases_a_forward_node():
    from micrograd_plus import grad

    x = Value(0.3)
    y = x.exp()
    (g,) = grad(y, [x], create_graph=True)
    assert g is not y and g.data == y.data  # torch: a new tensor, not the result itself
    w = Value(1.5)
    (gw,) = grad(2 * w, [w], create_graph=True)
    assert gw.data == 2.0 and gw._prev  # 1 × 2: the constant leaf is not handed out


def test_a_result_changed_in_place_before_backward_raises():
    x = Tensor([0.5, -0.3], requires_grad=True)
    y = x.tanh()  # tanh's derivative 1 − y² reads y itself
    with no_grad():
        y[0] = 9.0
    with pytest.raises(RuntimeError, match="result of 'tanh'.*modified in place"):
        y.sum().backward()
