"""Corpora and vocabulary: streaming sentences from disk, counting words, the
subsampling probabilities and the negative-sampling table.

A corpus file holds one sentence per line, tokens separated by whitespace, UTF-8. It is
read line by line, never whole, so a corpus larger than memory works. Lines longer
than ``max_sentence_length`` tokens are cut into pieces of that length (nothing is
dropped).

Undecodable bytes: like gensim's ``LineSentence`` (which decodes strictly), a byte
sequence that is not UTF-8 is an error. glassnet reports it while the vocabulary is
built, before any training starts, naming the file, line and byte offset, so training
never stops half-way. ``LineSentence(path, errors="replace")`` opts into replacing
such bytes with U+FFFD instead.
"""

from __future__ import annotations

import gzip
import math
import os
from collections import Counter
from collections.abc import Iterable, Iterator

import numpy as np

__all__ = ["LineSentence", "CorpusError", "Vocabulary", "MAX_WORDS_IN_BATCH"]

MAX_WORDS_IN_BATCH = 10000
"""Longest sentence handed to the kernel, and the size of one training job, in words."""


class CorpusError(ValueError):
    """A corpus that cannot be used: empty, undecodable, or no word reaching min_count."""


def _open_binary(path):
    path = os.fspath(path)
    if path.endswith(".gz"):
        return gzip.open(path, "rb")
    return open(path, "rb")


class LineSentence:
    """Sentences from a text file (or ``.gz``): one per line, whitespace-separated tokens.

    Iterating yields lists of ``str``; it can be iterated many times (once per epoch).
    ``errors`` is the UTF-8 decoding policy: ``"strict"`` (default, as gensim) raises a
    :class:`CorpusError` naming the line and byte offset; ``"replace"`` or ``"ignore"``
    go on.
    """

    def __init__(
        self,
        source,
        max_sentence_length: int = MAX_WORDS_IN_BATCH,
        limit: int | None = None,
        errors: str = "strict",
    ):
        self.source = os.fspath(source)
        if not os.path.isfile(self.source):
            raise FileNotFoundError(f"corpus file not found: {self.source!r}")
        if max_sentence_length < 1:
            raise ValueError(f"max_sentence_length must be >= 1, got {max_sentence_length}")
        self.max_sentence_length = int(max_sentence_length)
        self.limit = limit
        self.errors = errors

    def lines(self) -> Iterator[list[str]]:
        """Each line's tokens, uncut (a long line comes back whole)."""
        offset = 0
        with _open_binary(self.source) as f:
            for line_no, raw in enumerate(f, 1):
                if self.limit is not None and line_no > self.limit:
                    return
                try:
                    text = raw.decode("utf-8", self.errors)
                except UnicodeDecodeError as e:
                    raise CorpusError(
                        f"{self.source}: line {line_no} is not valid UTF-8 at byte offset "
                        f"{offset + e.start} of the file ({e.reason}); clean the corpus, or "
                        f"read it with LineSentence(path, errors='replace')"
                    ) from None
                offset += len(raw)
                yield text.split()

    def __iter__(self) -> Iterator[list[str]]:
        n = self.max_sentence_length
        for tokens in self.lines():
            if len(tokens) <= n:
                if tokens:
                    yield tokens
            else:
                for i in range(0, len(tokens), n):
                    yield tokens[i : i + n]

    def __repr__(self) -> str:
        return f"LineSentence({self.source!r})"


def check_iterable(corpus, what: str = "corpus_iterable") -> Iterable:
    """Reject a one-shot iterator: training walks the corpus once per epoch."""
    if isinstance(corpus, (str, bytes, os.PathLike)):
        raise TypeError(
            f"{what} must be an iterable of token lists, got a path; pass it as corpus_file="
        )
    if iter(corpus) is corpus:
        raise TypeError(
            f"{what} is a one-shot iterator (a generator?); training needs to walk it once "
            f"per epoch, so pass a list or a re-iterable object such as LineSentence"
        )
    return corpus


class Sentences:
    """A re-iterable view of a token-list corpus with long sentences cut to
    MAX_WORDS_IN_BATCH tokens (each iteration walks the corpus again)."""

    def __init__(self, corpus):
        self.corpus = check_iterable(corpus)

    def __iter__(self) -> Iterator[list[str]]:
        return iter_sentences(self.corpus)


def iter_sentences(corpus) -> Iterator[list[str]]:
    """Yield the corpus' sentences cut to at most MAX_WORDS_IN_BATCH tokens."""
    n = MAX_WORDS_IN_BATCH
    for i, sent in enumerate(corpus):
        if isinstance(sent, str):
            raise TypeError(
                f"sentence {i} is a str; each sentence must be a list of tokens "
                f"(did you pass a list of strings instead of a list of token lists?)"
            )
        if len(sent) <= n:
            yield sent
        else:
            for j in range(0, len(sent), n):
                yield sent[j : j + n]


class Vocabulary:
    """Word counts, the retained words sorted by frequency, and the derived tables.

    Built by :meth:`scan` (counting, with gensim's max_vocab_size pruning) and
    :meth:`finalize` (min_count cut, frequency sort, subsampling, negative table).
    """

    def __init__(self):
        self.raw_counts: dict[str, int] = {}
        self.corpus_count = 0  # sentences
        self.corpus_total_words = 0  # raw tokens, including later-discarded ones
        self.min_reduce = 1

    def scan(self, sentences: Iterable, max_vocab_size: int | None = None) -> None:
        """Count every token. When more than ``max_vocab_size`` distinct words are held,
        drop those seen fewer than ``min_reduce`` times and raise ``min_reduce`` by one
        (the original tool's ReduceVocab), so memory stays bounded."""
        counts: Counter = Counter()
        total = 0
        n_sent = 0
        min_reduce = 1
        for sent in sentences:
            n_sent += 1
            total += len(sent)
            counts.update(sent)
            if max_vocab_size and len(counts) > max_vocab_size:
                counts = Counter({w: c for w, c in counts.items() if c >= min_reduce})
                min_reduce += 1
        self.raw_counts = dict(counts)
        self.corpus_count = n_sent
        self.corpus_total_words = total
        self.min_reduce = min_reduce

    def finalize(self, min_count: int, sample: float) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Keep words with count >= min_count, most frequent first (ties: first seen
        first). Returns ``(index_to_key, counts, sample_int)``.

        Subsampling (the original tool's formula): with ``t = sample * retained_total``,
        a word seen ``c`` times is kept with probability ``min(1, (sqrt(c/t) + 1) * t/c)``,
        stored as ``sample_int = p * (2**32 - 1)`` and compared with a 32-bit random draw.
        """
        if self.corpus_total_words == 0:
            raise CorpusError("the corpus is empty: no words found, nothing to train on")
        kept = [(w, c) for w, c in self.raw_counts.items() if c >= min_count]
        if not kept:
            best = max(self.raw_counts.values()) if self.raw_counts else 0
            raise CorpusError(
                f"no word reaches min_count={min_count} (the most frequent word occurs "
                f"{best} times in {self.corpus_total_words} words); lower min_count or "
                f"use a larger corpus"
            )
        # dicts keep first-seen order; a stable sort on -count keeps it for ties
        kept.sort(key=lambda wc: -wc[1])
        index_to_key = [w for w, _ in kept]
        counts = np.array([c for _, c in kept], dtype=np.int64)
        return index_to_key, counts, sample_ints(counts, sample)


def sample_ints(counts: np.ndarray, sample: float) -> np.ndarray:
    """Keep-probabilities of the original subsampling formula, scaled to uint32.

    ``sample`` <= 0 disables subsampling; ``sample`` >= 1 is read as an absolute count
    threshold (gensim's convention), otherwise as a fraction of the retained words.
    """
    counts = np.asarray(counts, dtype=np.float64)
    total = float(counts.sum())
    if not sample or sample <= 0:
        threshold = total
    elif sample < 1.0:
        threshold = sample * total
    else:
        threshold = sample * (3 + math.sqrt(5)) / 2
    p = (np.sqrt(counts / threshold) + 1.0) * (threshold / counts)
    p = np.minimum(p, 1.0)
    return (p * (2**32 - 1)).astype(np.uint32)


def keep_probability(counts: np.ndarray, sample: float) -> np.ndarray:
    """The subsampling keep-probability of each word (sample_int / (2**32 - 1))."""
    return sample_ints(counts, sample).astype(np.float64) / (2**32 - 1)


CUM_TABLE_DOMAIN = 2**31 - 1


def cum_table(counts: np.ndarray, ns_exponent: float = 0.75) -> np.ndarray:
    """Cumulative table for negative sampling: word ``i`` is drawn with probability
    ``count_i**ns_exponent / sum_j count_j**ns_exponent``. A draw is
    ``searchsorted(table, r, side='right')`` with ``r`` uniform in ``[0, table[-1])``.
    """
    w = np.asarray(counts, dtype=np.float64) ** ns_exponent
    cum = np.cumsum(w) / w.sum()
    table = np.round(cum * CUM_TABLE_DOMAIN).astype(np.int64)
    table[-1] = CUM_TABLE_DOMAIN
    return table


def alias_table(counts: np.ndarray, ns_exponent: float = 0.75) -> tuple[np.ndarray, np.ndarray]:
    """Walker's alias table for the same distribution as :func:`cum_table`, so a noise
    word is drawn in O(1): pick a column ``i`` uniformly, keep it when a 32-bit random
    number is below ``threshold[i]``, else take ``alias[i]``. Returns
    ``(threshold uint32, alias int32)``. (Vose's construction.)"""
    w = np.asarray(counts, dtype=np.float64) ** ns_exponent
    n = len(w)
    prob = w * (n / w.sum())
    alias = np.arange(n, dtype=np.int32)
    small = [i for i in range(n) if prob[i] < 1.0]
    large = [i for i in range(n) if prob[i] >= 1.0]
    p = prob.tolist()
    while small and large:
        s = small.pop()
        g = large[-1]
        alias[s] = g
        p[g] -= 1.0 - p[s]
        if p[g] < 1.0:
            large.pop()
            small.append(g)
    for i in large + small:  # what is left is 1 up to rounding
        p[i] = 1.0
    threshold = np.minimum(np.array(p) * 2.0**32, 2.0**32 - 1).astype(np.uint32)
    return threshold, alias
