"""Pooling: max, average and adaptive average, over 1-D and 2-D windows.

Max and average pooling loop over the ``KH*KW`` kernel offsets (never over pixels): each
offset reads one strided slice of the padded input, the same slices convolution uses.
Max pooling keeps, per output, the offset of the first maximum in row-major window
order (PyTorch's choice on ties) and its backward scatters ``gy`` there alone.
Adaptive average pooling is two small matrix products, ``P_h @ x @ P_w.T``, whose rows
average PyTorch's bins ``[floor(i*H/OH), ceil((i+1)*H/OH))``.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function, Local
from ..backend import xp
from ..tensor import Tensor
from ._registry import op
from .conv import conv_output_size, kernel_offsets, pair

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool2d",
           "adaptive_avg_pool1d"]


def _slices(KH, KW, OH, OW, stride, dilation):
    """Each kernel offset as ``(k = i*KW + j, row slice, column slice)``."""
    for i, j, hs, ws in kernel_offsets(KH, KW, OH, OW, stride, dilation):
        yield i * KW + j, hs, ws


def _pad_const(x, p: tuple, value):
    ph, pw = p
    if not (ph or pw):
        return x
    N, C, H, W = x.shape
    out = xp.full((N, C, H + 2 * ph, W + 2 * pw), value, dtype=x.dtype)
    out[:, :, ph:ph + H, pw:pw + W] = x
    return out


class WindowMax(Function):
    """y[n, c, h, w] = max over the window; gx gets gy at the window's (first) argmax.

    ``(N, C, H, W) -> (N, C, OH, OW)``.
    """

    name, formula = "max_pool2d", "[{0} is the window's max]"

    def forward(self, x, kernel, stride, padding, dilation, out_hw):
        KH, KW = kernel
        OH, OW = out_hw
        xpad = _pad_const(x, padding, -np.inf)
        y = idx = None
        code = np.int8 if KH * KW <= 127 else np.int32
        for k, hs, ws in _slices(KH, KW, OH, OW, stride, dilation):
            v = xpad[:, :, hs, ws]
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
        self.geom = (x.shape, kernel, stride, padding, dilation, out_hw)
        return y

    def backward(self, gy):
        xshape, (KH, KW), stride, (ph, pw), dilation, (OH, OW) = self.geom
        N, C, H, W = xshape
        idx = self.idx
        Hp, Wp = H + 2 * ph, W + 2 * pw
        # Non-overlapping windows that tile the input: every element is written once.
        tiles = (stride == (KH, KW) and dilation == (1, 1) and OH * KH == Hp and OW * KW == Wp)
        gx = (xp.empty if tiles else xp.zeros)((N, C, Hp, Wp), dtype=gy.dtype)
        zero = gy.dtype.type(0)
        for k, hs, ws in _slices(KH, KW, OH, OW, stride, dilation):
            if tiles:
                xp.multiply(gy, idx == k, out=gx[:, :, hs, ws])
            else:
                gx[:, :, hs, ws] += xp.where(idx == k, gy, zero)
        if ph or pw:
            gx = xp.ascontiguousarray(gx[:, :, ph:ph + H, pw:pw + W])
        return gx


class WindowMean(Function):
    """y = (Σ over the window) / count; gx spreads gy / count over each window.

    ``count`` is ``KH*KW`` with ``count_include_pad`` (padding zeros count), otherwise the
    number of real input elements under the window. ``(N, C, H, W) -> (N, C, OH, OW)``.
    """

    name = "avg_pool2d"
    formula = Local(1.0, "1/count (count = elements in the window)", generic=True)

    def forward(self, x, kernel, stride, padding, count_include_pad, divisor, out_hw):
        KH, KW = kernel
        OH, OW = out_hw
        xpad = _pad_const(x, padding, 0)
        y = xp.zeros(x.shape[:2] + (OH, OW), dtype=x.dtype)
        for _, hs, ws in _slices(KH, KW, OH, OW, stride, (1, 1)):
            y += xpad[:, :, hs, ws]
        if divisor is not None:
            count = divisor
        elif count_include_pad or padding == (0, 0):
            count = KH * KW
        else:
            H, W = x.shape[2:]
            ph, pw = padding
            ones = xp.zeros((H + 2 * ph, W + 2 * pw), dtype=x.dtype)
            ones[ph:ph + H, pw:pw + W] = 1
            count = xp.zeros((OH, OW), dtype=x.dtype)
            for _, hs, ws in _slices(KH, KW, OH, OW, stride, (1, 1)):
                count += ones[hs, ws]
        y /= count
        self.count = count
        self.geom = (x.shape, kernel, stride, padding, out_hw)
        return y

    def backward(self, gy):
        xshape, (KH, KW), stride, (ph, pw), (OH, OW) = self.geom
        N, C, H, W = xshape
        g = gy / self.count
        gx = xp.zeros((N, C, H + 2 * ph, W + 2 * pw), dtype=gy.dtype)
        for _, hs, ws in _slices(KH, KW, OH, OW, stride, (1, 1)):
            gx[:, :, hs, ws] += g
        return xp.ascontiguousarray(gx[:, :, ph:ph + H, pw:pw + W])


def _bins(size: int, out: int, dtype):
    """``(out, size)`` averaging matrix of PyTorch's adaptive bins."""
    i = np.arange(out)
    start = (i * size) // out
    end = -((-(i + 1) * size) // out)
    cols = np.arange(size)
    m = (cols >= start[:, None]) & (cols < end[:, None])
    return xp.asarray(m / (end - start)[:, None], dtype=dtype)


class BinMean(Function):
    """y = P_h @ x @ P_w.T with averaging matrices P; gx = P_h.T @ gy @ P_w.

    ``(N, C, H, W) -> (N, C, OH, OW)``.
    """

    name = "adaptive_avg_pool2d"
    formula = Local(1.0, "1/count (count = elements in the bin)", generic=True)

    def forward(self, x, out_hw):
        H, W = x.shape[2:]
        OH, OW = out_hw
        if (OH, OW) == (1, 1):
            self.global_ = True
            self.xshape = x.shape
            return x.mean(axis=(2, 3), keepdims=True)
        self.global_ = False
        self.ph, self.pw = _bins(H, OH, x.dtype), _bins(W, OW, x.dtype)
        return xp.matmul(self.ph, xp.matmul(x, self.pw.T))

    def backward(self, gy):
        if self.global_:
            N, C, H, W = self.xshape
            return xp.broadcast_to(gy / (H * W), self.xshape).copy()
        return xp.matmul(self.ph.T, xp.matmul(gy, self.pw))


# --- user-facing functions ------------------------------------------------------------


def _prepare(x, nd: int, op: str):
    """``x`` as a 4-D Tensor plus how to undo it: 1-D ops work on (N, C, 1, L)."""
    if not isinstance(x, Tensor):
        x = Tensor(x)
    shape = tuple(x.shape)
    if x.ndim == nd + 1:
        x = x.reshape(1, *shape)
    elif x.ndim != nd + 2:
        dims = "(N, C, L)" if nd == 1 else "(N, C, H, W)"
        raise ValueError(f"{op}: expected a {nd + 2}-D input {dims} (or {nd + 1}-D unbatched), "
                         f"got shape {shape}")
    if nd == 1:
        x = x.reshape(x.shape[0], x.shape[1], 1, x.shape[2])
    return x, shape


def _finish(y: Tensor, shape: tuple, nd: int) -> Tensor:
    if nd == 1:
        y = y.reshape(y.shape[0], y.shape[1], y.shape[3])
    if len(shape) == nd + 1:
        y = y.reshape(*y.shape[1:])
    return y


def _geometry(x, nd, kernel_size, stride, padding, dilation, op):
    kernel = pair(kernel_size, nd, "kernel_size", op)
    stride = kernel if stride is None or stride == () else pair(stride, nd, "stride", op)
    padding = pair(padding, nd, "padding", op)
    dilation = pair(dilation, nd, "dilation", op)
    if any(k < 1 for k in kernel):
        raise ValueError(f"{op}: kernel_size must be positive, got {kernel}")
    if any(s < 1 for s in stride):
        raise ValueError(f"{op}: stride must be positive, got {stride}")
    if any(p < 0 or 2 * p > k for p, k in zip(padding, kernel)):
        raise ValueError(f"{op}: padding must be between 0 and half the kernel size "
                         f"{kernel}, got {padding}")
    spatial = tuple(x.shape[-nd:])
    out = tuple(conv_output_size(s, k, st, d, (p, p))
                for s, k, st, d, p in zip(spatial, kernel, stride, dilation, padding))
    if any(o < 1 for o in out):
        raise ValueError(f"{op}: kernel size {kernel} (dilation {dilation}) is larger than "
                         f"the padded input {tuple(s + 2 * p for s, p in zip(spatial, padding))}")
    if nd == 1:
        return (1,) + kernel, (1,) + stride, (0,) + padding, (1,) + dilation, (1,) + out
    return kernel, stride, padding, dilation, out


def _max_pool(x, nd, kernel_size, stride, padding, dilation, ceil_mode, return_indices, op):
    if ceil_mode or return_indices:  # the pooling that also records where each max was
        from .spatial_extra import max_pool1d_with_indices, max_pool2d_with_indices

        pool = max_pool2d_with_indices if nd == 2 else max_pool1d_with_indices
        out, idx = pool(x, kernel_size, stride, padding, dilation, ceil_mode)
        return (out, idx) if return_indices else out
    x4, shape = _prepare(x, nd, op)
    k, s, p, d, out = _geometry(x4, nd, kernel_size, stride, padding, dilation, op)
    return _finish(WindowMax.apply(x4, k, s, p, d, out), shape, nd)


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
    if ceil_mode:
        raise NotImplementedError(f"{op}: ceil_mode is not supported")
    if divisor_override is not None and divisor_override <= 0:
        raise ValueError(f"{op}: divisor_override must be positive, got {divisor_override}")
    x4, shape = _prepare(x, nd, op)
    k, s, p, _, out = _geometry(x4, nd, kernel_size, stride, padding, 1, op)
    y = WindowMean.apply(x4, k, s, p, bool(count_include_pad), divisor_override, out)
    return _finish(y, shape, nd)


@op(method=False, top=False, functional=True, records=WindowMean)
def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True, divisor_override=None) -> Tensor:
    """2-D average pooling: ``(N, C, H, W) -> (N, C, H', W')``. With ``count_include_pad``
    (the default) padded zeros count in the divisor."""
    return _avg_pool(input, 2, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     divisor_override, "avg_pool2d")


@op(method=False, top=False, functional=True, records=WindowMean)
def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,  # noqa: A002
               count_include_pad=True) -> Tensor:
    """1-D average pooling: ``(N, C, L) -> (N, C, L')``."""
    return _avg_pool(input, 1, kernel_size, stride, padding, ceil_mode, count_include_pad,
                     None, "avg_pool1d")


def _adaptive(x, nd, output_size, op):
    x4, shape = _prepare(x, nd, op)
    in_hw = tuple(x4.shape[2:])
    if nd == 1:
        out = (1,) + pair(output_size, 1, "output_size", op)
    else:
        if isinstance(output_size, (tuple, list)):
            out = tuple(in_hw[i] if o is None else int(o) for i, o in enumerate(output_size))
        else:
            out = pair(output_size, 2, "output_size", op)
    if len(out) != 2 or any(o < 1 for o in out):
        raise ValueError(f"{op}: output_size must be positive, got {output_size!r}")
    return _finish(BinMean.apply(x4, out), shape, nd)


@op(method=False, top=False, functional=True, records=BinMean)
def adaptive_avg_pool2d(input, output_size) -> Tensor:  # noqa: A002
    """Average pooling to a fixed ``output_size``: ``(N, C, H, W) -> (N, C, OH, OW)`` with
    PyTorch's bins; ``output_size=1`` is global average pooling."""
    return _adaptive(input, 2, output_size, "adaptive_avg_pool2d")


@op(method=False, top=False, functional=True, records=BinMean)
def adaptive_avg_pool1d(input, output_size) -> Tensor:  # noqa: A002
    """``(N, C, L) -> (N, C, OL)`` with PyTorch's bins."""
    return _adaptive(input, 1, output_size, "adaptive_avg_pool1d")
