"""NAdam, Adam with Nesterov momentum (Dozat, 2016)."""

from __future__ import annotations

import numpy as np

from .optimizer import _AdamFamily, _check_hyper, counts_own_writes

__all__ = ["NAdam"]


class NAdam(_AdamFamily):
    """Adam that looks one momentum step ahead, PyTorch's rule. Per parameter, with step
    count t and a momentum schedule μ_t = β1 (1 - ½ · 0.96^(t · momentum_decay)):

    g = ∇θ (negated with ``maximize``), plus weight_decay · θ — or θ shrunk by
    (1 - lr · weight_decay) first with ``decoupled_weight_decay`` (NAdamW);
    P_t = μ_1 ⋯ μ_t (``mu_product``);  m ← β1 m + (1 - β1) g;  v ← β2 v + (1 - β2) g²;
    d = √(v / (1 - β2^t)) + eps;
    θ ← θ - lr (1 - μ_t) / (1 - P_t) · g / d - lr μ_{t+1} / (1 - P_t μ_{t+1}) · m / d.
    """

    def __init__(self, params, lr: float = 2e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0, momentum_decay: float = 4e-3,
                 decoupled_weight_decay: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        _check_hyper("momentum_decay value", group["momentum_decay"])

    @counts_own_writes
    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, eps, wd, psi = group["lr"], group["eps"], group["weight_decay"], \
                group["momentum_decay"]
            b1, b2 = group["betas"]
            decoupled = group["decoupled_weight_decay"]
            for p, g in self._grads(group, 0.0 if decoupled else wd):
                st = self.state.get(p)
                if st is None:
                    st = self.state[p] = {"step": 0, "mu_product": 1.0,
                                          "exp_avg": np.zeros_like(p.data),
                                          "exp_avg_sq": np.zeros_like(p.data)}
                t = st["step"] = st["step"] + 1
                if wd and decoupled:
                    p.data *= 1 - lr * wd
                mu = b1 * (1.0 - 0.5 * 0.96 ** (t * psi))
                mu_next = b1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * psi))
                prod = st["mu_product"] = st["mu_product"] * mu
                m, v = st["exp_avg"], st["exp_avg_sq"]
                m += (1 - b1) * (g - m)
                v *= b2
                v += (1 - b2) * (g * g)
                denom = np.sqrt(v / (1 - b2**t))
                denom += eps
                p.data -= (lr * (1.0 - mu) / (1.0 - prod)) * (g / denom)
                p.data -= (lr * mu_next / (1.0 - prod * mu_next)) * (m / denom)
        return loss
