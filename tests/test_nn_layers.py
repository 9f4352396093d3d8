"""Layers, initialisation and gradient utilities against PyTorch, in float64 with copied
weights: forward values, gradients of inputs and parameters, default-init bounds."""

from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from conftest import assert_close
from glassnet import nn

torch = pytest.importorskip("torch")


def _copy_params(src_torch, dst_gn):
    dst_gn.load_state_dict({k: v.detach().numpy() for k, v in src_torch.state_dict().items()})


def _fwd_bwd_compare(gm, tm, x, what):
    gm.double()
    tm.double()
    _copy_params(tm, gm)
    gx = gn.tensor(x, dtype=np.float64, requires_grad=True)
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    out, ref = gm(gx), tm(tx)
    assert_close(out, ref, f"{what} forward")
    v = np.random.default_rng(9).standard_normal(ref.shape)
    (out * gn.tensor(v, dtype=np.float64)).sum().backward()
    (ref * torch.tensor(v)).sum().backward()
    assert_close(gx.grad, tx.grad, f"{what} d/dx")
    tp = dict(tm.named_parameters())
    for name, p in gm.named_parameters():
        assert_close(p.grad, tp[name].grad, f"{what} d/d{name}")


LAYERS = [
    pytest.param(lambda m: m.Linear(5, 3), (4, 5), id="linear"),
    pytest.param(lambda m: m.Linear(5, 3, bias=False), (4, 5), id="linear_nobias"),
    pytest.param(lambda m: m.Linear(5, 3), (2, 3, 5), id="linear_3d_input"),
    pytest.param(lambda m: m.Linear(5, 3), (5,), id="linear_1d_input"),
    pytest.param(lambda m: m.Sequential(m.Linear(4, 8), m.ReLU(), m.Linear(8, 8), m.Tanh(),
                                        m.Linear(8, 3), m.LogSoftmax(dim=1)), (6, 4), id="mlp"),
    pytest.param(lambda m: m.Sequential(m.Flatten(), m.Linear(12, 2), m.Softplus()),
                 (3, 3, 4), id="flatten_linear_softplus"),
    pytest.param(lambda m: m.ReLU(), (3, 4), id="relu"),
    pytest.param(lambda m: m.LeakyReLU(0.2), (3, 4), id="leaky_relu"),
    pytest.param(lambda m: m.Sigmoid(), (3, 4), id="sigmoid"),
    pytest.param(lambda m: m.Tanh(), (3, 4), id="tanh"),
    pytest.param(lambda m: m.Softplus(beta=2.0, threshold=1.0), (3, 4), id="softplus"),
    pytest.param(lambda m: m.Softmax(dim=1), (3, 4), id="softmax"),
    pytest.param(lambda m: m.Softmax(dim=-1), (2, 3, 4), id="softmax_last"),
    pytest.param(lambda m: m.LogSoftmax(dim=0), (3, 4), id="log_softmax"),
    pytest.param(lambda m: m.Identity(), (3, 4), id="identity"),
    pytest.param(lambda m: m.Flatten(0, 1), (2, 3, 4), id="flatten_0_1"),
    pytest.param(lambda m: m.Unflatten(1, (2, 2)), (3, 4), id="unflatten"),
]


@pytest.mark.parametrize("build, shape", LAYERS)
def test_layer_matches_torch(build, shape):
    x = np.random.default_rng(0).standard_normal(shape)
    _fwd_bwd_compare(build(nn), build(torch.nn), x, "layer")


def test_linear_wrong_width_names_layer_and_shapes():
    layer = nn.Linear(4, 3)
    with pytest.raises(ValueError, match=r"Linear\(in_features=4, out_features=3, bias=True\): "
                                         r"expected input of shape \(\*, 4\), got \(10, 5\)"):
        layer(gn.randn(10, 5))
    with pytest.raises(ValueError, match=r"expected input shape \(\*, 4\)"):
        F.linear(gn.randn(2, 5), layer.weight)
    model = nn.Sequential(nn.Linear(3, 8), nn.ReLU(), nn.Linear(16, 2))
    with pytest.raises(ValueError, match=r"Sequential layer \(2\): Linear\(in_features=16, "
                                         r".*expected input of shape \(\*, 16\), got \(5, 8\)"):
        model(gn.randn(5, 3))


def test_linear_default_init_matches_torch_bounds():
    fan_in = 50
    layer = nn.Linear(fan_in, 400, generator=gn.Generator(0))
    ref = torch.nn.Linear(fan_in, 400)
    bound = 1 / math.sqrt(fan_in)
    for p, q in ((layer.weight, ref.weight), (layer.bias, ref.bias)):
        w, r = p.data, q.detach().numpy()
        assert w.dtype == np.float32 and w.shape == r.shape
        assert np.abs(w).max() <= bound and np.abs(r).max() <= bound
        assert np.abs(w).max() > 0.95 * bound
    # U(-b, b) has standard deviation b / √3.
    assert abs(layer.weight.data.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert abs(layer.weight.data.mean()) < 0.02 * bound


def test_seeded_init_is_reproducible():
    a = nn.Linear(3, 3, generator=gn.Generator(7))
    b = nn.Linear(3, 3, generator=gn.Generator(7))
    assert np.array_equal(a.weight.data, b.weight.data)
    gn.manual_seed(1)
    c = nn.Linear(3, 3)
    gn.manual_seed(1)
    d = nn.Linear(3, 3)
    assert np.array_equal(c.bias.data, d.bias.data)


@pytest.mark.parametrize("nonlinearity, param", [
    ("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None),
])
def test_calculate_gain_matches_torch(nonlinearity, param):
    assert nn.init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param))


@pytest.mark.parametrize("fn, kwargs, shape, check", [
    ("uniform_", {"a": -2.0, "b": 3.0}, (200, 100), ("range", -2.0, 3.0)),
    ("normal_", {"mean": 1.0, "std": 2.0}, (200, 100), ("moments", 1.0, 2.0)),
    ("xavier_uniform_", {"gain": 2.0}, (300, 100), ("range", -2 * math.sqrt(6 / 400),
                                                    2 * math.sqrt(6 / 400))),
    ("xavier_normal_", {}, (300, 100), ("moments", 0.0, math.sqrt(2 / 400))),
    ("kaiming_uniform_", {"a": math.sqrt(5)}, (100, 64), ("range", -1 / 8, 1 / 8)),
    ("kaiming_normal_", {"mode": "fan_out", "nonlinearity": "relu"}, (100, 8, 3, 3),
     ("moments", 0.0, math.sqrt(2 / 900))),
    ("kaiming_uniform_", {"nonlinearity": "relu"}, (64, 6, 5, 5),
     ("range", -math.sqrt(6 / 150), math.sqrt(6 / 150))),
])
def test_init_statistics(fn, kwargs, shape, check):
    t = gn.empty(*shape)
    getattr(nn.init, fn)(t, **kwargs, generator=gn.Generator(0))
    w = t.data.astype(np.float64)
    kind, a, b = check
    if kind == "range":
        assert w.min() >= a and w.max() <= b
        assert w.min() < a + 0.02 * (b - a) and w.max() > b - 0.02 * (b - a)
    else:
        assert abs(w.mean() - a) < 0.05 * b and abs(w.std() - b) < 0.03 * b


def test_init_simple_fills_and_errors():
    t = gn.empty(3, 3)
    assert np.all(nn.init.ones_(t).data == 1) and np.all(nn.init.zeros_(t).data == 0)
    assert np.all(nn.init.constant_(t, 0.5).data == 0.5)
    assert np.array_equal(nn.init.eye_(t).data, np.eye(3))
    q = nn.init.orthogonal_(gn.empty(4, 6), generator=gn.Generator(0)).data
    assert_close(q @ q.T, np.eye(4), "orthogonal rows", rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="at least 2 dims"):
        nn.init.xavier_uniform_(gn.empty(5))


def test_dropout_training_eval_and_gradient():
    x = gn.ones(200, 100, requires_grad=True)
    drop = nn.Dropout(0.25, generator=gn.Generator(0))
    y = drop(x)
    kept = y.data != 0
    assert abs(kept.mean() - 0.75) < 0.01
    assert np.allclose(y.data[kept], 1 / 0.75)
    y.sum().backward()
    assert np.array_equal(x.grad.data, y.data)
    drop.eval()
    assert drop(x) is x
    assert F.dropout(x, 0.0) is x and np.all(F.dropout(x, 1.0).data == 0)
    a = F.dropout(x, 0.5, True, generator=gn.Generator(3)).data
    b = F.dropout(x, 0.5, True, generator=gn.Generator(3)).data
    assert np.array_equal(a, b)
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_one_hot_matches_torch():
    y = np.array([[0, 2], [1, 3]])
    assert np.array_equal(F.one_hot(gn.tensor(y)).data,
                          torch.nn.functional.one_hot(torch.tensor(y)).numpy())
    assert F.one_hot(gn.tensor([1, 0]), 4).shape == (2, 4)
    with pytest.raises(ValueError, match="out of range"):
        F.one_hot(gn.tensor([5]), 3)
    with pytest.raises(TypeError, match="integers"):
        F.one_hot(gn.tensor([0.0]))


@pytest.mark.parametrize("labels, k, match", [
    ([0, 3], 3, r"out of range.*\[0, 2\].*from 0 to 3"),
    ([-1, 0], 3, "from -1"),
    (np.zeros(0, np.int64), -1, "empty"),
    ([1], 0, "positive"),
])
def test_one_hot_errors_name_the_problem(labels, k, match):
    with pytest.raises(ValueError, match=match):
        F.one_hot(np.asarray(labels), k)


def test_one_hot_keeps_the_container_and_takes_a_dtype():
    y = np.array([2, 0])
    out = F.one_hot(y, 3, dtype=np.float32)
    assert type(out) is np.ndarray and out.dtype == np.float32
    assert np.array_equal(out, np.eye(3, dtype=np.float32)[y])
    t = F.one_hot(gn.tensor(y))
    assert isinstance(t, gn.Tensor) and t.dtype == np.int64 and t.shape == (2, 3)


def test_softmax_implicit_dim_matches_torch():
    x = np.random.default_rng(2).standard_normal((2, 3, 4))
    with pytest.warns(UserWarning):
        ref = torch.nn.functional.softmax(torch.tensor(x))
    assert_close(F.softmax(gn.tensor(x, dtype=np.float64)), ref, "implicit dim 0 for 3-D")


def test_gradcheck_linear():
    rng = np.random.default_rng(0)
    x, W, b = (gn.tensor(rng.standard_normal(s), dtype=np.float64, requires_grad=True)
               for s in ((2, 3, 4), (5, 4), (5,)))
    assert gn.gradcheck(F.linear, [x, W, b])


def _grads_pair(rng, scale=1.0):
    shapes = [(3, 4), (4,), (2, 2, 2)]
    grads = [rng.standard_normal(s) * scale for s in shapes]
    gp = [gn.tensor(np.zeros(s), dtype=np.float64, requires_grad=True) for s in shapes]
    tp = [torch.zeros(s, dtype=torch.float64, requires_grad=True) for s in shapes]
    for p, q, g in zip(gp, tp, grads):
        p.grad = gn.tensor(g, dtype=np.float64)
        q.grad = torch.tensor(g)
    return gp, tp


@pytest.mark.parametrize("max_norm, norm_type", [(1.0, 2.0), (100.0, 2.0), (0.5, 1.0),
                                                 (0.3, math.inf), (2.0, 3.0)])
def test_clip_grad_norm_matches_torch(max_norm, norm_type):
    gp, tp = _grads_pair(np.random.default_rng(1))
    shared = gp[0].grad.data
    before = shared.copy()
    total = nn.utils.clip_grad_norm_(gp, max_norm, norm_type)
    ref = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type)
    assert_close(total, ref, "total norm")
    for p, q in zip(gp, tp):
        assert_close(p.grad, q.grad, "clipped gradient")
    assert np.array_equal(shared, before), "a gradient array was changed in place"


def test_clip_grad_value_and_nonfinite():
    gp, tp = _grads_pair(np.random.default_rng(2))
    nn.utils.clip_grad_value_(gp, 0.5)
    torch.nn.utils.clip_grad_value_(tp, 0.5)
    for p, q in zip(gp, tp):
        assert_close(p.grad, q.grad, "clip value")
    gp[1].grad.data = gp[1].grad.data * np.inf
    with pytest.raises(RuntimeError, match="not finite"):
        nn.utils.clip_grad_norm_(gp, 1.0, error_if_nonfinite=True)


def test_parameters_vector_round_trip():
    model = nn.Sequential(nn.Linear(3, 4), nn.Linear(4, 2))
    vec = nn.utils.parameters_to_vector(model.parameters())
    assert vec.shape == (model.num_parameters(),)
    nn.utils.vector_to_parameters(vec * 2, model.parameters())
    assert_close(nn.utils.parameters_to_vector(model.parameters()), vec.data * 2, "round trip")
    with pytest.raises(ValueError, match="elements"):
        nn.utils.vector_to_parameters(gn.zeros(3), model.parameters())
