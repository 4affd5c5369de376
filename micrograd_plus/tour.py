"""``micrograd-plus tour``: the library in a few seconds.

1. The lunch-price neuron of Bing Li's lecture 5 slides after ``backward()``: its graph,
   with every value and gradient, written to ``out/lunch.svg`` and ``out/lunch.png``.
2. A small scalar MLP trained on a few two-moons points with SGD: the loss falls.
"""

from __future__ import annotations

from pathlib import Path

from . import data, losses, nn, optim
from .examples import lunch
from .examples.output import console, num, vec, write_graph


def train(steps: int = 50, lr: float = 0.1, seed: int = 0,
          every: int = 5) -> list[tuple[float, float]]:
    """Train MLP(2, [16, 16, 1]) on 32 two-moons points: hinge loss, SGD with momentum 0.9.

    Returns (loss, accuracy of sign(score)) before each step and at the end; prints them
    every ``every`` steps.
    """
    X, y = data.make_moons(32, noise=0.1, seed=seed)
    xs, labels = data.as_lists(X), [2.0 * v - 1.0 for v in y]  # labels ±1 for the hinge
    model = nn.MLP(2, [16, 16, 1], seed=seed)
    opt = optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    history = []
    for step in range(steps + 1):
        scores = [model(x) for x in xs]
        loss = losses.hinge(scores, labels)
        accuracy = sum((s.data > 0) == (t > 0) for s, t in zip(scores, labels)) / len(xs)
        history.append((loss.data, accuracy))
        if step % every == 0 or step == steps:
            console.print(f"step {step:2d}   loss {loss.data:.4f}   accuracy {accuracy:.0%}")
        if step == steps:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    return history


def tour(out_dir: str | Path = "out") -> int:
    console.rule("[bold]1. A neuron learns lunch prices: E = ½(t − y)²")
    g = lunch.build(backward=True)
    console.print(f"y = {num(g['y'].data)}, E = {num(g['E'].data)}; after backward(): "
                  f"∂E/∂w = {vec(w.grad for w in g['w'])}")
    write_graph(g["root"], out_dir, "lunch", **lunch.GRAPH_STYLE)
    console.rule("[bold]2. A small MLP learns two moons (hinge loss, SGD)")
    history = train()
    console.print(f"loss {history[0][0]:.4f} → {history[-1][0]:.4f}")
    console.print("Next: micrograd-plus examples · micrograd-plus step lunch · "
                  "micrograd-plus explore lunch -o lunch.html")
    return 0
