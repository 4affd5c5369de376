"""Evaluation metrics: regression, classification, multi-label (numpy, no gradients).

Every function takes plain numbers: lists, tuples or numpy arrays, and also Values and
Tensors (their ``.data`` is read), so ``accuracy(y, model_outputs)`` works on whatever a model
returned. The definitions follow Wang & Huang, Learn Deep Learning with Me, §3.8, §3.9 and §3.13
and agree with
scikit-learn's, so results can be checked against either.

Conventions:

- Confusion matrices have the **true** class on rows and the **predicted** class on columns.
- A ratio whose denominator is 0 (precision with no predicted positives, …) is
  ``zero_division`` (default 0.0), as in scikit-learn.
- ``mape`` is a fraction (0.25 means 25 %); it refuses ``y_true`` containing 0.
- ``r2_score`` of a constant ``y_true`` is 1.0 for a perfect fit and 0.0 otherwise.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = [
    "mae", "mse", "rmse", "mape", "r2_score", "r2",
    "accuracy", "confusion_matrix", "precision", "recall", "f1_score",
    "precision_recall_f1", "top_k_accuracy", "classification_report", "scores_to_labels",
    "default_threshold",
    "exact_match_ratio", "zero_one_loss", "multilabel_accuracy", "multilabel_precision",
    "multilabel_recall", "multilabel_f1", "hamming_loss", "multilabel_report",
    "METRICS",
]

_AVERAGES = ("binary", "macro", "micro", "weighted", None)


# -- input handling -------------------------------------------------------------------------
def _unwrap(x: Any) -> Any:
    """Numbers out of Values/Tensors, however they are nested in lists."""
    if isinstance(x, (np.ndarray, np.generic, int, float, str)):
        return x
    if isinstance(x, (list, tuple)):
        return [_unwrap(v) for v in x]  # nesting depth is the data's rank, not a graph
    data = getattr(x, "data", None)
    if data is not None and not isinstance(x, (bytes, memoryview)):
        return data
    return x


def as_array(x: Any, name: str = "input") -> np.ndarray:
    """``x`` as a float64 array; TypeError naming ``name`` if it does not hold numbers."""
    try:
        arr = np.asarray(_unwrap(x), dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"{name} must be numbers (a list, array, Values or a Tensor), got "
            f"{type(x).__name__}: {exc}"
        ) from None
    if arr.size == 0:
        raise ValueError(f"{name} is empty")
    return arr


def _pair(y_true: Any, y_pred: Any, fn: str) -> tuple[np.ndarray, np.ndarray]:
    t = as_array(y_true, f"{fn}: y_true")
    p = as_array(y_pred, f"{fn}: y_pred")
    # a column vector (n, 1) against a flat (n,) is the same data; don't broadcast to (n, n)
    if t.ndim == 2 and t.shape[1] == 1 and p.ndim == 1:
        t = t[:, 0]
    if p.ndim == 2 and p.shape[1] == 1 and t.ndim == 1:
        p = p[:, 0]
    if t.shape != p.shape:
        raise ValueError(f"{fn}: y_true has shape {t.shape} but y_pred has shape {p.shape}")
    return t, p


def _labels_1d(x: Any, fn: str, name: str) -> np.ndarray:
    arr = as_array(x, f"{fn}: {name}")
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"{fn}: {name} must be a 1-D list of class labels, got shape "
                         f"{arr.shape}")
    bad = ~np.isfinite(arr) | (arr != np.round(arr))
    if np.any(bad):
        raise ValueError(
            f"{fn}: {name} must be integer class labels, got e.g. {arr[bad][:3].tolist()}; "
            "turn scores into labels first (scores_to_labels, or p >= 0.5)"
        )
    return arr.astype(np.int64)


def _class_pair(y_true: Any, y_pred: Any, fn: str) -> tuple[np.ndarray, np.ndarray]:
    """Integer label vectors; a 2-D ``y_pred`` of class scores becomes its row-wise argmax."""
    t = _labels_1d(y_true, fn, "y_true")
    p_arr = as_array(y_pred, f"{fn}: y_pred")
    if p_arr.ndim == 2 and p_arr.shape[1] > 1:
        p = np.argmax(p_arr, axis=1)
    else:
        p = _labels_1d(p_arr, fn, "y_pred")
    if t.shape != p.shape:
        raise ValueError(f"{fn}: y_true has {t.shape[0]} labels but y_pred has {p.shape[0]}")
    return t, p


def _ratio(num: np.ndarray | float, den: np.ndarray | float, zero_division: float) -> Any:
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    out = np.full(np.broadcast(num, den).shape, float(zero_division))
    np.divide(num, den, out=out, where=den != 0)
    return out if out.ndim else float(out)


# -- regression (Wang & Huang §3.8) ---------------------------------------------------------
def mae(y_true: Any, y_pred: Any) -> float:
    """MAE = (1/m) Σ |y − ŷ|"""
    t, p = _pair(y_true, y_pred, "mae")
    return float(np.mean(np.abs(t - p)))


def mse(y_true: Any, y_pred: Any) -> float:
    """MSE = (1/m) Σ (y − ŷ)²"""
    t, p = _pair(y_true, y_pred, "mse")
    return float(np.mean((t - p) ** 2))


def rmse(y_true: Any, y_pred: Any) -> float:
    """RMSE = √MSE"""
    t, p = _pair(y_true, y_pred, "rmse")
    return float(np.sqrt(np.mean((t - p) ** 2)))


def mape(y_true: Any, y_pred: Any) -> float:
    """MAPE = (1/m) Σ |(y − ŷ) / y|, a fraction (×100 for percent)."""
    t, p = _pair(y_true, y_pred, "mape")
    if np.any(t == 0):
        raise ValueError("mape: y_true contains 0, where the percentage error is undefined")
    return float(np.mean(np.abs((t - p) / t)))


def r2_score(y_true: Any, y_pred: Any) -> float:
    """R² = 1 − Σ(y − ŷ)² / Σ(y − ȳ)²"""
    t, p = _pair(y_true, y_pred, "r2_score")
    ss_res = float(np.sum((t - p) ** 2))
    ss_tot = float(np.sum((t - np.mean(t)) ** 2))
    if ss_tot == 0.0:  # constant target: R² is undefined; scikit-learn's finite convention
        return 1.0 if ss_res == 0.0 else 0.0
    return 1.0 - ss_res / ss_tot


r2 = r2_score  # the book's name


# -- single-label classification (Wang & Huang §3.9) ---------------------------------------
def scores_to_labels(scores: Any, y_true: Any = None, threshold: float | None = None
                     ) -> np.ndarray:
    """Class labels from model outputs.

    An (n, C) array with C > 1 gives the row-wise argmax. One score per sample (n or (n, 1))
    is a binary decision: if ``y_true`` uses the labels {−1, +1} (hinge loss) the label is
    the sign (score ≥ 0 → +1); otherwise {0, 1} with ``threshold`` — default 0.5 when every
    score lies in [0, 1] (probabilities), else 0 (logits).
    """
    s = as_array(scores, "scores_to_labels: scores")
    if s.ndim == 2 and s.shape[1] > 1:
        return np.argmax(s, axis=1)
    if s.ndim > 2:  # flattening would give one label per number, not per sample
        raise ValueError(f"scores_to_labels: scores must be (n,), (n, 1) or (n, classes), "
                         f"got shape {s.shape}")
    s = s.reshape(-1)
    if y_true is not None:
        t = as_array(y_true, "scores_to_labels: y_true").reshape(-1)
        if np.all(np.isin(t, (-1.0, 1.0))) and np.any(t == -1.0):
            return np.where(s >= (0.0 if threshold is None else threshold), 1, -1)
    if threshold is None:
        threshold = default_threshold(s)
    return (s >= threshold).astype(np.int64)


def default_threshold(scores: Any) -> float:
    """0.5 if every score lies in [0, 1] (probabilities), else 0.0 (logits or margins)."""
    s = np.asarray(scores, dtype=np.float64)
    return 0.5 if np.all((s >= 0) & (s <= 1)) else 0.0


def accuracy(y_true: Any, y_pred: Any) -> float:
    """Accuracy = (1/m) Σ 1[y = ŷ]; ``y_pred`` is labels or an (n, C) score matrix."""
    t, p = _class_pair(y_true, y_pred, "accuracy")
    return float(np.mean(t == p))


def _label_set(t: np.ndarray, p: np.ndarray, labels: Sequence[int] | None,
               num_classes: int | None, fn: str) -> np.ndarray:
    """The classes to report: ``labels``, else 0..num_classes−1, else every label seen."""
    if labels is not None:
        return _labels_1d(labels, fn, "labels")  # int64 alone would truncate 0.5 to 0
    if num_classes is not None:
        if isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral) \
                or num_classes < 1:
            raise ValueError(f"{fn}: num_classes must be a positive int, got {num_classes!r}")
        return np.arange(num_classes)
    return np.unique(np.concatenate([t, p]))


def confusion_matrix(y_true: Any, y_pred: Any, labels: Sequence[int] | None = None,
                     num_classes: int | None = None) -> np.ndarray:
    """C[i, j] = number of samples of true class labels[i] predicted as labels[j].

    ``labels`` defaults to ``range(num_classes)`` if given, else every label that occurs.
    """
    t, p = _class_pair(y_true, y_pred, "confusion_matrix")
    classes = _label_set(t, p, labels, num_classes, "confusion_matrix")
    index = {int(c): i for i, c in enumerate(classes)}
    unknown = sorted({int(v) for v in np.concatenate([t, p])} - set(index))
    if unknown:
        raise ValueError(f"confusion_matrix: labels {unknown} are not among {classes.tolist()}")
    cm = np.zeros((len(classes), len(classes)), dtype=np.int64)
    for a, b in zip(t, p):
        cm[index[int(a)], index[int(b)]] += 1
    return cm


def precision_recall_f1(
    y_true: Any,
    y_pred: Any,
    average: str | None = "binary",
    pos_label: int = 1,
    labels: Sequence[int] | None = None,
    zero_division: float = 0.0,
) -> tuple[Any, Any, Any]:
    """(precision, recall, F1) with P = TP/(TP+FP), R = TP/(TP+FN), F1 = 2PR/(P+R).

    ``average``: 'binary' (class ``pos_label`` only), 'macro' (plain mean over classes),
    'micro' (pool TP/FP/FN over classes), 'weighted' (mean weighted by class support), or
    None (one value per class, as arrays in the order of ``labels``).
    """
    return _prf("precision_recall_f1", y_true, y_pred, average, pos_label, labels,
                zero_division)


def _prf(name: str, y_true: Any, y_pred: Any, average: str | None, pos_label: int,
         labels: Sequence[int] | None, zero_division: float) -> tuple[Any, Any, Any]:
    """``precision_recall_f1``, with errors naming the public function ``name`` called."""
    if average not in _AVERAGES:
        raise ValueError(f"{name}: average must be one of {_AVERAGES}, got {average!r}")
    t, p = _class_pair(y_true, y_pred, name)
    if average == "binary":
        tp = float(np.sum((t == pos_label) & (p == pos_label)))
        fp = float(np.sum((t != pos_label) & (p == pos_label)))
        fn = float(np.sum((t == pos_label) & (p != pos_label)))
        prec = _ratio(tp, tp + fp, zero_division)
        rec = _ratio(tp, tp + fn, zero_division)
        return prec, rec, _ratio(2 * tp, 2 * tp + fp + fn, zero_division)
    classes = _label_set(t, p, labels, None, name)
    # per-class counts; with an explicit ``labels`` subset, other labels still count as errors
    tp = np.array([np.sum((t == c) & (p == c)) for c in classes], dtype=np.float64)
    pred_pos = np.array([np.sum(p == c) for c in classes], dtype=np.float64)
    true_pos = np.array([np.sum(t == c) for c in classes], dtype=np.float64)
    if average == "micro":
        prec = _ratio(tp.sum(), pred_pos.sum(), zero_division)
        rec = _ratio(tp.sum(), true_pos.sum(), zero_division)
        f1 = _ratio(2 * tp.sum(), pred_pos.sum() + true_pos.sum(), zero_division)
        return prec, rec, f1
    prec = _ratio(tp, pred_pos, zero_division)
    rec = _ratio(tp, true_pos, zero_division)
    f1 = _ratio(2 * tp, pred_pos + true_pos, zero_division)
    if average is None:
        return prec, rec, f1
    weights = true_pos if average == "weighted" else np.ones_like(tp)
    if weights.sum() == 0:
        return float(zero_division), float(zero_division), float(zero_division)
    return tuple(float(np.average(v, weights=weights)) for v in (prec, rec, f1))


def precision(y_true: Any, y_pred: Any, average: str | None = "binary", pos_label: int = 1,
              labels: Sequence[int] | None = None, zero_division: float = 0.0) -> Any:
    """Precision = TP / (TP + FP); see ``precision_recall_f1`` for ``average``."""
    return _prf("precision", y_true, y_pred, average, pos_label, labels, zero_division)[0]


def recall(y_true: Any, y_pred: Any, average: str | None = "binary", pos_label: int = 1,
           labels: Sequence[int] | None = None, zero_division: float = 0.0) -> Any:
    """Recall = TP / (TP + FN); see ``precision_recall_f1`` for ``average``."""
    return _prf("recall", y_true, y_pred, average, pos_label, labels, zero_division)[1]


def f1_score(y_true: Any, y_pred: Any, average: str | None = "binary", pos_label: int = 1,
             labels: Sequence[int] | None = None, zero_division: float = 0.0) -> Any:
    """F1 = 2·P·R / (P + R) = 2TP / (2TP + FP + FN); see ``precision_recall_f1``."""
    return _prf("f1_score", y_true, y_pred, average, pos_label, labels, zero_division)[2]


def top_k_accuracy(y_true: Any, scores: Any, k: int = 1) -> float:
    """Fraction of samples whose true class is among the k highest scores of its row."""
    t = _labels_1d(y_true, "top_k_accuracy", "y_true")
    s = as_array(scores, "top_k_accuracy: scores")
    if s.ndim != 2:
        raise ValueError(f"top_k_accuracy: scores must be (n, classes), got shape {s.shape}")
    if s.shape[0] != t.shape[0]:
        raise ValueError(f"top_k_accuracy: {t.shape[0]} labels but {s.shape[0]} score rows")
    if isinstance(k, bool) or not isinstance(k, numbers.Integral):
        raise TypeError(f"top_k_accuracy: k must be an int, got {k!r}")
    if not 1 <= k <= s.shape[1]:
        raise ValueError(f"top_k_accuracy: k must be in 1..{s.shape[1]}, got {k}")
    if np.any((t < 0) | (t >= s.shape[1])):
        raise ValueError(f"top_k_accuracy: labels must be in 0..{s.shape[1] - 1}")
    top = np.argsort(-s, axis=1, kind="stable")[:, :k]
    return float(np.mean(np.any(top == t[:, None], axis=1)))


def classification_report(y_true: Any, y_pred: Any, labels: Sequence[int] | None = None
                          ) -> dict[str, Any]:
    """Per-class precision/recall/F1/support plus accuracy and macro/weighted averages."""
    t, p = _class_pair(y_true, y_pred, "classification_report")
    classes = _label_set(t, p, labels, None, "classification_report")
    prec, rec, f1 = _prf("classification_report", t, p, None, 1, labels, 0.0)
    report: dict[str, Any] = {}
    for i, c in enumerate(classes):
        report[int(c)] = {"precision": float(prec[i]), "recall": float(rec[i]),
                          "f1": float(f1[i]), "support": int(np.sum(t == c))}
    report["accuracy"] = float(np.mean(t == p))
    for avg in ("macro", "weighted"):
        a, b, c = _prf("classification_report", t, p, avg, 1, labels, 0.0)
        report[avg] = {"precision": a, "recall": b, "f1": c, "support": int(t.size)}
    return report


# -- multi-label (Wang & Huang §3.13) --------------------------------------------------------
def _indicator_pair(y_true: Any, y_pred: Any, fn: str) -> tuple[np.ndarray, np.ndarray]:
    """Two (samples, labels) 0/1 matrices."""
    t, p = _pair(y_true, y_pred, fn)
    if t.ndim == 1:
        t, p = t[None, :], p[None, :]
    if t.ndim != 2:
        raise ValueError(f"{fn}: expected (samples, labels) 0/1 matrices, got shape {t.shape}")
    for name, m in (("y_true", t), ("y_pred", p)):
        if not np.all((m == 0) | (m == 1)):
            raise ValueError(
                f"{fn}: {name} must hold only 0/1 label indicators; threshold probabilities "
                "first (e.g. p >= 0.5)"
            )
    return t.astype(bool), p.astype(bool)


def _exact_match(t: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(np.all(t == p, axis=1)))


def _jaccard(t: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(_ratio(np.sum(t & p, axis=1), np.sum(t | p, axis=1), 1.0)))


def _ml_precision(t: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(_ratio(np.sum(t & p, axis=1), np.sum(p, axis=1), 0.0)))


def _ml_recall(t: np.ndarray, p: np.ndarray) -> float:
    return float(np.mean(_ratio(np.sum(t & p, axis=1), np.sum(t, axis=1), 0.0)))


def _ml_f1(t: np.ndarray, p: np.ndarray) -> float:
    den = np.sum(t, axis=1) + np.sum(p, axis=1)
    return float(np.mean(_ratio(2 * np.sum(t & p, axis=1), den, 0.0)))


def exact_match_ratio(y_true: Any, y_pred: Any) -> float:
    """MR = (1/m) Σ 1[ŷ⁽ⁱ⁾ = y⁽ⁱ⁾]: a sample counts only if every label is right."""
    return _exact_match(*_indicator_pair(y_true, y_pred, "exact_match_ratio"))


def zero_one_loss(y_true: Any, y_pred: Any) -> float:
    """L₀₋₁ = 1 − exact-match ratio: the fraction of samples with any wrong label."""
    return 1.0 - _exact_match(*_indicator_pair(y_true, y_pred, "zero_one_loss"))


def multilabel_accuracy(y_true: Any, y_pred: Any, partial: bool = True) -> float:
    """With partial credit: (1/m) Σ |y ∩ ŷ| / |y ∪ ŷ| (a sample with y = ŷ = ∅ scores 1);
    without (``partial=False``): the exact-match ratio."""
    t, p = _indicator_pair(y_true, y_pred, "multilabel_accuracy")
    return _jaccard(t, p) if partial else _exact_match(t, p)


def multilabel_precision(y_true: Any, y_pred: Any) -> float:
    """(1/m) Σ |y ∩ ŷ| / |ŷ| (a sample with nothing predicted scores 0)."""
    return _ml_precision(*_indicator_pair(y_true, y_pred, "multilabel_precision"))


def multilabel_recall(y_true: Any, y_pred: Any) -> float:
    """(1/m) Σ |y ∩ ŷ| / |y| (a sample with no true label scores 0)."""
    return _ml_recall(*_indicator_pair(y_true, y_pred, "multilabel_recall"))


def multilabel_f1(y_true: Any, y_pred: Any) -> float:
    """(1/m) Σ 2|y ∩ ŷ| / (|y| + |ŷ|) (a sample with y = ŷ = ∅ scores 0, as in the book)."""
    return _ml_f1(*_indicator_pair(y_true, y_pred, "multilabel_f1"))


def hamming_loss(y_true: Any, y_pred: Any) -> float:
    """Hamming loss = (1/(m·q)) Σᵢ Σⱼ 1[y⁽ⁱ⁾ⱼ ≠ ŷ⁽ⁱ⁾ⱼ]: the fraction of wrong labels."""
    t, p = _indicator_pair(y_true, y_pred, "hamming_loss")
    return float(np.mean(t != p))


def multilabel_report(y_true: Any, y_pred: Any) -> dict[str, float]:
    """Every multi-label metric of the book, by name."""
    t, p = _indicator_pair(y_true, y_pred, "multilabel_report")
    exact = _exact_match(t, p)
    return {
        "exact_match": exact,
        "zero_one_loss": 1.0 - exact,
        "accuracy": _jaccard(t, p),
        "precision": _ml_precision(t, p),
        "recall": _ml_recall(t, p),
        "f1": _ml_f1(t, p),
        "hamming_loss": float(np.mean(t != p)),
    }


# Names accepted by train.fit(metrics=[...]); values are f(y_true, y_pred).
METRICS = {
    "mae": mae,
    "mse": mse,
    "rmse": rmse,
    "mape": mape,
    "r2": r2_score,
    "accuracy": accuracy,
    "precision": precision,
    "recall": recall,
    "f1": f1_score,
    "macro_f1": lambda t, p: f1_score(t, p, average="macro"),
    "exact_match": exact_match_ratio,
    "multilabel_accuracy": multilabel_accuracy,
    "hamming_loss": hamming_loss,
}
