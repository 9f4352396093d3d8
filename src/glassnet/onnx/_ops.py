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
    """ConvTranspose: args (x, weight, bias, stride, padding, dilation, out_size, groups),
    weights (C_in, C_out/groups, *k); a 3-D input is the 1-D case (the leading entries of
    the geometry are then dropped). output_padding is what makes the traced size."""
    x, w, bias, stride, padding, dilation, out_size, groups = r.args[:8]
    xs, ks = _arr(x).shape[2:], _arr(w).shape[2:]
    nd = len(xs)
    stride, padding, dilation, out_size = (tuple(int(v) for v in t)[-nd:] for t in
                                           (stride, padding, dilation, out_size))
    extra = [o - ((n - 1) * s - 2 * p + d * (k - 1) + 1) for o, n, s, p, d, k in
             zip(out_size, xs, stride, padding, dilation, ks)]
    ins = [b.value(x), b.value(w)] + ([b.value(bias)] if bias is not None else [])
    return b.node("ConvTranspose", ins, strides=list(stride), pads=list(padding) * 2,
                  output_padding=extra, dilations=list(dilation), group=int(groups),
                  kernel_shape=[int(k) for k in ks])


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


def _normalize(b, r):
    """Statistics of the input itself (layer, group and instance norm, batch norm on the
    batch): args (x, weight, bias, axes, pshape, paxes, eps, ...), weight and bias reshaped
    to ``pshape``. Over trailing axes with matching weights: LayerNormalization; otherwise
    mean and (biased) variance written out."""
    x, w, bias, axes, pshape, _paxes, eps = r.args[:7]
    nd = _arr(x).ndim
    dt = _dt(r)
    axes = tuple(int(a) % nd for a in axes)
    k = len(axes)
    trailing = axes == tuple(range(nd - k, nd))
    shape = tuple(_arr(x).shape[nd - k:])
    if trailing and all(t is None or tuple(_arr(t).shape) == shape for t in (w, bias)):
        return b.node("LayerNormalization",
                      [b.value(x), _ones_like_param(b, w, shape, dt, 1.0),
                       _ones_like_param(b, bias, shape, dt, 0.0)],
                      axis=-k, epsilon=float(eps))
    xn = b.value(x)
    xc = b.node("Sub", [xn, b.reduce("ReduceMean", xn, axes, True)])
    var = b.reduce("ReduceMean", b.node("Mul", [xc, xc]), axes, True)
    y = b.node("Div", [xc, b.node("Sqrt", [b.node("Add", [var, b.scalar(eps, dt)])])])
    for t, op_type in ((w, "Mul"), (bias, "Add")):
        if t is not None:
            tn = b.value(t)
            if tuple(_arr(t).shape) != tuple(pshape):
                tn = b.node("Reshape", [tn, b.ints(pshape, "shape")])
            y = b.node(op_type, [y, tn])
    return y


def _batch_norm_any(b, r):
    """``batch_norm`` records either the running-statistics form (args: x, weight, bias,
    mean, var, pshape, paxes, eps) or the batch-statistics one (axes as the 4th arg)."""
    if isinstance(r.args[3], tuple):
        return _normalize(b, r)
    return _batch_norm(b, r)


def _scores(b, q: str, k: str, nd: int, mask, scale, dt) -> str:
    """softmax(scale · Q Kᵀ + M) over the last axis (``q``, ``k`` value names of rank
    ``nd``). A row whose keys are all masked gets zero weights, as in glassnet, not NaN."""
    perm = list(range(nd))
    perm[-1], perm[-2] = perm[-2], perm[-1]
    s = b.node("MatMul", [q, b.node("Transpose", [k], perm=perm)])
    s = b.node("Mul", [s, b.scalar(scale, dt)])
    if mask is None:
        return b.node("Softmax", [s], axis=-1)
    a = b.node("Softmax", [b.node("Add", [s, b.value(mask)])], axis=-1)
    return b.node("Where", [b.node("IsNaN", [a]), b.scalar(0.0, dt), a])


def _attention(b, r):
    """Scaled dot-product attention, args (q, k, v, mask, scale, keep, p, gqa); or the
    packed self-attention of MultiheadAttention, args (qkv, mask, heads, batch_first,
    scale, keep, p), which splits and joins the heads itself."""
    if len(r.args) == 7 and isinstance(r.args[2], (int, np.integer)):
        return _packed_attention(b, r)
    q, k, v, mask, scale, keep, _p, gqa = r.args[:8]
    if keep is not None:
        raise Unsupported("attention dropout in training mode")
    if gqa:
        raise Unsupported("grouped-query attention (fewer key/value heads than query heads)")
    a = _scores(b, b.value(q), b.value(k), _arr(k).ndim, mask, scale, _dt(r))
    return b.node("MatMul", [a, b.value(v)])


def _packed_attention(b, r):
    qkv, mask, H, batch_first, scale, keep = r.args[:6]
    if keep is not None:
        raise Unsupported("attention dropout in training mode")
    H = int(H)
    d = _arr(qkv).shape[-1] // (3 * H)
    x = b.node("Reshape", [b.value(qkv), b.ints([0, 0, 3, H, d], "shape")])
    x = b.node("Transpose", [x], perm=[2, 0, 3, 1, 4] if batch_first else [2, 1, 3, 0, 4])
    q, k, v = (b.node("Gather", [x, b.const(np.asarray(i, np.int64), "index")], axis=0)
               for i in range(3))  # each (N, H, L, d)
    y = b.node("MatMul", [_scores(b, q, k, 4, mask, scale, _dt(r)), v])
    y = b.node("Transpose", [y], perm=[0, 2, 1, 3] if batch_first else [2, 0, 1, 3])
    return b.node("Reshape", [y, b.ints([0, 0, -1], "shape")])


def _attention_weights(b, r):
    """The weights alone (NaN for a row with every key masked, as glassnet gives)."""
    q, k, mask, scale = r.args[:4]
    dt = _dt(r)
    perm = list(range(_arr(k).ndim))
    perm[-1], perm[-2] = perm[-2], perm[-1]
    s = b.node("MatMul", [b.value(q), b.node("Transpose", [b.value(k)], perm=perm)])
    s = b.node("Mul", [s, b.scalar(scale, dt)])
    if mask is not None:
        s = b.node("Add", [s, b.value(mask)])
    return b.node("Softmax", [s], axis=-1)


def _resample(b, r):
    """interpolate: per resized axis, y = x[i0]·w0 + x[i1]·w1 (nearest: x[i0]) with the
    positions and weights glassnet computed, as Gathers with constant indices."""
    x, plan = r.args[:2]
    nd, dt = _arr(x).ndim, _dt(r)
    y = b.value(x)
    for axis, _n, i0, i1, w0, w1 in plan:
        g0 = b.node("Gather", [y, b.const(np.asarray(i0, np.int64), "index")], axis=int(axis))
        if i1 is None:
            y = g0
            continue
        shape = [1] * nd
        shape[axis] = len(i0)
        g1 = b.node("Gather", [y, b.const(np.asarray(i1, np.int64), "index")], axis=int(axis))
        y = b.node("Add", [b.node("Mul", [g0, b.const(np.asarray(w0, dt).reshape(shape))]),
                           b.node("Mul", [g1, b.const(np.asarray(w1, dt).reshape(shape))])])
    return y


def _embedding(b, r):
    w, idx = r.args[:2]
    return b.node("Gather", [b.value(w), b.value(idx)], axis=0)


def _identity(b, r):
    return b.node("Identity", [b.value(r.args[0])])


def _training_only(b, r):
    raise Unsupported("dropout called with training=True (export runs the model in eval "
                      "mode; pass training=self.training to F.dropout)")


def _index_select(b, r):
    x, dim, idx = r.args[:3]
    return b.node("Gather", [b.value(x), b.value(np.asarray(idx, np.int64))], axis=int(dim))


def _gather(b, r):
    """torch.gather: the index along ``dim`` (the rest of the grid is every position)."""
    x, dim, grid = r.args[:3]
    idx = np.broadcast_to(np.asarray(grid[dim], np.int64), r.out.shape)
    return b.node("GatherElements", [b.value(x), b.const(np.ascontiguousarray(idx), "index")],
                  axis=int(dim))


_gather.constants = lambda args: [args[0], args[2][args[1]]]  # not the grid's aranges


def _masked_fill(b, r):
    x, value, mask = r.args[:3]
    dt = _dt(r)
    v = b.scalar(value, dt) if np.isscalar(value) else b.node(
        "Cast", [b.value(value)], to=b.helper.np_dtype_to_tensor_dtype(np.dtype(dt)))
    return b.node("Where", [b.value(np.asarray(mask, bool)), v, b.value(x)])


def _repeat(b, r):
    x, reps = r.args[:2]
    xn = b.value(x)
    lead = len(reps) - _arr(x).ndim
    if lead:
        xn = b.node("Unsqueeze", [xn, b.ints(list(range(lead)), "axes")])
    return b.node("Tile", [xn, b.ints(reps, "repeats")])


def _flip(b, r):
    x, dims = r.args[:2]
    dims = [int(d) for d in np.atleast_1d(dims)]
    n = len(dims)
    return b.node("Slice", [b.value(x), b.ints([-1] * n, "starts"), b.ints([INT_MIN] * n, "ends"),
                            b.ints(dims, "axes"), b.ints([-1] * n, "steps")])


def _trilu(upper: int):
    def conv(b, r):
        x, k = r.args[:2]
        return b.node("Trilu", [b.value(x), b.const(np.asarray(int(k), np.int64), "k")],
                      upper=upper)
    return conv


def _round(b, r):
    if len(r.args) > 1 and r.args[1]:
        raise Unsupported("round with decimals")
    return b.node("Round", [b.value(r.args[0])])


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
    "erf": _unary("Erf"),
    "gelu": _gelu,
    "silu": _silu,
    "mish": _mish,
    "elu": _elu,
    "selu": _elu,
    "celu": _elu,
    "softsign": _unary("Softsign"),
    "logsigmoid": _logsigmoid,
    "tanhshrink": _tanhshrink,
    "hardtanh": _hardtanh,
    "hardswish": _unary("HardSwish"),
    "hardsigmoid": _hardsigmoid,
    "prelu": _prelu,
    # reductions, softmax
    "sum": _reduce("ReduceSum"),
    "mean": _reduce("ReduceMean"),
    "max": _max_along,
    "min": _reduce("ReduceMin"),
    "amax": _reduce("ReduceMax"),
    "amin": _reduce("ReduceMin"),
    "logsumexp": _reduce("ReduceLogSumExp"),
    "var": _var,
    "prod": _prod,
    "cumsum": _cumsum,
    "softmax": _softmax,
    "logsoftmax": _log_softmax,
    # layers
    "linear": _linear,
    "conv2d": _conv,
    "convtranspose2d": _conv_transpose,
    "maxpool2d": _max_pool,
    "avgpool2d": _avg_pool,
    "adaptiveavgpool2d": _adaptive_avg_pool,
    "batchnorm": _batch_norm_any,
    "channelaffine": _batch_norm,
    "layernorm": _normalize,
    "normalize": _normalize,
    "groupnorm": _normalize,
    "instancenorm": _normalize,
    "scaleddotproductattention": _attention,
    "attentionweights": _attention_weights,
    "embedding": _embedding,
    "interpolate": _resample,
    "resample": _resample,
    "moduleinput": _identity,  # module hooks pass tensors through
    "moduleoutput": _identity,
    "dropout": _training_only,
    "mask": _training_only,
    # shapes
    "reshape": _reshape,
    "permute": _permute,
    "expand": _expand,
    "cat": _cat,
    "pad": _pad,
    "getitem": _getitem,
    "indexselect": _index_select,
    "gather": _gather,
    "maskedfill": _masked_fill,
    "repeat": _repeat,
    "flip": _flip,
    "tril": _trilu(0),
    "triu": _trilu(1),
    # piecewise constant
    "round": _round,
    "floor": _unary("Floor"),
    "ceil": _unary("Ceil"),
    "sign": _unary("Sign"),
}
