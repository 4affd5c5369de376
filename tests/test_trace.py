"""micrograd_plus.trace: a replayed step gives the eager step's numbers, and refuses what it
cannot replay."""

from __future__ import annotations

import importlib

import numpy as np
import pytest

import micrograd_plus.core.tensor as mp
from micrograd_plus import Tensor, TraceError, Value, losses, nn, no_grad, optim, trace


def _model(act: str, sizes=(3, 8, 8, 2), seed: int = 0) -> nn.Sequential:
    layers: list = []
    acts = {"tanh": nn.Tanh, "relu": nn.ReLU, "sigmoid": nn.Sigmoid}
    for k in range(len(sizes) - 1):
        layers.append(nn.Linear(sizes[k], sizes[k + 1], seed=seed + k))
        if k < len(sizes) - 2:
            layers.append(acts[act]())
    return nn.Sequential(*layers)


def _optimizer(name: str, params: list) -> optim.Optimizer:
    if name == "sgd":
        return optim.SGD(params, lr=0.1)
    if name == "momentum":
        return optim.SGD(params, lr=0.05, momentum=0.9, nesterov=True, weight_decay=1e-3)
    if name == "adam":
        return optim.Adam(params, lr=1e-2)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=1e-2, momentum=0.5)
    if name == "adagrad":
        return optim.Adagrad(params, lr=0.1)
    return optim.AdamW(params, lr=1e-2, weight_decay=0.1, amsgrad=True)


def _data(loss: str, n: int = 20, seed: int = 0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3))
    if loss == "cross_entropy":
        return X, rng.integers(0, 2, n).astype(float)
    if loss == "bce":
        return X, rng.integers(0, 2, (n, 2)).astype(float)
    return X, rng.normal(size=(n, 2))


def _loss(name: str, out: Tensor, y: Tensor) -> Tensor:
    if name == "cross_entropy":
        return losses.cross_entropy(out, y)
    if name == "bce":
        return losses.bce(out.sigmoid(), y)
    return losses.mse(out, y)


def _learn(opt: optim.Optimizer, loss: Tensor) -> Tensor:
    """The end of a training step: zero_grad, backward, the optimizer's step; the loss."""
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss


def _pair(act: str, loss: str, opt_name: str):
    """Two identical models and optimizers, one step function for each."""
    made = []
    for _ in range(2):
        model = _model(act)
        opt = _optimizer(opt_name, model.parameters())

        def step(x, y, model=model, opt=opt):
            return _learn(opt, _loss(loss, model(x), y))

        made.append((model, opt, step))
    return made


@pytest.mark.parametrize("act,loss,opt_name", [
    ("tanh", "cross_entropy", "sgd"),
    ("relu", "mse", "momentum"),
    ("sigmoid", "bce", "adam"),
    ("tanh", "mse", "adamw"),
    ("relu", "cross_entropy", "adam"),
    ("sigmoid", "mse", "rmsprop"),
    ("tanh", "bce", "adagrad"),
])
def test_replay_matches_eager_bit_for_bit(act, loss, opt_name):
    (m1, o1, eager), (m2, o2, step) = _pair(act, loss, opt_name)
    traced = trace(step)
    batches = [_data(loss, seed=s) for s in range(3)]  # new data every call, one shape
    for i in range(25):
        X, y = batches[i % 3]
        a = eager(Tensor(X), Tensor(y))
        b = traced(Tensor(X), Tensor(y))
        assert a.item() == b.item(), i
        for p, q in zip(m1.parameters(), m2.parameters()):
            assert np.array_equal(p.data, q.data), i
            assert np.array_equal(p.grad, q.grad), i
    assert traced.compiled, "the step was not compiled"
    for p, q in zip(m1.parameters(), m2.parameters()):  # the optimizer states agree too
        for key, v in o1.state[p].items():
            assert np.array_equal(v, o2.state[q][key]), key


def test_moons_step_with_a_penalty_over_the_parameters():
    """The benchmark's step: a max-margin loss plus α·Σ p² over every parameter."""
    X = np.random.default_rng(1).normal(size=(30, 2))
    y = np.sign(X[:, :1] * X[:, 1:] + 0.1)
    runs = []
    for traced in (False, True):
        model = _model("relu", (2, 16, 16, 1))
        params = model.parameters()
        opt = optim.SGD(params, lr=0.05)
        Xt, yt = Tensor(X), Tensor(y)

        def step():
            scores = model(Xt)
            loss = (1.0 - yt * scores).relu().mean() + 1e-4 * sum((p * p).sum() for p in params)
            return _learn(opt, loss)

        f = trace(step) if traced else step
        runs.append(([f().item() for _ in range(30)], [p.data.copy() for p in params]))
    assert runs[0][0] == runs[1][0]
    assert all(np.array_equal(a, b) for a, b in zip(runs[0][1], runs[1][1]))


def test_float32_model_is_replayed_in_float32():
    model = nn.Sequential(nn.Linear(3, 4, seed=0, dtype=np.float32), nn.Tanh(),
                          nn.Linear(4, 1, seed=1, dtype=np.float32))
    twin = nn.Sequential(nn.Linear(3, 4, seed=0, dtype=np.float32), nn.Tanh(),
                         nn.Linear(4, 1, seed=1, dtype=np.float32))
    X = Tensor(np.random.default_rng(0).normal(size=(5, 3)), dtype=np.float32)
    y = Tensor(np.ones((5, 1)), dtype=np.float32)

    def make(m):
        opt = optim.Adam(m.parameters(), lr=0.01)

        def step(x, t):
            return _learn(opt, losses.mse(m(x), t))
        return step

    eager, traced = make(model), trace(make(twin))
    for _ in range(6):
        assert eager(X, y).item() == traced(X, y).item()
    for p, q in zip(model.parameters(), twin.parameters()):
        assert q.data.dtype == np.float32 and np.array_equal(p.data, q.data)


def _simple(opt_cls=optim.SGD, **kw):
    model = _model("tanh", (3, 4, 1))
    opt = opt_cls(model.parameters(), **kw)

    @trace
    def step(x, y):
        return _learn(opt, losses.mse(model(x), y))

    return model, opt, step


def _compare_with_twin(step, twin, twin_opt, calls: int) -> None:
    """Each of ``calls`` calls of a _simple step gives the loss of the same step run eagerly
    on a twin model and optimizer."""
    X, y = np.ones((4, 3)), np.zeros((4, 1))
    for _ in range(calls):
        a = step(X, y).item()
        loss = _learn(twin_opt, losses.mse(twin(Tensor(X)), Tensor(y)))
        assert a == loss.item()


def test_new_shapes_and_dtypes_record_again():
    model, opt, step = _simple(lr=0.1)
    rng = np.random.default_rng(0)
    for n in (4, 4, 4, 7, 7, 7, 4):
        X, y = rng.normal(size=(n, 3)), rng.normal(size=(n, 1))
        twin_loss = losses.mse(model(Tensor(X)), Tensor(y)).item()
        assert step(X, y).item() == twin_loss  # numpy arrays are accepted as inputs
    assert len(step.compiled) == 2
    X32 = Tensor(rng.normal(size=(4, 3)), dtype=np.float32)
    step(X32, Tensor(rng.normal(size=(4, 1))))
    assert len(step.compiled) == 2  # the float32 signature has been recorded once only


def test_parameters_changed_between_calls_are_seen():
    model, opt, step = _simple(lr=0.1)
    X, y = np.ones((4, 3)), np.zeros((4, 1))
    for _ in range(3):
        step(X, y)
    state = model.state_dict()
    saved = {k: np.array(v) for k, v in state.items()}
    for _ in range(3):
        step(X, y)
    model.load_state_dict(saved)  # in place: the replay must read the restored numbers
    expected = losses.mse(model(Tensor(X)), Tensor(y)).item()
    assert step(X, y).item() == expected
    with no_grad():
        model[0].weight.copy_(np.zeros((4, 3)))
    expected = losses.mse(model(Tensor(X)), Tensor(y)).item()
    assert step(X, y).item() == expected


def test_parameter_data_replaced_records_again():
    model, opt, step = _simple(lr=0.1)
    X, y = np.ones((4, 3)), np.zeros((4, 1))
    for _ in range(3):
        step(X, y)
    model[0].weight.data = np.zeros((4, 3))  # a new array: the compiled step is stale
    expected = losses.mse(model(Tensor(X)), Tensor(y)).item()
    assert step(X, y).item() == expected
    step(X, y)
    step(X, y)
    assert step.compiled


def test_learning_rate_change_records_again_and_counts_the_step():
    model, opt, step = _simple(optim.Adam, lr=0.01)
    twin, twin_opt, _ = _simple(optim.Adam, lr=0.01)
    twin.load_state_dict(model.state_dict())
    _compare_with_twin(step, twin, twin_opt, 5)
    opt.param_groups[0]["lr"] = twin_opt.param_groups[0]["lr"] = 0.001
    _compare_with_twin(step, twin, twin_opt, 3)
    assert opt.state_dict()["state"][0]["step"] == 8


def test_grads_are_set_like_zero_grad_then_backward():
    model, opt, step = _simple(lr=0.0)
    X, y = np.ones((4, 3)), np.zeros((4, 1))
    for _ in range(4):
        step(X, y)
    w = model[0].weight
    first = w.grad.copy()
    step(X, y)
    assert np.array_equal(w.grad, first)  # set, not accumulated (lr 0: the same gradient)


def test_accumulating_grads_across_calls_is_refused():
    model = _model("tanh", (3, 4, 1))

    @trace
    def step(x, y):
        loss = losses.mse(model(x), y)
        loss.backward()  # no zero_grad: .grad grows from call to call
        return loss

    X, y = np.ones((4, 3)), np.zeros((4, 1))
    step(X, y)
    with pytest.raises(TraceError, match="zero_grad"):
        step(X, y)


def test_training_dropout_is_refused_eval_dropout_is_replayed():
    model = nn.Sequential(nn.Linear(3, 8, seed=0), nn.Tanh(), nn.Dropout(0.5, seed=0),
                          nn.Linear(8, 1, seed=1))
    opt = optim.SGD(model.parameters(), lr=0.1)

    def step(x, y):
        return _learn(opt, losses.mse(model(x), y))

    X, y = np.ones((4, 3)), np.zeros((4, 1))
    traced = trace(step)
    traced(X, y)
    with pytest.raises(TraceError, match="Dropout"):
        traced(X, y)
    model.eval()
    traced = trace(step)
    for _ in range(4):
        traced(X, y)
    assert traced.compiled


def test_item_inside_the_step_is_refused_or_falls_back():
    model, opt, _ = _simple(lr=0.1)

    def step(x, y):
        return _learn(opt, losses.mse(model(x), y)).item()

    X, y = np.ones((4, 3)), np.zeros((4, 1))
    with pytest.raises(TraceError, match="item"):
        trace(step)(X, y)
    lenient = trace(step, fallback=True)
    with pytest.warns(RuntimeWarning, match="eagerly"):
        first = lenient(X, y)
    assert isinstance(first, float) and isinstance(lenient(X, y), float)
    assert not lenient.compiled


def test_data_dependent_branch_is_refused():
    model, opt, _ = _simple(lr=0.5)
    calls = []

    @trace
    def step(x, y):
        out = model(x)
        calls.append(1)
        out = out.tanh() if len(calls) % 2 else out.sigmoid()  # differs between calls
        return _learn(opt, losses.mse(out, y))

    X, y = np.ones((4, 3)), np.zeros((4, 1))
    step(X, y)
    with pytest.raises(TraceError, match="control flow"):
        step(X, y)


def test_a_step_of_tensor_ops_and_a_value_graph_is_refused():
    w = Value(0.5)
    t = Tensor([1.0, 2.0], requires_grad=True)

    @trace
    def step():
        loss = (w * 2.0 - 1.0) ** 2
        w.grad = 0.0
        loss.backward()
        return (t * 2.0).sum()

    with pytest.raises(TraceError, match="Tensor ops and a Value graph"):
        step()


def test_inputs_that_require_grad_are_refused():
    @trace
    def step(x):
        return (x * x).sum()

    with pytest.raises(TraceError, match="require grad"):
        step(Tensor([1.0], requires_grad=True))


def test_a_step_without_optimizer_returns_copies_and_grads():
    w = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)

    @trace
    def grads_of(x):
        w.grad = None
        loss = ((x @ w.T).tanh() ** 2).sum()
        loss.backward()
        return loss, {"scores": x @ w.T}

    X = np.random.default_rng(0).normal(size=(5, 3)) * 0.1
    for _ in range(4):
        loss, extra = grads_of(X)
    w.grad = None
    expected = ((Tensor(X) @ w.T).tanh() ** 2).sum()
    expected.backward()
    assert loss.item() == expected.item() and loss.grad_fn is None
    assert np.array_equal(extra["scores"].data, X @ w.data.T)
    kept = loss.data.copy()
    grads_of(X * 2)
    assert np.array_equal(loss.data, kept)  # a returned Tensor is a copy, not the buffer


_R = np.random.default_rng(7)
_X = _R.normal(size=(4, 3))
_P = _R.uniform(0.2, 0.8, size=(4, 3))
_IDX = np.array([0, 2, 2, 1])
FUNCTIONS = {
    "mul/div/pow": lambda w, x: (w * x) / (w * w + 1.0) + w ** 2 + abs(w) ** 1.5,
    "exp/log/sqrt": lambda w, x: (w.exp() + 1.0).log() + (w * w + 0.1).sqrt(),
    "tanh/sigmoid/relu": lambda w, x: w.tanh() * w.sigmoid() + (w - 0.1).relu(),
    "leaky_relu/softplus": lambda w, x: w.leaky_relu(0.1) + w.softplus(),
    "sin/cos/neg": lambda w, x: -w.sin() * w.cos(),
    "clip/maximum/where": lambda w, x: w.clip(-0.3, 0.3) + mp.maximum(w, x)
    + mp.where(_X > 0, w, x * w),
    "reductions": lambda w, x: w.sum(axis=0) * w.mean(axis=1, keepdims=True) + w.max(axis=0)
    - w.min(),
    "shapes": lambda w, x: w.reshape(3, 4).T + w.transpose().T + w[1:3].sum() + w[_IDX].sum(0),
    "joins": lambda w, x: mp.concatenate([w, x], axis=1).sum(1) + mp.stack([w, w]).sum(0).sum(1),
    "matmul/linear": lambda w, x: (x @ w.T) + mp.linear(x, w) + w[0] @ x.T,
    "softmax": lambda w, x: w.softmax(axis=1) * w.log_softmax(axis=0),
    "losses": lambda w, x: losses.bce(w.sigmoid(), Tensor(_P), reduction="none")
    + losses.bce_with_logits(w, Tensor(_P), reduction="none")
    + losses.cross_entropy(w, np.array([0, 1, 2, 1]), reduction="none")[:, None],
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_every_kind_of_op_replays_equal_to_eager(name):
    """Each op family of the table (forward and rule), with momentum SGD, 6 steps."""
    f = FUNCTIONS[name]
    runs = []
    for traced in (False, True):
        w = Tensor(_R.normal(size=(4, 3)) * 0 + _X * 0.5, requires_grad=True)
        opt = optim.SGD([w], lr=0.01, momentum=0.5)

        def step(x, w=w, opt=opt):
            out = f(w, x)
            loss = (out * Tensor(np.linspace(-1, 1, out.size).reshape(out.shape))).sum()
            return _learn(opt, loss)

        g = trace(step) if traced else step
        runs.append(([g(Tensor(_X)).item() for _ in range(6)], w.data.copy(), w.grad.copy()))
    (la, wa, ga), (lb, wb, gb) = runs
    assert la == lb, name  # bit for bit
    assert np.array_equal(wa, wb) and np.array_equal(ga, gb), name


def test_optimizer_load_state_dict_between_calls_is_seen():
    model, opt, step = _simple(optim.Adam, lr=0.01)
    twin, twin_opt, _ = _simple(optim.Adam, lr=0.01)
    X, y = np.ones((4, 3)), np.zeros((4, 1))
    for _ in range(4):
        step(X, y)
    saved_model, saved_opt = model.state_dict(), opt.state_dict()
    for _ in range(3):
        step(X, y)
    model.load_state_dict(saved_model)
    opt.load_state_dict(saved_opt)  # new state arrays: copied into the replay's buffers
    twin.load_state_dict(saved_model)
    twin_opt.load_state_dict(saved_opt)
    _compare_with_twin(step, twin, twin_opt, 3)
    assert opt.state_dict()["state"][0]["step"] == twin_opt.state_dict()["state"][0]["step"] == 7


def test_no_grad_metrics_inside_the_step_and_reset():
    model, opt, _ = _simple(lr=0.1)

    @trace
    def step(x, y):
        loss = _learn(opt, losses.mse(model(x), y))
        with no_grad():
            after = losses.mse(model(x), y)  # after the update, as eager computes it
        return {"loss": loss, "after": after}

    X, y = np.ones((4, 3)), np.zeros((4, 1))
    for _ in range(4):
        got = step(X, y)
    with no_grad():
        expected = losses.mse(model(Tensor(X)), Tensor(y)).item()
    assert got["after"].item() != got["loss"].item()
    now = step(X, y)
    assert now["loss"].item() == expected
    step.reset()
    assert not step.compiled
    step(X, y)
    step(X, y)
    assert step.compiled


def test_the_replayed_step_refuses_a_graph_made_before_it_changed_the_parameters():
    model, opt, step = _simple(lr=0.1)
    X, y = np.ones((4, 3)), np.zeros((4, 1))
    for _ in range(3):
        step(X, y)
    old = losses.mse(model(Tensor(X)), Tensor(y))
    step(X, y)  # a replay updates the parameters in place and raises their versions
    with pytest.raises(RuntimeError, match="modified in place"):
        old.backward()


def test_value_parameters_in_the_optimizer_are_refused():
    w = Tensor(np.ones((1, 3)), requires_grad=True)
    v = Value(1.0)
    opt = optim.SGD([w, v], lr=0.1)

    @trace
    def step(x):
        loss = (x @ w.T).sum()
        opt.zero_grad()
        loss.backward()
        v.grad = 1.0
        opt.step()
        return loss

    with pytest.raises(TraceError, match="Value"):
        step(np.ones((2, 3)))


def test_an_update_read_through_a_view_is_not_written_in_place():
    """The new parameter is also read through a view (its transpose) after the update."""
    w = Tensor(np.arange(6.0).reshape(2, 3) / 10, requires_grad=True)
    runs = []
    for traced in (False, True):
        w.data[...] = np.arange(6.0).reshape(2, 3) / 10
        opt = optim.SGD([w], lr=0.1)

        def step(x, opt=opt):
            loss = _learn(opt, (x @ w.T).tanh().sum())
            with no_grad():
                return loss, w.T * 1.0

        f = trace(step) if traced else step
        runs.append([(a.item(), b.data.copy()) for a, b in (f(Tensor(np.ones((2, 3))))
                                                          for _ in range(5))])
    assert all(a[0] == b[0] and np.array_equal(a[1], b[1]) for a, b in zip(*runs))


def test_two_backward_passes_in_one_step_accumulate_as_in_eager():
    runs = []
    for traced in (False, True):
        model = _model("tanh", (3, 4, 1))
        opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)

        def step(x, y, model=model, opt=opt):
            opt.zero_grad()
            first = losses.mse(model(x), y)
            first.backward()
            second = (model(x) ** 2).mean()
            second.backward()  # adds to the .grad the first pass set
            opt.step()
            return first, second

        f = trace(step) if traced else step
        X, y = np.linspace(-1, 1, 12).reshape(4, 3), np.ones((4, 1))
        runs.append(([tuple(t.item() for t in f(X, y)) for _ in range(6)],
                     [p.grad.copy() for p in model.parameters()]))
    assert runs[0][0] == runs[1][0]
    assert all(np.array_equal(a, b) for a, b in zip(runs[0][1], runs[1][1]))


def test_zero_grad_keeping_the_arrays_is_replayed_as_set():
    model, opt, _ = _simple(lr=0.1)
    twin, twin_opt, _ = _simple(lr=0.1)

    def make(m, o):
        def step(x, y):
            o.zero_grad(set_to_none=False)
            loss = losses.mse(m(x), y)
            loss.backward()
            o.step()
            return loss
        return step

    eager, traced = make(twin, twin_opt), trace(make(model, opt))
    X, y = np.linspace(-1, 1, 12).reshape(4, 3), np.ones((4, 1))
    for _ in range(6):
        assert eager(X, y).item() == traced(X, y).item()
    assert traced.compiled
    for p, q in zip(model.parameters(), twin.parameters()):
        assert np.array_equal(p.grad, q.grad) and np.array_equal(p.data, q.data)


def test_a_detached_parameter_is_read_on_every_call():
    runs = []
    for traced in (False, True):
        a = Tensor(np.full((1, 3), 0.5), requires_grad=True)
        b = Tensor(np.full((1, 3), 2.0), requires_grad=True)
        opt = optim.SGD([a, b], lr=0.1)

        def step(x, a=a, b=b, opt=opt):
            scale = (b.detach() * 2.0).sum()  # only constants and b's array: not folded
            loss = ((x * a).sum() * scale - 1.0) ** 2 + (b * b).sum()
            return _learn(opt, loss)

        f = trace(step) if traced else step
        runs.append([f(Tensor(np.ones((2, 3)))).item() for _ in range(6)])
    assert runs[0] == runs[1]


def _penalty_pair(n_models: int = 2, momentum: float = 0.5):
    """Two identical sets of 3-layer models (6 parameters each) with SGD optimizers."""
    made = []
    for _ in range(2):
        models = [_model("relu", (3, 6, 6, 2), seed=10 * k) for k in range(n_models)]
        opts = [optim.SGD(m.parameters(), lr=0.1, momentum=momentum) for m in models]
        made.append((models, opts))
    return made


def _penalized(model, opt):
    params = model.parameters()

    def step(x, t):
        loss = losses.mse(model(x), t) + 1e-3 * sum((p * p).sum() for p in params)
        return _learn(opt, loss)
    return step


def test_like_calls_on_every_parameter_become_one_call_on_a_flat_array(monkeypatch):
    """α·Σ p² and SGD's update repeat one elementwise op per parameter: the replay makes
    each such group one call (a concatenate gathers the parameters once) and still gives
    the eager step's numbers bit for bit; the .grad arrays stay separate arrays."""
    (m1, o1), (m2, o2) = _penalty_pair(1, momentum=0.0)
    X, y = _data("mse")
    eager, traced = _penalized(m1[0], o1[0]), trace(_penalized(m2[0], o2[0]))
    for _ in range(6):
        assert eager(Tensor(X), Tensor(y)).item() == traced(X, y).item()
    for p, q in zip(m1[0].parameters(), m2[0].parameters()):
        assert np.array_equal(p.data, q.data) and np.array_equal(p.grad, q.grad)
    source = traced.compiled[0]
    assert "axis=None, out=f" in source  # the parameters gathered into a flat array
    params = m2[0].parameters()
    grads = [p.grad for p in params]
    assert all(g.shape == p.data.shape and g.flags.c_contiguous for g, p in zip(grads, params))
    assert not any(np.shares_memory(a, b) for i, a in enumerate(grads) for b in grads[i + 1:])
    emit = importlib.import_module("micrograd_plus.core.trace.emit")
    monkeypatch.setattr(emit, "batch_elementwise", lambda calls, roots: calls)
    (_, _), (m3, o3) = _penalty_pair(1, momentum=0.0)
    unbatched = trace(_penalized(m3[0], o3[0]))
    for _ in range(3):
        unbatched(X, y)
    calls = [source.count("out="), unbatched.compiled[0].count("out=")]
    assert calls[0] <= calls[1] - 15  # 6 parameters: 5 groups of 6 calls become 6 calls


def test_a_group_never_reads_a_parameter_before_a_write_into_it():
    """p·p of model A's parameters and of model B's have one key, but B's are read after B's
    optimizer wrote into them: the replay must not read them earlier (eager's numbers)."""
    runs = []
    for traced in (False, True):
        (models, opts), _ = _penalty_pair(2)
        X, y = _data("mse")

        def step(x, t, models=models, opts=opts):
            loss = sum(losses.mse(m(x), t) for m in models)
            for o in opts:
                o.zero_grad()
            loss.backward()
            norms = []
            for m, o in zip(models, opts):
                o.step()
                norms.append(sum((p * p).sum() for p in m.parameters()))
            return norms[0], norms[1]

        f = trace(step) if traced else step
        runs.append([tuple(t.item() for t in f(Tensor(X), Tensor(y))) for _ in range(6)])
        if traced:
            assert f.compiled
    assert runs[0] == runs[1]


@pytest.mark.parametrize("opt_name", ["sgd", "momentum", "adam", "rmsprop", "adagrad", "adamw"])
def test_a_penalty_over_every_parameter_replays_bit_for_bit_with_every_optimizer(opt_name):
    """The groups the compiler batches (p·p, its gradient α·2p, the sums into .grad) meet
    each optimizer's own per-parameter arithmetic and state: the replay keeps eager's bits."""
    runs = []
    X, y = _data("mse", n=12)
    for traced in (False, True):
        model = _model("tanh", (3, 5, 4, 2), seed=3)
        params = model.parameters()
        opt = _optimizer(opt_name, params)

        def step(x, t, model=model, params=params, opt=opt):
            loss = losses.mse(model(x), t) + 1e-2 * sum((p * p).sum() for p in params)
            return _learn(opt, loss)

        f = trace(step) if traced else step
        losses_seen = [f(Tensor(X), Tensor(y)).item() for _ in range(8)]
        runs.append((losses_seen, [p.data.copy() for p in params], [p.grad.copy() for p in params]))
        if traced:
            assert "out=f" in f.compiled[0]  # some calls were batched
    assert runs[0][0] == runs[1][0]
    for a, b in zip(runs[0][1] + runs[0][2], runs[1][1] + runs[1][2]):
        assert np.array_equal(a, b)


def test_a_value_graph_too_large_to_compile_is_refused_on_its_first_call(monkeypatch):
    """Compiling costs memory in proportion to the graph: beyond scalar.MAX_NODES a Value
    step is refused (on its first recorded call), or runs eagerly with fallback=True."""
    from micrograd_plus.core.trace import scalar
    monkeypatch.setattr(scalar, "MAX_NODES", 50)
    w = Value(0.5)
    opt = optim.SGD([w], lr=0.01)

    def step(xs):
        loss = Value(0.0)
        for x in xs:
            loss = loss + (w * x).tanh()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    xs = [0.1 * k for k in range(30)]  # 3 nodes per term: 90 nodes
    with pytest.raises(TraceError, match="graph of .* nodes"):
        trace(step)(xs)
    relaxed = trace(step, fallback=True)
    with pytest.warns(RuntimeWarning, match="nodes"):
        relaxed(xs)
    for _ in range(3):
        relaxed(xs)
    assert relaxed.compiled == []
    small = trace(step)
    monkeypatch.setattr(scalar, "MAX_NODES", 1000)
    for _ in range(3):
        small(xs)
    assert len(small.compiled) == 1


@pytest.mark.parametrize("read", [float, Value.item])
def test_reading_a_values_number_inside_a_traced_value_step_is_refused(read):
    """float(v) and v.item() inside the step would give the recorded call's number on every
    replay (as .item() of a Tensor): refused after the eager call; reading .data cannot be
    seen (a slot), which the docs say."""
    w = Value(0.75)
    opt = optim.SGD([w], lr=0.1)
    seen = []

    def step(x):
        loss = (w * x[0] - 1.0) ** 2
        seen.append(read(loss))
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    with pytest.raises(TraceError, match="read of a Value's number"):
        trace(step)([2.0])
    assert seen == [0.25] and w.data == 0.75 - 0.1 * 2.0  # ∂/∂w = 2·(0.75·2 − 1)·2 = 2
    assert float(w) == w.data  # outside a traced step, as ever


@pytest.mark.parametrize("engine", ["tensor", "value"])
def test_huber_replays_the_side_of_delta_each_call_takes(engine):
    """huber's branch (|d| < δ or not) is taken inside its op, on each call's data: recorded
    on small errors, a replay with a large one gives the eager loss and gradient. (Before,
    the branch was chosen in Python while recording, and a replay kept it: 12.5, not 4.5.)"""
    def build():
        if engine == "tensor":
            w = Tensor(np.array([1.0]), requires_grad=True)
        else:
            w = Value(1.0)
        opt = optim.SGD([w], lr=0.1)

        def step(x, y):
            pred = w * x if engine == "tensor" else [w * x[0]]
            loss = losses.huber(pred, y, delta=1.0)
            opt.zero_grad()
            loss.backward()
            opt.step()
            return loss
        return w, step

    def args(x):
        return (np.array([x]), np.array([0.0])) if engine == "tensor" else ([x], [0.0])

    (w_e, eager), (w_t, traced) = build(), build()
    traced = trace(traced)
    for x in (0.1, 0.2, 0.3, 5.0, -4.0, 0.5):
        a, b = eager(*args(x)), traced(*args(x))
        assert float(np.ravel(a.data)[0]) == float(np.ravel(b.data)[0]), x
        assert np.array_equal(np.ravel(w_e.data), np.ravel(w_t.data)), x
    assert len(traced.compiled) == 1


def test_a_mask_from_comparing_a_tensor_inside_the_step_is_refused():
    """x > 0 inside the step is a boolean array of this call's data: a where() condition
    made of it would be frozen by a replay, so the comparison is refused (like .item())."""
    from micrograd_plus.core.tensor import where

    w = Tensor(np.array([1.0, -1.0]), requires_grad=True)
    opt = optim.SGD([w], lr=0.1)

    @trace
    def step(x):
        z = w * x
        loss = where(z > 0, z, z * 0.1).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss

    with pytest.raises(TraceError, match="comparison of a Tensor"):
        step(np.array([1.0, 2.0]))
