"""Elementwise functions and their derivatives.

ReLU's derivative at exactly 0 is taken as 0: the bend has no derivative there, and
either 0 or 1 works in practice (PyTorch uses 0 too).
"""

from __future__ import annotations

import numpy as np

from ..autograd import Elementwise, Local
from ..backend import xp
from ..tensor import Tensor
from ._registry import op
from ._special_math import run_fused
from ._util import needs_promotion, operand, promote, promote_all, result_dtype, shape_of


class Exp(Elementwise):
    name, formula = "exp", "e^{0}"

    def forward(self, x):
        self.y = xp.exp(x)
        return self.y

    def backward(self, gy):
        return gy * self.y


class Log(Elementwise):
    name, formula = "log", "1/{0}"

    def forward(self, x):
        self.x = x
        return xp.log(x)

    def backward(self, gy):
        return gy / self.x


class Sqrt(Elementwise):
    name, formula = "sqrt", "1/(2·√{0})"

    def forward(self, x):
        self.y = xp.sqrt(x)
        return self.y

    def backward(self, gy):
        return gy * 0.5 / self.y


class Abs(Elementwise):
    name, formula = "abs", "sign({0})"

    def forward(self, x):
        self.x = x
        return xp.abs(x)

    def backward(self, gy):
        return gy * xp.sign(self.x)


class Sin(Elementwise):
    name, formula = "sin", "cos({0})"

    def forward(self, x):
        self.x = x
        return xp.sin(x)

    def backward(self, gy):
        return gy * xp.cos(self.x)


class Cos(Elementwise):
    name, formula = "cos", "-sin({0})"

    def forward(self, x):
        self.x = x
        return xp.cos(x)

    def backward(self, gy):
        return -gy * xp.sin(self.x)


class TanhOp(Elementwise):
    name, formula = "tanh", "(1 - tanh²({0}))"

    def forward(self, x):
        self.y = xp.tanh(x)
        return self.y

    def backward(self, gy):
        y = self.y
        return gy * (1 - y * y)


class SigmoidOp(Elementwise):
    """σ(x) = 1 / (1 + e^-x); σ' = σ(1-σ).

    From ``FUSED_MIN_SIZE`` elements on (float32, float64; numba there and
    ``GLASSNET_KERNEL`` not ``numpy``) one fused loop computes σ and σ(1-σ) together, both
    from e^(-|x|) in float64 (no overflow, both tails accurate: float32 results within
    0.51 ulp of the exact value); σ(1-σ) is kept for backward. Smaller tensors take
    NumPy's 0.5·tanh(x/2) + 0.5 (no overflow; absolute error within float eps), which
    costs less than a numba call there.
    """

    name, formula = "sigmoid", "σ({0})·(1 - σ({0}))"
    d = None  # σ(1-σ) from the fused loop (an instance attribute only when it ran)

    def forward(self, x):
        if x.size >= FUSED_MIN_SIZE:
            kernel = _fused_kernel("sigmoid", x)
            if kernel is not None:
                self.y = None  # backward reads self.d
                return run_fused(self, kernel, x)
        y = xp.tanh(x * 0.5)
        y *= 0.5
        y += 0.5
        self.y = y
        return y

    def backward(self, gy):
        y = self.y
        if y is None:  # the fused loop ran (y is tested, not d: one lookup less when tiny)
            return gy * self.d
        return gy * y * (1 - y)


class ReluOp(Elementwise):
    """max(x, 0); derivative 1 where x > 0 and 0 elsewhere (0 at the bend itself)."""

    name, formula = "relu", "[{0} > 0]"

    def forward(self, x):
        self.y = xp.maximum(x, 0.0)
        return self.y

    def backward(self, gy):
        # y >= 0, so sign(y) is 1 where x > 0 and 0 elsewhere, the bend included.
        return gy * xp.sign(self.y)


class LeakyReluOp(Elementwise):
    name = "leaky_relu"

    def local(self, slot, n_in, n_out):
        return Local(1.0, f"[{{0}} > 0 else {self.slope:g}]", (0,))

    def forward(self, x, slope):
        self.mask = x > 0
        self.slope = slope
        return xp.where(self.mask, x, x * slope)

    def backward(self, gy):
        return xp.where(self.mask, gy, gy * self.slope)


_SOFTPLUS_EXACT = 20.0
"""Above this threshold ``log1p(e^z)`` and ``z`` differ by less than e^-20 ≈ 2e-9, so the
linear branch only needs to be applied when a smaller threshold asks for it."""


class SoftplusOp(Elementwise):
    """y = log(1 + e^(βx)) / β, and x itself where βx > ``threshold`` (PyTorch's rule,
    βx formed in x's dtype); dy/dx = σ(βx), exactly 1 on the linear branch.

    From ``FUSED_MIN_SIZE`` elements on (float32, float64, numba there) one fused loop
    computes y and σ(βx) together in float64 (see ``_erf_numba.softplus``) and keeps σ(βx)
    for backward. Below that, NumPy: the derivative is taken from the output:
    1 + e^(βx) = e^(βy), so σ(βx) = e^(βx - βy), accurate at both ends and exactly 1 on
    the linear branch.
    """

    name = "softplus"
    d = None  # σ(βx) from the fused loop (an instance attribute only when it ran)

    def local(self, slot, n_in, n_out):
        # σ(βx), written as the curriculum does: e^x/(1 + e^x)
        b = self.beta
        z = "{0}" if b == 1 else f"({b:g}·{{0}})"
        return Local(1.0, f"e^{z}/(1 + e^{z})", (0,))

    def forward(self, x, beta, threshold):
        self.beta = beta
        if x.size >= FUSED_MIN_SIZE:
            kernel = _fused_kernel("softplus", x)
            if kernel is not None:
                with np.errstate(over="ignore"):  # a threshold past float32's range: inf
                    b, t = x.dtype.type(beta), x.dtype.type(threshold)
                self.y = None  # backward reads self.d
                return run_fused(self, kernel, x, b, t, float(beta))
        bx = x * beta if beta != 1 else x
        y = xp.logaddexp(0.0, bx)
        if beta != 1:
            y /= beta
        # float32 rounds log(1 + e^z) to z itself from z = 17 on, so with β = 1 the default
        # threshold needs no test (the tiny networks' case); otherwise the linear branch is
        # taken explicitly, as PyTorch does (x exactly; βx may even overflow)
        if threshold < _SOFTPLUS_EXACT or beta != 1 or bx.dtype is not _F32:
            over = bx > threshold
            if over.any():
                y = xp.where(over, x, y)
        self.bx, self.y = bx, y
        return y

    def backward(self, gy):
        y = self.y
        if y is None:  # the fused loop ran
            return gy * self.d
        by = y * self.beta if self.beta != 1 else y
        return gy * xp.exp(self.bx - by)


FUSED_MIN_SIZE = 4096
"""Tensors with at least this many elements take the fused numba loops of sigmoid and
softplus; smaller ones take NumPy, which costs less than a numba call there (the tiny
networks of the curriculum have a few elements per activation). Measured crossover: see
``benchmarks/bench_activations.py --sizes``."""

_F32 = np.dtype(np.float32)
_FUSED_DTYPES = (_F32, np.dtype(np.float64))


def _fused_kernel(name: str, x):
    """The fused numba kernel ``name`` of ``_erf_numba`` for ``x``'s dtype, or None when NumPy
    should run (``GLASSNET_KERNEL=numpy``, numba missing, or a dtype the loops lack)."""
    if x.dtype not in _FUSED_DTYPES:
        return None
    from ._special_math import fast_kernels

    fast = fast_kernels()
    return None if fast is None else getattr(fast, name + ("32" if x.dtype is _F32 else "64"))


class Clamp(Elementwise):
    """min(max(x, lo), hi); the gradient passes to x where lo <= x <= hi, and to a tensor
    bound where that bound is the result."""

    name = "clamp"

    def local(self, slot, n_in, n_out):
        if slot:
            return Local(1.0, "[the bound is the result]", (), generic=True)
        lo, hi = self.parents[1], self.parents[2]
        lo = "" if lo is None else "min ≤ " if isinstance(lo, Tensor) else f"{float(lo):g} ≤ "
        hi = "" if hi is None else " ≤ max" if isinstance(hi, Tensor) else f" ≤ {float(hi):g}"
        return Local(1.0, f"[{lo}{{0}}{hi}]", (0,))

    def forward(self, x, lo, hi):
        m = x if lo is None else xp.maximum(x, lo)
        out = m if hi is None else xp.minimum(m, hi)
        self.lo_wins = None if lo is None else xp.broadcast_to(x < lo, out.shape)
        self.hi_wins = None if hi is None else xp.broadcast_to(m > hi, out.shape)
        return out.astype(x.dtype, copy=False)

    def backward(self, gy):
        lo_wins, hi_wins = self.lo_wins, self.hi_wins
        gm = gy if hi_wins is None else xp.where(hi_wins, 0, gy)
        gx = gm if lo_wins is None else xp.where(lo_wins, 0, gm)
        glo = None if lo_wins is None else xp.where(lo_wins, gm, 0)
        ghi = None if hi_wins is None else xp.where(hi_wins, gy, 0)
        return gx, glo, ghi


class Maximum(Elementwise):
    """Elementwise max; at ties the gradient is split equally, as in PyTorch."""

    name, formula = "maximum", ("[{0} is the larger]", "[{1} is the larger]")

    def forward(self, a, b):
        self.a, self.b = a, b
        return xp.maximum(a, b)

    def backward(self, gy):
        a, b = self.a, self.b
        ga = xp.where(a > b, gy, xp.where(a == b, gy * 0.5, 0))
        gb = xp.where(b > a, gy, xp.where(a == b, gy * 0.5, 0))
        return ga, gb


class Minimum(Elementwise):
    name, formula = "minimum", ("[{0} is the smaller]", "[{1} is the smaller]")

    def forward(self, a, b):
        self.a, self.b = a, b
        return xp.minimum(a, b)

    def backward(self, gy):
        a, b = self.a, self.b
        ga = xp.where(a < b, gy, xp.where(a == b, gy * 0.5, 0))
        gb = xp.where(b < a, gy, xp.where(a == b, gy * 0.5, 0))
        return ga, gb


class Where(Elementwise):
    name = "where"
    formula = (None, Local(1.0, "[the condition picks this input]", generic=True),
               Local(1.0, "[the condition picks this input]", generic=True))

    def forward(self, cond, a, b):
        self.cond = cond
        return xp.where(cond, a, b)

    def backward(self, gy):
        zero = xp.zeros((), gy.dtype)
        return None, xp.where(self.cond, gy, zero), xp.where(self.cond, zero, gy)


class Cast(Elementwise):
    name, formula = "cast", 1.0

    def forward(self, x, dtype):
        self.src = x.dtype
        return x.astype(dtype)

    def backward(self, gy):
        return gy.astype(self.src) if self.src.kind == "f" else None


class Clone(Elementwise):
    name, formula = "clone", 1.0

    def forward(self, x):
        return xp.array(x, copy=True)

    def backward(self, gy):
        return gy


def _unary(cls, x, *args):
    if not isinstance(x, Tensor):
        x = Tensor(x)
    return cls.apply(x, *args)


def _to_float(x):
    """An integer or bool tensor or array in the default float dtype (PyTorch's rule for
    exp, log, sqrt, sin, ...: float32, not NumPy's float64); anything else unchanged."""
    from .. import backend

    d = x.data if isinstance(x, Tensor) else x
    if isinstance(d, np.ndarray) and d.dtype.kind in "biu":
        d = d.astype(backend.DEFAULT_FLOAT)
        return Tensor._wrap(d) if isinstance(x, Tensor) else d
    return x


def _unary_float(cls, x, *args):
    return _unary(cls, _to_float(x if isinstance(x, Tensor) else Tensor(x)), *args)


@op(inplace="exp_", records=Exp)
def exp(input) -> Tensor:  # noqa: A002 - PyTorch's argument names throughout
    """e^x elementwise; derivative e^x."""
    return _unary_float(Exp, input)


@op(inplace="log_", records=Log)
def log(input) -> Tensor:  # noqa: A002
    """Natural logarithm; derivative 1/x."""
    return _unary_float(Log, input)


@op(inplace="sqrt_", records=Sqrt)
def sqrt(input) -> Tensor:  # noqa: A002
    """√x; derivative 1/(2√x)."""
    return _unary_float(Sqrt, input)


@op(dunder="__abs__", inplace="abs_", records=Abs)
def abs(input) -> Tensor:  # noqa: A001,A002 - PyTorch's name
    """|x|; derivative sign(x) (0 at 0)."""
    return _unary(Abs, input)


@op(inplace="sin_", records=Sin)
def sin(input) -> Tensor:  # noqa: A002
    return _unary_float(Sin, input)


@op(inplace="cos_", records=Cos)
def cos(input) -> Tensor:  # noqa: A002
    return _unary_float(Cos, input)


@op(functional=True, inplace="tanh_", records=TanhOp)
def tanh(input) -> Tensor:  # noqa: A002
    """tanh(x); derivative 1 - tanh²(x)."""
    return _unary_float(TanhOp, input)


@op(functional=True, inplace="sigmoid_", records=SigmoidOp)
def sigmoid(input) -> Tensor:  # noqa: A002
    """σ(x) = 1 / (1 + e^-x); derivative σ(x)(1 - σ(x))."""
    return _unary_float(SigmoidOp, input)


@op(functional=True, inplace="relu_", records=ReluOp)
def relu(input, inplace: bool = False) -> Tensor:  # noqa: A002
    """max(x, 0); derivative 1 where x > 0, else 0. ``inplace`` is accepted for PyTorch
    compatibility; the result is a new tensor."""
    return _unary(ReluOp, input)


@op(functional=True, records=LeakyReluOp)
def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:  # noqa: A002
    """max(x, 0) + negative_slope · min(x, 0)."""
    return _unary(LeakyReluOp, input, negative_slope)


@op(functional=True, records=SoftplusOp)
def softplus(input, beta: float = 1.0, threshold: float = 20.0) -> Tensor:  # noqa: A002
    """log(1 + e^(βx)) / β, a smooth ReLU (x itself where βx > threshold); derivative
    σ(βx)."""
    return _unary(SoftplusOp, input, beta, threshold)


@op(method=("clamp", "clip"), aliases=("clip",), inplace=("clamp_", "clip_"), records=Clamp)
def clamp(input, min=None, max=None) -> Tensor:  # noqa: A002 - PyTorch's names
    """Clip to [min, max]; the gradient passes where min <= x <= max."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    x = input if isinstance(input, Tensor) else Tensor(input)
    lo = None if min is None else operand(min, x)
    hi = None if max is None else operand(max, x)
    if needs_promotion(x, lo) or needs_promotion(x, hi) or needs_promotion(lo, hi):
        x, lo, hi = promote_all(x, lo, hi)
    try:
        return Clamp.apply(x, lo, hi)
    except ValueError:
        raise ValueError(f"clamp: shapes {tuple(x.shape)}, {tuple(shape_of(lo))} and "
                         f"{tuple(shape_of(hi))} cannot be broadcast") from None


@op(records=Maximum)
def maximum(input, other) -> Tensor:  # noqa: A002
    """Elementwise max (broadcast); ties split the gradient equally."""
    return _pair(Maximum, "maximum", input, other)


@op(records=Minimum)
def minimum(input, other) -> Tensor:  # noqa: A002
    """Elementwise min (broadcast); ties split the gradient equally."""
    return _pair(Minimum, "minimum", input, other)


def _pair(cls, op, a, b):
    if isinstance(a, Tensor):
        b = operand(b, a)
    else:
        a = operand(a, b)
    a, b = promote(a, b)
    try:
        return cls.apply(a, b)
    except ValueError:
        raise ValueError(
            f"{op}: shapes {tuple(shape_of(a))} and {tuple(shape_of(b))} cannot be broadcast"
        ) from None


@op(method=False, records=Where)
def where(condition, input=None, other=None):  # noqa: A002 - PyTorch's names
    """``input`` where ``condition`` holds, else ``other`` (broadcast together). With the
    condition alone: the indices where it holds, one index tensor per dim
    (``nonzero(condition, as_tuple=True)``)."""
    if input is None and other is None:
        from .indexing import nonzero

        return nonzero(condition, as_tuple=True)
    if input is None or other is None:
        raise TypeError("where(condition, input, other) needs both input and other "
                        "(or neither, for the indices where condition holds)")
    cond = condition.data if isinstance(condition, Tensor) else xp.asarray(condition)
    cond = cond.astype(bool, copy=False)
    like = input if isinstance(input, Tensor) else other if isinstance(other, Tensor) else None
    a, b = operand(input, like), operand(other, like)
    if like is None and not isinstance(a, np.ndarray) and not isinstance(b, np.ndarray):
        dt = result_dtype(a, b)  # two numbers: where(c, 1.0, 0.0) is float32, as PyTorch
        a, b = xp.asarray(a, dt), xp.asarray(b, dt)
    elif needs_promotion(a, b):
        a, b = promote_all(a, b)
    try:
        return Where.apply(cond, a, b)
    except ValueError:
        raise ValueError(
            f"where: shapes {tuple(np.shape(cond))}, {tuple(shape_of(a))} and "
            f"{tuple(shape_of(b))} cannot be broadcast"
        ) from None


@op("Tensor.where", method="where", top=False)
def where_method(self, condition, other) -> Tensor:
    """``x.where(condition, y)``: ``x`` where ``condition`` holds, else ``y``."""
    return where(condition, self, other)


@op(method="_cast", top=False, records=Cast)
def cast(x: Tensor, dtype) -> Tensor:
    """``x`` in ``dtype``; the gradient flows back between floating dtypes."""
    if x.data.dtype == dtype:
        return x
    if dtype.kind != "f" or x.data.dtype.kind != "f":
        return Tensor._wrap(x.data.astype(dtype))
    return Cast.apply(x, dtype)


@op(records=Clone)
def clone(input) -> Tensor:  # noqa: A002
    """A copy that stays in the graph (derivative 1)."""
    return Clone.apply(input)
