"""``explain(node, root)``: the chain rule behind a gradient, as a sum over paths.

∂root/∂node = Σ over every path root → … → node of the product of the local derivatives
along it. ``explain`` lists the paths symbolically and with numbers (in time linear in
their length), sums their products, and checks the sum against ``node.grad`` (the gradient
``root.backward()`` left there); the total itself is read from ``autograd.walk``, the walk
``backward()`` runs.
``explain(node)`` without a root shows how ``node`` itself was computed and its local
derivatives.

On Tensor graphs each edge of a path is the op's backward rule in matrix form
(``∂L/∂W = ∂L/∂Z · Xᵀ``), applied to the gradient that reaches it along that path; a path's
product is that composition, an array of the node's shape, and the paths' products add up
to ∂root/∂node (the rules are linear in the gradient). Small arrays are written out, large
ones as their shapes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core import autograd
from ..core.ops import is_infix, op_rule, op_symbol
from ..core.value import Value
from ..viz.cells import constant_name, is_tensor
from ..viz.format import MAX_SHOWN, node_names
from ..viz.rules import matrix_rule
from .chain import fmt, matrix_line, sym

__all__ = ["explain", "Explanation", "ChainPath"]


@dataclass(eq=False)
class ChainPath:
    """One path root → … → node:  product = Π local derivatives along its edges.

    On a Tensor graph ``factors[i]`` is this path's share of ∂root/∂nodes[i+1] (the matrix
    rules of the edges so far, applied in turn), ``product`` the last of them, and
    ``lines[i]`` the rule of edge i written out (with the numbers when they are small).
    """

    nodes: list  # root first, node last
    factors: list  # factors[i] = ∂nodes[i]/∂nodes[i+1] (Values); see above for Tensors
    product: Any
    edges: list[int] = field(default_factory=list)  # edges[i]: nodes[i+1]'s place in _prev
    lines: list[str] = field(default_factory=list)  # Tensors: each edge's rule


@dataclass(eq=False)
class Explanation:
    """The paths, their sum, and whether the sum equals ``node.grad``.

    ``gradient`` is ∂root/∂node as the backward walk computes it (a float, or an array of
    the node's shape for a Tensor); ``path_sum`` the sum of the listed path products, equal
    to it up to rounding unless the listing was cut at ``max_paths`` (``truncated``) or a
    hook changed a gradient on the way (paths apply the rules only). ``str()`` gives the
    text.
    """

    node: Any
    root: Any
    paths: list[ChainPath] = field(default_factory=list)
    n_paths: int = 0
    truncated: bool = False
    gradient: Any = 0.0
    path_sum: Any = 0.0
    names: dict = field(default_factory=dict, repr=False)
    text: str = ""

    @property
    def grad(self) -> Any:
        """The node's ``.grad`` as it is now."""
        return self.node.grad

    @property
    def matches(self) -> bool:
        """The chain-rule sum equals ``node.grad`` (to rounding); False when a Tensor's
        ``.grad`` is None (not reached yet, or a non-leaf without ``retain_grad()``)."""
        if is_tensor(self.node):
            return _arrays_close(self.gradient, self.node.grad)
        return _close(self.gradient, self.node.grad)

    def __str__(self) -> str:
        return self.text

    def __bool__(self) -> bool:
        return self.matches


def explain(node: Any, root: Any = None, max_paths: int = 100) -> Any:
    """The chain-rule sum over all paths from ``root`` to ``node``, as an :class:`Explanation`.

    ``node`` and ``root`` are Values, or Tensors of one graph. With ``root=None``, the local
    view: how ``node`` was computed and ∂node/∂parent for each parent (a Tensor: each
    parent's rule in matrix form), returned as a string. Paths are enumerated without
    recursion; past ``max_paths`` the listing stops with a note, and the total still comes
    out exactly. A Tensor root with more than one entry is seeded with ones, as
    ``root.backward(ones)``: the gradient of Σ root.
    """
    kinds = set()
    for what, v in (("node", node), ("root", root)):
        if v is None:
            continue
        if isinstance(v, Value):
            kinds.add("Value")
        elif isinstance(v, autograd.Node) and is_tensor(v):
            kinds.add("Tensor")
        else:
            raise TypeError(
                f"explain works on graph nodes (scalar Value graphs or Tensor graphs), got "
                f"a {type(v).__name__} {what}: {v!r}"
            )
    if len(kinds) > 1:
        raise TypeError("explain(node, root): node and root must be of one graph, both Values "
                        f"or both Tensors; got a {type(node).__name__} node and a "
                        f"{type(root).__name__} root")
    if "Tensor" in kinds:
        return _explain_local_tensor(node) if root is None else _explain_tensor(node, root,
                                                                                 max_paths)
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


def _gradient(root: Any, target: Any, order: list, seed: Any = 1.0) -> Any:
    """∂root/∂target as ``backward()`` computes it: read from ``autograd.walk``."""
    for step in autograd.walk(root, seed, order=order):
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


def _opening(e: Explanation, head: str, r: str, n: str, shape: str = "",
             seeded: str = "") -> str:
    """The first line of an explanation: no gradient and why, or how many paths there are."""
    if not e.node.requires_grad:
        return f"{head} = 0: {n} does not require grad (detached or made under no_grad)"
    if not e.n_paths:
        return f"{head} = 0: {n} is not an input of {r} (no path from {r} to {n})"
    word = "path" if e.n_paths == 1 else "paths"
    return f"{head}{shape}: {e.n_paths} {word} from {r} to {n}{seeded}"


def _truncation(e: Explanation) -> list[str]:
    """The note that the listing stopped at ``max_paths`` (none when it did not)."""
    if not e.truncated:
        return []
    return [f"  … {e.n_paths - len(e.paths)} more paths not listed (max_paths="
            f"{len(e.paths)}); the total below adds all {e.n_paths} exactly"]


def _text(e: Explanation) -> str:
    names = e.names
    r, n = names[e.root], names[e.node]
    head = f"∂{sym(r)}/∂{sym(n)}"
    lines = [_opening(e, head, r, n)]
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
    lines += _truncation(e)
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


# -- Tensor graphs ----------------------------------------------------------------------------

def _explain_tensor(node: Any, root: Any, max_paths: int) -> Explanation:
    """``explain`` on a Tensor graph: the paths with each edge's matrix rule."""
    order = autograd.topological_order(root)
    names = node_names(order, root)
    if node not in names:
        names[node] = node.label or "node"
    reaches = _reaching(order, node)
    seed = np.ones_like(root.data)
    zero = np.zeros_like(node.data)
    gradient = zero
    if node in reaches:
        found = _gradient(root, node, order, seed)
        gradient = zero if isinstance(found, float) else np.asarray(found)
    n_paths = _count_paths(order, root, reaches)
    paths = _tensor_paths(root, node, reaches, max_paths, seed, _namer(names))
    path_sum = zero.copy()
    for p in paths:
        path_sum = path_sum + p.product
    result = Explanation(
        node=node, root=root, paths=paths, n_paths=n_paths,
        truncated=len(paths) < n_paths, gradient=gradient, path_sum=path_sum, names=names,
    )
    result.text = _tensor_text(result)
    return result


def _namer(names: dict) -> Any:
    """Names for the rules: the walk's names, else the label, else a constant's value."""

    def name_of(n: Any) -> str:
        return names.get(n) or getattr(n, "label", "") or constant_name(n.data)

    return name_of


def _tensor_paths(root: Any, target: Any, reaches: set, cap: int, seed: Any,
                  name_of: Any) -> list[ChainPath]:
    """Up to ``cap`` paths, depth first as for Values; each entry carries this path's share
    of the gradient at its node (the edges' rules applied to the seed in turn), and the line
    of the edge that led to it."""
    if root not in reaches:
        return []
    root_name = name_of(root)
    paths: list[ChainPath] = []
    # node, entry it came from, its share of the gradient, place in _prev, the edge's line
    entries: list[tuple[Any, int, Any, int, str]] = [(root, -1, seed, -1, "")]
    stack = [0]
    while stack and len(paths) < cap:
        k = stack.pop()
        n, _, g, _, _ = entries[k]
        if n is target:
            chain = []
            while k >= 0:
                chain.append(entries[k])
                k = chain[-1][1]
            chain.reverse()
            steps = chain[1:]
            paths.append(ChainPath(nodes=[e[0] for e in chain], factors=[e[2] for e in steps],
                                   product=g, edges=[e[3] for e in steps],
                                   lines=[e[4] for e in steps]))
            continue
        with np.errstate(all="ignore"):
            shares = n._vjp(g)
        pushed = []
        for i, (p, share) in enumerate(zip(n._prev, shares)):
            if p in reaches and share is not None:
                line = (f"∂{sym(root_name)}/∂{sym(name_of(p))} = "
                        + matrix_line(n, i, g, share, name_of, root_name))
                pushed.append((p, k, share, i, line))
        for entry in reversed(pushed):
            entries.append(entry)
            stack.append(len(entries) - 1)
    return paths


def _tensor_text(e: Explanation) -> str:
    names = e.names
    r, n = names[e.root], names[e.node]
    head = f"∂{sym(r)}/∂{sym(n)}"
    shape = _shape(e.node.data)
    seeded = "" if e.root.data.size == 1 else f" (seeded with ones: the gradient of Σ {r})"
    lines = [_opening(e, head, r, n, f" ({shape})", seeded)]
    if e.node.requires_grad and e.n_paths > 1:
        lines.append("  (each path's lines carry its own share of the gradient; the "
                     "shares add up)")
    for i, path in enumerate(e.paths, 1):
        route = _route(path, names)
        if not path.lines:
            lines.append(f"  {i}. {route}:  {head} = ones ({shape})")
            continue
        lines.append(f"  {i}. {route}:")
        lines.extend(f"     {line}" for line in path.lines)
    lines += _truncation(e)
    total = _array_text(e.gradient)
    if e.n_paths > 1 and not e.truncated:
        if all(p.product.size <= MAX_SHOWN for p in e.paths):
            terms = " + ".join(fmt(p.product) for p in e.paths)
            lines.append(f"{head} = Σ over paths = {terms} = {total}")
        else:
            lines.append(f"{head} = Σ over the {e.n_paths} paths = {total}")
    else:
        lines.append(f"{head} = {total}")
    lines.append(_tensor_check(e, n))
    return "\n".join(lines)


def _tensor_check(e: Explanation, n: str) -> str:
    """The last line: does ``node.grad`` hold the total?"""
    grad = e.node.grad
    if grad is None:
        if e.node.is_leaf:
            return f"({n}.grad is None: no backward() has reached it yet)"
        return (f"({n}.grad is None: a Tensor made by an operation keeps its .grad only "
                "after retain_grad(), as in PyTorch)")
    if e.matches:
        if np.size(grad) <= MAX_SHOWN:
            return f"✓ equals {n}.grad = {fmt(np.asarray(grad))}"
        diff = float(np.max(np.abs(np.asarray(grad) - e.gradient))) if np.size(grad) else 0.0
        return f"✓ equals {n}.grad ({_shape(grad)}; largest difference {fmt(diff, 2)})"
    return (f"✗ {n}.grad = {_array_text(np.asarray(grad))} differs: .grad holds the gradient "
            f"after one {e.names[e.root]}.backward() from zero gradients (it accumulates over "
            "calls)")


def _array_text(a: Any) -> str:
    """Entries of a small array; shape and norm of a large one."""
    a = np.asarray(a)
    if a.size <= MAX_SHOWN:
        return fmt(a)
    return f"({_shape(a)}, ‖·‖ = {fmt(float(np.linalg.norm(a.ravel())), 4)})"


def _shape(a: Any) -> str:
    return "×".join(map(str, np.shape(a))) or "scalar"


def _explain_local_tensor(node: Any) -> str:
    """How the Tensor ``node`` was computed, and each parent's rule in matrix form."""
    names = node_names(list(node._prev) + [node], node)
    n = node.label or "Z"
    names[node] = n
    name_of = _namer(names)
    shape = _shape(node.data)
    if not node._prev:
        return (f"{n} ({shape}) = {_array_text(node.data)} is a leaf (an input or a "
                "parameter): no backward rules")
    parts = [name_of(p) for p in node._prev]
    op = node._op
    if (is_infix(op) or op == "matmul") and len(parts) == 2:
        formula = f"{parts[0]} {op_symbol(op)} {parts[1]}"
    elif op.startswith("**"):
        formula = f"{parts[0]}{op_symbol(op)}"
    elif op == "transpose":
        formula = f"{parts[0]}ᵀ"
    else:
        formula = f"{op_symbol(op)}({', '.join(parts)})"
    lines = [f"{n} = {formula}  ({shape}) = {_array_text(node.data)}"]
    big = "E" if n == "L" else "L"  # the quantity differentiated, whatever it is
    for i, p in enumerate(node._prev):
        if not p.requires_grad:
            continue
        rule = matrix_rule(node, i, name_of, big)
        lines.append(f"  ∂{big}/∂{sym(name_of(p))} = {rule.text}   ({name_of(p)}: "
                     f"{_shape(p.data)})")
    lines.append(f"  ({big}: the quantity differentiated; ∂{big}/∂{sym(n)} is the gradient "
                 f"arriving at {n})")
    return "\n".join(lines)


def _arrays_close(a: Any, b: Any) -> bool:
    if b is None:
        return False
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-9, atol=1e-12,
                                                   equal_nan=True))


def _close(a: float, b: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
