"""The Tensor: an array, its gradient, and the node that made it.

This module holds the data structure only and imports no op: the op methods and
operators (``x.exp()``, ``x + y``, ``x[0]``) are installed from the op registry
(``glassnet.ops._registry``) when ``glassnet.ops`` is imported, each next to the op's
declaration. The autograd engine (``glassnet.autograd``) builds on this module.
"""

from __future__ import annotations

import collections

import numpy as np

from . import device as _device
from . import dtypes as _dtypes
from . import grad_mode as _mode
from .backend import DEFAULT_FLOAT, xp

__all__ = ["Tensor"]

_NUMERIC_KINDS = "biuf"
_engine_backward = None  # autograd.backward, looked up on the first backward()


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


def _sizes(size) -> tuple:
    """``(2, 3)`` or ``((2, 3),)`` -> ``(2, 3)``, checked (the ``*size`` of factories)."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    for n in size:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
            raise ValueError(f"sizes must be non-negative integers, got {size}")
    return tuple(int(n) for n in size)


class _Size(int):
    """An element count that, called, answers like PyTorch's ``Tensor.size()``."""

    def __new__(cls, n: int, shape: tuple):
        obj = super().__new__(cls, n)
        obj._shape = shape
        return obj

    def __call__(self, dim: int | None = None):
        return self._shape if dim is None else self._shape[dim]


class _Writes:
    """The write epoch: grows with each in-place write to any tensor (``Tensor._bump``, an
    optimizer step), an order of events rather than a count. A counter object, not a
    class attribute of Tensor: changing a class attribute would throw away the
    interpreter's attribute caches for every Tensor on every write.

    ``log`` holds the latest writes as ``(epoch, written)``: where a tensor method wrote
    (``_inplace.Region``: a byte range, holding no memory alive), or an optimizer group's
    parameter list (those stamped with that epoch were written). Backward reads it, only
    for an op older than some write, to catch a write through another tensor sharing the
    op's saved memory (a view, a ``detach()``, a transposed weight)."""

    __slots__ = ("epoch", "log")

    def __init__(self) -> None:
        self.epoch = 0
        self.log = collections.deque(maxlen=64)


writes = _Writes()


class Tensor:
    """An n-dimensional array that records the operations made on it.

    ``data`` is the array (NumPy), ``grad`` the accumulated gradient (a Tensor, or None),
    ``requires_grad`` whether gradients are wanted. Floating data defaults to float32;
    only floating tensors can require grad.
    """

    # _wepoch (set by the first in-place write): the write epoch of its latest write
    # _prior (set by a recorded in-place change): earlier versions, see glassnet._inplace
    __slots__ = ("data", "grad", "requires_grad", "_ctx", "name", "_version", "_wepoch",
                 "_prior", "__weakref__")
    # Make NumPy defer to our reflected operators: ``ndarray * t`` calls ``t.__rmul__``.
    __array_ufunc__ = None

    def __init__(self, data, dtype=None, requires_grad: bool = False, name: str | None = None):
        arr = _to_array(data, dtype)
        self.data = arr
        self.grad = None
        self._ctx = None
        self.name = name
        self._version = 0
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
        t._version = 0
        return t

    # --- attributes --------------------------------------------------------------------
    @property
    def shape(self) -> tuple:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def dtype(self) -> _dtypes.dtype:
        """The element type, e.g. ``glassnet.float32`` (equal to ``np.float32`` too)."""
        return _dtypes.from_numpy(self.data.dtype)

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
        return self.permute(tuple(range(self.data.ndim - 1, -1, -1)))

    @property
    def mT(self) -> Tensor:
        return self.transpose(-2, -1)

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
            extras.append(f"grad_fn=<{self._ctx.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        tail = "".join(", " + e for e in extras)
        return f"tensor({body}{tail})"

    # --- autograd ----------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph: bool | None = None,
                 create_graph: bool = False, inputs=None) -> None:
        """Accumulate the gradient of this tensor into the ``.grad`` of every leaf (with
        ``inputs``: of those tensors only)."""
        global _engine_backward
        if _engine_backward is None:  # the engine builds on this module, not the reverse
            from .autograd import backward as _engine_backward
        _engine_backward(self, gradient, retain_graph, create_graph, inputs)

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

    def detach_(self) -> Tensor:
        """Cut this tensor from the graph in place: it becomes a leaf that does not
        require grad. Refused while the graph that made it is still alive (not yet freed
        by a backward pass): glassnet's graph links to tensors, so earlier uses of this
        one would stop passing gradients; write ``x = x.detach()`` there."""
        fn = self._ctx
        if fn is not None and fn.parents is not None:
            raise RuntimeError("detach_(): this tensor's graph is still alive (no backward "
                               "has freed it); write x = x.detach() instead")
        self._ctx = None
        self.requires_grad = False
        return self

    def retain_grad(self) -> Tensor:
        """Keep ``.grad`` on this non-leaf tensor after backward."""
        if self._ctx is not None:
            self._ctx._retained = self
        return self

    def register_post_accumulate_grad_hook(self, hook):
        """Call ``hook(self)`` after backward has added into this leaf's ``.grad``."""
        from .autograd import register_post_accumulate_grad_hook

        return register_post_accumulate_grad_hook(self, hook)

    def register_hook(self, hook):
        """Call ``hook(grad)`` when this tensor's gradient is computed; a non-None result
        replaces it. Returns a handle with ``.remove()`` (see ``autograd.register_hook``)."""
        from .autograd import register_hook

        return register_hook(self, hook)

    # --- in-place data helpers (no graph; for init and optimizers) -----------------------
    def _check_inplace(self, what: str) -> None:
        if self.requires_grad and _mode.state.enabled:
            raise RuntimeError(
                f"{what}: in-place change of a tensor that requires grad; wrap it in "
                f"gn.no_grad() or change .data"
            )

    def _write(self, value, what: str) -> None:
        """Write ``value`` into this tensor's array (broadcast to its shape) and bump its
        version: the one way in-place methods change a tensor's data."""
        if self._ctx is not None and _mode.state.enabled:
            raise RuntimeError(f"{what}: in-place change of a tensor that is part of a graph")
        self.data[...] = value
        self._bump()

    def _bump(self) -> None:
        """Count an in-place write: this tensor's version, and the write epoch of all
        tensors, which the tensor remembers (backward re-checks the inputs of an op only
        when a write came after it ran, see ``glassnet._inplace``)."""
        self._version += 1
        from ._inplace import Region, output_changed

        self._wepoch = writes.epoch = writes.epoch + 1
        writes.log.append((writes.epoch, (Region(self.data),)))
        if self._ctx is not None:  # the op that made this tensor may have saved it
            output_changed(self._ctx, self)

    def zero_(self) -> Tensor:
        return self.fill_(0)

    def fill_(self, value) -> Tensor:
        if isinstance(value, Tensor) and value.ndim:
            raise RuntimeError(f"fill_(): expects a 0-dimensional value tensor, got one with "
                               f"{value.ndim} dimensions")
        return self._put(value, "fill_()")

    def copy_(self, src) -> Tensor:
        return self._put(src if isinstance(src, Tensor) else xp.asarray(src), "copy_()")

    def _put(self, value, what: str) -> Tensor:
        """``fill_``/``copy_``: ``value`` broadcast into this tensor; recorded (gradient to
        ``value``, none to the old values) when either requires grad."""
        from ._inplace import record_inplace, wants_record

        if wants_record(self, (value,)):
            from .ops.elementwise import where

            every = Tensor._wrap(np.broadcast_to(np.True_, self.data.shape))
            return record_inplace(self, lambda old: where(every, value, old), what)
        v = value.data if isinstance(value, Tensor) else value
        try:
            fits = np.broadcast_shapes(np.shape(v), self.data.shape) == self.data.shape
        except ValueError:
            fits = False
        if not fits:
            raise RuntimeError(f"{what}: a value of shape {list(np.shape(v))} cannot be "
                               f"broadcast to the tensor's shape {list(self.data.shape)}")
        self._write(v, what)
        return self

    # ``p -= lr * p.grad`` under no_grad() updates p's array in place, as in PyTorch.
    def _inplace(self, other, op, what: str, dunder: str) -> Tensor:
        if _mode.state.enabled and (self.requires_grad or (
                isinstance(other, Tensor) and other.requires_grad)):
            from ._inplace import record_inplace

            return record_inplace(self, lambda old: getattr(old, dunder)(
                old if other is self else other), what)
        o = other.data if isinstance(other, Tensor) else other
        try:
            op(self.data, o, out=self.data, casting="same_kind")
        except ValueError:  # the other operand would broadcast this tensor to a bigger shape
            raise RuntimeError(f"{what}: output with shape {list(self.data.shape)} doesn't "
                               f"match the broadcast shape "
                               f"{list(np.broadcast_shapes(self.data.shape, np.shape(o)))}") \
                from None
        self._bump()
        return self

    def __iadd__(self, other) -> Tensor:
        return self._inplace(other, xp.add, "+=", "__add__")

    def __isub__(self, other) -> Tensor:
        return self._inplace(other, xp.subtract, "-=", "__sub__")

    def __imul__(self, other) -> Tensor:
        return self._inplace(other, xp.multiply, "*=", "__mul__")

    def __itruediv__(self, other) -> Tensor:
        return self._inplace(other, xp.true_divide, "/=", "__truediv__")

    def __setitem__(self, key, value) -> None:
        # PyTorch's index_put: with a value that requires grad (or into a tensor that is
        # already part of a graph) the write is recorded, so gradients flow through it
        record = _mode.state.enabled and (
            (isinstance(value, Tensor) and value.requires_grad)
            or (self._ctx is not None and self.requires_grad))
        if not record:
            self._check_inplace("__setitem__")
        elif self._ctx is None and self.requires_grad:
            raise RuntimeError("a leaf Variable that requires grad is being used in an "
                               "in-place operation (x[...] = ...); wrap it in gn.no_grad()")
        if isinstance(key, Tensor):
            key = key.data
        v = value.data if isinstance(value, Tensor) else value
        try:
            self.data[key] = v
        except ValueError as e:
            raise ValueError(
                f"__setitem__: value of shape {tuple(np.shape(v))} cannot be broadcast to "
                f"the indexed shape {tuple(np.shape(self.data[key]))} ({e})") from None
        self._bump()
        if record:
            from .ops.index_put import record_setitem

            record_setitem(self, key, value)

    # --- dtype -------------------------------------------------------------------------
    def to(self, *args, **kwargs) -> Tensor:
        """PyTorch's forms: ``to(dtype)``, ``to(device)``, ``to(device, dtype)``,
        ``to(other)`` and the ``device=``, ``dtype=``, ``copy=`` keywords. The same tensor
        when nothing changes; the device must be the CPU (``glassnet.device``)."""
        _, dtype, copy = _device.parse_to(args, kwargs, "Tensor.to()")
        out = self if dtype is None or dtype == self.data.dtype else self._cast(dtype)
        return out.clone() if copy and out is self else out

    def float(self) -> Tensor:
        return self._cast(np.dtype(np.float32))

    def double(self) -> Tensor:
        return self._cast(np.dtype(np.float64))

    def long(self) -> Tensor:
        return self._cast(np.dtype(np.int64))

    def int(self) -> Tensor:
        return self._cast(np.dtype(np.int32))

    def bool(self) -> Tensor:
        return self._cast(np.dtype(np.bool_))

    # --- PyTorch conveniences: devices, dtypes, new tensors like this one ----------------
    def half(self) -> Tensor:
        return self._cast(np.dtype(np.float16))

    def bfloat16(self) -> Tensor:
        raise TypeError(_dtypes.NO_BFLOAT16)

    def short(self) -> Tensor:
        return self._cast(np.dtype(np.int16))

    def char(self) -> Tensor:
        return self._cast(np.dtype(np.int8))

    def byte(self) -> Tensor:
        return self._cast(np.dtype(np.uint8))

    def type(self, dtype=None):
        """Without an argument, the type's name (``"glassnet.FloatTensor"``); with one, the
        tensor in that dtype."""
        if dtype is None:
            return _dtypes.tensor_type_name(self.data.dtype)
        return self.to(dtype)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.data.dtype)

    def is_floating_point(self) -> bool:
        return self.data.dtype.kind == "f"

    def is_complex(self) -> bool:
        return self.data.dtype.kind == "c"

    def element_size(self) -> int:
        return self.data.dtype.itemsize

    def nelement(self) -> int:
        return int(self.data.size)

    def ndimension(self) -> int:
        return self.data.ndim

    @property
    def nbytes(self) -> int:
        return int(self.data.nbytes)

    @property
    def itemsize(self) -> int:
        return self.data.dtype.itemsize

    def stride(self, dim: int | None = None):
        """Steps between neighbours along each dim, in elements (PyTorch's unit; NumPy
        counts bytes)."""
        steps = tuple(st // self.data.dtype.itemsize for st in self.data.strides)
        if dim is None:
            return steps
        from .ops._util import norm_axis

        return steps[norm_axis(int(dim), max(self.data.ndim, 1), "stride")]

    def data_ptr(self) -> int:
        """The address of the first element."""
        return self.data.__array_interface__["data"][0]

    def storage_offset(self) -> int:
        """How many elements into its memory block this tensor (a view) starts."""
        base = self.data
        while isinstance(base.base, np.ndarray):
            base = base.base
        start = base.__array_interface__["data"][0]
        return (self.data_ptr() - start) // self.data.dtype.itemsize

    def is_signed(self) -> bool:
        return self.data.dtype.kind in "fic"

    def is_nonzero(self) -> bool:
        """The truth of a one-element tensor (an error for any other size)."""
        if self.data.size != 1:
            raise RuntimeError(f"is_nonzero: needs a one-element tensor, got shape "
                               f"{tuple(self.data.shape)}")
        return bool(self.data.reshape(()))

    def is_same_size(self, other: Tensor) -> bool:
        return self.data.shape == other.data.shape

    @property
    def retains_grad(self) -> bool:
        """True for a non-leaf tensor whose ``.grad`` is kept (``retain_grad()``)."""
        fn = self._ctx
        return fn is not None and fn._retained is self

    def is_inference(self) -> bool:
        return False  # glassnet has no separate inference tensors

    @property
    def device(self) -> _device.device:
        """Always ``device(type='cpu')``: glassnet computes with NumPy on the CPU."""
        return _device.CPU

    is_cuda = False
    is_cpu = True

    def get_device(self) -> int:
        return -1  # PyTorch's answer for a CPU tensor

    def cpu(self) -> Tensor:
        return self

    def cuda(self, device=None, non_blocking: bool = False) -> Tensor:
        _device.check_device("cuda" if device is None else device, "Tensor.cuda()")
        return self

    def pin_memory(self) -> Tensor:
        return self  # nothing to pin without a GPU

    def is_pinned(self) -> bool:
        return False

    def contiguous(self) -> Tensor:
        """This tensor when its array is C-contiguous, else a contiguous copy (in the
        graph)."""
        if self.data.flags.c_contiguous:
            return self
        out = self.clone()
        out.data = np.ascontiguousarray(out.data)
        return out

    def is_contiguous(self) -> bool:
        return bool(self.data.flags.c_contiguous)

    def view_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def reshape_as(self, other: Tensor) -> Tensor:
        return self.reshape(other.shape)

    def _new(self, arr, requires_grad: bool) -> Tensor:
        t = Tensor._wrap(arr)
        return t.requires_grad_(True) if requires_grad else t

    def _new_dtype(self, dtype) -> np.dtype:
        return self.data.dtype if dtype is None else _dtypes.to_numpy(dtype)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        """Zeros of ``size`` with this tensor's dtype (unless ``dtype`` is given)."""
        return self._new(xp.zeros(_sizes(size), self._new_dtype(dtype)), requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return self._new(xp.ones(_sizes(size), self._new_dtype(dtype)), requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        return self._new(xp.empty(_sizes(size), self._new_dtype(dtype)), requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None,
                 requires_grad: bool = False) -> Tensor:
        return self._new(xp.full(_sizes((size,)), fill_value, self._new_dtype(dtype)),
                         requires_grad)

    def new_tensor(self, data, dtype=None, device=None, requires_grad: bool = False) -> Tensor:
        """A new tensor (a copy) of ``data`` with this tensor's dtype unless ``dtype``."""
        arr = xp.array(data.data if isinstance(data, Tensor) else data,
                       dtype=self._new_dtype(dtype))
        return self._new(arr, requires_grad)

    def __pos__(self) -> Tensor:
        return self

    def __format__(self, spec: str) -> str:
        # f"{loss:.4f}": a 0-d tensor formats as its number, as in PyTorch
        if self.data.ndim == 0:
            return format(self.data.item(), spec)
        return super().__format__(spec) if spec else str(self)
