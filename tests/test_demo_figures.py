"""The demo's figures say what the chapters claim: labels clear of each other, values
written in the cells, training and validation curves named, the best epoch reported."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn

pytest.importorskip("matplotlib")
from glassnet.explain import plot  # noqa: E402


def _extents(notes):
    fig = notes[0].figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    return [n.get_window_extent(renderer) for n in notes]


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _assert_clear(ax, notes, x, y, marker_size):
    boxes = _extents(notes)
    for i, a in enumerate(boxes):
        for j, b in enumerate(boxes[:i]):
            assert not _overlap(a, b), (notes[i].get_text(), notes[j].get_text())
    half = marker_size / 2 * ax.figure.dpi / 72
    for (px, py) in ax.transData.transform(np.column_stack([x, y])):
        for n, box in zip(notes, boxes):
            assert not (box.x0 < px + half and px - half < box.x1 and box.y0 < py + half
                        and py - half < box.y1), f"label {n.get_text()!r} covers a point"


def test_troll2_labels_do_not_overlap():
    from glassnet.examples import troll2
    from glassnet.examples.black_box import new_figure

    model, _ = troll2.train()
    emb = model.embed.weight.detach().numpy()
    fig, (ax,) = new_figure(4.8, 4.2)
    ax.scatter(emb[:, 0], emb[:, 1], s=40)
    ax.margins(0.25)
    notes = plot.label_points(ax, emb[:, 0], emb[:, 1], troll2.TOKENS, fontsize=10,
                              marker_size=8)
    assert [n.get_text() for n in notes] == troll2.TOKENS
    _assert_clear(ax, notes, emb[:, 0], emb[:, 1], 8)


def test_label_points_separates_coincident_and_crowded_points():
    rng = np.random.default_rng(0)
    x = np.r_[0.0, 0.0, 1e-3, rng.random(9)]
    y = np.r_[0.0, 1e-3, 0.0, rng.random(9)]
    labels = ["Troll2", "Gymkata", "third", *(f"w{i}" for i in range(9))]
    fig, axes = plot._figure(6, 5)
    ax = axes[0, 0]
    ax.scatter(x, y, s=14)
    notes = plot.label_points(ax, x, y, labels)
    _assert_clear(ax, notes, x, y, 4.0)
    with pytest.raises(ValueError, match="3 labels"):
        plot.label_points(ax, [0, 1], [0, 1], ["a", "b", "c"])


def test_history_curves_name_training_and_validation():
    hist = {"epoch": [1, 2, 3], "loss": [1.0, 0.5, 0.3], "val_loss": [1.1, 0.7, 0.6],
            "accuracy": [0.5, 0.8, 0.9], "val_accuracy": [0.4, 0.7, 0.8]}
    fig = plot.history_curves(hist, labels=("training", "held-out"))
    axes = fig.axes
    assert [ax.get_ylabel() for ax in axes] == ["loss", "accuracy"]
    assert all(ax.get_xlabel() == "epoch" for ax in axes)
    legends = [[t.get_text() for t in ax.get_legend().get_texts()] for ax in axes]
    assert legends == [["training (loss)", "held-out (val_loss)"],
                       ["training (accuracy)", "held-out (val_accuracy)"]]
    np.testing.assert_allclose(axes[0].get_lines()[1].get_ydata(), hist["val_loss"])


def test_iris_history_has_held_out_curves_that_change_nothing():
    from glassnet.data import load_iris
    from glassnet.examples.iris_classifier import RECIPE, train_and_test

    d = load_iris()
    recipe = {**RECIPE, "epochs": 3}
    _, history, X_test, y_test, acc = train_and_test(d.data, d.target, seed=3,
                                                     progress=False, **recipe)
    h = history.to_dict()
    assert len(h["val_loss"]) == len(h["val_accuracy"]) == 3
    assert h["val_accuracy"][-1] == pytest.approx(acc)  # the last point is the score


def test_o_vs_x_figure_shows_the_feature_map_values():
    from glassnet.examples import cnn_o_vs_x
    from glassnet.examples.cnn_plots import value_grids_figure

    net = cnn_o_vs_x.OXNet()
    with gn.no_grad():
        fmap, pooled = net.features(gn.tensor(cnn_o_vs_x.O_IMAGE[None, None]))
    fig = value_grids_figure(cnn_o_vs_x.figure_rows(fmap.data[0, 0], pooled.data[0, 0]))
    (ax,) = [a for a in fig.axes if a.get_title().startswith("feature map of the O")]
    cells = {(round(t.get_position()[1]), round(t.get_position()[0])): t.get_text()
             for t in ax.texts}
    assert len(cells) == 16
    assert (cells[0, 0], cells[0, 1]) == ("1", "-1")  # "the feature map starts 1, -1"
    (ax,) = [a for a in fig.axes if a.get_title() == "ReLU, 2x2 max pool"]
    assert sorted(t.get_text() for t in ax.texts) == ["0", "0", "1", "1"]
