"""The autograd core shared by every node type (Value and Tensor).

A node type takes part by providing:

- ``_prev``: an ordered tuple of parent nodes (the inputs of the operation),
- ``_op``: the operation's name ('' for a leaf),
- ``requires_grad``: whether gradients flow into it,
- ``_vjp(g) -> sequence``: the vector-Jacobian product, one gradient per parent
  (an entry may be ``None`` when that parent gets nothing), from the op table's rule;
- ``_vjp_graph(g)``: the same computed on nodes, a graph of the gradient (create_graph);
- ``_store_grad(g)``: add this pass's gradient into the node's ``.grad`` (or not),
- ``_default_seed()``, ``_seed_from(g)``, ``_as_grad(g)``: seeds and results of ``grad()``,
- ``_hooks``: ``None`` or a list of callables ``hook(grad) -> grad | None``.

What every node type does the same way (``register_hook``, ``zero_grad``, ``is_leaf``) is
written once, in :class:`Node`, their common base. Nodes hash by identity. Nothing here
recurses, and no node refers back to its children, so a graph is freed by reference
counting as soon as its root is dropped.
"""

from __future__ import annotations

import contextlib
import math
import threading
import warnings
from typing import Any, Callable, Iterator

import numpy as np

from .mathspace import NODES, quiet

__all__ = [
    "Node",
    "init_leaf",
    "arrivals",
    "topological_order",
    "reading_order",
    "walk",
    "Step",
    "grad",
    "run_backward",
    "run_hooks",
    "check_requires_grad",
    "check_backward_anomaly",
    "raise_forward_anomaly",
    "describe",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "anomaly",
    "is_anomaly_enabled",
    "AnomalyError",
    "RemovableHandle",
    "non_finite",
    "mark_modified",
]


class _Mode(threading.local):
    """Recording the graph: on or off per thread (each thread starts with it on), as in
    PyTorch."""

    def __init__(self) -> None:
        self.grad_enabled = True


class _Checks:
    """Process-wide switches, plain slots read by every operation: ``anomaly``, anomaly
    detection (one switch for the whole process, as PyTorch's is), and ``grad_off``, how
    many threads have grad mode off. While that is 0 every thread records, so an op reads
    its thread's mode (a thread-local lookup) only when some thread is inside ``no_grad``."""

    __slots__ = ("anomaly", "grad_off")

    def __init__(self) -> None:
        self.anomaly = False
        self.grad_off = 0


mode = _Mode()
checks = _Checks()
_grad_off_lock = threading.Lock()


def _count_grad_off(delta: int) -> None:
    with _grad_off_lock:  # += on a slot is not atomic between threads
        checks.grad_off += delta


class AnomalyError(FloatingPointError):
    """Raised in anomaly mode when an operation first produces NaN or infinity."""


def is_grad_enabled() -> bool:
    return mode.grad_enabled


def is_anomaly_enabled() -> bool:
    return checks.anomaly


@contextlib.contextmanager
def _switched(switch: str, value: bool) -> Iterator[None]:
    """Set ``mode.<switch>`` to ``value`` inside the block; restore it afterwards, always."""
    owner = checks if switch == "anomaly" else mode  # anomaly is shared by all threads
    previous = getattr(owner, switch)
    # a thread is counted in checks.grad_off before it turns grad mode off and uncounted
    # after it turns it on, so the count is never 0 while some thread has it off
    off = 0 if owner is checks or previous == value else (1 if previous else -1)
    if off > 0:
        _count_grad_off(1)
    setattr(owner, switch, value)
    if off < 0:
        _count_grad_off(-1)
    try:
        yield
    finally:
        if off < 0:
            _count_grad_off(1)
        setattr(owner, switch, previous)
        if off > 0:
            _count_grad_off(-1)


def set_grad_enabled(enabled: bool) -> contextlib.AbstractContextManager:
    """Record the graph (True) or not (False) inside this block, like torch.set_grad_enabled."""
    return _switched("grad_enabled", bool(enabled))


def no_grad() -> contextlib.AbstractContextManager:
    """Within this block operations compute values but record no graph (like torch.no_grad)."""
    return _switched("grad_enabled", False)


def enable_grad() -> contextlib.AbstractContextManager:
    """Turn graph recording back on inside a ``no_grad`` block."""
    return _switched("grad_enabled", True)


def anomaly(enabled: bool = True) -> contextlib.AbstractContextManager:
    """Raise :class:`AnomalyError` at the first operation that produces NaN or inf.

    Checks the forward pass (an op whose inputs are finite but whose result is not) and the
    backward pass (a local gradient that turns a finite upstream gradient into NaN/inf).
    The error names the operation, the node label and the input values.
    """
    return _switched("anomaly", bool(enabled))


def non_finite(x: Any) -> bool:
    """True when a float, an array or a node's data contains NaN or infinity."""
    if isinstance(x, Node):
        x = x.data
    if isinstance(x, float):
        return not math.isfinite(x)
    try:
        return not bool(np.all(np.isfinite(x)))
    except TypeError:
        return False


class RemovableHandle:
    """Returned by ``register_hook``; ``remove()`` unregisters the hook."""

    __slots__ = ("_hooks", "_hook")

    def __init__(self, hooks: list, hook: Callable) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        if self._hook in self._hooks:
            self._hooks.remove(self._hook)


class Node:
    """The base of every node type: what Value and Tensor do the same way, written once.

    A subclass sets ``_cleared_grad``, the ``.grad`` that ``zero_grad()`` leaves (0.0 for a
    Value, None for a Tensor).
    """

    __slots__ = ()
    _cleared_grad: Any = None
    drawing: Callable[[Any], Any] = staticmethod(lambda node: _no_drawing())
    """The graph picture of a node for Jupyter; ``micrograd_plus.viz`` sets it to
    ``draw_graph`` when it is imported (the core imports nothing above it)."""

    def register_hook(self, hook: Callable[[Any], Any]) -> RemovableHandle:
        """Call ``hook(grad)`` when this node's gradient of a backward pass is complete.

        A hook may return a replacement gradient, which is stored and propagated further.
        As in PyTorch, the node must require grad (else its hook would never run).
        """
        if not callable(hook):
            raise TypeError(f"register_hook needs a function hook(grad), got "
                            f"{type(hook).__name__}: {hook!r}")
        check_requires_grad(self, "register_hook()")
        if self._hooks is None:
            self._hooks = []
        self._hooks.append(hook)
        return RemovableHandle(self._hooks, hook)

    def zero_grad(self) -> None:
        """Clear ``grad`` on this node and on every node it depends on."""
        cleared = self._cleared_grad
        order = topological_order(self)
        for node in order:
            node.grad = cleared
        if watch_zero_grad is not None:
            watch_zero_grad(order)

    @property
    def is_leaf(self) -> bool:
        """True for a node no operation made: an input, a parameter, or a constant."""
        return not self._prev


watch_zero_grad: Callable[[Any], None] | None = None
"""While ``micrograd_plus.trace`` records a step: told of the nodes every ``zero_grad()``
(of a node, a module or an optimizer) has just cleared."""


def init_leaf(node: Any, data: Any, grad: Any, label: str, requires_grad: bool) -> Any:
    """The fields every leaf has, whatever its node type: its data, its gradient so far, a
    label, no op and no parents; the node types add their own fields."""
    node.data = data
    node.grad = grad
    node.label = label
    node.requires_grad = requires_grad
    node._op = ""
    node._prev = ()
    node._fn = None
    node._args = None
    node._hooks = None
    node._born = _Clock.epoch
    return node


def _no_drawing() -> Any:
    raise ImportError("drawing a graph needs micrograd_plus.viz: import micrograd_plus")


def check_requires_grad(node: Any, action: str = "backward()") -> None:
    """Raise unless gradients can flow from ``node``: TypeError for a non-node, else a
    RuntimeError naming the node."""
    if not isinstance(node, Node):
        raise TypeError(f"{action} needs a graph node (a Value or Tensor), got "
                        f"{type(node).__name__}: {node!r}")
    if not node.requires_grad:
        raise RuntimeError(
            f"{action} on {describe(node)}, which does not require grad (it is a leaf created "
            "with requires_grad=False, or was detached, or computed under no_grad())"
        )


def topological_order(root: Any) -> list:
    """All nodes that ``root`` depends on and that require grad, inputs before outputs.

    ``root`` may also be a list or tuple of roots (``grad()`` of several outputs).
    Iterative depth-first search (parents visited last to first), so a chain of a million
    nodes needs no recursion. Time and memory are linear in the number of nodes and edges.
    ``backward``, the visualizer and the stepper all walk this same list (backward walks it
    reversed).
    """
    roots = root if isinstance(root, (list, tuple)) else (root,)
    order: list = []
    emit = order.append
    visited: set = set()
    mark = visited.add
    all_visited = visited.issuperset
    for start in roots:
        if start in visited:
            continue
        mark(start)
        # the node being expanded and how many of its parents are left to look at, in
        # locals (CPython 3.11 indexes a list by -1 on its slow path); the nodes it
        # interrupted wait on two stacks, resumed where they stopped, so every edge is
        # looked at once; ints, which the garbage collector does not track, so a deep
        # graph triggers no collections
        node = start
        i = len(start._prev)
        waiting: list = []
        waiting_left: list = []
        while True:
            parents = node._prev
            while i:
                i -= 1
                parent = parents[i]
                if parent not in visited and parent.requires_grad:
                    mark(parent)
                    grandparents = parent._prev
                    if not grandparents:  # a leaf
                        emit(parent)
                        continue
                    if len(grandparents) == 1:  # a one-input op (relu of a neuron's dot)
                        only = grandparents[0]
                        if only in visited or not only.requires_grad:  # nothing to wait for
                            emit(parent)
                            continue
                        if all_visited(only._prev):  # its input is ready to go first
                            mark(only)
                            emit(only)
                            emit(parent)
                            continue
                    elif all_visited(grandparents):  # parents all reached before (most of
                        emit(parent)  # a layer's neurons): done at once, checked in C
                        continue
                    waiting.append(node)
                    waiting_left.append(i)
                    node = parent
                    i = len(grandparents)
                    break
            else:
                emit(node)
                if not waiting:
                    break
                node = waiting.pop()
                i = waiting_left.pop()
    return order


def reading_order(roots: Any, requiring_grad: bool = True) -> list:
    """The nodes ``roots`` (a node, or a list or tuple of them) depend on, in the order a
    reader follows the graph: inputs before the op that reads them, an op's inputs in the
    order it reads them. A topological order, by an iterative depth-first search (no
    recursion). ``requiring_grad``: only nodes that require grad (the roots always), as
    the explorer's values table shows them; False: every node (what a traced step runs).
    """
    roots = roots if isinstance(roots, (list, tuple)) else (roots,)
    order: list = []
    visited: set = set()
    for root in roots:
        if root in visited:
            continue
        visited.add(root)
        stack: list = [(root, iter(root._prev))]
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if parent not in visited and (parent.requires_grad or not requiring_grad):
                    visited.add(parent)
                    stack.append((parent, iter(parent._prev)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


class Step:
    """One node of the backward pass: its complete gradient and what it sends on.

    ``grad``: ∂root/∂node of this pass (after hooks). ``contributions[i]``: what it sends to
    ``node._prev[i]`` (None when nothing goes there); ``totals[i]``: that parent's gradient
    of this pass so far, this contribution included.
    """

    __slots__ = ("node", "grad", "contributions", "totals")

    def __init__(self, node: Any, grad: Any, contributions: Any, totals: Any) -> None:
        self.node, self.grad = node, grad
        self.contributions, self.totals = contributions, totals

    def __repr__(self) -> str:
        return f"<backward step: {describe(self.node)} grad={self.grad!r}>"


def walk(roots: Any, seeds: Any, create_graph: bool = False, order: list | None = None
         ) -> Iterator[Step]:
    """The backward pass, one :class:`Step` per node, outputs first.

    The one walk that ``backward()``, ``grad()``, the stepper and ``explain`` consume. Each
    node's gradient is complete when it is yielded (all its uses have sent theirs), so a
    consumer may store it. With ``create_graph`` the contributions are graph nodes
    computed by the ops' rules on nodes; otherwise numbers and arrays.
    """
    roots = roots if isinstance(roots, (list, tuple)) else (roots,)
    seeds = seeds if isinstance(seeds, (list, tuple)) else (seeds,)
    if order is None:
        order = topological_order(list(roots))
    grads: dict = {}
    for r, seed in zip(roots, seeds):
        grads[r] = grads[r] + seed if r in grads else seed
    check = checks.anomaly
    for node, g in arrivals(order, grads):
        parents = node._prev
        if not parents:
            yield Step(node, g, (), ())
            continue
        check_versions(node)
        with quiet():
            contributions = node._vjp_graph(g) if create_graph else node._vjp(g)
            if check:
                check_backward_anomaly(node, g, contributions)
            totals = []
            for parent, pg in zip(parents, contributions):
                if pg is None or not parent.requires_grad:
                    totals.append(None)
                    continue
                previous = grads.get(parent)
                total = pg if previous is None else previous + pg
                grads[parent] = total
                totals.append(total)
        yield Step(node, g, contributions, totals)


# backward passes run one at a time: two threads adding into the .grad of shared
# parameters (or the _pass_grad scratch space) would lose updates; re-entrant, so a hook
# may call backward()
def arrivals(order: list, grads: dict) -> Iterator[tuple[Any, Any]]:
    """The nodes of ``order`` from the root back, each with its complete gradient of this
    pass (after its hooks); nodes no gradient reached are skipped. ``grads`` collects the
    contributions as the caller makes them."""
    for node in reversed(order):
        g = grads.pop(node, None)
        if g is None:
            continue
        if node._hooks:
            g = run_hooks(node, g)
        yield node, g


_backward_lock = threading.RLock()


def run_backward(root: Any, seed: Any, create_graph: bool = False) -> None:
    """Reverse-mode pass from ``root`` with gradient ``seed``; PyTorch's accumulation semantics.

    The pass first computes every node's gradient of *this* call, then each node stores it
    once into ``.grad``. A second call therefore adds the same amounts again (doubling
    every gradient, intermediates included) instead of re-propagating the accumulated ones,
    which is micrograd's bug. Graphs made only of Values take ``_scalar_pass``, the same pass
    with the per-node gradient kept on the node (faster; tested equal to ``walk``).
    """
    with _backward_lock:
        order = topological_order(root)
        if (not create_graph and _scalar_type is not None and not checks.anomaly
                and not _scalar_pass_running):
            if list(map(type, order)).count(_scalar_type) == len(order):  # (a C loop)
                _scalar_pass(root, seed, order)
                return
        if create_graph:
            warnings.warn(
                "backward(create_graph=True) stores gradients that are graphs referring back "
                "to the leaves, a reference cycle: the graph is freed only when you reset "
                ".grad (x.grad = 0.0 for a Value, None for a Tensor) or by the garbage "
                "collector. micrograd_plus.grad(outputs, inputs, create_graph=True) returns "
                "the gradients without storing them (PyTorch gives the same advice).",
                UserWarning, stacklevel=3,
            )
        if create_graph or checks.anomaly:
            with _switched("grad_enabled", bool(create_graph)):
                for step in walk(root, seed, create_graph, order):
                    step.node._store_grad(step.grad)
            return
        _array_pass(root, seed, order)


def _array_pass(root: Any, seed: Any, order: list) -> None:
    """``walk`` with the steps consumed in place: the pass of a Tensor (or mixed) graph.

    The same arithmetic in the same order as ``walk`` (tested bit-identical), without a
    Step per node; numpy's inf/NaN warnings silenced once for the whole pass.
    """
    grads: dict = {root: seed}
    epoch = _Clock.epoch
    with quiet():
        for node, g in arrivals(order, grads):
            node._store_grad(g)
            parents = node._prev
            if not parents:
                continue
            if getattr(node, "_born", epoch) != epoch:  # made before some in-place change
                check_versions(node)
            for parent, pg in zip(parents, node._vjp(g)):
                if pg is None or not parent.requires_grad:
                    continue
                previous = grads.get(parent)
                grads[parent] = pg if previous is None else previous + pg


def grad(outputs: Any, inputs: Any, grad_outputs: Any = None, create_graph: bool = False,
         allow_unused: bool = False) -> tuple:
    """∂outputs/∂inputs without touching any ``.grad``, like ``torch.autograd.grad``.

    ``outputs``: a node or a list of nodes; ``grad_outputs``: their seed gradients (1 for a
    single-element output when None). Returns a tuple with one gradient per input; an
    input the outputs do not depend on is an error, or None with ``allow_unused=True``.
    With ``create_graph=True`` the gradients are nodes that can be differentiated again.
    """
    outs = list(outputs) if isinstance(outputs, (list, tuple)) else [outputs]
    ins = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    if not outs or not ins:
        raise ValueError("grad() needs at least one output and one input")
    for x in outs:
        check_requires_grad(x, "grad()")
    for x in ins:
        check_requires_grad(x, "grad() of an input")
    if grad_outputs is None:
        seeds = [x._default_seed() for x in outs]
    else:
        gos = list(grad_outputs) if isinstance(grad_outputs, (list, tuple)) else [grad_outputs]
        if len(gos) != len(outs):
            raise ValueError(f"grad(): {len(outs)} outputs but {len(gos)} grad_outputs")
        seeds = [x._seed_from(s) for x, s in zip(outs, gos)]
    wanted = {id(x): i for i, x in enumerate(ins)}
    found: list = [None] * len(ins)
    with _backward_lock, _switched("grad_enabled", bool(create_graph)):
        for step in walk(outs, seeds, create_graph):
            i = wanted.get(id(step.node))
            if i is not None:
                found[i] = step.node._as_grad(step.grad)
                for j, x in enumerate(ins):  # the same node given twice
                    if x is step.node:
                        found[j] = found[i]
    for x, gx in zip(ins, found):
        if gx is None and not allow_unused:
            raise RuntimeError(
                f"grad(): {describe(x)} is not used by the outputs (no path reaches it); "
                "pass allow_unused=True to get None for it"
            )
    return tuple(found)


def times(g: Any, d: Any, selects: bool, fresh: bool = False, traced: bool = False) -> Any:
    """``g · d`` for a gradient and a local derivative, skipping the work a constant allows.

    Serves numbers, arrays and nodes (a Tensor's ordinary backward and create_graph alike).
    ``selects``: a zero derivative gives 0 even for an inf or NaN ``g`` (relu, clip, …); a
    boolean mask (``m.mask``/``m.unless`` on arrays) selects ``g`` where it is True.
    ``fresh``: ``d`` is a node the rule has just made (not the op's result or an input), so
    a seed of 1 may return it as it is: the gradient never aliases a forward node.
    ``traced``: ``d``'s numbers cannot be read (the tracer's stand-ins), so ``selects`` always
    applies ``where`` instead of first testing for a zero (the same numbers: where(d == 0, 0,
    g·d) equals g·d wherever d ≠ 0).
    """
    if isinstance(d, (float, int)):
        if d == 1.0:
            return g
        if d == -1.0:
            return -g
        if d == 0.0 and selects:
            data = g.data if isinstance(g, Node) else g  # (an ndarray's .data is its buffer)
            return 0.0 if isinstance(data, float) else np.zeros_like(data)
        return g * d
    if getattr(d, "dtype", None) == np.bool_:
        return np.where(d, g, 0.0) if type(g) is np.ndarray else NODES.where(d, g, 0.0)
    if fresh and type(g) is float and g == 1.0 and getattr(d, "_kind", None) == "value":
        return d  # the seed 1 times a new derivative node: that node (a smaller graph)
    product = g * d
    if selects:
        zero = (d.data if isinstance(d, Node) else d) == 0
        if traced or (zero.any() if hasattr(zero, "any") else zero):
            product = NODES.where(zero, 0.0, product)
    return product


def check_unchanged(node: Any, now: Any, recorded: Any) -> None:
    """Raise when derivatives recomputed from the data differ from those the forward pass
    recorded: a node the op used was changed in place after the forward pass."""
    if recorded is None:
        return
    for a, b in zip(now, recorded):
        if a != b and not (a != a and b != b):
            raise RuntimeError(
                f"one of the nodes needed to differentiate '{node._op}' ({describe(node)}) "
                "was modified in place after it was used in the forward pass; compute the "
                "forward pass again after changing .data"
            )


class _Clock:
    """Counts in-place changes made through the library (optimizer steps,
    ``load_state_dict``, ``set_weights``, Tensor in-place methods): a node is stamped with
    the count when it is made (``_born``), a changed Value with the count of its change
    (``_modified``); a changed Tensor also raises its own version counter."""

    epoch = 0


clock = _Clock


def mark_modified(node: Any) -> None:
    """Record that ``node``'s data was changed in place (the library's writers call this).

    A Tensor's version counter goes up; a Value gets the next tick of the clock. A backward
    pass through an op made before the change then raises instead of using the new data.
    """
    if hasattr(node, "_version"):
        node._version += 1
        _Clock.epoch += 1  # nodes made before now have their inputs' versions checked
    elif isinstance(node, Node):
        _Clock.epoch += 1
        node._modified = _Clock.epoch


def check_value_inputs(node: Any) -> None:
    """Raise when a parent of the Value ``node`` was changed in place after ``node`` was made."""
    born = node._born
    for parent in node._prev:
        if getattr(parent, "_modified", -1) > born:
            raise RuntimeError(
                f"{describe(parent)} was modified in place (by an optimizer step, "
                f"load_state_dict or set_weights) after it was used in the forward pass by "
                f"'{node._op}' ({describe(node)}); compute the forward pass again after the "
                "change (as PyTorch requires)"
            )


def check_versions(node: Any) -> None:
    """Raise when an input of ``node``'s op was changed in place since the forward pass.

    Every in-place change made through the library ticks the clock, so a node made at
    the clock's current tick needs no check (the fast passes skip it).
    """
    if getattr(node, "_born", _Clock.epoch) == _Clock.epoch:
        return
    saved = getattr(node, "_saved", None)
    if not saved:
        check_value_inputs(node)
        return
    if node._version:  # its own result, which derivatives such as tanh's read
        raise RuntimeError(
            f"the result of '{node._op}' ({describe(node)}) was modified in place after the "
            "forward pass made it, and its derivative is computed from it; compute the "
            "forward pass again after the change (as PyTorch requires)"
        )
    for parent, version in zip(node._prev, saved):
        if parent._version != version:
            raise RuntimeError(
                f"one of the Tensors needed to differentiate '{node._op}' ({describe(node)}) "
                f"was modified in place after it was used in the forward pass: "
                f"{describe(parent)} is at version {parent._version}, the forward pass "
                f"saw version {version}. Compute the forward pass again after the change "
                "(as PyTorch requires)"
            )


def run_hooks(node: Any, g: Any) -> Any:
    """``g`` passed through ``node``'s hooks in order; a hook returning None keeps it.

    An array gradient must keep its shape (as in PyTorch): a reshaped one would end up in
    ``.grad`` or be broadcast into the parents' gradients without a word.
    """
    for hook in tuple(node._hooks):
        replaced = hook(g)
        if replaced is not None:
            shape = getattr(g, "shape", None)
            if shape is not None and getattr(replaced, "shape", None) != shape:
                raise ValueError(
                    f"hook {getattr(hook, '__name__', hook)!r} of {describe(node)} changed the "
                    f"gradient's shape from {shape} to {getattr(replaced, 'shape', '?')}"
                )
            g = replaced
    return g


_scalar_type: type | None = None
_scalar_pass_running = False


def register_scalar_type(cls: type) -> None:
    """Let ``run_backward`` take the fast path for graphs made only of ``cls`` nodes.

    engine.Value registers itself. The type must store ``_local`` (the floats ∂node/∂parent_i,
    or None for "no rule"), a float ``grad``, and a float slot ``_pass_grad`` set at creation;
    its ``_vjp``/``_store_grad`` must mean ``local·g`` and ``grad += g``.
    """
    global _scalar_type
    _scalar_type = cls


def _scalar_pass(root: Any, seed: float, order: list) -> None:
    """run_backward for an all-Value graph, the hot loop of every training step.

    The same pass with ``_store_grad``/``_vjp`` inlined and this pass's gradients kept
    on the nodes (``_pass_grad``) instead of in a dict. A parent that does not require grad
    (not in ``order``) collects a ``_pass_grad`` that is never read.
    """
    global _scalar_pass_running
    _scalar_pass_running = True  # a hook that calls backward() gets the dict pass
    epoch = _Clock.epoch
    try:
        for node in order:
            node._pass_grad = 0.0
        root._pass_grad = seed
        for node in reversed(order):
            g = node._pass_grad
            if node._hooks:
                g = run_hooks(node, g)
            local = node._local
            if not local:  # a leaf, or a hand-built node (local None)
                node.grad += g
                if local is None:
                    node._vjp(g)  # a hand-built node: raises its explanation
                continue
            if node._born != epoch:  # made before some in-place change
                check_value_inputs(node)
            node.grad += g
            if g - g != 0.0:  # inf or NaN: the node's rule decides (a selecting op sends 0)
                for parent, pg in zip(node._prev, node._vjp(g)):
                    parent._pass_grad += pg
                continue
            n = len(local)
            if n > 3:
                for parent, d in zip(node._prev, local):  # (+= spelt out: one
                    parent._pass_grad = parent._pass_grad + d * g  # bytecode fewer)
            else:  # most nodes have one to three inputs: the same sums without a loop
                parents = node._prev
                parents[0]._pass_grad += local[0] * g
                if n > 1:
                    parents[1]._pass_grad += local[1] * g
                    if n > 2:
                        parents[2]._pass_grad += local[2] * g
    finally:
        _scalar_pass_running = False


def check_backward_anomaly(node: Any, upstream: Any, contributions: Any) -> None:
    """Anomaly mode's backward check of one node: raise :class:`AnomalyError` when the finite
    gradient ``upstream`` arriving at ``node`` gives a NaN/inf contribution to a parent.

    ``contributions`` is ``node._vjp(upstream)``. ``run_backward`` calls this in anomaly
    mode, and so does any code that replays the pass (the stepper).
    """
    if non_finite(upstream):
        return
    for i, pg in enumerate(contributions):
        if pg is not None and non_finite(pg):
            parent = node._prev[i]
            raise AnomalyError(
                f"backward of '{node._op}' (node {describe(node)}) produced a non-finite "
                f"gradient {pg!r} for input {i} ({describe(parent)}) from the finite upstream "
                f"gradient {upstream!r}"
            )


def describe(node: Any) -> str:
    """A short human name for a node in error messages: its label or its op and data."""
    label = getattr(node, "label", "")
    data = getattr(node, "data", None)
    text = f"data={data!r}" if isinstance(data, float) else f"shape={getattr(data, 'shape', '?')}"
    return f"'{label}' {text}" if label else f"{node._op or 'leaf'} {text}"


def raise_forward_anomaly(op: str, inputs: tuple, result: Any) -> None:
    """Called by node types in anomaly mode when ``result`` is not finite."""
    if any(non_finite(getattr(x, "data", x)) for x in inputs):
        return  # NaN/inf came in from the inputs; this op did not produce it
    values = ", ".join(describe(x) if isinstance(x, Node) else repr(x) for x in inputs)
    raise AnomalyError(f"operation '{op}' produced {result!r} from inputs ({values})")
