"""Run the same Python function with micrograd_plus and with PyTorch, and compare.

``compare_with_torch(build_fn, inputs)`` calls ``build_fn`` once with Values (Tensors for
array inputs) and once with float64 ``torch.tensor`` leaves, runs backward on both, and
tabulates every input's and every output's value and gradient side by side with their
difference. ``build_fn`` is written once with operators and methods both libraries share
(``+ - * / **``, ``.tanh() .exp() .log() .relu() .sigmoid() .sum() .mean()``).
PyTorch is optional: it is imported only here, with a clear error when it is missing.
"""

from __future__ import annotations

import inspect
import io
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from ..core.autograd import Node
from ..core.checks import require_torch
from ..core.tensor import Tensor
from ..core.value import Value
from .chain import fmt

__all__ = ["compare_with_torch", "assert_grads_match_torch", "TorchComparison",
           "ComparisonRow"]


@dataclass(eq=False)
class ComparisonRow:
    """One input or output:  value_diff = max |ours − torch|, grad_diff likewise."""

    kind: str  # 'input', 'output', or 'node' (an intermediate node build_fn named)
    name: str
    value: Any
    torch_value: Any
    grad: Any
    torch_grad: Any
    value_diff: float
    grad_diff: float

    def ok(self, atol: float = 1e-8, rtol: float = 1e-6) -> bool:
        return _close(self.value, self.torch_value, atol, rtol) and _close(
            self.grad, self.torch_grad, atol, rtol
        )


@dataclass(eq=False)
class TorchComparison:
    """Rows for every input and output; ``ok(atol, rtol)`` when all agree."""

    rows: list[ComparisonRow] = field(default_factory=list)

    @property
    def max_value_diff(self) -> float:
        return max((r.value_diff for r in self.rows), default=0.0)

    @property
    def max_grad_diff(self) -> float:
        return max((r.grad_diff for r in self.rows), default=0.0)

    def ok(self, atol: float = 1e-8, rtol: float = 1e-6) -> bool:
        return all(r.ok(atol, rtol) for r in self.rows)

    def row(self, name: str) -> ComparisonRow:
        for r in self.rows:
            if r.name == name:
                return r
        raise KeyError(f"no row named {name!r}; rows: {[r.name for r in self.rows]}")

    def __rich__(self) -> Any:
        from rich.table import Table

        table = Table(title="micrograd_plus vs PyTorch (float64)")
        for name in ("", "name", "value", "torch", "Δ value", "grad", "torch grad", "Δ grad"):
            table.add_column(name, justify="left" if name in ("", "name") else "right")
        for r in self.rows:
            table.add_row(
                r.kind, r.name, fmt(r.value), fmt(r.torch_value), f"{r.value_diff:.2g}",
                fmt(r.grad), fmt(r.torch_grad), f"{r.grad_diff:.2g}",
            )
        return table

    def __str__(self) -> str:
        from rich.console import Console

        console = Console(width=120, file=io.StringIO(), color_system=None)
        console.print(self)
        return console.file.getvalue().rstrip()


def compare_with_torch(
    build_fn: Callable[..., Any],
    inputs: Sequence[Any] | Mapping[str, Any],
) -> TorchComparison:
    """Values and gradients of ``build_fn`` in micrograd_plus and in PyTorch, side by side.

    Parameters: ``inputs`` is a sequence (passed positionally; rows are named after
    ``build_fn``'s parameters) or a mapping (passed as keywords) of numbers, which become
    Values, or array-likes, which become Tensors. ``build_fn`` returns the output node; or
    a dict of named nodes whose *last* entry is the output and the others intermediate
    nodes to compare too; or a list/tuple of outputs, whose gradients are then those of
    their sum (``torch.autograd.backward(outputs)``), in both libraries.

    Example::

        table = compare_with_torch(lambda w, x: (w * x).tanh(), [0.5, -2.0])
        print(table); assert table.ok()
    """
    torch = require_torch("compare_with_torch")
    if isinstance(inputs, Mapping):
        names, raw, keywords = list(inputs), list(inputs.values()), True
    else:
        raw, keywords = list(inputs), False
        names = _parameter_names(build_fn, len(raw))
    ours = [_our_leaf(x, name) for x, name in zip(raw, names)]
    theirs = [
        torch.tensor(np.asarray(x, dtype=np.float64), dtype=torch.float64, requires_grad=True)
        for x in raw
    ]

    def call(leaves: list) -> tuple[dict, list]:
        result = build_fn(**dict(zip(names, leaves))) if keywords else build_fn(*leaves)
        return _named_outputs(result)

    our_out, our_roots = call(ours)
    for name, node in our_out.items():
        if not isinstance(node, Node):
            raise TypeError(
                f"compare_with_torch: build_fn must return a Value or Tensor (or a dict, list "
                f"or tuple of them); its {name!r} is a {type(node).__name__}: {node!r}"
            )
    their_out, their_roots = call(theirs)
    if list(our_out) != list(their_out):
        raise ValueError("build_fn returned different outputs for Values and for torch tensors")
    for node in our_out.values():
        if hasattr(node, "retain_grad") and not node.is_leaf:
            node.retain_grad()  # Tensors keep intermediate grads only when asked, like torch
    for node in our_roots:
        node.backward(np.ones_like(node.data) if isinstance(node.data, np.ndarray) else 1.0)
    for t in their_out.values():
        if t.requires_grad and not t.is_leaf:
            t.retain_grad()
    torch.autograd.backward(their_roots, [torch.ones_like(t) for t in their_roots])

    rows = [_row("input", name, a, b) for name, a, b in zip(names, ours, theirs)]
    for name, node in our_out.items():
        kind = "output" if any(node is r for r in our_roots) else "node"
        rows.append(_row(kind, name, node, their_out[name]))
    return TorchComparison(rows)


def assert_grads_match_torch(
    build_fn: Callable[..., Any],
    inputs: Sequence[Any] | Mapping[str, Any],
    atol: float = 1e-8,
    rtol: float = 1e-6,
) -> TorchComparison:
    """pytest helper: fail with the comparison table unless every value and grad agrees.

    ``|ours − torch| ≤ atol + rtol·|torch|`` elementwise, for every input and output.
    """
    table = compare_with_torch(build_fn, inputs)
    if not table.ok(atol, rtol):
        bad = [r.name for r in table.rows if not r.ok(atol, rtol)]
        raise AssertionError(
            f"micrograd_plus and PyTorch disagree on {', '.join(bad)} "
            f"(atol={atol:g}, rtol={rtol:g}):\n{table}"
        )
    return table


def _parameter_names(fn: Callable, n: int) -> list[str]:
    """``build_fn``'s positional parameter names, else x0, x1, ..."""
    try:
        params = [
            p.name for p in inspect.signature(fn).parameters.values()
            if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]
    except (TypeError, ValueError):
        params = []
    return params[:n] if len(params) >= n else [f"x{i}" for i in range(n)]


def _our_leaf(x: Any, name: str) -> Value | Tensor:
    """A number becomes a Value, anything else (array-like) a float64 Tensor."""
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return Value(float(x), label=name)
    try:
        data = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(f"compare_with_torch: input {name!r} must be a number or an array of "
                        f"numbers, got {type(x).__name__}: {x!r}") from None
    return Tensor(data, requires_grad=True, label=name)


def _named_outputs(result: Any) -> tuple[dict, list]:
    """Named nodes to report, and the outputs backward starts from."""
    if isinstance(result, Mapping):
        if not result:
            raise ValueError("build_fn returned an empty dict")
        named = dict(result)
        return named, [list(named.values())[-1]]
    if isinstance(result, (list, tuple)):
        return {f"out{i}": r for i, r in enumerate(result)}, list(result)
    return {"out": result}, [result]


def _row(kind: str, name: str, ours: Any, theirs: Any) -> ComparisonRow:
    value = _array(ours.data)
    grad = _array(0.0 if ours.grad is None else ours.grad, like=value)
    torch_value = theirs.detach().numpy().copy()
    torch_grad = (np.zeros_like(torch_value) if theirs.grad is None
                  else theirs.grad.detach().numpy().copy())
    value = _scalar_if_scalar(value)
    grad = _scalar_if_scalar(grad)
    torch_value = _scalar_if_scalar(torch_value)
    torch_grad = _scalar_if_scalar(torch_grad)
    return ComparisonRow(
        kind, name, value, torch_value, grad, torch_grad,
        _diff(value, torch_value), _diff(grad, torch_grad),
    )


def _array(x: Any, like: Any = None) -> np.ndarray:
    a = np.asarray(x, dtype=np.float64)
    if like is not None and a.shape != np.shape(like):
        a = np.broadcast_to(a, np.shape(like)).copy()
    return a


def _scalar_if_scalar(a: np.ndarray) -> Any:
    return float(a) if a.ndim == 0 else a


def _diff(a: Any, b: Any) -> float:
    d = np.abs(np.asarray(a, dtype=float) - np.asarray(b, dtype=float))
    both_nan = np.isnan(np.asarray(a, dtype=float)) & np.isnan(np.asarray(b, dtype=float))
    d = np.where(both_nan, 0.0, d)
    return float(np.max(d)) if d.size else 0.0


def _close(a: Any, b: Any, atol: float, rtol: float) -> bool:
    a = np.asarray(a, dtype=float)
    b = np.asarray(b, dtype=float)
    if a.shape != b.shape:
        return False
    same = (np.abs(a - b) <= atol + rtol * np.abs(b)) | (np.isnan(a) & np.isnan(b)) | (a == b)
    return bool(np.all(same))
