"""``explain(node, root)``: the chain rule behind a gradient, as a sum over paths.

∂root/∂node = Σ over every path root → … → node of the product of the local derivatives
along it. ``explain`` lists the paths symbolically and with numbers (in time linear in
their length), sums their products, and checks the sum against ``node.grad`` (the gradient
``root.backward()`` left there); the total itself is read from ``autograd.walk``, the walk
``backward()`` runs.
``explain(node)`` without a root shows how ``node`` itself was computed and its local
derivatives.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from . import autograd
from .core.ops import is_infix, op_rule, op_symbol
from .engine import Value
from .stepper import fmt, node_names, sym

__all__ = ["explain", "Explanation", "ChainPath"]


@dataclass(eq=False)
class ChainPath:
    """One path root → … → node:  product = Π local derivatives along its edges."""

    nodes: list  # root first, node last
    factors: list[float]  # factors[i] = ∂nodes[i]/∂nodes[i+1]
    product: float
    edges: list[int] = field(default_factory=list)  # edges[i]: nodes[i+1]'s place in _prev


@dataclass(eq=False)
class Explanation:
    """The paths, their sum, and whether the sum equals ``node.grad``.

    ``gradient`` is ∂root/∂node computed exactly (a dynamic programme over the graph);
    ``path_sum`` the sum of the listed path products, equal to it up to rounding unless
    the listing was cut at ``max_paths`` (``truncated``). ``str()`` gives the text.
    """

    node: Any
    root: Any
    paths: list[ChainPath] = field(default_factory=list)
    n_paths: int = 0
    truncated: bool = False
    gradient: float = 0.0
    path_sum: float = 0.0
    names: dict = field(default_factory=dict, repr=False)
    text: str = ""

    @property
    def grad(self) -> float:
        """The node's ``.grad`` as it is now."""
        return self.node.grad

    @property
    def matches(self) -> bool:
        """The chain-rule sum equals ``node.grad`` (to rounding)."""
        return _close(self.gradient, self.node.grad)

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return self.matches


def explain(node: Value, root: Value | None = None, max_paths: int = 100) -> Any:
    """The chain-rule sum over all paths from ``root`` to ``node``, as an :class:`Explanation`.

    With ``root=None``, the local view: how ``node`` was computed and ∂node/∂parent for
    each parent (returned as a string). Paths are enumerated without recursion; past
    ``max_paths`` the listing stops with a note, and the total still comes out exactly.
    """
    for what, v in (("node", node), ("root", root)):
        if v is not None and not isinstance(v, Value):
            raise TypeError(
                f"explain works on scalar Value graphs, got a {type(v).__name__} {what}; "
                "step through Tensor graphs with BackpropStepper"
            )
    if root is None:
        return _explain_local(node)
    order = autograd.topological_order(root)
    names = node_names(order, root)
    if node not in names:
        names[node] = node.label or "node"
    reaches = _reaching(order, node)
    gradient = _gradient(root, node, order) if node in reaches else 0.0
    n_paths = _count_paths(order, root, reaches)
    paths = _enumerate_paths(root, node, reaches, max_paths)
    path_sum = math.fsum(p.product for p in paths)
    result = Explanation(
        node=node, root=root, paths=paths, n_paths=n_paths,
        truncated=len(paths) < n_paths, gradient=gradient, path_sum=path_sum, names=names,
    )
    result.text = _text(result)
    return result


def _reaching(order: list, target: Any) -> set:
    """The nodes with at least one path down to ``target`` (target included)."""
    reaches = set()
    for n in order:  # inputs first, so parents are decided before their children
        if n is target or any(p in reaches for p in n._prev):
            reaches.add(n)
    return reaches


def _gradient(root: Any, target: Any, order: list) -> float:
    """∂root/∂target as ``backward()`` computes it: read from ``autograd.walk``."""
    for step in autograd.walk(root, 1.0, order=order):
        if step.node is target:  # complete: every use of target has sent its share
            return step.grad
    return 0.0


def _count_paths(order: list, root: Any, reaches: set) -> int:
    """The number of paths root → … → target (a sum over the graph, linear in its size)."""
    if root not in reaches:
        return 0
    counts: dict = {root: 1}
    last = 0
    for n in reversed(order):
        if n not in reaches:
            continue
        c = counts.get(n, 0)
        if not any(p in reaches for p in n._prev):
            last = c  # only the target has no parent that reaches the target
            continue
        for p in n._prev:
            if p in reaches:
                counts[p] = counts.get(p, 0) + c
    return last


def _enumerate_paths(root: Any, target: Any, reaches: set, cap: int) -> list[ChainPath]:
    """Up to ``cap`` paths, depth first in the order of each node's parents.

    Each stack entry points back to the entry it came from, so a path is spelt out only
    when it reaches the target: time linear in the size of the paths listed.
    """
    if root not in reaches:
        return []
    paths: list[ChainPath] = []
    entries: list[tuple[Any, int, float, int]] = [(root, -1, 1.0, -1)]  # node, from, d, place
    stack = [0]
    while stack and len(paths) < cap:
        k = stack.pop()
        n = entries[k][0]
        if n is target:
            nodes, factors, places = [], [], []
            while k >= 0:
                node, k_from, d, place = entries[k]
                nodes.append(node)
                if k_from >= 0:
                    factors.append(d)
                    places.append(place)
                k = k_from
            nodes.reverse()
            factors.reverse()
            places.reverse()
            product = 1.0
            for f in factors:
                product *= f
            paths.append(ChainPath(nodes, factors, product, places))
            continue
        edges = [(i, p, d) for i, (p, d) in enumerate(zip(n._prev, n.local_grads))
                 if p in reaches]
        for i, p, d in reversed(edges):
            entries.append((p, k, d, i))
            stack.append(len(entries) - 1)
    return paths


def _text(e: Explanation) -> str:
    names = e.names
    r, n = names[e.root], names[e.node]
    head = f"∂{sym(r)}/∂{sym(n)}"
    if not e.node.requires_grad:
        lines = [f"{head} = 0: {n} does not require grad (detached or made under no_grad)"]
    elif not e.n_paths:
        lines = [f"{head} = 0: {n} is not an input of {r} (no path from {r} to {n})"]
    else:
        word = "path" if e.n_paths == 1 else "paths"
        lines = [f"{head}: {e.n_paths} {word} from {r} to {n}"]
    for i, path in enumerate(e.paths, 1):
        route = _route(path, names)
        if not path.factors:
            lines.append(f"  {i}. {route}:  ∂{sym(r)}/∂{sym(r)} = 1")
            continue
        symbols = " · ".join(
            f"∂{sym(names[a])}/∂{sym(names[b])}" for a, b in zip(path.nodes, path.nodes[1:])
        )
        numbers = "·".join(f"({fmt(f)})" for f in path.factors)
        lines.append(f"  {i}. {route}:")
        lines.append(f"     {symbols} = {numbers} = {fmt(path.product)}")
    if e.truncated:
        lines.append(
            f"  … {e.n_paths - len(e.paths)} more paths not listed (max_paths="
            f"{len(e.paths)}); the total below adds all {e.n_paths} exactly"
        )
    if e.n_paths > 1 and not e.truncated:
        terms = " + ".join(fmt(p.product) for p in e.paths).replace("+ −", "− ")
        lines.append(f"{head} = Σ over paths = {terms} = {fmt(e.gradient)}")
    else:
        lines.append(f"{head} = {fmt(e.gradient)}")
    grad = e.node.grad
    if e.matches:
        lines.append(f"✓ equals {n}.grad = {fmt(grad)}")
    else:
        lines.append(
            f"✗ {n}.grad = {fmt(grad)} differs: .grad holds {head} after one "
            f"{r}.backward() from zero gradients (it accumulates over calls, and is 0 "
            "before any)"
        )
    return "\n".join(lines)


def _route(path: ChainPath, names: dict) -> str:
    """``L → c → a``; an edge into a node that uses the same input twice (``a·a``) says
    which use it is: ``c →[2] a``."""
    parts = [names[path.nodes[0]]]
    for a, b, i in zip(path.nodes, path.nodes[1:], path.edges):
        prev = a._prev
        twice = len(prev) > 1 and prev.count(b) > 1
        parts.append(f" →[{i + 1}] " if twice else " → ")
        parts.append(names[b])
    route = "".join(parts)
    return route


def _explain_local(node: Value) -> str:
    """How ``node`` was computed, and ∂node/∂parent for each parent."""
    names = node_names(list(node._prev) + [node], node)
    n = node.label or "node"
    names[node] = n
    if not node._prev:
        return f"{n} = {fmt(node.data)} is a leaf (an input or a parameter): no local derivatives"
    if is_infix(node._op) and len(node._prev) == 2:
        a, b = (names[p] for p in node._prev)
        formula = f"{a} {op_symbol(node._op)} {b}"
    elif node._op.startswith("**"):
        formula = f"{names[node._prev[0]]}{op_symbol(node._op)}"
    else:
        formula = f"{op_symbol(node._op)}({', '.join(names[p] for p in node._prev)})"
    rule = op_rule(node._op)
    lines = [f"{n} = {formula} = {fmt(node.data)}"]
    if rule:
        lines[0] += f"    [{rule}]"
    for p, d in zip(node._prev, node.local_grads):
        lines.append(f"  ∂{sym(n)}/∂{sym(names[p])} = {fmt(d)}   ({names[p]} = {fmt(p.data)})")
    return "\n".join(lines)


def _close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
