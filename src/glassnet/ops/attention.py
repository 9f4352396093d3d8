"""Scaled dot-product attention as one fused op, with its own backward on arrays.

For queries ``Q (..., L, E)``, keys ``K (..., S, E)`` and values ``V (..., S, Ev)``::

    A = softmax(scale · Q Kᵀ + M)          (..., L, S)   the attention weights
    Y = dropout(A) V                        (..., L, Ev)

where ``M`` is the additive mask (0 where a key takes part, -inf where it does not, or
any float the caller gives). The backward pass keeps only ``A`` (and the dropout mask):

    gV = dropout(A)ᵀ gY
    gA = (gY Vᵀ) · keep / (1 - p)                          the dropout mask, if any
    gS = A · (gA - Σ_s gA · A)                             the softmax derivative, fused
    gQ = scale · gS K,   gK = scale · gSᵀ Q,   gM = gS     (a float mask is differentiable)

Every product is ``np.matmul`` over the stacked leading dims, so heads and batch run as
one batched matrix product. A query whose keys are all masked gets weights of 0 (an
output and gradients of 0), as PyTorch's ``scaled_dot_product_attention`` gives; the
explicit-weights path (:func:`attention_weights`, used by ``MultiheadAttention`` with
``need_weights=True``) gives NaN rows there, as PyTorch's ``MultiheadAttention`` does.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function, Local
from ..backend import xp
from ..random import resolve
from ..tensor import Tensor
from ._registry import op

__all__ = ["scaled_dot_product_attention", "attention_weights", "packed_self_attention",
           "ScaledDotProductAttention", "AttentionWeights", "PackedSelfAttention"]

_mm = xp.matmul


def _t(a):
    return a.swapaxes(-1, -2)


def _scores_softmax(q, k, mask, scale: float, safe: bool):
    """softmax(scale · q kᵀ + mask) over the last axis, computed in one buffer."""
    s = _mm(q, _t(k))
    s *= scale
    if mask is not None:
        if s.shape == np.broadcast_shapes(s.shape, mask.shape):
            s += mask
        else:  # the mask has more batch dims than the scores
            s = s + mask
    if s.shape[-1] == 0:  # no keys at all: no weights, an output of zeros
        return s
    m = s.max(axis=-1, keepdims=True)
    dead = None
    if safe and mask is not None:
        dead = m == -xp.inf  # every key masked: weights of 0, not NaN
        if dead.any():
            m[dead] = 0.0
        else:
            dead = None
    with np.errstate(invalid="ignore"):  # -inf - -inf: a fully masked row, NaN when not safe
        s -= m
    xp.exp(s, out=s)
    z = s.sum(axis=-1, keepdims=True)
    if dead is not None:
        z[dead] = 1.0
    s /= z
    return s


def _softmax_backward(a, ga):
    """gS = a · (ga - Σ ga · a) along the last axis; overwrites and returns ``ga``."""
    ga -= (ga * a).sum(axis=-1, keepdims=True)
    ga *= a
    return ga


def _qk_backward(gs, q, k, scale: float, needs):
    """Gradients of q and k from the gradient of the (scaled) scores."""
    gq = gk = None
    if needs[0]:
        gq = _mm(gs, k)
        gq *= scale
    if needs[1]:
        gk = _mm(_t(gs), q)
        gk *= scale
    return gq, gk


def _to_gqa(q, k):
    """Group queries for keys shared by ``Hq / Hk`` heads: (..., Hq, L, E) -> (..., Hk, G, L, E)."""
    hq, hk = q.shape[-3], k.shape[-3]
    q = q.reshape(q.shape[:-3] + (hk, hq // hk) + q.shape[-2:])
    return q, k[..., None, :, :]


def _attend(q, k, v, mask, scale: float, keep, p: float):
    """(Y, A): A = softmax(scale · q kᵀ + mask) (0 for a fully masked row), Y = dropout(A) v."""
    a = _scores_softmax(q, k, mask, scale, True)
    if keep is None:
        return _mm(a, v), a
    ad = a * keep
    ad *= 1.0 / (1.0 - p)
    return _mm(ad, v), a


def _attend_backward(gy, q, k, v, a, keep, p: float, scale: float, needs):
    """(gq, gk, gv, gmask) of :func:`_attend` from gY; None where ``needs`` is False."""
    nq, nk, nv, nm = needs
    gv = gq = gk = gm = None
    if nv:
        ad = a
        if keep is not None:
            ad = a * keep
            ad *= 1.0 / (1.0 - p)
        gv = _mm(_t(ad), gy)
        del ad
    if nq or nk or nm:
        ga = _mm(gy, _t(v))
        if keep is not None:
            ga *= keep
            ga *= 1.0 / (1.0 - p)
        gs = _softmax_backward(a, ga)
        gm = gs if nm else None
        gq, gk = _qk_backward(gs, q, k, scale, (nq, nk))
    return gq, gk, gv, gm


_FORMULA = ("scale·Σ_s A_ls·(V_s - Y_l)·K_s", "scale·A_ls·(V_s - Y_l)·Q_l", "A_ls",
            "A_ls·(V_s - Y_l)")


class ScaledDotProductAttention(Function):
    """Y = dropout(softmax(scale · Q Kᵀ + M)) V; keeps only the weights for backward.

    Local derivatives (no dropout), with A the weights and Y_l = Σ_s A_ls V_s:
    dY_l/dQ_l = scale · Σ_s A_ls (V_s - Y_l) K_sᵀ, dY_l/dK_s = scale · A_ls (V_s - Y_l) Q_lᵀ,
    dY_l/dV_s = A_ls, dY_l/dM_ls = A_ls (V_s - Y_l).
    """

    name = "scaled_dot_product_attention"
    formula = _FORMULA

    def local(self, slot, n_in, n_out):
        return Local(1.0, self.formula[slot], generic=True)

    def forward(self, q, k, v, mask, scale, keep, p, gqa):
        qshape = q.shape
        if gqa:
            q, k = _to_gqa(q, k)
            v = v[..., None, :, :]
        y, a = _attend(q, k, v, mask, scale, keep, p)
        self.q, self.k, self.v, self.a, self.keep = q, k, v, a, keep
        self.scale, self.p, self.gqa, self.qshape = scale, p, gqa, qshape
        return y.reshape(qshape[:-1] + v.shape[-1:]) if gqa else y

    def backward(self, gy):
        q, k = self.q, self.k
        if self.gqa:
            gy = gy.reshape(q.shape[:-1] + gy.shape[-1:])
        gq, gk, gv, gm = _attend_backward(gy, q, k, self.v, self.a, self.keep, self.p,
                                          self.scale, self.needs_input_grad[:4])
        if self.gqa:
            if gq is not None:
                gq = gq.reshape(self.qshape)
            if gk is not None:
                gk = gk.sum(axis=-3)
            if gv is not None:
                gv = gv.sum(axis=-3)
            if gm is not None:
                gm = gm.reshape(self.qshape[:-1] + gm.shape[-1:])
        return gq, gk, gv, gm


def _split_heads(qkv, H: int, batch_first: bool):
    """Packed projections ``(N, L, 3E)`` (``(L, N, 3E)``) -> a view ``(3, N, H, L, E/H)``."""
    if batch_first:
        N, L, E3 = qkv.shape
        return qkv.reshape(N, L, 3, H, E3 // (3 * H)).transpose(2, 0, 3, 1, 4)
    L, N, E3 = qkv.shape
    return qkv.reshape(L, N, 3, H, E3 // (3 * H)).transpose(2, 1, 3, 0, 4)


class PackedSelfAttention(Function):
    """Multi-head self-attention from packed projections, heads split and joined inside:
    ``qkv (N, L, 3E) -> (N, L, E)`` (``(L, N, ·)`` unless ``batch_first``).

    The same computation as ``scaled_dot_product_attention`` on the ``(N, H, L, E/H)``
    views of ``qkv`` followed by joining the heads, without the reshapes, transposes and
    index ops around it as graph nodes: backward writes gQ, gK, gV straight into one
    ``(N, L, 3E)`` gradient. Keeps ``qkv`` (its input) and the weights.
    """

    name = "scaled_dot_product_attention"
    formula = ("Σ of the attention derivatives over Q, K and V", _FORMULA[3])

    def local(self, slot, n_in, n_out):
        return Local(1.0, self.formula[slot], generic=True)

    def forward(self, qkv, mask, heads, batch_first, scale, keep, p):
        q, k, v = _split_heads(qkv, heads, batch_first)
        y, a = _attend(q, k, v, mask, scale, keep, p)  # (N, H, L, d)
        self.qkv, self.a, self.keep, self.heads = qkv, a, keep, heads
        self.batch_first, self.scale, self.p = batch_first, scale, p
        N, H, L, d = y.shape
        if batch_first:
            return y.transpose(0, 2, 1, 3).reshape(N, L, H * d)
        return y.transpose(2, 0, 1, 3).reshape(L, N, H * d)

    def backward(self, gy):
        H, bf = self.heads, self.batch_first
        q, k, v = _split_heads(self.qkv, H, bf)
        N, _, L, d = q.shape
        if bf:
            gyh = gy.reshape(N, L, H, d).transpose(0, 2, 1, 3)
        else:
            gyh = gy.reshape(L, N, H, d).transpose(1, 2, 0, 3)
        nx, nm = self.needs_input_grad[:2]
        gq, gk, gv, gm = _attend_backward(gyh, q, k, v, self.a, self.keep, self.p,
                                          self.scale, (nx, nx, nx, nm))
        gx = None
        if nx:
            gx = xp.empty(self.qkv.shape, self.qkv.dtype)
            gh = _split_heads(gx, H, bf)
            gh[0], gh[1], gh[2] = gq, gk, gv
        return gx, gm


class AttentionWeights(Function):
    """A = softmax(scale · Q Kᵀ + M), the weights on their own (differentiable).

    A row whose keys are all masked is NaN here, as PyTorch's ``MultiheadAttention``
    gives when it returns its weights. gS = A · (gA - Σ gA · A); gQ = scale · gS K;
    gK = scale · gSᵀ Q; gM = gS.
    """

    name = "attention_weights"
    formula = ("scale·A_ls·(K_s - Σ_s' A_ls'·K_s')", "scale·A_ls·([s = s'] - A_ls')·Q_l",
               "A_ls·([s = s'] - A_ls')")

    def local(self, slot, n_in, n_out):
        return Local(1.0, self.formula[slot], generic=True)

    def forward(self, q, k, mask, scale):
        a = _scores_softmax(q, k, mask, scale, False)
        self.q, self.k, self.a, self.scale = q, k, a, scale
        return a

    def backward(self, gy):
        nq, nk, nm = self.needs_input_grad[:3]
        gs = _softmax_backward(self.a, gy.copy())
        gq, gk = _qk_backward(gs, self.q, self.k, self.scale, (nq, nk))
        return gq, gk, gs if nm else None


# --- argument checks and mask preparation -------------------------------------------------


def _as_tensor(x, name: str, op: str) -> Tensor:
    if isinstance(x, Tensor):
        t = x
    else:
        try:
            t = Tensor(xp.asarray(x))
        except (TypeError, ValueError) as e:
            raise TypeError(f"{op}: {name} must be a tensor, got {type(x).__name__}") from e
    if t.data.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be a floating tensor, got dtype {t.data.dtype}")
    if t.data.ndim < 2:
        raise ValueError(f"{op}: {name} must have at least 2 dims (..., seq, features), "
                         f"got shape {tuple(t.data.shape)}")
    return t


def _batch_shape(qs, ks, vs, op: str, gqa: bool) -> tuple:
    if qs[-1] != ks[-1]:
        raise ValueError(f"{op}: query and key must have the same last dim (embedding), got "
                         f"query {qs} and key {ks}")
    if ks[:-1] != vs[:-1]:
        raise ValueError(f"{op}: key and value must agree in all dims but the last, got key "
                         f"{ks} and value {vs}")
    qb, kb = qs[:-2], ks[:-2]
    if gqa:
        if len(qs) < 3 or len(ks) < 3 or qs[-3] % ks[-3]:
            raise ValueError(f"{op}: enable_gqa needs (..., heads, seq, dim) inputs whose query "
                             f"heads are a multiple of the key heads, got query {qs}, key {ks}")
        qb, kb = qs[:-3], ks[:-3]
    try:
        return np.broadcast_shapes(qb, kb)
    except ValueError:
        raise ValueError(f"{op}: query and key batch dims do not match: query {qs}, key "
                         f"{ks} (batch dims {qb} and {kb})") from None


def additive_mask(attn_mask, L: int, S: int, dtype, op: str, name: str = "attn_mask",
                  true_means: str = "take part", check: bool = True):
    """A mask as an additive float array (0 or -inf for bools) or a float Tensor that
    needs grad (kept as is). ``true_means`` is "take part" (SDPA) or "masked" (MHA)."""
    if attn_mask is None:
        return None
    t = attn_mask if isinstance(attn_mask, Tensor) else None
    m = t.data if t is not None else xp.asarray(attn_mask)
    if check and (m.ndim < 1 or m.shape[-1] != S
                  or (m.ndim >= 2 and m.shape[-2] not in (1, L))):
        raise ValueError(f"{op}: {name} of shape {tuple(m.shape)} does not broadcast to the "
                         f"attention weights (..., L={L}, S={S})")
    if m.dtype == np.bool_:
        keep = m if true_means == "take part" else ~m
        out = xp.zeros(m.shape, dtype)
        out[~keep] = -xp.inf
        return out
    if m.dtype.kind != "f":
        raise TypeError(f"{op}: {name} must be bool or floating point, got dtype {m.dtype}")
    if t is not None and t.requires_grad:
        return t if m.dtype == dtype else t.to(dtype)
    return m.astype(dtype, copy=False)


def causal_mask(L: int, S: int, dtype) -> np.ndarray:
    """0 on and below the diagonal, -inf above: query i sees keys 0..i (top-left aligned)."""
    m = xp.zeros((L, S), dtype)
    m[xp.triu_indices(L, 1, S)] = -xp.inf
    return m


@op(method=False, top=False, functional=True,
    records=(ScaledDotProductAttention, PackedSelfAttention))
def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p: float = 0.0,
                                 is_causal: bool = False, scale: float | None = None,
                                 enable_gqa: bool = False, *, generator=None) -> Tensor:
    """softmax(Q Kᵀ · scale + mask) V: ``(..., L, E), (..., S, E), (..., S, Ev) -> (..., L, Ev)``.

    ``attn_mask`` broadcasts to ``(..., L, S)``: a bool mask marks with True the keys that
    *take part*; a float mask is added to the scores (and gets a gradient). ``is_causal``
    lets query i see keys 0..i only. ``scale`` defaults to 1/√E. ``dropout_p`` drops
    attention weights (always, as in PyTorch: pass 0 in evaluation), drawn from
    ``generator``. ``enable_gqa`` lets ``Hq`` query heads share ``Hk`` key/value heads.
    A query whose keys are all masked gives zeros. One fused op (see the module docstring).
    """
    op = "scaled_dot_product_attention"
    q = _as_tensor(query, "query", op)
    k = _as_tensor(key, "key", op)
    v = _as_tensor(value, "value", op)
    qs, ks, vs = tuple(q.data.shape), tuple(k.data.shape), tuple(v.data.shape)
    _batch_shape(qs, ks, vs, op, enable_gqa)
    dtype = np.result_type(q.data.dtype, k.data.dtype, v.data.dtype)
    for name, t in (("key", k), ("value", v)):
        if t.data.dtype != q.data.dtype:
            raise TypeError(f"{op}: query and {name} must have the same dtype, got "
                            f"{q.data.dtype} and {t.data.dtype}")
    L, S = qs[-2], ks[-2]
    if is_causal and attn_mask is not None:
        raise ValueError(f"{op}: pass either attn_mask or is_causal=True, not both")
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{op}: dropout_p must be between 0 and 1, got {dropout_p}")
    mask = causal_mask(L, S, dtype) if is_causal else additive_mask(attn_mask, L, S, dtype, op)
    if scale is None:
        scale = 1.0 / math.sqrt(qs[-1]) if qs[-1] else 1.0
    keep = None
    if dropout_p > 0.0:
        bshape = np.broadcast_shapes(qs[:-1] + (S,), ks[:-2] + (L, S))
        if mask is not None:
            bshape = np.broadcast_shapes(bshape, mask.shape)
        if dropout_p == 1.0:
            keep = xp.zeros(bshape, dtype)
            dropout_p = 0.0  # scale by 1 / (1 - 0): the kept weights are all zero anyway
        else:
            keep = resolve(generator).random(bshape, dtype=np.float32) >= dropout_p
    if enable_gqa and keep is not None:
        keep = keep.reshape(keep.shape[:-3] + (ks[-3], qs[-3] // ks[-3]) + keep.shape[-2:])
    if enable_gqa and isinstance(mask, (np.ndarray, Tensor)) and mask.ndim >= 3:
        raise ValueError(f"{op}: with enable_gqa the mask must be (L, S), got {mask.shape}")
    return ScaledDotProductAttention.apply(q, k, v, mask, float(scale), keep,
                                           float(dropout_p), bool(enable_gqa))


def packed_self_attention(qkv, num_heads: int, attn_mask=None, dropout_p: float = 0.0,
                          batch_first: bool = False, generator=None) -> Tensor:
    """Self-attention over packed projections ``qkv (N, L, 3E)`` (``(L, N, 3E)`` unless
    ``batch_first``) in ``num_heads`` heads -> ``(N, L, E)``: what ``MultiheadAttention``
    runs between its input and output projections. ``attn_mask`` is additive (an array
    or a Tensor needing grad) broadcasting to ``(N, H, L, L)``."""
    shape = tuple(qkv.data.shape)
    L = shape[1] if batch_first else shape[0]
    d = shape[-1] // (3 * num_heads)
    keep = None
    if dropout_p > 0.0:
        N = shape[0] if batch_first else shape[1]
        keep = resolve(generator).random((N, num_heads, L, L), dtype=np.float32) >= dropout_p
        if dropout_p >= 1.0:
            keep[...] = False
            dropout_p = 0.0
    scale = 1.0 / math.sqrt(d) if d else 1.0
    return PackedSelfAttention.apply(qkv, attn_mask, num_heads, bool(batch_first), scale, keep,
                                     float(dropout_p))


@op(method=False, top=False, functional=True, records=AttentionWeights)
def attention_weights(query, key, attn_mask=None, scale: float | None = None) -> Tensor:
    """softmax(Q Kᵀ · scale + mask) on its own: ``(..., L, E), (..., S, E) -> (..., L, S)``.

    ``attn_mask`` is additive (a float array or Tensor, -inf where masked). Rows whose keys
    are all masked are NaN, as in PyTorch's ``MultiheadAttention`` weights.
    """
    op = "attention_weights"
    q = _as_tensor(query, "query", op)
    k = _as_tensor(key, "key", op)
    if scale is None:
        scale = 1.0 / math.sqrt(q.data.shape[-1]) if q.data.shape[-1] else 1.0
    return AttentionWeights.apply(q, k, attn_mask, float(scale))
