"""The IDX file format of MNIST and Fashion-MNIST: read, write, and load the data set.

An IDX file is a 4-byte magic number ``00 00 TT DD`` (``TT`` the element type, ``DD`` the
number of dimensions), then ``DD`` big-endian uint32 sizes, then the elements, big-endian,
row-major. Files may be gzip-compressed (recognised by their content, not their name).

>>> write_idx("labels.idx1-ubyte.gz", np.array([3, 1, 4], dtype=np.uint8))
>>> read_idx("labels.idx1-ubyte.gz")
array([3, 1, 4], dtype=uint8)

:func:`load_mnist` reads the four standard files from a folder; :func:`download_mnist`
fetches them once into a cache, checking their MD5 sums (the tests never use it).
"""

from __future__ import annotations

import gzip
import hashlib
import math
from pathlib import Path

import numpy as np

from ..io import ByteSource, atomic_write_bytes
from .datasets import Bunch

__all__ = ["read_idx", "write_idx", "load_mnist", "download_mnist", "IDXError"]

_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_CODES = {np.dtype(v).newbyteorder("=").str: k for k, v in _TYPES.items()}


class IDXError(ValueError):
    """A file that is not valid IDX: wrong magic, truncated, or a size that disagrees with
    its header. The message names the file and the byte offset."""


def read_idx(path) -> np.ndarray:
    """Read an IDX file (plain or gzip) into an array of its native element type,
    shape as in the header (``(60000, 28, 28)`` uint8 for MNIST's training images).

    The header is checked against what the file can hold before anything is allocated,
    and only the bytes the header declares are read (a gzip file that expands beyond
    them is refused, not decompressed)."""
    with ByteSource(path, IDXError) as src:
        return _read_idx(src, src.path)


def _read_idx(src: ByteSource, path: str) -> np.ndarray:
    magic = src.read(4)
    if len(magic) < 4:
        raise IDXError(f"{path}: truncated IDX header: {len(magic)} bytes at offset 0, "
                       f"expected a 4-byte magic number")
    if magic[0] != 0 or magic[1] != 0 or magic[2] not in _TYPES or magic[3] == 0:
        raise IDXError(f"{path}: wrong magic number {magic.hex(' ')} at offset 0 "
                       f"(expected 00 00 <type in {sorted(f'{t:02x}' for t in _TYPES)}> <ndim>): "
                       f"not an IDX file")
    dtype, ndim = np.dtype(_TYPES[magic[2]]), magic[3]
    head = 4 + 4 * ndim
    sizes = src.read(4 * ndim)
    if len(sizes) < 4 * ndim:
        raise IDXError(f"{path}: truncated IDX header: the magic number announces {ndim} "
                       f"dimensions, but the file ends at offset {4 + len(sizes)} before the "
                       f"sizes end at offset {head}")
    shape = tuple(int(v) for v in np.frombuffer(sizes, dtype=">u4"))
    expected = math.prod(shape) * dtype.itemsize  # Python ints: no overflow
    if expected > src.max_size - head and not src.gzip:
        found = src.disk_size - head
        raise IDXError(f"{path}: truncated: the header (shape {shape}, {dtype.name}) needs "
                       f"{expected} data bytes from offset {head}, but the file ends at "
                       f"offset {src.disk_size} ({found} bytes)")
    if expected > src.max_size - head:
        raise IDXError(f"{path}: truncated or corrupt: the header (shape {shape}, "
                       f"{dtype.name}) needs {expected} data bytes from offset {head}, but "
                       f"{src.describe_size()}")
    out = np.empty(expected // dtype.itemsize, dtype=dtype)
    found = src.readinto(out)
    if found < expected:
        raise IDXError(f"{path}: truncated: the header (shape {shape}, {dtype.name}) needs "
                       f"{expected} data bytes from offset {head}, but the file ends at "
                       f"offset {head + found} ({found} bytes)")
    more = len(src.read(1 << 16))
    if more:
        count = (f"{src.disk_size - head - expected} more bytes" if not src.gzip else
                 f"more bytes ({more}{'+' if more == 1 << 16 else ''})")
        raise IDXError(f"{path}: size disagrees with header: shape {shape} ({dtype.name}) "
                       f"ends at offset {head + expected}, but the file has {count}")
    return out.reshape(shape).astype(dtype.newbyteorder("="))


def write_idx(path, array) -> None:
    """Write ``array`` as IDX (gzip-compressed when ``path`` ends in ``.gz``), atomically:
    a temporary file in the same folder, flushed to disk, then renamed over ``path``.
    Element types: uint8, int8, int16, int32, float32, float64."""
    a = np.asarray(array)
    code = _CODES.get(a.dtype.newbyteorder("=").str)
    if code is None:
        raise TypeError(f"write_idx: IDX cannot store dtype {a.dtype}; convert to one of "
                        f"uint8, int8, int16, int32, float32, float64")
    if a.ndim == 0 or a.ndim > 255:
        raise ValueError(f"write_idx: IDX needs 1 to 255 dimensions, got {a.ndim}")
    if any(n >= 2**32 for n in a.shape):
        raise ValueError(f"write_idx: a dimension is too large for IDX: {a.shape}")
    payload = (bytes([0, 0, code, a.ndim]) + np.asarray(a.shape, dtype=">u4").tobytes()
               + np.ascontiguousarray(a, dtype=_TYPES[code]).tobytes())
    if Path(path).suffix == ".gz":
        payload = gzip.compress(payload, mtime=0)
    atomic_write_bytes(path, payload)


_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}


def _find(folder: Path, stem: str) -> Path:
    # The common spellings: "train-images-idx3-ubyte" and "train-images.idx3-ubyte".
    alt = stem.replace("-idx", ".idx")
    for name in (stem, stem + ".gz", alt, alt + ".gz"):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"load_mnist: no {stem}[.gz] in {folder}")


def load_mnist(folder, dtype=np.float32, normalize: bool = True) -> Bunch:
    """The four MNIST-format files in ``folder`` (MNIST or Fashion-MNIST, plain or .gz).

    Returns a Bunch with ``train_images`` ``(N, 1, 28, 28)``, ``train_labels`` ``(N,)``
    int64, ``test_images`` and ``test_labels``. Images are ``dtype``, scaled to [0, 1]
    when ``normalize`` (``dtype=np.uint8, normalize=False`` keeps the raw bytes).
    """
    folder = Path(folder)
    out = Bunch()
    for key, stem in _FILES.items():
        path = _find(folder, stem)
        a = read_idx(path)
        if key.endswith("images"):
            if a.ndim != 3:
                raise IDXError(f"{path}: expected images (N, H, W), got shape {a.shape}")
            a = a[:, None].astype(dtype)
            if normalize:
                a /= 255.0
        else:
            if a.ndim != 1:
                raise IDXError(f"{path}: expected labels (N,), got shape {a.shape}")
            a = a.astype(np.int64)
        out[key] = a
    for part in ("train", "test"):
        ni, nl = len(out[f"{part}_images"]), len(out[f"{part}_labels"])
        if ni != nl:
            raise IDXError(f"load_mnist: {part} has {ni} images but {nl} labels in {folder}")
    return out


_SOURCES = {
    "mnist": ("https://ossci-datasets.s3.amazonaws.com/mnist/", {
        "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
    }),
    "fashion-mnist": ("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/", {
        "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
    }),
}


def download_mnist(name: str = "mnist", cache_dir=None) -> Path:
    """Fetch ``"mnist"`` or ``"fashion-mnist"`` into ``cache_dir`` (default
    ``~/.cache/glassnet/<name>``) unless already there, verify each file's MD5, and return
    the folder for :func:`load_mnist`. Needs network access; nothing else calls it."""
    if name not in _SOURCES:
        raise ValueError(f"download_mnist: unknown data set {name!r}; "
                         f"choose from {sorted(_SOURCES)}")
    base, files = _SOURCES[name]
    folder = Path(cache_dir) if cache_dir else Path.home() / ".cache" / "glassnet" / name
    folder.mkdir(parents=True, exist_ok=True)
    for fname, md5 in files.items():
        path = folder / fname
        if path.is_file() and hashlib.md5(path.read_bytes()).hexdigest() == md5:
            continue
        import urllib.request

        try:
            with urllib.request.urlopen(base + fname, timeout=60) as r:  # noqa: S310
                data = r.read()
        except OSError as e:  # URLError, timeouts, refused connections
            raise OSError(
                f"download_mnist: could not fetch {base + fname} ({e}); without network, "
                f"download the files {', '.join(files)} from {base} by hand and place them "
                f"in {folder}, or pass their folder to gn.data.load_mnist"
            ) from None
        digest = hashlib.md5(data).hexdigest()
        if digest != md5:
            raise OSError(f"download_mnist: {base + fname} has MD5 {digest}, expected {md5}")
        atomic_write_bytes(path, data)
    return folder
