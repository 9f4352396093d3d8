"""The embedding-bag loops as numba kernels (optional: needs numba).

``glassnet.ops.embedding_bag`` imports this module the first time a bag is reduced with the
numba kernel. Each kernel walks the kept entries once, reading and writing weight rows in
place, where the NumPy version first gathers a ``(n, D)`` array of rows and then reduces it
by sorting (``backend.scatter_add_rows``); the results are the same up to rounding (tests
compare both with PyTorch).
"""

from __future__ import annotations

import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True, boundscheck=False)


@_jit
def bag_sum(W, idx, bag, scale, B):
    """out[bag[i]] += scale[i] · W[idx[i]]: ``(B, D)``."""
    D = W.shape[1]
    out = np.zeros((B, D), W.dtype)
    for i in range(idx.shape[0]):
        b, r, s = bag[i], idx[i], scale[i]
        for d in range(D):
            out[b, d] += s * W[r, d]
    return out


@_jit
def rows_add(gy, idx, bag, scale, V):
    """gW[idx[i]] += scale[i] · gy[bag[i]]: ``(V, D)``."""
    D = gy.shape[1]
    gw = np.zeros((V, D), gy.dtype)
    for i in range(idx.shape[0]):
        b, r, s = bag[i], idx[i], scale[i]
        for d in range(D):
            gw[r, d] += s * gy[b, d]
    return gw


@_jit
def bag_dot(gy, W, idx, bag):
    """g[i] = gy[bag[i]] · W[idx[i]] (the gradient of each entry's weight)."""
    D = W.shape[1]
    g = np.zeros(idx.shape[0], gy.dtype)
    for i in range(idx.shape[0]):
        b, r = bag[i], idx[i]
        acc = 0.0
        for d in range(D):
            acc += gy[b, d] * W[r, d]
        g[i] = acc
    return g


@_jit
def bag_max(W, idx, bag, B):
    """The elementwise max of each bag's rows and, per column, the weight row it came from
    (the first one on ties; -1 for an empty bag, whose row stays 0). A later entry replaces
    the running max only when strictly greater, as in PyTorch."""
    D = W.shape[1]
    out = np.zeros((B, D), W.dtype)
    arg = np.full((B, D), -1, np.int64)
    for i in range(idx.shape[0]):
        b, r = bag[i], idx[i]
        for d in range(D):
            v = W[r, d]
            if arg[b, d] < 0 or v > out[b, d]:
                out[b, d] = v
                arg[b, d] = r
    return out, arg


@_jit
def max_rows_add(gy, arg, V):
    """gW[arg[b, d], d] += gy[b, d] where arg >= 0."""
    B, D = gy.shape
    gw = np.zeros((V, D), gy.dtype)
    for b in range(B):
        for d in range(D):
            r = arg[b, d]
            if r >= 0:
                gw[r, d] += gy[b, d]
    return gw
