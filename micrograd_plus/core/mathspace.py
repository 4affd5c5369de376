"""Three namespaces that let one derivative rule run on numbers, arrays and graph nodes.

A rule in the op table is written once with operators and ``m.<function>`` calls, e.g.
tanh's local derivative ``1 - out * out`` or sum's gradient ``m.expand(g, shape, axis,
keepdims)``. ``m`` is one of:

- ``FLOATS``: Python floats, the Value engine's numbers (IEEE results, never an exception);
- ``ARRAYS``: numpy arrays, the Tensor engine's numbers;
- ``NODES``: Values and Tensors, so the same rule records a graph of the gradient
  (``backward(create_graph=True)``); constants mixed in fall back to the other two.

``m.mask(cond)`` / ``m.unless(cond)`` are the derivative of a selecting op (1 where the
gradient passes, 0 elsewhere): a float for Values, a boolean array for Tensors, so the
gradient is selected with ``where`` rather than multiplied by 0/1.

``m.raw(x)`` is a node's data (numbers and arrays as they are): conditions in a rule are
taken on raw data and are constants of the gradient's graph, as in PyTorch.
"""

from __future__ import annotations

import math
import operator
from types import SimpleNamespace
from typing import Any

import numpy as np

__all__ = ["FLOATS", "ARRAYS", "NODES", "fpow", "fsigmoid", "sum_to", "expand",
           "scatter", "quiet", "quiet_on", "quiet_off"]

_exp = math.exp
_inf = math.inf


try:  # numpy >= 2 keeps its error state in a context variable: set it directly (fast)
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj

    _QUIET_STATE = _make_extobj(divide="ignore", invalid="ignore", over="ignore",
                                under="ignore")
except ImportError:  # older numpy: the public context manager
    _extobj_contextvar = None


class _Quiet:
    """``np.errstate`` with every floating-point warning off, at a fraction of its cost
    (it runs around every Tensor operation)."""

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _extobj_contextvar.set(_QUIET_STATE)

    def __exit__(self, *exc: Any) -> None:
        _extobj_contextvar.reset(self._token)


def quiet_on() -> Any:
    """Enter the quiet numpy state; returns what ``quiet_off`` needs (for a hot path that
    cannot afford a context manager object per call)."""
    if _extobj_contextvar is None:
        state = np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore")
        state.__enter__()
        return state
    return _extobj_contextvar.set(_QUIET_STATE)


def quiet_off(token: Any) -> None:
    if _extobj_contextvar is None:
        token.__exit__(None, None, None)
    else:
        _extobj_contextvar.reset(token)


def quiet() -> Any:
    """IEEE results (inf, NaN) without numpy warnings, as PyTorch gives them."""
    if _extobj_contextvar is None:
        return np.errstate(divide="ignore", invalid="ignore", over="ignore", under="ignore")
    return _Quiet()


# -- floats ----------------------------------------------------------------------------------
def fpow(a: float, b: float) -> float:
    """IEEE pow: NaN for a negative base with a non-integer exponent, ±inf for 0 ** negative."""
    try:
        r = a**b
    except ZeroDivisionError:
        odd = float(b).is_integer() and int(b) % 2 == 1
        return math.copysign(_inf, a) if odd else _inf
    except OverflowError:  # |a^b| beyond the float range
        if not float(b).is_integer():
            return _inf if a > 0 else math.nan
        return _inf if a > 0 or int(b) % 2 == 0 else -_inf
    if type(r) is complex:
        return math.nan
    return float(r)


def fsigmoid(x: float) -> float:
    """σ(x) = 1/(1 + e^−x), computed without overflow for any x."""
    if x >= 0:
        return 1.0 / (1.0 + _exp(-x))
    z = _exp(x)
    return z / (1.0 + z)


def _fexp(x: float) -> float:
    try:
        return _exp(x)
    except OverflowError:
        return _inf


def _flog(x: float) -> float:
    if x > 0.0:
        return math.log(x)
    return -_inf if x == 0.0 else math.nan


def _fdiv(a: float, b: float) -> float:
    if b == 0.0:
        if a == 0.0 or a != a:
            return math.nan
        return math.copysign(_inf, a) * math.copysign(1.0, b)
    return a / b


def _fperiodic(f: Any) -> Any:
    def g(x: float) -> float:
        return math.nan if math.isinf(x) else f(x)  # math.sin(inf) raises; torch gives NaN
    return g


def _fsoftplus(x: float) -> float:
    return x if x > 20.0 else math.log1p(_exp(x))  # PyTorch's threshold 20


def _where(cond: Any, x: Any, y: Any) -> Any:
    return x if cond else y


FLOATS = SimpleNamespace(
    name="floats",
    raw=operator.pos,  # a float as it is (a C function: rules call it often)
    where=_where,
    exp=_fexp,
    log=_flog,
    log1p=lambda x: math.log1p(x) if x > -1.0 else _flog(1.0 + x),
    sqrt=lambda x: math.sqrt(x) if x >= 0.0 else math.nan,
    tanh=math.tanh,
    sigmoid=fsigmoid,
    softplus=_fsoftplus,
    sin=_fperiodic(math.sin),
    cos=_fperiodic(math.cos),
    pow=fpow,
    div=_fdiv,
    sign=lambda x: float((x > 0) - (x < 0)),
    relu=lambda x: 0.0 if x <= 0.0 else x,  # NaN stays NaN, as in PyTorch
    maximum=max,
    mask=(0.0).__add__,  # 0 + True = 1.0, 0 + False = 0.0 (C functions: relu runs them often)
    unless=(1.0).__sub__,  # 1 − True = 0.0, 1 − False = 1.0
)


# -- arrays ----------------------------------------------------------------------------------
def _asig(a: np.ndarray) -> np.ndarray:
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0, e) / (1.0 + e)


def _asoftplus(a: np.ndarray) -> np.ndarray:
    return np.where(a > 20.0, a, np.log1p(np.exp(np.minimum(a, 20.0))))


def sum_to(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``g`` over the axes broadcasting added or stretched, so that it has ``shape``."""
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if stretched:
        g = g.sum(axis=stretched, keepdims=True)
    if g.shape != tuple(shape):  # only reachable through a rule bug: fail loudly
        raise RuntimeError(f"gradient of shape {g.shape} does not fit its input's shape {shape}")
    return g


def expand(g: np.ndarray, shape: tuple, axis: Any, keepdims: bool) -> np.ndarray:
    """A reduced gradient broadcast back over the reduced axes of an input of ``shape``."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    out = np.empty(shape, dtype=g.dtype)  # a plain copy: cheaper than np.broadcast_to's view
    out[...] = g
    return out


def scatter(g: np.ndarray, index: Any, shape: tuple, basic: bool) -> np.ndarray:
    """Zeros of ``shape`` with ``g`` added at ``index`` (repeated indices add up)."""
    out = np.zeros(shape, dtype=g.dtype)
    if basic:
        out[index] = g  # ints and slices never select an element twice
    else:
        np.add.at(out, index, g)
    return out


def _asoftmax(a: np.ndarray, axis: int) -> np.ndarray:
    e = np.exp(a - np.max(a, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def _asign(a: np.ndarray) -> np.ndarray:
    return (a > 0).astype(a.dtype) - (a < 0)  # np.sign(NaN) would be NaN; torch gives 0


ARRAYS = SimpleNamespace(
    name="arrays",
    raw=lambda x: x,
    where=np.where,
    exp=np.exp,
    log=np.log,
    log1p=np.log1p,
    sqrt=np.sqrt,
    tanh=np.tanh,
    sigmoid=_asig,
    softplus=_asoftplus,
    sin=np.sin,
    cos=np.cos,
    pow=np.power,
    div=np.divide,
    sign=_asign,
    relu=lambda a: np.maximum(a, 0.0),  # not a·(a > 0): that makes −inf·0 = NaN
    maximum=np.maximum,
    mask=lambda cond: cond,  # a boolean array: the gradient passes where it is True
    unless=np.logical_not,
    sum=lambda a, axis=None, keepdims=False: np.sum(a, axis=axis, keepdims=keepdims),
    expand=expand,
    broadcast_to=np.broadcast_to,
    sum_to=sum_to,
    scatter=scatter,
    take=lambda a, index: a[index],
    reshape=np.reshape,
    transpose=np.transpose,
    mT=lambda a: np.swapaxes(a, -1, -2),
    matmul=np.matmul,
    softmax=_asoftmax,
)


# -- graph nodes -----------------------------------------------------------------------------
def _node_kind(*xs: Any) -> str:
    """'tensor', 'value' or '' (no node among xs)."""
    for x in xs:
        kind = getattr(x, "_kind", None)
        if kind is not None:
            return kind
    return ""


def _dispatch(name: str) -> Any:
    """A NODES function: the node method ``name`` for a node, else the number function."""
    def f(x: Any, *args: Any) -> Any:
        kind = getattr(x, "_kind", None)
        if kind is None:
            return getattr(FLOATS if isinstance(x, float) else ARRAYS, name)(x, *args)
        return getattr(x, name)(*args)
    f.__name__ = name
    return f


def _nwhere(cond: Any, x: Any, y: Any) -> Any:
    if isinstance(cond, (bool, np.bool_)) or _node_kind(x, y) == "value":
        return x if cond else y
    if _node_kind(x, y) == "tensor":
        return TENSOR_FUNCTIONS["where"](cond, x, y)
    return np.where(cond, x, y)


def _nlog(x: Any) -> Any:
    """ln x; on a Value outside the domain the IEEE constant (no graph: ∂ is undefined there)."""
    if getattr(x, "_kind", None) == "value" and not x.data > 0.0:
        return _flog(x.data)
    return _dispatch("log")(x)


def _ndiv(a: Any, b: Any) -> Any:
    """a / b; by a Value that is 0 the IEEE ±inf/NaN node (as the fast path gives, and
    PyTorch: √'s derivative 0.5/√a at a = 0 is inf), not the Value engine's error."""
    if getattr(b, "_kind", None) == "value" and b.data == 0.0:
        return type(b)._ieee_div(a, b)
    return a / b


def _nlog1p(x: Any) -> Any:
    """ln(1 + x) as the node log(1 + x), holding the exact log1p value (its derivative
    1/(1 + x) is the same), so the rule gives the numbers the fast path recorded."""
    kind = getattr(x, "_kind", None)
    if kind is None:
        return (FLOATS if isinstance(x, float) else ARRAYS).log1p(x)
    y = _nlog(1.0 + x)
    if getattr(y, "_kind", None) is not None:
        with quiet():
            y.data = FLOATS.log1p(x.data) if kind == "value" else np.log1p(x.data)
    return y


def _nsign(x: Any) -> Any:
    """sign of a node's data or of a number/array (a constant of the gradient's graph)."""
    if getattr(x, "_kind", None) is not None:
        x = x.data
    return FLOATS.sign(x) if isinstance(x, float) else ARRAYS.sign(x)


TENSOR_FUNCTIONS: dict = {}
"""The Tensor-graph functions the rules call through ``NODES`` (``where``, ``expand``, …),
filled in by ``core.tensor`` when it is imported, so this module imports nothing above it."""


def _tensor_fn(name: str) -> Any:
    def f(*args: Any, **kwargs: Any) -> Any:
        return TENSOR_FUNCTIONS[name](*args, **kwargs)
    f.__name__ = name
    return f


NODES = SimpleNamespace(
    name="nodes",
    raw=lambda x: getattr(x, "data", x) if getattr(x, "_kind", None) else x,
    where=_nwhere,
    exp=_dispatch("exp"),
    log=_nlog,
    sqrt=_dispatch("sqrt"),
    tanh=_dispatch("tanh"),
    sigmoid=_dispatch("sigmoid"),
    softplus=_dispatch("softplus"),
    sin=_dispatch("sin"),
    cos=_dispatch("cos"),
    log1p=_nlog1p,
    pow=lambda a, b: a**b,
    div=_ndiv,
    sign=_nsign,
    relu=_dispatch("relu"),
    mask=lambda cond: FLOATS.mask(cond) if isinstance(cond, (bool, np.bool_)) else cond,
    unless=lambda cond: (FLOATS.unless(cond) if isinstance(cond, (bool, np.bool_))
                         else np.logical_not(cond)),
    sum=lambda a, axis=None, keepdims=False: a.sum(axis=axis, keepdims=keepdims),
    expand=_tensor_fn("expand"),
    broadcast_to=_tensor_fn("broadcast_to"),
    sum_to=_tensor_fn("sum_to"),
    scatter=_tensor_fn("scatter"),
    take=lambda a, index: a[index],
    reshape=lambda a, shape: a.reshape(shape),
    transpose=lambda a, axes=None: a.transpose(axes) if axes is not None else a.T,
    mT=_tensor_fn("mT"),
    matmul=lambda a, b: a @ b,
    softmax=lambda a, axis: a.softmax(axis),
)
