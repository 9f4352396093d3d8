"""More shape ops with PyTorch's names, composed from the differentiable core ones
(indexing, permute, reshape, expand, cat, flip): unbind narrow select movedim moveaxis
broadcast_to ravel unflatten hstack vstack dstack column_stack meshgrid tensor_split rot90
diag_embed atleast_1d atleast_2d atleast_3d.

Each is a rearrangement of an existing op, so its gradient is that op's; nothing here
needs a derivative of its own.
"""

from __future__ import annotations

import numpy as np

from ..backend import xp
from ..tensor import Tensor
from ._registry import op
from ._util import norm_axis, norm_dim

__all__ = ["unbind", "narrow", "select", "movedim", "moveaxis", "broadcast_to", "ravel",
           "unflatten", "hstack", "vstack", "dstack", "column_stack", "meshgrid",
           "tensor_split", "rot90", "diag_embed", "atleast_1d", "atleast_2d", "atleast_3d"]


def _t(x) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x)


def _cat(tensors, dim):
    from ..ops import shape as _shape

    return _shape.cat(list(tensors), dim)


def _stack(tensors, dim):
    from ..ops import shape as _shape

    return _shape.stack(list(tensors), dim)


@op()
def unbind(input, dim: int = 0) -> tuple:  # noqa: A002 - PyTorch's names
    """The slices along ``dim``, as a tuple (each without that dim)."""
    x = _t(input)
    d = norm_axis(int(dim), x.ndim, "unbind")
    return tuple(select(x, d, i) for i in range(x.shape[d]))


@op()
def select(input, dim: int, index: int) -> Tensor:  # noqa: A002
    """The slice at ``index`` along ``dim`` (that dim removed): ``x.select(1, 2) == x[:, 2]``."""
    x = _t(input)
    d = norm_axis(int(dim), x.ndim, "select")
    n = x.shape[d]
    if not -n <= int(index) < n:
        raise IndexError(f"select: index {index} out of range for dim {dim} of size {n}")
    return x[(slice(None),) * d + (int(index),)]


@op()
def narrow(input, dim: int, start: int, length: int) -> Tensor:  # noqa: A002
    """Elements ``start .. start + length - 1`` along ``dim`` (a view)."""
    x = _t(input)
    d = norm_axis(int(dim), x.ndim, "narrow")
    n = x.shape[d]
    start = int(start) + (n if int(start) < 0 else 0)
    if not 0 <= start <= n or length < 0 or start + int(length) > n:
        raise IndexError(f"narrow: start ({start}) + length ({length}) exceeds dim {dim} "
                         f"of size {n}")
    return x[(slice(None),) * d + (slice(start, start + int(length)),)]


@op(aliases=("moveaxis",), method=("movedim", "moveaxis"))
def movedim(input, source, destination) -> Tensor:  # noqa: A002
    """Move dims ``source`` to positions ``destination`` (ints or tuples), keeping the
    order of the others."""
    x = _t(input)
    src = norm_dim(source, x.ndim, "movedim")
    dst = norm_dim(destination, x.ndim, "movedim")
    if len(src) != len(dst):
        raise ValueError(f"movedim: source {source} and destination {destination} must "
                         f"name the same number of dims")
    if len(set(src)) != len(src) or len(set(dst)) != len(dst):
        raise ValueError(f"movedim: repeated dim in source {source} or destination "
                         f"{destination}")
    order = [n for n in range(x.ndim) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return x.permute(*order)


moveaxis = movedim


@op()
def broadcast_to(input, size) -> Tensor:  # noqa: A002
    """``input`` expanded to ``size`` by broadcasting (``expand`` with NumPy's rules)."""
    return _t(input).expand(*tuple(size))


@op()
def ravel(input) -> Tensor:  # noqa: A002
    """The elements as a 1-D tensor."""
    return _t(input).reshape(-1)


@op()
def unflatten(input, dim: int, sizes) -> Tensor:  # noqa: A002
    """Split dim ``dim`` into ``sizes`` (one entry may be -1)."""
    x = _t(input)
    d = norm_axis(int(dim), x.ndim, "unflatten")
    sizes = tuple(int(s) for s in sizes)
    known = int(np.prod([s for s in sizes if s != -1]))
    if sizes.count(-1) > 1 or (-1 not in sizes and known != x.shape[d]) or \
            (-1 in sizes and (known == 0 or x.shape[d] % known)):
        raise ValueError(f"unflatten: sizes {sizes} do not multiply to dim {dim}'s size "
                         f"{x.shape[d]}")
    return x.reshape(*(x.shape[:d] + sizes + x.shape[d + 1:]))


@op(method=False)
def atleast_1d(*tensors):
    """Each input with at least 1 dim (a 0-d one becomes shape (1,))."""
    out = [(_t(t).reshape(1) if _t(t).ndim == 0 else _t(t)) for t in _flat(tensors)]
    return out[0] if len(out) == 1 else tuple(out)


@op(method=False)
def atleast_2d(*tensors):
    """Each input with at least 2 dims (0-d: (1, 1); 1-d (n,): (1, n))."""
    out = []
    for t in _flat(tensors):
        t = _t(t)
        out.append(t.reshape(1, 1) if t.ndim == 0 else t.reshape(1, -1) if t.ndim == 1 else t)
    return out[0] if len(out) == 1 else tuple(out)


@op(method=False)
def atleast_3d(*tensors):
    """Each input with at least 3 dims (0-d: (1, 1, 1); (n,): (1, n, 1); (m, n): (m, n, 1))."""
    out = []
    for t in _flat(tensors):
        t = _t(t)
        shape = {0: (1, 1, 1), 1: (1, -1, 1), 2: tuple(t.shape) + (1,)}.get(t.ndim)
        out.append(t if shape is None else t.reshape(*shape))
    return out[0] if len(out) == 1 else tuple(out)


def _flat(tensors):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return list(tensors[0])
    return list(tensors)


@op(method=False)
def hstack(tensors) -> Tensor:
    """Concatenate along dim 1 (dim 0 for 1-D inputs)."""
    ts = atleast_1d(*tensors)
    ts = [ts] if isinstance(ts, Tensor) else list(ts)
    return _cat(ts, 0 if ts[0].ndim == 1 else 1)


@op(method=False, aliases=("row_stack",))
def vstack(tensors) -> Tensor:
    """Concatenate along dim 0 after making each input at least 2-D."""
    ts = atleast_2d(*tensors)
    return _cat([ts] if isinstance(ts, Tensor) else ts, 0)


@op(method=False)
def dstack(tensors) -> Tensor:
    """Concatenate along dim 2 after making each input at least 3-D."""
    ts = atleast_3d(*tensors)
    return _cat([ts] if isinstance(ts, Tensor) else ts, 2)


@op(method=False)
def column_stack(tensors) -> Tensor:
    """1-D inputs become columns; 2-D inputs are concatenated along dim 1."""
    cols = [(_t(t).reshape(-1, 1) if _t(t).ndim <= 1 else _t(t)) for t in tensors]
    return _cat(cols, 1)


@op(method=False)
def meshgrid(*tensors, indexing: str | None = None) -> tuple:
    """Coordinate grids from 1-D tensors; ``indexing="ij"`` (PyTorch's default) or
    ``"xy"`` (the first two output dims swapped)."""
    ts = [_t(t) for t in _flat(tensors)]
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    for k, t in enumerate(ts):
        if t.ndim > 1:
            raise ValueError(f"meshgrid: tensor {k} must be 0-D or 1-D, got shape "
                             f"{tuple(t.shape)}")
    ts = [t.reshape(-1) for t in ts]
    if indexing == "xy" and len(ts) >= 2:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.shape[0] for t in ts)
    out = []
    for k, t in enumerate(ts):
        view = [1] * len(ts)
        view[k] = -1
        out.append(t.reshape(*view).expand(*shape))
    if indexing == "xy" and len(out) >= 2:  # the grids of the swapped inputs, swapped back
        out[0], out[1] = out[1], out[0]
    return tuple(out)


@op()
def tensor_split(input, indices_or_sections, dim: int = 0) -> tuple:  # noqa: A002
    """Split into ``n`` nearly equal parts (the first ``size % n`` one longer) or at the
    given indices, along ``dim``."""
    x = _t(input)
    d = norm_axis(int(dim), x.ndim, "tensor_split")
    n = x.shape[d]
    ios = indices_or_sections
    if isinstance(ios, Tensor):
        ios = ios.tolist()
    if isinstance(ios, (int, np.integer)):
        k = int(ios)
        if k <= 0:
            raise ValueError(f"tensor_split: sections must be positive, got {k}")
        sizes = [n // k + (1 if i < n % k else 0) for i in range(k)]
        bounds = np.cumsum([0] + sizes)
    else:
        bounds = [0] + [min(max(int(i), 0), n) for i in ios] + [n]
    idx = (slice(None),) * d
    return tuple(x[idx + (slice(int(a), max(int(a), int(b))),)]
                 for a, b in zip(bounds[:-1], bounds[1:]))


def _split_even(input, sections, dim: int, what: str, min_ndim: int) -> tuple:  # noqa: A002
    x = _t(input)
    if x.ndim < min_ndim:
        raise ValueError(f"{what}: needs a tensor with at least {min_ndim} dims, got shape "
                         f"{tuple(x.shape)}")
    if isinstance(sections, (int, np.integer)):
        n = x.shape[dim]
        if sections <= 0 or n % sections:
            raise ValueError(f"{what}: dim {dim} has size {n}, which {int(sections)} sections "
                             f"do not divide evenly")
    return tensor_split(x, sections, dim)


@op()
def hsplit(input, sections) -> tuple:  # noqa: A002
    """Split along the columns (dim 1; dim 0 of a 1-D tensor) into equal parts or at
    indices."""
    x = _t(input)
    return _split_even(x, sections, 0 if x.ndim == 1 else 1, "hsplit", 1)


@op()
def vsplit(input, sections) -> tuple:  # noqa: A002
    """Split along dim 0 into equal parts or at indices (2-D or more)."""
    return _split_even(input, sections, 0, "vsplit", 2)


@op()
def dsplit(input, sections) -> tuple:  # noqa: A002
    """Split along dim 2 into equal parts or at indices (3-D or more)."""
    return _split_even(input, sections, 2, "dsplit", 3)


@op(top=False)
def split_with_sizes(input, split_sizes, dim: int = 0) -> tuple:  # noqa: A002
    """Split into pieces of the given sizes along ``dim`` (they must add up to its size)."""
    x = _t(input)
    d = norm_axis(int(dim), max(x.ndim, 1), "split_with_sizes")
    sizes = [int(n) for n in split_sizes]
    if any(n < 0 for n in sizes) or sum(sizes) != x.shape[d]:
        raise ValueError(f"split_with_sizes: sizes {sizes} must be non-negative and add up to "
                         f"{x.shape[d]}, the size of dim {dim}")
    return tensor_split(x, list(np.cumsum(sizes)[:-1]), d)


@op(method=False)
def broadcast_shapes(*shapes) -> tuple:
    """The shape that tensors of these shapes broadcast to (an int is a 1-D shape)."""
    dims = [(s,) if isinstance(s, int) else tuple(s) for s in shapes]
    try:
        return tuple(np.broadcast_shapes(*dims))
    except ValueError:
        raise ValueError(f"broadcast_shapes: shapes {', '.join(map(str, shapes))} cannot be "
                         f"broadcast together") from None


@op(method=False)
def broadcast_tensors(*tensors) -> tuple:
    """The tensors expanded to their common broadcast shape (views; gradients flow)."""
    shape = broadcast_shapes(*[_t(t).shape for t in tensors])
    return tuple(_t(t).expand(*shape) for t in tensors)


@op()
def rot90(input, k: int = 1, dims=(0, 1)) -> Tensor:  # noqa: A002
    """Rotate by 90° ``k`` times in the plane of ``dims`` (from the first toward the
    second)."""
    x = _t(input)
    if len(dims) != 2:
        raise ValueError(f"rot90: dims must name 2 dims, got {dims}")
    d0, d1 = norm_dim(dims, x.ndim, "rot90")
    if d0 == d1:
        raise ValueError(f"rot90: the two dims are the same ({dims})")
    k = int(k) % 4
    if k == 0:
        return x.clone()
    if k == 2:
        return x.flip(d0, d1)
    if k == 1:
        return x.flip(d1).transpose(d0, d1)
    return x.transpose(d0, d1).flip(d1)


@op()
def diag_embed(input, offset: int = 0, dim1: int = -2, dim2: int = -1) -> Tensor:  # noqa: A002
    """Matrices with the last dim of ``input`` on diagonal ``offset`` of dims (dim1, dim2)
    of the output: ``(..., n) -> (..., n + |offset|, n + |offset|)`` by default."""
    x = _t(input)
    n = x.shape[-1]
    m = n + abs(int(offset))
    eye = xp.zeros((n, m, m), dtype=x.data.dtype if x.data.dtype.kind == "f" else np.float64)
    i = np.arange(n)
    rows, cols = (i, i + offset) if offset >= 0 else (i - offset, i)
    eye[i, rows, cols] = 1
    from . import linalg

    out = linalg.einsum("...n,nij->...ij", x, Tensor._wrap(eye.astype(x.data.dtype)))
    nd = out.ndim
    d1, d2 = norm_axis(int(dim1), nd, "diag_embed"), norm_axis(int(dim2), nd, "diag_embed")
    if (d1, d2) != (nd - 2, nd - 1):
        out = movedim(out, (nd - 2, nd - 1), (d1, d2))
    return out
