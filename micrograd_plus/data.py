"""Data helpers: seeded splits, k-fold, scaling, mini-batches, and toy dataset makers.

Everything is numpy and seeded: the same ``seed`` always gives the same data, split and
batch order, so a lesson's numbers are reproducible. Nothing is downloaded.

Splitting and batching accept numpy arrays or Python lists (lists come back as lists, so a
scalar-engine model can keep reading plain floats). Dataset makers return ``(X, y)`` numpy
arrays: X is (n_samples, n_features) float64, y is int64 labels or float64 targets.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

__all__ = [
    "train_test_split", "KFold", "StandardScaler", "MinMaxScaler", "standardize",
    "batches", "DataLoader",
    "make_moons", "make_3d_classes", "make_housing", "HOUSING_FEATURES", "make_blobs",
    "make_spirals", "make_multilabel", "MULTILABEL_NAMES", "make_wide_regression",
    "as_lists", "one_hot",
]


def _rng(seed: Any) -> np.random.Generator:
    return seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)


def _length(x: Any, name: str) -> int:
    try:
        return len(x)
    except TypeError:
        raise TypeError(f"{name} must be a sequence or array of samples, got "
                        f"{type(x).__name__}") from None


def _take(x: Any, idx: np.ndarray) -> Any:
    """Rows ``idx`` of ``x``, keeping its kind (ndarray stays ndarray, list stays list)."""
    if isinstance(x, np.ndarray):
        return x[idx]
    data = getattr(x, "data", None)
    if isinstance(data, np.ndarray) and hasattr(x, "requires_grad"):  # a Tensor
        return type(x)(data[idx])
    return [x[int(i)] for i in idx]


def check_same_length(X: Any, y: Any, fn: str) -> int:
    """The number of samples; ValueError naming ``fn`` if X is empty or y has another length."""
    n = _length(X, f"{fn}: X")
    if y is not None and _length(y, f"{fn}: y") != n:
        raise ValueError(f"{fn}: X has {n} samples but y has {_length(y, 'y')}")
    if n == 0:
        raise ValueError(f"{fn}: X is empty")
    return n


def check_batch_size(batch_size: Any, fn: str) -> int:
    """``batch_size`` as a positive int; ValueError naming ``fn`` otherwise."""
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) \
            or batch_size < 1:
        raise ValueError(f"{fn}: batch_size must be a positive int, got {batch_size!r}")
    return int(batch_size)


# -- splitting --------------------------------------------------------------------------------
def train_test_split(
    X: Any,
    y: Any = None,
    test_ratio: float | None = None,
    train_ratio: float | None = None,
    seed: Any = 0,
    shuffle: bool = True,
) -> tuple:
    """Shuffle (seeded) and split into train and test parts.

    Give ``test_ratio`` (default 0.3) or the book's ``train_ratio`` (its ``rate = 0.7``):
    the test part has ⌈n · test_ratio⌉ samples, so 2040 samples at 7:3 give 1428 + 612.
    Returns ``(X_train, X_test, y_train, y_test)``, or ``(X_train, X_test)`` without y.
    """
    n = check_same_length(X, y, "train_test_split")
    if test_ratio is not None and train_ratio is not None:
        raise ValueError("train_test_split: give test_ratio or train_ratio, not both")
    if train_ratio is not None:
        test_ratio = 1.0 - train_ratio
    if test_ratio is None:
        test_ratio = 0.3
    if not 0.0 < test_ratio < 1.0:
        raise ValueError(f"train_test_split: the test ratio must be in (0, 1), got {test_ratio}")
    n_test = math.ceil(round(n * test_ratio, 9))  # round: 2040 * 0.3 is 612.0000000000001
    if n_test >= n:
        raise ValueError(f"train_test_split: {n} samples leave nothing to train on at "
                         f"test ratio {test_ratio}")
    order = _rng(seed).permutation(n) if shuffle else np.arange(n)
    train_idx, test_idx = order[: n - n_test], order[n - n_test:]
    parts = (_take(X, train_idx), _take(X, test_idx))
    if y is not None:
        parts += (_take(y, train_idx), _take(y, test_idx))
    return parts


class KFold:
    """k-fold cross-validation: every sample is in exactly one test fold.

    >>> for train_idx, test_idx in KFold(5, seed=0).split(X): ...

    The first ``n % k`` folds get one extra sample (as scikit-learn does).
    """

    def __init__(self, n_splits: int = 5, shuffle: bool = True, seed: Any = 0) -> None:
        if not isinstance(n_splits, int) or n_splits < 2:
            raise ValueError(f"KFold: n_splits must be an int >= 2, got {n_splits!r}")
        self.n_splits = n_splits
        self.shuffle = shuffle
        self.seed = seed

    def split(self, X: Any) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """(train indices, test indices) for each fold; ``X`` may also be a sample count."""
        n = X if isinstance(X, int) else _length(X, "KFold.split: X")
        if n < self.n_splits:
            raise ValueError(f"KFold: cannot make {self.n_splits} folds of {n} samples")
        order = _rng(self.seed).permutation(n) if self.shuffle else np.arange(n)
        sizes = np.full(self.n_splits, n // self.n_splits)
        sizes[: n % self.n_splits] += 1
        start = 0
        for size in sizes:
            test = order[start:start + size]
            train = np.concatenate([order[:start], order[start + size:]])
            yield train, test
            start += size

    def __repr__(self) -> str:
        return f"KFold(n_splits={self.n_splits}, shuffle={self.shuffle}, seed={self.seed!r})"


# -- scaling ----------------------------------------------------------------------------------
def _as_2d(X: Any, fn: str) -> tuple[np.ndarray, bool]:
    try:
        arr = np.asarray(X, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"{fn}: X must be numbers, got {type(X).__name__}") from None
    if arr.ndim == 1:
        return arr[:, None], True
    if arr.ndim != 2:
        raise ValueError(f"{fn}: X must be 1-D or 2-D (samples, features), got {arr.shape}")
    return arr, False


class _Scaler:
    """x' = (x − shift) / scale per column: fitted on the training set once, then applied
    unchanged to any set. Subclasses name the two statistics (scikit-learn's attribute
    names) and compute them from the training array."""

    _stats: tuple[str, str]  # attribute names of (shift, scale): None until fit()

    def __init__(self) -> None:
        for name in self._stats:
            setattr(self, name, None)

    @staticmethod
    def _statistics(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        raise NotImplementedError

    def fit(self, X: Any) -> _Scaler:
        arr, _ = _as_2d(X, f"{type(self).__name__}.fit")
        if arr.shape[0] == 0:
            raise ValueError(f"{type(self).__name__}.fit: X has no samples")
        shift, spread = self._statistics(arr)
        setattr(self, self._stats[0], shift)
        # a constant column keeps scale 1: it stays put instead of becoming 0/0
        setattr(self, self._stats[1], np.where(spread > 0, spread, 1.0))
        return self

    def _check(self, X: Any, fn: str) -> tuple[np.ndarray, bool]:
        if getattr(self, self._stats[0]) is None:
            raise RuntimeError(f"{type(self).__name__}.{fn}: call fit(X_train) first")
        arr, flat = _as_2d(X, f"{type(self).__name__}.{fn}")
        expected = getattr(self, self._stats[0]).shape[0]
        if arr.shape[1] != expected:
            raise ValueError(f"{type(self).__name__}.{fn}: fitted on {expected} features, "
                             f"got {arr.shape[1]}")
        return arr, flat

    def fit_transform(self, X: Any) -> np.ndarray:
        return self.fit(X).transform(X)

    def transform(self, X: Any) -> np.ndarray:
        arr, flat = self._check(X, "transform")
        shift, scale = (getattr(self, s) for s in self._stats)
        out = (arr - shift) / scale
        return out[:, 0] if flat else out

    def inverse_transform(self, X: Any) -> np.ndarray:
        arr, flat = self._check(X, "inverse_transform")
        shift, scale = (getattr(self, s) for s in self._stats)
        out = arr * scale + shift
        return out[:, 0] if flat else out


class StandardScaler(_Scaler):
    """z = (x − μ) / σ per column, μ and σ from the training set (σ = 0 columns left at 1)."""

    _stats = ("mean_", "scale_")

    @staticmethod
    def _statistics(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return arr.mean(axis=0), arr.std(axis=0)


class MinMaxScaler(_Scaler):
    """x' = (x − min) / (max − min) per column, from the training set (the book's map_minmax)."""

    _stats = ("min_", "range_")

    @staticmethod
    def _statistics(arr: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        low = arr.min(axis=0)
        return low, arr.max(axis=0) - low


def standardize(X_train: Any, *others: Any) -> tuple[np.ndarray, ...]:
    """Standardise with the training set's mean and std; returns train and every other set.

    Fitting on the training set only keeps the test set unseen (no leakage).
    """
    scaler = StandardScaler().fit(X_train)
    return (scaler.transform(X_train),) + tuple(scaler.transform(X) for X in others)


# -- mini-batches -----------------------------------------------------------------------------
def batches(
    X: Any,
    y: Any = None,
    batch_size: int = 32,
    shuffle: bool = True,
    seed: Any = None,
    drop_last: bool = False,
) -> Iterator[Any]:
    """Yield ``(X_batch, y_batch)`` (or ``X_batch`` without y) of ``batch_size`` samples.

    The last batch is smaller unless ``drop_last``; 1428 samples in batches of 100 give 14
    batches of 100 and one of 28, as in the book. ``seed`` fixes the shuffle.
    """
    n = check_same_length(X, y, "batches")
    batch_size = check_batch_size(batch_size, "batches")
    order = _rng(seed).permutation(n) if shuffle else np.arange(n)
    stop = n - n % batch_size if drop_last else n
    for start in range(0, stop, batch_size):
        idx = order[start:start + batch_size]
        yield (_take(X, idx), _take(y, idx)) if y is not None else _take(X, idx)


class DataLoader:
    """Re-iterable mini-batches (like ``torch.utils.data.DataLoader``): each pass reshuffles
    with the loader's own generator, so epochs differ but the whole run is reproducible."""

    def __init__(self, X: Any, y: Any = None, batch_size: int = 32, shuffle: bool = True,
                 seed: Any = 0, drop_last: bool = False) -> None:
        self.n = check_same_length(X, y, "DataLoader")
        self.batch_size = check_batch_size(batch_size, "DataLoader")
        self.X, self.y = X, y
        self.shuffle = shuffle
        self.drop_last = drop_last
        self._rng = _rng(seed)

    def __iter__(self) -> Iterator[Any]:
        seed = self._rng if self.shuffle else None
        return batches(self.X, self.y, self.batch_size, self.shuffle, seed, self.drop_last)

    def __len__(self) -> int:
        if self.drop_last:
            return self.n // self.batch_size
        return math.ceil(self.n / self.batch_size)


# -- dataset makers ---------------------------------------------------------------------------
def _counts(fn: str, **counts: Any) -> None:
    """Sizes must be positive ints: a clear error instead of numpy's about shapes."""
    for name, value in counts.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{fn}: {name} must be a positive int, got {value!r}")


def _spreads(fn: str, **stds: Any) -> None:
    """Noise levels must be finite numbers >= 0: numpy says only "scale < 0", and a NaN
    would silently make every sample NaN."""
    for name, value in stds.items():
        if isinstance(value, bool) or not isinstance(value, numbers.Real) \
                or not 0 <= value < math.inf:
            raise ValueError(f"{fn}: {name} must be a finite number >= 0, got {value!r}")


def make_moons(n_samples: int = 100, noise: float = 0.1, seed: Any = 0
               ) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles (scikit-learn's construction), labels 0/1.

    Outer moon: (cos t, sin t); inner moon: (1 − cos t, 0.5 − sin t), t ∈ [0, π], plus
    Gaussian noise of std ``noise``. micrograd's demo uses ``y * 2 - 1`` (labels ±1).
    """
    _counts("make_moons", n_samples=n_samples)
    _spreads("make_moons", noise=noise)
    n_out = n_samples // 2
    n_in = n_samples - n_out
    t_out = np.linspace(0, np.pi, n_out)
    t_in = np.linspace(0, np.pi, n_in)
    X = np.vstack([
        np.column_stack([np.cos(t_out), np.sin(t_out)]),
        np.column_stack([1 - np.cos(t_in), 0.5 - np.sin(t_in)]),
    ])
    y = np.concatenate([np.zeros(n_out, dtype=np.int64), np.ones(n_in, dtype=np.int64)])
    rng = _rng(seed)
    X = X + rng.normal(scale=noise, size=X.shape)
    order = rng.permutation(n_samples)
    return X[order], y[order]


def make_3d_classes(n_per_class: int = 1020, seed: Any = 0, inner: float = 0.3,
                    outer: float = 0.5) -> tuple[np.ndarray, np.ndarray]:
    """Two classes of 3-D points: a stand-in for the file "例 3.1 数据.txt" of Meng &
    Ou, Deep Learning Theory and Applications, Ex 3.1: 1020 points per class, three coordinates and
    a 0/1 label).

    Points are uniform in the cube [−1, 1]³; d = |x₁ + x₂ + x₃| / √3 is the distance to the
    plane x₁ + x₂ + x₃ = 0. Class 0 is the slab d < ``inner``, class 1 the two outer parts
    d > ``outer`` (a gap between them). No single plane separates the classes (a linear
    model gets about 54 %), but two tanh units can, so the book's 3-4-2 network reaches
    100 %. Rows are shuffled; labels are int64 0/1.
    """
    _counts("make_3d_classes", n_per_class=n_per_class)
    # each class region must be non-empty, or the rejection sampling below never ends:
    # d < inner needs inner > 0, d > outer needs outer < √3 (d at the cube's corners)
    if not 0 < inner <= outer < math.sqrt(3.0):
        raise ValueError(f"make_3d_classes: need 0 < inner <= outer < √3 ≈ 1.732, got "
                         f"inner={inner}, outer={outer}")
    rng = _rng(seed)
    normal = np.ones(3) / np.sqrt(3.0)
    parts = []
    for cls in (0, 1):
        found: list[np.ndarray] = []
        count = 0
        while count < n_per_class:  # rejection sampling from the cube
            cand = rng.uniform(-1, 1, size=(4 * n_per_class, 3))
            d = np.abs(cand @ normal)
            keep = cand[d < inner] if cls == 0 else cand[d > outer]
            found.append(keep)
            count += len(keep)
        parts.append(np.vstack(found)[:n_per_class])
    X = np.vstack(parts)
    y = np.repeat(np.array([0, 1], dtype=np.int64), n_per_class)
    order = rng.permutation(2 * n_per_class)
    return X[order], y[order]


HOUSING_FEATURES = ("CRIM", "ZN", "INDUS", "CHAS", "NOX", "RM", "AGE", "DIS", "RAD", "TAX",
                    "PTRATIO", "B", "LSTAT")


def make_housing(n_samples: int = 506, seed: Any = 0, noise: float = 2.5
                 ) -> tuple[np.ndarray, np.ndarray]:
    """A Boston-housing-style regression set (Meng & Ou, Ex 3.4): 13 features, a MEDV target.

    Not the real data (no downloads): the 13 columns of ``HOUSING_FEATURES`` are drawn with
    ranges and correlations like the original (an "urban-ness" factor u ~ N(0, 1) drives
    crime, industry, NOX, tax, lower status …; RM ~ N(6.3, 0.7)), and the median value is

        MEDV = 22 + 6.5·(RM − 6.3) − 9·(log LSTAT − 2.4) − 1.2·(DIS − 3.8)/2
               − 0.35·(PTRATIO − 18.5) + 3·CHAS − 2·log(1 + CRIM) + ε,  ε ~ N(0, noise²)

    clipped to [5, 50] like the original's censored prices.
    """
    _counts("make_housing", n_samples=n_samples)
    _spreads("make_housing", noise=noise)
    rng = _rng(seed)
    n = n_samples
    u = rng.normal(size=n)  # urban-ness: links the features the way the real ones are linked
    crim = np.exp(rng.normal(-1.0 + 1.2 * u, 1.0))
    zn = np.where(u < -0.5, rng.uniform(0, 100, n), 0.0) * (rng.uniform(size=n) < 0.6)
    indus = np.clip(11 + 6 * u + rng.normal(0, 3, n), 0.5, 28)
    chas = (rng.uniform(size=n) < 0.07).astype(np.float64)
    nox = np.clip(0.55 + 0.1 * u + rng.normal(0, 0.04, n), 0.38, 0.87)
    rm = np.clip(rng.normal(6.3, 0.7, n) - 0.15 * u, 3.5, 8.8)
    age = np.clip(68 + 22 * u + rng.normal(0, 15, n), 3, 100)
    dis = np.clip(np.exp(1.2 - 0.45 * u + rng.normal(0, 0.25, n)), 1.1, 12)
    rad = np.where(u > 1.0, 24.0, rng.integers(1, 9, n).astype(np.float64))
    tax = np.clip(400 + 120 * u + rng.normal(0, 50, n), 187, 711)
    ptratio = np.clip(18.5 + 1.5 * u + rng.normal(0, 1.2, n), 12.6, 22)
    b = np.clip(380 - 40 * np.maximum(u, 0) * rng.uniform(0, 2, n), 0.3, 396.9)
    lstat = np.clip(np.exp(2.4 + 0.35 * u - 0.25 * (rm - 6.3) + rng.normal(0, 0.25, n)),
                    1.7, 38)
    X = np.column_stack([crim, zn, indus, chas, nox, rm, age, dis, rad, tax, ptratio, b,
                         lstat])
    medv = (22 + 6.5 * (rm - 6.3) - 9 * (np.log(lstat) - 2.4) - 1.2 * (dis - 3.8) / 2
            - 0.35 * (ptratio - 18.5) + 3 * chas - 2 * np.log1p(crim)
            + rng.normal(0, noise, n))
    return X, np.clip(medv, 5.0, 50.0)


def make_blobs(n_samples: int = 300, centers: int = 3, n_features: int = 2,
               cluster_std: float = 1.0, center_box: tuple[float, float] = (-10.0, 10.0),
               seed: Any = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters (a toy multi-class set): centres ~ U(center_box), points ~ N(c, σ²I).

    Samples are spread over the classes as evenly as possible; rows are shuffled.
    """
    _counts("make_blobs", n_samples=n_samples, centers=centers, n_features=n_features)
    _spreads("make_blobs", cluster_std=cluster_std)
    rng = _rng(seed)
    mids = rng.uniform(*center_box, size=(centers, n_features))
    y = np.arange(n_samples) % centers
    X = mids[y] + rng.normal(scale=cluster_std, size=(n_samples, n_features))
    order = rng.permutation(n_samples)
    return X[order], y[order].astype(np.int64)


def make_spirals(n_per_class: int = 100, classes: int = 3, noise: float = 0.2, seed: Any = 0
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Interleaved spiral arms in 2-D (cs231n's toy multi-class set): arm k has radius
    r ∈ [0, 1] and angle θ = 4r + 2πk/classes + noise·N(0, 1)."""
    _counts("make_spirals", n_per_class=n_per_class, classes=classes)
    _spreads("make_spirals", noise=noise)
    rng = _rng(seed)
    X, y = [], []
    for k in range(classes):
        r = np.linspace(0.0, 1.0, n_per_class)
        theta = 4 * r + 2 * np.pi * k / classes + rng.normal(scale=noise, size=n_per_class)
        X.append(np.column_stack([r * np.sin(theta), r * np.cos(theta)]))
        y.append(np.full(n_per_class, k, dtype=np.int64))
    Xa, ya = np.vstack(X), np.concatenate(y)
    order = rng.permutation(len(ya))
    return Xa[order], ya[order]


MULTILABEL_NAMES = ("right", "top", "centre", "diagonal")


def make_multilabel(n_samples: int = 400, seed: Any = 0, noise: float = 0.0
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Points in the square [−1, 1]² with four independent yes/no labels each
    (``MULTILABEL_NAMES``): right (x₁ > 0), top (x₂ > 0), centre
    (x₁² + x₂² < 0.55²) and diagonal (|x₁ − x₂| < 0.4). A point may have 0 to 4 labels.

    ``noise`` jitters the point before labelling, so labels near a border can look wrong.
    Returns X (n, 2) float and Y (n, 4) int 0/1.
    """
    _counts("make_multilabel", n_samples=n_samples)
    _spreads("make_multilabel", noise=noise)
    rng = _rng(seed)
    X = rng.uniform(-1, 1, size=(n_samples, 2))
    P = X + rng.normal(scale=noise, size=X.shape) if noise else X
    Y = np.column_stack([
        P[:, 0] > 0,
        P[:, 1] > 0,
        np.hypot(P[:, 0], P[:, 1]) < 0.55,
        np.abs(P[:, 0] - P[:, 1]) < 0.4,
    ]).astype(np.int64)
    return X, Y


def make_wide_regression(n_train: int = 80, n_test: int = 110, n_features: int = 150,
                         seed: Any = 1, noise: float = 0.3) -> tuple[np.ndarray, ...]:
    """The overfitting set of Wang & Huang, Learn Deep Learning with Me, §3.10.9: more features
    than training samples.

    w ~ 0.01·N(0, 1)ⁿ, b = 0.01, x ~ N(0, I), y = x·w + b + N(0, noise²).
    Returns ``(X_train, X_test, y_train, y_test)``; y is (n, 1).
    """
    _counts("make_wide_regression", n_train=n_train, n_test=n_test, n_features=n_features)
    _spreads("make_wide_regression", noise=noise)
    rng = _rng(seed)
    w = rng.normal(size=(n_features, 1)) * 0.01
    X = rng.normal(size=(n_train + n_test, n_features))
    y = X @ w + 0.01 + rng.normal(scale=noise, size=(n_train + n_test, 1))
    return X[:n_train], X[n_train:], y[:n_train], y[n_train:]


def as_lists(X: Any) -> list:
    """A 2-D array as a list of lists of floats (what a scalar-engine model reads)."""
    return np.asarray(X, dtype=np.float64).tolist()


def one_hot(y: Sequence[int], num_classes: int | None = None) -> np.ndarray:
    """Labels as one-hot rows: one_hot([0, 2], 3) = [[1, 0, 0], [0, 0, 1]]."""
    values = np.asarray(y, dtype=np.float64).reshape(-1)
    bad = ~np.isfinite(values) | (values != np.round(values))  # int64 would truncate 0.5
    if np.any(bad):
        raise ValueError(f"one_hot: labels must be integers, got e.g. {values[bad][:3].tolist()}")
    bad_k = isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral)
    if num_classes is not None and (bad_k or num_classes < 0):
        raise ValueError(f"one_hot: num_classes must be a non-negative int, got {num_classes!r}")
    if values.size == 0 and num_classes is None:
        raise ValueError("one_hot: no labels; pass num_classes to one-hot an empty list")
    arr = values.astype(np.int64)
    k = int(arr.max()) + 1 if num_classes is None else num_classes
    if arr.size and (arr.min() < 0 or arr.max() >= k):
        raise ValueError(f"one_hot: labels must be in 0..{k - 1}, got {arr.min()}..{arr.max()}")
    return np.eye(k, dtype=np.float64)[arr]
