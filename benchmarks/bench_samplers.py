"""Samplers and streams in glassnet and PyTorch, side by side.

(a) one pass of a DataLoader over a TensorDataset of 50,000 x 32 floats, batch 256,
    ``sampler=RandomSampler(ds)`` (the shuffled read a training epoch makes);
(b) the same with ``sampler=WeightedRandomSampler(w, 50,000)`` (class-balanced reading);
(c) drawing 50,000 indices without replacement from 100,000 weights;
(d) one pass over an IterableDataset of 50,000 samples of 32 floats, batch 256, in this
    process (sample-by-sample collation).

Times are medians of interleaved repeats (``_timing.compare``); the ratio is PyTorch's time
over glassnet's.

Run:  python benchmarks/bench_samplers.py [--repeats 7]
"""

from __future__ import annotations

import argparse

import numpy as np
from _timing import compare, print_table

N, D, B = 50_000, 32, 256


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()

    import torch
    import torch.utils.data as T

    import glassnet as gn
    import glassnet.utils.data as G

    x = np.random.default_rng(0).standard_normal((N, D)).astype(np.float32)
    y = (np.arange(N) % 10).astype(np.int64)
    w = np.where(y == 0, 9.0, 1.0)
    gds, tds = G.TensorDataset(x, y), T.TensorDataset(torch.from_numpy(x), torch.from_numpy(y))

    def epoch(loader):
        return lambda: sum(1 for _ in loader)

    rows = {
        "RandomSampler pass": (
            G.DataLoader(gds, batch_size=B,
                         sampler=G.RandomSampler(gds, generator=gn.Generator(0))),
            T.DataLoader(tds, batch_size=B, sampler=T.RandomSampler(tds))),
        "WeightedRandomSampler pass": (
            G.DataLoader(gds, batch_size=B, sampler=G.WeightedRandomSampler(w, N)),
            T.DataLoader(tds, batch_size=B, sampler=T.WeightedRandomSampler(w, N))),
    }
    for title, (gl, tl) in rows.items():
        med = compare({"glassnet": epoch(gl), "torch": epoch(tl)}, repeats=args.repeats,
                      warmup=1)
        print_table(f"{title} (N={N}, batch {B})", med, reference="torch")

    big = np.random.default_rng(1).random(100_000)
    gw = G.WeightedRandomSampler(big, 50_000, replacement=False, generator=gn.Generator(0))
    tw = T.WeightedRandomSampler(big, 50_000, replacement=False)
    med = compare({"glassnet": lambda: list(gw), "torch": lambda: list(tw)},
                  repeats=args.repeats, warmup=1)
    print_table("WeightedRandomSampler, 50,000 of 100,000 without replacement", med,
                reference="torch")

    def stream(mod):
        class Rows(mod.IterableDataset):
            def __iter__(self):
                return iter(x)

        return Rows()

    med = compare({"glassnet": epoch(G.DataLoader(stream(G), batch_size=B)),
                   "torch": epoch(T.DataLoader(stream(T), batch_size=B))},
                  repeats=args.repeats, warmup=1)
    print_table(f"IterableDataset pass (N={N}, batch {B}, collated per sample)", med,
                reference="torch")


if __name__ == "__main__":
    main()
