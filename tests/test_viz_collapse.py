"""Collapsed drawings: long recurrent chains render in seconds, and the boxes' titles read.

An unrolled RNN reuses its weights at every step, so in the collapsed drawing the box of
the shared weights (and the box of all the steps' u·x_t) sent an arrow to every step:
dot took 4.6 s on 197 values and never finished on 400 or more, and ``collapse='auto'``
turned a 1601-value RNN into that case. As in the full drawing (viz.layout), long arrows
now start from dashed copies of their box. Rendering uses the real ``dot`` with a generous
timeout, so a regression fails instead of hanging; no test asserts a wall time.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from conftest import needs_dot

from micrograd_plus import Tensor, Value, draw_graph, nn, render_graph
from micrograd_plus.core import autograd

SVG = "{http://www.w3.org/2000/svg}"


def value_rnn(steps: int) -> Value:
    """h_t = tanh(w·h_(t−1) + u·x_t + b), loss h_T²: w, u and b are read at every step."""
    rng = np.random.default_rng(0)
    w, u, b = Value(0.5, label="w"), Value(-0.3, label="u"), Value(0.1, label="b")
    h = Value(0.0, label="h0")
    for t in range(steps):
        x = Value(float(rng.uniform(-1, 1)), label=f"x{t + 1}")
        h = (w * h + u * x + b).tanh()
    loss = h * h
    loss.backward()
    return loss


def tensor_rnn(steps: int) -> Tensor:
    """The Tensor RNN cell h_t = tanh(W_h @ h_(t−1) + W_x @ x_t) unrolled, loss Σ h_T²."""
    rng = np.random.default_rng(0)
    W = Tensor(rng.normal(size=(4, 4)) * 0.5, requires_grad=True, label="W_h")
    U = Tensor(rng.normal(size=(4, 3)) * 0.5, requires_grad=True, label="W_x")
    h = Tensor(np.zeros((4, 1)), label="h0")
    for t in range(steps):
        h = (W @ h + U @ Tensor(rng.normal(size=(3, 1)), label=f"x{t + 1}")).tanh()
    loss = (h * h).sum()
    loss.backward()
    return loss


def shapes(svg: ET.Element) -> dict[str, list[str]]:
    """Graphviz name of each node → its texts, in order."""
    return {g.find(f"{SVG}title").text: [(t.text or "").strip() for t in g.iter(f"{SVG}text")]
            for g in svg.iter(f"{SVG}g") if g.get("class") == "node"}


def arrows(svg: ET.Element) -> list[tuple[str, str]]:
    """(tail, head) of each edge."""
    return [tuple(g.find(f"{SVG}title").text.split("->"))
            for g in svg.iter(f"{SVG}g") if g.get("class") == "edge"]


def is_dashed(svg: ET.Element, name: str) -> bool:
    g = next(g for g in svg.iter(f"{SVG}g") if g.get("class") == "node"
             and g.find(f"{SVG}title").text == name)
    return any(p.get("stroke-dasharray") for tag in ("path", "polygon")
               for p in g.iter(f"{SVG}{tag}"))


def caption(svg: ET.Element) -> str:
    return " ".join((t.text or "") for t in svg.iter(f"{SVG}text"))


def render(root, path, **kwargs) -> ET.Element:
    render_graph(root, path, timeout=60, **kwargs)  # fails, instead of hanging, past 60 s
    return ET.parse(path).getroot()


@needs_dot
def test_a_long_rnn_above_max_nodes_renders_collapsed_with_copies(tmp_path):
    steps = 266
    root = value_rnn(steps)
    assert len(autograd.topological_order(root)) >= 1600  # above max_nodes: auto collapses
    svg = render(root, tmp_path / "rnn.svg")
    text = caption(svg)
    assert "collapsed view: 1601 values" in text
    assert "long arrows are drawn from dashed copies of their box" in text
    nodes, edges = shapes(svg), arrows(svg)
    # every step shows its ops: a tanh and a w·h circle (h·h at the end, w·h0 with the
    # u·x_t: all the products of two inputs are one box)
    circles = [texts for texts in nodes.values() if texts in (["tanh"], ["×"])]
    assert circles.count(["tanh"]) == steps and circles.count(["×"]) == steps
    titles = {texts[0]: name for name, texts in nodes.items() if "_ref_" not in name}
    shared = titles["inputs b, w"]
    products = titles[f"{steps + 1} × ops"]
    assert nodes[products][:2] == [f"{steps + 1} × ops", f"{steps + 2} inputs"]  # u, h0, x_t
    # each copy repeats its box, dashed, and stands for the box's arrow into one step
    copies = {name: name.split("_ref_") for name in nodes if "_ref_" in name}
    assert len(copies) > steps  # both shared boxes, at (almost) every step
    for name, (box, step) in copies.items():
        assert box in (shared, products)
        assert nodes[name] == nodes[box] and is_dashed(svg, name)
        assert [tail for tail, head in edges if head.startswith(step)].count(name) == 1
    from_shared = [head for tail, head in edges if tail == shared or tail.startswith(shared + "_")]
    assert len(from_shared) == 2 * steps  # w·h and + b at every step: drawn or copied


@needs_dot
@pytest.mark.parametrize("steps", [40, 100, 400])
def test_unrolled_rnns_of_several_lengths_render(tmp_path, steps):
    svg = render(value_rnn(steps), tmp_path / "rnn.svg", collapse=True)
    assert len([t for t in shapes(svg).values() if t == ["tanh"]]) == steps


@needs_dot
def test_an_unrolled_tensor_rnn_cell_renders_collapsed(tmp_path):
    steps = 100
    svg = render(tensor_rnn(steps), tmp_path / "tensor_rnn.svg", collapse=True)
    nodes = shapes(svg)
    assert "long arrows are drawn from dashed copies of their box" in caption(svg)
    assert sum(t == ["tanh"] for t in nodes.values()) == steps
    boxes = [texts for name, texts in nodes.items() if "_ref_" not in name]
    assert [f"{steps + 1} @ ops", f"{steps + 2} inputs"] in [t[:2] for t in boxes]  # W_x, h0, x_t
    w_h = [name for name, texts in nodes.items() if texts and texts[0] == "W_h"]
    assert len(w_h) > steps / 2  # the weight itself and its dashed copies next to the steps
    assert all(is_dashed(svg, name) for name in w_h if "_ref_" in name)


def test_titles_say_how_many_ops_and_inputs():
    c = Value(1.0, label="start")
    for _ in range(60):
        c = c + 1.0
    src = draw_graph(c, collapse=True).source
    assert "60 + ops\\n61 inputs" in src  # dot's line break, inside one box
    xs = [Value(float(i), label=f"x_{i}") for i in range(6)]

    def shared(k):  # the first k inputs, each read by a × group and a tanh group
        return sum(x * x for x in xs[:k]) + sum(x.tanh() for x in xs[:k])

    assert "inputs x₀, x₁, x₂" in draw_graph(shared(3), collapse=True).source
    assert "6 inputs" in draw_graph(shared(6), collapse=True).source  # more than 4: counted
    src = draw_graph(shared(6), collapse=True).source
    assert "6 × ops" in src and "6 tanh ops" in src
    assert "leaves" not in src and not re.search(r" ×\d", src)


def test_small_collapsed_drawings_keep_their_look():
    """No copies, no layout limits, and the counts stay on the arrows (dot's label)."""
    model = nn.MLP(2, [4, 1], seed=1)
    loss = sum((model([float(i), 1.0]) - 1.0) ** 2 for i in range(5))
    loss.backward()
    src = draw_graph(loss, model=model, collapse=True).source
    assert "_ref_" not in src and "nslimit" not in src and "xlabel" not in src
    assert re.search(r"-> g\d+ \[label=\d+\]", src)


def test_large_collapsed_drawings_put_counts_beside_the_arrows():
    """A label gives an arrow two ranks in dot; an xlabel is placed after the layout."""
    src = draw_graph(value_rnn(100), collapse=True).source
    assert "nslimit" in src and re.search(r"xlabel=2", src) and "[label=2" not in src


@needs_dot
@pytest.mark.parametrize("kind", ["residual", "dense", "reused_inputs", "random_skips"])
def test_graphs_with_long_skips_render_collapsed(tmp_path, kind):
    """viz.layout's family of long-arrow graphs, collapsed (on main: 3 of 4 timed out at
    about 1000 values). random_skips' boxes form cycles: the rank estimate breaks them."""
    from test_viz_layout import sized

    svg = render(sized(kind, 1000), tmp_path / f"{kind}.svg", collapse=True)
    assert "collapsed view" in caption(svg)


def test_ranks_of_arrows_with_a_cycle():
    """b → c → b is a cycle: it is broken at b (seen first), and d still comes after c."""
    from micrograd_plus.viz.layout import arrow_ranks

    rank = arrow_ranks([("a", "b"), ("b", "c"), ("c", "b"), ("c", "d"), ("s", "d")])
    assert rank["a"] < rank["b"] < rank["c"] < rank["d"]
    assert rank["s"] == rank["d"] - 1  # a source sits just before its first consumer
