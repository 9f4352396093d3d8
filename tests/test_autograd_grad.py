"""``gn.autograd.grad``, ``backward(inputs=...)``, ``autograd.backward`` on several
tensors, and the per-thread grad mode — against PyTorch on the same float64 data."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import glassnet as gn

RNG = np.random.default_rng(7)
W = RNG.standard_normal((3, 4))
X = RNG.standard_normal((5, 3))
B = RNG.standard_normal(4)


def _graph(lib, w, b):
    """A small graph with a non-leaf in the middle: h = tanh(X @ w + b), loss = sum(h^2)."""
    h = (lib.tensor(X) @ w + b).tanh()
    return h, (h * h).sum()


def _leaves(lib):
    return lib.tensor(W.copy(), requires_grad=True), lib.tensor(B.copy(), requires_grad=True)


def test_grad_of_a_scalar_matches_torch_and_leaves_grad_untouched(torch):
    w, b = _leaves(gn)
    tw, tb = _leaves(torch)
    gw, gb = gn.autograd.grad(_graph(gn, w, b)[1], [w, b])
    ew, eb = torch.autograd.grad(_graph(torch, tw, tb)[1], [tw, tb])
    np.testing.assert_allclose(gw.numpy(), ew.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gb.numpy(), eb.numpy(), rtol=1e-12)
    assert w.grad is None and b.grad is None  # nothing accumulated
    assert not gw.requires_grad and gw.dtype == gn.float64


def test_grad_with_respect_to_a_non_leaf_and_with_grad_outputs(torch):
    w, b = _leaves(gn)
    tw, tb = _leaves(torch)
    h, loss = _graph(gn, w, b)
    th, tloss = _graph(torch, tw, tb)
    (gh,) = gn.autograd.grad(loss, h, retain_graph=True)
    (eh,) = torch.autograd.grad(tloss, th, retain_graph=True)
    np.testing.assert_allclose(gh.numpy(), eh.numpy(), rtol=1e-12)
    v = RNG.standard_normal(h.shape)
    (gw,) = gn.autograd.grad(h, w, grad_outputs=gn.tensor(v))  # a vector-Jacobian product
    (ew,) = torch.autograd.grad(th, tw, grad_outputs=torch.tensor(v))
    np.testing.assert_allclose(gw.numpy(), ew.numpy(), rtol=1e-12)


def test_grad_of_several_outputs_sums_them(torch):
    w, b = _leaves(gn)
    tw, tb = _leaves(torch)
    h, loss = _graph(gn, w, b)
    th, tloss = _graph(torch, tw, tb)
    got = gn.autograd.grad([loss, h.sum() * 3.0], [b, w])
    want = torch.autograd.grad([tloss, th.sum() * 3.0], [tb, tw])
    for g, e in zip(got, want):
        np.testing.assert_allclose(g.numpy(), e.numpy(), rtol=1e-12)


def test_grad_frees_the_graph_unless_retained():
    w, b = _leaves(gn)
    loss = _graph(gn, w, b)[1]
    first = gn.autograd.grad(loss, w, retain_graph=True)[0].numpy()
    np.testing.assert_array_equal(gn.autograd.grad(loss, w)[0].numpy(), first)
    with pytest.raises(RuntimeError, match="second time"):
        gn.autograd.grad(loss, w)


def test_unused_inputs(torch):
    w, b = _leaves(gn)
    other = gn.tensor(np.ones(2), requires_grad=True)
    loss = _graph(gn, w, b)[1]
    with pytest.raises(RuntimeError, match="input 1 .* was not used.*allow_unused=True"):
        gn.autograd.grad(loss, [w, other], retain_graph=True)
    gw, none = gn.autograd.grad(loss, [w, other], allow_unused=True, retain_graph=True)
    assert none is None and gw.shape == (3, 4)
    gw2, zeros = gn.autograd.grad(loss, [w, other], materialize_grads=True)
    np.testing.assert_array_equal(zeros.numpy(), np.zeros(2))
    np.testing.assert_array_equal(gw2.numpy(), gw.numpy())
    # torch agrees that an unused input is an error by default
    tw = torch.tensor(W, requires_grad=True)
    tother = torch.ones(2, dtype=torch.float64, requires_grad=True)
    with pytest.raises(RuntimeError):
        torch.autograd.grad((tw * 2).sum(), [tw, tother])


def test_same_input_twice_and_output_that_is_an_input(torch):
    w, b = _leaves(gn)
    loss = (w * w).sum()
    g1, g2 = gn.autograd.grad(loss, [w, w])
    np.testing.assert_allclose(g1.numpy(), 2 * W)
    np.testing.assert_allclose(g2.numpy(), 2 * W)
    (g,) = gn.autograd.grad(w, w, grad_outputs=gn.ones(3, 4, dtype=gn.float64))
    np.testing.assert_array_equal(g.numpy(), np.ones((3, 4)))
    tw = torch.tensor(W, requires_grad=True)
    (tg,) = torch.autograd.grad(tw, tw, grad_outputs=torch.ones(3, 4, dtype=torch.float64))
    np.testing.assert_array_equal(g.numpy(), tg.numpy())


def test_grad_runs_a_leaf_inputs_hooks_once_on_its_whole_gradient():
    w = gn.tensor(W.copy(), requires_grad=True)
    seen = []
    w.register_hook(lambda g: seen.append(g.numpy().copy()) or g * 10)
    (g,) = gn.autograd.grad((w * 2).sum() + (w * 3).sum(), w)
    assert len(seen) == 1
    np.testing.assert_allclose(seen[0], np.full((3, 4), 5.0))
    np.testing.assert_allclose(g.numpy(), np.full((3, 4), 50.0))
    assert w.grad is None


@pytest.mark.parametrize("call,exc,message", [
    (lambda w: gn.autograd.grad((w * 2).sum(), w, create_graph=True), NotImplementedError,
     "create_graph=True is not supported"),
    (lambda w: gn.autograd.grad(w * 2, w), RuntimeError, "needs a scalar"),
    (lambda w: gn.autograd.grad((w * 2).sum(), gn.ones(3)), RuntimeError,
     "input 0 .* does not require grad"),
    (lambda w: gn.autograd.grad((w * 2).sum(), [w, np.ones(3)]), TypeError,
     "input 1 is a ndarray"),
    (lambda w: gn.autograd.grad((w * 2).sum(), []), ValueError, "inputs is empty"),
    (lambda w: gn.autograd.grad(gn.ones(3).sum(), w), RuntimeError, "does not require grad"),
    (lambda w: gn.autograd.grad(w * 2, w, grad_outputs=gn.ones(2)), ValueError,
     r"gradient shape \(2,\) does not match the tensor's shape \(3,\)"),
    (lambda w: gn.autograd.grad([w.sum(), w.sum()], w, grad_outputs=[None]), ValueError,
     "grad_outputs has 1 entries for 2 outputs"),
    (lambda w: (w * 2).sum().backward(create_graph=True), NotImplementedError, "create_graph"),
])
def test_grad_bad_calls(call, exc, message):
    w = gn.ones(3, requires_grad=True)
    with pytest.raises(exc, match=message):
        call(w)


def test_backward_with_inputs_fills_only_those(torch):
    w, b = _leaves(gn)
    tw, tb = _leaves(torch)
    h, loss = _graph(gn, w, b)
    th, tloss = _graph(torch, tw, tb)
    h.retain_grad()
    th.retain_grad()
    loss.backward(inputs=[b])
    tloss.backward(inputs=[tb])
    assert w.grad is None and tw.grad is None
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-12)
    # twice (graph retained): accumulates, as .grad always does
    w2, b2 = _leaves(gn)
    loss2 = _graph(gn, w2, b2)[1]
    loss2.backward(inputs=w2, retain_graph=True)
    loss2.backward(inputs=w2)
    tw2, tb2 = _leaves(torch)
    tloss2 = _graph(torch, tw2, tb2)[1]
    tloss2.backward(inputs=tw2, retain_graph=True)
    tloss2.backward(inputs=tw2)
    np.testing.assert_allclose(w2.grad.numpy(), tw2.grad.numpy(), rtol=1e-12)
    assert b2.grad is None


def test_autograd_backward_on_several_tensors(torch):
    w, b = _leaves(gn)
    tw, tb = _leaves(torch)
    h, loss = _graph(gn, w, b)
    th, tloss = _graph(torch, tw, tb)
    v = RNG.standard_normal(h.shape)
    gn.autograd.backward([loss, h], [None, gn.tensor(v)])
    torch.autograd.backward([tloss, th], [None, torch.tensor(v)])
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(b.grad.numpy(), tb.grad.numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="2 tensors but 1 gradients"):
        gn.autograd.backward([loss, h], [None])


def test_grad_mode_belongs_to_the_thread():
    """One thread inside no_grad() (evaluation) while another trains: the training thread
    still records its graph, and each thread's mode is back as it was afterwards."""
    w = gn.ones(3, requires_grad=True)
    inside, done = threading.Event(), threading.Event()
    seen = {}

    def evaluate():
        with gn.no_grad():
            seen["eval_records"] = (w * 2).requires_grad
            inside.set()
            done.wait(10)
        seen["eval_after"] = gn.is_grad_enabled()

    t = threading.Thread(target=evaluate)
    t.start()
    assert inside.wait(10)
    assert gn.is_grad_enabled()  # this thread's mode is untouched
    y = (w * 2).sum()
    assert y.requires_grad
    done.set()
    t.join(10)
    assert seen == {"eval_records": False, "eval_after": True}
    y.backward()
    np.testing.assert_array_equal(w.grad.numpy(), [2.0, 2.0, 2.0])


def test_a_new_thread_starts_with_grad_enabled():
    out = {}
    with gn.no_grad():
        t = threading.Thread(target=lambda: out.update(mode=gn.is_grad_enabled()))
        t.start()
        t.join(10)
        assert not gn.is_grad_enabled()
    assert out == {"mode": True}


def test_a_backward_that_drops_a_needed_gradient_is_an_error():
    """An op whose backward returns fewer gradients than it has inputs that require grad
    would leave those inputs silently without one; the engine refuses instead."""
    from glassnet.autograd import Function

    class AddForgetful(Function):
        name, formula = "add_forgetful", (1.0, 1.0)

        def forward(self, a, b):
            return a + b

        def backward(self, gy):
            return gy  # nothing for b

    a, b = gn.ones(2, requires_grad=True), gn.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"AddForgetful \(add_forgetful\) gives no gradient "
                                           r"for its input 1, which requires grad"):
        AddForgetful.apply(a, b).sum().backward()
    c = gn.ones(2)  # an input that does not require grad may go without
    AddForgetful.apply(a, c).sum().backward()
    np.testing.assert_array_equal(a.grad.numpy(), [1.0, 1.0])


def test_post_accumulate_grad_hook_runs_after_grad_is_summed(torch):
    """The hook sees the leaf with its whole .grad (both uses added); an optimizer step in
    it (PyTorch's optimizer-in-backward pattern) gives the same weights as torch's."""
    results = []
    for L in (gn, torch):
        w = L.tensor(W.copy(), requires_grad=True)
        seen = []

        def hook(p, seen=seen, L=L):
            seen.append(p.grad.numpy().copy())
            with L.no_grad():
                p -= 0.1 * p.grad
            p.grad = None

        handle = w.register_post_accumulate_grad_hook(hook)
        ((w * 2).sum() + (w ** 2).sum()).backward()
        handle.remove()
        ((w * 2).sum()).backward()  # no hook now: the gradient stays in .grad
        results.append((seen, w.detach().numpy().copy(), w.grad.numpy().copy()))
    (gs, gw, gg), (ts, tw, tg) = results
    assert len(gs) == len(ts) == 1
    np.testing.assert_allclose(gs[0], ts[0], rtol=1e-12)
    np.testing.assert_allclose(gw, tw, rtol=1e-12)
    np.testing.assert_allclose(gg, tg, rtol=1e-12)
    h = gn.tensor([1.0], requires_grad=True) * 2
    with pytest.raises(RuntimeError, match="only leaf tensors"):
        h.register_post_accumulate_grad_hook(lambda p: None)
