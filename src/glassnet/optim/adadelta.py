"""Adadelta (Zeiler, 2012)."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, _check_hyper, counts_own_writes

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Step sizes from the ratio of two running root-mean-squares, PyTorch's rule:

    g = ∇θ (negated with ``maximize``) + weight_decay · θ;
    s ← ρ s + (1 - ρ) g²;  Δ = √(u + eps) / √(s + eps) · g;  u ← ρ u + (1 - ρ) Δ²;
    θ ← θ - lr Δ   (s is ``square_avg``, u ``acc_delta``).
    """

    def __init__(self, params, lr: float = 1.0, rho: float = 0.9, eps: float = 1e-6,
                 weight_decay: float = 0.0, foreach=None, *, capturable: bool = False,
                 maximize: bool = False, differentiable: bool = False) -> None:
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        _check_hyper("rho value", group["rho"])
        if not group["rho"] <= 1.0:
            raise ValueError(f"Invalid rho value: {group['rho']} (must be in [0, 1])")
        _check_hyper("epsilon value", group["eps"])
        _check_hyper("weight_decay value", group["weight_decay"])

    @counts_own_writes
    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, rho, eps = group["lr"], group["rho"], group["eps"]
            for p, g in self._grads(group):
                st = self.state.get(p)
                if st is None:
                    st = self.state[p] = {"step": 0, "square_avg": np.zeros_like(p.data),
                                          "acc_delta": np.zeros_like(p.data)}
                st["step"] += 1
                s, u = st["square_avg"], st["acc_delta"]
                s *= rho
                s += (1 - rho) * (g * g)
                delta = np.sqrt(u + eps)
                delta /= np.sqrt(s + eps)
                delta *= g
                u *= rho
                u += (1 - rho) * (delta * delta)
                p.data -= lr * delta
        return loss
