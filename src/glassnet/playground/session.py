"""One playground session (one browser tab): its data, its glassnet model and optimizer,
the training loop, and the pictures and explanations the page shows.

Everything the page displays is computed here with glassnet: the network is an
``nn.Sequential`` of ``nn.Linear`` layers and activations, trained by ``gn.optim``; the
chain-rule panel is ``gn.explain.chain_rule`` on the last training batch. A session is
used from worker threads. glassnet's explain hooks are process-wide (grad mode is per
thread), so every session shares one lock, ``ENGINE``: one session computes at a time
(the GIL would serialise the Python work anyway), and a traced explanation in one tab
never records another tab's training step.
"""

from __future__ import annotations

import base64
import math
import threading
import time

import numpy as np

import glassnet as gn
from glassnet import nn
from glassnet.nn import functional as F

from . import config as C
from .datasets import feature_matrix, make_data

__all__ = ["Session", "CommandError", "build_model", "GRID", "THUMB_STEP"]

GRID = 50          # heat map cells per side
THUMB_STEP = 2     # neuron thumbnails take every 2nd cell: 25 x 25
ENGINE = threading.RLock()  # held while any session runs glassnet code
CURVE_POINTS = 101  # points of the dosage curves
EXPLAIN_POINTS = 32  # the chain-rule panel explains at most this many points of the batch
HISTORY_MAX = 1000  # loss-curve points kept (halved by dropping every other one when full)

_ACTIVATIONS = {"relu": nn.ReLU, "softplus": nn.Softplus, "tanh": nn.Tanh,
                "sigmoid": nn.Sigmoid, "linear": nn.Identity}


class CommandError(ValueError):
    """A command from the page that cannot be carried out (bad parameter name, index...)."""


def build_model(cfg: dict, n_out: int, seed: int | None = None) -> nn.Sequential:
    """``Sequential(Linear, act, [Dropout], ..., Linear(units, n_out))`` in float64.

    With ``seed`` every weight and bias is drawn from U(-1/sqrt(fan_in), 1/sqrt(fan_in))
    (PyTorch's default for ``Linear``) by a generator of its own, so sessions do not share
    random state.
    """
    layers: list = []
    fan_in = len(cfg["features"])
    for units in cfg["layers"]:
        layers += [nn.Linear(fan_in, units), _ACTIVATIONS[cfg["activation"]]()]
        if cfg["dropout"] > 0:
            layers.append(nn.Dropout(cfg["dropout"]))
        fan_in = units
    layers.append(nn.Linear(fan_in, n_out))
    net = nn.Sequential(*layers).double()
    if seed is not None:
        g = gn.Generator(seed)
        for m in net:
            if isinstance(m, nn.Linear):
                bound = 1.0 / math.sqrt(m.in_features)
                nn.init.uniform_(m.weight, -bound, bound, generator=g)
                nn.init.uniform_(m.bias, -bound, bound, generator=g)
    return net


def _bytes(v: np.ndarray) -> np.ndarray:
    """Values in [-1, 1] as bytes 0..255 (NaN as 0.5 grey)."""
    v = np.where(np.isnan(v), 0.0, v)
    return np.rint((np.clip(v, -1, 1) + 1) * 127.5).astype(np.uint8)


def _quantize(v: np.ndarray) -> str:
    """Values in [-1, 1] as base64 bytes 0..255 (what the page's canvas draws)."""
    return base64.b64encode(_bytes(v).tobytes()).decode("ascii")


def _quantize_rows(m: np.ndarray) -> list:
    """One base64 string per row of ``m``, quantised in one pass."""
    q = _bytes(m)
    return [base64.b64encode(row.tobytes()).decode("ascii") for row in q]


def _r(v: float, digits: int = 5) -> float | None:
    v = float(v)
    if not math.isfinite(v):
        return None
    return float(f"{v:.{digits}g}")


def _rlist(a, digits: int = 4) -> list:
    """``a`` rounded to ``digits`` significant digits as nested lists (JSON stays short);
    NaN and infinities become None."""
    a = np.asarray(a, dtype=np.float64)
    out = np.zeros_like(a)
    ok = np.isfinite(a) & (a != 0)
    v = a[ok]
    k = digits - 1 - np.floor(np.log10(np.abs(v)))  # decimals to keep
    p = 10.0 ** np.abs(k)
    # divide by an exact power of ten so each value prints in its shortest form
    out[ok] = np.where(k >= 0, np.round(v * p) / p, np.round(v / p) * p)
    lst = out.tolist()
    if not np.isfinite(a).all():
        flat = np.argwhere(~np.isfinite(a))
        for idx in flat:
            if a.ndim == 1:
                lst[idx[0]] = None
            else:
                lst[idx[0]][idx[1]] = None
    return lst


class Session:
    """The state behind one tab. ``cfg`` is a checked configuration (``config.validate``)."""

    def __init__(self, cfg: dict | None = None, sid: str = ""):
        self.lock = ENGINE
        self.sid = sid
        self.cfg = C.validate(cfg if cfg is not None else C.defaults_for("circle"))
        self.playing = False
        self.selected: tuple | None = None  # (param name, index) shown in the chain-rule panel
        with self.lock:
            self._new_data()
            self._new_model()

    # --- building -------------------------------------------------------------------------
    def _new_data(self) -> None:
        self.data = make_data(self.cfg)
        self._features()

    def _features(self) -> None:
        d, feats = self.data, self.cfg["features"]
        self.Xf_train = feature_matrix(d.X_train, feats)
        self.Xf_test = feature_matrix(d.X_test, feats)
        self.n_out = 3 if d.task == "multiclass" else 1
        self.T_train = self._targets(d.y_train)
        self.T_test = self._targets(d.y_test)
        (lo1, hi1), (lo2, hi2) = d.domain
        step1, step2 = (hi1 - lo1) / GRID, (hi2 - lo2) / GRID
        xs = lo1 + step1 * (np.arange(GRID) + 0.5)
        ys = hi2 - step2 * (np.arange(GRID) + 0.5)  # row 0 at the top
        gx, gy = np.meshgrid(xs, ys)
        self.grid_points = np.stack([gx.ravel(), gy.ravel()], axis=1)
        self.grid_features = feature_matrix(self.grid_points, feats)
        cx = np.linspace(lo1, hi1, CURVE_POINTS)
        self.curve_x = cx
        self.curve_features = feature_matrix(np.stack([cx, np.zeros_like(cx)], 1), feats)

    def _targets(self, y: np.ndarray) -> np.ndarray:
        task = self.data.task
        if task == "binary":
            return (y > 0).astype(np.float64).reshape(-1, 1)
        if task == "multiclass":
            return y.astype(np.int64)
        return y.astype(np.float64).reshape(-1, 1)

    def _new_model(self) -> None:
        self.model = build_model(self.cfg, self.n_out, seed=self.cfg["seed"])
        self._new_optimizer()
        self.steps = 0
        self.epoch = 0
        self.history: list = []
        self._shuffle_rng = np.random.default_rng(self.cfg["seed"] + 1)
        self._order = np.arange(0)
        self._pos = 0
        self.last_batch: np.ndarray | None = None
        self.last_loss = float("nan")
        self._rate = (time.perf_counter(), 0)
        self.steps_per_s = 0.0
        self._evaluate()

    def _new_optimizer(self) -> None:
        cfg = self.cfg
        weights = [p for n, p in self.model.named_parameters() if n.endswith("weight")]
        biases = [p for n, p in self.model.named_parameters() if n.endswith("bias")]
        groups = [{"params": weights, "weight_decay": cfg["l2"]},
                  {"params": biases, "weight_decay": 0.0}]
        if cfg["optimizer"] == "adam":
            self.opt = gn.optim.Adam(groups, lr=cfg["lr"])
        else:
            momentum = 0.9 if cfg["optimizer"] == "momentum" else 0.0
            self.opt = gn.optim.SGD(groups, lr=cfg["lr"], momentum=momentum)
        self._weights = weights

    # --- commands -----------------------------------------------------------------------------
    def set_config(self, changes: dict) -> set:
        """Apply a partial configuration. Returns what had to be rebuilt: a subset of
        ``{"data", "model", "optimizer"}``."""
        with self.lock:
            new = C.update(self.cfg, changes)
            changed = {k for k in new if new[k] != self.cfg[k]}
            old = self.cfg
            self.cfg = new
            rebuilt = set()
            if changed & C.DATA_KEYS:
                added = None
                if old["dataset"] == new["dataset"]:
                    added = self._added_points()
                self._new_data()
                if added is not None:
                    for x1, x2, y in added:
                        self.data.add_point(x1, x2, y)
                    self._features()
                rebuilt.add("data")
            elif "features" in changed:
                self._features()
            if rebuilt or changed & C.MODEL_KEYS:
                self._new_model()
                self.selected = None
                rebuilt |= {"model", "optimizer"}
            elif changed & {"optimizer", "l2"}:
                self._new_optimizer()
                rebuilt.add("optimizer")
            elif "lr" in changed:
                for g in self.opt.param_groups:
                    g["lr"] = new["lr"]
            return rebuilt

    def _added_points(self) -> list:
        d = self.data
        if not d.added:
            return []
        X, y = d.X_train[-d.added:], d.y_train[-d.added:]
        return [(float(a), float(b), float(c)) for (a, b), c in zip(X, y)]

    def reset(self) -> None:
        """New random weights (the same seed gives the same weights), epoch 0."""
        with self.lock:
            self._new_model()

    def regenerate(self, seed: int | None = None) -> None:
        """New data from another seed (points added by clicking are dropped)."""
        with self.lock:
            if seed is None:
                seed = (self.cfg["seed"] * 1103515245 + 12345) % (C.LIMITS["seed"][1] + 1)
            self.cfg = C.update(self.cfg, {"seed": seed})
            self._new_data()
            self._new_model()
            self.selected = None

    def add_point(self, x1, x2, label) -> None:
        """Add a training point at (x1, x2) with target ``label`` (+1/-1 for two classes,
        0/1/2 for Iris, the value for regression)."""
        with self.lock:
            d = self.data
            if d.n_points >= C.LIMITS["max_points"]:
                raise CommandError(f"add_point: the data already has {d.n_points} points, the "
                                   f"most allowed is {C.LIMITS['max_points']}")
            vals = []
            for name, v in (("x1", x1), ("x2", x2), ("label", label)):
                if isinstance(v, bool) or not isinstance(v, (int, float)) or \
                        not math.isfinite(v):
                    raise CommandError(f"add_point: {name} must be a finite number, got {v!r}")
                vals.append(float(v))
            x1, x2, label = vals
            (lo1, hi1), (lo2, hi2) = d.domain
            if not (lo1 <= x1 <= hi1 and lo2 <= x2 <= hi2):
                raise CommandError(f"add_point: ({x1:g}, {x2:g}) is outside the plot "
                                   f"[{lo1:g}, {hi1:g}] x [{lo2:g}, {hi2:g}]")
            if d.task == "binary" and label not in (1.0, -1.0):
                raise CommandError(f"add_point: label must be 1 or -1 for {d.dataset}, got "
                                   f"{label:g}")
            if d.task == "multiclass" and label not in (0.0, 1.0, 2.0):
                raise CommandError(f"add_point: label must be 0, 1 or 2 for iris, got {label:g}")
            if d.task == "regression" and not -2 <= label <= 2:
                raise CommandError(f"add_point: the target must be between -2 and 2, got "
                                   f"{label:g}")
            if d.dataset == "dosage":  # the point is (dosage, effectiveness)
                x1, x2, label = x1, 0.0, x2
            d.add_point(x1, x2, label)
            self._features()
            self._evaluate()

    # --- training -----------------------------------------------------------------------------
    def _loss(self, out, target):
        task = self.data.task
        if task == "binary":
            return F.binary_cross_entropy_with_logits(out, target)
        if task == "multiclass":
            return F.cross_entropy(out, target)
        return F.mse_loss(out, target)

    def _objective(self, xb: np.ndarray, tb: np.ndarray, names: bool = False):
        x, t = gn.from_numpy(xb), gn.from_numpy(tb)
        if names:
            x.name, t.name = "x", "target"
        loss = self._loss(self.model(x), t)
        l1 = self.cfg["l1"]
        if l1 > 0:
            penalty = gn.abs(self._weights[0]).sum()
            for w in self._weights[1:]:
                penalty = penalty + gn.abs(w).sum()
            loss = loss + l1 * penalty
        if names:
            loss.name = "loss"
        return loss, x, t

    def _one_step(self) -> None:
        n = len(self.Xf_train)
        if n == 0:
            return
        if self._pos >= len(self._order):
            if len(self._order):
                self.epoch += 1
            self._order = self._shuffle_rng.permutation(n)
            self._pos = 0
        idx = self._order[self._pos:self._pos + self.cfg["batch"]]
        self._pos += len(idx)
        self.opt.zero_grad()
        loss, _, _ = self._objective(self.Xf_train[idx], self.T_train[idx])
        loss.backward()
        self.opt.step()
        self.last_batch = idx
        self.steps += 1

    def train(self, steps: int | None = None, seconds: float | None = None) -> int:
        """Run ``steps`` training steps, or as many as fit in ``seconds``; then evaluate.
        Returns the number of steps run."""
        # a diverging network overflows: the page is told (the loss is not finite), the
        # server log is not flooded with NumPy warnings
        with self.lock, np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            done = 0
            if steps is not None:
                for _ in range(steps):
                    self._one_step()
                done = steps
            else:
                end = time.perf_counter() + (seconds or 0.0)
                while True:
                    self._one_step()
                    done += 1
                    if done >= 100000 or time.perf_counter() >= end:
                        break
            self._evaluate()
            return done

    def _evaluate(self) -> None:
        """Train and test loss of the data loss on every point (dropout off)."""
        self.model.eval()
        try:
            with gn.no_grad():
                tr = float(self._loss(self.model(gn.from_numpy(self.Xf_train)),
                                      gn.from_numpy(self.T_train)).item()) \
                    if len(self.Xf_train) else float("nan")
                te = float(self._loss(self.model(gn.from_numpy(self.Xf_test)),
                                      gn.from_numpy(self.T_test)).item()) \
                    if len(self.Xf_test) else float("nan")
        finally:
            self.model.train()
        self.train_loss, self.test_loss = tr, te
        n_train = max(len(self.Xf_train), 1)
        point = [self.steps, round(self.steps * self.cfg["batch"] / n_train, 3), _r(tr), _r(te)]
        if self.history and self.history[-1][0] == self.steps:
            self.history[-1] = point
        else:
            self.history.append(point)
        if len(self.history) > HISTORY_MAX:  # keep every other point and the newest
            self.history = self.history[:-1:2] + [self.history[-1]]
        now = time.perf_counter()
        t0, s0 = self._rate
        if now - t0 >= 0.5:
            self.steps_per_s = (self.steps - s0) / (now - t0)
            self._rate = (now, self.steps)

    # --- what the page shows --------------------------------------------------------------------
    def _forward_parts(self, feats: np.ndarray) -> tuple[np.ndarray, list]:
        """The output and each hidden layer's activations for inputs ``feats``."""
        hidden = []
        self.model.eval()
        try:
            with gn.no_grad():
                h = gn.from_numpy(feats)
                mods = list(self.model)
                for i, m in enumerate(mods):
                    h = m(h)
                    if not isinstance(m, (nn.Linear, nn.Dropout)) and i + 1 < len(mods):
                        hidden.append(h.numpy())
        finally:
            self.model.train()
        return h.numpy(), hidden

    def _show(self, v: np.ndarray) -> np.ndarray:
        """Map a neuron's values to [-1, 1] for colouring."""
        act = self.cfg["activation"]
        if act == "tanh":
            return v
        if act == "sigmoid":
            return 2 * v - 1
        scale = np.max(np.abs(v), axis=0, keepdims=True)
        return v / np.maximum(scale, 1e-12)

    def layers_info(self) -> list:
        """Per Linear layer: its parameter names (for the page's edges and biases)."""
        out = []
        for i, m in enumerate(self.model):
            if isinstance(m, nn.Linear):
                out.append({"weight": f"{i}.weight", "bias": f"{i}.bias",
                            "in": m.in_features, "out": m.out_features})
        return out

    def snapshot(self) -> dict:
        """The ``state`` message: losses, weights and gradients, heat map, thumbnails."""
        with self.lock, np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            task = self.data.task
            out, hidden = self._forward_parts(self.grid_features)
            if task == "binary":
                heat = _quantize(2 * (1 / (1 + np.exp(-np.clip(out[:, 0], -50, 50)))) - 1)
            elif task == "multiclass":
                z = out - out.max(1, keepdims=True)
                p = np.exp(z) / np.exp(z).sum(1, keepdims=True)
                heat = _quantize(2 * p - 1)  # (G*G, 3), row-major
            else:
                heat = _quantize(out[:, 0])
            G, s = GRID, THUMB_STEP
            sub = np.arange(G * G).reshape(G, G)[::s, ::s].ravel()
            inputs = _quantize_rows(self._show_input(self.grid_features[sub]).T)
            neurons = [_quantize_rows(self._show(h[sub]).T) for h in hidden]
            layers = []
            for info in self.layers_info():
                lin = self.model[int(info["weight"].split(".")[0])]
                W, b = lin.weight, lin.bias
                layers.append({
                    **info,
                    "W": _rlist(W.data), "b": _rlist(b.data),
                    "gW": None if W.grad is None else _rlist(np.asarray(W.grad.data)),
                    "gb": None if b.grad is None else _rlist(np.asarray(b.grad.data)),
                })
            msg = {
                "type": "state", "playing": self.playing, "steps": self.steps,
                "epoch": self.epoch, "train_loss": _r(self.train_loss),
                "test_loss": _r(self.test_loss), "steps_per_s": round(self.steps_per_s, 1),
                "point": self.history[-1], "heat": heat, "grid": G,
                "thumb": len(range(0, G, s)), "inputs": inputs, "neurons": neurons,
                "layers": layers,
            }
            if self.data.dataset == "dosage":
                msg["curves"] = self._curves()
            return msg

    def _show_input(self, v: np.ndarray) -> np.ndarray:
        """Each input column scaled to [-1, 1]."""
        return v / np.maximum(np.max(np.abs(v), axis=0, keepdims=True), 1e-12)

    def _curves(self) -> dict:
        """The curriculum's picture: each node of the last hidden layer scaled by its
        outgoing weight, and their sum plus the output bias (the squiggle)."""
        out, hidden = self._forward_parts(self.curve_features)
        last = self.model[len(self.model) - 1]
        W = last.weight.data[0]
        b = float(last.bias.data[0])
        parts = [] if not hidden else [_rlist(hidden[-1][:, k] * W[k]) for k in range(len(W))]
        return {"x": _rlist(self.curve_x), "parts": parts, "bias": _r(b),
                "sum": _rlist(out[:, 0])}

    def data_message(self) -> dict:
        d = self.data
        return {"type": "data", "task": d.task, "dataset": d.dataset, "domain": d.domain,
                "train": [_rlist(d.X_train), _rlist(d.y_train)],
                "test": [_rlist(d.X_test), _rlist(d.y_test)], "added": d.added,
                "features": self.cfg["features"],
                "feature_labels": [C.FEATURE_LABELS[f] for f in self.cfg["features"]]}

    # --- the glass box --------------------------------------------------------------------------
    def explain(self, param: str, index) -> dict:
        """``gn.explain.chain_rule`` for one weight or bias on the last training batch (the
        first batch before any training; at most its first ``EXPLAIN_POINTS`` points), with
        dropout off."""
        with self.lock:
            params = dict(self.model.named_parameters())
            if not isinstance(param, str) or param not in params:
                raise CommandError(f"explain: unknown parameter {param!r}; the network has "
                                   f"{', '.join(params)}")
            p = params[param]
            if isinstance(index, int) and not isinstance(index, bool):
                index = [index]
            if not isinstance(index, (list, tuple)) or \
                    not all(isinstance(i, int) and not isinstance(i, bool) for i in index):
                raise CommandError(f"explain: index must be a list of whole numbers, got "
                                   f"{index!r}")
            shape = tuple(p.shape)
            if len(index) != len(shape) or not all(0 <= i < n for i, n in zip(index, shape)):
                raise CommandError(f"explain: index {list(index)} does not fit {param} of "
                                   f"shape {list(shape)}")
            index = tuple(index)
            if len(self.Xf_train) == 0:
                raise CommandError("explain: there are no training points")
            idx = self.last_batch
            if idx is None:
                idx = np.arange(min(self.cfg["batch"], len(self.Xf_train)))
            batch = len(idx)
            # every term is listed per point and unit: a big batch would take seconds
            idx = idx[:EXPLAIN_POINTS]
            self.model.eval()
            try:
                loss, x, t = self._objective(self.Xf_train[idx], self.T_train[idx], names=True)
                ch = gn.explain.chain_rule(loss, p, index=index, model=self.model,
                                           names={"x": x, "target": t})
            finally:
                self.model.train()
            self.selected = (param, list(index))
            notes = []
            if batch > len(idx):
                notes.append(f"the loss here is over the first {len(idx)} points of the "
                             f"last batch of {batch} (a shorter list of terms)")
            if self.cfg["dropout"] > 0:
                notes.append("dropout is off in this explanation (evaluation mode)")
            if self.cfg["l2"] > 0 and param.endswith("weight"):
                notes.append(f"L2 weight decay ({self.cfg['l2']:g}) is applied by the "
                             f"optimizer, not through the loss, so it is not in these paths")
            return {"type": "explain", "param": param, "index": list(index),
                    "value": _r(p.data[index], 8), "grad": _r(ch.total, 8),
                    "autograd": _r(ch.autograd, 8), "batch": int(len(idx)),
                    "steps": self.steps, "text": str(ch), "notes": notes}
