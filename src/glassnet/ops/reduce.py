"""Reductions over ``dim`` (an int, a tuple, or None for all) with ``keepdim``."""

from __future__ import annotations

import builtins
from collections import namedtuple

import numpy as np

from ..autograd import Function
from ..backend import xp
from ..tensor import Tensor
from ._util import norm_axis, norm_dim

MinMax = namedtuple("MinMax", ["values", "indices"])
"""What ``max(dim)`` and ``min(dim)`` return, as PyTorch's ``torch.return_types``."""


def _expand_back(gy, in_shape, axes, keepdim):
    """Spread a reduced gradient back over the reduced axes, as a new (writable) array."""
    if axes is not None and not keepdim:
        gy = gy.reshape(tuple(1 if i in axes else n for i, n in enumerate(in_shape)))
    gx = xp.empty(in_shape, gy.dtype)
    gx[...] = gy
    return gx


def _count(shape, axes) -> int:
    n = 1
    for i in range(len(shape)) if axes is None else axes:
        n *= shape[i]
    return n


class Sum(Function):
    def forward(self, x, axes, keepdim):
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        return x.sum(axis=axes, keepdims=keepdim)

    def backward(self, gy):
        return _expand_back(gy, self.shape, self.axes, self.keepdim)


class Mean(Function):
    def forward(self, x, axes, keepdim):
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        self.n = _count(x.shape, axes)
        # sum / n: NumPy's mean() does the same through a slower Python wrapper
        return x.sum(axis=axes, keepdims=keepdim) / self.n

    def backward(self, gy):
        return _expand_back(gy / self.n, self.shape, self.axes, self.keepdim)


class _Extreme(Function):
    """max/min over axes; ties share the gradient equally (PyTorch's amax/amin rule)."""

    reducer = staticmethod(np.max)

    def forward(self, x, axes, keepdim):
        y = xp.asarray(self.reducer(x, axis=axes, keepdims=True))
        self.x, self.yk, self.axes, self.keepdim = x, y, axes, keepdim
        return y if keepdim else (y.reshape(()) if axes is None else xp.squeeze(y, axes))

    def backward(self, gy):
        mask = self.x == self.yk
        count = mask.sum(axis=self.axes, keepdims=True)
        if self.axes is not None and not self.keepdim:
            gy = xp.expand_dims(gy, self.axes)
        elif self.axes is None:
            gy = xp.reshape(gy, (1,) * self.x.ndim)
        return mask * (gy / count)


class Max(_Extreme):
    reducer = staticmethod(np.max)


class Min(_Extreme):
    reducer = staticmethod(np.min)


class MaxAlong(Function):
    """max/min along one dim, routing the gradient to the returned index (PyTorch's rule)."""

    def forward(self, x, axis, keepdim, idx):
        self.shape, self.axis, self.keepdim, self.idx = x.shape, axis, keepdim, idx
        y = xp.take_along_axis(x, idx, axis)
        return y if keepdim else xp.squeeze(y, axis)

    def backward(self, gy):
        if not self.keepdim:
            gy = xp.expand_dims(gy, self.axis)
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        xp.put_along_axis(gx, self.idx, gy, self.axis)
        return gx


class Var(Function):
    """Variance with ``correction`` (1 = unbiased, PyTorch's default); d/dx = 2(x-μ)/(N-c)."""

    def forward(self, x, axes, keepdim, correction):
        n = _count(x.shape, axes)
        self.dof = builtins.max(n - correction, 0)  # max/min/sum are ops in this module
        mu = x.mean(axis=axes, keepdims=True)
        self.d = x - mu
        self.axes, self.keepdim, self.shape = axes, keepdim, x.shape
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.asarray((self.d * self.d).sum(axis=axes, keepdims=keepdim) / self.dof)

    def backward(self, gy):
        g = _expand_back(gy, self.shape, self.axes, self.keepdim)
        return g * self.d * (2.0 / self.dof)


class LogSumExp(Function):
    """log Σ exp(x), stable by subtracting the max; the gradient is softmax(x)."""

    def forward(self, x, axes, keepdim):
        m = x.max(axis=axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
        e = xp.exp(x - m)
        s = e.sum(axis=axes, keepdims=True)
        yk = xp.log(s) + m
        self.p = e / s
        self.axes, self.keepdim = axes, keepdim
        return yk if keepdim else (yk.reshape(()) if axes is None else xp.squeeze(yk, axes))

    def backward(self, gy):
        if not self.keepdim:
            gy = xp.expand_dims(gy, self.axes) if self.axes is not None else gy
        return gy * self.p


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def sum(x, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001 - PyTorch's name
    x = _t(x)
    return Sum.apply(x, norm_dim(dim, x.data.ndim, "sum"), keepdim)


def mean(x, dim=None, keepdim: bool = False) -> Tensor:
    x = _t(x)
    if x.data.dtype.kind != "f":
        raise TypeError(f"mean: needs a floating tensor, got dtype {x.data.dtype}")
    return Mean.apply(x, norm_dim(dim, x.data.ndim, "mean"), keepdim)


def _check_nonempty(x: Tensor, op: str):
    if x.data.size == 0:
        raise ValueError(f"{op}: the tensor is empty")


def amax(x, dim=None, keepdim: bool = False) -> Tensor:
    x = _t(x)
    _check_nonempty(x, "amax")
    return Max.apply(x, norm_dim(dim, x.data.ndim, "amax"), keepdim)


def amin(x, dim=None, keepdim: bool = False) -> Tensor:
    x = _t(x)
    _check_nonempty(x, "amin")
    return Min.apply(x, norm_dim(dim, x.data.ndim, "amin"), keepdim)


def _along(x: Tensor, dim, keepdim, arg, op):
    axis = norm_axis(int(dim), x.data.ndim, op)
    idx = xp.expand_dims(arg(x.data, axis=axis), axis)
    values = MaxAlong.apply(x, axis, keepdim, idx)
    indices = Tensor._wrap(idx if keepdim else xp.squeeze(idx, axis))
    return MinMax(values, indices)


def max(x, dim=None, keepdim: bool = False):  # noqa: A001 - PyTorch's name
    """The maximum of all elements, or with ``dim`` an int the pair (values, indices)."""
    x = _t(x)
    _check_nonempty(x, "max")
    if dim is None or not isinstance(dim, (int, np.integer)):
        return amax(x, dim, keepdim)
    return _along(x, dim, keepdim, xp.argmax, "max")


def min(x, dim=None, keepdim: bool = False):  # noqa: A001 - PyTorch's name
    x = _t(x)
    _check_nonempty(x, "min")
    if dim is None or not isinstance(dim, (int, np.integer)):
        return amin(x, dim, keepdim)
    return _along(x, dim, keepdim, xp.argmin, "min")


def _correction(unbiased, correction) -> int:
    if correction is not None:
        return int(correction)
    return 0 if unbiased is False else 1


def var(x, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    x = _t(x)
    c = _correction(unbiased, correction)
    return Var.apply(x, norm_dim(dim, x.data.ndim, "var"), keepdim, c)


def std(x, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    return var(x, dim, unbiased, keepdim, correction=correction).sqrt()


def logsumexp(x, dim, keepdim: bool = False) -> Tensor:
    x = _t(x)
    return LogSumExp.apply(x, norm_dim(dim, x.data.ndim, "logsumexp"), keepdim)


def norm(x, p=2, dim=None, keepdim: bool = False) -> Tensor:
    """The p-norm (p = 1, 2 or inf) over ``dim``."""
    x = _t(x)
    if p == 2:
        return sum(x * x, dim, keepdim).sqrt()
    if p == 1:
        return sum(x.abs(), dim, keepdim)
    if p in (float("inf"), "inf"):
        return amax(x.abs(), dim, keepdim)
    return sum(x.abs() ** p, dim, keepdim) ** (1.0 / p)


def _arg(x, dim, keepdim, fn, op):
    x = _t(x)
    _check_nonempty(x, op)
    if dim is None:
        r = xp.asarray(fn(x.data))
        return Tensor._wrap(r.reshape((1,) * x.data.ndim) if keepdim else r)
    axis = norm_axis(int(dim), x.data.ndim, op)
    r = fn(x.data, axis=axis)
    return Tensor._wrap(xp.expand_dims(r, axis) if keepdim else xp.asarray(r))


def argmax(x, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (flattened, or along ``dim``); no gradient."""
    return _arg(x, dim, keepdim, xp.argmax, "argmax")


def argmin(x, dim=None, keepdim: bool = False) -> Tensor:
    return _arg(x, dim, keepdim, xp.argmin, "argmin")
