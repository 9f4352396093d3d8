"""Backpropagation: the chain rule and gradient descent, one parameter and then all seven.

The dosage network of chapter 1 with the curriculum's weights w1=3.34, b1=-1.43,
w2=-3.53, b2=0.57, w3=-1.22, w4=-2.30 and an unknown final bias b3. The loss is the
sum of squared residuals, SSR = sum_i (observed_i - predicted_i)^2, and since
predicted_i = (node sums)_i + b3, the chain rule gives

    dSSR/db3 = sum_i -2 (observed_i - predicted_i) * dpredicted_i/db3
             = sum_i -2 (observed_i - predicted_i) * 1

Gradient descent starts at b3 = 0 and takes steps of size learning_rate * dSSR/db3
until the step is tiny; it ends near b3 = 2.61. Then all seven parameters are
optimised together from the curriculum's starting values, each derivative being one
more link in the chain (e.g. dSSR/dw1 = sum -2 (obs - pred) w3 sigmoid(w1 x + b1) x).

>>> from glassnet.examples import backprop
>>> out = backprop.run(fast=True)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet import optim
from glassnet.nn import functional as F

from .black_box import (
    format_weights,
    load_dosage_tensors,
    plot_descent,
    two_node_net,
    weights_of,
)

CURRICULUM_WEIGHTS = {"w1": 3.34, "b1": -1.43, "w2": -3.53, "b2": 0.57,
                      "w3": -1.22, "w4": -2.30, "b3": 0.0}
"""The curriculum's fitted weights with b3 still to be found (it starts at 0)."""

STARTING_WEIGHTS = {"w1": 2.74, "b1": 0.0, "w2": -1.13, "b2": 0.0,
                    "w3": 0.36, "w4": 0.63, "b3": 0.0}
"""The curriculum's starting values when all parameters are optimised (weights drawn
from a standard normal, biases 0)."""


def optimise_b3(x: gn.Tensor, y: gn.Tensor, *, lr: float = 0.1, b3: float = 0.0,
                min_step: float = 0.001, max_steps: int = 1000,
                verbose: bool = True) -> tuple[float, list[dict]]:
    """Gradient descent on b3 alone; every other parameter is frozen.

    Each step: predicted = net(x), derivative = dSSR/db3 (from autograd, checked against
    sum -2 (observed - predicted)), step = lr * derivative, b3 -= step. Stops when
    ``|step| < min_step`` or after ``max_steps``. Returns b3 and the list of steps.
    """
    net = two_node_net({**CURRICULUM_WEIGHTS, "b3": b3})
    for p in net.parameters():
        p.requires_grad_(False)
    bias = net[2].bias
    bias.requires_grad_(True)
    history = []
    for step in range(1, max_steps + 1):
        bias.grad = None
        predicted = net(x)
        ssr = F.ssr(predicted, y)
        ssr.backward()
        deriv = float(bias.grad.item())
        formula = float((-2.0 * (y - predicted)).sum().item())
        size = lr * deriv
        old = float(bias.item())
        with gn.no_grad():
            bias.fill_(old - size)
        history.append({"step": step, "b3": old, "ssr": float(ssr.item()), "derivative": deriv,
                        "formula": formula, "step_size": size, "new_b3": old - size})
        if verbose:
            print(f"  step {step:2d}: b3 = {old:6.4f}  SSR = {ssr.item():7.4f}  "
                  f"dSSR/db3 = {deriv:8.4f}  step size = {size:7.4f}  new b3 = {old - size:.4f}")
        if abs(size) < min_step:
            break
    return float(bias.item()), history


def chain_rule_check(x: gn.Tensor, y: gn.Tensor, weights: dict) -> dict:
    """The seven derivatives of the SSR by the chain rule written out, next to autograd's.

    Returns ``{name: (formula, autograd)}``.
    """
    w = weights
    xs, obs = x.numpy().reshape(-1), y.numpy().reshape(-1)
    z1, z2 = w["w1"] * xs + w["b1"], w["w2"] * xs + w["b2"]
    y1, y2 = np.logaddexp(0.0, z1), np.logaddexp(0.0, z2)  # softplus
    s1, s2 = 1.0 / (1.0 + np.exp(-z1)), 1.0 / (1.0 + np.exp(-z2))  # softplus' = sigmoid
    pred = w["w3"] * y1 + w["w4"] * y2 + w["b3"]
    r = -2.0 * (obs - pred)  # dSSR/dpredicted
    formula = {
        "w1": (r * w["w3"] * s1 * xs).sum(), "b1": (r * w["w3"] * s1).sum(),
        "w2": (r * w["w4"] * s2 * xs).sum(), "b2": (r * w["w4"] * s2).sum(),
        "w3": (r * y1).sum(), "w4": (r * y2).sum(), "b3": r.sum(),
    }
    net = two_node_net(w)
    F.ssr(net(x), y).backward()
    ag = {
        "w1": net[0].weight.grad.numpy()[0, 0], "b1": net[0].bias.grad.numpy()[0],
        "w2": net[0].weight.grad.numpy()[1, 0], "b2": net[0].bias.grad.numpy()[1],
        "w3": net[2].weight.grad.numpy()[0, 0], "w4": net[2].weight.grad.numpy()[0, 1],
        "b3": net[2].bias.grad.numpy()[0],
    }
    return {k: (float(formula[k]), float(ag[k])) for k in formula}


def optimise_all(x: gn.Tensor, y: gn.Tensor, weights: dict, *, lr: float = 0.1,
                 min_step: float = 1e-4, max_steps: int = 5000,
                 log_every: int = 100) -> tuple[dict, float, int]:
    """Plain gradient descent (``optim.SGD``) on all seven parameters from ``weights``
    until the largest step is below ``min_step``; returns (weights, SSR, steps)."""
    net = two_node_net(weights)
    opt = optim.SGD(net.parameters(), lr=lr)
    steps = 0
    for steps in range(1, max_steps + 1):
        opt.zero_grad()
        loss = F.ssr(net(x), y)
        loss.backward()
        biggest = lr * max(float(np.abs(p.grad.numpy()).max()) for p in net.parameters())
        opt.step()
        if log_every and (steps == 1 or steps % log_every == 0):
            print(f"    step {steps:4d}  SSR {loss.item():.6f}  largest step {biggest:.5f}")
        if biggest < min_step:
            break
    with gn.no_grad():
        final = float(F.ssr(net(x), y).item())
    return weights_of(net), final, steps


def run(fast: bool = False, plot_dir: str | None = None) -> dict:
    """Print the backpropagation story; return the numbers.

    ``fast`` changes nothing (both descents stop on their own well under a second). With
    matplotlib and ``plot_dir``, saves ``backprop_b3.png`` (SSR against b3 with the
    descent's steps).
    """
    x, y = load_dosage_tensors()
    fixed = {k: v for k, v in CURRICULUM_WEIGHTS.items() if k != "b3"}
    print("Network (chapter 1's shape): "
          + ", ".join(f"{k}={v:.2f}" for k, v in fixed.items()) + "; b3 unknown.")
    print("Loss: SSR = sum (observed - predicted)^2;  dSSR/db3 = sum -2 (observed - predicted)")
    print("\nGradient descent on b3 from 0: step size = dSSR/db3 x learning rate (0.1), "
          "new b3 = b3 - step size;\nstop when |step size| < 0.001.")
    b3, history = optimise_b3(x, y)
    deriv_err = max(abs(h["derivative"] - h["formula"]) for h in history)
    net = two_node_net({**fixed, "b3": b3})
    with gn.no_grad():
        pred = net(x).numpy().reshape(-1)
        ssr = float(F.ssr(net(x), y).item())
    print(f"  After {len(history)} steps b3 = {b3:.4f}: predictions "
          f"{', '.join(f'{p:.3f}' for p in pred)} (SSR {ssr:.4f}).\n  The steps shrink as "
          "the slope flattens near the bottom of the SSR curve.")
    print(f"  Autograd's dSSR/db3 and the formula sum -2 (observed - predicted) agree to "
          f"{deriv_err:.1e} at every step.")

    print("\nBackpropagation details: all seven parameters from the curriculum's starting "
          f"values ({format_weights(STARTING_WEIGHTS)}).")
    print("  Each derivative is one more link in the chain rule; at the start:")
    checks = chain_rule_check(x, y, STARTING_WEIGHTS)
    for k, (f, a) in checks.items():
        print(f"    dSSR/d{k} = {f:9.5f} (chain rule)  {a:9.5f} (autograd)")
    chain_err = max(abs(f - a) for f, a in checks.values())
    print("  Gradient descent, learning rate 0.1, on all of them at once "
          "(stop when every step < 0.0001):")
    all_w, all_ssr, n_all = optimise_all(x, y, STARTING_WEIGHTS)
    print(f"  After {n_all} steps: {format_weights(all_w)}; SSR {all_ssr:.2e}.")
    print(f"  The curriculum's fit is {format_weights({**fixed, 'b3': 2.61})};\n  this one is "
          "near it but not equal: three points and seven parameters leave many good fits.")

    plot = _plot(x, y, fixed, history, plot_dir) if plot_dir is not None else None
    if plot:
        print(f"  Figure: {plot}")
    result = (f"b3 = {b3:.3f} after {len(history)} steps; "
              f"all 7 params: SSR {all_ssr:.0e} ({n_all} steps)")
    return {
        "result": result,
        "b3": b3,
        "steps": history,
        "ssr": ssr,
        "derivative_error": deriv_err,
        "chain_rule_error": chain_err,
        "all_weights": all_w,
        "all_ssr": all_ssr,
        "all_steps": n_all,
        "plot": plot,
    }


def _plot(x, y, fixed: dict, history: list[dict], plot_dir: str) -> str | None:
    with gn.no_grad():
        base = two_node_net({**fixed, "b3": 0.0})(x).numpy().reshape(-1)
    obs = y.numpy().reshape(-1)
    return plot_descent(lambda b: float(((obs - base - b) ** 2).sum()), -0.5, 4.0,
                        [(h["b3"], h["ssr"]) for h in history], xlabel="b3",
                        ylabel="sum of squared residuals",
                        title="Optimising b3 by gradient descent", plot_dir=plot_dir,
                        name="backprop_b3.png")


if __name__ == "__main__":  # pragma: no cover
    run()
