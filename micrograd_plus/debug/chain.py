"""A step of the backward pass and its chain rule as a teacher writes it.

``Step`` is one node processed by the backward pass and ``ParentStep`` what it sends to one
parent (contribution = grad × local). ``format_chain_rule`` writes an edge as
``∂E/∂w = ∂E/∂y · ∂y/∂w = (−700)·(5) = −3500``, or for a Tensor in matrix form
(``matrix_line``). The stepper, the terminal, the explorer and the frames read these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..core.ops import op_symbol
from ..viz.cells import constant_name, is_tensor
from ..viz.format import MAX_SHOWN, format_value, group_label, visible
from ..viz.rules import GRAD, matrix_rule

__all__ = ["Step", "ParentStep", "format_chain_rule", "matrix_line", "fmt", "sym"]

# A label as a symbol inside ∂·/∂·: ``t − y`` becomes ``(t − y)``, as in ∂E/∂(t − y); the
# graph's edge labels use the same rule
sym = group_label


@dataclass(eq=False)
class ParentStep:
    """What a step sends to one parent:  contribution = grad × local."""

    node: Any
    label: str
    local: Any  # ∂node/∂parent (a float for Values; None for Tensors, whose rule is a VJP)
    contribution: Any  # this edge's share of ∂root/∂parent
    grad_after: Any  # the parent's .grad once this step is applied
    sum_so_far: Any = None  # ∂root/∂parent of this pass so far (the contributions up to here)
    arrival: int = 1  # this is contribution number `arrival` ...
    arrivals: int = 1  # ... of the `arrivals` the parent receives in this pass
    position: int = 0  # index of the parent in node._prev

    def __repr__(self) -> str:
        return visible(f"ParentStep({self.label}: local={fmt(self.local)}, "
                       f"contribution={fmt(self.contribution)}, "
                       f"grad_after={fmt(self.grad_after)})")


@dataclass(eq=False)
class Step:
    """One node processed by the backward pass: its gradient is complete and flows on."""

    index: int  # 0-based position in the pass
    node: Any
    label: str  # the node's label, or an op-based name such as ``mul2``
    op: str
    data: Any
    grad: Any  # ∂root/∂node of this pass (after hooks): what flows to the parents
    parents: list[ParentStep] = field(default_factory=list)
    grad_after: Any = None  # the node's .grad once this step is applied
    root_label: str = "L"

    def __repr__(self) -> str:
        to = ", ".join(p.label for p in self.parents) or "nothing (a leaf)"
        return visible(f"Step({self.index + 1}: {self.label} = {fmt(self.data)}, "
                       f"∂{sym(self.root_label)}/∂{sym(self.label)} = {fmt(self.grad)} → {to})")

    def __str__(self) -> str:
        """The node and one chain-rule line per parent: what a REPL user wants to read."""
        op = op_symbol(self.op) if self.op else "leaf"
        lines = [f"step {self.index + 1}: {self.label} ({op}) = "
                 f"{fmt(self.data)};  ∂{sym(self.root_label)}/∂{sym(self.label)} = "
                 f"{fmt(self.grad)}"]
        lines += ["  " + format_chain_rule(self, p) for p in self.parents]
        return "\n".join(visible(line) for line in lines)  # labels cannot drive a terminal


def fmt(x: Any, precision: int = 4) -> str:
    """A number or small array as every view writes it (``viz.format.format_value``):
    ``−3500``, ``245000``, ``0.0143``, ``1.9e−12``, ``[3, −0.5]``, with a unicode minus."""
    return format_value(x, precision)


def _shape(x: Any) -> str:
    return "×".join(map(str, np.shape(x))) or "scalar"


def _matrix_line(step: Step, parent: ParentStep) -> str:
    """``∂L/∂Z · Xᵀ = [[…]]·[[…]] = [[…]]`` for a Tensor edge (shapes when too big)."""
    known = {id(ps.node): ps.label for ps in step.parents}
    known[id(step.node)] = step.label

    def name_of(node: Any) -> str:
        return known.get(id(node)) or getattr(node, "label", "") or constant_name(node.data)

    return matrix_line(step.node, parent.position, step.grad, parent.contribution, name_of,
                       step.root_label)


def matrix_line(node: Any, i: int, upstream: Any, result: Any, name_of: Any,
                root_name: str = "L") -> str:
    """Input ``i`` of the Tensor ``node``: its rule in matrix form, then with the numbers.

    ``upstream`` is the gradient arriving at ``node`` (∂L/∂Z), ``result`` what the rule makes
    of it for the input; ``∂L/∂Z · Xᵀ = [[…]]·[[…]] = [[…]]``, or shapes ``(20×10)`` when an
    operand has more than ``MAX_SHOWN`` entries. ``name_of(node)`` names the nodes.
    """
    rule = matrix_rule(node, i, name_of, root_name)
    if rule.terms is None or rule.terms == [GRAD]:
        return f"{rule.text} = {_show(result, _small(result))}"
    arrays = [upstream if t is GRAD else t for t in rule.terms]
    small = all(_small(a) for a in arrays if not isinstance(a, str)) and _small(result)
    shown = [a if isinstance(a, str) else _show(a, small) for a in arrays]
    for k in range(1, len(shown) - 1):  # (G)ᵀ of a big G: ``(20×1)ᵀ``, not ``((20×1))ᵀ``
        if shown[k - 1].endswith("(") and shown[k + 1].startswith(")") and \
                not isinstance(arrays[k], str) and not small and np.ndim(arrays[k]):
            shown[k] = shown[k][1:-1]
    return f"{rule.text} = {''.join(shown)} = {_show(result, small)}"


def _small(x: Any) -> bool:
    return np.size(x) <= MAX_SHOWN


def _show(x: Any, small: bool) -> str:
    """An operand in a chain-rule line: its entries when small, else its shape ``(5×3)``."""
    if small or np.ndim(x) == 0:
        return fmt(np.asarray(x) if isinstance(x, np.ndarray) else x)
    return f"({_shape(x)})"


def format_chain_rule(step: Step, parent: ParentStep) -> str:
    """The chain rule for one edge of a step, symbolically and with numbers.

    ``∂E/∂w = ∂E/∂y · ∂y/∂w = (−700)·(5) = −3500``; for a Tensor the rule in matrix form,
    ``∂L/∂W = ∂L/∂Z · Xᵀ = [[…]]·[[…]] = [[…]]`` (shapes instead of entries for big arrays).
    When ``w`` collects several contributions in this pass, ``+=`` and the running sum say so.
    """
    r, n, p = sym(step.root_label), sym(step.label), sym(parent.label)
    several = parent.arrivals > 1
    lhs = f"∂{r}/∂{p} {'+=' if several else '='} "
    if parent.local is None or is_tensor(step.node):  # a Tensor: the rule in matrix form
        text = lhs + _matrix_line(step, parent)
    else:
        text = (
            f"{lhs}∂{r}/∂{n} · ∂{n}/∂{p} = ({fmt(step.grad)})·({fmt(parent.local)}) "
            f"= {fmt(parent.contribution)}"
        )
    if several:
        text += (
            f"   [contribution {parent.arrival} of {parent.arrivals}; "
            f"∂{r}/∂{p} so far = {fmt(parent.sum_so_far)}]"
        )
    return text
