"""Dropout, one implementation: each element, or each whole channel, is zeroed with
probability ``p`` and the rest scaled by ``1/(1-p)`` while training.

Element dropout is channel dropout over no spatial axes: the mask has one entry per
element of the leading ``(N, C)`` (or ``(C,)``) dims times the spatial dims it does not
span. ``dropout`` draws a mask of the input's full shape; ``dropout1d``/``dropout2d``
draw one per channel and broadcast it over the last 1 or 2 dims.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function, Local
from ..backend import xp
from ..random import resolve
from ..tensor import Tensor
from ._registry import op

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d"]


class DropoutMask(Function):
    """y = x · keep · scale (keep: a bool mask, False with probability p; scale 1/(1-p);
    broadcast); gx = gy · keep · scale. The mask is kept as bools: a quarter of the
    memory of a float32 mask, for as long as the graph lives."""

    name = "dropout"
    formula = (Local(1.0, "mask/(1 - p)", generic=True), None, None)

    def forward(self, x, keep, scale):
        self.keep, self.scale = keep, scale
        y = x * keep
        if y.dtype.kind != "f":  # an integer input: the result is float32, as before
            y = y.astype(np.float32)
        y *= scale
        return y

    def backward(self, gy):
        gx = gy * self.keep
        gx *= self.scale
        return gx, None, None


def _dropout(x, p, training, generator, nd, op_name):
    """Dropout of ``x`` with one mask entry per element of all but the last ``nd`` dims
    (``nd = 0``: every element; ``nd = None`` also means every element)."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"{op_name}: probability p must be between 0 and 1, got {p}")
    if not training or p == 0.0:
        return x
    x = x if isinstance(x, Tensor) else Tensor(x)
    if nd and x.ndim not in (nd + 1, nd + 2):
        raise ValueError(f"{op_name}: expected a {nd + 2}-D (batched) or {nd + 1}-D "
                         f"(unbatched) input, got shape {tuple(x.shape)}")
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
    lead = x.shape[:x.ndim - nd] if nd else x.shape
    shape = lead + (1,) * (nd or 0)
    if p == 1.0:
        keep, scale = xp.zeros(shape, bool), 0.0
    else:
        rdt = dtype if dtype in (np.float32, np.float64) else np.float64
        keep = (resolve(generator).random(lead, dtype=rdt) >= p).reshape(shape)
        scale = 1.0 / (1.0 - p)
    return DropoutMask.apply(x, keep, scale)


@op(method=False, top=False, functional=True, records=DropoutMask)
def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False,  # noqa: A002
            generator=None) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``
    while ``training``; the identity otherwise. ``generator`` (a ``gn.Generator``) draws
    the mask, the global one by default. ``inplace`` is accepted; the result is new."""
    return _dropout(input, float(p), training, generator, 0, "dropout")


@op(method=False, top=False, functional=True, records=DropoutMask)
def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False,  # noqa: A002
              generator=None) -> Tensor:
    """Zero whole channels with probability ``p`` and scale the rest by ``1/(1-p)``:
    ``(N, C, H, W)`` (or unbatched ``(C, H, W)``) unchanged in shape."""
    return _dropout(input, float(p), training, generator, 2, "dropout2d")


@op(method=False, top=False, functional=True, records=DropoutMask)
def dropout1d(input, p: float = 0.5, training: bool = True, inplace: bool = False,  # noqa: A002
              generator=None) -> Tensor:
    """Channel dropout for ``(N, C, L)`` (or unbatched ``(C, L)``)."""
    return _dropout(input, float(p), training, generator, 1, "dropout1d")


@op(method=False, top=False, functional=True, records=DropoutMask)
def dropout3d(input, p: float = 0.5, training: bool = True, inplace: bool = False,  # noqa: A002
              generator=None) -> Tensor:
    """Channel dropout for volumes ``(N, C, D, H, W)`` (or unbatched ``(C, D, H, W)``)."""
    return _dropout(input, float(p), training, generator, 3, "dropout3d")
