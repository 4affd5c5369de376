"""A traced step's return value: its shape kept at record time, filled on every replay.

:func:`template` replaces each node of the returned structure (Tensors, or Values) by what
a replay puts there: ``("t", k)``, the k-th output of the compiled function, or
``("const", x)``, ``x`` itself. :func:`rebuild` makes the structure again from a replay's
outputs, each output made into a node by ``make``.
"""

from __future__ import annotations

from typing import Any, Callable

from .standins import Unsupported

__all__ = ["template", "rebuild"]


def template(result: Any, node_type: type, slot: Callable[[Any], tuple]) -> Any:
    """``result`` with each ``node_type`` replaced by ``slot(node)``, in reading order."""
    if isinstance(result, node_type):
        return slot(result)
    if isinstance(result, (tuple, list)):
        return (type(result).__name__, [template(x, node_type, slot) for x in result])
    if isinstance(result, dict):
        return ("dict", {k: template(v, node_type, slot) for k, v in result.items()})
    if result is None or isinstance(result, (str, bool)):
        return ("const", result)
    name = node_type.__name__
    raise Unsupported(f"a return value of type {type(result).__name__} (return {name}s, or "
                      f"tuples, lists, dicts of them: a number read inside the step would be "
                      f"the recorded call's; read it from the returned {name} instead)")


def rebuild(template: tuple, outs: tuple, make: Callable[[Any], Any]) -> Any:
    kind, body = template
    if kind == "t":
        return make(outs[body])
    if kind == "tuple":
        return tuple(rebuild(x, outs, make) for x in body)
    if kind == "list":
        return [rebuild(x, outs, make) for x in body]
    if kind == "dict":
        return {k: rebuild(v, outs, make) for k, v in body.items()}
    return body
