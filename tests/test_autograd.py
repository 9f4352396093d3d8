"""Autograd semantics: accumulation, shared subexpressions, freeing the graph, gradient
mode, detach, long chains, errors, gradcheck itself and the Function extension point."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.autograd import Function, GradcheckError, gradcheck, unbroadcast


def test_gradients_accumulate_across_backward_calls():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    (x * 3).sum().backward()
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3 + 2, 3 + 4])
    x.grad = None
    (x * 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [3, 3])


def test_shared_subexpressions_and_reused_tensors_sum_their_gradients():
    x = gn.tensor([0.5, -1.0, 2.0], requires_grad=True)
    s = x * x  # used three times below
    y = (s + s * x + s.exp()).sum() + x.sum()
    y.backward()
    a = x.detach().numpy()
    np.testing.assert_allclose(
        x.grad.numpy(), 2 * a + 3 * a**2 + np.exp(a**2) * 2 * a + 1, rtol=1e-6
    )


def test_diamond_graph_each_node_runs_once():
    calls = []

    class Twice(Function):
        def forward(self, x):
            return 2 * x

        def backward(self, gy):
            calls.append(1)
            return 2 * gy

    x = gn.tensor([1.0], requires_grad=True)
    h = Twice.apply(x)
    (h * h + h).sum().backward()
    assert len(calls) == 1
    np.testing.assert_allclose(x.grad.numpy(), [2 * (2 * 2 + 1)])


def test_second_backward_raises_unless_retain_graph():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = (x.exp() * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        y.backward()
    x.grad = None
    y = (x.exp() * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_backward_through_a_freed_intermediate_raises():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    h.sum().backward()
    with pytest.raises(RuntimeError, match="second time"):
        (h * 3).sum().backward()


def test_no_grad_context_manager_and_decorator():
    x = gn.tensor([1.0], requires_grad=True)
    with gn.no_grad():
        y = x * 2
        assert not gn.is_grad_enabled()
        with gn.enable_grad():
            z = x * 2
    assert gn.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad

    @gn.no_grad()
    def f(t):
        return t * t

    assert not f(x).requires_grad
    assert gn.is_grad_enabled()
    with gn.set_grad_enabled(False):
        assert not (x + 1).requires_grad
    assert (x + 1).requires_grad

    @gn.set_grad_enabled(False)
    def g(t):
        return t * t

    assert gn.is_grad_enabled()  # decorating did not switch the mode
    assert not g(x).requires_grad and gn.is_grad_enabled()


def test_no_grad_restores_state_after_an_exception():
    with pytest.raises(ZeroDivisionError), gn.no_grad():
        raise ZeroDivisionError
    assert gn.is_grad_enabled()


def test_detach_shares_memory_and_cuts_the_graph():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    h = x * 2
    d = h.detach()
    assert not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(d.data, h.data)
    (h * d).sum().backward()  # d is a constant
    np.testing.assert_allclose(x.grad.numpy(), 2 * d.numpy())


def test_requires_grad_only_on_floating_tensors():
    with pytest.raises(TypeError, match="int64"):
        gn.tensor([1, 2]).requires_grad_()
    with pytest.raises(TypeError, match="floating"):
        gn.tensor([True, False], requires_grad=True)
    t = gn.tensor([1.0]).requires_grad_()
    assert t.requires_grad and t.is_leaf


def test_a_100000_op_chain_backpropagates_without_recursion():
    x = gn.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0


def test_backward_on_non_scalar_needs_a_gradient():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = x * x
    with pytest.raises(RuntimeError, match=r"scalar.*shape \(2,\)"):
        y.backward()
    with pytest.raises(ValueError, match=r"\(3,\).*\(2,\)"):
        y.backward(gn.ones(3))
    y.backward(gn.tensor([1.0, 10.0]))
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 40.0])


@pytest.mark.parametrize(
    "make",
    [
        lambda x: x.argmax(),
        lambda x: (x > 0).sum(),
        lambda x: x.argmin(dim=0).float().sum(),
        lambda x: gn.tensor([1, 2, 3]).sum(),
        lambda x: x.detach().sum(),
    ],
    ids=["argmax", "comparison", "argmin_cast", "int_tensor", "detached"],
)
def test_backward_through_something_without_a_gradient_is_a_clear_error(make):
    x = gn.tensor([1.0, -2.0, 3.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="does not require grad"):
        make(x).backward()


def test_relu_derivative_at_exactly_zero_is_zero():
    x = gn.tensor([0.0, 0.0], requires_grad=True)
    gn.relu(x).sum().backward()
    assert x.grad.tolist() == [0.0, 0.0]


def test_gradients_are_not_shared_between_leaves():
    a = gn.tensor([1.0, 2.0], requires_grad=True)
    b = gn.tensor([3.0, 4.0], requires_grad=True)
    (a + b).sum().backward()
    a.grad.zero_()  # PyTorch's idiom: must neither fail nor touch b.grad
    assert b.grad.tolist() == [1.0, 1.0]
    g = np.array([5.0, 6.0])
    a2 = gn.tensor([1.0, 2.0], dtype=gn.float64, requires_grad=True)
    a2.backward(g)
    a2.grad.zero_()
    assert g.tolist() == [5.0, 6.0]


def test_gradient_dtype_and_shape_follow_the_leaf():
    w = gn.tensor([[1.0, 2.0]], requires_grad=True)  # float32
    x = np.array([[1.0], [2.0], [3.0]])  # float64, broadcast over w's rows
    (w * x).sum().backward()
    assert w.grad.dtype == np.float32 and w.grad.shape == (1, 2)
    np.testing.assert_allclose(w.grad.numpy(), [[6.0, 6.0]])


def test_retain_grad_keeps_an_intermediate_gradient():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    h = (x * 3).retain_grad()
    (h * h).sum().backward()
    np.testing.assert_allclose(h.grad.numpy(), 2 * h.detach().numpy())
    assert x.grad is not None


def test_unbroadcast_sums_added_and_stretched_axes():
    g = np.ones((2, 3, 4))
    assert unbroadcast(g, (3, 1)).tolist() == [[8.0]] * 3
    assert unbroadcast(g, ()).item() == 24.0
    assert unbroadcast(g, (2, 1, 4)).shape == (2, 1, 4)
    assert unbroadcast(g, (2, 3, 4)) is g


# --- gradcheck ----------------------------------------------------------------------------


class _WrongSquare(Function):
    """x ** 2 with a deliberately wrong derivative for the second element."""

    def forward(self, x):
        self.x = x
        return x * x

    def backward(self, gy):
        gx = 2 * self.x * gy
        gx.reshape(-1)[1] += 1.0
        return gx


def test_gradcheck_passes_on_correct_gradients():
    x = gn.randn(3, 2, dtype=gn.float64, requires_grad=True)
    w = gn.randn(2, 4, dtype=gn.float64, requires_grad=True)
    assert gradcheck(lambda a, b: (a @ b).tanh(), [x, w])


def test_gradcheck_failure_names_the_input_and_element():
    x = gn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    c = gn.tensor([1.0, 1.0])
    with pytest.raises(GradcheckError, match=r"input 1 .*shape \(2, 2\).*element \(0, 1\)"):
        gradcheck(lambda c, x: _WrongSquare.apply(x) * c, [c, x])


def test_gradcheck_needs_an_input_that_requires_grad():
    with pytest.raises(ValueError, match="requires grad"):
        gradcheck(lambda a: a * 2, [gn.ones(2)])


# --- the Function extension point ---------------------------------------------------------


class _Cube(Function):
    def forward(self, x, scale):
        self.x, self.scale = x, scale
        return scale * x**3

    def backward(self, gy):
        return gy * 3 * self.scale * self.x**2


def test_a_user_function_with_extra_arguments():
    x = gn.tensor([1.0, -2.0], dtype=gn.float64, requires_grad=True)
    y = _Cube.apply(x, 0.5)
    assert y.grad_fn.name == "_Cube"
    assert gradcheck(lambda t: _Cube.apply(t, 0.5), [x])


def test_needs_input_grad_reports_which_inputs_need_gradients():
    seen = []

    class Probe(Function):
        def forward(self, a, b):
            return a * b

        def backward(self, gy):
            seen.append(self.needs_input_grad)
            return gy, gy

    a = gn.tensor([1.0], requires_grad=True)
    Probe.apply(a, gn.tensor([2.0])).sum().backward()
    assert seen == [(True, False)]
