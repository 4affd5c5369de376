"""The gradients-of-gradients examples: newton, double_backward, gradient_penalty.

Expected values are closed forms and the numbers of WORKED_EXAMPLES.md §4, and PyTorch where
it computes the same thing.
"""

from __future__ import annotations

import math
import shutil
import xml.etree.ElementTree as ET

import numpy as np
import pytest
import torch

from conftest import close, needs_dot
from micrograd_plus import Value, hessian
from micrograd_plus.core.autograd import topological_order
from micrograd_plus.examples import double_backward, gd_surface, gradient_penalty, newton
from micrograd_plus.viz import draw_graph, format_number, node_name, render_graph, run_dot

SVG = "{http://www.w3.org/2000/svg}"


def svg_texts(graph) -> dict[str, str]:
    """Node title → its text, from the SVG that real `dot` renders."""
    root = ET.fromstring(run_dot(graph, "svg"))
    return {g.find(f"{SVG}title").text:
            " ".join(" ".join(t.text or "" for t in g.iter(f"{SVG}text")).split())
            for g in root.iter(f"{SVG}g") if g.get("class") == "node"}


# -- newton ------------------------------------------------------------------------------------
def test_newton_hessian_of_the_seed_surface():
    d = newton.derivatives(newton.START)
    assert d["J"] == 24.0 and d["grad"] == (-4.0, 8.0)
    assert d["hessian"] == [[2.0, 0.0], [0.0, 2.0]]
    # J is quadratic: the same Hessian everywhere, and the same as hessian() and torch's
    for w in [(0.3, -7.0), (5.0, 2.5)]:
        assert newton.derivatives(w)["hessian"] == [[2.0, 0.0], [0.0, 2.0]]
    assert hessian(newton.J, list(newton.START)) == [[2.0, 0.0], [0.0, 2.0]]
    th = torch.autograd.functional.hessian(
        newton.J, tuple(torch.tensor(w, dtype=torch.float64) for w in newton.START))
    assert [[float(h) for h in row] for row in th] == [[2.0, 0.0], [0.0, 2.0]]


def test_one_newton_step_lands_on_the_minimum_where_descent_needs_20():
    path = newton.newton(steps=2)
    assert path[0]["w"] == (-2.0, 3.0) and path[0]["newton_step"] == (2.0, -4.0)
    assert path[1]["w"] == (0.0, -1.0) and path[1]["J"] == 4.0 and path[1]["grad"] == (0, 0)
    assert path[2]["w"] == (0.0, -1.0)  # at the minimum the step is 0
    gd = gd_surface.descend()
    w1, w2 = gd[-1]["w"]
    assert len(gd) == 21 and round(w1, 3) == -0.023 and round(w2, 3) == -0.954
    assert gd[-1]["J"] > 4.0 and close(gd[-1]["J"], 4 + 20 * 0.64**20)


def test_newton_build_keeps_the_gradient_as_graphs():
    g = newton.build(backward=True)
    d1, d2 = g["dJ_dw1"], g["dJ_dw2"]
    assert isinstance(d1, Value) and d1.requires_grad and d1.label == "∂J/∂w1"
    assert (d1.data, d2.data) == (-4.0, 8.0)
    assert g["w1"] in topological_order(d1) and g["w2"] in topological_order(d2)
    assert g["w1"].grad == 0.0  # grad() stores nothing


@needs_dot
def test_newton_gradient_graph_shows_2_w1_and_2_w2_plus_2(artifacts):
    g = newton.build(backward=True)
    graph = draw_graph([g["dJ_dw1"], g["dJ_dw2"]], precision=2)
    texts = svg_texts(graph)
    assert "∂J/∂w1 data −4" in texts[node_name(g["dJ_dw1"])]
    assert "∂J/∂w2 data 8" in texts[node_name(g["dJ_dw2"])]
    ops = sorted(t for name, t in texts.items() if name.endswith("_op"))
    # ∂J/∂w1 = 2·w1, ∂J/∂w2 = 2·w2 + 1·2: no power node (k·a for a square); the 2 of 2·w2
    # comes as 1 × 2, a node of its own, so the gradient never is the forward graph's leaf
    assert ops == ["+", "×", "×", "×"]
    render_graph(graph, artifacts / "newton_gradient.png")


def test_newton_plot(tmp_path):
    import matplotlib  # noqa: F401  (dev extra: a broken install must fail, not skip)
    out = newton.plot_paths(newton.newton()[:2], gd_surface.descend(), tmp_path / "n.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_newton_main_prints_both_paths(tmp_path, capsys):
    assert newton.main(out_dir=tmp_path) == 0
    out = capsys.readouterr().out
    for text in ("∇J = (−4, 8)", "Hessian H = [[2, 0], [0, 2]]", "1 step to (0, −1), J = 4",
                 "20 steps to (−0.023, −0.954)", "−0.0231", "−0.9539", "(2, −4)"):
        assert text in out, text
    assert (tmp_path / "newton.png").exists()
    assert (tmp_path / ("newton_gradient." + ("svg" if shutil.which("dot") else "dot"))).exists()


# -- double_backward ---------------------------------------------------------------------------
def test_double_backward_matches_the_closed_forms_and_torch():
    rows = double_backward.table()
    assert [r["x"] for r in rows] == list(double_backward.POINTS)
    for r in rows:
        t = math.tanh(r["x"])
        assert close(r["dy"], 1 - t * t, rtol=1e-15) and close(r["dy_closed"], 1 - t * t)
        assert close(r["d2y"], -2 * t * (1 - t * t), rtol=1e-14, atol=1e-300)
        x = torch.tensor(r["x"], dtype=torch.float64, requires_grad=True)
        (d1,) = torch.autograd.grad(x.tanh(), x, create_graph=True)
        (d2,) = torch.autograd.grad(d1, x)
        assert close(r["dy"], d1.item(), rtol=1e-15) and close(r["d2y"], d2.item(), rtol=1e-14)


def test_double_backward_first_derivative_is_the_backward_pass_of_tanh():
    g = double_backward.build()
    dy = g["dy"]
    # 1 − y·y: tanh's rule (times the seed 1, which adds no node), built from y itself
    assert [n._op for n in topological_order(dy) if n._op] == ["tanh", "*", "-"]
    assert dy._op == "-" and dy._prev[1]._prev == (g["y"], g["y"])
    back = double_backward.build(backward=True)  # dy.backward(): x.grad = d²y/dx²
    assert close(back["x"].grad, double_backward.closed_forms(0.5)[2], rtol=1e-15)


@needs_dot
def test_double_backward_images_show_the_derivative_graphs(tmp_path):
    assert double_backward.main(out_dir=tmp_path) == 0
    svg = (tmp_path / "double_backward.svg").read_bytes()
    root = ET.fromstring(svg)
    texts = [" ".join(" ".join(t.text or "" for t in g.iter(f"{SVG}text")).split())
             for g in root.iter(f"{SVG}g") if g.get("class") == "node"]
    assert sorted(t for t in texts if t in ("tanh", "×", "−")) == ["tanh", "×", "−"]
    assert any(t.startswith("dy/dx data 0.7864") for t in texts)
    assert any(t.startswith("y = tanh x data 0.4621") for t in texts)
    assert (tmp_path / "double_backward_second.png").exists()


def test_double_backward_main_prints_the_table(tmp_path, capsys):
    double_backward.main(out_dir=tmp_path)
    out = capsys.readouterr().out
    assert "largest difference from the closed forms: 0.0e+00" in out
    t = math.tanh(0.5)
    # the one number formatter, as in the graphs: 4 decimals, a unicode minus
    assert "0.7864" in out and "−0.7269" in out
    assert format_number(1 - t * t) == "0.7864"


# -- gradient_penalty --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def penalty_runs():
    return gradient_penalty.train(), gradient_penalty.train_torch()


def test_gradient_penalty_trajectory_equals_pytorch(penalty_runs):
    ours, theirs = penalty_runs
    assert len(ours["rows"]) == len(theirs["rows"]) == gradient_penalty.STEPS + 1
    for a, b in zip(ours["rows"], theirs["rows"]):
        for key in ("loss", "fit", "penalty"):
            assert close(a[key], b[key], rtol=1e-9), (a["step"], key)
    params = ours["model"].parameters()
    torch_params = list(theirs["model"].parameters())
    assert len(params) == len(torch_params) == 4
    for p, tp in zip(params, torch_params):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_gradient_penalty_is_trained_through_the_gradient(penalty_runs):
    ours, _ = penalty_runs
    plain = gradient_penalty.train(lam=0.0)
    assert ours["rows"][0]["penalty"] == plain["rows"][0]["penalty"]  # same start
    assert ours["rows"][-1]["penalty"] < 0.25 * plain["rows"][-1]["penalty"]
    losses = [r["loss"] for r in ours["rows"]]
    assert losses == sorted(losses, reverse=True)


def test_gradient_penalty_graph_holds_the_input_gradient():
    g = gradient_penalty.build()
    gx = g["grad_x"]
    assert gx.shape == (gradient_penalty.N, 2) and gx.requires_grad
    assert gx in topological_order(g["root"])
    # row n of ∇ₓ f is ∂f(x_n)/∂x_n: compare with torch for the same weights
    from micrograd_plus.interop import to_torch

    x, _ = gradient_penalty.dataset()
    xt = torch.tensor(x, requires_grad=True)
    (tgx,) = torch.autograd.grad(to_torch(g["model"])(xt).sum(), xt)
    np.testing.assert_allclose(gx.data, tgx.numpy(), rtol=1e-12, atol=1e-15)


def test_gradient_penalty_main_prints_the_comparison(capsys, tmp_path):
    assert gradient_penalty.main(out_dir=tmp_path) == 0
    out = capsys.readouterr().out
    assert "PyTorch alongside" in out and "largest difference from PyTorch's losses" in out
    from micrograd_plus.examples.output import num

    start = num(gradient_penalty.train_torch(steps=0)["rows"][0]["loss"], 10)
    row0 = next(line for line in out.splitlines() if line.startswith("│    0 │"))
    assert row0.count(start) == 2  # our loss and PyTorch's, side by side
