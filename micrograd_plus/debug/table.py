"""A rich table of a backward pass being stepped: the current step and every step so far.

``render_state(stepper)`` is what ``BackpropStepper.show()`` prints and what the terminal
session redraws after every key. Labels and op names are user text: everything here is a
``rich.text.Text`` (never parsed as markup, so ``a[/b]`` or ``[link=...]`` show as written)
made with ``shown()``, which writes control characters as escapes, so a label cannot send
escape sequences to the terminal.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ..core.ops import op_symbol
from ..viz.format import visible
from .chain import fmt, format_chain_rule, sym

__all__ = ["render_state"]


def shown(text: str, style: str = "") -> Text:
    """User text (labels, op names, formulas) as rich Text: no markup, no control codes."""
    return Text(visible(text), style=style)


def render_state(stepper: Any, max_rows: int = 30, max_parents: int = 12) -> Group:
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


def _current_panel(stepper: Any, max_parents: int) -> Panel:
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


def _steps_table(stepper: Any, max_rows: int) -> Table:
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


def _table_footer(stepper: Any, max_rows: int) -> Text:
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
