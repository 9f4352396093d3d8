"""Rprop and Adafactor steps in glassnet and PyTorch, side by side, with Adam for scale.

``opt.step()`` alone, gradients already in place, on the parameters of a 784-1024-1024-10
MLP (float32, 1.86 million numbers in 6 tensors): the optimizer's own cost. Adafactor keeps
row and column statistics instead of Adam's two per-element moments: less memory, about
the same arithmetic. PyTorch runs on one thread (``torch.set_num_threads(1)``), as
glassnet's NumPy element-wise work does. Times are medians of interleaved repeats
(``_timing.compare``); the ratio is PyTorch's time over glassnet's.

Run:  python benchmarks/bench_optim_more2.py [--repeats 15]
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import compare, format_seconds, print_table

SHAPES = [(1024, 784), (1024,), (1024, 1024), (1024,), (10, 1024), (10,)]


def _params(lib, rng):
    """float32 parameters with gradients already set."""
    out = []
    for shape in SHAPES:
        p = lib.tensor(rng.standard_normal(shape).astype(np.float32) * 0.05,
                       requires_grad=True)
        p.grad = lib.tensor(rng.standard_normal(shape).astype(np.float32) * 0.01)
        out.append(p)
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()

    import torch

    import glassnet as gn

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    ours = {}
    for name in ("Adam", "Adafactor", "Rprop"):
        gopt = getattr(gn.optim, name)(_params(gn, rng))
        topt = getattr(torch.optim, name)(_params(torch, rng))
        medians = compare({"glassnet": gopt.step, "torch": topt.step},
                          repeats=args.repeats, warmup=3)
        print_table(f"{name}.step(), MLP 784-1024-1024-10 parameters", medians,
                    reference="torch")
        ours[name] = medians["glassnet"]
    print(f"glassnet Adafactor step / Adam step: {ours['Adafactor'] / ours['Adam']:.2f} "
          f"({format_seconds(ours['Adafactor'])} / {format_seconds(ours['Adam'])})")


if __name__ == "__main__":
    main()
