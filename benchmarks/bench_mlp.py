"""MLP training steps in glassnet and PyTorch, side by side.

One step is forward, softmax cross-entropy, backward and an SGD update with momentum 0.9,
float32, on a fixed random batch:

(a) 64-256-256-10, batch 128;
(b) 784-1024-1024-10, batch 256 (MNIST-sized).

Both libraries start from the same weights. Times are medians of interleaved repeats
(``_timing.compare``); the achieved GFLOP/s of each step is printed next to this
machine's NumPy float32 matmul peak (a 2048x2048 product) for scale.

``--threads N`` limits both libraries' BLAS threads (on a shared, loaded machine one
thread each gives steadier numbers than threads fighting for cores).

Run:  python benchmarks/bench_mlp.py [--repeats 20] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import sys

if "--threads" in sys.argv:  # must be set before NumPy loads its BLAS
    _n = sys.argv[sys.argv.index("--threads") + 1]
    for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[_var] = _n

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import compare, format_seconds, matmul_peak, train_step  # noqa: E402

import glassnet as gn  # noqa: E402

LR, MOMENTUM = 0.01, 0.9
CONFIGS = [((64, 256, 256, 10), 128), ((784, 1024, 1024, 10), 256)]


def _weights(sizes, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        b = 1 / np.sqrt(fan_in)
        out.append((rng.uniform(-b, b, (fan_out, fan_in)).astype(np.float32),
                    rng.uniform(-b, b, fan_out).astype(np.float32)))
    return out


def _data(sizes, batch, seed=1):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((batch, sizes[0])).astype(np.float32),
            rng.integers(0, sizes[-1], batch))


def _layers(lib, sizes):
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(lib.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(lib.ReLU())
    return lib.Sequential(*layers)


def gn_step(sizes, batch):
    model = _layers(gn.nn, sizes)
    linears = [m for m in model if isinstance(m, gn.nn.Linear)]
    for layer, (W, b) in zip(linears, _weights(sizes)):
        layer.weight.data[...] = W
        layer.bias.data[...] = b
    x, y = _data(sizes, batch)
    x, y = gn.from_numpy(x), gn.from_numpy(y)
    opt = gn.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    return train_step(model, opt, gn.nn.CrossEntropyLoss(), x, y)


def torch_step(torch, sizes, batch):
    model = _layers(torch.nn, sizes)
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    with torch.no_grad():
        for layer, (W, b) in zip(linears, _weights(sizes)):
            layer.weight.copy_(torch.from_numpy(W))
            layer.bias.copy_(torch.from_numpy(b))
    x, y = _data(sizes, batch)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM)
    return train_step(model, opt, torch.nn.CrossEntropyLoss(), x, y)


def step_flops(sizes, batch) -> float:
    """Matmul FLOPs of one step: forward 2BΣ(in·out), backward twice that, less the
    input gradient of the first layer (the data needs none)."""
    macs = sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))
    return 2.0 * batch * (3 * macs - sizes[0] * sizes[1])


def _check_same_start(torch, sizes, batch) -> float:
    a, b = gn_step(sizes, batch), torch_step(torch, sizes, batch)
    return abs(float(a().item()) - float(b().item()))


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=20)
    ap.add_argument("--threads", type=int, default=None,
                    help="BLAS threads for NumPy and PyTorch (default: their own choice)")
    args = ap.parse_args(argv)
    try:
        import torch
    except ImportError:
        torch = None
        print("torch is not installed: timing glassnet only")
    if torch is not None and args.threads:
        torch.set_num_threads(args.threads)
    peak = matmul_peak(2048, repeats=10)
    print(f"glassnet {gn.__version__}, numpy {np.__version__}"
          + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else "")
          + f", {os.cpu_count()} CPUs")
    print(f"NumPy float32 matmul peak (2048^3): {peak:.1f} GFLOP/s")
    print("per training step (forward + cross-entropy + backward + SGD momentum 0.9), "
          "median of interleaved repeats\n")
    for sizes, batch in CONFIGS:
        title = "-".join(map(str, sizes)) + f", batch {batch}"
        cases = {"glassnet": gn_step(sizes, batch)}
        if torch is not None:
            cases["torch"] = torch_step(torch, sizes, batch)
            diff = _check_same_start(torch, sizes, batch)
        med = compare(cases, repeats=args.repeats, warmup=3, min_time=0.05)
        flops = step_flops(sizes, batch)
        print(f"{title}  ({flops / 1e6:.1f} MFLOP per step)")
        for name, s in med.items():
            line = (f"  {name:<9} {format_seconds(s):>10}   {flops / s / 1e9:7.1f} GFLOP/s "
                    f"({100 * flops / s / 1e9 / peak:4.0f}% of NumPy peak)")
            print(line)
        if torch is not None:
            print(f"  glassnet / torch time: {med['glassnet'] / med['torch']:.2f}x  "
                  f"(first-step loss difference {diff:.1e})")
        print()


if __name__ == "__main__":
    main()
