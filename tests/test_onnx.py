"""gn.onnx.export: every covered layer and op exported, passed by onnx.checker and run in ONNX
Runtime, whose outputs must equal glassnet's (float32, 1e-5) at the traced batch size and at
others (dynamic axes); bad uses fail with errors naming the op and module, writing nothing."""

from __future__ import annotations

import io

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from glassnet import nn

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

ATOL = 1e-5


def _flat(out) -> list:
    if out is None:
        return []
    if isinstance(out, gn.Tensor):
        return [out]
    return [t for o in out for t in _flat(o)]


def _roundtrip(tmp_path, model, make_input, batches=(2, 5), batch_axis=0, opset=None, seed=0):
    """Export on batch ``batches[0]``, then check ONNX Runtime against glassnet on each."""
    rng = np.random.default_rng(seed)
    x = make_input(rng, batches[0])
    path = tmp_path / "model.onnx"
    gn.onnx.export(model, gn.tensor(x), path, input_names=["x"],
                   dynamic_axes={"x": {batch_axis: "batch"}}, opset_version=opset)
    proto = onnx.load(str(path))
    onnx.checker.check_model(proto, full_check=True)
    used = {i for n in proto.graph.node for i in n.input}
    assert {t.name for t in proto.graph.initializer} <= used, "unused initializers"
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    model.eval()
    for n in batches:
        x = make_input(rng, n)
        got = sess.run(None, {"x": x})
        with gn.no_grad():
            want = _flat(model(gn.tensor(x)))
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert g.shape == tuple(w.shape), f"batch {n}: shape {g.shape} != {tuple(w.shape)}"
            np.testing.assert_allclose(g, w.numpy(), rtol=0, atol=ATOL, err_msg=f"batch {n}")
    return path


def _normal(*shape):
    def make(rng, n):
        return rng.standard_normal((n,) + shape).astype(np.float32)
    return make


def _randomize_bn(bn, seed=1):
    rng = np.random.default_rng(seed)
    C = bn.num_features
    bn.running_mean.data[...] = rng.standard_normal(C)
    bn.running_var.data[...] = rng.uniform(0.5, 2.0, C)
    bn.weight.data[...] = rng.uniform(0.5, 1.5, C)
    bn.bias.data[...] = rng.standard_normal(C)
    return bn


_ACT_ARGS = {
    "LeakyReLU": [{"negative_slope": 0.1}],
    "Softplus": [{}, {"beta": 2.0, "threshold": 1.0}],
    "GELU": [{}, {"approximate": "tanh"}],
    "ELU": [{"alpha": 0.7}],
    "CELU": [{"alpha": 0.5}],
    "Hardtanh": [{"min_val": -0.5, "max_val": 2.0}],
    "PReLU": [{"num_parameters": 7}, {}],
}


def _activations():
    """One layer of every activation glassnet has (and its variants above), for (N, 7)."""
    from glassnet.nn import activation

    acts = []
    for name in activation.__all__:
        if name in ("Softmax", "LogSoftmax"):
            continue
        for kw in _ACT_ARGS.get(name, [{}]):
            acts.append(getattr(nn, name)(**kw))
    return acts


# (id, model factory, input factory, batch axis)
CASES = [
    ("identity", lambda: nn.Identity(), _normal(4), 0),
    ("linear", lambda: nn.Linear(4, 3), _normal(4), 0),
    ("linear-nobias-3d", lambda: nn.Linear(4, 3, bias=False), _normal(5, 4), 0),
    ("mlp-dropout", lambda: nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.ReLU(),
                                          nn.Linear(8, 3)), _normal(4), 0),
    ("softmax", lambda: nn.Sequential(nn.Linear(4, 6), nn.Softmax(dim=1)), _normal(4), 0),
    ("log-softmax", lambda: nn.Sequential(nn.Linear(4, 6), nn.LogSoftmax(dim=-1)),
     _normal(4), 0),
    ("conv2d", lambda: nn.Conv2d(3, 4, 3), _normal(3, 7, 6), 0),
    ("conv2d-stride-pad", lambda: nn.Conv2d(3, 4, (3, 2), stride=2, padding=(1, 2)),
     _normal(3, 9, 8), 0),
    ("conv2d-dilation-groups", lambda: nn.Conv2d(4, 6, 3, dilation=2, groups=2, bias=False),
     _normal(4, 9, 9), 0),
    ("conv2d-same", lambda: nn.Conv2d(2, 3, 4, padding="same"), _normal(2, 7, 7), 0),
    ("conv1d", lambda: nn.Conv1d(3, 5, 3, stride=2, padding=1, dilation=1), _normal(3, 11), 0),
    ("conv1d-groups-dilation", lambda: nn.Conv1d(4, 4, 2, dilation=3, groups=4),
     _normal(4, 10), 0),
    ("maxpool2d", lambda: nn.MaxPool2d(3, stride=2, padding=1), _normal(2, 9, 8), 0),
    ("maxpool2d-dilation", lambda: nn.MaxPool2d(2, dilation=2), _normal(2, 9, 8), 0),
    ("maxpool1d", lambda: nn.MaxPool1d(2), _normal(3, 9), 0),
    ("avgpool2d", lambda: nn.AvgPool2d(2), _normal(2, 8, 6), 0),
    ("avgpool2d-pad-exclude", lambda: nn.AvgPool2d(3, stride=2, padding=1,
                                                   count_include_pad=False),
     _normal(2, 7, 7), 0),
    ("avgpool2d-pad-include", lambda: nn.AvgPool2d(3, stride=1, padding=1), _normal(2, 5, 5), 0),
    ("avgpool1d", lambda: nn.AvgPool1d(3, stride=2), _normal(2, 9), 0),
    ("adaptive-global", lambda: nn.AdaptiveAvgPool2d(1), _normal(3, 5, 7), 0),
    ("adaptive-even", lambda: nn.AdaptiveAvgPool2d((2, 3)), _normal(3, 4, 9), 0),
    ("adaptive-uneven", lambda: nn.AdaptiveAvgPool2d((3, 2)), _normal(2, 7, 5), 0),
    ("adaptive1d", lambda: nn.AdaptiveAvgPool1d(3), _normal(2, 8), 0),
    ("batchnorm1d-2d", lambda: _randomize_bn(nn.BatchNorm1d(4)), _normal(4), 0),
    ("batchnorm1d-3d", lambda: _randomize_bn(nn.BatchNorm1d(4)), _normal(4, 6), 0),
    ("batchnorm2d", lambda: _randomize_bn(nn.BatchNorm2d(3)), _normal(3, 4, 5), 0),
    ("batchnorm-noaffine", lambda: nn.BatchNorm2d(3, affine=False), _normal(3, 4, 5), 0),
    ("layernorm", lambda: nn.LayerNorm(6), _normal(3, 6), 0),
    ("layernorm-2d-noaffine", lambda: nn.LayerNorm((3, 6), elementwise_affine=False),
     _normal(3, 6), 0),
    ("flatten-unflatten", lambda: nn.Sequential(nn.Flatten(), nn.Linear(12, 6),
                                                nn.Unflatten(1, (2, 3))), _normal(3, 4), 0),
    ("flatten-middle", lambda: nn.Flatten(1, 2), _normal(3, 4, 2), 0),
    ("cnn", lambda: nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), _randomize_bn(nn.BatchNorm2d(4)),
                                  nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 8, 3), nn.ReLU(),
                                  nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.3),
                                  nn.Linear(8, 10), nn.LogSoftmax(dim=1)),
     _normal(1, 12, 12), 0),
    ("activations", lambda: nn.Sequential(*_activations()), _normal(7), 0),
]
if hasattr(nn, "InstanceNorm2d"):
    CASES.append(("instancenorm2d", lambda: nn.InstanceNorm2d(3, affine=True), _normal(3, 4, 5),
                  0))
if hasattr(nn, "GroupNorm"):
    CASES.append(("groupnorm", lambda: nn.GroupNorm(2, 4), _normal(4, 3, 5), 0))
    CASES.append(("groupnorm-1d", lambda: nn.GroupNorm(4, 4, affine=False), _normal(4, 6), 0))
if hasattr(nn, "ReflectionPad2d"):
    CASES.append(("padding-modes", lambda: nn.Sequential(
        nn.ZeroPad2d((1, 2, 0, 1)), nn.ReflectionPad2d(1), nn.ReplicationPad2d((0, 1, 2, 0)),
        nn.CircularPad2d(1), nn.ReflectionPad1d(2)), _normal(2, 3, 4), 0))
if hasattr(nn, "Upsample"):
    CASES += [
        ("upsample-nearest", lambda: nn.Upsample(scale_factor=2), _normal(2, 3, 4), 0),
        ("upsample-bilinear", lambda: nn.Upsample(size=(5, 7), mode="bilinear"),
         _normal(2, 3, 4), 0),
        ("upsample-bilinear-corners", lambda: nn.Upsample(scale_factor=1.5, mode="bilinear",
                                                          align_corners=True),
         _normal(2, 4, 4), 0),
        ("upsample-linear-1d", lambda: nn.Upsample(scale_factor=3, mode="linear"),
         _normal(2, 5), 0),
        ("upsample-bicubic", lambda: nn.Upsample(scale_factor=2, mode="bicubic"),
         _normal(2, 3, 4), 0),
    ]
if hasattr(nn, "ConvTranspose2d"):
    CASES.append(("convtranspose2d", lambda: nn.ConvTranspose2d(3, 4, 3, stride=2, padding=1,
                                                                output_padding=1),
                  _normal(3, 5, 4), 0))
if hasattr(nn, "ConvTranspose1d"):
    CASES.append(("convtranspose1d", lambda: nn.ConvTranspose1d(2, 3, 4, stride=3),
                  _normal(2, 6), 0))


@pytest.mark.parametrize("name,make_model,make_input,axis", CASES, ids=[c[0] for c in CASES])
def test_layer_matches_onnxruntime(tmp_path, name, make_model, make_input, axis):
    gn.manual_seed(0)
    _roundtrip(tmp_path, make_model(), make_input, batch_axis=axis)


@pytest.mark.parametrize("act", _activations(), ids=repr)
def test_each_activation(tmp_path, act):
    """Each activation on its own, on values spread over [-8, 8] (both sides of every bend
    and of softplus's threshold)."""
    _roundtrip(tmp_path, act, lambda rng, n: rng.uniform(-8, 8, (n, 7)).astype(np.float32))


class Functional(nn.Module):
    """A forward built from tensor ops rather than layers."""

    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(6, 6)
        self.register_buffer("offset", gn.tensor(np.linspace(-1, 1, 6).astype(np.float32)))

    def forward(self, x):  # x (N, 2, 6)
        y = self.lin(x) * 2.0 - 1.0 + self.offset
        y = (y / 3.0) ** 2 + (-y).exp().clamp(max=4.0)
        y = y.permute(0, 2, 1)  # (N, 6, 2)
        z = gn.cat([y, y.sqrt().log(), y.abs().sin(), y.cos()], dim=2)  # (N, 6, 8)
        z = z[:, 1:5, ::2] + z[:, :4, -1:]  # slices with steps, negative starts
        z = gn.maximum(z, z.mean(dim=1, keepdim=True)) + gn.minimum(z, 0.5)
        z = gn.pad(z, (1, 2), value=0.25)
        w = z.sum(dim=(1, 2)) + z.amax(dim=2).sum(dim=1) - z.amin(dim=-1).mean(dim=1)
        s = gn.softmax(z.reshape(z.shape[0], -1), dim=1, temperature=2.0)
        t = z @ gn.tensor(np.ones((7, 3), np.float32))
        u = gn.where(gn.tensor(np.arange(3) % 2 == 0), t, t * 0.5)
        v = z[:, 0].unsqueeze(1).expand(z.shape[0], 3, 7)
        return w.unsqueeze(1) * s[:, :1] + u.sum(dim=1).logsumexp(dim=1, keepdim=True), \
            v[..., 2], z[:, None, 2, [0, 3, 3]]


@pytest.mark.parametrize("opset", [17, 18])
def test_tensor_ops_and_several_outputs(tmp_path, opset):
    gn.manual_seed(0)
    _roundtrip(tmp_path, Functional(), _normal(2, 6), batches=(3, 1, 4), opset=opset)


class MoreOps(nn.Module):
    """The other tensor ops with an ONNX form."""

    def forward(self, x):  # x (N, 4, 5)
        a = x.var(dim=2, keepdim=True) + x.var(dim=(1, 2)).reshape(-1, 1, 1)
        b = x.prod(dim=1, keepdim=True) + x.cumsum(dim=2)
        c = x.index_select(2, gn.tensor([4, 0, 0])).repeat(1, 2, 1)  # (N, 8, 3)
        d = x.gather(1, gn.tensor(np.array([[[3, 0, 1, 2, 0], [1, 1, 2, 3, 0]]])))  # (1, 2, 5)
        e = x.masked_fill(gn.tensor(np.eye(4, 5, dtype=bool)), -1.5).flip(1, 2)
        f = x.tril(1) - x.triu(-1) + (x * 3).round() + x.floor() + x.ceil() + x.sign()
        g = x.max(dim=1).values
        return a + b + e + f, c, d, g


@pytest.mark.skipif(not hasattr(gn, "cumsum"), reason="always: needs the newer ops")
@pytest.mark.parametrize("opset", [17, 18])
def test_more_tensor_ops(tmp_path, opset):
    _roundtrip(tmp_path, MoreOps(), _normal(4, 5), batches=(2, 3), opset=opset)


UNARY = ["tan", "asin", "acos", "atan", "sinh", "cosh", "reciprocal", "rsqrt", "square",
         "expm1", "log1p", "log2", "log10", "exp2", "trunc", "erf"]


class Unary(nn.Module):
    def forward(self, x):  # x in (0.1, 0.9): inside every domain
        x = x * 3.0
        ys = [getattr(gn, n)(x / 3.0) for n in UNARY if hasattr(gn, n)]
        ys.append(gn.einsum("nij,njk->nik", x[:, :2, :], x.transpose(1, 2)[:, :, :3]))
        return tuple(ys)


@pytest.mark.skipif(not hasattr(gn, "expm1"), reason="always: needs the newer ops")
def test_more_elementwise_ops(tmp_path):
    def make(rng, n):
        return rng.uniform(0.1, 0.9, (n, 3, 4)).astype(np.float32)

    _roundtrip(tmp_path, Unary(), make, batches=(2, 3))


class Tokens(nn.Module):
    def __init__(self):
        super().__init__()
        self.emb = nn.Embedding(20, 5, padding_idx=0)
        self.fc = nn.Linear(5, 2)

    def forward(self, ids):
        return self.fc(self.emb(ids).mean(dim=1))


def test_embedding_takes_integer_ids(tmp_path):
    gn.manual_seed(0)
    _roundtrip(tmp_path, Tokens(), lambda rng, n: rng.integers(0, 20, (n, 7)))


RNNS = [(cls, layers, bi, bf) for cls in ("RNN", "LSTM", "GRU") for layers, bi, bf in
        ((1, False, False), (2, True, False), (2, False, True), (1, True, True))]


@pytest.mark.parametrize("cls,layers,bi,bf", RNNS,
                         ids=[f"{c}-L{n}{'-bi' if b else ''}{'-bf' if f else ''}"
                              for c, n, b, f in RNNS])
def test_recurrent_layers(tmp_path, cls, layers, bi, bf):
    gn.manual_seed(0)
    kw = {"nonlinearity": "relu"} if cls == "RNN" and bi else {}
    m = getattr(nn, cls)(3, 4, num_layers=layers, bidirectional=bi, batch_first=bf, **kw)
    def make(rng, n):
        return rng.standard_normal((n, 6, 3) if bf else (6, n, 3)).astype(np.float32)

    _roundtrip(tmp_path, m, make, batch_axis=0 if bf else 1)


class WithState(nn.Module):
    def __init__(self, cls):
        super().__init__()
        self.cls = cls
        self.rnn = getattr(nn, cls)(3, 4, num_layers=2, bidirectional=True)
        self.h = nn.Linear(3, 4 * 4)

    def forward(self, x):  # (T, N, 3); the initial state computed from the first step
        N = x.shape[1]
        h0 = self.h(x[0]).reshape(N, 4, 4).permute(1, 0, 2)
        hx = (h0, h0.tanh()) if self.cls == "LSTM" else h0
        out, state = self.rnn(x, hx)
        return out, state


@pytest.mark.parametrize("cls", ["RNN", "LSTM", "GRU"])
def test_recurrent_initial_state(tmp_path, cls):
    gn.manual_seed(0)
    _roundtrip(tmp_path, WithState(cls), lambda rng, n: rng.standard_normal((5, n, 3)).astype(
        np.float32), batch_axis=1)


class Cell(nn.Module):
    def __init__(self, cls):
        super().__init__()
        self.cls = cls
        self.cell = getattr(nn, cls)(3, 4)

    def forward(self, x):  # (T, N, 3), stepped by hand
        h = None
        for t in range(x.shape[0]):
            h = self.cell(x[t], h)
        return h


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_recurrent_cells(tmp_path, cls):
    gn.manual_seed(0)
    _roundtrip(tmp_path, Cell(cls), lambda rng, n: rng.standard_normal((3, n, 3)).astype(
        np.float32), batch_axis=1)


# --- the file, the names, the arguments ----------------------------------------------------


def test_names_dims_and_file_object(tmp_path):
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1))
    buf = io.BytesIO()
    gn.onnx.export(model, (gn.randn(2, 4),), buf, input_names=["features"],
                   output_names=["probs"], dynamic_axes={"features": [0], "probs": {0: "n"}})
    proto = onnx.load_from_string(buf.getvalue())
    onnx.checker.check_model(proto)
    assert [i.name for i in proto.graph.input] == ["features"]
    assert [o.name for o in proto.graph.output] == ["probs"]
    dims = [d.dim_param or d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert dims == ["features_dynamic_axes_1", 4]
    dims = [d.dim_param or d.dim_value for d in proto.graph.output[0].type.tensor_type.shape.dim]
    assert dims == ["n", 3]
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in proto.graph.initializer}
    np.testing.assert_array_equal(inits["0.weight"], model[0].weight.detach().numpy())
    np.testing.assert_array_equal(inits["0.bias"], model[0].bias.detach().numpy())


def test_without_dynamic_axes_the_batch_is_fixed(tmp_path):
    gn.manual_seed(0)
    path = tmp_path / "m.onnx"
    gn.onnx.export(nn.Sequential(nn.Flatten(), nn.Linear(6, 2)), gn.randn(2, 2, 3), path)
    proto = onnx.load(str(path))
    dims = [d.dim_value for d in proto.graph.input[0].type.tensor_type.shape.dim]
    assert dims == [2, 2, 3]
    assert [i.name for i in proto.graph.input] == ["input"]


def test_mode_is_restored_and_float64_models_export(tmp_path):
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 3), nn.Dropout(0.5), _randomize_bn(nn.BatchNorm1d(3)))
    model.double().train()
    x = np.random.default_rng(0).standard_normal((4, 3))
    path = tmp_path / "m.onnx"
    gn.onnx.export(model, gn.tensor(x), path)
    assert model.training and model[1].training and model[2].training
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    model.eval()
    with gn.no_grad():
        want = model(gn.tensor(x)).numpy()
    np.testing.assert_allclose(sess.run(None, {"input": x})[0], want, atol=ATOL)


class Block(nn.Module):
    """Returns a loss: losses have no ONNX form."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(4, 4)
        self.loss = nn.MSELoss()

    def forward(self, x):
        return self.loss(self.fc(x), x)


def test_unsupported_op_names_op_and_module_and_writes_nothing(tmp_path):
    model = nn.Sequential(nn.Linear(4, 4), nn.Sequential(nn.ReLU(), Block()))
    path = tmp_path / "m.onnx"
    with pytest.raises(gn.onnx.UnsupportedOperatorError) as e:
        gn.onnx.export(model, gn.randn(2, 4), path)
    msg = str(e.value)
    assert "mse" in msg.lower() and "'1.1.loss'" in msg and "MSELoss" in msg, msg
    assert not path.exists()
    assert list(tmp_path.iterdir()) == []


class Leaky(nn.Module):
    """Reads the input's values through NumPy: invisible to the recorded graph."""

    def forward(self, x):
        return x + gn.tensor(x.detach().numpy() * 2)


def test_values_computed_outside_the_graph_are_refused(tmp_path):
    with pytest.raises(gn.onnx.OnnxExporterError, match="cannot be exported as a constant"):
        gn.onnx.export(Leaky(), gn.tensor(np.arange(6.0).reshape(2, 3)), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


class TrainDropout(nn.Module):
    def forward(self, x):
        return F.dropout(x, 0.5, training=True)


class BoolMask(nn.Module):
    def forward(self, x):
        return x[x > 0]


class DataIndex(nn.Module):
    """An index computed from the input's values through NumPy."""

    def forward(self, x):
        return x[:, np.argsort(x.detach().numpy()[0])]


class Branchy(nn.Module):
    def forward(self, x):
        return x.relu() if x.shape[0] < 3 else x.tanh()


@pytest.mark.parametrize("model,match", [
    (TrainDropout(), "training=True"),
    (BoolMask(), "cannot export op"),
])
def test_unexportable_uses(tmp_path, model, match):
    with pytest.raises(gn.onnx.OnnxExporterError, match=match):
        gn.onnx.export(model, gn.randn(2, 3), tmp_path / "m.onnx", dynamic_axes={"input": [0]})


def test_an_index_computed_outside_the_graph_is_refused(tmp_path):
    x = gn.tensor(np.random.default_rng(0).standard_normal((4, 10)).astype(np.float32))
    with pytest.raises(gn.onnx.OnnxExporterError, match="cannot be exported as a constant"):
        gn.onnx.export(DataIndex(), x, tmp_path / "m.onnx")


def test_control_flow_on_batch_size_is_refused(tmp_path):
    with pytest.raises(gn.onnx.OnnxExporterError, match="control flow"):
        gn.onnx.export(Branchy(), gn.randn(2, 3), tmp_path / "m.onnx",
                       dynamic_axes={"input": [0]})


class Lengths(nn.Module):
    def __init__(self, cls, batch_first):
        super().__init__()
        self.rnn = getattr(nn, cls)(3, 4, num_layers=2, bidirectional=True,
                                    batch_first=batch_first)

    def forward(self, x, lengths):
        out, state = self.rnn(x, lengths=lengths)
        return out, state


@pytest.mark.parametrize("cls,batch_first", [("LSTM", False), ("GRU", True), ("RNN", False)])
def test_recurrent_lengths_become_sequence_lens(tmp_path, cls, batch_first):
    gn.manual_seed(0)
    model = Lengths(cls, batch_first).eval()
    x = gn.randn(3, 5, 3) if batch_first else gn.randn(5, 3, 3)
    axis = 0 if batch_first else 1
    path = tmp_path / "m.onnx"
    gn.onnx.export(model, (x, gn.tensor([5, 2, 4])), path, input_names=["x", "lengths"],
                   dynamic_axes={"x": [axis], "lengths": [0]})
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    rng = np.random.default_rng(1)
    X = rng.standard_normal((4, 5, 3) if batch_first else (5, 4, 3)).astype(np.float32)
    L = np.array([1, 5, 3, 2])
    got = sess.run(None, {"x": X, "lengths": L})
    with gn.no_grad():
        want = _flat(model(gn.tensor(X), gn.tensor(L)))
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w.numpy(), atol=ATOL)


class Unbatched(nn.Module):
    def __init__(self, cls):
        super().__init__()
        self.cls = cls
        self.rnn = getattr(nn, cls)(3, 4, num_layers=2)

    def forward(self, x):  # (T, 3), initial state from the first step
        h = x[0, :1].expand(2, 4) * 0.5
        return self.rnn(x, (h, h.tanh()) if self.cls == "LSTM" else h)


@pytest.mark.parametrize("cls", ["LSTM", "GRU"])
def test_recurrent_unbatched(tmp_path, cls):
    gn.manual_seed(0)
    _roundtrip(tmp_path, Unbatched(cls), lambda rng, n: rng.standard_normal((n, 3)).astype(
        np.float32), batches=(4, 6))


@pytest.mark.parametrize("kwargs,err", [
    ({"opset_version": 9}, "opset_version"),
    ({"dynamic_axes": {"nope": [0]}}, "nope"),
    ({"input_names": ["a", "b"]}, "input_names"),
    ({"dynamic_axes": {"input": [3]}}, "out of range"),
])
def test_bad_arguments(tmp_path, kwargs, err):
    with pytest.raises(ValueError, match=err):
        gn.onnx.export(nn.Linear(3, 2), gn.randn(2, 3), tmp_path / "m.onnx", **kwargs)


# --- attention ----------------------------------------------------------------------------


class SelfAttention(nn.Module):
    def __init__(self, batch_first, need_weights, causal):
        super().__init__()
        self.attn = nn.MultiheadAttention(8, 2, batch_first=batch_first)
        self.need_weights, self.causal = need_weights, causal

    def forward(self, x):
        L = x.shape[1] if self.attn.batch_first else x.shape[0]
        mask = None
        if self.causal:
            mask = gn.tensor(np.triu(np.full((L, L), -np.inf, np.float32), 1))
        return self.attn(x, x, x, need_weights=self.need_weights, attn_mask=mask)


ATTN = [(bf, w, c) for bf in (False, True) for w, c in ((True, False), (False, True))]


@pytest.mark.skipif(not hasattr(nn, "MultiheadAttention"), reason="no attention layers yet")
@pytest.mark.parametrize("bf,weights,causal", ATTN,
                         ids=[f"bf{int(a)}-w{int(b)}-causal{int(c)}" for a, b, c in ATTN])
def test_multihead_attention(tmp_path, bf, weights, causal):
    gn.manual_seed(0)

    def make(rng, n):
        return rng.standard_normal((n, 5, 8) if bf else (5, n, 8)).astype(np.float32)

    _roundtrip(tmp_path, SelfAttention(bf, weights, causal), make, batch_axis=0 if bf else 1)


@pytest.mark.skipif(not hasattr(nn, "TransformerEncoderLayer"), reason="no transformer yet")
@pytest.mark.parametrize("norm_first", [False, True])
def test_transformer_encoder(tmp_path, norm_first):
    gn.manual_seed(0)
    layer = nn.TransformerEncoderLayer(8, 2, dim_feedforward=16, batch_first=True,
                                       norm_first=norm_first)
    model = nn.TransformerEncoder(layer, num_layers=2)
    _roundtrip(tmp_path, model, _normal(5, 8))


@pytest.mark.skipif(not hasattr(nn, "Transformer"), reason="no transformer yet")
def test_transformer_encoder_decoder(tmp_path):
    gn.manual_seed(0)

    class Seq2Seq(nn.Module):
        def __init__(self):
            super().__init__()
            self.t = nn.Transformer(8, 2, num_encoder_layers=1, num_decoder_layers=1,
                                    dim_feedforward=16, batch_first=True)

        def forward(self, x):
            tgt = x[:, :3]
            mask = gn.tensor(np.triu(np.full((3, 3), -np.inf, np.float32), 1))
            return self.t(x, tgt, tgt_mask=mask)

    _roundtrip(tmp_path, Seq2Seq(), _normal(5, 8))


class ArgMax(nn.Module):
    def forward(self, x):
        return x.argmax(dim=1)


def test_an_output_computed_outside_the_graph_is_refused(tmp_path):
    with pytest.raises(gn.onnx.OnnxExporterError, match="output 'output' is not computed"):
        x = np.random.default_rng(0).standard_normal((8, 10)).astype(np.float32)
        gn.onnx.export(ArgMax(), gn.tensor(x), tmp_path / "m.onnx")
    assert not (tmp_path / "m.onnx").exists()


def test_an_input_named_like_a_parameter(tmp_path):
    gn.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 2))
    path = tmp_path / "m.onnx"
    gn.onnx.export(model, gn.randn(2, 3), path, input_names=["0.weight"])
    proto = onnx.load(str(path))
    assert "0.weight" not in {i.name for i in proto.graph.initializer}
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    got = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"]).run(
        None, {"0.weight": x})[0]
    with gn.no_grad():
        np.testing.assert_allclose(got, model(gn.tensor(x)).numpy(), atol=ATOL)
