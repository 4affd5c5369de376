"""micrograd_plus: a scalar and numpy autograd engine that makes backpropagation visible."""

from .autograd import anomaly, enable_grad, is_grad_enabled, no_grad
from .engine import Value, dot, vsum
from .explorer import explore
from . import losses, nn, optim  # noqa: E402  (after engine: they build on Value)

__version__ = "0.1.0"

__all__ = ["Value", "vsum", "dot", "no_grad", "enable_grad", "is_grad_enabled", "anomaly",
           "explore"]
