"""The op table: every operation of Value and Tensor, declared once.

An :class:`Op` holds an operation's name, its forward, its derivative rule, the symbol a
graph draws, the rule as text, and whether it prints infix (``a + b``) or as a call
(``tanh(a)``). Everything else reads it: the Value and Tensor methods, the backward walk,
the visualizer, the stepper, ``explain`` and the explorer, and the tests (parametrized over
``OPS``).

The derivative comes in one of two forms, both written with the operands' own arithmetic
and ``m.<function>`` (see :mod:`.mathspace`), so the same rule runs on numbers (an ordinary
backward pass) and on nodes (``create_graph=True``, gradients of gradients):

- ``local(m, out, *inputs, **params)`` for elementwise ops: the tuple ∂out/∂inputᵢ.
  Backward multiplies each by the incoming gradient; the Value engine records these
  numbers at forward time, and graphs, the stepper and ``explain`` show them on the edges.
- ``vjp(m, g, out, *inputs, **params)`` for the rest (matmul, reductions, shapes,
  softmax): the tuple of gradients of the inputs given the gradient ``g`` of the output.

A gradient may have the broadcast shape of the output: the core sums it back to the
input's shape, once, for every op. ``selects`` marks ops whose zero derivatives select
rather than multiply (relu, clip, maximum, where): an inf or NaN gradient arriving where
the derivative is 0 gives 0, as in PyTorch.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np


__all__ = ["Op", "OPS", "declare", "on_declare", "op_for", "op_symbol", "op_rule", "op_word",
           "is_infix", "is_activation"]


class Op:
    """One operation: forward, derivative rule, symbol, rule text, display form.

    ``kinds``: the node types that have it ('value', 'tensor'). ``reference``: the same
    operation in PyTorch, ``reference(torch, *inputs, **params)``, which the tests compare
    against. ``sample``: the inputs the tests draw ('real', 'positive', 'unit'
    (0 < x < 1), 'nonzero'), one letter per input. ``check``: the Value engine's domain
    check, ``check(*data, **params) -> error message | None``. ``word``: the op as a word,
    for naming unlabeled results (``mul2``); ``activation``: a neuron's nonlinearity;
    ``method``: the name of the method a one-input op gets on Value and Tensor (``x.tanh()``),
    added to both classes from this table. ``matrix``: ∂L/∂input in matrix form, one
    template per input (one for all), as graphs, the stepper and ``explain`` print it for
    Tensors: ``{G}`` is ∂L/∂out, ``{z}`` the result, ``{a} {b} {c}`` the inputs (``{a}ᵀ``
    transposed), ``{shape}`` ``{i}`` ``{n}`` and the op's parameters by name; for an
    elementwise op it is the local derivative only (``(1 − {z}²)`` for tanh), which the
    gradient multiplies. ``broadcasts``: the inputs that may be broadcast (default: all
    inputs of an elementwise op).
    """

    __slots__ = ("name", "symbol", "rule", "infix", "forward", "local", "vjp", "selects",
                 "kinds", "reference", "sample", "check", "error", "params", "key", "word",
                 "activation", "method", "matrix", "broadcasts")

    def __init__(self, name: str, *, symbol: str, rule: str, forward: Callable,
                 local: Callable | None = None, vjp: Callable | None = None,
                 infix: bool = False, selects: Any = False, kinds: tuple = ("value", "tensor"),
                 reference: Callable | None = None, sample: str = "r",
                 check: Callable | None = None, error: type = ValueError,
                 params: tuple = (), key: str | None = None, word: str = "",
                 activation: bool = False, method: str = "", matrix: Any = None,
                 broadcasts: Any = None) -> None:
        if (local is None) == (vjp is None):
            raise ValueError(f"op {name!r}: give exactly one of local= and vjp=")
        self.name, self.symbol, self.rule, self.infix = name, symbol, rule, infix
        self.forward, self.local, self.vjp, self.selects = forward, local, vjp, selects
        self.kinds, self.reference, self.sample = kinds, reference, sample
        self.check, self.error, self.params = check, error, params
        self.key = key or name
        self.word = word or name  # a name for unlabeled results in formulas: mul2, tanh1
        self.activation = activation  # drawn inside its neuron's or layer's cluster
        self.method = method  # a one-input op's method on Values and Tensors: x.tanh()
        self.matrix = (matrix,) if isinstance(matrix, str) else matrix
        # the inputs that may be broadcast to the result's shape: every input of an
        # elementwise op (its gradient is then summed back over the stretched axes)
        self.broadcasts = (tuple(range(8)) if broadcasts is None and local is not None
                           else broadcasts or ())

    def selects_for(self, params: dict | None) -> bool:
        s = self.selects
        return s if s.__class__ is bool else s(**params)

    def __repr__(self) -> str:
        return f"Op({self.name!r}, {self.rule!r})"


OPS: dict[str, Op] = {}
_ATTACHERS: list = []  # how Value and Tensor add an op's method (registered when imported)


def declare(name: str, **kw: Any) -> Op:
    """Add an operation to the table (see the README's "Adding an operation")."""
    op = Op(name, **kw)
    OPS[op.key] = op
    if op.method:
        for attach in _ATTACHERS:
            attach(op)
    return op


_declare = declare


def on_declare(attach: Callable[[Op], None]) -> None:
    """Call ``attach(op)`` for every op with a method, now and whenever one is declared."""
    _ATTACHERS.append(attach)
    for op in OPS.values():
        if op.method:
            attach(op)


def _one(*_: Any) -> tuple:
    return (1.0,)


# -- arithmetic ------------------------------------------------------------------------------
ADD = _declare(
    "+", symbol="+", infix=True, word="add", rule="∂(a+b)/∂a = 1, ∂(a+b)/∂b = 1",
    matrix=("1", "1"),
    forward=lambda m, a, b: a + b,
    local=lambda m, out, a, b: (1.0, 1.0),
    reference=lambda torch, a, b: a + b, sample="rr",
)
SUB = _declare(
    "-", symbol="−", infix=True, word="sub", rule="∂(a−b)/∂a = 1, ∂(a−b)/∂b = −1",
    matrix=("1", "−1"),
    forward=lambda m, a, b: a - b,
    local=lambda m, out, a, b: (1.0, -1.0),
    reference=lambda torch, a, b: a - b, sample="rr",
)
MUL = _declare(
    "*", symbol="×", infix=True, word="mul", rule="∂(a·b)/∂a = b, ∂(a·b)/∂b = a",
    matrix=("{b}", "{a}"),
    forward=lambda m, a, b: a * b,
    local=lambda m, out, a, b: (b, a),
    reference=lambda torch, a, b: a * b, sample="rr",
)
DIV = _declare(
    "/", symbol="÷", infix=True, word="div", rule="∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b²",
    matrix=("(1 ⊘ {b})", "(−{a} ⊘ {b}²)"),
    forward=lambda m, a, b: m.div(a, b),
    # −(a/b)/b rather than −a/b²: b² underflows to 0 for |b| < 1e-162
    local=lambda m, out, a, b: (m.div(1.0, b), -m.div(out, b)),
    reference=lambda torch, a, b: a / b, sample="rn",
    check=lambda a, b: f"division by zero in a / b with a={a!r}, b={b!r}" if b == 0.0 else None,
    error=ZeroDivisionError,
)
POW = _declare(
    "**", symbol="^", infix=True, word="pow", rule="∂(a^b)/∂a = b·a^(b−1), ∂(a^b)/∂b = a^b·ln a",
    matrix=("{b}·{a}^({b} − 1)", "{z}·ln {a}"),
    forward=lambda m, a, b: m.pow(a, b),
    local=lambda m, out, a, b: (
        m.where(m.raw(b) == 0, 0.0, b * m.pow(a, b - 1.0)),
        # 0 where a = 0 and b >= 0 (PyTorch's convention); NaN for a negative base
        m.where((m.raw(a) == 0) & (m.raw(b) >= 0), 0.0, out * m.log(a)),
    ),
    reference=lambda torch, a, b: a**b, sample="pr",
)
POWK = _declare(
    "**k", symbol="^k", word="pow", rule="∂(a^k)/∂a = k·a^(k−1)", params=("k",),
    matrix="{k}·{a}^{k-1}",
    forward=lambda m, a, k: m.pow(a, k),
    # k·a rather than k·a^1 for a square, so a gradient's graph reads 2·w
    local=lambda m, out, a, k: (0.0 if k == 0 else k * a if k == 2 else k * m.pow(a, k - 1),),
    selects=lambda k: k == 0,  # PyTorch's x**0 has gradient 0 even for an inf upstream
    reference=lambda torch, a, k: a**k, sample="p",
)
NEG = _declare(
    "neg", symbol="−", rule="∂(−a)/∂a = −1",
    matrix="−1",
    forward=lambda m, a: -a,
    local=lambda m, out, a: (-1.0,),
    reference=lambda torch, a: -a,
)
ABS = _declare(
    "abs", symbol="|·|", method="abs", rule="∂|a|/∂a = sign(a)",
    matrix="sign({a})",
    forward=lambda m, a: abs(a),
    local=lambda m, out, a: (m.sign(m.raw(a)),),
    reference=lambda torch, a: a.abs(),
)

# -- elementwise functions -------------------------------------------------------------------
EXP = _declare(
    "exp", symbol="exp", method="exp", rule="∂e^a/∂a = e^a",
    matrix="{z}",
    forward=lambda m, a: m.exp(a),
    local=lambda m, out, a: (out,),
    reference=lambda torch, a: a.exp(),
)
LOG = _declare(
    "log", symbol="log", method="log", rule="∂ln a/∂a = 1/a",
    matrix="(1 ⊘ {a})",
    forward=lambda m, a: m.log(a),
    local=lambda m, out, a: (m.div(1.0, a),),
    reference=lambda torch, a: a.log(), sample="p",
    check=lambda a: f"log of a non-positive number: log({a!r})" if a <= 0.0 else None,
)
SQRT = _declare(
    "sqrt", symbol="√", method="sqrt", rule="∂√a/∂a = 1/(2√a)",
    matrix="1 ⊘ (2·{z})",
    forward=lambda m, a: m.sqrt(a),
    local=lambda m, out, a: (m.div(0.5, out),),
    reference=lambda torch, a: a.sqrt(), sample="p",
    check=lambda a: f"sqrt of a negative number: sqrt({a!r})" if a < 0.0 else None,
)
TANH = _declare(
    "tanh", symbol="tanh", method="tanh", activation=True, rule="∂tanh a/∂a = 1 − tanh²a",
    matrix="(1 − {z}²)",
    forward=lambda m, a: m.tanh(a),
    local=lambda m, out, a: (1.0 - out * out,),
    reference=lambda torch, a: a.tanh(),
)
SIGMOID = _declare(
    "sigmoid", symbol="σ", method="sigmoid", activation=True, rule="∂σ(a)/∂a = σ(a)(1 − σ(a))",
    matrix="{z} ⊙ (1 − {z})",
    forward=lambda m, a: m.sigmoid(a),
    local=lambda m, out, a: (out * (1.0 - out),),
    reference=lambda torch, a: a.sigmoid(),
)
RELU = _declare(
    "ReLU", symbol="ReLU", method="relu", activation=True, rule="∂relu(a)/∂a = 1 if a > 0 else 0",
    matrix="[{a} > 0]",
    forward=lambda m, a: m.relu(a),
    # tested on the result, as PyTorch does, so a NaN input passes its gradient on
    local=lambda m, out, a: (m.unless(m.raw(out) <= 0.0),),
    selects=True,
    reference=lambda torch, a: a.relu(),
)
LEAKY_RELU = _declare(
    "leaky_relu", symbol="LReLU", activation=True, rule="∂lrelu(a)/∂a = 1 if a > 0 else slope",
    matrix="(1 where {a} > 0, else {slope})",
    params=("slope",),
    forward=lambda m, a, slope: m.where(m.raw(a) > 0.0, a, slope * a),
    local=lambda m, out, a, slope: (m.where(m.raw(a) > 0.0, 1.0, slope),),
    reference=lambda torch, a, slope: torch.nn.functional.leaky_relu(a, slope),
)
SOFTPLUS = _declare(
    "softplus", symbol="softplus", method="softplus", activation=True, rule="∂ln(1+e^a)/∂a = σ(a)",
    matrix="σ({a})",
    forward=lambda m, a: m.softplus(a),
    local=lambda m, out, a: (m.where(m.raw(a) > 20.0, 1.0, m.sigmoid(a)),),
    reference=lambda torch, a: torch.nn.functional.softplus(a),
)
SIN = _declare(
    "sin", symbol="sin", method="sin", rule="∂sin a/∂a = cos a",
    matrix="cos({a})",
    forward=lambda m, a: m.sin(a),
    local=lambda m, out, a: (m.cos(a),),
    reference=lambda torch, a: a.sin(),
)
COS = _declare(
    "cos", symbol="cos", method="cos", rule="∂cos a/∂a = −sin a",
    matrix="(−sin({a}))",
    forward=lambda m, a: m.cos(a),
    local=lambda m, out, a: (-m.sin(a),),
    reference=lambda torch, a: a.cos(),
)


def _inside(a: Any, lo: Any, hi: Any) -> Any:
    inside = np.ones(np.shape(a), dtype=bool)
    if lo is not None:
        inside &= a >= lo
    if hi is not None:
        inside &= a <= hi
    return inside


CLIP = _declare(
    "clip", symbol="clip", rule="∂clip(a)/∂a = 1 inside [lo, hi], else 0",
    matrix="[{a} inside the bounds]",
    params=("lo", "hi"), kinds=("tensor",),
    forward=lambda m, a, lo, hi: np.clip(a, lo, hi),
    local=lambda m, out, a, lo, hi: (m.mask(_inside(m.raw(a), lo, hi)),),
    selects=True,
    reference=lambda torch, a, lo, hi: a.clamp(lo, hi),
)


def _half(a: Any, b: Any) -> Any:
    return np.where(a == b, 0.5, 1.0)


MAXIMUM = _declare(
    "maximum", symbol="max", rule="∂max(a,b)/∂a = 1 where a > b (½ at ties)",
    matrix=("[{a} > {b}]", "[{b} > {a}]"),
    kinds=("tensor",),
    forward=lambda m, a, b: np.maximum(a, b),
    local=lambda m, out, a, b: (
        np.where(m.raw(a) < m.raw(b), 0.0, _half(m.raw(a), m.raw(b))),
        np.where(m.raw(a) > m.raw(b), 0.0, _half(m.raw(a), m.raw(b))),
    ),
    selects=True,
    reference=lambda torch, a, b: torch.maximum(a, b), sample="rr",
)
WHERE = _declare(
    "where", symbol="where", rule="∂/∂a = 1 where cond, ∂/∂b = 1 elsewhere",
    matrix=("{G} where the condition holds, 0 elsewhere",
            "{G} where the condition fails, 0 elsewhere"),
    params=("cond",), kinds=("tensor",), broadcasts=(0, 1),
    forward=lambda m, a, b, cond: np.where(cond, a, b),
    vjp=lambda m, g, out, a, b, cond: (m.where(cond, g, 0.0), m.where(cond, 0.0, g)),
    reference=lambda torch, a, b, cond: torch.where(torch.as_tensor(cond), a, b), sample="rr",
)

# -- losses as single nodes ------------------------------------------------------------------
HUBER = _declare(
    "huber", symbol="Huber", word="huber", params=("delta",),
    rule="∂huber(d)/∂d = d if |d| < δ else δ·sign(d)",
    matrix="({a} where |{a}| < {delta}, else {delta}·sign({a}))",
    # the branch is taken on the data inside the op, so a traced step replays it per call
    forward=lambda m, d, delta: m.where(abs(m.raw(d)) < delta, 0.5 * m.pow(d, 2.0),
                                        delta * (abs(d) - 0.5 * delta)),
    local=lambda m, out, d, delta: (m.where(abs(m.raw(d)) < delta, d,
                                            delta * m.sign(m.raw(d))),),
    reference=lambda torch, d, delta: torch.nn.functional.huber_loss(
        d, torch.zeros_like(d), delta=delta, reduction="none"),
)
_LOG_FLOOR = -100.0  # PyTorch clamps BCE's logs here, so p = 0 or 1 stays finite
_BCE_EPS = 9.999999960041972e-13  # and keeps p·(1 − p) from 0 (its 1e-12 as float32)


def _unit_check(name: str, p: float, t: float, probability: bool) -> str | None:
    """BCE's domain on floats: a probability p and a target t in [0, 1] (what
    ``losses.bce`` checks of a whole batch, for one element)."""
    if probability and not 0.0 <= p <= 1.0:
        return (f"{name}: input {p!r} is not a probability in [0, 1]; pass raw scores to "
                "bce_with_logits instead")
    if not 0.0 <= t <= 1.0:
        return f"{name}: target {t!r} is not in [0, 1]"
    return None


def _bce_forward(m: Any, p: Any, t: Any) -> Any:
    log_p = m.where(p > 0.0, m.log(p), -np.inf)
    log_q = m.where(p < 1.0, m.log1p(-p), -np.inf)
    return (t - 1.0) * m.maximum(log_q, _LOG_FLOOR) - t * m.maximum(log_p, _LOG_FLOOR)


def _bce_local(m: Any, out: Any, p: Any, t: Any) -> tuple:
    q = p * (1.0 - p)
    return ((p - t) / m.where(m.raw(q) > _BCE_EPS, q, _BCE_EPS),
            m.log1p(-p) - m.log(p))


BCE = _declare(
    "bce", symbol="BCE", rule="∂BCE/∂p = (p − t)/(p(1 − p)), ∂BCE/∂t = ln(1 − p) − ln p",
    matrix=("({a} − {b}) ⊘ ({a} ⊙ (1 − {a}))", "(ln(1 − {a}) − ln {a})"),
    forward=_bce_forward, local=_bce_local, check=lambda p, t: _unit_check("bce", p, t, True),
    reference=lambda torch, p, t: torch.nn.functional.binary_cross_entropy(
        p, t, reduction="none"), sample="uu",
)
BCE_WITH_LOGITS = _declare(
    "bce_with_logits", symbol="BCE(σ)", rule="∂/∂x = σ(x) − t, ∂/∂t = −x",
    matrix=("(σ({a}) − {b})", "(−{a})"),
    # PyTorch's arrangement, so infinite logits give its inf/NaN
    forward=lambda m, x, t: (1.0 - t) * x + m.maximum(-x, 0.0) + m.log1p(m.exp(-abs(x))),
    local=lambda m, out, x, t: (m.sigmoid(x) - t, -x),
    check=lambda x, t: _unit_check("bce_with_logits", x, t, False),
    reference=lambda torch, x, t: torch.nn.functional.binary_cross_entropy_with_logits(
        x, t, reduction="none"), sample="ru",
)


def _ce_forward(m: Any, z: Any, target: Any) -> Any:
    shifted = z - np.max(z, axis=1, keepdims=True)
    total = np.sum(np.exp(shifted), axis=1)
    return np.log(total) - shifted[np.arange(z.shape[0]), target]


def _ce_vjp(m: Any, g: Any, out: Any, z: Any, target: Any) -> tuple:
    zr = m.raw(z)
    one_hot = np.zeros(zr.shape, dtype=zr.dtype)
    one_hot[np.arange(zr.shape[0]), target] = 1.0
    return ((m.softmax(z, 1) - one_hot) * m.reshape(g, (zr.shape[0], 1)),)


CROSS_ENTROPY = _declare(
    "cross_entropy", symbol="CE", rule="∂CE/∂z_j = softmax_j − [j = y]",
    matrix="{G} · (softmax({a}) − onehot(y))",
    params=("target",), kinds=("tensor",),
    forward=_ce_forward, vjp=_ce_vjp,
    reference=lambda torch, z, target: torch.nn.functional.cross_entropy(
        z, torch.as_tensor(target), reduction="none"),
)



def _vce_forward(m: Any, *z: float, target: int) -> float:
    top = max(z)  # shifted out, so no e^z overflows; kept when infinite, giving NaN as torch
    return m.log(sum(m.exp(zj - top) for zj in z)) + top - z[target]


def _vce_local(m: Any, out: Any, *z: Any, target: int) -> tuple:
    # softmax_j = e^{z_j − lse}, lse = ln Σ e^z (not out + z_y: inf − inf when z_y = −inf)
    top = max(m.raw(zj) for zj in z)
    lse = m.log(sum(m.exp(zj - top) for zj in z)) + top
    return tuple(m.exp(zj - lse) - (1.0 if j == target else 0.0) for j, zj in enumerate(z))


VCROSS_ENTROPY = _declare(
    "cross_entropy", key="vcross_entropy", symbol="CE", rule="∂CE/∂z_j = softmax_j − [j = y]",
    params=("target",), kinds=("value",),
    forward=_vce_forward, local=_vce_local,
    reference=lambda torch, *z, target: torch.nn.functional.cross_entropy(
        torch.stack(z).reshape(1, -1), torch.tensor([target]), reduction="none")[0],
    sample="rrr",
)

# -- n-ary sums (Values): one node for a neuron's Σ w·x + b -----------------------------------
VSUM = _declare(
    "sum", key="vsum", symbol="Σ", rule="∂(Σ v_i)/∂v_i = 1", kinds=("value",),
    forward=lambda m, *xs: sum(xs, 0.0),
    local=lambda m, out, *xs: (1.0,) * len(xs),
    reference=lambda torch, *xs: sum(xs), sample="rrr",
)


def _dot_partners(pairing: Any, n: int) -> tuple:
    """For each parent of a dot node, the index of its partner among the parents, or −1
    when the partner is a constant (then it equals the parent's recorded local derivative,
    which is also how the bias's 1 is kept). ``pairing``: None (every partner a constant),
    'interleaved' (w_1, x_1, w_2, x_2, … then maybe the bias), or the tuple itself."""
    if pairing is None:
        return (-1,) * n
    if pairing == "interleaved":
        return tuple(i + 1 if i % 2 == 0 else i - 1 for i in range(n - n % 2)) + (-1,) * (n % 2)
    return pairing


def _dot_forward(m: Any, *parents: Any, pairing: Any) -> float:
    """Σ w_i x_i + b, read back from the parents when every w_i and x_i is one (pairing
    'interleaved': w_1, x_1, …, then maybe b). A constant partner lives only among the
    node's local derivatives, so such a node cannot be remade from its parents: ``dot()``
    computes its value directly."""
    if pairing != "interleaved":
        raise ValueError("a dot node with constant inputs keeps them among its local "
                         "derivatives, not its parents: make it with dot(ws, xs, bias)")
    total = 0.0
    for i in range(0, len(parents) - 1, 2):
        total += m.raw(parents[i]) * m.raw(parents[i + 1])
    if len(parents) % 2:
        total += m.raw(parents[-1])  # the bias
    return total


def _dot_local(m: Any, out: Any, *parents: Any, pairing: Any) -> tuple:
    """∂(Σ w_i x_i + b)/∂w_i = x_i, ∂/∂x_i = w_i, ∂/∂b = 1, for the parents in order."""
    partners = _dot_partners(pairing, len(parents))
    if pairing == "interleaved":  # every partner is a parent; an unpaired last one is b
        return tuple(parents[j] if j >= 0 else 1.0 for j in partners)
    recorded = out._local  # a constant partner is among the recorded derivatives
    return tuple(parents[j] if j >= 0 else recorded[i] for i, j in enumerate(partners))


DOT = _declare(
    "dot", symbol="·", rule="∂(Σ w_i x_i + b)/∂w_i = x_i, ∂/∂x_i = w_i, ∂/∂b = 1",
    kinds=("value",), params=("pairing",),
    forward=_dot_forward, local=_dot_local,
    reference=lambda torch, *xs, pairing=None: sum(xs[i] * xs[i + 1]
                                                   for i in range(0, len(xs) - 1, 2)),
    sample="rrrr",
)


# -- reductions (Tensors) --------------------------------------------------------------------
SUM = _declare(
    "sum", symbol="Σ", rule="∂(Σ a)/∂a_i = 1", kinds=("tensor",), params=("axis", "keepdims"),
    matrix="{G} copied to every entry ({shape})",
    forward=lambda m, a, axis, keepdims: np.sum(a, axis=axis, keepdims=keepdims),
    vjp=lambda m, g, out, a, axis, keepdims: (m.expand(g, m.raw(a).shape, axis, keepdims),),
    reference=lambda torch, a, axis, keepdims: (
        a.sum() if axis is None else a.sum(axis, keepdim=keepdims)),
)
MEAN = _declare(
    "mean", symbol="mean", rule="∂mean(a)/∂a_i = 1/n", kinds=("tensor",),
    matrix="{G} / {n} copied to every entry ({shape})",
    params=("axis", "keepdims"),
    forward=lambda m, a, axis, keepdims: np.mean(a, axis=axis, keepdims=keepdims),
    vjp=lambda m, g, out, a, axis, keepdims: (m.expand(
        g / max(m.raw(a).size // max(np.size(m.raw(out)), 1), 1), m.raw(a).shape,
        axis, keepdims),),
    reference=lambda torch, a, axis, keepdims: (
        a.mean() if axis is None else a.mean(axis, keepdim=keepdims)),
)


def _extreme_vjp(m: Any, g: Any, out: Any, a: Any, axis: Any, keepdims: bool) -> tuple:
    """g/k at each of the k tied extrema (torch.amax), 0 elsewhere."""
    ar = m.raw(a)
    hit = ar == expand_raw(m.raw(out), ar.shape, axis, keepdims)
    with np.errstate(divide="ignore", invalid="ignore"):  # a NaN extreme: 0/0, as torch
        share = hit / np.sum(hit, axis=axis, keepdims=True)
    return (m.expand(g, ar.shape, axis, keepdims) * share.astype(ar.dtype),)


def expand_raw(x: Any, shape: tuple, axis: Any, keepdims: bool) -> Any:
    if axis is not None and not keepdims:
        x = np.expand_dims(x, axis)
    return np.broadcast_to(x, shape)


def _extreme(name: str, points: str, forward: Callable, torch_name: str) -> Op:
    """max or min over ``axis``: the gradient goes to the ``points`` (maxima or minima)."""
    return _declare(
        name, symbol=name, rule=f"∂{name}(a)/∂a_i = 1/k at the k {points}, else 0",
        kinds=("tensor",),
        matrix=f"{{G}} at the {points} of {{a}} (shared at ties), 0 elsewhere",
        params=("axis", "keepdims"),
        forward=lambda m, a, axis, keepdims: forward(a, axis=axis, keepdims=keepdims),
        vjp=_extreme_vjp,
        reference=lambda torch, a, axis, keepdims: (
            getattr(a, torch_name)() if axis is None
            else getattr(a, torch_name)(axis, keepdim=keepdims)),
    )


MAX = _extreme("max", "maxima", np.max, "amax")
MIN = _extreme("min", "minima", np.min, "amin")

# -- shapes (Tensors) ------------------------------------------------------------------------
RESHAPE = _declare(
    "reshape", symbol="reshape", rule="∂L/∂a = ∂L/∂out reshaped back", kinds=("tensor",),
    matrix="{G} reshaped to {shape}",
    params=("shape",),
    forward=lambda m, a, shape: np.reshape(a, shape),
    vjp=lambda m, g, out, a, shape: (m.reshape(g, m.raw(a).shape),),
    reference=lambda torch, a, shape: a.reshape(shape),
)
TRANSPOSE = _declare(
    "transpose", symbol="ᵀ", rule="∂L/∂a = (∂L/∂out)ᵀ", kinds=("tensor",), params=("axes",),
    matrix="({G})ᵀ",
    forward=lambda m, a, axes: np.transpose(a, axes),
    vjp=lambda m, g, out, a, axes: (
        m.transpose(g, None if axes is None else tuple(int(i) for i in np.argsort(axes))),),
    reference=lambda torch, a, axes: a.permute(*(axes or range(a.ndim - 1, -1, -1))),
)
GETITEM = _declare(
    "getitem", symbol="[]", rule="∂L/∂a = ∂L/∂out scattered back to the indexed positions",
    matrix="{G} put back at the indexed entries of zeros({shape})",
    kinds=("tensor",), params=("index", "basic"),
    forward=lambda m, a, index, basic: a[index],
    vjp=lambda m, g, out, a, index, basic: (m.scatter(g, index, m.raw(a).shape, basic),),
    reference=lambda torch, a, index, basic: a[index],
)
SCATTER = _declare(
    "scatter", symbol="scatter", rule="∂L/∂g = ∂L/∂out at the indexed positions",
    matrix="{G} read at the indexed entries",
    kinds=("tensor",), params=("index", "shape", "basic"),
    forward=lambda m, g, index, shape, basic: m.scatter(g, index, shape, basic),
    vjp=lambda m, gg, out, g, index, shape, basic: (m.take(gg, index),),
    reference=lambda torch, g, index, shape, basic: torch.zeros(
        shape, dtype=g.dtype).index_put((torch.as_tensor(index),), g, accumulate=True),
)
BROADCAST = _declare(
    "broadcast_to", symbol="broadcast", rule="∂L/∂a = ∂L/∂out summed over the new axes",
    matrix="{G}",
    kinds=("tensor",), params=("shape",), broadcasts=(0,),
    forward=lambda m, a, shape: np.broadcast_to(a, shape),
    vjp=lambda m, g, out, a, shape: (g,),  # the core sums g back to a's shape
    reference=lambda torch, a, shape: a.expand(shape),
)
SUM_TO = _declare(
    "sum_to", symbol="Σ→", rule="∂L/∂a = ∂L/∂out broadcast over the summed axes",
    matrix="{G} copied back over the summed axes ({shape})",
    kinds=("tensor",), params=("shape",),
    forward=lambda m, a, shape: m.sum_to(a, shape),
    vjp=lambda m, g, out, a, shape: (m.broadcast_to(g, m.raw(a).shape),),
    reference=lambda torch, a, shape: a.sum_to_size(shape),
)


def _concat_vjp(m: Any, g: Any, out: Any, *xs: Any, axis: int) -> tuple:
    grads, start = [], 0
    for x in xs:
        n = m.raw(x).shape[axis]
        index = (slice(None),) * (axis % m.raw(out).ndim) + (slice(start, start + n),)
        grads.append(m.take(g, index))
        start += n
    return tuple(grads)


CONCATENATE = _declare(
    "concatenate", symbol="concat", rule="each input gets its slice of ∂L/∂out",
    matrix="the slice of {G} where input {i} was placed",
    kinds=("tensor",), params=("axis",),
    forward=lambda m, *xs, axis: np.concatenate(xs, axis=axis),
    vjp=_concat_vjp,
    reference=lambda torch, *xs, axis: torch.cat(xs, axis),
)
STACK = _declare(
    "stack", symbol="stack", rule="input i gets ∂L/∂out at position i of the new axis",
    matrix="{G} at position {i} of the stacked axis",
    kinds=("tensor",), params=("axis",),
    forward=lambda m, *xs, axis: np.stack(xs, axis=axis),
    vjp=lambda m, g, out, *xs, axis: tuple(
        m.take(g, (slice(None),) * (axis % m.raw(out).ndim) + (i,)) for i in range(len(xs))),
    reference=lambda torch, *xs, axis: torch.stack(xs, axis),
)

# -- linear algebra (Tensors) ----------------------------------------------------------------


def _matmul_vjp(m: Any, g: Any, out: Any, a: Any, b: Any) -> tuple:
    """∂L/∂A = G·Bᵀ, ∂L/∂B = Aᵀ·G; a 1-D operand acts as a row (A) or a column (B)."""
    ra, rb = m.raw(a), m.raw(b)
    if ra.ndim > 1 and rb.ndim > 1:
        return m.matmul(g, m.mT(b)), m.matmul(m.mT(a), g)
    a2 = a if ra.ndim > 1 else m.reshape(a, (1, ra.shape[0]))
    b2 = b if rb.ndim > 1 else m.reshape(b, (rb.shape[0], 1))
    gshape = np.shape(m.raw(g))
    if ra.ndim == 1:
        gshape = gshape[:-1] + (1,) + gshape[-1:] if rb.ndim > 1 else gshape + (1,)
    if rb.ndim == 1:
        gshape = gshape + (1,)
    g2 = m.reshape(g, gshape)
    ga = m.matmul(g2, m.mT(b2))
    gb = m.matmul(m.mT(a2), g2)
    if ra.ndim == 1:
        s = np.shape(m.raw(ga))
        ga = m.reshape(ga, s[:-2] + s[-1:])
    if rb.ndim == 1:
        gb = m.reshape(gb, np.shape(m.raw(gb))[:-1])
    return ga, gb


MATMUL = _declare(
    "matmul", symbol="@", rule="∂(A@B)/∂A = G@Bᵀ, ∂(A@B)/∂B = Aᵀ@G", kinds=("tensor",),
    matrix=("{G} · {b}ᵀ", "{a}ᵀ · {G}"),
    forward=lambda m, a, b: np.matmul(a, b),
    vjp=_matmul_vjp,
    reference=lambda torch, a, b: a @ b, sample="rr",
)


def _linear_forward(m: Any, x: Any, w: Any, b: Any = None) -> Any:
    out = np.matmul(x, w.T)
    if b is not None:
        out += b  # out is a fresh array: adding in place saves a temporary
    return out


def _linear_vjp(m: Any, g: Any, out: Any, x: Any, w: Any, b: Any = None) -> tuple:
    """y = x@Wᵀ + b:  ∂x = G@W, ∂W = Gᵀ@x (rows summed), ∂b = G (summed by the core)."""
    xr = m.raw(x)
    n_out = m.raw(w).shape[0]
    gx = m.matmul(g, w)
    if xr.ndim == 1:
        gw = m.matmul(m.reshape(g, (n_out, 1)), m.reshape(x, (1, xr.shape[0])))
    else:
        gw = m.matmul(m.mT(m.reshape(g, (-1, n_out))), m.reshape(x, (-1, xr.shape[-1])))
    return (gx, gw) if b is None else (gx, gw, g)


LINEAR = _declare(
    "linear", symbol="linear", rule="y = x@Wᵀ + b: ∂x = G@W, ∂W = Gᵀ@x, ∂b = Σ_rows G",
    matrix=("{G} · {b}", "({G})ᵀ · {a}", "{G}"),
    kinds=("tensor",), broadcasts=(2,),
    forward=_linear_forward, vjp=_linear_vjp,
    reference=lambda torch, x, w, b=None: torch.nn.functional.linear(x, w, b), sample="rrr",
)

# -- normalised exponentials (Tensors) -------------------------------------------------------


def _shifted(a: Any, axis: int) -> Any:
    with np.errstate(invalid="ignore"):  # a row holding +inf (or only −inf) is NaN, as torch
        return a - np.max(a, axis=axis, keepdims=True)


def _softmax_forward(m: Any, a: Any, axis: int) -> Any:
    e = np.exp(_shifted(a, axis))
    return e / np.sum(e, axis=axis, keepdims=True)


SOFTMAX = _declare(
    "softmax", symbol="softmax", rule="∂L/∂a = s·(G − Σ G·s)", kinds=("tensor",),
    matrix="{z} ⊙ ({G} − Σ({G} ⊙ {z}))",
    params=("axis",),
    forward=_softmax_forward,
    vjp=lambda m, g, out, a, axis: (out * (g - m.sum(g * out, axis, True)),),
    reference=lambda torch, a, axis: a.softmax(axis),
)
LOG_SOFTMAX = _declare(
    "log_softmax", symbol="log_softmax", rule="∂L/∂a = G − softmax(a)·Σ G", kinds=("tensor",),
    matrix="{G} − softmax({a}) ⊙ Σ {G}",
    params=("axis",),
    forward=lambda m, a, axis: _shifted(a, axis) - np.log(
        np.sum(np.exp(_shifted(a, axis)), axis=axis, keepdims=True)),
    vjp=lambda m, g, out, a, axis: (g - m.exp(out) * m.sum(g, axis, True),),
    reference=lambda torch, a, axis: a.log_softmax(axis),
)


# -- looking ops up by the name a node stores ------------------------------------------------
def op_for(name: str) -> Op | None:
    """The Op of a node's ``_op`` name (``'**2'`` is ``**k``); None for unknown names."""
    op = OPS.get(name)
    if op is None and name.startswith("**") and len(name) > 2:
        return POWK
    return op


def op_symbol(name: str) -> str:
    """The symbol a graph shows for an op name (``'*'`` shows as ``×``, ``'**2'`` as ``^2``)."""
    op = OPS.get(name)
    if op is not None:
        return op.symbol
    if name.startswith("**"):
        return "^" + name[2:]
    return name


def op_rule(name: str) -> str:
    """The derivative rule of an op name, as text ('' when there is none to show)."""
    op = OPS.get(name)
    if op is not None:
        return op.rule
    if name.startswith("**") and len(name) > 2:
        k = name[2:]
        return f"∂(a^{k})/∂a = {k}·a^({k}−1)"
    return ""


def op_word(name: str) -> str:
    """The op as a word for naming an unlabeled result: ``'*'`` → ``mul``, ``'**2'`` → ``pow``."""
    op = op_for(name)
    return op.word if op is not None else name


def is_activation(name: str) -> bool:
    """True for ops that are a neuron's nonlinearity (tanh, σ, ReLU, …)."""
    op = OPS.get(name)
    return op is not None and op.activation


def is_infix(name: str) -> bool:
    """True for ops written between their operands (``a + b``), not as a call (``tanh(a)``)."""
    op = OPS.get(name)
    return op is not None and op.infix

