"""Variable-length sequences: PackedSequence and the pack/pad helpers, with PyTorch's names.

A batch of sequences of different lengths is *packed* by time step: the rows of step 0
of every sequence, then the rows of step 1 of the sequences still running, and so on,
sequences sorted longest first. ``batch_sizes[t]`` says how many run at step ``t``.
Recurrent layers accept a :class:`PackedSequence` and then never compute on padding:

>>> packed = pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
>>> out, h_n = gru(packed)
>>> y, lengths = pad_packed_sequence(out, batch_first=True)   # zeros at padded steps
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..ops.recurrent import PackRows, UnpackRows
from ..tensor import Tensor

__all__ = [
    "PackedSequence",
    "pack_padded_sequence",
    "pad_packed_sequence",
    "pad_sequence",
    "pack_sequence",
    "unpad_sequence",
]


class PackedSequence(NamedTuple):
    """Packed rows ``data`` ``(S, *)`` plus the bookkeeping to unpack them.

    ``batch_sizes`` (int64, one entry per time step), ``sorted_indices`` (the batch
    order used for packing, None when the input was already sorted) and
    ``unsorted_indices`` (its inverse).
    """

    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Tensor | None = None
    unsorted_indices: Tensor | None = None

    def batch_sizes_tuple(self) -> tuple:
        return tuple(int(b) for b in np.asarray(self.batch_sizes.data))

    @property
    def is_cuda(self) -> bool:
        return False


def _as_index_array(v, what: str) -> np.ndarray:
    arr = np.asarray(v.data if isinstance(v, Tensor) else v)
    if arr.dtype.kind not in "iu":
        if arr.dtype.kind == "f" and arr.size and np.all(arr == np.round(arr)):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{what} must be integers, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _packed_index(lengths_sorted: np.ndarray, T: int):
    """(t_idx, j) for every packed row: time step and position in the sorted batch."""
    mask = np.arange(T)[:, None] < lengths_sorted[None, :]
    return np.nonzero(mask)


def check_lengths(lengths, n_batch: int, n_steps: int, enforce_sorted: bool) -> np.ndarray:
    """Validate ``lengths`` for a batch of ``n_batch`` padded sequences of ``n_steps``."""
    lens = _as_index_array(lengths, "lengths")
    if lens.ndim != 1 or lens.shape[0] != n_batch:
        raise ValueError(
            f"lengths must be a 1-D sequence with one entry per sequence ({n_batch}), "
            f"got shape {tuple(lens.shape)}"
        )
    bad = np.nonzero(lens <= 0)[0]
    if bad.size:
        k = int(bad[0])
        raise ValueError(
            f"lengths must be positive (every sequence needs at least one step), "
            f"got lengths[{k}] = {int(lens[k])}"
        )
    bad = np.nonzero(lens > n_steps)[0]
    if bad.size:
        k = int(bad[0])
        raise ValueError(
            f"lengths[{k}] = {int(lens[k])} is longer than the padded sequence "
            f"({n_steps} steps)"
        )
    if enforce_sorted and np.any(np.diff(lens) > 0):
        k = int(np.nonzero(np.diff(lens) > 0)[0][0])
        raise ValueError(
            f"lengths must be sorted in decreasing order when enforce_sorted=True, got "
            f"lengths[{k}] = {int(lens[k])} < lengths[{k + 1}] = {int(lens[k + 1])}; "
            f"sort the batch or pass enforce_sorted=False"
        )
    return lens


def pack_padded_sequence(input: Tensor, lengths, batch_first: bool = False,  # noqa: A002
                         enforce_sorted: bool = True) -> PackedSequence:
    """Pack a padded batch: ``(T, N, *)`` (``(N, T, *)`` with ``batch_first``) and
    ``lengths`` ``(N,)`` -> :class:`PackedSequence` with ``data`` ``(sum(lengths), *)``.

    With ``enforce_sorted`` the lengths must already be in decreasing order; otherwise
    the batch is sorted here and the order remembered, so layers return final states
    and :func:`pad_packed_sequence` returns outputs in the caller's order.
    """
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if input.ndim < 2:
        raise ValueError(
            f"pack_padded_sequence: expected a padded batch of at least 2 dims "
            f"({'(N, T, *)' if batch_first else '(T, N, *)'}), got shape {tuple(input.shape)}"
        )
    N, T = (input.shape[0], input.shape[1]) if batch_first else (input.shape[1], input.shape[0])
    lens = check_lengths(lengths, N, T, enforce_sorted)
    if enforce_sorted:
        order = None
        lens_sorted = lens
    else:
        order = np.argsort(-lens, kind="stable")
        lens_sorted = lens[order]
    T_max = int(lens_sorted[0])
    batch_sizes = (lens_sorted[None, :] > np.arange(T_max)[:, None]).sum(axis=1)
    t_idx, j = _packed_index(lens_sorted, T_max)
    n_idx = j if order is None else order[j]
    idx = (n_idx, t_idx) if batch_first else (t_idx, n_idx)
    data = PackRows.apply(input, idx)
    if order is None:
        return PackedSequence(data, Tensor(batch_sizes.astype(np.int64)))
    unsorted = np.empty_like(order)
    unsorted[order] = np.arange(order.size)
    return PackedSequence(data, Tensor(batch_sizes.astype(np.int64)),
                          Tensor(order.astype(np.int64)), Tensor(unsorted.astype(np.int64)))


def pad_packed_sequence(sequence: PackedSequence, batch_first: bool = False,
                        padding_value: float = 0.0, total_length: int | None = None):
    """Unpack: :class:`PackedSequence` -> ``(padded, lengths)``.

    ``padded`` is ``(T, N, *)`` (``(N, T, *)`` with ``batch_first``), ``padding_value``
    at padded steps, in the batch order the sequence was packed from; ``lengths`` (int64,
    ``(N,)``) in that order too. ``total_length`` pads to at least that many steps.
    """
    if not isinstance(sequence, PackedSequence):
        raise TypeError(
            f"pad_packed_sequence: expected a PackedSequence, got {type(sequence).__name__}"
        )
    bs = np.asarray(sequence.batch_sizes.data, dtype=np.int64)
    T_max, N = int(bs.size), int(bs[0])
    T = T_max
    if total_length is not None:
        if total_length < T_max:
            raise ValueError(
                f"pad_packed_sequence: total_length={total_length} is shorter than the "
                f"longest sequence ({T_max} steps)"
            )
        T = int(total_length)
    lens_sorted = (bs[None, :] > np.arange(N)[:, None]).sum(axis=1)
    t_idx, j = _packed_index(lens_sorted, T_max)
    order = sequence.sorted_indices
    if order is None:
        n_idx, lengths = j, lens_sorted
    else:
        order = np.asarray(order.data, dtype=np.int64)
        n_idx = order[j]
        lengths = np.empty_like(lens_sorted)
        lengths[order] = lens_sorted
    idx = (n_idx, t_idx) if batch_first else (t_idx, n_idx)
    shape = (N, T) if batch_first else (T, N)
    padded = UnpackRows.apply(sequence.data, idx, shape, padding_value)
    return padded, Tensor(lengths.astype(np.int64))


def pad_sequence(sequences, batch_first: bool = False, padding_value: float = 0.0,
                 padding_side: str = "right") -> Tensor:
    """Stack tensors of shape ``(L_i, *)`` into ``(T, N, *)`` (``(N, T, *)`` with
    ``batch_first``), padding with ``padding_value``; differentiable."""
    from ..ops.shape import cat, pad, unsqueeze

    seqs = [s if isinstance(s, Tensor) else Tensor(s) for s in sequences]
    if not seqs:
        raise ValueError("pad_sequence: expected at least one sequence")
    if padding_side not in ("right", "left"):
        raise ValueError(
            f"pad_sequence: padding_side must be 'right' or 'left', got {padding_side!r}"
        )
    trail = seqs[0].shape[1:]
    for k, s in enumerate(seqs):
        if s.ndim < 1 or s.shape[1:] != trail:
            raise ValueError(
                f"pad_sequence: sequence {k} has shape {tuple(s.shape)}, expected (L, "
                f"{', '.join(map(str, trail))}) like sequence 0"
            )
    T = max(s.shape[0] for s in seqs)
    rows = []
    for s in seqs:
        extra = T - s.shape[0]
        widths = [(0, 0)] * s.ndim
        widths[0] = (0, extra) if padding_side == "right" else (extra, 0)
        flat = [w for pair in reversed(widths) for w in pair]
        rows.append(unsqueeze(pad(s, flat, value=padding_value) if extra else s, 0))
    out = cat(rows, 0)  # (N, T, *)
    return out if batch_first else out.transpose(0, 1)


def pack_sequence(sequences, enforce_sorted: bool = True) -> PackedSequence:
    """Pack a list of ``(L_i, *)`` tensors (longest first unless ``enforce_sorted=False``)."""
    seqs = [s if isinstance(s, Tensor) else Tensor(s) for s in sequences]
    lengths = [s.shape[0] for s in seqs]
    return pack_padded_sequence(pad_sequence(seqs), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences: Tensor, lengths, batch_first: bool = False) -> list:
    """Split a padded batch back into a list of ``(L_i, *)`` tensors."""
    x = padded_sequences if batch_first else padded_sequences.transpose(0, 1)
    lens = _as_index_array(lengths, "lengths")
    return [x[k, : int(n)] for k, n in enumerate(lens)]
