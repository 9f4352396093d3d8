"""Layers a PyTorch port often needs, with PyTorch's names, arguments, reprs and state_dict
keys: EmbeddingBag, CTCLoss, LPPool1d/LPPool2d and AdaptiveLogSoftmaxWithLoss. Each
``forward`` is a call into ``nn.functional``."""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..grad_mode import no_grad
from ..ops.shape import cat
from ..tensor import Tensor
from . import functional as F
from .container import ModuleList, Sequential
from .embedding import _Table
from .linear import Linear
from .loss import _Loss
from .module import Module

__all__ = ["EmbeddingBag", "CTCLoss", "LPPool1d", "LPPool2d", "AdaptiveLogSoftmaxWithLoss"]


def _named(layer: Module, fn, *args, **kwargs):
    """Call ``fn``; a bad-input error is re-raised naming the layer (its repr)."""
    try:
        return fn(*args, **kwargs)
    except (ValueError, IndexError, TypeError) as e:
        raise type(e)(f"{layer!r}: {e}") from None


# --- EmbeddingBag -------------------------------------------------------------------------


class EmbeddingBag(_Table):
    """A table of ``num_embeddings`` vectors of size ``embedding_dim``, read a bag at a time:
    each bag of indices gives the sum, mean (the default) or elementwise max of its rows.

    ``forward(input, offsets=None, per_sample_weights=None)``: ``input`` ``(B, L)`` (B bags
    of L indices) or ``(n,)`` with ``offsets`` ``(B,)`` (where each bag starts) ->
    ``(B, embedding_dim)``. The weight starts standard normal, its ``padding_idx`` row at
    zero; entries equal to ``padding_idx`` are left out of their bag.
    """

    def __init__(self, num_embeddings: int, embedding_dim: int, max_norm: float | None = None,
                 norm_type: float = 2.0, scale_grad_by_freq: bool = False, mode: str = "mean",
                 sparse: bool = False, _weight=None, include_last_offset: bool = False,
                 padding_idx: int | None = None, device=None, dtype=None,
                 generator=None) -> None:
        super().__init__()
        if mode not in ("sum", "mean", "max"):
            raise ValueError(f"EmbeddingBag: mode must be 'sum', 'mean' or 'max', got {mode!r}")
        self._init_table("EmbeddingBag", num_embeddings, embedding_dim, padding_idx, max_norm,
                         norm_type, scale_grad_by_freq, sparse, _weight, False, dtype,
                         generator)
        self.mode = mode
        self.include_last_offset = bool(include_last_offset)

    def forward(self, input, offsets=None, per_sample_weights=None) -> Tensor:  # noqa: A002
        return _named(self, F.embedding_bag, input, self.weight, offsets, self.max_norm,
                      self.norm_type, self.scale_grad_by_freq, self.mode, False,
                      per_sample_weights, self.include_last_offset, self.padding_idx)

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}{self._norm_repr()}, mode={self.mode!r}"
        if self.include_last_offset:
            s += ", include_last_offset=True"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s

    @classmethod
    def from_pretrained(cls, embeddings, freeze: bool = True, max_norm: float | None = None,
                        norm_type: float = 2.0, scale_grad_by_freq: bool = False,
                        mode: str = "mean", sparse: bool = False,
                        include_last_offset: bool = False,
                        padding_idx: int | None = None) -> EmbeddingBag:
        """An EmbeddingBag holding a copy of ``embeddings`` ``(V, D)``; ``freeze`` (the
        default) makes the weight non-trainable. The padding row keeps its given values."""
        w = cls._pretrained(embeddings, "EmbeddingBag")
        bag = cls(w.shape[0], w.shape[1], max_norm, norm_type, scale_grad_by_freq, mode,
                  sparse, w, include_last_offset, padding_idx)
        bag.weight.requires_grad = not freeze
        return bag


# --- CTCLoss ------------------------------------------------------------------------------


class CTCLoss(_Loss):
    """Connectionist temporal classification: -log of the probability of the target summed
    over every alignment of it to the input steps (blanks between and around labels).

    ``forward(log_probs, targets, input_lengths, target_lengths)``: ``log_probs`` ``(T, N,
    C)`` log-softmax outputs (``(T, C)`` unbatched), ``targets`` padded ``(N, S)`` or
    concatenated; lengths ``(N,)``. See :func:`glassnet.nn.functional.ctc_loss`.
    """

    def __init__(self, blank: int = 0, reduction: str = "mean",
                 zero_infinity: bool = False) -> None:
        super().__init__(reduction=reduction)
        self.blank = blank
        self.zero_infinity = zero_infinity

    def forward(self, log_probs, targets, input_lengths, target_lengths) -> Tensor:
        return _named(self, F.ctc_loss, log_probs, targets, input_lengths, target_lengths,
                      self.blank, self.reduction, self.zero_infinity)


# --- LP pooling ---------------------------------------------------------------------------


class _LPPoolNd(Module):
    def __init__(self, norm_type: float, kernel_size, stride=None,
                 ceil_mode: bool = False) -> None:
        super().__init__()
        self.norm_type = norm_type
        self.kernel_size = kernel_size
        self.stride = stride
        self.ceil_mode = ceil_mode

    def extra_repr(self) -> str:
        return (f"norm_type={self.norm_type}, kernel_size={self.kernel_size}, "
                f"stride={self.stride}, ceil_mode={self.ceil_mode}")


class LPPool1d(_LPPoolNd):
    """Power-average pooling: (Σ over each window of x^p)^(1/p), p = ``norm_type``;
    ``(N, C, L) -> (N, C, L')`` or unbatched ``(C, L)``."""

    def forward(self, input) -> Tensor:  # noqa: A002
        return _named(self, F.lp_pool1d, input, self.norm_type, self.kernel_size,
                      self.stride, self.ceil_mode)


class LPPool2d(_LPPoolNd):
    """Power-average pooling: (Σ over each window of x^p)^(1/p), p = ``norm_type``;
    ``(N, C, H, W) -> (N, C, H', W')`` or unbatched ``(C, H, W)``."""

    def forward(self, input) -> Tensor:  # noqa: A002
        return _named(self, F.lp_pool2d, input, self.norm_type, self.kernel_size,
                      self.stride, self.ceil_mode)


# --- adaptive softmax ---------------------------------------------------------------------

_ASMoutput = namedtuple("_ASMoutput", ["output", "loss"])


class AdaptiveLogSoftmaxWithLoss(Module):
    """Adaptive softmax for many classes sorted by frequency: the ``cutoffs[0]`` most
    frequent classes and one entry per tail cluster share the ``head`` softmax; a class in
    cluster i gets log p(cluster i) + log p(class | cluster i), the latter from a smaller
    projection (``in_features // div_value^(i+1)`` wide).

    ``forward(input (N, in_features), target (N,))`` -> ``(output, loss)``: the target
    classes' log probabilities ``(N,)`` and their negated mean. ``log_prob(input)`` gives
    every class's ``(N, n_classes)``; ``predict(input)`` the most likely class ``(N,)``.
    """

    def __init__(self, in_features: int, n_classes: int, cutoffs, div_value: float = 4.0,
                 head_bias: bool = False, device=None, dtype=None) -> None:
        super().__init__()
        cutoffs = list(cutoffs)
        if len(cutoffs) == 0:
            raise ValueError("AdaptiveLogSoftmaxWithLoss: cutoffs should be a sequence of "
                             "length larger than 0")
        if (cutoffs != sorted(cutoffs) or min(cutoffs) <= 0 or max(cutoffs) > n_classes - 1
                or len(set(cutoffs)) != len(cutoffs)
                or any(int(c) != c for c in cutoffs)):
            raise ValueError("AdaptiveLogSoftmaxWithLoss: cutoffs should be a sequence of "
                             "unique, positive integers sorted in an increasing order, where "
                             f"each value is between 1 and n_classes-1 ({n_classes - 1}), got "
                             f"{cutoffs}")
        self.in_features = in_features
        self.n_classes = n_classes
        self.cutoffs = [int(c) for c in cutoffs] + [n_classes]
        self.div_value = div_value
        self.head_bias = head_bias
        self.shortlist_size = self.cutoffs[0]
        self.n_clusters = len(self.cutoffs) - 1
        self.head_size = self.shortlist_size + self.n_clusters
        self.head = Linear(in_features, self.head_size, bias=head_bias, dtype=dtype)
        self.tail = ModuleList()
        for i in range(self.n_clusters):
            hsz = int(in_features // (div_value ** (i + 1)))
            osz = self.cutoffs[i + 1] - self.cutoffs[i]
            self.tail.append(Sequential(Linear(in_features, hsz, bias=False, dtype=dtype),
                                        Linear(hsz, osz, bias=False, dtype=dtype)))

    def reset_parameters(self) -> None:
        self.head.reset_parameters()
        for seq in self.tail:
            for lin in seq:
                lin.reset_parameters()

    def _input(self, input, what: str) -> tuple[Tensor, bool]:  # noqa: A002
        x = input if isinstance(input, Tensor) else Tensor(np.asarray(input))
        if x.ndim not in (1, 2):
            raise ValueError(f"{self!r}: {what}: input should be 1-D (in_features,) or 2-D "
                             f"(N, in_features), got shape {tuple(x.shape)}")
        if x.shape[-1] != self.in_features:
            raise ValueError(f"{self!r}: {what}: input has {x.shape[-1]} features, expected "
                             f"in_features={self.in_features}")
        return (x if x.ndim == 2 else x.unsqueeze(0)), x.ndim == 2

    def forward(self, input, target) -> _ASMoutput:  # noqa: A002
        x, batched = self._input(input, "forward")
        y = target.data if isinstance(target, Tensor) else np.asarray(target)
        if y.dtype.kind not in "iu":
            raise TypeError(f"{self!r}: target must hold class indices (integers), got dtype "
                            f"{y.dtype}")
        if y.ndim != (1 if batched else 0):
            raise ValueError(f"{self!r}: target should be {'1-D (N,)' if batched else '0-D'} "
                             f"for a {'2-D' if batched else '1-D'} input, got shape "
                             f"{tuple(y.shape)}")
        y = y.reshape(-1).astype(np.int64)
        N = x.shape[0]
        if y.shape[0] != N:
            raise ValueError(f"{self!r}: input and target should have the same size in the "
                             f"batch dimension, got {N} and {y.shape[0]}")
        if N and (y.min() < 0 or y.max() >= self.n_classes):
            raise IndexError(f"{self!r}: target values should be in [0, {self.n_classes - 1}]"
                             f", but values in range [{int(y.min())}, {int(y.max())}] were "
                             f"found")
        gather = y.copy()          # the head's column for each row: class or its cluster
        rows_all, parts = [], []
        for i in range(self.n_clusters):
            low, high = self.cutoffs[i], self.cutoffs[i + 1]
            rows = np.flatnonzero((y >= low) & (y < high))
            if rows.size == 0:
                continue
            gather[rows] = self.shortlist_size + i
            cluster_lp = F.log_softmax(self.tail[i](x[rows]), dim=1)
            parts.append(cluster_lp[np.arange(rows.size), y[rows] - low])
            rows_all.append(rows)
        head_lp = F.log_softmax(self.head(x), dim=1)
        output = head_lp[np.arange(N), gather]
        if parts:
            rows = np.concatenate(rows_all)
            short = np.setdiff1d(np.arange(N), rows)
            # the shortlist rows add nothing; the others their log p(class | cluster)
            pieces = [Tensor(np.zeros(short.size, x.data.dtype))] + parts
            order = np.concatenate([short, rows])
            inv = np.empty(N, np.int64)
            inv[order] = np.arange(N)
            output = output + cat(pieces)[inv]
        loss = (-output).mean()
        if not batched:
            output = output.reshape(())
        return _ASMoutput(output, loss)

    def _full_log_prob(self, x: Tensor) -> Tensor:
        head_lp = F.log_softmax(self.head(x), dim=1)
        pieces = [head_lp[:, :self.shortlist_size]]
        for i in range(self.n_clusters):
            cluster_lp = F.log_softmax(self.tail[i](x), dim=1)
            pieces.append(cluster_lp + head_lp[:, self.shortlist_size + i:
                                               self.shortlist_size + i + 1])
        return cat(pieces, dim=1)

    def log_prob(self, input) -> Tensor:  # noqa: A002
        """Log probabilities of every class: ``(N, in_features) -> (N, n_classes)``."""
        x, batched = self._input(input, "log_prob")
        out = self._full_log_prob(x)
        return out if batched else out.reshape(self.n_classes)

    def predict(self, input) -> Tensor:  # noqa: A002
        """The most likely class of each row: ``(N, in_features) -> (N,)`` int64."""
        x, batched = self._input(input, "predict")
        with no_grad():
            out = self._full_log_prob(x)
        pred = Tensor(np.argmax(out.data, axis=1).astype(np.int64))
        return pred if batched else pred.reshape(())
