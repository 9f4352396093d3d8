"""An Iris classifier trained from random weights, judged on flowers it never saw.

All four measurements in, three species out: ``Sequential(Linear(4, 16), ReLU(),
Linear(16, 3))``, ``(N, 4) -> (N, 3)`` raw outputs, trained with the cross entropy of
their SoftMax (``F.cross_entropy``) by Adam through ``gn.fit``. A stratified 30% of the
flowers is held out before anything else happens; the standard scaler is fit on the
training 70% only, so nothing about the held-out flowers leaks into training.

>>> from glassnet.examples import iris_classifier
>>> out = iris_classifier.run(fast=True)  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet import metrics, nn, optim
from glassnet.data import StandardScaler, load_iris, train_test_split
from glassnet.nn import functional as F
from glassnet.train import fit

SEED = 3
"""Seed of the split, the initial weights and the shuffling. Held-out accuracy depends on
the split (45 flowers: each mistake costs 2.2 points); the full run also reports the
spread over ten splits."""


def print_confusion(cm: np.ndarray, names) -> None:
    """Print a confusion matrix ``(C, C)`` with rows = true class, columns = predicted."""
    names = [str(n) for n in names]
    w = max(3, *(len(n) for n in names))
    head = "true \\ predicted"
    lw = max(len(head), w)
    print("  " + head.ljust(lw) + " " + " ".join(n.rjust(w) for n in names))
    for n, row in zip(names, cm):
        print("  " + n.ljust(lw) + " " + " ".join(str(v).rjust(w) for v in row))


def train_and_test(X: np.ndarray, y: np.ndarray, *, hidden: int, test_size: float,
                   lr: float, batch_size: int, epochs: int, seed: int,
                   progress: bool = True):
    """Hold out a stratified ``test_size`` of ``(X (N, F), y (N,))``, fit a standard
    scaler on the rest, train ``Sequential(Linear(F, hidden), ReLU(), Linear(hidden, C))``
    from seeded random weights with cross entropy and Adam (``gn.fit``), score it on the
    held-out part. The held-out part is also scored after every epoch (``val_loss``,
    ``val_accuracy`` in the history, for the training curves); nothing is tuned on it.

    Returns ``(model, history, X_test, y_test, held-out accuracy)``.
    """
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=test_size, stratify=y, generator=gn.Generator(seed)
    )
    scaler = StandardScaler().fit(X_train)  # training statistics only
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    gn.manual_seed(seed)
    n_classes = int(y.max()) + 1
    model = nn.Sequential(nn.Linear(X.shape[1], hidden), nn.ReLU(), nn.Linear(hidden, n_classes))
    history = fit(model, (X_train, y_train), loss_fn=F.cross_entropy,
                  optimizer=optim.Adam(model.parameters(), lr=lr), epochs=epochs,
                  batch_size=batch_size, generator=gn.Generator(seed), progress=progress,
                  val_data=(X_test, y_test))  # watched only: never used to choose anything
    model.eval()
    with gn.no_grad():
        acc = metrics.accuracy(model(gn.tensor(X_test)), y_test)
    return model, history, X_test, y_test, acc


def print_history(history, epochs: int, rows: int = 6) -> None:
    """About ``rows`` evenly spaced epochs of a ``gn.fit`` history, and the last one."""
    every = max(1, epochs // rows)
    for e in list(range(0, epochs, every)) + ([epochs - 1] if (epochs - 1) % every else []):
        print(f"  epoch {e + 1:4d}  loss {history['loss'][e]:.4f}  "
              f"accuracy {history['accuracy'][e]:.3f}")


RECIPE = {"hidden": 16, "test_size": 0.3, "lr": 0.01, "batch_size": 16, "epochs": 60}


def run(fast: bool = False, plot_dir: str | None = None) -> dict:
    """Train and evaluate; return the accuracies.

    ``fast`` skips the ten-split spread. With matplotlib and ``plot_dir``, saves
    ``iris_training.png`` (loss and accuracy per epoch, training and held-out).
    """
    d = load_iris()
    epochs = RECIPE["epochs"]
    model, history, X_test, y_test, test_acc = train_and_test(d.data, d.target, seed=SEED,
                                                              **RECIPE)
    print(f"Iris: {150 - len(X_test)} training flowers, {len(X_test)} held out (stratified 30%:"
          f" {np.bincount(y_test).tolist()} per species, split seed {SEED}); features scaled "
          "with the training mean and standard deviation.")
    print(model)
    print(f"Trained {epochs} epochs (Adam, lr 0.01, batches of 16):")
    print_history(history, epochs)

    with gn.no_grad():
        out = model(gn.tensor(X_test))
    cm = metrics.confusion_matrix(out, y_test, num_classes=3)
    print(f"\nHeld-out accuracy {test_acc:.1%} ({int(np.trace(cm))} of {len(y_test)} flowers);"
          " confusion matrix:")
    print_confusion(cm, d.target_names)
    with gn.no_grad():
        p = gn.softmax(out[:3], dim=1).numpy()
    print("  First held-out flowers, SoftMax probabilities -> choice (observed):")
    for i in range(3):
        print(f"    [{', '.join(f'{v:.3f}' for v in p[i])}] -> {d.target_names[p[i].argmax()]}"
              f" ({d.target_names[y_test[i]]})")

    spread = None
    if not fast:
        spread = [train_and_test(d.data, d.target, seed=s, progress=False, **RECIPE)[4]
                  for s in range(10)]
        print(f"\nThe same recipe on ten splits (seeds 0-9, this one included): mean "
              f"{np.mean(spread):.1%}, from {min(spread):.1%} to {max(spread):.1%}. With 45 "
              "held-out flowers one mistake is 2.2 points, so a single split's score is a "
              "rough estimate.")

    plot = _plot(history, plot_dir) if plot_dir else None
    if plot:
        print(f"Figure: {plot}")
    result = f"held-out accuracy {test_acc:.1%} (30% split)"
    if spread:
        result += f"; 10 splits: mean {np.mean(spread):.1%}"
    return {
        "result": result,
        "test_accuracy": test_acc,
        "train_accuracy": history["accuracy"][-1],
        "confusion_matrix": cm,
        "history": history.to_dict(),
        "split_accuracies": spread,
        "plot": plot,
    }


def plot_history(history, title: str, plot_dir: str, name: str) -> str | None:
    """Loss and accuracy per epoch, on the training data and on the held-out data, from a
    ``gn.fit`` history, saved as ``plot_dir/name``."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return None
    import os

    from glassnet.explain import plot

    path = os.path.join(plot_dir, name)
    plot.history_curves(history, title=title, save=path, labels=("training", "held-out"))
    return path


def _plot(history, plot_dir: str) -> str | None:
    return plot_history(history, "Iris classifier", plot_dir, "iris_training.png")


if __name__ == "__main__":  # pragma: no cover
    run()
