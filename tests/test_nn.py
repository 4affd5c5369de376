"""nn: Module plumbing (names, state, repr, modes), seeded init, fixed weights, Dropout, and
MLP forward/backward vs an equivalent torch.nn model with copied weights."""

from __future__ import annotations

import math
import random
import re

import numpy as np
import pytest
import torch

from conftest import close
from micrograd_plus import Value, nn, vsum
from micrograd_plus.core.tensor import Tensor

T = torch.float64

# Example 3.5 (WORKED_EXAMPLES.md §2)
X = [30.0, 50.0, 20.0]
W1 = [[2, 1, 3], [2, 4, 1], [2, 6, 5]]
B1 = [10, 20, -10]
W2 = [[2, 1, 4], [0, 3, 3]]
B2 = [20, -30]


# ---- Example 3.5 ----------------------------------------------------------------------------


def test_example_3_5_identity_activation():
    model = nn.MLP.from_weights([(W1, B1), (W2, B2)], activation="identity")
    assert [a.data for a in model.layers[0](X)] == [180.0, 300.0, 450.0]
    assert [a.data for a in model(X)] == [2480.0, 2220.0]
    assert model.num_parameters() == 20


def test_example_3_5_sigmoid_saturates():
    model = nn.MLP.from_weights([(W1, B1), (W2, B2)], activation="sigmoid")
    a2 = model(X)
    # Z2 ≈ [2+1+4+20, 0+3+3-30] = [27, -24] since A1 ≈ [1, 1, 1]
    assert abs((1.0 - a2[0].data) - 1.9e-12) < 0.05e-12
    assert abs(a2[1].data - 3.8e-11) < 0.05e-11
    assert round(a2[0].data, 6) == 1.0 and round(a2[1].data, 6) == 0.0
    # saturated layers: the first layer's weights get (almost) no gradient
    vsum(a2).backward()
    assert all(abs(p.grad) < 1e-30 for n in model.layers[0].neurons for p in n.w)
    assert model.num_parameters() == 20


def test_textbook_labels():
    model = nn.MLP.from_weights([(W1, B1), (W2, B2)], activation="identity")
    labels = [p.label for p in model.parameters()]
    assert labels[:4] == ["w^(1)_11", "w^(1)_12", "w^(1)_13", "b^(1)_1"]
    assert labels[-4:] == ["w^(2)_21", "w^(2)_22", "w^(2)_23", "b^(2)_2"]
    # w^(1)_12 is the weight from input 2 to hidden neuron 1: W1[0][1]
    assert model.layers[0].neurons[0].w[1].label == "w^(1)_12"
    assert model.layers[0].neurons[0].w[1].data == W1[0][1]
    # two-digit indices get a comma so labels stay unambiguous
    layer = nn.Layer(12, 11, layer_index=2)
    assert layer.neurons[10].w[11].label == "w^(2)_11,12"
    neuron = nn.Neuron(2)
    assert [p.label for p in neuron.parameters()] == ["w_1", "w_2", "b"]


# ---- Module plumbing -----------------------------------------------------------------------


def test_named_parameters_are_stable_dotted_names():
    model = nn.MLP(2, [2, 1], seed=0)
    names = [n for n, _ in model.named_parameters()]
    assert names == [
        "layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1", "layers.0.neurons.0.b",
        "layers.0.neurons.1.w.0", "layers.0.neurons.1.w.1", "layers.0.neurons.1.b",
        "layers.1.neurons.0.w.0", "layers.1.neurons.0.w.1", "layers.1.neurons.0.b",
    ]
    assert [p for _, p in model.named_parameters()] == model.parameters()
    assert names == [n for n, _ in nn.MLP(2, [2, 1], seed=5).named_parameters()]
    assert all(n.isascii() for n in names)


def test_bias_false_and_num_parameters():
    model = nn.MLP(3, [4, 2], bias=False, seed=0)
    assert model.num_parameters() == 3 * 4 + 4 * 2
    assert not any(n.endswith(".b") for n, _ in model.named_parameters())


def test_zero_grad_and_modes():
    model = nn.MLP(2, [3, 1], seed=1)
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    assert model.training and all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_repr_shows_the_architecture():
    model = nn.MLP(3, [4, 2], seed=0)
    assert repr(model) == (
        "MLP(\n"
        "  (layers): [\n"
        "    (0): Layer(in_features=3, out_features=4, activation='relu')\n"
        "    (1): Layer(in_features=4, out_features=2, activation='linear')\n"
        "  ]\n"
        ")"
    )
    assert repr(nn.Neuron(3, bias=False)) == "Neuron(in_features=3, activation='relu', bias=False)"
    assert repr(nn.Dropout(0.25)) == "Dropout(p=0.25)"

    class Net(nn.Module):
        def __init__(self):
            self.body = nn.MLP(2, [2], seed=0)
            self.drop = nn.Dropout(0.5)

    assert repr(Net()) == (
        "Net(\n"
        "  (body): MLP(\n"
        "    (layers): [\n"
        "      (0): Layer(in_features=2, out_features=2, activation='linear')\n"
        "    ]\n"
        "  )\n"
        "  (drop): Dropout(p=0.5)\n"
        ")"
    )


# ---- state_dict -----------------------------------------------------------------------------


def test_state_dict_round_trip():
    a, b = nn.MLP(3, [4, 2], seed=1), nn.MLP(3, [4, 2], seed=2)
    x = [0.5, -1.0, 2.0]
    assert [v.data for v in a(x)] != [v.data for v in b(x)]
    state = a.state_dict()
    assert list(state) == [n for n, _ in a.named_parameters()]
    assert all(type(v) is float for v in state.values())
    params_before = b.parameters()
    result = b.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    assert [v.data for v in a(x)] == [v.data for v in b(x)]
    assert b.parameters() == params_before  # loaded in place: same Value objects
    # the state is a copy: changing it does not touch the model
    state["layers.0.neurons.0.b"] = 123.0
    assert a.layers[0].neurons[0].b.data != 123.0


def test_load_state_dict_errors_leave_the_model_unchanged():
    model = nn.MLP(2, [2], seed=3)
    before = model.state_dict()
    state = dict(before)
    del state["layers.0.neurons.1.b"]
    state["layers.0.neurons.0.w.0"] = 9.0
    with pytest.raises(KeyError, match="missing keys \\['layers.0.neurons.1.b'\\]"):
        model.load_state_dict(state)
    assert model.state_dict() == before
    extra = dict(before, **{"layers.9.w": 1.0})
    with pytest.raises(KeyError, match="unexpected keys \\['layers.9.w'\\]"):
        model.load_state_dict(extra)
    with pytest.raises(ValueError, match="'layers.0.neurons.0.b' is a scalar Value parameter"):
        model.load_state_dict(dict(before, **{"layers.0.neurons.0.b": np.zeros(3)}))
    with pytest.raises(ValueError, match="scalar Value parameter but the state holds str"):
        model.load_state_dict(dict(before, **{"layers.0.neurons.0.b": "1.0"}))
    with pytest.raises(TypeError, match="expects a dict"):
        model.load_state_dict([("a", 1.0)])
    assert model.state_dict() == before
    # strict=False loads what matches and reports the rest
    partial = {"layers.0.neurons.0.b": 0.5, "nope": 1.0}
    result = model.load_state_dict(partial, strict=False)
    assert result.unexpected_keys == ["nope"] and "layers.0.neurons.1.b" in result.missing_keys
    assert model.layers[0].neurons[0].b.data == 0.5


class TensorNet(nn.Module):
    """A Module with Tensor parameters, as the Tensor layers will have."""

    def __init__(self):
        self.weight = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
        self.bias = Tensor(np.zeros(2), requires_grad=True)
        self._cache = Tensor(np.ones(4))  # private: not a parameter
        self.head = nn.Neuron(2, seed=0)

    def forward(self, x):
        return (self.weight @ x + self.bias).sum()


def test_module_with_tensor_parameters():
    net = TensorNet()
    assert [n for n, _ in net.named_parameters()] == [
        "weight", "bias", "head.w.0", "head.w.1", "head.b"]
    assert net.num_parameters() == 6 + 2 + 3
    state = net.state_dict()
    assert isinstance(state["weight"], np.ndarray) and state["weight"].shape == (2, 3)
    state["weight"][0, 0] = 100.0  # a copy
    assert net.weight.data[0, 0] == 0.0
    net(Tensor(np.ones(3))).backward()
    assert net.weight.grad is not None
    net.zero_grad()
    assert net.weight.grad is None and net.head.b.grad == 0.0

    other = TensorNet()
    other.weight.data[...] = 7.0
    before = net.weight.data
    net.load_state_dict(other.state_dict())
    assert net.weight.data is before and np.all(net.weight.data == 7.0)  # in place
    with pytest.raises(ValueError, match="'bias' has shape \\(3,\\), the parameter has shape "
                                         "\\(2,\\)"):
        net.load_state_dict(dict(net.state_dict(), bias=np.zeros(3)))
    with pytest.raises(TypeError, match="'weight' needs real numbers"):
        net.load_state_dict(dict(net.state_dict(), weight="abc"))


# ---- initialisation -------------------------------------------------------------------------


def test_seeded_init_is_reproducible():
    assert nn.MLP(3, [4, 2], seed=7).state_dict() == nn.MLP(3, [4, 2], seed=7).state_dict()
    assert nn.MLP(3, [4, 2], seed=7).state_dict() != nn.MLP(3, [4, 2], seed=8).state_dict()
    r1, r2 = random.Random(11), random.Random(11)
    assert nn.Layer(2, 3, seed=r1).get_weights() == nn.Layer(2, 3, seed=r2).get_weights()
    # no seed: the global generator, as in micrograd (random.seed(1337) reproduces a model)
    random.seed(1337)
    first = nn.MLP(2, [3, 1]).state_dict()
    random.seed(1337)
    assert nn.MLP(2, [3, 1]).state_dict() == first
    weights = [v for k, v in first.items() if not k.endswith(".b")]
    assert all(-1.0 <= w <= 1.0 for w in weights)
    assert all(v == 0.0 for k, v in first.items() if k.endswith(".b"))
    with pytest.raises(TypeError, match="seed"):
        nn.MLP(2, [1], seed="abc")


def test_micrograd_defaults():
    model = nn.MLP(3, [4, 4, 1])
    assert [layer.neurons[0].activation for layer in model.layers] == ["relu", "relu", "linear"]
    assert isinstance(model([1.0, 2.0, 3.0]), Value)  # one output neuron: a Value, not a list
    assert nn.Neuron(3, nonlin=False).activation == "linear"
    assert nn.Neuron(3, nonlin=True).activation == "relu"
    assert nn.Neuron(3).activation == "relu"  # micrograd's default
    with pytest.raises(ValueError, match="activation must be one of"):
        nn.Neuron(3, activation="swish")
    with pytest.raises(ValueError, match="Neuron expects 3 inputs, got 2"):
        nn.Neuron(3)([1.0, 2.0])
    with pytest.raises(TypeError, match="Neuron expects a list of 3 inputs, got float"):
        nn.Neuron(3)(2.0)  # was "object of type 'float' has no len()"


# ---- fixed weights --------------------------------------------------------------------------


def test_set_weights_and_validation():
    layer = nn.Layer(3, 2, activation="linear")
    params = layer.parameters()
    layer.set_weights([[1, 2, 3], [4, 5, 6]], [0.5, -0.5])
    assert layer.parameters() == params  # same Values, new data
    assert layer.get_weights() == ([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], [0.5, -0.5])
    assert [v.data for v in layer([1, 1, 1])] == [6.5, 14.5]
    layer.set_weights(np.array([[0, 0, 1], [1, 0, 0]]), np.array([0, 0]))
    assert [v.data for v in layer([1, 2, 3])] == [3.0, 1.0]
    with pytest.raises(ValueError, match="W must have 2 rows"):
        layer.set_weights([[1, 2, 3]], [0, 0])
    with pytest.raises(ValueError, match="W\\[1\\] must have 3 entries, got 2"):
        layer.set_weights([[1, 2, 3], [1, 2]], [0, 0])
    with pytest.raises(ValueError, match="b must have 2 entries"):
        layer.set_weights([[1, 2, 3], [1, 2, 3]], [0])
    with pytest.raises(ValueError, match="pass b"):
        layer.set_weights([[1, 2, 3], [1, 2, 3]])
    with pytest.raises(TypeError, match="W\\[0\\]\\[2\\] must be a real number"):
        layer.set_weights([[1, 2, "x"], [1, 2, 3]], [0, 0])
    with pytest.raises(ValueError, match="no bias"):
        nn.Layer(2, 1, bias=False).set_weights([[1, 2]], [0])
    assert layer.get_weights() == ([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], [0.0, 0.0])


def test_from_weights_checks_the_chain_of_shapes():
    with pytest.raises(ValueError, match="W2 has 2 columns but layer 1 has 3 outputs"):
        nn.MLP.from_weights([(W1, B1), ([[1, 2]], [0])])
    with pytest.raises(ValueError, match="pair"):
        nn.MLP.from_weights([W1])
    no_bias = nn.MLP.from_weights([(W1, None), (W2, B2)])
    assert no_bias.num_parameters() == 9 + 6 + 2
    assert [a.data for a in no_bias(X)] == [2 * 170 + 280 + 4 * 460 + 20, 3 * 280 + 3 * 460 - 30]
    relu_out_linear = nn.MLP.from_weights([(W1, B1), (W2, B2)], activation="relu",
                                          out_activation="linear")
    assert relu_out_linear.layers[1].neurons[0].activation == "linear"


# ---- Dropout --------------------------------------------------------------------------------


def test_dropout_train_and_eval():
    drop = nn.Dropout(0.25, seed=0)
    xs = [Value(float(i + 1)) for i in range(2000)]
    out = drop(xs)
    scale = 1.0 / 0.75
    kept = [0.0 if o.data == 0.0 else scale for o in out]
    assert all(o.data == x.data * k for o, x, k in zip(out, xs, kept))
    assert 0.2 < kept.count(0.0) / len(kept) < 0.3
    vsum(out).backward()
    assert [x.grad for x in xs] == kept  # dropped inputs get no gradient
    # seeded: the same pattern again
    again = nn.Dropout(0.25, seed=0)(xs)
    assert [o.data for o in again] == [o.data for o in out]
    drop.eval()
    assert drop(xs) is xs
    assert nn.Dropout(0.0)(xs) is xs
    assert all(o.data == 0.0 for o in nn.Dropout(1.0, seed=0)(xs[:10]))


def test_dropout_in_a_model_follows_train_eval():
    class Net(nn.Module):
        def __init__(self):
            self.drop = nn.Dropout(0.5, seed=1)

    net = Net()
    x = [Value(1.0)] * 50
    assert {v.data for v in net.drop(x)} == {0.0, 2.0}
    net.eval()
    assert net.drop(x) is x
    nested = nn.Dropout(0.5, seed=2)([[1.0, 2.0], [3.0, 4.0]])
    assert len(nested) == 2 and all(v in (0.0, 2.0, 4.0, 6.0, 8.0) for r in nested for v in r)


def test_dropout_on_a_tensor():
    x = Tensor(np.ones((40, 50)), requires_grad=True)
    y = nn.Dropout(0.3, seed=0)(x)
    assert set(np.unique(y.data)) <= {0.0, 1.0 / 0.7}
    assert 0.25 < np.mean(y.data == 0.0) < 0.35
    y.sum().backward()
    assert np.array_equal(x.grad, y.data)
    x32 = Tensor(np.ones(5), dtype=np.float32)
    assert nn.Dropout(0.5, seed=0)(x32).data.dtype == np.float32


@pytest.mark.parametrize("p", [-0.1, 1.5, True, math.nan, "0.5"])
def test_dropout_rejects_bad_p(p):
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(p)


# ---- vs torch.nn ----------------------------------------------------------------------------

TORCH_ACT = {
    "tanh": torch.nn.Tanh,
    "relu": torch.nn.ReLU,
    "sigmoid": torch.nn.Sigmoid,
    "leaky_relu": torch.nn.LeakyReLU,
    "linear": torch.nn.Identity,
}


def _torch_copy(model):
    mods = []
    for layer in model.layers:
        W, b = layer.get_weights()
        lin = torch.nn.Linear(len(W[0]), len(W), bias=b is not None, dtype=T)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor(W, dtype=T))
            if b is not None:
                lin.bias.copy_(torch.tensor(b, dtype=T))
        mods += [lin, TORCH_ACT[layer.neurons[0].activation]()]
    return torch.nn.Sequential(*mods)


@pytest.mark.parametrize("activation", list(TORCH_ACT))
@pytest.mark.parametrize("out_activation", ["linear", "sigmoid"])
def test_mlp_forward_backward_matches_torch(activation, out_activation):
    model = nn.MLP(3, [5, 4, 2], activation=activation, out_activation=out_activation, seed=4)
    ref = _torch_copy(model)
    batch = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [-2.0, 0.1, 0.3]]
    xs = [[Value(v) for v in row] for row in batch]
    outs = [model(row) for row in xs]
    coeffs = [[1.0, -0.5], [0.25, 2.0], [-1.0, 0.75]]
    vsum([c * o for cs, os in zip(coeffs, outs) for c, o in zip(cs, os)]).backward()

    tx = torch.tensor(batch, dtype=T, requires_grad=True)
    tout = ref(tx)
    (tout * torch.tensor(coeffs, dtype=T)).sum().backward()

    for os, trow in zip(outs, tout.tolist()):
        assert all(close(o.data, t) for o, t in zip(os, trow))
    for row, trow in zip(xs, tx.grad.tolist()):
        assert all(close(v.grad, g) for v, g in zip(row, trow))
    linears = [m for m in ref if isinstance(m, torch.nn.Linear)]
    for layer, lin in zip(model.layers, linears):
        for i, neuron in enumerate(layer.neurons):
            assert all(close(w.grad, g) for w, g in zip(neuron.w, lin.weight.grad[i].tolist()))
            assert close(neuron.b.grad, lin.bias.grad[i].item())


# ---- load_state_dict refuses values that are not real numbers (issue 14, item 5) ------------


@pytest.mark.parametrize("bad, why", [
    (None, "NoneType"),
    (np.full((2, 3), None), "None"),
    (np.full((2, 3), 1 + 2j), "complex"),
    ([[1, 2, 3], [4, 5, 1j]], "complex"),
    (np.full((2, 3), "7"), "str"),
    ([["1", "2", "3"], ["4", "5", "6"]], "str"),
    (np.ones((2, 3), dtype=bool), "bool"),
    ([[True, False, True], [1, 2, 3]], "bool"),
    ([[1, 2, 3], [4, 5, None]], "None"),
])
def test_tensor_load_state_dict_refuses_non_real_values(bad, why):
    net = TensorNet()
    before = {k: np.copy(v) for k, v in net.state_dict().items()}
    with pytest.raises(TypeError, match=f"'weight'.*{why}"):
        net.load_state_dict(dict(net.state_dict(), weight=bad))
    after = net.state_dict()
    assert all(np.array_equal(before[k], after[k]) for k in before)


@pytest.mark.parametrize("bad", [
    [[1, 2, 3], [4, 5, 10**400]],
    np.full((2, 3), np.longdouble("1e4000")) if np.finfo(np.longdouble).max > 1e308
    else [[1, 2, 3], [4, 5, -10**400]],
])
def test_tensor_load_state_dict_refuses_values_overflowing_float(bad):
    net = TensorNet()
    with pytest.raises(ValueError, match="'weight'.*too large"):
        net.load_state_dict(dict(net.state_dict(), weight=bad))
    assert np.all(net.weight.data == np.arange(6.0).reshape(2, 3))


def test_tensor_load_state_dict_keeps_inf_and_nan_that_were_in_the_state():
    """inf and NaN are floats: loading them is allowed (PyTorch does), only overflow is not."""
    net = TensorNet()
    net.load_state_dict(dict(net.state_dict(), bias=[np.inf, np.nan]))
    assert net.bias.data[0] == np.inf and np.isnan(net.bias.data[1])
    net.load_state_dict(dict(net.state_dict(), bias=[1, 2]))  # ints are fine
    assert list(net.bias.data) == [1.0, 2.0]


def test_value_load_state_dict_names_the_key_of_an_overflowing_int():
    model = nn.MLP(2, [2], seed=3)
    with pytest.raises(ValueError, match="'layers.0.neurons.0.b'.*too large"):
        model.load_state_dict(dict(model.state_dict(), **{"layers.0.neurons.0.b": 10**400}))
    for bad in (None, 1j, "3", True):
        with pytest.raises(ValueError, match="'layers.0.neurons.0.b'"):
            model.load_state_dict(dict(model.state_dict(), **{"layers.0.neurons.0.b": bad}))


def test_a_whole_batch_given_to_a_scalar_model_is_named_as_a_batch():
    """Was "Neuron expects 2 inputs, got 5": the 5 was the batch size, not a feature count."""
    model = nn.MLP(2, [3, 1], seed=0)
    batch = np.zeros((5, 2))
    for who, call in (("MLP", model), ("Layer", model.layers[0]),
                      ("Neuron", model.layers[0].neurons[0])):
        with pytest.raises(ValueError, match=re.escape(
                f"{who} got a batch of shape (5, 2); call the model on one sample, "
                "or use a Tensor model")):
            call(batch)
    with pytest.raises(ValueError, match=re.escape("got a batch of shape (3, 2)")):
        model([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])  # nested lists too
    # one sample still works, as a list, a tuple or a 1-D array
    assert model(np.array([1.0, 2.0])).data == model([1.0, 2.0]).data
    with pytest.raises(ValueError, match="Neuron expects 2 inputs, got 3"):
        model([1.0, 2.0, 3.0])
