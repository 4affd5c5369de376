"""Backprop frames for slides: one frame per step, a layout that never moves, GIF and PDF.

Frames are rendered by the real ``dot`` and read back as SVG (positions, colours, text);
the GIF is read back with Pillow and the PDF with pypdf.
"""

from __future__ import annotations

import html
import re
import sys

import pytest
from conftest import needs_dot

from micrograd_plus import (BackpropStepper, Value, animate_backprop, nn,
                            render_steps, step_frames)
from micrograd_plus.debug.animation import MissingExtraError
from micrograd_plus.core import autograd
from micrograd_plus.examples import lunch
from micrograd_plus.debug.frames import frame_graphs
from micrograd_plus.viz import GRAD_COLORS, HIGHLIGHT, node_name, op_node_name

LUNCH_STYLE = {k: v for k, v in lunch.GRAPH_STYLE.items() if k != "title"}


def lunch_root() -> Value:
    return lunch.build()["root"]


def small_mlp_loss() -> tuple[Value, nn.MLP]:
    """A 2-2-1 tanh network's squared error: its neurons are drawn in boxes (clusters)."""
    model = nn.MLP.from_weights([([[0.5, -1.0], [2.0, 0.25]], [0.1, -0.2]),
                                 ([[1.5, -0.5]], [0.3])], activation="tanh")
    x = [Value(1.0, label="x_1", requires_grad=False), Value(-2.0, label="x_2",
                                                           requires_grad=False)]
    out = model(x)
    out = out[0] if isinstance(out, list) else out
    loss = (out - 1.0) ** 2
    loss.label = "L"
    return loss, model


# -- the frames ----------------------------------------------------------------------------

def test_one_backward_frame_per_stepper_step_and_one_forward_frame_per_op():
    root = lunch_root()
    steps = BackpropStepper(root).steps
    ops = [n for n in autograd.topological_order(root) if n._prev]
    backward = step_frames(root, "backward")
    forward = step_frames(root, "forward")
    both = step_frames(root)
    assert len(backward) == len(steps) == 7
    assert [f.node for f in backward] == [s.node for s in steps]
    assert len(forward) == 1 + len(ops)
    assert [f.phase for f in both] == ["start"] + ["forward"] * len(ops) + ["backward"] * 7
    assert [f.index for f in both] == list(range(len(both)))


def test_captions_are_the_steppers_chain_rule_lines():
    root = lunch_root()
    frames = {f.node.label: f for f in step_frames(root, "backward")}
    line = "∂E/∂w_meat = ∂E/∂y · ∂y/∂w_meat = (−700)·(5) = −3500"
    assert frames["y"].title == "Backward 4/7: ∂E/∂y = −700"
    assert line in frames["y"].lines
    assert frames["w_meat"].lines == [line, "w_meat is a leaf: ∂E/∂w_meat = −3500 is final"]
    assert frames["E"].lines[0] == "∂E/∂E = 1: the seed of the backward pass"
    forward = {f.node.label: f for f in step_frames(root, "forward") if f.node is not None}
    assert forward["(t − y)²"].lines == ["(t − y)² = (t − y)^2 = (700)^2 = 490000"]
    assert forward["t − y"].lines == ["t − y = 1250 − 550 = 700"]


def test_final_frame_holds_backwards_gradients_and_grads_are_left_alone():
    root = lunch_root()
    frames = step_frames(root)
    order = autograd.topological_order(root)
    assert all(n.grad == 0.0 for n in order)  # frames replay the pass without writing .grad
    root.backward()
    last = frames[-1]
    assert last.pending == {}
    for node in order:
        assert last.grads[id(node)] == node.grad, node.label
    # a sum still collecting contributions is pending, not final, until its own step
    mid = step_frames(root, "backward")[3]  # y's step: the prices got their contributions
    w_meat = next(n for n in order if n.label == "w_meat")
    assert mid.pending[id(w_meat)] == -3500.0 and id(w_meat) not in mid.grads


def test_reused_node_collects_its_contributions_frame_by_frame():
    a = Value(2.0, label="a")
    b = a * a
    b.label = "b"
    c = b + a
    c.label = "c"
    frames = step_frames(c, "backward")
    assert [f.node for f in frames] == [c, b, a]
    assert frames[0].pending[id(a)] == 1.0  # c sends 1 to a
    assert frames[1].pending[id(a)] == 5.0  # b sends 2 + 2 more
    assert "∂c/∂a += ∂c/∂b · ∂b/∂a = (1)·(2) = 2   [contribution 3 of 3; ∂c/∂a so far = 5]" \
        in frames[1].lines
    assert frames[2].grads[id(a)] == 5.0 and frames[2].pending == {}


def test_too_large_a_graph_is_refused_with_a_reason(monkeypatch):
    import micrograd_plus.debug.frames as frames

    monkeypatch.setattr(frames, "MAX_FRAME_NODES", 5)
    with pytest.raises(ValueError, match="more than 5 frames can show readably"):
        step_frames(lunch_root())


def test_bad_arguments_say_what_is_wrong():
    with pytest.raises(ValueError, match="passes must be one of"):
        step_frames(lunch_root(), "sideways")
    with pytest.raises(TypeError, match="needs a graph node"):
        step_frames(3.0)
    with pytest.raises(TypeError, match="drop show_grad="):
        frame_graphs(lunch_root(), show_grad=False)
    with pytest.raises(ValueError, match="format must be one of"):
        render_steps(lunch_root(), "frames", format="jpg")
    with pytest.raises(ValueError, match="use a .gif or .pdf"):
        animate_backprop(lunch_root(), "lunch.mp4")
    with pytest.raises(ValueError, match="seconds_per_step"):
        animate_backprop(lunch_root(), "lunch.gif", seconds_per_step=0)


# -- rendered frames --------------------------------------------------------------------------

GROUP = re.compile(r'<g id="([^"]+)" class="(?:node|edge|cluster)">')
GEOMETRY = re.compile(r'(?:points|d|cx|cy|rx|ry)="([^"]*)"')


def groups(svg: str) -> dict[str, str]:
    """The SVG text drawn for each node, edge and cluster, by its id (up to the next one)."""
    marks = list(GROUP.finditer(svg))
    ends = [m.start() for m in marks[1:]] + [len(svg)]
    return {html.unescape(m.group(1)): html.unescape(svg[m.end(): end])
            for m, end in zip(marks, ends)}


def geometry(svg: str) -> dict[str, list[str]]:
    """Per node, edge and cluster id: the coordinates of every shape drawn for it."""
    return {gid: GEOMETRY.findall(body) for gid, body in groups(svg).items()}


def svg_size(svg: str) -> tuple[str, str]:
    return re.search(r'<svg width="([^"]+)" height="([^"]+)"', svg).groups()


def node_group(svg: str, node) -> str:
    return groups(svg)[node_name(node)]


def worked_example(name: str) -> tuple:
    """(root, draw options) of a worked example, drawn as its module draws it."""
    from micrograd_plus.examples import manual_backprop, three_layer

    if name == "lunch":
        return lunch_root(), LUNCH_STYLE
    if name == "three_layer":  # Ex 3.5: boxes per neuron and layer
        g = three_layer.build()
        return g["root"], dict(model=g["model"], **three_layer.GRAPH_STYLE)
    return manual_backprop.build()["root"], dict(rankdir="TB", record="stacked")  # Tensors


@needs_dot
@pytest.mark.parametrize("name", ["lunch", "three_layer", "manual_backprop"])
def test_node_positions_and_sizes_never_move_between_frames(tmp_path, name):
    root, style = worked_example(name)
    paths = render_steps(root, tmp_path, "svg", **style)
    assert len(paths) == len(step_frames(root))
    assert [p.name for p in paths[:2]] == ["step_001.svg", "step_002.svg"]
    svgs = [p.read_text(encoding="utf-8") for p in paths]
    first = geometry(svgs[0])
    assert len(first) > 20  # values, ops and edges were all found
    for k, svg in enumerate(svgs[1:], 2):
        assert svg_size(svg) == svg_size(svgs[0]), f"frame {k} has another size"
        assert geometry(svg) == first, f"frame {k} moved something"


@needs_dot
def test_clustered_network_frames_keep_their_layout(tmp_path):
    loss, model = small_mlp_loss()
    paths = render_steps(loss, tmp_path, "svg", passes="backward", model=model,
                         record="stacked")
    assert len(paths) == len(BackpropStepper(loss).steps)
    svgs = [p.read_text(encoding="utf-8") for p in paths]
    assert 'class="cluster"' in svgs[0]
    first = geometry(svgs[0])
    assert all(geometry(svg) == first for svg in svgs[1:])


@needs_dot
def test_frames_show_unknowns_the_current_step_and_the_heat_scale(tmp_path):
    g = lunch.build()
    root, y, w_meat = g["root"], g["y"], g["w_meat"]
    frames = step_frames(root)
    paths = render_steps(root, tmp_path, "svg", **LUNCH_STYLE)
    svgs = [p.read_text(encoding="utf-8") for p in paths]
    start = svgs[0]
    assert "?" in node_group(start, root) and "?" in node_group(start, y)
    assert not re.search(r">\s*550<", node_group(start, y))  # not computed yet
    assert re.search(r">\s*50<", node_group(start, w_meat))  # leaves are known from the start
    k = next(i for i, f in enumerate(frames) if f.phase == "backward" and f.node is y)
    at_y = svgs[k]
    assert f'stroke="{HIGHLIGHT}"' in node_group(at_y, y)
    assert f'stroke="{HIGHLIGHT}"' not in node_group(at_y, root)
    edge = groups(at_y)[f"{op_node_name(y)}->{node_name(y)}"]
    assert f'stroke="{HIGHLIGHT}"' in edge
    assert "∂E/∂w_meat = ∂E/∂y · ∂y/∂w_meat = (−700)·(5) = −3500" in at_y
    assert re.search(r">\s*−3500<", node_group(at_y, w_meat))  # pending: sent, not yet final
    assert GRAD_COLORS[0][1] not in node_group(at_y, w_meat)
    last = svgs[-1]
    assert f'fill="{GRAD_COLORS[0][1]}"' in node_group(last, w_meat)  # |grad| ≥ 1: hottest
    assert "?" not in node_group(last, w_meat)
    ended = render_steps(root, tmp_path, "svg", passes="backward", **LUNCH_STYLE)
    assert len(list(tmp_path.glob("step_*.svg"))) == len(ended) == 7  # old frames removed


@needs_dot
def test_png_and_pdf_frames(tmp_path):
    root = lunch_root()
    pngs = render_steps(root, tmp_path / "png", "png", passes="backward", dpi=40)
    pdfs = render_steps(root, tmp_path / "pdf", "pdf", passes="forward")
    assert len(pngs) == 7 and pngs[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(pdfs) == 5 and all(p.read_bytes()[:5] == b"%PDF-" for p in pdfs)


# -- GIF and PDF -----------------------------------------------------------------------------

@needs_dot
def test_gif_has_one_frame_per_step_and_a_fixed_size(tmp_path):
    from PIL import Image

    root = lunch_root()
    path = animate_backprop(root, tmp_path / "lunch.gif", seconds_per_step=0.5, dpi=40,
                            **LUNCH_STYLE)
    frames = step_frames(root)
    with Image.open(path) as gif:
        assert gif.n_frames == len(frames)
        durations = []
        for k in range(gif.n_frames):
            gif.seek(k)
            durations.append(gif.info["duration"])
            rgb = gif.convert("RGB")
            assert rgb.getpixel((1, 1)) == (255, 255, 255)  # the background stays white
        assert durations[0] == 500 and durations[-1] == 1500  # the last frame is held
    shrunk = animate_backprop(root, tmp_path / "small.gif", passes="backward", dpi=60,
                              max_px=200)
    with Image.open(shrunk) as gif:
        assert gif.n_frames == 7 and max(gif.size) == 200


@needs_dot
def test_gif_frames_match_the_rendered_frames(tmp_path):
    """The transparent "unchanged" pixels rebuild each frame exactly as drawn."""
    import numpy as np
    from PIL import Image

    root = lunch_root()
    path = animate_backprop(root, tmp_path / "b.gif", passes="backward", dpi=40)
    pngs = render_steps(root, tmp_path / "png", "png", passes="backward", dpi=40)
    with Image.open(path) as gif:
        for k, png in enumerate(pngs):
            gif.seek(k)
            shown = np.asarray(gif.convert("RGB"), dtype=int)
            drawn = np.asarray(Image.open(png).convert("RGB"), dtype=int)
            assert shown.shape == drawn.shape
            # 64 colours: anti-aliased pixels move a little, nothing else
            assert np.mean(np.abs(shown - drawn)) < 3.0, f"frame {k + 1}"


@needs_dot
def test_pdf_has_one_page_per_step(tmp_path):
    import pypdf

    root = lunch_root()
    path = animate_backprop(root, tmp_path / "lunch.pdf", passes="backward")
    reader = pypdf.PdfReader(path)
    assert len(reader.pages) == len(BackpropStepper(root).steps)
    sizes = {(round(float(p.mediabox.width)), round(float(p.mediabox.height)))
             for p in reader.pages}
    assert len(sizes) == 1  # every slide the same size


@needs_dot
def test_a_failed_write_names_the_file_and_leaves_nothing_behind(tmp_path):
    (tmp_path / "lunch.gif").mkdir()  # a folder in the way
    with pytest.raises(OSError, match="cannot write .*lunch.gif"):
        animate_backprop(lunch_root(), tmp_path / "lunch.gif", passes="backward", dpi=30)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lunch.gif"]


def test_missing_pillow_or_pypdf_gives_an_install_hint(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "PIL.Image", None)
    monkeypatch.setitem(sys.modules, "pypdf", None)
    with pytest.raises(MissingExtraError, match=r"Pillow.*micrograd_plus\[anim\]"):
        animate_backprop(lunch_root(), tmp_path / "x.gif")
    with pytest.raises(MissingExtraError, match=r"pypdf.*micrograd_plus\[anim\]"):
        animate_backprop(lunch_root(), tmp_path / "x.pdf")
    assert not list(tmp_path.iterdir())


@needs_dot
def test_tensor_graphs_step_too(tmp_path):
    from micrograd_plus import Tensor

    w = Tensor([[1.0, -2.0], [0.5, 3.0]], requires_grad=True, label="W")
    x = Tensor([1.0, 2.0], label="x")
    loss = (w @ x).tanh().sum()
    loss.label = "L"
    paths = render_steps(loss, tmp_path, "svg", passes="backward")
    assert len(paths) == len(BackpropStepper(loss).steps)
    last = paths[-1].read_text(encoding="utf-8")
    assert "?" not in node_group(last, w)
    svgs = [p.read_text(encoding="utf-8") for p in paths]
    assert all(geometry(s) == geometry(svgs[0]) for s in svgs)


def test_frame_graphs_are_digraphs_for_notebooks():
    graphs = frame_graphs(lunch_root(), "backward")
    assert len(graphs) == 7
    assert all("not yet known" in g.source for g in graphs)  # the legend row
    assert "not yet known" not in frame_graphs(lunch_root(), "backward", legend=False)[0].source
    assert all(hasattr(g, "_repr_mimebundle_") or hasattr(g, "_repr_svg_") for g in graphs)
    assert "Backward 1/7" in graphs[0].source
