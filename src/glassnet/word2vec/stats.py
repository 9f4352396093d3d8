"""Pearson and Spearman correlation with two-sided p-values, in NumPy only.

The p-value of a correlation ``r`` from ``n`` pairs comes from Student's t with
``n - 2`` degrees of freedom: ``t = r sqrt((n-2) / (1-r^2))`` and
``p = I_x((n-2)/2, 1/2)`` with ``x = (n-2) / (n-2 + t^2)``, where ``I`` is the
regularized incomplete beta function (evaluated by its continued fraction).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np

__all__ = ["CorrelationResult", "pearsonr", "spearmanr", "rankdata"]


class CorrelationResult(NamedTuple):
    """A correlation coefficient and its two-sided p-value (unpacks as a pair)."""

    statistic: float
    pvalue: float

    @property
    def correlation(self) -> float:
        return self.statistic


def _betacf(a: float, b: float, x: float) -> float:
    """Continued fraction of the incomplete beta function (modified Lentz)."""
    tiny = 1e-300
    qab, qap, qam = a + b, a + 1.0, a - 1.0
    c = 1.0
    d = 1.0 - qab * x / qap
    d = 1.0 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, 500):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1.0 + aa * d
        d = 1.0 / (d if abs(d) > tiny else tiny)
        c = 1.0 + aa / c
        c = c if abs(c) > tiny else tiny
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return h


def betainc(a: float, b: float, x: float) -> float:
    """The regularized incomplete beta function I_x(a, b), 0 <= x <= 1."""
    if x <= 0.0:
        return 0.0
    if x >= 1.0:
        return 1.0
    lbeta = math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b)
    front = math.exp(lbeta + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1.0) / (a + b + 2.0):
        return front * _betacf(a, b, x) / a
    return 1.0 - front * _betacf(b, a, 1.0 - x) / b


def _pvalue(r: float, n: int) -> float:
    df = n - 2
    if df <= 0 or math.isnan(r):
        return float("nan")
    if abs(r) >= 1.0:
        return 0.0
    t2 = r * r * df / (1.0 - r * r)
    return betainc(0.5 * df, 0.5, df / (df + t2))


def _samples(x, y, who: str) -> tuple[np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if x.shape != y.shape or x.ndim != 1:
        raise ValueError(f"{who}: expected two 1-D samples of equal length, got {x.shape} "
                         f"and {y.shape}")
    return x, y


def pearsonr(x, y) -> CorrelationResult:
    """Pearson's r of two equal-length 1-D samples, with its two-sided p-value."""
    x, y = _samples(x, y, "pearsonr")
    if len(x) < 2:
        return CorrelationResult(float("nan"), float("nan"))
    xm = x - x.mean()
    ym = y - y.mean()
    den = math.sqrt(float(xm @ xm) * float(ym @ ym))
    r = float(xm @ ym) / den if den > 0 else float("nan")
    r = max(-1.0, min(1.0, r)) if not math.isnan(r) else r
    return CorrelationResult(r, _pvalue(r, len(x)))


def rankdata(a) -> np.ndarray:
    """Ranks 1..n, ties given the mean of the ranks they span."""
    a = np.asarray(a, dtype=np.float64)
    order = np.argsort(a, kind="mergesort")
    sa = a[order]
    starts = np.r_[True, sa[1:] != sa[:-1]]
    group = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    last = np.r_[first[1:], len(a)] - 1
    mean_rank = (first + last) / 2.0 + 1.0
    ranks = np.empty(len(a))
    ranks[order] = mean_rank[group]
    return ranks


def spearmanr(x, y) -> CorrelationResult:
    """Spearman's rho (Pearson's r of the ranks), with its two-sided p-value."""
    x, y = _samples(x, y, "spearmanr")
    return pearsonr(rankdata(x), rankdata(y))
