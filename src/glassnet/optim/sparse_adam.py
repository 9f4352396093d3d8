"""SparseAdam: Adam that touches only the rows a batch used (an embedding's looked-up words)."""

from __future__ import annotations

import math

import numpy as np

from .optimizer import Optimizer, _check_betas, counts_own_writes

__all__ = ["SparseAdam"]


class SparseAdam(Optimizer):
    """Adam restricted to the rows (slices along dim 0) whose gradient is not all zero:
    the moments and the weights of every other row are left exactly as they were, where
    Adam would decay the moments and keep moving the weights. Per parameter, with step
    count t (counted on every step the parameter has a gradient, used rows or not) and
    r the rows with a non-zero gradient g (negated with ``maximize``):

    m[r] ← m[r] + (1 - β1)(g[r] - m[r]);  v[r] ← v[r] + (1 - β2)(g[r]² - v[r]);
    θ[r] ← θ[r] - lr √(1 - β2^t) / (1 - β1^t) · m[r] / (√v[r] + eps).

    glassnet's gradients are dense arrays, so the rows are found from the values: for an
    ``nn.Embedding`` they are the looked-up rows (``padding_idx``'s row excepted), which is
    what PyTorch's SparseAdam updates with ``Embedding(sparse=True)``. One difference: a
    row that was looked up but got an exactly zero gradient is skipped here, while
    PyTorch's sparse gradient still lists it (and moves it by its old momentum). A 0-D or
    1-D parameter's rows are its elements. No weight decay, no amsgrad.
    """

    def __init__(self, params, lr: float = 1e-3, betas: tuple = (0.9, 0.999),
                 eps: float = 1e-8, maximize: bool = False) -> None:
        defaults = dict(lr=lr, betas=tuple(betas), eps=eps, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        if not group["lr"] > 0:  # stricter than the other optimizers, as in PyTorch
            raise ValueError(f"Invalid learning rate: {group['lr']} (must be > 0)")
        eps = group["eps"]
        if isinstance(eps, bool) or not isinstance(eps, (int, float, np.floating)) \
                or not eps > 0:
            raise ValueError(f"Invalid epsilon value: {eps} (must be > 0)")
        _check_betas(group["betas"])

    @counts_own_writes
    def step(self, closure=None):
        loss = self._closure(closure)
        for group in self.param_groups:
            lr, eps = group["lr"], group["eps"]
            b1, b2 = group["betas"]
            for p, g in self._grads(group, 0.0):
                st = self.state.get(p)
                if st is None:
                    st = self.state[p] = {"step": 0, "exp_avg": np.zeros_like(p.data),
                                          "exp_avg_sq": np.zeros_like(p.data)}
                t = st["step"] = st["step"] + 1
                if p.data.ndim == 0:
                    if g == 0:
                        continue
                    rows = ...
                else:
                    used = g.reshape(g.shape[0], -1).any(axis=1) if g.size else ()
                    rows = np.flatnonzero(used)
                    if rows.size == 0:
                        continue
                gr = g[rows]
                m, v = st["exp_avg"], st["exp_avg_sq"]
                mr = m[rows]
                mr += (1 - b1) * (gr - mr)
                vr = v[rows]
                vr += (1 - b2) * (gr * gr - vr)
                m[rows], v[rows] = mr, vr
                step_size = lr * math.sqrt(1 - b2**t) / (1 - b1**t)
                denom = np.sqrt(vr)
                denom += eps
                p.data[rows] -= (step_size * (mr / denom)).astype(p.data.dtype, copy=False)
        return loss
