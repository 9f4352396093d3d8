"""The silent-wrong-number defects: each case is compared with PyTorch on the same inputs
(float64), or with PyTorch's error."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn

MODIFIED = "modified by an inplace operation"


# --- 1: version counter -------------------------------------------------------------------
def _mul_then(lib, change):
    w = lib.tensor([1.0, 2, 3], requires_grad=True)
    x = lib.ones(3, requires_grad=change is _leaf_no_grad)  # so that mul saves w
    y = (w * x).sum()
    change(lib, w, x, y)
    y.backward()
    return w.grad


def _add(lib, w, x, y):
    x += 10


def _set(lib, w, x, y):
    x[0] = 100


def _leaf_no_grad(lib, w, x, y):
    with lib.no_grad():
        w -= 1


@pytest.mark.parametrize("change", [_add, _set, _leaf_no_grad])
def test_inplace_change_of_a_saved_input_refuses_like_pytorch(torch, change):
    with pytest.raises(RuntimeError, match=MODIFIED):
        _mul_then(torch, change)
    with pytest.raises(RuntimeError, match=MODIFIED + r".*input [01] of mul.*version 1; "
                                                      r"expected version 0"):
        _mul_then(gn, change)


@pytest.mark.parametrize("before_consumer", [True, False])
def test_inplace_change_of_a_saved_output_names_the_op(torch, before_consumer):
    for lib in (torch, gn):
        w = lib.tensor([1.0, 2, 3], requires_grad=True)
        y = w.exp()
        z = None if before_consumer else y.sum()
        with lib.no_grad():
            y *= 0
        z = y.sum() if before_consumer else z
        with pytest.raises(RuntimeError, match=MODIFIED) as e:
            z.backward()
        if lib is gn:
            assert "output 0 of exp" in str(e.value)


def test_unsaved_inputs_may_change_and_optimizer_steps_count(torch):
    for lib in (torch, gn):  # add saves nothing: PyTorch lets this through
        w = lib.tensor([1.0, 2, 3], requires_grad=True)
        x = lib.ones(3)
        y = (w + x).sum()
        x += 10
        y.backward()
        assert w.grad.tolist() == [1.0, 1.0, 1.0]
    for lib in (torch, gn):  # an optimizer step writes the parameters in place
        w = lib.tensor([1.0, 2], requires_grad=True)
        y = (w * lib.tensor([3.0, 4], requires_grad=True)).sum()
        y.backward(retain_graph=True)
        lib.optim.SGD([w], lr=0.1).step()
        with pytest.raises(RuntimeError, match=MODIFIED):
            y.backward()


# --- 2: setitem records index_put ------------------------------------------------------
def test_setitem_of_a_tensor_that_requires_grad_records_the_op(torch):
    grads = []
    for lib in (torch, gn):
        w = lib.tensor([2.0, 3], dtype=lib.float64, requires_grad=True)
        b = lib.zeros(4, dtype=lib.float64)
        b[1:3] = w * 2
        assert b.requires_grad
        ((b * b).sum() + w.sum()).backward()
        grads.append(np.asarray(w.grad.tolist()))
    np.testing.assert_allclose(grads[1], grads[0])
    assert grads[1].tolist() == [17.0, 25.0]


def test_setitem_broadcast_value_and_into_a_graph_tensor(torch):
    rng = np.random.default_rng(0)
    a, v, s = rng.standard_normal((3, 4)), rng.standard_normal(4), rng.standard_normal(1)
    out = []
    for lib in (torch, gn):
        A = lib.tensor(a, requires_grad=True)
        V = lib.tensor(v, requires_grad=True)
        S = lib.tensor(s, requires_grad=True)
        b = A * 1.5  # a non-leaf in the graph
        b[1] = V  # a row
        b[:, 2] = S  # a broadcast scalar
        (b.sin() * lib.tensor(np.arange(12.0).reshape(3, 4))).sum().backward()
        out.append([np.asarray(t.grad.tolist()) for t in (A, V, S)])
    for g, t in zip(out[1], out[0]):
        np.testing.assert_allclose(g, t, rtol=1e-12)


def test_setitem_into_a_leaf_that_requires_grad_refuses():
    w = gn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
        w[0] = gn.ones(1, requires_grad=True)[0]


# --- 7: retain_grad accumulates --------------------------------------------------------
def test_retain_grad_accumulates_over_backward_calls(torch):
    out = []
    for lib in (torch, gn):
        x = lib.tensor([1.0, 2], requires_grad=True)
        y = x * 2
        y.retain_grad()
        z = (y * y).sum()
        z.backward(retain_graph=True)
        z.backward()
        out.append(y.grad.tolist())
    assert out[1] == out[0] == [8.0, 16.0]
