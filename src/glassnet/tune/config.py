"""A study described by a small TOML or JSON file, for ``glassnet tune CONFIG``.

The file has four tables, each optional (see ``docs/tuning.md`` and :data:`EXAMPLE`):

- ``[study]``: ``name``, ``storage`` (a journal file path, ``*.db`` SQLite file or an
  Optuna storage URL), ``n_trials``, ``n_jobs`` (worker processes), ``sampler``
  (``tpe``/``random``), ``pruner`` (``median``/``hyperband``/``none``), ``seed``,
  ``timeout`` (seconds).
- ``[data]``: ``dataset`` (bundled: ``digits``, ``iris``), ``test_size`` (held out
  until the end), ``val_size`` (of the rest: what trials are judged on), ``seed``.
- ``[train]``: ``epochs``, ``patience`` (early stopping on the metric; 0 = off),
  ``metric`` (``val_accuracy``: maximized, or ``val_loss``: minimized), and fixed
  values of any searchable parameter.
- ``[search]``: each searchable parameter as ``{low, high[, log, step]}`` (integers when
  both bounds are integers) or ``{choices = [...]}``; a plain value fixes it.

Searchable parameters: ``hidden depth dropout activation`` (the :class:`MLP`),
``lr weight_decay batch_size optimizer`` (any name in :data:`OPTIMIZERS`: ``adam``,
``adamw``, ``sgd``, ``rmsprop``, ``adagrad``, ``adadelta``, ``adamax``, ``nadam``,
``radam``, ``asgd``, ``rprop``, ``adafactor``). ``rprop`` has no weight decay: a trial
that draws it draws no ``weight_decay`` (recorded as 0), and a fixed non-zero
``weight_decay`` with ``rprop`` possible is an error.
"""

from __future__ import annotations

import json
import math
import os

import numpy as np

DEFAULTS = {"hidden": 64, "depth": 1, "dropout": 0.0, "activation": "relu", "lr": 1e-3,
            "weight_decay": 0.0, "batch_size": 32, "optimizer": "adam"}
SECTIONS = {
    "study": {"name", "storage", "n_trials", "n_jobs", "sampler", "pruner", "seed", "timeout"},
    "data": {"dataset", "test_size", "val_size", "seed"},
    "train": {"epochs", "patience", "metric", *DEFAULTS},
    "search": set(DEFAULTS),
}
DATASETS = ("digits", "iris")
METRICS = {"val_accuracy": "maximize", "val_loss": "minimize"}
OPTIMIZERS = {
    # name -> (class name in gn.optim, whether it takes weight_decay). Not here: LBFGS
    # (its step needs a closure, which the training loop does not pass) and SparseAdam
    # (for embeddings; on an MLP's dense gradients it is Adam without weight decay).
    "adam": ("Adam", True), "adamw": ("AdamW", True), "sgd": ("SGD", True),
    "rmsprop": ("RMSprop", True), "adagrad": ("Adagrad", True),
    "adadelta": ("Adadelta", True), "adamax": ("Adamax", True), "nadam": ("NAdam", True),
    "radam": ("RAdam", True), "asgd": ("ASGD", True), "rprop": ("Rprop", False),
    "adafactor": ("Adafactor", True),
}

EXAMPLE = """\
# glassnet tune: an MLP on the bundled 8x8 digits
[study]
name = "digits-mlp"
storage = "digits-mlp.log"     # journal file; or "study.db" (SQLite) or a database URL
n_trials = 20
n_jobs = 2                     # worker processes sharing the storage
seed = 0

[data]
dataset = "digits"
test_size = 0.2                # held out: the best configuration's final score
val_size = 0.2                 # of the rest: what each trial is judged on

[train]
epochs = 30
patience = 5                   # early stopping on the metric
metric = "val_accuracy"
batch_size = 32

[search]
hidden = { low = 16, high = 256, log = true }
depth = { low = 1, high = 3 }
lr = { low = 1e-4, high = 1e-1, log = true }
weight_decay = { low = 1e-6, high = 1e-2, log = true }
dropout = { low = 0.0, high = 0.5 }
"""


class ConfigError(ValueError):
    """The tuning config is invalid; the message names the file and the entry."""


def load(path) -> dict:
    """Read and check a ``.toml`` or ``.json`` config; returns it with defaults filled."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise ConfigError(f"cannot read tuning config {path!r}: {e.strerror or e}") from None
    if path.lower().endswith(".json"):
        try:
            cfg = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as e:
            raise ConfigError(f"{path}: not valid JSON: {e}") from None
    else:
        import tomllib

        try:
            cfg = tomllib.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, tomllib.TOMLDecodeError) as e:
            raise ConfigError(f"{path}: not valid TOML: {e}") from None
    return check(cfg, path)


def check(cfg, where: str = "config") -> dict:
    """Validate a config dict; returns a normalized copy."""
    if not isinstance(cfg, dict):
        raise ConfigError(f"{where}: expected a table of sections, got {type(cfg).__name__}")
    bad = sorted(set(cfg) - set(SECTIONS))
    if bad:
        raise ConfigError(f"{where}: unknown section(s) {bad}; sections: {sorted(SECTIONS)}")
    out = {}
    for sec, keys in SECTIONS.items():
        part = cfg.get(sec, {})
        if not isinstance(part, dict):
            raise ConfigError(f"{where}: [{sec}] must be a table, got {part!r}")
        unknown = sorted(set(part) - keys)
        if unknown:
            raise ConfigError(f"{where}: [{sec}] has unknown key(s) {unknown}; allowed: "
                              f"{sorted(keys)}")
        out[sec] = dict(part)
    st, data, train = out["study"], out["data"], out["train"]
    stem = os.path.splitext(os.path.basename(where))[0] if where != "config" else "glassnet"
    st.setdefault("name", stem)
    st.setdefault("storage", None)
    st.setdefault("n_trials", 20)
    st.setdefault("n_jobs", 1)
    st.setdefault("seed", 0)
    for k, low in (("n_trials", 1), ("n_jobs", 1)):
        v = st[k]
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise ConfigError(f"{where}: [study] {k} must be an integer >= {low}, got {v!r}")
    data.setdefault("dataset", "digits")
    data.setdefault("test_size", 0.2)
    data.setdefault("val_size", 0.2)
    data.setdefault("seed", 0)
    if data["dataset"] not in DATASETS:
        raise ConfigError(f"{where}: [data] dataset {data['dataset']!r} is not bundled; "
                          f"choose one of {list(DATASETS)}")
    for k in ("test_size", "val_size"):
        v = data[k]
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not 0 < v < 1:
            raise ConfigError(f"{where}: [data] {k} must be a fraction in (0, 1), got {v!r}")
    train.setdefault("epochs", 30)
    train.setdefault("patience", 5)
    train.setdefault("metric", "val_accuracy")
    if train["metric"] not in METRICS:
        raise ConfigError(f"{where}: [train] metric must be one of {list(METRICS)}, got "
                          f"{train['metric']!r}")
    for k, low in (("epochs", 1), ("patience", 0)):
        v = train[k]
        if isinstance(v, bool) or not isinstance(v, int) or v < low:
            raise ConfigError(f"{where}: [train] {k} must be an integer >= {low}, got {v!r}")
    both = sorted(set(out["search"]) & set(train) & set(DEFAULTS))
    if both:
        raise ConfigError(f"{where}: {both} set in both [train] (fixed) and [search]")
    for name, spec in out["search"].items():
        out["search"][name] = _check_space(name, spec, where)
    fixed = {**DEFAULTS, **{k: v for k, v in train.items() if k in DEFAULTS}}
    for name, v in out["search"].items():
        if not isinstance(v, dict):
            fixed[name] = v
    for name, v in fixed.items():
        _check_value(name, v, f"{where}: {name}")
    out["fixed"] = {k: v for k, v in fixed.items()
                    if not isinstance(out["search"].get(k), dict)}
    out["space"] = {k: v for k, v in out["search"].items() if isinstance(v, dict)}
    possible = out["space"].get("optimizer", {}).get("choices") or [fixed["optimizer"]]
    no_decay = [o for o in possible if not OPTIMIZERS[o][1]]
    if no_decay and out["fixed"].get("weight_decay", 0):
        raise ConfigError(f"{where}: weight_decay = {out['fixed']['weight_decay']!r} is fixed, "
                          f"but optimizer {no_decay[0]!r} has no weight decay; search "
                          f"weight_decay (trials drawing {no_decay[0]!r} skip it), set it to "
                          f"0, or drop {no_decay[0]!r}")
    st["direction"] = METRICS[train["metric"]]
    return out


def _check_space(name: str, spec, where: str):
    what = f"{where}: [search] {name}"
    if not isinstance(spec, dict):
        return spec  # a fixed value
    keys = set(spec)
    if "choices" in spec:
        if keys - {"choices"}:
            raise ConfigError(f"{what}: give either choices or low/high, not both")
        ch = spec["choices"]
        if not isinstance(ch, list) or not ch:
            raise ConfigError(f"{what}: choices must be a non-empty list, got {ch!r}")
        for c in ch:
            _check_value(name, c, what)
        return {"choices": list(ch)}
    if not {"low", "high"} <= keys or keys - {"low", "high", "log", "step"}:
        raise ConfigError(f"{what}: give {{low, high[, log, step]}} or {{choices = [...]}}, "
                          f"got {spec!r}")
    low, high = spec["low"], spec["high"]
    if any(isinstance(v, bool) or not isinstance(v, (int, float)) for v in (low, high)) \
            or not low <= high:
        raise ConfigError(f"{what}: low and high must be numbers with low <= high, got "
                          f"{low!r}, {high!r}")
    is_int = isinstance(low, int) and isinstance(high, int) and not isinstance(
        spec.get("step", 1), float)
    if name in ("hidden", "depth", "batch_size") and not is_int:
        raise ConfigError(f"{what}: {name} is an integer; give integer bounds")
    if spec.get("log") and low <= 0:
        raise ConfigError(f"{what}: a log scale needs low > 0, got {low!r}")
    _check_value(name, low, what)
    _check_value(name, high, what)
    return {"low": low, "high": high, "log": bool(spec.get("log", False)),
            "step": spec.get("step"), "int": is_int}


def _check_value(name: str, v, what: str) -> None:
    ok = {
        "hidden": lambda v: isinstance(v, int) and v >= 1,
        "depth": lambda v: isinstance(v, int) and v >= 0,
        "batch_size": lambda v: isinstance(v, int) and v >= 1,
        "dropout": lambda v: isinstance(v, (int, float)) and 0 <= v < 1,
        "lr": lambda v: isinstance(v, (int, float)) and v > 0,
        "weight_decay": lambda v: isinstance(v, (int, float)) and v >= 0,
        "activation": lambda v: isinstance(v, str) and v in _activations(),
        "optimizer": lambda v: isinstance(v, str) and v in OPTIMIZERS,
    }[name]
    if isinstance(v, bool) or not ok(v):
        hint = {"activation": f" (one of {sorted(_activations())})",
                "optimizer": f" (one of {list(OPTIMIZERS)})"}.get(name, "")
        raise ConfigError(f"{what}: invalid value {v!r} for {name}{hint}")


def _activations():
    from . import ACTIVATIONS

    return ACTIVATIONS


# --- data and the objective ----------------------------------------------------------------
def load_data(cfg: dict) -> dict:
    """Split the bundled dataset into train / validation / test (stratified, seeded) and
    scale with the training part's statistics."""
    import glassnet as gn

    d = cfg["data"]
    loader = {"digits": gn.data.load_digits, "iris": gn.data.load_iris}[d["dataset"]]
    X, y = loader(return_X_y=True)
    X, y = np.asarray(X, dtype=np.float32), np.asarray(y, dtype=np.int64)
    g = gn.Generator(int(d["seed"]))
    X_rest, X_test, y_rest, y_test = gn.data.train_test_split(
        X, y, test_size=d["test_size"], stratify=y, generator=g)
    X_tr, X_val, y_tr, y_val = gn.data.train_test_split(
        X_rest, y_rest, test_size=d["val_size"], stratify=y_rest, generator=g)
    scaler = gn.data.StandardScaler().fit(X_tr)
    rest_scaler = gn.data.StandardScaler().fit(X_rest)
    return {
        "train": (scaler.transform(X_tr), y_tr), "val": (scaler.transform(X_val), y_val),
        # for the final fit on train + validation, scaled by their own statistics
        "rest": (rest_scaler.transform(X_rest), y_rest),
        "test_for_rest": (rest_scaler.transform(X_test), y_test),
        "n_features": X.shape[1], "n_classes": int(y.max()) + 1,
    }


def suggest(trial, cfg: dict) -> dict:
    """The trial's parameters: sampled from ``cfg["space"]``, the rest fixed. The
    optimizer is drawn first: one without weight decay (rprop) draws no weight_decay."""
    params = dict(cfg["fixed"])
    space = sorted(cfg["space"].items(), key=lambda item: item[0] != "optimizer")
    for name, s in space:
        if name == "weight_decay" and not OPTIMIZERS[params["optimizer"]][1]:
            params[name] = 0.0
            continue
        if "choices" in s:
            params[name] = trial.suggest_categorical(name, s["choices"])
        elif s["int"]:
            params[name] = trial.suggest_int(name, s["low"], s["high"], log=s["log"],
                                             step=s["step"] or 1)
        else:
            params[name] = trial.suggest_float(name, s["low"], s["high"], log=s["log"],
                                               step=s["step"])
    return params


def make_optimizer(params: dict, parameters):
    """The optimizer ``params["optimizer"]`` names, with the trial's ``lr`` and (where it
    has one) ``weight_decay``; every other hyper-parameter at PyTorch's default."""
    import glassnet as gn

    cls_name, has_decay = OPTIMIZERS[params["optimizer"]]
    kwargs = {"lr": params["lr"]}
    if has_decay:
        kwargs["weight_decay"] = params.get("weight_decay", 0.0)
    return getattr(gn.optim, cls_name)(parameters, **kwargs)


def train_model(params: dict, data: dict, cfg: dict, *, train="train", val="val",
                epochs=None, callbacks=(), early_stopping=True):
    """Build the MLP for ``params`` and train it; returns (model, history)."""
    import glassnet as gn

    from . import MLP

    t = cfg["train"]
    gn.manual_seed(int(cfg["data"]["seed"]))  # same params, same weights: reproducible
    model = MLP(data["n_features"], data["n_classes"], hidden=params["hidden"],
                depth=params["depth"], dropout=params["dropout"],
                activation=params["activation"])
    opt = make_optimizer(params, model.parameters())
    es = None
    if early_stopping and t["patience"] > 0 and val is not None:
        es = gn.train.EarlyStopping(patience=t["patience"], monitor=t["metric"])
    history = gn.fit(model, data[train], loss_fn=gn.nn.functional.cross_entropy,
                     optimizer=opt, epochs=epochs or t["epochs"],
                     batch_size=params["batch_size"],
                     val_data=None if val is None else data[val], callbacks=list(callbacks),
                     early_stopping=es, progress=False,
                     generator=gn.Generator(int(cfg["data"]["seed"]) + 1))
    return model, history


def one_blas_thread():
    """BLAS kept to one thread (with threadpoolctl, installed with scikit-learn): the
    matrices of a small MLP gain nothing from more, and with several trial processes
    extra BLAS threads only compete for the same cores."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(1)


class Objective:
    """``objective(trial) -> float``: train the trial's MLP, return its best validation
    metric. Picklable (worker processes get it whole) and deterministic: the same
    parameters give the same value, in any process."""

    def __init__(self, cfg: dict):
        self.cfg = cfg
        self._data = None

    def __getstate__(self):
        return {"cfg": self.cfg, "_data": None}

    def __call__(self, trial) -> float:
        from . import PruningCallback

        if self._data is None:
            self._data = load_data(self.cfg)
        metric = self.cfg["train"]["metric"]
        params = suggest(trial, self.cfg)
        with one_blas_thread():
            _, history = train_model(params, self._data, self.cfg,
                                     callbacks=[PruningCallback(trial, monitor=metric)])
        values = history[metric]
        best = max(values) if METRICS[metric] == "maximize" else min(values)
        if not math.isfinite(best):
            raise FloatingPointError(f"{metric} is not finite ({best})")
        trial.set_user_attr("epochs", len(values))
        trial.set_user_attr("pid", os.getpid())
        trial.set_user_attr("best_epoch", int(values.index(best)) + 1)
        return float(best)
