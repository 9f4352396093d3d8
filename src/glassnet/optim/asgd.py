"""Averaged stochastic gradient descent (Polyak and Juditsky, 1992; Bottou's schedule)."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, _check_hyper, counts_own_writes

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """SGD with a decaying rate that also keeps a running average of the iterates,
    PyTorch's rule. Per parameter, with step count t, η starting at lr and μ at 1:

    g = ∇θ (negated with ``maximize``) + weight_decay · θ;
    θ ← θ (1 - λ η) - η g;  ā ← ā + μ (θ - ā)  (ā = θ while μ = 1);
    η ← lr / (1 + λ lr t)^α;  μ ← 1 / max(1, t - t0).

    The average ā is ``state[p]["ax"]``: averaging starts after ``t0`` steps; copy it into
    the parameters to evaluate the averaged model.
    """

    def __init__(self, params, lr: float = 1e-2, lambd: float = 1e-4, alpha: float = 0.75,
                 t0: float = 1e6, weight_decay: float = 0.0, foreach=None,
                 maximize: bool = False, differentiable: bool = False,
                 capturable: bool = False) -> None:
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        _check_hyper("weight_decay value", group["weight_decay"])

    @counts_own_writes
    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, lambd, alpha, t0 = group["lr"], group["lambd"], group["alpha"], group["t0"]
            for p, g in self._grads(group):
                st = self.state.get(p)
                if st is None:
                    st = self.state[p] = {"step": 0, "eta": float(lr), "mu": 1.0,
                                          "ax": np.zeros_like(p.data)}
                t = st["step"] = st["step"] + 1
                eta = st["eta"]
                p.data *= 1 - lambd * eta
                p.data -= eta * g
                ax = st["ax"]
                if st["mu"] != 1:
                    ax += st["mu"] * (p.data - ax)
                else:
                    ax[...] = p.data
                st["eta"] = lr / (1 + lambd * lr * t) ** alpha
                st["mu"] = 1 / max(1, t - t0)
        return loss
