"""The square root that ends ``norm`` and ``std``: its derivative at 0 is taken as 0 (the
subgradient PyTorch uses there), so the norm of a zero vector or the spread of a constant
one has gradient 0, not NaN (0 · ∞). Plain ``sqrt`` keeps its infinite slope at 0."""

from __future__ import annotations

import numpy as np

from ..autograd import Elementwise
from ..backend import xp


class SqrtAtZero(Elementwise):
    """y = √x; gx = gy / (2y) where y > 0, and 0 where y = 0."""

    name, formula = "sqrt", "1/(2√{0})"

    def forward(self, x):
        self.y = xp.sqrt(x)
        return self.y

    def backward(self, gy):
        y = self.y
        with np.errstate(divide="ignore", invalid="ignore"):
            return xp.where(y == 0, 0, gy * 0.5 / y).astype(y.dtype, copy=False)


def sqrt_at_zero(t):
    """``t.sqrt()`` with the zero subgradient at 0 (for ``norm`` and ``std``)."""
    return SqrtAtZero.apply(t)
