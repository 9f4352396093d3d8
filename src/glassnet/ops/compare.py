"""Comparisons and logical ops: they return bool tensors and have no gradient."""

from __future__ import annotations

from ..backend import xp
from ..tensor import Tensor
from ._registry import op


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


@op(dunder="__eq__", inplace="eq_")
def eq(a, b) -> Tensor:
    return _cmp(xp.equal, a, b, "eq")


@op(dunder="__ne__", method=("ne", "not_equal"), inplace=("ne_", "not_equal_"), aliases="not_equal")
def ne(a, b) -> Tensor:
    return _cmp(xp.not_equal, a, b, "ne")


@op(dunder="__lt__", method=("lt", "less"), inplace=("lt_", "less_"), aliases="less")
def lt(a, b) -> Tensor:
    return _cmp(xp.less, a, b, "lt")


@op(dunder="__le__", method=("le", "less_equal"), inplace=("le_", "less_equal_"),
    aliases="less_equal")
def le(a, b) -> Tensor:
    return _cmp(xp.less_equal, a, b, "le")


@op(dunder="__gt__", method=("gt", "greater"), inplace=("gt_", "greater_"), aliases="greater")
def gt(a, b) -> Tensor:
    return _cmp(xp.greater, a, b, "gt")


@op(dunder="__ge__", method=("ge", "greater_equal"), inplace=("ge_", "greater_equal_"),
    aliases="greater_equal")
def ge(a, b) -> Tensor:
    return _cmp(xp.greater_equal, a, b, "ge")


@op(inplace="logical_and_")
def logical_and(a, b) -> Tensor:
    return _cmp(xp.logical_and, a, b, "logical_and")


@op(inplace="logical_or_")
def logical_or(a, b) -> Tensor:
    return _cmp(xp.logical_or, a, b, "logical_or")


@op(inplace="logical_xor_")
def logical_xor(a, b) -> Tensor:
    return _cmp(xp.logical_xor, a, b, "logical_xor")


@op(inplace="logical_not_")
def logical_not(a) -> Tensor:
    return Tensor._wrap(xp.logical_not(_data(a)))


def _bitwise(fn, op, *args) -> Tensor:
    """``&``, ``|``, ``^``, ``~``: bitwise on integer tensors, logical on bool ones (the same
    thing), as in PyTorch; floating tensors are refused."""
    for a in args:
        kind = xp.asarray(_data(a)).dtype.kind
        if kind not in "biu":
            raise TypeError(f"{op}: only integer and bool tensors, got dtype "
                            f"{xp.asarray(_data(a)).dtype}")
    if len(args) == 1:
        return Tensor._wrap(xp.asarray(fn(_data(args[0]))))
    return _cmp(fn, args[0], args[1], op)


@op(dunder="__and__", rdunder="__rand__")
def bitwise_and(a, b) -> Tensor:
    return _bitwise(xp.bitwise_and, "bitwise_and", a, b)


@op(dunder="__or__", rdunder="__ror__")
def bitwise_or(a, b) -> Tensor:
    return _bitwise(xp.bitwise_or, "bitwise_or", a, b)


@op(dunder="__xor__", rdunder="__rxor__")
def bitwise_xor(a, b) -> Tensor:
    return _bitwise(xp.bitwise_xor, "bitwise_xor", a, b)


@op(dunder="__invert__")
def bitwise_not(a) -> Tensor:
    return _bitwise(xp.invert, "bitwise_not", a)


@op()
def isnan(a) -> Tensor:
    return Tensor._wrap(xp.isnan(_data(a)))


@op()
def isfinite(a) -> Tensor:
    return Tensor._wrap(xp.isfinite(_data(a)))


@op()
def allclose(a, b, rtol: float = 1e-5, atol: float = 1e-8) -> bool:
    return bool(xp.allclose(_data(a), _data(b), rtol=rtol, atol=atol))


@op()
def isin(elements, test_elements, *, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """True where an element of ``elements`` is among ``test_elements`` (a tensor or a
    number); ``invert`` gives the opposite."""
    a = xp.asarray(_data(elements))
    b = xp.asarray(_data(test_elements))
    return Tensor._wrap(xp.isin(a, b, assume_unique=assume_unique, invert=invert))


@op()
def isreal(input) -> Tensor:  # noqa: A002
    """True for each element with no imaginary part (every element of a real tensor)."""
    return Tensor._wrap(xp.isreal(xp.asarray(_data(input))))


@op(method=False)
def is_complex(input) -> bool:  # noqa: A002
    return input.is_complex()


@op(method=False)
def is_nonzero(input) -> bool:  # noqa: A002
    return input.is_nonzero()
