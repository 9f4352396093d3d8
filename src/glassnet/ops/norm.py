"""Normalisation: batch and layer norm.

Batch and layer normalisation are one computation over different axes: with
``x̂ = (x - mean) / sqrt(var + eps)`` (biased variance over ``axes``) and
``y = x̂ * weight + bias``, the derivative is

    gx = (gx̂ - mean(gx̂) - x̂ * mean(gx̂ * x̂)) / sqrt(var + eps),   gx̂ = gy * weight,

with the means over the same axes; ``gW = Σ gy * x̂`` and ``gb = Σ gy`` over the others.
Batch norm normalises over every axis but the channels (1); layer norm over the last
``len(normalized_shape)`` axes. In evaluation mode batch norm uses its running statistics
and is a fixed affine map per channel.
"""

from __future__ import annotations

from ..autograd import Function, Local
from ..backend import xp
from ..tensor import Tensor
from ._registry import op
from ._util import check_dtypes

__all__ = ["batch_norm", "layer_norm"]

_NORM_FORMULA = (Local(1.0, "(w/σ)·(δ - 1/N - x̂·x̂'/N)", generic=True),
                 Local(1.0, "x̂", generic=True), 1.0)


class Normalize(Function):
    """y = (x - mean) / sqrt(var + eps) * weight + bias, statistics over ``axes``.

    ``weight`` and ``bias`` (or None) are reshaped to ``pshape`` to broadcast against x;
    ``paxes`` are the axes summed for their gradients.
    """

    name, formula = "layer_norm", _NORM_FORMULA

    def forward(self, x, weight, bias, axes, pshape, paxes, eps):
        mean = x.mean(axis=axes, keepdims=True)
        xc = x - mean
        var = xp.mean(xc * xc, axis=axes, keepdims=True)
        inv = 1.0 / xp.sqrt(var + eps)
        xhat = xc * inv
        self.stats = (mean, var)
        y = xhat
        if weight is not None:
            w = weight.reshape(pshape)
            y = xhat * w
            self.w = w
        else:
            self.w = None
        if bias is not None:
            y = y + bias.reshape(pshape)
        elif weight is None:
            y = xhat.copy()
        self.xhat, self.inv, self.axes, self.paxes = xhat, inv.astype(x.dtype), axes, paxes
        return y.astype(x.dtype, copy=False)

    def backward(self, gy):
        xhat, inv, axes, paxes = self.xhat, self.inv, self.axes, self.paxes
        need_x, need_w, need_b = self.needs_input_grad[:3]
        gx = gW = gb = None
        if need_w:
            gW = (gy * xhat).sum(axis=paxes)
        if need_b:
            gb = gy.sum(axis=paxes)
        if need_x:
            gxhat = gy * self.w if self.w is not None else gy
            gx = inv * (gxhat - gxhat.mean(axis=axes, keepdims=True)
                        - xhat * (gxhat * xhat).mean(axis=axes, keepdims=True))
        return gx, gW, gb


class BatchNormTrain(Normalize):
    """Batch statistics as :class:`Normalize`; also moves the running statistics (in place)
    toward the batch's mean and *unbiased* variance by ``momentum``."""

    name = "batch_norm"

    def forward(self, x, weight, bias, axes, pshape, paxes, eps, running_mean, running_var,
                momentum):
        y = super().forward(x, weight, bias, axes, pshape, paxes, eps)
        if running_mean is not None or running_var is not None:
            mean, var = self.stats
            n = x.size // x.shape[1]
            if running_mean is not None:
                running_mean *= 1 - momentum
                running_mean += momentum * mean.reshape(-1).astype(running_mean.dtype)
            if running_var is not None:
                running_var *= 1 - momentum
                running_var += (momentum * n / max(n - 1, 1)) * var.reshape(-1).astype(
                    running_var.dtype)
        return y


class ChannelAffine(Function):
    """Evaluation-mode batch norm: y = (x - μ) * s + b with s = weight / sqrt(σ² + eps).

    gx = gy * s, gW = Σ gy (x - μ) / sqrt(σ² + eps), gb = Σ gy.
    """

    name = "batch_norm"
    formula = (Local(1.0, "w/√(running_var + eps)", generic=True),
               Local(1.0, "x̂", generic=True), 1.0)

    def forward(self, x, weight, bias, mean, var, pshape, paxes, eps):
        inv = (1.0 / xp.sqrt(var.astype(x.dtype) + eps)).reshape(pshape)
        xhat = (x - mean.astype(x.dtype).reshape(pshape)) * inv
        self.xhat, self.paxes = xhat, paxes
        self.scale = inv if weight is None else inv * weight.reshape(pshape)
        y = xhat if weight is None else xhat * weight.reshape(pshape)
        return y if bias is None else y + bias.reshape(pshape)

    def backward(self, gy):
        need_x, need_w, need_b = self.needs_input_grad[:3]
        gx = gy * self.scale if need_x else None
        gW = (gy * self.xhat).sum(axis=self.paxes) if need_w else None
        gb = gy.sum(axis=self.paxes) if need_b else None
        return gx, gW, gb


def _data(t):
    return None if t is None else (t.data if isinstance(t, Tensor) else xp.asarray(t))


@op(method=False, top=False, functional=True, records=(BatchNormTrain, ChannelAffine))
def batch_norm(input, running_mean, running_var, weight=None, bias=None,  # noqa: A002
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5) -> Tensor:
    """Batch normalisation over every axis but the channels: ``(N, C, *) -> (N, C, *)``.

    With ``training`` the batch's statistics normalise and ``running_mean`` /
    ``running_var`` (arrays or Tensors, updated in place when given) move toward the batch
    mean and unbiased variance by ``momentum``; otherwise the running statistics are used.
    """
    x = input if isinstance(input, Tensor) else Tensor(input)
    if x.ndim < 2:
        raise ValueError(f"batch_norm: expected an input (N, C, *), got shape {tuple(x.shape)}")
    C = x.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and tuple(t.shape) != (C,):
            raise ValueError(f"batch_norm: {name} must have shape ({C},) for an input with "
                             f"{C} channels, got {tuple(t.shape)}")
    check_dtypes("batch_norm", x, weight=weight, bias=bias)
    axes = (0,) + tuple(range(2, x.ndim))
    pshape = (1, C) + (1,) * (x.ndim - 2)
    if training:
        if x.size // C <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when "
                             f"training, got input shape {tuple(x.shape)}")
        return BatchNormTrain.apply(x, weight, bias, axes, pshape, axes, float(eps),
                                    _data(running_mean), _data(running_var), float(momentum))
    if running_mean is None or running_var is None:
        raise ValueError("batch_norm: evaluation mode (training=False) needs running_mean "
                         "and running_var")
    return ChannelAffine.apply(x, weight, bias, _data(running_mean), _data(running_var),
                               pshape, axes, float(eps))


@op(method=False, top=False, functional=True, records=Normalize)
def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5) -> Tensor:  # noqa: A002
    """Normalise over the last ``len(normalized_shape)`` axes: ``(*, *S) -> (*, *S)``;
    ``weight`` and ``bias`` have shape ``S``."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    shape = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(shape)
    if tuple(x.shape[x.ndim - k:]) != shape or x.ndim < k:
        raise ValueError(f"layer_norm: normalized_shape {shape} does not match the last "
                         f"dims of the input, shape {tuple(x.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != shape:
            raise ValueError(f"layer_norm: {name} must have shape {shape}, got {tuple(t.shape)}")
    check_dtypes("layer_norm", x, weight=weight, bias=bias)
    axes = tuple(range(x.ndim - k, x.ndim))
    paxes = tuple(range(x.ndim - k))
    return Normalize.apply(x, weight, bias, axes, shape, paxes, float(eps))
