"""Fused loops for the error-function family (needs numba; imported on first use).

``glassnet.ops.activation_more`` (GELU, erf) and ``glassnet.ops.special`` (erfinv, ndtri)
import this module the first time one of those ops runs, unless ``GLASSNET_KERNEL=numpy``
or numba cannot be imported; their NumPy code gives the same values up to rounding.

Why these loops are fast: one pass over the data, no temporaries, and — for float32 — no
call into the C math library in the loop, so LLVM turns the loop into AVX/SSE code that
handles 2-4 doubles per instruction:

- ``_exp_nonpos(a)``: eᵃ for a ≤ 0 — a = k·ln2 + r with |r| ≤ ln2/2, eʳ by its Taylor
  polynomial to degree 13 (truncation < 5e-18) and 2ᵏ built from its bits (scaled
  once more below the normal range, so subnormal results come out right);
- ``_half_erfc(z)``: erfc(z)/2 for z ≥ 0 as e^(-z²)·u·S(u)/2 with u = 2/(2 + z) ∈ (0, 1],
  S a degree-12 polynomial in 2u - 1 (relative error 2e-9 over all z ≥ 0; the
  coefficients are a least-squares Chebyshev fit of erfcx(z)/u at 80 Chebyshev nodes of
  u, reference values from mpmath at 40 digits);
- float32 inputs are computed in float64 with those two (and eʳ to degree 8 only),
  float64 inputs with the C library's ``erfc``/``exp`` (about 1 ulp), since a 2e-9
  relative error is mostly invisible after rounding to float32 but not in float64.

The inverse functions (erfinv, ndtri) take a first guess from two fitted polynomials in
w = -log(1 - y²) (relative error < 1e-6) and make one Halley step on erf (or erfc in the
tails, where 1 - |y| is exact): the error cubes, to below float64's rounding.

Every kernel walks flat contiguous arrays; the callers ravel (and copy non-contiguous
input) first.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import types
from numba.extending import intrinsic

# error_model="numpy": x/0 gives inf instead of a check that would stop vectorisation;
# "contract" lets a·b + c become one fused multiply-add (no other fast-math liberties)
_OPTS = dict(cache=True, fastmath={"contract"}, error_model="numpy")
_jit = numba.njit(nogil=True, boundscheck=False, **_OPTS)
_inline = numba.njit(inline="always", **_OPTS)

_INV_SQRT2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_PI = math.sqrt(2.0 / math.pi)  # tanh-GELU's constant
_TWO_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI = math.sqrt(math.pi)
_SQRT2 = math.sqrt(2.0)


@intrinsic
def _f64_from_bits(typingctx, v):
    """The float64 whose IEEE bits are the int64 ``v`` (a vectorisable bit cast)."""

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], context.get_value_type(types.float64))

    return types.float64(types.int64), codegen


@intrinsic
def _bits_of_f64(typingctx, v):
    """The IEEE bits of the float64 ``v`` as an int64."""

    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], context.get_value_type(types.int64))

    return types.int64(types.float64), codegen


@_inline
def _horner(coef, s):
    """Σ coef[i]·s^(n-i): the polynomial with its highest coefficient first."""
    h = coef[0]
    for c in coef[1:]:
        h = h * s + c
    return h


_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # ln 2 split: hi has trailing zero bits, so k·hi is exact
_LN2_LO = 1.9082149292705877e-10
_SHIFTER = 6755399441055744.0  # 1.5·2^52: adding it rounds to an integer held in the low bits
_SHIFTER_BITS = int(np.float64(_SHIFTER).view(np.int64))
_EXP13 = tuple(1.0 / math.factorial(n) for n in range(13, -1, -1))  # truncation < 5e-18
_EXP8 = tuple(1.0 / math.factorial(n) for n in range(8, -1, -1))  # < 2e-10: float32 results


@_inline
def _exp_reduce(a):
    """a = k·ln2 + r for a ≤ 0 (clamped at -746): returns r, |r| ≤ ln2/2, and 2ᵏ."""
    if a < -746.0:
        a = -746.0
    kd = a * _LOG2E + _SHIFTER
    k = _bits_of_f64(kd) - _SHIFTER_BITS + 1023  # round(a / ln 2) plus the exponent bias
    kd = kd - _SHIFTER
    r = (a - kd * _LN2_HI) - kd * _LN2_LO
    # 2ᵏ from its bits; below the normal range as 2^(k+64)·2^-64, so subnormals come out
    # right (a select, not a branch: the loop stays vectorised)
    small = k <= 0
    k = k + 64 if small else k
    return r, _f64_from_bits(k << 52) * (5.421010862427522e-20 if small else 1.0)


@_inline
def _exp_nonpos(a):
    """eᵃ for a ≤ 0 to about 1 ulp (0 below -746; NaN gives garbage: callers patch NaN)."""
    r, scale = _exp_reduce(a)
    return _horner(_EXP13, r) * scale


@_inline
def _exp_nonpos_f32(a):
    """eᵃ for a ≤ 0 to 2e-10 relative: enough for a float32 result, cheaper."""
    r, scale = _exp_reduce(a)
    return _horner(_EXP8, r) * scale


# S(s), s = 2u - 1, highest power first (see the module docstring)
_S = (-8.50886988947876e-06, -1.327395367255162e-06, 6.768780681843201e-05,
      -3.2951539633422755e-05, -0.0003281001478351978, 0.00042702015107736114,
      0.0015440476829733452, -0.0032418548954882445, -0.010755116152716637,
      0.018221384245777624, 0.1397360326618825, 0.34358033297009516, 0.5107913527612239)


@_inline
def _half_erfc_e(z, e):
    """erfc(z)/2 for z ≥ 0 given e = e^(-z²) (relative error 2e-9: for float32 results)."""
    u = 2.0 / (2.0 + z)
    return 0.5 * e * u * _horner(_S, 2.0 * u - 1.0)


# --- GELU ------------------------------------------------------------------------------------

@_inline
def _phi32(v):
    """(Φ(v), e^(-v²/2)) for a float32 value v held in float64 (v² is exact)."""
    e = _exp_nonpos_f32(-0.5 * v * v)
    lo = _half_erfc_e(abs(v) * _INV_SQRT2, e)  # Φ(-|v|)
    return (lo if v < 0 else 1.0 - lo), e


@_inline
def _phi64(v):
    return 0.5 * math.erfc(-v * _INV_SQRT2), math.exp(-0.5 * v * v)


@_jit
def gelu32(x, y, d, want_d):
    """y = x Φ(x) and, when ``want_d``, d = dy/dx = Φ(x) + x φ(x); float32 arrays."""
    for i in range(x.size):
        v = np.float64(x[i])
        p, e = _phi32(v)
        if v != v:
            p = v
        y[i] = v * p
        if want_d:
            d[i] = p + v * e * _INV_SQRT_2PI


@_jit
def gelu64(x, y, d, want_d):
    """As :func:`gelu32` for float64 arrays (the C library's erfc and exp)."""
    for i in range(x.size):
        v = x[i]
        p, e = _phi64(v)
        y[i] = v * p
        if want_d:
            d[i] = p + v * e * _INV_SQRT_2PI


@_inline
def _gelu_tanh_parts(v, u, e):
    """tanh-GELU from u = √(2/π)(v + 0.044715v³) and e = e^(-2|u|): with s = σ(2u) =
    (1 + tanh u)/2, y = v s and dy/dv = s + 2v s(1 - s)·du/dv. σ and 1 - σ are both formed
    from e, so neither tail loses digits."""
    a = 1.0 / (1.0 + e)
    s = a if u >= 0 else e * a
    t = e * a if u >= 0 else a  # 1 - s
    if v != v:
        s = v
    return v * s, s + 2.0 * v * s * t * (_SQRT_2_PI * (1.0 + 3.0 * 0.044715 * v * v))


@_jit
def gelu_tanh32(x, y, d, want_d):
    """tanh-GELU y and (when ``want_d``) dy/dx on float32 arrays."""
    for i in range(x.size):
        v = np.float64(x[i])
        u = _SQRT_2_PI * (v + 0.044715 * v * v * v)
        y[i], di = _gelu_tanh_parts(v, u, _exp_nonpos_f32(-2.0 * abs(u)))
        if want_d:
            d[i] = di


@_jit
def gelu_tanh64(x, y, d, want_d):
    """tanh-GELU y and (when ``want_d``) dy/dx on float64 arrays."""
    for i in range(x.size):
        v = x[i]
        u = _SQRT_2_PI * (v + 0.044715 * v * v * v)
        y[i], di = _gelu_tanh_parts(v, u, _exp_nonpos(-2.0 * abs(u)))
        if want_d:
            d[i] = di


# --- erf, erfc ----------------------------------------------------------------------------------

# erf(z) = 2/√π Σ (-1)ⁿ z^(2n+1) / (n! (2n+1)) for |z| < 1/2: nine terms reach 2e-11
_ERF_TAYLOR = tuple((-1.0) ** n / (math.factorial(n) * (2 * n + 1)) * _TWO_SQRT_PI
                    for n in range(8, -1, -1))


@_jit
def erf32(x, y):
    """erf on float32 arrays, computed in float64."""
    for i in range(x.size):
        v = np.float64(x[i])
        z = abs(v)
        w = v * v
        h = _horner(_ERF_TAYLOR, w)
        big = 1.0 - 2.0 * _half_erfc_e(z, _exp_nonpos_f32(-w))
        r = v * h if z < 0.5 else (big if v > 0 else -big)
        y[i] = r if v == v else v


@_jit
def erfc32(x, y):
    """erfc on float32 arrays, computed in float64 (relative accuracy in the right tail)."""
    for i in range(x.size):
        v = np.float64(x[i])
        z = abs(v)
        w = v * v
        h = _horner(_ERF_TAYLOR, w)
        half = _half_erfc_e(z, _exp_nonpos_f32(-w))
        r = 1.0 - v * h if z < 0.5 else (2.0 * half if v > 0 else 2.0 - 2.0 * half)
        y[i] = r if v == v else v


# --- erfinv, ndtri -------------------------------------------------------------------------------

# erfinv(y)/y as a polynomial in s ∈ [-1, 1], a linear map of w = -log(1 - y²) (w < 6.25),
# of √w (6.25 ≤ w < 16) or of log w (w ≥ 16, up to 760: 1 - y down to the smallest
# subnormal). Least-squares Chebyshev fits to erfinv(y)/y (mpmath references at 40 digits,
# 4,500 points), relative error below 3e-8 in each piece. Highest power first.
_P_CENTRAL = (5.9335599878850594e-05, -0.00013072099850923354, -0.00022655711455991104,
              0.0012383156467533742, -0.0012911347047284325, -0.00413826288577887,
              0.017812892917661086, -0.022604439000868733, -0.05892295442659996,
              0.7504943247330577, 1.6536545680629084)
_P_MID = (-4.995449230424359e-06, -3.549497152957977e-05, 0.00017735393196981197,
          -0.0004090120659609069, 0.0007849149552869219, -0.001580443019914539,
          0.0030217009185719568, 0.7539440919217731, 3.083885590902283)
_P_FAR = (1.4619512970163375e-06, 2.8814764166221375e-05, 0.0001770803728085256,
          0.0016330881350022696, 0.011926637328719701, 0.07248090086252533,
          0.382592809805065, 1.568480197379935, 4.885662684513655, 10.192534820219283,
          10.394580914720992)


@_inline
def _inverse_erfc_far(z, q):
    """Refine z ≈ erfc⁻¹(q) for q < 1e-290, where erfc(z) is near or in the subnormal
    range and has too few digits for a Halley step: two Newton steps on
    log erfc(z) = log q, with log erfc(z) = -z² - log(z√π) + log Σ_k (-1)^k (2k-1)!!/(2z²)^k
    (z > 25: twelve terms of the asymptotic series reach 1e-22) and
    d/dz log erfc(z) = -2z / Σ."""
    lq = math.log(q)
    for _ in range(2):
        r = 0.5 / (z * z)
        term = 1.0
        s = 1.0
        for k in range(1, 12):
            term *= -(2 * k - 1) * r
            s += term
        g = -z * z - math.log(z * _SQRT_PI) + math.log(s)
        z = z + (g - lq) * s / (2.0 * z)
    return z


@_inline
def _inverse_erf(y, q):
    """z ≥ 0 with erf(z) = y, given y ≥ 0 and q = 1 - y (exact where y ≥ 1/2)."""
    w = -(math.log(q) + math.log1p(y))  # -log((1 - y)(1 + y)) without cancelling
    if w < 6.25:
        h = _horner(_P_CENTRAL, 0.32 * w - 1.0)
    elif w < 16.0:
        h = _horner(_P_MID, 1.3333333333333333 * math.sqrt(w) - 4.333333333333334)
    else:
        h = _horner(_P_FAR, 0.5180367831191511 * math.log(w) - 2.4363029425815337)
    z = y * h
    if q < 1e-290:
        return _inverse_erfc_far(z, q)
    # one Halley step on f(z) = erf(z) - y (= q - erfc(z) when y ≥ 1/2):
    # z -= u / (1 + z u), u = f / f', f' = 2/√π e^(-z²), f''/f' = -2z
    if y < 0.5:
        f = math.erf(z) - y
    else:
        f = q - math.erfc(z)
    u = f / (_TWO_SQRT_PI * math.exp(-z * z))
    step = u / (1.0 + z * u)
    if math.isfinite(step):
        z = z - step
    return z


@_jit
def erfinv(x, out):
    """erfinv on float64 arrays: ±inf at ±1, NaN outside [-1, 1], -0.0 kept."""
    for i in range(x.size):
        v = x[i]
        y = abs(v)
        if y < 1.0:
            r = _inverse_erf(y, 1.0 - y) if y != 0.0 else 0.0
        elif y == 1.0:
            r = math.inf
        else:
            r = math.nan  # outside [-1, 1], and NaN
        out[i] = math.copysign(r, v)


@_jit
def ndtri(p, out):
    """Φ⁻¹(p) = √2 erfinv(2p - 1) on float64 arrays, with 1 - |2p - 1| formed from p itself
    (exactly) so p = 1e-300 keeps its digits; -inf at 0, inf at 1, NaN outside."""
    for i in range(p.size):
        v = p[i]
        if 0.0 < v < 1.0:
            if v < 0.25:
                q = 2.0 * v
                r = -_SQRT2 * _inverse_erf(1.0 - q, q)
            else:
                t = 2.0 * v - 1.0  # exact for v ≥ 1/4
                r = math.copysign(_SQRT2 * _inverse_erf(abs(t), 1.0 - abs(t)), t)
        elif v == 0.0:
            r = -math.inf
        elif v == 1.0:
            r = math.inf
        else:
            r = math.nan
        out[i] = r
