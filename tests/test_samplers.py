"""Samplers, IterableDataset and ChainDataset: PyTorch's outputs where they are
deterministic (orders, batches, lengths, worker splitting, error types), known answers for
the random samplers (permutations, seeds, frequencies)."""

from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as gn
from glassnet.utils import data as G
from glassnet.utils.data import (
    BatchSampler,
    ChainDataset,
    DataLoader,
    DistributedSampler,
    IterableDataset,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    TensorDataset,
    WeightedRandomSampler,
)


def _plain(batch):
    """A batch as nested Python lists (glassnet or torch tensors alike)."""
    if isinstance(batch, dict):
        return {k: _plain(v) for k, v in batch.items()}
    if isinstance(batch, (list, tuple)):
        return [_plain(b) for b in batch]
    if hasattr(batch, "numpy"):
        return batch.numpy().tolist()
    if hasattr(batch, "data") and isinstance(batch.data, np.ndarray):
        return batch.data.tolist()
    return batch


def _tdata(torch):
    return torch.utils.data


# --- datasets built the same way on both sides --------------------------------------------
def _range_stream(mod):
    """PyTorch's documented pattern: each worker takes every num_workers-th element."""

    class RangeStream(mod.IterableDataset):
        def __init__(self, start, end):
            self.start, self.end = start, end

        def __iter__(self):
            info = mod.get_worker_info()
            if info is None:
                return iter(range(self.start, self.end))
            return iter(range(self.start + info.id, self.end, info.num_workers))

    return RangeStream


def _uneven_stream(mod):
    """Worker w yields counts[w] samples: streams of different lengths end at different
    times, so exhausted workers drop out of the round-robin."""

    class Uneven(mod.IterableDataset):
        counts = (5, 1, 3)

        def __iter__(self):
            info = mod.get_worker_info()
            wid = 0 if info is None else info.id
            return iter([(wid * 100 + k, float(k) / 2) for k in range(self.counts[wid])])

    return Uneven


def _sized_stream(mod):
    class Sized(mod.IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter({"x": np.full(2, i, np.float32), "i": i} for i in range(self.n))

        def __len__(self):
            return self.n

    return Sized


# --- deterministic samplers against PyTorch ----------------------------------------------
@pytest.mark.parametrize("n", [0, 1, 7])
def test_sequential_sampler_matches_torch(torch, n):
    T = _tdata(torch)
    data = list(range(n))
    assert list(SequentialSampler(data)) == list(T.SequentialSampler(data))
    assert len(SequentialSampler(data)) == len(T.SequentialSampler(data)) == n


@pytest.mark.parametrize("n", [1, 9, 10, 11])
@pytest.mark.parametrize("batch_size", [1, 3, 10, 12])
@pytest.mark.parametrize("drop_last", [False, True])
def test_batch_sampler_matches_torch(torch, n, batch_size, drop_last):
    T = _tdata(torch)
    for ours, theirs in ((SequentialSampler(range(n)), T.SequentialSampler(range(n))),
                         (list(range(n, 0, -1)), list(range(n, 0, -1)))):
        a = BatchSampler(ours, batch_size, drop_last)
        b = T.BatchSampler(theirs, batch_size, drop_last)
        assert list(a) == list(b)
        assert len(a) == len(b)


def test_batch_sampler_in_a_loader_and_with_set_epoch():
    ds = TensorDataset(gn.arange(10.0), gn.arange(10))
    loader = DataLoader(ds, batch_sampler=BatchSampler(SequentialSampler(ds), 4, False))
    assert [b[1].tolist() for b in loader] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert len(loader) == 3
    # a DistributedSampler inside a BatchSampler: set_epoch reaches through (read each pass)
    dist = DistributedSampler(ds, num_replicas=2, rank=1, shuffle=True, seed=3)
    loader = DataLoader(ds, batch_sampler=BatchSampler(dist, 2, drop_last=True))
    assert len(loader) == 2
    dist.set_epoch(0)
    e0 = [b[1].tolist() for b in loader]
    assert e0 == [b[1].tolist() for b in loader]  # same epoch, same batches
    dist.set_epoch(1)
    e1 = [b[1].tolist() for b in loader]
    assert e0 != e1
    expected = dist.order()[1::2][:4].tolist()
    assert sum(e1, []) == expected


# --- random samplers: known answers ------------------------------------------------------
def test_random_sampler_without_replacement_is_a_fresh_permutation_each_pass():
    s = RandomSampler(range(50), generator=gn.Generator(7))
    a, b = list(s), list(s)
    assert sorted(a) == sorted(b) == list(range(50))
    assert a != b  # two epochs, two orders
    assert all(type(i) is int for i in a)
    again = RandomSampler(range(50), generator=gn.Generator(7))
    assert list(again) == a and list(again) == b  # same seed, same sequence of orders
    assert len(s) == 50


def test_random_sampler_uses_the_global_seed_without_a_generator():
    gn.manual_seed(123)
    a = list(RandomSampler(range(30)))
    gn.manual_seed(123)
    b = list(RandomSampler(range(30)))
    assert a == b and sorted(a) == list(range(30))


def test_random_sampler_num_samples_and_replacement():
    s = RandomSampler(range(4), num_samples=10, generator=gn.Generator(0))
    out = list(s)
    assert len(s) == len(out) == 10
    # without replacement: whole permutations chained, the last one cut
    assert sorted(out[:4]) == sorted(out[4:8]) == [0, 1, 2, 3]
    assert len(set(out[8:])) == 2
    s = RandomSampler(range(3), replacement=True, num_samples=3000, generator=gn.Generator(1))
    out = np.array(list(s))
    assert len(s) == out.size == 3000 and set(out.tolist()) == {0, 1, 2}
    # each index with probability 1/3: counts within 5 standard errors
    sd = math.sqrt(3000 * (1 / 3) * (2 / 3))
    assert np.all(np.abs(np.bincount(out, minlength=3) - 1000) < 5 * sd)
    s = RandomSampler(range(5), num_samples=2, generator=gn.Generator(0))
    assert len(list(s)) == 2 and len(set(s)) == 2


def test_random_sampler_length_follows_the_dataset():
    data = list(range(3))
    s = RandomSampler(data, generator=gn.Generator(0))
    data.extend([3, 4])
    assert len(s) == 5 and sorted(s) == [0, 1, 2, 3, 4]


def test_subset_random_sampler():
    idx = [10, 3, 7, 42, 5]
    s = SubsetRandomSampler(idx, generator=gn.Generator(0))
    a, b = list(s), list(s)
    assert sorted(a) == sorted(b) == sorted(idx) and a != b
    assert len(s) == 5
    assert list(SubsetRandomSampler(idx, generator=gn.Generator(0))) == a
    t = SubsetRandomSampler(gn.tensor([4, 2, 9]), generator=gn.Generator(1))
    out = list(t)
    assert sorted(out) == [2, 4, 9] and all(type(i) is int for i in out)
    assert list(SubsetRandomSampler([], generator=gn.Generator(0))) == []


def test_weighted_sampler_frequencies_follow_the_weights():
    w = [0.0, 1.0, 3.0, 0.0, 6.0]
    s = WeightedRandomSampler(w, 20000, generator=gn.Generator(0))
    out = np.array(list(s))
    assert len(s) == out.size == 20000
    counts = np.bincount(out, minlength=5)
    assert counts[0] == counts[3] == 0  # zero weights are never drawn
    p = np.array(w) / sum(w)
    sd = np.sqrt(20000 * p * (1 - p))
    assert np.all(np.abs(counts - 20000 * p) <= 4 * sd + 1e-9), counts
    assert list(WeightedRandomSampler(w, 50, generator=gn.Generator(0))) == out[:50].tolist()
    assert out[:50].tolist() != list(s)[:50]  # the next pass draws afresh


def test_weighted_sampler_without_replacement():
    w = gn.tensor([5.0, 0.0, 1.0, 2.0, 0.0, 3.0])
    s = WeightedRandomSampler(w, 4, replacement=False, generator=gn.Generator(2))
    for _ in range(20):
        out = list(s)
        assert len(out) == 4 and len(set(out)) == 4 and not {1, 4} & set(out)
    # draws one after another, each from the weights of the indices left: the first is i
    # with probability w_i / 11, the pair (0, 5) comes with (5 / 11) * (3 / 6)
    draws = np.array([list(s)[:2] for _ in range(4000)])
    p_first = np.array([5.0, 0.0, 1.0, 2.0, 0.0, 3.0]) / 11
    freq = np.bincount(draws[:, 0], minlength=6) / 4000
    assert np.all(np.abs(freq - p_first) <= 4 * np.sqrt(p_first * (1 - p_first) / 4000))
    pair = np.mean((draws[:, 0] == 0) & (draws[:, 1] == 5))
    assert abs(pair - 5 / 22) <= 4 * math.sqrt(5 / 22 * 17 / 22 / 4000)
    full = list(WeightedRandomSampler([1.0, 2.0, 3.0], 3, replacement=False))
    assert sorted(full) == [0, 1, 2]
    # PyTorch documents this as an error (its CPU kernel hands out zero-weight indices
    # once the others are used up); glassnet raises, with the same type
    with pytest.raises(RuntimeError, match="only 4 of the 6 weights are non-zero"):
        WeightedRandomSampler(w, 5, replacement=False)


def test_weighted_sampler_takes_numpy_and_keeps_its_own_copy():
    w = np.array([1.0, 0.0])
    s = WeightedRandomSampler(w, 10, generator=gn.Generator(0))
    w[1] = 100.0  # changing the caller's array afterwards does not change the sampler
    assert list(s) == [0] * 10


def test_samplers_plug_into_the_loader():
    ds = TensorDataset(gn.arange(12.0).reshape(6, 2), gn.arange(6))
    loader = DataLoader(ds, batch_size=4,
                        sampler=RandomSampler(ds, generator=gn.Generator(0)))
    assert len(loader) == 2
    ys = [b[1].tolist() for b in loader]
    assert [len(y) for y in ys] == [4, 2] and sorted(sum(ys, [])) == list(range(6))
    w = [0.0, 0.0, 1.0, 0.0, 0.0, 1.0]
    loader = DataLoader(ds, batch_size=5, drop_last=True,
                        sampler=WeightedRandomSampler(w, 11, generator=gn.Generator(0)))
    assert len(loader) == 2
    for x, y in loader:
        assert set(y.tolist()) <= {2, 5} and np.array_equal(x.data[:, 0], 2.0 * y.data)
    loader = DataLoader(ds, batch_size=None,
                        sampler=SubsetRandomSampler([1, 3], generator=gn.Generator(0)))
    assert sorted(int(b[1].item()) for b in loader) == [1, 3]


def test_a_map_dataset_without_len_works_with_a_sampler():
    class Squares(G.Dataset):
        def __getitem__(self, i):
            return i * i

    loader = DataLoader(Squares(), batch_size=2, sampler=[3, 1, 2])
    assert [b.tolist() for b in loader] == [[9, 1], [4]]
    with pytest.raises(TypeError, match="has no len"):
        DataLoader(Squares(), batch_size=2)


def test_a_custom_sampler_subclass():
    class Evens(Sampler):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(0, self.n, 2))

    ds = TensorDataset(gn.arange(7))
    loader = DataLoader(ds, batch_size=2, sampler=Evens(7))
    assert [b[0].tolist() for b in loader] == [[0, 2], [4, 6]]
    with pytest.raises(TypeError):
        len(loader)  # the sampler has no len, as in PyTorch
    with pytest.raises(NotImplementedError):
        iter(Sampler())


# --- argument checks: the same exception types as PyTorch --------------------------------
BAD_SAMPLERS = [
    ("RandomSampler", lambda m: m.RandomSampler(range(3), replacement=1)),
    ("RandomSampler", lambda m: m.RandomSampler(range(3), num_samples=0)),
    ("RandomSampler", lambda m: m.RandomSampler(range(3), num_samples=2.0)),
    ("RandomSampler", lambda m: m.RandomSampler([])),
    ("WeightedRandomSampler", lambda m: m.WeightedRandomSampler([1.0, 2.0], 0)),
    ("WeightedRandomSampler", lambda m: m.WeightedRandomSampler([1.0, 2.0], True)),
    ("WeightedRandomSampler", lambda m: m.WeightedRandomSampler([1.0, 2.0], 3, replacement=0)),
    ("WeightedRandomSampler", lambda m: m.WeightedRandomSampler([[1.0, 2.0]], 3)),
    ("WeightedRandomSampler", lambda m: list(m.WeightedRandomSampler([1.0, -2.0], 3))),
    ("WeightedRandomSampler", lambda m: list(m.WeightedRandomSampler([1.0, float("nan")], 3))),
    ("WeightedRandomSampler", lambda m: list(m.WeightedRandomSampler([1.0, float("inf")], 3))),
    ("WeightedRandomSampler", lambda m: list(m.WeightedRandomSampler([0.0, 0.0], 3))),
    ("WeightedRandomSampler",
     lambda m: list(m.WeightedRandomSampler([1.0, 0.0, 2.0], 4, replacement=False))),
    ("BatchSampler", lambda m: m.BatchSampler(range(3), 0, False)),
    ("BatchSampler", lambda m: m.BatchSampler(range(3), 2.0, False)),
    ("BatchSampler", lambda m: m.BatchSampler(range(3), True, False)),
    ("BatchSampler", lambda m: m.BatchSampler(range(3), 2, 1)),
]


@pytest.mark.parametrize("who, make", BAD_SAMPLERS)
def test_bad_sampler_arguments_raise_what_torch_raises(torch, who, make):
    T = _tdata(torch)
    with pytest.raises(Exception) as theirs:
        make(T)
    with pytest.raises(type(theirs.value)) as ours:
        make(G)
    assert who in str(ours.value)  # and ours names the class


@pytest.mark.parametrize("kwargs", [dict(shuffle=True), dict(sampler=[0, 1]),
                                    dict(batch_sampler=[[0, 1]], batch_size=1)])
def test_loader_rejects_orders_for_a_stream_like_torch(torch, kwargs):
    T = _tdata(torch)
    with pytest.raises(ValueError, match="expected unspecified"):
        T.DataLoader(_range_stream(T)(0, 4), **kwargs)
    with pytest.raises(ValueError, match="expected unspecified"):
        DataLoader(_range_stream(G)(0, 4), **kwargs)


def test_stream_length_follows_torch(torch):
    T = _tdata(torch)
    for kw in (dict(batch_size=3), dict(batch_size=3, drop_last=True), dict(batch_size=None)):
        assert len(DataLoader(_sized_stream(G)(10), **kw)) == \
            len(T.DataLoader(_sized_stream(T)(10), **kw))
    with pytest.raises(TypeError):
        len(T.DataLoader(_range_stream(T)(0, 4)))
    with pytest.raises(TypeError, match="has no len"):
        len(DataLoader(_range_stream(G)(0, 4)))
    with pytest.raises(TypeError):
        len(_range_stream(G)(0, 4))  # no default __len__, as in PyTorch


# --- IterableDataset batching against PyTorch --------------------------------------------
@pytest.mark.parametrize("kw", [dict(), dict(batch_size=3), dict(batch_size=3, drop_last=True),
                                dict(batch_size=None), dict(batch_size=20),
                                dict(batch_size=20, drop_last=True),
                                dict(batch_size=4, collate_fn=lambda s: [x * 10 for x in s])])
def test_stream_batches_match_torch(torch, kw):
    T = _tdata(torch)
    ours = [_plain(b) for b in DataLoader(_range_stream(G)(0, 10), **kw)]
    theirs = [_plain(b) for b in T.DataLoader(_range_stream(T)(0, 10), **kw)]
    assert ours == theirs


def test_structured_stream_samples_collate_like_torch(torch):
    T = _tdata(torch)
    for kw in (dict(batch_size=4), dict(batch_size=None)):
        ours = [_plain(b) for b in DataLoader(_sized_stream(G)(6), **kw)]
        theirs = [_plain(b) for b in T.DataLoader(_sized_stream(T)(6), **kw)]
        assert ours == theirs
    batch = next(iter(DataLoader(_sized_stream(G)(6), batch_size=4)))
    assert batch["x"].shape == (4, 2) and batch["x"].dtype == gn.float32
    assert batch["i"].dtype == gn.int64


def test_stream_each_pass_restarts_and_transforms_apply():
    loader = DataLoader(_range_stream(G)(0, 5), batch_size=2,
                        collate_fn=lambda s: gn.tensor(s, dtype=gn.float32),
                        transform=lambda x: x * 2, batch_transform=lambda b: b + 1)
    first = [b.tolist() for b in loader]
    assert first == [[1.0, 3.0], [5.0, 7.0], [9.0]]
    assert [b.tolist() for b in loader] == first
    assert list(DataLoader(_range_stream(G)(0, 0), batch_size=2)) == []


def test_chain_dataset_and_plus(torch):
    T = _tdata(torch)
    a, b = _range_stream(G)(0, 3), _range_stream(G)(10, 12)
    chain = a + b
    assert isinstance(chain, ChainDataset) and list(chain) == [0, 1, 2, 10, 11]
    assert isinstance(chain, IterableDataset) and isinstance(a, G.Dataset)
    ta, tb = _range_stream(T)(0, 3), _range_stream(T)(10, 12)
    assert list(chain) == list(ta + tb) == list(T.ChainDataset([ta, tb]))
    assert [_plain(x) for x in DataLoader(chain, batch_size=2)] == \
        [_plain(x) for x in T.DataLoader(T.ChainDataset([ta, tb]), batch_size=2)]
    sized = ChainDataset([_sized_stream(G)(3), _sized_stream(G)(4)])
    assert len(sized) == 7 == len(T.ChainDataset([_sized_stream(T)(3), _sized_stream(T)(4)]))
    with pytest.raises(TypeError):
        len(chain)
    with pytest.raises(TypeError, match="ChainDataset only supports IterableDataset"):
        ChainDataset([a, TensorDataset(gn.arange(3))])
    with pytest.raises(TypeError, match="ConcatDataset does not support IterableDataset"):
        G.ConcatDataset([TensorDataset(gn.arange(3)), a])


# --- worker processes --------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:This DataLoader will create")  # PyTorch, 3 workers on 2 cores
@pytest.mark.parametrize("make, kw", [
    (_range_stream, dict(batch_size=4, num_workers=2)),
    (_uneven_stream, dict(batch_size=2, num_workers=3, prefetch_factor=1)),
])
def test_worker_split_and_round_robin_order_match_torch(torch, make, kw):
    T = _tdata(torch)
    args = (0, 17) if make is _range_stream else ()
    ours = [_plain(b) for b in DataLoader(make(G)(*args), **kw)]
    theirs = [_plain(b) for b in T.DataLoader(make(T)(*args), **kw)]
    assert ours == theirs
    assert len(ours) > kw["num_workers"]  # the batches came from several workers in turn


def test_persistent_workers_restart_every_stream_each_pass():
    loader = DataLoader(_uneven_stream(G)(), batch_size=None, num_workers=3,
                        persistent_workers=True, collate_fn=lambda s: s[0])
    # worker 0 has 5 samples, worker 1 one, worker 2 three: round-robin, ended ones drop out
    expected = [0, 100, 200, 1, 201, 2, 202, 3, 4]
    assert list(loader) == expected
    assert list(loader) == expected
    assert [b for b in DataLoader(_uneven_stream(G)(), batch_size=None,
                                  collate_fn=lambda s: s[0])] == [0, 1, 2, 3, 4]


class _Failing(G.IterableDataset):
    """Yields 0, 1, 2 in every worker, then fails."""

    def __iter__(self):
        yield from range(3)
        raise KeyError("record 3 is corrupt")


def test_an_error_inside_a_stream_reaches_the_caller():
    with pytest.raises(KeyError, match="record 3 is corrupt"):
        list(DataLoader(_Failing(), batch_size=2))
    loader = DataLoader(_Failing(), batch_size=2, num_workers=2)
    it = iter(loader)
    assert [next(it).tolist(), next(it).tolist()] == [[0, 1], [0, 1]]
    with pytest.raises(RuntimeError, match=r"(?s)worker 0.*record 3 is corrupt"):
        next(it)


def test_breaking_off_a_stream_pass_then_iterating_again():
    loader = DataLoader(_range_stream(G)(0, 40), batch_size=3, num_workers=2)
    it = iter(loader)
    assert next(it).tolist() == [0, 2, 4]
    del it  # the workers of the abandoned pass are stopped
    assert sorted(sum((b.tolist() for b in loader), [])) == list(range(40))


def test_a_sampler_for_another_dataset_is_named():
    ds = TensorDataset(gn.arange(6))
    with pytest.raises(IndexError, match="sampler gave index 9, but the dataset"):
        list(DataLoader(ds, batch_size=2, sampler=RandomSampler(range(10),
                                                                generator=gn.Generator(0))))
    with pytest.raises(IndexError, match="batch_sampler gave index 6"):
        list(DataLoader(ds, batch_sampler=BatchSampler(range(7), 3, False)))


def test_a_stream_longer_than_its_len_warns_once_len_was_asked():
    class Liar(G.IterableDataset):
        def __iter__(self):
            return iter(range(6))

        def __len__(self):
            return 4

    loader = DataLoader(Liar(), batch_size=2)
    assert len(list(loader)) == 3  # len() not asked: no warning to give
    assert len(loader) == 2
    with pytest.warns(UserWarning, match="len\\(loader\\) was 2"):
        assert [b.tolist() for b in loader] == [[0, 1], [2, 3], [4, 5]]


def test_the_loader_has_a_sampler_like_torch(torch):
    T = _tdata(torch)
    ds = TensorDataset(gn.arange(10.0), gn.arange(10))
    tds = T.TensorDataset(torch.arange(10.0), torch.arange(10))
    for kw in (dict(), dict(shuffle=True)):
        ours, theirs = DataLoader(ds, batch_size=3, **kw), T.DataLoader(tds, batch_size=3, **kw)
        assert type(ours.sampler).__name__ == type(theirs.sampler).__name__
        assert len(ours.sampler) == len(theirs.sampler) == 10
    # shuffle=True is a RandomSampler on the loader's generator: the same batches
    a = DataLoader(ds, batch_size=3, shuffle=True, generator=gn.Generator(5))
    b = DataLoader(ds, batch_size=3, sampler=RandomSampler(ds, generator=gn.Generator(5)))
    for _ in range(2):
        assert [y.tolist() for _, y in a] == [y.tolist() for _, y in b]


def test_weighted_sampler_with_huge_and_tiny_weights():
    # the weights sum above the float64 range: scaled by their maximum before drawing
    out = list(WeightedRandomSampler([1e308, 0.0, 1e308], 200, generator=gn.Generator(0)))
    assert set(out) == {0, 2}
    out = list(WeightedRandomSampler([0.0, 5e-324], 5, generator=gn.Generator(0)))
    assert out == [1] * 5


def test_distributed_sampler_is_a_sampler():
    from glassnet.utils.data import DistributedSampler, Sampler

    s = DistributedSampler(list(range(10)), num_replicas=2, rank=1, shuffle=False)
    assert isinstance(s, Sampler)
    assert list(s) == [1, 3, 5, 7, 9] and len(s) == 5
