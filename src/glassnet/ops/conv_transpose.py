"""Transposed convolution ("deconvolution"): the adjoint of convolution, lowered to one
matrix product and *col2im*, with the helpers of ``ops/conv.py``.

A transposed convolution maps ``x (N, C_in, H, W)`` to ``y (N, C_out, H', W')`` so that
it is exactly the gradient of ``conv2d`` with respect to its input, where that conv2d
takes ``y``-shaped inputs to ``x``-shaped outputs with the same weight
``(C_in, C_out/groups, KH, KW)``, stride, padding and dilation. Hence:

* forward: ``cols = Wᵀ x`` (one GEMM per group, ``(C_out·KH·KW, N·H·W)``), then
  col2im scatter-adds every kernel offset's rows onto the output grid; plus the bias;
* backward: im2col of the padded ``gy`` gives the same columns a convolution of ``gy``
  would use, so ``gx = W cols`` (a plain convolution of ``gy``) and ``gW = x colsᵀ``.

``H' = (H - 1)·stride - 2·padding + dilation·(KH - 1) + output_padding + 1``;
``output_padding`` (smaller than the stride or the dilation) picks among the output sizes
that a strided convolution maps to the same ``H``. 1-D is the 2-D case with height 1;
3-D runs the same steps over ``(D, H, W)``.
"""

from __future__ import annotations

from math import prod

from ..autograd import Function, Local
from ..backend import xp
from ..tensor import Tensor
from ._registry import op
from ._util import check_dtypes
from .conv import _pad, as_2d_operands, col2im, conv_geometry, conv_operands, im2col, pair

__all__ = ["conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "conv_transpose_output_size",
           "output_padding_for"]


def conv_transpose_output_size(size: int, k: int, s: int, p: int, d: int, op_: int) -> int:
    return (size - 1) * s - 2 * p + d * (k - 1) + op_ + 1


class ConvolutionTranspose(Function):
    """y = col2im(Wᵀ x) + b: ``(N, C_in, H, W), (C_in, C_out/g, KH, KW), (C_out,)
    -> (N, C_out, H', W')``. gx = W · im2col(gy) (a convolution of gy), gW = x · im2col(gy)ᵀ,
    gb = Σ gy."""

    name = "conv_transpose2d"
    formula = (Local(1.0, "W[c, o, i, j] (summed over the outputs this input reaches)",
                     generic=True),
               Local(1.0, "x[n, c, h, w] at the output position s·h + d·i - p", generic=True),
               1.0)

    def forward(self, x, weight, bias, stride, padding, dilation, out_size, groups):
        x, weight, one_d = as_2d_operands(x, weight)
        dtype = x.dtype
        N, C = x.shape[:2]
        spatial, kernel = x.shape[2:], weight.shape[2:]
        Cg, Og = C // groups, weight.shape[1]
        O, K, L = Og * groups, Og * prod(kernel), N * prod(spatial)
        xm = xp.ascontiguousarray(x.swapaxes(0, 1)).reshape(groups, Cg, L)
        wg = weight.reshape(groups, Cg, K)
        cols = xp.matmul(wg.transpose(0, 2, 1), xm)  # (g, Og·prod(kernel), L)
        pads = tuple((p, p) for p in padding)
        yshape = (N, O) + tuple(out_size)
        y = col2im(cols.reshape((O,) + kernel + (N,) + spatial), yshape, pads, kernel, spatial,
                   stride, dilation)
        if bias is not None:
            y += bias.astype(dtype, copy=False).reshape((O,) + (1,) * len(spatial))
        self.xm, self.weight = xm, weight
        self.geom = (x.shape, yshape, pads, stride, dilation, groups, one_d)
        return y.reshape(N, O, out_size[-1]) if one_d else y

    def backward(self, gy):
        xshape, yshape, pads, stride, dilation, groups, one_d = self.geom
        weight, xm = self.weight, self.xm
        N, C = xshape[:2]
        spatial, kernel = xshape[2:], weight.shape[2:]
        Cg, Og = C // groups, weight.shape[1]
        K = Og * prod(kernel)
        need_x, need_w, need_b = self.needs_input_grad[:3]
        gy = gy.reshape(yshape).astype(weight.dtype, copy=False)
        gx = gW = gb = None
        if need_b:
            gb = gy.sum(axis=(0,) + tuple(range(2, gy.ndim)))
        if need_x or need_w:
            cols = im2col(_pad(gy, pads), kernel, spatial, stride, dilation)
            cols = cols.reshape(groups, K, N * prod(spatial))
            if need_x:
                gxm = xp.matmul(weight.reshape(groups, Cg, K), cols)
                gx = xp.ascontiguousarray(gxm.reshape((C, N) + spatial).swapaxes(0, 1))
                if one_d:
                    gx = gx.reshape(N, C, spatial[-1])
            if need_w:
                gW = xp.matmul(xm, cols.transpose(0, 2, 1)).reshape(weight.shape)
                if one_d:
                    gW = gW.reshape(weight.shape[0], Og, kernel[-1])
        return gx, gW, gb


def _conv_transpose(x, weight, bias, stride, padding, output_padding, groups, dilation,
                    nd: int, op_name: str) -> Tensor:
    x, weight, bias, unbatched = conv_operands(x, weight, bias, nd, op_name,
                                               "in_channels, out_channels/groups")
    stride, dilation, groups = conv_geometry(stride, dilation, groups, nd, op_name)
    padding = pair(padding, nd, "padding", op_name)
    out_pad = pair(output_padding, nd, "output_padding", op_name)
    if any(p < 0 for p in padding):
        raise ValueError(f"{op_name}: padding must be non-negative, got {padding}")
    C = x.shape[1]
    if weight.shape[0] != C:
        raise ValueError(f"{op_name}: expected input with {weight.shape[0]} channels "
                         f"(weight {tuple(weight.shape)} is (in_channels, out_channels/groups, "
                         f"kernel)), got {C} channels (input shape {tuple(x.shape)})")
    if C % groups:
        raise ValueError(f"{op_name}: in_channels={C} is not divisible by groups={groups}")
    O = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (O,):
        raise ValueError(f"{op_name}: bias must have shape ({O},), got {tuple(bias.shape)}")
    check_dtypes(op_name, x, weight=weight, bias=bias)
    kernel = tuple(weight.shape[2:])
    spatial = tuple(x.shape[2:])
    for o, s, d in zip(out_pad, stride, dilation):
        if o < 0 or (o >= s and o >= d):
            raise ValueError(f"{op_name}: output_padding must be non-negative and smaller "
                             f"than either stride or dilation, got output_padding={out_pad}, "
                             f"stride={stride}, dilation={dilation}")
    out = tuple(conv_transpose_output_size(n, k, s, p, d, o) for n, k, s, p, d, o
                in zip(spatial, kernel, stride, padding, dilation, out_pad))
    if any(n < 1 for n in out):
        raise ValueError(f"{op_name}: the output size {out} is not positive (input "
                         f"{spatial}, kernel {kernel}, stride {stride}, padding {padding}, "
                         f"dilation {dilation})")
    if nd == 1:
        stride, padding, dilation, out = (1,) + stride, (0,) + padding, (1,) + dilation, \
            (1,) + out
    y = ConvolutionTranspose.apply(x, weight, bias, stride, padding, dilation, out, groups)
    return y.reshape(*y.shape[1:]) if unbatched else y


def output_padding_for(output_size, spatial, kernel, stride, padding, dilation, op_name):
    """The output_padding that makes a transposed convolution's output ``output_size``."""
    nd = len(spatial)
    size = tuple(int(v) for v in output_size)[-nd:]
    if len(size) != nd:
        raise ValueError(f"{op_name}: output_size must give {nd} spatial sizes, "
                         f"got {output_size!r}")
    out = []
    for want, n, k, s, p, d in zip(size, spatial, kernel, stride, padding, dilation):
        lo = conv_transpose_output_size(n, k, s, p, d, 0)
        hi = lo + max(s, d) - 1
        if not lo <= want <= hi:
            raise ValueError(f"{op_name}: requested output size {tuple(size)} is not "
                             f"reachable: each size must lie in [{lo}, {hi}] for input {spatial}")
        out.append(want - lo)
    return tuple(out)


@op(method=False, top=True, functional=True, records=ConvolutionTranspose)
def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,  # noqa: A002
                     groups=1, dilation=1) -> Tensor:
    """2-D transposed convolution: ``(N, C_in, H, W) -> (N, C_out, H', W')`` with weight
    ``(C_in, C_out/groups, KH, KW)`` and ``H' = (H-1)·stride - 2·padding +
    dilation·(KH-1) + output_padding + 1``. A 3-D input is one unbatched image."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 2, "conv_transpose2d")


@op(method=False, top=True, functional=True, records=ConvolutionTranspose)
def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,  # noqa: A002
                     groups=1, dilation=1) -> Tensor:
    """1-D transposed convolution: ``(N, C_in, L) -> (N, C_out, L')`` with weight
    ``(C_in, C_out/groups, K)``; a 2-D input is one unbatched sequence."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 1, "conv_transpose1d")


@op(method=False, top=True, functional=True, records=ConvolutionTranspose)
def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,  # noqa: A002
                     groups=1, dilation=1) -> Tensor:
    """3-D transposed convolution: ``(N, C_in, D, H, W) -> (N, C_out, D', H', W')`` with
    weight ``(C_in, C_out/groups, KD, KH, KW)``; every output size follows the 2-D rule.
    A 4-D input is one unbatched volume."""
    return _conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                           dilation, 3, "conv_transpose3d")
