"""Writing an example's images: svg and png when Graphviz is installed, else the .dot source."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from rich.console import Console

from ..debug import fmt
from ..viz import INSTALL_HINT, draw_graph, render_graph

console = Console()
if not console.is_terminal:  # logs and captured output: wide enough that tables never wrap
    console.width = max(console.width, 120)


# PNGs at most this many pixels wide or high: wider than a slide, files under 300 KB
PNG_MAX_PX = 2200


def write_graph(root: Any, out_dir: str | Path, stem: str, **draw_kwargs: Any) -> list[Path]:
    """``out_dir/stem.svg`` and ``.png`` (or ``.dot`` without Graphviz); prints what it wrote."""
    out = Path(out_dir)
    graph = draw_graph(root, **draw_kwargs)
    if shutil.which("dot") is None:
        path = render_graph(graph, out / f"{stem}.dot")
        console.print(f"[yellow]Graphviz `dot` not found: wrote {path} only.[/] {INSTALL_HINT}")
        return [path]
    paths = [render_graph(graph, out / f"{stem}.svg"),
             render_graph(graph, out / f"{stem}.png", max_px=PNG_MAX_PX)]
    console.print("wrote " + ", ".join(str(p) for p in paths))
    return paths


def num(x: float, precision: int = 4) -> str:
    """A table cell as every view writes numbers (``debug.fmt``): ``245000``, ``−3500``,
    ``0.7071``, ``1.9e−12``."""
    return fmt(x, precision)


def vec(xs: Any, precision: int = 4) -> str:
    return "(" + ", ".join(num(float(x), precision) for x in xs) + ")"
