"""Jacobians, Hessians and Hessian-vector products, like ``torch.autograd.functional``.

Each is built on :func:`micrograd_plus.grad`: the Jacobian row by row (one backward pass per
output element), the Hessian as the Jacobian of the gradient (the gradient computed with
``create_graph=True``, so it can be differentiated again), and the Hessian-vector product
as one more backward pass through the gradient:

    J_ki = ∂f_k/∂x_i,   H_ij = ∂²f/∂x_i∂x_j = ∂(∂f/∂x_i)/∂x_j,   (Hv)_i = ∂(Σ_j ∂f/∂x_j·v_j)/∂x_i

Two kinds of input:

- **Values**: ``inputs`` is a list of numbers (or Values, whose data is used); ``f`` takes
  them as separate arguments, ``f(w1, w2)``, and returns a Value (or a list of Values).
  Results are floats and nested lists of floats: ``hessian(J, [-2.0, 3.0])`` is
  ``[[2.0, 0.0], [0.0, 2.0]]``. A single number instead of a list drops that level, as a
  single Tensor does in torch.
- **Tensors**: ``inputs`` is a Tensor or a tuple of Tensors; results are numpy arrays shaped
  as torch.autograd.functional's: ``jacobian`` out.shape + in.shape, ``hessian``
  in.shape + in.shape, a tuple (of tuples) where the inputs or outputs are tuples.

``f`` is called on fresh leaves that hold the inputs' data, so no ``.grad`` is touched.
An output that does not depend on an input gives zeros there (torch's ``strict=False``).
"""

from __future__ import annotations

import numbers
from typing import Any, Callable

import numpy as np

from .autograd import enable_grad, grad
from .value import Value
from .tensor import Tensor

__all__ = ["jacobian", "hessian", "hvp"]


# -- inputs and outputs ---------------------------------------------------------------------
class _Inputs:
    """Fresh leaves for ``inputs`` and how to shape results like them."""

    def __init__(self, inputs: Any, what: str) -> None:
        self.single = not isinstance(inputs, (list, tuple))
        items = [inputs] if self.single else list(inputs)
        if not items:
            raise ValueError(f"{what}: inputs is empty; give at least one input")
        if all(isinstance(x, Tensor) for x in items):
            self.kind = "tensor"
            self.leaves = [Tensor(x.data, requires_grad=True, dtype=x.dtype) for x in items]
        elif all(_is_scalar(x) for x in items):
            self.kind = "value"
            self.leaves = [Value(float(x.data if isinstance(x, Value) else x)) for x in items]
        else:
            kinds = ", ".join(sorted({type(x).__name__ for x in items}))
            raise TypeError(f"{what}: inputs must be a Tensor or a tuple of Tensors, or a list "
                            f"of numbers/Values, not a mix; got {kinds}")

    def shaped(self, per_input: list) -> Any:
        return per_input[0] if self.single else (
            tuple(per_input) if self.kind == "tensor" else list(per_input))

    def zeros(self, i: int) -> Any:
        return 0.0 if self.kind == "value" else np.zeros_like(self.leaves[i].data)


def _is_scalar(x: Any) -> bool:
    return isinstance(x, Value) or (isinstance(x, numbers.Real) and not isinstance(x, bool))


def _call(f: Callable, ins: _Inputs) -> Any:
    with enable_grad():  # f's graph is recorded even inside no_grad()
        return f(*ins.leaves)


def _outputs(out: Any, ins: _Inputs, what: str) -> tuple[list, bool]:
    """The outputs as a list and whether ``f`` returned one output (not a list/tuple)."""
    single = not isinstance(out, (list, tuple))
    outs = [out] if single else list(out)
    for o in outs:
        ok = (isinstance(o, Tensor) if ins.kind == "tensor" else
              isinstance(o, Value) or (isinstance(o, numbers.Real) and not isinstance(o, bool)))
        if not ok:
            wanted = "Tensors" if ins.kind == "tensor" else "Values (or numbers)"
            raise TypeError(f"{what}: f must return {wanted} for these inputs, got "
                            f"{type(o).__name__}")
    return outs, single


def _depends(node: Any) -> bool:
    """True for a graph node gradients can flow from (else its derivatives are all 0)."""
    return getattr(node, "requires_grad", False)


def _number(g: Any, ins: _Inputs, i: int) -> Any:
    """A gradient from grad() as a float or an array (None, an unused input, is 0)."""
    if g is None:
        return ins.zeros(i)
    if ins.kind == "value":
        return float(g.data if isinstance(g, Value) else g)
    return np.array(g.data if isinstance(g, Tensor) else g, dtype=ins.leaves[i].dtype)


def _rows(out: Any, ins: _Inputs) -> list:
    """∂out/∂x_i for every input, as out.shape + x_i.shape arrays (floats for Values)."""
    n = len(ins.leaves)
    if ins.kind == "value":
        if not _depends(out):
            return [0.0] * n
        gs = grad(out, ins.leaves, allow_unused=True)
        return [_number(g, ins, i) for i, g in enumerate(gs)]
    shape = out.shape
    jac = [np.zeros(shape + x.shape, dtype=x.dtype) for x in ins.leaves]
    if not _depends(out):
        return jac
    for k in range(out.data.size):
        seed = np.zeros(out.data.size, dtype=out.dtype)
        seed[k] = 1.0
        gs = grad([out], ins.leaves, [seed.reshape(shape)], allow_unused=True)
        index = np.unravel_index(k, shape)
        for i, g in enumerate(gs):
            jac[i][index] = _number(g, ins, i)
    return jac


def _scalar_output(out: Any, ins: _Inputs, what: str) -> Any:
    outs, single = _outputs(out, ins, what)
    if not single:
        raise ValueError(f"{what}: f must return a single output, got {len(outs)}")
    if ins.kind == "tensor" and out.data.size != 1:
        raise ValueError(f"{what}: f must return a single-element Tensor, got shape "
                         f"{out.shape}")
    return out


def _value_of(out: Any) -> Any:
    data = getattr(out, "data", out)
    return float(data) if not isinstance(data, np.ndarray) else data.copy()


# -- the three functions --------------------------------------------------------------------
def jacobian(f: Callable, inputs: Any) -> Any:
    """J_ki = ∂f_k/∂x_i at ``inputs``, like ``torch.autograd.functional.jacobian``.

    Parameters
    ----------
    f: a function of the inputs (as separate arguments) returning an output or a
       list/tuple of outputs.
    inputs: a Tensor or tuple of Tensors, or a list of numbers/Values (see the module).

    Returns
    -------
    One result per (output, input) pair, nested as torch nests them: an output's entry is
    its per-input results (a tuple for Tensors, a list for Values), a single output or
    input drops its level. For Tensors each result has shape out.shape + in.shape.

    Examples
    --------
    >>> jacobian(lambda a, b: [a * b, a + b], [2.0, 3.0])
    [[3.0, 2.0], [1.0, 1.0]]
    """
    ins = _Inputs(inputs, "jacobian")
    outs, single = _outputs(_call(f, ins), ins, "jacobian")
    per_output = [ins.shaped(_rows(o, ins)) for o in outs]
    if single:
        return per_output[0]
    return tuple(per_output) if ins.kind == "tensor" else per_output


def _first_derivatives(f: Callable, ins: _Inputs, what: str) -> tuple[Any, list]:
    """f(x) and ∂f/∂x_i as nodes that record their own graph (create_graph=True)."""
    out = _scalar_output(_call(f, ins), ins, what)
    if not _depends(out):
        return out, [None] * len(ins.leaves)
    return out, list(grad(out, ins.leaves, create_graph=True, allow_unused=True))


def hessian(f: Callable, inputs: Any) -> Any:
    """H_ij = ∂²f/∂x_i∂x_j of a scalar ``f``, like ``torch.autograd.functional.hessian``.

    The Jacobian of the gradient: ∇f is computed with ``create_graph=True``, then each of
    its entries is differentiated again. For Values a list of lists of floats; for one
    Tensor an array of shape in.shape + in.shape; for a tuple of Tensors a tuple of tuples,
    ``H[i][j]`` of shape x_i.shape + x_j.shape.

    Examples
    --------
    >>> hessian(lambda w1, w2: w1**2 + w2**2 + 2 * w2 + 5, [-2.0, 3.0])
    [[2.0, 0.0], [0.0, 2.0]]
    """
    ins = _Inputs(inputs, "hessian")
    _, grads = _first_derivatives(f, ins, "hessian")
    rows = []
    for i, g in enumerate(grads):
        if g is None or not _depends(g):
            row = [_zeros_block(ins, i, j) for j in range(len(ins.leaves))]
        else:
            row = _rows(g, ins)
        rows.append(ins.shaped(row))
    return ins.shaped(rows)


def _zeros_block(ins: _Inputs, i: int, j: int) -> Any:
    if ins.kind == "value":
        return 0.0
    a, b = ins.leaves[i], ins.leaves[j]
    return np.zeros(a.shape + b.shape, dtype=b.dtype)


def hvp(f: Callable, inputs: Any, v: Any) -> tuple:
    """(f(x), H·v) for a scalar ``f``, like ``torch.autograd.functional.hvp``.

    (Hv)_i = ∂(Σ_j ∂f/∂x_j · v_j)/∂x_i: two backward passes, the Hessian is never formed.
    ``v`` has the structure of ``inputs`` (a Tensor or tuple of Tensors/arrays of the same
    shapes, or a list of numbers).

    Examples
    --------
    >>> hvp(lambda w1, w2: w1**2 + w2**2 + 2 * w2 + 5, [-2.0, 3.0], [1.0, 1.0])
    (24.0, [2.0, 2.0])
    """
    ins = _Inputs(inputs, "hvp")
    vs = _directions(v, ins)
    out, grads = _first_derivatives(f, ins, "hvp")
    used = [(g, d) for g, d in zip(grads, vs) if g is not None and _depends(g)]
    if not used:
        result = [ins.zeros(i) for i in range(len(ins.leaves))]
    else:
        gs = [g for g, _ in used]
        seeds = [d for _, d in used]
        hv = grad(gs, ins.leaves, grad_outputs=seeds, allow_unused=True)
        result = [_number(h, ins, i) for i, h in enumerate(hv)]
    return _value_of(out), ins.shaped(result)


def _directions(v: Any, ins: _Inputs) -> list:
    """``v`` as one seed per input, checked against the inputs' structure and shapes."""
    vs = [v] if ins.single else v
    if not isinstance(vs, (list, tuple)) or len(vs) != len(ins.leaves):
        raise ValueError(f"hvp: v must have the structure of inputs ({len(ins.leaves)} "
                         f"entries), got {type(v).__name__}")
    out = []
    for i, (d, x) in enumerate(zip(vs, ins.leaves)):
        if ins.kind == "value":
            if not _is_scalar(d):
                raise TypeError(f"hvp: v[{i}] must be a number, got {type(d).__name__}")
            out.append(float(d.data if isinstance(d, Value) else d))
            continue
        arr = np.asarray(d.data if isinstance(d, Tensor) else d, dtype=x.dtype)
        if arr.shape != x.shape:
            raise ValueError(f"hvp: v[{i}] has shape {arr.shape}, but input {i} has shape "
                             f"{x.shape}")
        out.append(arr)
    return out
