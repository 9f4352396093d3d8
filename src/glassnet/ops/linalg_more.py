"""Matrix functions: determinants, inverses, solves, factorizations, norms, matrix powers.

The differentiable ones are ``Function`` subclasses computing on NumPy arrays with a
leading batch (``(..., m, n)``). A factorization with several differentiable outputs
(``qr``, ``eigh``, ``svd``) returns them packed into one flat array; the public function
slices the pieces back out, so the engine sees one node and the gradient of every piece
arrives in backward at once. The derivatives are the standard matrix-calculus results:

* det: g·det(A)·A⁻ᵀ, written as U·diag(∏_{j≠i} s_j)·Vᵀ from the SVD so it holds for a
  singular A too; slogdet: g·A⁻ᵀ; inv: -A⁻ᵀ·g·A⁻ᵀ; solve: g_B = A⁻ᵀ·g, g_A = -g_B·Xᵀ.
* cholesky (A = L Lᵀ): g_A = sym(L⁻ᵀ·Φ(Lᵀ·g_L)·L⁻¹), Φ = lower triangle, diagonal halved.
* qr (m ≥ n): M = R·g_Rᵀ - g_Qᵀ·Q, g_A = (g_Q + Q·copyltu(M))·R⁻ᵀ.
* eigh: g_A = V·(diag(g_λ) + skew(Vᵀ·g_V)/2 ⊘ E)·Vᵀ, E_ij = λ_j - λ_i.
* svd: g_A = U·[(skew(Uᵀg_U) ⊘ E)·S + S·(skew(Vᵀg_V) ⊘ E) + diag(g_S)]·Vᵀ + the
  projections of g_U, g_V off the column spaces, E_ij = s_j² - s_i².
* matrix_exp: g_A = the upper-right block of exp([[Aᵀ, g], [0, Aᵀ]]).

The top-level names (``gn.det``, ``gn.inverse``, ``gn.cross`` ...) are registered here;
``glassnet.linalg`` holds the ``torch.linalg``-style namespace built on the same ops.
"""

from __future__ import annotations

import itertools
import math
from collections import namedtuple

import numpy as np

from ..autograd import Function
from ..backend import xp
from ..tensor import Tensor
from ._registry import op
from .linalg import ArgumentError, DtypeError, _as_tensor, _scaled, einsum

__all__ = [
    "LinAlgError", "ArgumentError", "DtypeError", "UnsupportedDtypeError", "det", "logdet",
    "slogdet", "inverse", "pinverse", "cholesky", "svd", "qr",
    "cross", "tensordot", "dist", "cov", "corrcoef", "block_diag", "cartesian_prod",
    "combinations", "matrix_power", "matrix_exp", "diagflat", "tril_indices", "triu_indices",
    "addmv", "addbmm", "addr", "vander", "trapezoid", "cumulative_trapezoid",
]


class LinAlgError(RuntimeError):
    """A matrix function could not be computed (singular matrix, not positive-definite):
    ``torch.linalg.LinAlgError``'s counterpart, a ``RuntimeError``."""


class UnsupportedDtypeError(DtypeError, NotImplementedError):
    """A float16 matrix given to a factorization: PyTorch's CPU kernels raise
    ``NotImplementedError`` (a ``RuntimeError``) there."""


SlogdetResult = namedtuple("slogdet", ["sign", "logabsdet"])
LinalgSlogdet = namedtuple("linalg_slogdet", ["sign", "logabsdet"])
SvdResult = namedtuple("svd", ["U", "S", "V"])
LinalgSvd = namedtuple("linalg_svd", ["U", "S", "Vh"])
QrResult = namedtuple("qr", ["Q", "R"])
LinalgQr = namedtuple("linalg_qr", ["Q", "R"])
LinalgEigh = namedtuple("linalg_eigh", ["eigenvalues", "eigenvectors"])
LinalgInvEx = namedtuple("linalg_inv_ex", ["inverse", "info"])
LinalgCholeskyEx = namedtuple("linalg_cholesky_ex", ["L", "info"])
LinalgLstsq = namedtuple("linalg_lstsq", ["solution", "residuals", "rank", "singular_values"])


# --- helpers ---------------------------------------------------------------------------------
def _T(a):
    return xp.swapaxes(a, -1, -2)


def _float_input(x, what: str, arg: str = "A") -> Tensor:
    t = _as_tensor(x)
    if t.data.dtype.kind != "f":
        raise DtypeError(f"{what}: expected a floating point tensor as {arg}, got {t.dtype} "
                        f"(convert it first, e.g. {arg}.double())")
    return t


def _matrix(x, what: str, arg: str = "A", square: bool = False, lapack: bool = True) -> Tensor:
    t = _float_input(x, what, arg)
    if lapack and t.data.dtype == np.float16:  # NumPy's own error would name no op
        raise UnsupportedDtypeError(f"{what}: float16 matrices are not supported (the "
                                    f"factorizations run in float32 or float64); convert "
                                    f"first, e.g. {arg}.float()")
    s = tuple(t.shape)
    if len(s) < 2:
        raise ArgumentError(f"{what}: {arg} must have at least 2 dimensions (..., m, n), got "
                            f"shape {s}")
    if square and s[-1] != s[-2]:
        raise ArgumentError(f"{what}: {arg} must be a (batch of) square matrices (..., n, n), but "
                            f"they are {s[-2]} by {s[-1]} matrices (shape {s})")
    return t


def _finite_for_svd(t: Tensor, what: str) -> Tensor:
    """LAPACK's SVD does not converge on nan or inf: PyTorch raises its LinAlgError there,
    and so does glassnet, naming the op and the batch element (NumPy's error names
    neither)."""
    a = t.data
    if a.size and not np.isfinite(a).all():
        flat = a.reshape((-1,) + a.shape[-2:])
        i = int(np.flatnonzero(~np.isfinite(flat).all(axis=(1, 2)))[0])
        raise LinAlgError(f"{what}: the SVD failed to converge because the input matrix "
                          f"contains non-finite values (nan or inf){_where(a, i)}")
    return t


def _bad_batch(fn, a):
    """The first batch element on which ``fn`` raises NumPy's LinAlgError (or None)."""
    flat = a.reshape((-1,) + a.shape[-2:])
    for i, m in enumerate(flat):
        try:
            fn(m)
        except np.linalg.LinAlgError:
            return i
    return None


def _where(a, i):
    return f" (batch element {i})" if a.ndim > 2 else ""


def _singular(what: str, a):
    i = _bad_batch(np.linalg.inv, a)
    return LinAlgError(f"{what}: the input matrix is singular{_where(a, i)}, so the "
                       f"{'inversion' if 'inv' in what else 'solve'} could not be completed")


def _inv(a, what: str):
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        raise _singular(what, a) from None


def _safe_inv(a):
    """A⁻¹ with nan for the matrices LAPACK finds singular (no exception)."""
    try:
        return np.linalg.inv(a)
    except np.linalg.LinAlgError:
        out = xp.full_like(a, np.nan)
        for i, m in enumerate(a):
            try:
                out[i] = np.linalg.inv(m)
            except np.linalg.LinAlgError:
                pass
        return out


def _zero_pivot(m) -> int:
    """LAPACK's info for a singular matrix: the 1-based index of the first zero pivot of
    the LU factorization with partial pivoting (n when none shows in this elimination)."""
    u = np.array(m, dtype=np.float64)
    n = u.shape[0]
    for k in range(n):
        p = k + int(np.argmax(np.abs(u[k:, k])))
        if u[p, k] == 0:
            return k + 1
        u[[k, p]] = u[[p, k]]
        u[k + 1:, k:] -= np.outer(u[k + 1:, k] / u[k, k], u[k, k:])
    return n


def _pack(*outs):
    return xp.concatenate([o.reshape(-1) for o in outs])


def _unpack(t: Tensor, shapes) -> list:
    out, start = [], 0
    for s in shapes:
        n = math.prod(s)
        out.append(t[start:start + n].reshape(tuple(s)))
        start += n
    return out


def _split(gy, shapes) -> list:
    out, start = [], 0
    for s in shapes:
        n = math.prod(s)
        out.append(gy[start:start + n].reshape(s))
        start += n
    return out


def _eye_like(a, n):
    return xp.broadcast_to(xp.eye(n, dtype=a.dtype), a.shape[:-2] + (n, n))


def _wrap(a) -> Tensor:
    return Tensor._wrap(xp.asarray(a))


# --- determinant, inverse, solve ---------------------------------------------------------------
class Det(Function):
    """det(A) over the last two dims; d det / dA = adj(A)ᵀ (= det(A)·A⁻ᵀ when invertible)."""

    name = "det"
    formula = "det(A)·A⁻ᵀ (adj(A)ᵀ)"

    def forward(self, a):
        self.a = a
        return np.linalg.det(a) if a.shape[-1] else xp.ones(a.shape[:-2], a.dtype)

    def backward(self, gy):
        a = self.a
        if a.shape[-1] == 0:
            return xp.zeros_like(a)
        # the fast way, det(A)·A⁻ᵀ, for the well-conditioned matrices (1-norm condition
        # number below 1/√eps); the SVD form for the (nearly) singular rest
        flat = a.reshape((-1,) + a.shape[-2:])
        gflat = xp.broadcast_to(gy, a.shape[:-2]).reshape(-1)
        out = xp.empty_like(flat)
        good = xp.zeros(flat.shape[0], dtype=bool)
        d = np.linalg.det(flat)
        ok = d != 0
        if ok.any():
            with np.errstate(all="ignore"):
                inv = _safe_inv(flat[ok])
                cond = xp.abs(flat[ok]).sum(-2).max(-1) * xp.abs(inv).sum(-2).max(-1)
            fine = xp.isfinite(cond) & (cond < 1 / np.sqrt(np.finfo(a.dtype).eps))
            idx = np.flatnonzero(ok)[fine]
            out[idx] = (gflat[idx] * d[idx])[:, None, None] * _T(inv[fine])
            good[idx] = True
        if not good.all():
            out[~good] = self._adjugate_by_svd(flat[~good], gflat[~good])
        return out.reshape(a.shape)

    @staticmethod
    def _adjugate_by_svd(a, gy):
        """adj(A)ᵀ = det(U)·det(Vh)·U·diag(∏_{j≠i} s_j)·Vh: defined for a singular A too."""
        u, s, vh = np.linalg.svd(a)
        n = s.shape[-1]
        # ∏_{j≠i} s_j without dividing: products of the entries left and right of i
        left = xp.concatenate([xp.ones(s.shape[:-1] + (1,), s.dtype),
                               xp.cumprod(s[..., :-1], -1)], -1)
        right = xp.flip(xp.cumprod(xp.flip(s[..., 1:], -1), -1), -1)
        right = xp.concatenate([right, xp.ones(s.shape[:-1] + (1,), s.dtype)], -1)
        p = left * right if n else s
        sign = np.linalg.det(u) * np.linalg.det(vh)
        adj_t = (u * p[..., None, :]) @ vh
        return (gy * sign)[..., None, None] * adj_t


class LogAbsDet(Function):
    """log|det(A)|; d/dA = A⁻ᵀ."""

    name = "slogdet"
    formula = "A⁻ᵀ"

    def forward(self, a):
        self.a = a
        return np.linalg.slogdet(a)[1]

    def backward(self, gy):
        with np.errstate(all="ignore"):
            try:
                inv_t = _T(np.linalg.inv(self.a))
            except np.linalg.LinAlgError:
                inv_t = _T(np.linalg.pinv(self.a)) * np.inf
        return gy[..., None, None] * inv_t


class Inverse(Function):
    """A⁻¹; g_A = -A⁻ᵀ·g·A⁻ᵀ."""

    name = "inv"
    formula = "-inv(A)ᵀ·g·inv(A)ᵀ"

    def forward(self, a, what):
        self.inv = _inv(a, what)
        return self.inv

    def backward(self, gy):
        it = _T(self.inv)
        return -(it @ gy @ it), None


class Solve(Function):
    """X = A⁻¹·B (B a batch of matrices; vectors are given a trailing dim by the caller);
    g_B = A⁻ᵀ·g, g_A = -g_B·Xᵀ."""

    name = "solve"
    formula = ("-A⁻ᵀ·g·Xᵀ", "A⁻ᵀ·g")

    def forward(self, a, b, what):
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        a = xp.broadcast_to(a, batch + a.shape[-2:])
        b = xp.broadcast_to(b, batch + b.shape[-2:])
        try:
            x = np.linalg.solve(a, b)
        except np.linalg.LinAlgError:
            raise _singular(what, a) from None
        self.a, self.x = a, x
        return x

    def backward(self, gy):
        gb = np.linalg.solve(_T(self.a), gy)
        return -(gb @ _T(self.x)), gb


class SolveTriangular(Function):
    """X with tri(A)·X = B; g_B = tri(A)⁻ᵀ·g, g_A = tri(-g_B·Xᵀ) (the same triangle, and
    no diagonal when the diagonal is taken as ones)."""

    name = "solve_triangular"
    formula = ("tri(-A⁻ᵀ·g·Xᵀ)", "A⁻ᵀ·g")

    @staticmethod
    def _tri(a, b, upper, unit):
        tri = xp.triu(a) if upper else xp.tril(a)
        if unit:
            idx = np.arange(a.shape[-1])
            tri[..., idx, idx] = 1
        batch = np.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        return xp.broadcast_to(tri, batch + a.shape[-2:])

    def forward(self, a, b, upper, unit):
        tri = self._tri(a, b, upper, unit)
        batch = tri.shape[:-2]
        b = xp.broadcast_to(b, batch + b.shape[-2:])
        d = xp.diagonal(tri, 0, -2, -1)
        if d.size and not xp.all(d != 0):
            i = int(np.argmax((d == 0).reshape(-1, d.shape[-1]).any(-1)))
            raise LinAlgError(f"linalg.solve_triangular: the triangular matrix is singular (a "
                              f"zero on its diagonal){_where(tri, i)}")
        with np.errstate(all="ignore"):
            x = np.linalg.solve(tri, b) if tri.size else xp.zeros(b.shape, b.dtype)
        # A itself is kept (its triangle is rebuilt in backward), so changing A in place
        # before backward is refused, as in PyTorch, instead of going unnoticed
        self.a, self.x, self.upper, self.unit = a, x, upper, unit
        return x

    def backward(self, gy):
        tri = self._tri(self.a, gy, self.upper, self.unit)
        gb = np.linalg.solve(_T(tri), gy) if tri.size else xp.zeros_like(gy)
        ga = -(gb @ _T(self.x))
        k = 1 if self.unit else 0
        ga = xp.triu(ga, k) if self.upper else xp.tril(ga, -k)
        return ga, gb, None, None


# --- factorizations ----------------------------------------------------------------------------
def _not_pd(what, a):
    flat = a.reshape((-1,) + a.shape[-2:])
    for i, m in enumerate(flat):
        try:
            np.linalg.cholesky(m)
        except np.linalg.LinAlgError:
            order = next(k for k in range(1, m.shape[0] + 1)
                         if not _chol_ok(m[:k, :k]))
            return i, order
    return None, None


def _chol_ok(m) -> bool:
    """Does the Cholesky factorization of ``m`` succeed? NumPy's returns nan factors for a
    nan or inf input instead of failing; LAPACK's (PyTorch's) check fails there."""
    try:
        return bool(np.isfinite(np.linalg.cholesky(m)).all())
    except np.linalg.LinAlgError:
        return False


def _cholesky_lower(a):
    """Lower Cholesky factors, or (None, info) with info the order of the failing minor."""
    try:
        low = np.linalg.cholesky(a)
        if np.isfinite(low).all():
            return low, None
    except np.linalg.LinAlgError:
        pass
    flat = a.reshape((-1,) + a.shape[-2:])
    out = xp.zeros_like(flat)
    info = xp.zeros(flat.shape[0], dtype=np.int32)
    for i, m in enumerate(flat):
        if _chol_ok(m):
            out[i] = np.linalg.cholesky(m)
        else:
            info[i] = next(k for k in range(1, m.shape[0] + 1) if not _chol_ok(m[:k, :k]))
    return out.reshape(a.shape), info.reshape(a.shape[:-2])


class Cholesky(Function):
    """L with A = L·Lᵀ (the lower triangle of A is read); g_A = sym(L⁻ᵀ·Φ(Lᵀ·g)·L⁻¹)."""

    name = "cholesky"
    formula = "sym(L⁻ᵀ·Φ(Lᵀ·g)·L⁻¹)"

    def forward(self, a, upper, what, check):
        low, info = _cholesky_lower(a)
        if info is not None and check:
            bad = np.flatnonzero(info.reshape(-1))[0]
            raise LinAlgError(
                f"{what}: the factorization could not be completed because the input is not "
                f"positive-definite (the leading minor of order {info.reshape(-1)[bad]} is not "
                f"positive-definite){_where(a, bad)}")
        self.low, self.upper = low, upper
        self.info = info
        return _T(low) if upper else low

    def backward(self, gy):
        low = self.low
        g = _T(gy) if self.upper else gy
        n = low.shape[-1]
        if n == 0:
            return xp.zeros_like(low), None, None, None
        phi = xp.tril(_T(low) @ g)
        idx = np.arange(n)
        phi[..., idx, idx] *= 0.5
        linv = np.linalg.inv(low)
        ga = _T(linv) @ phi @ linv
        return 0.5 * (ga + _T(ga)), None, None, None


def _qr_grad_tall(q, r, gq, gr):
    """Gradient for A = Q R with m ≥ n (R square, invertible)."""
    m = r @ _T(gr) - _T(gq) @ q
    low = xp.tril(m, -1)
    copyltu = low + _T(low) + xp.diagonal(m, 0, -2, -1)[..., None] * xp.eye(m.shape[-1],
                                                                          dtype=m.dtype)
    b = gq + q @ copyltu
    # b·R⁻ᵀ = solve(R, bᵀ)ᵀ
    return _T(np.linalg.solve(r, _T(b)))


class QR(Function):
    """(Q, R) packed. Backward for the reduced (or square) factorization; a wide A = [X|Y]
    goes through X = Q·R₁ with g_Y = Q·g_R₂."""

    name = "qr"
    formula = "(g_Q + Q·copyltu(R·g_Rᵀ - g_Qᵀ·Q))·R⁻ᵀ"

    def forward(self, a, mode):
        q, r = np.linalg.qr(a, mode="complete" if mode == "complete" else "reduced")
        # A is not kept: the backward needs Q and R only (so, as in PyTorch, changing A in
        # place after the forward does not spoil it)
        self.q, self.r, self.mode, self.mn = q, r, mode, a.shape[-2:]
        self.shapes = [q.shape, r.shape]
        if mode == "r":
            self.shapes = [(0,), r.shape]
            return _pack(xp.zeros(0, a.dtype), r)
        return _pack(q, r)

    def backward(self, gy):
        gq, gr = _split(gy, self.shapes)
        q, r = self.q, self.r
        m, n = self.mn
        if self.mode == "r":
            raise RuntimeError("qr: the derivative of qr with mode='r' is not computed (Q is "
                               "not kept); use mode='reduced'")
        if self.mode == "complete" and m > n:
            raise RuntimeError("qr: the derivative of qr with mode='complete' is not defined "
                               "when the matrix has more rows than columns; use "
                               "mode='reduced'")
        if m >= n:
            return _qr_grad_tall(q, r, gq, gr), None
        r1, r2 = r[..., :, :m], r[..., :, m:]
        gr1, gr2 = gr[..., :, :m], gr[..., :, m:]
        y = q @ r2  # A = [X | Y] with Y = Q·R₂
        gy_ = q @ gr2
        gx = _qr_grad_tall(q, r1, gq + y @ _T(gr2), gr1)
        return xp.concatenate([gx, gy_], -1), None


class Eigh(Function):
    """(eigenvalues, eigenvectors) packed; g_A = V·(diag(g_λ) + skew(Vᵀg_V)/2 ⊘ E)·Vᵀ."""

    name = "eigh"
    formula = "V·(diag(g_λ) + skew(Vᵀ·g_V)/2 ⊘ (λ_j - λ_i))·Vᵀ"

    def forward(self, a, uplo, vectors):
        w, v = np.linalg.eigh(a, UPLO=uplo)
        self.w, self.v, self.vectors = w, v, vectors
        if not vectors:
            return w
        self.shapes = [w.shape, v.shape]
        return _pack(w, v)

    def backward(self, gy):
        w, v = self.w, self.v
        if not self.vectors:
            return (v * gy[..., None, :]) @ _T(v), None, None
        gw, gv = _split(gy, self.shapes)
        inner = xp.zeros(v.shape, v.dtype) if not gv.any() else _T(v) @ gv
        if gv.any():
            skew = 0.5 * (inner - _T(inner))
            e = w[..., None, :] - w[..., :, None]
            idx = np.arange(w.shape[-1])
            e[..., idx, idx] = 1
            with np.errstate(divide="ignore", invalid="ignore"):
                inner = skew / e
        idx = np.arange(w.shape[-1])
        inner[..., idx, idx] = gw
        return v @ inner @ _T(v), None, None


class SVD(Function):
    """(U, S, Vh) packed (or S alone); Townsend's gradient of the thin SVD."""

    name = "svd"
    formula = "U·[(skew(Uᵀg_U)⊘E)·S + S·(skew(Vᵀg_V)⊘E) + diag(g_S)]·Vᵀ + projections"

    def forward(self, a, full, vectors):
        m, n = a.shape[-2:]
        k = min(m, n)
        if a.size == 0:
            u = _eye_like(a, m)[..., :, : (m if full else k)].copy()
            vh = _eye_like(a, n)[..., : (n if full else k), :].copy()
            s = xp.zeros(a.shape[:-2] + (k,), a.dtype)
        else:
            u, s, vh = np.linalg.svd(a, full_matrices=full)
        self.u, self.s, self.vh, self.full, self.vectors = u, s, vh, full, vectors
        if not vectors:
            return s
        self.shapes = [u.shape, s.shape, vh.shape]
        return _pack(u, s, vh)

    def backward(self, gy):
        u, s, vh = self.u, self.s, self.vh
        m, n = u.shape[-2], vh.shape[-1]
        k = s.shape[-1]
        u, vh = u[..., :, :k], vh[..., :k, :]
        if not self.vectors:
            return (u * gy[..., None, :]) @ vh, None, None
        gu, gs, gvh = _split(gy, self.shapes)
        if self.full and m != n and (gu[..., :, k:].any() or gvh[..., k:, :].any()):
            raise RuntimeError("svd: the derivative of svd with full_matrices=True is not "
                               "defined for the extra columns of U or rows of Vh of a "
                               "non-square matrix; use full_matrices=False")
        gu, gvh = gu[..., :, :k], gvh[..., :k, :]
        v, gv = _T(vh), _T(gvh)
        idx = np.arange(k)
        inner = xp.zeros(s.shape + (k,), s.dtype)
        inner[..., idx, idx] = gs
        use_u, use_v = bool(gu.any()), bool(gv.any())
        if use_u or use_v:
            e = s[..., None, :] ** 2 - s[..., :, None] ** 2
            e[..., idx, idx] = 1
            with np.errstate(divide="ignore", invalid="ignore"):
                if use_u:
                    j = _T(u) @ gu
                    inner = inner + ((j - _T(j)) / e) * s[..., None, :]
                if use_v:
                    j = _T(v) @ gv
                    inner = inner + s[..., :, None] * ((j - _T(j)) / e)
        ga = u @ inner @ vh
        with np.errstate(divide="ignore", invalid="ignore"):
            if use_u and m > k:
                ga = ga + ((gu - u @ (_T(u) @ gu)) / s[..., None, :]) @ vh
            if use_v and n > k:
                ga = ga + u @ (_T(gv - v @ (_T(v) @ gv)) / s[..., :, None])
        return ga, None, None


class Pinv(Function):
    """Moore-Penrose pseudo-inverse P; g_A = -Pᵀ·g·Pᵀ + (I - A·P)·gᵀ·P·Pᵀ + Pᵀ·P·gᵀ·(I - P·A)."""

    name = "pinv"
    formula = "-Pᵀ·g·Pᵀ + (I-AP)·gᵀ·P·Pᵀ + Pᵀ·P·gᵀ·(I-PA)"

    def forward(self, a, atol, rtol, hermitian):
        m, n = a.shape[-2:]
        if a.size == 0:
            p = xp.zeros(a.shape[:-2] + (n, m), a.dtype)
        elif hermitian:
            w, v = np.linalg.eigh(a)
            tol = _tol(np.abs(w).max(-1), atol, rtol, a)
            keep = np.abs(w) > tol[..., None]
            with np.errstate(divide="ignore"):
                inv_w = xp.where(keep, 1 / xp.where(keep, w, 1), 0)
            p = (v * inv_w[..., None, :]) @ _T(v)
        else:
            u, s, vh = np.linalg.svd(a, full_matrices=False)
            tol = _tol(s[..., 0] if s.shape[-1] else s.sum(-1), atol, rtol, a)
            keep = s > tol[..., None]
            inv_s = xp.where(keep, 1 / xp.where(keep, s, 1), 0)
            p = (_T(vh) * inv_s[..., None, :]) @ _T(u)
        self.a, self.p = a, p
        return p

    def backward(self, gy):
        a, p = self.a, self.p
        pt, gt = _T(p), _T(gy)
        m, n = a.shape[-2:]
        ga = -(pt @ gy @ pt)
        ga = ga + (gt - a @ (p @ gt)) @ (p @ pt)
        ga = ga + (pt @ p) @ (gt - (gt @ p) @ a)
        del m, n
        return ga, None, None, None


def _tol(smax, atol, rtol, a):
    """max(atol, rtol·σ_max) with PyTorch's defaults (rtol = eps·max(m, n) when neither is
    given, 0 when only atol is)."""
    m, n = a.shape[-2:]
    if rtol is None:
        rtol = 0.0 if (atol is not None and _num(atol) > 0) else np.finfo(a.dtype).eps * max(m, n)
    atol = 0.0 if atol is None else atol
    return np.maximum(_arr(atol), _arr(rtol) * smax)


def _num(v):
    return float(np.max(_arr(v)))


def _arr(v):
    return v.data if isinstance(v, Tensor) else np.asarray(v)


# --- matrix exponential ------------------------------------------------------------------------
_PADE13 = (64764752532480000.0, 32382376266240000.0, 7771770303897600.0, 1187353796428800.0,
           129060195264000.0, 10559470521600.0, 670442572800.0, 33522128640.0, 1323241920.0,
           40840800.0, 960960.0, 16380.0, 182.0, 1.0)


def _expm(a):
    """exp(A) for a batch of square matrices: scaling and squaring with a [13/13] Padé
    approximant (Higham 2005)."""
    n = a.shape[-1]
    if a.size == 0:
        return a.copy()
    work = a.astype(np.float64)
    norm1 = np.abs(work).sum(-2).max(-1)
    finite = np.isfinite(norm1)  # a matrix holding inf or nan gives nan (no endless squaring)
    work = np.where(finite[..., None, None], work, 0.0)
    norm1 = np.where(finite, norm1, 0.0)
    s = np.maximum(0, np.ceil(np.log2(np.maximum(norm1, 1e-300) / 5.371920351148152))).astype(int)
    work = work / (2.0 ** s)[..., None, None]
    b = _PADE13
    eye = np.broadcast_to(np.eye(n), work.shape)
    a2 = work @ work
    a4 = a2 @ a2
    a6 = a4 @ a2
    u = work @ (a6 @ (b[13] * a6 + b[11] * a4 + b[9] * a2) + b[7] * a6 + b[5] * a4
                + b[3] * a2 + b[1] * eye)
    v = a6 @ (b[12] * a6 + b[10] * a4 + b[8] * a2) + b[6] * a6 + b[4] * a4 + b[2] * a2 + b[0] * eye
    r = np.linalg.solve(v - u, v + u)
    smax = int(s.max()) if s.size else 0
    for k in range(smax):
        with np.errstate(over="ignore", invalid="ignore"):  # exp overflows to inf, as in PyTorch
            sq = r @ r
        r = np.where((k < s)[..., None, None], sq, r)
    r = np.where(finite[..., None, None], r, np.nan)
    return r.astype(a.dtype)


class MatrixExp(Function):
    """exp(A) = Σ Aᵏ/k!; g_A = the upper-right block of exp([[Aᵀ, g], [0, Aᵀ]])."""

    name = "matrix_exp"
    formula = "exp([[Aᵀ, g], [0, Aᵀ]])[:n, n:]"

    def forward(self, a):
        self.a = a
        return _expm(a)

    def backward(self, gy):
        a = self.a
        n = a.shape[-1]
        at = _T(a)
        big = xp.zeros(gy.shape[:-2] + (2 * n, 2 * n), dtype=a.dtype)
        big[..., :n, :n] = at
        big[..., n:, n:] = at
        big[..., :n, n:] = gy
        return _expm(big)[..., :n, n:]


# --- vector norm, cross, block_diag ---------------------------------------------------------
class VectorNorm(Function):
    """‖x‖_ord over ``dims``; d/dx = sign(x)·|x|^(ord-1) / ‖x‖^(ord-1) (x/‖x‖ for 2, 0 where
    the norm is 0; inf/-inf: the extreme entries share the gradient)."""

    name = "vector_norm"
    formula = "sign(x)·|x|^(p-1) / ‖x‖^(p-1)"

    def forward(self, x, ord, dims, keepdim):
        self.x, self.ord, self.dims = x, ord, dims
        if ord == 2:
            nrm = xp.sqrt((x * x).sum(dims, keepdims=True))
            self.nrm = nrm
            return nrm if keepdim else nrm.squeeze(dims)
        a = xp.abs(x)
        if ord == 1:
            nrm = a.sum(dims, keepdims=True)
        elif ord == np.inf:
            nrm = a.max(dims, keepdims=True, initial=0)
        elif ord == -np.inf:
            nrm = a.min(dims, keepdims=True, initial=np.inf)
        elif ord == 0:
            nrm = (a != 0).sum(dims, keepdims=True).astype(x.dtype)
        else:
            with np.errstate(divide="ignore"):
                nrm = (a ** ord).sum(dims, keepdims=True) ** (1.0 / ord)
        self.nrm = nrm
        return nrm if keepdim else nrm.squeeze(dims)

    def backward(self, gy):
        x, nrm, ord, dims = self.x, self.nrm, self.ord, self.dims
        g = gy.reshape(nrm.shape)
        if ord == 0:
            return xp.zeros_like(x), None, None, None
        if ord == 1:
            return xp.sign(x) * g, None, None, None
        if ord in (np.inf, -np.inf):
            hit = (xp.abs(x) == nrm).astype(x.dtype)
            cnt = hit.sum(dims, keepdims=True)
            return xp.sign(x) * hit * g / xp.maximum(cnt, 1), None, None, None
        with np.errstate(divide="ignore", invalid="ignore"):
            if ord == 2:
                d = x / nrm
            else:
                d = xp.sign(x) * xp.abs(x) ** (ord - 1) / nrm ** (ord - 1)
        d = xp.where(nrm == 0, 0, d)
        return d * g, None, None, None


class Cross(Function):
    """a × b along ``dim`` (size 3); g_a = b × g, g_b = g × a."""

    name = "cross"
    formula = ("{1} × g", "g × {0}")

    def forward(self, a, b, dim):
        batch = np.broadcast_shapes(a.shape, b.shape)
        self.a, self.b, self.dim = xp.broadcast_to(a, batch), xp.broadcast_to(b, batch), dim
        return xp.cross(self.a, self.b, axis=dim)

    def backward(self, gy):
        d = self.dim
        return xp.cross(self.b, gy, axis=d), xp.cross(gy, self.a, axis=d), None


class BlockDiag(Function):
    """The inputs (as 2-D blocks) on the diagonal of one matrix; each gradient is its block."""

    name = "block_diag"
    formula = 1.0

    def forward(self, *blocks):
        shapes = [b.shape for b in blocks]
        dt = np.result_type(*blocks) if blocks else np.float32
        out = xp.zeros((sum(s[0] for s in shapes), sum(s[1] for s in shapes)), dtype=dt)
        r = c = 0
        self.spots = []
        for b in blocks:
            h, w = b.shape
            out[r:r + h, c:c + w] = b
            self.spots.append((r, c, h, w))
            r, c = r + h, c + w
        return out

    def backward(self, gy):
        return tuple(gy[r:r + h, c:c + w] for r, c, h, w in self.spots)


# === public functions ========================================================================
def _square(x, what):
    return _matrix(x, what, "A", square=True)


@op("linalg.det", top=False, method=False, records=(Det,))
def linalg_det(A) -> Tensor:  # noqa: N803 - PyTorch's names
    """det(A) for ``(..., n, n) -> (...)``."""
    return Det.apply(_square(A, "linalg.det"))


@op(records=(Det,))
def det(input) -> Tensor:  # noqa: A002
    """Determinant of a (batch of) square matrices, ``(..., n, n) -> (...)``."""
    return Det.apply(_square(input, "det"))


def _slogdet(a: Tensor, what):
    a = _square(a, what)
    sign = _wrap(np.linalg.slogdet(a.data)[0].astype(a.data.dtype)) if a.data.size or \
        a.shape[-1] == 0 else _wrap(xp.ones(a.shape[:-2], a.data.dtype))
    return sign, LogAbsDet.apply(a)


@op("linalg.slogdet", top=False, method=False, records=(LogAbsDet,))
def linalg_slogdet(A):  # noqa: N803
    """(sign, logabsdet) with det(A) = sign·exp(logabsdet); sign is 0 for a singular A."""
    return LinalgSlogdet(*_slogdet(A, "linalg.slogdet"))


@op(records=(LogAbsDet,))
def slogdet(input):  # noqa: A002
    """(sign, logabsdet) of a (batch of) square matrices."""
    return SlogdetResult(*_slogdet(input, "slogdet"))


@op(records=(LogAbsDet,))
def logdet(input) -> Tensor:  # noqa: A002
    """log(det(A)): nan where det < 0, -inf where det = 0."""
    sign, lad = _slogdet(input, "logdet")
    shift = xp.where(sign.data < 0, np.nan, 0).astype(lad.data.dtype)
    return lad + _wrap(shift)


def _inv_public(A, what):
    return Inverse.apply(_square(A, what), what)


@op("linalg.inv", top=False, method=False, records=(Inverse,))
def linalg_inv(A) -> Tensor:  # noqa: N803
    """A⁻¹ of a (batch of) square matrices; a singular one raises :class:`LinAlgError`."""
    return _inv_public(A, "linalg.inv")


@op(records=(Inverse,))
def inverse(input) -> Tensor:  # noqa: A002
    """A⁻¹ of a (batch of) square matrices (``torch.inverse``)."""
    return _inv_public(input, "inverse")


@op("linalg.inv_ex", top=False, method=False, records=(Inverse,))
def linalg_inv_ex(A, *, check_errors: bool = False):  # noqa: N803
    """(inverse, info): info is 0, or (for a singular matrix) nonzero, and the inverse
    then holds non-finite values, unless ``check_errors`` raises."""
    a = _square(A, "linalg.inv_ex")
    try:
        np.linalg.inv(a.data)
        return LinalgInvEx(Inverse.apply(a, "linalg.inv_ex"),
                           _wrap(xp.zeros(a.shape[:-2], np.int32)))
    except np.linalg.LinAlgError:
        if check_errors:
            raise _singular("linalg.inv_ex", a.data) from None
    flat = a.data.reshape((-1,) + a.shape[-2:])
    info = xp.zeros(flat.shape[0], np.int32)
    out = xp.empty_like(flat)
    for i, m in enumerate(flat):
        try:
            out[i] = np.linalg.inv(m)
        except np.linalg.LinAlgError:
            out[i] = np.nan
            info[i] = _zero_pivot(m)
    return LinalgInvEx(_wrap(out.reshape(a.shape)), _wrap(info.reshape(a.shape[:-2])))


def _solve(A, B, left, what) -> Tensor:  # noqa: N803
    a = _square(A, what)
    b = _float_input(B, what, "B")
    if b.ndim == 0:
        raise ArgumentError(f"{what}: B must have at least 1 dimension, got a 0-d tensor")
    n = a.shape[-1]
    vec = left and (b.ndim == 1 or (b.ndim == a.ndim - 1 and tuple(b.shape) == tuple(a.shape[:-1])))
    if vec:
        bm = b.unsqueeze(-1)
    elif b.ndim < 2:  # X·A = B takes no vector B (PyTorch's rule)
        raise ArgumentError(f"{what}: A {tuple(a.shape)} and B {tuple(b.shape)} do not match: "
                            f"with left=False B must be a (batch of) matrices (..., k, {n})")
    else:
        bm = b if left else b.transpose(-1, -2)
    if bm.ndim < 2 or bm.shape[-2] != n:
        raise ArgumentError(f"{what}: A {tuple(a.shape)} and B {tuple(b.shape)} do not match: B "
                            f"needs {n} {'rows' if left else 'columns'}")
    if a.dtype != b.dtype:
        raise DtypeError(f"{what}: A and B must have the same dtype, got {a.dtype} and {b.dtype}")
    try:
        np.broadcast_shapes(tuple(a.shape[:-2]), tuple(bm.shape[:-2]))
    except ValueError:
        raise ArgumentError(f"{what}: the batch dims of A {tuple(a.shape)} and B {tuple(b.shape)} "
                            f"cannot be broadcast") from None
    if left:
        x = Solve.apply(a, bm, what)
        return x.squeeze(-1) if vec else x
    return Solve.apply(a.transpose(-1, -2), bm, what).transpose(-1, -2)


@op("linalg.solve", top=False, method=False, records=(Solve,))
def linalg_solve(A, B, *, left: bool = True) -> Tensor:  # noqa: N803
    """X with A·X = B (``left=False``: X·A = B). B may be a (batch of) vector(s)."""
    return _solve(A, B, left, "linalg.solve")


@op("linalg.solve_triangular", top=False, method=False, records=(SolveTriangular,))
def linalg_solve_triangular(A, B, *, upper: bool, left: bool = True,  # noqa: N803
                            unitriangular: bool = False) -> Tensor:
    """X with tri(A)·X = B for the upper or lower triangle of A (``left=False``: X·A = B)."""
    what = "linalg.solve_triangular"
    a = _square(A, what)
    b = _matrix(B, what, "B")
    n = a.shape[-1]
    if (b.shape[-2] if left else b.shape[-1]) != n:
        raise ArgumentError(f"{what}: A {tuple(a.shape)} and B {tuple(b.shape)} do not match: B "
                            f"needs {n} {'rows' if left else 'columns'}")
    if left:
        return SolveTriangular.apply(a, b, bool(upper), bool(unitriangular))
    return SolveTriangular.apply(a.transpose(-1, -2), b.transpose(-1, -2), not upper,
                                 bool(unitriangular)).transpose(-1, -2)


def _chol(A, upper, what, check):  # noqa: N803
    return Cholesky.apply(_square(A, what), bool(upper), what, check)


@op("linalg.cholesky", top=False, method=False, records=(Cholesky,))
def linalg_cholesky(A, *, upper: bool = False) -> Tensor:  # noqa: N803
    """L (lower) with A = L·Lᵀ, or U = Lᵀ with ``upper=True``; A must be symmetric
    positive-definite (its lower triangle is read)."""
    return _chol(A, upper, "linalg.cholesky", True)


@op(records=(Cholesky,))
def cholesky(input, upper: bool = False) -> Tensor:  # noqa: A002
    """Cholesky factor (``torch.cholesky``; prefer ``gn.linalg.cholesky``)."""
    return _chol(input, upper, "cholesky", True)


@op("linalg.cholesky_ex", top=False, method=False, records=(Cholesky,))
def linalg_cholesky_ex(A, *, upper: bool = False, check_errors: bool = False):  # noqa: N803
    """(L, info): info is 0, or the order of the leading minor that is not
    positive-definite (L then holds the factors of the matrices that succeeded)."""
    L = _chol(A, upper, "linalg.cholesky_ex", check_errors)  # noqa: N806
    node = L._ctx
    info = getattr(node, "info", None) if node is not None else None
    if info is None:
        a = _square(A, "linalg.cholesky_ex")
        info = _cholesky_lower(a.data)[1]
        if info is None:
            info = xp.zeros(a.shape[:-2], np.int32)
    return LinalgCholeskyEx(L, _wrap(info))


def _qr(A, mode, what):  # noqa: N803
    a = _matrix(A, what)
    if mode not in ("reduced", "complete", "r"):
        raise ArgumentError(f"{what}: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    m, n = a.shape[-2:]
    k = m if mode == "complete" else min(m, n)
    rows = m if mode == "complete" else k
    packed = QR.apply(a, mode)
    batch = tuple(a.shape[:-2])
    qshape = (0,) if mode == "r" else batch + (m, k)
    q, r = _unpack(packed, [qshape, batch + (rows, n)])
    return q, r


@op("linalg.qr", top=False, method=False, records=(QR,))
def linalg_qr(A, mode: str = "reduced"):  # noqa: N803
    """(Q, R) with A = Q·R, Q orthonormal columns, R upper triangular; ``mode``:
    'reduced' (Q: (m, k), R: (k, n), k = min(m, n)), 'complete' (Q: (m, m)) or 'r' (Q empty)."""
    return LinalgQr(*_qr(A, mode, "linalg.qr"))


@op(records=(QR,))
def qr(input, some: bool = True):  # noqa: A002
    """(Q, R) (``torch.qr``): ``some=False`` gives the complete factorization."""
    return QrResult(*_qr(input, "reduced" if some else "complete", "qr"))


def _eigh(A, UPLO, vectors, what):  # noqa: N803
    a = _square(A, what)
    if UPLO not in ("L", "U"):
        raise ArgumentError(f"{what}: UPLO must be 'L' or 'U', got {UPLO!r}")
    out = Eigh.apply(a, UPLO, vectors)
    if not vectors:
        return out
    batch, n = tuple(a.shape[:-2]), a.shape[-1]
    return _unpack(out, [batch + (n,), batch + (n, n)])


@op("linalg.eigh", top=False, method=False, records=(Eigh,))
def linalg_eigh(A, UPLO: str = "L"):  # noqa: N803
    """(eigenvalues ascending, eigenvectors as columns) of a symmetric matrix (the ``UPLO``
    triangle is read). The gradient needs distinct eigenvalues."""
    return LinalgEigh(*_eigh(A, UPLO, True, "linalg.eigh"))


@op("linalg.eigvalsh", top=False, method=False, records=(Eigh,))
def linalg_eigvalsh(A, UPLO: str = "L") -> Tensor:  # noqa: N803
    """Eigenvalues (ascending) of a symmetric matrix."""
    return _eigh(A, UPLO, False, "linalg.eigvalsh")


def _svd(A, full, what):  # noqa: N803
    a = _finite_for_svd(_matrix(A, what), what)
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = tuple(a.shape[:-2])
    packed = SVD.apply(a, bool(full), True)
    return _unpack(packed, [batch + (m, m if full else k), batch + (k,),
                            batch + (n if full else k, n)])


@op("linalg.svd", top=False, method=False, records=(SVD,))
def linalg_svd(A, full_matrices: bool = True, *, driver=None):  # noqa: N803
    """(U, S, Vh) with A = U·diag(S)·Vh, S descending. The gradient needs distinct singular
    values (and ``full_matrices=False`` for a non-square A)."""
    return LinalgSvd(*_svd(A, full_matrices, "linalg.svd"))


@op(records=(SVD,))
def svd(input, some: bool = True, compute_uv: bool = True):  # noqa: A002
    """(U, S, V) with A = U·diag(S)·Vᵀ (``torch.svd``: V, not Vh; ``some=True`` is the
    reduced factorization)."""
    if not compute_uv:
        s = svdvals(input)
        a = _as_tensor(input)
        m, n = a.shape[-2:]
        z = a.data.dtype
        # PyTorch returns zero-filled U (m, m) and V (n, n) here, whatever ``some`` says
        return SvdResult(_wrap(xp.zeros(a.shape[:-2] + (m, m), z)), s,
                         _wrap(xp.zeros(a.shape[:-2] + (n, n), z)))
    u, s, vh = _svd(input, not some, "svd")
    return SvdResult(u, s, vh.transpose(-1, -2))


@op("linalg.svdvals", top=False, method=False, records=(SVD,))
def svdvals(A, *, driver=None) -> Tensor:  # noqa: N803
    """Singular values, descending, ``(..., m, n) -> (..., min(m, n))``."""
    return SVD.apply(_finite_for_svd(_matrix(A, "linalg.svdvals"), "linalg.svdvals"), False,
                     False)


def _pinv(A, atol, rtol, hermitian, what):  # noqa: N803
    a = _matrix(A, what, square=hermitian)
    if not hermitian:
        _finite_for_svd(a, what)
    return Pinv.apply(a, atol, rtol, bool(hermitian))


@op("linalg.pinv", top=False, method=False, records=(Pinv,))
def linalg_pinv(A, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:  # noqa: N803
    """Moore-Penrose pseudo-inverse ``(..., m, n) -> (..., n, m)``; singular values at or
    below max(atol, rtol·σ_max) count as zero (default rtol = eps·max(m, n))."""
    return _pinv(A, atol, rtol, hermitian, "linalg.pinv")


@op(records=(Pinv,))
def pinverse(input, rcond: float = 1e-15) -> Tensor:  # noqa: A002
    """Pseudo-inverse (``torch.pinverse``): singular values below rcond·σ_max are dropped."""
    return _pinv(input, None, rcond, False, "pinverse")


@op("linalg.lstsq", top=False, method=False, records=(Pinv,))
def linalg_lstsq(A, B, rcond=None, *, driver=None):  # noqa: N803
    """Least squares: (solution, residuals, rank, singular_values) as PyTorch's default CPU
    driver 'gelsy' gives them (residuals only when m > n and every A has full rank;
    singular_values empty). The solution is the minimum-norm one, pinv(A)·B."""
    what = "linalg.lstsq"
    if driver not in (None, "gelsy", "gelsd", "gelss", "gels"):
        raise ArgumentError(f"{what}: driver must be one of 'gels', 'gelsy', 'gelsd', 'gelss', "
                            f"got {driver!r}")
    a = _matrix(A, what)
    b = _float_input(B, what, "B")
    if a.dtype != b.dtype:
        raise DtypeError(f"{what}: A and B must have the same dtype, got {a.dtype} and "
                         f"{b.dtype}")
    m, n = a.shape[-2:]
    vec = b.ndim == a.ndim - 1
    bm = b.unsqueeze(-1) if vec else b
    if bm.ndim < 2 or bm.shape[-2] != m:
        raise ArgumentError(f"{what}: A {tuple(a.shape)} and B {tuple(b.shape)} do not match: B "
                            f"needs {m} rows")
    eps = np.finfo(a.data.dtype).eps
    rtol = eps * max(m, n) if rcond is None or rcond < 0 else rcond
    x = _pinv(a, None, rtol, False, what) @ bm
    s = np.linalg.svd(a.data, compute_uv=False) if a.data.size else \
        xp.zeros(a.shape[:-2] + (min(m, n),), a.data.dtype)
    smax = s[..., :1] if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), s.dtype)
    rank = (s > rtol * smax).sum(-1).astype(np.int64)
    drv = driver or "gelsy"
    if m > n and drv != "gelsy" and bool(np.all(rank == n)):
        res = ((a @ x - bm) ** 2).sum(-2)
        if vec:
            res = res.squeeze(-1)
    else:
        res = _wrap(xp.zeros((0,), a.data.dtype))
    sv = _wrap(s) if drv in ("gelsd", "gelss") else _wrap(xp.zeros((0,), a.data.dtype))
    rk = _wrap(rank) if drv != "gels" else _wrap(xp.zeros((0,), np.int64))
    return LinalgLstsq(x.squeeze(-1) if vec else x, res, rk, sv)


@op("linalg.matrix_rank", top=False, method=False)
def linalg_matrix_rank(A, *, atol=None, rtol=None, hermitian: bool = False) -> Tensor:  # noqa: N803
    """The number of singular values above max(atol, rtol·σ_max) (int64)."""
    a = _matrix(A, "linalg.matrix_rank", square=hermitian)
    if not hermitian:
        _finite_for_svd(a, "linalg.matrix_rank")
    m, n = a.shape[-2:]
    if a.data.size == 0:
        return _wrap(xp.zeros(a.shape[:-2], np.int64))
    s = np.abs(np.linalg.eigvalsh(a.data)) if hermitian else \
        np.linalg.svd(a.data, compute_uv=False)
    tol = _tol(s.max(-1), atol, rtol, a.data)
    return _wrap((s > tol[..., None]).sum(-1).astype(np.int64))


@op(records=(MatrixExp,))
def matrix_exp(input) -> Tensor:  # noqa: A002
    """exp(A) = Σₖ Aᵏ/k! of a (batch of) square matrices."""
    return MatrixExp.apply(_square(input, "matrix_exp"))


@op()
def matrix_power(input, n: int) -> Tensor:  # noqa: A002
    """Aⁿ by repeated squaring; n = 0 gives the identity, n < 0 the power of A⁻¹."""
    a = _as_tensor(input)
    if a.data.dtype.kind in "iu":  # integer matrices have non-negative powers (PyTorch too)
        _matrix(a.float(), "matrix_power", square=True)
    else:
        a = _matrix(a, "matrix_power", square=True, lapack=False)
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise DtypeError(f"matrix_power: n must be an integer, got {type(n).__name__}")
    n = int(n)
    if n < 0 and a.data.dtype.kind != "f":
        raise DtypeError(f"matrix_power: a negative power (n={n}) inverts A, which needs a "
                         f"floating point matrix, got {a.dtype} (convert it first, e.g. "
                         f"A.double())")
    if n == 0:
        eye = xp.broadcast_to(xp.eye(a.shape[-1], dtype=a.data.dtype), tuple(a.shape)).copy()
        return _wrap(eye)
    if n < 0:
        a, n = _inv_public(a, "matrix_power"), -n
    result, base = None, a
    while n:
        if n & 1:
            result = base if result is None else result @ base
        n >>= 1
        if n:
            base = base @ base
    return result


@op(records=(Cross,))
def cross(input, other, dim=None) -> Tensor:  # noqa: A002
    """Cross product of 3-vectors along ``dim`` (default: the first dim of size 3)."""
    return _cross(input, other, dim, "cross")


def _cross(input, other, dim, what):  # noqa: A002
    a = _float_or_int(input)
    b = _as_tensor(other, a)
    if a.data.dtype != b.data.dtype:
        raise DtypeError(f"{what}: input and other must have the same dtype, got {a.dtype} "
                         f"and {b.dtype}")
    try:
        shape = np.broadcast_shapes(tuple(a.shape), tuple(b.shape))
    except ValueError:
        raise ArgumentError(f"{what}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                            f"broadcast") from None
    if dim is None:
        dim = next((i for i, s in enumerate(shape) if s == 3), None)
        if dim is None:
            raise ArgumentError(f"{what}: no dimension of size 3 in shape {shape}")
    nd = len(shape)
    if not -nd <= dim < nd:
        raise IndexError(f"{what}: dim {dim} out of range for {nd} dims")
    if a.ndim != b.ndim:
        raise ArgumentError(f"{what}: input {tuple(a.shape)} and other {tuple(b.shape)} must have "
                            f"the same number of dimensions")
    d = dim % nd
    for t in (a, b):  # each needs the full 3 at dim (broadcasting a 1 there is no cross product)
        k = d - (nd - t.ndim)
        if k < 0 or t.shape[k] != 3:
            raise ArgumentError(f"{what}: input {tuple(a.shape)} and other {tuple(b.shape)} need "
                                f"size 3 at dim {dim}")
    return Cross.apply(a, b, d)


def _float_or_int(x):
    return _as_tensor(x)


@op("linalg.cross", top=False, method=False, records=(Cross,))
def linalg_cross(input, other, *, dim: int = -1) -> Tensor:  # noqa: A002
    """Cross product along ``dim`` (default the last, which must have size 3)."""
    return _cross(input, other, dim, "linalg.cross")


@op("linalg.vector_norm", top=False, method=False, records=(VectorNorm,))
def vector_norm(x, ord=2, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: A002
    """‖x‖_ord over ``dim`` (all dims when None), ord any real, inf or -inf; 0 counts the
    non-zeros."""
    t = _float_input(x, "linalg.vector_norm", "x")
    if isinstance(ord, Tensor) and ord.ndim == 0:  # PyTorch takes a 0-d tensor as a number
        ord = ord.item()  # noqa: A001
    if dtype is not None:
        t = t.to(_widened(t, dtype, "linalg.vector_norm"))
    if isinstance(ord, str) or not isinstance(ord, (int, float, np.number)):
        # (a TypeError, as PyTorch: 'fro' and 'nuc' are matrix norms)
        raise DtypeError(f"linalg.vector_norm: ord must be a number, got {ord!r}")
    nd = t.ndim
    if dim is None or (not isinstance(dim, (int, np.integer)) and len(dim) == 0):
        dims = tuple(range(nd))  # dim=() reduces over every dim too, as in PyTorch
    else:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        for d in dims:
            if not -max(nd, 1) <= d < max(nd, 1):
                raise IndexError(f"linalg.vector_norm: dim {d} out of range for {nd} dims "
                                 f"(expected to be in [{-max(nd, 1)}, {max(nd, 1) - 1}])")
        norm = [d % max(nd, 1) for d in dims]
        if len(set(norm)) != len(norm):
            raise ArgumentError(f"linalg.vector_norm: dim {dims} names a dim more than once")
        dims = tuple(sorted(norm)) if nd else ()
    if ord < 0 or ord == np.inf:
        for d in dims:
            if t.shape[d] == 0:
                raise ArgumentError(f"linalg.vector_norm: cannot compute the {ord} norm over the "
                                    f"empty dim {d} (shape {tuple(t.shape)})")
    return VectorNorm.apply(t, float(ord), dims, bool(keepdim))


@op("linalg.matrix_norm", top=False, method=False, records=(VectorNorm, SVD))
def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: N803, A002
    """Matrix norm over the two dims ``dim``: 'fro', 'nuc', inf, -inf, 1, -1, 2, -2."""
    what = "linalg.matrix_norm"
    a = _float_input(A, what)
    if dtype is not None:
        a = a.to(_widened(a, dtype, what))
    if a.ndim < 2:
        raise ArgumentError(f"{what}: A must have at least 2 dimensions, got shape "
                            f"{tuple(a.shape)}")
    if isinstance(dim, (int, np.integer)) or len(tuple(dim)) != 2:
        raise ArgumentError(f"{what}: dim must be a pair of dims (a 2-tuple), got {dim}")
    dim = tuple(dim)
    for d in dim:
        if not -a.ndim <= int(d) < a.ndim:
            raise IndexError(f"{what}: dim {d} out of range for a tensor of {a.ndim} dims "
                             f"(expected to be in [{-a.ndim}, {a.ndim - 1}])")
    d0, d1 = (int(d) % a.ndim for d in dim)
    if d0 == d1:
        raise ArgumentError(f"{what}: dim must name two different dims, got {dim}")
    if ord == "fro":
        return vector_norm(a, 2, (d0, d1), keepdim)
    if ord not in ("nuc", 1, -1, 2, -2, np.inf, -np.inf):
        raise ArgumentError(f"{what}: ord must be 'fro', 'nuc', inf, -inf, 1, -1, 2 or -2, got "
                            f"{ord!r}")
    if ord in ("nuc", 2, -2):
        m = _finite_for_svd(a.movedim((d0, d1), (-2, -1)), what)
        s = svdvals(m)
        if ord != "nuc" and s.shape[-1] == 0:
            _empty_extreme(what, ord, a, (d0, d1))
            out = s.sum(-1)  # the 2-norm of an empty matrix is 0 (the identity of max)
        else:
            out = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
        if keepdim:
            for d in sorted((d0, d1)):
                out = out.unsqueeze(d)
        return out
    # 1 / -1: max / min column sum (sum over d0); inf / -inf: row sums (over d1)
    first, second = (d0, d1) if ord in (1, -1) else (d1, d0)
    sums = a.abs().sum(first, keepdim=True)
    if a.shape[second] == 0:
        _empty_extreme(what, ord, a, (second,))
        out = sums.sum(second, keepdim=True)  # max over nothing: 0
    else:
        out = sums.amax(second, keepdim=True) if ord > 0 else sums.amin(second, keepdim=True)
    return out if keepdim else out.squeeze((d0, d1))


def _empty_extreme(what, ord, a, dims):  # noqa: A002
    """A max over no values is 0 (every norm is non-negative); a min over none has no
    identity: PyTorch raises IndexError there, and so does glassnet."""
    if ord in (-1, -2, -np.inf):
        raise IndexError(f"{what}: ord={ord} takes a minimum over the empty dim(s) {dims} of "
                         f"A (shape {tuple(a.shape)}), which has no value")


def _widened(t: Tensor, dtype, what: str):
    """``dtype`` if ``t`` converts to it without narrowing (float32 -> float64), else an
    error (float64 -> float32, or any integer dtype), as PyTorch's ``dtype=`` rule."""
    from .. import dtypes

    want = np.dtype(dtypes.to_numpy(dtype))
    if want.kind != "f":
        raise DtypeError(f"{what}: dtype should be floating point, but got {dtype}")
    if not np.can_cast(t.data.dtype, want, "safe"):
        raise DtypeError(f"{what}: the dtype of the input ({t.dtype}) should be convertible "
                         f"without narrowing to the specified dtype ({dtype})")
    return dtype


@op("linalg.norm", top=False, method=False, records=(VectorNorm, SVD))
def linalg_norm(A, ord=None, dim=None, keepdim: bool = False, *, dtype=None) -> Tensor:  # noqa: N803, A002
    """``torch.linalg.norm``: a vector norm for one dim (or all, flattened, when ord is None
    and dim is None), a matrix norm for two dims or a string ord."""
    a = _float_input(A, "linalg.norm")
    if dim is not None and not isinstance(dim, (int, np.integer)):
        dim = tuple(dim)
        if len(dim) == 1:
            dim = dim[0]
    if dim is None:
        if ord is None:
            return vector_norm(a, 2, None, keepdim, dtype=dtype)
        if a.ndim == 2:
            return matrix_norm(a, ord, (-2, -1), keepdim, dtype=dtype)
        if a.ndim == 1:
            if isinstance(ord, str):
                raise ArgumentError(f"linalg.norm: ord {ord!r} is a matrix norm; the input is 1-D")
            return vector_norm(a, ord, None, keepdim, dtype=dtype)
        raise ArgumentError(f"linalg.norm: with ord given and dim None the input must be 1-D or "
                            f"2-D, got shape {tuple(a.shape)}")
    if isinstance(dim, tuple):
        if len(dim) != 2:
            raise ArgumentError(f"linalg.norm: dim must be an int or a pair, got {dim}")
        return matrix_norm(a, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    if isinstance(ord, str):
        raise ArgumentError(f"linalg.norm: ord {ord!r} needs two dims")
    return vector_norm(a, 2 if ord is None else ord, dim, keepdim, dtype=dtype)


@op(records=(VectorNorm,))
def dist(input, other, p=2) -> Tensor:  # noqa: A002
    """‖input - other‖_p over all elements (after broadcasting)."""
    a = _float_input(input, "dist", "input")
    return vector_norm(a - _float_input(_as_tensor(other, a), "dist", "other"), p)


@op(method=False)
def tensordot(a, b, dims=2) -> Tensor:
    """Contract the last ``dims`` dims of a with the first of b, or the listed pairs
    ``dims=([a dims], [b dims])``."""
    ta = _as_tensor(a)
    tb = _as_tensor(b, ta)
    if isinstance(dims, Tensor):
        dims = dims.data.tolist()
    if isinstance(dims, (int, np.integer)):
        k = int(dims)
        if k < 0 or k > min(ta.ndim, tb.ndim):
            raise ArgumentError(f"tensordot: dims must be between 0 and {min(ta.ndim, tb.ndim)}, "
                                f"got {k}")
        da, db = list(range(ta.ndim - k, ta.ndim)), list(range(k))
    else:
        da, db = ([d] if isinstance(d, (int, np.integer)) else list(d) for d in dims)
        if len(da) != len(db):
            raise ArgumentError(f"tensordot: both dim lists must have the same length, got {da} "
                                f"and {db}")
        da = [d % ta.ndim for d in da]
        db = [d % tb.ndim for d in db]
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    sa = list(letters[:ta.ndim])
    sb = list(letters[ta.ndim:ta.ndim + tb.ndim])
    for i, j in zip(da, db):
        if ta.shape[i] != tb.shape[j]:
            raise ArgumentError(f"tensordot: contracted dim {i} of a {tuple(ta.shape)} and dim {j} "
                                f"of b {tuple(tb.shape)} differ in size")
        sb[j] = sa[i]
    out = "".join(c for k, c in enumerate(sa) if k not in da) + \
        "".join(c for k, c in enumerate(sb) if k not in db)
    return einsum("".join(sa) + "," + "".join(sb) + "->" + out, ta, tb)


@op()
def cov(input, *, correction: int = 1, fweights=None, aweights=None) -> Tensor:  # noqa: A002
    """Covariance of the rows (variables) over the columns (observations) of a 1-D or 2-D
    tensor, ``(V, N) -> (V, V)``; frequency and analytic weights as in PyTorch."""
    x = _as_tensor(input)
    if x.ndim > 2:
        raise ArgumentError(f"cov: expected a 1-D or 2-D input (variables, observations), got "
                            f"shape {tuple(x.shape)}")
    if x.data.dtype.kind != "f":
        x = x.float()
    x2 = x.reshape(1, -1) if x.ndim < 2 else x
    n_obs = x2.shape[1]
    w = None
    for name, wt in (("fweights", fweights), ("aweights", aweights)):
        if wt is None:
            continue
        wt = _as_tensor(wt)
        if wt.ndim > 1 or wt.numel() != n_obs:
            raise ArgumentError(f"cov: {name} must be 1-D with {n_obs} entries (one per "
                                f"observation), got shape {tuple(wt.shape)}")
        if name == "fweights" and wt.data.dtype.kind == "f":
            raise DtypeError("cov: fweights must be integers")
        if bool((wt.data < 0).any()):
            raise ArgumentError(f"cov: {name} cannot be negative")
        wt = wt.to(x2.dtype) if wt.data.dtype != x2.data.dtype else wt
        w = wt if w is None else w * wt
    if w is None:
        avg = x2.mean(1)
        w_sum = float(n_obs)
        norm = float(n_obs - correction)
    else:
        w_sum = w.sum()
        avg = (x2 * w).sum(1) / w_sum
        if correction == 0:
            norm = w_sum
        elif aweights is None:
            norm = w_sum - correction
        else:
            aw = _as_tensor(aweights).to(x2.dtype)
            norm = w_sum - correction * (w * aw).sum() / w_sum
    if isinstance(norm, float):
        norm = max(norm, 0.0)
    else:
        norm = norm.clamp(min=0)
    xm = x2 - avg.unsqueeze(1)
    xw = xm if w is None else xm * w
    with np.errstate(divide="ignore", invalid="ignore"):
        c = (xw @ xm.transpose(0, 1)) / norm
    return c.squeeze() if c.shape[0] == 1 else c


@op()
def corrcoef(input) -> Tensor:  # noqa: A002
    """Pearson correlation coefficients of the rows, ``(V, N) -> (V, V)``, clipped to
    [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal(0, 0, 1)
    sd = d.sqrt()
    with np.errstate(divide="ignore", invalid="ignore"):  # a constant row gives nan, as in PyTorch
        c = c / sd.unsqueeze(1)
        c = c / sd.unsqueeze(0)
    return c.clamp(-1, 1)


@op(method=False, records=(BlockDiag,))
def block_diag(*tensors) -> Tensor:
    """The tensors (0-d: 1x1, 1-D: one row, 2-D) as blocks on the diagonal of one matrix."""
    ts = []
    like = next((t for t in tensors if isinstance(t, Tensor)), None)
    for i, t in enumerate(tensors):
        t = _as_tensor(t, like)
        if t.ndim > 2:
            raise ArgumentError(f"block_diag: tensor {i} has {t.ndim} dims; give 0-, 1- or 2-D "
                                f"tensors")
        ts.append(t.reshape(1, 1) if t.ndim == 0 else (t.reshape(1, -1) if t.ndim == 1 else t))
    if not ts:
        return _wrap(xp.zeros((1, 0), np.float32))
    # PyTorch's promotion: the widest float if any input is floating, else the widest int
    kinds = [t.data.dtype for t in ts]
    floats = [d for d in kinds if d.kind == "f"]
    dt = np.result_type(*floats) if floats else np.result_type(*kinds)
    ts = [t if t.data.dtype == dt else t.to(_gn_dtype(dt)) for t in ts]
    return BlockDiag.apply(*ts)


def _gn_dtype(dt):
    from .. import dtypes

    return dtypes.from_numpy(np.dtype(dt))


@op(method=False)
def cartesian_prod(*tensors) -> Tensor:
    """All combinations of the elements of 1-D tensors, ``(n1,), (n2,) -> (n1·n2, 2)`` (one
    tensor: itself)."""
    ts = [_as_tensor(t) for t in tensors]
    if not ts:
        raise ArgumentError("cartesian_prod: give at least one tensor")
    for i, t in enumerate(ts):
        if t.ndim != 1:
            raise ArgumentError(f"cartesian_prod: tensor {i} must be 1-D, got shape "
                                f"{tuple(t.shape)}")
    if len(ts) == 1:
        return ts[0]
    grids = np.indices([t.shape[0] for t in ts]).reshape(len(ts), -1)
    from .shape import stack

    return stack([t[grids[k]] for k, t in enumerate(ts)], 1)


@op(method=False)
def combinations(input, r: int = 2, with_replacement: bool = False) -> Tensor:  # noqa: A002
    """The length-``r`` combinations of a 1-D tensor's elements, as rows ``(C, r)``."""
    x = _as_tensor(input)
    if x.ndim != 1:
        raise ArgumentError(f"combinations: expected a 1-D tensor, got shape {tuple(x.shape)}")
    if r < 0:
        raise ArgumentError(f"combinations: r must be non-negative, got {r}")
    if r == 0:
        return _wrap(xp.zeros((0,), x.data.dtype))
    gen = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    idx = np.array(list(gen(range(x.shape[0]), r)), dtype=np.int64).reshape(-1, r)
    if idx.shape[0] == 0:
        return _wrap(xp.zeros((0, r), x.data.dtype))
    if r == 1:
        return x[idx[:, 0]]
    from .shape import stack

    return stack([x[idx[:, k]] for k in range(r)], 1)


@op()
def diagflat(input, offset: int = 0) -> Tensor:  # noqa: A002
    """The flattened input on the ``offset`` diagonal of a square matrix."""
    x = _as_tensor(input)
    return x.reshape(-1).diag(offset)


def _indices(row, col, offset, dtype, lower):
    from .. import dtypes

    for name, v in (("row", row), ("col", col)):
        if v < 0:
            raise ArgumentError(f"{'tril' if lower else 'triu'}_indices: {name} must be "
                                f"non-negative, got {v}")
    r, c = (np.tril_indices if lower else np.triu_indices)(row, offset, col)
    dt = np.int64 if dtype is None else dtypes.to_numpy(dtype)
    return _wrap(np.stack([r, c]).astype(dt).reshape(2, -1))


@op(method=False)
def tril_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None,
                 layout=None) -> Tensor:
    """The (2, N) row/column indices of the lower triangle of a row x col matrix."""
    return _indices(row, col, offset, dtype, True)


@op(method=False)
def triu_indices(row: int, col: int, offset: int = 0, *, dtype=None, device=None,
                 layout=None) -> Tensor:
    """The (2, N) row/column indices of the upper triangle of a row x col matrix."""
    return _indices(row, col, offset, dtype, False)


@op(inplace="addmv_")
def addmv(input, mat, vec, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """beta · input + alpha · (mat @ vec)."""
    from .linalg import mv

    return _scaled("addmv", input, beta, mv(mat, vec), alpha)


@op(inplace="addbmm_")
def addbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """beta · input + alpha · Σ_b batch1[b] @ batch2[b]."""
    from .linalg import bmm

    return _scaled("addbmm", input, beta, bmm(batch1, batch2).sum(0), alpha)


@op(inplace="addr_")
def addr(input, vec1, vec2, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """beta · input + alpha · outer(vec1, vec2)."""
    from .linalg import outer

    return _scaled("addr", input, beta, outer(vec1, vec2), alpha)


@op(method=False)
def vander(x, N=None, increasing: bool = False) -> Tensor:  # noqa: N803
    """Vandermonde matrix ``(n,) -> (n, N)``: columns x^(N-1), ..., x, 1 (increasing=False)."""
    t = _as_tensor(x)
    if t.ndim != 1:
        raise ArgumentError(f"vander: x must be 1-D, got shape {tuple(t.shape)}")
    n = t.shape[0] if N is None else int(N)
    if n < 0:
        raise ArgumentError(f"vander: N must be non-negative, got {N}")
    if t.data.dtype.kind in "bu" or t.data.dtype.kind == "i":
        t = t.long()
    if n == 0:
        return _wrap(xp.zeros((t.shape[0], 0), t.data.dtype))
    cols = [_wrap(xp.ones(t.shape, t.data.dtype))]
    for _ in range(n - 1):
        cols.append(cols[-1] * t)
    if not increasing:
        cols = cols[::-1]
    from .shape import stack

    return stack(cols, 1)


def _trap_parts(y, x, dx, dim, what):
    t = _as_tensor(y)
    if t.ndim == 0 or not -t.ndim <= int(dim) < t.ndim:
        raise IndexError(f"{what}: dim {dim} out of range for y of {t.ndim} dims (shape "
                         f"{tuple(t.shape)})")
    if t.data.dtype.kind != "f":
        t = t.float() if not isinstance(x, Tensor) or x.data.dtype.kind != "f" else t.to(x.dtype)
    d = int(dim) % t.ndim
    n = t.shape[d]
    lo = t.narrow(d, 0, max(n - 1, 0))
    hi = t.narrow(d, 1, max(n - 1, 0)) if n else lo
    avg = (lo + hi) * 0.5
    if x is not None:
        if dx is not None:
            raise ArgumentError(f"{what}: give x or dx, not both")
        xt = _as_tensor(x, t)
        if xt.ndim == 1:
            if xt.shape[0] != n:
                raise ArgumentError(f"{what}: x has {xt.shape[0]} points but y has {n} along dim "
                                    f"{dim}")
            shape = [1] * t.ndim
            shape[d] = max(n - 1, 0)
            steps = (xt[1:] - xt[:-1]).reshape(*shape) if n else xt[:0].reshape(*shape)
        else:
            xd = int(dim) % xt.ndim
            m = xt.shape[xd]
            steps = xt.narrow(xd, 1, max(m - 1, 0)) - xt.narrow(xd, 0, max(m - 1, 0))
        return avg * steps, d
    return avg * (1.0 if dx is None else dx), d


@op(method=False, aliases=("trapz",))
def trapezoid(y, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """Trapezoidal rule along ``dim``: Σ (x[i+1] - x[i]) (y[i] + y[i+1]) / 2 (spacing dx,
    default 1, when x is not given)."""
    parts, d = _trap_parts(y, x, dx, dim, "trapezoid")
    return parts.sum(d)


@op(method=False)
def cumulative_trapezoid(y, x=None, *, dx=None, dim: int = -1) -> Tensor:
    """The running trapezoidal sums along ``dim`` (one element fewer than y)."""
    parts, d = _trap_parts(y, x, dx, dim, "cumulative_trapezoid")
    return parts.cumsum(d)


class CholeskySolve(Function):
    """X = A⁻¹·B with A = L·Lᵀ (two triangular solves on L's triangle); the gradient is that
    of A⁻¹·B with A = L·Lᵀ formed from the whole L (PyTorch's convention):
    g_B = A⁻¹·g, g_L = -(g_B·Xᵀ + X·g_Bᵀ)·L (upper: -U·(...))."""

    name = "cholesky_solve"
    formula = ("A⁻¹·g", "-(A⁻¹g·Xᵀ + X·(A⁻¹g)ᵀ)·L")

    def forward(self, b, lt, upper):
        low = _T(xp.triu(lt)) if upper else xp.tril(lt)
        batch = np.broadcast_shapes(b.shape[:-2], lt.shape[:-2])
        low = xp.broadcast_to(low, batch + lt.shape[-2:])
        b = xp.broadcast_to(b, batch + b.shape[-2:])
        with np.errstate(all="ignore"):
            x = np.linalg.solve(_T(low), np.linalg.solve(low, b)) if low.size else \
                xp.zeros(b.shape, b.dtype)
        self.low, self.x, self.upper, self.lt = low, x, upper, lt
        return x

    def backward(self, gy):
        low, x = self.low, self.x
        gb = np.linalg.solve(_T(low), np.linalg.solve(low, gy)) if low.size else \
            xp.zeros_like(gy)
        common = gb @ _T(x)
        common = common + _T(common)
        lt = xp.broadcast_to(self.lt, common.shape[:-2] + self.lt.shape[-2:])
        gl = -(lt @ common) if self.upper else -(common @ lt)
        return gb, gl, None


@op(records=(CholeskySolve,))
def cholesky_solve(B, L, upper: bool = False) -> Tensor:  # noqa: N803
    """X with A·X = B, given A's Cholesky factor L (A = L·Lᵀ; ``upper=True``: A = Uᵀ·U);
    batches broadcast."""
    lt = _square(L, "cholesky_solve")
    b = _matrix(B, "cholesky_solve", "B")
    if b.shape[-2] != lt.shape[-1]:
        raise ArgumentError(f"cholesky_solve: B {tuple(b.shape)} needs {lt.shape[-1]} rows to "
                            f"match L {tuple(lt.shape)}")
    if b.dtype != lt.dtype:
        raise DtypeError(f"cholesky_solve: B and L must have the same dtype, got {b.dtype} and "
                        f"{lt.dtype}")
    return CholeskySolve.apply(b, lt, bool(upper))


@op()
def cholesky_inverse(L, upper: bool = False) -> Tensor:  # noqa: N803
    """A⁻¹ from A's Cholesky factor L (A = L·Lᵀ; ``upper=True``: A = Uᵀ·U)."""
    lt = _square(L, "cholesky_inverse")
    n = lt.shape[-1]
    eye = _wrap(xp.broadcast_to(xp.eye(n, dtype=lt.data.dtype), tuple(lt.shape)).copy())
    return cholesky_solve(eye, lt, upper)
