"""Graphviz layout time stays bounded on skip connections and reused inputs (issue 14, item 9).

A residual chain of 100 steps (about 200 values) made `dot` run for minutes: every `y + x`
pulled an arrow from the one input x across the whole drawing, and dot's cost grows with
the arrows' lengths. Each graph of the family below is rendered by the real `dot`, within a
time limit, and the SVG is checked to show every value and every input of every operation.
"""

from __future__ import annotations

import random
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import needs_dot

from micrograd_plus import Value, draw_graph, render_graph
from micrograd_plus.core import autograd
from micrograd_plus.examples.lunch import build as build_lunch
from micrograd_plus.viz import node_name, op_node_name

pytestmark = needs_dot

SVG = "{http://www.w3.org/2000/svg}"


def residual(steps):
    """The issue's graph: y = (y·1.01).tanh() on odd steps, y + x on even ones."""
    x = Value(0.5, label="x")
    y = x
    for i in range(steps):
        y = (y * 1.01).tanh() if i % 2 else y + x
    return y


def dense(steps):
    """Each step adds the outputs 2, 4, 8 and 16 steps back (DenseNet-like skips)."""
    ys = [Value(0.1 * i, label=f"x{i}") for i in range(3)]
    for _ in range(steps):
        acc = ys[-1]
        for k in (2, 4, 8, 16):
            if k <= len(ys):
                acc = acc + ys[-k]
        ys.append((acc * 0.5).tanh())
    return ys[-1]


def reused_inputs(steps, seed=0):
    """Six inputs, each used again and again all along a chain."""
    rng = random.Random(seed)
    xs = [Value(rng.uniform(-1, 1), label=f"x{i}") for i in range(6)]
    y = xs[0]
    for i in range(steps):
        y = (y * rng.choice(xs)).tanh() if i % 3 == 0 else y + rng.choice(xs)
    return y


def random_skips(steps, seed=0):
    """Each step combines the last value with any earlier one (skips of every length)."""
    rng = random.Random(seed)
    nodes = [Value(rng.uniform(-1, 1), label=f"x{i}") for i in range(4)]
    for _ in range(steps):
        a, b = nodes[-1], rng.choice(nodes)
        nodes.append((a + b).tanh() if rng.random() < 0.5 else a * b)
    return nodes[-1]


FAMILY = {"residual": residual, "dense": dense, "reused_inputs": reused_inputs,
          "random_skips": random_skips}


def sized(kind, n_values):
    """The member of the family with the most steps and at most ``n_values`` values."""
    lo, hi = 1, 4 * n_values
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if len(autograd.topological_order(FAMILY[kind](mid))) <= n_values:
            lo = mid
        else:
            hi = mid - 1
    root = FAMILY[kind](lo)
    root.backward()
    return root


def render_and_check(root, path, limit):
    """Render with real dot under ``limit`` seconds; every value and every input edge shown."""
    t0 = time.perf_counter()
    render_graph(root, path, timeout=limit)
    took = time.perf_counter() - t0
    svg = ET.parse(path).getroot()
    titles = {g.find(f"{SVG}title").text for g in svg.iter(f"{SVG}g")
              if g.get("class") == "node"}
    edges = {g.get("id") for g in svg.iter(f"{SVG}g") if g.get("class") == "edge"}
    order = autograd.topological_order(root)
    for node in order:
        assert node_name(node) in titles
        for i, parent in enumerate(node._prev):
            # drawn either from the value itself or from a dashed copy of it
            assert f"{node_name(parent)}->{op_node_name(node)}#{i}" in edges
    return took, svg


def test_the_residual_chain_of_the_issue_renders_in_seconds(tmp_path):
    root = residual(100)
    root.backward()
    took, svg = render_and_check(root, tmp_path / "residual.svg", limit=30)
    assert took < 30
    text = " ".join(t.text or "" for t in svg.iter(f"{SVG}text"))
    assert "long arrows are drawn from dashed copies of their value" in text
    # each copy shows the same value as x itself: its label and data
    copies = [g for g in svg.iter(f"{SVG}g")
              if g.get("class") == "node" and "_ref_" in (g.get("id") or "")]
    assert len(copies) > 20
    for g in copies:
        words = [(t.text or "").strip() for t in g.iter(f"{SVG}text")]
        assert "x" in words and "0.5" in words  # the one number formatter: 0.5
        assert any(p.get("stroke-dasharray") for p in g.iter(f"{SVG}path")) or any(
            p.get("stroke-dasharray") for p in g.iter(f"{SVG}polygon"))


@pytest.mark.parametrize("kind", sorted(FAMILY))
def test_graphs_with_long_skips_render_in_seconds(tmp_path, kind):
    took, _ = render_and_check(sized(kind, 300), tmp_path / f"{kind}.svg", limit=30)
    assert took < 30


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["residual", "random_skips"])
def test_graphs_at_the_node_limit_render_in_seconds(tmp_path, kind):
    """draw_graph's max_nodes (1500 values) is the documented limit of a full drawing."""
    root = sized(kind, 1500)
    assert len(autograd.topological_order(root)) > 1400
    took, _ = render_and_check(root, tmp_path / f"{kind}.svg", limit=60)
    assert took < 60


def test_small_graphs_are_drawn_as_before():
    """The worked examples get no copies, no notes and no layout limits."""
    dot = draw_graph(build_lunch(backward=True)["root"])
    assert "_ref_" not in dot.source and "nslimit" not in dot.source
    assert "mclimit" not in dot.source and "long arrows" not in dot.source


def test_explorer_copies_show_what_their_value_shows(tmp_path):
    """In the explorer page (headless Chromium) a dashed copy's cells follow the value's."""
    pytest.importorskip("selenium")
    from test_explorer import CHROMEDRIVER, CHROMIUM

    if CHROMIUM is None or CHROMEDRIVER is None:
        pytest.skip("headless Chromium or chromedriver is not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    from micrograd_plus import explore

    root = residual(100)
    page = explore(root, tmp_path / "residual.html")
    x = next(n for n in autograd.topological_order(root) if n.label == "x")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu"):
        options.add_argument(arg)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)

    def cells(element_id):
        return driver.execute_script(
            "return Array.from(document.getElementById(arguments[0])"
            ".querySelectorAll('text')).map(t => t.textContent.trim())", element_id)

    try:
        driver.get(Path(page).as_uri())
        copies = driver.execute_script(
            "return Array.from(document.querySelectorAll('#mgp-graph g.node'))"
            ".map(g => g.id).filter(id => id.startsWith(arguments[0] + '_ref_'))",
            node_name(x))
        assert len(copies) > 20
        start = cells(node_name(x))
        assert "?" in start  # the grad is not known before the backward pass
        assert all(cells(c) == start for c in copies)
        driver.find_element(By.TAG_NAME, "body").send_keys(Keys.END)
        end = cells(node_name(x))
        assert "?" not in end and "0.2799" in end
        assert all(cells(c) == end for c in copies)
    finally:
        driver.quit()
