"""File formats: the original tool's word2vec text and binary formats, and glassnet's
own whole-model file (safetensors arrays + JSON metadata, no pickle).

word2vec text format::

    <count> <dimensions>\\n
    <word> <v1> <v2> ... <vD>\\n          (one line per word, most frequent first)

word2vec binary format: the same header line, then per word ``<word><space>`` followed by
D little-endian float32 values (4 D bytes) and, as the original tool writes, a newline
(readers, glassnet's included, skip a newline before a word, so files without it load
too). Words are UTF-8.

Every writer goes through glassnet's one atomic writer, :func:`glassnet.io.atomic_open`
(a temporary file in the target's folder, fsync, then ``os.replace``), so a crash never
leaves a half-written file under the real name; a name ending in ``.gz`` is written
gzip-compressed, as the readers accept it. Every reader checks the whole file before
returning anything and names the line (text) or byte offset (binary) of the first problem.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import os
import re
import warnings

import numpy as np

from ..io import ByteSource, atomic_open, atomic_write_bytes

__all__ = [
    "FormatError",
    "read_word2vec",
    "write_word2vec",
    "save_arrays",
    "load_arrays",
]


class FormatError(ValueError):
    """A malformed or truncated vectors/model file; the message names file and place."""


@contextlib.contextmanager
def _write_file(path, append: bool = False):
    """A binary file to write ``path`` atomically (:func:`glassnet.io.atomic_open`),
    gzip-compressed when the name ends in ``.gz``. ``append`` first copies the file's
    current bytes (a gzip file then gains a second member, which readers continue into)."""
    with atomic_open(path, "wb") as f:
        if append and os.path.exists(path):
            with open(path, "rb") as old:
                while piece := old.read(1 << 20):
                    f.write(piece)
        if os.fspath(path).endswith(".gz"):
            with gzip.GzipFile(fileobj=f, mode="wb") as gz:
                yield gz
        else:
            yield f


# --- files from other tools: refused with the way out ------------------------------------
# A gensim model or KeyedVectors saved with .save() is a Python pickle (protocol 4 since
# gensim 4, 2 before; gzip or bz2 compressed when the name ends in .gz/.bz2), and large
# arrays may sit beside it in <name>.<attribute>.npy files. Unpickling runs whatever code
# the file names, so glassnet only looks at the first bytes and explains how to export.

_EXPORT = ("Export the vectors from gensim in the word2vec format instead: in gensim, "
           "model.wv.save_word2vec_format('vectors.bin', binary=True) (for a KeyedVectors: "
           "kv.save_word2vec_format(...)); then in glassnet, "
           "KeyedVectors.load_word2vec_format('vectors.bin', binary=True)")


def _head(path: str, n: int = 4096) -> bytes:
    """The first ``n`` bytes of a file's content, gzip or bz2 decompressed; b"" when the
    file cannot be read (the real loader then reports that)."""
    import bz2
    import zlib

    try:
        with open(path, "rb") as f:
            raw = f.read(n)
            if raw[:3] == b"BZh":  # bz2 decodes whole blocks (up to 900 kB) only
                raw += f.read(1 << 20)
    except OSError:
        return b""
    try:
        if raw[:2] == b"\x1f\x8b":
            return zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(raw, n)
        if raw[:3] == b"BZh":
            return bz2.BZ2Decompressor().decompress(raw, n)
    except (zlib.error, OSError, EOFError, ValueError):
        return b""
    return raw


def _is_pickle(head: bytes) -> bool:
    """True when ``head`` starts a binary Python pickle (protocol 2 to 5). A safetensors
    file whose header length happens to start with the same two bytes is told apart by
    its JSON header, which begins at byte 8 after a small length."""
    if len(head) < 3 or head[0] != 0x80 or head[1] not in (2, 3, 4, 5):
        return False
    return not (head[8:9] == b"{" and head[5:8] == b"\0\0\0")


def foreign_file_message(path, loading: str) -> str | None:
    """A message explaining what ``path`` is when it is a pickle (gensim's or any other)
    or a NumPy array file, and how to get its vectors into glassnet; None otherwise.
    ``loading`` names what the caller wanted (``"KeyedVectors"``, ...). Reads only the
    first bytes; never unpickles."""
    path = os.fspath(path)
    if not os.path.isfile(path):
        return None
    head = _head(path)
    if _is_pickle(head):
        found = re.search(rb"(gensim(?:\.\w+)+)(?:\n|\x94?\x8c.)([A-Za-z_]\w*)", head, re.S)
        if found:
            what = (f"a gensim {found.group(2).decode()} ({found.group(1).decode()}) saved "
                    f"with .save()")
        elif b"gensim" in head:
            what = "an object saved by gensim's .save()"
        else:
            what = "a Python pickle, not a glassnet or word2vec file"
        extra = (" Only the word vectors move across: glassnet cannot continue training a "
                 "gensim model." if loading == "Word2Vec" else "")
        return (f"{path}: cannot load {loading}: the file is a Python pickle, {what}. "
                f"glassnet never unpickles files (unpickling can run any code the file "
                f"names). {_EXPORT}.{extra}")
    if head.startswith(b"\x93NUMPY"):
        return (f"{path}: cannot load {loading}: the file is a NumPy .npy array (gensim "
                f"writes the large arrays of a model saved with .save() beside its pickle, "
                f"as <name>.<attribute>.npy). {_EXPORT}")
    return None


# --- word2vec format: writing ------------------------------------------------------------


def write_word2vec(path, keys, vectors: np.ndarray, binary: bool = False,
                   write_header: bool = True, counts=None, fvocab=None,
                   total_vec: int | None = None, prefix: str = "",
                   append: bool = False) -> None:
    """Write ``keys`` (length N) and ``vectors`` (N, D) in the word2vec format.

    Text values are written with 9 significant digits, enough to read back every
    float32 exactly. ``fvocab`` additionally writes ``<word> <count>`` lines, the
    original tool's ``-save-vocab`` file. ``prefix`` goes before every key;
    ``total_vec`` (at least N) is the count the header declares, for a file that a
    later ``append=True`` call completes (``append`` adds to the end of the files).
    """
    vectors = np.asarray(vectors)
    if vectors.ndim != 2 or vectors.shape[0] != len(keys):
        raise ValueError(f"write_word2vec: expected vectors of shape ({len(keys)}, D), "
                         f"got {vectors.shape}")
    n, d = vectors.shape
    keys = [f"{prefix}{k}" for k in keys]
    if total_vec is not None:
        if int(total_vec) < n:
            raise ValueError(f"write_word2vec: total_vec={total_vec} is less than the {n} "
                             f"vectors to write")
        n = int(total_vec)
    for k in keys:
        s = str(k)
        if not s or any(ch.isspace() for ch in s):
            raise ValueError(f"write_word2vec: key {s!r} is empty or contains whitespace; "
                             f"the word2vec format cannot store it")
    v32 = np.ascontiguousarray(vectors, dtype="<f4")
    with _write_file(path, append) as f:
        if write_header:
            f.write(f"{n} {d}\n".encode())
        if binary:
            for i, k in enumerate(keys):
                f.write(str(k).encode("utf-8") + b" " + v32[i].tobytes() + b"\n")
        else:
            fmt = " ".join(["%.9g"] * d)
            chunk = []
            for i, k in enumerate(keys):
                chunk.append(f"{k} {fmt % tuple(v32[i].tolist())}\n")
                if len(chunk) == 1000:
                    f.write("".join(chunk).encode("utf-8"))
                    chunk = []
            f.write("".join(chunk).encode("utf-8"))
    if fvocab is not None:
        if counts is None:
            raise ValueError("write_word2vec: fvocab needs the word counts")
        with _write_file(fvocab, append) as f:
            f.write("".join(f"{k} {int(c)}\n" for k, c in zip(keys, counts)).encode("utf-8"))


# --- word2vec format: reading ------------------------------------------------------------
# Readers stream the file (plain or gzip, told apart by content) and never hold it whole:
# rows are allocated only as far as the file can hold them (a header declaring 2e6 x 1e6
# vectors in a small file is a format error at the first short record, not a 7 TiB
# allocation), and nothing beyond what the header declares is decompressed.

_MAX_WORD = 10000  # bytes of one word (binary format), as the readers of the format use
_TRAILING = 1 << 16  # blank bytes allowed after the last vector


def _header(src: ByteSource, path: str) -> tuple[int, int]:
    line = src.readline(1024)
    parts = line.split()
    try:
        if len(parts) != 2 or (len(line) == 1024 and not line.endswith(b"\n")):
            raise ValueError
        n, d = int(parts[0]), int(parts[1])
        if n < 0 or d < 1:
            raise ValueError
    except ValueError:
        raise FormatError(
            f"{path}: line 1 should be the header '<count> <dimensions>', got "
            f"{line[:80]!r} (a file without a header needs no_header=True)"
        ) from None
    return n, d


class _Rows:
    """Vectors (rows, D) float32, allocated as far as the file can hold them."""

    def __init__(self, want: int | None, d: int, cap: int):
        self.d = d
        self.want = want
        self.data = np.empty((min(want if want is not None else 1024, max(cap, 0)), d),
                             np.float32)

    def slot(self, i: int) -> np.ndarray:
        if i >= len(self.data):  # (only when the size bound was loose: grow)
            grow = max(len(self.data), 1024)
            if self.want is not None:
                grow = min(grow, self.want - len(self.data))
            self.data = np.concatenate([self.data, np.empty((grow, self.d), np.float32)])
        return self.data[i]

    def result(self, n: int) -> np.ndarray:
        return self.data[:n] if n < len(self.data) else self.data


def _trailing_blank(src: ByteSource) -> bytes:
    """The rest of the file when it is at most _TRAILING blank bytes, else the first
    non-blank bytes found (read no further)."""
    rest = src.read(_TRAILING + 1)
    stripped = rest.lstrip(b" \t\r\n")
    if not stripped and len(rest) > _TRAILING:
        return b"<blank>"
    return stripped


def _read_text(src, path, n, d, encoding, unicode_errors, limit, header_line):
    want = None if n is None else (n if limit is None else min(n, limit))
    if want is None and limit is not None:
        want = limit
    line_limit = 64 * (d + 1) + _MAX_WORD if d is not None else 1 << 24
    rows = None
    if d is not None:
        rows = _Rows(want, d, src.max_size // (2 * d + 1) + 1)
    words = []
    i = 0
    while want is None or i < want:
        line_no = header_line + i + 1
        line = src.readline(line_limit)
        if not line:
            break
        if len(line) == line_limit and not line.endswith(b"\n"):
            raise FormatError(f"{path}: line {line_no} is longer than {line_limit} bytes "
                              f"(not a word2vec text file, or a wrong header)")
        parts = line.split()
        if not parts:  # blank: the end of the file, or an empty line in the middle
            if not _trailing_blank(src):
                break
            raise FormatError(f"{path}: line {line_no} is empty, expected a word and "
                              f"{d if d is not None else 'its'} numbers")
        if d is None:
            d = len(parts) - 1
            if d < 1:
                raise FormatError(f"{path}: line {line_no} holds no vector values")
            line_limit = 64 * (d + 1) + _MAX_WORD
            rows = _Rows(want, d, src.max_size // (2 * d + 1) + 1)
        if len(parts) != d + 1:
            raise FormatError(
                f"{path}: line {line_no} should hold a word and {d} numbers, got "
                f"{len(parts) - 1} values after {parts[0][:40]!r}"
            )
        try:
            words.append(parts[0].decode(encoding, unicode_errors))
        except UnicodeDecodeError as e:
            raise FormatError(f"{path}: line {line_no}: the word is not valid {encoding} "
                              f"({e.reason}); try unicode_errors='replace'") from None
        try:
            rows.slot(i)[:] = np.array(parts[1:], dtype=np.float32)
        except ValueError:
            bad = next(p for p in parts[1:] if not _is_float(p))
            raise FormatError(f"{path}: line {line_no}: {bad[:40]!r} is not a number") from None
        i += 1
    if n is not None and i < want:
        raise FormatError(
            f"{path}: the header says {n} vectors but the file has only {i} "
            f"vector lines (truncated, or the count is wrong)"
        )
    if n is not None and limit is None:
        rest = _trailing_blank(src)
        if rest:
            raise FormatError(
                f"{path}: the header says {n} vectors but line {header_line + n + 1} holds "
                f"another (the count is wrong)" if rest != b"<blank>" else
                f"{path}: more than {_TRAILING} blank bytes follow the {n} vectors"
            )
    if rows is None:
        return words, np.zeros((0, 0), np.float32)
    return words, rows.result(i)


def _is_float(b: bytes) -> bool:
    try:
        float(b)
        return True
    except ValueError:
        return False


def _show(word: bytes) -> str:
    return repr(word[:40].decode("utf-8", "replace"))


class _Window:
    """A sliding window over a ByteSource, for the binary format's records."""

    def __init__(self, src: ByteSource):
        self.src = src
        self.buf = b""
        self.pos = 0  # position in buf
        self.base = src.offset  # file offset of buf[0]

    @property
    def offset(self) -> int:
        return self.base + self.pos

    def fill(self, k: int) -> int:
        """Make at least k bytes available from pos (fewer at the end); returns how many."""
        have = len(self.buf) - self.pos
        if have < k:
            more = self.src.read(max(k - have, 1 << 20))
            self.base += self.pos
            self.buf = self.buf[self.pos:] + more
            self.pos = 0
        return len(self.buf) - self.pos


def _read_binary(src, path, n, d, encoding, unicode_errors, limit):
    want = n if limit is None else min(n, limit)
    rec = 4 * d
    words = []
    rows = _Rows(want, d, src.max_size // (rec + 2))
    w = _Window(src)
    for i in range(want):
        while w.fill(1) and w.buf[w.pos] in (10, 13):  # a newline ending the previous record
            w.pos += 1
        avail = w.fill(_MAX_WORD + 1)
        sp = w.buf.find(b" ", w.pos, w.pos + _MAX_WORD)
        if sp < 0:
            where = "the file ends" if avail < _MAX_WORD else f"no space within {_MAX_WORD} bytes"
            raise FormatError(
                f"{path}: record {i + 1} of {n} at byte offset {w.offset}: expected '<word> ' "
                f"then {rec} bytes of vector, but {where} (truncated, or not binary?)"
            )
        word_len = sp - w.pos
        start = w.offset
        avail = w.fill(word_len + 1 + rec)
        word = w.buf[w.pos:w.pos + word_len]
        if avail < word_len + 1 + rec:
            raise FormatError(
                f"{path}: record {i + 1} of {n} ({_show(word)}) at byte offset "
                f"{start}: needs {rec} bytes of vector from offset {start + word_len + 1}, only "
                f"{avail - word_len - 1} left (truncated file, or the header count is wrong)"
            )
        try:
            words.append(word.decode(encoding, unicode_errors))
        except UnicodeDecodeError as e:
            raise FormatError(
                f"{path}: record {i + 1} at byte offset {start}: the word is not valid "
                f"{encoding} ({e.reason}); try unicode_errors='replace'"
            ) from None
        rows.slot(i)[:] = np.frombuffer(w.buf, dtype="<f4", count=d,
                                        offset=w.pos + word_len + 1)
        w.pos += word_len + 1 + rec
    if limit is None:
        rest = w.buf[w.pos:]
        stripped = rest.lstrip(b" \t\r\n")
        more = b"" if stripped or len(rest) > _TRAILING else _trailing_blank(src)
        if stripped or more or len(rest) > _TRAILING:
            at = w.offset + len(rest) - len(stripped) if stripped else w.offset
            raise FormatError(
                f"{path}: the header says {n} vectors but more data follows at byte offset "
                f"{at} (the count is wrong, or the file is text: binary=False)"
            )
    return words, rows.result(want)


def read_word2vec(path, binary: bool = False, encoding: str = "utf8",
                  unicode_errors: str = "strict", limit: int | None = None,
                  no_header: bool = False, fvocab=None):
    """Read a word2vec file (plain or gzip); returns ``(words, vectors (N, D) float32,
    counts or None)``.

    Raises :class:`FormatError` naming the line or byte offset when the header and the
    body disagree, a record is short or a value is not a number, or the file (a gzip
    stream) holds more than the header declares. A word that appears twice is kept once
    (the first), with a warning, as gensim does.
    """
    path = os.fspath(path)
    if limit is not None and (not isinstance(limit, (int, np.integer)) or limit < 0):
        raise ValueError(f"limit must be None or a non-negative integer, got {limit!r}")
    refused = foreign_file_message(path, "word2vec-format vectors")
    if refused:
        raise FormatError(refused)
    with ByteSource(path, FormatError) as src:
        if no_header:
            if binary:
                raise ValueError("no_header=True is only supported for the text format")
            words, vectors = _read_text(src, path, None, None, encoding, unicode_errors,
                                        limit, 0)
        else:
            n, d = _header(src, path)
            if binary:
                words, vectors = _read_binary(src, path, n, d, encoding, unicode_errors,
                                              limit)
            else:
                words, vectors = _read_text(src, path, n, d, encoding, unicode_errors,
                                            limit, 1)
    seen: dict[str, int] = {}
    keep = []
    for i, w in enumerate(words):
        if w in seen:
            warnings.warn(f"{path}: duplicate word {w!r} (vector {i + 1}); keeping the "
                          f"first, ignoring the others", stacklevel=3)
            continue
        seen[w] = i
        keep.append(i)
    if len(keep) != len(words):
        words = [words[i] for i in keep]
        vectors = vectors[keep]
    counts = None
    if fvocab is not None:
        counts = _read_vocab_counts(fvocab, words, encoding, unicode_errors)
    return words, vectors, counts


def _read_vocab_counts(fvocab, words, encoding, unicode_errors):
    fvocab = os.fspath(fvocab)
    table = {}
    with ByteSource(fvocab, FormatError) as src:
        line_no = 0
        while True:
            line = src.readline(_MAX_WORD + 64)
            line_no += 1
            if not line:
                break
            if not line.strip():
                continue
            parts = line.split()
            try:
                if len(parts) != 2 or not line.endswith(b"\n") and len(line) > _MAX_WORD:
                    raise ValueError
                table[parts[0].decode(encoding, unicode_errors)] = int(parts[1])
            except (ValueError, IndexError):
                raise FormatError(f"{fvocab}: line {line_no} should be '<word> <count>', "
                                  f"got {line[:80]!r}") from None
    return np.array([table.get(w, 0) for w in words], dtype=np.int64)


# --- glassnet model files (safetensors) --------------------------------------------------


def save_arrays(path, arrays: dict, meta: dict) -> None:
    """Write named arrays and JSON-able metadata to a safetensors file, atomically."""
    from safetensors.numpy import save

    blob = save({k: np.ascontiguousarray(v) for k, v in arrays.items()},
                metadata={"glassnet": json.dumps(meta, ensure_ascii=False)})
    atomic_write_bytes(path, blob)


def load_arrays(path, kind: str) -> tuple[dict, dict]:
    """Read a file written by :func:`save_arrays`; checks it holds a glassnet ``kind``."""
    from safetensors import safe_open

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such file: {path!r}")
    refused = foreign_file_message(path, kind)
    if refused:
        raise FormatError(refused)
    try:
        with safe_open(path, framework="numpy") as f:
            raw = (f.metadata() or {}).get("glassnet")
            arrays = {k: np.array(f.get_tensor(k)) for k in f.keys()}
    except Exception as e:  # safetensors raises its own error types
        hint = ""
        if re.match(rb"\d+[ \t]+\d+[ \t]*\r?\n", _head(path, 64)):
            hint = ("; it looks like a word2vec-format file: read it with "
                    "KeyedVectors.load_word2vec_format(path, binary=...)")
        raise FormatError(f"{path}: not a readable safetensors file ({e}), so not a glassnet "
                          f"{kind} file{hint}") from None
    if raw is None:
        raise FormatError(f"{path}: a safetensors file, but not one written by glassnet")
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError as e:
        raise FormatError(f"{path}: damaged glassnet metadata ({e})") from None
    except RecursionError:
        raise FormatError(f"{path}: damaged glassnet metadata (nested too deeply)") from None
    if not isinstance(meta, dict):
        raise FormatError(f"{path}: damaged glassnet metadata (not a JSON object)")
    if meta.get("kind") != kind:
        raise FormatError(f"{path}: holds a glassnet {meta.get('kind')!r}, expected {kind!r}")
    return arrays, meta
