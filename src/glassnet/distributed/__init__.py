"""Data-parallel training over MPI, with PyTorch's ``torch.distributed`` names.

>>> import glassnet as gn
>>> gn.distributed.init_process_group()      # MPI under mpiexec, else a one-rank world
>>> rank, world = gn.distributed.get_rank(), gn.distributed.get_world_size()
>>> ddp = gn.distributed.DistributedDataParallel(model)   # same start, averaged grads

Run with ``mpiexec -n 4 python train.py`` (the ``mpich`` wheel of ``glassnet[mpi]``
provides ``mpiexec``). mpi4py is imported by :func:`init_process_group` only when a
launcher started the process, never by ``import glassnet``.
"""

from .ddp import DistributedDataParallel
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
