"""How a Tensor looks in a graph: label, shape and dtype over its data and grad as matrices.

A small tensor (at most ``max_elements`` entries) shows every entry, laid out in rows and
columns between brackets: a matrix as a matrix, a vector as one row, a higher-dimensional
array as the rows of its last two axes stacked. A larger one shows min / max / mean and the
norm ‖·‖ of its data and grad. The gradient colour of a Tensor is that of its grad's norm.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .format import dot_html, format_number, format_value, grad_color, node_names, pretty_label

__all__ = ["tensor_record", "tensor_names", "cell_lines", "constant_name", "is_tensor",
           "grad_norm", "check_max_elements", "MAX_ELEMENTS"]

MAX_ELEMENTS = 16  # tensors up to this many entries show every entry


def is_tensor(node: Any) -> bool:
    """A node whose data is a numpy array (a Tensor), as opposed to a Value's float."""
    return isinstance(getattr(node, "data", None), np.ndarray)


def check_max_elements(max_elements: Any) -> None:
    """A clear error for a ``max_elements`` that is not a count."""
    if isinstance(max_elements, bool) or not isinstance(max_elements, int) or max_elements < 0:
        raise ValueError(f"draw_graph: max_elements must be an int >= 0, got {max_elements!r}")


def tensor_names(nodes: list, root: Any, model: Any = None) -> tuple[dict, str]:
    """id(node) → (name to show, made up?) and the root's name, for a Tensor graph.

    A model's Tensor parameters are named as in ``model.named_parameters()`` (``0.weight``,
    like torchviz's ``params=``); other nodes by their label; unlabelled nodes get the
    stepper's names (``mul1``, ``tanh2``; an unlabelled root is ``L``), constants their value.
    """
    made = node_names(nodes, root)
    names: dict[int, tuple[str, bool]] = {}
    for node in nodes:
        label = getattr(node, "label", "") or ""
        if label:
            names[id(node)] = (label, False)
        elif not node._prev and not getattr(node, "requires_grad", True):
            names[id(node)] = (constant_name(node.data), True)
        elif node in made:
            names[id(node)] = (made[node], True)
    if model is not None and callable(getattr(model, "named_parameters", None)):
        for name, p in model.named_parameters():
            if is_tensor(p):
                names[id(p)] = (name, False)
    root_name = "L"
    if root is not None:
        root_name = names.get(id(root), ("", False))[0] or getattr(root, "label", "") or "L"
    return names, root_name


def constant_name(data: Any) -> str:
    """How rules name an unlabelled constant: its value (``0.5``), or ``const`` for arrays."""
    a = np.asarray(data)
    return format_value(float(a.ravel()[0])) if a.size == 1 else "const"


def grad_norm(grad: Any) -> float | None:
    """‖grad‖ (the Frobenius norm), None without a gradient."""
    if grad is None:
        return None
    a = np.asarray(grad, dtype=float)
    return float(np.linalg.norm(a.ravel())) if a.size else 0.0


def _matrix_rows(a: np.ndarray) -> list[np.ndarray]:
    """The rows to draw: a vector is one row; higher dimensions stack their last axis' rows."""
    if a.ndim == 0:
        return [a.reshape(1)]
    if a.ndim == 1:
        return [a]
    return list(a.reshape(-1, a.shape[-1]))


def _matrix(a: np.ndarray, precision: int, head: str, small: int, color: str,
            bold: bool) -> str:
    """A nested HTML table: the caption, then the entries in rows and columns in brackets."""
    rows = _matrix_rows(a)
    ncols = len(rows[0]) if rows else 0

    def text(t: str) -> str:
        t = f'<FONT COLOR="{color}">{dot_html(t)}</FONT>'
        return f"<B>{t}</B>" if bold else t

    bracket = a.ndim >= 1  # a 0-d array is a number, no brackets
    span = ncols + 2 if bracket else ncols
    caption = (f'<TR><TD COLSPAN="{span}"><FONT POINT-SIZE="{small}">{head}</FONT>'
               "</TD></TR>")
    if a.size == 0:
        return (f'<TABLE BORDER="0" CELLSPACING="0" CELLPADDING="1">{caption}'
                f"<TR><TD>{text('[]')}</TD></TR></TABLE>")
    body = []
    for r, row in enumerate(rows):
        cells = "".join(f'<TD ALIGN="RIGHT">{text(format_number(float(v), precision))}</TD>'
                        for v in row)
        if bracket and r == 0:
            left = (f'<TD ROWSPAN="{len(rows)}" BORDER="1" SIDES="LTB" WIDTH="4" '
                    f'COLOR="{color}"></TD>')
            right = (f'<TD ROWSPAN="{len(rows)}" BORDER="1" SIDES="RTB" WIDTH="4" '
                     f'COLOR="{color}"></TD>')
            cells = left + cells + right
        body.append(f"<TR>{cells}</TR>")
    return (f'<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="3">{caption}'
            f"{''.join(body)}</TABLE>")


def cell_lines(x: Any, precision: int, max_elements: int = MAX_ELEMENTS) -> list[str]:
    """The texts of a data or grad cell in drawing order: every entry row by row, or the
    statistics lines, or ``—`` (the explorer rewrites these texts as the pass proceeds)."""
    if x is None:
        return ["—"]
    a = np.asarray(x)
    if a.size > max_elements:
        return _stats(a, precision)
    if a.size == 0:
        return ["[]"]
    return [format_number(float(v), precision) for v in a.ravel()]


def _stats(a: np.ndarray, precision: int) -> list[str]:
    """min / max / mean / ‖·‖ of a large array, two per line."""
    if a.size == 0:
        return ["[]"]
    f = np.asarray(a, dtype=float)

    def n(x: float) -> str:
        return format_number(float(x), precision)

    return [f"min {n(f.min())}   max {n(f.max())}",
            f"mean {n(f.mean())}   ‖·‖ {n(np.linalg.norm(f.ravel()))}"]


def _shape_text(node: Any) -> str:
    shape = tuple(node.data.shape)
    dims = "×".join(str(s) for s in shape) if shape else "scalar"
    return f"{dims}  {node.data.dtype}"


def tensor_record(node: Any, o: Any, is_highlighted: bool, is_done: bool, *,
                  name: str = "", generated: bool = False, max_elements: int = MAX_ELEMENTS,
                  colors: tuple[str, str, str, str] = ("#444444", "#d62728", "#1f5fa8",
                                                       "#dceaf7")) -> str:
    """The HTML-like label of a Tensor: name (label, shape, dtype) | data | grad.

    ``name`` replaces the label (a parameter's name in its model); ``generated`` marks a
    name made up for an unlabelled node (drawn grey, so the edge rules can refer to it).
    ``colors``: border, highlight border, processed border, processed fill.
    """
    border_color, highlight, processed, processed_fill = colors
    label = name or getattr(node, "label", "") or ""
    shown = pretty_label(label) if o.pretty and not generated else label
    grad = getattr(node, "grad", None)
    wants_grad = getattr(node, "requires_grad", True)
    norm = grad_norm(grad) if wants_grad else None
    fill = "white"
    if o.color and o.show_grad:
        fill = grad_color(norm)
    elif is_done:
        fill = processed_fill
    bold = is_done or is_highlighted
    small = o.fontsize - 3
    color = "black"

    def cell(inner: str, span: int = 1) -> str:
        colspan = f' COLSPAN="{span}"' if span > 1 else ""
        return f'<TD{colspan} VALIGN="MIDDLE">{inner}</TD>'

    def lines(head: str, texts: list[str]) -> str:
        body = "<BR/>".join(dot_html(t) for t in texts)
        body = f'<FONT COLOR="{color}">{body}</FONT>'
        if bold:
            body = f"<B>{body}</B>"
        return f'<FONT POINT-SIZE="{small}">{head}</FONT><BR/>{body}'

    def values(x: Any, head: str) -> str:
        if x is None:
            return lines(head, ["—"])
        a = np.asarray(x)
        if a.size <= max_elements:
            return _matrix(a, o.precision, head, small, color, bold)
        return lines(head, _stats(a, o.precision))

    numbers = []
    if o.show_data:
        numbers.append(cell(values(node.data, "data")))
    if o.show_grad:
        if not wants_grad:
            numbers.append(cell(lines("grad", ["— (no grad)"])))
        else:
            numbers.append(cell(values(grad, "grad")))
    title = []
    if shown:
        t = dot_html(shown)
        t = f'<FONT COLOR="#888888"><I>{t}</I></FONT>' if generated else t
        title.append(f"<B>{t}</B>" if bold and not generated else t)
    title.append(f'<FONT POINT-SIZE="{small}">{dot_html(_shape_text(node))}</FONT>')
    stacked = o.record == "stacked" and numbers
    name_cell = cell("<BR/>".join(title), span=len(numbers) if stacked else 1)
    if stacked:
        rows = f"<TR>{name_cell}</TR><TR>{''.join(numbers)}</TR>"
    else:
        rows = f"<TR>{name_cell}{''.join(numbers)}</TR>"
    border, line_color = "0", border_color
    if is_done:
        border, line_color = "2", processed
    if is_highlighted:
        border, line_color = "3", highlight
    return (f'<<TABLE BORDER="{border}" CELLBORDER="1" CELLSPACING="0" CELLPADDING="5" '
            f'COLOR="{line_color}" BGCOLOR="{fill}">{rows}</TABLE>>')
