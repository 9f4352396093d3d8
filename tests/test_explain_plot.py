"""Every picture renders a non-empty PNG headless; wrong shapes are clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn

pytest.importorskip("matplotlib")
from glassnet.explain import plot  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n"


def _png(fig, tmp_path, name):
    p = plot.save_figure(fig, tmp_path / f"{name}.png")
    data = open(p, "rb").read()
    assert data[:8] == PNG and len(data) > 2000, name
    return data


def _squiggle_net():
    from glassnet.examples.backprop import CURRICULUM_WEIGHTS
    from glassnet.examples.black_box import two_node_net

    return two_node_net({**CURRICULUM_WEIGHTS, "b3": 2.61})


def test_squiggle_parts_add_up_to_the_model():
    net = _squiggle_net()
    xs = np.linspace(0, 1, 11)
    parts = plot.squiggle_parts(net, xs)
    with gn.no_grad():
        out = net(gn.tensor(xs.reshape(-1, 1))).data.reshape(-1)
    np.testing.assert_allclose(parts["output"], out, rtol=1e-12)
    np.testing.assert_allclose(parts["scaled"].sum(1) + parts["bias"], out, rtol=1e-12)


def test_every_picture_renders(tmp_path):
    gn.manual_seed(0)
    net = _squiggle_net()
    x = gn.tensor([[0.0], [0.5], [1.0]], dtype=gn.float64)
    y = gn.tensor([[0.0], [1.0], [0.0]], dtype=gn.float64)
    _png(plot.squiggle(net, x, y), tmp_path, "squiggle")
    clf = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3))
    X = np.random.default_rng(0).standard_normal((30, 2)).astype(np.float32)
    _png(plot.decision_regions(clf, X, np.arange(30) % 3, resolution=60,
                               class_names=["a", "b", "c"]), tmp_path, "regions")
    hist = {"epoch": [1, 2, 3], "loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.7, 0.5],
            "accuracy": [0.5, 0.7, 0.8], "lr": [0.1] * 3}
    _png(plot.history_curves(hist), tmp_path, "history")
    _png(plot.confusion_matrix(y_true=[0, 1, 2, 2, 1], y_pred=[0, 2, 2, 2, 1],
                               class_names=["x", "y", "z"]), tmp_path, "cm")
    conv = nn.Conv2d(1, 6, 3)
    _png(plot.conv_filters(conv), tmp_path, "filters")
    _png(plot.feature_maps(conv, np.random.default_rng(1).random((8, 8))), tmp_path, "maps")
    lstm = nn.LSTM(1, 2)
    _png(plot.lstm_activations(lstm, np.array([[0.0], [0.5], [0.25], [1.0]])), tmp_path,
         "lstm")
    _png(plot.embeddings(np.random.default_rng(2).standard_normal((6, 5)),
                         labels=list("abcdef")), tmp_path, "emb")
    _png(plot.embeddings(nn.Embedding(5, 4), labels=list("vwxyz")), tmp_path, "emb2")
    _png(plot.gradient_over_time([1.0, 0.1, 1e-3, 1e-6]), tmp_path, "time")
    assert len(list(tmp_path.glob("*.tmp"))) == 0


def test_squiggle_save_argument(tmp_path):
    p = tmp_path / "sub" / "s.png"
    plot.squiggle(_squiggle_net(), save=p)
    assert open(p, "rb").read()[:8] == PNG


def test_lstm_trace_matches_the_layer():
    gn.manual_seed(3)
    lstm = nn.LSTM(2, 3).double()
    seq = np.random.default_rng(3).standard_normal((5, 2))
    rec = plot.lstm_trace(lstm, seq)
    with gn.no_grad():
        out, (h, c) = lstm(gn.tensor(seq.reshape(5, 1, 2)))
    np.testing.assert_allclose(rec["hidden"], out.data[:, 0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(rec["cell"][-1], c.data[0, 0], rtol=1e-10, atol=1e-12)


def test_bad_shapes_are_clear_errors():
    with pytest.raises(ValueError, match="1 input.*got a first layer with 3 inputs"):
        plot.squiggle(nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1)))
    with pytest.raises(ValueError, match="2 outputs"):
        plot.squiggle(nn.Sequential(nn.Linear(1, 4), nn.ReLU(), nn.Linear(4, 2)))
    with pytest.raises(ValueError, match="the squiggle needs"):
        plot.squiggle(nn.Sequential(nn.Linear(1, 4), nn.Linear(4, 1)))
    with pytest.raises(ValueError, match=r"2 input features.*\(5, 3\)"):
        plot.decision_regions(nn.Linear(3, 2), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="conv weight"):
        plot.conv_filters(nn.Linear(3, 2))
    with pytest.raises(ValueError, match="needs an LSTM"):
        plot.lstm_activations(nn.RNN(1, 2), np.zeros((3, 1)))
    with pytest.raises(ValueError, match="labels"):
        plot.embeddings(np.zeros((4, 3)), labels=["a"])
    with pytest.raises(ValueError, match="nothing to plot"):
        plot.history_curves({"epoch": [1]})


def test_import_glassnet_does_not_import_matplotlib():
    import subprocess
    import sys

    code = "import sys, glassnet; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "False"
