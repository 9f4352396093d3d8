"""One training step of a small 3-D CNN in glassnet and PyTorch, side by side, plus each
3-D layer's forward and backward alone.

The network (batch 8 of 1x16x16x16 volumes, 10 classes)::

    Conv3d(1, 8, 3, padding=1) - BatchNorm3d(8) - ReLU - MaxPool3d(2)
    Conv3d(8, 16, 3, padding=1) - ReLU - AvgPool3d(2)
    Conv3d(16, 16, 3, stride=2, padding=1) - ReLU - AdaptiveAvgPool3d(1)
    Flatten - Linear(16, 10)

trained with cross-entropy and plain SGD (lr 0.01). One step is zero_grad, forward,
backward and the update. Both libraries start from the same float32 weights and see the
same batch; the steps are timed interleaved (``_timing.compare``) and the medians are
printed with their ratio (glassnet time / PyTorch time: above 1, glassnet is slower).

Run:  python benchmarks/bench_conv3d.py [--repeats 20] [--no-layers]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import compare, forward_backward, print_table, train_step  # noqa: E402

import glassnet as gn  # noqa: E402

N, LR = 8, 0.01


def build(nn):
    return nn.Sequential(
        nn.Conv3d(1, 8, 3, padding=1), nn.BatchNorm3d(8), nn.ReLU(), nn.MaxPool3d(2),
        nn.Conv3d(8, 16, 3, padding=1), nn.ReLU(), nn.AvgPool3d(2),
        nn.Conv3d(16, 16, 3, stride=2, padding=1), nn.ReLU(), nn.AdaptiveAvgPool3d(1),
        nn.Flatten(), nn.Linear(16, 10),
    )


def layers(nn):
    """Each 3-D layer alone, on a (8, 8, 16, 16, 16) input."""
    return {
        "Conv3d 3x3x3 s1": nn.Conv3d(8, 16, 3, padding=1),
        "Conv3d 3x3x3 s2": nn.Conv3d(8, 16, 3, stride=2, padding=1),
        "ConvTranspose3d s2": nn.ConvTranspose3d(8, 8, 2, stride=2),
        "MaxPool3d 2": nn.MaxPool3d(2),
        "AvgPool3d 3 s2 ceil": nn.AvgPool3d(3, 2, 1, ceil_mode=True),
        "BatchNorm3d": nn.BatchNorm3d(8),
        "Upsample trilinear x2": nn.Upsample(scale_factor=2, mode="trilinear"),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--no-layers", action="store_true", help="time the training step only")
    args = ap.parse_args()
    import torch

    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, 1, 16, 16, 16)).astype(np.float32)
    y = rng.integers(0, 10, N)
    gn.manual_seed(0)
    model = build(gn.nn)
    tmodel = build(torch.nn)
    tmodel.load_state_dict({k: torch.tensor(v.data) for k, v in model.state_dict().items()})
    xg, yg, xt, yt = gn.tensor(x), gn.tensor(y), torch.tensor(x), torch.tensor(y)
    lossf = torch.nn.CrossEntropyLoss()
    with gn.no_grad(), torch.no_grad():  # same weights, same batch: the same loss
        a = float(gn.nn.functional.cross_entropy(model(xg), yg).item())
        b = float(lossf(tmodel(xt), yt))
    assert abs(a - b) < 1e-4 * max(1.0, abs(b)), (a, b)
    cases = {
        "glassnet": train_step(model, gn.optim.SGD(model.parameters(), lr=LR),
                               gn.nn.functional.cross_entropy, xg, yg),
        "torch": train_step(tmodel, torch.optim.SGD(tmodel.parameters(), lr=LR), lossf, xt, yt),
    }
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads; NumPy "
          f"{np.__version__}, BLAS threads: "
          f"{os.environ.get('OPENBLAS_NUM_THREADS', f'default, {os.cpu_count()} CPUs')}")
    medians = compare(cases, repeats=args.repeats, warmup=3, min_time=0.05)
    print_table(f"one SGD step, 3-D CNN on {N}x1x16x16x16 (median of {args.repeats})", medians,
                reference="torch")
    print(f"  ratio glassnet / torch time: {medians['glassnet'] / medians['torch']:.2f}")
    if args.no_layers:
        return

    print("\nforward + backward of each layer on 8x8x16x16x16 (glassnet / torch time):")
    v = rng.standard_normal((N, 8, 16, 16, 16)).astype(np.float32)
    gl, tl = layers(gn.nn), layers(torch.nn)
    for name in gl:
        tl[name].load_state_dict({k: torch.tensor(t.data)
                                  for k, t in gl[name].state_dict().items()})
        m = compare({"glassnet": forward_backward(gl[name], gn.tensor(v, requires_grad=True)),
                     "torch": forward_backward(tl[name], torch.tensor(v, requires_grad=True))},
                    repeats=max(5, args.repeats // 2), warmup=2, min_time=0.02)
        print(f"  {name:<22} {m['glassnet'] * 1e3:8.2f} ms  {m['torch'] * 1e3:8.2f} ms  "
              f"ratio {m['glassnet'] / m['torch']:5.2f}")


if __name__ == "__main__":
    main()
