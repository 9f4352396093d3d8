"""Adafactor: adaptive rates with factored second moments (Shazeer and Stern, 2018)."""

from __future__ import annotations

import math

import numpy as np

from .optimizer import Optimizer, _check_hyper, _pair, counts_own_writes

__all__ = ["Adafactor"]


def _lerp_(a: np.ndarray, b: np.ndarray, w: float) -> None:
    """a ← a + w (b - a) in place, rounded as PyTorch's ``lerp_`` (from the nearer end)."""
    if abs(w) < 0.5:
        a += w * (b - a)
    else:
        a[...] = b - (b - a) * (1.0 - w)


class Adafactor(Optimizer):
    """Adam's adaptive rates without Adam's memory: for a matrix (or a stack of them, the
    last two dimensions) it keeps one running mean of g² per row and one per column
    instead of one per element, PyTorch's variant of the rule. Per parameter, with step
    count t:

    g = ∇θ (negated with ``maximize``);  β̂ = 1 - t^beta2_decay;
    ρ = min(lr, 1/√t);  α = max(eps2, RMS(θ)) · ρ  (a step relative to θ's size);
    θ ← θ (1 - lr · weight_decay)  (decoupled decay);
    2-D and up: R ← β̂ R + (1 - β̂) mean(g², last dim);  C ← β̂ C + (1 - β̂) mean(g², dim -2);
    V = R C / max(mean(R), eps1)  (the rank-1 estimate of E[g²]);
    0-D and 1-D: V ← β̂ V + (1 - β̂) g²;
    U = g / √max(V, eps1²);  θ ← θ - α U / max(1, RMS(U) / d)  (the update clipped to RMS d).

    ``eps=(eps1, eps2)``; eps1 None means the machine epsilon of the group's first
    parameter with a gradient (PyTorch's choice: that one value serves the whole group).
    ``lr`` caps the relative step ρ and scales the weight decay; there is no momentum.
    State: ``step``, and ``row_var`` (shape ``(..., n, 1)``) and ``col_var`` (``(..., 1, m)``)
    for a parameter of shape ``(..., n, m)``, or ``variance`` for a 0-D or 1-D one.
    """

    def __init__(self, params, lr: float = 1e-2, beta2_decay: float = -0.8,
                 eps: tuple = (None, 1e-3), d: float = 1.0, weight_decay: float = 0.0, *,
                 foreach=None, maximize: bool = False) -> None:
        defaults = dict(lr=lr, beta2_decay=beta2_decay, eps=_pair(eps), d=d,
                        weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        _check_hyper("beta2_decay", group["beta2_decay"], low=-math.inf)
        if not group["beta2_decay"] <= 0.0:
            raise ValueError(f"beta2_decay should be <= 0 but is: {group['beta2_decay']}")
        eps = group["eps"]
        if not isinstance(eps, (tuple, list)) or len(eps) != 2:
            raise ValueError(f"Invalid eps: {eps!r} (expected a pair (eps1 or None, eps2))")
        if eps[0] is not None:
            _check_hyper("epsilon1", eps[0])
        _check_hyper("epsilon2", eps[1])
        _check_hyper("d", group["d"], low=-math.inf)
        if not group["d"] >= 1.0:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {group['d']}")
        _check_hyper("weight_decay value", group["weight_decay"])

    def _state_shape(self, p, key: str) -> tuple:
        shape = p.data.shape
        if key == "row_var":
            return shape[:-1] + (1,)
        if key == "col_var":
            return shape[:-2] + (1,) + shape[-1:]
        return shape

    @counts_own_writes
    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, decay, d, wd = group["lr"], group["beta2_decay"], group["d"], \
                group["weight_decay"]
            eps1, eps2 = group["eps"]
            for p, g in self._grads(group, 0.0):
                if eps1 is None:
                    eps1 = float(np.finfo(p.data.dtype).eps)
                x = p.data
                st = self.state.get(p)
                if st is None:
                    st = self.state[p] = {"step": 0}
                    if x.ndim > 1:
                        st["row_var"] = np.zeros(x.shape[:-1] + (1,), x.dtype)
                        st["col_var"] = np.zeros(x.shape[:-2] + (1,) + x.shape[-1:], x.dtype)
                    else:
                        st["variance"] = np.zeros_like(x)
                t = st["step"] = st["step"] + 1
                if x.size == 0:  # nothing to update (PyTorch divides by zero here)
                    continue
                w = float(t) ** decay  # 1 - β̂_t
                rho = min(lr, 1.0 / math.sqrt(t))
                alpha = max(eps2, float(np.linalg.norm(x.ravel())) / math.sqrt(x.size)) * rho
                if wd:
                    x *= 1 - lr * wd
                if x.ndim > 1:
                    row, col = st["row_var"], st["col_var"]
                    # mean(g², dim) as ‖g‖²/n along dim: PyTorch's rounding (and no g²)
                    n, m = g.shape[-1], g.shape[-2]
                    _lerp_(row, np.linalg.norm(g, axis=-1, keepdims=True) ** 2 / n, w)
                    _lerp_(col, np.linalg.norm(g, axis=-2, keepdims=True) ** 2 / m, w)
                    v = row * col  # the outer product of the two factors
                    v /= np.maximum(row.mean(axis=-2, keepdims=True), eps1)
                else:
                    var = st["variance"]
                    _lerp_(var, g * g, w)
                    v = var.copy()
                np.maximum(v, eps1 * eps1, out=v)
                u = 1.0 / np.sqrt(v)
                u *= g
                clip = max(1.0, float(np.linalg.norm(u.ravel())) / (math.sqrt(u.size) * d))
                x -= (alpha / clip) * u
        return loss
