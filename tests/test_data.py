"""gn.data: datasets, the DataLoader, random_split, StandardScaler, one_hot,
train_test_split."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.data import (
    DataLoader,
    Dataset,
    StandardScaler,
    Subset,
    TensorDataset,
    one_hot,
    random_split,
    train_test_split,
)


def _xy(n=10, f=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.standard_normal((n, f)).astype(np.float32), np.arange(n, dtype=np.int64)


class ListDataset(Dataset):
    """A Python-level dataset (no fast path): samples are (array, int)."""

    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], int(self.y[i])


# --- TensorDataset -----------------------------------------------------------------------
def test_tensor_dataset_items_and_len():
    x, y = _xy()
    ds = TensorDataset(gn.tensor(x), y)
    assert len(ds) == 10
    xi, yi = ds[3]
    assert isinstance(xi, gn.Tensor) and xi.shape == (3,)
    np.testing.assert_array_equal(xi.data, x[3])
    assert int(yi) == 3


@pytest.mark.parametrize("args, match", [
    ((np.zeros((3, 2)), np.zeros(4)), "size mismatch"),
    ((), "at least one"),
    ((np.float32(1.0),), "0-d"),
])
def test_tensor_dataset_errors(args, match):
    with pytest.raises(ValueError, match=match):
        TensorDataset(*args)


# --- DataLoader batching -----------------------------------------------------------------
@pytest.mark.parametrize("n, bs, drop_last, sizes", [
    (10, 4, False, [4, 4, 2]),
    (10, 4, True, [4, 4]),
    (8, 4, False, [4, 4]),
    (8, 4, True, [4, 4]),
    (3, 5, False, [3]),
    (10, 1, False, [1] * 10),
])
@pytest.mark.parametrize("fast", [True, False])
def test_loader_batch_sizes(n, bs, drop_last, sizes, fast):
    x, y = _xy(n)
    ds = TensorDataset(x, y) if fast else ListDataset(x, y)
    loader = DataLoader(ds, batch_size=bs, drop_last=drop_last)
    got = [b[0].shape[0] for b in loader]
    assert got == sizes
    assert len(loader) == len(sizes)
    ys = np.concatenate([b[1].data for b in loader])
    np.testing.assert_array_equal(ys, np.arange(sum(sizes)))  # in order without shuffle


def test_loader_fast_and_generic_paths_agree_when_shuffled():
    x, y = _xy(23)
    a = DataLoader(TensorDataset(x, y), batch_size=5, shuffle=True, generator=gn.Generator(7))
    b = DataLoader(ListDataset(x, y), batch_size=5, shuffle=True, generator=gn.Generator(7))
    for (xa, ya), (xb, yb) in zip(a, b):
        np.testing.assert_array_equal(xa.data, xb.data)
        np.testing.assert_array_equal(ya.data, yb.data)
        assert ya.data.dtype == yb.data.dtype == np.int64


def test_shuffle_covers_everything_and_is_reproducible():
    x, y = _xy(50)
    ds = TensorDataset(x, y)

    def epochs(seed, k=3):
        loader = DataLoader(ds, batch_size=8, shuffle=True, generator=gn.Generator(seed))
        return [np.concatenate([b[1].data for b in loader]) for _ in range(k)]

    run1, run2, other = epochs(1), epochs(1), epochs(2)
    for e in run1:
        np.testing.assert_array_equal(np.sort(e), np.arange(50))
    for a, b in zip(run1, run2):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(run1[0], run1[1])  # a fresh permutation every epoch
    assert not np.array_equal(run1[0], other[0])


def test_shuffle_uses_global_generator_by_default():
    x, y = _xy(30)
    loader = DataLoader(TensorDataset(x, y), batch_size=30, shuffle=True)
    gn.manual_seed(5)
    a = next(iter(loader))[1].data
    gn.manual_seed(5)
    b = next(iter(loader))[1].data
    np.testing.assert_array_equal(a, b)


def test_collate_fn_and_default_collate_structures():
    class DictDataset(Dataset):
        def __len__(self):
            return 5

        def __getitem__(self, i):
            return {"x": np.full(2, i, np.float32), "label": i, "w": 0.5 * i, "name": f"s{i}"}

    batch = next(iter(DataLoader(DictDataset(), batch_size=3)))
    assert batch["x"].shape == (3, 2) and batch["x"].dtype == np.float32
    assert batch["label"].dtype == np.int64 and batch["label"].tolist() == [0, 1, 2]
    assert batch["w"].dtype == np.float32
    assert batch["name"] == ["s0", "s1", "s2"]

    seen = []

    def collate(samples):
        seen.append(len(samples))
        return len(samples)

    x, y = _xy(7)
    out = list(DataLoader(TensorDataset(x, y), batch_size=3, collate_fn=collate))
    assert out == [3, 3, 1] and seen == [3, 3, 1]


def test_transform_hooks():
    x, y = _xy(6)
    ds = TensorDataset(x, y)
    loader = DataLoader(ds, batch_size=4, transform=lambda t: t * 0.0,
                        batch_transform=lambda b: (b[0] + 1.0, b[1]))
    for bx, _ in loader:
        np.testing.assert_array_equal(bx.data, np.ones_like(bx.data))
    np.testing.assert_array_equal(ds.arrays[0], x)  # the dataset is untouched

    def inplace(t):
        t.data[...] = 0.0
        return t

    list(DataLoader(ds, batch_size=4, transform=inplace))
    np.testing.assert_array_equal(ds.arrays[0], x)  # the transform got a copy


def test_subset_fast_path_and_random_split():
    x, y = _xy(20)
    ds = TensorDataset(x, y)
    parts = random_split(ds, [14, 6], generator=gn.Generator(0))
    assert [len(p) for p in parts] == [14, 6]
    ids = np.concatenate([np.concatenate([b[1].data for b in DataLoader(p, batch_size=4)])
                          for p in parts])
    np.testing.assert_array_equal(np.sort(ids), np.arange(20))  # disjoint, complete
    again = random_split(ds, [14, 6], generator=gn.Generator(0))
    np.testing.assert_array_equal(again[0].indices, parts[0].indices)
    # a subset of a subset indexes through both
    inner = Subset(parts[0], [2, 0])
    batch = next(iter(DataLoader(inner, batch_size=2)))
    np.testing.assert_array_equal(batch[1].data, parts[0].indices[[2, 0]])


@pytest.mark.parametrize("n, lengths, sizes", [
    (10, [0.7, 0.3], [7, 3]),
    (10, [0.5, 0.25, 0.25], [6, 2, 2]),  # floor 5, 2, 2; the remainder goes to the first
    (11, [0.1, 0.2, 0.7], [2, 2, 7]),  # floor 1, 2, 7
    (3, [1 / 3] * 3, [1, 1, 1]),
    (7, [7, 0], [7, 0]),
])
def test_random_split_lengths(n, lengths, sizes):
    x, y = _xy(n)
    assert [len(p) for p in random_split(TensorDataset(x, y), lengths)] == sizes


def test_random_split_lengths_match_torch(torch):
    for n, lengths in [(10, [0.5, 0.25, 0.25]), (11, [0.1, 0.2, 0.7]), (13, [0.3, 0.3, 0.4])]:
        ref = [len(p) for p in torch.utils.data.random_split(range(n), lengths)]
        assert [len(p) for p in random_split(TensorDataset(np.arange(n)), lengths)] == ref


@pytest.mark.parametrize("lengths, match", [
    ([5, 4], "sum to 9"),
    ([0.5, 0.6], "sum to 1"),
    ([], "empty"),
])
def test_random_split_errors(lengths, match):
    x, y = _xy(10)
    with pytest.raises(ValueError, match=match):
        random_split(TensorDataset(x, y), lengths)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(batch_size=0), ValueError, "batch_size must be positive"),
    (dict(batch_size=-3), ValueError, "batch_size must be positive"),
    (dict(batch_size=2.5), TypeError, "positive int"),
    (dict(batch_size=20, drop_last=True), ValueError, "no batches"),
    (dict(generator="seed"), TypeError, "Generator"),
])
def test_loader_bad_arguments(kwargs, exc, match):
    x, y = _xy(10)
    with pytest.raises(exc, match=match):
        DataLoader(TensorDataset(x, y), **kwargs)


def test_loader_empty_dataset():
    with pytest.raises(ValueError, match="empty"):
        DataLoader(TensorDataset(np.zeros((0, 3)), np.zeros(0)), batch_size=2)


# --- StandardScaler ----------------------------------------------------------------------
def test_scaler_fit_on_train_only():
    rng = np.random.default_rng(0)
    train = rng.normal(5.0, 2.0, (200, 3)).astype(np.float32)
    test = rng.normal(50.0, 9.0, (40, 3)).astype(np.float32)
    sc = StandardScaler().fit(train)
    np.testing.assert_allclose(sc.mean_, train.astype(np.float64).mean(0))
    np.testing.assert_allclose(sc.scale_, train.astype(np.float64).std(0))
    t = sc.transform(train)
    assert t.dtype == np.float32
    np.testing.assert_allclose(t.mean(0), 0, atol=1e-5)
    np.testing.assert_allclose(t.std(0), 1, atol=1e-5)
    # test data are scaled with the training statistics, not their own
    np.testing.assert_allclose(sc.transform(test), (test - sc.mean_) / sc.scale_, rtol=1e-5)
    assert sc.transform(test).mean() > 5
    np.testing.assert_allclose(sc.inverse_transform(sc.transform(test)), test, rtol=1e-5)


def test_scaler_tensors_constant_feature_and_state():
    X = gn.tensor([[1.0, 3.0], [2.0, 3.0], [3.0, 3.0]])
    sc = StandardScaler()
    out = sc.fit_transform(X)
    assert isinstance(out, gn.Tensor)
    np.testing.assert_allclose(out.data[:, 1], 0.0)  # constant column: 0, not NaN
    sc2 = StandardScaler()
    sc2.load_state_dict(sc.state_dict())
    np.testing.assert_array_equal(sc2.transform(X).data, out.data)


@pytest.mark.parametrize("call, match", [
    (lambda sc: sc.transform(np.zeros((2, 3))), "fit"),
    (lambda sc: sc.fit(np.zeros((0, 3))), "no samples"),
    (lambda sc: sc.fit(np.array([[np.nan, 1.0]])), "NaN"),
    (lambda sc: sc.fit(np.zeros((4, 3))).transform(np.zeros((2, 2))), "3 feature"),
])
def test_scaler_errors(call, match):
    with pytest.raises((ValueError, RuntimeError), match=match):
        call(StandardScaler())


# --- one_hot -----------------------------------------------------------------------------
def test_one_hot(torch):
    labels = np.array([[0, 2], [1, 1]])
    out = one_hot(gn.tensor(labels), 4)
    ref = torch.nn.functional.one_hot(torch.tensor(labels), 4).numpy()
    assert isinstance(out, gn.Tensor) and out.dtype == np.int64
    np.testing.assert_array_equal(out.data, ref)
    np.testing.assert_array_equal(one_hot(labels), np.eye(3, dtype=np.int64)[labels])
    assert one_hot(labels, 3, dtype=np.float32).dtype == np.float32


@pytest.mark.parametrize("labels, k, exc, match", [
    (np.array([0, 3]), 3, ValueError, r"\[0, 2\]"),
    (np.array([-1, 0]), 3, ValueError, "from -1"),
    (np.array([0.0, 1.0]), 2, TypeError, "integers"),
])
def test_one_hot_errors(labels, k, exc, match):
    with pytest.raises(exc, match=match):
        one_hot(labels, k)


# --- train_test_split --------------------------------------------------------------------
def test_train_test_split_sizes_kinds_and_reproducibility():
    x, y = _xy(20)
    xt, xs, yt, ys = train_test_split(gn.tensor(x), y, test_size=0.3, generator=gn.Generator(1))
    assert isinstance(xt, gn.Tensor) and isinstance(yt, np.ndarray)
    assert len(xt) == 14 and len(xs) == 6
    np.testing.assert_array_equal(np.sort(np.concatenate([yt, ys])), np.arange(20))
    np.testing.assert_array_equal(xt.data, x[yt])  # rows stay aligned across arrays
    again = train_test_split(y, test_size=0.3, generator=gn.Generator(1))
    np.testing.assert_array_equal(again[1], ys)
    assert len(train_test_split(y, test_size=5)[1]) == 5


def test_train_test_split_stratified():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    tr, te = train_test_split(y, test_size=0.3, stratify=y, generator=gn.Generator(0))
    assert np.bincount(te).tolist() == [15, 9, 6]
    assert np.bincount(tr).tolist() == [35, 21, 14]


@pytest.mark.parametrize("kwargs, match", [
    (dict(test_size=1.5), r"\(0, 1\)"),
    (dict(test_size=0), r"\[1, 9\]"),
    (dict(stratify=np.array([0] * 9 + [1])), "at least 2"),
])
def test_train_test_split_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        train_test_split(np.arange(10), **kwargs)
