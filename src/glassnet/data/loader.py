"""DataLoader: batches from a dataset, in order or shuffled with a seeded generator.

For a :class:`~glassnet.data.TensorDataset` (or a :class:`~glassnet.data.Subset` of
one) and no ``collate_fn``, each batch is made by indexing every array once with the
batch's indices: no Python work per sample. Other datasets are read sample by sample and
joined by ``collate_fn`` (default: :func:`default_collate`).
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Mapping

import numpy as np

from ..random import resolve
from ..tensor import Tensor
from .dataset import Dataset, _tensor_view

__all__ = ["DataLoader", "default_collate"]


def default_collate(samples: list):
    """Join a list of samples into a batch, field by field.

    Tensors and arrays are stacked along a new first axis (``k`` samples of shape ``S``
    give a Tensor of shape ``(k, *S)``); numbers become a 1-d Tensor (Python floats
    float32, ints int64); tuples and lists are collated per position, dicts per key;
    strings are kept as a list.
    """
    first = samples[0]
    if isinstance(first, Tensor):
        return Tensor._wrap(np.stack([s.data for s in samples]))
    if isinstance(first, (np.ndarray, np.generic)):
        return Tensor._wrap(np.stack([np.asarray(s) for s in samples]))
    if isinstance(first, bool):
        return Tensor._wrap(np.asarray(samples, dtype=np.bool_))
    if isinstance(first, numbers.Integral):
        return Tensor._wrap(np.asarray(samples, dtype=np.int64))
    if isinstance(first, numbers.Real):
        return Tensor._wrap(np.asarray(samples, dtype=np.float32))
    if isinstance(first, (str, bytes)):
        return list(samples)
    if isinstance(first, Mapping):
        return {k: default_collate([s[k] for s in samples]) for k in first}
    if isinstance(first, (tuple, list)):
        n = len(first)
        if any(len(s) != n for s in samples):
            raise ValueError("default_collate: samples have different numbers of fields")
        fields = [default_collate(list(f)) for f in zip(*samples)]
        if hasattr(first, "_fields"):  # a namedtuple
            return type(first)(*fields)
        return fields if isinstance(first, list) else tuple(fields)
    raise TypeError(
        f"default_collate: cannot batch samples of type {type(first).__name__}; "
        f"pass collate_fn= to DataLoader"
    )


class DataLoader:
    """Iterate over ``dataset`` in batches.

    Args:
        dataset: a :class:`Dataset` (anything with ``__len__`` and ``__getitem__``).
        batch_size: samples per batch (a positive int).
        shuffle: draw a fresh permutation at the start of every pass.
        drop_last: drop the final batch when it is smaller than ``batch_size``.
        generator: the ``gn.Generator`` for shuffling (default: the global one, set by
            ``gn.manual_seed``). The permutation is drawn when iteration starts.
        collate_fn: joins a list of samples into a batch (default :func:`default_collate`).
        transform: a callable applied to the first field of every batch (the inputs,
            usually a Tensor ``(B, ...)``) and returning its replacement: the place for
            per-batch data augmentation. Targets are left alone.
        batch_transform: a callable applied to the whole batch (the tuple the loader would
            yield) and returning the batch to yield; runs after ``transform``.

    A batch from a TensorDataset is a tuple of Tensors ``(x[idx], y[idx], ...)``. Without
    shuffling its Tensors are views of the dataset's arrays (no copy): transform them out
    of place, or pass a ``transform``, which gets a copy.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        generator=None,
        collate_fn: Callable | None = None,
        transform: Callable | None = None,
        batch_transform: Callable | None = None,
    ):
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
        if batch_size <= 0:
            raise ValueError(f"DataLoader: batch_size must be positive, got {batch_size}")
        try:
            n = len(dataset)
        except TypeError:
            raise TypeError(
                f"DataLoader: the dataset ({type(dataset).__name__}) has no len(); "
                f"it needs __len__ and __getitem__"
            ) from None
        if n == 0:
            raise ValueError("DataLoader: the dataset is empty (0 samples)")
        if drop_last and n < batch_size:
            raise ValueError(
                f"DataLoader: drop_last=True with {n} samples and batch_size={batch_size} "
                f"would give no batches"
            )
        if generator is not None:
            resolve(generator)  # type check now rather than at the first epoch
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.generator = generator
        self.collate_fn = collate_fn
        self.transform = transform
        self.batch_transform = batch_transform

    def __len__(self) -> int:
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def _order(self, n: int) -> np.ndarray | None:
        """This pass's sample order (None: 0..n-1 in order)."""
        if self.shuffle:
            return resolve(self.generator).permutation(n)
        return None

    def __iter__(self):
        n = len(self.dataset)
        if n == 0:
            raise ValueError("DataLoader: the dataset is empty (0 samples)")
        order = self._order(n)
        bs = self.batch_size
        stop = n - n % bs if self.drop_last else n
        view = _tensor_view(self.dataset) if self.collate_fn is None else None
        arrays, base = view if view is not None else (None, None)
        # only plain slices share memory with the dataset; fancy indexing already copies
        sliced = view is not None and order is None and base is None
        for start in range(0, stop, bs):
            end = min(start + bs, n)
            if view is not None:
                if sliced:
                    batch = tuple(Tensor._wrap(a[start:end]) for a in arrays)
                else:
                    idx = np.arange(start, end) if order is None else order[start:end]
                    if base is not None:
                        idx = base[idx]
                    batch = tuple(Tensor._wrap(a[idx]) for a in arrays)
            else:
                idx = range(start, end) if order is None else order[start:end].tolist()
                samples = [self.dataset[i] for i in idx]
                batch = (self.collate_fn or default_collate)(samples)
            yield self._apply_transforms(batch, copy=sliced)

    def _apply_transforms(self, batch, copy: bool):
        if self.transform is not None:
            if isinstance(batch, tuple) and batch:
                x = batch[0]
                if copy and isinstance(x, Tensor):
                    x = Tensor._wrap(x.data.copy())
                batch = (self.transform(x),) + batch[1:]
            else:
                batch = self.transform(batch)
        if self.batch_transform is not None:
            batch = self.batch_transform(batch)
        return batch

    def __repr__(self) -> str:
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last})")
