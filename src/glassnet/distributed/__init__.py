"""Data-parallel training over MPI, with PyTorch's ``torch.distributed`` names.

>>> import glassnet as gn
>>> gn.distributed.init_process_group()      # MPI under mpiexec, else a one-rank world
>>> rank, world = gn.distributed.get_rank(), gn.distributed.get_world_size()
>>> ddp = gn.distributed.DistributedDataParallel(model)   # same start, averaged grads

Run with ``mpiexec -n 4 python train.py`` (the ``mpich`` wheel of ``glassnet[mpi]``
provides ``mpiexec``). mpi4py is imported by :func:`init_process_group` only when a
launcher started the process, never by ``import glassnet``. The model wrappers load on
first use (they build on ``gn.nn``, which itself offers them as ``gn.nn.parallel``).
"""

from .process_group import (
    DEFAULT_TIMEOUT,
    ReduceOp,
    Work,
    all_gather,
    all_gather_object,
    all_reduce,
    barrier,
    broadcast,
    broadcast_object_list,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "DistributedDataParallel",
    "ReduceOp",
    "SyncBatchNorm",
    "Work",
    "all_gather",
    "all_gather_object",
    "all_reduce",
    "barrier",
    "broadcast",
    "broadcast_object_list",
    "destroy_process_group",
    "get_backend",
    "get_rank",
    "get_world_size",
    "init_process_group",
    "is_available",
    "is_initialized",
    "is_mpi_available",
]


def __getattr__(name: str):
    if name == "DistributedDataParallel":
        from .ddp import DistributedDataParallel

        return DistributedDataParallel
    if name == "SyncBatchNorm":
        from .sync_batchnorm import SyncBatchNorm

        return SyncBatchNorm
    raise AttributeError(f"module 'glassnet.distributed' has no attribute {name!r}")
