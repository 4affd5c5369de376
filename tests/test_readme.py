"""The README works for a newcomer: every ```python block runs on its own, the commands after
the install line say how to reach `micrograd-plus`, and every book or slide is named."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import numpy as np
import pytest

from conftest import needs_dot

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"


def readme() -> str:
    return README.read_text(encoding="utf-8")


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", readme(), re.S)


def sections() -> dict[str, str]:
    parts = re.split(r"^## (.+)$", readme(), flags=re.M)
    return {parts[i].strip(): parts[i + 1] for i in range(1, len(parts), 2)}


@needs_dot
def test_every_python_block_runs_on_its_own(tmp_path, monkeypatch):
    """Each block in a fresh namespace: a reader can copy any one of them."""
    blocks = python_blocks()
    assert len(blocks) >= 7
    monkeypatch.chdir(tmp_path)
    from micrograd_plus import Tensor, Value
    from micrograd_plus.core.ops import OPS

    # "Adding an operation" declares an op: keep it out of the table other tests check
    before = dict(OPS)
    spaces = []
    try:
        for block in blocks:
            namespace: dict = {}
            exec(compile(block, str(README), "exec"), namespace)
            spaces.append(namespace)
    finally:
        added = set(OPS) - set(before)
        for key in added:
            for cls in (Value, Tensor):
                if OPS[key].method and hasattr(cls, OPS[key].method):
                    delattr(cls, OPS[key].method)
            del OPS[key]
    assert added == {"cube"}
    # the declared op works on both node types, to the second derivative
    cube = next(ns for block, ns in zip(blocks, spaces) if "cube" in block)
    assert (cube["d1"].data, cube["d2"]) == (12.0, 12.0)  # 3x², 6x at x = 2
    assert list(cube["t"].grad) == [3.0, 12.0]
    found = {name: ns[name] for ns in spaces for name in ns}  # the last block's wins
    # the quick look's numbers, and the stepper left exactly backward()'s gradient
    assert [wi.grad for wi in spaces[0]["w"]] == [-3500.0, -1400.0, -2800.0]
    assert found["g"]["w_meat"].grad == -3500.0
    assert bool(found["report"])
    assert (tmp_path / "lunch.svg").read_text().count("<svg") == 1
    # gradients of gradients: tanh's derivatives and the Newton step on J
    t = np.tanh(0.5)
    assert found["dy"].data == 1 - t * t
    assert abs(found["d2y"] - (-2 * t * (1 - t * t))) < 1e-15
    assert found["H"] == [[2.0, 0.0], [0.0, 2.0]] and found["grad_J"] == [-4.0, 8.0]
    assert found["w_newton"].tolist() == [0.0, -1.0]
    assert "tanh" in (tmp_path / "dy_dx.svg").read_text()
    # "What `fit` prints and returns" shows this run's own summary line
    history = found["history"]
    assert len(history.loss) == 20 and f"'{history.summary()}'" in readme()


def test_readme_test_command_is_the_one_ci_runs():
    block = re.search(r"<!-- test-command -->\n```bash\n(.*?)\n```\n<!-- /test-command -->",
                      readme(), re.S)
    assert block is not None
    assert "pytest" in block.group(1)
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "test-command" in ci


def test_the_command_is_reachable_after_the_install_line():
    """A bare `micrograd-plus` is "command not found" unless the venv is active."""
    text = readme()
    first_bare = re.search(r"(?<![/\w.-])micrograd-plus (?!tour\b)\w", text)
    assert first_bare, "no later command"
    before = text[:first_bare.start()]
    assert "source .venv/bin/activate" in before
    assert ".venv/bin/micrograd-plus" in before


# ---- sources: every book and slide deck named by title, author and chapter -------------------


def test_readme_names_every_source_by_title_author_and_chapter():
    from micrograd_plus.sources import SOURCES

    text = sections()["Sources"]
    for source in SOURCES.values():
        assert source.reference in text, source.key
        assert source.title in text and source.authors in text and source.chapter in text


USER_FACING_MODULES = [
    "micrograd_plus.demos", "micrograd_plus.examples", "micrograd_plus.metrics",
    "micrograd_plus.train", "micrograd_plus.data", "micrograd_plus.tour",
    *[f"micrograd_plus.demos.{n}" for n in ("moons", "binary3d", "housing", "optimizers",
                                            "regularization", "multilabel", "demand")],
    *[f"micrograd_plus.examples.{n}" for n in ("lunch", "three_layer", "gd_surface",
                                               "neuron_342", "torch_tutorial", "manual_backprop")],
]
JARGON = re.compile(r"\bseeds? ?\(?0\d\d|\bseed_0|shared/seeds")


def _user_texts() -> dict[str, str]:
    """What a user reads: the README, the listings, the docstrings (help()) and plot titles."""
    from micrograd_plus.demos import DEMOS
    from micrograd_plus.examples import EXAMPLES

    texts = {"README.md": readme(), "DEMOS": "\n".join(DEMOS.values()),
             "EXAMPLES": "\n".join(EXAMPLES.values())}
    for name in USER_FACING_MODULES:
        module = importlib.import_module(name)
        source = Path(module.__file__).read_text(encoding="utf-8")
        titles = re.findall(r"(?:set_title|suptitle|title=)\(?f?\"([^\"]*)\"", source)
        docs = [module.__doc__ or ""] + [getattr(obj, "__doc__", "") or "" for obj in
                                         vars(module).values() if callable(obj)]
        comments = re.findall(r"#[^\n]*", source)
        texts[name] = "\n".join(docs + titles + comments)
    return texts


@pytest.mark.parametrize("where", ["README.md", "DEMOS", "EXAMPLES", *USER_FACING_MODULES])
def test_no_seed_file_jargon_where_users_read(where):
    text = _user_texts()[where]
    assert not JARGON.findall(text), JARGON.findall(text)


BOOK_NAMES = ("Meng", "Wang", "Ketkar", "Chaudhury", "Bing Li")


def test_every_exercise_or_section_number_names_its_book():
    """"Ex 3.5", "§3.13", "Fig. 3-10" mean nothing without the book: name it nearby."""
    for where, text in _user_texts().items():
        for paragraph in re.split(r"\n\s*\n|\n(?=[|-] )", text):
            if re.search(r"\bEx(ample|\.)? ?3\.\d|§ ?\d|\bFig\. ?\d", paragraph):
                assert any(name in paragraph for name in BOOK_NAMES), (where, paragraph)


# ---- the sections a newcomer asked for -----------------------------------------------------


def test_how_it_works_and_what_fit_prints_and_returns():
    parts = sections()
    how = parts["How it works"]
    for idea in ("local derivative", "topological", "chain rule", "lunch"):
        assert idea in how, idea
    assert "micrograd_plus/" not in how and "_plan" not in how  # concepts, not module names
    fit_section = parts["What `fit` prints and returns"]
    assert "History" in fit_section and "history.loss" in fit_section
    assert re.search(r"epoch \d+ \| loss [\d.]+", fit_section)  # the printed summary line
    assert "seed=" in parts["Training"] or "seed=" in fit_section
