"""Normalisation layers (``BatchNorm1d``, ``BatchNorm2d``, ``LayerNorm``) and channel
dropout (``Dropout1d``, ``Dropout2d``), with PyTorch's arguments, parameters and buffers
(``weight``, ``bias``, ``running_mean``, ``running_var``, ``num_batches_tracked``)."""

from __future__ import annotations

from ..backend import DEFAULT_FLOAT, xp
from ..ops.norm import batch_norm, dropout1d, dropout2d, layer_norm
from .module import Module
from .parameter import Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "LayerNorm", "Dropout1d", "Dropout2d"]


class _BatchNorm(Module):
    _dims: tuple = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None):
        super().__init__()
        dt = DEFAULT_FLOAT if dtype is None else dtype
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = Parameter(xp.ones(num_features, dtype=dt))
            self.bias = Parameter(xp.zeros(num_features, dtype=dt))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", xp.zeros(num_features, dtype=dt))
            self.register_buffer("running_var", xp.ones(num_features, dtype=dt))
            self.register_buffer("num_batches_tracked", xp.zeros((), dtype=xp.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)

    def reset_running_stats(self) -> None:
        if self.track_running_stats:
            self.running_mean.data[...] = 0
            self.running_var.data[...] = 1
            self.num_batches_tracked.data[...] = 0

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        if self.affine:
            self.weight.data[...] = 1
            self.bias.data[...] = 0

    def forward(self, input):  # noqa: A002
        name = type(self).__name__
        if input.ndim not in self._dims:
            raise ValueError(f"{name}({self.num_features}): expected a "
                             f"{' or '.join(f'{d}-D' for d in self._dims)} input, "
                             f"got shape {tuple(input.shape)}")
        c = input.shape[1]
        if c != self.num_features:
            raise ValueError(f"{name}({self.num_features}): expected input with "
                             f"{self.num_features} channels, got {c} channels "
                             f"(input shape {tuple(input.shape)})")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.data[...] += 1
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.data)
        use_batch = self.training or not self.track_running_stats
        return batch_norm(input, self.running_mean if self.training or not use_batch else None,
                          self.running_var if self.training or not use_batch else None,
                          self.weight, self.bias, use_batch, momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` per channel ``C``."""

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` per channel ``C``; in training the batch's
    statistics are used and the running ones move by ``momentum`` (unbiased variance);
    in evaluation the running statistics are used."""

    _dims = (4,)


class LayerNorm(Module):
    """Normalise each sample over its last dims ``normalized_shape``: ``(*, *S) -> (*, *S)``,
    then scale by ``weight`` and shift by ``bias`` (both of shape ``S``)."""

    def __init__(self, normalized_shape, eps: float = 1e-5, elementwise_affine: bool = True,
                 bias: bool = True, device=None, dtype=None):
        super().__init__()
        dt = DEFAULT_FLOAT if dtype is None else dtype
        shape = (normalized_shape,) if isinstance(normalized_shape, int) else \
            tuple(normalized_shape)
        self.normalized_shape, self.eps = shape, eps
        self.elementwise_affine = elementwise_affine
        if elementwise_affine:
            self.weight = Parameter(xp.ones(shape, dtype=dt))
            if bias:
                self.bias = Parameter(xp.zeros(shape, dtype=dt))
            else:
                self.register_parameter("bias", None)
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)

    def forward(self, input):  # noqa: A002
        return layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class Dropout2d(Module):
    """Zero whole channels of ``(N, C, H, W)`` with probability ``p`` in training (the rest
    scaled by ``1/(1-p)``); the identity in evaluation."""

    _fn = staticmethod(dropout2d)

    def __init__(self, p: float = 0.5, inplace: bool = False, generator=None):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: p must be between 0 and 1, got {p}")
        self.p, self.inplace, self.generator = p, inplace, generator

    def forward(self, input):  # noqa: A002
        return self._fn(input, self.p, self.training, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Dropout1d(Dropout2d):
    """Zero whole channels of ``(N, C, L)`` with probability ``p`` in training."""

    _fn = staticmethod(dropout1d)
