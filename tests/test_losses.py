"""Every loss against PyTorch in float64: value and gradients (input, and float targets),
all reductions, class weights, ignore_index, label smoothing, probability targets; then
finite-difference checks and the bad-input errors.

Each row of ``CASES`` is ``(name, fn, make)``: ``fn`` is the name in ``nn.functional``
of both libraries; ``make(rng)`` returns ``(input, target, kwargs)`` as NumPy arrays
(kwargs values that are arrays become tensors of each library).
"""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from conftest import assert_close

torch = pytest.importorskip("torch")
TF = torch.nn.functional

REDUCTIONS = ("mean", "sum", "none")


def _x(shape):
    return lambda rng: rng.standard_normal(shape)


def _idx(shape, C, ignore=None):
    def make(rng):
        y = rng.integers(0, C, shape)
        if ignore is not None:
            y.reshape(-1)[::3] = ignore
        return y
    return make


def _probs(shape, axis=1):
    def make(rng):
        p = rng.uniform(0.1, 1.0, shape)
        return p / p.sum(axis=axis, keepdims=True)
    return make


def case(name, fn, x, t, **kw):
    def make(rng):
        return x(rng), t(rng), {k: (v(rng) if callable(v) else v) for k, v in kw.items()}
    return [pytest.param(fn, make, r, id=f"{name}-{r}") for r in REDUCTIONS]


W5 = lambda rng: rng.uniform(0.2, 2.0, 5)  # noqa: E731 - class weights for C = 5

CASES = [
    *case("mse", "mse_loss", _x((4, 3)), _x((4, 3))),
    *case("l1", "l1_loss", _x((4, 3)), _x((4, 3))),
    *case("bce", "binary_cross_entropy", lambda r: r.uniform(0.05, 0.95, (6, 2)),
          lambda r: r.uniform(0, 1, (6, 2))),
    *case("bce_weight", "binary_cross_entropy", lambda r: r.uniform(0.05, 0.95, (6, 2)),
          lambda r: r.integers(0, 2, (6, 2)).astype(float), weight=lambda r: r.uniform(0, 2, 2)),
    *case("bce_logits", "binary_cross_entropy_with_logits", _x((6, 3)),
          lambda r: r.uniform(0, 1, (6, 3))),
    *case("bce_logits_pos_weight", "binary_cross_entropy_with_logits", lambda r:
          5 * r.standard_normal((6, 3)), lambda r: r.integers(0, 2, (6, 3)).astype(float),
          pos_weight=lambda r: r.uniform(0.5, 3, 3), weight=lambda r: r.uniform(0.5, 2, (6, 1))),
    *case("ce", "cross_entropy", _x((7, 5)), _idx((7,), 5)),
    *case("ce_unbatched", "cross_entropy", _x((5,)), lambda r: np.int64(3)),
    *case("ce_spatial", "cross_entropy", _x((2, 5, 3, 2)), _idx((2, 3, 2), 5)),
    *case("ce_weight", "cross_entropy", _x((7, 5)), _idx((7,), 5), weight=W5),
    *case("ce_ignore", "cross_entropy", _x((7, 5)), _idx((7,), 5, ignore=-100)),
    *case("ce_ignore_inrange", "cross_entropy", _x((7, 5)), _idx((7,), 5, ignore=2),
          ignore_index=2),
    *case("ce_smooth", "cross_entropy", _x((7, 5)), _idx((7,), 5), label_smoothing=0.2),
    *case("ce_all", "cross_entropy", _x((2, 5, 4)), _idx((2, 4), 5, ignore=1),
          weight=W5, ignore_index=1, label_smoothing=0.15),
    *case("ce_probs", "cross_entropy", _x((6, 5)), _probs((6, 5))),
    *case("ce_probs_all", "cross_entropy", _x((2, 5, 3)), _probs((2, 5, 3)),
          weight=W5, label_smoothing=0.3),
    *case("nll", "nll_loss", lambda r: np.log(_probs((7, 5))(r)), _idx((7,), 5)),
    *case("nll_all", "nll_loss", lambda r: np.log(_probs((2, 5, 3))(r)),
          _idx((2, 3), 5, ignore=4), weight=W5, ignore_index=4),
]


def _lib_kwargs(kw, wrap):
    return {k: wrap(v) if isinstance(v, np.ndarray) else v for k, v in kw.items()}


@pytest.mark.parametrize("fn, make, reduction", CASES)
def test_loss_matches_torch(fn, make, reduction):
    rng = np.random.default_rng(0)
    x, t, kw = make(rng)
    float_t = np.asarray(t).dtype.kind == "f"
    gx = gn.tensor(x, dtype=np.float64, requires_grad=True)
    gt = gn.tensor(t, dtype=np.float64 if float_t else np.int64, requires_grad=float_t)
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    tt = torch.tensor(t, dtype=torch.float64 if float_t else torch.int64,
                      requires_grad=float_t)
    out = getattr(F, fn)(gx, gt, reduction=reduction,
                         **_lib_kwargs(kw, lambda a: gn.tensor(a, dtype=np.float64)))
    ref = getattr(TF, fn)(tx, tt, reduction=reduction,
                          **_lib_kwargs(kw, lambda a: torch.tensor(a, dtype=torch.float64)))
    assert_close(out, ref, f"{fn} value")
    v = np.random.default_rng(1).standard_normal(ref.shape)
    (out * gn.tensor(v, dtype=np.float64)).sum().backward()
    (ref * torch.tensor(v)).sum().backward()
    assert_close(gx.grad, tx.grad, f"{fn} d/dinput")
    if float_t:
        assert_close(gt.grad, tt.grad, f"{fn} d/dtarget")


def test_ssr_is_sum_of_squared_residuals():
    x = gn.tensor([0.2, 1.1, 0.3], requires_grad=True)
    t = gn.tensor([0.0, 1.0, 0.0])
    loss = F.ssr(x, t)
    assert_close(loss, 0.04 + 0.01 + 0.09, "ssr", rtol=1e-6)
    loss.backward()
    assert_close(x.grad, [0.4, 0.2, 0.6], "dSSR/dx = -2 (t - x)", rtol=1e-6)
    assert_close(gn.nn.SSRLoss()(x, t), loss, "SSRLoss module")


@pytest.mark.parametrize("module, functional, kwargs", [
    ("MSELoss", "mse_loss", {"reduction": "sum"}),
    ("L1Loss", "l1_loss", {}),
    ("CrossEntropyLoss", "cross_entropy", {"label_smoothing": 0.1, "ignore_index": 0}),
    ("NLLLoss", "nll_loss", {"reduction": "none"}),
    ("BCEWithLogitsLoss", "binary_cross_entropy_with_logits", {}),
])
def test_loss_modules_match_torch(module, functional, kwargs):
    rng = np.random.default_rng(3)
    x = rng.standard_normal((5, 4))
    if functional in ("cross_entropy", "nll_loss"):
        t = rng.integers(0, 4, 5)
    else:
        t = rng.uniform(0, 1, (5, 4))
    out = getattr(gn.nn, module)(**kwargs)(gn.tensor(x, dtype=np.float64), gn.tensor(t))
    ref = getattr(torch.nn, module)(**kwargs)(torch.tensor(x), torch.tensor(t))
    assert_close(out, ref, module)


def test_cross_entropy_gradient_is_softmax_minus_one_hot():
    # The curriculum's fact: d(total CE)/d(output bias_c) = Σ_i (p_ic - y_ic).
    rng = np.random.default_rng(4)
    z = gn.tensor(rng.standard_normal((6, 3)), requires_grad=True)
    y = rng.integers(0, 3, 6)
    F.cross_entropy(z, gn.tensor(y), reduction="sum").backward()
    p = F.softmax(z.detach(), dim=1).numpy()
    assert_close(z.grad, p - np.eye(3)[y], "softmax - one_hot", rtol=1e-5, atol=1e-6)


def test_cross_entropy_is_stable_for_huge_logits():
    z = gn.tensor([[1000.0, 0.0, -1000.0], [-5e4, 5e4, 0.0]], requires_grad=True)
    loss = F.cross_entropy(z, gn.tensor([0, 0]), reduction="none")
    assert np.all(np.isfinite(loss.data))
    assert_close(loss, [0.0, 1e5], "huge logits", rtol=1e-6)
    loss.sum().backward()
    assert np.all(np.isfinite(z.grad.data))


def test_float32_stays_float32():
    x = gn.randn(4, 3, requires_grad=True)
    loss = F.cross_entropy(x, gn.tensor([0, 1, 2, 0]), label_smoothing=0.1)
    loss.backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32
    loss = F.mse_loss(x, gn.zeros(4, 3))
    assert loss.dtype == np.float32


@pytest.mark.parametrize("fn, args, kwargs", [
    (F.cross_entropy, [(3, 4), np.array([0, 3, 1])], {"label_smoothing": 0.2}),
    (F.cross_entropy, [(2, 4, 2), np.array([[0, -100], [3, 1]])], {"weight": [1.0, 2, 3, 4]}),
    (F.cross_entropy, [(3, 4), "probs"], {"weight": [1.0, 2, 3, 0.5]}),
    (F.binary_cross_entropy_with_logits, [(3, 2), "unit"], {"pos_weight": [2.0, 0.5]}),
    (F.mse_loss, [(3, 2), (3, 2)], {}),
])
def test_gradcheck(fn, args, kwargs):
    rng = np.random.default_rng(5)
    x = gn.tensor(rng.standard_normal(args[0]), dtype=np.float64, requires_grad=True)
    t = args[1]
    if isinstance(t, tuple):
        t = gn.tensor(rng.standard_normal(t), dtype=np.float64, requires_grad=True)
    elif isinstance(t, str) and t == "probs":
        p = rng.uniform(0.1, 1, args[0])
        t = gn.tensor(p / p.sum(1, keepdims=True), dtype=np.float64, requires_grad=True)
    elif isinstance(t, str):
        t = gn.tensor(rng.uniform(0, 1, args[0]), dtype=np.float64, requires_grad=True)
    else:
        t = gn.tensor(t)
    kw = {k: (gn.tensor(v, dtype=np.float64) if isinstance(v, list) else v)
          for k, v in kwargs.items()}
    assert gn.gradcheck(lambda a, b: fn(a, b, **kw), [x, t])


@pytest.mark.parametrize("call, error, match", [
    (lambda: F.cross_entropy(gn.randn(3, 4), gn.tensor([0.0, 1.0, 2.0])), TypeError,
     "must be integers"),
    (lambda: F.cross_entropy(gn.randn(3, 4), gn.tensor([0, 4, 1])), IndexError,
     r"target 4 at position \(1,\) is out of range for 4 classes"),
    (lambda: F.cross_entropy(gn.randn(3, 4), gn.tensor([0, -1, 1])), IndexError,
     "out of range"),
    (lambda: F.cross_entropy(gn.randn(3, 4), gn.tensor([0, 1])), ValueError,
     r"target shape \(2,\) does not match input shape \(3, 4\)"),
    (lambda: F.cross_entropy(gn.randn(3, 4), gn.rand(3, 5)), ValueError,
     "probability target shape"),
    (lambda: F.cross_entropy(gn.randn(3, 4), gn.tensor([0, 1, 2]), weight=gn.ones(3)),
     ValueError, r"weight must have shape \(4,\)"),
    (lambda: F.cross_entropy(gn.randn(3, 4), gn.tensor([0, 1, 2]), label_smoothing=1.5),
     ValueError, "label_smoothing"),
    (lambda: F.nll_loss(gn.randn(3, 4), gn.tensor([0, 9, 1])), IndexError, "out of range"),
    (lambda: F.mse_loss(gn.randn(3), gn.randn(3), reduction="avg"), ValueError,
     "reduction must be"),
    (lambda: F.binary_cross_entropy(gn.randn(3) + 5, gn.rand(3)), ValueError, r"\[0, 1\]"),
    (lambda: F.binary_cross_entropy_with_logits(gn.randn(3, 1), gn.rand(3)), ValueError,
     "must equal input shape"),
])
def test_bad_input_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_mse_shape_mismatch_warns():
    with pytest.warns(UserWarning, match="broadcast"):
        F.mse_loss(gn.randn(4, 1), gn.randn(4))


def test_all_ignored_mean_is_nan_like_torch():
    out = F.cross_entropy(gn.randn(2, 3), gn.tensor([-100, -100]))
    ref = TF.cross_entropy(torch.randn(2, 3), torch.tensor([-100, -100]))
    assert np.isnan(out.item()) and np.isnan(ref.item())
