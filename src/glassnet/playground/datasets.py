"""The playground's data sets and input features.

Each ``make_<name>(n, noise, rng)`` returns ``X`` ``(N, 2)`` float64 points and ``y``
``(N,)`` targets: ``+1``/``-1`` for two classes, values in ``[-1, 1]`` for regression,
``0, 1, 2`` for Iris. ``noise`` is a fraction (0 to 0.5); ``rng`` a
``numpy.random.Generator``. The functions are self-contained (NumPy and glassnet only)
because the exported script carries their source.
"""

from __future__ import annotations

import numpy as np

from .config import TASKS

__all__ = ["GENERATORS", "DOMAINS", "make_data", "feature_matrix", "Data"]


def make_circle(n, noise, rng):
    """Class +1 inside a disc of radius 2.5, class -1 on a ring from 3.5 to 5."""
    radius = 5.0
    m = n // 2
    r = np.concatenate([rng.uniform(0, radius * 0.5, m), rng.uniform(radius * 0.7, radius, n - m)])
    angle = rng.uniform(0, 2 * np.pi, n)
    X = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    X += rng.uniform(-radius, radius, (n, 2)) * noise
    y = np.where(np.arange(n) < m, 1.0, -1.0)
    return X, y


def make_xor(n, noise, rng):
    """Points in [-5, 5]², the class is the sign of x1·x2 (kept 0.3 away from the axes)."""
    X = rng.uniform(-5, 5, (n, 2))
    X += np.where(X > 0, 0.3, -0.3)
    y = np.where(X[:, 0] * X[:, 1] >= 0, 1.0, -1.0)
    X += rng.uniform(-5, 5, (n, 2)) * noise
    return X, y


def make_gauss(n, noise, rng):
    """Two Gaussian clouds around (2, 2) (class +1) and (-2, -2) (class -1)."""
    m = n // 2
    std = 0.5 + 3.5 * noise
    X = np.concatenate([rng.normal(2, std, (m, 2)), rng.normal(-2, std, (n - m, 2))])
    y = np.where(np.arange(n) < m, 1.0, -1.0)
    return X, y


def make_spiral(n, noise, rng):
    """Two interleaved spirals, 1.75 turns each."""
    m = n // 2
    X, y = [], []
    for count, delta, label in ((m, 0.0, 1.0), (n - m, np.pi, -1.0)):
        i = np.arange(count)
        r = i / max(count, 1) * 5
        t = 1.75 * i / max(count, 1) * 2 * np.pi + delta
        pts = np.stack([r * np.sin(t), r * np.cos(t)], axis=1)
        X.append(pts + rng.uniform(-1, 1, (count, 2)) * noise * 5)
        y.append(np.full(count, label))
    return np.concatenate(X), np.concatenate(y)


def make_plane(n, noise, rng):
    """Regression on a tilted plane: y = (x1 + x2) / 10, in [-1, 1]."""
    X = rng.uniform(-5, 5, (n, 2))
    y = (X[:, 0] + X[:, 1]) / 10 + rng.uniform(-1, 1, n) * noise
    return X, np.clip(y, -1, 1)


def make_bumps(n, noise, rng):
    """Regression on a sum of Gaussian bumps, positive and negative, in [-1, 1]."""
    centers = np.array([[-3, 3], [3, 3], [-3, -3], [3, -3], [0, 0]], dtype=float)
    signs = np.array([1.0, -1.0, -1.0, 1.0, 1.0])
    X = rng.uniform(-5, 5, (n, 2))
    d2 = ((X[:, None, :] - centers[None]) ** 2).sum(-1)
    y = (signs * np.exp(-d2 / 4.0)).sum(1) + rng.uniform(-1, 1, n) * noise
    return X, np.clip(y, -1, 1)


def make_dosage(n, noise, rng):
    """The curriculum's dosage data: dosages 0, 0.5, 1 with effectiveness 0, 1, 0 (``n``
    is ignored: the data is the three points; noise moves the effectiveness)."""
    import glassnet as gn

    d = gn.data.load_dosage(dtype=np.float64)
    x = d.data[:, 0]
    X = np.stack([x, np.zeros_like(x)], axis=1)
    y = d.target + rng.uniform(-1, 1, len(x)) * noise
    return X, y


IRIS_NAMES = ("sepal length", "sepal width", "petal length", "petal width")


def make_iris(n, noise, rng, features=(2, 3)):
    """Fisher's Iris, two measurements standardised to mean 0 and 2 standard deviations
    per unit (``n`` is ignored: 150 flowers); targets 0 setosa, 1 versicolor, 2 virginica."""
    import glassnet as gn

    d = gn.data.load_iris(dtype=np.float64)
    X = d.data[:, list(features)]
    X = (X - X.mean(0)) / X.std(0) * 2
    X += rng.normal(0, 1, X.shape) * noise * 2
    return X, d.target.astype(np.float64)


GENERATORS = {"circle": make_circle, "xor": make_xor, "gauss": make_gauss,
              "spiral": make_spiral, "plane": make_plane, "bumps": make_bumps,
              "dosage": make_dosage, "iris": make_iris}

# The square shown on the page: (lo, hi) for x1 and x2.
DOMAINS = {name: ((-6.0, 6.0), (-6.0, 6.0)) for name in GENERATORS}
DOMAINS["dosage"] = ((-0.1, 1.1), (-0.25, 1.25))  # dosage on x1, effectiveness up


def _generate(cfg: dict, rng):
    gen = GENERATORS[cfg["dataset"]]
    if cfg["dataset"] == "iris":
        return gen(cfg["n"], cfg["noise"] / 100, rng, features=(cfg["iris_x"], cfg["iris_y"]))
    return gen(cfg["n"], cfg["noise"] / 100, rng)


def split(n_points: int, ratio: float, rng):
    """A random permutation split: the first ``round(ratio * N)`` indices train."""
    perm = rng.permutation(n_points)
    n_train = int(round(ratio * n_points))
    return perm[:n_train], perm[n_train:]


class Data:
    """A data set for one configuration: ``X_train``, ``y_train``, ``X_test``, ``y_test``
    (points ``(N, 2)`` and targets ``(N,)``), the task and the plot domain."""

    def __init__(self, cfg: dict):
        rng = np.random.default_rng(cfg["seed"])
        X, y = _generate(cfg, rng)
        self.task = TASKS[cfg["dataset"]]
        self.domain = DOMAINS[cfg["dataset"]]
        self.dataset = cfg["dataset"]
        if cfg["dataset"] == "dosage":  # three points: all of them train, no test set
            train, test = np.arange(len(X)), np.arange(0)
        else:
            train, test = split(len(X), cfg["ratio"] / 100, rng)
        self.X_train, self.y_train = X[train], y[train]
        self.X_test, self.y_test = X[test], y[test]
        self.added = 0  # points added by clicking (appended to the training set)

    def add_point(self, x1: float, x2: float, label: float) -> None:
        self.X_train = np.concatenate([self.X_train, [[x1, x2]]])
        self.y_train = np.concatenate([self.y_train, [label]])
        self.added += 1

    @property
    def n_points(self) -> int:
        return len(self.X_train) + len(self.X_test)


def make_data(cfg: dict) -> Data:
    """The data set a (checked) configuration describes."""
    return Data(cfg)


def feature_matrix(X: np.ndarray, features: list) -> np.ndarray:
    """The network's inputs ``(N, len(features))`` from points ``(N, 2)``."""
    x1, x2 = X[:, 0], X[:, 1]
    cols = {"x1": lambda: x1, "x2": lambda: x2, "x1sq": lambda: x1 * x1,
            "x2sq": lambda: x2 * x2, "x1x2": lambda: x1 * x2, "sinx1": lambda: np.sin(x1),
            "sinx2": lambda: np.sin(x2)}
    return np.stack([cols[f]() for f in features], axis=1) if len(X) else \
        np.zeros((0, len(features)))
