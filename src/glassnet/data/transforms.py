"""Image augmentation on whole batches: ``(N, C, H, W)`` float arrays or Tensors in, the
same type and shape out.

Every random transform draws from its own seeded ``generator`` (a ``gn.Generator`` or a
NumPy ``Generator``; the global default when None), separately for each image of the
batch and with no Python loop over images. Use one as a DataLoader's ``transform=`` (it
is applied to the inputs of every batch) or call it on a batch yourself::

    aug = T.Compose([T.RandomCrop(8, padding=1, generator=gn.Generator(0)),
                     T.RandomAffine(degrees=10, translate=(0.1, 0.1), generator=gn.Generator(1)),
                     T.Normalize(mean=[0.5], std=[0.25])])
    loader = gn.data.DataLoader(ds, batch_size=64, shuffle=True, transform=aug)

Inputs keep their dtype; transforms never modify their input in place and never record
a graph (augmentation happens before the network).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from ..random import resolve
from ..tensor import Tensor

__all__ = ["Compose", "RandomHorizontalFlip", "RandomVerticalFlip", "RandomCrop",
           "RandomAffine", "GaussianNoise", "Normalize", "Lambda"]


def _batch(x, who: str):
    """``(array (N, C, H, W), rewrap)`` for a batch; a 3-D image is a batch of one."""
    is_tensor = isinstance(x, Tensor)
    a = x.data if is_tensor else np.asarray(x)
    if a.dtype.kind != "f":
        a = a.astype(np.float32)
    single = a.ndim == 3
    if single:
        a = a[None]
    if a.ndim != 4:
        raise ValueError(f"{who}: expected images (N, C, H, W) or (C, H, W), got shape "
                         f"{a.shape}")

    def rewrap(out):
        if single:
            out = out[0]
        return Tensor._wrap(out) if is_tensor else out

    return a, rewrap


class Compose:
    """Apply ``transforms`` in order."""

    def __init__(self, transforms: Sequence[Callable]):
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        inner = ",\n    ".join(repr(t) for t in self.transforms)
        return f"Compose([\n    {inner}\n])"


class Lambda:
    """Wrap a function of the batch as a transform."""

    def __init__(self, fn: Callable):
        self.fn = fn

    def __call__(self, x):
        return self.fn(x)


class RandomHorizontalFlip:
    """Mirror each image left-right with probability ``p``."""

    _axis = 3

    def __init__(self, p: float = 0.5, generator=None):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: p must be between 0 and 1, got {p}")
        self.p, self.generator = p, generator

    def __call__(self, x):
        a, rewrap = _batch(x, type(self).__name__)
        flip = resolve(self.generator).random(a.shape[0]) < self.p
        out = a.copy()
        out[flip] = np.flip(a[flip], axis=self._axis)
        return rewrap(out)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(p={self.p})"


class RandomVerticalFlip(RandomHorizontalFlip):
    """Mirror each image top-bottom with probability ``p``."""

    _axis = 2


class RandomCrop:
    """Crop each image at a random place to ``size`` (int or (h, w)), after padding every
    side by ``padding`` pixels of ``fill`` (int, or (left/right, top/bottom))."""

    def __init__(self, size, padding=None, fill: float = 0.0, generator=None):
        self.size = (int(size), int(size)) if isinstance(size, (int, np.integer)) else \
            tuple(int(s) for s in size)
        if padding is None:
            padding = 0
        self.padding = (int(padding),) * 2 if isinstance(padding, (int, np.integer)) else \
            tuple(int(p) for p in padding)
        if len(self.size) != 2 or len(self.padding) != 2 or min(self.padding) < 0:
            raise ValueError(f"RandomCrop: size must be an int or (h, w) and padding a "
                             f"non-negative int or pair, got size={size}, padding={padding}")
        self.fill, self.generator = fill, generator

    def __call__(self, x):
        a, rewrap = _batch(x, "RandomCrop")
        N, C, H, W = a.shape
        pw, ph = self.padding
        h, w = self.size
        Hp, Wp = H + 2 * ph, W + 2 * pw
        if h > Hp or w > Wp:
            raise ValueError(f"RandomCrop: crop size {self.size} is larger than the padded "
                             f"image {(Hp, Wp)}")
        padded = np.full((N, C, Hp, Wp), self.fill, dtype=a.dtype)
        padded[:, :, ph:ph + H, pw:pw + W] = a
        rng = resolve(self.generator)
        top = rng.integers(0, Hp - h + 1, N)
        left = rng.integers(0, Wp - w + 1, N)
        # Gather rows then columns per image: (N, 1, h, 1) and (N, 1, 1, w) index grids.
        rows = (top[:, None] + np.arange(h))[:, None, :, None]
        cols = (left[:, None] + np.arange(w))[:, None, None, :]
        out = padded[np.arange(N)[:, None, None, None], np.arange(C)[None, :, None, None],
                     rows, cols]
        return rewrap(out)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"


class RandomAffine:
    """Rotate each image by a random angle in ``±degrees`` (or ``(lo, hi)``) about its
    centre, then shift it by up to ``translate=(fx, fy)`` of its width and height, with
    bilinear interpolation; uncovered pixels get ``fill``. ``scale=(lo, hi)`` also zooms."""

    def __init__(self, degrees, translate=None, scale=None, fill: float = 0.0,
                 generator=None):
        d = (-float(degrees), float(degrees)) if np.isscalar(degrees) else \
            tuple(float(v) for v in degrees)
        if len(d) != 2 or d[0] > d[1]:
            raise ValueError(f"RandomAffine: degrees must be a number or (lo, hi), got {degrees}")
        if translate is not None and (len(translate) != 2 or
                                      not all(0.0 <= t <= 1.0 for t in translate)):
            raise ValueError(f"RandomAffine: translate must be (fx, fy) in [0, 1], "
                             f"got {translate}")
        if scale is not None and (len(scale) != 2 or not 0 < scale[0] <= scale[1]):
            raise ValueError(f"RandomAffine: scale must be (lo, hi) with 0 < lo <= hi, "
                             f"got {scale}")
        self.degrees, self.translate, self.scale = d, translate, scale
        self.fill, self.generator = fill, generator

    def __call__(self, x):
        a, rewrap = _batch(x, "RandomAffine")
        N, C, H, W = a.shape
        rng = resolve(self.generator)
        angle = np.deg2rad(rng.uniform(self.degrees[0], self.degrees[1], N))
        tx = ty = np.zeros(N)
        if self.translate is not None:
            tx = rng.uniform(-1, 1, N) * self.translate[0] * W
            ty = rng.uniform(-1, 1, N) * self.translate[1] * H
        s = np.ones(N) if self.scale is None else rng.uniform(self.scale[0], self.scale[1], N)
        # Inverse map: for every output pixel p, the source is R(-angle) (p - c - t) / s + c.
        cy, cx = (H - 1) / 2.0, (W - 1) / 2.0
        yy, xx = np.meshgrid(np.arange(H, dtype=np.float64), np.arange(W, dtype=np.float64),
                             indexing="ij")
        dy = yy[None] - cy - ty[:, None, None]
        dx = xx[None] - cx - tx[:, None, None]
        cos, sin = np.cos(angle)[:, None, None], np.sin(angle)[:, None, None]
        s = s[:, None, None]
        sx = (cos * dx + sin * dy) / s + cx
        sy = (-sin * dx + cos * dy) / s + cy
        return rewrap(_bilinear(a, sy, sx, self.fill))

    def __repr__(self) -> str:
        return (f"RandomAffine(degrees={self.degrees}, translate={self.translate}, "
                f"scale={self.scale})")


def _bilinear(a, sy, sx, fill):
    """Sample ``a`` (N, C, H, W) at float positions ``sy, sx`` (N, H', W') bilinearly;
    positions outside the image read ``fill``."""
    N, C, H, W = a.shape
    padded = np.full((N, C, H + 2, W + 2), fill, dtype=a.dtype)
    padded[:, :, 1:-1, 1:-1] = a
    # Shift by the 1-pixel border and clamp, so far-away samples read the fill border.
    sy = np.clip(sy + 1, 0, H + 1)
    sx = np.clip(sx + 1, 0, W + 1)
    y0 = np.clip(np.floor(sy).astype(np.intp), 0, H)
    x0 = np.clip(np.floor(sx).astype(np.intp), 0, W)
    wy = (sy - y0).astype(a.dtype)[:, None]
    wx = (sx - x0).astype(a.dtype)[:, None]
    n = np.arange(N)[:, None, None]

    def at(yi, xi):
        return padded[n, :, yi, xi].transpose(0, 3, 1, 2)  # (N, H', W', C) -> (N, C, H', W')

    top = at(y0, x0) * (1 - wx) + at(y0, x0 + 1) * wx
    bottom = at(y0 + 1, x0) * (1 - wx) + at(y0 + 1, x0 + 1) * wx
    return np.ascontiguousarray(top * (1 - wy) + bottom * wy)


class GaussianNoise:
    """Add N(mean, std²) noise to every pixel; ``clip=(lo, hi)`` clamps the result."""

    def __init__(self, std: float = 0.1, mean: float = 0.0, clip=None, generator=None):
        if std < 0:
            raise ValueError(f"GaussianNoise: std must be non-negative, got {std}")
        self.std, self.mean, self.clip, self.generator = std, mean, clip, generator

    def __call__(self, x):
        a, rewrap = _batch(x, "GaussianNoise")
        noise = resolve(self.generator).normal(self.mean, self.std, a.shape)
        out = a + noise.astype(a.dtype)
        if self.clip is not None:
            np.clip(out, self.clip[0], self.clip[1], out=out)
        return rewrap(out)

    def __repr__(self) -> str:
        return f"GaussianNoise(std={self.std}, mean={self.mean})"


class Normalize:
    """``(x - mean[c]) / std[c]`` per channel (``mean``, ``std``: numbers or one per channel)."""

    def __init__(self, mean, std):
        self.mean = np.atleast_1d(np.asarray(mean, dtype=np.float64))
        self.std = np.atleast_1d(np.asarray(std, dtype=np.float64))
        if (self.std <= 0).any():
            raise ValueError(f"Normalize: std must be positive, got {std}")

    def __call__(self, x):
        a, rewrap = _batch(x, "Normalize")
        C = a.shape[1]
        for name, v in (("mean", self.mean), ("std", self.std)):
            if v.size not in (1, C):
                raise ValueError(f"Normalize: {name} has {v.size} values for images with "
                                 f"{C} channels")
        m = self.mean.astype(a.dtype).reshape(-1, 1, 1)
        s = self.std.astype(a.dtype).reshape(-1, 1, 1)
        return rewrap((a - m) / s)

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean.tolist()}, std={self.std.tolist()})"


