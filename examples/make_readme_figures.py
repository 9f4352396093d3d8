"""Redraw the README's pictures into docs/img/ (small PNGs, committed).

    python examples/make_readme_figures.py [--out docs/img]

Needs matplotlib. Deterministic: fixed seeds, bundled data only.
"""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np

import glassnet as gn
from glassnet import nn
from glassnet.explain import plot
from glassnet.nn import functional as F

DPI = 80


def main(out: str = "docs/img") -> list[str]:
    from glassnet.examples import glass_box
    from glassnet.examples.backprop import CURRICULUM_WEIGHTS
    from glassnet.examples.black_box import load_dosage_tensors, two_node_net

    os.makedirs(out, exist_ok=True)
    saved = []

    def keep(fig, name):
        p = plot.save_figure(fig, os.path.join(out, name), dpi=DPI)
        saved.append(p)

    # 1. the squiggle of the dosage network (the curriculum's weights, b3 = 2.61)
    x, y = load_dosage_tensors()
    net = two_node_net({**CURRICULUM_WEIGHTS, "b3": glass_box.FITTED_B3})
    keep(plot.squiggle(net, x, y, xlabel="dosage", ylabel="effectiveness"), "squiggle.png")

    # 2. Iris: petal width and sepal width in, three species out (the curriculum's chart)
    iris = gn.data.load_iris()
    X = iris.data[:, [3, 1]]
    Xt, yt = gn.tensor(X), gn.tensor(iris.target)
    gn.manual_seed(0)
    clf = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    opt = gn.optim.Adam(clf.parameters(), lr=0.05)
    for _ in range(300):
        opt.zero_grad()
        F.cross_entropy(clf(Xt), yt).backward()
        opt.step()
    keep(plot.decision_regions(clf, X, iris.target, resolution=150,
                               feature_names=["petal width (cm)", "sepal width (cm)"],
                               class_names=iris.target_names, title="Iris: decision regions"),
         "decision_regions.png")

    # 3. a plain RNN's vanishing gradients over 40 steps
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        norms = glass_box.rnn_time_gradients(40, verbose=False)
    keep(plot.gradient_over_time(norms, title="plain RNN: gradient reaching each step"),
         "rnn_gradients.png")

    # 4. an LSTM unit's gates on the curriculum's company-A prices
    gn.manual_seed(0)
    lstm = nn.LSTM(1, 1)
    keep(plot.lstm_activations(lstm, np.array([[0.0], [0.5], [0.25], [1.0]]),
                               title="LSTM (untrained) on company A: gates over time"),
         "lstm_gates.png")
    return saved


if __name__ == "__main__":
    args = sys.argv[1:]
    out = args[args.index("--out") + 1] if "--out" in args[:-1] else "docs/img"
    for p in main(out):
        print(f"{p}: {os.path.getsize(p) // 1024} KB")
