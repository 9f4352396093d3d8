"""``gn.nn.parallel.DistributedDataParallel`` and ``gn.nn.SyncBatchNorm``: PyTorch's paths
to the data-parallel wrapper and the synchronised batch norm of :mod:`glassnet.distributed`
(the same classes)."""

from ..distributed.ddp import DistributedDataParallel
from ..distributed.sync_batchnorm import SyncBatchNorm

__all__ = ["DistributedDataParallel", "SyncBatchNorm"]
