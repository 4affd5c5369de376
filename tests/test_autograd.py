"""The backward pass: random graphs vs PyTorch, accumulation, deep chains, no_grad, detach,
hooks, anomaly mode, and graphs freed by reference counting (no cycles)."""

from __future__ import annotations

import math
import weakref

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from conftest import close
from micrograd_plus import Value, anomaly, dot, enable_grad, is_grad_enabled, no_grad, vsum
from micrograd_plus.core import autograd
from micrograd_plus.core.autograd import AnomalyError, run_backward, topological_order

# -- random expression DAGs -------------------------------------------------------------------
# A graph is a list of steps; each step applies an op to earlier nodes picked by index, so
# nodes are reused (fan-out) and the result is a DAG, not a tree.
UNARY = ["tanh", "sigmoid", "sin", "cos", "relu", "leaky_relu", "softplus", "neg", "abs",
         "square", "exp_tanh"]
BINARY = ["+", "-", "*", "/", "**"]
NARY = ["sum", "dot"]


def apply(op: str, args: list, torch_mode: bool):
    a = args[0]
    if op in ("tanh", "sigmoid", "sin", "cos"):  # a method of that name in both libraries
        return getattr(a, op)()
    if op == "relu":
        return torch.relu(a) if torch_mode else a.relu()
    if op == "leaky_relu":
        return F.leaky_relu(a, 0.1) if torch_mode else a.leaky_relu(0.1)
    if op == "softplus":
        return F.softplus(a) if torch_mode else a.softplus()
    if op == "neg":
        return -a
    if op == "abs":
        return abs(a)
    if op == "square":
        return a**2
    if op == "exp_tanh":  # exp of a bounded number: never overflows
        return a.tanh().exp()
    b = args[1]
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":  # keep the denominator away from zero: b² + 1 >= 1
        return a / (b * b + 1.0)
    if op == "**":  # a positive base, a bounded exponent
        return (a * a + 0.5) ** b.tanh()
    if op == "sum":
        # left to right in both, as vsum adds: torch.stack(args).sum() adds in another order,
        # and a relu after a sum that cancels to 0 turns that last bit into a gradient of 1
        return sum(args) if torch_mode else vsum(args)
    if op == "dot":
        half = len(args) // 2
        if torch_mode:
            return sum(w * x for w, x in zip(args[:half], args[half:2 * half]))
        return dot(args[:half], args[half:2 * half])
    raise AssertionError(op)


@st.composite
def graphs(draw):
    n_inputs = draw(st.integers(1, 4))
    inputs = draw(st.lists(st.floats(-2.0, 2.0), min_size=n_inputs, max_size=n_inputs))
    steps = []
    n = n_inputs
    for _ in range(draw(st.integers(1, 14))):
        kind = draw(st.sampled_from(["unary", "binary", "nary"]))
        if kind == "unary":
            op, arity = draw(st.sampled_from(UNARY)), 1
        elif kind == "binary":
            op, arity = draw(st.sampled_from(BINARY)), 2
        else:
            op, arity = draw(st.sampled_from(NARY)), draw(st.integers(2, 6))
        # biased towards recent nodes so graphs get deep, but any earlier node may be reused
        index = st.one_of(st.integers(max(0, n - 3), n - 1), st.integers(0, n - 1))
        picks = draw(st.lists(index, min_size=arity, max_size=arity))
        steps.append((op, picks))
        n += 1
    seed = draw(st.floats(-2.0, 2.0))
    return inputs, steps, seed


def build(inputs, steps, torch_mode: bool):
    if torch_mode:
        nodes = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in inputs]
    else:
        nodes = [Value(x) for x in inputs]
    for op, picks in steps:
        out = apply(op, [nodes[i] for i in picks], torch_mode)
        if torch_mode:
            out.retain_grad()
        nodes.append(out)
    return nodes


def grad_of(t) -> float:
    return 0.0 if t.grad is None else t.grad.item()


def assert_all_close(ours, ref, what):
    for i, (v, t) in enumerate(zip(ours, ref)):
        assert close(v.data, t.item(), rtol=1e-8, atol=1e-10), (what, "data", i)
        assert close(v.grad, grad_of(t), rtol=1e-8, atol=1e-10), (what, "grad", i, v.grad,
                                                                 grad_of(t))


@settings(max_examples=80, deadline=None)
@given(graphs())
def test_random_dag_every_gradient_matches_torch_and_a_second_backward_doubles(graph):
    inputs, steps, seed = graph
    ours = build(inputs, steps, torch_mode=False)
    ref = build(inputs, steps, torch_mode=True)
    root, troot = ours[-1], ref[-1]
    assume(all(math.isfinite(v.data) for v in ours))

    root.backward(seed)
    troot.backward(torch.tensor(seed, dtype=torch.float64))
    assert_all_close(ours, ref, "backward")

    # a second call adds the very same amounts again, on leaves and intermediates. (Not
    # compared with torch's second call: when a sum's backward hands two leaves the same
    # gradient tensor, torch makes both .grad alias one buffer and accumulates into it twice.)
    first = [v.grad for v in ours]
    root.backward(seed)
    assert all(close(v.grad, g + g, rtol=0.0, atol=0.0) for v, g in zip(ours, first))


# -- accumulation, reuse, seed ----------------------------------------------------------------
def test_second_backward_doubles_every_gradient_including_intermediates():
    # micrograd issue #53: its second backward re-propagates accumulated intermediate grads
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    c = a * b
    d = c + a
    e = d * d
    e.backward()
    first = [a.grad, b.grad, c.grad, d.grad, e.grad]
    # by hand: d = ab + a = -4, e = d², de/dd = 2d = -8 = de/dc, de/da = -8(b + 1) = 16,
    # de/db = -8a = -16
    assert first == [16.0, -16.0, -8.0, -8.0, 1.0]
    e.backward()
    assert [a.grad, b.grad, c.grad, d.grad, e.grad] == [2 * g for g in first]


def test_reused_node_gets_the_sum_of_its_contributions():
    x = Value(3.0)
    y = x * x + x * 2.0 + x  # dy/dx = 2x + 3
    y.backward()
    assert x.grad == 9.0
    z = Value(1.5)
    w = z + z + z + z
    w.backward()
    assert z.grad == 4.0


def test_backward_with_a_seed_gradient_scales_everything():
    a, b = Value(1.5), Value(-0.5)
    y = (a * b).tanh() + a.exp()
    y.backward(2.5)
    ta = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(-0.5, dtype=torch.float64, requires_grad=True)
    ((ta * tb).tanh() + ta.exp()).backward(torch.tensor(2.5, dtype=torch.float64))
    assert close(a.grad, ta.grad.item()) and close(b.grad, tb.grad.item())
    assert y.grad == 2.5


def test_zero_grad_clears_the_whole_graph():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    y = c + a
    y.backward()
    y.zero_grad()
    assert [n.grad for n in (a, b, c, y)] == [0.0] * 4


def test_value_and_tensor_share_hooks_zero_grad_and_leaf_test_from_node():
    import numpy as np

    from micrograd_plus.core.tensor import Tensor

    for leaf, cleared in ((Value(2.0), 0.0), (Tensor([2.0], requires_grad=True), None)):
        assert isinstance(leaf, autograd.Node) and leaf.is_leaf
        seen = []
        handle = leaf.register_hook(lambda g: seen.append(g) or g * 3)
        y = (leaf * leaf).sum() if isinstance(leaf, Tensor) else leaf * leaf
        assert not y.is_leaf
        y.backward()
        assert np.allclose(seen, [4.0]) and np.allclose(leaf.grad, 12.0)
        handle.remove()
        y.zero_grad()
        assert (leaf.grad is None) if cleared is None else (leaf.grad == 0.0)
        y.backward()
        assert len(seen) == 1 and np.allclose(leaf.grad, 4.0)


def test_backward_without_grad_names_the_node_for_both_node_types():
    from micrograd_plus.core.tensor import Tensor

    for node in (Value(1.0, label="k", requires_grad=False), Tensor([1.0], label="k")):
        with pytest.raises(RuntimeError, match=r"backward\(\) on 'k'.*does not require grad.*"
                                               r"requires_grad=False"):
            node.backward(1.0 if isinstance(node, Value) else [1.0])


def test_topological_order_puts_inputs_first_and_lists_each_node_once():
    a, b = Value(1.0), Value(2.0)
    c = a * b
    d = c + a
    e = d * c
    order = topological_order(e)
    assert len(order) == len(set(map(id, order))) == 5
    assert order[-1] is e
    position = {id(n): i for i, n in enumerate(order)}
    for node in order:
        for parent in node._prev:
            assert position[id(parent)] < position[id(node)]


def test_deep_chain_of_a_million_nodes_has_no_recursion_error(gc_off):
    # gc_off only for speed: with a million live objects, collections would dominate the test
    x = Value(0.0)
    one = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + one
    y.backward()
    assert y.data == 1_000_000.0
    assert x.grad == 1.0 and one.grad == 1_000_000.0
    del y  # freeing a million-deep chain must not overflow the C stack either


# -- no_grad, detach, requires_grad -----------------------------------------------------------
def test_no_grad_nests_restores_and_survives_exceptions():
    assert is_grad_enabled()
    with no_grad():
        assert not is_grad_enabled()
        with enable_grad():
            assert is_grad_enabled()
            inner = Value(1.0) * 2
        assert not is_grad_enabled()
    assert is_grad_enabled() and inner.requires_grad and inner._prev
    with pytest.raises(KeyError):
        with no_grad():
            raise KeyError("boom")
    assert is_grad_enabled()


def test_set_grad_enabled_and_no_grad_as_a_decorator():
    with autograd.set_grad_enabled(False):
        assert not is_grad_enabled()
        with autograd.set_grad_enabled(True):
            assert (Value(1.0) * 2)._prev
    assert is_grad_enabled()

    @no_grad()
    def frozen(x):
        return x * 2

    assert not frozen(Value(1.0))._prev and is_grad_enabled()
    with anomaly():
        assert autograd.is_anomaly_enabled()
        with anomaly(False):
            assert not autograd.is_anomaly_enabled()
    assert not autograd.is_anomaly_enabled()


def test_values_made_under_no_grad_are_constants_to_later_graphs():
    x = Value(2.0)
    with no_grad():
        c = x * 3.0
    y = c * x  # c is a constant 6: dy/dx = 6
    y.backward()
    assert x.grad == 6.0 and c.grad == 0.0


def test_detach_stops_the_gradient():
    x = Value(2.0)
    y = x.detach() * x  # like torch: d/dx (stop(x) * x) = x
    y.backward()
    assert x.grad == 2.0
    tx = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    (tx.detach() * tx).backward()
    assert x.grad == tx.grad.item()


def test_leaf_with_requires_grad_false_gets_no_gradient_and_is_not_walked():
    k = Value(5.0, requires_grad=False)
    x = Value(2.0)
    y = k * x
    y.backward()
    assert x.grad == 5.0 and k.grad == 0.0
    assert k not in topological_order(y)


# -- hooks --------------------------------------------------------------------------------
def test_hook_sees_the_complete_gradient_of_the_pass():
    x = Value(3.0)
    h = x * x
    y = h + h
    seen = []
    h.register_hook(seen.append)
    y.backward()
    assert seen == [2.0]  # once, with both contributions summed
    assert x.grad == 12.0


def test_hook_replacement_is_stored_and_propagated_like_torch():
    x = Value(1.5)
    h = x.tanh()
    y = h * 3.0
    h.register_hook(lambda g: g * 10.0)
    y.backward()

    tx = torch.tensor(1.5, dtype=torch.float64, requires_grad=True)
    th = tx.tanh()
    th.retain_grad()
    th.register_hook(lambda g: g * 10.0)
    (th * 3.0).backward()
    assert close(h.grad, th.grad.item()) and close(x.grad, tx.grad.item())
    assert h.grad == 30.0


def test_register_hook_needs_a_function_and_a_node_that_requires_grad():
    from micrograd_plus.core.tensor import Tensor

    for node in (Value(1.0, label="k", requires_grad=False), Tensor([1.0], label="k")):
        # torch refuses too: such a hook would silently never be called
        with pytest.raises(RuntimeError, match=r"register_hook\(\) on 'k'.*does not require"):
            node.register_hook(print)
        assert node._hooks is None
    with pytest.raises(TypeError, match=r"register_hook needs a function.*int: 3"):
        Value(1.0).register_hook(3)


def test_hook_on_a_leaf_replaces_its_stored_gradient():
    x = Value(2.0)
    x.register_hook(lambda g: -g)
    (x * 4.0).backward()
    assert x.grad == -4.0


def test_removed_hook_is_not_called():
    x = Value(2.0)
    calls = []
    handle = x.register_hook(lambda g: calls.append(g))
    (x * 2.0).backward()
    handle.remove()
    handle.remove()  # removing twice is harmless
    (x * 2.0).backward()
    assert calls == [2.0] and x.grad == 4.0


def test_a_hook_may_run_another_backward_pass():
    x, z = Value(2.0), Value(3.0)
    other = z * z
    h = x * 3.0
    h.register_hook(lambda g: other.backward())  # re-entrant: returns None, keeps g
    y = h * h
    y.backward()
    assert z.grad == 6.0 and x.grad == 36.0 and h.grad == 12.0  # y = 9x², dy/dx = 18x


def test_graphs_with_value_subclasses_and_anomaly_mode_take_the_general_pass():
    class Param(Value):
        __slots__ = ()

    p = Param(2.0)
    y = (p * p).tanh() + p
    y.backward()
    ref = torch.tensor(2.0, dtype=torch.float64, requires_grad=True)
    ((ref * ref).tanh() + ref).backward()
    assert close(p.grad, ref.grad.item())
    q = Value(2.0)
    with anomaly():  # the checked pass gives the same numbers
        ((q * q).tanh() + q).backward()
    assert q.grad == p.grad


# -- anomaly mode ------------------------------------------------------------------------------
def test_anomaly_forward_names_the_op_and_its_inputs():
    x = Value(1000.0, label="x")
    with anomaly():
        with pytest.raises(AnomalyError, match=r"operation 'exp' produced inf.*'x' data=1000\.0"):
            x.exp()
        with pytest.raises(AnomalyError, match=r"operation '\*' produced inf.*1e\+200.*1e\+200"):
            Value(1e200) * Value(1e200)
    assert math.isinf(x.exp().data)  # outside the block inf is allowed and propagates


def test_anomaly_blames_the_op_that_made_nan_not_the_ones_it_flows_through():
    with anomaly():
        big = Value(1e308, label="big")
        with pytest.raises(AnomalyError, match=r"operation '\+'"):
            big + big
        nan_in = Value(math.nan)
        y = nan_in * 2.0 + 1.0  # NaN came in as data: not this op's fault
        assert math.isnan(y.data)


def test_anomaly_backward_names_the_op_and_the_input():
    x = Value(0.0, label="x")
    with anomaly():
        y = x.sqrt() * 2.0  # finite forward; d sqrt/dx at 0 is inf
        with pytest.raises(AnomalyError,
                           match=r"backward of 'sqrt'.*gradient inf for input 0 \('x' data=0\.0\)"):
            y.backward()


def test_anomaly_off_by_default_and_restored():
    from micrograd_plus.core.autograd import is_anomaly_enabled

    assert not is_anomaly_enabled()
    with anomaly():
        assert is_anomaly_enabled()
        with anomaly(False):
            assert not is_anomaly_enabled()
    assert not is_anomaly_enabled()


# -- memory: no reference cycles ---------------------------------------------------------------
def test_a_dropped_graph_is_freed_by_refcount_alone(gc_off):
    a, b = Value(2.0), Value(-1.0)
    h = (a * b).tanh()
    mid = h + a.exp()
    root = vsum([mid * mid, dot([a, b], [h, 3.0])]).relu()
    root.backward()
    refs = [weakref.ref(n) for n in (h, mid, root)]
    del h, mid, root
    assert [r() for r in refs] == [None, None, None]
    assert a.grad != 0.0  # the leaves we still hold keep their gradients


def test_graph_with_hooks_and_no_grad_parts_is_freed(gc_off):
    x = Value(1.0)
    h = x.sin()
    h.register_hook(lambda g: g)
    with no_grad():
        c = h * 2
    y = h * c
    y.backward()
    refs = [weakref.ref(n) for n in (h, c, y)]
    del h, c, y
    assert all(r() is None for r in refs)


def test_model_output_graph_is_freed_after_a_training_step(gc_off):
    from micrograd_plus.nn import MLP

    model = MLP(2, [4, 1], seed=0)
    out = model([0.5, -1.0])
    loss = (out - 1.0) ** 2
    loss.backward()
    ref_out, ref_loss = weakref.ref(out), weakref.ref(loss)
    del out, loss
    assert ref_out() is None and ref_loss() is None


# -- the protocol is generic: any node type with the right attributes works -------------------
class Box:
    """A minimal non-Value node: y = k·x with a vector-free rule, to pin the protocol."""

    __slots__ = ("_prev", "_op", "requires_grad", "_hooks", "grad", "k")

    def __init__(self, parents=(), k=1.0, op=""):
        self._prev, self.k, self._op = tuple(parents), k, op
        self.requires_grad, self._hooks, self.grad = True, None, 0.0

    def _vjp(self, g):
        return [self.k * g, None][: len(self._prev)]

    def _store_grad(self, g):
        self.grad += g


def test_run_backward_follows_the_protocol_for_other_node_types():
    x = Box()
    y = Box((x,), k=3.0, op="scale")
    z = Box((y, x), k=2.0, op="scale_first")  # second parent gets None: nothing flows
    run_backward(z, 1.0)
    assert (z.grad, y.grad, x.grad) == (1.0, 2.0, 6.0)
