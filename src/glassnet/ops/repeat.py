"""Copying and rearranging elements: repeat tile repeat_interleave flip roll tril triu diag
diagonal.

Every op here moves or copies elements without arithmetic, so each backward routes the
output gradient back to where each element came from: copies are summed (repeat, tile,
repeat_interleave), moves are undone (flip, roll), and masked-out elements get zero
(tril, triu, diag).
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..backend import xp
from ..tensor import Tensor
from ._registry import op
from ._util import norm_axis, norm_dim

__all__ = ["repeat", "tile", "repeat_interleave", "flip", "fliplr", "flipud", "roll", "tril",
           "triu", "diag", "diagonal"]


def _tensor(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _sizes(sizes, what: str) -> tuple:
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    out = []
    for s in sizes:
        if isinstance(s, Tensor):
            s = s.item()
        if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 0:
            raise ValueError(f"{what}: sizes must be non-negative ints, got {sizes}")
        out.append(int(s))
    return tuple(out)


class RepeatOp(Function):
    """Tile the input ``reps[d]`` times along each dim; backward sums the copies."""

    name, formula = "repeat", 1.0

    def forward(self, x, reps):
        self.shape = x.shape
        x = x.reshape((1,) * (len(reps) - x.ndim) + x.shape)
        self.full = x.shape
        self.reps = reps
        return xp.tile(x, reps)

    def backward(self, gy):
        split = []
        for r, n in zip(self.reps, self.full):
            split += [r, n]
        g = gy.reshape(split).sum(axis=tuple(range(0, len(split), 2)))
        return g.reshape(self.shape)


@op(records=RepeatOp)
def repeat(input, *sizes) -> Tensor:  # noqa: A002 - PyTorch's names
    """``x.repeat(r0, r1, ...)``: copies of the whole tensor along each dim (NumPy's tile).
    ``len(sizes)`` must be ≥ ``x.dim()``; extra sizes add leading dims. Output shape
    ``(r0·s0, r1·s1, ...)``; the gradient sums over the copies."""
    x = _tensor(input)
    reps = _sizes(sizes, "repeat")
    if len(reps) < x.ndim:
        raise ValueError(
            f"repeat: the number of repeat dims ({len(reps)}) can not be smaller than the "
            f"tensor's number of dims ({x.ndim}); use tile() to repeat only the last dims"
        )
    return RepeatOp.apply(x, reps)


@op(records=RepeatOp)
def tile(input, dims) -> Tensor:  # noqa: A002
    """Like :func:`repeat`, but fewer ``dims`` than the tensor has are padded with 1s in
    front (``x.tile((2,))`` on a matrix repeats the columns)."""
    x = _tensor(input)
    reps = _sizes((dims,) if isinstance(dims, (int, np.integer)) else (tuple(dims),), "tile")
    reps = (1,) * (x.ndim - len(reps)) + reps
    return RepeatOp.apply(x, reps)


class RepeatInterleaveOp(Function):
    """Each element (slice along ``dim``) repeated in place; backward sums each run."""

    name, formula = "repeat_interleave", 1.0

    def forward(self, x, repeats, dim):
        self.shape, self.dim, self.repeats = x.shape, dim, repeats
        return xp.repeat(x, repeats, axis=dim)

    def backward(self, gy):
        n = self.shape[self.dim]
        if np.ndim(self.repeats) == 0:
            r = int(self.repeats)
            g = gy.reshape(self.shape[:self.dim] + (n, r) + self.shape[self.dim + 1:])
            return g.sum(axis=self.dim + 1)
        src = xp.repeat(xp.arange(n), self.repeats)
        g = xp.zeros(self.shape, gy.dtype)
        xp.add.at(g, (slice(None),) * self.dim + (src,), gy)
        return g


@op(records=RepeatInterleaveOp)
def repeat_interleave(input, repeats, dim: int | None = None, *,  # noqa: A002
                      output_size: int | None = None) -> Tensor:
    """Repeat each element ``repeats`` times in place (``[1, 2] -> [1, 1, 2, 2]``).

    ``repeats`` is an int or a 1-D tensor with one count per element along ``dim``; without
    ``dim`` the input is flattened first. The gradient sums each run of copies.
    """
    x = _tensor(input)
    if dim is None:
        x = x.reshape(-1)
        dim = 0
    if x.ndim == 0:
        x = x.reshape(1)
    dim = norm_axis(int(dim), x.ndim, "repeat_interleave")
    if isinstance(repeats, Tensor):
        repeats = repeats.data
    if np.ndim(repeats) == 0:
        repeats = int(repeats)
        if repeats < 0:
            raise ValueError(f"repeat_interleave: repeats must be non-negative, got {repeats}")
    else:
        repeats = np.asarray(repeats)
        if repeats.dtype.kind not in "iu" or repeats.ndim != 1:
            raise TypeError("repeat_interleave: repeats must be an int or a 1-D integer tensor")
        if repeats.size == 1:
            repeats = int(repeats[0])
        elif repeats.size != x.shape[dim]:
            raise ValueError(
                f"repeat_interleave: repeats has {repeats.size} counts but dim {dim} has "
                f"{x.shape[dim]} elements"
            )
        elif (repeats < 0).any():
            raise ValueError("repeat_interleave: repeats must be non-negative")
    out = RepeatInterleaveOp.apply(x, repeats, dim)
    if output_size is not None and out.shape[dim] != output_size:
        raise ValueError(f"repeat_interleave: output_size={output_size} but the result has "
                         f"{out.shape[dim]} elements along dim {dim}")
    return out


class FlipOp(Function):
    name, formula = "flip", 1.0

    def forward(self, x, dims):
        self.dims = dims
        return xp.flip(x, dims).copy()

    def backward(self, gy):
        return xp.flip(gy, self.dims)


@op(records=FlipOp)
def flip(input, *dims, **kw) -> Tensor:  # noqa: A002
    """Reverse the order of elements along ``dims`` (a copy, as in PyTorch):
    ``x.flip(0)``, ``x.flip(0, 1)``, ``x.flip((0, 1))``, ``flip(x, dims=(0, 1))``."""
    x = _tensor(input)
    if kw:
        if dims or set(kw) != {"dims"}:
            raise TypeError(f"flip: unexpected arguments {sorted(kw)}; give dims")
        dims = kw["dims"]
        dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = tuple(dims[0])
    if not dims:
        raise TypeError("flip: missing dims (e.g. x.flip(0) or x.flip((0, 1)))")
    axes = norm_dim(dims, x.ndim, "flip")
    if len(set(axes)) != len(axes):
        raise ValueError(f"flip: dim appears multiple times in {dims}")
    return FlipOp.apply(x, axes)


@op(records=FlipOp)
def fliplr(input) -> Tensor:  # noqa: A002
    """Flip the columns (dim 1) of a tensor with at least 2 dims."""
    x = _tensor(input)
    if x.ndim < 2:
        raise ValueError(f"fliplr: input must be at least 2-D, got shape {tuple(x.shape)}")
    return FlipOp.apply(x, (1,))


@op(records=FlipOp)
def flipud(input) -> Tensor:  # noqa: A002
    """Flip the rows (dim 0) of a tensor with at least 1 dim."""
    x = _tensor(input)
    if x.ndim < 1:
        raise ValueError("flipud: input must be at least 1-D")
    return FlipOp.apply(x, (0,))


class RollOp(Function):
    name, formula = "roll", 1.0

    def forward(self, x, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return xp.roll(x, shifts, dims)

    def backward(self, gy):
        back = tuple(-s for s in self.shifts) if isinstance(self.shifts, tuple) else -self.shifts
        return xp.roll(gy, back, self.dims)


@op(records=RollOp)
def roll(input, shifts, dims=None) -> Tensor:  # noqa: A002
    """Shift elements cyclically by ``shifts`` along ``dims`` (without dims: on the
    flattened tensor, shape kept)."""
    x = _tensor(input)
    if dims is None:
        if not isinstance(shifts, (int, np.integer)):
            if len(shifts) != 1:
                raise ValueError("roll: without dims, shifts must be one int")
            shifts = shifts[0]
        return RollOp.apply(x, int(shifts), None)
    if isinstance(shifts, (int, np.integer)):
        shifts = (int(shifts),)
    dims_t = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts) != len(dims_t):
        raise ValueError(f"roll: shifts {tuple(shifts)} and dims {dims_t} must have the same "
                         f"length")
    axes = norm_dim(dims_t, x.ndim, "roll")
    return RollOp.apply(x, tuple(int(s) for s in shifts), axes)


class TriOp(Function):
    """Keep the lower (tril) or upper (triu) triangle of the last two dims, zero the rest."""

    formula = "[kept by the triangle]"

    def forward(self, x, k):
        self.k = k
        return self.f(x, k)

    def backward(self, gy):
        return self.f(gy, self.k)


class TrilOp(TriOp):
    name = "tril"
    f = staticmethod(xp.tril)


class TriuOp(TriOp):
    name = "triu"
    f = staticmethod(xp.triu)


def _tri(cls, input, diagonal, what):
    x = _tensor(input)
    if x.ndim < 2:
        raise ValueError(f"{what}: input must be at least 2-D (..., n, m), got shape "
                         f"{tuple(x.shape)}")
    return cls.apply(x, int(diagonal))


@op(inplace="tril_", records=TrilOp)
def tril(input, diagonal: int = 0) -> Tensor:  # noqa: A002
    """Lower triangle of the last two dims (elements with j - i ≤ ``diagonal``); the rest 0."""
    return _tri(TrilOp, input, diagonal, "tril")


@op(inplace="triu_", records=TriuOp)
def triu(input, diagonal: int = 0) -> Tensor:  # noqa: A002
    """Upper triangle of the last two dims (elements with j - i ≥ ``diagonal``); the rest 0."""
    return _tri(TriuOp, input, diagonal, "triu")


def _diag_index(shape, offset, dim1, dim2):
    """Index arrays selecting diagonal ``offset`` of dims (dim1, dim2) in ``shape``."""
    n1, n2 = shape[dim1], shape[dim2]
    if offset >= 0:
        m = max(0, min(n1, n2 - offset))
        i, j = np.arange(m), np.arange(m) + offset
    else:
        m = max(0, min(n1 + offset, n2))
        i, j = np.arange(m) - offset, np.arange(m)
    return i, j


class DiagonalOp(Function):
    """The diagonal of dims (dim1, dim2), moved to the last dim; backward writes it back."""

    name, formula = "diagonal", 1.0

    def forward(self, x, offset, dim1, dim2):
        self.shape, self.dtype = x.shape, x.dtype
        self.args = (offset, dim1, dim2)
        return xp.diagonal(x, offset, dim1, dim2).copy()

    def backward(self, gy):
        offset, d1, d2 = self.args
        g = xp.zeros(self.shape, gy.dtype)
        i, j = _diag_index(self.shape, offset, d1, d2)
        # move (d1, d2) to the end so the diagonal is g[..., i, j]
        gm = xp.moveaxis(g, (d1, d2), (-2, -1))
        gm[..., i, j] = gy
        return g


class DiagEmbedOp(Function):
    """A vector on diagonal ``k`` of a square matrix; backward reads that diagonal."""

    name, formula = "diag", 1.0

    def forward(self, v, k):
        self.k = k
        return xp.diag(v, k)

    def backward(self, gy):
        return xp.diagonal(gy, self.k).copy()


@op(records=DiagonalOp)
def diagonal(input, offset: int = 0, dim1: int = 0, dim2: int = 1) -> Tensor:  # noqa: A002
    """The diagonal ``offset`` of the 2-D slices over (dim1, dim2), as the last dim."""
    x = _tensor(input)
    if x.ndim < 2:
        raise ValueError(f"diagonal: input must be at least 2-D, got shape {tuple(x.shape)}")
    d1 = norm_axis(int(dim1), x.ndim, "diagonal")
    d2 = norm_axis(int(dim2), x.ndim, "diagonal")
    if d1 == d2:
        raise ValueError(f"diagonal: dim1 and dim2 are the same dim ({dim1}, {dim2})")
    return DiagonalOp.apply(x, int(offset), d1, d2)


@op(records=(DiagEmbedOp, DiagonalOp))
def diag(input, diagonal: int = 0) -> Tensor:  # noqa: A002
    """A 1-D input becomes a square matrix with it on diagonal ``diagonal``; a 2-D input
    gives its diagonal ``diagonal`` as a 1-D tensor."""
    x = _tensor(input)
    if x.ndim == 1:
        return DiagEmbedOp.apply(x, int(diagonal))
    if x.ndim == 2:
        return DiagonalOp.apply(x, int(diagonal), 0, 1)
    raise ValueError(f"diag: input must be 1-D or 2-D, got shape {tuple(x.shape)}")
