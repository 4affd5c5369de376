"""Recording what one eager call of a traced step did, and comparing two such records.

While a step runs under ``trace``, ``core.tensor`` tells a :class:`Recorder` of every op,
``backward()`` and optimizer step (and of what cannot be replayed: a read of a value, an
in-place change). :func:`signature` names the Tensors of a record (:class:`Refs`: an
argument, an earlier op's result, a parameter, a constant) so that two calls can be
compared; :func:`first_difference` says where they part.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from .. import autograd
from ..tensor import Tensor
from .vrecord import ValueRecord

__all__ = ["Recorder", "Refs", "InputData", "arg_ref", "signature", "first_difference"]


class Recorder:
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
        self.value = ValueRecord(epoch, self.untraceable)  # a Value step's (vrecord)

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

    def value_backward(self, root: Any, seed: float, create_graph: bool) -> None:
        """A Value ``backward()`` is about to run (see :mod:`.vrecord`)."""
        if threading.get_ident() == self.thread:
            self.value.backward(root, seed, create_graph)

    def after_value_backward(self) -> None:
        if threading.get_ident() == self.thread:
            self.value.after_backward()

    def value_zero_grad(self, nodes: Any) -> None:
        if threading.get_ident() == self.thread:
            self.value.zero_grad(nodes)

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
        values = [p for group in opt.param_groups for p in group["params"]
                  if not isinstance(p, Tensor)]
        if values:
            if len(values) != sum(len(g["params"]) for g in opt.param_groups):
                return self.untraceable("an optimizer of Values and Tensors")
            return self.value.step(opt, values)
        grads, states = [], []
        for group in opt.param_groups:
            for p in group["params"]:
                g = p.grad
                if g is None or getattr(p, "requires_grad", True) is False:
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


class Refs:
    """Names the Tensors of one record: an argument, an earlier op's result, a Tensor from
    before the call (a parameter), or a constant made inside the step."""

    def __init__(self, rec: Recorder) -> None:
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


class InputData(tuple):
    """An op parameter that is argument ``self[0]``'s data as dtype ``self[1]``."""


def arg_ref(value: Any, rec: Recorder) -> Any:
    """An op parameter that is an array equal to an argument's data (class targets made
    from a label Tensor) is that argument's data, read on every call."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        for i, t in enumerate(rec.inputs):
            d = t.data
            if d.shape == value.shape and np.array_equal(d.astype(value.dtype), value) \
                    and np.array_equal(d, value.astype(d.dtype)):
                return InputData((i, value.dtype))
    return value


def signature(rec: Recorder) -> list:
    """The record with Tensors named (Refs), for comparing two calls of the step."""
    refs = Refs(rec)
    sig = []
    for event in rec.events:
        if event[0] == "op":
            _, op, parents, args, out = event
            params = {k: arg_ref(v, rec) for k, v in (args or {}).items()}
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


def first_difference(a: list, b: list) -> str | None:
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
