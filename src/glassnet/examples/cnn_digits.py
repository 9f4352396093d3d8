"""A convolutional network on the bundled 8x8 handwritten digits, with augmentation.

The images stay images, ``(N, 1, 8, 8)`` with pixels scaled to [0, 1]::

    Conv2d(1, 16, 3, padding=1) - BatchNorm2d - ReLU                 (N, 16, 8, 8)
    Conv2d(16, 32, 3, padding=1) - BatchNorm2d - ReLU - MaxPool2d(2)  (N, 32, 4, 4)
    Conv2d(32, 64, 3, padding=1) - BatchNorm2d - ReLU - MaxPool2d(2)  (N, 64, 2, 2)
    Flatten - Dropout(0.3) - Linear(256, 10)                          (N, 10)

Each training batch is augmented afresh (``gn.data.transforms.RandomAffine``: rotations
up to 10 degrees, shifts up to 10%, zoom 0.9-1.1), so the network never sees exactly the
same picture twice. Trained with Adam and a cosine learning-rate schedule on 75% of the
1,797 images (stratified split), judged on the other 25%.

>>> from glassnet.examples import cnn_digits
>>> out = cnn_digits.run(fast=True)  # doctest: +SKIP
"""

from __future__ import annotations

import os
import time

import numpy as np

import glassnet as gn
from glassnet import metrics, nn, optim
from glassnet.data import DataLoader, TensorDataset, load_digits, train_test_split
from glassnet.data import transforms as T
from glassnet.nn import functional as F
from glassnet.train import fit

from .cnn_plots import plot_filters_and_maps

SEED = 0


def make_model() -> nn.Sequential:
    """The CNN above: ``(N, 1, 8, 8) -> (N, 10)`` (26,090 parameters)."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Dropout(0.3), nn.Linear(256, 10),
    )


def augmentation(seed: int) -> T.Compose:
    return T.Compose([T.RandomAffine(10, translate=(0.1, 0.1), scale=(0.9, 1.1),
                                     generator=gn.Generator(seed))])


def train_and_test(seed: int, epochs: int, augment: bool = True, progress: bool = True):
    """Split, train a fresh CNN for ``epochs`` and score it on the held-out 25%.

    Returns ``(model, history, X_test, y_test, accuracy)``.
    """
    d = load_digits()
    images = (d.images / 16.0).astype(np.float32)[:, None]
    X_train, X_test, y_train, y_test = train_test_split(
        images, d.target, test_size=0.25, stratify=d.target, generator=gn.Generator(seed))
    gn.manual_seed(seed)
    model = make_model()
    loader = DataLoader(TensorDataset(gn.tensor(X_train), gn.tensor(y_train)), batch_size=32,
                        shuffle=True, generator=gn.Generator(seed),
                        transform=augmentation(seed + 1) if augment else None)
    opt = optim.Adam(model.parameters(), lr=2e-3)
    sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    history = fit(model, loader, loss_fn=F.cross_entropy, optimizer=opt, epochs=epochs,
                  scheduler=sched, progress=progress)
    model.eval()
    with gn.no_grad():
        acc = metrics.accuracy(model(gn.tensor(X_test)), y_test)
    return model, history, X_test, y_test, acc


def run(fast: bool = False, plot_dir: str | None = None) -> dict:
    """Train and evaluate; return the accuracy.

    ``fast`` trains 8 epochs instead of 20. With matplotlib and ``plot_dir``, saves
    ``cnn_digits_filters.png``: the 16 learned 3x3 filters of the first layer and their
    feature maps for one test image.
    """
    epochs = 8 if fast else 20
    t0 = time.perf_counter()
    model, history, X_test, y_test, acc = train_and_test(SEED, epochs)
    seconds = time.perf_counter() - t0
    print(model)
    print(f"Trained {epochs} epochs on {1797 - len(X_test)} images, each batch randomly "
          f"rotated/shifted/zoomed, in {seconds:.1f} s:")
    every = max(1, epochs // 5)
    for e in range(0, epochs, every):
        print(f"  epoch {e + 1:3d}  loss {history['loss'][e]:.4f}  "
              f"accuracy {history['accuracy'][e]:.3f}")
    with gn.no_grad():
        out = model(gn.tensor(X_test))
    cm = metrics.confusion_matrix(out, y_test, num_classes=10)
    print(f"Held-out accuracy {acc:.1%} ({int(np.trace(cm))} of {len(y_test)} images).")

    plot = None
    if plot_dir:
        conv1 = model[0]
        with gn.no_grad():
            maps = F.relu(model[1](conv1(gn.tensor(X_test[:1])))).data[0]
        plot = plot_filters_and_maps(conv1.weight.data, X_test[0, 0], maps,
                                     os.path.join(plot_dir, "cnn_digits_filters.png"),
                                     f"first-layer filters and feature maps (a {y_test[0]})")
        if plot:
            print(f"Figure: {plot}")
    return {
        "result": f"held-out accuracy {acc:.1%} after {epochs} epochs ({seconds:.0f} s)",
        "test_accuracy": acc,
        "train_accuracy": history["accuracy"][-1],
        "confusion_matrix": cm,
        "seconds": seconds,
        "history": history.to_dict(),
        "plot": plot,
    }


if __name__ == "__main__":  # pragma: no cover
    run()
