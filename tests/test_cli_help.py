"""`render/step/explore FILE.py` runs the file: the help and the README say so (issue 14, 13)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"


def help_text(*args):
    done = subprocess.run([sys.executable, "-m", "micrograd_plus", *args, "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return " ".join(done.stdout.split())  # argparse wraps lines: compare the words


@pytest.mark.parametrize("command", ["render", "step", "explore"])
def test_subcommand_help_says_a_py_file_is_run(command):
    assert "runs the file (its Python code is executed)" in help_text(command)


def test_top_level_help_says_a_py_file_is_run():
    assert re.search(r"render/step/explore FILE\.py runs the file", help_text())


def test_readme_says_a_py_file_is_run():
    text = " ".join(README.read_text(encoding="utf-8").split())
    assert "`render`, `step` and `explore` given a `FILE.py` run the file" in text
