"""dtype objects with PyTorch's names: ``gn.float32``, ``gn.long``, ``gn.bool``, ...

Each is a :class:`dtype` wrapping one NumPy dtype. It prints like PyTorch's
(``glassnet.float32``), compares equal to that NumPy dtype and its scalar type
(``gn.float32 == np.float32``, ``t.dtype == np.dtype("float32")``) and hashes like the NumPy
dtype, so code written against NumPy dtypes keeps working. NumPy accepts it anywhere a dtype
goes (``np.zeros(3, dtype=gn.float64)``, ``a.astype(gn.int64)``) through its ``.dtype``
attribute. :func:`to_numpy` is the one place glassnet turns "anything a user may pass as a
dtype" into a NumPy dtype.

NumPy has no bfloat16, so glassnet has none either: asking for it raises an error that
says so.
"""

from __future__ import annotations

import builtins
import sys

import numpy as np

from . import backend

__all__ = [
    "dtype", "to_numpy", "from_numpy", "get_default_dtype", "set_default_dtype",
    "float32", "float", "float64", "double", "float16", "half", "int64", "long", "int32", "int",
    "int16", "short", "int8", "uint8", "bool", "is_floating_point",
]

_builtin_bool = builtins.bool

NO_BFLOAT16 = (
    "bfloat16 is not available: glassnet stores tensors as NumPy arrays and NumPy has no "
    "bfloat16 type; use float16 (.half()) or float32 (.float())"
)


class dtype:  # noqa: N801 - PyTorch's name
    """A tensor element type (``glassnet.float32``, ...).

    Attributes: ``is_floating_point``, ``is_complex``, ``is_signed``, ``itemsize`` (bytes)
    as in PyTorch, and ``numpy_dtype`` (also ``.dtype``, which is how NumPy accepts it).
    Anything else (``.kind``, ``.char``, ``.type``) is read from the NumPy dtype.
    """

    __slots__ = ("_name", "numpy_dtype")

    def __init__(self, name: str, np_dtype):
        self._name = name
        self.numpy_dtype = np.dtype(np_dtype)

    @property
    def dtype(self) -> np.dtype:
        """The NumPy dtype (NumPy reads this attribute: ``np.dtype(gn.float32)`` works)."""
        return self.numpy_dtype

    @property
    def is_floating_point(self) -> _builtin_bool:
        return self.numpy_dtype.kind == "f"

    @property
    def is_complex(self) -> _builtin_bool:
        return self.numpy_dtype.kind == "c"

    @property
    def is_signed(self) -> _builtin_bool:
        return self.numpy_dtype.kind in "fic"

    @property
    def itemsize(self) -> int:
        return self.numpy_dtype.itemsize

    def __getattr__(self, attr):
        if attr.startswith("__") or attr in ("numpy_dtype", "_name"):
            raise AttributeError(attr)
        return getattr(self.numpy_dtype, attr)

    def __repr__(self) -> str:
        return f"glassnet.{self._name}"

    __str__ = __repr__

    def __eq__(self, other) -> _builtin_bool:
        if isinstance(other, dtype):
            return self.numpy_dtype == other.numpy_dtype
        if other is None:
            return False
        try:
            return self.numpy_dtype == np.dtype(other)
        except (TypeError, ValueError):
            return NotImplemented

    def __ne__(self, other) -> _builtin_bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    def __hash__(self) -> int:
        return hash(self.numpy_dtype)

    def __reduce__(self):
        return (from_numpy, (self.numpy_dtype,))


float32 = dtype("float32", np.float32)
float64 = dtype("float64", np.float64)
float16 = dtype("float16", np.float16)
int64 = dtype("int64", np.int64)
int32 = dtype("int32", np.int32)
int16 = dtype("int16", np.int16)
int8 = dtype("int8", np.int8)
uint8 = dtype("uint8", np.uint8)
bool = dtype("bool", np.bool_)  # noqa: A001 - PyTorch's name
# PyTorch's aliases: the same objects
float = float32  # noqa: A001
double = float64
half = float16
long = int64
int = int32  # noqa: A001
short = int16

_BY_NUMPY = {d.numpy_dtype: d for d in (float32, float64, float16, int64, int32, int16, int8,
                                        uint8, bool)}
_EXTRA: dict = {}  # NumPy dtypes PyTorch has no name for (uint16, ...), made on demand


# NumPy's built-in dtypes are singletons: looking them up by identity skips np.dtype's
# hash, which costs most of a microsecond (Tensor.dtype is read on hot paths)
_BY_ID = {id(k): v for k, v in _BY_NUMPY.items()}


def from_numpy(np_dtype) -> dtype:
    """The glassnet dtype for a NumPy dtype (``Tensor.dtype``)."""
    d = _BY_ID.get(id(np_dtype))
    if d is not None and d.numpy_dtype is np_dtype:
        return d
    d = _BY_NUMPY.get(np_dtype)
    if d is None:
        np_dtype = np.dtype(np_dtype)
        d = _BY_NUMPY.get(np_dtype) or _EXTRA.get(np_dtype)
        if d is None:
            d = _EXTRA[np_dtype] = dtype(np_dtype.name, np_dtype)
    return d


def to_numpy(d, what: str = "dtype") -> np.dtype:
    """A NumPy dtype from a glassnet dtype, a NumPy dtype or type, a Python type
    (``float`` means float64, ``int`` int64, ``bool`` bool, as in PyTorch) or a name
    (``"float32"``, ``"glassnet.float32"``)."""
    if isinstance(d, dtype):
        return d.numpy_dtype
    if isinstance(d, np.dtype):
        return d
    if d is builtins.float:
        return np.dtype(np.float64)
    if d is builtins.bool:
        return np.dtype(np.bool_)
    if d is builtins.int:
        return np.dtype(np.int64)
    if isinstance(d, str):
        name = d.rsplit(".", 1)[-1]
        if name == "bfloat16":
            raise TypeError(NO_BFLOAT16)
        named = getattr(sys.modules[__name__], name, None)
        if isinstance(named, dtype):
            return named.numpy_dtype
    try:
        out = np.dtype(d)
    except TypeError:
        raise TypeError(f"{what}: {d!r} is not a dtype (use gn.float32, gn.int64, ...)") from None
    return out


_TYPE_NAMES = {"float32": "Float", "float64": "Double", "float16": "Half", "int64": "Long",
               "int32": "Int", "int16": "Short", "int8": "Char", "uint8": "Byte", "bool": "Bool"}


def tensor_type_name(np_dtype) -> str:
    """``Tensor.type()``: ``"glassnet.FloatTensor"`` for float32, ... (PyTorch's names)."""
    name = np.dtype(np_dtype).name
    return f"glassnet.{_TYPE_NAMES.get(name, name)}Tensor"


def is_floating_point(t) -> _builtin_bool:
    """Is ``t`` (a Tensor) of a floating dtype?"""
    from .tensor import Tensor

    if not isinstance(t, Tensor):
        raise TypeError(f"is_floating_point: expected a Tensor, got {type(t).__name__}")
    return t.data.dtype.kind == "f"


def get_default_dtype() -> dtype:
    """The dtype Python floats and the float factories (zeros, rand, ...) give (float32)."""
    return from_numpy(np.dtype(backend.DEFAULT_FLOAT))


def set_default_dtype(d) -> None:
    """Make ``d`` (a floating dtype) the default for Python floats, factories and new layers.

    The default lives in ``glassnet.backend.DEFAULT_FLOAT``; modules that copied it at import
    time are updated too, so every part of glassnet agrees.
    """
    nd = to_numpy(d, "set_default_dtype")
    if nd.kind != "f":
        raise TypeError(f"set_default_dtype: only floating dtypes are supported, got "
                        f"{from_numpy(nd)}")
    old = backend.DEFAULT_FLOAT
    new = nd.type
    for name, mod in list(sys.modules.items()):
        if (name == "glassnet" or name.startswith("glassnet.")) and mod is not None:
            if getattr(mod, "DEFAULT_FLOAT", None) is old:
                mod.DEFAULT_FLOAT = new
    backend.DEFAULT_FLOAT = new
