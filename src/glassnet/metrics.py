"""Classification metrics: accuracy, confusion matrix, per-class precision and recall.

Every function takes ``(preds, target)`` in that order (the order ``gn.fit`` calls its
metrics with). ``preds`` may be

- scores ``(N, C)`` (logits or probabilities): the predicted class is the argmax;
- one score per sample ``(N,)`` or ``(N, 1)`` for a binary task: the predicted class is
  ``score > threshold`` (default: 0.5 when all scores lie in [0, 1], else 0, the logit
  equivalent);
- class labels ``(N,)`` of an integer dtype.

``target`` holds class indices ``(N,)``, or one-hot / probability rows ``(N, C)`` (argmax
taken). Tensors and arrays are both accepted; results are Python floats or NumPy arrays.
"""

from __future__ import annotations

import numpy as np

from .tensor import Tensor

__all__ = ["accuracy", "confusion_matrix", "precision", "recall", "f1_score", "to_labels"]


def _arr(x) -> np.ndarray:
    return x.data if isinstance(x, Tensor) else np.asarray(x)


def to_labels(preds, threshold: float | None = None) -> np.ndarray:
    """Predicted class indices ``(N,)`` from scores or labels (see the module docstring)."""
    p = _arr(preds)
    if p.ndim >= 2 and p.shape[-1] > 1:
        return p.argmax(axis=-1)
    if p.ndim >= 2:
        p = p[..., 0]
    if p.dtype.kind in "iub":
        return p.astype(np.int64)
    if threshold is None:
        threshold = 0.5 if p.size and p.min() >= 0 and p.max() <= 1 else 0.0
    return (p > threshold).astype(np.int64)


def _target_labels(target) -> np.ndarray:
    t = _arr(target)
    if t.ndim >= 2 and t.shape[-1] > 1:
        return t.argmax(axis=-1)
    if t.ndim >= 2:
        t = t[..., 0]
    if t.dtype.kind == "f":
        r = np.rint(t)
        if not np.array_equal(r, t):
            raise ValueError("metrics: floating targets must be whole class numbers (0., 1., ...)")
        t = r
    return t.astype(np.int64)


def _pair(preds, target, threshold=None) -> tuple[np.ndarray, np.ndarray]:
    yp, yt = to_labels(preds, threshold), _target_labels(target)
    if yp.shape != yt.shape:
        raise ValueError(
            f"metrics: predictions give labels of shape {yp.shape}, targets {yt.shape} "
            f"(preds {tuple(_arr(preds).shape)}, target {tuple(_arr(target).shape)})"
        )
    return yp.reshape(-1), yt.reshape(-1)


def accuracy(preds, target, threshold: float | None = None) -> float:
    """The fraction of samples whose predicted class equals the target class."""
    yp, yt = _pair(preds, target, threshold)
    if yt.size == 0:
        raise ValueError("accuracy: no samples")
    return float(np.count_nonzero(yp == yt)) / yt.size


def confusion_matrix(preds, target, num_classes: int | None = None,
                     threshold: float | None = None) -> np.ndarray:
    """``(C, C)`` int64 counts: row ``i`` is the true class, column ``j`` the predicted
    one, so ``cm[i, j]`` counts class-``i`` samples predicted as ``j`` and the diagonal
    holds the correct ones. ``C`` is ``num_classes`` or inferred from the data (and from
    the score width when ``preds`` are ``(N, C)`` scores)."""
    yp, yt = _pair(preds, target, threshold)
    if yp.size and (yp.min() < 0 or yt.min() < 0):
        raise ValueError("confusion_matrix: class labels must be non-negative")
    inferred = max(int(yp.max(initial=-1)), int(yt.max(initial=-1))) + 1
    p = _arr(preds)
    if p.ndim >= 2 and p.shape[-1] > 1:
        inferred = max(inferred, p.shape[-1])
    if num_classes is None:
        num_classes = inferred
    elif inferred > num_classes:
        raise ValueError(f"confusion_matrix: labels up to {inferred - 1} with num_classes="
                         f"{num_classes}")
    cm = np.bincount(yt * num_classes + yp, minlength=num_classes * num_classes)
    return cm.reshape(num_classes, num_classes).astype(np.int64)


def _average(per_class: np.ndarray, support: np.ndarray, average: str | None, micro: float):
    if average is None:
        return per_class
    if average == "macro":
        return float(per_class.mean())
    if average == "weighted":
        return float((per_class * support).sum() / max(support.sum(), 1))
    if average == "micro":
        return micro
    raise ValueError(f"average must be None, 'macro', 'weighted' or 'micro', got {average!r}")


def _safe_div(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    # A class never predicted (or never present) scores 0, not NaN.
    return np.divide(a, b, out=np.zeros(a.shape, dtype=np.float64), where=b > 0)


def _per_class(preds, target, num_classes):
    """``(TP, predicted, actual, micro)``: per class ``(C,)`` true positives, predicted
    and actual counts, and the pooled score (the accuracy)."""
    cm = confusion_matrix(preds, target, num_classes)
    tp = np.diag(cm).astype(np.float64)
    return tp, cm.sum(axis=0), cm.sum(axis=1), float(tp.sum() / max(cm.sum(), 1))


def precision(preds, target, num_classes: int | None = None, average: str | None = None):
    """Per class ``TP / (TP + FP)`` (an ``(C,)`` array), or averaged: ``"macro"`` (plain
    mean), ``"weighted"`` (by class support) or ``"micro"`` (pooled; equals accuracy)."""
    tp, predicted, actual, micro = _per_class(preds, target, num_classes)
    return _average(_safe_div(tp, predicted), actual, average, micro)


def recall(preds, target, num_classes: int | None = None, average: str | None = None):
    """Per class ``TP / (TP + FN)``, or averaged as in :func:`precision`."""
    tp, _, actual, micro = _per_class(preds, target, num_classes)
    return _average(_safe_div(tp, actual), actual, average, micro)


def f1_score(preds, target, num_classes: int | None = None, average: str | None = None):
    """Per class harmonic mean of precision and recall, or averaged as in
    :func:`precision`."""
    tp, predicted, actual, micro = _per_class(preds, target, num_classes)
    p, r = _safe_div(tp, predicted), _safe_div(tp, actual)
    return _average(_safe_div(2 * p * r, p + r), actual, average, micro)
