"""Recurrent sequence kernels: one layer, one direction, the whole sequence in one op.

Each kernel is a :class:`Function` whose ``forward`` runs every time step over arrays and
whose ``backward`` runs back-propagation through time over arrays. The graph holds one
node per layer and direction, whatever the sequence length, so a 1,000-step sequence
costs no recursion and no graph of thousands of small ops.

Work per sequence of ``S`` rows (all time steps packed, see below):

* forward: the input projection of every time step in one matrix multiply
  ``X W_ihᵀ`` ``(S, I) @ (I, G·H)``, then per step one multiply ``h W_hhᵀ`` for all
  gates at once and the gate nonlinearities in place;
* backward: per step one multiply ``dG W_hh`` for the hidden-state gradient; the weight
  gradients come at the end from two big multiplies, ``dGᵀ X`` and ``dGᵀ H_prev``.

Layout. The input is *packed*, as a PackedSequence holds it: the rows of time step 0
for every sequence, then the rows of step 1 for the sequences still running, and so on;
``batch_sizes[t]`` sequences are running at step ``t``, sorted so that they are always
the first rows of the batch. A padded ``(T, N, I)`` batch of full-length sequences is
the special case ``batch_sizes = (N,) * T`` and needs no copy: ``x.reshape(T*N, I)``.
The state array ``h`` ``(N, H)`` is updated only in its first ``B_t`` rows at step
``t``, so a finished sequence keeps its last state (forward direction) and a sequence
that has not started yet keeps its initial state (reverse direction, which walks the
steps from the last to the first and so starts each sequence at its own last step).

The result of a kernel is one array ``(S + N, H)`` (``(S + 2N, H)`` for LSTM): the
outputs of every step, then the final hidden state, then the final cell state; callers
slice it (:func:`rnn_layer`). Gate order follows PyTorch: LSTM ``i, f, g, o``; GRU
``r, z, n`` with ``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``.

Per step, the gate arithmetic between the two multiplies runs in fused compiled loops
(``glassnet.ops._recurrent_numba``) when numba is installed, and otherwise as NumPy
ufuncs on views of preallocated buffers (:class:`NumpySteps`); both give the same
numbers up to rounding. Sigmoid gates are computed as 0.5 tanh(a/2) + 0.5 with their
weight rows pre-scaled by 0.5, so one vectorised tanh covers every gate of a step.
"""

from __future__ import annotations

import functools
import os

import numpy as np

from ..autograd import Function, Local
from ..backend import xp
from ..tensor import Tensor

__all__ = [
    "RNNTanhSequence",
    "RNNReLUSequence",
    "LSTMSequence",
    "GRUSequence",
    "rnn_layer",
    "Schedule",
    "schedule",
    "step_kernels",
    "use_numba",
]

_steps = None


def step_kernels():
    """The per-step loops: numba's fused ones (imported on first use, so ``import
    glassnet`` stays fast), or the NumPy versions in :class:`NumpySteps` when
    ``GLASSNET_KERNEL=numpy`` or numba cannot be imported (``backend.kernel_choice``)."""
    global _steps
    if _steps is None:
        from ..backend import kernel_choice

        _steps = NumpySteps
        if kernel_choice("auto", "recurrent layers") == "numba":
            try:
                from . import _recurrent_numba

                _steps = _recurrent_numba
            except Exception as e:  # numba imports but cannot compile here
                import warnings

                warnings.warn(f"recurrent layers: numba kernels unusable ({e}); using NumPy",
                              RuntimeWarning, stacklevel=2)
    return _steps


def use_numba(flag: bool) -> None:
    """Switch the per-step loops between numba and NumPy (sets ``GLASSNET_KERNEL``)."""
    global _steps
    _steps = None
    os.environ["GLASSNET_KERNEL"] = "numba" if flag else "numpy"
    step_kernels()


class NumpySteps:
    """The per-step gate arithmetic as NumPy ufuncs on views (no numba needed).

    Same signatures and results as the fused loops in ``_recurrent_numba``.
    """

    @staticmethod
    def lstm_forward_cell(A, cp, cprev, off, B, H):
        a = A[off : off + B]
        for part in (a[:, : 2 * H], a[:, 3 * H :]):  # σ = 0.5 tanh(pre/2) + 0.5
            part *= 0.5
            part += 0.5
        cp = cp[:B]
        cprev[off : off + B] = cp
        cp *= a[:, H : 2 * H]
        cp += a[:, :H] * a[:, 2 * H : 3 * H]

    @staticmethod
    def lstm_forward_out(A, tc, y, hp, off, B, H):
        r = slice(off, off + B)
        xp.multiply(A[r, 3 * H :], tc[r], out=y[r])
        hp[:B] = y[r]

    @staticmethod
    def lstm_backward_step(A, tc, cprev, gy, d, dc, dG, off, B, H):
        r = slice(off, off + B)
        d, dc, a, g = d[:B], dc[:B], A[r], dG[r]
        d += gy[r]
        i, f, gg, o = a[:, :H], a[:, H : 2 * H], a[:, 2 * H : 3 * H], a[:, 3 * H :]
        t = tc[r]
        dc += d * o * (1 - t * t)
        g[:, :H] = dc * gg * i * (1 - i)
        g[:, H : 2 * H] = dc * cprev[r] * f * (1 - f)
        g[:, 2 * H : 3 * H] = dc * i * (1 - gg * gg)
        g[:, 3 * H :] = d * t * o * (1 - o)
        dc *= f

    @staticmethod
    def gru_forward_gate(A, gh, ghn, hprev, hp, off, B, H):
        r = slice(off, off + B)
        a = A[r]
        rz = a[:, : 2 * H]
        rz *= 0.5
        rz += 0.5
        ghn[r] = gh[:B, 2 * H :]
        hprev[r] = hp[:B]
        a[:, 2 * H :] += a[:, :H] * ghn[r]

    @staticmethod
    def gru_forward_out(A, y, hp, off, B, H):
        r = slice(off, off + B)
        n = A[r, 2 * H :]
        xp.subtract(hp[:B], n, out=y[r])
        y[r] *= A[r, H : 2 * H]
        y[r] += n
        hp[:B] = y[r]

    @staticmethod
    def gru_backward_step(A, ghn, hprev, gy, d, dGx, dGh, off, B, H):
        r = slice(off, off + B)
        d, a, gx, gh = d[:B], A[r], dGx[r], dGh[r]
        d += gy[r]
        rr, z, n = a[:, :H], a[:, H : 2 * H], a[:, 2 * H :]
        dan = d * (1 - z) * (1 - n * n)
        gx[:, 2 * H :] = dan
        gx[:, H : 2 * H] = d * (hprev[r] - n) * z * (1 - z)
        gx[:, :H] = dan * ghn[r] * rr * (1 - rr)
        gh[:, : 2 * H] = gx[:, : 2 * H]
        gh[:, 2 * H :] = dan * rr
        d *= z

    @staticmethod
    def rnn_backward_step(y, gy, d, dA, off, B, H, relu):
        r = slice(off, off + B)
        d = d[:B]
        d += gy[r]
        if relu:
            xp.multiply(d, y[r] > 0, out=dA[r])
        else:
            xp.multiply(d, 1 - y[r] * y[r], out=dA[r])


class Schedule:
    """The order of time steps: ``rows[k]`` is ``(offset, B)`` for the k-th step run.

    ``S`` packed rows in all, ``N`` sequences (the largest batch size), ``T`` steps.
    """

    __slots__ = ("rows", "S", "N", "T")

    def __init__(self, batch_sizes: tuple, reverse: bool):
        offsets = np.concatenate([[0], np.cumsum(batch_sizes)[:-1]]).astype(int).tolist()
        rows = list(zip(offsets, batch_sizes))
        self.rows = rows[::-1] if reverse else rows
        self.S = int(sum(batch_sizes))
        self.N = int(batch_sizes[0]) if batch_sizes else 0
        self.T = len(batch_sizes)


@functools.lru_cache(maxsize=256)
def schedule(batch_sizes: tuple, reverse: bool = False) -> Schedule:
    """A cached :class:`Schedule` for ``batch_sizes`` (a tuple of non-increasing ints)."""
    return Schedule(tuple(int(b) for b in batch_sizes), bool(reverse))


@functools.lru_cache(maxsize=64)
def _half_rows(G: int, H: int, halves: tuple, dtype) -> np.ndarray:
    """A ``(G·H, 1)`` column: 0.5 on the rows of the gates listed in ``halves``, else 1.

    Gates that end in a sigmoid are computed as σ(a) = 0.5 tanh(a/2) + 0.5; scaling
    their weight rows by 0.5 (exact in floating point) lets one tanh call cover every
    gate of a step.
    """
    s = np.ones((G, H), dtype=dtype)
    s[list(halves)] = 0.5
    return s.reshape(G * H, 1)


def _initial(state, N: int, H: int, dtype):
    if state is None:
        return xp.zeros((N, H), dtype=dtype)
    return xp.array(state, dtype=dtype, copy=True)


def _inputs_and_states(x, S: int, H: int, dtype):
    """One ``(S, I + H)`` buffer holding each row's input and the hidden state it met.

    Returns ``(xh, hprev)``: the buffer with ``x`` copied in, and the view of its last
    ``H`` columns that the forward loop fills with h_{t-1}. Keeping both side by side
    lets backward get gW_ih and gW_hh from one multiply ``dGᵀ [X, H_prev]``.
    """
    I = x.shape[1]
    xh = xp.empty((S, I + H), dtype=dtype)
    xh[:, :I] = x
    return xh, xh[:, I:]


def _weight_grads(self, dGx, dGh, xh, w_ih):
    """The big end-of-sequence multiplies: gx, gW_ih, gW_hh, gb_ih, gb_hh.

    ``dGx``/``dGh`` ``(S, G·H)``: gradients of the input-side and hidden-side
    pre-activations (the same array except for GRU); ``xh`` ``(S, I + H)``.
    """
    need = self.needs_input_grad
    I = w_ih.shape[1]
    gx = dGx @ w_ih if need[0] else None
    gw_ih = gw_hh = None
    if need[3] and need[4] and dGh is dGx:
        gw = dGx.T @ xh
        gw_ih, gw_hh = xp.ascontiguousarray(gw[:, :I]), xp.ascontiguousarray(gw[:, I:])
    else:
        if need[3]:
            gw_ih = dGx.T @ xh[:, :I]
        if need[4]:
            gw_hh = dGh.T @ xh[:, I:]
    gb_ih = dGx.sum(axis=0) if need[5] else None
    if not need[6]:
        gb_hh = None
    elif dGh is dGx:
        gb_hh = gb_ih if gb_ih is not None else dGx.sum(axis=0)
    else:
        gb_hh = dGh.sum(axis=0)
    return gx, gw_ih, gw_hh, gb_ih, gb_hh


class _Sequence(Function):
    """Shared signature: ``forward(x, h0, c0, w_ih, w_hh, b_ih, b_hh, *, sched)``.

    ``x`` ``(S, I)`` packed rows; ``h0``/``c0`` ``(N, H)`` or None (zeros); ``c0`` is
    None except for LSTM; biases None when the layer has none. Returns ``(S + N, H)``
    (``(S + 2N, H)`` for LSTM). Backward returns one gradient per argument.
    """

    # Backpropagation through time: each step's derivative chains through every later one.
    formula = Local(1.0, "Σ over time steps of the chained per-step derivatives", generic=True)


class _SimpleRNN(_Sequence):
    """h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), act = tanh or relu.

    Derivative: da_t = dh_t ⊙ act'(a_t), dh_{t-1} = da_t W_hh.
    """

    relu = False

    def forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, *, sched: Schedule):
        S, N = sched.S, sched.N
        H = w_hh.shape[1]
        dt = w_hh.dtype
        out = xp.empty((S + N, H), dtype=dt)
        y = out[:S]
        xp.matmul(x, w_ih.T, out=y)
        if b_ih is not None:
            y += b_ih + b_hh
        h = _initial(h0, N, H, dt)
        xh, hprev = _inputs_and_states(x, S, H, dt)
        whT = w_hh.T
        tmp = xp.empty((N, H), dtype=dt)
        for off, B in sched.rows:
            hp = h[:B]
            a = y[off : off + B]
            hprev[off : off + B] = hp
            xp.matmul(hp, whT, out=tmp[:B])
            a += tmp[:B]
            if self.relu:
                xp.maximum(a, 0, out=a)
            else:
                xp.tanh(a, out=a)
            hp[...] = a
        out[S:] = h
        self.xh, self.y = xh, y
        self.w_ih, self.w_hh, self.sched = w_ih, w_hh, sched
        return out

    def backward(self, gy):
        sched, y, w_hh = self.sched, self.y, self.w_hh
        S, H = sched.S, w_hh.shape[1]
        K = step_kernels()
        dh = xp.array(gy[S:], copy=True)
        dA = xp.empty_like(y)
        for off, B in reversed(sched.rows):
            K.rnn_backward_step(y, gy, dh, dA, off, B, H, self.relu)
            xp.matmul(dA[off : off + B], w_hh, out=dh[:B])
        gx, gw_ih, gw_hh, gb_ih, gb_hh = _weight_grads(self, dA, dA, self.xh, self.w_ih)
        gh0 = dh if self.needs_input_grad[1] else None
        return gx, gh0, None, gw_ih, gw_hh, gb_ih, gb_hh


class RNNTanhSequence(_SimpleRNN):
    name, relu = "rnn_tanh", False


class RNNReLUSequence(_SimpleRNN):
    name, relu = "rnn_relu", True


class LSTMSequence(_Sequence):
    """i, f, g, o = σ, σ, tanh, σ of (W_ih x_t + b_ih + W_hh h_{t-1} + b_hh) split in 4;
    c_t = f c_{t-1} + i g, h_t = o tanh(c_t).

    Derivatives: do = dh tanh(c); dc += dh o (1 - tanh²c); di = dc g; df = dc c_{t-1};
    dg = dc i; dc_{t-1} = dc f; pre-activation grads multiply by σ(1-σ) or 1 - tanh².
    """

    name = "lstm"

    def forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, *, sched: Schedule):
        S, N = sched.S, sched.N
        H = w_hh.shape[1]
        dt = w_hh.dtype
        K = step_kernels()
        half = _half_rows(4, H, (0, 1, 3), dt)  # i, f, o end in a sigmoid
        A = x @ (w_ih * half).T  # (S, 4H): pre-activations, then activations in place
        if b_ih is not None:
            A += (b_ih + b_hh) * half[:, 0]
        whT = (w_hh * half).T
        out = xp.empty((S + 2 * N, H), dtype=dt)
        y = out[:S]
        h = _initial(h0, N, H, dt)
        c = _initial(c0, N, H, dt)
        xh, hprev = _inputs_and_states(x, S, H, dt)
        cprev = xp.empty((S, H), dtype=dt)
        tc = xp.empty((S, H), dtype=dt)
        tmp = xp.empty((N, 4 * H), dtype=dt)
        for off, B in sched.rows:
            g, u = A[off : off + B], tmp[:B]
            hprev[off : off + B] = h[:B]
            xp.matmul(h[:B], whT, out=u)
            g += u
            xp.tanh(g, out=g)
            K.lstm_forward_cell(A, c, cprev, off, B, H)
            xp.tanh(c[:B], out=tc[off : off + B])
            K.lstm_forward_out(A, tc, y, h, off, B, H)
        out[S : S + N] = h
        out[S + N :] = c
        self.xh, self.A, self.tc, self.cprev = xh, A, tc, cprev
        self.w_ih, self.w_hh, self.sched = w_ih, w_hh, sched
        return out

    def backward(self, gy):
        sched, A, w_hh = self.sched, self.A, self.w_hh
        S, N = sched.S, sched.N
        H = w_hh.shape[1]
        K = step_kernels()
        dh = xp.array(gy[S : S + N], copy=True)
        dc = xp.array(gy[S + N :], copy=True)
        dG = xp.empty_like(A)
        tc, cprev = self.tc, self.cprev
        for off, B in reversed(sched.rows):
            K.lstm_backward_step(A, tc, cprev, gy, dh, dc, dG, off, B, H)
            xp.matmul(dG[off : off + B], w_hh, out=dh[:B])
        gx, gw_ih, gw_hh, gb_ih, gb_hh = _weight_grads(self, dG, dG, self.xh, self.w_ih)
        need = self.needs_input_grad
        return (gx, dh if need[1] else None, dc if need[2] else None,
                gw_ih, gw_hh, gb_ih, gb_hh)


class GRUSequence(_Sequence):
    """r, z = σ(W_i{r,z} x + b_i{r,z} + W_h{r,z} h + b_h{r,z});
    n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)); h' = (1 - z) n + z h.

    Derivatives: dn = dh (1 - z); dz = dh (h - n); da_n = dn (1 - n²);
    da_r = da_n (W_hn h + b_hn) r (1 - r); dh_prev = dh z + [da_r, da_z, da_n r] W_hh.
    """

    name = "gru"

    def forward(self, x, h0, c0, w_ih, w_hh, b_ih, b_hh, *, sched: Schedule):
        S, N = sched.S, sched.N
        H = w_hh.shape[1]
        dt = w_hh.dtype
        K = step_kernels()
        half = _half_rows(3, H, (0, 1), dt)  # r, z end in a sigmoid
        A = x @ (w_ih * half).T  # (S, 3H): r, z, n activations after the loop
        bhn = None
        if b_ih is not None:
            b = b_ih.copy()
            b[: 2 * H] += b_hh[: 2 * H]
            A += b * half[:, 0]
            bhn = b_hh[2 * H :]
        whT = (w_hh * half).T
        out = xp.empty((S + N, H), dtype=dt)
        y = out[:S]
        h = _initial(h0, N, H, dt)
        xh, hprev = _inputs_and_states(x, S, H, dt)
        ghn = xp.empty((S, H), dtype=dt)  # W_hn h + b_hn, needed by backward
        tmp = xp.empty((N, 3 * H), dtype=dt)
        for off, B in sched.rows:
            gh = tmp[:B]
            xp.matmul(h[:B], whT, out=gh)
            if bhn is not None:
                gh[:, 2 * H :] += bhn
            rz = A[off : off + B, : 2 * H]
            rz += gh[:, : 2 * H]
            xp.tanh(rz, out=rz)
            K.gru_forward_gate(A, gh, ghn, hprev, h, off, B, H)
            n = A[off : off + B, 2 * H :]
            xp.tanh(n, out=n)
            K.gru_forward_out(A, y, h, off, B, H)
        out[S:] = h
        self.xh, self.hprev, self.A, self.ghn = xh, hprev, A, ghn
        self.w_ih, self.w_hh, self.sched = w_ih, w_hh, sched
        return out

    def backward(self, gy):
        sched, A, w_hh = self.sched, self.A, self.w_hh
        S, H = sched.S, w_hh.shape[1]
        K = step_kernels()
        dh = xp.array(gy[S:], copy=True)
        dGx = xp.empty_like(A)
        dGh = xp.empty_like(A)
        tmp = xp.empty((sched.N, H), dtype=A.dtype)
        ghn, hprev = self.ghn, self.hprev
        for off, B in reversed(sched.rows):
            K.gru_backward_step(A, ghn, hprev, gy, dh, dGx, dGh, off, B, H)
            u = tmp[:B]
            xp.matmul(dGh[off : off + B], w_hh, out=u)
            dh[:B] += u
        gx, gw_ih, gw_hh, gb_ih, gb_hh = _weight_grads(self, dGx, dGh, self.xh, self.w_ih)
        return gx, dh if self.needs_input_grad[1] else None, None, gw_ih, gw_hh, gb_ih, gb_hh


KERNELS = {
    "RNN_TANH": RNNTanhSequence,
    "RNN_RELU": RNNReLUSequence,
    "LSTM": LSTMSequence,
    "GRU": GRUSequence,
}


def rnn_layer(mode: str, x: Tensor, h0, c0, w_ih, w_hh, b_ih=None, b_hh=None,
              batch_sizes: tuple | None = None, reverse: bool = False):
    """Run one layer in one direction over a packed sequence.

    ``x`` ``(S, I)`` packed rows (``batch_sizes`` as in a PackedSequence; None means one
    step of ``S`` rows), ``h0``/``c0`` ``(N, H)`` or None, weights as in PyTorch:
    ``w_ih`` ``(G·H, I)``, ``w_hh`` ``(G·H, H)``, biases ``(G·H,)``. Returns
    ``(y, h_n, c_n)``: ``y`` ``(S, H)``, ``h_n``/``c_n`` ``(N, H)`` (``c_n`` None unless
    ``mode == "LSTM"``).
    """
    if batch_sizes is None:
        batch_sizes = (x.shape[0],)
    sched = schedule(tuple(batch_sizes), reverse)
    out = KERNELS[mode].apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, sched=sched)
    S, N = sched.S, sched.N
    y = out[:S]
    h_n = out[S : S + N]
    c_n = out[S + N :] if mode == "LSTM" else None
    return y, h_n, c_n


# --- packing: gathering padded rows into packed order and back -------------------------


class PackRows(Function):
    """``x[t_idx, n_idx]``: padded ``(T, N, *)`` (or ``(N, T, *)``) -> packed ``(S, *)``.

    The index pairs are distinct, so backward scatters with a plain assignment.
    """

    name, formula = "pack_rows", (1.0, None)

    def forward(self, x, idx):
        self.shape, self.idx = x.shape, idx
        return x[idx]

    def backward(self, gy):
        gx = xp.zeros(self.shape, dtype=gy.dtype)
        gx[self.idx] = gy
        return gx, None


class UnpackRows(Function):
    """Packed ``(S, *)`` -> padded ``shape`` with zeros (``padding_value``) elsewhere."""

    name, formula = "unpack_rows", (1.0, None, None, None)

    def forward(self, data, idx, shape, padding_value):
        self.idx = idx
        out = xp.full(shape + data.shape[1:], padding_value, dtype=data.dtype)
        out[idx] = data
        return out

    def backward(self, gy):
        return gy[self.idx], None, None, None
