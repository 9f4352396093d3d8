"""More everyday layers with PyTorch's names, arguments, reprs and state_dict keys:
activations (GLU, Softmin, Softshrink, Hardshrink, Threshold, RReLU), RMSNorm and
LocalResponseNorm, pixel (un)shuffle, adaptive max pooling, max unpooling, Unfold/Fold,
Bilinear, LazyLinear, AlphaDropout, ParameterDict and six losses. Each ``forward`` is one
call into ``nn.functional``."""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping

import numpy as np

from ..backend import DEFAULT_FLOAT, xp
from ..tensor import Tensor
from . import functional as F
from . import init
from .distance import PairwiseDistance
from .linear import Linear
from .loss import _Loss, _WeightedLoss
from .module import Module
from .parameter import Parameter

__all__ = [
    "GLU", "Softmin", "Softshrink", "Hardshrink", "Threshold", "RReLU", "RMSNorm",
    "LocalResponseNorm", "PixelShuffle", "PixelUnshuffle", "AdaptiveMaxPool1d",
    "AdaptiveMaxPool2d", "MaxUnpool1d", "MaxUnpool2d", "Unfold", "Fold", "Bilinear",
    "LazyLinear", "AlphaDropout", "ParameterDict", "PoissonNLLLoss", "GaussianNLLLoss",
    "MultiLabelSoftMarginLoss", "MultiMarginLoss", "MultiLabelMarginLoss",
    "TripletMarginWithDistanceLoss",
]


def _named(layer: Module, fn, *args, **kwargs):
    """Call ``fn``; a shape error is re-raised naming the layer (its repr)."""
    try:
        return fn(*args, **kwargs)
    except ValueError as e:
        raise ValueError(f"{layer!r}: {e}") from None


# --- activations --------------------------------------------------------------------------


class GLU(Module):
    """Gated linear unit a·σ(b), a and b the halves of the input along ``dim``:
    ``(*, 2n, *) -> (*, n, *)``."""

    def __init__(self, dim: int = -1) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return _named(self, F.glu, input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softmin(Module):
    """softmax(-x) along ``dim``."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmin(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class Softshrink(Module):
    """x - λ above λ, x + λ below -λ, 0 between."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.softshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Hardshrink(Module):
    """x where |x| > λ, 0 elsewhere."""

    def __init__(self, lambd: float = 0.5) -> None:
        super().__init__()
        self.lambd = lambd

    def forward(self, input):
        return F.hardshrink(input, self.lambd)

    def extra_repr(self) -> str:
        return str(self.lambd)


class Threshold(Module):
    """x where x > threshold, ``value`` elsewhere. ``inplace`` is accepted for PyTorch
    compatibility and ignored (the result is a new tensor)."""

    def __init__(self, threshold: float, value: float, inplace: bool = False) -> None:
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace

    def forward(self, input):
        return F.threshold(input, self.threshold, self.value, self.inplace)

    def extra_repr(self) -> str:
        return (f"threshold={self.threshold}, value={self.value}"
                + (", inplace=True" if self.inplace else ""))


class RReLU(Module):
    """Randomized leaky ReLU: negative inputs times a slope drawn from U(lower, upper) per
    element while training, times (lower + upper)/2 in eval mode. ``generator`` seeds the
    draws; ``inplace`` is accepted and ignored (the result is a new tensor)."""

    def __init__(self, lower: float = 1.0 / 8, upper: float = 1.0 / 3,
                 inplace: bool = False, *, generator=None) -> None:
        super().__init__()
        self.lower, self.upper, self.inplace = lower, upper, inplace
        self.generator = generator

    def forward(self, input):
        return F.rrelu(input, self.lower, self.upper, self.training, self.inplace,
                       generator=self.generator)

    def extra_repr(self) -> str:
        return f"lower={self.lower}, upper={self.upper}" + (", inplace=True" if self.inplace
                                                            else "")


# --- normalisation ------------------------------------------------------------------------


class RMSNorm(Module):
    """x / √(mean(x²) + ε) · weight over the trailing ``normalized_shape`` dims; ``weight``
    (ones at first) when ``elementwise_affine``. ``eps=None``: the input dtype's machine
    epsilon."""

    def __init__(self, normalized_shape, eps: float | None = None,
                 elementwise_affine: bool = True, device=None, dtype=None) -> None:
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        dt = np.dtype(DEFAULT_FLOAT if dtype is None else dtype)
        if elementwise_affine:
            self.weight = Parameter(xp.ones(self.normalized_shape, dt))
        else:
            self.register_parameter("weight", None)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, input):
        return _named(self, F.rms_norm, input, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class LocalResponseNorm(Module):
    """x / (k + α/n · Σ x²)^β with the sum over ``size`` neighbouring channels:
    ``(N, C, *) -> (N, C, *)``."""

    def __init__(self, size: int, alpha: float = 1e-4, beta: float = 0.75,
                 k: float = 1.0) -> None:
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return _named(self, F.local_response_norm, input, self.size, self.alpha, self.beta,
                      self.k)

    def extra_repr(self) -> str:
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


# --- spatial ------------------------------------------------------------------------------


class PixelShuffle(Module):
    """``(*, C·r², H, W) -> (*, C, H·r, W·r)``."""

    def __init__(self, upscale_factor: int) -> None:
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, input):
        return _named(self, F.pixel_shuffle, input, self.upscale_factor)

    def extra_repr(self) -> str:
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """``(*, C, H·r, W·r) -> (*, C·r², H, W)``."""

    def __init__(self, downscale_factor: int) -> None:
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, input):
        return _named(self, F.pixel_unshuffle, input, self.downscale_factor)

    def extra_repr(self) -> str:
        return f"downscale_factor={self.downscale_factor}"


class AdaptiveMaxPool1d(Module):
    """``(N, C, L) -> (N, C, output_size)``; ``return_indices`` also gives the argmaxes."""

    def __init__(self, output_size, return_indices: bool = False) -> None:
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):
        return _named(self, F.adaptive_max_pool1d, input, self.output_size,
                      self.return_indices)

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class AdaptiveMaxPool2d(AdaptiveMaxPool1d):
    """``(N, C, H, W) -> (N, C, *output_size)``; ``None`` keeps that input size."""

    def forward(self, input):
        return _named(self, F.adaptive_max_pool2d, input, self.output_size,
                      self.return_indices)


def _ntuple(v, n: int) -> tuple:
    return (int(v),) * n if isinstance(v, (int, np.integer)) else tuple(int(a) for a in v)


class MaxUnpool1d(Module):
    """The partial inverse of ``MaxPool1d``: call with the pooled values and their
    indices, ``(N, C, L) -> (N, C, L')``."""

    _nd = 1

    def __init__(self, kernel_size, stride=None, padding=0) -> None:
        super().__init__()
        n = self._nd
        self.kernel_size = _ntuple(kernel_size, n)
        self.stride = _ntuple(stride if stride is not None else kernel_size, n)
        self.padding = _ntuple(padding, n)

    def forward(self, input, indices, output_size=None):
        fn = F.max_unpool1d if self._nd == 1 else F.max_unpool2d
        return _named(self, fn, input, indices, self.kernel_size, self.stride, self.padding,
                      output_size)

    def extra_repr(self) -> str:
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool2d(MaxUnpool1d):
    """The partial inverse of ``MaxPool2d``: ``(N, C, H, W) -> (N, C, H', W')``."""

    _nd = 2


class Unfold(Module):
    """im2col: ``(N, C, H, W) -> (N, C·∏kernel_size, L)``."""

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input):
        return _named(self, F.unfold, input, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self) -> str:
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """col2im: ``(N, C·∏kernel_size, L) -> (N, C, *output_size)``, overlaps summed."""

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1) -> None:
        super().__init__()
        self.output_size, self.kernel_size, self.dilation = output_size, kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input):
        return _named(self, F.fold, input, self.output_size, self.kernel_size, self.dilation,
                      self.padding, self.stride)

    def extra_repr(self) -> str:
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")


# --- linear layers ------------------------------------------------------------------------


class Bilinear(Module):
    """y = x1ᵀ W x2 + b: ``(*, in1_features), (*, in2_features) -> (*, out_features)``.
    ``weight (out, in1, in2)`` and ``bias (out,)`` drawn from U(-1/√in1, 1/√in1), as in
    PyTorch. ``generator`` seeds the draw."""

    def __init__(self, in1_features: int, in2_features: int, out_features: int,
                 bias: bool = True, device=None, dtype=None, *, generator=None) -> None:
        super().__init__()
        self.in1_features, self.in2_features = int(in1_features), int(in2_features)
        self.out_features = int(out_features)
        dt = np.dtype(DEFAULT_FLOAT if dtype is None else dtype)
        self.weight = Parameter(xp.empty((self.out_features, self.in1_features,
                                          self.in2_features), dt))
        if bias:
            self.bias = Parameter(xp.empty(self.out_features, dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        bound = 1 / math.sqrt(self.in1_features) if self.in1_features else 0.0
        init.uniform_(self.weight, -bound, bound, generator)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound, generator)

    def forward(self, input1, input2):
        return _named(self, F.bilinear, input1, input2, self.weight, self.bias)

    def extra_repr(self) -> str:
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class LazyLinear(Linear):
    """A ``Linear`` whose ``in_features`` comes from the first input (its last dim): until
    then ``weight`` is an empty ``(out_features, 0)`` placeholder. The first call (or a
    ``load_state_dict`` with a weight) fills the same Parameter objects in place, so an
    optimizer made before still updates them, and the layer becomes a plain ``Linear``."""

    def __init__(self, out_features: int, bias: bool = True, device=None, dtype=None, *,
                 generator=None) -> None:
        super().__init__(0, out_features, bias, device, dtype)
        self.__dict__["_lazy_generator"] = generator
        if self.bias is not None:
            self.bias.data = xp.empty(0, self.weight.data.dtype)

    def has_uninitialized_params(self) -> bool:
        return type(self) is LazyLinear

    def initialize_parameters(self, in_features: int) -> None:
        """Give the parameters their shapes for ``in_features`` and draw them (PyTorch's
        ``Linear`` initialisation), then become a ``Linear``."""
        in_features = int(in_features)
        dt = self.weight.data.dtype
        self.in_features = in_features
        self.weight.data = xp.empty((self.out_features, in_features), dt)
        if self.bias is not None:
            self.bias.data = xp.empty(self.out_features, dt)
        self.reset_parameters(self.__dict__.pop("_lazy_generator", None))
        object.__setattr__(self, "__class__", Linear)  # Module.__setattr__ would store it

    def forward(self, input):
        shape = input.shape if hasattr(input, "shape") else np.shape(input)
        if len(shape) == 0:
            raise ValueError(f"{self!r}: expected an input of shape (*, in_features), got a "
                             f"0-D input")
        self.initialize_parameters(shape[-1])
        return self.forward(input)

    def load_state_dict(self, state_dict, strict: bool = True):
        w = state_dict.get("weight") if isinstance(state_dict, Mapping) else None
        if w is not None and len(np.shape(w)) == 2:
            self.initialize_parameters(np.shape(w)[1])
            return self.load_state_dict(state_dict, strict)
        return super().load_state_dict(state_dict, strict)


# --- dropout ------------------------------------------------------------------------------


class AlphaDropout(Module):
    """Dropout for SELU networks: keeps zero mean and unit variance (see
    ``F.alpha_dropout``); the identity in eval mode."""

    def __init__(self, p: float = 0.5, inplace: bool = False, *, generator=None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"AlphaDropout: probability p must be between 0 and 1, got {p}")
        self.p, self.inplace, self.generator = p, inplace, generator

    def forward(self, input):
        return F.alpha_dropout(input, self.p, self.training, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


# --- containers ---------------------------------------------------------------------------


class ParameterDict(Module):
    """An ordered dict of Parameters, registered under their keys (so ``state_dict`` keys
    are the dict's keys). Values that are not Parameters are wrapped in one."""

    def __init__(self, parameters=None) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def _key(self, key) -> str:
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict keys must be strings, got {type(key).__name__}")
        if not key or "." in key:
            raise KeyError(f"ParameterDict key must be non-empty and contain no '.', got "
                           f"{key!r}")
        return key

    def __getitem__(self, key: str) -> Parameter:
        try:
            return self._parameters[key]
        except KeyError:
            raise KeyError(f"ParameterDict has no key {key!r} (keys: "
                           f"{list(self._parameters)})") from None

    def __setitem__(self, key: str, value) -> None:
        if not isinstance(value, Parameter):
            value = Parameter(value.data if isinstance(value, Tensor) else xp.asarray(value))
        self._parameters[self._key(key)] = value

    def __delitem__(self, key: str) -> None:
        del self._parameters[key]

    def __contains__(self, key) -> bool:
        return key in self._parameters

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[str]:
        return iter(self._parameters)

    def keys(self):
        return self._parameters.keys()

    def values(self):
        return self._parameters.values()

    def items(self):
        return self._parameters.items()

    def get(self, key: str, default=None):
        return self._parameters.get(key, default)

    def pop(self, key: str) -> Parameter:
        return self._parameters.pop(key)

    def clear(self) -> None:
        self._parameters.clear()

    def update(self, parameters) -> None:
        """Add or replace entries from a mapping or an iterable of (key, value) pairs."""
        items: Iterable = parameters.items() if isinstance(parameters, (Mapping, ParameterDict)) \
            else parameters
        for pair in items:
            try:
                k, v = pair
            except (TypeError, ValueError):
                raise TypeError("ParameterDict.update: expected a mapping or (key, value) "
                                f"pairs, got an element {pair!r}") from None
            self[k] = v

    def extra_repr(self) -> str:
        return ", ".join(f"({k}): Parameter of shape {tuple(p.shape)}"
                         for k, p in self._parameters.items())


# --- losses -------------------------------------------------------------------------------


class PoissonNLLLoss(_Loss):
    """Poisson negative log likelihood (see ``F.poisson_nll_loss``)."""

    def __init__(self, log_input: bool = True, full: bool = False, size_average=None,
                 eps: float = 1e-8, reduce=None, reduction: str = "mean") -> None:
        super().__init__(size_average, reduce, reduction)
        self.log_input, self.full, self.eps = log_input, full, eps

    def forward(self, log_input, target):
        return F.poisson_nll_loss(log_input, target, log_input=self.log_input, full=self.full,
                                  eps=self.eps, reduction=self.reduction)


class GaussianNLLLoss(_Loss):
    """Gaussian negative log likelihood; call as ``loss(input, target, var)``."""

    def __init__(self, *, full: bool = False, eps: float = 1e-6,
                 reduction: str = "mean") -> None:
        super().__init__(None, None, reduction)
        self.full, self.eps = full, eps

    def forward(self, input, target, var):
        return F.gaussian_nll_loss(input, target, var, full=self.full, eps=self.eps,
                                   reduction=self.reduction)


class MultiLabelSoftMarginLoss(_WeightedLoss):
    """One-vs-all logistic loss for multi-label 0/1 targets ``(N, C)``."""

    def forward(self, input, target):
        return F.multilabel_soft_margin_loss(input, target, weight=self.weight,
                                             reduction=self.reduction)


class MultiMarginLoss(_WeightedLoss):
    """Multi-class hinge loss on scores ``(N, C)`` with class-index targets ``(N,)``."""

    def __init__(self, p: int = 1, margin: float = 1.0, weight=None, size_average=None,
                 reduce=None, reduction: str = "mean") -> None:
        if p not in (1, 2):
            raise ValueError(f"MultiMarginLoss: only p = 1 and p = 2 are supported, got {p}")
        super().__init__(weight, size_average, reduce, reduction)
        self.p, self.margin = p, margin

    def forward(self, input, target):
        return F.multi_margin_loss(input, target, p=self.p, margin=self.margin,
                                   weight=self.weight, reduction=self.reduction)


class MultiLabelMarginLoss(_Loss):
    """Multi-label hinge loss; targets list class indices, ended by -1."""

    def forward(self, input, target):
        return F.multilabel_margin_loss(input, target, reduction=self.reduction)


class TripletMarginWithDistanceLoss(_Loss):
    """max(0, d(a, p) - d(a, n) + margin) with ``distance_function`` (default: a
    ``PairwiseDistance()`` sub-module, as in PyTorch)."""

    def __init__(self, *, distance_function=None, margin: float = 1.0, swap: bool = False,
                 reduction: str = "mean") -> None:
        super().__init__(None, None, reduction)
        if not margin > 0:
            raise ValueError(f"TripletMarginWithDistanceLoss: margin must be positive, got "
                             f"{margin}")
        self.distance_function = (distance_function if distance_function is not None
                                  else PairwiseDistance())
        self.margin, self.swap = margin, swap

    def forward(self, anchor, positive, negative):
        return F.triplet_margin_with_distance_loss(
            anchor, positive, negative, distance_function=self.distance_function,
            margin=self.margin, swap=self.swap, reduction=self.reduction)
