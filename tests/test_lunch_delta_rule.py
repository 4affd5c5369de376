"""WORKED_EXAMPLES.md §1: the lunch-price neuron y = w·x trained by the delta rule.

The delta rule Δw = ε·x·(t − y) is SGD with learning rate ε on E = ½(t − y)², because
∂E/∂w = −(t − y)·x. Every number of the table is checked, step by step, through the library's
autograd and ``optim.SGD`` (the lr changes per step), and against torch.optim.SGD.
"""

from __future__ import annotations

from fractions import Fraction

import pytest
import torch

from micrograd_plus import Value, dot, optim

SAMPLES = [((5, 2, 4), 1250), ((3, 3, 3), 900), ((0, 5, 1), 350)]
TRUE_PRICES = (150, 50, 100)
START = (50, 50, 50)

# the table of WORKED_EXAMPLES.md §1: (y, t − y, ε, Δw, w after)
TABLE = [
    (550, 700, Fraction(1, 70), (50, 20, 40), (100, 70, 90)),
    (780, 120, Fraction(1, 12), (30, 30, 30), (130, 100, 120)),
    (620, -270, Fraction(2, 27), (0, -100, -20), (130, 0, 100)),
]
SLIDE_TYPO_STEP3 = (0, -40, -20)  # the slide used x_veg = 2 instead of 5


def approx(x):
    return pytest.approx(x, rel=1e-12, abs=1e-9)


def test_every_number_of_the_table_via_autograd_and_sgd():
    w = [Value(float(v), label=f"w{i + 1}") for i, v in enumerate(START)]
    opt = optim.SGD(w, lr=1.0)
    for step, ((x, t), (y_exp, err_exp, eps, dw_exp, w_exp)) in enumerate(zip(SAMPLES, TABLE)):
        opt.zero_grad()
        y = dot(w, x)
        E = 0.5 * (t - y) ** 2
        E.backward()
        assert y.data == y_exp, f"step {step + 1}: y"
        assert t - y.data == err_exp, f"step {step + 1}: t - y"
        # ∂E/∂w = −(t − y)·x: the delta rule's direction
        assert [p.grad for p in w] == [-err_exp * xi for xi in x]
        before = [p.data for p in w]
        opt.param_groups[0]["lr"] = float(eps)  # the slides' per-step learning rate
        opt.step()
        delta = [p.data - b for p, b in zip(w, before)]
        assert delta == approx(list(dw_exp)), f"step {step + 1}: Δw"
        assert [p.data for p in w] == approx(list(w_exp)), f"step {step + 1}: w after"
    assert delta != approx(list(SLIDE_TYPO_STEP3))


def test_step_one_gradients_and_loss():
    w = [Value(float(v)) for v in START]
    (x, t) = SAMPLES[0]
    y = dot(w, x)
    E = 0.5 * (t - y) ** 2
    E.backward()  # Values keep every node's grad (like retain_grad()): ∂E/∂y is y.grad
    assert E.data == 245000
    assert y.grad == -700
    assert [p.grad for p in w] == [-3500, -1400, -2800]


def test_table_in_exact_rational_arithmetic_and_the_slide_typo():
    """Recompute the delta rule with Fractions: the table's numbers are exact, and step 3 is
    (0, −100, −20), not the slide's (0, −40, −20)."""
    w = [Fraction(v) for v in START]
    for (x, t), (y_exp, err_exp, eps, dw_exp, w_exp) in zip(SAMPLES, TABLE):
        y = sum(wi * xi for wi, xi in zip(w, x))
        dw = [eps * xi * (t - y) for xi in x]
        w = [wi + d for wi, d in zip(w, dw)]
        assert (y, t - y, tuple(dw), tuple(w)) == (y_exp, err_exp, dw_exp, w_exp)
    assert tuple(dw) != SLIDE_TYPO_STEP3


def test_delta_rule_matches_torch_sgd():
    w = [Value(float(v)) for v in START]
    tw = torch.tensor(START, dtype=torch.float64, requires_grad=True)
    opt = optim.SGD(w, lr=1.0)
    ref = torch.optim.SGD([tw], lr=1.0)
    for (x, t), row in zip(SAMPLES, TABLE):
        eps = float(row[2])
        opt.param_groups[0]["lr"] = ref.param_groups[0]["lr"] = eps
        opt.zero_grad()
        (0.5 * (t - dot(w, x)) ** 2).backward()
        opt.step()
        ref.zero_grad()
        (0.5 * (t - tw @ torch.tensor(x, dtype=torch.float64)) ** 2).backward()
        ref.step()
        # torch's vectorised kernel may fuse multiply-add: equal to rounding, not bit for bit
        assert [p.data for p in w] == pytest.approx(tw.detach().tolist(), rel=1e-12, abs=1e-10)


def test_batch_gradient_descent_converges_to_the_true_prices():
    """E = ½ Σ_n (t_n − y_n)², full batch, fixed lr 0.02 (< 2/λ_max(XᵀX) ≈ 0.025)."""
    w = [Value(float(v)) for v in START]
    opt = optim.SGD(w, lr=0.02)
    previous = float("inf")
    for _ in range(30000):
        opt.zero_grad()
        E = 0.5 * sum(((t - dot(w, x)) ** 2 for x, t in SAMPLES), Value(0.0))
        E.backward()
        # GD on a quadratic with lr < 2/λ_max never increases the loss
        assert E.data <= previous * (1 + 1e-12) + 1e-18
        previous = E.data
        opt.step()
    assert [p.data for p in w] == pytest.approx(TRUE_PRICES, abs=1e-3)
    assert previous < 1e-6
