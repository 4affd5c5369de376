"""micrograd_plus.trace on Value (scalar engine) steps: a replay gives the eager step's numbers
bit for bit (losses, parameters, their .grad, the optimizers' state), and what it cannot
replay faithfully raises TraceError (or, with fallback=True, warns once and runs eagerly).

Every comparison runs two identical set-ups side by side, one eagerly and one through
``trace``, on the same arguments, and compares after every call; "the same" is ``==`` with
the same sign of zero, NaN equal to NaN (``same``).
"""

from __future__ import annotations

import math
import random
import re
import sys
import threading
import warnings
from functools import partial

import pytest
from hypothesis import given, settings, strategies as st

from micrograd_plus import Tensor, TraceError, Value, anomaly, dot, losses, no_grad, optim
from micrograd_plus import trace, vsum
from micrograd_plus.core.autograd import AnomalyError
from micrograd_plus.core.ops import OPS
from micrograd_plus.nn import MLP

INF, NAN = math.inf, math.nan


# -- comparing ----------------------------------------------------------------------------
def same(a, b) -> bool:
    """Bit for bit as far as arithmetic can tell: equal with the same sign of zero, or both
    NaN; containers item by item, with the same types."""
    if isinstance(a, float) and isinstance(b, float):
        if a != a or b != b:
            return a != a and b != b
        return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)
    if type(a) is not type(b):
        return False
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def numbers(result):
    """A step's result with every Value replaced by its number (the structure kept)."""
    if isinstance(result, Value):
        return result.data
    if isinstance(result, (list, tuple)):
        return type(result)(numbers(x) for x in result)
    if isinstance(result, dict):
        return {k: numbers(v) for k, v in result.items()}
    return result


def state(params, opts) -> dict:
    """What a training step changes: each parameter's data and grad, each optimizer's
    per-parameter state (by position) and its hyper-parameters."""
    out = {"data": [p.data for p in params], "grad": [numbers(p.grad) for p in params]}
    for k, opt in enumerate(opts):
        ps = [p for g in opt.param_groups for p in g["params"]]
        out[f"opt{k}"] = [dict(opt.state.get(p, {})) for p in ps]
        out[f"hyper{k}"] = [{key: v for key, v in g.items() if key != "params"}
                            for g in opt.param_groups]
    return out


def assert_same(a, b, what: str) -> None:
    if not same(a, b):
        if isinstance(a, dict):
            bad = [k for k in a if not same(a[k], b.get(k))]
            raise AssertionError(f"{what}: differs in {bad}: eager {[a[k] for k in bad]!r}, "
                                 f"traced {[b.get(k) for k in bad]!r}")
        raise AssertionError(f"{what}: eager {a!r}, traced {b!r}")


def run(fn, args):
    """(the numbers of fn(*args), None), or (None, the exception it raised)."""
    try:
        return numbers(fn(*args)), None
    except Exception as e:  # noqa: BLE001 (compared with the other run's)
        return None, e


class Pair:
    """One set-up built twice: ``e`` runs eagerly, ``t`` through trace; ``calls`` counts how
    often the traced set-up's function itself ran (recording or eager, not replaying)."""

    def __init__(self, build, fallback: bool = False) -> None:
        self.e_params, self.e_opts, self.e_fn = build()
        self.t_params, self.t_opts, fn = build()
        self.calls = 0

        def counted(*args):
            self.calls += 1
            return fn(*args)
        counted.__name__ = "step"
        self.step = trace(counted, fallback=fallback)

    def states(self) -> tuple:
        return state(self.e_params, self.e_opts), state(self.t_params, self.t_opts)

    def check(self, what: str) -> None:
        assert_same(*self.states(), what)

    def call(self, *args, what: str = "call", refusal_ok: bool = False) -> tuple:
        """Both set-ups on the same arguments: the same result or the same exception type,
        then the same state. With ``refusal_ok`` the traced call may instead raise TraceError
        after running eagerly. Returns (eager result, traced result) as numbers."""
        before = self.states()[0]
        e_out, e_err = run(self.e_fn, args)
        t_out, t_err = run(self.step, args)
        if e_err is not None and t_err is None:
            raise AssertionError(f"{what}: eager raised {e_err!r}, the traced step returned "
                                 f"{t_out!r}")
        if t_err is not None and e_err is None:
            if not (refusal_ok and isinstance(t_err, TraceError)):
                raise t_err
            assert "ran eagerly" in str(t_err), t_err
            t_out = e_out
        if e_err is not None:
            assert type(t_err) is type(e_err), (what, e_err, t_err)
            # an error inside the step's forward pass changes nothing, eagerly or replayed
            assert_same(before, self.states()[0], f"{what}: eager state after {e_err!r}")
        else:
            assert_same(e_out, t_out, f"{what}: result")
        self.check(f"{what}: state")
        return e_out, t_out

    def run(self, calls: list, refusal_ok: bool = False) -> None:
        self.check("before the first call")
        for k, args in enumerate(calls):
            self.call(*args, what=f"call {k + 1}", refusal_ok=refusal_ok)


def V(x):
    """An input as a Value (what trace makes of a list argument's number; eagerly a new leaf
    that does not require grad), so that a step can call methods on its inputs."""
    return x if isinstance(x, Value) else Value(x, requires_grad=False)


def step_build(init, loss_of, make_opt, results: bool = False):
    """A builder of the common set-up: the parameters (a Value of each number of ``init``, or,
    where ``init`` is a function, the parameters of the model it makes), one optimizer
    ``make_opt(params)``, and a step that computes ``loss_of(w, *args)`` (w the list of Values
    or the model), then ``opt.zero_grad(); loss.backward(); opt.step()`` and returns the loss.
    With ``results``, loss_of returns (loss, more), and the step returns that pair."""
    def build():
        if callable(init):
            w = init()
            params = w.parameters()
        else:
            w = params = [Value(v) for v in init]
        opt = make_opt(params)

        def step(*args):
            out = loss_of(w, *args)
            loss = out[0] if results else out
            opt.zero_grad()
            loss.backward()
            opt.step()
            return out
        return params, [opt], step
    return build


# -- the moons step (micrograd's demo) ----------------------------------------------------
def moons(n: int = 12, seed: int = 0) -> tuple:
    """n points of two noisy half moons (plain floats) and their ±1 labels."""
    rng = random.Random(seed)
    X, y = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2:
            X.append([math.cos(t) + rng.gauss(0, 0.1), math.sin(t) + rng.gauss(0, 0.1)])
            y.append(-1.0)
        else:
            X.append([1 - math.cos(t) + rng.gauss(0, 0.1),
                      0.5 - math.sin(t) + rng.gauss(0, 0.1)])
            y.append(1.0)
    return X, y


def moons_build(make_opts, sizes=(8, 8, 1), seed=7):
    """A builder of the moons set-up: MLP(2, sizes) with fixed weights, the optimizers
    ``make_opts(params)`` makes, and micrograd's max-margin step with an L2 penalty."""
    def build():
        model = MLP(2, list(sizes), seed=seed)
        params = model.parameters()
        opts = make_opts(params)

        def step(X, y):
            scores = [model(x) for x in X]
            losses_ = [(1.0 - yi * s).relu() for yi, s in zip(y, scores)]
            total = vsum(losses_) * (1.0 / len(losses_)) + 1e-4 * dot(params, params)
            for opt in opts:
                opt.zero_grad()
            total.backward()
            for opt in opts:
                opt.step()
            return total
        return params, opts, step
    return build


OPTIMIZERS = {
    "sgd": lambda ps: [optim.SGD(ps, lr=0.1)],
    "sgd-momentum": lambda ps: [optim.SGD(ps, lr=0.05, momentum=0.9, dampening=0.1)],
    "sgd-nesterov": lambda ps: [optim.SGD(ps, lr=0.05, momentum=0.9, nesterov=True)],
    "sgd-weight-decay": lambda ps: [optim.SGD(ps, lr=0.1, weight_decay=0.01)],
    "adam": lambda ps: [optim.Adam(ps, lr=0.02)],
    "adam-amsgrad": lambda ps: [optim.Adam(ps, lr=0.02, amsgrad=True)],
    "adam-weight-decay": lambda ps: [optim.Adam(ps, lr=0.02, weight_decay=0.01,
                                                betas=(0.8, 0.9))],
    "adamw": lambda ps: [optim.AdamW(ps, lr=0.02, weight_decay=0.1, amsgrad=True)],
    "rmsprop": lambda ps: [optim.RMSprop(ps, lr=0.01)],
    "rmsprop-centered": lambda ps: [optim.RMSprop(ps, lr=0.01, centered=True)],
    "rmsprop-momentum": lambda ps: [optim.RMSprop(ps, lr=0.01, momentum=0.5,
                                                  weight_decay=0.01)],
    "rmsprop-centered-momentum": lambda ps: [optim.RMSprop(ps, lr=0.01, centered=True,
                                                           momentum=0.9)],
    "adagrad": lambda ps: [optim.Adagrad(ps, lr=0.1, lr_decay=0.01, weight_decay=0.01,
                                         initial_accumulator_value=0.1)],
    "two-groups": lambda ps: [optim.SGD([{"params": ps[:20], "lr": 0.2},
                                         {"params": ps[20:], "momentum": 0.5}], lr=0.05)],
    "two-optimizers": lambda ps: [optim.Adam(ps[:30], lr=0.01), optim.SGD(ps[30:], lr=0.1)],
}


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_moons_step_replays_bit_for_bit_with_every_optimizer(name):
    X, y = moons()
    pair = Pair(moons_build(OPTIMIZERS[name]))
    pair.run([(X, y)] * 6)
    assert pair.calls == 2, "two recording calls, then replays"
    assert len(pair.step.compiled) == 1


SCHEDULERS = {
    "step": lambda opt: optim.StepLR(opt, step_size=2, gamma=0.5),
    "exponential": lambda opt: optim.ExponentialLR(opt, gamma=0.7),
    "cosine": lambda opt: optim.CosineAnnealingLR(opt, T_max=4, eta_min=0.001),
    "lambda": lambda opt: optim.LambdaLR(opt, lambda k: 1.0 / (1 + k)),
}


@pytest.mark.parametrize("opt_name", ["sgd-nesterov", "adam-amsgrad"])
@pytest.mark.parametrize("sched", sorted(SCHEDULERS))
def test_a_learning_rate_schedule_is_replayed_without_a_new_record(sched, opt_name):
    X, y = moons()
    pair = Pair(moons_build(OPTIMIZERS[opt_name]))
    scheds = [SCHEDULERS[sched](opt) for opt in pair.e_opts + pair.t_opts]
    pair.check("before the first call")
    lrs = set()
    for k in range(7):
        pair.call(X, y, what=f"call {k + 1}")
        for s in scheds:
            s.step()
        lrs.add(pair.t_opts[0].param_groups[0]["lr"])
        pair.check(f"after the scheduler's step {k + 1}")
    assert len(lrs) > 2, "the schedule changed the learning rate"
    assert pair.calls == 2, "a new learning rate must not record again"
    assert len(pair.step.compiled) == 1


def test_hyper_parameters_set_by_hand_between_calls_are_used():
    X, y = moons()
    pair = Pair(moons_build(OPTIMIZERS["sgd-momentum"]))
    for k in range(6):
        for opt in pair.e_opts + pair.t_opts:
            opt.param_groups[0]["lr"] = 0.02 / (k + 1)
            opt.param_groups[0]["momentum"] = 0.1 * k
        pair.call(X, y, what=f"call {k + 1}")
    assert pair.calls == 2


# -- every Value op -----------------------------------------------------------------------
# Each op's uses in a step: a = x0 + w0, b = x1 + w1, c = x2·w2 are nodes of the inputs x and
# the parameters w; x3 is an input in (0, 1) (a probability or target). The op's results
# r feed the loss Σ r·x2 + Σ r·w2 (x2 = inf sends an infinite gradient back into the op).
OP_USES = {
    "+": lambda a, b, c, x, w: [a + b, 1.0 + a, a + 2.5, a + a, x[0] + w[1]],
    "-": lambda a, b, c, x, w: [a - b, 1.0 - a, a - 2.5, a - a, x[1] - w[0]],
    "*": lambda a, b, c, x, w: [a * b, a * a, 2.0 * a, b * 0.5, x[0] * w[0]],
    "/": lambda a, b, c, x, w: [a / b, 1.0 / b, a / 4.0, x[0] / w[1]],
    "**": lambda a, b, c, x, w: [a ** b, 2.0 ** a, a ** V(x[3])],
    "**k": lambda a, b, c, x, w: [a ** 2, a ** 3, a ** 0, a ** -1, a ** 0.5, b ** 1.5,
                                  b ** -2.5],
    "neg": lambda a, b, c, x, w: [-a, -(a * b)],
    "abs": lambda a, b, c, x, w: [abs(a), abs(b - a)],
    "exp": lambda a, b, c, x, w: [a.exp(), (-b).exp()],
    "log": lambda a, b, c, x, w: [a.log(), (b * b).log()],
    "sqrt": lambda a, b, c, x, w: [a.sqrt(), b.sqrt()],
    "tanh": lambda a, b, c, x, w: [a.tanh(), (-b).tanh()],
    "sigmoid": lambda a, b, c, x, w: [a.sigmoid(), (-b).sigmoid()],
    "ReLU": lambda a, b, c, x, w: [a.relu(), (-b).relu(), (a - b).relu()],
    "leaky_relu": lambda a, b, c, x, w: [a.leaky_relu(0.1), (-b).leaky_relu()],
    "softplus": lambda a, b, c, x, w: [a.softplus(), (-b).softplus()],
    "sin": lambda a, b, c, x, w: [a.sin(), b.sin()],
    "cos": lambda a, b, c, x, w: [a.cos(), b.cos()],
    "bce": lambda a, b, c, x, w: [losses.bce([a.sigmoid(), b.sigmoid()], [x[3], 0.25])],
    "bce_with_logits": lambda a, b, c, x, w: [losses.bce_with_logits([a, b, c],
                                                                     [x[3], 1.0, 0.0])],
    "huber": lambda a, b, c, x, w: [losses.huber([a, b, c], [x[3], 0.5, -0.5], delta=0.75)],
    "vcross_entropy": lambda a, b, c, x, w: [losses.cross_entropy([a, b, c], 1),
                                             losses.cross_entropy([[b, a], [c, a]], [0, 1])],
    "vsum": lambda a, b, c, x, w: [vsum([a, b, a]), vsum([a, x[3], b, w[0]]), vsum([c])],
    "dot": lambda a, b, c, x, w: [dot([w[0], w[1]], [x[0], x[1]], w[2]),
                                  dot([a, b, c], [b, a, c]), dot(w, w),
                                  dot([a, w[1]], [x[2], x[3]])],
}


def op_build(uses):
    def loss_of(w, x):
        a, b, c = x[0] + w[0], x[1] + w[1], x[2] * w[2]
        rs = uses(a, b, c, x, w)
        return vsum([r * x[2] for r in rs] + [r * w[2] for r in rs]), rs
    return step_build([0.75, -0.5, 1.25], loss_of, partial(optim.SGD, lr=0.01), results=True)


# inputs of a call given the parameters w (numbers): so that a = x0 + w0 is exactly 0
EDGES = {
    "kink": lambda w: [-w[0], -w[1], 1.0, 0.5],  # a = b = 0: relu's and abs's kinks, 1/0
    "kink-inf-upstream": lambda w: [-w[0], -w[1], INF, 0.5],  # 0·inf through relu'(0) = 0
    "below-inf-upstream": lambda w: [-w[0] - 2.0, -w[1] - 3.0, INF, 0.5],
    "above-nan-upstream": lambda w: [2.0, 3.0, NAN, 0.5],
    "nan": lambda w: [NAN, 1.0, 1.0, 0.5],
    "inf": lambda w: [INF, -INF, 1.0, 0.5],
    "huge": lambda w: [1000.0, -1000.0, 1.0, 0.5],
    "huge-negative": lambda w: [-1000.0, 800.0, -1.0, 0.5],
    "domain": lambda w: [-w[0] - 1.0, -w[1], 1.0, 0.5],  # a < 0 (log, sqrt), b = 0 (/)
}


def _ordinary(k: int) -> list:
    return [2.0 + 0.25 * k, 1.5 + 0.125 * k, 0.5 - 0.0625 * k, 0.25 + 0.125 * k]


def _ops_of(roots) -> set:
    """The table keys of the ops in the graphs of ``roots``."""
    seen, stack, found = set(), list(roots), set()
    while stack:
        n = stack.pop()
        if id(n) not in seen:
            seen.add(id(n))
            if n._fn is not None:
                found.add(n._fn.key)
            stack.extend(n._prev)
    return found


def test_every_value_op_of_the_table_has_a_traced_case_that_uses_it():
    assert set(OP_USES) == {name for name, op in OPS.items() if "value" in op.kinds}
    for name, uses in OP_USES.items():
        _, _, step = op_build(uses)()
        loss, rs = step(_ordinary(0))
        assert name in _ops_of(rs), name


@pytest.mark.parametrize("edge", sorted(EDGES))
@pytest.mark.parametrize("name", sorted(OP_USES))
def test_every_value_op_replays_like_eager_at_its_edges(name, edge):
    """Recorded on ordinary inputs, replayed on ordinary and edge inputs: the same numbers,
    or the same exception with nothing changed."""
    pair = Pair(op_build(OP_USES[name]))
    pair.run([(_ordinary(0),), (_ordinary(1),), (_ordinary(2),)])
    x = EDGES[edge]([p.data for p in pair.t_params])
    pair.call(x, what=f"{name} at {edge} {x}")
    pair.call(_ordinary(3), what=f"{name} after {edge}")
    pair.call(x, what=f"{name} at {edge} again")
    assert pair.calls == 2, "every call after the second replays"


def test_an_infinite_gradient_through_relus_zero_derivative_gives_zero_not_nan():
    pair = Pair(step_build([0.75, 0.5], lambda w, x: (x[0] + w[0]).relu() * x[1] + w[1] * w[1],
                           partial(optim.SGD, lr=0.1)))
    pair.run([([1.0, 2.0],)] * 3)
    assert pair.t_params[0].grad == 2.0
    for x0 in (-pair.t_params[0].data, -pair.t_params[0].data - 1.0):  # at the kink, below
        pair.call([x0, INF])
        assert pair.t_params[0].grad == 0.0, "0, not NaN, reached w0"
    assert pair.calls == 2


def test_a_vsum_with_a_constant_among_its_terms_replays():
    """vsum takes plain numbers as constants (not parents): Σ over [a, 0.1, b]."""
    pair = Pair(step_build([0.5, -0.3], lambda w, x: vsum([w[0] * x[0], 0.1, w[1] * x[1]]),
                           partial(optim.SGD, lr=0.1)))
    pair.run([([0.7 + k, 0.3],) for k in range(5)])
    assert pair.calls == 2


# -- random programs ----------------------------------------------------------------------
UNARY = ["neg", "abs", "exp", "tanh", "sigmoid", "relu", "softplus", "sin", "cos", "sq",
         "cube", "leaky", "log1", "sqrt1", "inv1", "pow0", "powm1"]
BINARY = ["+", "-", "*", "/", "rsub", "rdiv", "pow", "vsum", "dot"]


def _unary(op: str, a):
    if op == "neg":
        return -a
    if op == "abs":
        return abs(a)
    if op == "sq":
        return a ** 2
    if op == "cube":
        return a ** 3
    if op == "pow0":
        return a ** 0
    if op == "powm1":
        return a ** -1
    if op == "leaky":
        return a.leaky_relu(0.2)
    if op == "log1":  # the domain kept: log(a² + 1)
        return (a * a + 1.0).log()
    if op == "sqrt1":
        return (a * a + 0.5).sqrt()
    if op == "inv1":
        return 1.0 / (abs(a) + 1.0)
    return getattr(a, op)()


def _binary(op: str, a, b):
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if op == "/":
        return a / (b * b + 0.25)
    if op == "rsub":
        return 0.5 - b * a
    if op == "rdiv":
        return 2.0 / (a * a + 1.0)
    if op == "pow":
        return (a * a + 0.5) ** b
    if op == "vsum":
        return vsum([a, b, a])
    return dot([a, b], [b, b], a)


def _program_loss(program, n_out):
    def loss_of(w, x):
        pool = list(w) + [V(v) for v in x]
        for op, i, j in program:
            a, b = pool[i % len(pool)], pool[j % len(pool)]
            pool.append(_unary(op, a) if op in UNARY else _binary(op, a, b))
        made = pool[len(w) + len(x):]
        # every parameter in the loss (one out of it: test_a_parameter_stepped_but_...)
        return vsum(made[-n_out:] + [p * p for p in w]), made[:n_out]
    return loss_of


def _some_float():
    return st.one_of(
        st.floats(-3.0, 3.0, allow_nan=False),
        st.sampled_from([0.0, -0.0, 1.0, -1.0, 40.0, -40.0, 1000.0, INF, -INF, NAN]))


@settings(max_examples=30, deadline=None)
@given(program=st.lists(st.tuples(st.sampled_from(UNARY + BINARY), st.integers(0, 63),
                                  st.integers(0, 63)), min_size=1, max_size=14),
       n_out=st.integers(1, 4),
       w0=st.lists(st.floats(-2.0, 2.0, allow_nan=False), min_size=3, max_size=3),
       inputs=st.lists(st.lists(_some_float(), min_size=3, max_size=3), min_size=4,
                       max_size=4),
       opt_name=st.sampled_from(["sgd-nesterov", "adam-amsgrad", "rmsprop-centered",
                                 "adagrad"]))
def test_random_programs_replay_bit_for_bit(program, n_out, w0, inputs, opt_name):
    def make_opt(w):
        (opt,) = OPTIMIZERS[opt_name](w)
        return opt
    pair = Pair(step_build(w0, _program_loss(program, n_out), make_opt, results=True))
    pair.run([(x,) for x in inputs])
    assert pair.calls == 2


def test_a_parameter_stepped_but_outside_the_loss_may_be_among_the_results():
    """A result computed from a parameter that the loss does not reach, which the optimizer
    still changes (weight decay): eagerly the result is the value before the step."""
    def loss_of(w, x):
        r = -w[1]
        return (w[0] * x[0]) ** 2, r
    pair = Pair(step_build([0.5, 2.0], loss_of, partial(optim.SGD, lr=0.1, weight_decay=0.1),
                           results=True))
    pair.run([([1.0 + k],) for k in range(5)])
    assert pair.calls == 2


def test_a_parameter_outside_the_loss_set_by_hand_inside_the_step_is_not_lost():
    """The step sets an optimizer's parameter that the loss does not reach by hand (then the
    optimizer's weight decay moves it): a replay must do the same, or refuse."""
    def loss_of(w, x):
        w[1].data = 0.8
        return (w[0] * x[0]) ** 2
    pair = Pair(step_build([0.5, 2.0], loss_of, partial(optim.SGD, lr=0.1, weight_decay=0.5)))
    pair.run([([1.0 + k],) for k in range(5)], refusal_ok=True)


# -- inputs ---------------------------------------------------------------------------------
def test_new_inputs_of_the_same_shape_are_read_on_every_replay():
    pair = Pair(moons_build(OPTIMIZERS["adam"]))
    pair.run([moons(seed=k) for k in range(6)])
    assert pair.calls == 2


def test_a_new_nested_shape_records_again_and_each_shape_keeps_its_replay():
    big, small = moons(12, seed=1), moons(8, seed=2)
    pair = Pair(moons_build(OPTIMIZERS["sgd-momentum"]))
    pair.run([big, big, big, small, small, small])
    assert pair.calls == 4 and len(pair.step.compiled) == 2
    pair.run([big, small, moons(12, seed=3), moons(8, seed=4)])
    assert pair.calls == 4


def _leaves(rows) -> list:
    """The numbers of nested lists, left to right at every depth."""
    out, stack = [], [iter(rows)]
    while stack:
        for x in stack[-1]:
            if isinstance(x, list):
                stack.append(iter(x))
                break
            out.append(x)
        else:
            stack.pop()
    return out


def test_the_same_numbers_nested_differently_record_again():
    def loss_of(w, rows):
        xs = _leaves(rows)
        return vsum([(V(v) * w[i % 4] + w[(i + 1) % 4]).tanh() * (i + 1)
                     for i, v in enumerate(xs)])
    pair = Pair(step_build([0.5, -1.5, 2.0, 0.25], loss_of, partial(optim.SGD, lr=0.1)))
    flat, nested = [[1.0, 2.0, 3.0, 4.0]], [[1.0, 2.0], [3.0, 4.0]]
    deep = [[[1.0], 2.0], [3.0, [4.0, []]]]
    pair.run([(flat,)] * 3 + [(nested,)] * 3 + [(deep,)] * 3)
    assert pair.calls == 6 and len(pair.step.compiled) == 3
    pair.run([(deep,), ([[-1.0, 2.0, 0.0, 4.0]],), ([[-1.0], [2.0, 0.5, 4.0]],), (deep,)])
    assert pair.calls == 7, "one call of a new nesting records, the others replay"
    two_three, three_two = [[1.0, 2.0], [3.0, 4.0, 5.0]], [[1.0, 2.0, 3.0], [4.0, 5.0]]
    pair.run([(two_three,)] * 3 + [(three_two,)] * 3 + [(two_three,), (three_two,)])
    assert pair.calls == 11


def test_a_hashable_argument_records_once_per_value():
    def loss_of(model, X, y, margin):
        return vsum([(margin - yi * model(x)).relu() for x, yi in zip(X, y)])
    X, y = moons(6)
    pair = Pair(step_build(lambda: MLP(2, [4, 1], seed=3), loss_of, partial(optim.SGD, lr=0.1)))
    pair.run([(X, y, 1.0)] * 3 + [(X, y, 0.5)] * 3 + [(X, y, 1.0), (X, y, 0.5)])
    assert pair.calls == 4 and len(pair.step.compiled) == 2


def test_parameters_and_constants_changed_between_calls_are_read():
    """Leaves made before the call are read on every replay: a parameter set by hand and a
    constant Value (requires_grad=False) changed between calls."""
    def build():
        model = MLP(2, [4, 1], seed=3)
        params = model.parameters()
        alpha = Value(1e-2, requires_grad=False)
        opt = optim.SGD(params, lr=0.1)

        def step(X, y):
            scores = [model(x) for x in X]
            loss = vsum([(s - yi) ** 2 for s, yi in zip(scores, y)]) + alpha * dot(params,
                                                                                    params)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return params + [alpha], [opt], step
    X, y = moons(6)
    pair = Pair(build)
    pair.run([(X, y)] * 3)
    for k in range(3):
        for ps in (pair.e_params, pair.t_params):
            ps[-1].data = 0.5 * (k + 1)
            ps[k].data = -0.25 * k
        pair.call(X, y, what=f"after a change {k}")
    assert pair.calls == 2


def test_returned_values_are_new_leaves_and_a_returned_parameter_is_itself():
    w = [Value(0.5), Value(-0.25)]
    opt = optim.SGD(w, lr=0.1)

    @trace
    def step(x):
        h = (w[0] * x[0] + w[1]).tanh()
        loss = (h - x[1]) ** 2
        opt.zero_grad()
        loss.backward()
        opt.step()
        return {"loss": loss, "parts": (h, [w[1], None, "text"])}

    for _ in range(3):
        out = step([0.3, 0.9])
    assert out["parts"][1][0] is w[1]
    assert out["parts"][1][1:] == [None, "text"]
    for v in (out["loss"], out["parts"][0]):
        assert type(v) is Value and not v._prev and v.requires_grad is False


# -- refusals -------------------------------------------------------------------------------
def _refusal_build(kind):
    def build():
        w = [Value(0.5), Value(-0.3), Value(0.8)]
        opt = optim.SGD(w, lr=0.1)
        if kind == "hook":
            w[0].register_hook(lambda g: None)
        before = Value(0.25, requires_grad=False) * Value(2.0, requires_grad=False)

        def step(x, y=None):
            if kind == "set-before":
                w[1].data = -0.3
            if kind == "tensor":
                Tensor([0.5, 1.5]) * 2.0
            z = (w[0] * x[0] + w[1] * x[1]).tanh()
            if kind == "no-grad":
                with no_grad():
                    scale = w[2] * 2.0
                z = z * scale
            if kind == "mixed-dot":
                z = z + dot(w[:2], [x[0], 1.5])
            if kind == "computed-before":
                z = z + before
            loss = (z - 0.25) ** 2
            opt.zero_grad()
            if kind == "grad-set":
                w[0].grad = 0.5
            loss.backward(create_graph=(kind == "create-graph"))
            if kind == "two-backward":
                (w[2] * z).backward()
            if kind == "clip-by-hand":
                w[0].grad = max(min(w[0].grad, 0.01), -0.01)
            if kind == "by-hand":
                for p in w:
                    p.data -= 0.1 * p.grad
            else:
                opt.step()
            if kind == "after-step":
                return loss, w[0] * 1.0
            if kind == "float":
                return loss.data
            return loss
        return w, [opt], step
    return build


REFUSALS = {
    "by-hand": "by hand",
    "grad-set": "set inside the step",
    "set-before": "inside the step before its backward",
    "hook": "hook",
    "create-graph": "create_graph",
    "two-backward": "second backward",
    "no-grad": "no_grad",
    "after-step": "after an optimizer step",
    "mixed-dot": "dot of Values mixed with constants",
    "float": "float",
    "tensor": "Tensor ops and a Value graph",
    "clip-by-hand": r"\.grad",
    "computed-before": "computed before the call",
}


@pytest.mark.filterwarnings("ignore:backward\\(create_graph=True\\)")
@pytest.mark.parametrize("kind", sorted(REFUSALS))
def test_what_cannot_be_replayed_raises_trace_error_after_running_eagerly(kind):
    """Each call runs the function (eagerly, with eager's results); the first or the second
    of a pair of recording calls raises TraceError naming the cause; nothing is compiled."""
    pair = Pair(_refusal_build(kind))
    pair.check("before")
    refused = 0
    for k in range(4):
        x = [0.7 + 0.125 * k, -0.2]
        e_out, _ = run(pair.e_fn, (x,))
        t_out, t_err = run(pair.step, (x,))
        if t_err is None:
            assert same(e_out, t_out), (k, e_out, t_out)
        else:
            assert isinstance(t_err, TraceError), t_err
            assert re.search(REFUSALS[kind], str(t_err)), str(t_err)
            assert "ran eagerly" in str(t_err)
            refused += 1
        pair.check(f"{kind}: call {k + 1}")
    assert refused >= 2 and pair.calls == 4 and pair.step.compiled == []


def test_a_list_argument_holding_a_value_that_requires_grad_is_refused():
    w = Value(0.5)
    opt = optim.SGD([w], lr=0.1)

    @trace
    def step(x):
        loss = w * x[0]
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss
    with pytest.raises(TraceError, match="requires grad"):
        step([Value(2.0)])
    assert w.data == 0.5
    step([Value(2.0, requires_grad=False)])  # a Value that does not require grad is a number
    assert w.data == 0.5 - 0.1 * 2.0


@pytest.mark.filterwarnings("ignore:backward\\(create_graph=True\\)")
@pytest.mark.parametrize("kind", sorted(REFUSALS) + ["list-value"])
def test_fallback_warns_once_then_runs_every_call_eagerly(kind):
    """trace(fn, fallback=True): the first refusal warns (RuntimeWarning), that call and every
    later one run the function eagerly, with eager's results."""
    pair = Pair(_refusal_build("none" if kind == "list-value" else kind), fallback=True)
    x = [0.7, -0.2]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for k in range(5):
            xk = [Value(0.7 + k, requires_grad=True), -0.2] if kind == "list-value" else x
            e_out, _ = run(pair.e_fn, ([float(v) for v in xk],))
            t_out, t_err = run(pair.step, (xk,))
            assert t_err is None, f"call {k + 1} raised {t_err!r}"
            assert same(e_out, t_out), (k, e_out, t_out)
            pair.check(f"{kind}: call {k + 1}")
    ours = [w for w in caught if issubclass(w.category, RuntimeWarning)]
    assert len(ours) == 1, [str(w.message) for w in ours]
    assert "cannot trace" in str(ours[0].message)
    assert pair.calls == 5


# -- what a step does around its update -----------------------------------------------------
def _update_build(order):
    def build():
        model = MLP(2, [4, 1], seed=5)
        params = model.parameters()
        opt = optim.Adam(params, lr=0.05)

        def step(X, y):
            preds = [model(x) for x in X]
            if order == "forward-only":
                return preds
            loss = vsum([(p - yi) ** 2 for p, yi in zip(preds, y)])
            if order in ("zero-first", "step-twice", "no-step", "returns-none"):
                opt.zero_grad()
            elif order == "model-zero-grad":
                model.zero_grad()
            loss.backward()
            if order != "no-step":
                opt.step()
            if order == "step-twice":
                opt.step()
            if order == "zero-last":
                opt.zero_grad()
            return None if order == "returns-none" else (loss, preds[0])
        return params, [opt], step
    return build


@pytest.mark.parametrize("order", ["zero-first", "model-zero-grad", "step-twice", "no-step",
                                   "forward-only", "returns-none", "no-zero-grad"])
def test_steps_of_other_shapes_replay_bit_for_bit(order):
    pair = Pair(_update_build(order))
    pair.run([moons(4, seed=k) for k in range(5)])
    assert pair.calls == 2


def test_zero_grad_after_the_optimizer_step_leaves_the_grads_zero_on_replays():
    """``loss.backward(); opt.step(); opt.zero_grad()``, a common order: eagerly every .grad
    is 0.0 after the call, so after a replay too (or the step is refused)."""
    pair = Pair(_update_build("zero-last"))
    pair.run([moons(4, seed=k) for k in range(5)], refusal_ok=True)


@pytest.mark.parametrize("order,calls,zeroed", [
    pytest.param("outside", 6, 3, id="then-accumulated-are-not-replayed-as-set"),
    pytest.param("zero-first", 5, 2, id="and-inside-then-only-inside-replay-as-set"),
])
def test_grads_zeroed_outside_the_step(order, calls, zeroed):
    """The caller zeroes the grads before the first ``zeroed`` calls, then no longer does.
    "outside": the step does backward and step only; the caller zeroes the grads before the
    first three calls and then lets them accumulate: eagerly .grad adds up; a replay must do
    the same or refuse, never overwrite .grad silently. "zero-first": the caller zeroes the
    grads before the two recording calls, and the step zeroes them too; later only the step
    does: eagerly each .grad is this call's gradient."""
    pair = Pair(_update_build(order))
    pair.check("before")
    for k in range(calls):
        if k < zeroed:
            for opt in pair.e_opts + pair.t_opts:
                opt.zero_grad()
        pair.call(*moons(4, seed=k), what=f"call {k + 1}", refusal_ok=True)


def test_a_nan_constant_in_the_step_replays():
    pair = Pair(step_build([0.5, -1.0],
                           lambda w, x: (w[0] * x[0]).tanh() + w[1] * NAN + (w[1] * x[1]) ** 2,
                           partial(optim.SGD, lr=0.1)))
    pair.run([([0.5 * k, 1.0],) for k in range(5)])
    assert pair.calls == 2


# -- after compiling ------------------------------------------------------------------------
_small_build = step_build([0.5, -0.3, 0.2],
                          lambda w, x: (w[0] * x[0] + w[1]).tanh() * w[2] + w[1] * w[1],
                          partial(optim.SGD, lr=0.1, momentum=0.5))


@pytest.mark.parametrize("fallback", [False, True])
def test_a_hook_registered_after_compiling_is_called_not_replayed_over(fallback):
    pair = Pair(_small_build, fallback=fallback)
    pair.run([([0.7],)] * 3)
    seen = {"e": [], "t": []}
    pair.e_params[0].register_hook(seen["e"].append)
    pair.t_params[0].register_hook(seen["t"].append)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for k in range(3):
            e_out, _ = run(pair.e_fn, ([0.7 + k],))
            if fallback:
                t_out = numbers(pair.step([0.7 + k]))
                assert same(e_out, t_out)
            else:
                with pytest.raises(TraceError, match="hook"):
                    pair.step([0.7 + k])
            pair.check(f"call {k + 1} with a hook")
    assert len(seen["t"]) == 3 and same(seen["e"], seen["t"]), seen
    assert pair.calls == 5
    assert len([w for w in caught if issubclass(w.category, RuntimeWarning)]) == fallback


def test_requires_grad_changed_after_compiling_records_again():
    pair = Pair(_small_build)
    pair.run([([0.7],)] * 3)
    for ps in (pair.e_params, pair.t_params):
        ps[2].requires_grad = False
    pair.run([([0.7 + k],) for k in range(4)])
    assert pair.calls == 4, "recorded again (twice), then replayed"
    for ps in (pair.e_params, pair.t_params):
        ps[2].requires_grad = True
    pair.run([([0.7 - k],) for k in range(4)])
    assert pair.calls == 6


def test_grads_set_by_hand_between_calls_are_replaced_as_zero_grad_and_backward_would():
    """Between calls every .grad is set by hand, that of an optimizer's parameter the loss
    does not reach too: the step's zero_grad() clears them all eagerly, so does a replay."""
    pair = Pair(step_build([0.5, -0.3, 0.2], lambda w, x: (w[0] * x[0] + w[1]).tanh(),
                           partial(optim.Adam, lr=0.1)))
    pair.run([([0.7],)] * 3)
    for k in range(3):
        for ps in (pair.e_params, pair.t_params):
            for i, p in enumerate(ps):
                p.grad = 3.0 + i + k
        pair.call([0.7 + k], what=f"after grads set by hand {k}")
    assert pair.t_params[2].grad == 0.0
    assert pair.calls == 2


def test_a_parameter_group_added_after_compiling_records_again():
    pair = Pair(_small_build)
    pair.run([([0.7],)] * 3)
    for ps, opts in ((pair.e_params, pair.e_opts), (pair.t_params, pair.t_opts)):
        ps.append(Value(1.5))
        opts[0].add_param_group({"params": [ps[-1]], "weight_decay": 0.5})
    pair.run([([0.7 + k],) for k in range(4)])
    assert pair.calls == 4
    assert pair.t_params[-1].data != 1.5, "the new parameter was stepped (weight decay)"


def test_compiled_is_the_source_of_a_python_function():
    pair = Pair(_small_build)
    assert pair.step.compiled == []
    pair.run([([0.7],)] * 2)
    (source,) = pair.step.compiled
    assert isinstance(source, str) and "def replay" in source
    compile(source, "<compiled>", "exec")


# -- domain errors on a replay --------------------------------------------------------------
def _domain_build(kind):
    def loss_of(w, x):
        if kind == "log":
            z = V(x[0]).log() * w[0]
        elif kind == "sqrt":
            z = V(x[0]).sqrt() * w[0]
        else:
            z = w[0] / V(x[0])
        return (z + w[1]) ** 2
    return step_build([1.5, 0.5], loss_of, partial(optim.SGD, lr=0.01))


@pytest.mark.parametrize("kind,bad,error", [
    ("log", -1.0, ValueError), ("log", 0.0, ValueError), ("sqrt", -0.5, ValueError),
    ("div", 0.0, ZeroDivisionError), ("div", -0.0, ZeroDivisionError)])
def test_an_input_outside_an_ops_domain_raises_on_replay_as_eagerly(kind, bad, error):
    """Compiled with good inputs, replayed with one outside the op's domain: the eager
    exception (type and message), raised before anything changed; later calls replay."""
    pair = Pair(_domain_build(kind))
    pair.run([([2.0],), ([2.5],), ([3.0],)])
    before = pair.states()
    with pytest.raises(error) as eager:
        pair.e_fn([bad])
    with pytest.raises(error) as replayed:
        pair.step([bad])
    assert str(replayed.value) == str(eager.value)
    assert_same(before[0], pair.states()[0], "eager: nothing changed by the failed call")
    assert_same(before[1], pair.states()[1], "traced: nothing changed by the failed call")
    pair.run([([3.5],), ([bad],), ([4.0],)])
    assert pair.calls == 2, "the failed replay did not drop the compiled step"


def test_of_two_domain_errors_the_replay_raises_the_one_eager_meets_first():
    def loss_of(w, x):
        lg = (V(x[0]) * w[0]).log()
        q = 1.0 / (V(x[1]) + w[1])
        return q + lg
    pair = Pair(step_build([0.5, 0.25], loss_of, partial(optim.SGD, lr=0.001)))
    pair.run([([1.0, 1.0],), ([2.0, 1.0],), ([1.5, 1.0],)])
    pair.call([-1.0, -pair.t_params[1].data], what="log(negative) then 1/0")


def test_a_domain_error_of_a_node_the_results_do_not_use_is_raised_on_replay():
    """An op computed in the step but neither returned nor in the loss (a metric thrown
    away): eagerly its domain error is raised all the same."""
    def loss_of(w, x):
        V(x[1]).sqrt()
        return (w[0] * x[0]) ** 2
    pair = Pair(step_build([0.5], loss_of, partial(optim.SGD, lr=0.1)))
    pair.run([([1.0, 4.0],), ([2.0, 9.0],), ([3.0, 1.0],)])
    pair.call([1.0, -1.0], what="sqrt(-1) of an unused node")


def test_a_bce_target_outside_the_unit_interval_on_replay_is_refused_as_eagerly():
    """losses.bce checks its targets (and probabilities) lie in [0, 1]: a replay must not
    train on a target that the eager step refuses."""
    pair = Pair(step_build([0.5, 0.1],
                           lambda w, x: losses.bce([(V(x[0]) * w[0] + w[1]).sigmoid()], [x[1]]),
                           partial(optim.SGD, lr=0.1)))
    pair.run([([1.0, 0.5],), ([2.0, 1.0],), ([1.5, 0.0],)], refusal_ok=True)
    pair.call([1.0, 1.5], what="target 1.5", refusal_ok=True)
    pair.call([NAN, 0.5], what="probability NaN", refusal_ok=True)


# -- anomaly mode and threads ---------------------------------------------------------------
def test_anomaly_mode_runs_every_call_eagerly_with_its_checks():
    pair = Pair(_domain_build("log"))
    pair.run([([2.0],), ([2.5],), ([3.0],)])
    assert pair.calls == 2
    with anomaly():
        pair.run([([1.5 + k],) for k in range(3)])
        assert pair.calls == 5
        with pytest.raises(AnomalyError):
            pair.e_fn([INF])
        with pytest.raises(AnomalyError):
            pair.step([INF])
        assert pair.calls == 6
        pair.check("after the anomaly")
    pair.run([([2.0],), ([INF],)])
    assert pair.calls == 6, "replays again outside anomaly mode"


def _thread_build(seed):
    return moons_build(lambda ps: [optim.Adam(ps, lr=0.01)], sizes=(6, 1), seed=seed)


def test_two_threads_train_their_own_traced_steps_at_once():
    """Each thread trains its own model through its own traced step, started together for
    each call (a short switch interval to interleave them); the results are the same as
    training each alone, eagerly."""
    data = [moons(16, seed=k) for k in range(2)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)
    try:
        for _ in range(3):
            pairs = [Pair(_thread_build(k)) for k in range(2)]
            barrier = threading.Barrier(2)
            got: dict = {}

            def work(k):
                try:
                    outs = []
                    for _ in range(5):
                        barrier.wait(timeout=10)
                        outs.append(numbers(pairs[k].step(*data[k])))
                    got[k] = outs
                except Exception as e:  # noqa: BLE001 (reported below)
                    got[k] = e
                    barrier.abort()  # the other thread stops waiting for this one
            threads = [threading.Thread(target=work, args=(k,)) for k in range(2)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            errors = sorted((e for e in got.values() if isinstance(e, Exception)),
                            key=lambda e: isinstance(e, threading.BrokenBarrierError))
            if errors:
                raise errors[0]
            for k in range(2):
                eager = [numbers(pairs[k].e_fn(*data[k])) for _ in range(5)]
                assert same(eager, got[k])
                pairs[k].check(f"thread {k}")
    finally:
        sys.setswitchinterval(interval)


def test_a_thread_recording_while_another_records_does_not_spoil_either_record():
    """A fixed interleaving of two recording calls: thread B's call waits while trace reads
    its arguments (a float subclass whose float() waits), thread A starts recording meanwhile
    and waits inside its step until B records too; then each finishes its step."""
    b_reading, a_inside, b_inside, a_done = (threading.Event() for _ in range(4))
    pause = {"on": True}

    class Held(float):
        """A number (as numpy's float64 is a float) whose first reading waits."""

        held = False

        def __float__(self):
            if pause["on"] and not self.held:
                self.held = True
                b_reading.set()
                a_inside.wait(3)
            return float.__float__(self)

    def build(seed, wait):
        def loss_of(model, X, y):
            loss = vsum([(1.0 - yi * model(x)).relu() for x, yi in zip(X, y)])
            if pause["on"]:
                wait()  # after the forward pass, before zero_grad, backward and step
            return loss
        return step_build(lambda: MLP(2, [4, 1], seed=seed), loss_of,
                          partial(optim.SGD, lr=0.1))

    X, y = moons(6)
    pa = Pair(build(1, lambda: (a_inside.set(), b_inside.wait(3))))
    pb = Pair(build(2, lambda: (b_inside.set(), a_done.wait(3))))
    got: dict = {}

    def call_a():
        got["a"] = run(pa.step, (X, y))
        a_done.set()

    def call_b():
        got["b"] = run(pb.step, ([[Held(v) for v in row] for row in X], y))
    tb = threading.Thread(target=call_b)
    tb.start()
    assert b_reading.wait(3)
    ta = threading.Thread(target=call_a)
    ta.start()
    ta.join()
    tb.join()
    pause["on"] = False
    for pair, key in ((pa, "a"), (pb, "b")):
        e_out, _ = run(pair.e_fn, (X, y))
        assert got[key][1] is None and same(e_out, got[key][0]), got[key]
        pair.check(f"thread {key}'s first call")
        pair.run([(X, y)] * 4)
        assert pair.calls == 2
