"""Transformer layers with PyTorch's arguments, sub-module names and ``state_dict`` keys.

- :class:`TransformerEncoderLayer`: self-attention then a feed-forward block, each with a
  residual connection and layer norm (after the residual, or before the block when
  ``norm_first``);
- :class:`TransformerDecoderLayer`: masked self-attention, attention over the encoder's
  output (``memory``), then the feed-forward block;
- :class:`TransformerEncoder`, :class:`TransformerDecoder`: stacks of copies of a layer,
  with an optional final norm;
- :class:`Transformer`: the encoder-decoder of "Attention is all you need";
- :class:`PositionalEncoding` (fixed sines and cosines) and
  :class:`LearnedPositionalEncoding` (one trained vector per position).

Shapes are ``(S, N, E)`` (sequence first), or ``(N, S, E)`` with ``batch_first=True``;
unbatched ``(S, E)`` works too. Masks follow :class:`MultiheadAttention`: bool True =
masked out, floats are added to the scores.
"""

from __future__ import annotations

import copy
import math

import numpy as np

from ..backend import DEFAULT_FLOAT, xp
from ..tensor import Tensor
from . import functional as F
from . import init
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .module import Module
from .norm import LayerNorm
from .parameter import Parameter

__all__ = ["TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer",
           "TransformerDecoder", "Transformer", "PositionalEncoding",
           "LearnedPositionalEncoding", "generate_square_subsequent_mask"]


def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
    """``(sz, sz)`` float mask: 0 on and below the diagonal, -inf above, so position i
    attends to positions 0..i only (the causal mask of a decoder)."""
    if not isinstance(sz, (int, np.integer)) or sz < 0:
        raise ValueError(f"generate_square_subsequent_mask: sz must be a non-negative "
                         f"integer, got {sz!r}")
    m = xp.zeros((sz, sz), np.dtype(DEFAULT_FLOAT if dtype is None else dtype))
    m[xp.triu_indices(sz, 1)] = -xp.inf
    return Tensor(m)


def _activation(activation):
    """"relu", "gelu" or a callable -> a callable (F.gelu looked up when first used)."""
    if callable(activation):
        return activation
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return _gelu
    raise ValueError(f"activation should be 'relu', 'gelu' or a callable, got {activation!r}")


def _gelu(x):
    return F.gelu(x)


def _get_clones(module: Module, n: int) -> ModuleList:
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _check_layer_args(cls: str, d_model, nhead, dim_feedforward, dropout) -> None:
    for nm, v in (("d_model", d_model), ("nhead", nhead), ("dim_feedforward", dim_feedforward)):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v <= 0:
            raise ValueError(f"{cls}: {nm} must be a positive integer, got {v!r}")
    if d_model % nhead:
        raise ValueError(f"{cls}: d_model ({d_model}) must be divisible by nhead ({nhead})")
    if not 0.0 <= dropout <= 1.0:
        raise ValueError(f"{cls}: dropout must be between 0 and 1, got {dropout}")


class _Block(Module):
    """What both layer kinds share: the feed-forward block ``linear2(dropout(activation(
    linear1(x))))``, its dropout after it (``dropout2`` or ``dropout3``) and the norms."""

    def _build(self, d_model, dim_feedforward, dropout, activation, layer_norm_eps, bias,
               norm_first, n_norms, dtype, generator) -> None:
        kw = {"dtype": dtype, "generator": generator}
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout, generator=generator)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = norm_first
        for i in range(1, n_norms + 1):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias,
                                                dtype=dtype))
        for i in range(1, n_norms + 1):
            setattr(self, f"dropout{i}", Dropout(dropout, generator=generator))
        self.activation = _activation(activation)
        self._ff_dropout = f"dropout{n_norms}"

    def _ff_block(self, x):
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        return getattr(self, self._ff_dropout)(x)


class TransformerEncoderLayer(_Block):
    """Self-attention and a feed-forward block: ``(S, N, E) -> (S, N, E)``.

    Post-norm (default): ``x = norm1(x + SA(x)); x = norm2(x + FF(x))``; with
    ``norm_first``: ``x = x + SA(norm1(x)); x = x + FF(norm2(x))``, where
    ``FF(x) = linear2(dropout(activation(linear1(x))))``. Sub-modules ``self_attn``,
    ``linear1``, ``dropout``, ``linear2``, ``norm1``, ``norm2``, ``dropout1``, ``dropout2``
    as in PyTorch.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device=None, dtype=None, *, generator=None) -> None:
        super().__init__()
        _check_layer_args("TransformerEncoderLayer", d_model, nhead, dim_feedforward, dropout)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, dtype=dtype,
                                            generator=generator)
        self._build(d_model, dim_feedforward, dropout, activation, layer_norm_eps, bias,
                    norm_first, 2, dtype, generator)
        self.batch_first = batch_first

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal: bool = False):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)



class TransformerDecoderLayer(_Block):
    """Masked self-attention, attention over ``memory``, and a feed-forward block:
    ``tgt (T, N, E), memory (S, N, E) -> (T, N, E)``.

    Sub-modules ``self_attn``, ``multihead_attn``, ``linear1``, ``dropout``, ``linear2``,
    ``norm1``-``norm3``, ``dropout1``-``dropout3`` as in PyTorch; post-norm by default,
    pre-norm with ``norm_first``.
    """

    def __init__(self, d_model: int, nhead: int, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device=None, dtype=None, *, generator=None) -> None:
        super().__init__()
        _check_layer_args("TransformerDecoderLayer", d_model, nhead, dim_feedforward, dropout)
        kw = {"dtype": dtype, "generator": generator}
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **kw)
        self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                                 batch_first=batch_first, **kw)
        self._build(d_model, dim_feedforward, dropout, activation, layer_norm_eps, bias,
                    norm_first, 3, dtype, generator)
        self.batch_first = batch_first

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool = False,
                memory_is_causal: bool = False):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask,
                                    memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                               memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           is_causal=is_causal, need_weights=False)[0]
        return self.dropout1(x)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal,
                                need_weights=False)[0]
        return self.dropout2(x)



class TransformerEncoder(Module):
    """``num_layers`` copies of ``encoder_layer`` (``layers.0``, ``layers.1``, ...) and an
    optional final ``norm``: ``(S, N, E) -> (S, N, E)``."""

    def __init__(self, encoder_layer: Module, num_layers: int, norm: Module | None = None,
                 enable_nested_tensor: bool = True, mask_check: bool = True) -> None:
        super().__init__()
        if not isinstance(num_layers, (int, np.integer)) or num_layers < 0:
            raise ValueError(f"TransformerEncoder: num_layers must be a non-negative integer, "
                             f"got {num_layers!r}")
        self.layers = _get_clones(encoder_layer, num_layers)
        self.num_layers = int(num_layers)
        self.norm = norm

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal: bool | None = None):
        x = src
        for layer in self.layers:
            x = layer(x, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                      is_causal=bool(is_causal))
        return self.norm(x) if self.norm is not None else x


class TransformerDecoder(Module):
    """``num_layers`` copies of ``decoder_layer`` and an optional final ``norm``:
    ``tgt (T, N, E), memory (S, N, E) -> (T, N, E)``."""

    def __init__(self, decoder_layer: Module, num_layers: int, norm: Module | None = None):
        super().__init__()
        if not isinstance(num_layers, (int, np.integer)) or num_layers < 0:
            raise ValueError(f"TransformerDecoder: num_layers must be a non-negative integer, "
                             f"got {num_layers!r}")
        self.layers = _get_clones(decoder_layer, num_layers)
        self.num_layers = int(num_layers)
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal: bool | None = None,
                memory_is_causal: bool = False):
        x = tgt
        for layer in self.layers:
            x = layer(x, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                      tgt_key_padding_mask=tgt_key_padding_mask,
                      memory_key_padding_mask=memory_key_padding_mask,
                      tgt_is_causal=bool(tgt_is_causal), memory_is_causal=memory_is_causal)
        return self.norm(x) if self.norm is not None else x


class Transformer(Module):
    """The encoder-decoder Transformer: ``src (S, N, E), tgt (T, N, E) -> (T, N, E)``.

    ``encoder`` (``num_encoder_layers`` layers and a final LayerNorm) reads ``src``;
    ``decoder`` (``num_decoder_layers`` layers and a final LayerNorm) reads ``tgt`` and
    attends to the encoder's output. Every weight matrix starts Xavier-uniform, as in
    PyTorch. Use :meth:`generate_square_subsequent_mask` for ``tgt_mask``.
    """

    def __init__(self, d_model: int = 512, nhead: int = 8, num_encoder_layers: int = 6,
                 num_decoder_layers: int = 6, dim_feedforward: int = 2048,
                 dropout: float = 0.1, activation="relu", custom_encoder: Module | None = None,
                 custom_decoder: Module | None = None, layer_norm_eps: float = 1e-5,
                 batch_first: bool = False, norm_first: bool = False, bias: bool = True,
                 device=None, dtype=None, *, generator=None) -> None:
        super().__init__()
        args = dict(d_model=d_model, nhead=nhead, dim_feedforward=dim_feedforward,
                    dropout=dropout, activation=activation, layer_norm_eps=layer_norm_eps,
                    batch_first=batch_first, norm_first=norm_first, bias=bias, dtype=dtype,
                    generator=generator)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(
                TransformerEncoderLayer(**args), num_encoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(
                TransformerDecoderLayer(**args), num_decoder_layers,
                LayerNorm(d_model, eps=layer_norm_eps, bias=bias, dtype=dtype))
        self.d_model, self.nhead, self.batch_first = d_model, nhead, batch_first
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p, generator=generator)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal: bool | None = None,
                tgt_is_causal: bool | None = None, memory_is_causal: bool = False):
        ss, ts = tuple(src.shape), tuple(tgt.shape)
        if len(ss) != len(ts) or len(ss) not in (2, 3):
            raise ValueError(f"Transformer: src and tgt must both be 3-D (batched) or 2-D "
                             f"(unbatched), got src {ss} and tgt {ts}")
        bdim = 0 if self.batch_first else 1
        if len(ss) == 3 and ss[bdim] != ts[bdim]:
            raise ValueError(f"Transformer: the batch sizes of src and tgt must be equal, got "
                             f"src {ss} and tgt {ts} (batch_first={self.batch_first})")
        if ss[-1] != self.d_model or ts[-1] != self.d_model:
            raise ValueError(f"Transformer: the feature number of src and tgt must be equal "
                             f"to d_model={self.d_model}, got src {ss} and tgt {ts}")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz: int, device=None, dtype=None) -> Tensor:
        """``(sz, sz)``: 0 on and below the diagonal, -inf above (a causal mask)."""
        return generate_square_subsequent_mask(sz, device, dtype)


def sinusoidal_table(max_len: int, d_model: int, dtype=DEFAULT_FLOAT) -> np.ndarray:
    """``(max_len, d_model)``: PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(...)."""
    pos = np.arange(max_len, dtype=np.float64)[:, None]
    freq = np.exp(np.arange(0, d_model, 2, dtype=np.float64) * (-math.log(10000.0) / d_model))
    pe = np.zeros((max_len, d_model))
    pe[:, 0::2] = np.sin(pos * freq)
    pe[:, 1::2] = np.cos(pos * freq[: d_model // 2])
    return pe.astype(dtype)


def _check_positions(cls: str, x, max_len: int, batch_first: bool) -> int:
    shape = tuple(x.shape)
    if len(shape) not in (2, 3):
        raise ValueError(f"{cls}: expected (S, N, E), (N, S, E) or (S, E) input, got {shape}")
    L = shape[1] if (batch_first and len(shape) == 3) else shape[0]
    if L > max_len:
        raise ValueError(f"{cls}: sequence length {L} exceeds max_len={max_len}")
    return L


class PositionalEncoding(Module):
    """Adds fixed sines and cosines of the position, then dropout: ``(S, N, E)`` ->
    ``(S, N, E)`` (``(N, S, E)`` with ``batch_first``, ``(S, E)`` unbatched).

    The table ``pe (max_len, d_model)`` is a non-persistent buffer: it is computed, not
    saved. Nothing here is trained.
    """

    def __init__(self, d_model: int, max_len: int = 5000, dropout: float = 0.0,
                 batch_first: bool = False, dtype=None, *, generator=None) -> None:
        super().__init__()
        self.d_model, self.max_len, self.batch_first = d_model, max_len, batch_first
        self.register_buffer("pe", Tensor(sinusoidal_table(
            max_len, d_model, DEFAULT_FLOAT if dtype is None else dtype)), persistent=False)
        self.dropout = Dropout(dropout, generator=generator)

    def forward(self, x):
        L = _check_positions("PositionalEncoding", x, self.max_len, self.batch_first)
        pe = self.pe.data[:L]
        if x.ndim == 3 and not self.batch_first:
            pe = pe[:, None, :]
        return self.dropout(x + Tensor(pe.astype(x.data.dtype, copy=False)))

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}"


class LearnedPositionalEncoding(Module):
    """Adds a trained vector per position (``weight (max_len, d_model)``, drawn from
    N(0, 0.02²)), then dropout; shapes as :class:`PositionalEncoding`."""

    def __init__(self, d_model: int, max_len: int = 512, dropout: float = 0.0,
                 batch_first: bool = False, dtype=None, *, generator=None) -> None:
        super().__init__()
        self.d_model, self.max_len, self.batch_first = d_model, max_len, batch_first
        dt = np.dtype(DEFAULT_FLOAT if dtype is None else dtype)
        self.weight = Parameter(xp.empty((max_len, d_model), dt))
        init.normal_(self.weight, 0.0, 0.02, generator)
        self.dropout = Dropout(dropout, generator=generator)

    def forward(self, x):
        L = _check_positions("LearnedPositionalEncoding", x, self.max_len, self.batch_first)
        pe = self.weight[:L]
        if x.ndim == 3 and not self.batch_first:
            pe = pe.unsqueeze(1)
        return self.dropout(x + pe)

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, max_len={self.max_len}"
