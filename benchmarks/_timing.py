"""A small timing helper shared by the benchmark scripts.

The API is a few functions::

    from _timing import compare, print_table, import_times, train_step, matmul_peak

    step_gn = train_step(model, opt, loss_fn, x, y)   # works for glassnet and PyTorch
    medians = compare({"glassnet": step_gn, "torch": step_torch}, repeats=30, warmup=5)
    print_table("one training step", medians, reference="torch")
    import_times(["glassnet", "torch"])   # median seconds of each import, fresh processes
    matmul_peak(1024)                     # NumPy float32 GEMM GFLOP/s, for scale

``compare`` runs the cases *interleaved*: every repeat times each case once, in an order
rotated from repeat to repeat, so a burst of load on a shared machine hits all cases alike.
Each sample calls the case ``number`` times (chosen so a sample lasts about ``min_time``
seconds) and the result per case is the median seconds per call over the repeats.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable

__all__ = ["compare", "print_table", "import_times", "format_seconds", "train_step",
           "matmul_peak"]


def _calibrate(fn: Callable[[], object], min_time: float, timer) -> int:
    """How many calls make one sample of at least ``min_time`` seconds."""
    number = 1
    while True:
        t0 = timer()
        for _ in range(number):
            fn()
        dt = timer() - t0
        if dt >= min_time or number >= 1 << 20:
            return number
        number = max(number * 2, int(number * min_time / max(dt, 1e-9) * 1.2))


def compare(
    cases: dict[str, Callable[[], object]],
    repeats: int = 30,
    warmup: int = 5,
    min_time: float = 0.01,
    timer: Callable[[], float] = time.perf_counter,
) -> dict[str, float]:
    """Median seconds per call of each case, timed interleaved.

    ``cases`` maps a label to a callable taking no arguments. ``warmup`` calls of each are
    made (and discarded) first; then ``repeats`` rounds each time every case once.
    ``timer`` is wall-clock by default; ``time.process_time`` (CPU time of this process)
    is steadier on a busy machine but counts every thread a case uses.
    Returns ``{label: median seconds per call}`` in the order of ``cases``.
    """
    names = list(cases)
    for name in names:
        for _ in range(warmup):
            cases[name]()
    numbers = {name: _calibrate(cases[name], min_time, timer) for name in names}
    samples: dict[str, list[float]] = {name: [] for name in names}
    for r in range(repeats):
        k = r % len(names)
        for name in names[k:] + names[:k]:
            fn, n = cases[name], numbers[name]
            t0 = timer()
            for _ in range(n):
                fn()
            samples[name].append((timer() - t0) / n)
    return {name: statistics.median(samples[name]) for name in names}


def format_seconds(s: float) -> str:
    """Seconds as microseconds (or milliseconds when large), e.g. ``'52.3 us'``."""
    us = s * 1e6
    return f"{us / 1000:.2f} ms" if us >= 10_000 else f"{us:.1f} us"


def print_table(title: str, medians: dict[str, float], reference: str | None = None) -> None:
    """Print each case's median and, with ``reference``, how many times faster it is.

    A ratio above 1 means the case is that many times faster than the reference.
    """
    print(f"{title}")
    width = max(len(n) for n in medians)
    ref = medians.get(reference) if reference else None
    for name, s in medians.items():
        line = f"  {name:<{width}}  {format_seconds(s):>10}"
        if ref is not None and name != reference:
            line += f"   {ref / s:6.2f}x faster than {reference}"
        print(line)


def import_times(modules: list[str], repeats: int = 5) -> dict[str, float]:
    """Median seconds of ``import <module>`` for each module, each in a fresh process.

    Interpreter start-up is excluded (the child times only the import statement); the
    modules are imported in turn, ``repeats`` rounds, so machine load hits all alike.
    """
    times: dict[str, list[float]] = {m: [] for m in modules}
    for _ in range(repeats):
        for m in modules:
            code = (
                "import time; t0 = time.perf_counter(); "
                f"import {m}; print(time.perf_counter() - t0)"
            )
            out = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, check=True
            )
            times[m].append(float(out.stdout.strip().splitlines()[-1]))
    return {m: statistics.median(ts) for m, ts in times.items()}


def forward_backward(layer, *xs) -> Callable[[], object]:
    """One forward of ``layer(*xs)`` and the backward of its sum (the inputs' old
    gradients dropped first); works for glassnet and PyTorch alike."""

    def run():
        for x in xs:
            x.grad = None
        y = layer(*xs)
        y.sum().backward()
        return y

    return run


def train_step(model, opt, loss_fn, x, y) -> Callable[[], object]:
    """The step a benchmark times: zero_grad, ``loss_fn(model(x), y)``, backward and the
    optimizer's update; returns the loss. The same for glassnet and PyTorch objects."""

    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    return step


def matmul_peak(n: int = 1024, repeats: int = 7) -> float:
    """GFLOP/s of a float32 n x n NumPy matmul, the best of ``repeats`` (for scale)."""
    import numpy as np

    rng = np.random.default_rng(0)
    a = rng.standard_normal((n, n)).astype(np.float32)
    b = rng.standard_normal((n, n)).astype(np.float32)
    a @ b
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        a @ b
        best = min(best, time.perf_counter() - t0)
    return 2.0 * n**3 / best / 1e9
