"""The functional forms of layers, activations and losses (``import glassnet.nn.functional
as F``), as in PyTorch's ``torch.nn.functional``.

This module only re-exports: every function here is an op declared in ``glassnet.ops``
and registered there with ``functional=True``; every ``nn`` Module's ``forward`` is a
call into one of them.
"""

from ..ops import _registry

_functions = _registry.functional()
globals().update(_functions)
__all__ = sorted(_functions)
