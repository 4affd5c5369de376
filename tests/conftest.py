"""Shared test helpers: comparison with PyTorch (float64, CPU) and tool detection."""

from __future__ import annotations

import os

# One BLAS thread per test worker: OpenBLAS reads these only when numpy loads (so before any
# import of numpy); its threads on large matmuls made a demo 15x slower under `pytest -n 2`
# on 2 cores. setdefault: an explicit setting in the environment still wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import math
import runpy
import shutil
import sys
from pathlib import Path

import pytest
from hypothesis import strategies as st

from micrograd_plus import Value

sys.path.insert(0, str(Path(__file__).parent))

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
MATRIX_TARGET = Path(__file__).resolve().parent / "matrix_target.py"


def pytest_configure(config):
    ARTIFACTS.mkdir(exist_ok=True)


@pytest.fixture
def gc_off():
    """The cycle collector off inside the test: what refcounting alone frees, freed."""
    import gc

    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@pytest.fixture
def artifacts() -> Path:
    """A directory kept after the run (screenshots, rendered graphs) for people to look at."""
    return ARTIFACTS


needs_dot = pytest.mark.skipif(
    shutil.which("dot") is None, reason="Graphviz `dot` is not installed on this machine"
)


def matrix_graph() -> dict:
    """A fresh run of MATRIX_TARGET: its nodes W, X, Z and root (labelled L) by name."""
    return runpy.run_path(str(MATRIX_TARGET))


@st.composite
def value_dags(draw, ops, leaves=(1, 4), steps=(1, 25), constants=()):
    """Random Value DAGs: leaves x0, x1, … in [-2, 2], then each step applies one of ``ops``
    (functions of two operands) to earlier nodes, any of them, so nodes are reused; the
    second operand may also be one of ``constants``. Returns (leaves, all nodes in order)."""
    n = draw(st.integers(*leaves))
    nodes = [Value(draw(st.floats(-2, 2)), label=f"x{i}") for i in range(n)]
    for _ in range(draw(st.integers(*steps))):
        op = draw(st.sampled_from(ops))
        a = draw(st.sampled_from(nodes))
        b = draw(st.sampled_from(nodes + list(constants)))
        nodes.append(op(a, b))
    return nodes[:n], nodes


def close(a: float, b: float, rtol: float = 1e-9, atol: float = 1e-12) -> bool:
    """Equal within tolerance, treating NaN == NaN and equal infinities as equal."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= atol + rtol * abs(b)
