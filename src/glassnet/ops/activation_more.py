"""More activation functions, with PyTorch's names, arguments and derivatives.

Each op is one :class:`Function` (forward and backward side by side) and a public
function with PyTorch's signature. Where a function has a kink, the derivative at the
kink follows PyTorch's choice, noted on the class. ``inplace`` arguments are accepted for
PyTorch compatibility and ignored (glassnet never overwrites an input that autograd may
need).

GELU, erf, SiLU, Mish, logsigmoid, Hardswish and (float32) ELU/SELU/CELU run fused
numba loops
(``_erf_numba``, compiled on first use and cached: y and dy/dx in one pass, dy/dx kept
for backward) when numba is there and ``GLASSNET_KERNEL`` is not ``numpy``; otherwise
NumPy ufuncs,
with the error function (which NumPy lacks) from Python's ``math.erf`` element by element
(slower, the same values up to rounding).
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Function, Local
from ..backend import xp
from ..tensor import Tensor
from . import _special_math as sm
from ._registry import op
from ._util import check_dtypes

__all__ = [
    "gelu", "silu", "elu", "selu", "celu", "mish", "hardtanh", "relu6", "hardswish",
    "hardsigmoid", "softsign", "logsigmoid", "tanhshrink", "prelu", "erf",
]

_SQRT_2_PI = math.sqrt(2.0 / math.pi)  # tanh-GELU's constant
_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)  # the normal density's constant
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946

# --- the error function -------------------------------------------------------------------

_erf_ufunc: dict = {}


def _numba_erf():
    import numba

    @numba.vectorize(["float32(float32)", "float64(float64)"], cache=True)
    def erf_(v):
        return math.erf(v)

    return erf_


def _python_erf():
    erf_obj = np.frompyfunc(math.erf, 1, 1)

    def erf_(v):
        return np.asarray(erf_obj(v)).astype(v.dtype)

    return erf_


def _erf(x):
    """erf on an array, in its float dtype (integers give float64). float32 runs the fused
    loop of ``_erf_numba`` (float64 inside, one pass); other dtypes math.erf, compiled by
    numba or, without it, element by element."""
    fast = sm.fast_kernels()
    if fast is not None and x.dtype == np.float32:
        return sm.run_flat(fast.erf32, x, 1)[0]
    key = fast is not None
    u = _erf_ufunc.get(key)
    if u is None:
        u = _python_erf()
        if key:
            try:
                u = _numba_erf()
            except Exception:  # numba unusable: math.erf per element
                pass
        _erf_ufunc[key] = u
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    return u(x)


class ErfOp(Function):
    """erf(x) = 2/√π ∫₀ˣ e^(-t²) dt; derivative 2/√π · e^(-x²)."""

    name = "erf"
    formula = "2/√π·exp(-{0}²)"

    def forward(self, x):
        self.x = x
        return _erf(x)

    def backward(self, gy):
        x = self.x
        return gy * (2.0 / math.sqrt(math.pi)) * xp.exp(-(x * x))


# --- smooth activations -------------------------------------------------------------------


class GeluOp(Function):
    """y = x Φ(x) with Φ the standard normal CDF; dy/dx = Φ(x) + x φ(x).

    ``approximate='tanh'``: y = ½x(1 + tanh(u)), u = √(2/π)(x + 0.044715x³);
    dy/dx = ½(1 + tanh u) + ½x(1 - tanh²u)·√(2/π)(1 + 3·0.044715x²).

    With numba (float32, float64) one fused pass computes y and dy/dx together — they
    share e^(-x²/2) — and backward is one product; dy/dx is kept instead of x (the same
    memory) and not computed at all when grad mode is off. Without numba, NumPy ufuncs.
    """

    name = "gelu"
    formula = "Φ({0}) + {0}·φ({0})"

    def forward(self, x, approximate):
        self.approximate = approximate
        if x.dtype in _FAST_DTYPES:
            y = _fused(self, _GELU_KERNELS[approximate, x.dtype.char], x)
            if y is not None:
                return y
        self.x = x
        if approximate == "tanh":
            x2 = x * x
            t = xp.tanh(_SQRT_2_PI * (x + 0.044715 * x2 * x))
            self.t = t
            return 0.5 * x * (1.0 + t)
        # Φ(x) is recomputed in backward rather than kept: one array fewer per GELU for as
        # long as the graph lives (a Transformer's feed-forward blocks are the largest).
        # (float16 goes through float32 erf: the result is cast back)
        return (x * (0.5 * (1.0 + _erf(x * _INV_SQRT_2)))).astype(x.dtype, copy=False)

    def backward(self, gy):
        if self.d is not None:
            return gy * self.d
        x = self.x
        if self.approximate == "tanh":
            t = self.t
            du = _SQRT_2_PI * (1.0 + 3 * 0.044715 * (x * x))
            return gy * (0.5 * (1.0 + t) + 0.5 * x * (1.0 - t * t) * du)
        pdf = _INV_SQRT_2PI * xp.exp(-0.5 * (x * x))
        gx = gy * (0.5 * (1.0 + _erf(x * _INV_SQRT_2)) + x * pdf)
        return gx.astype(gy.dtype, copy=False)


_FAST_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))
_FLOAT32 = (np.dtype(np.float32),)
_GELU_KERNELS = {("none", "f"): "gelu32", ("none", "d"): "gelu64",
                 ("tanh", "f"): "gelu_tanh32", ("tanh", "d"): "gelu_tanh64"}


def _fused(op: Function, kernel: str, x, *params, dtypes=_FAST_DTYPES):
    """Run the fused kernel ``kernel`` of ``_erf_numba`` (y and, in grad mode, dy/dx in one
    pass; dy/dx kept on ``op.d`` for backward): returns y, or None when the NumPy code
    should run (``GLASSNET_KERNEL=numpy``, no numba, or a dtype the kernel lacks)."""
    op.d = None
    fast = sm.fast_kernels() if x.dtype in dtypes else None
    if fast is None:
        return None
    return sm.run_fused(op, getattr(fast, kernel), x, *params)


def _sigmoid(x):
    # σ(x) = ½ tanh(x/2) + ½: no overflow for large |x|
    return 0.5 * xp.tanh(0.5 * x) + 0.5


class SiluOp(Function):
    """y = x σ(x) (swish); dy/dx = σ(x)(1 + x(1 - σ(x)))."""

    name = "silu"
    formula = "σ({0})·(1 + {0}·(1 - σ({0})))"

    def forward(self, x):
        y = _fused(self, "silu", x)
        if y is not None:
            return y
        s = _sigmoid(x)
        self.x, self.s = x, s
        return x * s

    def backward(self, gy):
        if self.d is not None:
            return gy * self.d
        s = self.s
        return gy * (s * (1.0 + self.x * (1.0 - s)))


class MishOp(Function):
    """y = x tanh(softplus(x)); dy/dx = tanh(sp) + x σ(x)(1 - tanh²(sp))."""

    name = "mish"
    formula = "tanh(softplus({0})) + {0}·σ({0})·(1 - tanh²(softplus({0})))"

    def forward(self, x):
        y = _fused(self, "mish", x)
        if y is not None:
            return y
        t = xp.tanh(xp.logaddexp(0.0, x).astype(x.dtype, copy=False))
        self.x, self.t = x, t
        return x * t

    def backward(self, gy):
        if self.d is not None:
            return gy * self.d
        x, t = self.x, self.t
        return gy * (t + x * _sigmoid(x) * (1.0 - t * t))


class EluOp(Function):
    """y = x for x > 0, else α(eˣ - 1), all times ``scale`` (SELU is scale·ELU with fixed
    constants); dy/dx = scale for x > 0, else scale·α·eˣ. CELU is ELU of x/α scaled by α,
    with the same form: ``inner`` divides the exponent."""

    name = "elu"
    formula = "1 if {0} > 0 else α·exp({0})"

    def local(self, slot, n_in, n_out):
        alpha, scale, inner = self.parents[1], self.parents[2], self.parents[3]
        e = "exp({0})" if inner == 1 else f"exp({{0}}/{1 / inner:g})"
        k = alpha * scale * inner
        neg = e if k == 1 else f"{k:g}·{e}"
        return Local(1.0, f"{scale:g} if {{0}} > 0 else {neg}", (0,))

    def forward(self, x, alpha, scale, inner):
        self.alpha, self.scale, self.inner = alpha, scale, inner
        # float32 only: float64 keeps NumPy's exp - 1 below (the fused loop's e - 1 is
        # computed in float64, which is exact enough for a float32 result only)
        y = _fused(self, "elu", x, alpha, scale, inner, dtypes=_FLOAT32)
        if y is not None:
            return y
        pos = x > 0
        a = xp.minimum(x, 0) * inner if inner != 1 else xp.minimum(x, 0)
        e = xp.exp(a)
        neg = alpha * xp.expm1(a)  # e - 1 would lose the digits of x near 0
        y = xp.where(pos, x, neg)
        if scale != 1:
            y = y * scale
        self.pos, self.e, self.alpha, self.scale, self.inner = pos, e, alpha, scale, inner
        return y.astype(x.dtype, copy=False)

    def backward(self, gy):
        if self.d is not None:
            return gy * self.d
        slope = xp.where(self.pos, 1.0, self.alpha * self.inner * self.e)
        if self.scale != 1:
            slope = slope * self.scale
        return gy * slope.astype(gy.dtype, copy=False)


class SeluOp(EluOp):
    name = "selu"
    formula = "λ if {0} > 0 else λ·α·exp({0})"


class CeluOp(EluOp):
    name = "celu"
    formula = "1 if {0} > 0 else exp({0}/α)"


class SoftsignOp(Function):
    """y = x / (1 + |x|); dy/dx = 1 / (1 + |x|)²."""

    name = "softsign"
    formula = "1/(1 + |{0}|)²"

    def forward(self, x):
        d = 1.0 + xp.abs(x)
        self.d = d
        return x / d

    def backward(self, gy):
        d = self.d
        return gy / (d * d)


class LogsigmoidOp(Function):
    """y = log σ(x) = min(x, 0) - log(1 + e^-|x|) (no overflow); dy/dx = σ(-x)."""

    name = "logsigmoid"
    formula = "σ(-{0})"

    def forward(self, x):
        y = _fused(self, "logsigmoid", x)
        if y is not None:
            return y
        self.x = x
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(self, gy):
        if self.d is not None:
            return gy * self.d
        return gy * _sigmoid(-self.x)


class TanhshrinkOp(Function):
    """y = x - tanh(x); dy/dx = tanh²(x)."""

    name = "tanhshrink"
    formula = "tanh²({0})"

    def forward(self, x):
        t = xp.tanh(x)
        self.t = t
        return x - t

    def backward(self, gy):
        t = self.t
        return gy * (t * t)


# --- piecewise-linear activations ---------------------------------------------------------


class HardtanhOp(Function):
    """y = clamp(x, min_val, max_val); the gradient passes strictly inside
    (min_val < x < max_val), as in PyTorch (``clamp`` includes the ends)."""

    name = "hardtanh"
    formula = "1 if min_val < {0} < max_val else 0"

    def local(self, slot, n_in, n_out):
        lo, hi = self.parents[1], self.parents[2]
        return Local(1.0, f"[{float(lo):g} < {{0}} < {float(hi):g}]", (0,))

    def forward(self, x, lo, hi):
        self.mask = (x > lo) & (x < hi)
        return xp.clip(x, lo, hi).astype(x.dtype, copy=False)

    def backward(self, gy):
        return gy * self.mask


class HardswishOp(Function):
    """y = x · relu6(x + 3) / 6; dy/dx = 0 for x ≤ -3, x/3 + ½ for -3 < x < 3, 1 from 3 on
    (PyTorch's values at the two kinks)."""

    name = "hardswish"
    formula = "0 if {0} ≤ -3 else ({0}/3 + 1/2 if {0} < 3 else 1)"

    def forward(self, x):
        y = _fused(self, "hardswish", x)
        if y is not None:
            return y
        self.x = x
        return x * xp.clip(x + 3.0, 0.0, 6.0) / 6.0

    def backward(self, gy):
        if self.d is not None:
            return gy * self.d
        x = self.x
        slope = xp.where(x <= -3, 0.0, xp.where(x < 3, x / 3.0 + 0.5, 1.0))
        return gy * slope.astype(gy.dtype, copy=False)


class HardsigmoidOp(Function):
    """y = relu6(x + 3) / 6; dy/dx = 1/6 strictly inside (-3, 3), else 0."""

    name = "hardsigmoid"
    formula = "1/6 if -3 < {0} < 3 else 0"

    def forward(self, x):
        self.mask = (x > -3) & (x < 3)
        return xp.clip(x + 3.0, 0.0, 6.0) / 6.0

    def backward(self, gy):
        return gy * self.mask / 6.0


class PreluOp(Function):
    """y = x for x > 0, else a·x, with ``a`` learned (one value, or one per channel on
    axis 1). gx = gy·(1 or a); ga = Σ gy·x over x ≤ 0, summed over all axes but the
    channel axis."""

    name = "prelu"
    formula = ("1 if {0} > 0 else a", "0 if {0} > 0 else {0}")

    def forward(self, x, a):
        shape = [1] * x.ndim
        if a.size > 1:
            shape[1] = a.size
        aw = a.reshape(shape)
        pos = x > 0
        self.x, self.pos, self.aw, self.ashape = x, pos, aw, a.shape
        return xp.where(pos, x, aw * x).astype(x.dtype, copy=False)

    def backward(self, gy):
        need_x, need_a = self.needs_input_grad
        gx = ga = None
        if need_x:
            gx = xp.where(self.pos, gy, gy * self.aw)
        if need_a:
            g = xp.where(self.pos, 0, gy * self.x)
            if len(self.ashape) and self.ashape[0] > 1:
                axes = (0,) + tuple(range(2, g.ndim))
                ga = g.sum(axis=axes).reshape(self.ashape)
            else:
                ga = xp.asarray(g.sum()).reshape(self.ashape)
        return gx, ga


# --- public functions ---------------------------------------------------------------------


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _float(x, op: str) -> Tensor:
    """The input as a Tensor, refusing integer and bool data (as PyTorch does)."""
    x = _t(x)
    if x.data.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got dtype {x.data.dtype}; "
                        f"convert it with .float()")
    return x


@op(records=ErfOp)
def erf(input) -> Tensor:  # noqa: A002 - PyTorch's name
    """The error function, elementwise."""
    return ErfOp.apply(_t(input))


@op(method=False, top=False, functional=True, records=GeluOp)
def gelu(input, approximate: str = "none") -> Tensor:  # noqa: A002
    """GELU: x·Φ(x), Φ the standard normal CDF (``approximate='tanh'``: PyTorch's tanh
    approximation ½x(1 + tanh(√(2/π)(x + 0.044715x³)))). Any shape, the same shape out."""
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return GeluOp.apply(_float(input, "gelu"), approximate)


@op(method=False, top=False, functional=True, records=SiluOp)
def silu(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """SiLU (swish): x·σ(x)."""
    return SiluOp.apply(_float(input, "silu"))


@op(method=False, top=False, functional=True, records=MishOp)
def mish(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """Mish: x·tanh(softplus(x))."""
    return MishOp.apply(_float(input, "mish"))


@op(method=False, top=False, functional=True, records=EluOp)
def elu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """ELU: x for x > 0, α(eˣ - 1) otherwise."""
    return EluOp.apply(_float(input, "elu"), float(alpha), 1.0, 1.0)


@op(method=False, functional=True, records=SeluOp)
def selu(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """SELU: λ·ELU(x, α) with λ ≈ 1.0507 and α ≈ 1.6733 (self-normalising constants)."""
    return SeluOp.apply(_float(input, "selu"), _SELU_ALPHA, _SELU_SCALE, 1.0)


@op(method=False, functional=True, records=CeluOp)
def celu(input, alpha: float = 1.0, inplace: bool = False) -> Tensor:  # noqa: A002
    """CELU: max(0, x) + min(0, α(e^(x/α) - 1))."""
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0 (it divides the input)")
    return CeluOp.apply(_float(input, "celu"), float(alpha), 1.0, 1.0 / float(alpha))


@op(method=False, top=False, functional=True, records=HardtanhOp)
def hardtanh(input, min_val: float = -1.0, max_val: float = 1.0,  # noqa: A002
             inplace: bool = False) -> Tensor:
    """Clamp to [min_val, max_val] (gradient 1 strictly inside, 0 outside)."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
    return HardtanhOp.apply(_float(input, "hardtanh"), min_val, max_val)


@op(method=False, top=False, functional=True, records=HardtanhOp)
def relu6(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """min(max(x, 0), 6): ``hardtanh(x, 0, 6)``."""
    return HardtanhOp.apply(_float(input, "relu6"), 0.0, 6.0)


@op(method=False, top=False, functional=True, records=HardswishOp)
def hardswish(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """x·relu6(x + 3)/6, a cheap swish."""
    return HardswishOp.apply(_float(input, "hardswish"))


@op(method=False, top=False, functional=True, records=HardsigmoidOp)
def hardsigmoid(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """relu6(x + 3)/6, a cheap sigmoid."""
    return HardsigmoidOp.apply(_float(input, "hardsigmoid"))


@op(method=False, top=False, functional=True, records=SoftsignOp)
def softsign(input) -> Tensor:  # noqa: A002
    """x / (1 + |x|)."""
    return SoftsignOp.apply(_float(input, "softsign"))


@op(method=False, top=False, functional=True, records=LogsigmoidOp)
def logsigmoid(input) -> Tensor:  # noqa: A002
    """log σ(x), computed without overflow."""
    return LogsigmoidOp.apply(_float(input, "logsigmoid"))


@op(method=False, top=False, functional=True, records=TanhshrinkOp)
def tanhshrink(input) -> Tensor:  # noqa: A002
    """x - tanh(x)."""
    return TanhshrinkOp.apply(_float(input, "tanhshrink"))


@op(functional=True, records=PreluOp)
def prelu(input, weight) -> Tensor:  # noqa: A002
    """PReLU: x for x > 0, a·x otherwise; ``weight`` holds one slope, or one per channel
    (axis 1 of the input, which then needs at least 2 dims)."""
    x, w = _float(input, "prelu"), _t(weight)
    n = w.data.size
    if w.ndim > 1:
        raise ValueError(f"prelu: weight must be 0-D or 1-D, got shape {tuple(w.shape)}")
    if n != 1:
        c = x.shape[1] if x.ndim >= 2 else None
        if c != n:
            raise ValueError(
                f"prelu: weight has {n} slopes, which must be 1 or the number of channels "
                f"(input dim 1), but the input has shape {tuple(x.shape)}"
            )
    check_dtypes("prelu", x, weight=w)
    return PreluOp.apply(x, w)
