"""Metrics against hand-computed values (the textbook's own examples, seed 001 §3.8-3.13)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_plus import Value
from micrograd_plus import metrics as M

# -- regression ------------------------------------------------------------------------------
Y = [3.0, -0.5, 2.0, 7.0]
P = [2.5, 0.0, 2.0, 8.0]


def test_regression_by_hand():
    assert M.mae(Y, P) == pytest.approx((0.5 + 0.5 + 0 + 1) / 4)
    assert M.mse(Y, P) == pytest.approx((0.25 + 0.25 + 0 + 1) / 4)
    assert M.rmse(Y, P) == pytest.approx(math.sqrt(0.375))
    assert M.mape(Y, P) == pytest.approx((0.5 / 3 + 0.5 / 0.5 + 0 + 1 / 7) / 4)
    mean = sum(Y) / 4
    ss_tot = sum((y - mean) ** 2 for y in Y)
    assert M.r2_score(Y, P) == pytest.approx(1 - 1.5 / ss_tot)


def test_regression_perfect_and_constant():
    assert M.r2_score(Y, Y) == 1.0
    assert M.mae(Y, Y) == 0.0
    assert M.r2_score([2, 2, 2], [2, 2, 2]) == 1.0
    assert M.r2_score([2, 2, 2], [1, 2, 3]) == 0.0
    # predicting the mean gives R² = 0; worse than the mean is negative
    assert M.r2_score(Y, [np.mean(Y)] * 4) == pytest.approx(0.0)
    assert M.r2_score(Y, [-y for y in Y]) < 0


def test_regression_accepts_values_tensors_and_columns():
    vals = [Value(p) for p in P]
    assert M.mae(Y, vals) == pytest.approx(0.5)
    col = np.array(P).reshape(-1, 1)  # a model's (n, 1) output against flat targets
    assert M.mse(Y, col) == pytest.approx(0.375)

    class FakeTensor:  # anything with a .data array, like Tensor
        def __init__(self, data):
            self.data = np.asarray(data)

    assert M.rmse(FakeTensor(Y), FakeTensor(P)) == pytest.approx(math.sqrt(0.375))


def test_regression_errors():
    with pytest.raises(ValueError, match=r"mae: y_true has shape \(4,\) but y_pred has shape"):
        M.mae(Y, P[:3])
    with pytest.raises(ValueError, match="mape: y_true contains 0"):
        M.mape([0.0, 1.0], [1.0, 1.0])
    with pytest.raises(TypeError, match="mse: y_pred must be numbers"):
        M.mse(Y, ["a", "b", "c", "d"])
    with pytest.raises(ValueError, match="empty"):
        M.mae([], [])


# -- binary classification: the book's cat/dog example (TP=5, FP=3, TN=7, FN=7) ------------
def _cat_dog():
    y_true = [1] * 5 + [0] * 3 + [0] * 7 + [1] * 7
    y_pred = [1] * 5 + [1] * 3 + [0] * 7 + [0] * 7
    return y_true, y_pred


def test_binary_by_hand():
    t, p = _cat_dog()
    assert M.accuracy(t, p) == pytest.approx(12 / 22)
    assert M.precision(t, p) == pytest.approx(5 / 8)
    assert M.recall(t, p) == pytest.approx(5 / 12)
    assert M.f1_score(t, p) == pytest.approx(0.5)
    assert M.confusion_matrix(t, p).tolist() == [[7, 3], [7, 5]]
    # the other class as positive: TP=7, FP=7, FN=3
    assert M.precision(t, p, pos_label=0) == pytest.approx(7 / 14)
    assert M.recall(t, p, pos_label=0) == pytest.approx(7 / 10)


def test_zero_division():
    assert M.precision([1, 0], [0, 0]) == 0.0
    assert M.precision([1, 0], [0, 0], zero_division=1.0) == 1.0
    assert M.recall([0, 0], [1, 0]) == 0.0


# -- multi-class: the book's three-class example (§3.9.4) ------------------------------------
T3 = [1, 1, 1, 0, 0, 0, 2, 2, 2, 2]
P3 = [1, 0, 0, 0, 2, 1, 0, 0, 2, 2]


def test_multiclass_by_hand():
    assert M.confusion_matrix(T3, P3).tolist() == [[1, 1, 1], [2, 1, 0], [2, 0, 2]]
    assert M.accuracy(T3, P3) == pytest.approx(0.4)
    prec, rec, f1 = M.precision_recall_f1(T3, P3, average=None)
    np.testing.assert_allclose(prec, [1 / 5, 1 / 2, 2 / 3])
    np.testing.assert_allclose(rec, [1 / 3, 1 / 3, 2 / 4])
    np.testing.assert_allclose(f1, [2 / 8, 2 / 5, 4 / 7])  # 2TP / (2TP + FP + FN)
    assert M.precision(T3, P3, average="macro") == pytest.approx((1 / 5 + 1 / 2 + 2 / 3) / 3)
    assert M.recall(T3, P3, average="macro") == pytest.approx((1 / 3 + 1 / 3 + 1 / 2) / 3)
    assert M.f1_score(T3, P3, average="macro") == pytest.approx((1 / 4 + 2 / 5 + 4 / 7) / 3)
    w = np.array([3, 3, 4]) / 10
    assert M.precision(T3, P3, average="weighted") == pytest.approx(
        w @ [1 / 5, 1 / 2, 2 / 3])
    # the book's rounded figures
    assert round(M.precision(T3, P3, average="macro"), 2) == 0.46
    assert round(M.f1_score(T3, P3, average="weighted"), 2) == 0.42
    for fn in (M.precision, M.recall, M.f1_score):
        assert fn(T3, P3, average="micro") == pytest.approx(0.4)


def test_scores_are_argmaxed_and_report():
    scores = np.eye(3)[P3] * 2.0 - 0.5  # a score matrix whose argmax is P3
    assert M.accuracy(T3, scores) == pytest.approx(0.4)
    rep = M.classification_report(T3, P3)
    assert rep[2] == {"precision": pytest.approx(2 / 3), "recall": 0.5,
                      "f1": pytest.approx(4 / 7), "support": 4}
    assert rep["accuracy"] == pytest.approx(0.4)
    assert rep["macro"]["recall"] == pytest.approx((1 / 3 + 1 / 3 + 1 / 2) / 3)


def test_labels_subset_and_num_classes():
    cm = M.confusion_matrix([0, 1], [0, 1], num_classes=4)
    assert cm.shape == (4, 4) and cm.trace() == 2
    # macro over classes {0, 1} only; class 2's mistakes still lower class 0's precision
    p = M.precision(T3, P3, average="macro", labels=[0, 1])
    assert p == pytest.approx((1 / 5 + 1 / 2) / 2)
    with pytest.raises(ValueError, match=r"labels \[2\] are not among \[0, 1\]"):
        M.confusion_matrix(T3, P3, labels=[0, 1])
    # non-integer labels were truncated (0.5 counted as class 0); num_classes hit np.arange
    with pytest.raises(ValueError, match=r"precision: labels must be integer class labels"):
        M.precision(T3, P3, average="macro", labels=[0.5, 1])
    with pytest.raises(ValueError, match="confusion_matrix: num_classes must be a positive int"):
        M.confusion_matrix([0, 1], [0, 1], num_classes="2")


def test_classification_errors():
    with pytest.raises(ValueError, match="accuracy: y_pred must be integer class labels"):
        M.accuracy([0, 1], [0.2, 0.9])
    with pytest.raises(ValueError, match="average must be one of"):
        M.precision([0, 1], [0, 1], average="mean")
    with pytest.raises(ValueError, match="accuracy: y_true has 2 labels but y_pred has 3"):
        M.accuracy([0, 1], [0, 1, 1])


REGRESSION = [M.mae, M.mse, M.rmse, M.mape, M.r2_score]
CLASSIFICATION = [M.accuracy, M.precision, M.recall, M.f1_score, M.precision_recall_f1,
                  M.confusion_matrix, M.classification_report]
MULTILABEL = [M.exact_match_ratio, M.zero_one_loss, M.multilabel_accuracy,
              M.multilabel_precision, M.multilabel_recall, M.multilabel_f1, M.hamming_loss,
              M.multilabel_report]


@pytest.mark.parametrize("fn", REGRESSION + CLASSIFICATION + MULTILABEL,
                         ids=lambda f: f.__name__)
def test_empty_or_mismatched_inputs_name_the_function_called(fn):
    a, b = ([[0, 1], [1, 0], [1, 1]], [[0, 1], [1, 0]]) if fn in MULTILABEL else \
        ([1, 2, 1], [1, 2])
    with pytest.raises(ValueError, match=rf"^{fn.__name__}: y_true has .*3.* but y_pred has"):
        fn(a, b)
    with pytest.raises(ValueError, match=rf"^{fn.__name__}: y_true is empty"):
        fn([], [])
    with pytest.raises(ValueError, match=rf"^{fn.__name__}: y_pred is empty"):
        fn(a, [])


def test_non_integer_labels_are_shown_in_the_error():
    with pytest.raises(ValueError, match=r"y_pred must be integer class labels, got e.g. \[0.5\]"):
        M.accuracy([0, 1, 1], [0, 0.5, 1])
    with pytest.raises(ValueError, match=r"y_true must be integer class labels, got e.g. \[nan\]"):
        M.recall([0, math.nan], [0, 1])
    with pytest.raises(ValueError, match=r"^f1_score: average must be one of"):
        M.f1_score([0, 1], [0, 1], average="mean")


def test_default_threshold_reads_probabilities_and_logits():
    assert M.default_threshold([0.0, 0.3, 1.0]) == 0.5
    assert M.default_threshold([-0.1, 0.3]) == 0.0
    assert M.default_threshold([[0.2, 1.5]]) == 0.0


def test_scores_to_labels():
    assert M.scores_to_labels([0.2, 0.7, 0.5]).tolist() == [0, 1, 1]  # probabilities
    assert M.scores_to_labels([-2.0, 3.0, 0.4]).tolist() == [0, 1, 1]  # logits: at 0
    assert M.scores_to_labels([-0.3, 0.2], y_true=[1, -1]).tolist() == [-1, 1]  # hinge ±1
    assert M.scores_to_labels([[0.1, 0.9], [2.0, 1.0]]).tolist() == [1, 0]
    assert M.scores_to_labels([[0.3], [0.8]]).tolist() == [0, 1]
    with pytest.raises(ValueError, match=r"scores_to_labels: .*got shape \(2, 2, 2\)"):
        M.scores_to_labels(np.zeros((2, 2, 2)))  # was flattened into 8 labels for 2 samples


def test_top_k_by_hand():
    logits = [[0.1, 0.3, 0.2, 0.4], [0.5, 0.01, 0.9, 0.4]]
    assert M.top_k_accuracy([3, 0], logits, k=1) == 0.5
    assert M.top_k_accuracy([3, 0], logits, k=2) == 1.0
    # the book's five-class example: true class 0 is second → wrong at k=1, right at k=2
    probs = [[0.32, 0.1, 0.2, 0.05, 0.33]]
    assert M.top_k_accuracy([0], probs, k=1) == 0.0
    assert M.top_k_accuracy([0], probs, k=2) == 1.0
    with pytest.raises(ValueError, match=r"k must be in 1..4"):
        M.top_k_accuracy([3, 0], logits, k=5)
    with pytest.raises(TypeError, match=r"top_k_accuracy: k must be an int, got 1.5"):
        M.top_k_accuracy([3, 0], logits, k=1.5)  # was a bare "slice indices" TypeError


# -- multi-label (§3.13) --------------------------------------------------------------------
YT = [[0, 1, 0, 1], [0, 1, 1, 0], [0, 0, 1, 1]]
YP = [[0, 1, 1, 0], [0, 1, 1, 0], [1, 1, 0, 0]]


def test_multilabel_by_hand():
    assert M.exact_match_ratio(YT, YP) == pytest.approx(1 / 3)
    assert M.multilabel_accuracy(YT, YP, partial=False) == pytest.approx(1 / 3)
    assert M.zero_one_loss(YT, YP) == pytest.approx(2 / 3)
    assert M.multilabel_accuracy(YT, YP) == pytest.approx((1 / 3 + 2 / 2 + 0 / 4) / 3)
    assert M.multilabel_precision(YT, YP) == pytest.approx((1 / 2 + 2 / 2 + 0 / 2) / 3)
    assert M.multilabel_recall(YT, YP) == pytest.approx(0.5)
    assert M.multilabel_f1(YT, YP) == pytest.approx((2 / 4 + 4 / 4 + 0 / 4) / 3)
    assert M.hamming_loss(YT, YP) == pytest.approx(6 / 12)
    rep = M.multilabel_report(YT, YP)
    assert rep["accuracy"] == pytest.approx(4 / 9) and rep["hamming_loss"] == 0.5


def test_multilabel_empty_rows_and_errors():
    # nothing true and nothing predicted: a perfect answer for accuracy
    assert M.multilabel_accuracy([[0, 0], [1, 0]], [[0, 0], [1, 0]]) == 1.0
    with pytest.raises(ValueError, match="hamming_loss: y_pred must hold only 0/1"):
        M.hamming_loss([[0, 1]], [[0.2, 0.8]])


# -- properties -------------------------------------------------------------------------------
labels3 = st.lists(st.integers(0, 2), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_micro_equals_accuracy_and_cm_consistent(data):
    t = data.draw(labels3)
    p = data.draw(st.lists(st.integers(0, 2), min_size=len(t), max_size=len(t)))
    acc = M.accuracy(t, p)
    assert M.f1_score(t, p, average="micro") == pytest.approx(acc)
    cm = M.confusion_matrix(t, p, num_classes=3)
    assert cm.sum() == len(t) and cm.trace() == sum(a == b for a, b in zip(t, p))
    # per-class precision from the confusion matrix columns
    prec = M.precision(t, p, average=None, labels=[0, 1, 2])
    for c in range(3):
        col = cm[:, c].sum()
        assert prec[c] == pytest.approx(cm[c, c] / col if col else 0.0)


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_multilabel_bounds(data):
    n = data.draw(st.integers(1, 6))
    q = data.draw(st.integers(1, 5))
    cell = st.lists(st.lists(st.integers(0, 1), min_size=q, max_size=q), min_size=n,
                    max_size=n)
    t, p = data.draw(cell), data.draw(cell)
    em = M.exact_match_ratio(t, p)
    acc = M.multilabel_accuracy(t, p)
    assert 0.0 <= em <= acc <= 1.0  # partial credit never scores below exact match
    assert M.hamming_loss(t, p) == pytest.approx(np.mean(np.array(t) != np.array(p)))
    if M.hamming_loss(t, p) == 0.0:
        assert em == 1.0
