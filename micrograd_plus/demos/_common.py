"""Shared by the demos: optional matplotlib, output files, printing a result table."""

from __future__ import annotations

from pathlib import Path
from typing import Any


def pyplot() -> Any:
    """matplotlib.pyplot on the file-only Agg backend, or None without the `plot` extra."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    return plt


def save(fig: Any, out_dir: str | Path, name: str, verbose: bool) -> str:
    """Write ``fig`` to out_dir/name, close it, and return the path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / name
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    pyplot().close(fig)
    if verbose:
        print(f"wrote {path}")
    return str(path)


def no_plot_note(verbose: bool) -> None:
    if verbose:
        print("(matplotlib is not installed: no plot; `pip install micrograd_plus[plot]`)")


def say(verbose: bool, *lines: str) -> None:
    if verbose:
        for line in lines:
            print(line)
