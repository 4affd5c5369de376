"""`micrograd-plus animate TARGET -o OUT`: a GIF, a PDF or a folder of numbered frames."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import needs_dot

from micrograd_plus import BackpropStepper, cli, step_frames
from micrograd_plus.examples import lunch

pytestmark = needs_dot

SCRIPT = '''
from micrograd_plus import Value

def build():
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    c = a * b
    c.label = "c"
    L = c.tanh()
    L.label = "L"
    return L
'''


def test_animate_example_to_gif(tmp_path, capsys):
    from PIL import Image

    out = tmp_path / "lunch.gif"
    assert cli.main(["animate", "lunch", "-o", str(out), "--seconds", "0.25"]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    with Image.open(out) as gif:
        assert gif.n_frames == len(step_frames(lunch.build()["root"]))
        assert gif.info["duration"] == 250


def test_animate_backward_pass_to_pdf(tmp_path):
    import pypdf

    out = tmp_path / "lunch.pdf"
    assert cli.main(["animate", "lunch", "-o", str(out), "--passes", "backward"]) == 0
    steps = BackpropStepper(lunch.build()["root"]).steps
    assert len(pypdf.PdfReader(out).pages) == len(steps) == 7


def test_animate_py_file_to_a_folder_of_frames(tmp_path, capsys):
    script = tmp_path / "graph.py"
    script.write_text(SCRIPT, encoding="utf-8")
    folder = tmp_path / "frames"
    assert cli.main(["animate", str(script), "-o", str(folder), "--format", "svg",
                     "--rankdir", "TB"]) == 0
    names = sorted(p.name for p in folder.iterdir())
    # the inputs, 2 forward ops (c, L), 3 backward steps (L, c, then a and b: leaves)
    assert names == [f"step_{k:03d}.svg" for k in range(1, 8)]
    assert "wrote 7 frames" in capsys.readouterr().out
    last = (folder / "step_007.svg").read_text(encoding="utf-8")
    assert "Backward 4/4" in last and "rankdir" not in last


def test_animate_rejects_an_unknown_output_kind(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        cli.main(["animate", "lunch", "-o", str(tmp_path / "lunch.mp4")])
    assert stop.value.code == 2
    assert "give a .gif or .pdf file, or a folder" in capsys.readouterr().err


def test_animate_wants_a_single_root(tmp_path, capsys):
    script = tmp_path / "two.py"
    script.write_text("from micrograd_plus import Value\nroot = [Value(1.0), Value(2.0)]\n",
                      encoding="utf-8")
    with pytest.raises(SystemExit) as stop:
        cli.main(["animate", str(script), "-o", str(tmp_path / "x.gif")])
    assert stop.value.code == 2
    assert "gives 2 roots; animate steps through the backward pass of one" in (
        capsys.readouterr().err)


def test_animate_is_listed_in_help():
    done = subprocess.run([sys.executable, "-m", "micrograd_plus", "animate", "--help"],
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0
    assert "--passes" in done.stdout and "--seconds" in done.stdout
