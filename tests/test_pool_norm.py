"""Pooling, batch/layer normalisation and channel dropout against PyTorch (float64),
with finite-difference gradchecks and BatchNorm's running statistics over several steps."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn as nn
from conftest import assert_close
from glassnet.ops import norm as N
from glassnet.ops import pool as P
from test_conv import _leaf, check_against_torch

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def distinct(shape, seed=0):
    """Values with no ties (a permutation), so the max of every window is unique."""
    rng = np.random.default_rng(seed)
    return rng.permutation(int(np.prod(shape))).reshape(shape) / 7.0 - 3.0


# kernel, stride, padding, dilation, input shape
MAXPOOL2D = [
    (2, None, 0, 1, (2, 3, 8, 8)),  # the fast non-overlapping path
    (2, None, 0, 1, (1, 2, 7, 9)),  # fast path with a ragged edge dropped
    (3, 2, 1, 1, (2, 2, 9, 7)),
    (3, 1, 1, 1, (1, 3, 6, 6)),
    ((2, 3), (1, 2), (1, 1), 2, (2, 2, 9, 10)),
    (3, 3, 0, 1, (1, 1, 7, 7)),
    (1, 2, 0, 1, (2, 2, 5, 5)),
]


@pytest.mark.parametrize("k, s, p, d, shape", MAXPOOL2D)
def test_max_pool2d_matches_torch(k, s, p, d, shape):
    check_against_torch(lambda x: P.max_pool2d(x, k, s, p, d),
                        lambda x: TF.max_pool2d(x, k, s, p, d), [distinct(shape)])


def test_max_pool2d_ties_go_to_first_maximum_like_torch():
    x = np.zeros((1, 1, 4, 4))
    x[0, 0, 1, 1] = x[0, 0, 0, 1] = 1.0  # two maxima in one window
    for k, s in ((2, 2), (3, 1)):
        check_against_torch(lambda t, k=k, s=s: P.max_pool2d(t, k, s),
                            lambda t, k=k, s=s: TF.max_pool2d(t, k, s), [x])


@pytest.mark.parametrize("k, s, p, d, shape", [
    (2, None, 0, 1, (2, 3, 10)), (3, 2, 1, 1, (1, 2, 9)), (2, 1, 1, 2, (2, 2, 8))])
def test_max_pool1d_matches_torch(k, s, p, d, shape):
    check_against_torch(lambda x: P.max_pool1d(x, k, s, p, d),
                        lambda x: TF.max_pool1d(x, k, s, p, d), [distinct(shape)])


# kernel, stride, padding, count_include_pad, input shape
AVGPOOL2D = [
    (2, None, 0, True, (2, 3, 8, 8)),
    (3, 2, 1, True, (2, 2, 9, 7)),
    (3, 2, 1, False, (2, 2, 9, 7)),
    ((3, 2), (1, 2), (1, 1), False, (1, 2, 5, 6)),
    (3, 1, 0, True, (1, 1, 5, 5)),
]


@pytest.mark.parametrize("k, s, p, cip, shape", AVGPOOL2D)
def test_avg_pool2d_matches_torch(k, s, p, cip, shape):
    x = np.random.default_rng(1).standard_normal(shape)
    check_against_torch(lambda t: P.avg_pool2d(t, k, s, p, count_include_pad=cip),
                        lambda t: TF.avg_pool2d(t, k, s, p, count_include_pad=cip), [x])


def test_avg_pool1d_matches_torch():
    x = np.random.default_rng(2).standard_normal((2, 3, 9))
    check_against_torch(lambda t: P.avg_pool1d(t, 3, 2, 1), lambda t: TF.avg_pool1d(t, 3, 2, 1),
                        [x])


@pytest.mark.parametrize("out, shape", [
    (1, (2, 3, 7, 5)), ((2, 2), (1, 2, 8, 6)), ((3, 2), (2, 2, 7, 5)), ((None, 3), (1, 2, 4, 7)),
    ((4, 4), (1, 1, 3, 3))])  # bins that overlap and bins larger than the input
def test_adaptive_avg_pool2d_matches_torch(out, shape):
    x = np.random.default_rng(3).standard_normal(shape)
    check_against_torch(lambda t: P.adaptive_avg_pool2d(t, out),
                        lambda t: TF.adaptive_avg_pool2d(t, out), [x])


def test_adaptive_avg_pool1d_matches_torch():
    x = np.random.default_rng(4).standard_normal((2, 3, 10))
    check_against_torch(lambda t: P.adaptive_avg_pool1d(t, 4),
                        lambda t: TF.adaptive_avg_pool1d(t, 4), [x])


@pytest.mark.parametrize("fn", [
    lambda x: P.max_pool2d(x, 3, 2, 1),
    lambda x: P.max_pool2d(x, 2),
    lambda x: P.avg_pool2d(x, 3, 2, 1, count_include_pad=False),
    lambda x: P.adaptive_avg_pool2d(x, (2, 3)),
], ids=["max", "max-fast", "avg", "adaptive"])
def test_pool_gradcheck(fn):
    assert gn.gradcheck(fn, [_leaf(distinct((2, 2, 5, 6)))])


def test_pool_modules_and_unbatched_input():
    x = distinct((3, 6, 6))
    for m, tm in ((nn.MaxPool2d(2), torch.nn.MaxPool2d(2)),
                  (nn.AvgPool2d(3, 1, 1), torch.nn.AvgPool2d(3, 1, 1)),
                  (nn.AdaptiveAvgPool2d(1), torch.nn.AdaptiveAvgPool2d(1))):
        check_against_torch(m, tm, [x])


@pytest.mark.parametrize("call, message", [
    (lambda: P.max_pool2d(gn.randn(1, 1, 2, 2), 3), "larger than the padded"),
    (lambda: P.max_pool2d(gn.randn(1, 1, 4, 4), 2, 0), "stride"),
    (lambda: P.max_pool2d(gn.randn(1, 1, 4, 4), 2, 2, 2), "padding"),
    (lambda: P.avg_pool2d(gn.randn(4, 4), 2), "4-D input"),
    (lambda: P.adaptive_avg_pool2d(gn.randn(1, 1, 4, 4), 0), "output_size"),
])
def test_pool_bad_arguments(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# --- normalisation -----------------------------------------------------------------------


@pytest.mark.parametrize("cls, shape, kwargs", [
    ("BatchNorm2d", (4, 3, 5, 6), {}),
    ("BatchNorm2d", (2, 2, 3, 3), dict(momentum=None)),  # cumulative average
    ("BatchNorm2d", (3, 2, 4, 4), dict(affine=False, momentum=0.3)),
    ("BatchNorm1d", (8, 5), {}),
    ("BatchNorm1d", (4, 3, 7), dict(eps=1e-3)),
])
def test_batchnorm_training_steps_and_eval_match_torch(cls, shape, kwargs):
    m = getattr(nn, cls)(shape[1], **kwargs).double()
    tm = getattr(torch.nn, cls)(shape[1], **kwargs).double()
    assert list(m.state_dict()) == list(tm.state_dict())
    rng = np.random.default_rng(5)
    if m.weight is not None:
        w, b = rng.standard_normal(shape[1]), rng.standard_normal(shape[1])
        m.load_state_dict({**{k: v.detach().numpy() for k, v in tm.state_dict().items()},
                           "weight": w, "bias": b})
        tm.weight.data[:] = torch.tensor(w)
        tm.bias.data[:] = torch.tensor(b)
    for step in range(4):
        x = rng.standard_normal(shape) * (step + 1) + step
        check_against_torch(m, tm, [x], seed=step)
        if m.weight is not None:
            assert_close(m.weight.grad.data, tm.weight.grad, "weight gradient")
            assert_close(m.bias.grad.data, tm.bias.grad, "bias gradient")
            m.zero_grad()
            tm.zero_grad()
    for key, value in tm.state_dict().items():
        assert_close(m.state_dict()[key].data, value, key)
    m.eval()
    tm.eval()
    check_against_torch(m, tm, [rng.standard_normal(shape)])
    assert int(m.num_batches_tracked.data) == 4


def test_batchnorm_without_running_stats_uses_batch_stats_in_eval():
    m = nn.BatchNorm2d(2, track_running_stats=False).double().eval()
    tm = torch.nn.BatchNorm2d(2, track_running_stats=False).double().eval()
    assert list(m.state_dict()) == list(tm.state_dict())
    check_against_torch(m, tm, [np.random.default_rng(6).standard_normal((3, 2, 4, 4))])


def test_batchnorm_errors():
    with pytest.raises(ValueError, match=r"BatchNorm2d\(3\): expected input with 3 channels, "
                                         r"got 2"):
        nn.BatchNorm2d(3)(gn.randn(4, 2, 5, 5))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(gn.randn(1, 3))
    with pytest.raises(ValueError, match="4-D"):
        nn.BatchNorm2d(3)(gn.randn(4, 3))


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_gradcheck(training):
    rng = np.random.default_rng(7)
    x, w, b = (_leaf(rng.standard_normal(s)) for s in ((3, 2, 2, 3), (2,), (2,)))
    rm, rv = np.zeros(2), np.ones(2)
    assert gn.gradcheck(lambda x, w, b: N.batch_norm(x, rm.copy(), rv.copy(), w, b, training),
                        [x, w, b])


@pytest.mark.parametrize("shape, normalized", [
    ((4, 6), 6), ((2, 3, 5), (5,)), ((2, 3, 4, 5), (4, 5))])
def test_layer_norm_matches_torch(shape, normalized):
    rng = np.random.default_rng(8)
    ns = (normalized,) if isinstance(normalized, int) else normalized
    arrays = [rng.standard_normal(shape), rng.standard_normal(ns), rng.standard_normal(ns)]
    check_against_torch(lambda x, w, b: N.layer_norm(x, ns, w, b),
                        lambda x, w, b: TF.layer_norm(x, ns, w, b), arrays)
    check_against_torch(lambda x: N.layer_norm(x, ns), lambda x: TF.layer_norm(x, ns),
                        arrays[:1])


def test_layer_norm_module_and_gradcheck():
    m, tm = nn.LayerNorm((3, 4)).double(), torch.nn.LayerNorm((3, 4)).double()
    assert list(m.state_dict()) == list(tm.state_dict())
    check_against_torch(m, tm, [np.random.default_rng(9).standard_normal((2, 3, 4))])
    rng = np.random.default_rng(10)
    x, w, b = (_leaf(rng.standard_normal(s)) for s in ((2, 5), (5,), (5,)))
    assert gn.gradcheck(lambda x, w, b: N.layer_norm(x, 5, w, b), [x, w, b])
    with pytest.raises(ValueError, match="normalized_shape"):
        N.layer_norm(gn.randn(2, 4), (5,))


def test_dropout2d_zeroes_whole_channels_and_is_seeded():
    x = gn.ones(8, 16, 3, 3, requires_grad=True)
    y = gn.nn.functional.dropout2d(x, 0.5, generator=gn.Generator(0))
    d = y.data.reshape(8, 16, 9)
    assert set(np.unique(d)) <= {0.0, 2.0}
    assert (d.min(axis=2) == d.max(axis=2)).all()  # one value per channel
    assert 0.25 < (d[:, :, 0] == 0).mean() < 0.75
    again = gn.nn.functional.dropout2d(x, 0.5, generator=gn.Generator(0))
    np.testing.assert_array_equal(again.data, y.data)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.data, y.data)  # gradient = mask / (1 - p)
    m = nn.Dropout2d(0.5).eval()
    assert m(x) is x or np.array_equal(m(x).data, x.data)
    assert gn.nn.functional.dropout2d(x, 1.0).data.max() == 0.0
    with pytest.raises(ValueError, match="p must be"):
        nn.Dropout2d(1.5)
