"""Loss functions on Values, matching ``torch.nn.functional`` (values and gradients).

Each loss is built from Value operations, so its graph reads like the formula: ``mse`` is
``(y − t)²`` per element, then ``Σ``, then ``÷ n``. Two numerically delicate pieces get
care instead of the naive formula: ``cross_entropy`` shifts logits by their maximum (a
constant) before ``exp``, and ``bce_with_logits`` picks, by the sign of x, the form of
``softplus`` that never sees a large positive argument. ``bce`` on probabilities is one
``bce`` node per element, because PyTorch clamps its logs at −100 (p = 0 or 1 is allowed).

Inputs are a Value or number, a list of them, or a batch (a list of lists); targets have
the same shape. ``reduction`` is ``'mean'`` (default), ``'sum'`` or ``'none'`` (the
per-element losses, in the input's shape), as in PyTorch. A Tensor prediction is handed to
``micrograd_plus._tensor_losses``, which has the same functions for Tensors.
"""

from __future__ import annotations

import functools
import numbers
from typing import Any, Callable

from .core import ops as _ops
from .core.mathspace import FLOATS
from .core.value import Value, vsum
from .core.tensor import Tensor

__all__ = [
    "mse", "sse", "l1", "huber", "bce", "bce_with_logits", "cross_entropy", "nll", "hinge",
    "multilabel_bce", "l1_penalty", "l2_penalty",
]  # functions only: train.fit accepts these names as strings

REDUCTIONS = ("mean", "sum", "none")

# PyTorch's binary_cross_entropy backward divides by max(p(1 − p), EPSILON) with the float32
# constant 1e-12; using the same number makes gradients at p = 0 or 1 agree exactly.
_BCE_EPS = _ops._BCE_EPS
_LOG_FLOOR = _ops._LOG_FLOOR  # PyTorch clamps log(p) and log(1 − p) here


# ---- plumbing shared by every loss ----------------------------------------------------------


def _accepts_tensors(fn: Callable) -> Callable:
    """Route a call whose first argument holds Tensors to ``_tensor_losses.<same name>``."""
    name = fn.__name__

    @functools.wraps(fn)
    def wrapper(x: Any, *args: Any, **kwargs: Any) -> Any:
        if _holds_tensor(x):
            from . import _tensor_losses

            return getattr(_tensor_losses, name)(x, *args, **kwargs)
        return fn(x, *args, **kwargs)

    return wrapper


def _holds_tensor(x: Any) -> bool:
    if callable(getattr(x, "parameters", None)):  # a Module given to a penalty
        x = x.parameters()
    if isinstance(x, (list, tuple)) and x:
        x = x[0]
    return isinstance(x, Tensor)


def _check_reduction(reduction: str, name: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


# argument checks shared with the Tensor versions in _tensor_losses
def _huber_delta(delta: Any) -> float:
    if isinstance(delta, bool) or not isinstance(delta, numbers.Real) or not delta > 0:
        raise ValueError(f"huber: delta must be a positive number, got {delta!r}")
    return float(delta)


def _hinge_margin(margin: Any) -> float:
    if isinstance(margin, bool) or not isinstance(margin, numbers.Real):
        raise TypeError(f"hinge: margin must be a number, got {margin!r}")
    return float(margin)


def _parameters(params: Any, lam: Any, name: str, node_type: type) -> list:
    """The parameters of a Module (or a list of them) for a penalty, each a ``node_type``."""
    if isinstance(lam, bool) or not isinstance(lam, numbers.Real) or lam < 0:
        raise ValueError(f"{name}: lam must be a non-negative number, got {lam!r}")
    if callable(getattr(params, "parameters", None)):
        params = params.parameters()
    params = list(params)
    for i, p in enumerate(params):
        if not isinstance(p, node_type):
            raise TypeError(f"{name}: parameter {i} is a {type(p).__name__}, "
                            f"not a {node_type.__name__}")
    return params


def _as_list(x: Any) -> Any:
    return x.tolist() if hasattr(x, "tolist") and not isinstance(x, Value) else x


def _pred_value(x: Any, name: str) -> Value:
    """A prediction element as a Value (a plain number becomes a constant)."""
    if isinstance(x, Value):
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{name}: predictions must be Values or numbers, got "
                        f"{type(x).__name__}: {x!r}")
    return Value(float(x), requires_grad=False)


def _target_value(x: Any, name: str) -> Any:
    """A target element: a Value (differentiable target) or a float."""
    if isinstance(x, Value):
        return x
    if not isinstance(x, numbers.Real):
        raise TypeError(f"{name}: targets must be numbers or Values, got "
                        f"{type(x).__name__}: {x!r}")
    return float(x)


def _data(x: Any) -> float:
    return x.data if isinstance(x, Value) else x


def _is_seq(x: Any) -> bool:
    return isinstance(x, (list, tuple))


def _flatten(pred: Any, target: Any, name: str) -> tuple[list[Value], list[Any], Any]:
    """Matching elements of ``pred`` and ``target`` and the shape to rebuild 'none' results.

    The shape is None for a scalar, n for a list, a list of row lengths for a batch.
    """
    pred, target = _as_list(pred), _as_list(target)
    if not _is_seq(pred):
        if _is_seq(target):
            raise ValueError(f"{name}: prediction is a scalar but target has "
                             f"{len(target)} elements")
        return [_pred_value(pred, name)], [_target_value(target, name)], None
    if not _is_seq(target):
        raise ValueError(f"{name}: prediction has {len(pred)} elements but target is a scalar")
    if len(pred) != len(target):
        raise ValueError(f"{name}: prediction has {len(pred)} elements but target has "
                         f"{len(target)}")
    if not pred:
        raise ValueError(f"{name}: empty input")
    if not any(_is_seq(_as_list(p)) for p in pred):
        return ([_pred_value(p, name) for p in pred],
                [_target_value(t, name) for t in target], len(pred))
    preds, targets, rows = [], [], []
    for i, (p_row, t_row) in enumerate(zip(pred, target)):
        p_row, t_row = _as_list(p_row), _as_list(t_row)
        if not _is_seq(p_row) and not _is_seq(t_row):
            raise ValueError(f"{name}: row {i} is a number but other rows of the prediction "
                             "are lists; a batch needs every row as a list")
        if not _is_seq(p_row) or not _is_seq(t_row) or len(p_row) != len(t_row):
            raise ValueError(
                f"{name}: row {i} of the prediction and target differ in shape "
                f"({_shape_text(p_row)} vs {_shape_text(t_row)})"
            )
        preds.extend(_pred_value(p, name) for p in p_row)
        targets.extend(_target_value(t, name) for t in t_row)
        rows.append(len(p_row))
    return preds, targets, rows


def _shape_text(x: Any) -> str:
    return f"{len(x)} elements" if _is_seq(x) else "a scalar"


def _unflatten(terms: list, shape: Any) -> Any:
    if shape is None:
        return terms[0]
    if isinstance(shape, int):
        return terms
    out, start = [], 0
    for n in shape:
        out.append(terms[start:start + n])
        start += n
    return out


def _reduce(terms: list[Value], shape: Any, reduction: str) -> Any:
    """'none' → the terms in the input's shape; 'sum' → Σ; 'mean' → Σ / n."""
    if reduction == "none":
        return _unflatten(terms, shape)
    total = vsum(terms)
    return total if reduction == "sum" else total / len(terms)


def _check_probability_target(t: Any, name: str, i: int) -> None:
    td = _data(t)
    if not 0.0 <= td <= 1.0:
        raise ValueError(f"{name}: target {i} = {td!r} is not in [0, 1]")


# ---- regression losses ----------------------------------------------------------------------


@_accepts_tensors
def mse(pred: Any, target: Any, reduction: str = "mean") -> Any:
    """Mean squared error: mean_i (y_i − t_i)²;  ∂/∂y_i = 2(y_i − t_i)/n."""
    _check_reduction(reduction, "mse")
    ps, ts, shape = _flatten(pred, target, "mse")
    return _reduce([(p - t) ** 2 for p, t in zip(ps, ts)], shape, reduction)


@_accepts_tensors
def sse(pred: Any, target: Any) -> Value:
    """The textbook's error E = ½ Σ_i (t_i − y_i)²;  ∂E/∂y_i = −(t_i − y_i)."""
    ps, ts, _ = _flatten(pred, target, "sse")
    return 0.5 * vsum([(t - p) ** 2 for p, t in zip(ps, ts)])


@_accepts_tensors
def l1(pred: Any, target: Any, reduction: str = "mean") -> Any:
    """Mean absolute error: mean_i |y_i − t_i|;  ∂/∂y_i = sign(y_i − t_i)/n (0 at 0)."""
    _check_reduction(reduction, "l1")
    ps, ts, shape = _flatten(pred, target, "l1")
    return _reduce([abs(p - t) for p, t in zip(ps, ts)], shape, reduction)


@_accepts_tensors
def huber(pred: Any, target: Any, delta: float = 1.0, reduction: str = "mean") -> Any:
    """Huber: ½d² if |d| < δ else δ(|d| − ½δ), d = y − t (torch.nn.functional.huber_loss)."""
    _check_reduction(reduction, "huber")
    delta = _huber_delta(delta)
    ps, ts, shape = _flatten(pred, target, "huber")
    terms = []
    for p, t in zip(ps, ts):
        d = p - t
        if abs(d.data) < delta:
            terms.append(0.5 * d**2)
        else:
            terms.append(delta * (abs(d) - 0.5 * delta))
    return _reduce(terms, shape, reduction)


# ---- binary classification ------------------------------------------------------------------


def _bce_node(p: Value, t: Any, i: int) -> Value:
    """−[t ln p + (1 − t) ln(1 − p)] as one node, logs clamped at −100 like PyTorch."""
    pd = p.data
    if not 0.0 <= pd <= 1.0:
        raise ValueError(
            f"bce: input {i} = {pd!r} is not a probability in [0, 1]; "
            "pass raw scores to bce_with_logits instead"
        )
    op = _ops.BCE
    if not isinstance(t, Value):
        t = Value(_data(t), requires_grad=False)  # a constant: drawn and differentiated as none
    loss = op.forward(FLOATS, pd, t.data)
    return Value._result(loss, (p, t), op.local(FLOATS, loss, pd, t.data), "bce", op)


@_accepts_tensors
def bce(pred: Any, target: Any, reduction: str = "mean") -> Any:
    """Binary cross-entropy of probabilities p ∈ [0, 1]: −[t ln p + (1 − t) ln(1 − p)].

    ∂/∂p = (p − t)/(p(1 − p)). Logs are clamped at −100, so p = 0 or 1 gives a finite loss
    (PyTorch's convention); p outside [0, 1] is an error.
    """
    _check_reduction(reduction, "bce")
    ps, ts, shape = _flatten(pred, target, "bce")
    for i, t in enumerate(ts):
        _check_probability_target(t, "bce", i)
    return _reduce([_bce_node(p, t, i) for i, (p, t) in enumerate(zip(ps, ts))],
                   shape, reduction)


def _bce_logits_term(x: Value, t: Any) -> Value:
    """(1 − t)·x + softplus(−x) for x ≥ 0, softplus(x) − t·x for x < 0 (equal; both stable)."""
    if x.data >= 0.0:
        return (1.0 - t) * x + (-x).softplus()
    return x.softplus() - t * x


@_accepts_tensors
def bce_with_logits(logits: Any, target: Any, reduction: str = "mean") -> Any:
    """BCE on raw scores x: −[t ln σ(x) + (1 − t) ln(1 − σ(x))];  ∂/∂x = σ(x) − t.

    Written as softplus, never as log(sigmoid(x)), so x = ±1000 gives exact finite results.
    """
    _check_reduction(reduction, "bce_with_logits")
    xs, ts, shape = _flatten(logits, target, "bce_with_logits")
    for i, t in enumerate(ts):
        _check_probability_target(t, "bce_with_logits", i)
    return _reduce([_bce_logits_term(x, t) for x, t in zip(xs, ts)], shape, reduction)


@_accepts_tensors
def hinge(scores: Any, labels: Any, margin: float = 1.0, reduction: str = "mean") -> Any:
    """Max-margin (SVM) loss, labels ±1: max(0, margin − y·s);  ∂/∂s = −y where active."""
    _check_reduction(reduction, "hinge")
    margin = _hinge_margin(margin)
    ss, ys, shape = _flatten(scores, labels, "hinge")
    for i, y in enumerate(ys):
        if isinstance(y, Value) or y not in (-1.0, 1.0):
            raise ValueError(f"hinge: labels must be -1 or +1, got {_data(y)!r} at index {i} "
                             "(map 0/1 labels with 2*y - 1)")
    return _reduce([(margin - y * s).relu() for s, y in zip(ss, ys)], shape, reduction)


@_accepts_tensors
def multilabel_bce(logits: Any, targets: Any, reduction: str = "mean") -> Any:
    """Multi-label loss: per sample, the mean over K labels of bce_with_logits.

    Same as ``torch.nn.functional.multilabel_soft_margin_loss``: a sample is a list of K
    scores with K targets in {0, 1} (or [0, 1]); a batch is a list of samples, and
    ``reduction`` works over samples ('none' gives one loss per sample).
    """
    _check_reduction(reduction, "multilabel_bce")
    logits, targets = _as_list(logits), _as_list(targets)
    batched = _is_seq(logits) and bool(logits) and _is_seq(_as_list(logits[0]))
    if not batched:
        if not _is_seq(logits) or not _is_seq(targets):
            raise ValueError("multilabel_bce: a sample is a list of K scores with a list of "
                             "K targets")
        logits, targets = [logits], [targets]
    elif not _is_seq(targets) or len(targets) != len(logits):
        raise ValueError(f"multilabel_bce: {len(logits)} samples but targets is "
                         f"{_shape_text(targets)}")
    losses = [bce_with_logits(row, t_row, reduction="mean")
              for row, t_row in zip(logits, targets)]
    if not batched:
        return losses[0]
    return _reduce(losses, len(losses), reduction)


# ---- multi-class classification -------------------------------------------------------------


def _class_rows(scores: Any, target: Any, name: str) -> tuple[list[list[Value]], list[int], bool]:
    """(rows of C scores, class indices, batched?) with indices checked against C."""
    scores, target = _as_list(scores), _as_list(target)
    if not _is_seq(scores) or not scores:
        raise ValueError(f"{name}: expected a list of C class scores or a batch of them")
    batched = _is_seq(_as_list(scores[0]))
    if batched:
        rows = [_as_list(r) for r in scores]
        if not _is_seq(target) or len(target) != len(rows):
            raise ValueError(f"{name}: {len(rows)} samples but target is "
                             f"{_shape_text(target)}; give one class index per sample")
        targets = list(target)
    else:
        rows = [scores]
        if _is_seq(target):
            raise ValueError(f"{name}: one sample of {len(scores)} scores needs one class "
                             f"index, got a list of {len(target)}")
        targets = [target]
    n_classes = len(rows[0])
    for i, row in enumerate(rows):
        if not _is_seq(row) or len(row) != n_classes or not row:
            raise ValueError(f"{name}: every sample needs {n_classes} class scores; "
                             f"sample {i} has {_shape_text(row)}")
    for i, k in enumerate(targets):
        if isinstance(k, bool) or not isinstance(k, numbers.Integral):
            raise TypeError(f"{name}: class index {i} must be an int, got "
                            f"{type(k).__name__}: {k!r}")
        if not 0 <= k < n_classes:
            raise ValueError(f"{name}: class index {k} out of range for {n_classes} classes "
                             f"(valid: 0..{n_classes - 1})")
    rows = [[_pred_value(z, name) for z in row] for row in rows]
    return rows, [int(k) for k in targets], batched


def _log_sum_exp(zs: list[Value]) -> Value:
    """ln Σ_j e^{z_j} = m + ln Σ_j e^{z_j − m} with the constant m = max_j z_j (no overflow).

    The shift is kept when m is infinite, as in PyTorch: a +inf logit or all logits −inf
    give inf − inf = NaN, so the loss and every gradient are NaN (never inf, never log(0)).
    """
    m = max(z.data for z in zs)
    return vsum([(z - m).exp() for z in zs]).log() + m


@_accepts_tensors
def cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> Any:
    """Softmax cross-entropy from raw scores: ln Σ_j e^{z_j} − z_y;  ∂/∂z_j = softmax_j − [j = y].

    ``logits`` is one sample (C scores, ``target`` an int) or a batch (N lists of C scores,
    ``target`` N ints). One sample gives one Value whatever the reduction, as in PyTorch.
    """
    _check_reduction(reduction, "cross_entropy")
    rows, targets, batched = _class_rows(logits, target, "cross_entropy")
    terms = [_log_sum_exp(row) - row[k] for row, k in zip(rows, targets)]
    return _reduce(terms, len(terms), reduction) if batched else terms[0]


@_accepts_tensors
def nll(log_probs: Any, target: Any, reduction: str = "mean") -> Any:
    """Negative log-likelihood of log-probabilities: −log p_y;  ∂/∂(log p_j) = −[j = y].

    Shapes as in ``cross_entropy``; ``nll(log_softmax(z), y) == cross_entropy(z, y)``.
    """
    _check_reduction(reduction, "nll")
    rows, targets, batched = _class_rows(log_probs, target, "nll")
    terms = [-row[k] for row, k in zip(rows, targets)]
    return _reduce(terms, len(terms), reduction) if batched else terms[0]


# ---- regularisation -------------------------------------------------------------------------


@_accepts_tensors
def l1_penalty(params: Any, lam: float = 1.0) -> Value:
    """L1 regularisation λ·Σ|w| over a Module's (or a list's) parameters;  ∂/∂w = λ·sign(w)."""
    params = _parameters(params, lam, "l1_penalty", Value)
    return float(lam) * vsum([abs(p) for p in params])


@_accepts_tensors
def l2_penalty(params: Any, lam: float = 1.0) -> Value:
    """L2 regularisation λ·Σw²;  ∂/∂w = 2λw (so SGD's weight_decay=wd is λ = wd/2)."""
    params = _parameters(params, lam, "l2_penalty", Value)
    return float(lam) * vsum([p**2 for p in params])

