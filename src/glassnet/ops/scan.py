"""Scans, products, sorting, order statistics and logical reductions: cumsum cumprod prod
sort argsort topk msort unique unique_consecutive all any median nanmedian quantile
nanquantile kthvalue mode.

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

import math
from collections import namedtuple

import numpy as np

from ..autograd import Function
from ..backend import xp
from ..errors import ArgumentError, DtypeError
from ..tensor import Tensor
from ._registry import op
from ._util import norm_axis, norm_dim

__all__ = ["cumsum", "cumprod", "prod", "sort", "argsort", "msort", "topk", "unique", "all",
           "any", "median", "nanmedian", "quantile", "nanquantile", "kthvalue", "mode",
           "unique_consecutive"]

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


def _in_dtype(input, dtype, what: str) -> Tensor:
    """The input converted to the accumulation dtype (:func:`_out_dtype`)."""
    x = _tensor(input)
    dt = _out_dtype(x, dtype, what)
    if dt != x.data.dtype:
        x = x._cast(dt) if dt.kind == "f" else Tensor._wrap(x.data.astype(dt))
    return x


def _scan(cls, input, dim, dtype, what: str) -> Tensor:
    x = _in_dtype(input, dtype, what)
    d = _axis(dim, x, what)
    if x.ndim == 0:
        return cls.apply(x.reshape(1), 0).reshape(())
    return cls.apply(x, d)


@op(inplace="cumsum_", records=CumsumOp)
def cumsum(input, dim: int, *, dtype=None) -> Tensor:  # noqa: A002 - PyTorch's names
    """Running sum along ``dim``: ``out[i] = x[0] + ... + x[i]``. Integers give int64."""
    return _scan(CumsumOp, input, dim, dtype, "cumsum")


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
    return _scan(CumprodOp, input, dim, dtype, "cumprod")


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
    x = _in_dtype(input, dtype, "prod")
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
        raise ArgumentError(f"topk: k ({k}) must be an int in [0, {n}] (the size of dim {dim})")
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


@op()
def unique_consecutive(input, return_inverse: bool = False, return_counts: bool = False,  # noqa: A002
                       dim: int | None = None):
    """Each run of equal consecutive elements (or slices along ``dim``) collapsed to one,
    optionally with the inverse indices and the run lengths."""
    x = _tensor(input)
    a = x.data
    if dim is None:
        flat = a.reshape(-1)
        change = flat[1:] != flat[:-1]
    else:
        d = norm_axis(int(dim), max(a.ndim, 1), "unique_consecutive")
        flat = xp.moveaxis(a, d, 0)
        change = (flat[1:] != flat[:-1]).reshape(max(flat.shape[0] - 1, 0),
                                                  math.prod(flat.shape[1:])).any(axis=1)
    starts = xp.concatenate([[True], change]) if flat.shape[0] else xp.zeros(0, bool)
    inv = xp.cumsum(starts) - 1
    first = xp.flatnonzero(starts)
    vals = flat[first] if dim is None else xp.moveaxis(flat[first], 0, d)
    out = [Tensor._wrap(xp.ascontiguousarray(vals))]
    if return_inverse:
        out.append(Tensor._wrap(inv.reshape(a.shape if dim is None else -1).astype(np.int64)))
    if return_counts:
        out.append(Tensor._wrap(xp.diff(xp.append(first, flat.shape[0])).astype(np.int64)))
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


# --- order statistics, running extremes, counts --------------------------------------------
MedianResult = namedtuple("median", ["values", "indices"])
NanmedianResult = namedtuple("nanmedian", ["values", "indices"])
ModeResult = namedtuple("mode", ["values", "indices"])
KthvalueResult = namedtuple("kthvalue", ["values", "indices"])
CummaxResult = namedtuple("cummax", ["values", "indices"])
CumminResult = namedtuple("cummin", ["values", "indices"])
AminmaxResult = namedtuple("aminmax", ["min", "max"])


def _pick(x: Tensor, idx: np.ndarray, d: int) -> Tensor:
    """x's values at ``idx`` along ``d`` (gradients add up where an index repeats)."""
    from .indexing import GatherOp, _grid

    return GatherOp.apply(x, d, _grid(idx, d))


def _kth(x: Tensor, k, dim, keepdim: bool, cls, what: str, nan: str = "last"):
    """The ``k``-th smallest element (0-based) along ``dim`` (of all elements for None:
    the value alone) and its index. ``nan`` says what NaN does: "last" (it counts as the
    largest value: kthvalue), "propagate" (a row holding one gives its first NaN: median),
    "omit" (``k`` is a function of the count of the other values: nanmedian)."""
    if dim is None:
        flat = x.reshape(-1)
        idx = _kth_index(flat.data, k, 0, nan)
        return _pick(flat, idx, 0).reshape(())
    if x.ndim == 0:
        norm_axis(int(dim), 1, what)
        return cls(x.clone(), Tensor._wrap(np.zeros((), np.int64)))
    d = _axis(dim, x, what)
    idx = _kth_index(x.data, k, d, nan)
    vals = _pick(x, idx, d)
    if not keepdim:
        vals, idx = vals.squeeze(d), idx.squeeze(d)
    return cls(vals, Tensor._wrap(idx.astype(np.int64)))


def _kth_index(a: np.ndarray, k, d: int, nan: str) -> np.ndarray:
    """Index along ``d`` (kept, size 1) of the element of sorted rank ``k`` in each row;
    NaN sorts last, in its original order."""
    order = _argsort(a, d, False)
    if nan == "last" or a.dtype.kind != "f":
        return xp.take(order, [k(a.shape[d]) if callable(k) else k], axis=d)
    nans = xp.isnan(a).sum(axis=d, keepdims=True)
    valid = a.shape[d] - nans
    if nan == "propagate":
        rank = xp.where(nans > 0, valid, k)
    else:  # "omit": a row of NaN only gives its first NaN
        rank = xp.where(valid > 0, k(valid), 0)
    return xp.take_along_axis(order, rank, axis=d)


def _empty_median(x: Tensor, dim, what: str) -> Tensor:
    """The median of no elements: NaN for all of them (dim None), as PyTorch; an empty
    reduction dim is an IndexError there too."""
    if dim is not None:
        raise IndexError(f"{what}: cannot reduce over dim {dim} of size 0 (input shape "
                         f"{tuple(x.shape)})")
    if x.data.dtype.kind != "f":
        raise ArgumentError(f"{what}: the input is empty and an integer tensor has no NaN "
                            f"to return")
    return Tensor._wrap(np.full((), np.nan, x.data.dtype))


@op()
def median(input, dim: int | None = None, keepdim: bool = False):  # noqa: A002
    """The median (the lower of the two middle values for an even count, as PyTorch);
    along ``dim``: a ``(values, indices)`` named tuple. The gradient goes to the chosen
    element."""
    x = _tensor(input)
    n = x.data.size if dim is None else (x.shape[_axis(dim, x, "median")] if x.ndim else 1)
    if n == 0:
        return _empty_median(x, dim, "median")
    return _kth(x, (n - 1) // 2, dim, keepdim, MedianResult, "median", nan="propagate")


@op()
def nanmedian(input, dim: int | None = None, keepdim: bool = False):  # noqa: A002
    """:func:`median` of the values that are not NaN (NaN where a row has none)."""
    x = _tensor(input)
    n = x.data.size if dim is None else (x.shape[_axis(dim, x, "nanmedian")] if x.ndim else 1)
    if n == 0:
        return _empty_median(x, dim, "nanmedian")
    return _kth(x, lambda valid: (valid - 1) // 2, dim, keepdim, NanmedianResult, "nanmedian",
                nan="omit")


@op()
def mode(input, dim: int = -1, keepdim: bool = False):  # noqa: A002
    """The most frequent value along ``dim`` (the smallest of those tied) and the index of
    its last occurrence: a ``(values, indices)`` named tuple; the gradient goes there."""
    x = _tensor(input)
    if x.ndim == 0:
        norm_axis(int(dim), 1, "mode")
        return ModeResult(x.clone(), Tensor._wrap(np.zeros((), np.int64)))
    d = _axis(dim, x, "mode")
    if x.shape[d] == 0:
        raise IndexError(f"mode: cannot reduce over dim {dim} of size 0 (input shape "
                         f"{tuple(x.shape)})")
    a = xp.moveaxis(x.data, d, -1)
    rows, n = a.shape[:-1], a.shape[-1]
    a2 = a.reshape(-1, n)
    order = _argsort(a2, 1, False)
    srt = xp.take_along_axis(a2, order, axis=1)
    starts = xp.concatenate([xp.ones((len(a2), 1), bool), srt[:, 1:] != srt[:, :-1]], axis=1)
    run = xp.cumsum(starts, axis=1) - 1
    counts = xp.bincount((run + n * xp.arange(len(a2))[:, None]).ravel(),
                         minlength=len(a2) * n).reshape(-1, n)
    best = counts.argmax(axis=1)  # the first of the longest runs: the smallest value
    last = xp.where(run == best[:, None], order, -1).max(axis=1)
    idx = xp.moveaxis(last.reshape(rows + (1,)), -1, d)
    vals = _pick(x, idx, d)
    if not keepdim:
        vals, idx = vals.squeeze(d), idx.squeeze(d)
    return ModeResult(vals, Tensor._wrap(idx.astype(np.int64)))


_INTERPOLATIONS = ("linear", "lower", "higher", "midpoint", "nearest")


def _quantile(input, q, dim, keepdim: bool, interpolation: str, omit_nan: bool, what: str):  # noqa: A002
    """The ``q``-quantiles along ``dim``: sorted values at rank ``q * (count - 1)``, between
    two ranks as ``interpolation`` says. Built from sort and gather, so the gradient goes
    to the one or two elements each quantile was read from."""
    x = _tensor(input)
    if x.data.dtype.kind != "f":
        raise DtypeError(f"{what}: input must be a floating tensor (float32 or float64), got "
                        f"dtype {x.data.dtype}")
    if interpolation not in _INTERPOLATIONS:
        raise ArgumentError(f"{what}: interpolation must be one of {', '.join(_INTERPOLATIONS)}, "
                         f"got {interpolation!r}")
    if isinstance(q, Tensor) and q.data.dtype != x.data.dtype:
        raise DtypeError(f"{what}: q must have the input's dtype {x.data.dtype}, got "
                         f"{q.data.dtype}")
    qa = np.asarray(q.data if isinstance(q, Tensor) else q, dtype=x.data.dtype)  # ranks in
    # the input's precision, as PyTorch: 0.1 * 5 is 0.5 there, not 0.5000000075
    if qa.ndim > 1:
        raise ArgumentError(f"{what}: q must be a number or a 1-D tensor, got shape {qa.shape}")
    if qa.size and not (np.all(qa >= 0) and np.all(qa <= 1)):
        raise ArgumentError(f"{what}: q must be in the range [0, 1], got {qa.tolist()}")
    if x.data.size == 0:
        raise ArgumentError(f"{what}: the input is empty")
    if dim is None or x.ndim == 0:
        d = 0 if dim is None else norm_axis(int(dim), 1, what)
        rows = x.reshape(-1)
    else:
        d = _axis(dim, x, what)
        rows = x.movedim(d, -1)
    n = rows.shape[-1]
    srt = sort(rows, -1).values  # NaN last
    nans = xp.isnan(srt.data).sum(axis=-1, keepdims=True)
    count = n - nans if omit_nan else np.full_like(nans, n)
    rank = qa.reshape(-1) * (count - 1).astype(qa.dtype)  # (*rows, len(q))
    lo, hi = np.floor(rank), np.ceil(rank)
    if interpolation == "lower":
        hi = lo
    elif interpolation == "higher":
        lo = hi
    elif interpolation == "nearest":
        lo = hi = np.round(rank)  # halves to even, as PyTorch
    vlo = srt.gather(-1, Tensor._wrap(np.clip(lo, 0, n - 1).astype(np.int64)))
    if interpolation == "linear" or interpolation == "midpoint":
        vhi = srt.gather(-1, Tensor._wrap(np.clip(hi, 0, n - 1).astype(np.int64)))
        w = rank - lo if interpolation == "linear" else np.full_like(rank, 0.5)
        out = vlo + (vhi - vlo) * Tensor._wrap(w.astype(x.data.dtype))
    else:
        out = vlo
    undefined = (count == 0) if omit_nan else (nans > 0)
    if undefined.any():
        out = out.masked_fill(Tensor._wrap(np.broadcast_to(undefined, out.shape)), float("nan"))
    out = out[..., 0] if qa.ndim == 0 else out.movedim(-1, 0)
    if keepdim:
        lead = out.shape[:1] if qa.ndim else ()
        if dim is None:
            out = out.reshape(lead + (1,) * x.ndim)
        elif x.ndim:
            out = out.unsqueeze(d + len(lead))
    return out


@op()
def quantile(input, q, dim: int | None = None, keepdim: bool = False, *,  # noqa: A002
             interpolation: str = "linear") -> Tensor:
    """The ``q``-quantiles of ``input`` (of all elements, or along ``dim``); ``q`` is a
    number or a 1-D tensor of numbers in [0, 1] (a leading dim of that length). A row
    holding NaN gives NaN. ``interpolation``: linear, lower, higher, midpoint, nearest."""
    return _quantile(input, q, dim, keepdim, interpolation, False, "quantile")


@op()
def nanquantile(input, q, dim: int | None = None, keepdim: bool = False, *,  # noqa: A002
                interpolation: str = "linear") -> Tensor:
    """:func:`quantile` of the values that are not NaN (NaN where a row has none)."""
    return _quantile(input, q, dim, keepdim, interpolation, True, "nanquantile")


@op()
def kthvalue(input, k: int, dim: int = -1, keepdim: bool = False):  # noqa: A002
    """The ``k``-th smallest element (1-based) along ``dim`` and its index."""
    x = _tensor(input)
    n = x.shape[_axis(dim, x, "kthvalue")] if x.ndim else 1
    if not 1 <= int(k) <= n:
        raise ArgumentError(f"kthvalue: k ({k}) must be in [1, {n}]")
    return _kth(x, int(k) - 1, dim, keepdim, KthvalueResult, "kthvalue")


def _cumext(input, dim, better, cls, what):
    x = _tensor(input)
    if x.ndim == 0:
        norm_axis(int(dim), 1, what)
        return cls(x.clone(), Tensor._wrap(np.zeros((), np.int64)))
    d = _axis(dim, x, what)
    a = xp.moveaxis(x.data, d, -1)
    run = better.accumulate(a, axis=-1)
    prev = xp.concatenate([a[..., :1], run[..., :-1]], axis=-1)
    hit = (a == better(a, prev)) | xp.isnan(a)
    pos = xp.where(hit, xp.arange(a.shape[-1]), 0)
    idx = xp.moveaxis(xp.maximum.accumulate(pos, axis=-1), -1, d)
    return cls(_pick(x, idx, d), Tensor._wrap(idx.astype(np.int64)))


@op()
def cummax(input, dim: int):  # noqa: A002
    """Running maximum along ``dim`` and the index where it was reached (the latest on
    ties): a ``(values, indices)`` named tuple."""
    return _cumext(input, dim, xp.maximum, CummaxResult, "cummax")


@op()
def cummin(input, dim: int):  # noqa: A002
    """Running minimum along ``dim`` and the index where it was reached (the latest on
    ties)."""
    return _cumext(input, dim, xp.minimum, CumminResult, "cummin")


@op()
def logcumsumexp(input, dim: int) -> Tensor:  # noqa: A002
    """log(cumsum(exp(x))) along ``dim``, computed stably (shifted by the max)."""
    x = _tensor(input)
    d = _axis(dim, x, "logcumsumexp")
    if x.ndim == 0:
        return x.clone()
    m = xp.max(x.data, axis=d, keepdims=True)
    m = xp.where(xp.isfinite(m), m, 0)
    shift = Tensor._wrap(m)
    return (x - shift).exp().cumsum(d).log() + shift


@op()
def count_nonzero(input, dim=None) -> Tensor:  # noqa: A002
    """The number of non-zero elements (along ``dim``), int64."""
    a = _tensor(input).data
    axes = None if dim is None else norm_dim(dim, max(a.ndim, 1), "count_nonzero")
    if a.ndim == 0:
        axes = None
    return Tensor._wrap(xp.asarray(xp.count_nonzero(a, axis=axes)).astype(np.int64))


@op()
def nansum(input, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """Sum treating NaN as 0 (the gradient at a NaN is 0)."""
    x = _tensor(input)
    clean = x.masked_fill(Tensor._wrap(xp.isnan(x.data)), 0.0) if x.data.dtype.kind == "f" \
        else x
    return clean.sum() if dim is None else clean.sum(dim, keepdim)


@op()
def nanmean(input, dim=None, keepdim: bool = False) -> Tensor:  # noqa: A002
    """Mean of the non-NaN elements."""
    x = _tensor(input)
    n = (~xp.isnan(x.data)).sum(axis=None if dim is None else norm_dim(dim, x.ndim, "nanmean"),
                                keepdims=bool(keepdim) and dim is not None)
    return nansum(x, dim, keepdim) / Tensor._wrap(xp.asarray(n, dtype=x.data.dtype))


@op()
def aminmax(input, *, dim: int | None = None, keepdim: bool = False):  # noqa: A002
    """``(min, max)`` together, over everything or along ``dim``."""
    x = _tensor(input)
    if x.data.size == 0 and dim is None:  # (PyTorch's kinds: RuntimeError, IndexError)
        raise ArgumentError(f"aminmax: cannot reduce an empty tensor (shape "
                            f"{tuple(x.shape)}): min and max have no identity")
    if x.data.size == 0 and x.ndim and x.shape[_axis(dim, x, "aminmax")] == 0:
        raise IndexError(f"aminmax: expected reduction dim {dim} to have non-zero size "
                         f"(input shape {tuple(x.shape)})")
    if dim is None:
        return AminmaxResult(x.amin(), x.amax())
    return AminmaxResult(x.amin(dim, keepdim), x.amax(dim, keepdim))


@op()
def std_mean(input, dim=None, unbiased=None, keepdim: bool = False, *,  # noqa: A002
             correction=None) -> tuple:
    """``(std, mean)`` in one call."""
    x = _tensor(input)
    return (x.std(dim, unbiased, keepdim, correction=correction), x.mean(dim, keepdim))


@op()
def var_mean(input, dim=None, unbiased=None, keepdim: bool = False, *,  # noqa: A002
             correction=None) -> tuple:
    """``(var, mean)`` in one call."""
    x = _tensor(input)
    return (x.var(dim, unbiased, keepdim, correction=correction), x.mean(dim, keepdim))


@op()
def diff(input, n: int = 1, dim: int = -1, prepend=None, append=None) -> Tensor:  # noqa: A002
    """The ``n``-th forward difference along ``dim``: ``x[i+1] - x[i]``."""
    from . import shape as _shape

    x = _tensor(input)
    if x.ndim == 0:
        raise ArgumentError("diff: expects a tensor of at least 1 dim, got a 0-d tensor")
    if int(n) < 0:
        raise ArgumentError(f"diff: the order n must be non-negative, got {n}")
    d = _axis(dim, x, "diff")
    parts = [p if isinstance(p, Tensor) else Tensor(p) for p in (prepend,) if p is not None]
    parts += [x] + [p if isinstance(p, Tensor) else Tensor(p) for p in (append,)
                    if p is not None]
    if len(parts) > 1:
        x = _shape.cat(parts, d)
    lead = (slice(None),) * d
    for _ in range(int(n)):
        if x.data.dtype == np.bool_:
            x = Tensor._wrap(x.data[lead + (slice(1, None),)] ^ x.data[lead + (slice(None, -1),)])
        else:
            x = x[lead + (slice(1, None),)] - x[lead + (slice(None, -1),)]
    return x


@op()
def bincount(input, weights=None, minlength: int = 0) -> Tensor:  # noqa: A002
    """Counts of each value 0..max in a 1-D non-negative integer tensor (int64), or sums of
    ``weights`` per value."""
    a = _tensor(input).data
    if a.dtype.kind not in "iu":
        raise TypeError(f"bincount: expected a 1-D integer tensor, got dtype {a.dtype}")
    if a.ndim != 1:
        raise ArgumentError(f"bincount: expected a 1-D integer tensor, got shape {a.shape}")
    if a.size and a.min() < 0:
        raise ArgumentError("bincount: values must be non-negative")
    if weights is None:
        return Tensor._wrap(xp.bincount(a, minlength=minlength).astype(np.int64))
    w = weights.data if isinstance(weights, Tensor) else xp.asarray(weights)
    out = xp.bincount(a, weights=w, minlength=minlength)
    return Tensor._wrap(out.astype(w.dtype if w.dtype.kind == "f" else np.float64))


@op()
def histc(input, bins: int = 100, min: float = 0, max: float = 0) -> Tensor:  # noqa: A002
    """A histogram of ``bins`` equal bins over [min, max] (the data's range when both are
    0); elements outside are ignored. Same dtype as the input."""
    a = _tensor(input).data
    if int(bins) < 1:
        raise ArgumentError(f"histc: bins must be positive, got {bins}")
    lo, hi = float(min), float(max)
    if lo > hi:
        raise ArgumentError(f"histc: max must be larger than min, got min={min}, max={max}")
    if lo == hi and a.size:
        lo, hi = float(a.min()), float(a.max())
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ArgumentError(f"histc: the range [{lo}, {hi}] is not finite")
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    counts, _ = np.histogram(a, bins=int(bins), range=(lo, hi))
    return Tensor._wrap(counts.astype(a.dtype if a.dtype.kind == "f" else np.float32))


@op()
def searchsorted(sorted_sequence, input, *, out_int32: bool = False,  # noqa: A002
                 right: bool = False, side: str | None = None, sorter=None) -> Tensor:
    """For each value, the index where it would be inserted in the sorted last dim of
    ``sorted_sequence`` (``right=True``/``side="right"``: after equal elements)."""
    seq = _tensor(sorted_sequence).data
    vals = input.data if isinstance(input, Tensor) else xp.asarray(input)
    side = side or ("right" if right else "left")
    if sorter is not None:
        order = _tensor(sorter).data
        seq = xp.take_along_axis(seq, order, axis=-1)
    if seq.ndim == 1:
        out = xp.searchsorted(seq, vals, side=side)
    else:
        if seq.shape[:-1] != vals.shape[:-1]:
            raise ArgumentError(f"searchsorted: leading dims of the sequence {seq.shape} and "
                                f"the values {vals.shape} must match")
        s2, v2 = seq.reshape(-1, seq.shape[-1]), vals.reshape(-1, vals.shape[-1])
        out = xp.stack([xp.searchsorted(s, v, side=side) for s, v in zip(s2, v2)])
        out = out.reshape(vals.shape)
    return Tensor._wrap(xp.asarray(out).astype(np.int32 if out_int32 else np.int64))


@op()
def bucketize(input, boundaries, *, out_int32: bool = False, right: bool = False) -> Tensor:  # noqa: A002
    """The bucket of each element given 1-D sorted ``boundaries``: i with
    boundaries[i-1] < x ≤ boundaries[i] (``right=True``: boundaries[i-1] ≤ x < boundaries[i])."""
    b = _tensor(boundaries).data
    if b.ndim != 1:
        raise ArgumentError(f"bucketize: boundaries must be 1-D, got shape {b.shape}")
    x = input.data if isinstance(input, Tensor) else xp.asarray(input)
    out = xp.searchsorted(b, x, side="right" if right else "left")
    return Tensor._wrap(xp.asarray(out).astype(np.int32 if out_int32 else np.int64))
