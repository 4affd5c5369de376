"""Code written for karpathy's micrograd runs unchanged on micrograd_plus.

micrograd's constructor, ``_prev``/``_op`` and nn API, used the way micrograd's code uses them
(its two sanity checks run verbatim in ``test_micrograd_regression.py``). Only
``micrograd_plus`` is imported (PyTorch is the reference).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from conftest import needs_dot
from micrograd_plus import Value
from micrograd_plus.nn import MLP, Layer, Neuron


def test_micrograd_constructor_prev_and_op():
    a, b = Value(2.0), Value(3.0)
    hand = Value(5.0, (a, b), "+")  # micrograd's positional constructor
    assert hand.data == 5.0 and hand.grad == 0 and set(hand._prev) == {a, b}
    assert hand._op == "+"
    leaf = Value(1.0)
    assert leaf._prev == () or set(leaf._prev) == set()
    assert leaf._op == ""
    # the op names micrograd's own graph drawing prints
    assert (a + b)._op == "+" and (a * b)._op == "*"
    assert (a**2)._op == "**2" and (a**3.5)._op == "**3.5"
    assert a.relu()._op == "ReLU"
    c = a * b
    assert set(c._prev) == {a, b}
    assert isinstance(c.data, float) and c.grad == 0


def test_micrograd_style_in_place_update_and_repr():
    p = Value(1.0)
    (p * 3.0).backward()
    p.data -= 0.1 * p.grad  # micrograd's SGD step
    assert abs(p.data - 0.7) < 1e-15
    assert "data=" in repr(p) and "grad=" in repr(p)


def test_micrograd_nn_api():
    model = MLP(3, [4, 4, 1])
    params = model.parameters()
    assert len(params) == (3 * 4 + 4) + (4 * 4 + 4) + (4 * 1 + 1)
    assert all(isinstance(p, Value) for p in params)
    out = model([Value(1.0), 2.0, -3.0])  # one output: a Value, not a list
    assert isinstance(out, Value)
    out.backward()
    assert any(p.grad != 0 for p in params)
    model.zero_grad()
    assert all(p.grad == 0 for p in params)

    layer = Layer(2, 3)
    assert len(layer([1.0, 2.0])) == 3 and len(layer.parameters()) == 9


def test_neuron_nonlin_keyword():
    x = [0.5, -2.0, 1.5]
    linear = Neuron(3, nonlin=False)
    relu = Neuron(3, nonlin=True)
    for n in (linear, relu):
        assert len(n.parameters()) == 4
    for n in (linear, relu):  # weights chosen so the pre-activation is negative
        for wi, v in zip(n.w, (-1.0, 1.0, -1.0)):
            wi.data = v
        n.b.data = 0.25
    pre = -0.5 - 2.0 - 1.5 + 0.25
    assert linear(x).data == pre
    assert relu(x).data == 0.0


def test_micrograds_demo_training_loop_runs_unchanged():
    """The loop of micrograd's demo.ipynb, verbatim in style: numpy data, sum(), relu hinge."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(8, 2))
    y = np.where(X[:, 0] * X[:, 1] > 0, 1, -1)
    model = MLP(2, [4, 4, 1])

    def loss():
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum((p * p for p in model.parameters()))
        return data_loss + reg_loss

    total = loss()
    model.zero_grad()
    total.backward()

    # the same loss in torch with the same weights: value and every parameter's gradient
    params = model.parameters()
    tparams = [torch.tensor(p.data, dtype=torch.float64, requires_grad=True) for p in params]
    it = iter(tparams)
    layers = [[([next(it) for _ in n.w], next(it)) for n in layer.neurons]
              for layer in model.layers]
    tx = torch.tensor(X, dtype=torch.float64)
    h = tx
    for i, layer in enumerate(layers):
        W = torch.stack([torch.stack(w) for w, _ in layer])
        b = torch.stack([b for _, b in layer])
        h = h @ W.T + b
        if i < len(layers) - 1:
            h = torch.relu(h)
    ty = torch.tensor(y, dtype=torch.float64)
    tloss = torch.relu(1 - ty * h[:, 0]).mean() + 1e-4 * sum(p * p for p in tparams)
    tloss.backward()
    assert abs(total.data - tloss.item()) < 1e-12
    for p, tp in zip(params, tparams):
        assert abs(p.grad - tp.grad.item()) < 1e-12

    for _ in range(20):  # and it learns
        for p in params:
            p.data -= 0.05 * p.grad
        total = loss()
        model.zero_grad()
        total.backward()
    assert total.data < tloss.item()


def test_neuron_and_layer_default_to_relu_like_micrograd():
    """micrograd: ``Neuron(nin, nonlin=True)`` is ReLU, ``Layer(nin, nout, **kwargs)``."""
    n = Neuron(3)
    assert n.nonlin is True and n.activation == "relu"
    for wi, v in zip(n.w, (-1.0, 1.0, -1.0)):
        wi.data = v
    assert n([0.5, -2.0, 1.5]).data == 0.0  # ReLU of a negative pre-activation
    assert Neuron(3, False).nonlin is False and Neuron(3, False).activation == "linear"
    assert Neuron(3, nonlin=False).activation == "linear"
    layer = Layer(2, 3)
    assert all(m.activation == "relu" and m.nonlin for m in layer.neurons)
    assert all(m.activation == "linear" for m in Layer(2, 3, nonlin=False).neurons)
    # another activation by name, keyword or positional
    assert Neuron(3, activation="tanh").activation == "tanh"
    assert Neuron(3, activation="tanh").nonlin is True
    assert Layer(2, 3, "sigmoid").neurons[0].activation == "sigmoid"
    assert Neuron(3, activation="linear").nonlin is False


# ---- draw_dot: the signature of micrograd's notebooks -----------------------------------------


def _small_graph():
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    y = (a * b + 1.0).relu()
    y.backward()
    return y


@needs_dot
def test_draw_dot_takes_micrograds_format_and_rankdir(tmp_path):
    from micrograd_plus import draw_dot, draw_graph

    y = _small_graph()
    svg = draw_dot(y)  # micrograd: draw_dot(root, format='svg', rankdir='LR')
    assert svg.format == "svg" and "rankdir=LR" in svg.source
    assert b"<svg" in svg.pipe()
    png = draw_dot(y, format="png")  # raised a TypeError before
    assert png.format == "png" and png.pipe().startswith(b"\x89PNG")
    tb = draw_dot(y, "svg", "TB")  # positional, as the notebook's def allows
    assert tb.format == "svg" and "rankdir=TB" in tb.source
    # the notebook's dot.render(...) writes an SVG, not a PDF
    out = Path(draw_dot(y).render(str(tmp_path / "gout")))
    assert out.suffix == ".svg" and "<svg" in out.read_text()
    # draw_graph's options still work through draw_dot, and draw_graph renders SVG too
    labelled = draw_dot(y, format="svg", rankdir="LR", edge_labels=True, title="relu")
    assert "relu" in labelled.source and labelled.source.count("fontcolor=\"#1f5fa8\"") >= 2
    assert draw_graph(y).format == "svg"
    with pytest.raises(ValueError, match="format"):
        draw_dot(y, format="gif-ish")


# ---- importing leaves Python's global random generator alone ----------------------------------


def test_import_leaves_global_random_state_untouched():
    """micrograd's demo seeds ``random`` before importing; rich draws from it at import."""
    code = (
        "import random\n"
        "random.seed(1337)\n"
        "before = random.getstate()\n"
        "import micrograd_plus\n"
        "from micrograd_plus.nn import MLP\n"
        "import micrograd_plus.cli, micrograd_plus.debug.terminal, micrograd_plus.debug.explorer\n"
        "assert random.getstate() == before, 'import changed random state'\n"
        "random.seed(1337)\n"
        "expected = [random.uniform(-1, 1) for _ in range(2)]\n"
        "random.seed(1337)\n"
        "model = MLP(2, [16, 16, 1])\n"
        "got = [w.data for w in model.layers[0].neurons[0].w]\n"
        "assert got == expected, (got, expected)\n"
        "print('ok')\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
