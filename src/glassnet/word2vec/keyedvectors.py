"""KeyedVectors: words mapped to vectors, with similarity queries and evaluations.

``vectors`` is an (N, D) float32 array; row ``i`` belongs to ``index_to_key[i]`` and
``key_to_index`` inverts that list. Similarities are cosines: the vectors' norms are
computed once (:meth:`fill_norms`) and reused until the vectors change.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable

import numpy as np

from .formats import load_arrays, read_word2vec, save_arrays, write_word2vec
from .stats import CorrelationResult, pearsonr, spearmanr

__all__ = ["KeyedVectors"]


def _as_list(x) -> list:
    if x is None:
        return []
    if isinstance(x, (str, np.ndarray)) or (isinstance(x, tuple) and len(x) == 2
                                           and isinstance(x[1], (int, float))):
        return [x]
    return list(x)


def _unit(v: np.ndarray) -> np.ndarray:
    n = np.linalg.norm(v)
    return v / n if n > 0 else v


class KeyedVectors:
    """Vectors of shape (N, vector_size) looked up by key (a word).

    >>> kv = KeyedVectors(2)
    >>> kv.add_vectors(["a", "b"], [[1.0, 0.0], [0.6, 0.8]])
    >>> round(kv.similarity("a", "b"), 3)
    0.6
    """

    def __init__(self, vector_size: int, count: int = 0, dtype=np.float32):
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

    def set_vecattr(self, key: str, attr: str, value) -> None:
        arr = self.expandos.get(attr)
        if arr is None:
            arr = self.expandos[attr] = np.zeros(len(self), dtype=np.asarray(value).dtype)
        arr[self.get_index(key)] = value

    # --- lookup --------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self.index_to_key)

    def __contains__(self, key) -> bool:
        return key in self.key_to_index

    def has_index_for(self, key) -> bool:
        return key in self.key_to_index

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
        """The (vector_size,) vector of ``key``; unit length when ``norm``."""
        i = self.get_index(key)
        if norm:
            self.fill_norms()
            n = self.norms[i]
            return self.vectors[i] / (n if n > 0 else 1.0)
        return self.vectors[i]

    def __getitem__(self, key_or_keys):
        """A key gives its (D,) vector; a list of keys gives an (n, D) array."""
        if isinstance(key_or_keys, (str, int, np.integer)):
            return self.get_vector(key_or_keys)
        return np.vstack([self.get_vector(k) for k in key_or_keys])

    def __setitem__(self, key, vector) -> None:
        self.add_vectors([key], np.asarray(vector)[None], replace=True)

    def fill_norms(self, force: bool = False) -> None:
        """Compute (and cache) the L2 norm of every vector."""
        if self.norms is None or force or len(self.norms) != len(self.vectors):
            self.norms = np.linalg.norm(self.vectors, axis=1)

    def get_normed_vectors(self) -> np.ndarray:
        """All vectors scaled to unit length, (N, D); zero vectors stay zero."""
        self.fill_norms()
        return self.vectors / np.where(self.norms > 0, self.norms, 1.0)[:, None]

    @property
    def index2word(self):  # old name, kept so old code keeps working
        return self.index_to_key

    # --- similarity ----------------------------------------------------------------------
    def _cosines(self, mean: np.ndarray, start: int, end: int) -> np.ndarray:
        self.fill_norms()
        norms = self.norms[start:end]
        return (self.vectors[start:end] @ mean) / np.where(norms > 0, norms, 1.0)

    def _weighted(self, positive, negative):
        items = [(k, 1.0) if isinstance(k, (str, np.ndarray, int, np.integer)) else k
                 for k in _as_list(positive)]
        items += [(k, -1.0) if isinstance(k, (str, np.ndarray, int, np.integer)) else k
                  for k in _as_list(negative)]
        return items

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
                     restrict_vocab: int | None = None):
        """The ``topn`` keys closest (cosine) to the mean of the unit vectors of
        ``positive`` minus those of ``negative``; returns ``[(key, similarity), ...]``.

        Items may be keys, vectors, or ``(key_or_vector, weight)`` pairs. Input keys are
        left out of the answer. ``topn=None`` returns the similarity to every key.
        """
        if isinstance(topn, int) and topn < 1:
            return []
        items = self._weighted(positive, negative)
        if not items:
            raise ValueError("most_similar: cannot compute similarity with no input")
        exclude, terms = set(), []
        for key, weight in items:
            if isinstance(key, np.ndarray):
                terms.append(weight * _unit(np.asarray(key, dtype=np.float64)))
            else:
                terms.append(weight * self.get_vector(key, norm=True))
                exclude.add(self.get_index(key))
        mean = _unit(np.mean(terms, axis=0)).astype(self.vectors.dtype)
        if restrict_vocab:
            clip_start, clip_end = 0, restrict_vocab
        clip_end = len(self.vectors) if clip_end is None else min(clip_end, len(self.vectors))
        dists = self._cosines(mean, clip_start, clip_end)
        if not topn:
            return dists
        return self._top(dists, topn, exclude, clip_start)

    def similar_by_word(self, word, topn: int = 10, restrict_vocab: int | None = None):
        return self.most_similar(positive=[word], topn=topn, restrict_vocab=restrict_vocab)

    def similar_by_vector(self, vector, topn: int = 10, restrict_vocab: int | None = None):
        return self.most_similar(positive=[np.asarray(vector)], topn=topn,
                                 restrict_vocab=restrict_vocab)

    def similar_by_key(self, key, topn: int = 10, restrict_vocab: int | None = None):
        return self.similar_by_word(key, topn, restrict_vocab)

    def most_similar_cosmul(self, positive=None, negative=None, topn: int | None = 10,
                            restrict_vocab: int | None = None):
        """3CosMul (Levy and Goldberg, 2014): rank keys by
        ``prod_pos (1 + cos)/2 / (prod_neg (1 + cos)/2 + 1e-6)``."""
        if isinstance(topn, int) and topn < 1:
            return []
        pos, neg = _as_list(positive), _as_list(negative)
        if not pos:
            raise ValueError("most_similar_cosmul: cannot compute similarity with no input")
        exclude = set()
        end = len(self.vectors) if not restrict_vocab else min(restrict_vocab, len(self))

        def shifted(term):
            if isinstance(term, np.ndarray):
                v = _unit(term.astype(self.vectors.dtype))
            else:
                v = self.get_vector(term, norm=True)
                exclude.add(self.get_index(term))
            return (1.0 + self._cosines(v, 0, end)) / 2.0

        pos_d = [shifted(t) for t in pos]
        neg_d = [shifted(t) for t in neg]
        dists = np.prod(pos_d, axis=0) / (np.prod(neg_d, axis=0) + 1e-6)
        if not topn:
            return dists
        return self._top(dists, topn, exclude)

    def similarity(self, w1, w2) -> float:
        """Cosine similarity of two keys."""
        return float(np.dot(self.get_vector(w1, norm=True), self.get_vector(w2, norm=True)))

    def n_similarity(self, ws1, ws2) -> float:
        """Cosine of the means of two key lists."""
        ws1, ws2 = list(ws1), list(ws2)
        if not ws1 or not ws2:
            raise ZeroDivisionError("n_similarity: at least one of the lists is empty")
        a = _unit(np.mean([self.get_vector(w) for w in ws1], axis=0))
        b = _unit(np.mean([self.get_vector(w) for w in ws2], axis=0))
        return float(np.dot(a, b))

    def distance(self, w1, w2) -> float:
        """1 - cosine similarity."""
        return 1.0 - self.similarity(w1, w2)

    def distances(self, word_or_vector, other_words: Iterable = ()) -> np.ndarray:
        """1 - cosine from one key (or vector) to ``other_words`` (all keys if empty)."""
        v = (_unit(np.asarray(word_or_vector, dtype=self.vectors.dtype))
             if isinstance(word_or_vector, np.ndarray)
             else self.get_vector(word_or_vector, norm=True))
        other = list(other_words)
        if not other:
            return 1.0 - self._cosines(v, 0, len(self))
        idx = [self.get_index(w) for w in other]
        return 1.0 - self.get_normed_vectors()[idx] @ v

    def rank(self, key1, key2) -> int:
        """Rank of ``key2`` among the keys most similar to ``key1`` (1 = closest)."""
        return len(self.closer_than(key1, key2)) + 1

    def closer_than(self, key1, key2) -> list:
        """Keys closer to ``key1`` than ``key2`` is."""
        all_d = self.distances(key1)
        i1, i2 = self.get_index(key1), self.get_index(key2)
        return [self.index_to_key[i] for i in np.flatnonzero(all_d < all_d[i2]) if i != i1]

    def doesnt_match(self, words) -> str:
        """The word furthest from the mean of the others' unit vectors. Unknown words are
        ignored (with a warning)."""
        words = list(words)
        used = [w for w in words if w in self.key_to_index]
        if len(used) != len(words):
            warnings.warn(f"doesnt_match: ignoring words not in the vocabulary: "
                          f"{sorted(set(words) - set(used))}", stacklevel=2)
        if not used:
            raise ValueError("doesnt_match: none of the words is in the vocabulary")
        vecs = np.vstack([self.get_vector(w, norm=True) for w in used])
        mean = _unit(vecs.mean(axis=0))
        dists = vecs @ mean
        return used[int(np.argmin(dists))]

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
                             total_vec: int | None = None, write_header: bool = True) -> None:
        """Write the vectors in the original tool's text or binary format (readable by it
        and by gensim). ``fvocab`` also writes ``<word> <count>`` lines."""
        n = len(self) if total_vec is None else int(total_vec)
        if n != len(self):
            raise ValueError(f"save_word2vec_format: total_vec={n} but there are {len(self)} "
                             f"vectors")
        write_word2vec(fname, self.index_to_key, self.vectors, binary=binary,
                       write_header=write_header, counts=self.expandos.get("count"),
                       fvocab=fvocab)

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
    def load(cls, fname) -> KeyedVectors:
        """Load vectors written by :meth:`save` (no pickle; every field checked)."""
        arrays, meta = load_arrays(fname, "KeyedVectors")
        return cls._from_arrays(arrays, meta.get("wv"), fname)

    def __repr__(self) -> str:
        return f"KeyedVectors<vector_size={self.vector_size}, {len(self)} keys>"
