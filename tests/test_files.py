"""Every writer replaces its file whole or not at all (issue 14, item 8).

A real failure, not a mock: a child process runs with RLIMIT_FSIZE (the kernel refuses to
let a file grow past a few kilobytes, EFBIG, even for root) and writes a large graph over an
existing small file. The previous file must survive intact, no temporary file may be left,
and the error must name the destination path.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import needs_dot

from micrograd_plus import Value, render_graph
from micrograd_plus.debug.explorer import Explorer
from micrograd_plus.files import replacing, write_file

LIMIT = 4096  # bytes a child process may write to any one file

BUILD = """
from micrograd_plus import Value
x = Value(0.5, label="x")
y = x
for i in range(10):
    y = (y * 1.01).tanh() if i % 2 else y + x
y.label = "y"
y.backward()
"""


def run_limited(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run ``code`` in a child whose files may not grow past LIMIT bytes."""
    prologue = textwrap.dedent(f"""
        import resource, signal
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, ({LIMIT}, {LIMIT}))
    """)
    return subprocess.run([sys.executable, "-c", prologue + BUILD + textwrap.dedent(code)],
                          cwd=tmp_path, capture_output=True, text=True, timeout=120)


def previous_file(tmp_path: Path, name: str) -> tuple[Path, bytes]:
    path = tmp_path / name
    old = b"the previous, complete file\n" * 10
    path.write_bytes(old)
    return path, old


def only_file_left(tmp_path: Path, path: Path) -> None:
    leftovers = sorted(p.name for p in tmp_path.iterdir() if p != path)
    assert leftovers == [], f"temporary files left behind: {leftovers}"


def fails_keeping_the_previous_file(tmp_path: Path, name: str, code: str) -> None:
    """Run ``code``, which writes the file ``PATH``, limited, over a previous file ``name``:
    it must fail, leave that file as it was and no temporary file, and name the path."""
    path, old = previous_file(tmp_path, name)
    done = run_limited(f"PATH = {str(path)!r}\n" + textwrap.dedent(code), tmp_path)
    assert done.returncode != 0, "the write was expected to fail (file too large)"
    assert path.read_bytes() == old
    only_file_left(tmp_path, path)
    assert f"cannot write {path}" in done.stderr.splitlines()[-1]


@needs_dot
@pytest.mark.parametrize("name", ["graph.svg", "graph.png", "graph.dot"])
def test_render_graph_failing_midway_keeps_the_previous_file(tmp_path, name):
    fails_keeping_the_previous_file(tmp_path, name, """
        from micrograd_plus import render_graph
        render_graph(y, PATH)
    """)


@needs_dot
@pytest.mark.parametrize("how", ["explore", "save"])
def test_explorer_failing_midway_keeps_the_previous_file(tmp_path, how):
    code = ("from micrograd_plus import explore\nexplore(y, PATH)" if how == "explore"
            else "from micrograd_plus.debug.explorer import Explorer\n"
                 "Explorer('x' * 100000).save(PATH)")
    fails_keeping_the_previous_file(tmp_path, "page.html", code)


def test_example_plot_failing_midway_keeps_the_previous_file(tmp_path):
    pytest.importorskip("matplotlib")
    fails_keeping_the_previous_file(tmp_path, "surface.png", """
        import matplotlib
        matplotlib.use("Agg")
        from micrograd_plus.examples import gd_surface
        gd_surface.plot_path(gd_surface.descend(), PATH)
    """)


def test_demo_plot_failing_midway_keeps_the_previous_file(tmp_path):
    pytest.importorskip("matplotlib")
    fails_keeping_the_previous_file(tmp_path, "demo.png", f"""
        import matplotlib
        matplotlib.use("Agg")
        from micrograd_plus.demos.common import finish
        def draw(plt):
            fig, ax = plt.subplots(figsize=(8, 8))
            ax.plot(range(1000), [i * i % 97 for i in range(1000)])
            return fig
        finish({{}}, draw, {str(tmp_path)!r}, "demo", verbose=False)
    """)


def test_a_successful_write_replaces_the_file_and_keeps_its_permissions(tmp_path):
    path = tmp_path / "graph.dot"
    path.write_text("old")
    path.chmod(0o640)
    x = Value(2.0, label="x")
    render_graph(x * x, path)
    assert "digraph" in path.read_text() and stat.S_IMODE(path.stat().st_mode) == 0o640
    fresh = write_file(tmp_path / "sub" / "new.txt", "héllo")  # folders are created
    assert fresh.read_bytes() == "héllo".encode()
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask
    only_file_left(tmp_path / "sub", fresh)


def test_a_directory_in_the_way_is_named_and_nothing_is_left(tmp_path):
    target = tmp_path / "page.html"
    target.mkdir()
    with pytest.raises(IsADirectoryError, match=f"cannot write {target}"):
        Explorer("<p>hi</p>").save(target)
    assert target.is_dir() and list(target.iterdir()) == []
    only_file_left(tmp_path, target)
    blocker = tmp_path / "file"
    blocker.write_text("a file, not a folder")
    with pytest.raises(OSError, match=f"cannot write {blocker / 'x.dot'}"):
        render_graph(Value(1.0), blocker / "x.dot")
    assert blocker.read_text() == "a file, not a folder"


def test_an_error_while_writing_removes_the_temporary_file(tmp_path):
    path = tmp_path / "out.txt"
    path.write_text("previous")
    with pytest.raises(ZeroDivisionError):
        with replacing(path) as tmp:
            tmp.write_text("half")
            1 / 0
    assert path.read_text() == "previous"
    only_file_left(tmp_path, path)
