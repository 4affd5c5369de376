"""The worked examples of the books and slides in README's "Sources", as importable modules.

Each module has ``build(...) -> dict`` (``'root'`` and the named nodes, for tests, the stepper
and ``micrograd-plus render``) and ``main(out_dir='out') -> int``, which prints the numbers
as rich tables and writes the images. Run one with ``micrograd-plus example NAME`` or
``python -m micrograd_plus.examples.NAME``.
"""

from __future__ import annotations

EXAMPLES: dict[str, str] = {
    "lunch": "Bing Li's slides: lunch-price neuron, graph, delta rule, batch GD to (150, 50, 100)",
    "three_layer": "Meng & Ou Ex 3.5, a 3-3-2 net: identity and saturated sigmoid (vanishing)",
    "gd_surface": "Wang & Huang §3.3.3: gradient descent on J = w1² + w2² + 2·w2 + 5 from (−2, 3)",
    "neuron_342": "Wang & Huang §3.3.4: the 3-4-2 network with the book's labels w^(l)_ij",
    "torch_tutorial": "Bing Li's slides: x = ones(2,2), out = mean(2(x+2)²): x.grad = 3, twice "
                      "6; RNN cell (Values, Tensors, PyTorch)",
    "manual_backprop": "Chaudhury ch. 8: listing 8.3's deltas by hand vs autograd, a slip caught",
    "newton": "Newton's method on the same J: Hessian [[2, 0], [0, 2]], one step to (0, −1)",
    "double_backward": "tanh, dy/dx and d²y/dx² as graphs (create_graph=True) vs closed forms",
    "gradient_penalty": "mse + λ·‖∇ₓf(x)‖² on a Tensor MLP: 20 SGD steps, equal to PyTorch's",
}

__all__ = ["EXAMPLES", "run_all"]


def run_all(out_dir: str = "out") -> int:
    """Every example's ``main``: all numbers printed, all images written to ``out_dir``."""
    import importlib

    for name in EXAMPLES:
        importlib.import_module(f"{__name__}.{name}").main(out_dir=out_dir)
    return 0
