"""Value: a scalar that remembers how it was computed.

Every operation is an entry of the op table (``core.ops``): its forward value and its local
derivatives, side by side, recorded at forward time: ``out = op(a, b)`` stores
``_prev = (a, b)`` and ``_local = (∂out/∂a, ∂out/∂b)``, computed by the table's rule on
floats; the same rule run on the nodes gives gradients of gradients (``create_graph``).
Backward is then ``parent.grad += local * out.grad`` for every edge; the visualizer's edge
labels, ``explain()`` and the stepper read the same numbers. A node refers only to its
inputs (no closures), so a dropped graph is freed at once by reference counting.

Domain conventions (documented in the README):

- ``a / 0`` raises ZeroDivisionError; ``log(x)`` for x <= 0 and ``sqrt(x)`` for x < 0 raise
  ValueError. NaN and inf are accepted as data and propagate; use ``anomaly()`` to find
  the op that produced them.
- ``a ** b`` with a negative base and a non-integer exponent gives NaN (as PyTorch does),
  never a Python complex number. ``0 ** negative`` gives inf.
- ``exp``, ``tanh``, ``sigmoid``, ``softplus`` are stable at ±1000.
- At kinks PyTorch's conventions: relu'(0) = 0, leaky_relu'(0) = slope, abs'(0) = 0.
"""

from __future__ import annotations

import math
import numbers
from operator import mul
from typing import Any, Iterable, Sequence

from . import autograd
from .autograd import Node, checks, init_leaf, mode
from .autograd import clock as _clock
from . import ops as _ops
from . import tensor as _tensor
from .checks import check_number
from .mathspace import FLOATS, NODES, fpow, fsigmoid

__all__ = ["Value", "vsum", "dot", "dots", "apply_op", "op_symbol", "op_rule"]

_new = object.__new__
_pow = fpow  # IEEE pow on floats, kept under its old name for importers
_sigmoid = fsigmoid
op_symbol = _ops.op_symbol
op_rule = _ops.op_rule
# the local derivative of a selecting one-input op (relu) is a mask, 0 or 1: one tuple each,
# shared by every node, so such a node adds no tuple for the garbage collector to track
_ONE, _ZERO = (1.0,), (0.0,)


def _result(data: float, parents: tuple, local: tuple, op: str, fn: Any = None,
            args: Any = None) -> "Value":
    """A new node ``op(parents) = data`` with ``local[i] = ∂data/∂parents[i]``.

    ``fn`` is the op's table entry and ``args`` its parameters (a tuple in the order of
    ``fn.params``), read when the backward pass
    records a graph of the gradient (``create_graph=True``).
    """
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    out._op = op
    out._hooks = None
    out._pass_grad = 0.0
    out._born = _clock.epoch
    if not checks.grad_off or mode.grad_enabled:  # no thread is in no_grad, or not this one
        out._prev = parents
        out._local = local
        out._fn = fn
        out._args = args
        out.requires_grad = True
    else:
        out._prev = ()
        out._local = ()
        out._fn = None
        out._args = None
        out.requires_grad = False
    if checks.anomaly and not math.isfinite(data):
        autograd.raise_forward_anomaly(op, parents, data)
    return out


def _leaf(x: float) -> "Value":
    """``Value(x)`` for a float ``x`` (a constant operand), without re-checking it."""
    out = init_leaf(_new(Value), x, 0.0, "", True)
    out._local = ()
    out._pass_grad = 0.0
    return out


def _checked(op: _ops.Op, *data: float, **params: Any) -> None:
    """The Value engine's domain check of ``op`` (``log`` of a non-positive number, …)."""
    message = op.check(*data, **params)
    if message is not None:
        raise op.error(message)


def _unary_method(op: _ops.Op) -> Any:
    """The Value method of a one-input op of the table: forward and local derivative."""
    forward, local, name, check = op.forward, op.local, op.name, op.check
    masks = op.selects is True

    def method(self: "Value") -> "Value":
        x = self.data
        if check is not None:
            _checked(op, x)
        out = forward(FLOATS, x)
        d = local(FLOATS, out, x)
        if masks:
            d = _ONE if d[0] == 1.0 else _ZERO if d[0] == 0.0 else d
        return _result(out, (self,), d, name, op)

    method.__name__ = op.name
    method.__doc__ = f"{op.name};  {op.rule}"
    return method


def _binary_method(op: _ops.Op, reflected: bool = False) -> Any:
    """The Value operator of a two-input op; a plain number operand becomes a constant."""
    forward, local, name, check = op.forward, op.local, op.name, op.check

    def method(self: "Value", other: Any) -> "Value":
        if type(other) is not Value:
            other = _as_value(other)
            if other is NotImplemented:
                return other
        x, y = self.data, other.data
        if check is not None:
            _checked(op, x, y)
        out = forward(FLOATS, x, y)
        return _result(out, (self, other), local(FLOATS, out, x, y), name, op)

    def reflected_method(self: "Value", other: Any) -> "Value":  # other op self
        other = _as_value(other)
        return other if other is NotImplemented else method(other, self)

    chosen = reflected_method if reflected else method
    chosen.__doc__ = f"a {op.symbol} b;  {op.rule}"
    return chosen


class Value(Node):
    """A scalar node of the computation graph.

    ``Value(data, _children=(), _op='', label='')`` is micrograd's constructor, so code
    written for micrograd runs unchanged. ``data`` is a float, ``grad`` starts at 0.0 and
    accumulates over ``backward()`` calls (as in PyTorch); ``zero_grad()`` starts afresh.
    Its operations are the Value entries of the op table (``micrograd_plus.core.ops``).
    """

    # _pass_grad: scratch space of autograd.run_backward (this pass's gradient);
    # _fn, _args: the op's table entry and parameters, for gradients of gradients
    # _born, _modified: ticks of autograd's clock of in-place changes (see mark_modified)
    __slots__ = ("data", "grad", "label", "_op", "_prev", "_local", "requires_grad", "_hooks",
                 "_pass_grad", "_fn", "_args", "_born", "_modified", "__weakref__")
    _cleared_grad = 0.0  # what zero_grad() leaves in .grad
    _kind = "value"

    def __init__(
        self,
        data: float,
        _children: Iterable["Value"] = (),
        _op: str = "",
        label: str = "",
        requires_grad: bool = True,
    ) -> None:
        init_leaf(self, check_number(data, "Value data"), 0.0, label, bool(requires_grad))
        self._prev = tuple(_children)
        for child in self._prev:
            if not isinstance(child, Value):
                raise TypeError(f"Value _children must be Values, got {type(child).__name__}")
        self._op = _op
        # micrograd-style hand-built nodes carry no derivative rule; backward reports that
        self._local = None if self._prev else ()
        self._pass_grad = 0.0

    # results are made in one place, the module's _result; node makers elsewhere call it as
    # Value._result
    _result = staticmethod(_result)

    # -- autograd protocol ----------------------------------------------------------------
    def _no_rule(self) -> RuntimeError:
        return RuntimeError(
            f"node {autograd.describe(self)} was built by hand with "
            f"Value(data, _children, _op='{self._op}') and has no derivative rule; "
            "build it from Value operations instead"
        )

    def _vjp(self, g: float) -> list:
        """Each parent's contribution ``local·g``; 0 through a selecting op's zero derivative."""
        local = self._local
        if local is None:
            raise self._no_rule()
        if g - g != 0.0 and self._fn is not None and self._fn.selects_for(self._params()):
            return [0.0 if d == 0.0 else d * g for d in local]  # g is inf or NaN
        return [d * g for d in local]

    def _vjp_graph(self, g: Any) -> list:
        """The contributions as nodes: the op's local rule run on the nodes themselves."""
        op = self._fn
        if op is None:
            raise self._no_rule()
        args = self._params()
        local = op.local(NODES, self, *self._prev, **args)
        autograd.check_unchanged(self, [getattr(d, "data", d) for d in local], self._local)
        selects = op.selects_for(args)
        parents = self._prev
        return [autograd.times(g, d, selects, d is not self and d not in parents)
                for d in local]

    def _params(self) -> dict:
        """The op's parameters by name (stored as a tuple in the order of ``Op.params``)."""
        args = self._args
        return dict(zip(self._fn.params, args)) if args else {}

    def _store_grad(self, g: Any) -> None:
        grad = self.grad
        if type(g) is not float and type(grad) is float and grad == 0.0:
            self.grad = g  # a gradient node (create_graph): stored as it is, as in PyTorch
        else:
            self.grad = grad + g

    def _default_seed(self) -> float:
        return 1.0

    def _seed_from(self, g: Any) -> Any:
        return g if isinstance(g, Value) else check_number(g, "grad_outputs entry")

    def _as_grad(self, g: Any) -> Any:
        return g

    def _backward(self) -> None:
        """micrograd's by-hand step: add ``local · self.grad`` into each child's ``.grad``.

        The lecture calls ``o._backward()`` node by node from the output; ``backward()``
        does the same for every node in topological order.
        """
        local = self._local
        if local is None:
            raise self._no_rule()
        g = self.grad
        for parent, d in zip(self._prev, local):
            parent.grad += d * g

    def backward(self, grad: float = 1.0, create_graph: bool = False) -> None:
        """Reverse-mode autodiff from this node, seeded with ``grad`` (∂self/∂self = 1).

        Gradients accumulate into ``.grad`` of every node reached, leaves and intermediates:
        a node used k times gets the sum of its k contributions, and calling ``backward()``
        twice doubles every gradient. Call ``zero_grad()`` (or ``model.zero_grad()``) to
        start fresh. With ``create_graph=True`` the gradients are Values with a graph of
        their own, so they can be differentiated again (as in PyTorch).
        """
        autograd.check_requires_grad(self)
        seed = check_number(grad, "backward() seed gradient")
        recorder = _tensor.recorder  # micrograd_plus.trace is recording a step
        if recorder is not None:
            recorder.value_backward(self, seed, create_graph)
        autograd.run_backward(self, seed, create_graph=create_graph)
        if recorder is not None:
            recorder.after_value_backward()

    def detach(self) -> "Value":
        """A new leaf with the same data that records no graph (``requires_grad=False``)."""
        return Value(self.data, label=self.label, requires_grad=False)

    @property
    def local_grads(self) -> tuple:
        """``(∂self/∂parent for parent in self._prev)``, recorded at forward time."""
        return tuple(self._local or ())

    def item(self) -> float:
        if _tensor.recorder is not None:  # a traced step would freeze the number read
            _tensor.recorder.untraceable("a read of a Value's number (.item(), float())")
        return self.data

    __float__ = item

    # -- operations: generated from the op table ------------------------------------------
    __add__ = _binary_method(_ops.ADD)
    __radd__ = __add__  # micrograd's order: the Value first, then the number
    __sub__ = _binary_method(_ops.SUB)
    __rsub__ = _binary_method(_ops.SUB, reflected=True)
    __mul__ = _binary_method(_ops.MUL)
    __rmul__ = __mul__
    __truediv__ = _binary_method(_ops.DIV)
    __rtruediv__ = _binary_method(_ops.DIV, reflected=True)

    @staticmethod
    def _ieee_div(a: Any, b: "Value") -> "Value":
        """The node a / b with IEEE ±inf/NaN where ``/`` raises ZeroDivisionError (b = 0);
        rules of a gradient's graph use it (√'s derivative 0.5/√a at a = 0 is inf)."""
        a = _as_value(a)
        out = FLOATS.div(a.data, b.data)
        op = _ops.DIV
        return _result(out, (a, b), op.local(FLOATS, out, a.data, b.data), op.name, op)
    __rpow__ = _binary_method(_ops.POW, reflected=True)
    _pow_value = _binary_method(_ops.POW)

    def __pow__(self, other: Any) -> "Value":
        """a ** b;  ∂/∂a = b·a^(b−1), ∂/∂b = a^b·ln a (0 where a = 0 and b >= 0, like PyTorch)"""
        if isinstance(other, Value):
            return self._pow_value(other)
        if isinstance(other, bool) or not isinstance(other, numbers.Real):
            return NotImplemented
        op = _ops.POWK
        k = float(other)
        x = self.data
        out = op.forward(FLOATS, x, k)
        return _result(out, (self,), op.local(FLOATS, out, x, k), f"**{other}", op, (k,))

    __neg__ = _unary_method(_ops.NEG)
    __abs__ = _unary_method(_ops.ABS)
    # exp, log, sqrt, tanh, sigmoid, relu, softplus, sin, cos, abs: added below from the table

    def __pos__(self) -> "Value":
        return self

    def leaky_relu(self, slope: float = 0.01) -> "Value":
        """x if x > 0 else slope·x;  d/dx = 1 if x > 0 else slope"""
        slope = check_number(slope, "leaky_relu slope")
        op = _ops.LEAKY_RELU
        x = self.data
        out = op.forward(FLOATS, x, slope)
        return _result(out, (self,), op.local(FLOATS, out, x, slope), op.name, op, (slope,))

    # -- display --------------------------------------------------------------------------
    def __repr__(self) -> str:
        label = f"label={self.label!r}, " if self.label else ""
        return f"Value({label}data={self.data}, grad={self.grad})"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict:
        """Jupyter shows a Value as its computation graph (needs the graphviz package)."""
        return Node.drawing(self)._repr_mimebundle_(include=include, exclude=exclude)


def _as_value(x: Any) -> Any:
    if isinstance(x, Value):
        return x
    if type(x) is float:
        return _leaf(x)
    if type(x) is int:
        return _leaf(float(x))
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return Value(float(x))
    return NotImplemented


def apply_op(op: _ops.Op, inputs: Sequence[Any], params: dict | None = None) -> Value:
    """The node ``op(inputs)`` of a declared op, its forward and local derivatives run on the
    inputs' numbers; a plain number becomes a constant parent (drawn, never differentiated)."""
    parents = tuple(x if isinstance(x, Value)
                    else Value(check_number(x, f"{op.name} input"), requires_grad=False)
                    for x in inputs)
    datas = [p.data for p in parents]
    params = params or {}
    out = op.forward(FLOATS, *datas, **params)
    args = tuple(params[name] for name in op.params) or None
    return _result(out, parents, op.local(FLOATS, out, *datas, **params), op.name, op, args)


def vsum(values: Sequence[Any]) -> Value:
    """Σ v_i as one node;  ∂/∂v_i = 1.  Plain numbers are constants, not graph nodes.

    With constants among the terms the node keeps them in order (None where a parent
    goes): ``_args = (terms,)``, so the sum can be computed again as it was (trace)."""
    parents = []
    terms = []
    total = 0.0
    for v in values:
        if isinstance(v, Value):
            parents.append(v)
            terms.append(None)
            total += v.data
        else:
            c = check_number(v, "vsum element")
            terms.append(c)
            total += c
    args = (tuple(terms),) if len(terms) != len(parents) else None
    return _result(total, tuple(parents), (1.0,) * len(parents), "sum", _ops.VSUM, args)


def dot(ws: Sequence[Any], xs: Sequence[Any], bias: Any = None) -> Value:
    """Σ w_i·x_i (+ b) as one node;  ∂/∂w_i = x_i, ∂/∂x_i = w_i, ∂/∂b = 1.

    Either side may hold plain numbers (constants such as input data); only Values become
    parents, so a neuron's pre-activation is a single node with nin (or 2·nin) edges. With
    ``bias`` (a Value, or a number taken as a constant) the node is a whole neuron's
    ``w·x + b``: parents w_1, x_1, …, w_n, x_n, then b last, with local derivative 1.
    """
    return dots((ws,), xs, (bias,))[0]


def dots(rows: Sequence[Sequence[Any]], xs: Sequence[Any], biases: Sequence[Any],
         then: _ops.Op | None = None) -> list:
    """``[dot(w, xs, b) for w, b in zip(rows, biases)]``, a layer's W·x + b: one node per
    row, the inputs ``xs`` (shared by every row) read and checked once. With ``then`` (a
    one-input op of the table that Values have as a method, such as ``ops.RELU``) each dot
    node is followed by its activation node, ``then(dot(w, xs, b))``, made in the same loop.

    The hot spot of training. Value weights times Values or floats, checked by exact type,
    take lists built by C loops (not one edge at a time); anything else (constant weights,
    ints, numpy numbers, a constant bias) takes the general path.
    """
    n = len(xs)
    xd = [x.data for x in xs if x.__class__ is Value]
    interleaved = n > 0 and len(xd) == n  # parents w_1, x_1, w_2, x_2, …
    if not interleaved:  # constants (parents w_1, …, w_n), or a mix for the general path
        xd = xs if list(map(type, xs)).count(float) == n else None
    n2 = 2 * n
    if interleaved:  # what every row shares, in place: the x_i among the parents (w_i, x_i
        # pairs, then the bias), their data among the local derivatives (x_i, w_i pairs, then
        # the bias's 1); a row fills in its own and takes a tuple of each
        shared = [[None] * (n2 + 1), [1.0] * (n2 + 1)]
        shared[0][1:n2:2] = xs
        shared[1][0:n2:2] = xd
        row_parents, row_local = shared
    elif xd is not None:  # constants: every row's local derivatives are the x_i (then the
        shared = [tuple(xd), (*xd, 1.0)]  # bias's 1), one tuple for the layer
    activate = None if then is None else getattr(Value, then.method)  # the op's method
    nodes = []
    for ws, bias in zip(rows, biases):
        if len(ws) != n:
            raise ValueError(f"dot: length mismatch, {len(ws)} weights vs {n} inputs")
        wd = [w.data for w in ws if w.__class__ is Value]
        if xd is None or len(wd) != n or (bias is not None and bias.__class__ is not Value):
            z = _dot_general(ws, xs, bias)
            nodes.append(z if activate is None else activate(z))
            continue
        # left to right, as a loop of += would (Python >= 3.12's sum() also compensates
        # rounding: as accurate or more, at times a last bit apart)
        total = sum(map(mul, wd, xd), 0.0)
        if interleaved:
            row_parents[0:n2:2] = ws
            row_local[1:n2:2] = wd
            if bias is None:
                parents, local = tuple(row_parents[:n2]), tuple(row_local[:n2])
            else:
                row_parents[n2] = bias
                parents, local = tuple(row_parents), tuple(row_local)
            pairing = DOT_INTERLEAVED
        elif bias is None:  # parents w_1, …, w_n
            parents, local, pairing = tuple(ws), shared[0], DOT_CONSTANTS
        else:
            parents, local, pairing = (*ws, bias), shared[1], DOT_CONSTANTS
        if bias is not None:
            total += bias.data
        z = _result(total, parents, local, "dot", _DOT, pairing)
        nodes.append(z if activate is None else activate(z))
    return nodes


def _dot_general(ws: Sequence[Any], xs: Sequence[Any], bias: Any = None) -> Value:
    """dot for any mix of Values and plain numbers, checking every number."""
    parents: list = []
    local: list = []
    partners: list = []  # the index of each parent's partner, −1 for a constant
    total = 0.0
    for w, x in zip(ws, xs):
        if isinstance(w, Value):
            wd = w.data
            if isinstance(x, Value):
                xd = x.data
                k = len(parents)
                parents += (w, x)
                local += (xd, wd)
                partners += (k + 1, k)
            else:
                xd = check_number(x, "dot input")
                parents.append(w)
                local.append(xd)
                partners.append(-1)
        else:
            wd = check_number(w, "dot weight")
            if isinstance(x, Value):
                xd = x.data
                parents.append(x)
                local.append(wd)
                partners.append(-1)
            else:
                xd = check_number(x, "dot input")
        total += wd * xd
    if isinstance(bias, Value):
        parents.append(bias)
        local.append(1.0)
        partners.append(-1)
        total += bias.data
    elif bias is not None:
        total += check_number(bias, "dot bias")
    return _result(total, tuple(parents), tuple(local), "dot", _ops.DOT, (tuple(partners),))


# a dot node's pairing of parents (see core.ops._dot_partners), shared by every node
DOT_CONSTANTS = (None,)
DOT_INTERLEAVED = ("interleaved",)
_DOT = _ops.DOT


def _attach(op: _ops.Op) -> None:
    """Give Value the method of a one-input op of the table: x.exp(), x.tanh(), ..."""
    if "value" in op.kinds:
        setattr(Value, op.method, _unary_method(op))


_ops.on_declare(_attach)

autograd.register_scalar_type(Value)
