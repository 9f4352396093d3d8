"""MultiheadAttention and the Transformer layers against PyTorch: a torch model's
state_dict is loaded into the glassnet model, and the outputs, the returned attention
weights and every gradient (parameters and inputs) must agree in float64 to 1e-6, over a
table of configurations. Also: state_dict keys, bad input, positional encodings."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from conftest import assert_close
from glassnet import nn

TOL = {"rtol": 1e-6, "atol": 1e-8}


def _load(gmodel, tmodel):
    tsd = tmodel.state_dict()
    assert list(gmodel.state_dict()) == list(tsd), "state_dict keys differ from PyTorch's"
    gmodel.load_state_dict({k: v.detach().numpy() for k, v in tsd.items()})


def _inputs(torch, shapes, seed):
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(s) for s in shapes]
    g = [gn.tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    return g, t


def _compare_backward(torch, gmodel, tmodel, gouts, touts, gins, tins, seed=1):
    """Backward a random projection of every output; compare all gradients."""
    rng = np.random.default_rng(seed)
    gl, tl = 0, 0
    for go, to in zip(gouts, touts):
        if to is None:
            assert go is None
            continue
        assert_close(go, to, "forward", **TOL)
        w = rng.standard_normal(tuple(to.shape))
        w = np.where(np.isfinite(to.detach().numpy()), w, 0.0)
        gl = gl + (go * gn.tensor(w, dtype=np.float64)).sum()
        tl = tl + (torch.nan_to_num(to, 0.0) * torch.tensor(w)).sum()
    gl.backward()
    tl.backward()
    tparams = dict(tmodel.named_parameters())
    for name, p in gmodel.named_parameters():
        tp = tparams[name]
        assert (p.grad is None) == (tp.grad is None), name
        if tp.grad is not None:
            assert_close(p.grad, tp.grad, f"grad of {name}", **TOL)
    for i, (a, b) in enumerate(zip(gins, tins)):
        if b.grad is not None:
            assert_close(a.grad, b.grad, f"grad of input {i}", **TOL)


def _mask(torch, kind, shape, seed, batch_rows=None):
    """A mask of ``kind`` 'bool' (True = masked, never a whole row) or 'float'."""
    if kind is None:
        return None, None
    rng = np.random.default_rng(seed)
    if kind == "bool":
        m = rng.random(shape) < 0.3
        m[..., 0] = False  # every query keeps at least one key
        return m, torch.tensor(m)
    m = rng.standard_normal(shape)
    return m, torch.tensor(m)


# (name, ctor kwargs, L, S, N, attn_mask kind / shape, key_padding_mask kind, forward kwargs)
MHA_CASES = [
    ("plain", {}, 4, 4, 2, None, None, {}),
    ("batch_first", {"batch_first": True}, 3, 5, 2, None, None, {}),
    ("bool mask", {}, 4, 6, 3, ("bool", "2d"), None, {}),
    ("float mask 3d", {}, 4, 6, 2, ("float", "3d"), None, {}),
    ("padding", {"batch_first": True}, 5, 5, 3, None, "bool", {}),
    ("float padding", {}, 5, 5, 3, None, "float", {}),
    ("mask+padding", {}, 4, 5, 2, ("bool", "2d"), "bool", {}),
    ("kdim vdim", {"kdim": 3, "vdim": 5}, 4, 6, 2, None, "bool", {}),
    ("no bias", {"bias": False}, 3, 3, 2, None, None, {}),
    ("bias_kv zero_attn", {"add_bias_kv": True, "add_zero_attn": True}, 3, 4, 2,
     ("bool", "2d"), "bool", {}),
    ("per-head weights", {}, 3, 4, 2, None, None, {"average_attn_weights": False}),
    ("no weights", {}, 3, 4, 2, ("float", "2d"), "bool", {"need_weights": False}),
    ("batch 1, odd", {"batch_first": True}, 7, 1, 1, None, None, {}),
    ("unbatched", {}, 3, 5, None, None, None, {}),
    ("unbatched per-head", {"kdim": 4}, 3, 5, None, None, None,
     {"average_attn_weights": False}),
    ("causal hint", {"batch_first": True}, 5, 5, 2, ("causal", "2d"), None,
     {"is_causal": True, "need_weights": False}),
]


# self-attention (query is key is value: the packed projection) where kdim == vdim == E
MHA_RUNS = [(c, False) for c in MHA_CASES] + [
    (c, True) for c in MHA_CASES if "kdim" not in c[1] and "vdim" not in c[1]]


@pytest.mark.parametrize("case, self_attn", MHA_RUNS,
                         ids=[f"{'self' if s else 'cross'}-{c[0]}" for c, s in MHA_RUNS])
def test_multihead_attention_matches_torch(torch, case, self_attn):
    name, kw, L, S, N, mask_kind, kpm_kind, fkw = case
    E, H = 6, 3
    if self_attn:
        S = L
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(E, H, **kw).double()
    gm = nn.MultiheadAttention(E, H, dtype=np.float64, **kw)
    _load(gm, tm)
    bf = kw.get("batch_first", False)
    kd, vd = kw.get("kdim", E), kw.get("vdim", E)

    def shape(seq, d):
        if N is None:
            return (seq, d)
        return (N, seq, d) if bf else (seq, N, d)

    if self_attn:
        (gq,), (tq,) = _inputs(torch, [shape(L, E)], 3)
        gins, tins = (gq, gq, gq), (tq, tq, tq)
    else:
        g3, t3 = _inputs(torch, [shape(L, E), shape(S, kd), shape(S, vd)], 3)
        gins, tins = tuple(g3), tuple(t3)
    gkw, tkw = dict(fkw), dict(fkw)
    if mask_kind is not None:
        kind, dims = mask_kind
        mshape = (L, S) if dims == "2d" else ((N or 1) * H, L, S)
        if kind == "causal":
            g_mask = nn.Transformer.generate_square_subsequent_mask(L, dtype=np.float64)
            t_mask = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64)
        else:
            a, t_mask = _mask(torch, kind, mshape, 5)
            g_mask = a
        gkw["attn_mask"], tkw["attn_mask"] = g_mask, t_mask
    if kpm_kind is not None:
        a, t_kpm = _mask(torch, kpm_kind, (N or 1, S) if N else (S,), 6)
        gkw["key_padding_mask"], tkw["key_padding_mask"] = a, t_kpm
    gout = gm(*gins, **gkw)
    tout = tm(*tins, **tkw)
    assert (gout[1] is None) == (tout[1] is None)
    if tout[1] is not None:
        assert tuple(gout[1].shape) == tuple(tout[1].shape)
    _compare_backward(torch, gm, tm, gout, tout, gins[:1] if self_attn else gins,
                      tins[:1] if self_attn else tins)


def test_mha_float_mask_gradient(torch):
    """A float attn_mask that requires grad gets PyTorch's gradient."""
    torch.manual_seed(1)
    tm = torch.nn.MultiheadAttention(4, 2, batch_first=True).double()
    gm = nn.MultiheadAttention(4, 2, batch_first=True, dtype=np.float64)
    _load(gm, tm)
    (gx, gmask), (tx, tmask) = _inputs(torch, [(2, 3, 4), (3, 3)], 0)
    go = gm(gx, gx, gx, attn_mask=gmask, need_weights=False)
    to = tm(tx, tx, tx, attn_mask=tmask, need_weights=False)
    _compare_backward(torch, gm, tm, go, to, [gx, gmask], [tx, tmask])


def test_mha_fully_masked_row_is_nan_with_weights_zero_without(torch):
    """As in PyTorch: a query with every key padded gives NaN through the weights path
    and zeros through the fused path (need_weights=False)."""
    torch.manual_seed(0)
    tm = torch.nn.MultiheadAttention(4, 2, batch_first=True).double()
    gm = nn.MultiheadAttention(4, 2, batch_first=True, dtype=np.float64)
    _load(gm, tm)
    x = np.random.default_rng(0).standard_normal((2, 3, 4))
    kpm = np.array([[True] * 3, [False, False, True]])
    gx, tx = gn.tensor(x, dtype=np.float64), torch.tensor(x)
    for need in (True, False):
        go, _ = gm(gx, gx, gx, key_padding_mask=kpm, need_weights=need)
        to, _ = tm(tx, tx, tx, key_padding_mask=torch.tensor(kpm), need_weights=need)
        np.testing.assert_array_equal(np.isnan(go.data), np.isnan(to.detach().numpy()))
        assert np.isnan(go.data[0]).all() == need
        assert_close(np.nan_to_num(go.data), np.nan_to_num(to.detach().numpy()), **TOL)


# (name, ctor kwargs, masks to pass)
LAYER_CASES = [
    ("post-norm", {}, {}),
    ("pre-norm", {"norm_first": True}, {}),
    ("batch_first", {"batch_first": True}, {}),
    ("causal", {"batch_first": True}, {"causal": True}),
    ("padding", {}, {"padding": True}),
    ("gelu pre-norm", {"activation": "gelu", "norm_first": True}, {"causal": True}),
    ("callable act", {"activation": "tanh"}, {}),
    ("no bias", {"bias": False}, {"padding": True}),
    ("eps", {"layer_norm_eps": 1e-3}, {"bool": True}),
]


def _act(torch, kw, lib):
    kw = dict(kw)
    if kw.get("activation") == "tanh":
        kw["activation"] = torch.tanh if lib == "torch" else gn.tanh
    if kw.get("activation") == "gelu" and lib == "gn" and not hasattr(gn.nn.functional, "gelu"):
        pytest.skip("needs F.gelu (being added to glassnet.nn.functional)")
    return kw


def _layer_masks(torch, opts, L, S, N, seed):
    g, t = {}, {}
    if opts.get("causal"):
        g["mask"] = nn.Transformer.generate_square_subsequent_mask(L, dtype=np.float64)
        t["mask"] = torch.nn.Transformer.generate_square_subsequent_mask(L, dtype=torch.float64)
    if opts.get("bool"):
        a, tb = _mask(torch, "bool", (L, S), seed)
        g["mask"], t["mask"] = a, tb
    if opts.get("padding"):
        a, tb = _mask(torch, "bool", (N, S), seed + 1)
        g["kpm"], t["kpm"] = a, tb
    return g, t


@pytest.mark.parametrize("case", LAYER_CASES, ids=[c[0] for c in LAYER_CASES])
def test_encoder_matches_torch(torch, case):
    name, kw, opts = case
    d, H, ff, L, N = 8, 2, 12, 5, 3
    torch.manual_seed(0)
    tl = torch.nn.TransformerEncoderLayer(d, H, ff, dropout=0.0, **_act(torch, kw, "torch"))
    tenc = torch.nn.TransformerEncoder(tl, 2, norm=torch.nn.LayerNorm(d),
                                       enable_nested_tensor=False).double()
    gl = nn.TransformerEncoderLayer(d, H, ff, dropout=0.0, dtype=np.float64,
                                    **_act(torch, kw, "gn"))
    genc = nn.TransformerEncoder(gl, 2, norm=nn.LayerNorm(d, dtype=np.float64))
    _load(genc, tenc)
    bf = kw.get("batch_first", False)
    (gx,), (tx,) = _inputs(torch, [(N, L, d) if bf else (L, N, d)], 2)
    gm, tm = _layer_masks(torch, opts, L, L, N, 4)
    causal = bool(opts.get("causal"))
    go = genc(gx, mask=gm.get("mask"), src_key_padding_mask=gm.get("kpm"), is_causal=causal)
    to = tenc(tx, mask=tm.get("mask"), src_key_padding_mask=tm.get("kpm"), is_causal=causal)
    _compare_backward(torch, genc, tenc, [go], [to], [gx], [tx])


@pytest.mark.parametrize("case", LAYER_CASES, ids=[c[0] for c in LAYER_CASES])
def test_decoder_matches_torch(torch, case):
    name, kw, opts = case
    d, H, ff, T, S, N = 6, 3, 10, 4, 5, 2
    torch.manual_seed(0)
    tl = torch.nn.TransformerDecoderLayer(d, H, ff, dropout=0.0, **_act(torch, kw, "torch"))
    tdec = torch.nn.TransformerDecoder(tl, 2).double()
    gl = nn.TransformerDecoderLayer(d, H, ff, dropout=0.0, dtype=np.float64,
                                    **_act(torch, kw, "gn"))
    gdec = nn.TransformerDecoder(gl, 2)
    _load(gdec, tdec)
    bf = kw.get("batch_first", False)
    shape = (lambda n: (N, n, d)) if bf else (lambda n: (n, N, d))
    (gt, gmem), (tt, tmem) = _inputs(torch, [shape(T), shape(S)], 2)
    gm, tm = _layer_masks(torch, opts, T, T, N, 4)
    gmm, tmm = _layer_masks(torch, {"padding": opts.get("padding")}, T, S, N, 7)
    go = gdec(gt, gmem, tgt_mask=gm.get("mask"), tgt_key_padding_mask=gm.get("kpm"),
              memory_key_padding_mask=gmm.get("kpm"), tgt_is_causal=bool(opts.get("causal")))
    to = tdec(tt, tmem, tgt_mask=tm.get("mask"), tgt_key_padding_mask=tm.get("kpm"),
              memory_key_padding_mask=tmm.get("kpm"), tgt_is_causal=bool(opts.get("causal")))
    _compare_backward(torch, gdec, tdec, [go], [to], [gt, gmem], [tt, tmem])


@pytest.mark.parametrize("batch_first", [False, True])
def test_full_transformer_matches_torch(torch, batch_first):
    d, H, S, T, N = 8, 2, 5, 4, 2
    torch.manual_seed(0)
    tm = torch.nn.Transformer(d, H, 2, 1, 16, dropout=0.0, batch_first=batch_first).double()
    gm = nn.Transformer(d, H, 2, 1, 16, dropout=0.0, batch_first=batch_first, dtype=np.float64)
    _load(gm, tm)
    shape = (lambda n: (N, n, d)) if batch_first else (lambda n: (n, N, d))
    (gs, gt), (ts, tt) = _inputs(torch, [shape(S), shape(T)], 3)
    src_pad = np.zeros((N, S), bool)
    src_pad[1, -2:] = True
    gmask = gm.generate_square_subsequent_mask(T, dtype=np.float64)
    tmask = tm.generate_square_subsequent_mask(T, dtype=torch.float64)
    go = gm(gs, gt, tgt_mask=gmask, src_key_padding_mask=src_pad,
            memory_key_padding_mask=src_pad, tgt_is_causal=True)
    to = tm(ts, tt, tgt_mask=tmask, src_key_padding_mask=torch.tensor(src_pad),
            memory_key_padding_mask=torch.tensor(src_pad), tgt_is_causal=True)
    _compare_backward(torch, gm, tm, [go], [to], [gs, gt], [ts, tt])


def test_unbatched_encoder_layer_matches_torch(torch):
    torch.manual_seed(0)
    tl = torch.nn.TransformerEncoderLayer(4, 1, 6, dropout=0.0).double()
    gl = nn.TransformerEncoderLayer(4, 1, 6, dropout=0.0, dtype=np.float64)
    _load(gl, tl)
    (gx,), (tx,) = _inputs(torch, [(3, 4)], 0)
    _compare_backward(torch, gl, tl, [gl(gx)], [tl(tx)], [gx], [tx])


def test_square_subsequent_mask_and_float32_default(torch):
    m = nn.Transformer.generate_square_subsequent_mask(4)
    t = torch.nn.Transformer.generate_square_subsequent_mask(4)
    np.testing.assert_array_equal(m.data, t.numpy())
    assert m.dtype == np.float32
    layer = nn.TransformerEncoderLayer(8, 2, 16, generator=gn.Generator(0))
    y = layer(gn.randn(5, 2, 8))
    assert y.dtype == np.float32 and tuple(y.shape) == (5, 2, 8)


def test_dropout_is_seeded_and_off_in_eval():
    def run(seed):
        layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.5, generator=gn.Generator(seed))
        x = gn.tensor(np.random.default_rng(0).standard_normal((4, 2, 8)).astype(np.float32))
        return layer, x, layer(x).data
    la, x, a = run(0)
    _, _, b = run(0)
    np.testing.assert_array_equal(a, b)  # same seed, same masks
    la.eval()
    e1, e2 = la(x).data, la(x).data
    np.testing.assert_array_equal(e1, e2)
    assert not np.allclose(a, e1)


def test_positional_encodings():
    pe = nn.PositionalEncoding(6, max_len=10)
    x = gn.zeros(4, 2, 6)
    y = pe(x).data
    pos = np.arange(4)[:, None]
    i = np.arange(3)
    np.testing.assert_allclose(y[:, 0, 0::2], np.sin(pos / 10000 ** (2 * i / 6)), rtol=1e-6)
    np.testing.assert_allclose(y[:, 1, 1::2], np.cos(pos / 10000 ** (2 * i / 6)), rtol=1e-6)
    assert "pe" not in pe.state_dict()
    odd = nn.PositionalEncoding(5, max_len=8, batch_first=True)(gn.zeros(2, 3, 5))
    assert tuple(odd.shape) == (2, 3, 5)
    with pytest.raises(ValueError, match="exceeds max_len=10"):
        pe(gn.zeros(11, 1, 6))
    lp = nn.LearnedPositionalEncoding(4, max_len=6, batch_first=True, generator=gn.Generator(0))
    x = gn.zeros(2, 3, 4)
    y = lp(x)
    np.testing.assert_allclose(y.data[1], lp.weight.data[:3])
    y.sum().backward()
    np.testing.assert_allclose(lp.weight.grad[:3], 2.0)
    np.testing.assert_allclose(lp.weight.grad[3:], 0.0)


@pytest.mark.parametrize("call, match", [
    (lambda: nn.MultiheadAttention(10, 3), r"embed_dim \(10\) must be divisible by "
                                           r"num_heads \(3\)"),
    (lambda: nn.TransformerEncoderLayer(10, 4), r"d_model \(10\) must be divisible by "
                                                r"nhead \(4\)"),
    (lambda: nn.TransformerEncoderLayer(8, 2, activation="swish"), "activation should be"),
])
def test_bad_construction(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def _mha_call(**kw):
    m = nn.MultiheadAttention(4, 2, batch_first=True)
    q = kw.pop("q", gn.randn(2, 3, 4))
    k = kw.pop("k", gn.randn(2, 5, 4))
    return lambda: m(q, k, k, **kw)


@pytest.mark.parametrize("call, exc, match", [
    (_mha_call(attn_mask=np.zeros((3, 4), bool)), ValueError,
     r"2-D attn_mask is \(3, 4\), but should be \(3, 5\)"),
    (_mha_call(attn_mask=np.zeros((2, 3, 5), bool)), ValueError,
     r"3-D attn_mask is \(2, 3, 5\), but should be \(4, 3, 5\)"),
    (_mha_call(attn_mask=np.zeros((3, 5), np.int64)), TypeError,
     "attn_mask must be bool or floating point, got dtype int64"),
    (_mha_call(key_padding_mask=np.zeros((2, 3), bool)), ValueError,
     r"key_padding_mask must have shape \(batch, source length\) = \(2, 5\), got \(2, 3\)"),
    (_mha_call(k=gn.randn(3, 5, 4)), ValueError, "query and key batch sizes differ"),
    (_mha_call(q=gn.randn(2, 3, 6)), ValueError, "query's last dim must be embed_dim=4"),
    (_mha_call(q=gn.randn(2, 3, 4, 1)), ValueError, "must all be 3-D"),
    (_mha_call(is_causal=True), RuntimeError, "pass attn_mask too"),
    (_mha_call(k=gn.randn(2, 5, 3)), ValueError, r"key's last dim must be kdim=4"),
])
def test_bad_mha_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_bad_transformer_input():
    m = nn.Transformer(8, 2, 1, 1, 16)
    with pytest.raises(ValueError, match="batch sizes of src and tgt must be equal"):
        m(gn.randn(5, 2, 8), gn.randn(4, 3, 8))
    with pytest.raises(ValueError, match="d_model=8"):
        m(gn.randn(5, 2, 8), gn.randn(4, 2, 6))


# --- the chapters (fast mode) ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["seq2seq", "seq2seq_attention"])
def test_seq2seq_chapters_translate(name, capsys, tmp_path):
    import importlib

    out = importlib.import_module(f"glassnet.examples.{name}").run(fast=True)
    assert out["translations"] == {"let's go": "vamos <EOS>", "to go": "ir <EOS>"}
    assert out["loss"] < 0.05
    if name == "seq2seq_attention":
        for w in out["weights"].values():
            np.testing.assert_allclose(np.sum(w, axis=1), 1.0, rtol=1e-5)
        assert "attention while translating" in capsys.readouterr().out


def test_statquest_transformer_answers_awesome(capsys):
    from glassnet.examples import transformer_statquest

    out = transformer_statquest.run(fast=True)
    assert out["correct"] == 2
    w = np.array(out["weights"])
    assert np.allclose(np.triu(w, 1), 0.0)  # masked: no query looks ahead
    np.testing.assert_allclose(w.sum(1), 1.0, rtol=1e-5)


def test_char_gpt_chapter_runs_and_samples(capsys):
    from glassnet.examples import char_gpt

    out = char_gpt.run(fast=True)
    # better than guessing among the ~60 characters uniformly (ln 60 = 4.1 nats)
    assert out["gpt_valid"] < 3.3 and out["lstm_valid"] < 3.6
    assert all(s.startswith("Alice ") and len(s) > 100 for s in out["samples"].values())


@pytest.mark.parametrize("name, key", [("seq2seq", "seq2seq"),
                                       ("seq2seq_attention", "seq2seq-attention"),
                                       ("transformer_statquest", "transformer"),
                                       ("char_gpt", "char-gpt")])
def test_example_scripts_run_their_chapter(name, key, monkeypatch):
    import importlib
    import pathlib
    import runpy
    import sys

    module = importlib.import_module(f"glassnet.examples.{name}")
    calls = []
    monkeypatch.setattr(module, "run", lambda **kw: calls.append(kw) or {"result": "ok"})
    script = pathlib.Path(__file__).parent.parent / "examples" / f"{name}.py"
    monkeypatch.setattr(sys, "argv", [str(script), "--fast", "--no-plots"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(script), run_name="__main__")
    assert exit_info.value.code == 0 and calls == [{"fast": True, "plot_dir": None}]
    from glassnet.demo import CHAPTERS

    assert (key, name) in [(k, m) for k, _, m in CHAPTERS]


@pytest.mark.parametrize("need_weights", [True, False])
def test_mha_attention_dropout_is_seeded(need_weights):
    x = gn.tensor(np.random.default_rng(0).standard_normal((2, 6, 8)).astype(np.float32))

    def run(seed):
        m = nn.MultiheadAttention(8, 2, dropout=0.5, batch_first=True,
                                  generator=gn.Generator(seed))
        return m, m(x, x, x, need_weights=need_weights, average_attn_weights=False)

    m, (a, wa) = run(0)
    _, (b, _) = run(0)
    np.testing.assert_array_equal(a.data, b.data)
    if need_weights:  # the returned weights are after dropout, as in PyTorch
        assert (wa.data == 0).mean() > 0.2
    m.eval()
    e, we = m(x, x, x, need_weights=True, average_attn_weights=False)
    np.testing.assert_allclose(we.data.sum(-1), 1.0, rtol=1e-5)
