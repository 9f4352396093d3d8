"""Arithmetic with NumPy broadcasting: add, sub, mul, div, pow, neg, matmul.

Backward returns gradients of the output's shape; the engine sums them back to each
input's shape (``autograd.unbroadcast``), so no op here repeats that.
"""

from __future__ import annotations

from ..autograd import Function
from ..backend import xp
from ..tensor import Tensor
from ._util import is_intlike, operand, promote_ints, shape_of


def _broadcast_error(op: str, a, b):
    return ValueError(
        f"{op}: shapes {tuple(shape_of(a))} and {tuple(shape_of(b))} cannot be broadcast together"
    )


def _needs(p) -> bool:
    """Does input ``p`` want a gradient? (Skips work for constants and plain numbers.)"""
    return isinstance(p, Tensor) and p.requires_grad


class Add(Function):
    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return gy, gy


class Sub(Function):
    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        return gy, (-gy if _needs(self.parents[1]) else None)


class Mul(Function):
    def forward(self, a, b):
        self.a, self.b = a, b
        return a * b

    def backward(self, gy):
        pa, pb = self.parents
        return (gy * self.b if _needs(pa) else None), (gy * self.a if _needs(pb) else None)


class Div(Function):
    """y = a / b; ga = gy / b, gb = -gy a / b² = -ga y."""

    def forward(self, a, b):
        self.b = b
        self.y = a / b
        return self.y

    def backward(self, gy):
        ga = gy / self.b
        return ga, (-(ga * self.y) if _needs(self.parents[1]) else None)


class Pow(Function):
    """y = a ** b; ga = b a^(b-1) gy; gb = y log(a) gy (only when b is a Tensor)."""

    def forward(self, a, b):
        self.a, self.b = a, b
        if type(b) is int and b == 2:
            self.y = a * a
        else:
            self.y = a**b
        return self.y

    def backward(self, gy):
        a, b = self.a, self.b
        pa, pb = self.parents
        ga = gb = None
        if _needs(pa):
            if type(b) is int and b == 2:
                ga = gy * (a + a)
            else:
                ga = gy * b * a ** (b - 1)
        if _needs(pb):
            gb = gy * self.y * xp.log(xp.where(a > 0, a, 1))
        return ga, gb


class Neg(Function):
    def forward(self, a):
        return -a

    def backward(self, gy):
        return -gy


_NUMBERS = (int, float)  # exact types: NumPy's float64 scalar subclasses float, and must convert


def _binary(cls, op, a, b):
    if isinstance(a, Tensor):
        if type(b) not in _NUMBERS and not isinstance(b, Tensor):
            b = operand(b, a)
    else:
        a = operand(a, b)
    if is_intlike(a) or is_intlike(b):
        a, b = promote_ints(a, b, cls is Div)
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
    return Neg.apply(a if isinstance(a, Tensor) else operand(a))


class MatMul(Function):
    """Matrix product with NumPy's rules: 1-D, 2-D, batched with broadcast batch dims.

    ``(..., n, k) @ (..., k, m) -> (..., n, m)``; gA = gY Bᵀ, gB = Aᵀ gY. A 1-D operand
    is treated as a row (left) or column (right) vector whose extra axis is dropped.
    """

    def forward(self, a, b):
        self.a, self.b = a, b
        if a.ndim == 2 and b.ndim == 2:
            # The same product: ndarray.dot skips the overhead of the matmul ufunc, which
            # is most of the cost for small matrices (about 2x faster at 3x2).
            return a.dot(b)
        return a @ b

    def backward(self, gy):
        a, b = self.a, self.b
        pa, pb = self.parents
        need_a, need_b = _needs(pa), _needs(pb)
        if a.ndim == 2 and b.ndim == 2:
            return (gy.dot(b.T) if need_a else None), (a.T.dot(gy) if need_b else None)
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
        if not isinstance(b, Tensor):
            b = xp.asarray(operand(b, a))
    else:
        a = xp.asarray(operand(a, b))
    if is_intlike(a) or is_intlike(b):
        a, b = promote_ints(a, b)
    try:
        return MatMul.apply(a, b)
    except ValueError:
        raise _matmul_error(shape_of(a), shape_of(b)) from None


def _matmul_error(sa: tuple, sb: tuple) -> ValueError:
    """Say why NumPy refused ``a @ b``, naming both shapes."""
    sa, sb = tuple(sa), tuple(sb)
    if not sa or not sb:
        return ValueError(f"matmul: both operands need at least 1 dim, got shapes {sa} and {sb}")
    ka = sa[-1]
    kb = sb[0] if len(sb) == 1 else sb[-2]
    if ka != kb:
        return ValueError(
            f"matmul: shapes {sa} and {sb} are not aligned: the first's last dim ({ka}) must "
            f"equal the second's {'only' if len(sb) == 1 else 'second-to-last'} dim ({kb})"
        )
    return ValueError(f"matmul: batch dims of shapes {sa} and {sb} cannot be broadcast")
