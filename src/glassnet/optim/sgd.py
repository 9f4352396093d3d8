"""Stochastic gradient descent with momentum, dampening, Nesterov and weight decay."""

from __future__ import annotations

from .optimizer import Optimizer, _check_hyper, counts_own_writes, write_epoch

__all__ = ["SGD"]


class SGD(Optimizer):
    """θ ← θ - lr · d, PyTorch's rule:

    g = ∇θ (negated with ``maximize``) + weight_decay · θ;
    with momentum μ: b ← g on the first step, else μ b + (1 - dampening) g;
    d = g + μ b (``nesterov``) or b; without momentum d = g.
    """

    def __init__(self, params, lr: float = 1e-3, momentum: float = 0.0,
                 dampening: float = 0.0, weight_decay: float = 0.0, nesterov: bool = False,
                 *, maximize: bool = False, foreach=None, differentiable: bool = False,
                 fused=None) -> None:
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        _check_hyper("momentum value", group["momentum"])
        _check_hyper("weight_decay value", group["weight_decay"])
        if group["nesterov"] and (group["momentum"] <= 0 or group["dampening"] != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")

    @counts_own_writes
    def step(self, closure=None):
        loss = self._closure(closure)
        state = self.state
        for group in self.param_groups:
            lr, mu, wd = group["lr"], group["momentum"], group["weight_decay"]
            damp, nesterov, maximize = group["dampening"], group["nesterov"], group["maximize"]
            if not (mu or wd or maximize):  # plain SGD: the common case, kept lean
                w = write_epoch(group["params"])
                for p in group["params"]:
                    if p.grad is not None:
                        p.data -= lr * p.grad.data
                        p._version += 1
                        p._wepoch = w
                continue
            for p, g in self._grads(group):
                if mu:
                    st = state.get(p)
                    if st is None:
                        st = state[p] = {}
                    buf = st.get("momentum_buffer")
                    if buf is None:
                        buf = st["momentum_buffer"] = g.copy()
                    else:
                        buf *= mu
                        buf += g if damp == 0 else (1 - damp) * g
                    g = g + mu * buf if nesterov else buf
                p.data -= lr * g
        return loss
