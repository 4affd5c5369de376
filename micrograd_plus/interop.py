"""Moving tensors and models to and from PyTorch (an optional extra: ``pip install torch``).

The path for a user who outgrows this library: prototype and debug here, then train at scale
in PyTorch with the same weights (or bring a small torch model here to look inside it).

- ``to_torch(x)``: a Tensor → ``torch.Tensor``; a ``Linear``, activation, ``Dropout`` or
  ``Sequential`` of them → the equivalent ``torch.nn`` module; a scalar ``nn.MLP`` (or
  ``nn.Layer``) → ``torch.nn.Sequential`` of ``Linear`` + activation modules.
- ``from_torch(x)``: the reverse for ``torch.Tensor``, ``torch.nn.Linear``, ``Sequential``,
  ``Tanh``, ``ReLU``, ``Sigmoid``, ``LeakyReLU``, ``Dropout`` and ``Identity``.

Weights are copied (never shared), in float64 unless the source is float32, so both models
give the same outputs. torch is imported only when one of these functions runs.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import nn
from .core.checks import require_torch
from .core.tensor import Tensor

__all__ = ["to_torch", "from_torch", "tensor_to_torch", "tensor_from_torch"]


# the Tensor conversions themselves, under the names this module has always had
tensor_to_torch = Tensor.to_torch
tensor_from_torch = Tensor.from_torch


# Activation modules without parameters: the same class name here and in torch.nn; the
# scalar neurons' activation strings map to them too.
_ACTIVATIONS = ("Tanh", "ReLU", "Sigmoid")
_TO_TORCH_ACTIVATION = {name.lower(): name for name in _ACTIVATIONS}  # 'tanh' → 'Tanh'


def to_torch(x: Any) -> Any:
    """The PyTorch equivalent of a Tensor or a model, with copied weights (and train mode)."""
    torch = require_torch()
    if isinstance(x, Tensor):
        return tensor_to_torch(x)
    return _module_to_torch(torch, x).train(x.training)


def _module_to_torch(torch: Any, x: Any) -> Any:
    if isinstance(x, nn.Linear):
        layer = torch.nn.Linear(x.in_features, x.out_features, bias=x.bias is not None,
                                dtype=_torch_dtype(torch, x.weight.dtype))
        with torch.no_grad():
            layer.weight.copy_(torch.from_numpy(x.weight.data))
            if x.bias is not None:
                layer.bias.copy_(torch.from_numpy(x.bias.data))
        return layer
    if isinstance(x, nn.Sequential):
        return torch.nn.Sequential(*[_module_to_torch(torch, m) for m in x])
    for name in _ACTIVATIONS:
        if isinstance(x, getattr(nn, name)):
            return getattr(torch.nn, name)()
    if isinstance(x, nn.LeakyReLU):
        return torch.nn.LeakyReLU(x.negative_slope)
    if isinstance(x, nn.Dropout):
        return torch.nn.Dropout(x.p)
    if isinstance(x, nn.MLP):
        mods = [m for layer in x.layers for m in _layer_to_torch(torch, layer)]
        return torch.nn.Sequential(*mods)
    if isinstance(x, nn.Layer):
        return torch.nn.Sequential(*_layer_to_torch(torch, x))
    raise TypeError(
        f"to_torch: cannot convert {type(x).__name__}; supported: Tensor, Linear, Sequential, "
        "Tanh, ReLU, Sigmoid, LeakyReLU, Dropout, and the scalar MLP/Layer"
    )


def _layer_to_torch(torch: Any, layer: Any) -> list:
    """A scalar Layer as [torch Linear, activation] (float64, copied weights)."""
    W, b = layer.get_weights()
    first = layer.neurons[0]
    acts = {n.activation for n in layer.neurons}
    if len(acts) != 1:
        raise ValueError(f"to_torch: the neurons of a layer use different activations {acts}")
    linear = torch.nn.Linear(len(W[0]), len(W), bias=b is not None, dtype=torch.float64)
    with torch.no_grad():
        linear.weight.copy_(torch.tensor(W, dtype=torch.float64))
        if b is not None:
            linear.bias.copy_(torch.tensor(b, dtype=torch.float64))
    act = first.activation
    if act == "linear":
        return [linear]
    if act == "leaky_relu":
        return [linear, torch.nn.LeakyReLU(first.negative_slope)]
    return [linear, getattr(torch.nn, _TO_TORCH_ACTIVATION[act])()]


def from_torch(x: Any) -> Any:
    """A micrograd_plus Tensor or module equivalent to a torch tensor or module."""
    torch = require_torch()
    if isinstance(x, torch.Tensor):
        return tensor_from_torch(x)
    return _module_from_torch(torch, x).train(x.training)


def _module_from_torch(torch: Any, x: Any) -> Any:
    if isinstance(x, torch.nn.Linear):
        w = tensor_from_torch(x.weight)
        layer = nn.Linear(x.in_features, x.out_features, bias=x.bias is not None, seed=0,
                          dtype=w.dtype)
        layer.weight.data[...] = w.data
        if x.bias is not None:
            layer.bias.data[...] = tensor_from_torch(x.bias).data
        return layer
    if isinstance(x, torch.nn.Sequential):
        return nn.Sequential(*[_module_from_torch(torch, m) for m in x
                               if not isinstance(m, torch.nn.Identity)])
    for name in _ACTIVATIONS:
        if isinstance(x, getattr(torch.nn, name)):
            return getattr(nn, name)()
    if isinstance(x, torch.nn.LeakyReLU):
        return nn.LeakyReLU(x.negative_slope)
    if isinstance(x, torch.nn.Dropout):
        return nn.Dropout(x.p)
    raise TypeError(
        f"from_torch: cannot convert {type(x).__name__}; supported: torch.Tensor, Linear, "
        "Sequential, Tanh, ReLU, Sigmoid, LeakyReLU, Dropout, Identity (inside Sequential)"
    )


def _torch_dtype(torch: Any, dtype: np.dtype) -> Any:
    return torch.float32 if dtype == np.float32 else torch.float64
