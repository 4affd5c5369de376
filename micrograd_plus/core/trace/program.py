"""The program of a step being compiled, and the namespace the op table's rules run in.

:class:`Program` is the list of numpy calls that stand-ins write down, in order, each made
once (a call repeated with the same arguments and no write in between returns the first
call's result). TRACED is the namespace the op table's rules run in while compiling
(``core.tensor.contributions`` applies an op's rule to a gradient there, as
``Tensor._vjp`` does on arrays).
"""

from __future__ import annotations

import operator
from types import SimpleNamespace
from typing import Any

import numpy as np

from ..mathspace import ARRAYS, scatter
from ..ops import expand_raw
from .standins import StandIn, record, standins_of, values_of

__all__ = ["Program", "TRACED"]


class Program:
    """The numpy calls of a step, in order: ``(kind, fn, args, kwargs, result)`` with kind
    'out' (``fn(..., out=result)``, result a preallocated array), 'new' (``result = fn(...)``)
    or 'effect' (``fn(...)``: a write into a parameter or state array)."""

    def __init__(self) -> None:
        self.calls: list = []
        self.count = 0
        self.seen: dict = {}  # a call already recorded -> its result (one call, used twice)

    def sym(self, value: Any, static: bool, deps: tuple = ()) -> StandIn:
        self.count += 1
        return StandIn(value, f"v{self.count}", static, deps)

    def record(self, fn: Any, args: Any, kwargs: dict, mode: str) -> Any:
        syms = standins_of((args, kwargs), [])
        if not syms:
            return fn(*args, **kwargs)
        key = (fn, _key_of(args), _key_of(kwargs))
        known = self.seen.get(key)
        if known is not None:
            return known
        value = fn(*values_of(args), **values_of(kwargs))
        result = self.seen[key] = self._add(fn, args, kwargs, mode, value, syms)
        return result

    def _add(self, fn: Any, args: Any, kwargs: dict, mode: str, value: Any, syms: list) -> Any:
        if mode == "view":
            arrays = [s.value for s in syms if isinstance(s.value, np.ndarray)]
            if not (isinstance(value, np.ndarray) and arrays
                    and any(np.may_share_memory(value, a) for a in arrays)):
                mode = "new"  # numpy made a copy (a reshape of a transposed array)
            elif all(s.static for s in syms):
                return self.sym(value, True, tuple(syms))  # the same view on every replay
            else:
                mode = "new"
                if not kwargs and fn in _VIEW_METHODS and len(args) <= 3 and isinstance(
                        values_of(args[0]), np.ndarray) and (fn is not np.reshape
                                                             or len(args) == 2):
                    fn = _VIEW_METHODS[fn]  # the ndarray method: numpy's function wraps it
        if mode == "out" and np.ndim(value) == 0:
            mode = "new"  # a numpy scalar: its arithmetic is cheaper than a 0-d out= call
            if not kwargs and fn in _SCALAR_OPS:
                fn = _SCALAR_OPS[fn]  # the same IEEE operation, through numpy's scalar math
                # (a 0-d constant array, Python's sum() starting at 0, is a numpy scalar too)
                args = tuple(a[()] if type(a) is np.ndarray and a.ndim == 0 else a
                             for a in args)
        if mode == "out" and fn is np.matmul and not kwargs and _dot_agrees(*values_of(args)):
            fn = np.dot  # the same BLAS call with less overhead (checked: same numbers)
        if mode == "out":
            result = self.sym(np.asarray(value), True)
        else:
            result = self.sym(value, False)
        self.calls.append((mode, fn, args, kwargs, result))
        return result

    def effect(self, fn: Any, *args: Any) -> None:
        self.calls.append(("effect", fn, args, {}, None))
        self.seen.clear()  # a call after a write is a new call, even with the same arguments


def _key_of(x: Any) -> Any:
    """A call's arguments as a dict key: stand-ins and arrays by identity, numbers by value
    and type (0.0 and −0.0 apart)."""
    if isinstance(x, (tuple, list)):
        return (type(x),) + tuple(_key_of(i) for i in x)
    if isinstance(x, dict):
        return tuple((k, _key_of(v)) for k, v in x.items())
    if x is None or isinstance(x, (str, bool, int, np.dtype)):
        return (type(x), x)
    if isinstance(x, float):
        return (float, repr(x))
    return ("id", id(x))


def _dot_agrees(a: Any, b: Any) -> bool:
    """Whether np.dot (less overhead per call) gives np.matmul's numbers for small 2-d
    operands of these shapes, dtypes and layouts (tried on random arrays laid out the same
    way)."""
    if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.ndim == b.ndim == 2
            and a.dtype == b.dtype and a.dtype in (np.float32, np.float64)
            and a.size + b.size <= 1 << 16):  # large products: matmul measured faster
        return False
    rng = np.random.default_rng(0)
    tries = []
    for x in (a, b):
        if x.flags.c_contiguous:
            tries.append(rng.standard_normal(x.shape).astype(x.dtype))
        elif x.T.flags.c_contiguous:
            tries.append(rng.standard_normal(x.T.shape).astype(x.dtype).T)
        else:
            return False
    return bool(np.array_equal(np.dot(*tries), np.matmul(*tries)))


_VIEW_METHODS = {np.reshape: np.ndarray.reshape, np.transpose: np.ndarray.transpose,
                 np.swapaxes: np.ndarray.swapaxes, np.squeeze: np.ndarray.squeeze}
_SCALAR_OPS = {np.add: operator.add, np.subtract: operator.sub, np.multiply: operator.mul,
               np.true_divide: operator.truediv}


def _texpand(g: Any, shape: tuple, axis: Any, keepdims: bool) -> Any:
    """mathspace.expand written with calls a stand-in records: the same contiguous copy."""
    return np.positive(expand_raw(g, shape, axis, keepdims))


def _tscatter(g: Any, index: Any, shape: tuple, basic: bool) -> Any:
    return record(scatter, (g, index, shape, basic), {}, "new") if isinstance(
        g, StandIn) else scatter(g, index, shape, basic)


TRACED = SimpleNamespace(**{**vars(ARRAYS), "name": "traced", "expand": _texpand,
                            "scatter": _tscatter})
"""The namespace the op table's rules run in while a step is compiled: ARRAYS, with the two
helpers that write into a fresh array (expand, scatter) recorded as calls."""
