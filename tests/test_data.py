"""Splits are seeded, disjoint and covering; scaling uses train statistics; batches; makers."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from micrograd_plus import data as D


def _ids(part) -> list:
    return [int(row[0]) for row in part]


def test_split_book_sizes_and_disjoint_covering():
    X = np.arange(2040 * 3, dtype=float).reshape(2040, 3)
    y = np.arange(2040)
    Xtr, Xte, ytr, yte = D.train_test_split(X, y, train_ratio=0.7, seed=1)
    assert (len(Xtr), len(Xte)) == (1428, 612)  # the book's 7:3 of 2040
    assert len(D.train_test_split(X, y, test_ratio=0.3)[1]) == 612
    # rows stay paired with their labels
    np.testing.assert_array_equal(Xtr[:, 0] / 3, ytr)
    assert set(ytr).isdisjoint(yte) and set(ytr) | set(yte) == set(range(2040))


def test_split_is_seeded_and_shuffled():
    X = list(range(50))
    a = D.train_test_split(X, seed=3)
    b = D.train_test_split(X, seed=3)
    c = D.train_test_split(X, seed=4)
    assert a == b and a != c
    assert isinstance(a[0], list)  # lists stay lists for scalar-engine models
    assert a[0] != sorted(a[0])
    unshuffled = D.train_test_split(X, test_ratio=0.2, shuffle=False)
    assert unshuffled == (list(range(40)), list(range(40, 50)))


def test_split_errors():
    with pytest.raises(ValueError, match="X has 3 samples but y has 2"):
        D.train_test_split([1, 2, 3], [0, 1])
    with pytest.raises(ValueError, match=r"test ratio must be in \(0, 1\)"):
        D.train_test_split([1, 2, 3], test_ratio=1.5)
    with pytest.raises(ValueError, match="not both"):
        D.train_test_split([1, 2, 3], test_ratio=0.5, train_ratio=0.5)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(5, 60), k=st.integers(2, 5), seed=st.integers(0, 10))
def test_kfold_partitions(n, k, seed):
    folds = list(D.KFold(k, seed=seed).split(n))
    assert len(folds) == k
    tests = np.concatenate([te for _, te in folds])
    assert sorted(tests.tolist()) == list(range(n))  # every sample tested exactly once
    for tr, te in folds:
        assert set(tr).isdisjoint(te) and len(tr) + len(te) == n
        assert len(te) in (n // k, n // k + 1)
    again = [te.tolist() for _, te in D.KFold(k, seed=seed).split(list(range(n)))]
    assert again == [te.tolist() for _, te in folds]


def test_kfold_errors():
    with pytest.raises(ValueError, match="n_splits must be an int >= 2"):
        D.KFold(1)
    with pytest.raises(ValueError, match="cannot make 5 folds of 3 samples"):
        list(D.KFold(5).split(3))


def test_standard_scaler_uses_training_statistics():
    train = np.array([[1.0, 10.0, 5.0], [3.0, 30.0, 5.0]])
    test = np.array([[5.0, 20.0, 6.0]])
    s = D.StandardScaler().fit(train)
    np.testing.assert_allclose(s.transform(train), [[-1, -1, 0], [1, 1, 0]])
    # the test set is scaled by the TRAIN mean (2, 20, 5) and std (1, 10, 1→ constant)
    np.testing.assert_allclose(s.transform(test), [[3.0, 0.0, 1.0]])
    np.testing.assert_allclose(s.inverse_transform(s.transform(test)), test)
    _, te = D.standardize(train, test)
    np.testing.assert_allclose(te, [[3.0, 0.0, 1.0]])
    assert D.StandardScaler().fit_transform([1.0, 2.0, 3.0]).shape == (3,)


def test_minmax_scaler_and_errors():
    s = D.MinMaxScaler().fit([[0.0, -1.0], [4.0, 1.0]])
    np.testing.assert_allclose(s.transform([[2.0, 0.0], [8.0, 3.0]]), [[0.5, 0.5], [2, 2]])
    with pytest.raises(RuntimeError, match="call fit"):
        D.MinMaxScaler().transform([[1.0]])
    with pytest.raises(ValueError, match="fitted on 2 features, got 3"):
        s.transform([[1.0, 2.0, 3.0]])
    np.testing.assert_allclose(s.inverse_transform([[0.5, 0.5]]), [[2.0, 0.0]])
    assert s.min_.tolist() == [0.0, -1.0] and s.range_.tolist() == [4.0, 2.0]
    # a constant column keeps range 1: shifted to 0, not divided by 0
    np.testing.assert_allclose(D.MinMaxScaler().fit_transform([[3.0], [3.0]]), [[0.0], [0.0]])
    for scaler in (D.MinMaxScaler, D.StandardScaler):
        with pytest.raises(ValueError, match=f"{scaler.__name__}.fit: X has no samples"):
            scaler().fit(np.zeros((0, 2)))


def test_batches_book_sizes_and_cover():
    X = np.arange(1428)
    sizes = [len(xb) for xb, _ in D.batches(X, X, batch_size=100, seed=0)]
    assert sizes == [100] * 14 + [28]  # the book's §3.4.2 example
    assert [len(b) for b in D.batches(X, batch_size=100, drop_last=True)] == [100] * 14
    seen = np.concatenate([xb for xb, yb in D.batches(X, X * 2, 64, seed=1)
                           if np.array_equal(yb, xb * 2)])
    assert sorted(seen.tolist()) == X.tolist()
    ordered = next(iter(D.batches(X, batch_size=5, shuffle=False)))
    assert ordered.tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="batches: batch_size must be a positive int"):
        next(D.batches(X, batch_size=0))
    with pytest.raises(ValueError, match="DataLoader: batch_size must be a positive int"):
        D.DataLoader(X, batch_size=True)


def test_dataloader_reshuffles_each_epoch_reproducibly():
    X = list(range(20))
    dl = D.DataLoader(X, X, batch_size=6, seed=2)
    assert len(dl) == 4
    e1 = [x for xb, _ in dl for x in xb]
    e2 = [x for xb, _ in dl for x in xb]
    assert sorted(e1) == X and sorted(e2) == X and e1 != e2
    dl2 = D.DataLoader(X, X, batch_size=6, seed=2)
    assert [x for xb, _ in dl2 for x in xb] == e1


def test_moons():
    X, y = D.make_moons(100, noise=0.0, seed=0)
    assert X.shape == (100, 2) and np.bincount(y).tolist() == [50, 50]
    outer = X[y == 0]
    np.testing.assert_allclose(np.hypot(*outer.T), 1.0)  # outer moon: the unit half circle
    inner = X[y == 1]
    np.testing.assert_allclose(np.hypot(inner[:, 0] - 1, inner[:, 1] - 0.5), 1.0)
    a, b = D.make_moons(30, seed=5), D.make_moons(30, seed=5)
    np.testing.assert_array_equal(a[0], b[0])


def test_3d_classes_match_the_book_shape_and_rule():
    X, y = D.make_3d_classes()
    assert X.shape == (2040, 3) and np.bincount(y).tolist() == [1020, 1020]
    assert np.all(np.abs(X) <= 1.0)
    d = np.abs(X.sum(axis=1)) / np.sqrt(3)
    assert np.all(d[y == 0] < 0.3) and np.all(d[y == 1] > 0.5)
    # not linearly separable: the best least-squares plane is near chance
    A = np.c_[X, np.ones(len(X))]
    w = np.linalg.lstsq(A, 2.0 * y - 1, rcond=None)[0]
    assert np.mean((A @ w > 0) == y) < 0.7


def test_housing_formula_and_shape():
    X, y = D.make_housing(noise=0.0, seed=3)
    assert X.shape == (506, 13) and len(D.HOUSING_FEATURES) == 13
    col = {name: X[:, i] for i, name in enumerate(D.HOUSING_FEATURES)}
    expected = (22 + 6.5 * (col["RM"] - 6.3) - 9 * (np.log(col["LSTAT"]) - 2.4)
                - 1.2 * (col["DIS"] - 3.8) / 2 - 0.35 * (col["PTRATIO"] - 18.5)
                + 3 * col["CHAS"] - 2 * np.log1p(col["CRIM"]))
    np.testing.assert_allclose(y, np.clip(expected, 5, 50))
    assert set(np.unique(col["CHAS"])) <= {0.0, 1.0}
    assert 15 < y.mean() < 30


def test_blobs_spirals_multilabel_wide():
    X, y = D.make_blobs(90, centers=3, n_features=4, seed=0)
    assert X.shape == (90, 4) and np.bincount(y).tolist() == [30, 30, 30]
    X, y = D.make_spirals(50, classes=3)
    assert X.shape == (150, 2) and np.all(np.hypot(*X.T) <= 1.0 + 1e-12)
    X, Y = D.make_multilabel(200)
    assert X.shape == (200, 2) and Y.shape == (200, 4)
    np.testing.assert_array_equal(Y[:, 0], X[:, 0] > 0)
    np.testing.assert_array_equal(Y[:, 2], np.hypot(*X.T) < 0.55)
    assert len(set(Y.sum(axis=1))) >= 3  # samples carry different numbers of labels
    Xtr, Xte, ytr, _ = D.make_wide_regression()
    assert Xtr.shape == (80, 150) and Xte.shape == (110, 150) and ytr.shape == (80, 1)


def test_bad_sizes_and_labels_give_clear_errors():
    cases = [
        (lambda: D.make_moons(-1), "make_moons: n_samples must be a positive int, got -1"),
        (lambda: D.make_3d_classes(0), "make_3d_classes: n_per_class must be a positive int"),
        # empty class regions (the sampler used to loop forever on these)
        (lambda: D.make_3d_classes(5, inner=0.0), "make_3d_classes: need 0 < inner <= outer"),
        (lambda: D.make_3d_classes(5, outer=1.8), r"outer < √3 ≈ 1.732, got inner=0.3, out"),
        (lambda: D.make_3d_classes(5, inner=0.6, outer=0.5), "need 0 < inner <= outer"),
        (lambda: D.make_blobs(10, centers=0), "make_blobs: centers must be a positive int"),
        (lambda: D.make_spirals(5, classes=2.5), "make_spirals: classes must be a positive int"),
        (lambda: D.make_housing(True), "make_housing: n_samples must be a positive int"),
        (lambda: D.make_multilabel(0), "make_multilabel: n_samples must be a positive int"),
        (lambda: D.make_wide_regression(n_test=0), "make_wide_regression: n_test must be"),
        # noise levels: numpy only said "scale < 0", and NaN made every sample NaN
        (lambda: D.make_moons(10, noise=-0.1), "make_moons: noise must be a finite number >= 0"),
        (lambda: D.make_blobs(10, cluster_std=float("nan")), "make_blobs: cluster_std must be"),
        (lambda: D.make_spirals(5, noise=float("inf")), "make_spirals: noise must be a finite"),
        (lambda: D.make_housing(10, noise=-1), "make_housing: noise must be a finite number"),
        (lambda: D.make_multilabel(10, noise=-0.5), "make_multilabel: noise must be a finite"),
        (lambda: D.make_wide_regression(noise="0.3"), "make_wide_regression: noise must be"),
        (lambda: D.one_hot([0, 0.5]), r"one_hot: labels must be integers, got e.g. \[0.5\]"),
        (lambda: D.one_hot([1, float("inf")]), r"labels must be integers, got e.g. \[inf\]"),
        (lambda: D.one_hot([]), "one_hot: no labels; pass num_classes"),
        # these were numpy's errors from np.eye
        (lambda: D.one_hot([0, 1], 2.5), "one_hot: num_classes must be a non-negative int"),
        (lambda: D.one_hot([], -1), r"one_hot: num_classes must be a non-negative int, got -1"),
    ]
    for call, message in cases:
        with pytest.raises(ValueError, match=message):
            call()
    assert D.one_hot([], 3).shape == (0, 3)


def test_one_hot_and_as_lists():
    np.testing.assert_array_equal(D.one_hot([0, 2], 3), [[1, 0, 0], [0, 0, 1]])
    with pytest.raises(ValueError, match="labels must be in 0..1"):
        D.one_hot([0, 2], 2)
    assert D.as_lists(np.eye(2)) == [[1.0, 0.0], [0.0, 1.0]]
