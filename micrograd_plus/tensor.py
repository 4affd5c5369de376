"""Tensor: a numpy array that remembers how it was computed, on the same core as Value.

Each operation is a small class in ``tensor_ops`` with ``forward`` and ``backward`` side by
side; a result node keeps its parents (``_prev``), the op object (``_fn``, holding arrays
saved for backward, never nodes) and the op name (``_op``). ``backward()`` is the shared
``autograd.run_backward``; the only Tensor-specific work of the backward pass is done here,
once for every op: summing a gradient back over broadcast axes to its parent's shape
(``_unbroadcast``) and casting it to the parent's dtype.

Semantics follow PyTorch:

- Gradients are stored only on leaves that require grad (``t.grad`` is None before the
  first backward) and on nodes that called ``retain_grad()``; they accumulate over
  ``backward()`` calls. ``backward()`` of a non-scalar needs a seed gradient of its shape.
- Results require grad when any input does (and grad mode is on); a Tensor made by the
  user is a leaf and does not require grad unless asked.
- float64 by default; float32 is kept through every op. Python numbers and numpy arrays
  mixed in take the Tensor's dtype (like PyTorch's scalars); two Tensors of different
  dtypes give the wider one.
- IEEE arithmetic: ``x / 0``, ``log 0``, ``sqrt`` of a negative number give ±inf/NaN as in
  PyTorch (no exception, no numpy warning); ``anomaly()`` names the op that made them.
- ``max``/``min`` split the gradient evenly among tied extrema, like ``torch.amax``
  (``torch.max(dim)`` instead picks one index).
- ``<, <=, >, >=`` and ``eq()``/``ne()`` return plain boolean numpy arrays (no graph);
  ``==`` stays identity, so Tensors can be used in sets, dicts and ``in`` tests safely.
"""

from __future__ import annotations

import numbers
from typing import Any, Iterator, Sequence

import numpy as np

from . import autograd
from . import tensor_ops as ops
from .autograd import Node, mode
from .engine import _check_number  # numeric arguments are checked as for Values

__all__ = ["Tensor", "concatenate", "stack", "where", "maximum", "linear", "as_tensor"]

_new = object.__new__
_ndarray = np.ndarray


class Tensor(Node):
    """An n-dimensional array node of the computation graph.

    ``Tensor(data, requires_grad=False, dtype=np.float64, label='')``: ``data`` is anything
    numpy turns into a numeric array (copied); ``dtype`` a float dtype (``None`` keeps the
    data's float dtype). ``grad`` is None until a backward pass reaches this leaf.

    >>> x = Tensor([[1.0, 2.0]], requires_grad=True)
    >>> (x * x).sum().backward()
    >>> x.grad
    array([[2., 4.]])
    """

    __slots__ = ("data", "grad", "label", "requires_grad", "_op", "_prev", "_fn", "_hooks",
                 "_keep", "__weakref__")
    _cleared_grad = None  # what zero_grad() leaves in .grad

    # numpy defers to Tensor's reflected operators (array + Tensor -> Tensor.__radd__)
    __array_ufunc__ = None

    def __init__(self, data: Any, requires_grad: bool = False, dtype: Any = np.float64,
                 label: str = "") -> None:
        if isinstance(data, Tensor):
            data = data.data
        try:
            arr = np.array(data)
        except (ValueError, TypeError) as e:
            raise ValueError(f"Tensor data must be a rectangular array of numbers: {e}") from None
        except RuntimeError as e:  # e.g. a torch tensor that requires grad
            raise TypeError(f"cannot make a Tensor from {type(data).__name__} ({e}); "
                            "use Tensor.from_torch for torch tensors") from None
        if arr.dtype.kind not in "biuf":
            raise TypeError(
                f"Tensor data must be numeric (bool, int or float), got {arr.dtype} data of "
                f"type {type(data).__name__}"
            )
        if dtype is None:
            dtype = arr.dtype if arr.dtype.kind == "f" else np.float64
        try:
            dt = np.dtype(dtype)
        except TypeError:
            raise TypeError(f"Tensor dtype must be a numpy float dtype, got {dtype!r}") from None
        if dt.kind != "f":
            raise TypeError(f"Tensor dtype must be a float dtype (float32/float64), got {dt}")
        self.data = arr.astype(dt, copy=False)
        self.grad = None
        self.label = label
        self.requires_grad = bool(requires_grad)
        self._op = ""
        self._prev = ()
        self._fn = None
        self._hooks = None
        self._keep = False

    # -- autograd protocol ----------------------------------------------------------------
    def _backward(self, g: np.ndarray) -> list:
        """The op's rule, then each gradient summed to its parent's shape and dtype."""
        out = []
        for parent, pg in zip(self._prev, self._fn.backward(g)):
            if pg is not None:
                d = parent.data
                if pg.shape != d.shape:
                    pg = _unbroadcast(pg, d.shape)
                if pg.dtype != d.dtype:
                    pg = pg.astype(d.dtype)
            out.append(pg)
        return out

    def _store_grad(self, g: np.ndarray) -> None:
        if self._fn is None or self._keep:  # a leaf (it requires grad to be here) or retained
            if self.grad is None:
                self.grad = np.array(g, dtype=self.data.dtype)  # a copy: g may be shared
            else:
                self.grad = self.grad + g

    def backward(self, grad: Any = None) -> None:
        """Reverse-mode autodiff from this Tensor; ``grad`` is ∂L/∂self (1 for a scalar).

        Leaves that require grad (and ``retain_grad()`` nodes) receive ∂L/∂leaf in
        ``.grad``, added to what is already there, exactly like PyTorch.
        """
        autograd.check_requires_grad(self)
        if grad is None:
            if self.data.size != 1:
                raise ValueError(
                    f"backward() on a Tensor of shape {self.shape} needs a seed gradient of "
                    "that shape: the gradient is implied only for a single-element output "
                    "(reduce first, e.g. loss = out.sum())"
                )
            seed = np.ones_like(self.data)
        else:
            seed = _as_array(grad, self.data.dtype, "backward() seed gradient")
            if seed.shape != self.shape:
                raise ValueError(
                    f"backward(): seed gradient has shape {seed.shape}, but the Tensor has "
                    f"shape {self.shape}"
                )
        autograd.run_backward(self, seed)

    def retain_grad(self) -> None:
        """Also store ``.grad`` on this non-leaf node during backward (as in PyTorch)."""
        self._keep = True

    def requires_grad_(self, requires_grad: bool = True) -> "Tensor":
        """Turn gradients on or off for this leaf (in place, like PyTorch's)."""
        if self._fn is not None and not requires_grad:  # would cut the graph silently
            raise RuntimeError(
                f"requires_grad_(False) on a Tensor made by '{self._op}': only leaves can "
                "change requires_grad; use t.detach() for a copy that records no graph"
            )
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self) -> "Tensor":
        """A new leaf sharing this data that records no graph (``requires_grad=False``)."""
        return _leaf(self.data, self.label)

    # -- attributes -----------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return self.data.size

    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def grad_fn(self) -> ops.Function | None:
        """The op object that made this node (None for leaves), like PyTorch's grad_fn."""
        return self._fn

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(
                f"item() needs a single-element Tensor, this one has shape {self.shape}"
            )
        return float(self.data.reshape(()))

    def numpy(self) -> np.ndarray:
        """The data array itself (shared, not copied), like ``torch.Tensor.numpy``."""
        return self.data

    def __array__(self, dtype: Any = None, copy: bool | None = None) -> np.ndarray:
        """The data for numpy: ``np.asarray(t)`` shares it, ``np.array(t)`` copies it."""
        data = self.data
        if dtype is not None and np.dtype(dtype) != data.dtype:
            if copy is False:
                raise ValueError(f"a {data.dtype} Tensor cannot become {np.dtype(dtype)} "
                                 "without a copy")
            return data.astype(dtype)
        return data.copy() if copy else data

    def __float__(self) -> float:
        return self.item()

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d Tensor")
        return len(self.data)

    def __iter__(self) -> Iterator["Tensor"]:
        """``self[0], self[1], …`` along the first axis; a 0-d Tensor is a TypeError (torch's)."""
        return map(self.__getitem__, range(len(self)))

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a Tensor of shape {self.shape} is ambiguous: use "
                "(t > 0).any() or .all() for elementwise tests"
            )
        return bool(self.data)

    def __repr__(self) -> str:
        body = np.array2string(self.data, separator=", ", prefix="Tensor(")
        extra = ""
        if self.dtype != np.float64:
            extra += f", dtype={self.dtype}"
        if self._fn is not None:
            extra += f", op={self._op!r}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        if self.label:
            extra += f", label={self.label!r}"
        return f"Tensor({body}{extra})"

    # -- arithmetic (broadcasting); a number or array operand is a constant ---------------
    def __add__(self, other: Any) -> "Tensor":
        return _operator(ops.Add, self, other)

    def __radd__(self, other: Any) -> "Tensor":
        return _operator(ops.Add, self, other, reflected=True)

    def __sub__(self, other: Any) -> "Tensor":
        return _operator(ops.Sub, self, other)

    def __rsub__(self, other: Any) -> "Tensor":
        return _operator(ops.Sub, self, other, reflected=True)

    def __mul__(self, other: Any) -> "Tensor":
        return _operator(ops.Mul, self, other)

    def __rmul__(self, other: Any) -> "Tensor":
        return _operator(ops.Mul, self, other, reflected=True)

    def __truediv__(self, other: Any) -> "Tensor":
        return _operator(ops.Div, self, other)

    def __rtruediv__(self, other: Any) -> "Tensor":
        return _operator(ops.Div, self, other, reflected=True)

    def __pow__(self, other: Any) -> "Tensor":
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return _unary(ops.PowScalar(other), self)
        return _operator(ops.Pow, self, other)

    def __rpow__(self, other: Any) -> "Tensor":
        return _operator(ops.Pow, self, other, reflected=True)

    def __matmul__(self, other: Any) -> "Tensor":
        return _operator(ops.MatMul, self, other)

    def __rmatmul__(self, other: Any) -> "Tensor":
        return _operator(ops.MatMul, self, other, reflected=True)

    def matmul(self, other: Any) -> "Tensor":
        """self @ other with numpy's rules (1-D, 2-D and batched operands)."""
        return self.__matmul__(other)

    def __neg__(self) -> "Tensor":
        return _unary(ops.Neg(), self)

    def __pos__(self) -> "Tensor":
        return self

    def __abs__(self) -> "Tensor":
        return _unary(ops.Abs(), self)

    # comparisons give plain boolean arrays; == stays identity (see the module docstring)
    def __lt__(self, other: Any) -> np.ndarray:
        return self.data < _data(other)

    def __le__(self, other: Any) -> np.ndarray:
        return self.data <= _data(other)

    def __gt__(self, other: Any) -> np.ndarray:
        return self.data > _data(other)

    def __ge__(self, other: Any) -> np.ndarray:
        return self.data >= _data(other)

    def eq(self, other: Any) -> np.ndarray:
        """Elementwise ``==`` as a boolean array (``==`` itself compares identity)."""
        return self.data == _data(other)

    def ne(self, other: Any) -> np.ndarray:
        return self.data != _data(other)

    __hash__ = object.__hash__

    # -- elementwise functions ------------------------------------------------------------
    def exp(self) -> "Tensor":
        return _unary(ops.Exp(), self)

    def log(self) -> "Tensor":
        return _unary(ops.Log(), self)

    def sqrt(self) -> "Tensor":
        return _unary(ops.Sqrt(), self)

    def tanh(self) -> "Tensor":
        return _unary(ops.Tanh(), self)

    def sigmoid(self) -> "Tensor":
        return _unary(ops.Sigmoid(), self)

    def relu(self) -> "Tensor":
        return _unary(ops.ReLU(), self)

    def leaky_relu(self, slope: float = 0.01) -> "Tensor":
        return _unary(ops.LeakyReLU(_check_number(slope, "leaky_relu slope")), self)

    def abs(self) -> "Tensor":
        return _unary(ops.Abs(), self)

    def clip(self, min: float | None = None, max: float | None = None) -> "Tensor":
        """Clamp into [min, max] (either may be None); the gradient is 1 inside, 0 outside."""
        if min is None and max is None:
            raise ValueError("clip: give at least one of min and max")
        lo = None if min is None else _check_number(min, "clip min")
        hi = None if max is None else _check_number(max, "clip max")
        return _unary(ops.Clip(lo, hi), self)

    clamp = clip

    def softmax(self, axis: int = -1) -> "Tensor":
        """e^x / Σ e^x along ``axis`` (shifted by the max, so it never overflows)."""
        return _unary(ops.Softmax(_axis(axis, self)), self)

    def log_softmax(self, axis: int = -1) -> "Tensor":
        """x − log Σ e^x along ``axis`` (stable log-sum-exp)."""
        return _unary(ops.LogSoftmax(_axis(axis, self)), self)

    # -- reductions -----------------------------------------------------------------------
    # ``axis``: None (every axis), an int or a tuple of ints; ``keepdims`` as in numpy
    def sum(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _reduction(ops.Sum, self, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _reduction(ops.Mean, self, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        """Largest entry along ``axis``; tied maxima share the gradient (torch.amax)."""
        return _reduction(ops.Max, self, axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        """Smallest entry along ``axis``; tied minima share the gradient (torch.amin)."""
        return _reduction(ops.Min, self, axis, keepdims)

    # -- shape ----------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> "Tensor":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _unary(ops.Reshape(shape), self)

    def transpose(self, *axes: Any) -> "Tensor":
        """Permute the axes (numpy's rule: no axes reverses them, as ``.T`` does)."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _unary(ops.Transpose(axes or None), self)

    @property
    def T(self) -> "Tensor":
        return _unary(ops.Transpose(None), self)

    def __getitem__(self, index: Any) -> "Tensor":
        index = _index(index)
        return _unary(ops.GetItem(index, _is_basic(index)), self)

    # -- PyTorch interop ------------------------------------------------------------------
    def to_torch(self) -> Any:
        """A torch tensor with a copy of the data (same dtype and requires_grad)."""
        from .interop import tensor_to_torch

        return tensor_to_torch(self)

    @staticmethod
    def from_torch(t: Any) -> "Tensor":
        """A leaf Tensor with a copy of a torch tensor's data, dtype and requires_grad."""
        from .interop import tensor_from_torch

        return tensor_from_torch(t)


# -- building result nodes ----------------------------------------------------------------
def _result(fn: ops.Function, data: Any, parents: tuple, needs: tuple) -> Tensor:
    """The node ``fn(parents) = data``; it records the graph only if some parent needs grad."""
    if type(data) is not _ndarray:
        data = np.asarray(data)
    out = _new(Tensor)
    out.data = data
    out.grad = None
    out.label = ""
    out._op = fn.op
    out._hooks = None
    out._keep = False
    if mode.grad_enabled and True in needs:
        fn.needs = needs
        out._prev = parents
        out._fn = fn
        out.requires_grad = True
    else:
        out._prev = ()
        out._fn = None
        out.requires_grad = False
    if mode.anomaly and autograd.non_finite(data):
        autograd.raise_forward_anomaly(fn.op, parents, data)
    return out


def _unary(fn: ops.Function, a: Tensor) -> Tensor:
    try:
        data = fn.forward(a.data)
    except ValueError as e:
        raise ValueError(f"{fn.op}: not possible for a Tensor of shape {a.shape}: {e}") from None
    except IndexError as e:
        raise IndexError(f"{fn.op}: bad index for a Tensor of shape {a.shape}: {e}") from None
    except TypeError as e:  # e.g. reshape(2.5, 2): numpy's message alone names neither
        raise TypeError(f"{fn.op}: bad argument for a Tensor of shape {a.shape}: {e}") from None
    return _result(fn, data, (a,), (a.requires_grad,))


def _binary(fn: ops.Function, a: Tensor, b: Tensor) -> Tensor:
    try:
        data = fn.forward(a.data, b.data)
    except ValueError as e:
        raise ValueError(
            f"{fn.op}: shapes {a.shape} and {b.shape} are not compatible ({e})"
        ) from None
    return _result(fn, data, (a, b), (a.requires_grad, b.requires_grad))


def _operator(op: type, a: Tensor, other: Any, reflected: bool = False) -> Tensor:
    """``a op other`` (or ``other op a`` when ``reflected``); a number or array ``other`` is
    a constant of ``a``'s dtype. NotImplemented for other types, so Python raises its error."""
    b = _lift(other, a.data.dtype)
    if b is NotImplemented:
        return b
    return _binary(op(), b, a) if reflected else _binary(op(), a, b)


def _reduction(op: type, a: Tensor, axis: Any, keepdims: bool) -> Tensor:
    return _unary(op(_axes(axis), bool(keepdims)), a)


def _nary(fn: ops.Function, parents: tuple) -> Tensor:
    try:
        data = fn.forward(*[p.data for p in parents])
    except ValueError as e:
        shapes = ", ".join(str(p.shape) for p in parents)
        raise ValueError(f"{fn.op}: shapes {shapes} are not compatible ({e})") from None
    return _result(fn, data, parents, tuple(p.requires_grad for p in parents))


def _leaf(data: np.ndarray, label: str = "") -> Tensor:
    """A constant leaf around an existing array (no copy, no checks)."""
    out = _new(Tensor)
    out.data = data
    out.grad = None
    out.label = label
    out.requires_grad = False
    out._op = ""
    out._prev = ()
    out._fn = None
    out._hooks = None
    out._keep = False
    return out


def _unbroadcast(g: np.ndarray, shape: tuple) -> np.ndarray:
    """Sum ``g`` over the axes broadcasting added or stretched, so that it has ``shape``."""
    extra = g.ndim - len(shape)
    if extra > 0:
        g = g.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and g.shape[i] != 1)
    if stretched:
        g = g.sum(axis=stretched, keepdims=True)
    if g.shape != shape:  # only reachable through a rule bug; fail loudly, not silently
        raise RuntimeError(f"gradient of shape {g.shape} does not fit its input's shape {shape}")
    return g


# -- converting arguments -----------------------------------------------------------------
def _lift(x: Any, dtype: np.dtype) -> Any:
    """A Tensor for an operand: Tensors as they are, numbers and arrays as constants."""
    if isinstance(x, Tensor):
        return x
    if type(x) is float or type(x) is int:
        return _leaf(np.array(x, dtype=dtype))
    if isinstance(x, bool):
        return NotImplemented
    arr = np.asarray(x) if isinstance(x, (_ndarray, numbers.Number, list, tuple)) else None
    if arr is None or arr.dtype.kind not in "biuf":
        return NotImplemented  # Python then raises "unsupported operand type(s)"
    return _leaf(arr.astype(dtype, copy=False))


def as_tensor(x: Any, dtype: Any = None) -> Tensor:
    """``x`` if it is a Tensor, else a constant Tensor of its data (float64 unless a float)."""
    if isinstance(x, Tensor):
        return x
    return Tensor(x, dtype=dtype)


def _as_array(x: Any, dtype: np.dtype, what: str) -> np.ndarray:
    arr = np.asarray(x.data if isinstance(x, Tensor) else x)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{what} must be numeric, got {type(x).__name__}")
    return arr.astype(dtype)


def _data(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


def _is_int(x: Any) -> bool:
    """A Python or numpy integer; not a bool (an axis of True is a mistake, not axis 1)."""
    return isinstance(x, (int, np.integer)) and not isinstance(x, bool)


def _axes(axis: Any) -> Any:
    if axis is None or _is_int(axis):
        return axis
    if isinstance(axis, (tuple, list)) and all(_is_int(a) for a in axis):
        return tuple(axis)
    raise TypeError(f"axis must be None, an int or a tuple of ints, got {axis!r}")


def _int_axis(axis: Any) -> int:
    if not _is_int(axis):
        raise TypeError(f"axis must be an int, got {axis!r}")
    return int(axis)


def _axis(axis: Any, t: Tensor) -> int:
    """One axis of ``t``, in [−ndim, ndim); a 0-d Tensor has axes 0 and −1, as in PyTorch."""
    axis = _int_axis(axis)
    n = max(t.ndim, 1)
    if not -n <= axis < n:
        raise ValueError(f"axis {axis} is out of range for a Tensor of shape {t.shape}")
    return axis


def _index(index: Any) -> Any:
    """Tensors used as indices become their arrays; lists become integer/bool arrays."""
    if isinstance(index, tuple):
        return tuple(_index(i) for i in index)
    if isinstance(index, Tensor):  # Tensors hold floats: whole numbers index like ints
        as_int = index.data.astype(np.intp)
        if not np.array_equal(as_int, index.data):
            raise IndexError(f"a Tensor used as an index must hold whole numbers: {index!r}")
        return as_int
    if isinstance(index, list):
        return np.asarray(index)
    return index


def _is_basic(index: Any) -> bool:
    """True for indexing that never selects an element twice (ints, slices, None, ...)."""
    parts = index if isinstance(index, tuple) else (index,)
    for p in parts:
        if not (p is None or p is Ellipsis or isinstance(p, slice) or _is_int(p)):
            return False
    return True


# -- functions of several Tensors ---------------------------------------------------------
def _tensors(xs: Sequence[Any], what: str) -> tuple:
    if isinstance(xs, (Tensor, np.ndarray)) or not isinstance(xs, (list, tuple)) or not xs:
        raise TypeError(f"{what} takes a non-empty list or tuple of Tensors")
    first = next((x for x in xs if isinstance(x, Tensor)), None)
    dtype = first.data.dtype if first is not None else np.dtype(np.float64)
    out = []
    for x in xs:
        t = _lift(x, dtype)
        if t is NotImplemented:
            raise TypeError(f"{what}: cannot use {type(x).__name__} as a Tensor")
        out.append(t)
    return tuple(out)


def concatenate(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join Tensors along an existing axis (``np.concatenate``, ``torch.cat``)."""
    return _nary(ops.Concatenate(_int_axis(axis)), _tensors(tensors, "concatenate"))


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join Tensors of one shape along a new axis (``np.stack``, ``torch.stack``)."""
    return _nary(ops.Stack(_int_axis(axis)), _tensors(tensors, "stack"))


def where(cond: Any, a: Any, b: Any) -> Tensor:
    """``a`` where ``cond`` is true, else ``b`` (broadcasting); ``cond`` is not differentiated."""
    c = np.asarray(_data(cond))
    if c.dtype != np.bool_:
        raise TypeError(f"where: cond must be a boolean array, got dtype {c.dtype}")
    a, b = _tensors([a, b], "where")
    try:
        np.broadcast_shapes(c.shape, a.shape, b.shape)
    except ValueError:
        raise ValueError(
            f"where: shapes cond {c.shape}, a {a.shape}, b {b.shape} are not compatible"
        ) from None
    return _binary(ops.Where(c), a, b)


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise max(a, b); at ties each side gets half the gradient (torch.maximum)."""
    return _binary(ops.Maximum(), *_tensors([a, b], "maximum"))


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weightᵀ + bias as one graph node (``torch.nn.functional.linear``)."""
    args = [x, weight] if bias is None else [x, weight, bias]
    return _nary(ops.Linear(), _tensors(args, "linear"))
