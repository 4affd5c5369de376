"""The README's code runs as written: every ```python block, in order, in one namespace."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from conftest import needs_dot

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


@needs_dot
def test_readme_python_blocks_run(tmp_path, monkeypatch):
    blocks = python_blocks()
    assert len(blocks) >= 6
    monkeypatch.chdir(tmp_path)
    from micrograd_plus import Tensor, Value
    from micrograd_plus.core.ops import OPS

    # "Adding an operation" declares an op: keep it out of the table other tests check
    before = dict(OPS)
    namespace: dict = {}
    try:
        for block in blocks:
            exec(compile(block, str(README), "exec"), namespace)
    finally:
        added = set(OPS) - set(before)
        for key in added:
            for cls in (Value, Tensor):
                if OPS[key].method and hasattr(cls, OPS[key].method):
                    delattr(cls, OPS[key].method)
            del OPS[key]
    assert added == {"cube"}
    # the declared op works on both node types, to the second derivative
    assert (namespace["d1"].data, namespace["d2"]) == (12.0, 12.0)  # 3x², 6x at x = 2
    assert list(namespace["t"].grad) == [3.0, 12.0]
    # the quick look's numbers, and the stepper left exactly backward()'s gradient
    assert [wi.grad for wi in namespace["w"]] == [-3500.0, -1400.0, -2800.0]
    assert namespace["g"]["w_meat"].grad == -3500.0
    assert bool(namespace["report"])
    assert (tmp_path / "lunch.svg").read_text().count("<svg") == 1
    # gradients of gradients: tanh's derivatives and the Newton step on J
    t = np.tanh(0.5)
    assert namespace["dy"].data == 1 - t * t
    assert abs(namespace["d2y"] - (-2 * t * (1 - t * t))) < 1e-15
    assert namespace["H"] == [[2.0, 0.0], [0.0, 2.0]] and namespace["grad_J"] == [-4.0, 8.0]
    assert namespace["w_newton"].tolist() == [0.0, -1.0]
    assert "tanh" in (tmp_path / "dy_dx.svg").read_text()


def test_readme_test_command_is_the_one_ci_runs():
    text = README.read_text(encoding="utf-8")
    block = re.search(r"<!-- test-command -->\n```bash\n(.*?)\n```\n<!-- /test-command -->",
                      text, re.S)
    assert block is not None
    assert "pytest" in block.group(1)
    ci = (README.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "test-command" in ci
