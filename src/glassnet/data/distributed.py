"""DistributedSampler: each rank's share of a dataset's indices, as in PyTorch.

>>> sampler = gn.data.DistributedSampler(dataset, num_replicas=4, rank=1, seed=0)
>>> sampler.set_epoch(epoch)            # a new shuffle every epoch, the same on every rank
>>> indices = list(sampler)             # rank 1's indices: positions 1, 5, 9, ... of the order
"""

from __future__ import annotations

import math

import numpy as np

from .sampler import Sampler

__all__ = ["DistributedSampler"]


class DistributedSampler(Sampler):
    """Split ``dataset``'s indices among ``num_replicas`` ranks: this one (``rank``) gets
    positions ``rank, rank + num_replicas, rank + 2 * num_replicas, ...`` of one order
    shared by all ranks.

    The order is ``0 .. len(dataset) - 1``, or with ``shuffle`` a permutation drawn from
    ``seed + epoch`` (call :meth:`set_epoch` at the start of every epoch, on every rank,
    for a new one). Every rank gets the same number of indices, ``len(sampler)``: without
    ``drop_last`` the order is padded by repeating its first indices up to a multiple of
    ``num_replicas`` (a few samples count twice per epoch); with ``drop_last`` its tail
    is cut instead. ``num_replicas`` and ``rank`` default to the world of
    ``gn.distributed`` (which must be initialised then).

    Shards of one epoch together are the whole (padded) order, so with per-rank batches
    of ``B / num_replicas`` the ranks' ``k``-th batches together are exactly the ``k``-th
    batch of size ``B`` of a single process reading that order.
    """

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False):
        if num_replicas is None or rank is None:
            from .. import distributed as dist

            if not dist.is_initialized():
                raise RuntimeError(
                    "DistributedSampler: give num_replicas and rank, or call "
                    "gn.distributed.init_process_group() first")
            num_replicas = dist.get_world_size() if num_replicas is None else num_replicas
            rank = dist.get_rank() if rank is None else rank
        for name, v in (("num_replicas", num_replicas), ("rank", rank), ("seed", seed)):
            if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
                raise TypeError(f"DistributedSampler: {name} must be an int, got {v!r}")
        if num_replicas <= 0:
            raise ValueError(f"DistributedSampler: num_replicas must be positive, got "
                             f"{num_replicas}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"DistributedSampler: invalid rank {rank}, rank should be in "
                             f"the interval [0, {num_replicas - 1}]")
        try:
            n = len(dataset)
        except TypeError:
            raise TypeError(f"DistributedSampler: the dataset ({type(dataset).__name__}) has "
                            f"no len()") from None
        self.dataset = dataset
        self.num_replicas, self.rank = int(num_replicas), int(rank)
        self.shuffle, self.seed, self.drop_last = bool(shuffle), int(seed), bool(drop_last)
        self.epoch = 0
        self._n = n
        if self.drop_last and n % self.num_replicas:
            self.num_samples = math.ceil((n - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(n / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def order(self) -> np.ndarray:
        """This epoch's order of all indices, padded or cut to ``total_size``, before the
        split among ranks (the same array on every rank)."""
        n = len(self.dataset)
        if self.shuffle:
            rng = np.random.Generator(np.random.PCG64(self.seed + self.epoch))
            indices = rng.permutation(n)
        else:
            indices = np.arange(n)
        if not self.drop_last:
            pad = self.total_size - n
            if pad > 0 and n:
                indices = np.concatenate([indices, np.resize(indices, pad)])
        else:
            indices = indices[:self.total_size]
        return indices

    def __iter__(self):
        n = len(self.dataset)
        if n != self._n:
            raise RuntimeError(f"DistributedSampler: the dataset changed length since the "
                               f"sampler was made ({self._n} samples then, {n} now)")
        return iter(self.order()[self.rank:self.total_size:self.num_replicas].tolist())

    def __len__(self) -> int:
        return self.num_samples

    def set_epoch(self, epoch: int) -> None:
        """Use ``seed + epoch`` for the next shuffle (call it on every rank)."""
        self.epoch = int(epoch)

    def __repr__(self) -> str:
        return (f"DistributedSampler({len(self.dataset)} samples, rank {self.rank} of "
                f"{self.num_replicas}, {self.num_samples} each, shuffle={self.shuffle}, "
                f"seed={self.seed}, drop_last={self.drop_last})")
