"""Debugging backprop: step through it, explain it, check it, compare it with PyTorch.

Everything is re-exported from small modules, one job each:

- :mod:`.stepper`: ``BackpropStepper`` (the backward pass one node at a time),
  ``format_chain_rule``, ``matrix_line`` (a Tensor edge's rule with its matrices);
- :mod:`.terminal`: ``run_terminal`` (``micrograd-plus step TARGET``);
- :mod:`.explain`: ``explain(node, root)``, the chain-rule sum over all paths;
- :mod:`.gradcheck`: ``gradcheck(f, inputs)``, finite differences vs autograd;
- :mod:`.torchcompare`: ``compare_with_torch`` and ``assert_grads_match_torch``;
- ``detect_anomaly``: PyTorch's name for ``autograd.anomaly()``: the first operation
  producing NaN/inf raises ``AnomalyError`` naming the op, the node and its inputs.
"""

from __future__ import annotations

from .core.autograd import AnomalyError
from .core.autograd import anomaly as detect_anomaly
from .explain import ChainPath, Explanation, explain
from .gradcheck import GradcheckEntry, GradcheckError, GradcheckReport, gradcheck
from .stepper import (BackpropStepper, ParentStep, Step, fmt, format_chain_rule, matrix_line,
                      node_names, sym)
from .terminal import render_state, run_terminal
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
    "detect_anomaly", "AnomalyError",
]
