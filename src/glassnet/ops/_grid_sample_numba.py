"""grid_sample's gathers and scatters as numba kernels (optional: needs numba).

``glassnet.ops.grid_sample`` computes the pixel coordinates of the grid points (padding
mode, align_corners, their derivatives) with NumPy, then calls these loops, which read and
write the image in place, one grid point at a time, where the NumPy version builds
``(N, C, P)`` arrays per corner. Same arithmetic, same results up to rounding (tests
compare both with PyTorch).
"""

from __future__ import annotations

import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True, boundscheck=False)


@_jit
def sample_forward(x, ix, iy, nearest):
    """``x (N, C, H, W)``, pixel coordinates ``ix``/``iy`` ``(N, P)`` -> ``(N, C, P)``."""
    N, C, H, W = x.shape
    P = ix.shape[1]
    out = np.zeros((N, C, P), x.dtype)
    for n in range(N):
        for p in range(P):
            fx, fy = ix[n, p], iy[n, p]
            if nearest:
                xr, yr = np.rint(fx), np.rint(fy)
                if 0 <= xr <= W - 1 and 0 <= yr <= H - 1:
                    a, b = int(yr), int(xr)
                    for c in range(C):
                        out[n, c, p] = x[n, c, a, b]
                continue
            x0, y0 = np.floor(fx), np.floor(fy)
            tx, ty = fx - x0, fy - y0
            for k in range(4):
                yy = y0 + (k >> 1)
                xx = x0 + (k & 1)
                w = (tx if k & 1 else 1 - tx) * (ty if k >> 1 else 1 - ty)
                if 0 <= xx <= W - 1 and 0 <= yy <= H - 1:
                    a, b = int(yy), int(xx)
                    for c in range(C):
                        out[n, c, p] += x[n, c, a, b] * w
                elif w != w:  # a NaN weight on a corner outside: NaN, as PyTorch's
                    for c in range(C):
                        out[n, c, p] += np.nan
    return out


@_jit
def sample_backward(gy, x, ix, iy, nearest, need_x):
    """gx ``(N, C, H, W)`` (the blend weights scatter gy back; zeros unless ``need_x``) and
    d out / d ix, d iy summed over channels ``(N, P)`` each (bilinear only)."""
    N, C, H, W = x.shape
    P = ix.shape[1]
    gx = np.zeros((N, C, H, W), gy.dtype) if need_x else np.zeros((1, 1, 1, 1), gy.dtype)
    gix = np.zeros((N, P), gy.dtype)
    giy = np.zeros((N, P), gy.dtype)
    for n in range(N):
        for p in range(P):
            fx, fy = ix[n, p], iy[n, p]
            if nearest:
                if need_x:
                    xr, yr = np.rint(fx), np.rint(fy)
                    if 0 <= xr <= W - 1 and 0 <= yr <= H - 1:
                        a, b = int(yr), int(xr)
                        for c in range(C):
                            gx[n, c, a, b] += gy[n, c, p]
                continue
            x0, y0 = np.floor(fx), np.floor(fy)
            tx, ty = fx - x0, fy - y0
            sx = 0.0
            sy = 0.0
            for k in range(4):
                yy = y0 + (k >> 1)
                xx = x0 + (k & 1)
                if not (0 <= xx <= W - 1 and 0 <= yy <= H - 1):
                    continue
                wx = tx if k & 1 else 1 - tx
                wy = ty if k >> 1 else 1 - ty
                dwx = 1.0 if k & 1 else -1.0      # d wx / d ix
                dwy = 1.0 if k >> 1 else -1.0
                a, b = int(yy), int(xx)
                dot = 0.0
                for c in range(C):
                    g = gy[n, c, p]
                    dot += g * x[n, c, a, b]
                    if need_x:
                        gx[n, c, a, b] += g * wx * wy
                sx += dot * dwx * wy
                sy += dot * dwy * wx
            gix[n, p] = sx
            giy[n, p] = sy
    return gx, gix, giy
