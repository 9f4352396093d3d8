"""Gradient clipping and flat-vector views of parameters."""

from __future__ import annotations

import math

import numpy as np

from ..backend import xp
from ..ops.shape import cat, reshape
from ..tensor import Tensor

__all__ = [
    "clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters",
]


def _as_list(parameters) -> list:
    if isinstance(parameters, Tensor):
        return [parameters]
    return list(parameters)


def clip_grad_norm_(parameters, max_norm: float, norm_type: float = 2.0,
                    error_if_nonfinite: bool = False, foreach=None) -> Tensor:
    """Scale all gradients together so their joint norm is at most ``max_norm``.

    The total norm is the ``norm_type`` norm of all gradients seen as one vector
    (``inf`` for the largest absolute value). Gradients are multiplied by
    min(1, max_norm / (total + 1e-6)). Returns the total norm before clipping.
    Gradient arrays are replaced, never changed in place (they may be shared).
    """
    grads = [p for p in _as_list(parameters) if p.grad is not None]
    max_norm, norm_type = float(max_norm), float(norm_type)
    if not grads:
        return Tensor._wrap(xp.asarray(0.0, dtype=np.float32))
    dt = grads[0].grad.data.dtype
    if norm_type == math.inf:
        total = max(float(xp.abs(p.grad.data).max()) if p.grad.data.size else 0.0
                    for p in grads)
    elif norm_type == 2.0:
        total = math.sqrt(sum(float(xp.vdot(g, g)) for g in
                              (p.grad.data.ravel() for p in grads)))
    else:
        total = sum(float((xp.abs(p.grad.data) ** norm_type).sum()) for p in grads)
        total = total ** (1.0 / norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            f"{total}, not finite; set error_if_nonfinite=False to clip anyway"
        )
    coef = min(max_norm / (total + 1e-6), 1.0)
    if coef < 1.0:
        for p in grads:
            p.grad.data = p.grad.data * xp.asarray(coef, dtype=p.grad.data.dtype)
    return Tensor._wrap(xp.asarray(total, dtype=dt))


def clip_grad_value_(parameters, clip_value: float, foreach=None) -> None:
    """Clip every gradient element to [-clip_value, clip_value] (arrays replaced)."""
    clip_value = float(clip_value)
    for p in _as_list(parameters):
        if p.grad is not None:
            p.grad.data = xp.clip(p.grad.data, -clip_value, clip_value)


def parameters_to_vector(parameters) -> Tensor:
    """All parameters flattened and joined into one 1-D tensor (differentiable)."""
    params = _as_list(parameters)
    if not params:
        raise ValueError("parameters_to_vector: no parameters given")
    return cat([reshape(p, -1) for p in params], 0)


def vector_to_parameters(vec, parameters) -> None:
    """Copy consecutive slices of the 1-D ``vec`` into the parameters' data."""
    v = vec.data if isinstance(vec, Tensor) else xp.asarray(vec)
    if v.ndim != 1:
        raise ValueError(f"vector_to_parameters: expected a 1-D vector, got shape {v.shape}")
    params = _as_list(parameters)
    need = sum(p.data.size for p in params)
    if v.size != need:
        raise ValueError(
            f"vector_to_parameters: the vector has {v.size} elements, the parameters {need}"
        )
    i = 0
    for p in params:
        n = p.data.size
        p.data = v[i:i + n].reshape(p.shape).astype(p.data.dtype, copy=True)
        i += n


# PyTorch users write torch.nn.utils.rnn.pack_padded_sequence: the same path works here.
from . import utils_rnn as rnn  # noqa: E402, F401
