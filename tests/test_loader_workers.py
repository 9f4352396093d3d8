"""DataLoader with worker processes: same batches and order as num_workers=0, per-worker
seeds, worker_init_fn, get_worker_info, timeout, persistent workers, errors."""

from __future__ import annotations

import os
import time

import numpy as np
import pytest

import glassnet as gn
from glassnet.utils.data import DataLoader, Dataset, TensorDataset, get_worker_info


class Squares(Dataset):
    """A map-style dataset read sample by sample (the collate path)."""

    def __init__(self, n):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return np.float32(i) * np.ones(2, np.float32), i * i


class WhoAmI(Dataset):
    """Each sample reports the worker that made it and a random draw made there."""

    def __len__(self):
        return 12

    def __getitem__(self, i):
        info = get_worker_info()
        wid = -1 if info is None else info.id
        return wid, float(gn.rand(1).item()), os.getpid()


class Slow(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        time.sleep(2)
        return i


class Broken(Dataset):
    def __len__(self):
        return 6

    def __getitem__(self, i):
        if i == 4:
            raise KeyError(f"sample {i} is missing")
        return i


def _batches(loader):
    return [tuple(np.asarray(t.data).copy() for t in b) if isinstance(b, (tuple, list)) else b
            for b in loader]


@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("make", [
    lambda: TensorDataset(gn.arange(46.0).reshape(23, 2), gn.arange(23)),
    lambda: Squares(23),
])
def test_workers_give_the_same_batches_in_the_same_order(make, shuffle):
    ds = make()
    ref = _batches(DataLoader(ds, batch_size=4, shuffle=shuffle, generator=gn.Generator(3)))
    got = _batches(DataLoader(ds, batch_size=4, shuffle=shuffle, generator=gn.Generator(3),
                              num_workers=2, prefetch_factor=1))
    assert len(ref) == len(got) == 6
    for r, g in zip(ref, got):
        for a, b in zip(r, g):
            np.testing.assert_array_equal(a, b)
            assert a.dtype == b.dtype


def test_epochs_keep_the_single_process_order_with_persistent_workers():
    ds = TensorDataset(gn.arange(10))
    single = DataLoader(ds, batch_size=3, shuffle=True, generator=gn.Generator(1))
    multi = DataLoader(ds, batch_size=3, shuffle=True, generator=gn.Generator(1),
                       num_workers=2, persistent_workers=True)
    pids = []
    for _ in range(3):
        a = [b[0].tolist() for b in single]
        b = [b[0].tolist() for b in multi]
        assert a == b
        pids.append(tuple(p.pid for p in multi._workers.procs))
    assert pids[0] == pids[1] == pids[2]  # the same processes served every epoch
    multi._workers.shutdown()


def test_each_worker_is_seeded_and_reports_its_info():
    seen = []

    def init(worker_id):
        info = get_worker_info()
        assert info.id == worker_id and info.num_workers == 3
        seen.append(worker_id)  # runs in the worker: the parent's list stays empty

    loader = DataLoader(WhoAmI(), batch_size=2, num_workers=3, worker_init_fn=init,
                        generator=gn.Generator(0))
    run1 = list(loader)
    run2 = list(DataLoader(WhoAmI(), batch_size=2, num_workers=3, worker_init_fn=init,
                           generator=gn.Generator(0)))
    assert seen == []
    wids = [int(w) for b in run1 for w in b[0].tolist()]
    assert wids == [0, 0, 1, 1, 2, 2] * 2  # batch k comes from worker k % 3
    pids = {int(p) for b in run1 for p in b[2].tolist()}
    assert os.getpid() not in pids and len(pids) == 3  # really other processes
    draws = [b[1].tolist() for b in run1]
    assert draws == [b[1].tolist() for b in run2]  # same seed, same numbers
    assert draws[0] != draws[1]  # but different workers draw differently
    assert get_worker_info() is None


def test_timeout_raises():
    loader = DataLoader(Slow(), batch_size=1, num_workers=1, timeout=0.3)
    it = iter(loader)
    with pytest.raises(RuntimeError, match="timed out after 0.3 s"):
        next(it)
    assert not it.workers.alive()  # the stuck worker was stopped


def test_worker_error_names_the_sample():
    loader = DataLoader(Broken(), batch_size=2, num_workers=2)
    with pytest.raises(RuntimeError, match=r"(?s)worker 0, batch 2.*sample 4 is missing"):
        list(loader)


def test_argument_checks_follow_pytorch():
    ds = TensorDataset(gn.arange(4))
    with pytest.raises(ValueError, match="prefetch_factor"):
        DataLoader(ds, prefetch_factor=2)
    with pytest.raises(ValueError, match="persistent_workers"):
        DataLoader(ds, persistent_workers=True)
    with pytest.raises(ValueError, match="num_workers"):
        DataLoader(ds, num_workers=-1)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ds, shuffle=True, sampler=[0, 1])
    loader = DataLoader(ds, batch_size=2, pin_memory=True)  # nothing to pin on the CPU
    assert [b[0].tolist() for b in loader] == [[0, 1], [2, 3]]


def test_sampler_and_batch_sampler():
    ds = TensorDataset(gn.arange(6))
    assert [b[0].tolist() for b in DataLoader(ds, batch_size=2, sampler=[5, 4, 3, 0])] == \
        [[5, 4], [3, 0]]
    bs = [[0, 2], [1, 3, 5]]
    loader = DataLoader(ds, batch_sampler=bs, num_workers=2)
    assert len(loader) == 2
    assert [b[0].tolist() for b in loader] == [[0, 2], [1, 3, 5]]


def test_breaking_off_an_epoch_then_iterating_again():
    ds = TensorDataset(gn.arange(20))
    loader = DataLoader(ds, batch_size=2, num_workers=2)
    it = iter(loader)
    first = next(it)[0].tolist()
    assert first == [0, 1]
    assert [b[0].tolist() for b in loader][0] == [0, 1]  # stale results are dropped
    assert len([b for b in loader]) == 10


class Dies(Dataset):
    def __len__(self):
        return 4

    def __getitem__(self, i):
        if i == 2:
            os._exit(3)  # a crash that leaves no Python exception behind
        return i


def test_a_dead_worker_is_reported():
    loader = DataLoader(Dies(), batch_size=1, num_workers=1)
    with pytest.raises(RuntimeError, match="exited unexpectedly with exit code 3"):
        list(loader)


def test_two_passes_side_by_side_and_persistent_passes_replace_each_other():
    ds = TensorDataset(gn.arange(8))
    loader = DataLoader(ds, batch_size=2, num_workers=2)
    outer = [(a[0].tolist(), b[0].tolist()) for a, b in zip(loader, loader)]
    assert outer == [([0, 1], [0, 1]), ([2, 3], [2, 3]), ([4, 5], [4, 5]), ([6, 7], [6, 7])]
    persistent = DataLoader(ds, batch_size=2, num_workers=1, persistent_workers=True)
    old = iter(persistent)
    assert next(old)[0].tolist() == [0, 1]
    assert [b[0].tolist() for b in persistent] == [[0, 1], [2, 3], [4, 5], [6, 7]]
    with pytest.raises(RuntimeError, match="replaced by a newer one"):
        next(old)
    persistent._workers.shutdown()


def test_batch_size_none_yields_samples_like_pytorch(torch):
    from torch.utils.data import DataLoader as TorchLoader

    ds = Squares(5)
    for workers in (0, 2):
        got = list(DataLoader(ds, batch_size=None, num_workers=workers))
        want = list(TorchLoader(ds, batch_size=None))
        assert len(got) == len(want) == 5
        for (gx, gy), (tx, ty) in zip(got, want):
            np.testing.assert_array_equal(gx.numpy(), tx.numpy())
            assert gy == ty and type(gy) is type(ty)
    assert len(DataLoader(ds, batch_size=None)) == 5
