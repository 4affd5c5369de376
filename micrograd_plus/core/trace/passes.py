"""Passes over a compiled step's calls: drop the dead ones, fold a negated mask into its
``where``, write results in place, reuse buffers.

The calls are a Program's ``(kind, fn, args, kwargs, result)``; ``roots`` are the values the
step hands back (and must keep); ``pinned`` are results whose arrays are seen from outside
(a parameter's ``.grad``), which keep their own arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .standins import StandIn, standins_of

__all__ = ["dead_code_out", "fold_not_into_where", "write_in_place", "reuse_buffers",
           "arrays_read"]


def dead_code_out(calls: list, roots: list) -> list:
    """The calls that an effect (a write into a parameter, state or gradient array) or a
    root needs, in order."""
    needed: set = set()

    def need(x: Any) -> None:
        for s in standins_of(x, []):
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


def _uses(calls: list, roots: list) -> dict:
    """How many times each stand-in is read (by a call, a view made once, or as a root)."""
    uses: dict = {}

    def use(x: Any) -> None:
        if isinstance(x, StandIn):
            uses[id(x)] = uses.get(id(x), 0) + 1
            for d in x.deps:  # a view made once reads its base on every call
                use(d)

    for x in _flat([[(call[2], call[3]) for call in calls], roots]):
        use(x)
    return uses


def fold_not_into_where(calls: list, roots: list) -> list:
    """``where(logical_not(c), a, b)`` as ``where(c, b, a)`` when nothing else reads the
    negated mask (relu's and clip's backward): the same selection, one call fewer. The
    ``logical_not`` is then dead; ``dead_code_out`` drops it."""
    uses = _uses(calls, roots)
    negated = {id(call[4]): call[2][0] for call in calls
               if call[0] == "out" and call[1] is np.logical_not and len(call[2]) == 1
               and not call[3]}
    folded = []
    for call in calls:
        kind, fn, args, kwargs, result = call
        if fn is np.where and len(args) == 3 and not kwargs and id(args[0]) in negated \
                and uses.get(id(args[0])) == 1:
            call = (kind, fn, (negated[id(args[0])], args[2], args[1]), kwargs, result)
        folded.append(call)
    return folded


def arrays_read(call: tuple) -> list:
    """The arrays a call reads (stand-ins' current values and constant arrays)."""
    return [s.value if isinstance(s, StandIn) else s for s in _flat((call[2], call[3]))
            if isinstance(s, np.ndarray) or (isinstance(s, StandIn)
                                             and isinstance(s.value, np.ndarray))]


def _flat(x: Any) -> list:
    if isinstance(x, (tuple, list)):
        return [j for i in x for j in _flat(i)]
    if isinstance(x, dict):
        return [j for i in x.values() for j in _flat(i)]
    return [x]


def write_in_place(calls: list, roots: list, pinned: set) -> list:
    """``copyto(dst, v)`` where v is made by an earlier 'out' call and used nowhere else:
    that call writes into dst instead (``p -= lr·g`` in place), when nothing in between
    reads dst."""
    uses = _uses(calls, roots)
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
               for a in arrays_read(call)):
            continue
        src.value = dst
        calls[i] = ("write",) + calls[i][1:]  # an effect now: dead-code removal keeps it
        dropped.add(j)
    return [call for j, call in enumerate(calls) if j not in dropped]


def reuse_buffers(calls: list, roots: list, pinned: set) -> None:
    """An elementwise call writes into the array of an input read for the last time there
    (``1 − t²`` into the array of ``t²``): fewer arrays, warmer caches."""
    last: dict = {}
    owner: dict = {}  # id(array) -> the StandIn whose 'out' call fills it

    viewed: set = set()  # arrays with a view made at compile time: they stay where they are

    def touch(x: Any, k: int) -> None:
        if isinstance(x, StandIn):
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
                or id(result) in pinned or id(result) in viewed or result.deps:
            continue
        out = result.value
        for a in args:
            if (isinstance(a, StandIn) and a.static and not a.deps and id(a) not in pinned
                    and owner.get(id(a.value)) is a and last.get(id(a)) == k
                    and a.value.shape == out.shape and a.value.dtype == out.dtype):
                owner[id(a.value)] = result  # the array now holds result's value
                del owner[id(out)]
                result.value = a.value
                break
