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
                                                      r"it was changed in place after"):
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


@pytest.mark.parametrize("opt", ["SGD", "Adam", "RMSprop", "Adagrad", "custom"])
def test_every_optimizer_step_marks_its_writes(torch, opt):
    # built-in steps bump versions themselves; a user's subclass is wrapped to do it
    class Plain(gn.optim.Optimizer):
        def __init__(self, params):
            super().__init__(params, dict(lr=0.1))

        def step(self, closure=None):
            for group in self.param_groups:
                for p in group["params"]:
                    p.data -= group["lr"] * p.grad.data

    w = gn.tensor([1.0, 2], requires_grad=True)
    y = (w * gn.tensor([3.0, 4], requires_grad=True)).sum()
    y.backward(retain_graph=True)
    o = Plain([w]) if opt == "custom" else getattr(gn.optim, opt)([w], lr=0.1)
    o.step()
    assert w._version == 1
    with pytest.raises(RuntimeError, match=MODIFIED + r".*at version 1"):
        y.backward()
    # a graph built after the step is fine, and a write before the forward pass is too
    w.grad = None
    with gn.no_grad():
        w += 1
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), 2 * w.detach().numpy())


def test_a_write_checked_once_is_not_blamed_again_and_a_later_one_is(torch):
    w = gn.tensor([1.0, 2], requires_grad=True)
    x = gn.tensor([3.0, 4])
    y = (w + x).sum()  # add saves nothing: x may change
    z = (w * x).sum()  # mul saves x: it may not
    x += 1
    y.backward(retain_graph=True)
    y.backward()
    assert w.grad.tolist() == [2.0, 2.0]
    with pytest.raises(RuntimeError, match=MODIFIED + r".*input 1 of mul"):
        z.backward()


@pytest.mark.parametrize("x_shape,w_shape,b_shape,fragment", [
    ((3, 2), (4, 2), (1,), r"bias must have shape \(4,\), got \(1,\)"),
    ((3, 2), (4, 2), (4, 1), r"bias must have shape \(4,\)"),
    ((), (4, 2), (4,), r"input of shape \(\) does not match weight of shape \(4, 2\)"),
    ((3, 3), (4, 2), None, r"input of shape \(3, 3\).*expected input shape \(\*, 2\)"),
    ((3, 2), (2,), None, r"weight must be 2-D"),
    ((3, 2), (1, 4, 2), None, r"weight must be 2-D"),
])
def test_linear_refuses_shapes_that_numpy_would_broadcast(x_shape, w_shape, b_shape, fragment):
    x, w = gn.zeros(x_shape), gn.zeros(w_shape)
    b = None if b_shape is None else gn.zeros(b_shape)
    with pytest.raises(ValueError, match="linear: " + fragment):
        gn.nn.functional.linear(x, w, b)


def test_linear_refuses_a_bias_of_another_dtype():
    x, w = gn.zeros((3, 2)), gn.zeros((4, 2))
    with pytest.raises(TypeError, match="bias dtype float64"):
        gn.nn.functional.linear(x, w, gn.zeros(4, dtype=gn.float64))
    with pytest.raises(TypeError, match="input dtype float64 does not match weight"):
        gn.nn.functional.linear(x.double(), w)
    with pytest.raises(ValueError, match=r"Linear\(in_features=2.*expected input of shape"):
        gn.nn.Linear(2, 4)(gn.zeros((3, 5)))


def _through_a_view(lib):
    w = lib.tensor([1.0, 2, 3], requires_grad=True)
    x = lib.ones(3)
    y = (w * x).sum()
    v = x[0:2]
    v += 1
    return y


def _through_detach(lib):
    w = lib.tensor([1.0, 2, 3], requires_grad=True)
    y = (w * w).sum()
    w.detach().zero_()
    return y


def _transposed_weight_then_step(lib):
    W = lib.tensor([[1.0, 2], [3, 4]], requires_grad=True)
    x = lib.tensor([[1.0, 1]], requires_grad=True)
    y = (x @ W.T).sum()
    y.backward(retain_graph=True)
    lib.optim.SGD([W], lr=0.1).step()
    return y


@pytest.mark.parametrize("change", [_through_a_view, _through_detach,
                                    _transposed_weight_then_step])
def test_a_write_through_another_tensor_sharing_saved_memory_refuses(torch, change):
    for lib in (torch, gn):
        y = change(lib)
        with pytest.raises(RuntimeError, match=MODIFIED) as e:
            y.backward()
        if lib is gn:
            assert "saved for its backward" in str(e.value)


def test_a_write_to_memory_the_op_did_not_save_is_allowed():
    # precise where PyTorch's shared version counter is not: the saved half is unchanged
    w = gn.tensor([1.0, 2], requires_grad=True)
    x = gn.ones(4)
    y = (w * x[0:2]).sum()
    v = x[2:4]
    v += 1
    y.backward()
    assert w.grad.tolist() == [1.0, 1.0]


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


# --- 3, 4, 5: NaN or errors where PyTorch gives numbers ------------------------------------
def _grad(lib, f, x):
    x = lib.tensor(x, dtype=lib.float64, requires_grad=True)
    y = f(x)
    y.backward()
    return np.asarray(y.tolist()), np.asarray(x.grad.tolist())


def _ce_all_ignored(x):
    lib = gn if isinstance(x, gn.Tensor) else __import__("torch")
    return lib.nn.functional.cross_entropy(x, lib.tensor([-100, -100]))


@pytest.mark.filterwarnings("ignore:var|std")
@pytest.mark.parametrize("name,f,x", [
    ("cross_entropy all ignored", lambda x: _ce_all_ignored(x), np.ones((2, 3))),
    ("norm of zeros", lambda x: x.norm(), np.zeros(2)),
    ("norm over a dim", lambda x: x.norm(dim=1).sum(), np.array([[0.0, 0], [3, 4]])),
    ("x ** 0 at 0", lambda x: (x ** 0).sum(), np.zeros(2)),
    ("std of a constant", lambda x: x.std(), np.ones(3)),
    ("penalty on a zero bias", lambda x: 0.01 * x.norm() + x.sum(), np.zeros(4)),
    ("var over a size-1 dim", lambda x: x.var(dim=0).sum(), np.ones((1, 3))),
    ("std of one value", lambda x: x.std(), np.ones(1)),
])
def test_gradients_where_pytorch_defines_them(torch, name, f, x):
    gy, gg = _grad(gn, f, x)
    ty, tg = _grad(torch, f, x)
    np.testing.assert_allclose(gy, ty, equal_nan=True, err_msg=name)
    np.testing.assert_allclose(gg, tg, equal_nan=True, err_msg=name)


# --- 6: bitwise operators ---------------------------------------------------------------
def test_bitwise_operators_on_integers_and_bools(torch):
    a, b = [5, 6, 12], [3, 3, 10]
    for op in (lambda x, y: x & y, lambda x, y: x | y, lambda x, y: x ^ y,
               lambda x, y: ~x, lambda x, y: x & 6, lambda x, y: 6 | y):
        assert op(gn.tensor(a), gn.tensor(b)).tolist() == \
            op(torch.tensor(a), torch.tensor(b)).tolist()
    m, n = [True, False, True], [True, True, False]
    for op in (lambda x, y: x & y, lambda x, y: x | y, lambda x, y: x ^ y, lambda x, y: ~x):
        assert op(gn.tensor(m), gn.tensor(n)).tolist() == \
            op(torch.tensor(m), torch.tensor(n)).tolist()
    with pytest.raises(TypeError, match="bitwise_and: only integer and bool"):
        gn.ones(2) & gn.ones(2)


# --- 8: recurrent layers refuse an empty sequence -----------------------------------------
@pytest.mark.parametrize("layer", ["RNN", "LSTM", "GRU"])
def test_recurrent_layers_refuse_an_empty_sequence(torch, layer):
    with pytest.raises(RuntimeError, match="sequence length to be larger than 0"):
        getattr(torch.nn, layer)(4, 5)(torch.randn(0, 2, 4))
    with pytest.raises(RuntimeError, match="sequence length to be larger than 0"):
        getattr(gn.nn, layer)(4, 5)(gn.randn(0, 2, 4))
    with pytest.raises(RuntimeError, match=r"larger than 0 .*\(2, 0, 4\)"):
        getattr(gn.nn, layer)(4, 5, batch_first=True)(gn.randn(2, 0, 4))


# --- 9: a view is a view, or PyTorch's error -----------------------------------------------
def test_view_of_a_non_contiguous_tensor_refuses_and_views_share_memory(torch):
    with pytest.raises(RuntimeError, match="view size is not compatible"):
        torch.arange(6.0).reshape(2, 3).t().view(6)
    x = gn.arange(6.0).reshape(2, 3)
    with pytest.raises(RuntimeError, match=r"view size is not compatible.*Use .reshape"):
        x.t().view(6)
    assert x.t().reshape(6).tolist() == [0, 3, 1, 4, 2, 5]
    v = x.view(3, 2)
    v[0, 1] = 100.0
    assert x[0, 1].item() == 100.0  # written through the view


# --- 10: small PyTorch differences ----------------------------------------------------------
def test_zero_dim_reductions_empty_amax_and_int_to_default_float(torch):
    for lib in (torch, gn):
        x = lib.tensor(3.0, requires_grad=True)
        y = x.sum(dim=0) + x.mean(dim=0) + x.sum(dim=-1, keepdim=True)
        y.backward()
        assert tuple(y.shape) == () and y.item() == 9.0 and x.grad.item() == 3.0
        assert tuple(lib.zeros(0, 3).amax(dim=1).shape) == (0,)
        assert tuple(lib.zeros(0, 3).max(dim=1)[0].shape) == (0,)
    for f in (lambda L, t: t.exp(), lambda L, t: t.sqrt(), lambda L, t: t.sigmoid(),
              lambda L, t: t.log(), lambda L, t: t.sin(),
              lambda L, t: L.where(t > 1, t, 0.5)):
        assert str(f(gn, gn.tensor([1, 2])).dtype).split(".")[-1] == \
            str(f(torch, torch.tensor([1, 2])).dtype).split(".")[-1] == "float32"
