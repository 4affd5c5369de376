"""`micrograd-plus render`'s drawing options and defaults, --version, and how the command
reports a broken user file, an unwritable output and a closed pipe (one line, no traceback)."""

from __future__ import annotations

import argparse
import importlib
import os
import re
import subprocess
import sys

import pytest

from conftest import needs_dot
from micrograd_plus import __version__, cli
from micrograd_plus.examples import EXAMPLES
from micrograd_plus.viz import draw_graph


def run_module(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "micrograd_plus", *args], capture_output=True,
                          text=True, timeout=120, cwd=cwd)


# ---- render: the options of draw_graph that matter on a slide ---------------------------------


def _without_ids(src: str) -> list[str]:
    """A Digraph's lines with node ids (``n140…``) blanked: two builds of one graph agree."""
    return sorted(re.sub(r"n\d+", "N", line) for line in src.splitlines())


# the examples with an image in docs/images (gradient_penalty prints a table only): the
# graph of build()'s root, or of its "image" (newton: the gradient as graphs)
DRAWN_AS_BUILT = [name for name in EXAMPLES if name != "gradient_penalty"]


@pytest.mark.parametrize("name", DRAWN_AS_BUILT)
def test_render_defaults_to_the_example_images_look(tmp_path, name):
    """``render NAME`` draws what ``example NAME`` writes to docs/images (NAME.svg, or
    newton_gradient.svg for newton)."""
    module = importlib.import_module(f"micrograd_plus.examples.{name}")
    out = tmp_path / "x.dot"
    assert cli.main(["render", name, "-o", str(out)]) == 0
    built = module.build(backward=True)
    extra = {"model": built["model"]} if "model" in built else {}
    style = getattr(module, "IMAGE_STYLE", None) or module.GRAPH_STYLE
    image = draw_graph(built.get("image", built["root"]), **style, **extra).source
    assert _without_ids(out.read_text(encoding="utf-8")) == _without_ids(image)
    if name == "lunch":
        assert "rankdir=TB" in image and "∂y/∂w_meat = 5" in image


@needs_dot
def test_render_output_defaults_to_name_svg(tmp_path):
    script = tmp_path / "mine.py"
    script.write_text("from micrograd_plus import Value\nroot = Value(2.0, label='a') * 3\n",
                      encoding="utf-8")
    for target, name in (("lunch", "lunch.svg"), (str(script), "mine.svg")):
        done = run_module("render", target, cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert (tmp_path / name).read_text(encoding="utf-8").lstrip().startswith("<?xml")
        assert done.stdout.strip() == f"wrote {name}"


def test_render_reaches_the_drawing_options(tmp_path):
    out = tmp_path / "x.dot"
    assert cli.main(["render", "lunch", "-o", str(out), "--no-edge-labels", "--color-by-grad",
                     "--precision", "1", "--title", "My slide", "--rankdir", "LR",
                     "--record", "row"]) == 0
    src = out.read_text(encoding="utf-8")
    assert "∂y/∂w_meat" not in src  # edge labels off
    assert "|grad| ≥ 1" in src  # the colour legend
    assert 'label="My slide' in src and "rankdir=LR" in src
    assert cli.main(["render", "neuron_342", "-o", str(out), "--precision", "1"]) == 0
    assert re.search(r"data</FONT> 0\.\d<", out.read_text(encoding="utf-8"))  # 1 decimal
    assert cli.main(["render", "three_layer", "-o", str(out), "--no-grad"]) == 0
    assert "grad</FONT>" not in out.read_text(encoding="utf-8")
    assert cli.main(["render", "three_layer", "-o", str(out), "--show-grad",
                     "--edge-labels"]) == 0
    src = out.read_text(encoding="utf-8")
    assert "grad</FONT>" in src and "fontcolor=\"#1f5fa8\"" in src
    with pytest.raises(SystemExit) as stop:
        cli.main(["render", "lunch", "-o", str(out), "--precision", "-1"])
    assert stop.value.code == 2


def test_every_argument_has_help_text():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    missing = []
    for name, p in [("", parser), *sub.choices.items()]:
        for action in p._actions:
            if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
                continue
            if not action.help or action.help == argparse.SUPPRESS:
                missing.append(f"{name} {action.dest}")
    assert not missing, missing
    help_text = sub.choices["render"].format_help()
    for option in ("--edge-labels", "--no-edge-labels", "--color-by-grad", "--precision",
                   "--title", "--show-grad", "--no-grad", "--output"):
        assert option in help_text, option


def test_version():
    done = run_module("--version")
    assert done.returncode == 0 and done.stdout.strip() == f"micrograd-plus {__version__}"


# ---- errors: one line, exit status 2 --------------------------------------------------------


@pytest.mark.parametrize("source, line, message", [
    ("from micrograd_plus import Value\nroot = Value(1.0\n", 2, "SyntaxError: "),
    ("from micrograd_plus import Value\nx = 1\nroot = Value(1.0) / 0\n", 3,
     "ZeroDivisionError: "),
    ("import no_such_module_here\n", 1, "ModuleNotFoundError: No module named "
     "'no_such_module_here'"),
    ("def build():\n    return undefined_name\n", 2, "NameError: name 'undefined_name' is not "
     "defined"),
])
@pytest.mark.parametrize("command", ["render", "step", "explore"])
def test_a_user_file_that_fails_is_one_error_line(tmp_path, source, line, message, command):
    script = tmp_path / "broken.py"
    script.write_text(source, encoding="utf-8")
    out = {"render": ["-o", str(tmp_path / "x.dot")], "step": [],
           "explore": ["-o", str(tmp_path / "x.html")]}[command]
    done = run_module(command, str(script), *out)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"error: {script}:{line}: {message}" in lines[0]
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("argv_tail", [
    lambda d: ["render", "lunch", "-o", str(d / "no" / "such" / "dir" / "x.svg")],
    lambda d: ["render", "lunch", "-o", str(d / "readonly" / "x.dot")],
    lambda d: ["render", "lunch", "-o", str(d)],  # a directory, not a file
    lambda d: ["explore", "lunch", "-o", str(d / "readonly" / "x.html")],
    lambda d: ["example", "lunch", "-o", str(d / "readonly")],
])
def test_an_output_that_cannot_be_written_is_one_error_line(tmp_path, argv_tail):
    ro = tmp_path / "readonly"
    ro.mkdir()
    (tmp_path / "no").write_text("a file where a directory should be", encoding="utf-8")
    ro.chmod(0o500)
    try:
        if os.access(ro, os.W_OK):  # root ignores permissions: make it a file instead
            ro.chmod(0o700)
            ro.rmdir()
            ro.write_text("a file where a directory should be", encoding="utf-8")
        done = run_module(*argv_tail(tmp_path))
    finally:
        if ro.is_dir():
            ro.chmod(0o700)
    assert done.returncode == 2, (done.stdout, done.stderr)
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "error: " in lines[0], done.stderr
    assert "Traceback" not in done.stderr and "[Errno" not in done.stderr


@needs_dot
def test_missing_graphviz_is_one_error_line(tmp_path):
    env = {**os.environ, "PATH": str(tmp_path / "nothing-here")}
    done = subprocess.run([sys.executable, "-m", "micrograd_plus", "render", "lunch", "-o",
                           str(tmp_path / "x.svg")], capture_output=True, text=True,
                          timeout=120, env=env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "error: " in lines[0] and "graphviz" in lines[0].lower()


def test_a_closed_pipe_exits_quietly():
    """``micrograd-plus examples | head -n 1``, with far more output than a pipe buffers."""
    code = ("import sys\nfrom micrograd_plus import cli\n"
            "sys.exit(max(cli.main(['examples']) for _ in range(400)))\n")
    done = subprocess.run(["bash", "-c", f"'{sys.executable}' -c \"{code}\" | head -n 1; "
                           "echo status ${PIPESTATUS[0]}"], capture_output=True, timeout=120)
    assert done.stderr == b"", done.stderr.decode()  # no traceback, no "Exception ignored"
    lines = done.stdout.decode().splitlines()
    assert lines[0].startswith("lunch ") and len(lines) == 2
    # status 1 (output cut short), as rich's console and Python's docs do; not a crash (120)
    assert lines[1] == "status 1"
