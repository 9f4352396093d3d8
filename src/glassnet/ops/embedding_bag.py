"""Bags of embeddings: the rows of a weight table picked by integer indices, reduced per bag
by a sum, a mean or an elementwise max, without building the ``(*, D)`` lookup first.

Bags are given as PyTorch gives them: a 2-D input ``(B, L)`` is B bags of L indices each;
a 1-D input ``(n,)`` is cut into bags by ``offsets`` ``(B,)`` (bag b is
``input[offsets[b]:offsets[b+1]]``, the last one runs to the end; with
``include_last_offset`` offsets has B+1 entries, the last one normally the input's length —
the last bag still runs to the end of the input, as in PyTorch).
Entries equal to ``padding_idx`` are left out of their bag (not counted by the mean), and an
empty bag gives a row of zeros. ``per_sample_weights`` (mode ``'sum'`` only, as in PyTorch)
scales each looked-up row before the sum.

Derivatives: for 'sum', gW[v] gets gy[bag] · w_j for every entry j of a bag with index v and
weight w_j, and g w_j = gy[bag] · W[v]; 'mean' divides by the bag's size; 'max' sends each
gy[b, d] to the row that held bag b's maximum in column d.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function, Local, no_grad
from ..backend import kernel_choice, scatter_add_rows, xp
from ..tensor import Tensor
from ._registry import op
from .embedding import check_indices, renorm_rows_

__all__ = ["embedding_bag"]

_MODES = ("sum", "mean", "max")


class EmbeddingBagOp(Function):
    """``(V, D)`` weight, ``(n,)`` indices cut into B bags -> ``(B, D)`` sums, means or
    maxima of the bags' rows.

    ``idx``/``bag``: the entries kept (padding removed) and the bag each belongs to
    (non-decreasing); ``keep``: their positions in the input (for the gradient of
    ``per_sample_weights``, zero at padding entries). Sum and mean are one weighted sum:
    entry i counts ``psw[i]`` (sum) or ``1 / size of its bag`` (mean).
    """

    name = "embedding_bag"
    formula = (Local(1.0, "[row in the bag] (× its weight; ÷ bag size for 'mean')",
                     generic=True),
               Local(1.0, "[the bag's row W[index]]", generic=True))

    def forward(self, weight, psw, idx, bag, keep, n, B, mode, by_freq, kernel):
        self.weight, self.idx, self.bag, self.keep, self.n = weight, idx, bag, keep, n
        self.mode, self.by_freq, self.kernel, self.B = mode, by_freq, kernel, B
        k = _kernels() if kernel == "numba" else None
        if mode == "max":
            if k is not None:
                out, self.arg = k.bag_max(weight, idx, bag, B)
                return out
            return self._max_numpy(weight, idx, bag, B)
        if psw is not None:
            self.psw = psw[keep]
            scale = self.psw.astype(weight.dtype, copy=False)
        else:
            self.psw = None
            scale = np.ones(len(idx), weight.dtype)
        if mode == "mean":
            count = np.maximum(np.bincount(bag, minlength=B), 1).astype(weight.dtype)
            scale = scale / count[bag]
        self.scale = scale
        if k is not None:
            return k.bag_sum(weight, idx, bag, scale, B)
        out = xp.zeros((B, weight.shape[1]), dtype=weight.dtype)
        scatter_add_rows(out, bag, xp.take(weight, idx, axis=0) * scale[:, None])
        return out

    def _max_numpy(self, weight, idx, bag, B):
        out = xp.zeros((B, weight.shape[1]), dtype=weight.dtype)
        self.argrow = None
        if len(idx):
            rows = xp.take(weight, idx, axis=0)
            starts = np.flatnonzero(np.r_[True, bag[1:] != bag[:-1]])
            filled = bag[starts]                                # the bags holding entries
            top = np.maximum.reduceat(rows, starts, axis=0)     # (B', D)
            # the first entry of each bag equal to its maximum, per column
            rank = np.cumsum(np.r_[False, bag[1:] != bag[:-1]])  # bag -> 0..B'-1
            pos = np.where(rows == top[rank], np.arange(len(idx))[:, None], len(idx))
            first = np.minimum(np.minimum.reduceat(pos, starts, axis=0), len(idx) - 1)
            self.argrow, self.filled = idx[first], filled       # (B', D) weight rows
            out[filled] = top
        return out

    def backward(self, gy):
        W, idx = self.weight, self.idx
        V, D = W.shape
        k = _kernels() if self.kernel == "numba" else None
        if self.mode == "max":
            if k is not None:
                return k.max_rows_add(gy, self.arg, V), None
            gw = xp.zeros((V, D), dtype=gy.dtype)
            if self.argrow is not None:
                flat = (self.argrow * D + np.arange(D)).ravel()
                gw = np.bincount(flat, weights=gy[self.filled].ravel(), minlength=V * D)
            return gw.astype(gy.dtype, copy=False).reshape(V, D), None
        gpsw = None
        if self.psw is not None and self.needs_input_grad[1]:
            gpsw = xp.zeros(self.n, dtype=gy.dtype)
            if k is not None:
                gpsw[self.keep] = k.bag_dot(gy, W, idx, self.bag)
            else:
                gpsw[self.keep] = (xp.take(gy, self.bag, axis=0)
                                   * xp.take(W, idx, axis=0)).sum(axis=1)
        if not self.needs_input_grad[0]:
            return None, gpsw
        scale = self.scale
        if self.by_freq:
            scale = scale / np.bincount(idx, minlength=V)[idx].astype(scale.dtype)
        if k is not None:
            return k.rows_add(gy, idx, self.bag, scale.astype(gy.dtype, copy=False), V), gpsw
        gw = xp.zeros((V, D), dtype=gy.dtype)
        scatter_add_rows(gw, idx, xp.take(gy, self.bag, axis=0) * scale[:, None])
        return gw, gpsw


_numba_kernels = None


def _kernels():
    """The numba kernels (compiled on first use)."""
    global _numba_kernels
    if _numba_kernels is None:
        from . import _embedding_bag_numba

        _numba_kernels = _embedding_bag_numba
    return _numba_kernels


def _int_array(x, what: str) -> np.ndarray:
    a = x.data if isinstance(x, Tensor) else np.asarray(x)
    if a.dtype.kind not in "iu":
        raise TypeError(f"embedding_bag: {what} must hold integers (int64 or int32), got "
                        f"dtype {a.dtype}")
    return a.astype(np.int64, copy=False)


def _bags(input, offsets, include_last_offset: bool):  # noqa: A002
    """The flat indices ``(n,)``, the bag of each entry and the number of bags B."""
    idx = input.data if isinstance(input, Tensor) else np.asarray(input)
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("embedding_bag: if input is 2-D (B, L) (B bags of L indices), "
                             "offsets has to be None")
        B, L = idx.shape
        return idx.reshape(-1), np.repeat(np.arange(B, dtype=np.int64), L), B
    if idx.ndim != 1:
        raise ValueError(f"embedding_bag: input has to be 1-D (with offsets) or 2-D (B, L), "
                         f"got shape {tuple(idx.shape)}")
    if offsets is None:
        raise ValueError("embedding_bag: offsets has to be a 1-D tensor (where each bag "
                         "starts) when input is 1-D")
    off = _int_array(offsets, "offsets")
    if off.ndim != 1:
        raise ValueError(f"embedding_bag: offsets has to be a 1-D tensor, got shape "
                         f"{tuple(off.shape)}")
    n = len(idx)
    if include_last_offset:
        if len(off) < 1:
            raise ValueError("embedding_bag: with include_last_offset=True offsets needs at "
                             "least one entry (B + 1 entries for B bags)")
        B = len(off) - 1
    else:
        B = len(off)
    if len(off):
        if off[0] != 0:
            raise ValueError(f"embedding_bag: offsets[0] has to be 0 (the first bag starts at "
                             f"position 0), got {int(off[0])}")
        if np.any(off[1:] < off[:-1]):
            k = int(np.flatnonzero(off[1:] < off[:-1])[0])
            raise ValueError(f"embedding_bag: offsets must be non-decreasing, got "
                             f"offsets[{k}] = {int(off[k])} > offsets[{k + 1}] = "
                             f"{int(off[k + 1])}")
        if off[-1] > n:
            raise ValueError(f"embedding_bag: offsets[-1] ({int(off[-1])}) can not be greater "
                             f"than the input's length {n}")
    # with include_last_offset the last bag still runs to the end of the input, as
    # PyTorch's does: the extra offset only says how many bags there are
    starts = off[:B]
    if B == 0:
        return idx[:0], np.zeros(0, np.int64), 0
    bag = np.searchsorted(starts, np.arange(len(idx)), side="right") - 1
    return idx, bag.astype(np.int64), B


@op(method=False, top=False, functional=True, records=EmbeddingBagOp)
def embedding_bag(input, weight: Tensor, offsets=None, max_norm: float | None = None,  # noqa: A002
                  norm_type: float = 2, scale_grad_by_freq: bool = False, mode: str = "mean",
                  sparse: bool = False, per_sample_weights=None,
                  include_last_offset: bool = False, padding_idx: int | None = None) -> Tensor:
    """Sum, mean or max of the embedding rows of each bag: ``(B, D)``.

    ``input``: ``(B, L)`` (offsets None) or ``(n,)`` with ``offsets`` ``(B,)`` (``(B+1,)``
    with ``include_last_offset``). ``weight``: ``(V, D)``. ``per_sample_weights``: the
    input's shape, mode 'sum' only. ``padding_idx`` entries are skipped; an empty bag is a
    zero row. ``max_norm`` rescales looked-up rows in place first, as :func:`embedding`.
    """
    if mode not in _MODES:
        raise ValueError(f"embedding_bag: mode has to be one of 'sum', 'mean' or 'max', got "
                         f"{mode!r}")
    if sparse:
        raise NotImplementedError("embedding_bag: sparse gradients are not supported; use "
                                  "sparse=False (the gradient is a dense (V, D) array)")
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        shape = tuple(weight.shape) if hasattr(weight, "shape") else None
        raise ValueError(f"embedding_bag: weight must be a 2-D tensor (V, D), got {shape}")
    if weight.data.dtype.kind != "f":
        raise TypeError(f"embedding_bag: weight must be floating point, got dtype "
                        f"{weight.data.dtype}")
    V = weight.shape[0]
    full = input.data if isinstance(input, Tensor) else np.asarray(input)
    check_indices(full, V, "embedding_bag")
    psw = None
    if per_sample_weights is not None:
        if mode != "sum":
            raise NotImplementedError(
                f"embedding_bag: per_sample_weights was not None. per_sample_weights is only "
                f"supported for mode='sum' (got mode={mode!r})")
        psw = (per_sample_weights if isinstance(per_sample_weights, Tensor)
               else Tensor(np.asarray(per_sample_weights, dtype=weight.data.dtype)))
        if tuple(psw.shape) != tuple(full.shape):
            raise ValueError(f"embedding_bag: per_sample_weights has shape {tuple(psw.shape)}, "
                             f"expected the input's shape {tuple(full.shape)}")
        if psw.data.dtype != weight.data.dtype:
            raise TypeError(f"embedding_bag: per_sample_weights dtype {psw.data.dtype} must "
                            f"match the weight's dtype {weight.data.dtype}")
        if psw.ndim == 2:
            psw = psw.reshape(-1)
    idx, bag, B = _bags(full.astype(np.int64, copy=False), offsets, include_last_offset)
    n = full.size
    keep = np.arange(idx.shape[0])
    if padding_idx is not None:
        if not -V <= padding_idx < V:
            raise ValueError(f"embedding_bag: padding_idx {padding_idx} must be within "
                             f"[-{V}, {V - 1}] for {V} rows")
        keep = np.flatnonzero(idx != int(padding_idx) % V)
        idx, bag = idx[keep], bag[keep]
    if max_norm is not None:
        with no_grad():
            renorm_rows_(weight.data, idx, float(max_norm), float(norm_type))
    kernel = kernel_choice("auto", "embedding_bag")
    return EmbeddingBagOp.apply(weight, psw, idx, bag, keep, n, B, mode,
                                bool(scale_grad_by_freq), kernel)
