"""Labels, op names and titles are shown as written, everywhere (issue 14, item 11).

Graphviz expands escapes such as \\N (the node's name) even inside HTML-like labels; Rich
reads ``[bold]``, ``[/]`` and ``[link=...]`` as markup; a terminal obeys escape sequences;
a browser parses ``</script>``. Each view is checked where a person sees it: the SVG that
real ``dot`` renders, a real terminal (tmux), and the page in headless Chromium.
"""

from __future__ import annotations

import io
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import needs_dot
from rich.console import Console

from micrograd_plus import Value, draw_graph, render_graph
from micrograd_plus.debug import BackpropStepper
from micrograd_plus.viz import node_name, op_node_name
from micrograd_plus.viz.format import group_label, visible

SVG = "{http://www.w3.org/2000/svg}"

NASTY = [
    "\\N", "\\G", "\\l", "\\E\\T\\H", "a\\b", "x\\", "a\nb", "a\tb", "<b>x</b>", "{a|b}",
    "<p>", '"q"', '\\"q', "a[/b]", "[bold]x[/bold]", "[/]", "[link=https://evil.example]c[/link]",
    "\x1b[31mred", "bell\x07", "</script><script>window.PWNED=1</script>", "&amp;", "a & b",
    "\u202eevil",
]


def test_visible_shows_control_characters_as_escapes():
    assert visible("a\nb\tc\x1b[31m\x07\x7f\u202e") == "a\\nb\\tc\\x1b[31m\\x07\\x7f\\u202e"
    assert visible("w⁽¹⁾₁₂ [bold] <b> \\N") == "w⁽¹⁾₁₂ [bold] <b> \\N"


def build(label):
    """label * k with the result, the op and the parent all carrying ``label``."""
    a = Value(2.0, label=label)
    k = Value(3.0, label="k")
    out = Value(6.0, (a, k), _op=label)  # micrograd's constructor: any op name
    out._local = (3.0, 2.0)
    out.label = label + "!"
    return out, a


def texts(g):
    """The text lines of an SVG group (without the invisible word joiner, see dot_html)."""
    return [(t.text or "").replace("\u2060", "") for t in g.iter(f"{SVG}text")]


@needs_dot
@pytest.mark.parametrize("label", NASTY, ids=repr)
def test_graphviz_shows_labels_op_names_edge_labels_and_titles_verbatim(tmp_path, label):
    out, a = build(label)
    out.grad = 1.0
    path = render_graph(out, tmp_path / "g.svg", title=f"T {label}", edge_labels=True,
                        pretty_labels=False)
    svg = ET.parse(path).getroot()  # also: the SVG is well-formed XML
    groups = {g.get("id"): g for g in svg.iter(f"{SVG}g")}
    assert texts(groups[node_name(a)])[0].strip() == visible(label)
    assert texts(groups[node_name(out)])[0].strip() == visible(label + "!")
    assert texts(groups[op_node_name(out)])[0].strip() == visible(label)
    edge = groups[f"{node_name(a)}->{op_node_name(out)}#0"]
    assert texts(edge)[0].strip() == visible(
        f"∂{group_label(label + '!')}/∂{group_label(label)} = 3")  # one formatter: 3
    title = [(t.text or "").replace("\u2060", "")
             for t in svg.find(f"{SVG}g").findall(f"{SVG}text")]
    assert [(t or "").strip() for t in title] == [visible(line).strip()
                                                  for line in f"T {label}".split("\n")]


@needs_dot
def test_html_like_label_text_and_a_stacked_record_keep_backslashes(tmp_path):
    v = Value(1.0, label="\\N\\G")
    dot = draw_graph(v * 2, record="stacked", pretty_labels=False)
    assert "\\\\N\\\\G" in dot.source  # backslashes doubled for dot
    path = render_graph(dot, tmp_path / "s.svg")
    svg = ET.parse(path).getroot()
    node = next(g for g in svg.iter(f"{SVG}g") if g.get("id") == node_name(v))
    assert texts(node)[0].strip() == "\\N\\G"


# ---- the stepper's rich output ----------------------------------------------------------


def chain(label):
    a = Value(2.0, label=label)
    b = a * a  # a gets two contributions: the "[contribution 1 of 2 ...]" text too
    b.label = label + "2"
    return b


def rich_screen(stepper, moves):
    for m in moves:
        stepper.move(m)
    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, color_system="truecolor", width=160)
    console.print(stepper.render())
    return buf.getvalue()


@pytest.mark.parametrize("label", NASTY, ids=repr)
def test_stepper_rich_output_shows_labels_verbatim(label):
    stepper = BackpropStepper(chain(label))
    screens = []
    for moves in ([], ["next"], ["next"], ["end"]):
        raw = rich_screen(stepper, moves)
        assert "\x1b]8;" not in raw, "a label became a hyperlink"
        plain = re.sub(r"\x1b\[[0-9;]*m", "", raw)  # the styles rich itself writes
        assert "\x1b" not in plain and "\x07" not in plain, "a label reached the terminal"
        screens.append(plain)
    assert visible(label) + "2" in screens[0]  # the root, in the header
    # step 1: the chain rule, with the literal "[contribution 1 of 2; ...]" text
    assert f"step 1: {visible(label)}2" in screens[1]
    assert "[contribution 1 of 2;" in screens[1] and "[contribution 2 of 2;" in screens[1]
    assert f"∂{visible(group_label(label))}" in screens[1].replace("(", "").replace(")", "") \
        or visible(group_label(label)) in screens[1]
    assert f"step 2: {visible(label)}" in screens[2]


def test_op_names_and_titles_with_markup_in_the_stepper_table():
    a = Value(2.0, label="[red]a")
    out = Value(4.0, (a,), _op="[/]")
    out._local = (2.0,)
    out.label = "[link=x]o[/link]"
    raw = rich_screen(BackpropStepper(out), ["next"])
    plain = re.sub(r"\x1b\[[0-9;]*m", "", raw)
    assert "step 1: [link=x]o[/link]" in plain and "[/]" in plain and "[red]a" in plain


# ---- a real terminal ---------------------------------------------------------------------

needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")


@needs_tmux
def test_step_session_in_tmux_shows_markup_and_escapes_verbatim(tmp_path):
    from test_terminal import Terminal

    target = tmp_path / "nasty.py"
    target.write_text(
        "from micrograd_plus import Value\n"
        "a = Value(2.0, label='a[/b]')\n"
        "c = Value(3.0, label='[link=https://evil.example]c[/link]')\n"
        "e = Value(1.0, label='\\x1b[31mred\\x1b[0m')\n"
        "root = a * c + e\n"
        "root.label = '[bold]L[/bold]'\n"
    )
    with Terminal([sys.executable, "-m", "micrograd_plus", "step", str(target)]) as term:
        screen = term.wait_for("step 0 of")
        assert "Backprop of [bold]L[/bold]" in screen
        term.keys("e")
        screen = term.wait_for("done: every gradient")
        assert "a[/b]" in screen
        assert "[link=https://evil.example]c[/link]" in screen
        assert "\\x1b[31mred\\x1b[0m" in screen
        term.quit()


# ---- the explorer page in Chromium -------------------------------------------------------


@needs_dot
def test_explorer_page_shows_labels_verbatim_in_chromium(tmp_path):
    from test_explorer import needs_browser  # noqa: F401  (skips when absent)

    pytest.importorskip("selenium")
    from test_explorer import CHROMEDRIVER, CHROMIUM
    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("headless Chromium or chromedriver is not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By

    from micrograd_plus import explore

    labels = ["</script><script>window.PWNED=1</script>", "<b>bold</b>", "\\N", "[bold]x"]
    values = [Value(float(i + 1), label=lab) for i, lab in enumerate(labels)]
    root = values[0] * values[1] + values[2] * values[3]
    root.label = "<img src=x onerror='window.PWNED=2'>"
    page = explore(root, tmp_path / "page.html", title="T </title><script>window.PWNED=3"
                   "</script>")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        driver.get(Path(page).as_uri())
        assert driver.execute_script("return window.PWNED === undefined")
        assert driver.title == "T </title><script>window.PWNED=3</script>"
        graph_text = driver.find_element(By.ID, "mgp-graph").text
        for lab in labels + ["<img src=x onerror='window.PWNED=2'>"]:
            assert lab in graph_text
        assert not driver.find_elements(By.CSS_SELECTOR, "#mgp-graph b, #mgp-graph img")
    finally:
        driver.quit()
