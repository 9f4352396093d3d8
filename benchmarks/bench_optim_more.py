"""Adadelta, Adamax, NAdam, RAdam, ASGD and LBFGS steps in glassnet and PyTorch, side by side.

(a) ``opt.step()`` alone, gradients already in place, on the parameters of a
    784-256-256-10 MLP (float32, 270,000 numbers in 6 tensors): the optimizer's own cost;
(b) one ``LBFGS.step(closure)`` (max_iter=10, with and without the strong-Wolfe line
    search) fitting a 2,000 x 50 least-squares problem (float64), closure included.

PyTorch runs on one thread (``torch.set_num_threads(1)``), as glassnet's NumPy element-wise
work does. Times are medians of interleaved repeats (``_timing.compare``); the ratio is
PyTorch's time over glassnet's.

Run:  python benchmarks/bench_optim_more.py [--repeats 15]
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import compare, print_table

SHAPES = [(256, 784), (256,), (256, 256), (256,), (10, 256), (10,)]
OPTIMIZERS = {
    "Adadelta": {}, "Adamax": {}, "NAdam": {}, "RAdam": {},
    "ASGD": {"t0": 0},  # averaging on from the first step
    "Adam": {},  # for scale: the optimizer the others are variants of
}


def _params(lib, dtype, rng):
    """Parameters with gradients already set."""
    out = []
    for shape in SHAPES:
        p = lib.tensor(rng.standard_normal(shape).astype(dtype), requires_grad=True)
        p.grad = lib.tensor(rng.standard_normal(shape).astype(dtype))
        out.append(p)
    return out


def _lbfgs_step(lib, optim, A, b, kwargs):
    w = lib.zeros(A.shape[1], 1, dtype=A.dtype, requires_grad=True)
    opt = optim.LBFGS([w], max_iter=10, **kwargs)

    def closure():
        opt.zero_grad()
        loss = ((A @ w - b) ** 2).mean()
        loss.backward()
        return loss

    def step():
        w.data[...] = 0  # the same start every time
        opt.state.clear()
        opt.step(closure)

    return step


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    args = ap.parse_args()

    import torch

    import glassnet as gn

    torch.set_num_threads(1)
    rng = np.random.default_rng(0)
    for name, kwargs in OPTIMIZERS.items():
        gopt = getattr(gn.optim, name)(_params(gn, np.float32, rng), **kwargs)
        topt = getattr(torch.optim, name)(_params(torch, np.float32, rng), **kwargs)
        medians = compare({"glassnet": gopt.step, "torch": topt.step},
                          repeats=args.repeats, warmup=3)
        print_table(f"{name}.step(), MLP 784-256-256-10 parameters", medians,
                    reference="torch")

    A_np = rng.standard_normal((2000, 50))
    b_np = A_np @ rng.standard_normal((50, 1)) + 0.1 * rng.standard_normal((2000, 1))
    for label, kwargs in (("no line search", {}),
                          ("strong_wolfe", {"line_search_fn": "strong_wolfe"})):
        cases = {"glassnet": _lbfgs_step(gn, gn.optim, gn.tensor(A_np), gn.tensor(b_np), kwargs),
                 "torch": _lbfgs_step(torch, torch.optim, torch.tensor(A_np),
                                      torch.tensor(b_np), kwargs)}
        medians = compare(cases, repeats=args.repeats, warmup=2)
        print_table(f"LBFGS.step(closure), max_iter=10, {label}, 2000x50 least squares",
                    medians, reference="torch")


if __name__ == "__main__":
    main()
