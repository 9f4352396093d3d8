"""The playground's configuration: fields, defaults, bounds, and the URL query that encodes it.

A configuration is a plain dict (``DEFAULTS`` shows every key). The page's URL carries it
as a query string (``?dataset=spiral&layers=8,8&activation=relu``) so a setup can be
shared; :func:`from_query` parses and checks one, :func:`to_query` writes the canonical
form back, :func:`update` applies a partial change. Every value is checked against
``LIMITS``; a bad one raises :class:`ConfigError` whose message names the field, the
value and what is allowed.
"""

from __future__ import annotations

import math
from urllib.parse import parse_qsl, urlencode

__all__ = ["ConfigError", "DEFAULTS", "LIMITS", "DATASETS", "FEATURES", "ACTIVATIONS",
           "OPTIMIZERS", "TASKS", "from_query", "to_query", "update", "defaults_for",
           "validate"]


class ConfigError(ValueError):
    """A configuration value that is unknown, of the wrong type or out of bounds."""


DATASETS = ("circle", "xor", "gauss", "spiral", "plane", "bumps", "dosage", "iris")
"""Classification: circle, xor, gauss, spiral (two classes), iris (three); regression:
plane, bumps, dosage."""

TASKS = {"circle": "binary", "xor": "binary", "gauss": "binary", "spiral": "binary",
         "plane": "regression", "bumps": "regression", "dosage": "regression",
         "iris": "multiclass"}

FEATURES = ("x1", "x2", "x1sq", "x2sq", "x1x2", "sinx1", "sinx2")
"""Input features computed from the point (x1, x2): x1, x2, x1², x2², x1·x2, sin x1, sin x2."""

FEATURE_LABELS = {"x1": "x₁", "x2": "x₂", "x1sq": "x₁²", "x2sq": "x₂²", "x1x2": "x₁·x₂",
                  "sinx1": "sin x₁", "sinx2": "sin x₂"}

ACTIVATIONS = ("relu", "softplus", "tanh", "sigmoid", "linear")
OPTIMIZERS = ("sgd", "momentum", "adam")

LIMITS = {
    "max_layers": 6,          # hidden layers
    "max_units": 8,           # units per hidden layer
    "n": (10, 2000),          # generated points
    "max_points": 3000,       # generated + points added by clicking
    "noise": (0, 50),         # percent
    "ratio": (10, 90),        # percent of the points used for training
    "lr": (1e-5, 10.0),
    "batch": (1, 1000),
    "l1": (0.0, 1.0),
    "l2": (0.0, 1.0),
    "dropout": (0.0, 0.9),
    "seed": (0, 2**31 - 1),
    "iris_feature": (0, 3),
    "message_bytes": 65536,   # largest WebSocket message accepted from the page
    "sessions": 16,           # open tabs per server
}

DEFAULTS = {
    "dataset": "circle",
    "noise": 0,
    "ratio": 50,
    "n": 500,
    "seed": 1,
    "iris_x": 2,
    "iris_y": 3,
    "features": ["x1", "x2"],
    "layers": [4, 2],
    "activation": "tanh",
    "lr": 0.03,
    "optimizer": "sgd",
    "batch": 10,
    "l1": 0.0,
    "l2": 0.0,
    "dropout": 0.0,
}

# The curriculum's dosage network: one input, two softplus nodes, one output.
_DOSAGE_PRESET = {"features": ["x1"], "layers": [2], "activation": "softplus", "lr": 0.1,
                  "optimizer": "adam", "batch": 3, "noise": 0}

# Fields that change the data (a new data set), the model (new weights) or only training.
DATA_KEYS = frozenset({"dataset", "noise", "ratio", "n", "seed", "iris_x", "iris_y"})
MODEL_KEYS = frozenset({"features", "layers", "activation", "dropout"})


def defaults_for(dataset: str) -> dict:
    """The defaults for a data set (the dosage data comes with the curriculum's network)."""
    d = {k: (list(v) if isinstance(v, list) else v) for k, v in DEFAULTS.items()}
    d["dataset"] = dataset
    if dataset == "dosage":
        d.update({k: (list(v) if isinstance(v, list) else v) for k, v in _DOSAGE_PRESET.items()})
    return d


def _number(key: str, value, lo, hi, integer: bool):
    if isinstance(value, bool):
        raise ConfigError(f"{key}: expected a number, got {value!r}")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ConfigError(f"{key}: expected a number, got {value!r}") from None
    if not isinstance(value, (int, float)):
        raise ConfigError(f"{key}: expected a number, got {type(value).__name__}")
    if not math.isfinite(value):
        raise ConfigError(f"{key}: expected a finite number, got {value!r}")
    if integer:
        if value != int(value):
            raise ConfigError(f"{key}: expected a whole number, got {value!r}")
        value = int(value)
    else:
        value = float(value)
    if not lo <= value <= hi:
        raise ConfigError(f"{key}: {value!r} is out of range; allowed {lo} to {hi}")
    return value


def _choice(key: str, value, allowed) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise ConfigError(f"{key}: unknown value {value!r}; choose one of {', '.join(allowed)}")
    return value


def _items(key: str, value, what: str) -> list:
    """A list from a list, or from a comma-separated string (as in the URL)."""
    if isinstance(value, str):
        return [p for p in value.replace(" ", "").split(",") if p != ""]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise ConfigError(f"{key}: expected a list of {what}, got {type(value).__name__}")


def _layers(value) -> list:
    parts = _items("layers", value, "unit counts such as [4, 2]")
    if len(parts) > LIMITS["max_layers"]:
        raise ConfigError(f"layers: {len(parts)} hidden layers is too many; at most "
                          f"{LIMITS['max_layers']}")
    out = []
    for i, p in enumerate(parts):
        try:
            u = _number(f"layers[{i}]", p, 1, LIMITS["max_units"], integer=True)
        except ConfigError as e:
            raise ConfigError(f"{e} (units per hidden layer: 1 to {LIMITS['max_units']})") \
                from None
        out.append(u)
    return out


def _features(value) -> list:
    parts = _items("features", value, "feature names")
    for p in parts:
        _choice("features", p, FEATURES)
    chosen = [f for f in FEATURES if f in parts]  # canonical order, no repeats
    if not chosen:
        raise ConfigError(f"features: choose at least one input feature of "
                          f"{', '.join(FEATURES)}")
    return chosen


def _check(key: str, value):
    if key == "dataset":
        return _choice(key, value, DATASETS)
    if key in ("activation",):
        return _choice(key, value, ACTIVATIONS)
    if key == "optimizer":
        return _choice(key, value, OPTIMIZERS)
    if key == "layers":
        return _layers(value)
    if key == "features":
        return _features(value)
    if key in ("iris_x", "iris_y"):
        lo, hi = LIMITS["iris_feature"]
        return _number(key, value, lo, hi, integer=True)
    if key in ("noise", "ratio", "n", "batch", "seed"):
        lo, hi = LIMITS[key]
        return _number(key, value, lo, hi, integer=True)
    if key in ("lr", "l1", "l2", "dropout"):
        lo, hi = LIMITS[key]
        return _number(key, value, lo, hi, integer=False)
    raise ConfigError(f"unknown setting {key!r}; the settings are {', '.join(DEFAULTS)}")


def validate(cfg: dict) -> dict:
    """Check every field of a full configuration and return the normalised copy."""
    out = {}
    for key in DEFAULTS:
        if key not in cfg:
            raise ConfigError(f"missing setting {key!r}")
        out[key] = _check(key, cfg[key])
    for key in cfg:
        if key not in DEFAULTS:
            _check(key, cfg[key])  # raises: unknown setting
    if out["dataset"] == "dosage":
        # one input (the dosage): features of x2 do not exist
        kept = [f for f in out["features"] if "2" not in f]
        out["features"] = kept or ["x1"]
    if out["dataset"] == "iris" and out["iris_x"] == out["iris_y"]:
        raise ConfigError(f"iris_x and iris_y are both {out['iris_x']}; choose two different "
                          f"Iris measurements (0-3)")
    return out


def update(cfg: dict, changes: dict) -> dict:
    """A new configuration: ``cfg`` with ``changes`` applied and checked. Switching to the
    dosage data brings its preset network unless ``changes`` sets those fields too."""
    if not isinstance(changes, dict):
        raise ConfigError(f"settings must be an object of name: value, got "
                          f"{type(changes).__name__}")
    new = dict(cfg)
    ds = changes.get("dataset")
    if ds == "dosage" and cfg.get("dataset") != "dosage":
        new.update(defaults_for("dosage"))
        new.update({k: cfg[k] for k in ("seed", "ratio", "n")})
    elif ds is not None and ds != "dosage" and cfg.get("dataset") == "dosage":
        base = defaults_for(ds) if ds in DATASETS else {}
        new.update({k: base[k] for k in _DOSAGE_PRESET if k in base})
    new.update(changes)
    return validate(new)


def from_query(query: str | dict) -> dict:
    """Parse a URL query string (or a dict of its fields) into a checked configuration;
    fields not given take their defaults (the data set's defaults)."""
    if isinstance(query, str):
        q = query[1:] if query.startswith("?") else query
        pairs = parse_qsl(q, keep_blank_values=True)
        fields: dict = {}
        for k, v in pairs:
            fields[k] = v
    else:
        fields = dict(query)
    ds = fields.get("dataset", DEFAULTS["dataset"])
    base = defaults_for(_check("dataset", ds))
    base.update(fields)
    return validate(base)


def to_query(cfg: dict) -> str:
    """The canonical query string of a configuration (only fields that differ from the
    data set's defaults, plus the data set)."""
    base = defaults_for(cfg["dataset"])
    items = [("dataset", cfg["dataset"])]
    for key in DEFAULTS:
        if key == "dataset" or cfg[key] == base[key]:
            continue
        v = cfg[key]
        if isinstance(v, list):
            v = ",".join(str(x) for x in v)
        elif isinstance(v, float):
            v = repr(v)
        items.append((key, v))
    return urlencode(items, safe=",")
