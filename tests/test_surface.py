"""The everyday PyTorch surface, checked against PyTorch itself.

1. Differentiable ops added for porting (einsum, bmm, cumsum, prod, gather, scatter, flip,
   tril, diag, ...): values and gradients in float64 against PyTorch, and finite
   differences (``gn.autograd.gradcheck``).
2. dtype objects, devices, ``.to`` forms, tensor conveniences, in-place methods.
3. A probe: a table of everyday expressions evaluated in both libraries with ``lib``
   bound to ``glassnet`` or ``torch`` and the same input data; every one must agree
   (values, shapes, dtypes, and whether it raises).
"""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(0)


def _f64(*shapes, lo=None):
    out = []
    for s in shapes:
        a = RNG.standard_normal(s)
        if lo is not None:
            a = np.sign(a) * (np.abs(a) + lo)
        out.append(a)
    return out


def _idx(*vals):
    return np.asarray(vals, dtype=np.int64)


# (id, glassnet call, torch call, float64 inputs (all require grad), extra non-grad args)
# Each call takes (lib, *tensors).
DIFF = [
    ("einsum_bmm", lambda L, a, b: L.einsum("bij,bjk->bik", a, b), _f64((2, 3, 4), (2, 4, 5))),
    ("einsum_diag", lambda L, a: L.einsum("ii->i", a), _f64((3, 3))),
    ("einsum_trace", lambda L, a: L.einsum("ii", a), _f64((3, 3))),
    ("einsum_ellipsis", lambda L, a, b: L.einsum("...ij,...jk->...ik", a, b),
     _f64((2, 1, 3, 4), (5, 4, 2))),
    ("einsum_outer_sum", lambda L, a, b: L.einsum("i,j->", a, b), _f64((3,), (4,))),
    ("einsum_attention", lambda L, q, k: L.einsum("bhqd,bhkd->bhqk", q, k),
     _f64((2, 2, 3, 4), (2, 2, 5, 4))),
    ("einsum_three", lambda L, a, b, c: L.einsum("ij,jk,kl->il", a, b, c),
     _f64((2, 3), (3, 4), (4, 2))),
    ("einsum_implicit", lambda L, a, b: L.einsum("ij,jk", a, b), _f64((2, 3), (3, 2))),
    ("einsum_list", lambda L, a, b: L.einsum("ij,ij->i", [a, b]), _f64((2, 3), (2, 3))),
    ("bmm", lambda L, a, b: L.bmm(a, b), _f64((3, 2, 4), (3, 4, 2))),
    ("mm", lambda L, a, b: L.mm(a, b), _f64((2, 4), (4, 3))),
    ("outer", lambda L, a, b: L.outer(a, b), _f64((3,), (4,))),
    ("cdist_2", lambda L, a, b: L.cdist(a, b), _f64((2, 3, 4), (2, 5, 4))),
    ("cdist_1", lambda L, a, b: L.cdist(a, b, p=1), _f64((3, 4), (5, 4))),
    ("cdist_3", lambda L, a, b: L.cdist(a, b, p=3), _f64((3, 4), (5, 4))),
    ("prod_all", lambda L, a: a.prod(), _f64((2, 3))),
    ("prod_dim", lambda L, a: a.prod(1), _f64((2, 3))),
    ("prod_keepdim", lambda L, a: L.prod(a, 0, keepdim=True), _f64((3, 2))),
    ("cumsum", lambda L, a: a.cumsum(1), _f64((2, 4))),
    ("cumsum_neg_dim", lambda L, a: L.cumsum(a, dim=-2), _f64((3, 2))),
    ("cumprod", lambda L, a: a.cumprod(0), _f64((4, 2))),
    ("sort_values", lambda L, a: a.sort(1).values, _f64((3, 4))),
    ("sort_desc", lambda L, a: L.sort(a, 0, descending=True)[0], _f64((4, 2))),
    ("topk_values", lambda L, a: a.topk(2).values, _f64((3, 5))),
    ("topk_smallest", lambda L, a: a.topk(2, dim=0, largest=False)[0], _f64((4, 3))),
    ("msort", lambda L, a: L.msort(a), _f64((4, 3))),
    ("round", lambda L, a: a.round() * a, _f64((2, 3))),
    ("round_decimals", lambda L, a: L.round(a, decimals=1) * a, _f64((2, 3))),
    ("floor", lambda L, a: a.floor() + a, _f64((2, 3))),
    ("ceil", lambda L, a: a.ceil() * a, _f64((2, 3))),
    ("trunc", lambda L, a: a.trunc() * a, _f64((2, 3))),
    ("sign", lambda L, a: a.sign() * a, _f64((2, 3))),
    ("frac", lambda L, a: a.frac(), _f64((2, 3))),
    ("remainder", lambda L, a, b: L.remainder(a * 3, b), _f64((2, 3), (2, 3), lo=0.5)),
    ("remainder_scalar", lambda L, a: a.remainder(0.7), _f64((2, 3))),
    ("mod_operator", lambda L, a: a % 0.6, _f64((2, 3))),
    ("fmod", lambda L, a, b: L.fmod(a * 3, b), _f64((2, 3), (3,), lo=0.5)),
    ("gather", lambda L, a: a.gather(1, L.tensor(_idx([0, 2], [1, 1], [2, 0]))), _f64((3, 4))),
    ("gather_dim0", lambda L, a: L.gather(a, 0, L.tensor(_idx([2, 0, 1]))), _f64((3, 3))),
    ("scatter", lambda L, a, s: a.scatter(1, L.tensor(_idx([0, 2], [1, 0])), s),
     _f64((2, 4), (2, 2))),
    ("scatter_value", lambda L, a: a.scatter(0, L.tensor(_idx([1, 0, 1])), 2.5), _f64((2, 3))),
    ("scatter_add", lambda L, a, s: a.scatter_add(1, L.tensor(_idx([0, 0], [3, 3])), s),
     _f64((2, 4), (2, 2))),
    ("index_select", lambda L, a: a.index_select(0, L.tensor(_idx(2, 0, 2))), _f64((3, 2))),
    ("index_select_dim1", lambda L, a: L.index_select(a, 1, L.tensor(_idx(1))), _f64((3, 2))),
    ("index_add", lambda L, a, s: a.index_add(0, L.tensor(_idx(1, 1)), s),
     _f64((3, 2), (2, 2))),
    ("masked_fill", lambda L, a: a.masked_fill(a > 0, -1.0), _f64((3, 4))),
    ("masked_fill_row_mask", lambda L, a: a.masked_fill(L.tensor([[True], [False]]), 0.0),
     _f64((2, 3))),
    ("masked_select", lambda L, a: a.masked_select(a > 0), _f64((3, 4))),
    ("masked_select_bcast", lambda L, a: L.masked_select(a, L.tensor([True, False, True])),
     _f64((2, 3))),
    ("take", lambda L, a: L.take(a, L.tensor(_idx([0, 5], [5, 1]))), _f64((2, 3))),
    ("take_along_dim", lambda L, a: L.take_along_dim(a, L.tensor(_idx([0], [2])), 1),
     _f64((2, 3))),
    ("repeat", lambda L, a: a.repeat(2, 3), _f64((2, 3))),
    ("repeat_more_dims", lambda L, a: a.repeat(2, 1, 2), _f64((2, 3))),
    ("tile", lambda L, a: a.tile((2,)), _f64((2, 3))),
    ("repeat_interleave", lambda L, a: a.repeat_interleave(2, dim=0), _f64((2, 3))),
    ("repeat_interleave_counts",
     lambda L, a: L.repeat_interleave(a, L.tensor(_idx(1, 0, 3)), dim=1), _f64((2, 3))),
    ("repeat_interleave_flat", lambda L, a: a.repeat_interleave(3), _f64((2, 2))),
    ("flip", lambda L, a: a.flip(0, 1), _f64((2, 3))),
    ("flip_tuple", lambda L, a: L.flip(a, (1,)), _f64((2, 3))),
    ("fliplr", lambda L, a: L.fliplr(a), _f64((2, 3))),
    ("roll", lambda L, a: a.roll(1, 1), _f64((2, 3))),
    ("roll_multi", lambda L, a: L.roll(a, (1, -2), (0, 1)), _f64((3, 4))),
    ("roll_flat", lambda L, a: a.roll(2), _f64((2, 3))),
    ("tril", lambda L, a: a.tril(), _f64((3, 4))),
    ("triu_k", lambda L, a: L.triu(a, 1), _f64((2, 3, 3))),
    ("tril_neg", lambda L, a: a.tril(-1), _f64((4, 3))),
    ("diag_vector", lambda L, a: L.diag(a, 1), _f64((3,))),
    ("diag_matrix", lambda L, a: a.diag(-1), _f64((3, 4))),
    ("diagonal", lambda L, a: a.diagonal(0, 1, 2), _f64((2, 3, 3))),
    ("diagonal_offset", lambda L, a: L.diagonal(a, offset=1, dim1=-1, dim2=0), _f64((4, 2, 3))),
    ("index_fill", lambda L, a: a.index_fill(1, L.tensor(_idx(0, 2)), -1.0), _f64((2, 3))),
    ("index_copy", lambda L, a, s: a.index_copy(0, L.tensor(_idx(2, 0)), s),
     _f64((3, 2), (2, 2))),
    ("masked_scatter", lambda L, a, s: a.masked_scatter(a > 0, s), _f64((2, 3), (7,))),
    # more elementwise math (ops/unary.py)
    ("square", lambda L, a: a.square(), _f64((2, 3))),
    ("rsqrt", lambda L, a: L.rsqrt(a.abs()), _f64((2, 3), lo=0.3)),
    ("reciprocal", lambda L, a: a.reciprocal(), _f64((2, 3), lo=0.3)),
    ("log1p", lambda L, a: L.log1p(a.abs()), _f64((2, 3))),
    ("expm1", lambda L, a: a.expm1(), _f64((2, 3))),
    ("log2", lambda L, a: L.log2(a.abs()), _f64((2, 3), lo=0.3)),
    ("log10", lambda L, a: a.abs().log10(), _f64((2, 3), lo=0.3)),
    ("exp2", lambda L, a: L.exp2(a), _f64((2, 3))),
    ("tan", lambda L, a: L.tan(a * 0.3), _f64((2, 3))),
    ("sinh", lambda L, a: a.sinh(), _f64((2, 3))),
    ("cosh", lambda L, a: L.cosh(a), _f64((2, 3))),
    ("asin", lambda L, a: L.asin(a * 0.3), _f64((2, 3))),
    ("acos", lambda L, a: (a * 0.3).acos(), _f64((2, 3))),
    ("atan", lambda L, a: L.arctan(a), _f64((2, 3))),
    ("atan2", lambda L, a, b: L.atan2(a, b), _f64((2, 3), (2, 3))),
    ("hypot", lambda L, a, b: L.hypot(a, b), _f64((2, 3), (3,))),
    ("logit", lambda L, a: L.logit(a.sigmoid()), _f64((2, 3))),
    ("logit_eps", lambda L, a: (a * 3).sigmoid().logit(eps=0.1), _f64((2, 3))),
    ("xlogy", lambda L, a, b: L.xlogy(a, b.abs()), _f64((2, 3), (2, 3), lo=0.2)),
    ("nan_to_num", lambda L, a: L.nan_to_num(a / L.tensor([0.0, 1.0, 1.0], dtype=L.float64)),
     _f64((2, 3))),
    ("lerp", lambda L, a, b: L.lerp(a, b, 0.3), _f64((2, 3), (2, 3))),
    ("addcmul", lambda L, a, b, c: L.addcmul(a, b, c, value=0.5), _f64((2, 3), (2, 3), (3,))),
    ("addcdiv", lambda L, a, b, c: a.addcdiv(b, c, value=2), _f64((2, 3), (2, 3), (3,), lo=0.5)),
    ("clamp_min", lambda L, a: a.clamp_min(0.1), _f64((2, 3))),
    ("clamp_max", lambda L, a: L.clamp_max(a, 0.1), _f64((2, 3))),
    # shape helpers (ops/shape_more.py)
    ("unbind", lambda L, a: a.unbind(1)[2] * 2, _f64((2, 3))),
    ("select", lambda L, a: a.select(1, -1), _f64((2, 3, 2))),
    ("narrow", lambda L, a: L.narrow(a, 1, 1, 2), _f64((2, 4))),
    ("movedim", lambda L, a: a.movedim((0, 1), (2, 0)), _f64((2, 3, 4))),
    ("moveaxis", lambda L, a: L.moveaxis(a, 0, -1), _f64((2, 3, 4))),
    ("broadcast_to", lambda L, a: L.broadcast_to(a, (2, 2, 3)), _f64((2, 3))),
    ("ravel", lambda L, a: a.ravel(), _f64((2, 3))),
    ("unflatten", lambda L, a: a.unflatten(1, (2, -1)), _f64((2, 6))),
    ("hstack", lambda L, a, b: L.hstack([a, b]), _f64((2, 3), (2, 1))),
    ("vstack", lambda L, a, b: L.vstack((a, b)), _f64((3,), (2, 3))),
    ("dstack", lambda L, a, b: L.dstack([a, b]), _f64((2, 3), (2, 3))),
    ("column_stack", lambda L, a, b: L.column_stack([a, b]), _f64((3,), (3, 2))),
    ("meshgrid_ij", lambda L, a, b: L.meshgrid(a, b, indexing="ij")[1] * 2, _f64((3,), (4,))),
    ("meshgrid_xy", lambda L, a, b: L.meshgrid(a, b, indexing="xy")[0] - L.meshgrid(
        a, b, indexing="xy")[1], _f64((3,), (4,))),
    ("tensor_split", lambda L, a: L.tensor_split(a, 3, dim=1)[2], _f64((2, 7))),
    ("tensor_split_idx", lambda L, a: a.tensor_split([1, 4])[1], _f64((5, 2))),
    ("rot90", lambda L, a: a.rot90(), _f64((2, 3))),
    ("rot90_k3", lambda L, a: L.rot90(a, 3, (1, 2)), _f64((2, 3, 4))),
    ("rot90_neg", lambda L, a: L.rot90(a, -2), _f64((2, 3))),
    ("diag_embed", lambda L, a: L.diag_embed(a), _f64((2, 3))),
    ("diag_embed_offset", lambda L, a: a.diag_embed(-1, 0, 2), _f64((2, 3))),
    # more reductions and order statistics (ops/scan.py)
    ("median_all", lambda L, a: a.median(), _f64((3, 4))),
    ("median_dim", lambda L, a: L.median(a, 1).values, _f64((3, 4))),
    ("median_keepdim", lambda L, a: a.median(0, keepdim=True)[0], _f64((3, 4))),
    ("kthvalue", lambda L, a: a.kthvalue(2, 1).values, _f64((3, 4))),
    ("nanmedian_dim", lambda L, a: L.nanmedian(a, 1).values, _f64((3, 4))),
    ("mode_dim", lambda L, a: L.mode(a, 1).values, _f64((3, 4))),
    ("index_put", lambda L, x, v: x.index_put((L.tensor([0, 2, 0]), L.tensor([1, 3, 1])), v),
     _f64((3, 4), (3,))),
    ("index_put_accumulate",
     lambda L, x, v: L.index_put(x, (L.tensor([0, 2, 0]), L.tensor([1, 3, 1])), v,
                                 accumulate=True), _f64((3, 4), (3,))),
    ("index_put_bool_broadcast",
     lambda L, x, v: x.index_put((L.tensor([True, False, True]),), v), _f64((3, 4), (4,))),
    ("put", lambda L, x, v: x.put(L.tensor([0, -1, 5]), v), _f64((3, 4), (3,))),
    ("put_accumulate", lambda L, x, v: L.put(x, L.tensor([[1, 1], [2, 11]]), v, accumulate=True),
     _f64((3, 4), (2, 2))),
    ("max_pool2d_ceil", lambda L, x: L.nn.functional.max_pool2d(x, 3, 2, 1, ceil_mode=True),
     _f64((1, 2, 6, 7))),
    ("norm_nuc", lambda L, m: L.norm(m, "nuc"), _f64((3, 4))),
    ("norm_p3_dims", lambda L, m: L.norm(m, 3, dim=(1, 2)), _f64((2, 3, 4))),
    ("clamp_tensor_bounds", lambda L, x, lo, hi: L.clamp(x, lo, hi - 2.0),
     _f64((3, 4), (3, 4), (4,))),
    ("clamp_min_tensor", lambda L, x, lo: x.clamp(min=lo), _f64((3, 4), (1, 4))),
    ("clamp_max_tensor_0d", lambda L, x, hi: L.clamp(x, max=hi), _f64((3, 4), ())),
    *[(f"scatter_reduce_{r}_{inc}",
       lambda L, a, b, r=r, inc=inc: a.scatter_reduce(
           1, L.tensor([[0, 0, 2, 0], [1, 3, 3, 1]]), b, r, include_self=inc),
       _f64((2, 4), (2, 4))) for r in ("sum", "prod", "mean", "amax", "amin")
      for inc in (True, False)],
    ("scatter_reduce_prod_zeros",
     lambda L, a, b: (a * L.tensor([[1.0, 0.0, 1.0]])).scatter_reduce(
         0, L.tensor([[0, 0, 0], [0, 0, 1]]), b * L.tensor([[0.0, 1.0, 1.0], [1.0, 0.0, 1.0]]),
         "prod"), _f64((2, 3), (2, 3))),
    ("broadcast_tensors", lambda L, a, b: L.stack(L.broadcast_tensors(a, b)),
     _f64((2, 1), (3,))),
    ("hsplit", lambda L, a: L.hsplit(a, [1, 3])[1] * 2, _f64((2, 4))),
    ("quantile_all", lambda L, a: a.quantile(0.3), _f64((3, 5))),
    ("quantile_dim", lambda L, a: L.quantile(a, 0.65, dim=1), _f64((3, 7))),
    ("quantile_vector_keepdim",
     lambda L, a: L.quantile(a, L.tensor([0.1, 0.5, 0.95], dtype=L.float64), dim=0,
                             keepdim=True), _f64((6, 4))),
    ("quantile_midpoint", lambda L, a: L.quantile(a, 0.4, dim=-1, interpolation="midpoint"),
     _f64((2, 6))),
    ("quantile_lower", lambda L, a: a.quantile(0.4, 1, interpolation="lower"), _f64((2, 6))),
    ("quantile_higher", lambda L, a: a.quantile(0.4, 1, interpolation="higher"), _f64((2, 6))),
    ("quantile_nearest", lambda L, a: a.quantile(L.tensor([0.1, 0.5], dtype=L.float64), 1,
                                                 interpolation="nearest"), _f64((2, 5))),
    ("nanquantile", lambda L, a: L.nanquantile(a, 0.25, dim=0), _f64((5, 3))),
    ("cummax", lambda L, a: L.cummax(a, 1).values, _f64((3, 5))),
    ("cummin", lambda L, a: a.cummin(0)[0], _f64((4, 3))),
    ("logcumsumexp", lambda L, a: a.logcumsumexp(1), _f64((2, 4))),
    ("nansum", lambda L, a: L.nansum(a, 1), _f64((2, 3))),
    ("nanmean", lambda L, a: a.nanmean(), _f64((2, 3))),
    ("aminmax", lambda L, a: a.aminmax(dim=1).max - a.aminmax(dim=1).min, _f64((2, 3))),
    ("std_mean", lambda L, a: L.std_mean(a, 1)[0] + L.std_mean(a, 1)[1], _f64((2, 3))),
    ("var_mean", lambda L, a: L.var_mean(a)[0] * L.var_mean(a)[1], _f64((2, 3))),
    ("diff", lambda L, a: a.diff(), _f64((2, 5))),
    ("diff_n2_prepend", lambda L, a, b: L.diff(a, n=2, dim=0, prepend=b), _f64((3, 2), (1, 2))),
    # vector and matrix helpers (ops/linalg.py)
    ("dot", lambda L, a, b: L.dot(a, b), _f64((4,), (4,))),
    ("vdot", lambda L, a, b: a.vdot(b), _f64((4,), (4,))),
    ("mv", lambda L, a, b: a.mv(b), _f64((3, 4), (4,))),
    ("inner", lambda L, a, b: L.inner(a, b), _f64((2, 3), (4, 3))),
    ("trace", lambda L, a: a.trace(), _f64((3, 4))),
    ("addmm", lambda L, a, b, c: L.addmm(a, b, c, beta=0.5, alpha=2), _f64((2, 2), (2, 3), (3, 2))),
    ("baddbmm", lambda L, a, b, c: a.baddbmm(b, c), _f64((2, 2, 2), (2, 2, 3), (2, 3, 2))),
    ("kron", lambda L, a, b: L.kron(a, b), _f64((2, 3), (3, 2))),
]


def _run(L, fn, arrays):
    if L is torch:
        ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    else:
        ts = [gn.tensor(a, dtype=gn.float64, requires_grad=True) for a in arrays]
    out = fn(L, *ts)
    w = np.random.default_rng(1).standard_normal(tuple(out.shape))
    (out * L.tensor(w, dtype=L.float64)).sum().backward()
    grads = [None if t.grad is None else t.grad.detach().numpy() for t in ts]
    return out.detach().numpy(), grads


@pytest.mark.parametrize("name,fn,arrays", DIFF, ids=[d[0] for d in DIFF])
def test_differentiable_against_pytorch(name, fn, arrays):
    got, ggrads = _run(gn, fn, arrays)
    want, tgrads = _run(torch, fn, arrays)
    assert got.shape == want.shape, name
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12, err_msg=name)
    for k, (g, t) in enumerate(zip(ggrads, tgrads)):
        t = np.zeros_like(arrays[k]) if t is None else t
        g = np.zeros_like(arrays[k]) if g is None else g
        np.testing.assert_allclose(g, t, rtol=1e-9, atol=1e-12, err_msg=f"{name} grad {k}")


GRADCHECK = ["masked_scatter", "index_copy", "atan2", "hypot", "logit_eps", "xlogy",
             "rot90_k3", "diag_embed_offset",
             "median_dim", "cummax", "logcumsumexp", "kron", "meshgrid_xy", "movedim",
             "einsum_diag", "einsum_ellipsis", "cdist_2", "cdist_3", "prod_dim", "cumprod",
             "sort_values", "topk_values", "frac", "remainder", "gather", "scatter",
             "scatter_add", "index_add", "masked_fill", "masked_select_bcast", "repeat",
             "repeat_interleave_counts", "roll_multi", "triu_k", "diag_matrix",
             "diagonal_offset", "take_along_dim"]


@pytest.mark.parametrize("name", GRADCHECK)
def test_finite_differences(name):
    _, fn, arrays = next(d for d in DIFF if d[0] == name)
    ts = [gn.tensor(a, dtype=gn.float64, requires_grad=True) for a in arrays]
    assert gn.autograd.gradcheck(lambda *xs: fn(gn, *xs), ts)


def test_products_with_zeros_have_exact_gradients():
    a = np.array([[2.0, 0.0, 3.0, 0.5], [0.0, 0.0, 1.5, 2.0], [1.0, 2.0, 3.0, 4.0]])
    for fn in (lambda L, t: t.prod(1), lambda L, t: t.cumprod(1), lambda L, t: t.prod(),
               lambda L, t: L.cumprod(t, 0)):
        got, g = _run(gn, fn, [a])
        want, t = _run(torch, fn, [a])
        np.testing.assert_allclose(got, want)
        np.testing.assert_allclose(g[0], t[0], rtol=1e-12, atol=1e-12)


def test_sort_order_matches_with_ties_and_nan():
    a = np.array([[3.0, 1.0, np.nan, 1.0, 3.0, -2.0]])
    for desc in (False, True):
        g = gn.sort(gn.tensor(a), dim=1, descending=desc, stable=True)
        t = torch.sort(torch.tensor(a), dim=1, descending=desc, stable=True)
        np.testing.assert_array_equal(g.values.numpy(), t.values.numpy())
        np.testing.assert_array_equal(g.indices.numpy(), t.indices.numpy())
        np.testing.assert_array_equal(
            gn.argsort(gn.tensor(a), dim=-1, descending=desc, stable=True).numpy(),
            torch.argsort(torch.tensor(a), dim=-1, descending=desc, stable=True).numpy())


def test_integer_and_bool_inputs_follow_pytorch_dtypes():
    i = np.array([[3, -1, 2], [0, 5, -4]])
    b = np.array([True, False, True])
    cases = [
        lambda L, x: x.cumsum(0), lambda L, x: x.prod(), lambda L, x: x.prod(1),
        lambda L, x: x.cumprod(1), lambda L, x: x.sign(), lambda L, x: x.floor(),
        lambda L, x: x.round(), lambda L, x: x % 3, lambda L, x: L.fmod(x, 3),
        lambda L, x: x.remainder(-3), lambda L, x: x.sort().values, lambda L, x: x.flip(1),
        lambda L, x: x.all(), lambda L, x: x.any(1), lambda L, x: x.nonzero(),
        lambda L, x: x.unique(), lambda L, x: x.repeat(1, 2), lambda L, x: x.tril(),
    ]
    for k, fn in enumerate(cases):
        g, t = fn(gn, gn.tensor(i)), fn(torch, torch.tensor(i))
        assert str(g.dtype).split(".")[1] == str(t.dtype).split(".")[1], k
        np.testing.assert_array_equal(g.numpy(), t.numpy(), err_msg=str(k))
    for fn in (lambda L, x: x.cumsum(0), lambda L, x: x.prod(), lambda L, x: x.sum()):
        g, t = fn(gn, gn.tensor(b)), fn(torch, torch.tensor(b))
        assert str(g.dtype).split(".")[1] == str(t.dtype).split(".")[1]
        np.testing.assert_array_equal(g.numpy(), t.numpy())


def test_clear_errors():
    x = gn.randn(2, 3)
    with pytest.raises(ValueError, match="bmm: input must be a 3-D"):
        gn.bmm(x, x)
    with pytest.raises(ValueError, match="bmm: batch sizes differ"):
        gn.bmm(gn.randn(2, 3, 4), gn.randn(3, 4, 5))
    with pytest.raises(ValueError, match="operand 0 has shape"):
        gn.einsum("ijk,jk->i", x, x)
    with pytest.raises(ValueError, match="subscript 'j' has size 3"):
        gn.einsum("ij,jk->ik", x, x)
    with pytest.raises(ValueError, match="names 2 operand"):
        gn.einsum("ij,jk->ik", x)
    with pytest.raises(IndexError, match="index 5 is out of bounds for dim 1 with size 3"):
        x.gather(1, gn.tensor([[5], [0]]))
    with pytest.raises(TypeError, match="index must be an integer tensor"):
        x.gather(1, gn.tensor([[0.0], [1.0]]))
    with pytest.raises(ValueError, match="can not be smaller"):
        x.repeat(2)
    with pytest.raises(TypeError, match="mask must be a bool tensor"):
        x.masked_fill(gn.tensor([1, 0, 1]), 0.0)
    with pytest.raises(ValueError, match="cannot be broadcast"):
        x.masked_fill(gn.tensor([True, False]), 0.0)
    with pytest.raises(ValueError, match=r"topk: k \(4\)"):
        x.topk(4)
    with pytest.raises(ZeroDivisionError):
        gn.tensor([1, 2]) % 0
    with pytest.raises(ValueError, match="tril: input must be at least 2-D"):
        gn.tensor([1.0, 2.0]).tril()
    with pytest.raises(ValueError, match="cdist: x1 .* same last dim"):
        gn.cdist(gn.randn(3, 2), gn.randn(3, 4))


# --- dtypes and devices ------------------------------------------------------------------
DTYPE_NAMES = ["float32", "float", "float64", "double", "float16", "half", "int64", "long",
               "int32", "int", "int16", "short", "int8", "uint8", "bool"]


@pytest.mark.parametrize("name", DTYPE_NAMES)
def test_dtype_objects(name):
    d, td = getattr(gn, name), getattr(torch, name)
    assert repr(d) == repr(td).replace("torch.", "glassnet.")
    assert str(d) == str(td).replace("torch.", "glassnet.")
    assert d.is_floating_point == td.is_floating_point
    assert d.is_signed == td.is_signed
    assert d.itemsize == td.itemsize
    t = gn.zeros(2, dtype=d)
    assert t.dtype is d or t.dtype == d
    assert str(t.dtype) == str(torch.zeros(2, dtype=td).dtype).replace("torch.", "glassnet.")
    np_type = d.numpy_dtype.type
    assert d == np_type and np_type == d and d == np.dtype(np_type) and np.dtype(np_type) == d
    assert hash(d) == hash(np.dtype(np_type))
    assert {np.dtype(np_type): 1}[d] == 1
    assert np.zeros(1, dtype=d).dtype == np_type
    assert np.arange(3).astype(d).dtype == np_type
    assert gn.tensor([1, 0]).to(d).dtype == d
    assert gn.ones(2).type(d).dtype == d


def test_dtype_rules_and_default_dtype():
    assert gn.float is gn.float32 and gn.double is gn.float64 and gn.long is gn.int64
    assert gn.float32 != gn.float64 and gn.float32 != np.float64 and gn.int64 != None  # noqa: E711
    assert gn.tensor([1.5]).dtype == gn.float32
    assert gn.tensor([1, 2]).dtype == gn.long
    assert gn.tensor([True]).dtype == gn.bool
    assert gn.zeros(2, dtype=float).dtype == gn.float64 == torch.zeros(2, dtype=float).dtype \
        .__repr__().replace("torch.", "") and True
    assert gn.get_default_dtype() == gn.float32
    try:
        gn.set_default_dtype(gn.float64)
        assert gn.get_default_dtype() is gn.float64
        assert gn.tensor([1.5]).dtype == gn.float64
        assert gn.zeros(2).dtype == gn.float64
        assert gn.nn.Linear(2, 3).weight.dtype == gn.float64
    finally:
        gn.set_default_dtype(gn.float32)
    assert gn.zeros(2).dtype == gn.float32
    with pytest.raises(TypeError, match="only floating"):
        gn.set_default_dtype(gn.int64)
    with pytest.raises(AttributeError, match="NumPy has no bfloat16"):
        gn.bfloat16  # noqa: B018
    with pytest.raises(TypeError, match="bfloat16"):
        gn.ones(2).bfloat16()
    assert gn.is_floating_point(gn.ones(2)) and not gn.is_floating_point(gn.arange(2))
    assert gn.is_tensor(gn.ones(1)) and not gn.is_tensor(np.ones(1))
    assert gn.numel(gn.ones(2, 3)) == 6


def test_devices_and_to_forms():
    x = gn.randn(2, 3)
    assert repr(gn.device("cpu")) == repr(torch.device("cpu"))
    assert repr(gn.device("cuda", 1)) == repr(torch.device("cuda", 1))
    assert str(gn.device("cuda:0")) == str(torch.device("cuda:0"))
    assert gn.device("cpu") == "cpu" and x.device == gn.device("cpu") and x.device.type == "cpu"
    assert not gn.cuda.is_available() and gn.cuda.device_count() == 0
    dev = gn.device("cuda" if gn.cuda.is_available() else "cpu")
    assert x.to(dev) is x and x.cpu() is x and not x.is_cuda
    assert x.to("cpu", gn.float64).dtype == gn.float64
    assert x.to(device="cpu", dtype=gn.float16).dtype == gn.float16
    assert x.to(gn.zeros(1, dtype=gn.float64)).dtype == gn.float64
    assert x.to(gn.float32) is x and x.to(gn.float32, copy=True) is not x
    assert x.double().to(dev).dtype == gn.float64
    with pytest.raises(RuntimeError, match="CPU only"):
        x.to("cuda")
    with pytest.raises(RuntimeError, match="CPU only"):
        x.cuda()
    with pytest.raises(ValueError, match="unknown device type"):
        gn.device("gpu")
    m = gn.nn.Linear(2, 2)
    assert m.to(dev) is m and m.cpu() is m
    assert m.to(gn.device("cpu"), gn.float64).weight.dtype == gn.float64
    with pytest.raises((RuntimeError, ValueError), match="not available"):
        m.to("cuda")


def test_tensor_conveniences_match_pytorch():
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    g, t = gn.tensor(a), torch.tensor(a)
    pairs = [
        (g.new_zeros(2, 2), t.new_zeros(2, 2)), (g.new_ones((3,)), t.new_ones((3,))),
        (g.new_full((2,), 7), t.new_full((2,), 7)), (g.new_tensor([1, 2]), t.new_tensor([1, 2])),
        (g.new_zeros(2, dtype=gn.int64), t.new_zeros(2, dtype=torch.int64)),
        (g.view_as(gn.zeros(3, 2)), t.view_as(torch.zeros(3, 2))),
        (g.expand_as(gn.zeros(2, 2, 3)), t.expand_as(torch.zeros(2, 2, 3))),
        (g.T.contiguous(), t.T.contiguous()), (g.type_as(gn.zeros(1, dtype=gn.int32)),
                                              t.type_as(torch.zeros(1, dtype=torch.int32))),
        (g.half(), t.half()), (g.short(), t.short()), (g.byte(), t.byte()),
    ]
    for k, (x, y) in enumerate(pairs):
        assert tuple(x.shape) == tuple(y.shape), k
        assert str(x.dtype).split(".")[1] == str(y.dtype).split(".")[1], k
        np.testing.assert_array_equal(x.numpy(), y.numpy(), err_msg=str(k))
    assert g.nelement() == t.nelement() and g.element_size() == t.element_size()
    assert g.is_contiguous() and not g.T.is_contiguous() and g.T.contiguous().is_contiguous()
    assert g.type() == t.type().replace("torch.", "glassnet.")
    assert g.is_floating_point() and not g.long().is_floating_point()
    loss = g.sum()
    assert f"{loss:.4f}" == f"{t.sum():.4f}" and f"{loss}" == f"{t.sum()}"
    assert f"{g[0, 1]:>8.2f}" == f"{t[0, 1]:>8.2f}"
    assert g.get_device() == t.get_device()


def test_inplace_methods():
    base = np.array([[1.5, -2.0, 0.25], [3.0, -0.5, 2.0]])
    calls = [
        ("add_", (1.0,)), ("sub_", (0.5,)), ("mul_", (2.0,)), ("div_", (4.0,)),
        ("clamp_", (-1.0, 1.0)), ("fill_", (3.0,)), ("zero_", ()), ("neg_", ()),
        ("abs_", ()), ("exp_", ()), ("floor_", ()), ("ceil_", ()), ("round_", ()),
        ("trunc_", ()), ("sign_", ()), ("frac_", ()), ("pow_", (2,)), ("tanh_", ()),
        ("sigmoid_", ()), ("relu_", ()), ("remainder_", (0.7,)), ("fmod_", (0.7,)),
        ("tril_", ()), ("triu_", (1,)), ("cumsum_", (1,)), ("copy_", "other"),
        ("masked_fill_", "mask"),
        ("scatter_", "scatter"), ("index_add_", "index_add")
    ]
    for name, args in calls:
        g, t = gn.tensor(base.copy()), torch.tensor(base.copy())
        if args == "other":
            ga, ta = (gn.ones(2, 3),), (torch.ones(2, 3),)
        elif args == "mask":
            ga, ta = (g > 0, 9.0), (t > 0, 9.0)
        elif args == "scatter":
            ga = (1, gn.tensor([[0], [2]]), 5.0)
            ta = (1, torch.tensor([[0], [2]]), 5.0)
        elif args == "index_add":
            ga = (0, gn.tensor([1]), gn.ones(1, 3, dtype=gn.float64))
            ta = (0, torch.tensor([1]), torch.ones(1, 3, dtype=torch.float64))
        else:
            ga = ta = args
        out = getattr(g, name)(*ga)
        getattr(t, name)(*ta)
        assert out is g, name
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-12, err_msg=name)


def test_inplace_on_leaf_requiring_grad_is_refused():
    x = gn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        x.add_(1)
    with gn.no_grad():
        x.add_(1)
    np.testing.assert_array_equal(x.detach().numpy(), [2.0, 2.0, 2.0])


# --- the probe ---------------------------------------------------------------------------
# Each expression is evaluated twice, with ``lib`` = glassnet and ``lib`` = torch, on the
# same data. ``F`` is the library's nn.functional. Results are compared as values (arrays
# with their dtype and shape, numbers, strings with the library prefix removed), including
# whether the expression raises.
PROBE = """
lib.zeros(2, 3)
lib.ones(2, 3, dtype=lib.float64)
lib.zeros((2, 3), dtype=lib.int64)
lib.full((2, 2), 3.5)
lib.full((2,), 7)
lib.arange(5)
lib.arange(1, 4, 0.5)
lib.arange(0.0, 1.0, 0.25)
lib.linspace(0, 1, 5)
lib.eye(3)
lib.eye(2, 3)
lib.zeros_like(x)
lib.ones_like(i)
lib.full_like(x, 2.0)
lib.tensor([[1, 2], [3, 4]])
lib.tensor([1.0, 2.0]).dtype
lib.tensor([1, 2]).dtype
lib.tensor(3.5)
lib.tensor([True, False])
lib.as_tensor([1.0, 2.0])
lib.as_tensor(np.arange(3))
lib.as_tensor(x, dtype=lib.float64)
lib.from_numpy(np.arange(4.0))
lib.is_tensor(x)
lib.is_tensor(3)
lib.numel(x)
lib.is_floating_point(x)
lib.is_floating_point(i)
lib.get_default_dtype()
x.dtype
i.dtype
b.dtype
x.dtype == lib.float32
x.dtype == lib.float
i.dtype == lib.long
x.dtype.is_floating_point
lib.float64
lib.int32
lib.uint8
x.shape
x.size()
x.size(1)
x.dim()
x.ndim
x.numel()
x.nelement()
x.element_size()
x.is_contiguous()
x.t().is_contiguous()
x.t().contiguous()
x.device
x.device.type
str(x.device)
x.is_cuda
x.cpu()
x.to("cpu")
x.to(lib.float64)
x.to("cpu", lib.float64)
x.to(dtype=lib.float16)
x.to(m)
x.double()
x.float()
x.half()
x.long()
x.int()
x.bool()
i.float()
x.type()
i.type()
x.type(lib.float64)
x.type_as(i)
lib.device("cpu")
str(lib.device("cuda:1"))
lib.device("cpu") == lib.device("cpu")
lib.cuda.is_available()
lib.cuda.device_count()
f"{x.sum():.3f}"
f"{s:.2f}"
x.sum().item()
x.tolist()
x[0]
x[:, 1]
x[x > 0]
x[i[:2]]
x[0, -1]
x[..., 0]
x[None].shape
x.sum()
x.sum(0)
x.sum(1, keepdim=True)
x.sum(dim=(0, 1))
x.mean()
x.mean(1)
x.max()
x.min()
x.max(1).values
x.max(1).indices
x.min(0)[0]
x.argmax()
x.argmax(1)
x.argmin(0)
x.std()
x.var(1)
x.norm()
x.abs()
x.exp()
x.sigmoid()
x.tanh()
x.relu()
x.clamp(-0.5, 0.5)
x.clamp(min=0)
x.clip(max=0.1)
x.pow(2)
x ** 2
2 ** x
x + y
x - 1
1 - x
x * y
x / 2
x / y
-x
x @ m
x.matmul(m)
x.T
x.t()
x.mT
x.reshape(3, 2)
x.reshape(-1)
x.view(6)
x.view(-1, 2)
x.view_as(y)
x.flatten()
x.unsqueeze(0).shape
x.squeeze()
x.permute(1, 0)
x.transpose(0, 1)
x.expand(4, 2, 3).shape
x[:1].expand_as(y)
x.split(1)
x.chunk(3, 1)
x.all()
x.any()
(x > 0).all()
(x > 0).any(1)
(x > 0).all(dim=0)
b.all()
b.any()
x.prod()
x.prod(1)
i.prod()
x.cumsum(0)
x.cumsum(dim=1)
i.cumsum(0)
x.cumprod(1)
x.topk(2)
x.topk(2, dim=0)
x.topk(1, largest=False)
x.sort()
x.sort(0, descending=True)
x.argsort()
x.argsort(dim=0, descending=True)
lib.unique(i)
i.unique(return_counts=True)
lib.unique(i, return_inverse=True)
x.round()
lib.round(x * 10, decimals=1)
x.floor()
x.ceil()
x.sign()
x.trunc()
x.frac()
x.remainder(0.5)
x % 0.5
i % 2
lib.fmod(x, 0.5)
i.fmod(2)
x.gather(1, i23)
x.scatter(1, i23, y)
x.scatter(1, i23, 0.5)
x.scatter_add(1, i23, y)
x.index_select(1, i[:2])
x.masked_fill(b, 0.0)
x.masked_fill(x > 0, float("-inf"))
x.masked_select(b)
x.nonzero()
b.nonzero()
lib.nonzero(b, as_tuple=True)
lib.argwhere(b)
x.repeat(2, 1)
x.repeat(1, 2, 1).shape
x.repeat_interleave(2)
x.repeat_interleave(2, dim=1)
x.tile((2, 1))
x.flip(0)
x.flip(dims=(0, 1))
lib.fliplr(x)
lib.flipud(x)
x.roll(1)
x.roll(1, 1)
lib.roll(x, shifts=(1, 1), dims=(0, 1))
m.tril()
m.triu(1)
lib.tril(m, -1)
lib.diag(m)
lib.diag(v)
m.diag(1)
m.diagonal()
lib.diagonal(a3, 0, 1, 2)
lib.mm(x, m)
lib.bmm(a3, a3.transpose(1, 2))
lib.einsum("ij,jk->ik", x, m)
lib.einsum("bij->bji", a3)
lib.einsum("ii", m)
lib.einsum("i,i->", v, v)
lib.outer(v, v)
lib.cdist(x, y)
lib.cdist(x, y, p=1)
lib.cat([x, y])
lib.cat([x, y], dim=1)
lib.stack([x, y])
lib.where(x > 0, x, y)
lib.maximum(x, y)
lib.minimum(x, y)
lib.matmul(x, m)
lib.exp(x)
lib.log(m.abs() + 1)
lib.sqrt(m.abs())
lib.softmax(x, dim=1)
lib.log_softmax(x, 1)
lib.sigmoid(x)
lib.tanh(x)
lib.relu(x)
lib.abs(x)
lib.clamp(x, -0.1, 0.1)
lib.allclose(x, x + 1e-9)
lib.isnan(x)
lib.isfinite(x / 0)
lib.logsumexp(x, dim=1)
lib.amax(x, 1)
lib.argmax(x, dim=0)
lib.flatten(a3, 1)
lib.squeeze(x[None])
lib.unsqueeze(x, -1).shape
lib.transpose(a3, 0, 2).shape
lib.permute(a3, (2, 0, 1)).shape
lib.reshape(x, (6,))
lib.split(x, [1, 2], dim=1)
lib.chunk(x, 2)
x.new_zeros(2)
x.new_ones((2, 2))
x.new_full((2,), 3.0)
x.new_tensor([1, 2])
i.new_zeros(3)
x.clone()
x.detach()
x.requires_grad
x.is_leaf
x.eq(y)
x.ne(0)
x.lt(y)
x.gt(0)
x == x
x.numpy().shape
x.sum(dim=0, keepdim=True)
lib.zeros(0).sum()
lib.ones(3).prod()
x.abs().sqrt()
x.neg()
x.add(y)
x.sub(1)
x.mul(y)
x.div(2)
x.log_softmax(-1)
x.softmax(0)
x.mean(dim=(0, 1))
x.std(0)
x.var(unbiased=False)
F.relu(x)
F.softmax(x, dim=-1)
F.log_softmax(x, dim=-1)
F.mse_loss(x, y)
F.cross_entropy(x, i[:2])
F.one_hot(i, 4)
F.linear(x, m)
F.dropout(x, 0.5, training=False)
lib.max(x, y)
lib.min(x, y)
lib.max(x, dim=1)
x.max(dim=1, keepdim=True)
x.sum(axis=0)
x.sum(0, dtype=lib.float64)
x.mean(dtype=lib.float64)
lib.square(x)
lib.rsqrt(x.abs())
lib.log1p(x.abs())
lib.expm1(x)
lib.isinf(x / 0)
lib.isclose(x, y)
lib.equal(x, x.clone())
x.unbind(0)
x.narrow(1, 0, 2)
x.select(0, 1)
x.split([1, 2], dim=1)
lib.log2(x.abs())
lib.reciprocal(x)
lib.sinh(x)
lib.atan2(x, y)
lib.arctan(x)
lib.asin(x.clamp(-1, 1))
x // 0.25
i // 2
lib.floor_divide(i, 2)
lib.true_divide(x, 2)
lib.lerp(x, y, 0.3)
lib.addcmul(x, x, y, value=0.5)
lib.addmm(x, x, m)
lib.dot(v, v)
lib.mv(m, x[0])
lib.inner(x, y)
lib.trace(m)
lib.kron(x, y).shape
lib.count_nonzero(x > 0)
lib.cummax(x, 1)
lib.cummin(i, 0)
lib.kthvalue(x, 2, 1)
lib.median(x)
lib.median(x, 1)
lib.nansum(x)
lib.diff(x, dim=1)
lib.rot90(x)
lib.diag_embed(v)
lib.broadcast_to(x[0], (2, 2, 3))
x.movedim(0, 1)
lib.moveaxis(a3, 0, -1).shape
x.ravel()
a3.unflatten(2, (2, 2)).shape
lib.hstack([x, y])
lib.vstack([x, y])
lib.column_stack([v, v])
lib.meshgrid(v[:2], v, indexing="ij")
lib.meshgrid(v[:2], v, indexing="xy")
lib.tensor_split(x, 2, dim=1)
lib.atleast_2d(v).shape
lib.sgn(x)
lib.signbit(x)
lib.nan_to_num(x / 0)
lib.histc(x, bins=4)
lib.bincount(i)
lib.bucketize(x, lib.tensor([-1.0, 0.0, 1.0]))
lib.searchsorted(lib.tensor([1.0, 2.0, 3.0]), lib.tensor([2.5, 0.1]))
x.logcumsumexp(1)
x.aminmax()
lib.std_mean(x)
lib.var_mean(x, 1)
x.clamp_min(0)
x.clamp_max(0)
lib.xlogy(x.abs(), y.abs())
lib.sigmoid(x).logit()
lib.hypot(x, y)
x.exp2()
lib.multinomial(lib.ones(4), 2).shape
lib.bernoulli(lib.ones(3) * 0.5).shape
lib.normal(0.0, 1.0, size=(2,)).shape
x.clone().uniform_(-1, 1).shape
x.clone().normal_(0, 0.02).shape
x.clone().bernoulli_(0.5).shape
x.clone().random_(0, 10).shape
x.clone().exponential_().shape
x.clone().index_fill_(1, lib.tensor([0]), -1.0)
x.index_copy(0, lib.tensor([1]), y[:1])
x.masked_scatter(b, m)
m.clone().fill_diagonal_(0.0)
lib.zeros(5, 2).fill_diagonal_(1.0, wrap=True)
x.add(y, alpha=2)
x.sub(1, alpha=0.5)
i.add(3, alpha=2)
lib.div(i, lib.tensor([2, -2, 3, 1, -1]), rounding_mode="trunc")
lib.div(i - 2, 2, rounding_mode="floor")
lib.div(x, 0.3, rounding_mode="trunc")
x.div(0.3, rounding_mode="floor")
x.clone().div_(0.3, rounding_mode="floor")
x.square()
lib.randint(0, 10, (3,)).dtype
lib.randperm(4).dtype
lib.rand_like(x).shape
lib.empty(2, 3).shape
abs(lib.tensor([-1, 2]))
lib.ones(2, 3, dtype=lib.uint8).sum().dtype
lib.ones(2, 3, dtype=lib.uint8).sum(0)
+lib.tensor([1.5])
lib.tensor([[1, 2], [3, 4]], dtype=lib.float32)
lib.tensor(X).mean(dim=-1, keepdim=True)
lib.tensor(X).softmax(dim=-1).sum(-1)
lib.tensor(X).argmax(dim=-1) == lib.tensor([0, 1, 2])
(lib.tensor(X).argmax(1) == lib.tensor([0, 1, 2])).float().mean()
(lib.tensor(X).argmax(1) == lib.tensor([0, 1, 2])).sum().item()
lib.tensor(X).size(0)
lib.tensor(X).shape[1]
len(lib.tensor(X))
lib.tensor(X)[:, None, :].shape
lib.tensor(X).unsqueeze(1).expand(-1, 2, -1).shape
lib.tensor(X).view(3, 2, 2).permute(2, 0, 1).contiguous().view(-1).shape
lib.tensor(X).norm(dim=1)
lib.tensor(X).norm(p=1)
lib.tensor(X).abs().max().item()
lib.tensor(X).max(dim=0)[1]
lib.tensor(X).min(dim=1).values
lib.zeros(3, dtype=lib.long)
lib.ones(2, 2).bool().all()
lib.tensor([1, 2, 3]).float().mean()
lib.tensor([1, 2, 3]).double().dtype
lib.tensor([1.5]).long()
lib.tensor([1.7, -1.7]).int()
lib.tensor(X) > 0.5
(lib.tensor(X) > 0).to(lib.float32)
(lib.tensor(X) > 0).long().sum()
lib.where(lib.tensor(X) > 0, lib.tensor(X), lib.zeros_like(lib.tensor(X)))
lib.where(lib.tensor(X) > 0, lib.tensor(X), 0.0)
lib.tensor(X).clamp(min=0).sum()
lib.tensor(X).exp().log()
lib.tensor(X).sigmoid().round()
lib.tensor(X).tanh().mean()
lib.arange(10).view(2, 5)
lib.arange(10)[::2]
lib.arange(10)[-3:]
lib.arange(10).flip(0)[:3]
lib.arange(12).reshape(3, 4)[1:, ::2]
lib.arange(12).reshape(3, 4)[[0, 2]]
lib.arange(12).reshape(3, 4)[[0, 2], [1, 3]]
lib.arange(12).reshape(3, 4)[:, [0, 2]]
lib.arange(6.).reshape(2, 3).t() @ lib.ones(2)
lib.cat([lib.zeros(2), lib.ones(3)])
lib.stack([lib.zeros(2), lib.ones(2)], dim=1)
lib.eye(3)[lib.tensor([0, 2])]
lib.nn.functional.one_hot(lib.tensor([0, 2]), 3)
lib.randn(3, 4).shape
lib.rand(2).dtype
lib.randint(0, 5, (2, 3)).shape
lib.manual_seed(0) is not None
lib.tensor([3., 4.]).pow(2).sum().sqrt()
lib.tensor([1., 2., 3.]).std()
lib.tensor([1., 2., 3.]).var(unbiased=False)
lib.tensor([1., 2., 3.]).mean().item()
lib.tensor([[1., 2.], [3., 4.]]).sum(dim=0)
lib.tensor([[1., 2.], [3., 4.]]).mean(0, keepdim=True)
lib.tensor([[1., 2.], [3., 4.]]).max()
lib.tensor([1, 2, 3]) * 2
lib.tensor([1, 2, 3]) / 2
lib.tensor([1, 2, 3]) // 2
lib.tensor([1, 2, 3]) % 2
lib.tensor([1, 2, 3]) ** 2
2 ** lib.tensor([1, 2, 3])
lib.tensor([1., 2., 3.]) @ lib.tensor([1., 2., 3.])
-lib.tensor([1, 2])
lib.tensor([1., 2.]) == lib.tensor([1., 3.])
lib.tensor([True, False]) & lib.tensor([True, True])
lib.tensor([True, False]) | lib.tensor([False, False])
~lib.tensor([True, False])
lib.tensor([True, False]) ^ lib.tensor([True, True])
lib.tensor([1, 2, 3]).tolist()
lib.tensor(3.5).item()
float(lib.tensor(2.5))
int(lib.tensor(7))
bool(lib.tensor(1))
lib.tensor([1., 2.]).numpy().dtype
lib.tensor([[1., 2.]]).squeeze(0)
lib.tensor([[1., 2.]]).unsqueeze(-1).shape
lib.zeros(2, 1, 3).squeeze(1).shape
lib.zeros(2, 3).flatten(0).shape
lib.ones(2, 3).new_ones(4).dtype
lib.ones(2, 3, dtype=lib.int32).sum().dtype
lib.tensor([1, 2], dtype=lib.int32) + lib.tensor([1, 2])
lib.tensor([1, 2], dtype=lib.int32) * 1.5
lib.tensor([1.0], dtype=lib.float16) + 1
lib.tensor([1.0], dtype=lib.float64) + lib.tensor([1.0])
lib.tensor([1, 2]) + 1.5
lib.tensor([True]) + 1
lib.tensor([1.0, 2.0]).dtype.itemsize
lib.float32.is_floating_point
lib.int64.is_floating_point
str(lib.float32)
lib.tensor([1.0]).is_floating_point()
lib.is_grad_enabled()
lib.empty(0).numel()
lib.zeros(2, 0).sum(1)
lib.tensor([]).shape
lib.tensor([[]]).shape
lib.full((2,), True)
lib.arange(3, dtype=lib.float32)
lib.arange(0, 1, 0.1).shape
lib.linspace(-1, 1, steps=3)
lib.logspace(0, 2, 3)
lib.tensor(X).split(2, dim=1)[1].shape
lib.tensor(X).chunk(2)[1].shape
lib.tensor(X).T.shape
lib.tensor(X).mT.shape
lib.tensor(X).clone().detach().requires_grad_().is_leaf
lib.tensor(X).half().float().dtype
lib.tensor(X).softmax(1).argmax(1)
lib.tensor(X).log_softmax(1).exp().sum(1)
lib.tensor(X).topk(2, dim=1).indices
lib.tensor(X).sort(dim=1, descending=True).indices
lib.tensor(X).cumsum(dim=0)[-1]
lib.tensor(X).std(dim=0, keepdim=True).shape
lib.tensor(X).var(dim=1, correction=0)
x.where(x > 0, y)
x.where(b, 0.0)
lib.where(x > 0)
lib.where(b)
lib.where(i > 1)
lib.where(x > 0, x)
x.clone().eq_(y)
x.clone().lt_(0)
x.clone().ge_(y)
x.clone().greater_(0.1)
x.clone().less_equal_(y)
x.clone().logical_not_()
b.clone().logical_and_(x > 0)
lib.logical_xor(x > 0, b)
lib.greater(x, y)
lib.less(i, 2)
x.not_equal(y)
x.greater_equal(0)
x.clone().unsqueeze_(0).shape
x.clone().unsqueeze_(-1)
x.clone().unsqueeze_(3)
a3.clone().squeeze_().shape
lib.zeros(2, 1, 3).squeeze_(1).shape
x.clone().t_()
v.clone().t_()
a3.clone().transpose_(0, 2).shape
a3.clone().swapdims_(0, 1).shape
a3.clone().swapaxes_(1, 2).shape
x.clone().detach_()
lib.autograd.grad(((w := x.clone().requires_grad_()) ** 2).sum(), w)
lib.autograd.grad(((w := x.clone().requires_grad_()) * y).sum(), [w, w])
lib.autograd.grad(((w := x.clone().requires_grad_()) * 2), w, grad_outputs=lib.ones(2, 3))
lib.autograd.grad((x.clone().requires_grad_() * 2).sum(), y.clone().requires_grad_())
lib.autograd.grad(x.clone().requires_grad_().sum(), y.clone().requires_grad_(), allow_unused=True)
lib.autograd.grad(x.clone().requires_grad_().sum(), y.requires_grad_(), materialize_grads=True)
lib.median(lib.tensor([[3.0, np.nan, 1.0, np.nan], [4.0, 2.0, np.nan, 1.0]]), 1)
lib.median(lib.tensor([3.0, np.nan, 1.0]))
lib.nanmedian(lib.tensor([[3.0, np.nan, 1.0, np.nan], [4.0, 2.0, np.nan, 1.0]]), 1)
lib.nanmedian(lib.tensor([3.0, np.nan, 1.0, 7.0]))
lib.nanmedian(x)
x.nanmedian(0, keepdim=True)
lib.quantile(x, 0.5)
lib.quantile(x, 0.5, dim=1, keepdim=True)
lib.quantile(x, lib.tensor([0.25, 0.75]), dim=0)
lib.quantile(x, lib.tensor([0.25, 0.75]), dim=None, keepdim=True)
lib.quantile(a3, 0.2, dim=-1)
lib.quantile(lib.tensor([1.0, 2.0, 3.0, 4.0]), lib.tensor([0.125, 0.375, 0.5, 0.625, 0.875]))
lib.quantile(lib.arange(6.0), lib.tensor([0.1, 0.3, 0.5, 0.7, 0.9]), interpolation="nearest")
lib.quantile(lib.arange(6.0), 0.5, interpolation="midpoint")
lib.quantile(lib.tensor([[1.0, np.nan, 3.0], [1.0, 2.0, 3.0]]), 0.5, dim=1)
lib.nanquantile(lib.tensor([[1.0, np.nan, 3.0], [np.nan, np.nan, np.nan]]), 0.5, dim=1)
lib.nanquantile(lib.tensor([1.0, np.nan, 3.0, 10.0]), lib.tensor([0.0, 1.0]))
lib.quantile(lib.tensor(2.5), 0.3)
lib.quantile(lib.tensor(2.5), 0.3, dim=0, keepdim=True)
lib.quantile(lib.tensor([1.0, 2.0]), 1.5)
lib.quantile(lib.tensor([1.0, 2.0]), -0.1)
lib.quantile(lib.tensor([1, 2]), 0.5)
lib.quantile(lib.tensor([]), 0.5)
lib.quantile(x, 0.5, interpolation="cubic")
lib.quantile(x, lib.tensor([[0.5]]))
lib.mode(lib.tensor([[1.0, 2, 2, 1, 3], [5, 4, 4, 5, 5]]), 1)
lib.mode(lib.tensor([[1.0, 2, 2, 1, 3], [5, 4, 4, 5, 5]]), 0, keepdim=True)
lib.tensor([3.0, 1, 1, 3]).mode()
lib.mode(i)
lib.mode(lib.tensor(2.0))
lib.mode(lib.zeros(2, 0), 1)
lib.unique_consecutive(lib.tensor([1, 1, 2, 2, 3, 1, 1]))
lib.unique_consecutive(lib.tensor([1, 1, 2, 2, 3, 1, 1]), return_inverse=True, return_counts=True)
lib.unique_consecutive(lib.tensor([[1, 1, 2], [1, 1, 2]]), dim=1, return_counts=True)
lib.unique_consecutive(lib.tensor([], dtype=lib.int64))
lib.isin(i, lib.tensor([1, 3]))
lib.isin(i, 1, invert=True)
lib.isin(x, x[0])
lib.broadcast_shapes((2, 1), (3,))
lib.broadcast_shapes(2, (3, 1))
lib.broadcast_shapes((2,), (3,))
lib.broadcast_tensors(x, v[:3], s)
lib.hsplit(lib.arange(12.0).reshape(2, 6), 3)
lib.hsplit(lib.arange(12.0).reshape(2, 6), [1, 4])
lib.hsplit(lib.arange(12.0).reshape(2, 6), 4)
lib.hsplit(lib.arange(6.0), 3)
lib.vsplit(a3, 2)
lib.vsplit(v, 2)
lib.dsplit(a3, [1, 3])
x.split_with_sizes([1, 2], 1)
x.split_with_sizes([1, 1], 1)
x.stride()
x.t().stride()
a3[:, 1].stride(-1)
a3[1, 2].storage_offset()
x.nbytes
x.itemsize
i.is_signed()
lib.tensor([1], dtype=lib.uint8).is_signed()
lib.tensor([0.0]).is_nonzero()
lib.tensor([1, 2]).is_nonzero()
lib.is_nonzero(lib.tensor(3))
lib.is_complex(x)
lib.isreal(x)
x.is_same_size(y)
x.ndimension()
(x.clone().requires_grad_() * 2).retains_grad
lib.empty_like(x).shape
lib.empty_like(i, dtype=lib.float64).dtype
lib.randint_like(x, 5).dtype
lib.randint_like(i, 2, 5).shape
x.clone().clip_(-0.5, 0.5)
lib.sign(lib.tensor([np.nan, -1.0, 0.0, 2.0]))
lib.sgn(lib.tensor([np.nan]))
x.scatter_reduce(1, lib.tensor([[0, 0, 2], [1, 1, 1]]), y, "amax")
i.scatter_reduce(0, lib.tensor([0, 0, 4, 4, 1]), lib.tensor([5, 1, 5, 2, 7]), "mean")
i.scatter_reduce(0, lib.tensor([0, 0, 4]), lib.tensor([5, 1, 5]), "amin", include_self=False)
i.clone().scatter_reduce_(0, lib.tensor([0, 0, 4]), lib.tensor([5, 1, 5]), "prod")
x.scatter_reduce(1, lib.tensor([[0, 0, 2], [1, 1, 1]]), y, "max")
x.scatter_reduce(1, lib.tensor([[0, 0, 3], [1, 1, 1]]), y, "sum")
lib.zeros(2, 3).index_put((lib.tensor([0, 1]),), lib.tensor([5.0]))
lib.zeros(2, 3).index_put_((lib.tensor([0, 0]), lib.tensor([1, 1])), s * 2, accumulate=True)
lib.zeros(2, 3).index_put((lib.tensor([0, 5]),), lib.tensor(1.0))
lib.zeros(2, 3).put_(lib.tensor([0, -1, 2]), lib.tensor([1.0, 2, 3]))
lib.zeros(2, 3).put(lib.tensor([1, 1]), lib.tensor([1.0, 2]), accumulate=True)
lib.zeros(2, 3).put(lib.tensor([6]), lib.tensor([1.0]))
i.clone().put_(lib.tensor([0]), lib.tensor([9]))
F.max_pool2d(a3[None], 2, ceil_mode=True, return_indices=True)
F.max_pool2d(a3[None], 3, 2, 1, ceil_mode=True)
F.max_pool1d(a3, 3, return_indices=True)
lib.nn.MaxPool2d(2, return_indices=True)(a3[None])
str(lib.nn.MaxPool2d(3, 2, ceil_mode=True)).replace("lib.", "")
lib.norm(x)
lib.norm(x, "fro")
lib.norm(m, "nuc")
lib.norm(a3, "nuc", dim=(0, 2))
lib.norm(x, 0)
lib.norm(x, -float("inf"), dim=1)
lib.norm(x, 3, dim=1, keepdim=True)
lib.norm(a3, 2, dim=(1, 2))
x.norm(p=1)
x.norm(float("inf"))
lib.norm(x, "bogus")
lib.norm(x, dtype=lib.float64)
i.clone().sqrt_()
i.clone().atan2_(lib.tensor(2.0))
i.clone().div_(2)
""".strip().splitlines()


def _np_data():
    r = np.random.default_rng(42)
    return {
        "x": r.standard_normal((2, 3)).astype(np.float32),
        "y": r.standard_normal((2, 3)).astype(np.float32),
        "m": r.standard_normal((3, 3)).astype(np.float32),
        "v": r.standard_normal(4).astype(np.float32),
        "a3": r.standard_normal((2, 3, 4)).astype(np.float32),
        "s": np.array(1.2345, dtype=np.float32),
        "i": np.array([3, 1, 2, 0, 1]),
        "i23": np.array([[0, 2, 1], [1, 1, 0]]),
        "b": np.array([[True, False, True], [False, False, True]]),
        "x3": r.standard_normal((3, 4)).astype(np.float32),
    }


def _namespace(lib):
    ns = {"lib": lib, "np": np, "X": _np_data()["x3"]}
    ns["F"] = lib.nn.functional
    for k, a in _np_data().items():
        if k != "x3":
            ns[k] = lib.tensor(a)
    return ns


def _normal(v):
    """A library-neutral description of a result."""
    if isinstance(v, (gn.Tensor, torch.Tensor)):
        a = v.detach().numpy() if hasattr(v, "detach") else v.numpy()
        return ("tensor", str(v.dtype).split(".")[-1], tuple(a.shape), np.asarray(a))
    if isinstance(v, torch.Size):
        return tuple(int(n) for n in v)
    if isinstance(v, (tuple, list)):
        return tuple(_normal(e) for e in v)
    if isinstance(v, (torch.dtype, gn.dtype)):
        return ("dtype", str(v).split(".")[-1])
    if isinstance(v, (torch.device, gn.device)):
        return ("device", str(v))
    if isinstance(v, str):
        return v.replace("torch.", "").replace("glassnet.", "")
    if isinstance(v, np.ndarray):
        return ("array", v.dtype.str, v.shape, v)
    return v


def _same(a, b) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        if len(a) != len(b):
            return False
        if a and a[0] in ("tensor", "array") and len(a) == 4:
            return (a[0] == b[0] and a[1] == b[1] and a[2] == b[2]
                    and np.allclose(a[3], b[3], rtol=1e-5, atol=1e-6, equal_nan=True))
        return all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, float) and isinstance(b, float):
        return bool(np.isclose(a, b, rtol=1e-5, atol=1e-6))
    return type(a) is type(b) and a == b


def _evaluate(lib, expr):
    try:
        return "ok", _normal(eval(expr, _namespace(lib)))  # noqa: S307 - our own table
    except Exception as e:  # the probe records that it raised
        return "raised", type(e).__name__


def test_probe_has_enough_expressions():
    assert len(PROBE) >= 200
    assert len(set(PROBE)) == len(PROBE)


def test_probe_matches_pytorch():
    bad = []
    for expr in PROBE:
        g, t = _evaluate(gn, expr), _evaluate(torch, expr)
        if g[0] == "raised" or t[0] == "raised":
            if not (g[0] == t[0] == "raised"):
                bad.append(f"{expr}: glassnet {g}, torch {t}")
        elif not _same(g[1], t[1]):
            bad.append(f"{expr}: glassnet {g[1]!r:.200}  torch {t[1]!r:.200}")
    assert not bad, f"{len(bad)} of {len(PROBE)} expressions differ:\n" + "\n".join(bad)


# --- PyTorch's type promotion -------------------------------------------------------------
_KINDS = {
    "f32": lambda L: L.tensor([1.5, -2.0, 3.0]),
    "f64": lambda L: L.tensor([1.5, -2.0, 3.0], dtype=L.float64),
    "f16": lambda L: L.tensor([1.5, -2.0, 3.0], dtype=L.float16),
    "i64": lambda L: L.tensor([1, -2, 3]),
    "i32": lambda L: L.tensor([1, -2, 3], dtype=L.int32),
    "u8": lambda L: L.tensor([1, 2, 3], dtype=L.uint8),
    "b": lambda L: L.tensor([True, False, True]),
    "f64_0d": lambda L: L.tensor(2.0, dtype=L.float64),
    "f32_0d": lambda L: L.tensor(2.0),
    "i64_0d": lambda L: L.tensor(2),
    "py_f": lambda L: 2.5,
    "py_i": lambda L: 2,
    "py_b": lambda L: True,
}
_BINARY = {
    "add": lambda L, a, b: L.add(a, b),
    "mul": lambda L, a, b: L.mul(a, b),
    "sub": lambda L, a, b: L.sub(a, b),
    "div": lambda L, a, b: L.div(a, b),
    "pow": lambda L, a, b: L.pow(a, b),
    "maximum": lambda L, a, b: L.maximum(a, b),
    "atan2": lambda L, a, b: L.atan2(a, b),
    "clamp": lambda L, a, b: L.clamp(a, min=b),
    "where": lambda L, a, b: L.where(L.tensor([True, False, True]), a, b),
    "fmod": lambda L, a, b: L.fmod(a, b),
    "floor_divide": lambda L, a, b: L.floor_divide(a, b),
    "hypot": lambda L, a, b: L.hypot(a, b),
    "cat": lambda L, a, b: L.cat([a, b]),
    "eq": lambda L, a, b: L.eq(a, b),
}


@pytest.mark.parametrize("name", sorted(_BINARY))
def test_binary_ops_promote_dtypes_as_pytorch(name):
    """Tensors with dims decide the dtype; a zero-dim tensor or a Python number counts only
    when its category (bool < integer < floating) is higher — PyTorch's rule, which NumPy
    does not follow (float32 + float64 scalar tensor is float64 there)."""
    bad = []
    for ka in [k for k in _KINDS if not k.startswith("py")]:
        for kb in _KINDS:
            got = []
            for L in (gn, torch):
                try:
                    out = _BINARY[name](L, _KINDS[ka](L), _KINDS[kb](L))
                    got.append((str(out.dtype).split(".")[-1], out.detach().numpy().tolist()))
                except Exception as e:  # noqa: BLE001 - recorded, compared below
                    got.append(("raised", type(e).__name__))
            g, t = got
            if t[0] == "raised":
                continue  # glassnet may accept what PyTorch refuses (e.g. bool ** bool)
            if g[0] != t[0] or not np.allclose(np.asarray(g[1], float), np.asarray(t[1], float),
                                               equal_nan=True):
                bad.append(f"{name}({ka}, {kb}): glassnet {g}, torch {t}")
    assert not bad, "\n".join(bad)
