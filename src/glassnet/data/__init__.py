"""Data: datasets, the batching loader, preprocessing and the bundled datasets.

>>> import glassnet as gn
>>> ds = gn.data.TensorDataset(gn.randn(10, 3), gn.arange(10))
>>> loader = gn.data.DataLoader(ds, batch_size=4, shuffle=True, generator=gn.Generator(0))
>>> sampler = gn.data.WeightedRandomSampler([1.0] * 5 + [4.0] * 5, num_samples=10)
>>> loader = gn.data.DataLoader(ds, batch_size=4, sampler=sampler)
"""

from . import transforms
from .dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from .datasets import Bunch, load_digits, load_dosage, load_iris
from .distributed import DistributedSampler
from .idx import load_mnist, read_idx, write_idx
from .loader import DataLoader, default_collate
from .preprocessing import StandardScaler, one_hot, train_test_split
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
from .vocab import Vocab, build_vocab_from_iterator

__all__ = [
    "BatchSampler",
    "Bunch",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StandardScaler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "Vocab",
    "WeightedRandomSampler",
    "build_vocab_from_iterator",
    "default_collate",
    "load_digits",
    "load_dosage",
    "load_iris",
    "load_mnist",
    "one_hot",
    "random_split",
    "read_idx",
    "transforms",
    "train_test_split",
    "write_idx",
]
