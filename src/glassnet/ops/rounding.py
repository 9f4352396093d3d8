"""Rounding and remainders: round floor ceil trunc frac sign remainder fmod.

round/floor/ceil/trunc/sign are step functions: their derivative is 0 wherever it exists,
and glassnet (like PyTorch) uses 0 at the steps too, so a gradient through them is zero,
not an error. ``frac(x) = x - trunc(x)`` has derivative 1. For remainders with
``q = a / b`` rounded down (``remainder``, Python's ``%``) or toward zero (``fmod``, C's
``fmod``): ∂/∂a = 1 and ∂/∂b = -round(q).
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..backend import xp
from ..tensor import Tensor
from ._registry import op
from ._util import operand, promote, shape_of

__all__ = ["round", "floor", "ceil", "trunc", "frac", "sign", "remainder", "fmod"]


def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


class _Step(Function):
    """A piecewise-constant function: zero gradient everywhere."""

    formula = 0.0

    def forward(self, x, *args):
        self.shape, self.dtype = x.shape, x.dtype
        return self.f(x, *args)

    def backward(self, gy):
        return xp.zeros(self.shape, self.dtype)


class RoundOp(_Step):
    name = "round"

    @staticmethod
    def f(x, decimals):
        return xp.round(x, decimals)  # halves go to the even neighbour, as in PyTorch


class FloorOp(_Step):
    name = "floor"
    f = staticmethod(xp.floor)


class CeilOp(_Step):
    name = "ceil"
    f = staticmethod(xp.ceil)


class TruncOp(_Step):
    name = "trunc"
    f = staticmethod(xp.trunc)


def _sign(a):
    """-1, 0 or 1; NaN gives 0, as PyTorch (NumPy gives NaN)."""
    s = xp.sign(a)
    return xp.where(xp.isnan(s), 0, s) if s.dtype.kind == "f" else s


class SignOp(_Step):
    name = "sign"
    f = staticmethod(_sign)


class FracOp(Function):
    name, formula = "frac", 1.0

    def forward(self, x):
        return x - xp.trunc(x)

    def backward(self, gy):
        return gy


def _step(cls, input, *args):
    x = _tensor(input)
    if x.data.dtype.kind in "iub" and cls is not SignOp:
        return Tensor._wrap(x.data.copy())  # integers are already whole: a copy, as PyTorch
    if x.data.dtype.kind == "b":
        return Tensor._wrap(x.data.copy())
    return cls.apply(x, *args)


@op(inplace="round_", records=RoundOp)
def round(input, decimals: int = 0) -> Tensor:  # noqa: A001,A002 - PyTorch's names
    """Round to the nearest integer (or to ``decimals`` places); halves to even. Zero
    gradient."""
    x = _tensor(input)
    if x.data.dtype.kind in "iub":
        return Tensor._wrap(xp.round(x.data, decimals) if decimals < 0 else x.data.copy())
    return RoundOp.apply(x, int(decimals))


@op(inplace="floor_", records=FloorOp)
def floor(input) -> Tensor:  # noqa: A002
    """Largest integer ≤ x (same dtype). Zero gradient."""
    return _step(FloorOp, input)


@op(inplace="ceil_", records=CeilOp)
def ceil(input) -> Tensor:  # noqa: A002
    """Smallest integer ≥ x (same dtype). Zero gradient."""
    return _step(CeilOp, input)


@op(method=("trunc", "fix"), aliases=("fix",), inplace="trunc_", records=TruncOp)
def trunc(input) -> Tensor:  # noqa: A002
    """Round toward zero (same dtype). Zero gradient."""
    return _step(TruncOp, input)


@op(method=("sign", "sgn"), aliases=("sgn",), inplace="sign_", records=SignOp)
def sign(input) -> Tensor:  # noqa: A002
    """-1, 0 or 1 by the sign of x (same dtype; 0 for NaN, as PyTorch). Zero gradient."""
    x = _tensor(input)
    if x.data.dtype.kind == "b":
        return Tensor._wrap(x.data.copy())
    if x.data.dtype.kind in "iu":
        return Tensor._wrap(xp.sign(x.data))
    return SignOp.apply(x)


op(name="fix_", method=False, top=False, inplace="fix_")(trunc)  # the in-place aliases
op(name="sgn_", method=False, top=False, inplace="sgn_")(sign)


@op(inplace="frac_", records=FracOp)
def frac(input) -> Tensor:  # noqa: A002
    """x - trunc(x), the fractional part with x's sign; derivative 1."""
    x = _tensor(input)
    if x.data.dtype.kind != "f":
        raise TypeError(f"frac: expected a floating tensor, got {x.data.dtype}")
    return FracOp.apply(x)


class RemainderOp(Function):
    """a - floor(a/b)·b (the sign of b, like Python's %)."""

    name, formula = "remainder", (1.0, "-floor({0}/{1})")
    rounding = staticmethod(xp.floor)
    kernel = staticmethod(xp.remainder)

    def forward(self, a, b):
        self.a, self.b = a, b
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.kernel(a, b)

    def backward(self, gy):
        pb = self.parents[1]
        gb = None
        if isinstance(pb, Tensor) and pb.requires_grad:
            with np.errstate(divide="ignore", invalid="ignore"):
                gb = -gy * self.rounding(self.a / self.b)
        return gy, gb


class FmodOp(RemainderOp):
    """a - trunc(a/b)·b (the sign of a, like C's fmod)."""

    name, formula = "fmod", (1.0, "-trunc({0}/{1})")
    rounding = staticmethod(xp.trunc)
    kernel = staticmethod(xp.fmod)


def _rem(cls, what, a, b):
    if isinstance(a, Tensor):
        b = operand(b, a)
    else:
        a = operand(a, b)
    a, b = promote(a, b)
    ints = all(
        (x.data.dtype.kind in "iu") if isinstance(x, Tensor)
        else (isinstance(x, (int, np.integer)) or getattr(x, "dtype", np.dtype("f")).kind in "iu")
        for x in (a, b)
    )
    if ints:
        bd = b.data if isinstance(b, Tensor) else np.asarray(b)
        if np.any(bd == 0):
            raise ZeroDivisionError(f"{what}: integer division by zero")
    try:
        return cls.apply(a, b)
    except ValueError:
        raise ValueError(
            f"{what}: shapes {tuple(shape_of(a))} and {tuple(shape_of(b))} cannot be broadcast"
        ) from None


@op(inplace="remainder_", dunder="__mod__", rdunder="__rmod__", records=RemainderOp)
def remainder(input, other) -> Tensor:  # noqa: A002
    """Python's ``%``: ``a - floor(a/b)·b`` (takes the sign of b); ∂/∂a = 1,
    ∂/∂b = -floor(a/b)."""
    return _rem(RemainderOp, "remainder", input, other)


@op(inplace="fmod_", records=FmodOp)
def fmod(input, other) -> Tensor:  # noqa: A002
    """C's fmod: ``a - trunc(a/b)·b`` (takes the sign of a); ∂/∂a = 1, ∂/∂b = -trunc(a/b)."""
    return _rem(FmodOp, "fmod", input, other)


def div_rounded(input, other, rounding_mode: str) -> Tensor:  # noqa: A002
    """``div(input, other, rounding_mode=...)``: the quotient rounded down (``"floor"``) or
    toward zero (``"trunc"``). Integers stay integers; the gradient is zero, as for any
    rounding."""
    if rounding_mode not in ("floor", "trunc"):
        raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', got "
                         f"{rounding_mode!r}")
    a = input.data if isinstance(input, Tensor) else np.asarray(operand(input))
    b = other.data if isinstance(other, Tensor) else np.asarray(operand(other))
    if np.result_type(a, b).kind in "iub":
        if np.any(b == 0):
            raise ZeroDivisionError("div: integer division by zero")
        q = np.floor_divide(input.data if isinstance(input, Tensor) else operand(input),
                            other.data if isinstance(other, Tensor) else operand(other))
        if rounding_mode == "trunc":  # floor rounds negative quotients one too far down
            q = q + ((np.remainder(a, b) != 0) & ((a < 0) != (b < 0)))
        return Tensor._wrap(np.asarray(q))
    from .arithmetic import div

    q = div(input, other)
    return floor(q) if rounding_mode == "floor" else trunc(q)
