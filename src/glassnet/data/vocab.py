"""Vocab: tokens to integer ids and back, with a padding and an unknown token.

A network reads words as rows of an ``Embedding``; a ``Vocab`` decides which row. By
default row 0 is ``"<pad>"`` (the value that fills short sequences in a batch, and the
``padding_idx`` of the embedding) and row 1 is ``"<unk>"`` (what every word outside the
vocabulary becomes). Build one from tokenised text (``Vocab.from_iterator``, with
``min_freq`` and ``max_tokens``), from pre-trained word vectors (``Vocab.from_keyed_vectors``)
or from a list of tokens; then ``vocab(tokens)`` gives ids and ``vocab.encode(batch)`` a
padded ``(N, T)`` int64 tensor and the lengths.

>>> vocab = Vocab.from_iterator([["the", "cat", "sat"], ["the", "dog"]])
>>> vocab(["the", "dog", "flew"])
[2, 4, 1]
>>> ids, lengths = vocab.encode([["the", "cat"], ["dog"]])
>>> ids.tolist(), lengths.tolist()
([[2, 3], [4, 0]], [2, 1])
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

__all__ = ["Vocab", "build_vocab_from_iterator"]

_UNKNOWN_INITS = ("zeros", "mean", "random")


def _check_token(tok, where: str) -> str:
    if not isinstance(tok, str):
        raise TypeError(f"Vocab: {where} is a {type(tok).__name__} ({tok!r}), expected a str "
                        f"token")
    if tok == "":
        raise ValueError(f"Vocab: {where} is the empty string; tokens must be non-empty "
                         f"(splitting on ' ' instead of str.split() leaves empty tokens)")
    return str(tok)


def _token_list(tokens, what: str) -> list:
    """``tokens`` as a list, refusing a bare string (it would be read letter by letter)."""
    if isinstance(tokens, str):
        raise TypeError(f"Vocab: {what} is a str ({tokens[:40]!r}), expected a list of tokens; "
                        f"split the text into tokens first (e.g. text.split())")
    try:
        return list(tokens)
    except TypeError:
        raise TypeError(f"Vocab: {what} is a {type(tokens).__name__}, expected a list of "
                        f"tokens") from None


class Vocab:
    """A list of distinct tokens; a token's id is its position.

    ``Vocab(tokens, pad_token="<pad>", unk_token="<unk>", specials=())`` puts the pad token
    at 0, the unknown token next, then ``specials``, then ``tokens`` in the given order. Pass
    ``pad_token=None`` or ``unk_token=None`` to leave one out. Looking up a token that is not
    in the vocabulary gives the default index (the unknown token's, see
    :meth:`set_default_index`), or raises ``KeyError`` when there is none.

    ``Vocab(...)`` refuses duplicates and tokens that clash with a special token; the
    builders :meth:`from_iterator` and :meth:`from_keyed_vectors` instead merge a corpus
    token equal to a special token into it (a corpus that already writes ``<unk>`` keeps
    one ``<unk>``).
    """

    def __init__(self, tokens: Iterable[str] = (), *, pad_token: str | None = "<pad>",
                 unk_token: str | None = "<unk>", specials: Sequence[str] = (),
                 special_first: bool = True) -> None:
        if pad_token is not None:
            _check_token(pad_token, "pad_token")
        if unk_token is not None:
            _check_token(unk_token, "unk_token")
        if pad_token is not None and pad_token == unk_token:
            raise ValueError(f"Vocab: pad_token and unk_token are both {pad_token!r}; padding "
                             f"and unknown words need different rows")
        specials = _token_list(specials, "specials")
        head = [t for t in (pad_token, unk_token) if t is not None]
        for k, tok in enumerate(specials):
            _check_token(tok, f"specials[{k}]")
            if tok in (pad_token, unk_token):
                raise ValueError(f"Vocab: specials[{k}] {tok!r} is already the "
                                 f"{'pad' if tok == pad_token else 'unk'}_token")
            if tok in head:
                raise ValueError(f"Vocab: specials hold {tok!r} twice")
            head.append(tok)
        body = _token_list(tokens, "tokens")
        seen = dict.fromkeys(head)
        first: dict[str, int] = {}
        for k, tok in enumerate(body):
            _check_token(tok, f"tokens[{k}]")
            if tok in seen:
                raise ValueError(f"Vocab: tokens[{k}] {tok!r} clashes with the special token "
                                 f"{tok!r}; choose other special tokens, or build with "
                                 f"Vocab.from_iterator, which merges them")
            if tok in first:
                raise ValueError(f"Vocab: tokens[{k}] {tok!r} repeats tokens[{first[tok]}]; "
                                 f"each token must appear once (use Vocab.from_iterator to "
                                 f"count tokens)")
            first[tok] = k
        self._itos: list[str] = (head + body) if special_first else (body + head)
        self._stoi: dict[str, int] = {t: i for i, t in enumerate(self._itos)}
        self.pad_token = pad_token
        self.unk_token = unk_token
        self.specials: tuple[str, ...] = tuple(head)
        self.pad_index: int | None = None if pad_token is None else self._stoi[pad_token]
        self.unk_index: int | None = None if unk_token is None else self._stoi[unk_token]
        self._default_index: int | None = self.unk_index

    # --- building ------------------------------------------------------------------------
    @classmethod
    def from_iterator(cls, iterator: Iterable[Iterable[str]], min_freq: int = 1,
                      max_tokens: int | None = None, *, pad_token: str | None = "<pad>",
                      unk_token: str | None = "<unk>", specials: Sequence[str] = ()) -> Vocab:
        """Count the tokens of ``iterator`` (one list of tokens per sentence) and keep those
        seen at least ``min_freq`` times, most frequent first (ties in alphabetical order,
        so the result does not depend on the order of the sentences). ``max_tokens`` caps
        the size *including* the special tokens."""
        if isinstance(min_freq, bool) or not isinstance(min_freq, (int, np.integer)) \
                or min_freq < 1:
            raise ValueError(f"Vocab.from_iterator: min_freq must be an integer >= 1, got "
                             f"{min_freq!r}")
        counts: Counter = Counter()
        if isinstance(iterator, str):
            raise TypeError("Vocab.from_iterator: expected an iterable of token lists, got a "
                            "str")
        for n, sentence in enumerate(iterator):
            sentence = _token_list(sentence, f"sentence {n}")
            for k, tok in enumerate(sentence):
                _check_token(tok, f"sentence {n}, token {k}")
            counts.update(sentence)
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        words = [w for w, c in ranked if c >= min_freq]
        return cls._ranked(words, max_tokens, pad_token, unk_token, specials,
                           "Vocab.from_iterator")

    @classmethod
    def from_keyed_vectors(cls, kv, max_tokens: int | None = None, *,
                           pad_token: str | None = "<pad>", unk_token: str | None = "<unk>",
                           specials: Sequence[str] = ()) -> Vocab:
        """The special tokens, then the words of ``kv`` (a ``KeyedVectors``, glassnet's or
        gensim's) in their order — for Word2Vec's vectors, most frequent first — so
        ``max_tokens`` keeps the most frequent words."""
        keys = _kv_parts(kv, "Vocab.from_keyed_vectors")[0]
        for k, tok in enumerate(keys):
            _check_token(tok, f"key {k} of the vectors")
        return cls._ranked(list(keys), max_tokens, pad_token, unk_token, specials,
                           "Vocab.from_keyed_vectors")

    @classmethod
    def _ranked(cls, words, max_tokens, pad_token, unk_token, specials, who) -> Vocab:
        n_special = len([t for t in (pad_token, unk_token) if t is not None]) + len(
            _token_list(specials, "specials"))
        special_set = {pad_token, unk_token, *specials}
        words = [w for w in words if w not in special_set]
        if max_tokens is not None:
            if isinstance(max_tokens, bool) or not isinstance(max_tokens, (int, np.integer)) \
                    or max_tokens < n_special:
                raise ValueError(f"{who}: max_tokens={max_tokens!r} must be an integer >= the "
                                 f"{n_special} special tokens it includes")
            words = words[: int(max_tokens) - n_special]
        return cls(words, pad_token=pad_token, unk_token=unk_token, specials=specials)

    def append_token(self, token: str) -> None:
        """Add ``token`` at the end (a new id ``len(vocab)``); refuses one already here."""
        _check_token(token, "the appended token")
        if token in self._stoi:
            raise ValueError(f"Vocab.append_token: {token!r} is already at index "
                             f"{self._stoi[token]}")
        self._stoi[token] = len(self._itos)
        self._itos.append(token)

    # --- lookup --------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._itos)

    def __contains__(self, token) -> bool:
        return isinstance(token, str) and token in self._stoi

    def __iter__(self):
        return iter(self._itos)

    def __getitem__(self, token: str) -> int:
        """The id of ``token``; an unknown token gets the default index."""
        i = self._stoi.get(token) if isinstance(token, str) else None
        if i is not None:
            return i
        if not isinstance(token, str):
            raise TypeError(f"Vocab: looked up a {type(token).__name__} ({token!r}), expected "
                            f"a str token (ids go the other way: lookup_token)")
        if self._default_index is None:
            raise KeyError(f"token {token!r} is not in the vocabulary ({len(self)} tokens) "
                           f"and no default index is set (give an unk_token or call "
                           f"set_default_index)")
        return self._default_index

    def lookup_indices(self, tokens: Iterable[str]) -> list[int]:
        """The ids of a list of tokens."""
        tokens = _token_list(tokens, "the tokens to look up")
        stoi, default = self._stoi, self._default_index
        out = []
        for k, tok in enumerate(tokens):
            i = stoi.get(tok) if isinstance(tok, str) else None
            if i is None:
                if not isinstance(tok, str):
                    raise TypeError(f"Vocab: token {k} is a {type(tok).__name__} ({tok!r}), "
                                    f"expected a str")
                if default is None:
                    raise KeyError(f"token {k} {tok!r} is not in the vocabulary and no "
                                   f"default index is set (give an unk_token or call "
                                   f"set_default_index)")
                i = default
            out.append(i)
        return out

    __call__ = lookup_indices

    def lookup_token(self, index) -> str:
        """The token with id ``index``."""
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)):
            raise TypeError(f"Vocab.lookup_token: index must be an int, got "
                            f"{type(index).__name__}")
        if not 0 <= index < len(self._itos):
            raise IndexError(f"Vocab.lookup_token: index {index} is out of range for a "
                             f"vocabulary of {len(self._itos)} tokens")
        return self._itos[int(index)]

    def lookup_tokens(self, indices) -> list[str]:
        """The tokens of a sequence of ids (a list, a 1-D array or tensor)."""
        from ..tensor import Tensor

        arr = np.asarray(indices.data if isinstance(indices, Tensor) else indices)
        if arr.ndim != 1:
            raise ValueError(f"Vocab.lookup_tokens: expected a 1-D sequence of ids, got shape "
                             f"{arr.shape}")
        return [self.lookup_token(i.item() if isinstance(i, np.generic) else i) for i in arr]

    def get_itos(self) -> list[str]:
        """The tokens in id order (a copy)."""
        return list(self._itos)

    def get_stoi(self) -> dict[str, int]:
        """token -> id (a copy)."""
        return dict(self._stoi)

    def set_default_index(self, index: int | None) -> None:
        """The id unknown tokens get (``None``: unknown tokens raise ``KeyError``)."""
        if index is not None:
            if isinstance(index, bool) or not isinstance(index, (int, np.integer)) \
                    or not 0 <= index < len(self):
                raise ValueError(f"Vocab.set_default_index: {index!r} is not an id of this "
                                 f"vocabulary (0 to {len(self) - 1})")
            index = int(index)
        self._default_index = index

    def get_default_index(self) -> int | None:
        return self._default_index

    # --- batches -------------------------------------------------------------------------
    def encode(self, batch: Iterable[Iterable[str]], max_length: int | None = None, *,
               padding_side: str = "right", truncation_side: str = "right"):
        """``N`` token lists -> ``(ids, lengths)``: ids an int64 tensor ``(N, T)`` filled
        with the pad id, lengths an int64 tensor ``(N,)`` of real tokens per row.

        ``T`` is the longest list, or exactly ``max_length`` when given (longer lists are
        cut on ``truncation_side``). ``padding_side="left"`` puts the padding first. An
        empty list gives a row of padding and length 0.
        """
        from ..creation import tensor

        if self.pad_index is None:
            raise ValueError("Vocab.encode: this vocabulary has no pad token to fill short "
                             "sequences with (build it with pad_token=...)")
        for name, side in (("padding_side", padding_side), ("truncation_side", truncation_side)):
            if side not in ("left", "right"):
                raise ValueError(f"Vocab.encode: {name} must be 'left' or 'right', got {side!r}")
        if isinstance(batch, str):
            raise TypeError("Vocab.encode: expected a batch (a list of token lists), got a str")
        rows = _token_list(batch, "the batch")
        if rows and isinstance(rows[0], str):
            raise TypeError("Vocab.encode: expected a batch (a list of token lists), got a list "
                            "of str; for one sequence use vocab(tokens) or encode([tokens])")
        if not rows:
            raise ValueError("Vocab.encode: the batch is empty (no sequences)")
        if max_length is not None and (isinstance(max_length, bool) or not isinstance(
                max_length, (int, np.integer)) or max_length < 1):
            raise ValueError(f"Vocab.encode: max_length must be a positive integer, got "
                             f"{max_length!r}")
        seqs = []
        for n, row in enumerate(rows):
            row = _token_list(row, f"sequence {n} of the batch")
            try:
                ids = self.lookup_indices(row)
            except (TypeError, KeyError) as e:
                msg = str(e.args[0]).removeprefix("Vocab: ")
                raise type(e)(f"Vocab.encode: sequence {n}: {msg}") from None
            if max_length is not None and len(ids) > max_length:
                ids = ids[:max_length] if truncation_side == "right" else ids[-max_length:]
            seqs.append(ids)
        lengths = np.array([len(s) for s in seqs], dtype=np.int64)
        T = int(max_length) if max_length is not None else int(lengths.max(initial=0))
        out = np.full((len(seqs), T), self.pad_index, dtype=np.int64)
        for n, s in enumerate(seqs):
            if s:
                if padding_side == "right":
                    out[n, : len(s)] = s
                else:
                    out[n, T - len(s):] = s
        return tensor(out), tensor(lengths)

    # --- pre-trained vectors -------------------------------------------------------------
    def missing_from(self, kv) -> list[str]:
        """The tokens (special tokens left out) that ``kv`` has no vector for, in id order."""
        keys = _kv_parts(kv, "Vocab.missing_from")[1]
        special = set(self.specials)
        return [t for t in self._itos if t not in special and t not in keys]

    def lookup_vectors(self, kv, unknown: str = "zeros", generator=None) -> np.ndarray:
        """A ``(len(vocab), D)`` array whose row ``i`` is ``kv``'s vector of token ``i``.

        The pad token's row is zero. Tokens ``kv`` lacks (see :meth:`missing_from`) and the
        unknown token, unless ``kv`` has it, get ``unknown``: ``"zeros"``; ``"mean"``, the
        mean of all of ``kv``'s vectors; or ``"random"``, normal draws with the standard
        deviation of ``kv``'s entries (so they look like the others), from ``generator``.
        """
        from ..random import resolve

        if unknown not in _UNKNOWN_INITS:
            raise ValueError(f"lookup_vectors: unknown must be one of {_UNKNOWN_INITS}, got "
                             f"{unknown!r}")
        keys, key_to_index, vectors = _kv_parts(kv, "lookup_vectors")
        rows = np.array([key_to_index.get(t, -1) for t in self._itos], dtype=np.int64)
        if self.pad_index is not None:
            rows[self.pad_index] = -1
        have = rows >= 0
        out = np.zeros((len(self), vectors.shape[1]), dtype=vectors.dtype)
        out[have] = vectors[rows[have]]
        fill = ~have
        if self.pad_index is not None:
            fill[self.pad_index] = False
        if fill.any() and unknown != "zeros":
            if len(vectors) == 0:
                raise ValueError("lookup_vectors: the vectors are empty, so there is no mean "
                                 "or scale to draw unknown rows from; use unknown='zeros'")
            if unknown == "mean":
                out[fill] = vectors.mean(axis=0, dtype=np.float64)
            else:
                scale = float(vectors.std(dtype=np.float64))
                out[fill] = resolve(generator).normal(0.0, scale, (int(fill.sum()),
                                                                    vectors.shape[1]))
        return out

    # --- files ---------------------------------------------------------------------------
    def save(self, path) -> None:
        """Write the vocabulary as JSON (atomically)."""
        from ..io import atomic_write_bytes

        doc = {"kind": "glassnet.Vocab", "version": 1, "pad_token": self.pad_token,
               "unk_token": self.unk_token, "specials": list(self.specials),
               "default_index": self._default_index, "itos": self._itos}
        atomic_write_bytes(path, json.dumps(doc, ensure_ascii=False).encode("utf-8"))

    @classmethod
    def load(cls, path) -> Vocab:
        """Read a vocabulary written by :meth:`save`; every field is checked."""
        with open(path, "rb") as f:
            raw = f.read()
        try:
            doc = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ValueError(f"{path}: not a glassnet vocabulary file ({e})") from None
        if not isinstance(doc, dict) or doc.get("kind") != "glassnet.Vocab":
            raise ValueError(f"{path}: not a glassnet vocabulary file (no kind "
                             f"'glassnet.Vocab')")
        itos, specials = doc.get("itos"), doc.get("specials")
        pad, unk = doc.get("pad_token"), doc.get("unk_token")
        if not isinstance(itos, list) or not isinstance(specials, list) \
                or itos[: len(specials)] != specials:
            raise ValueError(f"{path}: 'itos' must be a list starting with the special tokens")
        named = [t for t in (pad, unk) if t is not None]
        if specials[: len(named)] != named:
            raise ValueError(f"{path}: the pad and unk tokens must open the special tokens")
        try:
            vocab = cls(itos[len(specials):], pad_token=pad, unk_token=unk,
                        specials=specials[len(named):])
            vocab.set_default_index(doc.get("default_index"))
        except (TypeError, ValueError) as e:
            raise ValueError(f"{path}: {e}") from None
        return vocab

    def __repr__(self) -> str:
        parts = [f"{len(self)} tokens"]
        if self.pad_token is not None:
            parts.append(f"pad {self.pad_token!r}={self.pad_index}")
        if self.unk_token is not None:
            parts.append(f"unk {self.unk_token!r}={self.unk_index}")
        return f"Vocab({', '.join(parts)})"


def build_vocab_from_iterator(iterator: Iterable[Iterable[str]], min_freq: int = 1,
                              specials: Sequence[str] | None = None,
                              special_first: bool = True,
                              max_tokens: int | None = None) -> Vocab:
    """torchtext's builder: ``specials`` (no roles given to them), then tokens seen at least
    ``min_freq`` times, most frequent first; no default index until
    ``vocab.set_default_index(vocab["<unk>"])``. ``max_tokens`` includes the specials."""
    specials = list(specials or [])
    counted = Vocab.from_iterator(iterator, min_freq, max_tokens, pad_token=None,
                                  unk_token=None, specials=specials)
    if special_first:
        return counted
    return Vocab(counted.get_itos()[len(specials):], pad_token=None, unk_token=None,
                 specials=specials, special_first=False)


def _kv_parts(kv, who: str):
    """(keys list, key -> row dict, (N, D) array) of a glassnet or gensim KeyedVectors."""
    keys = getattr(kv, "index_to_key", None)
    vectors = getattr(kv, "vectors", None)
    if keys is None or vectors is None:
        model_wv = getattr(kv, "wv", None)
        hint = " (pass model.wv, the model's KeyedVectors)" if model_wv is not None else ""
        raise TypeError(f"{who}: expected KeyedVectors (with index_to_key and vectors), got "
                        f"{type(kv).__name__}{hint}")
    vectors = np.asarray(vectors)
    if vectors.ndim != 2 or len(vectors) != len(keys):
        raise ValueError(f"{who}: the vectors have shape {vectors.shape} for {len(keys)} keys")
    if vectors.dtype.kind != "f":
        vectors = vectors.astype(np.float32)
    key_to_index = getattr(kv, "key_to_index", None)
    if not isinstance(key_to_index, dict):
        key_to_index = {k: i for i, k in enumerate(keys)}
    return list(keys), key_to_index, vectors
