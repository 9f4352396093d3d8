"""ReLU in action: bent lines instead of curves.

The same dosage network as chapter 1 with ReLU (``max(0, z)``) in place of softplus,
and a ReLU after the output too:

    node 1 = relu(w1 * dosage + b1) * w3      (flat, then a straight line from dosage 0.5)
    node 2 = relu(w2 * dosage + b2) * w4      (a straight line from dosage 0)
    output = relu(node 1 + node 2 + b3)

With the curriculum's weights w1=1.70, b1=-0.85, w2=12.6, b2=0.00, w3=-40.8, w4=2.70
and b3=-16 the two bent lines add up to a tent that the final ReLU clips at 0: about 0,
1 and 0 at dosages 0, 0.5 and 1. Then the same architecture is trained from random
weights, where a ReLU's flat side shows its cost: a start whose units never switch on
gets no gradient and stays stuck.

>>> from glassnet.examples import relu
>>> out = relu.run(fast=True)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet import nn
from glassnet.nn import functional as F

from .black_box import (
    format_weights,
    load_dosage_tensors,
    new_figure,
    print_nodes,
    save_figure,
    train_from_random,
    two_node_net,
    weights_of,
)

CURRICULUM_WEIGHTS = {"w1": 1.70, "b1": -0.85, "w2": 12.6, "b2": 0.00,
                      "w3": -40.8, "w4": 2.70, "b3": -16.0}
"""The curriculum's ReLU network (b3 = -16 shifts the tent down so that dosages 0 and 1
land at or below 0, where the output ReLU clips them)."""


def run(fast: bool = False, plot_dir: str | None = None) -> dict:
    """Print the ReLU story and train the same network from random weights.

    ``fast`` trains for fewer steps per start. With matplotlib and ``plot_dir``, saves
    ``relu_bent_lines.png``.
    """
    x, y = load_dosage_tensors()
    dosages = x.numpy().reshape(-1)
    net = two_node_net(CURRICULUM_WEIGHTS, hidden=nn.ReLU, output_relu=True)
    print(f"ReLU network with the curriculum's weights ({format_weights(CURRICULUM_WEIGHTS)}),"
          " ReLU on the hidden nodes and on the output:")
    outputs = print_nodes(net, dosages, act="relu")

    print("\nThe bent lines along the dosage axis:")
    grid = np.linspace(0.0, 1.0, 9)
    w = CURRICULUM_WEIGHTS
    top = np.maximum(0.0, w["w1"] * grid + w["b1"]) * w["w3"] + 0.0  # + 0.0: no -0.000
    bottom = np.maximum(0.0, w["w2"] * grid + w["b2"]) * w["w4"]
    with gn.no_grad():
        final = net(gn.tensor(grid.reshape(-1, 1))).numpy().reshape(-1)
    print("  dosage  node 1 (x w3)  node 2 (x w4)   sum + b3   relu(output)")
    for g, t, b, f in zip(grid, top, bottom, final):
        print(f"  {g:6.3f}  {t:13.3f}  {b:13.3f}  {t + b + w['b3']:9.3f}  {f:12.3f}")
    print("  Node 1 is flat at 0 until its input 1.70 x - 0.85 turns positive at 0.5, then "
          "falls steeply;\n  node 2 rises from 0. Their sum is a tent; minus 16 and "
          "clipped at 0 it is 0, 1, 0 at the data.")
    with gn.no_grad():
        ssr = float(F.ssr(net(x), y).item())

    steps = 800 if fast else 2000
    print(f"\nThe same architecture from random weights (Adam, lr 0.05, {steps} steps per "
          "start, SSR loss):")
    trained, tssr, starts = train_from_random(
        x, y, hidden=nn.ReLU, output_relu=True, steps=steps, max_starts=20
    )
    stuck = sum(1 for _, s in starts if s >= 1e-3)
    print(f"  {stuck} of {len(starts)} starts got stuck. Where a ReLU's input is negative "
          "at every data point its slope is 0\n  there, so no gradient flows to move it (a dead"
          " unit); the network is left with a constant\n  (the mean, or 0 when the output "
          "unit is dead).")
    print(f"  Trained weights: {format_weights(weights_of(trained))}")
    trained_outputs = print_nodes(trained, dosages, act="relu")

    plot = _plot(net, trained, x, y, plot_dir) if plot_dir else None
    if plot:
        print(f"  Figure: {plot}")
    result = (f"outputs {outputs[0]:.2f}/{outputs[1]:.2f}/{outputs[2]:.2f}; "
              f"trained from random: SSR {tssr:.0e} ({len(starts)} starts)")
    return {
        "result": result,
        "outputs": outputs,
        "ssr": ssr,
        "trained_outputs": trained_outputs,
        "trained_ssr": tssr,
        "starts": starts,
        "plot": plot,
    }


def _plot(net, trained, x, y, plot_dir: str) -> str | None:
    made = new_figure(10, 3.8, 2)
    if made is None:  # no matplotlib
        return None
    fig, (a1, a2) = made
    from glassnet.explain import plot

    grid = np.linspace(0.0, 1.0, 201)
    for ax, model, title in ((a1, net, "curriculum weights"), (a2, trained, "trained from random")):
        # the squiggle before the output ReLU, then the clipped output over it
        plot.squiggle(model, x, y, hidden=model[0], activation=model[1], output=model[2],
                      ax=ax, xlim=(0.0, 1.0), xlabel="dosage", ylabel="effectiveness",
                      title=f"ReLU: {title}")
        with gn.no_grad():
            out = model(gn.tensor(grid.reshape(-1, 1))).numpy().reshape(-1)
        ax.plot(grid, out, color="tab:green", lw=2, label="relu(sum + bias)")
        ax.legend(fontsize=8)
    return save_figure(fig, plot_dir, "relu_bent_lines.png")


if __name__ == "__main__":  # pragma: no cover
    run()
