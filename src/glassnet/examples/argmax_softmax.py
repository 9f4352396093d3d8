"""ArgMax and SoftMax: turning a network's raw outputs into a choice and into probabilities.

The Iris network of the previous chapter gives three raw output values for a flower,
one per species. ArgMax picks the largest; SoftMax turns them into probabilities
between 0 and 1 that sum to 1 and keep the order of the raw values:

    p_i = exp(z_i / T) / sum_j exp(z_j / T)

The temperature ``T`` flattens (T > 1) or sharpens (T < 1) the distribution. Its
derivative is ``dp_i/dz_j = p_i (delta_ij - p_j) / T``; ArgMax's derivative is 0
wherever it is defined, which is why training backpropagates through SoftMax instead.

>>> from glassnet.examples import argmax_softmax
>>> out = argmax_softmax.run()  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

import glassnet as gn

SPECIES = ("Setosa", "Versicolor", "Virginica")
RAW_OUTPUTS = (1.43, -0.40, 0.23)
"""The raw output values the curriculum uses for one flower."""

TEMPERATURES = (0.25, 0.5, 1.0, 2.0, 5.0)


def softmax_jacobian(z: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """The formula ``dp_i/dz_j = p_i (delta_ij - p_j) / T`` for logits ``(C,) -> (C, C)``."""
    p = gn.softmax(gn.tensor(z, dtype=gn.float64), dim=0, temperature=temperature).numpy()
    return (np.diag(p) - np.outer(p, p)) / temperature


def autograd_jacobian(z: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """The same Jacobian ``(C,) -> (C, C)`` by backpropagating from each p_i in turn."""
    rows = []
    for i in range(len(z)):
        zt = gn.tensor(z, dtype=gn.float64, requires_grad=True)
        gn.softmax(zt, dim=0, temperature=temperature)[i].backward()
        rows.append(zt.grad.numpy().copy())
    return np.stack(rows)


def _entropy(p: np.ndarray) -> float:
    return float(-(p * np.log(p)).sum())


def run(fast: bool = False, plot_dir: str | None = None) -> dict:
    """Print the ArgMax / SoftMax story for one flower; return the numbers.

    ``fast`` changes nothing here (the chapter takes milliseconds). With matplotlib and
    ``plot_dir``, saves ``softmax_temperature.png``.
    """
    z = np.asarray(RAW_OUTPUTS, dtype=np.float64)
    zt = gn.tensor(z, dtype=gn.float64)
    print("Raw output values for one flower:")
    for name, v in zip(SPECIES, z):
        print(f"  {name:<10} {v:6.2f}")

    choice = int(gn.argmax(zt).item())
    onehot = np.eye(len(z))[choice]
    print(f"\nArgMax sets the largest to 1 and the rest to 0: {onehot.astype(int).tolist()}"
          f" -> {SPECIES[choice]}")
    print("  Its derivative is 0 (a flat step) wherever it is defined, so gradient descent")
    print("  cannot learn through it: it is for reading the answer, not for training.")

    p = gn.softmax(zt, dim=0).numpy()
    print("\nSoftMax: p_i = exp(z_i) / sum_j exp(z_j)")
    e = np.exp(z)
    for name, v, ei, pi in zip(SPECIES, z, e, p):
        print(f"  {name:<10} exp({v:5.2f}) = {ei:6.3f}   / {e.sum():.3f} = {pi:.2f}")
    print(f"  The probabilities sum to {p.sum():.2f} and keep the raw values' order.")
    shifted = gn.softmax(zt + 10.0, dim=0).numpy()
    shift_err = float(np.abs(shifted - p).max())
    print(f"  Adding 10 to every raw value changes them by at most {shift_err:.1e}: "
          "only differences matter.")

    print("\nTemperature T divides the raw values first: T > 1 flattens, T < 1 sharpens.")
    print("     T   " + "  ".join(f"{s:>10}" for s in SPECIES) + "   entropy")
    by_t = {}
    for t in TEMPERATURES:
        pt = gn.softmax(zt, dim=0, temperature=t).numpy()
        by_t[t] = pt
        print(f"  {t:5.2f}  " + "  ".join(f"{v:10.3f}" for v in pt) + f"   {_entropy(pt):7.3f}")
    print(f"  As T -> 0 SoftMax approaches ArgMax; as T grows it approaches uniform "
          f"(entropy -> ln 3 = {np.log(3):.3f}).")

    print("\nDerivative: dp_i/dz_j = p_i (1 - p_i) when i = j, and -p_i p_j otherwise.")
    jac = softmax_jacobian(z)
    jac_ag = autograd_jacobian(z)
    print("  d p_Setosa / d z  (formula):  " + "  ".join(f"{v:7.3f}" for v in jac[0]))
    print("  d p_Setosa / d z  (autograd): " + "  ".join(f"{v:7.3f}" for v in jac_ag[0]))
    jac_err = float(np.abs(jac - jac_ag).max())
    t_err = max(float(np.abs(softmax_jacobian(z, t) - autograd_jacobian(z, t)).max())
                for t in TEMPERATURES)
    print(f"  Whole 3x3 Jacobian, formula vs autograd: max difference {jac_err:.1e}; "
          f"with temperature (divided by T): {t_err:.1e}")
    print(f"  Each row sums to 0 ({np.abs(jac.sum(axis=1)).max():.1e}): "
          "raising one probability lowers the others.")

    plot = None
    if plot_dir is not None:
        plot = _plot(by_t, plot_dir)

    hot, cold = by_t[0.5], by_t[5.0]
    result = (f"argmax {SPECIES[choice]}; softmax {p[0]:.2f}/{p[1]:.2f}/{p[2]:.2f}; "
              f"max p {hot.max():.2f} (T=0.5), {cold.max():.2f} (T=5)")
    return {
        "result": result,
        "argmax": choice,
        "probs": p,
        "probs_by_temperature": by_t,
        "jacobian": jac,
        "jacobian_error": max(jac_err, t_err),
        "shift_error": shift_err,
        "plot": plot,
    }


def _plot(by_t: dict, plot_dir: str) -> str | None:
    from .black_box import new_figure, save_figure

    made = new_figure(6, 3.5)
    if made is None:  # no matplotlib
        return None
    fig, (ax,) = made
    width = 0.8 / len(by_t)
    for k, (t, pt) in enumerate(by_t.items()):
        ax.bar(np.arange(len(pt)) + k * width, pt, width, label=f"T = {t:g}")
    ax.set_xticks(np.arange(len(SPECIES)) + 0.4 - width / 2)
    ax.set_xticklabels(SPECIES)
    ax.set_ylabel("SoftMax probability")
    ax.set_title(f"Raw outputs {RAW_OUTPUTS}: temperature flattens or sharpens")
    ax.legend(fontsize=8)
    return save_figure(fig, plot_dir, "softmax_temperature.png")


if __name__ == "__main__":  # pragma: no cover
    run()
