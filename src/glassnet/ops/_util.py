"""Helpers shared by the op families: operand conversion and dimension normalisation."""

from __future__ import annotations

import numpy as np

from ..backend import DEFAULT_FLOAT, xp
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


def _float_dtype(x):
    d = x.data.dtype if isinstance(x, Tensor) else getattr(x, "dtype", None)
    return d if d is not None and d.kind == "f" else None


def promote_ints(a, b, true_div: bool = False):
    """PyTorch's rule for integer operands where NumPy would give float64.

    An integer operand meeting a floating one takes that operand's float dtype (float32
    for a Python float); under true division two integer operands become float32.
    """
    out = []
    for x, other in ((a, b), (b, a)):
        if is_intlike(x):
            dt = _float_dtype(other)
            if dt is None and (type(other) is float or true_div):
                dt = DEFAULT_FLOAT
            if dt is not None:
                arr = x.data if isinstance(x, Tensor) else x
                x = Tensor._wrap(arr.astype(dt)) if isinstance(x, Tensor) else arr.astype(dt)
        out.append(x)
    return out[0], out[1]


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
