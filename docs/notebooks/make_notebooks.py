"""Write the notebooks of docs/notebooks/ (without outputs) from the cells below.

    python docs/notebooks/make_notebooks.py

Edit a notebook here, or in Jupyter and then clear its outputs before committing
(tests/test_notebooks.py runs every notebook top to bottom and checks the files hold no
outputs). Each notebook asserts its key numbers in its own cells.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent


def md(text: str) -> nbformat.NotebookNode:
    return new_markdown_cell(text.strip("\n"))


def code(text: str) -> nbformat.NotebookNode:
    return new_code_cell(text.strip("\n"))


LUNCH = [
    md("""
# Lunch prices: one linear neuron and the delta rule

A cafeteria prices a lunch by its portions of meat, vegetables and staple food; the cashier
only sees the totals. The linear neuron

$$y = w_{meat}\\,x_{meat} + w_{veg}\\,x_{veg} + w_{staple}\\,x_{staple}$$

learns the prices from the error $E = \\tfrac12 (t - y)^2$. The worked example starts at
$w = (50, 50, 50)$ with the first lunch, $x = (5, 2, 4)$ and $t = 1250$.
"""),
    code("""
from micrograd_plus import (BackpropStepper, draw_graph, explore, frame_graphs,
                            render_steps)
from micrograd_plus.examples import lunch

STYLE = dict(rankdir="TB", precision=2, record="stacked", edge_labels=True)
g = lunch.build()
E = g["root"]
draw_graph(E, show_grad=False, **STYLE)   # the forward pass: data only
"""),
    md("""
## Backward, one node at a time

`BackpropStepper` walks the backward pass in the order `backward()` uses. Each step prints
the chain rule for every edge, with numbers.
"""),
    code("""
s = BackpropStepper(E)
for _ in range(4):            # E, (t − y)², t − y, then y
    step = s.step()
print(step)
"""),
    code("""
assert "∂E/∂w_meat = ∂E/∂y · ∂y/∂w_meat = (−700)·(5) = −3500" in str(step)
s.show()                      # the state as a table
"""),
    md("""
The same step as a slide: the layout never moves between frames, values still to be
computed show `?`, the current node is framed in red and finished gradients are coloured
by size. `render_steps(E, "frames/")` writes every frame as a numbered file.
"""),
    code("""
frames = frame_graphs(E, "backward", **STYLE)
frames[3]                     # y's step: its gradient −700 flows to the three prices
"""),
    code("""
s.run()                       # the rest of the pass: exactly backward()'s gradients
grads = [w.grad for w in g["w"]]
print("∂E/∂w =", grads)
assert grads == [-3500.0, -1400.0, -2800.0]
assert g["y"].grad == -700.0
"""),
    md("""
## The delta rule

Gradient descent on one lunch at a time, $\\Delta w = -\\varepsilon\\,\\partial E/\\partial w
= \\varepsilon\\,x\\,(t - y)$, with the learning rates of the worked example. (The slide prints
step 3's $\\Delta w$ as $(0, -40, -20)$; it used $x_{veg} = 2$ instead of 5.)
"""),
    code("""
rows = lunch.delta_rule()
for row in rows:
    print(f"step {row['step']}: y = {row['y']:8.2f}  t − y = {row['error']:8.2f}  "
          f"ε = {str(row['eps']):5s}  Δw = {[round(d, 2) for d in row['delta']]}")
assert [round(d, 6) for d in rows[0]["delta"]] == [50.0, 20.0, 40.0]
assert [round(d, 6) for d in rows[2]["delta"]] == [0.0, -100.0, -20.0]
"""),
    md("""
## All three lunches at once

Batch gradient descent on $E = \\tfrac12\\sum_n (t_n - y_n)^2$ finds the true prices
(150, 50, 100). It is slow: $X^\\top X$ has eigenvalues from 0.024 to 79.4.
"""),
    code("""
w, path = lunch.batch_gd(lr=0.02, steps=30000)
for k, wk, loss in path:
    print(f"{k:6d}  w = ({wk[0]:8.3f}, {wk[1]:8.3f}, {wk[2]:8.3f})  E = {loss:.4g}")
assert [round(v, 3) for v in w] == [150.0, 50.0, 100.0]
"""),
    md("""
## The explorer

The interactive page, inline: step the forward pass, then the backward pass; click a node
for its chain rule.
"""),
    code("""
explore(lunch.build()["root"], rankdir="TB", precision=2, record="stacked")
"""),
]


THREE_LAYER = [
    md("""
# Example 3.5: a 3-3-2 network, forward pass and saturation

Fixed weights, input $x = (30, 50, 20)$, loss $J = \\tfrac12\\sum_i (y_i - a^{(3)}_i)^2$
with target $y = (0, 1)$. With the identity activation the numbers are the book's
$A^{(2)} = (180, 300, 450)$ and $A^{(3)} = (2480, 2220)$. With the sigmoid every neuron is
saturated: the network is confidently wrong, and it cannot learn.
"""),
    code("""
from micrograd_plus import draw_graph, frame_graphs
from micrograd_plus.examples import three_layer

linear = three_layer.build("identity", backward=True)
print("A2 =", [a.data for a in linear["a2"]])
print("A3 =", [a.data for a in linear["a3"]])
assert [a.data for a in linear["a2"]] == [180.0, 300.0, 450.0]
assert [a.data for a in linear["a3"]] == [2480.0, 2220.0]
"""),
    code("""
sig = three_layer.build("sigmoid", backward=True)
print("z2 =", [z.data for z in sig["z2"]], " a2 =", [a.data for a in sig["a2"]])
print("z3 =", [z.data for z in sig["z3"]], " a3 =", [a.data for a in sig["a3"]])
assert [z.data for z in sig["z3"]] == [27.0, -24.0]
assert sig["a3"][0].data > 0.999999 and sig["a3"][1].data < 1e-10
"""),
    md("""
## Vanishing gradients

$\\sigma'(z) = \\sigma(z)(1 - \\sigma(z))$ is about $e^{-|z|}$ for large $|z|$. The error
is large, yet the gradients reaching the weights are $10^{-11}$ and smaller; in the first
layer they are exactly 0 in floating point. Pale nodes in the drawing are vanishing
gradients.
"""),
    code("""
for k, layer in enumerate(sig["model"].layers, 2):
    biggest = max(abs(w.grad) for n in layer.neurons for w in n.w)
    print(f"layer {k}: max |∂J/∂w| = {biggest:.3g}")
first = max(abs(w.grad) for n in sig["model"].layers[0].neurons for w in n.w)
second = max(abs(w.grad) for n in sig["model"].layers[1].neurons for w in n.w)
assert first == 0.0 and 1e-12 < second < 1e-9
draw_graph(sig["root"], model=sig["model"], color_by_grad=True, record="stacked",
           precision=2)
"""),
    md("""
The backward pass as frames: the frame where the gradient reaches the hidden layer. Its
caption is the chain rule at that step; `animate_backprop(sig["root"], "ex35.gif",
passes="backward")` makes the animation.
"""),
    code("""
fresh = three_layer.build("sigmoid")
frames = frame_graphs(fresh["root"], "backward", model=fresh["model"], record="stacked",
                      precision=2)
print(len(frames), "frames")
assert len(frames) == 36
frames[12]
"""),
]


GD_SURFACE = [
    md("""
# Gradient descent on a surface

$J(w_1, w_2) = w_1^2 + w_2^2 + 2w_2 + 5$ has its minimum $J = 4$ at $(0, -1)$. At
$A = (-2, 3)$, $J = 24$ and $\\nabla J = (2w_1, 2w_2 + 2) = (-4, 8)$.
"""),
    code("""
import matplotlib.pyplot as plt
import numpy as np

from micrograd_plus.examples import gd_surface

g = gd_surface.build((-2.0, 3.0), backward=True)
print("J(A) =", g["J"].data, " ∇J(A) =", (g["w1"].grad, g["w2"].grad))
assert g["J"].data == 24.0 and (g["w1"].grad, g["w2"].grad) == (-4.0, 8.0)
g["J"]                        # the graph, after backward()
"""),
    md("""
## The path

$w \\leftarrow w - \\eta\\,\\nabla J$ with $\\eta = 0.1$: each step multiplies the distance
to the minimum by $1 - 2\\eta = 0.8$.
"""),
    code("""
path = gd_surface.descend(lr=0.1, steps=20)
for row in path[:4] + path[-1:]:
    print(f"step {row['step']:2d}: w = ({row['w'][0]:.4f}, {row['w'][1]:.4f})  "
          f"J = {row['J']:.4f}")
assert path[1]["w"] == (-1.6, 2.2)
end = path[-1]["w"]
assert abs(end[0]) < 0.03 and abs(end[1] + 1) < 0.06
"""),
    code("""
w1, w2 = np.meshgrid(np.linspace(-2.5, 2.5, 120), np.linspace(-3.5, 3.5, 120))
fig, ax = plt.subplots(figsize=(5, 5))
ax.contour(w1, w2, w1**2 + w2**2 + 2 * w2 + 5, levels=[4.5, 6, 8, 12, 16.8, 24, 32])
ax.plot([r["w"][0] for r in path], [r["w"][1] for r in path], "o-", color="#d62728",
        markersize=3)
ax.plot(0, -1, "k*", markersize=12)
ax.set_aspect("equal")
ax.set_xlabel("w1")
ax.set_ylabel("w2")
plt.show()
"""),
    md("""
## One Newton step

$J$ is quadratic with Hessian $H = \\begin{pmatrix}2 & 0\\\\0 & 2\\end{pmatrix}$, so
$w - H^{-1}\\nabla J$ lands on the minimum in one step. Here $H$ is found from the
gradients themselves, by finite differences of $\\nabla J$ (a `hessian` function is planned
for the library).
"""),
    code("""
def gradient(w):
    g = gd_surface.build(w, backward=True)
    return np.array([g["w1"].grad, g["w2"].grad])

A = np.array([-2.0, 3.0])
h = 1e-3
H = np.column_stack([(gradient(A + h * e) - gradient(A)) / h for e in np.eye(2)])
newton = A - np.linalg.solve(H, gradient(A))
print("H =", H.round(6).tolist(), " Newton step lands on", newton.round(6).tolist())
assert np.allclose(H, 2 * np.eye(2)) and np.allclose(newton, [0.0, -1.0])
"""),
]


TORCH_TUTORIAL = [
    md("""
# PyTorch's autograd tutorial, in micrograd_plus

The tutorial: `x = torch.ones(2, 2, requires_grad=True)`, `y = x + 2`, `z = y * y * 2`,
`out = z.mean()`. Then $\\partial out/\\partial x_{ij} = \\tfrac14 \\cdot 4 (x_{ij} + 2) = 3$;
a second `backward()` accumulates to 6.
"""),
    code("""
import numpy as np

from micrograd_plus import Tensor
from micrograd_plus.examples import torch_tutorial

x = Tensor(np.ones((2, 2)), requires_grad=True, label="x")
y = x + 2
z = y * y * 2
out = z.mean()
out.backward()
print("out =", out.data, "\\nx.grad =\\n", x.grad)
assert out.data == 18.0 and (x.grad == 3.0).all()
"""),
    code("""
out.backward()                # gradients accumulate, as in PyTorch
assert (x.grad == 6.0).all()
x.grad
"""),
    md("""
## Element by element

The same program in scalar `Value`s: every entry is its own node, so the graph shows
where each 3 comes from.
"""),
    code("""
g = torch_tutorial.build(backward=True)
print([[v.grad for v in row] for row in g["x"]])
assert all(v.grad == 3.0 for row in g["x"] for v in row)
g["out"]
"""),
    md("""
## And in PyTorch

If PyTorch is installed (it is in the `dev` extra), the numbers match.
"""),
    code("""
ours = torch_tutorial.run()
theirs = torch_tutorial.run_torch()
print("micrograd_plus:", ours["grad_once"], ours["grad_twice"])
print("PyTorch:       ", theirs and (theirs["grad_once"], theirs["grad_twice"]))
if theirs is not None:
    assert ours["grad_once"] == theirs["grad_once"]
    assert ours["grad_twice"] == theirs["grad_twice"]
"""),
]


LECTURE = [
    md("""
# The micrograd lecture, in micrograd_plus

This notebook follows Andrej Karpathy's lecture "The spelled-out intro to neural networks
and backpropagation: building micrograd" (nn-zero-to-hero) step by step, with
micrograd_plus doing the work: `Value(data, _children, _op, label)` is micrograd's
constructor, `draw_dot` its drawing function, `nn.MLP(nin, nouts)` its network.
"""),
    code("""
import math
import random

from micrograd_plus import BackpropStepper, Value, draw_dot, explore, frame_graphs, nn, vsum
"""),
    md("""
## The derivative of a function of one input

$f(x) = 3x^2 - 4x + 5$; its slope at $x = 3$ is $6x - 4 = 14$. Numerically: nudge $x$ by a
small $h$ and see how much $f$ responds.
"""),
    code("""
def f(x):
    return 3 * x**2 - 4 * x + 5

h = 0.000001
x = 3.0
slope = (f(x + h) - f(x)) / h
print(f(3.0), slope)
assert f(3.0) == 20.0 and abs(slope - 14.0) < 1e-4
"""),
    code("""
a, b, c = 2.0, -3.0, 10.0
d1 = a * b + c
d2 = (a + h) * b + c
print("d =", d1, " slope with respect to a:", (d2 - d1) / h)   # ∂d/∂a = b = −3
assert abs((d2 - d1) / h - (-3.0)) < 1e-6
"""),
    md("""
## Expressions as graphs

`Value` remembers how it was made (`_prev`, `_op`); `label` names it in drawings.
"""),
    code("""
a = Value(2.0, label="a")
b = Value(-3.0, label="b")
c = Value(10.0, label="c")
e = a * b; e.label = "e"
d = e + c; d.label = "d"
f = Value(-2.0, label="f")
L = d * f; L.label = "L"
print(L, d._prev, d._op)
assert L.data == -8.0
draw_dot(L)
"""),
    md("""
## Backpropagation by hand

Start at the output, $\\partial L/\\partial L = 1$, and apply the chain rule node by node.
$L = d \\cdot f$ gives $\\partial L/\\partial d = f = -2$ and $\\partial L/\\partial f = d = 4$.
A `+` node routes its gradient unchanged: $\\partial L/\\partial c = \\partial L/\\partial e
= -2$. A `*` node multiplies by the other input: $\\partial L/\\partial a = -2 \\cdot b = 6$
and $\\partial L/\\partial b = -2 \\cdot a = -4$.
"""),
    code("""
L.grad = 1.0
f.grad = d.data
d.grad = f.data
c.grad = d.grad * 1.0
e.grad = d.grad * 1.0
a.grad = e.grad * b.data
b.grad = e.grad * a.data
draw_dot(L)
"""),
    md("""
Check one of them numerically, as the lecture does with its `lol()` function:
"""),
    code("""
def lol(bump_a=0.0):
    a = Value(2.0 + bump_a); b = Value(-3.0); c = Value(10.0); f = Value(-2.0)
    return ((a * b + c) * f).data

numeric = (lol(h) - lol()) / h
print(numeric)
assert abs(numeric - a.grad) < 1e-4
"""),
    md("""
One step of optimisation: nudge every leaf a little in the direction of its gradient,
and $L$ goes up (from −8 towards 0).
"""),
    code("""
for leaf in (a, b, c, f):
    leaf.data += 0.01 * leaf.grad
e = a * b; d = e + c; L2 = d * f
print(L2.data)
assert L2.data > -8.0
"""),
    md("""
## Node by node, with the stepper

The walk we just did by hand, one node at a time: `BackpropStepper` processes the nodes
in the order `backward()` uses and prints the chain rule for every edge.
"""),
    code("""
a = Value(2.0, label="a"); b = Value(-3.0, label="b"); c = Value(10.0, label="c")
e = a * b; e.label = "e"
d = e + c; d.label = "d"
f = Value(-2.0, label="f")
L = d * f; L.label = "L"

s = BackpropStepper(L)
print(s.step())               # L: ∂L/∂L = 1 flows to d and f
print(s.step())               # d
"""),
    code("""
s.run()                       # the rest
assert (a.grad, b.grad, c.grad, e.grad, f.grad) == (6.0, -4.0, -2.0, -2.0, 4.0)
frame_graphs(L, "backward")[2]    # e's step: its gradient −2 flows on to a and b
"""),
    md("""
## `backward()`

The whole walk in one call: a topological order of the graph, walked from the output.
"""),
    code("""
a = Value(2.0, label="a"); b = Value(-3.0, label="b"); c = Value(10.0, label="c")
f = Value(-2.0, label="f")
L = (a * b + c) * f
L.backward()
assert (a.grad, b.grad, c.grad, f.grad) == (6.0, -4.0, -2.0, 4.0)
"""),
    md("""
## A neuron

$o = \\tanh(x_1 w_1 + x_2 w_2 + b)$ with the lecture's numbers; the bias is chosen so that
$o = 1/\\sqrt 2$ and $\\partial o/\\partial n = 1 - o^2 = 0.5$.
"""),
    code("""
x1 = Value(2.0, label="x1"); x2 = Value(0.0, label="x2")
w1 = Value(-3.0, label="w1"); w2 = Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")
x1w1 = x1 * w1; x1w1.label = "x1*w1"
x2w2 = x2 * w2; x2w2.label = "x2*w2"
x1w1x2w2 = x1w1 + x2w2; x1w1x2w2.label = "x1*w1 + x2*w2"
n = x1w1x2w2 + b; n.label = "n"
o = n.tanh(); o.label = "o"
assert round(o.data, 4) == 0.7071
draw_dot(o)
"""),
    md("""
As in the lecture, call each node's `_backward()` by hand, output first: it adds
`local derivative × self.grad` into the `.grad` of each of its inputs. (micrograd keeps a
closure per node for this; micrograd_plus records the local derivatives at forward time and
`_backward()` reads them.)
"""),
    code("""
o.grad = 1.0
o._backward()                 # n.grad = 1 − o² = 0.5
n._backward()                 # b and x1*w1 + x2*w2 get 0.5
x1w1x2w2._backward()
x2w2._backward()
x1w1._backward()
print(n.grad, x1.grad, w1.grad, x2.grad, w2.grad)
assert round(n.grad, 4) == 0.5
assert [round(v, 4) for v in (x1.grad, w1.grad, x2.grad, w2.grad)] == [-1.5, 1.0, 0.5, 0.0]
"""),
    md("""
`backward()` makes the same calls for every node, in topological order. Gradients
accumulate, so first reset the ones we just computed by hand.
"""),
    code("""
for node in (x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o):
    node.grad = 0.0
o.backward()
assert [round(v, 4) for v in (x1.grad, w1.grad, x2.grad, w2.grad)] == [-1.5, 1.0, 0.5, 0.0]
draw_dot(o)
"""),
    md("""
The same neuron with tanh written out, $\\tanh n = (e^{2n} - 1)/(e^{2n} + 1)$: a bigger
graph, the same gradients.
"""),
    code("""
x1 = Value(2.0, label="x1"); x2 = Value(0.0, label="x2")
w1 = Value(-3.0, label="w1"); w2 = Value(1.0, label="w2")
b = Value(6.8813735870195432, label="b")
n = x1 * w1 + x2 * w2 + b; n.label = "n"
e = (2 * n).exp(); e.label = "e"
o = (e - 1) / (e + 1); o.label = "o"
o.backward()
assert [round(v, 4) for v in (x1.grad, w1.grad, x2.grad, w2.grad)] == [-1.5, 1.0, 0.5, 0.0]
explore(o)                    # step through it in the page
"""),
    md("""
The lecture checks the neuron against PyTorch; so can we (PyTorch is in the `dev` extra):
"""),
    code("""
try:
    import torch
except ImportError:
    torch = None
if torch is not None:
    tx1 = torch.tensor([2.0], dtype=torch.double, requires_grad=True)
    tx2 = torch.tensor([0.0], dtype=torch.double, requires_grad=True)
    tw1 = torch.tensor([-3.0], dtype=torch.double, requires_grad=True)
    tw2 = torch.tensor([1.0], dtype=torch.double, requires_grad=True)
    tb = torch.tensor([6.8813735870195432], dtype=torch.double, requires_grad=True)
    to = torch.tanh(tx1 * tw1 + tx2 * tw2 + tb)
    to.backward()
    print(to.item(), tx1.grad.item(), tw1.grad.item())
    assert abs(tx1.grad.item() - x1.grad) < 1e-12 and abs(tw1.grad.item() - w1.grad) < 1e-12
"""),
    md("""
## A multi-layer perceptron

`nn.MLP(3, [4, 4, 1])` as in the lecture, with tanh everywhere (micrograd_plus's default,
like micrograd's, is ReLU on hidden layers and a linear output). `seed=` makes the random
weights repeatable.
"""),
    code("""
model = nn.MLP(3, [4, 4, 1], activation="tanh", out_activation="tanh", seed=1337)
print(model.num_parameters(), "parameters")
assert len(model.parameters()) == 41
xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
ys = [1.0, -1.0, -1.0, 1.0]
draw_dot(model(xs[0]), model=model, record="stacked", precision=2)
"""),
    md("""
## The training loop

Forward, zero the gradients (the bug the lecture finds: without it gradients accumulate
from step to step), backward, update.
"""),
    code("""
losses = []
for k in range(20):
    ypred = [model(x) for x in xs]
    loss = vsum([(yout - ygt) ** 2 for ygt, yout in zip(ys, ypred)])
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data += -0.1 * p.grad
    losses.append(loss.data)
    print(k, round(loss.data, 4))
print([round(model(x).data, 3) for x in xs])
assert losses[-1] < 0.05 < losses[0]
"""),
]


MATRIX_BACKPROP = [
    md("""
# Chapter 8: backpropagation by hand with matrices

The book's network has layers $l = 0 \\dots L$ with $z^{(l)} = W^{(l)} a^{(l-1)} + b^{(l)}$ and
$a^{(l)} = \\sigma(z^{(l)})$ ($a^{(-1)} = x$), and the loss $\\tfrac12 \\sum (a^{(L)} - y)^2$.
Listing 8.3 writes the backward pass by hand:

$$\\delta^{(L)} = (a^{(L)} - y) \\odot a^{(L)} \\odot (1 - a^{(L)}), \\qquad
\\delta^{(l)} = (W^{(l+1)\\top} \\delta^{(l+1)}) \\odot a^{(l)} \\odot (1 - a^{(l)})$$

$$\\partial L/\\partial W^{(l)} = \\delta^{(l)}\\, a^{(l-1)\\top}, \\qquad
\\partial L/\\partial b^{(l)} = \\delta^{(l)}$$

Here it runs next to autograd (`Tensor`) and PyTorch on a 2-3-3-2 sigmoid network.
"""),
    code("""
import numpy as np

from micrograd_plus import BackpropStepper, draw_graph, frame_graphs
from micrograd_plus.examples import manual_backprop as mb

g = mb.build(backward=True)
print("L =", float(g["root"].data))
assert abs(float(g["root"].data) - 0.373094264917475) < 1e-12
draw_graph(g["root"], rankdir="TB", record="stacked", precision=3)
"""),
    md("""
## The listing against autograd

`forward_backward` is listing 8.3 on Tensors with autograd switched off. As printed, it
computes $\\partial L/\\partial W^{(0)}$ with `a[l - 1]` at $l = 0$: Python's `a[-1]` is the
*last* layer's activation, not the input $x$. The network has as many outputs as inputs,
so no shape error reveals the slip; only the numbers are wrong.
"""),
    code("""
r = mb.compare()
for l in range(3):
    printed = mb.max_diff(r["printed_W"][l], r["auto"]["W"][l])
    fixed = mb.max_diff(r["fixed_W"][l], r["auto"]["W"][l])
    print(f"∂L/∂W^({l}): |printed − autograd| = {printed:.2e}   "
          f"|corrected − autograd| = {fixed:.2e}")
assert mb.max_diff(r["printed_W"][0], r["auto"]["W"][0]) > 1e-3
assert all(mb.max_diff(r["fixed_W"][l], r["auto"]["W"][l]) < 1e-12 for l in range(3))
if r["torch_W"] is not None:      # PyTorch agrees with autograd
    assert all(mb.max_diff(r["torch_W"][l], r["auto"]["W"][l]) < 1e-12 for l in range(3))
"""),
    md("""
## δ is ∂L/∂z

Autograd keeps the gradient of every $z^{(l)}$ (`retain_grad`), and it is the listing's
$\\delta^{(l)}$. The stepper prints the same rule with the actual matrices.
"""),
    code("""
x, y, W, b = mb.tensors()
a2 = g["a"][2].data
delta2 = (a2 - y.data) * a2 * (1 - a2)
print("δ(2) by hand:", delta2.ravel(), "  z(2).grad:", g["z"][2].grad.ravel())
assert np.allclose(delta2, g["z"][2].grad, atol=1e-15)

s = BackpropStepper(mb.build()["root"])
for _ in range(9):             # L, ½(a − y)², ..., then a(1)
    step = s.step()
print(step)                   # ∂L/∂z(1) = ∂L/∂a(1) ⊙ a(1) ⊙ (1 − a(1))
assert "⊙" in str(step)
"""),
    md("""
The backward pass as frames, one per step; here the step of $a^{(1)}$: its gradient flows
through the sigmoid to $z^{(1)}$.
"""),
    code("""
frames = frame_graphs(mb.build()["root"], "backward", rankdir="TB", record="stacked",
                      precision=3)
print(len(frames), "frames")
assert len(frames) == 19
frames[8]
"""),
]


NOTEBOOKS = {
    "lunch_price_neuron.ipynb": LUNCH,
    "three_layer_ex35.ipynb": THREE_LAYER,
    "gradient_descent_surface.ipynb": GD_SURFACE,
    "pytorch_autograd_tutorial.ipynb": TORCH_TUTORIAL,
    "matrix_backprop_ch8.ipynb": MATRIX_BACKPROP,
    "micrograd_lecture.ipynb": LECTURE,
}


def notebook(cells: list) -> nbformat.NotebookNode:
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    return nb


def main() -> None:
    for name, cells in NOTEBOOKS.items():
        nb = notebook(cells)
        for k, cell in enumerate(nb.cells):
            cell.id = f"{Path(name).stem[:20]}-{k}"  # stable ids: no diff on a rerun
        nbformat.validate(nb)
        nbformat.write(nb, HERE / name)
        print("wrote", HERE / name)


if __name__ == "__main__":
    main()
