"""Loss functions, each one fused ``Function`` with its gradient written out (the
functional layer behind ``nn.functional`` and the loss modules).

``reduction`` is ``'mean'`` (the default), ``'sum'`` or ``'none'`` (per element, or per
sample for the classification losses), as in PyTorch.
"""

from __future__ import annotations

import warnings

import numpy as np

from ..autograd import Function, Local
from ..backend import max_last, sum_last, xp
from ..tensor import Tensor
from ._registry import op
from ._util import operand

__all__ = [
    "mse_loss", "l1_loss", "ssr", "cross_entropy", "nll_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
]

_REDUCTIONS = ("mean", "sum", "none")


def _reduction(reduction: str, size_average, reduce, op: str) -> str:
    if size_average is not None or reduce is not None:
        # The deprecated PyTorch arguments: reduce=False means per element.
        if reduce is False:
            return "none"
        return "sum" if size_average is False else "mean"
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{op}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    return reduction


_add_reduce = xp.add.reduce  # ndarray.sum/mean without their Python wrappers


def _reduce(l, reduction: str):
    if reduction == "none":
        return l
    total = _add_reduce(l, axis=None)
    if reduction == "mean":
        total = total / l.size
    return xp.asarray(total, dtype=l.dtype)


def _scale(gy, reduction: str, n: int):
    """The factor each element's gradient is multiplied by: gy/n, gy, or gy itself."""
    return gy / n if reduction == "mean" else gy


def _weighted_scale(gy, reduction: str, n: int, w):
    """:func:`_scale` times the element weights ``w`` (when given)."""
    s = _scale(gy, reduction, n)
    return s if w is None else s * w


def _as_tensor(x, like=None) -> Tensor:
    if isinstance(x, Tensor):
        return x
    return Tensor._wrap(xp.asarray(operand(x, like)))


def _data(x):
    return x.data if isinstance(x, Tensor) else x


# --- regression -------------------------------------------------------------------------


class SquaredError(Function):
    """(x - t)²; gx = 2 (x - t), gt = -gx."""

    name = "mse_loss"

    def local(self, slot, n_in, n_out):
        r = self.parents[2]
        scale = 1.0 / n_in if r == "mean" else 1.0
        return Local((-2.0 if slot == 0 else 2.0) * scale, "({1} - {0})", (0, 1), at="in")

    def forward(self, x, t, reduction):
        d = x - t
        self.d, self.reduction = d, reduction
        return _reduce(d * d, reduction)

    def backward(self, gy):
        g = self.d * _scale(gy, self.reduction, self.d.size)
        g += g  # 2 (x - t) gy; doubling the 0-d gy first is the slower way in NumPy
        t = self.parents[1]  # the target: needs a gradient only in rare uses
        return g, (-g if isinstance(t, Tensor) and t.requires_grad else None)


class SumSquaredResiduals(SquaredError):
    """The curriculum's SSR: (x - t)² summed."""

    name = "ssr"


class AbsoluteError(Function):
    """|x - t|; gx = sign(x - t), gt = -gx."""

    name = "l1_loss"

    def local(self, slot, n_in, n_out):
        scale = 1.0 / n_in if self.parents[2] == "mean" else 1.0
        return Local(scale if slot == 0 else -scale, "sign({0} - {1})", (0, 1), at="in")

    def forward(self, x, t, reduction):
        d = x - t
        self.sign, self.n, self.reduction = xp.sign(d), d.size, reduction
        return _reduce(xp.abs(d), reduction)

    def backward(self, gy):
        g = self.sign * _scale(gy, self.reduction, self.n)
        return g, (-g if self.needs_input_grad[1] else None)


def _pointwise_args(input, target, op):
    if not isinstance(input, Tensor):
        input = _as_tensor(input, target if isinstance(target, Tensor) else None)
    target = _as_tensor(target, input)
    if input.shape != target.shape:
        try:
            np.broadcast_shapes(input.shape, target.shape)
        except ValueError:
            raise ValueError(
                f"{op}: input shape {tuple(input.shape)} and target shape "
                f"{tuple(target.shape)} cannot be broadcast together") from None
        warnings.warn(
            f"{op}: target shape {tuple(target.shape)} differs from input shape "
            f"{tuple(input.shape)}; they are broadcast together, which is rarely intended",
            stacklevel=3,
        )
    return input, target


@op(method=False, top=False, functional=True, records=SquaredError)
def mse_loss(input, target, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Mean (or summed) squared error between ``input`` and ``target`` (same shape)."""
    reduction = _reduction(reduction, size_average, reduce, "mse_loss")
    input, target = _pointwise_args(input, target, "mse_loss")
    return SquaredError.apply(input, target, reduction)


@op(method=False, top=False, functional=True, records=AbsoluteError)
def l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean") -> Tensor:
    """Mean (or summed) absolute error between ``input`` and ``target`` (same shape)."""
    reduction = _reduction(reduction, size_average, reduce, "l1_loss")
    input, target = _pointwise_args(input, target, "l1_loss")
    return AbsoluteError.apply(input, target, reduction)


@op(method=False, top=False, functional=True, records=SumSquaredResiduals)
def ssr(input, target) -> Tensor:
    """The sum of squared residuals Σ (observed - predicted)², the curriculum's loss.

    The same as ``mse_loss(input, target, reduction='sum')``; d SSR / d input = -2 (t - x).
    """
    input, target = _pointwise_args(input, target, "ssr")
    return SumSquaredResiduals.apply(input, target, "sum")


# --- binary classification ---------------------------------------------------------------


class BinaryCrossEntropy(Function):
    """-w [t log x + (1 - t) log(1 - x)], each log clamped at -100 as in PyTorch.

    gx = w (x - t) / max(x (1 - x), 1e-12); gt = w (log(1 - x) - log x).
    """

    name = "binary_cross_entropy"
    formula = (Local(1.0, "({0} - {1})/({0}·(1 - {0}))", (0, 1), at="in"),
               Local(1.0, "log(1 - {0}) - log({0})", (0, 1), at="in"))

    def forward(self, x, t, w, reduction):
        with np.errstate(divide="ignore"):
            logx = xp.maximum(xp.log(x), -100.0)
            log1mx = xp.maximum(xp.log1p(-x), -100.0)
        l = -(t * logx + (1 - t) * log1mx)
        if w is not None:
            l = l * w
        self.x, self.t, self.w, self.logs = x, t, w, (logx, log1mx)
        self.reduction, self.n = reduction, l.size
        return _reduce(l, reduction)

    def backward(self, gy):
        x, t = self.x, self.t
        s = _weighted_scale(gy, self.reduction, self.n, self.w)
        need_x, need_t = self.needs_input_grad[:2]
        gx = gt = None
        if need_x:
            gx = s * (x - t) / xp.maximum(x * (1 - x), 1e-12)
        if need_t:
            logx, log1mx = self.logs
            gt = s * (log1mx - logx)
        return gx, gt, None


class BinaryCrossEntropyLogits(Function):
    """(1 - t) x + L softplus(-x) with L = 1 + (pos_weight - 1) t, times w: σ and log fused
    so large |x| never overflows.

    gx = w [(1 - t) - L σ(-x)] (= w (σ(x) - t) without pos_weight);
    gt = w [-x + (pos_weight - 1) softplus(-x)].
    """

    name = "binary_cross_entropy_with_logits"
    formula = (Local(1.0, "σ({0}) - {1}", (0, 1), at="in"),
               Local(1.0, "-{0}", (0, 1), at="in"))

    def forward(self, x, t, w, pos_weight, reduction):
        sp = xp.logaddexp(0, -x)  # softplus(-x) = -log σ(x)
        if pos_weight is None:
            l = (1 - t) * x + sp
            L = None
        else:
            L = 1 + (pos_weight - 1) * t
            l = (1 - t) * x + L * sp
        if w is not None:
            l = l * w
        self.x, self.t, self.w, self.pw, self.L, self.sp = x, t, w, pos_weight, L, sp
        self.reduction, self.n = reduction, l.size
        return _reduce(l, reduction)

    def backward(self, gy):
        x, t = self.x, self.t
        s = _weighted_scale(gy, self.reduction, self.n, self.w)
        need_x, need_t = self.needs_input_grad[:2]
        gx = gt = None
        if need_x:
            sig = xp.tanh(x * 0.5) * 0.5 + 0.5
            gx = (sig - t) if self.L is None else (1 - t) - self.L * (1 - sig)
            gx = gx * s
        if need_t:
            gt = -x if self.pw is None else -x + (self.pw - 1) * self.sp
            gt = gt * s
        return gx, gt, None, None


def _same_shape(input, target, op):
    if input.shape != target.shape:
        raise ValueError(
            f"{op}: target shape {tuple(target.shape)} must equal input shape "
            f"{tuple(input.shape)}"
        )


@op(method=False, top=False, functional=True, records=BinaryCrossEntropy)
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean") -> Tensor:
    """Binary cross entropy between probabilities ``input`` in [0, 1] and ``target``
    (same shape); ``weight`` rescales each element (broadcast)."""
    reduction = _reduction(reduction, size_average, reduce, "binary_cross_entropy")
    input = _as_tensor(input, target if isinstance(target, Tensor) else None)
    target = _as_tensor(target, input)
    _same_shape(input, target, "binary_cross_entropy")
    x = input.data
    if x.size and not (x.min() >= 0 and x.max() <= 1):
        raise ValueError(
            "binary_cross_entropy: all elements of input must be probabilities in [0, 1] "
            "(apply sigmoid first, or use binary_cross_entropy_with_logits on raw scores)"
        )
    w = None if weight is None else xp.asarray(_data(weight), dtype=x.dtype)
    return BinaryCrossEntropy.apply(input, target, w, reduction)


@op(method=False, top=False, functional=True, records=BinaryCrossEntropyLogits)
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction: str = "mean",
                                     pos_weight=None) -> Tensor:
    """Sigmoid and binary cross entropy in one stable op on raw scores ``input``.

    ``pos_weight`` (broadcast along the last dim, one per class) weights the positive
    term: > 1 raises recall, < 1 precision.
    """
    reduction = _reduction(reduction, size_average, reduce, "binary_cross_entropy_with_logits")
    input = _as_tensor(input, target if isinstance(target, Tensor) else None)
    target = _as_tensor(target, input)
    _same_shape(input, target, "binary_cross_entropy_with_logits")
    dt = input.data.dtype
    w = None if weight is None else xp.asarray(_data(weight), dtype=dt)
    pw = None if pos_weight is None else xp.asarray(_data(pos_weight), dtype=dt)
    return BinaryCrossEntropyLogits.apply(input, target, w, pw, reduction)


# --- multi-class classification ----------------------------------------------------------


def _rows(x):
    """(C,) -> (1, C); (N, C) as is; (N, C, d1, ...) -> (N·d1·..., C)."""
    if x.ndim == 2:
        return x
    if x.ndim == 1:
        return x[None, :]
    return xp.moveaxis(x, 1, -1).reshape(-1, x.shape[1])


def _unrows(g, shape):
    """The inverse of :func:`_rows`."""
    if len(shape) == 2:
        return g
    if len(shape) == 1:
        return g[0]
    n, c = shape[0], shape[1]
    return xp.moveaxis(g.reshape((n,) + tuple(shape[2:]) + (c,)), -1, 1)


def _index_targets(op, shape, target, ignore_index):
    """Check class-index targets against an input of ``shape``; return (y, valid).

    ``y`` is flat (one per row), with ignored entries replaced by 0; ``valid`` is a bool
    mask of the rows that count, or None when every row counts.
    """
    if len(shape) == 0:
        raise ValueError(f"{op}: input must have at least 1 dim (C,), got a scalar")
    C = shape[1] if len(shape) >= 2 else shape[0]
    expected = (shape[0],) + tuple(shape[2:]) if len(shape) >= 2 else ()
    if target.dtype.kind not in "iu":
        raise TypeError(
            f"{op}: class-index targets must be integers (int64), got dtype {target.dtype}; "
            f"for class probabilities pass a float target of the input's shape {tuple(shape)}"
        )
    if target.shape != expected:
        raise ValueError(
            f"{op}: target shape {tuple(target.shape)} does not match input shape "
            f"{tuple(shape)}: expected class indices of shape {expected}"
        )
    y = target.reshape(-1)
    if not y.size:
        return y, None
    lo, hi = int(xp.minimum.reduce(y)), int(xp.maximum.reduce(y))
    if lo >= 0 and hi < C and not (0 <= ignore_index < C and (y == ignore_index).any()):
        return y, None
    valid = y != ignore_index
    bad = valid & ((y < 0) | (y >= C))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        pos = tuple(int(k) for k in np.unravel_index(i, target.shape)) if target.ndim else ()
        raise IndexError(
            f"{op}: target {int(y[i])} at position {pos} is out of range for {C} classes "
            f"(valid targets are 0..{C - 1}, or ignore_index={ignore_index})"
        )
    return xp.where(valid, y, 0), valid


def _class_weight(op, weight, C, dtype):
    if weight is None:
        return None
    w = xp.asarray(_data(weight), dtype=dtype)
    if w.shape != (C,):
        raise ValueError(f"{op}: weight must have shape ({C},) (one per class), got {w.shape}")
    return w


def _total(l, denom, reduction: str, dtype):
    total = _add_reduce(l, axis=None)
    if reduction == "mean":
        if denom:
            total = total / denom
        else:
            with np.errstate(invalid="ignore", divide="ignore"):  # all rows ignored: nan
                total = total / denom
    return xp.asarray(total, dtype=dtype)


def _ce_scale(gy, reduction: str, denom):
    """The factor on each row's gradient: gy per row ('none'), gy / Σ weights ('mean'),
    gy ('sum'). With every row ignored the mean loss is NaN (0/0, as in PyTorch) but
    nothing flows back: the factor is 0, never a NaN gradient."""
    if reduction == "none":
        return gy.reshape(-1, 1)
    if reduction == "mean":
        return gy / denom if denom else gy * 0
    return gy


def _log_softmax_rows(logits):
    """Rows of ``logits`` shifted by their max, exp of them, their sums and log-sums."""
    z = _rows(logits)
    z = z - max_last(z)  # the row maximum subtracted: exp never overflows
    e = xp.exp(z)
    s = sum_last(e)[:, 0]
    return z, e, s, xp.log(s)  # log Σ exp(z); log p = z - lse


class CrossEntropyIndex(Function):
    """Softmax and negative log-likelihood of class-index targets in one op, computed
    stably (shifted rows).

    Per row: loss = -Σ_c q_c log p_c with p = softmax(logits) and q = (1-ε) w_y one-hot(y)
    + ε/C w. The gradient is (Σ_c q_c) p - q: softmax minus the one-hot target when there
    is no weight or smoothing. ``'mean'`` divides by Σ w_y over the rows not ignored, as
    PyTorch does.
    """

    name = "cross_entropy"

    def local(self, slot, n_in, n_out):
        mean = "/N" if self.reduction == "mean" else ""
        return Local(1.0, f"(softmax - one_hot(target)){mean}", generic=True)

    def forward(self, logits, target, w, ignore_index, eps, reduction):
        self.shape = logits.shape
        z, e, s, lse = _log_softmax_rows(logits)
        M, C = z.shape
        self.e, self.s, self.w, self.eps, self.reduction = e, s, w, eps, reduction
        y, valid = _index_targets("cross_entropy", self.shape, target, ignore_index)
        flat = xp.arange(0, M * C, C) + y  # position of each row's target in z.ravel()
        nll = lse - z.take(flat)
        wy = w[y] if w is not None else None
        if valid is not None:
            vf = valid.astype(z.dtype)
            wy = wy * vf if wy is not None else vf
        l = nll * wy if wy is not None else nll
        if eps:
            # Σ_c w_c (-log p_c) = W lse - Σ_c w_c z_c, zeroed on ignored rows.
            if w is not None:
                smooth = w.sum() * lse - z @ w
            else:
                smooth = C * lse - sum_last(z)[:, 0]
            if valid is not None:
                smooth = smooth * valid
            l = (1 - eps) * l + (eps / C) * smooth
        self.flat, self.wy, self.valid = flat, wy, valid
        self.denom = M if wy is None else wy.sum()
        if reduction == "none":
            return l.reshape(self.shape[:1] + self.shape[2:] if len(self.shape) >= 2 else ())
        return _total(l, self.denom, reduction, z.dtype)

    def backward(self, gy):
        p = self.e / self.s[:, None]
        M, C = p.shape
        eps, w = self.eps, self.w
        c = _ce_scale(gy, self.reduction, self.denom)
        flat, wy, valid = self.flat, self.wy, self.valid
        if wy is None and not eps:
            g = p
            g.reshape(-1)[flat] -= 1
        else:
            ones = xp.ones(M, p.dtype) if valid is None else valid.astype(p.dtype)
            hard = (1 - eps) * (wy if wy is not None else ones)
            W = w.sum() if w is not None else C
            g = p * (hard + (eps / C) * W * ones)[:, None]
            g.reshape(-1)[flat] -= hard
            if eps:
                soft = (eps / C) * (w if w is not None else xp.ones(C, p.dtype))
                g -= ones[:, None] * soft
        g *= c
        return _unrows(g, self.shape), None, None, None, None, None


class CrossEntropyProb(Function):
    """Cross entropy against class probabilities: loss = -Σ_c q_c log p_c per row with
    q = w ((1-ε) t + ε/C); gx = (Σ_c q_c) p - q, gt = -(1-ε) w log p. ``'mean'`` divides
    by the row count."""

    name = "cross_entropy"

    def local(self, slot, n_in, n_out):
        mean = "/N" if self.reduction == "mean" else ""
        if slot == 0:
            return Local(1.0, f"(softmax - target){mean}", generic=True)
        return Local(1.0, f"-log softmax{mean}", generic=True)

    def forward(self, logits, target, w, eps, reduction):
        self.shape = logits.shape
        z, e, s, lse = _log_softmax_rows(logits)
        M, C = z.shape
        self.e, self.s, self.w, self.eps, self.reduction = e, s, w, eps, reduction
        t = _rows(target)
        if eps:
            t = t * (1 - eps) + eps / C
        q = t * w if w is not None else t
        logp = z - lse[:, None]
        l = -sum_last(q * logp)[:, 0]
        self.q, self.logp, self.denom = q, logp, M
        if reduction == "none":
            return l.reshape(self.shape[:1] + self.shape[2:] if len(self.shape) >= 2 else ())
        return _total(l, self.denom, reduction, z.dtype)

    def backward(self, gy):
        p = self.e / self.s[:, None]
        c = _ce_scale(gy, self.reduction, self.denom)
        q, w = self.q, self.w
        g = p * sum_last(q) - q
        gt = None
        if self.needs_input_grad[1]:
            gt = -(1 - self.eps) * self.logp * (w if w is not None else 1) * c
            gt = _unrows(gt, self.shape)
        g *= c
        return _unrows(g, self.shape), gt, None, None, None


class NLLIndex(Function):
    """-w_y x_y for log-probabilities x; gx is -w_y at the target class, 0 elsewhere."""

    name = "nll_loss"
    formula = (Local(1.0, "-[the target class]", generic=True), None)

    def forward(self, x, target, w, ignore_index, reduction):
        self.shape, self.dtype = x.shape, x.dtype
        z = _rows(x)
        M = z.shape[0]
        y, valid = _index_targets("nll_loss", x.shape, target, ignore_index)
        rows = xp.arange(M)
        wy = w[y] if w is not None else xp.ones(M, x.dtype)
        if valid is not None:
            wy = wy * valid
        l = -z[rows, y] * wy
        self.y, self.rows, self.wy, self.reduction = y, rows, wy, reduction
        self.denom = wy.sum()
        if reduction == "none":
            return l.reshape(x.shape[:1] + x.shape[2:] if x.ndim >= 2 else ())
        return _total(l, self.denom, reduction, x.dtype)

    def backward(self, gy):
        M = self.rows.size
        C = self.shape[1] if len(self.shape) >= 2 else self.shape[0]
        c = _ce_scale(gy, self.reduction, self.denom).reshape(-1)
        g = xp.zeros((M, C), dtype=self.dtype)
        g[self.rows, self.y] = -self.wy * c
        return _unrows(g, self.shape), None, None, None, None


@op(method=False, top=False, functional=True, records=(CrossEntropyIndex, CrossEntropyProb))
def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0) -> Tensor:
    """Cross entropy between raw scores and targets, softmax included.

    ``input``: ``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)`` logits. ``target``: class
    indices (integers) of shape ``(N)``, ``()`` or ``(N, d1, ...)``, or class
    probabilities (floats) of the input's shape. ``weight`` (C,) rescales classes; rows
    whose target is ``ignore_index`` count for nothing; ``label_smoothing`` ε mixes the
    target with the uniform distribution: (1 - ε) target + ε / C.
    """
    reduction = _reduction(reduction, size_average, reduce, "cross_entropy")
    if not isinstance(input, Tensor):
        input = _as_tensor(input)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(
            f"cross_entropy: label_smoothing must be between 0 and 1, got {label_smoothing}"
        )
    shape = input.shape
    if not shape:
        raise ValueError("cross_entropy: input must have at least 1 dim (C,), got a scalar")
    if input.data.dtype.kind != "f":
        raise TypeError(f"cross_entropy: input must be floating scores, got {input.data.dtype}")
    C = shape[1] if len(shape) >= 2 else shape[0]
    t = target.data if isinstance(target, Tensor) else xp.asarray(target)
    if t.dtype.kind == "f":
        if t.shape != shape:
            if t.shape == ((shape[0],) + shape[2:] if len(shape) >= 2 else ()):
                raise TypeError(
                    f"cross_entropy: class-index targets must be integers (int64), got dtype "
                    f"{t.dtype}; for class probabilities pass a float target of the input's "
                    f"shape {tuple(shape)}"
                )
            raise ValueError(
                f"cross_entropy: probability target shape {tuple(t.shape)} must equal the "
                f"input shape {tuple(shape)}"
            )
        if not isinstance(target, Tensor) or t.dtype != input.data.dtype:
            target = Tensor._wrap(t.astype(input.data.dtype, copy=False))
    elif not isinstance(target, Tensor):
        target = t
    w = _class_weight("cross_entropy", weight, C, input.data.dtype)
    if t.dtype.kind == "f":
        return CrossEntropyProb.apply(input, target, w, float(label_smoothing), reduction)
    return CrossEntropyIndex.apply(input, target, w, int(ignore_index), float(label_smoothing),
                                   reduction)


@op(method=False, top=False, functional=True, records=NLLIndex)
def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class-index ``target`` under log-probabilities ``input``
    (``(N, C)``, ``(C,)`` or ``(N, C, d1, ...)``, e.g. from ``log_softmax``)."""
    reduction = _reduction(reduction, size_average, reduce, "nll_loss")
    if not isinstance(input, Tensor):
        input = _as_tensor(input)
    t = target.data if isinstance(target, Tensor) else xp.asarray(target)
    shape = input.shape
    if not shape:
        raise ValueError("nll_loss: input must have at least 1 dim (C,), got a scalar")
    C = shape[1] if len(shape) >= 2 else shape[0]
    w = _class_weight("nll_loss", weight, C, input.data.dtype)
    return NLLIndex.apply(input, t, w, int(ignore_index), reduction)
