"""The earth mover's distance, exactly: a transportation problem solved by min-cost flow.

Word Mover's Distance moves the word frequencies of one document onto those of another
at the least total cost (the sum of mass x distance moved). glassnet solves that linear
program itself, with no optimisation library: frequencies ``count / length`` are scaled
to integers (``count * lcm / length``) so every flow is an integer and the answer is the
exact optimum, not an approximation.

The method is successive shortest paths on the bipartite residual graph: sources (words
of document 1, each with its remaining supply) and sinks (words of document 2, each with
its remaining demand). Forward edges ``i -> j`` have cost ``C[i, j]`` and no capacity
limit; a reverse edge ``j -> i`` exists where flow ``F[i, j] > 0`` and has cost
``-C[i, j]`` (moving mass back). Node potentials keep every reduced cost
``C[i, j] + p_i - p_j`` non-negative, so each shortest path is found with Dijkstra's
algorithm; every source that still has supply starts at distance 0 (a super-source with
zero-cost edges to them). Each augmentation sends as much as the path allows: it uses up
a source, fills a sink or empties a reverse edge. At the end the reduced cost of every
edge carrying flow is 0 and none is negative, which is the LP's optimality condition.

Two kernels compute the same flow with the same operations in the same order (ties go
to the source, then the lowest index): :func:`_flow_numpy`, vectorised over one node's
edges, and :func:`_flow_loops`, plain loops that numba compiles when it is available
(``glassnet.backend.kernel_choice``; ``GLASSNET_KERNEL=numpy`` picks the first).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["emd"]


def emd(counts1, counts2, cost) -> tuple[float, np.ndarray]:
    """Earth mover's distance between two histograms of integer counts.

    ``counts1`` (m,) and ``counts2`` (n,) are positive integers (word counts); the
    distributions moved are ``counts1 / counts1.sum()`` and ``counts2 / counts2.sum()``.
    ``cost`` (m, n) holds non-negative finite costs. Returns ``(distance, flow)`` with
    ``flow`` (m, n) the optimal plan in the same units as the distributions (rows sum to
    ``counts1 / sum``, columns to ``counts2 / sum``) and ``distance = (flow * cost).sum()``.
    """
    c1 = np.asarray(counts1)
    c2 = np.asarray(counts2)
    cost = np.asarray(cost, dtype=np.float64)
    if c1.ndim != 1 or c2.ndim != 1 or cost.shape != (len(c1), len(c2)):
        raise ValueError(f"emd: expected counts (m,), (n,) and cost (m, n), got "
                         f"{c1.shape}, {c2.shape} and {cost.shape}")
    if len(c1) == 0 or len(c2) == 0:
        raise ValueError("emd: both histograms need at least one bin")
    if c1.dtype.kind not in "iu" or c2.dtype.kind not in "iu" or (c1 <= 0).any() \
            or (c2 <= 0).any():
        raise ValueError("emd: counts must be positive integers")
    if not np.isfinite(cost).all() or (cost < 0).any():
        raise ValueError("emd: costs must be finite and non-negative")
    l1, l2 = int(c1.sum()), int(c2.sum())
    total = math.lcm(l1, l2)
    supply = c1.astype(np.int64) * (total // l1)  # both now sum to `total`
    demand = c2.astype(np.int64) * (total // l2)
    flow = _kernel()(supply, demand, np.ascontiguousarray(cost))
    plan = flow / total
    return float((plan * cost).sum()), plan


_compiled = None


def _kernel():
    """The flow kernel: numba-compiled loops, or the NumPy version."""
    global _compiled
    from ..backend import kernel_choice

    if kernel_choice("auto", "wmdistance") == "numpy":
        return _flow_numpy
    if _compiled is None:
        from numba import njit

        _compiled = njit(cache=True, nogil=True)(_flow_loops)
    return _compiled


def _flow_numpy(supply: np.ndarray, demand: np.ndarray, C: np.ndarray) -> np.ndarray:
    """Integer flow (m, n) meeting every supply and demand at least cost (sums equal)."""
    m, n = C.shape
    F = np.zeros((m, n), dtype=np.int64)
    s, t = supply.copy(), demand.copy()
    p_src, p_snk = np.zeros(m), np.zeros(n)  # potentials; the super-source's stays 0
    inf = np.inf
    while s.any():
        # Dijkstra on reduced costs. Sources holding supply start at 0 and are settled at
        # once: relax all their forward edges in one step.
        d_src = np.where(s > 0, 0.0, inf)
        d_snk = np.full(n, inf)
        prev_snk = np.full(n, -1)  # the source a sink was reached from
        prev_src = np.full(m, -1)  # the sink a source was reached from (reverse edge)
        done_src, done_snk = s > 0, np.zeros(n, bool)
        start = np.flatnonzero(done_src)
        rc = np.maximum(C[start] + p_src[start, None] - p_snk[None, :], 0.0)
        best = rc.argmin(axis=0)
        d_snk = rc[best, np.arange(n)]
        prev_snk = start[best]
        while True:
            ds = np.where(done_src, inf, d_src)
            dk = np.where(done_snk, inf, d_snk)
            i, j = int(ds.argmin()), int(dk.argmin())
            if ds[i] == inf and dk[j] == inf:
                break
            if ds[i] <= dk[j]:  # settle source i: forward edges to every sink
                done_src[i] = True
                cand = d_src[i] + np.maximum(C[i] + p_src[i] - p_snk, 0.0)
                better = ~done_snk & (cand < d_snk)
                d_snk[better] = cand[better]
                prev_snk[better] = i
            else:  # settle sink j: reverse edges to the sources sending it flow
                done_snk[j] = True
                back = F[:, j] > 0
                cand = d_snk[j] + np.maximum(-C[:, j] + p_snk[j] - p_src, 0.0)
                better = back & ~done_src & (cand < d_src)
                d_src[better] = cand[better]
                prev_src[better] = j
        # the sink with demand left that is nearest in real cost (reduced + potential)
        real = np.where((t > 0) & done_snk, d_snk + p_snk, inf)
        j = int(real.argmin())
        if real[j] == inf:  # cannot happen with finite costs: every sink is reachable
            raise RuntimeError("emd: no augmenting path (internal error)")
        # walk back to a source with supply, collecting the bottleneck
        path = []
        delta = int(t[j])
        jj = j
        while True:
            i = int(prev_snk[jj])
            path.append((i, jj))
            if prev_src[i] < 0:  # a source that holds supply: the start
                delta = min(delta, int(s[i]))
                break
            jj = int(prev_src[i])
            delta = min(delta, int(F[i, jj]))  # the reverse edge jj -> i
        for i, jj in path:
            F[i, jj] += delta
            if prev_src[i] >= 0:
                F[i, int(prev_src[i])] -= delta
        s[path[-1][0]] -= delta
        t[j] -= delta
        p_src = np.where(done_src, p_src + np.where(np.isfinite(d_src), d_src, 0.0), p_src)
        p_snk = np.where(done_snk, p_snk + np.where(np.isfinite(d_snk), d_snk, 0.0), p_snk)
    return F


def _flow_loops(supply, demand, C):
    """:func:`_flow_numpy` written as plain loops, for numba."""
    m, n = C.shape
    inf = np.inf
    F = np.zeros((m, n), dtype=np.int64)
    s, t = supply.copy(), demand.copy()
    p_src, p_snk = np.zeros(m), np.zeros(n)
    d_src, d_snk = np.empty(m), np.empty(n)
    prev_src = np.empty(m, dtype=np.int64)
    prev_snk = np.empty(n, dtype=np.int64)
    done_src = np.empty(m, dtype=np.bool_)
    done_snk = np.empty(n, dtype=np.bool_)
    left = s.sum()
    while left > 0:
        for i in range(m):
            prev_src[i] = -1
            done_src[i] = s[i] > 0
            d_src[i] = 0.0 if s[i] > 0 else inf
        for j in range(n):
            d_snk[j] = inf
            prev_snk[j] = -1
            done_snk[j] = False
        for i in range(m):  # the sources holding supply, settled at distance 0
            if s[i] > 0:
                for j in range(n):
                    r = max(C[i, j] + p_src[i] - p_snk[j], 0.0)
                    if r < d_snk[j]:
                        d_snk[j] = r
                        prev_snk[j] = i
        while True:
            best, k, is_src = inf, -1, False
            for i in range(m):
                if not done_src[i] and d_src[i] < best:
                    best, k, is_src = d_src[i], i, True
            for j in range(n):
                if not done_snk[j] and d_snk[j] < best:
                    best, k, is_src = d_snk[j], j, False
            if k < 0:
                break
            if is_src:
                done_src[k] = True
                for j in range(n):
                    if not done_snk[j]:
                        c = d_src[k] + max(C[k, j] + p_src[k] - p_snk[j], 0.0)
                        if c < d_snk[j]:
                            d_snk[j] = c
                            prev_snk[j] = k
            else:
                done_snk[k] = True
                for i in range(m):
                    if F[i, k] > 0 and not done_src[i]:
                        c = d_snk[k] + max(-C[i, k] + p_snk[k] - p_src[i], 0.0)
                        if c < d_src[i]:
                            d_src[i] = c
                            prev_src[i] = k
        best, j = inf, -1
        for jj in range(n):
            if t[jj] > 0 and done_snk[jj] and d_snk[jj] + p_snk[jj] < best:
                best, j = d_snk[jj] + p_snk[jj], jj
        if j < 0:
            raise RuntimeError("emd: no augmenting path (internal error)")
        delta = t[j]
        jj = j
        while True:  # the bottleneck along the path back to a source with supply
            i = prev_snk[jj]
            if prev_src[i] < 0:
                delta = min(delta, s[i])
                break
            jj = prev_src[i]
            delta = min(delta, F[i, jj])
        jj = j
        while True:
            i = prev_snk[jj]
            F[i, jj] += delta
            if prev_src[i] < 0:
                s[i] -= delta
                break
            jj = prev_src[i]
            F[i, jj] -= delta
        t[j] -= delta
        left -= delta
        for i in range(m):
            if done_src[i]:
                p_src[i] += d_src[i]
        for jj in range(n):
            if done_snk[jj]:
                p_snk[jj] += d_snk[jj]
    return F
