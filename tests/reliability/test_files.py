"""Files and loaders: crafted model files, lying headers, decompression bombs, corrupt
JSON, another optimizer's state, and temporary files left by killed writers."""

from __future__ import annotations

import fcntl
import gzip
import json
import os
import struct
import tracemalloc
import zlib

import numpy as np
import pytest

import glassnet as gn
from glassnet.data.idx import IDXError, read_idx
from glassnet.io import SaveFormatError
from glassnet.word2vec import FormatError, KeyedVectors, Word2Vec

SENTS = [["the", "cat", "sat", "on", "the", "mat"], ["a", "dog", "ran"]] * 20


def small_model():
    return Word2Vec(SENTS, vector_size=4, min_count=1, workers=1, epochs=1, seed=3)


def rewrite_meta(path, edit):
    """Rewrite a glassnet model file's JSON metadata with ``edit(meta)``."""
    from safetensors import safe_open
    from safetensors.numpy import save

    with safe_open(str(path), framework="numpy") as f:
        meta = json.loads(f.metadata()["glassnet"])
        arrays = {k: f.get_tensor(k) for k in f.keys()}
    edit(meta)
    path.write_bytes(save(arrays, metadata={"glassnet": json.dumps(meta)}))


# --- 11: Word2Vec.load restores state, never runs the constructor's training ---------------
def test_model_file_cannot_name_a_corpus_or_train(tmp_path, monkeypatch):
    path = tmp_path / "m.safetensors"
    small_model().save(path)
    corpus = tmp_path / "secret.txt"
    corpus.write_text("private words here\n" * 5)

    def never(*a, **k):
        raise AssertionError("loading trained or scanned a corpus")

    monkeypatch.setattr(Word2Vec, "build_vocab", never)
    monkeypatch.setattr(Word2Vec, "train", never)
    rewrite_meta(path, lambda m: m["params"].update(corpus_file=str(corpus), min_count=1))
    with pytest.raises(FormatError, match=r"unexpected model parameters \['corpus_file'\]"):
        Word2Vec.load(path)
    # a million epochs is only a number: loading does not train
    path2 = tmp_path / "m2.safetensors"
    monkeypatch.undo()
    small_model().save(path2)
    monkeypatch.setattr(Word2Vec, "build_vocab", never)
    monkeypatch.setattr(Word2Vec, "train", never)
    rewrite_meta(path2, lambda m: m["params"].update(epochs=10**6))
    assert Word2Vec.load(path2).epochs == 10**6


@pytest.mark.parametrize("edit,match", [
    (lambda m: m["params"].update(sentences=[["a"]]), "unexpected model parameters"),
    (lambda m: m["params"].update(window="5"), r"window='5' has the wrong type"),
    (lambda m: m["params"].update(vector_size=[4]), "vector_size=.* wrong type"),
    (lambda m: m["params"].update(shrink_windows=1), "shrink_windows=1 has the wrong type"),
    (lambda m: m["params"].update(window=0), "window must be >= 1"),
    (lambda m: m.update(params=None), "model parameters missing"),
    (lambda m: m["wv"].update(vector_size=5), "vectors and vocabulary disagree"),
    (lambda m: m["wv"].update(index_to_key=[1, 2]), "not a list of strings"),
    (lambda m: m["wv"]["index_to_key"].__setitem__(1, m["wv"]["index_to_key"][0]),
     "holds a key twice"),
    (lambda m: m.update(wv=[]), "vector metadata is a list"),
    (lambda m: m.update(corpus_count=-1), "corpus_count=-1"),
    (lambda m: m.update(total_train_time="x"), "total_train_time='x'"),
])
def test_crafted_model_metadata_is_refused(tmp_path, edit, match):
    path = tmp_path / "m.safetensors"
    small_model().save(path)
    rewrite_meta(path, edit)
    with pytest.raises(FormatError, match=match) as e:
        Word2Vec.load(path)
    assert str(path) in str(e.value)


def test_crafted_model_arrays_are_refused(tmp_path):
    from safetensors import safe_open
    from safetensors.numpy import save

    path = tmp_path / "m.safetensors"
    small_model().save(path)
    with safe_open(str(path), framework="numpy") as f:
        meta, arrays = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
    for key, value, match in [
        ("syn1neg", np.zeros((2, 4), np.float32), "output weights"),
        ("wv.expando.count", -np.ones(len(arrays["wv.vectors"]), np.int64), "non-negative"),
        ("wv.expando.count", np.ones(3, np.int64), "per-key array"),
        ("wv.vectors", np.zeros(arrays["wv.vectors"].shape, np.int32), "expected float"),
    ]:
        bad = dict(arrays, **{key: value})
        path.write_bytes(save(bad, metadata=meta))
        with pytest.raises(FormatError, match=match):
            Word2Vec.load(path)


# --- 12/13: headers checked against the file before allocating; bombs refused -------------
def test_word2vec_header_larger_than_the_file(tmp_path):
    path = tmp_path / "huge.bin"
    path.write_bytes(b"2000000 1000000\nab " + bytes(100))
    with pytest.raises(FormatError, match=r"record 1 of 2000000 .*needs 4000000 bytes"):
        KeyedVectors.load_word2vec_format(path, binary=True)
    text = tmp_path / "huge.txt"
    text.write_bytes(b"2000000 1000000\nab 1 2\n")
    with pytest.raises(FormatError, match="line 2 should hold a word and 1000000 numbers"):
        KeyedVectors.load_word2vec_format(text)


@pytest.mark.parametrize("dims,match", [
    ((2**32 - 1, 2**32 - 1), "needs 18446744065119617025 data bytes from offset 12"),
    ((65536,) * 4, "needs 18446744073709551616 data bytes from offset 20"),
])
def test_idx_dims_larger_than_the_file(tmp_path, dims, match):
    path = tmp_path / "big.idx"
    path.write_bytes(bytes([0, 0, 8, len(dims)]) + struct.pack(f">{len(dims)}I", *dims))
    with pytest.raises(IDXError, match=match):
        read_idx(path)
    gz = tmp_path / "big.idx.gz"
    gz.write_bytes(gzip.compress(path.read_bytes()))
    with pytest.raises(IDXError, match="gzip file of .* can expand to at most"):
        read_idx(gz)


BOMB = 64 << 20  # 64 MiB of zeros compress to ~64 KiB


def _peak(fn):
    tracemalloc.start()
    try:
        fn()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


@pytest.mark.parametrize("kind", ["idx", "w2v-text", "w2v-binary"])
def test_decompression_bomb_is_refused_without_expanding_it(tmp_path, kind):
    path = tmp_path / f"bomb-{kind}.gz"
    if kind == "idx":
        head, load, err = bytes([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3]), read_idx, IDXError
    elif kind == "w2v-text":
        head, err = b"1 2\na 1 2\n", FormatError
        load = KeyedVectors.load_word2vec_format
    else:
        head, err = b"1 2\na " + bytes(8), FormatError
        load = lambda p: KeyedVectors.load_word2vec_format(p, binary=True)  # noqa: E731
    comp = zlib.compressobj(9, wbits=31)  # a gzip stream, fed in pieces
    blob = comp.compress(head) + comp.compress(b"\x00" * BOMB) + comp.flush()
    path.write_bytes(blob)
    assert len(blob) < BOMB // 500

    def run():
        with pytest.raises(err, match=str(path.name) + ".*(more|another)"):
            load(path)

    assert _peak(run) < 8 << 20  # far below the 64 MiB it would expand to


# --- 14: corrupt headers are format errors naming the file ------------------------------
def _safetensors(header: bytes, data: bytes = b"") -> bytes:
    return struct.pack("<Q", len(header)) + header + data


@pytest.mark.parametrize("header,match", [
    (b'{"x": {"dtype": "F32", "shape": [1], "data_offsets": ["0", "4"]}}',
     r"data_offsets \['0', '4'\] is not \[begin, end\] integers"),
    (b'{"x": {"dtype": "F32", "shape": ["1"], "data_offsets": [0, 4]}}',
     "shape .* is not a list of non-negative integers"),
    (b'{"x": {"dtype": "F32", "shape": [-1, -4], "data_offsets": [0, 4]}}',
     "is not a list of non-negative integers"),
    (b'{"x": {"dtype": "F32", "shape": [1], "data_offsets": [true, 5]}}', "integers"),
    (b'{"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4, 8]}}', "integers"),
    (b'{"x": "F32"}', "corrupt header entry for tensor 'x'"),
    (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
])
def test_corrupt_safetensors_headers(tmp_path, header, match):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(_safetensors(header, bytes(4)))
    with pytest.raises(SaveFormatError, match=match) as e:
        gn.load(path)
    assert str(path) in str(e.value)


def test_deeply_nested_metadata(tmp_path):
    from safetensors.numpy import save

    deep = "[" * 200_000 + "]" * 200_000
    path = tmp_path / "deep.safetensors"
    path.write_bytes(save({"x": np.zeros(1)}, metadata={"glassnet.format": "1",
                                                        "glassnet.skeleton": deep}))
    with pytest.raises(SaveFormatError, match="nested too deeply"):
        gn.load(path)
    path.write_bytes(save({"x": np.zeros(1)}, metadata={"glassnet": deep}))
    with pytest.raises(FormatError, match="nested too deeply"):
        Word2Vec.load(path)


def test_truncated_gzip_word2vec_file(tmp_path):
    kv = KeyedVectors(3)
    kv.add_vectors(["a", "b"], np.ones((2, 3)))
    for binary in (False, True):
        path = tmp_path / f"v{binary}.gz"
        kv.save_word2vec_format(path, binary=binary)
        path.write_bytes(path.read_bytes()[:-12])
        with pytest.raises(FormatError, match=rf"v{binary}\.gz: corrupt or truncated gzip"):
            KeyedVectors.load_word2vec_format(path, binary=binary)


# --- 15: another optimizer's state -----------------------------------------------------
def test_loading_another_optimizers_state_names_both():
    p = gn.tensor([1.0, 2.0], requires_grad=True)
    adam = gn.optim.Adam([p])
    p.grad = gn.ones(2)
    adam.step()
    sgd = gn.optim.SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="saved by Adam or AdamW, not SGD.*betas"):
        sgd.load_state_dict(adam.state_dict())
    assert sgd.param_groups[0]["lr"] == 0.1 and "betas" not in sgd.param_groups[0]
    with pytest.raises(ValueError, match="saved by SGD, not RMSprop"):
        gn.optim.RMSprop([p]).load_state_dict(sgd.state_dict())
    # the same kind still loads, scheduler keys and user keys included
    sched = gn.optim.lr_scheduler.StepLR(adam, 1)
    sched.step()
    other = gn.optim.Adam([p])
    other.load_state_dict(adam.state_dict())
    assert other.param_groups[0]["initial_lr"] == 1e-3


# --- 16: temporary files of killed writers; torch tensors -------------------------------
def test_next_save_removes_stale_temp_files_but_not_a_live_writers(tmp_path):
    target = tmp_path / "w.safetensors"
    stale = [tmp_path / f".w.safetensors.{c * 8}.tmp" for c in "ab"]
    for s in stale:
        s.write_bytes(b"half a file")
    live = tmp_path / ".w.safetensors.cccccccc.tmp"
    live.write_bytes(b"being written")
    other = tmp_path / ".v.safetensors.dddddddd.tmp"  # another target's: not ours to judge
    other.write_bytes(b"x")
    fd = os.open(live, os.O_RDONLY)
    fcntl.flock(fd, fcntl.LOCK_EX)  # as a live writer holds it
    try:
        gn.save({"x": gn.ones(2)}, target)
    finally:
        os.close(fd)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([".v.safetensors.dddddddd.tmp", ".w.safetensors.cccccccc.tmp",
                           "w.safetensors"])
    assert gn.load(target)["x"].tolist() == [1.0, 1.0]


def test_save_converts_torch_tensors(tmp_path, torch):
    t = torch.arange(6, dtype=torch.float64).reshape(2, 3).requires_grad_()
    gn.save({"w": t, "i": torch.tensor([1, 2])}, tmp_path / "t.safetensors")
    back = gn.load(tmp_path / "t.safetensors")
    assert isinstance(back["w"], gn.Tensor) and back["w"].requires_grad
    assert np.array_equal(back["w"].detach().numpy(), t.detach().numpy())
    assert back["i"].tolist() == [1, 2]
    with pytest.raises(TypeError, match=r"torch.Tensor .*bfloat16.*t.float\(\)"):
        gn.save(torch.ones(2, dtype=torch.bfloat16), tmp_path / "b.safetensors")
