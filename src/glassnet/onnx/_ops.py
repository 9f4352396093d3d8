"""The op table: each recorded glassnet op -> the ONNX nodes that compute the same thing.

``OPS`` maps an op's key (its name, lowercase, without underscores: see ``op_key``) to a
converter ``conv(b, r) -> value name`` where ``b`` is the graph builder and ``r`` the
record (``r.fn`` the op, ``r.args`` its positional inputs as the op received them, Tensors,
arrays or plain values, ``r.out`` its output). A converter raises ``Unsupported(reason)``
for a use it cannot express. Renaming an op means renaming its key here, nothing else.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._export import Unsupported

INT_MAX = np.iinfo(np.int64).max
INT_MIN = np.iinfo(np.int64).min


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
    alpha = r.args[1] if len(r.args) > 1 else getattr(r.fn, "alpha", 1.0)
    return b.node("Elu", [b.value(r.args[0])], alpha=float(alpha))


# --- reductions and softmax --------------------------------------------------------------


def _reduce(op_type: str):
    def conv(b, r):
        x, axes, keepdim = r.args[:3]
        return b.reduce(op_type, b.value(x), axes, keepdim)
    return conv


def _softmax(b, r):
    x, axis = r.args[:2]
    t = r.args[2] if len(r.args) > 2 else 1.0
    xn = b.value(x)
    if t != 1.0:
        xn = b.node("Div", [xn, b.scalar(t, _dt(r))])
    return b.node("Softmax", [xn], axis=int(axis))


def _log_softmax(b, r):
    return b.node("LogSoftmax", [b.value(r.args[0])], axis=int(r.args[1]))


# --- layers ------------------------------------------------------------------------------


def _linear(b, r):
    """y = x Wᵀ + b: Gemm for a batch of rows, MatMul (+ Add) for other ranks."""
    x, w, bias = r.args[:3]
    xn, wn = b.value(x), b.value(w)
    if x.ndim == 2:
        ins = [xn, wn] + ([b.value(bias)] if bias is not None else [])
        return b.node("Gemm", ins, transB=1)
    y = b.node("MatMul", [xn, b.node("Transpose", [wn], perm=[1, 0])])
    return y if bias is None else b.node("Add", [y, b.value(bias)])


def _conv(b, r):
    """Conv with PyTorch's geometry; a 3-D input is the 1-D case (the leading height
    entries of stride, pads and dilation are then dropped)."""
    x, w, bias, stride, pads, dilation, groups = r.args[:7]
    one_d = np.ndim(x.data if isinstance(x, Tensor) else x) == 3
    if one_d:
        stride, pads, dilation = stride[1:], pads[1:], dilation[1:]
    ins = [b.value(x), b.value(w)] + ([b.value(bias)] if bias is not None else [])
    return b.node("Conv", ins, strides=[int(s) for s in stride],
                  pads=[int(p[0]) for p in pads] + [int(p[1]) for p in pads],
                  dilations=[int(d) for d in dilation], group=int(groups),
                  kernel_shape=[int(k) for k in np.shape(_arr(w))[2:]])


def _arr(v):
    return v.data if isinstance(v, Tensor) else np.asarray(v)


def _conv_transpose(b, r):
    """ConvTranspose: args (x, weight, bias, stride, padding, output_padding, groups,
    dilation) as PyTorch's conv_transpose, weights (C_in, C_out/groups, *k)."""
    x, w, bias, stride, padding, output_padding, groups, dilation = r.args[:8]
    nd = _arr(x).ndim - 2

    def tup(v):
        return [int(v)] * nd if np.isscalar(v) else [int(a) for a in v]

    pad = tup(padding)
    ins = [b.value(x), b.value(w)] + ([b.value(bias)] if bias is not None else [])
    return b.node("ConvTranspose", ins, strides=tup(stride), pads=pad + pad,
                  output_padding=tup(output_padding), dilations=tup(dilation),
                  group=int(groups), kernel_shape=[int(k) for k in _arr(w).shape[2:]])


def _max_pool(b, r):
    x, k, s, p, d = r.args[:5]
    return b.node("MaxPool", [b.value(x)], kernel_shape=list(map(int, k)),
                  strides=list(map(int, s)), pads=list(map(int, p)) * 2,
                  dilations=list(map(int, d)))


def _avg_pool(b, r):
    x, k, s, p, count_include_pad, divisor = r.args[:6]
    if divisor is not None:
        raise Unsupported("divisor_override has no ONNX form")
    return b.node("AveragePool", [b.value(x)], kernel_shape=list(map(int, k)),
                  strides=list(map(int, s)), pads=list(map(int, p)) * 2,
                  count_include_pad=int(bool(count_include_pad)))


def _adaptive_avg_pool(b, r):
    """Global pooling; equal bins as an AveragePool; PyTorch's uneven bins as one
    ReduceMean per bin, joined."""
    x, out = r.args[:2]
    xn = b.value(x)
    H, W = _arr(x).shape[2:]
    OH, OW = (int(o) for o in out)
    if (OH, OW) == (1, 1):
        return b.node("GlobalAveragePool", [xn])
    if H % OH == 0 and W % OW == 0:
        k = [H // OH, W // OW]
        return b.node("AveragePool", [xn], kernel_shape=k, strides=k)
    rows = []
    for i in range(OH):
        h0, h1 = (i * H) // OH, -(-((i + 1) * H) // OH)
        cols = []
        for j in range(OW):
            w0, w1 = (j * W) // OW, -(-((j + 1) * W) // OW)
            cell = b.node("Slice", [xn, b.ints([h0, w0]), b.ints([h1, w1]), b.ints([2, 3])])
            cols.append(b.reduce("ReduceMean", cell, [2, 3], True))
        rows.append(cols[0] if len(cols) == 1 else b.node("Concat", cols, axis=3))
    return rows[0] if len(rows) == 1 else b.node("Concat", rows, axis=2)


def _ones_like_param(b, v, shape, dt, fill):
    return b.value(v) if v is not None else b.const(np.full(shape, fill, dtype=dt))


def _batch_norm(b, r):
    """Evaluation-mode batch norm (the running statistics)."""
    x, w, bias, mean, var, _pshape, _paxes, eps = r.args[:8]
    C = _arr(x).shape[1]
    dt = _dt(r)
    return b.node("BatchNormalization",
                  [b.value(x), _ones_like_param(b, w, (C,), dt, 1.0),
                   _ones_like_param(b, bias, (C,), dt, 0.0), b.value(mean), b.value(var)],
                  epsilon=float(eps))


def _layer_norm(b, r):
    x, w, bias, axes, shape = r.args[:5]
    eps = r.args[6]
    if tuple(axes) != tuple(range(_arr(x).ndim - len(shape), _arr(x).ndim)):
        raise Unsupported(f"normalisation over axes {axes} (LayerNormalization needs the "
                          f"trailing axes)")
    dt = _dt(r)
    return b.node("LayerNormalization",
                  [b.value(x), _ones_like_param(b, w, shape, dt, 1.0),
                   _ones_like_param(b, bias, shape, dt, 0.0)],
                  axis=-len(shape), epsilon=float(eps))


def _group_norm(b, r):
    """Per-group statistics via InstanceNormalization on (N, G, -1), then the affine
    per channel: args (x, num_groups, weight, bias, eps) as F.group_norm."""
    x, G, w, bias, eps = r.args[:5]
    dt = _dt(r)
    xn = b.value(x)
    nd = _arr(x).ndim
    C = _arr(x).shape[1]
    g = b.node("Reshape", [xn, b.ints([0, int(G), -1])])
    g = b.node("InstanceNormalization", [g, b.const(np.ones(int(G), dt)),
                                         b.const(np.zeros(int(G), dt))], epsilon=float(eps))
    y = b.node("Reshape", [g, b.node("Shape", [xn])])
    shape = (C,) + (1,) * (nd - 2)
    if w is not None:
        y = b.node("Mul", [y, b.node("Reshape", [b.value(w), b.ints(shape)])])
    if bias is not None:
        y = b.node("Add", [y, b.node("Reshape", [b.value(bias), b.ints(shape)])])
    return y


def _embedding(b, r):
    w, idx = r.args[:2]
    return b.node("Gather", [b.value(w), b.value(idx)], axis=0)


def _identity(b, r):
    return b.node("Identity", [b.value(r.args[0])])


def _training_only(b, r):
    raise Unsupported("dropout called with training=True (export runs the model in eval "
                      "mode; pass training=self.training to F.dropout)")


# --- shapes ------------------------------------------------------------------------------


def _reshape(b, r):
    """Sizes that follow the batch are written 0 (copy the input's) or -1 (infer)."""
    x = r.args[0]
    t1, t2 = tuple(r.out.shape), b.shape2_of(r.out)
    i1, i2 = tuple(_arr(x).shape), b.shape2_of(x)
    target, free = [], []
    for j, (a, c) in enumerate(zip(t1, t2)):
        if a == c and a != 0:
            target.append(int(a))
        elif j < len(i1) and i1[j] == a and i2[j] == c:
            target.append(0)
        else:
            target.append(-1)
            free.append(j)
    if len(free) > 1:
        raise Unsupported(f"a reshape to {t1} where several sizes follow the dynamic axes")
    return b.node("Reshape", [b.value(x), b.ints(target, "shape")])


def _permute(b, r):
    return b.node("Transpose", [b.value(r.args[0])], perm=[int(a) for a in r.args[1]])


def _expand(b, r):
    x = r.args[0]
    s1, s2 = tuple(r.out.shape), b.shape2_of(r.out)
    i1, i2 = tuple(_arr(x).shape), b.shape2_of(x)
    lead = len(s1) - len(i1)
    target = []
    for j, (a, c) in enumerate(zip(s1, s2)):
        k = j - lead
        if k >= 0 and i1[k] == a and i2[k] == c:
            target.append(1)  # broadcasting keeps the input's size
        elif a == c:
            target.append(int(a))
        else:
            raise Unsupported(f"expanding to {s1} along a dynamic axis")
    return b.node("Expand", [b.value(x), b.ints(target, "shape")])


def _cat(b, r):
    axis = getattr(r.fn, "axis", None)
    if axis is None:
        raise Unsupported("the concatenation axis was not recorded")
    return b.node("Concat", [b.value(t) for t in r.args], axis=int(axis))


def _pad(b, r):
    x, widths, value = r.args[:3]
    pads = [int(a) for a, _ in widths] + [int(c) for _, c in widths]
    return b.node("Pad", [b.value(x), b.ints(pads, "pads"), b.scalar(value, _dt(r))],
                  mode="constant")


def _getitem(b, r):
    """Basic indexing (ints, slices, None, ...) and at most one integer array."""
    x, key = r.args[:2]
    nd = _arr(x).ndim
    items = list(key) if isinstance(key, tuple) else [key]
    n_real = sum(1 for k in items if k is not None and k is not Ellipsis)
    if sum(1 for k in items if k is Ellipsis) > 1:
        raise Unsupported("more than one Ellipsis in an index")
    if any(k is Ellipsis for k in items):
        i = next(j for j, k in enumerate(items) if k is Ellipsis)
        items[i:i + 1] = [slice(None)] * (nd - n_real)
    items += [slice(None)] * (nd - sum(1 for k in items if k is not None))
    starts, ends, axes, steps = [], [], [], []
    squeeze, unsqueeze = [], []
    gather = None
    ax = oa = 0
    for k in items:
        if k is None:
            unsqueeze.append(oa)
            oa += 1
        elif isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            k = int(k)
            starts.append(k)
            ends.append(k + 1 if k != -1 else INT_MAX)
            axes.append(ax)
            steps.append(1)
            squeeze.append(ax)
            ax += 1
        elif isinstance(k, slice):
            if k != slice(None):
                step = 1 if k.step is None else int(k.step)
                first, last = (0, INT_MAX) if step > 0 else (INT_MAX, INT_MIN)
                starts.append(int(k.start) if k.start is not None else first)
                ends.append(int(k.stop) if k.stop is not None else last)
                axes.append(ax)
                steps.append(step)
            ax += 1
            oa += 1
        elif isinstance(k, np.ndarray) and k.dtype.kind in "iu" and gather is None:
            gather = (ax, k)
            ax += 1
            oa += k.ndim
        else:
            raise Unsupported(f"an index item {type(k).__name__} "
                              f"{getattr(k, 'dtype', '')} (boolean masks, several index "
                              f"arrays)")
    y = b.value(x)
    if starts:
        y = b.node("Slice", [y, b.ints(starts, "starts"), b.ints(ends, "ends"),
                             b.ints(axes, "axes"), b.ints(steps, "steps")])
    if squeeze:
        y = b.node("Squeeze", [y, b.ints(squeeze, "axes")])
    if gather is not None:
        gax, arr = gather
        gax -= sum(1 for s in squeeze if s < gax)
        y = b.node("Gather", [y, b.value(arr)], axis=gax)
    if unsqueeze:
        y = b.node("Unsqueeze", [y, b.ints(unsqueeze, "axes")])
    if y == b.value(x):
        y = b.node("Identity", [y])
    return y


# --- THE TABLE ---------------------------------------------------------------------------

OPS = {
    # arithmetic
    "add": _binary("Add"),
    "sub": _binary("Sub"),
    "mul": _binary("Mul"),
    "div": _binary("Div"),
    "pow": _binary("Pow"),
    "neg": _unary("Neg"),
    "matmul": _binary("MatMul"),
    # elementwise
    "exp": _unary("Exp"),
    "log": _unary("Log"),
    "sqrt": _unary("Sqrt"),
    "abs": _unary("Abs"),
    "sin": _unary("Sin"),
    "cos": _unary("Cos"),
    "tanh": _unary("Tanh"),
    "sigmoid": _unary("Sigmoid"),
    "relu": _unary("Relu"),
    "leakyrelu": _leaky_relu,
    "softplus": _softplus,
    "clamp": _clamp,
    "maximum": _binary("Max"),
    "minimum": _binary("Min"),
    "where": _where,
    "cast": _cast,
    "clone": _identity,
    "gelu": _gelu,
    "silu": _silu,
    "elu": _elu,
    # reductions, softmax
    "sum": _reduce("ReduceSum"),
    "mean": _reduce("ReduceMean"),
    "max": _reduce("ReduceMax"),
    "min": _reduce("ReduceMin"),
    "logsumexp": _reduce("ReduceLogSumExp"),
    "softmax": _softmax,
    "logsoftmax": _log_softmax,
    # layers
    "linear": _linear,
    "conv2d": _conv,
    "convtranspose": _conv_transpose,
    "maxpool2d": _max_pool,
    "avgpool2d": _avg_pool,
    "adaptiveavgpool2d": _adaptive_avg_pool,
    "channelaffine": _batch_norm,
    "normalize": _layer_norm,
    "groupnorm": _group_norm,
    "embedding": _embedding,
    "dropout": _training_only,
    "mask": _training_only,
    # shapes
    "reshape": _reshape,
    "permute": _permute,
    "expand": _expand,
    "cat": _cat,
    "pad": _pad,
    "getitem": _getitem,
}
