"""Graphviz drawings of computation graphs (Value or Tensor) with their data and gradients.

One record per value (label | data | grad), one small node per operation between a result
and its inputs, edges in data-flow order (input → op → result). Everything is read through
the autograd protocol (``_prev``, ``_op``, ``label``, ``data``, ``grad``, ``local_grads``), so
scalar Values and numpy Tensors draw the same way.

Names are a contract with the stepper and the HTML explorer: a value node is
``node_name(v) == f"n{id(v)}"``, the op node that made it ``op_node_name(v) == f"n{id(v)}_op"``;
the same strings are the ``id`` attributes of the ``<g>`` elements in the rendered SVG.

Numbers: fixed point with ``precision`` decimals for 10^-(precision-1) <= |x| < 10^4 (and 0),
scientific otherwise: ``4.0000``, ``-3500.0000``, ``2.45e+05``, ``1.9e-12``.
"""

from __future__ import annotations

import html
import math
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Iterable

import graphviz
import numpy as np

from .autograd import topological_order
from .engine import op_symbol

__all__ = [
    "draw_graph",
    "draw_dot",
    "render_graph",
    "node_name",
    "op_node_name",
    "format_number",
    "GRAD_COLORS",
    "GraphTooLargeError",
    "GraphvizNotFoundError",
    "run_dot",
    "format_lines",
    "pretty_label",
]

FONT = "Helvetica"
# (smallest |grad| of the bin, fill colour, legend text); pale = small gradient
GRAD_COLORS: list[tuple[float, str, str]] = [
    (1.0, "#f9844a", "|grad| ≥ 1"),
    (1e-2, "#fcb27b", "10⁻² ≤ |grad| < 1"),
    (1e-4, "#fdd6b0", "10⁻⁴ ≤ |grad| < 10⁻²"),
    (1e-8, "#fdeedf", "10⁻⁸ ≤ |grad| < 10⁻⁴"),
    (0.0, "#f7f7f7", "0 < |grad| < 10⁻⁸  vanishing"),
]
ZERO_GRAD_COLOR = ("#ffffff", "grad = 0, or no grad")
PALE_TEXT = "#9a9a9a"
HIGHLIGHT = "#d62728"
PROCESSED = "#1f5fa8"
PROCESSED_FILL = "#dceaf7"
MAX_GROUP_EDGES = 150
ACTIVATIONS = {"tanh", "sigmoid", "ReLU", "relu", "leaky_relu", "softplus"}


class GraphTooLargeError(ValueError):
    """The graph has more nodes than ``max_nodes`` even after collapsing."""


class GraphvizNotFoundError(RuntimeError):
    """The Graphviz ``dot`` program is needed for this output format and is not installed."""


def node_name(node: Any) -> str:
    """The Graphviz (and SVG id) name of a value node."""
    return f"n{id(node)}"


def op_node_name(node: Any) -> str:
    """The Graphviz (and SVG id) name of the op node that produced ``node``."""
    return f"n{id(node)}_op"


# -- text -------------------------------------------------------------------------------------
def format_number(x: float, precision: int = 4) -> str:
    """``4.0000`` in the readable range, ``-3.5e+05`` style outside it, ``nan``/``inf`` as is."""
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    a = abs(x)
    if a == 0.0 or 10.0 ** -(precision - 1) <= a < 1e4:
        s = f"{x:.{precision}f}"
        return s[1:] if s.startswith("-") and not s.strip("-0.") else s  # no "-0.0000"
    mantissa, exponent = f"{x:.{precision}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{exponent}"


def _format_array(a: np.ndarray, precision: int) -> list[str]:
    """Lines showing an array: every entry when small (<= 6), else its mean and norm."""
    if a.size == 0:
        return ["[]"]
    if a.size <= 6:
        if a.ndim <= 1:
            return ["[" + ", ".join(format_number(float(v), precision) for v in a.ravel()) + "]"]
        rows = a.reshape(-1, a.shape[-1])
        return ["[" + ", ".join(format_number(float(v), precision) for v in row) + "]"
                for row in rows]
    mean = float(np.mean(a))
    norm = float(np.linalg.norm(a.ravel()))
    return [f"mean {format_number(mean, precision)}", f"‖·‖ {format_number(norm, precision)}"]


def format_lines(x: Any, precision: int = 4) -> list[str]:
    """The lines of a data or grad cell: a number, a small array's rows, or mean and norm."""
    if x is None:
        return ["None"]
    if isinstance(x, float) or (isinstance(x, int) and not isinstance(x, bool)):
        return [format_number(float(x), precision)]
    a = np.asarray(x)
    if a.ndim == 0:
        return [format_number(float(a), precision)]
    return _format_array(a.astype(float, copy=False), precision)


def _shape_of(x: Any) -> tuple | None:
    shape = getattr(x, "shape", None)
    return tuple(shape) if shape is not None and len(shape) > 0 else None


_SUP = str.maketrans("0123456789()+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁽⁾⁺⁻")
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUP_RE = re.compile(r"\^\{?(\(?[0-9+-]+\)?)\}?")
_SUB_RE = re.compile(r"_\{?([0-9]+(?:,[0-9]+)*)\}?(?![A-Za-z])")


def pretty_label(label: str) -> str:
    """Textbook notation with Unicode digits: ``w^(1)_12`` → ``w⁽¹⁾₁₂``; ``w_meat`` unchanged."""
    label = _SUP_RE.sub(lambda m: m.group(1).translate(_SUP), label)
    return _SUB_RE.sub(lambda m: m.group(1).translate(_SUB), label)


def _magnitude(grad: Any) -> float | None:
    """|grad| for a float, max |grad| for an array, None when there is no gradient."""
    if grad is None:
        return None
    if isinstance(grad, float):
        return abs(grad)
    a = np.asarray(grad, dtype=float)
    return float(np.max(np.abs(a))) if a.size else 0.0


def grad_color(magnitude: float | None) -> str:
    """The fill colour of a node whose gradient has this magnitude (see GRAD_COLORS)."""
    if magnitude is None or magnitude == 0.0:
        return ZERO_GRAD_COLOR[0]
    if math.isnan(magnitude):
        return GRAD_COLORS[0][1]
    for lower, color, _ in GRAD_COLORS:
        if magnitude >= lower:
            return color
    return GRAD_COLORS[-1][1]


# -- the graph --------------------------------------------------------------------------------
def _collect(root: Any) -> list:
    """Nodes in topological order (inputs first); ``root`` may be a node or a list of nodes.

    ``topological_order`` skips parents that do not require grad (data, constants); they are
    drawn anyway, as leaves, so an op shows all of its inputs.
    """
    if isinstance(root, dict) and "root" in root:  # what the examples' build() returns
        root = root["root"]
    roots = list(root) if isinstance(root, (list, tuple)) else [root]
    for r in roots:
        if not hasattr(r, "_prev") or not hasattr(r, "data"):
            raise TypeError(f"draw_graph: expected a Value or Tensor (a graph node), got "
                            f"{type(r).__name__}: {r!r}"[:200])
    order: list = []
    seen: dict[int, Any] = {}
    for r in roots:
        for node in topological_order(r):
            if id(node) not in seen:
                seen[id(node)] = node
                order.append(node)
    extra = []
    for node in order:
        for parent in node._prev:
            if id(parent) not in seen:
                seen[id(parent)] = parent
                extra.append(parent)
    return extra + order


def _path_to(target: Any, order: list) -> set[int]:
    """ids of the nodes through which gradient flows from the root(s) to ``target``."""
    on_path = {id(target)}
    for node in order:
        if any(id(p) in on_path for p in node._prev):
            on_path.add(id(node))
    return on_path


_PARAM_RE = re.compile(r"^([wbza])\^\{?\(?(\d+)\)?\}?_\{?(\d+)(?:,?\s*(\d+))?\}?$")


def _neuron_of_label(label: str) -> tuple[int, int, bool] | None:
    """(layer, neuron, is_parameter) from textbook labels; ``w^(l)_ij`` feeds neuron i.

    ``w^(l)_ij``/``b^(l)_i`` are parameters of neuron i in layer l (the layer these weights
    feed); ``z^(l+1)_i``/``a^(l+1)_i`` are that neuron's pre-activation and activation.
    """
    m = _PARAM_RE.match(label)
    if not m:
        return None
    kind, layer, first, second = m.group(1), int(m.group(2)), m.group(3), m.group(4)
    if kind == "w":
        neuron = int(first) if second is not None else int(first[0]) if len(first) == 2 else None
        return None if neuron is None else (layer, neuron, True)
    if kind == "b":
        return layer, int(first), True
    if second is not None or layer < 2:
        return None
    return layer - 1, int(first), False


def _model_parameters(model: Any) -> tuple[dict[int, tuple[int, int]], dict]:
    """id(parameter) → (layer, neuron) for scalar nn models, and titles of other boxes.

    MLP.layers[k].neurons[i] is (k+1, i+1), so weights labelled ``w^(k+1)_i·`` agree.
    Other modules (Tensor layers): parameters grouped by the module that owns them, keys
    (0, k) titled by the module's name.
    """
    layers = getattr(model, "layers", None)
    if layers is None and hasattr(model, "neurons"):
        layers = [model]
    if layers is None and hasattr(model, "w"):
        layers = [SimpleNamespace(neurons=[model])]  # a lone neuron: layer 1, neuron 1
    found: dict[int, tuple[int, int]] = {}
    if layers is not None and all(hasattr(layer, "neurons") for layer in layers):
        for k, layer in enumerate(layers, 1):
            for i, neuron in enumerate(layer.neurons, 1):
                params = list(getattr(neuron, "w", []))
                if getattr(neuron, "b", None) is not None:
                    params.append(neuron.b)
                for p in params:
                    found[id(p)] = (k, i)
        return found, {}
    owners: dict[str, int] = {}
    for name, p in model.named_parameters():
        owner = name.rsplit(".", 1)[0] if "." in name else ""
        found[id(p)] = (0, owners.setdefault(owner, len(owners) + 1))
    return found, {(0, k): _module_title(model, owner) for owner, k in owners.items()}


def _module_title(model: Any, path: str) -> str:
    """``0 (Linear)`` for the submodule at a dotted parameter-name prefix."""
    obj = model
    try:
        for part in path.split(".") if path else []:
            obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        return path
    name = type(obj).__name__
    return f"{path} ({name})" if path else name


def _cluster_titles(where: dict, module_titles: dict) -> dict[tuple[int, int], tuple]:
    """key → (layer box title or None, neuron box title); layers numbered like the book.

    Weights ``w^(l)`` feed layer l+1 (the input is layer 1), so neuron (l, i) is drawn as
    "neuron i" inside "layer l+1"; the last layer is the output layer.
    """
    keys = set(where.values())
    last = max((k[0] for k in keys), default=0)
    titles = {}
    for key in keys:
        layer, i = key
        if layer == 0:
            titles[key] = (None, module_titles.get(key, f"module {i}"))
        else:
            role = "output" if layer == last else "hidden"
            titles[key] = (f"layer {layer + 1} ({role})", f"neuron {i}")
    return titles


def _assign_neurons(order: list, model: Any) -> dict[int, tuple[int, int]]:
    """id(node) → (layer, neuron) for parameters and the nodes each neuron computes.

    A neuron computes: the nodes that read one of its parameters directly (the dot product,
    ``+ b``), then at most one activation right after them. Nodes named by textbook labels
    (``z^(2)_1``, ``a^(2)_1``) are placed by their label.
    """
    params = _model_parameters(model)[0] if model is not None else {}
    where: dict[int, tuple[int, int]] = {}
    pre: set[int] = set()
    for node in order:
        key = params.get(id(node))
        if key is not None:
            where[id(node)] = key
            continue
        parsed = _neuron_of_label(getattr(node, "label", "") or "")
        if parsed is not None and (parsed[2] or node._prev):
            where[id(node)] = parsed[:2]
            if parsed[2] or node._op not in ACTIVATIONS:
                pre.add(id(node))
            continue
        if not node._prev:
            continue
        owners = {where[id(p)] for p in node._prev if id(p) in where and not p._prev}
        if len(owners) == 1:
            where[id(node)] = owners.pop()
            pre.add(id(node))
        elif node._op in ACTIVATIONS and len(node._prev) == 1 and id(node._prev[0]) in pre:
            where[id(node)] = where[id(node._prev[0])]
    return where


def draw_graph(
    root: Any,
    rankdir: str = "LR",
    show_data: bool = True,
    show_grad: bool = True,
    precision: int = 4,
    *,
    color_by_grad: bool = False,
    edge_labels: bool = False,
    highlight: Iterable[Any] | None = None,
    highlight_path_to: Any = None,
    processed: Iterable[Any] | None = None,
    model: Any = None,
    clusters: bool | None = None,
    max_nodes: int = 1500,
    collapse: bool | str = "auto",
    legend: bool | None = None,
    title: str | None = None,
    fontsize: int = 14,
    pretty_labels: bool = True,
    record: str = "row",
) -> graphviz.Digraph:
    """Draw the graph that produced ``root`` (a Value, a Tensor, or a list of them).

    ``draw_dot`` is the same function under micrograd's name.

    Parameters
    ----------
    rankdir: ``'LR'`` (inputs left) or ``'TB'`` (inputs on top).
    show_data, show_grad: which cells each record shows; ``show_grad=False`` is the
        before-backward view.
    precision: decimals of the numbers (see ``format_number``).
    color_by_grad: fill each value by |grad| (pale = vanishing) and add a legend.
    edge_labels: label each input → op edge with the local derivative ∂out/∂in.
    highlight: nodes drawn with a thick red border; ``highlight_path_to=node`` also
        highlights every node and edge on the gradient's way from the root to ``node``.
    processed: nodes a backward stepper has already processed (bold, blue, filled).
    model: an ``nn`` model whose neurons/layers become boxes (clusters); without it,
        textbook parameter labels (``w^(1)_12``, ``b^(1)_1``) are used when present.
        ``clusters=False`` turns this off.
    max_nodes: above this many values the graph is collapsed (one box per neuron, and one
        per run of same-op nodes at the same depth) with a note, or, when ``collapse=False``
        or still too big, refused with GraphTooLargeError. ``collapse=True`` always collapses.
    title: a caption on top of the drawing.
    record: ``'row'`` (label | data | grad, micrograd's look) or ``'stacked'`` (the label
        above data | grad: narrower nodes for wide graphs).
    pretty_labels: show ``w^(1)_12`` as ``w⁽¹⁾₁₂`` and ``x_1`` as ``x₁``.

    Returns an unrendered ``graphviz.Digraph``; it shows inline in Jupyter, and
    ``render_graph`` writes it to svg/png/pdf/dot.
    """
    if isinstance(precision, bool) or not isinstance(precision, int) or precision < 0:
        raise ValueError(f"draw_graph: precision must be an int >= 0, got {precision!r}")
    if record not in ("row", "stacked"):
        raise ValueError(f"draw_graph: record must be 'row' or 'stacked', got {record!r}")
    nodes = _collect(root)
    highlighted = {id(n) for n in (highlight or ())}
    path_edges: set[int] = set()
    if highlight_path_to is not None:
        path_edges = _path_to(highlight_path_to, nodes)
        highlighted |= path_edges
    done = {id(n) for n in (processed or ())}
    where = _assign_neurons(nodes, model) if clusters is not False else {}
    module_titles = _model_parameters(model)[1] if where and model is not None else {}
    titles = _cluster_titles(where, module_titles)

    dot = graphviz.Digraph(
        "computation_graph",
        graph_attr={"rankdir": rankdir, "fontname": FONT, "bgcolor": "white",
                    "nodesep": "0.25", "ranksep": "0.45", "newrank": "true"},
        node_attr={"fontname": FONT, "fontsize": str(fontsize)},
        edge_attr={"fontname": FONT, "fontsize": str(fontsize - 3), "color": "#555555",
                   "arrowsize": "0.7"},
    )
    opts = _Options(show_data, show_grad, precision, color_by_grad, edge_labels, fontsize,
                    pretty_labels, record)
    collapsed = collapse is True or len(nodes) > max_nodes
    if collapsed and collapse is False:
        raise GraphTooLargeError(
            f"the graph has {len(nodes)} values, more than max_nodes={max_nodes}; pass "
            "collapse='auto' to draw one box per neuron / op run, draw a smaller part "
            "(draw_graph(intermediate_node)), or raise max_nodes (rendering gets slow)"
        )
    if collapsed:
        notes = _draw_collapsed(dot, nodes, where, titles, opts, max_nodes)
    else:
        notes = []
        _draw_full(dot, nodes, where, titles, opts, highlighted, path_edges, done)
    caption = [title] if title else []
    caption += notes
    if caption:
        dot.attr(label="\n".join(caption), labelloc="t", fontsize=str(fontsize + 4))
    if legend or (legend is None and (color_by_grad or highlighted or done)):
        _draw_legend(dot, opts, bool(highlighted), bool(done))
    return dot


draw_dot = draw_graph


@dataclass(frozen=True)
class _Options:
    """The drawing options every node needs."""

    show_data: bool
    show_grad: bool
    precision: int
    color: bool
    edge_labels: bool
    fontsize: int
    pretty: bool
    record: str


def _record(node: Any, o: _Options, is_highlighted: bool, is_done: bool) -> str:
    """The HTML-like label of a value: one row of cells, label | data | grad."""
    label = getattr(node, "label", "") or ""
    shown = pretty_label(label) if o.pretty else label
    data = getattr(node, "data", None)
    shape = _shape_of(data)
    grad = getattr(node, "grad", None)
    wants_grad = getattr(node, "requires_grad", True)
    mag = _magnitude(grad) if wants_grad else None
    fill = "white"
    text_color = "black"
    if o.color and o.show_grad:
        fill = grad_color(mag)
        if mag is not None and mag < 1e-8:
            text_color = PALE_TEXT
    elif is_done:
        fill = PROCESSED_FILL
    bold = is_done or is_highlighted

    def cell(lines: list[str], *, head: str = "", span: int = 1) -> str:
        parts = []
        for i, line in enumerate(lines):
            t = html.escape(line)
            if head and i == 0:
                t = f'<FONT POINT-SIZE="{o.fontsize - 3}">{head}</FONT> {t}'
            parts.append(t)
        body = "<BR/>".join(parts)
        if bold:
            body = f"<B>{body}</B>"
        colspan = f' COLSPAN="{span}"' if span > 1 else ""
        return f'<TD{colspan}><FONT COLOR="{text_color}">{body}</FONT></TD>'

    numbers = []
    if o.show_data:
        numbers.append(cell(format_lines(data, o.precision), head="data"))
    if o.show_grad:
        g = format_lines(grad, o.precision) if wants_grad else ["—"]
        numbers.append(cell(g, head="grad"))
    name = ""
    if shown or shape:
        lines = [shown] if shown else []
        if shape:
            lines.append("×".join(str(s) for s in shape))
        stacked = o.record == "stacked" and numbers
        name = cell(lines, span=len(numbers) if stacked else 1)
    if o.record == "stacked" and name and numbers:
        rows = f"<TR>{name}</TR><TR>{''.join(numbers)}</TR>"
    else:
        rows = f"<TR>{name}{''.join(numbers) or cell([' '])}</TR>"
    border, color = "0", "#444444"
    if is_done:
        border, color = "2", PROCESSED
    if is_highlighted:
        border, color = "3", HIGHLIGHT
    if text_color == PALE_TEXT and not (is_done or is_highlighted):
        color = "#bbbbbb"
    return (f'<<TABLE BORDER="{border}" CELLBORDER="1" CELLSPACING="0" CELLPADDING="5" '
            f'COLOR="{color}" BGCOLOR="{fill}">{rows}</TABLE>>')


def _edge_label(node: Any, parent: Any, local: Any, o: _Options) -> str:
    value = " ".join(format_lines(local, o.precision))
    out_label = getattr(node, "label", "") or ""
    in_label = getattr(parent, "label", "") or ""
    if out_label and in_label:
        if o.pretty:
            out_label, in_label = pretty_label(out_label), pretty_label(in_label)
        return f"∂{_group(out_label)}/∂{_group(in_label)} = {value}"
    return value


def _group(label: str) -> str:
    """``t − y`` → ``(t − y)`` so that ∂(t − y)/∂y reads right; ``w_1``, ``(t − y)²`` stay."""
    outside = label
    while True:  # drop innermost parenthesised parts
        inner = re.sub(r"\([^()]*\)", "", outside)
        if inner == outside:
            break
        outside = inner
    return f"({label})" if re.search(r"[\s+\-−*/·×]", outside) else label


def _draw_full(dot: graphviz.Digraph, nodes: list, where: dict, titles: dict, o: _Options,
               highlighted: set[int], path: set[int], done: set[int]) -> None:
    """Every value and op node; clusters for neurons/layers where ``where`` places nodes."""
    groups: dict[tuple[int, int], list[tuple[str, dict]]] = {}
    plain: list[tuple[str, dict]] = []
    for node in nodes:
        name = node_name(node)
        entry = (name, {"label": _record(node, o, id(node) in highlighted, id(node) in done),
                        "shape": "none", "margin": "0", "id": name})
        op_entry = None
        if node._prev:
            hl = id(node) in path
            symbol = op_symbol(node._op) or "?"
            op_entry = (op_node_name(node), {
                "label": symbol, "shape": "circle", "style": "filled",
                "fillcolor": "#fde0dd" if hl else "#eeeeee",
                "color": HIGHLIGHT if hl else "#666666", "margin": "0.02", "ordering": "in",
                "id": op_node_name(node), **_op_size(symbol, o.fontsize)})
        target = groups.setdefault(where[id(node)], []) if id(node) in where else plain
        target.append(entry)
        if op_entry:
            target.append(op_entry)
    for name, attrs in plain:
        dot.node(name, **attrs)
    by_layer: dict[int, list[int]] = {}
    for layer, neuron in groups:
        by_layer.setdefault(layer, []).append(neuron)
    for layer in sorted(by_layer):
        outer = titles[(layer, by_layer[layer][0])][0]
        with dot.subgraph(name=f"cluster_layer_{layer}") as lg:
            if outer:
                lg.attr(label=outer, style="rounded,dashed", color="#7f7f7f",
                        fontsize=str(o.fontsize + 1), fontcolor="#555555")
            else:  # module boxes without a layer around them
                lg.attr(label="", style="invis")
            for neuron in sorted(by_layer[layer]):
                with lg.subgraph(name=f"cluster_layer_{layer}_neuron_{neuron}") as ng:
                    ng.attr(label=titles[(layer, neuron)][1], style="rounded,filled",
                            fillcolor="#f5f8fc", color="#9fb6d1", fontsize=str(o.fontsize))
                    for name, attrs in groups[(layer, neuron)]:
                        ng.node(name, **attrs)
    for node in nodes:
        if not node._prev:
            continue
        op = op_node_name(node)
        local = getattr(node, "local_grads", None) if o.edge_labels else None
        for i, parent in enumerate(node._prev):
            attrs = {"id": f"{node_name(parent)}->{op}#{i}"}
            from_box, to_box = where.get(id(parent)), where.get(id(node))
            if from_box and to_box and from_box[0] != to_box[0]:
                attrs["minlen"] = "2"  # one layer's box to the next: side by side, no staircase
            if id(parent) in path and id(node) in path:
                attrs.update(color=HIGHLIGHT, penwidth="2.5")
            if local is not None and i < len(local) and getattr(parent, "requires_grad", True):
                attrs.update(label=_edge_label(node, parent, local[i], o), fontcolor="#1f5fa8")
            dot.edge(node_name(parent), op, **attrs)
        attrs = {"id": f"{op}->{node_name(node)}"}
        if id(node) in path:
            attrs.update(color=HIGHLIGHT, penwidth="2.5")
        dot.edge(op, node_name(node), **attrs)


def _collapse_groups(nodes: list, where: dict) -> dict[int, int]:
    """id(node) → id of its group's representative (union-find over four rules).

    One group per neuron; one per op at the same depth (parallel copies of an op); a chain
    of the same op is one group (``a + 1 + 1 + …``); a leaf joins the only group that reads
    it, and leaves read by several groups share one "inputs" group.
    """
    rep = {id(n): id(n) for n in nodes}

    def find(x: int) -> int:
        while rep[x] != x:
            rep[x] = rep[rep[x]]
            x = rep[x]
        return x

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            rep[rb] = ra

    depth: dict[int, int] = {}
    first: dict[tuple, int] = {}
    readers: dict[int, list[int]] = {}
    for node in nodes:
        depth[id(node)] = 1 + max((depth[id(p)] for p in node._prev), default=-1)
        if id(node) in where:
            union(first.setdefault(("neuron",) + where[id(node)], id(node)), id(node))
        elif node._prev:
            union(first.setdefault(("op", depth[id(node)], node._op), id(node)), id(node))
            for p in node._prev:
                if p._prev and p._op == node._op and id(p) not in where:
                    union(id(p), id(node))
        for p in node._prev:
            if not p._prev:
                readers.setdefault(id(p), []).append(id(node))
    for node in nodes:
        if node._prev or id(node) in where:
            continue
        groups = {find(r) for r in readers.get(id(node), ())}
        if len(groups) == 1:
            union(groups.pop(), id(node))
        else:
            union(first.setdefault(("inputs",), id(node)), id(node))
    return {key: find(key) for key in rep}


def _op_size(symbol: str, fontsize: int) -> dict:
    """Short symbols in equal circles (thin ones like · × − + drawn larger); words fit."""
    if len(symbol) > 2:
        return {"fontsize": str(fontsize), "width": "0.4", "height": "0.4"}
    bump = 6 if symbol in ("·", "×", "−", "+", "÷") else 2
    return {"fontsize": str(fontsize + bump), "width": "0.5", "height": "0.5",
            "fixedsize": "true"}


def _draw_collapsed(dot: graphviz.Digraph, nodes: list, where: dict, titles: dict,
                    o: _Options, max_nodes: int) -> list[str]:
    """One box per group of ``_collapse_groups``; returns the note for the caption.

    When neuron boxes would need more than MAX_GROUP_EDGES arrows (wide layers connect all
    to all), each layer becomes one box instead.
    """
    group_of = _collapse_groups(nodes, where)
    counts = _group_edges(nodes, group_of)
    if len(counts) > MAX_GROUP_EDGES and any(layer for layer, _ in where.values()):
        where, titles = _per_layer(where, titles)
        group_of = _collapse_groups(nodes, where)
        counts = _group_edges(nodes, group_of)
    members: dict[int, list] = {}
    for node in nodes:
        members.setdefault(group_of[id(node)], []).append(node)
    if len(members) > max_nodes:
        raise GraphTooLargeError(
            f"the graph has {len(nodes)} values; even collapsed (one box per neuron and per "
            f"run of same-op nodes) it has {len(members)} boxes, more than "
            f"max_nodes={max_nodes}. Draw a smaller part (draw_graph(intermediate_node)) or "
            "raise max_nodes (rendering gets slow)"
        )
    for key, group in members.items():
        if len(group) == 1:
            node = group[0]
            dot.node(f"g{key}", label=_record(node, o, False, False), shape="none",
                     margin="0", id=node_name(node))
            continue
        lines = [_group_title(group, where, titles)]
        mags = [_magnitude(n.grad) for n in group if getattr(n, "requires_grad", True)]
        mags = [m for m in mags if m is not None]
        fill = "#ffffff"
        if o.show_grad and mags:
            lines.append(f"max |grad| {format_number(max(mags), o.precision)}")
            if o.color:
                fill = grad_color(max(mags))
        dot.node(f"g{key}", label="\n".join(lines), shape="box", style="rounded,filled",
                 fillcolor=fill, id=f"g{key}")
    for (a, b), count in counts.items():
        dot.edge(f"g{a}", f"g{b}", label=str(count) if count > 1 else None)
    boxes = f"{len(members)} box" + ("es" if len(members) != 1 else "")
    return [f"collapsed view: {len(nodes)} values drawn as {boxes} "
            f"(max_nodes={max_nodes}); a number on an arrow counts the edges it stands for"]


def _group_edges(nodes: list, group_of: dict) -> dict[tuple[int, int], int]:
    """(group of parent, group of child) → number of graph edges between them."""
    counts: dict[tuple[int, int], int] = {}
    for node in nodes:
        for parent in node._prev:
            a, b = group_of[id(parent)], group_of[id(node)]
            if a != b:
                counts[(a, b)] = counts.get((a, b), 0) + 1
    return counts


def _per_layer(where: dict, titles: dict) -> tuple[dict, dict]:
    """Neuron keys (l, i) merged into one key (l, 0) per layer (module boxes stay)."""
    neurons: dict[int, set[int]] = {}
    for layer, i in where.values():
        neurons.setdefault(layer, set()).add(i)
    merged = dict(titles)
    for layer, members in neurons.items():
        if layer:
            outer = titles[(layer, min(members))][0]
            merged[(layer, 0)] = (outer, f"{len(members)} neuron" + "s" * (len(members) > 1))
    return {k: (v[0], 0) if v[0] else v for k, v in where.items()}, merged


def _group_title(group: list, where: dict, titles: dict) -> str:
    """``layer 2 (hidden) · neuron 1  7 nodes`` or ``+ ×999, leaves ×999``."""
    key = next((where[id(n)] for n in group if id(n) in where), None)
    if key is not None:
        outer, inner = titles[key]
        head = f"{outer} · {inner}" if outer else inner
        return f"{head}\n{len(group)} nodes"
    ops: dict[str, int] = {}
    for n in group:
        name = op_symbol(n._op) if n._prev else "leaves"
        ops[name] = ops.get(name, 0) + 1
    return "\n".join(f"{name} ×{count}" for name, count in ops.items())


def _draw_legend(dot: graphviz.Digraph, o: _Options, highlighted: bool, done: bool) -> None:
    rows = []
    if o.color and o.show_grad:
        entries = [(c, t) for _, c, t in GRAD_COLORS] + [ZERO_GRAD_COLOR]
        for color, text in entries:
            rows.append(f'<TR><TD BGCOLOR="{color}" WIDTH="24"> </TD>'
                        f'<TD ALIGN="LEFT">{html.escape(text)}</TD></TR>')
    if done:
        rows.append(f'<TR><TD BGCOLOR="{PROCESSED_FILL}" COLOR="{PROCESSED}" BORDER="2"> </TD>'
                    '<TD ALIGN="LEFT">processed by backward</TD></TR>')
    if highlighted:
        rows.append(f'<TR><TD COLOR="{HIGHLIGHT}" BORDER="3"> </TD>'
                    '<TD ALIGN="LEFT">highlighted</TD></TR>')
    if not rows:
        return
    table = ('<<TABLE BORDER="1" CELLBORDER="0" CELLSPACING="3" CELLPADDING="3" COLOR="#999999">'
             f'<TR><TD COLSPAN="2"><B>legend</B></TD></TR>{"".join(rows)}</TABLE>>')
    dot.node("legend", label=table, shape="none", margin="0", fontsize=str(o.fontsize - 2),
             id="legend")


# -- output -----------------------------------------------------------------------------------
FORMATS = {"svg", "png", "pdf", "dot", "gv"}
INSTALL_HINT = (
    "Install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS), `conda install -c conda-forge graphviz`, or see "
    "https://graphviz.org/download/. Without it you can still save the graph source: "
    "render_graph(root, 'graph.dot')."
)


def render_graph(root: Any, path: str | Path, *, dpi: int = 150, timeout: float = 120.0,
                 **draw_kwargs: Any) -> Path:
    """Draw ``root`` (or an already drawn Digraph) to ``path``; the format is its extension.

    ``.dot``/``.gv`` write the Graphviz source and need no ``dot`` program; ``.svg``, ``.png``
    and ``.pdf`` run ``dot`` and raise GraphvizNotFoundError, saying how to install
    Graphviz, when it is missing. PNGs are rendered at ``dpi`` (150: sharp on a slide).
    ``dot`` is stopped after ``timeout`` seconds (TimeoutError), so rendering never hangs.
    """
    path = Path(path)
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(
            f"render_graph: cannot tell the format of {str(path)!r}; use one of the "
            f"extensions {', '.join('.' + f for f in sorted(FORMATS))}"
        )
    if isinstance(root, dict) and "root" in root:
        root = root["root"]
    graph = root if isinstance(root, graphviz.Digraph) else draw_graph(root, **draw_kwargs)
    if fmt in ("dot", "gv"):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(graph.source, encoding="utf-8")
        return path
    data = run_dot(graph, fmt, dpi=dpi if fmt == "png" else None, timeout=timeout,
                   what=str(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def run_dot(graph: graphviz.Digraph, fmt: str = "svg", *, dpi: int | None = None,
            timeout: float = 120.0, what: str = "the graph") -> bytes:
    """The output of Graphviz ``dot -T<fmt>`` on ``graph`` (bytes), with clear errors."""
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizNotFoundError(
            f"rendering {what} as {fmt} needs the Graphviz `dot` program, which was not "
            "found on PATH. " + INSTALL_HINT
        )
    args = [exe, f"-T{fmt}"] + ([f"-Gdpi={dpi}"] if dpi else [])
    try:
        done = subprocess.run(args, input=graph.source.encode("utf-8"), capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise TimeoutError(
            f"Graphviz `dot` did not finish {what} within {timeout:g} s; draw a smaller part "
            "(draw_graph(intermediate_node)) or collapse it (draw_graph(root, collapse=True))"
        ) from None
    if done.returncode != 0:
        raise RuntimeError(
            f"Graphviz `dot` failed on {what}: {done.stderr.decode('utf-8', 'replace').strip()}"
        )
    return done.stdout
