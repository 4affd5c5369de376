"""fit/evaluate/predict on tiny problems, for Value models and Tensor models."""

from __future__ import annotations

import numpy as np
import pytest

from micrograd_plus import Value, losses, nn, optim
from micrograd_plus.data import DataLoader, make_blobs, make_moons
from micrograd_plus.core.tensor import Tensor
from micrograd_plus.train import History, evaluate, fit, predict


class TensorLinear(nn.Module):
    """y = x·W + b with Tensor parameters (independent of nn's Tensor layers)."""

    def __init__(self, nin: int, nout: int, seed: int = 0) -> None:
        rng = np.random.default_rng(seed)
        self.W = Tensor(rng.normal(scale=0.1, size=(nin, nout)), requires_grad=True)
        self.b = Tensor(np.zeros(nout), requires_grad=True)

    def forward(self, x):
        return x @ self.W + self.b


def tensor_mse(out, y):
    return ((out - Tensor(np.asarray(y, dtype=float).reshape(out.shape))) ** 2).mean()


def _regression(n=40, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    y = X @ np.array([[1.5], [-2.0], [0.5]]) + 0.3
    return X, y


def test_value_model_loss_decreases_and_history():
    X, y = make_moons(60, noise=0.1, seed=0)
    model = nn.MLP(2, [8, 1], seed=0)
    opt = optim.SGD(model.parameters(), lr=0.1)
    hist = fit(model, losses.hinge, opt, (X, 2 * y - 1), epochs=8, batch_size=20,
               metrics=["accuracy"], val_data=(X[:20], 2 * y[:20] - 1), verbose=False)
    assert isinstance(hist, History) and hist.epochs == 8
    assert hist.loss[-1] < hist.loss[0]
    assert len(hist.batch_loss) == 8 * 3 and len(hist["accuracy"]) == 8
    assert len(hist["val_loss"]) == 8 and 0 <= hist["val_accuracy"][-1] <= 1
    assert hist["accuracy"][-1] > 0.75
    assert hist.keys() == ["loss", "lr", "accuracy", "val_loss", "val_accuracy"]
    with pytest.raises(KeyError, match="History has no 'f1'"):
        hist["f1"]
    assert "val_accuracy" in hist.summary()


def test_value_model_multiclass_cross_entropy():
    X, y = make_blobs(60, centers=3, n_features=2, cluster_std=0.8, seed=1)
    X = (X - X.mean(0)) / X.std(0)
    model = nn.MLP(2, [8, 3], seed=0)
    opt = optim.Adam(model.parameters(), lr=0.05)
    hist = fit(model, "cross_entropy", opt, (X, y), epochs=15, batch_size=30,
               metrics=["accuracy", "macro_f1"], verbose=False)
    assert hist.loss[-1] < 0.5 * hist.loss[0]
    assert hist["accuracy"][-1] >= 0.9
    res = evaluate(model, losses.cross_entropy, X, y, metrics=["accuracy"])
    assert res["accuracy"] >= 0.9 and res["loss"] > 0
    out = predict(model, X)
    assert out.shape == (60, 3)
    assert np.mean(out.argmax(1) == y) == pytest.approx(res["accuracy"])


def test_tensor_model_fits_linear_regression():
    X, y = _regression()
    model = TensorLinear(3, 1)
    opt = optim.Adam(model.parameters(), lr=0.1)
    hist = fit(model, tensor_mse, opt, (X, y), epochs=60, batch_size=10,
               metrics=["mse", "r2"], verbose=False)
    assert hist.loss[-1] < 1e-2 * hist.loss[0]
    assert hist["r2"][-1] > 0.99
    np.testing.assert_allclose(model.W.data[:, 0], [1.5, -2.0, 0.5], atol=0.05)
    pred = predict(model, X)
    assert pred.shape == (40,)
    assert evaluate(model, tensor_mse, X, y, metrics=["rmse"])["rmse"] < 0.1


def test_zero_grad_before_every_backward():
    """Each step sees exactly its own batch's gradient, never an accumulated one."""
    w = Value(0.5)

    class Scale(nn.Module):
        def __init__(self):
            self.w = w

        def forward(self, x):
            return self.w * x[0]

    seen = []

    class Spy(optim.SGD):
        def step(self, closure=None):
            seen.append(w.grad)
            return super().step(closure)

    X = np.array([[1.0], [2.0], [3.0], [4.0]])
    y = np.array([0.0, 0.0, 0.0, 0.0])
    w.grad = 123.0  # a stale gradient from before training must not leak in
    fit(Scale(), losses.mse, Spy([w], lr=0.0), (X, y), epochs=2, batch_size=2,
        shuffle=False, verbose=False)
    # d/dw mean((w x)^2) = 2 w mean(x^2): batches {1, 2} and {3, 4}
    expected = [2 * 0.5 * (1 + 4) / 2, 2 * 0.5 * (9 + 16) / 2] * 2
    assert seen == pytest.approx(expected)


def test_grad_accumulation_equals_bigger_batch():
    X, y = _regression(n=12, seed=3)
    a, b = TensorLinear(3, 1, seed=5), TensorLinear(3, 1, seed=5)
    fit(a, tensor_mse, optim.SGD(a.parameters(), lr=0.1), (X, y), epochs=3, batch_size=6,
        grad_accumulation=2, shuffle=False, verbose=False)
    fit(b, tensor_mse, optim.SGD(b.parameters(), lr=0.1), (X, y), epochs=3, batch_size=12,
        shuffle=False, verbose=False)
    np.testing.assert_allclose(a.W.data, b.W.data, rtol=1e-12)
    np.testing.assert_allclose(a.b.data, b.b.data, rtol=1e-12)


def test_scheduler_per_batch_and_per_epoch():
    X, y = _regression(n=30)
    model = TensorLinear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.08)
    sched = optim.StepLR(opt, step_size=2, gamma=0.5, min_lr=0.02)
    hist = fit(model, tensor_mse, opt, (X, y), epochs=2, batch_size=10, scheduler=sched,
               scheduler_interval="batch", verbose=False)
    # lr recorded after each batch's step: halves every 2 iterations, floored at 0.02
    assert hist.batch_lr == pytest.approx([0.08, 0.04, 0.04, 0.02, 0.02, 0.02])
    model = TensorLinear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.08)
    hist = fit(model, tensor_mse, opt, (X, y), epochs=3, batch_size=10,
               scheduler=optim.ExponentialLR(opt, gamma=0.5), verbose=False)
    assert hist.lr == pytest.approx([0.04, 0.02, 0.01])
    assert hist.batch_lr == pytest.approx([0.08] * 3 + [0.04] * 3 + [0.02] * 3)


def test_regularizer_is_added_and_dataloader_accepted():
    X, y = _regression(n=20)
    model = TensorLinear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.0)  # no updates: the loss is the same each epoch
    def penalty(m):
        return (m.W ** 2).sum() * 10.0

    plain = fit(model, tensor_mse, opt, DataLoader(X, y, batch_size=20), epochs=1,
                verbose=False)
    reg = fit(model, tensor_mse, opt, (X, y), epochs=1, batch_size=20, regularizer=penalty,
              verbose=False)
    assert reg.loss[0] == pytest.approx(plain.loss[0] + 10.0 * np.sum(model.W.data ** 2))


def test_callable_metric_and_verbose_output(capsys):
    X, y = _regression(n=20)
    model = TensorLinear(3, 1)

    def max_error(t, out):
        return float(np.max(np.abs(np.ravel(t) - np.ravel(out))))

    hist = fit(model, tensor_mse, optim.Adam(model.parameters(), lr=0.05), (X, y), epochs=2,
               batch_size=10, metrics=[max_error, ("mae2", lambda t, o: 2.0)],
               val_data=(X, y), verbose=True, log_every=1)
    assert hist["max_error"][0] > 0 and hist["val_mae2"] == [2.0, 2.0]
    out = capsys.readouterr().out
    assert "epoch 2 | loss" in out and "val_max_error" in out


def test_errors():
    X, y = _regression(n=10)
    model = TensorLinear(3, 1)
    opt = optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="epochs must be a non-negative int"):
        fit(model, tensor_mse, opt, (X, y), epochs=-1)
    with pytest.raises(ValueError, match="unknown metric 'acc'"):
        fit(model, tensor_mse, opt, (X, y), metrics=["acc"], verbose=False)
    with pytest.raises(ValueError, match="unknown loss 'mean_squared'"):
        fit(model, "mean_squared", opt, (X, y), verbose=False)
    with pytest.raises(ValueError, match="scheduler_interval"):
        fit(model, tensor_mse, opt, (X, y), scheduler_interval="step", verbose=False)
    with pytest.raises(TypeError, match="data must be"):
        fit(model, tensor_mse, opt, 5, verbose=False)
    with pytest.raises(FloatingPointError, match="the loss became nan at epoch 1, batch 1"):
        fit(model, lambda o, t: tensor_mse(o, t) * float("nan"), opt, (X, y), verbose=False)


def test_mismatched_or_empty_data_is_refused_before_any_training():
    X, y = _regression(n=10)
    model = TensorLinear(3, 1)
    start = model.W.data.copy()
    opt = optim.SGD(model.parameters(), lr=0.1)
    cases = [
        (dict(data=(X, y[:9])), ValueError, "fit: data: X has 10 samples but y has 9"),
        (dict(data=(X[:0], y[:0])), ValueError, "fit: data: X is empty"),
        (dict(data=(X, y), batch_size=0), ValueError, "fit: batch_size must be a positive int"),
        (dict(data=(X, y), val_data=(X, y[:3])), ValueError,
         "fit: val_data: X has 10 samples but y has 3"),
        (dict(data=(X, y), val_data=X), TypeError, "val_data must be a pair"),
        (dict(data=(X, y), grad_accumulation=0), ValueError,
         "fit: grad_accumulation must be a positive int, got 0"),
        # log_every used to fail (a bare TypeError) only after the first epoch had trained
        (dict(data=(X, y), log_every="2"), ValueError,
         "fit: log_every must be a non-negative int, got '2'"),
        (dict(data=(X, y), log_every=-1), ValueError, "fit: log_every must be a non-negative"),
    ]
    for kwargs, error, message in cases:
        with pytest.raises(error, match=message):
            fit(model, tensor_mse, opt, epochs=2, verbose=False, **kwargs)
    np.testing.assert_array_equal(model.W.data, start)  # not one step was taken
    with pytest.raises(ValueError, match="evaluate: X has 10 samples but y has 4"):
        evaluate(model, tensor_mse, X, y[:4])
    with pytest.raises(ValueError, match="predict: X is empty"):
        predict(model, [])
    with pytest.raises(TypeError, match="predict: X must be a sequence or array"):
        predict(model, 3.0)
    with pytest.raises(ValueError, match="predict: batch_size must be a positive int"):
        predict(model, X, batch_size=-1)


def test_predict_and_evaluate_restore_the_training_flag():
    X, y = _regression(n=6)
    model = TensorLinear(3, 1)
    predict(model, X)
    assert model.training
    model.eval()
    evaluate(model, tensor_mse, X, y)
    assert not model.training
    model.train()
    with pytest.raises(ValueError, match="loss_fn must return a scalar"):
        evaluate(model, lambda o, t: o, X, y)  # an error inside still restores the flag
    assert model.training


def test_value_model_multilabel_with_list_data():
    """Plain Python lists in, a multi-output Value MLP, the multi-label loss and metrics."""
    X = [[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]] * 3
    Y = [[int(a > 0), int(b > 0)] for a, b in X]  # label j: coordinate j is positive
    model = nn.MLP(2, [6, 2], seed=3)
    hist = fit(model, losses.multilabel_bce, optim.Adam(model.parameters(), lr=0.05), (X, Y),
               epochs=40, batch_size=4, metrics=["exact_match", "hamming_loss"],
               verbose=False)
    assert hist.loss[-1] < 0.2 * hist.loss[0]
    assert hist["exact_match"][-1] == 1.0 and hist["hamming_loss"][-1] == 0.0
    assert predict(model, X).shape == (12, 2)
