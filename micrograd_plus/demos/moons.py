"""Demo 1: micrograd's moons classifier, on the scalar engine, with its decision boundary.

As in micrograd's demo.ipynb: 100 noisy two-moons points, labels ±1, ``MLP(2, [16, 16, 1])``
(ReLU hidden layers, linear output), max-margin (hinge) loss plus L2 regularisation
α·Σw² with α = 1e-4, full-batch SGD whose learning rate falls linearly from 1.0 to 0.1
over 100 steps. Every weight is a ``Value``: the graph of one step has ~50 000 nodes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import losses, nn, optim
from ..data import make_moons
from ..train import History, fit, predict
from . import common

SUMMARY = "scalar-engine MLP(2,[16,16,1]) on two moons, hinge + L2, decision boundary"


def run(quick: bool = False, out_dir: str = "out", verbose: bool = True) -> dict:
    steps = 8 if quick else 100
    X, y = make_moons(100, noise=0.1, seed=1337)
    model = nn.MLP(2, [16, 16, 1], seed=1337)
    opt = optim.SGD(model.parameters(), lr=1.0)
    # micrograd's schedule: step k uses lr 1.0 − 0.9·k/100
    sched = optim.LambdaLR(opt, lambda k: 1.0 - 0.9 * k / 100)
    common.say(verbose, f"moons: {model.num_parameters()} parameters, {steps} full-batch "
                         "SGD steps (scalar engine)")
    hist = fit(model, losses.hinge, opt, (X, 2 * y - 1), epochs=steps, batch_size=len(X),
               scheduler=sched, metrics=["accuracy"], verbose=verbose,
               regularizer=lambda m: losses.l2_penalty(m, 1e-4), shuffle=False,
               log_every=0 if quick else 20)
    X_test, y_test = make_moons(200, noise=0.1, seed=7)
    test_acc = float(np.mean((predict(model, X_test) > 0) == (y_test == 1)))
    result = {"train_accuracy": hist["accuracy"][-1], "test_accuracy": test_acc,
              "loss": hist.loss[-1], "history": hist}
    common.say(verbose, f"train accuracy {result['train_accuracy']:.1%}   "
                         f"test accuracy (200 fresh points) {test_acc:.1%}")
    grid_step = 0.25 if quick else 0.1
    return common.finish(result, lambda plt: _figure(plt, model, X, y, hist, grid_step),
                          out_dir, "moons", verbose)


def _figure(plt: Any, model: nn.MLP, X: np.ndarray, y: np.ndarray, hist: History,
            grid_step: float) -> Any:
    """The decision boundary over the training points, and the training curves."""
    xx, yy = np.meshgrid(np.arange(-2.0, 3.0, grid_step), np.arange(-1.5, 2.0, grid_step))
    zz = predict(model, np.c_[xx.ravel(), yy.ravel()]).reshape(xx.shape)
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    axes[0].contourf(xx, yy, (zz > 0).astype(float), levels=[-0.5, 0.5, 1.5],
                     colors=["#f4a582", "#92c5de"], alpha=0.8)
    colours = np.where(y == 1, "#2166ac", "#b2182b")
    axes[0].scatter(X[:, 0], X[:, 1], c=colours, s=25, edgecolors="k")
    axes[0].set_title(f"decision boundary (train acc {hist['accuracy'][-1]:.0%})")
    axes[1].plot(hist.loss, label="loss (hinge + L2)")
    axes[1].plot(hist["accuracy"], label="accuracy")
    axes[1].set_xlabel("step")
    axes[1].legend()
    axes[1].set_title("training")
    return fig
