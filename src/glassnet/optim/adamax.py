"""Adamax, Adam with the infinity norm (Kingma and Ba, 2015, section 7)."""

from __future__ import annotations

import numpy as np

from .optimizer import _AdamFamily, counts_own_writes

__all__ = ["Adamax"]


class Adamax(_AdamFamily):
    """Adam whose second moment is a decaying maximum, PyTorch's rule. Per parameter,
    with step count t:

    g = ∇θ (negated with ``maximize``) + weight_decay · θ;
    m ← β1 m + (1 - β1) g;  u ← max(β2 u, |g| + eps);
    θ ← θ - lr / (1 - β1^t) · m / u   (u is ``exp_inf``).
    """

    def __init__(self, params, lr: float = 2e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, foreach=None, *,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)


    @counts_own_writes
    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, eps = group["lr"], group["eps"]
            b1, b2 = group["betas"]
            for p, g in self._grads(group):
                st = self.state.get(p)
                if st is None:
                    st = self.state[p] = {"step": 0, "exp_avg": np.zeros_like(p.data),
                                          "exp_inf": np.zeros_like(p.data)}
                t = st["step"] = st["step"] + 1
                m, u = st["exp_avg"], st["exp_inf"]
                m += (1 - b1) * (g - m)
                u *= b2
                np.maximum(u, np.abs(g) + eps, out=u)
                p.data -= (lr / (1 - b1**t)) * (m / u)
        return loss
