"""PyTorch interop: tensors and models move both ways with copied weights, outputs agree."""

from __future__ import annotations

import sys

import numpy as np
import pytest
import torch

from micrograd_plus import Value, nn
from micrograd_plus.interop import from_torch, to_torch
from micrograd_plus.core.tensor import Tensor

RNG = np.random.default_rng(3)


def test_tensor_round_trip_copies_data_dtype_and_requires_grad():
    t = Tensor(RNG.normal(size=(2, 3)), requires_grad=True)
    tt = t.to_torch()
    assert tt.dtype == torch.float64 and tt.requires_grad and tt.is_leaf
    np.testing.assert_array_equal(tt.detach().numpy(), t.data)
    tt.detach()[0, 0] = 123.0
    assert t.data[0, 0] != 123.0  # copied, not shared
    back = Tensor.from_torch(tt)
    assert back.requires_grad and back.dtype == np.float64
    np.testing.assert_array_equal(back.data, tt.detach().numpy())
    f32 = Tensor.from_torch(torch.ones(2, dtype=torch.float32))
    assert f32.dtype == np.float32 and not f32.requires_grad
    assert Tensor([1.0], dtype=np.float32).to_torch().dtype == torch.float32
    assert from_torch(torch.arange(3)).dtype == np.float64  # ints become float64
    assert to_torch(Tensor([2.0])).item() == 2.0


def test_sequential_to_torch_gives_same_outputs_and_gradients():
    model = nn.Sequential(nn.Linear(3, 8, seed=0), nn.Tanh(), nn.Linear(8, 8, seed=1),
                          nn.ReLU(), nn.Linear(8, 4, seed=2), nn.LeakyReLU(0.1),
                          nn.Linear(4, 1, seed=3), nn.Sigmoid())
    tmodel = to_torch(model)
    assert isinstance(tmodel, torch.nn.Sequential) and len(tmodel) == len(model)
    x = RNG.normal(size=(10, 3))
    out = model(x)
    tout = tmodel(torch.tensor(x))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    tout.sum().backward()
    for (name, p), (tname, tp) in zip(model.named_parameters(), tmodel.named_parameters()):
        assert name == tname
        np.testing.assert_allclose(p.grad, tp.grad.numpy(), rtol=1e-10, atol=1e-14)
    model[0].weight.data[0, 0] += 1.0  # weights were copied: torch's stay as they were
    assert tmodel[0].weight[0, 0].item() != model[0].weight.data[0, 0]


def test_from_torch_module_gives_same_outputs_and_keeps_eval_mode():
    torch.manual_seed(0)
    tmodel = torch.nn.Sequential(torch.nn.Linear(2, 5), torch.nn.ReLU(), torch.nn.Dropout(0.2),
                                 torch.nn.Identity(), torch.nn.Linear(5, 3),
                                 torch.nn.Tanh()).double().eval()
    model = from_torch(tmodel)
    assert isinstance(model, nn.Sequential) and len(model) == 5
    assert not model.training and isinstance(model[2], nn.Dropout) and model[2].p == 0.2
    x = RNG.normal(size=(7, 2))
    np.testing.assert_allclose(model(x).data, tmodel(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12)
    f32 = from_torch(torch.nn.Linear(4, 2))
    assert f32.weight.dtype == np.float32 and f32.weight.shape == (2, 4)
    assert to_torch(f32).weight.dtype == torch.float32


def test_scalar_mlp_to_torch_matches_value_forward():
    mlp = nn.MLP(3, [4, 4, 1], seed=1)  # micrograd's defaults: ReLU hidden, linear out
    tmodel = to_torch(mlp)
    kinds = [type(m).__name__ for m in tmodel]
    assert kinds == ["Linear", "ReLU", "Linear", "ReLU", "Linear"]
    for x in RNG.normal(size=(5, 3)):
        ours = mlp([float(v) for v in x])
        assert isinstance(ours, Value)
        assert abs(ours.data - tmodel(torch.tensor(x)).item()) < 1e-12
    tanh_mlp = nn.MLP(2, [3, 2], activation="tanh", out_activation="sigmoid", seed=2)
    tm = to_torch(tanh_mlp)
    x = [0.3, -0.7]
    np.testing.assert_allclose([v.data for v in tanh_mlp(x)],
                               tm(torch.tensor(x, dtype=torch.float64)).detach().numpy(),
                               rtol=1e-12)


def test_unsupported_objects_and_missing_torch_give_clear_errors(monkeypatch):
    with pytest.raises(TypeError, match="to_torch: cannot convert str"):
        to_torch("model")
    with pytest.raises(TypeError, match="from_torch: cannot convert Conv1d"):
        from_torch(torch.nn.Conv1d(1, 1, 1))
    monkeypatch.setitem(sys.modules, "torch", None)
    with pytest.raises(ImportError, match="PyTorch interop needs PyTorch.*pip install torch"):
        Tensor([1.0]).to_torch()


def test_torch_state_dict_loads_into_same_shaped_sequential():
    torch.manual_seed(1)
    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh(),
                                 torch.nn.Linear(4, 2)).double()
    model = nn.Sequential(nn.Linear(3, 4, seed=0), nn.Tanh(), nn.Linear(4, 2, seed=0))
    model.load_state_dict({k: v.numpy() for k, v in tmodel.state_dict().items()})
    x = RNG.normal(size=(6, 3))
    np.testing.assert_allclose(model(x).data, tmodel(torch.tensor(x)).detach().numpy(),
                               rtol=1e-12)
