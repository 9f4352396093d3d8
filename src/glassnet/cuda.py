"""``gn.cuda``: glassnet has no GPU backend, and says so.

``is_available()`` is False and ``device_count()`` is 0, so PyTorch code that picks a
device (``"cuda" if torch.cuda.is_available() else "cpu"``) chooses the CPU. Seeding
functions are accepted and do nothing, as PyTorch's do on a machine without CUDA.
"""

from __future__ import annotations

__all__ = ["is_available", "device_count", "manual_seed", "manual_seed_all", "synchronize",
           "empty_cache", "is_bf16_supported"]


def is_available() -> bool:
    """False: glassnet computes with NumPy on the CPU."""
    return False


def device_count() -> int:
    return 0


def is_bf16_supported() -> bool:
    return False


def manual_seed(seed: int) -> None:
    """Accepted and ignored: there is no CUDA generator to seed."""


def manual_seed_all(seed: int) -> None:
    """Accepted and ignored: there is no CUDA generator to seed."""


def synchronize(device=None) -> None:
    """Nothing to wait for on the CPU."""


def empty_cache() -> None:
    """No GPU memory cache to free."""
