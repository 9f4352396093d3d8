"""KeyedVectors: words mapped to vectors, with similarity queries and evaluations.

``vectors`` is an (N, D) float32 array; row ``i`` belongs to ``index_to_key[i]`` and
``key_to_index`` inverts that list. Similarities are cosines: the vectors' norms are
computed once (:meth:`fill_norms`) and reused until the vectors change.

The queries follow gensim 4's ``KeyedVectors``: the same names, arguments, defaults and
return types (``tests/test_keyedvectors_parity.py`` compares them on the same vectors).
Where glassnet departs from gensim it says so in the method's docstring. Word Mover's
Distance is solved exactly by ``_transport.py``.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable
from numbers import Integral, Real

import numpy as np

from .formats import load_arrays, read_word2vec, save_arrays, write_word2vec
from .stats import CorrelationResult, pearsonr, spearmanr

__all__ = ["KeyedVectors"]


def _log(level: str, msg: str, *args) -> None:
    import logging  # here: importing it costs ~5 ms of `import glassnet`

    getattr(logging.getLogger(__name__), level)(msg, *args)


_KEY_TYPES = (str, int, np.integer)


def _ensure_list(x) -> list:
    """A single key, vector or ``(key, weight)`` pair as a one-item list; the rows of a
    2-D array as a list of vectors; any other iterable as a list."""
    if x is None:
        return []
    if isinstance(x, _KEY_TYPES) or (isinstance(x, np.ndarray) and x.ndim == 1):
        return [x]
    if isinstance(x, np.ndarray) and x.ndim == 2:
        return list(x)
    if isinstance(x, tuple) and len(x) == 2 and isinstance(x[1], Real) \
            and not isinstance(x[1], bool):
        return [x]
    return list(x)


def _unit(v: np.ndarray) -> np.ndarray:
    """``v`` scaled to unit length, in its own dtype; a zero vector stays zero."""
    if v.dtype.kind != "f":
        v = v.astype(np.float64)
    n = np.linalg.norm(v)
    return (v / n).astype(v.dtype, copy=False) if n > 0 else v


def _bag(kv: KeyedVectors, doc: list) -> tuple[list, np.ndarray]:
    """The distinct words of ``doc`` (first-seen order) and how often each occurs."""
    counts: dict = {}
    for w in doc:
        counts[w] = counts.get(w, 0) + 1
    return list(counts), np.array(list(counts.values()), dtype=np.int64)


class KeyedVectors:
    """Vectors of shape (N, vector_size) looked up by key (a word).

    >>> kv = KeyedVectors(2)
    >>> kv.add_vectors(["a", "b"], [[1.0, 0.0], [0.6, 0.8]])
    >>> print(round(kv.similarity("a", "b"), 3))
    0.6
    """

    def __init__(self, vector_size: int, count: int = 0, dtype=np.float32, mapfile_path=None):
        if vector_size < 1:
            raise ValueError(f"KeyedVectors: vector_size must be >= 1, got {vector_size}")
        self.vector_size = int(vector_size)
        self.index_to_key: list[str] = []
        self.key_to_index: dict[str, int] = {}
        self.vectors = np.zeros((count, self.vector_size), dtype=dtype)
        self.norms: np.ndarray | None = None
        self.expandos: dict[str, np.ndarray] = {}

    # --- building ------------------------------------------------------------------------
    def add_vectors(self, keys, weights, extras: dict | None = None, replace: bool = False):
        """Append ``keys`` with their ``weights`` (len(keys), vector_size); an existing key
        is overwritten when ``replace`` is true, else kept as it is."""
        keys = [keys] if isinstance(keys, str) else list(keys)
        weights = np.asarray(weights, dtype=self.vectors.dtype).reshape(len(keys), -1)
        if weights.shape[1] != self.vector_size:
            raise ValueError(f"add_vectors: expected weights of shape ({len(keys)}, "
                             f"{self.vector_size}), got {weights.shape}")
        new = []
        for i, k in enumerate(keys):
            j = self.key_to_index.get(k)
            if j is None:
                new.append(i)
            elif replace:
                self.vectors[j] = weights[i]
        start = len(self.index_to_key)
        for n, i in enumerate(new):
            self.key_to_index[keys[i]] = start + n
            self.index_to_key.append(keys[i])
        self.vectors = np.concatenate([self.vectors[:start], weights[new]])
        for name, arr in self.expandos.items():
            extra = (extras or {}).get(name)
            add = (np.zeros(len(new), arr.dtype) if extra is None
                   else np.asarray(extra, arr.dtype)[new])
            self.expandos[name] = np.concatenate([arr, add])
        self.norms = None

    def _set_vocab(self, keys: list[str], vectors: np.ndarray, counts=None) -> None:
        self.index_to_key = list(keys)
        self.key_to_index = {k: i for i, k in enumerate(self.index_to_key)}
        self.vectors = vectors
        self.expandos = {}
        if counts is not None:
            self.expandos["count"] = np.asarray(counts, dtype=np.int64)
        self.norms = None

    def get_vecattr(self, key: str, attr: str):
        """A per-key attribute such as ``"count"``."""
        if attr not in self.expandos:
            raise KeyError(f"attribute {attr!r} not stored (have {sorted(self.expandos)})")
        return self.expandos[attr][self.get_index(key)].item()

    def set_vecattr(self, key: str, attr: str, val) -> None:
        """Set the per-key attribute ``attr`` (e.g. ``"count"``) of ``key`` to ``val``."""
        arr = self.expandos.get(attr)
        if arr is None:
            arr = self.expandos[attr] = np.zeros(len(self), dtype=np.asarray(val).dtype)
        arr[self.get_index(key)] = val

    # --- lookup --------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, key) -> bool:
        return self.has_index_for(key)

    def has_index_for(self, key) -> bool:
        """True when :meth:`get_index` finds ``key`` (an int in range counts, as in gensim)."""
        return self.get_index(key, -1) >= 0

    def get_index(self, key, default=None) -> int:
        """Row of ``key``; an int key is taken as a row number. KeyError names the key."""
        i = self.key_to_index.get(key)
        if i is not None:
            return i
        if isinstance(key, (int, np.integer)) and 0 <= key < len(self.index_to_key):
            return int(key)
        if default is not None:
            return default
        raise KeyError(f"Key '{key}' not present in vocabulary")

    def get_vector(self, key, norm: bool = False) -> np.ndarray:
        """The (vector_size,) vector of ``key``, read-only (write through ``kv[key] = v``
        so the cached norms stay right); unit length when ``norm``."""
        i = self.get_index(key)
        if norm:
            self.fill_norms()
            n = self.norms[i]
            out = self.vectors[i] / (n if n > 0 else 1.0)
        else:
            out = self.vectors[i]
        out.setflags(write=False)
        return out

    def word_vec(self, *args, **kwargs) -> np.ndarray:
        """Old name of :meth:`get_vector` (deprecated, as in gensim)."""
        warnings.warn("word_vec is deprecated: use get_vector", DeprecationWarning, stacklevel=2)
        return self.get_vector(*args, **kwargs)

    def __getitem__(self, key_or_keys):
        """A key gives its (D,) vector; a list of keys gives an (n, D) array."""
        if isinstance(key_or_keys, _KEY_TYPES):
            return self.get_vector(key_or_keys)
        return np.vstack([self.get_vector(k) for k in key_or_keys])

    def __setitem__(self, keys, weights) -> None:
        """``kv[key] = vector`` or ``kv[[k1, k2]] = (2, D) array``: add, or replace."""
        if not isinstance(keys, list):
            keys, weights = [keys], np.asarray(weights).reshape(1, -1)
        self.add_vectors(keys, weights, replace=True)

    def add_vector(self, key, vector) -> int:
        """Add one key (an existing key keeps its vector); returns its row."""
        self.add_vectors([key], np.asarray(vector).reshape(1, -1))
        return self.get_index(key)

    def fill_norms(self, force: bool = False) -> None:
        """Compute (and cache) the L2 norm of every vector."""
        if self.norms is None or force or len(self.norms) != len(self.vectors):
            self.norms = np.linalg.norm(self.vectors, axis=1)

    def get_normed_vectors(self) -> np.ndarray:
        """All vectors scaled to unit length, (N, D); zero vectors stay zero."""
        self.fill_norms()
        return self.vectors / np.where(self.norms > 0, self.norms, 1.0)[:, None]

    def unit_normalize_all(self) -> None:
        """Scale every vector to unit length in place (training cannot sensibly go on)."""
        self.fill_norms()
        self.vectors /= np.where(self.norms > 0, self.norms, 1.0)[:, None].astype(
            self.vectors.dtype)
        self.norms = None

    def init_sims(self, replace: bool = False) -> None:
        """Deprecated (as in gensim 4): :meth:`fill_norms`; ``replace=True`` also runs
        :meth:`unit_normalize_all`."""
        warnings.warn("init_sims is deprecated: norms are computed when needed "
                      "(fill_norms); get_normed_vectors gives unit vectors", DeprecationWarning,
                      stacklevel=2)
        self.fill_norms()
        if replace:
            self.unit_normalize_all()

    @property
    def index2word(self):  # old name, kept so old code keeps working
        return self.index_to_key

    @property
    def vectors_norm(self):
        raise AttributeError("KeyedVectors has no vectors_norm (removed in gensim 4): use "
                             "get_normed_vectors() for the unit vectors, .norms for the norms")

    @property
    def vocab(self):
        raise AttributeError("KeyedVectors has no vocab (removed in gensim 4): use "
                             "key_to_index, index_to_key and get_vecattr(key, 'count')")

    def sort_by_descending_frequency(self) -> None:
        """Reorder keys, vectors and per-key attributes by descending ``count`` (ties: the
        later key first, as gensim orders them)."""
        if not len(self):
            return
        if "count" not in self.expandos:
            raise KeyError("sort_by_descending_frequency: no 'count' attribute stored; set "
                           "one with set_vecattr(key, 'count', n) or load with fvocab=")
        counts = np.asarray(self.expandos["count"], dtype=np.int64)
        order = np.lexsort((-np.arange(len(counts)), -counts))
        self.index_to_key = [self.index_to_key[i] for i in order]
        self.key_to_index = {k: i for i, k in enumerate(self.index_to_key)}
        self.vectors = self.vectors[order]
        self.expandos = {k: v[order] for k, v in self.expandos.items()}
        self.norms = None

    def vectors_for_all(self, keys: Iterable, allow_inference: bool = True,
                        copy_vecattrs: bool = False) -> KeyedVectors:
        """A new KeyedVectors holding the given keys that are present (each once, in the
        order given); ``copy_vecattrs`` copies the per-key attributes too."""
        seen, vocab = set(), []
        for k in keys:
            if k not in seen:
                seen.add(k)
                if k in self.key_to_index:
                    vocab.append(k)
        kv = type(self)(self.vector_size, dtype=self.vectors.dtype)
        rows = [self.key_to_index[k] for k in vocab]
        kv._set_vocab(vocab, self.vectors[rows].copy())
        if copy_vecattrs:
            kv.expandos = {k: v[rows].copy() for k, v in self.expandos.items()}
        return kv

    def get_mean_vector(self, keys, weights=None, pre_normalize: bool = True,
                        post_normalize: bool = False, ignore_missing: bool = True) -> np.ndarray:
        """Weighted mean of vectors, (vector_size,): ``sum_k w_k v_k / sum_k |w_k|``.

        ``keys`` holds keys and/or vectors (arrays are used as given, never normalised);
        key vectors are unit length when ``pre_normalize``; the mean is scaled to unit
        length when ``post_normalize``. A missing key is skipped when ``ignore_missing``,
        else a KeyError names it. An empty ``keys`` is a ValueError. The result has the
        vectors' dtype (gensim's is float32 after ``post_normalize``).
        """
        if isinstance(keys, np.ndarray) and keys.ndim == 1:
            keys = [keys]
        if len(keys) == 0:
            raise ValueError("get_mean_vector: cannot compute the mean of no keys")
        weights = (np.ones(len(keys)) if weights is None
                   else np.asarray(weights, dtype=np.float64).reshape(-1))
        if len(weights) != len(keys):
            raise ValueError(f"get_mean_vector: {len(keys)} keys but {len(weights)} weights")
        total = np.zeros(self.vector_size, dtype=np.float64)
        weight = 0.0
        for key, w in zip(keys, weights):
            if isinstance(key, np.ndarray):
                if key.shape != (self.vector_size,):
                    raise ValueError(f"get_mean_vector: a vector must have shape "
                                     f"({self.vector_size},), got {key.shape}")
                vec = key
            elif key in self:
                vec = self.get_vector(key, norm=pre_normalize)
            elif ignore_missing:
                continue
            else:
                raise KeyError(f"Key '{key}' not present in vocabulary")
            total += w * vec
            weight += abs(w)
        if weight > 0:
            total /= weight
        if post_normalize:
            total = _unit(total)
        return total.astype(self.vectors.dtype)

    # --- similarity ----------------------------------------------------------------------
    def _cosines(self, mean: np.ndarray, start: int, end: int) -> np.ndarray:
        """Cosine of every vector in rows start:end with the unit vector ``mean``; a zero
        vector scores 0."""
        self.fill_norms()
        norms = self.norms[start:end]
        return (self.vectors[start:end] @ mean) / np.where(norms > 0, norms, 1.0)

    def _top(self, dists, topn, exclude, offset=0):
        k = min(len(dists), topn + len(exclude))
        if k <= 0:
            return []
        best = np.argpartition(-dists, k - 1)[:k]
        best = best[np.argsort(-dists[best], kind="stable")]
        out = [(self.index_to_key[i + offset], float(dists[i])) for i in best
               if (i + offset) not in exclude]
        return out[:topn]

    def most_similar(self, positive=None, negative=None, topn: int | None = 10,
                     clip_start: int = 0, clip_end: int | None = None,
                     restrict_vocab: int | None = None, indexer=None):
        """The ``topn`` keys closest (cosine) to the weighted mean of ``positive`` minus
        ``negative``; returns ``[(key, similarity), ...]``, best first, similarities as
        Python floats.

        Items are keys, vectors, or ``(key_or_vector, weight)`` pairs (weights default to
        1 for positive, -1 for negative; a pair's weight is used as given, in
        ``negative`` too, as in gensim). Key vectors enter at unit length, vectors as
        given; see :meth:`get_mean_vector`. A single key or vector needs no list. The
        input keys are left out of the answer. ``topn=None`` returns the
        cosine to every key in rows ``clip_start:clip_end`` as an array (a zero vector
        scores 0, where gensim gives nan); ``restrict_vocab=n`` searches the first ``n``
        keys only. ``indexer``: an object with ``most_similar(vector, topn)`` (an
        approximate index) answers instead when ``topn`` is an int. An unknown key raises
        KeyError naming it.
        """
        if isinstance(topn, Integral) and topn < 1:
            return []
        keys = []
        weights = []
        for sign, items in ((1.0, _ensure_list(positive)), (-1.0, _ensure_list(negative))):
            for item in items:
                if isinstance(item, (str, int, np.integer, np.ndarray)):
                    keys.append(item)
                    weights.append(sign)
                else:
                    keys.append(item[0])
                    weights.append(item[1])
        if not keys:
            raise ValueError("most_similar: cannot compute similarity with no input")
        mean = self.get_mean_vector(keys, weights, pre_normalize=True, post_normalize=True,
                                    ignore_missing=False)
        exclude = {self.get_index(k) for k in keys if isinstance(k, _KEY_TYPES)}
        if indexer is not None and isinstance(topn, int):
            return indexer.most_similar(mean, topn)
        clip_end = clip_end or len(self.vectors)
        if restrict_vocab:
            clip_start, clip_end = 0, restrict_vocab
        clip_end = min(clip_end, len(self.vectors))
        dists = self._cosines(mean, clip_start, clip_end)
        if not topn:
            return dists
        return self._top(dists, int(topn), exclude, clip_start)

    def similar_by_word(self, word, topn: int | None = 10, restrict_vocab: int | None = None):
        """:meth:`most_similar` of one key."""
        return self.most_similar(positive=[word], topn=topn, restrict_vocab=restrict_vocab)

    def similar_by_key(self, key, topn: int | None = 10, restrict_vocab: int | None = None):
        """:meth:`most_similar` of one key."""
        return self.most_similar(positive=[key], topn=topn, restrict_vocab=restrict_vocab)

    def similar_by_vector(self, vector, topn: int | None = 10,
                          restrict_vocab: int | None = None):
        """:meth:`most_similar` of one (vector_size,) vector; no key is left out."""
        return self.most_similar(positive=[np.asarray(vector)], topn=topn,
                                 restrict_vocab=restrict_vocab)

    def most_similar_cosmul(self, positive=None, negative=None, topn: int | None = 10,
                            restrict_vocab: int | None = None):
        """3CosMul (Levy and Goldberg, 2014): rank keys by
        ``prod_pos (1 + cos)/2 / (prod_neg (1 + cos)/2 + 1e-6)``.

        Keys enter as unit vectors; vectors are used as given (as gensim does: pass unit
        vectors to get cosines). ``restrict_vocab=n`` scores the first ``n`` keys only
        (gensim ignores it here).
        """
        if isinstance(topn, Integral) and topn < 1:
            return []
        pos, neg = _ensure_list(positive), _ensure_list(negative)
        if not pos:
            raise ValueError("most_similar_cosmul: cannot compute similarity with no input")
        exclude = set()
        end = len(self.vectors) if not restrict_vocab else min(restrict_vocab, len(self))

        def shifted(term):
            if isinstance(term, np.ndarray):
                if term.shape != (self.vector_size,):
                    raise ValueError(f"most_similar_cosmul: a vector must have shape "
                                     f"({self.vector_size},), got {term.shape}")
                v = term
            else:
                v = self.get_vector(term, norm=True)
                exclude.add(self.get_index(term))
            return (1.0 + self._cosines(v, 0, end)) / 2.0

        pos_d = [shifted(t) for t in pos]
        neg_d = [shifted(t) for t in neg]
        dists = np.prod(pos_d, axis=0) / (np.prod(neg_d, axis=0) + 1e-6)
        if not topn:
            return dists
        return self._top(dists, int(topn), exclude)

    def similarity(self, w1, w2):
        """Cosine similarity of two keys, a NumPy scalar of the vectors' dtype."""
        return np.dot(_unit(self.get_vector(w1)), _unit(self.get_vector(w2)))

    def n_similarity(self, ws1, ws2):
        """Cosine of the means of two lists of keys (or vectors), a NumPy scalar.

        Unlike gensim, which skips unknown keys here without a word, an unknown key
        raises KeyError naming it; an empty list raises ZeroDivisionError, as in gensim.
        """
        ws1, ws2 = _ensure_list(ws1), _ensure_list(ws2)
        if not ws1 or not ws2:
            raise ZeroDivisionError("n_similarity: at least one of the lists is empty")
        a = self.get_mean_vector(ws1, pre_normalize=False, ignore_missing=False)
        b = self.get_mean_vector(ws2, pre_normalize=False, ignore_missing=False)
        return np.dot(_unit(a), _unit(b))

    def distance(self, w1, w2):
        """``1 - similarity(w1, w2)``, a NumPy scalar."""
        return 1 - self.similarity(w1, w2)

    @staticmethod
    def cosine_similarities(vector_1, vectors_all) -> np.ndarray:
        """Cosine of ``vector_1`` (D,) with each row of ``vectors_all`` (N, D) -> (N,);
        nan where either vector is zero (the cosine is undefined there)."""
        vector_1 = np.asarray(vector_1)
        vectors_all = np.asarray(vectors_all)
        if vector_1.ndim != 1 or vectors_all.ndim != 2 or \
                vectors_all.shape[1] != vector_1.shape[0]:
            raise ValueError(f"cosine_similarities: expected vector_1 (D,) and vectors_all "
                             f"(N, D), got {vector_1.shape} and {vectors_all.shape}")
        norm = np.linalg.norm(vector_1)
        all_norms = np.linalg.norm(vectors_all, axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            return (vectors_all @ vector_1) / (norm * all_norms)

    def distances(self, word_or_vector, other_words: Iterable = ()) -> np.ndarray:
        """``1 - cosine`` from a key (or a vector) to each of ``other_words`` (every key,
        itself included, when empty) -> (len,) array; nan for a zero vector."""
        if isinstance(word_or_vector, _KEY_TYPES):
            v = self.get_vector(word_or_vector)
        else:
            v = np.asarray(word_or_vector)
        other = list(other_words)
        rows = self.vectors if not other else self.vectors[[self.get_index(w) for w in other]]
        return 1 - self.cosine_similarities(v, rows)

    def rank(self, key1, key2) -> int:
        """Rank of ``key2`` among the keys most similar to ``key1`` (1 = closest)."""
        return len(self.closer_than(key1, key2)) + 1

    def closer_than(self, key1, key2) -> list:
        """Keys closer to ``key1`` than ``key2`` is (in vocabulary order)."""
        all_d = self.distances(key1)
        i1, i2 = self.get_index(key1), self.get_index(key2)
        return [self.index_to_key[i] for i in np.flatnonzero(all_d < all_d[i2]) if i != i1]

    def words_closer_than(self, word1, word2) -> list:
        """Old name of :meth:`closer_than` (deprecated, as in gensim)."""
        warnings.warn("words_closer_than is deprecated: use closer_than", DeprecationWarning,
                      stacklevel=2)
        return self.closer_than(word1, word2)

    def most_similar_to_given(self, key1, keys_list):
        """The key of ``keys_list`` most similar to ``key1`` (the first one on a tie)."""
        keys_list = list(keys_list)
        if not keys_list:
            raise ValueError("most_similar_to_given: keys_list is empty")
        return keys_list[int(np.argmax([self.similarity(key1, k) for k in keys_list]))]

    def relative_cosine_similarity(self, wa, wb, topn: int = 10) -> float:
        """``similarity(wa, wb)`` divided by the sum of the similarities of the ``topn``
        keys most similar to ``wa`` (Leeuwenberg et al., 2016); a Python float."""
        sims = self.similar_by_word(wa, topn)
        if not sims:
            raise ValueError("relative_cosine_similarity: no similar keys to compare with "
                             f"(topn={topn})")
        return float(self.similarity(wa, wb)) / sum(s for _, s in sims)

    def rank_by_centrality(self, words, use_norm: bool = True) -> list:
        """``[(similarity, word), ...]``: the words sorted by the cosine of their vector
        (unit length when ``use_norm``) with the unit mean of them all, highest first.
        Unknown words are left out with a warning."""
        words = list(words)
        used = [w for w in words if w in self]
        if len(used) != len(words):
            warnings.warn(f"ignoring words not in the vocabulary: "
                          f"{sorted(map(str, set(words) - set(used)))}", stacklevel=3)
        if not used:
            raise ValueError("none of the words is in the vocabulary")
        vecs = np.vstack([self.get_vector(w, norm=use_norm) for w in used])
        mean = _unit(vecs.astype(np.float64).mean(axis=0)).astype(vecs.dtype)
        return sorted(zip(vecs @ mean, used), reverse=True)

    def doesnt_match(self, words) -> str:
        """The word furthest from the unit mean of them all (unit vectors); unknown words
        are left out with a warning."""
        return self.rank_by_centrality(words)[-1][1]

    # --- Word Mover's Distance -----------------------------------------------------------
    def wmdistance(self, document1, document2, norm: bool = True) -> float:
        """Word Mover's Distance (Kusner et al., 2015) between two lists of words.

        Each document is its normalised bag of words (a word's count / the document's
        length); the distance is the least total cost of moving one onto the other, the
        cost of moving mass from word ``a`` to word ``b`` being the Euclidean distance of
        their vectors (unit vectors when ``norm``). Solved exactly as a transportation
        problem (``glassnet.word2vec._transport``, no optimisation library needed).

        Words not in the vocabulary are dropped (logged at INFO level); a document left
        empty gives ``inf`` (with a logged warning); identical documents give 0.0. Words
        whose vectors all coincide give 0.0 too (gensim answers ``inf`` there, as its
        solver cannot take an all-zero cost matrix).
        """
        from ._transport import emd

        if isinstance(document1, str) or isinstance(document2, str):
            raise TypeError("wmdistance: a document is a list of words, not a string; "
                            "split it first (e.g. text.split())")
        document1, document2 = list(document1), list(document2)
        doc1 = [w for w in document1 if w in self]
        doc2 = [w for w in document2 if w in self]
        gone1, gone2 = len(document1) - len(doc1), len(document2) - len(doc2)
        if gone1 or gone2:
            _log("info", "wmdistance: removed %d and %d words not in the vocabulary from "
                        "documents 1 and 2", gone1, gone2)
        if not doc1 or not doc2:
            _log("warning", "wmdistance: a document has no words in the vocabulary; the "
                           "distance is inf")
            return float("inf")
        words1, counts1 = _bag(self, doc1)
        words2, counts2 = _bag(self, doc2)
        if len(words1) == len(words2) == 1 and words1[0] == words2[0]:
            return 0.0
        v1 = np.vstack([self.get_vector(w, norm=norm) for w in words1]).astype(np.float64)
        v2 = np.vstack([self.get_vector(w, norm=norm) for w in words2]).astype(np.float64)
        cost = np.empty((len(v1), len(v2)))
        step = max(1, (1 << 21) // max(1, v2.size))  # rows per chunk: ~16 MiB of diffs
        for s in range(0, len(v1), step):
            diff = v1[s : s + step, None, :] - v2[None, :, :]
            cost[s : s + step] = np.sqrt(np.einsum("ijk,ijk->ij", diff, diff))
        return emd(counts1, counts2, cost)[0]

    # --- evaluation ----------------------------------------------------------------------
    def _ok_vocab(self, restrict_vocab: int, case_insensitive: bool) -> dict:
        ok = list(enumerate(self.index_to_key[:restrict_vocab]))
        if case_insensitive:  # the more frequent spelling wins: insert rarer ones first
            return {w.upper(): i for i, w in reversed(ok)}
        return {w: i for i, w in ok}

    def evaluate_word_pairs(self, pairs, delimiter: str = "\t", encoding: str = "utf8",
                            restrict_vocab: int = 300000, case_insensitive: bool = True,
                            dummy4unknown: bool = False):
        """Correlation of the model's cosines with human similarity scores.

        ``pairs``: a file of ``word1<delimiter>word2<delimiter>score`` lines (WordSim-353;
        ``#`` lines are comments, malformed lines skipped). Returns
        ``(pearson, spearman, oov_ratio)``: two ``(statistic, pvalue)`` results and the
        percentage of pairs with a word outside the first ``restrict_vocab`` keys (those
        pairs are skipped, or scored 0 when ``dummy4unknown``).
        """
        ok = self._ok_vocab(restrict_vocab, case_insensitive)
        gold, model = [], []
        oov = 0
        with open(os.fspath(pairs), encoding=encoding) as f:
            for line in f:
                if not line.strip() or line.startswith("#"):
                    continue
                parts = line.rstrip("\r\n").split(delimiter)
                try:
                    a, b, sim = parts
                    sim = float(sim)
                except ValueError:
                    continue
                if case_insensitive:
                    a, b = a.upper(), b.upper()
                if a not in ok or b not in ok:
                    oov += 1
                    if dummy4unknown:
                        gold.append(sim)
                        model.append(0.0)
                    continue
                gold.append(sim)
                model.append(self.similarity(ok[a], ok[b]))
        if len(gold) < 2:
            warnings.warn(f"evaluate_word_pairs: fewer than two pairs of {pairs} are in the "
                          f"vocabulary; the correlations are undefined (nan)", stacklevel=2)
            nan = CorrelationResult(float("nan"), float("nan"))
            return nan, nan, 100.0 if oov else float("nan")
        denom = len(gold) if dummy4unknown else len(gold) + oov
        return pearsonr(gold, model), spearmanr(gold, model), 100.0 * oov / denom

    def evaluate_word_analogies(self, analogies, restrict_vocab: int = 300000,
                                case_insensitive: bool = True, dummy4unknown: bool = False,
                                similarity_function: str = "most_similar"):
        """Accuracy on analogy questions ``a b c d`` ("a is to b as c is to d").

        The file has ``: section`` lines followed by questions. A question is answered
        correctly when the nearest key to ``b - a + c`` (among the first
        ``restrict_vocab`` keys, ``a, b, c`` excluded) is ``d``; questions with a word
        outside that vocabulary are skipped (or counted wrong when ``dummy4unknown``).
        Returns ``(accuracy, sections)``: each section a dict with ``"section"``,
        ``"correct"`` and ``"incorrect"`` lists of questions, the last one
        ``"Total accuracy"``.
        """
        if similarity_function not in ("most_similar", "most_similar_cosmul"):
            raise ValueError(f"unknown similarity_function {similarity_function!r}")
        ok = self._ok_vocab(restrict_vocab, case_insensitive)
        end = min(restrict_vocab, len(self))
        sections, section = [], None
        todo = []  # (section dict, question tuple, (ia, ib, ic))
        with open(os.fspath(analogies), encoding="utf8") as f:
            for line in f:
                if line.startswith(":"):
                    section = {"section": line[1:].strip(), "correct": [], "incorrect": []}
                    sections.append(section)
                    continue
                if not line.strip():
                    continue
                if section is None:
                    raise ValueError(f"{analogies}: a question before the first ': section' "
                                     f"line")
                words = line.split()
                if len(words) != 4:
                    continue
                if case_insensitive:
                    words = [w.upper() for w in words]
                q = tuple(words)
                if any(w not in ok for w in words):
                    if dummy4unknown:
                        section["incorrect"].append(q)
                    continue
                todo.append((section, q, (ok[q[0]], ok[q[1]], ok[q[2]])))
        normed = self.get_normed_vectors()[:end]
        upper = ([w.upper() for w in self.index_to_key[:end]] if case_insensitive
                 else self.index_to_key[:end])
        for s in range(0, len(todo), 256):
            batch = todo[s : s + 256]
            ia = np.array([t[2][0] for t in batch])
            ib = np.array([t[2][1] for t in batch])
            ic = np.array([t[2][2] for t in batch])
            if similarity_function == "most_similar":
                query = normed[ib] - normed[ia] + normed[ic]
                query /= np.maximum(np.linalg.norm(query, axis=1, keepdims=True), 1e-12)
                sims = query @ normed.T
            else:
                cos = [(1.0 + normed[i] @ normed.T) / 2.0 for i in (ia, ib, ic)]
                sims = cos[1] * cos[2] / (cos[0] + 1e-6)
            rows = np.arange(len(batch))
            for i in (ia, ib, ic):
                sims[rows, i] = -np.inf
            top = np.argpartition(-sims, 4, axis=1)[:, :5] if end > 5 else \
                np.tile(np.arange(end), (len(batch), 1))
            for r, (sec, q, _) in enumerate(batch):
                cand = top[r][np.argsort(-sims[r, top[r]], kind="stable")]
                predicted = None
                for j in cand:
                    if upper[j] not in q[:3]:
                        predicted = upper[j]
                        break
                (sec["correct"] if predicted == q[3] else sec["incorrect"]).append(q)
        correct = sum((s["correct"] for s in sections), [])
        incorrect = sum((s["incorrect"] for s in sections), [])
        sections.append({"section": "Total accuracy", "correct": correct,
                         "incorrect": incorrect})
        total = len(correct) + len(incorrect)
        return (len(correct) / total if total else 0.0), sections

    # --- files ---------------------------------------------------------------------------
    def save_word2vec_format(self, fname, fvocab=None, binary: bool = False,
                             total_vec: int | None = None, write_header: bool = True,
                             prefix: str = "", append: bool = False,
                             sort_attr: str = "count") -> None:
        """Write the vectors in the original tool's text or binary format (readable by it
        and by gensim); a name ending in ``.gz`` is gzip-compressed.

        Keys are written in descending order of the per-key attribute ``sort_attr``
        (most frequent first) when it is stored, else in index order; ``fvocab`` also
        writes ``<word> <sort_attr value>`` lines (and needs the attribute). ``prefix``
        goes before every key; ``total_vec`` declares a larger count in the header for a
        file that a later ``append=True`` call completes.
        """
        keys, vectors, values = self.index_to_key, self.vectors, self.expandos.get(sort_attr)
        if values is not None:
            order = np.argsort(-np.asarray(values), kind="stable")
            keys, vectors, values = [keys[i] for i in order], vectors[order], values[order]
        elif fvocab is not None:
            raise ValueError(f"save_word2vec_format: fvocab needs the per-key attribute "
                             f"{sort_attr!r}, which is not stored")
        write_word2vec(fname, keys, vectors, binary=binary, write_header=write_header,
                       counts=values, fvocab=fvocab, total_vec=total_vec, prefix=prefix,
                       append=append)

    @classmethod
    def load_word2vec_format(cls, fname, fvocab=None, binary: bool = False,
                             encoding: str = "utf8", unicode_errors: str = "strict",
                             limit: int | None = None, datatype=np.float32,
                             no_header: bool = False) -> KeyedVectors:
        """Read a file in the original tool's text or binary format (also gensim's)."""
        words, vectors, counts = read_word2vec(fname, binary=binary, encoding=encoding,
                                               unicode_errors=unicode_errors, limit=limit,
                                               no_header=no_header, fvocab=fvocab)
        kv = cls(vectors.shape[1] if vectors.ndim == 2 and vectors.shape[1] else 1)
        kv._set_vocab(words, vectors.astype(datatype, copy=False), counts)
        return kv

    def _arrays(self, prefix: str = "wv.") -> tuple[dict, dict]:
        arrays = {prefix + "vectors": self.vectors}
        for k, v in self.expandos.items():
            arrays[f"{prefix}expando.{k}"] = v
        return arrays, {"vector_size": self.vector_size, "index_to_key": self.index_to_key}

    @classmethod
    def _from_arrays(cls, arrays: dict, meta: dict, path, prefix: str = "wv.") -> KeyedVectors:
        """Rebuild from a model file's arrays and metadata, checking every field: a
        crafted or damaged file raises FormatError naming the file and the field."""
        from .formats import FormatError

        def bad(what: str) -> FormatError:
            return FormatError(f"{path}: {what}")

        if not isinstance(meta, dict):
            raise bad(f"vector metadata is a {type(meta).__name__}, expected an object")
        size, keys = meta.get("vector_size"), meta.get("index_to_key")
        if not isinstance(size, int) or isinstance(size, bool) or size < 1:
            raise bad(f"vector_size {size!r} is not a positive integer")
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise bad("index_to_key is missing or not a list of strings")
        if len(set(keys)) != len(keys):
            raise bad("index_to_key holds a key twice")
        vectors = arrays.get(prefix + "vectors")
        if vectors is None:
            raise bad(f"array {prefix + 'vectors'!r} is missing")
        if vectors.dtype.kind != "f" or vectors.shape != (len(keys), size):
            raise bad(f"vectors and vocabulary disagree: vectors {vectors.dtype} "
                      f"{vectors.shape}, expected float ({len(keys)}, {size})")
        kv = cls(size)
        kv._set_vocab(keys, vectors)
        for name, arr in arrays.items():
            if name.startswith(prefix + "expando."):
                if arr.ndim < 1 or len(arr) != len(keys):
                    raise bad(f"per-key array {name!r} has shape {arr.shape}, expected "
                              f"({len(keys)}, ...)")
                kv.expandos[name[len(prefix) + 8 :]] = arr
        return kv

    def save(self, fname) -> None:
        """Save to a safetensors file (vectors, per-key attributes; keys as JSON)."""
        arrays, meta = self._arrays()
        save_arrays(fname, arrays, {"kind": "KeyedVectors", "version": 1, "wv": meta})

    @classmethod
    def load(cls, fname, mmap=None) -> KeyedVectors:
        """Load vectors written by :meth:`save` (no pickle; every field checked). A file
        saved by gensim is refused with the way to export it. ``mmap`` is accepted for
        gensim's signature; the arrays are read into memory."""
        arrays, meta = load_arrays(fname, "KeyedVectors")
        return cls._from_arrays(arrays, meta.get("wv"), fname)

    def __repr__(self) -> str:
        return f"KeyedVectors<vector_size={self.vector_size}, {len(self)} keys>"
