"""The curriculum's chapters (glassnet.examples), each run in fast mode, asserting the
numbers the story tells; PyTorch checks the hand-set networks and derivatives with the
same weights in float64."""

from __future__ import annotations

import importlib
import runpy
import sys
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
from glassnet.examples import (
    argmax_softmax,
    backprop,
    black_box,
    cross_entropy,
    multiple_io,
    relu,
)

ROOT = Path(__file__).resolve().parents[1]


def _softplus(z):
    return np.logaddexp(0.0, z)


def _relu(z):
    return np.maximum(z, 0.0)


def _dosage_net(w, act, output_relu=False):
    """The two-node dosage network written out in NumPy: (3,) dosages -> (3,) outputs."""
    x = np.array([0.0, 0.5, 1.0])
    out = w["w3"] * act(w["w1"] * x + w["b1"]) + w["w4"] * act(w["w2"] * x + w["b2"]) + w["b3"]
    return _relu(out) if output_relu else out


# --- per-chapter checks: (out, printed) -> None --------------------------------------------
def check_black_box(out, printed):
    o = np.array(out["outputs"])
    # The curriculum rounds its weights; with them the outputs are -0.011, 1.035, 0.005.
    assert np.all(np.abs(o - [0.0, 1.03, 0.0]) <= [0.015, 0.01, 0.01]), o
    np.testing.assert_allclose(o, _dosage_net(black_box.CURRICULUM_WEIGHTS, _softplus),
                               rtol=0, atol=1e-12)
    assert out["trained_ssr"] < 1e-3
    assert np.all(np.abs(np.array(out["trained_outputs"]) - [0.0, 1.0, 0.0]) < 0.03)
    assert "softplus(-15.06)" in printed


def check_backprop(out, printed):
    assert abs(out["b3"] - 2.61) < 0.01
    steps = out["steps"]
    assert 5 <= len(steps) <= 20
    assert abs(steps[-1]["step_size"]) < 0.001 <= abs(steps[-2]["step_size"])
    # first step by hand: dSSR/db3 = sum -2 (observed - predicted) at b3 = 0
    pred0 = _dosage_net(backprop.CURRICULUM_WEIGHTS, _softplus)
    d0 = float(np.sum(-2.0 * (np.array([0.0, 1.0, 0.0]) - pred0)))
    assert abs(steps[0]["derivative"] - d0) < 1e-9
    assert abs(steps[0]["step_size"] - 0.1 * d0) < 1e-9
    assert out["derivative_error"] < 1e-9 and out["chain_rule_error"] < 1e-9
    assert out["all_ssr"] < 1e-4
    assert "dSSR/db3" in printed and "step size" in printed


def check_relu(out, printed):
    expected = _dosage_net(relu.CURRICULUM_WEIGHTS, _relu, output_relu=True)
    np.testing.assert_allclose(out["outputs"], expected, atol=1e-12)
    np.testing.assert_allclose(out["outputs"], [0.0, 1.01, 0.0], atol=1e-9)
    assert out["trained_ssr"] < 1e-3
    assert "relu(0.85)" in printed


def check_multiple_io(out, printed):
    X, y, _ = multiple_io.petal_sepal()
    i = int(np.flatnonzero(y == 0)[0])
    h = _relu(np.array(multiple_io.HIDDEN_WEIGHT) @ X[i] + multiple_io.HIDDEN_BIAS)
    expected = np.array(multiple_io.OUTPUT_WEIGHT) @ h + multiple_io.OUTPUT_BIAS
    np.testing.assert_allclose(out["outputs"]["Setosa"], expected, atol=1e-12)
    assert int(np.argmax(out["outputs"]["Setosa"])) == 0
    assert out["accuracy"] >= 0.95
    assert "Virginica" in printed


def check_argmax_softmax(out, printed):
    assert out["argmax"] == 0
    np.testing.assert_allclose(out["probs"], [0.68, 0.11, 0.21], atol=0.01)
    assert out["jacobian_error"] < 1e-12 and out["shift_error"] < 1e-12
    pmax = [out["probs_by_temperature"][t].max() for t in argmax_softmax.TEMPERATURES]
    assert all(a > b for a, b in zip(pmax, pmax[1:])), pmax  # hotter = flatter
    assert "temperature" in printed.lower()


def check_cross_entropy(out, printed):
    assert out["bias_gradient_error"] < 1e-6
    p, y = out["probs"], [c for _, c in cross_entropy.FLOWERS]
    observed = p[np.arange(3), y]
    np.testing.assert_allclose(observed, [0.57, 0.58, 0.52], atol=0.01)
    assert abs(out["total_cross_entropy"] + np.log(observed).sum()) < 1e-9
    np.testing.assert_allclose(out["bias_gradient_formula"],
                               (p - np.eye(3)[y]).sum(axis=0), atol=1e-12)
    d = out["descent"]
    assert out["loss_after_one_step"] < d[0]["loss"]
    assert abs(d[-1]["step_size"]) < 0.001


def check_iris(out, printed):
    assert out["test_accuracy"] >= 0.95
    assert out["confusion_matrix"].sum() == 45


def check_digits(out, printed):
    assert out["test_accuracy"] >= 0.96
    assert out["confusion_matrix"].sum() == 450


CHAPTERS = [
    ("black_box", check_black_box),
    ("backprop", check_backprop),
    ("relu", check_relu),
    ("multiple_io", check_multiple_io),
    ("argmax_softmax", check_argmax_softmax),
    ("cross_entropy", check_cross_entropy),
    ("iris_classifier", check_iris),
    ("digits_mlp", check_digits),
]


@pytest.mark.parametrize("name,check", CHAPTERS, ids=[c[0] for c in CHAPTERS])
def test_chapter(name, check, capsys):
    module = importlib.import_module(f"glassnet.examples.{name}")
    out = module.run(fast=True)
    printed = capsys.readouterr().out
    assert isinstance(out["result"], str) and out["result"] and "\n" not in out["result"]
    assert len(printed.splitlines()) >= 5, "a chapter tells its story as it runs"
    check(out, printed)


# --- PyTorch as the oracle for the hand-set networks and the derivatives ------------------
def _torch_dosage_net(torch, w, act, output_relu=False):
    layers = [torch.nn.Linear(1, 2), act(), torch.nn.Linear(2, 1)]
    if output_relu:
        layers.append(torch.nn.ReLU())
    net = torch.nn.Sequential(*layers).double()
    f64 = torch.float64
    with torch.no_grad():
        net[0].weight.copy_(torch.tensor([[w["w1"]], [w["w2"]]], dtype=f64))
        net[0].bias.copy_(torch.tensor([w["b1"], w["b2"]], dtype=f64))
        net[2].weight.copy_(torch.tensor([[w["w3"], w["w4"]]], dtype=f64))
        net[2].bias.copy_(torch.tensor([w["b3"]], dtype=f64))
    return net


@pytest.mark.parametrize("weights,hidden,output_relu", [
    (black_box.CURRICULUM_WEIGHTS, "Softplus", False),
    (backprop.CURRICULUM_WEIGHTS, "Softplus", False),
    (backprop.STARTING_WEIGHTS, "Softplus", False),
    (relu.CURRICULUM_WEIGHTS, "ReLU", True),
], ids=["black_box", "backprop", "backprop_start", "relu"])
def test_dosage_nets_match_torch(torch, weights, hidden, output_relu):
    tnet = _torch_dosage_net(torch, weights, getattr(torch.nn, hidden), output_relu)
    gnet = black_box.two_node_net(weights, hidden=getattr(gn.nn, hidden),
                                  output_relu=output_relu)
    x = np.linspace(0.0, 1.0, 11).reshape(-1, 1)
    y = np.sin(3 * x)
    tl = ((tnet(torch.tensor(x)) - torch.tensor(y)) ** 2).sum()
    tl.backward()
    gl = gn.nn.functional.ssr(gnet(gn.tensor(x)), gn.tensor(y))
    gl.backward()
    np.testing.assert_allclose(gl.item(), tl.item(), rtol=1e-12)
    for (name, p), tp in zip(gnet.named_parameters(), tnet.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), tp.grad.numpy(), rtol=1e-10, atol=1e-12,
                                   err_msg=name)


def test_backprop_b3_descent_matches_torch(torch):
    b3, steps = backprop.optimise_b3(*black_box.load_dosage_tensors(), verbose=False)
    w = backprop.CURRICULUM_WEIGHTS
    x = torch.tensor([0.0, 0.5, 1.0], dtype=torch.float64)
    obs = torch.tensor([0.0, 1.0, 0.0], dtype=torch.float64)
    sp = torch.nn.functional.softplus
    b = torch.tensor(0.0, dtype=torch.float64, requires_grad=True)
    for s in steps:
        pred = w["w3"] * sp(w["w1"] * x + w["b1"]) + w["w4"] * sp(w["w2"] * x + w["b2"]) + b
        ((obs - pred) ** 2).sum().backward()
        assert abs(b.grad.item() - s["derivative"]) < 1e-10
        with torch.no_grad():
            b -= 0.1 * b.grad
        b.grad = None
    assert abs(b.item() - b3) < 1e-10


@pytest.mark.parametrize("temperature", [0.5, 1.0, 3.0])
def test_softmax_jacobian_matches_torch(torch, temperature):
    z = np.array(argmax_softmax.RAW_OUTPUTS)
    jt = torch.autograd.functional.jacobian(
        lambda v: torch.softmax(v / temperature, dim=0), torch.tensor(z)
    ).numpy()
    np.testing.assert_allclose(argmax_softmax.autograd_jacobian(z, temperature), jt, atol=1e-14)
    np.testing.assert_allclose(argmax_softmax.softmax_jacobian(z, temperature), jt, atol=1e-14)


def test_cross_entropy_bias_gradient_matches_torch(torch):
    X, y, _ = multiple_io.petal_sepal()
    net = multiple_io.iris_net()
    g_auto, g_formula = cross_entropy.bias_gradient_check(net, X, y)
    tnet = torch.nn.Sequential(torch.nn.Linear(2, 2), torch.nn.ReLU(),
                               torch.nn.Linear(2, 3)).double()
    with torch.no_grad():
        for tp, p in zip(tnet.parameters(), net.parameters()):
            tp.copy_(torch.tensor(p.detach().numpy()))
    loss = torch.nn.functional.cross_entropy(tnet(torch.tensor(X)), torch.tensor(y),
                                             reduction="sum")
    loss.backward()
    np.testing.assert_allclose(g_auto, tnet[2].bias.grad.numpy(), atol=1e-12)
    np.testing.assert_allclose(g_formula, tnet[2].bias.grad.numpy(), atol=1e-12)


# --- figures and scripts -------------------------------------------------------------------
@pytest.mark.parametrize("module,name", [
    (black_box, "black_box_squiggle.png"),
    (backprop, "backprop_b3.png"),
    (argmax_softmax, "softmax_temperature.png"),
    (cross_entropy, "cross_entropy_bias.png"),
], ids=["black_box", "backprop", "argmax_softmax", "cross_entropy"])
def test_chapter_saves_png(module, name, tmp_path, capsys):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    out = module.run(fast=True, plot_dir=str(tmp_path))
    path = tmp_path / name
    assert out["plot"] == str(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == [name]  # no temporary file left behind


@pytest.mark.parametrize("name", [c[0] for c in CHAPTERS])
def test_example_script_runs_its_chapter(name, tmp_path, monkeypatch, capsys):
    module = importlib.import_module(f"glassnet.examples.{name}")
    calls = []

    def fake_run(**kw):
        calls.append(kw)
        return {"result": "ok"}

    monkeypatch.setattr(module, "run", fake_run)
    script = ROOT / "examples" / f"{name}.py"
    monkeypatch.setattr(sys, "argv", [str(script), "--fast", "--no-plots"])
    with pytest.raises(SystemExit) as exit_info:
        runpy.run_path(str(script), run_name="__main__")
    assert exit_info.value.code == 0
    assert calls == [{"fast": True, "plot_dir": None}]


@pytest.mark.parametrize("name", ["argmax_softmax", "black_box", "multiple_io",
                                  "iris_classifier"])
def test_chapter_without_matplotlib_saves_nothing(name, tmp_path, monkeypatch, capsys):
    module = importlib.import_module(f"glassnet.examples.{name}")
    for name in ("matplotlib", "matplotlib.figure", "matplotlib.pyplot"):
        monkeypatch.setitem(sys.modules, name, None)  # makes `import matplotlib...` fail
    out = module.run(fast=True, plot_dir=str(tmp_path))
    assert out["plot"] is None and list(tmp_path.iterdir()) == []


def test_cnn_filter_figure_is_written_atomically(tmp_path):
    pytest.importorskip("matplotlib")
    from glassnet.examples.cnn_plots import plot_filters_and_maps

    rng = np.random.default_rng(0)
    path = tmp_path / "figures" / "filters.png"
    out = plot_filters_and_maps(rng.normal(size=(3, 1, 3, 3)), rng.random((8, 8)),
                                rng.random((3, 6, 6)), str(path), title="filters")
    assert out == str(path)
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in path.parent.iterdir()] == ["filters.png"]  # no temporary file
