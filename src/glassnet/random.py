"""Explicit, seeded randomness.

Everything random in glassnet takes a :class:`Generator`; when none is given, the
global default made by :func:`manual_seed` is used. Same seed, same numbers.
"""

from __future__ import annotations

import numpy as np

__all__ = ["Generator", "manual_seed", "default_generator", "get_rng_state", "set_rng_state"]


class Generator:
    """A seeded source of random numbers wrapping ``numpy.random.Generator`` (PCG64)."""

    __slots__ = ("np_rng", "_seed")

    def __init__(self, seed: int | None = None):
        self._seed = seed
        self.np_rng = np.random.default_rng(seed)

    def manual_seed(self, seed: int) -> Generator:
        self._seed = seed
        self.np_rng = np.random.default_rng(seed)
        return self

    def initial_seed(self) -> int | None:
        return self._seed

    def get_state(self) -> dict:
        """The bit generator's state as plain JSON-able data (used by checkpoints)."""
        return self.np_rng.bit_generator.state

    def set_state(self, state: dict) -> None:
        self.np_rng.bit_generator.state = state

    def __repr__(self) -> str:
        return f"Generator(seed={self._seed})"


_default = Generator()


def default_generator() -> Generator:
    return _default


def manual_seed(seed: int) -> Generator:
    """Seed the global default generator; returns it."""
    return _default.manual_seed(seed)


def get_rng_state() -> dict:
    return _default.get_state()


def set_rng_state(state: dict) -> None:
    _default.set_state(state)


def resolve(generator: Generator | np.random.Generator | None) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (or behind the global default)."""
    if generator is None:
        return _default.np_rng
    if isinstance(generator, Generator):
        return generator.np_rng
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"expected a glassnet.Generator, got {type(generator).__name__}")
