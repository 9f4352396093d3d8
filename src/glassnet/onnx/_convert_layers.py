"""Converters for layers' ops: linear, convolutions, pooling, normalisation, attention,
resampling, embedding; and the indexing ops that pick along one axis."""

from __future__ import annotations

import numpy as np

from ._convert_math import INT_MIN, _arr, _dt
from ._export import Unsupported


def _linear(b, r):
    """y = x Wᵀ + b: Gemm for a batch of rows, MatMul (+ Add) for other ranks."""
    x, w, bias = r.args[:3]
    xn, wn = b.value(x), b.value(w)
    if _arr(x).ndim == 2:
        ins = [xn, wn] + ([b.value(bias)] if bias is not None else [])
        return b.node("Gemm", ins, transB=1)
    y = b.node("MatMul", [xn, b.node("Transpose", [wn], perm=[1, 0])])
    return y if bias is None else b.node("Add", [y, b.value(bias)])


def _conv(b, r):
    """Conv with PyTorch's geometry; a 3-D input is the 1-D case (the leading height
    entries of stride, pads and dilation are then dropped)."""
    x, w, bias, stride, pads, dilation, groups = r.args[:7]
    one_d = _arr(x).ndim == 3
    if one_d:
        stride, pads, dilation = stride[1:], pads[1:], dilation[1:]
    ins = [b.value(x), b.value(w)] + ([b.value(bias)] if bias is not None else [])
    return b.node("Conv", ins, strides=[int(s) for s in stride],
                  pads=[int(p[0]) for p in pads] + [int(p[1]) for p in pads],
                  dilations=[int(d) for d in dilation], group=int(groups),
                  kernel_shape=[int(k) for k in np.shape(_arr(w))[2:]])


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
    """interpolate: per resized axis, y[o] = Σ_k w_k[o]·x[idx_k[o]] over the taps glassnet
    computed (one for nearest, two for linear, four for cubic), as Gathers with constant
    indices. Plan entries are (axis, n_in, taps, matrix) or the older
    (axis, n_in, i0, i1, w0, w1)."""
    x, plan = r.args[:2]
    nd, dt = _arr(x).ndim, _dt(r)
    y = b.value(x)
    for entry in plan:
        if len(entry) == 6:
            axis, _n, i0, i1, w0, w1 = entry
            taps = [(i0, None)] if i1 is None else [(i0, w0), (i1, w1)]
        else:
            axis, _n, taps, _matrix = entry
        out = None
        for idx, w in taps:
            t = b.node("Gather", [y, b.const(np.asarray(idx, np.int64), "index")],
                       axis=int(axis))
            if w is not None:
                shape = [1] * nd
                shape[axis] = len(idx)
                t = b.node("Mul", [t, b.const(np.asarray(w, dt).reshape(shape))])
            out = t if out is None else b.node("Add", [out, t])
        y = out
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
