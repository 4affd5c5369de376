"""Tensor: a numpy array that remembers how it was computed, on the same core as Value.

Each operation is an entry of the op table (``core.ops``) with its forward and derivative
rule side by side; a result node keeps its parents (``_prev``), the table entry (``_fn``),
its parameters (``_args``, e.g. the axis of a sum) and the op name (``_op``).
``backward()`` is the shared ``autograd.run_backward``; the only Tensor-specific work of
the backward pass is done here, once for every op: summing a gradient back over broadcast
axes to its parent's shape and casting it to the parent's dtype.

Each Tensor has a version counter, raised by every in-place change made through the
library (``t[i] = v``, ``add_``, ``copy_``, optimizer steps, ``load_state_dict``); a
backward pass through an op whose input changed since the forward pass raises a
RuntimeError instead of computing with the new numbers, as in PyTorch. Writing into
``t.data`` with numpy directly is not seen (like PyTorch's ``.data``).

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
from .autograd import Node, checks, init_leaf, mode
from .autograd import clock as _clock
from . import ops
from .mathspace import ARRAYS, NODES, TENSOR_FUNCTIONS, quiet_off, quiet_on, sum_to
from .checks import check_number, require_torch

__all__ = ["Tensor", "concatenate", "stack", "where", "maximum", "linear", "as_tensor",
           "apply_op", "leaf", "broadcast_to", "sum_to_shape", "contributions"]

_new = object.__new__
_ndarray = np.ndarray
recorder: Any = None
"""While ``micrograd_plus.trace`` records a step: the recorder, told of every op, backward
pass, read of a value and in-place change (see core.trace); None otherwise."""


def _operator_method(op: ops.Op, reflected: bool = False) -> Any:
    """The Tensor method ``a op other`` (``other op a`` when ``reflected``) of a binary op."""
    def method(self: "Tensor", other: Any) -> "Tensor":
        return _operator(op, self, other, reflected)

    word = "truediv" if op.word == "div" else op.word
    method.__name__ = f"__{'r' if reflected else ''}{word}__"
    return method


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

    __slots__ = ("data", "grad", "label", "requires_grad", "_op", "_prev", "_fn", "_args",
                 "_hooks", "_keep", "_version", "_saved", "_born", "__weakref__")
    _cleared_grad = None  # what zero_grad() leaves in .grad
    _kind = "tensor"

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
        _fill_leaf(self, arr.astype(dt, copy=False), label, bool(requires_grad))

    # -- autograd protocol ----------------------------------------------------------------
    def _vjp(self, g: np.ndarray) -> list:
        """The op's rule on arrays, then each gradient summed to its parent's shape and dtype."""
        parents = self._prev
        # numpy's warnings are silenced by the caller, once for the whole pass
        return contributions(ARRAYS, self._fn, self._args or _NO_ARGS, g, self.data,
                             [p.data for p in parents], parents)

    def _vjp_graph(self, g: Any) -> list:
        """The contributions as Tensors: the op's rule run on the nodes (create_graph)."""
        op, args, parents = self._fn, self._args or {}, self._prev
        if not isinstance(g, Tensor):
            g = leaf(np.asarray(g))
        if op.local is not None:
            selects = op.selects_for(args)
            grads = [None if not p.requires_grad else autograd.times(g, d, selects)
                     for p, d in zip(parents, op.local(NODES, self, *parents, **args))]
        else:
            grads = op.vjp(NODES, g, self, *parents, **args)
        out = []
        for parent, pg in zip(parents, grads):
            if pg is not None and parent.requires_grad:
                if not isinstance(pg, Tensor):
                    pg = leaf(np.asarray(pg, dtype=parent.data.dtype))
                if pg.shape != parent.shape:
                    pg = sum_to_shape(pg, parent.shape)
            else:
                pg = None
            out.append(pg)
        return out

    def _store_grad(self, g: Any) -> None:
        if self._fn is None or self._keep:  # a leaf (it requires grad to be here) or retained
            if isinstance(g, Tensor):  # a gradient with a graph (create_graph)
                self.grad = g if self.grad is None else self.grad + g
            elif self.grad is None:
                self.grad = np.array(g, dtype=self.data.dtype)  # a copy: g may be shared
            else:
                self.grad = self.grad + g

    def _default_seed(self) -> np.ndarray:
        if self.data.size != 1:
            raise ValueError(
                f"a gradient of a Tensor of shape {self.shape} needs a seed gradient of "
                "that shape: the gradient is implied only for a single-element output "
                "(reduce first, e.g. loss = out.sum())"
            )
        return np.ones_like(self.data)

    def _seed_from(self, g: Any) -> Any:
        if isinstance(g, Tensor):
            seed = g
        else:
            seed = _as_array(g, self.data.dtype, "seed gradient")
        if seed.shape != self.shape:
            raise ValueError(f"seed gradient has shape {seed.shape}, but the Tensor has "
                             f"shape {self.shape}")
        return seed

    def _as_grad(self, g: Any) -> Any:
        if isinstance(g, Tensor):
            return g
        return np.array(g, dtype=self.data.dtype)

    # -- in-place changes (each raises the version counter) -------------------------------
    def _bump_version(self) -> None:
        if recorder is not None:
            recorder.untraceable(f"an in-place change of a Tensor ({autograd.describe(self)})")
        autograd.mark_modified(self)

    def __setitem__(self, index: Any, value: Any) -> None:
        """``t[index] = value`` in place (a leaf that requires grad refuses, as in PyTorch)."""
        self._check_inplace("t[index] = value")
        self.data[_index(index)] = _data(value)
        self._bump_version()

    def copy_(self, src: Any) -> "Tensor":
        """Copy ``src``'s values into this Tensor's array, in place."""
        self._check_inplace("copy_()")
        self.data[...] = _data(src)
        self._bump_version()
        return self

    def add_(self, other: Any, alpha: float = 1.0) -> "Tensor":
        """self += alpha · other, in place."""
        self._check_inplace("add_()")
        self.data += alpha * np.asarray(_data(other), dtype=self.data.dtype)
        self._bump_version()
        return self

    def mul_(self, other: Any) -> "Tensor":
        """self *= other, in place."""
        self._check_inplace("mul_()")
        self.data *= np.asarray(_data(other), dtype=self.data.dtype)
        self._bump_version()
        return self

    def zero_(self) -> "Tensor":
        """Fill with zeros, in place."""
        self._check_inplace("zero_()")
        self.data[...] = 0
        self._bump_version()
        return self

    def _check_inplace(self, what: str) -> None:
        if self.requires_grad and self._fn is None and mode.grad_enabled:
            raise RuntimeError(
                f"{what} on a leaf Tensor that requires grad would change a parameter "
                "behind the graph's back: do it inside `with no_grad():` (as in PyTorch)"
            )

    def backward(self, grad: Any = None, create_graph: bool = False) -> None:
        """Reverse-mode autodiff from this Tensor; ``grad`` is ∂L/∂self (1 for a scalar).

        Leaves that require grad (and ``retain_grad()`` nodes) receive ∂L/∂leaf in
        ``.grad``, added to what is already there, exactly like PyTorch. With
        ``create_graph=True`` the stored gradients are Tensors with a graph of their own,
        so they can be differentiated again.
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
        if create_graph:
            seed = leaf(seed)
        if recorder is not None:
            recorder.backward(self, seed, create_graph)
        autograd.run_backward(self, seed, create_graph=create_graph)

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
        return leaf(self.data, self.label)

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
    def grad_fn(self) -> ops.Op | None:
        """The op-table entry that made this node (None for leaves), like PyTorch's grad_fn."""
        return self._fn

    def item(self) -> float:
        if recorder is not None:
            recorder.untraceable("a read of a Tensor's value (.item(), float(), bool())")
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
        return bool(self.item())

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
    __add__ = _operator_method(ops.ADD)
    __radd__ = _operator_method(ops.ADD, reflected=True)
    __sub__ = _operator_method(ops.SUB)
    __rsub__ = _operator_method(ops.SUB, reflected=True)
    __mul__ = _operator_method(ops.MUL)
    __rmul__ = _operator_method(ops.MUL, reflected=True)
    __truediv__ = _operator_method(ops.DIV)
    __rtruediv__ = _operator_method(ops.DIV, reflected=True)

    def __pow__(self, other: Any) -> "Tensor":
        if isinstance(other, numbers.Real) and not isinstance(other, bool):
            return _apply(ops.POWK, (self,), {"k": other}, f"**{other}")
        return _operator(ops.POW, self, other)

    __rpow__ = _operator_method(ops.POW, reflected=True)

    __matmul__ = _operator_method(ops.MATMUL)
    __rmatmul__ = _operator_method(ops.MATMUL, reflected=True)

    def matmul(self, other: Any) -> "Tensor":
        """self @ other with numpy's rules (1-D, 2-D and batched operands)."""
        return self.__matmul__(other)

    def __neg__(self) -> "Tensor":
        return _apply(ops.NEG, (self,))

    def __pos__(self) -> "Tensor":
        return self

    def __abs__(self) -> "Tensor":
        return _apply(ops.ABS, (self,))

    # comparisons give plain boolean arrays; == stays identity (see the module docstring)
    def __lt__(self, other: Any) -> np.ndarray:
        return _compared(self) < _data(other)

    def __le__(self, other: Any) -> np.ndarray:
        return _compared(self) <= _data(other)

    def __gt__(self, other: Any) -> np.ndarray:
        return _compared(self) > _data(other)

    def __ge__(self, other: Any) -> np.ndarray:
        return _compared(self) >= _data(other)

    def eq(self, other: Any) -> np.ndarray:
        """Elementwise ``==`` as a boolean array (``==`` itself compares identity)."""
        return _compared(self) == _data(other)

    def ne(self, other: Any) -> np.ndarray:
        return _compared(self) != _data(other)

    __hash__ = object.__hash__

    # -- elementwise functions ------------------------------------------------------------
    # exp, log, sqrt, tanh, sigmoid, relu, softplus, sin, cos, abs: added from the op table
    # (see the end of this module); those with parameters are written here
    def leaky_relu(self, slope: float = 0.01) -> "Tensor":
        return _apply(ops.LEAKY_RELU, (self,), {"slope": check_number(slope, "leaky_relu slope")})

    def clip(self, min: float | None = None, max: float | None = None) -> "Tensor":
        """Clamp into [min, max] (either may be None); the gradient is 1 inside, 0 outside."""
        if min is None and max is None:
            raise ValueError("clip: give at least one of min and max")
        lo = None if min is None else check_number(min, "clip min")
        hi = None if max is None else check_number(max, "clip max")
        return _apply(ops.CLIP, (self,), {"lo": lo, "hi": hi})

    clamp = clip

    def softmax(self, axis: int = -1) -> "Tensor":
        """e^x / Σ e^x along ``axis`` (shifted by the max, so it never overflows)."""
        return _apply(ops.SOFTMAX, (self,), {"axis": _axis(axis, self)})

    def log_softmax(self, axis: int = -1) -> "Tensor":
        """x − log Σ e^x along ``axis`` (stable log-sum-exp)."""
        return _apply(ops.LOG_SOFTMAX, (self,), {"axis": _axis(axis, self)})

    # -- reductions -----------------------------------------------------------------------
    # ``axis``: None (every axis), an int or a tuple of ints; ``keepdims`` as in numpy
    def sum(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _reduction(ops.SUM, self, axis, keepdims)

    def mean(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        return _reduction(ops.MEAN, self, axis, keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        """Largest entry along ``axis``; tied maxima share the gradient (torch.amax)."""
        return _reduction(ops.MAX, self, axis, keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> "Tensor":
        """Smallest entry along ``axis``; tied minima share the gradient (torch.amin)."""
        return _reduction(ops.MIN, self, axis, keepdims)

    # -- shape ----------------------------------------------------------------------------
    def reshape(self, *shape: Any) -> "Tensor":
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _apply(ops.RESHAPE, (self,), {"shape": shape})

    def transpose(self, *axes: Any) -> "Tensor":
        """Permute the axes (numpy's rule: no axes reverses them, as ``.T`` does)."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        return _apply(ops.TRANSPOSE, (self,), {"axes": axes or None})

    @property
    def T(self) -> "Tensor":
        return _apply(ops.TRANSPOSE, (self,), {"axes": None})

    def __getitem__(self, index: Any) -> "Tensor":
        index = _index(index)
        return _apply(ops.GETITEM, (self,), {"index": index, "basic": _is_basic(index)})

    # -- PyTorch interop ------------------------------------------------------------------
    def to_torch(self) -> Any:
        """A torch leaf tensor with a copy of the data, dtype and ``requires_grad``."""
        torch = require_torch()
        out = torch.from_numpy(np.array(self.data))  # np.array copies: no shared memory
        return out.requires_grad_(self.requires_grad)

    @staticmethod
    def from_torch(t: Any) -> "Tensor":
        """A leaf Tensor with a copy of a torch tensor (float32 stays float32, else float64)."""
        torch = require_torch()
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"from_torch expects a torch.Tensor, got {type(t).__name__}")
        src = t.detach().cpu()
        dtype = np.float32 if src.dtype == torch.float32 else np.float64
        if src.dtype in (torch.float16, torch.bfloat16):
            src = src.float()
        return Tensor(src.numpy(), requires_grad=t.requires_grad, dtype=dtype)


# -- building result nodes ----------------------------------------------------------------
def _result(op: ops.Op, data: Any, parents: tuple, args: dict | None, name: str) -> Tensor:
    """The node ``op(parents) = data``; it records the graph only if some parent needs grad."""
    if type(data) is not _ndarray:
        data = np.asarray(data)
    out = _new(Tensor)
    out.data = data
    out.grad = None
    out.label = ""
    out._op = name
    out._hooks = None
    out._keep = False
    out._version = 0
    out._born = _clock.epoch
    needed = False
    for p in parents:
        if p.requires_grad:
            needed = True
            break
    if needed and mode.grad_enabled:
        out._prev = parents
        out._fn = op
        out._args = args
        out._saved = tuple([p._version for p in parents])
        out.requires_grad = True
    else:
        out._prev = ()
        out._fn = None
        out._args = None
        out._saved = None
        out.requires_grad = False
    if checks.anomaly and autograd.non_finite(data):
        autograd.raise_forward_anomaly(name, parents, data)
    return out


def _apply(op: ops.Op, parents: tuple, args: dict | None = None, name: str | None = None
           ) -> Tensor:
    """Run ``op``'s forward on the parents' arrays and make the result node.

    numpy's errors become errors that name the op and the shapes involved.
    """
    name = name or op.name
    datas = [p.data for p in parents]
    token = quiet_on()
    try:
        data = op.forward(ARRAYS, *datas, **args) if args else op.forward(ARRAYS, *datas)
    except ValueError as e:
        if len(parents) == 1:
            raise ValueError(f"{name}: not possible for a Tensor of shape {parents[0].shape}: "
                             f"{e}") from None
        if len(parents) == 2 and op.name not in ("concatenate", "stack"):
            a, b = parents
            raise ValueError(
                f"{name}: shapes {a.shape} and {b.shape} are not compatible ({e})") from None
        shapes = ", ".join(str(p.shape) for p in parents)
        raise ValueError(f"{name}: shapes {shapes} are not compatible ({e})") from None
    except IndexError as e:
        raise IndexError(f"{name}: bad index for a Tensor of shape {parents[0].shape}: "
                         f"{e}") from None
    except TypeError as e:  # e.g. reshape(2.5, 2): numpy's message alone names neither
        raise TypeError(f"{name}: bad argument for a Tensor of shape {parents[0].shape}: "
                        f"{e}") from None
    finally:
        quiet_off(token)
    out = _result(op, data, parents, args, name)
    if recorder is not None:
        recorder.op(op, parents, args, out)
    return out


_NO_ARGS: dict = {}
_NUMBERS = (np.generic, float, int)


def contributions(m: Any, op: ops.Op, args: dict, g: Any, out: Any, datas: Sequence[Any],
                  parents: Sequence[Any], traced: bool = False) -> list:
    """What an op sends each input in a backward pass: ∂L/∂input_i given ∂L/∂out = ``g``.

    The op's rule from the table, run in math space ``m`` on the result ``out`` and the
    inputs' values ``datas``: ``local`` (∂out/∂input_i) times ``g`` for an elementwise op,
    else ``vjp``; each gradient then summed back to the shape of ``datas[i]`` and cast to
    its dtype; None for an input whose ``parents[i].requires_grad`` is false.
    ``Tensor._vjp`` runs it on arrays; ``micrograd_plus.trace`` on its stand-ins (``traced``:
    their numbers cannot be read, see ``autograd.times``).
    """
    local = op.local
    if local is not None:
        selects = op.selects
        if selects.__class__ is not bool:
            selects = selects(**args)
        grads = local(m, out, *datas, **args)
    else:
        grads = op.vjp(m, g, out, *datas, **args)
    result = []
    for pg, d, parent in zip(grads, datas, parents):
        if pg is None or not parent.requires_grad:
            result.append(None)
            continue
        if local is not None:
            pg = autograd.times(g, pg, selects, traced=traced)
        if type(pg) is not _ndarray and (not traced or isinstance(pg, _NUMBERS)):
            pg = np.asarray(pg)
        if pg.shape != d.shape:
            pg = sum_to(pg, d.shape)
        if pg.dtype != d.dtype:
            pg = pg.astype(d.dtype)
        result.append(pg)
    return result


def _operator(op: ops.Op, a: Tensor, other: Any, reflected: bool = False) -> Tensor:
    """``a op other`` (or ``other op a`` when ``reflected``); a number or array ``other`` is
    a constant of ``a``'s dtype. NotImplemented for other types, so Python raises its error."""
    b = _lift(other, a.data.dtype)
    if b is NotImplemented:
        return b
    return _apply(op, (b, a) if reflected else (a, b))


def _reduction(op: ops.Op, a: Tensor, axis: Any, keepdims: bool) -> Tensor:
    return _apply(op, (a,), {"axis": _axes(axis), "keepdims": bool(keepdims)})


def leaf(data: np.ndarray, label: str = "") -> Tensor:
    """A constant leaf around an existing array (no copy, no checks)."""
    return _fill_leaf(_new(Tensor), data, label, False)


def _fill_leaf(out: Tensor, data: np.ndarray, label: str, requires_grad: bool) -> Tensor:
    """Every field of a leaf: its data, no gradient yet, no op, version 0."""
    init_leaf(out, data, None, label, requires_grad)
    out._keep = False
    out._version = 0
    out._saved = None
    return out


def broadcast_to(a: Tensor, shape: tuple) -> Tensor:
    """``a`` broadcast to ``shape`` (``np.broadcast_to``); its gradient sums back."""
    return _apply(ops.BROADCAST, (_as_node(a),), {"shape": tuple(shape)})


def sum_to_shape(a: Tensor, shape: tuple) -> Tensor:
    """``a`` summed over broadcast axes down to ``shape`` (the inverse of broadcast_to)."""
    return _apply(ops.SUM_TO, (_as_node(a),), {"shape": tuple(shape)})


def _expand(g: Any, shape: tuple, axis: Any, keepdims: bool) -> Tensor:
    g = _as_node(g)
    if axis is not None and not keepdims:
        axes = (axis,) if _is_int(axis) else tuple(axis)
        out_ndim = g.ndim + len(axes)
        kept = [d for d in range(out_ndim) if d not in {a % out_ndim for a in axes}]
        new_shape = [1] * out_ndim
        for d, n in zip(kept, g.shape):
            new_shape[d] = n
        g = g.reshape(tuple(new_shape))
    return broadcast_to(g, shape)


def _scatter_node(g: Any, index: Any, shape: tuple, basic: bool) -> Tensor:
    return _apply(ops.SCATTER, (_as_node(g),), {"index": index, "shape": tuple(shape),
                                                "basic": basic})


def _mT(a: Any) -> Tensor:
    a = _as_node(a)
    axes = tuple(range(a.ndim - 2)) + (a.ndim - 1, a.ndim - 2)
    return a.transpose(axes)


def _as_node(x: Any) -> Tensor:
    return x if isinstance(x, Tensor) else leaf(np.asarray(x))




def apply_op(op: ops.Op, inputs: Sequence[Any], params: dict | None = None) -> Tensor:
    """The node ``op(inputs)`` of a declared op; numbers and arrays become constants."""
    parents = tuple(as_tensor(x) for x in inputs)
    return _apply(op, parents, params)


# -- converting arguments -----------------------------------------------------------------
def _lift(x: Any, dtype: np.dtype) -> Any:
    """A Tensor for an operand: Tensors as they are, numbers and arrays as constants."""
    if isinstance(x, Tensor):
        return x
    if type(x) is float or type(x) is int:
        return leaf(np.array(x, dtype=dtype))
    if isinstance(x, bool):
        return NotImplemented
    arr = np.asarray(x) if isinstance(x, (_ndarray, numbers.Number, list, tuple)) else None
    if arr is None or arr.dtype.kind not in "biuf":
        return NotImplemented  # Python then raises "unsupported operand type(s)"
    return leaf(arr.astype(dtype, copy=False))


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


def _compared(t: Tensor) -> np.ndarray:
    """A Tensor's values for a comparison: a mask of this call's data, which a traced step
    would freeze (a ``where`` condition, a branch), so the tracer refuses it."""
    if recorder is not None:
        recorder.untraceable("a comparison of a Tensor's values (<, >, eq, ne)")
    return t.data


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
    return _apply(ops.CONCATENATE, _tensors(tensors, "concatenate"), {"axis": _int_axis(axis)})


def stack(tensors: Sequence[Any], axis: int = 0) -> Tensor:
    """Join Tensors of one shape along a new axis (``np.stack``, ``torch.stack``)."""
    return _apply(ops.STACK, _tensors(tensors, "stack"), {"axis": _int_axis(axis)})


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
    return _apply(ops.WHERE, (a, b), {"cond": c})


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise max(a, b); at ties each side gets half the gradient (torch.maximum)."""
    return _apply(ops.MAXIMUM, _tensors([a, b], "maximum"))


def linear(x: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """x @ weightᵀ + bias as one graph node (``torch.nn.functional.linear``)."""
    args = [x, weight] if bias is None else [x, weight, bias]
    return _apply(ops.LINEAR, _tensors(args, "linear"))


def _unary_method(op: ops.Op) -> Any:
    def method(self: Tensor) -> Tensor:
        return _apply(op, (self,))

    method.__name__ = op.method
    method.__doc__ = f"{op.name} elementwise;  {op.rule}"
    return method


def _attach(op: ops.Op) -> None:
    """Give Tensor the method of a one-input op of the table: t.exp(), t.tanh(), ..."""
    if "tensor" in op.kinds:
        setattr(Tensor, op.method, _unary_method(op))


ops.on_declare(_attach)
TENSOR_FUNCTIONS.update(expand=_expand, broadcast_to=broadcast_to, sum_to=sum_to_shape,
                        scatter=_scatter_node, mT=_mT, where=where)
