"""`render/step/explore FILE.py` runs the file: the help and the README say so (issue 14, 13)."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from micrograd_plus import cli

README = Path(__file__).resolve().parent.parent / "README.md"


def help_text(*args):
    """``micrograd-plus ARGS --help`` as printed (in process: argparse exits after printing)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exit_:
        cli.main([*args, "--help"])
    assert exit_.value.code == 0
    return " ".join(out.getvalue().split())  # argparse wraps lines: compare the words


def test_python_dash_m_help_says_it_too():
    done = subprocess.run([sys.executable, "-m", "micrograd_plus", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert "runs the file" in " ".join(done.stdout.split())


@pytest.mark.parametrize("command", ["render", "step", "explore"])
def test_subcommand_help_says_a_py_file_is_run(command):
    assert "runs the file (its Python code is executed)" in help_text(command)


def test_top_level_help_says_a_py_file_is_run():
    assert re.search(r"render/step/explore FILE\.py runs the file", help_text())


def test_readme_says_a_py_file_is_run():
    text = " ".join(README.read_text(encoding="utf-8").split())
    assert "`render`, `step` and `explore` given a `FILE.py` run the file" in text
