"""F.scaled_dot_product_attention: outputs and every gradient against PyTorch (float64),
finite differences (gradcheck, dropout included), seeded dropout, bad input, the chain
rule through attention, and the attention heatmaps."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from conftest import assert_close

TOL = {"rtol": 1e-6, "atol": 1e-9}

# (name, q shape, k shape, v shape, mask: None | ("bool"|"float", shape), kwargs)
CASES = [
    ("4-D", (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7), None, {}),
    ("3-D", (3, 4, 5), (3, 6, 5), (3, 6, 2), None, {}),
    ("2-D", (4, 5), (6, 5), (6, 7), None, {}),
    ("batch 1, L 1", (1, 1, 1, 3), (1, 1, 4, 3), (1, 1, 4, 3), None, {}),
    ("causal square", (2, 2, 5, 4), (2, 2, 5, 4), (2, 2, 5, 4), None, {"is_causal": True}),
    ("causal L<S", (2, 3, 4), (2, 6, 4), (2, 6, 4), None, {"is_causal": True}),
    ("causal L>S", (2, 6, 4), (2, 3, 4), (2, 3, 4), None, {"is_causal": True}),
    ("bool mask (L,S)", (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5), ("bool", (4, 6)), {}),
    ("bool mask per batch", (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5), ("bool", (2, 1, 1, 6)),
     {}),
    ("float mask", (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 5), ("float", (3, 4, 6)), {}),
    ("float mask bcast", (2, 4, 5), (2, 6, 5), (2, 6, 3), ("float", (1, 6)), {}),
    ("scale", (2, 4, 5), (2, 6, 5), (2, 6, 3), None, {"scale": 0.7}),
    ("broadcast batch", (2, 3, 4, 5), (1, 3, 6, 5), (1, 3, 6, 5), None, {}),
    ("gqa", (2, 4, 3, 5), (2, 2, 6, 5), (2, 2, 6, 4), None, {"enable_gqa": True}),
    ("fully masked row", (2, 4, 5), (2, 6, 5), (2, 6, 5), ("dead", (4, 6)), {}),
    ("no keys", (2, 3, 4), (2, 0, 4), (2, 0, 5), None, {}),
    ("no queries", (2, 0, 4), (2, 3, 4), (2, 3, 5), None, {"is_causal": True}),
]


def _mask(kind, shape, rng):
    if kind == "bool":
        m = rng.random(shape) < 0.7
        m[..., 0] = True
        return m
    if kind == "dead":  # query 1 sees no key: PyTorch gives zeros (and zero gradients)
        m = rng.random(shape) < 0.7
        m[..., 0] = True
        m[1] = False
        return m
    return rng.standard_normal(shape)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_sdpa_matches_torch(torch, case):
    name, qs, ks, vs, mask, kw = case
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal(s) for s in (qs, ks, vs)]
    g = [gn.tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, requires_grad=True) for a in arrays]
    gm = tm = None
    if mask is not None:
        m = _mask(mask[0], mask[1], rng)
        if m.dtype == bool:
            gm, tm = m, torch.tensor(m)
        else:
            gm = gn.tensor(m, dtype=np.float64, requires_grad=True)
            tm = torch.tensor(m, requires_grad=True)
    y = F.scaled_dot_product_attention(*g, attn_mask=gm, **kw)
    ty = torch.nn.functional.scaled_dot_product_attention(*t, attn_mask=tm, **kw)
    assert_close(y, ty, "output", **TOL)
    w = rng.standard_normal(tuple(ty.shape))
    (y * gn.tensor(w, dtype=np.float64)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    for i, (a, b) in enumerate(zip(g, t)):
        assert_close(a.grad, b.grad, f"gradient of input {i}", **TOL)
    if isinstance(gm, gn.Tensor):
        assert_close(gm.grad, tm.grad, "gradient of the float mask", **TOL)
    if mask is not None and mask[0] == "dead":
        assert np.all(y.data[:, 1] == 0) and np.all(g[0].grad.data[:, 1] == 0)


@pytest.mark.parametrize("kw", [{}, {"is_causal": True}, {"dropout_p": 0.3}])
def test_sdpa_gradcheck(kw):
    rng = np.random.default_rng(1)
    q, k, v = (gn.tensor(rng.standard_normal(s), dtype=np.float64, requires_grad=True)
               for s in ((2, 3, 4), (2, 5, 4), (2, 5, 3)))
    m = gn.tensor(rng.standard_normal((3, 5)), dtype=np.float64, requires_grad=True)
    if kw.get("is_causal"):
        k, v = k[:, :3], v[:, :3]
        assert gn.autograd.gradcheck(
            lambda q, k, v: F.scaled_dot_product_attention(q, k, v, **kw), [q, k, v])
        return
    # the same generator seed on every call: the same dropout mask for finite differences
    assert gn.autograd.gradcheck(
        lambda q, k, v, m: F.scaled_dot_product_attention(
            q, k, v, attn_mask=m, generator=gn.Generator(7), **kw), [q, k, v, m])


def test_sdpa_dropout_is_seeded_and_scaled():
    rng = np.random.default_rng(2)
    q, k, v = (gn.tensor(rng.standard_normal(s)) for s in ((2, 8, 4), (2, 8, 4), (2, 8, 4)))
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5, generator=gn.Generator(3))
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5, generator=gn.Generator(3))
    c = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5, generator=gn.Generator(4))
    np.testing.assert_array_equal(a.data, b.data)
    assert not np.allclose(a.data, c.data)
    # dropout on the weights: the output equals (keep · A / (1 - p)) V for the same mask
    keep = gn.Generator(3).np_rng.random((2, 8, 8), dtype=np.float32) >= 0.5
    A = F.softmax(q @ k.transpose(-1, -2) / 2.0, dim=-1).data
    np.testing.assert_allclose(a.data, (A * keep / 0.5) @ v.data, rtol=1e-5, atol=1e-6)
    zero = F.scaled_dot_product_attention(q, k, v, dropout_p=1.0)
    assert np.all(zero.data == 0)


def test_sdpa_float32_stays_float32():
    q = gn.randn(2, 3, 4, requires_grad=True)
    y = F.scaled_dot_product_attention(q, q, q, is_causal=True)
    assert y.dtype == np.float32
    y.sum().backward()
    assert q.grad.dtype == np.float32


def _sdpa(q=(2, 3, 4), k=(2, 5, 4), v=(2, 5, 4), **kw):
    return lambda: F.scaled_dot_product_attention(gn.randn(*q), gn.randn(*k), gn.randn(*v),
                                                  **kw)


@pytest.mark.parametrize("call, exc, match", [
    (_sdpa(k=(2, 5, 3)), ValueError, r"same last dim.*query \(2, 3, 4\) and key \(2, 5, 3\)"),
    (_sdpa(v=(2, 4, 4)), ValueError, r"key and value must agree.*key \(2, 5, 4\)"),
    (_sdpa(k=(3, 5, 4), v=(3, 5, 4)), ValueError, r"batch dims do not match: query "
                                                   r"\(2, 3, 4\), key \(3, 5, 4\)"),
    (_sdpa(attn_mask=np.ones((3, 4), bool)), ValueError,
     r"attn_mask of shape \(3, 4\) does not broadcast .*L=3, S=5"),
    (_sdpa(attn_mask=np.ones((3, 5), np.int32)), TypeError,
     "attn_mask must be bool or floating point, got dtype int32"),
    (_sdpa(attn_mask=np.ones((3, 5), bool), is_causal=True), ValueError, "not both"),
    (_sdpa(dropout_p=1.5), ValueError, "dropout_p must be between 0 and 1"),
    (_sdpa(q=(4,)), ValueError, r"query must have at least 2 dims.*\(4,\)"),
    (_sdpa(q=(2, 4, 3, 4), k=(2, 3, 5, 4), v=(2, 3, 5, 4), enable_gqa=True), ValueError,
     "multiple of the key heads"),
    (lambda: F.scaled_dot_product_attention(gn.tensor([[1, 2]]), gn.randn(1, 2),
                                            gn.randn(1, 2)), TypeError,
     "query must be a floating tensor"),
])
def test_sdpa_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_chain_rule_through_attention():
    """explain.chain_rule follows the loss back through the fused attention op, and its
    total agrees with autograd."""
    gen = gn.Generator(0)
    mha = gn.nn.MultiheadAttention(4, 2, batch_first=True, generator=gen)
    x = gn.randn(1, 3, 4, generator=gen)
    y, _ = mha(x, x, x, need_weights=False)
    loss = (y * y).mean()
    res = gn.explain.chain_rule(loss, mha.in_proj_weight, (0, 1), model=mha)
    text = str(res)
    assert "scaled_dot_product_attention" in text
    loss.backward()
    assert res.total == pytest.approx(float(mha.in_proj_weight.grad.data[0, 1]), rel=1e-4,
                                      abs=1e-7)


def test_attention_heatmaps(tmp_path):
    pytest.importorskip("matplotlib")
    rng = np.random.default_rng(0)
    w = rng.random((2, 3, 4))
    w /= w.sum(-1, keepdims=True)
    fig = gn.explain.plot.attention(w, ["a", "b", "c", "d"], ["x", "y", "z"],
                                    save=tmp_path / "att.png")
    assert (tmp_path / "att.png").stat().st_size > 0
    assert len(fig.axes) >= 3  # one panel per head and the average
    fig1 = gn.explain.plot.attention(gn.tensor(w[0]), ["a", "b", "c", "d"], ["x", "y", "z"])
    assert len(fig1.axes) >= 1
    with pytest.raises(ValueError, match="4 key tokens"):
        gn.explain.plot.attention(w, ["a", "b"])
