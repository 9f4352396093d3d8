"""Arithmetic with NumPy broadcasting: add, sub, mul, div, pow, neg, matmul.

Backward returns gradients of the output's shape; the engine sums them back to each
input's shape (``autograd.unbroadcast``), so no op here repeats that.
"""

from __future__ import annotations

from ..autograd import Elementwise, Function, Local
from ..backend import xp
from ..errors import ArgumentError
from ..tensor import Tensor
from ._registry import op
from ._util import needs_promotion, operand, promote, shape_of


def _broadcast_error(op: str, a, b):
    return ValueError(
        f"{op}: shapes {tuple(shape_of(a))} and {tuple(shape_of(b))} cannot be broadcast together"
    )


def _needs(p) -> bool:
    """Does input ``p`` want a gradient? (Skips work for constants and plain numbers.)"""
    return isinstance(p, Tensor) and p.requires_grad


_SCALAR = (int, float)


def _is_number(v) -> bool:
    return isinstance(v, _SCALAR) or (hasattr(v, "ndim") and not isinstance(v, Tensor)
                                      and v.ndim == 0)


class Add(Elementwise):
    name, formula, expr = "add", 1.0, "({0} + {1})"

    def forward(self, a, b):
        return a + b

    def backward(self, gy):
        return gy, gy


class Sub(Elementwise):
    name, formula, expr = "sub", (1.0, -1.0), "({0} - {1})"

    def forward(self, a, b):
        return a - b

    def backward(self, gy):
        return gy, (-gy if _needs(self.parents[1]) else None)


class Mul(Elementwise):
    name, expr = "mul", "{0}·{1}"

    def local(self, slot, n_in, n_out):
        other = self.parents[1 - slot]
        if _is_number(other):
            return Local(float(other))
        return Local(1.0, "{0}", (1 - slot,))

    def forward(self, a, b):
        # a Python number has no gradient: the other operand need not be kept (so an
        # in-place change of it after ``x * 2`` does not stop backward, as in PyTorch)
        self.a = a if type(b) is xp.ndarray else None
        self.b = b if type(a) is xp.ndarray else None
        return a * b

    def backward(self, gy):
        pa, pb = self.parents
        return (gy * self.b if _needs(pa) else None), (gy * self.a if _needs(pb) else None)


class Div(Elementwise):
    """y = a / b; ga = gy / b, gb = -gy a / b² = -ga y."""

    name, expr = "div", "{0}/{1}"

    def local(self, slot, n_in, n_out):
        if slot == 0:
            b = self.parents[1]
            return Local(1.0 / float(b)) if _is_number(b) else Local(1.0, "1/{0}", (1,))
        return Local(-1.0, "{0}/{1}²", (0, 1))

    def forward(self, a, b):
        self.b = b
        self.y = a / b
        return self.y

    def backward(self, gy):
        ga = gy / self.b
        return ga, (-(ga * self.y) if _needs(self.parents[1]) else None)


def _is_int(v) -> bool:
    return v.dtype.kind in "biu" if isinstance(v, xp.ndarray) else isinstance(v, int)


def _int_pow(a, b):
    """Integer powers as PyTorch: a negative exponent truncates 1 / a^|b| toward zero
    (1 for a = 1, ±1 for a = -1, else 0) where NumPy refuses; bool ** bool stays bool."""
    b = xp.asarray(b)
    if a.dtype.kind == "b" and b.dtype.kind == "b":
        return a | ~b
    neg = b < 0
    if not neg.any():
        return a ** b
    out = a ** xp.where(neg, 0, b)
    odd = (xp.abs(b) % 2).astype(bool)
    small = xp.where(a == 1, 1, xp.where(a == -1, xp.where(odd, -1, 1), 0)).astype(out.dtype)
    return xp.where(neg, small, out)


class Pow(Elementwise):
    """y = a ** b; ga = b a^(b-1) gy; gb = y log(a) gy (only when b is a Tensor)."""

    name = "pow"

    def local(self, slot, n_in, n_out):
        b = self.parents[1]
        if slot == 0 and _is_number(b):
            k = float(b)
            if k == 1:
                return Local(1.0)
            if k == 2:
                return Local(2.0, "{0}", (0,))
            return Local(k, "{0}^" + f"{k - 1:g}", (0,))
        if slot == 0:
            return Local(1.0, "{1}·{0}^({1} - 1)", (0, 1))
        return Local(1.0, "{0}^{1}·ln({0})", (0, 1))

    def forward(self, a, b):
        self.a, self.b = a, b
        if type(b) is int and b == 2:
            self.y = a * a
        elif _is_int(a) and _is_int(b):
            self.y = _int_pow(xp.asarray(a), b)
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
            elif isinstance(b, (int, float)) and b == 0:  # x**0 is constant: gradient 0
                ga = xp.zeros_like(gy)
            else:
                ga = gy * b * a ** (b - 1)
                if not isinstance(b, (int, float)) and (b == 0).any():
                    ga = xp.where(b == 0, 0, ga)
        if _needs(pb):
            gb = gy * self.y * xp.log(xp.where(a > 0, a, 1))
        return ga, gb


class Neg(Elementwise):
    name, formula, expr = "neg", -1.0, "-{0}"

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
    if needs_promotion(a, b):
        a, b = promote(a, b, cls is Div)
    try:
        return cls.apply(a, b)
    except ValueError as e:
        if "broadcast" in str(e):
            raise _broadcast_error(op, a, b) from None
        raise


@op(dunder="__add__", rdunder="__radd__", inplace="add_", records=Add)
def add(input, other, *, alpha=1) -> Tensor:  # noqa: A002 - PyTorch's argument names
    """input + alpha · other with broadcasting."""
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    return _binary(Add, "add", input, other)


@op(dunder="__sub__", rdunder="__rsub__", inplace="sub_", aliases=("subtract",), records=Sub)
def sub(input, other, *, alpha=1) -> Tensor:  # noqa: A002
    """input - alpha · other with broadcasting."""
    if alpha != 1:
        other = mul(other, alpha) if isinstance(other, Tensor) else other * alpha
    return _binary(Sub, "sub", input, other)


@op(dunder="__mul__", rdunder="__rmul__", inplace="mul_", aliases=("multiply",), records=Mul)
def mul(input, other) -> Tensor:  # noqa: A002
    """input * other with broadcasting."""
    return _binary(Mul, "mul", input, other)


@op(method=("div", "divide", "true_divide"), dunder="__truediv__", rdunder="__rtruediv__",
    inplace="div_", aliases=("divide", "true_divide"), records=Div)
def div(input, other, *, rounding_mode=None) -> Tensor:  # noqa: A002
    """input / other with broadcasting (integers divide to the default float dtype);
    ``rounding_mode="floor"`` or ``"trunc"`` rounds the quotient (see ``rounding.py``)."""
    if rounding_mode is not None:
        from .rounding import div_rounded

        return div_rounded(input, other, rounding_mode)
    return _binary(Div, "div", input, other)


@op(dunder="__pow__", rdunder="__rpow__", inplace="pow_", records=Pow)
def pow(input, exponent) -> Tensor:  # noqa: A001,A002
    """input ** exponent with broadcasting."""
    return _binary(Pow, "pow", input, exponent)


@op(method=("neg", "negative"), dunder="__neg__", inplace="neg_", aliases=("negative",),
    records=Neg)
def neg(input) -> Tensor:  # noqa: A002
    """-input."""
    return Neg.apply(input if isinstance(input, Tensor) else operand(input))


class MatMul(Function):
    """Matrix product with NumPy's rules: 1-D, 2-D, batched with broadcast batch dims.

    ``(..., n, k) @ (..., k, m) -> (..., n, m)``; gA = gY Bᵀ, gB = Aᵀ gY. A 1-D operand
    is treated as a row (left) or column (right) vector whose extra axis is dropped.
    """

    name = "matmul"

    def local(self, slot, n_in, n_out):
        # dY[n, m]/dA[n, k] = B[k, m]; dY[n, m]/dB[k, m] = A[n, k]
        if self.parents[0].ndim < 2 or self.parents[1].ndim < 2:
            return Local(1.0, "{0}", (1 - slot,), generic=True)
        if slot == 0:
            return Local(1.0, "{0}", (("elem", 1, "k, m",
                                       lambda o, i: o[:-2] + (i[-1], o[-1])),), at="pair")
        return Local(1.0, "{0}", (("elem", 0, "n, k",
                                   lambda o, i: o[:-2] + (o[-2], i[-2])),), at="pair")

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


@op(dunder="__matmul__", rdunder="__rmatmul__", records=MatMul)
def matmul(input, other) -> Tensor:  # noqa: A002
    """Matrix product ``input @ other`` (see :class:`MatMul` for the shape rules)."""
    a, b = input, other
    if isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            b = xp.asarray(operand(b, a))
    else:
        a = xp.asarray(operand(a, b))
    if needs_promotion(a, b):
        a, b = promote(a, b)
    try:
        return MatMul.apply(a, b)
    except ValueError:
        raise _matmul_error(shape_of(a), shape_of(b)) from None


def _matmul_error(sa: tuple, sb: tuple) -> ArgumentError:
    """Say why NumPy refused ``a @ b``, naming both shapes (a ValueError that is also
    PyTorch's RuntimeError)."""
    sa, sb = tuple(sa), tuple(sb)
    if not sa or not sb:
        return ArgumentError(f"matmul: both operands need at least 1 dim, got shapes {sa} and {sb}")
    ka = sa[-1]
    kb = sb[0] if len(sb) == 1 else sb[-2]
    if ka != kb:
        return ArgumentError(
            f"matmul: shapes {sa} and {sb} are not aligned: the first's last dim ({ka}) must "
            f"equal the second's {'only' if len(sb) == 1 else 'second-to-last'} dim ({kb})"
        )
    return ArgumentError(f"matmul: batch dims of shapes {sa} and {sb} cannot be broadcast")
