"""The terminal session of ``micrograd-plus step TARGET``: backprop one key press at a time.

Keys: ``n`` / → / space / enter: next step;  ``b`` / ←: back (undo);  ``e``: run to the
end;  ``s``: back to the start;  ``q``: quit. Single keys are read in cbreak mode when stdin
is a terminal; otherwise (pipes, tests) one command per line.

Labels and op names are user text: everything here is a ``rich.text.Text`` (never parsed as
markup, so ``a[/b]`` or ``[link=...]`` show as written) made with ``shown()``, which writes
control characters as escapes, so a label cannot send escape sequences to the terminal.
"""

from __future__ import annotations

import os
import sys
from typing import Any, Callable

from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .core.ops import op_symbol
from .stepper import BackpropStepper, fmt, format_chain_rule, sym
from .viz_format import visible

__all__ = ["run_terminal", "render_state"]

KEYS_HELP = "n/→/space next · b/← back · e run to end · s start · q quit"

_ACTIONS = {
    "n": "next", " ": "next", "\r": "next", "\n": "next", "": "next", "\x1b[C": "next",
    "b": "back", "\x1b[D": "back", "e": "end", "s": "start",
    "q": "quit", "\x04": "quit", "\x03": "quit",
}


def shown(text: str, style: str = "") -> Text:
    """User text (labels, op names, formulas) as rich Text: no markup, no control codes."""
    return Text(visible(text), style=style)


def render_state(stepper: BackpropStepper, max_rows: int = 30, max_parents: int = 12) -> Group:
    """Header, the current step with its chain-rule formulas, and a table of all steps.

    Big graphs stay on one screen: the table shows ``max_rows`` steps around the current
    one and the panel the formulas of the first ``max_parents`` parents.
    """
    root = stepper.root
    r = stepper.names[root]
    total = len(stepper)
    header = Text.assemble(
        ("Backprop of ", "bold"), (visible(r), "bold cyan"), f" = {fmt(root.data)}",
        f"   step {stepper.position} of {total}",
    )
    return Group(
        header, _current_panel(stepper, max_parents), _steps_table(stepper, max_rows),
        _table_footer(stepper, max_rows),
    )


def _current_panel(stepper: BackpropStepper, max_parents: int) -> Panel:
    r = stepper.names[stepper.root]
    current = stepper.current
    lines: list[Text] = []
    if current is None:
        lines.append(shown(
            f"Nothing processed yet. The first step seeds ∂{sym(r)}/∂{sym(r)} = "
            f"{fmt(stepper.seed)} at the root."
        ))
        title = shown("start")
    else:
        n = current.label
        op = f"op {op_symbol(current.op)}" if current.op else "leaf"  # as in the table
        lines.append(Text.assemble(
            ("node ", ""), (visible(n), "bold yellow"),
            visible(f"  ({op}, data {fmt(current.data)})   "),
            (visible(f"∂{sym(r)}/∂{sym(n)} = {fmt(current.grad)}"), "bold"),
        ))
        if not current.parents:
            lines.append(shown(f"{n} is a leaf: its gradient is final, nothing flows further."))
        for parent in current.parents[:max_parents]:
            lines.append(shown("  " + format_chain_rule(current, parent), "green"))
        if len(current.parents) > max_parents:
            lines.append(Text(f"  … and {len(current.parents) - max_parents} more parents"))
        title = shown(f"step {current.index + 1}: {n}")
    upcoming = stepper.next_step
    if upcoming is None:
        lines.append(Text("done: every gradient of this pass is computed.", "bold magenta"))
    else:
        lines.append(shown(f"next: {upcoming.label}", "dim"))
    return Panel(Group(*lines), title=title, title_align="left")


def _steps_table(stepper: BackpropStepper, max_rows: int) -> Table:
    r = stepper.names[stepper.root]
    table = Table(show_edge=False, pad_edge=False)
    for name, justify in [("#", "right"), ("node", "left"), ("op", "left"),
                          ("data", "right"), (f"∂{sym(r)}/∂node", "right"), (".grad", "right")]:
        table.add_column(shown(name), justify=justify)
    steps = stepper.steps
    # a window of rows around the current step keeps big graphs on one screen
    start = max(0, min(stepper.position - max_rows // 2, len(steps) - max_rows))
    for s in steps[start:start + max_rows]:
        processed = s.index < stepper.position
        if s.index == stepper.position - 1:
            style = "bold yellow"
        else:
            style = "green" if processed else "dim"
        cells = (str(s.index + 1), s.label, op_symbol(s.op) if s.op else "leaf", fmt(s.data),
                 fmt(s.grad) if processed else "·", fmt(s.node.grad))
        table.add_row(*(shown(c) for c in cells), style=style)
    return table


def _table_footer(stepper: BackpropStepper, max_rows: int) -> Text:
    """The rows the table leaves out, above and below, and what its two gradient columns
    mean (they differ while the pass runs)."""
    total = len(stepper.steps)
    start = max(0, min(stepper.position - max_rows // 2, total - max_rows))
    above, below = start, max(0, total - start - max_rows)
    hidden = [f"↑ {above} more steps above"] if above else []
    hidden += [f"↓ {below} more steps below"] if below else []
    r = visible(stepper.names[stepper.root])  # a label is shown as written, never as markup
    lines = [" · ".join(hidden)] if hidden else []
    lines.append(f"∂{sym(r)}/∂node: the gradient of {r} with respect to the node, once its "
                 "step has run (· before)")
    lines.append(".grad: what node.grad holds now, the contributions added so far")
    return Text("\n".join(lines), "dim")


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
