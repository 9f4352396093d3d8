"""Samplers that yield keys other than integer indices (a dict-like dataset), against
PyTorch's DataLoader on the same dataset and sampler."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn


def _classes(lib):
    data = lib.utils.data

    class Words(data.Dataset):
        table = {"cat": [1.0, 0.0], "dog": [0.0, 1.0], "eel": [0.5, 0.5], "fox": [2.0, 3.0],
                 "gnu": [4.0, 1.0]}

        def __getitem__(self, key):
            return lib.tensor(self.table[key]), len(key) + key.count("o")

        def __len__(self):
            return len(self.table)

    class Keys(data.Sampler):
        def __init__(self, keys):
            self.keys = keys

        def __iter__(self):
            return iter(self.keys)

        def __len__(self):
            return len(self.keys)

    return data, Words, Keys


KEYS = ["fox", "cat", "gnu", "eel", "dog"]


def _batches(lib, **kw):
    data, Words, Keys = _classes(lib)
    if "batch_sampler" in kw:
        kw["batch_sampler"] = data.BatchSampler(Keys(KEYS), kw.pop("batch_sampler"), False)
    else:
        kw["sampler"] = Keys(KEYS)
    out = []
    for x, y in data.DataLoader(Words(), **kw):
        # unbatched, the int label stays a Python int (default_convert leaves it)
        out.append((np.asarray(x.tolist()), y if isinstance(y, int) else np.asarray(y.tolist())))
    return out


@pytest.mark.parametrize("kw", [dict(batch_size=2), dict(batch_size=2, drop_last=True),
                                dict(batch_size=None), dict(batch_sampler=3),
                                dict(batch_size=2, num_workers=2),
                                dict(batch_size=None, num_workers=2)],
                         ids=["batched", "drop_last", "unbatched", "batch_sampler",
                              "workers", "workers-unbatched"])
def test_string_keys_reach_the_dataset_as_in_pytorch(torch, kw):
    got, want = _batches(gn, **dict(kw)), _batches(torch, **dict(kw))
    assert len(got) == len(want)
    for (gx, gy), (tx, ty) in zip(got, want):
        np.testing.assert_array_equal(gx, tx)
        assert type(gy) is type(ty)
        np.testing.assert_array_equal(gy, ty)


def test_integer_keys_are_still_checked_against_the_length():
    data, Words, Keys = _classes(gn)
    loader = data.DataLoader(data.TensorDataset(gn.arange(4.0)), batch_size=2,
                             sampler=Keys([0, 1, np.int64(7)]))
    with pytest.raises(IndexError, match="gave index 7, but the dataset"):
        list(loader)
