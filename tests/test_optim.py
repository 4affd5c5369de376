"""Optimizers and schedulers vs torch.optim (float64): 50-step trajectories on a small MLP,
on the Rosenbrock function, and on array parameters; validation, state_dict, zero_grad."""

from __future__ import annotations

import inspect
import math
import random

import numpy as np
import pytest
import torch

from micrograd_plus import Value, dot, optim
from micrograd_plus.core.tensor import Tensor

STEPS = 50
TOL = 1e-10

# (optimizer name, keyword arguments): every option of every optimizer appears at least once
CONFIGS = [
    ("SGD", dict(lr=5e-4)),
    ("SGD", dict(lr=5e-4, momentum=0.9)),
    ("SGD", dict(lr=5e-4, momentum=0.9, nesterov=True)),
    ("SGD", dict(lr=5e-4, momentum=0.8, dampening=0.3, weight_decay=0.05)),
    ("SGD", dict(lr=3e-4, momentum=0.5, nesterov=True, weight_decay=0.1)),
    ("Adam", dict()),
    ("Adam", dict(lr=0.05)),
    ("Adam", dict(lr=0.02, betas=(0.8, 0.99), eps=1e-6, weight_decay=0.1)),
    ("Adam", dict(lr=0.05, amsgrad=True)),
    ("Adam", dict(lr=0.03, betas=(0.3, 0.4), weight_decay=0.01, amsgrad=True)),
    ("AdamW", dict(lr=0.05)),
    ("AdamW", dict(lr=0.05, weight_decay=0.3, amsgrad=True)),
    ("RMSprop", dict()),
    ("RMSprop", dict(lr=0.01, alpha=0.9, momentum=0.5)),
    ("RMSprop", dict(lr=0.005, centered=True, weight_decay=0.01)),
    ("RMSprop", dict(lr=0.005, alpha=0.3, eps=1e-6, centered=True, momentum=0.9)),
    ("Adagrad", dict()),
    ("Adagrad", dict(lr=0.1, lr_decay=0.01, weight_decay=0.01,
                     initial_accumulator_value=0.1, eps=1e-8)),
]
CONFIG_IDS = [f"{name}-{'-'.join(f'{k}={v}' for k, v in kw.items()) or 'defaults'}"
              for name, kw in CONFIGS]


def make_optimizers(name, kwargs, ours_params, torch_params):
    ours = getattr(optim, name)(ours_params, **kwargs)
    ref = getattr(torch.optim, name)(torch_params, foreach=False, **kwargs)
    return ours, ref


# -- problems: (Value parameters, loss on Values) mirrored by (torch parameters, loss) --------

class Rosenbrock:
    """f(x, y) = (1 − x)² + 100·(y − x²)², from (−1.5, 2)."""

    start = (-1.5, 2.0)

    def __init__(self):
        self.params = [Value(v) for v in self.start]
        self.tparams = [torch.tensor(v, dtype=torch.float64, requires_grad=True)
                        for v in self.start]

    @staticmethod
    def f(x, y):
        return (1 - x) ** 2 + 100 * (y - x**2) ** 2

    def loss(self):
        return self.f(*self.params)

    def torch_loss(self):
        return self.f(*self.tparams)

    def torch_values(self):
        return [t.item() for t in self.tparams]


class TinyMLP:
    """3 → 4 (tanh) → 1 (linear), mean squared error on 5 fixed samples."""

    def __init__(self, seed=0):
        rng = random.Random(seed)
        self.W1 = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(4)]
        self.b1 = [rng.uniform(-0.5, 0.5) for _ in range(4)]
        self.W2 = [[rng.uniform(-1, 1) for _ in range(4)]]
        self.b2 = [rng.uniform(-0.5, 0.5)]
        self.X = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(5)]
        self.T = [rng.uniform(-1, 1) for _ in range(5)]
        self.vW1 = [[Value(w) for w in row] for row in self.W1]
        self.vb1 = [Value(b) for b in self.b1]
        self.vW2 = [[Value(w) for w in row] for row in self.W2]
        self.vb2 = [Value(b) for b in self.b2]
        self.params = ([w for row in self.vW1 for w in row] + self.vb1
                       + [w for row in self.vW2 for w in row] + self.vb2)

        def t(a):
            return torch.tensor(a, dtype=torch.float64, requires_grad=True)

        self.tparams = [t(self.W1), t(self.b1), t(self.W2), t(self.b2)]

    def loss(self):
        total = 0.0
        for x, target in zip(self.X, self.T):
            h = [(dot(row, x) + b).tanh() for row, b in zip(self.vW1, self.vb1)]
            y = dot(self.vW2[0], h) + self.vb2[0]
            total = total + (y - target) ** 2
        return total / len(self.X)

    def torch_loss(self):
        W1, b1, W2, b2 = self.tparams
        X = torch.tensor(self.X, dtype=torch.float64)
        T = torch.tensor(self.T, dtype=torch.float64)
        y = (torch.tanh(X @ W1.T + b1) @ W2.T + b2).squeeze(1)
        return ((y - T) ** 2).mean()

    def torch_values(self):
        return torch.cat([t.detach().flatten() for t in self.tparams]).tolist()


PROBLEMS = {"rosenbrock": Rosenbrock, "mlp": TinyMLP}


def assert_same(ours, ref, step, what="parameters"):
    assert len(ours) == len(ref)
    for i, (a, b) in enumerate(zip(ours, ref)):
        assert math.isfinite(b), f"step {step}: torch diverged ({what}[{i}] = {b}); retune"
        assert abs(a - b) <= TOL * max(1.0, abs(b)), (
            f"step {step}: {what}[{i}] = {a!r}, torch has {b!r} (diff {a - b:.3g})")


def run_both(problem, opt, ref, sched=None, tsched=None, after_tsched=None):
    """STEPS steps on both sides; compares parameters (and lrs) after every step."""
    start = [p.data for p in problem.params]
    for step in range(1, STEPS + 1):
        opt.zero_grad()
        problem.loss().backward()
        opt.step()
        ref.zero_grad()
        problem.torch_loss().backward()
        ref.step()
        if sched is not None:
            sched.step()
            tsched.step()
            if after_tsched is not None:
                after_tsched(ref)
            assert_same(sched.get_last_lr(), [g["lr"] for g in ref.param_groups], step, "lr")
        assert_same([p.data for p in problem.params], problem.torch_values(), step)
    moved = max(abs(p.data - s) for p, s in zip(problem.params, start))
    assert moved > 1e-3, "the trajectory barely moved; the comparison would prove little"


@pytest.mark.parametrize("problem_name", sorted(PROBLEMS))
@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=CONFIG_IDS)
def test_trajectory_matches_torch(problem_name, name, kwargs):
    problem = PROBLEMS[problem_name]()
    opt, ref = make_optimizers(name, kwargs, problem.params, problem.tparams)
    run_both(problem, opt, ref)


# -- the same rules on ndarray parameters (the Tensor path): updated in place ---------------

class ArrayParam:
    """The minimal parameter protocol of a Tensor: ndarray ``data``, ndarray-or-None ``grad``."""

    def __init__(self, data):
        self.data = np.array(data, dtype=np.float64)
        self.grad = None


def array_grads(P, q):
    """Gradients of Σ Rosenbrock(P[0], P[1]) + Σ (q − 1)² · [1, 2, 3], in closed form."""
    x, y = P
    gP = np.stack([-2 * (1 - x) - 400 * x * (y - x**2), 200 * (y - x**2)])
    return gP, 2 * (q - 1) * np.array([1.0, 2.0, 3.0])


@pytest.mark.parametrize("name,kwargs", CONFIGS, ids=CONFIG_IDS)
def test_array_parameters_match_torch_and_update_in_place(name, kwargs):
    P = ArrayParam([[-1.5, 0.5, 1.2], [2.0, -0.5, 1.0]])
    q = ArrayParam([0.0, 3.0, -2.0])
    frozen = ArrayParam([7.0, 8.0])  # grad stays None: skipped, no state, as in torch
    tP, tq, tfrozen = (torch.tensor(a.data.copy(), requires_grad=True) for a in (P, q, frozen))
    opt, ref = make_optimizers(name, kwargs, [P, q, frozen], [tP, tq, tfrozen])
    P_array, q_array = P.data, q.data
    view = P.data[1]  # a view must see the updates
    for step in range(1, STEPS + 1):
        gP, gq = array_grads(P.data, q.data)
        P.grad, q.grad = gP, gq
        tP.grad, tq.grad = torch.from_numpy(gP.copy()), torch.from_numpy(gq.copy())
        opt.step()
        ref.step()
        assert P.data is P_array and q.data is q_array, "data must be updated in place"
        np.testing.assert_allclose(P.data, tP.detach().numpy(), rtol=TOL, atol=TOL)
        np.testing.assert_allclose(q.data, tq.detach().numpy(), rtol=TOL, atol=TOL)
    np.testing.assert_array_equal(view, P.data[1])
    np.testing.assert_array_equal(frozen.data, [7.0, 8.0])
    assert frozen not in opt.state
    assert np.abs(q.data - [0.0, 3.0, -2.0]).max() > 1e-3


def test_optimizer_does_not_modify_the_grad_array():
    p = ArrayParam([1.0, -2.0])
    g = np.array([0.5, 0.25])
    p.grad = g
    opt = optim.SGD([p], lr=0.1, momentum=0.9, weight_decay=0.1)
    opt.step()
    g += 1.0  # a later backward accumulating in place must not leak into the momentum buffer
    np.testing.assert_array_equal(opt.state[p]["momentum_buffer"], [0.5 + 0.1, 0.25 - 0.2])


def test_real_tensor_parameters_match_torch_adam():
    t = Tensor([1.0, -2.0, 3.0], requires_grad=True)
    ref = torch.tensor([1.0, -2.0, 3.0], dtype=torch.float64, requires_grad=True)
    opt, tref = optim.Adam([t], lr=0.1), torch.optim.Adam([ref], lr=0.1, foreach=False)
    for _ in range(5):
        opt.zero_grad()
        ((t * t).sum()).backward()
        opt.step()
        tref.zero_grad()
        ((ref * ref).sum()).backward()
        tref.step()
    np.testing.assert_allclose(t.data, ref.detach().numpy(), rtol=TOL, atol=TOL)


# -- schedulers -------------------------------------------------------------------------------

def micrograd_decay(k):
    """micrograd demo.ipynb's lr = 1.0 − 0.9·k/100, as a factor of the base lr."""
    return 1.0 - 0.9 * k / 100


def warmup_then_decay(k):
    """λ(0) = 0.2 ≠ 1: the constructor must already scale the lr, as torch's does."""
    return min(1.0, (k + 1) / 5) * 0.93**k


SCHEDULERS = [
    ("StepLR", dict(step_size=7, gamma=0.5)),
    ("ExponentialLR", dict(gamma=0.95)),
    ("CosineAnnealingLR", dict(T_max=20)),
    ("CosineAnnealingLR", dict(T_max=8, eta_min=1e-3)),  # several periods: trough branch
    ("LambdaLR", dict(lr_lambda=micrograd_decay)),
    ("LambdaLR", dict(lr_lambda=warmup_then_decay)),
]
# ids by function name, not repr: a repr holds an address, and xdist workers must agree
SCHED_IDS = [f"{n}-" + ",".join(f"{k}={getattr(v, '__name__', v)}" for k, v in kw.items())
             for n, kw in SCHEDULERS]
SCHED_OPTS = [("SGD", dict(lr=5e-4, momentum=0.9)), ("Adam", dict(lr=0.05)),
              ("RMSprop", dict(lr=0.01, centered=True))]


@pytest.mark.parametrize("problem_name", sorted(PROBLEMS))
@pytest.mark.parametrize("opt_name,opt_kwargs", SCHED_OPTS, ids=[n for n, _ in SCHED_OPTS])
@pytest.mark.parametrize("sched_name,sched_kwargs", SCHEDULERS, ids=SCHED_IDS)
def test_scheduler_trajectory_matches_torch(problem_name, opt_name, opt_kwargs, sched_name,
                                            sched_kwargs):
    problem = PROBLEMS[problem_name]()
    opt, ref = make_optimizers(opt_name, opt_kwargs, problem.params, problem.tparams)
    sched = getattr(optim, sched_name)(opt, **sched_kwargs)
    tsched = getattr(torch.optim.lr_scheduler, sched_name)(ref, **sched_kwargs)
    assert sched.get_last_lr() == tsched.get_last_lr()
    run_both(problem, opt, ref, sched, tsched)


def test_steplr_floor_matches_torch_until_the_floor_then_stays_there():
    lr, floor = 0.1, 0.01
    p, tp = Value(1.0), torch.tensor(1.0, dtype=torch.float64, requires_grad=True)
    sched = optim.StepLR(optim.SGD([p], lr=lr), step_size=5, gamma=0.5, min_lr=floor)
    tsched = torch.optim.lr_scheduler.StepLR(torch.optim.SGD([tp], lr=lr), 5, gamma=0.5)
    hit_floor = 0
    for _ in range(60):
        tsched.optimizer.step()  # no grads: a no-op that keeps torch from warning
        sched.step()
        tsched.step()
        (ours,), (theirs,) = sched.get_last_lr(), tsched.get_last_lr()
        if theirs >= floor:
            assert ours == theirs
        else:
            hit_floor += 1
            assert ours == floor
    assert hit_floor > 20  # the floor was reached and held for many steps


@pytest.mark.parametrize("problem_name", sorted(PROBLEMS))
def test_steplr_floor_trajectory_equals_torch_with_a_manual_clamp(problem_name):
    problem = PROBLEMS[problem_name]()
    opt, ref = make_optimizers("SGD", dict(lr=8e-4, momentum=0.5), problem.params,
                               problem.tparams)
    sched = optim.StepLR(opt, step_size=4, gamma=0.5, min_lr=1.5e-4)
    tsched = torch.optim.lr_scheduler.StepLR(ref, step_size=4, gamma=0.5)

    def clamp(tref):
        for g in tref.param_groups:
            g["lr"] = max(g["lr"], 1.5e-4)

    run_both(problem, opt, ref, sched, tsched, after_tsched=clamp)
    assert sched.get_last_lr() == [1.5e-4]


def test_lambdalr_one_function_per_group_matches_torch():
    problem = TinyMLP(seed=2)
    half = 12
    W1, b1, W2, b2 = problem.tparams
    opt = optim.SGD([{"params": problem.params[:half]},
                     {"params": problem.params[half:], "lr": 2e-3}], lr=5e-4, momentum=0.9)
    ref = torch.optim.SGD([{"params": [W1]}, {"params": [b1, W2, b2], "lr": 2e-3}], lr=5e-4,
                          momentum=0.9, foreach=False)
    fns = [warmup_then_decay, micrograd_decay]
    sched = optim.LambdaLR(opt, fns)
    tsched = torch.optim.lr_scheduler.LambdaLR(ref, fns)
    assert sched.get_last_lr() == tsched.get_last_lr() == [5e-4 * 0.2, 2e-3]
    run_both(problem, opt, ref, sched, tsched)


def test_lambdalr_errors_and_state_dict():
    opt = optim.SGD([Value(0.0)], lr=0.1)
    with pytest.raises(ValueError, match="LambdaLR: got 2 lr_lambdas for 1 parameter groups"):
        optim.LambdaLR(opt, [micrograd_decay, micrograd_decay])
    with pytest.raises(TypeError, match="lr_lambda must be a function"):
        optim.LambdaLR(opt, 0.5)
    with pytest.raises(TypeError, match=r"lr_lambda\(0\) returned 'fast', not a number"):
        optim.LambdaLR(opt, lambda k: "fast")
    sched = optim.LambdaLR(opt, micrograd_decay)
    for _ in range(30):
        sched.step()
    saved = sched.state_dict()
    assert "lr_lambdas" not in saved and saved["last_epoch"] == 30
    resumed = optim.LambdaLR(optim.SGD([Value(0.0)], lr=0.1), micrograd_decay)
    resumed.load_state_dict(saved)
    resumed.step()
    sched.step()
    assert resumed.get_last_lr() == sched.get_last_lr() == [0.1 * micrograd_decay(31)]


def test_seed_schedule_times_09_every_50_with_floor_00008():
    opt = optim.SGD([Value(0.0)], lr=0.01)
    sched = optim.StepLR(opt, step_size=50, gamma=0.9, min_lr=0.0008)
    for it in range(1, 3001):
        sched.step()
        expected = max(0.01 * 0.9 ** (it // 50), 0.0008)
        assert math.isclose(opt.param_groups[0]["lr"], expected, rel_tol=1e-12), it
    assert sched.get_last_lr() == [0.0008]


def test_steplr_floor_never_raises_a_smaller_lr_and_accepts_one_floor_per_group():
    a, b = Value(0.0), Value(0.0)
    opt = optim.SGD([{"params": [a], "lr": 0.0005}, {"params": [b], "lr": 1.0}], lr=0.1)
    sched = optim.StepLR(opt, step_size=1, gamma=0.5, min_lr=[0.0008, 0.2])
    for _ in range(10):
        sched.step()
    assert sched.get_last_lr() == [0.0005, 0.2]


# -- defaults, validation and errors --------------------------------------------------------

@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"])
def test_defaults_equal_torch(name):
    ours = inspect.signature(getattr(optim, name)).parameters
    theirs = inspect.signature(getattr(torch.optim, name)).parameters
    shared = [k for k in ours if k != "params"]
    assert shared and all(k in theirs for k in shared)
    for k in shared:
        assert ours[k].default == theirs[k].default, k


@pytest.mark.parametrize("name,kwargs,message", [
    ("SGD", dict(lr=-0.1), "lr"),
    ("SGD", dict(lr=float("nan")), "lr"),
    ("SGD", dict(momentum=-0.5), "momentum"),
    ("SGD", dict(weight_decay=-1e-4), "weight_decay"),
    ("SGD", dict(nesterov=True), "nesterov"),
    ("SGD", dict(momentum=0.9, dampening=0.1, nesterov=True), "nesterov"),
    ("Adam", dict(lr=-1e-3), "lr"),
    ("Adam", dict(betas=(1.0, 0.999)), "betas[0]"),
    ("Adam", dict(betas=(0.9, -0.1)), "betas[1]"),
    ("Adam", dict(eps=-1e-8), "eps"),
    ("AdamW", dict(weight_decay=-0.01), "weight_decay"),
    ("RMSprop", dict(alpha=1.5), "alpha"),
    ("RMSprop", dict(momentum=-0.1), "momentum"),
    ("RMSprop", dict(eps=-1.0), "eps"),
    ("Adagrad", dict(lr_decay=-0.1), "lr_decay"),
    ("Adagrad", dict(initial_accumulator_value=-1.0), "initial_accumulator_value"),
])
def test_invalid_hyper_parameters_raise_value_error(name, kwargs, message):
    with pytest.raises(ValueError, match=f"{name}.*{message.replace('[', '.').replace(']', '.')}"):
        getattr(optim, name)([Value(1.0)], **kwargs)


def test_non_numeric_hyper_parameter_is_a_type_error():
    with pytest.raises(TypeError, match="lr"):
        optim.SGD([Value(1.0)], lr="0.1")
    with pytest.raises(TypeError, match="betas"):
        optim.Adam([Value(1.0)], betas=0.9)


def test_bad_params_give_clear_errors():
    from micrograd_plus import nn

    with pytest.raises(ValueError, match="empty parameter list"):
        optim.SGD([], lr=0.1)
    with pytest.raises(TypeError, match="params\\[1\\] is a float"):
        optim.SGD([Value(1.0), 2.0], lr=0.1)
    with pytest.raises(TypeError, match="iterable"):
        optim.SGD(Value(1.0), lr=0.1)
    with pytest.raises(TypeError, match="model.parameters"):
        optim.Adam(nn.MLP(2, [1]))
    with pytest.raises(TypeError, match="set"):
        optim.SGD({Value(1.0)}, lr=0.1)
    x = Value(1.0)
    with pytest.raises(ValueError, match="not a leaf"):
        optim.SGD([x * 2], lr=0.1)
    with pytest.raises(ValueError, match="more than once"):
        optim.SGD([x, x], lr=0.1)


def test_grad_shape_mismatch_is_a_value_error():
    p = ArrayParam([1.0, 2.0])
    p.grad = np.ones(3)
    with pytest.raises(ValueError, match=r"shape \(3,\).*shape \(2,\)"):
        optim.Adam([p]).step()


def test_scheduler_errors():
    with pytest.raises(TypeError, match="optimizer"):
        optim.StepLR(torch.optim.SGD([torch.zeros(1, requires_grad=True)]), 5)
    opt = optim.SGD([Value(0.0)], lr=0.1)
    with pytest.raises(ValueError, match="step_size"):
        optim.StepLR(opt, 0)
    with pytest.raises(ValueError, match="min_lr"):
        optim.StepLR(opt, 5, min_lr=-1.0)
    with pytest.raises(ValueError, match="StepLR: got 2 min_lr values for 1 parameter groups"):
        optim.StepLR(opt, 5, min_lr=[0.1, 0.2])
    with pytest.raises(ValueError, match="T_max"):
        optim.CosineAnnealingLR(opt, T_max=0)


# -- zero_grad, skipping, closures, param groups, state_dict ---------------------------------

def test_zero_grad_resets_values_to_zero_and_arrays_to_none_or_zeros():
    v, a = Value(1.0), ArrayParam([1.0, 2.0])
    v.grad, a.grad = 3.0, np.array([1.0, 1.0])
    opt = optim.SGD([v, a], lr=0.1)
    opt.zero_grad(set_to_none=False)
    g = a.grad
    assert v.grad == 0.0 and a.grad is g and not g.any()
    opt.zero_grad()
    assert v.grad == 0.0 and a.grad is None


def test_value_with_requires_grad_false_is_not_updated():
    frozen = Value(2.0, requires_grad=False)
    live = Value(2.0)
    frozen.grad = live.grad = 1.0
    optim.SGD([frozen, live], lr=0.5, weight_decay=0.1).step()
    assert frozen.data == 2.0 and live.data == 2.0 - 0.5 * (1.0 + 0.1 * 2.0)


def test_step_with_closure_returns_the_loss():
    x = Value(3.0)
    opt = optim.SGD([x], lr=0.25)

    def closure():
        opt.zero_grad()
        loss = x * x
        loss.backward()
        return loss

    loss = opt.step(closure)
    assert loss.data == 9.0 and x.data == 3.0 - 0.25 * 6.0


def test_param_groups_with_their_own_lr_match_torch():
    problem = TinyMLP(seed=3)
    half = 12  # W1 in the first group, everything else in the second
    opt = optim.Adam([{"params": problem.params[:half]},
                      {"params": problem.params[half:], "lr": 0.01}], lr=0.05)
    W1, b1, W2, b2 = problem.tparams
    ref = torch.optim.Adam([{"params": [W1]}, {"params": [b1, W2, b2], "lr": 0.01}], lr=0.05,
                           foreach=False)
    assert half == W1.numel()
    run_both(problem, opt, ref)


@pytest.mark.parametrize("name,kwargs", CONFIGS[::2], ids=CONFIG_IDS[::2])
def test_state_dict_round_trip_resumes_the_same_trajectory(name, kwargs):
    first, second = TinyMLP(seed=1), TinyMLP(seed=1)
    opt = getattr(optim, name)(first.params, **kwargs)
    for _ in range(10):
        opt.zero_grad()
        first.loss().backward()
        opt.step()
    saved = opt.state_dict()
    for p, q in zip(first.params, second.params):
        q.data = p.data
    resumed = getattr(optim, name)(second.params, lr=123.0)  # load must restore the lr
    resumed.load_state_dict(saved)
    assert resumed.param_groups[0]["lr"] == opt.param_groups[0]["lr"]
    for _ in range(10):
        for o, prob in ((opt, first), (resumed, second)):
            o.zero_grad()
            prob.loss().backward()
            o.step()
    assert [p.data for p in first.params] == [q.data for q in second.params]


def test_state_dict_is_a_snapshot_and_uses_torch_layout():
    p = ArrayParam([1.0, 2.0])
    opt = optim.Adam([p], lr=0.1)
    p.grad = np.array([1.0, -1.0])
    opt.step()
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"} and sd["param_groups"][0]["params"] == [0]
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq"}
    before = sd["state"][0]["exp_avg"].copy()
    opt.step()
    np.testing.assert_array_equal(sd["state"][0]["exp_avg"], before)


def test_load_state_dict_rejects_a_mismatched_layout():
    opt = optim.SGD([Value(1.0), Value(2.0)], lr=0.1, momentum=0.9)
    other = optim.SGD([Value(1.0)], lr=0.1)
    with pytest.raises(ValueError, match="has 1 parameters.*has 2"):
        other.load_state_dict(opt.state_dict())
    a = ArrayParam([1.0, 2.0])
    a.grad = np.ones(2)
    src = optim.SGD([a], lr=0.1, momentum=0.9)
    src.step()
    dst = optim.SGD([ArrayParam([1.0, 2.0, 3.0])], lr=0.1, momentum=0.9)
    with pytest.raises(ValueError, match="momentum_buffer.*shape"):
        dst.load_state_dict(src.state_dict())
    # a malformed layout was a bare KeyError 'params' / "object of type 'int' has no len()"
    for bad in ({"state": {}, "param_groups": [{}]}, {"state": {}, "param_groups": 3},
                {"state": 3, "param_groups": [{"params": [0]}]}):
        with pytest.raises(ValueError, match="SGD: 'param_groups' must be a list of dicts"):
            other.load_state_dict(bad)


def test_scheduler_state_dict_round_trip():
    opt = optim.SGD([Value(0.0)], lr=0.1)
    sched = optim.CosineAnnealingLR(opt, T_max=10)
    for _ in range(4):
        sched.step()
    saved = sched.state_dict()
    assert "optimizer" not in saved and saved["last_epoch"] == 4
    opt2 = optim.SGD([Value(0.0)], lr=0.1)
    sched2 = optim.CosineAnnealingLR(opt2, T_max=10)
    sched2.load_state_dict(saved)
    opt2.param_groups[0]["lr"] = opt.param_groups[0]["lr"]
    for _ in range(6):
        sched.step()
        sched2.step()
        assert sched.get_last_lr() == sched2.get_last_lr()
    with pytest.raises(ValueError, match="unknown"):
        sched2.load_state_dict({"bogus": 1})
    with pytest.raises(TypeError, match="CosineAnnealingLR: load_state_dict expects a dict"):
        sched2.load_state_dict(3)


def test_repr_lists_the_hyper_parameters():
    text = repr(optim.Adam([Value(1.0)], lr=0.5))
    assert text.startswith("Adam (") and "lr: 0.5" in text and "betas: (0.9, 0.999)" in text


# -- load_state_dict validates every entry; step() is all-or-nothing (issue 14, item 7) --------

def _stepped(name="Adam", **kwargs):
    """An optimizer over a Value and an array parameter, after two steps."""
    v, a = Value(0.5), ArrayParam([1.0, -2.0, 3.0])
    opt = getattr(optim, name)([v, a], lr=0.1, **kwargs)
    for _ in range(2):
        v.grad, a.grad = 0.3, np.array([0.1, -0.2, 0.3])
        opt.step()
    return opt, v, a


def _snapshot(opt, params):
    return ([np.copy(p.data) for p in params], repr(opt.state_dict()),
            [dict(g, params=None) for g in opt.param_groups])


def _json_round_trip(sd):
    import json
    return json.loads(json.dumps(sd, default=lambda x: x.tolist()))


@pytest.mark.parametrize("where, bad, error, message", [
    ((0, "exp_avg"), "abc", TypeError, r"state\[0\]\['exp_avg'\].*str"),
    ((0, "exp_avg"), None, TypeError, r"state\[0\]\['exp_avg'\].*NoneType"),
    ((0, "exp_avg"), True, TypeError, r"state\[0\]\['exp_avg'\].*bool"),
    ((0, "exp_avg"), np.zeros(3), TypeError, r"state\[0\]\['exp_avg'\].*real number"),
    ((1, "exp_avg"), None, TypeError, r"state\[1\]\['exp_avg'\]"),
    ((1, "exp_avg"), np.zeros(2), ValueError, r"state\[1\]\['exp_avg'\] has shape \(2,\)"),
    ((1, "exp_avg_sq"), np.zeros(3, complex), TypeError, r"state\[1\]\['exp_avg_sq'\].*complex"),
    ((1, "exp_avg_sq"), ["1", "2", "3"], TypeError, r"state\[1\]\['exp_avg_sq'\].*str"),
    ((1, "exp_avg"), [1, 2, 10**400], ValueError, r"state\[1\]\['exp_avg'\].*too large"),
    ((1, "step"), "2", TypeError, r"state\[1\]\['step'\].*int"),
    ((1, "step"), -1, ValueError, r"state\[1\]\['step'\].*>= 0"),
    ((1, "step"), 2.5, TypeError, r"state\[1\]\['step'\]"),
    ((1, "step"), True, TypeError, r"state\[1\]\['step'\]"),
    ((1, "step"), None, TypeError, r"state\[1\]\['step'\]"),
    ((1, "step"), "DELETE", ValueError, r"state\[1\] is missing 'step'"),
    ((0, "exp_avg_sq"), "DELETE", ValueError, r"state\[0\] is missing 'exp_avg_sq'"),
    ((0, "max_exp_avg_sq"), 0.0, ValueError,
     r"state\[0\] has unknown entries \['max_exp_avg_sq'\]"),
])
def test_optimizer_load_state_dict_refuses_a_malformed_entry(where, bad, error, message):
    opt, v, a = _stepped()
    before = _snapshot(opt, [v, a])
    sd = opt.state_dict()
    idx, key = where
    if isinstance(bad, str) and bad == "DELETE":
        del sd["state"][idx][key]
    else:
        sd["state"][idx][key] = bad
    with pytest.raises(error, match="Adam: load_state_dict: " + message):
        opt.load_state_dict(sd)
    assert repr(_snapshot(opt, [v, a])) == repr(before)
    # the optimizer still works and was not half-changed
    v.grad, a.grad = 0.3, np.array([0.1, -0.2, 0.3])
    opt.step()


@pytest.mark.parametrize("mutate, error, message", [
    (lambda sd: sd["param_groups"][0].pop("lr"), ValueError,
     r"param_groups\[0\] is missing 'lr'"),
    (lambda sd: sd["param_groups"][0].update(lr="0.1"), TypeError, "lr must be a real number"),
    (lambda sd: sd["param_groups"][0].update(params=[0, "x"]), ValueError,
     r"param_groups\[0\]\['params'\] must be a list of parameter indices"),
    (lambda sd: sd["param_groups"][0].update(params=[0, 0]), ValueError,
     r"param_groups\[0\]\['params'\] must be a list of parameter indices"),
    (lambda sd: sd["state"].update({"x": {}}), ValueError,
     r"state has an entry for unknown parameter 'x'"),
    (lambda sd: sd["state"].update({"01": {}}), ValueError,
     r"state has an entry for unknown parameter '01'"),
    (lambda sd: sd["state"].update({7: {}}), ValueError,
     r"state has an entry for unknown parameter 7"),
    (lambda sd: sd["state"].update({"0": sd["state"][0]}), ValueError,
     r"state has two entries for parameter 0: 0 and '0'"),
    (lambda sd: sd["state"].update({0: [1, 2]}), TypeError,
     r"state\[0\] must be a dict, got list"),
])
def test_optimizer_load_state_dict_refuses_a_malformed_layout(mutate, error, message):
    opt, v, a = _stepped()
    before = _snapshot(opt, [v, a])
    sd = opt.state_dict()
    mutate(sd)
    with pytest.raises(error, match=message):
        opt.load_state_dict(sd)
    assert repr(_snapshot(opt, [v, a])) == repr(before)


def test_optimizer_load_state_dict_refuses_a_list_or_none():
    opt, v, a = _stepped()
    for bad in ([("state", {}), ("param_groups", [])], None, "state"):
        with pytest.raises(TypeError, match=f"Adam: load_state_dict expects a dict .*, got "
                                            f"{type(bad).__name__}"):
            opt.load_state_dict(bad)
    sd = opt.state_dict()
    sd["param_groups"] = sd["param_groups"][0]  # a dict where a list of dicts belongs
    with pytest.raises(ValueError, match="'param_groups' must be a list of dicts"):
        opt.load_state_dict(sd)


@pytest.mark.parametrize("name,kwargs", CONFIGS[::2], ids=CONFIG_IDS[::2])
def test_optimizer_state_survives_a_json_round_trip(name, kwargs):
    """JSON turns int keys into strings, arrays into lists, tuples into lists: all load."""
    opt, v, a = _stepped(name, **{k: w for k, w in kwargs.items() if k != "lr"})
    saved = _json_round_trip(opt.state_dict())
    assert all(isinstance(k, str) for k in saved["state"])
    v2, a2 = Value(v.data), ArrayParam(a.data)
    resumed = getattr(optim, name)([v2, a2], lr=123.0)
    resumed.load_state_dict(saved)
    for _ in range(3):
        for o, (p, q) in ((opt, (v, a)), (resumed, (v2, a2))):
            p.grad, q.grad = -0.2, np.array([0.3, 0.1, -0.5])
            o.step()
    assert v.data == v2.data and np.array_equal(a.data, a2.data)
    for p, q in ((v, v2), (a, a2)):
        for key, value in opt.state[p].items():
            other = resumed.state[q][key]
            assert type(other) is type(value) and np.array_equal(other, value), key
    # the loaded arrays are the optimizer's own, of the parameter's dtype
    assert all(isinstance(x, (np.ndarray, int, float)) for x in resumed.state[a2].values())


def test_step_is_all_or_nothing():
    """A failure on the second parameter leaves the first one and every state as they were."""
    v, a = Value(0.5), ArrayParam([1.0, -2.0, 3.0])
    opt = optim.Adam([v, a], lr=0.1)
    v.grad, a.grad = 0.3, np.array([0.1, -0.2, 0.3])
    opt.step()
    before = _snapshot(opt, [v, a])
    for bad_grad in (np.ones(2), "abc", np.array(["1", "2", "3"])):
        v.grad, a.grad = 0.3, bad_grad
        with pytest.raises((TypeError, ValueError)):
            opt.step()
        assert repr(_snapshot(opt, [v, a])) == repr(before)
    # state corrupted behind the optimizer's back: still nothing half-written
    opt.state[a]["exp_avg_sq"] = "oops"
    v.grad, a.grad = 0.3, np.array([0.1, -0.2, 0.3])
    with pytest.raises(TypeError):
        opt.step()
    assert v.data == float(before[0][0]) and opt.state[v]["step"] == 1


def test_step_is_all_or_nothing_for_sgd_momentum():
    v, a = Value(0.5), ArrayParam([1.0, -2.0, 3.0])
    opt = optim.SGD([v, a], lr=0.1, momentum=0.9)
    v.grad, a.grad = 0.3, np.ones(3)
    opt.step()
    before = _snapshot(opt, [v, a])
    v.grad, a.grad = 0.3, np.ones((3, 3))
    with pytest.raises(ValueError, match="grad of shape \\(3, 3\\)"):
        opt.step()
    assert repr(_snapshot(opt, [v, a])) == repr(before)
