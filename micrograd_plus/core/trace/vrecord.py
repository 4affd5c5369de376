"""What one recorded call of a Value step did, for :mod:`.scalar` to compile.

The Tensor :class:`~.record.Recorder` of a call holds one :class:`ValueRecord` and passes
it the Value events of its thread: ``Value.backward()``, optimizer steps on Values, and
every ``zero_grad()`` (of a node, a module or an optimizer). Besides the graph's root and
the order of its pass, the record keeps what a replay needs to treat ``.grad`` as the
eager step does. For each parameter the second recorded call compares its ``.grad`` as the
call began with the one the pass finds:

- cleared by a ``zero_grad()`` of the call, or a new 0 put there by hand: the replay
  replaces ``.grad`` with the pass's gradient;
- the same object as at the start: the step leaves it alone, and the replay adds to it,
  as backward does (when that object is 0 nothing tells the two cases apart, so a replay
  needs it to be 0 again, else it records anew);
- anything else: refused.

Gradients zeroed after the pass (``opt.step(); opt.zero_grad()``) are zeroed after a
replay's optimizer steps; a ``.grad`` changed otherwise after the pass is refused.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Callable, Iterator

from .. import autograd, value as _value_mod

__all__ = ["ValueRecord", "logging_nodes"]


@contextlib.contextmanager
def logging_nodes(record: "ValueRecord") -> Iterator[None]:
    """While a call is recorded, every op node its thread makes is appended to
    ``record.made`` (``core.value`` makes them all in ``_result``, swapped for the call)."""
    made, thread, original = record.made, threading.get_ident(), _value_mod._result

    def logged(*args: Any) -> Any:
        out = original(*args)
        if threading.get_ident() == thread:
            made.append(out)
        return out
    _value_mod._result = logged
    _value_mod.Value._result = staticmethod(logged)
    try:
        yield
    finally:
        _value_mod._result = original
        _value_mod.Value._result = staticmethod(original)


def _is_zero(g: Any) -> bool:
    return type(g) is float and g == 0.0


class ValueRecord:
    """One call's Value graph and events (see the module docstring)."""

    def __init__(self, epoch: int, untraceable: Callable[[str], None]) -> None:
        self.epoch = epoch  # nodes born before it existed before the call
        self.untraceable = untraceable  # the Recorder's: keeps the first problem
        self.inputs: list = []  # the input Values made from list arguments
        self.root: Any = None
        self.seed = 1.0
        self.order: list = []  # autograd's order of the pass
        self.grads: list = []  # each node's gradient of the pass, for the compiler's check
        self.pass_epoch: float = float("inf")  # the clock when the pass ran
        self.snapshot: dict = {}  # id(parameter) -> its .data before the pass (or the step)
        self.given: dict = {}  # id(leaf) -> the .grad the pass left
        self.at_step: dict = {}  # id(parameter outside the loss) -> .grad its step saw
        self.steps: list = []  # optimizers stepped after the pass
        self.known: dict = {}  # id -> parameter of the previous recorded call
        self.start_grad: dict | None = None  # their .grad as this call began
        self.start_data: dict = {}  # and their .data
        self.cleared: set = set()  # ids a zero_grad() cleared before the pass
        self.replace: set = set()  # ids whose .grad a replay replaces
        self.unsure: set = set()  # ids whose .grad a replay needs to be 0
        self.zero_after: set = set()  # ids the step zeroes after the pass
        self.signature: list = []  # the graph and events, to compare two calls
        self.made: list = []  # the op nodes the call made, in the order it made them

    def begin(self, previous: "ValueRecord | None") -> None:
        """Note the parameters the previous recorded call reached or stepped, as they are."""
        if previous is None:
            return
        self.known = {id(p): p for p in previous._touched()}
        self.start_grad = {k: p.grad for k, p in self.known.items()}
        self.start_data = {k: p.data for k, p in self.known.items()}

    def zero_grad(self, nodes: Any) -> None:
        if self.root is None:
            self.cleared.update(map(id, nodes))

    def backward(self, root: Any, seed: float, create_graph: bool) -> None:
        if create_graph:
            return self.untraceable("backward(create_graph=True)")
        if self.root is not None:
            return self.untraceable("a second backward()")
        order = autograd.topological_order(root)
        for node in order:
            if node._hooks:
                return self.untraceable(f"a hook on {autograd.describe(node)}")
            if not node._prev and node._born < self.epoch and not self._decide(node, node.grad):
                return self.untraceable(
                    f"a .grad of {autograd.describe(node)} set inside the step to "
                    f"{node.grad!r} (only zero_grad() and backward() can be replayed)")
        self.root, self.seed, self.order = root, seed, order
        self.pass_epoch = autograd.clock.epoch
        self.snapshot = {id(n): n.data for n in autograd.reading_order(root, requiring_grad=False)
                         if not n._prev and n._born < self.epoch}

    def after_backward(self) -> None:
        if self.root is not None and not self.grads:
            self.grads = [n._pass_grad for n in self.order]  # (this pass only)
            self.given = {id(n): n.grad for n in self.order if not n._prev}

    def step(self, opt: Any, params: list) -> None:
        if self.root is None:
            return self.untraceable("an optimizer step without a backward() before it")
        self.after_backward()
        for p in params:
            g = p.grad
            self.snapshot.setdefault(id(p), p.data)
            if id(p) in self.given:
                if g is not self.given[id(p)]:
                    return self.untraceable(f"a .grad of {autograd.describe(p)} changed "
                                            "between backward() and the optimizer's step")
            elif self._decide(p, g):
                self.at_step[id(p)] = g
            else:
                return self.untraceable(f"a .grad of {autograd.describe(p)} not made by "
                                        "backward() or zero_grad() of this step")
        self.steps.append(opt)

    def end(self) -> None:
        """At the end of the call: gradients zeroed after the pass (or changed: refused)."""
        self.after_backward()
        for p in self._touched():
            seen = self.given.get(id(p), self.at_step.get(id(p)))
            g = p.grad
            if g is seen:
                continue
            if _is_zero(g):
                self.zero_after.add(id(p))
            else:
                return self.untraceable(f"a .grad of {autograd.describe(p)} changed after "
                                        "backward() (only zero_grad() can be replayed)")

    def _decide(self, p: Any, g: Any) -> bool:
        """How a replay treats ``p.grad`` (see the module docstring); False: refused."""
        if self.start_grad is None or id(p) not in self.start_grad:
            return True  # the first recorded call: nothing to compare with yet
        start = self.start_grad[id(p)]
        if _is_zero(g) and (id(p) in self.cleared or g is not start):
            self.replace.add(id(p))
            return True
        if g is start:
            if _is_zero(g):
                self.unsure.add(id(p))
            return True
        return False

    def _touched(self) -> list:
        """The leaves made before the call that the pass reached or an optimizer stepped."""
        params = [n for n in self.order if not n._prev and n._born < self.epoch]
        return params + [p for opt in self.steps for g in opt.param_groups for p in g["params"]]

    def parameters(self) -> list:
        """The leaves this call touched and those the previous recorded call touched."""
        params = self._touched()
        seen = {id(p) for p in params}
        return params + [p for k, p in self.known.items() if k not in seen]
