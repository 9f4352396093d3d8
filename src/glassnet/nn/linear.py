"""Linear and Identity layers."""

from __future__ import annotations

import math

import numpy as np

from ..backend import DEFAULT_FLOAT, xp
from ..tensor import Tensor
from . import functional as F
from . import init
from .module import Module
from .parameter import Parameter

__all__ = ["Linear", "Identity"]


class Identity(Module):
    """Returns its input unchanged (a placeholder that keeps a model's structure)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__()

    def forward(self, input):
        return input


class Linear(Module):
    """y = x Wᵀ + b: ``(*, in_features) -> (*, out_features)``.

    ``weight`` is ``(out_features, in_features)`` and ``bias`` ``(out_features,)``, both
    drawn from U(-1/√in_features, 1/√in_features) as in PyTorch (``kaiming_uniform_``
    with a = √5 for the weight). ``generator`` seeds the draw.
    """

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 device=None, dtype=None, *, generator=None) -> None:
        super().__init__()
        for name, n in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 0:
                raise ValueError(f"Linear: {name} must be a non-negative integer, got {n!r}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        dt = np.dtype(DEFAULT_FLOAT if dtype is None else dtype)
        self.weight = Parameter(xp.empty((out_features, in_features), dt))
        if bias:
            self.bias = Parameter(xp.empty(out_features, dt))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        init.kaiming_uniform_(self.weight, a=math.sqrt(5), generator=generator)
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound, generator)

    def forward(self, input):
        params = self._parameters  # direct lookups: cheaper than attribute fallback
        if not isinstance(input, Tensor):
            input = Tensor._wrap(xp.asarray(input, dtype=params["weight"].data.dtype))
        try:
            return F.linear(input, params["weight"], params["bias"])
        except ValueError:  # F.linear checks the shapes; name the layer when the input is wrong
            shape = input.data.shape
            if not shape or shape[-1] != self.in_features:
                raise ValueError(f"{self!r}: expected input of shape (*, {self.in_features}), "
                                 f"got {tuple(shape)}") from None
            raise

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")
