"""Devices: ``gn.device("cpu")``, the one place glassnet parses ``.to(...)`` arguments.

glassnet computes with NumPy on the CPU, so ``"cpu"`` is the only device. PyTorch code
that moves models and tensors (``model.to(device)``, ``x.cpu()``, ``torch.device("cuda" if
torch.cuda.is_available() else "cpu")``) runs unchanged because ``gn.cuda.is_available()``
honestly answers False; asking for another device is a clear error, never a pretend GPU.
"""

from __future__ import annotations

import numpy as np

__all__ = ["device", "parse_to", "check_device", "CPU"]

_KNOWN = ("cpu", "cuda", "mps", "xpu", "meta", "hip", "xla", "ipu", "hpu", "mtia")


class device:  # noqa: N801 - PyTorch's name
    """A device: ``device("cpu")``, ``device("cuda", 0)``, ``device("cuda:0")``.

    Any PyTorch device name can be described (so code that builds
    ``device("cuda" if cuda.is_available() else "cpu")`` works), but only ``"cpu"`` holds
    tensors; moving anything elsewhere raises.
    """

    __slots__ = ("type", "index")

    def __init__(self, type, index: int | None = None):  # noqa: A002 - PyTorch's name
        if isinstance(type, device):
            type, index = type.type, type.index if index is None else index
        if isinstance(type, (int, np.integer)) and not isinstance(type, bool):
            raise ValueError(f"device({type}): a bare index means a CUDA device, and glassnet "
                             f"runs on the CPU only")
        if not isinstance(type, str):
            raise TypeError(f"device: expected a string such as 'cpu', got "
                            f"{builtins_type(type).__name__}")
        name = type.strip()
        if ":" in name:
            name, _, idx = name.partition(":")
            if index is not None:
                raise ValueError(f"device({type!r}, {index}): the index is given twice")
            try:
                index = int(idx)
            except ValueError:
                raise ValueError(f"device: invalid device string {type!r}") from None
        if name not in _KNOWN:
            raise ValueError(f"device: unknown device type {name!r} (expected one of "
                             f"{', '.join(_KNOWN)})")
        if index is not None and index < 0:
            raise ValueError(f"device: the index must be non-negative, got {index}")
        self.type = name
        self.index = index

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __eq__(self, other) -> bool:
        if isinstance(other, str):
            try:
                other = device(other)
            except (ValueError, TypeError):
                return False
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __reduce__(self):
        return (device, (self.type, self.index))


builtins_type = type
CPU = device("cpu")


def check_device(d, what: str = "to()") -> device:
    """``d`` as a device, which must be the CPU (raises otherwise)."""
    dev = d if isinstance(d, device) else device(d)
    if dev.type != "cpu":
        raise RuntimeError(
            f"{what}: device {str(dev)!r} is not available: glassnet computes with NumPy on "
            f"the CPU only (gn.cuda.is_available() is False); use 'cpu'"
        )
    return CPU


def _is_device_like(a) -> bool:
    if isinstance(a, device):
        return True
    if isinstance(a, str):
        return a.split(":")[0].strip() in _KNOWN
    return False


def parse_to(args: tuple, kwargs: dict, what: str = "to()"):
    """The ``(device, dtype, copy)`` that ``.to(...)`` was asked for, PyTorch's forms:
    ``to(dtype)``, ``to(device)``, ``to(device, dtype)``, ``to(other_tensor)`` and the
    keywords ``device=``, ``dtype=``, ``non_blocking=``, ``copy=``, ``memory_format=``.
    ``device`` is checked (CPU only); ``dtype`` is a NumPy dtype or None."""
    from .dtypes import to_numpy

    kwargs = dict(kwargs)
    dev = kwargs.pop("device", None)
    dtype = kwargs.pop("dtype", None)
    copy = bool(kwargs.pop("copy", False))
    kwargs.pop("non_blocking", None)
    kwargs.pop("memory_format", None)
    if kwargs:
        raise TypeError(f"{what}: unexpected keyword argument(s) {sorted(kwargs)}")
    rest = list(args)
    if rest and hasattr(rest[0], "data") and hasattr(rest[0], "requires_grad"):  # a Tensor
        other = rest.pop(0)
        dtype, dev = other.data.dtype, "cpu"
    elif rest and (_is_device_like(rest[0]) or rest[0] is None):
        dev = rest.pop(0) if dev is None else dev
        if rest[0:1] == [None]:
            rest.pop(0)
    if rest and not isinstance(rest[0], bool):
        if dtype is not None:
            raise TypeError(f"{what}: dtype given twice")
        dtype = rest.pop(0)
    for extra in rest:  # non_blocking / copy given by position
        if not isinstance(extra, bool):
            raise TypeError(f"{what}: could not understand argument {extra!r}")
    if len(rest) >= 2:
        copy = rest[1]
    if dev is not None:
        check_device(dev, what)
    np_dtype = None if dtype is None else to_numpy(dtype, what)
    return (CPU if dev is not None else None), np_dtype, copy
