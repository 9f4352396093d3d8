"""IDX files: round trips for every element type, plain and gzip, load_mnist on a small
written data set, and clear errors for bad files."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

import glassnet as gn
from glassnet.data.idx import IDXError, read_idx, write_idx


@pytest.mark.parametrize("dtype", ["u1", "i1", "i2", "i4", "f4", "f8"])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_round_trip(tmp_path, dtype, suffix):
    a = (np.random.default_rng(0).standard_normal((3, 4, 5)) * 50).astype(dtype)
    path = tmp_path / f"a.idx{suffix}"
    write_idx(path, a)
    b = read_idx(path)
    assert b.dtype == a.dtype and b.shape == a.shape
    np.testing.assert_array_equal(a, b)
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temp file left over


def test_known_bytes(tmp_path):
    path = tmp_path / "labels"
    write_idx(path, np.array([7, 2, 1], dtype=np.uint8))
    assert path.read_bytes() == bytes([0, 0, 8, 1, 0, 0, 0, 3, 7, 2, 1])
    i = tmp_path / "ints"
    write_idx(i, np.array([[1, -2]], dtype=np.int32))
    sizes, values = bytes([0, 0, 0, 1, 0, 0, 0, 2]), b"\x00\x00\x00\x01\xff\xff\xff\xfe"
    assert i.read_bytes()[4:] == sizes + values


def test_bad_files_name_the_file_and_offset(tmp_path):
    good = bytes([0, 0, 8, 2, 0, 0, 0, 2, 0, 0, 0, 3]) + bytes(6)
    cases = {
        "magic": (b"\x00\x01\x08\x02" + good[4:], "wrong magic number 00 01 08 02 at offset 0"),
        "type": (b"\x00\x00\x07\x02" + good[4:], "wrong magic"),
        "short": (good[:2], "truncated IDX header.*offset 0"),
        "header": (good[:9], "file ends at offset 9.*offset 12"),
        "data": (good[:-1], "truncated.*needs 6 data bytes from offset 12.*ends at offset 17"),
        "long": (good + b"\x00", "size disagrees with header.*ends at offset 18.*1 more bytes"),
    }
    for name, (data, message) in cases.items():
        path = tmp_path / name
        path.write_bytes(data)
        with pytest.raises(IDXError, match=message) as e:
            read_idx(path)
        assert str(path) in str(e.value)
    gz = tmp_path / "cut.gz"
    gz.write_bytes(gzip.compress(good)[:-6])
    with pytest.raises(IDXError, match="cut.gz.*gzip"):
        read_idx(gz)
    with pytest.raises(TypeError, match="int64"):
        write_idx(tmp_path / "x", np.arange(3))


def _write_mnist(folder, n_train=5, n_test=3, gz=True):
    rng = np.random.default_rng(1)
    s = ".gz" if gz else ""
    images = rng.integers(0, 256, (n_train + n_test, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n_train + n_test).astype(np.uint8)
    write_idx(folder / f"train-images-idx3-ubyte{s}", images[:n_train])
    write_idx(folder / f"train-labels-idx1-ubyte{s}", labels[:n_train])
    write_idx(folder / f"t10k-images-idx3-ubyte{s}", images[n_train:])
    write_idx(folder / f"t10k-labels-idx1-ubyte{s}", labels[n_train:])
    return images, labels


@pytest.mark.parametrize("gz", [True, False])
def test_load_mnist(tmp_path, gz):
    images, labels = _write_mnist(tmp_path, gz=gz)
    d = gn.data.load_mnist(tmp_path)
    assert d.train_images.shape == (5, 1, 28, 28) and d.train_images.dtype == np.float32
    np.testing.assert_allclose(d.test_images[:, 0], images[5:] / 255.0, rtol=1e-6)
    assert d.train_labels.dtype == np.int64
    np.testing.assert_array_equal(d.test_labels, labels[5:])
    raw = gn.data.load_mnist(tmp_path, dtype=np.uint8, normalize=False)
    np.testing.assert_array_equal(raw.train_images[:, 0], images[:5])


def test_load_mnist_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="train-images-idx3-ubyte"):
        gn.data.load_mnist(tmp_path)
    _write_mnist(tmp_path)
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", np.zeros(4, np.uint8))
    with pytest.raises(IDXError, match="test has 3 images but 4 labels"):
        gn.data.load_mnist(tmp_path)
