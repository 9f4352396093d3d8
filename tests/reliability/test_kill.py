"""kill -9 during every writer: a process killed mid-write leaves the target intact (the
old version or the new one, never a torn file), and the next save of the same target
removes the temporary file the dead writer left.

Each writer runs in a forked child that saves version 0, 1, 0, 1, ... of one object in a
loop; the parent kills it with SIGKILL at a random moment, checks the target, and finally
saves once more itself. ``KILLS`` kills per writer keep the whole file to a few seconds.
"""

from __future__ import annotations

import os
import select
import signal
import sys
import time

import numpy as np
import pytest

import glassnet as gn
from glassnet.data.idx import read_idx, write_idx
from glassnet.word2vec import KeyedVectors, Word2Vec

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "darwin",
                                reason="kill -9 tests need fork and a POSIX file system")

KILLS = 4
FIGURES: dict[str, list[int]] = {}  # writer -> [kills, intact, temp files seen, left]

N = 1 << 20  # 4 MiB of float32 per gn.save version


def _linear(v):
    m = gn.nn.Linear(256, 512)
    with gn.no_grad():
        m.weight.fill_(float(v))
        m.bias.fill_(float(v))
    return m


def _kv(v, n=3000, d=64):
    kv = KeyedVectors(d)
    kv.add_vectors([f"w{i}" for i in range(n)], np.full((n, d), v, np.float32))
    return kv


_W2V = {}


def _w2v(v):
    if "model" not in _W2V:
        sents = [[f"w{i % 500}" for i in range(j, j + 10)] for j in range(500)]
        _W2V["model"] = Word2Vec(sents, vector_size=200, min_count=1, workers=1, epochs=1,
                                 kernel="numpy")
    m = _W2V["model"]
    m.wv.vectors[:] = v
    m.syn1neg[:] = v
    return m


def _all(arr, v) -> bool:
    return bool(np.all(np.asarray(arr) == v))


def _ckpt(v):
    model = _linear(v)
    return model, gn.optim.SGD(model.parameters(), lr=0.1), v


def _read_kv(k):
    return int(k.vectors[0, 0]) if _all(k.vectors, k.vectors[0, 0]) else -1


# writer -> (suffix, make(version) -> object, save(object, path), read(path) -> version).
# Objects are made before the child starts, so its loop does nothing but write.
WRITERS = {
    "gn.save": (
        ".safetensors",
        lambda v: {"w": np.full(N, v, np.float32), "v": v},
        gn.save,
        lambda p: (lambda d: d["v"] if _all(d["w"], d["v"]) else -1)(gn.load(p)),
    ),
    "checkpoint": (
        ".ckpt",
        _ckpt,
        lambda o, p: gn.io.save_checkpoint(p, model=o[0], optimizer=o[1], epoch=o[2]),
        lambda p: (lambda c: c["epoch"] if _all(c["model"]["weight"], c["epoch"])
                   else -1)(gn.io.load_checkpoint(p)),
    ),
    "Word2Vec.save": (
        ".w2v",
        lambda v: v,
        lambda v, p: _w2v(v).save(p),
        lambda p: (lambda m: _read_kv(m.wv) if _all(m.syn1neg, m.wv.vectors[0, 0])
                   else -1)(Word2Vec.load(p)),
    ),
    "KeyedVectors.save": (
        ".kv",
        lambda v: _kv(v, 20000),
        lambda k, p: k.save(p),
        lambda p: _read_kv(KeyedVectors.load(p)),
    ),
    "word2vec text": (
        ".txt",
        lambda v: _kv(v, 1500, 32),
        lambda k, p: k.save_word2vec_format(p),
        lambda p: _read_kv(KeyedVectors.load_word2vec_format(p)),
    ),
    "word2vec binary": (
        ".bin",
        lambda v: _kv(v, 8000),
        lambda k, p: k.save_word2vec_format(p, binary=True),
        lambda p: _read_kv(KeyedVectors.load_word2vec_format(p, binary=True)),
    ),
    "word2vec binary .gz": (
        ".bin.gz",
        lambda v: _kv(v, 4000),
        lambda k, p: k.save_word2vec_format(p, binary=True),
        lambda p: _read_kv(KeyedVectors.load_word2vec_format(p, binary=True)),
    ),
    "write_idx": (
        ".idx",
        lambda v: np.full((64, 256, 256), v, np.uint8),
        lambda a, p: write_idx(p, a),
        lambda p: (lambda a: int(a.flat[0]) if _all(a, a.flat[0]) else -1)(read_idx(p)),
    ),
}


def _temps(folder, name):
    return [f for f in os.listdir(folder) if f.startswith("." + name + ".")
            and f.endswith(".tmp")]


def _writer_loop(save, objects, path, ready_fd):
    """Child: save versions 0, 1, 0, 1, ... forever; a byte on ready_fd after each."""
    try:
        i = 0
        while True:
            save(objects[i % 2], path)
            os.write(ready_fd, b"x")
            i += 1
    finally:
        os._exit(1)


@pytest.mark.parametrize("name", list(WRITERS))
def test_kill_9_mid_write_leaves_the_target_intact(tmp_path, name):
    suffix, make, save, read = WRITERS[name]
    path = str(tmp_path / ("target" + suffix))
    base = os.path.basename(path)
    objects = [make(0), make(1)]
    t0 = time.perf_counter()
    save(objects[0], path)  # the first version, and one write's duration
    duration = time.perf_counter() - t0
    rng = np.random.default_rng(11)
    kills = intact = seen = 0
    while kills < KILLS or (seen < 2 and kills < 6 * KILLS):  # aim for 2 mid-write
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            os.close(r)
            _writer_loop(save, objects, path, w)
        os.close(w)
        # let it finish one whole write, then kill it at a random point of a later one
        assert select.select([r], [], [], 60)[0], f"{name}: the writer never finished a save"
        time.sleep(rng.uniform(0.1, 0.9) * duration)
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(r)
        kills += 1
        seen += len(_temps(tmp_path, base))
        got = read(path)
        assert got in (0, 1), f"{name}: after kill {kills} the target holds neither version"
        intact += 1
    save(objects[1], path)  # the next save cleans up after the dead writers
    left = _temps(tmp_path, base)
    FIGURES[name] = [kills, intact, seen, len(left)]
    assert read(path) == 1
    assert not left, f"{name}: temporary files left after the next save: {left}"
    assert seen >= 1, (f"{name}: {seen} kills landed mid-write in {kills} tries "
                       f"(a write takes {duration * 1e3:.0f} ms)")


def test_kill_figures():
    """Prints the closing figures (run with -s): kills, targets intact, temp files."""
    if len(FIGURES) < len(WRITERS):
        pytest.skip("always: needs the kill tests of this module to have run first")
    tot = np.sum(list(FIGURES.values()), axis=0)
    print(f"\nkill -9: {tot[0]} kills over {len(FIGURES)} writers, {tot[1]} targets intact, "
          f"{tot[2]} temporary files seen mid-write, {tot[3]} left after the next save")
    assert tot[0] == tot[1] and tot[3] == 0
