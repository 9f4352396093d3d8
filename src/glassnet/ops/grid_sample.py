"""Sampling an image at arbitrary points (``grid_sample``) and the grid of an affine map
(``affine_grid``): the two halves of a spatial transformer, with PyTorch's arguments.

``grid_sample(input (N, C, H, W), grid (N, Ho, Wo, 2))`` reads ``input`` at the points
``grid[n, i, j] = (x, y)``, given in [-1, 1] coordinates (x across the width, y down the
height): with ``align_corners`` -1 and 1 are the centres of the corner pixels, without it
(the default) they are the outer edges of the corner pixels. A point outside is read as 0
(``padding_mode='zeros'``), as the nearest edge pixel (``'border'``), or at its mirror
image inside (``'reflection'``). ``'bilinear'`` blends the four pixels around the point,
``'nearest'`` takes the closest (halves round to even, as in PyTorch).

The points' pixel coordinates are computed with NumPy; the reads and the scatters run in a
numba kernel where numba is available (``GLASSNET_KERNEL=numpy`` selects the NumPy version,
which builds ``(N, C, P)`` arrays per corner; tests run both).

Derivatives: the input gets each output's gradient spread back onto the pixels it read,
with the same weights (repeats add). The grid gets, for bilinear, the slope of the blend
between the four pixels (d out / d x = (1 - ty)(v_ne - v_nw) + ty(v_se - v_sw), likewise
for y) times the unnormalisation scale, and zero where clipping to the border holds the
point still (a reflection flips the sign); for nearest it gets zero, as in PyTorch.

``affine_grid(theta (N, 2, 3), size (N, C, H, W))`` is the base grid of output pixel
positions [x, y, 1] times thetaᵀ, built from ``matmul`` (its gradient comes from that).
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function, Local
from ..backend import kernel_choice
from ..tensor import Tensor
from ._registry import op

__all__ = ["grid_sample", "affine_grid"]


def _reflect(c, twice_low: float, twice_high: float):
    """Fold coordinates into [low, high] by mirroring; also the derivative (±1)."""
    if twice_low == twice_high:
        return np.zeros_like(c), np.zeros_like(c)
    lo = twice_low / 2
    span = (twice_high - twice_low) / 2
    c = c - lo
    sign = np.where(c < 0, -1.0, 1.0)
    c = np.abs(c)
    with np.errstate(invalid="ignore"):   # ±inf or NaN: NaN here, 0 after the clip
        extra = np.fmod(c, span)
        flips = np.floor(c / span)
        even = np.fmod(flips, 2) == 0
    return np.where(even, extra + lo, span - extra + lo), np.where(even, sign, -sign)


def _clip(c, size: int):
    """Clip to [0, size - 1] (NaN, and ±inf folded by a reflection, to 0 as in PyTorch);
    the derivative is 1 strictly inside, else 0."""
    inside = (c > 0) & (c < size - 1)
    return np.nan_to_num(np.clip(c, 0, size - 1), nan=0.0), inside.astype(c.dtype)


def source_index(coord, size: int, padding_mode: str, align_corners: bool):
    """Pixel coordinate of normalised ``coord`` along an axis of ``size`` pixels, after
    padding_mode, and d pixel / d coord."""
    scale = (size - 1) / 2 if align_corners else size / 2
    c = coord * scale + (size - 1) / 2   # PyTorch's rounding: -1 -> 0 or -0.5
    d = np.full_like(c, scale)
    if padding_mode == "border":
        c, g = _clip(c, size)
        d = d * g
    elif padding_mode == "reflection":
        if align_corners:
            c, g = _reflect(c, 0, 2 * (size - 1))
        else:
            c, g = _reflect(c, -1, 2 * size - 1)
        c, g2 = _clip(c, size)
        d = d * g * g2
    return c, d


class GridSampleOp(Function):
    """``input (N, C, H, W)``, ``grid (N, Ho, Wo, 2)`` -> ``(N, C, Ho, Wo)``: the input
    read at each grid point (bilinear blend of the 4 pixels around it, or the nearest).

    Backward: gx scatters gy onto the pixels read, with the blend weights; ggrid is the
    blend's slope times d pixel / d coordinate (zero for nearest)."""

    name = "grid_sample"
    formula = (Local(1.0, "[blend weight of the pixel]", generic=True),
               Local(1.0, "[slope of the blend between the pixels around the point]",
                     generic=True))

    def forward(self, x, grid, mode, padding_mode, align_corners, kernel):
        N, C, H, W = x.shape
        _, Ho, Wo, _ = grid.shape
        g = grid.reshape(N, Ho * Wo, 2)
        ix, dx = source_index(g[..., 0], W, padding_mode, align_corners)
        iy, dy = source_index(g[..., 1], H, padding_mode, align_corners)
        self.shape, self.dx, self.dy, self.mode = (N, C, H, W, Ho, Wo), dx, dy, mode
        self.kernel = kernel
        if kernel == "numba":
            self.x, self.ix, self.iy = x, ix, iy
            out = _kernels().sample_forward(x, ix, iy, mode == "nearest")
            return out.reshape(N, C, Ho, Wo)
        flat_x = x.reshape(-1)
        plane0 = (np.arange(N * C, dtype=np.int64) * (H * W)).reshape(N, C, 1)
        if mode == "nearest":
            corners = [(np.rint(iy), np.rint(ix), np.ones_like(ix))]
        else:
            x0, y0 = np.floor(ix), np.floor(iy)
            with np.errstate(invalid="ignore"):  # inf - inf: a NaN weight, as PyTorch's
                tx, ty = ix - x0, iy - y0
            self.tx, self.ty = tx, ty
            corners = [(y0, x0, (1 - tx) * (1 - ty)), (y0, x0 + 1, tx * (1 - ty)),
                       (y0 + 1, x0, (1 - tx) * ty), (y0 + 1, x0 + 1, tx * ty)]
        self.flat, self.w, self.vals = [], [], []
        out = np.zeros((N, C, Ho * Wo), dtype=x.dtype)
        for yy, xx, w in corners:
            ok = (xx >= 0) & (xx <= W - 1) & (yy >= 0) & (yy <= H - 1)
            yi = np.where(ok, yy, 0).astype(np.int64)        # outside (or NaN): read pixel 0
            xi = np.where(ok, xx, 0).astype(np.int64)
            flat = plane0 + (yi * W + xi)[:, None, :]           # (N, C, P) into x.ravel()
            v = np.take(flat_x, flat)                           # (N, C, P)
            v *= ok[:, None, :]                                 # 0 outside the image
            self.flat.append(flat)
            self.w.append(np.where(ok, w, 0.0).astype(x.dtype))
            self.vals.append(v)
            out += v * w[:, None, :]
        return out.reshape(N, C, Ho, Wo)

    def backward(self, gy):
        N, C, H, W, Ho, Wo = self.shape
        gy3 = gy.reshape(N, C, Ho * Wo)
        gx = ggrid = None
        if self.kernel == "numba":
            need_x, need_grid = self.needs_input_grad[:2]
            gx, gix, giy = _kernels().sample_backward(
                np.ascontiguousarray(gy3), self.x, self.ix, self.iy, self.mode == "nearest",
                need_x)
            if need_grid:
                ggrid = np.stack([gix * self.dx, giy * self.dy], axis=-1)
                ggrid = ggrid.astype(gy.dtype, copy=False).reshape(N, Ho, Wo, 2)
            return (gx if need_x else None), ggrid, None, None, None, None
        if self.needs_input_grad[0]:
            # one bincount over every (sample, channel, pixel) the corners read
            rows = np.concatenate([f.ravel() for f in self.flat])
            vals = np.concatenate([(gy3 * w[:, None, :]).ravel() for w in self.w])
            gx = np.bincount(rows, weights=vals, minlength=N * C * H * W)
            gx = gx.astype(gy.dtype, copy=False).reshape(N, C, H, W)
        if self.needs_input_grad[1]:
            ggrid = np.zeros((N, Ho * Wo, 2), dtype=gy.dtype)
            if self.mode == "bilinear":
                nw, ne, sw, se = (np.einsum("ncp,ncp->np", gy3, v) for v in self.vals)
                tx, ty = self.tx, self.ty
                gix = (1 - ty) * (ne - nw) + ty * (se - sw)
                giy = (1 - tx) * (sw - nw) + tx * (se - ne)
                ggrid[..., 0] = gix * self.dx
                ggrid[..., 1] = giy * self.dy
            ggrid = ggrid.reshape(N, Ho, Wo, 2)
        return gx, ggrid, None, None, None, None


_numba_kernels = None


def _kernels():
    """The numba kernels (compiled on first use)."""
    global _numba_kernels
    if _numba_kernels is None:
        from . import _grid_sample_numba

        _numba_kernels = _grid_sample_numba
    return _numba_kernels


def _t(x, what: str, op_name: str) -> Tensor:
    t = x if isinstance(x, Tensor) else Tensor(np.asarray(x))
    if t.data.dtype.kind != "f":
        raise TypeError(f"{op_name}: {what} must be floating point, got dtype {t.data.dtype}")
    return t


@op(method=False, top=False, functional=True, records=GridSampleOp)
def grid_sample(input, grid, mode: str = "bilinear", padding_mode: str = "zeros",  # noqa: A002
                align_corners: bool | None = None) -> Tensor:
    """Read ``input`` ``(N, C, H, W)`` at the points ``grid`` ``(N, Ho, Wo, 2)`` (x, y in
    [-1, 1]) -> ``(N, C, Ho, Wo)``. ``mode``: 'bilinear' or 'nearest'; ``padding_mode``:
    'zeros', 'border' or 'reflection'; ``align_corners`` (default False): whether ±1 are
    the corner pixels' centres (True) or outer edges (False)."""
    if mode not in ("bilinear", "nearest"):
        raise ValueError(f"grid_sample: mode must be 'bilinear' or 'nearest' (4-D input), got "
                         f"{mode!r}")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"grid_sample: padding_mode must be 'zeros', 'border' or "
                         f"'reflection', got {padding_mode!r}")
    x, g = _t(input, "input", "grid_sample"), _t(grid, "grid", "grid_sample")
    if x.ndim != 4:
        raise ValueError(f"grid_sample: expected a 4-D input (N, C, H, W), got shape "
                         f"{tuple(x.shape)} (5-D volumes are not supported)")
    if g.ndim != 4 or g.shape[-1] != 2:
        raise ValueError(f"grid_sample: grid must be (N, Ho, Wo, 2) for a 4-D input, got shape "
                         f"{tuple(g.shape)}")
    if g.shape[0] != x.shape[0]:
        raise ValueError(f"grid_sample: grid and input must have the same batch size, got "
                         f"{g.shape[0]} and {x.shape[0]}")
    if x.data.dtype != g.data.dtype:
        raise TypeError(f"grid_sample: input and grid must have the same dtype, got "
                        f"{x.data.dtype} and {g.data.dtype}")
    if 0 in x.shape[2:]:
        raise ValueError(f"grid_sample: input has an empty spatial dim, shape "
                         f"{tuple(x.shape)}")
    kernel = kernel_choice("auto", "grid_sample")
    return GridSampleOp.apply(x, g, mode, padding_mode, bool(align_corners), kernel)


def _base_coords(n: int, align_corners: bool) -> np.ndarray:
    if n <= 1:
        return np.zeros(max(n, 0))
    c = np.linspace(-1.0, 1.0, n)
    return c if align_corners else c * (n - 1) / n


@op(method=False, top=False, functional=True)
def affine_grid(theta, size, align_corners: bool | None = None) -> Tensor:
    """The sampling grid ``(N, H, W, 2)`` of the affine maps ``theta`` ``(N, 2, 3)`` for an
    output of ``size`` ``(N, C, H, W)``: each output pixel's [-1, 1] position
    [x, y, 1] mapped by theta. ``align_corners`` as in :func:`grid_sample` (default
    False)."""
    th = _t(theta, "theta", "affine_grid")
    size = tuple(int(s) for s in size)
    if len(size) != 4:
        raise ValueError(f"affine_grid: size must be (N, C, H, W) (5-D volumes are not "
                         f"supported), got {size}")
    N, _, H, W = size
    if th.ndim != 3 or tuple(th.shape[1:]) != (2, 3) or th.shape[0] != N:
        raise ValueError(f"affine_grid: expected theta of shape ({N}, 2, 3) for size {size}, "
                         f"got {tuple(th.shape)}")
    if min(size) <= 0:
        raise ValueError(f"affine_grid: size must be positive, got {size}")
    ac = bool(align_corners)
    xs, ys = _base_coords(W, ac), _base_coords(H, ac)
    base = np.empty((H, W, 3), dtype=th.data.dtype)
    base[..., 0] = xs[None, :]
    base[..., 1] = ys[:, None]
    base[..., 2] = 1
    grid = Tensor(base.reshape(1, H * W, 3)) @ th.transpose(1, 2)
    return grid.reshape(N, H, W, 2)
