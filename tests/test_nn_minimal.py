"""The scalar MLP against an equivalent torch.nn model with the same weights.

Only the minimal API: Neuron.w, Neuron.b, Layer.neurons, MLP.layers, parameters(),
zero_grad(). ReLU on hidden layers, linear output (micrograd's MLP).
"""

from __future__ import annotations

import pytest
import torch

from conftest import close
from micrograd_plus import Value
from micrograd_plus.core.autograd import topological_order
from micrograd_plus.nn import MLP, Neuron

INPUTS = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75], [-2.0, 1.0, 0.0], [0.1, 0.2, 0.3]]
TARGETS = [1.0, -1.0, 0.5, 0.0]


def torch_copy(model: MLP) -> torch.nn.Sequential:
    """Linear/ReLU stack whose weight row i is neuron i's w, bias i its b."""
    modules = []
    for k, layer in enumerate(model.layers):
        nin, nout = len(layer.neurons[0].w), len(layer.neurons)
        linear = torch.nn.Linear(nin, nout, dtype=torch.float64)
        with torch.no_grad():
            for i, n in enumerate(layer.neurons):
                linear.weight[i] = torch.tensor([w.data for w in n.w], dtype=torch.float64)
                linear.bias[i] = n.b.data
        modules.append(linear)
        if k < len(model.layers) - 1:
            modules.append(torch.nn.ReLU())
    return torch.nn.Sequential(*modules)


def squared_error(outputs, targets):
    total = 0.0
    for out, t in zip(outputs, targets):
        total = total + (out - t) ** 2
    return total


@pytest.mark.parametrize("seed", [0, 1, 7])
def test_mlp_forward_and_backward_match_torch(seed):
    model = MLP(3, [4, 4, 1], seed=seed)
    # biases of both signs so that, with these inputs, some hidden ReLUs are off
    for layer in model.layers:
        for i, n in enumerate(layer.neurons):
            n.b.data = 0.1 * (i - 1)
    ref = torch_copy(model)

    outputs = [model(x) for x in INPUTS]
    assert all(isinstance(o, Value) for o in outputs)
    loss = squared_error(outputs, TARGETS)
    model.zero_grad()
    loss.backward()

    tout = ref(torch.tensor(INPUTS, dtype=torch.float64))[:, 0]
    tloss = ((tout - torch.tensor(TARGETS, dtype=torch.float64)) ** 2).sum()
    tloss.backward()

    for o, t in zip(outputs, tout.tolist()):
        assert close(o.data, t)
    assert close(loss.data, tloss.item())
    linears = [m for m in ref if isinstance(m, torch.nn.Linear)]
    for layer, linear in zip(model.layers, linears):
        for i, n in enumerate(layer.neurons):
            for j, w in enumerate(n.w):
                assert close(w.grad, linear.weight.grad[i, j].item()), (i, j)
            assert close(n.b.grad, linear.bias.grad[i].item()), i


def test_hidden_layers_are_relu_and_output_is_linear():
    model = MLP(2, [3, 1], seed=0)
    hidden, out = model.layers
    for n in hidden.neurons:  # make every hidden pre-activation negative: all ReLUs off
        for w in n.w:
            w.data = -1.0
        n.b.data = -0.5
    out.neurons[0].b.data = -2.0  # a linear output may be negative
    y = model([1.0, 1.0])
    assert y.data == -2.0
    y.backward()
    assert all(w.grad == 0.0 for n in hidden.neurons for w in n.w)  # ReLU'(negative) = 0
    assert out.neurons[0].b.grad == 1.0


def test_parameters_order_and_count_follow_micrograd():
    model = MLP(3, [4, 4, 1], seed=0)
    expected = [p for layer in model.layers for n in layer.neurons for p in n.w + [n.b]]
    params = model.parameters()
    assert len(params) == 4 * 4 + 4 * 5 + 1 * 5 == 41
    assert len({id(p) for p in params}) == 41
    assert all(p is q for p, q in zip(params, expected))


def test_zero_grad_and_accumulation():
    model = MLP(3, [4, 4, 1], seed=3)
    for _ in range(2):  # two backward passes without zero_grad accumulate
        model(INPUTS[0]).backward()
    doubled = [p.grad for p in model.parameters()]
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())
    model(INPUTS[0]).backward()
    assert [2 * p.grad for p in model.parameters()] == doubled
    assert any(g != 0.0 for g in doubled)


def test_a_neuron_is_a_few_graph_nodes_not_two_per_input():
    n = Neuron(50, nonlin=True, seed=0)
    y = n([0.1] * 50)  # plain-number inputs are constants inside one dot node
    ops = [node._op for node in topological_order(y) if node._prev]
    assert len(ops) <= 3 and ops[0] == "dot" and ops[-1] == "ReLU"
    assert len(topological_order(y)) <= 50 + 1 + 3  # weights, bias, at most 3 op nodes


def test_seeded_models_are_reproducible():
    a, b = MLP(3, [4, 1], seed=5), MLP(3, [4, 1], seed=5)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
