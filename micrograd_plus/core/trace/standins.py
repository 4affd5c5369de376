"""Stand-in arrays: values of a step being compiled that write down the numpy calls made on them.

A :class:`StandIn` stands for an array (or a Python number) that depends on the step's
inputs, parameters or optimizer state. Arithmetic, ufuncs and numpy functions on stand-ins
are written into the program being compiled (:func:`recording`) and return new stand-ins;
calls on plain arrays only run now (constant folding). What a stand-in cannot write down
(a write into an array, a Python decision on its numbers) raises :class:`Unsupported`.
"""

from __future__ import annotations

import contextlib
import functools
import operator
from typing import Any, Callable, Iterator

import numpy as np

__all__ = ["Unsupported", "StandIn", "recording", "record", "values_of", "standins_of"]


class Unsupported(Exception):
    """Raised inside the compiler when a rule does something a stand-in cannot record."""


_program: Any = None
"""The program that stand-ins write their calls into (one compile at a time, under
autograd's backward lock); None outside a compile."""


@contextlib.contextmanager
def recording(program: Any) -> Iterator[Any]:
    """Stand-ins write their calls into ``program`` inside the ``with`` block."""
    global _program
    _program = program
    try:
        yield program
    finally:
        _program = None


def record(fn: Any, args: Any, kwargs: dict, mode: str) -> Any:
    """``fn(*args, **kwargs)`` written into the program being compiled (see Program.record)."""
    return _program.record(fn, args, kwargs, mode)


class StandIn:
    """A value of the step being compiled: an array (or a Python number) that depends on the
    inputs, parameters or optimizer state. Arithmetic and numpy functions on it record
    the call in the program and return a new ``StandIn``; ``value`` is the result computed
    now (for its shape and dtype). ``static``: the value is one array for every replay
    (a buffer, a parameter, or a view of one), bound by name in the compiled function."""

    __slots__ = ("value", "name", "static", "deps", "__weakref__")

    def __init__(self, value: Any, name: str, static: bool, deps: tuple = ()) -> None:
        self.value, self.name, self.static, self.deps = value, name, static, deps

    # shape queries are answered now: shapes are fixed for a compiled step
    shape = property(lambda self: np.shape(self.value))
    ndim = property(lambda self: np.ndim(self.value))
    size = property(lambda self: np.size(self.value))
    dtype = property(lambda self: np.asarray(self.value).dtype)
    T = property(lambda self: np.transpose(self))

    def __len__(self) -> int:
        return len(self.value)

    def __array_ufunc__(self, ufunc: Any, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if kwargs.get("out") is not None:  # the caller may rely on the write: its rule
            raise Unsupported("a numpy call with out=")  # then runs on arrays, as is
        if method == "__call__" and ufunc.nout == 1:
            return record(ufunc, inputs, kwargs, "out")
        if method in ("reduce", "accumulate", "outer"):
            return record(getattr(ufunc, method), inputs, kwargs, "out")
        raise Unsupported(f"numpy {ufunc.__name__}.{method}")

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if func in _QUERIES or func in _LIKE:  # shape, zeros_like(x): not x's numbers
            return func(*values_of(args), **values_of(kwargs))
        if func is np.copy:
            return args[0]  # a stand-in is never changed in place: its copy is itself
        if func in _REDUCTIONS:
            reduced = _reduction(func, args, kwargs)
            if reduced is not None:
                return reduced
        mode = "view" if func in _VIEWS else "out" if func in _OUT else "new"
        return record(func, args, kwargs, mode)

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise Unsupported("a conversion of a traced array to a plain numpy array")

    def _data_read(self, *args: Any) -> Any:
        raise Unsupported("a Python decision on a traced value")

    __bool__ = __float__ = __int__ = __index__ = __iter__ = item = tolist = _data_read
    any = all = _data_read

    def __getitem__(self, index: Any) -> Any:
        basic = all(i is None or i is Ellipsis or isinstance(i, (slice, int))
                    for i in (index if isinstance(index, tuple) else (index,)))
        return record(operator.getitem, (self, index), {}, "view" if basic else "new")

    def __setitem__(self, index: Any, value: Any) -> None:
        raise Unsupported("an in-place write into a traced array")

    def astype(self, dtype: Any, copy: bool = True) -> Any:
        if np.dtype(dtype) == self.dtype:
            return self
        return record(np.positive, (self,), {"dtype": np.dtype(dtype)}, "out")

    def copy(self) -> "StandIn":
        return self

    def reshape(self, *shape: Any) -> Any:
        return np.reshape(self, shape[0] if len(shape) == 1 else shape)

    def transpose(self, *axes: Any) -> Any:
        return np.transpose(self, axes[0] if len(axes) == 1 else (axes or None))

    def sum(self, axis: Any = None, keepdims: bool = False, **kw: Any) -> Any:
        return np.sum(self, axis=axis, keepdims=keepdims, **kw)

    def mean(self, axis: Any = None, keepdims: bool = False) -> Any:
        return np.mean(self, axis=axis, keepdims=keepdims)

    def max(self, axis: Any = None, keepdims: bool = False) -> Any:
        return np.max(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Any:
        return np.min(self, axis=axis, keepdims=keepdims)

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        return f"<traced {self.name} {np.shape(self.value)}>"


def _binary(ufunc: Any, pyop: Callable, reflected: bool = False) -> Any:
    """An operator of StandIn: numpy's ufunc for arrays, Python's operator for two numbers
    (a traced Python number, such as Adam's step count, stays a Python number)."""
    def method(self: StandIn, other: Any) -> Any:
        a, b = (other, self) if reflected else (self, other)
        if _is_number(self) and (_is_number(other) or isinstance(other, (int, float))):
            return record(pyop, (a, b), {}, "new")
        return ufunc(a, b)
    return method


def _is_number(x: Any) -> bool:
    return isinstance(x, StandIn) and not isinstance(x.value, np.ndarray)


for _name, _uf, _py in (("add", np.add, operator.add), ("sub", np.subtract, operator.sub),
                        ("mul", np.multiply, operator.mul),
                        ("truediv", np.true_divide, operator.truediv),
                        ("pow", np.power, operator.pow), ("matmul", np.matmul, operator.matmul),
                        ("and", np.bitwise_and, operator.and_),
                        ("or", np.bitwise_or, operator.or_)):
    setattr(StandIn, f"__{_name}__", _binary(_uf, _py))
    setattr(StandIn, f"__i{_name}__", _binary(_uf, _py))
    setattr(StandIn, f"__r{_name}__", _binary(_uf, _py, reflected=True))
for _name, _uf, _py in (("lt", np.less, operator.lt), ("le", np.less_equal, operator.le),
                        ("gt", np.greater, operator.gt), ("ge", np.greater_equal, operator.ge),
                        ("eq", np.equal, operator.eq), ("ne", np.not_equal, operator.ne)):
    setattr(StandIn, f"__{_name}__", _binary(_uf, _py))
StandIn.__neg__ = lambda self: np.negative(self)
StandIn.__pos__ = lambda self: self
StandIn.__abs__ = lambda self: np.absolute(self)
StandIn.__invert__ = lambda self: np.invert(self)

_QUERIES = {np.shape, np.ndim, np.size, np.result_type}
_LIKE = {np.zeros_like, np.ones_like, np.empty_like, np.full_like}
_VIEWS = {np.reshape, np.transpose, np.swapaxes, np.broadcast_to, np.expand_dims, np.squeeze,
          np.moveaxis}
_OUT = {np.sum, np.mean, np.max, np.min, np.amax, np.amin, np.prod, np.clip, np.concatenate,
        np.stack, np.dot, np.take}


_REDUCTIONS = {np.sum: np.add.reduce, np.max: np.maximum.reduce, np.amax: np.maximum.reduce,
               np.min: np.minimum.reduce, np.amin: np.minimum.reduce, np.mean: np.add.reduce}


@functools.lru_cache(maxsize=None)
def _signature_of(func: Any) -> Any:
    import inspect

    return inspect.signature(func)


def _reduction(func: Any, args: Any, kwargs: Any) -> Any:
    """np.sum/max/min/mean as the ufunc reduction they call (np.sum is add.reduce behind
    a Python wrapper that costs more than the sum of a small array); mean is that sum
    divided by the count, as numpy's own mean computes it. None: use the function."""
    given = _signature_of(func).bind(*args, **kwargs).arguments
    a = given.get("a")
    if set(given) - {"a", "axis", "keepdims"} or not isinstance(a, StandIn) or \
            a.dtype not in (np.float32, np.float64):
        return None
    kw = {"axis": given.get("axis"), "keepdims": bool(given.get("keepdims", False))}
    total = record(_REDUCTIONS[func], (a,), kw, "out")
    if func is not np.mean:
        return total
    return np.true_divide(total, max(a.size // max(np.size(total.value), 1), 1))


def values_of(x: Any) -> Any:
    """``x`` with every stand-in replaced by its value (through tuples, lists and dicts)."""
    if isinstance(x, StandIn):
        return x.value
    if isinstance(x, (tuple, list)):
        return type(x)(values_of(i) for i in x)
    if isinstance(x, dict):
        return {k: values_of(v) for k, v in x.items()}
    return x


def standins_of(x: Any, found: list) -> list:
    """``found`` with the stand-ins in ``x`` appended (through tuples, lists and dicts)."""
    if isinstance(x, StandIn):
        found.append(x)
    elif isinstance(x, (tuple, list)):
        for i in x:
            standins_of(i, found)
    elif isinstance(x, dict):
        for i in x.values():
            standins_of(i, found)
    return found
