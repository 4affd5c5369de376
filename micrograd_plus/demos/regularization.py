"""Demo 5: Wang & Huang, Learn Deep Learning with Me, §3.10: overfitting, then L2, L1 and dropout;
train vs test curves.

Wang & Huang's setup (§3.10.9): 150 features but only 80 training samples (110 test), targets
y = x·w + 0.01 + noise with tiny weights w ~ 0.01·N(0, 1) — ``data.make_wide_regression``.
A linear model fitted by full-batch SGD drives its training error to almost 0 while the test
error stays high: overfitting. Adding a penalty to the loss pulls the weights toward 0:

- L2: λ·Σw² (``losses.l2_penalty``; SGD's ``weight_decay=wd`` is the same with λ = wd/2),
- L1: λ·Σ|w| (``losses.l1_penalty``), which also pushes many weights to (nearly) exactly 0.

Biases are not penalised (as Wang & Huang's L1 code does). Dropout (§3.10.12) is shown on a
small ReLU network 150 → 64 → 1 with and without ``nn.Dropout(0.5)`` after the hidden layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import losses, nn, optim
from ..data import make_wide_regression
from ..train import evaluate, fit
from . import common

SUMMARY = "Wang & Huang §3.10: overfitting regression; L1, L2 and dropout curves"

L2_LAMBDA = 0.5
L1_LAMBDA = 0.03


def _linear() -> nn.Linear:
    return nn.Linear(150, 1, seed=0)


def _mlp(dropout: float) -> nn.Sequential:
    rng = np.random.default_rng(0)
    layers: list[Any] = [nn.Linear(150, 64, seed=rng), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout, seed=0))
    layers.append(nn.Linear(64, 1, seed=rng))
    return nn.Sequential(*layers)


def _weights(model: Any) -> list:
    return [p for name, p in model.named_parameters() if name.endswith("weight")]


def run(quick: bool = False, out_dir: str = "out", verbose: bool = True) -> dict:
    X_train, X_test, y_train, y_test = make_wide_regression()
    linear_epochs, mlp_epochs = (10, 5) if quick else (300, 100)
    common.say(verbose, f"regularization: {X_train.shape[1]} features, {len(X_train)} "
                         f"training / {len(X_test)} test samples")
    full = len(X_train)  # the linear runs are full-batch, as in the book
    runs: dict[str, tuple[Any, Any, int, int]] = {
        "none": (_linear(), None, linear_epochs, full),
        f"L2 (λ={L2_LAMBDA})": (_linear(), lambda m: losses.l2_penalty(_weights(m), L2_LAMBDA),
                                linear_epochs, full),
        f"L1 (λ={L1_LAMBDA})": (_linear(), lambda m: losses.l1_penalty(_weights(m), L1_LAMBDA),
                                linear_epochs, full),
        "MLP": (_mlp(0.0), None, mlp_epochs, 16),
        "MLP + dropout 0.5": (_mlp(0.5), None, mlp_epochs, 16),
    }
    result: dict = {"train_loss": {}, "test_loss": {}, "near_zero_weights": {}, "history": {}}
    for name, (model, reg, epochs, batch) in runs.items():
        hist = fit(model, losses.mse, optim.SGD(model.parameters(), lr=0.01),
                   (X_train, y_train), epochs=epochs, batch_size=batch, regularizer=reg,
                   val_data=(X_test, y_test), verbose=False, seed=0)
        result["history"][name] = hist
        # the final test MSE and the (unpenalised) training MSE in eval mode
        result["test_loss"][name] = hist.val_loss[-1]
        result["train_loss"][name] = evaluate(model, losses.mse, X_train, y_train)["loss"]
        if not name.startswith("MLP"):
            w = _weights(model)[0].data
            result["near_zero_weights"][name] = float(np.mean(np.abs(w) < 0.01))
    common.say(verbose, f"{'':20s} {'train MSE':>10s} {'test MSE':>10s}")
    for name in runs:
        extra = result["near_zero_weights"].get(name)
        note = f"   {extra:.0%} of weights |w| < 0.01" if extra is not None else ""
        common.say(verbose, f"{name:20s} {result['train_loss'][name]:10.4f} "
                             f"{result['test_loss'][name]:10.4f}{note}")
    return common.finish(result, lambda plt: _figure(plt, result["history"]), out_dir,
                          "regularization", verbose)


def _figure(plt: Any, history: dict[str, Any]) -> Any:
    """Train and test curves: no penalty, L2, L1 (linear model); MLP with/without dropout."""
    fig, axes = plt.subplots(2, 2, figsize=(10, 7), sharey=True)
    panels = [("none", "no regularisation: overfitting"), (f"L2 (λ={L2_LAMBDA})", "L2"),
              (f"L1 (λ={L1_LAMBDA})", "L1")]
    for ax, (name, title) in zip(axes.flat, panels):
        hist = history[name]
        ax.plot(hist.loss, label="train (loss incl. penalty)")
        ax.plot(hist.val_loss, label="test")
        ax.set_title(title)
    ax = axes.flat[3]
    for name, style in (("MLP", "--"), ("MLP + dropout 0.5", "-")):
        hist = history[name]
        ax.plot(hist.loss, style, label=f"{name} train")
        ax.plot(hist.val_loss, style, label=f"{name} test")
    ax.set_title("dropout (150 → 64 → 1)")
    for ax in axes.flat:
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_ylabel("MSE")
        ax.legend(fontsize=8)
    return fig
