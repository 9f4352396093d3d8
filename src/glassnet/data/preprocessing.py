"""Preprocessing: standard scaling, one-hot encoding and a train/test split.

Fit a scaler on the training data only, then transform the training, validation and
test data with it: statistics from the test data leaking into training make held-out
scores look better than they are.
"""

from __future__ import annotations

import numpy as np

from ..nn.functional import one_hot  # one implementation, re-exported for gn.data
from ..random import resolve
from ..tensor import Tensor

__all__ = ["StandardScaler", "one_hot", "train_test_split"]


def _unwrap(x) -> tuple[np.ndarray, bool]:
    """(array, was_tensor)."""
    if isinstance(x, Tensor):
        return x.data, True
    return np.asarray(x), False


class StandardScaler:
    """Scale features to zero mean and unit variance: ``(x - mean_) / scale_``.

    ``fit(X)`` takes ``X`` of shape ``(N, F)`` (or ``(N,)``) and stores the per-feature
    ``mean_`` and ``scale_`` (the population standard deviation, ddof=0; a constant
    feature gets scale 1 so it maps to 0 instead of NaN). ``transform`` and
    ``inverse_transform`` accept Tensors or arrays and return the same kind; floating
    dtypes are kept, integer input gives float32.
    """

    def __init__(self, with_mean: bool = True, with_std: bool = True):
        self.with_mean = with_mean
        self.with_std = with_std
        self.mean_: np.ndarray | None = None
        self.scale_: np.ndarray | None = None
        self.n_samples_seen_: int = 0

    def fit(self, X) -> StandardScaler:
        a, _ = _unwrap(X)
        if a.ndim not in (1, 2):
            raise ValueError(f"StandardScaler.fit: expected shape (N, F) or (N,), got {a.shape}")
        if a.shape[0] == 0:
            raise ValueError("StandardScaler.fit: no samples (N = 0)")
        a64 = a.astype(np.float64)
        if not np.isfinite(a64).all():
            raise ValueError("StandardScaler.fit: the data contain NaN or infinite values")
        mean = a64.mean(axis=0)
        std = a64.std(axis=0)
        self.mean_ = mean if self.with_mean else np.zeros_like(mean)
        self.scale_ = np.where(std == 0, 1.0, std) if self.with_std else np.ones_like(std)
        self.n_samples_seen_ = int(a.shape[0])
        return self

    def _check(self, a: np.ndarray, what: str) -> None:
        if self.mean_ is None:
            raise RuntimeError(f"StandardScaler.{what}: call fit() on the training data first")
        feat = self.mean_.shape
        if a.shape[1:] != feat:
            raise ValueError(
                f"StandardScaler.{what}: fitted on {feat[0] if feat else 1} feature(s) "
                f"(shape (N, {', '.join(map(str, feat))})), got data of shape {a.shape}"
            )

    @staticmethod
    def _out_dtype(a: np.ndarray):
        return a.dtype if a.dtype.kind == "f" else np.float32

    def transform(self, X):
        a, is_t = _unwrap(X)
        self._check(a, "transform")
        out = ((a - self.mean_) / self.scale_).astype(self._out_dtype(a))
        return Tensor._wrap(out) if is_t else out

    def fit_transform(self, X):
        return self.fit(X).transform(X)

    def inverse_transform(self, X):
        a, is_t = _unwrap(X)
        self._check(a, "inverse_transform")
        out = (a * self.scale_ + self.mean_).astype(self._out_dtype(a))
        return Tensor._wrap(out) if is_t else out

    def state_dict(self) -> dict:
        if self.mean_ is None:
            raise RuntimeError("StandardScaler.state_dict: not fitted")
        return {"mean_": self.mean_.copy(), "scale_": self.scale_.copy(),
                "n_samples_seen_": self.n_samples_seen_,
                "with_mean": self.with_mean, "with_std": self.with_std}

    def load_state_dict(self, state: dict) -> None:
        self.mean_ = np.asarray(state["mean_"], dtype=np.float64)
        self.scale_ = np.asarray(state["scale_"], dtype=np.float64)
        self.n_samples_seen_ = int(state.get("n_samples_seen_", 0))
        self.with_mean = bool(state.get("with_mean", True))
        self.with_std = bool(state.get("with_std", True))

    def __repr__(self) -> str:
        fitted = "" if self.mean_ is None else f", fitted on {self.n_samples_seen_} samples"
        return f"StandardScaler(with_mean={self.with_mean}, with_std={self.with_std}{fitted})"


def _count(size, n: int, what: str) -> int | None:
    if size is None:
        return None
    if isinstance(size, (float, np.floating)):
        if not 0.0 < size < 1.0:
            raise ValueError(
                f"train_test_split: {what} as a fraction must lie in (0, 1), got {size}"
            )
        return int(np.ceil(size * n)) if what == "test_size" else int(np.floor(size * n))
    size = int(size)
    if not 0 < size < n:
        raise ValueError(
            f"train_test_split: {what}={size} must lie in [1, {n - 1}] for {n} samples"
        )
    return size


def _take(x, idx):
    if isinstance(x, Tensor):
        return Tensor._wrap(x.data[idx])
    if isinstance(x, np.ndarray):
        return x[idx]
    return [x[i] for i in idx]


def train_test_split(*arrays, test_size=None, train_size=None, shuffle: bool = True,
                     stratify=None, generator=None) -> list:
    """Split arrays (same first dimension) into train and test parts.

    Returns ``[a_train, a_test, b_train, b_test, ...]``, each of the input's kind
    (Tensor, array or list). ``test_size``/``train_size`` are fractions or counts; with
    neither, 25% goes to test. ``stratify`` (class labels) keeps each class's share the
    same in both parts. ``generator`` makes the split reproducible.
    """
    if not arrays:
        raise ValueError("train_test_split: at least one array is required")
    n = len(arrays[0])
    for i, x in enumerate(arrays):
        if len(x) != n:
            raise ValueError(
                f"train_test_split: argument {i} has {len(x)} samples, argument 0 has {n}"
            )
    if n < 2:
        raise ValueError(f"train_test_split: need at least 2 samples, got {n}")
    n_test = _count(test_size, n, "test_size")
    n_train = _count(train_size, n, "train_size")
    if n_test is None and n_train is None:
        n_test = int(np.ceil(0.25 * n))
    if n_test is None:
        n_test = n - n_train
    if n_train is None:
        n_train = n - n_test
    if n_train + n_test > n or n_train == 0 or n_test == 0:
        raise ValueError(
            f"train_test_split: train ({n_train}) + test ({n_test}) must be in [2, {n}], "
            f"each at least 1"
        )
    rng = resolve(generator)
    if stratify is None:
        order = rng.permutation(n) if shuffle else np.arange(n)
        train_idx, test_idx = order[:n_train], order[n_train:n_train + n_test]
    else:
        if not shuffle:
            raise ValueError("train_test_split: stratify requires shuffle=True")
        labels, _ = _unwrap(stratify)
        if len(labels) != n:
            raise ValueError(f"train_test_split: stratify has {len(labels)} labels for {n} samples")
        classes, y = np.unique(labels, return_inverse=True)
        counts = np.bincount(y.reshape(-1))
        if counts.min() < 2:
            raise ValueError(
                "train_test_split: every class needs at least 2 samples to stratify "
                f"(class {classes[counts.argmin()]!r} has {counts.min()})"
            )
        test_per = _allocate(counts, n_test)
        train_per = _allocate(counts - test_per, n_train)
        train_parts, test_parts = [], []
        for c in range(len(classes)):
            members = rng.permutation(np.flatnonzero(y == c))
            test_parts.append(members[:test_per[c]])
            train_parts.append(members[test_per[c]:test_per[c] + train_per[c]])
        train_idx = rng.permutation(np.concatenate(train_parts))
        test_idx = rng.permutation(np.concatenate(test_parts))
    out = []
    for x in arrays:
        out.append(_take(x, train_idx))
        out.append(_take(x, test_idx))
    return out


def _allocate(counts: np.ndarray, total: int) -> np.ndarray:
    """Share ``total`` among classes in proportion to ``counts`` (largest remainder),
    never giving a class more than it has."""
    exact = counts * (total / counts.sum())
    alloc = np.minimum(np.floor(exact).astype(np.int64), counts)
    rest = total - int(alloc.sum())
    order = np.argsort(-(exact - alloc), kind="stable")
    for c in order:
        if rest <= 0:
            break
        if alloc[c] < counts[c]:
            alloc[c] += 1
            rest -= 1
    return alloc
