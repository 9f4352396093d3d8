"""Normalisation layers (``BatchNorm1d/2d/3d``, ``LayerNorm``, ``GroupNorm``,
``InstanceNorm1d/2d/3d``) with PyTorch's arguments, parameters and buffers (``weight``,
``bias``, ``running_mean``, ``running_var``, ``num_batches_tracked``)."""

from __future__ import annotations

from ..backend import DEFAULT_FLOAT, xp
from . import functional as F
from .module import Module
from .parameter import Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm",
           "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d"]


def _affine_parameters(module: Module, n: int, affine: bool, bias: bool, dtype) -> None:
    """Register the per-channel ``weight`` (ones) and ``bias`` (zeros), or None for each."""
    module.has_bias = affine and bias
    module.register_parameter("weight", Parameter(xp.ones(n, dtype=dtype)) if affine else None)
    module.register_parameter("bias", Parameter(xp.zeros(n, dtype=dtype)) if module.has_bias
                              else None)


def _reset_affine(module: Module) -> None:
    if module.weight is not None:
        module.weight.data[...] = 1
    if module.bias is not None:
        module.bias.data[...] = 0


class _BatchNorm(Module):
    _dims: tuple = ()

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True, device=None,
                 dtype=None, *, bias: bool = True):
        super().__init__()
        dt = DEFAULT_FLOAT if dtype is None else dtype
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _affine_parameters(self, num_features, affine, bias, dt)
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
        _reset_affine(self)

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
        return F.batch_norm(input, self.running_mean if self.training or not use_batch else None,
                          self.running_var if self.training or not use_batch else None,
                          self.weight, self.bias, use_batch, momentum, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.has_bias}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation of ``(N, C)`` or ``(N, C, L)`` per channel ``C``."""

    _dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalisation of ``(N, C, H, W)`` per channel ``C``; in training the batch's
    statistics are used and the running ones move by ``momentum`` (unbiased variance);
    in evaluation the running statistics are used."""

    _dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalisation of ``(N, C, D, H, W)`` per channel ``C`` (as :class:`BatchNorm2d`,
    the statistics over the batch and the volume)."""

    _dims = (5,)


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
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class GroupNorm(Module):
    """Normalise each sample over groups of ``num_channels / num_groups`` channels (and all
    positions): ``(N, C, *) -> (N, C, *)``; per-channel ``weight`` and ``bias`` when
    ``affine``. Independent of the batch size, so the same in training and evaluation."""

    def __init__(self, num_groups: int, num_channels: int, eps: float = 1e-5,
                 affine: bool = True, device=None, dtype=None, *, bias: bool = True) -> None:
        super().__init__()
        if num_groups < 1 or num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels={num_channels} must be divisible by "
                             f"num_groups={num_groups}")
        dt = DEFAULT_FLOAT if dtype is None else dtype
        self.num_groups, self.num_channels, self.eps, self.affine = \
            num_groups, num_channels, eps, affine
        _affine_parameters(self, num_channels, affine, bias, dt)

    def reset_parameters(self) -> None:
        _reset_affine(self)

    def forward(self, input):  # noqa: A002
        if input.ndim < 2 or input.shape[1] != self.num_channels:
            raise ValueError(f"{self!r}: expected an input (N, {self.num_channels}, *), got "
                             f"shape {tuple(input.shape)}")
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self) -> str:
        s = f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}"
        return s + f", bias={self.has_bias}"


class _InstanceNorm(_BatchNorm):
    _unbatched = 0

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = False, track_running_stats: bool = False, device=None,
                 dtype=None, *, bias: bool = True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias=bias)

    def forward(self, input):  # noqa: A002
        name = type(self).__name__
        if input.ndim not in (self._unbatched, self._unbatched + 1):
            raise ValueError(f"{name}({self.num_features}): expected a {self._unbatched + 1}-D "
                             f"input (or {self._unbatched}-D unbatched), got shape "
                             f"{tuple(input.shape)}")
        c = input.shape[0] if input.ndim == self._unbatched else input.shape[1]
        if (self.affine or self.track_running_stats) and c != self.num_features:
            raise ValueError(f"{name}({self.num_features}): expected input with "
                             f"{self.num_features} channels, got {c} channels (input shape "
                             f"{tuple(input.shape)})")
        unbatched = input.ndim == self._unbatched
        x = input.unsqueeze(0) if unbatched else input
        y = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training or not self.track_running_stats,
                            0.0 if self.momentum is None else self.momentum, self.eps)
        return y.squeeze(0) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    """Normalise each sample's channel over its length: ``(N, C, L)`` (or ``(C, L)``)."""

    _unbatched = 2


class InstanceNorm2d(_InstanceNorm):
    """Normalise each sample's channel over its positions: ``(N, C, H, W)`` (or
    ``(C, H, W)``). ``affine`` and ``track_running_stats`` are off by default."""

    _unbatched = 3


class InstanceNorm3d(_InstanceNorm):
    """Normalise each sample's channel over its volume: ``(N, C, D, H, W)`` (or
    ``(C, D, H, W)``). ``affine`` and ``track_running_stats`` are off by default."""

    _unbatched = 4
