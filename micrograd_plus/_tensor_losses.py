"""The losses of ``losses.py`` for batched Tensors (``losses.mse(tensor, ...)`` lands here).

Same names, signatures and ``reduction=`` as the Value versions and as
``torch.nn.functional``. Most losses are a few Tensor ops, so their graph reads like the
formula; three that need care are single nodes with their own forward/backward rule:
``bce`` (logs clamped at −100 like PyTorch, so p = 0 or 1 is finite), ``bce_with_logits``
(``(1 − t)·x + max(−x, 0) + ln(1 + e^−|x|)``, never overflows) and ``cross_entropy`` (stable
log-sum-exp; gradient ``softmax − one_hot``).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import losses
from .losses import (_check_reduction, _hinge_margin, _huber_delta,
                     _parameters)
from .core import ops
from .core.tensor import Tensor, _apply, _lift, where

__all__ = list(losses.__all__)  # the same functions as for Values


# ---- plumbing -------------------------------------------------------------------------------
def _reduce(loss: Tensor, reduction: str) -> Tensor:
    """'none' → the per-element losses; 'sum' → Σ; 'mean' → Σ / n (checked by the caller)."""
    if reduction == "mean":
        return loss.mean()
    return loss.sum() if reduction == "sum" else loss


def _pair(pred: Any, target: Any, name: str) -> tuple[Tensor, Tensor]:
    """(prediction, target) as Tensors of the same shape; the target may be data."""
    if not isinstance(pred, Tensor):
        raise TypeError(f"{name}: the prediction must be a Tensor, got {type(pred).__name__}")
    t = _lift(target, pred.data.dtype)
    if t is NotImplemented:
        raise TypeError(f"{name}: target must be numeric, got {type(target).__name__}")
    if t.shape != pred.shape:
        raise ValueError(f"{name}: prediction has shape {pred.shape} but target has shape "
                         f"{t.shape}; they must match")
    return pred, t


def _check_in_unit_interval(x: np.ndarray, what: str, name: str) -> None:
    bad = ~((x >= 0.0) & (x <= 1.0))
    if bad.any():
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        raise ValueError(f"{name}: {what} at index {i} = {float(x[i])!r} is not in [0, 1]")


def _classes(target: Any, n: int, n_classes: int, name: str) -> np.ndarray:
    """Class indices as an int array of length n, each in 0..C−1."""
    k = np.asarray(_raw(target))
    if k.dtype.kind == "f" and np.array_equal(k, np.round(k)):
        k = k.astype(np.intp)  # a Tensor of whole numbers
    if k.dtype.kind not in "iu":
        raise TypeError(f"{name}: target must hold integer class indices, got {k.dtype}")
    if k.shape != (n,):
        raise ValueError(f"{name}: {n} samples need a target of shape ({n},), got {k.shape}")
    if n and (k.min() < 0 or k.max() >= n_classes):
        bad = int(k[(k < 0) | (k >= n_classes)][0])
        raise ValueError(f"{name}: class index {bad} out of range for {n_classes} classes "
                         f"(valid: 0..{n_classes - 1})")
    return k


def _class_rows(scores: Any, target: Any, name: str) -> tuple[Tensor, np.ndarray, bool]:
    """Scores as an (N, C) Tensor, their N class indices (checked), and whether one sample
    of shape (C,) with one index was given."""
    if not isinstance(scores, Tensor):
        raise TypeError(f"{name}: scores must be a Tensor, got {type(scores).__name__}")
    single = scores.ndim == 1
    if single:
        scores = scores.reshape(1, -1)
        target = np.atleast_1d(_raw(target))
    elif scores.ndim != 2:
        raise ValueError(f"{name}: expected scores of shape (N, C) or (C,), got {scores.shape}")
    return scores, _classes(target, *scores.shape, name), single


def _raw(x: Any) -> Any:
    return x.data if isinstance(x, Tensor) else x


# ---- regression -----------------------------------------------------------------------------
def mse(pred: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean squared error: mean (y − t)²;  ∂/∂y = 2(y − t)/n."""
    _check_reduction(reduction, "mse")
    y, t = _pair(pred, target, "mse")
    d = y - t
    return _reduce(d * d, reduction)


def sse(pred: Tensor, target: Any) -> Tensor:
    """The textbook's E = ½ Σ (t − y)²;  ∂E/∂y = −(t − y)."""
    y, t = _pair(pred, target, "sse")
    d = t - y
    return 0.5 * (d * d).sum()


def l1(pred: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Mean absolute error: mean |y − t|;  ∂/∂y = sign(y − t)/n."""
    _check_reduction(reduction, "l1")
    y, t = _pair(pred, target, "l1")
    return _reduce((y - t).abs(), reduction)


def huber(pred: Tensor, target: Any, delta: float = 1.0, reduction: str = "mean") -> Tensor:
    """½d² where |d| < δ, else δ(|d| − ½δ), d = y − t (torch.nn.functional.huber_loss)."""
    _check_reduction(reduction, "huber")
    delta = _huber_delta(delta)
    y, t = _pair(pred, target, "huber")
    d = y - t
    a = d.abs()
    return _reduce(where(a.data < delta, 0.5 * d * d, delta * (a - 0.5 * delta)), reduction)


# ---- binary classification ------------------------------------------------------------------
def bce(pred: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities p ∈ [0, 1] (targets in [0, 1])."""
    _check_reduction(reduction, "bce")
    p, t = _pair(pred, target, "bce")
    _check_in_unit_interval(p.data, "input", "bce")
    _check_in_unit_interval(t.data, "target", "bce")
    return _reduce(_apply(ops.BCE, (p, t)), reduction)


def bce_with_logits(logits: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """BCE on raw scores x: −[t ln σ(x) + (1 − t) ln(1 − σ(x))], stable at x = ±1000."""
    _check_reduction(reduction, "bce_with_logits")
    x, t = _pair(logits, target, "bce_with_logits")
    _check_in_unit_interval(t.data, "target", "bce_with_logits")
    return _reduce(_apply(ops.BCE_WITH_LOGITS, (x, t)), reduction)


def hinge(scores: Tensor, labels: Any, margin: float = 1.0, reduction: str = "mean") -> Tensor:
    """Max-margin loss with labels ±1: max(0, margin − y·s);  ∂/∂s = −y where active."""
    _check_reduction(reduction, "hinge")
    margin = _hinge_margin(margin)
    s, y = _pair(scores, labels, "hinge")
    if not np.all((y.data == 1.0) | (y.data == -1.0)):
        raise ValueError("hinge: labels must be -1 or +1 (map 0/1 labels with 2*y - 1)")
    return _reduce((margin - y * s).relu(), reduction)


def multilabel_bce(logits: Tensor, targets: Any, reduction: str = "mean") -> Tensor:
    """Per sample, the mean over K labels of bce_with_logits (multilabel_soft_margin_loss)."""
    _check_reduction(reduction, "multilabel_bce")
    x, t = _pair(logits, targets, "multilabel_bce")
    _check_in_unit_interval(t.data, "target", "multilabel_bce")
    per_label = _apply(ops.BCE_WITH_LOGITS, (x, t))
    if x.ndim == 1:
        return per_label.mean()
    return _reduce(per_label.mean(axis=-1), reduction)


# ---- multi-class classification -------------------------------------------------------------
def cross_entropy(logits: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Softmax cross-entropy: logits (N, C) with N class indices, or (C,) with one int."""
    _check_reduction(reduction, "cross_entropy")
    z, k, single = _class_rows(logits, target, "cross_entropy")
    loss = _apply(ops.CROSS_ENTROPY, (z,), {"target": k})
    return loss.reshape(()) if single else _reduce(loss, reduction)


def nll(log_probs: Tensor, target: Any, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of log-probabilities: −log p_y;  ∂/∂(log p_j) = −[j = y]."""
    _check_reduction(reduction, "nll")
    lp, k, single = _class_rows(log_probs, target, "nll")
    loss = -lp[np.arange(lp.shape[0]), k]
    return loss.reshape(()) if single else _reduce(loss, reduction)


# ---- regularisation -------------------------------------------------------------------------
def _total(terms: list[Tensor], name: str) -> Tensor:
    if not terms:
        raise ValueError(f"{name}: no parameters given")
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total


def l1_penalty(params: Any, lam: float = 1.0) -> Tensor:
    """λ·Σ|w| over all parameter Tensors;  ∂/∂w = λ·sign(w)."""
    params = _parameters(params, lam, "l1_penalty", Tensor)
    return float(lam) * _total([p.abs().sum() for p in params], "l1_penalty")


def l2_penalty(params: Any, lam: float = 1.0) -> Tensor:
    """λ·Σw² over all parameter Tensors;  ∂/∂w = 2λw."""
    params = _parameters(params, lam, "l2_penalty", Tensor)
    return float(lam) * _total([(p * p).sum() for p in params], "l2_penalty")
