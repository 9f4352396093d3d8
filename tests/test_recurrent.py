"""Recurrent layers against PyTorch with copied weights (float64), plus finite differences.

One table drives the layer checks: mode (RNN tanh/relu, LSTM, GRU) x layers x direction
x batch_first x initial state x variable length (none, ``lengths=``, PackedSequence).
Each case compares the output, the final states and every gradient: input, initial
states and all weights.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import glassnet as gn
from glassnet.nn.utils_rnn import pack_padded_sequence, pad_packed_sequence
from glassnet.ops.recurrent import rnn_layer

torch = pytest.importorskip("torch")
tnn = torch.nn
trnn = torch.nn.utils.rnn

MODES = {
    # name: (glassnet class, torch class, extra kwargs, has cell state)
    "rnn_tanh": (gn.nn.RNN, tnn.RNN, {"nonlinearity": "tanh"}, False),
    "rnn_relu": (gn.nn.RNN, tnn.RNN, {"nonlinearity": "relu"}, False),
    "lstm": (gn.nn.LSTM, tnn.LSTM, {}, True),
    "gru": (gn.nn.GRU, tnn.GRU, {}, False),
}
T, N, I, H = 5, 3, 4, 3
LENGTHS = [5, 2, 4]  # unsorted on purpose
SHORT_LENGTHS = [3, 1, 2]  # longest shorter than the padded batch


def make_pair(mode, num_layers=1, bidirectional=False, batch_first=False, bias=True, seed=0):
    g_cls, t_cls, kw, _ = MODES[mode]
    torch.manual_seed(seed)
    t = t_cls(I, H, num_layers=num_layers, bidirectional=bidirectional,
              batch_first=batch_first, bias=bias, **kw).double()
    g = g_cls(I, H, num_layers=num_layers, bidirectional=bidirectional,
              batch_first=batch_first, bias=bias, dtype=np.float64, **kw)
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    g.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return g, t


def close(a, b, what, atol=1e-10):
    a = np.asarray(a.data if isinstance(a, gn.Tensor) else a)
    b = b.detach().numpy() if isinstance(b, torch.Tensor) else np.asarray(b)
    assert a.shape == b.shape, f"{what}: shape {a.shape} vs torch {b.shape}"
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=atol, err_msg=what)


CASES = list(itertools.product(
    MODES, [1, 2], [False, True], [False, True], [False, True], [None, "lengths", "packed"],
))


def _case_id(c):
    mode, L, bi, bf, init, var = c
    return f"{mode}-L{L}-{'bi' if bi else 'uni'}-{'bf' if bf else 'tm'}-" \
           f"{'h0' if init else 'noh0'}-{var or 'full'}"


@pytest.mark.parametrize("case", CASES, ids=[_case_id(c) for c in CASES])
def test_layer_matches_torch(case):
    mode, L, bi, bf, init, var = case
    has_c = MODES[mode][3]
    D = 2 if bi else 1
    seed = abs(hash(case)) % 1000
    rng = np.random.default_rng(seed)
    g, t = make_pair(mode, L, bi, bf, seed=seed)
    x = rng.standard_normal((N, T, I) if bf else (T, N, I))
    lengths = (SHORT_LENGTHS if seed % 2 else LENGTHS) if var else None
    states = [rng.standard_normal((L * D, N, H)) for _ in range(2 if has_c else 1)] if init \
        else []

    xg = gn.tensor(x, requires_grad=True)
    xt = torch.tensor(x, requires_grad=True)
    sg = [gn.tensor(s, requires_grad=True) for s in states]
    st = [torch.tensor(s, requires_grad=True) for s in states]
    hx_g = (tuple(sg) if has_c else sg[0]) if init else None
    hx_t = (tuple(st) if has_c else st[0]) if init else None

    if var is None:
        out_g, hn_g = g(xg, hx_g)
        out_t, hn_t = t(xt, hx_t)
    else:
        packed_t = trnn.pack_padded_sequence(xt, lengths, batch_first=bf, enforce_sorted=False)
        out_t, hn_t = t(packed_t, hx_t)
        out_t, _ = trnn.pad_packed_sequence(out_t, batch_first=bf, total_length=T)
        if var == "lengths":
            out_g, hn_g = g(xg, hx_g, lengths=lengths)
        else:
            packed_g = pack_padded_sequence(xg, lengths, batch_first=bf, enforce_sorted=False)
            close(packed_g.data, packed_t.data, "packed input")
            out_g, hn_g = g(packed_g, hx_g)
            out_g, lens = pad_packed_sequence(out_g, batch_first=bf, total_length=T)
            assert lens.tolist() == list(lengths)
    finals_g = list(hn_g) if has_c else [hn_g]
    finals_t = list(hn_t) if has_c else [hn_t]

    close(out_g, out_t, "output")
    for k, (a, b) in enumerate(zip(finals_g, finals_t)):
        close(a, b, f"final state {k}")

    # A loss that weighs every output and every final state differently.
    w_out = rng.standard_normal(out_t.shape)
    w_fin = [rng.standard_normal(f.shape) for f in finals_t]
    loss_g = (out_g * gn.tensor(w_out)).sum()
    loss_t = (out_t * torch.tensor(w_out)).sum()
    for a, b, w in zip(finals_g, finals_t, w_fin):
        loss_g = loss_g + (a * gn.tensor(w)).sum()
        loss_t = loss_t + (b * torch.tensor(w)).sum()
    loss_g.backward()
    loss_t.backward()
    close(xg.grad, xt.grad, "grad of input")
    for k, (a, b) in enumerate(zip(sg, st)):
        close(a.grad, b.grad, f"grad of initial state {k}")
    for (name, p), (_, q) in zip(g.named_parameters(), t.named_parameters()):
        close(p.grad, q.grad, f"grad of {name}")


@pytest.mark.parametrize("mode", list(MODES))
def test_no_bias_and_unbatched(mode):
    rng = np.random.default_rng(1)
    g, t = make_pair(mode, 2, True, bias=False)
    assert not any("bias" in n for n, _ in g.named_parameters())
    x = rng.standard_normal((T, I))
    xg, xt = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out_g, hn_g = g(xg)
    out_t, hn_t = t(xt)
    close(out_g, out_t, "unbatched output")
    hg = hn_g[0] if isinstance(hn_g, tuple) else hn_g
    ht = hn_t[0] if isinstance(hn_t, tuple) else hn_t
    assert hg.shape == (4, H)
    close(hg, ht, "unbatched h_n")
    (out_g.sum() + hg.sum()).backward()
    (out_t.sum() + ht.sum()).backward()
    close(xg.grad, xt.grad, "grad of unbatched input")
    for (name, p), (_, q) in zip(g.named_parameters(), t.named_parameters()):
        close(p.grad, q.grad, f"grad of {name}")


@pytest.mark.parametrize("mode", list(MODES))
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("batch_sizes", [(3, 3, 3), (3, 2, 2, 1)])
def test_kernel_gradcheck(mode, reverse, batch_sizes):
    kernel = {"rnn_tanh": "RNN_TANH", "rnn_relu": "RNN_RELU", "lstm": "LSTM", "gru": "GRU"}[mode]
    G = {"LSTM": 4, "GRU": 3}.get(kernel, 1)
    h, i = 2, 2
    rng = np.random.default_rng(3)
    S, Nb = sum(batch_sizes), batch_sizes[0]

    def t(*shape):
        return gn.tensor(rng.standard_normal(shape) * 0.7, requires_grad=True)

    x, h0, c0 = t(S, i), t(Nb, h), t(Nb, h)
    w = [t(G * h, i), t(G * h, h), t(G * h), t(G * h)]
    if kernel == "RNN_RELU":  # keep pre-activations away from the kink at 0
        w[2] = gn.tensor(np.full(G * h, 0.9), requires_grad=True)

    def fn(x, h0, c0, *w):
        y, hn, cn = rnn_layer(kernel, x, h0, c0 if kernel == "LSTM" else None, *w,
                              batch_sizes=batch_sizes, reverse=reverse)
        parts = [y.reshape(-1), hn.reshape(-1)] + ([cn.reshape(-1)] if cn is not None else [])
        return gn.cat(parts)

    inputs = [x, h0, c0, *w] if kernel == "LSTM" else [x, h0, gn.tensor(np.zeros(1)), *w]
    assert gn.gradcheck(fn, inputs)


CELLS = {
    "rnn_tanh": (gn.nn.RNNCell, tnn.RNNCell, {"nonlinearity": "tanh"}),
    "rnn_relu": (gn.nn.RNNCell, tnn.RNNCell, {"nonlinearity": "relu"}),
    "lstm": (gn.nn.LSTMCell, tnn.LSTMCell, {}),
    "gru": (gn.nn.GRUCell, tnn.GRUCell, {}),
}


@pytest.mark.parametrize("mode", list(CELLS))
@pytest.mark.parametrize("batched", [True, False])
@pytest.mark.parametrize("init", [True, False])
def test_cell_matches_torch(mode, batched, init):
    g_cls, t_cls, kw = CELLS[mode]
    torch.manual_seed(2)
    t = t_cls(I, H, **kw).double()
    g = g_cls(I, H, dtype=np.float64, **kw)
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    g.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    rng = np.random.default_rng(4)
    shape = (N, H) if batched else (H,)
    x = rng.standard_normal((N, I) if batched else (I,))
    states = [rng.standard_normal(shape) for _ in range(2 if mode == "lstm" else 1)]
    xg, xt = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    sg = [gn.tensor(s, requires_grad=True) for s in states]
    st = [torch.tensor(s, requires_grad=True) for s in states]
    if mode == "lstm":
        og = g(xg, tuple(sg) if init else None)
        ot = t(xt, tuple(st) if init else None)
    else:
        og = [g(xg, sg[0] if init else None)]
        ot = [t(xt, st[0] if init else None)]
    lg, lt = 0, 0
    for k, (a, b) in enumerate(zip(og, ot)):
        close(a, b, f"cell output {k}")
        lg = lg + (a * (k + 1.5)).sum()
        lt = lt + (b * (k + 1.5)).sum()
    lg.backward()
    lt.backward()
    close(xg.grad, xt.grad, "cell grad of input")
    if init:
        for a, b in zip(sg, st):
            close(a.grad, b.grad, "cell grad of state")
    for (name, p), (_, q) in zip(g.named_parameters(), t.named_parameters()):
        close(p.grad, q.grad, f"cell grad of {name}")


def test_default_init_range_and_names():
    for cls in (gn.nn.RNN, gn.nn.LSTM, gn.nn.GRU):
        m = cls(5, 16, num_layers=2, bidirectional=True)
        k = 1 / np.sqrt(16)
        for name, p in m.named_parameters():
            assert p.dtype == np.float32
            assert np.all(np.abs(p.data) <= k), name
            assert p.data.std() > k / 3, name
        t = getattr(tnn, cls.__name__)(5, 16, num_layers=2, bidirectional=True)
        assert list(m.state_dict()) == list(t.state_dict())
        assert [tuple(p.shape) for p in m.parameters()] == [tuple(p.shape) for p in t.parameters()]


def test_dropout_between_layers():
    g, t = make_pair("lstm", 2)
    g.dropout = 0.5
    x = gn.tensor(np.random.default_rng(5).standard_normal((T, N, I)))
    gn.manual_seed(0)
    a, _ = g(x)
    b, _ = g(x)
    assert not np.allclose(a.data, b.data), "dropout in training mode should vary"
    g.eval()
    c, _ = g(x)
    close(c, t(torch.tensor(x.data))[0], "eval mode output (no dropout)")


def test_packed_helpers_match_torch():
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 6, 2))  # batch_first
    lengths = [3, 6, 1, 4]
    pg = pack_padded_sequence(gn.tensor(x), lengths, batch_first=True, enforce_sorted=False)
    pt = trnn.pack_padded_sequence(torch.tensor(x), lengths, batch_first=True,
                                   enforce_sorted=False)
    close(pg.data, pt.data, "packed data")
    assert pg.batch_sizes.tolist() == pt.batch_sizes.tolist()
    assert pg.sorted_indices.tolist() == pt.sorted_indices.tolist()
    assert pg.unsorted_indices.tolist() == pt.unsorted_indices.tolist()
    yg, lg = pad_packed_sequence(pg, batch_first=True, padding_value=-1.0)
    yt, lt = trnn.pad_packed_sequence(pt, batch_first=True, padding_value=-1.0)
    close(yg, yt, "padded back")
    assert lg.tolist() == lt.tolist()
    seqs = [rng.standard_normal((n, 2)) for n in (2, 5, 3)]
    close(gn.nn.utils_rnn.pad_sequence([gn.tensor(s) for s in seqs]),
          trnn.pad_sequence([torch.tensor(s) for s in seqs]), "pad_sequence")


def test_padding_changes_nothing():
    """Garbage in padded steps changes neither valid outputs nor final states."""
    g = gn.nn.GRU(I, H, num_layers=2, bidirectional=True, batch_first=True, dtype=np.float64)
    rng = np.random.default_rng(7)
    x = rng.standard_normal((N, T, I))
    lengths = [2, 5, 3]
    y1, h1 = g(gn.tensor(x), lengths=lengths)
    x2 = x.copy()
    for n, L in enumerate(lengths):
        x2[n, L:] = 1e3
    y2, h2 = g(gn.tensor(x2), lengths=lengths)
    close(y1, y2.data, "outputs with different padding")
    close(h1, h2.data, "final states with different padding")
    for n, L in enumerate(lengths):
        assert np.all(y1.data[n, L:] == 0)
        # sequence n alone, unpadded, gives the same result
        yn, hn = g(gn.tensor(x[n : n + 1, :L]))
        close(y1.data[n : n + 1, :L], yn.data, f"sequence {n} alone")
        close(h1.data[:, n : n + 1], hn.data, f"final state of sequence {n} alone")


BAD = [
    ("feature size", lambda m: m(gn.zeros(T, N, I + 1)), ValueError,
     r"LSTM\(4, 3\).*\(T, N, 4\).*\(5, 3, 5\)"),
    ("rank", lambda m: m(gn.zeros(T, N, 1, I)), ValueError, r"LSTM\(4, 3\).*\(5, 3, 1, 4\)"),
    ("h0 shape", lambda m: m(gn.zeros(T, N, I), (gn.zeros(2, N, H), gn.zeros(1, N, H))),
     ValueError, r"h_0 of shape \(1, 3, 3\), got \(2, 3, 3\)"),
    ("c0 shape", lambda m: m(gn.zeros(T, N, I), (gn.zeros(1, N, H), gn.zeros(1, N, H + 1))),
     ValueError, r"c_0 of shape \(1, 3, 3\), got \(1, 3, 4\)"),
    ("hx not a tuple", lambda m: m(gn.zeros(T, N, I), gn.zeros(1, N, H)), TypeError, "tuple"),
    ("dtype", lambda m: m(gn.zeros(T, N, I, dtype=np.float64)), TypeError, "float64"),
    ("length too long", lambda m: m(gn.zeros(T, N, I), lengths=[6, 1, 1]), ValueError,
     r"lengths\[0\] = 6 is longer .*\(5 steps\)"),
    ("length zero", lambda m: m(gn.zeros(T, N, I), lengths=[5, 0, 1]), ValueError,
     r"positive.*lengths\[1\] = 0"),
    ("length negative", lambda m: m(gn.zeros(T, N, I), lengths=[5, -2, 1]), ValueError,
     r"positive.*lengths\[1\] = -2"),
    ("wrong count", lambda m: m(gn.zeros(T, N, I), lengths=[5, 1]), ValueError,
     r"one entry per sequence \(3\)"),
    ("unsorted", lambda m: pack_padded_sequence(gn.zeros(T, N, I), [2, 5, 1]), ValueError,
     "enforce_sorted"),
]


@pytest.mark.parametrize("name,call,exc,match", BAD, ids=[b[0] for b in BAD])
def test_bad_input(name, call, exc, match):
    with pytest.raises(exc, match=match):
        call(gn.nn.LSTM(I, H))


def test_bad_cell_input():
    with pytest.raises(ValueError, match=r"GRUCell\(4, 3\).*\(N, 4\).*\(2, 5\)"):
        gn.nn.GRUCell(I, H)(gn.zeros(2, 5))
    with pytest.raises(ValueError, match=r"h_0 of shape \(2, 3\), got \(3, 3\)"):
        gn.nn.RNNCell(I, H)(gn.zeros(2, I), gn.zeros(3, H))


def test_thousand_step_sequence_trains():
    """A 1,000-step sequence: one node per layer, no recursion, gradients match torch."""
    g, t = make_pair("lstm", 1)
    rng = np.random.default_rng(8)
    x = rng.standard_normal((1000, 2, I))
    xg = gn.tensor(x, requires_grad=True)
    out, (hn, cn) = g(xg)
    (out.sum() + hn.sum()).backward()
    out_t, (hn_t, _) = t(torch.tensor(x))
    (out_t.sum() + hn_t.sum()).backward()
    for (name, p), (_, q) in zip(g.named_parameters(), t.named_parameters()):
        close(p.grad, q.grad, f"1000-step grad of {name}", atol=1e-8)
    assert np.all(np.isfinite(xg.grad.data))


@pytest.mark.parametrize("kernel", ["RNN_TANH", "RNN_RELU", "LSTM", "GRU"])
def test_fused_loops_match_numpy_loops(kernel, monkeypatch):
    """The numba loops (when installed) and the NumPy loops give the same float32 numbers."""
    import glassnet.ops.recurrent as R

    pytest.importorskip("numba")
    G = {"LSTM": 4, "GRU": 3}.get(kernel, 1)
    rng = np.random.default_rng(9)
    h = 16
    bs = (6, 6, 5, 3, 1)
    arrays = [rng.standard_normal(s).astype(np.float32) * 0.5
              for s in [(sum(bs), 8), (6, h), (6, h), (G * h, 8), (G * h, h), (G * h,), (G * h,)]]
    results = []
    for steps in (R.NumpySteps, None):
        monkeypatch.setattr(R, "_steps", steps)
        ts = [gn.tensor(a, requires_grad=True) for a in arrays]
        c0 = ts[2] if kernel == "LSTM" else None
        y, hn, cn = rnn_layer(kernel, ts[0], ts[1], c0, *ts[3:], batch_sizes=bs, reverse=True)
        loss = (y * y).sum() + hn.sum() + (cn.sum() if cn is not None else 0)
        loss.backward()
        results.append([y.data, hn.data] + [t.grad.data for t in ts if t.grad is not None])
    assert R.step_kernels() is not R.NumpySteps
    for a, b in zip(*results):
        np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-5)
