"""Demo 6: Wang & Huang, Learn Deep Learning with Me, §3.13: multi-label classification with
sigmoid outputs.

Each point of the square [−1, 1]² carries four independent yes/no labels (``right``,
``top``, ``centre``, ``diagonal``; ``data.make_multilabel``), so a sample can have 0 to 4
labels. The network ``2 → 32 → 32 → 4`` (ReLU) outputs one score per label; each label's
probability is the sigmoid of its score (not a softmax across labels), trained with the
book's Sigmoid loss (``losses.multilabel_bce`` = PyTorch's MultiLabelSoftMarginLoss) and
Adam. Predicted labels are the scores ≥ 0 (probability ≥ 0.5). The book's metrics on the
test set: exact-match ratio and 0-1 loss (no partial credit); accuracy |y∩ŷ|/|y∪ŷ|,
precision, recall, F1 (partial credit); Hamming loss.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import losses, nn, optim
from ..data import MULTILABEL_NAMES, make_multilabel, train_test_split
from ..metrics import multilabel_report
from ..train import History, fit, predict
from . import common

SUMMARY = "Wang & Huang §3.13: multi-label classification, sigmoid outputs, metrics"


def run(quick: bool = False, out_dir: str = "out", verbose: bool = True) -> dict:
    X, Y = make_multilabel(1000, seed=0)
    X_train, X_test, Y_train, Y_test = train_test_split(X, Y, test_ratio=0.3, seed=0)
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(2, 32, seed=rng), nn.ReLU(), nn.Linear(32, 32, seed=rng),
                          nn.ReLU(), nn.Linear(32, 4, seed=rng))
    opt = optim.Adam(model.parameters(), lr=0.01)
    epochs = 3 if quick else 150
    common.say(verbose, f"multilabel: {len(X_train)} training / {len(X_test)} test points, "
                         f"labels {', '.join(MULTILABEL_NAMES)}; {epochs} epochs")
    hist = fit(model, losses.multilabel_bce, opt, (X_train, Y_train), epochs=epochs,
               batch_size=32, metrics=["exact_match", "hamming_loss"],
               val_data=(X_test, Y_test), verbose=verbose, log_every=0 if quick else 50)
    scores = predict(model, X_test)
    Y_pred = (scores >= 0).astype(np.int64)
    report = multilabel_report(Y_test, Y_pred)
    per_label = {name: float(np.mean(Y_pred[:, j] == Y_test[:, j]))
                 for j, name in enumerate(MULTILABEL_NAMES)}
    result = {"test": report, "per_label_accuracy": per_label, "history": hist}
    common.say(verbose, "test set:")
    for key, value in report.items():
        common.say(verbose, f"  {key:14s} {value:.3f}")
    common.say(verbose, "  (a sample with no true or predicted label scores 0 in "
                         "precision/recall/F1 but 1 in accuracy, as in the book)")
    common.say(verbose, "  per label: " + ", ".join(f"{k} {v:.1%}" for k, v in
                                                     per_label.items()))
    for i in range(3):
        true = [n for n, t in zip(MULTILABEL_NAMES, Y_test[i]) if t] or ["(none)"]
        pred = [n for n, p in zip(MULTILABEL_NAMES, Y_pred[i]) if p] or ["(none)"]
        common.say(verbose, f"  x = {np.round(X_test[i], 2).tolist()}: true {true}, "
                             f"predicted {pred}")
    step = 0.1 if quick else 0.02
    return common.finish(
        result, lambda plt: _figure(plt, model, X_test, Y_test, per_label, hist, step),
        out_dir, "multilabel", verbose)


def _figure(plt: Any, model: Any, X_test: np.ndarray, Y_test: np.ndarray, per_label: dict,
            hist: History, step: float) -> Any:
    """Each label's probability over the square with its test points; exact-match curves."""
    xx, yy = np.meshgrid(np.arange(-1, 1 + step, step), np.arange(-1, 1 + step, step))
    grid = 1.0 / (1.0 + np.exp(-predict(model, np.c_[xx.ravel(), yy.ravel()])))
    fig, axes = plt.subplots(1, 5, figsize=(16, 3.4))
    for j, name in enumerate(MULTILABEL_NAMES):
        ax = axes[j]
        ax.contourf(xx, yy, grid[:, j].reshape(xx.shape), levels=np.linspace(0, 1, 11),
                    cmap="RdBu_r")
        ax.scatter(*X_test[Y_test[:, j] == 1].T, s=4, c="k")
        ax.set_title(f"P({name}) — test acc {per_label[name]:.0%}")
        ax.set_aspect("equal")
    axes[4].plot(hist["exact_match"], label="train exact match")
    axes[4].plot(hist["val_exact_match"], label="test exact match")
    axes[4].plot(hist["val_hamming_loss"], label="test Hamming loss")
    axes[4].set_xlabel("epoch")
    axes[4].legend(fontsize=8)
    return fig
