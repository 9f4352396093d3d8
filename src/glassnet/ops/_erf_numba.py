"""Fused loops for the error-function family and the smooth activations (needs numba;
imported on first use).

``glassnet.ops.activation_more`` (GELU, erf, SiLU, Mish, logsigmoid, ELU/SELU/CELU,
Hardswish), ``glassnet.ops._special_math`` (erfinv, ndtri) and ``glassnet.ops.elementwise``
(sigmoid and softplus, on tensors of ``FUSED_MIN_SIZE`` elements or more: below that a numba
call costs more than NumPy) import this module the first time one of those ops runs,
unless ``GLASSNET_KERNEL=numpy`` or numba cannot be imported; their NumPy code gives the same
values up to rounding.

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

The inverse functions (erfinv, ndtri) are y·G, G a polynomial in y² for |y| < 0.6 and
else in (a function of) w = -log(1 - y²), fitted to float64 accuracy (1-2 ulp): one
logarithm and one polynomial per element, plus one Newton step in the far tails
(1 - |y| < 1e-7), where the fits are 2-4 ulp off. The NumPy fallback refines a
closed-form guess by Halley steps instead: two independent methods, checked against each
other by the tests.

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


def _polynomial(coef):
    """An inlined function s -> Σ coef[i]·s^(n-i) (highest coefficient first), written out
    as one Horner expression: a loop over a tuple of 15 or more numbers is not unrolled by
    numba/LLVM and then runs as a slow indexed switch, and stops the loop around it from
    being vectorised."""
    expr = repr(float(coef[0]))
    for c in coef[1:]:
        expr = f"({expr}) * s + {float(c)!r}"
    namespace: dict = {}
    exec(f"def polynomial(s):\n    return {expr}\n", namespace)  # noqa: S102 - our numbers
    return numba.njit(inline="always", fastmath={"contract"}, error_model="numpy")(
        namespace["polynomial"])


_LOG2E = 1.4426950408889634
_LN2_HI = 0.6931471803691238  # ln 2 split: hi has trailing zero bits, so k·hi is exact
_LN2_LO = 1.9082149292705877e-10
_SHIFTER = 6755399441055744.0  # 1.5·2^52: adding it rounds to an integer held in the low bits
_SHIFTER_BITS = int(np.float64(_SHIFTER).view(np.int64))
_EXP13 = tuple(1.0 / math.factorial(n) for n in range(13, -1, -1))  # truncation < 5e-18
_exp13 = _polynomial(_EXP13)
_EXP8 = tuple(1.0 / math.factorial(n) for n in range(8, -1, -1))  # < 2e-10: float32 results
_exp8 = _polynomial(_EXP8)


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
    return _exp13(r) * scale


@_inline
def _exp_nonpos_f32(a):
    """eᵃ for a ≤ 0 to 2e-10 relative: enough for a float32 result, cheaper."""
    r, scale = _exp_reduce(a)
    return _exp8(r) * scale


# S(s), s = 2u - 1, highest power first (see the module docstring)
_S = (-8.50886988947876e-06, -1.327395367255162e-06, 6.768780681843201e-05,
      -3.2951539633422755e-05, -0.0003281001478351978, 0.00042702015107736114,
      0.0015440476829733452, -0.0032418548954882445, -0.010755116152716637,
      0.018221384245777624, 0.1397360326618825, 0.34358033297009516, 0.5107913527612239)
_s_poly = _polynomial(_S)


@_inline
def _half_erfc_e(z, e):
    """erfc(z)/2 for z ≥ 0 given e = e^(-z²) (relative error 2e-9: for float32 results)."""
    u = 2.0 / (2.0 + z)
    return 0.5 * e * u * _s_poly(2.0 * u - 1.0)


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
_erf_taylor = _polynomial(_ERF_TAYLOR)


@_jit
def erf32(x, y):
    """erf on float32 arrays, computed in float64."""
    for i in range(x.size):
        v = np.float64(x[i])
        z = abs(v)
        w = v * v
        h = _erf_taylor(w)
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
        h = _erf_taylor(w)
        half = _half_erfc_e(z, _exp_nonpos_f32(-w))
        r = 1.0 - v * h if z < 0.5 else (2.0 * half if v > 0 else 2.0 - 2.0 * half)
        y[i] = r if v == v else v


# --- erfinv, ndtri -------------------------------------------------------------------------------

# erfinv(y)/y = G(w), w = -log(1 - y²), as a polynomial in s ∈ [-1, 1], a linear map of w
# (w < 6.25, degree 24), of √w (6.25 ≤ w < 16, degree 20) or of log w (16 ≤ w < 64, degree
# 22; 64 ≤ w ≤ 760, degree 16: 1 - y down to the smallest subnormal). Each is the
# Chebyshev interpolant of G at 48 nodes (values from mpmath at 40 digits: erfinv, or for
# y > 0.9 the root of log erfc(z) = log(1 - y)), truncated where its terms fall below
# 1e-17 and expanded into powers of s; in float64 the fits are within 1-4 ulp of G.
# Highest power first.
_G_CENTRAL = (
    -2.5466157998892667e-10, 7.680990475576525e-10, 1.4461050507676023e-09, -8.557984074479201e-09,
    5.039596477958063e-09, 3.9142671001331085e-08, -9.905042307855316e-08,
    -1.0167881522843899e-08, 5.397895417173957e-07, -1.059336931327948e-06,
    -6.839448584111029e-07, 7.1300663740767115e-06, -1.12572237422896e-05,
    -1.5027713926607673e-05, 9.336736525855553e-05, -0.00011688883906368398,
    -0.00026439366376450275, 0.001232485568550093, -0.001271692268923054, -0.004137314377403391,
    0.017808361818321756, -0.022604447453450232, -0.05892256710377839, 0.7504943200799635,
    1.6536545626831027)
_g_central = _polynomial(_G_CENTRAL)
_G_MID = (
    2.4097707183427266e-11, -6.466960514925277e-11, -1.1662393838626048e-10, 9.889115389827977e-10,
    -2.4632549100503405e-09, -3.6862448212666726e-10, 2.640222955342202e-08,
    -9.468994570246937e-08, 9.28911222561948e-08, 5.264624728714587e-07, -2.664792853936729e-06,
    5.12731666449741e-06, 2.4058645410848233e-06, -4.739182728807125e-05,
    0.00016966502201594177, -0.00040063569835709886, 0.0007883078513035505,
    -0.0015825410894071102, 0.003021139436374801, 0.753944225770624, 3.0838856104922208)
_g_mid = _polynomial(_G_MID)
_G_FAR = (
    -8.430487950640097e-11, 3.774504018368728e-11, 7.129874745661404e-10, -8.561110748313477e-10,
    -1.8501670546366084e-09, 4.8544930150583036e-09, -2.975533591647918e-09,
    -4.6582106622622805e-09, 1.637621368819686e-08, -2.9966700417289785e-08,
    4.022118481264024e-08, -4.2139496023802364e-08, 3.598220137402665e-08,
    -2.2403250311122953e-08, 1.36907729644679e-08, 8.930250243797834e-07,
    1.2865683104542282e-05, 0.0002309198631572509, 0.003499082981224844, 0.03848706178942258,
    0.34151882989432525, 1.9799461248296164, 5.513417821155235)
_g_far = _polynomial(_G_FAR)
_G_FARTHEST = (
    6.728234894014929e-13, -2.943507329523029e-12, 5.050891503038602e-12, 2.7366197008606372e-11,
    -2.1292174931835382e-10, 3.980391119767189e-09, 2.3408541161458334e-08,
    5.783770447016262e-07, 7.85297714307018e-06, 0.00010151668068005957, 0.0011638460263580616,
    0.011152558358903096, 0.0908960112054601, 0.585409075716889, 2.837694418387688,
    9.219829168026749, 14.763844355530022)
_g_farthest = _polynomial(_G_FARTHEST)
# and for |y| < 0.6, without a logarithm: G as a polynomial (degree 18, the same kind of
# fit, 0.6 ulp) in s = y²/0.18 - 1
_G_SMALL = (
    2.2933018779360902e-14, 1.0974739004610727e-13, 4.239514840331392e-13, 2.0762190990548885e-12,
    1.0407281485089052e-11, 5.132407152154291e-11, 2.5451275281342333e-10,
    1.2726447687188976e-09, 6.419349531071495e-09, 3.272022006142022e-08,
    1.6893909779289072e-07, 8.864769765001706e-07, 4.749995307906956e-06,
    2.6177977723319943e-05, 0.0001501301305376476, 0.0009148027403644765, 0.006181808576726758,
    0.051874703907177536, 0.9327066662749881)
_g_small = _polynomial(_G_SMALL)


@_inline
def _erfinv_ratio(w):
    """erfinv(y)/y from w = -log(1 - y²) ≥ 0."""
    if w < 6.25:
        return _g_central(0.32 * w - 1.0)
    if w < 16.0:
        return _g_mid(1.3333333333333333 * math.sqrt(w) - 4.333333333333333)
    if w < 64.0:
        return _g_far(1.4426950408889634 * math.log(w) - 5.0)
    return _g_farthest(0.8082652068740012 * math.log(w) - 4.3614804957364885)


_SMALL_SCALE = 1.0 / 0.18  # s = y²/0.18 - 1 maps |y| < 0.6 onto [-1, 1)


@_inline
def _inverse_erf_tail(y, q):
    """z ≥ 0 with erf(z) = y, for y ≥ 0.6 given q = 1 - y (exact for y ≥ 1/2, and given
    directly by ndtri, where y may round to 1 while q = 1e-300 keeps its digits); inf at
    q = 0, NaN for q < 0 (y > 1) or NaN."""
    if q > 0.0:
        w = -math.log(q * (1.0 + y))
        z = y * _erfinv_ratio(w)
        return z if w < 16.0 else _refine_far(z, q)
    return math.inf if q == 0.0 else math.nan


@_inline
def _refine_far(z, q):
    """One Newton step on erfc(z) = q where the far-tail fits are 2-4 ulp off (q < 1e-7;
    the rare elements of random data, so the two C-library calls cost little); from the
    subnormal range on (q < 1e-290) erfc has too few digits, and the step is taken on
    log erfc(z) = -z² - log(z√π) + log Σ_k (-1)^k (2k-1)!!/(2z²)^k instead (z > 25: twelve
    terms of the asymptotic series reach 1e-22; its derivative is -2z / Σ)."""
    if q >= 1e-290:
        return z + (math.erfc(z) - q) / (_TWO_SQRT_PI * math.exp(-z * z))
    r = 0.5 / (z * z)
    term = 1.0
    s = 1.0
    for k in range(1, 12):
        term *= -(2 * k - 1) * r
        s += term
    g = -z * z - math.log(z * _SQRT_PI) + math.log(s)
    return z + (g - math.log(q)) * s / (2.0 * z)


@_inline
def _tail_indices(x, bound):
    """Indices i with not |x[i]| < bound (NaN included), gathered without a branch."""
    idx = np.empty(x.size, np.int64)
    m = 0
    for i in range(x.size):
        idx[m] = i
        m += 0 if abs(x[i]) < bound else 1
    return idx[:m]


@_jit
def erfinv(x, out):
    """erfinv on float64 arrays: ±inf at ±1, NaN outside [-1, 1], -0.0 kept. Two passes:
    the polynomial in y² for every element (vectorised, no logarithm), then the elements
    with |y| ≥ 0.6 again, through the logarithm (a branch per element on random data
    would be mispredicted half the time)."""
    for i in range(x.size):
        v = x[i]
        out[i] = v * _g_small(v * v * _SMALL_SCALE - 1.0)
    for i in _tail_indices(x, 0.6):
        v = x[i]
        y = abs(v)
        out[i] = math.copysign(_inverse_erf_tail(y, 1.0 - y), v)


@_jit
def ndtri(p, out):
    """Φ⁻¹(p) = √2 erfinv(2p - 1) on float64 arrays, with 1 - |2p - 1| formed from p itself
    (exactly) in the lower tail, so p = 1e-300 keeps its digits; -inf at 0, inf at 1, NaN
    outside. Two passes, as :func:`erfinv`."""
    for i in range(p.size):
        t = 2.0 * p[i] - 1.0  # exact for p ≥ 1/4
        out[i] = _SQRT2 * t * _g_small(t * t * _SMALL_SCALE - 1.0)
    t_all = 2.0 * p - 1.0
    for i in _tail_indices(t_all, 0.6):
        v = p[i]
        if v < 0.25:
            q = 2.0 * v
            r = -_SQRT2 * _inverse_erf_tail(1.0 - q, q) if v >= 0.0 else math.nan
        else:
            t = 2.0 * v - 1.0
            r = math.copysign(_SQRT2 * _inverse_erf_tail(abs(t), 1.0 - abs(t)), t)
        out[i] = r


# --- other smooth activations: y and dy/dx in one pass --------------------------------------
#
# float32 and float64 arrays alike, computed in float64 with e = e^(-|x|) from
# ``_exp_nonpos`` (no C-library call: the loops vectorise); σ and 1 - σ are both formed
# from e, so neither tail loses digits.


@_inline
def _sigmoid_pair(v, e):
    """(σ(v), 1 - σ(v)) given e = e^(-|v|)."""
    a = 1.0 / (1.0 + e)
    return (a, e * a) if v >= 0 else (e * a, a)


@_jit
def silu(x, y, d, want_d):
    """y = x σ(x); dy/dx = σ(1 + x(1 - σ))."""
    for i in range(x.size):
        v = np.float64(x[i])
        s, t = _sigmoid_pair(v, _exp_nonpos(-abs(v)))
        if v != v:
            s = v
        y[i] = v * s
        if want_d:
            d[i] = s * (1.0 + v * t)


@_jit
def mish(x, y, d, want_d):
    """y = x tanh(softplus(x)); with n = eˣ, tanh(log(1 + n)) = (n² + 2n)/(n² + 2n + 2),
    written in e = e^(-|x|) for x > 0 (as (1 + 2e)/(1 + 2e + 2e²)) so nothing overflows;
    dy/dx = t + x σ(x)(1 - t²)."""
    for i in range(x.size):
        v = np.float64(x[i])
        e = _exp_nonpos(-abs(v))
        if v > 0:
            t = (1.0 + 2.0 * e) / (1.0 + 2.0 * e + 2.0 * e * e)
        else:
            t = (e * e + 2.0 * e) / (e * e + 2.0 * e + 2.0)
        s, _ = _sigmoid_pair(v, e)
        if v != v:
            t = v
        y[i] = v * t
        if want_d:
            d[i] = t + v * s * (1.0 - t * t)


_expm1_taylor = _polynomial(tuple(1.0 / math.factorial(n) for n in range(9, 0, -1)))


@_jit
def elu(x, y, d, want_d, alpha, scale, inner):
    """ELU/SELU/CELU: y = scale·(x if x > 0 else α(e^(x·inner) - 1)); dy/dx = scale if
    x > 0 else scale·α·inner·e^(x·inner). For float32 arrays (e - 1 in float64 keeps
    float32's digits near 0; float64 arrays take NumPy's expm1)."""
    for i in range(x.size):
        v = np.float64(x[i])
        a = min(v, 0.0) * inner
        e = _exp_nonpos(a)
        # eᵃ - 1 near 0 by its Taylor series (e - 1 would round tiny a to 0; relative error
        # below 4e-11 for |a| ≤ 1/4, plenty for a float32 result)
        em1 = e - 1.0 if a < -0.25 else a * _expm1_taylor(a)
        pos = v > 0
        r = scale * (v if pos else alpha * em1)
        g = scale if pos else scale * alpha * inner * e
        if v != v:
            r = g = v
        y[i] = r
        if want_d:
            d[i] = g


@_jit
def hardswish(x, y, d, want_d):
    """y = x·clamp(x + 3, 0, 6)/6; dy/dx = 0 for x ≤ -3, x/3 + 1/2 below 3, 1 from 3 on."""
    for i in range(x.size):
        v = x[i]
        c = min(max(v + 3.0, 0.0), 6.0)
        y[i] = v * c / 6.0
        if want_d:
            g = 0.0 if v <= -3.0 else (v / 3.0 + 0.5 if v < 3.0 else 1.0)
            d[i] = g if v == v else v


# log(1 + e) for 0 ≤ e ≤ 1 as 2·atanh(s), s = e/(2 + e) ≤ 1/3: 2(s + s³/3 + s⁵/5 + …), the
# series to s³³ (truncation < 1e-17), in powers of s²: no C-library call, so it vectorises
_atanh_series = _polynomial(tuple(2.0 / (2 * n + 1) for n in range(16, -1, -1)))


@_jit
def logsigmoid(x, y, d, want_d):
    """y = log σ(x) = min(x, 0) - log(1 + e^(-|x|)); dy/dx = σ(-x) = 1 - σ(x)."""
    for i in range(x.size):
        v = np.float64(x[i])
        e = _exp_nonpos(-abs(v))
        s = e / (2.0 + e)
        r = min(v, 0.0) - s * _atanh_series(s * s)
        _, t = _sigmoid_pair(v, e)
        if v != v:
            r = t = v
        y[i] = r
        if want_d:
            d[i] = t


# --- sigmoid, softplus ----------------------------------------------------------------------------
#
# Both computed in float64 from e = e^(-|z|); the float32 loops take the cheaper e^a
# (``_exp_nonpos_f32``, 2e-10) and nine terms of the log(1 + e) series (s ≤ 1/3:
# truncation below 2e-10 relative), the float64 loops the full ones.

_atanh_series9 = _polynomial(tuple(2.0 / (2 * n + 1) for n in range(8, -1, -1)))


def _sigmoid_loop(exp_nonpos):
    def sigmoid(x, y, d, want_d):
        """y = σ(x) = 1/(1 + e^-x), formed from e = e^(-|x|) (nothing overflows; both tails
        keep their digits); dy/dx = σ(x)(1 - σ(x)), with 1 - σ also formed from e."""
        for i in range(x.size):
            v = np.float64(x[i])
            s, t = _sigmoid_pair(v, exp_nonpos(-abs(v)))
            if v != v:
                s = t = v
            y[i] = s
            if want_d:
                d[i] = s * t

    return _jit(sigmoid)


def _softplus_loop(exp_nonpos, log1p_series):
    def softplus(x, y, d, want_d, beta, threshold, beta64):
        """y = log(1 + e^(βx))/β, and x itself where βx > ``threshold``; dy/dx = σ(βx),
        exactly 1 on that linear branch. ``beta`` and ``threshold`` come in the array's
        dtype and βx is formed in it, so the branch is chosen as PyTorch chooses it (in
        float32 for float32 input). The rest is float64 (``beta64``: β as given): with
        z = βx and e = e^(-|z|),
        log(1 + e^z) = max(z, 0) + log(1 + e), the last term as 2·atanh(e/(2 + e)) by its
        series (no C-library call, no overflow, full digits in both tails)."""
        inv_b = 1.0 / beta64  # exact for β = 1 (and powers of 2); else ≤ 1 ulp
        for i in range(x.size):
            bx = x[i] * beta  # in x's dtype, as PyTorch's test
            z = np.float64(x[i]) * beta64
            e = exp_nonpos(-abs(z))
            # e/(2 + e) and 1/(1 + e) from one division
            q = 1.0 / ((2.0 + e) * (1.0 + e))
            s = e * (1.0 + e) * q
            a = (2.0 + e) * q
            r = (max(z, 0.0) + s * log1p_series(s * s)) * inv_b
            sz = a if z >= 0 else e * a
            if bx > threshold:
                r = np.float64(x[i])
                sz = 1.0
            if z != z:
                r = sz = z
            y[i] = r
            if want_d:
                d[i] = sz

    return _jit(softplus)


sigmoid32 = _sigmoid_loop(_exp_nonpos_f32)
sigmoid64 = _sigmoid_loop(_exp_nonpos)
softplus32 = _softplus_loop(_exp_nonpos_f32, _atanh_series9)
softplus64 = _softplus_loop(_exp_nonpos, _atanh_series)
