"""The training demos: exercises of the chapters in README's "Sources" and micrograd's demo.

(Meng & Ou, Deep Learning Theory and Applications; Wang & Huang, Learn Deep Learning with Me;
Ketkar & Moolayil, Deep Learning with Python; Chaudhury, Math and Architectures of Deep
Learning.)

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
    "binary3d": "Meng & Ou Ex 3.1/3.3: 3-4-2 tanh net, cross-entropy, 7:3 split, StepLR with floor",
    "housing": "Meng & Ou Ex 3.4: house-price regression, 13-512-1 sigmoid net, MAE/RMSE/R²",
    "optimizers": "Ketkar & Moolayil ch. 3: SGD vs RMSprop vs Adam loss curves, 64-feature blobs",
    "regularization": "Wang & Huang §3.10: overfitting regression; L1, L2 and dropout curves",
    "multilabel": "Wang & Huang §3.13: multi-label classification, sigmoid outputs, metrics",
    "demand": "Chaudhury §8.5: phone sales from last week, discount, holidays; 3-10-5-1, "
              "SGD+momentum",
}


def run_demo(name: str, quick: bool = False, out_dir: str = "out") -> int:
    """Run demo ``name`` (printing its results, writing plots to ``out_dir``); returns 0."""
    if name not in DEMOS:
        raise SystemExit(f"error: unknown demo {name!r}; choose one of {', '.join(DEMOS)}")
    importlib.import_module(f"micrograd_plus.demos.{name}").run(quick, out_dir, verbose=True)
    return 0
