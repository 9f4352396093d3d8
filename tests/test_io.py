"""gn.save / gn.load (safetensors + JSON skeleton), atomic writes, bad files, checkpoints."""

from __future__ import annotations

import math
import os
import pickle

import numpy as np
import pytest

import glassnet as gn
from glassnet.io import SaveFormatError


@pytest.fixture(autouse=True)
def no_unpickling(monkeypatch):
    """Every test here fails if anything unpickles."""

    def refuse(*args, **kwargs):
        raise AssertionError("something tried to unpickle")

    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    monkeypatch.setattr(pickle, "Unpickler", refuse)


def _same(a, b, path="root"):
    """Deep equality that also checks kinds (Tensor / ndarray / tuple / int vs str keys)."""
    assert type(a) is type(b) or (isinstance(a, gn.Tensor) and isinstance(b, gn.Tensor)), \
        f"{path}: {type(a).__name__} != {type(b).__name__}"
    if isinstance(a, gn.Tensor):
        a, b = a.data, b.data
    if isinstance(a, (np.ndarray, np.generic)):
        assert a.dtype == b.dtype and np.shape(a) == np.shape(b), path
        np.testing.assert_array_equal(a, b, err_msg=path)
    elif isinstance(a, dict):
        assert list(a) == list(b), f"{path}: keys {list(a)} != {list(b)}"
        for k in a:
            _same(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            _same(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and math.isnan(a):
        assert math.isnan(b), path
    else:
        assert a == b, path


DTYPES = [np.bool_, np.uint8, np.int8, np.int16, np.int32, np.int64, np.uint16, np.uint32,
          np.uint64, np.float16, np.float32, np.float64]

CASES = {
    "tensor": gn.tensor([[1.0, 2.0], [3.0, 4.0]]),
    "tensor_float64_0d": gn.tensor(np.float64(2.5)),
    "array_empty": np.zeros((0, 3), np.float32),
    "array_noncontiguous": np.arange(24.0).reshape(4, 6)[:, ::2],
    "arrays_every_dtype": [np.arange(6).reshape(2, 3).astype(dt) for dt in DTYPES],
    "numpy_scalars": [np.float32(1.5), np.int64(-3), np.bool_(True)],
    "state_dict": {"0.weight": gn.randn(4, 3), "0.bias": gn.zeros(4), "2.weight": gn.randn(2, 4)},
    "optimizer_like": {
        "state": {0: {"step": 3, "exp_avg": np.ones(3, np.float32)}, 1: {"step": 3}},
        "param_groups": [{"lr": 0.1, "betas": (0.9, 0.999), "params": [0, 1], "amsgrad": False,
                          "name": None}],
    },
    "plateau_like": {"best": math.inf, "worst": -math.inf, "nan": math.nan, "mode": "min"},
    "rng_state": gn.Generator(3).get_state(),  # 128-bit integers
    "nested": {"a": [1, 2.0, "three", None, True, (4, [5, {"six": np.arange(3)}])],
               "": {"empty": []}, "k.dot": {"x": np.zeros(1)}, "k": {"dot": np.ones(1)}},
    "scalars_only": {"epoch": 7, "name": "run", "ratio": 0.25},
    "top_list": [gn.ones(2), np.zeros(2), 3],
}


@pytest.mark.parametrize("name", list(CASES))
def test_round_trip(tmp_path, name):
    obj = CASES[name]
    path = tmp_path / "obj.safetensors"
    gn.save(obj, path)
    _same(obj, gn.load(path))


def test_loaded_arrays_are_writable_and_requires_grad_kept(tmp_path):
    t = gn.tensor([1.0, 2.0], requires_grad=True)
    gn.save({"t": t, "a": np.arange(3)}, tmp_path / "f")
    out = gn.load(tmp_path / "f")
    assert out["t"].requires_grad and out["t"].is_leaf
    out["a"][0] = 10  # not a read-only view of the file buffer
    out["t"].data[0] = 5.0


def test_state_dict_keys_are_plain_safetensors(tmp_path):
    from safetensors.numpy import load_file

    sd = CASES["state_dict"]
    gn.save(sd, tmp_path / "m.safetensors")
    raw = load_file(str(tmp_path / "m.safetensors"))
    assert sorted(raw) == sorted(sd)
    np.testing.assert_array_equal(raw["0.weight"], sd["0.weight"].data)


def test_foreign_safetensors_file_loads_as_tensors(tmp_path):
    from safetensors.numpy import save_file

    save_file({"w": np.eye(2, dtype=np.float32), "b": np.arange(2)}, str(tmp_path / "x"))
    out = gn.load(tmp_path / "x")
    assert set(out) == {"w", "b"} and isinstance(out["w"], gn.Tensor)
    np.testing.assert_array_equal(out["w"].data, np.eye(2))


@pytest.mark.parametrize("obj, match", [
    (object(), "cannot store a object at '<root>'"),
    ({"a": {"b": {1, 2}}}, "cannot store a set at 'a.b'"),
    ({"a": np.array(["x", "y"])}, "dtype <U1 at 'a'"),
    ({(1, 2): 3}, "dict keys must be str or int"),
    ({"a": gn.tensor([1.0]), "f": lambda: 0}, "function"),
])
def test_unsupported_objects(tmp_path, obj, match):
    with pytest.raises(TypeError, match=match):
        gn.save(obj, tmp_path / "f")
    assert not os.listdir(tmp_path)  # nothing written, no temp file left


# --- atomic writes -----------------------------------------------------------------------
@pytest.mark.parametrize("fail_at", ["fsync", "replace", "write"])
def test_failed_save_leaves_old_file_intact(tmp_path, monkeypatch, fail_at):
    path = tmp_path / "ckpt.safetensors"
    gn.save({"w": np.arange(4.0)}, path)
    before = path.read_bytes()

    def boom(*args, **kwargs):
        raise OSError(f"simulated failure in {fail_at}")

    if fail_at == "write":
        import glassnet.io as gio

        real = gio.os.fdopen

        class BadFile:
            def __init__(self, f):
                self.f = f

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                self.f.close()

            def write(self, data):
                self.f.write(data[: len(data) // 2])  # half written, then the "crash"
                raise OSError("simulated failure in write")

        monkeypatch.setattr(gio.os, "fdopen", lambda fd, mode, **kw: BadFile(real(fd, mode, **kw)))
    else:
        monkeypatch.setattr(os, fail_at, boom)
    with pytest.raises(OSError, match="simulated"):
        gn.save({"w": np.arange(1000.0)}, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]  # the temp file is gone
    np.testing.assert_array_equal(gn.load(path)["w"], np.arange(4.0))


def test_save_into_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        gn.save({"a": 1}, tmp_path / "nope" / "f")


# --- bad files ---------------------------------------------------------------------------
def _good_file(tmp_path):
    path = tmp_path / "good.safetensors"
    gn.save({"w": np.arange(10.0), "meta": {"epoch": 3}}, path)
    return path, path.read_bytes()


@pytest.mark.parametrize("cut", [0, 5, 12, -1, -40])
def test_truncated_file(tmp_path, cut):
    _, raw = _good_file(tmp_path)
    bad = tmp_path / "cut.safetensors"
    bad.write_bytes(raw[:cut] if cut >= 0 else raw[:len(raw) + cut])
    with pytest.raises(SaveFormatError, match="cut.safetensors") as e:
        gn.load(bad)
    assert "truncated" in str(e.value) or "offset" in str(e.value)


def test_truncated_tensor_names_tensor_and_offset(tmp_path):
    _, raw = _good_file(tmp_path)
    bad = tmp_path / "cut.safetensors"
    bad.write_bytes(raw[:-8])
    with pytest.raises(SaveFormatError, match=r"truncated: tensor 'w' needs bytes up to offset"):
        gn.load(bad)


def test_extra_bytes_are_corrupt(tmp_path):
    _, raw = _good_file(tmp_path)
    bad = tmp_path / "long.safetensors"
    bad.write_bytes(raw + b"\0" * 8)
    with pytest.raises(SaveFormatError, match="corrupt"):
        gn.load(bad)


def test_corrupt_header_json(tmp_path):
    _, raw = _good_file(tmp_path)
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(raw[:8] + b"#" + raw[9:])
    with pytest.raises(SaveFormatError, match=r"bad.safetensors.*not valid JSON"):
        gn.load(bad)


def test_corrupt_skeleton(tmp_path):
    from safetensors.numpy import save

    bad = tmp_path / "skel.safetensors"
    bad.write_bytes(save({"a": np.zeros(1)}, metadata={"glassnet.format": "1",
                                                       "glassnet.skeleton": '{"$": "tensor"'}))
    with pytest.raises(SaveFormatError, match="glassnet.skeleton"):
        gn.load(bad)
    bad.write_bytes(save({"a": np.zeros(1)}, metadata={
        "glassnet.format": "1", "glassnet.skeleton": '{"$": "tensor", "key": "missing"}'}))
    with pytest.raises(SaveFormatError, match="corrupt skeleton"):
        gn.load(bad)
    bad.write_bytes(save({"a": np.zeros(1)}, metadata={"glassnet.format": "99",
                                                       "glassnet.skeleton": "null"}))
    with pytest.raises(SaveFormatError, match="version '99'"):
        gn.load(bad)


_UNPICKLED = []


def _mark():
    _UNPICKLED.append(1)
    return "pwned"


class Payload:
    def __reduce__(self):
        return (_mark, ())


@pytest.mark.parametrize("kind, content, match", [
    ("pickle", None, "pickle"),
    ("zip", b"PK\x03\x04" + b"\0" * 60, "zip archive"),
    ("npy", b"\x93NUMPY\x01\x00" + b"\0" * 60, "npy"),
    ("text", b"hello world, this is not a tensor file at all\n", "not a safetensors file"),
    ("empty", b"", "truncated"),
])
def test_foreign_files(tmp_path, kind, content, match):
    if content is None:
        content = pickle.dumps(Payload(), protocol=4)
    path = tmp_path / f"foreign.{kind}"
    path.write_bytes(content)
    with pytest.raises(SaveFormatError, match=match) as e:
        gn.load(path)
    assert str(path) in str(e.value)
    assert not _UNPICKLED


def test_torch_safetensors_weights_load_into_a_glassnet_model(tmp_path, torch):
    from safetensors.torch import save_file

    tmodel = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.ReLU(), torch.nn.Linear(4, 2))
    save_file(tmodel.state_dict(), str(tmp_path / "torch.safetensors"))
    model = gn.nn.Sequential(gn.nn.Linear(3, 4), gn.nn.ReLU(), gn.nn.Linear(4, 2))
    model.load_state_dict(gn.load(tmp_path / "torch.safetensors"))
    x = np.random.default_rng(0).standard_normal((5, 3)).astype(np.float32)
    np.testing.assert_allclose(model(gn.tensor(x)).detach().numpy(),
                               tmodel(torch.from_numpy(x)).detach().numpy(), rtol=1e-5,
                               atol=1e-6)


def test_bfloat16_file_is_refused_clearly(tmp_path, torch):
    from safetensors.torch import save_file

    save_file({"w": torch.zeros(2, dtype=torch.bfloat16)}, str(tmp_path / "bf16"))
    with pytest.raises(SaveFormatError, match="'w' has dtype BF16"):
        gn.load(tmp_path / "bf16")


def test_torch_save_file_is_refused(tmp_path, torch):
    path = tmp_path / "model.pt"
    torch.save({"w": torch.zeros(2)}, path)
    with pytest.raises(SaveFormatError, match="zip archive"):
        gn.load(path)


# --- checkpoints -------------------------------------------------------------------------
def test_checkpoint_round_trip(tmp_path):
    nn = gn.nn
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt = gn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    loss = (model(gn.randn(5, 3)) ** 2).sum()
    loss.backward()
    opt.step()
    g = gn.Generator(11)
    g.np_rng.random(3)
    path = tmp_path / "c.ckpt"
    gn.save_checkpoint(path, model=model, optimizer=opt, epoch=4, extra={"note": "hi"},
                       generators={"loader": g})
    expect_global, expect_g = gn.randn(3).data, g.np_rng.random(3)

    gn.manual_seed(123)
    model2 = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    opt2 = gn.optim.SGD(model2.parameters(), lr=0.1, momentum=0.9)
    g2 = gn.Generator(99)
    ck = gn.load_checkpoint(path, model=model2, optimizer=opt2, generators={"loader": g2})
    assert ck["epoch"] == 4 and ck["extra"] == {"note": "hi"}
    for (k, a), (_, b) in zip(model.state_dict().items(), model2.state_dict().items()):
        np.testing.assert_array_equal(a.data, b.data, err_msg=k)
    _same(opt.state_dict(), opt2.state_dict())
    np.testing.assert_array_equal(gn.randn(3).data, expect_global)
    np.testing.assert_array_equal(g2.np_rng.random(3), expect_g)


def test_checkpoint_errors(tmp_path):
    gn.save({"a": 1}, tmp_path / "plain")
    with pytest.raises(SaveFormatError, match="not a glassnet checkpoint"):
        gn.load_checkpoint(tmp_path / "plain")
    gn.save_checkpoint(tmp_path / "c", epoch=1)
    with pytest.raises(SaveFormatError, match="no model state"):
        gn.load_checkpoint(tmp_path / "c", model=gn.nn.Linear(2, 2))
    with pytest.raises(SaveFormatError, match="no random state saved for generator 'x'"):
        gn.load_checkpoint(tmp_path / "c", generators={"x": gn.Generator(0)})
