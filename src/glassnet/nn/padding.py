"""Padding layers: modules around ``F.pad`` (constant, zero, reflection, replication and
circular padding of the last 1, 2 or 3 dims)."""

from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = [
    "ConstantPad1d", "ConstantPad2d", "ZeroPad1d", "ZeroPad2d", "ReflectionPad1d",
    "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d",
    "CircularPad2d", "ConstantPad3d", "ZeroPad3d", "ReflectionPad3d", "ReplicationPad3d",
    "CircularPad3d",
]

_SIDES = ("left, right", "left, right, top, bottom", "left, right, top, bottom, front, back")


def _expand(padding, nd: int, name: str) -> tuple:
    if isinstance(padding, int):
        return (padding,) * (2 * nd)
    padding = tuple(int(p) for p in padding)
    if len(padding) != 2 * nd:
        raise ValueError(f"{name}: padding must be an int or a tuple of {2 * nd} ints "
                         f"({_SIDES[nd - 1]}), got {padding}")
    return padding


class _Pad(Module):
    _nd = 2
    _mode = "constant"

    def __init__(self, padding) -> None:
        super().__init__()
        self.padding = _expand(padding, self._nd, type(self).__name__)

    def forward(self, input):  # noqa: A002
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ConstantPad2d(_Pad):
    """Pad the last two dims with ``value``: ``padding`` = (left, right, top, bottom)."""

    def __init__(self, padding, value: float) -> None:
        super().__init__(padding)
        self.value = value

    def forward(self, input):  # noqa: A002
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self) -> str:
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(ConstantPad2d):
    """Pad the last dim with ``value``: ``padding`` = (left, right)."""

    _nd = 1


class ZeroPad2d(ConstantPad2d):
    """Pad the last two dims with zeros: ``(N, C, H, W) -> (N, C, H + top + bottom,
    W + left + right)``."""

    def __init__(self, padding) -> None:
        super().__init__(padding, 0.0)

    def extra_repr(self) -> str:
        return f"{self.padding}"


class ZeroPad1d(ZeroPad2d):
    """Pad the last dim with zeros."""

    _nd = 1


class ReflectionPad2d(_Pad):
    """Pad the last two dims with their mirror image (the edge itself not repeated)."""

    _mode = "reflect"


class ReflectionPad1d(ReflectionPad2d):
    _nd = 1


class ReplicationPad2d(_Pad):
    """Pad the last two dims by repeating the edge values."""

    _mode = "replicate"


class ReplicationPad1d(ReplicationPad2d):
    _nd = 1


class CircularPad2d(_Pad):
    """Pad the last two dims by wrapping around (periodic boundary)."""

    _mode = "circular"


class CircularPad1d(CircularPad2d):
    _nd = 1


class ConstantPad3d(ConstantPad2d):
    """Pad the last three dims with ``value``: ``padding`` = (left, right, top, bottom,
    front, back)."""

    _nd = 3


class ZeroPad3d(ZeroPad2d):
    """Pad the last three dims with zeros: ``(N, C, D, H, W) -> (N, C, D + front + back,
    H + top + bottom, W + left + right)``."""

    _nd = 3


class ReflectionPad3d(ReflectionPad2d):
    """Pad the last three dims with their mirror image."""

    _nd = 3


class ReplicationPad3d(ReplicationPad2d):
    """Pad the last three dims by repeating the edge values."""

    _nd = 3


class CircularPad3d(CircularPad2d):
    """Pad the last three dims by wrapping around."""

    _nd = 3
