"""Neural-network building blocks: the Module base, scalar Neuron/Layer/MLP.

``MLP(nin, nouts)`` with no keywords behaves like micrograd's: ReLU on hidden layers, a
linear output layer. A neuron's pre-activation is one ``dot`` node, so a neuron adds a few
graph nodes, not 2·nin.
"""

from __future__ import annotations

import random
from typing import Any, Iterator, Sequence

from .engine import Value, dot

__all__ = ["Module", "Neuron", "Layer", "MLP"]


class Module:
    """Base class: parameters are found by walking attributes (Values, Modules, lists of them)."""

    training: bool = True

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """(dotted name, parameter) pairs in a stable order, e.g. ``layers.0.neurons.1.w.2``."""
        stack: list[tuple[str, Any]] = [(prefix, self)]
        seen: set[int] = set()
        while stack:
            name, obj = stack.pop()
            children = _children_of(obj)
            if children is None:
                if id(obj) not in seen:
                    seen.add(id(obj))
                    yield name, obj
                continue
            for child_name, child in reversed(children):
                stack.append((f"{name}.{child_name}" if name else child_name, child))

    def parameters(self) -> list:
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.grad = 0.0 if isinstance(p, Value) else None

    def num_parameters(self) -> int:
        return sum(getattr(p.data, "size", 1) for p in self.parameters())

    def train(self, mode: bool = True) -> "Module":
        for module in self.modules():
            module.training = mode
        return self

    def eval(self) -> "Module":
        return self.train(False)

    def modules(self) -> list["Module"]:
        """This module and every submodule, depth first."""
        found = []
        stack: list[Any] = [self]
        while stack:
            obj = stack.pop()
            if isinstance(obj, Module):
                found.append(obj)
                stack.extend(reversed(list(vars(obj).values())))
            elif isinstance(obj, (list, tuple)):
                stack.extend(reversed(obj))
        return found

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")


def _children_of(obj: Any) -> list[tuple[str, Any]] | None:
    """Named children of a container, or None when ``obj`` is a parameter."""
    if isinstance(obj, Module):
        return [
            (k, v)
            for k, v in vars(obj).items()
            if isinstance(v, (Module, list, tuple)) or _is_parameter(v)
        ]
    if isinstance(obj, (list, tuple)):
        return [(str(i), v) for i, v in enumerate(obj)]
    return None


def _is_parameter(v: Any) -> bool:
    return isinstance(v, Value) or (hasattr(v, "requires_grad") and hasattr(v, "grad"))


_ACTIVATIONS = ("tanh", "relu", "sigmoid", "leaky_relu", "linear")


def _activate(z: Value, activation: str) -> Value:
    if activation == "linear":
        return z
    if activation == "relu":
        return z.relu()
    if activation == "tanh":
        return z.tanh()
    if activation == "sigmoid":
        return z.sigmoid()
    return z.leaky_relu()


class Neuron(Module):
    """y = φ(Σ_j w_j x_j + b), with φ one of tanh, relu, sigmoid, leaky_relu, linear."""

    def __init__(
        self,
        nin: int,
        activation: str = "tanh",
        bias: bool = True,
        seed: int | random.Random | None = None,
        nonlin: bool | None = None,
    ) -> None:
        if nonlin is not None:  # micrograd's keyword: nonlin=True means ReLU
            activation = "relu" if nonlin else "linear"
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {_ACTIVATIONS}, got {activation!r}")
        rng = seed if isinstance(seed, random.Random) else random.Random(seed)
        self.w = [Value(rng.uniform(-1, 1), label=f"w{j + 1}") for j in range(nin)]
        self.b = Value(0.0, label="b") if bias else None
        self.activation = activation

    def forward(self, x: Sequence[Any]) -> Value:
        z = dot(self.w, x)
        if self.b is not None:
            z = z + self.b
        return _activate(z, self.activation)

    def __repr__(self) -> str:
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """nout neurons that all read the same nin inputs."""

    def __init__(self, nin: int, nout: int, seed: int | random.Random | None = None,
                 **kwargs: Any) -> None:
        rng = seed if isinstance(seed, random.Random) else random.Random(seed)
        self.neurons = [Neuron(nin, seed=rng, **kwargs) for _ in range(nout)]

    def forward(self, x: Sequence[Any]) -> Any:
        out = [n(x) for n in self.neurons]
        return out[0] if len(out) == 1 else out

    def __repr__(self) -> str:
        return f"Layer of [{', '.join(str(n) for n in self.neurons)}]"


class MLP(Module):
    """Layers nin → nouts[0] → … → nouts[-1]; micrograd's defaults: ReLU hidden, linear out."""

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        out_activation: str = "linear",
        seed: int | random.Random | None = None,
    ) -> None:
        rng = seed if isinstance(seed, random.Random) else random.Random(seed)
        sizes = [nin] + list(nouts)
        self.layers = [
            Layer(sizes[i], sizes[i + 1], seed=rng,
                  activation=activation if i < len(nouts) - 1 else out_activation)
            for i in range(len(nouts))
        ]

    def forward(self, x: Sequence[Any]) -> Any:
        for layer in self.layers:
            x = layer(x)
        return x

    def __repr__(self) -> str:
        return f"MLP of [{', '.join(str(layer) for layer in self.layers)}]"


# ---- Tensor layers ----
