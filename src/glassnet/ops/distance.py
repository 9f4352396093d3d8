"""Similarities and distances between vectors along a dim: ``cosine_similarity``,
``pairwise_distance``, ``normalize``. Compositions of existing ops, so their gradients
come from those.

A Euclidean norm is taken as ``sqrt(max(Σx², eps²))`` = ``max(‖x‖, eps)``: the same value
as clamping the norm, but a zero vector gets a zero gradient instead of 0·∞ = NaN.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import elementwise as _ew
from . import reduce as _red
from ._registry import op
from ._util import norm_axis

__all__ = ["cosine_similarity", "pairwise_distance", "normalize"]


def _t(x, like=None):
    if isinstance(x, Tensor):
        return x
    t = Tensor(x)
    if like is not None and t.data.dtype.kind == "f" and like.data.dtype.kind == "f":
        t = Tensor._wrap(t.data.astype(like.data.dtype))
    return t


def _clamped_norm(x: Tensor, dim: int, eps: float, keepdim: bool) -> Tensor:
    return _ew.clamp(_red.sum(x * x, dim, keepdim), min=eps * eps).sqrt()


@op(method=False, top=True, functional=True)
def cosine_similarity(x1, x2, dim: int = 1, eps: float = 1e-8) -> Tensor:
    """cos(x1, x2) = Σ x1·x2 / (max(‖x1‖, eps)·max(‖x2‖, eps)) along ``dim`` (the inputs
    broadcast together); the result drops ``dim``."""
    a = _t(x1)
    b = _t(x2, a)
    try:  # broadcast first: the norms are taken over the broadcast inputs
        shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    except ValueError:
        raise ValueError(f"cosine_similarity: shapes {tuple(a.shape)} and "
                         f"{tuple(b.shape)} cannot be broadcast") from None
    if not shape:
        raise ValueError("cosine_similarity: inputs must have at least one dim")
    d = norm_axis(int(dim), len(shape), "cosine_similarity")
    a = a if tuple(a.shape) == shape else a.expand(*shape)
    b = b if tuple(b.shape) == shape else b.expand(*shape)
    an = a / _clamped_norm(a, d, eps, True)
    bn = b / _clamped_norm(b, d, eps, True)
    return _red.sum(an * bn, d)


@op(method=False, top=True, functional=True)
def pairwise_distance(x1, x2, p: float = 2.0, eps: float = 1e-6,
                      keepdim: bool = False) -> Tensor:
    """‖x1 - x2 + eps‖_p along the last dim (rows of ``(N, D)``, or one pair ``(D,)``)."""
    a = _t(x1)
    b = _t(x2, a)
    if a.ndim == 0 and b.ndim == 0:
        raise ValueError("pairwise_distance: inputs must have at least one dim")
    diff = a - b + eps
    return _red.norm(diff, p, -1, keepdim)


@op(method=False, top=False, functional=True)
def normalize(input, p: float = 2.0, dim: int = 1, eps: float = 1e-12,  # noqa: A002
              out=None) -> Tensor:
    """``input / max(‖input‖_p, eps)`` along ``dim``: unit vectors (zero vectors stay 0)."""
    if out is not None:
        raise TypeError("normalize: out= is not supported; use the returned tensor")
    x = _t(input)
    d = norm_axis(int(dim), max(x.ndim, 1), "normalize")
    if p == 2:
        n = _clamped_norm(x, d, eps, True)
    else:
        n = _ew.clamp(_red.norm(x, p, d, True), min=eps)
    return x / n
