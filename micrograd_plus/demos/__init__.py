"""The training demos: the textbook exercises (seeds 000, 001, 003, 004) and micrograd's demo.

``micrograd-plus demo`` lists them, ``micrograd-plus demo NAME [--quick] [-o DIR]`` runs one.
Each demo is a module with ``SUMMARY`` and ``run(quick, out_dir, verbose) -> dict`` (its
numbers, for tests; ``'plot'`` is the figure's path). Plots need matplotlib (the ``plot``
extra); without it the demos print their results and skip the figures. ``quick`` runs a few
iterations only.
"""

from __future__ import annotations

import importlib

__all__ = ["DEMOS", "run_demo"]

DEMOS = {
    "moons": "scalar-engine MLP(2,[16,16,1]) on two moons, hinge + L2, decision boundary",
    "binary3d": "book Ex 3.1/3.3: 3-4-2 tanh net, cross-entropy, 7:3 split, StepLR with floor",
    "housing": "book Ex 3.4: housing-style price regression, 13-512-1 sigmoid net, MAE/RMSE/R²",
    "optimizers": "seed 003: SGD vs RMSprop vs Adam loss curves on a 64-feature blob task",
    "regularization": "seed 001: overfitting 150-feature regression; L1, L2 and dropout curves",
    "multilabel": "seed 001 §3.13: multi-label classification with sigmoid outputs and metrics",
    "demand": "seed 004 §8.5: phone sales from last week, discount, holidays; 3-10-5-1, "
              "SGD+momentum",
}


def run_demo(name: str, quick: bool = False, out_dir: str = "out") -> int:
    """Run demo ``name`` (printing its results, writing plots to ``out_dir``); returns 0."""
    if name not in DEMOS:
        raise SystemExit(f"error: unknown demo {name!r}; choose one of {', '.join(DEMOS)}")
    importlib.import_module(f"micrograd_plus.demos.{name}").run(quick, out_dir, verbose=True)
    return 0
