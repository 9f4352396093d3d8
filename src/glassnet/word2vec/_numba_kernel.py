"""The compiled training kernel (numba): one call trains one job of sentences.

Imported only when training starts, and only if numba is installed (the ``glassnet[fast]``
extra). Each kernel call runs with the GIL released, so several Python threads train at
once on the shared weight matrices without locks (Hogwild, as the original tool does).

A job arrives as ``words`` (int32 vocabulary indices, -1 for out-of-vocabulary tokens,
all sentences concatenated) and ``bounds`` (int64, sentence ``s`` is
``words[bounds[s]:bounds[s+1]]``). The learning rate falls linearly from ``alpha0`` at
the job's first token to ``alpha1`` after its last.

The random stream is the original tool's linear congruential generator
``r = r * 25214903917 + 11`` (mod 2**64), one state per thread, kept in ``rng[0]``.
Noise words come from a Walker alias table (``thresh``, ``alias``) of the unigram
distribution raised to ``ns_exponent``: two random numbers per draw, no search.
"""

from __future__ import annotations

import numpy as np
from numba import njit

MAX_EXP = 6.0
EXP_TABLE_SIZE = 1000

_MUL = np.uint64(25214903917)
_ADD = np.uint64(11)
_MASK32 = np.uint64(0xFFFFFFFF)
_SH16 = np.uint64(16)


def make_exp_table() -> np.ndarray:
    """sigmoid(x) tabulated on [-MAX_EXP, MAX_EXP) in EXP_TABLE_SIZE steps (float32)."""
    x = (np.arange(EXP_TABLE_SIZE) / EXP_TABLE_SIZE * 2 - 1) * MAX_EXP
    e = np.exp(x)
    return (e / (e + 1)).astype(np.float32)


@njit(nogil=True, cache=True, fastmath=True)
def _negative_step(h, word, syn1neg, thresh, alias, negative, alpha, exp_table, work, r):
    """One positive and ``negative`` noise targets for input vector ``h`` (D,):
    updates syn1neg rows in place, accumulates the input's gradient in ``work`` (D,).
    Returns the advanced random state."""
    D = h.shape[0]
    V = np.uint64(thresh.shape[0])
    for d in range(negative + 1):
        if d == 0:
            target = word
            label = 1.0
        else:
            r = r * _MUL + _ADD
            target = np.int64(((r >> _SH16) & _MASK32) * V >> np.uint64(32))
            r = r * _MUL + _ADD
            if ((r >> _SH16) & _MASK32) >= np.uint64(thresh[target]):
                target = alias[target]
            if target == word:
                continue
            label = 0.0
        f = np.float32(0.0)
        for k in range(D):
            f += h[k] * syn1neg[target, k]
        # as gensim: no update where the sigmoid saturates (|f| >= MAX_EXP); the original
        # tool applies the saturated gradient (label - 0 or 1) there instead
        if f >= MAX_EXP or f <= -MAX_EXP:
            continue
        g = np.float32((label - exp_table[int((f + MAX_EXP) * (EXP_TABLE_SIZE / MAX_EXP / 2.0))])
                       * alpha)
        for k in range(D):
            work[k] += g * syn1neg[target, k]
            syn1neg[target, k] += g * h[k]
    return r


@njit(nogil=True, cache=True)
def _subsample(words, lo, hi, sample_int, use_sample, kept, pos, r):
    """Copy in-vocabulary words of words[lo:hi] that survive subsampling into
    ``kept``, their job positions into ``pos``; return (count, random state)."""
    n = 0
    for p in range(lo, hi):
        w = words[p]
        if w < 0:
            continue
        if use_sample:
            r = r * _MUL + _ADD
            if np.uint64(sample_int[w]) < ((r >> _SH16) & _MASK32):
                continue
        kept[n] = w
        pos[n] = p
        n += 1
    return n, r


@njit(nogil=True, cache=True, fastmath=True)
def train_job(syn0, syn1neg, words, bounds, sample_int, use_sample, thresh, alias, sg, cbow_mean,
              negative, window, shrink, alpha0, alpha1, exp_table, rng, neu1, work):
    """Train on one job; returns the number of words trained on (after subsampling).

    syn0, syn1neg: (V, D) float32, updated in place. neu1, work: (D,) float32 scratch.
    """
    D = syn0.shape[1]
    n_total = max(words.shape[0], 1)
    kept = np.empty(words.shape[0], dtype=np.int32)
    pos = np.empty(words.shape[0], dtype=np.int64)
    r = rng[0]
    effective = 0
    for s in range(bounds.shape[0] - 1):
        n, r = _subsample(words, bounds[s], bounds[s + 1], sample_int, use_sample, kept, pos, r)
        effective += n
        for i in range(n):
            alpha = np.float32(alpha0 + (alpha1 - alpha0) * (pos[i] / n_total))
            b = 0
            if shrink:
                r = r * _MUL + _ADD
                b = np.int64(((r >> _SH16) & _MASK32) % np.uint64(window))
            lo = max(0, i - window + b)
            hi = min(n, i + window + 1 - b)
            word = kept[i]
            if sg:
                for j in range(lo, hi):
                    if j == i:
                        continue
                    row = kept[j]
                    for k in range(D):
                        work[k] = 0.0
                    r = _negative_step(syn0[row], word, syn1neg, thresh, alias, negative, alpha,
                                       exp_table, work, r)
                    for k in range(D):
                        syn0[row, k] += work[k]
            else:
                for k in range(D):
                    neu1[k] = 0.0
                cw = 0
                for j in range(lo, hi):
                    if j == i:
                        continue
                    row = kept[j]
                    for k in range(D):
                        neu1[k] += syn0[row, k]
                    cw += 1
                if cw == 0:
                    continue
                inv = np.float32(1.0 / cw)
                if cbow_mean:
                    for k in range(D):
                        neu1[k] *= inv
                for k in range(D):
                    work[k] = 0.0
                r = _negative_step(neu1, word, syn1neg, thresh, alias, negative, alpha, exp_table,
                                   work, r)
                if not cbow_mean:
                    for k in range(D):
                        work[k] *= inv
                for j in range(lo, hi):
                    if j == i:
                        continue
                    row = kept[j]
                    for k in range(D):
                        syn0[row, k] += work[k]
    rng[0] = r
    return effective


# --- the kernel interface the model calls (the same three functions in _numpy_kernel) ----


def prepare(model) -> tuple:
    """What every job shares: the weight arrays, the noise distribution as Walker's alias
    table (O(1) draws) and the options, plus the sigmoid lookup table."""
    from .corpus import alias_table

    thresh, alias = alias_table(model.wv.expandos["count"], model.ns_exponent)
    return (model.wv.vectors, model.syn1neg, model.wv.expandos["sample_int"],
            model.sample > 0, thresh, alias, model.sg, model.cbow_mean, model.negative,
            model.window, model.shrink_windows, make_exp_table())


def new_state(seed: int, thread: int, vector_size: int) -> tuple:
    """One thread's random state (a 64-bit LCG word) and its scratch vectors."""
    state = np.array([seed * 1000003 + 7919 * thread + 1], dtype=np.uint64)
    return state, np.zeros(vector_size, np.float32), np.zeros(vector_size, np.float32)


def run_job(shared: tuple, words, bounds, alpha0: float, alpha1: float, state) -> int:
    """Train on one job; returns the words trained on after subsampling."""
    *opts, exp_table = shared
    return train_job(*opts[:2], words, bounds, *opts[2:], alpha0, alpha1, exp_table, *state)
