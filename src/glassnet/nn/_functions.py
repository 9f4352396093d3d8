"""The layer ops behind ``glassnet.nn.functional``: a fused linear map, dropout, one-hot,
and the activations with PyTorch's signatures.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..backend import sum_first, xp
from ..ops import activation as _act
from ..ops import elementwise as _ew
from ..ops._util import operand
from ..random import resolve
from ..tensor import Tensor

__all__ = ["linear", "dropout", "one_hot", "leaky_relu", "softplus", "softmax", "log_softmax"]


_dot = xp.dot


class Linear(Function):
    """y = x Wᵀ + b, one op: ``(*, in) , (out, in) , (out,) -> (*, out)``.

    gx = gy W, gW = gyᵀ x (leading dims flattened), gb = Σ gy over the leading dims.
    """

    def forward(self, x, W, b):
        self.x, self.W = x, W
        y = _dot(x, W.T)  # np.dot: matmul's result, less call overhead on small arrays
        if b is not None:
            if y.dtype == b.dtype and y.ndim:
                y += b
            else:
                y = y + b
        return y

    def backward(self, gy):
        x, W = self.x, self.W
        # needs_input_grad, inlined: this op is on every small network's hot path.
        tx, tW, tb = self.parents
        gx = gW = gb = None
        if isinstance(tx, Tensor) and tx.requires_grad:
            gx = _dot(gy, W)
        need_W = isinstance(tW, Tensor) and tW.requires_grad
        need_b = isinstance(tb, Tensor) and tb.requires_grad
        if need_W or need_b:
            if gy.ndim != 2:
                gy = gy.reshape(-1, W.shape[0])
                x = x.reshape(-1, W.shape[1])
            if need_W:
                gW = _dot(gy.T, x)
            if need_b:
                gb = sum_first(gy)
        return gx, gW, gb


def linear(input, weight, bias=None) -> Tensor:
    """``input @ weight.T + bias``: ``(*, in_features) -> (*, out_features)``.

    ``weight`` has shape ``(out_features, in_features)`` and ``bias`` ``(out_features,)``,
    as in PyTorch.
    """
    if not isinstance(weight, Tensor):
        weight = Tensor(weight)
    if bias is not None and not isinstance(bias, Tensor):
        bias = Tensor(bias)
    if not isinstance(input, Tensor):
        input = Tensor(operand(input, weight))
    ws = weight.shape
    if len(ws) != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), got {ws}")
    xs = input.shape
    if not xs or xs[-1] != ws[1]:
        raise ValueError(
            f"linear: input of shape {tuple(xs)} does not match weight of shape {tuple(ws)}: "
            f"expected input shape (*, {ws[1]})"
        )
    if bias is not None and tuple(bias.shape) != (ws[0],):
        raise ValueError(f"linear: bias must have shape ({ws[0]},), got {tuple(bias.shape)}")
    return Linear.apply(input, weight, bias)


class Dropout(Function):
    """y = x · mask, where mask is 0 with probability p and 1/(1-p) otherwise; gx = gy · mask."""

    def forward(self, x, mask):
        self.mask = mask
        return x * mask

    def backward(self, gy):
        return gy * self.mask, None


def dropout(input, p: float = 0.5, training: bool = True, generator=None, *,
            inplace: bool = False) -> Tensor:
    """Zero each element with probability ``p`` and scale the rest by ``1 / (1 - p)``
    while ``training``; the identity otherwise. ``generator`` (a ``gn.Generator``)
    draws the mask, the global one by default. ``inplace`` is accepted and ignored."""
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability p must be between 0 and 1, got {p}")
    if not training or p == 0.0:
        return input
    if not isinstance(input, Tensor):
        input = Tensor(input)
    x = input.data
    dtype = x.dtype if x.dtype.kind == "f" else np.dtype(np.float32)
    if p == 1.0:
        mask = xp.zeros(x.shape, dtype)
    else:
        rdt = dtype if dtype in (np.float32, np.float64) else np.float64
        mask = (resolve(generator).random(x.shape, dtype=rdt) >= p).astype(dtype)
        mask *= 1.0 / (1.0 - p)
    return Dropout.apply(input, mask)


def one_hot(tensor, num_classes: int = -1, dtype=None):
    """Class indices of any shape ``(*)`` -> one-hot rows ``(*, num_classes)``.

    ``num_classes = -1`` takes the largest index plus one. The rows are int64 (as in
    PyTorch) unless ``dtype`` is given. A Tensor in gives a Tensor out; a NumPy array
    (or a list) gives a NumPy array. ``gn.data.one_hot`` is this function.
    """
    is_tensor = isinstance(tensor, Tensor)
    y = tensor.data if is_tensor else xp.asarray(tensor)
    if y.dtype.kind not in "iub":
        raise TypeError(f"one_hot: class indices must be integers, got dtype {y.dtype}")
    if num_classes == -1:
        if y.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from empty class indices")
        num_classes = int(y.max()) + 1
    elif num_classes <= 0:
        raise ValueError(f"one_hot: num_classes must be positive (or -1), got {num_classes}")
    if y.size:
        lo, hi = int(y.min()), int(y.max())
        if lo < 0 or hi >= num_classes:
            raise ValueError(
                f"one_hot: class index out of range: indices must lie in "
                f"[0, {num_classes - 1}], got values from {lo} to {hi}"
            )
    out = xp.zeros(y.shape + (num_classes,), dtype=np.int64 if dtype is None else dtype)
    if y.size:
        xp.put_along_axis(out, y[..., None].astype(np.int64), 1, axis=-1)
    return Tensor._wrap(out) if is_tensor else out


# --- activations with PyTorch's signatures ----------------------------------------------


def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False) -> Tensor:
    """max(x, 0) + negative_slope · min(x, 0)."""
    return _ew.leaky_relu(input, negative_slope)


def softplus(input, beta: float = 1.0, threshold: float = 20.0) -> Tensor:
    """log(1 + exp(β x)) / β, linear where β x > threshold; derivative σ(β x)."""
    return _ew.softplus(input, beta, threshold)


def _implicit_dim(ndim: int) -> int:
    # PyTorch's rule when dim is not given: the first axis for 0-, 1- and 3-D inputs,
    # the second otherwise (the class axis of a (N, C, ...) batch).
    return 0 if ndim in (0, 1, 3) else 1


def _prepare(input, dim, dtype):
    if not isinstance(input, Tensor):
        input = Tensor(input)
    if dtype is not None:
        input = input.to(dtype)
    return input, _implicit_dim(input.ndim) if dim is None else dim


def softmax(input, dim: int | None = None, dtype=None, temperature: float = 1.0) -> Tensor:
    """exp(x_i / T) / Σ_j exp(x_j / T) along ``dim``."""
    input, dim = _prepare(input, dim, dtype)
    return _act.softmax(input, dim, temperature)


def log_softmax(input, dim: int | None = None, dtype=None) -> Tensor:
    """x_i - log Σ_j exp(x_j) along ``dim``, computed stably."""
    input, dim = _prepare(input, dim, dtype)
    return _act.log_softmax(input, dim)
