"""Pooling: max, average and adaptive average/max, over 1-D, 2-D and 3-D windows.

Max and average pooling loop over the kernel offsets (``KH*KW``, or ``KD*KH*KW``; never
over pixels): each offset reads one strided slice of the padded input, the same slices
convolution uses. Max pooling keeps, per output, the offset of the first maximum in
row-major window order (PyTorch's choice on ties) and its backward scatters ``gy`` there
alone; the flat input index PyTorch returns (``return_indices``) is computed from that
offset. With ``ceil_mode`` the last window may hang over the end of the (padded) input: the
buffer is padded further after (with -inf for max, with zeros that never count for
average). Adaptive average pooling applies one averaging matrix per spatial axis
(``P_h @ x @ P_w.T`` in 2-D) whose rows average PyTorch's bins
``[floor(i*H/OH), ceil((i+1)*H/OH))``; 3-D adaptive max pooling is two passes of the 2-D
one (``ops/spatial_extra.py``). 1-D pooling is the 2-D case with a height of 1.
"""

from __future__ import annotations

from math import prod

import numpy as np

from ..autograd import Function, Local
from ..backend import xp
from ..errors import ArgumentError
from ..tensor import Tensor
from ._registry import op
from .conv import batch_dims, padding_geometry, pair, window_plan
from .resample import apply_along
from .spatial_extra import AdaptiveMaxOp, MaxUnpoolOp, _apply_with_idx

__all__ = ["max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d", "avg_pool2d",
           "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_avg_pool3d",
           "adaptive_max_pool3d", "max_unpool3d"]


def _pairs(padding) -> tuple:
    """Padding per spatial dim as ``(before, after)``: an int ``p`` is ``(p, p)``; a pair
    (used when a ceil_mode window overhangs the end) is kept."""
    return tuple(p if isinstance(p, tuple) else (p, p) for p in padding)


def _pad_const(x, pads: tuple, value):
    """``x`` with its spatial dims padded by ``pads`` (``(before, after)`` each) of
    ``value``; ``x`` itself if there is no padding."""
    if not any(a or b for a, b in pads):
        return x
    padded, inner = padding_geometry(x.shape[2:], pads)
    out = xp.full(x.shape[:2] + padded, value, dtype=x.dtype)
    out[inner] = x
    return out


def _unpad(g, spatial: tuple, pads: tuple):
    """The inverse of :func:`_pad_const` on a gradient: the interior, contiguous."""
    if not any(a or b for a, b in pads):
        return g
    return xp.ascontiguousarray(g[padding_geometry(tuple(spatial), pads)[1]])


class WindowMax(Function):
    """y[n, c, *o] = max over the window; gx gets gy at the window's (first) argmax.

    ``(N, C, *S) -> (N, C, *O)`` for two or three spatial dims.
    """

    name, formula = "max_pool2d", "[{0} is the window's max]"

    def forward(self, x, kernel, stride, padding, dilation, out):
        pads = _pairs(padding)
        xpad = _pad_const(x, pads, -np.inf)
        y = idx = None
        K = prod(kernel)
        code = np.int8 if K <= 127 else np.int32
        for k, (_, _, _, at) in enumerate(window_plan(kernel, out, stride, dilation)):
            v = xpad[at]
            if y is None:
                y = v.copy()
                idx = xp.zeros(y.shape, dtype=code)
            else:
                # Strictly greater: on ties the earlier offset (row-major) keeps the max.
                # Offsets only grow, so the newest winner is also the largest k that won:
                # idx = max(idx, m*k). (Masked copies, np.where and copyto(where=) are
                # ten times slower than these plain ufuncs.)
                m = v > y
                xp.maximum(y, v, out=y)
                xp.maximum(idx, m.astype(code) * code(k), out=idx)
        self.idx = idx
        self.geom = (x.shape, kernel, stride, pads, dilation, out)
        return y

    def backward(self, gy):
        xshape, kernel, stride, pads, dilation, out = self.geom
        idx = self.idx
        padded = padding_geometry(tuple(xshape[2:]), pads)[0]
        # Non-overlapping windows that tile the input: every element is written once.
        tiles = (stride == kernel and all(d == 1 for d in dilation)
                 and all(o * k == n for o, k, n in zip(out, kernel, padded)))
        gx = (xp.empty if tiles else xp.zeros)(xshape[:2] + padded, dtype=gy.dtype)
        zero = gy.dtype.type(0)
        for k, (_, _, _, at) in enumerate(window_plan(kernel, out, stride, dilation)):
            if tiles:
                xp.multiply(gy, idx == k, out=gx[at])
            else:
                gx[at] += xp.where(idx == k, gy, zero)
        return _unpad(gx, xshape[2:], pads)


def _flat_argmax(code, spatial, kernel, stride, padding, dilation, out):
    """PyTorch's indices from :class:`WindowMax`'s kernel offsets ``code``: per (sample,
    channel) plane, the flat position of each max in the unpadded input
    (``d*H*W + h*W + w``), int64."""
    at = np.unravel_index(code.astype(np.int64), kernel)
    flat = np.zeros(code.shape, dtype=np.int64)
    for a, (s, (before, _), d, o) in enumerate(zip(stride, _pairs(padding), dilation, out)):
        base = (np.arange(o, dtype=np.int64) * s - before).reshape(
            (o,) + (1,) * (len(out) - a - 1))
        flat += (base + at[a] * d) * prod(spatial[a + 1:])
    return flat


class WindowMean(Function):
    """y = (Σ over the window) / count; gx spreads gy / count over each window.

    ``count`` is the window's size clipped to the padded input (padding zeros count) with
    ``count_include_pad``, otherwise the number of real input elements under the window,
    or ``divisor``. ``(N, C, *S) -> (N, C, *O)``.
    """

    name = "avg_pool2d"
    formula = Local(1.0, "1/count (count = elements in the window)", generic=True)

    def forward(self, x, kernel, stride, padding, count_include_pad, divisor, out):
        pads = _pairs(padding)
        xpad = _pad_const(x, pads, 0)
        ones = (1,) * len(kernel)
        y = xp.zeros(x.shape[:2] + tuple(out), dtype=x.dtype)
        for _, _, _, at in window_plan(kernel, out, stride, ones):
            y += xpad[at]
        if divisor is not None:
            count = divisor
        elif all(a == b for a, b in pads) and (count_include_pad or not any(a for a, _ in pads)):
            count = prod(kernel)
        else:
            count = _window_counts(x.shape[2:], kernel, stride, pads, out, count_include_pad,
                                   x.dtype)
        y /= count
        self.count = count
        self.geom = (x.shape, kernel, stride, pads, out)
        return y

    def backward(self, gy):
        xshape, kernel, stride, pads, out = self.geom
        g = gy / self.count
        gx = xp.zeros(xshape[:2] + padding_geometry(tuple(xshape[2:]), pads)[0], dtype=gy.dtype)
        for _, _, _, at in window_plan(kernel, out, stride, (1,) * len(kernel)):
            gx[at] += g
        return _unpad(gx, xshape[2:], pads)


def _window_counts(spatial, kernel, stride, pads, out, include_pad: bool, dtype):
    """The divisor of every output: per dim, how many positions of its window lie in the
    input (or in the input and its padding, without a ceil_mode overhang), multiplied."""
    count = np.ones((), dtype=dtype)
    for a, (n, k, s, (before, after), o) in enumerate(zip(spatial, kernel, stride, pads, out)):
        inside = np.zeros(n + before + after, dtype=dtype)
        inside[slice(0, n + 2 * before) if include_pad else slice(before, before + n)] = 1
        c = sum(inside[i:i + s * (o - 1) + 1:s] for i in range(k))
        count = count * c.reshape((o,) + (1,) * (len(out) - a - 1))
    return xp.asarray(count)


def _bins(size: int, out: int, dtype):
    """``(out, size)`` averaging matrix of PyTorch's adaptive bins."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    cols = np.arange(size)
    m = (cols >= start[:, None]) & (cols < end[:, None])
    return xp.asarray(m / (end - start)[:, None], dtype=dtype)


class BinMean(Function):
    """y = x averaged over each axis's bins: ``P_h @ x @ P_w.T`` in 2-D, one averaging
    matrix P per spatial axis; gx applies each ``P.T``.

    ``(N, C, *S) -> (N, C, *O)``.
    """

    name = "adaptive_avg_pool2d"
    formula = Local(1.0, "1/count (count = elements in the bin)", generic=True)

    def forward(self, x, out):
        spatial = x.shape[2:]
        self.xshape = x.shape
        axes = tuple(range(2, x.ndim))
        if all(o == 1 for o in out):
            self.mats = None
            return x.mean(axis=axes, keepdims=True)
        self.mats = [(axis, _bins(n, o, x.dtype)) for axis, n, o in zip(axes, spatial, out)]
        y = x
        for axis, P in reversed(self.mats):  # the last axis first (x @ P_w.T, then P_h @ .)
            y = apply_along(y, P, axis)
        return y

    def backward(self, gy):
        if self.mats is None:
            return xp.broadcast_to(gy / prod(self.xshape[2:]), self.xshape).copy()
        g = gy
        for axis, P in self.mats:
            g = apply_along(g, P.T, axis)
        return g


# --- user-facing functions ------------------------------------------------------------


def _prepare(x, nd: int, op: str):
    """``x`` as a batched Tensor plus how to undo it: 1-D ops work on (N, C, 1, L)."""
    if not isinstance(x, Tensor):
        x = Tensor(x)
    shape = tuple(x.shape)
    if x.ndim == nd + 1:
        x = x.reshape(1, *shape)
    elif x.ndim != nd + 2:
        raise ArgumentError(f"{op}: expected a {nd + 2}-D input {batch_dims(nd)} (or {nd + 1}-D "
                            f"unbatched), got shape {shape}")
    if nd == 1:
        x = x.reshape(x.shape[0], x.shape[1], 1, x.shape[2])
    return x, shape


def _finish(y, shape: tuple, nd: int):
    """A batched result (Tensor or array) back to the caller's layout."""
    if nd == 1:
        y = y.reshape(y.shape[0], y.shape[1], y.shape[3])
    if len(shape) == nd + 1:
        y = y.reshape(*y.shape[1:])
    return y


def _geometry(x, nd, kernel_size, stride, padding, dilation, ceil_mode, op):
    """Kernel, stride, padding, dilation and output size of a pooling, checked (1-D lifted
    to 2-D). Padding is an int per dim, or ``(before, after)`` where a ceil_mode window
    hangs over the end and the input must be padded further after."""
    kernel = pair(kernel_size, nd, "kernel_size", op)
    stride = kernel if stride is None or stride == () or stride == [] \
        else pair(stride, nd, "stride", op)
    padding = pair(padding, nd, "padding", op)
    dilation = pair(dilation, nd, "dilation", op)
    for what, v in (("kernel_size", kernel), ("stride", stride), ("dilation", dilation)):
        if any(a < 1 for a in v):
            raise ArgumentError(f"{op}: {what} must be positive, got {v}")
    if any(p < 0 or 2 * p > k for p, k in zip(padding, kernel)):
        raise ArgumentError(f"{op}: padding must be between 0 and half the kernel size "
                            f"{kernel}, got {padding}")
    spatial = tuple(x.shape[-nd:])
    out, pads = [], []
    for n, k, s, d, p in zip(spatial, kernel, stride, dilation, padding):
        span = n + 2 * p - d * (k - 1) - 1
        o = (-(-span // s) if ceil_mode else span // s) + 1
        if ceil_mode and (o - 1) * s >= n + p:  # the last window must start inside
            o -= 1
        after = (o - 1) * s + d * (k - 1) + 1 - n - p  # what the windows read after
        pads.append(p if after <= p else (p, after))
        out.append(o)
    if any(o < 1 for o in out):
        padded = tuple(n + 2 * p for n, p in zip(spatial, padding))
        raise ArgumentError(f"{op}: kernel size {kernel} (dilation {dilation}) is larger "
                            f"than the padded input {padded}")
    if nd == 1:
        return (1,) + kernel, (1,) + stride, (0,) + tuple(pads), (1,) + dilation, (1,) + tuple(out)
    return kernel, stride, tuple(pads), dilation, tuple(out)


def _max_pool(x, nd, kernel_size, stride, padding, dilation, ceil_mode, return_indices, op):
    if nd < 3 and (ceil_mode or return_indices):  # the 1-D/2-D form that records indices
        from .spatial_extra import max_pool1d_with_indices, max_pool2d_with_indices

        pool = max_pool2d_with_indices if nd == 2 else max_pool1d_with_indices
        out, idx = pool(x, kernel_size, stride, padding, dilation, ceil_mode)
        return (out, idx) if return_indices else out
    xb, shape = _prepare(x, nd, op)
    geom = _geometry(xb, nd, kernel_size, stride, padding, dilation, ceil_mode, op)
    if not return_indices:
        return _finish(WindowMax.apply(xb, *geom), shape, nd)
    y, code = _apply_with_idx(WindowMax, xb, *geom)
    flat = _flat_argmax(code, tuple(xb.shape[2:]), *geom)
    return _finish(y, shape, nd), Tensor(_finish(flat, shape, nd))


@op(method=False, top=False, functional=True, records=WindowMax)
def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
               ceil_mode=False, return_indices=False):
    """3-D max pooling: ``(N, C, D, H, W) -> (N, C, D', H', W')`` (or unbatched
    ``(C, D, H, W)``); ``stride`` defaults to the kernel size; padding counts as -inf. With
    ``return_indices`` also the int64 flat positions ``d*H*W + h*W + w`` of the maxima."""
    return _max_pool(input, 3, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, "max_pool3d")


@op(method=False, top=False, functional=True, records=WindowMax)
def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
               ceil_mode=False, return_indices=False) -> Tensor:
    """2-D max pooling: ``(N, C, H, W) -> (N, C, H', W')``; ``stride`` defaults to the
    kernel size; padding counts as -inf."""
    return _max_pool(input, 2, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, "max_pool2d")


@op(method=False, top=False, functional=True, records=WindowMax)
def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1,  # noqa: A002
               ceil_mode=False, return_indices=False) -> Tensor:
    """1-D max pooling: ``(N, C, L) -> (N, C, L')``."""
    return _max_pool(input, 1, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, "max_pool1d")


def _avg_pool(x, nd, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, op):
    if divisor_override is not None and divisor_override <= 0:
        raise ArgumentError(f"{op}: divisor_override must be positive, got {divisor_override}")
    xb, shape = _prepare(x, nd, op)
    k, s, p, _, out = _geometry(xb, nd, kernel_size, stride, padding, 1, ceil_mode, op)
    if xb.data.dtype.kind != "f":
        return _finish(_int_avg_pool(xb, k, s, p, count_include_pad, divisor_override, out, op),
                       shape, nd)
    y = WindowMean.apply(xb, k, s, p, bool(count_include_pad), divisor_override, out)
    return _finish(y, shape, nd)


def _int_avg_pool(xb, k, s, p, count_include_pad, divisor_override, out, op):
    """Average pooling of an int64 tensor, as PyTorch: the window sum divided by the
    divisor, rounded toward zero; no gradient. Other integer dtypes raise, as there."""
    if xb.data.dtype != np.int64:
        raise NotImplementedError(f"{op}: not implemented for dtype {xb.data.dtype} (a float "
                                  f"dtype or int64)")
    q = WindowMean.apply(Tensor._wrap(xb.data.astype(np.float64)), k, s, p,
                         bool(count_include_pad), divisor_override, out).data
    r = np.round(q)  # an integer mean must not become n - 1 through rounding error
    q = np.where(np.abs(q - r) <= 1e-9 * np.maximum(1.0, np.abs(q)), r, np.trunc(q))
    return Tensor._wrap(q.astype(np.int64))


@op(method=False, top=False, functional=True, records=WindowMean)
def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True, divisor_override=None) -> Tensor:
    """3-D average pooling: ``(N, C, D, H, W) -> (N, C, D', H', W')``. With
    ``count_include_pad`` (the default) padded zeros count in the divisor; with
    ``ceil_mode`` a last partial window is kept if it starts inside the input or its
    left padding."""
    return _avg_pool(input, 3, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, "avg_pool3d")


@op(method=False, top=False, functional=True, records=WindowMean)
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True, divisor_override=None) -> Tensor:
    """2-D average pooling: ``(N, C, H, W) -> (N, C, H', W')``. With ``count_include_pad``
    (the default) padded zeros count in the divisor; ``ceil_mode`` as in PyTorch."""
    return _avg_pool(input, 2, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, "avg_pool2d")


@op(method=False, top=False, functional=True, records=WindowMean)
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True) -> Tensor:
    """1-D average pooling: ``(N, C, L) -> (N, C, L')``."""
    return _avg_pool(input, 1, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     None, "avg_pool1d")


def _output_size(output_size, spatial: tuple, nd: int, op: str) -> tuple:
    """An adaptive pooling's ``output_size`` as ``nd`` positive ints (``None`` keeps the
    input's size)."""
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != nd:
            raise ValueError(f"{op}: output_size must be an int or a tuple of {nd}, got "
                             f"{output_size!r}")
        out = tuple(n if o is None else int(o) for n, o in zip(spatial, output_size))
    else:
        out = pair(output_size, nd, "output_size", op)
    if any(o < 1 for o in out):
        raise ArgumentError(f"{op}: output_size must be positive, got {output_size!r}")
    return out


def _adaptive(x, nd, output_size, op):
    xb, shape = _prepare(x, nd, op)
    out = _output_size(output_size, tuple(shape[-nd:]), nd, op)
    return _finish(BinMean.apply(xb, (1,) * (nd == 1) + out), shape, nd)


@op(method=False, top=False, functional=True, records=BinMean)
def adaptive_avg_pool3d(input, output_size) -> Tensor:  # noqa: A002
    """Average pooling to a fixed ``output_size``: ``(N, C, D, H, W) -> (N, C, OD, OH, OW)``
    with PyTorch's bins; ``output_size=1`` is global average pooling."""
    return _adaptive(input, 3, output_size, "adaptive_avg_pool3d")


@op(method=False, top=False, functional=True, records=BinMean)
def adaptive_avg_pool2d(input, output_size) -> Tensor:  # noqa: A002
    """Average pooling to a fixed ``output_size``: ``(N, C, H, W) -> (N, C, OH, OW)`` with
    PyTorch's bins; ``output_size=1`` is global average pooling."""
    return _adaptive(input, 2, output_size, "adaptive_avg_pool2d")


@op(method=False, top=False, functional=True, records=BinMean)
def adaptive_avg_pool1d(input, output_size) -> Tensor:  # noqa: A002
    """``(N, C, L) -> (N, C, OL)`` with PyTorch's bins."""
    return _adaptive(input, 1, output_size, "adaptive_avg_pool1d")


def _float_volume(x, op: str):
    """A 3-D pooling's input as a batched float Tensor with non-empty spatial dims."""
    xb, shape = _prepare(x, 3, op)
    if xb.data.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got dtype {xb.data.dtype}")
    if 0 in xb.shape[2:]:
        raise ValueError(f"{op}: the input's spatial size must be non-zero, got shape {shape}")
    return xb, shape


@op(method=False, top=False, functional=True, records=AdaptiveMaxOp)
def adaptive_max_pool3d(input, output_size, return_indices: bool = False):  # noqa: A002
    """Max over PyTorch's adaptive bins: ``(N, C, D, H, W) -> (N, C, OD, OH, OW)``
    (``None`` in ``output_size`` keeps that size); with ``return_indices`` also the int64
    flat indices ``d*H*W + h*W + w`` of the maxima (for :func:`max_unpool3d`).

    A box's max is the max over its depth bin of each slice's (h, w) bin maxima: the 2-D
    adaptive max of every depth slice, then one over the depth bins (the first maximum in
    (d, h, w) order wins, as in PyTorch)."""
    op_name = "adaptive_max_pool3d"
    xb, shape = _float_volume(input, op_name)
    N, C, D, H, W = xb.shape
    OD, OH, OW = _output_size(output_size, (D, H, W), 3, op_name)
    planes, hw = _apply_with_idx(AdaptiveMaxOp, xb.reshape(N, C * D, H, W), (OH, OW))
    y, dp = _apply_with_idx(AdaptiveMaxOp, planes.reshape(N, C, D, OH * OW), (OD, OH * OW))
    y = _finish(y.reshape(N, C, OD, OH, OW), shape, 3)
    if not return_indices:
        return y
    d = dp // (OH * OW)  # dp = d * (OH*OW) + the output's own (h, w) position
    flat = d * (H * W) + np.take_along_axis(hw.reshape(N, C, D, OH * OW), d, axis=2)
    return y, Tensor(_finish(flat.reshape(N, C, OD, OH, OW), shape, 3))


@op(method=False, top=False, functional=True, records=MaxUnpoolOp)
def max_unpool3d(input, indices, kernel_size, stride=None, padding=0,  # noqa: A002
                 output_size=None) -> Tensor:
    """The partial inverse of :func:`max_pool3d`: each value goes to its flat index in a
    zero volume, ``(N, C, D, H, W) -> (N, C, D', H', W')`` with
    ``D' = (D - 1)·stride - 2·padding + kernel`` (or ``output_size``)."""
    op_name = "max_unpool3d"
    xb, shape = _float_volume(input, op_name)
    idx = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
    if idx.dtype.kind not in "iu" or tuple(idx.shape) != shape:
        raise (ValueError if idx.dtype.kind in "iu" else TypeError)(
            f"{op_name}: indices must be integers with the input's shape {shape} (as "
            f"max_pool3d returns them), got {idx.dtype} of shape {tuple(idx.shape)}")
    kernel = pair(kernel_size, 3, "kernel_size", op_name)
    stride = kernel if stride is None else pair(stride, 3, "stride", op_name)
    padding = pair(padding, 3, "padding", op_name)
    default = tuple((n - 1) * s - 2 * p + k
                    for n, s, p, k in zip(xb.shape[2:], stride, padding, kernel))
    size = default
    if output_size is not None:
        size = tuple(int(o) for o in getattr(output_size, "shape", output_size))[-3:]
        lo = tuple(d - s for d, s in zip(default, stride))
        hi = tuple(d + s for d, s in zip(default, stride))
        if len(size) != 3 or any(not a < o < b for o, a, b in zip(size, lo, hi)):
            raise ValueError(f"{op_name}: output_size {tuple(output_size)} must give 3 sizes, "
                             f"each strictly between {lo} and {hi}")
    plane = prod(size)
    flat = idx.reshape(xb.shape).astype(np.int64, copy=False)
    if flat.size and (flat.min() < 0 or flat.max() >= plane):
        raise ValueError(f"{op_name}: an index ({int(flat.min())} to {int(flat.max())}) is "
                         f"out of range for an output volume {size} of {plane} elements")
    # The unpooling op works on flat planes: (D*H, W) is the same plane as (D, H, W).
    y = MaxUnpoolOp.apply(xb, flat, (size[0] * size[1], size[2]))
    return _finish(y.reshape(*xb.shape[:2], *size), shape, 3)
