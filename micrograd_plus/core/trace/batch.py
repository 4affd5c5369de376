"""One call for the same elementwise op on many small arrays (horizontal fusion).

A training step repeats the same elementwise ufunc once per parameter: ``p·p`` for an L2
term, ``α·p`` for its gradient, ``g + α·p``, ``lr·g``. Each call on a 16-element array costs
numpy's ~0.3 µs of overhead and next to nothing for the numbers. :func:`batch_elementwise`
makes one call of such a group on flat arrays: each member's result becomes a view of one
flat result array, each operand a flat array of the members' operands laid end to end. An
operand costs nothing when it already lies so: a scalar all members share, constants
(joined at compile time), the flat result of an earlier group in the same order, or
results of other calls that can write straight into a flat array (their arrays become
views of it); otherwise one ``np.concatenate`` gathers it. Elementwise, the numbers are the
very ones the separate calls make: the same operation on the same elements.

A group's call takes the place of its first member, so a call joins a group only where its
operands are ready there and nothing written in between changes them; a group whose
gathers would cost more than the calls it saves is left as it was.
"""

from __future__ import annotations

import operator
from typing import Any

import numpy as np

from .passes import arrays_read
from .standins import StandIn, standins_of, values_of

__all__ = ["batch_elementwise"]

GATHER_COST = 4  # an np.concatenate of a few small arrays costs about four small ufunc calls


def batch_elementwise(calls: list, roots: list) -> list:
    """``calls`` with groups of like elementwise calls made as one call on flat arrays.

    Members' results become views (``deps`` names the flat array), so the later passes
    leave their arrays where they are.
    """
    made_at = {id(call[4]): i for i, call in enumerate(calls) if call[4] is not None}
    writes = [(i, _written(call)) for i, call in enumerate(calls)
              if call[0] in ("write", "effect")]
    viewed: set = set()  # stand-ins with a view made at compile time (views of views too)
    stack = [d for x in standins_of(([(c[2], c[3]) for c in calls], roots), []) for d in x.deps]
    while stack:
        d = stack.pop()
        if id(d) not in viewed:
            viewed.add(id(d))
            stack.extend(d.deps)
    alone: set = set()  # members of groups that did not pay: they stay as they are
    # (and calls whose result has a view made at compile time: it must stay where it is)
    viewed_calls = {i for i, call in enumerate(calls) if id(call[4]) in viewed}
    while True:
        groups = _groups(calls, alone | viewed_calls, made_at, writes)
        layout = _Layout(calls, writes, viewed)
        plans = [layout.plan(group) for group in groups]
        poor = [group for group, plan in zip(groups, plans) if plan is None]
        if not poor:
            break
        alone.update(i for group in poor for i, _ in group)
    placed = {group[0][0]: layout.fuse(group, plan) for group, plan in zip(groups, plans)}
    dropped = {i for group in groups for i, _ in group}
    out = []
    for i, call in enumerate(calls):
        out.extend(placed.get(i, ()))
        if i not in dropped:
            out.append(call)
    return out


def _groups(calls: list, alone: set, made_at: dict, writes: list) -> list:
    """Groups of two or more calls of one key, each to be made where its first member is:
    a call joins the first open group of its key where its operands are ready (computed
    before, in the program as the groups so far change it, and not written since)."""
    ready_at = dict(made_at)  # id(stand-in) -> where it is computed once grouped
    open_groups: dict = {}
    groups: list = []
    for i, call in enumerate(calls):
        key = None if i in alone else _key(call)
        if key is None:
            continue
        for group in open_groups.setdefault(key, []):
            first = group[0][0]
            if _ready(call, i, first, ready_at, writes):
                group.append((i, call))
                ready_at[id(call[4])] = first
                break
        else:
            group = [(i, call)]
            open_groups[key].append(group)
            groups.append(group)
    return [group for group in groups if len(group) > 1]


def _key(call: tuple) -> Any:
    """What the members of a group share: the ufunc, the dtype, each operand's kind (a
    stand-in, and which earlier operand it repeats, as in p·p; a constant array; a scalar,
    the same one); None for a call that cannot join a group."""
    kind, fn, args, kwargs, result = call
    if kind != "out" or not isinstance(fn, np.ufunc) or fn.nout != 1 or fn.signature \
            or kwargs or not isinstance(result.value, np.ndarray) or result.value.ndim == 0:
        return None
    out = result.value
    if out.dtype.kind != "f" or not out.flags.c_contiguous:
        return None
    pattern: list = []
    for k, a in enumerate(args):
        v = a.value if isinstance(a, StandIn) else a
        if isinstance(v, np.ndarray) and v.shape == out.shape and v.dtype == out.dtype:
            same = [j for j in range(k) if args[j] is a]
            pattern.append(("s", same[0] if same else -1) if isinstance(a, StandIn) else "c")
        elif not isinstance(a, StandIn) and type(a) in (float, int):
            pattern.append(("n", type(a), repr(a)))
        elif not isinstance(a, StandIn) and isinstance(a, np.ndarray) and a.ndim == 0:
            pattern.append(("0", id(a)))
        else:
            return None
    return fn, out.dtype, tuple(pattern)


def _columns(group: list) -> list:
    """The group's operands by position: column k holds every member's k-th argument."""
    return [list(column) for column in zip(*[call[2] for _, call in group])]


def _written(call: tuple) -> Any:
    return call[4].value if call[0] == "write" else call[2][0]


def _ready(call: tuple, i: int, first: int, ready_at: dict, writes: list) -> bool:
    """Whether ``call``'s operands can be read at position ``first`` instead of ``i``:
    computed before it, and not written between."""
    for a in standins_of(call[2], []):
        for s in [a, *a.deps]:
            if ready_at.get(id(s), -1) >= first:
                return False
    return not _changed(arrays_read(call), first, i, writes)


def _changed(arrays: list, start: int, stop: int, writes: list) -> bool:
    return any(start < j < stop and any(np.may_share_memory(w, a) for a in arrays)
               for j, w in writes)


class _Layout:
    """The flat arrays: which stand-ins lie in which, in what order."""

    def __init__(self, calls: list, writes: list, viewed: set) -> None:
        self.writes, self.viewed = writes, viewed
        self.made_out = {id(call[4]) for call in calls if call[0] == "out"}
        self.lanes: dict = {}  # id(stand-in) -> (its group's number, lane, lanes)
        self.flats: dict = {}  # id(stand-in) -> the flat stand-in it is a view of
        self.planned: dict = {}  # ids of the stand-ins a plan gathers -> the position
        self.gathered: dict = {}  # ids of the gathered stand-ins -> (flat, position)
        self.groups = self.count = 0

    def plan(self, group: list) -> list | None:
        """How the group reads each operand (see ``_operand``; ('column', j): the same as
        operand j), or None when its gathers
        would cost more than the calls saved. Notes where its results will lie."""
        first = group[0][0]
        columns = _columns(group)
        plan: list = []
        for k, column in enumerate(columns):
            same = [j for j in range(k) if all(map(operator.is_, columns[j], column))]
            plan.append(("column", same[0]) if same else self._operand(column, first))
        gathers = {}
        for (kind, _), column in zip(plan, columns):
            key = tuple(map(id, column))
            if kind == "gather" and not self._current(key, column, first):
                gathers[key] = first  # (p·p reads its one gather twice)
        if len(group) - 1 - GATHER_COST * len(gathers) < 1:
            return None
        self.planned.update(gathers)
        for (kind, _), column in zip(plan, columns):
            if kind == "relocate":
                self._claim(column)
        self._claim([call[4] for _, call in group])
        return plan

    def fuse(self, group: list, plan: list) -> list:
        """The calls that replace ``group``: gathers, then the one call on flat arrays."""
        first = group[0][0]
        fn, dtype = group[0][1][1], group[0][1][4].value.dtype
        made, operands = [], []
        for (kind, value), column in zip(plan, _columns(group)):
            if kind == "relocate":
                value = self._lay(column, dtype)
            elif kind == "laid":
                value = self.flats[id(column[0])]
            elif kind == "gather":
                value, call = self._gather(column, dtype, first)
                if call is not None:
                    made.append(call)
            elif kind == "column":  # the same operand again (p·p)
                value = operands[value]
            operands.append(value)
        made.append(("out", fn, tuple(operands), {},
                     self._lay([call[4] for _, call in group], dtype)))
        return made

    def _operand(self, column: list, first: int) -> tuple:
        """How a group reads one operand: ('same', x) the scalar every member reads,
        ('laid', None) already in a flat array in lane order, ('const', array) constants
        joined now, ('relocate', None) results of calls that can write into a new flat
        array instead, ('gather', None) a concatenate on every replay."""
        head = column[0]
        if not isinstance(head, StandIn) and np.ndim(head) == 0:
            return "same", head  # (the key holds it: every member has this scalar here)
        lanes = [self.lanes.get(id(a)) for a in column]
        if lanes[0] is not None and all(
                lane is not None and lane[0] == lanes[0][0] and lane[1:] == (k, len(column))
                for k, lane in enumerate(lanes)):
            return "laid", None
        if not any(isinstance(a, StandIn) for a in column):
            return "const", np.concatenate([np.ravel(a) for a in column])
        if len({id(a) for a in column}) == len(column) and all(map(self._relocatable, column)):
            return "relocate", None
        return "gather", None

    def _current(self, key: tuple, column: list, first: int) -> bool:
        """Whether a gather of ``column`` planned before still holds its numbers at
        ``first``."""
        at = self.planned.get(key)
        return at is not None and not _changed(values_of(column), at, first, self.writes)

    def _relocatable(self, a: Any) -> bool:
        """A result of an 'out' call, with its own C-contiguous array that nothing else
        views: that call can write into a flat array instead."""
        return (isinstance(a, StandIn) and a.static and not a.deps
                and id(a) in self.made_out and id(a) not in self.lanes
                and id(a) not in self.viewed and isinstance(a.value, np.ndarray)
                and a.value.flags.c_contiguous)

    def _claim(self, members: list) -> None:
        """Note that ``members`` will lie in one flat array, in this order."""
        self.groups += 1
        for lane, a in enumerate(members):
            self.lanes[id(a)] = (self.groups, lane, len(members))

    def _flat(self, size: int, dtype: Any) -> StandIn:
        self.count += 1
        return StandIn(np.empty(size, dtype), f"f{self.count}", True)

    def _lay(self, members: list, dtype: Any) -> StandIn:
        """A new flat array with each member's array a view of its part (``deps`` names
        the base, so later passes keep it there)."""
        flat = self._flat(sum(a.value.size for a in members), dtype)
        start = 0
        for a in members:
            size = a.value.size
            a.value = flat.value[start:start + size].reshape(a.value.shape)
            a.deps = (flat,)
            self.flats[id(a)] = flat
            start += size
        return flat

    def _gather(self, column: list, dtype: Any, first: int) -> tuple:
        """The flat copy of ``column`` and the concatenate that makes it at ``first``, or
        (a copy made before that is still current, None)."""
        key = tuple(map(id, column))
        known = self.gathered.get(key)
        if known is not None and not _changed(values_of(column), known[1], first, self.writes):
            return known[0], None
        flat = self._flat(sum(np.size(a) for a in values_of(column)), dtype)
        self.gathered[key] = (flat, first)
        return flat, ("out", np.concatenate, (tuple(column),), {"axis": None}, flat)
