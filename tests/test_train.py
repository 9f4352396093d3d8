"""gn.fit / Trainer: history, metrics, early stopping, NaN handling, schedulers, clipping,
callbacks, checkpoints and bit-identical resume; gn.metrics."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet import metrics as M
from glassnet.train import (
    Callback,
    EarlyStopping,
    LambdaCallback,
    ModelCheckpoint,
    NonFiniteLossError,
    NonFinitePolicy,
    ProgressBar,
)

nn, F = gn.nn, gn.nn.functional


def _blobs(n=120, seed=0, classes=3, f=4):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, classes, n)
    centers = rng.normal(0, 3, (classes, f))
    x = (centers[y] + rng.normal(0, 1, (n, f))).astype(np.float32)
    return x, y.astype(np.int64)


def _mlp(seed=0, f=4, h=16, c=3, p=0.0):
    gn.manual_seed(seed)
    layers = [nn.Linear(f, h), nn.ReLU()]
    if p:
        layers.append(nn.Dropout(p))
    return nn.Sequential(*layers, nn.Linear(h, c))


def _weights(model):
    return {k: v.data.copy() for k, v in model.state_dict().items()}


# --- basic fit ---------------------------------------------------------------------------
def test_fit_history_and_learning():
    x, y = _blobs()
    model = _mlp()
    opt = gn.optim.Adam(model.parameters(), lr=0.05)
    h = gn.fit(model, (x[:90], y[:90]), loss_fn=F.cross_entropy, optimizer=opt, epochs=8,
               batch_size=16, val_data=(x[90:], y[90:]), generator=gn.Generator(0),
               progress=False)
    assert len(h) == 8 and h.epoch == list(range(1, 9))
    for key in ("loss", "accuracy", "val_loss", "val_accuracy", "lr"):
        assert len(h[key]) == 8, key
    assert h["loss"][-1] < h["loss"][0] / 3
    assert h["val_accuracy"][-1] >= 0.9
    assert h["lr"] == [0.05] * 8
    d = h.to_dict()
    assert d["epoch"] == h.epoch and d["val_loss"] == h["val_loss"]
    assert h.stop_reason is None
    with pytest.raises(KeyError, match="has no 'acc'"):
        h["acc"]
    # the logged validation numbers are what evaluate() computes
    ev = gn.train.evaluate(model, (x[90:], y[90:]), loss_fn=F.cross_entropy)
    assert ev["loss"] == pytest.approx(h["val_loss"][-1], rel=1e-6)
    assert ev["accuracy"] == pytest.approx(h["val_accuracy"][-1])


def test_fit_trains_on_a_stream_without_a_length(capsys, monkeypatch):
    """A DataLoader over an IterableDataset has no len(): fit runs, the progress bar and
    messages go without a total, and the result equals training on the same batches."""
    x, y = _blobs(40)
    monkeypatch.setattr(gn.train, "_progress_enabled", lambda progress: progress)  # a bar

    class Stream(gn.data.IterableDataset):
        def __iter__(self):
            return iter(zip(x, y))

    weights = []
    for data in (gn.data.DataLoader(Stream(), batch_size=8),
                 gn.data.DataLoader(gn.data.TensorDataset(x, y), batch_size=8)):
        gn.manual_seed(0)
        model = _mlp()
        h = gn.fit(model, data, loss_fn="cross_entropy",
                   optimizer=gn.optim.SGD(model.parameters(), lr=0.1), epochs=2,
                   progress=True)
        weights.append(_weights(model))
        assert len(h["loss"]) == 2
    for k in weights[0]:
        np.testing.assert_allclose(weights[0][k], weights[1][k], rtol=1e-6)
    assert "epoch 2/2" in capsys.readouterr().err


@pytest.mark.parametrize("kind", ["tuple", "dataset", "loader"])
def test_fit_accepts_data_forms(kind):
    x, y = _blobs(40)
    data = {"tuple": (x, y), "dataset": gn.data.TensorDataset(x, y),
            "loader": gn.data.DataLoader(gn.data.TensorDataset(x, y), batch_size=8)}[kind]
    model = _mlp()
    h = gn.fit(model, data, loss_fn="cross_entropy",
               optimizer=gn.optim.SGD(model.parameters(), lr=0.1), epochs=2, batch_size=8,
               progress=False)
    assert len(h["loss"]) == 2


def test_fit_matches_a_plain_torch_loop(torch):
    """Same weights, same batches (no shuffle), SGD with momentum: same trajectory."""
    x, y = _blobs(64)
    model = _mlp().double()
    tmodel = torch.nn.Sequential(torch.nn.Linear(4, 16), torch.nn.ReLU(),
                                 torch.nn.Linear(16, 3)).double()
    with torch.no_grad():
        for tp, (_, p) in zip(tmodel.parameters(), model.named_parameters()):
            tp.copy_(torch.from_numpy(p.data))
    xd = x.astype(np.float64)
    gn.fit(model, (xd, y), loss_fn=F.cross_entropy,
           optimizer=gn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9), epochs=3,
           batch_size=16, shuffle=False, progress=False, metrics=())
    topt = torch.optim.SGD(tmodel.parameters(), lr=0.05, momentum=0.9)
    for _ in range(3):
        for i in range(0, 64, 16):
            topt.zero_grad()
            out = tmodel(torch.from_numpy(xd[i:i + 16]))
            torch.nn.functional.cross_entropy(out, torch.from_numpy(y[i:i + 16])).backward()
            topt.step()
    for tp, (k, p) in zip(tmodel.parameters(), model.named_parameters()):
        np.testing.assert_allclose(p.data, tp.detach().numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=k)


# --- early stopping ----------------------------------------------------------------------
def test_early_stopping_stops_and_names_reason():
    x, y = _blobs(40)
    model = _mlp()
    h = gn.fit(model, (x, y), loss_fn=F.cross_entropy, val_data=(x, y),
               optimizer=gn.optim.SGD(model.parameters(), lr=0.0), epochs=20, batch_size=8,
               early_stopping=2, progress=False)
    # lr 0: val_loss never improves after epoch 1, so epochs 2 and 3 use up the patience
    assert len(h) == 3
    assert "early stopping at epoch 3" in h.stop_reason and "val_loss" in h.stop_reason


def test_early_stopping_restores_best_weights():
    x, y = _blobs(60)
    model = _mlp()
    snapshots = {}
    keep = LambdaCallback(on_epoch_end=lambda t, e, logs: snapshots.update({e: _weights(t.model)}))
    # validation labels are shifted, so learning the training labels makes val_loss worse
    es = EarlyStopping(patience=2, monitor="val_loss", restore_best=True)
    h = gn.fit(model, (x, y), loss_fn=F.cross_entropy, val_data=(x, (y + 1) % 3),
               optimizer=gn.optim.Adam(model.parameters(), lr=0.05), epochs=30, batch_size=10,
               callbacks=[keep], early_stopping=es, progress=False)
    best = int(np.argmin(h["val_loss"])) + 1
    assert es.best_epoch == best and len(h) == best + 2
    for k, v in _weights(model).items():
        np.testing.assert_array_equal(v, snapshots[best][k], err_msg=k)


def test_early_stopping_max_mode_and_bad_monitor():
    x, y = _blobs(40)
    model = _mlp()
    es = EarlyStopping(patience=1, monitor="accuracy", restore_best=False)
    assert es._sign() == -1.0  # "acc" in the name: higher is better
    with pytest.raises(KeyError, match="'val_acc' is not logged"):
        gn.fit(model, (x, y), loss_fn=F.cross_entropy, epochs=2,
               optimizer=gn.optim.SGD(model.parameters(), lr=0.1),
               early_stopping=dict(patience=1, monitor="val_acc"), progress=False)


# --- non-finite losses -------------------------------------------------------------------
def _nan_data(n=40, bad=20):
    x, y = _blobs(n)
    x = x.copy()
    x[bad] = np.nan  # sample 20 lands in batch 3 (batch size 8, no shuffle)
    return x, y


def test_nan_loss_stops_naming_epoch_and_batch():
    x, y = _blobs(40)
    model = _mlp()
    seen = {}

    def poison(trainer, epoch):
        if epoch == 2:
            x[20] = np.nan
        seen[epoch] = _weights(trainer.model)

    before = {}

    def remember(trainer, batch, logs):
        before.update(_weights(trainer.model))

    cb = LambdaCallback(on_epoch_begin=poison, on_batch_end=remember)
    with pytest.raises(NonFiniteLossError, match=r"epoch 2, batch 3 of 5") as e:
        gn.fit(model, (x, y), loss_fn=F.cross_entropy, epochs=5, batch_size=8,
               shuffle=False, optimizer=gn.optim.SGD(model.parameters(), lr=0.1),
               callbacks=[cb], progress=False)
    assert (e.value.epoch, e.value.batch) == (2, 3)
    assert len(e.value.history) == 1  # epoch 1 finished
    for k, v in _weights(model).items():  # the NaN batch never touched the weights
        assert np.isfinite(v).all()
        np.testing.assert_array_equal(v, before[k])


@pytest.mark.parametrize("mode, warning, finite", [
    ("skip", r"skipped 1 batch\(es\).*\[3\]", True),
    ("continue", r"epoch 1, batch 3 of 5; training on", False),
])
def test_nan_loss_skip_and_continue(mode, warning, finite):
    x, y = _nan_data()
    model = _mlp()
    with pytest.warns(RuntimeWarning, match=warning):
        h = gn.fit(model, (x, y), loss_fn=F.cross_entropy, epochs=1, batch_size=8,
                   shuffle=False, optimizer=gn.optim.SGD(model.parameters(), lr=0.1),
                   on_nonfinite=mode, progress=False)
    assert np.isfinite(h["loss"][0]) == finite
    assert all(np.isfinite(v).all() for v in _weights(model).values()) == finite


def test_nonfinite_gradient_norm_with_clipping():
    x, y = _blobs(16)
    model = _mlp()

    def loss_fn(output, target):  # finite value, NaN gradient (d sqrt(u)/du at u = 0)
        return F.cross_entropy(output, target) + gn.sqrt((output * 0.0).sum())

    before = _weights(model)
    match = r"gradient norm \(nan\) at epoch 1, batch 1"
    with np.errstate(all="ignore"), pytest.raises(NonFiniteLossError, match=match):
        gn.fit(model, (x, y), loss_fn=loss_fn, epochs=1, batch_size=8,
               optimizer=gn.optim.SGD(model.parameters(), lr=0.1), clip_grad_norm=1.0,
               progress=False)
    for k, v in _weights(model).items():
        np.testing.assert_array_equal(v, before[k])


# --- schedulers, clipping, callbacks -----------------------------------------------------
def test_step_scheduler_and_logged_lr():
    x, y = _blobs(32)
    model = _mlp()
    opt = gn.optim.SGD(model.parameters(), lr=0.1)
    sched = gn.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    h = gn.fit(model, (x, y), loss_fn=F.cross_entropy, optimizer=opt, scheduler=sched,
               epochs=5, batch_size=8, progress=False)
    np.testing.assert_allclose(h["lr"], [0.1, 0.1, 0.05, 0.05, 0.025])


def test_plateau_scheduler_steps_on_monitored_value():
    x, y = _blobs(32)
    model = _mlp()
    opt = gn.optim.SGD(model.parameters(), lr=0.1)
    sched = gn.optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1, factor=0.5)
    # shifted validation labels: val_loss (the monitored value) gets worse while the
    # training loss improves, so the rate is cut after 2 bad epochs
    h = gn.fit(model, (x, y), loss_fn=F.cross_entropy, optimizer=opt, scheduler=sched,
               val_data=(x, (y + 1) % 3), epochs=6, batch_size=32, shuffle=False,
               progress=False)
    assert h["loss"][-1] < h["loss"][0] and h["val_loss"][-1] > h["val_loss"][0]
    assert h["lr"][:3] == [0.1] * 3 and h["lr"][3] == 0.05
    assert sched.best == min(h["val_loss"])


def test_gradient_clipping():
    x, y = _blobs(32)
    model = _mlp()
    norms = []

    def norm(trainer, batch, logs):
        g = np.concatenate([p.grad.data.ravel() for p in trainer.model.parameters()])
        norms.append(float(np.linalg.norm(g.astype(np.float64))))

    gn.fit(model, (x * 100, y), loss_fn=F.cross_entropy, epochs=2, batch_size=8,
           optimizer=gn.optim.SGD(model.parameters(), lr=0.01), clip_grad_norm=0.5,
           callbacks=[LambdaCallback(on_batch_end=norm)], progress=False)
    assert len(norms) == 8 and max(norms) <= 0.5 + 1e-4


def test_callback_hook_order():
    calls = []

    class Recorder(Callback):
        def on_train_begin(self, t):
            calls.append("train_begin")

        def on_epoch_begin(self, t, epoch):
            calls.append(f"epoch_begin {epoch}")

        def on_after_backward(self, t, batch):
            assert all(p.grad is not None for p in t.model.parameters())
            calls.append(f"backward {batch}")

        def on_batch_end(self, t, batch, logs):
            assert set(logs) == {"loss", "batch_size"}
            calls.append(f"batch_end {batch}")

        def on_epoch_end(self, t, epoch, logs):
            assert len(t.history) == epoch and "loss" in logs
            calls.append(f"epoch_end {epoch}")

        def on_train_end(self, t):
            calls.append("train_end")

    x, y = _blobs(16)
    model = _mlp()
    gn.fit(model, (x, y), loss_fn=F.cross_entropy, epochs=2, batch_size=8,
           optimizer=gn.optim.SGD(model.parameters(), lr=0.1), callbacks=[Recorder()],
           progress=False)
    epoch = ["backward 1", "batch_end 1", "backward 2", "batch_end 2"]
    assert calls == (["train_begin", "epoch_begin 1", *epoch, "epoch_end 1", "epoch_begin 2",
                      *epoch, "epoch_end 2", "train_end"])


def test_stop_training_from_a_callback():
    def stop(t, e, logs):
        t.stop_training = True

    x, y = _blobs(16)
    model = _mlp()
    h = gn.fit(model, (x, y), loss_fn=F.cross_entropy, epochs=10, batch_size=8,
               optimizer=gn.optim.SGD(model.parameters(), lr=0.1),
               callbacks=[LambdaCallback(on_epoch_end=stop)], progress=False)
    assert len(h) == 1


def test_progress_bar(capsys, monkeypatch):
    x, y = _blobs(16)
    model = _mlp()
    kw = dict(loss_fn=F.cross_entropy, epochs=2, batch_size=8,
              optimizer=gn.optim.SGD(model.parameters(), lr=0.1))
    gn.fit(model, (x, y), progress=True, **kw)  # not a terminal under pytest: quiet
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(gn.train, "_progress_enabled", lambda progress: progress)
    gn.fit(model, (x, y), progress=True, **kw)
    err = capsys.readouterr().err
    assert "epoch 1/2" in err and "epoch 2/2" in err and "loss=" in err and "accuracy=" in err
    gn.fit(model, (x, y), progress=False, **kw)
    assert capsys.readouterr().err == ""


def _bar_lines(err: str) -> list[str]:
    """The lines tqdm drew (each redraw starts with a carriage return)."""
    return [ln for ln in err.replace("\r", "\n").split("\n") if ln.startswith("epoch")]


def test_progress_bar_keeps_a_fixed_width(capsys, monkeypatch):
    """Every epoch's line has the same width, whatever the numbers and the epoch count
    ("epoch  9/10" and "epoch 10/10"); values are shown whole or not at all."""
    monkeypatch.setattr(gn.train, "_progress_enabled", lambda progress: progress)
    x, y = _blobs(40)
    model = _mlp()
    kw = dict(loss_fn=F.cross_entropy, epochs=10, batch_size=8, val_data=(x, y),
              on_nonfinite="continue")
    # a learning rate that makes the loss grow by orders of magnitude from epoch to epoch
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        gn.fit(model, (x * 100, y), optimizer=gn.optim.SGD(model.parameters(), lr=0.05),
               callbacks=[ProgressBar(ncols=100)], **kw)
    lines = _bar_lines(capsys.readouterr().err)
    assert len(lines) >= 20 and {len(ln.rstrip()) for ln in lines} == {100}
    assert any(ln.startswith("epoch  9/10:") for ln in lines)
    assert any(ln.startswith("epoch 10/10:") for ln in lines)
    ends = [ln for ln in lines if "loss=" in ln]
    assert ends
    for ln in ends:  # name=value fields, whole, maybe followed by "..."
        fields = ln.rstrip()[:-1].split("<")[1].split(", ")[1:]
        for f in fields:
            assert f == "..." or re.fullmatch(r"\w+=(-?[\d.]+(e[+-]\d+)?|nan|inf)", f), ln
    # the default width comes from the terminal, once, when training starts
    monkeypatch.setenv("COLUMNS", "90")
    model = _mlp()
    gn.fit(model, (x, y), optimizer=gn.optim.SGD(model.parameters(), lr=0.05), **kw)
    lines = _bar_lines(capsys.readouterr().err)
    assert lines and {len(ln.rstrip()) for ln in lines} == {90}
    with pytest.raises(ValueError, match="ncols"):
        ProgressBar(ncols=5)


def test_builtin_callbacks_and_their_order(tmp_path):
    """fit's arguments add callbacks after the user's: early stopping, the NaN policy,
    the progress bar, the checkpoint (last, so it holds the others' state)."""
    mine = LambdaCallback()
    model = _mlp()
    t = gn.Trainer(model, loss_fn=F.cross_entropy, optimizer=gn.optim.SGD(model.parameters()),
                   callbacks=[mine], early_stopping=3, checkpoint=tmp_path / "c.ckpt")
    assert [type(c) for c in t.callbacks] == [LambdaCallback, EarlyStopping, NonFinitePolicy,
                                              ProgressBar, ModelCheckpoint]
    # a policy or bar given by the user replaces the built-in one
    t = gn.Trainer(model, loss_fn=F.cross_entropy, optimizer=gn.optim.SGD(model.parameters()),
                   callbacks=[NonFinitePolicy("skip"), ProgressBar(ncols=40)], progress=True)
    assert [type(c) for c in t.callbacks] == [NonFinitePolicy, ProgressBar]
    assert t.callbacks[0].mode == "skip"
    with pytest.raises(TypeError, match="Callback instances"):
        gn.Trainer(model, loss_fn=F.cross_entropy, optimizer=None, callbacks=[print])
    with pytest.raises(ValueError, match="every"):
        ModelCheckpoint("x", every=0)


def test_nonfinite_policy_as_a_callback():
    x, y = _nan_data()
    model = _mlp()
    seen = []
    spy = LambdaCallback(on_nonfinite=lambda t, b, what, v: seen.append((t.epoch, b, what)))
    with pytest.warns(RuntimeWarning, match=r"skipped 1 batch\(es\)"):
        gn.fit(model, (x, y), loss_fn=F.cross_entropy, epochs=2, batch_size=8, shuffle=False,
               optimizer=gn.optim.SGD(model.parameters(), lr=0.1),
               callbacks=[spy, NonFinitePolicy("skip")], progress=False)
    assert seen == [(1, 3, "loss"), (2, 3, "loss")]
    assert all(np.isfinite(v).all() for v in _weights(model).values())


def test_checkpoint_callback_state_follows_the_class(tmp_path):
    """Callback state is matched by class and position within the class, so a resume
    with other callbacks around still restores early stopping."""
    x, y = _blobs(40)
    model = _mlp()
    gn.fit(model, (x, y), loss_fn=F.cross_entropy, val_data=(x, y), epochs=3, batch_size=8,
           optimizer=gn.optim.SGD(model.parameters(), lr=0.1), early_stopping=50,
           checkpoint=tmp_path / "r.ckpt", progress=False)
    es = EarlyStopping(patience=50)
    model2 = _mlp(seed=3)
    gn.fit(model2, (x, y), loss_fn=F.cross_entropy, val_data=(x, y), epochs=3, batch_size=8,
           optimizer=gn.optim.SGD(model2.parameters(), lr=0.1), early_stopping=es,
           callbacks=[LambdaCallback(), ProgressBar()], resume_from=tmp_path / "r.ckpt",
           progress=False)
    saved = gn.load_checkpoint(tmp_path / "r.ckpt", restore_rng=False)["extra"]["callbacks"]
    state = dict((name, s) for name, s in saved)["EarlyStopping"]
    assert es.best == state["best"] and es.best_epoch == state["best_epoch"] >= 1


def test_regression_check_reads_batches_not_dataset_internals():
    """The accuracy check looks at the first batch, so any Dataset works."""

    class Pairs(gn.data.Dataset):
        def __len__(self):
            return 10

        def __getitem__(self, i):
            return np.float32([i / 10]), np.float32([0.3 * i / 10])

    model = nn.Linear(1, 1)
    with pytest.warns(UserWarning, match="accuracy is not computed"):
        h = gn.fit(model, Pairs(), loss_fn=F.mse_loss, epochs=1, batch_size=5,
                   optimizer=gn.optim.SGD(model.parameters(), lr=0.1), progress=False)
    assert "accuracy" not in h


def test_regression_targets_drop_accuracy_with_a_warning():
    X, y = gn.data.load_dosage(return_X_y=True)
    model = nn.Sequential(nn.Linear(1, 2), nn.Softplus(), nn.Linear(2, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gn.fit(model, (X, y.reshape(-1, 1)), loss_fn=F.mse_loss, epochs=1, batch_size=3,
               optimizer=gn.optim.SGD(model.parameters(), lr=0.1), progress=False)
    Xr = np.linspace(0, 1, 10, dtype=np.float32).reshape(-1, 1)
    with pytest.warns(UserWarning, match="accuracy is not computed"):
        h = gn.fit(model, (Xr, Xr * 0.3), loss_fn=F.mse_loss, epochs=1, batch_size=5,
                   optimizer=gn.optim.SGD(model.parameters(), lr=0.1), progress=False)
    assert "accuracy" not in h and "loss" in h


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(on_nonfinite="ignore"), ValueError, "on_nonfinite"),
    (dict(clip_grad_norm=0), ValueError, "clip_grad_norm"),
    (dict(metrics=("f2",)), ValueError, "unknown metric"),
    (dict(loss_fn="nope"), ValueError, "unknown loss"),
    (dict(loss_fn=lambda o, t: o.sum(dim=1)), ValueError, "scalar"),
    (dict(epochs=-1), ValueError, "epochs"),
    (dict(train_data=np.zeros((4, 2))), TypeError, "DataLoader, a Dataset or a tuple"),
    (dict(early_stopping="yes"), TypeError, "early_stopping"),
    (dict(checkpoint=dict(path="x", every=0)), ValueError, "every"),
])
def test_fit_bad_arguments(kwargs, exc, match):
    x, y = _blobs(16)
    model = _mlp()
    args = dict(train_data=(x, y), loss_fn=F.cross_entropy, epochs=1, batch_size=8,
                optimizer=gn.optim.SGD(model.parameters(), lr=0.1), progress=False)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        gn.fit(model, args.pop("train_data"), **args)


# --- checkpoints and resume --------------------------------------------------------------
def _run(tmp_path, epochs, resume=False, checkpoint=None, seed=0):
    x, y = _blobs(50, seed=1)
    model = _mlp(seed=seed + 100 if resume else seed, p=0.3)  # resume: different init
    opt = gn.optim.Adam(model.parameters(), lr=0.02)
    sched = gn.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.8)
    gen = gn.Generator(seed + 200 if resume else 7)
    if resume:
        gn.manual_seed(999)  # the checkpoint must bring the global state back
    h = gn.fit(model, (x, y), loss_fn=F.cross_entropy, optimizer=opt, scheduler=sched,
               epochs=epochs, batch_size=8, shuffle=True, generator=gen, val_data=(x, y),
               early_stopping=dict(patience=50), checkpoint=checkpoint,
               resume_from=tmp_path / "run.ckpt" if resume else None, progress=False)
    return model, opt, h


def test_resume_is_bit_identical(tmp_path):
    full_model, full_opt, full_h = _run(tmp_path, epochs=4)
    _run(tmp_path, epochs=2, checkpoint=tmp_path / "run.ckpt")
    model, opt, h = _run(tmp_path, epochs=4, resume=True)
    for k, v in _weights(full_model).items():
        np.testing.assert_array_equal(_weights(model)[k], v, err_msg=k)
    assert h.to_dict() == full_h.to_dict()
    assert opt.param_groups[0]["lr"] == full_opt.param_groups[0]["lr"]


def test_resume_restores_augmentation_generators(tmp_path):
    class Jitter:  # a per-batch augmentation with its own generator, like gn.data.transforms
        def __init__(self, seed):
            self.generator = gn.Generator(seed)

        def __call__(self, x):
            return x + gn.tensor(self.generator.np_rng.normal(0, 0.1, x.shape), dtype=x.dtype)

    class Compose:
        def __init__(self, transforms):
            self.transforms = transforms

        def __call__(self, x):
            for t in self.transforms:
                x = t(x)
            return x

    x, y = _blobs(40)

    def run(epochs, resume=False, checkpoint=None):
        model = _mlp(seed=5 if resume else 0)
        loader = gn.data.DataLoader(gn.data.TensorDataset(x, y), batch_size=8, shuffle=True,
                                    generator=gn.Generator(9 if resume else 1),
                                    transform=Compose([Jitter(8 if resume else 2)]))
        gn.fit(model, loader, loss_fn=F.cross_entropy, epochs=epochs, checkpoint=checkpoint,
               optimizer=gn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
               resume_from=tmp_path / "aug.ckpt" if resume else None, progress=False)
        return _weights(model)

    full = run(3)
    run(1, checkpoint=tmp_path / "aug.ckpt")
    resumed = run(3, resume=True)
    for k, v in full.items():
        np.testing.assert_array_equal(resumed[k], v, err_msg=k)


def test_checkpoint_every_and_epoch_in_path(tmp_path):
    x, y = _blobs(16)
    model = _mlp()
    gn.fit(model, (x, y), loss_fn=F.cross_entropy, epochs=5, batch_size=8,
           optimizer=gn.optim.SGD(model.parameters(), lr=0.1),
           checkpoint=dict(path=str(tmp_path / "ck-{epoch}.safetensors"), every=2),
           progress=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "ck-2.safetensors", "ck-4.safetensors", "ck-5.safetensors"]  # every 2, and the last
    ck = gn.load_checkpoint(tmp_path / "ck-4.safetensors")
    assert ck["epoch"] == 4 and ck["extra"]["history"]["epoch"] == [1, 2, 3, 4]


def test_resume_past_the_end_trains_nothing(tmp_path):
    _run(tmp_path, epochs=2, checkpoint=tmp_path / "run.ckpt")
    ck_weights = gn.load_checkpoint(tmp_path / "run.ckpt", restore_rng=False)["model"]
    model, _, h = _run(tmp_path, epochs=2, resume=True)
    assert len(h) == 2
    for k, v in _weights(model).items():
        np.testing.assert_array_equal(v, ck_weights[k])


# --- metrics -----------------------------------------------------------------------------
def test_accuracy_forms():
    logits = np.array([[2.0, 0.1, 0.0], [0.0, 3.0, 0.1], [0.0, 0.1, 0.5], [1.0, 0.0, 0.0]])
    target = np.array([0, 1, 1, 0])
    assert M.accuracy(logits, target) == 0.75
    assert M.accuracy(gn.tensor(logits), gn.tensor(target)) == 0.75
    assert M.accuracy(logits, np.eye(3)[target]) == 0.75  # one-hot targets
    assert M.accuracy(np.array([0, 1, 2, 0]), target) == 0.75  # labels
    assert M.accuracy(np.array([0.9, 0.2, 0.6]), np.array([1.0, 0.0, 0.0])) == pytest.approx(2 / 3)
    assert M.accuracy(np.array([[2.0], [-1.0]]), np.array([[1], [1]])) == 0.5  # logits: 0
    with pytest.raises(ValueError, match="shape"):
        M.accuracy(logits, target[:3])


def test_confusion_matrix_precision_recall():
    target = np.array([0, 0, 1, 1, 1, 2])
    preds = np.array([0, 1, 1, 1, 2, 2])
    cm = M.confusion_matrix(preds, target)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 2, 1], [0, 0, 1]])
    np.testing.assert_allclose(M.precision(preds, target), [1.0, 2 / 3, 0.5])
    np.testing.assert_allclose(M.recall(preds, target), [0.5, 2 / 3, 1.0])
    p, r = np.array([1.0, 2 / 3, 0.5]), np.array([0.5, 2 / 3, 1.0])
    np.testing.assert_allclose(M.f1_score(preds, target), 2 * p * r / (p + r))
    assert M.precision(preds, target, average="macro") == pytest.approx(p.mean())
    assert M.recall(preds, target, average="micro") == pytest.approx(4 / 6)
    assert M.confusion_matrix(preds, target, num_classes=4).shape == (4, 4)
    assert M.confusion_matrix(np.eye(5)[[0, 1]], np.array([0, 1])).shape == (5, 5)
    with pytest.raises(ValueError, match="num_classes"):
        M.confusion_matrix(preds, target, num_classes=2)
