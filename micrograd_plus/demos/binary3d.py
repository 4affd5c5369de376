"""Demo 2: Meng & Ou, Deep Learning Theory and Applications, Examples 3.1 / 3.3: a 3-4-2 tanh
network on 3-D points.

Meng & Ou's data file ("例 3.1 数据.txt", 1020 points per class) is replaced by
``data.make_3d_classes`` (two classes on either side of a curved surface). As in Ex 3.3:
shuffle, split 7:3 (1428 training, 612 test points), batches of 100, ``Linear(3, 4) → tanh
→ Linear(4, 2)`` trained with cross-entropy and Adam (lr 0.01); as in §3.4.5 the learning
rate is multiplied by 0.9 every 50 iterations and never drops below 0.0008 (``StepLR`` with
``min_lr``, stepped per batch). Prints train and test accuracy, plots the loss and the lr.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import losses, nn, optim
from ..data import make_3d_classes, train_test_split
from ..metrics import accuracy, confusion_matrix
from ..train import History, fit, predict
from . import common

SUMMARY = "Meng & Ou Ex 3.1/3.3: 3-4-2 tanh net, cross-entropy, 7:3 split, StepLR with floor"


def run(quick: bool = False, out_dir: str = "out", verbose: bool = True) -> dict:
    X, y = make_3d_classes(1020, seed=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, train_ratio=0.7, seed=0)
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(3, 4, seed=rng), nn.Tanh(), nn.Linear(4, 2, seed=rng))
    opt = optim.Adam(model.parameters(), lr=0.01)
    sched = optim.StepLR(opt, step_size=50, gamma=0.9, min_lr=0.0008)
    epochs = 3 if quick else 100
    common.say(verbose, f"binary3d: {len(X_train)} training / {len(X_test)} test points, "
                         f"{model.num_parameters()} parameters, {epochs} epochs of 15 batches")
    hist = fit(model, losses.cross_entropy, opt, (X_train, y_train), epochs=epochs,
               batch_size=100, scheduler=sched, scheduler_interval="batch",
               metrics=["accuracy"], val_data=(X_test, y_test), verbose=verbose,
               log_every=0 if quick else 25)
    train_acc = accuracy(y_train, predict(model, X_train))
    test_scores = predict(model, X_test)
    test_acc = accuracy(y_test, test_scores)
    result = {"train_accuracy": train_acc, "test_accuracy": test_acc,
              "final_lr": hist.batch_lr[-1], "iterations": len(hist.batch_lr),
              "history": hist}
    common.say(
        verbose,
        f"train accuracy {train_acc:.1%}   test accuracy {test_acc:.1%} "
        f"(the book: 100% on its 612 test samples)",
        f"lr after {result['iterations']} iterations: {result['final_lr']:.4g} "
        "(0.01 × 0.9 every 50 iterations, floor 0.0008)",
        f"test confusion matrix (rows: true class):\n{confusion_matrix(y_test, test_scores)}",
    )
    return common.finish(result, lambda plt: _figure(plt, hist), out_dir, "binary3d", verbose)


def _figure(plt: Any, hist: History) -> Any:
    """The loss and the learning rate of every iteration."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    axes[0].plot(hist.batch_loss, linewidth=0.8)
    axes[0].set_xlabel("iteration")
    axes[0].set_ylabel("cross-entropy")
    axes[0].set_title("loss (Meng & Ou, Fig. 3-5)")
    axes[1].plot(hist.batch_lr)
    axes[1].set_xlabel("iteration")
    axes[1].set_ylabel("learning rate")
    axes[1].set_title("StepLR(50, 0.9), floor 0.0008 (Meng & Ou, Fig. 3-8)")
    return fig
