"""Scalar building blocks on Values: Neuron, Layer and MLP, like micrograd's.

``MLP(nin, nouts)`` with no keywords behaves like micrograd's: ReLU on hidden layers, a
linear output layer, weights drawn from ``random.uniform(-1, 1)`` (the global generator
unless ``seed=`` is given). A neuron's pre-activation is one ``dot`` node (a layer's nodes
are made together), so a neuron adds a few graph nodes, not 2·nin.

Parameters carry the textbook's labels (WORKED_EXAMPLES.md §3): ``w^(l)_ij`` is the weight
from neuron j of layer l to neuron i of layer l+1 (the input layer is l = 1) and ``b^(l)_i``
the bias of that neuron i.
"""

from __future__ import annotations

import random
from typing import Any, Sequence

import numpy as np

from ..core import ops
from ..core.autograd import mark_modified
from ..core.checks import check_number
from ..core.value import Value, dot, dots
from .module import Module, make_rng, positive_int

__all__ = ["Neuron", "Layer", "MLP", "ACTIVATIONS"]


ACTIVATIONS = ("tanh", "relu", "sigmoid", "leaky_relu", "linear")
_ALIASES = {"identity": "linear", "none": "linear", None: "linear"}


def _check_activation(activation: Any) -> str:
    activation = _ALIASES.get(activation, activation)
    if activation not in ACTIVATIONS:
        raise ValueError(
            f"activation must be one of {ACTIVATIONS} (or 'identity'), got {activation!r}"
        )
    return activation


def _check_one_sample(x: Any, who: str) -> None:
    """A scalar model reads one sample; a 2-D array or a list of lists is a whole batch."""
    if x.__class__ is list and not (x and isinstance(x[0], (list, tuple, np.ndarray))):
        return  # a list of numbers or Values (the usual call), told apart at once
    if isinstance(x, Value):
        return
    shape = getattr(x, "shape", None)
    if shape is None and isinstance(x, (list, tuple)) and x \
            and isinstance(x[0], (list, tuple, np.ndarray)):
        shape = (len(x), len(x[0]))
    if shape is not None and len(shape) >= 2:
        raise ValueError(f"{who} got a batch of shape {tuple(int(n) for n in shape)}; call the "
                         "model on one sample, or use a Tensor model (nn.Sequential of "
                         "nn.Linear) for whole batches")


def _resolve_activation(nonlin: Any, activation: Any) -> str:
    """micrograd's ``nonlin`` (True = ReLU, False = linear) unless ``activation`` names one.

    A string given in ``nonlin``'s place (``Neuron(3, 'tanh')``) is taken as the activation.
    """
    if isinstance(nonlin, str):
        nonlin, activation = True, nonlin
    if activation is None:
        return "relu" if nonlin else "linear"
    return _check_activation(activation)


def _subscript(*indices: int) -> str:
    """``12`` for (1, 2); ``1,12`` once an index has two digits, so labels stay unambiguous."""
    if all(i < 10 for i in indices):
        return "".join(str(i) for i in indices)
    return ",".join(str(i) for i in indices)


def _vector(xs: Any, n: int, what: str) -> list[float]:
    """``xs`` as a list of n floats, or a clear error about its length or contents."""
    if hasattr(xs, "tolist"):
        xs = xs.tolist()
    if not isinstance(xs, (list, tuple)):
        raise TypeError(f"{what} must be a list of {n} numbers, got {type(xs).__name__}")
    if len(xs) != n:
        raise ValueError(f"{what} must have {n} entries, got {len(xs)}")
    return [check_number(x, f"{what}[{i}]") for i, x in enumerate(xs)]


class Neuron(Module):
    """y = φ(Σ_j w_j x_j + b), with φ one of relu, tanh, sigmoid, leaky_relu, linear.

    As in micrograd, ``Neuron(nin)`` is a ReLU neuron (``nonlin=True``) and
    ``Neuron(nin, nonlin=False)`` a linear one; ``.nonlin`` says which. ``activation='tanh'``
    (or ``'sigmoid'``, ``'leaky_relu'``, ``'linear'``) chooses another φ and wins over
    ``nonlin``. Weights start uniform in [-1, 1], the bias at 0, as in micrograd.
    """

    _expand_children_in_repr = False

    def __init__(
        self,
        nin: int,
        nonlin: bool = True,
        activation: str | None = None,
        bias: bool = True,
        seed: int | random.Random | None = None,
        negative_slope: float = 0.01,
    ) -> None:
        nin = positive_int(nin, "Neuron: nin")
        self.activation = _resolve_activation(nonlin, activation)
        self.negative_slope = check_number(negative_slope, "negative_slope")
        rng = make_rng(seed)
        self.w = [Value(rng.uniform(-1, 1)) for _ in range(nin)]
        self.b = Value(0.0) if bias else None
        self._set_labels()

    @property
    def nin(self) -> int:
        return len(self.w)

    @property
    def nonlin(self) -> bool:
        """micrograd's flag: True unless the neuron is linear."""
        return self.activation != "linear"

    @nonlin.setter
    def nonlin(self, value: bool) -> None:
        self.activation = "relu" if value else "linear"

    def _set_labels(self, layer: int | None = None, i: int = 1) -> None:
        """Textbook labels; a standalone neuron (layer None) has ``w_j`` and ``b``."""
        for j, w in enumerate(self.w, start=1):
            w.label = f"w_{j}" if layer is None else f"w^({layer})_{_subscript(i, j)}"
        if self.b is not None:
            self.b.label = "b" if layer is None else f"b^({layer})_{i}"

    def forward(self, x: Sequence[Any]) -> Value:
        _check_inputs(len(self.w), x)
        try:
            z = dot(self.w, x, self.b)  # one node: the textbook's z = Σ_j w_j·x_j + b
        except TypeError:
            _check_one_sample(x, "Neuron")
            raise
        return self._activate(z)

    def _activate(self, z: Value) -> Value:
        """φ(z) of this neuron's activation."""
        act = self.activation
        if act == "linear":
            return z
        if act == "relu":
            return z.relu()
        if act == "tanh":
            return z.tanh()
        if act == "sigmoid":
            return z.sigmoid()
        return z.leaky_relu(self.negative_slope)

    def set_weights(self, w: Sequence[float], b: float | None = None) -> None:
        """Set w (nin numbers) and b in place, keeping the same Value objects."""
        ws = _vector(w, len(self.w), "Neuron.set_weights: w")
        if (b is None) != (self.b is None):
            raise ValueError(
                "Neuron.set_weights: this neuron has a bias, pass b" if b is None
                else "Neuron.set_weights: this neuron has no bias (bias=False), b must be None"
            )
        for p, v in zip(self.w, ws):
            p.data = v
            mark_modified(p)
        if b is not None:
            self.b.data = check_number(b, "Neuron.set_weights: b")
            mark_modified(self.b)

    def extra_repr(self) -> str:
        text = f"in_features={len(self.w)}, activation={self.activation!r}"
        return text if self.b is not None else text + ", bias=False"


def _check_inputs(nin: int, x: Sequence[Any]) -> None:
    """Raise unless ``x`` holds the ``nin`` inputs a neuron reads."""
    # a whole batch is looked for only when x does not fit (this runs for every call)
    try:
        n = len(x)
    except TypeError:  # a lone number: say what a neuron reads, not "has no len()"
        raise TypeError(f"Neuron expects a list of {nin} inputs, got "
                        f"{type(x).__name__}") from None
    if n != nin:
        _check_one_sample(x, "Neuron")
        raise ValueError(f"Neuron expects {nin} inputs, got {n}")


def _forward_neurons(neurons: list, x: Sequence[Any]) -> list:
    """``[neuron(x) for neuron in neurons]`` (a layer): their dot nodes made together, so
    the inputs are read and checked once."""
    _check_inputs(len(neurons[0].w), x)
    acts = [neuron.activation for neuron in neurons]
    act = acts[0]
    same = act in _SAME_ACTIVATION and acts.count(act) == len(acts)  # the usual layer
    try:
        # one node per neuron: the textbook's z = Σ_j w_j·x_j + b, then its φ(z) if the
        # whole layer has the same φ
        zs = dots([neuron.w for neuron in neurons], x, [neuron.b for neuron in neurons],
                  _SAME_ACTIVATION[act] if same else None)
    except TypeError:
        _check_one_sample(x, "Neuron")
        raise
    if same:
        return zs
    return [neuron._activate(z) for neuron, z in zip(neurons, zs)]


# activations without a parameter, applied to a whole layer at once
_SAME_ACTIVATION = {"linear": None, "relu": ops.RELU, "tanh": ops.TANH, "sigmoid": ops.SIGMOID}


class Layer(Module):
    """nout neurons that all read the same nin inputs: a = φ(W·x + b), W of shape nout × nin.

    ``layer_index`` is the textbook's l of the layer feeding this one (1 = the input layer)
    and only affects labels: neuron i's weights are ``w^(l)_ij``, its bias ``b^(l)_i``.
    A layer of one neuron returns a Value, not a list (micrograd's convention). As in
    micrograd, the neurons are ReLU unless ``nonlin=False`` (linear) or ``activation=``.
    """

    _expand_children_in_repr = False

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str | None = None,
        bias: bool = True,
        seed: int | random.Random | None = None,
        layer_index: int = 1,
        **kwargs: Any,
    ) -> None:
        nout = positive_int(nout, "Layer: nout")
        rng = make_rng(seed)
        self.neurons = [
            Neuron(nin, activation=activation, bias=bias, seed=rng, **kwargs)
            for _ in range(nout)
        ]
        self.relabel(layer_index)

    def relabel(self, layer_index: int) -> None:
        """Label parameters as the connections from textbook layer ``layer_index``."""
        for i, n in enumerate(self.neurons, start=1):
            n._set_labels(layer_index, i)

    def forward(self, x: Sequence[Any]) -> Any:
        _check_one_sample(x, "Layer")
        neurons = self.neurons
        if list(map(type, neurons)).count(Neuron) == len(neurons):
            out = _forward_neurons(neurons, x)  # x read once for all neurons
        else:  # a subclass of Neuron may have its own forward
            out = [n(x) for n in neurons]
        return out[0] if len(out) == 1 else out

    def set_weights(self, W: Sequence[Sequence[float]], b: Sequence[float] | None = None) -> None:
        """Set W (nout rows of nin numbers) and b (nout numbers; None if bias=False)."""
        nout, nin = len(self.neurons), self.neurons[0].nin
        if hasattr(W, "tolist"):
            W = W.tolist()
        if not isinstance(W, (list, tuple)) or len(W) != nout:
            got = len(W) if isinstance(W, (list, tuple)) else type(W).__name__
            raise ValueError(f"Layer.set_weights: W must have {nout} rows (one per "
                             f"neuron) of {nin} numbers, got {got} rows")
        has_bias = self.neurons[0].b is not None
        if b is None and has_bias:
            raise ValueError("Layer.set_weights: this layer has biases, pass b")
        if b is not None and not has_bias:
            raise ValueError("Layer.set_weights: this layer has no bias (bias=False), "
                             "b must be None")
        rows = [_vector(row, nin, f"Layer.set_weights: W[{i}]") for i, row in enumerate(W)]
        bs = _vector(b, nout, "Layer.set_weights: b") if b is not None else [None] * nout
        for n, row, bi in zip(self.neurons, rows, bs):
            n.set_weights(row, bi)

    def get_weights(self) -> tuple[list[list[float]], list[float] | None]:
        """(W, b) as nested lists of floats; b is None for a layer without bias."""
        W = [[w.data for w in n.w] for n in self.neurons]
        b = [n.b.data for n in self.neurons] if self.neurons[0].b is not None else None
        return W, b

    def extra_repr(self) -> str:
        first = self.neurons[0]
        text = (f"in_features={first.nin}, out_features={len(self.neurons)}, "
                f"activation={first.activation!r}")
        return text if first.b is not None else text + ", bias=False"


class MLP(Module):
    """Layers nin → nouts[0] → … → nouts[-1]; micrograd's defaults: ReLU hidden, linear out.

    ``activation`` is used on the hidden layers, ``out_activation`` on the last one.
    """

    def __init__(
        self,
        nin: int,
        nouts: Sequence[int],
        activation: str = "relu",
        out_activation: str = "linear",
        bias: bool = True,
        seed: int | random.Random | None = None,
        **kwargs: Any,
    ) -> None:
        if isinstance(nouts, int) or not nouts:
            raise ValueError(f"MLP: nouts must be a non-empty list of layer sizes, got {nouts!r}")
        rng = make_rng(seed)
        sizes = [nin] + list(nouts)
        last = len(nouts) - 1
        self.layers = [
            Layer(sizes[k], sizes[k + 1], bias=bias, seed=rng, layer_index=k + 1,
                  activation=activation if k < last else out_activation, **kwargs)
            for k in range(len(nouts))
        ]

    @classmethod
    def from_weights(
        cls,
        weights: Sequence[tuple[Any, Any]],
        activation: str = "linear",
        out_activation: str | None = None,
        **kwargs: Any,
    ) -> "MLP":
        """An MLP with fixed weights ``[(W1, b1), (W2, b2), …]``, W_k of shape nout × nin.

        A ``b`` of None builds that layer without bias. ``out_activation=None`` uses
        ``activation`` in every layer, as the textbook's worked examples do.
        """
        if not weights:
            raise ValueError("MLP.from_weights: need at least one (W, b) pair")
        sizes = []
        for k, pair in enumerate(weights):
            if not isinstance(pair, (list, tuple)) or len(pair) != 2:
                raise ValueError(f"MLP.from_weights: entry {k} must be a pair (W, b)")
            W = pair[0].tolist() if hasattr(pair[0], "tolist") else pair[0]
            if not isinstance(W, (list, tuple)) or not W or not isinstance(W[0], (list, tuple)):
                raise ValueError(f"MLP.from_weights: W{k + 1} must be a non-empty list of rows")
            sizes.append((len(W[0]), len(W)))
        for k in range(1, len(sizes)):
            if sizes[k][0] != sizes[k - 1][1]:
                raise ValueError(
                    f"MLP.from_weights: W{k + 1} has {sizes[k][0]} columns but layer {k} has "
                    f"{sizes[k - 1][1]} outputs (W{k} has {sizes[k - 1][1]} rows)"
                )
        if out_activation is None:
            out_activation = activation
        last = len(sizes) - 1
        model = cls.__new__(cls)
        model.layers = [
            Layer(nin, nout, bias=weights[k][1] is not None, seed=0, layer_index=k + 1,
                  activation=activation if k < last else out_activation, **kwargs)
            for k, (nin, nout) in enumerate(sizes)
        ]
        model.set_weights(weights)
        return model

    def set_weights(self, weights: Sequence[tuple[Any, Any]]) -> None:
        """Set every layer from ``[(W1, b1), (W2, b2), …]``."""
        if len(weights) != len(self.layers):
            raise ValueError(f"MLP.set_weights: expected {len(self.layers)} (W, b) pairs, "
                             f"got {len(weights)}")
        for layer, (W, b) in zip(self.layers, weights):
            layer.set_weights(W, b)

    def get_weights(self) -> list[tuple[list[list[float]], list[float] | None]]:
        """``[(W1, b1), (W2, b2), …]`` as nested lists of floats."""
        return [layer.get_weights() for layer in self.layers]

    def forward(self, x: Sequence[Any]) -> Any:
        _check_one_sample(x, "MLP")
        for layer in self.layers:
            x = layer(x)
        return x


