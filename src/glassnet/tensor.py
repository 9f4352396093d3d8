"""The Tensor: an array, its gradient, and the node that made it.

Arithmetic and methods forward to the differentiable functions in ``glassnet.ops``;
the autograd engine lives in ``glassnet.autograd``.
"""

from __future__ import annotations

import numpy as np

from .backend import DEFAULT_FLOAT, xp

__all__ = ["Tensor"]

_NUMERIC_KINDS = "biuf"


def _to_array(data, dtype=None):
    """Convert user data to an array: Python floats become float32, arrays keep theirs."""
    if isinstance(data, Tensor):
        data = data.data
    if isinstance(data, (np.ndarray, np.generic)):
        arr = xp.asarray(data, dtype=dtype)
    else:
        if isinstance(data, (str, bytes)) or data is None:
            raise TypeError(
                f"tensor(): expected numbers or a nested list of numbers, got "
                f"{type(data).__name__}: {data!r}"
            )
        try:
            arr = xp.asarray(data)
        except ValueError as e:
            raise ValueError(
                f"tensor(): ragged or malformed nested sequence, every row must have the same "
                f"length ({e})"
            ) from None
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        elif arr.dtype == np.float64:
            arr = arr.astype(DEFAULT_FLOAT)
    if arr.dtype.kind not in _NUMERIC_KINDS:
        raise TypeError(
            f"tensor(): expected numeric data, got an array of dtype {arr.dtype} "
            f"from {type(data).__name__}"
        )
    return arr


class _Size(int):
    """An element count that, called, answers like PyTorch's ``Tensor.size()``."""

    def __new__(cls, n: int, shape: tuple):
        obj = super().__new__(cls, n)
        obj._shape = shape
        return obj

    def __call__(self, dim: int | None = None):
        return self._shape if dim is None else self._shape[dim]


class Tensor:
    """An n-dimensional array that records the operations made on it.

    ``data`` is the array (NumPy), ``grad`` the accumulated gradient (a Tensor, or None),
    ``requires_grad`` whether gradients are wanted. Floating data defaults to float32;
    only floating tensors can require grad.
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "name", "__weakref__")
    # Make NumPy defer to our reflected operators: ``ndarray * t`` calls ``t.__rmul__``.
    __array_ufunc__ = None

    def __init__(self, data, dtype=None, requires_grad: bool = False, name: str | None = None):
        arr = _to_array(data, dtype)
        self.data = arr
        self.grad = None
        self._ctx = None
        self.name = name
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _wrap(cls, data) -> Tensor:
        t = object.__new__(cls)
        t.data = data
        t.grad = None
        t.requires_grad = False
        t._ctx = None
        t.name = None
        return t

    # --- attributes --------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self):
        return self.data.dtype

    @property
    def size(self) -> _Size:
        """The number of elements (NumPy's ``.size``); calling it, ``t.size()`` or
        ``t.size(dim)``, gives the shape or one dimension's length as in PyTorch."""
        return _Size(self.data.size, self.data.shape)

    def numel(self) -> int:
        return int(self.data.size)

    def dim(self) -> int:
        return self.data.ndim

    @property
    def grad_fn(self):
        """The Function node that made this tensor (None for leaves)."""
        return self._ctx

    @property
    def is_leaf(self) -> bool:
        return self._ctx is None

    @property
    def T(self) -> Tensor:
        return _shape.permute(self, tuple(range(self.data.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:
        return _shape.transpose(self, -2, -1)

    def numpy(self) -> np.ndarray:
        if self.requires_grad:
            raise RuntimeError(
                "numpy() on a tensor that requires grad; call .detach().numpy() "
                "(the result shares memory and would bypass autograd)"
            )
        return xp.asarray(self.data)

    def item(self):
        if self.data.size != 1:
            raise ValueError(f"item(): only one-element tensors, got shape {tuple(self.shape)}")
        return self.data.item() if self.data.ndim else self.data.item()

    def tolist(self):
        return xp.asarray(self.data).tolist()

    def __array__(self, dtype=None, copy=None):
        a = xp.asarray(self.data)
        return a if dtype is None else a.astype(dtype, copy=False)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(self.data.shape[0]):
            yield self[i]

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(
                f"the truth value of a tensor with {self.data.size} elements is ambiguous"
            )
        return bool(self.data)

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.data.dtype.kind not in "iub" or self.data.size != 1:
            raise TypeError("only integer one-element tensors can be used as an index")
        return int(self.item())

    def __hash__(self) -> int:
        return id(self)

    def __repr__(self) -> str:
        body = np.array2string(
            xp.asarray(self.data), separator=", ", precision=4, prefix="tensor(", threshold=200
        )
        extras = []
        if self.data.dtype != DEFAULT_FLOAT and self.data.dtype.kind == "f":
            extras.append(f"dtype={self.data.dtype}")
        elif self.data.dtype.kind != "f":
            extras.append(f"dtype={self.data.dtype}")
        if self._ctx is not None:
            extras.append(f"grad_fn=<{type(self._ctx).__name__}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        tail = "".join(", " + e for e in extras)
        return f"tensor({body}{tail})"

    # --- autograd ----------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph: bool = False) -> None:
        """Accumulate the gradient of this tensor into the ``.grad`` of every leaf."""
        _autograd.backward(self, gradient, retain_graph)

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        if requires_grad and self.data.dtype.kind != "f":
            raise TypeError(
                f"only floating-point tensors can require gradients, got dtype {self.data.dtype}"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_(False) on a non-leaf tensor; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def detach(self) -> Tensor:
        """The same data, cut from the graph (shares memory)."""
        return Tensor._wrap(self.data)

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        if self._ctx is not None:
            self._ctx._retained = self
        return self

    def clone(self) -> Tensor:
        return _elementwise.clone(self)

    # --- in-place data helpers (no graph; for init and optimizers) -----------------------
    def _check_inplace(self, what: str) -> None:
        if self.requires_grad and _autograd._grad_enabled:
            raise RuntimeError(
                f"{what}: in-place change of a tensor that requires grad; wrap it in "
                f"gn.no_grad() or change .data"
            )

    def zero_(self) -> Tensor:
        self._check_inplace("zero_()")
        self.data[...] = 0
        return self

    def fill_(self, value) -> Tensor:
        self._check_inplace("fill_()")
        self.data[...] = value
        return self

    def copy_(self, src) -> Tensor:
        self._check_inplace("copy_()")
        src = src.data if isinstance(src, Tensor) else xp.asarray(src)
        self.data[...] = src
        return self

    # ``p -= lr * p.grad`` under no_grad() updates p's array in place, as in PyTorch.
    def _inplace(self, other, op, what: str) -> Tensor:
        self._check_inplace(what)
        if self._ctx is not None and _autograd._grad_enabled:
            raise RuntimeError(f"{what}: in-place change of a tensor that is part of a graph")
        op(self.data, other.data if isinstance(other, Tensor) else other, out=self.data,
           casting="same_kind")
        return self

    def __iadd__(self, other) -> Tensor:
        return self._inplace(other, xp.add, "+=")

    def __isub__(self, other) -> Tensor:
        return self._inplace(other, xp.subtract, "-=")

    def __imul__(self, other) -> Tensor:
        return self._inplace(other, xp.multiply, "*=")

    def __itruediv__(self, other) -> Tensor:
        return self._inplace(other, xp.true_divide, "/=")

    def __setitem__(self, key, value) -> None:
        self._check_inplace("__setitem__")
        if isinstance(key, Tensor):
            key = key.data
        self.data[key] = value.data if isinstance(value, Tensor) else value

    # --- dtype -------------------------------------------------------------------------
    def to(self, dtype=None, *, device=None) -> Tensor:
        """A copy in ``dtype`` (the same tensor when it already has it). ``"cpu"``, the only
        device, is accepted as a no-op so PyTorch code that moves tensors runs unchanged."""
        if isinstance(dtype, str) and dtype == "cpu":
            dtype = None
        if device not in (None, "cpu"):
            raise ValueError(f"to(): glassnet runs on the CPU only, got device {device!r}")
        return self if dtype is None else _elementwise.cast(self, np.dtype(dtype))

    def float(self) -> Tensor:
        return _elementwise.cast(self, np.dtype(np.float32))

    def double(self) -> Tensor:
        return _elementwise.cast(self, np.dtype(np.float64))

    def long(self) -> Tensor:
        return _elementwise.cast(self, np.dtype(np.int64))

    def int(self) -> Tensor:
        return _elementwise.cast(self, np.dtype(np.int32))

    def bool(self) -> Tensor:
        return _elementwise.cast(self, np.dtype(np.bool_))

    # --- operators ---------------------------------------------------------------------
    def __add__(self, other):
        return _arith.add(self, other)

    def __radd__(self, other):
        return _arith.add(other, self)

    def __sub__(self, other):
        return _arith.sub(self, other)

    def __rsub__(self, other):
        return _arith.sub(other, self)

    def __mul__(self, other):
        return _arith.mul(self, other)

    def __rmul__(self, other):
        return _arith.mul(other, self)

    def __truediv__(self, other):
        return _arith.div(self, other)

    def __rtruediv__(self, other):
        return _arith.div(other, self)

    def __pow__(self, other):
        return _arith.pow(self, other)

    def __rpow__(self, other):
        return _arith.pow(other, self)

    def __neg__(self):
        return _arith.neg(self)

    def __pos__(self):
        return self

    def __matmul__(self, other):
        return _arith.matmul(self, other)

    def __rmatmul__(self, other):
        return _arith.matmul(other, self)

    def __abs__(self):
        return _elementwise.abs(self)

    def __getitem__(self, key):
        return _shape.getitem(self, key)

    def __eq__(self, other):  # type: ignore[override]
        return _compare.eq(self, other)

    def __ne__(self, other):  # type: ignore[override]
        return _compare.ne(self, other)

    def __lt__(self, other):
        return _compare.lt(self, other)

    def __le__(self, other):
        return _compare.le(self, other)

    def __gt__(self, other):
        return _compare.gt(self, other)

    def __ge__(self, other):
        return _compare.ge(self, other)

    def __invert__(self):
        return _compare.logical_not(self)

    def __and__(self, other):
        return _compare.logical_and(self, other)

    def __or__(self, other):
        return _compare.logical_or(self, other)

    # --- methods (PyTorch names) -------------------------------------------------------
    def add(self, other):
        return _arith.add(self, other)

    def sub(self, other):
        return _arith.sub(self, other)

    def mul(self, other):
        return _arith.mul(self, other)

    def div(self, other):
        return _arith.div(self, other)

    def pow(self, exponent):
        return _arith.pow(self, exponent)

    def neg(self):
        return _arith.neg(self)

    def matmul(self, other):
        return _arith.matmul(self, other)

    def exp(self):
        return _elementwise.exp(self)

    def log(self):
        return _elementwise.log(self)

    def sqrt(self):
        return _elementwise.sqrt(self)

    def abs(self):
        return _elementwise.abs(self)

    def sin(self):
        return _elementwise.sin(self)

    def cos(self):
        return _elementwise.cos(self)

    def tanh(self):
        return _elementwise.tanh(self)

    def sigmoid(self):
        return _elementwise.sigmoid(self)

    def relu(self):
        return _elementwise.relu(self)

    def leaky_relu(self, negative_slope: float = 0.01):
        return _elementwise.leaky_relu(self, negative_slope)

    def softplus(self, beta: float = 1.0, threshold: float = 20.0):
        return _elementwise.softplus(self, beta, threshold)

    def clamp(self, min=None, max=None):
        return _elementwise.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        return _elementwise.maximum(self, other)

    def minimum(self, other):
        return _elementwise.minimum(self, other)

    def sum(self, dim=None, keepdim: bool = False):
        return _reduce.sum(self, dim, keepdim)

    def mean(self, dim=None, keepdim: bool = False):
        return _reduce.mean(self, dim, keepdim)

    def max(self, dim=None, keepdim: bool = False):
        return _reduce.max(self, dim, keepdim)

    def min(self, dim=None, keepdim: bool = False):
        return _reduce.min(self, dim, keepdim)

    def amax(self, dim=None, keepdim: bool = False):
        return _reduce.amax(self, dim, keepdim)

    def amin(self, dim=None, keepdim: bool = False):
        return _reduce.amin(self, dim, keepdim)

    def var(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
        return _reduce.var(self, dim, unbiased, keepdim, correction=correction)

    def std(self, dim=None, unbiased=None, keepdim: bool = False, *, correction=None):
        return _reduce.std(self, dim, unbiased, keepdim, correction=correction)

    def logsumexp(self, dim, keepdim: bool = False):
        return _reduce.logsumexp(self, dim, keepdim)

    def argmax(self, dim=None, keepdim: bool = False):
        return _reduce.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim: bool = False):
        return _reduce.argmin(self, dim, keepdim)

    def norm(self, p=2, dim=None, keepdim: bool = False):
        return _reduce.norm(self, p, dim, keepdim)

    def softmax(self, dim: int, temperature: float = 1.0):
        return _activation.softmax(self, dim, temperature)

    def log_softmax(self, dim: int):
        return _activation.log_softmax(self, dim)

    def reshape(self, *shape):
        return _shape.reshape(self, *shape)

    def view(self, *shape):
        return _shape.reshape(self, *shape)

    def flatten(self, start_dim: int = 0, end_dim: int = -1):
        return _shape.flatten(self, start_dim, end_dim)

    def squeeze(self, dim=None):
        return _shape.squeeze(self, dim)

    def unsqueeze(self, dim: int):
        return _shape.unsqueeze(self, dim)

    def transpose(self, dim0: int, dim1: int):
        return _shape.transpose(self, dim0, dim1)

    def t(self):
        if self.data.ndim > 2:
            raise ValueError(f"t() expects a tensor of at most 2 dims, got {self.data.ndim}")
        return self.T

    def permute(self, *dims):
        return _shape.permute(self, *dims)

    def expand(self, *sizes):
        return _shape.expand(self, *sizes)

    def expand_as(self, other):
        return _shape.expand(self, other.shape)

    def split(self, split_size_or_sections, dim: int = 0):
        return _shape.split(self, split_size_or_sections, dim)

    def chunk(self, chunks: int, dim: int = 0):
        return _shape.chunk(self, chunks, dim)

    def eq(self, other):
        return _compare.eq(self, other)

    def ne(self, other):
        return _compare.ne(self, other)

    def lt(self, other):
        return _compare.lt(self, other)

    def le(self, other):
        return _compare.le(self, other)

    def gt(self, other):
        return _compare.gt(self, other)

    def ge(self, other):
        return _compare.ge(self, other)


# Imported last: these modules import Tensor from here.
from . import autograd as _autograd  # noqa: E402
from .ops import activation as _activation  # noqa: E402
from .ops import arithmetic as _arith  # noqa: E402
from .ops import compare as _compare  # noqa: E402
from .ops import elementwise as _elementwise  # noqa: E402
from .ops import reduce as _reduce  # noqa: E402
from .ops import shape as _shape  # noqa: E402

