"""How one value, operation, edge and the legend look: Graphviz HTML-like labels.

A value is a record, label | data | grad (``record='stacked'``: the label above data | grad);
an operation is a small circle with its symbol. Names are a contract with the stepper and
the HTML explorer: ``node_name(v) == f"n{id(v)}"`` for a value, ``op_node_name(v)`` for the op
that made it; they are also the ``id`` attributes of the ``<g>`` elements in the SVG.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import graphviz

from ..core.ops import op_symbol
from .format import (GRAD_COLORS, ZERO_GRAD_COLOR, dot_html, dot_text, format_lines,
                         grad_color, grad_magnitude, group_label, pretty_label, shape_of)
from .rules import matrix_rule
from .cells import MAX_ELEMENTS, is_tensor, tensor_record

FONT = "Helvetica"
PALE_TEXT = "#9a9a9a"
HIGHLIGHT = "#d62728"
PROCESSED = "#1f5fa8"
PROCESSED_FILL = "#dceaf7"


def node_name(node: Any) -> str:
    """The Graphviz (and SVG id) name of a value node."""
    return f"n{id(node)}"


def op_node_name(node: Any) -> str:
    """The Graphviz (and SVG id) name of the op node that produced ``node``."""
    return f"n{id(node)}_op"


@dataclass(frozen=True)
class Options:
    """The drawing options every node needs."""

    show_data: bool
    show_grad: bool
    precision: int
    color: bool
    edge_labels: bool
    fontsize: int
    pretty: bool
    record: str
    max_elements: int = MAX_ELEMENTS  # Tensors up to this size show every entry
    names: dict | None = None  # id(node) → (name to show, made up?) for Tensor graphs
    root_name: str = "L"  # the L of ∂L/∂P in Tensor edge rules


def record_label(node: Any, o: Options, is_highlighted: bool, is_done: bool) -> str:
    """The HTML-like label of a value: one row of cells, label | data | grad.

    A Tensor is drawn by ``cells.tensor_record`` (shape, dtype, matrices).
    """
    if is_tensor(node):
        name, generated = (o.names or {}).get(id(node), ("", False))
        return tensor_record(node, o, is_highlighted, is_done, name=name, generated=generated,
                             max_elements=o.max_elements,
                             colors=("#444444", HIGHLIGHT, PROCESSED, PROCESSED_FILL))
    label = getattr(node, "label", "") or ""
    shown = pretty_label(label) if o.pretty else label
    data = getattr(node, "data", None)
    shape = shape_of(data)
    grad = getattr(node, "grad", None)
    wants_grad = getattr(node, "requires_grad", True)
    mag = grad_magnitude(grad) if wants_grad else None
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
            t = dot_html(line)
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


def edge_label(node: Any, parent: Any, local: Any, o: Options) -> str:
    value = " ".join(format_lines(local, o.precision))
    out_label = getattr(node, "label", "") or ""
    in_label = getattr(parent, "label", "") or ""
    if out_label and in_label:
        if o.pretty:
            out_label, in_label = pretty_label(out_label), pretty_label(in_label)
        return dot_text(f"∂{group_label(out_label)}/∂{group_label(in_label)} = {value}")
    return dot_text(value)


def tensor_edge_label(node: Any, i: int, o: Options) -> str:
    """``∂L/∂W = ∂L/∂Z · Xᵀ``: input ``i``'s backward rule in matrix form (``rules``)."""
    names = o.names or {}

    def name_of(n: Any) -> str:
        shown = names.get(id(n), (getattr(n, "label", "") or "?", False))[0]
        return pretty_label(shown) if o.pretty else shown

    root = pretty_label(o.root_name) if o.pretty else o.root_name
    rule = matrix_rule(node, i, name_of, root)
    return dot_text(f"∂{group_label(root)}/∂{group_label(name_of(node._prev[i]))} = {rule.text}")


def op_circle(node: Any, o: Options, highlighted: bool = False) -> dict[str, str]:
    """The attributes of a node's op: a circle with the op's symbol (pink when on a
    highlighted path)."""
    symbol = op_symbol(node._op) or "?"
    return {"label": dot_text(symbol), "shape": "circle", "style": "filled",
            "fillcolor": "#fde0dd" if highlighted else "#eeeeee",
            "color": HIGHLIGHT if highlighted else "#666666", "margin": "0.02",
            "ordering": "in", "id": op_node_name(node), **op_size(symbol, o.fontsize)}


def dashed_copy(attrs: dict[str, str], name: str, what: str) -> dict[str, str]:
    """The attributes of a dashed copy of a drawn value or box (``what``), standing for a
    long arrow: a value's record (shape none) gets a dashed frame, a box a dashed border."""
    copy = dict(attrs, id=name, color="#888888",
                tooltip=f"the same {what} as the one drawn earlier (a long arrow, shortened)")
    if attrs["shape"] == "none":
        copy.update(shape="box", style="dashed,rounded", margin="0.04")
    else:
        copy["style"] = "rounded,filled,dashed"
    return copy


def op_size(symbol: str, fontsize: int) -> dict:
    """Short symbols in equal circles (thin ones like · × − + drawn larger); words fit."""
    if len(symbol) > 2:
        return {"fontsize": str(fontsize), "width": "0.4", "height": "0.4"}
    bump = 6 if symbol in ("·", "×", "−", "+", "÷") else 2
    return {"fontsize": str(fontsize + bump), "width": "0.5", "height": "0.5",
            "fixedsize": "true"}


def draw_legend(dot: graphviz.Digraph, o: Options, highlighted: bool, done: bool) -> None:
    rows = []
    if o.color and o.show_grad:
        entries = [(c, t) for _, c, t in GRAD_COLORS] + [ZERO_GRAD_COLOR]
        for color, text in entries:
            if o.names is not None:  # a Tensor graph: coloured by the norm of its grad
                text = text.replace("|grad|", "‖grad‖")
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
