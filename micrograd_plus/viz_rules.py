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
∂L/∂Z), so the stepper can print the same line with the actual matrices. These are display
texts keyed by op name; the derivative computations themselves live with the ops.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

from .engine import op_rule, op_symbol
from .viz_format import group_label

__all__ = ["MatrixRule", "GRAD", "matrix_rule", "reduced_axes", "sum_name", "RULE_OPS"]

GRAD = object()  # stands for the upstream gradient ∂L/∂Z in a rule's terms


@dataclass
class MatrixRule:
    """``text``: ∂L/∂P's right-hand side; ``terms``: the same with arrays (None: text only)."""

    text: str
    terms: list | None = field(default=None)


@dataclass
class _Edge:
    """What a rule reads: names and data of the result and its inputs, the input's index."""

    g: str  # "∂L/∂Z"
    z: str  # the result's name
    names: list[str]
    z_data: np.ndarray
    data: list[np.ndarray]
    i: int

    @property
    def a(self) -> np.ndarray:
        return self.data[0]

    @property
    def b(self) -> np.ndarray:
        return self.data[1]

    @property
    def other(self) -> tuple[str, np.ndarray]:
        j = 1 - self.i
        return self.names[j], self.data[j]


def _t(name: str) -> str:
    """The transpose of a named matrix: ``Xᵀ``, ``(a + b)ᵀ``; of a node named ``xᵀ``, ``x``."""
    if name.endswith("ᵀ") and group_label(name[:-1]) == name[:-1]:
        return name[:-1]  # (xᵀ)ᵀ = x
    return f"{group_label(name)}ᵀ"


def _elementwise(e: _Edge, word: str, factor: Any) -> MatrixRule:
    """G ⊙ factor (or G · factor when the factor is a single number)."""
    joint = " · " if np.ndim(factor) == 0 else " ⊙ "
    return MatrixRule(f"{e.g}{joint}{word}", [GRAD, joint, factor])


def _add(e: _Edge) -> MatrixRule:
    return MatrixRule(e.g, [GRAD])


def _sub(e: _Edge) -> MatrixRule:
    return MatrixRule(e.g, [GRAD]) if e.i == 0 else MatrixRule(f"−{e.g}", ["−", GRAD])


def _mul(e: _Edge) -> MatrixRule:
    name, value = e.other
    return _elementwise(e, group_label(name), value)


def _div(e: _Edge) -> MatrixRule:
    a, b = e.names
    if e.i == 0:
        joint = " / " if np.ndim(e.b) == 0 else " ⊘ "
        return MatrixRule(f"{e.g}{joint}{group_label(b)}", [GRAD, joint, e.b])
    with np.errstate(all="ignore"):
        factor = -e.a / (e.b * e.b)
    return _elementwise(e, f"(−{group_label(a)} ⊘ {group_label(b)}²)", factor)


def _pow(e: _Edge) -> MatrixRule:
    a, b = (group_label(n) for n in e.names)
    with np.errstate(all="ignore"):
        if e.i == 0:
            return _elementwise(e, f"{b}·{a}^({b} − 1)", e.b * np.power(e.a, e.b - 1))
        return _elementwise(e, f"{group_label(e.z)}·ln {a}", e.z_data * np.log(e.a))


def _pow_number(e: _Edge, n: str) -> MatrixRule:
    a = group_label(e.names[0])
    k = float(n)
    text = f"2·{a}" if k == 2 else f"{n}·{a}^{_number(k - 1)}"
    with np.errstate(all="ignore"):
        return _elementwise(e, text, k * np.power(e.a, k - 1))


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def _unary(word: Callable[[str, str], str], factor: Callable[[_Edge], Any]) -> Callable:
    """A rule G ⊙ f(a, Z) for an elementwise function; ``word(a, z)`` writes f."""

    def rule(e: _Edge) -> MatrixRule:
        with np.errstate(all="ignore"):
            value = factor(e)
        return _elementwise(e, word(group_label(e.names[0]), group_label(e.z)), value)

    return rule


def _neg(e: _Edge) -> MatrixRule:
    return MatrixRule(f"−{e.g}", ["−", GRAD])


def _leaky(e: _Edge) -> np.ndarray:
    """1 where a > 0, else the slope (read off the data: Z/a)."""
    with np.errstate(all="ignore"):
        slope = np.where(e.a != 0, e.z_data / np.where(e.a != 0, e.a, 1.0), 0.0)
    return np.where(e.a > 0, 1.0, slope)


def _matmul(e: _Edge) -> MatrixRule:
    a, b = e.names
    if e.i == 0:
        return MatrixRule(f"{e.g} · {_t(b)}", [GRAD, " · ", _transpose(e.b)])
    return MatrixRule(f"{_t(a)} · {e.g}", [_transpose(e.a), " · ", GRAD])


def _transpose(x: np.ndarray) -> np.ndarray:
    """xᵀ of a matrix; a 1-D vector is shown as it is (numpy does not tell rows from columns)."""
    return x.T if x.ndim == 2 else x


def _linear(e: _Edge) -> MatrixRule:
    """y = x·Wᵀ + b (one node):  ∂x = G·W,  ∂W = Gᵀ·x,  ∂b = Σ_rows G."""
    x, w = e.names[0], e.names[1]
    if e.i == 0:
        return MatrixRule(f"{e.g} · {group_label(w)}", [GRAD, " · ", e.data[1]])
    if e.i == 1:
        return MatrixRule(f"({e.g})ᵀ · {group_label(x)}", ["(", GRAD, ")ᵀ · ", e.data[0]])
    if e.z_data.ndim >= 2:
        return MatrixRule(f"Σ_rows {e.g}", ["Σ_rows ", GRAD])
    return MatrixRule(e.g, [GRAD])


def _sum(e: _Edge) -> MatrixRule:
    shape = _shape(e.data[0].shape)
    return MatrixRule(f"{e.g} copied to every entry ({shape})")


def _mean(e: _Edge) -> MatrixRule:
    n = e.a.size // max(e.z_data.size, 1)
    shape = _shape(e.a.shape)
    return MatrixRule(f"{e.g} / {n} copied to every entry ({shape})")


def _extremum(word: str) -> Callable:
    def rule(e: _Edge) -> MatrixRule:
        return MatrixRule(f"{e.g} at the {word} of {group_label(e.names[0])} "
                          "(shared at ties), 0 elsewhere")
    return rule


def _reshape(e: _Edge) -> MatrixRule:
    shape = _shape(e.a.shape)
    return MatrixRule(f"{e.g} reshaped to {shape}")


def _transpose_rule(e: _Edge) -> MatrixRule:
    if e.a.ndim == 2:
        return MatrixRule(f"({e.g})ᵀ", ["(", GRAD, ")ᵀ"])
    return MatrixRule(f"{e.g} with the axes permuted back")


def _text(template: str) -> Callable:
    """A rule shown as text only; ``{g}`` is ∂L/∂Z, ``{a}`` the input, ``{i}`` its index."""

    def rule(e: _Edge) -> MatrixRule:
        return MatrixRule(template.format(g=e.g, a=group_label(e.names[e.i]), i=e.i + 1,
                                          shape=_shape(e.data[e.i].shape)))

    return rule


def _maximum(e: _Edge) -> MatrixRule:
    mine, theirs = e.data[e.i], e.data[1 - e.i]
    other = group_label(e.names[1 - e.i])
    factor = (mine > theirs) + 0.5 * (mine == theirs)
    return _elementwise(e, f"[{group_label(e.names[e.i])} > {other}]", factor)


def _softmax(e: _Edge) -> MatrixRule:
    s = group_label(e.z)
    return MatrixRule(f"{s} ⊙ ({e.g} − Σ({e.g} ⊙ {s}))")


def _shape(shape: tuple) -> str:
    return "×".join(str(s) for s in shape) if shape else "scalar"


# op name → its rule; reductions of broadcast inputs are added by matrix_rule
_RULES: dict[str, Callable[[_Edge], MatrixRule]] = {
    "+": _add,
    "-": _sub,
    "*": _mul,
    "/": _div,
    "**": _pow,
    "neg": _neg,
    "exp": _unary(lambda a, z: z, lambda e: e.z_data),
    "log": _unary(lambda a, z: f"(1 ⊘ {a})", lambda e: 1.0 / e.a),
    "sqrt": _unary(lambda a, z: f"1 ⊘ (2·{z})", lambda e: 0.5 / e.z_data),
    "tanh": _unary(lambda a, z: f"(1 − {z}²)", lambda e: 1.0 - e.z_data**2),
    "sigmoid": _unary(lambda a, z: f"{z} ⊙ (1 − {z})", lambda e: e.z_data * (1.0 - e.z_data)),
    "ReLU": _unary(lambda a, z: f"[{a} > 0]", lambda e: (e.a > 0).astype(float)),
    "leaky_relu": _unary(lambda a, z: f"(1 where {a} > 0, else the slope)", _leaky),
    "abs": _unary(lambda a, z: f"sign({a})", lambda e: np.sign(e.a)),
    "softplus": _unary(lambda a, z: f"σ({a})", lambda e: 1.0 / (1.0 + np.exp(-e.a))),
    "sin": _unary(lambda a, z: f"cos({a})", lambda e: np.cos(e.a)),
    "cos": _unary(lambda a, z: f"(−sin({a}))", lambda e: -np.sin(e.a)),
    "clip": _unary(lambda a, z: f"[{a} inside the bounds]",
                   lambda e: (e.z_data == e.a).astype(float)),
    "maximum": _maximum,
    "matmul": _matmul,
    "linear": _linear,
    "sum": _sum,
    "mean": _mean,
    "max": _extremum("maxima"),
    "min": _extremum("minima"),
    "reshape": _reshape,
    "transpose": _transpose_rule,
    "getitem": _text("{g} put back at the indexed entries of zeros({shape})"),
    "scatter": _text("{g} read at the indexed entries"),
    "broadcast_to": _add,  # summed over the broadcast axes below
    "sum_to": _text("{g} copied back over the summed axes ({shape})"),
    "concatenate": _text("the slice of {g} where input {i} was placed"),
    "stack": _text("{g} at position {i} of the stacked axis"),
    "where": lambda e: MatrixRule(f"{e.g} where the condition {'holds' if e.i == 0 else 'fails'}"
                                  ", 0 elsewhere"),
    "softmax": _softmax,
    "log_softmax": _text("{g} − softmax({a}) ⊙ Σ {g}"),
    "bce_with_logits": _text("{g} · (σ(x) − t) ⊘ n  (n = 1 for reduction='sum')"),
    "cross_entropy": _text("{g} · (softmax(z) − onehot(y)) ⊘ n"),
    "bce": _text("{g} · (p − t) ⊘ (p ⊙ (1 − p)) ⊘ n"),
}

# ops whose inputs may be broadcast to the result's shape (their rule is then summed back)
_BROADCASTING = {"+", "-", "*", "/", "**", "maximum", "broadcast_to"}

RULE_OPS: tuple[str, ...] = tuple(_RULES) + ("**k",)  # '**k': a number exponent, '**2'


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
    as ``mul2``); ``root_name`` is the L of ∂L/∂Z.
    """
    parents = node._prev
    g = f"∂{group_label(root_name)}/∂{group_label(name_of(node))}"
    edge = _Edge(g=g, z=name_of(node), names=[name_of(p) for p in parents], z_data=node.data,
                 data=[np.asarray(p.data) for p in parents], i=i)
    op = node._op
    rule = _RULES.get(op)
    if rule is None and op.startswith("**"):
        found = _pow_number(edge, op[2:])
    elif rule is None:
        rule_text = op_rule(op)
        found = MatrixRule(f"{g} through {op_symbol(op)}" + (f"  ({rule_text})" if rule_text
                                                               else ""))
    else:
        found = rule(edge)
    if op in _BROADCASTING:
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
