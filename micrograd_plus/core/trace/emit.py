"""Writing a compiled step as one straight-line Python function.

:func:`emit` gives each gradient an array, runs the passes (dead calls out, results written
in place, buffers reused), and writes what is left as ``def step(...)``: the checks that
the step still fits (else it returns :data:`STALE`), the inputs copied into their buffers,
one line per numpy call (``fn(..., out=buffer)`` where the result has a buffer), then
``.grad``, version counters and the results handed back.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import autograd
from .build import Compiled
from .batch import batch_elementwise
from .passes import dead_code_out, fold_not_into_where, reuse_buffers, write_in_place
from .program import Program
from .standins import StandIn

__all__ = ["emit", "STALE"]

STALE = object()
"""What the compiled function returns when it no longer fits the step (a parameter's array
replaced, a hyper-parameter changed): the caller records the step again."""


def emit(prog: Program, c: Compiled, outs: list, n_returned: int) -> None:
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
            grads.append((p, g))  # (its array is known after the passes)
        else:
            buf = np.empty_like(p.data)
            prog.effect(np.copyto, buf, g)
            grads.append((p, buf))
    roots = [outs, [made[i][4] for i in exposed]]
    calls = dead_code_out(prog.calls, roots)
    calls = fold_not_into_where(calls, roots)
    calls = write_in_place(calls, roots, exposed)
    calls = dead_code_out(calls, roots)
    calls = batch_elementwise(calls, roots)
    reuse_buffers(calls, roots, exposed)
    c.grads = [(p, g.value if isinstance(g, StandIn) else g) for p, g in grads]
    names: dict = {}
    scope: dict = {}

    def ref(x: Any) -> str:
        if isinstance(x, StandIn):
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
    scope.update(STALE=STALE, copyto=np.copyto, clock=autograd.clock)
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
    dtypes = {np.asarray(a.value if isinstance(a, StandIn) else a).dtype for a in args
              if isinstance(a, (StandIn, np.ndarray))}
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
