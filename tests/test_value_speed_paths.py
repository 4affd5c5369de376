"""The Value engine's fast paths give what the plain paths give: ``dots`` (a layer's dot nodes
made together) equals ``dot`` row by row, a Layer equals its neurons called one by one, the
topological sort's shortcut keeps the order of the plain depth-first search, the backward
pass's unrolled short nodes give the bits of one loop over every edge, and the count of
threads in ``no_grad`` returns to 0."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_plus import Value, dot, enable_grad, no_grad, nn, vsum
from micrograd_plus.core import autograd, ops
from micrograd_plus.core.autograd import AnomalyError, anomaly
from micrograd_plus.core.value import _dot_general, dots


def _same_node(a: Value, b: Value) -> None:
    assert a._op == b._op == "dot"
    assert a._prev == b._prev
    assert a._local == b._local
    assert a._args == b._args
    assert a.data == b.data


INPUT_KINDS = ["values", "floats", "ints", "mixed", "empty"]


def _inputs(kind: str, n: int) -> list:
    if kind == "values":
        return [Value(0.5 * i - 1.0) for i in range(n)]
    if kind == "floats":
        return [0.25 * i + 0.125 for i in range(n)]
    if kind == "ints":
        return list(range(n))
    if kind == "mixed":
        return [Value(1.5) if i % 2 else 2.0 for i in range(n)]
    return []


@pytest.mark.parametrize("kind", INPUT_KINDS)
@pytest.mark.parametrize("bias", ["value", "none", "constant"])
def test_dots_equals_dot_row_by_row_and_the_general_path(kind, bias):
    n = 0 if kind == "empty" else 3
    xs = _inputs(kind, n)
    rows = [[Value(0.1 * (i + j) - 0.2) for j in range(n)] for i in range(4)]
    biases = [{"value": Value(0.3 * i), "none": None, "constant": 0.5}[bias] for i in range(4)]
    nodes = dots(rows, xs, biases)
    for node, ws, b in zip(nodes, rows, biases):
        _same_node(node, dot(ws, xs, b))
        general = _dot_general(ws, xs, b)
        assert node._prev == general._prev and node._local == general._local
        assert node.data == general.data
        # the pairing tells the same partners (gradients of gradients read it)
        from micrograd_plus.core.ops import _dot_partners
        assert (_dot_partners(node._args[0], len(node._prev))
                == _dot_partners(general._args[0], len(general._prev)))


def test_dot_of_a_value_with_itself_and_constant_weights():
    ps = [Value(1.0), Value(-2.0)]
    y = dot(ps, ps)
    assert y._prev == (ps[0], ps[0], ps[1], ps[1]) and y.data == 5.0
    y.backward()
    assert [p.grad for p in ps] == [2.0, -4.0]
    z = dots([[2.0, ps[0]]], [ps[1], 3.0], [None])[0]  # a constant weight: the general path
    assert z._prev == (ps[1], ps[0]) and z.data == -4.0 + 3.0


def test_dots_rejects_rows_of_the_wrong_length():
    with pytest.raises(ValueError, match="dot: length mismatch, 1 weights vs 2 inputs"):
        dots([[Value(1.0), Value(2.0)], [Value(1.0)]], [1.0, 2.0], [None, None])


class _Doubled(nn.Neuron):
    def forward(self, x):
        return super().forward(x) * 2.0


def _layer_outputs_one_by_one(layer: nn.Layer, x: list) -> list:
    return [nn.Module.__call__(neuron, x) for neuron in layer.neurons]


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear", "leaky_relu"])
def test_a_layer_equals_its_neurons_one_by_one(activation):
    layer = nn.Layer(3, 4, activation=activation, seed=3)
    layer.neurons[2].activation = "tanh"  # a layer may mix activations
    x = [Value(0.5), Value(-1.5), Value(2.0)]
    out = layer(x)
    ref = _layer_outputs_one_by_one(layer, x)
    assert [o.data for o in out] == [r.data for r in ref]
    assert [o._op for o in out] == [r._op for r in ref]
    assert [o._prev[0]._prev if o._op != "dot" else o._prev for o in out] == \
        [r._prev[0]._prev if r._op != "dot" else r._prev for r in ref]


def test_a_layer_with_a_neuron_subclass_calls_its_forward():
    layer = nn.Layer(2, 3, seed=1)
    layer.neurons[1] = _Doubled(2, seed=2)
    out = layer([1.0, 2.0])
    assert out[1]._op == "*" and out[1].data == 2.0 * layer.neurons[1]._activate(
        dot(layer.neurons[1].w, [1.0, 2.0], layer.neurons[1].b)).data


def test_mlp_training_step_matches_neurons_called_one_by_one():
    """The moons step's gradients with the batched layers equal those of plain calls."""
    a, b = nn.MLP(2, [4, 4, 1], seed=5), nn.MLP(2, [4, 4, 1], seed=5)
    xs = [[0.5, -1.0], [1.5, 0.25], [-0.75, 2.0]]

    def plain(model, x):
        for layer in model.layers:
            x = _layer_outputs_one_by_one(layer, x)
            x = x[0] if len(x) == 1 else x
        return x

    la = sum((a(x) - 1.0) ** 2 for x in xs)
    lb = sum((plain(b, x) - 1.0) ** 2 for x in xs)
    la.backward()
    lb.backward()
    assert la.data == lb.data
    assert [p.grad for p in a.parameters()] == [p.grad for p in b.parameters()]


# -- the topological sort's shortcut keeps the plain depth-first order ------------------------
def _plain_order(root):
    """The depth-first post-order written recursively, as an independent oracle (the graphs
    here are small): parents visited last to first, as the sort does."""
    order, visited = [], {root}

    def visit(node):
        for parent in reversed(node._prev):
            if parent not in visited and parent.requires_grad:
                visited.add(parent)
                visit(parent)
        order.append(node)

    visit(root)
    return order


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["+", "*", "dot", "relu", "tanh", "nograd",
                                           "detach", "wide"]),
                          st.integers(0, 40), st.integers(0, 40), st.integers(0, 40)),
                min_size=1, max_size=25))
def test_topological_order_is_the_plain_depth_first_order(recipe):
    nodes = [Value(1.5), Value(-0.5), Value(2.0, requires_grad=False)]
    for kind, i, j, k in recipe:
        a, b, c = (nodes[t % len(nodes)] for t in (i, j, k))
        if kind == "+":
            out = a + b
        elif kind == "*":
            out = a * b
        elif kind == "dot":
            out = dot([a, b], [c, 0.5], a)
        elif kind == "relu":
            out = a.relu()
        elif kind == "tanh":
            out = (a * b).tanh()
        elif kind == "nograd":
            with no_grad():
                out = a * b
        elif kind == "wide":  # a neuron's dot: parents w_1, x_1, …, b
            out = dot([a, b, c], [c.relu(), a, b], nodes[(i + j) % len(nodes)])
        else:
            out = a.detach()
        nodes.append(out)
    root = nodes[-1] + nodes[len(nodes) // 2] * nodes[-2]
    assert autograd.topological_order(root) == _plain_order(root)


# -- the Value pass gives the bits of one plain loop over every edge ------------------------------
def _plain_pass(root, seed, order):
    """The scalar pass as one loop over every edge, as an independent oracle."""
    for node in order:
        node._pass_grad = 0.0
    root._pass_grad = seed
    for node in reversed(order):
        g = node._pass_grad
        if node._hooks:
            g = autograd.run_hooks(node, g)
        node.grad += g
        if node._local:
            sent = [d * g for d in node._local] if g - g == 0.0 else node._vjp(g)
            for parent, pg in zip(node._prev, sent):
                parent._pass_grad += pg


def _bits(x):
    return struct.pack("<d", x)


DATA = [1.5, -0.5, 0.0, -0.0, 2.0, float("inf"), float("nan"), -3.0]
SHAPES = ["+", "*", "square", "relu", "tanh", "sqrt", "dot3", "dot_wide", "dot_constants",
          "sum", "times_constant", "nograd", "detach", "hook"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(DATA), min_size=2, max_size=4),
       st.lists(st.tuples(st.sampled_from(SHAPES), st.lists(st.integers(0, 60), min_size=5,
                                                            max_size=5)),
                min_size=1, max_size=30),
       st.sampled_from([1.0, -2.5, 0.0, -0.0, float("inf"), float("nan")]))
def test_value_pass_is_the_plain_loop_bit_for_bit(data, recipe, seed):
    """Nodes of one to many inputs (unrolled below four), a parent used twice, inputs that
    do not require grad, hooks, inf/NaN/±0 data and seeds: every .grad has the oracle's bits."""
    nodes = [Value(x) for x in data]
    for shape, picks in recipe:
        a, b, c, d, e = (nodes[k % len(nodes)] for k in picks)
        if shape == "+":
            out = a + b
        elif shape == "*":
            out = a * b
        elif shape == "square":
            out = a * a
        elif shape == "relu":
            out = a.relu()
        elif shape == "tanh":
            out = a.tanh()
        elif shape == "sqrt":  # ∂ = inf at 0: inf·0 must stay NaN
            out = abs(a) ** 0.5
        elif shape == "dot3":
            out = dot([a], [b], c)
        elif shape == "dot_wide":
            out = dot([a, b, c], [d, e, a], b)
        elif shape == "dot_constants":
            out = dot([a, b, c, d], [0.5, -1.0, 0.0, 2.0], e)
        elif shape == "sum":
            out = vsum([a, b, c, d, e])
        elif shape == "times_constant":
            out = 2.0 * a
        elif shape == "nograd":
            with no_grad():
                out = a * b
        elif shape == "detach":
            out = a.detach()
        else:
            out = a * b
            out.register_hook(lambda g: -g if picks[0] % 2 else None)
        nodes.append(out)
    root = nodes[-1] + nodes[len(nodes) // 2]
    order = autograd.topological_order(root)
    root.backward(seed)
    got = [_bits(n.grad) for n in order]
    root.zero_grad()
    _plain_pass(root, seed, order)
    assert got == [_bits(n.grad) for n in order]


# -- the count of threads in no_grad -----------------------------------------------------------
def test_no_grad_blocks_leave_the_count_at_zero_even_after_an_error():
    assert autograd.checks.grad_off == 0
    with no_grad():
        assert autograd.checks.grad_off == 1
        with enable_grad():
            assert autograd.checks.grad_off == 0
            assert (Value(1.0) * 2.0).requires_grad
        assert autograd.checks.grad_off == 1
        assert not (Value(1.0) * 2.0).requires_grad
    assert autograd.checks.grad_off == 0
    with pytest.raises(KeyError):
        with no_grad():
            raise KeyError
    assert autograd.checks.grad_off == 0
    with enable_grad():  # already on: not counted
        assert autograd.checks.grad_off == 0


def test_a_node_made_to_not_require_grad_by_hand_is_left_out_of_backward():
    x = Value(2.0)
    h = x * 3.0
    h.requires_grad = False
    y = h * x
    y.backward()
    assert x.grad == 6.0 and h.grad == 0.0


# -- a layer's dot nodes and their activations made in one loop -------------------------------
def _same_activation_node(a: Value, b: Value) -> None:
    assert (a._op, a.data, a._local, a._fn, a._args, a.requires_grad) == \
        (b._op, b.data, b._local, b._fn, b._args, b.requires_grad)
    assert len(a._prev) == len(b._prev) == 1
    _same_node(a._prev[0], b._prev[0])


@pytest.mark.parametrize("kind", ["values", "floats", "mixed"])
@pytest.mark.parametrize("op", [ops.RELU, ops.TANH, ops.SIGMOID, ops.EXP])
def test_dots_then_an_activation_equals_the_activation_method_node_by_node(kind, op):
    xs = _inputs(kind, 3)
    rows = [[Value(0.7 * (i - j) + 0.1) for j in range(3)] for i in range(5)]
    biases = [Value(0.2 * i - 0.3) for i in range(5)]
    fused = dots(rows, xs, biases, op)
    plain = [getattr(z, op.method)() for z in dots(rows, xs, biases)]
    for a, b in zip(fused, plain):
        _same_activation_node(a, b)


def test_dots_then_an_activation_under_no_grad_and_in_anomaly_mode():
    xs = [Value(1.0), Value(-2.0)]
    rows = [[Value(0.5), Value(0.25)], [Value(-1.0), Value(-3.0)]]
    with no_grad():
        out = dots(rows, xs, [None, None], ops.RELU)
    assert [o.data for o in out] == [0.0, 5.0]
    assert all(not o.requires_grad and o._prev == () for o in out)
    big = [[Value(1000.0)], [Value(1.0)]]
    with anomaly(), pytest.raises(AnomalyError, match="exp"):
        dots(big, [Value(1.0)], [None, None], ops.EXP)  # e^1000 = inf: named at once
    with pytest.raises(ValueError, match="log of a non-positive number"):
        dots([[Value(-1.0)]], [1.0], [None], ops.LOG)  # the op's domain check


def test_relu_nodes_share_their_mask_tuples_and_keep_their_derivatives():
    a, b, c = Value(2.0).relu(), Value(-3.0).relu(), Value(5.0).relu()
    assert a._local == (1.0,) and b._local == (0.0,) and a._local is c._local
    nan = Value(float("nan")).relu()
    assert nan._local == (1.0,)  # tested on the result: a NaN passes its gradient on
    layer = dots([[Value(1.0)], [Value(-1.0)], [Value(2.0)]], [Value(1.0)], [None] * 3,
                 ops.RELU)
    assert [n._local for n in layer] == [(1.0,), (0.0,), (1.0,)]
    assert layer[0]._local is layer[2]._local is a._local
    assert Value(0.5).tanh()._local is not Value(0.5).tanh()._local  # not a selecting op


def test_a_layer_of_mixed_activations_and_a_leaky_relu_layer():
    layer = nn.Layer(2, 3, activation="leaky_relu", seed=4, negative_slope=0.1)
    out = layer([Value(0.5), Value(-1.5)])
    ref = _layer_outputs_one_by_one(layer, [Value(0.5), Value(-1.5)])
    assert [o.data for o in out] == [r.data for r in ref]
    assert [o._op for o in out] == ["leaky_relu"] * 3


# -- Module.parameters(): a walk without names, in named_parameters()'s order -----------------
def _names_order(model) -> list:
    return [p for _, p in model.named_parameters()]


def test_parameters_follow_named_parameters_after_reassignments():
    model = nn.MLP(2, [3, 3, 1], seed=2)
    assert model.parameters() == _names_order(model)
    model.layers[1] = nn.Layer(3, 3, seed=9)  # a layer replaced
    assert model.parameters() == _names_order(model)
    assert model.layers[1].neurons[0].w[0] in model.parameters()
    model.layers[0].neurons[2].w[1] = Value(4.0)  # a weight replaced in place
    model.layers[2].neurons[0].b = None  # a bias dropped
    model.extra = {"scale": Value(2.0), "note": "not a parameter", "n": 3}
    shared = model.layers[0].neurons[0].w[0]
    model.layers[2].neurons[0].w[1] = shared  # a parameter used twice: reported once
    assert model.parameters() == _names_order(model)
    assert model.parameters().count(shared) == 1
    assert model.extra["scale"] in model.parameters()
    model._private = Value(1.0)  # private attributes are never walked
    assert model._private not in model.parameters()
    model.zero_grad()
    for p in model.parameters():
        p.grad = 1.0
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_parameters_of_a_module_that_names_its_own_parameters():
    class Picky(nn.Module):
        def __init__(self):
            self.a, self.b = Value(1.0), Value(2.0)

        def named_parameters(self, prefix=""):
            yield "b", self.b  # its own walk decides, as before

    picky = Picky()
    assert picky.parameters() == [picky.b]
    picky.a.grad = picky.b.grad = 5.0
    picky.zero_grad()
    assert (picky.a.grad, picky.b.grad) == (5.0, 0.0)


def test_dots_rows_with_and_without_bias_share_no_parents():
    """The rows of a layer on Value inputs fill the same scratch lists: each node still has
    exactly its own weights, inputs and bias."""
    xs = [Value(0.5), Value(-1.0), Value(2.0)]
    rows = [[Value(0.1 * (i + j) - 0.3) for j in range(3)] for i in range(4)]
    biases = [Value(1.0), None, Value(-2.0), None]
    nodes = dots(rows, xs, biases, ops.TANH)
    for node, ws, b in zip(nodes, rows, biases):
        _same_activation_node(node, dot(ws, xs, b).tanh())
        assert len(node._prev[0]._prev) == (7 if b is not None else 6)
