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


# --- reductions NumPy does slowly on small matrices ----------------------------------------
#
# NumPy reduces along a short axis one tiny inner loop at a time: on a (150, 3) float32
# array ``x.sum(0)`` or ``x.max(1)`` costs several microseconds, the price of a much larger
# array. The training hot path does exactly these reductions (bias gradients, softmax over
# a few classes), so they are routed through faster equivalents here: a product with a
# ones vector (BLAS) for sums, and a contiguous transposed copy for the max.

_ones_cache: dict = {}


def _ones(n: int, dtype) -> np.ndarray:
    key = (n, dtype)
    ones = _ones_cache.get(key)
    if ones is None:
        if len(_ones_cache) > 64:
            _ones_cache.clear()
        ones = _ones_cache[key] = np.ones(n, dtype)
        ones.flags.writeable = False
    return ones


def scatter_add_rows(M, rows, vals) -> None:
    """``M[rows] += vals`` with repeated rows summed, as ``np.add.at(M, rows, vals)``, by
    sort + reduceat: several times faster. Equal up to rounding: each row's terms are
    summed (in reduceat's order) before they are added to ``M``. ``rows`` is 1-D, ``vals``
    ``(len(rows), ...)``."""
    if len(rows) == 0:
        return
    order = np.argsort(rows, kind="stable")
    r = rows[order]
    starts = np.flatnonzero(np.r_[True, r[1:] != r[:-1]])
    M[r[starts]] += np.add.reduceat(vals[order], starts, axis=0)


def sum_first(x):
    """``x.sum(axis=0)``: (N, ...) -> (...)."""
    if x.ndim < 2 or x.size == 0 or x.dtype.char not in "fd":
        return x.sum(axis=0)
    n = x.shape[0]
    if x.ndim == 2:
        return _ones(n, x.dtype).dot(x)
    return _ones(n, x.dtype).dot(x.reshape(n, -1)).reshape(x.shape[1:])


def sum_last(x):
    """``x.sum(axis=-1, keepdims=True)``: (..., C) -> (..., 1)."""
    if x.ndim < 2 or x.size == 0 or x.dtype.char not in "fd":
        return x.sum(axis=-1, keepdims=True)
    c = x.shape[-1]
    return x.reshape(-1, c).dot(_ones(c, x.dtype)).reshape(x.shape[:-1] + (1,))


def max_last(x):
    """``x.max(axis=-1, keepdims=True)``: (..., C) -> (..., 1)."""
    c = x.shape[-1] if x.ndim else 0
    if x.ndim < 2 or not 0 < c <= 32:
        return x.max(axis=-1, keepdims=True)
    rows = np.ascontiguousarray(x.reshape(-1, c).T)  # (C, M): the max runs along long rows
    return rows.max(axis=0).reshape(x.shape[:-1] + (1,))


# --- compiled kernels ----------------------------------------------------------------------

_KERNELS = ("auto", "numba", "numpy")
_warned_no_numba = False


def kernel_choice(requested: str = "auto", what: str = "glassnet") -> str:
    """Which kernels run the hot loops (Word2Vec training, recurrent steps): ``"numba"``
    or ``"numpy"``.

    ``requested`` ``"auto"`` reads ``GLASSNET_KERNEL`` (``numba``, ``numpy`` or ``auto``);
    auto means numba — a default dependency, imported only here, on first use — and
    NumPy when numba cannot be imported, with one warning. Asking for numba explicitly
    when it is missing is an error.
    """
    import os

    global _warned_no_numba
    if requested == "auto":
        requested = os.environ.get("GLASSNET_KERNEL", "auto").strip().lower() or "auto"
    if requested not in _KERNELS:
        raise ValueError(f"{what}: kernel must be one of {', '.join(_KERNELS)} "
                         f"(GLASSNET_KERNEL), got {requested!r}")
    if requested == "numpy":
        return "numpy"
    try:
        import numba  # noqa: F401
    except Exception as e:  # missing, or broken against this NumPy
        if requested == "numba":
            raise ImportError(f"{what}: the numba kernels need numba, which failed to import "
                              f"({e}); pip install numba, or set GLASSNET_KERNEL=numpy") from None
        if not _warned_no_numba:
            import warnings

            warnings.warn(f"numba could not be imported ({e}); glassnet runs its NumPy "
                          f"kernels instead (slower). Set GLASSNET_KERNEL=numpy to silence "
                          f"this.", RuntimeWarning, stacklevel=3)
            _warned_no_numba = True
        return "numpy"
    return "numba"
