"""The CTC forward-backward recursions as one numba kernel (optional: needs numba).

``glassnet.ops.ctc`` imports this module the first time ``ctc_loss`` runs with the numba
kernel. It computes what ``ctc.ctc_numpy`` computes — the negative log likelihoods and
PyTorch's gradient exp(lp) - γ — one sequence at a time and only over that sequence's
own T_n steps and 2·S_n + 1 extended labels, where the NumPy version works on whole padded
(N, L) arrays at every step. The results agree up to rounding (tests compare them).
"""

from __future__ import annotations

import math

import numba
import numpy as np

_jit = numba.njit(cache=True, nogil=True, boundscheck=False)


@_jit
def _lse3(a, b, c):
    """log(eᵃ + eᵇ + eᶜ) with one log: the largest term factored out."""
    m = max(a, max(b, c))
    if m == -np.inf:
        return m
    return m + math.log(math.exp(a - m) + math.exp(b - m) + math.exp(c - m))


@_jit
def ctc_kernel(lp, ext, skip, T_n, S_n):
    """``lp (T, N, C)`` float64, ``ext``/``skip`` ``(N, L)``, lengths ``(N,)`` ->
    ``nll (N,)``, ``grad (T, N, C)``."""
    T, N, C = lp.shape
    L = ext.shape[1]
    nll = np.empty(N)
    grad = np.zeros((T, N, C))
    alpha = np.empty((T, L))
    beta = np.empty((T, L))
    gam = np.empty(C)
    neg = -np.inf
    for n in range(N):
        Tn, Ln = T_n[n], 2 * S_n[n] + 1
        if Tn == 0:
            nll[n] = 0.0 if S_n[n] == 0 else np.inf
            continue
        for s in range(Ln):
            alpha[0, s] = neg
        alpha[0, 0] = lp[0, n, ext[n, 0]]
        if Ln > 1:
            alpha[0, 1] = lp[0, n, ext[n, 1]]
        for t in range(1, Tn):
            # only states that are reachable by step t and can still reach the end
            lo = max(0, Ln - 2 * (Tn - t))
            hi = min(Ln, 2 * t + 2)
            for s in range(Ln):
                if s < lo or s >= hi:
                    alpha[t, s] = neg
                    continue
                b = alpha[t - 1, s - 1] if s >= 1 else neg
                c = alpha[t - 1, s - 2] if s >= 2 and skip[n, s] else neg
                v = _lse3(alpha[t - 1, s], b, c)
                alpha[t, s] = v + lp[t, n, ext[n, s]] if v != neg else neg
        ll = alpha[Tn - 1, Ln - 1]
        if Ln > 1:
            ll = _lse3(ll, alpha[Tn - 1, Ln - 2], neg)
        nll[n] = -ll
        if ll == neg:  # an impossible target: a NaN gradient, as PyTorch's
            for t in range(Tn):
                for c in range(C):
                    grad[t, n, c] = np.nan
            continue
        for s in range(Ln):
            beta[Tn - 1, s] = neg
        beta[Tn - 1, Ln - 1] = lp[Tn - 1, n, ext[n, Ln - 1]]
        if Ln > 1:
            beta[Tn - 1, Ln - 2] = lp[Tn - 1, n, ext[n, Ln - 2]]
        for t in range(Tn - 2, -1, -1):
            lo = max(0, Ln - 2 * (Tn - t))
            hi = min(Ln, 2 * t + 2)
            for s in range(Ln):
                if s < lo or s >= hi:
                    beta[t, s] = neg
                    continue
                b = beta[t + 1, s + 1] if s + 1 < Ln else neg
                c = beta[t + 1, s + 2] if s + 2 < Ln and skip[n, s + 2] else neg
                v = _lse3(beta[t + 1, s], b, c)
                beta[t, s] = v + lp[t, n, ext[n, s]] if v != neg else neg
        for t in range(Tn):
            for c in range(C):
                gam[c] = 0.0
            for s in range(Ln):
                if alpha[t, s] != neg and beta[t, s] != neg:
                    c = ext[n, s]
                    gam[c] += math.exp(alpha[t, s] + beta[t, s] - lp[t, n, c] - ll)
            for c in range(C):
                grad[t, n, c] = math.exp(lp[t, n, c]) - gam[c]
    return nll, grad
