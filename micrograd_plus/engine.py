"""Value: a scalar that remembers how it was computed.

Every operation is its forward value and its local derivatives, side by side, recorded at
forward time: ``out = op(a, b)`` stores ``_prev = (a, b)`` and ``_local = (∂out/∂a, ∂out/∂b)``.
Backward is then ``parent.grad += local * out.grad`` for every edge; the visualizer's edge
labels, ``explain()`` and the stepper read the same numbers. A node refers only to its
inputs (no closures), so a dropped graph is freed at once by reference counting.

Domain conventions (documented in the README):

- ``a / 0`` raises ZeroDivisionError; ``log(x)`` for x <= 0 and ``sqrt(x)`` for x < 0 raise
  ValueError. NaN and inf are accepted as data and propagate; use ``anomaly()`` to find
  the op that produced them.
- ``a ** b`` with a negative base and a non-integer exponent gives NaN (as PyTorch does),
  never a Python complex number. ``0 ** negative`` gives inf.
- ``exp``, ``tanh``, ``sigmoid``, ``softplus`` are stable at ±1000.
- At kinks PyTorch's conventions: relu'(0) = 0, leaky_relu'(0) = slope, abs'(0) = 0.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Iterable, Sequence

from . import autograd
from .autograd import Node, mode

__all__ = ["Value", "vsum", "dot", "OPS", "op_symbol", "op_rule"]

_exp = math.exp
_new = object.__new__


def _pow(a: float, b: float) -> float:
    """IEEE pow: NaN for a negative base with a non-integer exponent, ±inf for 0 ** negative."""
    try:
        r = a**b
    except ZeroDivisionError:
        odd = float(b).is_integer() and int(b) % 2 == 1
        return math.copysign(math.inf, a) if odd else math.inf
    except OverflowError:  # |a^b| beyond the float range
        if not float(b).is_integer():
            return math.inf if a > 0 else math.nan  # a negative base: NaN, as for small |a^b|
        return math.inf if a > 0 or int(b) % 2 == 0 else -math.inf
    if type(r) is complex:
        return math.nan
    return float(r)


def _sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + _exp(-x))
    z = _exp(x)
    return z / (1.0 + z)


def _check_number(x: Any, what: str) -> float:
    if type(x) is float:
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(
            f"{what} must be a real number (int or float), got {type(x).__name__}: {x!r}"
        )
    return float(x)


def _result(data: float, parents: tuple, local: tuple, op: str) -> "Value":
    """A new node ``op(parents) = data`` with ``local[i] = ∂data/∂parents[i]``."""
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._op = op
    out._hooks = None
    out._pass_grad = 0.0
    if mode.grad_enabled:
        out._prev = parents
        out._local = local
        out.requires_grad = True
    else:
        out._prev = ()
        out._local = ()
        out.requires_grad = False
    if mode.anomaly and not math.isfinite(data):
        autograd.raise_forward_anomaly(op, parents, data)
    return out


def _leaf(x: float) -> "Value":
    """``Value(x)`` for a float ``x`` (a constant operand), without re-checking it."""
    out = _new(Value)
    out.data = x
    out.grad = 0.0
    out.label = ""
    out._op = ""
    out._prev = ()
    out._local = ()
    out.requires_grad = True
    out._hooks = None
    out._pass_grad = 0.0
    return out


class Value(Node):
    """A scalar node of the computation graph.

    ``Value(data, _children=(), _op='', label='')`` is micrograd's constructor, so code
    written for micrograd runs unchanged. ``data`` is a float, ``grad`` starts at 0.0 and
    accumulates over ``backward()`` calls (as in PyTorch); ``zero_grad()`` starts afresh.
    """

    # _pass_grad: scratch space of autograd.run_backward (this pass's gradient)
    __slots__ = ("data", "grad", "label", "_op", "_prev", "_local", "requires_grad", "_hooks",
                 "_pass_grad", "__weakref__")
    _cleared_grad = 0.0  # what zero_grad() leaves in .grad

    def __init__(
        self,
        data: float,
        _children: Iterable["Value"] = (),
        _op: str = "",
        label: str = "",
        requires_grad: bool = True,
    ) -> None:
        self.data = _check_number(data, "Value data")
        self.grad = 0.0
        self.label = label
        self._op = _op
        self._prev = tuple(_children)
        for child in self._prev:
            if not isinstance(child, Value):
                raise TypeError(f"Value _children must be Values, got {type(child).__name__}")
        # micrograd-style hand-built nodes carry no derivative rule; backward reports that
        self._local = None if self._prev else ()
        self.requires_grad = bool(requires_grad)
        self._hooks = None
        self._pass_grad = 0.0

    # results are made in one place, the module's _result; node makers elsewhere call it as
    # Value._result
    _result = staticmethod(_result)

    # -- autograd protocol ----------------------------------------------------------------
    def _backward(self, g: float) -> list:
        local = self._local
        if local is None:
            raise RuntimeError(
                f"node {autograd.describe(self)} was built by hand with "
                f"Value(data, _children, _op='{self._op}') and has no derivative rule; "
                "build it from Value operations instead"
            )
        return [d * g for d in local]

    def _store_grad(self, g: float) -> None:
        self.grad += g

    def backward(self, grad: float = 1.0) -> None:
        """Reverse-mode autodiff from this node, seeded with ``grad`` (∂self/∂self = 1).

        Gradients accumulate into ``.grad`` of every node reached, leaves and intermediates:
        a node used k times gets the sum of its k contributions, and calling ``backward()``
        twice doubles every gradient. Call ``zero_grad()`` (or ``model.zero_grad()``) to
        start fresh.
        """
        autograd.check_requires_grad(self)
        seed = _check_number(grad, "backward() seed gradient")
        autograd.run_backward(self, seed)

    def detach(self) -> "Value":
        """A new leaf with the same data that records no graph (``requires_grad=False``)."""
        return Value(self.data, label=self.label, requires_grad=False)

    @property
    def local_grads(self) -> tuple:
        """``(∂self/∂parent for parent in self._prev)``, recorded at forward time."""
        return tuple(self._local or ())

    def item(self) -> float:
        return self.data

    def __float__(self) -> float:
        return self.data

    # -- binary operations ----------------------------------------------------------------
    def __add__(self, other: Any) -> "Value":
        """a + b;  ∂/∂a = 1, ∂/∂b = 1"""
        if type(other) is not Value:
            other = _as_value(other)
            if other is NotImplemented:
                return other
        return _result(self.data + other.data, (self, other), (1.0, 1.0), "+")

    def __sub__(self, other: Any) -> "Value":
        """a − b;  ∂/∂a = 1, ∂/∂b = −1"""
        if type(other) is not Value:
            other = _as_value(other)
            if other is NotImplemented:
                return other
        return _result(self.data - other.data, (self, other), (1.0, -1.0), "-")

    def __mul__(self, other: Any) -> "Value":
        """a · b;  ∂/∂a = b, ∂/∂b = a"""
        if type(other) is not Value:
            other = _as_value(other)
            if other is NotImplemented:
                return other
        return _result(self.data * other.data, (self, other), (other.data, self.data), "*")

    def __truediv__(self, other: Any) -> "Value":
        """a / b;  ∂/∂a = 1/b, ∂/∂b = −a/b²"""
        other = _as_value(other)
        if other is NotImplemented:
            return other
        a, b = self.data, other.data
        if b == 0.0:
            raise ZeroDivisionError(f"division by zero in a / b with a={a!r}, b={b!r}")
        q = a / b
        # −(a/b)/b rather than −a/b²: b² underflows to 0 for |b| < 1e-162
        return _result(q, (self, other), (1.0 / b, -q / b), "/")

    def __pow__(self, other: Any) -> "Value":
        """a ** b;  ∂/∂a = b·a^(b−1), ∂/∂b = a^b·ln a (0 where a = 0 and b >= 0, like PyTorch)"""
        a = self.data
        if isinstance(other, Value):
            b = other.data
            out = _pow(a, b)
            d_base = 0.0 if b == 0.0 else b * _pow(a, b - 1.0)
            if a == 0.0 and b >= 0.0:
                d_exp = 0.0
            elif a > 0.0:
                d_exp = out * math.log(a)
            elif a == 0.0:
                d_exp = out * -math.inf  # a^b · ln 0 with a^b = ±inf, as PyTorch
            else:
                d_exp = math.nan  # ln of a negative base, as PyTorch
            return _result(out, (self, other), (d_base, d_exp), "**")
        if isinstance(other, bool) or not isinstance(other, numbers.Real):
            return NotImplemented
        b = float(other)
        d_base = 0.0 if b == 0.0 else b * _pow(a, b - 1.0)
        return _result(_pow(a, b), (self,), (d_base,), f"**{other}")

    def __rpow__(self, other: Any) -> "Value":
        other = _as_value(other)
        return other if other is NotImplemented else other.__pow__(self)

    def __radd__(self, other: Any) -> "Value":
        return self.__add__(other)

    def __rmul__(self, other: Any) -> "Value":
        return self.__mul__(other)

    def __rsub__(self, other: Any) -> "Value":
        other = _as_value(other)
        return other if other is NotImplemented else other.__sub__(self)

    def __rtruediv__(self, other: Any) -> "Value":
        other = _as_value(other)
        return other if other is NotImplemented else other.__truediv__(self)

    # -- unary operations -----------------------------------------------------------------
    def __neg__(self) -> "Value":
        """−a;  d/da = −1"""
        return _result(-self.data, (self,), (-1.0,), "neg")

    def __pos__(self) -> "Value":
        return self

    def __abs__(self) -> "Value":
        """|a|;  d/da = sign(a), 0 at 0"""
        x = self.data
        return _result(abs(x), (self,), (float((x > 0) - (x < 0)),), "abs")

    def abs(self) -> "Value":
        return self.__abs__()

    def exp(self) -> "Value":
        """e^x;  d/dx = e^x"""
        try:
            e = _exp(self.data)
        except OverflowError:
            e = math.inf
        return _result(e, (self,), (e,), "exp")

    def log(self) -> "Value":
        """ln x;  d/dx = 1/x  (x > 0)"""
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log of a non-positive number: log({x!r})")
        return _result(math.log(x), (self,), (1.0 / x,), "log")

    def sqrt(self) -> "Value":
        """√x;  d/dx = 1/(2√x)  (inf at 0)"""
        x = self.data
        if x < 0.0:
            raise ValueError(f"sqrt of a negative number: sqrt({x!r})")
        s = math.sqrt(x)
        return _result(s, (self,), (0.5 / s if s else math.copysign(math.inf, s),), "sqrt")

    def tanh(self) -> "Value":
        """tanh x;  d/dx = 1 − tanh² x"""
        t = math.tanh(self.data)
        return _result(t, (self,), (1.0 - t * t,), "tanh")

    def sigmoid(self) -> "Value":
        """σ(x) = 1/(1 + e^−x);  d/dx = σ(x)(1 − σ(x))"""
        s = _sigmoid(self.data)
        return _result(s, (self,), (s * (1.0 - s),), "sigmoid")

    def relu(self) -> "Value":
        """max(0, x);  d/dx = 1 if x > 0 else 0"""
        x = self.data
        if x <= 0.0:  # written this way round so NaN propagates, as in PyTorch
            return _result(0.0, (self,), (0.0,), "ReLU")
        return _result(x, (self,), (1.0,), "ReLU")

    def leaky_relu(self, slope: float = 0.01) -> "Value":
        """x if x > 0 else slope·x;  d/dx = 1 if x > 0 else slope"""
        slope = _check_number(slope, "leaky_relu slope")
        x = self.data
        if x > 0.0:
            return _result(x, (self,), (1.0,), "leaky_relu")
        return _result(slope * x, (self,), (slope,), "leaky_relu")

    def softplus(self) -> "Value":
        """ln(1 + e^x);  d/dx = σ(x)  (x for x > 20, PyTorch's threshold)"""
        x = self.data
        if x > 20.0:
            return _result(x, (self,), (1.0,), "softplus")
        return _result(math.log1p(_exp(x)), (self,), (_sigmoid(x),), "softplus")

    def sin(self) -> "Value":
        """sin x;  d/dx = cos x  (NaN at ±inf, as in PyTorch)"""
        x = self.data
        if math.isinf(x):  # math.sin raises there
            return _result(math.nan, (self,), (math.nan,), "sin")
        return _result(math.sin(x), (self,), (math.cos(x),), "sin")

    def cos(self) -> "Value":
        """cos x;  d/dx = −sin x  (NaN at ±inf, as in PyTorch)"""
        x = self.data
        if math.isinf(x):
            return _result(math.nan, (self,), (math.nan,), "cos")
        return _result(math.cos(x), (self,), (-math.sin(x),), "cos")

    # -- display --------------------------------------------------------------------------
    def __repr__(self) -> str:
        label = f"label={self.label!r}, " if self.label else ""
        return f"Value({label}data={self.data}, grad={self.grad})"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        """Jupyter shows a Value as its computation graph (needs the graphviz package)."""
        from .viz import draw_graph

        return draw_graph(self)._repr_mimebundle_(include=include, exclude=exclude)


def _as_value(x: Any) -> Any:
    if isinstance(x, Value):
        return x
    if type(x) is float:
        return _leaf(x)
    if type(x) is int:
        return _leaf(float(x))
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return Value(float(x))
    return NotImplemented


def vsum(values: Sequence[Any]) -> Value:
    """Σ v_i as one node;  ∂/∂v_i = 1.  Plain numbers are constants, not graph nodes."""
    parents = []
    total = 0.0
    for v in values:
        if isinstance(v, Value):
            parents.append(v)
            total += v.data
        else:
            total += _check_number(v, "vsum element")
    return _result(total, tuple(parents), (1.0,) * len(parents), "sum")


def dot(ws: Sequence[Any], xs: Sequence[Any], bias: Any = None) -> Value:
    """Σ w_i·x_i (+ b) as one node;  ∂/∂w_i = x_i, ∂/∂x_i = w_i, ∂/∂b = 1.

    Either side may hold plain numbers (constants such as input data); only Values become
    parents, so a neuron's pre-activation is a single node with nin (or 2·nin) edges. With
    ``bias`` (a Value, or a number taken as a constant) the node is a whole neuron's
    ``w·x + b``: parents w_1, x_1, …, w_n, x_n, then b last, with local derivative 1.
    """
    n = len(ws)
    if n != len(xs):
        raise ValueError(f"dot: length mismatch, {n} weights vs {len(xs)} inputs")
    # the hot spot of training: Value weights times Values or floats, checked by exact type
    # (cheap); anything else (constant weights, ints, numpy numbers) takes the general path
    parents: list = []
    local: list = []
    add_parent = parents.append
    add_local = local.append
    total = 0.0
    for w, x in zip(ws, xs):
        if type(w) is not Value:
            return _dot_general(ws, xs, bias)
        wd = w.data
        if type(x) is Value:
            xd = x.data
            add_parent(w)
            add_parent(x)
            add_local(xd)
            add_local(wd)
        elif type(x) is float:
            xd = x
            add_parent(w)
            add_local(xd)
        else:
            return _dot_general(ws, xs, bias)
        total += wd * xd
    if bias is not None:
        if type(bias) is not Value:
            return _dot_general(ws, xs, bias)
        add_parent(bias)
        add_local(1.0)
        total += bias.data
    return _result(total, tuple(parents), tuple(local), "dot")


def _dot_general(ws: Sequence[Any], xs: Sequence[Any], bias: Any = None) -> Value:
    """dot for any mix of Values and plain numbers, checking every number."""
    parents = []
    local = []
    total = 0.0
    for w, x in zip(ws, xs):
        if isinstance(w, Value):
            wd = w.data
            if isinstance(x, Value):
                xd = x.data
                parents.append(w)
                parents.append(x)
                local.append(xd)
                local.append(wd)
            else:
                xd = _check_number(x, "dot input")
                parents.append(w)
                local.append(xd)
        else:
            wd = _check_number(w, "dot weight")
            if isinstance(x, Value):
                xd = x.data
                parents.append(x)
                local.append(wd)
            else:
                xd = _check_number(x, "dot input")
        total += wd * xd
    if isinstance(bias, Value):
        parents.append(bias)
        local.append(1.0)
        total += bias.data
    elif bias is not None:
        total += _check_number(bias, "dot bias")
    return _result(total, tuple(parents), tuple(local), "dot")


# Binary ops written between their operands (a + b), not as a function call (tanh(a)).
INFIX_OPS = frozenset({"+", "-", "*", "/", "**"})

# Display symbol and derivative rule of every Value op, by op name (Tensor-only ops are in
# tensor_ops.TENSOR_OPS); read through op_symbol/op_rule by viz, explain and the stepper.
OPS: dict[str, tuple[str, str]] = {
    "+": ("+", "∂(a+b)/∂a = 1, ∂(a+b)/∂b = 1"),
    "-": ("−", "∂(a−b)/∂a = 1, ∂(a−b)/∂b = −1"),
    "*": ("×", "∂(a·b)/∂a = b, ∂(a·b)/∂b = a"),
    "/": ("÷", "∂(a/b)/∂a = 1/b, ∂(a/b)/∂b = −a/b²"),
    "**": ("^", "∂(a^b)/∂a = b·a^(b−1), ∂(a^b)/∂b = a^b·ln a"),
    "neg": ("−", "∂(−a)/∂a = −1"),
    "abs": ("|·|", "∂|a|/∂a = sign(a)"),
    "exp": ("exp", "∂e^a/∂a = e^a"),
    "log": ("log", "∂ln a/∂a = 1/a"),
    "sqrt": ("√", "∂√a/∂a = 1/(2√a)"),
    "tanh": ("tanh", "∂tanh a/∂a = 1 − tanh²a"),
    "sigmoid": ("σ", "∂σ(a)/∂a = σ(a)(1 − σ(a))"),
    "ReLU": ("ReLU", "∂relu(a)/∂a = 1 if a > 0 else 0"),
    "leaky_relu": ("LReLU", "∂lrelu(a)/∂a = 1 if a > 0 else slope"),
    "softplus": ("softplus", "∂ln(1+e^a)/∂a = σ(a)"),
    "sin": ("sin", "∂sin a/∂a = cos a"),
    "cos": ("cos", "∂cos a/∂a = −sin a"),
    "sum": ("Σ", "∂(Σ v_i)/∂v_i = 1"),
    "dot": ("·", "∂(Σ w_i x_i + b)/∂w_i = x_i, ∂/∂x_i = w_i, ∂/∂b = 1"),
    "bce": ("BCE", "∂BCE/∂p = (p − t)/(p(1 − p)), ∂BCE/∂t = ln(1 − p) − ln p"),  # losses.bce
}


def _op_entry(op: str) -> tuple[str, str]:
    """(symbol, derivative rule) of a Value or Tensor op name; (op, '') when unknown."""
    entry = OPS.get(op)
    if entry is not None:
        return entry
    if op.startswith("**"):  # a number exponent, named after it: '**2'
        k = op[2:]
        return "^" + k, f"∂(a^{k})/∂a = {k}·a^({k}−1)"
    from .tensor_ops import TENSOR_OPS  # numpy only; imported when a Tensor op is first shown

    return TENSOR_OPS.get(op, (op, ""))


def op_symbol(op: str) -> str:
    """The symbol a graph shows for an op name (``'*'`` shows as ``×``, ``'**2'`` as ``^2``)."""
    return _op_entry(op)[0]


def op_rule(op: str) -> str:
    """The derivative rule of an op name, as text ('' when there is none to show)."""
    return _op_entry(op)[1]


autograd.register_scalar_type(Value)
