"""``gn.nn.parallel.DistributedDataParallel``: PyTorch's path to the data-parallel wrapper
of :mod:`glassnet.distributed` (the same class)."""

from ..distributed.ddp import DistributedDataParallel

__all__ = ["DistributedDataParallel"]
