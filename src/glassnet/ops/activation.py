"""Softmax and log-softmax, numerically stable (the max is subtracted first)."""

from __future__ import annotations

from ..autograd import Function
from ..backend import max_last, sum_last, xp
from ..tensor import Tensor
from ._util import norm_axis


def _max(x, axis):
    return max_last(x) if axis == x.ndim - 1 else x.max(axis=axis, keepdims=True)


def _sum(x, axis):
    return sum_last(x) if axis == x.ndim - 1 else x.sum(axis=axis, keepdims=True)


class Softmax(Function):
    """p = softmax(x / T) along ``axis``; gx = p (gy - Σ gy p) / T."""

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


class LogSoftmax(Function):
    """y = x - logsumexp(x) along ``axis``; gx = gy - softmax(x) Σ gy."""

    def forward(self, x, axis):
        z = x - _max(x, axis)
        y = z - xp.log(_sum(xp.exp(z), axis))
        self.y, self.axis = y, axis
        return y

    def backward(self, gy):
        return gy - xp.exp(self.y) * _sum(gy, self.axis)


def softmax(x, dim: int, temperature: float = 1.0) -> Tensor:
    """Softmax along ``dim``; ``temperature`` > 1 flattens, < 1 sharpens the distribution."""
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if temperature <= 0:
        raise ValueError(f"softmax: temperature must be positive, got {temperature}")
    return Softmax.apply(x, norm_axis(dim, max(x.data.ndim, 1), "softmax"), float(temperature))


def log_softmax(x, dim: int) -> Tensor:
    if not isinstance(x, Tensor):
        x = Tensor(x)
    return LogSoftmax.apply(x, norm_axis(dim, max(x.data.ndim, 1), "log_softmax"))
