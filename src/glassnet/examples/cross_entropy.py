"""Cross entropy and its derivatives: how wrong the SoftMax probabilities are, and how to
make them less wrong.

For one flower whose observed species is ``c``, the cross entropy of the network's
SoftMax probabilities ``p`` is ``-log p_c``: 0 when the network is sure and right, large
when it is sure and wrong. The total cross entropy adds it up over the data. Through
SoftMax the chain rule collapses to one line: for the bias ``b_k`` of output ``k``,

    d(total cross entropy)/d b_k = sum over flowers of (p_k - y_k)

where ``y_k`` is 1 when the flower is species ``k`` and 0 otherwise. The chapter checks
that identity against autograd (``F.cross_entropy(..., reduction="sum")``) and takes
gradient-descent steps on the Setosa bias.

>>> from glassnet.examples import cross_entropy
>>> out = cross_entropy.run()  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet.nn import functional as F

from .black_box import plot_descent
from .multiple_io import SPECIES, iris_net, petal_sepal

FLOWERS = (((0.04, 0.42), 0), ((1.00, 0.54), 2), ((0.50, 0.37), 1))
"""The curriculum's three flowers: ((petal width, sepal width) scaled to 0..1, species)."""


def total_cross_entropy(net, X: np.ndarray, y: np.ndarray, bias: float | None = None):
    """Total cross entropy of ``net`` on ``X (N, 2)``, labels ``y (N,)``; with ``bias`` the
    Setosa output bias is set first. Returns (loss Tensor, logits Tensor, bias Parameter)."""
    b = net[2].bias
    if bias is not None:
        with gn.no_grad():
            b.data[0] = bias
    logits = net(gn.tensor(X))
    return F.cross_entropy(logits, gn.tensor(y), reduction="sum"), logits, b


def bias_gradient_check(net, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """d(total cross entropy)/d(output biases) by autograd and by sum (p - y); both ``(3,)``."""
    net.zero_grad()
    loss, logits, b = total_cross_entropy(net, X, y)
    loss.backward()
    with gn.no_grad():
        p = gn.softmax(logits, dim=1).numpy()
    onehot = np.eye(3)[y]
    return b.grad.numpy().copy(), (p - onehot).sum(axis=0)


def run(fast: bool = False, plot_dir: str | None = None) -> dict:
    """Print the cross-entropy story; return the numbers.

    ``fast`` changes nothing (the chapter takes milliseconds). With matplotlib and
    ``plot_dir``, saves ``cross_entropy_bias.png`` (total cross entropy against the
    Setosa bias, with the gradient-descent steps).
    """
    net = iris_net()
    X = np.array([f for f, _ in FLOWERS])
    y = np.array([c for _, c in FLOWERS])
    loss, logits, _ = total_cross_entropy(net, X, y)
    with gn.no_grad():
        p = gn.softmax(logits, dim=1).numpy()
    print("The multiple-inputs network (previous chapter) on three flowers; SoftMax of its "
          "raw outputs:")
    ces = []
    for i, ((petal, sepal), c) in enumerate(FLOWERS):
        ce = -np.log(p[i, c])
        ces.append(ce)
        print(f"  petal {petal:.2f}, sepal {sepal:.2f}: observed {SPECIES[c]:<10} "
              f"p = [{', '.join(f'{v:.2f}' for v in p[i])}]  cross entropy -log({p[i, c]:.2f})"
              f" = {ce:.2f}")
    total = float(loss.item())
    print(f"  Total cross entropy {sum(ces):.3f} (F.cross_entropy with reduction='sum': "
          f"{total:.3f}).")
    print("  -log p punishes a confident wrong answer without bound: p = 0.1 costs "
          f"{-np.log(0.1):.2f}, p = 0.01 costs {-np.log(0.01):.2f}.")

    print("\nDerivative with respect to each output bias: sum over flowers of (p - y)")
    g_auto, g_formula = bias_gradient_check(net, X, y)
    for k, name in enumerate(SPECIES):
        terms = " + ".join(f"({p[i, k]:.2f} - {int(y[i] == k)})" for i in range(len(y)))
        print(f"  d/d b_{name:<10} = {terms} = {g_formula[k]:8.5f}  autograd {g_auto[k]:8.5f}")
    X_all, y_all, _ = petal_sepal()
    ga_all, gf_all = bias_gradient_check(iris_net(), X_all, y_all)
    err = float(max(np.abs(g_auto - g_formula).max(), np.abs(ga_all - gf_all).max()))
    print(f"  On all 150 flowers too: autograd and sum (p - y) agree to {err:.1e}.")

    lr, start = 1.0, -2.0
    print(f"\nGradient descent on the Setosa bias alone from b = {start} (learning rate {lr}):")
    steps = []
    b_val = start
    for step in range(1, 51):
        net.zero_grad()
        loss, logits, b = total_cross_entropy(net, X, y, bias=b_val)
        loss.backward()
        d = float(b.grad.numpy()[0])
        size = lr * d
        steps.append({"b": b_val, "loss": float(loss.item()), "derivative": d,
                      "step_size": size})
        print(f"  step {step:2d}: b = {b_val:7.4f}  total CE = {loss.item():.4f}  "
              f"derivative = {d:8.4f}  step size = {size:8.4f}")
        b_val -= size
        if abs(size) < 0.001:
            break
    first_new = steps[0]["b"] - steps[0]["step_size"]
    after_one = float(total_cross_entropy(net, X, y, bias=first_new)[0].item())
    print(f"  One step took the total cross entropy from {steps[0]['loss']:.4f} to "
          f"{after_one:.4f}; it settles at b = {b_val:.4f} (total {steps[-1]['loss']:.4f}).")

    plot = _plot(net, X, y, steps, plot_dir) if plot_dir else None
    if plot:
        print(f"Figure: {plot}")
    result = (f"total CE {total:.3f}; dCE/db = sum(p - y) (err {err:.0e}); "
              f"b: {start:g} -> {b_val:.3f}")
    return {
        "result": result,
        "probs": p,
        "total_cross_entropy": total,
        "bias_gradient_autograd": g_auto,
        "bias_gradient_formula": g_formula,
        "bias_gradient_error": err,
        "descent": steps,
        "loss_after_one_step": after_one,
        "final_bias": b_val,
        "plot": plot,
    }


def _plot(net, X, y, steps, plot_dir: str) -> str | None:
    def loss_of(b: float) -> float:
        with gn.no_grad():
            return float(total_cross_entropy(net, X, y, bias=b)[0].item())

    return plot_descent(loss_of, -3.0, 3.0, [(s["b"], s["loss"]) for s in steps],
                        xlabel="Setosa output bias", ylabel="total cross entropy",
                        title="Cross entropy against one bias", plot_dir=plot_dir,
                        name="cross_entropy_bias.png")


if __name__ == "__main__":  # pragma: no cover
    run()
