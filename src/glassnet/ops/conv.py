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

1-D convolution is the 2-D one with a height of 1.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function, Local
from ..backend import xp
from ..tensor import Tensor
from ._registry import op
from ._util import check_dtypes

__all__ = ["conv1d", "conv2d", "conv_output_size", "pair", "pad_pairs"]


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


def _pad(x, pads: tuple):
    """Zero-pad the last two axes of ``x`` (one allocation, one copy; none if no padding)."""
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return x
    N, C, H, W = x.shape
    out = xp.zeros((N, C, H + pt + pb, W + pl + pr), dtype=x.dtype)
    out[:, :, pt:pt + H, pl:pl + W] = x
    return out


def kernel_offsets(KH, KW, OH, OW, stride, dilation):
    """Each kernel offset ``(i, j)`` with the (row, col) slices of the padded input it reads."""
    sh, sw = stride
    dh, dw = dilation
    for i in range(KH):
        hs = slice(i * dh, i * dh + sh * (OH - 1) + 1, sh)
        for j in range(KW):
            yield i, j, hs, slice(j * dw, j * dw + sw * (OW - 1) + 1, sw)


def im2col(xpad, KH, KW, OH, OW, stride, dilation):
    """``(N, C, Hp, Wp) -> (C, KH, KW, N, OH, OW)``: the receptive fields as columns."""
    N, C = xpad.shape[:2]
    cols = xp.empty((C, KH, KW, N, OH, OW), dtype=xpad.dtype)
    xt = xpad.transpose(1, 0, 2, 3)
    for i, j, hs, ws in kernel_offsets(KH, KW, OH, OW, stride, dilation):
        cols[:, i, j] = xt[:, :, hs, ws]
    return cols


def col2im(gcols, xshape, pads, KH, KW, OH, OW, stride, dilation):
    """The adjoint of :func:`im2col`: ``(C, KH, KW, N, OH, OW) -> (N, C, H, W)``."""
    N, C, H, W = xshape
    (pt, pb), (pl, pr) = pads
    # Accumulate channel-major so every add reads a contiguous block of gcols, then
    # transpose once at the end.
    g = xp.zeros((C, N, H + pt + pb, W + pl + pr), dtype=gcols.dtype)
    for i, j, hs, ws in kernel_offsets(KH, KW, OH, OW, stride, dilation):
        g[:, :, hs, ws] += gcols[:, i, j]
    return xp.ascontiguousarray(g[:, :, pt:pt + H, pl:pl + W].transpose(1, 0, 2, 3))


# At stride 1 there is a faster lowering. Flatten each padded image row-major (width Wp):
# kernel offset (i, j) then reads the *contiguous* run starting at i*dh*Wp + j*dw of length
# OH*Wp, i.e. an output grid OH x Wp whose last Wp - OW columns are junk that is computed
# and dropped. The GEMM grows by Wp/OW (14% for a 3x3 kernel on 14x14) but im2col and
# col2im become copies of long runs instead of rows of OW elements: several times faster.
# The junk columns get a zero output gradient, so they add nothing to gW or gx.


def _flat_padded(x, pads, extra):
    """``(N, C, H, W) -> (C, N, Hp*Wp + extra)``: zero-padded, channel-major, flattened."""
    N, C, H, W = x.shape
    (pt, pb), (pl, pr) = pads
    Hp, Wp = H + pt + pb, W + pl + pr
    buf = xp.zeros((C, N, Hp * Wp + extra), dtype=x.dtype)
    buf[:, :, :Hp * Wp].reshape(C, N, Hp, Wp)[:, :, pt:pt + H, pl:pl + W] = \
        x.transpose(1, 0, 2, 3)
    return buf


def im2col_wide(x, pads, KH, KW, OH, Wp, dilation):
    """``(N, C, H, W) -> (C, KH, KW, N, OH*Wp)`` at stride 1 (see the note above)."""
    N, C = x.shape[:2]
    dh, dw = dilation
    buf = _flat_padded(x, pads, dw * (KW - 1))
    L = OH * Wp
    cols = xp.empty((C, KH, KW, N, L), dtype=x.dtype)
    for i in range(KH):
        for j in range(KW):
            off = i * dh * Wp + j * dw
            cols[:, i, j] = buf[:, :, off:off + L]
    return cols


def col2im_wide(gcols, xshape, pads, KH, KW, OH, Wp, dilation):
    """The adjoint of :func:`im2col_wide`: ``(C, KH, KW, N, OH*Wp) -> (N, C, H, W)``."""
    N, C, H, W = xshape
    (pt, pb), (pl, pr) = pads
    dh, dw = dilation
    Hp = H + pt + pb
    L = OH * Wp
    g = xp.zeros((C, N, Hp * Wp + dw * (KW - 1)), dtype=gcols.dtype)
    for i in range(KH):
        for j in range(KW):
            off = i * dh * Wp + j * dw
            g[:, :, off:off + L] += gcols[:, i, j]
    g = g[:, :, :Hp * Wp].reshape(C, N, Hp, Wp)[:, :, pt:pt + H, pl:pl + W]
    return xp.ascontiguousarray(g.transpose(1, 0, 2, 3))


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

    ``(N, C, H, W), (O, C/g, KH, KW), (O,) -> (N, O, OH, OW)``; a 3-D input and weight
    are the 1-D case. gx is col2im(W.T @ gy), gW = gy @ cols.T, gb = Σ gy.
    """

    name = "conv2d"
    formula = (Local(1.0, "W[o, c, i, j] (summed over the windows that use this input)",
                     generic=True),
               Local(1.0, "x_pad[n, c, s·h + d·i, s·w + d·j]", generic=True), 1.0)

    def forward(self, x, weight, bias, stride, pads, dilation, groups):
        x, weight, one_d = as_2d_operands(x, weight)
        dtype = x.dtype
        N, C, H, W = x.shape
        O, Cg, KH, KW = weight.shape
        OH = conv_output_size(H, KH, stride[0], dilation[0], pads[0])
        OW = conv_output_size(W, KW, stride[1], dilation[1], pads[1])
        wide = stride == (1, 1)
        if wide:
            OWc = W + pads[1][0] + pads[1][1]  # the computed grid is OH x Wp
            cols = im2col_wide(x, pads, KH, KW, OH, OWc, dilation)
        else:
            OWc = OW
            cols = im2col(_pad(x, pads), KH, KW, OH, OW, stride, dilation)
        L = N * OH * OWc
        K = Cg * KH * KW
        if groups == 1:
            out = weight.reshape(O, K) @ cols.reshape(K, L)
        else:
            out = xp.matmul(weight.reshape(groups, O // groups, K), cols.reshape(groups, K, L))
        out = out.reshape(O, L)
        if bias is not None:
            # In place on the contiguous GEMM output: three times faster than adding it
            # during the transposing copy below.
            out += bias.astype(dtype, copy=False)[:, None]
        y = xp.empty((N, O, OH, OW), dtype=dtype)
        y.transpose(1, 0, 2, 3)[...] = out.reshape(O, N, OH, OWc)[:, :, :, :OW]
        self.cols, self.weight = cols, weight
        self.geom = (x.shape, pads, KH, KW, OH, OW, OWc, stride, dilation, groups, one_d)
        return y.reshape(N, O, OW) if one_d else y

    def backward(self, gy):
        xshape, pads, KH, KW, OH, OW, OWc, stride, dilation, groups, one_d = self.geom
        cols, weight = self.cols, self.weight
        N, C = xshape[:2]
        O, Cg = weight.shape[:2]
        L = N * OH * OWc
        K = Cg * KH * KW
        need_x, need_w, need_b = self.needs_input_grad[:3]
        gy = gy.reshape(N, O, OH, OW).astype(weight.dtype, copy=False)
        gx = gW = gb = None
        # gy as the matrix (O, N*OH*OWc); junk columns of the wide grid get zeros.
        gyc = (xp.zeros if OWc != OW else xp.empty)((O, N, OH, OWc), dtype=weight.dtype)
        gyc[:, :, :, :OW] = gy.transpose(1, 0, 2, 3)
        gym = gyc.reshape(O, L)
        if need_b:
            gb = gym.sum(axis=1)  # contiguous rows: faster than summing gy over (0, 2, 3)
        if groups == 1:
            if need_w:
                gW = (gym @ cols.reshape(K, L).T).reshape(weight.shape)
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
            if OWc != OW or stride == (1, 1):
                gcols = gcols.reshape(C, KH, KW, N, OH * OWc)
                gx = col2im_wide(gcols, xshape, pads, KH, KW, OH, OWc, dilation)
            else:
                gcols = gcols.reshape(C, KH, KW, N, OH, OW)
                gx = col2im(gcols, xshape, pads, KH, KW, OH, OW, stride, dilation)
            if one_d:
                gx = gx.reshape(xshape[0], xshape[1], xshape[3])
        if gW is not None and one_d:
            gW = gW.reshape(O, Cg, KW)
        return gx, gW, gb


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
        dims = "(N, C, L)" if nd == 1 else "(N, C, H, W)"
        raise ValueError(f"{op}: expected a {nd + 2}-D input {dims} (or {nd + 1}-D unbatched), "
                         f"got shape {tuple(x.shape)}")
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
