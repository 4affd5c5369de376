"""jacobian, hessian, hvp against torch.autograd.functional (float64, to 1e-9)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.autograd.functional as TF

from micrograd_plus import Tensor, Value, hessian, hvp, jacobian, no_grad

RNG = np.random.default_rng(7)


def assert_same(ours, theirs, path="result"):
    """Same nesting (tuple for tuple; a Value result's list for torch's tuple), shapes, values."""
    if isinstance(theirs, tuple):
        expected_type = (tuple, list) if isinstance(ours, list) else tuple
        assert isinstance(ours, expected_type), f"{path}: {type(ours).__name__}"
        assert len(ours) == len(theirs), path
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{path}[{i}]")
        return
    b = theirs.detach().numpy()
    if isinstance(ours, float):
        assert b.shape == (), path
    else:
        assert isinstance(ours, np.ndarray) and ours.shape == b.shape, (path, np.shape(ours))
    np.testing.assert_allclose(ours, b, rtol=1e-9, atol=1e-12, err_msg=path)


def J(w1, w2):
    """The seed surface of WORKED_EXAMPLES.md §4."""
    return w1**2 + w2**2 + 2 * w2 + 5


def scalar_f(a, b, c):
    return (a * b).tanh() + (c / b).exp() * a - (a + 1.5).log() * c**3


# -- Values ------------------------------------------------------------------------------------
def test_hessian_of_the_seed_surface_is_2_identity():
    assert hessian(J, [-2.0, 3.0]) == [[2.0, 0.0], [0.0, 2.0]]
    assert jacobian(J, [-2.0, 3.0]) == [-4.0, 8.0]
    assert hvp(J, [-2.0, 3.0], [1.0, -0.5]) == (24.0, [2.0, -1.0])


@pytest.mark.parametrize("fn", ["jacobian", "hessian", "hvp"])
def test_values_match_torch(fn):
    xs = [0.7, -1.3, 0.4]
    ts = tuple(torch.tensor(x, dtype=torch.float64) for x in xs)
    if fn == "jacobian":
        def vector_f(a, b, c):
            return [scalar_f(a, b, c), a * b * c, (a - c).sigmoid()]
        assert_same(jacobian(scalar_f, xs), TF.jacobian(scalar_f, ts))
        assert_same(jacobian(vector_f, xs), TF.jacobian(lambda *t: tuple(vector_f(*t)), ts))
    elif fn == "hessian":
        assert_same(hessian(scalar_f, xs), TF.hessian(scalar_f, ts))
    else:
        v = [0.3, -2.0, 1.1]
        value, hv = hvp(scalar_f, xs, v)
        tvalue, thv = TF.hvp(scalar_f, ts, tuple(torch.tensor(x, dtype=torch.float64) for x in v))
        assert_same(value, tvalue)
        assert_same(hv, thv)


def test_value_inputs_are_copied_and_a_single_number_drops_its_level():
    w = Value(3.0)
    assert hessian(lambda x: x**3, w) == 18.0 and jacobian(lambda x: x**3, 2.0) == 12.0
    assert w.grad == 0.0  # f ran on a fresh leaf holding w's data
    assert hvp(lambda x: x.sin(), 0.5, 2.0) == (np.sin(0.5), -2 * np.sin(0.5))


def test_inputs_the_output_does_not_use_get_zeros_as_in_torch():
    assert jacobian(lambda a, b: a * 2.0, [1.0, 2.0]) == [2.0, 0.0]
    assert hessian(lambda a, b: a * 2.0 + b, [1.0, 2.0]) == [[0.0, 0.0], [0.0, 0.0]]
    assert hessian(lambda a, b: 7.0, [1.0, 2.0]) == [[0.0, 0.0], [0.0, 0.0]]
    assert hvp(lambda a, b: a * b, [1.0, 2.0], [1.0, 0.0]) == (2.0, [0.0, 1.0])


# -- Tensors -----------------------------------------------------------------------------------
def tensor_pair(*shape):
    a = RNG.uniform(0.5, 1.5, shape)
    return Tensor(a), torch.tensor(a)


def test_tensor_jacobian_shapes_and_values_match_torch():
    x, tx = tensor_pair(2, 3)
    w, tw = tensor_pair(3, 4)

    def one(a):
        return (a @ tw if isinstance(a, torch.Tensor) else a @ w).tanh()

    def many(a, b):
        return (a @ b).sigmoid(), (a * a).sum(1)

    assert_same(jacobian(one, x), TF.jacobian(one, tx))  # (2, 4, 2, 3)
    assert_same(jacobian(many, (x, w)), TF.jacobian(many, (tx, tw)))
    assert_same(jacobian(lambda a, b: (a @ b).exp(), (x, w)),
                TF.jacobian(lambda a, b: (a @ b).exp(), (tx, tw)))
    assert_same(jacobian(lambda a: (a.exp(), a.sum()), x),
                TF.jacobian(lambda a: (a.exp(), a.sum()), tx))


def test_tensor_hessian_matches_torch():
    x, tx = tensor_pair(2, 3)
    w, tw = tensor_pair(3)

    def f(a, b):
        return ((a @ b).softmax(0) * (a**3).sum(1)).sum() + (b.tanh() * b).sum()

    assert_same(hessian(lambda a: (a**3).mean() + (a.sin() * a).sum(), x),
                TF.hessian(lambda a: (a**3).mean() + (a.sin() * a).sum(), tx))
    assert_same(hessian(f, (x, w)), TF.hessian(f, (tx, tw)))


def test_tensor_hvp_matches_torch():
    x, tx = tensor_pair(2, 3)
    w, tw = tensor_pair(3)
    vx, vw = RNG.normal(size=(2, 3)), RNG.normal(size=3)

    def f(a, b):
        return ((a @ b).tanh() ** 2).sum() * b.exp().mean()

    value, hv = hvp(f, (x, w), (vx, vw))
    tvalue, thv = TF.hvp(f, (tx, tw), (torch.tensor(vx), torch.tensor(vw)))
    assert_same(value, tvalue)
    assert_same(hv, thv)
    value, hv = hvp(lambda a: (a**4).sum(), x, Tensor(vx))
    tvalue, thv = TF.hvp(lambda a: (a**4).sum(), tx, torch.tensor(vx))
    assert_same(value, tvalue)
    assert_same(hv, thv)


def test_tensor_inputs_keep_their_grad_and_work_under_no_grad():
    x = Tensor([1.0, 2.0], requires_grad=True)
    with no_grad():
        h = hessian(lambda a: (a**3).sum(), x)
    np.testing.assert_array_equal(h, np.diag([6.0, 12.0]))
    assert x.grad is None


def test_bad_input_gets_a_clear_error():
    x = Tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="single-element Tensor, got shape \\(2,\\)"):
        hessian(lambda a: a * a, x)
    with pytest.raises(ValueError, match="single output, got 2"):
        hessian(lambda a, b: [a, b], [1.0, 2.0])
    with pytest.raises(TypeError, match="not a mix; got Tensor, float"):
        jacobian(lambda a, b: a, (x, 1.0))
    with pytest.raises(ValueError, match=r"v\[0\] has shape \(3,\), but input 0 has shape"):
        hvp(lambda a: (a * a).sum(), x, np.ones(3))
    with pytest.raises(ValueError, match="inputs is empty"):
        jacobian(lambda: 1.0, [])
    with pytest.raises(TypeError, match="f must return Tensors for these inputs, got float"):
        jacobian(lambda a: 1.0, x)


def test_tensor_outputs_linear_or_constant_in_the_inputs_give_zeros_like_torch():
    x, tx = tensor_pair(2, 2)
    assert_same(hessian(lambda a: (a * 3.0).sum(), x), TF.hessian(lambda a: (a * 3.0).sum(), tx))
    value, hv = hvp(lambda a: a.sum(), x, np.ones((2, 2)))
    tvalue, thv = TF.hvp(lambda a: a.sum(), tx, torch.ones(2, 2, dtype=torch.float64))
    assert_same(value, tvalue)
    assert_same(hv, thv)
    assert_same(jacobian(lambda a, b: a * 2.0, (x, x)), TF.jacobian(lambda a, b: a * 2.0, (tx, tx)))
