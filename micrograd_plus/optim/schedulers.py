"""Learning-rate schedulers with torch.optim.lr_scheduler's rules: StepLR (with an optional
floor ``min_lr``), ExponentialLR, CosineAnnealingLR, LambdaLR.

    sched = optim.StepLR(opt, step_size=50, gamma=0.9, min_lr=8e-4)
    for _ in range(steps):
        ...; opt.step(); sched.step()
"""

from __future__ import annotations

import copy
import math
import numbers
from typing import Any, Callable, Sequence

from .optimizers import Optimizer, at_least

__all__ = ["LRScheduler", "StepLR", "ExponentialLR", "CosineAnnealingLR", "LambdaLR"]


def _require_optimizer(owner: str, optimizer: Any) -> None:
    if not isinstance(optimizer, Optimizer):
        raise TypeError(
            f"{owner}: expected a micrograd_plus.optim optimizer, got {type(optimizer).__name__}"
        )


def _per_group(owner: str, what: str, value: Any, optimizer: Optimizer) -> list:
    """``value`` for each parameter group: one shared value, or a list with one per group."""
    n = len(optimizer.param_groups)
    values = list(value) if isinstance(value, (list, tuple)) else [value] * n
    if len(values) != n:
        raise ValueError(f"{owner}: got {len(values)} {what} for {n} parameter groups")
    return values


class LRScheduler:
    """Base class: call ``step()`` after ``optimizer.step()``; it rewrites each group's 'lr'.

    Rules are chainable like torch's: the new lr is computed from the group's current lr.
    """

    def __init__(self, optimizer: Optimizer) -> None:
        _require_optimizer(type(self).__name__, optimizer)
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = 0
        self._last_lr = self._current()

    def get_lr(self) -> list[float]:
        """The lrs for step ``last_epoch`` (≥ 1), from the groups' current lrs."""
        raise NotImplementedError

    def step(self) -> None:
        self.last_epoch += 1
        self._set(self.get_lr())

    def _set(self, lrs: list[float]) -> None:
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = self._current()

    def get_last_lr(self) -> list[float]:
        return list(self._last_lr)

    def state_dict(self) -> dict:
        return {k: copy.copy(v)
                for k, v in vars(self).items() if k != "optimizer"}

    def load_state_dict(self, state_dict: dict) -> None:
        if not isinstance(state_dict, dict):
            raise TypeError(f"{type(self).__name__}: load_state_dict expects a dict, got "
                            f"{type(state_dict).__name__}")
        unknown = set(state_dict) - set(vars(self))
        if unknown:
            raise ValueError(f"{type(self).__name__}: unknown state keys {sorted(unknown)}")
        for k, v in state_dict.items():
            setattr(self, k, list(v) if isinstance(v, list) else v)

    def _current(self) -> list[float]:
        return [group["lr"] for group in self.optimizer.param_groups]


class StepLR(LRScheduler):
    """lr ← max(lr·γ, min_lr) every ``step_size`` steps (torch's StepLR plus a floor).

    The floor never raises an lr that is already below ``min_lr``. ``min_lr`` may be a list,
    one per parameter group. The seed's schedule: ``StepLR(opt, 50, 0.9, min_lr=0.0008)``.
    """

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1,
                 min_lr: float | Sequence[float] = 0.0) -> None:
        if isinstance(step_size, bool) or not isinstance(step_size, int) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive int, got {step_size!r}")
        at_least("StepLR", "gamma", gamma)
        _require_optimizer("StepLR", optimizer)
        floors = _per_group("StepLR", "min_lr values", min_lr, optimizer)
        for f in floors:
            at_least("StepLR", "min_lr", f)
        self.step_size, self.gamma, self.min_lrs = step_size, gamma, floors
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        if self.last_epoch % self.step_size != 0:
            return self._current()
        return [max(lr * self.gamma, min(lr, floor))
                for lr, floor in zip(self._current(), self.min_lrs)]


class ExponentialLR(LRScheduler):
    """lr ← lr·γ every step."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        at_least("ExponentialLR", "gamma", gamma)
        self.gamma = gamma
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        return [lr * self.gamma for lr in self._current()]


class CosineAnnealingLR(LRScheduler):
    """lr_t = η_min + ½(lr_0 − η_min)(1 + cos(π·t/T_max)), in torch's recursive form."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        if isinstance(T_max, bool) or not isinstance(T_max, int) or T_max < 1:
            raise ValueError(f"CosineAnnealingLR: T_max must be a positive int, got {T_max!r}")
        at_least("CosineAnnealingLR", "eta_min", eta_min)
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer)

    def get_lr(self) -> list[float]:
        t, T, eta_min = self.last_epoch, self.T_max, self.eta_min
        lrs = self._current()
        if (t - 1 - T) % (2 * T) == 0:  # leaving a trough: the ratio below would divide by 0
            return [lr + (base - eta_min) * (1 - math.cos(math.pi / T)) / 2
                    for lr, base in zip(lrs, self.base_lrs)]
        ratio = (1 + math.cos(math.pi * t / T)) / (1 + math.cos(math.pi * (t - 1) / T))
        return [ratio * (lr - eta_min) + eta_min for lr in lrs]


class LambdaLR(LRScheduler):
    """lr_t = base_lr · lr_lambda(t), t = 0, 1, … (torch's LambdaLR; not chainable).

    ``lr_lambda`` is one function of the step count for every parameter group, or a list
    with one per group. As in torch, construction already sets lr = base_lr · lr_lambda(0).
    micrograd's demo schedule: ``LambdaLR(SGD(params, lr=1.0), lambda k: 1 - 0.9 * k / 100)``.
    ``state_dict()`` leaves the functions out: pass them to the constructor again.
    """

    def __init__(self, optimizer: Optimizer,
                 lr_lambda: Callable[[int], float] | Sequence[Callable[[int], float]]) -> None:
        _require_optimizer("LambdaLR", optimizer)
        fns = _per_group("LambdaLR", "lr_lambdas", lr_lambda, optimizer)
        for fn in fns:
            if not callable(fn):
                raise TypeError(f"LambdaLR: lr_lambda must be a function of the step count, "
                                f"got {fn!r}")
        self.lr_lambdas = fns
        super().__init__(optimizer)
        self._set(self.get_lr())  # step 0

    def get_lr(self) -> list[float]:
        """base_lr · lr_lambda(last_epoch) for each group (from 0, unlike the chained rules)."""
        lrs = []
        for fn, base in zip(self.lr_lambdas, self.base_lrs):
            factor = fn(self.last_epoch)
            if isinstance(factor, bool) or not isinstance(factor, numbers.Real):
                raise TypeError(f"LambdaLR: lr_lambda({self.last_epoch}) returned {factor!r}, "
                                "not a number")
            lrs.append(base * factor)
        return lrs

    def state_dict(self) -> dict:
        state = super().state_dict()
        del state["lr_lambdas"]  # functions do not serialise; the constructor takes them
        return state
