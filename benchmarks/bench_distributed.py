"""Data-parallel training over MPI: step time and images/s on 1 and 2 ranks, and the
cost model's projection to 8, 64 and 512 ranks.

Three networks of the other benchmarks, trained with DistributedDataParallel and SGD on
random data of the right shape (float32):

    digits MLP   64-128-10            global batch 64   (the distributed_digits example)
    MNIST MLP    784-1024-1024-10     global batch 256  (bench_mlp's larger network)
    MNIST CNN    bench_cnn's network  global batch 64

Measured (one machine, ranks talk through shared memory): for N = 1 and 2 ranks the
global batch stays fixed (each rank takes batch / N, as in the example whose weights
equal one process's), one step = zero_grad, forward, backward with the bucketed
all-reduce, SGD update, with a barrier before each timed step; the median over the
repeats. At N = 1 the same step without the wrapper is timed too (the wrapper's own
cost); at N = 2 a bare all-reduce of the gradient's size (this machine's communication
cost) and a step that averages the gradients with one all-reduce after backward (what
the buckets started during backward save).

Projected (the plan past one machine): per-rank batch fixed at the global batch above
(weak scaling, the usual way to add machines), the compute time per step measured at
N = 1, and a ring all-reduce of the G gradient bytes per step:

    T_comm(N) = 2 (N - 1) / N * G / bandwidth + 2 (N - 1) * latency
    efficiency(N) = T_compute / (T_compute + T_comm(N))     (no overlap: a lower bound)

for 10 Gbit/s (latency 30 us, TCP over Ethernet) and 100 Gbit/s links (latency 3 us,
RDMA), 1.25 and 12.5 GB/s.

Run:  python benchmarks/bench_distributed.py [--repeats 30]
(it starts ``mpiexec -n 1`` and ``mpiexec -n 2`` itself, one BLAS thread per rank).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

NETWORKS = {
    "digits MLP": dict(kind="mlp", sizes=(64, 128, 10), batch=64),
    "MNIST MLP": dict(kind="mlp", sizes=(784, 1024, 1024, 10), batch=256),
    "MNIST CNN": dict(kind="cnn", batch=64),
}
LINKS = {"10 Gbit/s": (1.25e9, 30e-6), "100 Gbit/s": (12.5e9, 3e-6)}
PROJECT = (8, 64, 512)


def _build(spec):
    import glassnet as gn

    nn = gn.nn
    gn.manual_seed(0)
    if spec["kind"] == "mlp":
        s = spec["sizes"]
        layers = []
        for a, b in zip(s[:-1], s[1:]):
            layers += [nn.Linear(a, b), nn.ReLU()]
        return nn.Sequential(*layers[:-1]), (s[0],), s[-1]
    model = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10))
    return model, (1, 28, 28), 10


def _timed(cases: dict, repeats: int, warmup: int) -> dict:
    """Median seconds per call of each case, timed interleaved (each repeat runs every
    case once, in an order rotated from repeat to repeat, so a burst of load on the shared
    machine hits all cases alike), each call between two barriers."""
    import glassnet.distributed as dist

    names = list(cases)
    for name in names:
        for _ in range(warmup):
            cases[name]()
    times = {name: [] for name in names}
    for i in range(repeats):
        for name in names[i % len(names):] + names[:i % len(names)]:
            dist.barrier()
            t0 = time.perf_counter()
            cases[name]()
            dist.barrier()
            times[name].append(time.perf_counter() - t0)
    return {name: statistics.median(t) for name, t in times.items()}


def _measure(spec: dict, repeats: int, warmup: int) -> dict:
    import glassnet as gn
    import glassnet.distributed as dist

    F = gn.nn.functional
    rank, world = dist.get_rank(), dist.get_world_size()
    model, shape, classes = _build(spec)
    per_rank = spec["batch"] // world
    rng = np.random.default_rng(rank)
    x = gn.tensor(rng.standard_normal((per_rank, *shape)).astype(np.float32))
    y = gn.tensor(rng.integers(0, classes, per_rank))
    params = sum(p.data.size for p in model.parameters())
    ddp = dist.DistributedDataParallel(model)
    opt = gn.optim.SGD(model.parameters(), lr=0.01)

    def step(net):
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()

    res = {"params": int(params), "batch": spec["batch"]}
    if world == 1:
        res.update(_timed({"ddp": lambda: step(ddp), "plain": lambda: step(model)},
                          repeats, warmup))
    else:
        buf = np.zeros(params, np.float32)
        plist = list(model.parameters())

        def after_backward():  # the same averaging, one all-reduce after backward
            opt.zero_grad()
            F.cross_entropy(model(x), y).backward()
            flat = np.concatenate([p.grad.data.reshape(-1) for p in plist])
            dist.all_reduce(flat)
            flat /= world
            off = 0
            for p in plist:
                p.grad = gn.Tensor(flat[off:off + p.data.size].reshape(p.data.shape))
                off += p.data.size
            opt.step()

        res.update(_timed({"ddp": lambda: step(ddp), "after": after_backward,
                           "allreduce": lambda: dist.all_reduce(buf)}, repeats, warmup))
    return res


def worker(repeats: int, warmup: int) -> None:
    """Runs on every rank; rank 0 prints one JSON line of medians."""
    import glassnet.distributed as dist

    dist.init_process_group()
    out = {"world": dist.get_world_size(),
           "networks": {name: _measure(spec, repeats, warmup)
                        for name, spec in NETWORKS.items()}}
    if dist.get_rank() == 0:
        print("RESULT " + json.dumps(out), flush=True)


def _run(n: int, repeats: int, warmup: int) -> dict:
    exe = Path(sys.executable).parent / "mpiexec"
    mpiexec = str(exe) if exe.exists() else shutil.which("mpiexec")
    if mpiexec is None:
        sys.exit("mpiexec not found: pip install mpich mpi4py (or glassnet[mpi])")
    env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
               MKL_NUM_THREADS="1")
    cmd = [mpiexec, "-n", str(n), sys.executable, __file__, "--worker",
           "--repeats", str(repeats), "--warmup", str(warmup)]
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800,
                             cwd=tmp)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{out.stderr}")
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("RESULT ")][0]
    return json.loads(line[7:])


def ms(s: float) -> str:
    return f"{s * 1e3:8.2f}"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        worker(args.repeats, args.warmup)
        return
    print(f"glassnet data-parallel benchmark: {os.cpu_count()} cores, one BLAS thread "
          f"per rank, median of {args.repeats} steps; the global batch is fixed")
    one, two = _run(1, args.repeats, args.warmup), _run(2, args.repeats, args.warmup)
    print(f"\n{'network':<11} {'params':>9} {'batch':>5} | {'1 rank ms':>9} {'img/s':>7} "
          f"| {'2 ranks ms':>10} {'img/s':>7} {'speed-up':>8} | {'wrapper':>7} "
          f"{'allreduce ms':>12} {'after-bw ms':>11}")
    for name, a in one["networks"].items():
        b = two["networks"][name]
        B = a["batch"]
        print(f"{name:<11} {a['params']:>9,} {B:>5} | {ms(a['ddp']):>9} {B / a['ddp']:7.0f} "
              f"| {ms(b['ddp']):>10} {B / b['ddp']:7.0f} {a['ddp'] / b['ddp']:7.2f}x "
              f"| {a['ddp'] / a['plain']:6.2f}x {ms(b['allreduce']):>12} "
              f"{ms(b['after']):>11}")
    print("\nwrapper: 1-rank step with DistributedDataParallel / without it; allreduce: one "
          "blocking all-reduce of all gradients (float32) between the 2 ranks; after-bw: "
          "2-rank step averaging the gradients with that one all-reduce after backward "
          "instead of the wrapper's buckets started during backward")
    print("\nProjected scaling efficiency (weak scaling: per-rank batch = the batch above, "
          "compute per step as measured on 1 rank; ring all-reduce, no overlap):")
    head = " ".join(f"{f'N={n}':>7}" for n in PROJECT)
    print(f"{'network':<11} {'MB/step':>8} {'compute ms':>10} | "
          + " | ".join(f"{link:^23}" for link in LINKS))
    print(f"{'':<11} {'':>8} {'':>10} | " + " | ".join(f"{head:^23}" for _ in LINKS))
    for name, a in one["networks"].items():
        G = 4.0 * a["params"]
        tc = a["plain"]
        cells = []
        for bw, lat in LINKS.values():
            eff = [tc / (tc + 2 * (n - 1) / n * G / bw + 2 * (n - 1) * lat) for n in PROJECT]
            cells.append(" ".join(f"{e:7.0%}" for e in eff))
        print(f"{name:<11} {G / 1e6:8.2f} {tc * 1e3:10.2f} | " + " | ".join(
            f"{c:^23}" for c in cells))


if __name__ == "__main__":
    main()
