"""EmbeddingBag forward + backward in glassnet (numba and NumPy kernels) and PyTorch, side by
side.

Case: a float32 table of 50,000 x 64, 200,000 indices cut into 10,000 bags of random sizes
by ``offsets``; one call is ``F.embedding_bag`` (mode sum, mean or max), ``.sum()`` and the
backward to the table. The results and gradients are checked against PyTorch's first;
the cases run interleaved (``_timing.compare``), medians and ratios are printed.

Run:  python benchmarks/bench_embedding_bag.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import compare, print_table  # noqa: E402

import glassnet as gn  # noqa: E402
import glassnet.nn.functional as F  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    V, D, n, B = 50_000, 64, 200_000, 10_000
    W = rng.standard_normal((V, D)).astype(np.float32)
    idx = rng.integers(0, V, n)
    off = np.sort(rng.choice(n, B, replace=False))
    off[0] = 0
    for mode in ("sum", "mean", "max"):
        cases = {}
        for kernel in ("numba", "numpy"):
            g = gn.tensor(W, requires_grad=True)
            gi, go = gn.tensor(idx), gn.tensor(off)

            def run(g=g, gi=gi, go=go, kernel=kernel, mode=mode):
                os.environ["GLASSNET_KERNEL"] = kernel
                g.grad = None
                out = F.embedding_bag(gi, g, go, mode=mode)
                out.sum().backward()
                return out, g.grad

            cases[f"glassnet ({kernel})"] = run
        t = torch.tensor(W, requires_grad=True)
        ti, to = torch.tensor(idx), torch.tensor(off)

        def run_torch(t=t, ti=ti, to=to, mode=mode):
            t.grad = None
            out = torch.nn.functional.embedding_bag(ti, t, to, mode=mode)
            out.sum().backward()
            return out, t.grad

        cases["torch"] = run_torch
        want, want_g = run_torch()
        for name in ("glassnet (numba)", "glassnet (numpy)"):
            out, grad = cases[name]()
            np.testing.assert_allclose(out.data, want.detach().numpy(), rtol=1e-4, atol=1e-4)
            np.testing.assert_allclose(grad.data, want_g.numpy(), rtol=1e-4, atol=1e-4)
        medians = compare(cases, repeats=args.repeats, warmup=1, min_time=0.0)
        print_table(f"embedding_bag mode={mode!r} forward + backward, {V}x{D} table, {n} "
                    f"indices in {B} bags, float32 (torch: 1 thread)", medians,
                    reference="torch")
    os.environ.pop("GLASSNET_KERNEL", None)


if __name__ == "__main__":
    main()
