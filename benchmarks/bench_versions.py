"""What the in-place version checks cost: the dosage training step (forward, backward,
SGD update) timed with the engine as it is and with the version bookkeeping stripped
out (the same source minus those lines), interleaved in one process; CPU time, medians.

Run:  python benchmarks/bench_versions.py [--repeats 15] [--steps 2000]
"""

from __future__ import annotations

import argparse
import inspect
import textwrap
import time

import numpy as np

import glassnet as gn
from glassnet import autograd as A

_BOOKKEEPING = ("fn._epoch", "_check_node(fn)", "epoch = _writes.epoch")


def _without_checks():
    """(apply, backward) compiled from the engine's source minus the version lines."""
    src = textwrap.dedent(inspect.getsource(A.Function.apply.__func__))
    src = "\n".join(ln for ln in src.split("\n") if "@classmethod" not in ln
                    and not any(k in ln for k in _BOOKKEEPING))
    ns = dict(A.__dict__)
    exec(src, ns)  # noqa: S102 - our own source
    bsrc = "\n".join(ln for ln in inspect.getsource(A.backward).split("\n")
                     if not any(k in ln for k in _BOOKKEEPING))
    assert bsrc != inspect.getsource(A.backward)
    ns2 = dict(A.__dict__)
    exec(bsrc, ns2)  # noqa: S102
    return classmethod(ns["apply"]), ns2["backward"]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--steps", type=int, default=2000)
    args = ap.parse_args()
    x = gn.tensor([[0.0], [0.5], [1.0]])
    t = gn.tensor([[0.0], [1.0], [0.0]])
    rng = np.random.default_rng(0)
    params = [gn.tensor(rng.standard_normal(s).astype(np.float32), requires_grad=True)
              for s in [(1, 2), (2,), (2, 1), (1,)]]

    def step():
        w1, b1, w2, b2 = params
        loss = ((((x @ w1 + b1).softplus() @ w2 + b2) - t) ** 2).sum()
        loss.backward()
        with gn.no_grad():
            for p in params:
                p -= 0.01 * p.grad
                p.grad = None

    variants = {"without checks": _without_checks(),
                "with checks": (A.Function.__dict__["apply"], A.backward)}
    times = {k: [] for k in variants}
    try:
        for _ in range(args.repeats):
            for name, (apply, backward) in variants.items():
                A.Function.apply, A.backward = apply, backward
                t0 = time.process_time()
                for _ in range(args.steps):
                    step()
                times[name].append((time.process_time() - t0) / args.steps)
    finally:
        A.Function.apply, A.backward = variants["with checks"]
    off, on = (float(np.median(times[k])) for k in variants)
    print(f"dosage step, CPU time, medians of {args.repeats} interleaved runs of "
          f"{args.steps} steps:")
    print(f"  without version checks  {off * 1e6:7.1f} us")
    print(f"  with version checks     {on * 1e6:7.1f} us   ratio {on / off:.3f}")


if __name__ == "__main__":
    main()
