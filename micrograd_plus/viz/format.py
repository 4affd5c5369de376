"""Numbers and labels as every view shows them, and the fill colour of a gradient.

One number formatter for the graphs, the stepper, ``explain``, the explorer and the
examples' tables (``format_number``), written as a teacher writes numbers, with one minus
sign (−): whole numbers and short values in full (``245000``, ``−3500``, ``0.5``), longer
values rounded to ``precision`` decimals (``0.7071``), tiny or huge ones in scientific
notation (``1.9e−12``, ``1.235e7``). Arrays: every entry when small, else mean and norm.
Labels: ``w^(1)_12`` is shown ``w⁽¹⁾₁₂``; an unlabelled node is named after its op
(``node_names``: ``mul2``, ``tanh1``), the same in every view.
"""

from __future__ import annotations

import html
import math
import numbers
import re
from typing import Any

import graphviz
import numpy as np

from ..core.ops import op_word

# (smallest |grad| of the bin, fill colour, legend text); pale = small gradient
GRAD_COLORS: list[tuple[float, str, str]] = [
    (1.0, "#f9844a", "|grad| ≥ 1"),
    (1e-2, "#fcb27b", "10⁻² ≤ |grad| < 1"),
    (1e-4, "#fdd6b0", "10⁻⁴ ≤ |grad| < 10⁻²"),
    (1e-8, "#fdeedf", "10⁻⁸ ≤ |grad| < 10⁻⁴"),
    (0.0, "#f7f7f7", "0 < |grad| < 10⁻⁸  vanishing"),
]
ZERO_GRAD_COLOR = ("#ffffff", "grad = 0, or no grad")


def check_precision(precision: Any, who: str) -> None:
    """A clear error for a ``precision`` that ``format_number`` cannot use (before any cell)."""
    if isinstance(precision, bool) or not isinstance(precision, int) or precision < 0:
        raise ValueError(f"{who}: precision must be an int >= 0, got {precision!r}")


MINUS = "−"  # U+2212, the one minus sign of every view
FULL_DIGITS = 7  # never more significant digits than this for a small value shown in full
MAX_SHOWN = 16  # arrays up to this many entries are written out in full (as in the graphs)


def format_number(x: float, precision: int = 4) -> str:
    """A number as a teacher writes it; ``precision`` decimals when it must be rounded.

    - nan, ∞, −∞ as such; zero (and −0) as ``0``;
    - whole numbers below 10⁷ and values that need at most ``precision`` decimals in full,
      without trailing zeros (up to float noise: 0.1 + 0.2 is ``0.3``): ``245000``,
      ``−3500``, ``1250``, ``0.5``, ``12345.6``;
    - other values with 10^-(precision-1) <= |x| < 10⁷ rounded to ``precision`` decimals,
      the zeros kept to show that it was rounded: ``0.7071``, ``0.0143``, ``2.0000``;
    - smaller ones down to 10⁻⁴ in full when they have at most ``precision`` (and 7)
      significant digits (``0.00012``);
    - the rest in scientific notation with ``precision`` significant digits: ``1.9e−12``,
      ``1.235e7``.
    """
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "∞" if x > 0 else MINUS + "∞"
    a = abs(x)
    if a == 0.0:
        return "0"
    if a < 1e7:
        rounded = round(x, precision)
        if rounded != 0.0 and math.isclose(rounded, x, rel_tol=1e-12):
            text = f"{rounded:.{precision}f}"
            if "." in text:
                text = text.rstrip("0").rstrip(".")
            return text.replace("-", MINUS)
        if a >= 10.0 ** -(precision - 1):
            return f"{x:.{precision}f}".replace("-", MINUS)
        # small but short (0.00012): in full, not 1.2e−4, if its digits fit the precision
        short = f"{x:.{max(1, min(precision, FULL_DIGITS))}g}"
        if a >= 1e-4 and "e" not in short and math.isclose(float(short), x, rel_tol=1e-12):
            return short.replace("-", MINUS)
    mantissa, exponent = f"{x:.{max(precision - 1, 0)}e}".split("e")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}".replace("-", MINUS)


def format_value(x: Any, precision: int = 4) -> str:
    """A number, or a small array on one line (``[[3, −0.5], [0.3333, 2]]``); ``—`` for None.

    Arrays of more than ``MAX_SHOWN`` entries are named by their shape (``3×5 array``).
    """
    if x is None:
        return "—"
    if isinstance(x, bool) or not isinstance(x, (numbers.Real, np.ndarray)):
        return str(x)
    a = np.asarray(x, dtype=float)
    if a.ndim == 0:
        return format_number(float(a), precision)
    if a.size > MAX_SHOWN:
        return "×".join(map(str, a.shape)) + " array"

    def nest(part: np.ndarray) -> str:
        if part.ndim == 1:
            return "[" + ", ".join(format_number(float(v), precision) for v in part) + "]"
        return "[" + ", ".join(nest(row) for row in part) + "]"

    return nest(a)


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


def shape_of(x: Any) -> tuple | None:
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


def group_label(label: str) -> str:
    """A label as a symbol in ∂·/∂·: ``t − y`` → ``(t − y)``; ``w_1``, ``(t − y)²`` stay.

    Brackets a label with an operator or a space outside its parenthesised parts, so
    ``∂(t − y)/∂y`` reads right.
    """
    outside = label
    while True:  # drop innermost parenthesised parts
        inner = re.sub(r"\([^()]*\)", "", outside)
        if inner == outside:
            break
        outside = inner
    return f"({label})" if re.search(r"[\s+\-−*/·×]", outside) else label


def grad_magnitude(grad: Any) -> float | None:
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


# ---- text shown as written ----------------------------------------------------------------

_NAMED_CONTROLS = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}
# bidirectional overrides and isolates: they reorder what a terminal or a page shows
_BIDI = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))


def visible(text: str) -> str:
    """``text`` with control characters written as escapes: ``a\\nb``, ``\\x1b[31m``.

    Every view shows labels and op names through this, so a label stays on one line and
    cannot move the cursor, colour a terminal or reorder text (bidi overrides).
    """
    text = str(text)
    if text.isprintable() and not any(ord(c) in _BIDI for c in text):
        return text
    out = []
    for c in text:
        code = ord(c)
        if c in _NAMED_CONTROLS:
            out.append(_NAMED_CONTROLS[c])
        elif code < 0x20 or 0x7F <= code <= 0x9F:
            out.append(f"\\x{code:02x}")
        elif code in _BIDI:
            out.append(f"\\u{code:04x}")
        else:
            out.append(c)
    return "".join(out)


# Graphviz writes "&amp;" in a label to the SVG as it is (it takes it for an entity), so a
# browser shows "&": an invisible word joiner after such an "&" keeps it as written.
_ENTITY_LIKE = re.compile(r"&(?=#?[0-9A-Za-z]+;)")
WORD_JOINER = "\u2060"


def dot_html(text: str) -> str:
    """``text`` inside a Graphviz HTML-like label, shown as written.

    HTML's special characters become entities, and backslashes are doubled: Graphviz
    expands ``\\N`` (the node's name), ``\\G`` and the like even in HTML-like labels.
    """
    shown = _ENTITY_LIKE.sub("&" + WORD_JOINER, visible(text))
    return html.escape(shown, quote=True).replace("\\", "\\\\")


def dot_text(text: str, lines: bool = False) -> str:
    """``text`` as a plain Graphviz label (an edge label, a title), shown as written.

    Backslashes are doubled so ``\\N``, ``\\l`` and ``\\G`` are not expanded, and the
    result is marked as not HTML, so ``<b>`` stays text. With ``lines``, newlines in
    ``text`` break lines (titles); otherwise they show as ``\\n``.
    """
    parts = str(text).split("\n") if lines else [str(text)]
    parts = [_ENTITY_LIKE.sub("&" + WORD_JOINER, visible(p)) for p in parts]
    return graphviz.nohtml("\\n".join(graphviz.escape(p) for p in parts))


def node_names(order: list, root: Any) -> dict:
    """A display name per node: its label, else an op-based name (``leaf1``, ``mul2``)."""
    names: dict = {}
    counters: dict[str, int] = {}
    for node in order:
        label = getattr(node, "label", "")
        if label:
            names[node] = label
            continue
        if node is root:
            names[node] = "L"
            continue
        word = _op_word(node._op)
        counters[word] = counters.get(word, 0) + 1
        names[node] = f"{word}{counters[word]}"
    return names


def _op_word(op: str) -> str:
    """A name for an unlabeled result in formulas and tables (``mul2``), from the op table."""
    if not op:
        return "leaf"
    word = op_word(op)
    return word.lower() if word.isidentifier() else "op"
