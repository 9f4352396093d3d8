"""Embedding lookup (rows of a weight table picked by integer indices) and one-hot rows.

``weight`` ``(V, D)`` and indices of any shape ``(*)`` give ``(*, D)``. The derivative
scatters each output row's gradient back onto the row it came from, adding where an
index repeats (the same word twice in a batch gets both gradients); the padding row,
if any, gets none.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function, Local, no_grad
from ..backend import scatter_add_rows, xp
from ..tensor import Tensor
from ._registry import op

__all__ = ["embedding", "one_hot", "check_indices", "renorm_rows_"]


def check_indices(indices, num_embeddings: int, what: str = "embedding") -> np.ndarray:
    """The indices as an integer array, or a clear error (TypeError / IndexError)."""
    idx = indices.data if isinstance(indices, Tensor) else xp.asarray(indices)
    if idx.dtype.kind not in "iu":
        raise TypeError(
            f"{what}: indices must be integers (int64 or int32), got dtype {idx.dtype}"
        )
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= num_embeddings:
            bad = lo if lo < 0 else hi
            raise IndexError(
                f"{what}: index {bad} is out of range for a vocabulary of {num_embeddings} "
                f"rows (valid indices are 0 to {num_embeddings - 1})"
            )
    return idx


def renorm_rows_(weight: np.ndarray, idx: np.ndarray, max_norm: float,
                 norm_type: float = 2.0) -> None:
    """Rescale, in place, the rows of ``weight`` named in ``idx`` whose ``norm_type``-norm
    exceeds ``max_norm`` to norm ``max_norm`` (factor ``max_norm / (norm + 1e-7)``)."""
    rows = xp.unique(idx.reshape(-1))
    if rows.size == 0:
        return
    sub = weight[rows]
    norms = xp.linalg.norm(sub, ord=norm_type, axis=1)
    big = norms > max_norm
    if xp.any(big):
        scale = (max_norm / (norms[big] + 1e-7)).astype(weight.dtype)
        weight[rows[big]] = sub[big] * scale[:, None]


class EmbeddingLookup(Function):
    """``weight[idx]``: ``(V, D)``, ``(*)`` -> ``(*, D)``.

    Derivative: gW[v] = sum of gy over the positions where idx == v (scatter-add),
    zero for ``padding_idx``; with ``scale_grad_by_freq`` each contribution is divided
    by how often its index occurs in ``idx``.
    """

    def forward(self, weight, idx, padding_idx, scale_grad_by_freq):
        self.V, self.idx = weight.shape[0], idx
        self.padding_idx, self.by_freq = padding_idx, scale_grad_by_freq
        return xp.take(weight, idx, axis=0)

    def backward(self, gy):
        D = gy.shape[-1]
        flat = self.idx.reshape(-1)
        g = gy.reshape(-1, D)
        if self.by_freq:
            counts = xp.bincount(flat, minlength=self.V)
            g = g / counts[flat][:, None].astype(g.dtype)
        gw = xp.zeros((self.V, D), dtype=gy.dtype)
        scatter_add_rows(gw, flat, g)
        if self.padding_idx is not None:
            gw[self.padding_idx] = 0
        return gw, None, None, None

    name = "embedding"
    formula = (Local(1.0, "[row picked by the index]", generic=True), None, None, None)


@op(method=False, top=False, functional=True, records=EmbeddingLookup)
def embedding(input, weight: Tensor, padding_idx: int | None = None,  # noqa: A002
              max_norm: float | None = None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False) -> Tensor:
    """Look up rows of ``weight`` ``(V, D)`` for integer ``input`` ``(*)`` -> ``(*, D)``.

    ``padding_idx``: that row gets no gradient. ``max_norm``: rows looked up whose norm
    exceeds it are rescaled in place first (the weight itself changes, as in PyTorch).
    """
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported; use "
                                  "sparse=False (the gradient is a dense (V, D) array)")
    if not isinstance(weight, Tensor) or weight.ndim != 2:
        shape = tuple(weight.shape) if isinstance(weight, Tensor) else None
        raise ValueError(f"embedding: weight must be a 2-D tensor (V, D), got {shape}")
    V = weight.shape[0]
    idx = check_indices(input, V)
    if padding_idx is not None:
        if not -V <= padding_idx < V:
            raise ValueError(f"embedding: padding_idx {padding_idx} must be within "
                             f"[-{V}, {V - 1}] for {V} rows")
        padding_idx = int(padding_idx) % V
    if max_norm is not None:
        with no_grad():
            renorm_rows_(weight.data, idx, float(max_norm), float(norm_type))
    return EmbeddingLookup.apply(weight, idx, padding_idx, bool(scale_grad_by_freq))


@op(method=False, top=False, functional=True)
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
