"""Word2Vec: CBOW and skip-gram with negative sampling and/or hierarchical softmax,
trained by several threads.

The algorithm is the original one (Mikolov et al., 2013): a vocabulary of the words seen
at least ``min_count`` times, most frequent first; frequent words randomly dropped
(subsampling) with keep-probability ``(sqrt(c/t) + 1) t/c``, ``t = sample * total``; for
every remaining word a window shrunk by a random ``b`` in ``[0, window)``; skip-gram
predicts the word from each context word, CBOW from the mean (or sum) of the context
vectors; the learning rate falls linearly from ``alpha`` to ``min_alpha`` over all epochs.

Two output layers, used alone or together (their input gradients are summed):

- negative sampling (``negative > 0``, weights ``syn1neg``): one positive and
  ``negative`` noise words drawn from the unigram distribution raised to
  ``ns_exponent``, each a logistic regression ``sigmoid(h . syn1neg[w])``;
- hierarchical softmax (``hs=1``, weights ``syn1``): a Huffman tree over the vocabulary
  (:func:`huffman_tree`, built from the counts as the original tool builds it); predicting
  word ``w`` is a chain of binary decisions at the inner nodes on the path from the root
  to ``w``, ``P(w | h) = prod_k sigmoid((1 - 2 code_k) h . syn1[point_k])``.

With ``compute_loss=True`` the kernels add up, over every prediction, the terms
``-log sigmoid(+-h . v)`` (one per target of negative sampling, one per inner node of
hierarchical softmax), skipping terms where ``|h . v| >= 6`` (the sigmoid table's range),
as gensim does; :meth:`Word2Vec.get_latest_training_loss` returns the sum over the latest
:meth:`Word2Vec.train` call.

Threads: one producer reads the corpus (from disk, line by line) and turns sentences
into jobs of about ``batch_words`` vocabulary indices, held in a queue of at most
``2 * workers`` jobs; ``workers`` threads each run the training kernel on one job at a
time. With numba installed the kernel is compiled and releases the GIL, so the threads
run in parallel and update the shared weight matrices without locks (Hogwild, like the
original tool). Without numba a vectorised NumPy kernel runs instead (slower; see
``_numpy_kernel``). ``model.kernel`` says which one ran.
"""

from __future__ import annotations

import queue
import threading
import time
from itertools import repeat

import numpy as np

from .corpus import (
    MAX_WORDS_IN_BATCH,
    CorpusError,
    LineSentence,
    Sentences,
    Vocabulary,
    cum_table,
    sample_ints,
)
from .formats import load_arrays, save_arrays
from .keyedvectors import KeyedVectors

__all__ = ["Word2Vec", "available_kernel", "huffman_tree"]

_PARAMS = ("vector_size", "alpha", "window", "min_count", "max_vocab_size", "sample", "seed",
           "workers", "min_alpha", "sg", "hs", "negative", "ns_exponent", "cbow_mean", "epochs",
           "sorted_vocab", "batch_words", "shrink_windows", "compute_loss")


def _load_kernel(name: str = "auto"):
    """``(name, module)`` of the training kernel (each module offers ``prepare``,
    ``new_state`` and ``run_job``): numba's unless ``GLASSNET_KERNEL=numpy`` or numba
    cannot be imported (see :func:`glassnet.backend.kernel_choice`)."""
    from ..backend import kernel_choice

    name = kernel_choice(name, "Word2Vec")
    if name == "numba":
        from . import _numba_kernel

        return "numba", _numba_kernel
    from . import _numpy_kernel

    return "numpy", _numpy_kernel


def available_kernel() -> str:
    """The kernel training would use now: ``"numba"`` or ``"numpy"``."""
    return _load_kernel()[0]


def huffman_tree(counts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The Huffman tree of hierarchical softmax over words with these ``counts`` (V,).

    Built as the original word2vec tool builds it: leaves sorted by count, then V - 1 times
    the two lightest of (remaining leaves, inner nodes made so far) are joined under a new
    inner node (on a tie the inner node is taken first); inner node ``a`` is the ``a``-th
    made, so the root is ``V - 2``. The lighter child's branch has code 0, the other 1.
    Frequent words get short codes.

    Returns ``(codes, points, codelens)``: ``codes`` (V, L) uint8 and ``points`` (V, L)
    int32, where row ``w`` holds, from the root down, the inner nodes on ``w``'s path
    (``points[w, :codelens[w]]``, rows of ``syn1``) and the branch taken at each
    (``codes[w, :codelens[w]]``); ``L`` is the longest code. A one-word vocabulary has no
    inner node (codes of length 0).
    """
    counts = np.asarray(counts, dtype=np.int64)
    if counts.ndim != 1:
        raise ValueError(f"huffman_tree: counts must be 1-D, got shape {counts.shape}")
    V = len(counts)
    if V < 2:
        return (np.zeros((V, 0), np.uint8), np.zeros((V, 0), np.int32), np.zeros(V, np.int32))
    order = np.argsort(-counts, kind="stable")  # leaves, most frequent first
    weight = counts[order].tolist() + [0] * (V - 1)  # node ids: leaves 0..V-1, inner V..
    parent = [0] * (2 * V - 1)
    binary = [0] * (2 * V - 1)
    leaf, inner = V - 1, V  # next (lightest) unused leaf, next unused inner node
    for a in range(V - 1):
        pair = []
        for _ in range(2):
            if leaf >= 0 and (inner >= V + a or weight[leaf] < weight[inner]):
                pair.append(leaf)
                leaf -= 1
            else:
                pair.append(inner)
                inner += 1
        weight[V + a] = weight[pair[0]] + weight[pair[1]]
        parent[pair[0]] = parent[pair[1]] = V + a
        binary[pair[1]] = 1
    parent_a = np.array(parent, np.int64)
    binary_a = np.array(binary, np.uint8)
    root = 2 * V - 2
    # walk up from every leaf at once; ups[k] is the node k steps above the leaf
    node = np.arange(V, dtype=np.int64)
    up_codes, up_nodes = [], []
    lens = np.zeros(V, np.int32)
    active = np.ones(V, bool)
    while active.any():
        up_codes.append(np.where(active, binary_a[node], 0))
        lens += active
        node = np.where(active, parent_a[node], node)
        up_nodes.append(node)  # the parent: the inner node that decides this branch
        active &= node != root
    L = len(up_codes)
    up_c = np.stack(up_codes, axis=1)  # (V, L), bottom-up, valid for k < lens
    up_p = np.stack(up_nodes, axis=1) - V
    # reverse each row's first lens entries: top-down
    k = np.arange(L)[None, :]
    src = np.clip(lens[:, None] - 1 - k, 0, L - 1)
    valid = k < lens[:, None]
    codes_sorted = np.where(valid, np.take_along_axis(up_c, src, 1), 0).astype(np.uint8)
    points_sorted = np.where(valid, np.take_along_axis(up_p, src, 1), 0).astype(np.int32)
    codes = np.zeros((V, L), np.uint8)
    points = np.zeros((V, L), np.int32)
    lens_out = np.zeros(V, np.int32)
    codes[order] = codes_sorted
    points[order] = points_sorted
    lens_out[order] = lens
    return codes, points, lens_out


class Word2Vec:
    """Word embeddings learned by CBOW (``sg=0``) or skip-gram (``sg=1``).

    Parameters use gensim's names and defaults. Passing ``sentences`` (a re-iterable of
    token lists) or ``corpus_file`` (a path: one sentence per line, whitespace-separated)
    builds the vocabulary and trains at once; otherwise call :meth:`build_vocab` and
    :meth:`train`. The result is ``model.wv``, a :class:`KeyedVectors` of shape
    (vocabulary, vector_size). ``kernel`` picks the training kernel (``"auto"``:
    numba when installed, else NumPy).

    Output layers: ``negative`` noise words per prediction (negative sampling, weights
    ``syn1neg`` (V, vector_size)) and/or ``hs=1`` (hierarchical softmax over a Huffman
    tree, weights ``syn1`` (V - 1 used rows, vector_size)); at least one must be on.
    ``compute_loss=True`` makes :meth:`train` add up the loss (see
    :meth:`get_latest_training_loss`). ``build_vocab(..., update=True)`` grows a trained
    model's vocabulary; :meth:`predict_output_word` asks the negative-sampling layer for
    the likely center words of a context.

    >>> model = Word2Vec([["a", "b"]] * 50, vector_size=8, min_count=1, epochs=1,
    ...                  workers=1)
    >>> model.wv["a"].shape
    (8,)
    """

    def __init__(self, sentences=None, corpus_file=None, vector_size: int = 100,
                 alpha: float = 0.025, window: int = 5, min_count: int = 5,
                 max_vocab_size: int | None = None, sample: float = 1e-3, seed: int = 1,
                 workers: int = 3, min_alpha: float = 0.0001, sg: int = 0, hs: int = 0,
                 negative: int = 5, ns_exponent: float = 0.75, cbow_mean: int = 1,
                 epochs: int = 5, sorted_vocab: int = 1,
                 batch_words: int = MAX_WORDS_IN_BATCH, shrink_windows: bool = True,
                 compute_loss: bool = False, callbacks=(), kernel: str = "auto",
                 cache_encoded: bool = True):
        _check(vector_size >= 1, f"vector_size must be >= 1, got {vector_size}")
        _check(window >= 1, f"window must be >= 1, got {window}")
        _check(min_count >= 0, f"min_count must be >= 0, got {min_count}")
        _check(sample >= 0, f"sample must be >= 0, got {sample}")
        _check(workers >= 1, f"workers must be >= 1, got {workers}")
        _check(alpha > 0 and min_alpha >= 0, f"alpha must be > 0 and min_alpha >= 0, got "
                                             f"{alpha} and {min_alpha}")
        _check(sg in (0, 1), f"sg must be 0 (CBOW) or 1 (skip-gram), got {sg}")
        _check(cbow_mean in (0, 1), f"cbow_mean must be 0 or 1, got {cbow_mean}")
        _check(epochs >= 1, f"epochs must be >= 1, got {epochs}")
        _check(batch_words >= 1, f"batch_words must be >= 1, got {batch_words}")
        _check(max_vocab_size is None or max_vocab_size >= 1,
               f"max_vocab_size must be None or >= 1, got {max_vocab_size}")
        _check(hs in (0, 1), f"hs must be 0 or 1 (hierarchical softmax off/on), got {hs}")
        _check(negative >= 0, f"negative must be >= 0, got {negative}")
        _check(hs or negative > 0, "hs=0 and negative=0 leave no output layer, so nothing "
                                   "would train; set hs=1 and/or negative > 0 (e.g. 5)")
        self.vector_size = int(vector_size)
        self.alpha = float(alpha)
        self.min_alpha = float(min_alpha)
        self.window = int(window)
        self.min_count = int(min_count)
        self.max_vocab_size = max_vocab_size
        self.sample = float(sample)
        self.seed = int(seed)
        self.workers = int(workers)
        self.sg = int(sg)
        self.hs = int(hs)
        self.negative = int(negative)
        self.ns_exponent = float(ns_exponent)
        self.cbow_mean = int(cbow_mean)
        self.epochs = int(epochs)
        self.sorted_vocab = int(sorted_vocab)
        self.batch_words = int(batch_words)
        self.shrink_windows = bool(shrink_windows)
        self.callbacks = tuple(callbacks)
        self.kernel_request = kernel
        self.cache_encoded = bool(cache_encoded)
        self.compute_loss = bool(compute_loss)
        self.running_training_loss = 0.0
        self.kernel: str | None = None
        self.wv = KeyedVectors(self.vector_size)
        self.syn1neg = np.zeros((0, self.vector_size), dtype=np.float32)
        self.syn1 = np.zeros((0, self.vector_size), dtype=np.float32)
        self.cum_table = np.zeros(0, dtype=np.int64)
        self._set_tree(np.zeros(0, np.int64))
        self.corpus_count = 0
        self.corpus_total_words = 0
        self.train_count = 0
        self.total_train_time = 0.0
        self.min_alpha_yet_reached = self.alpha
        self.train_stats: dict = {}
        self._rng_states: list = []
        self._rng_kernel: str | None = None
        if sentences is not None or corpus_file is not None:
            self.build_vocab(corpus_iterable=sentences, corpus_file=corpus_file)
            self.train(corpus_iterable=sentences, corpus_file=corpus_file,
                       total_examples=self.corpus_count, total_words=self.corpus_total_words,
                       epochs=self.epochs, start_alpha=self.alpha, end_alpha=self.min_alpha,
                       compute_loss=self.compute_loss)

    # --- vocabulary ----------------------------------------------------------------------
    def _source(self, corpus_iterable, corpus_file, training: bool = False):
        if (corpus_iterable is None) == (corpus_file is None):
            raise TypeError("pass exactly one of corpus_iterable (sentences) or corpus_file")
        if corpus_file is not None:
            # the vocabulary scan decoded the file strictly; training reads it again and
            # must not stop half-way, so it replaces what it cannot decode
            return LineSentence(corpus_file, errors="replace" if training else "strict")
        return Sentences(corpus_iterable)

    def build_vocab(self, corpus_iterable=None, corpus_file=None, update: bool = False,
                    progress_per: int = 10000, keep_raw_vocab: bool = False, **kwargs):
        """Count the corpus' words, keep those seen at least ``min_count`` times (most
        frequent first), and initialise the weights: input vectors uniform in
        ``[-1, 1) / vector_size`` (gensim draws from half that range), output weights
        (``syn1neg``, and ``syn1`` with ``hs=1``) zero.

        ``update=True`` grows the vocabulary of a model that has one (gensim's online
        training): words of this corpus that reach ``min_count`` in it and are new are
        appended (their vectors initialised like the first ones, their output rows zero);
        every known word's count grows by its count here; the subsampling thresholds of the
        words seen here are computed from this corpus, as a fresh vocabulary would be;
        the noise table and the Huffman tree are rebuilt from the new counts (so with
        ``hs=1`` the inner nodes' meaning changes, as in gensim). Old vectors are kept
        as they are. ``corpus_count`` and ``corpus_total_words`` then describe this
        corpus, so ``train(new_sentences, total_examples=model.corpus_count, ...)``
        decays the learning rate over it.
        """
        if kwargs:
            raise TypeError(f"build_vocab: unexpected arguments {sorted(kwargs)}")
        if update and not len(self.wv):
            raise RuntimeError("build_vocab(update=True): the model has no vocabulary yet "
                               "to update; call build_vocab() without update first")
        vocab = Vocabulary()
        vocab.scan(self._source(corpus_iterable, corpus_file), self.max_vocab_size)
        if vocab.corpus_total_words == 0:
            what = corpus_file if corpus_file is not None else "the sentences"
            raise CorpusError(f"the corpus is empty: {what} holds no words")
        if update:
            self._update_vocab(vocab)
        else:
            keys, counts, sample_int = vocab.finalize(self.min_count, self.sample)
            rng = np.random.default_rng(self.seed)
            vectors = self._new_vectors(rng, len(keys))
            self.wv = KeyedVectors(self.vector_size)
            self.wv._set_vocab(keys, vectors, counts)
            self.wv.expandos["sample_int"] = sample_int
            self.syn1neg = np.zeros((len(keys) if self.negative else 0, self.vector_size),
                                    dtype=np.float32)
            self.syn1 = np.zeros((len(keys) if self.hs else 0, self.vector_size),
                                 dtype=np.float32)
        self.corpus_count = vocab.corpus_count
        self.corpus_total_words = vocab.corpus_total_words
        self.raw_vocab = vocab.raw_counts if keep_raw_vocab else None
        counts = self.wv.expandos["count"]
        self.cum_table = cum_table(counts, self.ns_exponent)
        self._set_tree(counts)

    def _new_vectors(self, rng, n: int) -> np.ndarray:
        return (rng.random((n, self.vector_size), dtype=np.float32) * 2 - 1) / self.vector_size

    def _update_vocab(self, vocab: Vocabulary) -> None:
        """build_vocab(update=True): append the new words, grow counts and weights."""
        wv = self.wv
        kept = {w: c for w, c in vocab.raw_counts.items() if c >= self.min_count}
        new_keys = [w for w in kept if w not in wv.key_to_index]
        old_n = len(wv)
        count = np.concatenate([wv.expandos["count"], np.zeros(len(new_keys), np.int64)])
        keys = wv.index_to_key + new_keys
        for w, c in vocab.raw_counts.items():  # every known word's count grows
            i = wv.key_to_index.get(w)
            if i is not None:
                count[i] += c
        count[old_n:] = [kept[w] for w in new_keys]
        sample_int = np.concatenate([wv.expandos["sample_int"],
                                     np.zeros(len(new_keys), np.uint32)])
        if kept:  # thresholds of the words seen here, from this corpus' counts
            pos = {w: i for i, w in enumerate(new_keys, old_n)}
            rows = np.array([wv.key_to_index.get(w, pos.get(w)) for w in kept], np.int64)
            sample_int[rows] = sample_ints(np.array(list(kept.values()), np.int64),
                                           self.sample)
        # a generator of its own per growth step, so the first words' vectors (and a model
        # built in one go) do not depend on whether the vocabulary is grown later
        rng = np.random.default_rng([self.seed, old_n])
        vectors = np.concatenate([wv.vectors, self._new_vectors(rng, len(new_keys))])
        extras = {k: v for k, v in wv.expandos.items() if k not in ("count", "sample_int")}
        wv._set_vocab(keys, vectors, count)
        wv.expandos["sample_int"] = sample_int
        for name, arr in extras.items():
            pad = np.zeros((len(new_keys),) + arr.shape[1:], arr.dtype)
            wv.expandos[name] = np.concatenate([arr, pad])
        grow = np.zeros((len(new_keys), self.vector_size), np.float32)
        if self.negative:
            self.syn1neg = np.concatenate([self.syn1neg, grow])
        if self.hs:
            self.syn1 = np.concatenate([self.syn1, grow])

    def _set_tree(self, counts) -> None:
        """The Huffman tree of hierarchical softmax (empty arrays when hs=0)."""
        if self.hs:
            self.hs_codes, self.hs_points, self.hs_codelens = huffman_tree(counts)
        else:
            self.hs_codes = np.zeros((0, 0), np.uint8)
            self.hs_points = np.zeros((0, 0), np.int32)
            self.hs_codelens = np.zeros(0, np.int32)

    # --- training ------------------------------------------------------------------------
    def train(self, corpus_iterable=None, corpus_file=None, total_examples: int | None = None,
              total_words: int | None = None, epochs: int | None = None,
              start_alpha: float | None = None, end_alpha: float | None = None,
              word_count: int = 0, queue_factor: int = 2, report_delay: float = 1.0,
              compute_loss: bool | None = None, callbacks=(), progress=None,
              **kwargs) -> tuple[int, int]:
        """Train for ``epochs`` passes; returns ``(effective_words, raw_words)``: words
        trained on (after subsampling and dropping unknown words) and words read.

        ``total_words`` (or ``total_examples``) is the size of one pass, used to decay
        the learning rate linearly; it defaults to what :meth:`build_vocab` counted.
        ``progress``, if given, is called after each job as
        ``progress(raw_words_done, effective_words_done, alpha, raw_words_total)``.
        ``compute_loss`` (default: the constructor's) sets ``self.compute_loss``, as in
        gensim; the loss of this call is then :meth:`get_latest_training_loss`.
        """
        if kwargs:
            raise TypeError(f"train: unexpected arguments {sorted(kwargs)}")
        if not len(self.wv) or len(self.syn1neg) != (len(self.wv) if self.negative else 0) \
                or len(self.syn1) != (len(self.wv) if self.hs else 0):
            raise RuntimeError("train: no vocabulary; call build_vocab() first (a model "
                               "read by load_word2vec_format cannot be trained further)")
        if compute_loss is not None:
            self.compute_loss = bool(compute_loss)
        if epochs is None:
            raise ValueError("train: pass epochs explicitly (e.g. epochs=model.epochs)")
        _check(epochs >= 1, f"epochs must be >= 1, got {epochs}")
        source = self._source(corpus_iterable, corpus_file, training=True)
        if total_words is None:
            if total_examples is None or total_examples == self.corpus_count:
                total_words = self.corpus_total_words
            else:
                total_words = int(total_examples * self.corpus_total_words
                                  / max(self.corpus_count, 1))
        total_words = max(int(total_words), 1)
        a0 = self.alpha if start_alpha is None else float(start_alpha)
        a1 = self.min_alpha if end_alpha is None else float(end_alpha)
        name, kernel = _load_kernel(self.kernel_request)
        self.kernel = name
        callbacks = self.callbacks + tuple(callbacks)
        if len(self._rng_states) != self.workers or self._rng_kernel != name:
            self._rng_states = [kernel.new_state(self.seed, t, self.vector_size)
                                for t in range(self.workers)]
            self._rng_kernel = name
        shared = kernel.prepare(self)
        totals = [0, 0]
        self.running_training_loss = 0.0
        losses = [np.zeros(1, np.float64) for _ in range(self.workers)]
        start = time.perf_counter()
        for cb in callbacks:
            getattr(cb, "on_train_begin", lambda m: None)(self)
        cache = _JobCache() if self.cache_encoded and epochs > 1 else None
        try:
            for epoch in range(epochs):
                for cb in callbacks:
                    getattr(cb, "on_epoch_begin", lambda m: None)(self)
                if cache is None:
                    jobs = self._jobs(source)
                elif epoch == 0:
                    jobs = cache.write(self._jobs(source))
                else:
                    jobs = cache.read()
                self._epoch(epoch, epochs, total_words, a0, a1, jobs, kernel, shared,
                            totals, queue_factor, report_delay, progress, losses)
                self.running_training_loss = float(sum(x[0] for x in losses))
                for cb in callbacks:
                    getattr(cb, "on_epoch_end", lambda m: None)(self)
        finally:
            if cache is not None:
                cache.close()
        elapsed = time.perf_counter() - start
        self.wv.fill_norms(force=True)
        self.train_count += 1
        self.total_train_time += elapsed
        self.min_alpha_yet_reached = a1
        self.train_stats = {
            "kernel": name, "workers": self.workers, "epochs": epochs,
            "raw_words": totals[0], "effective_words": totals[1], "seconds": elapsed,
            "raw_words_per_sec": totals[0] / elapsed if elapsed > 0 else float("inf"),
            "effective_words_per_sec": totals[1] / elapsed if elapsed > 0 else float("inf"),
        }
        for cb in callbacks:
            getattr(cb, "on_train_end", lambda m: None)(self)
        return totals[1], totals[0]

    def _epoch(self, epoch, epochs, total_words, a0, a1, jobs, kernel, shared,
               totals, queue_factor, report_delay, progress, losses):
        def schedule(pos):
            p = min(1.0, (epoch + min(pos, total_words) / total_words) / epochs)
            return a0 - (a0 - a1) * p

        def run_job(tid, words, bounds, alpha0, alpha1):
            return kernel.run_job(shared, words, bounds, alpha0, alpha1, self._rng_states[tid],
                                  losses[tid])

        self._run_epoch(jobs, schedule, run_job, totals, queue_factor, report_delay, progress,
                        epochs * total_words)

    def _jobs(self, sentences):
        """Jobs of about batch_words tokens: (indices int32 with -1 for unknown words,
        sentence bounds int64, raw token count)."""
        get = self.wv.key_to_index.get
        limit = self.batch_words
        ids: list[int] = []
        bounds = [0]
        raw = 0
        for sent in sentences:
            n = len(sent)
            if raw and raw + n > limit:
                yield np.array(ids, np.int32), np.array(bounds, np.int64), raw
                ids, bounds, raw = [], [0], 0
            ids.extend(map(get, sent, repeat(-1)))
            raw += n
            bounds.append(raw)
        if raw:
            yield np.array(ids, np.int32), np.array(bounds, np.int64), raw

    def _run_epoch(self, job_iter, schedule, run_job, totals, queue_factor, report_delay,
                   progress, grand_total):
        jobs: queue.Queue = queue.Queue(maxsize=max(1, queue_factor * self.workers))
        done: queue.Queue = queue.Queue()
        stop = threading.Event()
        failures: list[BaseException] = []

        def produce():
            try:
                pos = 0
                for words, bounds, raw in job_iter:
                    if stop.is_set():
                        break
                    jobs.put((words, bounds, schedule(pos), schedule(pos + raw), raw))
                    pos += raw
            except BaseException as e:
                failures.append(e)
                stop.set()
            finally:
                for _ in range(self.workers):
                    jobs.put(None)

        def work(tid):
            while True:
                job = jobs.get()
                if job is None:
                    break
                if stop.is_set():
                    continue
                words, bounds, alpha0, alpha1, raw = job
                try:
                    eff = run_job(tid, words, bounds, alpha0, alpha1)
                except BaseException as e:
                    failures.append(e)
                    stop.set()
                    continue
                done.put((raw, int(eff), alpha1))
            done.put(None)

        threads = [threading.Thread(target=produce, name="w2v-producer", daemon=True)]
        threads += [threading.Thread(target=work, args=(t,), name=f"w2v-worker-{t}",
                                     daemon=True) for t in range(self.workers)]
        for t in threads:
            t.start()
        running = self.workers
        try:
            while running:
                try:
                    item = done.get(timeout=report_delay)
                except queue.Empty:
                    continue
                if item is None:
                    running -= 1
                    continue
                totals[0] += item[0]
                totals[1] += item[1]
                if progress is not None:
                    progress(totals[0], totals[1], item[2], grand_total)
        except BaseException:
            stop.set()
            raise
        finally:
            for t in threads:
                t.join()
        if failures:
            raise failures[0]

    def get_latest_training_loss(self) -> float:
        """The loss summed over the latest :meth:`train` call (0.0 unless it ran with
        ``compute_loss=True``); also ``self.running_training_loss``, which callbacks can
        read at the end of each epoch (then it holds the sum so far).

        As gensim defines it: over every prediction made, the sum of
        ``-log sigmoid(h . v)`` for the true target and ``-log sigmoid(-h . v)`` for each
        noise word of negative sampling, and ``-log sigmoid((1 - 2 code) h . syn1[point])``
        for each inner node on the word's path in hierarchical softmax, where ``h`` is the
        input (a context vector in skip-gram, the context mean or sum in CBOW) as the
        kernel saw it. Terms with ``|h . v| >= 6`` are left out (outside the sigmoid
        table; they are not trained either). A sum, not a mean: it grows with the corpus,
        the window and ``negative``; divide by ``train_stats["effective_words"]`` for a
        per-word figure.
        """
        return self.running_training_loss

    def predict_output_word(self, context_words_list, topn: int = 10):
        """The words most likely at the center of a context, as
        ``[(word, probability), ...]`` (most likely first, ``topn`` of them), or ``None``
        when no context word is in the vocabulary.

        gensim's estimate: ``h`` = the mean (``cbow_mean=1``) or sum of the known context
        words' vectors (words given as strings or indices; unknown ones ignored), scores
        ``syn1neg @ h``, probabilities their softmax over the whole vocabulary; a crude
        CBOW-style read-out even for a skip-gram model. Needs negative sampling weights.
        """
        if not self.negative:
            raise RuntimeError("predict_output_word needs negative-sampling weights "
                               "(syn1neg); this model was trained with negative=0 "
                               "(hierarchical softmax only)")
        if not len(self.wv) or len(self.syn1neg) != len(self.wv):
            raise RuntimeError("predict_output_word: no vocabulary; build and train the "
                               "model first")
        if isinstance(context_words_list, (str, int, np.integer)):
            raise TypeError("predict_output_word: context_words_list must be a list of "
                            "words (or indices), got a single "
                            f"{type(context_words_list).__name__}")
        if isinstance(topn, bool) or not isinstance(topn, (int, np.integer)) or topn < 0:
            raise ValueError(f"predict_output_word: topn must be an integer >= 0, got "
                             f"{topn!r}")
        rows = []
        for w in context_words_list:
            if isinstance(w, (int, np.integer)) and not isinstance(w, bool):
                if 0 <= w < len(self.wv):
                    rows.append(int(w))
            elif isinstance(w, str) and w in self.wv.key_to_index:
                rows.append(self.wv.key_to_index[w])
        if not rows:
            return None
        h = self.wv.vectors[rows].sum(axis=0)
        if self.cbow_mean:
            h /= len(rows)
        scores = self.syn1neg @ h
        p = np.exp(scores - scores.max())  # the same softmax, without overflow
        p /= p.sum()
        top = np.argsort(-p, kind="stable")[:topn]
        return [(self.wv.index_to_key[i], float(p[i])) for i in top]

    # --- files ---------------------------------------------------------------------------
    def save(self, fname) -> None:
        """Save the whole model (input and output weight matrices, vocabulary with counts,
        parameters) to one safetensors file; written atomically, no pickle. The Huffman
        tree of ``hs=1`` is not stored: :meth:`load` rebuilds it from the counts (the
        construction is deterministic)."""
        arrays, wv_meta = self.wv._arrays()
        if self.negative:
            arrays["syn1neg"] = self.syn1neg
        if self.hs:
            arrays["syn1"] = self.syn1
        meta = {
            "kind": "Word2Vec", "version": 1, "wv": wv_meta,
            "params": {k: getattr(self, k) for k in _PARAMS},
            "corpus_count": self.corpus_count, "corpus_total_words": self.corpus_total_words,
            "train_count": self.train_count, "total_train_time": self.total_train_time,
        }
        save_arrays(fname, arrays, meta)

    @classmethod
    def load(cls, fname, kernel: str = "auto") -> Word2Vec:
        """Load a model written by :meth:`save`; it can be trained further.

        Only the arrays and an allow-list of plain parameters (numbers) are restored;
        nothing in the file can make loading read another file or train."""
        from .formats import FormatError

        arrays, meta = load_arrays(fname, "Word2Vec")
        params = _file_params(meta.get("params"), fname)
        try:  # no sentences and no corpus_file: the constructor builds nothing
            model = cls(**params, kernel=kernel)
        except (TypeError, ValueError, NotImplementedError) as e:
            raise FormatError(f"{fname}: bad model parameters ({e})") from None
        model.wv = KeyedVectors._from_arrays(arrays, meta.get("wv"), fname)
        if model.wv.vector_size != model.vector_size:
            raise FormatError(f"{fname}: vectors have {model.wv.vector_size} dimensions, "
                              f"the parameters say vector_size={model.vector_size}")
        out = {}
        for name, on in (("syn1neg", model.negative), ("syn1", model.hs)):
            w = arrays.get(name)
            if not on:
                out[name] = np.zeros((0, model.vector_size), np.float32)
            elif w is None or w.shape != model.wv.vectors.shape \
                    or w.dtype != model.wv.vectors.dtype:
                raise FormatError(f"{fname}: output weights {name!r} missing or of the wrong "
                                  f"shape or dtype (expected {model.wv.vectors.dtype} "
                                  f"{model.wv.vectors.shape})")
            else:
                out[name] = w
        count = model.wv.expandos.get("count")
        sample_int = model.wv.expandos.get("sample_int")
        if count is None or sample_int is None:
            raise FormatError(f"{fname}: word counts missing")
        if count.ndim != 1 or count.dtype.kind not in "iu" or (count < 0).any() \
                or (len(count) and count.sum() <= 0):
            raise FormatError(f"{fname}: word counts must be non-negative integers")
        if sample_int.ndim != 1 or sample_int.dtype.kind not in "iu":
            raise FormatError(f"{fname}: subsampling thresholds must be integers")
        if len(count) != len(model.wv) or len(sample_int) != len(model.wv):
            raise FormatError(f"{fname}: {len(count)} word counts and {len(sample_int)} "
                              f"subsampling thresholds for {len(model.wv)} words")
        model.syn1neg = out["syn1neg"]
        model.syn1 = out["syn1"]
        model.cum_table = cum_table(count, model.ns_exponent) if len(count) else model.cum_table
        model._set_tree(count)
        model.corpus_count = _file_number(meta, "corpus_count", int, fname)
        model.corpus_total_words = _file_number(meta, "corpus_total_words", int, fname)
        model.train_count = _file_number(meta, "train_count", int, fname)
        model.total_train_time = _file_number(meta, "total_train_time", float, fname)
        return model

    def __repr__(self) -> str:
        return (f"Word2Vec<vocab={len(self.wv)}, vector_size={self.vector_size}, "
                f"alpha={self.alpha}, {'skip-gram' if self.sg else 'CBOW'}>")


class _JobCache:
    """The first epoch's jobs (word ids and sentence bounds) kept in a temporary file, so
    later epochs read them back instead of tokenizing the corpus again: 4 bytes per token
    on disk, one job at a time in memory. Deleted when training ends."""

    def __init__(self):
        import tempfile

        self.file = tempfile.TemporaryFile(prefix="glassnet-w2v-")
        self.complete = False

    def write(self, jobs):
        for words, bounds, raw in jobs:
            self.file.write(np.array([len(words), len(bounds), raw], np.int64).tobytes())
            self.file.write(words.tobytes())
            self.file.write(bounds.tobytes())
            yield words, bounds, raw
        self.complete = True

    def read(self):
        if not self.complete:
            raise RuntimeError("word2vec job cache read before the first epoch finished")
        f = self.file
        f.flush()
        f.seek(0)
        while True:
            head = np.fromfile(f, np.int64, 3)
            if len(head) < 3:
                return
            n_words, n_bounds, raw = (int(x) for x in head)
            words = np.fromfile(f, np.int32, n_words)
            bounds = np.fromfile(f, np.int64, n_bounds)
            yield words, bounds, raw

    def close(self):
        self.file.close()


_INT_PARAMS = {"vector_size", "window", "min_count", "seed", "workers", "sg", "hs", "negative",
               "cbow_mean", "epochs", "sorted_vocab", "batch_words"}


def _file_params(params, fname) -> dict:
    """The constructor parameters stored in a model file, checked against the allow-list
    ``_PARAMS`` (plain numbers only: nothing that names a file or a corpus)."""
    from .formats import FormatError

    if not isinstance(params, dict):
        raise FormatError(f"{fname}: model parameters missing")
    unknown = sorted(set(params) - set(_PARAMS))
    if unknown:
        raise FormatError(f"{fname}: unexpected model parameters {unknown} (a model file "
                          f"may hold only {sorted(_PARAMS)})")
    out = {}
    for k, v in params.items():
        if k in ("shrink_windows", "compute_loss"):
            ok = isinstance(v, bool)
        elif k == "max_vocab_size":
            ok = v is None or (isinstance(v, int) and not isinstance(v, bool))
        elif k in _INT_PARAMS:
            ok = isinstance(v, int) and not isinstance(v, bool)
        else:
            ok = isinstance(v, (int, float)) and not isinstance(v, bool)
        if not ok:
            raise FormatError(f"{fname}: model parameter {k}={v!r} has the wrong type")
        out[k] = v
    return out


def _file_number(meta: dict, key: str, kind, fname):
    from .formats import FormatError

    v = meta.get(key, 0)
    if not isinstance(v, (int, float)) or isinstance(v, bool) or v < 0 \
            or (kind is int and not isinstance(v, int)):
        raise FormatError(f"{fname}: {key}={v!r} is not a non-negative {kind.__name__}")
    return kind(v)


def _check(ok: bool, message: str) -> None:
    if not ok:
        raise ValueError(f"Word2Vec: {message}")
