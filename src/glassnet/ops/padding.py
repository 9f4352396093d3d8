"""Padding by reflection, replication or wrap-around (``F.pad`` modes 'reflect',
'replicate', 'circular'; 'constant' lives with the shape ops).

Each padded axis is one gather: the output position ``j`` reads input position
``idx[j]`` (for 'reflect' with input ``a b c d`` and pad 2: ``c b | a b c d | c b``; for
'replicate': ``a a | a b c d | d d``; for 'circular': ``c d | a b c d | a b``). The
backward adds each output's gradient back onto the position it read: the interior is a
copy, and the few padded positions are added one by one.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..backend import xp

__all__ = ["pad_modes", "pad_index"]


def pad_index(n: int, before: int, after: int, mode: str) -> np.ndarray:
    """The input position each of the ``before + n + after`` outputs reads."""
    j = np.arange(-before, n + after)
    if mode == "replicate":
        return np.clip(j, 0, n - 1)
    if mode == "circular":
        return j % n
    period = 2 * (n - 1)  # reflect: mirror about the first and last element
    if period == 0:
        return np.zeros_like(j)
    j = np.abs(j) % period
    return np.where(j < n, j, period - j)


class PadByIndex(Function):
    """y = x[idx] along each padded axis; gx[i] = Σ over outputs reading i."""

    name, formula = "pad", 1.0

    def forward(self, x, plan):
        self.plan = plan
        y = x
        for axis, _n, _before, idx in plan:
            y = xp.take(y, idx, axis=axis)
        return y

    def backward(self, gy):
        g = gy
        for axis, n, before, idx in reversed(self.plan):
            inner = [slice(None)] * g.ndim
            inner[axis] = slice(before, before + n)
            gx = xp.array(g[tuple(inner)])
            for j in list(range(before)) + list(range(before + n, len(idx))):
                src = [slice(None)] * g.ndim
                src[axis] = j
                dst = [slice(None)] * g.ndim
                dst[axis] = int(idx[j])
                gx[tuple(dst)] += g[tuple(src)]
            g = gx
        return g


def pad_modes(x, pad: tuple, mode: str):
    """``F.pad`` for the modes 'reflect', 'replicate' and 'circular': ``pad`` lists
    ``(before, after)`` pairs from the last dim backwards; the leading (batch and
    channel) dims are never padded."""
    if len(pad) % 2:
        raise ValueError(f"pad: padding must have an even length (pairs), got {pad}")
    k = len(pad) // 2
    if k > max(x.ndim - 1, 1) or k > 3:
        raise ValueError(f"pad: mode {mode!r} pads at most the last 3 dims and not the first "
                         f"dim; got {k} pairs for an input of shape {tuple(x.shape)}")
    plan = []
    for i in range(k):
        axis = x.ndim - 1 - i
        before, after = int(pad[2 * i]), int(pad[2 * i + 1])
        n = x.shape[axis]
        if before < 0 or after < 0:
            raise ValueError(f"pad: mode {mode!r} needs non-negative padding, got {pad}")
        if n == 0:
            raise ValueError(f"pad: cannot pad an empty dim {axis} with mode {mode!r}")
        if mode == "reflect" and max(before, after) >= n:
            raise ValueError(f"pad: reflect padding {(before, after)} must be smaller than the "
                             f"size of dim {axis} ({n}) of the input {tuple(x.shape)}")
        if mode == "circular" and max(before, after) > n:
            raise ValueError(f"pad: circular padding {(before, after)} must not exceed the "
                             f"size of dim {axis} ({n}) of the input {tuple(x.shape)}")
        if before or after:
            plan.append((axis, n, before, pad_index(n, before, after, mode)))
    return PadByIndex.apply(x, tuple(plan))
