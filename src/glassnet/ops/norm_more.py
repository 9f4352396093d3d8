"""Group and instance normalisation: the normalisation of ``ops/norm.py`` over other axes.

* Group norm splits the ``C`` channels of ``(N, C, *)`` into ``G`` groups and normalises
  each sample's group over its ``C/G`` channels and all positions: the input is viewed as
  ``(N, G, C/G, *)`` and normalised over axes ``2..``; the per-channel ``weight`` and
  ``bias`` are viewed as ``(G, C/G)``.
* Instance norm normalises each sample's channel over its positions (axes ``2..``); with
  running statistics it also tracks the batch average of the per-instance mean and
  unbiased variance, as PyTorch does.

The derivative is the one written out in ``ops/norm.py`` (:class:`Normalize`).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._registry import op
from ._util import check_dtypes
from .norm import ChannelAffine, Normalize, _data

__all__ = ["group_norm", "instance_norm"]


class GroupNormalize(Normalize):
    name = "group_norm"


class InstanceNormalize(Normalize):
    """:class:`Normalize` over the spatial axes; with ``running_mean``/``running_var``
    given, moves them (in place) toward the batch average of the per-instance mean and
    unbiased variance by ``momentum``."""

    name = "instance_norm"

    def forward(self, x, weight, bias, axes, pshape, paxes, eps, running_mean=None,
                running_var=None, momentum=0.1):
        y = super().forward(x, weight, bias, axes, pshape, paxes, eps)
        mean, var = self.stats
        n = int(np.prod(x.shape[2:]))
        if running_mean is not None:
            running_mean *= 1 - momentum
            running_mean += momentum * mean.reshape(x.shape[:2]).mean(axis=0).astype(
                running_mean.dtype)
        if running_var is not None:
            running_var *= 1 - momentum
            unbiased = var.reshape(x.shape[:2]) * (n / max(n - 1, 1))
            running_var += momentum * unbiased.mean(axis=0).astype(running_var.dtype)
        return y


def _tensor(x):
    return x if isinstance(x, Tensor) or x is None else Tensor(x)


@op(method=False, top=True, functional=True, records=GroupNormalize)
def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5) -> Tensor:  # noqa: A002
    """Group normalisation: ``(N, C, *) -> (N, C, *)``, statistics per sample over each of
    ``num_groups`` groups of ``C/num_groups`` channels; ``weight``/``bias`` ``(C,)``."""
    x = _tensor(input)
    weight, bias = _tensor(weight), _tensor(bias)
    if x.ndim < 2:
        raise ValueError(f"group_norm: expected an input (N, C, *), got shape {tuple(x.shape)}")
    N, C = x.shape[:2]
    G = int(num_groups)
    if G < 1 or C % G:
        raise ValueError(f"group_norm: num_groups={num_groups} must divide the number of "
                         f"channels C={C} (input shape {tuple(x.shape)})")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (C,):
            raise ValueError(f"group_norm: {name} must have shape ({C},), got {tuple(t.shape)}")
    check_dtypes("group_norm", x, weight=weight, bias=bias)
    rest = tuple(x.shape[2:])
    xg = x.reshape(N, G, C // G, *rest)
    axes = tuple(range(2, xg.ndim))
    pshape = (G, C // G) + (1,) * len(rest)
    paxes = (0,) + tuple(range(3, xg.ndim))
    w = None if weight is None else weight.reshape(G, C // G)
    b = None if bias is None else bias.reshape(G, C // G)
    y = GroupNormalize.apply(xg, w, b, axes, pshape, paxes, float(eps))
    return y.reshape(*x.shape)


@op(method=False, top=True, functional=True, records=(InstanceNormalize, ChannelAffine))
def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,  # noqa: A002
                  use_input_stats: bool = True, momentum: float = 0.1,
                  eps: float = 1e-5) -> Tensor:
    """Instance normalisation: ``(N, C, *) -> (N, C, *)``, statistics per sample and
    channel over the positions. With ``use_input_stats=False`` the running statistics
    normalise instead (evaluation of a layer that tracks them)."""
    x = _tensor(input)
    weight, bias = _tensor(weight), _tensor(bias)
    if x.ndim < 3:
        raise ValueError(f"instance_norm: expected an input (N, C, *) with at least one "
                         f"spatial dim, got shape {tuple(x.shape)}")
    C = x.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and tuple(t.shape) != (C,):
            raise ValueError(f"instance_norm: {name} must have shape ({C},) for an input with "
                             f"{C} channels, got {tuple(t.shape)}")
    check_dtypes("instance_norm", x, weight=weight, bias=bias)
    spatial = tuple(range(2, x.ndim))
    pshape = (C,) + (1,) * len(spatial)
    if use_input_stats:
        if int(np.prod(x.shape[2:])) <= 1:
            raise ValueError(f"instance_norm: expected more than 1 spatial element when "
                             f"training, got input shape {tuple(x.shape)}")
        return InstanceNormalize.apply(x, weight, bias, spatial, pshape, (0,) + spatial,
                                       float(eps), _data(running_mean), _data(running_var),
                                       float(momentum))
    if running_mean is None or running_var is None:
        raise ValueError("instance_norm: use_input_stats=False needs running_mean and "
                         "running_var")
    return ChannelAffine.apply(x, weight, bias, _data(running_mean), _data(running_var),
                               (1, C) + (1,) * len(spatial), (0,) + spatial, float(eps))

