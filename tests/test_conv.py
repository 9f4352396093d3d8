"""Conv1d / Conv2d against PyTorch (float64, same weights) over a table of geometries,
finite-difference gradchecks on small cases, the modules' parameters and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn as nn
from conftest import assert_close
from glassnet.ops.conv import conv1d, conv2d

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def _leaf(a):
    return gn.tensor(a, dtype=np.float64, requires_grad=True)


def _tleaf(a):
    return torch.tensor(a, dtype=torch.float64, requires_grad=True)


def check_against_torch(gn_fn, torch_fn, arrays, seed=0):
    """Forward and the gradients of sum(out * v) for every input match PyTorch."""
    xs, ts = [_leaf(a) for a in arrays], [_tleaf(a) for a in arrays]
    y, ty = gn_fn(*xs), torch_fn(*ts)
    assert_close(y.data, ty, "forward")
    v = np.random.default_rng(seed).standard_normal(ty.shape)
    (y * gn.tensor(v, dtype=np.float64)).sum().backward()
    (ty * torch.tensor(v)).sum().backward()
    for i, (x, t) in enumerate(zip(xs, ts)):
        assert_close(x.grad.data, t.grad, f"gradient of input {i}")


def row(N, C, HW, O, k, stride=1, padding=0, dilation=1, groups=1, bias=True):
    name = (f"N{N}-C{C}-{HW}-O{O}-k{k}-s{stride}-p{padding}-d{dilation}-g{groups}"
            f"{'' if bias else '-nobias'}")
    return pytest.param(N, C, HW, O, k, stride, padding, dilation, groups, bias, id=name)


CONV2D = [
    row(2, 3, (7, 7), 4, 3),
    row(2, 3, (8, 9), 4, 3, stride=2, padding=1),
    row(1, 3, (9, 7), 5, 3, padding="same"),
    row(2, 2, (6, 6), 4, 2, padding="same"),  # even kernel: the extra pad goes after
    row(1, 4, (7, 9), 6, 3, padding="same", dilation=2, groups=2),
    row(2, 4, (9, 9), 4, 3, stride=2, padding=1, groups=4, bias=False),  # depthwise
    row(1, 3, (5, 6), 6, (3, 1), stride=(2, 1), padding=(1, 0), dilation=(1, 2), groups=3,
        bias=False),  # depthwise with multiplier 2, rectangular everything
    row(3, 2, (11, 7), 5, 5, padding="valid"),
    row(2, 6, (10, 11), 4, 3, stride=2, padding=2, dilation=2, groups=2),
    row(1, 1, (5, 5), 1, 5),  # kernel as large as the image
    row(2, 3, (4, 4), 8, 1, stride=2),  # 1x1 convolution
]


@pytest.mark.parametrize("N, C, HW, O, k, stride, padding, dilation, groups, bias", CONV2D)
@pytest.mark.filterwarnings("ignore:Using padding=.same. with even kernel")
def test_conv2d_matches_torch(N, C, HW, O, k, stride, padding, dilation, groups, bias):
    rng = np.random.default_rng(1)
    kh, kw = (k, k) if isinstance(k, int) else k
    arrays = [rng.standard_normal((N, C) + HW), rng.standard_normal((O, C // groups, kh, kw))]
    if bias:
        arrays.append(rng.standard_normal(O))

    def gfn(x, w, b=None):
        return conv2d(x, w, b, stride, padding, dilation, groups)

    def tfn(x, w, b=None):
        return TF.conv2d(x, w, b, stride, padding, dilation, groups)

    check_against_torch(gfn, tfn, arrays)


CONV1D = [
    row(2, 3, (9,), 4, 3),
    row(1, 4, (10,), 6, 3, stride=2, padding=1, groups=2),
    row(2, 3, (8,), 3, 2, padding="same", dilation=2, groups=3, bias=False),
    row(1, 2, (7,), 4, 4, padding="valid"),
]


@pytest.mark.parametrize("N, C, HW, O, k, stride, padding, dilation, groups, bias", CONV1D)
def test_conv1d_matches_torch(N, C, HW, O, k, stride, padding, dilation, groups, bias):
    rng = np.random.default_rng(2)
    arrays = [rng.standard_normal((N, C) + HW), rng.standard_normal((O, C // groups, k))]
    if bias:
        arrays.append(rng.standard_normal(O))
    check_against_torch(lambda x, w, b=None: conv1d(x, w, b, stride, padding, dilation, groups),
                        lambda x, w, b=None: TF.conv1d(x, w, b, stride, padding, dilation,
                                                       groups), arrays)


@pytest.mark.parametrize("stride, padding, dilation, groups", [
    (1, 1, 1, 1), (2, 0, 1, 2), (1, "same", 2, 1), (2, 1, 1, 2)])
def test_conv2d_gradcheck(stride, padding, dilation, groups):
    rng = np.random.default_rng(3)
    x = _leaf(rng.standard_normal((2, 2, 5, 6)))
    w = _leaf(rng.standard_normal((2, 2 // groups, 3, 2)))
    b = _leaf(rng.standard_normal(2))
    assert gn.gradcheck(lambda x, w, b: conv2d(x, w, b, stride, padding, dilation, groups),
                        [x, w, b])


def test_conv1d_gradcheck():
    rng = np.random.default_rng(4)
    x, w = _leaf(rng.standard_normal((2, 2, 7))), _leaf(rng.standard_normal((3, 2, 3)))
    assert gn.gradcheck(lambda x, w: conv1d(x, w, None, 2, 1, 2), [x, w])


def test_float32_stays_float32():
    x = gn.randn(2, 3, 6, 6, requires_grad=True)
    w = gn.randn(4, 3, 3, 3, requires_grad=True)
    y = conv2d(x, w, gn.zeros(4), padding=1)
    assert y.dtype == np.float32
    y.sum().backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float32


def test_unbatched_input_like_torch():
    rng = np.random.default_rng(5)
    x, w = rng.standard_normal((3, 6, 6)), rng.standard_normal((4, 3, 3, 3))
    check_against_torch(lambda x, w: conv2d(x, w, padding=1),
                        lambda x, w: TF.conv2d(x, w, padding=1), [x, w])


# --- modules -----------------------------------------------------------------------------


@pytest.mark.parametrize("cls, kwargs, shape", [
    ("Conv2d", dict(in_channels=3, out_channels=4, kernel_size=3, stride=2, padding=1),
     (2, 3, 7, 8)),
    ("Conv2d", dict(in_channels=4, out_channels=4, kernel_size=(3, 2), padding="same",
                    dilation=2, groups=4, bias=False), (1, 4, 6, 5)),
    ("Conv1d", dict(in_channels=2, out_channels=6, kernel_size=3, groups=2), (3, 2, 9)),
])
def test_module_matches_torch(cls, kwargs, shape):
    m, tm = getattr(nn, cls)(**kwargs).double(), getattr(torch.nn, cls)(**kwargs).double()
    assert list(m.state_dict()) == list(tm.state_dict())
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x = np.random.default_rng(6).standard_normal(shape)
    gx, tx = _leaf(x), _tleaf(x)
    y, ty = m(gx), tm(tx)
    assert_close(y.data, ty, "forward")
    y.sum().backward()
    ty.sum().backward()
    assert_close(gx.grad.data, tx.grad, "input gradient")
    for (name, p), (_, tp) in zip(m.named_parameters(), tm.named_parameters()):
        assert_close(p.grad.data, tp.grad, f"gradient of {name}")


def test_default_init_bounds_and_shapes():
    m = nn.Conv2d(6, 8, (3, 5), groups=2, generator=gn.Generator(0))
    assert m.weight.shape == (8, 3, 3, 5) and m.bias.shape == (8,)
    bound = 1 / math.sqrt(3 * 3 * 5)
    w = m.weight.data
    assert w.dtype == np.float32
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.9 * bound
    assert np.abs(m.bias.data).max() <= bound
    # Same seed, same weights.
    m2 = nn.Conv2d(6, 8, (3, 5), groups=2, generator=gn.Generator(0))
    np.testing.assert_array_equal(m2.weight.data, w)


# --- bad input ---------------------------------------------------------------------------


def test_wrong_channel_count_names_layer_and_counts():
    m = nn.Conv2d(3, 8, 3)
    with pytest.raises(ValueError, match=r"Conv2d\(3, 8.*expected input with 3 channels, got 1"):
        m(gn.randn(2, 1, 8, 8))
    with pytest.raises(ValueError, match=r"expected input with 4 channels .*got 3 channels"):
        conv2d(gn.randn(1, 3, 5, 5), gn.randn(2, 2, 3, 3), groups=2)


@pytest.mark.parametrize("call, message", [
    (lambda: conv2d(gn.randn(1, 1, 4, 4), gn.randn(1, 1, 5, 5)), "larger than the padded"),
    (lambda: conv2d(gn.randn(1, 1, 4, 4), gn.randn(1, 1, 3, 3), dilation=2),
     "larger than the padded"),
    (lambda: conv2d(gn.randn(1, 1, 4, 4), gn.randn(1, 1, 3, 3), stride=0), "stride"),
    (lambda: conv2d(gn.randn(1, 1, 4, 4), gn.randn(1, 1, 3, 3), stride=2, padding="same"),
     "same"),
    (lambda: conv2d(gn.randn(1, 1, 4, 4), gn.randn(1, 1, 3, 3), padding="full"), "padding"),
    (lambda: conv2d(gn.randn(1, 4, 4), gn.randn(1, 1, 3, 3)[0]), "weight must have 4 dims"),
    (lambda: conv2d(gn.randn(4, 4), gn.randn(1, 1, 3, 3)), "4-D input"),
    (lambda: nn.Conv2d(3, 4, 3, stride=0), "stride"),
    (lambda: nn.Conv2d(3, 4, 3, groups=2), "divisible by groups"),
    (lambda: nn.Conv2d(4, 6, 3, groups=4), "divisible by groups"),
    (lambda: nn.Conv2d(3, 4, 3, padding="same", stride=2), "same"),
    (lambda: nn.Conv2d(3, 4, 3)(gn.randn(3, 8)), "4-D input"),
])
def test_bad_arguments_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- the chapter's examples ----------------------------------------------------------------


def test_o_vs_x_curriculum_numbers_and_shifted_x(capsys):
    from glassnet.examples import cnn_o_vs_x

    out = cnn_o_vs_x.run(fast=True)
    np.testing.assert_array_equal(out["feature_map"][0, :2], [1.0, -1.0])
    np.testing.assert_array_equal(out["pooled"], [[1.0, 0.0], [0.0, 1.0]])
    assert out["shifted_x_is_x"]
    assert out["probabilities"]["O"][0] > 0.9 and out["probabilities"]["X"][1] > 0.9
    assert "feature map starts 1, -1" in out["result"]


def test_cnn_digits_fast_mode_accuracy(capsys):
    from glassnet.examples import cnn_digits

    out = cnn_digits.run(fast=True)
    assert out["test_accuracy"] >= 0.95, out["result"]
