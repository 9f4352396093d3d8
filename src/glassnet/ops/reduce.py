"""Reductions over ``dim`` (an int, a tuple, or None for all) with ``keepdim``."""

from __future__ import annotations

import builtins
import warnings
from collections import namedtuple

import numpy as np

from ..autograd import Function, Local
from ..backend import xp
from ..errors import ArgumentError, DtypeError
from ..tensor import Tensor
from ._registry import op
from ._util import norm_axis, norm_dim
from .sqrt0 import sqrt_at_zero

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
    name, formula = "sum", 1.0

    def forward(self, x, axes, keepdim):
        self.shape, self.axes, self.keepdim = x.shape, axes, keepdim
        return x.sum(axis=axes, keepdims=keepdim)

    def backward(self, gy):
        return _expand_back(gy, self.shape, self.axes, self.keepdim)


class Mean(Function):
    name = "mean"

    def local(self, slot, n_in, n_out):
        return Local(n_out / n_in)

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
    formula = "[{0} is the extreme]"

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
    name, reducer, formula = "amax", staticmethod(np.max), "[{0} is the largest]"


class Min(_Extreme):
    name, reducer, formula = "amin", staticmethod(np.min), "[{0} is the smallest]"


class MaxAlong(Function):
    """max/min along one dim, routing the gradient to the returned index (PyTorch's rule)."""

    name, formula = "max", 1.0

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

    name, formula = "var", Local(1.0, "2·({0} - mean)/(N - correction)", generic=True)

    def forward(self, x, axes, keepdim, correction):
        n = _count(x.shape, axes)
        self.dof = builtins.max(n - correction, 0)  # max/min/sum are ops in this module
        if self.dof == 0:
            warnings.warn("var(): degrees of freedom is <= 0 (correction "
                          f"{correction} with {n} values); the result is NaN",
                          UserWarning, stacklevel=4)
        mu = x.mean(axis=axes, keepdims=True)
        self.d = x - mu
        self.axes, self.keepdim, self.shape = axes, keepdim, x.shape
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.asarray((self.d * self.d).sum(axis=axes, keepdims=keepdim) / self.dof)

    def backward(self, gy):
        g = _expand_back(gy, self.shape, self.axes, self.keepdim)
        return g * self.d * (2.0 / self.dof if self.dof else np.nan)  # NaN as PyTorch


class LogSumExp(Function):
    """log Σ exp(x), stable by subtracting the max; the gradient is softmax(x)."""

    name, formula = "logsumexp", Local(1.0, "softmax({0})", generic=True)

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


@op(records=Sum)
def sum(x, dim=None, keepdim: bool = False, *, dtype=None, axis=None) -> Tensor:  # noqa: A001
    """Σ over ``dim`` (an int, a tuple, or None for all; ``axis`` is NumPy's name for it);
    ``dtype`` converts first. Derivative 1."""
    x = _t(x)
    dim = _dim_or_axis(dim, axis, "sum")
    if dtype is None and x.data.dtype.kind == "u":
        dtype = np.int64  # PyTorch sums unsigned integers in int64 (NumPy: uint64)
    if dtype is not None:
        x = x.to(dtype)
    return Sum.apply(x, norm_dim(dim, x.data.ndim, "sum"), keepdim)


def _dim_or_axis(dim, axis, what: str):
    if axis is not None:
        if dim is not None:
            raise TypeError(f"{what}: give dim or axis, not both")
        return axis
    return dim


@op(records=Mean)
def mean(x, dim=None, keepdim: bool = False, *, dtype=None, axis=None) -> Tensor:
    """The average over ``dim`` (``axis`` is NumPy's name for it); ``dtype`` converts
    first. Derivative 1/N."""
    x = _t(x)
    dim = _dim_or_axis(dim, axis, "mean")
    if dtype is not None:
        x = x.to(dtype)
    if x.data.dtype.kind != "f":
        raise DtypeError(f"mean: needs a floating tensor, got dtype {x.data.dtype}")
    return Mean.apply(x, norm_dim(dim, x.data.ndim, "mean"), keepdim)


def _check_nonempty(x: Tensor, op: str, dim=None):
    """An empty tensor can be reduced only over dims that are not empty themselves
    (``zeros(0, 3).amax(dim=1)`` has shape (0,), as in PyTorch)."""
    if x.data.size:
        return
    if dim is None:  # as PyTorch: IndexError for argmax/argmin, RuntimeError for the rest
        kind = IndexError if op in ("argmax", "argmin") else ArgumentError
        raise kind(f"{op}: the tensor is empty (shape {tuple(x.shape)}); give a dim of "
                   f"non-zero size to reduce over")
    for d in norm_dim(dim, x.data.ndim, op) or ():
        if x.data.ndim and x.data.shape[d] == 0:
            raise IndexError(f"{op}: expected reduction dim {d} to have non-zero size "
                             f"(shape {tuple(x.shape)})")


@op(records=Max)
def amax(x, dim=None, keepdim: bool = False) -> Tensor:
    """The largest value over ``dim``; ties share the gradient."""
    x = _t(x)
    _check_nonempty(x, "amax", dim)
    return Max.apply(x, norm_dim(dim, x.data.ndim, "amax"), keepdim)


@op(records=Min)
def amin(x, dim=None, keepdim: bool = False) -> Tensor:
    """The smallest value over ``dim``; ties share the gradient."""
    x = _t(x)
    _check_nonempty(x, "amin", dim)
    return Min.apply(x, norm_dim(dim, x.data.ndim, "amin"), keepdim)


def _along(x: Tensor, dim, keepdim, arg, op):
    axis = norm_axis(int(dim), x.data.ndim, op)
    idx = xp.expand_dims(arg(x.data, axis=axis), axis)
    values = MaxAlong.apply(x, axis, keepdim, idx)
    indices = Tensor._wrap(idx if keepdim else xp.squeeze(idx, axis))
    return MinMax(values, indices)


@op(records=(Max, MaxAlong))
def max(x, dim=None, keepdim: bool = False):  # noqa: A001 - PyTorch's name
    """The maximum of all elements, or with ``dim`` an int the pair (values, indices);
    ``max(x, other_tensor)`` is the elementwise :func:`maximum`, as in PyTorch."""
    if isinstance(dim, Tensor):
        return _t(x).maximum(dim)
    x = _t(x)
    _check_nonempty(x, "max", dim)
    if dim is None or not isinstance(dim, (int, np.integer)):
        return amax(x, dim, keepdim)
    return _along(x, dim, keepdim, xp.argmax, "max")


@op(records=(Min, MaxAlong))
def min(x, dim=None, keepdim: bool = False):  # noqa: A001 - PyTorch's name
    """The minimum of all elements, or with ``dim`` an int the pair (values, indices);
    ``min(x, other_tensor)`` is the elementwise :func:`minimum`."""
    if isinstance(dim, Tensor):
        return _t(x).minimum(dim)
    x = _t(x)
    _check_nonempty(x, "min", dim)
    if dim is None or not isinstance(dim, (int, np.integer)):
        return amin(x, dim, keepdim)
    return _along(x, dim, keepdim, xp.argmin, "min")


def _correction(unbiased, correction) -> int:
    if correction is not None:
        return int(correction)
    return 0 if unbiased is False else 1


@op(records=Var)
def var(x, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    x = _t(x)
    c = _correction(unbiased, correction)
    return Var.apply(x, norm_dim(dim, x.data.ndim, "var"), keepdim, c)


@op(records=Var)
def std(x, dim=None, unbiased=None, keepdim: bool = False, *, correction=None) -> Tensor:
    return sqrt_at_zero(var(x, dim, unbiased, keepdim, correction=correction))


@op(records=LogSumExp)
def logsumexp(x, dim, keepdim: bool = False) -> Tensor:
    """log Σ exp(x) over ``dim``, without overflow; derivative softmax(x)."""
    x = _t(x)
    return LogSumExp.apply(x, norm_dim(dim, x.data.ndim, "logsumexp"), keepdim)


@op()
def norm(x, p="fro", dim=None, keepdim: bool = False, dtype=None) -> Tensor:
    """PyTorch's ``torch.norm``: a number ``p`` is the vector p-norm over ``dim`` (all
    elements, or the dims given, taken as one vector); "fro" the 2-norm likewise; "nuc"
    the nuclear norm of the matrices in the last two dims (or the two in ``dim``)."""
    from .linalg_more import matrix_norm, vector_norm

    if isinstance(p, str):
        if p == "nuc":
            return _as_norm(matrix_norm, x, "nuc", (-2, -1) if dim is None else dim, keepdim,
                            dtype)
        if p == "fro":
            if dim is not None and not isinstance(dim, (int, np.integer)) and len(dim) > 2:
                raise ArgumentError(f"norm: p='fro' takes at most 2 dims, got dim={dim}")
            p = 2
        elif p == "inf":
            p = float("inf")
        else:
            raise ArgumentError(f"norm: p must be a number, 'fro' or 'nuc', got {p!r}")
    return _as_norm(vector_norm, x, p, dim, keepdim, dtype)


def _as_norm(fn, x, p, dim, keepdim, dtype):
    """``fn`` (linalg's vector_norm or matrix_norm, which check the dtype, the dims and
    ``dtype``); an error names ``norm``, the op called."""
    try:
        return fn(x, p, dim, keepdim, dtype=dtype)
    except (IndexError, ValueError, TypeError, RuntimeError) as e:
        msg = str(e)
        for name in ("linalg.vector_norm", "linalg.matrix_norm"):
            msg = msg.replace(name, "norm")
        raise type(e)(msg) from None


def _arg(x, dim, keepdim, fn, op):
    x = _t(x)
    _check_nonempty(x, op)
    if dim is None:
        r = xp.asarray(fn(x.data))
        return Tensor._wrap(r.reshape((1,) * x.data.ndim) if keepdim else r)
    axis = norm_axis(int(dim), x.data.ndim, op)
    r = fn(x.data, axis=axis)
    return Tensor._wrap(xp.expand_dims(r, axis) if keepdim else xp.asarray(r))


@op()
def argmax(x, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the largest element (flattened, or along ``dim``); no gradient."""
    return _arg(x, dim, keepdim, xp.argmax, "argmax")


@op()
def argmin(x, dim=None, keepdim: bool = False) -> Tensor:
    """Index of the smallest element (flattened, or along ``dim``); no gradient."""
    return _arg(x, dim, keepdim, xp.argmin, "argmin")
