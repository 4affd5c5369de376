"""``gradcheck(f, inputs)``: autograd against central finite differences.

For each input x_i:  numeric_i = (f(x + ε e_i) − f(x − ε e_i)) / 2ε,  analytic_i from one
``backward()``; they agree when |analytic − numeric| ≤ atol + rtol·|numeric|. Inputs are
Values, or any node whose ``data`` is a float64 ndarray (Tensors, checked element by
element). A non-scalar output is reduced to Σ v·out with a fixed random v, so one backward
pass checks the vector-Jacobian product.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import numpy as np

from ..core import autograd
from .chain import fmt

__all__ = ["gradcheck", "GradcheckError", "GradcheckReport", "GradcheckEntry"]


@dataclass(eq=False)
class GradcheckEntry:
    """One checked input:  error = max |analytic − numeric|."""

    index: int
    label: str
    analytic: Any
    numeric: Any
    error: float
    ok: bool


@dataclass(eq=False)
class GradcheckReport:
    """Per-input results; true when every input passes."""

    entries: list[GradcheckEntry] = field(default_factory=list)
    eps: float = 1e-6
    atol: float = 1e-5
    rtol: float = 1e-3

    @property
    def ok(self) -> bool:
        return all(e.ok for e in self.entries)

    def __bool__(self) -> bool:
        return self.ok

    @property
    def failures(self) -> list[GradcheckEntry]:
        return [e for e in self.entries if not e.ok]

    def __str__(self) -> str:
        head = "gradcheck passed" if self.ok else "gradcheck FAILED"
        lines = [f"{head} (eps={self.eps:g}, atol={self.atol:g}, rtol={self.rtol:g})"]
        for e in self.entries:
            mark = "ok " if e.ok else "BAD"
            lines.append(
                f"  {mark} input {e.index} {e.label}: analytic {fmt(e.analytic)}, "
                f"numeric {fmt(e.numeric)}, error {e.error:.3g}"
            )
        return "\n".join(lines)

    def __rich__(self) -> Any:
        from rich.table import Table

        table = Table(title=str(self).splitlines()[0])
        for name in ("input", "analytic", "numeric", "error", ""):
            table.add_column(name, justify="left" if name == "input" else "right")
        for e in self.entries:
            table.add_row(
                f"{e.index} {e.label}", fmt(e.analytic), fmt(e.numeric), f"{e.error:.3g}",
                "✓" if e.ok else "✗", style=None if e.ok else "bold red",
            )
        return table


class GradcheckError(AssertionError):
    """Autograd disagrees with finite differences; ``.report`` has the numbers."""

    def __init__(self, report: GradcheckReport) -> None:
        super().__init__(str(report))
        self.report = report


def gradcheck(
    f: Callable[..., Any],
    inputs: Sequence[Any],
    eps: float = 1e-6,
    atol: float = 1e-5,
    rtol: float = 1e-3,
    raise_exception: bool = True,
) -> GradcheckReport:
    """Check ``f(*inputs)``'s gradients w.r.t. every node in ``inputs`` numerically.

    Parameters: ``f`` builds the output from the inputs (called 1 + 2·n times);
    ``inputs`` are Values or Tensors (other items are passed through unchecked).
    Returns a :class:`GradcheckReport` (truthy when all pass); on failure raises
    :class:`GradcheckError` unless ``raise_exception=False``. Input ``.grad`` values are
    restored afterwards.

    Example::

        gradcheck(lambda a, b: (a * b).tanh(), [Value(0.3), Value(-1.2)])
    """
    if not 0.0 < eps < math.inf:
        raise ValueError(f"gradcheck: eps must be a positive step, got {eps!r}")
    for name, tol in (("atol", atol), ("rtol", rtol)):
        if not tol >= 0.0:
            raise ValueError(f"gradcheck: {name} must be >= 0, got {tol!r}")
    inputs = list(inputs)
    checked = [i for i, x in enumerate(inputs) if _is_node(x)]
    if not checked:
        raise TypeError("gradcheck needs at least one Value or Tensor among the inputs")
    for i in checked:
        data = inputs[i].data
        if isinstance(data, np.ndarray) and data.dtype != np.float64:
            raise TypeError(
                f"gradcheck input {i} has dtype {data.dtype}; finite differences need float64"
            )
    out = f(*inputs)
    weights = _output_weights(out)
    analytic = _analytic(out, weights, [inputs[i] for i in checked])
    report = GradcheckReport(eps=eps, atol=atol, rtol=rtol)
    for i, a in zip(checked, analytic):
        x = inputs[i]
        n = _numeric(f, inputs, x, weights, eps)
        a_arr, n_arr = np.asarray(a, dtype=float), np.asarray(n, dtype=float)
        diff = np.abs(a_arr - n_arr)
        # NaN passes only where both are NaN: a NaN gradient beside a finite slope is wrong
        both_nan = np.isnan(a_arr) & np.isnan(n_arr)
        ok = bool(np.all((diff <= atol + rtol * np.abs(n_arr)) | both_nan))
        error = float(np.max(diff)) if np.size(diff) else 0.0
        label = getattr(x, "label", "") or f"{type(x).__name__}"
        report.entries.append(GradcheckEntry(i, label, a, n, error, ok))
    if not report.ok and raise_exception:
        raise GradcheckError(report)
    return report


def _is_node(x: Any) -> bool:
    return isinstance(x, autograd.Node)


def _output_weights(out: Any) -> Any:
    """1.0 for a scalar output; a fixed random array v for Σ v·out otherwise."""
    if not _is_node(out):
        raise TypeError(f"gradcheck: f must return a Value or Tensor, got {type(out).__name__}")
    data = out.data
    if isinstance(data, np.ndarray) and data.size != 1:
        return np.random.default_rng(0).uniform(0.5, 1.5, size=data.shape)
    if isinstance(data, np.ndarray):
        return np.ones(data.shape)
    return 1.0


def _scalar(out: Any, weights: Any) -> float:
    data = out.data
    return float(np.sum(data * weights)) if isinstance(data, np.ndarray) else float(data)


def _analytic(out: Any, weights: Any, nodes: list) -> list:
    """Gradients of Σ v·out from one backward pass, leaving every ``.grad`` as it was."""
    graph = autograd.topological_order(out)
    saved = [(n, n.grad) for n in graph]
    in_graph = set(graph)  # nodes hash by identity
    extra = [(n, n.grad) for n in nodes if n not in in_graph]
    for n, _ in saved + extra:
        n.grad = n._cleared_grad
    try:
        out.backward(weights)
        grads = []
        for n in nodes:
            g = n.grad
            if g is None:
                g = np.zeros_like(n.data)
            grads.append(g.copy() if isinstance(g, np.ndarray) else float(g))
        return grads
    finally:
        for n, g in saved + extra:
            n.grad = g


def _numeric(f: Callable, inputs: list, x: Any, weights: Any, eps: float) -> Any:
    """Central differences of Σ v·f with respect to each element of ``x.data``."""
    with autograd.no_grad():
        if not isinstance(x.data, np.ndarray):
            original = x.data
            try:
                x.data = original + eps
                up = _scalar(f(*inputs), weights)
                x.data = original - eps
                down = _scalar(f(*inputs), weights)
            finally:
                x.data = original
            return (up - down) / (2 * eps)
        data = x.data  # perturbed in place, one element at a time
        grad = np.zeros(data.shape)
        for k in np.ndindex(data.shape):
            original = data[k]
            try:
                data[k] = original + eps
                up = _scalar(f(*inputs), weights)
                data[k] = original - eps
                down = _scalar(f(*inputs), weights)
            finally:
                data[k] = original
            grad[k] = (up - down) / (2 * eps)
        return grad

