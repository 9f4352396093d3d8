"""The pure-NumPy training kernel: the fallback when numba is not installed.

Same inputs and the same algorithm as the compiled kernel (subsampling, reduced window,
negative sampling from the unigram**ns_exponent table, linear learning-rate decay), but
vectorised over mini-batches of (input, target) pairs instead of one pair at a time:
every pair in a batch reads the weights as they were when the batch started, and the
updates are summed in (repeated rows added together). That is mini-batch SGD rather than the
original's strictly sequential updates, and several times slower than the compiled
kernel; install ``glassnet[fast]`` (numba) for the fast path.

Hierarchical softmax gathers each pair's Huffman path (``points``/``codes`` rows, padded
to the longest path in the batch and masked by ``codelens``). With both output layers on,
both see the same (stale) input and their gradients are summed. The loss (when asked for)
is computed exactly, ``-log sigmoid(z) = log(1 + exp(-z))``, over the same terms the
compiled kernel counts (those with ``|f| < MAX_EXP``).
"""

from __future__ import annotations

import numpy as np

MAX_EXP = 6.0
PAIRS_PER_BATCH = 512


def batch_size(vocab_size: int) -> int:
    """Pairs per mini-batch: PAIRS_PER_BATCH, but at most a quarter of the vocabulary
    (at least 16), so that one batch does not sum dozens of stale updates into the same
    row of a small vocabulary, which makes the weights diverge."""
    return max(16, min(PAIRS_PER_BATCH, vocab_size // 4))


def _sigmoid_clipped(f: np.ndarray) -> np.ndarray:
    """sigmoid(f), exactly 0 below -MAX_EXP and 1 above MAX_EXP (the original's clipping)."""
    s = 1.0 / (1.0 + np.exp(-np.clip(f, -MAX_EXP, MAX_EXP)))
    s[f > MAX_EXP] = 1.0
    s[f < -MAX_EXP] = 0.0
    return s


def _scatter_add(M: np.ndarray, rows: np.ndarray, vals: np.ndarray) -> None:
    """M[rows] += vals with repeated rows summed (np.add.at, done by sort + reduceat,
    which is several times faster)."""
    order = np.argsort(rows, kind="stable")
    r = rows[order]
    starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
    M[r[starts]] += np.add.reduceat(vals[order], starts, axis=0)


def _loss(f: np.ndarray, sign: np.ndarray, mask: np.ndarray) -> float:
    """sum of -log sigmoid(sign * f) over the masked terms with |f| < MAX_EXP."""
    ok = mask & (np.abs(f) < MAX_EXP)
    return float(np.logaddexp(0.0, -(sign * f)[ok].astype(np.float64)).sum())


def _hs_step(h, targets, alpha, syn1, codes, points, codelens, loss):
    """Hierarchical softmax for inputs h (M, D) predicting targets (M,) at rates alpha (M,):
    updates syn1 and returns the inputs' gradient steps (M, D); adds the loss to loss[0]
    when ``loss`` is given."""
    lens = codelens[targets]
    L = int(lens.max(initial=0))
    if L == 0:
        return np.zeros_like(h)
    P = points[targets, :L]  # (M, L) inner nodes on each path
    C = codes[targets, :L].astype(np.float32)
    mask = np.arange(L)[None, :] < lens[:, None]
    W = syn1[P]  # (M, L, D)
    f = np.matmul(W, h[:, :, None])[:, :, 0]  # (M, L)
    g = ((1.0 - C - _sigmoid_clipped(f)) * mask * alpha[:, None]).astype(np.float32)
    gh = np.matmul(g[:, None, :], W)[:, 0, :]
    _scatter_add(syn1, P[mask], (g[:, :, None] * h[:, None, :])[mask])
    if loss is not None:
        loss[0] += _loss(f, 1.0 - 2.0 * C, mask)
    return gh


def _negative_step(h, targets, alpha, syn1neg, cum, negative, gen, loss=None):
    """Inputs h (M, D), positive targets (M,), rates alpha (M,): updates syn1neg and
    returns the inputs' gradient steps (M, D); adds the loss to loss[0] when ``loss`` is
    given."""
    M = h.shape[0]
    draws = gen.integers(0, int(cum[-1]), size=(M, negative), dtype=np.int64)
    negs = np.searchsorted(cum, draws, side="right")
    tg = np.concatenate([targets[:, None], negs], axis=1)  # (M, K+1)
    label = np.zeros(tg.shape, dtype=np.float32)
    label[:, 0] = 1.0
    keep = np.ones(tg.shape, dtype=np.float32)
    keep[:, 1:] = negs != targets[:, None]
    W = syn1neg[tg]  # (M, K+1, D)
    f = np.matmul(W, h[:, :, None])[:, :, 0]  # (M, K+1): each target's score
    g = ((label - _sigmoid_clipped(f)) * keep * alpha[:, None]).astype(np.float32)
    gh = np.matmul(g[:, None, :], W)[:, 0, :]  # (M, D)
    _scatter_add(syn1neg, tg.ravel(), (g[:, :, None] * h[:, None, :]).reshape(-1, h.shape[1]))
    if loss is not None:
        loss[0] += _loss(f, 2.0 * label - 1.0, keep > 0)
    return gh


def _output_step(h, targets, alpha, syn1neg, syn1, cum, codes, points, codelens, hs,
                 negative, gen, loss):
    """Both output layers (those switched on) for the same inputs; their input gradients
    summed."""
    gh = None
    if hs:
        gh = _hs_step(h, targets, alpha, syn1, codes, points, codelens, loss)
    if negative > 0:
        g2 = _negative_step(h, targets, alpha, syn1neg, cum, negative, gen, loss)
        gh = g2 if gh is None else gh + g2
    return gh


def _pairs(n, sent, eff):
    """(center, context) position pairs within each reduced window, in center order."""
    centers, contexts = [], []
    i = np.arange(n)
    for o in range(1, int(eff.max(initial=0)) + 1):
        ok = eff[o:] >= o  # center i = o.., context i - o
        ok &= sent[o:] == sent[:-o]
        centers.append(i[o:][ok])
        contexts.append(i[o:][ok] - o)
        ok = eff[:-o] >= o  # center i = ..n-o, context i + o
        ok &= sent[:-o] == sent[o:]
        centers.append(i[:-o][ok])
        contexts.append(i[:-o][ok] + o)
    if not centers:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    c = np.concatenate(centers)
    x = np.concatenate(contexts)
    order = np.argsort(c, kind="stable")
    return c[order], x[order]


def train_job(syn0, syn1neg, syn1, words, bounds, sample_int, use_sample, cum, codes, points,
              codelens, sg, cbow_mean, hs, negative, window, shrink, compute_loss, alpha0,
              alpha1, gen, loss_out):
    """Train on one job (see the compiled kernel for the layout); returns the number of
    words trained on after subsampling. ``gen`` is this thread's numpy Generator; the
    job's loss is added to ``loss_out[0]`` when ``compute_loss``."""
    loss = loss_out if compute_loss else None
    out = (syn1neg, syn1, cum, codes, points, codelens, hs, negative, gen, loss)
    n_total = max(len(words), 1)
    keep = words >= 0
    if use_sample:
        draws = gen.integers(0, 2**32, size=len(words), dtype=np.uint64)
        keep[keep] = sample_int[words[keep]].astype(np.uint64) >= draws[keep]
    idx = np.flatnonzero(keep)
    kw = words[idx].astype(np.int64)
    n = len(kw)
    if n == 0:
        return 0
    sent = np.searchsorted(bounds, idx, side="right") - 1
    b = gen.integers(0, window, size=n) if shrink else np.zeros(n, np.int64)
    eff = window - b
    centers, contexts = _pairs(n, sent, eff)
    rate = (alpha0 + (alpha1 - alpha0) * (idx / n_total)).astype(np.float32)
    B = batch_size(syn0.shape[0])
    if sg:
        for s in range(0, len(centers), B):
            c = centers[s : s + B]
            rows = kw[contexts[s : s + B]]
            gh = _output_step(syn0[rows], kw[c], rate[c], *out)
            _scatter_add(syn0, rows, gh)
        return n
    # CBOW: batches of whole centers, so each center's context sum is complete
    starts = np.flatnonzero(np.r_[True, centers[1:] != centers[:-1]]) if len(centers) else []
    step = max(1, B // (2 * window))
    for s in range(0, len(starts), step):
        lo = starts[s]
        hi = starts[s + step] if s + step < len(starts) else len(centers)
        c, x = centers[lo:hi], contexts[lo:hi]
        uc, inv, cw = np.unique(c, return_inverse=True, return_counts=True)
        neu1 = np.zeros((len(uc), syn0.shape[1]), dtype=np.float32)
        _scatter_add(neu1, inv, syn0[kw[x]])
        scale = (1.0 / cw).astype(np.float32)[:, None]
        if cbow_mean:
            neu1 *= scale
        gh = _output_step(neu1, kw[uc], rate[uc], *out)
        if not cbow_mean:
            gh *= scale
        _scatter_add(syn0, kw[x], gh[inv])
    return n


# --- the kernel interface the model calls (the same three functions in _numba_kernel) ----


def prepare(model) -> tuple:
    """What every job shares: the weight arrays, the noise distribution as a cumulative
    table (searched with ``searchsorted``), the Huffman tree and the options."""
    return (model.wv.vectors, model.syn1neg, model.syn1, model.wv.expandos["sample_int"],
            model.sample > 0, model.cum_table, model.hs_codes, model.hs_points,
            model.hs_codelens, model.sg, model.cbow_mean, bool(model.hs), model.negative,
            model.window, model.shrink_windows, model.compute_loss)


def new_state(seed: int, thread: int, vector_size: int):
    """One thread's NumPy generator."""
    return np.random.default_rng([seed, thread])


def run_job(shared: tuple, words, bounds, alpha0: float, alpha1: float, state, loss) -> int:
    """Train on one job; returns the words trained on after subsampling. Adds the job's
    loss to ``loss[0]`` (float64) when the model computes it."""
    return train_job(*shared[:3], words, bounds, *shared[3:], alpha0, alpha1, state, loss)
