"""``micrograd_plus.engine.Value``: micrograd's import path, kept so its code runs unchanged.

The scalar engine lives in ``micrograd_plus.core.value``.
"""

from .core.value import Value, dot, vsum

__all__ = ["Value", "vsum", "dot"]
