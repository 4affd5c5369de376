"""Debugging backprop: step through it, explain it, check it, compare it with PyTorch.

Everything is re-exported from small modules, one job each:

- :mod:`.stepper`: ``BackpropStepper`` (the backward pass one node at a time);
- :mod:`.chain`: ``Step``, ``ParentStep`` and their chain rule as text
  (``format_chain_rule``; ``matrix_line`` for a Tensor edge's rule with its matrices);
- :mod:`.table`: ``render_state``, the rich table of a stepper;
- :mod:`.terminal`: ``run_terminal`` (``micrograd-plus step TARGET``);
- :mod:`.explain`: ``explain(node, root)``, the chain-rule sum over all paths;
- :mod:`.gradcheck`: ``gradcheck(f, inputs)``, finite differences vs autograd;
- :mod:`.torchcompare`: ``compare_with_torch`` and ``assert_grads_match_torch``;
- :mod:`.explorer`: ``explore(root, "page.html")``, the self-contained HTML page;
- :mod:`.frames` and :mod:`.animation`: ``step_frames``, ``frame_graphs``, ``render_steps``
  and ``animate_backprop``, the passes as a series of images for slides;
- ``detect_anomaly``: PyTorch's name for ``autograd.anomaly()``: the first operation
  producing NaN/inf raises ``AnomalyError`` naming the op, the node and its inputs.
"""

from __future__ import annotations

from ..core.autograd import AnomalyError
from ..core.autograd import anomaly as detect_anomaly
from ..viz.format import node_names
from .animation import animate_backprop, render_steps
from .chain import ParentStep, Step, fmt, format_chain_rule, matrix_line, sym
from .explain import ChainPath, Explanation, explain
from .explorer import explore
from .frames import frame_graphs, step_frames
from .gradcheck import GradcheckEntry, GradcheckError, GradcheckReport, gradcheck
from .stepper import BackpropStepper
from .table import render_state
from .terminal import run_terminal
from .torchcompare import (ComparisonRow, TorchComparison, assert_grads_match_torch,
                           compare_with_torch)

# everything the parts export (tests/test_debug.py checks that none is missing), and
# PyTorch's name for anomaly mode
__all__ = [
    "BackpropStepper", "Step", "ParentStep", "format_chain_rule", "fmt", "sym", "node_names",
    "matrix_line",
    "render_state", "run_terminal",
    "explain", "Explanation", "ChainPath",
    "gradcheck", "GradcheckReport", "GradcheckError", "GradcheckEntry",
    "compare_with_torch", "assert_grads_match_torch", "TorchComparison", "ComparisonRow",
    "explore", "step_frames", "frame_graphs", "render_steps", "animate_backprop",
    "detect_anomaly", "AnomalyError",
]
