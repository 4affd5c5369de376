"""Running one record of a step on stand-ins: the calls the compiled step will make.

:class:`Builder` goes through a record's events again, on stand-ins instead of arrays: each
op's ``forward`` and gradient rule from the op table, each ``backward()`` in autograd's
order, each optimizer's ``_update``. The program it fills holds the numpy calls; the
:class:`Compiled` it fills holds what the compiled step checks, copies in and hands back.
A rule a stand-in cannot record runs as it is, on arrays, on every replay.
"""

from __future__ import annotations

import operator
from typing import Any, Callable, NamedTuple

import numpy as np

from .. import autograd
from ..mathspace import ARRAYS
from ..tensor import Tensor, contributions, leaf
from . import results
from .program import TRACED, Program
from .record import InputData, Recorder, Refs, arg_ref
from .standins import StandIn, Unsupported

__all__ = ["Compiled", "Builder", "rebuild"]


class Compiled:
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


class Builder:
    """Runs one record on stand-ins (the op table's rules, the optimizer's ``_update``):
    the numpy calls go into ``prog``, what the step checks and hands back into ``c``."""

    def __init__(self, rec: Recorder, prog: Program) -> None:
        self.rec, self.prog, self.c = rec, prog, Compiled()
        self.refs = Refs(rec)
        self.results: dict = {}  # op index -> its value (StandIn or constant array)
        self.ext: dict = {}  # id(Tensor) -> StandIn of its array
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
        r = arg_ref(v, self.rec)
        if isinstance(r, InputData):  # an argument's data as an op parameter, read each call
            return self.prog.record(np.ndarray.astype, (self.in_syms[r[0]], r[1]), {}, "new")
        return v

    def build(self, result: Any) -> list:
        """Run the record; the values the compiled step returns: the Tensors of ``result``
        (``c.template`` says where each goes), then the optimizers' new number state."""
        for k, event in enumerate(self.rec.events):
            if event[0] == "op":
                _, op, parents, args, out = event
                datas = tuple(self.value_of(p) for p in parents)
                params = {key: self.param_of(v) for key, v in (args or {}).items()}
                try:
                    value = op.forward(TRACED, *datas, **params)
                except Unsupported:
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
                c.grads.append((p, g))  # a buffer of its own, chosen by emit
            else:
                raise Unsupported(f"a .grad of {autograd.describe(p)} replaced after the "
                                  "backward pass")
        outs: list = []
        c.template = results.template(
            result, Tensor, lambda t: ("t", outs.append(self.value_of(t)) or len(outs) - 1))
        for opt, p, key, v in self.final_state:
            slot = next((b for o, q, k, b in c.arrays if o is opt and q is p and k == key), None)
            if slot is not None:
                if not (isinstance(v, StandIn) and v.value is slot):
                    self.prog.effect(np.copyto, slot, v)
            elif any(o is opt and q is p and k == key for o, q, k, _ in c.scalars):
                c.scalars_out.append((opt, p, key))
                outs.append(v)
            else:
                raise Unsupported("optimizer state made during the step")
        return outs

    def backward(self, root: Tensor, seed: np.ndarray, order: list, prior: dict) -> None:
        """autograd's _array_pass on the program's values, in its order (the same sums)."""
        grads: dict = {root: seed}
        for node, g in autograd.arrivals(order, grads):  # no hooks: refused while recording
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
            wanted = tuple(_Wanted(p.requires_grad) for p in parents)
            out = self.value_of(node)
            try:
                per_parent = contributions(TRACED, op, params, g, out, datas, wanted,
                                           traced=True)
            except Unsupported:
                whole = self.prog.record(_opaque_vjp(op, tuple(params), wanted),
                                         (g, out) + datas + tuple(params.values()), {}, "new")
                per_parent = [None if not w.requires_grad else
                              self.prog.record(operator.getitem, (whole, i), {}, "new")
                                 for i, w in enumerate(wanted)]
            for parent, pg in zip(parents, per_parent):
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


class _Wanted(NamedTuple):
    """Whether an input of a recorded op gets a gradient (without keeping the input)."""

    requires_grad: bool


def _opaque_forward(op: Any) -> Callable:
    """An op whose forward a stand-in cannot record: its forward on arrays, on each call."""
    def forward(*datas: Any, **params: Any) -> Any:
        return op.forward(ARRAYS, *datas, **params)
    return forward


def _opaque_vjp(op: Any, keys: tuple, wanted: tuple) -> Callable:
    """An op whose rule a stand-in cannot record: its rule on arrays, on each call."""
    def vjp(g: Any, out: Any, *rest: Any) -> tuple:
        n = len(rest) - len(keys)
        return contributions(ARRAYS, op, dict(zip(keys, rest[n:])), g, out, rest[:n], wanted)
    return vjp


def rebuild(template: tuple, outs: tuple) -> Any:
    """A replay's return value: each Tensor a copy (the buffer is reused by the next call),
    made without Tensor's checks."""
    return results.rebuild(template, outs, lambda a: leaf(np.array(a)))
