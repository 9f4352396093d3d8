"""Module hooks (forward pre-hooks, forward hooks, full backward hooks and pre-hooks) and
tensor hooks, checked against PyTorch running the same code on the same weights: what each
hook sees, what replacing a value does, the order hooks run in, and removal."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import glassnet as gn


def _arr(t):
    if isinstance(t, gn.Tensor):
        return np.array(t.data)
    return t.detach().numpy().copy()


def _mlp(lib):
    nn = lib.nn
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    return m.double() if lib is not gn else m.to(np.float64)


def _twin_models(torch):
    g, t = _mlp(gn), _mlp(torch)
    g.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return g, t


X = np.random.default_rng(0).standard_normal((5, 3))


def _run(lib, model, setup, x_requires_grad=False):
    """Register hooks with ``setup(lib, model, log)``, run forward and backward, and return
    the log, the output and the first weight's gradient."""
    log = []
    handles = setup(lib, model, log)
    x = lib.tensor(X, requires_grad=x_requires_grad)  # float64 in both libraries
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        y = model(x)
        (y * y).sum().backward()
    gx = _arr(x.grad) if x_requires_grad else None
    return log, _arr(y), _arr(model[0].weight.grad), gx, handles


def _compare(torch, setup, x_requires_grad=False):
    g, t = _twin_models(torch)
    a = _run(gn, g, setup, x_requires_grad)
    b = _run(torch, t, setup, x_requires_grad)
    assert len(a[0]) == len(b[0]), (a[0], b[0])
    for (ka, va), (kb, vb) in zip(a[0], b[0]):
        assert ka == kb
        if va is None or vb is None:
            assert va is None and vb is None, (ka, va, vb)
        else:
            np.testing.assert_allclose(va, vb, rtol=1e-12, atol=1e-12, err_msg=ka)
    for i in (1, 2, 3):
        if a[i] is not None:
            np.testing.assert_allclose(a[i], b[i], rtol=1e-12, atol=1e-12)
    return a, b


def test_forward_pre_hook_replaces_input(torch):
    def setup(lib, m, log):
        def pre(mod, args):
            log.append(("in", _arr(args[0])))
            return args[0] * 2  # a single value is wrapped in a tuple

        return [m[2].register_forward_pre_hook(pre)]

    _compare(torch, setup)


def test_forward_hook_replaces_output_and_sees_inputs(torch):
    def setup(lib, m, log):
        def fwd(mod, args, out):
            log.append(("args", _arr(args[0])))
            log.append(("out", _arr(out)))
            return out - 1

        return [m[0].register_forward_hook(fwd)]

    _compare(torch, setup)


def test_with_kwargs_and_prepend_order(torch):
    def setup(lib, m, log):
        def pre_kw(mod, args, kwargs):
            log.append(("pre_kw", np.array(len(kwargs))))
            return (args[0] + 1,), kwargs

        def first(mod, args, out):
            log.append(("first", np.array(1.0)))

        def second(mod, args, kwargs, out):
            log.append(("second", _arr(out)))
            return out * 3

        return [m[2].register_forward_pre_hook(pre_kw, with_kwargs=True),
                m[2].register_forward_hook(second, with_kwargs=True),
                m[2].register_forward_hook(first, prepend=True)]

    _compare(torch, setup)


def test_full_backward_hook_sees_grads_and_replaces_grad_input(torch):
    def setup(lib, m, log):
        def watch(mod, gin, gout):
            log.append(("gin", None if gin[0] is None else _arr(gin[0])))
            log.append(("gout", _arr(gout[0])))

        def scale(mod, gin, gout):
            return (gin[0] * 3,)

        return [m[2].register_full_backward_hook(watch), m[1].register_full_backward_hook(scale),
                m[0].register_full_backward_hook(watch)]

    # The first layer's input needs no gradient (grad_input (None,)), then one that does.
    _compare(torch, setup)
    _compare(torch, setup, x_requires_grad=True)


def test_backward_pre_hook_replaces_grad_output(torch):
    def setup(lib, m, log):
        def pre(mod, gout):
            log.append(("gout", _arr(gout[0])))
            return (gout[0] * 0.5,)

        def after(mod, gin, gout):
            log.append(("gout_seen_by_full_hook", _arr(gout[0])))

        return [m[2].register_full_backward_pre_hook(pre),
                m[2].register_full_backward_hook(after)]

    _compare(torch, setup, x_requires_grad=True)


def test_removed_hooks_do_not_run(torch):
    def setup(lib, m, log):
        h1 = m[0].register_forward_hook(lambda mod, a, o: o * 100)
        h2 = m[2].register_full_backward_hook(lambda mod, gi, go: (gi[0] * 0,))
        h1.remove()
        h2.remove()
        h2.remove()  # removing twice is harmless
        return []

    _compare(torch, setup)
    g, _t = _twin_models(torch)
    before = g(gn.tensor(X)).data
    with g[2].register_forward_hook(lambda mod, a, o: o * 0):  # a context manager too
        np.testing.assert_array_equal(g(gn.tensor(X)).data, np.zeros((5, 2)))
    assert not g[2]._has_hooks
    np.testing.assert_array_equal(g(gn.tensor(X)).data, before)


class _Two(gn.nn.Module):
    """A module with two tensor inputs, a non-tensor argument and two outputs."""

    def forward(self, a, scale, b):
        return a * b * scale, (a - b).exp()


def _two(lib):
    if lib is gn:
        return _Two()

    class TwoTorch(lib.nn.Module):
        def forward(self, a, scale, b):
            return a * b * scale, (a - b).exp()

    return TwoTorch()


@pytest.mark.parametrize("b_requires_grad", [True, False])
def test_backward_hook_several_inputs_and_outputs(torch, b_requires_grad):
    rng = np.random.default_rng(1)
    A, B = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    seen = {}
    for lib in (gn, torch):
        m = _two(lib)
        log = seen[lib.__name__] = []

        def hook(mod, gin, gout, log=log):
            log.append([None if g is None else _arr(g) for g in gin])
            log.append([None if g is None else _arr(g) for g in gout])

        m.register_full_backward_hook(hook)
        a = lib.tensor(A, requires_grad=True)
        b = lib.tensor(B, requires_grad=b_requires_grad)
        y1, y2 = m(a, 2.0, b)
        (y1.sum() + (y2 * y2).sum()).backward()
        log.append([_arr(a.grad)])
    for got, want in zip(seen["glassnet"], seen["torch"]):
        assert len(got) == len(want)
        for u, v in zip(got, want):
            assert (u is None) == (v is None)
            if u is not None:
                np.testing.assert_allclose(u, v, rtol=1e-12)


def test_hooks_under_no_grad_and_always_call():
    m = gn.nn.Linear(2, 2)
    calls = []
    m.register_full_backward_hook(lambda mod, gi, go: calls.append("bw"))
    m.register_forward_hook(lambda mod, a, o: calls.append("fwd"), always_call=True)
    with gn.no_grad():
        y = m(gn.ones(1, 2))
    assert not y.requires_grad and calls == ["fwd"]

    class Boom(gn.nn.Module):
        def forward(self, x):
            raise ValueError("boom")

    b = Boom()
    b.register_forward_hook(lambda mod, a, o: calls.append(("after error", o)), always_call=True)
    b.register_forward_hook(lambda mod, a, o: calls.append("never"))
    with pytest.raises(ValueError, match="boom"):
        b(gn.ones(1))
    assert calls[-1] == ("after error", None)


def test_hook_errors_are_clear():
    m = gn.nn.Linear(2, 2)
    with pytest.raises(TypeError, match="callable"):
        m.register_forward_hook(3)
    m.register_full_backward_hook(lambda mod, gi, go: (gi[0], gi[0]))
    with pytest.raises(RuntimeError, match="returned 2 gradients, expected 1"):
        m(gn.ones(1, 2, requires_grad=True)).sum().backward()
    m2 = gn.nn.Linear(2, 2)
    m2.register_forward_pre_hook(lambda mod, a, k: "bad", with_kwargs=True)
    with pytest.raises(RuntimeError, match="new_args, new_kwargs"):
        m2(gn.ones(1, 2))


def test_hooked_module_keeps_working_in_a_training_loop(torch):
    """Gradients with backward hooks that return None equal those without hooks."""
    g, _t = _twin_models(torch)
    g2, _ = _twin_models(torch)
    g2.load_state_dict(g.state_dict())
    for layer in g2:
        layer.register_full_backward_hook(lambda mod, gi, go: None)
        layer.register_forward_hook(lambda mod, a, o: None)
    x = gn.tensor(X, dtype=np.float64, requires_grad=True)
    for model in (g, g2):
        (model(x) ** 2).sum().backward()
    for p, q in zip(g.parameters(), g2.parameters()):
        np.testing.assert_array_equal(p.grad.data, q.grad.data)


# --- tensor hooks -------------------------------------------------------------------------


def test_tensor_hooks_match_pytorch(torch):
    results = {}
    for lib in (gn, torch):
        log = []
        x = lib.tensor(np.array([1.0, 2.0, 3.0]), requires_grad=True)
        h1 = x.register_hook(lambda g, log=log: log.append(("x", _arr(g))))
        y = x * 2
        h2 = y.register_hook(lambda g: g * 10)
        y.retain_grad()
        z = (y * y).sum() + (x * x).sum()  # x is used twice: its hook sees the total once
        z.backward(retain_graph=True)
        log.append(("x.grad", _arr(x.grad)))
        log.append(("y.grad", _arr(y.grad)))
        h1.remove()
        h2.remove()
        x.grad = None
        z.backward()  # hooks removed: the plain gradient
        log.append(("x.grad again", _arr(x.grad)))
        results[lib.__name__] = log
    for (ka, a), (kb, b) in zip(results["glassnet"], results["torch"]):
        assert ka == kb
        np.testing.assert_allclose(a, b)
    assert len(results["glassnet"]) == len(results["torch"]) == 4


def test_hook_on_intermediate_that_went_out_of_scope():
    """A hook registered inside a forward on a local tensor still runs (it lives on the
    node that made the tensor)."""
    grads = []

    class Net(gn.nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = gn.nn.Linear(3, 2)

        def forward(self, x):
            h = self.lin(x)
            h.register_hook(lambda g: grads.append(g.shape))
            return h.tanh()

    Net()(gn.ones(4, 3)).sum().backward()
    assert grads == [(4, 2)]


def test_tensor_hook_errors():
    with pytest.raises(RuntimeError, match="does not require grad"):
        gn.ones(2).register_hook(lambda g: g)
    x = gn.ones(2, requires_grad=True)
    x.register_hook(lambda g: gn.ones(3))
    with pytest.raises(RuntimeError, match="shape"):
        (x * 2).sum().backward()
    y = gn.ones(2, requires_grad=True) * 3
    y.sum().backward()
    with pytest.raises(RuntimeError, match="freed"):
        y.register_hook(lambda g: g)


def test_leaf_hook_on_backward_of_the_leaf_itself_and_cleanup():
    import gc

    from glassnet import autograd

    x = gn.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: g * 5)
    x.backward(gn.tensor([1.0, 1.0]))
    np.testing.assert_array_equal(x.grad.data, [5.0, 5.0])
    n = len(autograd._leaf_hooks)
    del x
    gc.collect()
    assert len(autograd._leaf_hooks) == n - 1  # a dead tensor's hooks are dropped
