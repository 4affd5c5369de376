"""The Module base: parameters found by walking attributes, state dicts, train/eval.

Works for Value and Tensor parameters alike; ``named_parameters()`` gives plain ASCII dotted
names (``layers.0.neurons.1.w.2``). ``make_rng`` and ``positive_int`` are the seed and size
checks every building block shares.
"""

from __future__ import annotations

import numbers
import random
from typing import Any, Iterator, NamedTuple


from ..core import autograd
from ..core.autograd import mark_modified
from ..core.checks import real_array, real_number
from ..core.value import Value

__all__ = ["Module", "IncompatibleKeys", "make_rng", "positive_int"]


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
        """The parameters of ``named_parameters()``, in its order, without their names."""
        if type(self).named_parameters is not Module.named_parameters:
            return [p for _, p in self.named_parameters()]
        found = _parameters_of(self)
        if len(set(map(id, found))) != len(found):  # a parameter shared by two modules
            seen: set[int] = set()
            found = [p for p in found if not (id(p) in seen or seen.add(id(p)))]
        return found

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
        cls = type(self)
        if cls.parameters is Module.parameters and cls.named_parameters is Module.named_parameters:
            params = _parameters_of(self)  # repeats of a shared parameter do no harm here
        else:
            params = list(self.parameters())
        for p in params:
            p.grad = 0.0 if p.__class__ is Value or isinstance(p, Value) else None
        if autograd.watch_zero_grad is not None:
            autograd.watch_zero_grad(params)

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
        items = _public(obj)
    elif isinstance(obj, (list, tuple)):
        items = [(str(i), v) for i, v in enumerate(obj)]
    elif isinstance(obj, dict):
        items = [(str(k), v) for k, v in obj.items()]
    else:
        return None
    return [(k, v) for k, v in items if isinstance(v, (Module, list, tuple, dict))
            or _is_parameter(v)]


def _parameters_of(module: "Module") -> list:
    """Every parameter under ``module`` in ``named_parameters()``'s order (depth first, in
    attribute order), repeats included, without building names: the walk of ``_children_of``
    with each container's children iterated in place."""
    found: list = []
    add = found.append
    stack = [iter(_walkable(module))]
    while stack:
        for v in stack[-1]:
            if v.__class__ is Value:  # most children: a parameter, no container
                add(v)
            elif v.__class__ in _PLAIN:  # settings such as an activation's name
                continue
            elif isinstance(v, (Module, list, tuple, dict)):
                stack.append(iter(_walkable(v)))
                break  # its children come before the siblings that follow it
            elif _is_parameter(v):
                add(v)
        else:
            stack.pop()
    return found


# built-in types that are never parameters nor containers
_PLAIN = frozenset({str, int, float, bool, type(None)})


def _public(module: "Module") -> list[tuple[str, Any]]:
    """A module's attributes that are walked: those whose name does not start with ``_``."""
    return [(k, v) for k, v in vars(module).items() if not k.startswith("_")]


def _walkable(obj: Any) -> Any:
    """The children of a module or container, as ``_children_of`` sees them (unfiltered)."""
    if isinstance(obj, Module):
        return [v for _, v in _public(obj)]
    return obj.values() if isinstance(obj, dict) else obj


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



def positive_int(n: Any, what: str) -> int:
    """``n`` as an int >= 1; ValueError starting with ``what`` otherwise."""
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"{what} must be a positive int, got {n!r}")
    return int(n)


def make_rng(seed: Any) -> Any:
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


