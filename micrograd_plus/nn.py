"""Neural-network building blocks: the Module base and scalar Neuron / Layer / MLP / Dropout.

``MLP(nin, nouts)`` with no keywords behaves like micrograd's: ReLU on hidden layers, a
linear output layer, weights drawn from ``random.uniform(-1, 1)`` (the global generator
unless ``seed=`` is given). A neuron's pre-activation is one ``dot`` node, so a neuron adds a
few graph nodes, not 2·nin.

Parameters carry the textbook's labels (WORKED_EXAMPLES.md §3): ``w^(l)_ij`` is the weight
from neuron j of layer l to neuron i of layer l+1 (the input layer is l = 1) and ``b^(l)_i``
the bias of that neuron i. ``named_parameters()`` gives plain ASCII dotted names instead,
e.g. ``layers.0.neurons.1.w.2``. The Module base works for Value and Tensor parameters alike.
"""

from __future__ import annotations

import math
import numbers
import random
from typing import Any, Iterator, NamedTuple, Sequence

import numpy as np

from .core.autograd import mark_modified
from .core.checks import check_number, real_array, real_number
from .core.tensor import Tensor
from .core.tensor import linear as _linear
from .core.value import Value, dot, dots

__all__ = ["Module", "Neuron", "Layer", "MLP", "Dropout", "ACTIVATIONS",
           "Linear", "Sequential", "Tanh", "ReLU", "Sigmoid", "LeakyReLU"]


# ---- Module base ----------------------------------------------------------------------------


class IncompatibleKeys(NamedTuple):
    """What ``load_state_dict(strict=False)`` skipped, as in PyTorch."""

    missing_keys: list
    unexpected_keys: list


class Module:
    """Base class. Parameters and submodules are found by walking public attributes.

    An attribute counts when it is a Value, a Tensor (anything with ``requires_grad`` and
    ``grad``), a Module, or a list/tuple/dict of those. Attributes whose name starts with
    ``_`` are private (caches, random generators) and are never walked.
    """

    training: bool = True

    # -- walking ---------------------------------------------------------------------------
    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """(dotted name, parameter) pairs in a stable order, e.g. ``layers.0.neurons.1.w.2``.

        The order is attribute-definition order, depth first; a parameter shared by two
        modules is reported once, under its first name.
        """
        seen: set[int] = set()
        stack: list[tuple[str, Any]] = [(prefix, self)]
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

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        """(dotted name, module) for this module ('') and every submodule, depth first."""
        seen: set[int] = set()
        stack: list[tuple[str, Any]] = [(prefix, self)]
        while stack:
            name, obj = stack.pop()
            if isinstance(obj, Module):
                if id(obj) in seen:
                    continue
                seen.add(id(obj))
                yield name, obj
            children = _children_of(obj) or []
            for child_name, child in reversed(children):
                if isinstance(child, (Module, list, tuple, dict)):
                    stack.append((f"{name}.{child_name}" if name else child_name, child))

    def modules(self) -> list["Module"]:
        """This module and every submodule, depth first."""
        return [m for _, m in self.named_modules()]

    # -- training helpers ------------------------------------------------------------------
    def zero_grad(self) -> None:
        """Reset every parameter's gradient: 0.0 for a Value, None for a Tensor (PyTorch)."""
        for p in self.parameters():
            p.grad = 0.0 if isinstance(p, Value) else None

    def num_parameters(self) -> int:
        """Number of scalar parameters (a Tensor counts its elements)."""
        return sum(int(getattr(p.data, "size", 1)) for p in self.parameters())

    def train(self, mode: bool = True) -> "Module":
        """Set training mode on this module and every submodule (Dropout is active)."""
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self) -> "Module":
        """Evaluation mode: ``train(False)`` (Dropout passes inputs through)."""
        return self.train(False)

    # -- state -----------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """{name: value} copies: a float per Value parameter, a numpy array per Tensor one."""
        state: dict[str, Any] = {}
        for name, p in self.named_parameters():
            state[name] = float(p.data) if isinstance(p, Value) else p.data.copy()
        return state

    def load_state_dict(self, state: dict[str, Any], strict: bool = True) -> IncompatibleKeys:
        """Copy values from ``state`` into the parameters, in place.

        Every name and shape is checked before anything is written, so a failed load leaves
        the module unchanged. With ``strict=True`` missing or unexpected names raise
        KeyError; with ``strict=False`` they are skipped and returned. Values are plain
        numbers and arrays: nothing is unpickled or evaluated.
        """
        if not isinstance(state, dict):
            raise TypeError(f"load_state_dict expects a dict, got {type(state).__name__}")
        params = dict(self.named_parameters())
        missing = [k for k in params if k not in state]
        unexpected = [k for k in state if k not in params]
        if strict and (missing or unexpected):
            parts = []
            if missing:
                parts.append(f"missing keys {missing}")
            if unexpected:
                parts.append(f"unexpected keys {unexpected}")
            raise KeyError(
                f"load_state_dict for {type(self).__name__}: {' and '.join(parts)}"
            )
        updates = [(params[k], _checked_state_value(k, params[k], state[k]))
                   for k in params if k in state]
        for p, value in updates:
            if isinstance(p, Value):
                p.data = value
            else:
                p.data[...] = value
            mark_modified(p)
        return IncompatibleKeys(missing, unexpected)

    # -- calling and display ---------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward()")

    def extra_repr(self) -> str:
        """The text inside ``Name(...)`` of this module's one-line summary."""
        return ""

    # A module whose summary already says everything (a Layer's neurons) sets this False.
    _expand_children_in_repr = True

    def __repr__(self) -> str:
        """PyTorch-style: ``Name(extra)`` then each child module on its own indented line."""
        head = f"{type(self).__name__}({self.extra_repr()}"
        lines = []
        if self._expand_children_in_repr:
            for name, child in _children_of(self) or []:
                if isinstance(child, Module):
                    lines.append(f"({name}): {child!r}")
                elif isinstance(child, (list, tuple)) and child and all(
                    isinstance(c, Module) for c in child
                ):
                    items = [_indent(f"({i}): {c!r}") for i, c in enumerate(child)]
                    lines.append(f"({name}): [\n" + "\n".join(items) + "\n]")
        if not lines:
            return head + ")"
        body = "\n".join(_indent(line) for line in lines)
        return f"{head}\n{body}\n)"


def _indent(text: str) -> str:
    """Every line of ``text`` indented by two spaces."""
    return "  " + text.replace("\n", "\n  ")


def _children_of(obj: Any) -> list[tuple[str, Any]] | None:
    """Named walkable children of a container, or None when ``obj`` is a parameter."""
    if isinstance(obj, Module):
        items = [(k, v) for k, v in vars(obj).items() if not k.startswith("_")]
    elif isinstance(obj, (list, tuple)):
        items = [(str(i), v) for i, v in enumerate(obj)]
    elif isinstance(obj, dict):
        items = [(str(k), v) for k, v in obj.items()]
    else:
        return None
    return [(k, v) for k, v in items if isinstance(v, (Module, list, tuple, dict))
            or _is_parameter(v)]


def _is_parameter(v: Any) -> bool:
    return isinstance(v, Value) or (
        hasattr(v, "requires_grad") and hasattr(v, "grad") and hasattr(v, "data")
    )


def _checked_state_value(name: str, p: Any, value: Any) -> Any:
    """``value`` converted for parameter ``p``, or a clear error naming the key."""
    if isinstance(p, Value):
        if getattr(value, "ndim", 0) == 0 and hasattr(value, "item"):
            value = value.item()  # numpy scalar or 0-d array
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            shape = getattr(value, "shape", None)
            what = f"an array of shape {tuple(shape)}" if shape is not None else (
                f"{type(value).__name__} {value!r}")
            raise ValueError(
                f"load_state_dict: '{name}' is a scalar Value parameter but the state holds "
                f"{what}"
            )
        return real_number(f"load_state_dict: '{name}'", value)
    return real_array(f"load_state_dict: '{name}'", value, p.data)


# ---- scalar layers --------------------------------------------------------------------------

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


def _positive_int(n: Any, what: str) -> int:
    """``n`` as an int >= 1; ValueError starting with ``what`` otherwise."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"{what} must be a positive int, got {n!r}")
    return int(n)


def _make_rng(seed: Any) -> Any:
    """A generator from ``seed``: an int, a ``random.Random`` (shared), or None.

    None uses the global ``random`` module, as micrograd does, so ``random.seed(1337)``
    before building a model reproduces micrograd's initial weights.
    """
    if seed is None:
        return random
    if seed is random or isinstance(seed, random.Random):
        return seed
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise TypeError(f"seed must be an int, a random.Random or None, got {seed!r}")
    return random.Random(seed)


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
        nin = _positive_int(nin, "Neuron: nin")
        self.activation = _resolve_activation(nonlin, activation)
        self.negative_slope = check_number(negative_slope, "negative_slope")
        rng = _make_rng(seed)
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
    try:
        # one node per neuron: the textbook's z = Σ_j w_j·x_j + b
        zs = dots([neuron.w for neuron in neurons], x, [neuron.b for neuron in neurons])
    except TypeError:
        _check_one_sample(x, "Neuron")
        raise
    acts = [neuron.activation for neuron in neurons]
    act = acts[0]
    if act in _SAME_ACTIVATION and acts.count(act) == len(acts):  # the usual layer
        return zs if act == "linear" else list(map(_SAME_ACTIVATION[act], zs))
    return [neuron._activate(z) for neuron, z in zip(neurons, zs)]


# activations without a parameter, applied to a whole layer at once
_SAME_ACTIVATION = {"linear": None, "relu": Value.relu, "tanh": Value.tanh,
                    "sigmoid": Value.sigmoid}


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
        nout = _positive_int(nout, "Layer: nout")
        rng = _make_rng(seed)
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
        rng = _make_rng(seed)
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
        self._rng = _make_rng(seed)

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


# ---- Tensor layers --------------------------------------------------------------------------
# They reuse Module (parameters found by the attribute walk) and the Tensor ops; Dropout above
# already handles Tensor inputs.


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
        in_features = _positive_int(in_features, "Linear: in_features")
        out_features = _positive_int(out_features, "Linear: out_features")
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
