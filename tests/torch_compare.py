"""``assert_matches_torch(fn, *xs)``: one line per op test, forward and every gradient.

``fn`` is written once against generic operators/methods and is called twice: with
``micrograd_plus.Value`` leaves and with float64 ``torch.tensor`` leaves.
"""

from __future__ import annotations

from typing import Callable

import torch

from conftest import close
from micrograd_plus import Value


def assert_matches_torch(fn: Callable, *xs: float, rtol: float = 1e-9, atol: float = 1e-12,
                         seed: float = 1.0) -> None:
    values = [Value(x) for x in xs]
    out = fn(*values)
    out.backward(seed)

    tensors = [torch.tensor(float(x), dtype=torch.float64, requires_grad=True) for x in xs]
    ref = fn(*tensors)
    ref.backward(torch.tensor(seed, dtype=torch.float64))

    assert close(out.data, ref.item(), rtol, atol), f"value {out.data} != torch {ref.item()}"
    for i, (v, t) in enumerate(zip(values, tensors)):
        tg = 0.0 if t.grad is None else t.grad.item()
        assert close(v.grad, tg, rtol, atol), f"grad of input {i}: {v.grad} != torch {tg}"
