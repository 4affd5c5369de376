"""Demo 3: Meng & Ou, Deep Learning Theory and Applications, Example 3.4: house-price regression,
MAE / RMSE / R².

The book uses Boston's housing.data (506 rows, 13 features, the median value MEDV); this
demo uses ``data.make_housing``, a generated stand-in with the same columns and a documented
price formula (no download). As in the book: shuffle, split 8:2, min-max scale every column,
``Linear(13, 512) → sigmoid → Linear(512, 1) → sigmoid``, MSE loss, Adam (lr 0.01), batches
of 16. One change: the scalers are fitted on the training set and applied to the test set
(the book scales each set by its own min/max), so the test set stays unseen.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import losses, nn, optim
from ..data import HOUSING_FEATURES, MinMaxScaler, make_housing, train_test_split
from ..metrics import mae, r2_score, rmse
from ..train import History, fit, predict
from . import common

SUMMARY = "Meng & Ou Ex 3.4: house-price regression, 13-512-1 sigmoid net, MAE/RMSE/R²"


def run(quick: bool = False, out_dir: str = "out", verbose: bool = True) -> dict:
    X, y = make_housing(506, seed=0)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_ratio=0.2, seed=0)
    x_scale = MinMaxScaler().fit(X_train)
    y_scale = MinMaxScaler().fit(y_train)
    Xs_train, Xs_test = x_scale.transform(X_train), x_scale.transform(X_test)
    ys_train = y_scale.transform(y_train).reshape(-1, 1)
    ys_test = y_scale.transform(y_test).reshape(-1, 1)

    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(13, 512, seed=rng), nn.Sigmoid(),
                          nn.Linear(512, 1, seed=rng), nn.Sigmoid())
    opt = optim.Adam(model.parameters(), lr=0.01)
    epochs = 2 if quick else 60
    common.say(verbose, f"housing: {len(X_train)} training / {len(X_test)} test houses, "
                         f"{len(HOUSING_FEATURES)} features, {model.num_parameters()} "
                         f"parameters, {epochs} epochs")
    hist = fit(model, losses.mse, opt, (Xs_train, ys_train), epochs=epochs, batch_size=16,
               val_data=(Xs_test, ys_test), verbose=verbose, log_every=0 if quick else 20)

    # back to prices (MEDV units) before measuring
    pred_train = y_scale.inverse_transform(predict(model, Xs_train))
    pred_test = y_scale.inverse_transform(predict(model, Xs_test))
    result = {"train": _scores(y_train, pred_train), "test": _scores(y_test, pred_test),
              "history": hist}
    for part in ("train", "test"):
        m = result[part]
        common.say(verbose, f"{part:5s}  MAE {m['mae']:.2f}  RMSE {m['rmse']:.2f}  "
                             f"R² {m['r2']:.3f}")
    r2 = result["test"]["r2"]
    return common.finish(result, lambda plt: _figure(plt, y_test, pred_test, r2, hist),
                          out_dir, "housing", verbose)


def _scores(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    return {"mae": mae(y, pred), "rmse": rmse(y, pred), "r2": r2_score(y, pred)}


def _figure(plt: Any, y_test: np.ndarray, pred_test: np.ndarray, r2: float,
            hist: History) -> Any:
    """True and predicted test prices (sorted by price), and the loss curves."""
    order = np.argsort(y_test)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    axes[0].plot(y_test[order], label="true price")
    axes[0].plot(pred_test[order], ".", label="predicted")
    axes[0].set_xlabel("test house (sorted by price)")
    axes[0].set_ylabel("MEDV (median value)")
    axes[0].set_title(f"test set: R² = {r2:.3f} (Meng & Ou, Fig. 3-10)")
    axes[0].legend()
    axes[1].plot(hist.loss, label="train MSE (scaled)")
    axes[1].plot(hist.val_loss, label="test MSE (scaled)")
    axes[1].set_yscale("log")
    axes[1].set_xlabel("epoch")
    axes[1].legend()
    return fig
