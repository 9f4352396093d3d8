"""gn.linalg against torch.linalg, side by side: forward + backward of a few matrix functions
on a batch of 32 float64 matrices of size 64 x 64 (forward only where marked).

Both libraries run on one thread (``torch.set_num_threads(1)``; the BLAS thread variables
are set to 1 before NumPy loads). Times are medians of interleaved repeats
(``_timing.compare``); the ratio is PyTorch's time over glassnet's (above 1: glassnet is
faster).

Run:  python benchmarks/bench_linalg.py [--repeats 15] [--n 64] [--batch 32]
"""

from __future__ import annotations

import argparse
import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np  # noqa: E402
from _timing import compare, print_table  # noqa: E402


def _cases(lib, a_np, spd_np, b_np):
    L = lib.linalg  # noqa: N806

    def leaf(x):
        return lib.tensor(x, dtype=lib.float64, requires_grad=True)

    def fwd_bwd(fn, x):
        def run():
            t = leaf(x)
            fn(t).sum().backward()

        return run

    def sym(t):
        return (t + t.transpose(-1, -2)) * 0.5

    return {
        "det": fwd_bwd(L.det, a_np),
        "inv": fwd_bwd(L.inv, a_np),
        "solve": fwd_bwd(lambda t: L.solve(t, lib.tensor(b_np)), a_np),
        "cholesky": fwd_bwd(lambda t: L.cholesky(sym(t)), spd_np),
        "qr": fwd_bwd(lambda t: L.qr(t).Q.abs() + L.qr(t).R, a_np),
        "eigh": fwd_bwd(lambda t: L.eigh(sym(t)).eigenvectors.abs(), spd_np),
        "svd": fwd_bwd(lambda t: L.svd(t, full_matrices=False).U.abs(), a_np),
        "matrix_exp": fwd_bwd(lambda t: L.matrix_exp(t * 0.1), a_np),
        "pinv": fwd_bwd(L.pinv, a_np),
        "matrix_norm nuc": fwd_bwd(lambda t: L.matrix_norm(t, "nuc"), a_np),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--n", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    args = ap.parse_args()
    import torch

    import glassnet as gn

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    a = rng.standard_normal((args.batch, args.n, args.n)) + args.n**0.5 * np.eye(args.n)
    x = rng.standard_normal((args.batch, args.n, args.n))
    spd = x @ np.swapaxes(x, -1, -2) + args.n * np.eye(args.n)
    b = rng.standard_normal((args.batch, args.n, 4))
    g_cases, t_cases = _cases(gn, a, spd, b), _cases(torch, a, spd, b)
    print(
        f"forward + backward, batch of {args.batch} float64 {args.n}x{args.n} matrices, "
        f"one thread, median of {args.repeats}"
    )
    for name in g_cases:
        med = compare(
            {"glassnet": g_cases[name], "torch": t_cases[name]}, repeats=args.repeats, warmup=2
        )
        print_table(name, med, reference="torch")


if __name__ == "__main__":
    main()
