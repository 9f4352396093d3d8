"""Data-parallel training of the digits MLP over MPI ranks, with one process's result.

    mpiexec -n 2 python -m glassnet.examples.distributed_digits --epochs 10 --out w.safetensors

Every rank builds the same ``Sequential(Linear(64, 128), ReLU(), Linear(128, 10))``
(rank 0's initial weights are broadcast), reads its shard of the 1,436 training images
(a fixed split of the 1,797 bundled digits; 361 held out) and trains with SGD
(momentum 0.9) through ``gn.fit(..., distributed=True)``. The global batch is fixed
(``--batch-size``, default 64): each of ``N`` ranks takes ``64 / N`` images per step, and
the averaged gradient is the gradient of the same 64 images a single process would use,
so the final weights for N = 1, 2 and 4 agree to float32 round-off (only the order of
the gradient sum differs). Rank 0 saves the weights with ``gn.save`` and prints the
held-out accuracy. Without ``mpiexec`` it runs as one rank.

Set one BLAS thread per rank (``OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1``), or N ranks
fight over the same cores.
"""

from __future__ import annotations

import argparse
import sys

import numpy as np

import glassnet as gn
import glassnet.distributed as dist

N_TRAIN = 1436  # divisible by 1, 2 and 4: every rank gets the same number of images


def data(seed: int = 0):
    """The fixed split: (X_train, y_train, X_test, y_test), pixels scaled to 0..1."""
    X, y = gn.data.load_digits(return_X_y=True)
    order = np.random.default_rng(seed).permutation(len(X))
    X = (X / 16.0).astype(np.float32)
    tr, te = order[:N_TRAIN], order[N_TRAIN:]
    return X[tr], y[tr], X[te], y[te]


def model(seed: int = 0):
    gn.manual_seed(seed)
    nn = gn.nn
    return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))


def train(epochs: int, batch_size: int = 64, lr: float = 0.05, seed: int = 0,
          progress: bool = True):
    """Train on this rank's shard; returns (model, history, held-out accuracy)."""
    if not dist.is_initialized():
        dist.init_process_group()
    world = dist.get_world_size()
    if batch_size % world:
        raise ValueError(f"--batch-size {batch_size} is not divisible by the {world} ranks")
    X_tr, y_tr, X_te, y_te = data(seed)
    net = model(seed)
    opt = gn.optim.SGD(net.parameters(), lr=lr, momentum=0.9)
    history = gn.fit(net, (X_tr, y_tr), loss_fn=gn.nn.functional.cross_entropy,
                     optimizer=opt, epochs=epochs, batch_size=batch_size // world,
                     val_data=(X_te, y_te), generator=gn.Generator(seed),
                     distributed=True, progress=progress)
    return net, history, history["val_accuracy"][-1]


def _one_blas_thread() -> None:
    """Limit BLAS to one thread in this process when threadpoolctl is at hand (the
    environment variables only work when set before NumPy starts)."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    threadpool_limits(1)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="python -m glassnet.examples.distributed_digits",
                                description=__doc__.split("\n\n")[0])
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--out", required=True, help="where rank 0 saves the final weights "
                                                "(.safetensors)")
    p.add_argument("--batch-size", type=int, default=64, help="the global batch (all ranks)")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--no-progress", action="store_true")
    args = p.parse_args(argv)
    _one_blas_thread()
    dist.init_process_group()
    rank, world = dist.get_rank(), dist.get_world_size()
    net, history, acc = train(args.epochs, args.batch_size, args.lr, args.seed,
                              progress=not args.no_progress)
    if rank == 0:
        gn.save(net.state_dict(), args.out)
        print(f"{world} rank(s), global batch {args.batch_size} ({args.batch_size // world} "
              f"per rank), {args.epochs} epochs: train loss {history['loss'][-1]:.4f}, "
              f"held-out accuracy {acc:.4f}; weights saved to {args.out}")
    dist.barrier()
    return 0


if __name__ == "__main__":
    sys.exit(main())
