"""Fused per-step loops for the recurrent kernels (optional: needs numba).

``glassnet.ops.recurrent`` imports this module the first time a recurrent kernel runs,
if numba is installed, and falls back to NumPy ufuncs otherwise. Each loop does, in
one pass over a ``(B, H)`` block, the arithmetic that the NumPy path spreads over a
dozen ufunc calls; the results are the same up to rounding. The transcendental
functions (tanh) stay with NumPy, whose vectorised versions are faster than numba's.

Shapes: ``A`` ``(S, G·H)`` gate activations, ``off``/``B`` the rows of this step,
``d``/``dc`` ``(B, H)`` running gradients of h and c (updated in place).
"""

from __future__ import annotations

import numba

_jit = numba.njit(cache=True, nogil=True, boundscheck=False)


@_jit
def lstm_forward_cell(A, cp, cprev, off, B, H):
    """Gates of rows ``off:off+B`` hold tanh(pre/2) for i, f, o and tanh(pre) for g;
    turn i, f, o into σ = 0.5 t + 0.5, save c_{t-1}, update c = f c + i g in place."""
    for b in range(B):
        row = A[off + b]
        for j in range(H):
            i = 0.5 * row[j] + 0.5
            f = 0.5 * row[H + j] + 0.5
            o = 0.5 * row[3 * H + j] + 0.5
            row[j] = i
            row[H + j] = f
            row[3 * H + j] = o
            c = cp[b, j]
            cprev[off + b, j] = c
            cp[b, j] = f * c + i * row[2 * H + j]


@_jit
def lstm_forward_out(A, tc, y, hp, off, B, H):
    """h = o tanh(c) into the output rows and the running state."""
    for b in range(B):
        for j in range(H):
            h = A[off + b, 3 * H + j] * tc[off + b, j]
            y[off + b, j] = h
            hp[b, j] = h


@_jit
def lstm_backward_step(A, tc, cprev, gy, d, dc, dG, off, B, H):
    """One step of BPTT: fold in the output gradient, then the gate pre-activation
    gradients into ``dG`` rows and dc ← dc f (the caller does dh ← dG W_hh)."""
    for b in range(B):
        r = off + b
        for j in range(H):
            dh = d[b, j] + gy[r, j]
            i = A[r, j]
            f = A[r, H + j]
            g = A[r, 2 * H + j]
            o = A[r, 3 * H + j]
            t = tc[r, j]
            c = dc[b, j] + dh * o * (1.0 - t * t)
            dG[r, j] = c * g * i * (1.0 - i)
            dG[r, H + j] = c * cprev[r, j] * f * (1.0 - f)
            dG[r, 2 * H + j] = c * i * (1.0 - g * g)
            dG[r, 3 * H + j] = dh * t * o * (1.0 - o)
            dc[b, j] = c * f


@_jit
def gru_forward_gate(A, gh, ghn, hprev, hp, off, B, H):
    """r, z already hold tanh(pre/2): make them σ; save W_hn h + b_hn and h_{t-1};
    leave in the n slot the pre-activation W_in x + b_in + r (W_hn h + b_hn)."""
    for b in range(B):
        r_ = off + b
        for j in range(H):
            r = 0.5 * A[r_, j] + 0.5
            A[r_, j] = r
            A[r_, H + j] = 0.5 * A[r_, H + j] + 0.5
            hn = gh[b, 2 * H + j]
            ghn[r_, j] = hn
            hprev[r_, j] = hp[b, j]
            A[r_, 2 * H + j] += r * hn


@_jit
def gru_forward_out(A, y, hp, off, B, H):
    """h' = n + z (h - n), n already tanh'd in place."""
    for b in range(B):
        r_ = off + b
        for j in range(H):
            n = A[r_, 2 * H + j]
            h = n + A[r_, H + j] * (hp[b, j] - n)
            y[r_, j] = h
            hp[b, j] = h


@_jit
def gru_backward_step(A, ghn, hprev, gy, d, dGx, dGh, off, B, H):
    """One step of BPTT for GRU: input-side and hidden-side pre-activation gradients,
    and dh ← dh z (the caller adds dGh W_hh)."""
    for b in range(B):
        r_ = off + b
        for j in range(H):
            dh = d[b, j] + gy[r_, j]
            r = A[r_, j]
            z = A[r_, H + j]
            n = A[r_, 2 * H + j]
            dan = dh * (1.0 - z) * (1.0 - n * n)
            daz = dh * (hprev[r_, j] - n) * z * (1.0 - z)
            dar = dan * ghn[r_, j] * r * (1.0 - r)
            dGx[r_, j] = dar
            dGx[r_, H + j] = daz
            dGx[r_, 2 * H + j] = dan
            dGh[r_, j] = dar
            dGh[r_, H + j] = daz
            dGh[r_, 2 * H + j] = dan * r
            d[b, j] = dh * z


@_jit
def rnn_backward_step(y, gy, d, dA, off, B, H, relu):
    """da = (dh + gy) act'(a) into ``dA`` rows (the caller does dh ← da W_hh)."""
    for b in range(B):
        r = off + b
        for j in range(H):
            dh = d[b, j] + gy[r, j]
            v = y[r, j]
            if relu:
                dA[r, j] = dh if v > 0 else 0.0 * dh
            else:
                dA[r, j] = dh * (1.0 - v * v)
