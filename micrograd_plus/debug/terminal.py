"""The terminal session of ``micrograd-plus step TARGET``: backprop one key press at a time.

Keys: ``n`` / → / space / enter: next step;  ``b`` / ←: back (undo);  ``e``: run to the
end;  ``s``: back to the start;  ``q``: quit. Single keys are read in cbreak mode when stdin
is a terminal; otherwise (pipes, tests) one command per line.
What is drawn is ``table.render_state`` (user text shown verbatim, never as markup).
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable

from rich.console import Console
from rich.text import Text

from .stepper import BackpropStepper
from .table import render_state

__all__ = ["run_terminal", "render_state"]

KEYS_HELP = "n/→/space next · b/← back · e run to end · s start · q quit"

_ACTIONS = {
    "n": "next", " ": "next", "\r": "next", "\n": "next", "": "next", "\x1b[C": "next",
    "b": "back", "\x1b[D": "back", "e": "end", "s": "start",
    "q": "quit", "\x04": "quit", "\x03": "quit",
}


def run_terminal(
    root: Any,
    *,
    fresh: bool = True,
    console: Console | None = None,
    read_key: Callable[[], str] | None = None,
) -> int:
    """Interactive stepping through ``root``'s backward pass; returns an exit status.

    ``fresh`` first sets the graph's gradients to zero (None for Tensors), so the numbers
    on screen are those of one backward pass even if the target already ran ``backward()``.
    """
    if fresh:
        root.zero_grad()
    stepper = BackpropStepper(root)
    console = console or Console()
    interactive = read_key is None and sys.stdin.isatty()
    if not interactive:
        return _session(stepper, console, read_key or _read_line, clear=False)
    import termios
    import tty as tty_modes

    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    try:
        # cbreak for the whole session: keys arrive one at a time, typed-ahead keys are
        # kept (not flushed) and not echoed, and output still translates newlines
        tty_modes.setcbreak(fd, termios.TCSANOW)
        return _session(stepper, console, _read_tty_key, clear=True)
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)


def _session(stepper: BackpropStepper, console: Console, read_key: Callable[[], str],
             clear: bool) -> int:
    while True:
        if clear:
            console.clear()
        # header, panel frame, table head, footer and key line take ~12 lines
        parents = max(3, console.height // 4)
        rows = max(5, console.height - 12 - parents)
        console.print(render_state(stepper, max_rows=rows, max_parents=parents))
        console.print(Text(KEYS_HELP, "dim"))
        try:
            key = read_key()
        except (EOFError, KeyboardInterrupt):
            key = "q"
        action = _ACTIONS.get(key if key.startswith("\x1b") else key[:1].lower())
        if action == "quit":
            return 0
        if action is not None:
            stepper.move(action)


def _read_line() -> str:
    line = input("> ")
    return line.strip() or "n"


def _read_tty_key() -> str:
    """One key press (arrow keys as their escape sequences); stdin is in cbreak mode."""
    import select

    fd = sys.stdin.fileno()
    key = os.read(fd, 1).decode(errors="replace")
    if not key:
        raise EOFError
    if key == "\x1b":
        while len(key) < 3 and select.select([fd], [], [], 0.05)[0]:
            key += os.read(fd, 1).decode(errors="replace")
    return key
