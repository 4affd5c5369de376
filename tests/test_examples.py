"""Every number of the worked examples (shared/WORKED_EXAMPLES.md), from the example modules.

Expected values are the document's hand-computed numbers (or closed forms), never copies of
the code's output; where PyTorch computes the same thing, it is compared too.
"""

from __future__ import annotations

import importlib
import math
import shutil
import xml.etree.ElementTree as ET
from fractions import Fraction

import numpy as np
import pytest

from conftest import close, needs_dot
from micrograd_plus.core import autograd
from micrograd_plus.examples import (EXAMPLES, gd_surface, lunch, neuron_342, run_all,
                                     three_layer, torch_tutorial)
from micrograd_plus.viz import GRAD_COLORS, ZERO_GRAD_COLOR, node_name, render_graph, run_dot

SVG = "{http://www.w3.org/2000/svg}"


def approx_vec(a, b, tol=1e-9):
    return len(a) == len(b) and all(close(float(x), float(y), rtol=tol, atol=tol)
                                    for x, y in zip(a, b))


# -- 1. lunch ---------------------------------------------------------------------------------

def test_lunch_step1_graph_numbers():
    g = lunch.build(backward=True)
    assert g["root"] is g["E"]
    assert g["y"].data == 550.0 and g["error"].data == 700.0 and g["E"].data == 245000.0
    assert g["y"].grad == -700.0
    assert [w.grad for w in g["w"]] == [-3500.0, -1400.0, -2800.0]
    assert g["w_meat"] is g["w"][0] and g["x_staple"] is g["x"][2]
    assert all(not x.requires_grad for x in g["x"]) and not g["t"].requires_grad
    assert [w.grad for w in lunch.build()["w"]] == [0.0, 0.0, 0.0]  # forward only by default


# (y, t − y, ε, Δw, w after) from WORKED_EXAMPLES.md §1
LUNCH_TABLE = [
    (550, 700, Fraction(1, 70), (50, 20, 40), (100, 70, 90)),
    (780, 120, Fraction(1, 12), (30, 30, 30), (130, 100, 120)),
    (620, -270, Fraction(2, 27), (0, -100, -20), (130, 0, 100)),
]


def test_lunch_delta_rule_table():
    rows = lunch.delta_rule()
    assert len(rows) == 3
    for row, (y, err, eps, delta, w_after) in zip(rows, LUNCH_TABLE):
        assert row["y"] == y and row["error"] == err and row["eps"] == eps
        assert approx_vec(row["delta"], delta) and approx_vec(row["w"], w_after)
        # the delta rule Δw = ε·x·(t − y) is exactly −ε·∂E/∂w
        assert approx_vec(row["delta"], [float(eps) * x * err for x in row["x"]])


def test_lunch_slide_typo_in_step_3():
    step3 = lunch.delta_rule()[2]
    assert approx_vec(step3["delta"], (0, -100, -20))
    assert not approx_vec(step3["delta"], lunch.SLIDE_STEP3_DELTA)
    # the slide's numbers are what x_veg = 2 (instead of 5) would give
    assert close(float(step3["eps"]) * step3["error"] * 2, lunch.SLIDE_STEP3_DELTA[1])


def test_lunch_batch_gradient_descent_converges_to_the_true_prices():
    w, path = lunch.batch_gd()
    assert approx_vec(w, (150, 50, 100), tol=1e-4)
    # at w = (50, 50, 50): y = (550, 450, 300), t − y = (700, 450, 50)
    assert path[0][0] == 0 and path[0][2] == 0.5 * (700**2 + 450**2 + 50**2)
    losses = [E for _, _, E in path]
    assert losses == sorted(losses, reverse=True) and losses[-1] < 1e-6


def test_lunch_batch_first_step_matches_torch():
    import torch
    X = torch.tensor([s[0] for s in lunch.SAMPLES], dtype=torch.float64)
    t = torch.tensor([s[1] for s in lunch.SAMPLES], dtype=torch.float64)
    w = torch.tensor(lunch.START, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.SGD([w], lr=0.02)
    for _ in range(3):
        opt.zero_grad()
        (0.5 * ((t - X @ w) ** 2).sum()).backward()
        opt.step()
    ours, _ = lunch.batch_gd(steps=3)
    assert approx_vec(ours, w.tolist())


# -- 2. three_layer ---------------------------------------------------------------------------

def test_three_layer_identity():
    g = three_layer.build("identity", backward=True)
    assert [a.data for a in g["a2"]] == [180.0, 300.0, 450.0]
    assert [a.data for a in g["a3"]] == [2480.0, 2220.0]
    assert g["model"].num_parameters() == 20
    # J = ½((0 − 2480)² + (1 − 2220)²) and ∂J/∂a3 = a3 − y
    assert g["J"].data == 0.5 * (2480.0**2 + 2219.0**2)
    assert [a.grad for a in g["a3"]] == [2480.0, 2219.0]


def sigmoid(z):
    return 1.0 / (1.0 + math.exp(-z))


def test_three_layer_sigmoid_saturates():
    g = three_layer.build("sigmoid", backward=True)
    assert [z.data for z in g["z2"]] == [180.0, 300.0, 450.0]
    assert all(a.data == 1.0 for a in g["a2"])  # σ(180) rounds to 1 in float64
    assert approx_vec([z.data for z in g["z3"]], [27.0, -24.0])
    a3 = [a.data for a in g["a3"]]
    assert close(1.0 - a3[0], math.exp(-27), rtol=1e-3) and 1.0 - a3[0] < 2e-12
    assert close(a3[1], sigmoid(-24.0), rtol=1e-9) and close(a3[1], 3.8e-11, rtol=0.01)
    assert g["model"].num_parameters() == 20


def test_three_layer_vanishing_gradients():
    sig = three_layer.build("sigmoid", backward=True)
    ident = three_layer.build("identity", backward=True)

    def max_grad(g, layer):
        return max(abs(w.grad) for n in g["model"].layers[layer].neurons for w in n.w)

    assert max_grad(ident, 0) > 1e5 and max_grad(ident, 1) > 1e5
    # output layer: σ'(27) ≈ 1.9e−12 and σ'(−24) ≈ 3.8e−11 times O(1) upstream gradients
    assert 1e-12 < max_grad(sig, 1) < 1e-10
    assert max_grad(sig, 0) < 1e-20  # σ'(180) underflows: exactly 0 in float64
    assert [a.grad for a in sig["a3"]] == pytest.approx([1.0, -1.0], abs=1e-10)


@pytest.mark.parametrize("activation", ["identity", "sigmoid"])
def test_three_layer_gradients_match_torch(activation):
    import torch
    g = three_layer.build(activation, backward=True)
    f = torch.sigmoid if activation == "sigmoid" else (lambda z: z)
    params = [torch.tensor(v, dtype=torch.float64, requires_grad=True)
              for v in (three_layer.W1, three_layer.B1, three_layer.W2, three_layer.B2)]
    W1, b1, W2, b2 = params
    x = torch.tensor(three_layer.X, dtype=torch.float64)
    a3 = f(W2 @ f(W1 @ x + b1) + b2)
    J = 0.5 * ((torch.tensor(three_layer.TARGET, dtype=torch.float64) - a3) ** 2).sum()
    J.backward()
    assert close(g["J"].data, J.item())
    for layer, (W, b) in zip(g["model"].layers, ((W1, b1), (W2, b2))):
        for i, neuron in enumerate(layer.neurons):
            assert approx_vec([w.grad for w in neuron.w], W.grad[i].tolist(), tol=1e-12)
            assert close(neuron.b.grad, b.grad[i].item(), rtol=1e-12, atol=1e-300)


# -- 3. gd_surface ----------------------------------------------------------------------------

def test_gd_surface_path():
    path = gd_surface.descend()
    assert len(path) == 21
    assert path[0]["w"] == (-2.0, 3.0) and path[0]["J"] == 24.0 and path[0]["grad"] == (-4, 8)
    assert approx_vec(path[1]["w"], (-1.6, 2.2)) and close(path[1]["J"], 16.8)
    for row in path:  # closed form: the distance to (0, −1) shrinks by 0.8 per step
        k = row["step"]
        assert approx_vec(row["w"], (-2 * 0.8**k, -1 + 4 * 0.8**k))
        assert close(row["J"], 4 + 20 * 0.64**k)
    w1, w2 = path[-1]["w"]
    assert round(w1, 3) == -0.023 and round(w2, 3) == -0.954


def test_gd_surface_plot(tmp_path):
    import matplotlib  # noqa: F401  (dev extra: a broken install must fail, not skip)
    out = gd_surface.plot_path(gd_surface.descend(), tmp_path / "path.png")
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


# -- 5. neuron_342 ----------------------------------------------------------------------------

def test_neuron_342_labels_follow_the_book():
    g = neuron_342.build(backward=True)
    model = g["model"]
    assert model.num_parameters() == 3 * 4 + 4 + 4 * 2 + 2 == 26
    for k, layer in enumerate(model.layers, 1):
        for i, neuron in enumerate(layer.neurons, 1):
            assert [w.label for w in neuron.w] == [f"w^({k})_{i}{j}" for j in
                                                   range(1, len(neuron.w) + 1)]
            assert neuron.b.label == f"b^({k})_{i}"
    assert [a.label for a in g["a1"]] == ["a^(1)_1", "a^(1)_2", "a^(1)_3"]
    assert [z.label for z in g["z2"]] == [f"z^(2)_{i}" for i in range(1, 5)]
    assert [a.label for a in g["a3"]] == ["a^(3)_1", "a^(3)_2"]


def test_neuron_342_forward_is_the_books_formula():
    g = neuron_342.build(backward=True)
    a = [v.data for v in g["a1"]]
    for k, layer in enumerate(g["model"].layers):
        # z^(l+1)_i = Σ_j w^(l)_ij a^(l)_j + b^(l)_i,  a^(l+1)_i = σ(z^(l+1)_i)
        z = [sum(w.data * aj for w, aj in zip(n.w, a)) + n.b.data for n in layer.neurons]
        assert approx_vec([v.data for v in g[f"z{k + 2}"]], z, tol=1e-12)
        a = [sigmoid(zi) for zi in z]
        assert approx_vec([v.data for v in g[f"a{k + 2}"]], a, tol=1e-12)
    J = 0.5 * sum((y - yhat) ** 2 for y, yhat in zip(neuron_342.Y, a))
    assert close(g["J"].data, J)


def test_neuron_342_gradients_match_torch():
    import torch
    g = neuron_342.build(backward=True)
    a = torch.tensor(neuron_342.X, dtype=torch.float64)
    weights = []
    for layer in g["model"].layers:
        W = torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64,
                         requires_grad=True)
        b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64,
                         requires_grad=True)
        weights.append((W, b))
        a = torch.sigmoid(W @ a + b)
    (0.5 * ((torch.tensor(neuron_342.Y, dtype=torch.float64) - a) ** 2).sum()).backward()
    for layer, (W, b) in zip(g["model"].layers, weights):
        for i, n in enumerate(layer.neurons):
            assert approx_vec([w.grad for w in n.w], W.grad[i].tolist(), tol=1e-12)
            assert close(n.b.grad, b.grad[i].item(), rtol=1e-12)


# -- 4. torch_tutorial ------------------------------------------------------------------------

def test_torch_tutorial_values():
    r = torch_tutorial.run()
    assert r["z"] == [[18.0, 18.0], [18.0, 18.0]] and r["out"] == 18.0
    assert r["grad_once"] == [[3.0, 3.0], [3.0, 3.0]]
    assert r["grad_twice"] == [[6.0, 6.0], [6.0, 6.0]]


def test_torch_tutorial_matches_pytorch():
    import torch  # noqa: F401  (dev extra: a broken torch must fail, not skip)
    assert torch_tutorial.run_torch() == torch_tutorial.run()


def test_torch_tutorial_as_one_tensor_matches_values_and_pytorch():
    import torch  # noqa: F401
    tensor = torch_tutorial.run_tensor()
    assert tensor == torch_tutorial.run() == torch_tutorial.run_torch()
    g = torch_tutorial.build_tensor(backward=True)
    # ∂out/∂z = ¼, ∂out/∂(y·y) = ½, ∂out/∂y = 2·½·y = 3 (retained on the intermediates)
    assert g["z"].grad.tolist() == [[0.25, 0.25], [0.25, 0.25]]
    assert g["yy"].grad.tolist() == [[0.5, 0.5], [0.5, 0.5]]
    assert g["y"].grad.tolist() == g["x"].grad.tolist() == [[3.0, 3.0], [3.0, 3.0]]


def test_rnn_cell_matches_pytorch():
    import torch  # noqa: F401
    ours, theirs = torch_tutorial.run_rnn(), torch_tutorial.run_rnn_torch()
    assert set(ours) == set(theirs) == {"loss", "next_h", "grad_x", "grad_prev_h", "grad_W_h",
                                        "grad_W_x"}
    for key in ours:
        np.testing.assert_allclose(ours[key], theirs[key], rtol=1e-12, atol=1e-12)
    g = torch_tutorial.build_rnn(backward=True)
    assert g["W_x"].shape == (20, 10) and g["W_h"].shape == (20, 20)
    assert g["i2h"].shape == g["h2h"].shape == g["next_h"].shape == (20, 1)
    # by hand: ∂loss/∂W_x = (1 − next_h²) · x, an outer product
    np.testing.assert_allclose(g["W_x"].grad, (1 - g["next_h"].data ** 2) @ g["x"].data,
                               rtol=1e-12)


def svg_edge_texts(svg_bytes) -> list[str]:
    root = ET.fromstring(svg_bytes)
    return [" ".join((t.text or "").split()) for grp in root.iter(f"{SVG}g")
            if grp.get("class") == "edge" for t in grp.iter(f"{SVG}text")]


@needs_dot
def test_tensor_images_of_the_tutorial_and_the_rnn_cell(tmp_path, artifacts):
    assert torch_tutorial.main(out_dir=str(tmp_path)) == 0
    for stem in ("torch_tutorial", "torch_tutorial_tensor", "rnn_cell"):
        png = (tmp_path / f"{stem}.png").read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n"
        (artifacts / f"{stem}.png").write_bytes(png)
    svg = (tmp_path / "rnn_cell.svg").read_bytes()
    nodes, edges = svg_texts(svg), svg_edge_texts(svg)

    def node(label):  # main() drew its own graph: find the record by its label
        found = [t for t in nodes.values() if t.startswith(label + " ")]
        assert len(found) == 1, (label, found)
        return found[0]

    g = torch_tutorial.build_rnn(backward=True)  # the same numbers (seeded)
    w_h = node("W_h")
    assert "20×20" in w_h and "min" in w_h and "‖·‖" in w_h  # too big: a summary
    assert f"‖·‖ {np.linalg.norm(g['W_h'].grad):.3f}" in w_h  # the grad's norm
    assert "∂loss/∂W_x = ∂loss/∂i2h · x" in edges  # (xᵀ)ᵀ written as x
    assert "∂loss/∂prev_hᵀ = W_hᵀ · ∂loss/∂h2h" in edges
    assert "∂loss/∂(i2h + h2h) = ∂loss/∂next_h ⊙ (1 − next_h²)" in edges
    text = " ".join(nodes.values()) + " ".join(edges)
    assert "vjp" not in text and "transpose1" not in text
    svg = (tmp_path / "torch_tutorial_tensor.svg").read_bytes()
    nodes, edges = svg_texts(svg), svg_edge_texts(svg)
    x = node("x")
    assert "2×2" in x and "grad 3 3 3 3" in x  # the matrix, entry by entry
    assert "∂out/∂z = ∂out/∂out / 4 copied to every entry (2×2)" in edges


# -- the modules, their images ----------------------------------------------------------------

def test_every_listed_example_is_a_module_with_build_and_main():
    assert set(EXAMPLES) == {"lunch", "three_layer", "gd_surface", "torch_tutorial",
                             "neuron_342", "manual_backprop", "newton", "double_backward",
                             "gradient_penalty"}
    for name in EXAMPLES:
        module = importlib.import_module(f"micrograd_plus.examples.{name}")
        built = module.build()
        assert "root" in built and built["root"] in autograd.topological_order(built["root"])
        assert callable(module.main)


def svg_texts(svg_bytes) -> dict[str, str]:
    root = ET.fromstring(svg_bytes)
    return {g.find(f"{SVG}title").text:
            " ".join(" ".join(t.text or "" for t in g.iter(f"{SVG}text")).split())
            for g in root.iter(f"{SVG}g") if g.get("class") == "node"}


@needs_dot
def test_lunch_image_shows_the_step1_gradients(artifacts):
    g = lunch.build(backward=True)
    from micrograd_plus.viz import draw_graph

    graph = draw_graph(g["root"], **lunch.GRAPH_STYLE)
    texts = svg_texts(run_dot(graph, "svg"))
    for w, grad in zip(g["w"], ("−3500", "−1400", "−2800")):
        assert w.label in texts[node_name(w)] and f"grad {grad}" in texts[node_name(w)]
    assert "grad −700" in texts[node_name(g["y"])]
    render_graph(graph, artifacts / "lunch.png")
    render_graph(graph, artifacts / "lunch.svg")


@needs_dot
def test_sigmoid_image_shows_vanishing_gradients_pale(artifacts):
    g = three_layer.build("sigmoid", backward=True)
    from micrograd_plus.viz import draw_graph

    graph = draw_graph(g["root"], model=g["model"], color_by_grad=True, record="stacked")
    root = ET.fromstring(run_dot(graph, "svg"))
    fills = {grp.find(f"{SVG}title").text: {p.get("fill") for p in grp.iter()
                                             if p.get("fill") not in (None, "none")}
             for grp in root.iter(f"{SVG}g") if grp.get("class") == "node"}
    pale = {GRAD_COLORS[-1][1], ZERO_GRAD_COLOR[0]}
    for layer in g["model"].layers:
        for neuron in layer.neurons:
            for w in neuron.w:
                assert fills[node_name(w)] & pale and not fills[node_name(w)] & {
                    c for _, c, _ in GRAD_COLORS[:-1]}
    assert GRAD_COLORS[0][1] in fills[node_name(g["J"])]
    render_graph(graph, artifacts / "three_layer_sigmoid.png")


def test_mains_print_the_numbers_and_write_images(tmp_path, capsys):
    assert run_all(out_dir=str(tmp_path)) == 0  # every example's main()
    out = capsys.readouterr().out
    for text in ("(−3500, −1400, −2800)", "(100, 70, 90)", "(0, −100, −20)", "(0, −40, −20)",
                 "(2480, 2220)", "(180, 300, 450)", "parameters: 20", "−0.0231", "−0.9539",
                 "[[6, 6], [6, 6]]", "26 parameters", "w⁽²⁾₂₄"):
        assert text in out, text
    ext = "svg" if shutil.which("dot") else "dot"
    for stem in ("lunch", "lunch_forward", "lunch_path", "three_layer_identity",
                 "three_layer_sigmoid", "gd_surface", "torch_tutorial", "neuron_342",
                 "manual_backprop", "torch_tutorial_tensor", "rnn_cell"):
        assert (tmp_path / f"{stem}.{ext}").exists(), stem
    if ext == "svg":
        texts = svg_texts((tmp_path / "lunch.svg").read_bytes())
        assert any("w_meat data 50 grad −3500" in t for t in texts.values())
