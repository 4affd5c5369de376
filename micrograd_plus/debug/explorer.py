"""Interactive backprop explorer: one self-contained HTML page per graph.

``explore(root, "lunch.html")`` writes a page that holds the Graphviz SVG of the graph
(``viz.draw_graph``), the forward order (``autograd.reading_order``, a topological order)
and the backward stepper's records (``debug.BackpropStepper``) as JSON, with plain
JavaScript and CSS inline: no network access, works from ``file://``, offline and inside
Jupyter (an iframe ``srcdoc``).

The page replays the computation: step 0 shows the inputs and parameters, each forward step
computes one operation node, each backward step finishes one node's gradient and sends
``local · grad`` along its incoming edges (the chain rule, printed with numbers).
"""

from __future__ import annotations

import contextlib
import html
import json
import math
import re
from importlib import resources
from pathlib import Path
from typing import Any, Iterator

from ..core import autograd
from ..core.ops import is_infix, op_rule, op_symbol
from ..files import write_file
from ..viz.cells import MAX_ELEMENTS, cell_lines, is_tensor
from ..viz import (check_precision, draw_graph, format_lines, node_name, op_node_name,
                  pretty_label, run_dot)
from .chain import fmt, format_chain_rule, sym
from .explain import explain
from .stepper import BackpropStepper

__all__ = ["explore", "Explorer", "explorer_data"]

# Beyond this many nodes a step-by-step replay stops being readable (and the page heavy).
MAX_NODES = 2000
# explain() lists chain-rule paths per node; past this many nodes the page uses the
# (cheaper) list of contributions each node received instead.
MAX_EXPLAINED = 300

class Explorer:
    """The explorer page of one graph: ``.html`` (str), ``.save(path)``, inline in Jupyter."""

    def __init__(self, page: str) -> None:
        self.html = page

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (UTF-8) whole or not at all; returns it as a Path."""
        return write_file(path, self.html)

    def _repr_html_(self) -> str:
        # srcdoc keeps the page's scripts running inside Jupyter (innerHTML would not run them)
        # and isolates its ids and styles from the notebook's.
        return (
            '<iframe srcdoc="' + html.escape(self.html, quote=True) + '" '
            'style="width:100%;height:720px;border:1px solid #ddd;border-radius:6px" '
            'sandbox="allow-scripts"></iframe>'
        )

    def __repr__(self) -> str:
        return f"<Explorer page, {len(self.html)} characters; .save(path) writes it>"


def explore(
    root: Any,
    path: str | Path | None = None,
    *,
    title: str | None = None,
    rankdir: str = "LR",
    **draw_options: Any,
) -> Path | Explorer:
    """Write the interactive backprop page of ``root``'s graph.

    Parameters
    ----------
    root: the output node (a Value or Tensor). It need not have run ``backward()``: the
        page shows one backward pass seeded with ∂root/∂root = 1, and leaves ``.grad`` as
        it was.
    path: where to write the ``.html`` file. Without it an :class:`Explorer` is returned
        (Jupyter shows it inline; ``.save(path)`` writes it).
    title: the page heading (default: "Backprop explorer: <root label>").
    rankdir: Graphviz layout direction, as in ``draw_graph``.
    draw_options: passed on to ``draw_graph`` (``model=``, ``collapse=``, ``fontsize=``,
        ``max_nodes=``, ...). Nodes a collapsed drawing merges into boxes are still
        stepped through in the side panel.

    Returns the path written, or the Explorer.

    Example
    -------
    >>> explore(loss, "lunch.html")          # doctest: +SKIP
    PosixPath('lunch.html')
    """
    for fixed in ("show_data", "show_grad"):
        if fixed in draw_options:
            raise TypeError(f"explore() shows data and grad step by step; drop {fixed}=")
    data, svg = _build(root, rankdir, draw_options)
    if title is None:
        title = f"Backprop explorer: {data['nodes'][data['root']]['label']}"
    page = Explorer(render_page(data, svg, title))
    return page if path is None else page.save(path)


def explorer_data(root: Any) -> dict:
    """The JSON the page replays: nodes by ``viz.node_name``, forward order, and steps.

    ``steps[0]`` reveals the leaves; then one ``forward`` step per operation node (inputs
    first) and one ``backward`` step per stepper record (output first).
    """
    return _build(root, None, {})[0]


def _build(root: Any, rankdir: str | None, draw_options: dict) -> tuple[dict, str]:
    """The page's JSON and (unless ``rankdir`` is None) the SVG of the graph."""
    if not isinstance(root, autograd.Node):
        raise TypeError(
            f"explore() needs a graph node (a Value or Tensor), got {type(root).__name__}"
        )
    if not getattr(root, "requires_grad", False):
        raise ValueError(
            "explore(): the root does not require grad (detached, or computed under "
            "no_grad()), so there is no backward pass to show"
        )
    order = autograd.reading_order(root)
    if len(order) > MAX_NODES:
        raise ValueError(
            f"explore(): the graph has {len(order)} nodes, more than {MAX_NODES} can be "
            "stepped through readably; draw it with draw_graph() for an overview"
        )
    stepper = BackpropStepper(root)
    records = stepper.records()
    labels = stepper.names  # label, else an op-based name (``mul2``), as in its text
    names = {node: node_name(node) for node in order}
    # ∂E/∂(t − y): bracketed the way format_chain_rule writes its lines
    partial = {node: f"∂{sym(labels[root])}/∂{sym(labels[node])}" for node in order}
    pass_grads = {rec.node: rec.grad for rec in records}
    precision = draw_options.get("precision", 4)
    check_precision(precision, "explore")  # used for the grad cells before draw_graph runs
    max_elements = draw_options.get("max_elements", MAX_ELEMENTS)

    nodes: dict = {}
    for i, node in enumerate(order):
        nodes[names[node]] = {
            "label": labels[node],
            "typeset": pretty_label(labels[node]),  # as the graph writes it: w⁽¹⁾₁₂
            "partial": partial[node],
            "named": bool(getattr(node, "label", "")),
            "op": node._op,
            "symbol": op_symbol(node._op) if node._op else "",
            "rule": op_rule(node._op),
            "data": fmt(node.data, precision),  # as the graph's cells: the same precision
            "shape": _shape(node.data),
            "leaf": not node._prev,
            "order": i,
            # inputs: every edge the value flows along; parents: those gradient flows back to
            "inputs": [node_name(p) for p in node._prev],
            "parents": [names[p] for p in node._prev if p in names],
            "opNode": op_node_name(node) if node._prev else None,
            "explain": "",
        }

    steps: list = [
        {
            "phase": "start",
            "node": None,
            "reveal": [names[n] for n in order if not n._prev],
            "title": "Inputs and parameters",
            "lines": ["The leaves hold their values; nothing is computed yet."],
        }
    ]
    for node in order:
        if node._prev:
            steps.append(
                {
                    "phase": "forward",
                    "node": names[node],
                    "title": f"Forward: compute {labels[node]}",
                    "lines": [forward_line(node, labels)],
                }
            )
    received: dict = {}  # node -> chain-rule lines of the gradients it was sent
    for rec in records:
        node = rec.node
        incoming = received.get(node) or [f"{partial[root]} = 1  (the seed of the backward pass)"]
        if len(incoming) > 1:
            incoming = incoming + [f"{partial[node]} = sum of the {len(incoming)} "
                                   f"contributions = {fmt(rec.grad, precision)}"]
        sends = []
        outgoing = []
        for ps in rec.parents:
            line = format_chain_rule(rec, ps)
            outgoing.append(line)
            received.setdefault(ps.node, []).append(line)
            so_far = ps.sum_so_far
            sends.append(
                {
                    "to": names[ps.node],
                    "contribution": fmt(ps.contribution, precision),
                    "soFar": fmt(so_far, precision),
                    # the lines draw_graph writes in the grad cell, at the drawing's precision
                    "svg": (cell_lines(so_far, precision, max_elements) if is_tensor(ps.node)
                            else format_lines(so_far, precision)),
                }
            )
        steps.append(
            {
                "phase": "backward",
                "node": names[node],
                "title": f"Backward: {partial[node]} = {fmt(rec.grad, precision)}",
                "grad": fmt(rec.grad, precision),
                "incoming": incoming,
                "outgoing": outgoing,
                "sends": sends,
            }
        )

    # Draw and explain with every .grad set to this pass's gradient, so the SVG cells are
    # sized for the numbers the page will show and explain() checks against them.
    svg = ""
    with _grads_of_this_pass(order, pass_grads):
        if rankdir is not None:
            digraph = draw_graph(root, rankdir=rankdir, show_data=True, show_grad=True,
                                 **draw_options)
            svg = run_dot(digraph, "svg", what="the explorer's graph").decode("utf-8")
        explain_each = len(order) <= MAX_EXPLAINED
        for node in order:
            text = _explain(node, root) if explain_each else None
            nodes[names[node]]["explain"] = text or _received_text(node, root, labels, received,
                                                                   partial[root])
    return (
        {"root": names[root], "nodes": nodes, "forward": [names[n] for n in order],
         "steps": steps},
        svg,
    )


@contextlib.contextmanager
def _grads_of_this_pass(order: list, grads: dict) -> Iterator[None]:
    """Temporarily set each ``.grad`` to its gradient of one pass; restore it afterwards."""
    saved = [(node, node.grad) for node in order]
    try:
        for node in order:
            zero = 0.0 if isinstance(node.data, float) else None
            node.grad = grads.get(node, zero)
        yield
    finally:
        for node, grad in saved:
            node.grad = grad


def render_page(data: dict, svg: str, title: str) -> str:
    """Fill the page template: inline CSS, SVG, JSON and JavaScript; no external resource."""
    assets = resources.files(__package__).joinpath("explorer_assets")
    template = assets.joinpath("page.html").read_text(encoding="utf-8")
    css = assets.joinpath("explorer.css").read_text(encoding="utf-8")
    js = assets.joinpath("explorer.js").read_text(encoding="utf-8")
    # JSON inside <script>: escape "<" so a label like "</script>" cannot end the element
    blob = json.dumps(data, ensure_ascii=False, allow_nan=False).replace("<", "\\u003c")
    parts = {
        "TITLE": html.escape(title),
        "CSS": css,
        "SVG": _inline_svg(svg),
        "DATA": blob,
        "JS": js,
    }
    # one pass, so text inside the SVG or JSON that looks like a placeholder stays as it is
    return re.sub(r"/\*@(\w+)@\*/", lambda m: parts[m.group(1)], template)


# -- helpers --------------------------------------------------------------------------------

def _explain(node: Any, root: Any) -> str | None:
    """``explain(node, root)`` as text (Value or Tensor graphs); None where it does not
    apply (a graph mixing Values and Tensors)."""
    try:
        return str(explain(node, root))
    except TypeError:
        return None


def _received_text(node: Any, root: Any, labels: dict, received: dict, seed: str) -> str:
    """The contributions ``node`` received in the pass: its gradient, edge by edge.

    ``seed`` is ∂root/∂root as the page writes it.
    """
    if node is root:
        return f"{seed} = 1 (the seed of the backward pass)"
    lines = received.get(node)
    if not lines:
        return f"{labels[node]} receives no gradient from {labels[root]}"
    return "\n".join(lines)


def _shape(x: Any) -> list | None:
    shape = getattr(x, "shape", None)
    return None if shape is None else list(shape)


def forward_line(node: Any, labels: dict) -> str:
    """``out = a × b = 0.5 × 490000 = 245000``: the operation in names, then in numbers.

    Names with an operator inside are bracketed (``(t − y)^2``); a label that already
    spells the operation (``t − y``) is not written twice.
    """
    out = labels[node]
    parents = node._prev
    # a parent outside the order needs no grad (a constant): it is named by its value
    names = [sym(labels.get(p) or getattr(p, "label", "") or fmt(p.data)) for p in parents]
    values = [fmt(p.data) for p in parents]
    result = fmt(node.data)
    op = node._op
    symbol = op_symbol(op)
    if is_infix(op) and len(parents) == 2:
        names_part = f"{names[0]} {symbol} {names[1]}"
        head = out if out == names_part else f"{out} = {names_part}"
        return f"{head} = {values[0]} {symbol} {values[1]} = {result}"
    if op.startswith("**") and op != "**" and len(parents) == 1:
        return f"{out} = {names[0]}{symbol} = ({values[0]}){symbol} = {result}"
    if op == "sum":
        return f"{out} = {' + '.join(names)} = {' + '.join(values)} = {result}"
    if op == "dot":
        pairs = _dot_pairs(node, names, values)
        if pairs:
            terms = " + ".join(f"{a}·{b}" for a, b, _, _ in pairs)
            nums = " + ".join(f"{a}·{b}" for _, _, a, b in pairs)
            return f"{out} = {terms} = {nums} = {result}"
    if len(parents) == 1:
        return f"{out} = {symbol}({names[0]}) = {symbol}({values[0]}) = {result}"
    return f"{out} = {symbol}({', '.join(names)}) = {result}"


def _dot_pairs(node: Any, names: list, values: list) -> list | None:
    """The products of a ``dot`` node as (name, name, value, value), or None if unclear.

    ``dot`` keeps only Values as parents: a weight times a constant has one parent whose
    local derivative is the constant; a Value times a Value has two adjacent parents, each
    the other's local derivative. The split is accepted only if it adds up to ``data``.
    """
    local = list(getattr(node, "local_grads", ()))
    parents = node._prev
    if not isinstance(node.data, float) or len(local) != len(parents):
        return None
    pairs = []
    total = 0.0
    i = 0
    while i < len(parents):
        a = parents[i]
        if (i + 1 < len(parents) and local[i] == parents[i + 1].data
                and local[i + 1] == a.data):
            pairs.append((names[i], names[i + 1], values[i], values[i + 1]))
            total += a.data * parents[i + 1].data
            i += 2
        else:
            pairs.append((names[i], fmt(local[i]), values[i], fmt(local[i])))
            total += a.data * local[i]
            i += 1
    return pairs if math.isclose(total, node.data, rel_tol=1e-9, abs_tol=1e-12) else None


def _inline_svg(svg: str) -> str:
    """Graphviz's SVG without its XML prolog and DOCTYPE, ready to sit inside HTML."""
    start = svg.find("<svg")
    if start < 0:
        raise ValueError("draw_graph() produced no <svg> element")
    return svg[start:]
