"""Smoke runs of benchmarks/*.py in their --quick mode: each prints its table and its equal-loss
(or gradient) checks ran. No timing is asserted: the numbers of a --quick run mean little.

A peer's row is checked when the peer is installed, and its "not installed" row otherwise.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"


def run(script: str, *args: str) -> str:
    proc = subprocess.run([sys.executable, str(BENCH / script), *args], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def has(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def row(out: str, name: str) -> str:
    """The table line that starts with ``name``."""
    lines = [ln for ln in out.splitlines() if ln.startswith(name)]
    assert lines, f"no row {name!r} in:\n{out}"
    return lines[-1]


TIMED = re.compile(r"\d+\.\d+ \[\d+\.\d+–\d+\.\d+\]")  # median [min–max]


def test_bench_moons_quick_checks_every_variant_against_micrograd_plus():
    out = run("bench_moons.py", "--quick")
    variants = ["micrograd_plus (micrograd's code)", "micrograd_plus, GC off",
                "micrograd_plus, traced (trace + optim.SGD)",
                "floor: plain floats, hand-written backward"]
    if has("micrograd"):
        variants += ["micrograd 0.1.0, GC on", "micrograd 0.1.0, GC off"]
    else:
        for name in ("micrograd 0.1.0, GC on", "micrograd 0.1.0, GC off"):
            assert "not installed" in row(out, name)
    for name in variants:
        check = row(out, f"equal-loss check: {name}: step 1 loss")
        assert "equal to micrograd_plus's (rel 1e-9) on" in check
        line = row(out, name)
        assert TIMED.search(line) and re.search(r"\d\.\d\dx (faster|slower)", line), line
    assert TIMED.search(row(out, "micrograd_plus "))
    for name in variants:  # each row's time over the floor's
        assert re.search(r"\d+\.\d\dx  ", row(out, name)), row(out, name)


def test_bench_chain_quick_checks_the_gradient_of_every_engine():
    out = run("bench_chain.py", "--quick")
    assert "gradient check: dy/dx = 20,001 in every run" in out
    for name in ("micrograd_plus, GC on", "micrograd_plus, GC off"):
        assert re.search(r"\d+ \[\d+–\d+\]", row(out, name))
    mg = row(out, "micrograd 0.1.0, GC off")
    assert re.search(r"\d+ \[\d+–\d+\]", mg) if has("micrograd") else "not installed" in mg


def test_bench_tensor_quick_checks_the_losses_of_every_installed_peer():
    out = run("bench_tensor.py", "--quick")
    assert re.search(r"^machine : .+CPUs", out, re.M)
    assert re.search(r"^date    : \d{4}-\d\d-\d\d .+load average", out, re.M)
    if has("threadpoolctl"):
        assert re.search(r"numpy BLAS: \w+ .*kernel .+\(OPENBLAS_CORETYPE=.+\), \d+ threads",
                         out)
    peers = {"PyTorch eager": "torch", "JAX jit": "jax", "HIPS autograd": "autograd",
             "MyGrad": "mygrad"}
    checks = [ln for ln in out.splitlines() if ln.startswith("equal-loss check, ")]
    assert len(checks) == 2, out  # one per workload
    tables = out.split("\n(b) ")
    assert len(tables) == 2 and "(a) moons MLP 2-16-16-1" in tables[0]
    for check in checks:
        assert "micrograd_plus Tensor, micrograd_plus traced" in check
        for name, module in peers.items():
            assert (name in check) == has(module), (name, check)
    for table in tables:
        assert TIMED.search(row(table, "micrograd_plus Tensor"))
        traced = row(table, "micrograd_plus traced")
        assert TIMED.search(traced) and re.search(r"\d\.\d\dx (faster|slower)", traced)
        for name, module in peers.items():
            line = row(table, name)
            if has(module):
                assert TIMED.search(line) and re.search(r"\d\.\d\dx (faster|slower)", line)
            else:
                assert "not installed" in line


@pytest.mark.skipif(shutil.which("dot") is None, reason="needs Graphviz's dot")
def test_bench_render_quick_times_full_and_collapsed_drawings():
    out = run("bench_render.py", "--quick")
    rows = [ln.split() for ln in out.splitlines() if ln.startswith(("mlp ", "rnn "))]
    assert {(r[0], r[3]) for r in rows} == {(k, h) for k in ("mlp", "rnn")
                                           for h in ("full", "collapse")}
    for kind in ("mlp", "rnn"):
        full = [r for r in rows if r[0] == kind and r[3] == "full"]
        collapsed = [r for r in rows if r[0] == kind and r[3] == "collapse"]
        for f, c in zip(full, collapsed):
            assert int(c[4]) < int(f[4])  # collapsing draws fewer shapes
