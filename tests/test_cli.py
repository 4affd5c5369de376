"""The `micrograd-plus` command line: every subcommand's arguments and its errors."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from conftest import needs_dot
from micrograd_plus import cli
from micrograd_plus.examples import EXAMPLES
from test_cli_render import node_texts


def run_module(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "micrograd_plus", *args], capture_output=True,
                          text=True, timeout=120)


def test_python_dash_m_help_lists_every_subcommand():
    done = run_module("--help")
    assert done.returncode == 0, done.stderr
    for command in ("tour", "examples", "example", "render", "step", "explore", "demo",
                    "bench"):
        assert re.search(rf"^\s+{command}\s", done.stdout, re.M), command


def test_python_dash_m_examples_lists_every_example():
    done = run_module("examples")
    assert done.returncode == 0, done.stderr
    listed = [line.split()[0] for line in done.stdout.splitlines() if line.strip()]
    assert listed == list(EXAMPLES)


def test_example_name_prints_its_numbers(tmp_path, capsys):
    assert cli.main(["example", "torch_tutorial", "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    # x = ones(2,2), out = mean(2·(x + 2)²): ∂out/∂x = ¼·4·(1 + 2) = 3, twice 6
    assert "[[3, 3], [3, 3]]" in out and "[[6, 6], [6, 6]]" in out
    assert any(p.stem == "torch_tutorial" for p in tmp_path.iterdir())


def test_example_all_runs_every_example_into_one_directory(tmp_path, monkeypatch):
    import micrograd_plus.examples as examples

    calls = []
    monkeypatch.setattr(examples, "run_all", lambda out_dir: calls.append(out_dir) or 0)
    assert cli.main(["example", "--all", "-o", str(tmp_path)]) == 0
    assert calls == [str(tmp_path)]


@pytest.mark.parametrize("argv, message", [
    (["example", "nope"], "unknown example 'nope'; choose one of lunch, three_layer"),
    (["example"], "give an example NAME"),
    (["example", "lunch", "--all"], "NAME or --all, not both"),
    (["render", "nope", "-o", "x.svg"], "unknown example 'nope'"),
    (["render", "missing.py", "-o", "x.svg"], "no such file: missing.py"),
    (["render", "lunch", "-o", "x.svgz"], "cannot tell the format of 'x.svgz'; use one of the "
     "extensions .dot, .gv, .pdf, .png, .svg"),
    (["step", "nope"], "unknown example 'nope'"),
    (["explore", "nope", "-o", "x.html"], "unknown example 'nope'"),
    (["bench", "nope"], "unknown benchmark 'nope'; choose one of chain, moons, render, tensor"),
    (["demo", "nope"], "unknown demo 'nope'; choose one of moons"),
])
def test_unknown_names_exit_2_with_a_clear_message(argv, message, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert f"micrograd-plus {argv[0]}: error: " in err and message in err


def test_a_file_without_root_or_build_is_a_usage_error(tmp_path, capsys):
    script = tmp_path / "empty.py"
    script.write_text("x = 1\n", encoding="utf-8")
    with pytest.raises(SystemExit) as stop:
        cli.main(["render", str(script), "-o", str(tmp_path / "x.dot")])
    assert stop.value.code == 2
    assert "defines neither `root` nor `build()`" in capsys.readouterr().err


@pytest.mark.parametrize("source, gives", [
    ("root = 3.5", "`root` gives a float"),
    ("def build():\n    return {'root': 'E'}", "`build()` gives a str"),
])
@pytest.mark.parametrize("command", ["render", "step", "explore"])
def test_a_file_whose_root_is_not_a_node_is_a_usage_error(tmp_path, capsys, source, gives,
                                                          command):
    """Was a traceback from deep inside draw_graph / the stepper / the explorer."""
    script = tmp_path / "target.py"
    script.write_text(source + "\n", encoding="utf-8")
    output = {"render": ["-o", str(tmp_path / "x.dot")], "step": [],
              "explore": ["-o", str(tmp_path / "x.html")]}[command]
    with pytest.raises(SystemExit) as stop:
        cli.main([command, str(script), *output])
    assert stop.value.code == 2
    assert f"{script}: {gives}, not a Value or Tensor" in capsys.readouterr().err


@needs_dot
def test_render_lunch_svg_shows_the_gradients_after_backward(tmp_path):
    out = tmp_path / "x.svg"
    assert cli.main(["render", "lunch", "-o", str(out)]) == 0
    texts = node_texts(out)
    # ∂E/∂w = −(t − y)·x = −700·(5, 2, 4); ∂E/∂y = −(t − y) = −700
    for label, data, grad in (("w_meat", "50", "−3500"),
                              ("w_veg", "50", "−1400"),
                              ("w_staple", "50", "−2800"),
                              ("y", "550", "−700"), ("E", "245000", "1")):
        assert f"{label} data {data} grad {grad}" in texts, label


def test_render_dot_of_an_example_and_of_user_files(tmp_path):
    out = tmp_path / "lunch.dot"
    assert cli.main(["render", "lunch", "-o", str(out)]) == 0
    assert "−3500" in out.read_text(encoding="utf-8")
    # a file's `root` is drawn as it is (here: before backward, grad 0)
    as_is = tmp_path / "as_is.py"
    as_is.write_text("from micrograd_plus import Value\n"
                     "a = Value(3.0, label='a')\nroot = a * a\nroot.label = 'r'\n",
                     encoding="utf-8")
    assert cli.main(["render", str(as_is), "-o", str(tmp_path / "a.dot")]) == 0
    src = (tmp_path / "a.dot").read_text(encoding="utf-8")
    assert "data</FONT> 9<" in src and "grad</FONT> 0<" in src and "> 6<" not in src
    # a file's build(backward=...) is asked for the gradients: d(a·a)/da = 2a = 6
    built = tmp_path / "built.py"
    built.write_text("from micrograd_plus import Value\n"
                     "def build(backward=False):\n"
                     "    a = Value(3.0, label='a')\n    r = a * a\n"
                     "    if backward:\n        r.backward()\n    return {'root': r}\n",
                     encoding="utf-8")
    assert cli.main(["render", str(built), "-o", str(tmp_path / "b.dot")]) == 0
    assert "grad</FONT> 6<" in (tmp_path / "b.dot").read_text(encoding="utf-8")


def test_step_and_explore_get_the_forward_pass(monkeypatch):
    seen = []
    monkeypatch.setattr("micrograd_plus.debug.run_terminal", lambda root: seen.append(root))
    monkeypatch.setattr("micrograd_plus.debug.explorer.explore",
                        lambda root, path: seen.append(root) or path)
    assert cli.main(["step", "lunch"]) == 0
    assert cli.main(["explore", "lunch", "-o", "unused.html"]) == 0
    # both replay backward themselves: they get E before backward(), every grad 0
    for root in seen:
        assert root.label == "E" and root.grad == 0.0
        assert all(p.grad == 0.0 for p in root._prev)
    assert len(seen) == 2


def test_bench_lists_the_scripts(capsys):
    assert cli.main(["bench"]) == 0
    assert capsys.readouterr().out.split() == sorted(p.stem.removeprefix("bench_")
                                                     for p in cli.BENCH_DIR.glob("bench_*.py"))


@pytest.mark.parametrize("name, option", [("moons", "--rounds"), ("tensor", "--quick"),
                                          ("bench_tensor", "--repeats")])
def test_bench_passes_the_remaining_arguments_to_the_script(name, option, capsys):
    saved = list(sys.argv)
    assert cli.main(["bench", name, "--help"]) == 0  # the script's own --help, exit 0
    out = capsys.readouterr().out
    assert "usage: bench_" in out and option in out
    assert sys.argv == saved
