"""More losses with PyTorch's names, arguments and results: Poisson and Gaussian negative
log likelihood, the multi-label soft margin, multi-class and multi-label margin losses,
and the triplet margin loss with any distance function.

Each is a short composition of existing differentiable ops (exact; the gradients come
from those ops), with PyTorch's shape rules checked first so a wrong shape is an error
naming the loss, never a silent broadcast. ``reduction`` is ``'mean'``, ``'sum'`` or
``'none'``.
"""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from ._registry import op
from .loss import _pointwise_args, _reduction

__all__ = [
    "poisson_nll_loss", "gaussian_nll_loss", "multilabel_soft_margin_loss",
    "multi_margin_loss", "multilabel_margin_loss", "triplet_margin_with_distance_loss",
]


def _finish(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _float(x, op_name: str, what: str = "input", like: Tensor | None = None) -> Tensor:
    if not isinstance(x, Tensor):
        a = np.asarray(x)
        if like is not None and a.dtype.kind in "fiub":
            a = a.astype(like.data.dtype)
        x = Tensor(a)
    if like is not None and x.data.dtype.kind in "iub":  # integer targets, as PyTorch takes
        x = Tensor(x.data.astype(like.data.dtype))
    if x.data.dtype.kind != "f":
        raise TypeError(f"{op_name}: expected a floating-point {what}, got dtype "
                        f"{x.data.dtype}")
    return x


def _same_shape(a: Tensor, b: Tensor, op_name: str, what: str = "target") -> None:
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(f"{op_name}: {what} shape {tuple(b.shape)} must equal the input "
                         f"shape {tuple(a.shape)}")


@op(method=False, top=True, functional=True)
def poisson_nll_loss(input, target, log_input: bool = True, full: bool = False,  # noqa: A002
                     size_average=None, eps: float = 1e-8, reduce=None,
                     reduction: str = "mean") -> Tensor:
    """Poisson negative log likelihood with rate λ: eˣ - t·x for ``log_input`` (x = log λ),
    else x - t·log(x + eps); ``full`` adds Stirling's t·log t - t + ½log(2πt) where t > 1."""
    reduction = _reduction(reduction, size_average, reduce, "poisson_nll_loss")
    x = _float(input, "poisson_nll_loss")
    x, t = _pointwise_args(x, target, "poisson_nll_loss")  # broadcast (with a warning)
    t = _float(t, "poisson_nll_loss", "target", like=x)
    loss = x.exp() - t * x if log_input else x - t * (x + eps).log()
    if full:
        td = t.data
        big = td > 1
        tc = t.clamp(min=1.0)  # Stirling's term where t > 1 only; no log(0) elsewhere
        stirling = tc * tc.log() - tc + 0.5 * (tc * (2 * math.pi)).log()
        loss = loss + stirling * Tensor(big.astype(td.dtype))
    return _finish(loss, reduction)


@op(method=False, top=False, functional=True)
def gaussian_nll_loss(input, target, var, full: bool = False, eps: float = 1e-6,  # noqa: A002
                      reduction: str = "mean") -> Tensor:
    """Gaussian negative log likelihood: ½(log σ² + (x - t)²/σ²) (+ ½log 2π with ``full``)
    with ``var`` = σ² of the input's shape, one dim short of it, or with one dim of size 1
    (a shared variance); ``var`` is clamped to ``eps`` for stability (the gradient passes
    the clamp unchanged, as in PyTorch)."""
    reduction = _reduction(reduction, None, None, "gaussian_nll_loss")
    x = _float(input, "gaussian_nll_loss")
    t = _float(target, "gaussian_nll_loss", "target", like=x)
    if isinstance(var, (int, float)) and not isinstance(var, bool):
        if var < 0:
            raise ValueError("gaussian_nll_loss: var has negative entries")
        var = Tensor(np.full(x.shape, var, dtype=x.data.dtype))
    v = _float(var, "gaussian_nll_loss", "var", like=x)
    if np.any(v.data < 0):
        raise ValueError("gaussian_nll_loss: var has negative entries")
    xs, vs = tuple(x.shape), tuple(v.shape)
    if vs != xs:
        if xs[:-1] == vs:
            v = v.unsqueeze(-1)
        elif not (len(xs) == len(vs)
                  and sum(b for a, b in zip(xs, vs) if a != b) == 1):
            raise ValueError(f"gaussian_nll_loss: var shape {vs} must equal the input shape "
                             f"{xs}, be one dim shorter ({xs[:-1]}), or have size 1 in the "
                             f"one dim where it differs")
    try:
        np.broadcast_shapes(xs, tuple(t.shape))
    except ValueError:
        raise ValueError(f"gaussian_nll_loss: target shape {tuple(t.shape)} does not match "
                         f"the input shape {xs}") from None
    # clamp the value, not the gradient: v + (max(v, eps) - v) with the difference constant
    v = v + Tensor(np.maximum(v.data, eps) - v.data)
    d = x - t
    loss = 0.5 * (v.log() + d * d / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _finish(loss, reduction)


@op(method=False, top=False, functional=True)
def multilabel_soft_margin_loss(input, target, weight=None, size_average=None,  # noqa: A002
                                reduce=None, reduction: str = "mean") -> Tensor:
    """One-vs-all logistic loss for multi-label targets in {0, 1}: per sample,
    -mean over the C classes of w·(t·log σ(x) + (1 - t)·log σ(-x)). ``(N, C) or (C,)``;
    ``reduction='none'`` gives one value per sample."""
    from .activation_more import logsigmoid

    reduction = _reduction(reduction, size_average, reduce, "multilabel_soft_margin_loss")
    x = _float(input, "multilabel_soft_margin_loss")
    t = _float(target, "multilabel_soft_margin_loss", "target", like=x)
    _same_shape(x, t, "multilabel_soft_margin_loss")
    if x.ndim == 0:
        raise ValueError("multilabel_soft_margin_loss: expected an input (N, C) or (C,), got "
                         "a 0-D tensor")
    loss = -(t * logsigmoid(x) + (1 - t) * logsigmoid(-x))
    if weight is not None:
        w = _float(weight, "multilabel_soft_margin_loss", "weight", like=x)
        try:
            np.broadcast_shapes(tuple(w.shape), tuple(x.shape))
        except ValueError:
            raise ValueError(f"multilabel_soft_margin_loss: weight shape {tuple(w.shape)} "
                             f"does not broadcast to the input shape {tuple(x.shape)}") from None
        loss = loss * w
    loss = loss.sum(dim=-1) / x.shape[-1]
    return _finish(loss, reduction)


def _index_target(x: Tensor, target, op_name: str) -> np.ndarray:
    """The target's class indices as an array, after checking they are integers and that
    the input is (N, C) or (C,)."""
    y = target.data if isinstance(target, Tensor) else np.asarray(target)
    if y.dtype.kind not in "iu":
        raise TypeError(f"{op_name}: target must hold class indices (integers), got dtype "
                        f"{y.dtype}")
    if x.ndim not in (1, 2):
        raise ValueError(f"{op_name}: expected an input (N, C) or (C,), got shape "
                         f"{tuple(x.shape)}")
    return y


def _class_targets(x: Tensor, target, op_name: str):
    """The class-index target as an int64 array of shape (N,) (or () for a 1-D input)."""
    y = _index_target(x, target, op_name)
    want = (x.shape[0],) if x.ndim == 2 else ()
    if tuple(y.shape) != want and not (x.ndim == 1 and y.shape == (1,)):
        raise ValueError(f"{op_name}: target shape {tuple(y.shape)} must be {want} for the "
                         f"input shape {tuple(x.shape)}")
    C = x.shape[-1]
    if y.size and (y.min() < 0 or y.max() >= C):
        bad = int(y.min() if y.min() < 0 else y.max())
        raise IndexError(f"{op_name}: target class {bad} is out of range for {C} classes")
    return y.astype(np.int64).reshape(want)


@op(method=False, top=False, functional=True)
def multi_margin_loss(input, target, p: int = 1, margin: float = 1.0, weight=None,  # noqa: A002
                      size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Multi-class hinge loss: per sample, Σ over classes i ≠ y of
    w[y]·max(0, margin - x[y] + x[i])^p, divided by C. ``input (N, C)`` or ``(C,)``,
    ``target (N,)`` (or ``()``) class indices; ``p`` is 1 or 2."""
    reduction = _reduction(reduction, size_average, reduce, "multi_margin_loss")
    if p not in (1, 2):
        raise ValueError(f"multi_margin_loss: only p = 1 and p = 2 are supported, got {p}")
    x = _float(input, "multi_margin_loss")
    y = _class_targets(x, target, "multi_margin_loss")
    x2 = x if x.ndim == 2 else x.reshape(1, -1)
    y2 = y.reshape(-1)
    N, C = x2.shape
    rows = np.arange(N)
    xy = x2[rows, y2].reshape(N, 1)
    z = (x2 - xy + margin).clamp(min=0.0)
    if p == 2:
        z = z * z
    other = np.ones((N, C), dtype=x.data.dtype)
    other[rows, y2] = 0
    if weight is not None:
        w = _float(weight, "multi_margin_loss", "weight", like=x)
        if tuple(w.shape) != (C,):
            raise ValueError(f"multi_margin_loss: weight must have shape ({C},) (one per "
                             f"class), got {tuple(w.shape)}")
        z = z * w[Tensor(y2)].reshape(N, 1)
    loss = (z * Tensor(other)).sum(dim=1) / C
    if x.ndim == 1:
        loss = loss.reshape(())
    return _finish(loss, reduction)


@op(method=False, top=False, functional=True)
def multilabel_margin_loss(input, target, size_average=None, reduce=None,  # noqa: A002
                           reduction: str = "mean") -> Tensor:
    """Multi-label hinge loss: per sample, Σ over target classes j and non-target classes i
    of max(0, 1 - (x[j] - x[i])), divided by C. ``target`` has the input's shape and holds
    the target class indices first, ended by -1 (the rest is ignored)."""
    reduction = _reduction(reduction, size_average, reduce, "multilabel_margin_loss")
    x = _float(input, "multilabel_margin_loss")
    y = _index_target(x, target, "multilabel_margin_loss")
    if tuple(y.shape) != tuple(x.shape):
        raise ValueError(f"multilabel_margin_loss: target shape {tuple(y.shape)} must equal "
                         f"the input shape {tuple(x.shape)}")
    x2 = x if x.ndim == 2 else x.reshape(1, -1)
    y2 = y.reshape(x2.shape).astype(np.int64)
    N, C = x2.shape
    if y2.size and (y2.min() < -1 or y2.max() >= C):  # checked past the -1 too, as PyTorch
        bad = int(y2.min() if y2.min() < -1 else y2.max())
        raise IndexError(f"multilabel_margin_loss: target value {bad} is out of range: "
                         f"class indices are 0 to {C - 1}, and -1 ends the list")
    valid = np.cumprod(y2 >= 0, axis=1).astype(bool)  # each row's prefix before a -1
    listed = y2[valid]
    count = np.zeros((N, C), dtype=x.data.dtype)  # how often each class is listed
    np.add.at(count, (np.nonzero(valid)[0], listed), 1)
    is_t = count > 0
    pairs = count[:, :, None] * (~is_t)[:, None, :]  # (N, j, i)
    d = (1.0 - x2.reshape(N, C, 1) + x2.reshape(N, 1, C)).clamp(min=0.0)
    loss = (d * Tensor(pairs.astype(x.data.dtype))).sum(dim=(1, 2)) / C
    if x.ndim == 1:
        loss = loss.reshape(())
    return _finish(loss, reduction)


@op(method=False, top=False, functional=True)
def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin: float = 1.0, swap: bool = False,
                                      reduction: str = "mean") -> Tensor:
    """max(0, d(a, p) - d(a, n) + margin) with any ``distance_function`` (default: the
    pairwise Euclidean distance); ``swap`` uses min(d(a, n), d(p, n)) as the negative
    distance. ``reduction='none'`` gives one value per triplet."""
    from .distance import pairwise_distance

    reduction = _reduction(reduction, None, None, "triplet_margin_with_distance_loss")
    if not margin > 0:
        raise ValueError(f"triplet_margin_with_distance_loss: margin must be positive, got "
                         f"{margin}")
    a = _float(anchor, "triplet_margin_with_distance_loss", "anchor")
    pos = _float(positive, "triplet_margin_with_distance_loss", "positive", like=a)
    neg = _float(negative, "triplet_margin_with_distance_loss", "negative", like=a)
    if not a.ndim == pos.ndim == neg.ndim:
        raise ValueError(f"triplet_margin_with_distance_loss: anchor, positive and negative "
                         f"must have the same number of dims, got shapes {tuple(a.shape)}, "
                         f"{tuple(pos.shape)} and {tuple(neg.shape)}")
    dist = distance_function if distance_function is not None else pairwise_distance
    d_pos = dist(a, pos)
    d_neg = dist(a, neg)
    if swap:
        from .elementwise import minimum

        d_neg = minimum(d_neg, dist(pos, neg))
    loss = (margin + d_pos - d_neg).clamp(min=0.0)
    return _finish(loss, reduction)
