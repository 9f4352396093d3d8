"""Reading and writing elements by index or mask: gather scatter scatter_add index_select
index_add masked_fill masked_select take take_along_dim nonzero argwhere.

The reading ops (gather, index_select, masked_select, take) have a backward that adds the
output gradient back into the positions read (an index read twice gets both
contributions); the writing ops (scatter, masked_fill) pass the gradient through where the
input survived and route the written positions' gradient to the source.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..backend import xp
from ..errors import ArgumentError, DtypeError, IndexBoundsError
from ..tensor import Tensor
from ._registry import op
from ._util import norm_axis, operand

__all__ = ["gather", "scatter", "scatter_add", "index_select", "index_add", "masked_fill",
           "masked_select", "take", "take_along_dim", "nonzero", "argwhere"]


def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _index(index, what: str) -> np.ndarray:
    a = index.data if isinstance(index, Tensor) else np.asarray(index)
    if a.dtype.kind not in "iu":
        raise DtypeError(f"{what}: index must be an integer tensor (int64), got dtype "
                         f"{a.dtype}")
    return a.astype(np.intp, copy=False)


def _check_bounds(idx: np.ndarray, n: int, what: str, dim) -> np.ndarray:
    if idx.size and (idx.min() < -n or idx.max() >= n):
        bad = idx[(idx < -n) | (idx >= n)].reshape(-1)[0]
        raise IndexError(f"{what}: index {int(bad)} is out of bounds for dim {dim} with size {n}")
    return np.where(idx < 0, idx + n, idx)


def _check_nonneg_bounds(idx: np.ndarray, n: int, what: str, dim) -> np.ndarray:
    """The bounds of gather, scatter, index_select, index_add and index_copy: ``0 <= index
    < n`` (a negative index is refused there, as in PyTorch, not counted from the end)."""
    if idx.size and (idx.min() < 0 or idx.max() >= n):
        bad = idx[(idx < 0) | (idx >= n)].reshape(-1)[0]
        raise IndexBoundsError(f"{what}: index {int(bad)} is out of bounds for dim {dim} with "
                               f"size {n} ({what} takes indices in [0, {n}); a negative one "
                               f"does not count from the end)")
    return idx


def _grid(index: np.ndarray, dim: int) -> tuple:
    """Full index tuple for positions ``(i0, ..., index[i], ..., ik)``: the scatter/gather
    addressing of PyTorch, for NumPy fancy indexing."""
    grids = list(np.indices(index.shape, sparse=True))
    grids[dim] = index
    return tuple(grids)


def _check_gather_shapes(x_shape, index, dim, what, other="input"):
    if index.ndim != len(x_shape):
        raise ArgumentError(
            f"{what}: index must have as many dims as {other} ({len(x_shape)}), got "
            f"{index.ndim} (shape {index.shape})"
        )
    for d, (ni, nx) in enumerate(zip(index.shape, x_shape)):
        if d != dim and ni > nx:
            raise ArgumentError(
                f"{what}: index shape {index.shape} is larger than {other} shape "
                f"{tuple(x_shape)} at dim {d}"
            )


# --- gather / scatter --------------------------------------------------------------------
class GatherOp(Function):
    """out[i][j][k] = x[i][index[i][j][k]][k] (dim = 1); backward adds gy back at index."""

    name, formula = "gather", 1.0

    def forward(self, x, dim, grid):
        self.shape, self.grid = x.shape, grid
        return x[grid]

    def backward(self, gy):
        g = xp.zeros(self.shape, gy.dtype)
        xp.add.at(g, self.grid, gy)
        return g


@op(records=GatherOp)
def gather(input, dim: int, index, *, sparse_grad: bool = False) -> Tensor:  # noqa: A002
    """Pick values along ``dim`` by ``index`` (same number of dims as input; the output has
    index's shape): ``out[i][j] = input[i][index[i][j]]`` for dim = 1."""
    x = _tensor(input)
    d = norm_axis(int(dim), max(x.ndim, 1), "gather")
    idx = _index(index, "gather")
    if x.ndim == 0:
        x, idx = x.reshape(1), idx.reshape(1) if idx.ndim == 0 else idx
    _check_gather_shapes(x.shape, idx, d, "gather")
    idx = _check_nonneg_bounds(idx, x.shape[d], "gather", dim)
    out = GatherOp.apply(x, d, _grid(idx, d))
    return out.reshape(()) if input is not x and np.ndim(index) == 0 else out


class ScatterOp(Function):
    """A copy of x with src written at index along dim; src is a Tensor or a number."""

    name, formula = "scatter", ("[not overwritten]", "[written to the output]")

    def forward(self, x, src, grid, src_grid, add):
        self.grid, self.src_grid, self.add = grid, src_grid, add
        self.src_shape = np.shape(src)
        out = x.copy()
        vals = src[src_grid] if src_grid is not None else src
        if add:
            xp.add.at(out, grid, vals)
        else:
            out[grid] = vals
        return out

    def backward(self, gy):
        gx = gy
        if not self.add:
            gx = gy.copy()
            gx[self.grid] = 0
        gs = None
        if self.src_grid is not None:
            gs = xp.zeros(self.src_shape, gy.dtype)
            gs[self.src_grid] = gy[self.grid]
        return gx, gs


def _scatter_target(input, dim, index, what: str):
    """``input`` as a Tensor, the checked index and the full grid it addresses along dim.
    A 0-d input or index counts as 1-D of one element (as PyTorch): the caller reshapes
    the result of a 0-d input back."""
    x = _tensor(input)
    d = norm_axis(int(dim), max(x.ndim, 1), what)
    idx = _index(index, what)
    if x.ndim == 0:
        x = x.reshape(1)
    if idx.ndim == 0:
        idx = idx.reshape(1)
    _check_gather_shapes(x.shape, idx, d, what, "self")
    idx = _check_nonneg_bounds(idx, x.shape[d], what, dim)
    return x, idx, _grid(idx, d)


def _scatter_source(s: Tensor, x: Tensor, idx: np.ndarray, what: str) -> tuple:
    """``s`` (a 0-d one as 1-D) and the grid that reads it at the index's positions, after
    checking its shape and dtype against the target ``x``."""
    if s.ndim == 0:
        s = s.reshape(1)
    _check_gather_shapes(s.shape, idx, -1, what, "src")
    if s.data.dtype != x.data.dtype:
        raise DtypeError(f"{what}: self ({x.data.dtype}) and src ({s.data.dtype}) must "
                         f"have the same dtype")
    return s, tuple(np.indices(idx.shape, sparse=True))


def _scatter(input, dim, index, src, add: bool, what: str):
    x0 = _tensor(input)
    x, idx, grid = _scatter_target(x0, dim, index, what)
    if isinstance(src, Tensor) or isinstance(src, np.ndarray):
        s = src if isinstance(src, Tensor) else Tensor._wrap(src)
        s, src_grid = _scatter_source(s, x, idx, what)
        out = ScatterOp.apply(x, s, grid, src_grid, add)
    else:
        value = operand(src, x)
        if add:
            raise TypeError(f"{what}: src must be a tensor")
        out = ScatterOp.apply(x, xp.asarray(value, dtype=x.data.dtype), grid, None, False)
    return out.reshape(()) if x0.ndim == 0 else out


@op(inplace="scatter_", records=ScatterOp)
def scatter(input, dim: int, index, src=None, *, value=None, reduce=None) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``src`` (a tensor, read at the same positions as index, or
    a number ``value``) written along ``dim`` at ``index``: ``out[i][index[i][j]] =
    src[i][j]`` for dim = 1. Where index repeats a position the last write wins."""
    if reduce is not None:
        if reduce != "add":
            raise ArgumentError(f"scatter: reduce={reduce!r} is not supported (use 'add' or "
                             f"scatter_add)")
        return _scatter(input, dim, index, src if src is not None else value, True, "scatter")
    if src is None:
        if value is None:
            raise TypeError("scatter: give src (a tensor) or value (a number)")
        src = value
    return _scatter(input, dim, index, src, False, "scatter")


@op(inplace="scatter_add_", records=ScatterOp)
def scatter_add(input, dim: int, index, src) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``src`` added along ``dim`` at ``index`` (repeated positions
    add up): ``out[i][index[i][j]] += src[i][j]`` for dim = 1."""
    return _scatter(input, dim, index, src, True, "scatter_add")


class ScatterReduceOp(Function):
    """A copy of x where each position that index names is reduced (sum, prod, mean,
    amax, amin) over the src values sent there, and x's own value unless include_self is
    False. The gradient of amax/amin is shared evenly among the values equal to the
    result; that of prod is the product of the other values (exact with zeros)."""

    name = "scatter_reduce"
    formula = ("∂reduce/∂self", "∂reduce/∂src")

    _UFUNC = {"sum": xp.add, "mean": xp.add, "prod": xp.multiply, "amax": xp.maximum,
              "amin": xp.minimum}

    def forward(self, x, src, grid, src_grid, reduce, include_self):
        self.grid, self.src_grid, self.reduce, self.inc = grid, src_grid, reduce, include_self
        vals = src[src_grid]
        hit = xp.zeros(x.shape, bool)
        hit[grid] = True
        out = x.copy()
        if not include_self:
            ident = {"sum": 0, "mean": 0, "prod": 1, "amax": -xp.inf, "amin": xp.inf}[reduce]
            if x.dtype.kind != "f" and reduce in ("amax", "amin"):
                info = xp.iinfo(x.dtype)
                ident = info.min if reduce == "amax" else info.max
            out[hit] = ident
        self._UFUNC[reduce].at(out, grid, vals)
        count = None
        if reduce == "mean":
            count = xp.zeros(x.shape, xp.int64)
            xp.add.at(count, grid, 1)
            count = count + (1 if include_self else 0)
            div = xp.maximum(count, 1)
            out = out / div if x.dtype.kind == "f" else out // div
            out = out.astype(x.dtype, copy=False)
        self.x, self.vals, self.out, self.hit, self.count = x, vals, out, hit, count
        return out

    def backward(self, gy):
        grid, hit, red = self.grid, self.hit, self.reduce
        x, vals, out = self.x, self.vals, self.out
        keep = xp.where(hit, 0, gy)  # positions no index names: the input passes through
        if red == "sum":
            gx, gs = (gy if self.inc else keep), gy[grid]
        elif red == "mean":
            g = gy / xp.maximum(self.count, 1)
            gx, gs = (xp.where(hit, g, gy) if self.inc else keep), g[grid]
        elif red in ("amax", "amin"):
            n = xp.zeros(x.shape, gy.dtype)
            xp.add.at(n, grid, (vals == out[grid]).astype(gy.dtype))
            self_eq = hit & (x == out) if self.inc else xp.zeros_like(hit)
            n = n + self_eq
            g = gy / xp.maximum(n, 1)
            gx = xp.where(self_eq, g, keep)
            gs = xp.where(vals == out[grid], g[grid], 0)
        else:  # prod: each value's derivative is the product of the others at its position
            zeros = xp.zeros(x.shape, xp.int64)
            nonzero = xp.where(hit & self.inc & (x != 0), x, 1).astype(gy.dtype) \
                if self.inc else xp.ones(x.shape, gy.dtype)
            if self.inc:
                zeros += hit & (x == 0)
            xp.add.at(zeros, grid, (vals == 0).astype(xp.int64))
            xp.multiply.at(nonzero, grid, xp.where(vals == 0, 1, vals).astype(gy.dtype))

            def others(v, z_at, nz_at):
                v = v.astype(gy.dtype)
                safe = xp.where(v == 0, 1, v)
                return xp.where(z_at == 0, nz_at / safe,
                                xp.where((z_at == 1) & (v == 0), nz_at, 0))

            gs = gy[grid] * others(vals, zeros[grid], nonzero[grid])
            gx = xp.where(hit, gy * others(x, zeros, nonzero), gy) if self.inc else keep
        return gx, gs


_REDUCTIONS = ("sum", "prod", "mean", "amax", "amin")


@op(inplace="scatter_reduce_", records=ScatterReduceOp)
def scatter_reduce(input, dim: int, index, src, reduce: str, *,  # noqa: A002
                   include_self: bool = True) -> Tensor:
    """A copy of ``input`` where each position ``index`` names along ``dim`` becomes the
    ``reduce`` ("sum", "prod", "mean", "amax", "amin") of the ``src`` values sent there
    (and of its own value, unless ``include_self=False``)."""
    reduce = {"max": "amax", "min": "amin"}.get(reduce, reduce)  # PyTorch accepts both
    if reduce not in _REDUCTIONS:
        raise ArgumentError(f"scatter_reduce: reduce must be one of "
                            f"{', '.join(_REDUCTIONS)}, got {reduce!r}")
    x0 = _tensor(input)
    x, idx, grid = _scatter_target(x0, dim, index, "scatter_reduce")
    s, src_grid = _scatter_source(_tensor(src), x, idx, "scatter_reduce")
    out = ScatterReduceOp.apply(x, s, grid, src_grid, reduce, bool(include_self))
    return out.reshape(()) if x0.ndim == 0 else out


# --- index_select / index_add ------------------------------------------------------------
class IndexSelectOp(Function):
    name, formula = "index_select", 1.0

    def forward(self, x, dim, idx):
        self.shape, self.dim, self.idx = x.shape, dim, idx
        return xp.take(x, idx, axis=dim)

    def backward(self, gy):
        g = xp.zeros(self.shape, gy.dtype)
        xp.add.at(g, (slice(None),) * self.dim + (self.idx,), gy)
        return g


@op(records=IndexSelectOp)
def index_select(input, dim: int, index) -> Tensor:  # noqa: A002
    """The slices of ``input`` along ``dim`` at the positions in ``index`` (1-D)."""
    x = _tensor(input)
    idx = _index(index, "index_select")
    if idx.ndim > 1:
        raise ValueError(f"index_select: index must be 1-D, got shape {idx.shape}")
    idx = idx.reshape(-1)
    if x.ndim == 0:
        norm_axis(int(dim), 1, "index_select")
        _check_nonneg_bounds(idx, 1, "index_select", dim)
        return IndexSelectOp.apply(x.reshape(1), 0, idx).reshape(idx.shape if idx.size != 1
                                                                 else ())
    d = norm_axis(int(dim), x.ndim, "index_select")
    idx = _check_nonneg_bounds(idx, x.shape[d], "index_select", dim)
    return IndexSelectOp.apply(x, d, idx)


class IndexAddOp(Function):
    name, formula = "index_add", (1.0, "alpha")

    def forward(self, x, src, dim, idx, alpha):
        self.dim, self.idx, self.alpha = dim, idx, alpha
        out = x.copy()
        xp.add.at(out, (slice(None),) * dim + (idx,), src * alpha if alpha != 1 else src)
        return out

    def backward(self, gy):
        gs = xp.take(gy, self.idx, axis=self.dim)
        return gy, (gs * self.alpha if self.alpha != 1 else gs)


@op(inplace="index_add_", records=IndexAddOp)
def index_add(input, dim: int, index, source, *, alpha=1) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``alpha · source`` slices added at positions ``index``
    along ``dim`` (repeated positions add up)."""
    x = _tensor(input)
    _same_dtype(source, x, "index_add")
    s = _tensor(source)
    d = norm_axis(int(dim), max(x.ndim, 1), "index_add")
    idx = _check_nonneg_bounds(_vector_index(index, "index_add"), x.shape[d], "index_add", dim)
    want = x.shape[:d] + (idx.size,) + x.shape[d + 1:]
    if tuple(s.shape) != want:
        raise ArgumentError(f"index_add: source must have shape {want}, got "
                            f"{tuple(s.shape)}")
    return IndexAddOp.apply(x, s, d, idx, alpha)


def _same_dtype(source, x: Tensor, what: str) -> None:
    """A source tensor must have the input's dtype (PyTorch never casts it there)."""
    if isinstance(source, Tensor) and source.data.dtype != x.data.dtype:
        raise DtypeError(f"{what}: source must have the input's dtype {x.data.dtype}, got "
                         f"{source.data.dtype}")


def _vector_index(index, what: str) -> np.ndarray:
    """An index that must be 0-d or 1-D (index_add, index_copy, index_fill), as 1-D."""
    idx = _index(index, what)
    if idx.ndim > 1:
        raise IndexError(f"{what}: index must be a vector (0-d or 1-D), got shape {idx.shape}")
    return idx.reshape(-1)


# --- masks -------------------------------------------------------------------------------
def _mask(mask, what: str) -> np.ndarray:
    m = mask.data if isinstance(mask, Tensor) else np.asarray(mask)
    if m.dtype != np.bool_:
        raise DtypeError(f"{what}: mask must be a bool tensor, got dtype {m.dtype}")
    return m


class MaskedFillOp(Function):
    name, formula = "masked_fill", ("[not masked]", "[masked]")

    def forward(self, x, value, mask):
        self.mask = mask
        return xp.where(mask, xp.asarray(value, dtype=x.dtype), x)

    def backward(self, gy):
        zero = xp.zeros((), gy.dtype)
        gv = xp.where(self.mask, gy, zero).sum() if self.needs_input_grad[1] else None
        return xp.where(self.mask, zero, gy), gv


@op(inplace="masked_fill_", records=MaskedFillOp)
def masked_fill(input, mask, value) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``value`` (a number or 0-d tensor) where ``mask`` is True
    (mask broadcasts to input's shape); the gradient is zero at the filled positions."""
    x = _tensor(input)
    m = _mask(mask, "masked_fill")
    try:
        full = np.broadcast_shapes(m.shape, x.shape)
    except ValueError:
        full = None
    if full != tuple(x.shape):
        raise ValueError(f"masked_fill: mask of shape {m.shape} cannot be broadcast to the "
                         f"input's shape {tuple(x.shape)}")
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, got "
                             f"shape {tuple(value.shape)}")
    else:
        value = operand(value, x)
    return MaskedFillOp.apply(x, value, m)


class MaskedSelectOp(Function):
    name, formula = "masked_select", 1.0

    def forward(self, x, mask):
        self.full = np.broadcast_shapes(x.shape, mask.shape)
        self.mask = xp.broadcast_to(mask, self.full)
        return xp.broadcast_to(x, self.full)[self.mask]

    def backward(self, gy):
        g = xp.zeros(self.full, gy.dtype)
        g[self.mask] = gy
        return g  # the engine sums it back to the input's shape


@op(records=MaskedSelectOp)
def masked_select(input, mask) -> Tensor:  # noqa: A002
    """The elements of ``input`` where ``mask`` is True, as a 1-D tensor (the two are
    broadcast together first)."""
    x = _tensor(input)
    m = _mask(mask, "masked_select")
    try:
        np.broadcast_shapes(x.shape, m.shape)
    except ValueError:
        raise ArgumentError(f"masked_select: input {tuple(x.shape)} and mask {m.shape} "
                            f"cannot be broadcast together") from None
    return MaskedSelectOp.apply(x, m)


# --- flat and broadcast indexing ---------------------------------------------------------
class TakeOp(Function):
    name, formula = "take", 1.0

    def forward(self, x, idx):
        self.shape, self.idx = x.shape, idx
        return x.reshape(-1)[idx]

    def backward(self, gy):
        g = xp.zeros(int(np.prod(self.shape)), gy.dtype)
        xp.add.at(g, self.idx, gy)
        return g.reshape(self.shape)


@op(records=TakeOp)
def take(input, index) -> Tensor:  # noqa: A002
    """Elements of the flattened ``input`` at ``index``; the output has index's shape."""
    x = _tensor(input)
    idx = _check_bounds(_index(index, "take"), x.data.size, "take", "(flattened)")
    return TakeOp.apply(x, idx)


@op(records=GatherOp)
def take_along_dim(input, indices, dim: int | None = None) -> Tensor:  # noqa: A002
    """Like :func:`gather`, with index and input broadcast against each other (without
    ``dim``: on the flattened input)."""
    x = _tensor(input)
    idx = _index(indices, "take_along_dim")
    if dim is None:
        return take(x, idx.reshape(-1))
    d = norm_axis(int(dim), x.ndim, "take_along_dim")
    if idx.ndim != x.ndim:
        raise ValueError(f"take_along_dim: indices must have {x.ndim} dims, got {idx.ndim}")
    shape_x = list(np.broadcast_shapes(
        tuple(1 if i == d else n for i, n in enumerate(x.shape)),
        tuple(1 if i == d else n for i, n in enumerate(idx.shape))))
    sx, si = list(shape_x), list(shape_x)
    sx[d], si[d] = x.shape[d], idx.shape[d]
    xb = x.expand(*sx) if tuple(sx) != tuple(x.shape) else x
    idx = np.broadcast_to(idx, si)
    idx = _check_bounds(idx, x.shape[d], "take_along_dim", dim)
    return GatherOp.apply(xb, d, _grid(idx, d))


@op()
def nonzero(input, *, as_tuple: bool = False):  # noqa: A002
    """Indices of the non-zero elements: an ``(n, ndim)`` int64 tensor, or with
    ``as_tuple=True`` one 1-D index tensor per dim."""
    a = _tensor(input).data
    if as_tuple:
        if a.ndim == 0:
            return (Tensor._wrap(np.flatnonzero(a.reshape(1)).astype(np.int64)),)
        return tuple(Tensor._wrap(i.astype(np.int64)) for i in np.nonzero(a))
    if a.ndim == 0:  # (n, 0): one row for a non-zero scalar, as PyTorch
        return Tensor._wrap(np.zeros((int(a != 0), 0), np.int64))
    return Tensor._wrap(np.argwhere(a).astype(np.int64))


@op()
def argwhere(input) -> Tensor:  # noqa: A002
    """Indices of the non-zero elements as an ``(n, ndim)`` int64 tensor."""
    return nonzero(input)


# --- more index writes (composed, or one small Function) -----------------------------------
def _dim_mask(x: Tensor, dim: int, idx: np.ndarray) -> np.ndarray:
    """A bool mask, broadcastable to x, true at positions ``idx`` along ``dim``."""
    m = np.zeros(x.shape[dim], dtype=bool)
    m[idx] = True
    return m.reshape([-1 if d == dim else 1 for d in range(x.ndim)])


@op(inplace="index_fill_")
def index_fill(input, dim: int, index, value) -> Tensor:  # noqa: A002
    """A copy of ``input`` with the slices at ``index`` along ``dim`` set to ``value``."""
    x = _tensor(input)
    d = norm_axis(int(dim), max(x.ndim, 1), "index_fill")
    idx = _check_bounds(_index(index, "index_fill").reshape(-1), x.shape[d] if x.ndim else 1,
                        "index_fill", dim)
    if x.ndim == 0:
        return masked_fill(x, Tensor._wrap(np.asarray(idx.size > 0)), value)
    return masked_fill(x, Tensor._wrap(_dim_mask(x, d, idx)), value)


@op(inplace="index_copy_")
def index_copy(input, dim: int, index, source) -> Tensor:  # noqa: A002
    """A copy of ``input`` with its slices at ``index`` along ``dim`` replaced by the
    slices of ``source`` (``source.shape[dim] == len(index)``)."""
    x = _tensor(input)
    _same_dtype(source, x, "index_copy")
    d = norm_axis(int(dim), max(x.ndim, 1), "index_copy")
    idx = _check_nonneg_bounds(_vector_index(index, "index_copy"), x.shape[d], "index_copy",
                               dim)
    if len(set(idx.tolist())) != idx.size:
        raise ValueError("index_copy: index repeats a position (the result would depend on "
                         "the order of the writes)")
    return index_add(index_fill(x, d, idx, 0.0), d, idx, source)


class MaskedScatterOp(Function):
    """Where mask is True, the next elements of source in order; elsewhere the input."""

    name, formula = "masked_scatter", ("[not masked]", "[copied to the output]")

    def forward(self, x, src, mask):
        self.mask = xp.broadcast_to(mask, x.shape)
        self.src_shape = src.shape
        n = int(self.mask.sum())
        out = x.copy()
        out[self.mask] = src.reshape(-1)[:n]
        self.n = n
        return out

    def backward(self, gy):
        gs = xp.zeros(int(np.prod(self.src_shape)), gy.dtype)
        gs[:self.n] = gy[self.mask]
        return xp.where(self.mask, 0, gy), gs.reshape(self.src_shape)


@op(inplace="masked_scatter_", records=MaskedScatterOp)
def masked_scatter(input, mask, source) -> Tensor:  # noqa: A002
    """A copy of ``input`` whose masked positions (row-major order) take ``source``'s
    elements one after another; ``source`` needs at least as many elements as True
    entries in the mask."""
    x = _tensor(input)
    m = _mask(mask, "masked_scatter")
    try:
        full = np.broadcast_shapes(m.shape, x.shape)
    except ValueError:
        full = None
    if full != tuple(x.shape):
        raise ValueError(f"masked_scatter: mask of shape {m.shape} cannot be broadcast to "
                         f"the input's shape {tuple(x.shape)}")
    s = _tensor(source)
    n = int(np.broadcast_to(m, x.shape).sum())
    if s.data.size < n:
        raise ValueError(f"masked_scatter: the mask selects {n} elements but source has "
                         f"only {s.data.size}")
    if s.data.dtype != x.data.dtype:
        raise TypeError(f"masked_scatter: input ({x.data.dtype}) and source "
                        f"({s.data.dtype}) must have the same dtype")
    return MaskedScatterOp.apply(x, s, m)


@op(method="fill_diagonal_", top=False)
def fill_diagonal_(self, fill_value, wrap: bool = False) -> Tensor:
    """Fill the main diagonal in place (all dims equal for more than 2 dims; ``wrap``
    restarts the diagonal below a tall matrix every ``n + 1`` rows, as NumPy)."""
    if self.ndim < 2 or (self.ndim > 2 and len(set(self.shape)) != 1):
        raise ValueError(f"fill_diagonal_: needs a 2-D tensor or one with all dims equal, "
                         f"got shape {tuple(self.shape)}")
    self._check_inplace("fill_diagonal_")
    out = self.data.copy()
    np.fill_diagonal(out, fill_value, wrap=wrap)
    self._write(out, "fill_diagonal_")
    return self


# --- index_put / put: writes at flat positions, built from differentiable ops ---------------
def _write_flat(x: Tensor, pos: np.ndarray, values, accumulate: bool, what: str) -> Tensor:
    """``x`` with ``values`` (broadcast to ``pos``'s shape) written at the flat positions
    ``pos`` — added up where ``accumulate``, else the last write wins."""
    if isinstance(values, Tensor):
        v = values
        if v.data.dtype != x.data.dtype:  # a tensor is never cast silently, as PyTorch
            raise DtypeError(f"{what}: values must have the input's dtype {x.data.dtype}, got "
                             f"{v.data.dtype} (convert them with .to(input.dtype))")
    else:  # a number or an array: in the input's dtype
        v = Tensor._wrap(np.asarray(operand(values, x), dtype=x.data.dtype))
    try:
        v = v.expand(*pos.shape) if v.shape != pos.shape else v
    except ValueError:
        raise ArgumentError(f"{what}: values of shape {tuple(v.shape)} cannot be broadcast to "
                            f"the {tuple(pos.shape)} positions indexed") from None
    flat, p, vals = x.reshape(-1), pos.reshape(-1), v.reshape(-1)
    if accumulate:
        out = index_add(flat, 0, Tensor._wrap(p), vals)
    else:
        out = flat.clone()
        out[Tensor._wrap(p)] = vals
    return out.reshape(*x.shape)


@op(inplace="index_put_")
def index_put(input, indices, values, accumulate: bool = False) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``values`` written at ``input[indices]`` (a tuple of index
    or bool tensors, as in ``x[i, j] = v``); ``accumulate`` adds instead, repeated
    positions adding up."""
    x = _tensor(input)
    if not isinstance(indices, (tuple, list)):
        raise TypeError(f"index_put: indices must be a tuple of tensors, got "
                        f"{type(indices).__name__}")
    key = tuple(i.data if isinstance(i, Tensor) else np.asarray(i) for i in indices)
    try:
        pos = np.arange(x.data.size).reshape(x.shape)[key]
    except IndexError as e:
        raise IndexError(f"index_put: {e} (input shape {tuple(x.shape)})") from None
    return _write_flat(x, np.asarray(pos), values, accumulate, "index_put")


@op(inplace="put_")
def put(input, index, source, accumulate: bool = False) -> Tensor:  # noqa: A002
    """A copy of ``input`` with ``source`` written at the flat (row-major) positions
    ``index``, negative ones counting from the end; ``accumulate`` adds instead."""
    x = _tensor(input)
    idx = _index(index, "put")
    n = x.data.size
    idx = _check_bounds(idx.reshape(-1), n, "put", "(flattened)").reshape(idx.shape)
    s = _tensor(source)
    if s.data.size != idx.size:
        raise IndexError(f"put: source has {s.data.size} elements for {idx.size} positions "
                         f"(they must match)")
    return _write_flat(x, idx, s.reshape(*idx.shape), accumulate, "put")
