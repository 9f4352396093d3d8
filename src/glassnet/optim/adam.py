"""Adam and AdamW (Kingma and Ba, 2015; Loshchilov and Hutter, 2019)."""

from __future__ import annotations

import math

import numpy as np

from .optimizer import _AdamFamily, counts_own_writes

__all__ = ["Adam", "AdamW"]


class Adam(_AdamFamily):
    """Adaptive moments, PyTorch's rule. Per parameter, with step count t:

    g = ∇θ (negated with ``maximize``), plus weight_decay · θ (Adam) — or θ shrunk by
    (1 - lr · weight_decay) first (AdamW, decoupled);
    m ← β1 m + (1 - β1) g;  v ← β2 v + (1 - β2) g²  (v_max ← max(v_max, v) with amsgrad);
    θ ← θ - lr / (1 - β1^t) · m / (√v / √(1 - β2^t) + eps).
    """

    _decoupled = False

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, amsgrad: bool = False, *,
                 maximize: bool = False, foreach=None, capturable: bool = False,
                 differentiable: bool = False, fused=None) -> None:
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize)
        super().__init__(params, defaults)

    @counts_own_writes
    def step(self, closure=None):
        loss = self._closure(closure)
        state = self.state
        decoupled = self._decoupled
        for group in self.param_groups:
            lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
            b1, b2 = group["betas"]
            amsgrad = group["amsgrad"]
            # AdamW decays θ itself below, so its gradient gets no weight-decay term.
            for p, g in self._grads(group, 0.0 if decoupled else wd):
                st = state.get(p)
                if st is None:
                    st = state[p] = {"step": 0, "exp_avg": np.zeros_like(p.data),
                                     "exp_avg_sq": np.zeros_like(p.data)}
                    if amsgrad:
                        st["max_exp_avg_sq"] = np.zeros_like(p.data)
                t = st["step"] = st["step"] + 1
                if wd and decoupled:
                    p.data *= 1 - lr * wd
                m, v = st["exp_avg"], st["exp_avg_sq"]
                m += (1 - b1) * (g - m)
                v *= b2
                v += (1 - b2) * (g * g)
                if amsgrad:
                    vmax = st["max_exp_avg_sq"]
                    np.maximum(vmax, v, out=vmax)
                    v = vmax
                denom = np.sqrt(v)
                denom /= math.sqrt(1 - b2**t)
                denom += eps
                p.data -= (lr / (1 - b1**t)) * m / denom
        return loss


class AdamW(Adam):
    """Adam with decoupled weight decay (θ shrunk by lr · weight_decay each step);
    weight_decay defaults to 0.01 as in PyTorch."""

    _decoupled = True

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 1e-2, amsgrad: bool = False, *,
                 maximize: bool = False, foreach=None, capturable: bool = False,
                 differentiable: bool = False, fused=None) -> None:
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize=maximize)
