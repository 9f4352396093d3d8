"""Pooling layers: thin holders of the window geometry around the functional forms
(``glassnet.ops.pool``), for 1-D, 2-D and 3-D inputs."""

from __future__ import annotations

from . import functional as F
from .extra import AdaptiveMaxPool1d, MaxUnpool1d, _named
from .module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "MaxPool3d", "AvgPool1d", "AvgPool2d", "AvgPool3d",
           "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AdaptiveMaxPool3d",
           "MaxUnpool3d"]


class _MaxPoolNd(Module):
    _fn = staticmethod(F.max_pool2d)

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                 return_indices: bool = False, ceil_mode: bool = False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):  # noqa: A002
        return _named(self, self._fn, input, self.kernel_size, self.stride, self.padding,
                      self.dilation, self.ceil_mode, self.return_indices)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool2d(_MaxPoolNd):
    """Max over ``kernel_size`` windows: ``(N, C, H, W) -> (N, C, H', W')``; ``stride``
    defaults to ``kernel_size``."""


class MaxPool1d(_MaxPoolNd):
    """Max over windows of a sequence: ``(N, C, L) -> (N, C, L')``."""

    _fn = staticmethod(F.max_pool1d)


class MaxPool3d(_MaxPoolNd):
    """Max over ``kernel_size`` windows of a volume: ``(N, C, D, H, W) -> (N, C, D', H', W')``
    (or unbatched ``(C, D, H, W)``); ``return_indices`` also gives the flat argmaxes."""

    _fn = staticmethod(F.max_pool3d)


class _AvgPoolNd(Module):
    _fn = staticmethod(F.avg_pool2d)

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad, self.divisor_override = count_include_pad, divisor_override

    def forward(self, input):  # noqa: A002
        return _named(self, self._fn, input, self.kernel_size, self.stride, self.padding,
                      self.ceil_mode, self.count_include_pad, self.divisor_override)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(_AvgPoolNd):
    """Mean over ``kernel_size`` windows: ``(N, C, H, W) -> (N, C, H', W')``. Padded zeros
    count in the divisor unless ``count_include_pad=False``; ``ceil_mode`` keeps a last
    partial window that starts inside the input or its left padding."""


class AvgPool3d(_AvgPoolNd):
    """Mean over ``kernel_size`` windows of a volume: ``(N, C, D, H, W) ->
    (N, C, D', H', W')``; the arguments as in :class:`AvgPool2d`."""

    _fn = staticmethod(F.avg_pool3d)


class AvgPool1d(_AvgPoolNd):
    """Mean over windows of a sequence: ``(N, C, L) -> (N, C, L')``."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode: bool = False,
                 count_include_pad: bool = True):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)

    def forward(self, input):  # noqa: A002
        return _named(self, F.avg_pool1d, input, self.kernel_size, self.stride, self.padding,
                      self.ceil_mode, self.count_include_pad)


class AdaptiveAvgPool2d(Module):
    """Average to a fixed size: ``(N, C, H, W) -> (N, C, *output_size)``;
    ``AdaptiveAvgPool2d(1)`` is global average pooling."""

    _fn = staticmethod(F.adaptive_avg_pool2d)

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):  # noqa: A002
        return _named(self, self._fn, input, self.output_size)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(AdaptiveAvgPool2d):
    """Average a sequence to a fixed length: ``(N, C, L) -> (N, C, output_size)``."""

    _fn = staticmethod(F.adaptive_avg_pool1d)


class AdaptiveAvgPool3d(AdaptiveAvgPool2d):
    """Average a volume to a fixed size: ``(N, C, D, H, W) -> (N, C, *output_size)``;
    ``None`` keeps that input size; ``AdaptiveAvgPool3d(1)`` is global average pooling."""

    _fn = staticmethod(F.adaptive_avg_pool3d)


class AdaptiveMaxPool3d(AdaptiveMaxPool1d):
    """Max over adaptive bins of a volume: ``(N, C, D, H, W) -> (N, C, *output_size)``;
    ``return_indices`` also gives the flat argmaxes (for :class:`MaxUnpool3d`)."""

    def forward(self, input):  # noqa: A002
        return _named(self, F.adaptive_max_pool3d, input, self.output_size,
                      self.return_indices)


class MaxUnpool3d(MaxUnpool1d):
    """The partial inverse of :class:`MaxPool3d`: call with the pooled values and their
    indices, ``(N, C, D, H, W) -> (N, C, D', H', W')``."""

    _nd = 3

    def forward(self, input, indices, output_size=None):  # noqa: A002
        return _named(self, F.max_unpool3d, input, indices, self.kernel_size, self.stride,
                      self.padding, output_size)
