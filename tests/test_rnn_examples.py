"""The recurrent-network examples reach their answers (fast mode)."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.examples import char_lm, lstm_stock, rnn_vs_lstm, seq_classifier


def test_lstm_stock(tmp_path):
    out = lstm_stock.run(fast=True, plot_dir=str(tmp_path))
    assert out["ok"], out["result"]
    for key in ("hand", "nn"):
        a, b = out[key]["predictions"]
        assert abs(a - 0.0) < 0.05 and abs(b - 1.0) < 0.05, (key, a, b)
    assert out["result"].startswith("LSTM stock example")
    pytest.importorskip("matplotlib")
    assert (tmp_path / "lstm_stock_loss.png").stat().st_size > 1000


def test_hand_lstm_matches_library_lstm():
    """The hand-built unit and gn.nn.LSTM(1, 1) compute the same thing with the same
    weights (gate rows i, f, g, o)."""
    import glassnet as gn

    hand = lstm_stock.HandLSTM(generator=gn.Generator(3))
    for name in ("b_f", "b_i", "b_g", "b_o"):
        getattr(hand, name).data[...] = np.float32(0.3)
    lib = gn.nn.LSTM(1, 1)
    order = ("i", "f", "g", "o")
    with gn.no_grad():
        lib.weight_ih_l0.data[:, 0] = [float(getattr(hand, f"w_{g}2").data) for g in order]
        lib.weight_hh_l0.data[:, 0] = [float(getattr(hand, f"w_{g}1").data) for g in order]
        lib.bias_ih_l0.data[...] = [float(getattr(hand, f"b_{g}").data) for g in order]
        lib.bias_hh_l0.data[...] = 0.0
    x = gn.tensor(lstm_stock.PRICES)
    out, _ = lib(x.transpose(0, 1).reshape(4, 2, 1))
    np.testing.assert_allclose(hand(x).data, out[-1].data.reshape(2), rtol=1e-5, atol=1e-6)


def test_rnn_vs_lstm():
    out = rnn_vs_lstm.run(fast=True)
    r = out["ratios"]
    assert r["tanh RNN, w_h = 1.0"] < 1e-6  # vanishing
    assert r["tanh RNN, w_h = 0.5"] < 1e-6
    assert r["ReLU RNN, w_h = 1.2"] > 1e3  # exploding
    assert r["LSTM, forget gate half open (bias 0)"] < 1e-6
    assert r["LSTM, forget gate open (bias 5)"] > 0.3  # the cell state carries day 1
    assert out["stock"]["LSTM"]["ok"]
    clip = out["clipping"]
    assert clip["without"]["diverged"] and clip["without"]["first_norm"] > 1e4
    assert clip["with"]["ok"], clip


def test_char_lm():
    out = char_lm.run(fast=True)
    assert out["valid_loss"] < out["unigram"] - 0.4, out["result"]
    assert out["history"][-1][0] < out["history"][0][0]
    valid = [h[1] for h in out["history"]]  # the best epoch: the lowest held-out loss
    assert 1 <= out["best_epoch"] <= len(valid)
    assert out["best_valid_loss"] == min(valid) == valid[out["best_epoch"] - 1]
    assert out["best_valid_loss"] <= out["valid_loss"] == valid[-1]
    assert f"(epoch {out['best_epoch']})" in out["result"]
    for text in out["samples"].values():
        assert text.startswith("Alice ") and len(text) == 206
        assert set(text) <= set(out["vocab"])


def test_char_lm_data_is_bundled():
    text = char_lm.load_text()
    assert text.startswith("CHAPTER I. Down the Rabbit-Hole")
    assert len(text) > 20_000


def test_seq_classifier():
    out = seq_classifier.run(fast=True)
    assert out["accuracy"] >= 0.95, out["result"]
    assert out["padding_invariant"]
