"""Neural-network building blocks for both node types.

- ``module``: ``Module``, the base (parameters, state dicts, ``train``/``eval``);
- ``scalar``: ``Neuron``, ``Layer``, ``MLP`` on Values, like micrograd's (``MLP(nin, nouts)``
  with no keywords: ReLU hidden layers, a linear output), with the textbook's labels;
- ``layers``: ``Linear``, ``Sequential``, ``Tanh``, ``ReLU``, ``Sigmoid``, ``LeakyReLU`` on
  Tensors, as in torch.nn, and ``Dropout`` for both.
"""

from .layers import Dropout, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh
from .module import IncompatibleKeys, Module
from .scalar import ACTIVATIONS, MLP, Layer, Neuron

__all__ = ["Module", "Neuron", "Layer", "MLP", "Dropout", "ACTIVATIONS",
           "Linear", "Sequential", "Tanh", "ReLU", "Sigmoid", "LeakyReLU", "IncompatibleKeys"]
