"""Optimizers and learning-rate schedulers with torch.optim's update rules and defaults.

- ``optimizers``: ``SGD``, ``Adam``, ``AdamW``, ``RMSprop``, ``Adagrad`` (``Optimizer``, the base);
- ``schedulers``: ``StepLR``, ``ExponentialLR``, ``CosineAnnealingLR``, ``LambdaLR``.

A parameter is a ``Value`` or a ``Tensor``; each rule is written once and runs on floats and
on arrays, so trajectories agree with ``torch.optim`` (float64) step for step.
"""

from .optimizers import SGD, Adagrad, Adam, AdamW, Optimizer, RMSprop
from .schedulers import CosineAnnealingLR, ExponentialLR, LambdaLR, LRScheduler, StepLR

__all__ = [
    "Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad",
    "LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR",
]
