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

Hierarchical softmax walks the word's Huffman path (``points``/``codes`` rows, ``codelens``
long) in ``syn1``. With both output layers on, the input's gradient from both is summed
in ``work`` and applied once, as the original tool does. With ``compute_loss`` each
non-saturated term adds ``-log sigmoid(+-f)`` (from a table, like the sigmoid) to
``loss[0]``.
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


def make_log_table() -> np.ndarray:
    """log(sigmoid(x)) on the same grid as :func:`make_exp_table` (float32)."""
    return np.log(make_exp_table().astype(np.float64)).astype(np.float32)


_SCALE = EXP_TABLE_SIZE / MAX_EXP / 2.0
# read-only, so the compiled code holds it as a constant: one array argument fewer per
# prediction (each array passed between compiled functions costs reference counting)
_LOG_TABLE = make_log_table()


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


# Speed: the step functions run once per prediction, and every array passed between
# compiled functions costs reference counting; so they take only the arrays they use (the
# log-sigmoid table is a compiled-in constant, the loss comes back as a scalar) and the
# options are scalars. The negative-sampling path then runs as fast as before hierarchical
# softmax and the loss were added (one more array argument per call cost it 5-10%).
# (Variants specialised on the options, made by a closure, were tried: numba cannot cache
# closures across processes, so every run compiled them again.)


@njit(nogil=True, cache=True, fastmath=True)
def _hs_step(h, word, syn1, codes, points, codelens, alpha, exp_table, work, compute_loss):
    """Hierarchical softmax for input ``h`` (D,) predicting ``word``: one logistic
    regression per inner node on its Huffman path (label ``1 - code``); updates syn1 rows,
    accumulates the input's gradient in ``work``. Returns this step's loss (0 unless
    ``compute_loss``)."""
    D = h.shape[0]
    loss = 0.0
    for b in range(codelens[word]):
        node = points[word, b]
        f = np.float32(0.0)
        for k in range(D):
            f += h[k] * syn1[node, k]
        if f >= MAX_EXP or f <= -MAX_EXP:
            continue
        code = codes[word, b]
        g = np.float32((np.float32(1 - code) - exp_table[int((f + MAX_EXP) * _SCALE)]) * alpha)
        if compute_loss:
            z = f if code == 0 else -f
            loss -= _LOG_TABLE[int((z + MAX_EXP) * _SCALE)]
        for k in range(D):
            work[k] += g * syn1[node, k]
            syn1[node, k] += g * h[k]
    return loss


@njit(nogil=True, cache=True, fastmath=True)
def _negative_step(h, word, syn1neg, thresh, alias, negative, alpha, exp_table, work, r,
                   compute_loss):
    """One positive and ``negative`` noise targets for input vector ``h`` (D,):
    updates syn1neg rows in place, accumulates the input's gradient in ``work`` (D,).
    Returns the advanced random state and this step's loss (0 unless ``compute_loss``)."""
    D = h.shape[0]
    V = np.uint64(thresh.shape[0])
    loss = 0.0
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
        g = np.float32((label - exp_table[int((f + MAX_EXP) * _SCALE)]) * alpha)
        if compute_loss:
            z = f if d == 0 else -f
            loss -= _LOG_TABLE[int((z + MAX_EXP) * _SCALE)]
        for k in range(D):
            work[k] += g * syn1neg[target, k]
            syn1neg[target, k] += g * h[k]
    return r, loss


@njit(nogil=True, cache=True, fastmath=True)
def train_job(syn0, syn1neg, syn1, words, bounds, sample_int, use_sample, thresh, alias, codes,
              points, codelens, sg, cbow_mean, hs, negative, window, shrink, compute_loss,
              alpha0, alpha1, exp_table, rng, neu1, work, loss_out):
    """Train on one job; returns the number of words trained on (after subsampling).

    syn0, syn1neg, syn1: (V, D) float32 (syn1neg/syn1 (0, D) when their layer is off),
    updated in place. neu1, work: (D,) float32 scratch. loss_out: (1,) float64, the
    job's loss is added to it when ``compute_loss``.
    """
    D = syn0.shape[1]
    loss = 0.0
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
                    if hs:
                        loss += _hs_step(syn0[row], word, syn1, codes, points, codelens, alpha,
                                         exp_table, work, compute_loss)
                    if negative > 0:
                        r, lneg = _negative_step(syn0[row], word, syn1neg, thresh, alias,
                                                 negative, alpha, exp_table, work, r,
                                                 compute_loss)
                        loss += lneg
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
                if hs:
                    loss += _hs_step(neu1, word, syn1, codes, points, codelens, alpha, exp_table,
                                     work, compute_loss)
                if negative > 0:
                    r, lneg = _negative_step(neu1, word, syn1neg, thresh, alias, negative, alpha,
                                             exp_table, work, r, compute_loss)
                    loss += lneg
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
    if compute_loss:
        loss_out[0] += loss
    return effective


# --- the kernel interface the model calls (the same three functions in _numpy_kernel) ----


def prepare(model) -> tuple:
    """What every job shares: the weight arrays, the noise distribution as Walker's alias
    table (O(1) draws), the Huffman tree and the options, plus the sigmoid lookup table."""
    from .corpus import alias_table

    thresh, alias = alias_table(model.wv.expandos["count"], model.ns_exponent)
    return (model.wv.vectors, model.syn1neg, model.syn1, model.wv.expandos["sample_int"],
            model.sample > 0, thresh, alias, model.hs_codes, model.hs_points,
            model.hs_codelens, model.sg, model.cbow_mean, bool(model.hs), model.negative,
            model.window, model.shrink_windows, model.compute_loss, make_exp_table())


def new_state(seed: int, thread: int, vector_size: int) -> tuple:
    """One thread's random state (a 64-bit LCG word) and its scratch vectors."""
    state = np.array([seed * 1000003 + 7919 * thread + 1], dtype=np.uint64)
    return state, np.zeros(vector_size, np.float32), np.zeros(vector_size, np.float32)


def run_job(shared: tuple, words, bounds, alpha0: float, alpha1: float, state, loss) -> int:
    """Train on one job; returns the words trained on after subsampling. Adds the job's
    loss to ``loss[0]`` (float64) when the model computes it."""
    *opts, exp_table = shared
    return train_job(*opts[:3], words, bounds, *opts[3:], alpha0, alpha1, exp_table, *state,
                     loss)
