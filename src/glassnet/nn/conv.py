"""Convolution layers: ``Conv1d``, ``Conv2d``, ``Conv3d`` and their transposes with
PyTorch's arguments, weight shapes
and default initialisation (weight and bias uniform in ``±1/sqrt(fan_in)``, which is
``kaiming_uniform_(a=sqrt(5))`` for the weight)."""

from __future__ import annotations

import math

from ..backend import DEFAULT_FLOAT, xp
from ..ops.conv import batch_dims, pad_pairs, pair
from ..ops.conv_transpose import output_padding_for
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d"]


class _ConvNd(Module):
    _nd = 2
    _transposed = False  # weight (in, out/groups, k) instead of (out, in/groups, k)

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 dilation=1, groups: int = 1, bias: bool = True, padding_mode: str = "zeros",
                 device=None, dtype=None, generator=None):
        super().__init__()
        nd, name = self._nd, type(self).__name__
        if padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode='zeros' is supported, "
                             f"got {padding_mode!r}")
        if groups < 1 or in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels={in_channels} and out_channels="
                             f"{out_channels} must both be divisible by groups={groups}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = pair(kernel_size, nd, "kernel_size", name)
        self.stride = pair(stride, nd, "stride", name)
        self.dilation = pair(dilation, nd, "dilation", name)
        if any(k < 1 for k in self.kernel_size):
            raise ValueError(f"{name}: kernel_size must be positive, got {kernel_size}")
        if any(s < 1 for s in self.stride):
            raise ValueError(f"{name}: stride must be positive, got {stride}")
        if any(d < 1 for d in self.dilation):
            raise ValueError(f"{name}: dilation must be positive, got {dilation}")
        pad_pairs(padding, self.kernel_size, self.stride, self.dilation, name)  # validates
        self.padding = padding if isinstance(padding, str) else pair(padding, nd, "padding", name)
        self.padding_mode = padding_mode
        shape = ((in_channels, out_channels // groups) if self._transposed else
                 (out_channels, in_channels // groups)) + self.kernel_size
        dt = DEFAULT_FLOAT if dtype is None else dtype
        self.weight = Parameter(xp.empty(shape, dtype=dt))
        self.bias = Parameter(xp.empty(out_channels, dtype=dt)) if bias else None
        if not bias:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        """PyTorch's default: ``kaiming_uniform_(a=sqrt(5))`` for the weight, which is
        U(±1/sqrt(fan_in)), and the same bound for the bias (fan_in = C_in/groups * k)."""
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            fan_in = self.weight.data[0].size
            bound = 1.0 / math.sqrt(fan_in) if fan_in else 0.0
            init.uniform_(self.bias, -bound, bound, generator)

    def forward(self, input):  # noqa: A002
        self._check(input)
        return self._fn(input, self.weight, self.bias, self.stride, self.padding, self.dilation,
                        self.groups)

    def _check(self, x) -> None:
        nd = self._nd
        if x.ndim not in (nd + 1, nd + 2):
            raise ValueError(f"{self._describe()}: expected a {nd + 2}-D input "
                             f"{batch_dims(nd)} or a {nd + 1}-D unbatched one, got shape "
                             f"{tuple(x.shape)}")
        c = x.shape[-nd - 1]
        if c != self.in_channels:
            raise ValueError(f"{self._describe()}: expected input with {self.in_channels} "
                             f"channels, got {c} channels (input shape {tuple(x.shape)})")

    def _describe(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding not in ("valid", (0,) * self._nd):
            s += f", padding={self.padding!r}" if isinstance(self.padding, str) \
                else f", padding={self.padding}"
        if self.dilation != (1,) * self._nd:
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        return s


class Conv2d(_ConvNd):
    """2-D convolution: ``(N, C_in, H, W) -> (N, C_out, H', W')``.

    ``weight``: ``(out_channels, in_channels/groups, KH, KW)``; ``bias``: ``(out_channels,)``.
    A 3-D input ``(C_in, H, W)`` is one unbatched image (PyTorch's behaviour) and gives
    ``(C_out, H', W')``.
    """

    _nd = 2
    _fn = staticmethod(F.conv2d)


class Conv1d(_ConvNd):
    """1-D convolution: ``(N, C_in, L) -> (N, C_out, L')``; weight ``(C_out, C_in/groups, K)``.
    A 2-D input ``(C_in, L)`` is one unbatched sequence."""

    _nd = 1
    _fn = staticmethod(F.conv1d)


class Conv3d(_ConvNd):
    """3-D convolution: ``(N, C_in, D, H, W) -> (N, C_out, D', H', W')``.

    ``weight``: ``(out_channels, in_channels/groups, KD, KH, KW)``; ``bias``:
    ``(out_channels,)``. A 4-D input ``(C_in, D, H, W)`` is one unbatched volume.
    """

    _nd = 3
    _fn = staticmethod(F.conv3d)


class _ConvTransposeNd(_ConvNd):
    _transposed = True

    def __init__(self, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 output_padding=0, groups: int = 1, bias: bool = True, dilation=1,
                 padding_mode: str = "zeros", device=None, dtype=None, generator=None):
        name = type(self).__name__
        if isinstance(padding, str):
            raise ValueError(f"{name}: padding must be an int or a tuple, got {padding!r} "
                             f"(string padding is not supported for transposed convolution)")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype, generator)
        self.output_padding = pair(output_padding, self._nd, "output_padding", name)
        for o, s, d in zip(self.output_padding, self.stride, self.dilation):
            if o < 0 or (o >= s and o >= d):
                raise ValueError(f"{name}: output_padding must be smaller than either stride "
                                 f"or dilation, got output_padding={self.output_padding}, "
                                 f"stride={self.stride}, dilation={self.dilation}")

    def forward(self, input, output_size=None):  # noqa: A002
        self._check(input)
        return self._fn(input, self.weight, self.bias, self.stride, self.padding,
                        self._output_padding(input, output_size), self.groups, self.dilation)

    def _output_padding(self, input, output_size) -> tuple:  # noqa: A002
        if output_size is None:
            return self.output_padding
        return output_padding_for(output_size, tuple(input.shape[-self._nd:]),
                                  self.kernel_size, self.stride, self.padding, self.dilation,
                                  self._describe())

    def extra_repr(self) -> str:
        s = super().extra_repr()  # PyTorch's order: output_padding before groups and bias
        if self.output_padding != (0,) * self._nd:
            head, sep, tail = s.partition(", groups=") if ", groups=" in s else \
                s.partition(", bias=")
            s = f"{head}, output_padding={self.output_padding}{sep}{tail}"
        return s


class ConvTranspose2d(_ConvTransposeNd):
    """2-D transposed convolution: ``(N, C_in, H, W) -> (N, C_out, H', W')`` with
    ``H' = (H-1)·stride - 2·padding + dilation·(KH-1) + output_padding + 1``.

    ``weight``: ``(in_channels, out_channels/groups, KH, KW)``; ``bias``: ``(out_channels,)``.
    ``forward(input, output_size)`` picks the output_padding that gives ``output_size``.
    """

    _nd = 2
    _fn = staticmethod(F.conv_transpose2d)


class ConvTranspose1d(_ConvTransposeNd):
    """1-D transposed convolution: ``(N, C_in, L) -> (N, C_out, L')``; weight
    ``(in_channels, out_channels/groups, K)``."""

    _nd = 1
    _fn = staticmethod(F.conv_transpose1d)


class ConvTranspose3d(_ConvTransposeNd):
    """3-D transposed convolution: ``(N, C_in, D, H, W) -> (N, C_out, D', H', W')``; weight
    ``(in_channels, out_channels/groups, KD, KH, KW)``; ``forward(input, output_size)`` as
    in 2-D."""

    _nd = 3
    _fn = staticmethod(F.conv_transpose3d)
