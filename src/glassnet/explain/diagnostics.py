"""Per-layer activation and gradient statistics, and warnings on vanishing or exploding
gradients: as a context manager around a forward/backward pass and as a training
callback.

>>> with gn.explain.Diagnostics(model) as d:
...     loss_fn(model(x), y).backward()
>>> print(d.report())

Activation statistics are per (module, op): the outputs of the ops recorded while the
module ran (a ``Linear``'s pre-activations, a ``ReLU``'s outputs). A ReLU unit (one
feature, all positions but the batch axis) is *dead* when it never fired (> 0) for any
example seen. Gradient norms are per module: the 2-norm of its parameters' gradients.
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from ..nn import module as _module
from ..tensor import Tensor
from ._graph import Tracer, module_path

__all__ = ["Diagnostics", "DiagnosticsCallback", "GradientWarning", "LayerStats",
           "time_gradients"]

try:  # the training loop's base class, when the training module is present
    from ..train import Callback as _Callback
except ImportError:  # pragma: no cover - train.py absent
    _Callback = object


class GradientWarning(RuntimeWarning):
    """Gradients that vanish or explode."""


_RELUS = {"relu"}  # op names (Function.name) whose zeros count as dead units


class LayerStats:
    """Running activation statistics of one (module, op) pair."""

    def __init__(self):
        self.calls = 0
        self.n = 0
        self.s1 = 0.0
        self.s2 = 0.0
        self.zero = 0
        self.fired = None  # per-unit "ever > 0" for ReLUs

    def add(self, a: np.ndarray, relu: bool) -> None:
        f = a.astype(np.float64, copy=False)
        self.calls += 1
        self.n += f.size
        self.s1 += float(f.sum())
        self.s2 += float((f * f).sum())
        self.zero += int((f == 0).sum())
        if relu and a.ndim >= 1:
            on = (a > 0).any(axis=0) if a.ndim >= 2 else (a > 0)
            if self.fired is None or self.fired.shape != on.shape:
                self.fired = on if self.fired is None else np.zeros(on.shape, bool) | on
            else:
                self.fired |= on

    @property
    def mean(self) -> float:
        return self.s1 / self.n if self.n else math.nan

    @property
    def std(self) -> float:
        if not self.n:
            return math.nan
        return math.sqrt(max(self.s2 / self.n - self.mean ** 2, 0.0))

    @property
    def dead_fraction(self) -> float | None:
        """Fraction of ReLU units that never fired (None for other ops)."""
        return None if self.fired is None else float(1.0 - self.fired.mean())


class Diagnostics(Tracer):
    """Records per-layer statistics while active; a context manager.

    ``model``: the Module whose layers are watched (parameter gradients are read from
    it when the block ends or on :meth:`collect_gradients`). ``explode``: a layer whose
    gradient norm exceeds this (or is not finite) triggers a :class:`GradientWarning`;
    ``vanish``: so does a layer whose gradient norm is below ``vanish`` times the largest
    layer's. ``warn``: emit the warnings (they are always kept in :attr:`warnings`).
    """

    def __init__(self, model, explode: float = 1e3, vanish: float = 1e-4, warn: bool = True):
        self.model = model
        self.explode, self.vanish, self.warn = explode, vanish, warn
        self.activations: dict[tuple, LayerStats] = {}
        self.grad_norms: dict[str, float] = {}
        self.warnings: list[str] = []
        self._types = {}

    # --- recording ------------------------------------------------------------------------
    def _hook(self, fn, out, args) -> None:
        m = _module.current_module()
        if m is None:
            return
        a = out.data
        if not isinstance(a, np.ndarray) or a.dtype.kind != "f":
            return
        path = module_path() or "(model)"
        self._types[path] = type(m).__name__
        key = (path, fn.name)
        st = self.activations.get(key)
        if st is None:
            st = self.activations[key] = LayerStats()
        st.add(a, fn.name in _RELUS)

    def __enter__(self):
        self._start()
        return self

    def __exit__(self, *exc):
        self._stop()
        if exc[0] is None:
            self.collect_gradients()
        return False

    def reset(self) -> None:
        self.activations.clear()
        self.grad_norms.clear()

    # --- gradients --------------------------------------------------------------------------
    def collect_gradients(self) -> dict[str, float]:
        """Per-module gradient 2-norms from the parameters' ``.grad``; checks them."""
        sq: dict[str, float] = {}
        for name, p in self.model.named_parameters():
            if p.grad is None:
                continue
            mod = name.rsplit(".", 1)[0] if "." in name else "(model)"
            g = p.grad.data.astype(np.float64, copy=False)
            sq[mod] = sq.get(mod, 0.0) + float((g * g).sum())
        self.grad_norms = {k: math.sqrt(v) for k, v in sq.items()}
        self.check()
        return self.grad_norms

    def check(self) -> list[str]:
        """Warnings about the last gradients: exploding (> explode or not finite) and
        vanishing (< vanish × the largest layer's norm)."""
        out = []
        norms = self.grad_norms
        if norms:
            big_name = max(norms, key=lambda k: norms[k] if math.isfinite(norms[k]) else -1)
            big = norms[big_name]
            for k, v in norms.items():
                if not math.isfinite(v) or v > self.explode:
                    out.append(f"exploding gradients: {k} has gradient norm {v:.3g} "
                               f"(limit {self.explode:g}); clip them (clip_grad_norm_) or "
                               f"lower the learning rate")
                elif big > 0 and v < self.vanish * big:
                    out.append(f"vanishing gradients: {k} has gradient norm {v:.3g}, "
                               f"{v / big:.2g} of {big_name}'s {big:.3g}")
        for (path, op), st in self.activations.items():
            d = st.dead_fraction
            if d is not None and d == 1.0:
                out.append(f"dead ReLUs: every unit of {op} in {path} is 0 for every example "
                           f"seen; no gradient flows through it")
        for w in out:
            if w not in self.warnings:
                self.warnings.append(w)
                if self.warn:
                    warnings.warn(w, GradientWarning, stacklevel=3)
        return out

    # --- results ----------------------------------------------------------------------------
    def stats(self) -> dict:
        """``{layer: {"type", "ops": {op: {"mean", "std", "dead_fraction", "zero_fraction"}},
        "grad_norm"}}``."""
        out: dict = {}
        for (path, op), st in self.activations.items():
            d = out.setdefault(path, {"type": self._types.get(path, ""), "ops": {},
                                      "grad_norm": self.grad_norms.get(path)})
            d["ops"][op] = {"mean": st.mean, "std": st.std, "dead_fraction": st.dead_fraction,
                            "zero_fraction": st.zero / st.n if st.n else math.nan}
        for k, v in self.grad_norms.items():
            out.setdefault(k, {"type": self._types.get(k, ""), "ops": {}})["grad_norm"] = v
        return out

    def report(self) -> str:
        """A table: layer, op, activation mean and std, dead ReLUs, gradient norm."""
        rows = [("layer", "op", "act mean", "act std", "dead ReLU", "grad norm")]
        for path, d in self.stats().items():
            label = f"{path} ({d['type']})" if d["type"] else path
            ops = d["ops"] or {"": None}
            for i, (op, s) in enumerate(ops.items()):
                g = d.get("grad_norm")
                rows.append((
                    label if i == 0 else "", op,
                    "" if s is None else f"{s['mean']:.4g}",
                    "" if s is None else f"{s['std']:.4g}",
                    "" if s is None or s["dead_fraction"] is None else
                    f"{100 * s['dead_fraction']:.0f}%",
                    "" if g is None or i else f"{g:.4g}",
                ))
        w = [max(len(r[j]) for r in rows) for j in range(6)]
        lines = ["  ".join(c.ljust(w[j]) for j, c in enumerate(r)).rstrip() for r in rows]
        lines += [f"warning: {x}" for x in self.warnings]
        return "\n".join(lines)

    __str__ = report


class DiagnosticsCallback(_Callback):
    """Training-loop callback: per epoch, each layer's activation mean/std, dead-ReLU
    fraction and mean gradient norm go into :attr:`history`
    (``history[layer][stat] -> list per epoch``); gradient warnings are checked after
    every backward pass (each distinct warning is emitted once)."""

    def __init__(self, explode: float = 1e3, vanish: float = 1e-4, warn: bool = True,
                 verbose: bool = False):
        self.explode, self.vanish, self.warn, self.verbose = explode, vanish, warn, verbose
        self.diag: Diagnostics | None = None
        self.history: dict[str, dict[str, list]] = {}
        self._gsum: dict[str, float] = {}
        self._gcount = 0

    def on_train_begin(self, trainer) -> None:
        self.diag = Diagnostics(trainer.model, self.explode, self.vanish, self.warn)
        self.diag.__enter__()

    def on_epoch_begin(self, trainer, epoch: int) -> None:
        self.diag.reset()
        self._gsum, self._gcount = {}, 0

    def on_after_backward(self, trainer, batch: int) -> None:
        for k, v in self.diag.collect_gradients().items():
            self._gsum[k] = self._gsum.get(k, 0.0) + v
        self._gcount += 1

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        stats = self.diag.stats()
        for path, d in stats.items():
            h = self.history.setdefault(path, {})
            for op, s in d["ops"].items():
                for stat in ("mean", "std", "dead_fraction"):
                    if s[stat] is not None:
                        h.setdefault(f"{op}.{stat}", []).append(s[stat])
            if path in self._gsum:
                h.setdefault("grad_norm", []).append(self._gsum[path] / self._gcount)
        if self.verbose:
            print(f"epoch {epoch} diagnostics:\n{self.diag.report()}")

    def on_train_end(self, trainer) -> None:
        if self.diag is not None:
            self.diag._stop()


def time_gradients(loss: Tensor, inputs: Tensor, time_dim: int = 0, warn: bool = True,
                   vanish: float = 1e-3, explode: float = 1e3) -> np.ndarray:
    """The norm of d loss / d inputs at each time step: how much gradient reaches each
    step of a sequence, the plain RNN's problem made visible.

    ``inputs`` (for example ``(T, N, features)``) must require grad and the loss must have
    been computed from it; runs ``loss.backward(retain_graph=True)`` and returns a
    ``(T,)`` array. Warns (:class:`GradientWarning`) when the smallest step's norm is below
    ``vanish`` times the largest (vanishing) or the largest exceeds ``explode``.
    """
    if not isinstance(inputs, Tensor) or not inputs.requires_grad:
        raise ValueError("time_gradients: inputs must be a Tensor that requires grad "
                         "(call inputs.requires_grad_() before the forward pass)")
    if loss.data.size != 1:
        raise ValueError(f"time_gradients: the loss must be a scalar, got shape "
                         f"{tuple(loss.shape)}")
    old = inputs.grad
    inputs.grad = None
    loss.backward(retain_graph=True)
    g = inputs.grad
    inputs.grad = old
    if g is None:
        raise ValueError("time_gradients: the loss does not depend on inputs")
    a = np.moveaxis(g.data.astype(np.float64), time_dim, 0)
    norms = np.sqrt((a.reshape(a.shape[0], -1) ** 2).sum(axis=1))
    if warn and norms.size:
        big, small = norms.max(), norms.min()
        if not np.isfinite(big) or big > explode:
            warnings.warn(f"exploding gradients over time: the gradient reaching a time step "
                          f"has norm {big:.3g}", GradientWarning, stacklevel=2)
        elif big > 0 and small < vanish * big:
            t = int(np.argmin(norms))
            warnings.warn(f"vanishing gradients over time: step {t + 1} receives a gradient "
                          f"of norm {small:.3g}, {small / big:.2g} of the largest ({big:.3g} "
                          f"at step {int(np.argmax(norms)) + 1})", GradientWarning,
                          stacklevel=2)
    return norms
