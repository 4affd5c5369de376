"""Keeping Graphviz ``dot`` fast on graphs with long skip connections and reused inputs.

dot's cost grows with the edges' lengths, not the node count: an arrow spanning r ranks
becomes a chain of r − 1 hidden ("virtual") nodes, and both crossing minimisation and the
network-simplex placement run over them. A residual chain of 100 steps whose input x feeds
every other step (``y = (y*1.01).tanh() if i % 2 else y + x``) has about 200 values but
~15 000 virtual nodes, and dot ran for minutes. Two measures, used only when needed:

1. Long arrows become references: an arrow spanning more than ``MAX_SPAN`` ranks is drawn
   from a dashed copy of its value placed next to its operation (same label, data and grad),
   with a note in the caption. This bounds the virtual nodes by ``MAX_SPAN`` per arrow.
2. The layout's iterative phases get budgets proportional to the graph's size: ``nslimit``
   (network-simplex iterations per node when placing nodes) and ``mclimit`` (crossing
   minimisation passes), so dot finishes in seconds up to ``draw_graph``'s max_nodes.

The same holds for collapsed drawings (``viz.collapse``): in an unrolled RNN the box of the
shared weights, and the box of all the steps' ``u·x_t``, feed every step, and a 200-value
RNN collapsed to 100 boxes kept ~4500 virtual nodes (dot: 4.6 s; 400 values: over 30 s).
``arrow_ranks`` and ``long_arrows`` work on any drawing's arrows: values and op nodes in
the full drawing (``long_edges``), boxes in the collapsed one.

Small graphs, such as the worked examples, are drawn exactly as before.
"""

from __future__ import annotations

from typing import Hashable, Iterable

__all__ = ["arrow_ranks", "long_arrows", "long_edges", "layout_budget", "MAX_SPAN",
           "MAX_VIRTUAL"]

# An arrow may span this many ranks (a value and its op are two ranks: about 4 steps).
MAX_SPAN = 8
# Estimated virtual nodes above which long arrows become references.
MAX_VIRTUAL = 3000
# Work budget (graph nodes × iterations) for dot's network-simplex placement: a few seconds.
SIMPLEX_WORK = 2_000_000


def arrow_ranks(arrows: Iterable[tuple[Hashable, Hashable]]) -> dict[Hashable, int]:
    """Estimated dot rank of each end of the arrows (source, target).

    A vertex with incoming arrows takes the longest path from the sources (in Kahn's order;
    on a cycle, the vertex seen first starts as if its arrows from the cycle were reversed,
    as dot reverses them); a source sits one rank before its earliest consumer, where dot
    puts it.
    """
    succs: dict[Hashable, list] = {}
    indegree: dict[Hashable, int] = {}
    for a, b in arrows:
        succs.setdefault(a, []).append(b)
        succs.setdefault(b, [])
        indegree[b] = indegree.get(b, 0) + 1
        indegree.setdefault(a, 0)
    sources = [v for v, d in indegree.items() if d == 0]
    rank = dict.fromkeys(indegree, 0)
    ready = list(reversed(sources))
    done: set = set()
    unseen = iter(indegree)  # in order of first appearance: where a cycle is broken
    while len(done) < len(indegree):
        if not ready:
            ready.append(next(v for v in unseen if v not in done))
        v = ready.pop()
        if v in done:
            continue
        done.add(v)
        for w in succs[v]:
            if w in done:
                continue  # an arrow back along a cycle
            rank[w] = max(rank[w], rank[v] + 1)
            indegree[w] -= 1
            if indegree[w] == 0:
                ready.append(w)
    for v in sources:
        if succs[v]:
            rank[v] = min(rank[w] for w in succs[v]) - 1
    return rank


def long_arrows(arrows: dict[Hashable, tuple[Hashable, Hashable]],
                rank: dict[Hashable, int]) -> tuple[set, int]:
    """(keys of the arrows to draw from copies, estimated virtual nodes of the drawing).

    ``arrows`` maps a key to (source, target). Copies are chosen only when the estimate
    exceeds MAX_VIRTUAL; then every arrow longer than MAX_SPAN ranks is one.
    """
    spans = [(key, rank[b] - rank[a]) for key, (a, b) in arrows.items()]
    virtual = sum(max(0, span - 1) for _, span in spans)
    if virtual <= MAX_VIRTUAL:
        return set(), virtual
    refs = {key for key, span in spans if span > MAX_SPAN}
    return refs, sum(max(0, span - 1) for key, span in spans if key not in refs)


def _value_arrows(nodes: list) -> dict[tuple[int, int, int], tuple[int, int]]:
    """The full drawing's input arrows: (id(parent), id(node), i) → (id(parent), −id(node)).

    A value is drawn as ``id(node)``, its op node as ``−id(node)``.
    """
    return {(id(p), id(node), i): (id(p), -id(node))
            for node in nodes for i, p in enumerate(node._prev)}


def long_edges(nodes: list) -> tuple[set[tuple[int, int, int]], int]:
    """(input edges of the full drawing to draw as references, estimated virtual nodes).

    An edge is (id(parent), id(node), position of parent in node._prev); ``nodes`` is in
    topological order (inputs first). Ranks as in ``arrow_ranks`` (a value is drawn as
    ``id(node)``, its op node as ``−id(node)``); the choice as in ``long_arrows``.
    """
    arrows = _value_arrows(nodes)
    rank = arrow_ranks(list(arrows.values())
                       + [(-id(node), id(node)) for node in nodes if node._prev])
    return long_arrows(arrows, rank)


def layout_budget(graph_nodes: int, virtual: int) -> dict[str, str]:
    """Graph attributes bounding dot's layout time, or {} when the graph is small."""
    size = graph_nodes + virtual
    if virtual <= 500 and graph_nodes <= 400:
        return {}
    # maxiter = nslimit × graph_nodes iterations, each costing about `size`
    nslimit = SIMPLEX_WORK / (size * max(graph_nodes, 1))
    attrs = {"nslimit": f"{nslimit:.3g}", "remincross": "false"}
    if size > 2000:
        attrs["mclimit"] = f"{max(0.1, min(1.0, 2000 / size)):.3g}"
    return attrs
