"""Optimizers with torch.optim's update rules and defaults.

A parameter is anything with ``.data`` and ``.grad``: a ``Value`` (data and grad are floats)
or a ``Tensor`` (data is an ndarray, updated in place; grad is an ndarray, or None to skip
the parameter, as in PyTorch). Each rule is written once with ``+ - * /`` so it runs on
Python floats (fast per-scalar math for Values) and on ndarrays alike. Arithmetic follows
the order PyTorch uses, so trajectories agree with ``torch.optim`` (float64) step for step.

    opt = optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(steps):
        opt.zero_grad(); loss = ...; loss.backward(); opt.step()
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Callable, Iterable

import numpy as np

from ..core import tensor as _tensor
from ..core import autograd
from ..core.autograd import Node, enable_grad, mark_modified
from ..core.checks import real_array, real_number

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]


# -- arithmetic that works on floats and ndarrays ---------------------------------------------

def _copy(x: Any) -> Any:
    return x if x is None or isinstance(x, numbers.Number) else x.copy()


def _full_like(data: Any, fill: float) -> Any:
    return float(fill) if isinstance(data, numbers.Number) else np.full_like(data, fill)


def _sqrt(x: Any) -> Any:
    if not isinstance(x, numbers.Number):
        return np.sqrt(x)
    return math.sqrt(x) if x >= 0 else math.nan  # NaN like torch.sqrt, not a ValueError


def _maximum(a: Any, b: Any) -> Any:
    if isinstance(a, numbers.Number) and isinstance(b, numbers.Number):
        return a if a >= b else b
    return np.maximum(a, b)


def _lerp(a: Any, b: Any, w: float) -> Any:
    """a + w·(b − a), in torch.lerp's two forms (the second is more accurate for w ≥ ½)."""
    if abs(w) < 0.5:
        return a + w * (b - a)
    return b - (b - a) * (1 - w)


def _is_parameter(p: Any) -> bool:
    return hasattr(p, "data") and hasattr(p, "grad")


def _write(p: Any, new: Any) -> None:
    """Store the updated data: in place for arrays (views and references stay valid)."""
    data = p.data
    if isinstance(data, np.ndarray):
        data[...] = new
    else:
        p.data = new
    mark_modified(p)  # a backward pass through a graph that used the old data now raises


def _is_index(k: Any) -> bool:
    return isinstance(k, numbers.Integral) and not isinstance(k, bool) and k >= 0


def _saved_index(key: Any) -> int | None:
    """A state key as a parameter index: an int, or its decimal text (JSON keys are text)."""
    if _is_index(key):
        return int(key)
    if isinstance(key, str) and key.isascii() and key.isdigit() and str(int(key)) == key:
        return int(key)
    return None


def _count(what: str, value: Any) -> int:
    """A saved step count: an int >= 0 (an integral float such as torch's 3.0 is accepted)."""
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{what} must be an int (a step count), got "
                        f"{type(value).__name__} {value!r:.40}")
    if value < 0:
        raise ValueError(f"{what} must be >= 0, got {value}")
    return int(value)


# -- hyper-parameter checks ----------------------------------------------------------------

def _number(owner: str, name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a real number, got {value!r}")
    return value


def at_least(owner: str, name: str, value: Any, low: float = 0.0) -> None:
    """A hyper-parameter check (optimizers and schedulers): ``value`` a number >= ``low``."""
    if not _number(owner, name, value) >= low:  # `not >=` also rejects NaN
        raise ValueError(f"{owner}: invalid {name}={value!r} (must be >= {low})")


def _in_unit(owner: str, name: str, value: Any, closed: bool = False) -> None:
    v = _number(owner, name, value)
    ok = 0.0 <= v <= 1.0 if closed else 0.0 <= v < 1.0
    if not ok:
        interval = "[0, 1]" if closed else "[0, 1)"
        raise ValueError(f"{owner}: invalid {name}={value!r} (must be in {interval})")


# -- optimizers ------------------------------------------------------------------------------

class Optimizer:
    """Base class: parameter groups (dicts with 'params' and hyper-parameters, like torch),
    per-parameter ``state``, ``step()``, ``zero_grad()``, ``state_dict()``.

    Subclasses define ``_check(group)`` (validation) and ``_update(data, grad, state, group)``
    returning the new data.
    """

    def __init__(self, params: Iterable[Any] | Iterable[dict], defaults: dict) -> None:
        self.defaults = dict(defaults)
        self.param_groups: list[dict] = []
        self.state: dict[Any, dict] = {}
        name = type(self).__name__
        if _is_parameter(params) or isinstance(params, (dict, str)) or not hasattr(
            params, "__iter__"
        ):
            hint = "; did you mean model.parameters()?" if hasattr(params, "parameters") else ""
            raise TypeError(
                f"{name}: params must be an iterable of parameters (or of dicts), "
                f"got {type(params).__name__}{hint}"
            )
        if isinstance(params, set):
            raise TypeError(f"{name}: params must be an ordered collection, not a set")
        groups = list(params)
        if not groups:
            raise ValueError(f"{name} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group; missing hyper-parameters come from the optimizer's defaults."""
        name = type(self).__name__
        if not isinstance(param_group, dict) or "params" not in param_group:
            raise TypeError(f"{name}: a parameter group must be a dict with a 'params' entry")
        params = param_group["params"]
        if _is_parameter(params):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(f"{name}: params must be an ordered collection, not a set")
        else:
            params = list(params)
        if not params:
            raise ValueError(f"{name} got an empty parameter list")
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        for i, p in enumerate(params):
            if not _is_parameter(p):
                raise TypeError(
                    f"{name}: params[{i}] is a {type(p).__name__}, not a parameter "
                    "(an object with .data and .grad, such as a Value or a Tensor)"
                )
            if isinstance(p.data, bool) or not isinstance(p.data, (numbers.Real, np.ndarray)):
                raise TypeError(
                    f"{name}: params[{i}].data must be a float or an ndarray, "
                    f"got {type(p.data).__name__}"
                )
            if getattr(p, "is_leaf", True) is False:
                raise ValueError(
                    f"{name}: params[{i}] is not a leaf (it was computed by an op); "
                    "optimize the leaves it was computed from"
                )
            if id(p) in seen:
                raise ValueError(f"{name}: params[{i}] appears more than once")
            seen.add(id(p))
        group = {**self.defaults, **param_group, "params": params}
        self._check(group)
        self.param_groups.append(group)

    def _check(self, group: dict) -> None:
        raise NotImplementedError

    def _update(self, data: Any, grad: Any, state: dict, group: dict) -> Any:
        raise NotImplementedError

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """One update of every parameter whose grad is not None; returns closure() if given.

        All-or-nothing: every new value and state is computed first and written only when
        all of them succeeded, so an error (a bad grad, a corrupted state) changes nothing.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        if _tensor.recorder is not None:  # micrograd_plus.trace is recording this step
            _tensor.recorder.optimizer_step(self)
        updates = []
        index = 0
        for group in self.param_groups:
            for p in group["params"]:
                index += 1
                grad = p.grad
                if grad is None or getattr(p, "requires_grad", True) is False:
                    continue  # no gradient this step: leave it (and its state) alone, as torch
                if isinstance(grad, Node):  # a gradient with a graph (create_graph=True):
                    grad = grad.data  # its numbers, as torch's step (under no_grad) uses
                data = p.data
                grad = self._checked_grad(index - 1, data, grad)
                state = dict(self.state.get(p, {}))  # a copy, written back at the end
                new = self._update(data, grad, state, group)
                updates.append((p, self._checked_new(index - 1, data, new), state))
        for p, new, state in updates:
            _write(p, new)
            kept = self.state.setdefault(p, {})
            kept.clear()
            kept.update(state)
        return loss

    def _checked_grad(self, index: int, data: Any, grad: Any) -> Any:
        """``grad`` if it fits parameter ``index`` (a number, or an array of data's shape)."""
        name = type(self).__name__
        if isinstance(data, np.ndarray):
            if np.shape(grad) != data.shape:
                raise ValueError(
                    f"{name}: grad of shape {np.shape(grad)} does not match parameter data "
                    f"of shape {data.shape} (parameter {index})"
                )
            kind = np.asarray(grad).dtype.kind
            if kind not in "iuf":
                raise TypeError(f"{name}: grad of parameter {index} holds "
                                f"{np.asarray(grad).dtype}, not real numbers")
            return grad
        if getattr(grad, "ndim", None) == 0 and hasattr(grad, "item"):
            grad = grad.item()
        if isinstance(grad, bool) or not isinstance(grad, numbers.Real):
            raise TypeError(f"{name}: grad of parameter {index} must be a real number, got "
                            f"{type(grad).__name__}")
        return grad

    def _checked_new(self, index: int, data: Any, new: Any) -> Any:
        """The updated data, converted now so that writing it cannot fail."""
        if isinstance(data, np.ndarray):
            new = np.asarray(new)
            if new.shape != data.shape or new.dtype.kind not in "iuf":
                raise TypeError(f"{type(self).__name__}: the update of parameter {index} is "
                                f"{new.dtype} of shape {new.shape}, not real numbers of shape "
                                f"{data.shape}")
            return new
        return float(new)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Value grads become 0.0; array grads become None (or zeros, set_to_none=False)."""
        for group in self.param_groups:
            for p in group["params"]:
                g = p.grad
                if isinstance(g, Node) and not isinstance(g.data, np.ndarray):
                    p.grad = 0.0  # a Value gradient with a graph (create_graph=True)
                elif isinstance(g, (np.ndarray, Node)):
                    if set_to_none:
                        p.grad = None
                    elif isinstance(g, Node):  # a Tensor gradient with a graph: drop it
                        p.grad = np.zeros_like(g.data)
                    else:
                        g[...] = 0.0
                elif g is not None:
                    p.grad = 0.0
        if autograd.watch_zero_grad is not None:
            autograd.watch_zero_grad([p for group in self.param_groups for p in group["params"]])

    def state_dict(self) -> dict:
        """{'state': {index: {...}}, 'param_groups': [{..., 'params': [indices]}]}, as torch."""
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = [index.setdefault(id(p), len(index)) for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: {k: _copy(v) for k, v in s.items()} for p, s in self.state.items()
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyper-parameters and state saved by ``state_dict()``.

        Every entry is checked before anything changes: the layout, each group's
        hyper-parameters, and each state value's type and shape (an array state must match
        its parameter's shape; a count such as 'step' is an int >= 0). A state that went
        through JSON (string keys such as '0', lists for arrays) loads as well.
        """
        name = type(self).__name__
        if not isinstance(state_dict, dict):
            raise TypeError(f"{name}: load_state_dict expects a dict with keys 'state' and "
                            f"'param_groups', got {type(state_dict).__name__}")
        if set(state_dict) != {"state", "param_groups"}:
            raise ValueError(f"{name}: expected a dict with keys 'state' and 'param_groups', "
                             f"got keys {sorted(map(repr, state_dict))}")
        saved = state_dict["param_groups"]
        layout_ok = isinstance(state_dict["state"], dict) and isinstance(saved, (list, tuple))
        if not (layout_ok and all(isinstance(g, dict) and "params" in g for g in saved)):
            raise ValueError(f"{name}: 'param_groups' must be a list of dicts with 'params' "
                             "and 'state' a dict, as state_dict() makes them")
        if len(saved) != len(self.param_groups):
            raise ValueError(
                f"{name}: state_dict has {len(saved)} parameter groups, "
                f"the optimizer has {len(self.param_groups)}"
            )
        where = f"{name}: load_state_dict:"
        by_index: dict[int, tuple[Any, dict]] = {}
        groups = []
        for i, (mine, theirs) in enumerate(zip(self.param_groups, saved)):
            indices = theirs["params"]
            if not isinstance(indices, (list, tuple)) or not all(
                _is_index(k) and k not in by_index for k in indices
            ) or len(set(indices)) != len(indices):
                raise ValueError(f"{where} param_groups[{i}]['params'] must be a list of "
                                 f"parameter indices (distinct ints), got {indices!r:.60}")
            if len(indices) != len(mine["params"]):
                raise ValueError(
                    f"{name}: parameter group {i} has {len(mine['params'])} parameters, "
                    f"the state_dict's has {len(indices)}"
                )
            missing = [k for k in self.defaults if k not in theirs]
            if missing:
                raise ValueError(f"{where} param_groups[{i}] is missing "
                                 f"{', '.join(map(repr, missing))}")
            group = {**theirs, "params": mine["params"]}
            self._check(group)
            groups.append(group)
            for k, p in zip(indices, mine["params"]):
                by_index[int(k)] = (p, group)
        new_state = {}
        given: dict[int, Any] = {}
        for key, entries in state_dict["state"].items():
            idx = _saved_index(key)
            if idx not in by_index:
                raise ValueError(f"{where} state has an entry for unknown parameter {key!r}")
            if idx in given:
                raise ValueError(f"{where} state has two entries for parameter {idx}: "
                                 f"{given[idx]!r} and {key!r}")
            given[idx] = key
            p, group = by_index[idx]
            new_state[p] = self._checked_state(f"{where} state[{key!r}]", p, group, entries)
        for mine, group in zip(self.param_groups, groups):
            mine.clear()
            mine.update(group)
        self.state = new_state

    # What a parameter's state holds once it has been stepped, for the given group:
    # {key: "count"} for an int >= 0, {key: "like"} for a number or an array like the
    # parameter's data, {key: "optional"} for "like" or None. Subclasses say.
    def _state_spec(self, group: dict) -> dict[str, str]:
        return {}

    def _checked_state(self, where: str, p: Any, group: dict, entries: Any) -> dict:
        """A checked copy of one parameter's saved state (empty: not stepped yet)."""
        if not isinstance(entries, dict):
            raise TypeError(f"{where} must be a dict, got {type(entries).__name__}")
        if not entries:
            return {}
        spec = self._state_spec(group)
        required = [k for k, kind in spec.items() if kind != "optional"]
        missing = [k for k in required if k not in entries]
        if missing:
            raise ValueError(f"{where} is missing {', '.join(map(repr, missing))}")
        unknown = [k for k in entries if k not in spec]
        if unknown:
            raise ValueError(f"{where} has unknown entries {unknown} (expected "
                             f"{sorted(spec)} for these hyper-parameters)")
        checked = {}
        for key, value in entries.items():
            what = f"{where}[{key!r}]"
            if spec[key] == "count":
                checked[key] = _count(what, value)
            elif value is None and spec[key] == "optional":
                checked[key] = None
            elif isinstance(p.data, np.ndarray):
                checked[key] = real_array(what, value, p.data)
            else:
                checked[key] = real_number(what, value)
        return checked

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {group[k]}" for k in sorted(group) if k != "params"]
        return "\n".join(lines + [")"])


class SGD(Optimizer):
    """p ← p − lr·g, with g = ∇ + wd·p and momentum b ← μ·b + (1 − dampening)·g (torch).

    Nesterov uses g + μ·b. ``nesterov`` and ``weight_decay`` are keyword-only because
    torch's positional order (…, weight_decay, nesterov) differs from this project's.
    """

    def __init__(self, params: Iterable[Any], lr: float = 1e-3, momentum: float = 0,
                 dampening: float = 0, *, nesterov: bool = False,
                 weight_decay: float = 0) -> None:
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      nesterov=nesterov, weight_decay=weight_decay))

    def _check(self, group: dict) -> None:
        at_least("SGD", "lr", group["lr"])
        at_least("SGD", "momentum", group["momentum"])
        _number("SGD", "dampening", group["dampening"])
        at_least("SGD", "weight_decay", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("SGD: nesterov=True requires momentum > 0 and dampening = 0")

    def _state_spec(self, group: dict) -> dict[str, str]:
        return {"momentum_buffer": "optional"}  # torch saves None when momentum = 0

    def _update(self, data: Any, grad: Any, state: dict, group: dict) -> Any:
        momentum, wd = group["momentum"], group["weight_decay"]
        if wd != 0:
            grad = grad + wd * data
        if momentum != 0:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = _copy(grad)  # a copy: p.grad may later be accumulated into in place
            else:
                buf = buf * momentum + (1 - group["dampening"]) * grad
            state["momentum_buffer"] = buf
            grad = grad + momentum * buf if group["nesterov"] else buf
        return data - group["lr"] * grad


class Adam(Optimizer):
    """m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², p ← p − lr/(1−β1ᵗ) · m/(√v/√(1−β2ᵗ) + ε).

    ``weight_decay`` adds wd·p to g (L2); AdamW decays p directly. ``amsgrad`` uses max(v).
    """

    _decoupled = False

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 0, amsgrad: bool = False) -> None:
        super().__init__(params, dict(lr=lr, betas=betas, eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad))

    def _check(self, group: dict) -> None:
        name = type(self).__name__
        at_least(name, "lr", group["lr"])
        betas = group["betas"]
        if not isinstance(betas, (tuple, list)) or len(betas) != 2:
            raise TypeError(f"{name}: betas must be a pair (beta1, beta2), got {betas!r}")
        group["betas"] = tuple(betas)
        _in_unit(name, "betas[0]", betas[0])
        _in_unit(name, "betas[1]", betas[1])
        at_least(name, "eps", group["eps"])
        at_least(name, "weight_decay", group["weight_decay"])

    def _state_spec(self, group: dict) -> dict[str, str]:
        spec = {"step": "count", "exp_avg": "like", "exp_avg_sq": "like"}
        if group["amsgrad"]:
            spec["max_exp_avg_sq"] = "like"
        return spec

    def _update(self, data: Any, grad: Any, state: dict, group: dict) -> Any:
        lr, wd, eps = group["lr"], group["weight_decay"], group["eps"]
        beta1, beta2 = group["betas"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = _full_like(data, 0.0)
            state["exp_avg_sq"] = _full_like(data, 0.0)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = _full_like(data, 0.0)
        step = state["step"] = state["step"] + 1
        if wd != 0:
            if self._decoupled:
                data = data * (1 - lr * wd)
            else:
                grad = grad + wd * data
        exp_avg = state["exp_avg"] = _lerp(state["exp_avg"], grad, 1 - beta1)
        exp_avg_sq = state["exp_avg_sq"] = state["exp_avg_sq"] * beta2 + (1 - beta2) * grad * grad
        step_size = lr / (1 - beta1**step)
        bias_correction2_sqrt = (1 - beta2**step) ** 0.5
        if group["amsgrad"]:
            exp_avg_sq = state["max_exp_avg_sq"] = _maximum(state["max_exp_avg_sq"], exp_avg_sq)
        denom = _sqrt(exp_avg_sq) / bias_correction2_sqrt + eps
        return data - step_size * exp_avg / denom


class AdamW(Adam):
    """Adam with decoupled weight decay: p ← p·(1 − lr·wd) before the Adam step."""

    _decoupled = True

    def __init__(self, params: Iterable[Any], lr: float = 1e-3,
                 betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-8,
                 weight_decay: float = 1e-2, amsgrad: bool = False) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad)


class RMSprop(Optimizer):
    """v ← α·v + (1−α)·g², p ← p − lr·g/(√v + ε); centered subtracts the mean grad², and
    momentum accumulates b ← μ·b + g/(√v + ε), p ← p − lr·b."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, alpha: float = 0.99,
                 eps: float = 1e-8, weight_decay: float = 0, momentum: float = 0,
                 centered: bool = False) -> None:
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered))

    def _check(self, group: dict) -> None:
        at_least("RMSprop", "lr", group["lr"])
        _in_unit("RMSprop", "alpha", group["alpha"], closed=True)
        at_least("RMSprop", "eps", group["eps"])
        at_least("RMSprop", "weight_decay", group["weight_decay"])
        at_least("RMSprop", "momentum", group["momentum"])

    def _state_spec(self, group: dict) -> dict[str, str]:
        spec = {"step": "count", "square_avg": "like"}
        if group["momentum"] > 0:
            spec["momentum_buffer"] = "like"
        if group["centered"]:
            spec["grad_avg"] = "like"
        return spec

    def _update(self, data: Any, grad: Any, state: dict, group: dict) -> Any:
        alpha, wd, momentum = group["alpha"], group["weight_decay"], group["momentum"]
        if not state:
            state["step"] = 0
            state["square_avg"] = _full_like(data, 0.0)
            if momentum > 0:
                state["momentum_buffer"] = _full_like(data, 0.0)
            if group["centered"]:
                state["grad_avg"] = _full_like(data, 0.0)
        state["step"] += 1
        if wd != 0:
            grad = grad + wd * data
        square_avg = state["square_avg"] = state["square_avg"] * alpha + (1 - alpha) * grad * grad
        if group["centered"]:
            grad_avg = state["grad_avg"] = _lerp(state["grad_avg"], grad, 1 - alpha)
            avg = _sqrt(square_avg - grad_avg * grad_avg) + group["eps"]
        else:
            avg = _sqrt(square_avg) + group["eps"]
        if momentum > 0:
            buf = state["momentum_buffer"] = state["momentum_buffer"] * momentum + grad / avg
            return data - group["lr"] * buf
        return data - group["lr"] * grad / avg


class Adagrad(Optimizer):
    """s ← s + g², p ← p − lr/(1 + (t−1)·lr_decay) · g/(√s + ε)."""

    def __init__(self, params: Iterable[Any], lr: float = 1e-2, lr_decay: float = 0,
                 weight_decay: float = 0, initial_accumulator_value: float = 0,
                 eps: float = 1e-10) -> None:
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps))

    def _check(self, group: dict) -> None:
        for key in ("lr", "lr_decay", "weight_decay", "initial_accumulator_value", "eps"):
            at_least("Adagrad", key, group[key])

    def _state_spec(self, group: dict) -> dict[str, str]:
        return {"step": "count", "sum": "like"}

    def _update(self, data: Any, grad: Any, state: dict, group: dict) -> Any:
        if not state:
            state["step"] = 0
            state["sum"] = _full_like(data, group["initial_accumulator_value"])
        step = state["step"] = state["step"] + 1
        if group["weight_decay"] != 0:
            grad = grad + group["weight_decay"] * data
        clr = group["lr"] / (1 + (step - 1) * group["lr_decay"])
        total = state["sum"] = state["sum"] + grad * grad
        return data - clr * grad / (_sqrt(total) + group["eps"])


