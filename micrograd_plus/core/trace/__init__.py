"""Traced training steps: record a fixed-shape step once, replay it with preallocated buffers.

``trace(step)`` wraps a function that runs Tensor ops, ``backward()`` and optimizer steps
(the whole training step), like tinygrad's ``TinyJit`` or a CUDA graph. A step of Value
(scalar) ops is traced too: see the end of this docstring and :mod:`.scalar`. For Tensors:

1. The first two calls run eagerly (ordinary results) and record what happened: every op
   (``core.tensor`` reports it), each ``backward()`` and each ``Optimizer.step()``. The two
   records must agree (same ops, same constants); a difference means the step depends on
   its data in Python (a branch, a random Dropout mask) and raises :class:`TraceError`.
2. The second record is compiled: each op's ``forward`` and ``local``/``vjp`` rule from the
   op table, and the optimizer's ``_update``, run once more on stand-in arrays
   (``standins.StandIn``) that write down the numpy calls they make. What does not depend on the
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
  of a Tensor, comparisons (``x > 0``: a mask of this call's data, for ``where``) and
  in-place Tensor methods (``add_``) inside the step: TraceError.
- A Tensor made inside the step from new data each call (a training-mode ``Dropout``
  mask, a batch converted inside): frozen at the second call, so the two records differ:
  TraceError. Pass such data as an argument (Tensors or arrays), or call ``model.eval()``.
- Gradients accumulated across calls (no ``zero_grad`` inside the step), hooks,
  ``retain_grad``, ``create_graph``, inputs that require grad: TraceError.
- A step of both Tensor ops and a Value graph: TraceError.
- Array parameters of ops are frozen (indices, ``where`` conditions, class targets),
  except an array equal to an argument's data (cross_entropy's targets made from a label
  argument), which is read from that argument on every call.
- The optimizer's hyper-parameters are compared on every call: a change (a scheduler's
  new learning rate) records again, so a schedule that changes every step gains nothing.
- Anything else Python reads at record time is frozen: ``module.training``, a seed
  gradient given to ``backward``, values read from ``.data``. Call ``step.reset()`` after
  changing such state.

Value steps (no Tensor op; see :mod:`.scalar`): list arguments (nested lists of numbers)
become input Values; the second recorded call's graph is written as one straight-line
Python function on floats (forward, and the backward pass in autograd's order), checked
against that call's every value and gradient; a replay runs it, stores the parameters'
``.grad`` (replaced where the step zeroes them, added to where it does not, as backward
does) and calls the recorded optimizers' ``step()`` as they are, so a learning-rate
schedule needs no new record. As with ``jax.jit``, Python code in the step runs only while
recording: a number read from a Value inside the step is the recorded call's. ``float(v)``
and ``v.item()`` are refused; a read of ``.data`` cannot be seen: return Values (a number
among the results is refused). Refused as well:
``p.data -= lr * p.grad`` by hand (use an optimizer), a ``.grad`` set to anything but 0,
hooks, ``create_graph``, a second ``backward()``, ops under ``no_grad``, nodes made after an
optimizer step, a ``dot`` mixing Values and constants.

With ``trace(step, fallback=True)`` a step that cannot be traced warns once and runs
eagerly from then on, instead of raising. In anomaly mode (``anomaly()``) every call runs
eagerly, with its checks. ``step.compiled`` shows the compiled functions' source.
"""

from __future__ import annotations

import functools
import threading
import warnings
from typing import Any, Callable

import numpy as np

from .. import autograd, tensor as _tensor_mod
from ..mathspace import quiet_off, quiet_on
from ..tensor import Tensor
from .build import Builder, Compiled, rebuild
from .emit import STALE, emit
from .program import Program
from .record import Recorder, first_difference, signature
from .standins import Unsupported, recording
from . import scalar
from .vrecord import logging_nodes

_recording = threading.RLock()

__all__ = ["trace", "Traced", "TraceError"]


class TraceError(RuntimeError):
    """A step that the tracer cannot replay faithfully (the message says why)."""


def _compile(rec: Recorder, result: Any) -> Compiled:
    """The compiled step of one record: run on stand-ins, then written as one function."""
    prog = Program()
    token = quiet_on()
    try:
        with recording(prog):
            builder = Builder(rec, prog)
            outs = builder.build(result)
            c = builder.c
            emit(prog, c, outs, len(outs) - len(c.scalars_out))
            return c
    finally:
        quiet_off(token)


def _key(args: tuple, flat: list) -> tuple:
    """The cache key of a call's arguments; the numbers of its list arguments (a Value
    step's inputs) are appended to ``flat``."""
    key: list = [autograd.is_grad_enabled()]
    for a in args:
        if isinstance(a, list):
            try:
                key.append(("L", scalar.flatten(a, flat)))
            except Unsupported as e:
                raise TraceError(f"a traced step's list arguments hold numbers: got {e}") \
                    from None
            continue
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
        return [c.source for c in self._cache.values()
                if isinstance(c, (Compiled, scalar.ScalarCompiled))]

    def __call__(self, *args: Any) -> Any:
        if self._eager is not None or autograd.checks.anomaly or _tensor_mod.recorder:
            return self.fn(*args)
        args = tuple(Tensor(a, dtype=None) if isinstance(a, np.ndarray) else a for a in args)
        flat: list = []
        try:
            key = _key(args, flat)
        except TraceError as e:
            if not self.fallback:
                raise
            self._give_up(str(e))
            return self.fn(*args)
        entry = self._cache.get(key)
        if isinstance(entry, Compiled):
            with autograd._backward_lock:
                out = _replay(entry, args)
            if out is not STALE:
                return out
            entry = None
        elif isinstance(entry, scalar.ScalarCompiled):
            with autograd._backward_lock:
                if not entry.stale():
                    return scalar.rebuild(entry.template, entry.replay(flat))
            entry = None
        if entry is None:
            entry = self._cache[key] = []
        return self._record(key, entry, args)

    def _record(self, key: tuple, records: list, args: tuple) -> Any:
        with _recording:  # one call at a time is recorded (the recorder is global)
            return self._record_alone(key, records, args)

    def _record_alone(self, key: tuple, records: list, args: tuple) -> Any:
        autograd.clock.epoch += 1  # every Tensor made from now on is born inside the call
        rec = Recorder([a for a in args if isinstance(a, Tensor)], autograd.clock.epoch)
        args = tuple(scalar.value_args(a, rec.value.inputs) if isinstance(a, list) else a
                     for a in args)
        rec.value.begin(records[0][0].value if records else None)
        _tensor_mod.recorder = rec
        autograd.watch_zero_grad = rec.value_zero_grad
        try:
            with logging_nodes(rec.value):
                result = self.fn(*args)
        finally:
            _tensor_mod.recorder = None
            autograd.watch_zero_grad = None
        rec.after_backward()
        rec.value.end()
        tensors = any(e[0] == "op" for e in rec.events)
        values = bool(rec.value.root is not None or rec.value.inputs
                      or scalar.values_in(result))
        if rec.problem is None and tensors == values:
            rec.problem = ("Tensor ops and a Value graph in one step" if tensors else
                           "no Tensor op and no Value graph in the traced step")
        graph = None
        if rec.problem is None and values:
            try:  # what a Value step recorded, checked now (a number returned, …)
                graph = scalar.Graph(rec, result)
                rec.value.signature = graph.signature()
                template = scalar.template(result, rec.epoch)
            except Unsupported as e:
                rec.problem = f"{e} in the traced step"
        if rec.problem is None:
            records.append((rec, result))
            if len(records) == 2:
                (first, _), (second, _) = records
                rec.problem = (scalar.difference(first.value.signature,
                                                 second.value.signature)
                               if values else
                               first_difference(signature(first), signature(second)))
                if rec.problem is None:
                    try:
                        with autograd._backward_lock:  # one compile at a time (recording)
                            self._cache[key] = (scalar.compile_step(graph, template)
                                                if values else _compile(second, result))
                    except Unsupported as e:
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


def _replay(c: Compiled, args: tuple) -> Any:
    """One call of a compiled step, or STALE when something it was compiled for changed
    (the compiled function checks the parameters' arrays and hyper-parameters itself)."""
    for opt, p, key, buf in c.arrays:
        st = opt.state.get(p)
        v = None if st is None else st.get(key)
        if v is not buf:
            if v is None or np.shape(v) != buf.shape:
                return STALE
            np.copyto(buf, v)
            st[key] = buf
    try:
        scalars = [opt.state[p][key] for opt, p, key, _ in c.scalars]
    except KeyError:
        return STALE
    token = quiet_on()
    try:
        got = c.run(*[a for a in args if isinstance(a, Tensor)], *scalars)
    finally:
        quiet_off(token)
    if got is STALE:
        return got
    outs, new_scalars = got
    for (opt, p, key), v in zip(c.scalars_out, new_scalars):
        opt.state[p][key] = v
    return rebuild(c.template, outs)


def trace(fn: Callable | None = None, *, fallback: bool = False) -> Any:
    """Record a fixed-shape training step once and replay it with preallocated buffers.

    ``@trace`` (or ``trace(step)``) on a function that runs Tensor ops, ``backward()`` and
    optimizer steps; call it as before. The first two calls run eagerly and record, later
    calls with arguments of the same shapes and dtypes replay the compiled numpy calls (see
    :mod:`micrograd_plus.core.trace` for what is replayed and what is refused).

    Parameters
    ----------
    fn : the step. Its arguments: Tensors that do not require grad and numpy arrays (the
        data of a batch; arrays are passed to ``fn`` as Tensors), lists (nested lists of
        numbers: a Value step's data, passed to ``fn`` as lists of Values), or hashable
        constants (a new value records again). It returns Tensors or Values (or tuples,
        lists, dicts of them, or None); a replay returns copies of them without a graph.
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
