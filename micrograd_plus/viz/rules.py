"""Each Tensor op's backward rule in matrix form, as graphs and the stepper write it.

For a result Z of an op and one of its inputs P, ``matrix_rule`` gives the right-hand side
of ∂L/∂P written with the upstream gradient G = ∂L/∂Z and the op's operands:

    Z = W @ X      ∂L/∂W = ∂L/∂Z · Xᵀ          ∂L/∂X = Wᵀ · ∂L/∂Z
    Z = A + b      ∂L/∂b = Σ_cols ∂L/∂Z        (b of shape 2×1 broadcast over Z's columns)
    A = σ(Z)       ∂L/∂Z = ∂L/∂A ⊙ A ⊙ (1 − A)

(⊙, ⊘: elementwise product and quotient; Σ_rows sums over the rows, i.e. along axis 0 of a
matrix, Σ_cols along its last axis.) A broadcast input gets the rule summed over the axes
it was stretched along, found by comparing its shape with the result's.

Besides the text, a rule lists its terms (operators as text, operands as arrays, ``GRAD`` for
∂L/∂Z), so the stepper can print the same line with the actual matrices. The templates are
the op table's ``matrix`` field (``core.ops``); for an elementwise op the numbers are the
table's own local derivatives, so a rule shown is the rule the backward pass runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
import re
from typing import Any, Callable

import numpy as np

from ..core.mathspace import ARRAYS, quiet
from ..core.ops import OPS, op_for, op_rule, op_symbol
from .format import group_label

__all__ = ["MatrixRule", "GRAD", "matrix_rule", "reduced_axes", "sum_name", "RULE_OPS"]

GRAD = object()  # stands for the upstream gradient ∂L/∂Z in a rule's terms


@dataclass
class MatrixRule:
    """``text``: ∂L/∂P's right-hand side; ``terms``: the same with arrays (None: text only)."""

    text: str
    terms: list | None = field(default=None)


_TOKEN = re.compile(r"\{(\w+(?:-1)?)\}(ᵀ|\^\{k-1\})?")
_INPUTS = "abc"  # {a}, {b}, {c}: the op's inputs in order
# the operators a rule's terms may hold, so that its numbers can be worked out (tests do)
_ARITHMETIC = {"", " · ", "(", ")ᵀ · ", ")ᵀ", " ⊙ "}


def _t(name: str) -> str:
    """The transpose of a named matrix: ``Xᵀ``, ``(a + b)ᵀ``; the transpose of ``xᵀ`` is x."""
    if name.endswith("ᵀ") and group_label(name[:-1]) == name[:-1]:
        return name[:-1]
    return f"{group_label(name)}ᵀ"


def _number(x: Any) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _transpose(x: np.ndarray) -> np.ndarray:
    """xᵀ of a matrix; a 1-D vector is shown as it is (numpy does not tell rows from columns)."""
    return x.T if x.ndim == 2 else x


class _Edge:
    """What a template reads: the names and data of the result and of the op's inputs."""

    def __init__(self, node: Any, i: int, name_of: Callable[[Any], str], g: str) -> None:
        self.node, self.i, self.g = node, i, g
        self.z = name_of(node)
        self.names = [name_of(p) for p in node._prev]
        self.data = [np.asarray(p.data) for p in node._prev]
        self.params = dict(node._args or {}) if isinstance(node._args, dict) else {}

    def text(self, key: str, suffix: str | None) -> str:
        """The text of one ``{key}`` of a template (with its ``ᵀ`` or ``^{k-1}``)."""
        if key == "G":
            return f"({self.g})ᵀ" if suffix == "ᵀ" else self.g
        if key == "z" or key in _INPUTS:
            name = self.z if key == "z" else self.names[_INPUTS.index(key)]
            if suffix == "ᵀ":
                return _t(name)
            if suffix == "^{k-1}":
                k = float(self.params["k"])
                return group_label(name) if k - 1 == 1 else f"{group_label(name)}^{_number(k - 1)}"
            return group_label(name)
        if key == "shape":
            return _shape(self.data[self.i].shape)
        if key == "i":
            return str(self.i + 1)
        if key == "n":
            return str(self.data[0].size // max(np.size(self.node.data), 1))
        return _number(self.params[key]) if key in self.params else f"{{{key}}}"

    def value(self, key: str, suffix: str | None) -> Any:
        """The array behind one ``{key}`` of a template, for the numbers of a rule."""
        if key == "G":
            return GRAD
        data = self.node.data if key == "z" else self.data[_INPUTS.index(key)]
        return _transpose(data) if suffix == "ᵀ" else data


def _render(template: str, e: _Edge) -> str:
    return _TOKEN.sub(lambda m: e.text(m.group(1), m.group(2)), template)


def _structural(template: str, e: _Edge) -> MatrixRule:
    """A rule written out by its template; with numbers when it is plain matrix arithmetic."""
    text = _render(template, e)
    parts = _TOKEN.split(template)  # literal, key, suffix, literal, key, suffix, ...
    literals, keys = parts[0::3], list(zip(parts[1::3], parts[2::3]))
    numeric = all(lit in _ARITHMETIC for lit in literals) and all(
        k == "G" or (k in _INPUTS and (suf is None or e.value(k, suf).ndim <= 2))
        for k, suf in keys)
    if "ᵀ" in template and np.ndim(e.node.data) > 2:
        numeric = False  # (G)ᵀ of a permutation of many axes is not a matrix transpose
    if not numeric:
        return MatrixRule(text)
    terms: list = []
    for lit, (k, suf) in zip(literals, keys + [(None, None)]):
        if lit:
            terms.append(lit)
        if k is not None:
            terms.append(e.value(k, suf))
    return MatrixRule(text, terms)


def _elementwise(template: str, factor: Any, e: _Edge) -> MatrixRule:
    """G ⊙ f for an elementwise op, f its local derivative (G · f for a single number)."""
    if isinstance(factor, (int, float)) and factor in (1, -1):
        return MatrixRule(e.g, [GRAD]) if factor == 1 else MatrixRule(f"−{e.g}", ["−", GRAD])
    factor = np.asarray(factor, dtype=float)
    joint = " · " if factor.ndim == 0 else " ⊙ "
    return MatrixRule(f"{e.g}{joint}{_render(template, e)}", [GRAD, joint, factor])


def _shape(shape: tuple) -> str:
    return "×".join(str(s) for s in shape) if shape else "scalar"


RULE_OPS: tuple[str, ...] = tuple(name for name, op in OPS.items() if op.matrix)


def reduced_axes(parent_shape: tuple, result_shape: tuple) -> tuple[int, ...]:
    """The axes of the result an input of ``parent_shape`` was broadcast along.

    Shapes are aligned on the right (numpy's rule): an axis the input lacks, or has with
    length 1 where the result's is longer, was stretched, so its gradient is summed there.
    """
    pad = len(result_shape) - len(parent_shape)
    axes = []
    for k, n in enumerate(result_shape):
        m = parent_shape[k - pad] if k >= pad else None
        if m is None or (m == 1 and n != 1):
            axes.append(k)
    return tuple(axes)


def sum_name(axes: tuple[int, ...], ndim: int) -> str:
    """``Σ_rows`` (along axis 0 of a matrix), ``Σ_cols`` (its last axis), ``Σ`` (all)."""
    if len(axes) == ndim:
        return "Σ"
    words = []
    for k in axes:
        if ndim >= 2 and k == ndim - 2:
            words.append("rows")
        elif ndim >= 2 and k == ndim - 1:
            words.append("cols")
        else:
            words.append(f"axis{k}")
    return "Σ_" + ",".join(words)


def matrix_rule(node: Any, i: int, name_of: Callable[[Any], str],
                root_name: str = "L") -> MatrixRule:
    """∂L/∂P for input ``i`` of ``node`` (Z) in matrix form, as text and as terms.

    ``name_of(node)`` gives the name to write for a node (its label, or a made-up name such
    as ``mul2``); ``root_name`` is the L of ∂L/∂Z. The template is the op table's.
    """
    parents = node._prev
    g = f"∂{group_label(root_name)}/∂{group_label(name_of(node))}"
    op = op_for(node._op) if getattr(node, "_fn", None) is None else node._fn
    if op is None or not op.matrix:
        rule_text = op_rule(node._op)
        return MatrixRule(f"{g} through {op_symbol(node._op)}"
                          + (f"  ({rule_text})" if rule_text else ""))
    e = _Edge(node, i, name_of, g)
    template = op.matrix[i] if len(op.matrix) > 1 else op.matrix[0]
    if op.local is not None:
        with quiet():
            factors = op.local(ARRAYS, np.asarray(node.data), *e.data, **e.params)
        found = _elementwise(template, factors[i], e)
    else:
        found = _structural(template, e)
    if i in op.broadcasts:
        axes = reduced_axes(np.shape(parents[i].data), np.shape(node.data))
        if axes:
            found = _summed(found, sum_name(axes, np.ndim(node.data)))
    return found


def _summed(rule: MatrixRule, word: str) -> MatrixRule:
    """``Σ_cols (G ⊙ b)``: a broadcast input's rule summed over its stretched axes."""
    simple = rule.terms == [GRAD]
    text = f"{word} {rule.text}" if simple else f"{word} ({rule.text})"
    terms = None
    if rule.terms is not None:
        terms = [f"{word} "] + (rule.terms if simple else ["("] + rule.terms + [")"])
    return MatrixRule(text, terms)
