"""Helpers shared by the op families: operand conversion and dimension normalisation."""

from __future__ import annotations

import numpy as np

from .. import backend as _backend
from ..backend import xp
from ..tensor import Tensor

_SCALARS = (int, float, bool, np.number, np.bool_)


def operand(x, like: Tensor | None = None):
    """Pass Tensors and Python scalars through; turn arrays and lists into arrays.

    A floating array paired with a floating tensor takes the tensor's dtype, so a
    float64 NumPy array does not silently promote a float32 model.
    """
    if isinstance(x, np.generic) and x.dtype.kind in "biuf":
        # A NumPy scalar acts like a Python number (it must not promote float32 to float64).
        return x.item()
    if isinstance(x, Tensor) or isinstance(x, _SCALARS):
        return x
    if isinstance(x, (str, bytes)) or x is None:
        raise TypeError(f"expected a tensor, array or number, got {type(x).__name__}: {x!r}")
    try:
        arr = xp.asarray(x)
    except ValueError as e:
        raise ValueError(f"ragged or malformed sequence: {e}") from None
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"expected numeric data, got dtype {arr.dtype} from {type(x).__name__}")
    if like is not None and arr.dtype.kind == "f" and like.data.dtype.kind == "f":
        arr = arr.astype(like.data.dtype, copy=False)
    elif arr.dtype == np.float64 and not isinstance(x, np.ndarray):
        arr = arr.astype(np.float32)
    return arr


def is_intlike(x) -> bool:
    """An integer or bool Tensor or array (Python ints are left alone: they adapt)."""
    if isinstance(x, Tensor):
        return not x.requires_grad and x.data.dtype.kind in "biu"
    return isinstance(x, np.ndarray) and x.dtype.kind in "biu"


_CATEGORY = {"b": 0, "u": 1, "i": 1, "f": 2}


def _promote_types(d1: np.dtype, d2: np.dtype) -> np.dtype:
    """PyTorch's promote_types: within a category (bool < integer < floating) NumPy's
    answer; across categories the higher one's dtype (int32 with float16 is float16,
    where NumPy says float64)."""
    c1, c2 = _CATEGORY[d1.kind], _CATEGORY[d2.kind]
    if c1 == c2:
        return np.promote_types(d1, d2)
    return d1 if c1 > c2 else d2


def result_dtype(*operands, true_div: bool = False) -> np.dtype:
    """The dtype PyTorch gives ``a (op) b``: tensors with dims decide; a zero-dim tensor
    counts only when its category (bool < integer < floating) is higher, and a Python
    number likewise (a float then means the default float dtype, an int int64)."""
    dims, zeros, wrapped = None, None, None
    for x in operands:
        if x is None:
            continue
        if isinstance(x, Tensor) or isinstance(x, np.ndarray):
            arr = x.data if isinstance(x, Tensor) else x
            if arr.ndim:
                dims = arr.dtype if dims is None else _promote_types(dims, arr.dtype)
            else:
                zeros = arr.dtype if zeros is None else _promote_types(zeros, arr.dtype)
        else:
            d = np.dtype(bool) if isinstance(x, (bool, np.bool_)) else \
                np.dtype(np.int64) if isinstance(x, (int, np.integer)) else \
                np.dtype(_backend.DEFAULT_FLOAT)
            wrapped = d if wrapped is None else _promote_types(wrapped, d)
    out = dims
    for cand in (zeros, wrapped):
        if cand is not None and (out is None or _CATEGORY[cand.kind] > _CATEGORY[out.kind]):
            out = cand if out is None else _promote_types(out, cand)
    if true_div and out.kind != "f":
        out = np.dtype(_backend.DEFAULT_FLOAT)
    return out


def _cast(x, dtype: np.dtype):
    """``x`` (a Tensor, array or number) in ``dtype``; a Tensor that requires grad is cast
    by the recorded cast op, so its gradient flows back in its own dtype."""
    if isinstance(x, Tensor):
        if x.data.dtype == dtype:
            return x
        if x.requires_grad:
            return x._cast(dtype)
        return Tensor._wrap(x.data.astype(dtype))
    if isinstance(x, np.ndarray):
        return x if x.dtype == dtype else x.astype(dtype)
    return x  # Python numbers adapt to the other operand (NumPy's weak scalars)


def promote(a, b, true_div: bool = False):
    """``a`` and ``b`` brought to PyTorch's result dtype (see :func:`result_dtype`) where
    NumPy would pick another: a float32 tensor with a float64 scalar tensor stays float32,
    integers with floats take the float's dtype (float32 for a Python float), and under
    true division two integer operands become float32."""
    if not needs_promotion(a, b):
        return a, b
    dt = result_dtype(a, b, true_div=true_div)
    return _cast(a, dt), _cast(b, dt)


def promote_all(*operands) -> list:
    """Every operand brought to PyTorch's result dtype of them all (None stays None)."""
    dt = result_dtype(*operands)
    return [None if x is None else _cast(x, dt) for x in operands]


def needs_promotion(a, b) -> bool:
    """Cheap test for the hot path: can NumPy's result dtype differ from PyTorch's?
    Two floating tensors of one dtype, or one with a Python number, cannot."""
    if isinstance(a, Tensor):
        da = a.data.dtype
        if isinstance(b, Tensor):
            return da.kind != "f" or da != b.data.dtype
        tb = type(b)
        if tb is float or tb is int:
            return da.kind != "f"
        return b is not None
    if isinstance(b, Tensor):
        ta = type(a)
        if ta is float or ta is int:
            return b.data.dtype.kind != "f"
    return a is not None and b is not None


def shape_of(x) -> tuple:
    return x.data.shape if isinstance(x, Tensor) else np.shape(x)


def norm_dim(dim, ndim: int, op: str):
    """Normalise ``dim`` (None, int or tuple) to None or a tuple of non-negative axes."""
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
    out = []
    for d in dims:
        d = int(d)
        if not -max(ndim, 1) <= d < max(ndim, 1):
            raise IndexError(f"{op}: dim {d} out of range for a tensor of {ndim} dims")
        out.append(d % ndim if ndim else 0)
    if not ndim:  # a 0-d tensor: dim 0 or -1 names the tensor itself, nothing to reduce
        return ()
    if len(out) > 1 and len(set(out)) < len(out):
        from ..errors import ArgumentError

        raise ArgumentError(f"{op}: dim {out[[out.count(d) > 1 for d in out].index(True)]} "
                            f"appears multiple times in the list of dims")
    return tuple(out)


def norm_axis(dim: int, ndim: int, op: str) -> int:
    if not -ndim <= dim < ndim:
        raise IndexError(f"{op}: dim {dim} out of range for a tensor of {ndim} dims")
    return dim % ndim


def check_dtypes(op: str, input, **params) -> None:
    """Refuse an input whose dtype differs from the layer's parameters (PyTorch's rule: a
    float64 batch into a float32 model is an error, not a silent float64 computation).

    ``input`` and ``params`` (the named parameters, None skipped) are Tensors or arrays; the
    message says which conversion fixes it.
    """
    xd = input.dtype
    for name, p in params.items():
        if p is None:
            continue
        pd = p.dtype
        if pd is xd or pd == xd:
            continue
        if xd.kind != "f":
            fix = f"convert the input with .to({pd.name}) (e.g. input.float())"
        elif pd.itemsize < xd.itemsize:
            fix = "convert the input with input.float(), or the model with model.double()"
        else:
            fix = "convert the input with input.double(), or the model with model.float()"
        raise TypeError(f"{op}: input dtype {xd.name} does not match {name} dtype {pd.name}; "
                        f"{fix}")
