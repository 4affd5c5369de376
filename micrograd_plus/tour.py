"""``micrograd-plus tour``: the library in a few seconds.

1. The lunch-price neuron of the slides after ``backward()``: its graph, with every value
   and gradient, written to ``out/lunch.svg`` and ``out/lunch.png``.
2. A small scalar MLP trained on a few two-moons points with SGD: the loss falls.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

from rich.console import Console

from . import nn, optim
from .engine import Value, vsum
from .examples import lunch
from .examples._output import write_graph

console = Console()


def two_moons(n: int = 16, noise: float = 0.1, seed: int = 0) -> list[tuple[list[float], int]]:
    """n points on two interleaved half circles, labels +1 (upper) and −1 (lower)."""
    rng = random.Random(seed)
    points = []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2 == 0:
            x, y, label = math.cos(t), math.sin(t), 1
        else:
            x, y, label = 1.0 - math.cos(t), 0.5 - math.sin(t), -1
        points.append(([x + rng.gauss(0, noise), y + rng.gauss(0, noise)], label))
    return points


def hinge_loss(model: nn.MLP, points: list) -> tuple[Value, float]:
    """Mean max(0, 1 − y·score) over the points, and the accuracy of sign(score)."""
    scores = [model(x) for x, _ in points]
    losses = [(1 - label * s).relu() for s, (_, label) in zip(scores, points)]
    correct = sum((s.data > 0) == (label > 0) for s, (_, label) in zip(scores, points))
    return vsum(losses) / len(points), correct / len(points)


def train(steps: int = 20, lr: float = 0.1, seed: int = 0) -> list[tuple[float, float]]:
    """Train MLP(2, [8, 8, 1]) on 16 points; (loss, accuracy) before each step and at the end."""
    points = two_moons(seed=seed)
    model = nn.MLP(2, [8, 8, 1], seed=seed)
    opt = optim.SGD(model.parameters(), lr=lr)
    history = []
    for step in range(steps + 1):
        loss, accuracy = hinge_loss(model, points)
        history.append((loss.data, accuracy))
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
    console.print(f"y = {g['y'].data:g}, E = {g['E'].data:g}; after backward(): "
                  "∂E/∂w = (" + ", ".join(f"{w.grad:g}" for w in g["w"]) + ")")
    write_graph(g["root"], out_dir, "lunch", **lunch.GRAPH_STYLE)
    console.rule("[bold]2. A small MLP learns two moons (hinge loss, SGD)")
    history = train()
    console.print(f"loss {history[0][0]:.4f} → {history[-1][0]:.4f}")
    console.print("Next: micrograd-plus examples · micrograd-plus step lunch · "
                  "micrograd-plus explore lunch -o lunch.html")
    return 0
