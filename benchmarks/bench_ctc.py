"""CTC loss forward + backward in glassnet (numba and NumPy kernels) and PyTorch, side by side.

Case: log_softmax of float32 logits (T, N, C) = (100, 16, 30), padded targets (16, 30)
with target lengths 15..30 and input lengths 80..100, ``reduction='mean'``; one call is
log_softmax, ctc_loss, backward to the logits. The losses and gradients are checked
against PyTorch's (float64) before timing; the cases run interleaved
(``_timing.compare``), medians and ratios are printed. A second, smaller case (T=50, N=4,
C=20, S=10) shows the per-call overhead.

Run:  python benchmarks/bench_ctc.py [--repeats 20]
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


def _problem(T, N, C, S, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((T, N, C)).astype(np.float32)
    tg = rng.integers(1, C, (N, S))
    tl = rng.integers(S // 2, S + 1, N)
    il = rng.integers(int(T * 0.8), T + 1, N)
    il[0], tl[0] = T, S
    return x, tg, il, tl


def _step_gn(x, tg, il, tl, kernel):
    z = gn.tensor(x, requires_grad=True)
    tg, il, tl = gn.tensor(tg), gn.tensor(il), gn.tensor(tl)

    def run():
        os.environ["GLASSNET_KERNEL"] = kernel
        z.grad = None
        loss = F.ctc_loss(z.log_softmax(dim=2), tg, il, tl)
        loss.backward()
        return loss

    return z, run


def _step_torch(torch, x, tg, il, tl, dtype=None):
    z = torch.tensor(x, dtype=dtype, requires_grad=True)
    tg, il, tl = torch.tensor(tg), torch.tensor(il), torch.tensor(tl)

    def run():
        z.grad = None
        loss = torch.nn.functional.ctc_loss(z.log_softmax(2), tg, il, tl)
        loss.backward()
        return loss

    return z, run


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=20)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    for T, N, C, S in ((100, 16, 30, 30), (50, 4, 20, 10)):
        x, tg, il, tl = _problem(T, N, C, S)
        # check first: float64 against float64
        zg, rg = _step_gn(x.astype(np.float64), tg, il, tl, "numpy")
        zt, rt = _step_torch(torch, x, tg, il, tl, torch.float64)
        lg, lt = rg(), rt()
        assert abs(lg.item() - lt.item()) < 1e-9 * abs(lt.item()), (lg.item(), lt.item())
        np.testing.assert_allclose(zg.grad.data, zt.grad.numpy(), rtol=1e-7, atol=1e-10)
        cases = {}
        for kernel in ("numba", "numpy"):
            z, run = _step_gn(x, tg, il, tl, kernel)
            cases[f"glassnet ({kernel})"] = run
        cases["torch"] = _step_torch(torch, x, tg, il, tl)[1]
        medians = compare(cases, repeats=args.repeats, warmup=3)
        print_table(f"ctc_loss forward + backward, T={T} N={N} C={C} S={S}, float32 "
                    f"(torch: 1 thread)", medians, reference="torch")
    os.environ.pop("GLASSNET_KERNEL", None)


if __name__ == "__main__":
    main()
