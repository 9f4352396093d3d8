"""Connectionist temporal classification (CTC) loss with PyTorch's arguments and results.

For each sequence n the loss is -log p(target | input): the log of the summed probability
of every alignment — a path through time that emits, at each step t, a class from
``log_probs[t, n]`` and that collapses to the target once repeats are merged and blanks
removed. The sum runs over the extended target l' = (blank, l1, blank, l2, ..., blank)
(length 2S + 1) by the forward (alpha) recursion, in log space:

    alpha[0, 0] = lp[0, blank], alpha[0, 1] = lp[0, l1]
    alpha[t, s] = logsumexp(alpha[t-1, s], alpha[t-1, s-1], alpha[t-1, s-2]) + lp[t, l'[s]]

(the s-2 term only where l'[s] is a label different from l'[s-2]: a blank must separate
repeated labels), and -loss = logsumexp(alpha[T-1, 2S], alpha[T-1, 2S-1]). The backward
(beta) recursion runs the same way from the end; alpha + beta - lp is the log probability
of all paths through (t, s), which gives the gradient.

Gradient: PyTorch's convention, which this op follows exactly: d loss / d lp[t, c] is
returned as exp(lp[t, c]) - γ[t, c], γ the posterior of class c at step t. That is the
gradient of the loss with respect to the *logits* when ``log_probs = log_softmax(logits)``
(the exp(lp) term sums to one and log_softmax's backward removes it), so a network trained
through log_softmax gets the exact gradient; the bare partial derivative is -γ.

The recursions loop over time and work on whole (N, 2S+1) arrays at each step (NumPy); a
numba kernel doing the same per sequence runs where numba is available
(``backend.kernel_choice``; ``GLASSNET_KERNEL=numpy`` selects the NumPy version).
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function, Local
from ..backend import kernel_choice
from ..tensor import Tensor
from ._registry import op

__all__ = ["ctc_loss"]

_NEG = -np.inf


def ctc_numpy(lp, ext, skip, T_n, S_n):
    """Negative log likelihoods ``(N,)`` and the gradient ``(T, N, C)`` (PyTorch's
    convention, unscaled) for float64 ``lp (T, N, C)``, extended targets ``ext (N, L)``,
    ``skip (N, L)`` (where the s-2 move is allowed), input and target lengths.

    Each step works on the whole (N, L) array, in log space (``np.logaddexp``, exact for
    -inf): alpha forward over t, beta backward over t, each sequence's beta started at its
    own last step T_n - 1."""
    T, N, C = lp.shape
    L = ext.shape[1]
    rows = np.arange(N)
    valid = np.arange(L)[None, :] < (2 * S_n + 1)[:, None]   # inside this extended target
    # lp[t, n, l'[s]], -inf past the sequence's own extended target
    lpe = np.take_along_axis(lp, np.broadcast_to(ext, (T, N, L)), axis=2)
    lpe = np.where(valid, lpe, _NEG)
    skip_add = np.where(skip, 0.0, _NEG)                     # + -inf where s-2 -> s is barred
    # alpha[t] lives in A[t, :, 2:]; two columns of -inf in front make the s-1, s-2 shifts
    A = np.full((T, N, L + 2), _NEG)
    A[0, :, 2] = lpe[0, :, 0]
    if L > 1:
        A[0, :, 3] = lpe[0, :, 1]
    for t in range(1, T):
        prev = A[t - 1]
        cur = A[t, :, 2:]
        np.logaddexp(prev[:, 2:], prev[:, 1:-1], out=cur)
        np.logaddexp(cur, prev[:, :-2] + skip_add, out=cur)
        cur += lpe[t]
    alpha = A[:, :, 2:]
    last = np.maximum(T_n - 1, 0)
    aT = alpha[last, rows]                                   # (N, L) at each sequence's end
    end2 = np.where(S_n > 0, aT[rows, np.maximum(2 * S_n - 1, 0)], _NEG)
    ll = np.logaddexp(aT[rows, 2 * S_n], end2)
    ll = np.where(T_n > 0, ll, np.where(S_n > 0, _NEG, 0.0))  # no input steps at all
    nll = -ll

    # beta[t] (lp[t] included) lives in B[t, :, :L]; two columns of -inf behind
    B = np.full((T, N, L + 2), _NEG)
    skip_up = np.full((N, L), _NEG)                          # + -inf where s -> s+2 is barred
    skip_up[:, :L - 2] = skip_add[:, 2:]
    has = S_n > 0
    ends = {}
    for n in range(N):
        if T_n[n] > 0:
            ends.setdefault(int(T_n[n]) - 1, []).append(n)
    for t in range(T - 1, -1, -1):
        cur = B[t, :, :L]
        if t < T - 1:
            nxt = B[t + 1]
            np.logaddexp(nxt[:, :L], nxt[:, 1:L + 1], out=cur)
            np.logaddexp(cur, nxt[:, 2:] + skip_up, out=cur)
            cur += lpe[t]
        r = ends.get(t)
        if r is not None:                                    # these sequences end here
            r = np.asarray(r)
            cur[r] = _NEG
            cur[r, 2 * S_n[r]] = lpe[t, r, 2 * S_n[r]]
            rh = r[has[r]]
            cur[rh, 2 * S_n[rh] - 1] = lpe[t, rh, 2 * S_n[rh] - 1]
    beta = B[:, :, :L]
    # γ[t, n, c] = Σ over s with l'[s] = c of exp(alpha + beta - lp + nll), the posterior
    # of being at (t, s); -inf - -inf (never visited) is NaN: masked to 0
    with np.errstate(invalid="ignore", over="ignore"):
        logpost = alpha + beta - lpe + nll[None, :, None]
        post = np.exp(np.where(np.isnan(logpost), _NEG, logpost))
    flat = (np.arange(T)[:, None, None] * N + rows[None, :, None]) * C + ext[None]
    gamma = np.bincount(flat.ravel(), weights=post.ravel(), minlength=T * N * C)
    grad = np.exp(lp) - gamma.reshape(T, N, C)
    grad[:, np.isinf(nll)] = np.nan   # an impossible target: NaN, as PyTorch's
    grad[np.arange(T)[:, None] >= T_n[None, :]] = 0.0
    return nll, grad


def ctc_numba():
    """The numba kernel (compiled on first use): the same recursions, one sequence at a
    time, over its own lengths only."""
    global _numba_kernel
    if _numba_kernel is None:
        from ._ctc_numba import ctc_kernel

        _numba_kernel = ctc_kernel
    return _numba_kernel


_numba_kernel = None


class CTCLossOp(Function):
    """``log_probs (T, N, C)`` -> per-sequence negative log likelihoods ``(N,)``.

    Backward: gx[t, n, c] = gy[n] · (exp(lp[t, n, c]) - γ[t, n, c]) for t < T_n, else 0
    (PyTorch's gradient; see the module docstring); zero for a sequence whose infinite loss
    ``zero_infinity`` replaced by 0."""

    name = "ctc_loss"
    formula = Local(1.0, "exp({0}) - [posterior of the class at the step]", generic=True)

    def forward(self, lp, ext, skip, T_n, S_n, zero_infinity, kernel):
        x = lp.astype(np.float64, copy=False)
        if x.shape[0] == 0 or x.shape[1] == 0:  # no steps (or no sequences) at all
            nll, grad = np.where(S_n > 0, np.inf, 0.0), np.zeros(x.shape)
        elif kernel == "numba":
            nll, grad = ctc_numba()(x, ext, skip, T_n, S_n)
        else:
            nll, grad = ctc_numpy(x, ext, skip, T_n, S_n)
        if zero_infinity:
            bad = np.isinf(nll)
            nll = np.where(bad, 0.0, nll)
            grad[:, bad] = 0.0
        self.grad, self.dtype = grad, lp.dtype
        return nll.astype(lp.dtype)

    def backward(self, gy):
        return (self.grad * gy[None, :, None]).astype(self.dtype, copy=False), *(None,) * 6


def _lengths(x, N: int, what: str, batched: bool) -> np.ndarray:
    a = x.data if isinstance(x, Tensor) else np.asarray(x)
    if a.size == 0 and not isinstance(x, Tensor):
        a = a.astype(np.int64)   # () for an empty batch
    if a.dtype.kind not in "iu":
        raise TypeError(f"ctc_loss: {what} must hold integers, got dtype {a.dtype}")
    a = a.astype(np.int64).reshape(-1) if (batched or a.ndim) else a.astype(np.int64).reshape(1)
    if a.shape != (N,):
        raise ValueError(f"ctc_loss: {what} must have one entry per sequence ({N}), got "
                         f"{a.shape[0]}")
    if a.size and a.min() < 0:
        raise ValueError(f"ctc_loss: {what} must be non-negative, got {int(a.min())}")
    return a


@op(method=False, top=True, functional=True, records=CTCLossOp)
def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank: int = 0,
             reduction: str = "mean", zero_infinity: bool = False) -> Tensor:
    """The CTC loss of ``log_probs`` ``(T, N, C)`` (log-softmax outputs; ``(T, C)``
    unbatched) against ``targets``: padded ``(N, S)`` or concatenated ``(sum(target_lengths),)``
    (``(S,)`` unbatched). ``input_lengths``/``target_lengths``: ``(N,)`` tensors or tuples.

    ``reduction='mean'`` divides each loss by its target length (at least 1), then averages
    over the batch; ``'sum'`` adds; ``'none'`` gives ``(N,)``. ``zero_infinity`` replaces the
    infinite loss of an impossible alignment (a target too long for its input) and its
    gradient by zero.
    """
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"ctc_loss: reduction must be 'mean', 'sum' or 'none', got "
                         f"{reduction!r}")
    if not isinstance(log_probs, Tensor):
        log_probs = Tensor(np.asarray(log_probs))
    if log_probs.data.dtype.kind != "f":
        raise TypeError(f"ctc_loss: log_probs must be floating point, got dtype "
                        f"{log_probs.data.dtype}")
    batched = log_probs.ndim == 3
    if log_probs.ndim not in (2, 3):
        raise ValueError(f"ctc_loss: log_probs must be (T, N, C) or unbatched (T, C), got "
                         f"shape {tuple(log_probs.shape)}")
    lp = log_probs if batched else log_probs.unsqueeze(1)
    T, N, C = lp.shape
    if not 0 <= blank < C:
        raise ValueError(f"ctc_loss: blank must be in the label range [0, {C - 1}] for "
                         f"C = {C} classes, got {blank}")
    T_n = _lengths(input_lengths, N, "input_lengths", batched)
    S_n = _lengths(target_lengths, N, "target_lengths", batched)
    if T_n.size and T_n.max() > T:
        raise ValueError(f"ctc_loss: input_lengths must be at most T = {T} (log_probs has "
                         f"{T} steps), got {int(T_n.max())}")
    tg = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
    if tg.dtype.kind not in "iu":
        raise TypeError(f"ctc_loss: targets must hold class indices (integers), got dtype "
                        f"{tg.dtype}")
    if not batched:
        tg = tg.reshape(1, -1)
    S = int(S_n.max()) if S_n.size else 0
    lab = np.zeros((N, S), np.int64)
    if (tg.ndim == 2 and batched) or not batched:
        if tg.shape[0] != N:
            raise ValueError(f"ctc_loss: padded targets must be (N, S) with N = {N}, got shape "
                             f"{tuple(tg.shape)}")
        if S > tg.shape[1]:
            raise ValueError(f"ctc_loss: target_lengths ({S}) must be at most the targets' "
                             f"padded length S = {tg.shape[1]}")
        lab[:, :] = tg[:, :S]
    elif tg.ndim == 1:
        total = int(S_n.sum())
        if total > tg.shape[0]:
            raise ValueError(f"ctc_loss: concatenated targets hold {tg.shape[0]} labels but "
                             f"target_lengths add up to {total}")
        starts = np.concatenate([[0], np.cumsum(S_n)[:-1]])
        for n in range(N):
            lab[n, :S_n[n]] = tg[starts[n]:starts[n] + S_n[n]]
    else:
        raise ValueError(f"ctc_loss: targets must be padded (N, S) or concatenated 1-D, got "
                         f"shape {tuple(tg.shape)}")
    used = np.arange(S)[None, :] < S_n[:, None]
    lab = np.where(used, lab, blank)
    if used.any():
        bad = lab[used]
        if bad.min() < 0 or bad.max() >= C:
            v = int(bad.min() if bad.min() < 0 else bad.max())
            raise IndexError(f"ctc_loss: target label {v} is out of range for C = {C} "
                             f"classes")
    L = 2 * S + 1
    ext = np.full((N, L), blank, np.int64)
    ext[:, 1::2] = lab
    skip = np.zeros((N, L), bool)
    skip[:, 3::2] = lab[:, 1:] != lab[:, :-1]   # a label may follow a different label directly
    kernel = kernel_choice("auto", "ctc_loss")
    nll = CTCLossOp.apply(lp, ext, skip, T_n, S_n, bool(zero_infinity), kernel)
    if reduction == "none":
        return nll if batched else nll.reshape(())
    if reduction == "sum":
        return nll.sum()
    div = Tensor(np.maximum(S_n, 1).astype(nll.data.dtype))
    return (nll / div).mean()
