"""Debugging backprop: step through it, explain it, check it, compare it with PyTorch.

Everything is re-exported from small modules, one job each:

- :mod:`.stepper`: ``BackpropStepper`` (the backward pass one node at a time),
  ``format_chain_rule``;
- :mod:`.terminal`: ``run_terminal`` (``micrograd-plus step TARGET``);
- :mod:`.explain`: ``explain(node, root)``, the chain-rule sum over all paths;
- :mod:`.gradcheck`: ``gradcheck(f, inputs)``, finite differences vs autograd;
- :mod:`.torchcompare`: ``compare_with_torch`` and ``assert_grads_match_torch``;
- ``detect_anomaly``: PyTorch's name for ``autograd.anomaly()``: the first operation
  producing NaN/inf raises ``AnomalyError`` naming the op, the node and its inputs.
"""

from __future__ import annotations

from . import explain as _explain
from . import gradcheck as _gradcheck
from . import stepper as _stepper
from . import terminal as _terminal
from . import torchcompare as _torchcompare
from .autograd import AnomalyError
from .autograd import anomaly as detect_anomaly
from .explain import ChainPath, Explanation, explain
from .gradcheck import GradcheckEntry, GradcheckError, GradcheckReport, gradcheck
from .stepper import (BackpropStepper, ParentStep, Step, fmt, format_chain_rule, node_names,
                      sym)
from .terminal import render_state, run_terminal
from .torchcompare import (ComparisonRow, TorchComparison, assert_grads_match_torch,
                           compare_with_torch)

# what the parts export, and PyTorch's name for anomaly mode
__all__ = [
    *_stepper.__all__, *_terminal.__all__, *_explain.__all__, *_gradcheck.__all__,
    *_torchcompare.__all__, "detect_anomaly", "AnomalyError",
]
