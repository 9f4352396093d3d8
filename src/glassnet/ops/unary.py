"""More elementwise math with PyTorch's names: square rsqrt reciprocal log1p expm1 log2
log10 exp2 tan sinh cosh asin acos atan atan2 hypot logit xlogy nan_to_num, the helpers
lerp addcmul addcdiv clamp_min clamp_max floor_divide, and the tests isinf isposinf
isneginf signbit isclose equal.

Each differentiable op states its derivative beside its forward; the composite helpers
(lerp, addcmul, addcdiv, clamp_min, clamp_max) are built from ops that already have one.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function
from ..backend import xp
from ..tensor import Tensor
from ._registry import op
from ._util import operand, promote, shape_of

__all__ = ["square", "rsqrt", "reciprocal", "log1p", "expm1", "log2", "log10", "exp2", "tan",
           "sinh", "cosh", "asin", "acos", "atan", "atan2", "hypot", "logit", "xlogy",
           "nan_to_num", "lerp", "addcmul", "addcdiv", "clamp_min", "clamp_max",
           "floor_divide", "isinf", "isposinf", "isneginf", "signbit", "isclose", "equal"]


def _float_tensor(x, what: str) -> Tensor:
    t = x if isinstance(x, Tensor) else Tensor(x)
    if t.data.dtype.kind != "f":  # PyTorch: integer inputs give the default float dtype
        from ..backend import DEFAULT_FLOAT

        t = Tensor._wrap(t.data.astype(DEFAULT_FLOAT))
    return t


class _Unary(Function):
    """y = f(x) with dy/dx = df(x, y), both on arrays."""

    def forward(self, x):
        self.x = x
        with np.errstate(divide="ignore", invalid="ignore"):
            self.y = self.f(x)
        return self.y

    def backward(self, gy):
        with np.errstate(divide="ignore", invalid="ignore"):
            return gy * self.df(self.x, self.y)


def _unary(name: str, f, df, formula: str):
    cls = type(name.capitalize() + "Op", (_Unary,), {
        "name": name, "formula": formula, "f": staticmethod(f), "df": staticmethod(df),
        "__doc__": f"{name}(x); derivative {formula.format('x')}.",
    })

    def public(input) -> Tensor:  # noqa: A002 - PyTorch's argument name
        return cls.apply(_float_tensor(input, name))

    public.__name__ = public.__qualname__ = name
    public.__doc__ = f"Elementwise {name}; derivative {formula.format('x')}."
    public.__module__ = __name__
    return cls, op(inplace=name + "_", records=cls)(public)


_LN2, _LN10 = math.log(2.0), math.log(10.0)

SquareOp, square = _unary("square", lambda x: x * x, lambda x, y: 2 * x, "2·{0}")
RsqrtOp, rsqrt = _unary("rsqrt", lambda x: 1 / xp.sqrt(x), lambda x, y: -0.5 * y * y * y,
                        "-1/(2·{0}^(3/2))")
ReciprocalOp, reciprocal = _unary("reciprocal", lambda x: 1 / x, lambda x, y: -y * y,
                                  "-1/{0}²")
Log1pOp, log1p = _unary("log1p", xp.log1p, lambda x, y: 1 / (1 + x), "1/(1 + {0})")
Expm1Op, expm1 = _unary("expm1", xp.expm1, lambda x, y: y + 1, "e^{0}")
Log2Op, log2 = _unary("log2", xp.log2, lambda x, y: 1 / (x * _LN2), "1/({0}·ln 2)")
Log10Op, log10 = _unary("log10", xp.log10, lambda x, y: 1 / (x * _LN10), "1/({0}·ln 10)")
Exp2Op, exp2 = _unary("exp2", xp.exp2, lambda x, y: y * _LN2, "2^{0}·ln 2")
TanOp, tan = _unary("tan", xp.tan, lambda x, y: 1 + y * y, "1 + tan²({0})")
SinhOp, sinh = _unary("sinh", xp.sinh, lambda x, y: xp.cosh(x), "cosh({0})")
CoshOp, cosh = _unary("cosh", xp.cosh, lambda x, y: xp.sinh(x), "sinh({0})")
AsinOp, asin = _unary("asin", xp.arcsin, lambda x, y: 1 / xp.sqrt(1 - x * x),
                      "1/√(1 - {0}²)")
AcosOp, acos = _unary("acos", xp.arccos, lambda x, y: -1 / xp.sqrt(1 - x * x),
                      "-1/√(1 - {0}²)")
AtanOp, atan = _unary("atan", xp.arctan, lambda x, y: 1 / (1 + x * x), "1/(1 + {0}²)")

for _alias, _f in (("arcsin", asin), ("arccos", acos), ("arctan", atan)):
    op(name=_alias, inplace=_alias + "_")(_f)


def _pair(a, b):
    if isinstance(a, Tensor):
        b = operand(b, a)
    else:
        a = operand(a, b)
    a, b = promote(a, b, true_div=True)
    return a, b


class Atan2Op(Function):
    """θ = atan2(y, x); ∂θ/∂y = x/(x² + y²), ∂θ/∂x = -y/(x² + y²)."""

    name, formula = "atan2", ("{1}/({0}² + {1}²)", "-{0}/({0}² + {1}²)")

    def forward(self, y, x):
        self.a, self.b = y, x
        return xp.arctan2(y, x)

    def backward(self, gy):
        y, x = self.a, self.b
        r2 = x * x + y * y
        return gy * x / r2, -gy * y / r2


@op(inplace="atan2_", aliases=("arctan2",), records=Atan2Op)
def atan2(input, other) -> Tensor:  # noqa: A002
    """The angle of the point (other, input): ``atan2(y, x)`` in (-π, π]."""
    return Atan2Op.apply(*_pair(input, other))


class HypotOp(Function):
    """h = √(a² + b²); ∂h/∂a = a/h, ∂h/∂b = b/h."""

    name, formula = "hypot", ("{0}/hypot({0}, {1})", "{1}/hypot({0}, {1})")

    def forward(self, a, b):
        self.a, self.b = a, b
        self.h = xp.hypot(a, b)
        return self.h

    def backward(self, gy):
        with np.errstate(divide="ignore", invalid="ignore"):
            g = xp.where(self.h == 0, 0, gy / self.h)
        return g * self.a, g * self.b


@op(inplace="hypot_", records=HypotOp)
def hypot(input, other) -> Tensor:  # noqa: A002
    """√(input² + other²) without overflow."""
    return HypotOp.apply(*_pair(input, other))


class LogitOp(Function):
    """log(p / (1 - p)) with p clamped to [eps, 1 - eps]; derivative 1/(p(1 - p)) inside
    the clamp, 0 outside."""

    name, formula = "logit", "1/({0}·(1 - {0}))"

    def forward(self, x, eps):
        self.x, self.eps = x, eps
        p = x if eps is None else xp.clip(x, eps, 1 - eps)
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.log(p / (1 - p))

    def backward(self, gy):
        x, eps = self.x, self.eps
        with np.errstate(divide="ignore", invalid="ignore"):
            g = gy / (x * (1 - x))
        if eps is not None:
            g = xp.where((x < eps) | (x > 1 - eps), 0, g)
        return g, None


@op(inplace="logit_", records=LogitOp)
def logit(input, eps: float | None = None) -> Tensor:  # noqa: A002
    """The inverse of the sigmoid: log(p / (1 - p)) (p clamped to [eps, 1 - eps] if given)."""
    return LogitOp.apply(_float_tensor(input, "logit"), eps)


class XlogyOp(Function):
    """x·log(y), defined as 0 where x = 0; ∂/∂x = log(y) (0 where x = 0), ∂/∂y = x/y."""

    name, formula = "xlogy", ("log({1})", "{0}/{1}")

    def forward(self, x, y):
        self.x, self.y = x, y
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.where(x == 0, 0, x * xp.log(y)).astype(np.result_type(x, y))

    def backward(self, gy):
        x, y = self.x, self.y
        with np.errstate(divide="ignore", invalid="ignore"):
            gx = xp.where(x == 0, 0, gy * xp.log(y))
            gyy = gy * x / y
        return gx, gyy


@op(inplace="xlogy_", records=XlogyOp)
def xlogy(input, other) -> Tensor:  # noqa: A002
    """input · log(other), 0 where input is 0 (even if other is 0 or NaN... as PyTorch)."""
    return XlogyOp.apply(*_pair(input, other))


class NanToNumOp(Function):
    """NaN, +inf and -inf replaced by numbers; the gradient passes where x is finite."""

    name, formula = "nan_to_num", "[{0} is finite]"

    def forward(self, x, nan, posinf, neginf):
        self.finite = xp.isfinite(x)
        return xp.nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(self, gy):
        return gy * self.finite


@op(inplace="nan_to_num_", records=NanToNumOp)
def nan_to_num(input, nan: float = 0.0, posinf: float | None = None,  # noqa: A002
               neginf: float | None = None) -> Tensor:
    """NaN -> ``nan``, +inf -> ``posinf`` (default: the dtype's largest), -inf -> ``neginf``
    (default: the dtype's most negative)."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.data.dtype.kind != "f":
        return Tensor._wrap(x.data.copy())
    return NanToNumOp.apply(x, nan, posinf, neginf)


# --- helpers built from existing ops ------------------------------------------------------
def _t(x, like=None):
    return x if isinstance(x, Tensor) else Tensor._wrap(xp.asarray(operand(x, like)))


@op(inplace="lerp_")
def lerp(input, end, weight) -> Tensor:  # noqa: A002
    """input + weight · (end - input), differentiable in all three."""
    return input + weight * (end - input)


@op(inplace="addcmul_")
def addcmul(input, tensor1, tensor2, *, value=1) -> Tensor:  # noqa: A002
    """input + value · tensor1 · tensor2."""
    return input + value * (tensor1 * tensor2)


@op(inplace="addcdiv_")
def addcdiv(input, tensor1, tensor2, *, value=1) -> Tensor:  # noqa: A002
    """input + value · tensor1 / tensor2."""
    return input + value * (tensor1 / tensor2)


@op(inplace="clamp_min_")
def clamp_min(input, min) -> Tensor:  # noqa: A002
    """``clamp(input, min=min)``."""
    return _t(input).clamp(min=min)


@op(inplace="clamp_max_")
def clamp_max(input, max) -> Tensor:  # noqa: A002
    """``clamp(input, max=max)``."""
    return _t(input).clamp(max=max)


@op(inplace="floor_divide_", dunder="__floordiv__", rdunder="__rfloordiv__")
def floor_divide(input, other) -> Tensor:  # noqa: A002
    """``input // other`` rounded down (Python's //); integers stay integers. No gradient
    (the result is piecewise constant)."""
    a, b = (input, operand(other, input)) if isinstance(input, Tensor) else \
        (operand(input, other), other)
    a, b = promote(a, b)
    # Python numbers stay Python numbers: NumPy then keeps the tensor's dtype
    ad = a.data if isinstance(a, Tensor) else a
    bd = b.data if isinstance(b, Tensor) else b
    if np.result_type(ad, bd).kind in "iub" and np.any(np.asarray(bd) == 0):
        raise ZeroDivisionError("floor_divide: integer division by zero")
    try:
        with np.errstate(divide="ignore", invalid="ignore"):
            out = xp.floor_divide(ad, bd)
    except ValueError:
        raise ValueError(f"floor_divide: shapes {tuple(shape_of(a))} and "
                         f"{tuple(shape_of(b))} cannot be broadcast") from None
    return Tensor._wrap(xp.asarray(out))


# --- tests (bool results, no gradient) -----------------------------------------------------
def _data(x):
    return x.data if isinstance(x, Tensor) else xp.asarray(x)


@op()
def isinf(input) -> Tensor:  # noqa: A002
    """True where ±inf."""
    return Tensor._wrap(xp.isinf(_data(input)))


@op()
def isposinf(input) -> Tensor:  # noqa: A002
    return Tensor._wrap(xp.isposinf(_data(input)))


@op()
def isneginf(input) -> Tensor:  # noqa: A002
    return Tensor._wrap(xp.isneginf(_data(input)))


@op()
def signbit(input) -> Tensor:  # noqa: A002
    """True where the sign bit is set (negative numbers and -0.0)."""
    return Tensor._wrap(xp.signbit(_data(input)))


@op()
def isclose(input, other, rtol: float = 1e-05, atol: float = 1e-08,  # noqa: A002
            equal_nan: bool = False) -> Tensor:
    """Elementwise |input - other| ≤ atol + rtol·|other| (a bool tensor)."""
    return Tensor._wrap(xp.asarray(xp.isclose(_data(input), _data(other), rtol=rtol,
                                              atol=atol, equal_nan=equal_nan)))


@op()
def equal(input, other) -> bool:  # noqa: A002
    """True when both have the same shape and the same elements (a Python bool)."""
    a, b = _data(input), _data(other)
    return a.shape == b.shape and bool(xp.array_equal(a, b))
