"""One training step of recurrent classifiers in glassnet and PyTorch, side by side.

The step: a recurrent layer (input 32, hidden 128) reads a sequence of 50 steps for a
batch of 64; its last hidden state (both directions' for the bidirectional LSTM) goes
through Linear(128·D, 10) into cross-entropy; backward; SGD update. Four layers are
timed: LSTM, GRU, RNN (tanh) and a bidirectional LSTM. Both libraries start from the
same weights and data, and the cases run interleaved (``_timing.compare``); the table
gives medians and the glassnet / PyTorch time ratio (below 1 means glassnet is faster).

Run:  python benchmarks/bench_rnn.py [--repeats 15] [--threads N] [--dtype float32]
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import compare, format_seconds  # noqa: E402

import glassnet as gn  # noqa: E402
import glassnet.nn.functional as F  # noqa: E402
import glassnet.ops.recurrent as R  # noqa: E402

I, H, T, N, C = 32, 128, 50, 64, 10
LR = 0.01
LAYERS = {
    "LSTM": ("LSTM", False),
    "GRU": ("GRU", False),
    "RNN": ("RNN", False),
    "BiLSTM": ("LSTM", True),
}


def _step(rnn, head, opt, cross_entropy, cat, x, y, bi: bool):
    """One training step for either library: the last hidden state (both directions'
    when ``bi``), (N, H·D), through ``head`` into cross-entropy; backward; update."""

    def step():
        opt.zero_grad()
        _, h = rnn(x)
        if isinstance(h, tuple):  # LSTM: (h, c)
            h = h[0]
        last = cat([h[-2], h[-1]], 1) if bi else h[-1]
        loss = cross_entropy(head(last), y)
        loss.backward()
        opt.step()
        return loss

    return step


def glassnet_step(kind: str, bi: bool, x: np.ndarray, y: np.ndarray, dtype):
    rnn = getattr(gn.nn, kind)(I, H, bidirectional=bi, dtype=dtype)
    head = gn.nn.Linear(H * (2 if bi else 1), C)
    head.to(dtype)
    opt = gn.optim.SGD(list(rnn.parameters()) + list(head.parameters()), lr=LR)
    xt, yt = gn.tensor(x.astype(dtype)), gn.tensor(y)
    return rnn, head, _step(rnn, head, opt, F.cross_entropy, gn.cat, xt, yt, bi)


def torch_step(torch, kind: str, bi: bool, x: np.ndarray, y: np.ndarray, rnn_gn, head_gn, dtype):
    tdt = torch.float64 if dtype == np.float64 else torch.float32
    rnn = getattr(torch.nn, kind)(I, H, bidirectional=bi).to(tdt)
    head = torch.nn.Linear(H * (2 if bi else 1), C).to(tdt)
    with torch.no_grad():  # same starting weights as the glassnet model
        for (_, p), (_, q) in zip(rnn.named_parameters(), rnn_gn.named_parameters()):
            p.copy_(torch.from_numpy(np.array(q.data)))
        for (_, p), (_, q) in zip(head.named_parameters(), head_gn.named_parameters()):
            p.copy_(torch.from_numpy(np.array(q.data)))
    opt = torch.optim.SGD(list(rnn.parameters()) + list(head.parameters()), lr=LR)
    xt, yt = torch.from_numpy(x.astype(dtype)), torch.from_numpy(y)
    return _step(rnn, head, opt, torch.nn.functional.cross_entropy, torch.cat, xt, yt, bi)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", type=int, default=0, help="torch threads (0: its default)")
    ap.add_argument("--dtype", default="float32", choices=["float32", "float64"])
    ap.add_argument("--only", nargs="*", default=list(LAYERS), choices=list(LAYERS))
    args = ap.parse_args()
    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    dtype = np.dtype(args.dtype).type
    rng = np.random.default_rng(0)
    x = rng.standard_normal((T, N, I))
    y = rng.integers(0, C, N)
    print(f"one training step: input {I}, hidden {H}, seq {T}, batch {N}, {args.dtype}, "
          f"torch {torch.__version__} ({torch.get_num_threads()} threads), "
          f"numpy {np.__version__}, step loops: {R.step_kernels().__name__.rsplit('.', 1)[-1]}")
    print(f"{'layer':<8} {'glassnet':>10} {'torch':>10} {'ratio':>7}")
    for name in args.only:
        kind, bi = LAYERS[name]
        gn.manual_seed(0)
        rnn, head, g_step = glassnet_step(kind, bi, x, y, dtype)
        t_step = torch_step(torch, kind, bi, x, y, rnn, head, dtype)
        l_g, l_t = float(g_step().item()), float(t_step().item())
        if abs(l_g - l_t) > 1e-3 * max(1.0, abs(l_t)):
            print(f"  warning: first-step losses differ: glassnet {l_g:.6f} torch {l_t:.6f}")
        med = compare({"glassnet": g_step, "torch": t_step}, repeats=args.repeats, warmup=2,
                      min_time=0.05)
        ratio = med["glassnet"] / med["torch"]
        print(f"{name:<8} {format_seconds(med['glassnet']):>10} "
              f"{format_seconds(med['torch']):>10} {ratio:6.2f}x")


if __name__ == "__main__":
    main()
