"""Channel dropout for volumes, ``F.dropout3d``: the same op as ``dropout2d``
(``ops/dropout.py``) with one mask entry per channel of ``(N, C, D, H, W)``."""

from __future__ import annotations

from ..tensor import Tensor
from ._registry import op
from .dropout import DropoutMask, _dropout

__all__ = ["dropout3d"]


@op(method=False, top=False, functional=True, records=DropoutMask)
def dropout3d(input, p: float = 0.5, training: bool = True, inplace: bool = False,  # noqa: A002
              generator=None) -> Tensor:
    """Zero whole channels with probability ``p`` and scale the rest by ``1/(1-p)``:
    ``(N, C, D, H, W)`` (or unbatched ``(C, D, H, W)``) unchanged in shape."""
    return _dropout(input, float(p), training, generator, 3, "dropout3d")
