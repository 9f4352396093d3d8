"""More everyday layer functions with PyTorch's names and arguments: shrink and threshold
activations, GLU, softmin, RReLU, the in-place activation functions (``F.relu_`` ...),
RMS normalisation, local response normalisation, the bilinear form, Gumbel-softmax and
alpha dropout.

The piecewise activations and RReLU are one ``Function`` each (forward and derivative
side by side); the bilinear form is one ``Function`` with its three gradients written
out. The rest are exact compositions of existing ops (their gradients come from those):
``rms_norm`` is x·(mean(x²) + ε)^-½·w, ``glu`` is a·σ(b), ``softmin`` is softmax(-x).
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd import Elementwise, Function, Local
from ..backend import xp
from ..random import resolve
from ..tensor import Tensor
from . import activation_more as _act
from . import elementwise as _ew
from ._registry import inplace_method, op
from ._util import check_dtypes

__all__ = [
    "softshrink", "hardshrink", "threshold", "threshold_", "glu", "softmin", "rrelu",
    "rrelu_", "relu_", "elu_", "leaky_relu_", "hardtanh_", "selu_", "celu_", "rms_norm",
    "local_response_norm", "bilinear", "gumbel_softmax", "alpha_dropout",
]

_SELU_ALPHA_SCALE = 1.7580993408473766  # SELU's α·λ: the value dropped units take, negated


_t, _float = _act._t, _act._float  # a Tensor; a floating one (integer data refused)


# --- piecewise activations ----------------------------------------------------------------


class SoftshrinkOp(Elementwise):
    """y = x - λ for x > λ, x + λ for x < -λ, else 0; dy/dx = 1 where |x| > λ, else 0."""

    name = "softshrink"

    def local(self, slot, n_in, n_out):
        return Local(1.0, f"[|{{0}}| > {float(self.parents[1]):g}]", (0,))

    def forward(self, x, lambd):
        self.mask = (x > lambd) | (x < -lambd)
        y = xp.where(x > lambd, x - lambd, xp.where(x < -lambd, x + lambd, 0))
        return y.astype(x.dtype, copy=False)

    def backward(self, gy):
        return gy * self.mask, None


class HardshrinkOp(Elementwise):
    """y = x where |x| > λ, else 0; dy/dx = 1 where |x| > λ, else 0."""

    name = "hardshrink"

    def local(self, slot, n_in, n_out):
        return Local(1.0, f"[|{{0}}| > {float(self.parents[1]):g}]", (0,))

    def forward(self, x, lambd):
        self.mask = (x > lambd) | (x < -lambd)
        return xp.where(self.mask, x, 0).astype(x.dtype, copy=False)

    def backward(self, gy):
        return gy * self.mask, None


class ThresholdOp(Elementwise):
    """y = x where x > threshold, else ``value``; dy/dx = 1 where x > threshold, else 0."""

    name = "threshold"

    def local(self, slot, n_in, n_out):
        return Local(1.0, f"[{{0}} > {float(self.parents[1]):g}]", (0,))

    def forward(self, x, th, value):
        self.mask = x > th
        return xp.where(self.mask, x, value).astype(x.dtype, copy=False)

    def backward(self, gy):
        return gy * self.mask, None, None


class RReluOp(Elementwise):
    """y = x·a with a = 1 where x > 0 and, where x ≤ 0, a slope drawn from U(lower, upper)
    (training) or their mean (evaluation); dy/dx = a."""

    name = "rrelu"
    formula = (Local(1.0, "1 if {0} > 0 else a (a ~ U(lower, upper))", (0,)), None)

    def forward(self, x, a):
        self.a = a
        return x * a

    def backward(self, gy):
        return gy * self.a, None


@op(method=False, top=False, functional=True, records=SoftshrinkOp)
def softshrink(input, lambd: float = 0.5) -> Tensor:  # noqa: A002 - PyTorch's name
    """x - λ above λ, x + λ below -λ, 0 between (λ ≥ 0). Any shape, the same shape out."""
    if lambd < 0:
        raise ValueError(f"softshrink: lambd must be non-negative, got {lambd}")
    return SoftshrinkOp.apply(_float(input, "softshrink"), float(lambd))


@op(method=False, top=False, functional=True, records=HardshrinkOp)
def hardshrink(input, lambd: float = 0.5) -> Tensor:  # noqa: A002
    """x where |x| > λ, 0 elsewhere. Any shape, the same shape out."""
    return HardshrinkOp.apply(_float(input, "hardshrink"), float(lambd))


@op(method=False, functional=True, records=ThresholdOp)
def threshold(input, threshold: float, value: float, inplace: bool = False) -> Tensor:  # noqa: A002
    """x where x > threshold, ``value`` elsewhere. ``inplace`` is accepted for PyTorch
    compatibility; the result is a new tensor (:func:`threshold_` writes in place)."""
    return ThresholdOp.apply(_float(input, "threshold"), float(threshold), float(value))


def _rrelu_slopes(x: Tensor, lower, upper, training, generator):
    if not 0 <= lower <= upper:
        raise ValueError(f"rrelu: expected 0 <= lower <= upper, got lower={lower}, "
                         f"upper={upper}")
    d = x.data
    if training:
        rdt = d.dtype if d.dtype in (np.float32, np.float64) else np.float64
        r = resolve(generator).uniform(lower, upper, size=d.shape).astype(rdt, copy=False)
        return xp.where(d > 0, d.dtype.type(1), r).astype(d.dtype, copy=False)
    return xp.where(d > 0, 1.0, (lower + upper) / 2).astype(d.dtype, copy=False)


@op(method=False, functional=True, records=RReluOp)
def rrelu(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3,  # noqa: A002
          training: bool = False, inplace: bool = False, *, generator=None) -> Tensor:
    """Randomized leaky ReLU: x for x > 0, a·x otherwise, with a drawn per element from
    U(lower, upper) while ``training`` and the mean (lower + upper)/2 in evaluation.
    ``generator`` (a ``gn.Generator``) draws the slopes. ``inplace`` is accepted; the
    result is a new tensor (:func:`rrelu_` writes in place)."""
    x = _float(input, "rrelu")
    return RReluOp.apply(x, _rrelu_slopes(x, float(lower), float(upper), training, generator))


# --- in-place functions -------------------------------------------------------------------


def _inplace(func, name: str):
    """``F.<name>(input, ...)``: ``func`` written into ``input`` (which it returns)."""
    method = inplace_method(func, name)

    def f(input, *args, **kwargs):  # noqa: A002
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}: expected a Tensor to change in place, got "
                            f"{type(input).__name__}")
        return method(input, *args, **kwargs)

    f.__name__ = name
    f.__doc__ = f"In-place :func:`{func.__name__}`: writes the result into ``input``."
    return f


@op(method=False, functional=True)
def relu_(input) -> Tensor:  # noqa: A002
    """In-place ReLU: max(x, 0) written into ``input``; returns ``input``."""
    return _inplace(_ew.relu, "relu_")(input)


@op(method=False, top=False, functional=True)
def elu_(input, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """In-place ELU; returns ``input``."""
    return _inplace(_act.elu, "elu_")(input, alpha)


@op(method=False, top=False, functional=True)
def leaky_relu_(input, negative_slope: float = 0.01) -> Tensor:  # noqa: A002
    """In-place leaky ReLU; returns ``input``."""
    return _inplace(_ew.leaky_relu, "leaky_relu_")(input, negative_slope)


@op(method=False, top=False, functional=True)
def hardtanh_(input, min_val: float = -1.0, max_val: float = 1.0) -> Tensor:  # noqa: A002
    """In-place hardtanh (clamp to [min_val, max_val]); returns ``input``."""
    return _inplace(_act.hardtanh, "hardtanh_")(input, min_val, max_val)


@op(method=False, functional=True)
def selu_(input) -> Tensor:  # noqa: A002
    """In-place SELU; returns ``input``."""
    return _inplace(_act.selu, "selu_")(input)


@op(method=False, functional=True)
def celu_(input, alpha: float = 1.0) -> Tensor:  # noqa: A002
    """In-place CELU; returns ``input``."""
    return _inplace(_act.celu, "celu_")(input, alpha)


@op(method=False, functional=True)
def threshold_(input, threshold: float, value: float) -> Tensor:  # noqa: A002
    """In-place threshold: ``value`` written where x ≤ threshold; returns ``input``."""
    def f(x, th, v):
        return ThresholdOp.apply(_float(x, "threshold_"), float(th), float(v))
    return _inplace(f, "threshold_")(input, threshold, value)


@op(method=False, functional=True)
def rrelu_(input, lower: float = 1.0 / 8, upper: float = 1.0 / 3,  # noqa: A002
           training: bool = False, *, generator=None) -> Tensor:
    """In-place RReLU; returns ``input``."""
    def f(x):
        x = _float(x, "rrelu_")
        return RReluOp.apply(x, _rrelu_slopes(x, float(lower), float(upper), training,
                                              generator))
    return _inplace(f, "rrelu_")(input)


# --- compositions -------------------------------------------------------------------------


def _dim(dim: int, ndim: int, op_name: str) -> int:
    if not -max(ndim, 1) <= dim < max(ndim, 1):
        raise IndexError(f"{op_name}: dim {dim} is out of range for a {ndim}-D input")
    return dim % max(ndim, 1)


@op(method=False, top=False, functional=True)
def glu(input, dim: int = -1) -> Tensor:  # noqa: A002
    """Gated linear unit: the input split in halves a, b along ``dim``; a·σ(b).
    ``(*, 2n, *) -> (*, n, *)``."""
    x = _float(input, "glu")
    if x.ndim == 0:
        raise ValueError("glu: expected an input with at least 1 dimension, got a 0-D tensor")
    d = _dim(dim, x.ndim, "glu")
    size = x.shape[d]
    if size % 2:
        raise ValueError(f"glu: the halved dimension must have an even size, but dimension "
                         f"{d} of the input {tuple(x.shape)} has size {size}")
    h = size // 2
    return x.narrow(d, 0, h) * x.narrow(d, h, h).sigmoid()


@op(method=False, top=False, functional=True)
def softmin(input, dim: int | None = None, _stacklevel: int = 3, dtype=None) -> Tensor:  # noqa: A002
    """softmax(-x) along ``dim`` (PyTorch's implicit dim when omitted)."""
    from .activation import _implicit_dim, softmax

    x = _float(input, "softmin")
    if dim is None:
        dim = _implicit_dim(x, "softmin")
    return softmax(-x, dim, dtype=dtype)


@op(functional=True, method=False)
def rms_norm(input, normalized_shape, weight=None, eps: float | None = None) -> Tensor:  # noqa: A002
    """RMS normalisation over the trailing ``normalized_shape`` dims:
    x / √(mean(x²) + ε) · weight. ``eps=None``: the dtype's machine epsilon."""
    x = _float(input, "rms_norm")
    ns = (int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer)) \
        else tuple(int(s) for s in normalized_shape)
    k = len(ns)
    if k == 0 or tuple(x.shape[x.ndim - k:]) != ns or x.ndim < k:
        raise ValueError(f"rms_norm: normalized_shape={ns} expects an input of shape "
                         f"(*, {', '.join(map(str, ns))}), got {tuple(x.shape)}")
    if weight is not None:
        weight = _t(weight)
        if tuple(weight.shape) != ns:
            raise ValueError(f"rms_norm: weight must have shape {ns} (normalized_shape), "
                             f"got {tuple(weight.shape)}")
        check_dtypes("rms_norm", x, weight=weight)
    if eps is None:
        eps = float(np.finfo(x.dtype).eps)
    dims = tuple(range(x.ndim - k, x.ndim))
    y = x * ((x * x).mean(dim=dims, keepdim=True) + eps).rsqrt()
    return y if weight is None else y * weight


@op(method=False, top=False, functional=True)
def local_response_norm(input, size: int, alpha: float = 1e-4, beta: float = 0.75,  # noqa: A002
                        k: float = 1.0) -> Tensor:
    """Normalise each element by its neighbours across channels (dim 1):
    x / (k + α/n · Σ x²)^β, the sum over the ``size`` channels around it (zero-padded,
    ``size//2`` before, ``(size-1)//2`` after). ``(N, C, *) -> (N, C, *)``."""
    from .shape import pad

    x = _float(input, "local_response_norm")
    if x.ndim < 3:
        raise ValueError(f"local_response_norm: expected an input of 3 or more dims "
                         f"(N, C, *), got shape {tuple(x.shape)}")
    if int(size) < 1:
        raise ValueError(f"local_response_norm: size must be positive, got {size}")
    size = int(size)
    N, C = x.shape[:2]
    sq = (x * x).reshape(N, C, -1).permute(0, 2, 1)  # (N, M, C): channels last
    sq = pad(sq, (size // 2, (size - 1) // 2))
    total = sq[:, :, 0:C]
    for i in range(1, size):
        total = total + sq[:, :, i:i + C]
    div = total.permute(0, 2, 1).reshape(*x.shape)
    return x / ((div * (alpha / size) + k) ** beta)


class BilinearOp(Function):
    """y[..., o] = Σᵢⱼ x1[..., i] W[o, i, j] x2[..., j].

    gx1 = Σₒⱼ gy·W·x2, gx2 = Σₒᵢ gy·W·x1 (= Σₒ gy·(x1 W)), gW = Σ over the batch of
    gy ⊗ x1 ⊗ x2.
    """

    name = "bilinear"
    formula = (Local(1.0, "Σ W[o,i,j]·x2[j]", generic=True),
               Local(1.0, "Σ W[o,i,j]·x1[i]", generic=True),
               Local(1.0, "x1[i]·x2[j]", generic=True))

    def forward(self, x1, x2, w):
        t = xp.tensordot(x1, w, axes=([-1], [1]))  # (..., O, J)
        self.x1, self.x2, self.w, self.t = x1, x2, w, t
        return (t * x2[..., None, :]).sum(-1)

    def backward(self, gy):
        need1, need2, needw = self.needs_input_grad
        x1, x2, w = self.x1, self.x2, self.w
        g1 = g2 = gw = None
        if need1:
            g1 = xp.tensordot(gy[..., :, None] * x2[..., None, :], w, axes=([-2, -1], [0, 2]))
        if need2:
            g2 = (gy[..., :, None] * self.t).sum(-2)
        if needw:
            O, I, J = w.shape
            m = gy.reshape(-1, O)
            outer = (x1.reshape(-1, I)[:, :, None] * x2.reshape(-1, J)[:, None, :])
            gw = (m.T @ outer.reshape(m.shape[0], I * J)).reshape(O, I, J)
        return g1, g2, gw


@op(functional=True, method=False, records=BilinearOp)
def bilinear(input1, input2, weight, bias=None) -> Tensor:
    """y = x1ᵀ W x2 + b per output feature: ``(*, in1), (*, in2), W (out, in1, in2),
    b (out,) -> (*, out)``; the batch dims of both inputs must be equal."""
    x1, x2, w = _float(input1, "bilinear"), _float(input2, "bilinear"), _t(weight)
    if w.ndim != 3:
        raise ValueError(f"bilinear: weight must be 3-D (out_features, in1_features, "
                         f"in2_features), got shape {tuple(w.shape)}")
    O, I, J = w.shape
    if x1.ndim == 0 or x2.ndim == 0 or x1.shape[-1] != I or x2.shape[-1] != J \
            or tuple(x1.shape[:-1]) != tuple(x2.shape[:-1]):
        raise ValueError(f"bilinear: expected input1 of shape (*, {I}) and input2 of shape "
                         f"(*, {J}) with the same batch dims (weight {tuple(w.shape)}), got "
                         f"{tuple(x1.shape)} and {tuple(x2.shape)}")
    check_dtypes("bilinear", x1, input2=x2, weight=w)
    y = BilinearOp.apply(x1, x2, w)
    if bias is not None:
        bias = _t(bias)
        if tuple(bias.shape) != (O,):
            raise ValueError(f"bilinear: bias must have shape ({O},), got {tuple(bias.shape)}")
        y = y + bias
    return y


@op(method=False, top=False, functional=True)
def gumbel_softmax(logits, tau: float = 1.0, hard: bool = False, eps: float = 1e-10,
                   dim: int = -1, *, generator=None) -> Tensor:
    """A sample from the Gumbel-softmax (concrete) distribution: softmax((logits + g)/τ)
    with g = -log(E), E ~ Exponential(1). ``hard=True`` returns one-hot vectors whose
    gradient is the soft sample's (straight-through). ``eps`` is unused, as in PyTorch."""
    from .activation import softmax

    x = _float(logits, "gumbel_softmax")
    if not tau > 0:
        raise ValueError(f"gumbel_softmax: tau must be positive, got {tau}")
    d = _dim(dim, x.ndim, "gumbel_softmax")
    e = resolve(generator).exponential(size=x.shape)
    g = Tensor((-np.log(e)).astype(x.data.dtype, copy=False))
    y = softmax((x + g) / tau, d)
    if not hard:
        return y
    idx = np.argmax(y.data, axis=d) if x.ndim else 0
    one = np.zeros_like(y.data)
    if x.ndim:
        np.put_along_axis(one, np.expand_dims(idx, d), 1, axis=d)
    else:
        one[...] = 1
    return Tensor(one) - y.detach() + y


@op(method=False, top=False, functional=True)
def alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False,  # noqa: A002
                  *, generator=None) -> Tensor:
    """Dropout that keeps SELU's zero mean and unit variance: each element is dropped with
    probability ``p`` to SELU's negative limit -α·λ, then all are scaled and shifted,
    y = a·(x·keep + α'(keep - 1)) + a·α'·p with α' = α·λ and
    a = ((1 - p)(1 + p·α'²))^-½. The identity unless ``training`` (default False)."""
    p = float(p)
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"alpha_dropout: probability p must be between 0 and 1, got {p}")
    x = _float(input, "alpha_dropout")
    if not training or p == 0.0:
        return x
    if p == 1.0:
        return x * 0.0
    dt = x.data.dtype
    keep = resolve(generator).random(x.shape) >= p
    al = _SELU_ALPHA_SCALE
    a = 1.0 / math.sqrt((al * al * p + 1.0) * (1.0 - p))
    mult = Tensor((keep * a).astype(dt))
    shift = Tensor(((keep - 1.0) * (al * a) + al * a * p).astype(dt))
    return x * mult + shift
