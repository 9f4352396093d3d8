"""gn.linalg and the top-level matrix functions against PyTorch (float64 values and
gradients, batched inputs), finite differences, dtype rules and errors."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from conftest import assert_close

RNG = np.random.default_rng(0)


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _wellcond(*shape, seed=0):
    """Random square matrices kept away from singular (+ n·I)."""
    a = _rand(*shape, seed=seed)
    return a + shape[-1] * np.eye(shape[-1])


def _spd(*shape, seed=0):
    a = _rand(*shape, seed=seed)
    return a @ np.swapaxes(a, -1, -2) + shape[-1] * np.eye(shape[-1])


def _to_np(x):
    if isinstance(x, gn.Tensor):
        return np.asarray(x.detach().numpy())
    return x.detach().numpy()


def _same(g, t, what, rtol=1e-7, atol=1e-9):
    if isinstance(t, tuple):
        assert isinstance(g, tuple) and len(g) == len(t), what
        if hasattr(t, "_fields"):
            assert g._fields == t._fields, f"{what}: fields {g._fields} != {t._fields}"
        for k, (a, b) in enumerate(zip(g, t)):
            _same(a, b, f"{what}[{k}]", rtol, atol)
        return
    a, b = _to_np(g), _to_np(t)
    assert a.dtype == b.dtype, f"{what}: dtype {a.dtype} != {b.dtype}"
    assert_close(a, b, what, rtol=rtol, atol=atol)


# (id, glassnet call, torch call, input makers) -- the outputs must match torch exactly
# (factorizations with a sign choice are compared through invariants further down)
VALUES = [
    ("det", lambda m, a: m.linalg.det(a), [lambda: _rand(3, 3)]),
    ("det_batch", lambda m, a: m.linalg.det(a), [lambda: _rand(2, 4, 3, 3)]),
    ("det_1x1", lambda m, a: m.det(a), [lambda: _rand(1, 1)]),
    ("det_0x0", lambda m, a: m.linalg.det(a), [lambda: np.zeros((2, 0, 0))]),
    ("det_empty_batch", lambda m, a: m.linalg.det(a), [lambda: np.zeros((0, 3, 3))]),
    ("det_singular", lambda m, a: m.det(a), [lambda: np.ones((3, 3))]),
    ("slogdet", lambda m, a: m.linalg.slogdet(a), [lambda: _rand(2, 3, 3)]),
    ("slogdet_top", lambda m, a: m.slogdet(a), [lambda: _rand(4, 4)]),
    ("logdet", lambda m, a: m.logdet(a), [lambda: _rand(5, 3, 3, seed=3)]),
    ("inv", lambda m, a: m.linalg.inv(a), [lambda: _wellcond(2, 3, 3)]),
    ("inverse", lambda m, a: m.inverse(a), [lambda: _wellcond(1, 1)]),
    ("inv_empty", lambda m, a: m.linalg.inv(a), [lambda: np.zeros((0, 2, 2))]),
    ("inv_ex", lambda m, a: m.linalg.inv_ex(a), [lambda: _wellcond(2, 3, 3)]),
    (
        "solve",
        lambda m, a, b: m.linalg.solve(a, b),
        [lambda: _wellcond(2, 3, 3), lambda: _rand(2, 3, 4)],
    ),
    (
        "solve_vec",
        lambda m, a, b: m.linalg.solve(a, b),
        [lambda: _wellcond(3, 3), lambda: _rand(3)],
    ),
    (
        "solve_batchvec",
        lambda m, a, b: m.linalg.solve(a, b),
        [lambda: _wellcond(2, 3, 3), lambda: _rand(2, 3)],
    ),
    (
        "solve_bcast",
        lambda m, a, b: m.linalg.solve(a, b),
        [lambda: _wellcond(3, 3), lambda: _rand(4, 3, 2)],
    ),
    (
        "solve_right",
        lambda m, a, b: m.linalg.solve(a, b, left=False),
        [lambda: _wellcond(3, 3), lambda: _rand(2, 3)],
    ),
    (
        "solve_tri_up",
        lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True),
        [lambda: _wellcond(2, 3, 3), lambda: _rand(2, 3, 2)],
    ),
    (
        "solve_tri_low_unit",
        lambda m, a, b: m.linalg.solve_triangular(a, b, upper=False, unitriangular=True),
        [lambda: _rand(3, 3), lambda: _rand(3, 4)],
    ),
    (
        "solve_tri_right",
        lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True, left=False),
        [lambda: _wellcond(3, 3), lambda: _rand(2, 3)],
    ),
    ("cholesky", lambda m, a: m.linalg.cholesky(a), [lambda: _spd(2, 4, 4)]),
    ("cholesky_upper", lambda m, a: m.linalg.cholesky(a, upper=True), [lambda: _spd(3, 3)]),
    ("cholesky_top", lambda m, a: m.cholesky(a), [lambda: _spd(3, 3)]),
    ("cholesky_ex", lambda m, a: m.linalg.cholesky_ex(a), [lambda: _spd(2, 3, 3)]),
    ("qr", lambda m, a: m.linalg.qr(a), [lambda: _rand(2, 5, 3)]),
    ("qr_wide", lambda m, a: m.linalg.qr(a), [lambda: _rand(3, 5)]),
    ("qr_complete", lambda m, a: m.linalg.qr(a, mode="complete"), [lambda: _rand(5, 3)]),
    ("qr_r", lambda m, a: m.linalg.qr(a, mode="r"), [lambda: _rand(4, 3)]),
    ("qr_top", lambda m, a: m.qr(a), [lambda: _rand(4, 3)]),
    ("eigvalsh", lambda m, a: m.linalg.eigvalsh(a), [lambda: _spd(2, 4, 4)]),
    ("eigvalsh_U", lambda m, a: m.linalg.eigvalsh(a, UPLO="U"), [lambda: _rand(4, 4)]),
    ("svdvals", lambda m, a: m.linalg.svdvals(a), [lambda: _rand(2, 3, 5)]),
    ("svdvals_empty", lambda m, a: m.linalg.svdvals(a), [lambda: np.zeros((3, 0))]),
    ("pinv", lambda m, a: m.linalg.pinv(a), [lambda: _rand(2, 5, 3)]),
    ("pinv_rankdef", lambda m, a: m.linalg.pinv(a), [lambda: np.outer(_rand(4), _rand(3))]),
    ("pinv_herm", lambda m, a: m.linalg.pinv(a, hermitian=True), [lambda: _spd(3, 3)]),
    ("pinverse", lambda m, a: m.pinverse(a), [lambda: _rand(3, 4)]),
    ("lstsq", lambda m, a, b: m.linalg.lstsq(a, b), [lambda: _rand(6, 3), lambda: _rand(6, 2)]),
    (
        "lstsq_batch",
        lambda m, a, b: m.linalg.lstsq(a, b),
        [lambda: _rand(2, 5, 3), lambda: _rand(2, 5, 1)],
    ),
    (
        "lstsq_wide",
        lambda m, a, b: m.linalg.lstsq(a, b),
        [lambda: _rand(2, 4), lambda: _rand(2, 3)],
    ),
    (
        "lstsq_gelsd",
        lambda m, a, b: m.linalg.lstsq(a, b, driver="gelsd"),
        [lambda: _rand(6, 3), lambda: _rand(6, 2)],
    ),
    (
        "matrix_rank",
        lambda m, a: m.linalg.matrix_rank(a),
        [lambda: np.stack([np.outer(_rand(4), _rand(4)), _rand(4, 4)])],
    ),
    (
        "matrix_rank_herm",
        lambda m, a: m.linalg.matrix_rank(a, hermitian=True),
        [lambda: _spd(3, 3)],
    ),
    ("matrix_power3", lambda m, a: m.linalg.matrix_power(a, 3), [lambda: _rand(2, 3, 3)]),
    ("matrix_power0", lambda m, a: m.matrix_power(a, 0), [lambda: _rand(2, 3, 3)]),
    ("matrix_power_neg", lambda m, a: m.matrix_power(a, -2), [lambda: _wellcond(3, 3)]),
    ("matrix_exp", lambda m, a: m.linalg.matrix_exp(a), [lambda: _rand(2, 4, 4)]),
    ("matrix_exp_big", lambda m, a: m.matrix_exp(a), [lambda: 5 * _rand(3, 3)]),
    ("matrix_exp_0x0", lambda m, a: m.matrix_exp(a), [lambda: np.zeros((0, 0))]),
    (
        "cross",
        lambda m, a, b: m.linalg.cross(a, b),
        [lambda: _rand(4, 3), lambda: _rand(4, 3, seed=1)],
    ),
    (
        "cross_bcast",
        lambda m, a, b: m.linalg.cross(a, b),
        [lambda: _rand(2, 1, 3), lambda: _rand(1, 4, 3, seed=1)],
    ),
    (
        "cross_top_dim",
        lambda m, a, b: m.cross(a, b, dim=0),
        [lambda: _rand(3, 5), lambda: _rand(3, 5, seed=1)],
    ),
    (
        "vecdot",
        lambda m, a, b: m.linalg.vecdot(a, b),
        [lambda: _rand(2, 3), lambda: _rand(3, seed=1)],
    ),
    (
        "multi_dot",
        lambda m, a, b, c: m.linalg.multi_dot([a, b, c]),
        [lambda: _rand(4), lambda: _rand(4, 6), lambda: _rand(6, 2)],
    ),
    (
        "multi_dot_vec_end",
        lambda m, a, b, c: m.linalg.multi_dot([a, b, c]),
        [lambda: _rand(3, 4), lambda: _rand(4, 6), lambda: _rand(6)],
    ),
    ("diagonal", lambda m, a: m.linalg.diagonal(a, offset=1), [lambda: _rand(2, 3, 4)]),
    ("cond", lambda m, a: m.linalg.cond(a), [lambda: _rand(2, 3, 3)]),
    ("cond_fro", lambda m, a: m.linalg.cond(a, "fro"), [lambda: _rand(3, 3)]),
    ("cond_m2", lambda m, a: m.linalg.cond(a, -2), [lambda: _rand(4, 3)]),
    ("cond_inf", lambda m, a: m.linalg.cond(a, float("inf")), [lambda: _rand(3, 3)]),
    (
        "tensordot2",
        lambda m, a, b: m.tensordot(a, b),
        [lambda: _rand(2, 3, 4), lambda: _rand(3, 4, 5)],
    ),
    (
        "tensordot_lists",
        lambda m, a, b: m.tensordot(a, b, dims=([0, 2], [1, 0])),
        [lambda: _rand(2, 3, 4), lambda: _rand(4, 2, 5)],
    ),
    ("tensordot0", lambda m, a, b: m.tensordot(a, b, dims=0), [lambda: _rand(2), lambda: _rand(3)]),
    ("dist", lambda m, a, b: m.dist(a, b), [lambda: _rand(3, 4), lambda: _rand(4, seed=1)]),
    (
        "dist_p1",
        lambda m, a, b: m.dist(a, b, 1),
        [lambda: _rand(3, 4), lambda: _rand(3, 4, seed=1)],
    ),
    (
        "dist_pinf",
        lambda m, a, b: m.dist(a, b, float("inf")),
        [lambda: _rand(5), lambda: _rand(5, seed=1)],
    ),
    ("cov", lambda m, a: m.cov(a), [lambda: _rand(3, 6)]),
    ("cov_1d", lambda m, a: m.cov(a), [lambda: _rand(6)]),
    ("cov_corr0", lambda m, a: m.cov(a, correction=0), [lambda: _rand(2, 5)]),
    ("corrcoef", lambda m, a: m.corrcoef(a), [lambda: _rand(3, 7)]),
    (
        "block_diag",
        lambda m, a, b, c: m.block_diag(a, b, c),
        [lambda: _rand(2, 3), lambda: _rand(4), lambda: np.array(2.5)],
    ),
    (
        "cartesian_prod",
        lambda m, a, b: m.cartesian_prod(a, b),
        [lambda: _rand(3), lambda: _rand(2)],
    ),
    ("combinations", lambda m, a: m.combinations(a, 3), [lambda: _rand(5)]),
    (
        "combinations_rep",
        lambda m, a: m.combinations(a, 2, with_replacement=True),
        [lambda: _rand(3)],
    ),
    ("diagflat", lambda m, a: m.diagflat(a, 1), [lambda: _rand(2, 2)]),
    (
        "addmv",
        lambda m, a, b, c: m.addmv(a, b, c, beta=0.5, alpha=2),
        [lambda: _rand(3), lambda: _rand(3, 4), lambda: _rand(4)],
    ),
    (
        "addbmm",
        lambda m, a, b, c: m.addbmm(a, b, c),
        [lambda: _rand(3, 2), lambda: _rand(4, 3, 5), lambda: _rand(4, 5, 2)],
    ),
    (
        "addr",
        lambda m, a, b, c: m.addr(a, b, c, alpha=3),
        [lambda: _rand(3, 2), lambda: _rand(3), lambda: _rand(2)],
    ),
    (
        "addr_beta0_nan",
        lambda m, a, b, c: m.addr(a, b, c, beta=0),
        [lambda: np.full((3, 2), np.nan), lambda: _rand(3), lambda: _rand(2)],
    ),
    ("vander", lambda m, a: m.vander(a), [lambda: _rand(4)]),
    ("vander_inc", lambda m, a: m.vander(a, N=3, increasing=True), [lambda: _rand(5)]),
    ("trapezoid", lambda m, a: m.trapezoid(a), [lambda: _rand(3, 5)]),
    (
        "trapezoid_x",
        lambda m, a, b: m.trapezoid(a, b, dim=0),
        [lambda: _rand(5, 3), lambda: np.sort(_rand(5))],
    ),
    ("trapezoid_dx", lambda m, a: m.trapezoid(a, dx=0.5), [lambda: _rand(2, 6)]),
    (
        "trapz",
        lambda m, a, b: m.trapz(a, b),
        [lambda: _rand(2, 4), lambda: np.sort(_rand(2, 4), -1)],
    ),
    ("cumulative_trapezoid", lambda m, a: m.cumulative_trapezoid(a, dim=0), [lambda: _rand(5, 2)]),
    ("norm_default", lambda m, a: m.linalg.norm(a), [lambda: _rand(2, 3, 4)]),
    ("norm_vec_dim", lambda m, a: m.linalg.norm(a, 3, dim=1), [lambda: _rand(2, 3, 4)]),
    ("norm_mat_nuc", lambda m, a: m.linalg.norm(a, "nuc"), [lambda: _rand(3, 4)]),
    (
        "norm_mat_dims",
        lambda m, a: m.linalg.norm(a, 1, dim=(0, 2), keepdim=True),
        [lambda: _rand(2, 3, 4)],
    ),
]
VALUES += [
    (
        "cholesky_solve",
        lambda m, b, a: m.cholesky_solve(b, m.linalg.cholesky(a)),
        [lambda: _rand(2, 3, 2), lambda: _spd(3, 3)],
    ),
    (
        "cholesky_solve_upper",
        lambda m, b, a: m.cholesky_solve(b, m.linalg.cholesky(a, upper=True), True),
        [lambda: _rand(3, 2), lambda: _spd(2, 3, 3)],
    ),
    (
        "cholesky_inverse",
        lambda m, a: m.cholesky_inverse(m.linalg.cholesky(a)),
        [lambda: _spd(2, 4, 4)],
    ),
    (
        "solve_ex",
        lambda m, a, b: m.linalg.solve_ex(a, b),
        [lambda: _wellcond(2, 3, 3), lambda: _rand(2, 3)],
    ),
    (
        "inv_ex_singular_info",
        lambda m, a: m.linalg.inv_ex(a).info,
        [
            lambda: np.stack(
                [np.zeros((3, 3)), np.diag([1.0, 1.0, 0.0]), np.ones((3, 3)), np.eye(3)]
            )
        ],
    ),
    ("linalg_vander", lambda m, a: m.linalg.vander(a), [lambda: _rand(2, 4)]),
    ("linalg_vander_N", lambda m, a: m.linalg.vander(a, N=2), [lambda: _rand(3)]),
]
for _o in (2, 1, float("inf"), float("-inf"), 0, 0.5, -1, 3):
    VALUES.append(
        (
            f"vector_norm_{_o}",
            lambda m, a, o=_o: m.linalg.vector_norm(a, o, dim=-1),
            [lambda: _rand(3, 4)],
        )
    )
for _o in ("fro", "nuc", float("inf"), float("-inf"), 1, -1, 2, -2):
    VALUES.append(
        (
            f"matrix_norm_{_o}",
            lambda m, a, o=_o: m.linalg.matrix_norm(a, o),
            [lambda: _rand(2, 3, 4)],
        )
    )


@pytest.mark.parametrize("case", VALUES, ids=[c[0] for c in VALUES])
def test_values_match_pytorch(torch, case):
    name, call, makers = case
    arrays = [mk() for mk in makers]
    g = call(gn, *[gn.tensor(a, dtype=gn.float64) for a in arrays])
    t = call(torch, *[torch.tensor(a, dtype=torch.float64) for a in arrays])
    _same(g, t, name)


def test_factorizations_with_a_sign_choice(torch):
    """eigh and svd: values equal, vectors equal up to sign, the product rebuilds A."""
    a = _spd(2, 4, 4)
    w, v = gn.linalg.eigh(gn.tensor(a))
    tw, tv = torch.linalg.eigh(torch.tensor(a))
    assert_close(w, tw, "eigh values")
    assert_close(np.abs(v.numpy()), np.abs(tv.numpy()), "eigh |vectors|")
    assert_close(
        v.numpy() @ np.apply_along_axis(np.diag, -1, w.numpy()) @ np.swapaxes(v.numpy(), -1, -2),
        a,
        "V diag(w) Vᵀ",
    )
    for shape, full in (((2, 5, 3), True), ((3, 5), False), ((4, 4), True), ((1, 1), True)):
        x = _rand(*shape)
        u, s, vh = gn.linalg.svd(gn.tensor(x), full_matrices=full)
        tu, ts, tvh = torch.linalg.svd(torch.tensor(x), full_matrices=full)
        assert u.shape == tuple(tu.shape) and vh.shape == tuple(tvh.shape)
        assert_close(s, ts, f"svd S {shape}")
        k = s.shape[-1]
        us = u.numpy()[..., :k] * s.numpy()[..., None, :]
        assert_close(us @ vh.numpy()[..., :k, :], x, f"U S Vh {shape}")
        assert_close(np.abs(u.numpy()[..., :k]), np.abs(tu.numpy()[..., :k]), f"|U| {shape}")
    U, S, V = gn.svd(gn.tensor(_rand(4, 3)))
    assert U.shape == (4, 3) and V.shape == (3, 3)
    assert_close((U * S) @ V.T, _rand(4, 3), "torch.svd returns V")
    assert gn.linalg.svd(gn.tensor(_rand(3, 2)))._fields == ("U", "S", "Vh")


def _grad_vs_torch(torch, gcall, tcall, arrays, tol=1e-7, fd=True):
    gx = [gn.tensor(a, dtype=gn.float64, requires_grad=True) for a in arrays]
    tx = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    gy, ty = gcall(gn, *gx), tcall(torch, *tx)
    w = np.random.default_rng(7).standard_normal(tuple(ty.shape))
    (gy * gn.tensor(w)).sum().backward()
    (ty * torch.tensor(w)).sum().backward()
    for k, (a, b) in enumerate(zip(gx, tx)):
        assert a.grad is not None, f"input {k} got no gradient"
        assert_close(a.grad, b.grad, f"grad of input {k}", rtol=tol, atol=tol)
    if fd:
        assert gn.autograd.gradcheck(
            lambda *xs: gcall(gn, *xs),
            [gn.tensor(a, dtype=gn.float64, requires_grad=True) for a in arrays],
            atol=1e-5,
            rtol=1e-4,
        )


def _gauge_usv(m, a, full=False):
    u, s, vh = m.linalg.svd(a, full_matrices=full)
    return (u * s.unsqueeze(-2)) @ vh + (u.abs() ** 2).sum() * 0.3 + vh.abs().sum() * 0.7


def _sym(a):
    """Finite differences need a symmetric input: these ops read one triangle only."""
    return (a + a.transpose(-1, -2)) * 0.5


def _eigh_loss(m, a):
    w, v = m.linalg.eigh(_sym(a))
    return v.abs() * w.unsqueeze(-2) + (v * v) @ v.abs()


def _qr_loss(m, a, mode="reduced"):
    q, r = m.linalg.qr(a, mode=mode)
    return q.sum(-1, keepdim=True) * 0.5 + (q @ r) + r.sum() * 0.1


# (id, call(module, *inputs) -> one tensor, input makers, check finite differences too)
GRADS = [
    (
        # PyTorch's gradient w.r.t. L treats the whole L (A = L·Lᵀ); the triangle taken
        # first makes it agree with finite differences too
        "cholesky_solve",
        lambda m, b, a: m.cholesky_solve(b, a.tril()),
        [lambda: _rand(2, 3, 2), lambda: np.linalg.cholesky(_spd(3, 3))],
    ),
    (
        "cholesky_inverse",
        lambda m, a: m.cholesky_inverse(a.triu(), upper=True),
        [lambda: np.linalg.cholesky(_spd(3, 3)).T],
    ),
    ("linalg_vander", lambda m, a: m.linalg.vander(a), [lambda: _rand(2, 3)]),
    ("det", lambda m, a: m.linalg.det(a), [lambda: _rand(2, 3, 3)]),
    ("det_singular", lambda m, a: m.det(a), [lambda: np.outer(_rand(3), _rand(3, seed=2))]),
    ("det_1x1", lambda m, a: m.det(a), [lambda: _rand(1, 1)]),
    (
        "det_mixed_batch",  # invertible, rank 1, nearly singular: fast and SVD paths at once
        lambda m, a: m.det(a),
        [
            lambda: np.stack(
                [_rand(3, 3), np.outer(_rand(3), _rand(3, seed=2)), np.diag([1.0, 1e-12, 2.0])]
            )
        ],
    ),
    ("slogdet", lambda m, a: m.linalg.slogdet(a).logabsdet, [lambda: _rand(2, 3, 3)]),
    ("logdet", lambda m, a: m.logdet(a), [lambda: _spd(3, 3)]),
    ("inv", lambda m, a: m.linalg.inv(a), [lambda: _wellcond(2, 3, 3)]),
    (
        "solve",
        lambda m, a, b: m.linalg.solve(a, b),
        [lambda: _wellcond(3, 3), lambda: _rand(2, 3, 2)],
    ),
    (
        "solve_vec",
        lambda m, a, b: m.linalg.solve(a, b),
        [lambda: _wellcond(2, 3, 3), lambda: _rand(2, 3)],
    ),
    (
        "solve_right",
        lambda m, a, b: m.linalg.solve(a, b, left=False),
        [lambda: _wellcond(3, 3), lambda: _rand(4, 3)],
    ),
    (
        "solve_tri",
        lambda m, a, b: m.linalg.solve_triangular(a, b, upper=True),
        [lambda: _wellcond(2, 3, 3), lambda: _rand(2, 3, 2)],
    ),
    (
        "solve_tri_unit_right",
        lambda m, a, b: m.linalg.solve_triangular(
            a, b, upper=False, left=False, unitriangular=True
        ),
        [lambda: _rand(3, 3), lambda: _rand(2, 3)],
    ),
    ("cholesky", lambda m, a: m.linalg.cholesky(_sym(a)), [lambda: _spd(2, 3, 3)]),
    ("cholesky_upper", lambda m, a: m.linalg.cholesky(_sym(a), upper=True), [lambda: _spd(4, 4)]),
    ("qr_square", _qr_loss, [lambda: _rand(2, 3, 3)]),
    ("qr_tall", _qr_loss, [lambda: _rand(5, 3)]),
    ("qr_wide", _qr_loss, [lambda: _rand(3, 5)]),
    ("eigh", _eigh_loss, [lambda: _spd(2, 3, 3)]),
    ("eigvalsh", lambda m, a: m.linalg.eigvalsh(_sym(a)), [lambda: _spd(3, 3)]),
    ("svd_square", _gauge_usv, [lambda: _rand(2, 3, 3)]),
    ("svd_tall", _gauge_usv, [lambda: _rand(5, 3)]),
    ("svd_wide", _gauge_usv, [lambda: _rand(2, 3, 4)]),
    ("svdvals", lambda m, a: m.linalg.svdvals(a), [lambda: _rand(2, 4, 3)]),
    ("pinv", lambda m, a: m.linalg.pinv(a), [lambda: _rand(2, 4, 3)]),
    ("pinv_wide", lambda m, a: m.linalg.pinv(a), [lambda: _rand(3, 5)]),
    (
        "lstsq",
        lambda m, a, b: m.linalg.lstsq(a, b).solution,
        [lambda: _rand(5, 3), lambda: _rand(5, 2)],
    ),
    ("matrix_power", lambda m, a: m.linalg.matrix_power(a, 5), [lambda: _rand(2, 3, 3) * 0.5]),
    ("matrix_power_neg", lambda m, a: m.matrix_power(a, -3), [lambda: _wellcond(3, 3)]),
    ("matrix_exp", lambda m, a: m.linalg.matrix_exp(a), [lambda: _rand(2, 3, 3)]),
    ("matrix_exp_scaled", lambda m, a: m.matrix_exp(a), [lambda: 4 * _rand(3, 3)]),
    (
        "cross",
        lambda m, a, b: m.linalg.cross(a, b),
        [lambda: _rand(1, 2, 3), lambda: _rand(4, 1, 3, seed=1)],
    ),
    (
        "tensordot",
        lambda m, a, b: m.tensordot(a, b, dims=([0], [1])),
        [lambda: _rand(3, 4), lambda: _rand(2, 3)],
    ),
    ("cov", lambda m, a: m.cov(a), [lambda: _rand(3, 5)]),
    (
        "cov_weights",
        lambda m, a: m.cov(
            a,
            fweights=m.tensor([1, 2, 1, 3, 1]),
            aweights=m.tensor([0.5, 1.0, 2.0, 1.0, 0.3], dtype=m.float64),
        ),
        [lambda: _rand(2, 5)],
    ),
    ("corrcoef", lambda m, a: m.corrcoef(a), [lambda: _rand(3, 6)]),
    ("dist", lambda m, a, b: m.dist(a, b), [lambda: _rand(3, 4), lambda: _rand(4, seed=1)]),
    (
        "dist_p3",
        lambda m, a, b: m.dist(a, b, 3),
        [lambda: _rand(3, 4), lambda: _rand(3, 4, seed=1)],
    ),
    (
        "vector_norm_inf",
        lambda m, a: m.linalg.vector_norm(a, float("inf"), dim=1),
        [lambda: _rand(3, 4)],
    ),
    ("vector_norm_1", lambda m, a: m.linalg.vector_norm(a, 1, dim=(0, 1)), [lambda: _rand(3, 4)]),
    ("matrix_norm_fro", lambda m, a: m.linalg.matrix_norm(a), [lambda: _rand(2, 3, 4)]),
    ("matrix_norm_nuc", lambda m, a: m.linalg.matrix_norm(a, "nuc"), [lambda: _rand(2, 3, 4)]),
    ("matrix_norm_2", lambda m, a: m.linalg.matrix_norm(a, 2), [lambda: _rand(3, 4)]),
    ("matrix_norm_m2", lambda m, a: m.linalg.matrix_norm(a, -2), [lambda: _rand(3, 3)]),
    (
        "matrix_norm_inf",
        lambda m, a: m.linalg.matrix_norm(a, float("inf")),
        [lambda: _rand(2, 3, 4)],
    ),
    ("matrix_norm_1", lambda m, a: m.linalg.matrix_norm(a, 1), [lambda: _rand(3, 4)]),
    ("norm", lambda m, a: m.linalg.norm(a, dim=(1, 2)), [lambda: _rand(2, 3, 4)]),
    ("cond", lambda m, a: m.linalg.cond(a), [lambda: _rand(3, 3)]),
    ("block_diag", lambda m, a, b: m.block_diag(a, b), [lambda: _rand(2, 3), lambda: _rand(2)]),
    (
        "trapezoid_x",
        lambda m, a, b: m.trapezoid(a, b),
        [lambda: _rand(2, 5), lambda: np.sort(_rand(5))],
    ),
    ("cumulative_trapezoid", lambda m, a: m.cumulative_trapezoid(a), [lambda: _rand(2, 5)]),
    (
        "addr",
        lambda m, a, b, c: m.addr(a, b, c, beta=2, alpha=0.5),
        [lambda: _rand(3, 2), lambda: _rand(3), lambda: _rand(2)],
    ),
    (
        "cartesian_prod",
        lambda m, a, b: m.cartesian_prod(a, b),
        [lambda: _rand(3), lambda: _rand(2)],
    ),
]


@pytest.mark.parametrize("case", GRADS, ids=[c[0] for c in GRADS])
def test_gradients_match_pytorch_and_finite_differences(torch, case):
    name, call, makers = case
    _grad_vs_torch(torch, call, call, [mk() for mk in makers])


def test_gradients_pytorch_does_not_give():
    """torch.vander has no backward; glassnet's is checked by finite differences."""
    for n, inc in ((None, False), (3, True)):
        assert gn.autograd.gradcheck(
            lambda x, n=n, inc=inc: gn.vander(x, N=n, increasing=inc),
            gn.tensor(_rand(4), requires_grad=True),
        )
    # the gradient of det at a singular matrix (adj(A)ᵀ), checked without torch
    a = gn.tensor(np.outer(_rand(3), _rand(3, seed=2)), requires_grad=True)
    assert gn.autograd.gradcheck(gn.det, a)


def test_matrix_exp_gradient_by_the_block_trick():
    """d exp(A)[·] in direction E is the upper-right block of exp([[A, E], [0, A]])."""
    a, e = _rand(3, 3), _rand(3, 3, seed=5)
    w = _rand(3, 3, seed=6)
    x = gn.tensor(a, requires_grad=True)
    (gn.matrix_exp(x) * gn.tensor(w)).sum().backward()
    big = np.block([[a, e], [np.zeros((3, 3)), a]])
    directional = gn.matrix_exp(gn.tensor(big)).numpy()[:3, 3:]
    assert_close((x.grad.numpy() * e).sum(), (directional * w).sum(), "block trick")


def test_float32_stays_float32(torch):
    a32 = _wellcond(2, 3, 3).astype(np.float32)
    s32 = _spd(3, 3).astype(np.float32)
    x = gn.tensor(a32, requires_grad=True)
    outs = [
        gn.linalg.det(x),
        gn.linalg.inv(x),
        gn.linalg.solve(x, x),
        gn.linalg.slogdet(x)[1],
        gn.linalg.qr(x).R,
        gn.linalg.svd(x).U,
        gn.linalg.svdvals(x),
        gn.linalg.pinv(x),
        gn.linalg.matrix_exp(x),
        gn.linalg.norm(x),
        gn.linalg.matrix_norm(x, "nuc"),
        gn.linalg.cholesky(gn.tensor(s32)),
        gn.linalg.eigh(gn.tensor(s32)).eigenvectors,
        gn.cov(x[0]),
        gn.linalg.cond(x),
    ]
    for k, o in enumerate(outs):
        assert o.dtype == gn.float32, f"output {k}: {o.dtype}"
    sum(o.sum() for o in outs[:11]).backward()
    assert x.grad.dtype == gn.float32
    assert_close(
        gn.linalg.matrix_exp(x).detach(),
        torch.linalg.matrix_exp(torch.tensor(a32)),
        "float32 matrix_exp",
        rtol=1e-5,
        atol=1e-5,
    )
    assert gn.linalg.matrix_rank(x).dtype == gn.int64
    assert gn.linalg.inv_ex(x).info.dtype == gn.int32
    assert gn.tril_indices(3, 4, 1).dtype == gn.int64


def test_index_helpers_match_pytorch(torch):
    for r, c, off in ((3, 3, 0), (4, 2, -1), (2, 5, 2), (0, 3, 0), (3, 3, -5)):
        assert_close(gn.tril_indices(r, c, off), torch.tril_indices(r, c, off), f"tril {r, c, off}")
        assert_close(gn.triu_indices(r, c, off), torch.triu_indices(r, c, off), f"triu {r, c, off}")
    assert gn.triu_indices(3, 3).shape == (2, 6)
    x = gn.tensor([1.0, 2.0, 3.0])
    assert gn.combinations(x, 4).shape == tuple(
        torch.combinations(torch.tensor([1.0, 2.0, 3.0]), 4).shape
    )
    assert_close(
        gn.vander(gn.tensor([1, 2, 3])), torch.vander(torch.tensor([1, 2, 3])), "int vander"
    )
    assert gn.vander(gn.tensor([1, 2, 3])).dtype == gn.int64


def test_methods_exist_like_pytorch():
    a = gn.tensor(_wellcond(3, 3))
    assert_close(a.det(), gn.det(a), "Tensor.det")
    assert_close(a.inverse() @ a, np.eye(3), "Tensor.inverse", atol=1e-12)
    assert_close(a.matrix_power(2), a @ a, "Tensor.matrix_power")
    v = gn.tensor([1.0, 2.0])
    m = gn.zeros(2, 2)
    m.addr_(v, v)
    assert_close(m, np.outer([1, 2], [1, 2]), "addr_")


def test_errors_name_the_problem():
    sing = gn.tensor(np.stack([np.eye(3), np.ones((3, 3))]))
    with pytest.raises(gn.linalg.LinAlgError, match=r"singular \(batch element 1\)"):
        gn.linalg.inv(sing)
    with pytest.raises(RuntimeError, match="singular"):
        gn.inverse(gn.zeros(2, 2))
    with pytest.raises(gn.linalg.LinAlgError, match="singular"):
        gn.linalg.solve(gn.zeros(2, 2), gn.ones(2))
    with pytest.raises(gn.linalg.LinAlgError, match="order 2 is not positive-definite"):
        gn.linalg.cholesky(gn.tensor([[1.0, 2.0], [2.0, 1.0]]))
    with pytest.raises(gn.linalg.LinAlgError, match="zero on its diagonal"):
        gn.linalg.solve_triangular(gn.zeros(2, 2), gn.ones(2, 1), upper=True)
    with pytest.raises(ValueError, match=r"square.*2 by 3.*\(4, 2, 3\)"):
        gn.linalg.det(gn.zeros(4, 2, 3))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        gn.linalg.inv(gn.ones(3))
    with pytest.raises(TypeError, match="floating point"):
        gn.linalg.det(gn.tensor([[1, 2], [3, 4]]))
    with pytest.raises(ValueError, match="needs 3 rows"):
        gn.linalg.solve(gn.eye(3), gn.ones(2, 2))
    with pytest.raises(ValueError, match="mode"):
        gn.linalg.qr(gn.ones(2, 2), mode="full")
    with pytest.raises(ValueError, match="ord"):
        gn.linalg.matrix_norm(gn.ones(2, 2), 3)
    with pytest.raises(ValueError, match="size 3"):
        gn.linalg.cross(gn.ones(2, 4), gn.ones(2, 4))
    with pytest.raises(ValueError, match="same number of dimensions"):
        gn.linalg.cross(gn.ones(2, 3), gn.ones(3))
    with pytest.raises(ValueError, match="cannot be multiplied"):
        gn.linalg.multi_dot([gn.ones(2, 3), gn.ones(2, 3)])
    with pytest.raises(ValueError, match="fweights"):
        gn.cov(gn.ones(2, 3), fweights=gn.tensor([1, 2]))
    # *_ex report instead of raising
    out = gn.linalg.inv_ex(sing)
    assert out.info.tolist() == [0, 2]  # LAPACK's info: the first zero pivot, as in PyTorch
    assert np.isnan(out.inverse[1].numpy()).all()
    ex = gn.linalg.solve_ex(sing, gn.ones(2, 3, dtype=gn.float64))
    assert ex.info.tolist() == [0, 2] and np.isnan(ex.result[1].numpy()).all()
    assert_close(ex.result[0], np.ones(3), "solve_ex of the invertible one")
    with pytest.raises(gn.linalg.LinAlgError):
        gn.linalg.solve_ex(sing, gn.ones(2, 3, dtype=gn.float64), check_errors=True)
    ch = gn.linalg.cholesky_ex(gn.tensor([[[1.0, 0.0], [0.0, 1.0]], [[1.0, 2.0], [2.0, 1.0]]]))
    assert ch.info.tolist() == [0, 2]
    with pytest.raises(gn.linalg.LinAlgError):
        gn.linalg.cholesky_ex(gn.tensor([[1.0, 2.0], [2.0, 1.0]]), check_errors=True)


def test_undefined_gradients_say_so():
    x = gn.tensor(_rand(4, 3), requires_grad=True)
    with pytest.raises(RuntimeError, match="mode='r'"):
        gn.linalg.qr(x, mode="r").R.sum().backward()
    u = gn.linalg.svd(x, full_matrices=True).U
    with pytest.raises(RuntimeError, match="full_matrices=False"):
        u.sum().backward()


def test_explain_prints_the_formula():
    a = gn.tensor(_wellcond(2, 2), requires_grad=True, name="A")
    y = gn.linalg.inv(a)
    assert y._ctx.name == "inv" and "inv(A)ᵀ" in y._ctx.formula


EDGE = {
    "qr_empty_batch": lambda m: m.linalg.qr(m.zeros(0, 3, 2, dtype=m.float64)),
    "eigh_empty_batch": lambda m: m.linalg.eigh(m.zeros(0, 3, 3, dtype=m.float64)),
    "svd_empty_batch": lambda m: m.linalg.svd(m.zeros(0, 3, 2, dtype=m.float64)),
    "svd_0x3": lambda m: m.linalg.svd(m.zeros(0, 3, dtype=m.float64)),
    "chol_empty": lambda m: m.linalg.cholesky(m.zeros(0, 3, 3, dtype=m.float64)),
    "solve_empty": lambda m: m.linalg.solve(
        m.zeros(0, 3, 3, dtype=m.float64), m.zeros(0, 3, dtype=m.float64)
    ),
    "inv_0x0": lambda m: m.linalg.inv(m.zeros(0, 0, dtype=m.float64)),
    "pinv_empty": lambda m: m.linalg.pinv(m.zeros(2, 0, 3, dtype=m.float64)),
    "slogdet_singular": lambda m: m.linalg.slogdet(m.zeros(2, 2, dtype=m.float64)),
    "logdet_negative": lambda m: m.logdet(m.tensor([[0.0, 1.0], [1.0, 0.0]], dtype=m.float64)),
    "matrix_rank_empty": lambda m: m.linalg.matrix_rank(m.zeros(3, 0, dtype=m.float64)),
    "vector_norm_0d": lambda m: m.linalg.vector_norm(m.tensor(-3.0)),
    "vector_norm_empty": lambda m: m.linalg.vector_norm(m.zeros(0)),
    "matrix_norm_keepdim": lambda m: m.linalg.matrix_norm(
        m.ones(2, 3, 4), "nuc", dim=(0, 2), keepdim=True
    ),
    "cond_singular": lambda m: m.linalg.cond(m.ones(2, 2, dtype=m.float64), "fro"),
    "lstsq_vector_b": lambda m: m.linalg.lstsq(
        m.ones(3, 2, dtype=m.float64) + m.eye(3, 2, dtype=m.float64), m.ones(3, dtype=m.float64)
    ),
    "block_diag_none": lambda m: m.block_diag(),
    "block_diag_int_float": lambda m: m.block_diag(m.tensor([[1, 2]]), m.tensor([3.0])),
    "cartesian_one": lambda m: m.cartesian_prod(m.tensor([1, 2])),
    "cov_one_observation": lambda m: m.cov(m.tensor([[1.0], [2.0]])),
    "corrcoef_constant_row": lambda m: m.corrcoef(m.tensor([[1.0, 1.0, 1.0], [1.0, 2.0, 3.0]])),
    "cov_int": lambda m: m.cov(m.tensor([[1, 2, 3], [2, 2, 5]])),
    "trapezoid_int": lambda m: m.trapezoid(m.tensor([1, 2, 3])),
    "trapezoid_empty": lambda m: m.trapezoid(m.zeros(3, 0)),
    "cumulative_trapezoid_x2d": lambda m: m.cumulative_trapezoid(
        m.tensor([[1.0, 2.0, 3.0]]), m.tensor([[0.0, 1.0, 3.0]])
    ),
    "vander_N0": lambda m: m.vander(m.tensor([1.0, 2.0]), N=0),
    "addbmm_beta0_nan": lambda m: m.addbmm(
        m.full((2, 2), float("nan")), m.ones(3, 2, 4), m.ones(3, 4, 2), beta=0
    ),
    "multi_dot_vec_vec": lambda m: m.linalg.multi_dot([m.ones(3), m.ones(3, 3), m.ones(3)]),
    "svd_no_uv": lambda m: m.svd(m.ones(3, 2), compute_uv=False),
    "eigvalsh_1x1": lambda m: m.linalg.eigvalsh(m.tensor([[2.0]])),
    "matrix_exp_nan_inf": lambda m: m.matrix_exp(
        m.tensor(
            [
                [[1.0, float("nan")], [0.0, 1.0]],
                [[float("inf"), 0.0], [0.0, 1.0]],
                [[0.0, 1.0], [0.0, 0.0]],
            ]
        )
    ),
}


@pytest.mark.parametrize("name", sorted(EDGE))
def test_edge_shapes_and_values_match_pytorch(torch, name):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns about degrees of freedom <= 0
        _same(EDGE[name](gn), EDGE[name](torch), name)


def test_matrix_exp_overflows_to_inf_quietly():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = gn.matrix_exp(gn.tensor([[1000.0, 0.0], [0.0, 80.0]])).numpy()
    assert np.isinf(out[0, 0]) and out[0, 1] == 0
    assert_close(out[1, 1], np.exp(np.float32(80.0)), "exp(80)", rtol=1e-6)


def test_gradient_through_an_empty_batch():
    x = gn.zeros(0, 3, 3, requires_grad=True)
    (gn.linalg.det(x).sum() + gn.linalg.inv(x + gn.eye(3)).sum()).backward()
    assert x.grad.shape == (0, 3, 3)


def test_cholesky_solve_gradient_covers_the_whole_factor_like_pytorch(torch):
    """PyTorch differentiates A = L·Lᵀ through every entry of L (the other triangle too)."""
    for upper in (False, True):
        L = np.linalg.cholesky(_spd(2, 3, 3))  # noqa: N806
        L = np.swapaxes(L, -1, -2) if upper else L  # noqa: N806
        _grad_vs_torch(
            torch,
            lambda m, b, f, up=upper: m.cholesky_solve(b, f, up),
            lambda m, b, f, up=upper: m.cholesky_solve(b, f, up),
            [_rand(3, 2), L],
            fd=False,
        )
