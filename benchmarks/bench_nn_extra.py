"""Forward + backward of the layers in ``nn/extra.py`` in glassnet and PyTorch, side by side.

Cases (float32, one call = forward, sum, backward):

* ``F.unfold(kernel_size=3, padding=1)`` on 16 x 32 x 32 x 32 (im2col);
* ``F.fold`` back to 32 x 32 from those columns;
* ``AdaptiveMaxPool2d((7, 7))`` on 16 x 64 x 30 x 30;
* ``F.max_pool2d_with_indices(3, 2, 1)`` on 16 x 32 x 32 x 32;
* ``PixelShuffle(2)`` on 16 x 64 x 32 x 32;
* ``Bilinear(64, 64, 32)`` on a batch of 512;
* ``RMSNorm(512)`` on 64 x 128 x 512.

The cases run interleaved (``_timing.compare``); medians and the ratio are printed.
Outputs are checked against PyTorch's before timing.

Run:  python benchmarks/bench_nn_extra.py [--repeats 15]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import compare, forward_backward, print_table  # noqa: E402

import glassnet as gn  # noqa: E402
import glassnet.nn.functional as F  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()
    import torch

    TF = torch.nn.functional

    def fn(name, **kw):
        return lambda lib: (lambda *x: getattr(F if lib is gn else TF, name)(*x, **kw))

    cases = {
        "unfold k=3 p=1, 16x32x32x32": ([(16, 32, 32, 32)], fn("unfold", kernel_size=3,
                                                               padding=1)),
        "fold to 32x32 k=3 p=1, 16x288x1024": ([(16, 288, 1024)], fn(
            "fold", output_size=32, kernel_size=3, padding=1)),
        "AdaptiveMaxPool2d((7, 7)), 16x64x30x30": ([(16, 64, 30, 30)],
                                                  lambda lib: lib.nn.AdaptiveMaxPool2d(7)),
        "max_pool2d_with_indices(3, 2, 1), 16x32x32x32": (
            [(16, 32, 32, 32)], lambda lib: (lambda x: F.max_pool2d_with_indices(x, 3, 2, 1)[0])
            if lib is gn else (lambda x: TF.max_pool2d(x, 3, 2, 1, return_indices=True)[0])),
        "PixelShuffle(2), 16x64x32x32": ([(16, 64, 32, 32)], lambda lib: lib.nn.PixelShuffle(2)),
        "Bilinear(64, 64, 32), 512": ([(512, 64), (512, 64)],
                                      lambda lib: lib.nn.Bilinear(64, 64, 32)),
        "RMSNorm(512), 64x128x512": ([(64, 128, 512)], lambda lib: lib.nn.RMSNorm(512)),
    }
    rng = np.random.default_rng(0)
    print(f"torch threads: {torch.get_num_threads()}")
    for title, (shapes, make) in cases.items():
        datas = [rng.standard_normal(s).astype(np.float32) for s in shapes]
        g_layer, t_layer = make(gn), make(torch)
        if hasattr(t_layer, "state_dict"):
            g_layer.load_state_dict({k: v.detach().numpy() for k, v in
                                     t_layer.state_dict().items()})
        gx = [gn.tensor(d, requires_grad=True) for d in datas]
        tx = [torch.tensor(d, requires_grad=True) for d in datas]
        gy, ty = g_layer(*gx), t_layer(*tx)
        assert np.allclose(gy.data, ty.detach().numpy(), rtol=1e-4, atol=1e-4), title
        medians = compare({"glassnet": forward_backward(g_layer, *gx),
                           "torch": forward_backward(t_layer, *tx)},
                          repeats=args.repeats)
        print_table(title, medians, reference="torch")


if __name__ == "__main__":
    main()
