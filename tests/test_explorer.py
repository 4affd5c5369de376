"""The HTML backprop explorer, read back in a real headless Chromium (selenium).

One browser for the module; every test loads a page written by ``explore`` from ``file://``
and drives it with the same buttons, slider and keys a student would use.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pytest
from conftest import matrix_graph, needs_dot

from micrograd_plus import Value, dot, no_grad
from micrograd_plus.core import autograd
from micrograd_plus.debug.explorer import Explorer, explore, explorer_data
from micrograd_plus.viz import format_number, node_name

pytestmark = needs_dot

CHROMIUM = next((p for p in (shutil.which("chromium"), shutil.which("chromium-browser"),
                             "/usr/bin/chromium") if p and Path(p).exists()), None)
CHROMEDRIVER = shutil.which("chromedriver") or (
    "/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
# selenium is in the dev extra: only the system browser may be genuinely absent
needs_browser = pytest.mark.skipif(
    CHROMIUM is None or CHROMEDRIVER is None,
    reason="headless Chromium or chromedriver is not installed on this machine",
)

# ∂E/∂w at the first lunch sample, from WORKED_EXAMPLES.md §1 (computed by hand)
EXPECTED = {"w_meat": -3500.0, "w_veg": -1400.0, "w_staple": -2800.0}


def build_lunch() -> Value:
    """E = ½(1250 − y)², y = w·x with w = (50, 50, 50), x = (5, 2, 4): the worked example."""
    from micrograd_plus.examples.lunch import build

    return build()["root"]


def by_label(root) -> dict:
    return {n.label: n for n in autograd.topological_order(root) if n.label}


def minus(text: str) -> str:
    return text.replace("−", "-")


def number_in(text: str) -> float:
    """The first number in a cell ('−3500', '-3500.0000', '2.45e+05')."""
    m = re.search(r"[-+]?\d+(?:\.\d*)?(?:e[-+]?\d+)?", minus(text))
    assert m, f"no number in {text!r}"
    return float(m.group(0))


# -- the page without a browser -----------------------------------------------------------

def test_page_is_one_self_contained_file(tmp_path):
    root = build_lunch()
    path = explore(root, tmp_path / "lunch.html")
    assert path == tmp_path / "lunch.html"
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    # nothing is fetched: no external script, stylesheet, image, font or import
    assert not re.search(r"<script[^>]+src=|<link\b|<img\b|@import|url\(", page)
    for url in re.findall(r"https?://[^\s\"'<>)]+", page):
        assert url.startswith(("http://www.w3.org/",)), url  # SVG namespaces only
    assert page.count("<svg") == 1 and "<?xml" not in page and "<!DOCTYPE svg" not in page
    for node in by_label(root).values():
        assert f"<title>{node_name(node)}</title>" in page


def test_steps_reproduce_the_worked_example():
    root = build_lunch()
    data = explorer_data(root)
    order = autograd.topological_order(root)
    steps = data["steps"]
    ops = [n for n in order if n._prev]
    assert [s["phase"] for s in steps] == (
        ["start"] + ["forward"] * len(ops) + ["backward"] * (len(steps) - 1 - len(ops))
    )
    assert [s["node"] for s in steps if s["phase"] == "forward"] == [node_name(n) for n in ops]
    backward = {s["node"]: s for s in steps if s["phase"] == "backward"}
    nodes = by_label(root)
    for label, grad in EXPECTED.items():
        assert number_in(backward[node_name(nodes[label])]["grad"]) == grad
    y_step = backward[node_name(nodes["y"])]
    assert number_in(y_step["grad"]) == -700.0
    assert "∂E/∂w_meat = ∂E/∂y · ∂y/∂w_meat = (−700)·(5) = −3500" in y_step["outgoing"]
    # the weight receives exactly that line, and explain() names the whole path
    meat = backward[node_name(nodes["w_meat"])]
    assert any(line.endswith("= −3500") for line in meat["incoming"])
    assert "−3500" in data["nodes"][node_name(nodes["w_meat"])]["explain"]
    assert "✗" not in data["nodes"][node_name(nodes["w_meat"])]["explain"]
    # forward values: y = 550, E = 245000 (the book's numbers)
    assert number_in(data["nodes"][node_name(nodes["y"])]["data"]) == 550.0
    assert number_in(data["nodes"][node_name(root)]["data"]) == 245000.0


def test_compound_labels_are_bracketed_in_every_derivative():
    """∂E/∂(t − y), as the chain-rule lines write it; the titles and the node card's
    "partial" said ∂E/∂t − y."""
    root = build_lunch()
    data = explorer_data(root)
    err = node_name(by_label(root)["t − y"])
    step = next(s for s in data["steps"] if s["phase"] == "backward" and s["node"] == err)
    assert step["title"] == "Backward: ∂E/∂(t − y) = 700"
    assert data["nodes"][err]["partial"] == "∂E/∂(t − y)"
    assert data["nodes"][node_name(root)]["partial"] == "∂E/∂E"
    assert "∂E/∂t − y" not in json.dumps(data, ensure_ascii=False)


def test_forward_lines_spell_out_the_operation():
    w = [Value(50.0, label=f"w{i}") for i in range(2)]
    x = [Value(3.0, label="a", requires_grad=False), Value(-2.0, label="b")]
    by_const = dot(w, [5.0, 2.0])
    by_const.label = "p"
    by_value = dot(w, x)
    by_value.label = "q"
    total = by_const + by_value
    total.label = "L"
    lines = {s["node"]: s["lines"][0] for s in explorer_data(total)["steps"]
             if s["phase"] == "forward"}
    assert lines[node_name(by_const)] == "p = w0·5 + w1·2 = 50·5 + 50·2 = 350"
    assert lines[node_name(by_value)] == "q = w0·a + w1·b = 50·3 + 50·−2 = 50"
    assert lines[node_name(total)] == "L = p + q = 350 + 50 = 400"


def test_explore_leaves_grads_alone():
    root = build_lunch()
    nodes = by_label(root)
    explore(root)
    assert all(n.grad == 0.0 for n in autograd.topological_order(root))
    root.backward()
    explore(root)
    assert nodes["w_meat"].grad == -3500.0  # one backward's worth, not two


def test_bad_input_gets_a_clear_error(monkeypatch):
    with pytest.raises(TypeError, match="Value or Tensor"):
        explore(3.0)
    with no_grad():
        constant = Value(2.0) * 3
    with pytest.raises(ValueError, match="does not require grad"):
        explore(constant)
    from micrograd_plus.debug import explorer

    monkeypatch.setattr(explorer, "MAX_NODES", 5)
    with pytest.raises(ValueError, match="more than 5"):
        explore(build_lunch())
    with pytest.raises(TypeError, match="show_grad"):
        explore(build_lunch(), show_grad=False)


@pytest.mark.parametrize("bad", [-1, 2.5])
def test_bad_drawing_options_are_clear_errors(bad):
    """precision sets the grad cells before draw_graph runs (was Python's "Format specifier
    missing precision"); other options are draw_graph's own checks."""
    with pytest.raises(ValueError, match=rf"explore: precision must be an int >= 0, got {bad}"):
        explore(build_lunch(), precision=bad)
    with pytest.raises(ValueError, match="rankdir must be one of LR, TB, RL, BT, got 'XY'"):
        explore(build_lunch(), rankdir="XY")


def test_jupyter_repr_is_an_escaped_srcdoc_iframe(tmp_path):
    page = explore(build_lunch())
    assert isinstance(page, Explorer)
    frame = page._repr_html_()
    m = re.fullmatch(r'<iframe srcdoc="([^"]*)"(.*)></iframe>', frame, re.S)
    assert m, frame[:200]
    assert html.unescape(m.group(1)) == page.html
    assert page.save(tmp_path / "sub" / "p.html").read_text(encoding="utf-8") == page.html


def test_cli_explore_writes_the_page(tmp_path, capsys):
    from micrograd_plus import cli

    script = tmp_path / "graph.py"
    script.write_text(
        "from micrograd_plus import Value\n"
        "a = Value(2.0, label='a'); b = Value(-3.0, label='b')\n"
        "root = a * b + a\nroot.label = 'L'\n",
        encoding="utf-8",
    )
    out = tmp_path / "graph.html"
    assert cli.main(["explore", str(script), "-o", str(out)]) == 0
    assert "wrote" in capsys.readouterr().out
    data = _embedded(out.read_text(encoding="utf-8"))
    grads = {data["nodes"][s["node"]]["label"]: s["grad"] for s in data["steps"]
             if s["phase"] == "backward"}
    assert number_in(grads["a"]) == -3.0 + 1.0 and number_in(grads["b"]) == 2.0


def test_cli_explore_lunch(tmp_path):
    from micrograd_plus import cli
    from micrograd_plus.examples import EXAMPLES  # noqa: F401 - written by the examples issue

    if "lunch" not in EXAMPLES:
        pytest.fail("the lunch worked example is missing from micrograd_plus.examples")
    out = tmp_path / "lunch.html"
    assert cli.main(["explore", "lunch", "-o", str(out)]) == 0
    data = _embedded(out.read_text(encoding="utf-8"))
    grads = {data["nodes"][s["node"]]["label"]: number_in(s["grad"]) for s in data["steps"]
             if s["phase"] == "backward"}
    for label, grad in EXPECTED.items():
        assert grads[label] == grad


def _embedded(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="mgp-data">(.*?)</script>', page, re.S)
    return json.loads(m.group(1))


# -- the page in Chromium -----------------------------------------------------------------

@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver  # every test using this fixture is marked needs_browser
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1600,1000"):
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="mgp-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


class Page:
    """The explorer as a student sees it: buttons, slider, keys, the SVG and the panel."""

    def __init__(self, driver, path: Path) -> None:
        from selenium.webdriver.common.by import By

        self.d = driver
        self.By = By
        driver.get_log("browser")  # drop messages of earlier pages
        driver.get(path.resolve().as_uri())
        self.data = driver.execute_script(
            "return JSON.parse(document.getElementById('mgp-data').textContent)")
        self.count = len(self.data["steps"])

    def click(self, element_id: str) -> None:
        self.d.find_element(self.By.ID, element_id).click()

    @property
    def step(self) -> int:
        return int(self.d.find_element(self.By.TAG_NAME, "body").get_attribute("data-mgp-step"))

    def text(self, element_id: str) -> str:
        return self.d.find_element(self.By.ID, element_id).text

    def svg_cell(self, name: str, role: str) -> str:
        """The text of a value node's data/grad cell in the SVG."""
        return self.d.execute_script(
            "var g = document.querySelector('#mgp-graph g[id=\"' + arguments[0] + '\"]');"
            "return Array.prototype.map.call(g.querySelectorAll('text.mgp-' + arguments[1]"
            " + '-text'), function (t) { return t.textContent; }).join(' ').trim();",
            name, role)

    def row(self, label: str) -> tuple[str, str]:
        for tr in self.d.find_elements(self.By.CSS_SELECTOR, "#mgp-values tbody tr"):
            cells = tr.find_elements(self.By.TAG_NAME, "td")
            if cells[0].text == label:
                return cells[1].text, cells[2].text
        raise AssertionError(f"no row {label!r} in the values table")

    def step_of(self, name: str, phase: str = "backward") -> int:
        for i, s in enumerate(self.data["steps"]):
            if s["phase"] == phase and s["node"] == name:
                return i
        raise AssertionError(f"no {phase} step for {name}")

    def go(self, k: int) -> None:
        while self.step < k:
            self.click("mgp-next")
        while self.step > k:
            self.click("mgp-prev")
        assert self.step == k

    def assert_no_js_errors(self) -> None:
        severe = [e for e in self.d.get_log("browser") if e["level"] == "SEVERE"]
        assert severe == [], severe
        assert self.d.execute_script("return window.__mgpErrors") == []


@pytest.fixture(scope="module")
def lunch(tmp_path_factory):
    root = build_lunch()
    path = explore(root, tmp_path_factory.mktemp("explorer") / "lunch.html")
    return root, path


@pytest.fixture
def lunch_page(browser, lunch):
    """The lunch page freshly loaded: (page, nodes by label, root)."""
    root, path = lunch
    return Page(browser, path), by_label(root), root


@needs_browser
def test_next_through_every_step_shows_the_gradients(browser, lunch_page):
    page, nodes, root = lunch_page
    assert page.step == 0 and page.count > 10
    for _ in range(page.count - 1):
        page.click("mgp-next")
    assert page.step == page.count - 1
    assert not browser.find_element(page.By.ID, "mgp-next").is_enabled()
    assert page.text("mgp-counter") == f"step {page.count - 1} / {page.count - 1}"
    panel = page.text("mgp-panel")
    for label, grad in EXPECTED.items():
        data_text, grad_text = page.row(label)
        assert number_in(data_text) == 50.0
        assert number_in(grad_text) == grad and grad_text.startswith("−")
        assert number_in(page.svg_cell(node_name(nodes[label]), "grad")) == grad
        assert number_in(page.svg_cell(node_name(nodes[label]), "data")) == 50.0
    assert "−3500" in panel and "−1400" in panel and "−2800" in panel
    assert number_in(page.svg_cell(node_name(root), "grad")) == 1.0
    page.assert_no_js_errors()


@needs_browser
def test_forward_phase_fills_data_and_hides_gradients(browser, lunch_page):
    page, nodes, root = lunch_page
    y = node_name(nodes["y"])
    y_fwd = page.step_of(y, "forward")
    assert page.svg_cell(y, "data") == "?" and page.svg_cell(y, "grad") == "?"
    assert number_in(page.svg_cell(node_name(nodes["w_meat"]), "data")) == 50.0  # a leaf
    page.go(y_fwd)
    assert number_in(page.svg_cell(y, "data")) == 550.0
    forward_line = page.text("mgp-step-body").splitlines()[0]
    assert forward_line.startswith("y = w_meat·")
    assert forward_line.endswith(" = 50·5 + 50·2 + 50·4 = 550")
    assert "mgp-current-fwd" in browser.find_element(page.By.ID, y).get_attribute("class")
    # the value flows in along every input edge (data inputs such as x included)
    flows = browser.find_elements(page.By.CSS_SELECTOR, "#mgp-graph g.edge.mgp-flow-fwd")
    assert len(flows) == len(nodes["y"]._prev) + 1
    assert page.svg_cell(node_name(root), "data") == "?"
    last_forward = max(i for i, s in enumerate(page.data["steps"]) if s["phase"] == "forward")
    page.go(last_forward)
    assert number_in(page.svg_cell(node_name(root), "data")) == 245000.0
    for n in nodes.values():
        assert page.svg_cell(node_name(n), "grad") == "?"
    assert page.text("mgp-phase").lower() == "forward"
    page.assert_no_js_errors()


@needs_browser
def test_previous_undoes_and_backward_step_shows_chain_rule(browser, lunch, artifacts):
    root, path = lunch
    page = Page(browser, path)
    nodes = by_label(root)
    y = node_name(nodes["y"])
    meat = node_name(nodes["w_meat"])
    k = page.step_of(y)
    page.go(k)
    body = page.text("mgp-step-body")
    assert "∂E/∂w_meat = ∂E/∂y · ∂y/∂w_meat = (−700)·(5) = −3500" in body
    assert "∂E/∂w_staple = ∂E/∂y · ∂y/∂w_staple = (−700)·(4) = −2800" in body
    # y is done; the weights have received their contribution but are not processed yet
    assert number_in(page.svg_cell(y, "grad")) == -700.0
    assert number_in(page.svg_cell(meat, "grad")) == -3500.0
    grad_el = browser.find_element(page.By.CSS_SELECTOR, f'g[id="{meat}"] text.mgp-grad-text')
    assert grad_el.get_attribute("data-mgp-grad") == "pending"
    edges = browser.find_elements(page.By.CSS_SELECTOR, "#mgp-graph g.edge.mgp-flow-bwd")
    assert len(edges) == 4  # three weights → dot, dot → y
    browser.save_screenshot(str(artifacts / "explorer_midbackward.png"))

    page.click("mgp-prev")
    assert page.step == k - 1
    assert page.svg_cell(meat, "grad") == "?"
    assert page.row("w_meat")[1] == "?"
    assert "−3500" not in page.text("mgp-step-body")

    page.go(page.step_of(meat))
    assert grad_el.get_attribute("data-mgp-grad") == "final"
    page.click("mgp-prev")
    assert grad_el.get_attribute("data-mgp-grad") == "pending"
    page.assert_no_js_errors()


@needs_browser
def test_slider_keyboard_reset_and_play(browser, lunch):
    from selenium.webdriver.common.keys import Keys

    root, path = lunch
    page = Page(browser, path)
    body = browser.find_element(page.By.TAG_NAME, "body")
    body.send_keys(Keys.ARROW_RIGHT)
    body.send_keys(Keys.ARROW_RIGHT)
    assert page.step == 2
    body.send_keys(Keys.ARROW_LEFT)
    assert page.step == 1
    body.send_keys(Keys.END)
    assert page.step == page.count - 1
    assert number_in(page.row("w_veg")[1]) == -1400.0
    body.send_keys(Keys.HOME)
    assert page.step == 0 and page.row("w_veg")[1] == "?"

    slider = browser.find_element(page.By.ID, "mgp-slider")
    slider.send_keys(Keys.ARROW_RIGHT)  # the range input's own keys move one step
    assert page.step == 1
    browser.execute_script(
        "var s = arguments[0]; s.value = arguments[1];"
        "s.dispatchEvent(new Event('input', {bubbles: true}));",
        slider, page.count - 1)
    assert page.step == page.count - 1
    assert number_in(page.row("w_staple")[1]) == -2800.0

    page.click("mgp-reset")
    assert page.step == 0
    page.click("mgp-play")
    assert "Pause" in page.text("mgp-play")
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 5, poll_frequency=0.05).until(lambda d: page.step >= 1)
    page.click("mgp-play")
    assert "Play" in page.text("mgp-play")
    page.assert_no_js_errors()


@needs_browser
def test_clicking_a_node_shows_its_details(browser, lunch_page):
    page, nodes, root = lunch_page
    meat = node_name(nodes["w_meat"])
    browser.find_element(page.By.CSS_SELECTOR, f'g[id="{meat}"]').click()
    card = page.text("mgp-node-body")
    assert "w_meat" in card and "leaf" in card and "50" in card
    assert "∂E/∂w_meat = ?" in card  # not computed yet at step 0
    assert "explain()" in card  # promised once the gradient is complete
    browser.find_element(page.By.TAG_NAME, "body").send_keys("\ue010")  # End
    card = page.text("mgp-node-body")
    assert "∂E/∂w_meat = −3500" in card
    assert "→ w_meat" in card and "✓" in card  # explain(): the path, checked against .grad
    # the op node of y selects y and shows its rule
    browser.find_element(page.By.CSS_SELECTOR,
                         f'g[id="{node_name(nodes["y"])}_op"]').click()
    card = page.text("mgp-node-body")
    assert "550" in card and "dot" in card
    browser.find_element(page.By.CSS_SELECTOR,
                         f'g[id="{node_name(nodes["t − y"])}"]').click()
    assert "∂E/∂(t − y) = 700" in page.text("mgp-node-body")
    page.assert_no_js_errors()


@needs_browser
def test_tensor_graph_steps_to_pytorch_gradient(browser, tmp_path, artifacts):
    from micrograd_plus.core.tensor import Tensor

    # WORKED_EXAMPLES.md §5: out = mean(2(x+2)²) at x = ones(2,2); ∂out/∂x = 3 everywhere
    x = Tensor(np.ones((2, 2)), requires_grad=True, label="x")
    y = x + 2
    y.label = "y"
    z = y * y * 2
    z.label = "z"
    out = z.mean()
    out.label = "out"
    page = Page(browser, explore(out, tmp_path / "tensor.html"))
    browser.find_element(page.By.TAG_NAME, "body").send_keys("\ue010")  # End
    grad_cell = page.svg_cell(node_name(x), "grad")
    assert [float(v) for v in re.findall(r"\d+(?:\.\d+)?", grad_cell)] == [3.0] * 4
    assert page.row("x")[1].replace(" ", "").replace("\n", "") == "[[3,3],[3,3]]"
    assert number_in(page.svg_cell(node_name(out), "data")) == 18.0
    # explain() on the Tensor graph: both paths through y·y, each edge's matrix rule
    browser.find_element(page.By.CSS_SELECTOR, f'g[id="{node_name(x)}"]').click()
    card = " ".join(page.text("mgp-node-body").split())
    assert "2 paths from out to x" in card and "out → z → mul1 →[2] y → x" in card
    assert "∂out/∂z = ∂out/∂out / 4 copied to every entry (2×2)" in card
    assert "✓ equals x.grad = [[3, 3], [3, 3]]" in card
    assert "vjp" not in card
    browser.save_screenshot(str(artifacts / "explorer_tensor_explain.png"))
    page.assert_no_js_errors()


@needs_browser
def test_tensor_matrix_graph_page_shows_matrix_rules(browser, tmp_path, artifacts):
    g = matrix_graph()
    W, Z, L = g["W"], g["Z"], g["root"]
    page = Page(browser, explore(L, tmp_path / "matrix.html"))
    page.go(page.step_of(node_name(Z)))
    panel = page.text("mgp-panel")
    assert ("∂L/∂W = ∂L/∂Z · Xᵀ = [[1, 2], [0, 1]] · [[1, 2], [0, 1]] = [[1, 4], [0, 1]]"
            in " ".join(panel.split()))
    assert "∂L/∂Z = ∂L/∂mul1 ⊙ const = " in panel  # the unlabelled constant matrix
    assert "vjp" not in panel and not re.search(r"\wBackward", panel)
    # W's grad cell, pending after Z's step: its four entries, one text each, row by row
    assert page.svg_cell(node_name(W), "grad").split() == ["1", "4", "0", "1"]
    browser.save_screenshot(str(artifacts / "explorer_tensor_matrix.png"))
    page.assert_no_js_errors()


@needs_browser
def test_hostile_labels_stay_text(browser, tmp_path):
    a = Value(1.0, label="</script><b>bold</b>")
    b = Value(2.0, label='"quotes" & <amp>')
    root = a * b
    root.label = "L"
    page = Page(browser, explore(root, tmp_path / "hostile.html"))
    browser.find_element(page.By.TAG_NAME, "body").send_keys("\ue010")
    assert number_in(page.row("</script><b>bold</b>")[1]) == 2.0
    assert number_in(page.row('"quotes" & <amp>')[1]) == 1.0
    assert browser.find_elements(page.By.CSS_SELECTOR, "#mgp-panel b") == []
    page.assert_no_js_errors()


@needs_browser
def test_collapsed_drawing_still_steps(browser, tmp_path):
    page = Page(browser, explore(build_lunch(), tmp_path / "collapsed.html", collapse=True))
    browser.find_element(page.By.TAG_NAME, "body").send_keys("\ue010")  # End
    assert page.step == page.count - 1
    for label, grad in EXPECTED.items():
        assert number_in(page.row(label)[1]) == grad
    assert "collapsed view" in page.text("mgp-graph")
    page.assert_no_js_errors()


@needs_browser
def test_jupyter_iframe_runs_its_scripts(browser, tmp_path):
    host = tmp_path / "notebook.html"
    host.write_text("<!DOCTYPE html><html><body>" + explore(build_lunch())._repr_html_()
                    + "</body></html>", encoding="utf-8")
    browser.get_log("browser")
    browser.get(host.resolve().as_uri())
    browser.switch_to.frame(browser.find_element("tag name", "iframe"))
    try:
        browser.find_element("id", "mgp-next").click()
        assert browser.find_element("tag name", "body").get_attribute("data-mgp-step") == "1"
    finally:
        browser.switch_to.default_content()
    assert [e for e in browser.get_log("browser") if e["level"] == "SEVERE"] == []


def test_missing_graphviz_says_how_to_install(tmp_path, monkeypatch):
    from micrograd_plus.viz import GraphvizNotFoundError

    monkeypatch.setenv("PATH", str(tmp_path / "nothing-here"))
    with pytest.raises(GraphvizNotFoundError, match="apt-get install graphviz"):
        explore(build_lunch(), tmp_path / "page.html")
    assert not (tmp_path / "page.html").exists()


def test_a_hanging_dot_is_stopped_with_a_clear_error(tmp_path, monkeypatch):
    import subprocess

    def hang(args, **kwargs):
        raise subprocess.TimeoutExpired(args, kwargs.get("timeout"))

    monkeypatch.setattr("micrograd_plus.viz.dot.subprocess.run", hang)
    with pytest.raises(TimeoutError, match="did not finish the explorer's graph"):
        explore(build_lunch(), tmp_path / "page.html")


def test_pending_grad_cells_use_the_drawings_precision():
    """A partial sum shown in the SVG while a node's gradient is pending has the same
    number of decimals as the rest of the drawing (precision= goes to draw_graph)."""
    root = build_lunch()
    for precision in (2, 4):
        data = _embedded(explore(root, precision=precision).html)
        lines = [line for st in data["steps"] if st["phase"] == "backward"
                 for send in st["sends"] for line in send["svg"]]
        sums = [send["soFar"] for st in data["steps"] if st["phase"] == "backward"
                for send in st["sends"]]
        assert lines and lines == sums  # the table's numbers are the graph's numbers
        assert lines == [format_number(number_in(line), precision) for line in lines]
        # ∂E/∂w_meat = −3500 arrives in one contribution from y
        assert "−3500" in lines
    # a rounded value: as many decimals as the drawing
    a = Value(1.0, label="a")
    r = (a / 3.0)
    r.label = "r"
    for precision in (2, 4):
        data = _embedded(explore(r, precision=precision).html)
        shown = {n["label"]: n["data"] for n in data["nodes"].values()}
        assert shown["r"] == format_number(1 / 3, precision) == "0." + "3" * precision


# -- the values table and the first view of a large graph -------------------------------------

def test_values_table_order_is_the_forward_reading_order():
    """Inputs first, each op after its inputs, inputs in the order the op reads them."""
    root = build_lunch()
    data = explorer_data(root)
    labels = [data["nodes"][n]["label"] for n in data["forward"]]
    assert labels == ["w_meat", "w_veg", "w_staple", "y", "t − y", "(t − y)²", "E"]
    position = {name: i for i, name in enumerate(data["forward"])}
    for name, node in data["nodes"].items():  # a topological order
        assert all(position[p] < position[name] for p in node["parents"])
    forward_steps = [s["node"] for s in data["steps"] if s["phase"] == "forward"]
    assert forward_steps == [n for n in data["forward"] if not data["nodes"][n]["leaf"]]


def test_values_table_uses_the_graphs_typeset_labels():
    from micrograd_plus.examples import neuron_342
    from micrograd_plus.viz import pretty_label

    data = explorer_data(neuron_342.build()["root"])
    shown = {n["label"]: n["typeset"] for n in data["nodes"].values()}
    assert shown["w^(1)_12"] == "w⁽¹⁾₁₂" == pretty_label("w^(1)_12")
    assert shown["J"] == "J"


@needs_browser
def test_a_large_graph_opens_fitted_to_the_window(browser, tmp_path, artifacts):
    from micrograd_plus.examples import neuron_342

    path = explore(neuron_342.build()["root"], tmp_path / "n342.html")
    page = Page(browser, path)
    fit = browser.execute_script(
        "var g = document.getElementById('mgp-graph'), s = g.querySelector('svg');"
        "var r = s.getBoundingClientRect(), v = g.getBoundingClientRect();"
        "return [r.left - v.left, r.top - v.top, v.right - r.right, v.bottom - r.bottom,"
        " g.scrollWidth <= g.clientWidth + 1, g.scrollHeight <= g.clientHeight + 1,"
        " document.documentElement.scrollHeight <= window.innerHeight + 1, r.width];")
    left, top, right, bottom, no_x_scroll, no_y_scroll, page_fits, width = fit
    assert min(left, top, right, bottom) >= -1, fit  # the whole drawing is in view
    assert no_x_scroll and no_y_scroll, fit
    assert width > 300, fit  # fitted, not shrunk to nothing
    assert page.text("mgp-zoom") == "Actual size"  # and one click away from actual size
    labels = [tr.find_elements(page.By.TAG_NAME, "td")[0].text
              for tr in browser.find_elements(page.By.CSS_SELECTOR, "#mgp-values tbody tr")]
    assert "w⁽¹⁾₁₂" in labels and "w^(1)_12" not in labels
    browser.save_screenshot(str(artifacts / "explorer_neuron_342.png"))
    page.click("mgp-zoom")  # actual size: the graph scrolls
    assert browser.execute_script(
        "var g = document.getElementById('mgp-graph'); return g.scrollWidth > g.clientWidth;")
    page.assert_no_js_errors()
