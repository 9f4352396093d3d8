"""Adagrad (Duchi, Hazan and Singer, 2011)."""

from __future__ import annotations

import numpy as np

from .optimizer import Optimizer, _check_hyper, counts_own_writes

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Per-coordinate rates from the accumulated squared gradient, PyTorch's rule:

    g = ∇θ (negated with ``maximize``) + weight_decay · θ;  S ← S + g²;
    θ ← θ - lr / (1 + (t - 1) lr_decay) · g / (√S + eps),  S starting at
    ``initial_accumulator_value``.
    """

    def __init__(self, params, lr: float = 1e-2, lr_decay: float = 0.0,
                 weight_decay: float = 0.0, initial_accumulator_value: float = 0.0,
                 eps: float = 1e-10, foreach=None, *, maximize: bool = False,
                 differentiable: bool = False, fused=None) -> None:
        defaults = dict(lr=lr, lr_decay=lr_decay, eps=eps, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value,
                        maximize=maximize)
        super().__init__(params, defaults)
        for group in self.param_groups:  # PyTorch makes Adagrad's state up front
            for p in group["params"]:
                self.state[p] = self._new_state(p, group)

    @staticmethod
    def _new_state(p, group: dict) -> dict:
        return {"step": 0, "sum": np.full_like(p.data, group["initial_accumulator_value"])}

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        _check_hyper("lr_decay value", group["lr_decay"])
        _check_hyper("weight_decay value", group["weight_decay"])
        _check_hyper("initial_accumulator_value", group["initial_accumulator_value"])
        _check_hyper("epsilon value", group["eps"])

    @counts_own_writes
    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, decay, eps = group["lr"], group["lr_decay"], group["eps"]
            for p, g in self._grads(group):
                st = self.state.get(p)
                if st is None:  # a parameter added later by add_param_group
                    st = self.state[p] = self._new_state(p, group)
                t = st["step"] = st["step"] + 1
                clr = lr / (1 + (t - 1) * decay)
                S = st["sum"]
                S += g * g
                std = np.sqrt(S)
                std += eps
                p.data -= clr * (g / std)
        return loss
