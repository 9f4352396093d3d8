"""Dropout: zero random elements (``Dropout``) or whole channels (``Dropout1d``,
``Dropout2d``, ``Dropout3d``) while training, the identity in eval mode. One op does them
all (``ops/dropout.py``)."""

from __future__ import annotations

from . import functional as F
from .module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d"]


class Dropout(Module):
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) in
    training mode; pass the input through unchanged after ``eval()``. Any shape.
    ``generator`` draws the masks (the global generator by default)."""

    _fn = staticmethod(F.dropout)

    def __init__(self, p: float = 0.5, inplace: bool = False, *, generator=None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability p must be between 0 and 1, got {p}")
        self.p, self.inplace, self.generator = float(p), inplace, generator

    def forward(self, input):
        return self._fn(input, self.p, self.training, generator=self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"


class Dropout2d(Dropout):
    """Zero whole channels of ``(N, C, H, W)`` with probability ``p`` in training (the rest
    scaled by ``1/(1-p)``); the identity in evaluation."""

    _fn = staticmethod(F.dropout2d)


class Dropout1d(Dropout):
    """Zero whole channels of ``(N, C, L)`` with probability ``p`` in training."""

    _fn = staticmethod(F.dropout1d)


class Dropout3d(Dropout):
    """Zero whole channels of ``(N, C, D, H, W)`` (or ``(C, D, H, W)``) with probability
    ``p`` in training (the rest scaled by ``1/(1-p)``); the identity in evaluation."""

    _fn = staticmethod(F.dropout3d)
