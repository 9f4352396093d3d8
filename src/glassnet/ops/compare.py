"""Comparisons and logical ops: they return bool tensors and have no gradient."""

from __future__ import annotations

from ..backend import xp
from ..tensor import Tensor


def _data(x):
    return x.data if isinstance(x, Tensor) else x


def _cmp(fn, a, b, op):
    try:
        return Tensor._wrap(xp.asarray(fn(_data(a), _data(b))))
    except ValueError:
        raise ValueError(
            f"{op}: shapes {tuple(xp.shape(_data(a)))} and {tuple(xp.shape(_data(b)))} "
            f"cannot be broadcast"
        ) from None


def eq(a, b) -> Tensor:
    return _cmp(xp.equal, a, b, "eq")


def ne(a, b) -> Tensor:
    return _cmp(xp.not_equal, a, b, "ne")


def lt(a, b) -> Tensor:
    return _cmp(xp.less, a, b, "lt")


def le(a, b) -> Tensor:
    return _cmp(xp.less_equal, a, b, "le")


def gt(a, b) -> Tensor:
    return _cmp(xp.greater, a, b, "gt")


def ge(a, b) -> Tensor:
    return _cmp(xp.greater_equal, a, b, "ge")


def logical_and(a, b) -> Tensor:
    return _cmp(xp.logical_and, a, b, "logical_and")


def logical_or(a, b) -> Tensor:
    return _cmp(xp.logical_or, a, b, "logical_or")


def logical_not(a) -> Tensor:
    return Tensor._wrap(xp.logical_not(_data(a)))


def isnan(a) -> Tensor:
    return Tensor._wrap(xp.isnan(_data(a)))


def isfinite(a) -> Tensor:
    return Tensor._wrap(xp.isfinite(_data(a)))


def allclose(a, b, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    return bool(xp.allclose(_data(a), _data(b), rtol=rtol, atol=atol))
