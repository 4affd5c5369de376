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
from dataclasses import dataclass, field
from typing import Any, Iterator

import numpy as np

from .core import autograd
from .core.ops import op_word
from .core.ops import op_symbol
from .viz_format import MAX_SHOWN, format_value, group_label, visible
from .viz_rules import GRAD, matrix_rule
from .viz_tensor import constant_name, is_tensor

# A label as a symbol inside ∂·/∂·: ``t − y`` becomes ``(t − y)``, as in ∂E/∂(t − y); the
# graph's edge labels use the same rule
sym = group_label

__all__ = [
    "BackpropStepper",
    "Step",
    "ParentStep",
    "format_chain_rule",
    "fmt",
    "sym",
    "node_names",
    "matrix_line",
]



@dataclass(eq=False)
class ParentStep:
    """What a step sends to one parent:  contribution = grad × local."""

    node: Any
    label: str
    local: Any  # ∂node/∂parent (a float for Values; None for Tensors, whose rule is a VJP)
    contribution: Any  # this edge's share of ∂root/∂parent
    grad_after: Any  # the parent's .grad once this step is applied
    sum_so_far: Any = None  # ∂root/∂parent of this pass so far (the contributions up to here)
    arrival: int = 1  # this is contribution number `arrival` ...
    arrivals: int = 1  # ... of the `arrivals` the parent receives in this pass
    position: int = 0  # index of the parent in node._prev

    def __repr__(self) -> str:
        return visible(f"ParentStep({self.label}: local={fmt(self.local)}, "
                       f"contribution={fmt(self.contribution)}, "
                       f"grad_after={fmt(self.grad_after)})")


@dataclass(eq=False)
class Step:
    """One node processed by the backward pass: its gradient is complete and flows on."""

    index: int  # 0-based position in the pass
    node: Any
    label: str  # the node's label, or an op-based name such as ``mul2``
    op: str
    data: Any
    grad: Any  # ∂root/∂node of this pass (after hooks): what flows to the parents
    parents: list[ParentStep] = field(default_factory=list)
    grad_after: Any = None  # the node's .grad once this step is applied
    root_label: str = "L"

    def __repr__(self) -> str:
        to = ", ".join(p.label for p in self.parents) or "nothing (a leaf)"
        return visible(f"Step({self.index + 1}: {self.label} = {fmt(self.data)}, "
                       f"∂{sym(self.root_label)}/∂{sym(self.label)} = {fmt(self.grad)} → {to})")

    def __str__(self) -> str:
        """The node and one chain-rule line per parent: what a REPL user wants to read."""
        op = op_symbol(self.op) if self.op else "leaf"
        lines = [f"step {self.index + 1}: {self.label} ({op}) = "
                 f"{fmt(self.data)};  ∂{sym(self.root_label)}/∂{sym(self.label)} = "
                 f"{fmt(self.grad)}"]
        lines += ["  " + format_chain_rule(self, p) for p in self.parents]
        return "\n".join(visible(line) for line in lines)  # labels cannot drive a terminal


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
        from .terminal import render_state

        return render_state(self, max_rows=max_rows)

    def __rich__(self) -> Any:
        return self.render()

    def show(self, console: Any = None) -> None:
        """Print the current state as a rich table with the current step's chain rule."""
        from rich.console import Console

        (console or Console()).print(self.render())

    def draw(self, **options: Any) -> Any:
        """``viz.draw_graph`` of the root with the current node and the processed ones marked."""
        from .viz import draw_graph

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


def node_names(order: list, root: Any) -> dict:
    """A display name per node: its label, else an op-based name (``leaf1``, ``mul2``)."""
    names: dict = {}
    counters: dict[str, int] = {}
    for node in order:
        label = getattr(node, "label", "")
        if label:
            names[node] = label
            continue
        if node is root:
            names[node] = "L"
            continue
        word = _op_word(node._op)
        counters[word] = counters.get(word, 0) + 1
        names[node] = f"{word}{counters[word]}"
    return names


def _op_word(op: str) -> str:
    """A name for an unlabeled result in formulas and tables (``mul2``), from the op table."""
    if not op:
        return "leaf"
    word = op_word(op)
    return word.lower() if word.isidentifier() else "op"


def fmt(x: Any, precision: int = 4) -> str:
    """A number or small array as every view writes it (``viz_format.format_value``):
    ``−3500``, ``245000``, ``0.0143``, ``1.9e−12``, ``[3, −0.5]``, with a unicode minus."""
    return format_value(x, precision)


def _shape(x: Any) -> str:
    return "×".join(map(str, np.shape(x))) or "scalar"


def _matrix_line(step: Step, parent: ParentStep) -> str:
    """``∂L/∂Z · Xᵀ = [[…]]·[[…]] = [[…]]`` for a Tensor edge (shapes when too big)."""
    known = {id(ps.node): ps.label for ps in step.parents}
    known[id(step.node)] = step.label

    def name_of(node: Any) -> str:
        return known.get(id(node)) or getattr(node, "label", "") or constant_name(node.data)

    return matrix_line(step.node, parent.position, step.grad, parent.contribution, name_of,
                       step.root_label)


def matrix_line(node: Any, i: int, upstream: Any, result: Any, name_of: Any,
                root_name: str = "L") -> str:
    """Input ``i`` of the Tensor ``node``: its rule in matrix form, then with the numbers.

    ``upstream`` is the gradient arriving at ``node`` (∂L/∂Z), ``result`` what the rule makes
    of it for the input; ``∂L/∂Z · Xᵀ = [[…]]·[[…]] = [[…]]``, or shapes ``(20×10)`` when an
    operand has more than ``MAX_SHOWN`` entries. ``name_of(node)`` names the nodes.
    """
    rule = matrix_rule(node, i, name_of, root_name)
    if rule.terms is None or rule.terms == [GRAD]:
        return f"{rule.text} = {_show(result, _small(result))}"
    arrays = [upstream if t is GRAD else t for t in rule.terms]
    small = all(_small(a) for a in arrays if not isinstance(a, str)) and _small(result)
    shown = [a if isinstance(a, str) else _show(a, small) for a in arrays]
    for k in range(1, len(shown) - 1):  # (G)ᵀ of a big G: ``(20×1)ᵀ``, not ``((20×1))ᵀ``
        if shown[k - 1].endswith("(") and shown[k + 1].startswith(")") and \
                not isinstance(arrays[k], str) and not small and np.ndim(arrays[k]):
            shown[k] = shown[k][1:-1]
    return f"{rule.text} = {''.join(shown)} = {_show(result, small)}"


def _small(x: Any) -> bool:
    return np.size(x) <= MAX_SHOWN


def _show(x: Any, small: bool) -> str:
    """An operand in a chain-rule line: its entries when small, else its shape ``(5×3)``."""
    if small or np.ndim(x) == 0:
        return fmt(np.asarray(x) if isinstance(x, np.ndarray) else x)
    return f"({_shape(x)})"


def format_chain_rule(step: Step, parent: ParentStep) -> str:
    """The chain rule for one edge of a step, symbolically and with numbers.

    ``∂E/∂w = ∂E/∂y · ∂y/∂w = (−700)·(5) = −3500``; for a Tensor the rule in matrix form,
    ``∂L/∂W = ∂L/∂Z · Xᵀ = [[…]]·[[…]] = [[…]]`` (shapes instead of entries for big arrays).
    When ``w`` collects several contributions in this pass, ``+=`` and the running sum say so.
    """
    r, n, p = sym(step.root_label), sym(step.label), sym(parent.label)
    several = parent.arrivals > 1
    lhs = f"∂{r}/∂{p} {'+=' if several else '='} "
    if parent.local is None or is_tensor(step.node):  # a Tensor: the rule in matrix form
        text = lhs + _matrix_line(step, parent)
    else:
        text = (
            f"{lhs}∂{r}/∂{n} · ∂{n}/∂{p} = ({fmt(step.grad)})·({fmt(parent.local)}) "
            f"= {fmt(parent.contribution)}"
        )
    if several:
        text += (
            f"   [contribution {parent.arrival} of {parent.arrivals}; "
            f"∂{r}/∂{p} so far = {fmt(parent.sum_so_far)}]"
        )
    return text
