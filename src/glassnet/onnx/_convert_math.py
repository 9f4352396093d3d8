"""Converters for arithmetic, elementwise functions, activations, reductions and softmax.

Each ``conv(b, r) -> value name`` reads the op's positional arguments ``r.args`` (as the op
received them) and adds ONNX nodes through the builder ``b``; ``_ops.OPS`` maps op names to
them.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._export import Unsupported

INT_MAX = np.iinfo(np.int64).max
INT_MIN = np.iinfo(np.int64).min


def _arr(v):
    """The array of a Tensor or array argument."""
    return v.data if isinstance(v, Tensor) else np.asarray(v)


def _dt(r):
    return r.out.data.dtype


def _unary(op_type: str, **attrs):
    def conv(b, r):
        return b.node(op_type, [b.value(r.args[0])], **attrs)
    return conv


def _binary(op_type: str):
    def conv(b, r):
        x, y = r.args[:2]
        return b.node(op_type, [_operand(b, x, r), _operand(b, y, r)])
    return conv


def _operand(b, v, r) -> str:
    """A binary op's operand: numbers and foreign-dtype arrays take the output's dtype."""
    dt = _dt(r)
    if isinstance(v, np.ndarray) and not b.known(v) and v.dtype != dt:
        return b.const(v.astype(dt))
    if isinstance(v, (int, float, bool, np.generic)):
        return b.scalar(v, dt)
    return b.value(v)


# --- elementwise -------------------------------------------------------------------------


def _leaky_relu(b, r):
    return b.node("LeakyRelu", [b.value(r.args[0])], alpha=float(r.args[1]))


def _softplus(b, r):
    x, beta, threshold = r.args[:3]
    dt = _dt(r)
    xn = b.value(x)
    bx = xn if beta == 1 else b.node("Mul", [xn, b.scalar(beta, dt)])
    y = b.node("Softplus", [bx])
    if beta != 1:
        y = b.node("Div", [y, b.scalar(beta, dt)])
    if threshold < 20.0:  # below this the linear branch changes the result visibly
        over = b.node("Greater", [bx, b.scalar(threshold, dt)])
        y = b.node("Where", [over, xn, y])
    return y


def _clamp(b, r):
    x, lo, hi = r.args[:3]
    dt = _dt(r)
    ins = [b.value(x), "" if lo is None else b.scalar(lo, dt)]
    if hi is not None:
        ins.append(b.scalar(hi, dt))
    return b.node("Clip", ins)


def _where(b, r):
    cond, x, y = r.args[:3]
    c = b.value(cond)
    if np.asarray(cond.data if isinstance(cond, Tensor) else cond).dtype != np.bool_:
        c = b.node("Cast", [c], to=b.onnx.TensorProto.BOOL)
    return b.node("Where", [c, _operand(b, x, r), _operand(b, y, r)])


def _cast(b, r):
    return b.node("Cast", [b.value(r.args[0])],
                  to=b.helper.np_dtype_to_tensor_dtype(np.dtype(_dt(r))))


def _gelu(b, r):
    """0.5 x (1 + erf(x / √2)), or PyTorch's tanh approximation."""
    x = r.args[0]
    approximate = r.args[1] if len(r.args) > 1 else getattr(r.fn, "approximate", "none")
    dt = _dt(r)
    xn = b.value(x)
    if approximate == "tanh":
        x3 = b.node("Mul", [b.node("Mul", [xn, xn]), xn])
        inner = b.node("Add", [xn, b.node("Mul", [x3, b.scalar(0.044715, dt)])])
        t = b.node("Tanh", [b.node("Mul", [inner, b.scalar(np.sqrt(2 / np.pi), dt)])])
    else:
        t = b.node("Erf", [b.node("Div", [xn, b.scalar(np.sqrt(2.0), dt)])])
    half = b.node("Mul", [xn, b.scalar(0.5, dt)])
    return b.node("Mul", [half, b.node("Add", [t, b.scalar(1.0, dt)])])


def _silu(b, r):
    xn = b.value(r.args[0])
    return b.node("Mul", [xn, b.node("Sigmoid", [xn])])


def _elu(b, r):
    """ELU, SELU and CELU: scale · (x if x > 0 else α (exp(inner · x) - 1)); args (x, alpha,
    scale, inner), or (x, alpha) alone."""
    x = r.args[0]
    alpha = float(r.args[1]) if len(r.args) > 1 else 1.0
    scale = float(r.args[2]) if len(r.args) > 2 else 1.0
    inner = float(r.args[3]) if len(r.args) > 3 else 1.0
    xn = b.value(x)
    if scale == 1.0 and inner == 1.0:
        return b.node("Elu", [xn], alpha=alpha)
    if inner == 1.0:
        return b.node("Selu", [xn], alpha=alpha, gamma=scale)
    if scale == 1.0 and abs(inner * alpha - 1.0) < 1e-12:
        return b.node("Celu", [xn], alpha=alpha)
    dt = _dt(r)
    neg = b.node("Mul", [b.node("Sub", [b.node("Exp", [b.node("Mul", [b.node(
        "Min", [xn, b.scalar(0.0, dt)]), b.scalar(inner, dt)])]), b.scalar(1.0, dt)]),
        b.scalar(alpha, dt)])
    y = b.node("Where", [b.node("Greater", [xn, b.scalar(0.0, dt)]), xn, neg])
    return b.node("Mul", [y, b.scalar(scale, dt)])


def _mish(b, r):
    xn = b.value(r.args[0])
    return b.node("Mul", [xn, b.node("Tanh", [b.node("Softplus", [xn])])])


def _logsigmoid(b, r):
    """log σ(x) = -softplus(-x)."""
    return b.node("Neg", [b.node("Softplus", [b.node("Neg", [b.value(r.args[0])])])])


def _tanhshrink(b, r):
    xn = b.value(r.args[0])
    return b.node("Sub", [xn, b.node("Tanh", [xn])])


def _hardtanh(b, r):
    x, lo, hi = r.args[:3]
    dt = _dt(r)
    return b.node("Clip", [b.value(x), b.scalar(lo, dt), b.scalar(hi, dt)])


def _hardsigmoid(b, r):
    return b.node("HardSigmoid", [b.value(r.args[0])], alpha=1.0 / 6.0, beta=0.5)


def _prelu(b, r):
    """One slope, or one per channel (axis 1): reshaped to (C, 1, ...) to broadcast."""
    x, a = r.args[:2]
    nd, n = _arr(x).ndim, _arr(a).size
    an = b.value(a)
    if n > 1:
        an = b.node("Reshape", [an, b.ints([n] + [1] * (nd - 2), "shape")])
    return b.node("PRelu", [b.value(x), an])


def _chain(*steps):
    """Unary ops written as a few ONNX nodes: ``steps`` are op types, or (op type, constant)
    for a binary node with a scalar of the output's dtype on the right, or (constant,
    op type) with it on the left."""
    def conv(b, r):
        y = b.value(r.args[0])
        dt = _dt(r)
        for st in steps:
            if isinstance(st, str):
                y = b.node(st, [y])
            elif isinstance(st[0], str):
                y = b.node(st[0], [y, b.scalar(st[1], dt)])
            else:
                y = b.node(st[1], [b.scalar(st[0], dt), y])
        return y
    return conv


def _square(b, r):
    xn = b.value(r.args[0])
    return b.node("Mul", [xn, xn])


def _trunc(b, r):
    """sign(x)·floor(|x|)."""
    xn = b.value(r.args[0])
    return b.node("Mul", [b.node("Sign", [xn]), b.node("Floor", [b.node("Abs", [xn])])])


def _einsum(b, r):
    subs, out = getattr(r.fn, "subs", None), getattr(r.fn, "out", None)
    if subs is None or out is None:
        raise Unsupported("the subscripts were not recorded")
    sizes = getattr(r.fn, "sizes", {})
    for sub, a in zip(subs, r.args):
        if any(n != sizes.get(c, n) for c, n in zip(sub, _arr(a).shape)):
            raise Unsupported("size-1 dims broadcast against other operands")
    return b.node("Einsum", [b.value(a) for a in r.args], equation=",".join(subs) + "->" + out)


# --- reductions and softmax --------------------------------------------------------------


def _reduce(op_type: str):
    def conv(b, r):
        x, axes, keepdim = r.args[:3]
        if axes is not None and np.isscalar(axes):
            axes = (int(axes),)
        return b.reduce(op_type, b.value(x), axes, keepdim)
    return conv


def _max_along(b, r):
    """``max(dim)``'s values, args (x, axis, keepdim, indices); the indices (for backward)
    are not part of the ONNX form. The older ``max`` over axes has three args."""
    return _reduce("ReduceMax")(b, r)


_max_along.constants = lambda args: args[:3]


def _var(b, r):
    """mean of squared deviations × n / (n - correction); n must not follow the batch."""
    x, axes, keepdim, correction = r.args[:4]
    shape = _arr(x).shape
    nd = len(shape)
    axes = tuple(range(nd)) if axes is None else tuple(int(a) % nd for a in np.atleast_1d(axes))
    shape2 = b.shape2_of(x)
    if any(shape[a] != shape2[a] for a in axes):
        raise Unsupported("a variance over a dynamic axis")
    n = int(np.prod([shape[a] for a in axes]))
    dt = _dt(r)
    xn = b.value(x)
    d = b.node("Sub", [xn, b.reduce("ReduceMean", xn, axes, True)])
    v = b.reduce("ReduceMean", b.node("Mul", [d, d]), axes, keepdim)
    return b.node("Mul", [v, b.scalar(n / (n - correction) if n > correction else np.nan, dt)])


def _prod(b, r):
    x, axis, keepdim = r.args[:3]
    if axis is not None and np.isscalar(axis):
        axis = (int(axis),)
    as_input = b.opset >= 18
    xn = b.value(x)
    if axis is None:
        return b.node("ReduceProd", [xn], keepdims=int(bool(keepdim)))
    if as_input:
        return b.node("ReduceProd", [xn, b.ints(axis, "axes")], keepdims=int(bool(keepdim)))
    return b.node("ReduceProd", [xn], axes=[int(a) for a in axis], keepdims=int(bool(keepdim)))


def _cumsum(b, r):
    x, dim = r.args[:2]
    return b.node("CumSum", [b.value(x), b.const(np.asarray(int(dim), np.int64), "axis")])


def _softmax(b, r):
    x, axis = r.args[:2]
    t = r.args[2] if len(r.args) > 2 else 1.0
    xn = b.value(x)
    if t != 1.0:
        xn = b.node("Div", [xn, b.scalar(t, _dt(r))])
    return b.node("Softmax", [xn], axis=int(axis))


def _log_softmax(b, r):
    return b.node("LogSoftmax", [b.value(r.args[0])], axis=int(r.args[1]))
