"""Multi-head attention with PyTorch's parameters, arguments and return values.

``MultiheadAttention(embed_dim, num_heads)`` projects queries, keys and values with one
packed weight ``in_proj_weight (3E, E)`` (or ``q_proj_weight``, ``k_proj_weight``,
``v_proj_weight`` when ``kdim``/``vdim`` differ from ``embed_dim``), splits them into
``num_heads`` heads of ``E / num_heads`` features, runs scaled dot-product attention in
every head at once (one batched product over ``(N, H, L, d)`` arrays), joins the heads
and applies ``out_proj``. A PyTorch ``state_dict`` loads as is.

Masks follow ``torch.nn.MultiheadAttention``: in ``attn_mask`` and ``key_padding_mask`` a
bool True means *masked out* (the opposite of ``F.scaled_dot_product_attention``) and a
float is added to the scores.
"""

from __future__ import annotations

import numpy as np

from ..backend import DEFAULT_FLOAT, xp
from ..ops.attention import (
    additive_mask,
    attention_weights,
    packed_self_attention,
    scaled_dot_product_attention,
)
from ..ops.dropout import dropout as _dropout
from ..ops.linear import linear
from ..tensor import Tensor
from . import init
from .linear import Linear
from .module import Module
from .parameter import Parameter

__all__ = ["MultiheadAttention", "multi_head_attention_forward"]


def _heads(x, N: int, H: int, batch_first: bool):
    """(N, S, E) or (S, N, E) -> (N, H, S, E / H)."""
    if batch_first:
        S = x.shape[1]
        return x.reshape(N, S, H, -1).permute(0, 2, 1, 3)
    S = x.shape[0]
    return x.reshape(S, N, H, -1).permute(1, 2, 0, 3)


def _merge(y, batch_first: bool):
    """(N, H, L, d) -> (N, L, H·d) or (L, N, H·d)."""
    N, H, L, d = y.shape
    if batch_first:
        return y.permute(0, 2, 1, 3).reshape(N, L, H * d)
    return y.permute(2, 0, 1, 3).reshape(L, N, H * d)


def _pad_col(m):
    """Append one key column that takes part (0) to an additive mask (array or Tensor)."""
    if m is None:
        return None
    if isinstance(m, Tensor):
        from ..ops.shape import cat

        return cat([m, Tensor(xp.zeros(m.shape[:-1] + (1,), m.data.dtype))], -1)
    return xp.concatenate([m, xp.zeros(m.shape[:-1] + (1,), m.dtype)], -1)


def _add(a, b):
    if a is None:
        return b
    if b is None:
        return a
    if isinstance(a, Tensor) or isinstance(b, Tensor):
        return (a if isinstance(a, Tensor) else Tensor(a)) + b
    return a + b


def _shape_of(x) -> tuple:
    return tuple((x.data if isinstance(x, Tensor) else xp.asarray(x)).shape)


def multi_head_attention_forward(
    query, key, value, embed_dim_to_check: int, num_heads: int, in_proj_weight, in_proj_bias,
    bias_k, bias_v, add_zero_attn: bool, dropout_p: float, out_proj_weight, out_proj_bias,
    training: bool = True, key_padding_mask=None, need_weights: bool = True, attn_mask=None,
    use_separate_proj_weight: bool = False, q_proj_weight=None, k_proj_weight=None,
    v_proj_weight=None, static_k=None, static_v=None, average_attn_weights: bool = True,
    is_causal: bool = False, *, batch_first: bool = False, generator=None,
):
    """The computation behind :class:`MultiheadAttention` (PyTorch's functional form).

    ``query (L, N, E)``, ``key (S, N, kdim)``, ``value (S, N, vdim)`` (``(N, L, E)`` ... when
    ``batch_first``; unbatched ``(L, E)`` too) -> ``(output (L, N, E), weights)``, weights
    ``(N, L, S)`` averaged over heads, ``(N, H, L, S)`` if not ``average_attn_weights``, or
    None unless ``need_weights``.
    """
    name = "MultiheadAttention"
    if static_k is not None or static_v is not None:
        raise NotImplementedError(f"{name}: static_k / static_v are not supported")
    for nm, t in (("query", query), ("key", key), ("value", value)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: {nm} must be a Tensor, got {type(t).__name__}")
    qs, ks, vs = tuple(query.shape), tuple(key.shape), tuple(value.shape)
    if len(qs) not in (2, 3) or len(ks) != len(qs) or len(vs) != len(qs):
        raise ValueError(f"{name}: query, key and value must all be 3-D (batched) or 2-D "
                         f"(unbatched), got query {qs}, key {ks}, value {vs}")
    batched = len(qs) == 3
    E = embed_dim_to_check
    if qs[-1] != E:
        raise ValueError(f"{name}: query's last dim must be embed_dim={E}, got query {qs}")
    if ks[:-1] != vs[:-1]:
        raise ValueError(f"{name}: key and value must have the same sequence length and batch "
                         f"size, got key {ks} and value {vs}")
    kdim = k_proj_weight.shape[1] if use_separate_proj_weight else E
    vdim = v_proj_weight.shape[1] if use_separate_proj_weight else E
    if ks[-1] != kdim or vs[-1] != vdim:
        raise ValueError(f"{name}: key's last dim must be kdim={kdim} and value's vdim={vdim}, "
                         f"got key {ks} and value {vs}")
    packed = query is key and key is value
    if not batched:  # one sequence: a batch of one, squeezed again at the end
        bdim = 0 if batch_first else 1
        query, key, value = query.unsqueeze(bdim), key.unsqueeze(bdim), value.unsqueeze(bdim)
        if packed:
            key = value = query
        if key_padding_mask is not None:
            kp = _shape_of(key_padding_mask)
            if len(kp) != 1:
                raise ValueError(f"{name}: for unbatched inputs key_padding_mask must be 1-D "
                                 f"(S,), got {kp}")
            key_padding_mask = (key_padding_mask.unsqueeze(0) if isinstance(
                key_padding_mask, Tensor) else xp.asarray(key_padding_mask)[None])
    if batch_first:
        N, L = query.shape[0], query.shape[1]
        Nk, S = key.shape[0], key.shape[1]
    else:
        L, N = query.shape[0], query.shape[1]
        S, Nk = key.shape[0], key.shape[1]
    if Nk != N:
        raise ValueError(f"{name}: query and key batch sizes differ: query {qs}, key {ks} "
                         f"(batch_first={batch_first})")
    H = num_heads
    hd = E // H
    dtype = query.data.dtype
    if is_causal and attn_mask is None:
        raise RuntimeError(f"{name}: is_causal=True is a hint that attn_mask is the causal "
                           f"mask; pass attn_mask too (e.g. Transformer."
                           f"generate_square_subsequent_mask(L))")

    # --- projections --------------------------------------------------------------------
    if use_separate_proj_weight:
        bq = bk = bv = None
        if in_proj_bias is not None:
            bq, bk, bv = in_proj_bias[:E], in_proj_bias[E:2 * E], in_proj_bias[2 * E:]
        q = linear(query, q_proj_weight, bq)
        k = linear(key, k_proj_weight, bk)
        v = linear(value, v_proj_weight, bv)
    elif packed:
        qkv = linear(query, in_proj_weight, in_proj_bias)
        q = k = v = None
    else:
        W, b = in_proj_weight, in_proj_bias
        q = linear(query, W[:E], None if b is None else b[:E])
        if key is value:
            kv = linear(key, W[E:], None if b is None else b[E:])
            k, v = kv[..., :E], kv[..., E:]
        else:
            k = linear(key, W[E:2 * E], None if b is None else b[E:2 * E])
            v = linear(value, W[2 * E:], None if b is None else b[2 * E:])

    # --- masks: additive float arrays (or a Tensor needing grad) ------------------------
    if attn_mask is not None:
        ms = _shape_of(attn_mask)
        if len(ms) == 2:
            if ms != (L, S):
                raise ValueError(f"{name}: the shape of the 2-D attn_mask is {ms}, but should "
                                 f"be {(L, S)} (target length, source length)")
        elif len(ms) == 3:
            if ms != (N * H, L, S):
                raise ValueError(f"{name}: the shape of the 3-D attn_mask is {ms}, but should "
                                 f"be {(N * H, L, S)} (batch · num_heads, L, S)")
        else:
            raise ValueError(f"{name}: attn_mask must be 2-D or 3-D, got shape {ms}")
        attn_mask = additive_mask(attn_mask, L, S, dtype, name, "attn_mask", "masked")
        if len(ms) == 3:
            attn_mask = attn_mask.reshape(N, H, L, S)
    if key_padding_mask is not None:
        ps = _shape_of(key_padding_mask)
        if ps != (N, S):
            raise ValueError(f"{name}: key_padding_mask must have shape (batch, source "
                             f"length) = {(N, S)}, got {ps}")
        key_padding_mask = additive_mask(key_padding_mask, 1, S, dtype, name,
                                         "key_padding_mask", "masked", False)
        key_padding_mask = key_padding_mask.reshape(N, 1, 1, S)

    fused = q is None and bias_k is None and not add_zero_attn and not need_weights
    if fused:  # self-attention: heads split and joined inside one op
        mask = _add(attn_mask, key_padding_mask)
        y = packed_self_attention(qkv, H, mask, dropout_p if training else 0.0, batch_first,
                                  generator)
        out = linear(y, out_proj_weight, out_proj_bias)
        return (out if batched else out.squeeze(0 if batch_first else 1)), None
    if q is None and bias_k is None:
        if batch_first:
            qkv = qkv.reshape(N, L, 3, H, hd).permute(2, 0, 3, 1, 4)
        else:
            qkv = qkv.reshape(L, N, 3, H, hd).permute(2, 1, 3, 0, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
    else:
        if q is None:
            q, k, v = qkv[..., :E], qkv[..., E:2 * E], qkv[..., 2 * E:]
        if bias_k is not None or bias_v is not None:
            if bias_k is None or bias_v is None:
                raise ValueError(f"{name}: bias_k and bias_v must be given together")
            from ..ops.shape import cat

            bshape = (N, 1, E) if batch_first else (1, N, E)
            sdim = 1 if batch_first else 0
            k = cat([k, bias_k.expand(*bshape)], sdim)
            v = cat([v, bias_v.expand(*bshape)], sdim)
            attn_mask, key_padding_mask = _pad_col(attn_mask), _pad_col(key_padding_mask)
            S += 1
        q, k, v = _heads(q, N, H, batch_first), _heads(k, N, H, batch_first), \
            _heads(v, N, H, batch_first)
    if add_zero_attn:
        from ..ops.shape import cat

        zeros = Tensor(xp.zeros((N, H, 1, hd), dtype))
        k, v = cat([k, zeros], 2), cat([v, zeros], 2)
        attn_mask, key_padding_mask = _pad_col(attn_mask), _pad_col(key_padding_mask)
        S += 1
    mask = _add(attn_mask, key_padding_mask)
    if not training:
        dropout_p = 0.0

    if need_weights:
        w = attention_weights(q, k, mask)
        wd = _dropout(w, dropout_p, True, generator=generator) if dropout_p > 0 else w
        y = wd @ v
    else:
        y = scaled_dot_product_attention(q, k, v, mask, dropout_p, generator=generator)
    out = linear(_merge(y, batch_first), out_proj_weight, out_proj_bias)
    weights = None
    if need_weights:
        weights = wd.mean(1) if average_attn_weights else wd
        if not batched:
            weights = weights.squeeze(0)
    if not batched:
        out = out.squeeze(0 if batch_first else 1)
    return out, weights


class MultiheadAttention(Module):
    """Attention from ``num_heads`` heads side by side, each over ``embed_dim / num_heads``
    features: ``query (L, N, E)``, ``key (S, N, kdim)``, ``value (S, N, vdim)`` ->
    ``(output (L, N, E), weights (N, L, S) or None)``; ``(N, L, E)`` ... when ``batch_first``.

    Parameters as in PyTorch: ``in_proj_weight (3E, E)`` and ``in_proj_bias (3E,)`` (or
    ``q_proj_weight (E, E)``, ``k_proj_weight (E, kdim)``, ``v_proj_weight (E, vdim)`` when
    ``kdim`` or ``vdim`` differ from ``embed_dim``), ``out_proj`` (a Linear), and with
    ``add_bias_kv`` ``bias_k``, ``bias_v (1, 1, E)``. ``add_zero_attn`` appends a key and a
    value of zeros. ``dropout`` drops attention weights while training; ``generator``
    seeds the initial weights and the dropout masks.

    ``forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
    average_attn_weights=True, is_causal=False)``: masks use True = *masked out*; a float
    mask is added to the scores. With ``need_weights`` a query whose keys are all masked
    gives NaN (as PyTorch does); without it the fused op gives zeros there.
    """

    def __init__(self, embed_dim: int, num_heads: int, dropout: float = 0.0, bias: bool = True,
                 add_bias_kv: bool = False, add_zero_attn: bool = False, kdim: int | None = None,
                 vdim: int | None = None, batch_first: bool = False, device=None, dtype=None,
                 *, generator=None) -> None:
        super().__init__()
        for nm, n in (("embed_dim", embed_dim), ("num_heads", num_heads)):
            if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n <= 0:
                raise ValueError(f"MultiheadAttention: {nm} must be a positive integer, "
                                 f"got {n!r}")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible "
                             f"by num_heads ({num_heads}): each head gets embed_dim / "
                             f"num_heads features")
        if not 0.0 <= dropout <= 1.0:
            raise ValueError(f"MultiheadAttention: dropout must be between 0 and 1, got "
                             f"{dropout}")
        dt = np.dtype(DEFAULT_FLOAT if dtype is None else dtype)
        E = self.embed_dim = int(embed_dim)
        self.kdim = int(kdim) if kdim is not None else E
        self.vdim = int(vdim) if vdim is not None else E
        self._qkv_same_embed_dim = self.kdim == E and self.vdim == E
        self.num_heads = int(num_heads)
        self.dropout = float(dropout)
        self.batch_first = bool(batch_first)
        self.head_dim = E // self.num_heads
        self.generator = generator
        if self._qkv_same_embed_dim:
            self.in_proj_weight = Parameter(xp.empty((3 * E, E), dt))
            self.register_parameter("q_proj_weight", None)
            self.register_parameter("k_proj_weight", None)
            self.register_parameter("v_proj_weight", None)
        else:
            self.q_proj_weight = Parameter(xp.empty((E, E), dt))
            self.k_proj_weight = Parameter(xp.empty((E, self.kdim), dt))
            self.v_proj_weight = Parameter(xp.empty((E, self.vdim), dt))
            self.register_parameter("in_proj_weight", None)
        if bias:
            self.in_proj_bias = Parameter(xp.empty(3 * E, dt))
        else:
            self.register_parameter("in_proj_bias", None)
        self.out_proj = Linear(E, E, bias=bias, dtype=dt, generator=generator)
        if add_bias_kv:
            self.bias_k = Parameter(xp.empty((1, 1, E), dt))
            self.bias_v = Parameter(xp.empty((1, 1, E), dt))
        else:
            self.bias_k = self.bias_v = None
        self.add_zero_attn = bool(add_zero_attn)
        self._reset_parameters(generator)

    def _reset_parameters(self, generator=None) -> None:
        if self._qkv_same_embed_dim:
            init.xavier_uniform_(self.in_proj_weight, generator=generator)
        else:
            for w in (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight):
                init.xavier_uniform_(w, generator=generator)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        if self.bias_k is not None:
            init.xavier_normal_(self.bias_k, generator=generator)
            init.xavier_normal_(self.bias_v, generator=generator)

    def forward(self, query, key, value, key_padding_mask=None, need_weights: bool = True,
                attn_mask=None, average_attn_weights: bool = True, is_causal: bool = False):
        return multi_head_attention_forward(
            query, key, value, self.embed_dim, self.num_heads, self.in_proj_weight,
            self.in_proj_bias, self.bias_k, self.bias_v, self.add_zero_attn, self.dropout,
            self.out_proj.weight, self.out_proj.bias, training=self.training,
            key_padding_mask=key_padding_mask, need_weights=need_weights, attn_mask=attn_mask,
            use_separate_proj_weight=not self._qkv_same_embed_dim,
            q_proj_weight=self.q_proj_weight, k_proj_weight=self.k_proj_weight,
            v_proj_weight=self.v_proj_weight, average_attn_weights=average_attn_weights,
            is_causal=is_causal, batch_first=self.batch_first, generator=self.generator)

    def extra_repr(self) -> str:
        s = f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if not self._qkv_same_embed_dim:
            s += f", kdim={self.kdim}, vdim={self.vdim}"
        if self.batch_first:
            s += ", batch_first=True"
        return s
