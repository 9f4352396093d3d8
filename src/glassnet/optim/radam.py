"""RAdam, Adam with a rectified adaptive rate (Liu et al., 2020)."""

from __future__ import annotations

import math

import numpy as np

from .optimizer import _AdamFamily, counts_own_writes

__all__ = ["RAdam"]


class RAdam(_AdamFamily):
    """Adam that takes plain momentum steps until the variance of its adaptive rate is
    tractable, PyTorch's rule. Per parameter, with step count t:

    g = ∇θ (negated with ``maximize``), plus weight_decay · θ — or θ shrunk by
    (1 - lr · weight_decay) first with ``decoupled_weight_decay`` (RAdamW);
    m ← β1 m + (1 - β1) g;  v ← β2 v + (1 - β2) g²;  m̂ = m / (1 - β1^t);
    ρ∞ = 2 / (1 - β2) - 1;  ρ_t = ρ∞ - 2 t β2^t / (1 - β2^t);
    if ρ_t > 5: r = √((ρ_t - 4)(ρ_t - 2) ρ∞ / ((ρ∞ - 4)(ρ∞ - 2) ρ_t)),
    θ ← θ - lr m̂ r √(1 - β2^t) / (√v + eps);  else θ ← θ - lr m̂.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, weight_decay: float = 0.0,
                 decoupled_weight_decay: bool = False, *, foreach=None,
                 maximize: bool = False, capturable: bool = False,
                 differentiable: bool = False) -> None:
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)


    @counts_own_writes
    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, eps, wd = group["lr"], group["eps"], group["weight_decay"]
            b1, b2 = group["betas"]
            decoupled = group["decoupled_weight_decay"]
            rho_inf = 2 / (1 - b2) - 1
            for p, g in self._grads(group, 0.0 if decoupled else wd):
                st = self.state.get(p)
                if st is None:
                    st = self.state[p] = {"step": 0, "exp_avg": np.zeros_like(p.data),
                                          "exp_avg_sq": np.zeros_like(p.data)}
                t = st["step"] = st["step"] + 1
                if wd and decoupled:
                    p.data *= 1 - lr * wd
                m, v = st["exp_avg"], st["exp_avg_sq"]
                m += (1 - b1) * (g - m)
                v *= b2
                v += (1 - b2) * (g * g)
                bc2 = 1 - b2**t
                m_hat = m / (1 - b1**t)
                rho_t = rho_inf - 2 * t * b2**t / bc2
                if rho_t > 5.0:
                    rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                                     / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
                    denom = np.sqrt(v)
                    denom += eps
                    p.data -= m_hat * lr * (math.sqrt(bc2) / denom) * rect
                else:  # the early steps: the adaptive rate's variance is unbounded
                    p.data -= m_hat * lr
        return loss
