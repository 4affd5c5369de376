"""Tensor graphs: matrix cells, matrix-form backward rules on edges, model names, the stepper.

The drawings are checked in the SVG that the real Graphviz ``dot`` writes: entries of a
matrix share x positions by column and y positions by row. The rules' numbers are checked by
evaluating the terms the stepper prints and comparing them with backward()'s gradients.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from conftest import MATRIX_TARGET, matrix_graph, needs_dot

from micrograd_plus import Tensor, losses, nn
from micrograd_plus.debug import BackpropStepper, format_chain_rule
from micrograd_plus.core.tensor import concatenate, maximum, stack, where
from micrograd_plus.viz import HIGHLIGHT, draw_graph, grad_color, node_name, run_dot
from micrograd_plus.viz.rules import GRAD, RULE_OPS, matrix_rule, reduced_axes, sum_name

SVG = "{http://www.w3.org/2000/svg}"
INTERNAL = ("vjp", "Backward", "_fn", "Function", "through")


def zwxb():
    """Z = W @ X, A = Z + b (b broadcast over Z's columns), L = Σ tanh(A)²."""
    W = Tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True, label="W")
    X = Tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]], requires_grad=True, label="X")
    b = Tensor([[0.5], [-0.5]], requires_grad=True, label="b")
    Z = W @ X
    Z.label = "Z"
    A = Z + b
    A.label = "A"
    L = (A * 0.1).tanh().sum()
    L.label = "L"
    return W, X, b, Z, A, L


def svg_of(graph) -> ET.Element:
    return ET.fromstring(run_dot(graph, "svg"))


def node_texts(root: ET.Element, name: str) -> list[tuple[float, float, str]]:
    """(x, y, text) of every text in the SVG group of a node."""
    for g in root.iter(f"{SVG}g"):
        if g.get("id") == name:
            return [(float(t.get("x")), float(t.get("y")), (t.text or "").strip())
                    for t in g.iter(f"{SVG}text")]
    raise AssertionError(f"no node {name}")


def edge_texts(root: ET.Element) -> list[str]:
    return [" ".join((t.text or "").split()) for g in root.iter(f"{SVG}g")
            if g.get("class") == "edge" for t in g.iter(f"{SVG}text")]


def all_text(root: ET.Element) -> str:
    return " ".join((t.text or "") for t in root.iter(f"{SVG}text"))


# -- nodes -----------------------------------------------------------------------------------

@needs_dot
def test_small_tensor_is_a_matrix_in_rows_and_columns():
    W, X, b, Z, A, L = zwxb()
    L.backward()
    root = svg_of(draw_graph(L))
    texts = node_texts(root, node_name(W))
    words = [t for _, _, t in texts]
    assert "W" in words and any(re.fullmatch(r"2×3\s+float64", t) for t in words)
    # numbers as every view writes them: whole ones in full, others at 4 decimals (−, e−5)
    numbers = [(x, y, t) for x, y, t in texts if re.fullmatch(r"−?\d+(\.\d+)?(e−?\d+)?", t)]
    assert len(numbers) == 12  # 6 data + 6 grad entries, one text per entry
    assert [t for _, _, t in numbers[:6]] == ["1", "2", "3", "4", "5", "6"]
    (x1, y1, _), (x2, y2, _), (x3, y3, _), (x4, y4, _), (x5, y5, _), (x6, y6, _) = numbers[:6]
    assert y1 == y2 == y3 and y4 == y5 == y6 and y4 > y1  # two rows
    assert x1 < x2 < x3 and x4 < x5 < x6  # three columns, left to right
    assert abs(x1 - x4) < 20 and abs(x2 - x5) < 20 and abs(x3 - x6) < 20  # columns line up
    # the grad matrix holds W.grad, row by row
    shown = [float(t.replace("−", "-")) for _, _, t in numbers[6:]]
    np.testing.assert_allclose(shown, W.grad.ravel(), rtol=1e-3)


@needs_dot
def test_large_tensor_shows_min_max_mean_norm_and_max_elements():
    big = Tensor(np.arange(20.0).reshape(4, 5) - 5.0, requires_grad=True, label="big")
    s = (big * 2.0).sum()
    s.backward()
    text = " ".join(t for _, _, t in node_texts(svg_of(draw_graph(s)), node_name(big)))
    assert "4×5" in text and "float64" in text
    assert "min −5 max 14" in " ".join(text.split())
    assert f"‖·‖ {np.linalg.norm(big.data):.4f}" in text and "mean 4.5" in text
    assert "‖·‖ 8.9443" in text  # ‖grad‖ = ‖2·ones(4, 5)‖ = √80
    # max_elements decides: 20 entries shown with max_elements=20
    text = " ".join(t for _, _, t in node_texts(svg_of(draw_graph(s, max_elements=20)),
                                                  node_name(big)))
    assert "min" not in text and "14" in text.split()
    with pytest.raises(ValueError, match="max_elements must be an int >= 0"):
        draw_graph(s, max_elements=-1)


def test_dtype_scalar_and_options():
    x = Tensor([1.0, 2.0], requires_grad=True, dtype=np.float32, label="x")
    out = (x * x).sum()
    out.backward()
    src = draw_graph(out).source
    assert "2  float32" in src and "scalar  float32" in src
    assert ">2<" in draw_graph(out, precision=2).source and ">0.33<" in draw_graph(
        (x / 3.0).sum(), precision=2).source
    no_data = draw_graph(out, show_data=False).source
    assert ">data<" not in no_data and ">grad<" in no_data
    no_grad = draw_graph(out, show_grad=False).source
    assert ">grad<" not in no_grad and ">data<" in no_grad
    assert "rankdir=TB" in draw_graph(out, rankdir="TB").source


@needs_dot
def test_color_by_grad_uses_the_grad_norm_and_title_and_path():
    W, X, b, Z, A, L = zwxb()
    L.backward()
    graph = draw_graph(L, color_by_grad=True, highlight_path_to=W, title="Z = W @ X")
    root = svg_of(graph)
    fills = {p.get("fill") for g in root.iter(f"{SVG}g") if g.get("id") == node_name(W)
             for p in g.iter() if p.get("fill") not in (None, "none", "black")}
    assert grad_color(float(np.linalg.norm(W.grad))) in fills
    text = all_text(root)
    assert "‖grad‖ ≥ 1" in text and "Z = W @ X" in text  # legend by norm; the title
    highlighted = [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"
                   and any(p.get("stroke") == HIGHLIGHT for p in g.iter())]
    assert len(highlighted) == 10  # W → @ → Z → + → A → × → · → tanh → · → Σ → L: 5 ops


# -- edges: the backward rules in matrix form -----------------------------------------------

@needs_dot
def test_edge_labels_are_matrix_rules():
    W, X, b, Z, A, L = zwxb()
    L.backward()
    labels = edge_texts(svg_of(draw_graph(L, edge_labels=True)))
    assert "∂L/∂W = ∂L/∂Z · Xᵀ" in labels
    assert "∂L/∂X = Wᵀ · ∂L/∂Z" in labels
    assert "∂L/∂Z = ∂L/∂A" in labels
    assert "∂L/∂b = Σ_cols ∂L/∂A" in labels  # b (2×1) was broadcast over A's 2 columns
    assert not any(word in " ".join(labels) for word in INTERNAL)


def test_the_transpose_of_a_transposed_name_is_the_name():
    x = Tensor(np.ones((1, 3)), requires_grad=True, label="x")
    s = Tensor(np.ones((1, 3)), requires_grad=True, label="s")
    W = Tensor(np.ones((2, 3)), requires_grad=True, label="W")
    xt = x.T
    xt.label = "xᵀ"
    st = (s + x).T
    st.label = "(s + x)ᵀ"

    def names(node):
        return node.label

    Y = W @ xt
    Y.label = "Y"
    assert matrix_rule(Y, 0, names).text == "∂L/∂Y · x"  # not xᵀᵀ
    Z = W @ st
    Z.label = "Z"
    assert matrix_rule(Z, 0, names).text == "∂L/∂Z · (s + x)"
    assert matrix_rule(Z, 1, names).text == "Wᵀ · ∂L/∂Z"


def test_broadcast_rows_and_reduced_axes():
    X = Tensor(np.ones((3, 2)), label="X")
    W = Tensor(np.ones((2, 2)), requires_grad=True, label="W")
    b = Tensor([0.5, -0.5], requires_grad=True, label="b")
    Y = X @ W + b
    Y.label = "Y"
    src = draw_graph(Y.sum(), edge_labels=True).source
    assert "∂L/∂b = Σ_rows ∂L/∂Y" in src  # the torch layout: one example per row
    assert reduced_axes((2,), (3, 2)) == (0,) and reduced_axes((3, 1), (3, 2)) == (1,)
    assert reduced_axes((1, 1), (3, 2)) == (0, 1) and reduced_axes((), (4,)) == (0,)
    assert sum_name((0,), 2) == "Σ_rows" and sum_name((0, 1), 2) == "Σ"
    assert sum_name((1,), 3) == "Σ_rows" and sum_name((0,), 3) == "Σ_axis0"


def _ops_graph():
    """One small graph using every op that has a matrix rule (and a few names)."""
    rng = np.random.default_rng(0)
    a = Tensor(rng.uniform(0.5, 1.5, (2, 3)), requires_grad=True, label="a")
    c = Tensor(rng.uniform(0.5, 1.5, (2, 3)), requires_grad=True, label="c")
    r = Tensor(rng.uniform(0.5, 1.5, (3,)), requires_grad=True, label="r")
    m = Tensor(rng.uniform(-1, 1, (3, 2)), requires_grad=True, label="m")
    lin_w = Tensor(rng.uniform(-1, 1, (4, 3)), requires_grad=True, label="Wl")
    lin_b = Tensor(rng.uniform(-1, 1, (4,)), requires_grad=True, label="bl")
    from micrograd_plus.core.tensor import broadcast_to, linear, sum_to_shape

    parts = [
        a + r, a - c, c - r, a * c, a * r, a / c, c / r, a ** c, a ** 2, a ** 3, -a,
        a.exp(), a.log(), a.sqrt(), a.softplus(), a.sin(), a.cos(),
        (a - 1).tanh(), (a - 1).sigmoid(), (a - 1).relu(),
        (a - 1).leaky_relu(0.1), (a - 1).abs(), a.clip(0.7, 1.2), maximum(a, c),
        (a @ m), a.sum(axis=0), a.mean(axis=1), a.max(axis=1), a.min(axis=0),
        a.reshape(3, 2), a.T, a[0], concatenate([a, c]), stack([a, c]),
        where(a.data > 1.0, a, c), a.softmax(), a.log_softmax(), linear(a, lin_w, lin_b),
        broadcast_to(r, (2, 3)), sum_to_shape(a, (1, 3)),
        losses.huber(a, c.data, delta=0.5, reduction="none"),
    ]
    weights = np.random.default_rng(1)
    total = None
    for part in parts:
        term = (part * Tensor(weights.uniform(-1, 1, part.shape))).sum()
        total = term if total is None else total + term
    return total, parts


def _evaluate(terms, g):
    """The value of a rule's terms: the arithmetic the stepper's line shows."""
    items = [g if t is GRAD else t for t in terms]
    if isinstance(items[0], str) and items[0].startswith("Σ"):
        word = items[0].strip()
        inner = items[2:-1] if isinstance(items[1], str) and items[1] == "(" else items[1:]
        return word, _evaluate_plain(inner)
    return None, _evaluate_plain(items)


def _evaluate_plain(items):
    first = items[0] if isinstance(items[0], str) else None
    if first == "−":
        return -_evaluate_plain(items[1:])
    if first == "(" and items[2] == ")ᵀ · ":  # (G)ᵀ · x
        return np.asarray(items[1]).T @ items[3]
    if first == "(" and items[2] == ")ᵀ":
        return np.asarray(items[1]).T
    value = items[0]
    for op, operand in zip(items[1::2], items[2::2]):
        if op == " ⊙ ":
            value = value * operand
        elif op in (" ⊘ ", " / "):
            value = value / operand
        elif op == " · ":
            both = np.ndim(value) >= 1 and np.ndim(operand) >= 1
            value = value @ operand if both else value * operand
        else:
            raise AssertionError(f"unknown operator {op!r}")
    return value


def test_every_rule_reads_without_internal_names_and_its_numbers_are_the_gradient():
    total, parts = _ops_graph()
    seen = set()
    stepper = BackpropStepper(total)
    for step in stepper.steps:
        node = step.node
        for ps in step.parents:
            rule = matrix_rule(node, ps.position, lambda n: n.label or "t", "L")
            assert not any(word in rule.text for word in INTERNAL), (node._op, rule.text)
            line = format_chain_rule(step, ps)
            assert not any(word in line for word in INTERNAL), line
            seen.add("**k" if node._op.startswith("**") and node._op != "**" else node._op)
            if rule.terms is None:
                continue
            word, value = _evaluate(rule.terms, step.grad)
            if word is not None:  # Σ over the axes the input was broadcast along
                axes = reduced_axes(np.shape(ps.node.data), np.shape(node.data))
                value = np.sum(value, axis=axes).reshape(np.shape(ps.node.data))
            np.testing.assert_allclose(np.broadcast_to(value, ps.contribution.shape),
                                       ps.contribution, rtol=1e-9, atol=1e-12,
                                       err_msg=f"{node._op}: {rule.text}")
    assert set(RULE_OPS) - seen <= {"bce", "bce_with_logits", "cross_entropy", "scatter"}, \
        set(RULE_OPS) - seen


def test_every_tensor_op_of_the_op_table_has_a_matrix_rule():
    from micrograd_plus.core.ops import OPS

    tensor_ops = {name for name, op in OPS.items() if "tensor" in op.kinds}
    assert tensor_ops <= set(RULE_OPS), tensor_ops - set(RULE_OPS)


# -- the model's names and boxes -------------------------------------------------------------

@needs_dot
def test_model_names_boxes_and_collapse():
    model = nn.Sequential(nn.Linear(3, 4, seed=0), nn.Tanh(), nn.Linear(4, 4, seed=1),
                          nn.ReLU(), nn.Linear(4, 1, seed=2))
    loss = ((model(Tensor(np.ones((5, 3)), label="x")) - 1.0) ** 2).mean()
    loss.label = "loss"
    loss.backward()
    root = svg_of(draw_graph(loss, model=model, edge_labels=True))
    text = all_text(root)
    for name in ("0.weight", "0.bias", "2.weight", "4.bias"):
        assert name in text, name
    clusters = {(t.text or "") for g in root.iter(f"{SVG}g") if g.get("class") == "cluster"
                for t in g.iter(f"{SVG}text")}
    assert "0 (Linear) → 1 (Tanh)" in clusters and "2 (Linear) → 3 (ReLU)" in clusters
    assert "4 (Linear)" in clusters
    assert "∂loss/∂0.weight = (∂loss/∂linear1)ᵀ · x" in edge_texts(root)
    collapsed = all_text(svg_of(draw_graph(loss, model=model, collapse=True)))
    assert "0 (Linear) → 1 (Tanh)" in collapsed and "5 nodes" in collapsed  # W, b, x, linear, tanh
    assert "collapsed view: 16 values" in collapsed


# -- the stepper -----------------------------------------------------------------------------

def test_stepper_line_shows_the_rule_with_the_matrices():
    g = matrix_graph()
    W, L = g["W"], g["root"]
    stepper = BackpropStepper(L)
    step = stepper.steps[stepper.index_of("Z")]
    lines = [format_chain_rule(step, p) for p in step.parents]
    assert lines == [
        "∂L/∂W = ∂L/∂Z · Xᵀ = [[1, 2], [0, 1]] · [[1, 2], [0, 1]] = [[1, 4], [0, 1]]",
        "∂L/∂X = Wᵀ · ∂L/∂Z = [[1, 3], [2, 4]] · [[1, 2], [0, 1]] = [[1, 5], [2, 8]]",
    ]
    text = str(step)
    assert text.startswith("step 3: Z (@) = [[5, 2], [11, 4]];  ∂L/∂Z = [[1, 2], [0, 1]]")
    L.backward()
    np.testing.assert_array_equal(W.grad, [[1, 4], [0, 1]])


def test_stepper_writes_shapes_for_big_matrices():
    W = Tensor(np.ones((5, 4)), requires_grad=True, label="W")
    X = Tensor(np.ones((4, 4)), label="X")
    Z = W @ X
    Z.label = "Z"
    stepper = BackpropStepper(Z.sum())
    step = stepper.steps[stepper.index_of("Z")]
    assert format_chain_rule(step, step.parents[0]) == (
        "∂L/∂W = ∂L/∂Z · Xᵀ = (5×4) · (4×4) = (5×4)")
    assert "Z (@) = 5×4 array" in str(step)


def test_cli_explore_and_render_accept_a_tensor_root(tmp_path, capsys):
    from micrograd_plus import cli

    page = tmp_path / "matrix.html"
    assert cli.main(["explore", str(MATRIX_TARGET), "-o", str(page)]) == 0
    html = page.read_text(encoding="utf-8")
    assert "∂L/∂W = ∂L/∂Z · Xᵀ = [[1, 2], [0, 1]] · [[1, 2], [0, 1]] = [[1, 4], [0, 1]]" in html
    assert "vjp" not in html and not re.search(r"\wBackward", html)
    assert cli.main(["render", str(MATRIX_TARGET), "-o", str(tmp_path / "matrix.dot")]) == 0
    assert "2×2  float64" in (tmp_path / "matrix.dot").read_text(encoding="utf-8")
