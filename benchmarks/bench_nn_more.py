"""Forward + backward of the newer layers in glassnet and PyTorch, side by side.

Cases (float32, one call = forward, sum, backward):

* ``ConvTranspose2d(32, 16, 4, stride=2, padding=1)`` on a batch of 16 x 32 x 16 x 16
  (a DCGAN-style upsampling step to 32 x 32);
* ``F.interpolate(scale_factor=2, mode="bilinear")`` on 16 x 32 x 32 x 32;
* ``GroupNorm(8, 32)`` on 16 x 32 x 32 x 32;
* ``F.gelu`` on 256 x 1024 (exact, with the error function; and ``approximate="tanh"``).

The cases run interleaved (``_timing.compare``); medians and the ratio are printed. On a
busy machine ``--cpu`` times CPU seconds of this process instead of wall-clock and
``--torch-threads 1`` compares one core with one core; ``--only gelu`` runs the cases
whose title starts with that word.

Run:  python benchmarks/bench_nn_more.py [--repeats 15] [--cpu] [--torch-threads N]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import compare, forward_backward, print_table  # noqa: E402

import glassnet as gn  # noqa: E402
import glassnet.nn.functional as F  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--cpu", action="store_true", help="time CPU seconds, not wall-clock")
    ap.add_argument("--torch-threads", type=int, default=0, help="0: PyTorch's default")
    ap.add_argument("--only", default="", help="run the cases whose title starts with this")
    args = ap.parse_args()
    import torch

    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    timer = time.process_time if args.cpu else time.perf_counter

    rng = np.random.default_rng(0)
    cases = {
        "ConvTranspose2d(32, 16, 4, stride=2, padding=1), 16x32x16x16": (
            (16, 32, 16, 16),
            lambda lib: lib.nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1),
        ),
        "interpolate bilinear x2, 16x32x32x32": (
            (16, 32, 32, 32),
            lambda lib: (lambda x: (F if lib is gn else torch.nn.functional).interpolate(
                x, scale_factor=2, mode="bilinear")),
        ),
        "GroupNorm(8, 32), 16x32x32x32": (
            (16, 32, 32, 32), lambda lib: lib.nn.GroupNorm(8, 32)),
        "gelu, 256x1024": (
            (256, 1024), lambda lib: (F if lib is gn else torch.nn.functional).gelu),
        "gelu tanh, 256x1024": (
            (256, 1024), lambda lib: (lambda x: (F if lib is gn else torch.nn.functional).gelu(
                x, approximate="tanh"))),
    }
    print(f"torch threads: {torch.get_num_threads()}; timer: "
          f"{'CPU time' if args.cpu else 'wall-clock'}; GLASSNET_KERNEL="
          f"{os.environ.get('GLASSNET_KERNEL', 'auto')}")
    for title, (shape, make) in cases.items():
        if not title.startswith(args.only):
            continue
        data = rng.standard_normal(shape).astype(np.float32)
        g_layer, t_layer = make(gn), make(torch)
        if hasattr(t_layer, "state_dict"):
            g_layer.load_state_dict({k: v.detach().numpy() for k, v in
                                     t_layer.state_dict().items()})
        gx = gn.tensor(data, requires_grad=True)
        tx = torch.tensor(data, requires_grad=True)
        gy, ty = g_layer(gx), t_layer(tx)
        assert np.allclose(gy.data, ty.detach().numpy(), rtol=1e-4, atol=1e-4), title
        medians = compare({"glassnet": forward_backward(g_layer, gx),
                           "torch": forward_backward(t_layer, tx)}, repeats=args.repeats,
                          timer=timer)
        print_table(title, medians, reference="torch")


if __name__ == "__main__":
    main()
