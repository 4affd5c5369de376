"""The Tensor operations: each a small class with ``forward`` and ``backward`` side by side.

``forward(*arrays) -> array`` computes the result from the parents' numpy data and saves what
the backward rule needs (arrays only, never nodes, so graphs are freed by reference counting).
``backward(g) -> tuple`` returns the vector-Jacobian product for each parent (``None`` for a
parent that needs no gradient, as listed in ``self.needs``). A rule may return a gradient
in the *broadcast* shape of the result: the Tensor engine sums it back to the parent's shape
and dtype in one place (``tensor._unbroadcast``), so no rule repeats that work.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Function", "TENSOR_OPS"]


def _ignore() -> np.errstate:
    """IEEE results (inf, NaN) without numpy warnings, as PyTorch gives them."""
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


class Function:
    """Base of every op: ``op`` is the name graphs show; ``needs[i]``: parent i wants a grad."""

    op = ""
    needs: tuple = ()

    def __repr__(self) -> str:
        return f"<{type(self).__name__}Backward op={self.op!r}>"


# -- elementwise binary (broadcasting) ------------------------------------------------------
class Add(Function):
    """a + b;  ∂/∂a = g, ∂/∂b = g"""

    op = "+"

    def forward(self, a, b):
        return a + b

    def backward(self, g):
        return g, g


class Sub(Function):
    """a − b;  ∂/∂a = g, ∂/∂b = −g"""

    op = "-"

    def forward(self, a, b):
        return a - b

    def backward(self, g):
        return g, (-g if self.needs[1] else None)


class Mul(Function):
    """a · b;  ∂/∂a = g·b, ∂/∂b = g·a"""

    op = "*"

    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, g):
        needs = self.needs
        return (g * self.b if needs[0] else None), (g * self.a if needs[1] else None)


class Div(Function):
    """a / b;  ∂/∂a = g/b, ∂/∂b = −g·a/b²  (x/0 gives ±inf or NaN, as in PyTorch)"""

    op = "/"

    def forward(self, a, b):
        with _ignore():
            out = a / b
        self.b, self.out = b, out
        return out

    def backward(self, g):
        b = self.b
        with _ignore():
            ga = g / b if self.needs[0] else None
            # −g·(a/b)/b rather than −g·a/b²: b² underflows to 0 for |b| < 1e-162
            gb = -g * (self.out / b) if self.needs[1] else None
        return ga, gb


class Pow(Function):
    """a ** b (b a Tensor);  ∂/∂a = g·b·a^(b−1), ∂/∂b = g·a^b·ln a (0 where a = 0, b >= 0)"""

    op = "**"

    def forward(self, a, b):
        with _ignore():
            out = np.power(a, b)
        self.a, self.b, self.out = a, b, out
        return out

    def backward(self, g):
        a, b, out = self.a, self.b, self.out
        ga = gb = None
        with _ignore():
            if self.needs[0]:
                ga = g * np.where(b == 0, 0.0, b * np.power(a, b - 1)).astype(out.dtype)
            if self.needs[1]:
                ln = np.where((a == 0) & (b >= 0), 0.0, np.log(a)).astype(out.dtype)
                gb = g * out * ln
        return ga, gb


class PowScalar(Function):
    """a ** n (n a number);  ∂/∂a = g·n·a^(n−1)  (0 when n = 0, like PyTorch)"""

    def __init__(self, n: float) -> None:
        self.n = n
        self.op = f"**{n}"

    def forward(self, a):
        self.a = a
        with _ignore():
            return a**self.n

    def backward(self, g):
        n = self.n
        if n == 0:
            return (np.zeros_like(g),)
        if n == 2:
            return (g * 2.0 * self.a,)  # the common square: no pow call
        with _ignore():
            return (g * n * self.a ** (n - 1),)


class Maximum(Function):
    """max(a, b) elementwise;  g goes to the larger, half each at ties (both, next to a NaN)"""

    op = "maximum"

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.maximum(a, b)

    def backward(self, g):
        a, b = self.a, self.b
        # PyTorch's rule: each side gets g unless it is the smaller one
        half = np.where(a == b, 0.5, 1.0).astype(g.dtype)
        return g * np.where(a < b, 0.0, half), g * np.where(a > b, 0.0, half)


# -- elementwise unary ----------------------------------------------------------------------
class Neg(Function):
    """−a;  ∂/∂a = −g"""

    op = "neg"

    def forward(self, a):
        return -a

    def backward(self, g):
        return (-g,)


class Exp(Function):
    """e^a;  ∂/∂a = g·e^a"""

    op = "exp"

    def forward(self, a):
        with _ignore():
            self.out = np.exp(a)
        return self.out

    def backward(self, g):
        return (g * self.out,)


class Log(Function):
    """ln a;  ∂/∂a = g/a  (ln 0 = −inf, ln of a negative number = NaN, as in PyTorch)"""

    op = "log"

    def forward(self, a):
        self.a = a
        with _ignore():
            return np.log(a)

    def backward(self, g):
        with _ignore():
            return (g / self.a,)


class Sqrt(Function):
    """√a;  ∂/∂a = g/(2√a)"""

    op = "sqrt"

    def forward(self, a):
        with _ignore():
            self.out = np.sqrt(a)
        return self.out

    def backward(self, g):
        with _ignore():
            return (g / (2.0 * self.out),)


class Tanh(Function):
    """tanh a;  ∂/∂a = g·(1 − tanh² a)"""

    op = "tanh"

    def forward(self, a):
        self.out = np.tanh(a)
        return self.out

    def backward(self, g):
        t = self.out
        d = np.multiply(t, t, out=np.empty_like(t))  # an array even for 0-d t
        np.subtract(1.0, d, out=d)  # 1 − t² in place: one temporary instead of three
        d *= g
        return (d,)


def sigmoid(a: np.ndarray) -> np.ndarray:
    """σ(a) = 1/(1 + e^−a) elementwise, computed from e^−|a|, which never overflows."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0, e) / (1.0 + e)


def shifted_by_max(a: np.ndarray, axis: int) -> np.ndarray:
    """a − max(a) along ``axis``: softmax is unchanged by the shift, and e^a cannot overflow.

    A row holding +inf (or only −inf) becomes NaN, as in PyTorch, without a numpy warning.
    """
    with _ignore():
        return a - np.max(a, axis=axis, keepdims=True)


class Sigmoid(Function):
    """σ(a) = 1/(1 + e^−a);  ∂/∂a = g·σ(a)(1 − σ(a))  (stable for large |a|)"""

    op = "sigmoid"

    def forward(self, a):
        self.out = sigmoid(a)
        return self.out

    def backward(self, g):
        s = self.out
        return (g * s * (1.0 - s),)


class ReLU(Function):
    """max(0, a);  ∂/∂a = g where a > 0, else 0  (NaN stays NaN with ∂ = g, as in PyTorch)"""

    op = "ReLU"

    def forward(self, a):
        out = np.maximum(a, 0.0)  # not a·(a > 0): that makes −inf·0 = NaN
        self.mask = out != 0  # PyTorch's test (not out <= 0), so NaN passes the gradient
        return out

    def backward(self, g):
        return (g * self.mask,)


class LeakyReLU(Function):
    """a if a > 0 else slope·a;  ∂/∂a = g·(1 if a > 0 else slope)"""

    op = "leaky_relu"

    def __init__(self, slope: float) -> None:
        self.slope = slope

    def forward(self, a):
        self.d = np.where(a > 0, 1.0, self.slope).astype(a.dtype)
        return a * self.d

    def backward(self, g):
        return (g * self.d,)


class Abs(Function):
    """|a|;  ∂/∂a = g·sign(a)  (0 at 0 and at NaN, like PyTorch)"""

    op = "abs"

    def forward(self, a):
        self.a = a
        return np.abs(a)

    def backward(self, g):
        a = self.a
        return (g * ((a > 0).astype(g.dtype) - (a < 0)),)  # np.sign(NaN) would be NaN


class Clip(Function):
    """min(max(a, lo), hi);  ∂/∂a = g where lo <= a <= hi (bounds included, as torch.clamp)"""

    op = "clip"

    def __init__(self, lo: float | None, hi: float | None) -> None:
        self.lo, self.hi = lo, hi

    def forward(self, a):
        lo, hi = self.lo, self.hi
        inside = np.ones(a.shape, dtype=bool)
        if lo is not None:
            inside &= a >= lo
        if hi is not None:
            inside &= a <= hi
        self.inside = inside
        return np.clip(a, lo, hi)

    def backward(self, g):
        return (g * self.inside,)


# -- reductions -----------------------------------------------------------------------------
class _Reduction(Function):
    """A reduction over ``axis`` (None: all axes; an int or a tuple), keeping dims or not."""

    def __init__(self, axis, keepdims: bool) -> None:
        self.axis, self.keepdims = axis, keepdims


class _Along(Function):
    """An op along one ``axis``: concatenate, stack, softmax, log_softmax."""

    def __init__(self, axis: int) -> None:
        self.axis = axis


def _expand(g, shape, axis, keepdims):
    """Broadcast a reduced gradient back over the reduced axes of an input of ``shape``."""
    if axis is not None and not keepdims:
        g = np.expand_dims(g, axis)
    return np.broadcast_to(g, shape)


class Sum(_Reduction):
    """Σ a over axis;  ∂/∂a_i = g (broadcast back over the summed axes)"""

    op = "sum"

    def forward(self, a):
        self.shape = a.shape
        return a.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, g):
        return (_expand(g, self.shape, self.axis, self.keepdims),)


class Mean(_Reduction):
    """(1/n) Σ a over axis;  ∂/∂a_i = g/n"""

    op = "mean"

    def forward(self, a):
        self.shape = a.shape
        out = a.mean(axis=self.axis, keepdims=self.keepdims)
        self.n = a.size // max(np.size(out), 1) if a.size else 0
        return out

    def backward(self, g):
        return (_expand(g / self.n, self.shape, self.axis, self.keepdims),)


class Max(_Reduction):
    """max of a over axis;  ∂/∂a_i = g/k for each of the k tied maxima (like torch.amax)"""

    op = "max"
    reduce = staticmethod(np.max)

    def forward(self, a):
        out = self.reduce(a, axis=self.axis, keepdims=self.keepdims)
        self.a, self.out = a, out
        return out

    def backward(self, g):
        a, axis, keepdims = self.a, self.axis, self.keepdims
        hit = a == _expand(self.out, a.shape, axis, keepdims)
        count = np.sum(hit, axis=axis, keepdims=True)
        with _ignore():  # a NaN maximum: no hit, 0/0, NaN gradients (as in PyTorch)
            return (_expand(g, a.shape, axis, keepdims) / count * hit,)


class Min(Max):
    """min of a over axis;  ∂/∂a_i = g/k for each of the k tied minima (like torch.amin)"""

    op = "min"
    reduce = staticmethod(np.min)


# -- shape ----------------------------------------------------------------------------------
class Reshape(Function):
    """a viewed with a new shape;  ∂/∂a = g reshaped back"""

    op = "reshape"

    def __init__(self, shape: tuple) -> None:
        self.shape = shape

    def forward(self, a):
        self.in_shape = a.shape
        return np.reshape(a, self.shape)

    def backward(self, g):
        return (np.reshape(g, self.in_shape),)


class Transpose(Function):
    """a with its axes permuted;  ∂/∂a = g with the inverse permutation"""

    op = "transpose"

    def __init__(self, axes: tuple | None) -> None:
        self.axes = axes

    def forward(self, a):
        return np.transpose(a, self.axes)

    def backward(self, g):
        return (np.transpose(g, None if self.axes is None else np.argsort(self.axes)),)


class GetItem(Function):
    """a[index];  ∂/∂a = zeros with g scattered at index (np.add.at: repeated indices add up)"""

    op = "getitem"

    def __init__(self, index, basic: bool) -> None:
        self.index, self.basic = index, basic

    def forward(self, a):
        self.shape, self.dtype = a.shape, a.dtype
        return a[self.index]

    def backward(self, g):
        grad = np.zeros(self.shape, dtype=self.dtype)
        if self.basic:
            grad[self.index] = g  # slices and ints never repeat an element
        else:
            np.add.at(grad, self.index, g)
        return (grad,)


class Concatenate(_Along):
    """concatenate(ts, axis);  each input gets its slice of g"""

    op = "concatenate"

    def forward(self, *arrays):
        self.splits = np.cumsum([a.shape[self.axis] for a in arrays])[:-1]
        return np.concatenate(arrays, axis=self.axis)

    def backward(self, g):
        return tuple(np.split(g, self.splits, axis=self.axis))


class Stack(_Along):
    """stack(ts, axis);  input i gets g taken at position i of the new axis"""

    op = "stack"

    def forward(self, *arrays):
        return np.stack(arrays, axis=self.axis)

    def backward(self, g):
        return tuple(np.moveaxis(g, self.axis, 0))


class Where(Function):
    """where(cond, a, b);  ∂/∂a = g where cond, ∂/∂b = g elsewhere"""

    op = "where"

    def __init__(self, cond) -> None:
        self.cond = cond

    def forward(self, a, b):
        return np.where(self.cond, a, b)

    def backward(self, g):
        cond = self.cond
        return (np.where(cond, g, 0.0) if self.needs[0] else None,
                np.where(cond, 0.0, g) if self.needs[1] else None)


# -- linear algebra -------------------------------------------------------------------------
class MatMul(Function):
    """a @ b (numpy's rules: 1-D, 2-D, batched);  ∂/∂a = g @ bᵀ, ∂/∂b = aᵀ @ g"""

    op = "matmul"

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.matmul(a, b)

    def backward(self, g):
        a, b = self.a, self.b
        # 1-D operands act as a row (a) or a column (b): promote them, then drop the extra axis
        a1, b1 = a.ndim == 1, b.ndim == 1
        if b1:
            b = b[:, None]
            g = np.expand_dims(g, -1)
        if a1:
            a = a[None, :]
            g = np.expand_dims(g, -2)
        ga = gb = None
        if self.needs[0]:
            ga = np.matmul(g, np.swapaxes(b, -1, -2))
            if a1:
                ga = ga[..., 0, :]
        if self.needs[1]:
            gb = np.matmul(np.swapaxes(a, -1, -2), g)
            if b1:
                gb = gb[..., 0]
        return ga, gb


class Linear(Function):
    """x @ Wᵀ + b in one node (torch.nn.functional.linear);  ∂x = g W, ∂W = gᵀx, ∂b = Σ g

    ∂b is g in the result's shape, summed back to the bias's shape by the engine like any
    broadcast operand, so a bias of shape (out,), (1, out) or (N, out) works.
    """

    op = "linear"

    def forward(self, x, w, b=None):
        self.x, self.w = x, w
        out = np.matmul(x, w.T)
        if b is not None:
            out += b  # out is a fresh array: adding in place saves a temporary
        return out

    def backward(self, g):
        needs = self.needs
        x = self.x
        gx = np.matmul(g, self.w) if needs[0] else None
        if needs[1]:
            if x.ndim == 1:
                gw = np.multiply.outer(g, x)
            else:
                gw = np.matmul(g.reshape(-1, g.shape[-1]).T, x.reshape(-1, x.shape[-1]))
        else:
            gw = None
        if len(needs) == 3:
            return gx, gw, (g if needs[2] else None)
        return gx, gw


# -- normalised exponentials ----------------------------------------------------------------
class Softmax(_Along):
    """s = e^(a − max a)/Σ e^(a − max a);  ∂/∂a = s·(g − Σ g·s)"""

    op = "softmax"

    def forward(self, a):
        e = np.exp(shifted_by_max(a, self.axis))
        self.out = e / np.sum(e, axis=self.axis, keepdims=True)
        return self.out

    def backward(self, g):
        s = self.out
        return (s * (g - np.sum(g * s, axis=self.axis, keepdims=True)),)


class LogSoftmax(_Along):
    """a − max a − ln Σ e^(a − max a);  ∂/∂a = g − softmax(a)·Σ g"""

    op = "log_softmax"

    def forward(self, a):
        shifted = shifted_by_max(a, self.axis)
        out = shifted - np.log(np.sum(np.exp(shifted), axis=self.axis, keepdims=True))
        self.out = out
        return out

    def backward(self, g):
        return (g - np.exp(self.out) * np.sum(g, axis=self.axis, keepdims=True),)


# Display symbol and derivative rule of the Tensor ops that Values do not have (the shared
# names, '+' to 'ReLU', are in engine.OPS); read through engine.op_symbol/op_rule.
TENSOR_OPS: dict[str, tuple[str, str]] = {
    "matmul": ("@", "∂(A@B)/∂A = G@Bᵀ, ∂(A@B)/∂B = Aᵀ@G"),
    "linear": ("linear", "y = x@Wᵀ + b: ∂x = G@W, ∂W = Gᵀ@x, ∂b = Σ_rows G"),
    "mean": ("mean", "∂mean(a)/∂a_i = 1/n"),
    "max": ("max", "∂max(a)/∂a_i = 1/k at the k maxima, else 0"),
    "min": ("min", "∂min(a)/∂a_i = 1/k at the k minima, else 0"),
    "maximum": ("max", "∂max(a,b)/∂a = 1 where a > b (½ at ties)"),
    "reshape": ("reshape", "gradient reshaped back"),
    "transpose": ("ᵀ", "gradient transposed back"),
    "getitem": ("[]", "gradient scattered back to the indexed positions"),
    "concatenate": ("concat", "each input gets its slice of the gradient"),
    "stack": ("stack", "each input gets its slice of the gradient"),
    "clip": ("clip", "∂clip(a)/∂a = 1 inside [lo, hi], else 0"),
    "softmax": ("softmax", "∂s/∂a: s·(g − Σ g·s)"),
    "log_softmax": ("log_softmax", "∂/∂a: g − softmax(a)·Σ g"),
    "where": ("where", "∂/∂a = g where cond, ∂/∂b = g elsewhere"),
    # the single-node losses of _tensor_losses ('bce' is shared with Values)
    "bce_with_logits": ("BCE(σ)", "∂/∂x = σ(x) − t, ∂/∂t = −x"),
    "cross_entropy": ("CE", "∂/∂z_j = softmax_j − [j = y]"),
}
