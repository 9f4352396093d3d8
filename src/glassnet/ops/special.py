"""Special functions and the remaining elementwise math, with PyTorch's names:
acosh asinh atanh (arccosh arcsinh arctanh), erfc erfinv lgamma digamma polygamma mvlgamma
i0 sinc deg2rad rad2deg, logaddexp logaddexp2 copysign heaviside fmax fmin float_power
ldexp gcd lcm nextafter positive, the aliases absolute multiply subtract arctan2, and the
ops that only ``glassnet.special`` exposes (as ``torch.special``): erfcx i0e i1 i1e ndtr
ndtri log_ndtr entr xlog1py zeta.

Each differentiable op states its derivative beside its forward (PyTorch's choices where
a point is special); the numerics live in ``_special_math.py`` and run in float64, the
result keeping the input's float dtype (integer inputs give the default float dtype).
heaviside, gcd, lcm and nextafter have no gradient (as in PyTorch).
"""

from __future__ import annotations

import math

import numpy as np

from .. import backend
from ..autograd import Function
from ..tensor import Tensor
from . import _special_math as sm
from ._registry import op
from ._util import operand, promote, shape_of
from .activation_more import erf as _erf
from .arithmetic import mul as _mul
from .arithmetic import pow as _pow
from .arithmetic import sub as _sub
from .elementwise import abs as _abs
from .unary import atan2 as _atan2

__all__ = ["acosh", "asinh", "atanh", "erfc", "erfinv", "lgamma", "digamma", "polygamma",
           "mvlgamma", "i0", "sinc", "deg2rad", "rad2deg", "erfcx", "i0e", "i1", "i1e",
           "ndtr", "ndtri", "log_ndtr", "entr", "logaddexp", "logaddexp2", "copysign",
           "heaviside", "fmax", "fmin", "float_power", "ldexp", "gcd", "lcm", "nextafter",
           "positive", "xlog1py", "zeta"]

_F64 = np.float64
_TWO_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_2PI = math.sqrt(2.0 * math.pi)


def _float_tensor(x) -> Tensor:
    t = x if isinstance(x, Tensor) else Tensor(operand(x))
    if t.data.dtype.kind != "f":  # PyTorch: integer and bool inputs give the default float
        t = Tensor._wrap(t.data.astype(backend.DEFAULT_FLOAT))
    return t


def _register_inplace(name: str, func) -> None:
    """``Tensor.<name>_`` for a public function registered under another name (the
    registry's in-place twins refuse a float result in an integer tensor)."""
    op(name=f"{name}_", method=False, top=False, inplace=f"{name}_")(func)


# --- one-input ops -----------------------------------------------------------------------------

class _SpecialUnary(Function):
    """y = f(x) with dy/dx = df(x, y); both computed in float64, y in the input's dtype."""

    def forward(self, x, *args):
        self.x, self.args = x, args
        with np.errstate(all="ignore"):
            y = np.asarray(self.f(x.astype(_F64, copy=False), *args))
        self.y = y
        return y.astype(x.dtype, copy=False)

    def backward(self, gy):
        with np.errstate(all="ignore"):
            g = gy * self.df(self.x.astype(_F64, copy=False), self.y, *self.args)
        return (g.astype(gy.dtype, copy=False),) + (None,) * len(self.args)


def _unary(name: str, f, df, formula: str, *, doc: str, method=True, top=True, inplace=True,
           aliases=()):
    cls = type(name.capitalize() + "Op", (_SpecialUnary,), {
        "name": name, "formula": formula, "f": staticmethod(f), "df": staticmethod(df),
        "__doc__": f"{name}(x); derivative {formula.format('x')}.", "__module__": __name__,
    })

    def public(input) -> Tensor:  # noqa: A002 - PyTorch's argument name
        return cls.apply(_float_tensor(input))

    public.__name__ = public.__qualname__ = name
    public.__doc__ = f"{doc} Derivative {formula.format('x')}."
    public.__module__ = __name__
    op(method=method, top=top, records=cls, inplace=f"{name}_" if inplace else ())(public)
    for alias in aliases:
        op(name=alias, method=method, top=top, inplace=f"{alias}_" if inplace else ())(public)
    return cls, public


def _sinc(x):
    px = math.pi * x
    return np.where(x == 0, 1.0, np.sin(px) / px)


def _dsinc(x, y):
    px = math.pi * x
    return np.where(x == 0, 0.0, (px * np.cos(px) - np.sin(px)) / (px * x))


def _entr(x):
    return np.where(x > 0, -x * np.log(np.where(x > 0, x, 1.0)),
                    np.where(x == 0, 0.0, np.where(x < 0, -np.inf, x)))


AcoshOp, acosh = _unary("acosh", np.arccosh, lambda x, y: 1 / np.sqrt(x * x - 1),
                        "1/√({0}² - 1)", doc="Inverse hyperbolic cosine (NaN below 1).",
                        aliases=("arccosh",))
AsinhOp, asinh = _unary("asinh", np.arcsinh, lambda x, y: 1 / np.sqrt(x * x + 1),
                        "1/√({0}² + 1)", doc="Inverse hyperbolic sine.", aliases=("arcsinh",))
AtanhOp, atanh = _unary("atanh", np.arctanh, lambda x, y: 1 / (1 - x * x),
                        "1/(1 - {0}²)", doc="Inverse hyperbolic tangent (±inf at ±1).",
                        aliases=("arctanh",))
ErfcOp, erfc = _unary("erfc", sm.erfc, lambda x, y: -_TWO_SQRT_PI * np.exp(-x * x),
                      "-2/√π·exp(-{0}²)", doc="Complementary error function 1 - erf(x), "
                      "accurate where it is tiny.")
ErfinvOp, erfinv = _unary("erfinv", sm.erfinv,
                          lambda x, y: math.sqrt(math.pi) / 2 * np.exp(y * y),
                          "√π/2·exp(erfinv({0})²)",
                          doc="Inverse error function on [-1, 1] (±inf at ±1, NaN outside).")
LgammaOp, lgamma = _unary("lgamma", sm.lgamma, lambda x, y: sm.digamma(x), "digamma({0})",
                          doc="log|Γ(x)| (inf at 0 and the negative integers).")
DigammaOp, digamma = _unary("digamma", sm.digamma, lambda x, y: sm.polygamma(1, x),
                            "polygamma(1, {0})",
                            doc="ψ(x) = d/dx log Γ(x) (NaN at the negative integers, "
                                "-inf at +0).")
I0Op, i0 = _unary("i0", sm.i0, lambda x, y: sm.bessel_i(1, x, False), "i1({0})",
                  doc="Modified Bessel function of the first kind, order 0.")
SincOp, sinc = _unary("sinc", _sinc, _dsinc, "(cos(π{0}) - sinc({0}))/{0}",
                      doc="Normalized sinc: sin(πx)/(πx), 1 at 0.")
Deg2radOp, deg2rad = _unary("deg2rad", lambda x: x * (math.pi / 180), lambda x, y: math.pi / 180,
                            "π/180", doc="Degrees to radians.")
Rad2degOp, rad2deg = _unary("rad2deg", lambda x: x * (180 / math.pi), lambda x, y: 180 / math.pi,
                            "180/π", doc="Radians to degrees.")

# glassnet.special only (torch.special.<name>, no Tensor method)
_SPECIAL = dict(method=False, top=False, inplace=False)
ErfcxOp, erfcx = _unary("erfcx", sm.erfcx,
                        lambda x, y: 2 * x * y - _TWO_SQRT_PI, "2{0}·erfcx({0}) - 2/√π",
                        doc="Scaled complementary error function exp(x²)·erfc(x).", **_SPECIAL)
I0eOp, i0e = _unary("i0e", lambda x: sm.bessel_i(0, x, True),
                    lambda x, y: sm.bessel_i(1, x, True) - np.sign(x) * y,
                    "i1e({0}) - sign({0})·i0e({0})",
                    doc="Exponentially scaled I0: exp(-|x|)·i0(x).", **_SPECIAL)
I1Op, i1 = _unary("i1", lambda x: sm.bessel_i(1, x, False),
                  lambda x, y: np.where(x == 0, 0.5, sm.i0(x) - y / x), "i0({0}) - i1({0})/{0}",
                  doc="Modified Bessel function of the first kind, order 1.", **_SPECIAL)
I1eOp, i1e = _unary("i1e", lambda x: sm.bessel_i(1, x, True),
                    lambda x, y: np.where(x == 0, 0.5, sm.bessel_i(0, x, True)
                                          - y * (np.sign(x) + 1 / x)),
                    "i0e({0}) - i1e({0})·(sign({0}) + 1/{0})",
                    doc="Exponentially scaled I1: exp(-|x|)·i1(x).", **_SPECIAL)
NdtrOp, ndtr = _unary("ndtr", sm.ndtr, lambda x, y: np.exp(-0.5 * x * x) / _SQRT_2PI,
                      "exp(-{0}²/2)/√(2π)", doc="The standard normal CDF Φ(x).", **_SPECIAL)
NdtriOp, ndtri = _unary("ndtri", sm.ndtri, lambda x, y: _SQRT_2PI * np.exp(0.5 * y * y),
                        "√(2π)·exp(ndtri({0})²/2)",
                        doc="The inverse of the standard normal CDF (±inf at 1 and 0).",
                        **_SPECIAL)
LogNdtrOp, log_ndtr = _unary("log_ndtr", sm.log_ndtr,
                             lambda x, y: np.exp(-(y + 0.5 * x * x)) / _SQRT_2PI,
                             "φ({0})/Φ({0})",
                             doc="log Φ(x), accurate far into the lower tail.", **_SPECIAL)
EntrOp, entr = _unary("entr", _entr, lambda x, y: -(1 + np.log(x)), "-(1 + ln {0})",
                      doc="-x·ln x for x > 0, 0 at 0, -inf below.", **_SPECIAL)

op(name="erf_", method=False, top=False, inplace="erf_")(_erf)


class PolygammaOp(_SpecialUnary):
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma; derivative ψ⁽ⁿ⁺¹⁾(x)."""

    name, formula = "polygamma", "polygamma(n + 1, {0})"

    @staticmethod
    def f(x, n):
        return sm.polygamma(n, x)

    @staticmethod
    def df(x, y, n):
        return sm.polygamma(n + 1, x)


def _check_order(n, what: str) -> int:
    if isinstance(n, Tensor) and n.data.size == 1 and n.data.dtype.kind in "iu":
        n = n.data.item()
    if isinstance(n, (bool, np.bool_)) or not isinstance(n, (int, np.integer)):
        raise TypeError(f"{what} must be an int, got {type(n).__name__}: {n!r}")
    return int(n)


@op(method=False, records=PolygammaOp)
def polygamma(n: int, input) -> Tensor:  # noqa: A002
    """ψ⁽ⁿ⁾(x), the n-th derivative of digamma (n = 0 is digamma itself)."""
    n = _check_order(n, "polygamma: n")
    if n < 0:
        raise ValueError(f"polygamma(n, x) does not support negative n, got n={n}")
    return PolygammaOp.apply(_float_tensor(input), n)


def _polygamma_method(input, n: int) -> Tensor:  # noqa: A002
    """``x.polygamma(n)``: :func:`polygamma` with the tensor as its input."""
    return polygamma(n, input)


op(name="Tensor.polygamma", method="polygamma", top=False)(_polygamma_method)
_register_inplace("polygamma", _polygamma_method)


class MvlgammaOp(_SpecialUnary):
    """log of the multivariate gamma function of dimension p; derivative
    Σ_{j<p} digamma(x - j/2)."""

    name, formula = "mvlgamma", "Σ_j digamma({0} - j/2)"

    @staticmethod
    def f(x, p):
        out = np.full(x.shape, p * (p - 1) / 4 * math.log(math.pi))
        for j in range(p):
            out = out + sm.lgamma(x - j / 2)
        return out

    @staticmethod
    def df(x, y, p):
        return sum(sm.digamma(x - j / 2) for j in range(p))


@op(records=MvlgammaOp)
def mvlgamma(input, p: int) -> Tensor:  # noqa: A002
    """log Γ_p(x) = p(p-1)/4·log π + Σ_{j=1..p} lgamma(x + (1 - j)/2)."""
    p = _check_order(p, "mvlgamma: p")
    if p < 1:
        raise ValueError(f"mvlgamma: p has to be greater than or equal to 1, got p={p}")
    return MvlgammaOp.apply(_float_tensor(input), p)


_register_inplace("mvlgamma", mvlgamma)


# --- two-input ops -------------------------------------------------------------------------------

def _operands(a, b, what: str, true_div: bool = True):
    """Tensor/number operands with PyTorch's dtype rule (integers -> float when the op is
    floating) and a clear error for shapes that do not broadcast."""
    if isinstance(a, Tensor):
        b = operand(b, a)
    else:
        a = operand(a, b)
        if not isinstance(a, Tensor) and not isinstance(b, Tensor):
            a = Tensor(a)
    a, b = promote(a, b, true_div=true_div)
    try:
        np.broadcast_shapes(tuple(shape_of(a)), tuple(shape_of(b)))
    except ValueError:
        raise ValueError(f"{what}: shapes {tuple(shape_of(a))} and {tuple(shape_of(b))} "
                         f"cannot be broadcast") from None
    return a, b


class LogaddexpOp(Function):
    """log(eᵃ + eᵇ) without overflow; ∂/∂a = 1/(1 + e^(b-a)), ∂/∂b = 1/(1 + e^(a-b))."""

    name, formula = "logaddexp", ("1/(1 + exp({1} - {0}))", "1/(1 + exp({0} - {1}))")
    base = math.e

    def forward(self, a, b):
        self.a, self.b = a, b
        with np.errstate(all="ignore"):
            return np.logaddexp(a, b) if self.base == math.e else np.logaddexp2(a, b)

    def backward(self, gy):
        with np.errstate(all="ignore"):
            d = np.asarray(self.b - self.a)
            ga = gy / (1 + np.power(self.base, d))
            gb = gy / (1 + np.power(self.base, -d))
        return ga.astype(gy.dtype, copy=False), gb.astype(gy.dtype, copy=False)


class Logaddexp2Op(LogaddexpOp):
    """log₂(2ᵃ + 2ᵇ); ∂/∂a = 1/(1 + 2^(b-a)), ∂/∂b = 1/(1 + 2^(a-b))."""

    name, formula = "logaddexp2", ("1/(1 + 2^({1} - {0}))", "1/(1 + 2^({0} - {1}))")
    base = 2.0


@op(records=LogaddexpOp)
def logaddexp(input, other) -> Tensor:  # noqa: A002
    """log(exp(input) + exp(other)), computed without overflow."""
    return LogaddexpOp.apply(*_operands(input, other, "logaddexp"))


@op(records=Logaddexp2Op)
def logaddexp2(input, other) -> Tensor:  # noqa: A002
    """log₂(2^input + 2^other), computed without overflow."""
    return Logaddexp2Op.apply(*_operands(input, other, "logaddexp2"))


class CopysignOp(Function):
    """|a| with the sign of b; ∂/∂a = sign(a)·sign(result) (0 at a = 0), ∂/∂b = 0."""

    name, formula = "copysign", ("copysign(1, {1})·sign({0})", 0.0)

    def forward(self, a, b):
        self.a, self.b = a, b
        self.y = np.copysign(a, b)
        return self.y

    def backward(self, gy):
        with np.errstate(all="ignore"):
            ratio = np.where(self.a == 0, 0.0, self.y / self.a)
        return (gy * ratio).astype(gy.dtype, copy=False), np.zeros_like(gy)


@op(records=CopysignOp)
def copysign(input, other) -> Tensor:  # noqa: A002
    """The magnitude of ``input`` with the sign of ``other`` (-0.0 counts as negative)."""
    return CopysignOp.apply(*_operands(input, other, "copysign"))


_register_inplace("copysign", copysign)


class FmaxOp(Function):
    """max(a, b) ignoring NaN (NaN only where both are NaN); the gradient goes to the
    chosen input, to a on ties (as PyTorch)."""

    name, formula = "fmax", ("[{0} chosen]", "[{1} chosen]")

    def forward(self, a, b):
        self.a, self.b = a, b
        return np.where(self.chosen(), a, b)[()]

    def chosen(self):
        return (self.a >= self.b) | np.isnan(self.b)

    def backward(self, gy):
        first = self.chosen()
        return np.where(first, gy, 0).astype(gy.dtype), np.where(first, 0, gy).astype(gy.dtype)


class FminOp(FmaxOp):
    """min(a, b) ignoring NaN; the gradient goes to the chosen input, to a on ties."""

    name, formula = "fmin", ("[{0} chosen]", "[{1} chosen]")

    def chosen(self):
        return (self.a <= self.b) | np.isnan(self.b)


@op(records=FmaxOp)
def fmax(input, other) -> Tensor:  # noqa: A002
    """Elementwise maximum that ignores NaN (unlike ``maximum``, which propagates it)."""
    return FmaxOp.apply(*_operands(input, other, "fmax", true_div=False))


@op(records=FminOp)
def fmin(input, other) -> Tensor:  # noqa: A002
    """Elementwise minimum that ignores NaN (unlike ``minimum``, which propagates it)."""
    return FminOp.apply(*_operands(input, other, "fmin", true_div=False))


class Xlog1pyOp(Function):
    """x·log1p(y), 0 where x = 0 (unless y is NaN); ∂/∂x = log1p(y), ∂/∂y = x/(1 + y)."""

    name, formula = "xlog1py", ("log1p({1})", "{0}/(1 + {1})")

    def forward(self, x, y):
        self.x, self.y = x, y
        with np.errstate(all="ignore"):
            out = np.where((x == 0) & ~np.isnan(y), 0, x * np.log1p(y))
        return out.astype(np.result_type(x, y), copy=False)

    def backward(self, gy):
        x, y = self.x, self.y
        with np.errstate(all="ignore"):
            gx = np.where((x == 0) & (y <= -1), 0, gy * np.log1p(y))
            gyy = gy * x / (1 + y)
        return gx.astype(gy.dtype, copy=False), gyy.astype(gy.dtype, copy=False)


@op(method=False, top=False, records=Xlog1pyOp)
def xlog1py(input, other) -> Tensor:  # noqa: A002
    """input · log1p(other), 0 where input is 0 (``glassnet.special.xlog1py``)."""
    return Xlog1pyOp.apply(*_operands(input, other, "xlog1py"))


class ZetaOp(Function):
    """The Hurwitz zeta function ζ(x, q) = Σ_k (q + k)^(-x); ∂/∂q = -x·ζ(x + 1, q). As in
    PyTorch there is no derivative with respect to x."""

    name, formula = "zeta", (None, "-{0}·zeta({0} + 1, {1})")  # no ∂/∂x (as PyTorch)

    def forward(self, x, q):
        self.x, self.q = x, q
        return sm.zeta(x, q).astype(np.result_type(x, q), copy=False)

    def backward(self, gy):
        if self.needs_input_grad[0]:
            raise NotImplementedError("zeta: the derivative with respect to the exponent "
                                      "(input) is not implemented (as in PyTorch); only "
                                      "other (q) can require grad")
        x = np.asarray(self.x, _F64)
        with np.errstate(all="ignore"):
            gq = gy * (-x * sm.zeta(x + 1, self.q))
        return None, gq.astype(gy.dtype, copy=False)


@op(method=False, top=False, records=ZetaOp)
def zeta(input, other) -> Tensor:  # noqa: A002
    """Hurwitz zeta ζ(input, other) = Σ_{k≥0} (other + k)^(-input)
    (``glassnet.special.zeta``; ζ(s, 1) is Riemann's)."""
    return ZetaOp.apply(*_operands(input, other, "zeta"))


# --- composites and ops without a gradient -------------------------------------------------------

@op()
def float_power(input, exponent) -> Tensor:  # noqa: A002
    """input ** exponent computed in float64 (the result is float64 whatever the inputs);
    differentiable in both, like ``pow``."""
    def f64(v):
        if isinstance(v, Tensor):
            return v if v.data.dtype == _F64 else v.double()
        v = operand(v)
        return float(v) if not isinstance(v, np.ndarray) else Tensor._wrap(v.astype(_F64))

    a, b = f64(input), f64(exponent)
    if not isinstance(a, Tensor) and not isinstance(b, Tensor):
        a = Tensor._wrap(np.asarray(a, _F64))
    return _pow(a, b)


def _float_power_inplace(input, exponent) -> Tensor:  # noqa: A002
    if input.data.dtype != _F64:
        raise TypeError(f"float_power_: the base has dtype {input.data.dtype} but the result "
                        f"is float64; use x.double().float_power_(...) or float_power(x, ...)")
    return float_power(input, exponent)


op(name="float_power_", method=False, top=False, inplace="float_power_")(_float_power_inplace)


@op()
def ldexp(input, other) -> Tensor:  # noqa: A002
    """input · 2^other (``other`` usually integer); differentiable in both."""
    x = _float_tensor(input)
    o = other if isinstance(other, Tensor) else operand(other, x)
    if not isinstance(o, Tensor):
        o = Tensor._wrap(np.asarray(o))
    if o.data.dtype.kind != "f" or o.data.dtype.itemsize < x.data.dtype.itemsize:
        o = o.to(x.dtype) if o.data.dtype.kind == "f" else Tensor._wrap(o.data.astype(x.data.dtype))
    return _mul(x, _pow(2.0, o))


_register_inplace("ldexp", ldexp)


def _data(x):
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def _integers(a, b, what: str):
    a, b = _data(a), _data(b)
    for v, arg in ((a, "input"), (b, "other")):
        if v.dtype.kind not in "iu":
            raise TypeError(f"{what}: {arg} must be an integer tensor, got dtype {v.dtype} "
                            f"({what} is defined for integers only)")
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{what}: shapes {a.shape} and {b.shape} cannot be broadcast") from None
    return a, b


@op()
def gcd(input, other) -> Tensor:  # noqa: A002
    """The greatest common divisor, elementwise (integers only; gcd(0, 0) = 0)."""
    return Tensor._wrap(np.asarray(np.gcd(*_integers(input, other, "gcd"))))


@op()
def lcm(input, other) -> Tensor:  # noqa: A002
    """The least common multiple, elementwise (integers only; lcm(0, x) = 0)."""
    return Tensor._wrap(np.asarray(np.lcm(*_integers(input, other, "lcm"))))


@op()
def nextafter(input, other) -> Tensor:  # noqa: A002
    """The next floating-point value after ``input`` towards ``other`` (no gradient)."""
    a, b = _operands(input, other, "nextafter", true_div=False)
    for v, arg in ((a, "input"), (b, "other")):
        if np.asarray(_data(v)).dtype.kind != "f" and isinstance(v, Tensor | np.ndarray):
            raise TypeError(f"nextafter: {arg} must be floating point, got dtype "
                            f"{_data(v).dtype}")
    return Tensor._wrap(np.asarray(np.nextafter(_data(a), b if isinstance(b, float) else _data(b))))


@op()
def heaviside(input, values) -> Tensor:  # noqa: A002
    """The step function: 0 where input < 0 (and NaN), ``values`` where input == 0, 1 where
    input > 0 (no gradient)."""
    x = input if isinstance(input, Tensor) else Tensor(operand(input))
    v = values.data if isinstance(values, Tensor) else operand(values)
    if isinstance(v, np.ndarray):
        if v.dtype != x.data.dtype:
            raise TypeError(f"heaviside: input ({x.data.dtype}) and values ({v.dtype}) must "
                            f"have the same dtype")
    else:
        v = np.asarray(v, dtype=x.data.dtype)
    try:
        out = np.where(x.data == 0, v, x.data > 0)
    except ValueError:
        raise ValueError(f"heaviside: shapes {x.data.shape} and {np.shape(v)} cannot be "
                         f"broadcast") from None
    return Tensor._wrap(out.astype(x.data.dtype, copy=False))


for _name, _f in (("gcd", gcd), ("lcm", lcm), ("nextafter", nextafter), ("heaviside", heaviside)):
    _register_inplace(_name, _f)


@op()
def positive(input) -> Tensor:  # noqa: A002
    """``input`` itself (+x); a bool tensor is an error, as in PyTorch."""
    x = input if isinstance(input, Tensor) else Tensor(operand(input))
    if x.data.dtype == np.bool_:
        raise TypeError("positive: the + operator does not apply to a bool tensor")
    return x


# --- PyTorch's other names for existing ops -------------------------------------------------------

for _alias, _f in (("absolute", _abs), ("multiply", _mul), ("subtract", _sub),
                   ("arctan2", _atan2)):
    op(name=_alias)(_f)
    op(name=f"{_alias}_", method=False, top=False, inplace=f"{_alias}_")(_f)
