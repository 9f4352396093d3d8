"""3-D layers (and avg_pool's ceil_mode) against PyTorch in float64 on the same inputs and
weights, forward and backward; finite-difference gradchecks on small sizes; odd shapes and
bad input."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F
from conftest import assert_close, check_against_torch, gn_leaves, make_arrays, torch_leaves


def distinct(shape, seed=0):
    """Values with no ties (a permutation), so every window's max is unique."""
    rng = np.random.default_rng(seed)
    return rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0 - 3.0


def run(torch, gfn, tfn, arrays):
    return check_against_torch(torch, gfn, tfn, gn_leaves(arrays), torch_leaves(torch, arrays))


# --- convolution ----------------------------------------------------------------------------

# input shape, weight shape, keyword arguments (shared by both libraries)
CONV3D = [
    ((2, 3, 5, 6, 7), (4, 3, 3, 3, 3), {}),
    ((2, 4, 5, 6, 7), (6, 2, 3, 2, 3), dict(padding=(1, 0, 2), dilation=(1, 2, 1), groups=2)),
    ((2, 3, 7, 6, 5), (4, 3, 2, 3, 1), dict(stride=(2, 1, 3), padding=1)),
    ((1, 2, 5, 5, 5), (3, 2, 3, 3, 3), dict(padding="same")),
    ((1, 2, 4, 5, 6), (2, 2, 2, 2, 4), dict(padding="same", dilation=(2, 1, 1))),  # even k
    ((2, 2, 6, 5, 4), (4, 2, 2, 2, 2), dict(padding="valid", stride=3)),  # stride > kernel
    ((1, 4, 5, 5, 5), (4, 1, 3, 3, 3), dict(stride=2, padding=1, groups=4)),  # depthwise
    ((2, 3, 3, 4, 5), (5, 3, 1, 1, 1), {}),  # 1x1x1
    ((3, 2, 4, 4, 4), (1, 2, 4, 4, 4), {}),  # kernel as large as the volume
]


@pytest.mark.parametrize("xs, ws, kw", CONV3D)
@pytest.mark.parametrize("bias", [True, False])
def test_conv3d_matches_torch(torch, xs, ws, kw, bias):
    arrays = make_arrays([xs, ws] + ([(ws[0],)] if bias else []))
    run(torch, lambda *a: F.conv3d(*a, **kw), lambda *a: torch.nn.functional.conv3d(*a, **kw),
        arrays)


CONV_T3D = [
    ((2, 4, 3, 4, 2), (4, 3, 3, 2, 3),
     dict(stride=(2, 1, 3), padding=(1, 0, 1), output_padding=(1, 0, 2), groups=2,
          dilation=(1, 2, 1))),
    ((1, 2, 3, 3, 3), (2, 3, 2, 2, 2), dict(stride=2)),
    ((2, 3, 2, 3, 2), (3, 2, 3, 3, 3), dict(padding=1, dilation=2, output_padding=1)),
]


@pytest.mark.parametrize("xs, ws, kw", CONV_T3D)
def test_conv_transpose3d_matches_torch(torch, xs, ws, kw):
    out = ws[1] * kw.get("groups", 1)
    arrays = make_arrays([xs, ws, (out,)])
    run(torch, lambda *a: F.conv_transpose3d(*a, **kw),
        lambda *a: torch.nn.functional.conv_transpose3d(*a, **kw), arrays)


def test_conv3d_gradcheck():
    x, w, b = gn_leaves(make_arrays([(1, 2, 3, 4, 3), (2, 1, 2, 2, 2), (2,)], seed=1))
    assert gn.autograd.gradcheck(lambda *a: F.conv3d(*a, stride=(1, 2, 1), padding=1,
                                                     groups=2), (x, w, b))
    assert gn.autograd.gradcheck(lambda *a: F.conv_transpose3d(*a, stride=2, padding=1,
                                                               output_padding=1),
                                 gn_leaves(make_arrays([(1, 2, 2, 2, 2), (2, 1, 3, 2, 3), (1,)])))


def test_conv3d_modules_match_torch(torch):
    x = make_arrays([(2, 4, 5, 4, 6)])[0]
    for cls, kw in ((nn.Conv3d, dict(kernel_size=(3, 2, 3), stride=(1, 2, 1), padding=1,
                                     groups=2)),
                    (nn.ConvTranspose3d, dict(kernel_size=3, stride=2, padding=1,
                                              output_padding=1, groups=2))):
        g = cls(4, 6, dtype=np.float64, **kw)
        t = getattr(torch.nn, cls.__name__)(4, 6, dtype=torch.float64, **kw)
        assert g.weight.shape == tuple(t.weight.shape)
        t.load_state_dict({k: torch.tensor(v.data) for k, v in g.state_dict().items()})
        assert_close(g(gn.tensor(x)).data, t(torch.tensor(x)), cls.__name__)
        assert_close(g(gn.tensor(x[0])).data, t(torch.tensor(x[0])), "unbatched")
    assert repr(nn.Conv3d(2, 3, 3, padding=1)) == repr(torch.nn.Conv3d(2, 3, 3, padding=1))


def test_conv_transpose3d_output_size(torch):
    g = nn.ConvTranspose3d(2, 3, 3, stride=2, dtype=np.float64)
    y = g(gn.randn(1, 2, 3, 4, 5, dtype=gn.float64), output_size=(8, 10, 12))
    assert tuple(y.shape) == (1, 3, 8, 10, 12)


def test_conv3d_default_init_bound():
    gn.manual_seed(0)
    m = nn.Conv3d(4, 8, (3, 2, 1))
    bound = 1 / np.sqrt(4 * 3 * 2 * 1)
    assert m.weight.shape == (8, 4, 3, 2, 1) and m.bias.shape == (8,)
    assert np.abs(m.weight.data).max() <= bound and np.abs(m.weight.data).max() > 0.8 * bound


def test_conv3d_float32_stays_float32_and_float64_input_is_refused():
    m = nn.Conv3d(1, 2, 3)
    y = m(gn.randn(2, 1, 4, 4, 4))
    assert y.dtype == gn.float32 and tuple(y.shape) == (2, 2, 2, 2, 2)
    with pytest.raises((TypeError, RuntimeError), match="conv3d.*float64|float64.*float32"):
        m(gn.randn(2, 1, 4, 4, 4, dtype=gn.float64))


def test_zero_size_batch(torch):
    x = np.zeros((0, 2, 4, 4, 4))
    w = make_arrays([(3, 2, 3, 3, 3)])[0]
    y = F.conv3d(gn.tensor(x, requires_grad=True), gn.tensor(w, requires_grad=True), padding=1)
    assert tuple(y.shape) == (0, 3, 4, 4, 4)
    y.sum().backward()
    for fn, args in ((F.max_pool3d, (2,)), (F.avg_pool3d, (2,)),
                     (F.adaptive_avg_pool3d, (2,))):
        assert tuple(fn(gn.tensor(x), *args).shape) == (0, 2, 2, 2, 2)


# --- pooling --------------------------------------------------------------------------------

# kernel, stride, padding, dilation, ceil_mode, input shape
MAXPOOL3D = [
    (2, None, 0, 1, False, (2, 3, 4, 4, 4)),  # tiles: the fast backward
    (2, None, 0, 1, False, (1, 2, 5, 7, 6)),  # ragged edges dropped
    (3, 2, 1, 1, False, (2, 2, 5, 6, 7)),
    ((3, 2, 1), (1, 2, 3), (1, 1, 0), (1, 2, 1), False, (1, 2, 5, 7, 5)),
    (3, 2, 1, 1, True, (1, 2, 6, 5, 4)),  # ceil_mode: a window over the end
    ((2, 3, 2), (2, 2, 3), 1, 1, True, (2, 1, 5, 6, 7)),
    (2, 3, 0, 1, True, (1, 2, 5, 7, 4)),  # stride > kernel
]


@pytest.mark.parametrize("k, s, p, d, ceil, shape", MAXPOOL3D)
def test_max_pool3d_matches_torch(torch, k, s, p, d, ceil, shape):
    x = [distinct(shape)]
    run(torch, lambda a: F.max_pool3d(a, k, s, p, d, ceil),
        lambda a: torch.nn.functional.max_pool3d(a, k, s, p, d, ceil), x)
    y, i = F.max_pool3d(gn.tensor(x[0]), k, s, p, d, ceil, return_indices=True)
    ty, ti = torch.nn.functional.max_pool3d(torch.tensor(x[0]), k, s, p, d, ceil,
                                            return_indices=True)
    assert_close(y.data, ty, "values")
    assert i.dtype == gn.int64
    np.testing.assert_array_equal(i.data, ti.numpy())
    m = nn.MaxPool3d(k, s, p, d, return_indices=True, ceil_mode=ceil)
    u = nn.MaxUnpool3d(k, s, p)(*m(gn.tensor(x[0])), output_size=shape)
    tu = torch.nn.MaxUnpool3d(k, s, p)(ty, ti, output_size=shape)
    assert_close(u.data, tu, "unpool")


# kernel, stride, padding, ceil_mode, count_include_pad, divisor_override, input shape
AVGPOOL3D = [
    (2, None, 0, False, True, None, (2, 3, 4, 4, 4)),
    (3, 2, 1, False, True, None, (2, 2, 5, 6, 7)),
    (3, 2, 1, False, False, None, (1, 2, 5, 6, 7)),
    ((3, 2, 1), (1, 2, 3), (1, 1, 0), False, False, None, (1, 2, 5, 7, 5)),
    (3, 2, 1, True, True, None, (1, 2, 6, 5, 4)),
    (3, 2, 1, True, False, None, (1, 2, 6, 5, 4)),
    ((2, 3, 2), (2, 2, 3), 1, True, True, None, (2, 1, 5, 6, 7)),
    (2, 3, 0, True, True, None, (1, 2, 5, 7, 4)),
    (2, 2, 1, True, True, 3, (1, 2, 5, 5, 5)),
]


@pytest.mark.parametrize("k, s, p, ceil, inc, div, shape", AVGPOOL3D)
def test_avg_pool3d_matches_torch(torch, k, s, p, ceil, inc, div, shape):
    run(torch, lambda a: F.avg_pool3d(a, k, s, p, ceil, inc, div),
        lambda a: torch.nn.functional.avg_pool3d(a, k, s, p, ceil, inc, div), make_arrays([shape]))


@pytest.mark.parametrize("nd", [1, 2])
@pytest.mark.parametrize("k, s, p, inc", [(3, 2, 1, True), (3, 2, 1, False), (2, 3, 0, True),
                                          (3, 2, 0, True), (4, 3, 2, False)])
def test_avg_pool_ceil_mode_1d_2d_matches_torch(torch, nd, k, s, p, inc):
    shape = (2, 3, 7) if nd == 1 else (2, 3, 6, 7)
    g = F.avg_pool1d if nd == 1 else F.avg_pool2d
    t = torch.nn.functional.avg_pool1d if nd == 1 else torch.nn.functional.avg_pool2d
    run(torch, lambda a: g(a, k, s, p, True, inc), lambda a: t(a, k, s, p, True, inc),
        make_arrays([shape]))
    cls = nn.AvgPool1d if nd == 1 else nn.AvgPool2d
    tcls = getattr(torch.nn, cls.__name__)
    x = make_arrays([shape])[0]
    assert_close(cls(k, s, p, ceil_mode=True, count_include_pad=inc)(gn.tensor(x)).data,
                 tcls(k, s, p, ceil_mode=True, count_include_pad=inc)(torch.tensor(x)), "module")


@pytest.mark.parametrize("out", [1, 2, (3, None, 2), (2, 4, 3)])
def test_adaptive_pool3d_matches_torch(torch, out):
    shape = (2, 3, 5, 6, 7)
    run(torch, lambda a: F.adaptive_avg_pool3d(a, out),
        lambda a: torch.nn.functional.adaptive_avg_pool3d(a, out), make_arrays([shape]))
    x = [distinct(shape)]
    run(torch, lambda a: F.adaptive_max_pool3d(a, out),
        lambda a: torch.nn.functional.adaptive_max_pool3d(a, out), x)
    _, i = nn.AdaptiveMaxPool3d(out, return_indices=True)(gn.tensor(x[0]))
    _, ti = torch.nn.AdaptiveMaxPool3d(out, return_indices=True)(torch.tensor(x[0]))
    np.testing.assert_array_equal(i.data, ti.numpy())
    assert_close(nn.AdaptiveAvgPool3d(out)(gn.tensor(x[0][0])).data,
                 torch.nn.AdaptiveAvgPool3d(out)(torch.tensor(x[0][0])), "unbatched")


def test_ties_pick_the_first_maximum_like_torch(torch):
    x = np.random.default_rng(1).integers(0, 3, (2, 2, 5, 6, 7)).astype(np.float64)
    for g, t in ((lambda a: F.adaptive_max_pool3d(a, (2, 4, 3), return_indices=True),
                  lambda a: torch.nn.functional.adaptive_max_pool3d(a, (2, 4, 3), True)),
                 (lambda a: F.max_pool3d(a, 3, 2, 1, 2, True, return_indices=True),
                  lambda a: torch.nn.functional.max_pool3d(a, 3, 2, 1, 2, True, True))):
        (y, i), (ty, ti) = g(gn.tensor(x)), t(torch.tensor(x))
        assert_close(y.data, ty, "values")
        np.testing.assert_array_equal(i.data, ti.numpy())


def test_onnx_export_of_a_3d_cnn(tmp_path):
    ort = pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    gn.manual_seed(0)
    model = nn.Sequential(nn.Conv3d(1, 4, 3, padding=1), nn.BatchNorm3d(4), nn.ReLU(),
                          nn.MaxPool3d(2), nn.Conv3d(4, 4, (3, 1, 2), stride=(1, 2, 1)),
                          nn.AvgPool3d(2, padding=1),
                          nn.ConvTranspose3d(4, 2, 3, stride=2, output_padding=1), nn.Flatten())
    model.eval()
    x = gn.randn(2, 1, 7, 8, 9)
    gn.onnx.export(model, x, tmp_path / "cnn3d.onnx")
    sess = ort.InferenceSession(str(tmp_path / "cnn3d.onnx"))
    out = sess.run(None, {sess.get_inputs()[0].name: x.data})[0]
    assert_close(out, model(x).data, "onnxruntime", rtol=1e-5, atol=1e-6)


def test_pool3d_gradcheck():
    x = gn.tensor(distinct((1, 2, 4, 5, 3)), requires_grad=True)
    assert gn.autograd.gradcheck(lambda a: F.max_pool3d(a, 2, (1, 2, 2), 1, ceil_mode=True), x)
    assert gn.autograd.gradcheck(lambda a: F.avg_pool3d(a, 3, 2, 1, True, False), x)
    assert gn.autograd.gradcheck(lambda a: F.avg_pool2d(a, 3, 2, 1, True), x[0])
    assert gn.autograd.gradcheck(lambda a: F.adaptive_avg_pool3d(a, (3, 2, 2)), x)
    assert gn.autograd.gradcheck(lambda a: F.adaptive_max_pool3d(a, (3, 2, 2)), x)


def test_unbatched_pooling_like_torch(torch):
    x = distinct((2, 5, 4, 6))
    for name, args in (("max_pool3d", (2,)), ("avg_pool3d", (3, 2, 1, True))):
        assert_close(getattr(F, name)(gn.tensor(x), *args).data,
                     getattr(torch.nn.functional, name)(torch.tensor(x), *args), name)


# --- normalisation, dropout, resizing, padding ----------------------------------------------


def test_batch_norm3d_train_and_eval_match_torch(torch):
    x = make_arrays([(3, 4, 3, 4, 5)])[0] * 2 + 1
    g = nn.BatchNorm3d(4, momentum=0.3, dtype=np.float64)
    t = torch.nn.BatchNorm3d(4, momentum=0.3, dtype=torch.float64)
    for _ in range(2):
        run(torch, g, t, [x])
    for name in ("running_mean", "running_var"):
        assert_close(getattr(g, name).data, getattr(t, name), name)
    g.eval()
    t.eval()
    run(torch, g, t, [x])


def test_instance_norm3d_matches_torch(torch):
    x = make_arrays([(2, 3, 3, 4, 5)])[0]
    g = nn.InstanceNorm3d(3, affine=True, dtype=np.float64)
    t = torch.nn.InstanceNorm3d(3, affine=True, dtype=torch.float64)
    run(torch, g, t, [x])
    assert_close(nn.InstanceNorm3d(3)(gn.tensor(x[0])).data,
                 torch.nn.InstanceNorm3d(3)(torch.tensor(x[0])), "unbatched")


def test_dropout3d_zeroes_whole_channels():
    gn.manual_seed(0)
    x = gn.ones(4, 8, 2, 3, 3)
    y = nn.Dropout3d(0.5)(x).data
    per_channel = y.reshape(4, 8, -1)
    assert set(np.unique(per_channel)) <= {0.0, 2.0}
    assert (per_channel.min(axis=2) == per_channel.max(axis=2)).all()  # whole channels
    assert 0 < (per_channel[:, :, 0] == 0).sum() < 32
    m = nn.Dropout3d(0.5).eval()
    assert m(x) is x or np.array_equal(m(x).data, x.data)
    assert tuple(F.dropout3d(gn.ones(8, 2, 3, 3)).shape) == (8, 2, 3, 3)  # unbatched
    with pytest.raises(ValueError, match="dropout3d.*5-D"):
        F.dropout3d(gn.ones(2, 3, 4))


@pytest.mark.parametrize("kw", [dict(scale_factor=2, mode="nearest"),
                                dict(size=(3, 5, 4), mode="nearest"),
                                dict(scale_factor=(1.5, 2, 0.5), mode="trilinear"),
                                dict(size=(5, 3, 6), mode="trilinear", align_corners=True),
                                dict(size=(2, 3, 2), mode="area"),
                                dict(scale_factor=2, mode="nearest-exact")])
def test_interpolate_5d_matches_torch(torch, kw):
    run(torch, lambda a: F.interpolate(a, **kw),
        lambda a: torch.nn.functional.interpolate(a, **kw), make_arrays([(2, 2, 3, 4, 5)]))
    if "scale_factor" in kw and kw["mode"] != "nearest-exact":
        x = make_arrays([(1, 2, 3, 4, 5)])[0]
        up = dict(kw)
        assert_close(nn.Upsample(**up)(gn.tensor(x)).data,
                     torch.nn.Upsample(**up)(torch.tensor(x)), "Upsample")


@pytest.mark.parametrize("name, args", [("ZeroPad3d", ((1, 0, 2, 1, 0, 3),)),
                                        ("ConstantPad3d", (1, 2.5)),
                                        ("ReflectionPad3d", ((1, 2, 0, 1, 2, 1),)),
                                        ("ReplicationPad3d", (2,)),
                                        ("CircularPad3d", ((1, 0, 2, 1, 1, 2),))])
def test_pad3d_matches_torch(torch, name, args):
    run(torch, getattr(nn, name)(*args), getattr(torch.nn, name)(*args),
        make_arrays([(2, 2, 3, 4, 5)]))
    assert repr(getattr(nn, name)(*args)) == repr(getattr(torch.nn, name)(*args))


# --- bad input ------------------------------------------------------------------------------


@pytest.mark.parametrize("call, error, message", [
    (lambda: nn.Conv3d(2, 3, 3)(gn.randn(3, 2, 4, 4)),
     ValueError, r"Conv3d\(2, 3.*got 3 channels"),  # a 4-D input is unbatched (C, D, H, W)
    (lambda: nn.Conv3d(2, 3, 3)(gn.randn(2, 2, 4)),
     ValueError, r"Conv3d.*5-D input \(N, C, D, H, W\).*shape \(2, 2, 4\)"),
    (lambda: nn.Conv3d(2, 3, 3)(gn.randn(1, 2, 2, 4, 4)),
     ValueError, r"conv3d: kernel size \(3, 3, 3\).*larger than the padded input \(2, 4, 4\)"),
    (lambda: F.conv3d(gn.randn(1, 2, 4, 4, 4), gn.randn(3, 2, 3, 3)),
     ValueError, r"conv3d: weight must have 5 dims"),
    (lambda: F.conv3d(gn.randn(1, 2, 4, 4, 4), gn.randn(3, 2, 3, 3, 3), stride=(1, 2)),
     ValueError, r"conv3d: stride must be an int or a tuple of 3"),
    (lambda: F.conv3d(gn.randn(1, 2, 4, 4, 4), gn.randn(3, 2, 3, 3, 3), stride=2,
                      padding="same"), ValueError, r"conv3d: padding='same'"),
    (lambda: nn.ConvTranspose3d(2, 3, 3)(gn.randn(2, 3, 3)),
     ValueError, r"ConvTranspose3d.*5-D input"),
    (lambda: F.conv_transpose3d(gn.randn(1, 2, 3, 3, 3), gn.randn(2, 1, 3, 3, 3), stride=2,
                                output_padding=2),
     ValueError, r"conv_transpose3d: output_padding"),
    (lambda: nn.MaxPool3d(2)(gn.randn(2, 3, 4)),
     ValueError, r"MaxPool3d.*max_pool3d: expected a 5-D input \(N, C, D, H, W\).*\(2, 3, 4\)"),
    (lambda: nn.AvgPool3d(3)(gn.randn(1, 1, 2, 4, 4)),
     ValueError, r"AvgPool3d.*kernel size \(3, 3, 3\).*larger"),
    (lambda: F.avg_pool3d(gn.randn(1, 1, 4, 4, 4), 2, padding=2),
     ValueError, r"avg_pool3d: padding must be between 0 and half"),
    (lambda: nn.AdaptiveAvgPool3d((2, 2))(gn.randn(1, 1, 4, 4, 4)),
     ValueError, r"AdaptiveAvgPool3d.*output_size must be an int or a tuple of 3"),
    (lambda: nn.AdaptiveMaxPool3d(2)(gn.tensor(np.ones((1, 1, 4, 4, 4), dtype=np.int64))),
     TypeError, r"adaptive_max_pool3d: expected a floating-point input"),
    (lambda: nn.MaxUnpool3d(2)(gn.randn(1, 1, 2, 2, 2), gn.zeros(1, 1, 2, 2, dtype=gn.int64)),
     ValueError, r"MaxUnpool3d.*indices must be integers with the input's shape \(1, 1, 2, 2, 2\)"
                 r".*int64 of shape \(1, 1, 2, 2\)"),
    (lambda: F.max_unpool3d(gn.randn(1, 1, 2, 2, 2), gn.zeros(1, 1, 2, 2, 2), 2),
     TypeError, r"max_unpool3d: indices must be integers.*got float32"),
    (lambda: F.max_unpool3d(gn.randn(1, 1, 2, 2, 2),
                            gn.full((1, 1, 2, 2, 2), 64, dtype=gn.int64), 2),
     ValueError, r"max_unpool3d: an index .* out of range for an output volume \(4, 4, 4\)"),
    (lambda: nn.BatchNorm3d(3)(gn.randn(2, 3, 4, 4)),
     ValueError, r"BatchNorm3d\(3\): expected a 5-D input, got shape \(2, 3, 4, 4\)"),
    (lambda: nn.BatchNorm3d(3)(gn.randn(2, 3, 2, 2, 2, dtype=gn.float64)),
     (TypeError, RuntimeError), r"batch_norm.*float64"),
    (lambda: nn.InstanceNorm3d(3)(gn.randn(2, 3, 4)),
     ValueError, r"InstanceNorm3d\(3\): expected a 5-D input \(or 4-D unbatched\)"),
    (lambda: nn.ZeroPad3d((1, 2, 3))(gn.randn(1, 1, 2, 2, 2)),
     ValueError, r"ZeroPad3d: padding must be an int or a tuple of 6 ints \(left, right, top, "
                 r"bottom, front, back\)"),
    (lambda: nn.ReflectionPad3d(3)(gn.randn(1, 1, 3, 3, 3)),
     ValueError, r"reflect padding \(3, 3\) must be smaller"),
    (lambda: F.interpolate(gn.randn(1, 1, 2, 2, 2), scale_factor=2, mode="bilinear"),
     ValueError, r"mode 'bilinear' needs a 4-D"),
])
def test_bad_input_raises_clear_errors(call, error, message):
    with pytest.raises(error, match=message):
        call()
