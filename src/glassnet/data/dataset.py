"""Datasets: indexable collections of samples.

A :class:`Dataset` answers ``len(ds)`` and ``ds[i]``; an :class:`IterableDataset` is a
stream (``iter(ds)``). :class:`TensorDataset` wraps arrays that share their first
dimension; the :class:`~glassnet.data.DataLoader` batches it by indexing every array once
per batch instead of collecting samples one by one.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Sequence

import numpy as np

from ..random import resolve
from ..tensor import Tensor

__all__ = ["Dataset", "IterableDataset", "ChainDataset", "TensorDataset", "Subset",
           "ConcatDataset", "random_split"]


class Dataset:
    """Base class of map-style datasets: subclasses define ``__getitem__(i)`` (one sample)
    and ``__len__``.

    There is no default ``__len__`` (as in PyTorch): ``len()`` of a dataset that does not
    define it raises TypeError, which is how a DataLoader tells a sized dataset from one
    that is not.
    """

    def __getitem__(self, index):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Base class of datasets that are streams: subclasses define ``__iter__`` (the samples
    of one pass, in order), and ``__len__`` only if they know their length.

    A :class:`~glassnet.data.DataLoader` batches the stream as it comes (``batch_size``
    consecutive samples per batch); ``shuffle``, ``sampler`` and ``batch_sampler`` do not
    apply to it. With ``num_workers = n`` every worker process iterates its own copy of
    the dataset, so ``__iter__`` should give each worker its share of the stream, using
    :func:`~glassnet.utils.data.get_worker_info` (``None`` in the main process)::

        def __iter__(self):
            info = get_worker_info()
            if info is None:                      # one process: everything
                return iter(range(self.start, self.end))
            return iter(range(self.start + info.id, self.end, info.num_workers))

    ``a + b`` is a :class:`ChainDataset` (``a``'s samples, then ``b``'s).
    """

    def __iter__(self):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __add__(self, other: IterableDataset) -> ChainDataset:
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Several :class:`IterableDataset` s one after another, chained when iterated (made
    from the datasets, not their samples: cheap for long streams). ``len`` is the sum of
    the lengths, when every dataset has one."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        for i, d in enumerate(self.datasets):
            if not isinstance(d, IterableDataset):
                raise TypeError(
                    f"ChainDataset only supports IterableDataset; dataset {i} is a "
                    f"{type(d).__name__} (use ConcatDataset for map-style datasets)")

    def __iter__(self):
        for d in self.datasets:
            yield from d

    def __len__(self) -> int:
        return sum(len(d) for d in self.datasets)

    def __repr__(self) -> str:
        return f"ChainDataset({len(self.datasets)} datasets)"


def _as_array(x, what: str) -> np.ndarray:
    if isinstance(x, Tensor):
        return x.data
    if isinstance(x, np.ndarray):
        return x
    try:
        arr = np.asarray(x)
    except ValueError as e:
        raise ValueError(f"{what}: could not convert to an array ({e})") from None
    if arr.dtype == np.float64 and not isinstance(x, np.ndarray):
        arr = arr.astype(np.float32)  # Python floats become float32, like gn.tensor
    return arr


class TensorDataset(Dataset):
    """Samples are the i-th rows of each of ``tensors`` (Tensors or arrays, same length N).

    ``ds[i]`` is a tuple ``(t0[i], t1[i], ...)`` of Tensors. The arrays are kept as they
    are (no copy): ``ds.arrays`` holds them, ``ds.tensors`` the Tensor views.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset needs at least one tensor")
        arrays = tuple(_as_array(t, f"TensorDataset argument {i}") for i, t in enumerate(tensors))
        for i, a in enumerate(arrays):
            if a.ndim == 0:
                raise ValueError(f"TensorDataset argument {i} is a 0-d array; samples are rows")
        n = arrays[0].shape[0]
        bad = [(i, a.shape[0]) for i, a in enumerate(arrays) if a.shape[0] != n]
        if bad:
            sizes = ", ".join(f"argument {i}: {a.shape[0]}" for i, a in enumerate(arrays))
            raise ValueError(f"TensorDataset: size mismatch in the first dimension ({sizes})")
        self.arrays = arrays
        self.tensors = tuple(t if isinstance(t, Tensor) else Tensor._wrap(a)
                             for t, a in zip(tensors, arrays))

    def __getitem__(self, index):
        return tuple(Tensor._wrap(a[index]) for a in self.arrays)

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __repr__(self) -> str:
        shapes = ", ".join(str(tuple(a.shape)) for a in self.arrays)
        return f"TensorDataset({shapes})"


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order."""

    def __init__(self, dataset: Dataset, indices):
        idx = np.asarray(indices.data if isinstance(indices, Tensor) else indices, dtype=np.int64)
        if idx.ndim != 1:
            raise ValueError(f"Subset indices must be 1-d, got shape {idx.shape}")
        n = len(dataset)
        if idx.size and (idx.min() < -n or idx.max() >= n):
            raise IndexError(f"Subset indices out of range for a dataset of length {n}")
        self.dataset = dataset
        self.indices = idx

    def __getitem__(self, index):
        if isinstance(index, (list, np.ndarray)):
            return [self.dataset[int(i)] for i in self.indices[index]]
        return self.dataset[int(self.indices[index])]

    def __len__(self) -> int:
        return int(self.indices.size)

    def __repr__(self) -> str:
        return f"Subset({self.dataset!r}, {len(self)} samples)"


class ConcatDataset(Dataset):
    """Several datasets one after another."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset")
        for i, d in enumerate(self.datasets):
            if isinstance(d, IterableDataset):
                raise TypeError(f"ConcatDataset does not support IterableDataset (dataset {i} "
                                f"is a {type(d).__name__}); use ChainDataset to chain streams")
        self.cumulative_sizes = list(np.cumsum([len(d) for d in self.datasets]))

    def __len__(self) -> int:
        return int(self.cumulative_sizes[-1])

    def __getitem__(self, index):
        n = len(self)
        if index < 0:
            index += n
        if not 0 <= index < n:
            raise IndexError(f"index {index} out of range for a dataset of length {n}")
        k = bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[k - 1] if k else 0
        return self.datasets[k][index - start]


def _tensor_view(dataset):
    """(arrays, indices or None) when ``dataset`` is a TensorDataset or a chain of Subsets
    of one, so a loader can index the arrays directly; None otherwise."""
    idx = None
    while isinstance(dataset, Subset):
        idx = dataset.indices if idx is None else dataset.indices[idx]
        dataset = dataset.dataset
    if type(dataset) is TensorDataset or (
        isinstance(dataset, TensorDataset)
        and type(dataset).__getitem__ is TensorDataset.__getitem__
    ):
        return dataset.arrays, idx
    return None


def _split_lengths(n: int, lengths: Sequence) -> list[int]:
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths is empty")
    if all(isinstance(x, (int, np.integer)) for x in lengths):
        if any(x < 0 for x in lengths):
            raise ValueError(f"random_split: negative length in {lengths}")
        if sum(lengths) != n:
            raise ValueError(
                f"random_split: lengths {lengths} sum to {sum(lengths)}, "
                f"but the dataset has {n} samples"
            )
        return [int(x) for x in lengths]
    fracs = [float(x) for x in lengths]
    if any(f < 0 or f > 1 for f in fracs) or not math.isclose(sum(fracs), 1.0, abs_tol=1e-6):
        raise ValueError(
            f"random_split: fractions {lengths} must lie in [0, 1] and sum to 1 "
            f"(or give integer lengths summing to {n})"
        )
    out = [int(math.floor(n * f)) for f in fracs]
    # The remainder goes one by one to the splits in order (PyTorch's rule).
    for i in range(n - sum(out)):
        out[i % len(out)] += 1
    return out


def random_split(dataset: Dataset, lengths: Sequence, generator=None) -> list[Subset]:
    """Split ``dataset`` at random into non-overlapping :class:`Subset` s.

    ``lengths`` are sample counts summing to ``len(dataset)`` or fractions summing to 1
    (floored, the remainder handed out one at a time from the first split on).
    ``generator`` (a ``gn.Generator``) makes the split reproducible.
    """
    n = len(dataset)
    sizes = _split_lengths(n, lengths)
    perm = resolve(generator).permutation(n)
    out, start = [], 0
    for size in sizes:
        out.append(Subset(dataset, perm[start:start + size]))
        start += size
    return out
