"""Tensor factories with PyTorch's names: tensor, zeros, ones, full, arange, rand, ..."""

from __future__ import annotations

import functools

import numpy as np

from .backend import DEFAULT_FLOAT, xp
from .device import check_device
from .dtypes import to_numpy
from .random import resolve
from .tensor import Tensor

__all__ = [
    "tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange", "linspace", "logspace",
    "eye",
    "zeros_like", "ones_like", "full_like", "empty_like", "rand", "randn", "randint", "rand_like",
    "randn_like", "randint_like", "randperm",
]


def _on_cpu(factory):
    """Accept PyTorch's ``device=`` (the CPU only; anything else raises) and
    ``pin_memory=`` (nothing to pin without a GPU) on a factory."""

    @functools.wraps(factory)
    def wrapper(*args, device=None, pin_memory: bool = False, **kwargs):
        if device is not None:
            check_device(device, f"{factory.__name__}()")
        return factory(*args, **kwargs)

    return wrapper


def _shape(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"sizes must be non-negative integers, got {size}")
    return tuple(int(n) for n in size)


def _dtype(dtype, default=None):
    """A NumPy dtype from any dtype spelling (``gn.float64``, ``np.int64``, ``float``);
    None gives ``default``, or the default float dtype (read now: it can be changed)."""
    if dtype is None:
        return np.dtype(DEFAULT_FLOAT if default is None else default)
    return to_numpy(dtype)


def _make(arr, requires_grad: bool) -> Tensor:
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


@_on_cpu
def tensor(data, dtype=None, requires_grad: bool = False, name: str | None = None) -> Tensor:
    """A new tensor holding a copy of ``data``; Python floats become float32. ``name``
    labels it in explanations and graph views."""
    if isinstance(data, Tensor):
        data = data.data
    t = Tensor(data, dtype=dtype, requires_grad=requires_grad, name=name)
    if isinstance(data, np.ndarray) and t.data is data:
        t.data = data.copy()
    return t


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with ``array`` (no copy)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor(array)


@_on_cpu
def zeros(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _make(xp.zeros(_shape(size), _dtype(dtype)), requires_grad)


@_on_cpu
def ones(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _make(xp.ones(_shape(size), _dtype(dtype)), requires_grad)


@_on_cpu
def empty(*size, dtype=None, requires_grad: bool = False) -> Tensor:
    return _make(xp.empty(_shape(size), _dtype(dtype)), requires_grad)


@_on_cpu
def full(size, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    if dtype is None:
        dtype = (np.bool_ if isinstance(fill_value, bool) else
                 np.int64 if isinstance(fill_value, int) else DEFAULT_FLOAT)
    return _make(xp.full(_shape((size,)), fill_value, _dtype(dtype)), requires_grad)


def _like(t, dtype):
    return np.dtype(dtype) if dtype is not None else xp.asarray(t).dtype


@_on_cpu
def zeros_like(t, dtype=None, requires_grad: bool = False) -> Tensor:
    return _make(xp.zeros(np.shape(t), _like(t, dtype)), requires_grad)


@_on_cpu
def empty_like(t, dtype=None, requires_grad: bool = False) -> Tensor:
    return _make(xp.empty(np.shape(t), _like(t, dtype)), requires_grad)


@_on_cpu
def ones_like(t, dtype=None, requires_grad: bool = False) -> Tensor:
    return _make(xp.ones(np.shape(t), _like(t, dtype)), requires_grad)


@_on_cpu
def full_like(t, fill_value, dtype=None, requires_grad: bool = False) -> Tensor:
    return _make(xp.full(np.shape(t), fill_value, _like(t, dtype)), requires_grad)


@_on_cpu
def arange(start, end=None, step=1, dtype=None, requires_grad: bool = False) -> Tensor:
    """Like PyTorch: integers give int64, any float argument gives float32."""
    if end is None:
        start, end = 0, start
    if step == 0:
        raise ValueError("arange: step must be non-zero")
    if dtype is None:
        floats = any(isinstance(v, float) for v in (start, end, step))
        dtype = DEFAULT_FLOAT if floats else np.int64
    return _make(xp.arange(start, end, step, dtype=np.dtype(dtype)), requires_grad)


@_on_cpu
def linspace(start, end, steps: int, dtype=None, requires_grad: bool = False) -> Tensor:
    return _make(xp.linspace(start, end, int(steps), dtype=_dtype(dtype)), requires_grad)


@_on_cpu
def logspace(start, end, steps: int, base: float = 10.0, dtype=None,
             requires_grad: bool = False) -> Tensor:
    """``steps`` points from base**start to base**end, evenly spaced in the exponent."""
    return _make(xp.logspace(start, end, int(steps), base=base).astype(_dtype(dtype)),
                 requires_grad)


@_on_cpu
def eye(n: int, m: int | None = None, dtype=None, requires_grad: bool = False) -> Tensor:
    return _make(xp.eye(n, m, dtype=_dtype(dtype)), requires_grad)


@_on_cpu
def rand(*size, generator=None, dtype=None, requires_grad: bool = False) -> Tensor:
    """Uniform on [0, 1)."""
    arr = resolve(generator).random(_shape(size), dtype=np.float64).astype(_dtype(dtype))
    return _make(arr, requires_grad)


@_on_cpu
def randn(*size, generator=None, dtype=None, requires_grad: bool = False) -> Tensor:
    """Standard normal."""
    arr = resolve(generator).standard_normal(_shape(size)).astype(_dtype(dtype))
    return _make(arr, requires_grad)


@_on_cpu
def rand_like(t, generator=None, dtype=None) -> Tensor:
    return rand(np.shape(t), generator=generator, dtype=dtype or _like(t, None))


@_on_cpu
def randn_like(t, generator=None, dtype=None) -> Tensor:
    return randn(np.shape(t), generator=generator, dtype=dtype or _like(t, None))


@_on_cpu
def randint(low, high=None, size=(), generator=None, dtype=None) -> Tensor:
    """Integers uniform on [low, high) (``randint(high, size)`` also works)."""
    if high is None:
        low, high = 0, low
    if isinstance(high, tuple):
        low, high, size = 0, low, high
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    arr = resolve(generator).integers(low, high, size=tuple(size)).astype(_dtype(dtype, np.int64))
    return Tensor._wrap(arr)


@_on_cpu
def randint_like(t, low, high=None, generator=None, dtype=None) -> Tensor:
    """Integers uniform on [low, high) in ``t``'s shape and dtype (``randint_like(t, high)``
    also works)."""
    if high is None:
        low, high = 0, low
    return randint(low, high, np.shape(t), generator=generator, dtype=dtype or _like(t, None))


@_on_cpu
def randperm(n: int, generator=None) -> Tensor:
    return Tensor._wrap(resolve(generator).permutation(int(n)).astype(np.int64))


def as_tensor(data, dtype=None, device=None) -> Tensor:
    """``data`` as a Tensor, sharing memory where possible: a Tensor of the same dtype is
    returned as it is, a NumPy array of the same dtype is wrapped without a copy; anything
    else is converted as :func:`tensor` does."""
    if device is not None:
        check_device(device, "as_tensor")
    dt = None if dtype is None else to_numpy(dtype, "as_tensor")
    if isinstance(data, Tensor):
        return data if dt is None or dt == data.data.dtype else data.to(dt)
    if isinstance(data, np.ndarray) and (dt is None or dt == data.dtype):
        return Tensor(data)
    return Tensor(data, dtype=dt)


def is_tensor(obj) -> bool:
    """Is ``obj`` a glassnet Tensor?"""
    return isinstance(obj, Tensor)


def numel(input) -> int:  # noqa: A002 - PyTorch's name
    """The number of elements of a Tensor."""
    if not isinstance(input, Tensor):
        raise TypeError(f"numel: expected a Tensor, got {type(input).__name__}")
    return int(input.data.size)
