"""The playground's server, sessions, data, configuration and export (no browser needed):
Starlette's TestClient drives the WebSocket protocol; PyTorch checks a training step."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys

import numpy as np
import pytest

import glassnet as gn
from glassnet.playground import config as C
from glassnet.playground import datasets as D
from glassnet.playground import export as E
from glassnet.playground.session import EXPLAIN_POINTS, CommandError, Session

BASE = "http://127.0.0.1:8765"
WS = "ws://127.0.0.1:8765/ws"


# --- configuration ----------------------------------------------------------------------------
def test_query_round_trip_and_defaults():
    cfg = C.from_query("?dataset=spiral&layers=8,8,4&activation=relu&lr=0.01&features=x2,x1,"
                       "sinx1&optimizer=adam&batch=25&l1=0.001&dropout=0.2&noise=10&seed=7")
    assert cfg["layers"] == [8, 8, 4] and cfg["features"] == ["x1", "x2", "sinx1"]
    assert cfg["lr"] == 0.01 and cfg["optimizer"] == "adam" and cfg["batch"] == 25
    assert C.from_query(C.to_query(cfg)) == cfg
    assert C.from_query("") == C.defaults_for("circle")
    assert C.to_query(C.defaults_for("circle")) == "dataset=circle"
    assert C.from_query("dataset=circle&layers=")["layers"] == []
    dosage = C.from_query("dataset=dosage")
    assert dosage["layers"] == [2] and dosage["activation"] == "softplus"
    assert dosage["features"] == ["x1"]
    # x2 does not exist for the dosage data: such features are dropped
    assert C.from_query("dataset=dosage&features=x1,x2,x1x2")["features"] == ["x1"]


@pytest.mark.parametrize("query, words", [
    ("dataset=moons", ["dataset", "moons", "circle"]),
    ("layers=4,-1", ["layers[1]", "-1"]),
    ("layers=4,0", ["layers[1]", "out of range"]),
    ("layers=9", ["layers[0]", "1 to 8"]),
    ("layers=1,1,1,1,1,1,1", ["7 hidden layers", "at most 6"]),
    ("layers=2.5", ["whole number"]),
    ("lr=100", ["lr", "out of range", "10"]),
    ("lr=0", ["lr", "out of range"]),
    ("lr=nan", ["lr", "finite"]),
    ("lr=fast", ["lr", "number", "fast"]),
    ("n=100000", ["n", "2000"]),
    ("batch=0", ["batch"]),
    ("features=x3", ["features", "x3"]),
    ("features=", ["at least one"]),
    ("activation=gelu", ["activation", "gelu"]),
    ("optimizer=lbfgs", ["optimizer", "lbfgs"]),
    ("colour=red", ["unknown setting", "colour"]),
    ("dataset=iris&iris_x=1&iris_y=1", ["iris_x", "different"]),
    ("dropout=0.95", ["dropout"]),
])
def test_bad_settings_name_the_problem(query, words):
    with pytest.raises(C.ConfigError) as e:
        C.from_query(query)
    for w in words:
        assert w in str(e.value)


def test_update_switches_presets():
    cfg = C.from_query("dataset=circle&layers=8,8&seed=5")
    d = C.update(cfg, {"dataset": "dosage"})
    assert d["layers"] == [2] and d["activation"] == "softplus" and d["seed"] == 5
    back = C.update(d, {"dataset": "xor"})
    assert back["features"] == ["x1", "x2"] and back["activation"] == "tanh"
    with pytest.raises(C.ConfigError, match="object"):
        C.update(cfg, ["layers"])
    for bad, words in [({"layers": 5}, "layers: expected a list"),
                       ({"features": [["x1"]]}, "features: unknown value"),
                       ({"layers": [True]}, "layers"), ({"seed": -1}, "seed"),
                       ({"lr": "inf"}, "finite")]:
        with pytest.raises(C.ConfigError, match=words):
            C.update(cfg, bad)


# --- data -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", C.DATASETS)
def test_datasets_are_seeded_and_labelled(name):
    cfg = C.from_query(f"dataset={name}&noise=20&n=200")
    a, b = D.make_data(cfg), D.make_data(cfg)
    np.testing.assert_array_equal(a.X_train, b.X_train)
    other = D.make_data(C.update(cfg, {"seed": cfg["seed"] + 1}))
    assert not np.array_equal(np.c_[a.X_train, a.y_train], np.c_[other.X_train, other.y_train])
    X = np.concatenate([a.X_train, a.X_test])
    y = np.concatenate([a.y_train, a.y_test])
    assert X.shape[1] == 2 and len(X) == len(y) and np.isfinite(X).all()
    task = C.TASKS[name]
    if task == "binary":
        assert set(np.unique(y)) == {-1.0, 1.0} and len(X) == 200
        assert abs(len(a.X_train) - 100) <= 1
    elif task == "multiclass":
        assert set(np.unique(y)) == {0.0, 1.0, 2.0} and len(X) == 150
    elif name == "dosage":
        assert len(a.X_train) == 3 and len(a.X_test) == 0
        np.testing.assert_allclose(a.X_train[:, 0], [0.0, 0.5, 1.0])
    else:
        assert (np.abs(y) <= 1).all() and y.std() > 0.05


def test_circle_geometry_and_features():
    d = D.make_data(C.from_query("dataset=circle&noise=0"))
    r = np.hypot(d.X_train[:, 0], d.X_train[:, 1])
    assert (r[d.y_train > 0] <= 2.5 + 1e-12).all() and (r[d.y_train < 0] >= 3.5 - 1e-12).all()
    X = np.array([[1.0, 2.0], [-0.5, 3.0]])
    F = D.feature_matrix(X, list(C.FEATURES))
    want = [[1, 2, 1, 4, 2, np.sin(1), np.sin(2)], [-0.5, 3, 0.25, 9, -1.5, np.sin(-0.5),
                                                     np.sin(3)]]
    np.testing.assert_allclose(F, want)
    assert D.feature_matrix(np.zeros((0, 2)), ["x1", "x2sq"]).shape == (0, 2)


# --- sessions -------------------------------------------------------------------------------
def test_training_learns_the_circle():
    s = Session(C.from_query("dataset=circle&layers=4,2&lr=0.03"))
    before = s.test_loss
    s.train(steps=1500)
    assert s.test_loss < 0.2 < before
    assert s.epoch == 1500 * 10 // 250 - 1 or s.epoch == 1500 * 10 // 250
    hist = np.array([p[0] for p in s.history])
    assert hist[0] == 0 and hist[-1] == 1500


def test_a_step_equals_pytorch(torch):
    """One Adam step with L1 and L2 on a batch: the same weights in PyTorch (float64)."""
    s = Session(C.from_query("dataset=xor&layers=5,3&activation=softplus&optimizer=adam&"
                             "l1=0.01&l2=0.05&lr=0.02&batch=16"))
    before = {k: v.detach().numpy().copy() for k, v in s.model.state_dict().items()}
    s.train(steps=1)
    idx = s.last_batch
    tnn = torch.nn
    ref = tnn.Sequential(tnn.Linear(2, 5), tnn.Softplus(), tnn.Linear(5, 3), tnn.Softplus(),
                         tnn.Linear(3, 1)).double()
    ref.load_state_dict({k: torch.tensor(v) for k, v in before.items()})
    ws = [p for n, p in ref.named_parameters() if n.endswith("weight")]
    bs = [p for n, p in ref.named_parameters() if n.endswith("bias")]
    opt = torch.optim.Adam([{"params": ws, "weight_decay": 0.05},
                            {"params": bs, "weight_decay": 0.0}], lr=0.02)
    x = torch.tensor(s.Xf_train[idx])
    t = torch.tensor(s.T_train[idx])
    loss = tnn.functional.binary_cross_entropy_with_logits(ref(x), t)
    loss = loss + 0.01 * sum(w.abs().sum() for w in ws)
    loss.backward()
    opt.step()
    for k, v in ref.state_dict().items():
        np.testing.assert_allclose(s.model.state_dict()[k].detach().numpy(), v.numpy(),
                                   rtol=1e-10, atol=1e-12, err_msg=k)


@pytest.mark.parametrize("query, param, index", [
    ("dataset=circle&layers=3,2", "0.weight", [1, 0]),
    ("dataset=iris&layers=4&activation=relu", "2.bias", [2]),
    ("dataset=bumps&layers=3&l1=0.01&features=x1,x2,x1x2", "0.weight", [2, 2]),
    ("dataset=dosage", "2.weight", [0, 1]),
    ("dataset=spiral&layers=3,3&batch=50&dropout=0.3&l2=0.1", "3.weight", [2, 1]),
])
def test_explain_equals_autograd(query, param, index):
    s = Session(C.from_query(query))
    s.train(steps=20)
    got = s.explain(param, index)
    # the gradient of the same objective on the same batch (at most its first 32 points,
    # dropout off), by plain autograd
    idx = s.last_batch[:EXPLAIN_POINTS]
    assert got["batch"] == len(idx)
    if len(s.last_batch) > EXPLAIN_POINTS:
        assert any("first 32 points of the last batch of 50" in n for n in got["notes"])
        assert any("dropout is off" in n for n in got["notes"])
        assert any("weight decay" in n for n in got["notes"])
    s.model.eval()
    s.model.zero_grad()
    loss, _, _ = s._objective(s.Xf_train[idx], s.T_train[idx])
    loss.backward()
    want = dict(s.model.named_parameters())[param].grad.numpy()[tuple(index)]
    assert got["grad"] == pytest.approx(float(want), rel=1e-6, abs=1e-12)
    assert got["value"] == pytest.approx(
        float(dict(s.model.named_parameters())[param].data[tuple(index)]), rel=1e-7)
    assert "equal" in got["text"] and got["text"].startswith(f"∂loss/∂{param}")


@pytest.mark.parametrize("param, index, words", [
    ("9.weight", [0, 0], ["unknown parameter", "0.weight"]),
    ("0.weight", [4, 0], ["does not fit", "shape [4, 2]"]),
    ("0.weight", [0], ["does not fit"]),
    ("0.weight", "0,0", ["list of whole numbers"]),
    (None, [0], ["unknown parameter"]),
])
def test_explain_bad_requests(param, index, words):
    s = Session(C.from_query("dataset=circle"))
    with pytest.raises(CommandError) as e:
        s.explain(param, index)
    for w in words:
        assert w in str(e.value)


def test_set_config_rebuilds_only_what_changed():
    s = Session(C.from_query("dataset=circle"))
    s.train(steps=5)
    w = s.model[0].weight.data.copy()
    assert s.set_config({"lr": 0.1}) == set()
    assert s.opt.param_groups[0]["lr"] == 0.1 and s.steps == 5
    np.testing.assert_array_equal(s.model[0].weight.data, w)
    assert s.set_config({"optimizer": "adam"}) == {"optimizer"}
    assert s.steps == 5
    assert s.set_config({"layers": [3]}) == {"model", "optimizer"}
    assert s.steps == 0 and s.model[0].weight.shape == (3, 2)
    assert s.set_config({"noise": 30}) == {"data", "model", "optimizer"}
    with pytest.raises(C.ConfigError, match="layers"):
        s.set_config({"layers": [-3]})
    assert s.cfg["noise"] == 30 and s.cfg["layers"] == [3]  # a bad change changes nothing


def test_add_point_and_its_bounds():
    s = Session(C.from_query("dataset=circle"))
    n = len(s.Xf_train)
    s.add_point(1.0, -2.0, -1)
    assert len(s.Xf_train) == n + 1 and s.T_train[-1, 0] == 0.0
    s.set_config({"lr": 0.1, "noise": 5})  # new data, same seed: clicked points stay
    assert s.data.added == 1
    for args, words in [((9.0, 0.0, 1), "outside the plot"), ((0.0, 0.0, 2), "1 or -1"),
                        ((float("nan"), 0.0, 1), "finite"), (("a", 0.0, 1), "x1"),
                        ((0.0, 0.0, True), "label")]:
        with pytest.raises(CommandError, match=words):
            s.add_point(*args)
    s.regenerate()
    assert s.data.added == 0
    d = Session(C.from_query("dataset=dosage"))
    d.add_point(0.25, 0.75, 0)  # (dosage, effectiveness)
    assert d.data.X_train[-1, 0] == 0.25 and d.data.y_train[-1] == 0.75
    full = Session(C.from_query("dataset=circle&n=2000&ratio=50"))
    full.data.X_train = np.zeros((C.LIMITS["max_points"] - 1000, 2))
    with pytest.raises(CommandError, match="most allowed"):
        full.add_point(0.0, 0.0, 1)


def test_snapshot_shapes_and_dosage_curves():
    s = Session(C.from_query("dataset=circle&layers=3,2&features=x1,x2,x1sq"))
    m = s.snapshot()
    json.dumps(m, allow_nan=False)
    import base64

    assert len(base64.b64decode(m["heat"])) == m["grid"] ** 2
    assert [len(layer) for layer in m["neurons"]] == [3, 2] and len(m["inputs"]) == 3
    assert len(base64.b64decode(m["neurons"][0][0])) == m["thumb"] ** 2
    assert [len(L["W"]) for L in m["layers"]] == [3, 2, 1]
    iris = Session(C.from_query("dataset=iris")).snapshot()
    assert len(base64.b64decode(iris["heat"])) == 3 * iris["grid"] ** 2
    d = Session(C.from_query("dataset=dosage"))
    c = d.snapshot()["curves"]
    # the squiggle: the node parts plus the bias are the network's output
    total = np.sum(c["parts"], axis=0) + c["bias"]
    np.testing.assert_allclose(total, c["sum"], rtol=1e-3, atol=1e-3)
    x = gn.tensor(np.array(c["x"]).reshape(-1, 1), dtype=gn.float64)
    with gn.no_grad():
        np.testing.assert_allclose(d.model(x).numpy()[:, 0], c["sum"], rtol=1e-3, atol=1e-4)


def test_export_reproduces_the_session(tmp_path):
    s = Session(C.from_query("dataset=gauss&layers=3&l1=0.001&optimizer=momentum&noise=20"))
    s.train(steps=50)
    s.add_point(1.5, -1.0, 1)
    script = tmp_path / E.SCRIPT_NAME
    script.write_text(E.script(s))
    weights = tmp_path / E.WEIGHTS_NAME
    weights.write_bytes(E.weights_bytes(s))
    loaded = gn.load(str(weights))
    for k, v in s.model.state_dict().items():
        got = loaded[k].numpy() if hasattr(loaded[k], "numpy") else loaded[k]
        np.testing.assert_array_equal(got, v.detach().numpy())
    out = subprocess.run([sys.executable, str(script), "--weights", str(weights), "--epochs",
                          "1"], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    first = out.stdout.splitlines()[0]
    assert first == f"epoch 0: train loss {s.train_loss:.6f}, test loss {s.test_loss:.6f}"
    assert out.stdout.splitlines()[-1].startswith("epoch 1: train loss")


# --- the server -------------------------------------------------------------------------------
@pytest.fixture
def client():
    pytest.importorskip("starlette")
    pytest.importorskip("httpx")  # Starlette's TestClient needs it
    from starlette.testclient import TestClient

    from glassnet.playground.server import create_app

    with TestClient(create_app(max_sessions=3), base_url=BASE) as c:
        yield c


def _until(ws, kind, limit=50, where=lambda msg: True):
    for _ in range(limit):
        msg = ws.receive_json()
        if msg["type"] == kind and where(msg):
            return msg
    raise AssertionError(f"no such {kind!r} message in {limit} messages")


@contextlib.contextmanager
def _open(client, query=""):
    with client.websocket_connect(WS + query) as ws:
        hello = ws.receive_json()
        assert hello["type"] == "hello"
        assert ws.receive_json()["type"] in ("data", "error")
        yield ws, hello


def test_page_and_static_files(client):
    r = client.get("/")
    assert r.status_code == 200 and "glassnet playground" in r.text
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert "http" not in r.text.split("<body>")[0].replace("http-equiv", "")  # no CDN
    for name in ("app.js", "style.css"):
        assert client.get(f"/static/{name}").status_code == 200
    assert client.get("/health").json() == {"sessions": 0}
    assert client.get("/", headers={"host": "evil.example:8765"}).status_code == 400


def test_session_messages(client):
    with _open(client, "?dataset=xor&layers=3&lr=0.1") as (ws, hello):
        _session_messages(client, ws, hello)


def _session_messages(client, ws, hello):
    assert hello["config"]["dataset"] == "xor" and hello["config"]["layers"] == [3]
    assert hello["query"] == "dataset=xor&layers=3&lr=0.1"
    state = _until(ws, "state")
    assert state["steps"] == 0 and len(state["layers"]) == 2
    assert client.get("/health").json() == {"sessions": 1}
    ws.send_json({"type": "step", "steps": 250})  # run in slices of 100
    assert _until(ws, "state")["steps"] == 250
    ws.send_json({"type": "explain", "param": "0.weight", "index": [2, 1]})
    ex = _until(ws, "explain")
    assert ex["param"] == "0.weight" and "equal" in ex["text"]
    ws.send_json({"type": "step"})  # paused: the selected weight is explained again
    assert _until(ws, "state")["steps"] == 251
    assert _until(ws, "explain")["steps"] == 251
    ws.send_json({"type": "set", "config": {"layers": [4, 4], "dataset": "circle"}})
    cfg = _until(ws, "config")
    assert cfg["query"] == "dataset=circle&layers=4,4&lr=0.1"
    assert [L["weight"] for L in cfg["layers"]] == ["0.weight", "2.weight", "4.weight"]
    assert _until(ws, "data")["dataset"] == "circle"
    ws.send_json({"type": "play"})
    assert _until(ws, "playing")["playing"] is True
    steps = [_until(ws, "state")["steps"] for _ in range(3)]
    assert steps[0] < steps[1] < steps[2]
    ws.send_json({"type": "pause"})
    _until(ws, "state", where=lambda m: not m["playing"])
    ws.send_json({"type": "reset"})  # (a state from the last slice of training may come first)
    _until(ws, "state", where=lambda m: m["steps"] == 0)
    ws.send_json({"type": "add_point", "x1": 0.5, "x2": 0.5, "label": -1})
    assert _until(ws, "data")["added"] == 1
    ws.send_json({"type": "regenerate"})
    assert _until(ws, "config")["config"]["seed"] != 1
    ws.send_json({"type": "export"})
    ex = _until(ws, "export")
    assert "import glassnet as gn" in ex["script"]
    r = client.get(ex["script_url"])
    assert r.status_code == 200 and r.text == ex["script"]
    assert "attachment" in r.headers["content-disposition"]
    w = client.get(ex["weights_url"])
    assert w.status_code == 200 and len(w.content) > 100
    assert client.get(ex["script_url"].replace(hello["session"], "nosuch")).status_code == 404
    assert client.get(f"/export/{hello['session']}/other.txt").status_code == 404


@pytest.mark.parametrize("text, words", [
    ("{not json", ["not valid JSON"]),
    ("[1, 2]", ["JSON object", "type"]),
    ('{"kind": "play"}', ["type"]),
    ('{"type": "fly"}', ["unknown message type", "fly"]),
    ('{"type": "set", "config": {"dataset": "moons"}}', ["dataset", "moons"]),
    ('{"type": "set", "config": {"layers": [4, -2]}}', ["layers[1]", "-2"]),
    ('{"type": "set", "config": {"layers": [1, 1, 1, 1, 1, 1, 1]}}', ["at most 6"]),
    ('{"type": "set", "config": {"lr": 1e9}}', ["lr", "out of range"]),
    ('{"type": "set", "config": "fast"}', ["set", "config"]),
    ('{"type": "step", "steps": -1}', ["steps", "1 to 10000"]),
    ('{"type": "step", "steps": 1e9}', ["steps"]),
    ('{"type": "explain", "param": "0.weight", "index": [99, 0]}', ["does not fit"]),
    ('{"type": "add_point", "x1": 100, "x2": 0, "label": 1}', ["outside the plot"]),
    ('{"type": "add_point"}', ["finite number"]),
    ('{"type": "play", "pad": "' + "x" * 70000 + '"}', ["too large", "65,536"]),
])
def test_bad_messages_get_an_error_and_the_session_goes_on(client, text, words):
    with _open(client) as (ws, _):
        _until(ws, "state")
        ws.send_text(text)
        err = _until(ws, "error")
        for w in words:
            assert w in err["message"], err["message"]
        ws.send_json({"type": "step", "steps": 3})
        assert _until(ws, "state")["steps"] == 3


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_diverging_training_stops_with_a_message(client):
    with _open(client, "?dataset=plane&lr=10&activation=linear&layers=8,8") as (ws, _):
        ws.send_json({"type": "play"})
        err = _until(ws, "error", limit=200)
        assert "diverged" in err["message"] and "learning rate" in err["message"]
        last = _until(ws, "state", where=lambda m: not m["playing"])
        assert last["train_loss"] is None  # NaN travels as null: the JSON stays valid
        ws.send_json({"type": "set", "config": {"lr": 0.01}})
        ws.send_json({"type": "reset"})
        st = _until(ws, "state", where=lambda m: m["steps"] == 0)
        assert st["train_loss"] is not None


def test_binary_frames_and_bad_url_settings(client):
    with _open(client, "?dataset=spiral") as (ws, _):
        ws.send_bytes(b"\x00\x01")
        err = _until(ws, "error")
        assert "binary" in err["message"]
        ws.send_json({"type": "step"})
        assert _until(ws, "state")["steps"] == 1
    with client.websocket_connect(WS + "?layers=4,-1") as ws:
        # the URL's settings are refused: the defaults, then an error that says why
        assert ws.receive_json()["config"] == C.defaults_for("circle")
        err = ws.receive_json()
        assert err["type"] == "error" and "layers[1]" in err["message"]
        assert "URL" in err["message"]


def test_cross_origin_and_foreign_hosts_are_refused(client):
    from starlette.websockets import WebSocketDisconnect

    for headers in ({"origin": "http://evil.example"},
                    {"origin": "http://127.0.0.1:9999"},
                    {"origin": "null"},
                    {"host": "evil.example:8765", "origin": "http://evil.example:8765"}):
        with pytest.raises(WebSocketDisconnect) as e:
            with client.websocket_connect(WS, headers=headers) as ws:
                ws.receive_json()
        assert e.value.code == 1008
    with client.websocket_connect(WS, headers={"origin": BASE}) as ws:  # same origin
        assert ws.receive_json()["type"] == "hello"


def test_session_cap_and_independent_sessions(client):
    with _open(client, "?dataset=circle") as (a, _), \
            _open(client, "?dataset=spiral&layers=2") as (b, _), _open(client) as (c, _):
        a.send_json({"type": "step", "steps": 7})
        _until(a, "state", where=lambda m: m["steps"] == 7)
        b.send_json({"type": "step", "steps": 2})
        sb = _until(b, "state", where=lambda m: m["steps"] == 2)
        assert len(sb["layers"]) == 2  # its own model
        with client.websocket_connect(WS) as d:  # the cap is 3 in this fixture
            err = d.receive_json()
            assert err["type"] == "error" and "too many" in err["message"]
        # two tabs training, a third one is still answered, and all three advance
        a.send_json({"type": "play"})
        b.send_json({"type": "play"})
        c.send_json({"type": "step", "steps": 5})
        _until(c, "state", where=lambda m: m["steps"] == 5)
        for ws in (a, b):
            first = _until(ws, "state", where=lambda m: m["playing"])["steps"]
            assert _until(ws, "state", where=lambda m, n=first: m["steps"] > n)
            ws.send_json({"type": "pause"})


def test_cli_lists_the_command_and_rejects_a_bad_port(capsys):
    from glassnet import cli

    assert cli.main(["--help"]) == 0
    assert "playground" in capsys.readouterr().out
    assert cli.main(["playground", "--port", "70000", "--no-browser"]) == 2
    assert "70000" in capsys.readouterr().err
