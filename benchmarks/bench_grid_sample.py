"""A spatial transformer's sampling step in glassnet and PyTorch, side by side:
``affine_grid`` + ``grid_sample`` (bilinear, zeros padding) forward and the backward of the
sum to the image and to theta, float32, a batch of 16 images 3 x 64 x 64.

The outputs and gradients are checked against PyTorch's first; the cases run interleaved
(``_timing.compare``), medians and the ratio are printed.

Run:  python benchmarks/bench_grid_sample.py [--repeats 15]
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
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    import torch

    torch.set_num_threads(1)
    TF = torch.nn.functional
    rng = np.random.default_rng(0)
    N, C, H, W = 16, 3, 64, 64
    img = rng.standard_normal((N, C, H, W)).astype(np.float32)
    theta = (np.eye(2, 3) + 0.2 * rng.standard_normal((N, 2, 3))).astype(np.float32)

    def case(lib, fn):
        x = lib.tensor(img, requires_grad=True)
        th = lib.tensor(theta, requires_grad=True)

        def run():
            x.grad = th.grad = None
            grid = fn.affine_grid(th, (N, C, H, W), align_corners=False)
            out = fn.grid_sample(x, grid, align_corners=False)
            out.sum().backward()
            return out, x.grad, th.grad

        return run

    cases = {"glassnet": case(gn, F), "torch": case(torch, TF)}
    got, want = cases["glassnet"](), cases["torch"]()
    for a, b, what in zip(got, want, ("output", "image gradient", "theta gradient")):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=2e-3, atol=2e-3,
                                   err_msg=what)
    medians = compare(cases, repeats=args.repeats, warmup=2)
    print_table(f"affine_grid + grid_sample forward + backward, {N}x{C}x{H}x{W}, float32 "
                f"(torch: 1 thread)", medians, reference="torch")


if __name__ == "__main__":
    main()
