"""In-place ops on tensors in a graph, and with operands that require grad, against PyTorch.

PyTorch records ``y += x``, ``y.relu_()``, ``acc.add_(x)``, ``buf.copy_(x)`` and friends;
glassnet records them the same way (``glassnet._inplace.record_inplace``). Each case runs
the same code with both libraries and compares the values and gradients, or, where
PyTorch refuses, that glassnet refuses too.
"""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn

X = [[1.0, -2.0, 0.5], [3.0, 4.0, -0.25]]
W = [[0.5, -1.0, 2.0], [2.0, 0.25, -0.75]]
C = [[1.0, 2.0, 3.0], [5.0, 7.0, 11.0]]


def _run(lib, case):
    x = lib.tensor(X, dtype=lib.float64, requires_grad=True)
    w = lib.tensor(W, dtype=lib.float64, requires_grad=True)
    c = lib.tensor(C, dtype=lib.float64)
    out = case(lib, x, w)
    loss = (out * c).sum()
    loss.backward()
    return out.detach().numpy(), x.grad, w.grad


def _grad(g):
    return None if g is None else np.asarray(g.detach().numpy())


def _iadd_after_linear(lib, x, w):
    y = x * w
    y += x
    return y


def _chain(lib, x, w):
    y = x * 2 + w
    y -= w * 3
    y *= x
    y /= w + 5
    return y


def _methods(lib, x, w):
    y = x + w
    y.add_(x, alpha=2).mul_(w).sub_(1.5).div_(w.abs() + 1)
    y.clamp_(-3, 3)
    y.tanh_()
    return y


def _activation_methods(lib, x, w):
    y = x * w
    y.sigmoid_()
    z = x - w
    z.relu_()
    return y + z


def _functional_inplace(lib, x, w):
    y = x * w
    lib.nn.functional.relu_(y)
    z = x + w
    lib.nn.functional.leaky_relu_(z, 0.1)
    return y * z


def _into_a_constant(lib, x, w):
    acc = lib.zeros(2, 3, dtype=lib.float64)
    acc += x
    acc.mul_(w)
    acc.add_(x * x)
    return acc


def _accumulate_in_a_loop(lib, x, w):
    total = lib.zeros((), dtype=lib.float64)
    for k in range(3):
        total += (x * (k + 1) + w).sum()
    return total * lib.ones(2, 3, dtype=lib.float64)


def _self_operand(lib, x, w):
    y = x * w
    y += y
    y.add_(y, alpha=0.5)
    return y


def _copy_and_fill(lib, x, w):
    buf = lib.zeros(2, 3, dtype=lib.float64)
    buf.copy_(x * 2)
    other = x * w
    other.copy_(w[0])  # broadcast row, old values get no gradient
    z = x + 1
    z.zero_()
    v = x * 3
    v.fill_(w[1, 2])
    return buf + other + z + v


def _copy_casts(lib, x, w):
    buf = lib.zeros(2, 3)  # float32
    buf.copy_(x)
    return buf.double() * w


def _float32_target_float64_operand(lib, x, w):
    y = (x * w).float()
    y += x  # float64 operand, the float32 tensor keeps its dtype
    return y.double()


def _earlier_use_sees_old_version(lib, x, w):
    y = x * w
    s = y.sigmoid()  # saves its output, not y
    t = y.sum(1, keepdim=True)
    y.add_(x)
    y.mul_(3)
    return s + t + y


def _scaled_before_the_change(lib, x, w):
    y = x * 3
    z = y * 2  # a product with a number keeps nothing of y
    y.add_(w)
    y.mul_(5)
    return z + y * 7


def _retain_grad_follows(lib, x, w):
    y = x * w
    y.retain_grad()
    y += x
    _retain_grad_follows.kept = y
    return y * y


def _setitem_then_earlier_use(lib, x, w):
    y = x * 2
    s = y.sum(0)
    y[1] = w[0]
    return y * 3 + s


def _buffer_slice_accumulate(lib, x, w):
    buf = lib.zeros(2, 5, dtype=lib.float64)
    buf[:, 1:4] += x
    buf[:, :3] += w
    return buf[:, :3] * buf[:, 2:]


def _no_grad_write(lib, x, w):
    y = x * w
    with lib.no_grad():
        y += 1  # not recorded: the gradient is that of x * w
    return y


CASES = [_iadd_after_linear, _chain, _methods, _activation_methods, _functional_inplace,
         _into_a_constant, _accumulate_in_a_loop, _self_operand, _copy_and_fill, _copy_casts,
         _float32_target_float64_operand, _earlier_use_sees_old_version,
         _scaled_before_the_change,
         _retain_grad_follows, _setitem_then_earlier_use, _buffer_slice_accumulate,
         _no_grad_write]


@pytest.mark.parametrize("case", CASES, ids=[c.__name__.lstrip("_") for c in CASES])
def test_inplace_in_a_graph_matches_pytorch(torch, case):
    out_t, gx_t, gw_t = _run(torch, case)
    kept_t = getattr(case, "kept", None)
    out_g, gx_g, gw_g = _run(gn, case)
    np.testing.assert_allclose(out_g, out_t, rtol=1e-6, atol=1e-12)
    for mine, ref, name in ((gx_g, gx_t, "x"), (gw_g, gw_t, "w")):
        assert (mine is None) == (ref is None), name
        if ref is not None:
            np.testing.assert_allclose(_grad(mine), _grad(ref), rtol=1e-6, atol=1e-12,
                                       err_msg=f"gradient of {name}")
    if kept_t is not None:  # retain_grad on the changed tensor: the new version's gradient
        np.testing.assert_allclose(_grad(case.kept.grad), _grad(kept_t.grad), rtol=1e-9)


def test_inplace_ops_pass_gradcheck():
    def f(x, w):
        y = x * w
        y += x
        y.sigmoid_()
        acc = gn.zeros(x.shape, dtype=x.dtype)
        acc.add_(y, alpha=2)
        acc *= w
        return acc

    x = gn.tensor(X, dtype=gn.float64, requires_grad=True)
    w = gn.tensor(W, dtype=gn.float64, requires_grad=True)
    assert gn.autograd.gradcheck(f, (x, w))


def _refusals():
    def leaf(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x += 1

    def saved_output(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x.exp()
        y += 1
        y.sum().backward()

    def saved_input(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        z = y * y  # saves y
        y.add_(1)
        z.sum().backward()

    def view_of_leaf(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        x[0:1].mul_(2)

    def shape(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * 1
        y.add_(lib.ones(3, 2))

    def int_target(lib):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = lib.zeros(2, dtype=lib.int64)
        y.add_(x)

    return {"leaf": leaf, "saved_output": saved_output, "saved_input": saved_input,
            "view_of_leaf": view_of_leaf, "shape": shape, "int_target": int_target}


@pytest.mark.parametrize("name", sorted(_refusals()))
def test_refused_where_pytorch_refuses(torch, name):
    case = _refusals()[name]
    with pytest.raises((RuntimeError, TypeError)) as ref:
        case(torch)
    with pytest.raises(type(ref.value)):
        case(gn)


def _through_a_view(lib, x, w):
    y = x * w
    y[:, 1] += x[:, 0]  # runs += on the view y[:, 1], then writes it back
    row = y[0]
    row.mul_(w[1])  # a view changed by a method: y sees it and records it
    return y * 2


def test_a_change_through_an_indexed_view_reaches_the_base(torch):
    out_t, gx_t, gw_t = _run(torch, _through_a_view)
    out_g, gx_g, gw_g = _run(gn, _through_a_view)
    np.testing.assert_allclose(out_g, out_t, rtol=1e-12)
    np.testing.assert_allclose(_grad(gx_g), _grad(gx_t), rtol=1e-12)
    np.testing.assert_allclose(_grad(gw_g), _grad(gw_t), rtol=1e-12)


@pytest.mark.parametrize("make", [lambda y: y.reshape(6), lambda y: y.t(),
                                  lambda y: y[1:][0]])
def test_other_views_of_a_graph_tensor_are_refused_with_a_clear_message(make):
    # PyTorch rebases the base's graph; glassnet refuses rather than give a wrong gradient
    x = gn.tensor(X, requires_grad=True)
    y = x * 2
    v = make(y)
    with pytest.raises(RuntimeError, match=r"\+=: in-place change of a view of a tensor in "
                                           r"the graph \(made by \w+\)"):
        v += 1


def test_a_view_made_before_the_change_is_refused_at_backward():
    # v shows y's new values (it shares y's memory); sending its gradient to the old
    # version would be wrong, so backward refuses with PyTorch's message
    x = gn.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    y = x * 2
    v = y[1]
    y.mul_(3)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        v.sum().backward()


def test_the_changed_tensor_keeps_its_identity_and_storage():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    arr, version = y.data, y._version
    z = y.add_(1)
    assert z is y and y.data is arr and y._version == version + 1
    assert y.requires_grad and not y.is_leaf
    d = y.detach()  # shares memory: sees later changes
    y.mul_(2)
    np.testing.assert_array_equal(d.numpy(), [6.0, 10.0])


def test_fill_refuses_a_value_with_dimensions():
    y = gn.tensor([1.0, 2.0], requires_grad=True) * 1
    with pytest.raises(RuntimeError, match="0-dimensional"):
        y.fill_(gn.tensor([1.0]))
    with pytest.raises(RuntimeError, match=r"copy_\(\): a value of shape \[3\] cannot be"):
        gn.zeros(2).copy_(gn.ones(3))
