"""Running the Graphviz ``dot`` program: a timeout, and errors that say how to install it."""

from __future__ import annotations

import shutil
import subprocess

import graphviz


class GraphvizNotFoundError(RuntimeError):
    """The Graphviz ``dot`` program is needed for this output format and is not installed."""


INSTALL_HINT = (
    "Install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), "
    "`brew install graphviz` (macOS), `conda install -c conda-forge graphviz`, or see "
    "https://graphviz.org/download/. Without it you can still save the graph source: "
    "render_graph(root, 'graph.dot')."
)


def run_dot(graph: graphviz.Digraph, fmt: str = "svg", *, dpi: int | None = None,
            timeout: float = 120.0, what: str = "the graph") -> bytes:
    """The output of Graphviz ``dot -T<fmt>`` on ``graph`` (bytes), with clear errors."""
    exe = shutil.which("dot")
    if exe is None:
        raise GraphvizNotFoundError(
            f"rendering {what} as {fmt} needs the Graphviz `dot` program, which was not "
            "found on PATH. " + INSTALL_HINT
        )
    args = [exe, f"-T{fmt}"] + ([f"-Gdpi={dpi}"] if dpi else [])
    try:
        done = subprocess.run(args, input=graph.source.encode("utf-8"), capture_output=True,
                              timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        raise TimeoutError(
            f"Graphviz `dot` did not finish {what} within {timeout:g} s; draw a smaller part "
            "(draw_graph(intermediate_node)) or collapse it (draw_graph(root, collapse=True))"
        ) from None
    if done.returncode != 0:
        raise RuntimeError(
            f"Graphviz `dot` failed on {what}: {done.stderr.decode('utf-8', 'replace').strip()}"
        )
    return done.stdout
