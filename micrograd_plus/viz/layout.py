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

Small graphs, such as the worked examples, are drawn exactly as before.
"""

from __future__ import annotations

__all__ = ["ranks", "long_edges", "layout_budget", "MAX_SPAN", "MAX_VIRTUAL"]

# An arrow may span this many ranks (a value and its op are two ranks: about 4 steps).
MAX_SPAN = 8
# Estimated virtual nodes above which long arrows become references.
MAX_VIRTUAL = 3000
# Work budget (graph nodes × iterations) for dot's network-simplex placement: a few seconds.
SIMPLEX_WORK = 2_000_000

def ranks(nodes: list) -> dict[int, int]:
    """Estimated dot rank of each value (by id) and, under ``-id``, of its op node.

    Results take the longest path from the inputs (value = op + 1, op = max(inputs) + 1);
    an input (a node with no parents) sits just before its first use, where dot puts it.
    ``nodes`` is in topological order (inputs first).
    """
    rank: dict[int, int] = {}
    for node in nodes:
        if node._prev:
            op = 1 + max((rank.get(id(p), 0) for p in node._prev), default=0)
            rank[-id(node)] = op
            rank[id(node)] = op + 1
    for node in nodes:  # inputs: one rank before their earliest consumer
        if not node._prev:
            rank[id(node)] = 0
    first_use: dict[int, int] = {}
    for node in nodes:
        if node._prev:
            for p in node._prev:
                if not p._prev:
                    first_use[id(p)] = min(first_use.get(id(p), rank[-id(node)]),
                                           rank[-id(node)])
    for key, op_rank in first_use.items():
        rank[key] = op_rank - 1
    return rank

def long_edges(nodes: list, rank: dict[int, int]) -> tuple[set[tuple[int, int, int]], int]:
    """(input edges to draw as references, estimated virtual nodes of the drawing).

    An edge is (id(parent), id(node), position of parent in node._prev). References are
    chosen only when the estimate exceeds MAX_VIRTUAL; then every edge longer than
    MAX_SPAN ranks is one.
    """
    spans = []
    for node in nodes:
        for i, p in enumerate(node._prev):
            spans.append(((id(p), id(node), i), rank[-id(node)] - rank.get(id(p), 0)))
    virtual = sum(max(0, span - 1) for _, span in spans)
    if virtual <= MAX_VIRTUAL:
        return set(), virtual
    refs = {edge for edge, span in spans if span > MAX_SPAN}
    return refs, sum(max(0, span - 1) for edge, span in spans if edge not in refs)

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
