"""Collapsed drawings of large graphs: one box per neuron, per layer or per run of an op.

Groups are found by union-find over four rules (see ``collapse_groups``); each group is
drawn as one box with its size and largest |grad|, each arrow labelled with how many edges
it stands for. Wide all-to-all layers become one box per layer.
"""

from __future__ import annotations

import graphviz

from ..core.ops import op_symbol
from .format import dot_text, format_number, grad_color, grad_magnitude
from .nodes import Options, node_name, record_label
from .cells import grad_norm, is_tensor

MAX_GROUP_EDGES = 150


class GraphTooLargeError(ValueError):
    """The graph has more nodes than ``max_nodes`` even after collapsing."""


def collapse_groups(nodes: list, where: dict) -> dict[int, int]:
    """id(node) → id of its group's representative (union-find over four rules).

    One group per neuron; one per op at the same depth (parallel copies of an op); a chain
    of the same op is one group (``a + 1 + 1 + …``); a leaf joins the only group that reads
    it, and leaves read by several groups share one "inputs" group.
    """
    rep = {id(n): id(n) for n in nodes}

    def find(x: int) -> int:
        while rep[x] != x:
            rep[x] = rep[rep[x]]
            x = rep[x]
        return x

    def union(a: int, b: int) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            rep[rb] = ra

    depth: dict[int, int] = {}
    first: dict[tuple, int] = {}
    readers: dict[int, list[int]] = {}
    for node in nodes:
        depth[id(node)] = 1 + max((depth[id(p)] for p in node._prev), default=-1)
        if id(node) in where:
            union(first.setdefault(("neuron",) + where[id(node)], id(node)), id(node))
        elif node._prev:
            union(first.setdefault(("op", depth[id(node)], node._op), id(node)), id(node))
            for p in node._prev:
                if p._prev and p._op == node._op and id(p) not in where:
                    union(id(p), id(node))
        for p in node._prev:
            if not p._prev:
                readers.setdefault(id(p), []).append(id(node))
    for node in nodes:
        if node._prev or id(node) in where:
            continue
        groups = {find(r) for r in readers.get(id(node), ())}
        if len(groups) == 1:
            union(groups.pop(), id(node))
        else:
            union(first.setdefault(("inputs",), id(node)), id(node))
    return {key: find(key) for key in rep}


def draw_collapsed(dot: graphviz.Digraph, nodes: list, where: dict, titles: dict,
                    o: Options, max_nodes: int) -> list[str]:
    """One box per group of ``collapse_groups``; returns the note for the caption.

    When neuron boxes would need more than MAX_GROUP_EDGES arrows (wide layers connect all
    to all), each layer becomes one box instead.
    """
    group_of = collapse_groups(nodes, where)
    counts = _group_edges(nodes, group_of)
    if len(counts) > MAX_GROUP_EDGES and any(layer for layer, _ in where.values()):
        where, titles = _per_layer(where, titles)
        group_of = collapse_groups(nodes, where)
        counts = _group_edges(nodes, group_of)
    members: dict[int, list] = {}
    for node in nodes:
        members.setdefault(group_of[id(node)], []).append(node)
    if len(members) > max_nodes:
        raise GraphTooLargeError(
            f"the graph has {len(nodes)} values; even collapsed (one box per neuron and per "
            f"run of same-op nodes) it has {len(members)} boxes, more than "
            f"max_nodes={max_nodes}. Draw a smaller part (draw_graph(intermediate_node)) or "
            "raise max_nodes (rendering gets slow)"
        )
    for key, group in members.items():
        if len(group) == 1:
            node = group[0]
            dot.node(f"g{key}", label=record_label(node, o, False, False), shape="none",
                     margin="0", id=node_name(node))
            continue
        lines = [_group_title(group, where, titles)]
        tensors = all(is_tensor(n) for n in group)
        size = grad_norm if tensors else grad_magnitude  # Tensors are coloured by ‖grad‖
        mags = [size(n.grad) for n in group if getattr(n, "requires_grad", True)]
        mags = [m for m in mags if m is not None]
        fill = "#ffffff"
        if o.show_grad and mags:
            word = "‖grad‖" if tensors else "|grad|"
            lines.append(f"max {word} {format_number(max(mags), o.precision)}")
            if o.color:
                fill = grad_color(max(mags))
        dot.node(f"g{key}", label=dot_text("\n".join(lines), lines=True), shape="box",
                 style="rounded,filled", fillcolor=fill, id=f"g{key}")
    for (a, b), count in counts.items():
        dot.edge(f"g{a}", f"g{b}", label=str(count) if count > 1 else None)
    boxes = f"{len(members)} box" + ("es" if len(members) != 1 else "")
    return [f"collapsed view: {len(nodes)} values drawn as {boxes} "
            f"(max_nodes={max_nodes}); a number on an arrow counts the edges it stands for"]


def _group_edges(nodes: list, group_of: dict) -> dict[tuple[int, int], int]:
    """(group of parent, group of child) → number of graph edges between them."""
    counts: dict[tuple[int, int], int] = {}
    for node in nodes:
        for parent in node._prev:
            a, b = group_of[id(parent)], group_of[id(node)]
            if a != b:
                counts[(a, b)] = counts.get((a, b), 0) + 1
    return counts


def _per_layer(where: dict, titles: dict) -> tuple[dict, dict]:
    """Neuron keys (l, i) merged into one key (l, 0) per layer (module boxes stay)."""
    neurons: dict[int, set[int]] = {}
    for layer, i in where.values():
        neurons.setdefault(layer, set()).add(i)
    merged = dict(titles)
    for layer, members in neurons.items():
        if layer:
            outer = titles[(layer, min(members))][0]
            merged[(layer, 0)] = (outer, f"{len(members)} neuron" + "s" * (len(members) > 1))
    return {k: (v[0], 0) if v[0] else v for k, v in where.items()}, merged


def _group_title(group: list, where: dict, titles: dict) -> str:
    """``layer 2 (hidden) · neuron 1  7 nodes`` or ``+ ×999, leaves ×999``."""
    key = next((where[id(n)] for n in group if id(n) in where), None)
    if key is not None:
        outer, inner = titles[key]
        head = f"{outer} · {inner}" if outer else inner
        return f"{head}\n{len(group)} nodes"
    ops: dict[str, int] = {}
    for n in group:
        name = op_symbol(n._op) if n._prev else "leaves"
        ops[name] = ops.get(name, 0) + 1
    return "\n".join(f"{name} ×{count}" for name, count in ops.items())
