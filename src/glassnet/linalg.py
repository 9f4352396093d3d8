"""``glassnet.linalg``: PyTorch's ``torch.linalg`` names on glassnet tensors.

Every function takes a (batch of) matrices ``(..., m, n)`` and works on the last two dims;
the differentiable ones are ops in :mod:`glassnet.ops.linalg_more` (their derivatives are
listed there and printed by ``gn.explain``). Factorizations return named tuples with
PyTorch's field names: ``slogdet -> (sign, logabsdet)``, ``qr -> (Q, R)``,
``eigh -> (eigenvalues, eigenvectors)``, ``svd -> (U, S, Vh)``, ``inv_ex -> (inverse,
info)``, ``cholesky_ex -> (L, info)``, ``lstsq -> (solution, residuals, rank,
singular_values)``. A singular or non-positive-definite input raises
:class:`LinAlgError` (a ``RuntimeError``), naming the batch element.

>>> import glassnet as gn
>>> A = gn.tensor([[4.0, 1.0], [1.0, 3.0]], dtype=gn.float64)
>>> gn.linalg.det(A)
tensor(11., dtype=torch.float64)
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from .ops.linalg import _as_tensor
from .ops.linalg_more import (
    ArgumentError,
    DtypeError,
    LinAlgError,
    _finite_for_svd,
    _matrix,
    _solve,
    _square,
    matrix_exp,
    matrix_norm,
    matrix_power,
    svdvals,
    vector_norm,
)
from .ops.linalg_more import linalg_cholesky as cholesky
from .ops.linalg_more import linalg_cholesky_ex as cholesky_ex
from .ops.linalg_more import linalg_cross as cross
from .ops.linalg_more import linalg_det as det
from .ops.linalg_more import linalg_eigh as eigh
from .ops.linalg_more import linalg_eigvalsh as eigvalsh
from .ops.linalg_more import linalg_inv as inv
from .ops.linalg_more import linalg_inv_ex as inv_ex
from .ops.linalg_more import linalg_lstsq as lstsq
from .ops.linalg_more import linalg_matrix_rank as matrix_rank
from .ops.linalg_more import linalg_norm as norm
from .ops.linalg_more import linalg_pinv as pinv
from .ops.linalg_more import linalg_qr as qr
from .ops.linalg_more import linalg_slogdet as slogdet
from .ops.linalg_more import linalg_solve as solve
from .ops.linalg_more import linalg_solve_triangular as solve_triangular
from .ops.linalg_more import linalg_svd as svd
from .tensor import Tensor

SolveEx = namedtuple("linalg_solve_ex", ["result", "info"])

__all__ = [
    "LinAlgError", "ArgumentError", "DtypeError", "norm", "vector_norm", "matrix_norm", "det",
    "slogdet", "inv", "inv_ex",
    "solve", "solve_triangular", "cholesky", "cholesky_ex", "qr", "eigh", "eigvalsh", "svd",
    "svdvals", "pinv", "lstsq", "matrix_rank", "matrix_power", "matrix_exp", "cross",
    "vecdot", "multi_dot", "diagonal", "cond", "matmul", "solve_ex", "vander",
]


def matmul(input, other) -> Tensor:  # noqa: A002 - PyTorch's names
    """``input @ other`` (an alias of ``gn.matmul``)."""
    return _as_tensor(input) @ other


def vecdot(x, y, *, dim: int = -1) -> Tensor:
    """Σ x·y along ``dim`` (after broadcasting)."""
    a = _as_tensor(x)
    b = _as_tensor(y, a)
    for name, t in (("x", a), ("y", b)):
        if t.data.dtype.kind != "f":
            raise DtypeError(f"linalg.vecdot: expected a floating point tensor as {name}, got "
                             f"{t.dtype}")
    if a.dtype != b.dtype:
        raise DtypeError(f"linalg.vecdot: x and y must have the same dtype, got {a.dtype} "
                         f"and {b.dtype}")
    try:
        shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    except ValueError:
        raise ArgumentError(f"linalg.vecdot: x {tuple(a.shape)} and y {tuple(b.shape)} cannot "
                            f"be broadcast together") from None
    if not -max(len(shape), 1) <= dim < max(len(shape), 1):
        raise IndexError(f"linalg.vecdot: dim {dim} out of range for the broadcast shape "
                         f"{shape}")
    return (a * b).sum(dim)


def diagonal(A, *, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: N803
    """The ``offset`` diagonal of each matrix (by default over the last two dims)."""
    a = _as_tensor(A)
    for d in (dim1, dim2):
        if not -a.ndim <= d < max(a.ndim, 1) or a.ndim < 2:
            raise IndexError(f"linalg.diagonal: dim {d} out of range for a tensor of {a.ndim} "
                             f"dims (A needs at least 2)")
    return a.diagonal(offset, dim1, dim2)


def multi_dot(tensors) -> Tensor:
    """``A @ B @ C ...`` in the cheapest order; the first may be 1-D (a row vector), the
    last 1-D (a column vector), the others 2-D."""
    ts = [_as_tensor(t) for t in tensors]
    if len(ts) < 2:
        raise ArgumentError(f"linalg.multi_dot: give at least 2 tensors, got {len(ts)}")
    first_vec, last_vec = ts[0].ndim == 1, ts[-1].ndim == 1
    if first_vec:
        ts[0] = ts[0].unsqueeze(0)
    if last_vec:
        ts[-1] = ts[-1].unsqueeze(-1)
    for i, t in enumerate(ts):
        if t.dtype != ts[0].dtype:
            raise DtypeError(f"linalg.multi_dot: all tensors must have the same dtype, but "
                             f"tensor 0 is {ts[0].dtype} and tensor {i} is {t.dtype}")
        if t.ndim != 2:
            raise ArgumentError(f"linalg.multi_dot: tensor {i} must be 2-D (the first and last "
                                f"may be 1-D), got shape {tuple(tensors[i].shape)}")
        if i and ts[i - 1].shape[1] != t.shape[0]:
            raise ArgumentError(f"linalg.multi_dot: tensors {i - 1} {tuple(ts[i - 1].shape)} and "
                                f"{i} {tuple(t.shape)} cannot be multiplied")
    dims = [ts[0].shape[0]] + [t.shape[1] for t in ts]
    n = len(ts)
    cost = [[0] * n for _ in range(n)]
    split = [[0] * n for _ in range(n)]
    for length in range(1, n):
        for i in range(n - length):
            j = i + length
            cost[i][j] = None
            for k in range(i, j):
                c = cost[i][k] + cost[k + 1][j] + dims[i] * dims[k + 1] * dims[j + 1]
                if cost[i][j] is None or c < cost[i][j]:
                    cost[i][j], split[i][j] = c, k

    def chain(i, j):
        if i == j:
            return ts[i]
        k = split[i][j]
        return chain(i, k) @ chain(k + 1, j)

    out = chain(0, n - 1)
    if first_vec:
        out = out.squeeze(0)
    if last_vec:
        out = out.squeeze(-1)
    return out


def cond(A, p=None) -> Tensor:  # noqa: N803
    """Condition number ‖A‖_p·‖A⁻¹‖_p; p None or 2: σ_max/σ_min, -2: σ_min/σ_max (these two
    for any shape; 'fro', 'nuc', ±1, ±inf need square matrices)."""
    what = "linalg.cond"
    a = _matrix(A, what)
    if p in (None, 2, -2):
        s = svdvals(_finite_for_svd(a, what))
        if s.shape[-1] == 0:  # an empty matrix: 0, as in PyTorch
            return Tensor._wrap(np.zeros(tuple(a.shape[:-2]), a.data.dtype))
        hi, lo = s.amax(-1), s.amin(-1)
        return hi / lo if p in (None, 2) else lo / hi
    a = _square(a, what)
    if p not in ("fro", "nuc", 1, -1, np.inf, -np.inf):
        raise ArgumentError(f"linalg.cond: p must be None, 'fro', 'nuc', inf, -inf, 1, -1, 2 or "
                            f"-2, got {p!r}")
    if a.data.size == 0:
        return Tensor._wrap(np.zeros(tuple(a.shape[:-2]), a.data.dtype))
    # a singular matrix has condition number inf (PyTorch's answer too); the others in a
    # batch keep theirs
    a_inv, info = inv_ex(a)
    singular = info.data != 0
    if not singular.any():
        return matrix_norm(a, p) * matrix_norm(a_inv, p)
    eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.data.dtype), a.data.shape)
    ok = singular[..., None, None]
    safe = Tensor._wrap(np.where(ok, eye, a.data))
    out = matrix_norm(safe, p) * matrix_norm(inv(safe), p)
    return Tensor._wrap(np.where(singular, np.inf, out.data).astype(a.data.dtype))


def solve_ex(A, B, *, left: bool = True, check_errors: bool = False):  # noqa: N803
    """(result, info): ``solve`` that reports a singular matrix in ``info`` (nonzero, and the
    result nan for that matrix) instead of raising, unless ``check_errors``."""
    try:
        x = _solve(A, B, left, "linalg.solve_ex")
    except LinAlgError:
        if check_errors:
            raise
        a = _square(A, "linalg.solve_ex")
        info = inv_ex(a).info
        return SolveEx(_solve_nan(a, B, left, info.data), info)
    info = np.zeros(tuple(_as_tensor(A).shape[:-2]), np.int32)
    return SolveEx(x, Tensor._wrap(info))


def _solve_nan(a, B, left, info):  # noqa: N803
    """The solution with the singular matrices' results set to nan."""
    eye = np.broadcast_to(np.eye(a.shape[-1], dtype=a.data.dtype), a.data.shape)
    bad = (info != 0)[..., None, None]
    x = solve(Tensor._wrap(np.where(bad, eye, a.data)), B, left=left).detach()
    mask = bad if x.ndim == a.ndim else bad[..., 0]
    return Tensor._wrap(np.where(mask, np.nan, x.data))


def vander(x, *, N=None) -> Tensor:  # noqa: N803
    """``(..., n) -> (..., n, N)``: the powers x⁰, x¹, ..., x^(N-1) (N defaults to n)."""
    from .ops.shape import stack

    t = _as_tensor(x)
    if t.data.dtype == np.bool_:
        raise DtypeError("linalg.vander: x must be a floating point or integer tensor, got bool")
    if t.ndim == 0:
        raise ArgumentError("linalg.vander: x must have at least 1 dimension")
    n = t.shape[-1] if N is None else int(N)
    if n <= 1:  # PyTorch's rule too (x of one element needs N=2 or more)
        raise ArgumentError(f"linalg.vander: N must be greater than 1, got N={n}"
                            f"{' (the size of x)' if N is None else ''}")
    cols = [Tensor._wrap(np.ones(tuple(t.shape), t.data.dtype))]
    for _ in range(n - 1):
        cols.append(cols[-1] * t)
    return stack(cols, -1)
