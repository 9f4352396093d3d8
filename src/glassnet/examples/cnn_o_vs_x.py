"""Convolution, step by step: is a 6x6 picture an O or an X?

The curriculum's network: one 3x3 filter ``[[0,0,1],[0,1,0],[1,0,0]]`` (a "/" detector)
with bias -2 slides over the 6x6 image, ``(1, 1, 6, 6) -> (1, 1, 4, 4)``; ReLU keeps the
positive matches; 2x2 max pooling with stride 2 keeps the best match of each quarter,
``-> (1, 1, 2, 2)``; the four pooled values feed a small fully connected ReLU layer with
two outputs, O and X. We compute the hand-set numbers first, then train the whole
network on just one O and one X and show a shifted X is still told apart: pooling only
cares *that* a feature appears in a region, not exactly where.

>>> from glassnet.examples import cnn_o_vs_x
>>> out = cnn_o_vs_x.run(fast=True)  # doctest: +SKIP
"""

from __future__ import annotations

import os

import numpy as np

import glassnet as gn
from glassnet import nn, optim
from glassnet.nn import functional as F

from .cnn_plots import plot_value_grids

O_IMAGE = np.array([[0, 0, 1, 1, 0, 0],
                    [0, 1, 0, 0, 1, 0],
                    [1, 0, 0, 0, 0, 1],
                    [1, 0, 0, 0, 0, 1],
                    [0, 1, 0, 0, 1, 0],
                    [0, 0, 1, 1, 0, 0]], dtype=np.float32)
X_IMAGE = np.maximum(np.eye(6), np.eye(6)[::-1]).astype(np.float32)
FILTER = np.array([[0, 0, 1], [0, 1, 0], [1, 0, 0]], dtype=np.float32)
BIAS = -2.0
CLASSES = ("O", "X")


def shift_right(image: np.ndarray, k: int = 1) -> np.ndarray:
    """Move the picture ``k`` pixels right; the columns that come in are empty."""
    out = np.zeros_like(image)
    out[:, k:] = image[:, :-k]
    return out


class OXNet(nn.Module):
    """conv 3x3 (1 filter) -> ReLU -> max pool 2x2 -> flatten (4) -> Linear(4, hidden) ->
    ReLU -> Linear(hidden, 2): ``(N, 1, 6, 6) -> (N, 2)``."""

    def __init__(self, hidden: int = 4):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 3)
        self.pool = nn.MaxPool2d(2, stride=2)
        self.fc1 = nn.Linear(4, hidden)
        self.fc2 = nn.Linear(hidden, 2)
        with gn.no_grad():
            self.conv.weight.data[...] = FILTER
            self.conv.bias.data[...] = BIAS

    def features(self, x):
        """Feature map before ReLU and the pooled map: ``(N,1,4,4)``, ``(N,1,2,2)``."""
        fmap = self.conv(x)
        return fmap, self.pool(F.relu(fmap))

    def forward(self, x):
        _, pooled = self.features(x)
        return self.fc2(F.relu(self.fc1(pooled.flatten(1))))


def _grid(a) -> str:
    a = np.asarray(a)
    return "\n".join("    " + " ".join(f"{v:3g}" for v in row) for row in a)


def _show(image) -> str:
    return "\n".join("    " + "".join("#" if v else "." for v in row) for row in image)


def figure_rows(fmap_o, pooled_o, net=None, maps=None) -> list:
    """The panels of ``cnn_o_vs_x.png`` (see :func:`.cnn_plots.value_grids_figure`): the
    hand-set filter with the O's feature map ``fmap_o`` ``(4, 4)`` and pooled map
    ``(2, 2)``; with the trained ``net`` and ``maps`` ``(3, 4, 4)`` (of O, X, shifted X),
    a second row with the trained filter and those maps."""
    rows = [(f"hand-set filter, bias {BIAS:g} (before training)", [
        ("the O", O_IMAGE, "{:g}"), ("filter", FILTER, "{:g}"),
        ("feature map of the O\n= filter · patch - 2", fmap_o, "{:g}"),
        ("ReLU, 2x2 max pool", pooled_o, "{:g}")])]
    if net is not None:
        b = float(net.conv.bias.data[0])
        rows.append((f"after training on the O and the X (bias {b:.2f})", [
            ("trained filter", net.conv.weight.data[0, 0], "{:.2f}"),
            *((f"map of {name}", m, "{:.1f}") for name, m in zip(
                ("the O", "the X", "the X shifted right"), maps))]))
    return rows


def run(fast: bool = False, plot_dir: str | None = None) -> dict:
    """Hand-set numbers, then training on O and X, then the shifted-X test.

    ``fast`` trains 150 steps instead of 400. With matplotlib and ``plot_dir``, saves
    ``cnn_o_vs_x.png`` (the hand-set filter, the O's feature map and its pooled map, then
    the trained filter and the maps of O, X and the shifted X, each value written in).
    """
    gn.manual_seed(0)
    net = OXNet()
    x = gn.tensor(np.stack([O_IMAGE, X_IMAGE])[:, None])
    print("The O:\n" + _show(O_IMAGE) + "\nthe filter (bias -2):\n" + _grid(FILTER))
    with gn.no_grad():
        fmap, pooled = net.features(x)
    fmap_o, pooled_o = fmap.data[0, 0], pooled.data[0, 0]
    print("Feature map of the O (filter . patch - 2 at each of the 4x4 positions):\n"
          + _grid(fmap_o))
    print("after ReLU and 2x2 max pooling with stride 2:\n" + _grid(pooled_o))
    print("The X's pooled map:\n" + _grid(pooled.data[1, 0]))

    steps = 150 if fast else 400
    opt = optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    y = gn.tensor([0, 1])
    for _ in range(steps):
        opt.zero_grad()
        loss = F.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
    print(f"\nTrained on just these two images, {steps} SGD steps: loss {loss.item():.4f}")

    shifted = shift_right(X_IMAGE)
    tests = {"O": O_IMAGE, "X": X_IMAGE, "X shifted right by 1": shifted}
    net.eval()
    probs = {}
    with gn.no_grad():
        for name, img in tests.items():
            p = F.softmax(net(gn.tensor(img[None, None])), dim=1).data[0]
            probs[name] = p
            print(f"  {name:<22} P(O) = {p[0]:.3f}  P(X) = {p[1]:.3f}  -> "
                  f"{CLASSES[int(p.argmax())]}")
        _, pooled_s = net.features(gn.tensor(shifted[None, None]))
    print("The shifted X:\n" + _show(shifted))
    print("Its pooled map (after training):\n" + _grid(pooled_s.data[0, 0].round(2)))
    shifted_ok = bool(probs["X shifted right by 1"].argmax() == 1)

    plot = None
    if plot_dir:
        with gn.no_grad():
            maps = net.conv(gn.tensor(np.stack(list(tests.values()))[:, None])).data[:, 0]
        plot = plot_value_grids(figure_rows(fmap_o, pooled_o, net, maps),
                                os.path.join(plot_dir, "cnn_o_vs_x.png"),
                                "Convolution step by step: the numbers in each cell")
        if plot:
            print(f"Figure: {plot}")
    verdict = "told apart" if shifted_ok else "NOT told apart"
    return {
        "result": (f"feature map starts {fmap_o[0, 0]:g}, {fmap_o[0, 1]:g}; pooled O "
                   f"{pooled_o.astype(int).tolist()}; shifted X {verdict} "
                   f"(P(X) = {probs['X shifted right by 1'][1]:.2f})"),
        "feature_map": fmap_o,
        "pooled": pooled_o,
        "probabilities": probs,
        "shifted_x_is_x": shifted_ok,
        "plot": plot,
    }


if __name__ == "__main__":  # pragma: no cover
    run()
