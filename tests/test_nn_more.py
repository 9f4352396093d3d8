"""Layers and functions added for PyTorch parity: transposed convolution, interpolate and
Upsample, group and instance norm, the new losses, distances, padding modes, the new
activation modules, dtype strictness and Module state helpers. Each is compared with
PyTorch on the same inputs and weights in float64 (forward and backward), and checked by
finite differences where the configuration table is small."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from conftest import assert_close, check_against_torch

F = gn.nn.functional


def _pair(torch, arrays, grad=None):
    """glassnet and PyTorch float64 leaves for the same arrays (``grad``: which need one)."""
    grad = [True] * len(arrays) if grad is None else grad
    g = [gn.tensor(a, dtype=np.float64, requires_grad=r) for a, r in zip(arrays, grad)]
    t = [torch.tensor(a, dtype=torch.float64, requires_grad=r) for a, r in zip(arrays, grad)]
    return g, t


def _check(torch, gfn, tfn, arrays, grad=None, rtol=1e-10, atol=1e-12, seed=3):
    """Forward and the backward of sum(out · v) agree with PyTorch."""
    g, t = _pair(torch, arrays, grad)
    return check_against_torch(torch, gfn, tfn, g, t, rtol, atol, seed)


def _rand(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# --- transposed convolution ---------------------------------------------------------------

CT2 = [
    dict(),
    dict(stride=2),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(2, 3), padding=(1, 0), dilation=(1, 2)),
    dict(groups=2),
    dict(stride=3, dilation=2, padding=2, output_padding=(2, 1), groups=2),
    dict(dilation=3, output_padding=2),  # output_padding < dilation with stride 1
]


@pytest.mark.parametrize("cfg", CT2, ids=[str(c) for c in CT2])
def test_conv_transpose2d_vs_torch(torch, cfg):
    g = cfg.get("groups", 1)
    arrays = [_rand(2, 4, 5, 6), _rand(4, 3, 3, 2, seed=1), _rand(3 * g, seed=2)]
    _check(torch, lambda x, w, b: F.conv_transpose2d(x, w, b, **cfg),
           lambda x, w, b: torch.nn.functional.conv_transpose2d(x, w, b, **cfg), arrays)


@pytest.mark.parametrize("cfg", [dict(), dict(stride=2, padding=1, output_padding=1),
                                 dict(stride=3, dilation=2, groups=2, padding=1)])
def test_conv_transpose1d_vs_torch(torch, cfg):
    arrays = [_rand(2, 4, 7), _rand(4, 3, 3, seed=1), _rand(3 * cfg.get("groups", 1), seed=2)]
    _check(torch, lambda x, w, b: F.conv_transpose1d(x, w, b, **cfg),
           lambda x, w, b: torch.nn.functional.conv_transpose1d(x, w, b, **cfg), arrays)


def test_conv_transpose_gradcheck():
    x, w, b = (gn.tensor(_rand(*s, seed=i), requires_grad=True)
               for i, s in enumerate([(1, 2, 3, 3), (2, 2, 2, 2), (4,)]))
    assert gn.autograd.gradcheck(
        lambda x, w, b: F.conv_transpose2d(x, w, b, stride=2, padding=1, output_padding=1,
                                           groups=2), [x, w, b])


def test_conv_transpose_is_the_adjoint_of_conv():
    """⟨conv2d(y, W), x⟩ = ⟨y, conv_transpose2d(x, W)⟩ for every y and x."""
    W = gn.tensor(_rand(3, 2, 3, 3))
    x = gn.tensor(_rand(2, 3, 4, 4, seed=1))
    y = gn.tensor(_rand(2, 2, 7, 7, seed=2))
    lhs = float((F.conv2d(y, W, stride=2, padding=1) * x).sum())
    rhs = float((y * F.conv_transpose2d(x, W, stride=2, padding=1)).sum())
    assert lhs == pytest.approx(rhs, rel=1e-12)


def test_conv_transpose_modules_vs_torch(torch):
    for nd, kw in ((2, dict(stride=2, padding=1, output_padding=1, groups=2, dilation=1)),
                   (1, dict(stride=2, bias=False))):
        g = getattr(gn.nn, f"ConvTranspose{nd}d")(4, 6, 3, **kw)
        t = getattr(torch.nn, f"ConvTranspose{nd}d")(4, 6, 3, **kw).double()
        assert repr(g) == repr(t)
        assert tuple(g.weight.shape) == tuple(t.weight.shape)
        g.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
        g.double()
        x = _rand(2, 4, *([5] * nd))
        assert_close(g(gn.tensor(x)).data, t(torch.tensor(x)), rtol=1e-12)
        # output_size picks the output padding, as in PyTorch
        size = (10,) * nd if nd == 2 else (12,)
        assert_close(g(gn.tensor(x), output_size=size).data,
                     t(torch.tensor(x), output_size=size), rtol=1e-12)
    # default initialisation: U(±1/sqrt(fan_in)), fan_in = out_channels/groups · kernel
    w = gn.nn.ConvTranspose2d(64, 8, 3, generator=gn.Generator().manual_seed(0)).weight.data
    bound = 1 / np.sqrt(8 * 9)
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound


def test_conv_transpose_unbatched_and_errors():
    w = gn.randn(2, 3, 3, 3)
    assert F.conv_transpose2d(gn.randn(2, 4, 4), w).shape == (3, 6, 6)
    with pytest.raises(ValueError, match="expected input with 2 channels"):
        F.conv_transpose2d(gn.randn(1, 3, 4, 4), w)
    with pytest.raises(ValueError, match="output_padding must be"):
        F.conv_transpose2d(gn.randn(1, 2, 4, 4), w, stride=2, output_padding=2)
    with pytest.raises(ValueError, match="string padding"):
        gn.nn.ConvTranspose2d(2, 3, 3, padding="same")
    m = gn.nn.ConvTranspose2d(2, 3, 3, stride=2)
    with pytest.raises(ValueError, match="not reachable"):
        m(gn.randn(1, 2, 4, 4), output_size=(20, 20))
    with pytest.raises(ValueError, match="not positive"):
        F.conv_transpose2d(gn.randn(1, 2, 1, 1), gn.randn(2, 3, 1, 1), padding=1)


# --- interpolate / Upsample ---------------------------------------------------------------

INTERP = [
    ((2, 3, 5, 7), dict(scale_factor=2)),
    ((2, 3, 5, 7), dict(scale_factor=1.7)),
    ((2, 3, 5, 7), dict(size=(3, 4))),
    ((2, 3, 5, 7), dict(size=(11, 13))),
    ((2, 3, 5, 7), dict(scale_factor=1.3, mode="nearest-exact")),
    ((2, 3, 5, 7), dict(scale_factor=(1.5, 0.6), mode="bilinear")),
    ((2, 3, 5, 7), dict(size=(9, 4), mode="bilinear", align_corners=True)),
    ((2, 3, 5, 7), dict(size=(9, 14), mode="bilinear")),
    ((2, 3, 5, 7), dict(scale_factor=2.3, mode="bilinear")),
    ((2, 3, 5, 7), dict(scale_factor=2.3, mode="bilinear", recompute_scale_factor=True)),
    ((2, 3, 6, 7), dict(size=(1, 1), mode="bilinear")),
    ((2, 3, 6), dict(scale_factor=2.5, mode="linear")),
    ((2, 3, 6), dict(size=1, mode="linear", align_corners=True)),
    ((2, 3, 6), dict(size=4)),
    ((1, 2, 3, 4, 5), dict(scale_factor=2, mode="trilinear")),
    ((1, 2, 3, 4, 5), dict(size=(2, 5, 7))),
    ((2, 3, 8, 8), dict(size=(3, 5), mode="area")),
    ((2, 3, 5, 7), dict(scale_factor=2, mode="bicubic")),
    ((2, 3, 5, 7), dict(size=(9, 4), mode="bicubic", align_corners=True)),
    ((2, 3, 5, 7), dict(scale_factor=(1.7, 0.6), mode="bicubic")),
]


@pytest.mark.parametrize("shape,kw", INTERP, ids=[f"{s}-{k}" for s, k in INTERP])
def test_interpolate_vs_torch(torch, shape, kw):
    _check(torch, lambda x: F.interpolate(x, **kw),
           lambda x: torch.nn.functional.interpolate(x, **kw), [_rand(*shape)])


@pytest.mark.parametrize("mode", ["nearest", "bilinear"])
def test_interpolate_float32_matches_torch_bit_for_bit_indices(torch, mode):
    """float32 in, float32 out; nearest's float32 index arithmetic is PyTorch's."""
    x = _rand(1, 2, 7, 9).astype(np.float32)
    for sf in (1.7, 2.3, 0.45):
        out = F.interpolate(gn.tensor(x), scale_factor=sf, mode=mode)
        ref = torch.nn.functional.interpolate(torch.tensor(x), scale_factor=sf, mode=mode)
        assert out.dtype == np.float32
        assert_close(out.data, ref, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("shape,kw", [s for s in INTERP if s[1].get("mode", "nearest")
                                      not in ("nearest", "nearest-exact", "area")],
                         ids=lambda v: str(v))
def test_interpolate_gather_path_vs_torch(torch, shape, kw, monkeypatch):
    """Large axes resize by gathers instead of the dense weight matrix: the same values."""
    from glassnet.ops import resample

    monkeypatch.setattr(resample, "_DENSE_LIMIT", 0)
    _check(torch, lambda x: F.interpolate(x, **kw),
           lambda x: torch.nn.functional.interpolate(x, **kw), [_rand(*shape)])


def test_interpolate_gradcheck():
    x = gn.tensor(_rand(1, 2, 3, 4), requires_grad=True)
    assert gn.autograd.gradcheck(
        lambda x: F.interpolate(x, scale_factor=(1.7, 0.8), mode="bilinear"), x)
    assert gn.autograd.gradcheck(lambda x: F.interpolate(x, size=(5, 3)), x)


def test_interpolate_errors():
    x = gn.randn(1, 2, 4, 4)
    with pytest.raises(ValueError, match="align_corners"):
        F.interpolate(x, scale_factor=2, align_corners=True)
    with pytest.raises(ValueError, match="exactly one"):
        F.interpolate(x)
    with pytest.raises(ValueError, match="needs a 3-D"):
        F.interpolate(x, scale_factor=2, mode="linear")
    with pytest.raises(ValueError, match="mode must be one of"):
        F.interpolate(x, scale_factor=2, mode="lanczos")
    with pytest.raises(ValueError, match="positive"):
        F.interpolate(x, scale_factor=0.1)


def test_upsample_modules_vs_torch(torch):
    x = _rand(1, 2, 3, 4)
    for g, t in ((gn.nn.Upsample(scale_factor=2), torch.nn.Upsample(scale_factor=2)),
                 (gn.nn.Upsample(size=(5, 6), mode="bilinear"),
                  torch.nn.Upsample(size=(5, 6), mode="bilinear")),
                 (gn.nn.UpsamplingBilinear2d(scale_factor=2),
                  torch.nn.UpsamplingBilinear2d(scale_factor=2)),
                 (gn.nn.UpsamplingNearest2d(size=7), torch.nn.UpsamplingNearest2d(size=7))):
        assert repr(g) == repr(t)
        assert_close(g(gn.tensor(x)).data, t(torch.tensor(x)), rtol=1e-12)


# --- group / instance norm ----------------------------------------------------------------


@pytest.mark.parametrize("shape,groups", [((2, 6, 5), 3), ((3, 4, 2, 3), 2), ((2, 6), 2),
                                          ((2, 6, 3, 2, 2), 1), ((2, 6, 4), 6)])
def test_group_norm_vs_torch(torch, shape, groups):
    C = shape[1]
    _check(torch, lambda x, w, b: F.group_norm(x, groups, w, b, eps=1e-3),
           lambda x, w, b: torch.nn.functional.group_norm(x, groups, w, b, eps=1e-3),
           [_rand(*shape), _rand(C, seed=1), _rand(C, seed=2)])


@pytest.mark.parametrize("shape", [(2, 3, 5), (3, 4, 2, 3)])
def test_instance_norm_vs_torch(torch, shape):
    C = shape[1]
    _check(torch, lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
           lambda x, w, b: torch.nn.functional.instance_norm(x, weight=w, bias=b),
           [_rand(*shape), _rand(C, seed=1), _rand(C, seed=2)])


def test_norm_gradcheck():
    x = gn.tensor(_rand(2, 4, 3), requires_grad=True)
    w = gn.tensor(_rand(4, seed=1), requires_grad=True)
    b = gn.tensor(_rand(4, seed=2), requires_grad=True)
    assert gn.autograd.gradcheck(lambda x, w, b: F.group_norm(x, 2, w, b), [x, w, b])
    assert gn.autograd.gradcheck(lambda x, w, b: F.instance_norm(x, weight=w, bias=b),
                                 [x, w, b])


def test_norm_modules_train_and_eval_vs_torch(torch):
    x1, x2 = _rand(4, 3, 5, 6), _rand(4, 3, 5, 6, seed=1) * 2 + 1
    pairs = [
        (gn.nn.GroupNorm(3, 3), torch.nn.GroupNorm(3, 3)),
        (gn.nn.GroupNorm(1, 3, affine=False), torch.nn.GroupNorm(1, 3, affine=False)),
        (gn.nn.InstanceNorm2d(3), torch.nn.InstanceNorm2d(3)),
        (gn.nn.InstanceNorm2d(3, affine=True, track_running_stats=True, momentum=0.3),
         torch.nn.InstanceNorm2d(3, affine=True, track_running_stats=True, momentum=0.3)),
    ]
    for g, t in pairs:
        t.double()
        g.double()
        assert repr(g) == repr(t)
        assert list(g.state_dict()) == list(t.state_dict())
        for x in (x1, x2):  # two training steps move the running statistics
            assert_close(g(gn.tensor(x)).data, t(torch.tensor(x)), rtol=1e-10)
        g.eval()
        t.eval()
        assert_close(g(gn.tensor(x1)).data, t(torch.tensor(x1)), rtol=1e-10)
        for k, v in t.state_dict().items():
            assert_close(g.state_dict()[k].data, v, k, rtol=1e-12)
    m, tm = gn.nn.InstanceNorm1d(3), torch.nn.InstanceNorm1d(3)
    x = _rand(3, 7)  # unbatched (C, L)
    assert_close(m(gn.tensor(x)).data, tm(torch.tensor(x)), rtol=1e-10)


def test_norm_errors():
    with pytest.raises(ValueError, match="divisible"):
        gn.nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match="must divide"):
        F.group_norm(gn.randn(2, 6, 3), 4)
    with pytest.raises(ValueError, match=r"expected an input \(N, 6"):
        gn.nn.GroupNorm(3, 6)(gn.randn(2, 5, 3))
    with pytest.raises(ValueError, match="more than 1 spatial"):
        F.instance_norm(gn.randn(2, 3, 1))


# --- losses -------------------------------------------------------------------------------

X45, T45 = _rand(4, 5) * 2, _rand(4, 5, seed=1) * 2


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_smooth_l1_and_huber_vs_torch(torch, reduction):
    tf = torch.nn.functional
    for beta in (0.7, 1.0, 0.0):
        _check(torch, lambda x, t, b=beta: F.smooth_l1_loss(x, t, reduction=reduction, beta=b),
               lambda x, t, b=beta: tf.smooth_l1_loss(x, t, reduction=reduction, beta=b),
               [X45, T45])
    _check(torch, lambda x, t: F.huber_loss(x, t, reduction=reduction, delta=1.3),
           lambda x, t: tf.huber_loss(x, t, reduction=reduction, delta=1.3), [X45, T45])


LOGQ = np.log(np.random.default_rng(1).dirichlet(np.ones(5), 4))
P = np.random.default_rng(2).dirichlet(np.ones(5), 4)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none", "batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div_vs_torch(torch, reduction, log_target):
    target = np.log(P) if log_target else P
    _check(torch, lambda x, t: F.kl_div(x, t, reduction=reduction, log_target=log_target),
           lambda x, t: torch.nn.functional.kl_div(x, t, reduction=reduction,
                                                   log_target=log_target), [LOGQ, target])


def test_kl_div_zero_target_and_gradcheck():
    p = P.copy()
    p[0, 1] = 0.0
    x = gn.tensor(LOGQ, requires_grad=True)
    loss = F.kl_div(x, gn.tensor(p), reduction="batchmean")
    expected = np.sum(np.where(p > 0, p * (np.log(np.where(p > 0, p, 1)) - LOGQ), 0)) / 4
    assert float(loss) == pytest.approx(expected, rel=1e-12)
    assert gn.autograd.gradcheck(lambda x: F.kl_div(x, gn.tensor(p), reduction="sum"), x)
    t = gn.tensor(P, requires_grad=True)
    assert gn.autograd.gradcheck(
        lambda x, t: F.huber_loss(x, t * 3) + F.kl_div(x, t, reduction="batchmean"), [x, t])
    with pytest.warns(UserWarning, match="batchmean"):
        F.kl_div(x, t)  # 'mean' divides by every element, as in PyTorch, with its warning


def test_margin_losses_vs_torch(torch):
    tf = torch.nn.functional
    y = np.sign(_rand(4, seed=5))
    a, p, n = _rand(4, 5), _rand(4, 5, seed=1), _rand(4, 5, seed=2)
    _check(torch, lambda x1, x2, t: F.margin_ranking_loss(x1, x2, t, margin=0.3),
           lambda x1, x2, t: tf.margin_ranking_loss(x1, x2, t, margin=0.3),
           [a[:, 0], p[:, 0], y], grad=[True, True, False])
    _check(torch, lambda x, t: F.hinge_embedding_loss(x, t, margin=1.5, reduction="none"),
           lambda x, t: tf.hinge_embedding_loss(x, t, margin=1.5, reduction="none"),
           [a[:, 0], y], grad=[True, False])
    _check(torch, lambda x, t: F.soft_margin_loss(x, t), lambda x, t: tf.soft_margin_loss(x, t),
           [a, np.sign(p)], grad=[True, False])
    _check(torch, lambda x1, x2, t: F.cosine_embedding_loss(x1, x2, t, margin=0.2),
           lambda x1, x2, t: tf.cosine_embedding_loss(x1, x2, t, margin=0.2),
           [a, p, y], grad=[True, True, False])
    for kw in (dict(margin=2.0), dict(margin=2.0, p=1, swap=True)):
        _check(torch, lambda x1, x2, x3, kw=kw: F.triplet_margin_loss(x1, x2, x3, **kw),
               lambda x1, x2, x3, kw=kw: tf.triplet_margin_loss(x1, x2, x3, **kw), [a, p, n])


def test_loss_modules_vs_torch(torch):
    a, b, y = _rand(4, 5), _rand(4, 5, seed=1), np.sign(_rand(4, seed=3))
    cases = [
        ("SmoothL1Loss", dict(beta=0.5), (a, b)),
        ("HuberLoss", dict(delta=0.8, reduction="sum"), (a, b)),
        ("KLDivLoss", dict(reduction="batchmean"), (LOGQ, P)),
        ("KLDivLoss", dict(reduction="sum", log_target=True), (LOGQ, np.log(P))),
        ("MarginRankingLoss", dict(margin=0.1), (a[:, 0], b[:, 0], y)),
        ("HingeEmbeddingLoss", dict(), (a[:, 0], y)),
        ("SoftMarginLoss", dict(), (a, np.sign(b))),
        ("CosineEmbeddingLoss", dict(margin=0.1), (a, b, y)),
        ("TripletMarginLoss", dict(margin=0.5), (a, b, _rand(4, 5, seed=9))),
    ]
    for name, kw, args in cases:
        g, t = getattr(gn.nn, name)(**kw), getattr(torch.nn, name)(**kw)
        got = g(*[gn.tensor(v) for v in args])
        want = t(*[torch.tensor(v) for v in args])
        assert_close(got.data, want, name, rtol=1e-10)


# --- distances and normalisation ----------------------------------------------------------


def test_distances_vs_torch(torch):
    tf = torch.nn.functional
    a, b = _rand(4, 5), _rand(4, 5, seed=1)
    _check(torch, F.cosine_similarity, tf.cosine_similarity, [a, b])
    _check(torch, lambda x, y: F.cosine_similarity(x, y, dim=0),
           lambda x, y: tf.cosine_similarity(x, y, dim=0), [a, b[:1]])  # broadcast first
    _check(torch, lambda x, y: gn.cosine_similarity(x, y, dim=-1),
           lambda x, y: tf.cosine_similarity(x, y, dim=-1), [_rand(2, 3, 4), _rand(3, 4)])
    _check(torch, F.pairwise_distance, tf.pairwise_distance, [a, b])
    _check(torch, lambda x, y: F.pairwise_distance(x, y, p=1, keepdim=True),
           lambda x, y: tf.pairwise_distance(x, y, p=1, keepdim=True), [a, b])
    _check(torch, F.pairwise_distance, tf.pairwise_distance, [a[0], b[0]])
    _check(torch, F.normalize, tf.normalize, [a])
    _check(torch, lambda x: F.normalize(x, p=1, dim=0), lambda x: tf.normalize(x, p=1, dim=0),
           [a])
    for g, t in ((gn.nn.CosineSimilarity(dim=0), torch.nn.CosineSimilarity(dim=0)),
                 (gn.nn.PairwiseDistance(p=3), torch.nn.PairwiseDistance(p=3))):
        assert_close(g(gn.tensor(a), gn.tensor(b)).data, t(torch.tensor(a), torch.tensor(b)))


def test_zero_vectors_give_finite_gradients():
    x = gn.tensor(np.zeros((2, 3)), requires_grad=True)
    y = gn.tensor(_rand(2, 3), requires_grad=True)
    (F.cosine_similarity(x, y).sum() + F.normalize(x).sum()).backward()
    assert np.isfinite(x.grad.data).all() and np.isfinite(y.grad.data).all()
    assert np.array_equal(F.normalize(x).data, np.zeros((2, 3)))


# --- padding ------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular"])
@pytest.mark.parametrize("pad", [(2, 1, 3, 0), (0, 0, 1, 2), (1, 1, 1, 1, 1, 0), (3, 2)])
def test_pad_modes_vs_torch(torch, mode, pad):
    shape = (2, 3, 4, 5) if len(pad) > 2 else (2, 3, 5)
    _check(torch, lambda x: F.pad(x, pad, mode=mode),
           lambda x: torch.nn.functional.pad(x, pad, mode=mode), [_rand(*shape)])


def test_pad_gradcheck_and_errors():
    x = gn.tensor(_rand(1, 2, 3, 3), requires_grad=True)
    assert gn.autograd.gradcheck(lambda x: F.pad(x, (2, 1, 1, 2), mode="reflect"), x)
    with pytest.raises(ValueError, match="smaller than the size"):
        F.pad(gn.randn(1, 2, 3), (3, 0), mode="reflect")
    with pytest.raises(ValueError, match="mode must be"):
        F.pad(gn.randn(1, 2, 3), (1, 1), mode="wrap")


def test_padding_modules_vs_torch(torch):
    x = _rand(1, 2, 4, 5)
    for name, args in (("ZeroPad2d", ((1, 2, 0, 1),)), ("ZeroPad2d", (2,)),
                       ("ConstantPad2d", (1, 3.5)), ("ReflectionPad2d", ((1, 0, 2, 1),)),
                       ("ReplicationPad2d", (2,)), ("CircularPad2d", (1,))):
        g, t = getattr(gn.nn, name)(*args), getattr(torch.nn, name)(*args)
        assert repr(g) == repr(t)
        assert_close(g(gn.tensor(x)).data, t(torch.tensor(x)))
    for name, args in (("ZeroPad1d", (2,)), ("ConstantPad1d", ((1, 2), -1.0)),
                       ("ReflectionPad1d", (2,)), ("ReplicationPad1d", ((0, 3),))):
        g, t = getattr(gn.nn, name)(*args), getattr(torch.nn, name)(*args)
        assert repr(g) == repr(t)
        assert_close(g(gn.tensor(x[0])).data, t(torch.tensor(x[0])))


# --- activation modules -------------------------------------------------------------------

ACTS = [("GELU", ()), ("GELU", ("tanh",)), ("SiLU", ()), ("Mish", ()), ("ELU", (0.5,)),
        ("CELU", (0.7,)), ("SELU", ()), ("Hardtanh", (-2.0, 0.5)), ("ReLU6", ()),
        ("Hardswish", ()), ("Hardsigmoid", ()), ("Softsign", ()), ("LogSigmoid", ()),
        ("Tanhshrink", ()), ("PReLU", ()), ("PReLU", (3, 0.1))]


@pytest.mark.parametrize("name,args", ACTS, ids=[f"{n}{a}" for n, a in ACTS])
def test_activation_modules_vs_torch(torch, name, args):
    g, t = getattr(gn.nn, name)(*args), getattr(torch.nn, name)(*args).double()
    assert repr(g) == repr(t)
    g.double()
    x = _rand(2, 3, 4) * 4
    assert_close(g(gn.tensor(x)).data, t(torch.tensor(x)), rtol=1e-6 if name == "Hardsigmoid"
                 else 1e-12)
    assert g(gn.randn(2, 3, 4, dtype=np.float64)).dtype == np.float64
    g.float()
    assert g(gn.randn(2, 3, 4)).dtype == np.float32
    if name == "PReLU":
        assert [k for k, _ in g.named_parameters()] == ["weight"]


def test_activation_errors():
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(gn.randn(2), approximate="fast")
    with pytest.raises(ValueError, match="number of channels"):
        F.prelu(gn.randn(2, 3), gn.ones(4))
    with pytest.raises(ValueError, match="min_val"):
        gn.nn.Hardtanh(1.0, -1.0)


@pytest.mark.parametrize("kernel", ["numba", "numpy"])
def test_gelu_keeps_float32_on_both_kernels(monkeypatch, kernel):
    monkeypatch.setenv("GLASSNET_KERNEL", kernel)
    x = _rand(50) * 3
    want = F.gelu(gn.tensor(x, dtype=gn.float64)).data
    y = F.gelu(gn.tensor(x.astype(np.float32)))
    assert y.dtype == gn.float32
    np.testing.assert_allclose(y.data, want, rtol=2e-7, atol=1e-7)


# --- dtype strictness ---------------------------------------------------------------------


@pytest.mark.parametrize("make,shape", [
    (lambda: gn.nn.Linear(3, 2), (4, 3)),
    (lambda: gn.nn.Conv2d(2, 3, 3), (1, 2, 5, 5)),
    (lambda: gn.nn.Conv1d(2, 3, 3), (1, 2, 5)),
    (lambda: gn.nn.ConvTranspose2d(2, 3, 3), (1, 2, 5, 5)),
    (lambda: gn.nn.BatchNorm1d(3), (4, 3)),
    (lambda: gn.nn.LayerNorm(3), (4, 3)),
    (lambda: gn.nn.GroupNorm(1, 2), (4, 2, 3)),
    (lambda: gn.nn.PReLU(), (4, 3)),
])
def test_float64_input_into_float32_layer_raises(make, shape):
    layer = make()
    with pytest.raises(TypeError, match=r"float64 does not match .* float32.*\.float\(\)"):
        layer(gn.tensor(np.zeros(shape)))
    assert layer(gn.zeros(*shape)).dtype == np.float32
    layer.double()
    assert layer(gn.tensor(np.zeros(shape))).dtype == np.float64
    with pytest.raises(TypeError, match=r"\.double\(\)"):
        layer(gn.zeros(*shape))


def test_numpy_input_takes_the_layers_dtype():
    assert gn.nn.Linear(3, 2)(np.zeros((4, 3))).dtype == np.float32


# --- Module state helpers -----------------------------------------------------------------


def test_buffers_apply_requires_grad_and_submodules(torch):
    class Net(gn.nn.Module):
        def __init__(self):
            super().__init__()
            self.body = gn.nn.Sequential(gn.nn.Linear(2, 3), gn.nn.BatchNorm1d(3))
            self.register_buffer("scale", gn.ones(3))
            self.register_buffer("cache", gn.zeros(2), persistent=False)

    net = Net()
    assert "cache" not in net.state_dict() and "scale" in net.state_dict()
    assert [n for n, _ in net.named_buffers()] == [
        "scale", "cache", "body.1.running_mean", "body.1.running_var",
        "body.1.num_batches_tracked"]
    assert len(list(net.buffers(recurse=False))) == 2
    net.register_buffer("cache", gn.zeros(2), persistent=True)  # now saved
    assert "cache" in net.state_dict()
    with pytest.raises(KeyError, match="contain no"):
        net.register_buffer("a.b", gn.zeros(1))
    with pytest.raises(KeyError, match="already exists"):
        net.register_buffer("body", gn.zeros(1))
    seen = []
    assert net.apply(lambda m: seen.append(type(m).__name__)) is net
    assert seen == ["Linear", "BatchNorm1d", "Sequential", "Net"]  # children first
    net.requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())
    assert net.get_submodule("body.1") is net.body[1]
    with pytest.raises(AttributeError, match="no sub-module"):
        net.get_submodule("body.7")
    net.requires_grad_(True)
    net.body(gn.randn(4, 2)).sum().backward()
    net.zero_grad()
    assert all(p.grad is None for p in net.parameters())
    # the same names as PyTorch's modules give
    t = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
    assert [n for n, _ in net.body.named_buffers()] == [n for n, _ in t.named_buffers()]


def test_empty_batches_and_integer_inputs():
    """Hostile inputs: an empty batch goes through with the right shape; integer data into
    a floating activation and an empty spatial dim are clear errors."""
    assert F.conv_transpose2d(gn.randn(0, 2, 3, 3), gn.randn(2, 3, 3, 3)).shape == (0, 3, 5, 5)
    assert F.interpolate(gn.randn(0, 2, 3, 3), scale_factor=2, mode="bilinear").shape == \
        (0, 2, 6, 6)
    assert F.group_norm(gn.randn(0, 4, 3), 2).shape == (0, 4, 3)
    assert F.instance_norm(gn.randn(0, 4, 3)).shape == (0, 4, 3)
    assert F.pad(gn.randn(0, 2, 3), (1, 1), mode="reflect").shape == (0, 2, 5)
    assert F.gelu(gn.randn(0, 3)).shape == (0, 3)
    for fn in (F.gelu, F.silu, F.elu, F.hardswish):
        with pytest.raises(TypeError, match="floating-point"):
            fn(gn.tensor([1, 2]))
    with pytest.raises(ValueError, match="empty spatial dim"):
        F.interpolate(gn.randn(1, 2, 0, 3), size=(2, 2))


def test_float32_stays_float32():
    """float32 in, float32 out, and float32 gradients (no silent promotion)."""
    x = gn.randn(2, 4, 5, 5, requires_grad=True)
    w, b = gn.randn(4, 3, 3, 3, requires_grad=True), gn.randn(3, requires_grad=True)
    outs = [F.conv_transpose2d(x, w, b, stride=2), F.group_norm(x, 2), F.instance_norm(x),
            F.interpolate(x, scale_factor=1.5, mode="bilinear"), F.pad(x, (1, 1), "reflect"),
            F.normalize(x), F.gelu(x), F.elu(x), F.smooth_l1_loss(x, x.detach() * 0.5),
            F.kl_div(x, x.detach().exp(), reduction="batchmean")]
    for y in outs:
        assert y.dtype == np.float32
        y.sum().backward()
    for t in (x, w, b):
        assert t.grad.dtype == np.float32
