"""viz: draw_graph's Digraph source and the SVG that Graphviz's real `dot` renders from it."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import needs_dot, value_dags
from micrograd_plus import Value, dot, nn, vsum
from micrograd_plus.core import autograd
from micrograd_plus.viz import (GRAD_COLORS, HIGHLIGHT, PROCESSED, ZERO_GRAD_COLOR,
                                GraphTooLargeError, GraphvizNotFoundError, draw_dot, draw_graph,
                                format_number, group_label, node_name, op_node_name,
                                pretty_label, render_graph, run_dot)

SVG = "{http://www.w3.org/2000/svg}"


def lunch_step1():
    """E = ½(t − y)², y = w·x at the first lunch sample; grads −3500, −1400, −2800 by hand."""
    w = [Value(50.0, label=n) for n in ("w_meat", "w_veg", "w_staple")]
    x = [Value(v, label=n, requires_grad=False)
         for v, n in zip((5.0, 2.0, 4.0), ("x_meat", "x_veg", "x_staple"))]
    y = dot(w, x)
    y.label = "y"
    t = Value(1250.0, label="t", requires_grad=False)
    err = t - y
    err.label = "t − y"
    sq = err**2
    half = Value(0.5, label="½")
    E = half * sq
    E.label = "E"
    E.backward()
    return E, y, w, x


def lunch_nodes():
    E, y, w, x = lunch_step1()
    half, sq = E._prev
    err = sq._prev[0]
    t = err._prev[0]
    return dict(E=E, y=y, w=w, x=x, half=half, sq=sq, err=err, t=t)


def svg_of(graph) -> ET.Element:
    return ET.fromstring(run_dot(graph, "svg"))


def svg_nodes(root: ET.Element) -> dict[str, ET.Element]:
    return {g.find(f"{SVG}title").text: g for g in root.iter(f"{SVG}g")
            if g.get("class") == "node"}


def svg_edges(root: ET.Element) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "edge"]


def text_of(g: ET.Element) -> str:
    return " ".join(t.text or "" for t in g.iter(f"{SVG}text"))


def fills_of(g: ET.Element) -> set[str]:
    return {p.get("fill") for p in g.iter() if p.get("fill") not in (None, "none")}


def numbers_in(text: str) -> list[float]:
    """The numbers shown in a node (``245000``, ``−3500``, ``0.7071``, ``1.9e−12``)."""
    text = text.replace("−", "-")
    return [float(m) for m in re.findall(r"(?<![\w.])-?\d+(?:\.\d+)?(?:e-?\d+)?(?![\w.])",
                                         text)]


# -- text -------------------------------------------------------------------------------------

@pytest.mark.parametrize("x, text", [
    # whole numbers and short values in full, as a teacher writes them
    (4.0, "4"), (-3500.0, "−3500"), (245000.0, "245000"), (490000.0, "490000"),
    (1250.0, "1250"), (0.0, "0"), (-0.0, "0"), (0.5, "0.5"), (0.001, "0.001"), (1e-4, "0.0001"),
    (12345.6, "12345.6"), (1234567.0, "1234567"), (-0.25, "−0.25"), (0.1 + 0.2, "0.3"),
    (0.00012, "0.00012"), (-0.000125, "−0.000125"),  # short: in full, not 1.2e−4
    # longer values rounded to `precision` decimals (zeros kept: they say it is rounded)
    (0.7071067811865476, "0.7071"), (1 / 70, "0.0143"), (2.00000001, "2.0000"),
    (-123.456789, "−123.4568"),
    # tiny or huge: scientific, with a unicode minus and no "+" or leading zeros
    (1.9e-12, "1.9e−12"), (-1e-9, "−1e−9"), (0.000123456789, "1.235e−4"),
    (12345678.9, "1.235e7"), (3e10, "3e10"),
    (float("nan"), "nan"), (float("inf"), "∞"), (float("-inf"), "−∞"),
])
def test_format_number(x, text):
    assert format_number(x) == text


def test_format_number_precision():
    assert format_number(3.14159, 2) == "3.14"
    assert format_number(0.05, 2) == "0.05"  # short: in full
    assert format_number(0.051234, 2) == "5.1e−2"  # below 10^-(precision-1): scientific
    assert format_number(-2800.0, 1) == "−2800"
    assert format_number(2 / 3, 0) == "7e−1"  # precision 0 still shows a digit


def test_one_formatter_for_graph_stepper_explain_and_tables():
    """The graph's cells, the stepper's and explain's numbers and the examples' tables agree."""
    from micrograd_plus.debug import BackpropStepper, explain, fmt
    from micrograd_plus.examples import output

    E, y, w, x = lunch_step1()
    for value in (E.data, y.data, w[0].grad, 1 / 70, 1.9e-12, -0.5):
        assert fmt(value) == format_number(value) == output.num(value)
    src = draw_graph(E).source
    assert "245000" in src and "−3500" in src and "2.45e" not in src and "-3500" not in src
    s = BackpropStepper(E)
    s.step()
    assert "245000" in repr(s.records()[0]) and "e+05" not in repr(s.records()[0])
    assert "−3500" in str(explain(w[0], E))
    assert fmt(np.array([[3.0, -0.5], [1 / 3, 2.0]])) == "[[3, −0.5], [0.3333, 2]]"
    assert fmt(np.array([1.0, 2.0]), 2) == "[1, 2]"


@pytest.mark.parametrize("label, shown", [
    ("w^(1)_12", "w⁽¹⁾₁₂"), ("w^(1)_1,12", "w⁽¹⁾₁,₁₂"), ("b^(2)_3", "b⁽²⁾₃"), ("x_1", "x₁"),
    ("w_meat", "w_meat"), ("(t − y)^2", "(t − y)²"), ("w1", "w1"),
])
def test_pretty_label(label, shown):
    assert pretty_label(label) == shown


@pytest.mark.parametrize("label, symbol", [
    ("t − y", "(t − y)"), ("a+b", "(a+b)"), ("2·w", "(2·w)"), ("(a) + (b)", "((a) + (b))"),
    ("(t − y)²", "(t − y)²"), ("w_meat", "w_meat"), ("w^(1)_12", "w^(1)_12"), ("w⁽¹⁾₁₂", "w⁽¹⁾₁₂"),
    ("½", "½"), ("E", "E"),
])
def test_group_label_brackets_compound_labels_only(label, symbol):
    """Inside ∂·/∂· a label with an operator outside its own brackets gets brackets."""
    assert group_label(label) == symbol


# -- the Digraph source -----------------------------------------------------------------------

def test_names_are_the_contract_for_stepper_and_explorer():
    v = Value(1.0)
    assert node_name(v) == f"n{id(v)}" and op_node_name(v) == f"n{id(v)}_op"
    assert draw_dot(v).source == draw_graph(v).source  # micrograd's name, same drawing


def test_source_has_one_record_per_value_and_one_op_node_per_result():
    g = lunch_nodes()
    src = draw_graph(g["E"]).source
    values = g["w"] + g["x"] + [g["t"], g["y"], g["err"], g["sq"], g["half"], g["E"]]
    assert src.count("[label=<<TABLE") == len(values) == 12
    for v in values:
        assert re.search(rf"^\s*{node_name(v)} \[label=<<TABLE", src, re.M), v
    results = [g["y"], g["err"], g["sq"], g["E"]]
    assert len(re.findall(r"^\s*n\d+_op \[label=", src, re.M)) == len(results)
    for v in results:
        assert re.search(rf"^\s*{op_node_name(v)} \[label=\"", src, re.M)

    def record(v):
        return re.search(rf"^\s*{node_name(v)} \[label=(.*)$", src, re.M).group(1)

    for v, data, grad in ((g["w"][0], "50", "−3500"), (g["w"][1], "50",
                          "−1400"), (g["w"][2], "50", "−2800"),
                          (g["y"], "550", "−700"), (g["err"], "700", "700"),
                          (g["E"], "245000", "1")):
        assert f">{v.label}<" in record(v)
        assert f"data</FONT> {data}<" in record(v) and f"grad</FONT> {grad}<" in record(v)


def test_edges_run_in_data_flow_order():
    E, y, w, x = lunch_step1()
    src = draw_graph(E).source
    edges = re.findall(r"^\s*(n\d+(?:_op)?) -> (n\d+(?:_op)?)", src, re.M)
    order = {node_name(v): i for i, v in enumerate(autograd.topological_order(E))}
    expected = []
    for v in autograd.topological_order(E):
        for p in v._prev:
            expected.append((node_name(p), op_node_name(v)))
        if v._prev:
            expected.append((op_node_name(v), node_name(v)))
    assert edges == expected
    # every input edge leaves a node that comes earlier in the forward pass
    for a, b in edges:
        if b.endswith("_op") and a in order:
            assert order[a] < order[b[:-3]]
    assert len(edges) == sum(len(v._prev) + 1 for v in autograd.topological_order(E) if v._prev)


def test_show_data_show_grad_and_before_backward_view():
    E, *_ = lunch_step1()
    src = draw_graph(E, show_grad=False).source
    assert "grad</FONT>" not in src and "data</FONT> 550" in src
    src = draw_graph(E, show_data=False).source
    assert "data</FONT>" not in src and "grad</FONT> −700" in src
    assert "grad</FONT>" not in draw_graph(E, show_data=False, show_grad=False).source


def test_constants_show_no_gradient():
    E, y, w, x = lunch_step1()
    src = draw_graph(E).source
    row = re.search(rf"{node_name(x[0])} \[label=(.*)$", src, re.M).group(1)
    assert "grad</FONT> —" in row


def test_edge_labels_are_the_local_derivatives():
    E, y, w, x = lunch_step1()
    src = draw_graph(E, edge_labels=True).source
    # ∂y/∂w_i = x_i (from the dot node's local_grads), ∂(t − y)/∂y = −1, ∂((t−y)²)/∂(t−y) = 1400
    for name, value in (("w_meat", "5"), ("w_veg", "2"), ("w_staple", "4")):
        assert f'label="∂y/∂{name} = {value}"' in src
    assert 'label="∂(t − y)/∂y = −1"' in src
    # into the unlabelled (t − y)² node: the number only
    assert re.search(r'label="?1400"? ', src)
    assert "∂y/∂x_meat" not in src  # x is data: no gradient flows there, no label
    assert "∂y/∂w_meat" not in draw_graph(E).source


def test_color_by_grad_bins_and_legend():
    a = Value(1.0, label="big")
    b = Value(1.0, label="mid")
    c = Value(1.0, label="tiny")
    d = Value(1.0, label="unused")
    out = a * 3.0 + b * 0.05 + c * 1e-12 + d * 0.0
    out.backward()
    src = draw_graph(out, color_by_grad=True).source

    def fill(label):
        return re.search(rf'BGCOLOR="(#\w+)"><TR><TD><FONT COLOR="[#\w]+">{label}<', src).group(1)

    assert fill("big") == GRAD_COLORS[0][1]
    assert fill("mid") == GRAD_COLORS[1][1]
    assert fill("tiny") == GRAD_COLORS[4][1]  # vanishing: the palest tint
    assert fill("unused") == ZERO_GRAD_COLOR[0]
    assert re.search(r'FONT COLOR="#9a9a9a">tiny', src)  # its text is pale too
    assert "legend" in src and "vanishing" in src
    assert "legend" not in draw_graph(out).source


def test_highlight_processed_and_path():
    g = lunch_nodes()
    E, y, w = g["E"], g["y"], g["w"]
    src = draw_graph(E, highlight=[y], processed=[E]).source
    assert re.search(rf'{node_name(y)} \[label=<<TABLE BORDER="3"[^>]*COLOR="{HIGHLIGHT}"', src)
    assert re.search(rf'{node_name(E)} \[label=<<TABLE BORDER="2"[^>]*COLOR="{PROCESSED}"', src)
    assert re.search(rf'{node_name(w[1])} \[label=<<TABLE BORDER="0"', src)
    src = draw_graph(E, highlight_path_to=w[0]).source
    red = re.findall(rf"^\s*(n\d+(?:_op)?) -> (n\d+(?:_op)?) \[[^\]]*color=\"{HIGHLIGHT}\"",
                     src, re.M)
    chain = [w[0], y, g["err"], g["sq"], E]  # w_meat → y → t − y → (t − y)² → E
    expected = []
    for a, b in zip(chain, chain[1:]):
        expected += [(node_name(a), op_node_name(b)), (op_node_name(b), node_name(b))]
    assert red == expected


def test_clusters_from_an_nn_model_and_from_textbook_labels():
    model = nn.MLP(3, [2, 1], activation="tanh", seed=0)
    xs = [Value(v, label=f"x_{i}", requires_grad=False) for i, v in enumerate((1.0, 2.0, -1.0))]
    out = model(xs)
    out.backward()
    for src in (draw_graph(out, model=model).source, draw_graph(out).source):
        assert "subgraph cluster_layer_1 {" in src and "subgraph cluster_layer_2 {" in src
        assert 'label="layer 2 (hidden)"' in src and 'label="layer 3 (output)"' in src
        for k, layer in enumerate(model.layers, 1):
            for i, neuron in enumerate(layer.neurons, 1):
                body = re.search(rf"subgraph cluster_layer_{k}_neuron_{i} \{{(.*?)\n\t+\}}",
                                 src, re.S).group(1)
                for p in neuron.parameters():
                    assert node_name(p) in body
                ops = len(re.findall(r"^\s*n\d+_op \[label=", body, re.M))
                assert ops == (2 if k == 1 else 1)  # dot with bias, tanh; the output is linear
        assert not re.search(rf"cluster.*\{{[^}}]*{node_name(xs[0])} \[", src)
    assert "cluster" not in draw_graph(out, clusters=False).source


def test_tensor_graph_shows_shapes_and_summaries():
    from micrograd_plus import Tensor

    x = Tensor(np.ones((2, 2)), requires_grad=True, label="x")
    big = Tensor(np.arange(20.0).reshape(5, 4), requires_grad=True, label="W")
    out = ((x + 2) * (x + 2) * 2).mean() + (big * 1.0).sum()
    out.backward()
    src = draw_graph(out).source
    assert ">x<BR/>" in src and ">2×2  float64<" in src
    x_line = next(line for line in src.splitlines() if line.strip().startswith(node_name(x)))
    grad_cell = x_line.split(">grad<")[1]  # x.grad, the full 2×2 matrix
    assert grad_cell.count('<TD ALIGN="RIGHT"><FONT COLOR="black">3</FONT></TD>') == 4
    assert ">W<BR/>" in src and ">5×4  float64<" in src  # 20 > 16 entries: statistics
    assert "min 0   max 19<BR/>mean 9.5   ‖·‖ 49.6991" in src
    assert "grad</FONT><BR/><FONT COLOR=\"black\">—</FONT>" in src  # intermediates keep none


def test_collapse_large_graphs_or_refuse():
    c = Value(1.0, label="start")
    for _ in range(60):
        c = c + 1.0
    src = draw_graph(c, max_nodes=50).source
    assert "collapsed view: 121 values" in src  # start, 60 constants, 60 sums
    assert src.count("[label=") < 10 and "60 + ops" in src
    with pytest.raises(GraphTooLargeError, match="more than max_nodes=50"):
        draw_graph(c, max_nodes=50, collapse=False)
    model = nn.MLP(2, [4, 1], seed=1)
    loss = sum((model([float(i), 1.0]) - 1.0) ** 2 for i in range(5))
    loss.backward()
    src = draw_graph(loss, model=model, collapse=True, color_by_grad=True).source
    assert src.count("layer 2 (hidden) · neuron") == 4 and "layer 3 (output) · neuron 1" in src
    # still too large after collapsing: a clear refusal (before any layout is tried)
    chain = Value(1.0)
    for i in range(300):
        chain = chain.tanh() if i % 2 else chain * 1.01
    with pytest.raises(GraphTooLargeError, match="even collapsed"):
        draw_graph(chain, max_nodes=100)


def test_render_dot_without_the_program(tmp_path, monkeypatch):
    E, *_ = lunch_step1()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    path = render_graph(E, tmp_path / "lunch.dot")
    assert path.read_text(encoding="utf-8") == draw_graph(E).source
    for ext in ("svg", "png", "pdf"):
        with pytest.raises(GraphvizNotFoundError) as err:
            render_graph(E, tmp_path / f"lunch.{ext}")
        assert "apt-get install graphviz" in str(err.value)
        assert "https://graphviz.org/download/" in str(err.value)
        assert not (tmp_path / f"lunch.{ext}").exists()


def test_render_rejects_unknown_extensions(tmp_path):
    with pytest.raises(ValueError, match=r"\.svg"):
        render_graph(Value(1.0), tmp_path / "graph.jpeg2")


# -- real SVG from `dot` ----------------------------------------------------------------------

@needs_dot
def test_svg_shows_every_value_with_label_data_and_grad():
    E, y, w, x = lunch_step1()
    root = svg_of(draw_graph(E, color_by_grad=True))
    nodes = svg_nodes(root)
    order = autograd.topological_order(E)
    for v in order + x:
        g = nodes[node_name(v)]
        assert g.get("id") == node_name(v)
        text = text_of(g)
        if v.label:
            assert v.label in text
        assert "data" in text and "grad" in text
    grads = {v.label: numbers_in(text_of(nodes[node_name(v)]))[-1] for v in w}
    assert grads == {"w_meat": -3500.0, "w_veg": -1400.0, "w_staple": -2800.0}
    assert numbers_in(text_of(nodes[node_name(y)])) == [550.0, -700.0]
    assert numbers_in(text_of(nodes[node_name(E)])) == [245000.0, 1.0]
    assert GRAD_COLORS[0][1] in fills_of(nodes[node_name(w[0])])
    ops = [v for v in order if v._prev]
    assert {op_node_name(v) for v in ops} <= set(nodes)
    assert [text_of(nodes[op_node_name(v)]) for v in ops] == ["·", "−", "^2", "×"]
    edges = svg_edges(root)
    assert len(edges) == sum(len(v._prev) + 1 for v in ops)
    titles = [e.find(f"{SVG}title").text for e in edges]
    assert f"{node_name(w[0])}->{op_node_name(y)}" in titles
    assert f"{op_node_name(E)}->{node_name(E)}" in titles
    assert "legend" in nodes


@needs_dot
def test_svg_edge_labels_and_highlight_colours():
    E, y, w, x = lunch_step1()
    root = svg_of(draw_graph(E, edge_labels=True, highlight_path_to=w[0]))
    texts = [text_of(e) for e in svg_edges(root)]
    assert "∂y/∂w_meat = 5" in texts and "∂y/∂w_veg = 2" in texts
    strokes = {e.find(f"{SVG}title").text: {p.get("stroke") for p in e.iter(f"{SVG}path")}
               for e in svg_edges(root)}
    assert strokes[f"{node_name(w[0])}->{op_node_name(y)}"] == {HIGHLIGHT}
    assert strokes[f"{node_name(w[1])}->{op_node_name(y)}"] != {HIGHLIGHT}


@needs_dot
def test_a_thousand_node_graph_renders_every_value(tmp_path):
    """A graph of 1000+ values is drawn whole (its time is bench_render.py's job)."""
    import random

    rng = random.Random(0)
    nodes = [Value(rng.uniform(-1, 1), label=f"x{i}") for i in range(40)]
    while len(autograd.topological_order(nodes[-1])) < 1000 or len(nodes) < 500:
        a, b = rng.sample(nodes[-40:], 2)
        nodes.append((a * b).tanh() if rng.random() < 0.3 else a + b)
    root = nodes[-1]
    root.backward()
    n = len(autograd.topological_order(root))
    assert n >= 1000
    path = render_graph(root, tmp_path / "big.svg", color_by_grad=True)
    svg = ET.parse(path).getroot()
    assert len(svg_nodes(svg)) >= n + 1  # every value (and its op node) is drawn


@needs_dot
def test_dot_timeout_is_a_clear_error():
    c = Value(1.0)
    for _ in range(400):
        c = c * 1.01
    with pytest.raises(TimeoutError, match="did not finish"):
        run_dot(draw_graph(c), "svg", timeout=0.001)


@needs_dot
def test_value_displays_inline_in_jupyter():
    E, *_ = lunch_step1()
    bundle = E._repr_mimebundle_()
    assert "−3500" in bundle["image/svg+xml"].replace("&#45;", "-")


@needs_dot
def test_formats_from_the_extension(tmp_path):
    E, *_ = lunch_step1()
    assert render_graph(E, tmp_path / "g.svg").read_text().lstrip().startswith("<?xml")
    assert render_graph(E, tmp_path / "g.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert render_graph(E, tmp_path / "g.pdf").read_bytes()[:5] == b"%PDF-"
    assert render_graph(E, tmp_path / "g.dot").read_text().startswith("digraph")


def test_several_roots_and_a_lone_neuron():
    neuron = nn.Neuron(2, activation="relu", seed=3)
    a, b = neuron([1.0, 2.0]), neuron([-1.0, 0.5])
    src = draw_graph([a, b], model=neuron).source
    for v in (a, b, *neuron.parameters()):
        assert f"{node_name(v)} [label=" in src
    body = re.search(r"subgraph cluster_layer_1_neuron_1 \{(.*?)\n\t+\}", src, re.S).group(1)
    assert all(node_name(p) in body for p in neuron.parameters())
    assert node_name(a) in body and node_name(b) in body  # both uses of the neuron


@pytest.mark.parametrize("bad", [-1, 2.5, True])
def test_bad_options_are_clear_errors(bad):
    with pytest.raises(ValueError, match="precision"):
        draw_graph(Value(1.0), precision=bad)
    with pytest.raises(ValueError, match="record"):
        draw_graph(Value(1.0), record="column")


@pytest.mark.parametrize("option, bad", [
    ("rankdir", "XY"), ("rankdir", "lr"), ("fontsize", "big"), ("fontsize", 0),
    ("fontsize", True), ("collapse", "yes"), ("collapse", 1),
])
def test_options_graphviz_would_ignore_are_clear_errors(option, bad):
    """An unknown rankdir is drawn top to bottom by Graphviz without a word, collapse='yes'
    acted as 'auto', and fontsize='big' failed on a subtraction: each is named now."""
    with pytest.raises(ValueError, match=rf"draw_graph: {option} must be .*got {bad!r}"):
        draw_graph(Value(1.0), **{option: bad})


@pytest.mark.parametrize("rankdir", ["LR", "TB", "RL", "BT"])
def test_every_rankdir_graphviz_knows_is_drawn(rankdir):
    assert f"rankdir={rankdir}" in draw_graph(Value(1.0), rankdir=rankdir).source


@pytest.mark.parametrize("model", [3, "mlp", [nn.Neuron(2)]])
def test_a_model_that_is_not_one_is_a_clear_error(model):
    """Was an AttributeError: 'int' object has no attribute 'named_parameters'."""
    with pytest.raises(TypeError, match=rf"model must be an nn model .*got {type(model).__name__}"):
        draw_graph(Value(1.0) * 2, model=model)


def test_tensor_model_boxes_per_module():
    from micrograd_plus import Tensor

    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    loss = model(Tensor(np.ones((5, 3)), label="x")).sum()
    loss.backward()
    src = draw_graph(loss, model=model).source
    # each Linear boxed with the activation after it; parameters named as named_parameters()
    assert 'label="0 (Linear) → 1 (Tanh)"' in src and 'label="2 (Linear)"' in src
    assert ">0.weight<" in src and ">2.bias<" in src
    for name, p in model.named_parameters():
        box = "cluster_layer_0_neuron_1" if name.startswith("0.") else "cluster_layer_0_neuron_2"
        body = re.search(rf"subgraph {box} \{{(.*?)\n\t+\}}", src, re.S).group(1)
        assert node_name(p) in body, name


def test_not_a_graph_node_is_a_clear_error():
    with pytest.raises(TypeError, match="expected a Value or Tensor.*float"):
        draw_graph(3.5)
    g = {"root": Value(2.0, label="r")}
    assert ">r<" in draw_graph(g).source  # an example's build() dict works too


# a unary op ignores its second operand, which may be the constant 1.5
OPS = [lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a.tanh(),
       lambda a, b: a.sigmoid(), lambda a, b: (a * 0.1).exp(), lambda a, b: a.relu(),
       lambda a, b: a**2]


@st.composite
def random_graphs(draw):
    """A random expression over a few leaves (with reuse), as a Value after backward()."""
    _, nodes = draw(value_dags(OPS, constants=[1.5]))
    root = nodes[-1]
    root.backward()
    return root


@settings(max_examples=40, deadline=None)
@given(random_graphs(), st.booleans(), st.sampled_from(["LR", "TB"]))
def test_random_graphs_draw_every_node_and_edge(root, color, rankdir):
    src = draw_graph(root, color_by_grad=color, edge_labels=True, rankdir=rankdir).source
    order = autograd.topological_order(root)
    everything = {id(v): v for v in order}
    for v in order:
        for p in v._prev:
            everything.setdefault(id(p), p)
    records = re.findall(r"^\s*(n\d+) \[label=<<TABLE", src, re.M)
    assert sorted(records) == sorted(node_name(v) for v in everything.values())
    ops = re.findall(r"^\s*(n\d+)_op \[label=", src, re.M)
    assert sorted(ops) == sorted(node_name(v) for v in order if v._prev)
    edges = re.findall(r"^\s*(n\d+(?:_op)?) -> (n\d+(?:_op)?)", src, re.M)
    assert len(edges) == sum(len(v._prev) + 1 for v in order if v._prev)
    position = {node_name(v): i for i, v in enumerate(order)}
    for a, b in edges:  # data flows forward: input → its op → result, never backwards
        if b.endswith("_op"):
            assert a in records and position.get(a, -1) < position[b[:-3]]
        else:
            assert a == b + "_op"


def test_wide_layers_collapse_to_one_box_per_layer():
    model = nn.MLP(2, [12, 12, 1], seed=0)
    loss = sum(model([0.1 * i, 1.0]).relu() for i in range(12))
    loss.backward()
    src = draw_graph(loss, model=model, max_nodes=300).source
    # "\\n" in the source: a line break for dot
    assert "layer 2 (hidden) · 12 neurons" in src and "layer 4 (output) · 1 neuron\\n" in src
    # 12 × 12 neuron-to-neuron arrows would be unreadable: one arrow, labelled 12·12·12
    assert re.search(r'-> g\d+ \[label=1728\]', src)
    assert len(re.findall(r"^\s*g\d+ \[", src, re.M)) < 10


def centre(g: ET.Element) -> tuple[float, float]:
    """Mean position of a node's texts in SVG coordinates (y grows downwards)."""
    xs = [(float(t.get("x")), float(t.get("y"))) for t in g.iter(f"{SVG}text")]
    return sum(x for x, _ in xs) / len(xs), sum(y for _, y in xs) / len(xs)


@needs_dot
@pytest.mark.parametrize("rankdir, axis", [("LR", 0), ("TB", 1)])
def test_svg_data_flows_left_to_right_or_top_down(rankdir, axis):
    g = lunch_nodes()
    root = svg_of(draw_graph(g["E"], rankdir=rankdir))
    nodes = svg_nodes(root)
    edges = [e.find(f"{SVG}title").text.split("->") for e in svg_edges(root)]
    assert len(edges) == 7 + 3 + 2 + 3  # into and out of ·, −, ^2, ×
    for a, b in edges:  # every arrow points downstream: input → op → result
        assert centre(nodes[a])[axis] < centre(nodes[b])[axis], (a, b)
    order = [g["w"][0], g["y"], g["err"], g["sq"], g["E"]]
    positions = [centre(nodes[node_name(v)])[axis] for v in order]
    assert positions == sorted(positions)


def cluster_boxes(root: ET.Element) -> dict[str, tuple[float, float, float, float]]:
    """cluster name → (x min, y min, x max, y max) of its outline in the SVG."""
    boxes = {}
    for g in root.iter(f"{SVG}g"):
        if g.get("class") == "cluster":
            outline = g.find(f"{SVG}polygon") or g.find(f"{SVG}path")
            nums = [float(v) for v in re.findall(r"-?\d+(?:\.\d+)?",
                                                  outline.get("points") or outline.get("d"))]
            xs, ys = nums[0::2], nums[1::2]
            boxes[g.find(f"{SVG}title").text] = (min(xs), min(ys), max(xs), max(ys))
    return boxes


@needs_dot
@pytest.mark.parametrize("rankdir, axis", [("LR", 0), ("TB", 1)])
def test_layer_boxes_follow_each_other_in_the_flow_direction(rankdir, axis):
    """Layer l+1's box starts after layer l's box ends (no staircase of boxes)."""
    model = nn.MLP(3, [3, 2], activation="sigmoid", seed=1)
    xs = [Value(v, label=f"x_{i}", requires_grad=False) for i, v in enumerate((1.0, 2.0, -1.0))]
    out = vsum(model(xs))
    out.backward()
    graph = draw_graph(out, model=model, rankdir=rankdir)
    between = re.findall(r"^\s*n\d+ -> n\d+_op \[.*minlen=2", graph.source, re.M)
    assert len(between) == 3 * 2  # each of the 3 hidden outputs into each of 2 output neurons
    boxes = cluster_boxes(svg_of(graph))
    hidden, output = boxes["cluster_layer_1"], boxes["cluster_layer_2"]
    assert hidden[axis + 2] < output[axis]


def png_size(path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


@needs_dot
def test_png_max_px_scales_large_drawings_down_only(tmp_path):
    c = Value(1.0, label="c0")
    for _ in range(12):  # a chain: a wide drawing
        c = c * 1.5
    full = png_size(render_graph(c, tmp_path / "full.png", dpi=100))
    assert full[0] > 1500
    capped = png_size(render_graph(c, tmp_path / "capped.png", dpi=100, max_px=1000))
    assert max(capped) <= 1000 and capped[0] >= 990  # the longer side fills the limit
    assert abs(capped[0] / capped[1] - full[0] / full[1]) < 0.05 * full[0] / full[1]
    small = png_size(render_graph(Value(2.0, label="a"), tmp_path / "small.png", dpi=100,
                                  max_px=1000))
    assert small == png_size(render_graph(Value(2.0, label="a"), tmp_path / "s2.png", dpi=100))
