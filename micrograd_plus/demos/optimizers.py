"""Demo 4: Ketkar & Moolayil, Deep Learning with Python, chapter 3: SGD vs RMSprop vs Adam, loss
curves on one plot.

As in the chapter's Listing 3-2 … 3-5: 5000 points of two Gaussian blobs in 64 dimensions
(cluster std 10; ``data.make_blobs`` stands in for scikit-learn's), the first 80 % for
training, a ReLU network with a sigmoid output and binary cross-entropy, 10 epochs of
batches of 16, the same initial weights for each optimizer, and
the chapter's settings: ``SGD(lr=0.01, momentum=0.9)``, ``RMSprop(lr=0.01, alpha=0.9,
eps=1e-8, weight_decay=0.1, momentum=0.1, centered=True)``, ``Adam(lr=0.001)``.
The curves are the mean loss per epoch (the book plots the per-epoch sum, same shape).

One change: the book's hidden layers are 256 and 1024 wide; here they are 128 and 128, so
every matrix product of a step stays below the size where OpenBLAS starts threads (m·n·k ≤
2¹⁸). Threaded BLAS on a busy 2-core machine (CI running tests in parallel) can be 10-100×
slower, and the comparison of optimizers does not need the width.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import losses, nn, optim
from ..data import make_blobs, train_test_split
from ..metrics import accuracy
from ..train import fit, predict
from . import common

SUMMARY = "Ketkar & Moolayil ch. 3: SGD vs RMSprop vs Adam loss curves, 64-feature blobs"

OPTIMIZERS = {
    "SGD": lambda params: optim.SGD(params, lr=0.01, momentum=0.9),
    "RMSprop": lambda params: optim.RMSprop(params, lr=0.01, alpha=0.9, eps=1e-8,
                                            weight_decay=0.1, momentum=0.1, centered=True),
    "Adam": lambda params: optim.Adam(params, lr=0.001),
}


def _model(hidden: tuple[int, int]) -> nn.Sequential:
    rng = np.random.default_rng(2020)  # same weights for every optimizer
    return nn.Sequential(nn.Linear(64, hidden[0], seed=rng), nn.ReLU(),
                         nn.Linear(hidden[0], hidden[1], seed=rng), nn.ReLU(),
                         nn.Linear(hidden[1], 1, seed=rng), nn.Sigmoid())


def run(quick: bool = False, out_dir: str = "out", verbose: bool = True) -> dict:
    n, epochs, hidden = (800, 2, (32, 32)) if quick else (5000, 10, (128, 128))
    X, y = make_blobs(n, centers=2, n_features=64, cluster_std=10.0, seed=2020)
    y = y.reshape(-1, 1).astype(np.float64)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_ratio=0.2, shuffle=False)
    common.say(verbose, f"optimizers: {len(X_train)} training points, 64 → {hidden[0]} → "
                         f"{hidden[1]} → 1, {epochs} epochs of batches of 16")
    result: dict = {"loss": {}, "test_accuracy": {}}
    for name, make in OPTIMIZERS.items():
        model = _model(hidden)
        common.say(verbose, f"{name}...")
        hist = fit(model, losses.bce, make(model.parameters()), (X_train, y_train),
                   epochs=epochs, batch_size=16, shuffle=False, verbose=verbose,
                   log_every=0 if quick else 1)
        result["loss"][name] = hist.loss
        result["test_accuracy"][name] = accuracy(y_test[:, 0],
                                                 predict(model, X_test) >= 0.5)
    for name in OPTIMIZERS:
        common.say(verbose, f"{name:8s} final loss {result['loss'][name][-1]:.4g}   "
                             f"test accuracy {result['test_accuracy'][name]:.1%}")
    return common.finish(result, lambda plt: _figure(plt, result["loss"]), out_dir,
                          "optimizers", verbose)


def _figure(plt: Any, curves: dict[str, list[float]]) -> Any:
    """Every optimizer's mean loss per epoch, on one log-scale plot."""
    fig, ax = plt.subplots(figsize=(6.5, 4))
    for name, curve in curves.items():
        ax.plot(range(1, len(curve) + 1), curve, marker="o", label=name)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("mean BCE loss (log scale)")
    ax.set_title("Loss across epochs for different optimizers\n"
                 "(Ketkar & Moolayil, Deep Learning with Python, Fig. 3-13)")
    ax.legend()
    return fig
