"""Backprop as a sequence of still frames: the same drawing, one step of the pass per frame.

``step_frames(root)`` lists the frames: the inputs, one frame per operation of the forward
pass (inputs first), then one per step of ``BackpropStepper(root)`` (so the numbers are
``backward()``'s). ``frame_graphs(root)`` draws each frame as a ``graphviz.Digraph``:

- values not computed yet show ``data ?``; gradients not known yet show ``grad ?``; a
  gradient still collecting contributions shows its sum so far in grey italics; a finished
  gradient fills its record with the heat scale of ``draw_graph(color_by_grad=True)``;
- the current node has a thick border and its edges are drawn thick (green forward, red
  backward); the caption under the title is the step's chain-rule line(s), e.g.
  ``∂E/∂w_meat = ∂E/∂y · ∂y/∂w_meat = (−700)·(5) = −3500``.

The layout never moves: every cell of every record (and the caption) reserves the width and
height of its largest content over all frames (measured once with Graphviz), so every frame
hands ``dot`` the same node sizes and ``dot`` places everything at the same coordinates.
``animation.render_steps`` and ``animation.animate_backprop`` write the frames to files.
"""

from __future__ import annotations

import html
import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import graphviz
import numpy as np

from ..core import autograd
from ..viz import (FONT, GRAD_COLORS, HIGHLIGHT, PALE_TEXT, draw_graph, format_lines,
                  grad_color, node_name, op_node_name, pretty_label, run_dot)
from ..viz.cells import MAX_ELEMENTS, cell_lines
from ..viz.format import format_number, grad_magnitude, node_names, shape_of
from .chain import fmt, format_chain_rule, sym
from .explorer import forward_line
from .stepper import BackpropStepper


__all__ = ["Frame", "step_frames", "frame_graphs", "PASSES", "MAX_FRAME_NODES"]

PASSES = ("both", "forward", "backward")
FORWARD_COLOR = "#2ca02c"
PENDING_TEXT = "#5a6f8a"
CELL_BORDER = "#444444"
_EDGE_ID = re.compile(r'[\[ ]id="([^"]*->[^"]*)"')
# one frame per node: past this many a step-by-step sequence is no longer a lecture
MAX_FRAME_NODES = 400


@dataclass(eq=False)
class Frame:
    """What one frame shows: the step, its caption, and which numbers are known."""

    index: int  # 0-based position in the sequence
    phase: str  # 'start' (the inputs), 'forward' or 'backward'
    node: Any  # the node computed (forward) or processed (backward); None at the start
    title: str
    lines: list[str]  # the caption under the title: the step's chain-rule line(s)
    known: set[int] = field(default_factory=set)  # ids of the nodes whose data is shown
    grads: dict[int, Any] = field(default_factory=dict)  # id -> finished ∂root/∂node
    pending: dict[int, Any] = field(default_factory=dict)  # id -> sum of contributions so far
    edges: list[str] = field(default_factory=list)  # SVG ids of the current edges

    @property
    def caption(self) -> str:
        return "\n".join([self.title] + self.lines)


def _graph_nodes(root: Any) -> tuple[list, list]:
    """(every node draw_graph draws, the nodes that require grad in topological order)."""
    order = autograd.topological_order(root)
    seen = {id(n) for n in order}
    extra = []
    for node in order:
        for parent in node._prev:
            if id(parent) not in seen:
                seen.add(id(parent))
                extra.append(parent)
    return extra + order, order


def _check_root(root: Any, who: str) -> Any:
    if isinstance(root, dict) and "root" in root:  # what the examples' build() returns
        root = root["root"]
    if not isinstance(root, autograd.Node):
        raise TypeError(f"{who} needs a graph node (a Value or Tensor), got "
                        f"{type(root).__name__}")
    return root


def _check_passes(passes: Any, who: str) -> None:
    if passes not in PASSES:
        raise ValueError(f"{who}: passes must be one of {', '.join(map(repr, PASSES))}, "
                         f"got {passes!r}")


def step_frames(root: Any, passes: str = "both") -> list[Frame]:
    """The frames of the forward pass, the backward pass, or both (``passes``).

    ``'forward'``: a frame with only the leaves known, then one per operation node in
    topological order. ``'backward'``: one frame per step of ``BackpropStepper(root)``, all
    data known. ``'both'``: the forward frames, then the backward ones. No ``.grad`` changes.
    """
    root = _check_root(root, "step_frames()")
    _check_passes(passes, "step_frames()")
    stepper = BackpropStepper(root)
    nodes, order = _graph_nodes(root)
    if len(nodes) > MAX_FRAME_NODES:
        raise ValueError(
            f"step_frames(): the graph has {len(nodes)} values, more than {MAX_FRAME_NODES} "
            "frames can show readably; draw a smaller part (an intermediate node as root)"
        )
    labels = dict(stepper.names)
    frames: list[Frame] = []
    if passes in ("both", "forward"):
        computed_ids = {id(n) for n in order if n._prev}
        known = {id(n) for n in nodes if id(n) not in computed_ids}
        frames.append(Frame(0, "start", None, "Forward pass: the inputs and parameters",
                            ["The leaves hold their values; everything computed from them "
                             "is still ?."], known=set(known)))
        computed = [n for n in order if n._prev]
        for k, node in enumerate(computed, 1):
            known.add(id(node))
            frames.append(Frame(
                len(frames), "forward", node,
                f"Forward {k}/{len(computed)}: compute {labels[node]}",
                [forward_line(node, labels)], known=set(known), edges=_edge_ids(node),
            ))
    if passes in ("both", "backward"):
        _backward_frames(stepper, nodes, labels, frames)
    return frames


def _backward_frames(stepper: BackpropStepper, nodes: list, labels: dict,
                     frames: list[Frame]) -> None:
    """One frame per stepper record: the node's gradient is final and flows to its parents."""
    root = stepper.root
    everything = {id(n) for n in nodes}
    grads: dict[int, Any] = {}
    pending: dict[int, Any] = {}
    received: dict[int, list[str]] = {}
    r = sym(labels[root])
    steps = stepper.steps
    for k, step in enumerate(steps, 1):
        node = step.node
        grads[id(node)] = step.grad
        pending.pop(id(node), None)
        partial = f"∂{r}/∂{sym(step.label)}"
        lines = []
        if node is root:
            lines.append(f"{partial} = 1: the seed of the backward pass")
        incoming = received.get(id(node), [])
        if len(incoming) > 1:
            lines.append(f"{partial} = sum of the {len(incoming)} contributions it received "
                         f"= {fmt(step.grad)}")
        for parent in step.parents:
            line = format_chain_rule(step, parent)
            lines.append(line)
            received.setdefault(id(parent.node), []).append(line)
            if id(parent.node) not in grads:
                pending[id(parent.node)] = parent.sum_so_far
        if not node._prev:
            lines = incoming[-1:] + [f"{step.label} is a leaf: {partial} = {fmt(step.grad)} "
                                     "is final"]
        frames.append(Frame(
            len(frames), "backward", node,
            f"Backward {k}/{len(steps)}: {partial} = {fmt(step.grad)}", lines,
            known=set(everything), grads=dict(grads), pending=dict(pending),
            edges=_edge_ids(node, [p.position for p in step.parents]),
        ))


def _edge_ids(node: Any, inputs: list[int] | None = None) -> list[str]:
    """The SVG ids draw_graph gives the edges of ``node``'s operation: op → node, and
    input → op for the inputs at positions ``inputs`` (default: all)."""
    if not node._prev:
        return []
    op = op_node_name(node)
    positions = range(len(node._prev)) if inputs is None else inputs
    return [f"{op}->{node_name(node)}"] + [f"{node_name(node._prev[i])}->{op}#{i}"
                                           for i in positions]


# -- drawing ---------------------------------------------------------------------------------

@dataclass
class _Style:
    precision: int
    fontsize: int
    pretty: bool
    record: str
    max_elements: int = MAX_ELEMENTS


def frame_graphs(root: Any, passes: str = "both", *, title: str | None = None,
                 legend: bool = True, **draw_options: Any) -> list[graphviz.Digraph]:
    """One ``graphviz.Digraph`` per frame of ``step_frames(root, passes)``, same layout.

    ``draw_options`` go to ``draw_graph`` (``rankdir``, ``precision``, ``edge_labels``,
    ``record``, ``fontsize``, ``model``, ...); ``title`` is a fixed first caption line;
    ``legend`` adds a row under the caption explaining the colours.
    Each Digraph shows inline in Jupyter.
    """
    root = _check_root(root, "frame_graphs()")
    for fixed in ("show_data", "show_grad", "color_by_grad", "highlight", "processed",
                  "highlight_path_to", "collapse"):
        if fixed in draw_options:
            raise TypeError(f"frame_graphs() draws every step itself; drop {fixed}=")
    frames = step_frames(root, passes)
    nodes, order = _graph_nodes(root)
    names = node_names(order, root)  # what the captions call unlabelled nodes
    style = _Style(draw_options.get("precision", 4), draw_options.get("fontsize", 14),
                   draw_options.get("pretty_labels", True), draw_options.get("record", "row"),
                   draw_options.get("max_elements", MAX_ELEMENTS))
    base = draw_graph(root, show_data=True, show_grad=True, legend=False, collapse=False,
                      **draw_options)
    cells = [_frame_cells(nodes, f, style) for f in frames]
    captions = [_caption_text(title, f, style) for f in frames]
    sizes = _measure(cells, captions, style)
    graphs = []
    for frame, frame_cells, caption in zip(frames, cells, captions):
        graph = base.copy()
        rows = f'<TR>{_td(caption, sizes["caption"], align="LEFT")}</TR>'
        if legend:
            rows += f'<TR><TD ALIGN="LEFT">{_legend(style, sizes["legend"])}</TD></TR>'
        graph.attr(label=f'<<TABLE BORDER="0" CELLPADDING="2">{rows}</TABLE>>',
                   labelloc="t", labeljust="l")
        for node in nodes:
            graph.node(node_name(node),
                       label=_record(node, frame, frame_cells[id(node)], sizes, style,
                                     names.get(node, "")))
            if node._prev:
                graph.node(op_node_name(node), **_op_style(node, frame))
        _edit_edges(graph, frame, nodes)
        graphs.append(graph)
    return graphs


def _legend(style: _Style, size: tuple[int, int] | None = None) -> str:
    """One row: the current step's colours, the heat scale of finished gradients, ? and
    a sum so far. The same in every frame, so it never moves anything. ``size`` fixes it
    at its natural size (Graphviz would stretch it to the caption's width)."""
    small = style.fontsize - 3

    def entry(swatch: str, text: str) -> str:
        return (f'{swatch}<TD ALIGN="LEFT"><FONT POINT-SIZE="{small}">{html.escape(text)}'
                "</FONT></TD>")

    def box(fill: str, border: str = CELL_BORDER, width: int = 1) -> str:
        return (f'<TD BGCOLOR="{fill}" COLOR="{border}" BORDER="{width}" WIDTH="14" '
                'HEIGHT="10"> </TD>')

    cells = [entry(box("white", FORWARD_COLOR, 2), "forward"),
             entry(box("white", HIGHLIGHT, 2), "backward"),
             f'<TD><FONT POINT-SIZE="{small}">   |grad|:</FONT></TD>']
    cells += [entry(box(color), _bin_text(text)) for _, color, text in GRAD_COLORS]
    pending = (f'<TD><FONT POINT-SIZE="{small}" COLOR="{PENDING_TEXT}"><I>−1.5</I>'
               "</FONT></TD>")
    unknown = f'<TD><FONT POINT-SIZE="{small}" COLOR="{PALE_TEXT}">?</FONT></TD>'
    cells += [entry(pending, "sum so far"), entry(unknown, "not yet known")]
    fixed = (f' FIXEDSIZE="TRUE" WIDTH="{size[0]}" HEIGHT="{size[1]}"' if size else "")
    return (f'<TABLE ALIGN="LEFT" BORDER="0" CELLBORDER="0" CELLSPACING="3" CELLPADDING="1"{fixed}>'
            f'<TR>{"".join(cells)}</TR></TABLE>')


def _bin_text(text: str) -> str:
    """A heat-scale bin in a few characters: ``10⁻² ≤ |grad| < 1`` → ``≥ 10⁻²``."""
    if text.startswith("|grad| ≥"):
        return "≥ " + text.split("≥ ")[1]
    if text.startswith("0 <"):
        return "< " + text.split("< ")[-1].split()[0]
    return "≥ " + text.split(" ≤")[0]


def _frame_cells(nodes: list, frame: Frame, style: _Style) -> dict[int, tuple[str, str, str]]:
    """id -> (data cell text, grad cell text, record fill) of every value in this frame."""
    out = {}
    for node in nodes:
        if id(node) in frame.known:
            data = _lines(_number_lines(node.data, style), "data", style)
        else:
            data = _lines(["?"], "data", style, color=PALE_TEXT)
        fill = "white"
        if not getattr(node, "requires_grad", True):
            grad = _lines(["—"], "grad", style)
        elif id(node) in frame.grads:
            g = frame.grads[id(node)]
            grad = _lines(_number_lines(g, style), "grad", style)
            fill = grad_color(grad_magnitude(g))
        elif id(node) in frame.pending:
            so_far = _number_lines(frame.pending[id(node)], style)
            grad = _lines(so_far, "grad", style, color=PENDING_TEXT, italic=True)
        else:
            grad = _lines(["?"], "grad", style, color=PALE_TEXT)
        out[id(node)] = (data, grad, fill)
    return out


def _number_lines(x: Any, style: _Style) -> list[str]:
    """A number, or an array's rows ``[a, b]`` when it has at most ``max_elements`` entries
    (as draw_graph shows a Tensor), else its statistics."""
    if isinstance(x, np.ndarray) and x.ndim >= 1 and 0 < x.size <= style.max_elements:
        rows = x.reshape(-1, x.shape[-1]).astype(float, copy=False)
        return ["[" + ", ".join(format_number(float(v), style.precision) for v in row) + "]"
                for row in rows]
    if isinstance(x, np.ndarray) and x.size > style.max_elements:
        return cell_lines(x, style.precision, style.max_elements)
    return format_lines(x, style.precision)


def _lines(lines: list[str], head: str, style: _Style, *, color: str = "black",
           italic: bool = False) -> str:
    """The HTML of a data or grad cell: a small head word, then the lines."""
    parts = [html.escape(line) for line in lines]
    parts[0] = f'<FONT POINT-SIZE="{style.fontsize - 3}">{head}</FONT> {parts[0]}'
    body = "<BR/>".join(parts)
    if italic:
        body = f"<I>{body}</I>"
    return f'<FONT COLOR="{color}">{body}</FONT>'


def _caption_text(title: str | None, frame: Frame, style: _Style) -> str:
    first = f"<B>{html.escape(title)}</B><BR ALIGN=\"LEFT\"/>" if title else ""
    show = pretty_label if style.pretty else str
    lines = "".join(f'{html.escape(show(line))}<BR ALIGN="LEFT"/>' for line in frame.lines)
    return (f'{first}<FONT POINT-SIZE="{style.fontsize + 2}"><B>'
            f'{html.escape(show(frame.title))}</B></FONT><BR ALIGN="LEFT"/>{lines}')


def _td(text: str, size: tuple[int, int] | None = None, *, span: int = 1,
        align: str = "CENTER", color: str | None = None) -> str:
    attrs = f' COLSPAN="{span}"' if span > 1 else ""
    if color:
        attrs += f' COLOR="{color}"'  # a cell's border is the table's colour unless set
    if size:
        attrs += f' WIDTH="{size[0]}" HEIGHT="{size[1]}"'
    if align != "CENTER":
        attrs += f' ALIGN="{align}" BALIGN="{align}"'
    return f"<TD{attrs}>{text}</TD>"


def _measure(cells: list[dict], captions: list[str], style: _Style) -> dict:
    """The largest width and height (points) each data/grad cell and the caption takes.

    Every distinct cell content is laid out once by ``dot -Tjson`` as a one-cell table.
    """
    variants: dict[str, str] = {}  # markup -> measuring node name
    keys: dict[Any, set[str]] = {}
    for frame_cells in cells:
        for nid, (data, grad, _) in frame_cells.items():
            keys.setdefault((nid, "data"), set()).add(data)
            keys.setdefault((nid, "grad"), set()).add(grad)
    keys["caption"] = set(captions)
    graph = graphviz.Digraph(node_attr={"fontname": FONT, "fontsize": str(style.fontsize),
                                        "shape": "none", "margin": "0"})
    for key, texts in keys.items():
        for text in texts:
            if text not in variants:
                variants[text] = f"m{len(variants)}"
                align = "LEFT" if key == "caption" else "CENTER"
                cellborder = "0" if key == "caption" else "1"
                graph.node(variants[text],
                           label=f'<<TABLE BORDER="0" CELLBORDER="{cellborder}" '
                                 f'CELLSPACING="0" CELLPADDING="{_padding(key)}">'
                                 f"<TR>{_td(text, align=align)}</TR></TABLE>>")
    graph.node("legend", label=f"<{_legend(style)}>")
    layout = json.loads(run_dot(graph, "json", what="the frames' cell sizes"))
    measured = {obj["name"]: (float(obj["width"]) * 72, float(obj["height"]) * 72)
                for obj in layout.get("objects", [])}
    sizes: dict[Any, tuple[int, int]] = {}
    for key, texts in keys.items():
        w = max(measured[variants[t]][0] for t in texts)
        h = max(measured[variants[t]][1] for t in texts)
        sizes[key] = (math.ceil(w) + 1, math.ceil(h) + 1)
    sizes["legend"] = tuple(math.ceil(v) for v in measured["legend"])
    return sizes


def _padding(key: Any) -> str:
    return "2" if key == "caption" else "5"


def _record(node: Any, frame: Frame, cell: tuple[str, str, str], sizes: dict,
            style: _Style, generated: str = "") -> str:
    """A value's record: label | data | grad, each cell as large as it ever gets."""
    data, grad, fill = cell
    data_size, grad_size = sizes[(id(node), "data")], sizes[(id(node), "grad")]
    height = max(data_size[1], grad_size[1])
    numbers = (_td(data, (data_size[0], height), color=CELL_BORDER)
               + _td(grad, (grad_size[0], height), color=CELL_BORDER))
    label = getattr(node, "label", "") or ""
    shown = pretty_label(label) if style.pretty else label
    name_lines = [html.escape(shown)] if shown else []
    shape = shape_of(node.data)
    if not label and shape and generated:  # an unlabelled Tensor: the stepper's name, grey
        name_lines = [f'<FONT COLOR="#666666">{html.escape(generated)}</FONT>']
    if shape:
        name_lines.append("×".join(str(s) for s in shape))
    if style.record == "stacked" and name_lines:
        name = _td("<BR/>".join(name_lines), span=2, color=CELL_BORDER)
        rows = f"<TR>{name}</TR><TR>{numbers}</TR>"
    else:
        name = _td("<BR/>".join(name_lines), color=CELL_BORDER) if name_lines else ""
        rows = f"<TR>{name}{numbers}</TR>"
    current = frame.node is node
    color = (FORWARD_COLOR if frame.phase == "forward" else HIGHLIGHT) if current else "transparent"
    # the border that marks the current node is always there (transparent when not current), so
    # the record's size never changes; it wraps the cells so it never covers their lines
    cells = (f'<TABLE BORDER="0" CELLBORDER="1" CELLSPACING="0" CELLPADDING="5" '
             f'BGCOLOR="{fill}">{rows}</TABLE>')
    return (f'<<TABLE BORDER="3" CELLBORDER="0" CELLSPACING="0" CELLPADDING="0" '
            f'COLOR="{color}"><TR><TD>{cells}</TD></TR></TABLE>>')


def _op_style(node: Any, frame: Frame) -> dict:
    """The op circle: pale while its result is unknown, coloured while it is the step."""
    if frame.node is node:
        color = FORWARD_COLOR if frame.phase == "forward" else HIGHLIGHT
        fill = "#dff2df" if frame.phase == "forward" else "#fde0dd"
        return {"color": color, "fillcolor": fill, "penwidth": "2.5"}
    if id(node) not in frame.known:
        return {"color": "#bbbbbb", "fontcolor": PALE_TEXT, "fillcolor": "#f7f7f7"}
    return {}


def _edit_edges(graph: graphviz.Digraph, frame: Frame, nodes: list) -> None:
    """Thick coloured edges for the current step; local derivatives (edge labels) hidden
    until the operation has run. Edge lines are found by their SVG id."""
    color = FORWARD_COLOR if frame.phase == "forward" else HIGHLIGHT
    extra = {e: f'color="{color}" penwidth=2.5' for e in frame.edges}
    for node in nodes:
        if node._prev and id(node) not in frame.known:
            for e in _edge_ids(node)[1:]:
                extra[e] = extra.get(e, "") + ' fontcolor="transparent"'
    if not extra:
        return
    for i, line in enumerate(graph.body):
        found = _EDGE_ID.search(line)
        stripped = line.rstrip()
        if found and found.group(1) in extra and stripped.endswith("]"):
            graph.body[i] = f"{stripped[:-1]} {extra[found.group(1)]}]\n"
