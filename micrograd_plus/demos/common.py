"""Shared by the demos: optional matplotlib, writing the figure, printing result lines."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..files import replacing


def pyplot() -> Any:
    """matplotlib.pyplot on the file-only Agg backend, or None without the `plot` extra."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def finish(result: dict, draw: Callable[[Any], Any], out_dir: str | Path, name: str,
           verbose: bool) -> dict:
    """Every demo's last step: ``draw(plt) -> figure``, written to out_dir/name.png, its path
    stored in ``result['plot']``. Without matplotlib the demo only prints (and says why)."""
    plt = pyplot()
    if plt is None:
        say(verbose, "(matplotlib is not installed: no plot; `pip install micrograd_plus[plot]`)")
        return result
    fig = draw(plt)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.png"
    fig.tight_layout()
    with replacing(path) as tmp:
        fig.savefig(tmp, dpi=110)
    plt.close(fig)
    say(verbose, f"wrote {path}")
    result["plot"] = str(path)
    return result


def say(verbose: bool, *lines: str) -> None:
    if verbose:
        for line in lines:
            print(line)
