"""glassnet.tune: pruning inside gn.fit, studies in two worker processes on one storage
file, storages, the ``glassnet tune`` command, and the tuning chapter."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

optuna = pytest.importorskip("optuna")

import glassnet as gn  # noqa: E402
from glassnet.tune import MLP, PruningCallback, StorageError, open_storage, study  # noqa: E402
from glassnet.tune import config as C  # noqa: E402
from glassnet.tune.cli import main as tune_main  # noqa: E402

F = gn.nn.functional

IRIS_CFG = {
    "study": {"name": "iris", "n_trials": 6, "seed": 0},
    "data": {"dataset": "iris", "test_size": 0.2, "val_size": 0.25, "seed": 0},
    "train": {"epochs": 6, "patience": 3, "metric": "val_accuracy", "batch_size": 16},
    "search": {"hidden": {"low": 4, "high": 32, "log": True}, "lr": {"low": 1e-3, "high": 0.1,
                                                                     "log": True}},
}


@pytest.fixture(scope="module")
def blobs():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(120, 4)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
    return (X[:90], y[:90]), (X[90:], y[90:])


# --- MLP -------------------------------------------------------------------------------------
def test_mlp_layers_and_checks():
    m = MLP(5, 3, hidden=7, depth=2, dropout=0.1, activation="tanh")
    kinds = [type(layer).__name__ for layer in m]
    assert kinds == ["Linear", "Tanh", "Dropout", "Linear", "Tanh", "Dropout", "Linear"]
    assert m(gn.randn(4, 5)).shape == (4, 3)
    assert [type(layer).__name__ for layer in MLP(5, 3, depth=0)] == ["Linear"]
    with pytest.raises(ValueError, match="unknown activation 'relu6'; choose one of relu"):
        MLP(5, 3, activation="relu6")
    with pytest.raises(ValueError, match="hidden must be an integer >= 1, got 0"):
        MLP(5, 3, hidden=0)
    with pytest.raises(ValueError, match=r"dropout must be in \[0, 1\)"):
        MLP(5, 3, dropout=1.0)


# --- pruning ---------------------------------------------------------------------------------
def test_pruning_stops_bad_trials_and_removes_their_checkpoints(blobs, tmp_path):
    train, val = blobs

    def objective(trial):
        lr = trial.suggest_categorical("lr", [0.05, 1e-6])  # 1e-6 learns nothing
        gn.manual_seed(0)
        model = MLP(4, 2, hidden=8)
        ckpt = str(tmp_path / f"t{trial.number}-{{epoch}}.ckpt")
        h = gn.fit(model, train, loss_fn=F.cross_entropy,
                   optimizer=gn.optim.Adam(model.parameters(), lr=lr), epochs=8, batch_size=16,
                   val_data=val, callbacks=[PruningCallback(trial, monitor="val_loss")],
                   checkpoint=ckpt, progress=False)
        return min(h["val_loss"])

    pruner = optuna.pruners.MedianPruner(n_startup_trials=1, n_warmup_steps=1)
    path = str(tmp_path / "p.log")
    st = study(storage=path, study_name="p", pruner=pruner)  # created, no trials yet
    for lr in (0.05, 0.05, 1e-6, 0.05, 1e-6):
        st.enqueue_trial({"lr": lr})
    st = study(objective, storage=path, study_name="p", n_trials=5, pruner=pruner)
    assert len(st.trials) == 5
    states = {t.number: (t.state.name, t.params["lr"]) for t in st.trials}
    pruned = [n for n, (s, _) in states.items() if s == "PRUNED"]
    assert pruned == [2, 4]  # the two that learn nothing
    assert any(s == "COMPLETE" and lr == 0.05 for s, lr in states.values())
    for n, (s, _) in states.items():
        files = sorted(p.name for p in tmp_path.glob(f"t{n}-*.ckpt"))
        if s == "PRUNED":
            assert files == [], (n, files)  # cleaned up
            t = st.trials[n]
            assert max(t.intermediate_values) == 1  # stopped as soon as the pruner may
        else:
            assert len(files) == 8


def test_pruning_callback_errors_and_warnings(blobs):
    train, val = blobs
    st = optuna.create_study(direction="maximize")
    trial = st.ask()
    model = MLP(4, 2)
    opt = gn.optim.Adam(model.parameters())
    with pytest.raises(KeyError, match=r"monitored value 'val_loss' is not logged; logged: "
                                       r"\['accuracy', 'loss', 'lr'\]"), pytest.warns(UserWarning):
        gn.fit(model, train, loss_fn=F.cross_entropy, optimizer=opt, epochs=1,
               callbacks=[PruningCallback(trial)], progress=False)
    with pytest.warns(UserWarning, match="study is to maximize but the monitored value is "
                                         "'val_loss'"):
        gn.fit(model, train, loss_fn=F.cross_entropy, optimizer=opt, epochs=1, val_data=val,
               callbacks=[PruningCallback(trial)], progress=False)
    assert st.trials[0].intermediate_values == {1: pytest.approx(
        st.trials[0].intermediate_values[1])}


def test_pruning_callback_inside_the_sklearn_estimator(blobs):
    pytest.importorskip("sklearn")
    from glassnet.sklearn import NeuralNetClassifier

    (X, y), _ = blobs
    st = optuna.create_study()
    trial = st.ask()
    cb = PruningCallback(trial, monitor="val_loss")
    clf = NeuralNetClassifier(MLP, max_epochs=3, train_split=0.25, callbacks=[cb],
                              random_state=0).fit(X, y)
    # the estimator trained with a copy, which reported to the same trial
    assert sorted(st.trials[0].intermediate_values) == [1, 2, 3]
    np.testing.assert_allclose(list(st.trials[0].intermediate_values.values()),
                               clf.history_["val_loss"])


# --- studies ---------------------------------------------------------------------------------
def test_two_processes_share_one_journal_file(tmp_path):
    cfg = C.check(json.loads(json.dumps(IRIS_CFG)))
    path = str(tmp_path / "iris.log")
    st = study(C.Objective(cfg), storage=path, study_name="iris", direction="maximize",
               n_trials=6, n_jobs=2, seed=0)
    # what the file holds, read back fresh: every trial once, none lost or doubled
    again = optuna.load_study(study_name="iris", storage=open_storage(path))
    trials = again.get_trials()
    assert sorted(t.number for t in trials) == list(range(6))
    assert all(t.state.name in ("COMPLETE", "PRUNED") for t in trials)
    assert len({(t.params["hidden"], t.params["lr"]) for t in trials}) == 6
    # two worker processes ran them, three each
    pids = [t.user_attrs["pid"] for t in trials if t.state.name == "COMPLETE"]
    assert len(set(pids)) == 2 and os.getpid() not in pids
    assert st.best_trial.number == again.best_trial.number
    # the best trial is reproducible from its parameters alone
    best = again.best_trial
    value = C.Objective(cfg)(optuna.trial.FixedTrial(best.params, number=best.number))
    assert value == best.value
    # a second run adds to the same study
    study(C.Objective(cfg), storage=path, study_name="iris", direction="maximize",
          n_trials=2, n_jobs=1, seed=1)
    assert len(optuna.load_study(study_name="iris", storage=open_storage(path)).trials) == 8


def test_in_memory_study_over_processes_and_failed_trials(tmp_path):
    def objective(trial):
        x = trial.suggest_float("x", -2, 2)
        if trial.number == 1:
            raise RuntimeError("this trial breaks")
        return (x - 1) ** 2

    st = study(objective, n_trials=5, n_jobs=2)  # a temporary journal file carries it
    assert isinstance(st._storage, optuna.storages.InMemoryStorage)
    states = sorted(t.state.name for t in st.trials)
    assert states == ["COMPLETE"] * 4 + ["FAIL"]
    failed = [t for t in st.trials if t.state.name == "FAIL"][0]
    assert failed.number == 1
    # sqlite file, in this process; a failing trial does not stop the study either
    db = str(tmp_path / "s.db")
    st2 = study(objective, storage=db, n_trials=3, study_name="q")
    assert [t.state.name for t in st2.trials] == ["COMPLETE", "FAIL", "COMPLETE"]
    assert os.path.exists(db)


def test_storage_that_cannot_be_opened_is_named(tmp_path):
    missing = str(tmp_path / "nope" / "study.log")
    with pytest.raises(StorageError, match=f"cannot open study storage '{missing}': folder"):
        study(storage=missing)
    with pytest.raises(StorageError, match="it is a directory"):
        open_storage(str(tmp_path))
    with pytest.raises(StorageError, match="cannot open study storage 'nosuchdb://x'"):
        open_storage("nosuchdb://x")
    with pytest.raises(StorageError, match="sqlite:///.*/nope/x.db'.*does not exist"):
        open_storage(f"sqlite:///{tmp_path}/nope/x.db")
    with pytest.raises(ValueError, match="direction must be 'minimize' or 'maximize'"):
        study(direction="max")
    with pytest.raises(ValueError, match="n_jobs must be >= 1"):
        study(lambda t: 0.0, n_trials=1, n_jobs=0)


def test_default_sampler_is_seeded():
    def objective(trial):
        return trial.suggest_float("x", 0, 1)

    a = study(objective, n_trials=4, seed=3)
    b = study(objective, n_trials=4, seed=3)
    assert [t.params for t in a.trials] == [t.params for t in b.trials]
    assert isinstance(a.pruner, optuna.pruners.MedianPruner)
    assert isinstance(a.sampler, optuna.samplers.TPESampler)


# --- config and command line -----------------------------------------------------------------
def test_tune_command(tmp_path, capsys):
    cfg = json.loads(json.dumps(IRIS_CFG))
    cfg["study"].update(n_trials=3, storage=str(tmp_path / "iris.log"))
    path = tmp_path / "iris.json"
    path.write_text(json.dumps(cfg))
    assert tune_main([str(path), "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "3 trial(s) in 1 process(es), maximize val_accuracy on iris" in out
    lines = out.splitlines()
    head = next(i for i, s in enumerate(lines) if s.startswith("trial  state"))
    assert lines[head].split() == ["trial", "state", "value", "epochs", "hidden", "lr"]
    rows = [r.split() for r in lines[head + 2: head + 5]]
    values = [float(r[2]) for r in rows]
    assert values == sorted(values, reverse=True)  # best first
    assert "best trial" in out and "held-out test accuracy" in out
    # the example config parses, and TOML works the same
    assert tune_main(["--example"]) == 0
    toml = tmp_path / "ex.toml"
    toml.write_text(capsys.readouterr().out)
    ex = C.load(toml)
    assert ex["study"]["n_jobs"] == 2 and ex["space"]["hidden"]["log"] is True


@pytest.mark.parametrize("patch,message", [
    ({"trian": {}}, r"unknown section\(s\) \['trian'\]"),
    ({"data": {"dataset": "mnist"}}, "dataset 'mnist' is not bundled"),
    ({"search": {"hidden": {"low": 8.5, "high": 64}}}, "hidden is an integer"),
    ({"search": {"lr": {"low": 0, "high": 1, "log": True}}}, "log scale needs low > 0"),
    ({"search": {"activation": {"choices": ["relu", "swish"]}}}, "invalid value 'swish'"),
    ({"search": {"depth": {"low": 1}}}, "give {low, high"),
    ({"train": {"metric": "accuracy"}}, "metric must be one of"),
    ({"train": {"lr": 0.1}, "search": {"lr": {"low": 0.01, "high": 0.1}}},
     "set in both"),
    ({"study": {"n_trials": 0}}, "n_trials must be an integer >= 1"),
])
def test_config_errors(tmp_path, capsys, patch, message):
    cfg = json.loads(json.dumps(IRIS_CFG))
    for sec, part in patch.items():
        cfg.setdefault(sec, {}).update(part)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(cfg))
    with pytest.raises(C.ConfigError, match=message):
        C.load(path)
    assert tune_main([str(path)]) == 2
    assert "glassnet tune: " in capsys.readouterr().err


def test_config_file_errors(tmp_path, capsys):
    with pytest.raises(C.ConfigError, match="cannot read tuning config"):
        C.load(tmp_path / "none.toml")
    (tmp_path / "x.toml").write_text("[study\n")
    with pytest.raises(C.ConfigError, match="x.toml: not valid TOML"):
        C.load(tmp_path / "x.toml")
    cfg = json.loads(json.dumps(IRIS_CFG))
    cfg["study"]["storage"] = str(tmp_path / "missing" / "s.log")
    (tmp_path / "s.json").write_text(json.dumps(cfg))
    assert tune_main([str(tmp_path / "s.json"), "--no-progress"]) == 2
    assert "cannot open study storage" in capsys.readouterr().err


# --- the chapter -----------------------------------------------------------------------------
def test_tuning_chapter_fast(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    from glassnet.examples import tuning_digits

    out = tuning_digits.run(fast=True, plot_dir=str(tmp_path))
    printed = capsys.readouterr().out
    assert out["test_accuracy"] > 0.9
    assert out["n_trials"] >= 8 and out["n_pruned"] >= 1
    big, best = out["oversized"], out["best"]
    # the over-sized network memorizes: lower training loss, higher validation loss,
    # and a validation loss that turned back up
    assert big["train_loss"] < best["train_loss"]
    assert big["val_loss"] > 1.1 * big["best_val_loss"] and big["best_epoch"] < big["epochs"]
    assert "Best configuration" in printed
    for name in out["plots"]:
        assert os.path.getsize(name) > 1000


def test_import_glassnet_stays_light():
    import subprocess
    import sys

    code = ("import sys, glassnet; glassnet.tune.MLP; "
            "print(sorted(m for m in ('optuna', 'sklearn', 'scipy') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "[]"


# --- every optimizer `glassnet tune` offers ------------------------------------------------
TUNE_LR = {"sgd": 0.1, "adagrad": 0.1, "adadelta": 1.0, "asgd": 0.1, "rprop": 1e-3}


def _all_optimizers_cfg(**train):
    cfg = json.loads(json.dumps(IRIS_CFG))
    cfg["train"].update(epochs=8, patience=0, **train)
    cfg["search"] = {"optimizer": {"choices": list(C.OPTIMIZERS)},
                     "weight_decay": {"low": 1e-5, "high": 1e-3, "log": True},
                     "lr": {"low": 1e-3, "high": 1.0, "log": True}}
    return C.check(cfg, "all.json")


@pytest.mark.parametrize("name", list(C.OPTIMIZERS))
def test_each_offered_optimizer_trains(name):
    """Through the command's own path (config check, suggest, train_model), each optimizer
    lowers the training loss, and the trial's value is the best validation accuracy."""
    cfg = _all_optimizers_cfg()
    data = C.load_data(cfg)
    drawn = {"optimizer": name, "weight_decay": 1e-4, "lr": TUNE_LR.get(name, 0.01)}
    params = C.suggest(optuna.trial.FixedTrial(drawn), cfg)
    assert params["optimizer"] == name
    assert params["weight_decay"] == (0.0 if name == "rprop" else 1e-4)
    model, history = C.train_model(params, data, cfg)
    opt = C.make_optimizer(params, model.parameters())
    assert type(opt).__name__ == C.OPTIMIZERS[name][0]
    assert opt.param_groups[0]["lr"] == drawn["lr"]
    losses = history["loss"]
    assert len(losses) == 8 and losses[-1] < 0.7 * losses[0], losses
    value = C.Objective(cfg)(optuna.trial.FixedTrial(drawn))
    assert value == max(history["val_accuracy"]) and value > 0.6


def test_optimizer_without_weight_decay_in_config(tmp_path, capsys):
    cfg = json.loads(json.dumps(IRIS_CFG))
    cfg["train"]["weight_decay"] = 1e-3
    cfg["search"]["optimizer"] = {"choices": ["adam", "rprop"]}
    with pytest.raises(C.ConfigError, match="optimizer 'rprop' has no weight decay"):
        C.check(cfg, "x.json")
    with pytest.raises(C.ConfigError, match=r"invalid value 'lbfgs' for optimizer \(one of "
                                            r"\['adam', 'adamw', 'sgd', 'rmsprop', 'adagrad'"):
        C.check({"train": {"optimizer": "lbfgs"}})
    # a short study over two of them, weight decay searched: rprop's trials draw none
    cfg = json.loads(json.dumps(IRIS_CFG))
    cfg["study"].update(n_trials=4, sampler="random")
    cfg["train"].update(epochs=2, patience=0)
    cfg["search"] = {"weight_decay": {"low": 1e-5, "high": 1e-3, "log": True},
                     "optimizer": {"choices": ["rprop", "adafactor"]}}
    path = tmp_path / "two.json"
    path.write_text(json.dumps(cfg))
    assert tune_main([str(path), "--no-progress", "--no-final"]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    head = next(i for i, s in enumerate(lines) if s.startswith("trial  state"))
    assert lines[head].split()[4:] == ["weight_decay", "optimizer"]
    rows = [r.split() for r in lines[head + 2: head + 6]]
    assert {r[-1] for r in rows} == {"rprop", "adafactor"}
    for r in rows:
        assert (r[4] == "-") == (r[5] == "rprop"), r
