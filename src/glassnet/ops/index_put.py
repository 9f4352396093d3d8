"""``x[key] = value`` recorded for autograd (PyTorch's index_put / CopySlices).

When the value requires grad (or ``x`` is already part of a graph), the assignment writes
into ``x``'s array as usual and then makes ``x`` the output of an :class:`IndexPut` node
whose inputs are ``x`` as it was (a stand-in carrying its old node) and the value. The
gradient reaching ``x`` flows to the value at the assigned positions (summed over any
broadcasting) and to the old ``x`` everywhere else.
"""

from __future__ import annotations

import numpy as np

from .. import autograd
from .._inplace import remember
from ..autograd import Function
from ..backend import xp
from ..tensor import Tensor, writes

__all__ = ["IndexPut", "record_setitem"]


class IndexPut(Function):
    """y = x with y[key] = v. gx = gy with zeros at key; gv = gy[key] (unbroadcast)."""

    name, formula = "index_put", (1.0, 1.0)

    def forward(self, x, v, key):  # (the write itself is done by Tensor.__setitem__)
        self.key = key
        return x

    def backward(self, gy):
        px, pv = self.parents[0], self.parents[1]
        gx = gv = None
        if isinstance(px, Tensor) and px.requires_grad:
            gx = xp.array(gy)
            gx[self.key] = 0
        if isinstance(pv, Tensor) and pv.requires_grad:
            gv = gy[self.key]
            if gv.shape != pv.data.shape:  # a value broadcast into the slot
                lead = gv.ndim - pv.data.ndim
                if lead > 0:
                    gv = gv.sum(axis=tuple(range(lead)))
                axes = tuple(i for i, n in enumerate(pv.data.shape)
                             if n == 1 and gv.shape[i] != 1)
                if axes:
                    gv = gv.sum(axis=axes, keepdims=True)
        return gx, gv


def record_setitem(t: Tensor, key, value) -> None:
    """Make ``t`` (just written in place at ``key``) the output of an IndexPut node."""
    old = Tensor._wrap(np.broadcast_to(xp.zeros((), t.data.dtype), t.data.shape))
    old.requires_grad, old._ctx, old._version = t.requires_grad, t._ctx, t._version - 1
    fn = object.__new__(IndexPut)
    fn.key = key
    fn.parents = (old, value)
    fn._retained = None
    fn._key = next(autograd._keys)
    fn._epoch = writes.epoch
    remember(t, fn, old)
    t._ctx = fn
    t.requires_grad = True
    if autograd._op_hooks:
        for hook in autograd._op_hooks:
            hook(fn, t, (old, value))
