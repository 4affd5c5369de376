"""micrograd_plus: a scalar and numpy autograd engine that makes backpropagation visible."""

from .autograd import anomaly, enable_grad, is_grad_enabled, no_grad
from .engine import Value, dot, vsum
from .viz import draw_dot, draw_graph, render_graph
from .tensor import Tensor
from .explorer import explore
from .debug import (BackpropStepper, assert_grads_match_torch, compare_with_torch,
                    detect_anomaly, explain, gradcheck)
from . import losses, nn, optim  # noqa: E402  (after engine: they build on Value)
from . import data, metrics  # noqa: E402
from .train import History, evaluate, fit, predict  # noqa: E402

__version__ = "0.1.0"

__all__ = ["Value", "vsum", "dot", "no_grad", "enable_grad", "is_grad_enabled", "anomaly",
           "explore", "BackpropStepper", "explain", "gradcheck", "compare_with_torch",
           "assert_grads_match_torch", "detect_anomaly", "draw_graph", "draw_dot", "render_graph",
           "fit", "evaluate", "predict", "History"]
