"""Softmax and log-softmax, numerically stable (the max is subtracted first)."""

from __future__ import annotations

import warnings

import numpy as np

from ..autograd import Function, Local
from ..backend import max_last, sum_last, xp
from ..tensor import Tensor
from ._registry import op
from ._util import norm_axis


def _max(x, axis):
    return max_last(x) if axis == x.ndim - 1 else x.max(axis=axis, keepdims=True)


def _sum(x, axis):
    return sum_last(x) if axis == x.ndim - 1 else x.sum(axis=axis, keepdims=True)


class SoftmaxOp(Function):
    """p = softmax(x / T) along ``axis``; gx = p (gy - Σ gy p) / T."""

    name = "softmax"

    def local(self, slot, n_in, n_out):
        t = "" if self.t == 1.0 else f"/{self.t:g}"
        return Local(1.0, f"p_i·([i = j] - p_j){t}", generic=True)

    def forward(self, x, axis, temperature):
        z = x / temperature if temperature != 1.0 else x
        e = xp.exp(z - _max(z, axis))
        e /= _sum(e, axis)
        self.p, self.axis, self.t = e, axis, temperature
        return e

    def backward(self, gy):
        p = self.p
        gx = p * (gy - _sum(gy * p, self.axis))
        return gx / self.t if self.t != 1.0 else gx


class LogSoftmaxOp(Function):
    """y = x - logsumexp(x) along ``axis``; gx = gy - softmax(x) Σ gy."""

    name = "log_softmax"
    formula = Local(1.0, "[i = j] - softmax_j", generic=True)

    def forward(self, x, axis):
        z = x - _max(x, axis)
        y = z - xp.log(_sum(xp.exp(z), axis))
        self.y, self.axis = y, axis
        return y

    def backward(self, gy):
        return gy - xp.exp(self.y) * _sum(gy, self.axis)


def _implicit_dim(x, op_name: str) -> int:
    """PyTorch's legacy rule when ``dim`` is not given, with its warning: the first axis
    for 0-, 1- and 3-D inputs, the second otherwise (the class axis of (N, C, ...))."""
    warnings.warn(f"Implicit dimension choice for {op_name} has been deprecated; pass dim= "
                  f"explicitly", UserWarning, stacklevel=3)
    return 0 if np.ndim(x.data if isinstance(x, Tensor) else x) in (0, 1, 3) else 1


@op(functional=True, records=SoftmaxOp)
def softmax(input, dim: int | None = None, temperature: float = 1.0, *,  # noqa: A002
            dtype=None) -> Tensor:
    """Softmax along ``dim``; ``temperature`` > 1 flattens, < 1 sharpens the distribution.
    ``(*) -> (*)``; each slice along ``dim`` sums to 1."""
    x = input
    if dim is None:
        dim = _implicit_dim(x, "softmax")
    if dtype is not None:
        x = (x if isinstance(x, Tensor) else Tensor(x)).to(dtype)
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if temperature <= 0:
        raise ValueError(f"softmax: temperature must be positive, got {temperature}")
    return SoftmaxOp.apply(x, norm_axis(dim, max(x.data.ndim, 1), "softmax"),
                           float(temperature))


@op(functional=True, records=LogSoftmaxOp)
def log_softmax(input, dim: int | None = None, *, dtype=None) -> Tensor:  # noqa: A002
    """log(softmax(x)) along ``dim``, computed without overflow. ``(*) -> (*)``."""
    x = input
    if dim is None:
        dim = _implicit_dim(x, "log_softmax")
    if dtype is not None:
        x = (x if isinstance(x, Tensor) else Tensor(x)).to(dtype)
    if not isinstance(x, Tensor):
        x = Tensor(x)
    return LogSoftmaxOp.apply(x, norm_axis(dim, max(x.data.ndim, 1), "log_softmax"))
