"""Convolution (cross-correlation, as in PyTorch) lowered to one large matrix multiply.

Forward, for an input ``(N, C, H, W)`` and weight ``(O, C/groups, KH, KW)``:

1. pad the input once into a zeroed buffer;
2. *im2col*: copy, for every kernel offset ``(i, j)``, the strided slice of the padded
   input it sees into ``cols`` of shape ``(C, KH, KW, N, OH, OW)``, viewed as the matrix
   ``(C*KH*KW, N*OH*OW)``: one Python iteration per kernel offset, none per pixel;
3. one GEMM ``W (O, C*KH*KW) @ cols -> (O, N*OH*OW)`` (a stack of ``groups`` GEMMs when
   grouped), then one pass that adds the bias while transposing to ``(N, O, OH, OW)``.

At stride 1 the columns are cut from the flattened padded image instead (``im2col_wide``,
explained beside it): long contiguous copies, at the price of a slightly larger GEMM.

Backward, with ``gy`` laid out as the matrix ``(O, N*OH*OW)``:
``gW = gy @ cols.T``, ``gb = Σ gy``, ``gcols = W.T @ gy`` and *col2im*: each kernel
offset's rows of ``gcols`` are scatter-added back onto the slice of the padded input
they came from (slices of one offset never overlap, so ``+=`` on a strided view is exact).

1-D convolution is the 2-D one with a height of 1. 3-D convolution is the same lowering
with one more kernel axis: ``cols`` is ``(C, KD, KH, KW, N, OD, OH, OW)`` and every loop
runs over the ``KD*KH*KW`` kernel offsets.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import product
from math import prod

import numpy as np

from ..autograd import Function, Local
from ..backend import xp
from ..tensor import Tensor
from ._registry import op
from ._util import check_dtypes

__all__ = ["conv1d", "conv2d", "conv3d", "conv_output_size", "pair", "pad_pairs"]


def pair(v, n: int, what: str, op: str) -> tuple:
    """``v`` as a tuple of ``n`` ints (an int is repeated)."""
    if isinstance(v, (int, np.integer)):
        return (int(v),) * n
    t = tuple(int(a) for a in v)
    if len(t) != n:
        raise ValueError(f"{op}: {what} must be an int or a tuple of {n} ints, got {v!r}")
    return t


def pad_pairs(padding, kernel: tuple, stride: tuple, dilation: tuple, op: str) -> tuple:
    """Padding as ``((before, after), ...)`` per spatial dim.

    ``'valid'`` is no padding; ``'same'`` keeps the size at stride 1, putting the odd extra
    element of an even total (``dilation * (k - 1)``) after, as PyTorch does.
    """
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{op}: padding='same' is not supported for strided "
                                 f"convolutions (stride={stride}); use an integer padding")
            out = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                out.append((total // 2, total - total // 2))
            return tuple(out)
        raise ValueError(f"{op}: padding must be an int, a tuple, 'same' or 'valid', "
                         f"got {padding!r}")
    p = pair(padding, n, "padding", op)
    if any(a < 0 for a in p):
        raise ValueError(f"{op}: padding must be non-negative, got {padding!r}")
    return tuple((a, a) for a in p)


def conv_output_size(size: int, k: int, s: int, d: int, pads: tuple) -> int:
    return (size + pads[0] + pads[1] - d * (k - 1) - 1) // s + 1


_ALL2 = (slice(None), slice(None))


@lru_cache(maxsize=512)
def padding_geometry(spatial: tuple, pads: tuple) -> tuple:
    """``(padded, inner)``: the sizes of ``spatial`` padded by ``pads`` (``(before,
    after)`` per dim) and the index of the unpadded interior in an array
    ``(A, B, *padded)``. Cached: a layer asks for the same geometry on every call."""
    padded = tuple(n + a + b for n, (a, b) in zip(spatial, pads))
    return padded, _ALL2 + tuple(slice(a, a + n) for n, (a, _) in zip(spatial, pads))


def _pad(x, pads: tuple):
    """Zero-pad the spatial axes of ``x (N, C, *spatial)`` by ``((before, after), ...)``
    (one allocation, one copy; none if no padding)."""
    if not any(a or b for a, b in pads):
        return x
    padded, inner = padding_geometry(x.shape[2:], pads)
    out = xp.zeros(x.shape[:2] + padded, dtype=x.dtype)
    out[inner] = x
    return out


@lru_cache(maxsize=512)
def window_plan(kernel: tuple, out: tuple, stride: tuple, dilation: tuple) -> tuple:
    """Each kernel offset, row-major, as ``(index, slices, cols_at, x_at)``: its position
    in the kernel; per spatial dim, the strided slice of the padded input it reads for
    every output; and those as whole index tuples, ``cols_at`` into columns
    ``(C, *kernel, ...)`` and ``x_at`` into an array ``(A, B, *padded)``. Cached: a layer
    asks for the same plan on every call."""
    per_dim = [[(i, slice(i * d, i * d + s * (o - 1) + 1, s)) for i in range(k)]
               for k, o, s, d in zip(kernel, out, stride, dilation)]
    plan = []
    for combo in product(*per_dim):
        idx, sl = tuple(c[0] for c in combo), tuple(c[1] for c in combo)
        plan.append((idx, sl, (slice(None),) + idx, _ALL2 + sl))
    return tuple(plan)


def kernel_offsets(KH, KW, OH, OW, stride, dilation):
    """Each 2-D kernel offset ``(i, j)`` with the (row, col) slices of the padded input it
    reads (:func:`window_plan` for two dims)."""
    for (i, j), (hs, ws), _, _ in window_plan((KH, KW), (OH, OW), tuple(stride),
                                              tuple(dilation)):
        yield i, j, hs, ws


def im2col(xpad, kernel, out, stride, dilation):
    """``(N, C, *P) -> (C, *kernel, N, *out)``: the receptive fields as columns."""
    N, C = xpad.shape[:2]
    cols = xp.empty((C,) + tuple(kernel) + (N,) + tuple(out), dtype=xpad.dtype)
    xt = xpad.swapaxes(0, 1)
    for _, _, cols_at, x_at in window_plan(kernel, out, stride, dilation):
        cols[cols_at] = xt[x_at]
    return cols


def col2im(gcols, xshape, pads, kernel, out, stride, dilation):
    """The adjoint of :func:`im2col`: ``(C, *kernel, N, *out) -> (N, C, *spatial)``."""
    N, C = xshape[:2]
    padded, inner = padding_geometry(tuple(xshape[2:]), pads)
    # Accumulate channel-major so every add reads a contiguous block of gcols, then
    # transpose once at the end.
    g = xp.zeros((C, N) + padded, dtype=gcols.dtype)
    for _, _, cols_at, x_at in window_plan(kernel, out, stride, dilation):
        g[x_at] += gcols[cols_at]
    return xp.ascontiguousarray(g[inner].swapaxes(0, 1))


# At stride 1 there is a faster lowering. Flatten each padded image row-major (width Wp):
# kernel offset (i, j) then reads the *contiguous* run starting at i*dh*Wp + j*dw of length
# OH*Wp, i.e. an output grid OH x Wp whose last Wp - OW columns are junk that is computed
# and dropped. The GEMM grows by Wp/OW (14% for a 3x3 kernel on 14x14) but im2col and
# col2im become copies of long runs instead of rows of OW elements: several times faster.
# The junk columns get a zero output gradient, so they add nothing to gW or gx.
# With more spatial dims only the last two are flattened: a volume (D, H, W) is a stack of
# Dp flat planes, and offset (a, i, j) reads OD of them from plane a*dd, a run of OH*Wp each.


def _flat_padded(x, pads, extra):
    """``(N, C, *lead, H, W) -> (C, N, *lead_p, Hp*Wp + extra)``: zero-padded, channel-major,
    the last two dims flattened (with ``extra`` zeros after each flat plane)."""
    padded, inner = padding_geometry(x.shape[2:], pads)
    plane = padded[-2] * padded[-1]
    N, C = x.shape[:2]
    buf = xp.zeros((C, N) + padded[:-2] + (plane + extra,), dtype=x.dtype)
    buf[..., :plane].reshape((C, N) + padded)[inner] = x.swapaxes(0, 1)
    return buf


@lru_cache(maxsize=512)
def _wide_plan(kernel, out, Wp, dilation) -> tuple:
    """Each kernel offset of the wide lowering as ``(cols_at, buf_at)``: where its columns
    go and the index of the flat buffer they are read from (cached like :func:`window_plan`)."""
    lead = [[(i, slice(i * d, i * d + o)) for i in range(k)]
            for k, o, d in zip(kernel[:-2], out[:-2], dilation[:-2])]
    L = out[-2] * Wp
    (kh, kw), (dh, dw) = kernel[-2:], dilation[-2:]
    flat = [((i, j), slice(i * dh * Wp + j * dw, i * dh * Wp + j * dw + L))
            for i in range(kh) for j in range(kw)]
    plan = []
    for combo in product(*lead, flat):
        *head, (ij, fs) = combo
        idx = tuple(c[0] for c in head) + ij
        plan.append(((slice(None),) + idx, _ALL2 + tuple(c[1] for c in head) + (fs,)))
    return tuple(plan)


def im2col_wide(x, pads, kernel, out, Wp, dilation):
    """``(N, C, *spatial) -> (C, *kernel, N, *out[:-2], OH*Wp)`` at stride 1 (see above)."""
    N, C = x.shape[:2]
    buf = _flat_padded(x, pads, dilation[-1] * (kernel[-1] - 1))
    cols = xp.empty((C,) + tuple(kernel) + (N,) + tuple(out[:-2]) + (out[-2] * Wp,),
                    dtype=x.dtype)
    for cols_at, buf_at in _wide_plan(kernel, out, Wp, dilation):
        cols[cols_at] = buf[buf_at]
    return cols


def col2im_wide(gcols, xshape, pads, kernel, out, Wp, dilation):
    """The adjoint of :func:`im2col_wide`: ``(C, *kernel, N, *out[:-2], OH*Wp) ->
    (N, C, *spatial)``."""
    N, C = xshape[:2]
    padded, inner = padding_geometry(tuple(xshape[2:]), pads)
    plane = padded[-2] * Wp
    g = xp.zeros((C, N) + padded[:-2] + (plane + dilation[-1] * (kernel[-1] - 1),),
                 dtype=gcols.dtype)
    for cols_at, buf_at in _wide_plan(kernel, out, Wp, dilation):
        g[buf_at] += gcols[cols_at]
    g = g[..., :plane].reshape((C, N) + padded)[inner]
    return xp.ascontiguousarray(g.swapaxes(0, 1))


def as_2d_operands(x, weight):
    """Input and weight in one dtype, a 1-D case ``(N, C, L)`` lifted to 2-D ``(N, C, 1, L)``
    (and its weight likewise): ``(x, weight, one_d)``. Shared by conv and its transpose."""
    one_d = x.ndim == 3
    if one_d:
        x, weight = x[:, :, None, :], weight[:, :, None, :]
    dtype = np.result_type(x.dtype, weight.dtype)
    return xp.asarray(x, dtype=dtype), xp.ascontiguousarray(weight, dtype=dtype), one_d


class Convolution(Function):
    """y[n, o] = b[o] + Σ_{c, i, j} W[o, c, i, j] x_pad[n, c, s*h + d*i, s*w + d*j].

    ``(N, C, *S), (O, C/g, *K), (O,) -> (N, O, *S')`` for two or three spatial dims; a
    3-D input and weight are the 1-D case (lifted to height 1). gx is col2im(W.T @ gy),
    gW = gy @ cols.T, gb = Σ gy.
    """

    name = "conv2d"
    formula = (Local(1.0, "W[o, c, i, j] (summed over the windows that use this input)",
                     generic=True),
               Local(1.0, "x_pad[n, c, s·h + d·i, s·w + d·j]", generic=True), 1.0)

    def forward(self, x, weight, bias, stride, pads, dilation, groups):
        x, weight, one_d = as_2d_operands(x, weight)
        dtype = x.dtype
        N = x.shape[0]
        O, Cg = weight.shape[:2]
        kernel = weight.shape[2:]
        out = tuple(conv_output_size(n, k, s, d, p) for n, k, s, d, p
                    in zip(x.shape[2:], kernel, stride, dilation, pads))
        if all(s == 1 for s in stride):
            Wp = x.shape[-1] + pads[-1][0] + pads[-1][1]  # the computed grid is ... x OH x Wp
            grid = out[:-1] + (Wp,)
            cols = im2col_wide(x, pads, kernel, out, Wp, dilation)
        else:
            grid = out
            cols = im2col(_pad(x, pads), kernel, out, stride, dilation)
        L = N * prod(grid)
        K = Cg * prod(kernel)
        if groups == 1:
            y2 = weight.reshape(O, K) @ cols.reshape(K, L)
        else:
            y2 = xp.matmul(weight.reshape(groups, O // groups, K), cols.reshape(groups, K, L))
        y2 = y2.reshape(O, L)
        if bias is not None:
            # In place on the contiguous GEMM output: three times faster than adding it
            # during the transposing copy below.
            y2 += bias.astype(dtype, copy=False)[:, None]
        y = xp.empty((N, O) + out, dtype=dtype)
        y.swapaxes(0, 1)[...] = y2.reshape((O, N) + grid)[..., :out[-1]]
        self.cols, self.weight = cols, weight
        self.geom = (x.shape, pads, out, grid, stride, dilation, groups, one_d)
        return y.reshape(N, O, out[-1]) if one_d else y

    def backward(self, gy):
        xshape, pads, out, grid, stride, dilation, groups, one_d = self.geom
        cols, weight = self.cols, self.weight
        N, C = xshape[:2]
        O, Cg = weight.shape[:2]
        kernel = weight.shape[2:]
        L = N * prod(grid)
        K = Cg * prod(kernel)
        need_x, need_w, need_b = self.needs_input_grad[:3]
        gy = gy.reshape((N, O) + out).astype(weight.dtype, copy=False)
        gx = gW = gb = None
        # gy as the matrix (O, N*prod(grid)); junk columns of the wide grid get zeros.
        gyc = (xp.zeros if grid != out else xp.empty)((O, N) + grid, dtype=weight.dtype)
        gyc[..., :out[-1]] = gy.swapaxes(0, 1)
        gym = gyc.reshape(O, L)
        if need_b:
            gb = gym.sum(axis=1)  # contiguous rows: faster than summing gy over (0, 2, 3)
        if groups == 1:
            if need_w:
                cm = cols.reshape(K, L)
                # Both orders are one GEMM; with the long L as the shared dim, OpenBLAS is
                # several times faster (and steadier) when the larger of O and K is the
                # output's row count.
                gW = ((cm @ gym.T).T if K > O else gym @ cm.T).reshape(weight.shape)
            if need_x:
                gcols = weight.reshape(O, K).T @ gym
        else:
            gyg = gym.reshape(groups, O // groups, L)
            colsg = cols.reshape(groups, K, L)
            wg = weight.reshape(groups, O // groups, K)
            if need_w:
                gW = xp.matmul(gyg, colsg.transpose(0, 2, 1)).reshape(weight.shape)
            if need_x:
                gcols = xp.matmul(wg.transpose(0, 2, 1), gyg)
        if need_x:
            gcols = gcols.reshape(cols.shape)
            if all(s == 1 for s in stride):
                gx = col2im_wide(gcols, xshape, pads, kernel, out, grid[-1], dilation)
            else:
                gx = col2im(gcols, xshape, pads, kernel, out, stride, dilation)
            if one_d:
                gx = gx.reshape(xshape[0], xshape[1], xshape[3])
        if gW is not None and one_d:
            gW = gW.reshape(O, Cg, kernel[-1])
        return gx, gW, gb


def batch_dims(nd: int) -> str:
    """The layout of a batched input with ``nd`` spatial dims, for error messages."""
    return "(N, C, " + ("L", "H, W", "D, H, W")[nd - 1] + ")"


def _as_tensor(x):
    return x if isinstance(x, Tensor) else Tensor(x)


def conv_operands(x, weight, bias, nd: int, op: str, weight_dims: str):
    """Input, weight and bias as Tensors, checked, with a batch dim added to an unbatched
    input: ``(x, weight, bias, unbatched)``. Shared by convolution and its transpose."""
    x, weight = _as_tensor(x), _as_tensor(weight)
    if bias is not None:
        bias = _as_tensor(bias)
    if weight.ndim != nd + 2:
        raise ValueError(f"{op}: weight must have {nd + 2} dims ({weight_dims}, kernel), got "
                         f"shape {tuple(weight.shape)}")
    unbatched = x.ndim == nd + 1
    if unbatched:
        x = x.reshape(1, *x.shape)
    elif x.ndim != nd + 2:
        raise ValueError(f"{op}: expected a {nd + 2}-D input {batch_dims(nd)} (or {nd + 1}-D "
                         f"unbatched), got shape {tuple(x.shape)}")
    return x, weight, bias, unbatched


def conv_geometry(stride, dilation, groups, nd: int, op: str):
    """``stride`` and ``dilation`` as ``nd``-tuples and ``groups`` as an int, checked."""
    groups = int(groups)
    stride = pair(stride, nd, "stride", op)
    dilation = pair(dilation, nd, "dilation", op)
    if groups < 1:
        raise ValueError(f"{op}: groups must be a positive integer, got {groups}")
    if any(s < 1 for s in stride):
        raise ValueError(f"{op}: stride must be positive, got {stride}")
    if any(d < 1 for d in dilation):
        raise ValueError(f"{op}: dilation must be positive, got {dilation}")
    return stride, dilation, groups


def _conv(x, weight, bias, stride, padding, dilation, groups, nd: int, op: str) -> Tensor:
    x, weight, bias, unbatched = conv_operands(x, weight, bias, nd, op,
                                               "out_channels, in_channels/groups")
    stride, dilation, groups = conv_geometry(stride, dilation, groups, nd, op)
    O, Cg = weight.shape[:2]
    C = x.shape[1]
    if O % groups:
        raise ValueError(f"{op}: out_channels={O} is not divisible by groups={groups}")
    if Cg * groups != C:
        raise ValueError(f"{op}: expected input with {Cg * groups} channels "
                         f"(weight {tuple(weight.shape)}, groups={groups}), got {C} channels "
                         f"(input shape {tuple(x.shape)})")
    if bias is not None and tuple(bias.shape) != (O,):
        raise ValueError(f"{op}: bias must have shape ({O},), got {tuple(bias.shape)}")
    check_dtypes(op, x, weight=weight, bias=bias)
    kernel = tuple(weight.shape[2:])
    pads = pad_pairs(padding, kernel, stride, dilation, op)
    padded = tuple(s + a + b for s, (a, b) in zip(x.shape[2:], pads))
    if any(size < d * (k - 1) + 1 for size, k, d in zip(padded, kernel, dilation)):
        raise ValueError(f"{op}: kernel size {kernel} (dilation {dilation}) is larger than "
                         f"the padded input {padded}")
    if nd == 1:
        stride, dilation, pads = (1,) + stride, (1,) + dilation, ((0, 0),) + pads
    y = Convolution.apply(x, weight, bias, stride, pads, dilation, groups)
    return y.reshape(*y.shape[1:]) if unbatched else y


@op(method=False, top=False, functional=True, records=Convolution)
def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:  # noqa: A002
    """2-D cross-correlation: ``(N, C_in, H, W) -> (N, C_out, H', W')``.

    ``weight`` is ``(C_out, C_in/groups, KH, KW)``, ``bias`` ``(C_out,)`` or None;
    ``H' = (H + pad_top + pad_bottom - dilation*(KH-1) - 1) // stride + 1``. ``padding`` is
    an int, a pair, ``'valid'`` or ``'same'`` (stride 1 only). A 3-D input ``(C, H, W)``
    is treated as one unbatched image, as PyTorch does.
    """
    return _conv(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


@op(method=False, top=False, functional=True, records=Convolution)
def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:  # noqa: A002
    """1-D cross-correlation: ``(N, C_in, L) -> (N, C_out, L')`` with weight
    ``(C_out, C_in/groups, K)``; a 2-D input ``(C, L)`` is one unbatched sequence."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


@op(method=False, top=False, functional=True, records=Convolution)
def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1) -> Tensor:  # noqa: A002
    """3-D cross-correlation: ``(N, C_in, D, H, W) -> (N, C_out, D', H', W')`` with weight
    ``(C_out, C_in/groups, KD, KH, KW)``; every output size follows the 2-D rule. A 4-D
    input ``(C, D, H, W)`` is one unbatched volume."""
    return _conv(input, weight, bias, stride, padding, dilation, groups, 3, "conv3d")
