"""glassnet.interop: PyTorch models into glassnet and back with the same outputs and the same
gradients (float64), unsupported layers named; gn.load reading PyTorch weights saved with
safetensors, and refusing torch.save pickles with a message saying what to do instead."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import glassnet as gn
from glassnet import interop
from glassnet.io import SaveFormatError

torch = pytest.importorskip("torch")
tnn = torch.nn


def _flat(out) -> list:
    if out is None:
        return []
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flat(o)]
    return [out]


def _close(a, b, what):
    a = a.detach().numpy() if hasattr(a, "detach") else np.asarray(a)
    b = b.detach().numpy() if hasattr(b, "detach") else np.asarray(b)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != {b.shape}"
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-10, err_msg=what)


def _run(model, x, make):
    """Forward, then backward of Σ w_k · out_k (fixed random w_k); returns (outputs,
    input grad)."""
    xt = make(x)
    outs = _flat(model(xt))
    rng = np.random.default_rng(1)
    loss = sum((o * make(rng.standard_normal(tuple(o.shape)))).sum() for o in outs)
    loss.backward()
    return outs, (xt.grad if x.dtype.kind == "f" else None)


def _check_round_trip(tmodel, x, train=False):
    """torch -> glassnet -> torch: same outputs, parameter and input gradients."""
    tmodel.train(train)
    gmodel = interop.from_torch(tmodel)
    assert gmodel.training == train
    back = interop.to_torch(gmodel)
    assert isinstance(back, type(tmodel)) and back.training == train

    def as_torch(a):
        return torch.tensor(a, requires_grad=a.dtype.kind == "f")

    def as_gn(a):
        return gn.tensor(a, requires_grad=a.dtype.kind == "f")

    t_out, t_gx = _run(tmodel, x, as_torch)
    g_out, g_gx = _run(gmodel, x, as_gn)
    b_out, b_gx = _run(back, x, as_torch)
    assert len(g_out) == len(t_out) == len(b_out)
    for k, (t, g, b) in enumerate(zip(t_out, g_out, b_out)):
        _close(g, t, f"glassnet output {k}")
        _close(b, t, f"back-in-torch output {k}")
    if t_gx is not None:
        _close(g_gx, t_gx, "input gradient (glassnet)")
        _close(b_gx, t_gx, "input gradient (back in torch)")
    t_params = dict(tmodel.named_parameters())
    g_params = dict(gmodel.named_parameters())
    b_params = dict(back.named_parameters())
    assert list(g_params) == list(t_params) == list(b_params)
    for name, p in t_params.items():
        if p.grad is None:
            assert g_params[name].grad is None and b_params[name].grad is None, name
            continue
        _close(g_params[name].grad, p.grad, f"gradient of {name} (glassnet)")
        _close(b_params[name].grad, p.grad, f"gradient of {name} (back in torch)")
    for name, buf in tmodel.named_buffers():  # running statistics after a training step
        _close(dict(gmodel.named_buffers())[name], buf, f"buffer {name}")
        _close(dict(back.named_buffers())[name], buf, f"buffer {name} (back)")
    return gmodel


def _randomize(module, seed=0):
    g = torch.Generator().manual_seed(seed)
    for b in module.buffers():
        if b.dtype.is_floating_point:
            b.copy_(torch.rand(b.shape, generator=g, dtype=b.dtype) + 0.5)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(torch.randn(p.shape, generator=g, dtype=p.dtype) * 0.1)
    return module


def _x(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _acts():
    acts = [tnn.ReLU(), tnn.LeakyReLU(0.2), tnn.Sigmoid(), tnn.Tanh(),
            tnn.Softplus(beta=2.0, threshold=3.0)]
    for name, kw in (("GELU", {"approximate": "tanh"}), ("GELU", {}), ("SiLU", {}),
                     ("ELU", {"alpha": 0.5}), ("Mish", {}), ("CELU", {"alpha": 0.7}),
                     ("SELU", {}), ("Hardtanh", {"min_val": -0.5, "max_val": 0.7}),
                     ("ReLU6", {}), ("Hardswish", {}), ("Hardsigmoid", {}), ("Softsign", {}),
                     ("LogSigmoid", {}), ("Tanhshrink", {}), ("PReLU", {"num_parameters": 6}),
                     ("PReLU", {"init": 0.1})):
        if hasattr(gn.nn, name):
            acts.append(getattr(tnn, name)(**kw))
    return acts


CASES = [
    ("mlp", lambda: tnn.Sequential(tnn.Linear(4, 8), tnn.ReLU(), tnn.Linear(8, 3, bias=False)),
     _x(5, 4), False),
    ("activations", lambda: tnn.Sequential(tnn.Linear(4, 6), *_acts(), tnn.Softmax(dim=1)),
     _x(5, 4), False),
    ("log-softmax-3d", lambda: tnn.Sequential(tnn.Linear(4, 6), tnn.LogSoftmax(dim=-1)),
     _x(2, 3, 4), False),
    ("named-sequential", lambda: tnn.Sequential(OrderedDict(
        [("fc", tnn.Linear(3, 3)), ("act", tnn.Tanh()), ("out", tnn.Linear(3, 1))])),
     _x(4, 3), False),
    ("cnn", lambda: tnn.Sequential(
        tnn.Conv2d(2, 4, 3, stride=2, padding=1), _randomize(tnn.BatchNorm2d(4)), tnn.ReLU(),
        tnn.Conv2d(4, 4, 3, dilation=2, groups=2, bias=False), tnn.MaxPool2d(2),
        tnn.AvgPool2d(1), tnn.AdaptiveAvgPool2d((1, 1)), tnn.Flatten(), tnn.Dropout(0.5),
        tnn.Linear(4, 3)), _x(3, 2, 15, 15), False),
    ("cnn-train-batchnorm", lambda: tnn.Sequential(
        tnn.Conv2d(2, 3, 3, padding="same"), tnn.BatchNorm2d(3), tnn.AdaptiveAvgPool2d((2, 3)),
        tnn.Flatten(), tnn.BatchNorm1d(18, momentum=0.3)), _x(4, 2, 6, 7), True),
    ("pooling", lambda: tnn.Sequential(
        tnn.AvgPool2d(3, stride=2, padding=1, count_include_pad=False),
        tnn.MaxPool2d(2, stride=1, padding=1)), _x(2, 2, 7, 6), False),
    ("conv1d", lambda: tnn.Sequential(
        tnn.Conv1d(3, 4, 3, padding=2, dilation=2), tnn.MaxPool1d(2), tnn.AvgPool1d(2),
        tnn.AdaptiveAvgPool1d(2), _randomize(tnn.BatchNorm1d(4))), _x(2, 3, 17), False),
    ("norms", lambda: tnn.Sequential(tnn.LayerNorm(5), tnn.Linear(5, 5),
                                     tnn.LayerNorm(5, elementwise_affine=False), tnn.Dropout(0.2)),
     _x(3, 4, 5), False),
    ("flatten-unflatten", lambda: tnn.Sequential(tnn.Flatten(0, 1), tnn.Unflatten(0, (4, 6)),
                                                 tnn.Identity()), _x(6, 4), False),
    ("embedding", lambda: tnn.Sequential(tnn.Embedding(10, 4, padding_idx=1), tnn.Flatten(),
                                         tnn.Linear(12, 2)),
     np.array([[1, 2, 3], [4, 1, 9]]), False),
    ("dropout2d-eval", lambda: tnn.Sequential(tnn.Conv2d(1, 2, 1), tnn.Dropout2d(0.5)),
     _x(2, 1, 3, 3), False),
]
CASES += [
    ("embedding-bag", lambda: tnn.Sequential(
        tnn.EmbeddingBag(10, 4, mode="max", padding_idx=1), tnn.Linear(4, 2)),
     np.array([[1, 2, 3], [4, 1, 9], [1, 1, 1]]), False),
    ("lp-pool", lambda: tnn.Sequential(
        tnn.Conv2d(2, 3, 1), tnn.LPPool2d(2, (2, 3), ceil_mode=True), tnn.Flatten(2),
        tnn.LPPool1d(3, 2, stride=1)), _x(2, 2, 5, 7), False),
]
if hasattr(gn.nn, "ReflectionPad2d"):
    CASES.append(("padding", lambda: tnn.Sequential(
        tnn.ZeroPad2d((1, 2, 0, 1)), tnn.ConstantPad2d(1, 0.5), tnn.ReflectionPad2d(1),
        tnn.ReplicationPad2d((0, 1, 2, 0)), tnn.CircularPad2d(1),
        tnn.UpsamplingNearest2d(scale_factor=2), tnn.UpsamplingBilinear2d(size=(7, 9))),
        _x(2, 2, 3, 4), False))
if hasattr(gn.nn, "Upsample"):
    CASES.append(("upsample", lambda: tnn.Sequential(
        tnn.Upsample(scale_factor=2), tnn.Upsample(size=(5, 9), mode="bilinear"),
        tnn.Upsample(scale_factor=1.5, mode="bilinear", align_corners=True)),
        _x(2, 2, 3, 4), False))
if hasattr(gn.nn, "InstanceNorm2d"):
    CASES.append(("instancenorm", lambda: tnn.Sequential(
        tnn.InstanceNorm2d(2, affine=True), tnn.InstanceNorm2d(2, track_running_stats=True)),
        _x(2, 2, 4, 5), True))
if hasattr(gn.nn, "GroupNorm"):
    CASES.append(("groupnorm", lambda: tnn.Sequential(tnn.Conv2d(2, 6, 1),
                                                      _randomize(tnn.GroupNorm(3, 6))),
                  _x(2, 2, 4, 4), False))
CASES += [
    ("new-layers-2d", lambda: tnn.Sequential(
        tnn.Conv2d(2, 8, 3, padding=1), tnn.PixelShuffle(2), tnn.PixelUnshuffle(2),
        tnn.LocalResponseNorm(3), tnn.Softshrink(0.2), tnn.Hardshrink(0.1),
        tnn.Threshold(0.05, -1.0), tnn.AdaptiveMaxPool2d((3, 2)), tnn.Flatten(),
        tnn.RMSNorm(48), tnn.Linear(48, 6), tnn.GLU(), tnn.Softmin(dim=-1),
        tnn.AlphaDropout(0.3)), _x(2, 2, 6, 5), False),
    ("unfold-fold", lambda: tnn.Sequential(
        tnn.Unfold(2, padding=1), tnn.Fold((4, 5), 2, padding=1), tnn.RReLU(0.1, 0.3)),
     _x(2, 3, 4, 5), False),
    ("adaptive-max-1d", lambda: tnn.Sequential(tnn.Conv1d(2, 3, 3), tnn.AdaptiveMaxPool1d(4)),
     _x(2, 2, 11), False),
]
CASES += [
    ("cnn-3d", lambda: tnn.Sequential(
        tnn.Conv3d(2, 4, (3, 2, 3), stride=(1, 2, 1), padding=1), _randomize(tnn.BatchNorm3d(4)),
        tnn.ReLU(), tnn.MaxPool3d(2, ceil_mode=True), tnn.Dropout3d(0.5),
        tnn.ConvTranspose3d(4, 4, 3, stride=2, padding=1, output_padding=1, groups=2),
        tnn.AvgPool3d(2, padding=1, count_include_pad=False), tnn.InstanceNorm3d(4, affine=True),
        tnn.AdaptiveMaxPool3d((2, 3, 2)), tnn.AdaptiveAvgPool3d(1), tnn.Flatten()),
     _x(2, 2, 5, 6, 5), False),
    ("pad-3d", lambda: tnn.Sequential(
        tnn.ZeroPad3d((1, 0, 2, 1, 0, 1)), tnn.ConstantPad3d(1, 0.5), tnn.ReflectionPad3d(1),
        tnn.ReplicationPad3d((0, 1, 2, 0, 1, 1)), tnn.CircularPad3d(1),
        tnn.Upsample(scale_factor=2, mode="trilinear")), _x(2, 2, 3, 4, 3), False),
    ("batchnorm3d-train", lambda: tnn.Sequential(tnn.Conv3d(2, 3, 1), tnn.BatchNorm3d(3)),
     _x(3, 2, 2, 3, 4), True),
]
for _cls in ("ConvTranspose1d", "ConvTranspose2d"):
    if hasattr(gn.nn, _cls):
        CASES.append((_cls.lower(), (lambda c: lambda: getattr(tnn, c)(
            2, 4, 3, stride=2, padding=1, output_padding=1))(_cls),
            _x(2, 2, 5) if _cls.endswith("1d") else _x(2, 2, 5, 4), False))


@pytest.mark.parametrize("name,make,x,train", CASES, ids=[c[0] for c in CASES])
def test_round_trip_outputs_and_gradients(name, make, x, train):
    torch.manual_seed(0)
    _check_round_trip(make().double(), x, train)


def _attn_case(batch_first, need_weights, mask):
    def run(attn, x):
        L = x.shape[1] if batch_first else x.shape[0]
        m = np.triu(np.full((L, L), -np.inf), 1) if mask else None
        if isinstance(x, torch.Tensor):
            m = None if m is None else torch.tensor(m)
        else:
            m = None if m is None else gn.tensor(m)
        return attn(x, x, x, need_weights=need_weights, attn_mask=m)
    return run


@pytest.mark.skipif(not hasattr(gn.nn, "MultiheadAttention"), reason="no attention yet")
@pytest.mark.parametrize("batch_first,need_weights,mask",
                         [(False, True, False), (True, False, True)])
def test_multihead_attention_round_trip(batch_first, need_weights, mask):
    torch.manual_seed(0)
    attn = tnn.MultiheadAttention(8, 2, batch_first=batch_first).double().eval()
    run = _attn_case(batch_first, need_weights, mask)
    g = interop.from_torch(attn)
    back = interop.to_torch(g)
    x = _x(2, 5, 8) if batch_first else _x(5, 2, 8)
    outs = []
    for model, make in ((attn, torch.tensor), (g, gn.tensor), (back, torch.tensor)):
        xt = make(x)
        xt.requires_grad = True
        out = _flat(run(model, xt))
        rng = np.random.default_rng(1)
        sum((o * make(rng.standard_normal(tuple(o.shape)))).sum() for o in out).backward()
        outs.append((out, xt.grad, dict(model.named_parameters())))
    (t_out, t_gx, t_p), *others = outs
    for out, gx, params in others:
        for a, b in zip(out, t_out):
            _close(a, b, "attention output")
        _close(gx, t_gx, "input gradient")
        assert set(params) == set(t_p)
        for k, p in t_p.items():
            _close(params[k].grad, p.grad, f"gradient of {k}")


@pytest.mark.skipif(not hasattr(gn.nn, "Transformer"), reason="no transformer yet")
@pytest.mark.parametrize("norm_first,activation", [(False, "relu"), (True, "gelu")])
def test_transformer_round_trip(norm_first, activation):
    torch.manual_seed(0)
    enc = tnn.TransformerEncoder(
        tnn.TransformerEncoderLayer(8, 2, 16, dropout=0.0, activation=activation,
                                    batch_first=True, norm_first=norm_first),
        num_layers=2, norm=tnn.LayerNorm(8), enable_nested_tensor=False)
    _check_round_trip(enc.double(), _x(2, 5, 8))
    full = tnn.Transformer(8, 2, 1, 1, 16, dropout=0.0, batch_first=True).double().eval()
    g = interop.from_torch(full)
    back = interop.to_torch(g)
    src, tgt = _x(2, 5, 8), _x(2, 3, 8, seed=1)
    with torch.no_grad():
        want = full(torch.tensor(src), torch.tensor(tgt))
        _close(back(torch.tensor(src), torch.tensor(tgt)), want, "transformer (back)")
    with gn.no_grad():
        _close(g(gn.tensor(src), gn.tensor(tgt)), want, "transformer (glassnet)")


RNNS = [(c, n, b, f) for c in ("RNN", "LSTM", "GRU")
        for n, b, f in ((1, False, False), (2, True, True))]


@pytest.mark.parametrize("cls,layers,bi,bf", RNNS,
                         ids=[f"{c}-L{n}{'-bi' if b else ''}{'-bf' if f else ''}"
                              for c, n, b, f in RNNS])
def test_recurrent_round_trip(cls, layers, bi, bf):
    torch.manual_seed(0)
    kw = {"nonlinearity": "relu"} if cls == "RNN" and bi else {}
    model = getattr(tnn, cls)(3, 4, num_layers=layers, bidirectional=bi, batch_first=bf,
                              dropout=0.3 if layers > 1 else 0.0, **kw).double()
    gm = _check_round_trip(model, _x(2, 5, 3) if bf else _x(5, 2, 3))
    assert gm.dropout == model.dropout and gm.batch_first == bf


@pytest.mark.parametrize("cls", ["RNNCell", "LSTMCell", "GRUCell"])
def test_cell_round_trip(cls):
    torch.manual_seed(0)
    _check_round_trip(getattr(tnn, cls)(3, 4).double(), _x(2, 3))


def test_dtype_requires_grad_and_containers_carry_over():
    torch.manual_seed(0)
    emb = tnn.Embedding(5, 3)
    emb.weight.requires_grad_(False)
    tmodel = tnn.ModuleDict({"emb": emb, "heads": tnn.ModuleList([tnn.Linear(3, 2),
                                                                  tnn.Linear(3, 1)])})
    gmodel = interop.from_torch(tmodel)
    assert isinstance(gmodel, gn.nn.ModuleDict) and isinstance(gmodel["heads"], gn.nn.ModuleList)
    assert gmodel["emb"].weight.dtype == np.float32
    assert not gmodel["emb"].weight.requires_grad and gmodel["heads"][0].weight.requires_grad
    sd = tmodel.state_dict()
    gsd = gmodel.state_dict()
    assert list(gsd) == list(sd)
    for k in sd:
        np.testing.assert_array_equal(np.asarray(gsd[k].data), sd[k].numpy())
    back = interop.to_torch(gmodel)
    assert not back["emb"].weight.requires_grad and back["emb"].weight.dtype == torch.float32
    # the copies are independent of the originals
    gmodel["heads"][0].weight.data[...] = 0
    assert float(tmodel["heads"][0].weight.detach().abs().sum()) > 0
    assert float(back["heads"][0].weight.detach().abs().sum()) > 0


class Custom(tnn.Module):
    def forward(self, x):
        return x * 2


class MyLinear(tnn.Linear):
    def forward(self, x):
        return super().forward(x) + 1


def test_unsupported_layers_are_named_with_their_paths():
    model = tnn.Sequential(tnn.Linear(2, 2), Custom(),
                           tnn.Sequential(MyLinear(2, 2), tnn.Bilinear(2, 2, 2)))
    with pytest.raises(interop.ConversionError) as e:
        interop.from_torch(model)
    msg = str(e.value)
    assert "1 (Custom)" in msg and "2.0 (MyLinear)" in msg
    if not hasattr(gn.nn, "Bilinear"):
        assert "2.1 (Bilinear)" in msg
    assert "0 (Linear)" not in msg and "Linear" in msg  # listed among what converts


def test_unsupported_options_and_inputs():
    with pytest.raises(interop.ConversionError, match="proj_size"):
        interop.from_torch(tnn.LSTM(3, 4, proj_size=2))
    with pytest.raises(TypeError, match="torch.nn.Module"):
        interop.from_torch(gn.nn.Linear(2, 2))
    with pytest.raises(TypeError, match="glassnet Module"):
        interop.to_torch(tnn.Linear(2, 2))

    class Mine(gn.nn.Module):
        def forward(self, x):
            return x

    with pytest.raises(interop.ConversionError, match=r"\(Mine\)"):
        interop.to_torch(gn.nn.Sequential(gn.nn.ReLU(), Mine()))


def test_supported_layers_lists_what_converts():
    names = interop.supported_layers()
    assert {"Linear", "Conv2d", "LSTM", "Sequential", "Embedding"} <= set(names)
    assert all(hasattr(gn.nn, n) and hasattr(tnn, n) for n in names)


# --- weights through safetensors --------------------------------------------------------


def test_load_reads_a_torch_state_dict_saved_with_safetensors(tmp_path):
    st_torch = pytest.importorskip("safetensors.torch")
    torch.manual_seed(0)
    tmodel = tnn.Sequential(tnn.Conv2d(1, 2, 3), _randomize(tnn.BatchNorm2d(2)), tnn.Flatten(),
                            tnn.Linear(8, 3)).eval()
    path = tmp_path / "weights.safetensors"
    st_torch.save_file(tmodel.state_dict(), str(path))
    state = gn.load(path)
    assert set(state) == set(tmodel.state_dict())
    gmodel = gn.nn.Sequential(gn.nn.Conv2d(1, 2, 3), gn.nn.BatchNorm2d(2), gn.nn.Flatten(),
                              gn.nn.Linear(8, 3)).eval()
    gmodel.load_state_dict(state)
    x = np.random.default_rng(0).standard_normal((2, 1, 4, 4)).astype(np.float32)
    with torch.no_grad():
        want = tmodel(torch.tensor(x)).numpy()
    with gn.no_grad():
        got = gmodel(gn.tensor(x)).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_load_refuses_torch_save_files_without_unpickling(tmp_path, monkeypatch):
    import pickle

    path = tmp_path / "model.pt"
    torch.save(tnn.Linear(2, 2).state_dict(), path)
    legacy = tmp_path / "legacy.pt"
    torch.save(tnn.Linear(2, 2).state_dict(), legacy, _use_new_zipfile_serialization=False)

    def no_unpickling(*a, **k):
        raise AssertionError("gn.load unpickled")

    monkeypatch.setattr(pickle, "load", no_unpickling)
    monkeypatch.setattr(pickle, "loads", no_unpickling)
    monkeypatch.setattr(pickle, "Unpickler", no_unpickling)
    for p in (path, legacy):
        with pytest.raises(SaveFormatError) as e:
            gn.load(p)
        assert "safetensors.torch.save_file" in str(e.value), str(e.value)


def test_shared_layers_stay_shared():
    shared = tnn.Linear(3, 3)
    tmodel = tnn.Sequential(shared, tnn.Tanh(), shared)
    gmodel = interop.from_torch(tmodel)
    assert gmodel[0] is gmodel[2]
    back = interop.to_torch(gmodel)
    assert back[0] is back[2]
    x = _x(2, 3).astype(np.float32)
    with torch.no_grad():
        want = tmodel(torch.tensor(x)).numpy()
    np.testing.assert_allclose(gmodel(gn.tensor(x)).detach().numpy(), want, rtol=1e-6)


def test_adaptive_softmax_and_ctc_loss_round_trip():
    torch.manual_seed(0)
    asm = tnn.AdaptiveLogSoftmaxWithLoss(6, 10, [2, 5], div_value=2.0, head_bias=True).double()
    g = interop.from_torch(asm)
    back = interop.to_torch(g)
    x, y = _x(5, 6), np.array([0, 3, 9, 1, 6])
    want = asm(torch.tensor(x), torch.tensor(y))
    for out in (g(gn.tensor(x), gn.tensor(y)), back(torch.tensor(x), torch.tensor(y))):
        _close(out.output, want.output, "adaptive softmax output")
        _close(out.loss, want.loss, "adaptive softmax loss")
    ctc = tnn.CTCLoss(blank=2, reduction="sum", zero_infinity=True)
    gctc = interop.from_torch(ctc)
    assert (gctc.blank, gctc.reduction, gctc.zero_infinity) == (2, "sum", True)
    lp = np.log(np.full((4, 1, 3), 1 / 3))
    _close(gctc(gn.tensor(lp), gn.tensor([[0, 1]]), (4,), (2,)),
           ctc(torch.tensor(lp), torch.tensor([[0, 1]]), (4,), (2,)), "CTCLoss")
    assert type(interop.to_torch(gctc)) is tnn.CTCLoss


@pytest.mark.skipif(not hasattr(gn.nn, "HuberLoss"), reason="always: needs the newer losses")
def test_losses_with_their_weights_round_trip():
    torch.manual_seed(0)
    x, y = _x(4, 3), _x(4, 3, seed=1)
    labels = np.array([0, 2, 1, 2])
    w = torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)
    cases = [
        (tnn.MSELoss(reduction="sum"), y), (tnn.L1Loss(), y), (tnn.SmoothL1Loss(beta=0.5), y),
        (tnn.HuberLoss(delta=0.3), y), (tnn.CrossEntropyLoss(weight=w, label_smoothing=0.1),
                                        labels),
        (tnn.NLLLoss(weight=w, ignore_index=1), labels),
        (tnn.BCEWithLogitsLoss(pos_weight=w), (y > 0).astype(np.float64)),
    ]
    for loss, target in cases:
        g = interop.from_torch(loss)
        back = interop.to_torch(g)
        want = loss(torch.tensor(x), torch.tensor(target))
        _close(g(gn.tensor(x), gn.tensor(target)), want, type(loss).__name__)
        _close(back(torch.tensor(x), torch.tensor(target)), want, type(loss).__name__ + " back")
