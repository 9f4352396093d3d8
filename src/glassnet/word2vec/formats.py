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
import warnings

import numpy as np

from ..io import atomic_open, atomic_write_bytes

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
def _write_file(path):
    """A binary file to write ``path`` atomically (:func:`glassnet.io.atomic_open`),
    gzip-compressed when the name ends in ``.gz``."""
    with atomic_open(path, "wb") as f:
        if os.fspath(path).endswith(".gz"):
            with gzip.GzipFile(fileobj=f, mode="wb") as gz:
                yield gz
        else:
            yield f


def _read_bytes(path) -> bytes:
    path = os.fspath(path)
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        return f.read()


# --- word2vec format: writing ------------------------------------------------------------


def write_word2vec(path, keys, vectors: np.ndarray, binary: bool = False,
                   write_header: bool = True, counts=None, fvocab=None) -> None:
    """Write ``keys`` (length N) and ``vectors`` (N, D) in the word2vec format.

    Text values are written with 9 significant digits, enough to read back every
    float32 exactly. ``fvocab`` additionally writes ``<word> <count>`` lines, the
    original tool's ``-save-vocab`` file.
    """
    vectors = np.asarray(vectors)
    if vectors.ndim != 2 or vectors.shape[0] != len(keys):
        raise ValueError(f"write_word2vec: expected vectors of shape ({len(keys)}, D), "
                         f"got {vectors.shape}")
    n, d = vectors.shape
    for k in keys:
        s = str(k)
        if not s or any(ch.isspace() for ch in s):
            raise ValueError(f"write_word2vec: key {s!r} is empty or contains whitespace; "
                             f"the word2vec format cannot store it")
    v32 = np.ascontiguousarray(vectors, dtype="<f4")
    with _write_file(path) as f:
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
        with _write_file(fvocab) as f:
            f.write("".join(f"{k} {int(c)}\n" for k, c in zip(keys, counts)).encode("utf-8"))


# --- word2vec format: reading ------------------------------------------------------------


def _header(data: bytes, path: str) -> tuple[int, int, int]:
    end = data.find(b"\n")
    line = data[: end if end >= 0 else len(data)]
    parts = line.split()
    try:
        if len(parts) != 2:
            raise ValueError
        n, d = int(parts[0]), int(parts[1])
        if n < 0 or d < 1:
            raise ValueError
    except ValueError:
        raise FormatError(
            f"{path}: line 1 should be the header '<count> <dimensions>', got "
            f"{line[:80]!r} (a file without a header needs no_header=True)"
        ) from None
    return n, d, (end + 1 if end >= 0 else len(data))


def _read_text(data, path, n, d, start, encoding, unicode_errors, limit, header_line):
    lines = data[start:].split(b"\n")
    while lines and not lines[-1].strip():
        lines.pop()
    if n is None:
        n = len(lines)
    want = n if limit is None else min(n, limit)
    if len(lines) < want:
        raise FormatError(
            f"{path}: the header says {n} vectors but the file has only {len(lines)} "
            f"vector lines (truncated, or the count is wrong)"
        )
    if limit is None and len(lines) > n:
        raise FormatError(
            f"{path}: the header says {n} vectors but line {header_line + n + 1} holds "
            f"another (the count is wrong)"
        )
    words, nums = [], []
    for i in range(want):
        parts = lines[i].split()
        line_no = header_line + i + 1
        if d is None:
            d = len(parts) - 1
            if d < 1:
                raise FormatError(f"{path}: line {line_no} holds no vector values")
        if len(parts) != d + 1:
            raise FormatError(
                f"{path}: line {line_no} should hold a word and {d} numbers, got "
                f"{len(parts) - 1} values after {parts[0][:40]!r}" if parts else
                f"{path}: line {line_no} is empty, expected a word and {d} numbers"
            )
        try:
            words.append(parts[0].decode(encoding, unicode_errors))
        except UnicodeDecodeError as e:
            raise FormatError(f"{path}: line {line_no}: the word is not valid {encoding} "
                              f"({e.reason}); try unicode_errors='replace'") from None
        try:
            nums.append(np.array(parts[1:], dtype=np.float32))
        except ValueError:
            bad = next(p for p in parts[1:] if not _is_float(p))
            raise FormatError(f"{path}: line {line_no}: {bad[:40]!r} is not a number") from None
    vectors = np.stack(nums) if nums else np.zeros((0, d or 0), np.float32)
    return words, vectors


def _is_float(b: bytes) -> bool:
    try:
        float(b)
        return True
    except ValueError:
        return False


def _show(word: bytes) -> str:
    return repr(word[:40].decode("utf-8", "replace"))


def _read_binary(data, path, n, d, start, encoding, unicode_errors, limit):
    want = n if limit is None else min(n, limit)
    rec = 4 * d
    words = []
    vectors = np.empty((want, d), dtype=np.float32)
    pos = start
    size = len(data)
    for i in range(want):
        while pos < size and data[pos] in (10, 13):  # a newline ending the previous record
            pos += 1
        sp = data.find(b" ", pos, pos + 10000)
        if sp < 0:
            where = "the file ends" if size - pos < 10000 else "no space within 10000 bytes"
            raise FormatError(
                f"{path}: record {i + 1} of {n} at byte offset {pos}: expected '<word> ' "
                f"then {rec} bytes of vector, but {where} (truncated, or not binary?)"
            )
        if sp + 1 + rec > size:
            raise FormatError(
                f"{path}: record {i + 1} of {n} ({_show(data[pos:sp])}) at byte offset "
                f"{pos}: needs {rec} bytes of vector from offset {sp + 1}, only "
                f"{size - sp - 1} left (truncated file, or the header count is wrong)"
            )
        try:
            words.append(data[pos:sp].decode(encoding, unicode_errors))
        except UnicodeDecodeError as e:
            raise FormatError(
                f"{path}: record {i + 1} at byte offset {pos}: the word is not valid "
                f"{encoding} ({e.reason}); try unicode_errors='replace'"
            ) from None
        vectors[i] = np.frombuffer(data, dtype="<f4", count=d, offset=sp + 1)
        pos = sp + 1 + rec
    while pos < size and data[pos] in b" \t\r\n":
        pos += 1
    if limit is None and pos < size:
        raise FormatError(
            f"{path}: the header says {n} vectors but more data follows at byte offset "
            f"{pos} (the count is wrong, or the file is text: binary=False)"
        )
    return words, vectors


def read_word2vec(path, binary: bool = False, encoding: str = "utf8",
                  unicode_errors: str = "strict", limit: int | None = None,
                  no_header: bool = False, fvocab=None):
    """Read a word2vec file; returns ``(words, vectors (N, D) float32, counts or None)``.

    Raises :class:`FormatError` naming the line or byte offset when the header and the
    body disagree, a record is short or a value is not a number. A word that appears
    twice is kept once (the first), with a warning, as gensim does.
    """
    path = os.fspath(path)
    data = _read_bytes(path)
    if no_header:
        if binary:
            raise ValueError("no_header=True is only supported for the text format")
        words, vectors = _read_text(data, path, None, None, 0, encoding, unicode_errors,
                                    limit, 0)
    else:
        n, d, start = _header(data, path)
        if binary:
            words, vectors = _read_binary(data, path, n, d, start, encoding, unicode_errors,
                                          limit)
        else:
            words, vectors = _read_text(data, path, n, d, start, encoding, unicode_errors,
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
    for line_no, line in enumerate(_read_bytes(fvocab).split(b"\n"), 1):
        if not line.strip():
            continue
        parts = line.split()
        try:
            table[parts[0].decode(encoding, unicode_errors)] = int(parts[1])
        except (ValueError, IndexError):
            raise FormatError(f"{fvocab}: line {line_no} should be '<word> <count>', got "
                              f"{line[:80]!r}") from None
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
    try:
        with safe_open(path, framework="numpy") as f:
            raw = (f.metadata() or {}).get("glassnet")
            arrays = {k: np.array(f.get_tensor(k)) for k in f.keys()}
    except Exception as e:  # safetensors raises its own error types
        raise FormatError(f"{path}: not a readable safetensors file ({e})") from None
    if raw is None:
        raise FormatError(f"{path}: a safetensors file, but not one written by glassnet")
    try:
        meta = json.loads(raw)
    except json.JSONDecodeError as e:
        raise FormatError(f"{path}: damaged glassnet metadata ({e})") from None
    if meta.get("kind") != kind:
        raise FormatError(f"{path}: holds a glassnet {meta.get('kind')!r}, expected {kind!r}")
    return arrays, meta
