"""A multi-layer perceptron on the bundled 8x8 handwritten digits.

Each image's 64 pixels (values 0..16) go in as one row; ten raw outputs, one per digit,
come out: ``Sequential(Linear(64, 128), ReLU(), Linear(128, 10))``, ``(N, 64) -> (N, 10)``.
Trained from random weights with cross entropy and Adam through ``gn.fit``, on 75% of
the 1,797 images (stratified split; scaler fit on the training part only), and judged on
the other 25%.

>>> from glassnet.examples import digits_mlp
>>> out = digits_mlp.run(fast=True)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet import metrics
from glassnet.data import load_digits

from .iris_classifier import plot_history, print_confusion, print_history, train_and_test

RECIPE = {"hidden": 128, "test_size": 0.25, "lr": 1e-3, "batch_size": 32, "epochs": 30}
SEED = 1
"""Seed of the split, the initial weights and the shuffling; the full run also reports
the spread over five splits."""


def ascii_digit(image: np.ndarray) -> list[str]:
    """An ``(8, 8)`` image with values 0..16 as eight lines of text."""
    shades = " .:-=+*#@"
    return ["".join(shades[min(8, int(v) // 2)] * 2 for v in row) for row in image]


def run(fast: bool = False, plot_dir: str | None = None) -> dict:
    """Train and evaluate; return the accuracies.

    ``fast`` trains 12 epochs instead of 30 and skips the five-split spread. With
    matplotlib and ``plot_dir``, saves ``digits_training.png``.
    """
    d = load_digits()
    print(f"Digits: {len(d.data)} images of 8x8 pixels (0..16). The first one, a "
          f"{d.target[0]}:")
    for line in ascii_digit(d.images[0]):
        print("    |" + line + "|")
    recipe = {**RECIPE, "epochs": 12 if fast else 30}
    epochs = recipe["epochs"]
    model, history, X_test, y_test, test_acc = train_and_test(d.data, d.target, seed=SEED,
                                                              **recipe)
    print(f"{len(d.data) - len(X_test)} training images, {len(X_test)} held out (stratified "
          f"25%, split seed {SEED}); pixels scaled with the training mean and deviation.")
    print(model)
    print(f"Trained {epochs} epochs (Adam, lr 0.001, batches of 32):")
    print_history(history, epochs)

    with gn.no_grad():
        out = model(gn.tensor(X_test))
    cm = metrics.confusion_matrix(out, y_test, num_classes=10)
    print(f"\nHeld-out accuracy {test_acc:.1%} ({int(np.trace(cm))} of {len(y_test)} images); "
          "confusion matrix:")
    print_confusion(cm, range(10))
    off = cm - np.diag(np.diag(cm))
    if off.any():
        i, j = np.unravel_index(off.argmax(), off.shape)
        print(f"  Most common mistake: {off[i, j]} image(s) of a {i} read as a {j}.")

    spread = None
    if not fast:
        spread = [train_and_test(d.data, d.target, seed=s, progress=False, **recipe)[4]
                  for s in range(5)]
        print(f"\nThe same recipe on five splits (seeds 0-4): mean {np.mean(spread):.1%}, "
              f"from {min(spread):.1%} to {max(spread):.1%}.")

    plot = plot_history(history, "Digits MLP", plot_dir, "digits_training.png") \
        if plot_dir else None
    if plot:
        print(f"Figure: {plot}")
    result = f"held-out accuracy {test_acc:.1%} (25% split)"
    if spread:
        result += f"; 5 splits: mean {np.mean(spread):.1%}"
    return {
        "result": result,
        "test_accuracy": test_acc,
        "train_accuracy": history["accuracy"][-1],
        "confusion_matrix": cm,
        "history": history.to_dict(),
        "split_accuracies": spread,
        "plot": plot,
    }


if __name__ == "__main__":  # pragma: no cover
    run()
