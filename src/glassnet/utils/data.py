"""``glassnet.utils.data``: the data-loading names where PyTorch users look for them.

The same objects as :mod:`glassnet.data` (``Dataset``, ``IterableDataset``,
``TensorDataset``, ``DataLoader``, the samplers, ``random_split``, ``Subset``,
``default_collate``, ...), plus :func:`get_worker_info`, so
``from torch.utils.data import DataLoader, TensorDataset`` ports by changing the package
name only.
"""

from .. import data as _data
from ..data.loader import WorkerInfo, default_convert, get_worker_info

__all__ = sorted(set(_data.__all__) - {"transforms"}) + ["WorkerInfo", "default_convert",
                                                         "get_worker_info"]

globals().update({name: getattr(_data, name) for name in _data.__all__ if name != "transforms"})


def __getattr__(name: str):
    # names that gn.data gains later (e.g. DistributedSampler) show up here too
    if name in _data.__all__:
        return getattr(_data, name)
    raise AttributeError(f"module 'glassnet.utils.data' has no attribute {name!r}")
