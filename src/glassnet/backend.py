"""The array-library seam.

Every op does its array math through ``xp``, the module handed out here. Today it is
NumPy; a GPU backend (CuPy exposes the same namespace) is added by teaching this file
to hand out ``cupy`` for device arrays, without touching the ops.
"""

from __future__ import annotations

import numpy as np

xp = np
"""The array namespace all ops use (NumPy now)."""

ndarray = np.ndarray

DEFAULT_FLOAT = np.float32


def get_array_module(_array: object = None):
    """The array namespace for ``_array`` (always NumPy until a second backend exists)."""
    return xp


def is_float_dtype(dtype) -> bool:
    return np.issubdtype(dtype, np.floating)


def asarray(data, dtype=None):
    return xp.asarray(data, dtype=dtype)
