"""Resizing: ``interpolate`` (nearest, nearest-exact, linear, bilinear, trilinear, area).

Nearest and linear resizing are *separable*: resizing ``(N, C, H, W)`` is a 1-D resize
along H followed by one along W. Along one axis every output position ``o`` reads one
input position (nearest) or two neighbours ``i0 ≤ i1`` with weights ``w0 + w1 = 1``
(linear), so the forward is ``take`` along the axis and the backward adds each output's
gradient back onto the positions it read. The positions never decrease with ``o``, so
that scatter-add is one ``np.add.reduceat`` over runs of equal positions (no slow
``np.add.at``).

Source positions follow PyTorch exactly, including its arithmetic precision:

* nearest: ``i = min(floor(o · scale), n_in - 1)`` in float32; nearest-exact uses
  ``o + 0.5``;
* linear: ``x = scale · (o + ½) - ½`` (clamped at 0), or ``x = o · (n_in - 1) / (n_out - 1)``
  with ``align_corners=True``; ``i0 = floor(x)``, ``w1 = x - i0``;

where ``scale = 1 / scale_factor`` when a scale factor was given (and not recomputed), and
``n_in / n_out`` otherwise.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function, Local
from ..backend import xp
from ..tensor import Tensor
from ._registry import op

__all__ = ["interpolate"]

_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3, "bicubic": 2}
_MODES = ("nearest", "nearest-exact", "area") + tuple(_LINEAR)


def _nearest_index(n_in: int, n_out: int, scale, exact: bool):
    o = np.arange(n_out, dtype=np.float32)
    if exact:
        o += np.float32(0.5)
    s = np.float32(1.0 / scale) if scale else np.float32(n_in) / np.float32(n_out)
    return np.minimum(np.floor(o * s).astype(np.int64), n_in - 1)


def _linear_index(n_in: int, n_out: int, scale, align_corners: bool, dtype):
    o = np.arange(n_out, dtype=dtype)
    if align_corners:
        s = dtype.type((n_in - 1) / (n_out - 1)) if n_out > 1 else dtype.type(0)
        src = o * s
    else:
        s = dtype.type(1.0 / scale) if scale else dtype.type(n_in) / dtype.type(n_out)
        src = np.maximum(s * (o + dtype.type(0.5)) - dtype.type(0.5), dtype.type(0))
    i0 = src.astype(np.int64)  # src >= 0: truncation is floor
    i0 = np.minimum(i0, n_in - 1)
    i1 = np.minimum(i0 + 1, n_in - 1)
    w1 = (src - i0.astype(dtype)).astype(dtype)
    w0 = (dtype.type(1) - w1).astype(dtype)
    return i0, i1, w0, w1


def _shape_along(axis: int, ndim: int, n: int) -> tuple:
    s = [1] * ndim
    s[axis] = n
    return tuple(s)


def _scatter(g, axis: int, idx, n_in: int):
    """Sum ``g`` along ``axis`` into ``n_in`` positions: out[idx[o]] += g[o]
    (``idx`` non-decreasing)."""
    starts = np.flatnonzero(np.r_[True, idx[1:] != idx[:-1]])
    sums = np.add.reduceat(g, starts, axis=axis)
    if len(starts) == n_in:  # every input position was read: a permutation-free copy
        return sums
    shape = list(g.shape)
    shape[axis] = n_in
    out = xp.zeros(shape, dtype=g.dtype)
    index = [slice(None)] * g.ndim
    index[axis] = idx[starts]
    out[tuple(index)] = sums
    return out


_DENSE_LIMIT = 1 << 20
"""Largest ``n_out · n_in`` for which linear resizing along an axis is one product with the
dense ``(n_out, n_in)`` weight matrix (two non-zeros a row): a matrix product is several
times faster than two gathers and a weighted sum, and its transpose is the backward."""


def _dense(n_in: int, taps) -> np.ndarray:
    """The ``(n_out, n_in)`` weight matrix of ``taps`` (a list of (positions, weights))."""
    n_out = len(taps[0][0])
    A = np.zeros((n_out, n_in), dtype=taps[0][1].dtype)
    rows = np.arange(n_out)
    for idx, w in taps:
        np.add.at(A, (rows, idx), w)  # clamped taps may hit one position twice
    return A


def apply_along(y, A, axis: int):
    """``A`` (n_out, n_in) applied along ``axis`` of ``y``."""
    if axis == y.ndim - 1:
        return xp.matmul(y, A.T)
    if axis == y.ndim - 2:
        return xp.matmul(A, y)
    return xp.moveaxis(xp.matmul(A, xp.moveaxis(y, axis, -2)), -2, axis)


class Resample(Function):
    """Separable resizing of the trailing axes.

    Per axis, ``plan`` holds ``(axis, n_in, taps, A)``: the output at ``o`` is
    Σ_k w_k[o]·x[idx_k[o]] over the taps ``(idx_k, w_k)`` (one tap with weight None for
    nearest, two for linear, four for cubic) — computed as the product with the weight
    matrix ``A`` when it is small enough — and gx[i] = Σ over the outputs reading i (Aᵀ).
    """

    name = "interpolate"
    formula = Local(1.0, "the interpolation weight of this input in the output", generic=True)

    def forward(self, x, plan):
        self.plan = plan
        y = x
        for axis, _n, taps, A in plan:
            if A is not None:
                y = apply_along(y, A, axis)
                continue
            out = None
            for idx, w in taps:
                t = xp.take(y, idx, axis=axis)
                if w is not None:
                    t = t * w.reshape(_shape_along(axis, y.ndim, len(idx)))
                out = t if out is None else out + t
            y = out
        return y

    def backward(self, gy):
        g = gy
        for axis, n, taps, A in reversed(self.plan):
            if A is not None:
                g = apply_along(g, A.T, axis)
                continue
            out = None
            for idx, w in taps:
                gw = g if w is None else g * w.reshape(_shape_along(axis, g.ndim, len(idx)))
                t = _scatter(gw, axis, idx, n)
                out = t if out is None else out + t
            g = out
        return g


def _cubic_taps(n_in: int, n_out: int, scale, align_corners: bool, dtype) -> list:
    """Bicubic convolution (a = -0.75, PyTorch's) along one axis: four taps at
    floor(x) - 1 .. floor(x) + 2, positions clamped to the edges."""
    o = np.arange(n_out, dtype=dtype)
    if align_corners:
        src = o * dtype.type((n_in - 1) / (n_out - 1) if n_out > 1 else 0)
    else:
        s = dtype.type(1.0 / scale) if scale else dtype.type(n_in) / dtype.type(n_out)
        src = s * (o + dtype.type(0.5)) - dtype.type(0.5)  # not clamped for cubic
    i = np.floor(src).astype(np.int64)
    t = (src - i).astype(dtype)
    a = dtype.type(-0.75)

    def near(d):  # |d| <= 1
        return ((a + 2) * d - (a + 3)) * d * d + 1

    def far(d):  # 1 < |d| < 2
        return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a

    weights = (far(t + 1), near(t), near(1 - t), far(2 - t))
    return [(np.clip(i + k, 0, n_in - 1), w.astype(dtype)) for k, w in zip((-1, 0, 1, 2), weights)]


def _per_dim(v, nd: int, what: str):
    if isinstance(v, (list, tuple)):
        if len(v) != nd:
            raise ValueError(f"interpolate: {what} must have {nd} values (one per spatial "
                             f"dim), got {tuple(v)}")
        return tuple(v)
    return (v,) * nd


@op(method=False, top=False, functional=True, records=Resample)
def interpolate(input, size=None, scale_factor=None, mode: str = "nearest",  # noqa: A002
                align_corners: bool | None = None, recompute_scale_factor: bool | None = None,
                antialias: bool = False) -> Tensor:
    """Resize the spatial dims of ``(N, C, L)``, ``(N, C, H, W)`` or ``(N, C, D, H, W)`` to
    ``size`` or by ``scale_factor`` (output size ``floor(in · scale_factor)``).

    ``mode``: ``'nearest'`` (PyTorch's index rule), ``'nearest-exact'``, ``'linear'``
    (3-D), ``'bilinear'`` and ``'bicubic'`` (4-D), ``'trilinear'`` (5-D), ``'area'``
    (adaptive average pooling). ``align_corners`` (interpolating modes only) maps the
    corner pixels' centres onto each other.
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    if mode not in _MODES:
        raise ValueError(f"interpolate: mode must be one of {', '.join(_MODES)}, got {mode!r}")
    if antialias:
        raise ValueError("interpolate: antialias=True is not supported")
    nd = x.ndim - 2
    if nd < 1 or nd > 3:
        raise ValueError(f"interpolate: expected a 3-D, 4-D or 5-D input (N, C, *spatial), "
                         f"got shape {tuple(x.shape)}")
    if mode in _LINEAR and _LINEAR[mode] != nd:
        want = {1: "3-D (N, C, L)", 2: "4-D (N, C, H, W)", 3: "5-D (N, C, D, H, W)"}
        raise ValueError(f"interpolate: mode {mode!r} needs a {want[_LINEAR[mode]]} input, got "
                         f"shape {tuple(x.shape)}")
    if align_corners is not None and mode not in _LINEAR:
        raise ValueError("interpolate: align_corners can only be set with the interpolating "
                         "modes linear, bilinear, bicubic and trilinear")
    align_corners = bool(align_corners)
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: give exactly one of size and scale_factor")
    spatial = tuple(x.shape[2:])
    if any(n == 0 for n in spatial):
        raise ValueError(f"interpolate: cannot resize an input with an empty spatial dim, "
                         f"shape {tuple(x.shape)}")
    if size is not None:
        out = tuple(int(s) for s in _per_dim(size, nd, "size"))
        scales = (None,) * nd
    else:
        scales = tuple(float(s) for s in _per_dim(scale_factor, nd, "scale_factor"))
        if any(not s > 0 or not math.isfinite(s) for s in scales):
            raise ValueError(f"interpolate: scale_factor must be positive, got {scale_factor}")
        out = tuple(int(math.floor(n * s)) for n, s in zip(spatial, scales))
        if recompute_scale_factor:
            scales = (None,) * nd
    if any(o < 1 for o in out):
        raise ValueError(f"interpolate: output size {out} must be positive (input spatial "
                         f"size {spatial})")
    if mode == "area":
        from . import pool

        fn = (pool.adaptive_avg_pool1d, pool.adaptive_avg_pool2d, pool.adaptive_avg_pool3d)
        return fn[nd - 1](x, out if nd > 1 else out[0])
    dtype = x.data.dtype if x.data.dtype.kind == "f" else np.dtype(np.float32)
    plan = []
    for k, (n, m, s) in enumerate(zip(spatial, out, scales)):
        axis = 2 + k
        if mode == "bicubic":
            taps = _cubic_taps(n, m, s, align_corners, dtype)
        elif mode in _LINEAR:
            i0, i1, w0, w1 = _linear_index(n, m, s, align_corners, dtype)
            taps = [(i0, w0), (i1, w1)]
        else:
            taps = [(_nearest_index(n, m, s, mode == "nearest-exact"), None)]
        A = _dense(n, taps) if mode in _LINEAR and n * m <= _DENSE_LIMIT else None
        plan.append((axis, n, taps, A))
    if x.data.dtype.kind != "f" and mode in _LINEAR:
        raise TypeError(f"interpolate: mode {mode!r} needs a floating input, got "
                        f"{x.data.dtype}")
    return Resample.apply(x, tuple(plan))
