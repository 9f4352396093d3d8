"""Spatial rearrangements with PyTorch's names and arguments: pixel (un)shuffle, adaptive
max pooling, max pooling that returns its indices, max unpooling, and ``unfold``/``fold``
(im2col and its adjoint).

Pixel (un)shuffle is a reshape, a permute and a reshape (exact; the gradient comes from
those). The others are one ``Function`` each. Indices are PyTorch's: per (sample,
channel) plane, the flat position ``h * W + w`` of the maximum in the unpadded input
(``l`` for 1-D), as int64. Max unpooling writes each value at its index in a zero plane.
``unfold`` reads each kernel offset as one strided slice of the padded input (the slices
convolution uses); ``fold`` adds them back, so each is the other's backward.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function, Local
from ..backend import xp
from ..grad_mode import is_grad_enabled
from ..tensor import Tensor
from ._registry import op
from .conv import conv_output_size, kernel_offsets, pair

__all__ = [
    "pixel_shuffle", "pixel_unshuffle", "adaptive_max_pool1d", "adaptive_max_pool2d",
    "max_pool1d_with_indices", "max_pool2d_with_indices", "max_unpool1d", "max_unpool2d",
    "unfold", "fold",
]


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _scatter_planes(idx, gy, plane: int):
    """``(N, C, P)`` zeros with ``gy`` added at the flat plane positions ``idx`` (repeats
    add up). ``idx``/``gy``: ``(N, C, ...)``."""
    N, C = idx.shape[:2]
    offs = (np.arange(N * C, dtype=np.int64) * plane).reshape(N, C, *([1] * (idx.ndim - 2)))
    flat = (idx + offs).ravel()
    g = np.bincount(flat, weights=gy.ravel(), minlength=N * C * plane)
    return g.astype(gy.dtype, copy=False).reshape(N, C, plane)


# --- pixel shuffle ------------------------------------------------------------------------


def _factor(r, what: str, op_name: str) -> int:
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or r < 1:
        raise ValueError(f"{op_name}: {what} must be a positive integer, got {r!r}")
    return int(r)


@op(method=False, functional=True)
def pixel_shuffle(input, upscale_factor: int) -> Tensor:  # noqa: A002
    """``(*, C·r², H, W) -> (*, C, H·r, W·r)``: channel blocks become r×r pixel blocks."""
    x = _t(input)
    r = _factor(upscale_factor, "upscale_factor", "pixel_shuffle")
    if x.ndim < 3:
        raise ValueError(f"pixel_shuffle: expected an input of 3 or more dims (*, C, H, W), "
                         f"got shape {tuple(x.shape)}")
    *lead, c, h, w = x.shape
    if c % (r * r):
        raise ValueError(f"pixel_shuffle: the channel dim (-3) must be divisible by "
                         f"upscale_factor² = {r * r}, got input shape {tuple(x.shape)}")
    b = len(lead)
    oc = c // (r * r)
    y = x.reshape(*lead, oc, r, r, h, w)
    perm = tuple(range(b)) + (b, b + 3, b + 1, b + 4, b + 2)
    return y.permute(*perm).reshape(*lead, oc, h * r, w * r)


@op(method=False, functional=True)
def pixel_unshuffle(input, downscale_factor: int) -> Tensor:  # noqa: A002
    """``(*, C, H·r, W·r) -> (*, C·r², H, W)``: the inverse of :func:`pixel_shuffle`."""
    x = _t(input)
    r = _factor(downscale_factor, "downscale_factor", "pixel_unshuffle")
    if x.ndim < 3:
        raise ValueError(f"pixel_unshuffle: expected an input of 3 or more dims (*, C, H, W), "
                         f"got shape {tuple(x.shape)}")
    *lead, c, h, w = x.shape
    if h % r or w % r:
        raise ValueError(f"pixel_unshuffle: height and width must be divisible by "
                         f"downscale_factor = {r}, got input shape {tuple(x.shape)}")
    b = len(lead)
    y = x.reshape(*lead, c, h // r, r, w // r, r)
    perm = tuple(range(b)) + (b, b + 2, b + 4, b + 1, b + 3)
    return y.permute(*perm).reshape(*lead, c * r * r, h // r, w // r)


# --- max pooling with indices -------------------------------------------------------------


class _MaxGather(Function):
    """Shared backward: gx gets gy at each output's argmax (repeats add up)."""

    def backward(self, gy):
        N, C, H, W = self.xshape
        return _scatter_planes(self.idx, gy, H * W).reshape(N, C, H, W)


class AdaptiveMaxOp(_MaxGather):
    """y[n, c, i, j] = max over PyTorch's bin (rows [⌊iH/OH⌋, ⌈(i+1)H/OH⌉), likewise
    columns); the first maximum in row-major order wins ties, NaN propagates.
    ``(N, C, H, W) -> (N, C, OH, OW)``; gx gets gy at the argmax."""

    name = "adaptive_max_pool2d"
    formula = "[{0} is the bin's max]"

    def forward(self, x, out_hw):
        N, C, H, W = x.shape
        (rows, kh), (cols, kw) = _bin_index(H, out_hw[0]), _bin_index(W, out_hw[1])
        y = idx = None
        for a in range(kh):
            r = rows[:, a][:, None]
            for b in range(kw):
                c = cols[:, b][None, :]
                v = x[:, :, r, c]
                flat = r * W + c
                if y is None:
                    y, idx = v.copy(), xp.broadcast_to(flat, v.shape).astype(np.int64)
                else:
                    m = (v > y) | xp.isnan(v)
                    y = xp.where(m, v, y)
                    idx = xp.where(m, flat, idx)
        self.idx, self.xshape = idx, x.shape
        return y


def _bin_index(size: int, out: int):
    """``(out, k)`` input positions of each adaptive bin (the last one repeated to pad a
    short bin to the longest, k), and k."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    k = int((end - start).max())
    pos = np.minimum(start[:, None] + np.arange(k)[None, :], (end - 1)[:, None])
    return pos, k


class MaxPoolIndexOp(_MaxGather):
    """y = max over each window (padding counts as -inf); ``idx`` = the flat position of
    the first maximum in the unpadded input. ``(N, C, H, W) -> (N, C, OH, OW)``."""

    name = "max_pool2d_with_indices"
    formula = "[{0} is the window's max]"

    def forward(self, x, kernel, stride, padding, dilation, out_hw):
        N, C, H, W = x.shape
        (KH, KW), (sh, sw), (ph, pw), (dh, dw), (OH, OW) = kernel, stride, padding, \
            dilation, out_hw
        # the padded input, with room for a ceil_mode window hanging over the end
        Hp = max(H + 2 * ph, (OH - 1) * sh + dh * (KH - 1) + 1)
        Wp = max(W + 2 * pw, (OW - 1) * sw + dw * (KW - 1) + 1)
        xpad = xp.full((N, C, Hp, Wp), -np.inf, dtype=x.dtype)
        xpad[:, :, ph:ph + H, pw:pw + W] = x
        base_h = (np.arange(OH) * sh - ph)[:, None]
        base_w = (np.arange(OW) * sw - pw)[None, :]
        y = idx = None
        for i, j, hs, ws in kernel_offsets(KH, KW, OH, OW, stride, dilation):
            v = xpad[:, :, hs, ws]
            flat = (base_h + i * dh) * W + (base_w + j * dw)
            if y is None:
                y, idx = v.copy(), xp.broadcast_to(flat, v.shape).astype(np.int64)
            else:
                m = (v > y) | xp.isnan(v)
                y = xp.where(m, v, y)
                idx = xp.where(m, flat, idx)
        self.idx, self.xshape = idx, x.shape
        return y


def _as4d(x, nd: int, op_name: str):
    x = _t(x)
    shape = tuple(x.shape)
    dims = "(N, C, L)" if nd == 1 else "(N, C, H, W)"
    if x.ndim == nd + 1:
        x = x.reshape(1, *shape)
    elif x.ndim != nd + 2:
        raise ValueError(f"{op_name}: expected a {nd + 2}-D input {dims} (or {nd + 1}-D "
                         f"unbatched), got shape {shape}")
    if x.data.dtype.kind != "f":
        raise TypeError(f"{op_name}: expected a floating-point input, got dtype "
                        f"{x.data.dtype}")
    if nd == 1:
        x = x.reshape(x.shape[0], x.shape[1], 1, x.shape[2])
    if 0 in x.shape[2:]:
        raise ValueError(f"{op_name}: the input's spatial size must be non-zero, got shape "
                         f"{shape}")
    return x, shape


def _back(y, shape: tuple, nd: int):
    """A 4-D result (Tensor or array) back to the caller's layout."""
    if nd == 1:
        y = y.reshape(y.shape[0], y.shape[1], y.shape[3])
    if len(shape) == nd + 1:
        y = y.reshape(*y.shape[1:])
    return y


def _apply_with_idx(cls, x4, *args):
    """Run ``cls`` on ``x4``: the output Tensor (recorded when a gradient is wanted) and
    the int64 indices array the op computed."""
    if x4.requires_grad and is_grad_enabled():
        out = cls.apply(x4, *args)
        if out._ctx is not None:
            return out, out._ctx.idx
    fn = cls()
    y = fn.forward(x4.data, *args)
    return Tensor(y), fn.idx


def _adaptive_max(input, nd, output_size, return_indices, op_name):  # noqa: A002
    x4, shape = _as4d(input, nd, op_name)
    in_hw = tuple(x4.shape[2:])
    if nd == 1:
        if isinstance(output_size, (tuple, list)):
            output_size = pair(output_size, 1, "output_size", op_name)[0]
        out = (1, int(output_size))
    elif isinstance(output_size, (tuple, list)):
        if len(output_size) != 2:
            raise ValueError(f"{op_name}: output_size must be an int or a pair, got "
                             f"{output_size!r}")
        out = tuple(in_hw[i] if o is None else int(o) for i, o in enumerate(output_size))
    else:
        out = pair(output_size, 2, "output_size", op_name)
    if any(o < 1 for o in out):
        raise ValueError(f"{op_name}: output_size must be positive, got {output_size!r}")
    y, idx = _apply_with_idx(AdaptiveMaxOp, x4, out)
    y = _back(y, shape, nd)
    return (y, Tensor(_back(idx, shape, nd))) if return_indices else y


@op(method=False, top=False, functional=True, records=AdaptiveMaxOp)
def adaptive_max_pool2d(input, output_size, return_indices: bool = False):  # noqa: A002
    """Max over PyTorch's adaptive bins: ``(N, C, H, W) -> (N, C, OH, OW)`` (``None`` in
    ``output_size`` keeps that size); with ``return_indices`` also the int64 flat
    indices ``h*W + w`` of the maxima (for :func:`max_unpool2d`)."""
    return _adaptive_max(input, 2, output_size, return_indices, "adaptive_max_pool2d")


@op(method=False, top=False, functional=True, records=AdaptiveMaxOp)
def adaptive_max_pool1d(input, output_size, return_indices: bool = False):  # noqa: A002
    """``(N, C, L) -> (N, C, OL)`` max over PyTorch's adaptive bins (indices: ``l``)."""
    return _adaptive_max(input, 1, output_size, return_indices, "adaptive_max_pool1d")


def _pool_geometry(x4, nd, kernel_size, stride, padding, dilation, ceil_mode, op_name):
    kernel = pair(kernel_size, nd, "kernel_size", op_name)
    stride = kernel if stride is None or stride == () or stride == [] \
        else pair(stride, nd, "stride", op_name)
    padding = pair(padding, nd, "padding", op_name)
    dilation = pair(dilation, nd, "dilation", op_name)
    if any(k < 1 for k in kernel) or any(s < 1 for s in stride) or any(d < 1 for d in dilation):
        raise ValueError(f"{op_name}: kernel_size, stride and dilation must be positive, got "
                         f"{kernel}, {stride}, {dilation}")
    if any(p < 0 or 2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{op_name}: padding must be between 0 and half the kernel size "
                         f"{kernel}, got {padding}")
    spatial = tuple(x4.shape[2:])[-nd:]
    out = []
    for s, k, st, d, p in zip(spatial, kernel, stride, dilation, padding):
        span = s + 2 * p - d * (k - 1) - 1
        o = (-(-span // st) if ceil_mode else span // st) + 1
        if ceil_mode and (o - 1) * st >= s + p:  # the last window must start inside
            o -= 1
        out.append(o)
    if any(o < 1 for o in out):
        padded = tuple(s + 2 * p for s, p in zip(spatial, padding))
        raise ValueError(f"{op_name}: kernel size {kernel} (dilation {dilation}) is larger "
                         f"than the padded input {padded}")
    if nd == 1:
        return (1,) + kernel, (1,) + stride, (0,) + padding, (1,) + dilation, (1, out[0])
    return kernel, stride, padding, dilation, tuple(out)


def _max_pool_idx(input, nd, kernel_size, stride, padding, dilation, ceil_mode,  # noqa: A002
                  return_indices, op_name):
    x4, shape = _as4d(input, nd, op_name)
    geom = _pool_geometry(x4, nd, kernel_size, stride, padding, dilation, ceil_mode, op_name)
    y, idx = _apply_with_idx(MaxPoolIndexOp, x4, *geom)
    return _back(y, shape, nd), Tensor(_back(idx, shape, nd))


@op(method=False, top=False, functional=True, records=MaxPoolIndexOp)
def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
                            ceil_mode: bool = False, return_indices: bool = False):
    """2-D max pooling returning ``(output, indices)``; indices are the int64 flat
    positions ``h*W + w`` of the maxima in each input plane. ``ceil_mode`` supported."""
    return _max_pool_idx(input, 2, kernel_size, stride, padding, dilation, ceil_mode,
                         return_indices, "max_pool2d_with_indices")


@op(method=False, top=False, functional=True, records=MaxPoolIndexOp)
def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
                            ceil_mode: bool = False, return_indices: bool = False):
    """1-D max pooling returning ``(output, indices)`` (indices: positions ``l``)."""
    return _max_pool_idx(input, 1, kernel_size, stride, padding, dilation, ceil_mode,
                         return_indices, "max_pool1d_with_indices")


# --- max unpooling ------------------------------------------------------------------------


class MaxUnpoolOp(Function):
    """y = zeros of the output plane size with y[idx] = x (per plane); gx = gy[idx]."""

    name = "max_unpool2d"
    formula = (Local(1.0, "1 at the saved index", generic=True), None, None)

    def forward(self, x, idx, out_hw):
        N, C = x.shape[:2]
        plane = out_hw[0] * out_hw[1]
        y = xp.zeros((N, C, plane), dtype=x.dtype)
        i = idx.reshape(N, C, -1)
        xp.put_along_axis(y, i, x.reshape(N, C, -1), axis=2)
        self.i, self.xshape = i, x.shape
        return y.reshape(N, C, *out_hw)

    def backward(self, gy):
        N, C = self.xshape[:2]
        g = xp.take_along_axis(gy.reshape(N, C, -1), self.i, axis=2)
        return g.reshape(self.xshape), None, None


def _max_unpool(input, indices, nd, kernel_size, stride, padding, output_size, op_name):  # noqa: A002
    x4, shape = _as4d(input, nd, op_name)
    idx = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{op_name}: indices must be integers (as max pooling returns them), "
                        f"got dtype {idx.dtype}")
    if tuple(idx.shape) != shape:
        raise ValueError(f"{op_name}: indices must have the input's shape {shape}, got "
                         f"{tuple(idx.shape)}")
    kernel = pair(kernel_size, nd, "kernel_size", op_name)
    stride = kernel if stride is None else pair(stride, nd, "stride", op_name)
    padding = pair(padding, nd, "padding", op_name)
    spatial = tuple(x4.shape[2:])[-nd:]
    default = tuple((s - 1) * st - 2 * p + k
                    for s, st, p, k in zip(spatial, stride, padding, kernel))
    if output_size is None:
        out = default
    else:
        out = tuple(int(o) for o in (output_size.shape if hasattr(output_size, "shape")
                                     else output_size))
        if len(out) == nd + 2:
            out = out[2:]
        elif len(out) == nd + 1 and len(shape) == nd + 1:
            out = out[1:]
        if len(out) != nd:
            raise ValueError(f"{op_name}: output_size must have {nd} or {nd + 2} elements, "
                             f"got {output_size!r}")
        for o, dflt, st in zip(out, default, stride):
            if not dflt - st < o < dflt + st:
                raise ValueError(f"{op_name}: output_size {out} is not a size max pooling "
                                 f"with this kernel/stride/padding maps to the input's "
                                 f"{spatial}: each must lie strictly between "
                                 f"{tuple(d - s for d, s in zip(default, stride))} and "
                                 f"{tuple(d + s for d, s in zip(default, stride))}")
    out_hw = (1,) + out if nd == 1 else out
    plane = out_hw[0] * out_hw[1]
    i4 = idx.reshape(x4.shape).astype(np.int64, copy=False)
    if i4.size and (i4.min() < 0 or i4.max() >= plane):
        bad = int(i4.max() if i4.max() >= plane else i4.min())
        raise ValueError(f"{op_name}: index {bad} is out of range for an output plane of "
                         f"size {out} ({plane} elements)")
    y = MaxUnpoolOp.apply(x4, i4, out_hw)
    return _back(y, shape, nd)


@op(method=False, top=False, functional=True, records=MaxUnpoolOp)
def max_unpool2d(input, indices, kernel_size, stride=None, padding=0,  # noqa: A002
                 output_size=None) -> Tensor:
    """The partial inverse of max pooling: each value goes to its index in a zero plane,
    ``(N, C, H, W) -> (N, C, H', W')`` with H' = (H - 1)·stride - 2·padding + kernel
    (or ``output_size``)."""
    return _max_unpool(input, indices, 2, kernel_size, stride, padding, output_size,
                       "max_unpool2d")


@op(method=False, top=False, functional=True, records=MaxUnpoolOp)
def max_unpool1d(input, indices, kernel_size, stride=None, padding=0,  # noqa: A002
                 output_size=None) -> Tensor:
    """``(N, C, L) -> (N, C, L')``, the partial inverse of 1-D max pooling."""
    return _max_unpool(input, indices, 1, kernel_size, stride, padding, output_size,
                       "max_unpool1d")


# --- unfold / fold ------------------------------------------------------------------------


def _im2col(x, kernel, dilation, padding, stride, out_hw):
    """``(N, C, H, W) -> (N, C·KH·KW, OH·OW)``."""
    N, C, H, W = x.shape
    (KH, KW), (ph, pw), (OH, OW) = kernel, padding, out_hw
    if ph or pw:
        xpad = xp.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=x.dtype)
        xpad[:, :, ph:ph + H, pw:pw + W] = x
    else:
        xpad = x
    cols = xp.empty((N, C, KH, KW, OH, OW), dtype=x.dtype)
    for i, j, hs, ws in kernel_offsets(KH, KW, OH, OW, stride, dilation):
        cols[:, :, i, j] = xpad[:, :, hs, ws]
    return cols.reshape(N, C * KH * KW, OH * OW)


def _col2im(cols, C, hw, kernel, dilation, padding, stride, out_hw):
    """The adjoint of :func:`_im2col`: ``(N, C·KH·KW, L) -> (N, C, H, W)``, overlapping
    blocks added."""
    N = cols.shape[0]
    (H, W), (KH, KW), (ph, pw), (OH, OW) = hw, kernel, padding, out_hw
    g = cols.reshape(N, C, KH, KW, OH, OW)
    out = xp.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=cols.dtype)
    for i, j, hs, ws in kernel_offsets(KH, KW, OH, OW, stride, dilation):
        out[:, :, hs, ws] += g[:, :, i, j]
    return xp.ascontiguousarray(out[:, :, ph:ph + H, pw:pw + W])


class UnfoldOp(Function):
    """Sliding blocks as columns: ``(N, C, H, W) -> (N, C·KH·KW, L)``; gx = fold(gy)."""

    name = "unfold"
    formula = Local(1.0, "1 (each element copied into the blocks that cover it)",
                    generic=True)

    def forward(self, x, kernel, dilation, padding, stride, out_hw):
        self.geom = (x.shape[1], x.shape[2:], kernel, dilation, padding, stride, out_hw)
        return _im2col(x, kernel, dilation, padding, stride, out_hw)

    def backward(self, gy):
        return _col2im(gy, *self.geom)


class FoldOp(Function):
    """Columns summed back into an image: ``(N, C·KH·KW, L) -> (N, C, H, W)``;
    gx = unfold(gy)."""

    name = "fold"
    formula = Local(1.0, "1 (each column entry added to one output element)", generic=True)

    def forward(self, cols, C, hw, kernel, dilation, padding, stride, out_hw):
        self.geom = (kernel, dilation, padding, stride, out_hw)
        return _col2im(cols, C, hw, kernel, dilation, padding, stride, out_hw)

    def backward(self, gy):
        return _im2col(gy, *self.geom)


def _block_geometry(hw, kernel_size, dilation, padding, stride, op_name):
    kernel = pair(kernel_size, 2, "kernel_size", op_name)
    dilation = pair(dilation, 2, "dilation", op_name)
    padding = pair(padding, 2, "padding", op_name)
    stride = pair(stride, 2, "stride", op_name)
    if min(kernel + dilation + stride) < 1 or min(padding) < 0:
        raise ValueError(f"{op_name}: kernel_size, dilation and stride must be positive and "
                         f"padding non-negative, got kernel_size={kernel}, "
                         f"dilation={dilation}, padding={padding}, stride={stride}")
    out = tuple(conv_output_size(s, k, st, d, (p, p))
                for s, k, st, d, p in zip(hw, kernel, stride, dilation, padding))
    if min(out) < 1:
        raise ValueError(f"{op_name}: no sliding block fits: spatial size {tuple(hw)} with "
                         f"padding {padding} is smaller than the dilated kernel "
                         f"{tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))}")
    return kernel, dilation, padding, stride, out


@op(method=False, top=False, functional=True, records=UnfoldOp)
def unfold(input, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:  # noqa: A002
    """im2col: every sliding ``kernel_size`` block of a batched image, flattened into a
    column, ``(N, C, H, W) -> (N, C·∏kernel_size, L)`` with L the number of blocks
    (unbatched ``(C, H, W) -> (C·∏kernel_size, L)``)."""
    x = _t(input)
    if x.ndim not in (3, 4):
        raise ValueError(f"unfold: expected a 4-D input (N, C, H, W) or 3-D (C, H, W), got "
                         f"shape {tuple(x.shape)}")
    unbatched = x.ndim == 3
    if unbatched:
        x = x.reshape(1, *x.shape)
    geom = _block_geometry(x.shape[2:], kernel_size, dilation, padding, stride, "unfold")
    y = UnfoldOp.apply(x, *geom)
    return y.reshape(*y.shape[1:]) if unbatched else y


@op(method=False, top=False, functional=True, records=FoldOp)
def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1) -> Tensor:  # noqa: A002
    """col2im, the adjoint of :func:`unfold`: columns ``(N, C·∏kernel_size, L)`` summed
    into an image ``(N, C, *output_size)`` (overlapping blocks add up); unbatched
    ``(C·∏kernel_size, L)`` too."""
    x = _t(input)
    if x.ndim not in (2, 3):
        raise ValueError(f"fold: expected a 3-D input (N, C·∏kernel_size, L) or 2-D, got "
                         f"shape {tuple(x.shape)}")
    unbatched = x.ndim == 2
    if unbatched:
        x = x.reshape(1, *x.shape)
    hw = pair(output_size, 2, "output_size", "fold")
    kernel, dilation, padding, stride, out = _block_geometry(
        hw, kernel_size, dilation, padding, stride, "fold")
    kk = kernel[0] * kernel[1]
    if x.shape[1] % kk:
        raise ValueError(f"fold: input dim 1 ({x.shape[1]}) must be divisible by the kernel "
                         f"size product {kk} (kernel_size={kernel}); input shape "
                         f"{tuple(x.shape)}")
    if x.shape[2] != out[0] * out[1]:
        raise ValueError(f"fold: output_size={hw}, kernel_size={kernel}, dilation={dilation}, "
                         f"padding={padding}, stride={stride} give {out[0]} x {out[1]} = "
                         f"{out[0] * out[1]} blocks, but input dim 2 is {x.shape[2]} (input "
                         f"shape {tuple(x.shape)})")
    y = FoldOp.apply(x, x.shape[1] // kk, hw, kernel, dilation, padding, stride, out)
    return y.reshape(*y.shape[1:]) if unbatched else y
