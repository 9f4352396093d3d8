"""Arithmetic with NumPy broadcasting: add, sub, mul, div, pow, neg, matmul.

Backward returns gradients of the output's shape; the engine sums them back to each
input's shape (``autograd.unbroadcast``), so no op here repeats that.
"""

from __future__ import annotations

from ..autograd import Function
from ..backend import xp
from ..tensor import Tensor
from ._util import operand, shape_of


def _broadcast_error(op: str, a, b):
    return ValueError(
        f"{op}: shapes {tuple(shape_of(a))} and {tuple(shape_of(b))} cannot be broadcast together"
    )


class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return gy, gy


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        return gy, -gy


class Mul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        return gy * self.b, gy * self.a


class Div(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a / b

    def backward(self, gy):
        gb = None
        ga = gy / self.b
        if isinstance(self.parents[1], Tensor):
            gb = -ga * self.a / self.b
        return ga, gb


class Pow(Function):
    """a ** b. d/da = b a^(b-1); d/db = a^b log a (only computed when b is a Tensor)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        self.y = a**b
        return self.y

    def backward(self, gy):
        a, b = self.a, self.b
        ga = gb = None
        p = self.parents
        if isinstance(p[0], Tensor):
            ga = gy * b * a ** (b - 1) if not (isinstance(b, (int, float)) and b == 2) else gy * 2 * a
        if isinstance(p[1], Tensor):
            with_log = xp.log(xp.where(a > 0, a, 1))
            gb = gy * self.y * with_log
        return ga, gb


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, gy):
        return -gy


def _binary(cls, op, a, b):
    if isinstance(a, Tensor):
        b = operand(b, a)
    else:
        a = operand(a, b)
    try:
        return cls.apply(a, b)
    except ValueError as e:
        if "broadcast" in str(e):
            raise _broadcast_error(op, a, b) from None
        raise


def add(a, b) -> Tensor:
    """a + b with broadcasting."""
    return _binary(Add, "add", a, b)


def sub(a, b) -> Tensor:
    """a - b with broadcasting."""
    return _binary(Sub, "sub", a, b)


def mul(a, b) -> Tensor:
    """a * b with broadcasting."""
    return _binary(Mul, "mul", a, b)


def div(a, b) -> Tensor:
    """a / b with broadcasting."""
    return _binary(Div, "div", a, b)


def pow(a, b) -> Tensor:
    """a ** b with broadcasting."""
    return _binary(Pow, "pow", a, b)


def neg(a) -> Tensor:
    return Neg.apply(a)


class MatMul(Function):
    """Matrix product with NumPy's rules: 1-D, 2-D, batched with broadcast batch dims.

    ``(..., n, k) @ (..., k, m) -> (..., n, m)``; gA = gY Bᵀ, gB = Aᵀ gY. A 1-D operand
    is treated as a row (left) or column (right) vector whose extra axis is dropped.
    """

    def forward(self, a, b):
        self.a, self.b = a, b
        return a @ b

    def backward(self, gy):
        a, b = self.a, self.b
        need_a, need_b = self.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:
            return (gy * b if need_a else None), (gy * a if need_b else None)
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        if a.ndim == 1:
            gy = gy[..., None, :]
        if b.ndim == 1:
            gy = gy[..., None]
        ga = gb = None
        if need_a:
            ga = gy @ b2.swapaxes(-1, -2)
            if a.ndim == 1:
                ga = ga[..., 0, :]
        if need_b:
            gb = a2.swapaxes(-1, -2) @ gy
            if b.ndim == 1:
                gb = gb[..., 0]
        return ga, gb


def matmul(a, b) -> Tensor:
    """Matrix product ``a @ b`` (see :class:`MatMul` for the shape rules)."""
    if isinstance(a, Tensor):
        b = operand(b, a)
    else:
        a = operand(a, b)
    sa, sb = shape_of(a), shape_of(b)
    if len(sa) == 0 or len(sb) == 0:
        raise ValueError(f"matmul: both operands need at least 1 dim, got shapes {sa} and {sb}")
    ka = sa[-1]
    kb = sb[0] if len(sb) == 1 else sb[-2]
    if ka != kb:
        raise ValueError(
            f"matmul: shapes {tuple(sa)} and {tuple(sb)} are not aligned: the first's last dim "
            f"({ka}) must equal the second's {'only' if len(sb) == 1 else 'second-to-last'} "
            f"dim ({kb})"
        )
    try:
        return MatMul.apply(a, b)
    except ValueError:
        raise ValueError(
            f"matmul: batch dims of shapes {tuple(sa)} and {tuple(sb)} cannot be broadcast"
        ) from None
