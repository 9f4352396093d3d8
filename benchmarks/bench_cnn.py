"""One training step of a small MNIST-sized CNN in glassnet and PyTorch, side by side.

The network (batch 64 of 1x28x28 images, 10 classes)::

    Conv2d(1, 32, 3, padding=1) - ReLU - MaxPool2d(2)
    Conv2d(32, 64, 3, padding=1) - ReLU - MaxPool2d(2)
    Flatten - Linear(3136, 128) - ReLU - Linear(128, 10)

trained with cross-entropy and plain SGD (lr 0.01). One step is zero_grad, forward,
backward and the update. Both libraries start from the same float32 weights and see the
same batch; the steps are timed interleaved (``_timing.compare``) and the medians are
printed with their ratio. Also printed: the step's GFLOP/s (counting the multiply-adds of
the convolutions and linear layers, forward and backward, as 2 FLOPs each) next to
NumPy's float32 matmul peak on this machine, and the peak memory a glassnet step
allocates (tracemalloc, which sees NumPy's buffers).

Run:  python benchmarks/bench_cnn.py [--repeats 20] [--no-torch]

Thread counts are each library's default (OpenBLAS: all cores, or OPENBLAS_NUM_THREADS;
PyTorch: torch.get_num_threads()); both are printed.
"""

from __future__ import annotations

import argparse
import os
import sys
import tracemalloc

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import compare, format_seconds, matmul_peak, print_table, train_step  # noqa: E402

import glassnet as gn  # noqa: E402
import glassnet.nn as nn  # noqa: E402
import glassnet.nn.functional as F  # noqa: E402

N, LR = 64, 0.01


def build_glassnet():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def step_flops() -> float:
    """Multiply-adds x 2 of one step: forward, plus grad of weights and of inputs."""
    conv1 = N * 28 * 28 * 32 * 9  # no input gradient needed for the first layer
    conv2 = N * 14 * 14 * 64 * 32 * 9
    fc1, fc2 = N * 3136 * 128, N * 128 * 10
    fwd = conv1 + conv2 + fc1 + fc2
    bwd = conv1 + 2 * conv2 + 2 * fc1 + 2 * fc2
    return 2.0 * (fwd + bwd)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--no-torch", action="store_true", help="time glassnet only")
    args = ap.parse_args()

    rng = np.random.default_rng(0)
    x = rng.standard_normal((N, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, N)
    gn.manual_seed(0)
    model = build_glassnet()
    opt = gn.optim.SGD(model.parameters(), lr=LR)
    xg, yg = gn.tensor(x), gn.tensor(y)

    step_gn = train_step(model, opt, F.cross_entropy, xg, yg)
    cases = {"glassnet": step_gn}
    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            print("(PyTorch not installed: timing glassnet alone)")
    if torch is not None:
        tmodel = torch.nn.Sequential(
            torch.nn.Conv2d(1, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(32, 64, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Flatten(), torch.nn.Linear(3136, 128), torch.nn.ReLU(),
            torch.nn.Linear(128, 10),
        )
        tmodel.load_state_dict({k: torch.tensor(v.data) for k, v in model.state_dict().items()})
        topt = torch.optim.SGD(tmodel.parameters(), lr=LR)
        xt, yt = torch.tensor(x), torch.tensor(y)
        lossf = torch.nn.CrossEntropyLoss()
        # Same weights, same batch: the first losses agree.
        with gn.no_grad(), torch.no_grad():
            a = float(F.cross_entropy(model(xg), yg).item())
            b = float(lossf(tmodel(xt), yt))
        assert abs(a - b) < 1e-4 * max(1.0, abs(b)), (a, b)
        cases["torch"] = train_step(tmodel, topt, lossf, xt, yt)
        print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads")

    blas = os.environ.get("OPENBLAS_NUM_THREADS", f"default, {os.cpu_count()} CPUs visible")
    print(f"NumPy {np.__version__}, BLAS threads: {blas}")
    medians = compare(cases, repeats=args.repeats, warmup=3, min_time=0.05)
    print_table(f"one SGD step, CNN on {N}x1x28x28 (median of {args.repeats})", medians,
                reference="torch" if torch is not None else None)
    if torch is not None:
        print(f"  ratio glassnet / torch time: {medians['glassnet'] / medians['torch']:.2f}")

    flops = step_flops()
    print(f"work per step: {flops / 1e9:.3f} GFLOP")
    for name, s in medians.items():
        print(f"  {name:<9} {flops / s / 1e9:7.1f} GFLOP/s")
    print(f"  NumPy float32 matmul peak (1024^3): {matmul_peak():.1f} GFLOP/s")

    tracemalloc.start()
    step_gn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak memory allocated during one glassnet step: {peak / 2**20:.1f} MiB")
    print(f"(time per glassnet step {format_seconds(medians['glassnet'])})")


if __name__ == "__main__":
    main()
