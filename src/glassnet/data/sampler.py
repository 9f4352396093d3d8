"""Samplers: the order in which a DataLoader reads a map-style dataset, as in PyTorch.

A sampler is an iterable of dataset indices (``BatchSampler``: of lists of indices, one
per batch). Pass one as ``DataLoader(dataset, sampler=...)`` or
``DataLoader(dataset, batch_sampler=...)``.

>>> sampler = gn.data.WeightedRandomSampler([0.1, 0.0, 0.9], num_samples=5,
...                                         generator=gn.Generator(0))
>>> loader = gn.data.DataLoader(dataset, batch_size=2, sampler=sampler)

The random samplers draw from ``generator`` (a ``gn.Generator``) or, without one, from
glassnet's global generator (``gn.manual_seed``), when iteration starts; every pass draws
afresh, so two epochs give two orders, and the same seed gives the same orders again.
The numbers differ from PyTorch's (another random-number generator), the distributions
are the same.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator

import numpy as np

from ..random import resolve
from ..tensor import Tensor

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


def _is_int(v) -> bool:
    return isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))


def _sized(data_source, who: str) -> int:
    try:
        return len(data_source)
    except TypeError:
        raise TypeError(f"{who}: data_source ({type(data_source).__name__}) has no len(); "
                        f"a sampler needs a sized dataset") from None


class Sampler:
    """Base class: subclasses define ``__iter__`` (the indices of one pass) and, when the
    number is known, ``__len__``. There is no default ``__len__``: ``len()`` of a sampler
    that does not define it raises TypeError, as in PyTorch."""

    def __init__(self, data_source=None) -> None:
        # PyTorch still accepts (and ignores) data_source here; so does glassnet
        pass

    def __iter__(self) -> Iterator:
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """``0, 1, ..., len(data_source) - 1``, the length read at every pass."""

    def __init__(self, data_source) -> None:
        self.data_source = data_source

    def __iter__(self) -> Iterator[int]:
        return iter(range(_sized(self.data_source, "SequentialSampler")))

    def __len__(self) -> int:
        return _sized(self.data_source, "SequentialSampler")

    def __repr__(self) -> str:
        return f"SequentialSampler({len(self)} samples)"


class RandomSampler(Sampler):
    """Indices of ``data_source`` in random order.

    Without ``replacement``: a fresh permutation of ``0 .. N-1`` every pass; a
    ``num_samples`` above N chains whole permutations and cuts the last one
    (``num_samples = 2.5 N``: two permutations and half of a third). With ``replacement``:
    ``num_samples`` independent uniform draws from ``0 .. N-1``. ``num_samples`` defaults
    to N = ``len(data_source)``, read at every pass (the dataset may grow).
    """

    def __init__(self, data_source, replacement: bool = False, num_samples: int | None = None,
                 generator=None) -> None:
        if not isinstance(replacement, bool):
            raise TypeError(f"RandomSampler: replacement should be a boolean value, but got "
                            f"replacement={replacement!r}")
        if num_samples is not None and (not _is_int(num_samples) or num_samples <= 0):
            raise ValueError(f"RandomSampler: num_samples should be a positive integer value, "
                             f"but got num_samples={num_samples!r}")
        if generator is not None:
            resolve(generator)  # the type check now, not at the first epoch
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = None if num_samples is None else int(num_samples)
        self.generator = generator
        if num_samples is None and _sized(data_source, "RandomSampler") == 0:
            raise ValueError("RandomSampler: num_samples should be a positive integer value, "
                             "but got num_samples=0 (the data_source is empty)")

    @property
    def num_samples(self) -> int:
        if self._num_samples is None:
            return _sized(self.data_source, "RandomSampler")
        return self._num_samples

    def indices(self) -> np.ndarray:
        """One pass's indices as an int64 array (draws from the generator, as ``iter``)."""
        n = _sized(self.data_source, "RandomSampler")
        k = self.num_samples
        if n == 0:
            raise ValueError("RandomSampler: the data_source is empty (0 samples)")
        rng = resolve(self.generator)
        if self.replacement:
            return rng.integers(0, n, size=k, dtype=np.int64)
        if k == n:
            return rng.permutation(n)
        parts = [rng.permutation(n) for _ in range(-(-k // n))]
        return np.concatenate(parts)[:k]

    def __iter__(self) -> Iterator[int]:
        # a generator: the draw happens when iteration starts, as in PyTorch
        yield from self.indices().tolist()

    def __len__(self) -> int:
        return self.num_samples

    def __repr__(self) -> str:
        return (f"RandomSampler({_sized(self.data_source, 'RandomSampler')} samples, "
                f"replacement={self.replacement}, num_samples={self.num_samples})")


class SubsetRandomSampler(Sampler):
    """The elements of ``indices`` in a fresh random order every pass (no replacement).

    ``indices`` is a sequence (list, range, array or 1-d integer Tensor); arrays and
    Tensors yield Python ints.
    """

    def __init__(self, indices, generator=None) -> None:
        if isinstance(indices, (Tensor, np.ndarray)):
            arr = indices.data if isinstance(indices, Tensor) else indices
            if arr.ndim != 1:
                raise ValueError(f"SubsetRandomSampler: indices must be 1-d, got shape "
                                 f"{tuple(arr.shape)}")
        elif not hasattr(indices, "__len__") or not hasattr(indices, "__getitem__"):
            raise TypeError(f"SubsetRandomSampler: indices must be a sequence (list, range, "
                            f"array), got {type(indices).__name__}")
        if generator is not None:
            resolve(generator)
        self.indices = indices
        self.generator = generator

    def __iter__(self) -> Iterator:
        order = resolve(self.generator).permutation(len(self.indices))
        if isinstance(self.indices, (Tensor, np.ndarray)):
            arr = self.indices.data if isinstance(self.indices, Tensor) else self.indices
            yield from arr[order].tolist()
        else:
            for i in order.tolist():
                yield self.indices[i]

    def __len__(self) -> int:
        return len(self.indices)

    def __repr__(self) -> str:
        return f"SubsetRandomSampler({len(self)} indices)"


def _check_weights(w: np.ndarray, num_samples: int, replacement: bool) -> None:
    """PyTorch finds these when drawing (``torch.multinomial``, a RuntimeError); glassnet
    checks them when the sampler is made and again before every draw."""
    who = "WeightedRandomSampler"
    if w.size == 0:
        raise RuntimeError(f"{who}: weights is empty; give one weight per dataset index")
    bad = ~np.isfinite(w)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise RuntimeError(f"{who}: weights must be finite, got {w[i]} at index {i}")
    if (w < 0).any():
        i = int(np.flatnonzero(w < 0)[0])
        raise RuntimeError(f"{who}: weights must be non-negative, got {w[i]} at index {i}")
    if not w.max() > 0:
        raise RuntimeError(f"{who}: the weights sum to 0; at least one must be positive")
    if not replacement:
        nonzero = int(np.count_nonzero(w))
        if num_samples > nonzero:
            raise RuntimeError(
                f"{who}: cannot draw num_samples={num_samples} distinct indices without "
                f"replacement: only {nonzero} of the {w.size} weights are non-zero")


class WeightedRandomSampler(Sampler):
    """``num_samples`` indices from ``0 .. len(weights) - 1``, index ``i`` with probability
    ``weights[i] / sum(weights)`` (the weights need not sum to 1).

    With ``replacement`` (the default) the draws are independent; a zero weight is never
    drawn. Without it each index is drawn at most once (each draw from the weights of
    the indices not drawn yet), so ``num_samples`` may not exceed the number of non-zero
    weights. The usual use: weights ``1 / count[label]`` per sample for class-balanced
    batches from imbalanced data.
    """

    def __init__(self, weights, num_samples: int, replacement: bool = True,
                 generator=None) -> None:
        if not _is_int(num_samples) or num_samples <= 0:
            raise ValueError(f"WeightedRandomSampler: num_samples should be a positive "
                             f"integer value, but got num_samples={num_samples!r}")
        if not isinstance(replacement, bool):
            raise ValueError(f"WeightedRandomSampler: replacement should be a boolean value, "
                             f"but got replacement={replacement!r}")
        try:
            w = np.array(weights.data if isinstance(weights, Tensor) else weights,
                         dtype=np.float64)
        except (TypeError, ValueError) as e:
            raise TypeError(f"WeightedRandomSampler: weights must be a sequence of numbers "
                            f"({e})") from None
        if w.ndim != 1:
            raise ValueError(f"WeightedRandomSampler: weights should be a 1d sequence but "
                             f"given weights have shape {tuple(w.shape)}")
        _check_weights(w, int(num_samples), replacement)
        if generator is not None:
            resolve(generator)
        self.weights = w  # float64, a copy: later changes to the argument do not leak in
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = generator

    def indices(self) -> np.ndarray:
        """One pass's indices as an int64 array (draws from the generator, as ``iter``)."""
        w = np.asarray(self.weights, dtype=np.float64)
        _check_weights(w, self.num_samples, self.replacement)
        w = w / w.max()  # huge weights (a sum above 1e308) still work
        rng = resolve(self.generator)
        if self.replacement:
            out = rng.choice(w.size, size=self.num_samples, replace=True, p=w / w.sum())
            return out.astype(np.int64, copy=False)
        # Without replacement: the exponential race (each index gets the key w_i / E_i,
        # E_i ~ Exp(1); the k largest keys, largest first, are distributed as k draws one
        # after another, each from the weights of the indices not drawn yet). O(N), and a
        # zero weight (key 0) never wins, since k <= the number of non-zero weights.
        with np.errstate(divide="ignore"):
            keys = w / rng.standard_exponential(w.size)
        k = self.num_samples
        top = np.argpartition(-keys, k - 1)[:k] if k < w.size else np.arange(w.size)
        return top[np.argsort(-keys[top], kind="stable")].astype(np.int64, copy=False)

    def __iter__(self) -> Iterator[int]:
        yield from self.indices().tolist()

    def __len__(self) -> int:
        return self.num_samples

    def __repr__(self) -> str:
        return (f"WeightedRandomSampler({self.weights.size} weights, "
                f"num_samples={self.num_samples}, replacement={self.replacement})")


class BatchSampler(Sampler):
    """Group the indices of ``sampler`` (any iterable of indices) into lists of
    ``batch_size``; the last list is shorter unless ``drop_last`` drops it.

    ``len`` is ``len(sampler) // batch_size`` with ``drop_last``, else rounded up (it
    needs ``len(sampler)``). Each pass iterates ``sampler`` afresh, so a random sampler
    (or a DistributedSampler after ``set_epoch``) gives new batches every epoch.
    """

    def __init__(self, sampler: Iterable, batch_size: int, drop_last: bool) -> None:
        if not _is_int(batch_size) or batch_size <= 0:
            raise ValueError(f"BatchSampler: batch_size should be a positive integer value, "
                             f"but got batch_size={batch_size!r}")
        if not isinstance(drop_last, bool):
            raise ValueError(f"BatchSampler: drop_last should be a boolean value, but got "
                             f"drop_last={drop_last!r}")
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self) -> Iterator[list]:
        it = iter(self.sampler)
        while True:
            batch = list(itertools.islice(it, self.batch_size))
            if not batch or (self.drop_last and len(batch) < self.batch_size):
                return
            yield batch

    def __len__(self) -> int:
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __repr__(self) -> str:
        return (f"BatchSampler({type(self.sampler).__name__}, batch_size={self.batch_size}, "
                f"drop_last={self.drop_last})")

