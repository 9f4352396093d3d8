"""Tuning the digits MLP: search the architecture and the training together, and see
what over-fitting looks like.

The bundled 8x8 digits are split three ways (stratified, seed 0): 60% to train on, 20%
to judge each trial on (validation), 20% held out until the very end (test). An Optuna
study (TPE sampler, median pruner; ``glassnet[tune]``) searches hidden units, depth,
learning rate, weight decay and dropout; every trial trains with early stopping on the
validation loss, and trials that fall behind the median at the same epoch are pruned.
Then the best configuration and a deliberately over-sized one (2 x 512 units, no
dropout or weight decay, trained long) are trained side by side: the big one drives its
training loss to almost nothing while its validation loss turns back up - it memorizes.
Without Optuna the chapter runs a seeded random search over the same space instead.

>>> from glassnet.examples import tuning_digits
>>> out = tuning_digits.run(fast=True)  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import math
import os

import numpy as np

import glassnet as gn
from glassnet.data import load_digits
from glassnet.tune import MLP, PruningCallback

F = gn.nn.functional
SEED = 0
SPACE = {  # name: (low, high, log, integer)
    "hidden": (16, 256, True, True),
    "depth": (1, 3, False, True),
    "lr": (1e-4, 3e-2, True, False),
    "weight_decay": (1e-6, 1e-2, True, False),
    "dropout": (0.0, 0.5, False, False),
}
OVERSIZED = {"hidden": 512, "depth": 2, "lr": 3e-3, "weight_decay": 0.0, "dropout": 0.0}


def split_digits():
    """(train, val, test) pairs of scaled float32 pixels and int labels."""
    X, y = load_digits(return_X_y=True)
    X, y = np.asarray(X, np.float32), np.asarray(y, np.int64)
    g = gn.Generator(SEED)
    X_rest, X_test, y_rest, y_test = gn.data.train_test_split(X, y, test_size=0.2,
                                                              stratify=y, generator=g)
    X_tr, X_val, y_tr, y_val = gn.data.train_test_split(X_rest, y_rest, test_size=0.25,
                                                        stratify=y_rest, generator=g)
    s = gn.data.StandardScaler().fit(X_tr)
    return (s.transform(X_tr), y_tr), (s.transform(X_val), y_val), (s.transform(X_test), y_test)


def train(params, data, epochs, *, callbacks=(), early_stopping=True):
    """The MLP for ``params`` trained on ``data[0]``, validated on ``data[1]``."""
    gn.manual_seed(SEED)
    model = MLP(64, 10, hidden=params["hidden"], depth=params["depth"],
                dropout=params["dropout"])
    opt = gn.optim.Adam(model.parameters(), lr=params["lr"],
                        weight_decay=params["weight_decay"])
    es = gn.train.EarlyStopping(patience=4, monitor="val_loss") if early_stopping else None
    history = gn.fit(model, data[0], loss_fn=F.cross_entropy, optimizer=opt, epochs=epochs,
                     batch_size=64, val_data=data[1], callbacks=list(callbacks),
                     early_stopping=es, progress=False, generator=gn.Generator(SEED + 1))
    return model, history


class _RandomTrial:
    """Stands in for an Optuna trial when Optuna is not installed: uniform (or log-
    uniform) draws from a seeded generator, no pruning."""

    def __init__(self, number, rng):
        self.number, self.rng, self.params, self.user_attrs = number, rng, {}, {}

    def set_user_attr(self, key, value):
        self.user_attrs[key] = value

    def suggest_int(self, name, low, high, log=False):
        v = self.suggest_float(name, low, high + 1 - 1e-9, log=log)
        self.params[name] = int(min(high, math.floor(v)))
        return self.params[name]

    def suggest_float(self, name, low, high, log=False):
        u = self.rng.random()
        v = math.exp(math.log(low) + u * (math.log(high) - math.log(low))) if log \
            else low + u * (high - low)
        self.params[name] = v
        return v


def _sample(trial) -> dict:
    out = {}
    for name, (low, high, log, integer) in SPACE.items():
        f = trial.suggest_int if integer else trial.suggest_float
        out[name] = f(name, low, high, log=log)
    return out


def search(data, n_trials: int, epochs: int):
    """Run the study; returns a list of trial records (number, state, value, params)."""
    def objective(trial):
        params = _sample(trial)
        cbs = [PruningCallback(trial, monitor="val_loss")] if have_optuna else []
        _, h = train(params, data, epochs, callbacks=cbs)
        trial.set_user_attr("val_accuracy", h["val_accuracy"][int(np.argmin(h["val_loss"]))])
        return min(h["val_loss"])

    try:
        import optuna
        have_optuna = True
    except ImportError:
        have_optuna = False
    if not have_optuna:
        rng = np.random.default_rng(SEED)
        records = []
        for i in range(n_trials):
            t = _RandomTrial(i, rng)
            records.append({"number": i, "state": "complete", "value": objective(t),
                            "params": dict(t.params),
                            "val_accuracy": t.user_attrs["val_accuracy"]})
        return records, "seeded random search (Optuna is not installed)"
    from glassnet.tune import study

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    pruner = optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=2)
    st = study(objective, direction="minimize", n_trials=n_trials, seed=SEED, pruner=pruner)
    records = []
    for t in st.trials:
        value = t.value
        if value is None and t.intermediate_values:  # pruned: its best reported value
            value = min(t.intermediate_values.values())
        records.append({"number": t.number, "state": t.state.name.lower(), "value": value,
                        "params": dict(t.params),
                        "val_accuracy": t.user_attrs.get("val_accuracy")})
    return records, "Optuna TPE sampler with a median pruner"


def _fmt_params(p: dict) -> str:
    return (f"hidden={p['hidden']}, depth={p['depth']}, lr={p['lr']:.2g}, "
            f"weight_decay={p['weight_decay']:.2g}, dropout={p['dropout']:.2f}")


def _one_blas_thread():
    """Matrices this small gain nothing from BLAS threads, which only spin on a busy
    machine; threadpoolctl (installed with scikit-learn) keeps BLAS to one thread."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(1)


def run(fast: bool = False, plot_dir: str | None = None) -> dict:
    """Search, report the best configuration and its held-out accuracy, contrast it with
    an over-sized network. ``fast``: 10 trials of at most 10 epochs (else 30 of 30).
    With matplotlib and ``plot_dir``: ``tuning_search.png`` (each trial's lowest
    validation loss against each parameter) and ``tuning_curves.png`` (training and validation
    loss of the best and the over-sized network)."""
    with _one_blas_thread():
        return _run(fast, plot_dir)


def _run(fast: bool, plot_dir: str | None) -> dict:
    n_trials, epochs = (10, 10) if fast else (24, 25)
    data = split_digits()
    (X_tr, _), (X_val, _), (X_test, y_test) = data
    print(f"Digits split {len(X_tr)} / {len(X_val)} / {len(X_test)} (train / validation / "
          f"test, stratified, seed {SEED}).")
    print("Search space: " + ", ".join(
        f"{k} {lo:g}..{hi:g}{' (log)' if log else ''}" for k, (lo, hi, log, _) in SPACE.items()))
    records, how = search(data, n_trials, epochs)
    done = [r for r in records if r["state"] == "complete"]
    pruned = [r for r in records if r["state"] == "pruned"]
    print(f"{len(records)} trials ({how}), up to {epochs} epochs each with early stopping: "
          f"{len(done)} complete, {len(pruned)} pruned.")
    print("\n trial  state     val loss  val acc  hidden  depth  lr       w. decay  dropout")
    for r in sorted(records, key=lambda r: (r["state"] != "complete", r["value"]))[:8]:
        p = r["params"]
        acc = "" if r["val_accuracy"] is None else f"{r['val_accuracy']:.4f}"
        print(f" {r['number']:>5}  {r['state']:<8}  {r['value']:.4f}    {acc:<7}  "
              f"{p['hidden']:>6}  {p['depth']:>5}  {p['lr']:<7.2g}  {p['weight_decay']:<8.2g}  "
              f"{p['dropout']:.2f}")
    best = min(done, key=lambda r: r["value"])
    print(f"\nBest configuration (trial {best['number']}): {_fmt_params(best['params'])}; "
          f"validation loss {best['value']:.4f}, accuracy {best['val_accuracy']:.1%}.")

    long = epochs * 2
    model, h_best = train(best["params"], data, long)
    big, h_big = train(OVERSIZED, data, long, early_stopping=False)
    res = gn.train.evaluate(model, (X_test, y_test), loss_fn=F.cross_entropy)
    res_big = gn.train.evaluate(big, (X_test, y_test), loss_fn=F.cross_entropy)
    print(f"Retrained (early stopping keeps the best epoch): held-out test accuracy "
          f"{res['accuracy']:.1%} on {len(y_test)} images.")

    def summary(h):
        i = int(np.argmin(h["val_loss"]))
        return {"train_loss": h["loss"][-1], "val_loss": h["val_loss"][-1],
                "train_accuracy": h["accuracy"][-1], "val_accuracy": h["val_accuracy"][-1],
                "best_val_loss": h["val_loss"][i], "best_epoch": i + 1, "epochs": len(h)}

    sb, sg = summary(h_best), summary(h_big)
    print(f"\nOver-fitting: an over-sized network ({_fmt_params(OVERSIZED)}), {long} epochs "
          f"without early stopping:")
    for name, s in (("best", sb), ("over-sized", sg)):
        print(f"  {name:<10}  train loss {s['train_loss']:.4f}  validation loss "
              f"{s['val_loss']:.4f} (lowest {s['best_val_loss']:.4f} at epoch "
              f"{s['best_epoch']} of {s['epochs']})  train acc {s['train_accuracy']:.1%}  "
              f"val acc {s['val_accuracy']:.1%}")
    ratio = sg["val_loss"] / sg["best_val_loss"]
    if ratio > 1.1:
        print(f"  The over-sized network's validation loss ends {ratio:.1f}x its lowest "
              f"(epoch {sg['best_epoch']}) while its training loss keeps falling: it "
              f"memorizes the training images and grows over-confident on the ones it gets "
              f"wrong. Accuracy hides that on data this easy (test accuracy "
              f"{res_big['accuracy']:.1%}); the loss, which the search minimizes, does not.")
    else:
        print(f"  The over-sized network's validation loss ends {ratio:.2f}x its lowest; "
              f"test accuracy {res_big['accuracy']:.1%}.")

    plots = []
    if plot_dir:
        plots = _plot(records, h_best, h_big, plot_dir)
        for p in plots:
            print(f"Figure: {p}")
    return {
        "result": (f"best of {len(records)} trials ({len(pruned)} pruned): validation "
                   f"{best['val_accuracy']:.1%}, held-out test {res['accuracy']:.1%}"),
        "best_params": best["params"], "best_value": best["value"],
        "test_accuracy": res["accuracy"], "oversized_test_accuracy": res_big["accuracy"],
        "n_trials": len(records), "n_pruned": len(pruned), "trials": records,
        "best": sb, "oversized": sg, "plots": plots,
    }


def _figure(w, h, ncols):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(w, h), layout="constrained")
    FigureCanvasAgg(fig)
    return fig, fig.subplots(1, ncols, squeeze=False)


def _plot(records, h_best, h_big, plot_dir) -> list[str]:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return []
    from matplotlib.ticker import NullFormatter

    from glassnet.explain.plot import save_figure

    fig, axes = _figure(len(SPACE) * 2.6, 2.8, len(SPACE))
    for ax, (name, (_, _, log, _)) in zip(axes[0], SPACE.items()):
        for state, marker, color in (("complete", "o", "tab:blue"), ("pruned", "x", "tab:gray"),
                                     ("fail", "x", "tab:red")):
            rs = [r for r in records if r["state"] == state and r["value"] is not None]
            ax.set_yscale("log")
            if rs:
                ax.scatter([r["params"][name] for r in rs], [r["value"] for r in rs],
                           marker=marker, color=color, label=state, s=22)
        if log:
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())  # no crowded 2x10^1, 3x10^1 ...
        ax.set_xlabel(name)
    axes[0][0].set_ylabel("lowest validation loss")
    axes[0][0].legend(fontsize=7)
    fig.suptitle("Each trial against each parameter")
    paths = [save_figure(fig, os.path.join(plot_dir, "tuning_search.png"))]
    fig, axes = _figure(9, 3.4, 2)
    for ax, (title, h) in zip(axes[0], (("best configuration", h_best),
                                        ("over-sized network", h_big))):
        ax.plot(h.epoch, h["loss"], label="training loss")
        ax.plot(h.epoch, h["val_loss"], label="validation loss")
        ax.set_yscale("log")
        ax.set_xlabel("epoch")
        ax.set_title(title)
        ax.legend(fontsize=8)
    paths.append(save_figure(fig, os.path.join(plot_dir, "tuning_curves.png")))
    return paths


if __name__ == "__main__":  # pragma: no cover
    run()
