"""The 2×2 matrix graph of the Tensor tests: Z = W @ X, L = Σ Z ⊙ [[1, 2], [0, 1]].

A target file for the command line (``python -m micrograd_plus step tests/matrix_target.py``
draws ``root``) and, through ``conftest.matrix_graph()``, fresh nodes for in-process tests.
"""

from micrograd_plus import Tensor

W = Tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True, label="W")
X = Tensor([[1.0, 0.0], [2.0, 1.0]], requires_grad=True, label="X")
Z = W @ X
Z.label = "Z"
root = (Z * Tensor([[1.0, 2.0], [0.0, 1.0]])).sum()
root.label = "L"
