"""Tensor layers (Linear, Sequential, activations, Dropout) and the Tensor losses vs PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from micrograd_plus import losses, nn
from micrograd_plus.core.tensor import Tensor

RNG = np.random.default_rng(7)


def _torch_copy(model: nn.Sequential) -> torch.nn.Sequential:
    """A torch model built by hand (not through interop) with the same weights."""
    mods = []
    for m in model:
        if isinstance(m, nn.Linear):
            t = torch.nn.Linear(m.in_features, m.out_features, dtype=torch.float64)
            with torch.no_grad():
                t.weight.copy_(torch.tensor(m.weight.data))
                t.bias.copy_(torch.tensor(m.bias.data))
            mods.append(t)
        else:
            mods.append({nn.Tanh: torch.nn.Tanh, nn.ReLU: torch.nn.ReLU,
                         nn.Sigmoid: torch.nn.Sigmoid}[type(m)]())
    return torch.nn.Sequential(*mods)


# -- Linear and Sequential ----------------------------------------------------------------
def test_linear_has_torch_shapes_and_default_init_bounds_and_is_seeded():
    layer = nn.Linear(16, 4, seed=3)
    assert layer.weight.shape == (4, 16) and layer.bias.shape == (4,)
    assert layer.weight.requires_grad and layer.weight.is_leaf
    bound = 1 / np.sqrt(16)
    assert np.all(np.abs(layer.weight.data) <= bound) and np.all(np.abs(layer.bias.data) <= bound)
    assert layer.weight.data.std() > bound / 3  # spread over the range, not all near zero
    np.testing.assert_array_equal(layer.weight.data, nn.Linear(16, 4, seed=3).weight.data)
    assert not np.array_equal(layer.weight.data, nn.Linear(16, 4, seed=4).weight.data)
    big = nn.Linear(400, 300, seed=0).weight.data
    assert abs(big.max() - 0.05) < 1e-3 and abs(big.min() + 0.05) < 1e-3  # U(-1/√in, 1/√in)
    assert nn.Linear(3, 2, bias=False).bias is None


def test_linear_forward_backward_match_torch_including_batched_input():
    layer = nn.Linear(3, 2, seed=0)
    tl = torch.nn.Linear(3, 2, dtype=torch.float64)
    with torch.no_grad():
        tl.weight.copy_(torch.tensor(layer.weight.data))
        tl.bias.copy_(torch.tensor(layer.bias.data))
    x = RNG.normal(size=(4, 5, 3))
    xt = Tensor(x, requires_grad=True)
    out = layer(xt)
    txt = torch.tensor(x, requires_grad=True)
    tout = tl(txt)
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12)
    (out * out).sum().backward()
    (tout * tout).sum().backward()
    np.testing.assert_allclose(xt.grad, txt.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.weight.grad, tl.weight.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(layer.bias.grad, tl.bias.grad.numpy(), rtol=1e-10)
    with pytest.raises(ValueError, match=r"Linear\(3, 2\).*\(4, 2\)"):
        layer(np.ones((4, 2)))


def test_sequential_names_like_torch_and_state_dict_loads_into_torch():
    model = nn.Sequential(nn.Linear(2, 8, seed=1), nn.Tanh(), nn.Linear(8, 1, seed=2))
    names = [n for n, _ in model.named_parameters()]
    assert names == ["0.weight", "0.bias", "2.weight", "2.bias"]
    assert model.num_parameters() == 2 * 8 + 8 + 8 + 1
    assert len(model) == 3 and isinstance(model[1], nn.Tanh) and "(0): Linear" in repr(model)
    tmodel = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
    tmodel.double().load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()})
    x = RNG.normal(size=(5, 2))
    np.testing.assert_allclose(model(x).data, tmodel(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12)


def test_activation_modules_work_on_tensors_and_values():
    from micrograd_plus import Value

    x = np.array([-1.0, 0.5])
    for ours, theirs in [(nn.Tanh(), torch.tanh), (nn.ReLU(), torch.relu),
                         (nn.Sigmoid(), torch.sigmoid),
                         (nn.LeakyReLU(0.2), lambda t: F.leaky_relu(t, 0.2))]:
        np.testing.assert_allclose(ours(Tensor(x)).data, theirs(torch.tensor(x)).numpy())
        assert abs(ours(Value(-1.0)).data - theirs(torch.tensor(-1.0)).item()) < 1e-7


def test_zero_grad_and_parameters_on_tensor_model():
    model = nn.Sequential(nn.Linear(2, 3, seed=0), nn.ReLU(), nn.Linear(3, 1, seed=1))
    model(np.ones((2, 2))).sum().backward()
    assert all(p.grad is not None for p in model.parameters())
    model.zero_grad()
    assert all(p.grad is None for p in model.parameters())


@pytest.mark.parametrize("use_optim", [False, True])
def test_mlp_training_run_matches_torch_for_20_steps(use_optim):
    model = nn.Sequential(nn.Linear(3, 16, seed=11), nn.Tanh(), nn.Linear(16, 8, seed=12),
                          nn.ReLU(), nn.Linear(8, 3, seed=13))
    tmodel = _torch_copy(model)
    # its own generator (not the shared RNG, whose state depends on which tests ran first),
    # and labels a linear rule gives, so that 20 steps can really lower the loss
    rng = np.random.default_rng(7)
    x = rng.normal(size=(32, 3))
    y = np.argmax(x @ np.array([[2.0, 0.0, -1.0], [0.0, 2.0, 1.0], [-1.0, 1.0, 2.0]]), axis=1)
    tx, ty = torch.tensor(x), torch.tensor(y)
    lr = 0.3
    if use_optim:
        from micrograd_plus import optim

        opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
        # torch.optim's SGD rule written out (constructing torch.optim costs seconds once)
        bufs = [None] * len(list(tmodel.parameters()))
    for step in range(20):
        loss = losses.cross_entropy(model(x), y)
        tloss = F.cross_entropy(tmodel(tx), ty)
        assert abs(loss.item() - tloss.item()) < 1e-10 * max(1.0, abs(tloss.item())), step
        model.zero_grad()
        tmodel.zero_grad()
        loss.backward()
        tloss.backward()
        if use_optim:
            opt.step()
            with torch.no_grad():
                for i, p in enumerate(tmodel.parameters()):
                    bufs[i] = p.grad.clone() if bufs[i] is None else 0.9 * bufs[i] + p.grad
                    p -= lr * bufs[i]
        else:
            for p in model.parameters():
                p.data -= lr * p.grad
            with torch.no_grad():
                for p in tmodel.parameters():
                    p -= lr * p.grad
        if step == 0:
            first = loss.item()
    assert loss.item() < 0.8 * first  # it really trains
    for (name, p), (tname, tp) in zip(model.named_parameters(), tmodel.named_parameters()):
        assert name == tname
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name)


def test_float32_model_keeps_float32():
    model = nn.Sequential(nn.Linear(2, 4, seed=0, dtype=np.float32), nn.Tanh(),
                          nn.Linear(4, 1, seed=1, dtype=np.float32))
    out = model(np.ones((3, 2)))
    assert out.dtype == np.float32
    losses.mse(out, np.zeros((3, 1))).backward()
    assert all(p.grad.dtype == np.float32 for p in model.parameters())


def test_dropout_on_tensors_train_eval_and_seed():
    x = Tensor(np.ones((200, 50)), requires_grad=True)
    d = nn.Dropout(0.3, seed=0)
    out = d(x)
    kept = out.data != 0
    assert 0.6 < kept.mean() < 0.8
    np.testing.assert_allclose(out.data[kept], 1 / 0.7)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, out.data)  # ∂/∂x = mask / (1 − p)
    np.testing.assert_array_equal(nn.Dropout(0.3, seed=0)(x).data, out.data)
    model = nn.Sequential(nn.Linear(50, 2, seed=0), d)
    model.eval()
    assert not d.training
    assert d(x) is x


def test_dropout_masks_a_tensor_subclass_elementwise():
    # dispatch is by isinstance: a subclass (not named "Tensor") was once kept or dropped whole
    class Param(Tensor):
        pass

    out = nn.Dropout(0.5, seed=0)(Param(np.ones((100, 10)), requires_grad=True))
    assert set(np.unique(out.data)) == {0.0, 2.0}
    assert 0.35 < (out.data != 0).mean() < 0.65


# -- losses on Tensors vs torch.nn.functional ---------------------------------------------
def _check_loss(ours, theirs, pred, target, target_grad=False, rtol=1e-10, atol=1e-12):
    p = Tensor(pred, requires_grad=True)
    t = Tensor(target, requires_grad=True) if target_grad else target
    out = ours(p, t)
    seed = RNG.normal(size=out.shape)
    out.backward(seed)
    tp = torch.tensor(pred, requires_grad=True)
    tt = torch.tensor(target, requires_grad=target_grad)
    ref = theirs(tp, tt)
    ref.backward(torch.tensor(seed))
    np.testing.assert_allclose(out.data, ref.detach().numpy(), rtol=rtol, atol=atol)
    np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=rtol, atol=atol)
    if target_grad:
        np.testing.assert_allclose(t.grad, tt.grad.numpy(), rtol=rtol, atol=atol)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_regression_losses_match_torch(reduction):
    pred, target = RNG.normal(size=(6, 2)), RNG.normal(size=(6, 2)) * 2
    kw = {"reduction": reduction}
    _check_loss(lambda p, t: losses.mse(p, t, **kw), lambda p, t: F.mse_loss(p, t, **kw),
                pred, target, target_grad=True)
    _check_loss(lambda p, t: losses.l1(p, t, **kw), lambda p, t: F.l1_loss(p, t, **kw),
                pred, target)
    _check_loss(lambda p, t: losses.huber(p, t, delta=0.7, **kw),
                lambda p, t: F.huber_loss(p, t, delta=0.7, **kw), pred, target)


def test_sse_is_half_the_sum_of_squares():
    pred, target = RNG.normal(size=5), RNG.normal(size=5)
    _check_loss(losses.sse, lambda p, t: 0.5 * ((t - p) ** 2).sum(), pred, target)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_binary_losses_match_torch_at_extremes(reduction):
    kw = {"reduction": reduction}
    probs = np.array([0.0, 1e-8, 0.3, 0.5, 0.99, 1.0])
    target = np.array([0.0, 1.0, 1.0, 0.2, 0.0, 1.0])
    _check_loss(lambda p, t: losses.bce(p, t, **kw),
                lambda p, t: F.binary_cross_entropy(p, t, **kw), probs, target,
                target_grad=True)
    logits = np.array([-1000.0, -30.0, -0.5, 0.0, 2.0, 1000.0])
    _check_loss(lambda p, t: losses.bce_with_logits(p, t, **kw),
                lambda p, t: F.binary_cross_entropy_with_logits(p, t, **kw), logits, target,
                target_grad=True)
    labels = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])
    scores = np.array([0.3, 0.2, 2.0, -3.0, 1.0, 0.999])
    _check_loss(lambda s, y: losses.hinge(s, y, **kw),
                lambda s, y: _torch_reduce(torch.relu(1.0 - y * s), reduction), scores, labels)


def test_bce_with_logits_at_infinite_logits_gives_torchs_inf_and_nan():
    logits = np.array([np.inf, np.inf, np.inf, -np.inf, -np.inf, -np.inf])
    target = np.array([0.0, 1.0, 0.5, 0.0, 1.0, 0.5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy warnings on the way
        _check_loss(lambda p, t: losses.bce_with_logits(p, t, reduction="none"),
                    lambda p, t: F.binary_cross_entropy_with_logits(p, t, reduction="none"),
                    logits, target)


def _torch_reduce(x, reduction):
    return {"mean": x.mean, "sum": x.sum, "none": lambda: x}[reduction]()


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_multiclass_losses_match_torch(reduction):
    kw = {"reduction": reduction}
    logits = RNG.normal(size=(5, 4)) * 3
    logits[0, 1] = 1000.0
    logits[2, 3] = -1000.0
    y = np.array([1, 0, 3, 2, 2])
    _check_loss(lambda z, t: losses.cross_entropy(z, t, **kw),
                lambda z, t: F.cross_entropy(z, t, **kw), logits, y)
    _check_loss(lambda z, t: losses.nll(z.log_softmax(1), t, **kw),
                lambda z, t: F.nll_loss(torch.log_softmax(z, 1), t, **kw), logits, y)
    targets = (RNG.random((5, 4)) > 0.5).astype(float)
    _check_loss(lambda z, t: losses.multilabel_bce(z, t, **kw),
                lambda z, t: F.multilabel_soft_margin_loss(z, t, **kw), logits, targets)


def test_single_sample_cross_entropy_and_float32():
    z = RNG.normal(size=4)
    _check_loss(lambda p, t: losses.cross_entropy(p, t), lambda p, t: F.cross_entropy(p, t),
                z, np.int64(2))
    out = losses.cross_entropy(Tensor(RNG.normal(size=(3, 2)), dtype=np.float32), [0, 1, 1])
    assert out.dtype == np.float32


def test_penalties_match_torch():
    model = nn.Sequential(nn.Linear(3, 2, seed=0), nn.Tanh(), nn.Linear(2, 1, seed=1))
    total = losses.l2_penalty(model, lam=0.1) + losses.l1_penalty(model.parameters(), lam=0.01)
    total.backward()
    tparams = [torch.tensor(p.data, requires_grad=True) for p in model.parameters()]
    ref = 0.1 * sum((p * p).sum() for p in tparams) + 0.01 * sum(p.abs().sum() for p in tparams)
    ref.backward()
    assert abs(total.item() - ref.item()) < 1e-12
    for p, tp in zip(model.parameters(), tparams):
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-12)


def test_loss_errors_are_clear():
    p = Tensor(RNG.random((3, 2)), requires_grad=True)
    with pytest.raises(ValueError, match=r"mse: prediction has shape \(3, 2\).*\(3,\)"):
        losses.mse(p, np.zeros(3))
    with pytest.raises(ValueError, match="class index 5 out of range for 2 classes"):
        losses.cross_entropy(p, [0, 1, 5])
    with pytest.raises(TypeError, match="integer class indices"):
        losses.cross_entropy(p, [0.5, 1.0, 0.0])
    with pytest.raises(ValueError, match=r"target of shape \(3,\)"):
        losses.nll(p, [0, 1])
    with pytest.raises(ValueError, match=r"bce: input \(0, 0\) = 2.0 is not a probability"):
        losses.bce(p * 0 + 2.0, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="-1 or \\+1"):
        losses.hinge(p, np.zeros((3, 2)))
    with pytest.raises(ValueError, match="reduction"):
        losses.mse(p, np.zeros((3, 2)), reduction="avg")
    with pytest.raises(TypeError, match="target must be numeric"):
        losses.mse(p, "zeros")


@pytest.mark.parametrize("name", ["cross_entropy", "nll", "multilabel_bce"])
def test_single_sample_losses_still_check_reduction(name):
    # one sample skips the reduction, but a misspelt reduction is still an error (as for Values)
    z = Tensor(RNG.normal(size=3), requires_grad=True)
    target = [0.0, 1.0, 0.0] if name == "multilabel_bce" else 1
    with pytest.raises(ValueError, match=f"{name}: reduction must be one of"):
        getattr(losses, name)(z, target, reduction="avg")
