"""The everyday layers, functions and losses of ``nn/extra.py`` and ``ops/{nn_more,
spatial_extra,loss_extra}.py`` against PyTorch: forward and the backward of sum(out · v)
in float64 on the same inputs and weights (one table), finite differences for each new
Function, module reprs, state_dict round trips with PyTorch's layers, random layers'
statistics, and the errors a wrong shape gives."""

from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as gn
from conftest import assert_close, check_against_torch

F = gn.nn.functional
nn = gn.nn


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _pos(*shape, seed=0):
    return np.random.default_rng(seed).uniform(0.2, 2.0, shape)


def _check(torch, call, arrays, grad=None, rtol=1e-10, atol=1e-12, seed=3):
    """``call(F, *tensors)`` with glassnet and with PyTorch: forward and the gradients of
    sum(out · v) agree (``grad``: which arrays get one; integer arrays never do)."""
    grad = [a.dtype.kind == "f" for a in arrays] if grad is None else grad
    g = [gn.tensor(a, requires_grad=r) if a.dtype.kind == "f" else gn.tensor(a)
         for a, r in zip(arrays, grad)]
    t = [torch.tensor(a, requires_grad=r) if a.dtype.kind == "f" else torch.tensor(a)
         for a, r in zip(arrays, grad)]
    out = check_against_torch(torch, lambda *a: call(F, *a),
                              lambda *a: call(torch.nn.functional, *a), g, t, rtol, atol, seed)
    assert out.dtype == np.float64


X = _rand(3, 4, seed=1)
X4 = _rand(2, 8, 3, 5, seed=2)
IDX = np.array([2, 0, 3])

CASES = {
    # activations
    "softshrink": (lambda f, x: f.softshrink(x), [X]),
    "softshrink_0.2": (lambda f, x: f.softshrink(x, 0.2), [X]),
    "hardshrink": (lambda f, x: f.hardshrink(x, 0.3), [X]),
    "threshold": (lambda f, x: f.threshold(x, 0.1, 20.0), [X]),
    "glu": (lambda f, x: f.glu(x), [X]),
    "glu_dim0": (lambda f, x: f.glu(x, 1), [X4]),
    "softmin": (lambda f, x: f.softmin(x, dim=1), [X]),
    "softmin_dim0": (lambda f, x: f.softmin(x, 0), [X]),
    "rrelu_eval": (lambda f, x: f.rrelu(x, 0.1, 0.3), [X]),
    # normalisation
    "rms_norm": (lambda f, x, w: f.rms_norm(x, (4,), w), [X, _rand(4, seed=3)]),
    "rms_norm_2d_eps": (lambda f, x: f.rms_norm(x, (3, 5), eps=1e-3), [X4]),
    "lrn_3d": (lambda f, x: f.local_response_norm(x, 3, alpha=0.5), [_rand(2, 5, 4)]),
    "lrn_4d": (lambda f, x: f.local_response_norm(x, 2, 0.3, 0.6, 2.0), [X4]),
    "lrn_5d": (lambda f, x: f.local_response_norm(x, 5, 0.2), [_rand(2, 4, 3, 2, 2)]),
    # spatial
    "pixel_shuffle": (lambda f, x: f.pixel_shuffle(x, 2), [X4]),
    "pixel_shuffle_3d": (lambda f, x: f.pixel_shuffle(x, 3), [_rand(9, 2, 2)]),
    "pixel_shuffle_5d": (lambda f, x: f.pixel_shuffle(x, 2), [_rand(2, 1, 4, 2, 3)]),
    "pixel_unshuffle": (lambda f, x: f.pixel_unshuffle(x, 2), [_rand(2, 3, 4, 6)]),
    "adaptive_max2d": (lambda f, x: f.adaptive_max_pool2d(x, (2, 3)), [_rand(2, 3, 7, 5)]),
    "adaptive_max2d_grow": (lambda f, x: f.adaptive_max_pool2d(x, (4, None)),
                            [_rand(2, 3, 3, 5)]),
    "adaptive_max1d": (lambda f, x: f.adaptive_max_pool1d(x, 3), [_rand(2, 3, 7)]),
    "adaptive_max1d_grow": (lambda f, x: f.adaptive_max_pool1d(x, 10), [_rand(3, 7)]),
    "max_pool2d_idx": (lambda f, x: f.max_pool2d_with_indices(x, 3, 2, 1)[0],
                       [_rand(2, 3, 7, 6)]),
    "max_pool2d_idx_ceil": (lambda f, x: f.max_pool2d_with_indices(
        x, (2, 3), 2, (1, 0), 1, True)[0], [_rand(2, 3, 7, 8)]),
    "max_pool2d_idx_dil": (lambda f, x: f.max_pool2d_with_indices(x, 2, 1, 0, 2)[0],
                           [_rand(1, 2, 6, 5)]),
    "max_pool1d_idx": (lambda f, x: f.max_pool1d_with_indices(x, 3, 2, 1, ceil_mode=True)[0],
                       [_rand(2, 3, 8)]),
    "unfold": (lambda f, x: f.unfold(x, (2, 3)), [_rand(2, 3, 5, 6)]),
    "unfold_all": (lambda f, x: f.unfold(x, 3, dilation=(2, 1), padding=1, stride=(1, 2)),
                   [_rand(2, 2, 6, 7)]),
    "unfold_unbatched": (lambda f, x: f.unfold(x, 2, stride=2), [_rand(3, 4, 4)]),
    "fold": (lambda f, x: f.fold(x, (4, 5), (2, 3)), [_rand(2, 12, 9)]),
    "fold_all": (lambda f, x: f.fold(x, (6, 7), 3, dilation=(2, 1), padding=1,
                                     stride=(1, 2)), [_rand(2, 18, 16)]),
    "fold_unbatched": (lambda f, x: f.fold(x, 4, 2, stride=2), [_rand(12, 4)]),
    # linear
    "bilinear": (lambda f, a, b, w, c: f.bilinear(a, b, w, c),
                 [_rand(5, 3), _rand(5, 4, seed=1), _rand(2, 3, 4, seed=2), _rand(2, seed=3)]),
    "bilinear_batch": (lambda f, a, b, w: f.bilinear(a, b, w),
                       [_rand(2, 3, 3), _rand(2, 3, 2, seed=1), _rand(4, 3, 2, seed=2)]),
    # losses
    "poisson": (lambda f, x, t: f.poisson_nll_loss(x, t), [X, _pos(3, 4) * 3]),
    "poisson_rate_full_sum": (lambda f, x, t: f.poisson_nll_loss(
        x, t, log_input=False, full=True, reduction="sum"), [_pos(3, 4), _pos(3, 4) * 3]),
    "poisson_none": (lambda f, x, t: f.poisson_nll_loss(x, t, full=True, reduction="none"),
                     [X, np.array([[0, 1, 2, 5.0]] * 3)], [True, False]),  # torch: NaN at t=0
    "gaussian": (lambda f, x, t, v: f.gaussian_nll_loss(x, t, v),
                 [X, _rand(3, 4, seed=2), _pos(3, 4)]),
    "gaussian_short_full_sum": (lambda f, x, t, v: f.gaussian_nll_loss(
        x, t, v, full=True, reduction="sum"), [X, _rand(3, 4, seed=2), _pos(3)]),
    "gaussian_dim1_none": (lambda f, x, t, v: f.gaussian_nll_loss(x, t, v, reduction="none"),
                           [X4, X4[::-1].copy(), _pos(2, 1, 3, 5)]),
    "gaussian_clamped": (lambda f, x, t, v: f.gaussian_nll_loss(x, t, v, eps=0.5),
                         [X, _rand(3, 4, seed=2), _pos(3, 4)]),
    "multilabel_soft": (lambda f, x, t: f.multilabel_soft_margin_loss(x, t),
                        [X, (X > 0).astype(float)], [True, False]),
    "multilabel_soft_w_none": (lambda f, x, t, w: f.multilabel_soft_margin_loss(
        x, t, w, reduction="none"), [X, (X > 0.3).astype(float), _pos(4)], [True, False, True]),
    "multi_margin": (lambda f, x, y: f.multi_margin_loss(x, y), [X, IDX]),
    "multi_margin_p2_w": (lambda f, x, y, w: f.multi_margin_loss(x, y, 2, 0.7, w,
                                                                 reduction="sum"),
                          [X, IDX, _pos(4)], [True, False, False]),
    "multi_margin_1d_none": (lambda f, x, y: f.multi_margin_loss(x, y, reduction="none"),
                             [X[0], np.array(1)]),
    "multilabel_margin": (lambda f, x, y: f.multilabel_margin_loss(x, y),
                          [X, np.array([[3, 0, -1, 1], [1, 2, 3, -1], [0, 0, -1, 2]])]),
    "multilabel_margin_none": (lambda f, x, y: f.multilabel_margin_loss(x, y, reduction="none"),
                               [X, np.array([[-1, 0, 1, 2], [1, 2, 3, 0], [2, -1, 0, 0]])]),
    "multilabel_margin_1d": (lambda f, x, y: f.multilabel_margin_loss(x, y, reduction="sum"),
                             [X[1], np.array([2, 1, -1, 0])]),
    "triplet_dist": (lambda f, a, p, n: f.triplet_margin_with_distance_loss(a, p, n),
                     [_rand(5, 3), _rand(5, 3, seed=1), _rand(5, 3, seed=2)]),
    "triplet_dist_swap_cos": (lambda f, a, p, n: f.triplet_margin_with_distance_loss(
        a, p, n, distance_function=lambda u, v: 1 - f.cosine_similarity(u, v), margin=0.4,
        swap=True, reduction="none"), [_rand(5, 3), _rand(5, 3, seed=1), _rand(5, 3, seed=2)]),
}


@pytest.mark.parametrize("case", list(CASES))
def test_against_torch(case, torch):
    call, arrays, *grad = CASES[case]
    _check(torch, call, arrays, grad[0] if grad else None)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_reductions(reduction, torch):
    for call, arrays in [
        (lambda f, x, t: f.poisson_nll_loss(x, t, reduction=reduction), [X, _pos(3, 4)]),
        (lambda f, x, t, v: f.gaussian_nll_loss(x, t, v, reduction=reduction),
         [X, _rand(3, 4, seed=2), _pos(3, 1)]),
        (lambda f, x, y: f.multi_margin_loss(x, y, reduction=reduction), [X, IDX]),
        (lambda f, x, y: f.multilabel_margin_loss(x, y, reduction=reduction),
         [X, np.array([[1, -1, 0, 0]] * 3)]),
        (lambda f, a, p, n: f.triplet_margin_with_distance_loss(a, p, n, reduction=reduction),
         [_rand(4, 3), _rand(4, 3, seed=1), _rand(4, 3, seed=2)]),
    ]:
        _check(torch, call, arrays)


def test_indices_match_torch(torch):
    TF = torch.nn.functional
    x = _rand(2, 3, 7, 6, seed=5)
    x[0, 0, 0, :2] = 9.0  # a tie: the first maximum in row-major order wins
    xt = torch.tensor(x)
    for g, t in [
        (F.max_pool2d_with_indices(x, 3, 2, 1), TF.max_pool2d(xt, 3, 2, 1, return_indices=True)),
        (F.max_pool2d_with_indices(x, (2, 3), 2, 1, ceil_mode=True),
         TF.max_pool2d(xt, (2, 3), 2, 1, ceil_mode=True, return_indices=True)),
        (F.max_pool1d_with_indices(x[0], 2), TF.max_pool1d(xt[0], 2, return_indices=True)),
        (F.adaptive_max_pool2d(x, (3, 4), return_indices=True),
         TF.adaptive_max_pool2d(xt, (3, 4), return_indices=True)),
        (F.adaptive_max_pool1d(x[0], 4, True), TF.adaptive_max_pool1d(xt[0], 4, True)),
    ]:
        assert_close(g[0].data, t[0], "values")
        assert g[1].dtype == np.int64 and np.array_equal(g[1].data, t[1].numpy())


@pytest.mark.parametrize("nd", [1, 2])
def test_max_unpool_inverts_pooling_like_torch(nd, torch):
    TF = torch.nn.functional
    shape = (2, 3, 9) if nd == 1 else (2, 3, 7, 7)
    x = _rand(*shape, seed=6)
    pool_t = TF.max_pool1d if nd == 1 else TF.max_pool2d
    y, idx = pool_t(torch.tensor(x), 3, 2, 1, return_indices=True)
    unpool_g = F.max_unpool1d if nd == 1 else F.max_unpool2d
    unpool_t = TF.max_unpool1d if nd == 1 else TF.max_unpool2d
    size = shape[2:]
    yg = gn.tensor(y.detach().numpy(), requires_grad=True)
    yt = y.detach().clone().requires_grad_(True)
    out = unpool_g(yg, gn.tensor(idx.numpy()), 3, 2, 1, output_size=size)
    tout = unpool_t(yt, idx, 3, 2, 1, output_size=size)
    assert_close(out.data, tout, "unpool")
    v = _rand(*shape, seed=7)
    (out * gn.tensor(v)).sum().backward()
    (tout * torch.tensor(v)).sum().backward()
    assert_close(yg.grad.data, yt.grad, "unpool gradient")
    default = unpool_g(yg, gn.tensor(idx.numpy()), 3, 2, 1)  # (L - 1)·2 - 2 + 3
    assert default.shape == unpool_t(yt, idx, 3, 2, 1).shape


def _gradcheck_cases():
    rng = np.random.default_rng(11)

    def t(*shape):
        return gn.tensor(rng.standard_normal(shape), requires_grad=True)

    return {
        "softshrink": (F.softshrink, [t(3, 4)]),
        "hardshrink": (lambda x: F.hardshrink(x, 0.2), [t(3, 4)]),
        "threshold": (lambda x: F.threshold(x, 0.1, 2.0), [t(3, 4)]),
        "rrelu": (lambda x: F.rrelu(x, 0.1, 0.4, training=True,
                                    generator=gn.Generator(0)), [t(3, 4)]),
        "bilinear": (F.bilinear, [t(2, 3), t(2, 2), t(4, 3, 2)]),
        "adaptive_max_pool2d": (lambda x: F.adaptive_max_pool2d(x, (2, 3)), [t(1, 2, 5, 4)]),
        "max_pool2d_with_indices": (lambda x: F.max_pool2d_with_indices(x, 2, 1, 1)[0],
                                    [t(1, 2, 4, 3)]),
        "max_unpool2d": (lambda x: F.max_unpool2d(x, gn.tensor(np.array([[[[0, 3], [9, 14]]]])),
                                                  2), [t(1, 1, 2, 2)]),
        "unfold": (lambda x: F.unfold(x, 2, padding=1, stride=2), [t(1, 2, 4, 3)]),
        "fold": (lambda x: F.fold(x, (3, 4), 2), [t(1, 8, 6)]),
        "rms_norm": (lambda x, w: F.rms_norm(x, (4,), w), [t(3, 4), t(4)]),
        "local_response_norm": (lambda x: F.local_response_norm(x, 3, 0.5), [t(2, 4, 3)]),
        "gaussian_nll_loss": (lambda x, v: F.gaussian_nll_loss(x, gn.zeros(3, 2, dtype=np.float64),
                                                               v * v + 0.1), [t(3, 2), t(3, 2)]),
        "multilabel_margin_loss": (lambda x: F.multilabel_margin_loss(
            x, gn.tensor(np.array([[1, 0, -1], [2, -1, 0]]))), [t(2, 3)]),
    }


@pytest.mark.parametrize("name", list(_gradcheck_cases()))
def test_gradcheck(name):
    fn, inputs = _gradcheck_cases()[name]
    assert gn.autograd.gradcheck(fn, inputs)


def test_float32_stays_float32():
    x = gn.randn(2, 8, 4, 4)
    for out in [F.softshrink(x), F.hardshrink(x), F.threshold(x, 0.0, 1.0), F.glu(x, 1),
                F.softmin(x, 1), F.rrelu(x, training=True), F.rms_norm(x, (4, 4)),
                F.local_response_norm(x, 3), F.pixel_shuffle(x, 2), F.unfold(x, 2),
                F.adaptive_max_pool2d(x, 2), F.max_pool2d_with_indices(x, 2)[0],
                F.alpha_dropout(x, 0.3, True), F.gumbel_softmax(x)]:
        assert out.dtype == np.float32, out


# --- in-place functions -------------------------------------------------------------------

INPLACE = [
    ("relu_", (), {}), ("elu_", (0.7,), {}), ("leaky_relu_", (0.2,), {}),
    ("hardtanh_", (-0.5, 0.4), {}), ("selu_", (), {}), ("celu_", (1.5,), {}),
    ("threshold_", (0.1, -3.0), {}),
]


@pytest.mark.parametrize("name,args,kwargs", INPLACE, ids=[c[0] for c in INPLACE])
def test_inplace_functions(name, args, kwargs, torch):
    x = gn.tensor(X.copy())
    xt = torch.tensor(X.copy())
    out = getattr(F, name)(x, *args, **kwargs)
    getattr(torch.nn.functional, name)(xt, *args, **kwargs)
    assert out is x
    assert_close(x.data, xt, name)
    assert x._version == 1
    leaf = gn.tensor(X.copy(), requires_grad=True)
    with pytest.raises(RuntimeError, match=name):
        getattr(F, name)(leaf, *args, **kwargs)
    with pytest.raises(TypeError, match=name):
        getattr(F, name)(X.copy(), *args, **kwargs)


def test_inplace_flags_and_top_level(torch):
    x = gn.tensor(X.copy(), requires_grad=True)  # inplace=True: a new tensor, as F.relu
    y = F.threshold(x, 0.0, 5.0, inplace=True)
    assert y is not x and (y.data[X <= 0] == 5.0).all() and np.array_equal(x.data, X)
    y.sum().backward()
    assert np.array_equal(x.grad.data, (X > 0).astype(float))
    r = gn.tensor(-np.abs(X))
    assert F.rrelu_(r, training=True) is r and (r.data != -np.abs(X)).all()
    x = gn.tensor(X.copy())
    gn.relu_(x)
    assert (x.data >= 0).all()
    assert gn.pixel_shuffle is F.pixel_shuffle and gn.rms_norm is F.rms_norm


# --- random layers ------------------------------------------------------------------------


def test_rrelu_training_draws_slopes_in_range_and_eval_uses_the_mean(torch):
    x = gn.tensor(-np.abs(_rand(200, 50)) - 0.1, requires_grad=True)
    y = F.rrelu(x, 0.1, 0.3, training=True, generator=gn.Generator(1))
    slope = y.data / x.data
    assert 0.1 <= slope.min() and slope.max() <= 0.3 and slope.std() > 0.04
    y.sum().backward()
    assert_close(x.grad.data, slope, "gradient is the drawn slope")
    y2 = F.rrelu(x, 0.1, 0.3, training=True, generator=gn.Generator(1))
    assert np.array_equal(y.data, y2.data)  # same seed, same slopes
    m = nn.RReLU(0.1, 0.3).eval()
    assert_close(m(x).data, torch.nn.functional.rrelu(torch.tensor(x.data), 0.1, 0.3), "eval")
    pos = gn.tensor(np.abs(X))
    assert np.array_equal(F.rrelu(pos, training=True).data, pos.data)


def test_alpha_dropout_matches_torch_constants_and_keeps_statistics(torch):
    p = 0.3
    torch.manual_seed(0)
    for x in (np.zeros(4000), np.ones(4000)):
        ours = np.unique(np.round(F.alpha_dropout(x, p, True, generator=gn.Generator(0)).data,
                                  12))
        theirs = np.unique(np.round(
            torch.nn.functional.alpha_dropout(torch.tensor(x), p, True).numpy(), 12))
        assert_close(ours, theirs, "the two values a constant input maps to")
    x = gn.tensor(_rand(200_000, seed=4))
    y = F.alpha_dropout(x, 0.2, True, generator=gn.Generator(2))
    assert abs(y.data.mean()) < 0.02 and abs(y.data.std() - 1) < 0.02
    assert F.alpha_dropout(x, 0.2) is x  # training=False by default: the identity
    m = nn.AlphaDropout(0.2)
    assert m.eval()(x) is x
    assert np.all(F.alpha_dropout(x, 1.0, True).data == 0)


def test_gumbel_softmax_against_torch_with_the_same_noise(torch):
    logits = _rand(4, 5, seed=8)
    e = np.random.default_rng(3).exponential(size=logits.shape)
    for hard in (False, True):
        x = gn.tensor(logits, requires_grad=True)
        y = F.gumbel_softmax(x, tau=0.5, hard=hard, generator=np.random.default_rng(3))
        xt = torch.tensor(logits, requires_grad=True)
        soft = torch.softmax((xt - torch.log(torch.tensor(e))) / 0.5, -1)
        if hard:
            one = torch.zeros_like(soft).scatter_(-1, soft.argmax(-1, keepdim=True), 1.0)
            soft = one - soft.detach() + soft
            assert np.array_equal(y.data.sum(-1), np.ones(4)) and set(np.unique(y.data)) <= {0, 1}
        assert_close(y.data, soft, "sample")
        v = _rand(4, 5, seed=9)
        (y * gn.tensor(v)).sum().backward()
        (soft * torch.tensor(v)).sum().backward()
        assert_close(x.grad.data, xt.grad, "straight-through gradient" if hard else "gradient")
    assert F.gumbel_softmax(gn.randn(3, 4), dim=0, hard=True).data.sum(0).tolist() == [1] * 4


# --- modules ------------------------------------------------------------------------------


def test_module_reprs_match_torch(torch):
    tnn = torch.nn
    pairs = [
        (nn.RMSNorm(4), tnn.RMSNorm(4)),
        (nn.RMSNorm([2, 3], eps=1e-5, elementwise_affine=False),
         tnn.RMSNorm([2, 3], eps=1e-5, elementwise_affine=False)),
        (nn.GLU(), tnn.GLU()), (nn.Softmin(1), tnn.Softmin(1)),
        (nn.Softshrink(), tnn.Softshrink()), (nn.Hardshrink(0.3), tnn.Hardshrink(0.3)),
        (nn.Threshold(0.1, 20), tnn.Threshold(0.1, 20)), (nn.RReLU(), tnn.RReLU()),
        (nn.PixelShuffle(2), tnn.PixelShuffle(2)), (nn.PixelUnshuffle(3), tnn.PixelUnshuffle(3)),
        (nn.AdaptiveMaxPool2d((2, None)), tnn.AdaptiveMaxPool2d((2, None))),
        (nn.MaxUnpool2d(2, 1, 1), tnn.MaxUnpool2d(2, 1, 1)),
        (nn.MaxUnpool1d(2), tnn.MaxUnpool1d(2)),
        (nn.Unfold(2), tnn.Unfold(2)),
        (nn.Fold((4, 5), 2, stride=2), tnn.Fold((4, 5), 2, stride=2)),
        (nn.Bilinear(2, 3, 4), tnn.Bilinear(2, 3, 4)), (nn.LazyLinear(3), tnn.LazyLinear(3)),
        (nn.AlphaDropout(0.2), tnn.AlphaDropout(0.2)),
        (nn.LocalResponseNorm(2), tnn.LocalResponseNorm(2)),
        (nn.PoissonNLLLoss(), tnn.PoissonNLLLoss()),
        (nn.MultiMarginLoss(p=2), tnn.MultiMarginLoss(p=2)),
    ]
    for ours, theirs in pairs:
        assert repr(ours).split("  #")[0] == repr(theirs), (repr(ours), repr(theirs))


def _torch_weights(tm):
    return {k: v.detach().numpy().astype(np.float64) for k, v in tm.state_dict().items()}


def test_state_dicts_load_from_torch_and_outputs_match(torch):
    tnn = torch.nn
    torch.manual_seed(0)
    x1, x2 = _rand(4, 3), _rand(4, 5, seed=1)
    # RMSNorm
    tm = tnn.RMSNorm([3], eps=1e-6).double()
    with torch.no_grad():
        tm.weight.uniform_(0.5, 1.5)
    m = nn.RMSNorm([3], eps=1e-6).double()
    m.load_state_dict(tm.state_dict())
    assert list(m.state_dict()) == list(tm.state_dict()) == ["weight"]
    assert_close(m(gn.tensor(x1)).data, tm(torch.tensor(x1)), "RMSNorm")
    # Bilinear
    tm = tnn.Bilinear(3, 5, 2).double()
    m = nn.Bilinear(3, 5, 2).double()
    m.load_state_dict(tm.state_dict())
    assert list(m.state_dict()) == list(tm.state_dict())
    assert_close(m(gn.tensor(x1), gn.tensor(x2)).data, tm(torch.tensor(x1), torch.tensor(x2)),
                 "Bilinear")
    # ParameterDict (inside a container: dotted keys)
    tm = tnn.ModuleDict({"p": tnn.ParameterDict({"a": tnn.Parameter(torch.ones(2)),
                                                 "b": tnn.Parameter(torch.zeros(2, 3))})})
    m = nn.ModuleDict({"p": nn.ParameterDict({"a": gn.zeros(2), "b": gn.zeros(2, 3)})})
    m.load_state_dict(tm.state_dict())
    assert list(m.state_dict()) == list(tm.state_dict()) == ["p.a", "p.b"]
    assert m["p"]["a"].data.tolist() == [1, 1] and m["p"]["a"].requires_grad
    # LazyLinear: materialised by a forward, then loads PyTorch's Linear weights
    tl = tnn.LazyLinear(2).double()
    tl(torch.tensor(x2))
    m = nn.LazyLinear(2).double()
    m(gn.tensor(x2))
    assert isinstance(m, nn.Linear) and m.weight.shape == (2, 5)
    m.load_state_dict(tl.state_dict())
    assert_close(m(gn.tensor(x2)).data, tl(torch.tensor(x2)), "LazyLinear")
    # ... or by loading the state_dict directly
    m2 = nn.LazyLinear(2).double()
    m2.load_state_dict(tl.state_dict())
    assert m2.in_features == 5 and repr(m2) == repr(tl)
    assert_close(m2(gn.tensor(x2)).data, tl(torch.tensor(x2)), "LazyLinear loaded")


def test_lazy_linear_keeps_parameter_objects_and_initialises_like_linear():
    m = nn.LazyLinear(300, generator=gn.Generator(0))
    w, b = m.weight, m.bias
    opt = gn.optim.SGD(m.parameters(), lr=0.1)
    m(gn.randn(2, 16))
    assert m.weight is w and m.bias is b and w.shape == (300, 16) and b.shape == (300,)
    bound = 1 / math.sqrt(16)
    assert np.abs(w.data).max() <= bound and np.abs(w.data).max() > 0.9 * bound
    m(gn.randn(4, 16)).sum().backward()
    before = w.data.copy()
    opt.step()
    assert not np.array_equal(before, w.data)
    assert nn.LazyLinear(3, bias=False)(gn.randn(2, 4)).shape == (2, 3)


def test_bilinear_init_bounds_and_parameter_dict_api():
    m = nn.Bilinear(25, 3, 400)
    assert m.weight.shape == (400, 25, 3) and m.bias.shape == (400,)
    assert np.abs(m.weight.data).max() <= 0.2 and np.abs(m.weight.data).max() > 0.19
    assert nn.Bilinear(2, 3, 4, bias=False).bias is None
    d = nn.ParameterDict([("w", gn.ones(2)), ("v", np.zeros(3))])
    assert list(d) == ["w", "v"] and len(d) == 2 and "w" in d
    assert isinstance(d["v"], nn.Parameter) and len(list(d.parameters())) == 2
    d.update({"u": gn.zeros(1)})
    del d["w"]
    assert list(d.keys()) == ["v", "u"]
    with pytest.raises(KeyError, match="no key 'x'"):
        d["x"]
    with pytest.raises(KeyError, match="'.'"):
        d["a.b"] = gn.zeros(1)


def test_modules_call_their_functions(torch):
    x = _rand(2, 4, 4, 6)
    xt = torch.tensor(x)
    tnn = torch.nn
    for ours, theirs in [
        (nn.GLU(1), tnn.GLU(1)), (nn.Softmin(-1), tnn.Softmin(-1)),
        (nn.Softshrink(0.3), tnn.Softshrink(0.3)), (nn.Hardshrink(), tnn.Hardshrink()),
        (nn.Threshold(0.2, -1.0), tnn.Threshold(0.2, -1.0)),
        (nn.RReLU().eval(), tnn.RReLU().eval()), (nn.PixelShuffle(2), tnn.PixelShuffle(2)),
        (nn.PixelUnshuffle(2), tnn.PixelUnshuffle(2)),
        (nn.AdaptiveMaxPool2d(3), tnn.AdaptiveMaxPool2d(3)),
        (nn.Unfold(2, stride=2), tnn.Unfold(2, stride=2)),
        (nn.LocalResponseNorm(3), tnn.LocalResponseNorm(3)),
        (nn.RMSNorm(6, elementwise_affine=False), tnn.RMSNorm(6, elementwise_affine=False)),
    ]:
        assert_close(ours(gn.tensor(x)).data, theirs(xt), repr(ours))
    y, idx = nn.AdaptiveMaxPool1d(2, return_indices=True)(gn.tensor(x[0]))
    yt, it = tnn.AdaptiveMaxPool1d(2, return_indices=True)(xt[0])
    assert_close(y.data, yt, "AdaptiveMaxPool1d") and np.array_equal(idx.data, it.numpy())
    cols = _rand(2, 12, 9)
    assert_close(nn.Fold((4, 5), (2, 3))(gn.tensor(cols)).data,
                 tnn.Fold((4, 5), (2, 3))(torch.tensor(cols)), "Fold")
    a, p, n = _rand(3, 2), _rand(3, 2, seed=1), _rand(3, 2, seed=2)
    ta, tp, tn = (torch.tensor(v) for v in (a, p, n))
    yi = np.array([0, 2, 1])
    for ours, theirs, args in [
        (nn.PoissonNLLLoss(full=True), tnn.PoissonNLLLoss(full=True), (a, np.abs(p) * 3)),
        (nn.GaussianNLLLoss(), tnn.GaussianNLLLoss(), (a, p, np.abs(n) + 0.1)),
        (nn.MultiLabelSoftMarginLoss(weight=gn.tensor(np.array([0.5, 2.0]))),
         tnn.MultiLabelSoftMarginLoss(weight=torch.tensor([0.5, 2.0], dtype=torch.float64)),
         (a, (p > 0).astype(float))),
        (nn.MultiMarginLoss(margin=0.5), tnn.MultiMarginLoss(margin=0.5), (np.hstack([a, p]), yi)),
        (nn.MultiLabelMarginLoss(), tnn.MultiLabelMarginLoss(), (a, np.array([[1, -1]] * 3))),
        (nn.TripletMarginWithDistanceLoss(swap=True), tnn.TripletMarginWithDistanceLoss(swap=True),
         (a, p, n)),
    ]:
        assert_close(ours(*(gn.tensor(v) for v in args)).data,
                     theirs(*(torch.tensor(v) for v in args)), repr(ours))
    assert "weight" in nn.MultiMarginLoss(weight=gn.ones(3)).state_dict()


# --- errors -------------------------------------------------------------------------------

ERRORS = [
    (lambda: nn.RMSNorm(4)(gn.randn(2, 3)), ValueError, r"RMSNorm\(\(4,\).*\(\*, 4\).*\(2, 3\)"),
    (lambda: nn.GLU()(gn.randn(2, 3)), ValueError, r"GLU\(dim=-1\).*even.*size 3"),
    (lambda: nn.Bilinear(3, 4, 2)(gn.randn(5, 3), gn.randn(5, 3)), ValueError,
     r"Bilinear\(in1_features=3.*\(\*, 4\).*\(5, 3\)"),
    (lambda: nn.Bilinear(3, 4, 2)(gn.randn(5, 3), gn.randn(6, 4)), ValueError,
     r"same batch dims.*\(5, 3\) and \(6, 4\)"),
    (lambda: nn.PixelShuffle(2)(gn.randn(1, 6, 2, 2)), ValueError,
     r"PixelShuffle\(upscale_factor=2\).*divisible by upscale_factor² = 4.*\(1, 6, 2, 2\)"),
    (lambda: nn.PixelUnshuffle(2)(gn.randn(1, 1, 3, 4)), ValueError, r"divisible.*\(1, 1, 3, 4\)"),
    (lambda: nn.PixelShuffle(2)(gn.randn(4, 4)), ValueError, r"3 or more dims.*\(4, 4\)"),
    (lambda: nn.AdaptiveMaxPool2d(2)(gn.randn(3, 2)), ValueError,
     r"AdaptiveMaxPool2d.*4-D input.*\(3, 2\)"),
    (lambda: nn.MaxUnpool2d(2)(gn.randn(1, 1, 2, 2), gn.tensor(np.array([[[[0, 1], [2, 99]]]]))),
     ValueError, r"MaxUnpool2d.*index 99 is out of range.*\(4, 4\)"),
    (lambda: F.max_unpool2d(gn.randn(1, 1, 2, 2), gn.tensor(np.zeros((1, 1, 2, 3), int)), 2),
     ValueError, r"indices must have the input's shape \(1, 1, 2, 2\), got \(1, 1, 2, 3\)"),
    (lambda: F.max_unpool2d(gn.randn(1, 1, 2, 2), gn.tensor(np.zeros((1, 1, 2, 2), int)), 2,
                            output_size=(9, 9)), ValueError, r"output_size \(9, 9\)"),
    (lambda: nn.Unfold(3)(gn.randn(1, 2, 2, 5)), ValueError,
     r"Unfold.*no sliding block fits.*\(2, 5\)"),
    (lambda: nn.Unfold(3)(gn.randn(2, 5)), ValueError, r"4-D input.*\(2, 5\)"),
    (lambda: nn.Fold((4, 5), 2)(gn.randn(1, 7, 12)), ValueError,
     r"Fold.*dim 1 \(7\).*divisible.*4"),
    (lambda: nn.Fold((4, 5), 2)(gn.randn(1, 8, 11)), ValueError,
     r"3 x 4 = 12 blocks, but input dim 2 is 11"),
    (lambda: nn.LocalResponseNorm(2)(gn.randn(3, 4)), ValueError, r"LocalResponseNorm.*3 or more"),
    (lambda: F.multi_margin_loss(gn.randn(3, 4), gn.tensor(np.array([0, 4, 1]))), IndexError,
     r"class 4 is out of range for 4 classes"),
    (lambda: F.multi_margin_loss(gn.randn(3, 4), gn.tensor(np.array([0, 1]))), ValueError,
     r"target shape \(2,\) must be \(3,\)"),
    (lambda: F.multi_margin_loss(gn.randn(3, 4), gn.tensor(np.array([0, 1, 2])), p=3),
     ValueError, r"p = 1 and p = 2"),
    (lambda: F.multi_margin_loss(gn.randn(3, 4), gn.tensor(np.array([0.0, 1, 2]))), TypeError,
     r"class indices"),
    (lambda: F.multilabel_margin_loss(gn.randn(2, 3), gn.tensor(np.array([[0, -1, 5],
                                                                           [1, 2, 0]]))),
     IndexError, r"target value 5 is out of range: class indices are 0 to 2"),
    (lambda: F.multilabel_margin_loss(gn.randn(3, 4), gn.tensor(np.zeros((3, 3), int))),
     ValueError, r"target shape \(3, 3\) must equal the input shape \(3, 4\)"),
    (lambda: F.gaussian_nll_loss(gn.randn(3, 4), gn.randn(3, 4), gn.ones(2, 4)), ValueError,
     r"var shape \(2, 4\)"),
    (lambda: F.gaussian_nll_loss(gn.randn(3, 4), gn.randn(3, 4), -gn.ones(3, 4)), ValueError,
     r"negative"),
    (lambda: F.multilabel_soft_margin_loss(gn.randn(3, 4), gn.randn(3, 5)), ValueError,
     r"target shape \(3, 5\) must equal the input shape \(3, 4\)"),
    (lambda: F.triplet_margin_with_distance_loss(gn.randn(3, 2), gn.randn(3, 2), gn.randn(2)),
     ValueError, r"same number of dims.*\(3, 2\), \(3, 2\) and \(2,\)"),
    (lambda: nn.TripletMarginWithDistanceLoss(margin=-1), ValueError, r"margin must be positive"),
    (lambda: F.softshrink(gn.randn(3), -1.0), ValueError, r"lambd must be non-negative"),
    (lambda: F.rrelu(gn.randn(3), 0.5, 0.1), ValueError, r"lower <= upper"),
    (lambda: F.alpha_dropout(gn.randn(3), 1.5, True), ValueError, r"between 0 and 1"),
    (lambda: F.gumbel_softmax(gn.randn(3), tau=0), ValueError, r"tau must be positive"),
    (lambda: F.glu(gn.tensor(np.arange(4))), TypeError, r"floating-point"),
    (lambda: F.max_pool2d_with_indices(gn.randn(1, 1, 4, 4), 2, padding=2), ValueError,
     r"half the kernel size"),
    (lambda: nn.LazyLinear(3)(gn.tensor(1.0)), ValueError, r"LazyLinear.*0-D"),
    (lambda: nn.ParameterDict({1: gn.zeros(1)}), TypeError, r"keys must be strings"),
]


@pytest.mark.parametrize("i", range(len(ERRORS)))
def test_bad_inputs_raise_clear_errors(i):
    fn, exc, pattern = ERRORS[i]
    with pytest.raises(exc, match=pattern):
        fn()


def test_rms_norm_default_eps_is_the_dtypes_epsilon(torch):
    x = (_rand(4, 6) * 1e-4).astype(np.float32)  # small: eps matters
    for dt in (np.float32, np.float64):
        ours = F.rms_norm(gn.tensor(x.astype(dt)), (6,))
        theirs = torch.nn.functional.rms_norm(torch.tensor(x.astype(dt)), (6,))
        assert ours.dtype == dt
        assert_close(ours.data, theirs, str(dt), rtol=1e-5 if dt == np.float32 else 1e-12)
