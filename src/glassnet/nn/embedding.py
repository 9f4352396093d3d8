"""Embedding: a learnable lookup table from integer ids to vectors."""

from __future__ import annotations

import numpy as np

from ..backend import DEFAULT_FLOAT, xp
from ..random import resolve
from ..tensor import Tensor
from . import functional as F
from .module import Module
from .parameter import Parameter

__all__ = ["Embedding"]


class _Table(Module):
    """What Embedding and EmbeddingBag share: the ``(num_embeddings, embedding_dim)``
    weight, its options and their checks (``who`` names the layer in errors)."""

    def _init_table(self, who: str, num_embeddings, embedding_dim, padding_idx, max_norm,
                    norm_type, scale_grad_by_freq, sparse, _weight, freeze: bool, dtype,
                    generator) -> None:
        for name, v in (("num_embeddings", num_embeddings), ("embedding_dim", embedding_dim)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 1:
                raise ValueError(f"{who}: {name} must be a positive integer, got {v!r}")
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        if padding_idx is not None:
            V = self.num_embeddings
            if not -V <= padding_idx < V:
                raise ValueError(f"{who}: padding_idx {padding_idx} must be within "
                                 f"[-{V}, {V - 1}] for num_embeddings={V}")
            padding_idx = int(padding_idx) % V
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = float(norm_type)
        self.scale_grad_by_freq = bool(scale_grad_by_freq)
        if sparse:
            raise NotImplementedError(f"{who}: sparse=True is not supported (gradients "
                                      f"are dense (V, D) arrays)")
        self.sparse = False
        dt = np.dtype(DEFAULT_FLOAT if dtype is None else dtype)
        if _weight is None:
            self.weight = Parameter(xp.empty((self.num_embeddings, self.embedding_dim), dt),
                                    requires_grad=not freeze)
            self.reset_parameters(generator)
        else:
            w = _weight.data if isinstance(_weight, Tensor) else xp.asarray(_weight)
            expected = (self.num_embeddings, self.embedding_dim)
            if tuple(w.shape) != expected:
                raise ValueError(f"{who}: _weight has shape {tuple(w.shape)}, "
                                 f"expected {expected}")
            self.weight = Parameter(xp.array(w, dtype=w.dtype if dtype is None else dt),
                                    requires_grad=not freeze)

    def reset_parameters(self, generator=None) -> None:
        """Redraw the weight from N(0, 1) and zero the padding row."""
        w = self.weight.data
        w[...] = resolve(generator).standard_normal(w.shape)
        if self.padding_idx is not None:
            w[self.padding_idx] = 0

    def _norm_repr(self) -> str:
        """The norm options' part of ``extra_repr`` (only those off their defaults)."""
        s = ""
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2.0:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq:
            s += ", scale_grad_by_freq=True"
        return s

    @staticmethod
    def _pretrained(embeddings, who: str):
        """``from_pretrained``'s table: ``embeddings`` as a 2-D floating array."""
        w = embeddings.data if isinstance(embeddings, Tensor) else xp.asarray(embeddings)
        if w.ndim != 2:
            raise ValueError(f"{who}.from_pretrained: embeddings must be 2-D (V, D), got "
                             f"shape {tuple(w.shape)}")
        return w.astype(DEFAULT_FLOAT) if w.dtype.kind != "f" else w


class Embedding(_Table):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``.

    ``(*)`` integer ids -> ``(*, embedding_dim)``. The weight starts standard normal
    (the ``padding_idx`` row at zero, and it never gets a gradient). ``max_norm``
    renormalises, in place, each looked-up row whose ``norm_type``-norm exceeds it.
    Looking a row up is the same as multiplying a one-hot vector by the weight, so the
    gradient of a row is the sum of the gradients of every position that used it.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, padding_idx: int | None = None,
                 max_norm: float | None = None, norm_type: float = 2.0,
                 scale_grad_by_freq: bool = False, sparse: bool = False, _weight=None,
                 _freeze: bool = False, dtype=None, generator=None) -> None:
        super().__init__()
        self._init_table("Embedding", num_embeddings, embedding_dim, padding_idx, max_norm,
                         norm_type, scale_grad_by_freq, sparse, _weight, _freeze, dtype,
                         generator)

    def forward(self, input) -> Tensor:  # noqa: A002 - PyTorch's name
        return F.embedding(input, self.weight, self.padding_idx, self.max_norm, self.norm_type,
                         self.scale_grad_by_freq)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s + self._norm_repr()

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, padding_idx: int | None = None,
                        max_norm: float | None = None, norm_type: float = 2.0,
                        scale_grad_by_freq: bool = False, sparse: bool = False) -> Embedding:
        """An Embedding holding a copy of ``embeddings`` ``(V, D)``; ``freeze`` (the
        default) makes the weight non-trainable. The padding row keeps its given values."""
        w = cls._pretrained(embeddings, "Embedding")
        return cls(w.shape[0], w.shape[1], padding_idx, max_norm, norm_type,
                   scale_grad_by_freq, sparse, _weight=w, _freeze=freeze)

    @classmethod
    def from_keyed_vectors(cls, kv, vocab=None, freeze: bool = True, unknown: str = "zeros",
                           generator=None, max_norm: float | None = None,
                           norm_type: float = 2.0,
                           scale_grad_by_freq: bool = False) -> Embedding:
        """An Embedding holding word vectors (a ``KeyedVectors``, glassnet's or gensim's).

        With a ``vocab`` (``glassnet.data.Vocab``) row ``i`` is the vector of
        ``vocab.lookup_token(i)``: the pad token's row is zero and is the ``padding_idx``;
        words the vectors lack (``vocab.missing_from(kv)``) and the unknown token get
        ``unknown`` — ``"zeros"``, ``"mean"`` (of all vectors) or ``"random"`` (normal, with
        the vectors' standard deviation, from ``generator``). Without one the rows are
        ``kv.vectors`` in ``kv``'s order and there is no padding row. ``freeze`` (the
        default) makes the weight non-trainable, as in :meth:`from_pretrained`.
        """
        if vocab is None:
            from ..data.vocab import _kv_parts

            w = _kv_parts(kv, "Embedding.from_keyed_vectors")[2]
            if len(w) == 0:
                raise ValueError("Embedding.from_keyed_vectors: the vectors are empty")
            padding_idx = None
        else:
            if not hasattr(vocab, "lookup_vectors"):
                raise TypeError(f"Embedding.from_keyed_vectors: vocab must be a "
                                f"glassnet.data.Vocab, got {type(vocab).__name__}")
            w = vocab.lookup_vectors(kv, unknown=unknown, generator=generator)
            padding_idx = vocab.pad_index
        return cls(w.shape[0], w.shape[1], padding_idx, max_norm, norm_type,
                   scale_grad_by_freq, False, _weight=w, _freeze=freeze)
