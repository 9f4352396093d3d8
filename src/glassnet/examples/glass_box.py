"""The glass box: why a gradient is what it is, how the squiggle is assembled, and which op
made a NaN.

1. The chain rule written out by ``gn.explain.chain_rule`` for the dosage network (the
   curriculum's weights, b3 = 0): dSSR/db3 = Σ over the three points of
   -2 (observed - predicted) × 1, with the numbers autograd used, and dSSR/dw1 with its
   four links -2 (observed - predicted) × w3 × e^x/(1 + e^x) × dosage.
2. The squiggle: with b3 = 2.61 the two scaled softplus shapes plus b3 pass through
   the three points (a picture, with matplotlib).
3. Anomaly mode: a model that takes the log of a negative number in its second layer;
   ``gn.detect_anomaly()`` stops at that op and names it and its module.
4. Vanishing gradients: a plain RNN over 40 steps; ``gn.explain.time_gradients`` shows
   how little gradient reaches the first steps, and warns.

>>> from glassnet.examples import glass_box
>>> out = glass_box.run(fast=True)  # doctest: +SKIP
"""

from __future__ import annotations

import os
import warnings

import numpy as np

import glassnet as gn
from glassnet import nn
from glassnet.nn import functional as F

from .backprop import CURRICULUM_WEIGHTS
from .black_box import load_dosage_tensors, two_node_net

FITTED_B3 = 2.61
"""The curriculum's optimised final bias."""


class LogLayer(nn.Module):
    """``log(Linear(x))``: fine for positive pre-activations, NaN for negative ones."""

    def __init__(self, in_features: int, out_features: int):
        super().__init__()
        self.linear = nn.Linear(in_features, out_features)

    def forward(self, x):
        return gn.log(self.linear(x))


class Planted(nn.Module):
    """A model with a NaN planted in ``layer2``: its log sees negative numbers."""

    def __init__(self):
        super().__init__()
        self.layer1 = nn.Linear(2, 4)
        self.act = nn.Tanh()
        self.layer2 = LogLayer(4, 2)

    def forward(self, x):
        return self.layer2(self.act(self.layer1(x)))


def dosage_chain_rule(b3: float = 0.0, verbose: bool = True):
    """The chain-rule explanations of dSSR/db3 and dSSR/dw1 for the dosage network."""
    x, y = load_dosage_tensors()
    net = two_node_net({**CURRICULUM_WEIGHTS, "b3": b3})
    x.name, y.name = "dosage", "observed"
    predicted = net(x)
    predicted.name = "predicted"
    ssr = F.ssr(predicted, y)
    ssr.name = "SSR"
    names = {"b3": net[2].bias, "w_in": net[0].weight, "w_out": net[2].weight}
    db3 = gn.explain.chain_rule(ssr, net[2].bias, index=0, names=names)
    dw1 = gn.explain.chain_rule(ssr, net[0].weight, index=(0, 0), names=names)
    if verbose:
        print(db3)
        print()
        print(dw1)
    return db3, dw1


def find_planted_nan(verbose: bool = True) -> gn.explain.AnomalyError:
    gn.manual_seed(0)
    model = Planted()
    with gn.no_grad():
        model.layer2.linear.bias.fill_(-5.0)  # pre-activations well below 0: log gives NaN
    x = gn.randn(8, 2)
    try:
        with gn.detect_anomaly():
            model(x).sum().backward()
    except gn.explain.AnomalyError as e:
        if verbose:
            print(f"anomaly mode stopped the forward pass:\n  {e}")
        return e
    raise AssertionError("the planted NaN was not found")


def rnn_time_gradients(T: int = 40, verbose: bool = True) -> np.ndarray:
    """Gradient norms reaching each step of a plain tanh RNN (small recurrent weights)."""
    gn.manual_seed(1)
    rnn = nn.RNN(1, 8).double()
    with gn.no_grad():
        rnn.weight_hh_l0.data[...] *= 0.5
    x = gn.randn(T, 1, 1, dtype=gn.float64, requires_grad=True)
    out, h = rnn(x)
    loss = (h * h).sum()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        norms = gn.explain.time_gradients(loss, x, time_dim=0)
    if verbose:
        print(f"plain RNN, {T} steps: gradient norm reaching step 1 = {norms[0]:.3g}, "
              f"step {T} = {norms[-1]:.3g}")
        for w in caught:
            print(f"  warning: {w.message}")
    return norms


def run(fast: bool = False, plot_dir: str | None = None) -> dict:
    """Print a chain-rule derivation, find a planted NaN, show vanishing gradients, and
    (with matplotlib and ``plot_dir``) save the squiggle and gradient pictures."""
    print("1. The chain rule for the dosage network, as autograd computed it\n")
    db3, _ = dosage_chain_rule()
    print("\n2. Anomaly mode\n")
    err = find_planted_nan()
    print("\n3. Vanishing gradients in a plain RNN\n")
    norms = rnn_time_gradients(20 if fast else 40)
    saved = []
    if plot_dir is not None:
        try:
            import matplotlib  # noqa: F401
        except ImportError:
            print("(matplotlib is not installed: no pictures)")
        else:
            saved = save_figures(plot_dir, norms)
            for p in saved:
                print(f"saved {p}")
    return {
        "result": f"dSSR/db3 = {db3.total:.2f} (= autograd); anomaly: {err.op} in "
                  f"{err.module}; RNN gradient at step 1 is {norms[0] / norms[-1]:.1e} of "
                  f"the last step's",
        "dssr_db3": db3.total,
        "anomaly": str(err),
        "time_gradients": norms,
        "figures": saved,
    }


def save_figures(plot_dir: str, norms=None) -> list[str]:
    from glassnet.explain import plot

    os.makedirs(plot_dir, exist_ok=True)
    x, y = load_dosage_tensors()
    net = two_node_net({**CURRICULUM_WEIGHTS, "b3": FITTED_B3})
    out = []
    p = os.path.join(plot_dir, "glass_box_squiggle.png")
    plot.squiggle(net, x, y, xlabel="dosage", ylabel="effectiveness", save=p)
    out.append(p)
    if norms is not None:
        p = os.path.join(plot_dir, "glass_box_rnn_gradients.png")
        plot.gradient_over_time(norms, title="plain RNN: gradient reaching each step", save=p)
        out.append(p)
    return out
