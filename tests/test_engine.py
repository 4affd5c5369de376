"""Every Value operation: forward value and gradient against PyTorch float64, and every error.

Hand-picked cases pin the domain edges (kinks, 0 ** 0, negative bases, overflow at ±1000,
softplus's threshold); hypothesis covers the ordinary inputs.
"""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

from conftest import close
from micrograd_plus import Value, dot, no_grad, vsum
from micrograd_plus.core.ops import OPS, op_for, op_rule, op_symbol
from torch_compare import assert_matches_torch

SETTINGS = settings(max_examples=40, deadline=None)


def finite(lo: float = -50.0, hi: float = 50.0) -> st.SearchStrategy[float]:
    return st.floats(min_value=lo, max_value=hi, allow_nan=False, allow_infinity=False)


def away_from_zero(lo: float = 1e-3, hi: float = 50.0) -> st.SearchStrategy[float]:
    return st.one_of(finite(lo, hi), finite(-hi, -lo))


def is_value(x) -> bool:
    return isinstance(x, Value)


# One function per op, written against both types: Value methods or torch functions.
def leaky(x, slope=0.01):
    return x.leaky_relu(slope) if is_value(x) else F.leaky_relu(x, slope)


def softplus(x):
    return x.softplus() if is_value(x) else F.softplus(x)


def relu(x):
    return x.relu() if is_value(x) else torch.relu(x)


UNARY = {
    "neg": lambda x: -x,
    "abs": lambda x: abs(x),
    "exp": lambda x: x.exp(),
    "tanh": lambda x: x.tanh(),
    "sigmoid": lambda x: x.sigmoid(),
    "relu": relu,
    "leaky_relu": leaky,
    "softplus": softplus,
    "sin": lambda x: x.sin(),
    "cos": lambda x: x.cos(),
}

BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
}


# -- hand-picked values ---------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(UNARY))
@pytest.mark.parametrize("x", [-2.5, -1.0, -0.3, 0.7, 1.0, 3.0])
def test_unary_op_matches_torch(name, x):
    assert_matches_torch(UNARY[name], x)


@pytest.mark.parametrize("x", [1e-8, 0.2, 1.0, 7.5, 1e6])
def test_log_and_sqrt_match_torch(x):
    assert_matches_torch(lambda a: a.log(), x)
    assert_matches_torch(lambda a: a.sqrt(), x)


@pytest.mark.parametrize("name", sorted(BINARY))
@pytest.mark.parametrize("a, b", [(2.0, -3.0), (-1.5, 0.25), (0.0, 4.0), (1e3, 1e-3)])
def test_binary_op_matches_torch(name, a, b):
    assert_matches_torch(BINARY[name], a, b)


@pytest.mark.parametrize("a, b", [(2.0, -3.0), (-1.5, 0.25), (0.0, 4.0), (7.0, 1e-3)])
def test_division_matches_torch(a, b):
    assert_matches_torch(lambda x, y: x / y, a, b)


def test_division_by_a_tiny_number_does_not_raise():
    # b*b underflows to 0 for b = 1e-200; the rule must not divide by it
    assert_matches_torch(lambda x, y: x / y, 1.0, 1e-200)
    assert_matches_torch(lambda x, y: x / y, 3.0, -1e-170)


@pytest.mark.parametrize("c", [3, 2.5, -4, 0.0])
@pytest.mark.parametrize("x", [-2.0, 1.5])
def test_reflected_ops_with_plain_numbers(c, x):
    assert_matches_torch(lambda a: c + a, x)
    assert_matches_torch(lambda a: c - a, x)
    assert_matches_torch(lambda a: c * a, x)
    assert_matches_torch(lambda a: a + c, x)
    assert_matches_torch(lambda a: a - c, x)
    assert_matches_torch(lambda a: a * c, x)
    assert_matches_torch(lambda a: c / a, x)
    if c != 0:
        assert_matches_torch(lambda a: a / c, x)


@pytest.mark.parametrize("base", [2.0, 0.5, 3.0])
@pytest.mark.parametrize("x", [-2.0, 0.0, 1.5])
def test_number_to_the_power_of_a_value(base, x):
    assert_matches_torch(lambda a: base**a, x)


def test_reflected_ops_build_one_node_with_the_constant_as_a_leaf():
    x = Value(2.0)
    y = 3.0 - x
    assert y._op == "-" and y._prev[1] is x and y._prev[0].data == 3.0
    z = 1.0 / x
    assert z._op == "/" and z._prev[1] is x
    assert (2 ** x)._op == "**"


@pytest.mark.parametrize("e", [2, 3, -1, -2, 0.5, 1.5, -0.5, 0, 1])
@pytest.mark.parametrize("x", [0.5, 1.0, 3.0])
def test_power_with_a_number_exponent(e, x):
    assert_matches_torch(lambda a: a**e, x)
    assert (Value(x) ** e)._op == f"**{e}"  # micrograd's op name


@pytest.mark.parametrize("a, b", [(2.0, 3.0), (0.5, -1.5), (3.0, 0.0), (1.0, 2.5), (4.0, 0.5)])
def test_power_with_a_value_exponent(a, b):
    assert_matches_torch(lambda x, y: x**y, a, b)
    assert (Value(a) ** Value(b))._op == "**"


# -- domain edges -----------------------------------------------------------------------------
def test_relu_leaky_relu_abs_at_zero_follow_torch():
    assert_matches_torch(relu, 0.0)
    assert_matches_torch(leaky, 0.0)
    assert_matches_torch(lambda a: leaky(a, 0.2), 0.0)
    assert_matches_torch(lambda a: abs(a), 0.0)
    # the numbers themselves, so a wrong torch convention would not slip through
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0
    x = Value(0.0)
    x.leaky_relu(0.2).backward()
    assert x.grad == 0.2


@pytest.mark.parametrize("e", [2, 3, -1, -2, 4.0, -3.0])
@pytest.mark.parametrize("x", [-2.0, -0.5, -3.0])
def test_negative_base_with_integer_exponent(e, x):
    assert_matches_torch(lambda a: a**e, x)
    assert_matches_torch(lambda a, b: a**b, x, float(e))  # d/db is NaN (ln of a negative)


@pytest.mark.parametrize("e", [0.5, -0.5, 1.5, 2.25])
def test_negative_base_with_non_integer_exponent_is_nan_like_torch(e):
    y = Value(-2.0) ** e
    assert type(y.data) is float and math.isnan(y.data)  # never a Python complex
    assert_matches_torch(lambda a: a**e, -2.0)
    assert_matches_torch(lambda a, b: a**b, -2.0, e)


@pytest.mark.parametrize("e", [0, 0.0, 2, 0.5, 1])
def test_zero_to_a_non_negative_power(e):
    assert_matches_torch(lambda a: a**e, 0.0)
    assert_matches_torch(lambda a, b: a**b, 0.0, float(e))


def test_zero_to_the_zero_is_one_with_zero_gradients():
    a, b = Value(0.0), Value(0.0)
    y = a**b
    y.backward()
    assert (y.data, a.grad, b.grad) == (1.0, 0.0, 0.0)
    assert_matches_torch(lambda x: x**0, 0.0)
    assert_matches_torch(lambda x, z: x**z, 0.0, 0.0)


# (-0.0) ** -0.5 is left out: IEEE pow gives +inf, torch's rsqrt path gives -inf
@pytest.mark.parametrize("x, e", [(0.0, -1), (0.0, -2), (0.0, -0.5), (0.0, -3.0),
                                  (-0.0, -1), (-0.0, -2), (-0.0, -3.0)])
def test_zero_to_a_negative_power_is_infinite(x, e):
    y = Value(x) ** e
    assert math.isinf(y.data)
    assert_matches_torch(lambda a: a**e, x)
    assert_matches_torch(lambda a, b: a**b, x, float(e))


def test_zero_to_a_value_exponent_from_a_number():
    assert_matches_torch(lambda a: 0.0**a, 3.0)
    assert_matches_torch(lambda a: 0.0**a, 0.0)
    assert_matches_torch(lambda a: 0.0**a, -1.0)


def test_power_overflow_gives_signed_infinity():
    assert_matches_torch(lambda a: a**3, 1e200)
    assert_matches_torch(lambda a: a**3, -1e200)
    assert_matches_torch(lambda a: a**2, -1e200)
    assert_matches_torch(lambda a: a**-3, 1e-200)
    assert_matches_torch(lambda a: a**-3, -1e-200)


# |a^b| beyond the float range: Python raises OverflowError, which must not become ±inf
# for a negative base with a fractional exponent (that is NaN at every size, as in torch)
@pytest.mark.parametrize("x, e", [(-10.0, 400.5), (-0.5, -2000.5), (-1e200, 2.5)])
def test_power_overflow_with_negative_base_and_fractional_exponent_is_nan(x, e):
    y = Value(x) ** e
    assert type(y.data) is float and math.isnan(y.data)
    assert_matches_torch(lambda a: a**e, x)
    assert_matches_torch(lambda a, b: a**b, x, e)


@pytest.mark.parametrize("x, e", [(-10.0, 401.0), (-10.0, 400.0), (10.0, 400.5),
                                  (-0.5, -2001.0), (0.5, -2000.5)])
def test_power_overflow_with_a_value_exponent_matches_torch(x, e):
    assert_matches_torch(lambda a: a**e, x)
    assert_matches_torch(lambda a, b: a**b, x, e)


@pytest.mark.parametrize("x", [math.inf, -math.inf, math.nan])
@pytest.mark.parametrize("name", ["sin", "cos"])
def test_sin_and_cos_of_infinity_are_nan_like_torch(name, x):
    y = getattr(Value(x), name)()  # math.sin(inf) raises ValueError
    assert math.isnan(y.data)
    assert_matches_torch(lambda a: getattr(a, name)(), x)


def test_sqrt_of_zero_has_infinite_gradient():
    x = Value(0.0)
    x.sqrt().backward()
    assert x.grad == math.inf
    assert_matches_torch(lambda a: a.sqrt(), 0.0)
    assert_matches_torch(lambda a: a.sqrt(), -0.0)  # −0.0 is not negative: grad −inf


@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid", "softplus"])
@pytest.mark.parametrize("x", [1000.0, -1000.0, 710.0, -710.0, -745.0, 40.0, -40.0])
def test_saturating_ops_do_not_overflow(name, x):
    assert_matches_torch(UNARY[name], x)


@pytest.mark.parametrize("x", [19.0, 19.999, 20.0, 20.0 + 1e-12, 20.001, 21.0, -20.0, 0.0])
def test_softplus_around_torchs_threshold(x):
    assert_matches_torch(softplus, x)


@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid", "softplus", "relu", "abs", "neg"])
@pytest.mark.parametrize("x", [math.inf, -math.inf])
def test_infinite_inputs_propagate_like_torch(name, x):
    assert_matches_torch(UNARY[name], x)


@pytest.mark.parametrize("name", sorted(UNARY))
def test_nan_input_propagates_like_torch(name):
    assert_matches_torch(UNARY[name], math.nan)


def test_leaky_relu_slope():
    for slope in (0.0, 0.1, 0.5, 2.0):
        for x in (-3.0, 2.0):
            assert_matches_torch(lambda a, s=slope: leaky(a, s), x)


# -- hypothesis ---------------------------------------------------------------------------
@SETTINGS
@given(name=st.sampled_from(sorted(UNARY)), x=finite())
def test_unary_ops_random(name, x):
    assert_matches_torch(UNARY[name], x)


@SETTINGS
@given(x=finite(1e-6, 1e6))
def test_log_sqrt_random(x):
    assert_matches_torch(lambda a: a.log(), x)
    assert_matches_torch(lambda a: a.sqrt(), x)


@SETTINGS
@given(name=st.sampled_from(sorted(BINARY)), a=finite(), b=finite(), seed=finite(-3, 3))
def test_binary_ops_random(name, a, b, seed):
    assert_matches_torch(BINARY[name], a, b, seed=seed)


@SETTINGS
@given(a=finite(), b=away_from_zero())
def test_division_random(a, b):
    assert_matches_torch(lambda x, y: x / y, a, b)


@SETTINGS
@given(x=away_from_zero(0.1, 10.0), e=st.sampled_from([-3, -2, -1, 0, 1, 2, 3, 4]))
def test_integer_power_random(x, e):
    assert_matches_torch(lambda a: a**e, x)


@SETTINGS
@given(x=finite(0.05, 10.0), e=finite(-3.0, 3.0))
def test_real_power_random(x, e):
    assert_matches_torch(lambda a: a**e, x)
    assert_matches_torch(lambda a, b: a**b, x, e)


@SETTINGS
@given(x=finite(), slope=finite(0.0, 1.0))
def test_leaky_relu_random(x, slope):
    assert_matches_torch(lambda a: leaky(a, slope), x)


@SETTINGS
@given(x=finite(15.0, 25.0))
def test_softplus_near_threshold_random(x):
    assert_matches_torch(softplus, x)


# -- n-ary nodes: vsum and dot --------------------------------------------------------------
def _vsum(*xs):
    return vsum(xs) if is_value(xs[0]) else torch.stack(xs).sum()


def _dot(*xs):
    n = len(xs) // 2
    if is_value(xs[0]):
        return dot(xs[:n], xs[n:])
    return torch.dot(torch.stack(xs[:n]), torch.stack(xs[n:]))


@SETTINGS
@given(xs=st.lists(finite(), min_size=1, max_size=8))
def test_vsum_random(xs):
    assert_matches_torch(_vsum, *xs)


@SETTINGS
@given(xs=st.lists(finite(), min_size=1, max_size=6).flatmap(
    lambda w: st.lists(finite(), min_size=len(w), max_size=len(w)).map(lambda x: w + x)))
def test_dot_random(xs):
    assert_matches_torch(_dot, *xs)


def _dot_bias(*xs):
    n = (len(xs) - 1) // 2
    if is_value(xs[0]):
        return dot(xs[:n], xs[n:2 * n], xs[-1])
    return torch.dot(torch.stack(xs[:n]), torch.stack(xs[n:2 * n])) + xs[-1]


@SETTINGS
@given(xs=st.lists(finite(), min_size=1, max_size=6).flatmap(
    lambda w: st.lists(finite(), min_size=len(w) + 1, max_size=len(w) + 1).map(
        lambda x: w + x)))
def test_dot_with_bias_random(xs):
    assert_matches_torch(_dot_bias, *xs)


@SETTINGS
@given(w=st.lists(finite(), min_size=1, max_size=6), b=finite(), data=st.data())
def test_dot_of_weights_and_float_data_random(w, b, data):
    x = data.draw(st.lists(finite(), min_size=len(w), max_size=len(w)))
    ws, bias = [Value(v) for v in w], Value(b)
    y = dot(ws, x, bias)
    y.backward()
    tw = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    tb = torch.tensor(b, dtype=torch.float64, requires_grad=True)
    ty = tw @ torch.tensor(x, dtype=torch.float64) + tb
    ty.backward()
    assert close(y.data, ty.item(), 1e-9, 1e-9)
    assert all(close(v.grad, g, 1e-9, 1e-12) for v, g in zip(ws, tw.grad.tolist()))
    assert bias.grad == 1.0 and y._prev == (*ws, bias) and y.local_grads == (*x, 1.0)


def test_dot_bias_is_the_last_parent_and_may_be_a_constant():
    w, x, b = Value(2.0), Value(3.0), Value(0.5)
    y = dot([w], [x], b)
    assert y._op == "dot" and y._prev == (w, x, b) and y.local_grads == (3.0, 2.0, 1.0)
    assert y.data == 6.5
    z = dot([w, 2], [1.5, x], 4)  # constant weight, int data and a constant bias
    assert z._prev == (w, x) and z.data == 3.0 + 6.0 + 4.0
    with pytest.raises(TypeError, match=r"dot bias.*str"):
        dot([w], [x], "1")
    with pytest.raises(TypeError, match=r"dot bias.*str"):
        dot([w], [1.0], "1")


def test_vsum_is_one_node_and_plain_numbers_are_constants():
    a, b = Value(2.0), Value(-5.0)
    s = vsum([a, 3, b, 0.5])
    assert s._op == "sum" and s._prev == (a, b) and s.data == 0.5
    s.backward()
    assert (a.grad, b.grad) == (1.0, 1.0)


def test_vsum_of_a_repeated_value_counts_each_use():
    a = Value(1.5)
    s = vsum([a, a, a])
    s.backward()
    assert s.data == 4.5 and a.grad == 3.0


def test_dot_with_constant_inputs_is_one_node():
    w = [Value(1.0), Value(-2.0), Value(0.5)]
    y = dot(w, [3.0, 4, -2.0])
    assert y._op == "dot" and y._prev == tuple(w) and y.data == 3.0 - 8.0 - 1.0
    y.backward()
    assert [wi.grad for wi in w] == [3.0, 4.0, -2.0]


def test_dot_with_constant_weights_and_a_repeated_value():
    x = Value(3.0)
    y = dot([2.0, x], [x, x])  # 2x + x², so dy/dx = 2 + 2x
    y.backward()
    assert y.data == 15.0 and x.grad == 8.0
    ref = torch.tensor(3.0, dtype=torch.float64, requires_grad=True)
    (2.0 * ref + ref * ref).backward()
    assert close(x.grad, ref.grad.item())


def test_empty_vsum_and_dot_are_zero():
    assert vsum([]).data == 0.0
    assert dot([], []).data == 0.0


# -- op names and the derivative registry ----------------------------------------------------
def test_every_op_name_is_registered_with_one_local_grad_per_parent():
    x, y = Value(0.7), Value(1.3)
    nodes = [x + y, x - y, x * y, x / y, x**y, -x, abs(x), x.exp(), x.log(), x.sqrt(),
             x.tanh(), x.sigmoid(), x.relu(), x.leaky_relu(), x.softplus(), x.sin(), x.cos(),
             vsum([x, y]), dot([x], [y])]
    for node in nodes:
        assert op_for(node._op) is not None, node._op
        assert len(node.local_grads) == len(node._prev)
    assert (x * y).local_grads == (1.3, 0.7)
    assert (x**2)._op == "**2" and op_symbol("**2") == "^2"
    assert op_symbol("*") == "×" and op_symbol("ReLU") == "ReLU"


def test_op_symbol_and_rule_find_value_tensor_and_number_exponent_ops():
    import micrograd_plus.losses  # noqa: F401  (importing modules must not change OPS)
    import micrograd_plus.core.tensor  # noqa: F401

    assert op_symbol("matmul") == "@" and "Bᵀ" in op_rule("matmul")
    assert op_symbol("cross_entropy") == "CE" and op_symbol("bce") == "BCE"
    assert op_rule("**3") == "∂(a^3)/∂a = 3·a^(3−1)"
    assert op_rule("**") == OPS["**"].rule and op_rule("tanh") == OPS["tanh"].rule
    assert (op_symbol("no_such_op"), op_rule("no_such_op")) == ("no_such_op", "")


def test_no_grad_records_no_graph():
    x = Value(2.0)
    with no_grad():
        y = x * x + 1
    assert y.data == 5.0 and y._prev == () and not y.requires_grad


# -- errors --------------------------------------------------------------------------------
@pytest.mark.parametrize("bad, shown", [("1.5", "'1.5'"), (None, "None"), (1 + 2j, "(1+2j)"),
                                        ([1.0], "[1.0]"), (True, "True")])
def test_non_numeric_data_is_a_type_error_naming_the_value(bad, shown):
    with pytest.raises(TypeError, match=r"Value data must be a real number") as info:
        Value(bad)
    assert shown in str(info.value)
    assert type(bad).__name__ in str(info.value)


def test_numpy_and_int_data_become_floats():
    import numpy as np

    for x in (3, np.float64(2.5), np.int64(4), np.float32(0.5)):
        v = Value(x)
        assert type(v.data) is float and v.data == float(x)


@pytest.mark.parametrize("bad", ["2", None, [1.0], 1j])
def test_operators_with_non_numbers_raise_type_error(bad):
    x = Value(1.0)
    for op in (lambda: x + bad, lambda: bad + x, lambda: x * bad, lambda: x - bad,
               lambda: x / bad, lambda: x**bad):
        with pytest.raises(TypeError):
            op()


@pytest.mark.parametrize("x", [0.0, -1.0, -1e-300, -math.inf])
def test_log_of_non_positive_is_a_value_error_naming_log(x):
    with pytest.raises(ValueError, match=r"log") as info:
        Value(x).log()
    assert repr(x) in str(info.value)


@pytest.mark.parametrize("x", [-1.0, -1e-300, -math.inf])
def test_sqrt_of_negative_is_a_value_error_naming_sqrt(x):
    with pytest.raises(ValueError, match=r"sqrt") as info:
        Value(x).sqrt()
    assert repr(x) in str(info.value)


def test_division_by_zero_raises_zero_division_error():
    for make in (lambda: Value(1.0) / Value(0.0), lambda: Value(1.0) / 0,
                 lambda: 2.0 / Value(0.0), lambda: Value(0.0) / Value(-0.0)):
        with pytest.raises(ZeroDivisionError, match=r"division by zero"):
            make()


def test_backward_on_a_detached_node_is_a_clear_error():
    y = (Value(2.0) * 3).detach()
    assert y.data == 6.0 and y._prev == () and not y.requires_grad
    with pytest.raises(RuntimeError, match=r"does not require grad.*detached"):
        y.backward()


def test_backward_on_a_no_grad_result_is_a_clear_error():
    x = Value(2.0)
    with no_grad():
        y = x.tanh()
    with pytest.raises(RuntimeError, match=r"does not require grad.*no_grad"):
        y.backward()


def test_backward_through_a_hand_built_node_names_it():
    a, b = Value(2.0), Value(3.0)
    c = Value(5.0, (a, b), "+", label="c")
    assert c._prev == (a, b) and c._op == "+"
    with pytest.raises(RuntimeError, match=r"'c'.*built by hand.*no derivative rule"):
        c.backward()
    d = c * 2  # the hand-built node deep inside a real graph
    with pytest.raises(RuntimeError, match=r"no derivative rule"):
        d.backward()


def test_children_must_be_values():
    with pytest.raises(TypeError, match=r"_children must be Values, got float"):
        Value(1.0, (1.0,), "+")


def test_other_bad_arguments():
    with pytest.raises(TypeError, match=r"seed gradient"):
        Value(1.0).backward("1")
    with pytest.raises(TypeError, match=r"slope"):
        Value(1.0).leaky_relu("0.1")
    with pytest.raises(TypeError, match=r"vsum element.*str"):
        vsum([Value(1.0), "2"])
    with pytest.raises(ValueError, match=r"dot: length mismatch, 2 weights vs 1 inputs"):
        dot([Value(1.0), Value(2.0)], [1.0])
    with pytest.raises(TypeError, match=r"dot input"):
        dot([Value(1.0)], [None])


def test_apply_op_remakes_an_interleaved_dot_and_refuses_one_with_constants():
    from micrograd_plus.core import ops
    from micrograd_plus.core.value import apply_op

    w1, x1, w2, x2, b = (Value(v) for v in (1.5, 2.0, -2.0, 3.0, 0.5))
    made = dot([w1, w2], [x1, x2], b)
    again = apply_op(ops.DOT, [w1, x1, w2, x2, b], {"pairing": "interleaved"})
    assert again.data == made.data == 1.5 * 2.0 - 2.0 * 3.0 + 0.5
    assert again.local_grads == made.local_grads
    with_constants = dot([w1, w2], [2.0, 3.0], b)
    assert with_constants.data == -2.5
    with pytest.raises(ValueError, match="make it with dot"):
        apply_op(ops.DOT, list(with_constants._prev), {"pairing": None})
