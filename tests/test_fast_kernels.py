"""The fused error-function kernels (``glassnet.ops._erf_numba``) and their NumPy fallbacks.

GELU (exact and tanh), erf, erfinv and ndtri run a numba loop when numba is there and
NumPy code under ``GLASSNET_KERNEL=numpy``; every test here runs both paths (the
``kernel`` fixture), against PyTorch and against exact values (Python's ``math.erfc``,
correct to about 1 ulp, or mpmath where PyTorch itself loses digits).
"""

from __future__ import annotations

import math
import subprocess
import sys
from types import SimpleNamespace

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from glassnet import special
from glassnet.ops import _special_math as sm
from glassnet.ops import elementwise as ew

DTYPES = [np.float32, np.float64]


@pytest.fixture(params=["numba", "numpy"])
def kernel(request, monkeypatch):
    if request.param == "numba":
        pytest.importorskip("numba")
    monkeypatch.setenv("GLASSNET_KERNEL", request.param)
    assert (sm.fast_kernels() is not None) == (request.param == "numba")
    return request.param


def _sample(dtype, n=2000, seed=0):
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.standard_normal(n) * 3, rng.standard_normal(n // 10) * 1e-3,
                        [0.0, -0.0, 1e-40, -1e-40, 5.0, -5.0, 10.0, -10.0, 30.0, -30.0]])
    return x.astype(dtype)


def _gelu_both(lib, x, approximate, gy):
    """(y, dx) of lib's GELU at x for output gradient gy (glassnet or torch)."""
    if lib is gn:
        t = gn.tensor(x, requires_grad=True)
        y = F.gelu(t, approximate=approximate)
        y.backward(gn.tensor(gy))
        return y.data, t.grad.data
    t = lib.tensor(x, requires_grad=True)
    y = lib.nn.functional.gelu(t, approximate=approximate)
    y.backward(lib.tensor(gy))
    return y.detach().numpy(), t.grad.numpy()


# --- GELU -------------------------------------------------------------------------------------

@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_gelu_values_and_gradients_match_torch(torch, kernel, dtype, approximate):
    x = _sample(dtype)
    gy = np.random.default_rng(1).standard_normal(x.shape).astype(dtype)
    y, gx = _gelu_both(gn, x, approximate, gy)
    ty, tgx = _gelu_both(torch, x, approximate, gy)
    assert y.dtype == dtype and gx.dtype == dtype
    eps = np.finfo(dtype).eps
    # PyTorch forms 1 + erf(x/√2) (and 1 + tanh u): its own error is a few eps of |x|,
    # all of it absolute, so the tolerance is too
    ax = np.abs(x.astype(np.float64))
    assert np.all(np.abs(y - ty) <= 4 * eps * np.abs(ty) + 4 * eps * ax)
    assert np.all(np.abs(gx - tgx) <= 4 * eps * np.abs(tgx) + 6 * eps * (1 + ax) * np.abs(gy))


def _exact_gelu(x, approximate):
    """y and dy/dx from Python's math (erfc to about 1 ulp; σ from e^(-2|u|))."""
    out = []
    for v in map(float, x):
        if approximate == "none":
            p = 0.5 * math.erfc(-v / math.sqrt(2))
            out.append((v * p, p + v * math.exp(-0.5 * v * v) / math.sqrt(2 * math.pi)))
        else:
            u = math.sqrt(2 / math.pi) * (v + 0.044715 * v ** 3)
            e = math.exp(-2 * abs(u))
            s, t = (1 / (1 + e), e / (1 + e)) if u >= 0 else (e / (1 + e), 1 / (1 + e))
            du = math.sqrt(2 / math.pi) * (1 + 3 * 0.044715 * v * v)
            out.append((v * s, s + 2 * v * s * t * du))
    return np.array(out).T


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_fused_gelu_keeps_its_digits_in_the_lower_tail(approximate):
    """Where y = x Φ(x) is tiny, 1 + erf(x/√2) cancels (PyTorch's float32 GELU is wrong by
    millions of ulp at x = -7); the fused loops work from erfc and stay within an ulp."""
    pytest.importorskip("numba")
    fast = sm.fast_kernels() if sm.fast_kernels() is not None else pytest.skip(
        "GLASSNET_KERNEL=numpy set for this run")
    assert fast is not None
    rng = np.random.default_rng(2)
    x32 = np.concatenate([-rng.uniform(0, 13, 400), rng.uniform(0, 6, 100)]).astype(np.float32)
    y_ref, d_ref = _exact_gelu(x32, approximate)
    y, d = _gelu_both(gn, x32, approximate, np.ones_like(x32))
    ulp = np.spacing(np.abs(y_ref).astype(np.float32)).astype(np.float64)
    assert np.all(np.abs(y - y_ref) <= 1.0 * ulp)
    # dy/dx crosses 0 near x = -0.75, where the 2e-9 relative error of the erfc fit (on
    # Φ(-|x|) ≤ 1/2) is absolute: hence the 1e-9
    ulp = np.spacing(np.abs(d_ref).astype(np.float32)).astype(np.float64)
    assert np.all(np.abs(d - d_ref) <= ulp + 1e-9)
    x64 = -rng.uniform(0, 37, 300)  # Φ(-37) ~ 6e-300
    y_ref, d_ref = _exact_gelu(x64, approximate)
    y, d = _gelu_both(gn, x64, approximate, np.ones_like(x64))
    np.testing.assert_allclose(y, y_ref, rtol=5e-13, atol=0)
    np.testing.assert_allclose(d, d_ref, rtol=5e-13, atol=1e-300)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
@pytest.mark.parametrize("dtype", DTYPES)
def test_gelu_edge_values(torch, kernel, dtype, approximate):
    """±0, ±inf, NaN, subnormals, huge: the values PyTorch gives. The fused loops compute
    float32 in float64, so they give what PyTorch gives in float64 (PyTorch's float32
    tanh form overflows x³ into NaN gradients from |x| ~ 1e13 on; the NumPy path, the
    same formula as PyTorch's, does too)."""
    x = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-40, 1e-300, 1e30, -1e30,
                  3e38, -3e38], dtype=dtype)
    ref_dtype = np.float64 if kernel == "numba" else dtype
    with np.errstate(all="ignore"):
        y, gx = _gelu_both(gn, x, approximate, np.ones_like(x))
        ty, tgx = _gelu_both(torch, x.astype(ref_dtype), approximate, np.ones(x.shape, ref_dtype))
    np.testing.assert_array_equal(y, ty.astype(dtype))
    np.testing.assert_array_equal(gx, tgx.astype(dtype))


def test_gelu_layouts_and_shapes(kernel):
    """Transposed and strided inputs, 0-d and empty tensors give the contiguous answer."""
    base = np.random.default_rng(3).standard_normal((6, 8)).astype(np.float32)
    for approximate in ("none", "tanh"):
        ref = F.gelu(gn.tensor(np.ascontiguousarray(base.T)), approximate=approximate).data
        np.testing.assert_array_equal(F.gelu(gn.tensor(base.T), approximate=approximate).data,
                                      ref)
        sl = base[::2, 1::3]
        np.testing.assert_array_equal(F.gelu(gn.tensor(sl), approximate=approximate).data,
                                      F.gelu(gn.tensor(sl.copy()), approximate=approximate).data)
        s = gn.tensor(np.float32(0.5), requires_grad=True)
        y = F.gelu(s, approximate=approximate)
        y.backward()
        assert y.shape == () and s.grad.shape == ()
        e = gn.tensor(np.zeros((0, 3), np.float32), requires_grad=True)
        ye = F.gelu(e, approximate=approximate)
        ye.sum().backward()
        assert ye.shape == (0, 3) and e.grad.shape == (0, 3)


def test_gelu_without_grad_mode_and_float16(kernel):
    x = np.linspace(-4, 4, 33).astype(np.float32)
    with gn.no_grad():
        y0 = F.gelu(gn.tensor(x, requires_grad=True)).data
    np.testing.assert_array_equal(y0, F.gelu(gn.tensor(x)).data)
    h = F.gelu(gn.tensor(x.astype(np.float16)))  # not a fused dtype: NumPy, float16 kept
    assert h.data.dtype == np.float16
    np.testing.assert_allclose(h.data, y0, rtol=2e-3, atol=2e-3)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu_gradcheck(kernel, approximate):
    x = gn.tensor(np.random.default_rng(4).standard_normal((3, 5)) * 2, requires_grad=True)
    assert gn.autograd.gradcheck(lambda t: F.gelu(t, approximate=approximate), (x,))


# --- erf ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", DTYPES)
def test_erf_matches_torch_and_math(torch, kernel, dtype):
    x = np.concatenate([_sample(dtype), np.array([np.inf, -np.inf, np.nan, 0.49999997,
                                                  0.5, -0.5, 1e-30], dtype)])
    t = gn.tensor(x, requires_grad=True)
    y = gn.erf(t)
    assert y.data.dtype == dtype
    exact = np.array([math.erf(float(v)) if not math.isnan(v) else math.nan for v in x])
    ulp = np.spacing(np.abs(exact).astype(dtype)).astype(np.float64)
    finite = ~np.isnan(exact)
    assert np.all(np.abs(y.data[finite] - exact[finite]) <= ulp[finite])
    assert np.isnan(y.data[~finite]).all()
    tt = torch.tensor(x)
    np.testing.assert_allclose(y.data, torch.erf(tt).numpy(), rtol=4 * np.finfo(dtype).eps,
                               atol=np.finfo(dtype).tiny)
    y.sum().backward()
    finite &= np.abs(x) < 30
    xf = x[finite].astype(np.float64)  # float32's x² is rounded: e^(-x²) inherits x²·eps
    np.testing.assert_allclose(t.grad.data[finite], 2 / math.sqrt(math.pi) * np.exp(-xf ** 2),
                               rtol=8 * np.finfo(dtype).eps * (1 + xf.max() ** 2),
                               atol=4 * np.finfo(dtype).smallest_subnormal)
    xs = gn.tensor(np.random.default_rng(5).standard_normal((4, 6)).astype(dtype).T)
    np.testing.assert_array_equal(gn.erf(xs).data,
                                  gn.erf(gn.tensor(np.ascontiguousarray(xs.data))).data)
    assert gn.erf(gn.tensor(np.zeros((2, 0), dtype))).shape == (2, 0)
    assert gn.erf(gn.tensor(dtype(0.3))).shape == ()


# --- erfinv, ndtri --------------------------------------------------------------------------------

def _within_ulps(a, ref, n, dtype):
    """|a - ref| ≤ n ulp of ref (in ``dtype``), elementwise; equal infinities pass."""
    a = a.astype(np.float64)
    ulp = np.spacing(np.abs(ref).astype(dtype)).astype(np.float64)
    with np.errstate(invalid="ignore"):
        return (a == ref) | (np.abs(a - ref) <= n * ulp)


@pytest.mark.parametrize("dtype", DTYPES)
def test_erfinv_and_ndtri_match_torch(torch, kernel, dtype):
    rng = np.random.default_rng(6)
    y = np.concatenate([rng.uniform(-1, 1, 3000), 1 - np.logspace(-15, -1, 50),
                        -1 + np.logspace(-15, -1, 50), np.logspace(-300, -1, 50)]).astype(dtype)
    # float32 is computed in float64 and rounded: compared with PyTorch's float64 (its own
    # float32 erfinv is a few ulp off)
    a = gn.erfinv(gn.tensor(y)).data
    b = torch.erfinv(torch.tensor(y.astype(np.float64))).numpy()
    assert a.dtype == dtype
    assert _within_ulps(a, b, 1 if dtype == np.float32 else 3, dtype).all()
    p = np.concatenate([rng.uniform(0, 1, 3000), np.logspace(-300, -1, 60),
                        1 - np.logspace(-15, -1, 40)]).astype(dtype)
    a = special.ndtri(gn.tensor(p)).data
    b = torch.special.ndtri(torch.tensor(p.astype(np.float64))).numpy()
    fin = np.isfinite(b)  # float32 p below 1e-45 is 0
    assert _within_ulps(a[fin], b[fin], 1 if dtype == np.float32 else 16, dtype).all()


def test_erfinv_and_ndtri_against_mpmath(kernel):
    """Exact references far into the tails (1 - y = 1e-300, p = 1e-300), where a
    closed-form guess alone would be off."""
    mp = pytest.importorskip("mpmath")
    mp.mp.dps = 40
    q = np.array([1e-300, 1e-200, 1e-100, 1e-50, 1e-20, 1e-10, 1e-5, 0.01, 0.3, 0.5, 0.9])
    if kernel == "numba":  # subnormal p: the fused loop solves on log erfc there
        q = np.concatenate([[1e-323, 1e-315, 3e-310, 1e-305], q])
    p = q / 2  # ndtri(p) = -√2 erfcinv(2p), found on log erfc (well scaled in the tail)
    q = 2 * p

    def erfcinv(v):
        log_v = mp.log(mp.mpf(v))
        return mp.findroot(lambda z: mp.log(mp.erfc(z)) - log_v, mp.sqrt(-log_v))

    ref = np.array([-float(mp.sqrt(2) * erfcinv(v)) for v in q])
    a = special.ndtri(gn.tensor(p, dtype=gn.float64)).data
    assert _within_ulps(a, ref, 2 if kernel == "numba" else 4, np.float64).all(), (a, ref)
    y = np.array([1e-300, 1e-8, 0.1, 0.5, 0.9, 0.999, 0.9999999])
    ref = np.array([float(mp.erfinv(mp.mpf(v))) for v in y])
    a = gn.erfinv(gn.tensor(y)).data
    assert _within_ulps(a, ref, 2, np.float64).all(), (a, ref)


@pytest.mark.parametrize("dtype", DTYPES)
def test_erfinv_and_ndtri_edge_values(torch, kernel, dtype):
    y = np.array([0.0, -0.0, 1.0, -1.0, 1.5, -2.0, np.inf, -np.inf, np.nan, 1e-40], dtype)
    a = gn.erfinv(gn.tensor(y)).data
    b = torch.erfinv(torch.tensor(y)).numpy()
    np.testing.assert_allclose(a, b, rtol=4 * np.finfo(dtype).eps, atol=0)
    np.testing.assert_array_equal(np.signbit(a[:2]), [False, True])
    p = np.array([0.0, 1.0, 0.5, -0.5, 1.5, np.inf, np.nan, 1e-45, 5e-324], dtype)
    with np.errstate(all="ignore"):
        b = torch.special.ndtri(torch.tensor(p)).numpy()
    a = special.ndtri(gn.tensor(p)).data
    np.testing.assert_allclose(a, b, rtol=4 * np.finfo(dtype).eps, atol=0)
    assert a[0] == -np.inf and a[1] == np.inf and np.isnan(a[3:7]).all()


def test_erfinv_and_ndtri_layouts_and_gradients(kernel):
    base = np.random.default_rng(7).uniform(-0.9, 0.9, (5, 4))
    for fn, xs in ((gn.erfinv, base), (special.ndtri, (base + 1) / 2)):
        np.testing.assert_array_equal(fn(gn.tensor(xs.T)).data,
                                      fn(gn.tensor(np.ascontiguousarray(xs.T))).data)
        np.testing.assert_array_equal(fn(gn.tensor(xs[::2, 1::2])).data,
                                      fn(gn.tensor(xs[::2, 1::2].copy())).data)
        assert fn(gn.tensor(np.zeros((0, 2)))).shape == (0, 2)
        assert fn(gn.tensor(np.float64(0.25))).shape == ()
        t = gn.tensor(xs[:2], requires_grad=True)
        assert gn.autograd.gradcheck(fn, (t,))


def test_paths_agree(monkeypatch):
    """The numba loops and the NumPy fallbacks give the same numbers up to rounding."""
    pytest.importorskip("numba")
    rng = np.random.default_rng(8)
    x = (rng.standard_normal(500) * 3).astype(np.float32)
    u = rng.uniform(-1, 1, 500)
    got = {}
    for k in ("numba", "numpy"):
        monkeypatch.setenv("GLASSNET_KERNEL", k)
        got[k] = [F.gelu(gn.tensor(x)).data.astype(np.float64),
                  F.gelu(gn.tensor(x), approximate="tanh").data.astype(np.float64),
                  gn.erf(gn.tensor(x)).data.astype(np.float64),
                  gn.erfinv(gn.tensor(u)).data, special.ndtri(gn.tensor((u + 1) / 2)).data]
    for a, b in zip(got["numba"], got["numpy"]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_import_glassnet_does_not_import_numba():
    code = "import sys, glassnet; print('numba' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"


# --- SiLU, Mish, ELU/SELU/CELU, Hardswish (fused in one pass with their derivative) ---------

ACTIVATIONS = [
    ("silu", lambda m, x: m.silu(x)),
    ("mish", lambda m, x: m.mish(x)),
    ("elu", lambda m, x: m.elu(x, alpha=0.7)),
    ("selu", lambda m, x: m.selu(x)),
    ("celu", lambda m, x: m.celu(x, alpha=1.3)),
    ("hardswish", lambda m, x: m.hardswish(x)),
    ("logsigmoid", lambda m, x: m.logsigmoid(x)),
]


def _act_both(lib, fn, x, gy):
    if lib is gn:
        t = gn.tensor(x, requires_grad=True)
        y = fn(F, t)
        y.backward(gn.tensor(gy))
        return y.data, t.grad.data
    t = lib.tensor(x, requires_grad=True)
    y = fn(lib.nn.functional, t)
    y.backward(lib.tensor(gy))
    return y.detach().numpy(), t.grad.numpy()


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,fn", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activations_match_torch(torch, kernel, name, fn, dtype):
    x = _sample(dtype)
    x = x[np.abs(np.abs(x) - 3) > 1e-3]  # hardswish's kinks at ±3: PyTorch's side is tested below
    gy = np.random.default_rng(9).standard_normal(x.shape).astype(dtype)
    y, gx = _act_both(gn, fn, x, gy)
    ty, tgx = _act_both(torch, fn, x.astype(np.float64), gy.astype(np.float64))
    assert y.dtype == dtype and gx.dtype == dtype
    # fused loops: a few eps of the exact value (PyTorch in float64). The NumPy path forms
    # σ as ½tanh(x/2) + ½ and loses digits where σ is tiny; PyTorch's CELU keeps 1/α in
    # float32 (a 4e-8 relative error in its float64 gradient)
    tol = 8 * np.finfo(dtype).eps if kernel == "numba" else 1e-6
    if name == "celu":
        tol = max(tol, 1e-7)
    # absolute floors: PyTorch's float64 ELU gradient is α(y/α + 1), which cancels where
    # it is tiny (x < -20); |gy| < 5
    np.testing.assert_allclose(y, ty, rtol=tol, atol=tol)
    np.testing.assert_allclose(gx, tgx, rtol=tol, atol=5 * tol)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("name,fn", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_fused_activation_edge_values(torch, monkeypatch, name, fn, dtype):
    """±0, ±inf, NaN, subnormals, huge, the kinks: PyTorch's float64 values (the fused
    loops; the NumPy formulas are the older, PyTorch-like ones)."""
    pytest.importorskip("numba")
    monkeypatch.setenv("GLASSNET_KERNEL", "numba")
    x = np.array([0.0, -0.0, -3.0, 3.0, np.inf, -np.inf, np.nan, 1e-40, -1e-40, 80.0, -80.0,
                  1e30, -1e30], dtype)
    with np.errstate(all="ignore"):
        y, gx = _act_both(gn, fn, x, np.ones_like(x))
        ty, tgx = _act_both(torch, fn, x.astype(np.float64), np.ones(x.shape))
    # PyTorch's CELU rounds 1/α to float32: e^(x/α) is off by |x/α|·3e-8 relative (x = -80)
    tol = 5e-6 if name == "celu" else 4 * np.finfo(dtype).eps
    np.testing.assert_allclose(y, ty.astype(dtype), rtol=tol, atol=0)
    np.testing.assert_allclose(gx, tgx.astype(dtype), rtol=tol, atol=0)


@pytest.mark.parametrize("name,fn", ACTIVATIONS, ids=[a[0] for a in ACTIVATIONS])
def test_activation_layouts_and_gradcheck(kernel, name, fn):
    base = np.random.default_rng(10).standard_normal((6, 8)).astype(np.float32) * 3
    np.testing.assert_array_equal(fn(F, gn.tensor(base.T)).data,
                                  fn(F, gn.tensor(np.ascontiguousarray(base.T))).data)
    np.testing.assert_array_equal(fn(F, gn.tensor(base[::2, 1::3])).data,
                                  fn(F, gn.tensor(base[::2, 1::3].copy())).data)
    assert fn(F, gn.tensor(np.float32(0.5))).shape == ()
    e = gn.tensor(np.zeros((0, 4), np.float32), requires_grad=True)
    fn(F, e).sum().backward()
    assert e.grad.shape == (0, 4)
    with gn.no_grad():
        np.testing.assert_array_equal(fn(F, gn.tensor(base, requires_grad=True)).data,
                                      fn(F, gn.tensor(base)).data)
    x = base[:2, :4].astype(np.float64)
    x = np.where(np.abs(np.abs(x) - 3) < 0.05, x + 0.2, x)  # away from hardswish's kinks
    assert gn.autograd.gradcheck(lambda t: fn(F, t), (gn.tensor(x, requires_grad=True),))


# --- sigmoid and softplus: fused from FUSED_MIN_SIZE elements on, NumPy below --------------

SMALL, BIG = 100, ew.FUSED_MIN_SIZE + 37  # either side of the size threshold


@pytest.fixture(params=["numba-big", "numba-small", "numpy-big"])
def path(request, monkeypatch):
    """(kernel, size, fused?): the fused loop runs for numba and a tensor of at least
    FUSED_MIN_SIZE elements only."""
    kernel, size = request.param.split("-")
    if kernel == "numba":
        pytest.importorskip("numba")
    monkeypatch.setenv("GLASSNET_KERNEL", kernel)
    return kernel, BIG if size == "big" else SMALL, request.param == "numba-big"


def _fill(x, n):
    """x's values first, then standard normals ×4 up to n elements."""
    rng = np.random.default_rng(11)
    extra = (rng.standard_normal(max(n - x.size, 0)) * 4).astype(x.dtype)
    return np.concatenate([x, extra])


def _both(lib, fn, x, gy):
    """(y, dy, node) of fn at x for output gradient gy, glassnet (node: ``fused``, whether
    the graph node kept the fused loop's dy/dx, and its ``beta``) or PyTorch (node None)."""
    if lib is gn:
        t = gn.tensor(x, requires_grad=True)
        y = fn(gn, t)
        c = y._ctx  # backward frees the node: read it first
        node = SimpleNamespace(fused=c.d is not None, beta=getattr(c, "beta", None))
        y.backward(gn.tensor(gy))
        return y.data, t.grad.data, node
    t = lib.tensor(x, requires_grad=True)
    y = fn(lib, t)
    y.backward(lib.tensor(gy))
    return y.detach().numpy(), t.grad.numpy(), None


def _sig(m, t):
    return m.sigmoid(t)


def _softplus(beta=1.0, threshold=20.0):
    def fn(m, t):
        f = F if m is gn else m.nn.functional
        return f.softplus(t, beta=beta, threshold=threshold)

    return fn


def _ulps(a, ref, dtype):
    """|a - ref| in units of the last place of ref rounded to dtype (a float64 array)."""
    r = ref.astype(dtype)
    return np.abs(a.astype(np.float64) - ref) / np.spacing(np.abs(r)).astype(np.float64)


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_matches_torch(torch, path, dtype):
    _, n, fused = path
    x = _fill(_sample(dtype)[:n], n)
    gy = np.random.default_rng(12).standard_normal(x.shape).astype(dtype)
    y, gx, node = _both(gn, _sig, x, gy)
    assert node.fused == fused and y.dtype == dtype and gx.dtype == dtype
    sy, sgx, _ = _both(torch, _sig, x, gy)  # PyTorch in the same dtype
    eps = np.finfo(dtype).eps
    if fused:  # float64 inside: within a couple of ulp of the exact value rounded
        # (the reference: σ and 1 - σ each from its own exponential, in float64; PyTorch's
        # float64 gradient y(1 - y) cancels where σ is near 1)
        v = x.astype(np.float64)
        s, t = 1.0 / (1.0 + np.exp(-v)), 1.0 / (1.0 + np.exp(v))
        n32 = dtype == np.float32
        assert _ulps(y, s, dtype).max() <= (1 if n32 else 4)
        assert _ulps(gx, gy * s * t, dtype).max() <= (2 if n32 else 8)
    # either path against PyTorch in the same dtype; the NumPy path's ½tanh(x/2) + ½ and
    # PyTorch's y(1 - y) are exact to within eps absolute, not relative
    np.testing.assert_allclose(y, sy, rtol=4 * eps, atol=eps)
    assert np.all(np.abs(gx - sgx) <= 4 * eps * (np.abs(sgx) + np.abs(gy)))


SOFTPLUS_PARAMS = [(1.0, 20.0), (2.0, 3.0), (0.5, 20.0), (1.0, 1.0), (3.0, 40.0)]


@pytest.mark.parametrize("beta,threshold", SOFTPLUS_PARAMS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_softplus_matches_torch(torch, path, dtype, beta, threshold):
    _, n, fused = path
    x = _fill(np.concatenate([np.array([45.0, 100.0, 15.0, -45.0], dtype), _sample(dtype)[:n]]), n)
    gy = np.random.default_rng(13).standard_normal(x.shape).astype(dtype)
    fn = _softplus(beta, threshold)
    y, gx, node = _both(gn, fn, x, gy)
    assert node.fused == fused and y.dtype == dtype and gx.dtype == dtype
    assert node.beta == beta  # explain reads it
    sy, sgx, _ = _both(torch, fn, x, gy)
    eps = np.finfo(dtype).eps
    # PyTorch's own log1p(exp(βx)) is a few ulp off, and it rounds βx to x's dtype (the
    # fused loop does not: |βx|·eps relative in e^(βx)); the NumPy path's
    # σ(βx) = e^(βx - βy) carries the rounding of βy (|βx|·eps again); tails: a
    # subnormal floor
    tiny = 1e-300 if dtype == np.float64 else 1e-38
    tol = (8 + np.abs(x.astype(np.float64) * beta)) * eps
    assert np.all(np.abs(y - sy) <= tol * np.abs(sy) + tiny)
    assert np.all(np.abs(gx - sgx) <= tol * np.abs(sgx) + tiny)
    # the linear branch, chosen as PyTorch chooses it (βx in x's dtype): x and 1 exactly
    over = (x * dtype(beta)) > dtype(threshold)
    assert over.any()
    np.testing.assert_array_equal(y[over], x[over])
    np.testing.assert_array_equal(gx[over], gy[over])
    if fused:  # float64 inside: a couple of ulp of the exact value (PyTorch in float64)
        ty, tgx, _ = _both(torch, fn, x.astype(np.float64), gy.astype(np.float64))
        keep = ~over & ~(x.astype(np.float64) * beta > threshold)  # same branch in both
        assert _ulps(y[keep], ty[keep], dtype).max() <= (2 if dtype == np.float32 else 8)
        assert _ulps(gx[keep], tgx[keep], dtype).max() <= (2 if dtype == np.float32 else 8)


@pytest.mark.parametrize("beta,threshold", [(1.0, 20.0), (2.0, 3.0), (0.5, 1.0), (4.0, 30.0)])
@pytest.mark.parametrize("dtype", DTYPES)
def test_softplus_threshold_edge(torch, path, dtype, beta, threshold):
    """βx exactly at the threshold takes the log branch (PyTorch's >), one ulp above the
    linear one; the neighbours either side agree with PyTorch."""
    _, n, fused = path
    edge = dtype(threshold) / dtype(beta)
    assert edge * dtype(beta) == dtype(threshold)
    near = np.array([edge, np.nextafter(edge, dtype(np.inf)), np.nextafter(edge, dtype(0)),
                     -edge], dtype)
    x = _fill(np.repeat(near, 3), n)
    y, gx, node = _both(gn, _softplus(beta, threshold), x, np.ones_like(x))
    sy, sgx, _ = _both(torch, _softplus(beta, threshold), x, np.ones_like(x))
    assert node.fused == fused
    eps = np.finfo(dtype).eps
    # (PyTorch's own rounding: a few ulp)
    np.testing.assert_allclose(y[:12], sy[:12], rtol=8 * eps, atol=0)
    np.testing.assert_allclose(gx[:12], sgx[:12], rtol=(8 if fused else 64) * eps, atol=0)
    assert y[3] == x[3] and gx[3] == 1.0  # one ulp above: linear, exactly
    sig = 1.0 / (1.0 + math.exp(-threshold))  # at the threshold: σ(threshold), not 1
    assert gx[0] == pytest.approx(sig, rel=4 * float(eps))


@pytest.mark.parametrize("dtype", DTYPES)
def test_sigmoid_softplus_edge_values(torch, path, dtype):
    """±0, ±inf, NaN, subnormals, huge: PyTorch's values in the same dtype."""
    kernel, n, fused = path
    big = 1e300 if dtype == np.float64 else 1e30
    edge = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-40, -1e-40, 88.0, -88.0, 104.0,
                     -104.0, 750.0 if dtype == np.float64 else 90.0, -750.0, big, -big],
                    dtype)
    x = _fill(edge, n)
    k = edge.size
    eps = np.finfo(dtype).eps
    with np.errstate(all="ignore"):
        for fn in (_sig, _softplus(), _softplus(2.0, 5.0)):
            y, gx, _ = _both(gn, fn, x, np.ones_like(x))
            sy, sgx, _ = _both(torch, fn, x, np.ones_like(x))
            np.testing.assert_allclose(y[:k], sy[:k], rtol=4 * eps, atol=eps)
            if not fused and fn is not _sig:
                # the NumPy path takes σ(βx) = e^(βx - βy): inf - inf at x = +inf
                assert np.isnan(gx[2])
                gx, sgx = np.delete(gx, 2), np.delete(sgx, 2)
                k1 = k - 1
            else:
                k1 = k
            np.testing.assert_allclose(gx[:k1], sgx[:k1], rtol=4 * eps, atol=eps)
    # the fused loops are relative-exact in the far lower tail (float64 inside)
    if fused:
        xs = np.array([-20.0, -60.0, -87.0], dtype)
        xs = _fill(xs, n)
        s = gn.sigmoid(gn.tensor(xs)).data[:3]
        np.testing.assert_allclose(s, np.exp(xs[:3].astype(np.float64)) /
                                   (1 + np.exp(xs[:3].astype(np.float64))), rtol=2 * eps)


@pytest.mark.parametrize("name", ["sigmoid", "softplus"])
def test_sigmoid_softplus_layouts_and_gradcheck(path, monkeypatch, name):
    kernel, n, fused = path
    fn = _sig if name == "sigmoid" else _softplus(1.5, 4.0)
    rows = -(-n // 8)
    base = np.random.default_rng(14).standard_normal((rows, 8)).astype(np.float32) * 4
    np.testing.assert_array_equal(fn(gn, gn.tensor(base.T)).data,
                                  fn(gn, gn.tensor(np.ascontiguousarray(base.T))).data)
    np.testing.assert_array_equal(fn(gn, gn.tensor(base[::2, 1::3])).data,
                                  fn(gn, gn.tensor(base[::2, 1::3].copy())).data)
    z = fn(gn, gn.tensor(np.float32(0.5)))
    assert z.shape == () and z.dtype == gn.float32
    e = gn.tensor(np.zeros((0, 4), np.float32), requires_grad=True)
    fn(gn, e).sum().backward()
    assert e.grad.shape == (0, 4)
    with gn.no_grad():
        np.testing.assert_array_equal(fn(gn, gn.tensor(base, requires_grad=True)).data,
                                      fn(gn, gn.tensor(base)).data)
    # finite differences element by element: 40 elements, on the fused loop too (its size
    # threshold lowered for this check)
    x = np.random.default_rng(15).standard_normal(40) * 3
    x[np.abs(x * 1.5 - 4.0) < 1e-3] += 0.01  # away from the softplus branch point
    if fused:
        monkeypatch.setattr(ew, "FUSED_MIN_SIZE", 16)
    t = gn.tensor(x, requires_grad=True)
    assert (fn(gn, t)._ctx.d is not None) == fused
    assert gn.autograd.gradcheck(lambda t: fn(gn, t), (t,))


def test_sigmoid_softplus_paths_agree_and_explain(monkeypatch):
    """The fused loops and the NumPy code agree up to rounding; explain still reads
    softplus's β."""
    pytest.importorskip("numba")
    x = _fill(np.zeros(0, np.float32), BIG)
    got = {}
    for k in ("numba", "numpy"):
        monkeypatch.setenv("GLASSNET_KERNEL", k)
        got[k] = [gn.sigmoid(gn.tensor(x)).data, F.softplus(gn.tensor(x), beta=2.0).data]
    for a, b in zip(got["numba"], got["numpy"]):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    t = gn.tensor(np.array([0.5], np.float32), requires_grad=True)
    node = F.softplus(t, beta=2.0)._ctx
    assert "2·" in node.local(0, 1, 1).template
