"""Dropout: zero random elements while training, the identity in eval mode."""

from __future__ import annotations

from ._functions import dropout
from .module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) in
    training mode; pass the input through unchanged after ``eval()``. Any shape.
    ``generator`` draws the masks (the global generator by default)."""

    def __init__(self, p: float = 0.5, inplace: bool = False, *, generator=None) -> None:
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability p must be between 0 and 1, got {p}")
        self.p, self.inplace, self.generator = float(p), inplace, generator

    def forward(self, input):
        return dropout(input, self.p, self.training, self.generator)

    def extra_repr(self) -> str:
        return f"p={self.p}, inplace={self.inplace}"
