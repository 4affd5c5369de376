"""Traced Value steps: a recorded scalar graph replayed as straight-line float code.

The Value engine's share of ``trace``. A Value step builds thousands of nodes, sorts them
and walks them back on every call; its numbers are all that change. After two recorded
calls with the same graph, the second graph is written out as one Python function on
floats, each node a local variable:

- forward: each node's value by its op's ``forward`` rule from the op table, run on
  :class:`Sym` stand-ins that write the expression instead of computing it (``relu``'s
  ``m.relu(a)`` becomes ``F_relu(v12)``); a neuron's ``dot`` becomes
  ``SUM(MAP(MUL, (w…), (x…)), 0.0) + b``, the call the eager engine makes; a ``vsum`` a
  left fold ``REDUCE(ADD, (…), 0.0)``, the eager loop's order;
- backward: autograd's ``_scalar_pass`` spelt out in the order it walks this graph,
  ``g_parent = g_parent + ∂node/∂parent · g_node`` per edge, the local derivative by the
  op's ``local`` rule on stand-ins (a selecting op sends 0 where its derivative is 0);
- the function returns the parameters' gradients and the step's results; the replay
  stores the gradients in ``.grad`` (replacing what a parameter held where the second
  recorded call saw the step zero it, adding to it where the step left it alone, as
  ``backward()`` does) and runs the recorded optimizers' ``step()`` as they are (so a
  learning-rate schedule needs no new record).

Before it is used, the compiled function is run on the recorded call's numbers and must
give every node's value and gradient of that call exactly (NaN equal to NaN); anything
it cannot reproduce makes the step untraceable rather than wrong.

What a Value step may do: build Values from its list arguments (nested lists of numbers or
of Values that do not require grad; they become new input Values on each recorded call),
from parameters made before the call and from constants; one ``backward()``; optimizer
steps after it. Refused (``TraceError``): a parameter changed inside the step by hand
(``p.data -= lr * p.grad``: use ``optim.SGD``) or before its ``backward()``, a ``.grad`` set
to anything but 0, hooks, ``create_graph``, a second ``backward()``, ops under ``no_grad``,
nodes made after an optimizer step, Tensor ops in the same step, a ``dot`` mixing Values
and constants, a number among the results (return the Value), two recorded calls whose
graphs differ (a branch on data, a constant computed from data), ``float(v)`` or
``v.item()`` of a Value. As with ``jax.jit``, Python code in the step runs only while
recording: a number read from ``.data`` (which cannot be seen) and a branch on data that
takes the same way on both recorded calls are frozen.
"""

from __future__ import annotations

import math
import numbers
from functools import reduce
from operator import add, attrgetter, mul
from types import SimpleNamespace
from typing import Any

from .. import autograd, ops as _ops
from ..mathspace import FLOATS
from ..value import DOT_CONSTANTS, DOT_INTERLEAVED, Value
from . import results
from .standins import Unsupported

__all__ = ["Sym", "SOURCE", "Graph", "ScalarCompiled", "value_args", "flatten", "values_in",
           "difference", "template", "rebuild", "compile_step"]

_DATA = attrgetter("data")
_NEEDS = attrgetter("requires_grad")
_HOOKS = attrgetter("_hooks")
MAX_NODES = 20_000  # larger graphs are not compiled (~2 s and ~0.7 GB of compiling)


# -- expressions -------------------------------------------------------------------------
def _src(x: Any) -> str:
    """A number or a :class:`Sym` as Python source."""
    if isinstance(x, Sym):
        return x.src
    if isinstance(x, bool) or x is None:
        return repr(x)
    if isinstance(x, int):
        return f"({x!r})" if x < 0 else repr(x)
    if isinstance(x, float):
        if math.isnan(x):
            return "NAN"
        if math.isinf(x):
            return "INF" if x > 0 else "(-INF)"
        return f"({x!r})" if math.copysign(1.0, x) < 0 else repr(x)
    raise Unsupported(f"a constant of type {type(x).__name__} in a rule")


class Sym:
    """A float of the generated code: the expression that computes it. The op table's rules
    run on these (with :data:`SOURCE` as their ``m``) write that code."""

    __slots__ = ("src",)

    def __init__(self, src: str) -> None:
        self.src = src

    def __bool__(self) -> bool:
        raise Unsupported("a rule that branches on a number")

    def __neg__(self) -> "Sym":
        return Sym(f"(-{self.src})")

    def __pos__(self) -> "Sym":
        return self

    def __abs__(self) -> "Sym":
        return Sym(f"abs({self.src})")

    __hash__ = object.__hash__


def _binary(symbol: str) -> tuple:
    def forward(a: Any, b: Any) -> Sym:
        return Sym(f"({_src(a)} {symbol} {_src(b)})")

    def reflected(a: Any, b: Any) -> Sym:
        return Sym(f"({_src(b)} {symbol} {_src(a)})")
    return forward, reflected


for _name, _symbol in (("add", "+"), ("sub", "-"), ("mul", "*"), ("truediv", "/"),
                       ("pow", "**"), ("and", "&"), ("or", "|")):
    _f, _r = _binary(_symbol)
    setattr(Sym, f"__{_name}__", _f)
    setattr(Sym, f"__r{_name}__", _r)
for _name, _symbol in (("lt", "<"), ("le", "<="), ("gt", ">"), ("ge", ">="), ("eq", "=="),
                       ("ne", "!=")):
    setattr(Sym, f"__{_name}__", _binary(_symbol)[0])


def _call(name: str) -> Any:
    def f(*args: Any) -> Sym:
        return Sym(f"F_{name}({', '.join(map(_src, args))})")
    return f


SOURCE = SimpleNamespace(**{name: _call(name) for name in vars(FLOATS) if name != "name"})
"""The op table's ``m`` for writing code: each FLOATS function a call of itself (bound in
the compiled function's globals as ``F_<name>``), the cheap ones spelt out."""
SOURCE.name = "source"
SOURCE.raw = lambda x: x
SOURCE.where = lambda c, x, y: Sym(f"({_src(x)} if {_src(c)} else {_src(y)})")
SOURCE.mask = lambda c: Sym(f"(0.0 + {_src(c)})")  # FLOATS.mask is (0.0).__add__
SOURCE.unless = lambda c: Sym(f"(1.0 - {_src(c)})")  # FLOATS.unless is (1.0).__sub__

_SCOPE = {f"F_{name}": f for name, f in vars(FLOATS).items() if name != "name"}
_SCOPE.update(SUM=sum, MAP=map, MUL=mul, REDUCE=reduce, ADD=add, NAN=math.nan, INF=math.inf,
              F=FLOATS)


# -- arguments ---------------------------------------------------------------------------
def value_args(arg: list, inputs: list) -> list:
    """A list argument for a recording call: every number (or Value that does not require
    grad) replaced by a new input Value, appended to ``inputs`` in :func:`flatten`'s order."""
    out: list = []
    stack = [(arg, out)]
    while stack:
        src, dst = stack.pop()
        for x in src:
            if isinstance(x, list):
                sub: list = []
                dst.append(sub)
                stack.append((x, sub))
            else:
                v = Value(_number(x), requires_grad=False)
                inputs.append(v)
                dst.append(v)
    return out


def flatten(arg: list, flat: list) -> tuple:
    """The nesting of a list argument, for the cache key: for each list, in the order they
    are read, a string with 'L' for a list element and 'n' for a number. Its numbers are
    appended to ``flat`` in the order :func:`value_args` makes inputs of them."""
    shape: list = []
    stack = [arg]
    while stack:
        kinds = []
        for x in stack.pop():
            if isinstance(x, list):
                kinds.append("L")
                stack.append(x)
            else:
                kinds.append("n")
                flat.append(_number(x))
        shape.append("".join(kinds))
    return tuple(shape)


def _number(x: Any) -> float:
    if type(x) is float:
        return x
    if isinstance(x, Value):
        if x.requires_grad:
            raise Unsupported("a Value that requires grad in a list argument (inputs of a "
                              "traced step do not get gradients: pass numbers)")
        return x.data
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise Unsupported(f"a {type(x).__name__} in a list argument (a traced Value step "
                          "takes nested lists of numbers)")
    return float(x)


# -- the recorded graph ------------------------------------------------------------------
class Graph:
    """One record's Value graph, each node classified: an input (made from an argument), an
    external node (made before the call: a parameter), a constant (a leaf made in the call)
    or an op of the table."""

    def __init__(self, rec: Any, result: Any) -> None:
        self.rec = rec
        roots = [rec.value.root] if rec.value.root is not None else []
        self.results = values_in(result)
        # every node the call made before its optimizer steps, used or not (eagerly a
        # domain error of an unused one is raised all the same), in the order it made them
        # (so of two errors the replay raises the one the call met first)
        made = [n for n in rec.value.made if n._prev and n._born <= rec.value.pass_epoch]
        self.nodes = autograd.reading_order(roots + self.results + made,
                                            requiring_grad=False)
        if len(self.nodes) > MAX_NODES:
            raise Unsupported(f"a graph of {len(self.nodes)} nodes (more than {MAX_NODES})")
        rank = {id(n): k for k, n in enumerate(rec.value.made)}
        if any(n._prev and n._fn is not None and id(n) not in rank
               for n in self.nodes if n._born >= rec.epoch):
            raise Unsupported("a Value made by another thread during the call")
        self.nodes.sort(key=lambda n: rank.get(id(n), -1))  # leaves first, as they were
        self.index = {id(n): k for k, n in enumerate(self.nodes)}
        inputs = {id(v): i for i, v in enumerate(rec.value.inputs)}
        self.kinds: list = []
        for n in self.nodes:
            if id(n) in inputs:
                self.kinds.append(("in", inputs[id(n)]))
            elif n._born < rec.epoch:
                if n._prev:
                    raise Unsupported(f"a Value computed before the call "
                                      f"({autograd.describe(n)}) used in it (only leaves made "
                                      "before the call, such as parameters, can be)")
                _unchanged_before_backward(n, rec)
                self.kinds.append(("ext", id(n)))
            elif n._born > rec.value.pass_epoch:
                raise Unsupported(f"a Value made after an optimizer step "
                                  f"({autograd.describe(n)})")
            elif not n._prev:
                if n._op:
                    raise Unsupported(f"an op under no_grad ('{n._op}', "
                                      f"{autograd.describe(n)})")
                self.kinds.append(("const", n.data, n.requires_grad))
            else:
                if n._fn is None or n._local is None:
                    raise Unsupported(f"a node built by hand ({autograd.describe(n)})")
                if n._hooks:
                    raise Unsupported(f"a hook on {autograd.describe(n)}")
                args = n._args
                if n._fn is _ops.DOT and args != DOT_INTERLEAVED and args != DOT_CONSTANTS:
                    raise Unsupported("a dot of Values mixed with constants (make both "
                                      "sides Values, or the inputs all plain numbers)")
                consts = n._local if args == DOT_CONSTANTS else None
                self.kinds.append(("op", n._fn.key, args, consts, n.requires_grad,
                                   tuple(self.index[id(p)] for p in n._prev)))

    def signature(self) -> list:
        """The graph and the step's events with nodes named by position, to compare the
        two recorded calls."""
        rec = self.rec
        sig: list = list(self.kinds)
        if rec.value.root is not None:
            sig.append(("backward", self.index[id(rec.value.root)], rec.value.seed))
        sig.append(("steps", tuple(id(opt) for opt in rec.value.steps)))
        sig.append(("results", tuple(self.index[id(r)] for r in self.results)))
        return sig


def _unchanged_before_backward(p: Any, rec: Any) -> None:
    """Refuse a parameter changed inside the step before its backward pass (by
    ``set_weights``, ``load_state_dict`` or by hand): a replay would not change it."""
    modified = getattr(p, "_modified", -1)
    now = rec.value.snapshot.get(id(p), p.data)
    start = rec.value.start_data.get(id(p), now)
    if rec.epoch < modified <= rec.value.pass_epoch or not _same(start, now):
        raise Unsupported(f"a change of {autograd.describe(p)} inside the step before "
                          "its backward() (change parameters outside the traced step)")


def difference(a: list, b: list) -> str | None:
    """Where two recorded Value graphs part, in words (None when they are the same)."""
    for k, (x, y) in enumerate(zip(a, b)):
        if _equal(x, y):
            continue
        if x[0] == y[0] == "const":
            return (f"the constant {x[1]!r} of one call is {y[1]!r} on the other (a number "
                    "computed in Python inside the step, such as Value(x.data) or a float "
                    "from data: pass data as list arguments)")
        if x[0] == y[0] == "op" and x[1] == y[1]:
            return (f"node {k} ('{x[1]}') has other inputs or constants on the two calls "
                    "(Python control flow on data, or numbers computed in Python?)")
        return (f"node {k} is {_kind_words(x)} on one call and {_kind_words(y)} on the "
                "other (Python control flow on data?)")
    if len(a) == len(b):
        return None
    return (f"the calls made graphs of {len(a)} and {len(b)} entries (Python control flow "
            "on data?)")


def _equal(a: Any, b: Any) -> bool:
    """Equal entries of two signatures, NaN equal to NaN."""
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(map(_equal, a, b))
    return type(a) is type(b) and _same(a, b)


def _kind_words(x: tuple) -> str:
    return {"in": "an input", "ext": "a parameter", "const": "a constant",
            "op": f"op '{x[1]}'"}.get(x[0], x[0])


def values_in(result: Any) -> list:
    """The Values of a step's return value, in reading order (its template's slots)."""
    out: list = []
    stack = [result]
    while stack:
        x = stack.pop()
        if isinstance(x, Value):
            out.append(x)
        elif isinstance(x, (tuple, list)):
            stack.extend(reversed(x))
        elif isinstance(x, dict):
            stack.extend(reversed(list(x.values())))
    return out


def template(result: Any, epoch: int) -> Any:
    """The step's return value with each Value replaced by its output slot (slots in the
    order :func:`values_in` finds them); a leaf made before the call is returned itself."""
    count = [0]

    def slot(x: Any) -> tuple:
        count[0] += 1
        return ("const", x) if x._born < epoch and not x._prev else ("t", count[0] - 1)
    return results.template(result, Value, slot)


def rebuild(template: Any, outs: tuple) -> Any:
    """A replay's return value: each Value a new leaf holding its number."""
    return results.rebuild(template, outs, _new_leaf)


def _new_leaf(x: float) -> Value:
    return Value(x, requires_grad=False)


# -- the compiled step -------------------------------------------------------------------
class ScalarCompiled:
    """One compiled Value step: the function, the nodes it reads and writes, the optimizers
    it steps. ``source`` is the function's Python source."""

    def __init__(self) -> None:
        self.externals: list = []  # leaves made before the call, read on every replay
        self.flags: tuple = ()  # their requires_grad when compiled
        self.grad_leaves: list = []  # the leaves whose .grad the function returns
        self.setting: list = []  # for each: True when the step zeroes it first (replace)
        self.zeroed: list = []  # optimizer parameters the graph does not reach: .grad = 0
        self.unsure: list = []  # parameters whose .grad must be 0 for this replay to hold
        self.zero_after: list = []  # parameters the step zeroes after its optimizer steps
        self.optimizers: list = []  # (optimizer, its parameter count), stepped in order
        self.template: Any = None
        self.run: Any = None
        self.source = ""

    def stale(self) -> bool:
        """Something the function was compiled for has changed (then record again)."""
        return (tuple(map(_NEEDS, self.externals)) != self.flags
                or any(map(_HOOKS, self.grad_leaves))
                or any(p.grad != 0.0 for p in self.unsure)
                or any(sum(len(g["params"]) for g in opt.param_groups) != n
                       for opt, n in self.optimizers))

    def replay(self, flat: list) -> Any:
        grads, outs = self.run(list(map(_DATA, self.externals)), flat)
        for p, g, replace in zip(self.grad_leaves, grads, self.setting):
            p.grad = g if replace else p.grad + g  # backward's grad += g after zero_grad
        for p in self.zeroed:
            p.grad = 0.0
        for opt, _ in self.optimizers:
            opt.step()
        for p in self.zero_after:
            p.grad = 0.0
        return outs


class _Writer:
    """Writes the function of one graph: forward lines, backward lines, its scope."""

    def __init__(self, graph: Graph) -> None:
        self.g = graph
        self.scope = dict(_SCOPE)
        self.lines: list = []
        self.tuples: dict = {}  # the source of a tuple of variables -> its name
        self.names: list = []  # each node's value as source (a variable or a constant)

    def constant(self, value: Any) -> str:
        name = f"K{len(self.scope)}"
        self.scope[name] = value
        return name

    def tuple_of(self, names: list) -> str:
        """A tuple of variables, made once and named (a neuron's weights are made once per
        replay, a layer's activations once per sample)."""
        src = f"({', '.join(names)},)"
        name = self.tuples.get(src)
        if name is None:
            name = self.tuples[src] = f"T{len(self.tuples)}"
            self.lines.append(f"    {name} = {src}")
        return name

    def forward(self) -> None:
        g = self.g
        externals = []
        for k, (n, kind) in enumerate(zip(g.nodes, g.kinds)):
            if kind[0] == "ext":
                self.names.append(f"e{len(externals)}")
                externals.append(n)
            elif kind[0] == "in":
                self.names.append(f"i{kind[1]}")
            elif kind[0] == "const":
                self.names.append(_src(n.data))
            else:
                self.names.append(f"v{k}")
                self.check(n)
                self.lines.append(f"    v{k} = {self.value_of(n)}")
        self.externals = externals
        self.n_inputs = len(g.rec.value.inputs)

    def parents(self, n: Any) -> list:
        index, names = self.g.index, self.names
        return [names[index[id(p)]] for p in n._prev]

    def value_of(self, n: Any) -> str:
        op, ps = n._fn, self.parents(n)
        if op is _ops.DOT:
            if n._args == DOT_INTERLEAVED:  # parents w_1, x_1, …, w_m, x_m [, b]
                m = len(ps) // 2
                ws, xs = self.tuple_of(ps[0:2 * m:2]), self.tuple_of(ps[1:2 * m:2])
                bias = f" + {ps[-1]}" if len(ps) % 2 else ""
                return f"SUM(MAP(MUL, {ws}, {xs}), 0.0){bias}"
            # constants: parents w_1, …, w_n [, b], their local derivatives x_1, …, x_n
            # [, 1]; a bias's b·1 ends the same left-to-right sum as the eager + b
            consts = self.constant(tuple(n._local))
            return f"SUM(MAP(MUL, {self.tuple_of(ps)}, {consts}), 0.0)"
        if op is _ops.VSUM:  # with its constant terms where they were (vsum's _args)
            parents = iter(ps)
            terms = ([next(parents) if c is None else _src(c) for c in n._args[0]]
                     if n._args else ps)
            return f"REDUCE(ADD, {self.tuple_of(terms)}, 0.0)" if terms else "0.0"
        params = n._params()
        try:
            return _src(op.forward(SOURCE, *map(Sym, ps), **params))
        except Exception:
            return f"{self.constant(op)}.forward(F, {', '.join(ps)}{self.keywords(params)})"

    def keywords(self, params: dict) -> str:
        return "".join(f", {k}={self.constant(v)}" for k, v in params.items())

    def check(self, n: Any) -> None:
        op = n._fn
        if op.check is None or op is _ops.DOT or op is _ops.VSUM:
            return
        ps = ", ".join(self.parents(n))
        kw = self.keywords(n._params())
        self.lines.append(f"    if {self.constant(op.check)}({ps}{kw}) is not None: "
                          f"FAIL({self.constant(op)}, ({ps},), {self.constant(n._params())})")

    def backward(self) -> list:
        """The backward lines; returns the leaves whose gradients the function returns."""
        g = self.g
        rec = g.rec
        order = rec.value.order
        index = g.index
        lines = self.lines
        root = rec.value.root
        gname = {id(n): f"g{index[id(n)]}" for n in order}
        started: set = set()
        lines.append(f"    g{index[id(root)]} = {_src(rec.value.seed)}")
        started.add(id(root))
        for n in reversed(order):
            if not n._prev:
                continue
            gn = gname[id(n)]
            op = n._fn
            selects = op.selects_for(n._params())
            locals_ = self.locals_of(n)
            for p, d in zip(n._prev, locals_):
                gp = gname.get(id(p))
                if gp is None:  # does not require grad
                    continue
                if d == "1.0":
                    term = gn
                elif selects:
                    term = f"(D * {gn} if (D := {d}) else 0.0)"
                else:
                    term = f"{d} * {gn}"
                if id(p) in started:
                    lines.append(f"    {gp} = {gp} + {term}")
                else:
                    started.add(id(p))
                    lines.append(f"    {gp} = 0.0 + {term}")
        return [n for n in order if g.kinds[index[id(n)]][0] == "ext"]

    def locals_of(self, n: Any) -> list:
        """∂n/∂parent_i as source, one per parent."""
        op, ps = n._fn, self.parents(n)
        k = self.g.index[id(n)]
        if op is _ops.DOT:
            if n._args == DOT_INTERLEAVED:
                out = []
                for i in range(0, len(ps) - 1, 2):
                    out += [ps[i + 1], ps[i]]
                return out + (["1.0"] if len(ps) % 2 else [])
            return [_src(d) for d in n._local]
        if op is _ops.VSUM:
            return ["1.0"] * len(ps)
        params = n._params()
        try:
            got = op.local(SOURCE, Sym(f"v{k}"), *map(Sym, ps), **params)
            return [_src(d) for d in got]
        except Exception:
            name = f"L{k}"
            self.lines.append(f"    {name} = {self.constant(op)}.local(F, v{k}, "
                              f"{', '.join(ps)}{self.keywords(params)})")
            return [f"{name}[{i}]" for i in range(len(ps))]


def _fail(op: Any, datas: tuple, params: dict) -> None:
    raise op.error(op.check(*datas, **params))


def compile_step(graph: Graph, template: Any) -> ScalarCompiled:
    """The compiled function of a record's graph (the second call's), checked against it."""
    rec = graph.rec
    stepped = {id(p) for opt in rec.value.steps for grp in opt.param_groups
               for p in grp["params"]}
    params = rec.value.parameters()
    for p in params:
        if id(p) not in graph.index:  # (the graph's own were checked as it was read)
            _unchanged_before_backward(p, rec)
    snapshot = rec.value.snapshot  # parameters' .data before the pass (or the step)
    for n in graph.nodes + params:
        if id(n) in snapshot and id(n) not in stepped and not _same(snapshot[id(n)], n.data):
            raise Unsupported(f"a change of the .data of {autograd.describe(n)} by hand "
                              "(p.data -= lr * p.grad cannot be replayed: update with an "
                              "optimizer, such as optim.SGD(params, lr))")
    w = _Writer(graph)
    w.scope["FAIL"] = _fail
    w.forward()
    grad_leaves = w.backward() if rec.value.root is not None else []
    index = graph.index
    grads = ", ".join(f"g{index[id(p)]}" for p in grad_leaves)
    outs = ", ".join(w.names[index[id(r)]] for r in graph.results)
    head = ["def replay(E, I, check=False):"]
    if w.externals:
        head.append(f"    {', '.join(f'e{j}' for j in range(len(w.externals)))}, = E")
    if w.n_inputs:
        head.append(f"    {', '.join(f'i{j}' for j in range(w.n_inputs))}, = I")
    tail = ["    if check:", "        return locals()",
            f"    return ({grads}{',' if grads else ''}), ({outs}{',' if outs else ''})"]
    source = "\n".join(head + w.lines + tail) + "\n"
    scope = w.scope
    exec(compile(source, "<micrograd_plus traced Value step>", "exec"), scope)
    c = ScalarCompiled()
    c.run, c.source = scope["replay"], source
    c.externals = w.externals
    c.flags = tuple(map(_NEEDS, w.externals))
    c.grad_leaves = grad_leaves
    c.setting = [id(p) in rec.value.replace for p in grad_leaves]
    reached = {id(p) for p in grad_leaves}
    c.zeroed = [p for opt in rec.value.steps for grp in opt.param_groups
                for p in grp["params"] if id(p) not in reached and id(p) in rec.value.replace]
    c.optimizers = [(opt, sum(len(grp["params"]) for grp in opt.param_groups))
                    for opt in rec.value.steps]
    c.unsure = [p for p in params if id(p) in rec.value.unsure]
    c.zero_after = [p for p in params if id(p) in rec.value.zero_after]
    c.template = template
    _verify(c, graph, w, rec)
    return c


def _same(a: Any, b: Any) -> bool:
    return a == b or (a != a and b != b)


def _verify(c: ScalarCompiled, graph: Graph, w: _Writer, rec: Any) -> None:
    """Run the function on the recorded call's numbers: every value and gradient must be
    the call's own, else the compiler has a gap and the step is not traced."""
    before = rec.value.snapshot
    externals = [before.get(id(p), p.data) for p in w.externals]
    seen = c.run(externals, [v.data for v in rec.value.inputs], True)
    for k, n in enumerate(graph.nodes):
        name = f"v{k}"
        if name in seen and not _same(seen[name], n.data):
            raise Unsupported(f"'{n._op}' ({autograd.describe(n)}), which the compiler "
                              f"computes as {seen[name]!r}")
    for n, grad in zip(rec.value.order, rec.value.grads):
        name = f"g{graph.index[id(n)]}"
        if name in seen and not _same(seen[name], grad):
            raise Unsupported(f"the gradient of '{n._op or 'leaf'}' "
                              f"({autograd.describe(n)}), which the compiler computes as "
                              f"{seen[name]!r}, not {grad!r}")
