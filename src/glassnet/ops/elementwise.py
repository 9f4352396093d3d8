"""Elementwise functions and their derivatives.

ReLU's derivative at exactly 0 is taken as 0: the bend has no derivative there, and
either 0 or 1 works in practice (PyTorch uses 0 too).
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..backend import xp
from ..tensor import Tensor
from ._util import operand, promote_ints, shape_of


class Exp(Function):
    def forward(self, x):
        self.y = xp.exp(x)
        return self.y

    def backward(self, gy):
        return gy * self.y


class Log(Function):
    def forward(self, x):
        self.x = x
        return xp.log(x)

    def backward(self, gy):
        return gy / self.x


class Sqrt(Function):
    def forward(self, x):
        self.y = xp.sqrt(x)
        return self.y

    def backward(self, gy):
        return gy * 0.5 / self.y


class Abs(Function):
    def forward(self, x):
        self.x = x
        return xp.abs(x)

    def backward(self, gy):
        return gy * xp.sign(self.x)


class Sin(Function):
    def forward(self, x):
        self.x = x
        return xp.sin(x)

    def backward(self, gy):
        return gy * xp.cos(self.x)


class Cos(Function):
    def forward(self, x):
        self.x = x
        return xp.cos(x)

    def backward(self, gy):
        return -gy * xp.sin(self.x)


class Tanh(Function):
    def forward(self, x):
        self.y = xp.tanh(x)
        return self.y

    def backward(self, gy):
        y = self.y
        return gy * (1 - y * y)


class Sigmoid(Function):
    """σ(x) = 1 / (1 + e^-x), computed as 0.5 tanh(x/2) + 0.5 (no overflow); σ' = σ(1-σ)."""

    def forward(self, x):
        y = xp.tanh(x * 0.5)
        y *= 0.5
        y += 0.5
        self.y = y
        return y

    def backward(self, gy):
        y = self.y
        return gy * y * (1 - y)


class ReLU(Function):
    """max(x, 0); derivative 1 where x > 0 and 0 elsewhere (0 at the bend itself)."""

    def forward(self, x):
        self.y = xp.maximum(x, 0.0)
        return self.y

    def backward(self, gy):
        # y >= 0, so sign(y) is 1 where x > 0 and 0 elsewhere, the bend included.
        return gy * xp.sign(self.y)


class LeakyReLU(Function):
    def forward(self, x, slope):
        self.mask = x > 0
        self.slope = slope
        return xp.where(self.mask, x, x * slope)

    def backward(self, gy):
        return xp.where(self.mask, gy, gy * self.slope)


_SOFTPLUS_EXACT = 20.0
"""Above this threshold ``log1p(e^z)`` and ``z`` differ by less than e^-20 ≈ 2e-9, so the
linear branch only needs to be applied when a smaller threshold asks for it."""


class Softplus(Function):
    """y = log(1 + e^(βx)) / β, and x itself where βx > ``threshold`` (PyTorch's rule).

    The derivative σ(βx) is taken from the output: 1 + e^(βx) = e^(βy), so
    σ(βx) = e^(βx - βy). This is accurate at both ends and exactly 1 on the linear branch.
    """

    def forward(self, x, beta, threshold):
        bx = x * beta if beta != 1 else x
        y = xp.logaddexp(0.0, bx)
        if beta != 1:
            y /= beta
        if threshold < _SOFTPLUS_EXACT:
            over = bx > threshold
            if over.any():
                y = xp.where(over, x, y)
        self.bx, self.y, self.beta = bx, y, beta
        return y

    def backward(self, gy):
        by = self.y * self.beta if self.beta != 1 else self.y
        return gy * xp.exp(self.bx - by)


class Clamp(Function):
    """Clip to [min, max]; the gradient passes where min <= x <= max."""

    def forward(self, x, lo, hi):
        self.mask = xp.ones(x.shape, dtype=bool)
        if lo is not None:
            self.mask &= x >= lo
        if hi is not None:
            self.mask &= x <= hi
        return xp.clip(x, lo, hi)

    def backward(self, gy):
        return gy * self.mask


class Maximum(Function):
    """Elementwise max; at ties the gradient is split equally, as in PyTorch."""

    def forward(self, a, b):
        self.a, self.b = a, b
        return xp.maximum(a, b)

    def backward(self, gy):
        a, b = self.a, self.b
        ga = xp.where(a > b, gy, xp.where(a == b, gy * 0.5, 0))
        gb = xp.where(b > a, gy, xp.where(a == b, gy * 0.5, 0))
        return ga, gb


class Minimum(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return xp.minimum(a, b)

    def backward(self, gy):
        a, b = self.a, self.b
        ga = xp.where(a < b, gy, xp.where(a == b, gy * 0.5, 0))
        gb = xp.where(b < a, gy, xp.where(a == b, gy * 0.5, 0))
        return ga, gb


class Where(Function):
    def forward(self, cond, a, b):
        self.cond = cond
        return xp.where(cond, a, b)

    def backward(self, gy):
        zero = xp.zeros((), gy.dtype)
        return None, xp.where(self.cond, gy, zero), xp.where(self.cond, zero, gy)


class Cast(Function):
    def forward(self, x, dtype):
        self.src = x.dtype
        return x.astype(dtype)

    def backward(self, gy):
        return gy.astype(self.src) if self.src.kind == "f" else None


class Clone(Function):
    def forward(self, x):
        return xp.array(x, copy=True)

    def backward(self, gy):
        return gy


def _unary(cls, x, *args):
    if not isinstance(x, Tensor):
        x = Tensor(x)
    return cls.apply(x, *args)


def exp(x) -> Tensor:
    return _unary(Exp, x)


def log(x) -> Tensor:
    return _unary(Log, x)


def sqrt(x) -> Tensor:
    return _unary(Sqrt, x)


def abs(x) -> Tensor:  # noqa: A001 - PyTorch's name
    return _unary(Abs, x)


def sin(x) -> Tensor:
    return _unary(Sin, x)


def cos(x) -> Tensor:
    return _unary(Cos, x)


def tanh(x) -> Tensor:
    return _unary(Tanh, x)


def sigmoid(x) -> Tensor:
    return _unary(Sigmoid, x)


def relu(x) -> Tensor:
    return _unary(ReLU, x)


def leaky_relu(x, negative_slope: float = 0.01) -> Tensor:
    return _unary(LeakyReLU, x, negative_slope)


def softplus(x, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    return _unary(Softplus, x, beta, threshold)


def clamp(x, min=None, max=None) -> Tensor:  # noqa: A002 - PyTorch's names
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    return _unary(Clamp, x, min, max)


def maximum(a, b) -> Tensor:
    return _pair(Maximum, "maximum", a, b)


def minimum(a, b) -> Tensor:
    return _pair(Minimum, "minimum", a, b)


def _pair(cls, op, a, b):
    if isinstance(a, Tensor):
        b = operand(b, a)
    else:
        a = operand(a, b)
    a, b = promote_ints(a, b)
    try:
        return cls.apply(a, b)
    except ValueError:
        raise ValueError(
            f"{op}: shapes {tuple(shape_of(a))} and {tuple(shape_of(b))} cannot be broadcast"
        ) from None


def where(condition, input, other) -> Tensor:  # noqa: A002 - PyTorch's names
    """``input`` where ``condition`` holds, else ``other`` (broadcast together)."""
    cond = condition.data if isinstance(condition, Tensor) else xp.asarray(condition)
    cond = cond.astype(bool, copy=False)
    like = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else None
    a, b = operand(input, like), operand(other, like)
    try:
        return Where.apply(cond, a, b)
    except ValueError:
        raise ValueError(
            f"where: shapes {tuple(np.shape(cond))}, {tuple(shape_of(a))} and "
            f"{tuple(shape_of(b))} cannot be broadcast"
        ) from None


def cast(x: Tensor, dtype) -> Tensor:
    if x.data.dtype == dtype:
        return x
    if dtype.kind != "f" or x.data.dtype.kind != "f":
        return Tensor._wrap(x.data.astype(dtype))
    return Cast.apply(x, dtype)


def clone(x: Tensor) -> Tensor:
    return Clone.apply(x)
