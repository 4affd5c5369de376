"""Graphviz drawings of computation graphs (Value or Tensor) with their data and gradients.

One record per value (label | data | grad), one small node per operation between a result
and its inputs, edges in data-flow order (input → op → result). Everything is read through
the autograd protocol (``_prev``, ``_op``, ``label``, ``data``, ``grad``, ``local_grads``), so
scalar Values and numpy Tensors draw the same way.

The parts: ``format`` (numbers, labels, gradient colours), ``nodes`` (how a value, an op, an
edge and the legend look; node names shared with the stepper and the explorer), ``cells``
(a Tensor's matrices), ``rules`` (an edge's rule in matrix form), ``clusters`` (boxes per
neuron and layer), ``collapse`` and ``layout`` (large graphs), ``dot`` (running Graphviz).
This module draws the whole graph and writes files; ``micrograd_plus.viz`` exports the
public names of every part.
"""

from __future__ import annotations

import numbers
from pathlib import Path
from typing import Any, Iterable

import graphviz

from ..core.autograd import Node, topological_order
from ..files import write_file
from .cells import MAX_ELEMENTS, check_max_elements, is_tensor, tensor_names
from .clusters import boxes
from .collapse import GraphTooLargeError, draw_collapsed
from .dot import run_dot
from .format import check_precision, dot_text
from .layout import layout_budget, long_edges
from .nodes import (FONT, HIGHLIGHT, Options, dashed_copy, draw_legend, edge_label, node_name,
                    op_circle, op_node_name, record_label, tensor_edge_label)

__all__ = ["draw_graph", "draw_dot", "render_graph", "output_format", "FORMATS", "RANKDIRS"]


def _collect(root: Any) -> list:
    """Nodes in topological order (inputs first); ``root`` may be a node or a list of nodes.

    ``topological_order`` skips parents that do not require grad (data, constants); they are
    drawn anyway, as leaves, so an op shows all of its inputs.
    """
    if isinstance(root, dict) and "root" in root:  # what the examples' build() returns
        root = root["root"]
    roots = list(root) if isinstance(root, (list, tuple)) else [root]
    for r in roots:
        if not isinstance(r, Node):
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


def _tensor_names(root: Any, nodes: list, model: Any) -> tuple[dict | None, str]:
    """Names for a Tensor graph's nodes, and the root's (the L of ∂L/∂Z); (None, 'L') else.

    Unlabelled Tensors get the stepper's names (``mul1``), drawn grey, so that the edge
    rules, the stepper and the explorer's panel can refer to them.
    """
    if not any(is_tensor(n) for n in nodes):
        return None, "L"
    if isinstance(root, dict) and "root" in root:
        root = root["root"]
    single = None if isinstance(root, (list, tuple)) else root
    return tensor_names(nodes, single, model)


def _path_to(target: Any, order: list) -> set[int]:
    """ids of the nodes through which gradient flows from the root(s) to ``target``."""
    on_path = {id(target)}
    for node in order:
        if any(id(p) in on_path for p in node._prev):
            on_path.add(id(node))
    return on_path


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
    max_elements: int = MAX_ELEMENTS,
    format: str = "svg",
) -> graphviz.Digraph:
    """Draw the graph that produced ``root`` (a Value, a Tensor, or a list of them).

    ``draw_dot(root, format='svg', rankdir='LR', ...)`` is the same drawing with the
    signature of micrograd's notebooks.

    Parameters
    ----------
    rankdir: ``'LR'`` (inputs left), ``'TB'`` (inputs on top), ``'RL'`` or ``'BT'``.
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
    format: what the Digraph's own ``render()`` / ``pipe()`` write (``'svg'``, ``'png'``,
        ``'pdf'``, ...).

    Tensors show their label, shape and dtype; when they have at most ``max_elements``
    entries, their data and grad as matrices (rows and columns), else min / max / mean / ‖·‖.
    ``color_by_grad`` colours a Tensor by ‖grad‖. ``edge_labels`` writes each op's backward
    rule in matrix form on a Tensor edge (``∂L/∂W = ∂L/∂Z · Xᵀ``, ``∂L/∂b = Σ_cols ∂L/∂Z``
    for a broadcast b). Unlabelled Tensors show the stepper's names for them in grey (``mul1``).
    With ``model=`` a Tensor ``Module``'s parameters are named as in ``named_parameters()``
    (``0.weight``) and each Linear is boxed with the activation that follows it.

    Returns an unrendered ``graphviz.Digraph``; it shows inline in Jupyter, and
    ``render_graph`` writes it to svg/png/pdf/dot.
    """
    _check_options(precision, rankdir, fontsize, collapse, record)
    check_max_elements(max_elements)
    _check_format(format)
    nodes = _collect(root)
    highlighted = {id(n) for n in (highlight or ())}
    path_edges: set[int] = set()
    if highlight_path_to is not None:
        path_edges = _path_to(highlight_path_to, nodes)
        highlighted |= path_edges
    done = {id(n) for n in (processed or ())}
    where, titles = boxes(nodes, model) if clusters is not False else ({}, {})

    dot = graphviz.Digraph(
        "computation_graph",
        format=format,
        graph_attr={"rankdir": rankdir, "fontname": FONT, "bgcolor": "white",
                    "nodesep": "0.25", "ranksep": "0.45", "newrank": "true"},
        node_attr={"fontname": FONT, "fontsize": str(fontsize)},
        edge_attr={"fontname": FONT, "fontsize": str(fontsize - 3), "color": "#555555",
                   "arrowsize": "0.7"},
    )
    names, root_name = _tensor_names(root, nodes, model)
    opts = Options(show_data, show_grad, precision, color_by_grad, edge_labels, fontsize,
                   pretty_labels, record, max_elements, names, root_name)
    collapsed = collapse is True or len(nodes) > max_nodes
    if collapsed and collapse is False:
        raise GraphTooLargeError(
            f"the graph has {len(nodes)} values, more than max_nodes={max_nodes}; pass "
            "collapse='auto' to draw one box per neuron / op run, draw a smaller part "
            "(draw_graph(intermediate_node)), or raise max_nodes (rendering gets slow)"
        )
    if collapsed:
        notes = draw_collapsed(dot, nodes, where, titles, opts, max_nodes)
    else:
        notes = _draw_full(dot, nodes, where, titles, opts, highlighted, path_edges, done)
    caption = [title] if title else []
    caption += notes
    if caption:
        dot.attr(label=dot_text("\n".join(caption), lines=True), labelloc="t",
                 fontsize=str(fontsize + 4))
    if legend or (legend is None and (color_by_grad or highlighted or done)):
        draw_legend(dot, opts, bool(highlighted), bool(done))
    return dot


def draw_dot(root: Any, format: str = "svg", rankdir: str = "LR",
             **options: Any) -> graphviz.Digraph:
    """micrograd's ``draw_dot(root, format='svg', rankdir='LR')``: ``draw_graph`` under the
    signature of micrograd's notebooks (format second, positional or keyword).

    Every ``draw_graph`` option is accepted as a keyword. A rankdir given in the format's place
    (``draw_dot(root, 'TB')``, as if draw_dot were draw_graph) is taken as the rankdir.
    """
    if format in RANKDIRS:
        format, rankdir = "svg", format
    return draw_graph(root, rankdir=rankdir, format=format, **options)


RANKDIRS = ("LR", "TB", "RL", "BT")


def _check_format(fmt: Any) -> None:
    """The Graphviz output formats a Digraph accepts, named when ``fmt`` is not one."""
    if fmt not in graphviz.FORMATS:
        common = "svg, png, pdf, jpg, dot"
        raise ValueError(f"draw_graph: format must be a Graphviz output format such as "
                         f"{common}; got {fmt!r}")


def _check_options(precision: Any, rankdir: Any, fontsize: Any, collapse: Any,
                   record: Any) -> None:
    """Clear errors for options Graphviz would silently ignore or Python would fail on late."""
    check_precision(precision, "draw_graph")
    if rankdir not in RANKDIRS:  # Graphviz draws an unknown rankdir top to bottom, silently
        raise ValueError(f"draw_graph: rankdir must be one of {', '.join(RANKDIRS)}, "
                         f"got {rankdir!r}")
    if isinstance(fontsize, bool) or not isinstance(fontsize, numbers.Real) or fontsize <= 0:
        raise ValueError(f"draw_graph: fontsize must be a number > 0, got {fontsize!r}")
    if not isinstance(collapse, bool) and collapse != "auto":
        raise ValueError(f"draw_graph: collapse must be True, False or 'auto', got {collapse!r}")
    if record not in ("row", "stacked"):
        raise ValueError(f"draw_graph: record must be 'row' or 'stacked', got {record!r}")


def _draw_full(dot: graphviz.Digraph, nodes: list, where: dict, titles: dict, o: Options,
               highlighted: set[int], path: set[int], done: set[int]) -> list[str]:
    """Every value and op node; clusters for neurons/layers where ``where`` places nodes.

    Returns notes for the caption (long arrows drawn as references, see viz.layout).
    """
    groups: dict[tuple[int, int], list[tuple[str, dict]]] = {}
    plain: list[tuple[str, dict]] = []
    for node in nodes:
        name = node_name(node)
        entry = (name, {"label": record_label(node, o, id(node) in highlighted, id(node) in done),
                        "shape": "none", "margin": "0", "id": name})
        op_entry = None
        if node._prev:
            op_entry = (op_node_name(node), op_circle(node, o, id(node) in path))
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
                lg.attr(label=dot_text(outer), style="rounded,dashed", color="#7f7f7f",
                        fontsize=str(o.fontsize + 1), fontcolor="#555555")
            else:  # module boxes without a layer around them
                lg.attr(label="", style="invis")
            for neuron in sorted(by_layer[layer]):
                with lg.subgraph(name=f"cluster_layer_{layer}_neuron_{neuron}") as ng:
                    ng.attr(label=dot_text(titles[(layer, neuron)][1]),
                            style="rounded,filled",
                            fillcolor="#f5f8fc", color="#9fb6d1", fontsize=str(o.fontsize))
                    for name, attrs in groups[(layer, neuron)]:
                        ng.node(name, **attrs)
    refs, virtual = long_edges(nodes)
    dot.graph_attr.update(layout_budget(2 * len(nodes), virtual))
    for node in nodes:
        if not node._prev:
            continue
        op = op_node_name(node)
        local = getattr(node, "local_grads", None) if o.edge_labels else None
        for i, parent in enumerate(node._prev):
            attrs = {"id": f"{node_name(parent)}->{op}#{i}"}
            source = node_name(parent)
            if (id(parent), id(node), i) in refs:
                source = _reference(dot, parent, node, i, o, id(parent) in highlighted,
                                    id(parent) in done)
                attrs["style"] = "dashed"
            from_box, to_box = where.get(id(parent)), where.get(id(node))
            if from_box and to_box and from_box[0] != to_box[0]:
                attrs["minlen"] = "2"  # one layer's box to the next: side by side, no staircase
            if id(parent) in path and id(node) in path:
                attrs.update(color=HIGHLIGHT, penwidth="2.5")
            wants = getattr(parent, "requires_grad", True)
            if local is not None and i < len(local) and wants:
                attrs.update(label=edge_label(node, parent, local[i], o), fontcolor="#1f5fa8")
            elif o.edge_labels and local is None and wants and is_tensor(node):
                attrs.update(label=tensor_edge_label(node, i, o), fontcolor="#1f5fa8")
            dot.edge(source, op, **attrs)
        attrs = {"id": f"{op}->{node_name(node)}"}
        if id(node) in path:
            attrs.update(color=HIGHLIGHT, penwidth="2.5")
        dot.edge(op, node_name(node), **attrs)
    if refs:
        return [f"{len(refs)} long arrows are drawn from dashed copies of their value "
                f"(kept the layout fast)"]
    return []


def _reference(dot: graphviz.Digraph, parent: Any, node: Any, i: int, o: Options,
               is_highlighted: bool, is_done: bool) -> str:
    """A dashed copy of ``parent`` next to ``node``'s op, standing for a long arrow."""
    name = f"{node_name(parent)}_ref_{node_name(node)}_{i}"
    record = {"label": record_label(parent, o, is_highlighted, is_done), "shape": "none"}
    dot.node(name, **dashed_copy(record, name, "value"))
    return name


FORMATS = {"svg", "png", "pdf", "dot", "gv"}


def output_format(path: str | Path) -> str:
    """The format ``render_graph`` writes to ``path``: its extension, one of FORMATS."""
    fmt = Path(path).suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(
            f"render_graph: cannot tell the format of {str(path)!r}; use one of the "
            f"extensions {', '.join('.' + f for f in sorted(FORMATS))}"
        )
    return fmt


def render_graph(root: Any, path: str | Path, *, dpi: int = 150, timeout: float = 120.0,
                 max_px: int | None = None, **draw_kwargs: Any) -> Path:
    """Draw ``root`` (or an already drawn Digraph) to ``path``; the format is its extension.

    ``.dot``/``.gv`` write the Graphviz source and need no ``dot`` program; ``.svg``, ``.png``
    and ``.pdf`` run ``dot`` and raise GraphvizNotFoundError, saying how to install
    Graphviz, when it is missing. PNGs are rendered at ``dpi`` (150: sharp on a slide) and,
    with ``max_px``, scaled down (never up) so that neither side exceeds ``max_px`` pixels.
    ``dot`` is stopped after ``timeout`` seconds (TimeoutError), so rendering never hangs.
    The file is replaced whole or not at all: a failed write keeps the previous file and
    raises an OSError naming ``path``.
    """
    path = Path(path)
    fmt = output_format(path)
    graph = root if isinstance(root, graphviz.Digraph) else draw_graph(root, **draw_kwargs)
    if fmt in ("dot", "gv"):
        return write_file(path, graph.source)
    if fmt == "png" and max_px:
        graph = graph.copy()  # Graphviz's size= shrinks a larger drawing to fit (in inches)
        graph.graph_attr["size"] = f"{max_px / dpi:.3f},{max_px / dpi:.3f}"
    data = run_dot(graph, fmt, dpi=dpi if fmt == "png" else None, timeout=timeout,
                   what=str(path))
    return write_file(path, data)
