"""Rprop, resilient backpropagation (Riedmiller and Braun, 1993)."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, _check_hyper, _pair, counts_own_writes

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Each weight has its own step size, grown while its gradient keeps its sign and cut
    when the sign flips; only the gradient's sign moves the weight, never its size.
    PyTorch's rule, per element, with g = ∇θ (negated with ``maximize``) and the previous
    step's (masked) gradient g_prev:

    s = sign(g · g_prev);  step ← clamp(step · (η+ if s > 0, η- if s < 0, 1 if s = 0),
    step_min, step_max);  where s < 0: g ← 0 (no move now, and no sign to compare next
    time);  θ ← θ - sign(g) · step;  g_prev ← g.

    Every step size starts at ``lr`` on the parameter's first step (so changing ``lr``
    later, e.g. with a scheduler, changes nothing, as in PyTorch). No weight decay.
    Rprop is meant for full-batch gradients: mini-batch noise flips signs at random.
    """

    def __init__(self, params, lr: float = 1e-2, etas: tuple = (0.5, 1.2),
                 step_sizes: tuple = (1e-6, 50), *, capturable: bool = False, foreach=None,
                 maximize: bool = False, differentiable: bool = False) -> None:
        defaults = dict(lr=lr, etas=_pair(etas), step_sizes=_pair(step_sizes),
                        maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        etas, sizes = group["etas"], group["step_sizes"]
        for name, pair in (("etas", etas), ("step_sizes", sizes)):
            if not isinstance(pair, (tuple, list)) or len(pair) != 2:
                raise ValueError(f"Invalid {name}: {pair!r} (expected a pair of numbers)")
            for i, v in enumerate(pair):
                _check_hyper(f"{name}[{i}]", v, low=-np.inf)
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]} (need "
                             f"0 < etaminus < 1 < etaplus)")
        # PyTorch accepts any pair here; a minimum above the maximum would pin every step
        # size to the maximum, and a negative one could flip a step's direction.
        if not 0.0 <= sizes[0] <= sizes[1]:
            raise ValueError(f"Invalid step_sizes: {sizes[0]}, {sizes[1]} (need "
                             f"0 <= step_size_min <= step_size_max)")

    @counts_own_writes
    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            eta_minus, eta_plus = group["etas"]
            lo, hi = group["step_sizes"]
            for p, g in self._grads(group, 0.0):
                st = self.state.get(p)
                if st is None:
                    st = self.state[p] = {"step": 0, "prev": np.zeros_like(p.data),
                                          "step_size": np.full_like(p.data, group["lr"])}
                st["step"] += 1
                prod = g * st["prev"]
                flipped = prod < 0
                size = st["step_size"]
                factor = np.where(prod > 0, size.dtype.type(eta_plus), size.dtype.type(1.0))
                factor[flipped] = eta_minus
                size *= factor
                np.clip(size, lo, hi, out=size)
                move = np.sign(g, out=np.empty_like(p.data))
                move[flipped] = 0  # a flipped sign: no move now, nothing to compare next time
                st["prev"][...] = g
                st["prev"][flipped] = 0
                move *= size
                p.data -= move
        return loss
