"""Softmax and log-softmax, numerically stable (the max is subtracted first)."""

from __future__ import annotations

from ..autograd import Function
from ..backend import xp
from ..tensor import Tensor
from ._util import norm_axis


class Softmax(Function):
    """p = softmax(x / T) along ``axis``; gx = p (gy - Σ gy p) / T."""

    def forward(self, x, axis, temperature):
        z = x / temperature if temperature != 1.0 else x
        z = z - z.max(axis=axis, keepdims=True)
        e = xp.exp(z)
        e /= e.sum(axis=axis, keepdims=True)
        self.p, self.axis, self.t = e, axis, temperature
        return e

    def backward(self, gy):
        p = self.p
        gx = p * (gy - (gy * p).sum(axis=self.axis, keepdims=True))
        return gx / self.t if self.t != 1.0 else gx


class LogSoftmax(Function):
    """y = x - logsumexp(x); gx = gy - softmax(x) Σ gy."""

    def forward(self, x, axis):
        z = x - x.max(axis=axis, keepdims=True)
        y = z - xp.log(xp.exp(z).sum(axis=axis, keepdims=True))
        self.y, self.axis = y, axis
        return y

    def backward(self, gy):
        return gy - xp.exp(self.y) * gy.sum(axis=self.axis, keepdims=True)


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
