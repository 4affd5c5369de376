"""Walk a backward pass one node at a time, forward and back.

``BackpropStepper(root)`` reads the pass from ``autograd.walk``, the one walk
``backward()`` runs: the same topological order walked in reverse, the same per-pass
gradients summed in the same order, the same hooks. Each :class:`Step` is one node being
processed: its gradient ∂root/∂node of this pass, and for every parent the local
derivative ∂node/∂parent, the contribution ``grad × local`` and the parent's ``.grad``
afterwards. Applying a step writes
``.grad`` the way a teacher draws it on the board (each contribution lands on the parent as
soon as the node is processed); after the last step every ``.grad`` is bit-for-bit what
``root.backward()`` leaves. ``back()`` restores the previous gradients exactly::

    stepper = BackpropStepper(E)
    stepper.step()                   # the root: ∂E/∂E = 1 flows to its parents
    step = stepper.run_to(y)         # process nodes until y is done
    print(step)                      # one chain-rule line per parent:
    #   ∂E/∂w_meat = ∂E/∂y · ∂y/∂w_meat = (−700)·(5) = −3500
    stepper.back()                   # undo y's step
    stepper.show()                   # rich table of every step and .grad
"""

from __future__ import annotations

import numbers
from typing import Any, Iterator

import numpy as np

from ..core import autograd
from ..viz import draw_graph
from ..viz.format import node_names
from .chain import ParentStep, Step, format_chain_rule, matrix_line
from .table import render_state

__all__ = ["BackpropStepper", "Step", "ParentStep", "format_chain_rule", "matrix_line"]


class BackpropStepper:
    """An iterator over the backward pass from ``root``, in the order ``backward()`` uses.

    ``steps`` lists every planned :class:`Step` (computed at construction without touching
    any ``.grad``); ``step()`` applies the next one, ``back()`` undoes one, ``run_to(node)``
    and ``run()`` move further, ``show()`` prints the state and ``draw()`` renders the
    graph with the processed part marked. Hooks registered on nodes run once, while planning.
    """

    def __init__(self, root: Any, seed: Any = 1.0) -> None:
        autograd.check_requires_grad(root, "stepping through backward()")
        self.root = root
        self.order = autograd.topological_order(root)
        self.names = node_names(self.order, root)
        self.seed = _as_seed(root, seed)
        self._steps = _plan(root, self.seed, self.order, self.names)
        self.position = 0  # number of steps applied
        self._undo: list[list[tuple[Any, Any]]] = []

    # -- records ------------------------------------------------------------------------
    @property
    def steps(self) -> list[Step]:
        """All planned steps, applied or not."""
        return list(self._steps)

    def records(self) -> list[Step]:
        """The full list of steps, computed without changing any gradient (``steps``)."""
        return self.steps

    def __len__(self) -> int:
        return len(self._steps)

    @property
    def current(self) -> Step | None:
        """The step applied last (None before the first)."""
        return self._steps[self.position - 1] if self.position else None

    @property
    def next_step(self) -> Step | None:
        return self._steps[self.position] if self.position < len(self._steps) else None

    @property
    def done(self) -> bool:
        return self.position == len(self._steps)

    @property
    def processed(self) -> list:
        """The nodes whose steps have been applied, in order."""
        return [s.node for s in self._steps[: self.position]]

    def index_of(self, node: Any) -> int:
        """The index of the step processing ``node`` (a node or its label)."""
        for s in self._steps:
            if s.node is node or (
                isinstance(node, str) and node in (s.label, getattr(s.node, "label", ""))
            ):
                return s.index
        name = node if isinstance(node, str) else autograd.describe(node)
        raise ValueError(
            f"{name} is not processed by this backward pass (it is not an input of the "
            "root, does not require grad, or receives no gradient)"
        )

    # -- moving -------------------------------------------------------------------------
    def step(self) -> Step:
        """Apply the next step and return it; StopIteration when the pass is complete."""
        if self.done:
            raise StopIteration("the backward pass is complete; back() undoes a step")
        step = self._steps[self.position]
        # what the step writes: the node's own .grad, then each parent's running .grad
        effects = [(step.node, step.grad_after)] + [(p.node, p.grad_after) for p in step.parents]
        self._undo.append([(node, _copy(node.grad)) for node, _ in effects])
        for node, grad in effects:
            node.grad = _copy(grad)
        self.position += 1
        return step

    def back(self) -> Step | None:
        """Undo the last applied step, restoring gradients exactly; return the new current."""
        if not self.position:
            raise IndexError("nothing to undo: no step has been applied")
        for node, grad in reversed(self._undo.pop()):
            node.grad = grad
        self.position -= 1
        return self.current

    def run_to(self, node: Any) -> Step:
        """Apply (or undo) steps until the step processing ``node`` is the last applied."""
        target = self.index_of(node) + 1
        while self.position < target:
            self.step()
        while self.position > target:
            self.back()
        return self._steps[target - 1]

    def run(self) -> list[Step]:
        """Apply every remaining step; return them."""
        applied = []
        while not self.done:
            applied.append(self.step())
        return applied

    run_to_end = run

    def reset(self) -> None:
        """Undo every applied step."""
        while self.position:
            self.back()

    def move(self, action: str) -> Step | None:
        """A front end's command: ``'next'``, ``'back'``, ``'end'`` or ``'start'``.

        At either end of the pass ``'next'``/``'back'`` do nothing (no error, so a held key
        stops there). Returns the current step afterwards.
        """
        if action == "next":
            if not self.done:
                self.step()
        elif action == "back":
            if self.position:
                self.back()
        elif action == "end":
            self.run()
        elif action == "start":
            self.reset()
        else:
            raise ValueError(f"unknown move {action!r}: use 'next', 'back', 'end' or 'start'")
        return self.current

    def __iter__(self) -> Iterator[Step]:
        return self

    def __next__(self) -> Step:
        return self.step()

    # -- looking --------------------------------------------------------------------------
    def render(self, max_rows: int = 30) -> Any:
        """A rich renderable of the current state (table of steps, current chain rule)."""
        return render_state(self, max_rows=max_rows)

    def __rich__(self) -> Any:
        return self.render()

    def show(self, console: Any = None) -> None:
        """Print the current state as a rich table with the current step's chain rule."""
        from rich.console import Console

        (console or Console()).print(self.render())

    def draw(self, **options: Any) -> Any:
        """``viz.draw_graph`` of the root with the current node and the processed ones marked."""
        current = self.current
        return draw_graph(
            self.root,
            highlight=[current.node] if current else [],
            processed=self.processed,
            **options,
        )

    def __repr__(self) -> str:
        return (
            f"BackpropStepper(root={self.names[self.root]!r}, step {self.position} "
            f"of {len(self._steps)})"
        )


def _plan(root: Any, seed: Any, order: list, names: dict) -> list[Step]:
    """Every step of the pass, with the ``.grad`` it leaves on each node, touching no .grad.

    It reads ``autograd.walk``, the walk ``backward()`` itself runs, so the sums are
    bit-identical.
    """
    base = {node: _copy(node.grad) for node in order}
    root_label = names[root]
    counts: dict = {}
    steps: list[Step] = []
    for walked in autograd.walk(root, seed, order=order):
        node, g = walked.node, walked.grad
        own = _stored(node, base[node], g)
        records = []
        local = node.local_grads if hasattr(node, "local_grads") else None
        for i, (parent, pg, total) in enumerate(
                zip(node._prev, walked.contributions, walked.totals)):
            if total is None:
                continue
            counts[parent] = counts.get(parent, 0) + 1
            after = _stored(parent, base[parent], total)
            records.append(ParentStep(
                node=parent, label=names[parent],
                local=None if local is None else local[i],
                contribution=pg, grad_after=after, sum_so_far=total,
                arrival=counts[parent], position=i,
            ))
        steps.append(Step(
            index=len(steps), node=node, label=names[node], op=node._op,
            data=_copy(node.data), grad=g, parents=records, grad_after=own,
            root_label=root_label,
        ))
    for s in steps:
        for p in s.parents:
            p.arrivals = counts[p.node]
    return steps


def _stored(node: Any, base: Any, g: Any) -> Any:
    """What ``node._store_grad(g)`` makes of a ``.grad`` equal to ``base``.

    Values always store (``base + g``). Other node types decide themselves (a Tensor keeps
    grads on leaves only), so their own ``_store_grad`` runs on a scratch ``.grad``.
    """
    if type(base) is float and type(g) is float:
        return base + g
    saved = node.grad
    node.grad = _copy(base)
    try:
        node._store_grad(g)
        return _copy(node.grad)
    finally:
        node.grad = saved


def _copy(x: Any) -> Any:
    return x.copy() if isinstance(x, np.ndarray) else x


def _as_seed(root: Any, seed: Any) -> Any:
    """A number seeds a Value as a float and a Tensor as an array of its shape."""
    data = root.data
    if isinstance(data, np.ndarray):
        if isinstance(seed, numbers.Real):  # in the root's dtype, as backward() seeds it
            return np.full(data.shape, float(seed), dtype=data.dtype)
        seed = np.asarray(seed, dtype=data.dtype)
        if seed.shape != data.shape:
            raise ValueError(f"seed of shape {seed.shape} for a root of shape {data.shape}")
        return seed
    if isinstance(seed, bool) or not isinstance(seed, numbers.Real):
        raise TypeError(f"seed must be a real number, got {type(seed).__name__}: {seed!r}")
    return float(seed)


