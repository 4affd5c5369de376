"""Backprop for slides: numbered frame files, an animated GIF, a PDF with a page per step.

``render_steps(root, "frames/")`` writes ``step_001.png``, ``step_002.png``, ... (or svg/pdf),
one per frame of ``frames.step_frames`` with the layout fixed across frames.
``animate_backprop(root, "lunch.gif")`` joins them into an animated GIF (needs Pillow) and
``animate_backprop(root, "lunch.pdf")`` into one PDF page per step (needs pypdf); both are
in the optional ``anim`` extra: ``pip install 'micrograd_plus[anim]'``.
"""

from __future__ import annotations

import io
import os
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from ..files import replacing, write_file
from ..viz import GRAD_COLORS, HIGHLIGHT, PALE_TEXT, run_dot
from .frames import FORWARD_COLOR, PENDING_TEXT, frame_graphs

__all__ = ["render_steps", "animate_backprop", "FRAME_FORMATS", "MissingExtraError"]

FRAME_FORMATS = ("png", "svg", "pdf")
ANIMATION_FORMATS = ("gif", "pdf")
COLORS = 64  # GIF palette size (the drawings use a few flat colours and grey text)
KEY_COLORS = ["#ffffff", "#000000", HIGHLIGHT, FORWARD_COLOR, PENDING_TEXT, PALE_TEXT,
              "#1f5fa8", "#555555", "#444444", "#eeeeee", "#fde0dd", "#dff2df", "#f5f8fc",
              "#9fb6d1", *(c for _, c, _ in GRAD_COLORS)]


def _rgb(color: str) -> list[int]:
    return [int(color[i: i + 2], 16) for i in (1, 3, 5)]


class MissingExtraError(ImportError):
    """An optional package (an extra of micrograd_plus) is needed and not installed."""


def _require(module: str, package: str, what: str) -> Any:
    """Import ``module`` or raise MissingExtraError saying how to install it."""
    try:
        return __import__(module, fromlist=["_"])
    except ImportError:
        raise MissingExtraError(
            f"{what} needs the {package} package, which is not installed: "
            f"pip install {package}  (or pip install 'micrograd_plus[anim]')"
        ) from None


def _render_all(graphs: list, fmt: str, dpi: int | None) -> list[bytes]:
    """``dot -T<fmt>`` on every graph, a few at a time (each frame is its own process)."""
    workers = max(1, min(4, os.cpu_count() or 1, len(graphs)))

    def one(k: int) -> bytes:
        return run_dot(graphs[k], fmt, dpi=dpi if fmt == "png" else None,
                       what=f"frame {k + 1}")

    with ThreadPoolExecutor(workers) as pool:
        return list(pool.map(one, range(len(graphs))))


def render_steps(root: Any, folder: str | Path, format: str = "png", passes: str = "both",
                 *, dpi: int = 96, prefix: str = "step", **draw_options: Any) -> list[Path]:
    """Write one numbered image per step of the pass: ``folder/step_001.png``, ...

    Parameters
    ----------
    root: the output node (a Value or Tensor, or an example's ``build()`` dict). Its
        ``.grad`` values are left as they are; the frames show one backward pass seeded
        with ∂root/∂root = 1, with the stepper's numbers (the same as ``backward()``'s).
    format: ``'png'``, ``'svg'`` or ``'pdf'``.
    passes: ``'both'`` (the forward frames, then the backward ones), ``'forward'`` or
        ``'backward'`` (exactly one frame per ``BackpropStepper(root).steps`` entry).
    dpi: resolution of PNG frames.
    draw_options: passed to ``draw_graph`` (``rankdir``, ``precision``, ``edge_labels``,
        ``record``, ``model``, ...); ``title=`` is a fixed first caption line.

    Frames left in ``folder`` by an earlier, longer run (``prefix_NNN.format``) are removed,
    so the folder holds exactly this sequence. Returns the paths in order.
    """
    if format not in FRAME_FORMATS:
        raise ValueError(f"render_steps: format must be one of {', '.join(FRAME_FORMATS)}, "
                         f"got {format!r}")
    graphs = frame_graphs(root, passes, **draw_options)
    images = _render_all(graphs, format, dpi)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    pattern = re.compile(rf"{re.escape(prefix)}_\d{{3,}}\.{format}")
    for old in folder.iterdir():
        if pattern.fullmatch(old.name):
            old.unlink()
    width = max(3, len(str(len(images))))
    paths = []
    for k, data in enumerate(images, 1):
        path = folder / f"{prefix}_{k:0{width}d}.{format}"
        write_file(path, data)
        paths.append(path)
    return paths


def animate_backprop(root: Any, path: str | Path, seconds_per_step: float = 1.0,
                     passes: str = "both", *, dpi: int = 72, max_px: int | None = 1600,
                     hold_last: float = 3.0, **draw_options: Any) -> Path:
    """An animated GIF (``.gif``) or a PDF with one page per step (``.pdf``) of the pass.

    The frames are ``render_steps``'s (same options). A GIF shows each frame for
    ``seconds_per_step`` seconds (the last one ``hold_last`` times as long) and loops; it
    needs Pillow. GIF frames are rendered at ``dpi`` and shrunk so that neither side
    exceeds ``max_px`` pixels (None: never shrunk). A PDF's pages are Graphviz's vector PDFs
    merged with pypdf, for slides.
    Both packages are in the ``anim`` extra. Returns the path written.
    """
    path = Path(path)
    kind = path.suffix.lower().lstrip(".")
    if kind not in ANIMATION_FORMATS:
        raise ValueError(
            f"animate_backprop: cannot tell what to write from {str(path)!r}; use a .gif or "
            ".pdf file (render_steps writes a folder of numbered frames)"
        )
    if not (isinstance(seconds_per_step, (int, float)) and seconds_per_step > 0):
        raise ValueError(f"animate_backprop: seconds_per_step must be a number > 0, got "
                         f"{seconds_per_step!r}")
    if kind == "gif":
        image = _require("PIL.Image", "Pillow", "writing an animated GIF")
    else:
        pypdf = _require("pypdf", "pypdf", "writing a PDF with one page per step")
    graphs = frame_graphs(root, passes, **draw_options)
    if kind == "gif":
        pngs = _render_all(graphs, "png", dpi)
        with replacing(path) as tmp:  # all or nothing, as every writer of the package
            _write_gif(image, pngs, tmp, seconds_per_step, hold_last, max_px)
    else:
        writer = pypdf.PdfWriter()
        for data in _render_all(graphs, "pdf", None):
            for page in pypdf.PdfReader(io.BytesIO(data)).pages:
                writer.add_page(page)
        with replacing(path) as tmp, open(tmp, "wb") as out:
            writer.write(out)
    return path


def _write_gif(image: Any, pngs: list[bytes], path: Path, seconds: float, hold: float,
               max_px: int | None) -> None:
    """One GIF frame per PNG, all in one shared palette (small files, no flicker)."""
    frames = [image.open(io.BytesIO(data)).convert("RGB") for data in pngs]
    width, height = frames[0].size
    if max_px and max(width, height) > max_px:  # shrink (never enlarge) to fit
        scale = max_px / max(width, height)
        width, height = max(1, round(width * scale)), max(1, round(height * scale))
        frames = [f.resize((width, height), image.Resampling.LANCZOS) for f in frames]
    # the palette is chosen from a few frames spread over the sequence, so the colours of
    # both passes (green forward, red backward, the heat scale) are all in it
    sample = frames[:: max(1, len(frames) // 6)] + [frames[-1]]
    sheet = image.new("RGB", (width, height * len(sample)), "white")
    for k, frame in enumerate(sample):
        sheet.paste(frame, (0, height * k))
    # the drawing's own colours exactly (small areas, such as the red border, would
    # otherwise be averaged away), the rest of the palette for anti-aliased edges and text
    keys = [_rgb(c) for c in KEY_COLORS]
    palette = sheet.quantize(colors=COLORS - 1 - len(keys), method=image.Quantize.MEDIANCUT)
    colors = palette.getpalette()[: 3 * (COLORS - 1 - len(keys))]
    colors += [0] * (3 * (COLORS - 1 - len(keys)) - len(colors))
    for key in keys:
        colors += key
    palette.putpalette(colors)
    lightest = COLORS - 1 - len(keys) + KEY_COLORS.index("#ffffff")
    unchanged = COLORS - 1  # a transparent index: "as in the previous frame"
    colors += [255, 0, 255]
    indexed = []
    previous = None
    for frame in frames:
        # Pillow's nearest-colour search can pick an off-white entry for pure white
        index = np.array(frame.quantize(palette=palette, dither=image.Dither.NONE))
        index[(np.asarray(frame) == 255).all(axis=-1)] = lightest
        shown = index.copy()
        if previous is not None:  # a frame stores only what changed: small files
            index[index == previous] = unchanged
        previous = shown
        one = image.fromarray(index.astype(np.uint8), mode="P")
        one.putpalette(colors)
        indexed.append(one)
    durations = [round(1000 * seconds)] * len(indexed)
    durations[-1] = round(1000 * seconds * hold)
    indexed[0].save(path, save_all=True, append_images=indexed[1:], duration=durations,
                    loop=0, optimize=False, disposal=1, transparency=unchanged)
