"""Graphviz drawings of computation graphs (Value or Tensor) with their data and gradients.

``draw_graph`` (and micrograd's ``draw_dot``) build a ``graphviz.Digraph``; ``render_graph``
writes it to svg/png/pdf/dot. The parts, each with one job: ``graph`` (the whole drawing and
files), ``nodes`` (how a value, an op, an edge and the legend look), ``cells`` (a Tensor's
matrices), ``rules`` (an edge's rule in matrix form), ``clusters`` (boxes per neuron and
layer), ``collapse`` and ``layout`` (large graphs), ``dot`` (running Graphviz) and
``format`` (the one number and label formatter of every view: graphs, stepper, explain,
explorer, tables).
"""

from ..core.autograd import Node
from .clusters import ACTIVATIONS
from .collapse import MAX_GROUP_EDGES, GraphTooLargeError
from .dot import INSTALL_HINT, GraphvizNotFoundError, run_dot
from .format import (GRAD_COLORS, ZERO_GRAD_COLOR, check_precision, format_lines, format_number,
                     format_value, grad_color, group_label, node_names, pretty_label, visible)
from .graph import FORMATS, RANKDIRS, draw_dot, draw_graph, output_format, render_graph
from .nodes import (FONT, HIGHLIGHT, PALE_TEXT, PROCESSED, PROCESSED_FILL, node_name,
                    op_node_name)

__all__ = [
    "draw_graph", "draw_dot", "render_graph", "run_dot", "node_name", "op_node_name",
    "node_names", "format_number", "format_value", "format_lines", "check_precision",
    "pretty_label", "group_label", "grad_color", "visible",
    "GraphTooLargeError", "GraphvizNotFoundError",
    "GRAD_COLORS", "ZERO_GRAD_COLOR", "HIGHLIGHT", "PROCESSED", "PROCESSED_FILL", "PALE_TEXT",
    "FONT", "FORMATS", "RANKDIRS", "output_format", "INSTALL_HINT", "MAX_GROUP_EDGES",
    "ACTIVATIONS",
]

Node.drawing = staticmethod(draw_graph)  # how Jupyter shows a Value
