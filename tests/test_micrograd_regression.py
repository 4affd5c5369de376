"""micrograd's own code, run unchanged on micrograd_plus, against micrograd's published output.

Copied verbatim from karpathy/micrograd (commit c911406): the README example (kept as the
README shows it, in ``tests/data/micrograd_README_example.md``), the two tests
of ``test/test_engine.py``, ``trace_graph.ipynb``'s neuron and ``demo.ipynb``'s training
loop. Only import lines differ (``micrograd`` → ``micrograd_plus``; scikit-learn's
``make_moons`` from ``tests/sklearn_moons.py``; the notebook magic ``%matplotlib inline`` is
dropped). The reference numbers are the ones micrograd prints: the README's comments, the
notebook outputs stored in ``tests/data/micrograd_demo_output.txt``, the values in its
``gout.svg``.
"""

# ruff: noqa: E702, F401, W291, W293  (micrograd's code kept verbatim, its whitespace too)

from __future__ import annotations

import math
import re
from pathlib import Path

import pytest
import torch

from conftest import needs_dot
from micrograd_plus.engine import Value

DATA = Path(__file__).parent / "data"


# ---- README.md ------------------------------------------------------------------------------


def test_readme_example(capsys):
    code = _code_block("micrograd_README_example.md")
    assert code.startswith("from micrograd.engine import Value\n")
    exec(code.replace("from micrograd.engine", "from micrograd_plus.engine", 1), {})

    assert capsys.readouterr().out.split() == ["24.7041", "138.8338", "645.5773"]


# ---- test/test_engine.py --------------------------------------------------------------------


def test_micrograd_engine_tests():
    """micrograd's two tests, comparing its Value with PyTorch on the same expressions."""
    code = _code_block("micrograd_test_engine.md")
    assert "from micrograd.engine import Value\n" in code
    ns: dict = {}
    exec(code.replace("from micrograd.engine", "from micrograd_plus.engine", 1), ns)
    ns["test_sanity_check"]()
    ns["test_more_ops"]()


def test_sanity_check_numbers_by_hand():
    """Not micrograd's: its sanity-check expression, y = h + q + q·x (written here as
    h + q·(1 + x)), worked by hand at x = −4: z = 3x + 2 = −10, q = relu(z) + z·x = 40,
    h = relu(z²) = 100, y = 100 + 40·(−3) = −20; dy/dx = 2z·3 + (1 + x)·(3x + z) + q
    = −60 + 66 + 40 = 46."""
    x = Value(-4.0)
    z = 3 * x + 2
    y = (z * z).relu() + (z.relu() + z * x) * (1 + x)
    y.backward()
    assert (y.data, x.grad) == (-20.0, 46.0)


# ---- trace_graph.ipynb: a simple 2D neuron, drawn with draw_dot -------------------------------


@needs_dot
def test_trace_graph_neuron(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    from micrograd_plus import draw_dot

    # a simple 2D neuron
    import random
    from micrograd_plus import nn

    random.seed(1337)
    n = nn.Neuron(2)
    x = [Value(1.0), Value(-2.0)]
    y = n(x)
    y.backward()

    dot = draw_dot(y)
    dot

    dot.render('gout')

    # micrograd's gout.svg: w = (0.2355, 0.0665), y = relu(0.2355 − 2·0.0665) = 0.1024,
    # ∂y/∂w = x = (1, −2)
    svg = (tmp_path / "gout.svg").read_text()
    shown = re.findall(r"\d+\.\d+", " ".join(re.findall(r"<text[^>]*>([^<]*)</text>", svg)))
    for number in ("0.1024", "0.2355", "0.0665"):
        assert number in shown, (number, shown)
    assert [round(w.grad, 4) for w in n.w] == [1.0, -2.0]
    assert round(y.data, 4) == 0.1024


# ---- demo.ipynb: two moons, MLP(2, [16, 16, 1]), max-margin loss, 100 SGD steps ---------------


def _published_demo_output():
    """(loss, accuracy %) per step, and the first loss() print, from demo.ipynb's outputs."""
    lines = (DATA / "micrograd_demo_output.txt").read_text().splitlines()
    first = float(re.match(r"Value\(data=([-\d.e]+), grad=0\) 0\.5$", lines[0]).group(1))
    steps = [re.match(r"step (\d+) loss ([-\d.e]+), accuracy ([\d.]+)%$", s).groups()
             for s in lines[1:]]
    assert [int(k) for k, _, _ in steps] == list(range(100))
    return first, [(float(loss), float(acc)) for _, loss, acc in steps]


def test_demo_training_loop_matches_micrograds_published_output(capsys):
    import matplotlib
    matplotlib.use("Agg")

    import random
    import numpy as np
    import matplotlib.pyplot as plt

    from micrograd_plus.engine import Value
    from micrograd_plus.nn import Neuron, Layer, MLP

    np.random.seed(1337)
    random.seed(1337)

    # make up a dataset

    from sklearn_moons import make_moons
    X, y = make_moons(n_samples=100, noise=0.1)

    y = y*2 - 1 # make y be -1 or 1
    # visualize in 2D
    plt.figure(figsize=(5,5))
    plt.scatter(X[:,0], X[:,1], c=y, s=20, cmap='jet')

    # initialize a model 
    model = MLP(2, [16, 16, 1]) # 2-layer neural network
    print(model)
    print("number of parameters", len(model.parameters()))

    # loss function
    def loss(batch_size=None):
        
        # inline DataLoader :)
        if batch_size is None:
            Xb, yb = X, y
        else:
            ri = np.random.permutation(X.shape[0])[:batch_size]
            Xb, yb = X[ri], y[ri]
        inputs = [list(map(Value, xrow)) for xrow in Xb]
        
        # forward the model to get scores
        scores = list(map(model, inputs))
        
        # svm "max-margin" loss
        losses = [(1 + -yi*scorei).relu() for yi, scorei in zip(yb, scores)]
        data_loss = sum(losses) * (1.0 / len(losses))
        # L2 regularization
        alpha = 1e-4
        reg_loss = alpha * sum((p*p for p in model.parameters()))
        total_loss = data_loss + reg_loss
        
        # also get accuracy
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]
        return total_loss, sum(accuracy) / len(accuracy)

    total_loss, acc = loss()
    print(total_loss, acc)

    # optimization
    for k in range(100):
        
        # forward
        total_loss, acc = loss()
        
        # backward
        model.zero_grad()
        total_loss.backward()
        
        # update (sgd)
        learning_rate = 1.0 - 0.9*k/100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        
        if k % 1 == 0:
            print(f"step {k} loss {total_loss.data}, accuracy {acc*100}%")

    plt.close("all")
    out = capsys.readouterr().out
    assert "number of parameters 337" in out
    first, published = _published_demo_output()
    got_first = re.search(r"Value\(data=([-\d.e]+), grad=[\d.]+\) 0\.5", out)
    assert got_first and math.isclose(float(got_first.group(1)), first, rel_tol=1e-12)
    got = [(float(loss), float(acc)) for loss, acc in
           re.findall(r"^step \d+ loss ([-\d.e]+), accuracy ([\d.]+)%$", out, re.M)]
    assert len(got) == 100
    # micrograd sums a neuron's w·x one product at a time, micrograd_plus in one dot node:
    # the last bits differ, every printed loss agrees to 1e-9 and every accuracy exactly
    for k, ((loss_k, acc_k), (ref_loss, ref_acc)) in enumerate(zip(got, published)):
        assert acc_k == ref_acc, (k, acc_k, ref_acc)
        assert math.isclose(loss_k, ref_loss, rel_tol=1e-9), (k, loss_k, ref_loss)
    assert published[-1] == (pytest.approx(0.010978370135492717), 100.0)


# ---- the lecture (nn-zero-to-hero, micrograd): backprop by hand, node by node -----------------


def _code_block(name: str) -> str:
    """The Python code block of ``tests/data/NAME`` (code kept as its source shows it)."""
    text = (DATA / name).read_text(encoding="utf-8")
    return re.search(r"```python\n(.*?)```", text, re.S).group(1)


def test_lecture_manual_backward_calls():
    ns = {"Value": Value}
    exec(_code_block("lecture_manual_backprop.md"), ns)
    o, n, b, x1, w1, x2, w2 = (ns[k] for k in ("o", "n", "b", "x1", "w1", "x2", "w2"))

    # the lecture's numbers: o = 0.7071, do/dn = 1 − o² = 0.5
    assert round(o.data, 4) == 0.7071
    assert round(n.grad, 4) == 0.5 and round(b.grad, 4) == 0.5
    assert (round(x1.grad, 4), round(w1.grad, 4)) == (-1.5, 1.0)
    assert (round(x2.grad, 4), round(w2.grad, 4)) == (0.5, 0.0)


