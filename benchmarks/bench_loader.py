"""DataLoader worker processes in glassnet and PyTorch, side by side.

One pass over a map-style dataset whose samples cost time to produce:

(a) "I/O": each sample waits 2 ms (a file read, a decode that releases the CPU);
(b) "CPU": each sample does ~2 ms of NumPy work (an augmentation);

batch 16, 256 samples, ``num_workers`` 0 and 2 (persistent workers, so process start-up
is paid once, as in a training loop). Both libraries read the same dataset class and
collate the same way. Times are medians of interleaved repeats (``_timing.compare``).

Run:  python benchmarks/bench_loader.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _timing import compare, print_table


class Slow:
    """256 samples of 32 floats; ``kind`` says how each sample spends its ~2 ms."""

    def __init__(self, kind: str):
        self.kind = kind
        self.x = np.random.default_rng(0).standard_normal((256, 32)).astype(np.float32)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, i):
        if self.kind == "io":
            time.sleep(0.002)
        else:
            a = self.x[i]
            t0 = time.perf_counter()
            while time.perf_counter() - t0 < 0.002:
                a = np.tanh(a + 0.1)
        return self.x[i], i


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()

    from torch.utils.data import DataLoader as TorchLoader

    import glassnet as gn

    for kind in ("io", "cpu"):
        ds = Slow(kind)
        loaders = {}
        for w in (0, 2):
            extra = {"persistent_workers": True} if w else {}
            loaders[f"glassnet workers={w}"] = gn.utils.data.DataLoader(
                ds, batch_size=16, num_workers=w, **extra)
            loaders[f"torch workers={w}"] = TorchLoader(ds, batch_size=16, num_workers=w,
                                                        **extra)
        for loader in loaders.values():  # start the workers before timing
            list(loader)
        cases = {name: (lambda ld=loader: sum(1 for _ in ld)) for name, loader in
                 loaders.items()}
        medians = compare(cases, repeats=args.repeats, warmup=1, min_time=0.0)
        print_table(f"one pass, 16 batches, 2 ms per sample ({kind})", medians,
                    reference="torch workers=2")
        print()


if __name__ == "__main__":
    main()
