"""Shape operations: reshape/view, flatten, squeeze, unsqueeze, transpose, permute,
expand, indexing, cat, stack, split, chunk and pad."""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..backend import xp
from ..tensor import Tensor
from ._registry import op
from ._util import norm_axis
from .padding import PadByIndex, pad_modes


def _sizes(args) -> tuple:
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


class Reshape(Function):
    name, formula = "reshape", 1.0  # elements move, values pass through unchanged

    def forward(self, x, shape):
        self.shape = x.shape
        return x.reshape(shape)

    def backward(self, gy):
        return gy.reshape(self.shape)


@op(records=Reshape)
def reshape(x: Tensor, *shape) -> Tensor:
    """The same elements in a new shape (one dim may be -1)."""
    shape = _sizes(shape)
    try:
        return Reshape.apply(x, shape)
    except ValueError:
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {tuple(x.shape)} ({x.data.size} "
            f"elements) into {shape}"
        ) from None


@op()
def flatten(x: Tensor, start_dim: int = 0, end_dim: int = -1) -> Tensor:
    nd = x.data.ndim
    if nd == 0:
        return reshape(x, (1,))
    s = norm_axis(start_dim, nd, "flatten")
    e = norm_axis(end_dim, nd, "flatten")
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    shp = x.data.shape
    return reshape(x, shp[:s] + (-1 if 0 not in shp else 0,) + shp[e + 1 :])


@op()
def squeeze(x: Tensor, dim=None) -> Tensor:
    shp = x.data.shape
    if dim is None:
        new = tuple(n for n in shp if n != 1)
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        axes = {norm_axis(d, max(len(shp), 1), "squeeze") for d in dims}
        new = tuple(n for i, n in enumerate(shp) if not (i in axes and n == 1))
    return x if new == shp else reshape(x, new)


@op()
def unsqueeze(x: Tensor, dim: int) -> Tensor:
    nd = x.data.ndim
    d = norm_axis(dim, nd + 1, "unsqueeze")
    shp = x.data.shape
    return reshape(x, shp[:d] + (1,) + shp[d:])


class Permute(Function):
    name, formula = "permute", 1.0

    @property
    def expr(self):  # how the output prints inside a formula: a 2-D transpose is Aᵀ
        return "{0}ᵀ" if tuple(self.parents[1]) == (1, 0) else None

    def forward(self, x, axes):
        self.axes = axes
        return x.transpose(axes)

    def backward(self, gy):
        return gy.transpose(np.argsort(self.axes))


@op(records=Permute)
def permute(x: Tensor, *dims) -> Tensor:
    dims = _sizes(dims)
    nd = x.data.ndim
    if len(dims) != nd:
        raise ValueError(f"permute: got {len(dims)} dims for a tensor of {nd} dims")
    axes = tuple(norm_axis(d, nd, "permute") for d in dims)
    if sorted(axes) != list(range(nd)):
        raise ValueError(f"permute: {dims} is not a permutation of the dims")
    return Permute.apply(x, axes)


@op(aliases=("swapaxes", "swapdims"), method=("transpose", "swapaxes", "swapdims"),
    records=Permute)
def transpose(x: Tensor, dim0: int, dim1: int) -> Tensor:
    nd = x.data.ndim
    if nd < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return x
    axes = list(range(nd))
    a, b = norm_axis(dim0, nd, "transpose"), norm_axis(dim1, nd, "transpose")
    axes[a], axes[b] = axes[b], axes[a]
    return Permute.apply(x, tuple(axes))


class Expand(Function):
    name, formula = "expand", 1.0

    def forward(self, x, shape):
        return xp.broadcast_to(x, shape)

    def backward(self, gy):
        return gy  # the engine sums it back to the input's shape


@op(records=Expand)
def expand(x: Tensor, *sizes) -> Tensor:
    sizes = _sizes(sizes)
    shp = x.data.shape
    lead = len(sizes) - len(shp)
    if lead < 0:
        raise ValueError(f"expand: {sizes} has fewer dims than the tensor's shape {shp}")
    new = tuple(shp[i - lead] if (n == -1 and i >= lead) else n for i, n in enumerate(sizes))
    for i, n in enumerate(shp):
        if n != 1 and n != new[i + lead]:
            raise ValueError(f"expand: cannot expand shape {shp} to {sizes}")
    return Expand.apply(x, new)


def _index_kind(key, ndim: int) -> str:
    """'basic' (ints, slices, None, ...), 'arrays' (one integer array per dim, as in
    ``x[rows, labels]``) or 'advanced' (any other use of integer or bool arrays)."""
    items = key if isinstance(key, tuple) else (key,)
    n_int_arrays = 0
    advanced = False
    for k in items:
        if isinstance(k, np.ndarray):
            advanced = True
            n_int_arrays += k.dtype.kind in "iu"
        elif isinstance(k, list):
            advanced = True
    if not advanced:
        return "basic"
    return "arrays" if n_int_arrays == len(items) == ndim else "advanced"


def _clean_key(key):
    if isinstance(key, Tensor):
        return key.data
    if isinstance(key, tuple):
        return tuple(xp.asarray(k) if isinstance(k, list) else k.data if isinstance(k, Tensor)
                     else k for k in key)
    if isinstance(key, list):
        return xp.asarray(key)
    return key


class GetItem(Function):
    """y = x[key]. Backward puts gy back where it came from, in zeros; with integer arrays
    it scatter-adds, so a repeated index accumulates."""

    name, formula = "getitem", 1.0

    def forward(self, x, key, kind):
        self.shape, self.key, self.kind = x.shape, key, kind
        return x[key]

    def backward(self, gy):
        shape, key = self.shape, self.key
        gx = xp.zeros(shape, dtype=gy.dtype)
        if self.kind == "arrays":
            # Scatter-add into the flat view: NumPy's fast path for add.at, several times
            # quicker than add.at with a tuple of index arrays. "wrap" maps -1 to the last.
            keys = key if isinstance(key, tuple) else (key,)
            flat = xp.ravel_multi_index(keys, shape, mode="wrap")
            xp.add.at(gx.reshape(-1), flat.ravel(), gy.ravel())
        elif self.kind == "advanced":
            xp.add.at(gx, key, gy)
        else:
            gx[key] = gy
        return gx


@op(method=False, top=False, dunder="__getitem__", records=GetItem)
def getitem(x: Tensor, key) -> Tensor:
    """``x[key]`` with NumPy's indexing rules: ints, slices, None, Ellipsis, integer arrays
    (lists, ndarrays or integer tensors) and boolean masks."""
    key = _clean_key(key)
    try:
        return GetItem.apply(x, key, _index_kind(key, x.data.ndim))
    except IndexError as e:
        raise IndexError(
            f"index {key!r} is invalid for a tensor of shape {tuple(x.shape)}: {e}"
        ) from None


class Cat(Function):
    name, formula = "cat", 1.0

    def forward(self, *xs, axis):
        self.axis = axis
        self.bounds = np.cumsum([a.shape[axis] for a in xs])[:-1]
        return xp.concatenate(xs, axis=axis)

    def backward(self, gy):
        return tuple(xp.split(gy, self.bounds, axis=self.axis))


def _tensors(tensors, op):
    tensors = list(tensors)
    if not tensors:
        raise ValueError(f"{op}: expected a non-empty sequence of tensors")
    ts = [t if isinstance(t, Tensor) else Tensor(t) for t in tensors]
    if any(t.data.dtype != ts[0].data.dtype for t in ts):  # PyTorch's promotion, not NumPy's
        from ._util import promote_all

        ts = promote_all(*ts)
    return ts


@op(method=False, aliases=("concat", "concatenate"), records=Cat)
def cat(tensors, dim: int = 0) -> Tensor:
    """Join tensors along an existing dim."""
    ts = _tensors(tensors, "cat")
    nd = ts[0].data.ndim
    axis = norm_axis(dim, nd, "cat")
    for i, t in enumerate(ts):
        if t.data.ndim != nd or any(
            a != b for j, (a, b) in enumerate(zip(t.data.shape, ts[0].data.shape)) if j != axis
        ):
            raise ValueError(
                f"cat: tensor {i} has shape {tuple(t.shape)}, incompatible with "
                f"{tuple(ts[0].shape)} along dims other than {dim}"
            )
    return Cat.apply(*ts, axis=axis)


@op(method=False, records=Cat)
def stack(tensors, dim: int = 0) -> Tensor:
    """Join same-shaped tensors along a new dim."""
    ts = _tensors(tensors, "stack")
    for i, t in enumerate(ts):
        if t.data.shape != ts[0].data.shape:
            raise ValueError(
                f"stack: tensor {i} has shape {tuple(t.shape)}, expected {tuple(ts[0].shape)}"
            )
    d = norm_axis(dim, ts[0].data.ndim + 1, "stack")
    return cat([unsqueeze(t, d) for t in ts], d)


@op()
def split(x: Tensor, split_size_or_sections, dim: int = 0) -> tuple:
    """Split into pieces of ``split_size`` (the last may be smaller) or of given sizes."""
    axis = norm_axis(dim, x.data.ndim, "split")
    n = x.data.shape[axis]
    if isinstance(split_size_or_sections, (int, np.integer)):
        size = int(split_size_or_sections)
        if size <= 0:
            raise ValueError(f"split: split_size must be positive, got {size}")
        sizes = [size] * (n // size) + ([n % size] if n % size else [])
    else:
        sizes = list(split_size_or_sections)
        if sum(sizes) != n:
            raise ValueError(f"split: sections {sizes} do not add up to dim size {n}")
    out, start = [], 0
    pre = (slice(None),) * axis
    for s in sizes:
        out.append(getitem(x, pre + (slice(start, start + s),)))
        start += s
    return tuple(out)


@op()
def chunk(x: Tensor, chunks: int, dim: int = 0) -> tuple:
    """``chunks`` pieces of (nearly) equal size along ``dim``."""
    if chunks <= 0:
        raise ValueError(f"chunk: chunks must be positive, got {chunks}")
    n = x.data.shape[norm_axis(dim, x.data.ndim, "chunk")]
    size = -(-n // chunks)
    return split(x, max(size, 1), dim)


class Pad(Function):
    name, formula = "pad", 1.0

    def forward(self, x, widths, value):
        self.slices = tuple(slice(a, a + n) for (a, _), n in zip(widths, x.shape))
        return xp.pad(x, widths, mode="constant", constant_values=value)

    def backward(self, gy):
        return gy[self.slices]


@op(method=False, functional=True, records=(Pad, PadByIndex))
def pad(input, pad: tuple, mode: str = "constant", value: float | None = None) -> Tensor:  # noqa: A002
    """Pad with a constant (``value``, 0 by default), PyTorch's order: ``(left, right)`` of
    the last dim first, then ``(top, bottom)`` of the one before, and so on. The modes
    'reflect', 'replicate' and 'circular' are in ``ops/padding.py``."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    value = 0.0 if value is None else value
    if mode != "constant":
        if mode not in ("reflect", "replicate", "circular"):
            raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or "
                             f"'circular', got {mode!r}")
        return pad_modes(x, pad, mode)
    if len(pad) % 2 or len(pad) // 2 > x.data.ndim:
        raise ValueError(f"pad: expected pairs for at most {x.data.ndim} dims, got {pad}")
    if any(p < 0 for p in pad):
        raise ValueError(f"pad: negative padding is not supported, got {pad}")
    widths = [(0, 0)] * x.data.ndim
    for i in range(len(pad) // 2):
        widths[x.data.ndim - 1 - i] = (int(pad[2 * i]), int(pad[2 * i + 1]))
    return Pad.apply(x, tuple(widths), value)


@op(top=False, records=Reshape)
def view(x: Tensor, *shape) -> Tensor:
    """``reshape`` that promises a view (``x.view(N, -1)``): the result shares ``x``'s
    memory, so writes through it show in ``x``. Where no view exists (a transposed or
    sliced tensor whose elements are not laid out in the new order) it refuses, as
    PyTorch does, rather than silently copying."""
    out = reshape(x, *shape)
    if out.data.size and not xp.may_share_memory(out.data, x.data):
        raise RuntimeError(
            f"view size is not compatible with input tensor's size and stride (at least one "
            f"dimension spans across two contiguous subspaces): shape {tuple(x.shape)} -> "
            f"{tuple(out.shape)}. Use .reshape(...) instead (it copies when it must)."
        )
    return out


@op(top=False, records=Reshape)
def view_as(x: Tensor, other) -> Tensor:
    """``x`` viewed in ``other``'s shape."""
    return reshape(x, tuple(other.shape))


@op(top=False, records=Expand)
def expand_as(x: Tensor, other) -> Tensor:
    """``x`` expanded to ``other``'s shape."""
    return expand(x, tuple(other.shape))


@op(records=Permute)
def t(x: Tensor) -> Tensor:
    """The transpose of a matrix (a 0-d or 1-d tensor is returned as is)."""
    if x.data.ndim > 2:
        raise ValueError(f"t() expects a tensor of at most 2 dims, got {x.data.ndim}")
    return x if x.data.ndim < 2 else Permute.apply(x, (1, 0))


# --- in-place shape changes: a new view of the same memory, as PyTorch's unsqueeze_ ... ---

def _reshape_in_place(self: Tensor, view: Tensor, name: str) -> Tensor:
    """Make ``self`` hold ``view`` (its own data seen in a new shape).

    Refused on a leaf that requires grad (outside ``no_grad``) and on a tensor made by a
    recorded op: glassnet's graph links to tensors, so earlier uses of this one would see
    the new shape. The version is bumped, so a backward that saved the tensor refuses."""
    self._check_inplace(f"{name}()")
    if self._ctx is not None:
        raise RuntimeError(f"{name}(): in-place shape change of a tensor that is part of a "
                           f"graph; write x = x.{name[:-1]}(...) instead")
    self.data = view.data
    self._bump()
    return self


@op(method="unsqueeze_", top=False)
def unsqueeze_(self, dim: int) -> Tensor:
    return _reshape_in_place(self, unsqueeze(self.detach(), dim), "unsqueeze_")


@op(method="squeeze_", top=False)
def squeeze_(self, dim=None) -> Tensor:
    return _reshape_in_place(self, squeeze(self.detach(), dim), "squeeze_")


@op(method=("transpose_", "swapaxes_", "swapdims_"), top=False)
def transpose_(self, dim0: int, dim1: int) -> Tensor:
    return _reshape_in_place(self, transpose(self.detach(), dim0, dim1), "transpose_")


@op(method="t_", top=False)
def t_(self) -> Tensor:
    return _reshape_in_place(self, t(self.detach()), "t_")
