"""Saving and loading: safetensors files with a JSON skeleton, written atomically.

File format
-----------
A file written by :func:`save` is a plain `safetensors <https://github.com/huggingface/
safetensors>`_ file: an 8-byte little-endian header length, a JSON header naming each
tensor's dtype, shape and byte range, then the raw little-endian tensor bytes. Nothing
in it is code, so loading a file never runs any; there is no pickle anywhere.

Everything that is not an array (numbers, strings, lists, tuples, dicts with str or int
keys, None, NaN/inf) lives in the header's ``__metadata__`` under
``"glassnet.skeleton"``: a JSON copy of the saved structure where each array is replaced
by ``{"$": "tensor", "key": ...}`` pointing at a tensor of the file. Tensor keys are the
dotted paths to the arrays, so ``gn.save(model.state_dict(), path)`` gives keys such as
``"0.weight"`` that any safetensors reader understands; and a safetensors file written
by another tool (no skeleton) loads as a dict of name -> Tensor.

Writes go to a temporary file in the destination folder, are flushed and fsynced, then
renamed over the destination (``os.replace``): a crash mid-save leaves the old file as
it was.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import struct
from collections.abc import Mapping

import numpy as np

from .tensor import Tensor

try:
    import fcntl
except ImportError:  # Windows: no advisory locks, stale temporary files stay
    fcntl = None

__all__ = ["save", "load", "atomic_write_bytes", "SaveFormatError", "FORMAT_VERSION"]

FORMAT_VERSION = 1
_SKELETON = "glassnet.skeleton"
_VERSION = "glassnet.format"
_MAX_HEADER = 100 * 1024 * 1024  # the safetensors reference limit

_DTYPE_SIZES = {
    "BOOL": 1, "U8": 1, "I8": 1, "F8_E5M2": 1, "F8_E4M3": 1, "I16": 2, "U16": 2, "F16": 2,
    "BF16": 2, "I32": 4, "U32": 4, "F32": 4, "I64": 8, "U64": 8, "F64": 8,
}
_SUPPORTED_KINDS = "biuf"
_NO_NUMPY = ("BF16", "F8_E5M2", "F8_E4M3")


class SaveFormatError(ValueError):
    """A file is truncated, corrupt, or not a file that :func:`load` can read."""


# --- atomic writes -----------------------------------------------------------------------
_UMASK: int | None = None


def _umask() -> int:
    global _UMASK
    if _UMASK is None:
        _UMASK = os.umask(0o022)  # reading the umask means setting it; put it back at once
        os.umask(_UMASK)
    return _UMASK


def _tmp_pattern(base: str):
    # mkstemp's names: "." + base + "." + 8 random characters + ".tmp"
    return re.compile(re.escape("." + base + ".") + r"[A-Za-z0-9_]{8}\.tmp\Z")


def _lock(fd: int, wait: bool) -> bool:
    """An exclusive advisory lock on an open file (held until it is closed, or until its
    process dies — which is how a stale temporary file is told from a live one)."""
    if fcntl is None:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        return True
    except OSError:
        return False


def remove_stale_temp_files(path) -> list[str]:
    """Delete the temporary files that writers of ``path`` killed mid-write left behind
    (``.<name>.XXXXXXXX.tmp`` beside it). A live writer holds a lock on its temporary
    file, so only the files of dead writers are removed. Returns the removed paths.
    (Needs ``fcntl``; elsewhere nothing is removed.)"""
    if fcntl is None:
        return []
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    pattern = _tmp_pattern(os.path.basename(path))
    removed = []
    try:
        names = [e.name for e in os.scandir(folder) if pattern.match(e.name)]
    except OSError:
        return removed
    for name in names:
        full = os.path.join(folder, name)
        try:
            fd = os.open(full, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            continue
        try:
            if _lock(fd, wait=False):  # nobody holds it: its writer is gone
                os.unlink(full)
                removed.append(full)
        except OSError:
            pass
        finally:
            os.close(fd)
    return removed


def _new_temp(folder: str, base: str) -> tuple[int, str]:
    """A new temporary file beside the target, locked by this writer."""
    import tempfile  # here: it and shutil cost ~5 ms of `import glassnet`

    while True:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix="." + base + ".", suffix=".tmp")
        _lock(fd, wait=True)
        # a cleaner may have taken the file for stale between mkstemp and the lock
        if fcntl is None or os.fstat(fd).st_nlink > 0:
            return fd, tmp
        os.close(fd)


@contextlib.contextmanager
def atomic_open(path, mode: str = "wb", encoding: str | None = None):
    """Open a temporary file beside ``path`` for writing; on a clean exit it is flushed,
    fsynced and renamed onto ``path`` (``os.replace``). On any failure the temporary file
    is removed and ``path`` is untouched, so a crash never leaves a half-written file.
    A process killed mid-write (SIGKILL, power loss) cannot remove its temporary file:
    the next write of the same ``path`` does (:func:`remove_stale_temp_files`)."""
    if "w" not in mode:
        raise ValueError(f"atomic_open: a write mode is needed, got {mode!r}")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(folder):
        raise FileNotFoundError(f"cannot save to {path!r}: folder {folder!r} does not exist")
    if os.path.isdir(path):
        raise IsADirectoryError(f"cannot save to {path!r}: it is a folder")
    remove_stale_temp_files(path)
    fd, tmp = _new_temp(folder, os.path.basename(path))
    try:
        if hasattr(os, "fchmod"):  # mkstemp makes 0600; give the usual 0666 & ~umask
            os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, mode, encoding=encoding) as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
            if fcntl is not None:  # still holding the lock: no cleaner can take it first
                os.replace(tmp, path)
        if fcntl is None:  # (Windows cannot rename an open file)
            os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    # Make the rename itself durable (not possible on every platform; best effort).
    try:
        dfd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dfd)
    except OSError:
        pass
    finally:
        os.close(dfd)


def atomic_write_bytes(path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`atomic_open`)."""
    with atomic_open(path, "wb") as f:
        f.write(data)


# --- reading files in bounded pieces ------------------------------------------------------
GZIP_MAX_RATIO = 1032  # deflate cannot expand its input more than this


class ByteSource:
    """A plain or gzip-compressed file (told apart by content), read in bounded pieces.

    Readers use it to hold a file's header up against what the file can really hold
    before allocating anything: :attr:`max_size` is the file's size, or for gzip the
    most its compressed size can expand to. Every read error (a truncated or corrupt
    gzip stream) becomes ``error(message)`` naming the file and the offset reached.
    """

    def __init__(self, path, error: type[Exception] = ValueError):
        import gzip

        self.path = os.fspath(path)
        self.error = error
        self._raw = open(self.path, "rb")
        try:
            self.disk_size = os.fstat(self._raw.fileno()).st_size
            self.gzip = self._raw.read(2) == b"\x1f\x8b"
            self._raw.seek(0)
        except OSError:
            self._raw.close()
            raise
        self.file = gzip.GzipFile(fileobj=self._raw, mode="rb") if self.gzip else self._raw
        self.offset = 0  # bytes of content (decompressed) consumed so far

    @property
    def max_size(self) -> int:
        """The most content bytes this file can hold."""
        return self.disk_size * GZIP_MAX_RATIO + 1024 if self.gzip else self.disk_size

    def describe_size(self) -> str:
        if self.gzip:
            return (f"a gzip file of {self.disk_size} bytes, which can expand to at most "
                    f"{self.max_size} bytes")
        return f"the file has {self.disk_size} bytes"

    def _guard(self, fn, *args):
        import zlib

        try:
            return fn(*args)
        except (EOFError, OSError, zlib.error) as e:
            if not self.gzip and not isinstance(e, EOFError):
                raise
            raise self.error(f"{self.path}: corrupt or truncated gzip stream after "
                             f"{self.offset} bytes of content ({e})") from None

    def read(self, n: int) -> bytes:
        """Up to ``n`` bytes (fewer only at the end of the file)."""
        parts, want = [], n
        while want > 0:
            piece = self._guard(self.file.read, want)
            if not piece:
                break
            parts.append(piece)
            want -= len(piece)
        data = b"".join(parts)
        self.offset += len(data)
        return data

    def readinto(self, buf) -> int:
        """Fill ``buf`` (a writable buffer) as far as the file allows; returns the count."""
        view = memoryview(buf).cast("B")
        got = 0
        while got < len(view):
            n = self._guard(self.file.readinto, view[got:])
            if not n:
                break
            got += n
        self.offset += got
        return got

    def readline(self, limit: int) -> bytes:
        """One line (with its newline) of at most ``limit`` bytes."""
        line = self._guard(self.file.readline, limit)
        self.offset += len(line)
        return line

    def close(self) -> None:
        try:
            if self.file is not self._raw:
                self.file.close()
        finally:
            self._raw.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --- flattening --------------------------------------------------------------------------
class _Flattener:
    def __init__(self):
        self.tensors: dict[str, np.ndarray] = {}

    def _key(self, path: str) -> str:
        key = path or "tensor"
        if key in self.tensors or key == "__metadata__":
            n = 1
            while f"{key}#{n}" in self.tensors:
                n += 1
            key = f"{key}#{n}"
        return key

    def _array(self, arr: np.ndarray, path: str, node: dict) -> dict:
        if arr.dtype.kind not in _SUPPORTED_KINDS:
            raise TypeError(
                f"save: cannot store an array of dtype {arr.dtype} at {path or '<root>'!r} "
                f"(only bool, integer and floating arrays)"
            )
        if arr.dtype.byteorder == ">":
            arr = arr.astype(arr.dtype.newbyteorder("<"))
        key = self._key(path)
        # (not np.ascontiguousarray: it turns a 0-d array into a 1-d one)
        self.tensors[key] = arr if arr.flags.c_contiguous else arr.copy(order="C")
        node["key"] = key
        return node

    def walk(self, obj, path: str):
        def join(k) -> str:
            return f"{path}.{k}" if path else str(k)

        if isinstance(obj, Tensor):
            node = {"$": "tensor"}
            if obj.requires_grad:
                node["requires_grad"] = True
            return self._array(obj.data, path, node)
        if isinstance(obj, np.ndarray):
            return self._array(obj, path, {"$": "ndarray"})
        if isinstance(obj, np.generic):
            return self._array(np.asarray(obj), path, {"$": "scalar"})
        if obj is None or isinstance(obj, (bool, str)):
            return obj
        if isinstance(obj, int):
            return obj
        if isinstance(obj, float):
            return obj if math.isfinite(obj) else {"$": "float", "value": repr(obj)}
        if isinstance(obj, Mapping):
            items = []
            for k, v in obj.items():
                if isinstance(k, bool) or not isinstance(k, (str, int)):
                    raise TypeError(
                        f"save: dict keys must be str or int, got {type(k).__name__} {k!r} "
                        f"at {path or '<root>'!r}"
                    )
                items.append([k, self.walk(v, join(k))])
            return {"$": "dict", "items": items}
        if isinstance(obj, list):
            return [self.walk(v, join(i)) for i, v in enumerate(obj)]
        if isinstance(obj, tuple):
            return {"$": "tuple", "items": [self.walk(v, join(i)) for i, v in enumerate(obj)]}
        if _is_torch_tensor(obj):
            try:
                arr = obj.detach().cpu().numpy()
            except (TypeError, RuntimeError) as e:
                raise TypeError(
                    f"save: cannot convert the torch.Tensor at {path or '<root>'!r} "
                    f"(dtype {obj.dtype}) to NumPy ({e}); convert it first, e.g. "
                    f"t.float().numpy()"
                ) from None
            node = {"$": "tensor"}
            if obj.requires_grad:
                node["requires_grad"] = True
            return self._array(arr, path, node)
        _refuse_objects(obj, path)
        raise TypeError(
            f"save: cannot store a {_type_name(obj)} at "
            f"{path or '<root>'!r}; supported: "
            f"glassnet.Tensor, torch.Tensor (converted), numpy.ndarray, numbers, str, None, "
            f"and lists/tuples/dicts of them (no pickle)"
        )


def _refuse_objects(obj, path: str) -> None:
    """A whole model or optimizer cannot be saved (that would mean pickling code): say
    what to save instead."""
    kind = next((c.__name__ for c in type(obj).__mro__
                 if c.__module__.startswith("glassnet.") and c.__name__ in ("Module",
                                                                          "Optimizer")), None)
    if kind is None and hasattr(obj, "state_dict") and hasattr(obj, "load_state_dict"):
        kind = "object"
    if kind is not None:
        what = "model" if kind == "Module" else "optimizer" if kind == "Optimizer" else "object"
        raise TypeError(
            f"save: cannot store a whole {what} ({_type_name(obj)}) at {path or '<root>'!r}: "
            f"glassnet saves data, never pickled objects. Save its state_dict instead: "
            f"gn.save({what}.state_dict(), path), and later {what}.load_state_dict(gn.load(path))"
        )


def _type_name(obj) -> str:
    t = type(obj)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__name__}"


def _is_torch_tensor(obj) -> bool:
    # without importing torch: its Tensor class lives in the torch module
    return any(c.__module__ == "torch" and c.__name__ == "Tensor" for c in type(obj).__mro__)


def save(obj, f, **kwargs) -> None:
    """Save ``obj`` to ``f`` (a path: a safetensors file written atomically; or a binary
    file object). PyTorch's extra arguments (``pickle_protocol``, ...) are accepted and
    have nothing to do: nothing is pickled.

    ``obj`` is a Tensor, an array, a state_dict (dict of name -> Tensor/array), or any
    nesting of dicts (str or int keys), lists and tuples holding Tensors, arrays, numbers,
    strings, bools and None: optimizer and scheduler state, an epoch counter, random
    state. :func:`load` gives the same structure back.
    """
    from safetensors.numpy import save as st_save

    flat = _Flattener()
    skeleton = flat.walk(obj, "")
    metadata = {_VERSION: str(FORMAT_VERSION), _SKELETON: json.dumps(skeleton, allow_nan=False)}
    data = st_save(flat.tensors, metadata=metadata)
    if hasattr(f, "write"):
        f.write(data)
    else:
        atomic_write_bytes(f, data)


# --- loading -----------------------------------------------------------------------------
def _sniff(head: bytes) -> str:
    torch_hint = ("; from PyTorch, save the weights with "
                  "safetensors.torch.save_file(model.state_dict(), path)")
    if head.startswith(b"PK\x03\x04"):
        return " (it is a zip archive, e.g. a PyTorch torch.save file or an .npz; " \
               f"glassnet never unpickles{torch_hint})"
    if head[:1] == b"\x80" and head[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return " (it is a Python pickle, e.g. an older torch.save file; glassnet never " \
               f"loads pickles, which can run code{torch_hint})"
    if head.startswith(b"\x93NUMPY"):
        return " (it is a NumPy .npy file: use numpy.load and gn.tensor)"
    if head.startswith(b"\x89HDF"):
        return " (it is an HDF5 file)"
    return ""


def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _short(obj, n: int = 120) -> str:
    text = repr(obj)
    return text if len(text) <= n else text[:n] + "..."


def _parse_header(raw: bytes, name: str) -> tuple[dict, int]:
    """Validate the safetensors framing; returns (header dict, start of the data)."""
    size = len(raw)
    if size < 8:
        raise SaveFormatError(
            f"{name}: truncated or not a safetensors file: {size} bytes, the 8-byte header "
            f"length alone needs 8{_sniff(raw)}"
        )
    (n,) = struct.unpack("<Q", raw[:8])
    if n > _MAX_HEADER or n > size - 8:
        what = "truncated" if n <= _MAX_HEADER and raw[8:9] == b"{" else "not a safetensors file"
        raise SaveFormatError(
            f"{name}: {what}: the header claims {n} bytes at offset 8, but the file has "
            f"{size} bytes{_sniff(raw[:16])}"
        )
    try:
        header = json.loads(raw[8:8 + n].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise SaveFormatError(
            f"{name}: corrupt or not a safetensors file: the header (bytes 8..{8 + n}) is not "
            f"valid JSON ({e}){_sniff(raw[:16])}"
        ) from None
    except RecursionError:
        raise SaveFormatError(
            f"{name}: corrupt header: the JSON at bytes 8..{8 + n} is nested too deeply"
        ) from None
    if not isinstance(header, dict):
        raise SaveFormatError(f"{name}: corrupt header: expected a JSON object at offset 8")
    start = 8 + n
    data_len = size - start
    end_max = 0
    for key, info in header.items():
        if key == "__metadata__":
            if not isinstance(info, dict):
                raise SaveFormatError(f"{name}: corrupt header: __metadata__ is not an object")
            continue
        try:
            dtype, shape, offsets = info["dtype"], info["shape"], info["data_offsets"]
            width = _DTYPE_SIZES[dtype]
        except (KeyError, TypeError):
            raise SaveFormatError(
                f"{name}: corrupt header entry for tensor {key!r}: {_short(info)} (expected "
                f"dtype, shape and data_offsets; dtype one of {sorted(_DTYPE_SIZES)})"
            ) from None
        if not (isinstance(shape, list) and all(_is_int(v) and v >= 0 for v in shape)):
            raise SaveFormatError(f"{name}: corrupt header entry for tensor {key!r}: shape "
                                  f"{_short(shape)} is not a list of non-negative integers")
        if not (isinstance(offsets, list) and len(offsets) == 2
                and all(_is_int(v) for v in offsets)):
            raise SaveFormatError(f"{name}: corrupt header entry for tensor {key!r}: "
                                  f"data_offsets {_short(offsets)} is not [begin, end] integers")
        lo, hi = offsets
        count = math.prod(shape)
        if hi - lo != count * width or lo < 0:
            raise SaveFormatError(
                f"{name}: corrupt entry for tensor {key!r}: {dtype} {shape} needs "
                f"{count * width} bytes, its data_offsets [{lo}, {hi}] span {hi - lo}"
            )
        if hi > data_len:
            raise SaveFormatError(
                f"{name}: truncated: tensor {key!r} needs bytes up to offset {start + hi}, "
                f"the file ends at {size}"
            )
        end_max = max(end_max, hi)
    if end_max != data_len:
        raise SaveFormatError(
            f"{name}: corrupt: the tensors cover {end_max} data bytes but the file holds "
            f"{data_len} after the header (offset {start})"
        )
    return header, start


def _unflatten(node, tensors: dict, name: str, path: str = "<root>"):
    if isinstance(node, list):
        return [_unflatten(v, tensors, name, f"{path}[{i}]") for i, v in enumerate(node)]
    if not isinstance(node, dict):
        return node
    tag = node.get("$")
    try:
        if tag in ("tensor", "ndarray", "scalar"):
            arr = tensors[node["key"]]
            if tag == "ndarray":
                return arr
            if tag == "scalar":
                return arr[()]
            t = Tensor._wrap(arr)
            if node.get("requires_grad") and arr.dtype.kind == "f":
                t.requires_grad = True
            return t
        if tag == "float":
            return float(node["value"])
        if tag == "tuple":
            return tuple(_unflatten(v, tensors, name, f"{path}[{i}]")
                         for i, v in enumerate(node["items"]))
        if tag == "dict":
            return {k: _unflatten(v, tensors, name, f"{path}[{k!r}]") for k, v in node["items"]}
    except (KeyError, TypeError, ValueError) as e:
        raise SaveFormatError(f"{name}: corrupt skeleton at {path}: {_short(node)} ({e})") from None
    raise SaveFormatError(f"{name}: corrupt skeleton at {path}: unknown node {_short(node)}")


def load(f, map_location=None, weights_only=None, **kwargs):
    """Load what :func:`save` wrote from a path or a binary file object (the same
    structure: Tensors come back as Tensors, arrays as arrays). A safetensors file from
    another tool loads as a dict of name -> Tensor. A truncated, corrupt or foreign file
    raises :class:`SaveFormatError` naming the file and, where known, the offset or field.

    PyTorch's ``map_location`` (``"cpu"``, a device, or a dict/callable mapping to the CPU)
    and ``weights_only`` are accepted: everything loads onto the CPU, and loading is
    always weights-only (data, never code) whatever ``weights_only`` says."""
    from safetensors.numpy import load as st_load

    _check_map_location(map_location)
    if hasattr(f, "read"):
        name = getattr(f, "name", "<file object>")
        raw = f.read()
    else:
        name = os.fspath(f)
        with open(name, "rb") as fh:
            raw = fh.read()
    header, _ = _parse_header(raw, name)
    meta = header.get("__metadata__") or {}
    for key, info in header.items():
        if key != "__metadata__" and info["dtype"] in _NO_NUMPY:
            raise SaveFormatError(
                f"{name}: tensor {key!r} has dtype {info['dtype']}, which NumPy cannot hold; "
                f"convert it to float32 before saving"
            )
    try:
        arrays = st_load(raw)
    except Exception as e:  # safetensors raises its own SafetensorError
        raise SaveFormatError(f"{name}: corrupt safetensors data ({e})") from None
    for k, a in arrays.items():
        if not a.flags.writeable:
            arrays[k] = a.copy()
    if _SKELETON not in meta:
        return {k: Tensor._wrap(arrays[k]) for k in header if k != "__metadata__"}
    version = meta.get(_VERSION, "?")
    if version != str(FORMAT_VERSION):
        raise SaveFormatError(
            f"{name}: glassnet format version {version!r}; this glassnet reads version "
            f"{FORMAT_VERSION}"
        )
    try:
        skeleton = json.loads(meta[_SKELETON])
        return _unflatten(skeleton, arrays, name)
    except (json.JSONDecodeError, TypeError) as e:
        raise SaveFormatError(
            f"{name}: corrupt metadata field {_SKELETON!r} ({e})"
        ) from None
    except RecursionError:
        raise SaveFormatError(
            f"{name}: corrupt metadata field {_SKELETON!r}: nested too deeply"
        ) from None


def _check_map_location(map_location) -> None:
    if map_location is None or callable(map_location):
        return
    from .device import check_device

    targets = map_location.values() if isinstance(map_location, Mapping) else [map_location]
    for t in targets:
        check_device(t, "load(map_location=...)")


# --- checkpoints -------------------------------------------------------------------------
def _rng_state(gen) -> dict:
    from .random import Generator

    if isinstance(gen, Generator):
        return gen.get_state()
    if isinstance(gen, np.random.Generator):
        return gen.bit_generator.state
    raise TypeError(f"checkpoint generators: expected a gn.Generator, got {type(gen).__name__}")


def _set_rng_state(gen, state: dict) -> None:
    from .random import Generator

    if isinstance(gen, Generator):
        gen.set_state(state)
    else:
        gen.bit_generator.state = state


def _state_arrays(sd) -> dict:
    return {k: (v.data.copy() if isinstance(v, Tensor) else np.array(v)) for k, v in sd.items()}


def save_checkpoint(path, *, model=None, optimizer=None, scheduler=None, epoch=None,
                    extra=None, generators=None) -> None:
    """Save everything needed to resume training to ``path`` (atomically).

    Holds ``model.state_dict()``, ``optimizer.state_dict()``, ``scheduler.state_dict()``,
    ``epoch`` (the number of finished epochs), the state of glassnet's global random
    generator and of each generator in ``generators`` (a dict name -> ``gn.Generator``,
    e.g. the one a DataLoader shuffles with), and ``extra`` (any structure :func:`save`
    accepts). Resuming with :func:`load_checkpoint` continues bit for bit as an
    uninterrupted run would.
    """
    from .random import get_rng_state

    ckpt = {"glassnet_checkpoint": FORMAT_VERSION, "epoch": epoch}
    if model is not None:
        ckpt["model"] = _state_arrays(model.state_dict())
    if optimizer is not None:
        ckpt["optimizer"] = optimizer.state_dict()
    if scheduler is not None:
        ckpt["scheduler"] = scheduler.state_dict()
    ckpt["rng"] = {
        "global": get_rng_state(),
        "generators": {str(k): _rng_state(g) for k, g in (generators or {}).items()
                       if g is not None},
    }
    ckpt["extra"] = extra
    save(ckpt, path)


def load_checkpoint(path, *, model=None, optimizer=None, scheduler=None, generators=None,
                    restore_rng: bool = True, strict: bool = True) -> dict:
    """Load a checkpoint written by :func:`save_checkpoint` into the given objects.

    Loads the model's weights (``strict`` as in ``load_state_dict``), the optimizer and
    scheduler state, and (with ``restore_rng``) the global random state and the state of
    each generator in ``generators`` saved under the same name. Returns the checkpoint
    dict (``"epoch"``, ``"extra"``, ``"model"``, ...).
    """
    from .random import set_rng_state

    ckpt = load(path)
    name = os.fspath(path)
    if not isinstance(ckpt, dict) or "glassnet_checkpoint" not in ckpt:
        raise SaveFormatError(f"{name}: not a glassnet checkpoint (no 'glassnet_checkpoint' "
                              f"field; use gn.load for plain saved objects)")
    for what, obj in (("model", model), ("optimizer", optimizer), ("scheduler", scheduler)):
        if obj is None:
            continue
        if what not in ckpt:
            raise SaveFormatError(f"{name}: the checkpoint holds no {what} state")
        if what == "model":
            obj.load_state_dict(ckpt[what], strict=strict)
        else:
            obj.load_state_dict(ckpt[what])
    if restore_rng:
        rng = ckpt.get("rng") or {}
        if "global" in rng:
            set_rng_state(rng["global"])
        saved = rng.get("generators", {})
        for k, g in (generators or {}).items():
            if g is None:
                continue
            if str(k) not in saved:
                raise SaveFormatError(
                    f"{name}: no random state saved for generator {k!r} "
                    f"(saved: {sorted(saved)})"
                )
            _set_rng_state(g, saved[str(k)])
    return ckpt
