"""micrograd_plus: a scalar and numpy autograd engine that makes backpropagation visible.

``Value`` (scalar) and ``Tensor`` (numpy) nodes share one autograd core; ``nn``, ``losses``,
``optim`` build models on them; ``draw_graph`` draws any graph with its data and gradients;
``BackpropStepper`` and ``explore`` step through backprop in the REPL, terminal or browser.
"""

import random as _random

# rich draws random.getrandbits() when it is first imported; give the state back so that
# random.seed(1337) before `import micrograd_plus` reproduces micrograd's initial weights.
_random_state = _random.getstate()
try:
    import rich.style  # noqa: F401  (the module that draws; loaded here, under the restore)

    from .core.autograd import (anomaly, enable_grad, grad, is_grad_enabled, no_grad,
                                set_grad_enabled)
    from .core.value import Value, dot, vsum
    from .core.tensor import Tensor
    from .core.functional import hessian, hvp, jacobian
    from .core.trace import TraceError, trace
    from . import losses, nn, optim
    from . import data, metrics
    from .train import History, evaluate, fit, predict
    from .viz import draw_dot, draw_graph, render_graph
    from .debug import (BackpropStepper, animate_backprop, assert_grads_match_torch,
                        compare_with_torch, detect_anomaly, explain, explore, frame_graphs,
                        gradcheck, render_steps, step_frames)
finally:
    _random.setstate(_random_state)
    del _random_state

__version__ = "0.1.0"

__all__ = [
    "Value", "Tensor", "vsum", "dot",
    "no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "anomaly",
    "detect_anomaly", "grad", "jacobian", "hessian", "hvp", "trace", "TraceError",
    "nn", "losses", "optim", "data", "metrics", "fit", "evaluate", "predict", "History",
    "draw_graph", "draw_dot", "render_graph", "explore",
    "step_frames", "frame_graphs", "render_steps", "animate_backprop",
    "BackpropStepper", "explain", "gradcheck", "compare_with_torch", "assert_grads_match_torch",
]
