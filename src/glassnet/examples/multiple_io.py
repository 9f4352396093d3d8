"""Multiple inputs and outputs: two Iris measurements in, one score per species out.

Petal width and sepal width (each scaled to 0..1 over the dataset) go into two hidden
ReLU nodes; each hidden node's output, times a weight per species, plus a bias per
species, gives three raw outputs (Setosa, Versicolor, Virginica). The largest one is
the network's guess. In glassnet: ``Sequential(Linear(2, 2), ReLU(), Linear(2, 3))``,
``(N, 2) -> (N, 3)``, here with the curriculum's weights:

    hidden 1 = relu(-2.5 petal + 0.6 sepal + 1.6)
    hidden 2 = relu(-1.5 petal + 0.4 sepal + 0.7)
    Setosa     = -0.1 hidden 1 + 1.5 hidden 2 + 0
    Versicolor =  2.4 hidden 1 - 5.2 hidden 2 + 0
    Virginica  = -2.2 hidden 1 + 3.7 hidden 2 + 1

Each output is a bent surface over the (petal, sepal) plane: the sum of two folded
planes, one per hidden node.

>>> from glassnet.examples import multiple_io
>>> out = multiple_io.run()  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet import nn
from glassnet.data import load_iris

from .black_box import new_figure, save_figure

SPECIES = ("Setosa", "Versicolor", "Virginica")

HIDDEN_WEIGHT = ((-2.5, 0.6), (-1.5, 0.4))
"""(2, 2): row j holds hidden node j's weights for (petal width, sepal width)."""
HIDDEN_BIAS = (1.6, 0.7)
OUTPUT_WEIGHT = ((-0.1, 1.5), (2.4, -5.2), (-2.2, 3.7))
"""(3, 2): row k holds species k's weights for (hidden 1, hidden 2)."""
OUTPUT_BIAS = (0.0, 0.0, 1.0)


def iris_net(weights: bool = True) -> nn.Sequential:
    """``Sequential(Linear(2, 2), ReLU(), Linear(2, 3))`` in float64, ``(N, 2) -> (N, 3)``;
    with ``weights`` the curriculum's values are loaded, else the random default init."""
    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 3)).double()
    if weights:
        net.load_state_dict({
            "0.weight": np.array(HIDDEN_WEIGHT), "0.bias": np.array(HIDDEN_BIAS),
            "2.weight": np.array(OUTPUT_WEIGHT), "2.bias": np.array(OUTPUT_BIAS),
        })
    return net


def petal_sepal(scaled: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Iris petal width and sepal width ``(150, 2)`` (min-max scaled to 0..1 over the
    dataset when ``scaled``), the species ``(150,)`` and the raw values in cm ``(150, 2)``."""
    d = load_iris(dtype=np.float64)
    raw = d.data[:, [3, 1]]  # petal width, sepal width
    lo, hi = raw.min(axis=0), raw.max(axis=0)
    X = (raw - lo) / (hi - lo) if scaled else raw
    return X, d.target, raw


def _signed(v: float) -> str:
    return f" {'-' if v < 0 else '+'} {abs(v):.1f}"


def print_flower(net: nn.Sequential, inputs, label: str = "") -> np.ndarray:
    """Print one flower's way through the network; return its three raw outputs."""
    petal, sepal = (float(v) for v in inputs)
    x = gn.tensor(np.array([[petal, sepal]]))
    with gn.no_grad():
        h = net[1](net[0](x)).numpy()[0]
        out = net(x).numpy()[0]
    W1, b1 = net[0].weight.detach().numpy(), net[0].bias.detach().numpy()
    W2, b2 = net[2].weight.detach().numpy(), net[2].bias.detach().numpy()
    print(f"  {label}petal width {petal:.2f}, sepal width {sepal:.2f} (scaled)")
    for j in range(2):
        z = W1[j, 0] * petal + W1[j, 1] * sepal + b1[j]
        print(f"    hidden {j + 1} = relu({W1[j, 0]:.1f} x {petal:.2f}{_signed(W1[j, 1])} x "
              f"{sepal:.2f}{_signed(b1[j])}) = relu({z:.3f}) = {h[j]:.3f}")
    for k, name in enumerate(SPECIES):
        print(f"    {name:<10} = {W2[k, 0]:4.1f} x {h[0]:.3f}{_signed(W2[k, 1])} x {h[1]:.3f}"
              f"{_signed(b2[k])} = {out[k]:7.3f}")
    print(f"    -> largest output: {SPECIES[int(out.argmax())]}")
    return out


def run(fast: bool = False, plot_dir: str | None = None) -> dict:
    """Print three flowers' outputs and the accuracy over all 150; return the numbers.

    ``fast`` changes nothing (the chapter takes milliseconds). With matplotlib and
    ``plot_dir``, saves ``multiple_io_regions.png`` (the species each region is given).
    """
    X, y, raw = petal_sepal()
    net = iris_net()
    print("Two inputs (petal width, sepal width, scaled to 0..1), two hidden ReLU nodes, "
          "three outputs.")
    examples = {}
    for k, name in enumerate(SPECIES):
        i = int(np.flatnonzero(y == k)[0])
        print(f"\nFlower {i} (a {name}; {raw[i, 0]:.1f} cm petal width, "
              f"{raw[i, 1]:.1f} cm sepal width):")
        examples[name] = print_flower(net, X[i])
    with gn.no_grad():
        pred = net(gn.tensor(X)).numpy().argmax(axis=1)
    acc = float((pred == y).mean())
    per = [float((pred[y == k] == k).mean()) for k in range(3)]
    print(f"\nOver all 150 flowers the largest output names the right species for "
          f"{acc:.1%}\n(" + ", ".join(f"{n} {p:.0%}" for n, p in zip(SPECIES, per)) + ").")
    plot = _plot(net, X, y, plot_dir) if plot_dir else None
    if plot:
        print(f"Figure: {plot}")
    first = examples["Setosa"]
    result = (f"Setosa flower -> {first[0]:.2f}/{first[1]:.2f}/{first[2]:.2f}; "
              f"accuracy on all 150: {acc:.1%}")
    return {"result": result, "outputs": examples, "accuracy": acc, "per_class": per,
            "plot": plot}


def _plot(net, X, y, plot_dir: str) -> str | None:
    made = new_figure(6, 5)
    if made is None:  # no matplotlib
        return None
    fig, (ax,) = made
    from glassnet.explain import plot

    plot.decision_regions(net, X, y, ax=ax, class_names=SPECIES,
                          feature_names=("petal width (scaled)", "sepal width (scaled)"),
                          title="Largest output over the input plane")
    return save_figure(fig, plot_dir, "multiple_io_regions.png")


if __name__ == "__main__":  # pragma: no cover
    run()
