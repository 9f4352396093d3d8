"""SyncBatchNorm: batch normalisation with the statistics of the global batch.

Plain BatchNorm under DistributedDataParallel normalises each rank's batch with that
rank's own mean and variance (PyTorch's default too). SyncBatchNorm sums, per channel,
every rank's values (one all-reduce for the mean, one for the variance) so each rank
normalises with the statistics of all ranks' samples together, exactly as one process
would over the whole batch; backward all-reduces the two per-channel sums its gradient
needs. With M samples per channel over all ranks:

    x̂ = (x - mean) / sqrt(var + eps),  mean = Σ x / M,  var = Σ (x - mean)² / M
    gx = (gx̂ - Σ gx̂ / M - x̂ · Σ (gx̂ · x̂) / M) / sqrt(var + eps),   gx̂ = gy · weight

with every Σ over all ranks; ``gW = Σ gy · x̂`` and ``gb = Σ gy`` over this rank's samples
(DistributedDataParallel averages them). Each rank's loss is the mean over its own batch,
so its ``gy`` is N times one process's and the all-reduced sums carry every rank's share:
after the wrapper's averaging the parameter gradients equal one process's over the
global batch.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..nn.module import Module
from ..nn.norm import _BatchNorm
from . import process_group as pg

__all__ = ["SyncBatchNorm"]


def _sum_over_ranks(v: np.ndarray) -> np.ndarray:
    if pg.is_initialized() and pg.get_world_size() > 1:
        pg._all_reduce(v, "sum", False, check=True)
    return v


class SyncBatchNormFunction(Function):
    """Training-mode batch norm with statistics summed over every rank."""

    name = "sync_batch_norm"
    formula = ("(w/σ)·(δ - 1/M - x̂·x̂'/M), statistics over all ranks' samples", "x̂", 1.0)

    def forward(self, x, weight, bias, eps, running_mean, running_var, momentum):
        C = x.shape[1]
        axes = (0,) + tuple(range(2, x.ndim))
        pshape = (1, C) + (1,) * (x.ndim - 2)
        s = _sum_over_ranks(np.concatenate([x.sum(axis=axes, dtype=np.float64),
                                            [x.size // C]]))
        M = s[C]
        if M <= 1:
            raise ValueError(f"SyncBatchNorm: expected more than 1 value per channel over all "
                             f"ranks when training, got {int(M)}")
        mean = s[:C] / M
        xc = x - mean.reshape(pshape).astype(x.dtype)
        var = _sum_over_ranks((xc * xc).sum(axis=axes, dtype=np.float64)) / M
        inv = (1.0 / np.sqrt(var + eps)).reshape(pshape).astype(x.dtype)
        xhat = xc * inv
        w = None if weight is None else weight.reshape(pshape)
        y = xhat if w is None else xhat * w
        if bias is not None:
            y = y + bias.reshape(pshape)
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += (momentum * mean).astype(running_mean.dtype)
        if running_var is not None:
            running_var *= 1 - momentum
            running_var += (momentum * var * M / (M - 1)).astype(running_var.dtype)
        self.xhat, self.inv, self.w, self.axes, self.M = xhat, inv, w, axes, M
        return y.astype(x.dtype, copy=False)

    def backward(self, gy):
        xhat, inv, axes, M = self.xhat, self.inv, self.axes, self.M
        need_x, need_w, need_b = self.needs_input_grad[:3]
        gW = (gy * xhat).sum(axis=axes) if need_w else None
        gb = gy.sum(axis=axes) if need_b else None
        gx = None
        if need_x:
            gxhat = gy if self.w is None else gy * self.w
            C = xhat.shape[1]
            s = _sum_over_ranks(np.concatenate([gxhat.sum(axis=axes, dtype=np.float64),
                                                (gxhat * xhat).sum(axis=axes,
                                                                   dtype=np.float64)]))
            pshape = (1, C) + (1,) * (xhat.ndim - 2)
            g1 = (s[:C] / M).reshape(pshape).astype(gy.dtype)
            g2 = (s[C:] / M).reshape(pshape).astype(gy.dtype)
            gx = inv * (gxhat - g1 - xhat * g2)
        return gx, gW, gb


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation of ``(N, C, *)`` per channel with the statistics of all ranks'
    batches together (PyTorch's ``nn.SyncBatchNorm``): over N ranks with batches of
    ``B / N`` it computes what ``BatchNorm`` computes in one process over ``B``. In
    evaluation mode, or without ``track_running_stats`` outside training, it is plain
    batch norm with the running statistics (identical on every rank). Outside an
    initialised ``gn.distributed`` world it is plain batch norm.
    ``SyncBatchNorm.convert_sync_batchnorm(model)`` replaces every BatchNorm in a model.
    """

    _dims = (2, 3, 4, 5)

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 process_group=None, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats,
                         device=device, dtype=dtype)

    def forward(self, input):  # noqa: A002
        if not self.training:
            return super().forward(input)
        name = type(self).__name__
        if input.ndim < 2:
            raise ValueError(f"{name}({self.num_features}): expected an input (N, C, *), got "
                             f"shape {tuple(input.shape)}")
        if input.shape[1] != self.num_features:
            raise ValueError(f"{name}({self.num_features}): expected input with "
                             f"{self.num_features} channels, got {input.shape[1]} channels "
                             f"(input shape {tuple(input.shape)})")
        momentum = 0.0 if self.momentum is None else self.momentum
        rm = rv = None
        if self.track_running_stats:
            self.num_batches_tracked.data[...] += 1
            if self.momentum is None:  # cumulative moving average
                momentum = 1.0 / float(self.num_batches_tracked.data)
            rm, rv = self.running_mean.data, self.running_var.data
        return SyncBatchNormFunction.apply(input, self.weight, self.bias, float(self.eps), rm,
                                           rv, float(momentum))

    @classmethod
    def convert_sync_batchnorm(cls, module: Module, process_group=None) -> Module:
        """``module`` with every BatchNorm1d/2d replaced by a SyncBatchNorm holding the
        same parameters and running statistics (returns the new root)."""
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            new = cls(module.num_features, module.eps, module.momentum, module.affine,
                      module.track_running_stats)
            if module.affine:
                new.weight = module.weight
                if module.bias is not None:
                    new.bias = module.bias
                else:
                    new.register_parameter("bias", None)
            if module.track_running_stats:
                for k in ("running_mean", "running_var", "num_batches_tracked"):
                    getattr(new, k).data = getattr(module, k).data
            new.train(module.training)
            return new
        for name, child in list(module._modules.items()):
            if child is not None:
                setattr(module, name, cls.convert_sync_batchnorm(child, process_group))
        return module

