"""glassnet's special functions against PyTorch's, side by side: the forward of a few
functions on 100,000 float64 values (one thread each; glassnet's numba ufuncs built before
timing). Times are medians of interleaved repeats (``_timing.compare``); the ratio is
PyTorch's time over glassnet's (above 1: glassnet is faster).

Run:  python benchmarks/bench_special.py [--repeats 15] [--n 100000]
"""

from __future__ import annotations

import argparse
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from _timing import compare, print_table  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--n", type=int, default=100_000)
    args = ap.parse_args()

    import torch

    import glassnet as gn

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    real = rng.uniform(-20, 20, args.n)
    unit = rng.uniform(-0.999, 0.999, args.n)
    prob = rng.uniform(1e-6, 1 - 1e-6, args.n)
    S, TS = gn.special, torch.special  # noqa: N806
    cases = [
        ("erfc", gn.erfc, torch.erfc, real),
        ("erfinv", gn.erfinv, torch.erfinv, unit),
        ("lgamma", gn.lgamma, torch.lgamma, real),
        ("digamma", gn.digamma, torch.digamma, real),
        ("polygamma(2, x)", lambda x: gn.polygamma(2, x), lambda x: torch.polygamma(2, x), real),
        ("i1e", S.i1e, TS.i1e, real),
        ("ndtri", S.ndtri, TS.ndtri, prob),
        ("log_ndtr", S.log_ndtr, TS.log_ndtr, real),
    ]
    for name, g, t, x in cases:
        gx, tx = gn.tensor(x, dtype=gn.float64), torch.tensor(x, dtype=torch.float64)
        g(gx)  # builds the numba ufuncs, outside the timing
        medians = compare({"glassnet": lambda g=g, gx=gx: g(gx),
                           "torch": lambda t=t, tx=tx: t(tx)}, repeats=args.repeats)
        print_table(f"{name} on {args.n:,} float64 values", medians, reference="torch")


if __name__ == "__main__":
    main()
