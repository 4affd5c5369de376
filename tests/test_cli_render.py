"""The CLI paths that draw: `render`, `example`, `examples` and `tour`, through cli.main."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET

import pytest

from conftest import needs_dot
from micrograd_plus import cli
from micrograd_plus.examples import EXAMPLES

SVG = "{http://www.w3.org/2000/svg}"


def node_texts(path) -> list[str]:
    root = ET.parse(path).getroot()
    return [" ".join(" ".join(t.text or "" for t in g.iter(f"{SVG}text")).split())
            for g in root.iter(f"{SVG}g") if g.get("class") == "node"]


@needs_dot
def test_render_lunch_to_svg(tmp_path, capsys):
    out = tmp_path / "x.svg"
    assert cli.main(["render", "lunch", "-o", str(out)]) == 0
    assert f"wrote {out}" in capsys.readouterr().out
    texts = node_texts(out)
    for label, data in (("w_meat", "50"), ("x_veg", "2"), ("y", "550"),
                        ("E", "245000")):
        assert any(t.startswith(f"{label} data {data}") for t in texts), label
    assert sum(t in {"·", "−", "^2", "×"} for t in texts) == 4  # the four op nodes


@needs_dot
def test_render_png_and_top_bottom(tmp_path):
    out = tmp_path / "x.png"
    assert cli.main(["render", "lunch", "-o", str(out), "--rankdir", "TB"]) == 0
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_render_dot_without_graphviz(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    out = tmp_path / "x.dot"
    assert cli.main(["render", "three_layer", "-o", str(out)]) == 0
    src = out.read_text(encoding="utf-8")
    assert src.startswith("digraph") and "J<" in src and "cluster_layer_1" in src
    with pytest.raises(SystemExit) as stop:  # one error line, exit status 2
        cli.main(["render", "lunch", "-o", str(tmp_path / "x.svg")])
    assert stop.value.code == 2
    assert "apt-get install graphviz" in capsys.readouterr().err


def test_examples_lists_every_example(capsys):
    assert cli.main(["examples"]) == 0
    out = capsys.readouterr().out
    for name, summary in EXAMPLES.items():
        assert re.search(rf"^{name}\s+{re.escape(summary)}$", out, re.M)


def test_example_lunch(tmp_path, capsys):
    assert cli.main(["example", "lunch", "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "(−3500, −1400, −2800)" in out and "(130, 0, 100)" in out
    assert "(0, −40, −20)" in out  # the slide's typo is pointed out
    ext = "svg" if shutil.which("dot") else "dot"
    assert (tmp_path / f"lunch.{ext}").exists()


def test_tour_renders_lunch_and_the_loss_falls(tmp_path, capsys):
    assert cli.main(["tour", "-o", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    rows = re.findall(r"^step\s+(\d+)\s+loss (\d+\.\d+)\s+accuracy (\d+)%", out, re.M)
    assert [int(step) for step, _, _ in rows] == list(range(0, 51, 5))
    losses = [float(loss) for _, loss, _ in rows]
    # SGD with momentum need not fall at every step, but it must end far lower, and separate
    # the two moons completely
    assert losses[-1] < 0.1 * losses[0] and min(losses) < losses[0]
    assert int(rows[-1][2]) == 100
    if shutil.which("dot"):
        assert (tmp_path / "lunch.svg").exists() and (tmp_path / "lunch.png").exists()
        texts = node_texts(tmp_path / "lunch.svg")
        assert any(t.startswith("w_meat data 50 grad −3500") for t in texts)
    else:
        assert (tmp_path / "lunch.dot").exists()


def test_tour_and_examples_without_graphviz_write_dot_files(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    assert cli.main(["tour", "-o", str(tmp_path / "tour")]) == 0
    assert cli.main(["example", "three_layer", "-o", str(tmp_path / "ex")]) == 0
    out = capsys.readouterr().out
    assert "Graphviz `dot` not found" in out and "apt-get install graphviz" in out
    assert (tmp_path / "tour" / "lunch.dot").read_text(encoding="utf-8").startswith("digraph")
    assert (tmp_path / "ex" / "three_layer_sigmoid.dot").exists()
    assert not list(tmp_path.rglob("*.svg")) and not list(tmp_path.rglob("*.png"))
