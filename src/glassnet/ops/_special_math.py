"""The numerical kernels behind ``glassnet.ops.special``: special functions on float64 arrays.

NumPy has no erf, gamma, digamma, zeta or Bessel functions and SciPy is not a dependency,
so they are computed here from ``math`` (erf, erfc, lgamma: a numba ufunc built on first
use, Python's ``math`` element by element without numba — the same values) and from
classical series, recurrences and asymptotic expansions written with NumPy. erfinv and
ndtri (and GELU and float32 erf in ``activation_more``) run fused numba loops from
``_erf_numba`` when numba is there (``fast_kernels``); the NumPy code below is their
fallback and reference:

- digamma: reflection for x < 0, the recurrence ψ(x) = ψ(x + 1) - 1/x up to x ≥ 10, then
  the asymptotic series in 1/x² (Bernoulli numbers);
- Hurwitz zeta ζ(s, q) (and polygamma(n, x) = (-1)^(n+1) n! ζ(n + 1, x)): direct
  summation of (q + k)^(-s) until q + k > 9, then the Euler–Maclaurin tail;
- erfinv / ndtri: a closed-form first guess refined by Halley steps on erf, or on erfc
  when |y| ≥ 1/2 (1 - |y| is exact there, so the tails keep their relative accuracy);
- erfcx = exp(x²)·erfc(x) with x² split so exp(x²) is not rounded, its asymptotic series
  for x ≥ 26;
- modified Bessel I0, I1 (and the scaled e^-|x|·I): the power series (all terms positive,
  no cancellation) for |x| ≤ 30, the asymptotic expansion above.

Every kernel takes and returns float64 arrays; the ops cast to the input's dtype.
"""

from __future__ import annotations

import math
import os

import numpy as np

from .. import grad_mode

_EPS = np.finfo(np.float64).eps / 2  # 2^-53: a term this small no longer changes a sum
_SQRT_PI = math.sqrt(math.pi)
_SQRT_2 = math.sqrt(2.0)
_LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)

# --- the fused numba kernels (``_erf_numba``), chosen on every call ------------------------------

_fast_modules: dict = {}


def run_fused(op, kernel, x, *params):
    """``kernel(flat_x, y, d, want_d, *params)`` (a fused loop of ``_erf_numba``) over
    ``x`` (raveled; copied when not contiguous): returns y shaped like x and, in grad
    mode, keeps dy/dx on ``op.d`` for backward."""
    want_d = grad_mode.state.enabled
    flat = np.ravel(x)
    y = np.empty_like(flat)
    d = np.empty_like(flat) if want_d else y  # not written when not wanted
    if flat.size:
        kernel(flat, y, d, want_d, *params)
    if want_d:
        op.d = d.reshape(x.shape)
    return y.reshape(x.shape)


def fast_kernels():
    """The module of fused numba kernels (GELU, erf, erfinv, ndtri), or ``None`` when the
    NumPy code runs: ``GLASSNET_KERNEL=numpy``, or numba missing (one warning, see
    ``backend.kernel_choice``) or unable to compile here. Read on every call, so a test or
    a user can switch with the environment variable; numba is imported on first use."""
    key = os.environ.get("GLASSNET_KERNEL", "")
    try:
        return _fast_modules[key]
    except KeyError:
        pass
    from ..backend import kernel_choice

    module = None
    if kernel_choice("auto", "the error-function kernels") == "numba":
        try:
            from . import _erf_numba as module
        except Exception as e:  # numba imports but cannot build the kernels here
            import warnings

            warnings.warn(f"numba kernels for erf/GELU unusable ({e}); using NumPy",
                          RuntimeWarning, stacklevel=2)
    _fast_modules[key] = module
    return module


def run_flat(kernel, x, n_out: int, *args):
    """``kernel(flat_x, out_1, ..., out_n, *args)`` over ``x`` of any shape and strides
    (raveled, copied when not contiguous); returns the ``n_out`` outputs shaped like ``x``,
    with its dtype."""
    flat = np.ravel(x)
    outs = [np.empty(flat.shape, flat.dtype) for _ in range(n_out)]
    if flat.size:
        kernel(flat, *outs, *args)
    return [o.reshape(np.shape(x)) for o in outs]


# --- erf, erfc, lgamma from ``math`` ---------------------------------------------------------

_ufuncs: dict = {}


def _erf_kernel(v):
    return math.erf(v)


def _erfc_kernel(v):
    return math.erfc(v)


def _lgamma_kernel(v):
    return math.lgamma(v)


_KERNELS = {"erf": _erf_kernel, "erfc": _erfc_kernel, "lgamma": _lgamma_kernel}


def _numba_ufunc(name: str):
    import numba

    return numba.vectorize(["float32(float32)", "float64(float64)"], cache=True)(
        _KERNELS[name])


def _python_ufunc(name: str):
    obj = np.frompyfunc(getattr(math, name), 1, 1)

    def ufunc(v):
        return np.asarray(obj(v)).astype(v.dtype)

    return ufunc


def _math_ufunc(name: str):
    """math.<name> as a ufunc: numba's when the numba kernels are on (``fast_kernels``),
    else Python's element by element."""
    key = (name, fast_kernels() is not None)
    u = _ufuncs.get(key)
    if u is None:
        u = _python_ufunc(name)
        if key[1]:
            try:
                u = _numba_ufunc(name)
            except Exception:  # numba unusable: math.<name> per element
                pass
        _ufuncs[key] = u
    return u


def erf(x):
    return np.asarray(_math_ufunc("erf")(np.asarray(x, np.float64)))


def erfc(x):
    return np.asarray(_math_ufunc("erfc")(np.asarray(x, np.float64)))


def lgamma(x):
    """log|Γ(x)|; +inf at 0 and the negative integers."""
    x = np.asarray(x, np.float64)
    bad = (x <= 0) & (x == np.floor(x))  # poles: math.lgamma raises there
    return np.where(bad, np.inf, _math_ufunc("lgamma")(np.where(bad, 1.0, x)))


# --- inverse error functions ----------------------------------------------------------------

def _inverse_erf(sign, y, q):
    """z with erf(z) = sign·y, given y = |target| and q = 1 - y (exact where y ≥ 1/2)."""
    sign, y, q = (a.reshape(-1) for a in np.broadcast_arrays(sign, y, q))  # 0-d: 1-d
    z = np.zeros(y.shape)
    # A closed-form first guess (relative error ~2e-3): with L = log(1 - y²),
    # z² ≈ √((2/(πa) + L/2)² - L/a) - (2/(πa) + L/2), a = 0.147.
    a = 0.147
    L = np.log(q) + np.log1p(y)  # log((1 - y)(1 + y)) without cancelling
    c = 2 / (math.pi * a) + L / 2
    z = np.sqrt(np.maximum(np.sqrt(c * c - L / a) - c, 0.0))
    far = q < 1e-290  # erfc(z) near or below the subnormals: too few digits for Halley
    tail = (y >= 0.5) & ~far
    if far.any():
        z[far] = _inverse_erfc_far(z[far], q[far])
    for part, target, fn, sgn in ((tail, q, erfc, -1.0), (~tail & ~far, y, erf, 1.0)):
        # f(z) = erf(z) - y, written as q - erfc(z) in the tails (keeps small q accurate)
        zp, tp = z[part], target[part]
        for _ in range(3):  # Halley, cubic convergence: 2e-3 -> 1e-8 -> 1e-16 (one spare)
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                u = sgn * (fn(zp) - tp) / (2 / _SQRT_PI * np.exp(-zp * zp))  # f / f'
                step = u / (1 + zp * u)  # Halley: f''/(2 f') = -z
            zp = np.where(np.isfinite(step), zp - step, zp)
        z[part] = zp
    z = np.where(q == 0, np.inf, z)
    z = np.where(y == 0, 0.0, z)
    z = np.where((q < 0) | np.isnan(y) | np.isnan(q), np.nan, z)
    return np.copysign(z, sign)


def _inverse_erfc_far(z, q):
    """Refine z ≈ erfc⁻¹(q) for q < 1e-290 by Newton steps on log erfc(z) = log q, with
    log erfc(z) = -z² - log(z√π) + log Σ_k (-1)^k (2k-1)!!/(2z²)^k (z > 25: twelve terms
    of the asymptotic series reach 1e-22) and d/dz log erfc(z) = -2z / Σ."""
    lq = np.log(q)
    for _ in range(4):  # from the closed-form guess (2e-3): quadratic convergence
        r = 0.5 / (z * z)
        term = np.ones_like(z)
        s = np.ones_like(z)
        for k in range(1, 12):
            term = term * (-(2 * k - 1) * r)
            s = s + term
        g = -z * z - np.log(z * _SQRT_PI) + np.log(s)
        z = z + (g - lq) * s / (2.0 * z)
    return z


def erfinv(x):
    """The inverse of erf on [-1, 1]: ±inf at ±1, NaN outside."""
    x = np.asarray(x, np.float64)
    fast = fast_kernels()
    if fast is not None:
        return run_flat(fast.erfinv, x, 1)[0]
    y = np.abs(x)
    return _inverse_erf(np.where(x == 0, x, np.sign(x)), y, 1.0 - y).reshape(x.shape)


def ndtri(p):
    """The inverse of the standard normal CDF: √2·erfinv(2p - 1), computed from 2p (or
    2 - 2p) in the tails so p = 1e-300 keeps its digits."""
    p = np.asarray(p, np.float64)
    fast = fast_kernels()
    if fast is not None:
        return run_flat(fast.ndtri, p, 1)[0]
    y = 2 * p - 1  # exact for p ≥ 1/4
    low = p < 0.25
    q = np.where(low, 2 * p, 1 - np.abs(y))
    out = _SQRT_2 * _inverse_erf(np.sign(y), np.where(low, 1.0 - 2 * p, np.abs(y)), q)
    return np.where((p < 0) | (p > 1), np.nan, out.reshape(p.shape))


# --- normal distribution, erfcx --------------------------------------------------------------

def ndtr(x):
    """Φ(x) = erfc(-x/√2)/2 (keeps its relative accuracy in the lower tail)."""
    return 0.5 * erfc(-np.asarray(x, np.float64) / _SQRT_2)


def _exp_square(x):
    """exp(x²) with x² split into an exactly representable high part (x ≤ 26)."""
    hi = np.trunc(x * 2.0**20) / 2.0**20  # at most 25 significant bits: hi² is exact
    lo = x - hi
    return np.exp(hi * hi) * np.exp(lo * (x + hi))


def erfcx(x):
    """exp(x²)·erfc(x), finite for large x (≈ 1/(x√π))."""
    x = np.asarray(x, np.float64)
    ax = np.abs(x)
    with np.errstate(over="ignore", invalid="ignore"):
        small = np.minimum(ax, 26.0)
        mid = _exp_square(small) * erfc(small)
        # asymptotic: 1/(x√π) · Σ (-1)^k (2k-1)!!/(2x²)^k, ten terms enough past 26
        big = np.maximum(ax, 26.0)
        t = np.ones_like(big)
        s = np.ones_like(big)
        for k in range(1, 12):
            t = -t * (2 * k - 1) / (2 * big * big)
            s = s + t
        asym = s / (big * _SQRT_PI)
        pos = np.where(ax < 26.0, mid, asym)
        # erfcx(-x) = 2 exp(x²) - erfcx(x)
        neg = np.where(ax < 26.5, 2 * _exp_square(np.minimum(ax, 26.5)),
                       np.exp(ax * ax + math.log(2.0))) - pos
        out = np.where(x < 0, neg, pos)
    out = np.where(np.isposinf(x), 0.0, out)
    return np.where(np.isnan(x), np.nan, out)


def log_ndtr(x):
    """log Φ(x): log(erfcx(-x/√2)/2) - x²/2 for x < -1 (no underflow), log1p(-Φ(-x))
    otherwise."""
    x = np.asarray(x, np.float64)
    t = x / _SQRT_2
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        low = np.log(erfcx(-np.minimum(t, 0.0)) / 2) - t * t
        high = np.log1p(-erfc(np.maximum(t, -1.0)) / 2)
    return np.where(x < -1, low, high)


# --- digamma, Hurwitz zeta, polygamma ----------------------------------------------------------

_BERNOULLI = [(1, 6), (-1, 30), (1, 42), (-1, 30), (5, 66), (-691, 2730), (7, 6),
              (-3617, 510), (43867, 798), (-174611, 330), (854513, 138),
              (-236364091, 2730)]  # B_2, B_4, ..., B_24 as (numerator, denominator)
_PSI_COEF = [p / (q * 2 * k) for k, (p, q) in enumerate(_BERNOULLI[:7], start=1)]  # B_2k/(2k)
_ZETA_COEF = [math.factorial(2 * k) * q / p for k, (p, q) in enumerate(_BERNOULLI, start=1)]


def digamma(x):
    """ψ(x) = d/dx log Γ(x); ∓inf at ±0, NaN at the negative integers and -inf."""
    x = np.asarray(x, np.float64)
    out = np.empty(x.shape)
    neg = x < 0
    with np.errstate(divide="ignore", invalid="ignore"):
        # reflection: ψ(x) = ψ(1 - x) - π / tan(π·frac(x)) (frac keeps tan's argument exact)
        r = np.where(neg, 1 - x, x)
        frac = x - np.trunc(x)
        refl = np.where(neg, math.pi / np.tan(math.pi * frac), 0.0)
        acc = np.zeros(x.shape)
        for _ in range(10):  # ψ(r) = ψ(r + 1) - 1/r until r ≥ 10
            m = r < 10
            acc = np.where(m, acc - 1 / r, acc)
            r = np.where(m, r + 1, r)
        w = 1 / (r * r)
        series = np.zeros(x.shape)
        for c in reversed(_PSI_COEF):
            series = (series + c) * w
        out = acc + np.log(r) - 0.5 / r - series - refl
    out = np.where(neg & (x == np.floor(x)), np.nan, out)  # poles (and -inf)
    out = np.where(x == 0, np.copysign(np.inf, -x), out)
    out = np.where(np.isposinf(x), np.inf, out)
    return out


def zeta(s, q):
    """The Hurwitz zeta function ζ(s, q) = Σ_{k≥0} (q + k)^(-s), for s > 1 (inf at s = 1,
    NaN below; q ≤ 0 works for integer s, with inf at the poles q = 0, -1, ...)."""
    s, q = np.broadcast_arrays(np.asarray(s, np.float64), np.asarray(q, np.float64))
    out = np.full(s.shape, np.nan)
    with np.errstate(all="ignore"):
        pole = (s == 1) | ((q <= 0) & (q == np.floor(q)) & (s > 1))
        out[pole] = np.inf
        ok = (s > 1) & ~pole & ~((q < 0) & (s != np.floor(s))) & ~np.isnan(q)
        far = ok & (q > 1e8)  # (1/(s - 1) + 1/(2q)) q^(1-s) to double precision
        out[far] = (1 / (s[far] - 1) + 1 / (2 * q[far])) * q[far] ** (1 - s[far])
        # integer s: the direct sum would take |q| terms
        left = ok & (q < -100) & (s <= _MAX_REFLECT + 1)
        if left.any():
            out[left] = _zeta_far_left(s[left], q[left])
        idx = np.flatnonzero(ok & ~far & ~left)
        if idx.size:
            out.flat[idx] = _zeta_sum(s.flat[idx], q.flat[idx])
    return out


def _zeta_sum(s, q):
    """Σ (q + k)^(-s) directly until q + k > 9 (and at least 9 terms), then the
    Euler–Maclaurin tail ∫ + ½·last + Σ B_2j/(2j)! · s(s+1)…(s+2j-2)·a^(1-s-2j)."""
    total = q ** -s
    a = q.copy()
    b = np.zeros_like(q)
    done = np.zeros(q.shape, bool)
    i = 0
    act = np.arange(q.size)
    while act.size:
        a[act] += 1
        b[act] = a[act] ** -s[act]
        total[act] += b[act]
        done[act] = np.abs(b[act] / total[act]) < _EPS
        i += 1
        act = act[~done[act] & ((i < 9) | (a[act] <= 9))]
    rest = ~done
    if rest.any():
        x, w, bb, t0 = s[rest], a[rest], b[rest], total[rest]
        t0 = t0 + bb * w / (x - 1) - 0.5 * bb
        fac = np.ones_like(x)
        k = 0.0
        live = np.ones(x.shape, bool)
        for c in _ZETA_COEF:
            fac = fac * (x + k)
            bb = bb / w
            t = fac * bb / c
            t0 = np.where(live, t0 + t, t0)
            live &= np.abs(t / t0) >= _EPS
            k += 1
            fac = fac * (x + k)
            bb = bb / w
            k += 1
        total[rest] = t0
    return total


def polygamma(n: int, x):
    """ψ⁽ⁿ⁾(x): digamma for n = 0, else (-1)^(n+1)·n!·ζ(n + 1, x). Far below zero (x < -100)
    the reflection ψ⁽ⁿ⁾(x) = (-1)ⁿ ψ⁽ⁿ⁾(1 - x) - π·dⁿ/dxⁿ cot(πx) replaces the direct sum,
    which would take |x| terms."""
    if n == 0:
        return digamma(x)
    x = np.asarray(x, np.float64)
    sign = 1.0 if n % 2 else -1.0
    fact = math.exp(math.lgamma(n + 1.0)) if n < 171 else math.inf
    with np.errstate(over="ignore", invalid="ignore"):
        far = (x < -100) & (x != np.floor(x)) & (n <= _MAX_REFLECT)
        out = sign * fact * zeta(float(n + 1), np.where(far, 1.0 - x, x))
        if far.any():
            xf = x[far]
            c = 1 / np.tan(math.pi * (xf - np.trunc(xf)))  # cot(πx), period 1
            out[far] = (-1.0) ** n * out[far] - math.pi * _cot_derivative(n, c)
    return out


_MAX_REFLECT = 40  # the cot polynomial's degree (and coefficients) grow with n


def _cot_derivative(n: int, c):
    """dⁿ/dxⁿ cot(πx) as a polynomial in c = cot(πx): P₀ = c, P_{k+1} = -π(1 + c²)·P_k'(c)."""
    P = np.polynomial.Polynomial([0.0, 1.0])
    one_c2 = np.polynomial.Polynomial([1.0, 0.0, 1.0])
    for _ in range(n):
        P = -math.pi * one_c2 * P.deriv()
    return P(c)


def _zeta_far_left(s, q):
    """ζ(s, q) for integer s and q < -100 through polygamma's reflection."""
    n = s.astype(np.int64) - 1
    out = np.empty(q.shape)
    for k in np.unique(n):
        m = n == k
        out[m] = polygamma(int(k), q[m]) * (1.0 if k % 2 else -1.0) / math.exp(
            math.lgamma(k + 1.0))
    return out


# --- modified Bessel functions I0, I1 ---------------------------------------------------------

def bessel_i(nu: int, x, scaled: bool):
    """I_ν(x) for ν = 0 or 1; ``scaled`` gives e^-|x|·I_ν(x)."""
    x = np.asarray(x, np.float64)
    ax = np.abs(x)
    out = np.empty(x.shape)
    with np.errstate(all="ignore"):
        small = ax <= 30
        if small.any():
            v = ax[small]
            h = v * v / 4
            t = (v / 2) ** nu  # (x/2)^ν / ν! for ν ≤ 1
            s = t.copy()
            for k in range(1, 120):
                t = t * h / (k * (k + nu))
                s = s + t
                if not np.any(t > _EPS * s):
                    break
            out[small] = s * np.exp(-v) if scaled else s
        big = ~small
        if big.any():
            v = ax[big]
            mu = 4.0 * nu * nu
            t = np.ones_like(v)
            s = np.ones_like(v)
            for k in range(1, 40):
                t = -t * (mu - (2 * k - 1) ** 2) / (8 * k * v)
                s = s + t
            base = s / np.sqrt(2 * math.pi * v)
            if not scaled:  # e^v/√(2πv) without overflowing before the product; NaN at
                # ±inf as NumPy's i0 and PyTorch give
                base = np.exp(v - 0.5 * np.log(2 * math.pi * v)) * s
            out[big] = base
    if nu == 1:
        out = np.copysign(out, x)
    return np.where(np.isnan(x), np.nan, out)


def i0(x):
    return np.i0(np.asarray(x, np.float64))
