"""Which box a node is drawn in: one per neuron inside one per layer (or per Tensor module).

Boxes come from an ``nn`` model's parameters or, without one, from textbook labels
(``w^(l)_ij``, ``b^(l)_i``, ``z^(l)_i``, ``a^(l)_i``). A box is a key (layer, neuron);
layer 0 holds the boxes of Tensor modules, titled by the submodule's name. ``boxes`` is the
entry point.
"""

from __future__ import annotations

import re
from types import SimpleNamespace
from typing import Any

from ..core.ops import OPS, is_activation

# the activation ops' names, read from the op table
ACTIVATIONS = frozenset(op.name for op in OPS.values() if op.activation)


_PARAM_RE = re.compile(r"^([wbza])\^\{?\(?(\d+)\)?\}?_\{?(\d+)(?:,?\s*(\d+))?\}?$")


def _neuron_of_label(label: str) -> tuple[int, int, bool] | None:
    """(layer, neuron, is_parameter) from textbook labels; ``w^(l)_ij`` feeds neuron i.

    ``w^(l)_ij``/``b^(l)_i`` are parameters of neuron i in layer l (the layer these weights
    feed); ``z^(l+1)_i``/``a^(l+1)_i`` are that neuron's pre-activation and activation.
    """
    m = _PARAM_RE.match(label)
    if not m:
        return None
    kind, layer, first, second = m.group(1), int(m.group(2)), m.group(3), m.group(4)
    if kind == "w":
        neuron = int(first) if second is not None else int(first[0]) if len(first) == 2 else None
        return None if neuron is None else (layer, neuron, True)
    if kind == "b":
        return layer, int(first), True
    if second is not None or layer < 2:
        return None
    return layer - 1, int(first), False


def model_parameters(model: Any) -> tuple[dict[int, tuple[int, int]], dict]:
    """id(parameter) → (layer, neuron) for scalar nn models, and titles of other boxes.

    MLP.layers[k].neurons[i] is (k+1, i+1), so weights labelled ``w^(k+1)_i·`` agree.
    Other modules (Tensor layers): parameters grouped by the module that owns them, keys
    (0, k) titled by the module's name.
    """
    layers = getattr(model, "layers", None)
    if layers is None and hasattr(model, "neurons"):
        layers = [model]
    if layers is None and hasattr(model, "w"):
        layers = [SimpleNamespace(neurons=[model])]  # a lone neuron: layer 1, neuron 1
    found: dict[int, tuple[int, int]] = {}
    if layers is not None and all(hasattr(layer, "neurons") for layer in layers):
        for k, layer in enumerate(layers, 1):
            for i, neuron in enumerate(layer.neurons, 1):
                params = list(getattr(neuron, "w", []))
                if getattr(neuron, "b", None) is not None:
                    params.append(neuron.b)
                for p in params:
                    found[id(p)] = (k, i)
        return found, {}
    if not callable(getattr(model, "named_parameters", None)):
        raise TypeError(f"draw_graph: model must be an nn model (an MLP, Layer, Neuron or "
                        f"Module), got {type(model).__name__}: {model!r}"[:200])
    owners: dict[str, int] = {}
    for name, p in model.named_parameters():
        owner = name.rsplit(".", 1)[0] if "." in name else ""
        found[id(p)] = (0, owners.setdefault(owner, len(owners) + 1))
    return found, {(0, k): _module_title(model, owner) for owner, k in owners.items()}


def _submodule(model: Any, path: str) -> Any:
    """The submodule at a dotted path (``0``, ``encoder.1``); None when there is none."""
    obj = model
    try:
        for part in path.split(".") if path else []:
            obj = obj[int(part)] if part.isdigit() else getattr(obj, part)
    except (AttributeError, IndexError, KeyError, TypeError, ValueError):
        return None
    return obj


def _module_title(model: Any, path: str) -> str:
    """``0 (Linear)`` for the submodule at a dotted parameter-name prefix."""
    obj = _submodule(model, path)
    if obj is None:
        return path
    name = type(obj).__name__
    return f"{path} ({name})" if path else name


def _activation_after(model: Any, path: str) -> str | None:
    """``1 (Tanh)`` when the module after ``path`` in its Sequential has no parameters."""
    head, _, last = path.rpartition(".")
    if not last.isdigit():
        return None
    sibling = f"{head}.{int(last) + 1}" if head else str(int(last) + 1)
    obj = _submodule(model, sibling)
    params = getattr(obj, "parameters", None)
    if obj is None or not callable(params) or list(params()):
        return None
    return f"{sibling} ({type(obj).__name__})"


def pair_titles(order: list, where: dict, titles: dict, model: Any) -> dict:
    """Module boxes that also hold the activation after them: ``0 (Linear) → 1 (Tanh)``."""
    if model is None or not titles:
        return titles
    paths = {}
    for name, _ in model.named_parameters():
        paths.setdefault(name.rsplit(".", 1)[0] if "." in name else "", None)
    by_key = {}
    for node in order:
        key = where.get(id(node))
        if key is not None and key[0] == 0 and node._prev and is_activation(node._op):
            by_key[key] = True
    titled = dict(titles)
    for k, path in enumerate(paths, 1):
        key = (0, k)
        after = _activation_after(model, path) if by_key.get(key) else None
        if after and key in titled:
            outer, inner = titled[key]
            titled[key] = (outer, f"{inner} → {after}")
    return titled


def cluster_titles(where: dict, module_titles: dict) -> dict[tuple[int, int], tuple]:
    """key → (layer box title or None, neuron box title); layers numbered like the book.

    Weights ``w^(l)`` feed layer l+1 (the input is layer 1), so neuron (l, i) is drawn as
    "neuron i" inside "layer l+1"; the last layer is the output layer.
    """
    keys = set(where.values())
    last = max((k[0] for k in keys), default=0)
    titles = {}
    for key in keys:
        layer, i = key
        if layer == 0:
            titles[key] = (None, module_titles.get(key, f"module {i}"))
        else:
            role = "output" if layer == last else "hidden"
            titles[key] = (f"layer {layer + 1} ({role})", f"neuron {i}")
    return titles


def boxes(order: list, model: Any) -> tuple[dict[int, tuple[int, int]], dict]:
    """id(node) → its box (layer, neuron), and box → (layer title or None, box title)."""
    params, module_titles = model_parameters(model) if model is not None else ({}, {})
    where = assign_neurons(order, params)
    return where, pair_titles(order, where, cluster_titles(where, module_titles), model)


def assign_neurons(order: list, params: dict[int, tuple[int, int]]) -> dict[int, tuple[int, int]]:
    """id(node) → (layer, neuron) for parameters and the nodes each neuron computes.

    A neuron computes: the nodes that read one of its parameters directly (the dot product,
    ``+ b``), then at most one activation right after them. Nodes named by textbook labels
    (``z^(2)_1``, ``a^(2)_1``) are placed by their label.
    """
    where: dict[int, tuple[int, int]] = {}
    pre: set[int] = set()
    for node in order:
        key = params.get(id(node))
        if key is not None:
            where[id(node)] = key
            continue
        parsed = _neuron_of_label(getattr(node, "label", "") or "")
        if parsed is not None and (parsed[2] or node._prev):
            where[id(node)] = parsed[:2]
            if parsed[2] or not is_activation(node._op):
                pre.add(id(node))
            continue
        if not node._prev:
            continue
        owners = {where[id(p)] for p in node._prev if id(p) in where and not p._prev}
        if len(owners) == 1:
            where[id(node)] = owners.pop()
            pre.add(id(node))
        elif is_activation(node._op) and len(node._prev) == 1 and id(node._prev[0]) in pre:
            where[id(node)] = where[id(node._prev[0])]
    return where
