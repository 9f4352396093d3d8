"""glassnet.explain: chain-rule explanations equal autograd, graph views, diagnostics on
constructed cases, anomaly mode naming the op and module."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.explain import AnomalyError, Diagnostics, GradientWarning
from glassnet.nn import functional as F
from glassnet.nn import module as _module


def _grad(build, param):
    """The gradient from a fresh forward and a real backward."""
    for p in param if isinstance(param, list) else [param]:
        p.grad = None
    build().backward()
    return param.grad.data.copy()


# --- the dosage network: the curriculum's derivation -------------------------------------

def _dosage(b3=0.0):
    from glassnet.examples.backprop import CURRICULUM_WEIGHTS
    from glassnet.examples.black_box import load_dosage_tensors, two_node_net

    x, y = load_dosage_tensors()
    net = two_node_net({**CURRICULUM_WEIGHTS, "b3": b3})
    x.name, y.name = "dosage", "observed"
    pred = net(x)
    pred.name = "predicted"
    loss = F.ssr(pred, y)
    loss.name = "SSR"
    return net, x, y, pred, loss


def test_dosage_db3_is_the_curriculum_sum():
    net, x, y, pred, loss = _dosage()
    ex = gn.explain.chain_rule(loss, net[2].bias, index=0, names={"b3": net[2].bias})
    expected = float((-2 * (y.data - pred.data)).sum())
    assert ex.total == pytest.approx(expected, rel=1e-12)
    assert ex.total == pytest.approx(-15.66, abs=0.01)  # the curriculum's first step
    text = str(ex)
    assert "∂SSR/∂b3" in text and "-2·(observed - predicted)" in text
    assert "Σ over 3 terms" in text and "equal" in text
    assert len(ex.paths) == 1 and ex.paths[0].n_terms == 3
    # each term is -2 (observed_i - predicted_i) x 1
    terms = sorted(t[2] for t in ex.paths[0].terms)
    assert terms == pytest.approx(sorted(-2 * (y.data - pred.data).ravel()))


def test_dosage_dw1_has_the_four_links():
    net, x, y, pred, loss = _dosage()
    ex = gn.explain.chain_rule(loss, "0.weight", index=(0, 0), model=net)
    text = str(ex)
    assert "e^" in text and "/(1 + e^" in text  # softplus' derivative as the curriculum writes it
    assert "dosage" in text and "2.weight[m, k]" in text
    net.zero_grad()
    F.ssr(net(x), y).backward()
    assert ex.total == pytest.approx(float(net[0].weight.grad.data[0, 0]), rel=1e-12)


def test_explaining_leaves_grads_untouched():
    net, x, y, pred, loss = _dosage()
    net[2].bias.grad = gn.tensor([123.0], dtype=gn.float64)
    gn.explain.chain_rule(loss, net[2].bias, index=0)
    assert float(net[2].bias.grad.data[0]) == 123.0
    assert net[0].weight.grad is None
    loss.backward()  # the graph is still there
    assert net[0].weight.grad is not None


# --- random networks: the total equals autograd ------------------------------------------

def _mlp_ops(rng):
    X = gn.tensor(rng.standard_normal((6, 3)))
    W1 = gn.tensor(rng.standard_normal((3, 5)), requires_grad=True)
    b1 = gn.tensor(rng.standard_normal(5), requires_grad=True)
    W2 = gn.tensor(rng.standard_normal((5, 2)), requires_grad=True)
    t = gn.tensor(rng.standard_normal((6, 2)))

    def build():
        h = gn.tanh(X @ W1 + b1)
        z = gn.sigmoid(h @ W2) * 2 - h.mean()
        return ((z - t) ** 2).mean() + (W1 * W1).sum() * 0.01

    return build, [W1, b1, W2]


def _mlp_nn(rng):
    gn.manual_seed(int(rng.integers(1000)))
    m = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 5), nn.Softplus(),
                      nn.Linear(5, 3)).double()
    X = gn.tensor(rng.standard_normal((7, 4)))
    t = gn.tensor(rng.integers(0, 3, 7))
    return (lambda: F.cross_entropy(m(X), t)), list(m.parameters())


def _conv(rng):
    gn.manual_seed(int(rng.integers(1000)))
    m = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.Flatten(),
                      nn.Linear(3 * 5 * 5, 2)).double()
    X = gn.tensor(rng.standard_normal((2, 2, 5, 5)))
    t = gn.tensor([0, 1])
    return (lambda: F.cross_entropy(m(X), t)), list(m.parameters())


def _lstm(rng):
    gn.manual_seed(int(rng.integers(1000)))
    lstm = nn.LSTM(2, 3).double()
    head = nn.Linear(3, 1).double()
    X = gn.tensor(rng.standard_normal((4, 2, 2)))

    def build():
        out, (h, c) = lstm(X)
        return (head(h[0]) ** 2).sum() + out.mean()

    return build, list(lstm.parameters()) + list(head.parameters())


def _lstm_by_hand(rng):
    """An LSTM unit built from glassnet ops: many paths through time (the uses view)."""
    Wx = gn.tensor(rng.standard_normal((1, 4)) * 0.5, requires_grad=True)
    Wh = gn.tensor(rng.standard_normal((1, 4)) * 0.5, requires_grad=True)
    b = gn.tensor(rng.standard_normal(4) * 0.1, requires_grad=True)
    xs = [gn.tensor(rng.standard_normal((1, 1))) for _ in range(4)]

    def build():
        h = gn.zeros(1, 1, dtype=gn.float64)
        c = gn.zeros(1, 1, dtype=gn.float64)
        for x in xs:
            z = x @ Wx + h @ Wh + b
            i, f, g, o = gn.sigmoid(z[:, :1]), gn.sigmoid(z[:, 1:2]), gn.tanh(z[:, 2:3]), \
                gn.sigmoid(z[:, 3:])
            c = f * c + i * g
            h = o * gn.tanh(c)
        return (h * h).sum()

    return build, [Wx, Wh, b]


@pytest.mark.parametrize("make", [_mlp_ops, _mlp_nn, _conv, _lstm, _lstm_by_hand],
                         ids=["mlp-ops", "mlp-nn", "conv", "lstm", "lstm-by-hand"])
def test_total_equals_autograd(make):
    rng = np.random.default_rng(0)
    build, params = make(rng)
    for k, p in enumerate(params):
        g = _grad(build, p)
        for _ in range(2):
            idx = tuple(int(rng.integers(n)) for n in p.shape)
            loss = build()
            ex = gn.explain.chain_rule(loss, p, index=idx)
            assert ex.total == pytest.approx(float(g[idx]), rel=1e-9, abs=1e-12), (k, idx)
            assert ex.autograd == pytest.approx(float(g[idx]), rel=1e-12, abs=1e-15)
            if ex.uses is None:
                s = sum(path.contribution for path in ex.paths)
                assert s == pytest.approx(ex.total, rel=1e-12, abs=1e-15)


def test_shared_parameter_sums_its_paths():
    w = gn.tensor(0.7, dtype=gn.float64, requires_grad=True)
    w.name = "w"
    x = gn.tensor([1.0, 2.0], dtype=gn.float64)
    loss = (gn.tanh(x * w) * w).sum()
    ex = gn.explain.chain_rule(loss, w)
    assert len(ex.paths) == 2
    assert "sum over paths" in str(ex)
    loss.backward()
    assert ex.total == pytest.approx(float(w.grad.data), rel=1e-12)


def test_many_paths_fall_back_to_uses():
    w = gn.tensor(0.5, dtype=gn.float64, requires_grad=True)
    h = gn.tensor(1.0, dtype=gn.float64)
    for _ in range(25):
        h = gn.tanh(h * w + h * w * w)
    ex = gn.explain.chain_rule(h, w)
    assert ex.uses is not None and len(ex.uses) == 75
    assert "too many to list" in str(ex)
    h.backward()
    assert ex.total == pytest.approx(float(w.grad.data), rel=1e-10)


def test_intermediate_tensor_target():
    x = gn.tensor([0.5, -1.0, 2.0], dtype=gn.float64, requires_grad=True)
    h = gn.exp(x)
    h.name = "h"
    loss = (h * h).sum()
    ex = gn.explain.chain_rule(loss, h, index=2)
    assert ex.total == pytest.approx(2 * np.exp(2.0), rel=1e-12)


def test_dead_relu_terms_show_zero_factors():
    x = gn.tensor([[1.0, -1.0]], dtype=gn.float64)
    W = gn.tensor([[1.0], [1.0]], dtype=gn.float64, requires_grad=True)
    b = gn.tensor([-5.0], dtype=gn.float64, requires_grad=True)
    loss = gn.relu(x @ W + b).sum()
    ex = gn.explain.chain_rule(loss, b, index=0)
    assert ex.total == 0.0 and ex.paths[0].n_terms == 1
    assert "> 0] = 0" in str(ex)


# --- bad input ------------------------------------------------------------------------------

def test_no_path_says_so():
    _, _, _, _, loss = _dosage()
    other = gn.tensor([1.0, 2.0], requires_grad=True)
    ex = gn.explain.chain_rule(loss, other, index=1)
    assert ex.no_path and ex.total == 0.0
    assert "no path" in str(ex) and "zero" in str(ex)


def test_bad_inputs():
    net, x, y, pred, loss = _dosage()
    with pytest.raises(ValueError, match="scalar"):
        gn.explain.chain_rule(pred, net[2].bias, index=0)
    with pytest.raises(ValueError, match="index="):
        gn.explain.chain_rule(loss, net[0].weight)
    with pytest.raises(IndexError, match="out of range"):
        gn.explain.chain_rule(loss, net[0].weight, index=(5, 0))
    with pytest.raises(IndexError, match="2 dims"):
        gn.explain.chain_rule(loss, net[0].weight, index=0)
    with pytest.raises(KeyError, match="no parameter"):
        gn.explain.chain_rule(loss, "9.weight", model=net)
    with pytest.raises(ValueError, match="model="):
        gn.explain.chain_rule(loss, "0.weight")
    with pytest.raises(ValueError, match="does not require grad"):
        gn.explain.chain_rule(loss, x, index=(0, 0))
    with pytest.raises(TypeError):
        gn.explain.chain_rule(3.0, net[2].bias)
    loss.backward()
    with pytest.raises(RuntimeError, match="freed"):
        gn.explain.chain_rule(loss, net[2].bias, index=0)


# --- graph view -----------------------------------------------------------------------------

def test_graph_text_and_dot_group_by_module():
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    x = gn.randn(5, 3)
    with gn.explain.record():
        loss = model(x).sum()
    g = gn.explain.graph(loss, model=model)
    text = str(g)
    assert "linear in 0 (Linear)" in text and "relu in 1 (ReLU)" in text
    assert "param 2.weight" in text and "(5, 4)" in text and "mean" in text
    dot = g.to_dot()
    assert dot.startswith('digraph "glassnet"') and dot.rstrip().endswith("}")
    assert dot.count("subgraph cluster_") == 3
    assert dot.count("->") == 3 + 1 + 3 + 1  # x,W,b -> lin | -> relu | h,W,b -> lin | -> sum
    assert _module._call_stack is None  # tracing off again


def test_graph_of_hundreds_of_nodes():
    x = gn.tensor(np.ones(4), requires_grad=True)
    h = x
    for _ in range(300):
        h = gn.tanh(h * 0.5 + 0.1)
    loss = h.sum()
    g = gn.explain.graph(loss, max_nodes=50)
    assert len(g) == 901
    assert "more nodes not shown" in str(g)
    assert gn.explain.graph(loss, max_nodes=1000).to_dot().count("->") == 901


# --- anomaly mode ---------------------------------------------------------------------------

class _LogLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(4, 2)

    def forward(self, x):
        return gn.log(self.linear(x))


class _Deep(nn.Module):
    def __init__(self):
        super().__init__()
        self.layer1 = nn.Linear(3, 4)
        self.layer2 = nn.Sequential(nn.Tanh(), _LogLayer())

    def forward(self, x):
        return self.layer2(self.layer1(x))


def test_anomaly_names_op_and_module():
    gn.manual_seed(0)
    m = _Deep()
    with gn.no_grad():
        m.layer2[1].linear.bias.fill_(-10.0)
    with pytest.raises(AnomalyError) as e:
        with gn.detect_anomaly():
            m(gn.randn(4, 3))
    assert e.value.op == "log" and e.value.module == "layer2.1 (_LogLayer)"
    assert e.value.phase == "forward" and e.value.kind == "NaN"
    assert "log in layer2.1 (_LogLayer) produced NaN" in str(e.value)
    assert _module._call_stack is None and not gn.autograd._op_hooks


def test_anomaly_in_backward_and_no_false_alarm():
    x = gn.tensor([4.0, 0.0], requires_grad=True)
    with pytest.raises(AnomalyError, match="backward of sqrt") as e:
        with gn.explain.detect_anomaly():
            gn.sqrt(x).sum().backward()
    assert e.value.phase == "backward" and e.value.kind == "Inf"
    gn.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    with gn.detect_anomaly():
        gn.log(m(gn.randn(4, 3)).abs() + 1).sum().backward()  # finite: nothing raised
    with pytest.raises(AnomalyError, match="came from data"):
        with gn.detect_anomaly():
            gn.tensor([1.0, float("nan")]) * 2.0 + gn.tensor([1.0, 1.0], requires_grad=True)


# --- diagnostics ----------------------------------------------------------------------------

def _dead_model():
    m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
    with gn.no_grad():
        m[0].weight.fill_(0.0)
        m[0].bias.fill_(-1.0)
    return m


def test_diagnostics_known_values():
    m = _dead_model()
    x = gn.randn(8, 3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with Diagnostics(m) as d:
            m(x).sum().backward()
    s = d.stats()
    assert s["0"]["ops"]["linear"]["mean"] == pytest.approx(-1.0)
    assert s["0"]["ops"]["linear"]["std"] == pytest.approx(0.0, abs=1e-7)
    assert s["1"]["ops"]["relu"]["dead_fraction"] == 1.0
    assert s["0"]["grad_norm"] == 0.0
    assert s["2"]["grad_norm"] == pytest.approx(np.sqrt(8 * 2 * 0 + 2 * 8 ** 2))  # bias only
    assert "100%" in d.report()
    msgs = [str(w.message) for w in caught if issubclass(w.category, GradientWarning)]
    assert any("dead ReLUs" in w for w in msgs) and any("vanishing" in w for w in msgs)


def test_diagnostics_half_dead_and_exploding():
    m = nn.Sequential(nn.Linear(1, 2), nn.ReLU())
    with gn.no_grad():
        m[0].weight.copy_(np.array([[1.0], [1e6]], np.float32))
        m[0].bias.fill_(0.0)
    x = gn.tensor([[1.0], [2.0]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with Diagnostics(m) as d:
            (m(x) * m(x)).sum().backward()
    assert d.stats()["1"]["ops"]["relu"]["dead_fraction"] == 0.0
    assert any("exploding" in str(w.message) for w in caught)
    m2 = nn.Sequential(nn.Linear(1, 2), nn.ReLU())
    with gn.no_grad():
        m2[0].weight.copy_(np.array([[1.0], [-1.0]], np.float32))
        m2[0].bias.fill_(0.0)
    with Diagnostics(m2, warn=False) as d2:
        m2(gn.tensor([[1.0], [3.0]])).sum().backward()
    assert d2.stats()["1"]["ops"]["relu"]["dead_fraction"] == 0.5


def test_diagnostics_callback_in_fit():
    gn.manual_seed(0)
    m = _dead_model()
    X, y = gn.randn(16, 3), gn.randint(0, 2, (16,))
    cb = gn.explain.DiagnosticsCallback(warn=False)
    gn.fit(m, (X, y), loss_fn=F.cross_entropy, optimizer=gn.optim.SGD(m.parameters(), lr=0.1),
           epochs=2, batch_size=8, callbacks=[cb], progress=False)
    assert cb.history["1"]["relu.dead_fraction"] == [1.0, 1.0]
    assert len(cb.history["2"]["grad_norm"]) == 2
    assert any("dead ReLUs" in w for w in cb.diag.warnings)
    assert _module._call_stack is None


def test_time_gradients_vanish_in_plain_rnn():
    gn.manual_seed(1)
    rnn = nn.RNN(1, 4).double()
    with gn.no_grad():
        rnn.weight_hh_l0.data[...] *= 0.3
    x = gn.randn(30, 1, 1, dtype=gn.float64, requires_grad=True)
    _, h = rnn(x)
    with pytest.warns(GradientWarning, match="vanishing gradients over time"):
        norms = gn.explain.time_gradients((h * h).sum(), x)
    assert norms.shape == (30,) and norms[0] < 1e-6 * norms[-1]
    with pytest.raises(ValueError, match="requires grad"):
        gn.explain.time_gradients((h * h).sum(), gn.randn(30, 1, 1))


def test_demo_chapter_runs():
    from glassnet.examples import glass_box

    out = glass_box.run(fast=True)
    assert out["dssr_db3"] == pytest.approx(-15.66, abs=0.01)
    assert "log in layer2" in out["anomaly"]
    assert "result" in out
