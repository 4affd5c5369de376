"""Layers on Tensors, as in torch.nn: Linear, Sequential, Tanh, ReLU, Sigmoid, LeakyReLU;
and Dropout, for Tensors and for Values alike.

They reuse Module (parameters found by the attribute walk) and the Tensor ops.
"""

from __future__ import annotations

import math
import numbers
import random
from typing import Any, Iterator

import numpy as np

from ..core.checks import check_number
from ..core.tensor import Tensor
from ..core.tensor import linear as _linear
from .module import Module, make_rng, positive_int

__all__ = ["Dropout", "Linear", "Sequential", "Tanh", "ReLU", "Sigmoid", "LeakyReLU"]


class Dropout(Module):
    """Inverted dropout: in training each input is zeroed with probability p, the others
    scaled by 1/(1 − p) (so eval needs no rescaling, as torch.nn.Dropout); identity in eval.

    Works on a Value, a list (or nested lists) of Values/numbers, and a Tensor. Seeded:
    ``Dropout(0.5, seed=0)`` drops the same positions on every run.
    """

    def __init__(self, p: float = 0.5, seed: int | random.Random | None = None) -> None:
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0.0 <= p <= 1.0 \
                or math.isnan(p):
            raise ValueError(f"Dropout probability p must be between 0 and 1, got {p!r}")
        self.p = float(p)
        self._rng = make_rng(seed)

    def forward(self, x: Any) -> Any:
        if not self.training or self.p == 0.0:
            return x
        scale = 0.0 if self.p == 1.0 else 1.0 / (1.0 - self.p)
        if isinstance(x, Tensor):
            return self._tensor_forward(x, scale)
        return self._apply(x, scale)

    def _apply(self, x: Any, scale: float) -> Any:
        if isinstance(x, (list, tuple)):
            # recursion over the data's nesting (a list, or a batch of lists), not over a graph
            return [self._apply(item, scale) for item in x]
        keep = self._rng.random() >= self.p
        return x * (scale if keep else 0.0)

    def _tensor_forward(self, x: Tensor, scale: float) -> Tensor:
        gen = np.random.default_rng(self._rng.getrandbits(63))
        mask = (gen.random(x.data.shape) >= self.p) * scale
        return x * Tensor(mask, dtype=x.data.dtype)

    def extra_repr(self) -> str:
        return f"p={self.p}"


def _np_rng(seed: Any) -> Any:
    """A numpy Generator from an int, a Generator (shared) or None (fresh entropy)."""
    if isinstance(seed, np.random.Generator):
        return seed
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise TypeError(f"seed must be an int, a numpy Generator or None, got {seed!r}")
    return np.random.default_rng(seed)


class Linear(Module):
    """y = x·Wᵀ + b on Tensors; W has shape (out, in) like torch.nn.Linear.

    PyTorch's default initialisation: W and b uniform in ±1/√in (kaiming-uniform with
    a = √5). ``seed`` (an int or a numpy Generator) makes it reproducible.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 seed: int | np.random.Generator | None = None, dtype: Any = np.float64) -> None:
        in_features = positive_int(in_features, "Linear: in_features")
        out_features = positive_int(out_features, "Linear: out_features")
        rng = _np_rng(seed)
        bound = 1.0 / math.sqrt(in_features)
        self.in_features = in_features
        self.out_features = out_features
        self.weight = Tensor(rng.uniform(-bound, bound, (out_features, in_features)),
                             requires_grad=True, dtype=dtype, label="weight")
        self.bias = (Tensor(rng.uniform(-bound, bound, out_features), requires_grad=True,
                            dtype=dtype, label="bias") if bias else None)

    def forward(self, x: Any) -> Tensor:
        if not isinstance(x, Tensor):
            x = Tensor(x, dtype=self.weight.dtype)
        if x.shape[-1:] != (self.in_features,):
            raise ValueError(f"Linear({self.in_features}, {self.out_features}): input of shape "
                             f"{x.shape} should end in {self.in_features} features")
        return _linear(x, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Sequential(Module):
    """Modules applied in order; parameters are named ``0.weight``, ``1.bias``… like torch."""

    def __init__(self, *modules: Module) -> None:
        if len(modules) == 1 and isinstance(modules[0], (list, tuple)):
            modules = tuple(modules[0])
        for i, m in enumerate(modules):
            if not callable(m):
                raise TypeError(f"Sequential: item {i} is a {type(m).__name__}, not a module")
            setattr(self, str(i), m)
        self._n = len(modules)

    @property
    def layers(self) -> list:
        return [getattr(self, str(i)) for i in range(self._n)]

    def __getitem__(self, i: int) -> Module:
        return self.layers[i]

    def __len__(self) -> int:
        return self._n

    def __iter__(self) -> Iterator[Module]:
        return iter(self.layers)

    def forward(self, x: Any) -> Any:
        for i in range(self._n):
            x = getattr(self, str(i))(x)
        return x


class Tanh(Module):
    """tanh, elementwise (Tensor or Value)."""

    def forward(self, x: Any) -> Any:
        return x.tanh()


class ReLU(Module):
    """max(0, x), elementwise (Tensor or Value)."""

    def forward(self, x: Any) -> Any:
        return x.relu()


class Sigmoid(Module):
    """1/(1 + e^−x), elementwise (Tensor or Value)."""

    def forward(self, x: Any) -> Any:
        return x.sigmoid()


class LeakyReLU(Module):
    """x if x > 0 else negative_slope·x, elementwise (Tensor or Value)."""

    def __init__(self, negative_slope: float = 0.01) -> None:
        self.negative_slope = check_number(negative_slope, "LeakyReLU negative_slope")

    def forward(self, x: Any) -> Any:
        return x.leaky_relu(self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}"
