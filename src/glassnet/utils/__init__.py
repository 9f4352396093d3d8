"""``glassnet.utils``: PyTorch's ``torch.utils`` paths (``glassnet.utils.data``)."""

from . import data

__all__ = ["data"]
