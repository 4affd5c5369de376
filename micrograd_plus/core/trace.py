"""Traced training steps: record a fixed-shape step once, replay it with preallocated buffers.

``trace(step)`` wraps a function that runs Tensor ops, ``backward()`` and optimizer steps
(the whole training step), like tinygrad's ``TinyJit`` or a CUDA graph:

1. The first two calls run eagerly (ordinary results) and record what happened: every op
   (``core.tensor`` reports it), each ``backward()`` and each ``Optimizer.step()``. The two
   records must agree (same ops, same constants); a difference means the step depends on
   its data in Python (a branch, a random Dropout mask) and raises :class:`TraceError`.
2. The second record is compiled: each op's ``forward`` and ``local``/``vjp`` rule from the
   op table, and the optimizer's ``_update``, run once more on stand-in arrays
   (:class:`_Sym`) that write down the numpy calls they make. What does not depend on the
   inputs, the parameters or the optimizer state is computed then and kept (the seed 1,
   ``mean``'s 1/n, a constant's gradient); calls whose results nobody uses are dropped;
   a call made twice with the same arguments is made once; every other result gets its own
   preallocated array, written with numpy's ``out=`` (a parameter's update straight into
   the parameter); views (``W.T``, reshapes) of those arrays are made once. The calls
   become one straight-line Python function. A rule that does what a stand-in cannot
   record (a write into an array: clip's mask, cross_entropy's one-hot of targets read
   from an argument) is called as it is, on arrays, on every replay.
3. Later calls with inputs of the same shapes and dtypes copy the inputs into their
   buffers and run that function: no graph nodes, no topological sort, no allocation of
   large arrays. New shapes or dtypes record again (one compiled step per signature).

What a replay does, as the eager step would: parameters are updated in place (version
counters raised, so an old graph through them refuses ``backward``); the optimizer's state
(``opt.state``, Adam's step count) advances; each parameter's ``.grad`` is this step's
gradient (set, as after ``opt.zero_grad(); loss.backward()``); returned Tensors are new
leaves holding a copy of the result (no graph). Parameters are read from their current
arrays on every call, so changes made in place between calls (optimizer steps outside the
trace, ``load_state_dict``, ``copy_``) are seen; a ``.data`` replaced by another array
records again.

What a replay does not see (and so refuses or freezes), checked where it can be:

- Python control flow on data (``if loss.item() > 1``), ``.item()``/``float()``/``bool()``
  of a Tensor and in-place Tensor methods (``add_``) inside the step: TraceError.
- A Tensor made inside the step from new data each call (a training-mode ``Dropout``
  mask, a batch converted inside): frozen at the second call, so the two records differ:
  TraceError. Pass such data as an argument (Tensors or arrays), or call ``model.eval()``.
- Gradients accumulated across calls (no ``zero_grad`` inside the step), hooks,
  ``retain_grad``, ``create_graph``, inputs that require grad: TraceError.
- Value (scalar engine) graphs are not recorded: a step with no Tensor op is a TraceError.
- Array parameters of ops are frozen (indices, ``where`` conditions, class targets),
  except an array equal to an argument's data (cross_entropy's targets made from a label
  argument), which is read from that argument on every call.
- The optimizer's hyper-parameters are compared on every call: a change (a scheduler's
  new learning rate) records again, so a schedule that changes every step gains nothing.
- Anything else Python reads at record time is frozen: ``module.training``, a seed
  gradient given to ``backward``, values read from ``.data``. Call ``step.reset()`` after
  changing such state.

With ``trace(step, fallback=True)`` a step that cannot be traced warns once and runs
eagerly from then on, instead of raising. In anomaly mode (``anomaly()``) every call runs
eagerly, with its checks. ``step.compiled`` shows the compiled functions' source.
"""

from __future__ import annotations

import functools
import math
import operator
import threading
import warnings
from types import SimpleNamespace
from typing import Any, Callable

import numpy as np

from . import autograd, tensor as _tensor_mod
from .mathspace import ARRAYS, quiet_off, quiet_on, scatter, sum_to
from .tensor import Tensor

__all__ = ["trace", "Traced", "TraceError"]


class TraceError(RuntimeError):
    """A step that the tracer cannot replay faithfully (the message says why)."""


class _Unsupported(Exception):
    """Raised inside the compiler when a rule does something a stand-in cannot record."""


# -- stand-in arrays ------------------------------------------------------------------------
class _Sym:
    """A value of the step being compiled: an array (or a Python number) that depends on the
    inputs, parameters or optimizer state. Arithmetic and numpy functions on it record
    the call in the program and return a new ``_Sym``; ``value`` is the result computed
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
            raise _Unsupported("a numpy call with out=")  # then runs on arrays, as is
        if method == "__call__" and ufunc.nout == 1:
            return _PROGRAM.record(ufunc, inputs, kwargs, "out")
        if method in ("reduce", "accumulate", "outer"):
            return _PROGRAM.record(getattr(ufunc, method), inputs, kwargs, "out")
        raise _Unsupported(f"numpy {ufunc.__name__}.{method}")

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any) -> Any:
        if func in _QUERIES:
            return func(*_values(args), **_values(kwargs))
        if func in _LIKE:  # zeros_like(x): does not depend on x's numbers
            return func(*_values(args), **_values(kwargs))
        if func is np.copy:
            return args[0]  # a stand-in is never changed in place: its copy is itself
        if func in _REDUCTIONS:
            reduced = _reduction(func, args, kwargs)
            if reduced is not None:
                return reduced
        mode = "view" if func in _VIEWS else "out" if func in _OUT else "new"
        return _PROGRAM.record(func, args, kwargs, mode)

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        raise _Unsupported("a conversion of a traced array to a plain numpy array")

    def _data_read(self, *args: Any) -> Any:
        raise _Unsupported("a Python decision on a traced value")

    __bool__ = __float__ = __int__ = __index__ = __iter__ = item = tolist = _data_read
    any = all = _data_read

    def __getitem__(self, index: Any) -> Any:
        basic = all(i is None or i is Ellipsis or isinstance(i, (slice, int))
                    for i in (index if isinstance(index, tuple) else (index,)))
        return _PROGRAM.record(operator.getitem, (self, index), {}, "view" if basic else "new")

    def __setitem__(self, index: Any, value: Any) -> None:
        raise _Unsupported("an in-place write into a traced array")

    def astype(self, dtype: Any, copy: bool = True) -> Any:
        if np.dtype(dtype) == self.dtype:
            return self
        return _PROGRAM.record(np.positive, (self,), {"dtype": np.dtype(dtype)}, "out")

    def copy(self) -> "_Sym":
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
    """An operator of _Sym: numpy's ufunc for arrays, Python's operator for two numbers
    (a traced Python number, such as Adam's step count, stays a Python number)."""
    def method(self: _Sym, other: Any) -> Any:
        a, b = (other, self) if reflected else (self, other)
        if _is_number(self) and (_is_number(other) or isinstance(other, (int, float))):
            return _PROGRAM.record(pyop, (a, b), {}, "new")
        return ufunc(a, b)
    return method


def _is_number(x: Any) -> bool:
    return isinstance(x, _Sym) and not isinstance(x.value, np.ndarray)


for _name, _uf, _py in (("add", np.add, operator.add), ("sub", np.subtract, operator.sub),
                        ("mul", np.multiply, operator.mul),
                        ("truediv", np.true_divide, operator.truediv),
                        ("pow", np.power, operator.pow), ("matmul", np.matmul, operator.matmul),
                        ("and", np.bitwise_and, operator.and_),
                        ("or", np.bitwise_or, operator.or_)):
    setattr(_Sym, f"__{_name}__", _binary(_uf, _py))
    setattr(_Sym, f"__i{_name}__", _binary(_uf, _py))
    setattr(_Sym, f"__r{_name}__", _binary(_uf, _py, reflected=True))
for _name, _uf, _py in (("lt", np.less, operator.lt), ("le", np.less_equal, operator.le),
                        ("gt", np.greater, operator.gt), ("ge", np.greater_equal, operator.ge),
                        ("eq", np.equal, operator.eq), ("ne", np.not_equal, operator.ne)):
    setattr(_Sym, f"__{_name}__", _binary(_uf, _py))
_Sym.__neg__ = lambda self: np.negative(self)
_Sym.__pos__ = lambda self: self
_Sym.__abs__ = lambda self: np.absolute(self)
_Sym.__invert__ = lambda self: np.invert(self)

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
    if set(given) - {"a", "axis", "keepdims"} or not isinstance(a, _Sym) or \
            a.dtype not in (np.float32, np.float64):
        return None
    kw = {"axis": given.get("axis"), "keepdims": bool(given.get("keepdims", False))}
    total = _PROGRAM.record(_REDUCTIONS[func], (a,), kw, "out")
    if func is not np.mean:
        return total
    return np.true_divide(total, max(a.size // max(np.size(total.value), 1), 1))


def _values(x: Any) -> Any:
    """``x`` with every stand-in replaced by its value (through tuples, lists and dicts)."""
    if isinstance(x, _Sym):
        return x.value
    if isinstance(x, (tuple, list)):
        return type(x)(_values(i) for i in x)
    if isinstance(x, dict):
        return {k: _values(v) for k, v in x.items()}
    return x


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


def _syms(x: Any, found: list) -> list:
    if isinstance(x, _Sym):
        found.append(x)
    elif isinstance(x, (tuple, list)):
        for i in x:
            _syms(i, found)
    elif isinstance(x, dict):
        for i in x.values():
            _syms(i, found)
    return found


# -- the program ----------------------------------------------------------------------------
class _Program:
    """The numpy calls of a step, in order: ``(kind, fn, args, kwargs, result)`` with kind
    'out' (``fn(..., out=result)``, result a preallocated array), 'new' (``result = fn(...)``)
    or 'effect' (``fn(...)``: a write into a parameter or state array)."""

    def __init__(self) -> None:
        self.calls: list = []
        self.count = 0
        self.seen: dict = {}  # a call already recorded -> its result (one call, used twice)

    def sym(self, value: Any, static: bool, deps: tuple = ()) -> _Sym:
        self.count += 1
        return _Sym(value, f"v{self.count}", static, deps)

    def record(self, fn: Any, args: Any, kwargs: dict, mode: str) -> Any:
        syms = _syms((args, kwargs), [])
        if not syms:
            return fn(*args, **kwargs)
        key = (fn, _key_of(args), _key_of(kwargs))
        known = self.seen.get(key)
        if known is not None:
            return known
        value = fn(*_values(args), **_values(kwargs))
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
        if mode == "out" and np.ndim(value) == 0:
            mode = "new"  # a numpy scalar: its arithmetic is cheaper than a 0-d out= call
            if not kwargs and fn in _SCALAR_OPS:
                fn = _SCALAR_OPS[fn]  # the same IEEE operation, through numpy's scalar math
        if mode == "out" and fn is np.matmul and not kwargs and _dot_agrees(*_values(args)):
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


_SCALAR_OPS = {np.add: operator.add, np.subtract: operator.sub, np.multiply: operator.mul,
               np.true_divide: operator.truediv}
_PROGRAM: Any = None  # the program being compiled (one at a time, under the backward lock)


def _texpand(g: Any, shape: tuple, axis: Any, keepdims: bool) -> Any:
    """mathspace.expand written with calls a stand-in records: the same contiguous copy."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.positive(np.broadcast_to(g, shape))


def _tscatter(g: Any, index: Any, shape: tuple, basic: bool) -> Any:
    return _PROGRAM.record(scatter, (g, index, shape, basic), {}, "new") if isinstance(
        g, _Sym) else scatter(g, index, shape, basic)


TRACED = SimpleNamespace(**{**vars(ARRAYS), "name": "traced", "expand": _texpand,
                            "scatter": _tscatter})
"""The namespace the op table's rules run in while a step is compiled: ARRAYS, with the two
helpers that write into a fresh array (expand, scatter) recorded as calls."""


# -- one op's gradient, on arrays or stand-ins ----------------------------------------------
def _times(g: Any, d: Any, selects: bool) -> Any:
    """autograd.times for arrays, with its data-dependent test made unconditional (the
    same numbers: where(d == 0, 0, g·d) equals g·d wherever d ≠ 0)."""
    if isinstance(d, (float, int)):
        if d == 1.0:
            return g
        if d == -1.0:
            return -g
        if d == 0.0 and selects:
            return np.zeros_like(g)
        return g * d
    if getattr(d, "dtype", None) == np.bool_:
        return np.where(d, g, 0.0)
    product = g * d
    if selects:
        product = np.where(d == 0, 0.0, product)
    return product


def _contributions(m: Any, op: Any, args: dict, g: Any, out: Any, datas: tuple,
                   wanted: tuple) -> tuple:
    """Tensor._vjp on arrays (``m`` ARRAYS) or stand-ins (``m`` TRACED): the op's rule, each
    gradient times g (elementwise ops), summed to its parent's shape, cast to its dtype."""
    if op.local is not None:
        grads = op.local(m, out, *datas, **args)
        selects = op.selects_for(args)
    else:
        grads = op.vjp(m, g, out, *datas, **args)
    result = []
    for (shape, dtype), pg in zip(wanted, grads):
        if pg is None or shape is None:
            result.append(None)
            continue
        if op.local is not None:
            pg = _times(g, pg, selects)
        if not isinstance(pg, (np.ndarray, _Sym)):
            pg = np.asarray(pg)
        if np.shape(pg) != shape:
            pg = sum_to(pg, shape)
        if pg.dtype != dtype:
            pg = pg.astype(dtype)
        result.append(pg)
    return tuple(result)


# -- recording ------------------------------------------------------------------------------
class _Recorder:
    """What one eager call of the step did: ops, backward passes, optimizer steps, in order.

    Nodes are kept alive (so ids stay unique) until the record is compiled or dropped."""

    def __init__(self, inputs: list, epoch: int) -> None:
        self.inputs = inputs  # the Tensors given as arguments, in order
        self.epoch = epoch  # Tensors born before it existed before the call
        self.events: list = []
        self.problem: str | None = None
        self.given_grads: dict = {}  # id(leaf) -> (leaf, the .grad backward left, a copy)
        self._pending: list | None = None  # the order of a backward pass that just ran
        self.thread = threading.get_ident()  # other threads' ops are not this step's

    def untraceable(self, what: str) -> None:
        if self.problem is None and threading.get_ident() == self.thread:
            self.problem = f"{what} inside the traced step"

    def op(self, op: Any, parents: tuple, args: Any, out: Tensor) -> None:
        if threading.get_ident() != self.thread:
            return
        if self._pending is not None:
            self.after_backward()
        self.events.append(("op", op, parents, args, out))

    def backward(self, root: Tensor, seed: Any, create_graph: bool) -> None:
        if threading.get_ident() != self.thread:
            return
        self.after_backward()
        if create_graph:
            return self.untraceable("backward(create_graph=True)")
        order = autograd.topological_order(root)
        prior = {}
        for node in order:
            if node._hooks:
                self.untraceable(f"a hook on {autograd.describe(node)}")
            if node._fn is None:
                given = self.given_grads.get(id(node))
                if node.grad is None or (given is None and isinstance(node.grad, np.ndarray)
                                         and not node.grad.any()):
                    prior[id(node)] = None  # zero_grad(), or zero_grad(set_to_none=False)
                else:
                    if given is None or given[1] is not node.grad:
                        self.untraceable(
                            f"a gradient accumulated into the .grad of "
                            f"{autograd.describe(node)} from before the call (call "
                            "opt.zero_grad() inside the step: replays set .grad)")
                    prior[id(node)] = "accumulate"
            elif node._keep:
                self.untraceable("retain_grad()")
        self.events.append(("backward", root, np.array(seed), order, prior))
        self._pending = order  # leaves' new .grad arrays are noted after the pass

    def after_backward(self) -> None:
        order = self._pending
        if order is None:
            return
        for node in order:
            if node._fn is None and node.grad is not None:
                self.given_grads[id(node)] = (node, node.grad, node.grad.copy())
        self._pending = None

    def optimizer_step(self, opt: Any) -> None:
        if threading.get_ident() != self.thread:
            return
        self.after_backward()
        grads, states = [], []
        for group in opt.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None or getattr(p, "requires_grad", True) is False:
                    grads.append(None)
                elif not isinstance(p, Tensor):
                    self.untraceable("an optimizer step on Value parameters")
                    grads.append(None)
                else:
                    given = self.given_grads.get(id(p))
                    if given is None or given[1] is not g or not np.array_equal(
                            given[2], g, equal_nan=True):
                        self.untraceable(
                            f"a .grad of {autograd.describe(p)} not made by a backward() of "
                            "this step, or changed after it (clip gradients with Tensor ops "
                            "before backward, or step eagerly)")
                    grads.append(g)
                states.append(dict(opt.state.get(p, {})))
        hyper = [{k: v for k, v in group.items() if k != "params"} for group in opt.param_groups]
        self.events.append(("step", opt, grads, states, hyper))


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, slice) and isinstance(b, slice):
        return _same((a.start, a.stop, a.step), (b.start, b.stop, b.step))
    try:
        return bool(a == b) and type(a) is type(b)
    except Exception:
        return a is b


class _Refs:
    """Names the Tensors of one record: an argument, an earlier op's result, a Tensor from
    before the call (a parameter), or a constant made inside the step."""

    def __init__(self, rec: _Recorder) -> None:
        self.rec = rec
        self.made: dict = {}  # id(Tensor) -> index of the op that made it
        self.by_data: dict = {}  # id(array) -> index of the op whose result it is
        self.inputs = {id(t): i for i, t in enumerate(rec.inputs)}

    def ref(self, t: Tensor) -> tuple:
        k = self.made.get(id(t))
        if k is not None:
            return ("op", k)
        i = self.inputs.get(id(t))
        if i is not None:
            return ("in", i)
        if t._born < self.rec.epoch:
            return ("ext", id(t))
        k = self.by_data.get(id(t.data))
        if k is not None:
            return ("op", k)  # t.detach() of a result: the same numbers
        return ("const", t.data)

    def note(self, k: int, out: Tensor) -> None:
        self.made[id(out)] = k
        self.by_data[id(out.data)] = k


class _InputData(tuple):
    """An op parameter that is argument ``self[0]``'s data as dtype ``self[1]``."""


def _arg_ref(value: Any, rec: _Recorder) -> Any:
    """An op parameter that is an array equal to an argument's data (class targets made
    from a label Tensor) is that argument's data, read on every call."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        for i, t in enumerate(rec.inputs):
            d = t.data
            if d.shape == value.shape and np.array_equal(d.astype(value.dtype), value) \
                    and np.array_equal(d, value.astype(d.dtype)):
                return _InputData((i, value.dtype))
    return value


def _signature(rec: _Recorder) -> list:
    """The record with Tensors named (_Refs), for comparing two calls of the step."""
    refs = _Refs(rec)
    sig = []
    for event in rec.events:
        if event[0] == "op":
            _, op, parents, args, out = event
            params = {k: _arg_ref(v, rec) for k, v in (args or {}).items()}
            sig.append(("op", op.key, tuple(refs.ref(p) for p in parents), params,
                        out.data.shape, out.data.dtype))
            refs.note(len(sig) - 1, out)
        elif event[0] == "backward":
            _, root, seed, order, prior = event
            sig.append(("backward", refs.ref(root), seed, tuple(sorted(
                (str(refs.ref(n)[:2]), v) for n in order if n._fn is None
                for v in [prior.get(id(n))]))))
        else:
            _, opt, grads, states, hyper = event
            # (the state may differ: the first step of momentum or Adam creates it)
            sig.append(("step", id(opt), tuple(g is None for g in grads), hyper))
    return sig


def _first_difference(a: list, b: list) -> str | None:
    for k, (x, y) in enumerate(zip(a, b)):
        if not _same(x, y):
            if x[0] == "op" and y[0] == "op" and x[1] == y[1]:
                return (f"event {k} ('{x[1]}') has different inputs or parameters on the two "
                        "calls (a Tensor made inside the step from new data, such as a "
                        "training-mode Dropout mask or a batch converted inside)")
            return (f"event {k} differs: {_describe_event(x)} on one call, "
                    f"{_describe_event(y)} on the other (Python control flow on data?)")
    if len(a) != len(b):
        return (f"the calls recorded {len(a)} and {len(b)} events (Python control flow on "
                "data?)")
    return None


def _describe_event(e: tuple) -> str:
    return f"op '{e[1]}'" if e[0] == "op" else e[0]


# -- compiling ------------------------------------------------------------------------------
class _Compiled:
    """One compiled step: what is checked and copied in before ``run``, and handed back after.

    ``inputs``: a buffer per argument Tensor; ``externals``: (Tensor, array) read in place;
    ``hyper``: (param group, its hyper-parameters) compared on every call; ``arrays``:
    (optimizer, parameter, key, buffer) of array state; ``scalars``: (optimizer, parameter,
    key) of number state, passed to ``run`` and returned by it; ``grads``: (parameter,
    buffer or None) for ``.grad``; ``written``: parameters the step updates in place.
    """

    def __init__(self) -> None:
        self.inputs: list = []
        self.externals: list = []
        self.hyper: list = []
        self.arrays: list = []
        self.scalars: list = []
        self.scalars_out: list = []
        self.grads: list = []
        self.written: list = []
        self.template: Any = None
        self.run: Any = None  # the compiled function
        self.source = ""  # its Python source
        self.scope: dict = {}  # the arrays and functions it refers to by name


class _Builder:
    """Runs one record on stand-ins (the op table's rules, the optimizer's ``_update``) and
    turns the recorded numpy calls into the compiled step's function."""

    def __init__(self, rec: _Recorder, prog: _Program) -> None:
        self.rec, self.prog, self.c = rec, prog, _Compiled()
        self.refs = _Refs(rec)
        self.results: dict = {}  # op index -> its value (_Sym or constant array)
        self.ext: dict = {}  # id(Tensor) -> _Sym of its array
        self.grad_of: dict = {}  # id(parameter) -> (parameter, its .grad in the program)
        self.final_state: list = []  # (optimizer, parameter, key, value)
        self.owners: dict = {}  # id(array) -> the Tensor from before the call holding it
        for event in rec.events:
            tensors = event[2] if event[0] == "op" else (
                [p for g in event[1].param_groups for p in g["params"]]
                if event[0] == "step" else ())
            for t in tensors:
                if isinstance(t, Tensor) and t._born < rec.epoch:
                    self.owners.setdefault(id(t.data), t)
        for t in rec.inputs:
            self.owners[id(t.data)] = t
        self.in_syms = []
        for t in rec.inputs:
            buf = np.array(t.data)
            self.c.inputs.append(buf)
            self.in_syms.append(prog.sym(buf, True))

    def value_of(self, t: Tensor) -> Any:
        kind = self.refs.ref(t)
        if kind[0] == "op":
            return self.results[kind[1]]
        if kind[0] == "in":
            return self.in_syms[kind[1]]
        if kind[0] == "ext":
            s = self.ext.get(id(t))
            if s is None:
                s = self.ext[id(t)] = self.prog.sym(t.data, True)
                self.c.externals.append((t, t.data))
            return s
        owner = self.owners.get(id(t.data))
        if owner is not None:  # w.detach() of a parameter or an argument: read it each call
            return self.value_of(owner)
        return t.data  # a constant made inside the step (folded with other constants)

    def param_of(self, v: Any) -> Any:
        r = _arg_ref(v, self.rec)
        if isinstance(r, _InputData):  # an argument's data as an op parameter, read each call
            return self.prog.record(np.ndarray.astype, (self.in_syms[r[0]], r[1]), {}, "new")
        return v

    def build(self, result: Any) -> _Compiled:
        for k, event in enumerate(self.rec.events):
            if event[0] == "op":
                _, op, parents, args, out = event
                datas = tuple(self.value_of(p) for p in parents)
                params = {key: self.param_of(v) for key, v in (args or {}).items()}
                try:
                    value = op.forward(TRACED, *datas, **params)
                except _Unsupported:
                    value = self.prog.record(_opaque_forward(op), datas, params, "new")
                self.results[k] = value
                self.refs.note(k, out)
            elif event[0] == "backward":
                self.backward(*event[1:])
            else:
                self.optimizer_step(*event[1:])
        c = self.c
        for p, g in self.grad_of.values():
            if p.grad is None:
                c.grads.append((p, None))
            elif p.grad is self.rec.given_grads[id(p)][1]:
                c.grads.append((p, g))  # a buffer of its own, chosen by _emit
            else:
                raise _Unsupported(f"a .grad of {autograd.describe(p)} replaced after the "
                                   "backward pass")
        outs: list = []
        c.template = _template(result, lambda t: outs.append(self.value_of(t)) or len(outs) - 1)
        if c.template == ("t", 0):
            c.template = ("t1", 0)
        for opt, p, key, v in self.final_state:
            slot = next((b for o, q, k, b in c.arrays if o is opt and q is p and k == key), None)
            if slot is not None:
                if not (isinstance(v, _Sym) and v.value is slot):
                    self.prog.effect(np.copyto, slot, v)
            elif any(o is opt and q is p and k == key for o, q, k, _ in c.scalars):
                c.scalars_out.append((opt, p, key))
                outs.append(v)
            else:
                raise _Unsupported("optimizer state made during the step")
        _emit(self.prog, c, outs, len(outs) - len(c.scalars_out))
        return c

    def backward(self, root: Tensor, seed: np.ndarray, order: list, prior: dict) -> None:
        """autograd's _array_pass on the program's values, in its order (the same sums)."""
        grads: dict = {root: seed}
        for node in reversed(order):
            g = grads.pop(node, None)
            if g is None:
                continue
            parents = node._prev
            if not parents:
                if node._fn is None and self.refs.ref(node)[0] == "ext":
                    if prior.get(id(node)) == "accumulate":
                        g = self.grad_of[id(node)][1] + g
                    self.grad_of[id(node)] = (node, g)
                continue
            op, args = node._fn, node._args or {}
            datas = tuple(self.value_of(p) for p in parents)
            params = {key: self.param_of(v) for key, v in args.items()}
            wanted = tuple((p.data.shape, p.data.dtype) if p.requires_grad else (None, None)
                           for p in parents)
            out = self.value_of(node)
            try:
                contributions = _contributions(TRACED, op, params, g, out, datas, wanted)
            except _Unsupported:
                whole = self.prog.record(_opaque_vjp(op, tuple(params), wanted),
                                         (g, out) + datas + tuple(params.values()), {}, "new")
                contributions = [None if w[0] is None else
                                 self.prog.record(operator.getitem, (whole, i), {}, "new")
                                 for i, w in enumerate(wanted)]
            for parent, pg in zip(parents, contributions):
                if pg is None or not parent.requires_grad:
                    continue
                previous = grads.get(parent)
                grads[parent] = pg if previous is None else previous + pg

    def optimizer_step(self, opt: Any, grads: list, states: list, hyper: list) -> None:
        """The optimizer's ``_update`` on the program's values; the writes come after every
        update is computed, as in Optimizer.step (all or nothing)."""
        updates = []
        i = 0
        for group in opt.param_groups:
            for p in group["params"]:
                g, snapshot = grads[i], states[i]
                i += 1
                if g is None:
                    continue
                data = self.value_of(p)
                state = {key: self.state_value(opt, p, key, v) for key, v in snapshot.items()}
                new = opt._update(data, self.grad_of[id(p)][1], state, group)
                updates.append((p, new, state))
        for p, new, state in updates:
            self.prog.effect(np.copyto, p.data, new)
            self.c.written.append(p)
            self.final_state += [(opt, p, key, v) for key, v in state.items()]
        for group, snap in zip(opt.param_groups, hyper):
            self.c.hyper.append((group, tuple(snap), tuple(snap.values())))

    def state_value(self, opt: Any, p: Tensor, key: str, v: Any) -> Any:
        for o, q, k, buf in self.c.arrays:
            if o is opt and q is p and k == key:
                return self.prog.sym(buf, True)
        if isinstance(v, np.ndarray):
            buf = np.array(opt.state[p][key])  # as the recorded call left it
            opt.state[p][key] = buf
            self.c.arrays.append((opt, p, key, buf))
            return self.prog.sym(buf, True)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            s = self.prog.sym(v, False)
            self.c.scalars.append((opt, p, key, s))
            return s
        return v


def _opaque_forward(op: Any) -> Callable:
    """An op whose forward a stand-in cannot record: its forward on arrays, on each call."""
    def forward(*datas: Any, **params: Any) -> Any:
        return op.forward(ARRAYS, *datas, **params)
    return forward


def _opaque_vjp(op: Any, keys: tuple, wanted: tuple) -> Callable:
    """An op whose rule a stand-in cannot record: its rule on arrays, on each call."""
    def vjp(g: Any, out: Any, *rest: Any) -> tuple:
        n = len(rest) - len(keys)
        return _contributions(ARRAYS, op, dict(zip(keys, rest[n:])), g, out, rest[:n], wanted)
    return vjp


def _template(result: Any, index: Callable) -> Any:
    """The step's return value with each Tensor replaced by its output slot."""
    if isinstance(result, Tensor):
        return ("t", index(result))
    if isinstance(result, (tuple, list)):
        return (type(result).__name__, [_template(x, index) for x in result])
    if isinstance(result, dict):
        return ("dict", {k: _template(v, index) for k, v in result.items()})
    if result is None or isinstance(result, (str, bool)):
        return ("const", result)
    raise _Unsupported(f"a return value of type {type(result).__name__} (return Tensors, or "
                       "tuples, lists, dicts of them; call .item() outside the step)")


def _rebuild(template: tuple, outs: tuple) -> Any:
    kind, body = template
    if kind == "t":
        return Tensor(outs[body], dtype=None)  # a copy: the buffer is reused by the next call
    if kind == "t1":  # the common case: one Tensor (a loss), copied without Tensor's checks
        _HOLDER.data = np.array(outs[0])
        return _HOLDER.detach()
    if kind == "tuple":
        return tuple(_rebuild(x, outs) for x in body)
    if kind == "list":
        return [_rebuild(x, outs) for x in body]
    if kind == "dict":
        return {k: _rebuild(v, outs) for k, v in body.items()}
    return body


def _emit(prog: _Program, c: _Compiled, outs: list, n_returned: int) -> None:
    """Give each gradient an array, write results straight into the arrays they are
    copied to, drop the calls nobody needs, and write the rest as one Python function."""
    made = {id(call[4]): call for call in prog.calls if call[0] == "out"}
    exposed: set = set()
    grads = []
    for p, g in c.grads:
        if g is None:
            grads.append((p, None))
        elif id(g) in made and id(g) not in exposed:
            exposed.add(id(g))  # .grad is the buffer the program writes on every call
            grads.append((p, g.value))
        else:
            buf = np.empty_like(p.data)
            prog.effect(np.copyto, buf, g)
            grads.append((p, buf))
    c.grads = grads
    roots = [outs, [made[i][4] for i in exposed]]
    calls = _dead_code_out(prog.calls, roots)
    calls = _write_in_place(calls, roots, exposed)
    calls = _dead_code_out(calls, roots)
    _reuse_buffers(calls, roots, exposed)
    names: dict = {}
    scope: dict = {}

    def ref(x: Any) -> str:
        if isinstance(x, _Sym):
            if x.static:
                scope[x.name] = x.value
            return x.name
        if isinstance(x, tuple):
            return "(" + "".join(ref(i) + ", " for i in x) + ")"
        if isinstance(x, list):
            return "[" + ", ".join(ref(i) for i in x) + "]"
        if x is None or type(x) in (bool, int) or (type(x) is float and math.isfinite(x)):
            return repr(x)
        key = id(x)
        if key not in names:
            names[key] = f"c{len(names)}"
            scope[names[key]] = x
        return names[key]

    lines = []
    for kind, fn, args, kwargs, result in calls:
        if isinstance(fn, np.ufunc) and kind in ("out", "write"):
            args = _typed_numbers(args)
        call = ref(fn) + "(" + "".join(ref(a) + ", " for a in args) + "".join(
            f"{k}={ref(v)}, " for k, v in kwargs.items())
        if kind in ("out", "write"):
            lines.append(f"    {call}out={ref(result)})")
        elif kind == "new":
            lines.append(f"    {result.name} = {call})")
        else:
            lines.append(f"    {call})")
    # around the calls: the checks that the step still fits, the inputs copied in, then
    # .grad, version counters (as autograd.mark_modified) and the results handed back
    scope.update(STALE=_STALE, copyto=np.copyto, clock=autograd.clock)
    head, tail = [], []
    for k, (t, arr) in enumerate(c.externals):
        scope[f"T{k}"], scope[f"A{k}"] = t, arr
    if c.externals:
        head.append("    if " + " or ".join(f"T{k}.data is not A{k}"
                                          for k in range(len(c.externals))) + ":")
        head.append("        return STALE")
    checks = []
    for k, (group, keys, values) in enumerate(c.hyper):
        scope[f"G{k}"] = group
        for j, (key, v) in enumerate(zip(keys, values)):
            scope[f"H{k}_{j}"] = v
            checks.append(f"G{k}[{key!r}] != H{k}_{j}")
    if checks:
        head += ["    if " + " or ".join(checks) + ":", "        return STALE"]
    for k, buf in enumerate(c.inputs):
        scope[f"I{k}"] = buf
        head.append(f"    copyto(I{k}, x{k}.data)")
    for k, (p, buf) in enumerate(c.grads):
        scope[f"P{k}"], scope[f"B{k}"] = p, buf
        tail.append(f"    P{k}.grad = B{k}")
    for k, p in enumerate(c.written):
        scope[f"W{k}"] = p
        tail.append(f"    W{k}._version += 1")
    if c.written:
        tail.append("    clock.epoch += 1")
    tail.append(f"    return ({''.join(ref(o) + ', ' for o in outs[:n_returned])}), "
                f"({''.join(ref(o) + ', ' for o in outs[n_returned:])})")
    params = ", ".join([f"x{k}" for k in range(len(c.inputs))]
                       + [s.name for *_, s in c.scalars])
    c.source = f"def step({params}):\n" + "\n".join(head + lines + tail) + "\n"
    exec(compile(c.source, "<traced step>", "exec"), scope)
    c.run = scope["step"]
    c.scope = scope


def _typed_numbers(args: tuple) -> tuple:
    """A ufunc's Python-number arguments as 0-d arrays of the dtype of its array arguments
    (all one float dtype): numpy would convert the number to that dtype on every call."""
    dtypes = {np.asarray(a.value if isinstance(a, _Sym) else a).dtype for a in args
              if isinstance(a, (_Sym, np.ndarray))}
    if len(dtypes) != 1:
        return args
    dtype = dtypes.pop()
    if dtype.kind != "f":
        return args
    typed = []
    for a in args:
        if type(a) in (float, int) and math.isfinite(a) and abs(a) < 2.0**53 \
                and np.isfinite(dtype.type(a)):
            key = (dtype.str, float(a).hex())  # -0.0 and 0.0 apart, float32 and 64 apart
            if key not in _CONSTANTS:
                _CONSTANTS[key] = np.array(a, dtype=dtype)
                _CONSTANTS[key].flags.writeable = False
            a = _CONSTANTS[key]
        typed.append(a)
    return tuple(typed)


_CONSTANTS: dict = {}


def _dead_code_out(calls: list, roots: list) -> list:
    """The calls that an effect (a write into a parameter, state or gradient array) or a
    root needs, in order."""
    needed: set = set()

    def need(x: Any) -> None:
        for s in _syms(x, []):
            if id(s) not in needed:
                needed.add(id(s))
                for d in s.deps:
                    need(d)

    need(roots)
    kept = []
    for call in reversed(calls):
        kind, fn, args, kwargs, result = call
        if kind in ("effect", "write") or id(result) in needed:
            kept.append(call)
            need((args, kwargs))
    kept.reverse()
    return kept


def _arrays_read(call: tuple) -> list:
    return [s.value if isinstance(s, _Sym) else s for s in _flat((call[2], call[3]))
            if isinstance(s, np.ndarray) or (isinstance(s, _Sym)
                                             and isinstance(s.value, np.ndarray))]


def _flat(x: Any) -> list:
    if isinstance(x, (tuple, list)):
        return [j for i in x for j in _flat(i)]
    if isinstance(x, dict):
        return [j for i in x.values() for j in _flat(i)]
    return [x]


def _write_in_place(calls: list, roots: list, pinned: set) -> list:
    """``copyto(dst, v)`` where v is made by an earlier 'out' call and used nowhere else:
    that call writes into dst instead (``p -= lr·g`` in place), when nothing in between
    reads dst."""
    uses: dict = {}

    def use(x: Any) -> None:
        if isinstance(x, _Sym):
            uses[id(x)] = uses.get(id(x), 0) + 1
            for d in x.deps:  # a view made once reads its base on every call
                use(d)

    for x in _flat([[(call[2], call[3]) for call in calls], roots]):
        use(x)
    where = {id(call[4]): i for i, call in enumerate(calls) if call[0] == "out"}
    dropped = set()
    for j, (kind, fn, args, kwargs, _) in enumerate(calls):
        if kind != "effect" or fn is not np.copyto:
            continue
        dst, src = args
        i = where.get(id(src))
        if (i is None or uses.get(id(src)) != 1 or id(src) in pinned
                or src.value.shape != dst.shape or src.value.dtype != dst.dtype):
            continue
        if any(np.may_share_memory(a, dst) for call in calls[i + 1:j]
               for a in _arrays_read(call)):
            continue
        src.value = dst
        calls[i] = ("write",) + calls[i][1:]  # an effect now: dead-code removal keeps it
        dropped.add(j)
    return [call for j, call in enumerate(calls) if j not in dropped]


def _reuse_buffers(calls: list, roots: list, pinned: set) -> None:
    """An elementwise call writes into the array of an input read for the last time there
    (``1 − t²`` into the array of ``t²``): fewer arrays, warmer caches."""
    last: dict = {}
    owner: dict = {}  # id(array) -> the _Sym whose 'out' call fills it

    viewed: set = set()  # arrays with a view made at compile time: they stay where they are

    def touch(x: Any, k: int) -> None:
        if isinstance(x, _Sym):
            last[id(x)] = k
            for d in x.deps:
                viewed.add(id(d))
                touch(d, k)

    for k, call in enumerate(calls):
        for x in _flat((call[2], call[3])):
            touch(x, k)
    for x in _flat(roots):
        touch(x, len(calls))
    for call in calls:
        if call[0] == "out":
            owner.setdefault(id(call[4].value), call[4])
    for k, (kind, fn, args, kwargs, result) in enumerate(calls):
        if kind != "out" or not isinstance(fn, np.ufunc) or fn.signature is not None \
                or id(result) in pinned or id(result) in viewed:
            continue
        out = result.value
        for a in args:
            if (isinstance(a, _Sym) and a.static and not a.deps and id(a) not in pinned
                    and owner.get(id(a.value)) is a and last.get(id(a)) == k
                    and a.value.shape == out.shape and a.value.dtype == out.dtype):
                owner[id(a.value)] = result  # the array now holds result's value
                del owner[id(out)]
                result.value = a.value
                break


def _compile(rec: _Recorder, result: Any) -> _Compiled:
    global _PROGRAM
    _PROGRAM = prog = _Program()
    token = quiet_on()
    try:
        return _Builder(rec, prog).build(result)
    finally:
        quiet_off(token)
        _PROGRAM = None


# -- the public wrapper ---------------------------------------------------------------------
def _key(args: tuple) -> tuple:
    key: list = [autograd.is_grad_enabled()]
    for a in args:
        if isinstance(a, Tensor):
            if a.requires_grad:
                raise TraceError("a traced step's Tensor arguments must not require grad "
                                 "(parameters are found by themselves: use them directly)")
            key.append(("T", a.data.shape, a.data.dtype))
        else:
            try:
                hash(a)
            except TypeError:
                raise TraceError(f"a traced step takes Tensors, arrays and hashable constants "
                                 f"as arguments, got {type(a).__name__}") from None
            key.append(("V", type(a), a))
    return tuple(key)


class Traced:
    """A step function with its compiled replays, one per argument signature (see the
    module docstring; made by :func:`trace`)."""

    def __init__(self, fn: Callable, fallback: bool = False) -> None:
        self.fn = fn
        self.fallback = fallback
        self._cache: dict = {}
        self._eager: str | None = None
        functools.update_wrapper(self, fn)

    def reset(self) -> None:
        """Forget every compiled replay (the next two calls record again)."""
        self._cache.clear()
        self._eager = None

    @property
    def compiled(self) -> list:
        """The compiled replays' Python source, one per signature (for reading)."""
        return [c.source for c in self._cache.values() if isinstance(c, _Compiled)]

    def __call__(self, *args: Any) -> Any:
        if self._eager is not None or autograd.checks.anomaly or _tensor_mod._recorder:
            return self.fn(*args)
        args = tuple(Tensor(a, dtype=None) if isinstance(a, np.ndarray) else a for a in args)
        key = _key(args)
        entry = self._cache.get(key)
        if isinstance(entry, _Compiled):
            with autograd._backward_lock:
                out = _replay(entry, args)
            if out is not _STALE:
                return out
            entry = None
        if entry is None:
            entry = self._cache[key] = []
        return self._record(key, entry, args)

    def _record(self, key: tuple, records: list, args: tuple) -> Any:
        autograd.clock.epoch += 1  # every Tensor made from now on is born inside the call
        rec = _Recorder([a for a in args if isinstance(a, Tensor)], autograd.clock.epoch)
        _tensor_mod._recorder = rec
        try:
            result = self.fn(*args)
        finally:
            _tensor_mod._recorder = None
        rec.after_backward()
        if rec.problem is None and not any(e[0] == "op" for e in rec.events):
            rec.problem = ("no Tensor op in the traced step (Value graphs are not traced: "
                           "trace Tensor steps only)")
        if rec.problem is None:
            records.append((rec, result))
            if len(records) == 2:
                (first, _), (second, _) = records
                rec.problem = _first_difference(_signature(first), _signature(second))
                if rec.problem is None:
                    try:
                        with autograd._backward_lock:  # one compile at a time (_PROGRAM)
                            self._cache[key] = _compile(second, result)
                    except _Unsupported as e:
                        rec.problem = f"{e} in the traced step"
                    except Exception as e:  # a gap in the tracer, not in the step
                        rec.problem = (f"the compiler failed ({type(e).__name__}: {e}); "
                                       "please report it with the step")
                    records.clear()
        if rec.problem is not None:
            self._cache.pop(key, None)
            self._give_up(rec.problem)
        return result

    def _give_up(self, problem: str) -> None:
        message = (f"cannot trace {getattr(self.fn, '__name__', 'the step')}: {problem}. "
                   "This call ran eagerly.")
        if not self.fallback:
            raise TraceError(message + " (trace(fn, fallback=True) runs such a step eagerly "
                             "instead of raising)")
        warnings.warn(message + " It runs eagerly from now on.", RuntimeWarning, stacklevel=3)
        self._eager = problem


_STALE = object()
_HOLDER = Tensor(0.0)  # detach() of it makes a leaf around a new array, cheaply


def _replay(c: _Compiled, args: tuple) -> Any:
    """One call of a compiled step, or _STALE when something it was compiled for changed
    (the compiled function checks the parameters' arrays and hyper-parameters itself)."""
    for opt, p, key, buf in c.arrays:
        st = opt.state.get(p)
        v = None if st is None else st.get(key)
        if v is not buf:
            if v is None or np.shape(v) != buf.shape:
                return _STALE
            np.copyto(buf, v)
            st[key] = buf
    try:
        scalars = [opt.state[p][key] for opt, p, key, _ in c.scalars]
    except KeyError:
        return _STALE
    token = quiet_on()
    try:
        got = c.run(*[a for a in args if isinstance(a, Tensor)], *scalars)
    finally:
        quiet_off(token)
    if got is _STALE:
        return got
    outs, new_scalars = got
    for (opt, p, key), v in zip(c.scalars_out, new_scalars):
        opt.state[p][key] = v
    return _rebuild(c.template, outs)


def trace(fn: Callable | None = None, *, fallback: bool = False) -> Any:
    """Record a fixed-shape training step once and replay it with preallocated buffers.

    ``@trace`` (or ``trace(step)``) on a function that runs Tensor ops, ``backward()`` and
    optimizer steps; call it as before. The first two calls run eagerly and record, later
    calls with arguments of the same shapes and dtypes replay the compiled numpy calls (see
    :mod:`micrograd_plus.core.trace` for what is replayed and what is refused).

    Parameters
    ----------
    fn : the step. Its arguments: Tensors that do not require grad and numpy arrays (the
        data of a batch; arrays are passed to ``fn`` as Tensors), or hashable constants
        (a new value records again). It returns Tensors (or tuples, lists, dicts of them,
        or None); a replay returns copies of them without a graph.
    fallback : when the step cannot be traced, warn and run it eagerly from then on
        (default: raise :class:`TraceError`).

    Examples
    --------
    >>> from micrograd_plus import Tensor, nn, optim, losses, trace
    >>> model = nn.Sequential(nn.Linear(2, 8, seed=0), nn.Tanh(), nn.Linear(8, 1, seed=1))
    >>> opt = optim.SGD(model.parameters(), lr=0.1)
    >>> @trace
    ... def step(x, y):
    ...     loss = losses.mse(model(x), y)
    ...     opt.zero_grad()
    ...     loss.backward()
    ...     opt.step()
    ...     return loss
    >>> x, y = Tensor([[0.0, 1.0], [1.0, 0.0]]), Tensor([[1.0], [0.0]])
    >>> losses_seen = [step(x, y).item() for _ in range(5)]  # calls 3-5 replay
    """
    if fn is None:
        return lambda f: Traced(f, fallback)
    return Traced(fn, fallback)
