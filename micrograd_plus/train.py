"""The training loop: ``fit`` (with a rich progress bar), ``evaluate``, ``predict``, ``History``.

``fit`` is the training loop of Meng & Ou, Deep Learning Theory and Applications, §3.4.3,
written once::

    for epoch in range(epochs):
        for X, Y in loader:
            loss = loss_fn(model(X), Y)        # + regularizer(model), if given
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()                   # scheduler.step() per batch or per epoch

It works for both engines. A **Tensor model** (its parameters are Tensors) gets each batch as
one ``Tensor`` of shape (batch, features) and returns a Tensor. A **Value model** (an
``nn.MLP`` of Values) is called once per sample with a list of floats, and the batch's
outputs (Values, or lists of Values) go to the loss as a list, which is what every function
in ``losses`` accepts.

Metrics named by string (see ``metrics.METRICS``) turn outputs into predictions first:
classification metrics take labels from ``metrics.scores_to_labels`` (argmax of several
scores; one score is thresholded — sign for ±1 labels, 0.5 for probabilities, 0 for logits),
multi-label metrics threshold every output the same way, regression metrics read the raw
outputs. A callable metric ``f(y_true, outputs)`` gets the raw outputs as a numpy array.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import losses
from . import metrics as _metrics
from .core.autograd import no_grad
from .data import DataLoader, check_batch_size, check_same_length
from .core.tensor import Tensor

__all__ = ["fit", "evaluate", "predict", "History"]

_CLASSIFICATION = {"accuracy", "precision", "recall", "f1", "macro_f1"}
_MULTILABEL = {"exact_match", "multilabel_accuracy", "hamming_loss"}


@dataclass
class History:
    """What ``fit`` recorded, one entry per epoch (and per batch for ``batch_*``).

    ``history['loss']``, ``history['val_accuracy']`` … also work, Keras-style.
    ``loss`` is the epoch's mean training loss (regularizer included), weighted by batch size;
    ``lr`` the first parameter group's learning rate at the end of the epoch. ``batch_loss``
    and ``batch_lr`` hold every iteration's loss and the lr after its update (and scheduler
    step). Training metrics are computed from the outputs seen during the epoch (in training
    mode, as Keras does); validation metrics from a separate pass in eval mode.
    """

    loss: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    metrics: dict[str, list[float]] = field(default_factory=dict)
    val_loss: list[float] = field(default_factory=list)
    val_metrics: dict[str, list[float]] = field(default_factory=dict)
    batch_loss: list[float] = field(default_factory=list)
    batch_lr: list[float] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def epochs(self) -> int:
        return len(self.loss)

    def __getitem__(self, key: str) -> list[float]:
        if key in ("loss", "lr", "val_loss", "batch_loss", "batch_lr"):
            return getattr(self, key)
        if key.startswith("val_") and key[4:] in self.val_metrics:
            return self.val_metrics[key[4:]]
        if key in self.metrics:
            return self.metrics[key]
        raise KeyError(f"History has no {key!r}; it has {self.keys()}")

    def keys(self) -> list[str]:
        keys = ["loss", "lr"] + list(self.metrics)
        if self.val_loss:
            keys += ["val_loss"] + [f"val_{k}" for k in self.val_metrics]
        return keys

    def as_dict(self) -> dict[str, list[float]]:
        return {k: list(self[k]) for k in self.keys()}

    def summary(self) -> str:
        """One line: the last epoch's numbers."""
        if not self.loss:
            return "no epochs run"
        parts = [f"epoch {self.epochs}", f"loss {self.loss[-1]:.4g}", f"lr {self.lr[-1]:.3g}"]
        parts += [f"{k} {v[-1]:.4g}" for k, v in self.metrics.items()]
        if self.val_loss:
            parts.append(f"val_loss {self.val_loss[-1]:.4g}")
            parts += [f"val_{k} {v[-1]:.4g}" for k, v in self.val_metrics.items()]
        return " | ".join(parts)


# -- model plumbing -----------------------------------------------------------------------------
def _is_tensor_model(model: Any) -> bool:
    params = model.parameters() if callable(getattr(model, "parameters", None)) else []
    return any(isinstance(getattr(p, "data", None), np.ndarray) for p in params)


def _forward(model: Any, xb: Any, tensor_model: bool) -> Any:
    """The model's outputs for one batch: a Tensor, or a list of per-sample outputs."""
    if tensor_model:
        return model(xb if isinstance(xb, Tensor) else Tensor(np.asarray(xb, dtype=float)))
    rows = xb.tolist() if isinstance(xb, np.ndarray) else list(xb)
    return [model(row) for row in rows]


def _targets(yb: Any, tensor_model: bool) -> Any:
    if tensor_model:
        return yb
    return yb.tolist() if isinstance(yb, np.ndarray) else list(yb)


def _scalar(loss: Any, where: str) -> float:
    data = getattr(loss, "data", None)
    if data is None:
        raise TypeError(f"{where}: loss_fn must return a Value or Tensor, got "
                        f"{type(loss).__name__}")
    if np.size(data) != 1:
        raise ValueError(f"{where}: loss_fn must return a scalar, got shape {np.shape(data)}")
    return float(np.asarray(data).reshape(-1)[0])


def _output_array(outputs: Any) -> np.ndarray:
    """Numbers of a batch's outputs: (batch,) for one output per sample, else (batch, k)."""
    if isinstance(getattr(outputs, "data", None), np.ndarray):
        arr = np.array(outputs.data, dtype=np.float64)
    else:
        arr = np.array([[v.data for v in o] if isinstance(o, (list, tuple)) else
                        getattr(o, "data", o) for o in outputs], dtype=np.float64)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    return arr


def _resolve_loss(loss_fn: Any) -> Callable:
    if isinstance(loss_fn, str):
        fn = getattr(losses, loss_fn, None)
        if fn is None or loss_fn not in losses.__all__:
            raise ValueError(f"fit: unknown loss {loss_fn!r}; choose one of {losses.__all__}")
        return fn
    if not callable(loss_fn):
        raise TypeError(f"fit: loss_fn must be callable or a loss name, got {loss_fn!r}")
    return loss_fn


def _resolve_metrics(metrics: Any) -> list[tuple[str, Callable, str]]:
    """(name, function, kind) with kind 'class', 'multilabel', 'raw'."""
    if metrics is None:
        return []
    pair = isinstance(metrics, tuple) and len(metrics) == 2 and callable(metrics[1])
    if isinstance(metrics, str) or callable(metrics) or pair:
        metrics = [metrics]
    out = []
    for m in metrics:
        if isinstance(m, str):
            if m not in _metrics.METRICS:
                raise ValueError(f"unknown metric {m!r}; choose from "
                                 f"{sorted(_metrics.METRICS)} or pass a function "
                                 "f(y_true, outputs)")
            kind = ("class" if m in _CLASSIFICATION else
                    "multilabel" if m in _MULTILABEL else "raw")
            out.append((m, _metrics.METRICS[m], kind))
        elif isinstance(m, tuple) and len(m) == 2 and callable(m[1]):
            out.append((str(m[0]), m[1], "raw"))
        elif callable(m):
            out.append((getattr(m, "__name__", "metric"), m, "raw"))
        else:
            raise TypeError(f"a metric must be a name, a function or (name, function), "
                            f"got {m!r}")
    return out


def _compute_metrics(specs: list, y_true: np.ndarray, outputs: np.ndarray) -> dict[str, float]:
    result = {}
    for name, fn, kind in specs:
        if kind == "class":
            pred = _metrics.scores_to_labels(outputs, y_true)
        elif kind == "multilabel":
            pred = (outputs >= _metrics.default_threshold(outputs)).astype(np.int64)
        else:
            pred = outputs
        result[name] = float(fn(y_true, pred))
    return result


def _loader(data: Any, batch_size: int, shuffle: bool, seed: Any) -> Any:
    if isinstance(data, tuple) and len(data) == 2:
        check_same_length(data[0], data[1], "fit: data")
        check_batch_size(batch_size, "fit")
        return DataLoader(data[0], data[1], batch_size=batch_size, shuffle=shuffle, seed=seed)
    if isinstance(data, Iterable):
        return data  # a DataLoader or any re-iterable of (X, y) batches
    raise TypeError(f"fit: data must be (X, y) or an iterable of (X, y) batches, got "
                    f"{type(data).__name__}")


@contextmanager
def _eval_mode(model: Any) -> Iterator[None]:
    """Eval mode and no graph for the block; the model's training flag is restored after."""
    was_training = getattr(model, "training", True)
    if callable(getattr(model, "eval", None)):
        model.eval()
    try:
        with no_grad():
            yield
    finally:
        if was_training and callable(getattr(model, "train", None)):
            model.train()


def _stack(parts: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([np.atleast_1d(p) for p in parts], axis=0)


# -- public API ----------------------------------------------------------------------------------
def predict(model: Any, X: Any, batch_size: int = 256) -> np.ndarray:
    """The model's outputs for every row of X, in eval mode without a graph, as numpy."""
    check_same_length(X, None, "predict")
    check_batch_size(batch_size, "predict")
    tensor_model = _is_tensor_model(model)
    with _eval_mode(model):
        parts = [_output_array(_forward(model, xb, tensor_model))
                 for xb in DataLoader(X, None, batch_size=batch_size, shuffle=False)]
    return _stack(parts)


def evaluate(model: Any, loss_fn: Any, X: Any, y: Any, metrics: Any = (),
             batch_size: int = 256) -> dict[str, float]:
    """Mean loss and metrics on (X, y), in eval mode without a graph: {'loss': …, name: …}."""
    check_same_length(X, y, "evaluate")
    check_batch_size(batch_size, "evaluate")
    return _evaluate(model, _resolve_loss(loss_fn), X, y, _resolve_metrics(metrics), batch_size)


def _evaluate(model: Any, loss_fn: Callable, X: Any, y: Any, specs: list, batch_size: int
              ) -> dict[str, float]:
    """``evaluate`` on checked arguments (``fit`` resolves loss and metrics once)."""
    tensor_model = _is_tensor_model(model)
    total, count, outs, ys = 0.0, 0, [], []
    with _eval_mode(model):
        for xb, yb in DataLoader(X, y, batch_size=batch_size, shuffle=False):
            out = _forward(model, xb, tensor_model)
            n = len(yb)
            total += _scalar(loss_fn(out, _targets(yb, tensor_model)), "evaluate") * n
            count += n
            outs.append(_output_array(out))
            ys.append(np.asarray(yb, dtype=np.float64))
    result = {"loss": total / count}
    result.update(_compute_metrics(specs, _stack(ys), _stack(outs)))
    return result


def fit(
    model: Any,
    loss_fn: Any,
    optimizer: Any,
    data: Any,
    epochs: int = 1,
    batch_size: int = 32,
    scheduler: Any = None,
    val_data: tuple[Any, Any] | None = None,
    metrics: Sequence[Any] | None = (),
    verbose: bool = True,
    *,
    scheduler_interval: str = "epoch",
    regularizer: Callable[[Any], Any] | None = None,
    grad_accumulation: int = 1,
    shuffle: bool = True,
    seed: Any = 0,
    log_every: int = 0,
) -> History:
    """Train ``model`` and return its ``History``.

    Parameters
    ----------
    model: an ``nn`` Module (Value or Tensor parameters) or any callable with ``parameters()``.
    loss_fn: ``f(outputs, targets) -> scalar`` or a name in ``losses`` ('mse', 'hinge', …).
    optimizer: an ``optim`` optimizer over the model's parameters.
    data: ``(X, y)`` arrays/lists (batched here, shuffled with ``seed``), or a ``DataLoader``.
    scheduler: an ``optim`` scheduler, stepped once per epoch, or once per batch with
        ``scheduler_interval='batch'`` (Meng & Ou's "every 50 iterations").
    val_data: ``(X_val, y_val)``, evaluated after every epoch (eval mode, no graph).
    metrics: names from ``metrics.METRICS`` or functions ``f(y_true, outputs)``.
    verbose: show a rich progress bar (epoch, loss, lr, first metric); False for silence.
    regularizer: ``f(model) -> penalty`` added to each batch's loss (e.g. ``l2_penalty``).
    grad_accumulation: step the optimizer every k batches on the summed gradients of
        loss/k (Meng & Ou §3.4.4, "accu_steps").
    log_every: with ``verbose``, also print a summary line every k epochs.
    shuffle, seed: shuffle the samples into new batches every epoch, in an order fixed by
        ``seed``. (The model's initial weights are seeded where it is built:
        ``nn.MLP(..., seed=0)``.)

    Example
    -------
    >>> model = nn.MLP(2, [16, 16, 1], seed=0)
    >>> opt = optim.SGD(model.parameters(), lr=0.1)
    >>> hist = fit(model, losses.hinge, opt, (X, 2 * y - 1), epochs=20, metrics=['accuracy'])
    """
    _check_count("epochs", epochs, 0)
    _check_count("grad_accumulation", grad_accumulation, 1)
    _check_count("log_every", log_every, 0)
    if scheduler_interval not in ("epoch", "batch"):
        raise ValueError(f"fit: scheduler_interval must be 'epoch' or 'batch', got "
                         f"{scheduler_interval!r}")
    if not callable(getattr(optimizer, "step", None)):
        raise TypeError(f"fit: optimizer must have step() and zero_grad(), got "
                        f"{type(optimizer).__name__}")
    if val_data is not None:
        if not (isinstance(val_data, (tuple, list)) and len(val_data) == 2):
            raise TypeError(f"fit: val_data must be a pair (X_val, y_val), got "
                            f"{type(val_data).__name__}")
        check_same_length(val_data[0], val_data[1], "fit: val_data")
    loss_fn = _resolve_loss(loss_fn)
    specs = _resolve_metrics(metrics)
    loader = _loader(data, batch_size, shuffle, seed)
    tensor_model = _is_tensor_model(model)
    history = History()
    for name, _, _ in specs:
        history.metrics[name] = []
        if val_data is not None:
            history.val_metrics[name] = []

    progress = _Progress(epochs, _safe_len(loader), verbose, log_every)
    start = time.perf_counter()
    try:
        for epoch in range(epochs):
            if callable(getattr(model, "train", None)):
                model.train()
            total, count, outs, ys = 0.0, 0, [], []
            for k, (xb, yb) in enumerate(loader):
                if k % grad_accumulation == 0:
                    optimizer.zero_grad()
                out = _forward(model, xb, tensor_model)
                loss = loss_fn(out, _targets(yb, tensor_model))
                if regularizer is not None:
                    loss = loss + regularizer(model)
                value = _scalar(loss, "fit")
                if not math.isfinite(value):
                    raise FloatingPointError(
                        f"fit: the loss became {value} at epoch {epoch + 1}, batch {k + 1}; "
                        "try a smaller learning rate (or run under anomaly() to find the op)"
                    )
                (loss / grad_accumulation if grad_accumulation > 1 else loss).backward()
                if (k + 1) % grad_accumulation == 0:
                    optimizer.step()
                    if scheduler is not None and scheduler_interval == "batch":
                        scheduler.step()
                n = len(yb)
                total += value * n
                count += n
                history.batch_loss.append(value)
                history.batch_lr.append(_lr(optimizer))
                if specs:
                    outs.append(_output_array(out))
                    ys.append(np.asarray(yb, dtype=np.float64))
                progress.batch(epoch, value, history.batch_lr[-1])
            if count == 0:
                raise ValueError("fit: data produced no batches")
            if (k + 1) % grad_accumulation != 0:  # leftover accumulated gradient
                optimizer.step()
            if scheduler is not None and scheduler_interval == "epoch":
                scheduler.step()
            history.loss.append(total / count)
            history.lr.append(_lr(optimizer))
            if specs:
                for name, v in _compute_metrics(specs, _stack(ys), _stack(outs)).items():
                    history.metrics[name].append(v)
            if val_data is not None:
                res = _evaluate(model, loss_fn, val_data[0], val_data[1], specs,
                                _eval_batch_size(loader, batch_size))
                history.val_loss.append(res.pop("loss"))
                for name, v in res.items():
                    history.val_metrics[name].append(v)
            progress.epoch_end(epoch, history)
    finally:
        progress.close()
    history.seconds = time.perf_counter() - start
    return history


def _check_count(name: str, value: Any, low: int) -> None:
    """A ``fit`` argument that must be an int >= ``low`` (0 or 1)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        kind = "positive" if low == 1 else "non-negative"
        raise ValueError(f"fit: {name} must be a {kind} int, got {value!r}")


def _lr(optimizer: Any) -> float:
    groups = getattr(optimizer, "param_groups", None)
    if groups:
        return float(groups[0].get("lr", math.nan))
    return float(getattr(optimizer, "lr", math.nan))


def _eval_batch_size(loader: Any, batch_size: int) -> int:
    """Evaluate in batches as large as the training ones (keeps BLAS calls equally small)."""
    return int(getattr(loader, "batch_size", batch_size))


def _safe_len(loader: Any) -> int | None:
    try:
        return len(loader)
    except TypeError:
        return None


class _Progress:
    """A rich progress bar over all batches: epoch, loss, lr and the first metric."""

    def __init__(self, epochs: int, n_batches: int | None, verbose: bool, log_every: int
                 ) -> None:
        self.verbose = bool(verbose)
        self.log_every = log_every
        self.epochs = epochs
        self._bar = None
        if not self.verbose:
            return
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
        )

        self._bar = Progress(
            TextColumn("epoch {task.fields[epoch]}/{task.fields[epochs]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[info]}"),
            TimeElapsedColumn(),
        )
        total = epochs * n_batches if n_batches is not None else None
        self._task = self._bar.add_task("fit", total=total, epoch=0, epochs=epochs, info="")
        self._bar.start()
        self._metric = ""

    def batch(self, epoch: int, loss: float, lr: float) -> None:
        if self._bar is not None:
            self._bar.update(self._task, advance=1, epoch=epoch + 1,
                             info=f"loss {loss:.4f}  lr {lr:.3g}{self._metric}")

    def epoch_end(self, epoch: int, history: History) -> None:
        if self._bar is None:
            return
        if history.metrics:
            name, values = next(iter(history.metrics.items()))
            self._metric = f"  {name} {values[-1]:.3f}"
            if history.val_metrics:
                self._metric += f"  val_{name} {history.val_metrics[name][-1]:.3f}"
        self._bar.update(self._task, info=f"loss {history.loss[-1]:.4f}  "
                                          f"lr {history.lr[-1]:.3g}{self._metric}")
        if self.log_every and ((epoch + 1) % self.log_every == 0 or epoch + 1 == self.epochs):
            self._bar.console.print(history.summary())

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
