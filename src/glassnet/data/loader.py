"""DataLoader: batches from a dataset, in order or shuffled with a seeded generator, in
this process or in worker processes.

For a :class:`~glassnet.data.TensorDataset` (or a :class:`~glassnet.data.Subset` of
one) and no ``collate_fn``, each batch is made by indexing every array once with the
batch's indices: no Python work per sample. Other datasets are read sample by sample and
joined by ``collate_fn`` (default: :func:`default_collate`).

With ``num_workers > 0`` the batches are made in that many worker processes
(``multiprocessing``), as in PyTorch: the main process decides the order (the same
shuffle as with ``num_workers=0``), hands batch ``k`` to worker ``k % num_workers``,
keeps up to ``prefetch_factor`` batches in flight per worker, and yields the batches in
order.

An :class:`~glassnet.data.IterableDataset` is a stream: batches are ``batch_size``
consecutive samples of it. With workers, every worker iterates its own copy of the
dataset (``get_worker_info()`` inside ``__iter__`` tells it which share to give) and the
batches are taken from the workers in turn (worker 0's first batch, worker 1's first, ...,
worker 0's second, ...); a worker whose stream ends drops out of the turn, and the pass
ends when all have ended. This is PyTorch's order.

Each worker seeds glassnet's global generator, Python's ``random`` and NumPy's legacy
global generator with ``base_seed + worker_id`` (``get_worker_info().seed``), so random
augmentations differ between workers and repeat from run to run. Batches come
back through a multiprocessing queue (pickled between glassnet's own processes; files
are never unpickled).
"""

from __future__ import annotations

import itertools
import numbers
import os
import sys
import traceback
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from ..random import resolve
from ..tensor import Tensor
from .dataset import Dataset, IterableDataset, _tensor_view

__all__ = ["DataLoader", "default_collate", "default_convert", "get_worker_info",
           "WorkerInfo"]


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


def default_convert(sample):
    """One sample as the loader yields it without batching (``batch_size=None``): NumPy
    arrays become Tensors and NumPy scalars (``np.float64(1.5)``) 0-d Tensors, tuples,
    lists and dicts are converted field by field, anything else (Python numbers, strings)
    is kept."""
    if isinstance(sample, np.ndarray) and sample.dtype.kind in "biuf":
        return Tensor._wrap(sample)
    if isinstance(sample, np.generic) and sample.dtype.kind in "biuf":
        return Tensor._wrap(np.asarray(sample))
    if isinstance(sample, Mapping):
        return {k: default_convert(v) for k, v in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(default_convert(v) for v in sample))
    if isinstance(sample, (tuple, list)):
        return type(sample)(default_convert(v) for v in sample)
    return sample


# --- worker processes ----------------------------------------------------------------------
@dataclass(frozen=True)
class WorkerInfo:
    """What :func:`get_worker_info` tells code running in a worker process."""

    id: int
    num_workers: int
    seed: int
    dataset: object


_worker_info: WorkerInfo | None = None

_POLL = 1.0
"""Seconds between checks that the other side is still alive while waiting on a queue."""


def get_worker_info() -> WorkerInfo | None:
    """In a DataLoader worker process: its ``id``, ``num_workers``, ``seed`` and (its copy
    of) the ``dataset``. In the main process: None."""
    return _worker_info


def _seed_worker(seed: int) -> None:
    import random as _pyrandom

    from ..random import manual_seed

    manual_seed(seed)
    _pyrandom.seed(seed)
    np.random.seed(seed % 2**32)


class _Failure:
    """An exception in a worker, kept until the batch it replaces is due."""

    def __init__(self, err: str):
        self.err = err


class _StreamEnd:
    """A worker's answer to a task when its copy of an IterableDataset has no more
    batches (the worker answers no further task of that pass)."""

    def __init__(self, worker_id: int):
        self.worker_id = worker_id


def _worker_loop(loader: DataLoader, worker_id: int, num_workers: int, seed: int,
                 tasks, results, parent_pid: int) -> None:
    """Run in a worker process: make the batches whose indices arrive on ``tasks``
    (index ``None``: the next batch of this worker's stream, for an IterableDataset)."""
    import queue

    global _worker_info
    try:
        _worker_info = WorkerInfo(worker_id, num_workers, seed, loader.dataset)
        _seed_worker(seed)
        if loader.worker_init_fn is not None:
            loader.worker_init_fn(worker_id)
    except Exception:
        results.put((None, None, None, f"in worker_init_fn of worker {worker_id}:\n"
                                       f"{traceback.format_exc()}"))
        return
    stream_epoch, stream, ended = None, None, False  # this worker's pass over a stream
    while True:
        try:
            task = tasks.get(timeout=_POLL)
        except queue.Empty:
            if os.getppid() != parent_pid:  # the main process died: stop quietly
                return
            continue
        if task is None:
            return
        epoch, k, idx = task
        if idx is None and epoch != stream_epoch:  # a new pass: a fresh iterator
            stream_epoch, stream, ended = epoch, None, False
        if idx is None and ended:
            continue  # the main process skips this worker's tasks after its end
        try:
            if idx is None:
                if stream is None:
                    stream = iter(loader.dataset)
                batch, last = loader._stream_batch(stream)
                if batch is None:
                    ended = True
                    results.put((epoch, k, _StreamEnd(worker_id), None))
                    continue
                if last:  # a short final batch: the stream has ended
                    stream = iter(())
                batch = loader._apply_after(batch)
            else:
                batch = loader._apply_after(loader._fetch(idx, copy=True))
        except Exception:
            results.put((epoch, k, None, f"in worker {worker_id}, batch {k}:\n"
                                         f"{traceback.format_exc()}"))
            continue
        results.put((epoch, k, batch, None))


class _Workers:
    """A pool of worker processes with one task queue each and one result queue."""

    def __init__(self, loader: DataLoader, base_seed: int):
        import multiprocessing  # only when worker processes are asked for (import time)

        ctx = loader.multiprocessing_context
        if ctx is None or isinstance(ctx, str):
            ctx = multiprocessing.get_context(ctx)
        self.n = loader.num_workers
        self.results = ctx.Queue()
        self.tasks = [ctx.Queue() for _ in range(self.n)]
        self.procs = []
        self.epoch = 0
        pid = os.getpid()
        for w in range(self.n):
            p = ctx.Process(target=_worker_loop,
                            args=(loader, w, self.n, base_seed + w, self.tasks[w],
                                  self.results, pid),
                            daemon=True, name=f"glassnet-DataLoader-worker-{w}")
            p.start()
            self.procs.append(p)

    def alive(self) -> bool:
        return bool(self.procs)

    def check(self) -> None:
        for p in self.procs:
            if not p.is_alive():
                code = p.exitcode
                self.shutdown()
                raise RuntimeError(
                    f"DataLoader worker (pid {p.pid}) exited unexpectedly with exit code "
                    f"{code}{' (killed by a signal)' if code and code < 0 else ''}; a "
                    f"crash or running out of memory in the dataset code are the usual "
                    f"causes (try num_workers=0 to see the error directly)"
                )

    def shutdown(self, force: bool = False) -> None:
        """Ask the workers to stop and wait for them (``force``: terminate them now)."""
        procs, self.procs = self.procs, []
        for q in self.tasks:
            try:
                q.put(None)
            except (OSError, ValueError):
                pass
        for p in procs:
            if force:
                p.terminate()
            p.join(timeout=5)
            if p.is_alive():
                p.terminate()
                p.join(timeout=1)
        for q in self.tasks + [self.results]:
            q.cancel_join_thread()
            q.close()


def _state_seed(rng: np.random.Generator, counter: int) -> int:
    """A worker base seed read from the shuffle generator's state *without drawing from
    it*, so worker processes never change the batch order (the same shuffle as
    ``num_workers=0``); seeded runs get the same worker seeds every time."""
    import hashlib
    import json

    state = json.dumps(rng.bit_generator.state, sort_keys=True, default=str)
    digest = hashlib.sha256(f"{state}|{counter}".encode()).digest()
    return int.from_bytes(digest[:8], "little") >> 2  # leaves room for + worker_id


class _MultiProcessIter:
    """One pass over the batches made by worker processes, yielded in order.

    Task ``k`` goes to the next worker in turn (``k % num_workers`` while all are active);
    batches are yielded in task order. For a stream (``tasks`` is None) a task asks a
    worker for the next batch of its own stream; a worker whose stream has ended answers
    once with :class:`_StreamEnd`, leaves the turn, and its later tasks are skipped.

    Without ``persistent_workers`` each pass starts its own workers and stops them at its
    end (or when it is dropped), so two passes can run side by side. Persistent workers
    serve one pass at a time: starting a new pass retires the previous one.
    """

    def __init__(self, loader: DataLoader, tasks: list | None, workers: _Workers):
        self.loader, self.workers = loader, workers
        self.owned = not loader.persistent_workers
        workers.epoch += 1
        self.epoch = workers.epoch
        self.todo = tasks
        self.sent = 0
        self.next = 0
        self.cache: dict = {}
        self.owner: dict = {}  # task k -> the worker it went to
        self.active = [True] * workers.n
        self.turn = 0
        for _ in range(loader.prefetch_factor * workers.n):
            self._send()

    def _send(self) -> None:
        if self.todo is not None and self.sent >= len(self.todo):
            return
        n = self.workers.n
        for _ in range(n):
            w, self.turn = self.turn, (self.turn + 1) % n
            if self.active[w]:
                break
        else:
            return  # every worker's stream has ended
        k = self.sent
        idx = None if self.todo is None else self.todo[k]
        self.workers.tasks[w].put((self.epoch, k, idx))
        self.owner[k] = w
        self.sent += 1

    def _get(self):
        import queue

        timeout = self.loader.timeout
        waited = 0.0
        while True:
            step = _POLL if timeout <= 0 else min(_POLL, timeout - waited)
            try:
                return self.workers.results.get(timeout=max(step, 1e-3))
            except queue.Empty:
                waited += step
                self.workers.check()
                if timeout > 0 and waited >= timeout:
                    self._stop(force=True)
                    raise RuntimeError(
                        f"DataLoader timed out after {timeout:g} s waiting for batch "
                        f"{self.next} from worker {self.owner.get(self.next)}"
                    ) from None

    def __iter__(self):
        return self

    def _stop(self, force: bool = False) -> None:
        self.workers.shutdown(force=force)
        if self.loader._workers is self.workers:
            self.loader._workers = None

    def __del__(self):
        if getattr(self, "owned", False) and self.workers.alive():
            try:
                self.workers.shutdown(force=True)
            except Exception:  # interpreter shutdown: queues may be gone already
                pass

    def __next__(self):
        if self.next < self.sent and self.workers.epoch != self.epoch:
            raise RuntimeError("this pass over the DataLoader was replaced by a newer one: "
                               "persistent workers serve one pass at a time")
        while self.next not in self.cache:
            if self.next >= self.sent:  # nothing left to wait for: the pass is over
                if self.owned and self.workers.alive():
                    self._stop()
                raise StopIteration
            if not self.active[self.owner[self.next]]:
                # its worker's stream ended before this task: no batch will come for it
                del self.owner[self.next]
                self.next += 1
                continue
            epoch, k, batch, err = self._get()
            if err is not None and epoch is None:  # a worker could not start
                self._stop()
                raise RuntimeError(f"DataLoader worker failed {err}")
            if epoch != self.epoch:
                continue  # results of an earlier, abandoned pass are dropped
            if err is not None:  # raised when its turn comes, as PyTorch does
                batch = _Failure(err)
            if isinstance(batch, _StreamEnd):
                # a worker answers in task order, so its earlier batches are all in
                self.active[batch.worker_id] = False
                self._send()
                continue
            self.cache[k] = batch
        batch = self.cache.pop(self.next)
        self.owner.pop(self.next, None)
        if isinstance(batch, _Failure):
            self._stop()
            raise RuntimeError(f"DataLoader worker failed {batch.err}")
        self.next += 1
        self._send()
        return batch


def _sampler_array(sampler) -> np.ndarray | None:
    """One pass of glassnet's own random samplers as an array, skipping the Python list
    (None for any other sampler, or a subclass that changes ``__iter__``)."""
    from .sampler import RandomSampler, WeightedRandomSampler

    for cls in (RandomSampler, WeightedRandomSampler):
        if isinstance(sampler, cls) and type(sampler).__iter__ is cls.__iter__:
            return sampler.indices()
    return None


def _keys(keys: list):
    """A sampler's keys: an int64 array when they are all integers (the usual indices),
    else the list itself (a dict-like dataset's keys, e.g. strings)."""
    if all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in keys):
        return np.asarray(keys, dtype=np.int64).reshape(-1)
    return keys


class _Key:
    """One key other than an integer, for ``batch_size=None`` (told apart from a batch)."""

    __slots__ = ("key",)

    def __init__(self, key) -> None:
        self.key = key


class DataLoader:
    """Iterate over ``dataset`` in batches.

    Args:
        dataset: a map-style :class:`Dataset` (anything with ``__len__`` and
            ``__getitem__``; ``__len__`` may be missing when a ``sampler`` or
            ``batch_sampler`` gives the indices), or an
            :class:`~glassnet.data.IterableDataset`, a stream batched as it comes.
        batch_size: samples per batch (a positive int; None: one sample at a time).
        shuffle: draw a fresh permutation at the start of every pass.
        sampler: an iterable of indices giving the sample order instead of ``shuffle``
            (a :class:`~glassnet.data.RandomSampler`, ``WeightedRandomSampler``,
            ``DistributedSampler``, a list ...). Without one, ``loader.sampler`` is a
            ``RandomSampler`` (``shuffle``) or a ``SequentialSampler``, as in PyTorch.
        batch_sampler: an iterable of lists of indices, one per batch, e.g. a
            :class:`~glassnet.data.BatchSampler` (replaces ``batch_size``, ``shuffle``,
            ``sampler`` and ``drop_last``).
        num_workers: 0 makes the batches in this process; ``n > 0`` in ``n`` worker
            processes (same batches, same order).
        collate_fn: joins a list of samples into a batch (default :func:`default_collate`).
        pin_memory: accepted; on the CPU there is no device memory to pin, so batches are
            returned as they are.
        drop_last: drop the final batch when it is smaller than ``batch_size``.
        timeout: with workers, seconds to wait for a batch before raising (0: no limit).
        worker_init_fn: called as ``worker_init_fn(worker_id)`` in each worker after it is
            seeded.
        multiprocessing_context: ``"fork"``, ``"spawn"``, ``"forkserver"`` or a context
            (default: the platform's; with spawn the dataset must be picklable).
        generator: the ``gn.Generator`` for shuffling (default: the global one, set by
            ``gn.manual_seed``). The permutation is drawn when iteration starts.
        prefetch_factor: batches in flight per worker (default 2; only with workers).
        persistent_workers: keep the workers alive between passes (only with workers).
        transform: a callable applied to the first field of every batch (the inputs,
            usually a Tensor ``(B, ...)``) and returning its replacement: the place for
            per-batch data augmentation. Targets are left alone.
        batch_transform: a callable applied to the whole batch (the tuple the loader would
            yield) and returning the batch to yield; runs after ``transform``.

    A batch from a TensorDataset is a tuple of Tensors ``(x[idx], y[idx], ...)``. Without
    shuffling or workers its Tensors are views of the dataset's arrays (no copy):
    transform them out of place, or pass a ``transform``, which gets a copy.
    """

    def __init__(
        self,
        dataset: Dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable | None = None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
        transform: Callable | None = None,
        batch_transform: Callable | None = None,
    ):
        if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)) \
                or num_workers < 0:
            raise ValueError(f"DataLoader: num_workers must be a non-negative int, got "
                             f"{num_workers!r}")
        if num_workers == 0 and prefetch_factor is not None:
            raise ValueError("DataLoader: prefetch_factor can only be given with "
                             "num_workers > 0 (it counts batches loaded ahead per worker)")
        if num_workers == 0 and persistent_workers:
            raise ValueError("DataLoader: persistent_workers=True needs num_workers > 0")
        if prefetch_factor is None:
            prefetch_factor = 2
        if isinstance(prefetch_factor, bool) or not isinstance(prefetch_factor, int) \
                or prefetch_factor < 1:
            raise ValueError(f"DataLoader: prefetch_factor must be a positive int, got "
                             f"{prefetch_factor!r}")
        if timeout < 0:
            raise ValueError(f"DataLoader: timeout must be non-negative, got {timeout}")
        stream = isinstance(dataset, IterableDataset)
        if stream:
            # a stream has no indices to order (PyTorch's rules and messages)
            for name, value, unset in (("shuffle", shuffle, shuffle in (None, False)),
                                       ("sampler", sampler, sampler is None),
                                       ("batch_sampler", batch_sampler,
                                        batch_sampler is None)):
                if not unset:
                    raise ValueError(
                        f"DataLoader with IterableDataset: expected unspecified {name} "
                        f"option, but got {name}={value!r} (an IterableDataset is read in "
                        f"its own order; order or split it inside __iter__)")
        if batch_sampler is not None:
            if batch_size != 1 or shuffle or sampler is not None or drop_last:
                raise ValueError("DataLoader: batch_sampler is mutually exclusive with "
                                 "batch_size, shuffle, sampler and drop_last")
            batch_size = None
        elif batch_size is None:
            if drop_last:
                raise ValueError("DataLoader: drop_last needs a batch_size")
        else:
            if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
                raise TypeError(
                    f"DataLoader: batch_size must be a positive int, got {batch_size!r}")
            if batch_size <= 0:
                raise ValueError(f"DataLoader: batch_size must be positive, got {batch_size}")
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler is mutually exclusive with shuffle")
        try:
            n = None if stream else len(dataset)
        except TypeError:
            if sampler is None and batch_sampler is None:
                raise TypeError(
                    f"DataLoader: the dataset ({type(dataset).__name__}) has no len(); a "
                    f"map-style dataset needs __len__ and __getitem__ (or a sampler= giving "
                    f"its indices); for a stream, subclass glassnet.data.IterableDataset "
                    f"and define __iter__"
                ) from None
            n = None
        if n == 0:
            raise ValueError("DataLoader: the dataset is empty (0 samples)")
        if drop_last and batch_size and sampler is None and n is not None and n < batch_size:
            raise ValueError(
                f"DataLoader: drop_last=True with {n} samples and batch_size={batch_size} "
                f"would give no batches"
            )
        if generator is not None:
            resolve(generator)  # type check now rather than at the first epoch
        self.dataset = dataset
        self._stream = stream
        self._unbatched = batch_size is None and batch_sampler is None
        self.batch_size = None if batch_size is None else int(batch_size)
        self.shuffle = bool(shuffle)
        # As in PyTorch, ``loader.sampler`` is always there for a map-style dataset: the
        # one given, else a RandomSampler (shuffle; drawing from ``generator``, the same
        # permutation as before samplers existed) or a SequentialSampler. The built-in
        # orders keep their fast paths (in-order slices, one permutation array).
        self._given_sampler = sampler is not None
        if sampler is None and not stream:
            from .sampler import RandomSampler, SequentialSampler

            sampler = (RandomSampler(dataset, generator=generator) if self.shuffle
                       else SequentialSampler(dataset))
        self.sampler = sampler
        self.batch_sampler = batch_sampler
        self.num_workers = int(num_workers)
        self.collate_fn = collate_fn
        self.pin_memory = bool(pin_memory)
        self.drop_last = bool(drop_last)
        self.timeout = float(timeout)
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.generator = generator
        self.prefetch_factor = int(prefetch_factor)
        self.persistent_workers = bool(persistent_workers)
        self.in_order = bool(in_order)
        self.transform = transform
        self.batch_transform = batch_transform
        self._workers: _Workers | None = None
        self._passes = 0
        self._stream_len: int | None = None  # len(loader) of a stream, once asked

    def __len__(self) -> int:
        """The number of batches of one pass (samples when ``batch_size=None``).

        For an IterableDataset: from ``len(dataset)`` when it defines one (TypeError
        otherwise), as in PyTorch. With workers that is right only if the dataset splits
        itself among them; each worker's last batch may be short, so there can be more
        batches than this.
        """
        if self.batch_sampler is not None:
            return len(self.batch_sampler)
        if self._stream:
            try:
                n = len(self.dataset)
            except TypeError:
                raise TypeError(
                    f"len(DataLoader): the IterableDataset ({type(self.dataset).__name__}) "
                    f"has no len(); define __len__ on it, or count the batches while "
                    f"iterating") from None
        elif self._given_sampler:
            n = len(self.sampler)
        else:
            n = len(self.dataset)
        if self._unbatched:
            length = n
        else:
            length = n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        if self._stream:
            self._stream_len = length  # a pass yielding more than this warns
        return length

    def _check_indices(self, idx, who: str):
        """``idx`` after checking it against the dataset's length (when it has one):
        a sampler for another dataset is an error here, not a NumPy one later. Keys
        other than integers (a list) go to the dataset as they are."""
        if isinstance(idx, list):
            return idx
        try:
            n = len(self.dataset)
        except TypeError:
            return idx
        if idx.size and (idx.max() >= n or idx.min() < -n):
            bad = int(idx.max()) if idx.max() >= n else int(idx.min())
            raise IndexError(f"DataLoader: the {who} gave index {bad}, but the dataset "
                             f"({type(self.dataset).__name__}) has {n} samples")
        return idx

    def _order(self, n: int) -> np.ndarray | None:
        """This pass's sample order (None: 0..n-1 in order)."""
        if self._given_sampler:
            order = _sampler_array(self.sampler)
            if order is None:
                order = _keys(list(iter(self.sampler)))
            return self._check_indices(order, "sampler")
        if self.shuffle:
            return resolve(self.generator).permutation(n)
        return None

    def _index_batches(self) -> list:
        """This pass's batches as index arrays (a ``slice`` for in-order runs)."""
        if self.batch_sampler is not None:
            return [self._check_indices(_keys(list(b)), "batch_sampler")
                    for b in self.batch_sampler]
        n = None if self._given_sampler else len(self.dataset)  # a sampler gives the order
        order = self._order(n)
        if self._unbatched:  # batch_size=None: one sample at a time
            if order is None:
                return list(range(n))
            if isinstance(order, list):  # keys other than integers
                return [_Key(k) for k in order]
            return [int(i) for i in order]
        total = n if order is None else len(order)
        bs = self.batch_size
        stop = total - total % bs if self.drop_last else total
        out = []
        for start in range(0, stop, bs):
            end = min(start + bs, total)
            out.append(slice(start, end) if order is None else order[start:end])
        return out

    def _fetch(self, idx, copy: bool = False):
        """The batch for ``idx`` (a slice or an index array; an int when unbatched),
        before transforms."""
        if isinstance(idx, (int, _Key)):
            key = idx.key if isinstance(idx, _Key) else idx
            return (self.collate_fn or default_convert)(self.dataset[key])
        view = None
        if self.collate_fn is None and not isinstance(idx, list):
            view = _tensor_view(self.dataset)
        if view is not None:
            arrays, base = view
            if isinstance(idx, slice) and base is None:
                # views of the dataset's arrays (copied for a transform or another process)
                return tuple(Tensor._wrap(a[idx].copy() if copy else a[idx]) for a in arrays)
            if isinstance(idx, slice):
                idx = np.arange(idx.start, idx.stop)
            if base is not None:
                idx = base[idx]
            return tuple(Tensor._wrap(a[idx]) for a in arrays)
        if isinstance(idx, slice):
            idx = range(idx.start, idx.stop)
        elif isinstance(idx, np.ndarray):
            idx = idx.tolist()
        samples = [self.dataset[i] for i in idx]
        return (self.collate_fn or default_collate)(samples)

    def _stream_batch(self, it) -> tuple:
        """The next batch of the stream ``it`` (before transforms) and whether the stream
        ended while it was made (a short last batch); ``(None, True)`` when no batch is
        left (with ``drop_last``, a short last batch is dropped)."""
        if self._unbatched:
            for sample in it:
                return (self.collate_fn or default_convert)(sample), False
            return None, True
        samples = list(itertools.islice(it, self.batch_size))
        short = len(samples) < self.batch_size
        if not samples or (short and self.drop_last):
            return None, True
        return (self.collate_fn or default_collate)(samples), short

    def _single_stream(self):
        it = iter(self.dataset)
        while True:
            batch, last = self._stream_batch(it)
            if batch is None:
                return
            yield self._apply_after(batch)
            if last:
                return

    def __iter__(self):
        if self._stream:
            tasks = None
        else:
            if not self._given_sampler and self.batch_sampler is None \
                    and len(self.dataset) == 0:
                raise ValueError("DataLoader: the dataset is empty (0 samples)")
            tasks = self._index_batches()
        self._passes += 1
        if self.num_workers == 0:
            it = self._single_stream() if tasks is None else self._single(tasks)
        else:
            seed = _state_seed(resolve(self.generator), self._passes)
            if not self.persistent_workers:
                it = _MultiProcessIter(self, tasks, _Workers(self, seed))
            else:
                if self._workers is None or not self._workers.alive():
                    self._workers = _Workers(self, seed)
                it = _MultiProcessIter(self, tasks, self._workers)
        return self._count_stream(it) if self._stream_len is not None else it

    def _count_stream(self, it):
        """Warn once a stream yields more batches than ``len(loader)`` said: the usual
        cause is every worker reading the whole dataset instead of its share."""
        import warnings

        expected = self._stream_len
        for k, batch in enumerate(it, 1):
            if k == expected + 1:
                workers = (f"; with num_workers={self.num_workers} each worker iterates its "
                           f"own copy of the dataset, so __iter__ should give each its share "
                           f"(see get_worker_info())" if self.num_workers else "")
                warnings.warn(
                    f"DataLoader: len(loader) was {expected} (from the IterableDataset's "
                    f"len(), {type(self.dataset).__name__}), but this pass has yielded more "
                    f"batches{workers}", UserWarning, stacklevel=2)
            yield batch

    def _single(self, tasks):
        # a transform gets a copy of a sliced batch: it must not change the dataset
        copy = self.transform is not None
        for idx in tasks:
            yield self._apply_after(self._fetch(idx, copy=copy))

    def _apply_after(self, batch):
        if self.transform is not None:
            if isinstance(batch, tuple) and batch:
                batch = (self.transform(batch[0]),) + batch[1:]
            else:
                batch = self.transform(batch)
        if self.batch_transform is not None:
            batch = self.batch_transform(batch)
        return batch

    def __del__(self):
        workers = getattr(self, "_workers", None)
        if workers is not None:
            try:
                workers.shutdown()
            except Exception:  # interpreter shutdown: queues may be gone already
                pass

    def __getstate__(self):
        state = dict(self.__dict__)
        state["_workers"] = None  # worker handles stay in the process that made them
        mp = sys.modules.get("multiprocessing")
        if mp is not None and isinstance(state.get("multiprocessing_context"),
                                         mp.context.BaseContext):
            state["multiprocessing_context"] = None
        return state

    def __repr__(self) -> str:
        extra = f", num_workers={self.num_workers}" if self.num_workers else ""
        try:
            size = f" of {len(self.dataset)}"
        except TypeError:
            size = ""
        return (f"DataLoader({type(self.dataset).__name__}{size}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}{extra})")

