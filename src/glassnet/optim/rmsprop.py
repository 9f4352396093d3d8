"""RMSprop (Hinton's lecture notes; centered variant of Graves, 2013)."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, _check_hyper, counts_own_writes

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """Divide the gradient by a running root-mean-square, PyTorch's rule:

    g = ∇θ (negated with ``maximize``) + weight_decay · θ;
    s ← α s + (1 - α) g²;  with ``centered``: ḡ ← α ḡ + (1 - α) g, a = √(s - ḡ²) + eps,
    else a = √s + eps;  with momentum μ: b ← μ b + g / a, θ ← θ - lr b;
    else θ ← θ - lr g / a.
    """

    def __init__(self, params, lr: float = 1e-2, alpha: float = 0.99, eps: float = 1e-8,
                 weight_decay: float = 0.0, momentum: float = 0.0, centered: bool = False,
                 capturable: bool = False, foreach=None, maximize: bool = False,
                 differentiable: bool = False) -> None:
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        _check_hyper("epsilon value", group["eps"])
        _check_hyper("momentum value", group["momentum"])
        _check_hyper("weight_decay value", group["weight_decay"])
        _check_hyper("alpha value", group["alpha"])

    @counts_own_writes
    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, alpha, eps = group["lr"], group["alpha"], group["eps"]
            mu, centered = group["momentum"], group["centered"]
            for p, g in self._grads(group):
                st = self.state.get(p)
                if st is None:
                    st = self.state[p] = {"step": 0, "square_avg": np.zeros_like(p.data)}
                    if mu > 0:
                        st["momentum_buffer"] = np.zeros_like(p.data)
                    if centered:
                        st["grad_avg"] = np.zeros_like(p.data)
                st["step"] += 1
                s = st["square_avg"]
                s *= alpha
                s += (1 - alpha) * (g * g)
                if centered:
                    ga = st["grad_avg"]
                    ga += (1 - alpha) * (g - ga)
                    avg = np.sqrt(s - ga * ga)
                else:
                    avg = np.sqrt(s)
                avg += eps
                if mu > 0:
                    buf = st["momentum_buffer"]
                    buf *= mu
                    buf += g / avg
                    p.data -= lr * buf
                else:
                    p.data -= lr * (g / avg)
        return loss
