"""Power-average (LP) pooling with PyTorch's names and arguments: each window gives
(Σ x^p)^(1/p) — p = 1 is sum pooling, p = 2 the Euclidean norm of the window, p → ∞
max pooling.

Built as PyTorch defines it, from differentiable ops (so the gradient comes from them):
``avg_pool(x^p)`` times the window size gives Σ x^p, ``sign(s)·relu(|s|)`` keeps its sign
(a negative sum, from negative inputs and an odd p, stays negative and its root is NaN, as
in PyTorch), and the result is raised to 1/p. With ``ceil_mode`` a window hanging over the
end is averaged over the inputs it covers and still multiplied by the full window size,
PyTorch's result. Where a whole window is zero the gradient is NaN (0 · ∞ in the root's
derivative), as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from . import pool as _pool
from ._registry import op

__all__ = ["lp_pool1d", "lp_pool2d", "lp_pool3d"]


def _lp_pool(x, nd: int, pool, norm_type, kernel_size, stride, ceil_mode, name: str):
    if not isinstance(x, Tensor):
        x = Tensor(x)
    if isinstance(norm_type, bool) or not isinstance(norm_type, (int, float)) or norm_type == 0:
        raise ValueError(f"{name}: norm_type must be a non-zero number, got {norm_type!r}")
    k = (kernel_size,) * nd if isinstance(kernel_size, (int, np.integer)) \
        else tuple(kernel_size)
    if len(k) != nd or not all(isinstance(v, (int, np.integer)) and v > 0 for v in k):
        raise ValueError(f"{name}: kernel_size must be a positive int or {nd} of them, got "
                         f"{kernel_size!r}")
    size = 1
    for v in k:
        size *= v
    s = getattr(_pool, pool)(x.pow(norm_type), kernel_size, stride, 0, ceil_mode)
    s = s.sign() * s.abs().relu()
    return (s * size).pow(1.0 / norm_type)


@op(method=False, top=False, functional=True)
def lp_pool1d(input, norm_type: float, kernel_size, stride=None,  # noqa: A002
              ceil_mode: bool = False) -> Tensor:
    """``(N, C, L) -> (N, C, L')`` (or unbatched ``(C, L)``): (Σ over each window of
    x^p)^(1/p), p = ``norm_type``."""
    return _lp_pool(input, 1, "avg_pool1d", norm_type, kernel_size, stride, ceil_mode,
                    "lp_pool1d")


@op(method=False, top=False, functional=True)
def lp_pool2d(input, norm_type: float, kernel_size, stride=None,  # noqa: A002
              ceil_mode: bool = False) -> Tensor:
    """``(N, C, H, W) -> (N, C, H', W')`` (or unbatched ``(C, H, W)``): (Σ over each window
    of x^p)^(1/p), p = ``norm_type``."""
    return _lp_pool(input, 2, "avg_pool2d", norm_type, kernel_size, stride, ceil_mode,
                    "lp_pool2d")


@op(method=False, top=False, functional=True)
def lp_pool3d(input, norm_type: float, kernel_size, stride=None,  # noqa: A002
              ceil_mode: bool = False) -> Tensor:
    """``(N, C, D, H, W) -> (N, C, D', H', W')`` (or unbatched ``(C, D, H, W)``): (Σ over
    each window of x^p)^(1/p), p = ``norm_type``."""
    return _lp_pool(input, 3, "avg_pool3d", norm_type, kernel_size, stride, ceil_mode,
                    "lp_pool3d")
