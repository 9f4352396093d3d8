"""Converters for shape ops: reshape, permute, expand, cat, pad and indexing. Sizes that
follow the dynamic axes are read from the second trace (``b.shape2_of``)."""

from __future__ import annotations

import numpy as np

from ._convert_math import INT_MAX, INT_MIN, _arr, _dt
from ._export import Unsupported

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
    """Constant padding, args (x, widths, value); or the reflect/replicate/circular modes,
    args (x, plan) with the source position of every output position along each axis."""
    if len(r.args) == 2:
        y = b.value(r.args[0])
        for axis, _n, _before, idx in r.args[1]:
            y = b.node("Gather", [y, b.const(np.asarray(idx, np.int64), "index")],
                       axis=int(axis))
        return y
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
