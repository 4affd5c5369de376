"""BackpropStepper: same order and bit-identical gradients as backward(); exact undo."""

from __future__ import annotations

import io
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from micrograd_plus import Value, dot
from micrograd_plus.core import autograd
from conftest import needs_dot
from micrograd_plus.debug import BackpropStepper, format_chain_rule
from micrograd_plus.viz import format_number

# -- random graphs with reused nodes --------------------------------------------------------

UNARY = ["tanh", "sigmoid", "sin", "neg", "sq", "relu", "cos"]
BINARY = ["+", "-", "*", "sum3", "dot"]


def build(leaves: list[float], ops: list[tuple]) -> tuple[Value, list[Value]]:
    """A graph from a recipe; every op picks its inputs among all earlier nodes (reuse)."""
    nodes = [Value(x, label=f"x{i}") for i, x in enumerate(leaves)]
    for kind, i, j, k in ops:
        a, b, c = nodes[i % len(nodes)], nodes[j % len(nodes)], nodes[k % len(nodes)]
        if kind == "+":
            out = a + b
        elif kind == "-":
            out = a - b
        elif kind == "*":
            out = a * b
        elif kind == "sum3":
            out = _vsum3(a, b, c)
        elif kind == "dot":
            out = dot([a, b], [c, 0.5])
        elif kind == "sq":
            out = a**2
        elif kind == "neg":
            out = -a
        elif kind == "relu":
            out = a.relu()
        else:
            out = getattr(a, kind)()
        nodes.append(out)
    # the root uses the last few nodes so most of the graph reaches it
    root = nodes[-1] * 1.5 + nodes[-2] + nodes[len(leaves) // 2]
    return root, nodes


def _vsum3(a: Value, b: Value, c: Value) -> Value:
    from micrograd_plus import vsum

    return vsum([a, b, c, 2.0])


recipes = st.tuples(
    st.lists(st.floats(-2, 2, allow_nan=False), min_size=1, max_size=4),
    st.lists(
        st.tuples(st.sampled_from(UNARY + BINARY), st.integers(0, 50), st.integers(0, 50),
                  st.integers(0, 50)),
        min_size=1, max_size=12,
    ),
)


def same(a: float, b: float) -> bool:
    """Bit-identical, with NaN equal to NaN."""
    return a == b or (math.isnan(a) and math.isnan(b))


def graph_nodes(root: Value) -> list[Value]:
    return autograd.topological_order(root)


def set_grads(nodes: list, grads: list[float]) -> None:
    for node, g in zip(nodes, grads):
        node.grad = g


def grads_of_backward(root: Value, nodes: list, start: list[float]) -> list[float]:
    """Every node's .grad after ``root.backward()`` from ``start``; then back to ``start``."""
    set_grads(nodes, start)
    root.backward()
    expected = [n.grad for n in nodes]
    set_grads(nodes, start)
    return expected


@settings(max_examples=60, deadline=None)
@given(recipes, st.booleans(), st.randoms(use_true_random=False))
def test_stepper_to_end_equals_backward(recipe, accumulated, rnd):
    root, _ = build(*recipe)
    nodes = graph_nodes(root)
    start = [rnd.uniform(-5, 5) if accumulated else 0.0 for _ in nodes]
    expected = grads_of_backward(root, nodes, start)

    stepper = BackpropStepper(root)
    assert [n.grad for n in nodes] == start, "planning must not touch .grad"
    stepper.run()
    assert stepper.done
    for node, want in zip(nodes, expected):
        assert same(node.grad, want), (node, want)


@settings(max_examples=40, deadline=None)
@given(recipes, st.lists(st.sampled_from(["next", "back", "next", "end", "start"]),
                         max_size=25))
def test_random_walk_of_steps_and_undos(recipe, moves):
    root, _ = build(*recipe)
    nodes = graph_nodes(root)
    start = [float(i) - 1.25 for i in range(len(nodes))]
    expected = grads_of_backward(root, nodes, start)

    stepper = BackpropStepper(root)
    snapshots = {0: start}
    for move in moves:
        assert stepper.move(move) is stepper.current  # at either end next/back do nothing
        state = [n.grad for n in nodes]
        # the same position always shows the same gradients, whatever the path to it
        seen = snapshots.setdefault(stepper.position, state)
        assert all(same(a, b) for a, b in zip(state, seen))
    stepper.reset()
    assert all(same(a, b) for a, b in zip((n.grad for n in nodes), start))
    stepper.run()
    assert all(same(a, b) for a, b in zip((n.grad for n in nodes), expected))


@settings(max_examples=40, deadline=None)
@given(recipes)
def test_records_agree_with_the_live_grads(recipe):
    root, _ = build(*recipe)
    nodes = graph_nodes(root)
    stepper = BackpropStepper(root)
    # Values always receive a gradient, so the order is exactly backward's reversed order
    assert [s.node for s in stepper.steps] == list(reversed(nodes))
    received: dict = {}
    for planned in stepper.records():
        step = stepper.step()
        assert step is planned
        assert same(step.node.grad, step.grad_after)
        if step.index:
            assert same(step.grad, received[step.node])  # ∂root/∂node = Σ contributions
        else:
            assert step.grad == 1.0
        last: dict = {}
        for p in step.parents:
            assert p.node is step.node._prev[p.position]
            assert same(p.contribution, step.node.local_grads[p.position] * step.grad)
            assert p.local == step.node.local_grads[p.position]
            received[p.node] = p.sum_so_far
            last[p.node] = p
        for parent, p in last.items():
            assert same(parent.grad, p.grad_after)
    for step in stepper.steps:
        for p in step.parents:
            assert 1 <= p.arrival <= p.arrivals


# -- the lunch example and the chain-rule text ---------------------------------------------

def lunch() -> dict:
    w = [Value(50.0, label="w_meat"), Value(50.0, label="w_veg"),
         Value(50.0, label="w_staple")]
    y = dot(w, [5, 2, 4])
    y.label = "y"
    E = 0.5 * (1250 - y) ** 2
    E.label = "E"
    return {"E": E, "y": y, "w": w}


def test_lunch_chain_rule_text():
    g = lunch()
    stepper = BackpropStepper(g["E"])
    step = stepper.run_to(g["y"])
    assert step.node is g["y"] and step.grad == -700.0
    texts = [format_chain_rule(step, p) for p in step.parents]
    assert texts[0] == "∂E/∂w_meat = ∂E/∂y · ∂y/∂w_meat = (−700)·(5) = −3500"
    assert texts[1] == "∂E/∂w_veg = ∂E/∂y · ∂y/∂w_veg = (−700)·(2) = −1400"
    assert texts[2] == "∂E/∂w_staple = ∂E/∂y · ∂y/∂w_staple = (−700)·(4) = −2800"
    assert [w.grad for w in g["w"]] == [-3500.0, -1400.0, -2800.0]
    stepper.back()
    assert [w.grad for w in g["w"]] == [0.0, 0.0, 0.0]
    assert stepper.current.grad == 700.0  # the node 1250 − y


def test_several_contributions_are_announced():
    a = Value(3.0, label="a")
    c = a * a
    c.label = "c"
    L = c + a
    texts = []
    for step in BackpropStepper(L):
        texts += [format_chain_rule(step, p) for p in step.parents if p.node is a]
    assert len(texts) == 3
    assert texts[0].startswith("∂L/∂a += ∂L/∂L · ∂L/∂a = (1)·(1) = 1")
    assert "contribution 1 of 3; ∂L/∂a so far = 1]" in texts[0]
    assert "∂L/∂c · ∂c/∂a = (1)·(3) = 3" in texts[1] and "so far = 4]" in texts[1]
    assert "contribution 3 of 3; ∂L/∂a so far = 7]" in texts[2]
    assert a.grad == 7.0


def test_labels_with_spaces_are_parenthesised_in_formulas():
    y = Value(550.0, label="y")
    error = 1250 - y
    error.label = "t − y"
    E = error * error
    E.label = "E"
    step = BackpropStepper(E).step()
    text = format_chain_rule(step, step.parents[0])
    assert text.startswith("∂E/∂(t − y) += ∂E/∂E · ∂E/∂(t − y) = (1)·(700) = 700")
    assert repr(step).startswith("Step(1: E = 490000, ∂E/∂E = 1 → t − y, t − y)")


def test_compound_labels_are_bracketed_by_the_graphs_rule():
    from micrograd_plus.debug import sym
    from micrograd_plus.viz import group_label

    assert sym is group_label  # formulas and edge labels bracket labels alike
    a, b = Value(2.0, label="a"), Value(3.0, label="b")
    s = a + b
    s.label = "(a + b)·c"  # starts with a bracket, yet compound: ∂L/∂(a + b)·c misreads
    L = s * s
    L.label = "L"
    step = BackpropStepper(L).step()
    assert format_chain_rule(step, step.parents[0]).startswith(
        "∂L/∂((a + b)·c) += ∂L/∂L · ∂L/∂((a + b)·c) = (1)·(5) = 5")


def test_unlabeled_nodes_get_op_names_and_negatives_use_unicode_minus():
    x = Value(-2.0)
    y = x.tanh() * -3
    stepper = BackpropStepper(y)
    step = stepper.step()
    assert step.label == "L" and step.op == "*"
    assert [p.label for p in step.parents] == ["tanh1", "leaf1"]
    text = format_chain_rule(step, step.parents[1])
    t = format_number(x.tanh().data)
    assert t == "−0.9640"  # tanh(−2) = −0.96403, at the drawing's 4 decimals
    assert text == f"∂L/∂leaf1 = ∂L/∂L · ∂L/∂leaf1 = (1)·({t}) = {t}"
    assert "-" not in text


def test_navigation_and_errors():
    g = lunch()
    stepper = BackpropStepper(g["E"])
    with pytest.raises(IndexError, match="nothing to undo"):
        stepper.back()
    assert stepper.run_to("w_veg").node is g["w"][1]
    pos = stepper.position
    assert stepper.run_to(g["y"]).node is g["y"]  # going back to an earlier node undoes
    assert stepper.position < pos
    with pytest.raises(ValueError, match="not processed by this backward pass"):
        stepper.run_to(Value(1.0, label="stranger"))
    stepper.run_to_end()
    with pytest.raises(StopIteration):
        stepper.step()
    assert len(stepper) == len(stepper.steps) == stepper.position
    assert stepper.move("next") is stepper.steps[-1]  # at the end: nothing happens
    assert stepper.move("start") is None and stepper.move("back") is None
    with pytest.raises(ValueError, match="unknown move 'sideways'"):
        stepper.move("sideways")
    with pytest.raises(RuntimeError, match="does not require grad"):
        BackpropStepper(Value(1.0, requires_grad=False))
    with pytest.raises(TypeError, match=r"needs a graph node \(a Value or Tensor\), got float"):
        BackpropStepper(2.5)
    with pytest.raises(TypeError, match="seed must be a real number"):
        BackpropStepper(g["E"], seed="1")


def test_seed_and_detached_nodes_and_hooks():
    a = Value(2.0, label="a")
    b = Value(5.0, label="b")
    frozen = (a * 10).detach()
    calls = []
    mid = a * b + frozen
    mid.label = "mid"

    def hook(g):
        calls.append(g)
        return g * 3

    mid.register_hook(hook)
    root = mid.tanh() * 0.1
    root.backward(2.5)
    want = (a.grad, b.grad, mid.grad)
    calls.clear()
    for n in autograd.topological_order(root):
        n.grad = 0.0
    stepper = BackpropStepper(root, seed=2.5)
    assert len(calls) == 1  # hooks run once, while planning
    assert frozen not in [s.node for s in stepper.steps]
    stepper.run()
    assert (a.grad, b.grad, mid.grad) == want
    assert len(calls) == 1


def test_show_prints_the_table_and_the_formula():
    g = lunch()
    stepper = BackpropStepper(g["E"])
    stepper.run_to(g["y"])
    out = io.StringIO()
    stepper.show(Console(file=out, width=120))
    text = out.getvalue()
    assert "∂E/∂w_meat = ∂E/∂y · ∂y/∂w_meat = (−700)·(5) = −3500" in text
    assert "w_staple" in text and "−2800" in text
    assert f"step {stepper.position} of {len(stepper)}" in text


def test_draw_passes_current_and_processed(monkeypatch):
    calls = []

    def fake_draw_graph(root, **kw):
        calls.append((root, kw))
        return "digraph"

    from micrograd_plus.debug import stepper as stepper_module

    monkeypatch.setattr(stepper_module, "draw_graph", fake_draw_graph)
    g = lunch()
    stepper = BackpropStepper(g["E"])
    assert stepper.draw() == "digraph"
    assert calls[-1] == (g["E"], {"highlight": [], "processed": []})
    stepper.run_to(g["y"])
    stepper.draw(rankdir="TB")
    root, kw = calls[-1]
    assert kw["highlight"] == [g["y"]] and kw["rankdir"] == "TB"
    assert kw["processed"] == [s.node for s in stepper.steps[: stepper.position]]
    assert kw["processed"][-1] is g["y"] and g["w"][0] not in kw["processed"]


@needs_dot
def test_draw_with_the_real_visualizer(artifacts):
    from micrograd_plus import viz
    g = lunch()
    stepper = BackpropStepper(g["E"])
    stepper.run_to(g["y"])
    graph = stepper.draw()
    assert isinstance(graph, type(viz.draw_graph(g["E"])))
    assert "w_meat" in graph.source
    # for people to look at: y highlighted, E … y marked processed
    graph.render(str(artifacts / "stepper_at_y"), format="png", cleanup=True)
    assert (artifacts / "stepper_at_y.png").stat().st_size > 1000


def test_step_reads_well_in_a_repl():
    g = lunch()
    stepper = BackpropStepper(g["E"])
    step = stepper.run_to(g["y"])
    n = step.index + 1
    assert repr(step) == f"Step({n}: y = 550, ∂E/∂y = −700 → w_meat, w_veg, w_staple)"
    line = "  ∂E/∂w_meat = ∂E/∂y · ∂y/∂w_meat = (−700)·(5) = −3500"
    assert str(step).splitlines()[1] == line
    assert repr(step.parents[0]) == (
        "ParentStep(w_meat: local=5, contribution=−3500, grad_after=−3500)"
    )
    assert repr(stepper) == f"BackpropStepper(root='E', step {step.index + 1} of 9)"


def test_tensor_graph_steps_to_backwards_grads():
    import numpy as np

    from micrograd_plus.core import tensor

    rng = np.random.default_rng(3)
    x = tensor.Tensor(rng.normal(size=(2, 3)), requires_grad=True, label="x")
    w = tensor.Tensor(rng.normal(size=(3,)), requires_grad=True, label="w")
    h = (x * w).tanh()
    h.retain_grad()
    loss = ((h + x) * x).sum() + (w * w).sum()  # x and w reused

    def grads():
        return [None if t.grad is None else t.grad.copy() for t in (x, w, h)]

    x.grad = np.full((2, 3), 0.5)  # accumulated from an earlier pass
    loss.backward()
    want = grads()
    x.grad, w.grad, h.grad = np.full((2, 3), 0.5), None, None

    stepper = BackpropStepper(loss)
    assert grads()[1:] == [None, None]
    assert all(p.local is None for s in stepper.steps for p in s.parents)
    stepper.run()
    for got, exp in zip(grads(), want):
        assert np.array_equal(got, exp)
    stepper.reset()
    assert np.array_equal(x.grad, np.full((2, 3), 0.5)) and w.grad is None and h.grad is None
    step = stepper.run_to(h)
    assert step.grad.shape == (2, 3)
    assert all(isinstance(format_chain_rule(step, p), str) for p in step.parents)


def test_float32_tensor_graph_is_stepped_in_float32_like_backward():
    import numpy as np

    from micrograd_plus.core.tensor import Tensor

    rng = np.random.default_rng(5)
    x = Tensor(rng.normal(size=(3, 2)), requires_grad=True, dtype=np.float32, label="x")
    w = Tensor(rng.normal(size=(2, 1)), requires_grad=True, dtype=np.float32, label="w")
    loss = ((x @ w).tanh() * 0.3 + x.sum(axis=1, keepdims=True)).mean()
    loss.backward()
    want = [x.grad.copy(), w.grad.copy()]
    loss.zero_grad()
    stepper = BackpropStepper(loss)  # a number seed becomes an array of the root's dtype
    assert all(s.grad.dtype == np.float32 for s in stepper.steps)
    stepper.run()
    for got, exp in zip((x.grad, w.grad), want):
        assert got.dtype == np.float32 and np.array_equal(got, exp)


def test_accumulated_grads_are_summed_like_backward_not_one_by_one():
    """backward adds this pass's total once: 0.1 + (0.2 + 0.3) = 0.6, whereas adding the
    contributions one by one gives (0.1 + 0.2) + 0.3 = 0.6000000000000001."""
    a = Value(1.0, label="a")
    L = a * 0.2 + a * 0.3
    a.grad = 0.1
    BackpropStepper(L).run()
    assert a.grad == 0.6
    a.grad = 0.1
    L.backward()
    assert a.grad == 0.6
