"""Checks for numbers: arguments (``check_number``) and numbers read back from saved state
(``Module`` and optimizer ``load_state_dict``).

Saved state may come from a file (JSON, npz) written by someone else. Only real numbers are
accepted: booleans, complex numbers, strings (even ``"3"``) and None are refused rather than
converted (numpy would turn them into 1.0, the real part, 3.0 and NaN), and so is a number
too large for the parameter's float type (it would become ±inf). inf and NaN that were
already in the state are floats and load as they are.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

__all__ = ["check_number", "real_number", "real_array", "require_torch"]


def check_number(x: Any, what: str) -> float:
    """``x`` as a float for an argument (data, a slope, a seed gradient); ``what`` names it."""
    if type(x) is float:
        return x
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(
            f"{what} must be a real number (int or float), got {type(x).__name__}: {x!r}"
        )
    return float(x)


def real_number(what: str, value: Any) -> float:
    """``value`` as a float; ``what`` (e.g. ``"load_state_dict: 'w'"``) starts any error."""
    if getattr(value, "ndim", None) == 0 and hasattr(value, "item"):
        value = value.item()  # numpy scalar or 0-d array
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{what} needs a real number, got {type(value).__name__} {value!r:.40}")
    try:
        return float(value)
    except OverflowError:
        raise ValueError(f"{what} is too large for a float: {value!r:.40}") from None


def real_array(what: str, value: Any, like: np.ndarray) -> np.ndarray:
    """``value`` as a new array with the shape and dtype of ``like``, real numbers only."""
    try:
        raw = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"{what} needs an array of numbers, got {type(value).__name__} ({error})"
        ) from None
    if isinstance(value, (list, tuple)) and raw.dtype.kind != "O":
        items = np.array(value, dtype=object)  # numpy makes [True, 2] ints: look at the items
    else:
        items = raw
    if items.dtype.kind == "O":
        for item in items.flat:
            if isinstance(item, bool) or not isinstance(item, numbers.Real):
                raise TypeError(
                    f"{what} needs real numbers, got {type(item).__name__} {item!r:.40}"
                )
    elif raw.dtype.kind not in "iuf":
        kind = {"b": "bool", "c": "complex", "U": "str", "S": "bytes"}.get(
            raw.dtype.kind, str(raw.dtype))
        raise TypeError(f"{what} needs real numbers, got an array of {kind} (dtype {raw.dtype})")
    if raw.shape != like.shape:
        raise ValueError(
            f"{what} has shape {tuple(raw.shape)}, the parameter has shape {tuple(like.shape)}"
        )
    try:
        with np.errstate(over="ignore"):
            array = np.array(raw, dtype=like.dtype)
    except OverflowError:
        array = None
    if array is None or _overflowed(raw, array):
        raise ValueError(f"{what} holds a value too large for {like.dtype}")
    return array


def _overflowed(raw: np.ndarray, array: np.ndarray) -> bool:
    """True when a finite entry of ``raw`` became ±inf in ``array``."""
    became_inf = np.isinf(array)
    if not became_inf.any():
        return False
    if raw.dtype.kind == "O":
        return any(math.isfinite(x) for x in raw[became_inf].flat)
    return bool(np.isfinite(raw[became_inf]).any())


def require_torch(purpose: str = "PyTorch interop") -> Any:
    """Import torch, or say plainly that ``purpose`` needs the optional extra."""
    try:
        import torch
    except ImportError:
        raise ImportError(
            f"{purpose} needs PyTorch, an optional extra of micrograd_plus, which is not "
            "installed: pip install torch (CPU wheels: --index-url "
            "https://download.pytorch.org/whl/cpu)"
        ) from None
    return torch
