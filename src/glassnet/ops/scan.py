"""Scans, products, sorting and logical reductions: cumsum cumprod prod sort argsort topk
msort unique all any.

Derivatives:
- cumsum: each input feeds every later output, so gx = the reversed cumulative sum of gy.
- prod: ∂/∂x_k = the product of all the other elements. Computed as (product of those
  before k) · (product of those after k), which stays exact when elements are 0.
- cumprod: gx_k = P_{<k} · S_k with S_k = Σ_{j≥k} gy_j Π_{k<i≤j} x_i (S_k = gy_k +
  x_{k+1} S_{k+1}); without zeros this is the reversed cumulative sum of gy·y, divided by x.
- sort / topk values: each value came from one input position; the gradient goes back
  there (scattered by the indices).
"""

from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..autograd import Function
from ..backend import xp
from ..tensor import Tensor
from ._registry import op
from ._util import norm_axis, norm_dim

__all__ = ["cumsum", "cumprod", "prod", "sort", "argsort", "msort", "topk", "unique", "all",
           "any"]

SortResult = namedtuple("sort", ["values", "indices"])
TopkResult = namedtuple("topk", ["values", "indices"])


def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _axis(dim, x: Tensor, what: str) -> int:
    if dim is None:
        raise TypeError(f"{what}: dim is required")
    return norm_axis(int(dim), max(x.ndim, 1), what)


def _out_dtype(x: Tensor, dtype, what: str):
    """PyTorch's rule for sums and products: integers and bools accumulate in int64."""
    if dtype is not None:
        from ..dtypes import to_numpy

        return to_numpy(dtype, what)
    k = x.data.dtype.kind
    return np.dtype(np.int64) if k in "biu" else x.data.dtype


# --- cumulative sums and products --------------------------------------------------------
class CumsumOp(Function):
    name, formula = "cumsum", 1.0

    def forward(self, x, dim):
        self.dim = dim
        return xp.cumsum(x, axis=dim)

    def backward(self, gy):
        d = self.dim
        return xp.flip(xp.cumsum(xp.flip(gy, d), axis=d), d)


@op(inplace="cumsum_", records=CumsumOp)
def cumsum(input, dim: int, *, dtype=None) -> Tensor:  # noqa: A002 - PyTorch's names
    """Running sum along ``dim``: ``out[i] = x[0] + ... + x[i]``. Integers give int64."""
    x = _tensor(input)
    d = _axis(dim, x, "cumsum")
    dt = _out_dtype(x, dtype, "cumsum")
    if x.ndim == 0:
        return cumsum(x.reshape(1), 0, dtype=dtype).reshape(())
    if dt != x.data.dtype:
        x = x._cast(dt) if dt.kind == "f" else Tensor._wrap(x.data.astype(dt))
    return CumsumOp.apply(x, d)


def _exclusive_cumprod(x, axis):
    """[1, x0, x0·x1, ...] along ``axis`` (the product of the elements before each)."""
    c = xp.cumprod(x, axis=axis)
    pad = [(0, 0)] * x.ndim
    pad[axis] = (1, 0)
    c = xp.pad(c, pad, constant_values=1)
    return xp.take(c, xp.arange(x.shape[axis]), axis=axis)


class CumprodOp(Function):
    name, formula = "cumprod", "Π of the other factors in each running product"

    def forward(self, x, dim):
        self.x, self.dim = x, dim
        self.y = xp.cumprod(x, axis=dim)
        return self.y

    def backward(self, gy):
        x, d = self.x, self.dim
        if not (x == 0).any():
            r = xp.flip(xp.cumsum(xp.flip(gy * self.y, d), axis=d), d)
            return r / x
        # S_k = gy_k + x_{k+1} S_{k+1}, from the end; then gx_k = (Π_{i<k} x_i) S_k
        xm = xp.moveaxis(x, d, -1)
        gm = xp.moveaxis(gy, d, -1)
        s = xp.empty_like(gm)
        s[..., -1] = gm[..., -1]
        for k in range(xm.shape[-1] - 2, -1, -1):
            s[..., k] = gm[..., k] + xm[..., k + 1] * s[..., k + 1]
        g = _exclusive_cumprod(xm, -1) * s
        return xp.moveaxis(g, -1, d)


@op(inplace="cumprod_", records=CumprodOp)
def cumprod(input, dim: int, *, dtype=None) -> Tensor:  # noqa: A002
    """Running product along ``dim``: ``out[i] = x[0]·...·x[i]``. Integers give int64."""
    x = _tensor(input)
    d = _axis(dim, x, "cumprod")
    dt = _out_dtype(x, dtype, "cumprod")
    if x.ndim == 0:
        return cumprod(x.reshape(1), 0, dtype=dtype).reshape(())
    if dt != x.data.dtype:
        x = x._cast(dt) if dt.kind == "f" else Tensor._wrap(x.data.astype(dt))
    return CumprodOp.apply(x, d)


class ProdOp(Function):
    name, formula = "prod", "Π of the other elements"

    def forward(self, x, axis, keepdim):
        self.x, self.axis, self.keepdim = x, axis, keepdim
        return xp.prod(x, axis=axis, keepdims=keepdim)

    def backward(self, gy):
        x, axis = self.x, self.axis
        if axis is None:
            flat = x.reshape(-1)
            others = _exclusive_cumprod(flat, 0) * xp.flip(
                _exclusive_cumprod(xp.flip(flat, 0), 0), 0)
            return gy * others.reshape(x.shape)
        before = _exclusive_cumprod(x, axis)
        after = xp.flip(_exclusive_cumprod(xp.flip(x, axis), axis), axis)
        if not self.keepdim:
            gy = xp.expand_dims(gy, axis)
        return gy * before * after


@op(records=ProdOp)
def prod(input, dim: int | None = None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A002
    """Product of all elements, or along ``dim``; ∂/∂x_k = the product of the others
    (exact with zeros). Integers and bools give int64."""
    x = _tensor(input)
    dt = _out_dtype(x, dtype, "prod")
    if dt != x.data.dtype:
        x = x._cast(dt) if dt.kind == "f" else Tensor._wrap(x.data.astype(dt))
    if dim is None:
        if keepdim:
            raise TypeError("prod: keepdim needs dim")
        return ProdOp.apply(x, None, False)
    if x.ndim == 0:
        norm_axis(int(dim), 1, "prod")
        return ProdOp.apply(x, None, False)
    return ProdOp.apply(x, _axis(dim, x, "prod"), bool(keepdim))


# --- sorting -----------------------------------------------------------------------------
def _argsort(a: np.ndarray, axis: int, descending: bool) -> np.ndarray:
    """Stable argsort; descending keeps equal elements in their original order and puts
    NaN first (PyTorch's order), ascending puts NaN last."""
    if not descending:
        return xp.argsort(a, axis=axis, kind="stable")
    n = a.shape[axis]
    rev = xp.argsort(xp.flip(a, axis), axis=axis, kind="stable")
    return (n - 1) - xp.flip(rev, axis)


class TakeAlongOp(Function):
    """Values picked along ``dim`` at ``idx`` (sort, topk); backward scatters them back."""

    name, formula = "sort", 1.0

    def forward(self, x, idx, dim):
        self.shape, self.idx, self.dim = x.shape, idx, dim
        return xp.take_along_axis(x, idx, axis=dim)

    def backward(self, gy):
        g = xp.zeros(self.shape, gy.dtype)
        xp.put_along_axis(g, self.idx, gy, axis=self.dim)
        return g, None


class TopkValues(TakeAlongOp):
    name = "topk"


def _take(cls, x: Tensor, idx: np.ndarray, d: int) -> Tensor:
    return cls.apply(x, idx, d)


@op(records=TakeAlongOp)
def sort(input, dim: int = -1, descending: bool = False, stable: bool = False):  # noqa: A002
    """Sorted values and their original indices along ``dim``: a ``(values, indices)``
    named tuple. Always stable (equal elements keep their order); NaN sorts as the largest.
    The gradient of ``values`` flows back to the positions they came from."""
    x = _tensor(input)
    if x.ndim == 0:
        norm_axis(int(dim), 1, "sort")
        return SortResult(_take(TakeAlongOp, x.reshape(1), np.zeros(1, np.int64), 0).reshape(()),
                          Tensor._wrap(np.zeros((), np.int64)))
    d = _axis(dim, x, "sort")
    idx = _argsort(x.data, d, bool(descending))
    return SortResult(_take(TakeAlongOp, x, idx, d), Tensor._wrap(idx.astype(np.int64)))


@op()
def argsort(input, dim: int = -1, descending: bool = False, stable: bool = False) -> Tensor:  # noqa: A002
    """The indices that sort ``input`` along ``dim`` (int64; stable)."""
    x = _tensor(input)
    if x.ndim == 0:
        norm_axis(int(dim), 1, "argsort")
        return Tensor._wrap(np.zeros((), np.int64))
    d = _axis(dim, x, "argsort")
    return Tensor._wrap(_argsort(x.data, d, bool(descending)).astype(np.int64))


@op()
def msort(input) -> Tensor:  # noqa: A002
    """Sorted along the first dim (``sort(input, 0).values``)."""
    return sort(input, 0).values


@op(records=TopkValues)
def topk(input, k: int, dim: int = -1, largest: bool = True, sorted: bool = True):  # noqa: A002
    """The ``k`` largest (or smallest) elements along ``dim`` and their indices, as a
    ``(values, indices)`` named tuple, largest first. Ties keep the earlier element first."""
    x = _tensor(input)
    d = _axis(dim, x, "topk")
    n = x.shape[d] if x.ndim else 1
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 0 <= k <= n:
        raise ValueError(f"topk: k ({k}) must be an int in [0, {n}] (the size of dim {dim})")
    if x.ndim == 0:
        return TopkResult(x.clone() if k else x.reshape(1)[:0],
                          Tensor._wrap(np.zeros((), np.int64) if k else np.zeros(0, np.int64)))
    idx = _argsort(x.data, d, bool(largest))
    idx = xp.take(idx, xp.arange(int(k)), axis=d)
    return TopkResult(_take(TopkValues, x, idx, d), Tensor._wrap(idx.astype(np.int64)))


@op()
def unique(input, sorted: bool = True, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, dim: int | None = None):
    """The distinct elements (sorted), optionally with the inverse indices (the input's
    shape; ``unique[inverse] == input``) and the counts. With ``dim``, distinct slices."""
    x = _tensor(input)
    a = x.data
    if dim is None:
        vals, inv, cnt = np.unique(a, return_inverse=True, return_counts=True)
        inv = inv.reshape(a.shape)
    else:
        d = norm_axis(int(dim), a.ndim, "unique")
        vals, inv, cnt = np.unique(a, return_inverse=True, return_counts=True, axis=d)
        inv = inv.reshape(-1)
    out = [Tensor._wrap(vals)]
    if return_inverse:
        out.append(Tensor._wrap(inv.astype(np.int64)))
    if return_counts:
        out.append(Tensor._wrap(cnt.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


# --- logical reductions ------------------------------------------------------------------
def _logical(fn, what, input, dim, keepdim):
    x = _tensor(input)
    a = x.data
    if dim is None:
        if keepdim:
            r = fn(a.astype(bool), axis=None, keepdims=True)
        else:
            r = fn(a.astype(bool))
        return Tensor._wrap(xp.asarray(r))
    if a.ndim == 0:
        norm_dim(dim, 1, what)
        return Tensor._wrap(xp.asarray(fn(a.astype(bool))))
    axes = norm_dim(dim, a.ndim, what)
    return Tensor._wrap(xp.asarray(fn(a.astype(bool), axis=axes, keepdims=bool(keepdim))))


@op()
def all(input, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001,A002
    """True where every element (along ``dim``) is non-zero; a bool tensor."""
    return _logical(xp.all, "all", input, dim, keepdim)


@op()
def any(input, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A001,A002
    """True where some element (along ``dim``) is non-zero; a bool tensor."""
    return _logical(xp.any, "any", input, dim, keepdim)
