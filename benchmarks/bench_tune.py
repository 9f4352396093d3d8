"""Tuning costs: the scikit-learn wrapper against plain ``gn.fit`` and scikit-learn's own
``MLPClassifier``, and an Optuna study in one process against two worker processes.

(a) One ``fit`` of a 64-64-10 MLP on the 1,797 digits, 5 epochs, batches of 32, Adam:
    ``NeuralNetClassifier(MLP).fit`` (validation of the input, label encoding, seeding)
    against the same training through ``gn.fit`` and against
    ``sklearn.neural_network.MLPClassifier`` with the same architecture and settings.
(b) A 12-trial ``glassnet tune`` study (the bundled iris config of the tests, pruning
    off) with ``n_jobs=1`` and with ``n_jobs=2`` on one journal file: wall-clock seconds
    of the whole study, worker start-up included.

Medians of interleaved repeats; (a) in CPU seconds of this process, (b) wall-clock.
One BLAS thread (``--threads``) by default, since the matrices are small and the
machine is shared.

Run:  python benchmarks/bench_tune.py [--repeats 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import sys

_n = sys.argv[sys.argv.index("--threads") + 1] if "--threads" in sys.argv else "1"
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = _n  # before NumPy loads its BLAS

import statistics  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import compare, print_table  # noqa: E402

import glassnet as gn  # noqa: E402


def fit_cases():
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    from glassnet.sklearn import MLP, NeuralNetClassifier

    X, y = gn.data.load_digits(return_X_y=True)
    X = (np.asarray(X, np.float32) / 16).astype(np.float32)
    y = np.asarray(y)

    def wrapper():
        NeuralNetClassifier(MLP, module__hidden=64, lr=1e-3, max_epochs=5, batch_size=32,
                            random_state=0).fit(X, y)

    def plain():
        gn.manual_seed(0)
        model = MLP(64, 10, hidden=64)
        gn.fit(model, (X, y), loss_fn=gn.nn.functional.cross_entropy,
               optimizer=gn.optim.Adam(model.parameters(), lr=1e-3), epochs=5, batch_size=32,
               progress=False, generator=gn.Generator(1))

    def sk():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            MLPClassifier(hidden_layer_sizes=(64,), solver="adam", learning_rate_init=1e-3,
                          batch_size=32, max_iter=5, alpha=0.0, tol=0.0,
                          n_iter_no_change=100, random_state=0).fit(X, y)

    return {"NeuralNetClassifier": wrapper, "gn.fit": plain, "sklearn MLPClassifier": sk}


def study_seconds(n_jobs: int) -> float:
    import optuna

    from glassnet.tune import config as C
    from glassnet.tune import study

    cfg = C.check({
        "data": {"dataset": "iris"},
        "train": {"epochs": 20, "patience": 0, "batch_size": 16},
        "search": {"hidden": {"low": 4, "high": 64, "log": True},
                   "lr": {"low": 1e-3, "high": 0.1, "log": True}},
    })
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        study(C.Objective(cfg), storage=os.path.join(d, "s.log"), study_name="bench",
              direction="maximize", n_trials=12, n_jobs=n_jobs, pruner="none")
        return time.perf_counter() - t0


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", default="1")
    args = p.parse_args()
    # CPU time of this process: steadier than wall-clock on a shared machine, and exact
    # here since BLAS runs on one thread
    medians = compare(fit_cases(), repeats=args.repeats, warmup=1, min_time=0.0,
                      timer=time.process_time)
    print_table("(a) one fit: digits, 64-64-10 MLP, 5 epochs, batch 32, Adam", medians,
                reference="sklearn MLPClassifier")
    ratio = medians["NeuralNetClassifier"] / medians["gn.fit"]
    print(f"  the wrapper costs {ratio:.2f}x plain gn.fit")
    times: dict[int, list[float]] = {1: [], 2: []}
    study_seconds(2)  # start the worker processes once (later studies reuse them)
    for r in range(args.repeats):
        for n in ((1, 2) if r % 2 == 0 else (2, 1)):
            times[n].append(study_seconds(n))
    one, two = statistics.median(times[1]), statistics.median(times[2])
    print("(b) a 12-trial study on iris (20 epochs a trial), journal file")
    print(f"  n_jobs=1  {one:6.2f} s\n  n_jobs=2  {two:6.2f} s   {one / two:.2f}x faster")


if __name__ == "__main__":
    main()
