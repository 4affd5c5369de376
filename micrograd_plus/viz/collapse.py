"""Collapsed drawings of large graphs: one box per neuron, per layer or per run of an op.

Groups are found by union-find over four rules (see ``collapse_groups``); each group is
drawn as one box titled by what it holds (``60 + ops``, ``18 inputs``, ``inputs w, b``) with
its largest |grad|, each arrow labelled with how many edges it stands for. Wide all-to-all
layers become one box per layer. As in the full drawing (``viz.layout``), an arrow spanning
many ranks (an unrolled RNN's shared weights, read at every step) is drawn from a dashed
copy of its box, which keeps Graphviz's layout time bounded.
"""

from __future__ import annotations


import graphviz

from ..core.ops import op_symbol
from .format import dot_text, format_number, grad_color, grad_magnitude, pretty_label
from .layout import arrow_ranks, layout_budget, long_arrows
from .nodes import Options, dashed_copy, node_name, op_circle, op_node_name, record_label
from .cells import grad_norm, is_tensor

MAX_GROUP_EDGES = 150
# A box names its inputs (``inputs w, u, b``) when it holds at most this many.
MAX_NAMED = 4


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
    """One box per group of ``collapse_groups``; returns the notes for the caption.

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
    shapes = {key: _box(key, group, where, titles, o) for key, group in members.items()}
    entry = {}  # where arrows into a box end: a one-value box's op circle, as in the full view
    for key, attrs in shapes.items():
        dot.node(f"g{key}", **attrs)
        node = members[key][0]
        if len(members[key]) == 1 and node._prev:
            entry[key] = f"g{key}_op"
            dot.node(entry[key], **op_circle(node, o))
            dot.edge(entry[key], f"g{key}", id=f"{op_node_name(node)}->{node_name(node)}")
    arrows = {(a, b): (a, entry.get(b, b)) for a, b in counts}
    arrows_in_order = list(arrows.values()) + [(name, key) for key, name in entry.items()]
    rank = arrow_ranks(arrows_in_order)
    refs, virtual = long_arrows(arrows, rank)
    budget = layout_budget(len(members) + len(entry) + len(refs), virtual)
    dot.graph_attr.update(budget)
    # dot gives an arrow's label a rank of its own, doubling every arrow's length: in a large
    # drawing the counts are external labels, placed after the layout (one label made a
    # 400-step Tensor RNN take 6 s instead of 0.8 s)
    count = "xlabel" if budget or refs else "label"
    for (a, b), edges in counts.items():
        source, attrs = f"g{a}", {}
        if (a, b) in refs:
            source = f"g{a}_ref_g{b}"
            dot.node(source, **dashed_copy(shapes[a], source, "box"))
            attrs["style"] = "dashed"
        if edges > 1:
            attrs[count] = str(edges)
        dot.edge(source, entry.get(b, f"g{b}"), **attrs)
    boxes = f"{len(members)} box" + ("es" if len(members) != 1 else "")
    notes = [f"collapsed view: {len(nodes)} values drawn as {boxes} "
             f"(max_nodes={max_nodes}); a number on an arrow counts the edges it stands for"]
    if refs:
        notes.append(f"{len(refs)} long arrows are drawn from dashed copies of their box "
                     "(kept the layout fast)")
    return notes


def _box(key: int, group: list, where: dict, titles: dict, o: Options) -> dict[str, str]:
    """The attributes of a group's box: a value's own record when the group is one value."""
    if len(group) == 1:
        node = group[0]
        return {"label": record_label(node, o, False, False), "shape": "none", "margin": "0",
                "id": node_name(node)}
    lines = [_group_title(group, where, titles, o.pretty)]
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
    return {"label": dot_text("\n".join(lines), lines=True), "shape": "box",
            "style": "rounded,filled", "fillcolor": fill, "id": f"g{key}"}


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


def _group_title(group: list, where: dict, titles: dict, pretty: bool) -> str:
    """``layer 2 (hidden) · neuron 1  7 nodes``, or one line per op and one for the inputs.

    ``60 + ops`` / ``1 tanh op``; the inputs (leaves) by name when there are at most
    MAX_NAMED and all have labels (``inputs w, b``), else counted (``61 inputs``).
    """
    key = next((where[id(n)] for n in group if id(n) in where), None)
    if key is not None:
        outer, inner = titles[key]
        head = f"{outer} · {inner}" if outer else inner
        return f"{head}\n{len(group)} nodes"
    ops: dict[str, int] = {}
    inputs = []
    for n in group:
        if n._prev:
            name = op_symbol(n._op) or "?"
            ops[name] = ops.get(name, 0) + 1
        else:
            inputs.append(getattr(n, "label", "") or "")
    lines = [f"{count} {name} op" + "s" * (count != 1) for name, count in ops.items()]
    if inputs and len(inputs) <= MAX_NAMED and all(inputs):
        names = [pretty_label(label) if pretty else label for label in sorted(inputs)]
        lines.append("input" + "s" * (len(names) != 1) + " " + ", ".join(names))
    elif inputs:
        lines.append(f"{len(inputs)} input" + "s" * (len(inputs) != 1))
    return "\n".join(lines)
