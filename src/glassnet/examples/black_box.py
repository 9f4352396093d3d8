"""Inside the black box: what a 1-input, 2-hidden-node softplus network computes.

The drug-dosage data has three points: a low (0) and a high (1) dose do nothing, a medium
dose (0.5) works. No straight line passes through them, but a network with two hidden
nodes can bend a "squiggle" through all three:

    node 1 = softplus(w1 * dosage + b1) * w3
    node 2 = softplus(w2 * dosage + b2) * w4
    output = node 1 + node 2 + b3

In glassnet that is ``Sequential(Linear(1, 2), Softplus(), Linear(2, 1))``: the first
layer holds w1, w2 (weight ``(2, 1)``) and b1, b2; the second holds w3, w4 (weight
``(1, 2)``) and b3. The chapter runs the network with the curriculum's weights, then
trains the same architecture from random weights.

>>> from glassnet.examples import black_box
>>> out = black_box.run(fast=True)  # doctest: +SKIP
"""

from __future__ import annotations

import os

import numpy as np

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import load_dosage
from glassnet.nn import functional as F

CURRICULUM_WEIGHTS = {"w1": -34.4, "b1": 2.14, "w2": -2.52, "b2": 1.29,
                      "w3": -1.30, "w4": 2.28, "b3": -0.58}
"""The weights and biases the curriculum gives the dosage network."""

NAMES = ("w1", "b1", "w2", "b2", "w3", "w4", "b3")


def load_dosage_tensors(dtype=gn.float64) -> tuple[gn.Tensor, gn.Tensor]:
    """The bundled dosage data as Tensors: dosages ``(3, 1)``, effectiveness ``(3, 1)``."""
    d = load_dosage(dtype=np.float64)
    return gn.tensor(d.data, dtype=dtype), gn.tensor(d.target.reshape(-1, 1), dtype=dtype)


def two_node_net(weights: dict | None = None, hidden: type = nn.Softplus,
                 output_relu: bool = False) -> nn.Sequential:
    """``Sequential(Linear(1, 2), hidden(), Linear(2, 1)[, ReLU()])`` in float64: ``(N, 1) ->
    (N, 1)``. With ``weights`` (a dict w1, b1, w2, b2, w3, w4, b3) those values are loaded;
    without, the layers keep their default random initialisation (seed it first)."""
    layers = [nn.Linear(1, 2), hidden(), nn.Linear(2, 1)]
    if output_relu:
        layers.append(nn.ReLU())
    net = nn.Sequential(*layers).double()
    if weights is not None:
        w = {k: float(weights[k]) for k in NAMES}
        net.load_state_dict({
            "0.weight": np.array([[w["w1"]], [w["w2"]]]),
            "0.bias": np.array([w["b1"], w["b2"]]),
            "2.weight": np.array([[w["w3"], w["w4"]]]),
            "2.bias": np.array([w["b3"]]),
        })
    return net


def weights_of(net: nn.Sequential) -> dict:
    """The curriculum's names for a two-node network's seven numbers."""
    W1 = net[0].weight.detach().numpy().reshape(-1)
    b1 = net[0].bias.detach().numpy()
    W2 = net[2].weight.detach().numpy().reshape(-1)
    b2 = net[2].bias.detach().numpy()
    return {"w1": float(W1[0]), "b1": float(b1[0]), "w2": float(W1[1]), "b2": float(b1[1]),
            "w3": float(W2[0]), "w4": float(W2[1]), "b3": float(b2[0])}


def format_weights(w: dict) -> str:
    return ", ".join(f"{k}={w[k]:.2f}" for k in NAMES)


def _signed(v: float, digits: int = 2) -> str:
    """``+ 1.23`` or ``- 1.23``: a term to append to a sum."""
    return f"{'-' if v < 0 else '+'} {abs(v):.{digits}f}"


def print_nodes(net: nn.Sequential, dosages, act: str = "softplus") -> list[float]:
    """Print, for each dosage, each hidden node's input, activation and scaled output,
    their sum and the final output; return the outputs."""
    w = weights_of(net)
    out_relu = len(net) > 3
    x = gn.tensor(np.asarray(dosages, dtype=np.float64).reshape(-1, 1))
    with gn.no_grad():
        h = net[1](net[0](x)).numpy()
        y = net(x).numpy().reshape(-1)
    outs = []
    for i, d in enumerate(np.asarray(dosages, dtype=np.float64)):
        z1, z2 = w["w1"] * d + w["b1"], w["w2"] * d + w["b2"]
        s1, s2 = h[i, 0] * w["w3"], h[i, 1] * w["w4"]
        total = s1 + s2 + w["b3"]
        s1, s2 = round(s1, 3) + 0.0, round(s2, 3) + 0.0  # print 0.000, not -0.000
        print(f"  dosage {d:4.2f}: node 1 = {act}({w['w1']:.2f} x {d:.2f} {_signed(w['b1'])})"
              f" = {act}({z1:.2f}) = {h[i, 0]:.3f};  x w3 ({w['w3']:.2f}) = {s1:.3f}")
        print(f"               node 2 = {act}({w['w2']:.2f} x {d:.2f} {_signed(w['b2'])})"
              f" = {act}({z2:.2f}) = {h[i, 1]:.3f};  x w4 ({w['w4']:.2f}) = {s2:.3f}")
        tail = f" -> relu -> {y[i]:.3f}" if out_relu else ""
        print(f"               output = {s1:.3f} {_signed(s2, 3)} {_signed(w['b3'])} (b3)"
              f" = {total:.3f}{tail}")
        outs.append(float(y[i]))
    return outs


def train_from_random(x: gn.Tensor, y: gn.Tensor, *, hidden: type = nn.Softplus,
                      output_relu: bool = False, steps: int = 2000, lr: float = 0.05,
                      max_starts: int = 10, target_ssr: float = 1e-3,
                      seed: int = 0) -> tuple[nn.Sequential, float, list]:
    """Train two-node networks from seeded random weights with Adam on the SSR.

    Start ``k`` seeds the global generator with ``seed + k``; a start ends after ``steps``
    steps, or earlier when its SSR has not moved in 100 steps. Stops at the first start
    whose SSR is below ``target_ssr`` (some random starts get stuck, e.g. predicting the
    mean everywhere); returns the best network, its SSR and the list of ``(seed, ssr)``
    per start.
    """
    best, best_ssr, starts = None, float("inf"), []
    for k in range(max_starts):
        gn.manual_seed(seed + k)
        net = two_node_net(hidden=hidden, output_relu=output_relu)
        opt = optim.Adam(net.parameters(), lr=lr)
        last = float("inf")
        for step in range(steps):
            opt.zero_grad()
            loss = F.ssr(net(x), y)
            loss.backward()
            opt.step()
            if step % 100 == 99:
                now = float(loss.item())
                if now > target_ssr and abs(last - now) < 1e-9:
                    break  # no progress in 100 steps: a stuck start does not recover
                last = now
        with gn.no_grad():
            final = float(F.ssr(net(x), y).item())
        starts.append((seed + k, final))
        print(f"  start {k + 1} (seed {seed + k}): SSR after {step + 1} steps = {final:.6f}"
              + _stuck_note(final, y))
        if final < best_ssr:
            best, best_ssr = net, final
        if final < target_ssr:
            break
    return best, best_ssr, starts


def _stuck_note(ssr: float, y: gn.Tensor) -> str:
    """Name the two ways a start gets stuck on this data, recognised by their SSR."""
    t = y.numpy().reshape(-1)
    if abs(ssr - ((t - t.mean()) ** 2).sum()) < 1e-3:
        return f"  (stuck: the mean {t.mean():.3f} at every dosage, a flat line)"
    if abs(ssr - (t**2).sum()) < 1e-3:
        return "  (stuck: 0 at every dosage, the output unit is dead)"
    return ""


def run(fast: bool = False, plot_dir: str | None = None) -> dict:
    """Print the black-box story and train the squiggle; return the numbers.

    ``fast`` trains for fewer steps. With matplotlib and ``plot_dir``, saves
    ``black_box_squiggle.png`` (the data, the curriculum's squiggle and the trained one).
    """
    x, y = load_dosage_tensors()
    dosages = x.numpy().reshape(-1)
    print("Data: dosage -> effectiveness: "
          + ", ".join(f"{d:g} -> {t:g}" for d, t in zip(dosages, y.numpy().reshape(-1))))
    net = two_node_net(CURRICULUM_WEIGHTS)
    print(f"\nThe network with the curriculum's weights ({format_weights(CURRICULUM_WEIGHTS)}):")
    outputs = print_nodes(net, dosages)
    with gn.no_grad():
        ssr = float(F.ssr(net(x), y).item())
    print(f"  Outputs {', '.join(f'{o:.3f}' for o in outputs)} for the observed 0, 1, 0 "
          f"(SSR {ssr:.4f}).\n  Node 1 is a steep drop near 0, node 2 a gentle slope; "
          "together, shifted by b3, they bend into a bump at the medium dose.")

    steps = 600 if fast else 2000
    print(f"\nThe same architecture trained from random weights (Adam, lr 0.05, {steps} steps "
          "per start, SSR loss):")
    trained, tssr, starts = train_from_random(x, y, steps=steps)
    tw = weights_of(trained)
    print(f"  Trained weights: {format_weights(tw)}")
    trained_outputs = print_nodes(trained, dosages)
    print(f"  SSR {tssr:.2e}: different weights, a different squiggle, through the same "
          "three points.")

    plot = None
    if plot_dir is not None:
        plot = _plot(net, trained, x, y, plot_dir)
        if plot:
            print(f"  Figure: {plot}")
    result = (f"outputs {outputs[0]:.2f}/{outputs[1]:.2f}/{outputs[2]:.2f} at 0/0.5/1; "
              f"trained from random: SSR {tssr:.0e}")
    return {
        "result": result,
        "outputs": outputs,
        "ssr": ssr,
        "trained_outputs": trained_outputs,
        "trained_ssr": tssr,
        "trained_weights": tw,
        "starts": starts,
        "plot": plot,
    }


def new_figure(width: float, height: float, ncols: int = 1):
    """``(figure, [axes])``: a matplotlib Figure (no pyplot state, works headless) with
    ``ncols`` axes side by side, or None when matplotlib is not installed."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, list(fig.subplots(1, ncols, squeeze=False)[0])


def save_figure(fig, plot_dir: str, name: str) -> str:
    """Write ``fig`` as ``plot_dir/name`` (PNG, atomically); returns the path."""
    from glassnet.explain import plot

    return plot.save_figure(fig, os.path.join(plot_dir, name))


def plot_descent(loss_of, lo: float, hi: float, steps: list[tuple[float, float]], *,
                 xlabel: str, ylabel: str, title: str, plot_dir: str, name: str) -> str | None:
    """A loss against one parameter (``loss_of(value) -> float`` over ``[lo, hi]``) with
    gradient descent's ``(value, loss)`` steps on it; saved as ``plot_dir/name``."""
    made = new_figure(5.5, 3.8)
    if made is None:  # no matplotlib
        return None
    fig, (ax,) = made
    grid = np.linspace(lo, hi, 181)
    ax.plot(grid, [loss_of(v) for v in grid], label=ylabel)
    ax.plot([v for v, _ in steps], [loss for _, loss in steps], "o-", ms=4,
            label="gradient descent steps")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend(fontsize=8)
    return save_figure(fig, plot_dir, name)


def _plot(net, trained, x, y, plot_dir: str) -> str | None:
    made = new_figure(10, 3.8, 2)
    if made is None:  # no matplotlib
        return None
    fig, (a1, a2) = made
    from glassnet.explain import plot

    for ax, model, title in ((a1, net, "curriculum weights"), (a2, trained, "trained from random")):
        plot.squiggle(model, x, y, ax=ax, xlim=(0.0, 1.0), xlabel="dosage",
                      ylabel="effectiveness", title=f"Inside the black box: {title}")
    return save_figure(fig, plot_dir, "black_box_squiggle.png")


if __name__ == "__main__":  # pragma: no cover
    run()
