"""More losses with PyTorch's names and arguments: smooth L1 / Huber, KL divergence, and
the margin losses (margin ranking, hinge embedding, soft margin, cosine embedding,
triplet margin).

Smooth L1, Huber and KL divergence are one ``Function`` each, gradient written out; the
margin losses are short compositions of existing ops (their gradients come from those).
``reduction`` is ``'mean'``, ``'sum'`` or ``'none'`` (``kl_div`` also ``'batchmean'``).
"""

from __future__ import annotations

import warnings

import numpy as np

from ..autograd import Function, Local
from ..backend import xp
from ..tensor import Tensor
from . import elementwise as _ew
from ._registry import op
from .distance import cosine_similarity, pairwise_distance
from .loss import _pointwise_args, _reduce, _reduction, _scale

__all__ = [
    "smooth_l1_loss", "huber_loss", "kl_div", "margin_ranking_loss",
    "hinge_embedding_loss", "soft_margin_loss", "cosine_embedding_loss",
    "triplet_margin_loss",
]


class HuberError(Function):
    """Huber (``huber=True``): ½d² where |d| < δ, else δ(|d| - ½δ); gradient d or δ·sign(d).
    Smooth L1: the same divided by δ (= ``beta``): ½d²/β or |d| - ½β; gradient d/β or
    sign(d). Here d = x - t, and gt = -gx."""

    name = "huber_loss"

    def local(self, slot, n_in, n_out):
        delta, huber, r = self.parents[2], self.parents[3], self.parents[4]
        scale = (1.0 / n_in if r == "mean" else 1.0) * (1.0 if slot == 0 else -1.0)
        inside = "({0} - {1})" if huber else f"({{0}} - {{1}})/{delta:g}"
        outside = f"{delta:g}·sign({{0}} - {{1}})" if huber else "sign({0} - {1})"
        return Local(scale, f"{inside} if |{{0}} - {{1}}| < {delta:g} else {outside}", (0, 1),
                     at="in")

    def forward(self, x, t, delta, huber, reduction):
        d = x - t
        a = xp.abs(d)
        inside = a < delta
        if huber:
            loss = xp.where(inside, 0.5 * d * d, delta * (a - 0.5 * delta))
            slope = xp.where(inside, d, delta * xp.sign(d))
        else:
            loss = xp.where(inside, 0.5 * d * d / delta, a - 0.5 * delta)
            slope = xp.where(inside, d / delta, xp.sign(d))
        self.slope, self.n, self.reduction = slope.astype(d.dtype, copy=False), d.size, reduction
        return _reduce(loss.astype(d.dtype, copy=False), reduction)

    def backward(self, gy):
        g = self.slope * _scale(gy, self.reduction, self.n)
        return g, (-g if self.needs_input_grad[1] else None)


class SmoothL1Error(HuberError):
    name = "smooth_l1_loss"


class KLDivergence(Function):
    """Pointwise KL term with ``x`` = log q (the input) and target p: p·(log p - x)
    (0 where p = 0), or with ``log_target`` (t = log p): eᵗ·(t - x). gx = -p;
    gp = log p + 1 - x (-inf where p = 0; log_target: eᵗ·(t - x + 1))."""

    name = "kl_div"
    formula = (Local(1.0, "-p", generic=True), Local(1.0, "log p + 1 - x", generic=True))

    def forward(self, x, t, reduction, log_target):
        if log_target:
            p = xp.exp(t)
            loss = p * (t - x)
            self.logp = t
        else:
            p = t
            pos = t > 0
            with np.errstate(divide="ignore"):
                logp = xp.log(t)  # -inf where p = 0: the target's gradient there is -inf
            loss = xp.where(pos, t * (xp.where(pos, logp, 0) - x), 0)
            self.logp = logp
        self.p, self.x = p, x
        self.reduction, self.log_target = reduction, log_target
        if reduction == "batchmean":
            out = _reduce(loss, "sum")
            self.n = x.shape[0] if x.ndim else 1
            return (out / self.n).astype(loss.dtype)
        self.n = loss.size
        return _reduce(loss, reduction)

    def backward(self, gy):
        s = gy / self.n if self.reduction in ("mean", "batchmean") else gy
        need_x, need_t = self.needs_input_grad[:2]
        gx = -self.p * s if need_x else None
        gt = None
        if need_t:
            d = self.logp + 1 - self.x
            gt = (self.p * d if self.log_target else d) * s
        return gx, gt


@op(method=False, top=False, functional=True, records=SmoothL1Error)
def smooth_l1_loss(input, target, size_average=None, reduce=None,  # noqa: A002
                   reduction: str = "mean", beta: float = 1.0) -> Tensor:
    """Smooth L1: ½(x - t)²/β where |x - t| < β, else |x - t| - ½β (β = 0: the L1 loss)."""
    reduction = _reduction(reduction, size_average, reduce, "smooth_l1_loss")
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    input, target = _pointwise_args(input, target, "smooth_l1_loss")
    if beta == 0:
        from .loss import l1_loss

        return l1_loss(input, target, reduction=reduction)
    return SmoothL1Error.apply(input, target, float(beta), False, reduction)


@op(method=False, top=False, functional=True, records=HuberError)
def huber_loss(input, target, reduction: str = "mean", delta: float = 1.0,  # noqa: A002
               weight=None) -> Tensor:
    """Huber: ½(x - t)² where |x - t| < δ, else δ(|x - t| - ½δ)."""
    reduction = _reduction(reduction, None, None, "huber_loss")
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    input, target = _pointwise_args(input, target, "huber_loss")
    if weight is not None:
        loss = HuberError.apply(input, target, float(delta), True, "none") * weight
        return loss if reduction == "none" else loss.sum() if reduction == "sum" else loss.mean()
    return HuberError.apply(input, target, float(delta), True, reduction)


@op(method=False, top=False, functional=True, records=KLDivergence)
def kl_div(input, target, size_average=None, reduce=None, reduction: str = "mean",  # noqa: A002
           log_target: bool = False) -> Tensor:
    """KL(p ‖ q) with ``input`` = log q (log-probabilities) and ``target`` = p (or log p with
    ``log_target``). ``reduction='batchmean'`` (sum / batch size) is the mathematical KL
    divergence; ``'mean'`` divides by every element, as in PyTorch."""
    if reduction != "batchmean" or size_average is not None or reduce is not None:
        reduction = _reduction(reduction, size_average, reduce, "kl_div")
        if reduction == "mean":
            warnings.warn("kl_div: reduction='mean' divides the total by the number of "
                          "elements, not the batch size; reduction='batchmean' gives the KL "
                          "divergence", stacklevel=3)
    input, target = _pointwise_args(input, target, "kl_div")
    return KLDivergence.apply(input, target, reduction, bool(log_target))


# --- margin losses: compositions of existing ops ------------------------------------------


def _finish(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "none":
        return loss
    return loss.sum() if reduction == "sum" else loss.mean()


def _t(x, like=None):
    if isinstance(x, Tensor):
        return x
    t = Tensor(x)
    if like is not None and t.data.dtype.kind == "f" and like.data.dtype.kind == "f":
        t = Tensor._wrap(t.data.astype(like.data.dtype))
    return t


@op(method=False, top=True, functional=True)
def margin_ranking_loss(input1, input2, target, margin: float = 0.0, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(0, -y·(x1 - x2) + margin) with y = ±1: rank x1 above x2 where y = 1."""
    reduction = _reduction(reduction, size_average, reduce, "margin_ranking_loss")
    x1 = _t(input1)
    x2, y = _t(input2, x1), _t(target, x1)
    return _finish(_ew.clamp(-y * (x1 - x2) + margin, min=0.0), reduction)


@op(method=False, top=True, functional=True)
def hinge_embedding_loss(input, target, margin: float = 1.0, size_average=None,  # noqa: A002
                         reduce=None, reduction: str = "mean") -> Tensor:
    """x where y = 1, max(0, margin - x) where y = -1 (x is usually a distance)."""
    reduction = _reduction(reduction, size_average, reduce, "hinge_embedding_loss")
    x = _t(input)
    y = _t(target, x)
    pos = _ew.where(y != -1, x, 0.0)  # PyTorch's rule, also for labels other than ±1
    neg = _ew.where(y != 1, _ew.clamp(margin - x, min=0.0), 0.0)
    return _finish(pos + neg, reduction)


@op(method=False, top=False, functional=True)
def soft_margin_loss(input, target, size_average=None, reduce=None,  # noqa: A002
                     reduction: str = "mean") -> Tensor:
    """log(1 + exp(-y·x)) with y = ±1 (a smooth two-class hinge)."""
    from .elementwise import softplus

    reduction = _reduction(reduction, size_average, reduce, "soft_margin_loss")
    x = _t(input)
    return _finish(softplus(-_t(target, x) * x), reduction)


@op(method=False, top=True, functional=True)
def cosine_embedding_loss(input1, input2, target, margin: float = 0.0, size_average=None,
                          reduce=None, reduction: str = "mean") -> Tensor:
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1; rows of
    ``(N, D)`` (or one pair ``(D,)``)."""
    reduction = _reduction(reduction, size_average, reduce, "cosine_embedding_loss")
    x1 = _t(input1)
    x2, y = _t(input2, x1), _t(target, x1)
    cos = cosine_similarity(x1, x2, dim=-1, eps=1e-8)
    loss = _ew.where(y == 1, 1.0 - cos, 0.0) + \
        _ew.where(y == -1, _ew.clamp(cos - margin, min=0.0), 0.0)
    return _finish(loss, reduction)


@op(method=False, top=True, functional=True)
def triplet_margin_loss(anchor, positive, negative, margin: float = 1.0, p: float = 2.0,
                        eps: float = 1e-6, swap: bool = False, size_average=None,
                        reduce=None, reduction: str = "mean") -> Tensor:
    """max(d(a, p) - d(a, n) + margin, 0) with d the ``pairwise_distance`` (``swap``: use
    the smaller of d(a, n) and d(p, n))."""
    reduction = _reduction(reduction, size_average, reduce, "triplet_margin_loss")
    a = _t(anchor)
    pos, neg = _t(positive, a), _t(negative, a)
    for name, t in (("positive", pos), ("negative", neg)):
        if t.ndim != a.ndim:
            raise ValueError(f"triplet_margin_loss: anchor, positive and negative must have "
                             f"the same number of dims; anchor {tuple(a.shape)}, {name} "
                             f"{tuple(t.shape)}")
    d_pos = pairwise_distance(a, pos, p, eps)
    d_neg = pairwise_distance(a, neg, p, eps)
    if swap:
        d_neg = _ew.minimum(d_neg, pairwise_distance(pos, neg, p, eps))
    return _finish(_ew.clamp(d_pos - d_neg + margin, min=0.0), reduction)

