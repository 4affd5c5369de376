"""Loss functions for Values and Tensors, matching ``torch.nn.functional`` (values and gradients).

Each loss is written once, as its formula, on a *batch*: the predictions and targets as
``y`` and ``t`` with element-wise arithmetic, and ``m`` for what differs between node types
(``m.relu``, ``m.where``, ``m.reduce``, …):

- a Tensor prediction: ``y`` and ``t`` are Tensors of one shape;
- Values (a Value or number, a list of them, or a batch as a list of lists): ``y`` and ``t``
  are numpy object arrays of the Values (targets may stay numbers), so ``y − t`` or
  ``(y − t) ** 2`` builds the usual scalar graph, one node per element.

So a graph reads like the formula: ``mse`` is ``(y − t)²`` per element, then ``Σ``, then ``÷
n``. Three losses are single declared ops (``core/ops.py``) because they need numerical care:
``bce`` (logs clamped at −100 like PyTorch, so p = 0 or 1 is finite), ``bce_with_logits``
(never overflows, exact at x = ±1000) and ``cross_entropy`` (max-shifted log-sum-exp; one
node per sample, gradient ``softmax − one_hot``).

``reduction`` is ``'mean'`` (default), ``'sum'`` or ``'none'`` (the per-element losses, in the
input's shape), as in PyTorch.
"""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np

from .core import ops
from .core import tensor as _tensor
from .core import value as _value
from .core.mathspace import quiet
from .core.tensor import Tensor
from .core.value import Value, vsum

__all__ = [
    "mse", "sse", "l1", "huber", "bce", "bce_with_logits", "cross_entropy", "nll", "hinge",
    "multilabel_bce", "l1_penalty", "l2_penalty",
]  # functions only: train.fit accepts these names as strings

REDUCTIONS = ("mean", "sum", "none")


# ---- regression losses ----------------------------------------------------------------------


def mse(pred: Any, target: Any, reduction: str = "mean") -> Any:
    """Mean squared error: mean_i (y_i − t_i)²;  ∂/∂y_i = 2(y_i − t_i)/n."""
    m, y, t = _pair(pred, target, "mse", reduction)
    return m.reduce((y - t) ** 2, reduction)


def sse(pred: Any, target: Any) -> Any:
    """The textbook's error E = ½ Σ_i (t_i − y_i)²;  ∂E/∂y_i = −(t_i − y_i)."""
    m, y, t = _pair(pred, target, "sse", "sum")
    return 0.5 * m.reduce((t - y) ** 2, "sum")


def l1(pred: Any, target: Any, reduction: str = "mean") -> Any:
    """Mean absolute error: mean_i |y_i − t_i|;  ∂/∂y_i = sign(y_i − t_i)/n (0 at 0)."""
    m, y, t = _pair(pred, target, "l1", reduction)
    return m.reduce(abs(y - t), reduction)


def huber(pred: Any, target: Any, delta: float = 1.0, reduction: str = "mean") -> Any:
    """Huber: ½d² if |d| < δ else δ(|d| − ½δ), d = y − t (torch.nn.functional.huber_loss)."""
    if isinstance(delta, bool) or not isinstance(delta, numbers.Real) or not delta > 0:
        raise ValueError(f"huber: delta must be a positive number, got {delta!r}")
    delta = float(delta)
    m, y, t = _pair(pred, target, "huber", reduction)
    return m.reduce(m.node(ops.HUBER, y - t, delta=delta), reduction)


# ---- binary classification ------------------------------------------------------------------


def bce(pred: Any, target: Any, reduction: str = "mean") -> Any:
    """Binary cross-entropy of probabilities p ∈ [0, 1]: −[t ln p + (1 − t) ln(1 − p)].

    ∂/∂p = (p − t)/(p(1 − p)). Logs are clamped at −100, so p = 0 or 1 gives a finite loss
    (PyTorch's convention); p outside [0, 1] is an error.
    """
    m, p, t = _pair(pred, target, "bce", reduction)
    _check_unit_interval(m.data(p), "bce", "input",
                         "is not a probability in [0, 1]; pass raw scores to bce_with_logits "
                         "instead")
    _check_unit_interval(m.data(t), "bce", "target")
    return m.reduce(m.node(ops.BCE, p, t), reduction)


def bce_with_logits(logits: Any, target: Any, reduction: str = "mean") -> Any:
    """BCE on raw scores x: −[t ln σ(x) + (1 − t) ln(1 − σ(x))];  ∂/∂x = σ(x) − t.

    Computed as (1 − t)·x + max(−x, 0) + ln(1 + e^−|x|), never as log(sigmoid(x)), so
    x = ±1000 gives exact finite results.
    """
    m, x, t = _pair(logits, target, "bce_with_logits", reduction)
    _check_unit_interval(m.data(t), "bce_with_logits", "target")
    return m.reduce(m.node(ops.BCE_WITH_LOGITS, x, t), reduction)


def hinge(scores: Any, labels: Any, margin: float = 1.0, reduction: str = "mean") -> Any:
    """Max-margin (SVM) loss, labels ±1: max(0, margin − y·s);  ∂/∂s = −y where active."""
    if isinstance(margin, bool) or not isinstance(margin, numbers.Real):
        raise TypeError(f"hinge: margin must be a number, got {margin!r}")
    m, s, y = _pair(scores, labels, "hinge", reduction)
    bad = np.flatnonzero(~np.isin(m.data(y), (-1.0, 1.0)) | m.holds_nodes(y))
    if bad.size:
        i = int(bad[0])
        raise ValueError(f"hinge: labels must be -1 or +1, got {float(m.data(y).ravel()[i])!r} at "
                         f"index {i} (map 0/1 labels with 2*y - 1)")
    return m.reduce(m.relu(float(margin) - y * s), reduction)


def multilabel_bce(logits: Any, targets: Any, reduction: str = "mean") -> Any:
    """Multi-label loss: per sample, the mean over K labels of bce_with_logits.

    Same as ``torch.nn.functional.multilabel_soft_margin_loss``: a sample is K scores with
    K targets in {0, 1} (or [0, 1]); a batch is N samples (a list of lists, or an (N, K)
    Tensor), and ``reduction`` works over samples ('none' gives one loss per sample).
    """
    m, x, t = _pair(logits, targets, "multilabel_bce", reduction, rows=True)
    _check_unit_interval(m.data(t), "multilabel_bce", "target")
    per_label = m.node(ops.BCE_WITH_LOGITS, x, t)
    if m.ndim(x) == 1:
        return m.mean_last(per_label)
    return m.reduce(m.mean_last(per_label), reduction)


# ---- multi-class classification -------------------------------------------------------------


def cross_entropy(logits: Any, target: Any, reduction: str = "mean") -> Any:
    """Softmax cross-entropy from raw scores: ln Σ_j e^{z_j} − z_y;  ∂/∂z_j = softmax_j − [j = y].

    ``logits`` is one sample (C scores, ``target`` an int) or a batch (N samples of C scores,
    ``target`` N ints). One sample gives one loss whatever the reduction, as in PyTorch.
    """
    m, z, k, single = _class_rows(logits, target, "cross_entropy", reduction)
    loss = m.per_sample(ops.CROSS_ENTROPY, z, k)
    return m.first(loss) if single else m.reduce(loss, reduction)


def nll(log_probs: Any, target: Any, reduction: str = "mean") -> Any:
    """Negative log-likelihood of log-probabilities: −log p_y;  ∂/∂(log p_j) = −[j = y].

    Shapes as in ``cross_entropy``; ``nll(log_softmax(z), y) == cross_entropy(z, y)``.
    """
    m, lp, k, single = _class_rows(log_probs, target, "nll", reduction)
    loss = -lp[np.arange(len(k)), k]
    return m.first(loss) if single else m.reduce(loss, reduction)


# ---- regularisation -------------------------------------------------------------------------


def l1_penalty(params: Any, lam: float = 1.0) -> Any:
    """L1 regularisation λ·Σ|w| over a Module's (or a list's) parameters;  ∂/∂w = λ·sign(w)."""
    m, params = _parameters(params, lam, "l1_penalty")
    return float(lam) * m.total([abs(p) for p in params])


def l2_penalty(params: Any, lam: float = 1.0) -> Any:
    """L2 regularisation λ·Σw²;  ∂/∂w = 2λw (so SGD's weight_decay=wd is λ = wd/2)."""
    m, params = _parameters(params, lam, "l2_penalty")
    return float(lam) * m.total([p ** 2 for p in params])


# ---- the two kinds of batch -----------------------------------------------------------------


class TensorBatch:
    """A batch of Tensors: the Tensor operations themselves."""

    kind = "tensor"

    @staticmethod
    def data(x: Any) -> np.ndarray:
        return x.data if isinstance(x, Tensor) else np.asarray(x)

    @staticmethod
    def holds_nodes(x: Any) -> np.ndarray:
        return np.zeros(np.shape(TensorBatch.data(x)), dtype=bool)  # labels are data

    @staticmethod
    def ndim(x: Tensor) -> int:
        return x.ndim

    @staticmethod
    def relu(x: Tensor) -> Tensor:
        return x.relu()

    @staticmethod
    def node(op: ops.Op, *xs: Tensor, **params: Any) -> Tensor:
        return _tensor.apply_op(op, xs, params)

    @staticmethod
    def per_sample(op: ops.Op, z: Tensor, k: np.ndarray) -> Tensor:
        return _tensor.apply_op(op, (z,), {"target": k})

    @staticmethod
    def mean_last(x: Tensor) -> Tensor:
        return x.mean(axis=-1)

    @staticmethod
    def first(x: Tensor) -> Tensor:
        return x.reshape(())

    @staticmethod
    def reduce(loss: Tensor, reduction: str) -> Tensor:
        """'none' → the per-element losses; 'sum' → Σ; 'mean' → Σ / n."""
        if reduction == "mean":
            return loss.mean()
        return loss.sum() if reduction == "sum" else loss

    @staticmethod
    def total(terms: list) -> Tensor:
        total = terms[0].sum()
        for term in terms[1:]:
            total = total + term.sum()
        return total


class ValueBatch:
    """A batch of Values: numpy object arrays of Values (and number targets), so numpy's
    element-wise arithmetic calls the Value operators and builds one node per element."""

    kind = "value"

    def __init__(self, shape: Any = None) -> None:
        self.shape = shape  # None (one number), n (a list) or row lengths, for 'none'

    @staticmethod
    def data(x: Any) -> np.ndarray:
        return np.array([e.data if isinstance(e, Value) else e for e in np.ravel(x)],
                        dtype=np.float64).reshape(np.shape(x))

    @staticmethod
    def holds_nodes(x: Any) -> np.ndarray:
        return np.array([isinstance(e, Value) for e in np.ravel(x)],
                        dtype=bool).reshape(np.shape(x))

    @staticmethod
    def ndim(x: np.ndarray) -> int:
        return x.ndim

    @staticmethod
    def relu(x: np.ndarray) -> np.ndarray:
        return _each(Value.relu, x)

    @staticmethod
    def node(op: ops.Op, *xs: np.ndarray, **params: Any) -> np.ndarray:
        return _each(lambda *e: _value.apply_op(op, e, params), *xs)

    @staticmethod
    def per_sample(op: ops.Op, z: np.ndarray, k: np.ndarray) -> np.ndarray:
        op = ops.VCROSS_ENTROPY if op is ops.CROSS_ENTROPY else op
        return _objects([_value.apply_op(op, row, {"target": int(c)}) for row, c in zip(z, k)])

    @staticmethod
    def mean_last(x: np.ndarray) -> Any:
        if x.ndim == 1:
            return vsum(list(x)) / len(x)
        return _objects([vsum(list(row)) / len(row) for row in x])

    @staticmethod
    def first(x: np.ndarray) -> Value:
        return x[0]

    def reduce(self, terms: np.ndarray, reduction: str) -> Any:
        """'none' → the terms in the input's shape; 'sum' → Σ; 'mean' → Σ / n."""
        terms = list(np.ravel(terms))
        if reduction != "none":
            total = vsum(terms)
            return total if reduction == "sum" else total / len(terms)
        shape = self.shape
        if shape is None:
            return terms[0]
        if isinstance(shape, int):
            return terms
        out, start = [], 0
        for n in shape:
            out.append(terms[start:start + n])
            start += n
        return out

    @staticmethod
    def total(terms: list) -> Value:
        return vsum(terms)


def _objects(items: list) -> np.ndarray:
    """A 1-d object array of ``items`` (never unpacked into a deeper array)."""
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _each(f: Any, *xs: np.ndarray) -> np.ndarray:
    """``f`` applied element by element over object arrays of one shape (numpy's loop
    would warn of the inf and NaN that Value arithmetic gives as IEEE results)."""
    with quiet():
        return np.frompyfunc(f, len(xs), 1)(*xs)


def _batch_of(x: Any) -> Any:
    """TensorBatch for a Tensor (or a list of Tensors, a Module of them), else ValueBatch."""
    if callable(getattr(x, "parameters", None)):
        x = x.parameters()
    if isinstance(x, (list, tuple)) and x:
        x = x[0]
    return TensorBatch if isinstance(x, Tensor) else ValueBatch


# ---- inputs: checked once, for both kinds ---------------------------------------------------


def _check_reduction(reduction: str, name: str) -> None:
    if reduction not in REDUCTIONS:
        raise ValueError(f"{name}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _check_unit_interval(x: np.ndarray, name: str, what: str,
                         why: str = "is not in [0, 1]") -> None:
    bad = ~((x >= 0.0) & (x <= 1.0))
    if bad.any():
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        where = f"{i[0]}" if len(i) == 1 else f"{i}"
        raise ValueError(f"{name}: {what} {where} = {float(x[i])!r} {why}")


def _pair(pred: Any, target: Any, name: str, reduction: str, rows: bool = False
          ) -> tuple[Any, Any, Any]:
    """(the batch's kind, prediction, target) of one shape, checked; the target may be data."""
    _check_reduction(reduction, name)
    if _batch_of(pred) is TensorBatch:
        return (TensorBatch, *_tensor_pair(pred, target, name))
    if rows:
        return _value_rows(pred, target, name)
    ys, ts, shape = _flatten(pred, target, name)
    return ValueBatch(shape), _objects(ys), _objects(ts)


def _tensor_pair(pred: Any, target: Any, name: str) -> tuple[Tensor, Tensor]:
    if not isinstance(pred, Tensor):
        raise TypeError(f"{name}: the prediction must be a Tensor, got {type(pred).__name__}")
    try:
        t = _tensor.as_tensor(target, pred.data.dtype)  # data: a constant of pred's dtype
    except TypeError:
        raise TypeError(f"{name}: target must be numeric, got {type(target).__name__}") from None
    if t.shape != pred.shape:
        raise ValueError(f"{name}: prediction has shape {pred.shape} but target has shape "
                         f"{t.shape}; they must match")
    return pred, t


def _as_list(x: Any) -> Any:
    return x.tolist() if hasattr(x, "tolist") and not isinstance(x, Value) else x


def _is_seq(x: Any) -> bool:
    return isinstance(x, (list, tuple))


def _shape_text(x: Any) -> str:
    return f"{len(x)} elements" if _is_seq(x) else "a scalar"


def _pred_value(x: Any, name: str) -> Value:
    """A prediction element as a Value (a plain number becomes a constant)."""
    x = _element(x, name, "predictions")
    return x if isinstance(x, Value) else Value(x, requires_grad=False)


def _element(x: Any, name: str, role: str) -> Any:
    """A Value as it is, a number as a float (a bool too, as a target: 0/1 labels); anything
    else is a TypeError naming ``role``."""
    if isinstance(x, Value):
        return x
    if (isinstance(x, bool) and role == "predictions") or not isinstance(x, numbers.Real):
        raise TypeError(f"{name}: {role} must be Values or numbers, got "
                        f"{type(x).__name__}: {x!r}")
    return float(x)


def _flatten(pred: Any, target: Any, name: str) -> tuple[list[Value], list[Any], Any]:
    """Matching elements of ``pred`` and ``target`` and the shape to rebuild 'none' results.

    The shape is None for a scalar, n for a list, a list of row lengths for a batch.
    """
    pred, target = _as_list(pred), _as_list(target)
    if not _is_seq(pred):
        if _is_seq(target):
            raise ValueError(f"{name}: prediction is a scalar but target has "
                             f"{len(target)} elements")
        return [_pred_value(pred, name)], [_element(target, name, "targets")], None
    if not _is_seq(target):
        raise ValueError(f"{name}: prediction has {len(pred)} elements but target is a scalar")
    if len(pred) != len(target):
        raise ValueError(f"{name}: prediction has {len(pred)} elements but target has "
                         f"{len(target)}")
    if not pred:
        raise ValueError(f"{name}: empty input")
    if not any(_is_seq(_as_list(p)) for p in pred):
        return ([_pred_value(p, name) for p in pred],
                [_element(t, name, "targets") for t in target], len(pred))
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
        targets.extend(_element(t, name, "targets") for t in t_row)
        rows.append(len(p_row))
    return preds, targets, rows


def _value_rows(scores: Any, targets: Any, name: str) -> tuple[ValueBatch, np.ndarray, np.ndarray]:
    """One sample (K scores, K targets) as 1-d arrays, or N of them as (N, K) arrays."""
    scores, targets = _as_list(scores), _as_list(targets)
    batched = _is_seq(scores) and bool(scores) and _is_seq(_as_list(scores[0]))
    if not batched:
        if not _is_seq(scores) or not _is_seq(targets):
            raise ValueError(f"{name}: a sample is a list of K scores with a list of "
                             "K targets")
        ys, ts, _ = _flatten(scores, targets, name)
        return ValueBatch(), _objects(ys), _objects(ts)
    if not _is_seq(targets) or len(targets) != len(scores):
        raise ValueError(f"{name}: {len(scores)} samples but targets is "
                         f"{_shape_text(targets)}")
    ys, ts, rows = _flatten(scores, targets, name)
    if len(set(rows)) != 1:
        raise ValueError(f"{name}: every sample needs {rows[0]} scores; "
                         f"sample {next(i for i, n in enumerate(rows) if n != rows[0])} "
                         f"has {[n for n in rows if n != rows[0]][0]}")
    shape = (len(rows), rows[0])
    return (ValueBatch(len(rows)), _objects(ys).reshape(shape), _objects(ts).reshape(shape))


def _class_rows(scores: Any, target: Any, name: str, reduction: str
                ) -> tuple[Any, Any, np.ndarray, bool]:
    """(the batch's kind, scores as N rows of C, N class indices checked against C, whether
    one sample of C scores with one index was given)."""
    _check_reduction(reduction, name)
    if _batch_of(scores) is TensorBatch:
        if not isinstance(scores, Tensor):
            raise TypeError(f"{name}: scores must be a Tensor, got {type(scores).__name__}")
        single = scores.ndim == 1
        if single:
            scores = scores.reshape(1, -1)
            target = np.atleast_1d(target.data if isinstance(target, Tensor) else target)
        elif scores.ndim != 2:
            raise ValueError(f"{name}: expected scores of shape (N, C) or (C,), got "
                             f"{scores.shape}")
        k = _class_indices(target.data if isinstance(target, Tensor) else target,
                           *scores.shape, name)
        return TensorBatch, scores, k, single
    rows, targets, single = _value_class_rows(scores, target, name)
    z = np.empty((len(rows), len(rows[0])), dtype=object)
    z[:] = rows
    return ValueBatch(len(rows)), z, np.array(targets, dtype=np.intp), single


def _class_indices(target: Any, n: int, n_classes: int, name: str) -> np.ndarray:
    """Class indices as an int array of length n, each in 0..C−1."""
    k = np.asarray(target)
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


def _value_class_rows(scores: Any, target: Any, name: str) -> tuple[list, list[int], bool]:
    """(rows of C score Values, class indices, one sample?) with indices checked against C."""
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
    return rows, [int(k) for k in targets], not batched


def _parameters(params: Any, lam: Any, name: str) -> tuple[Any, list]:
    """The batch kind and the parameters of a Module (or a list of them) for a penalty."""
    if isinstance(lam, bool) or not isinstance(lam, numbers.Real) or lam < 0:
        raise ValueError(f"{name}: lam must be a non-negative number, got {lam!r}")
    m = _batch_of(params)
    if callable(getattr(params, "parameters", None)):
        params = params.parameters()
    params = list(params)
    node_type = Tensor if m is TensorBatch else Value
    for i, p in enumerate(params):
        if not isinstance(p, node_type):
            raise TypeError(f"{name}: parameter {i} is a {type(p).__name__}, "
                            f"not a {node_type.__name__}")
    if not params:
        raise ValueError(f"{name}: no parameters given")
    return m, params
