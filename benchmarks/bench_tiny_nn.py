"""Per-step time of two tiny networks built with ``gn.nn`` + ``gn.optim`` and with
``torch.nn`` + ``torch.optim``, side by side: the per-op overhead a small model pays.

One training step is ``opt.zero_grad()``, forward, loss, ``backward()``, ``opt.step()``:

(a) the dosage network: Linear(1, 2), Softplus, Linear(2, 1) on the 3 dosage points,
    sum of squared residuals, plain SGD;
(b) a 4-16-3 network: Linear, ReLU, Linear on 150x4 random inputs, CrossEntropyLoss,
    SGD with momentum 0.9.

Both libraries start from the same weights (those of ``bench_tiny.py``). Times are
medians of interleaved repeats (``_timing.compare``); the raw-tensor version of the same
networks is in ``bench_tiny.py``.

``--threads N`` limits both libraries' BLAS threads, as in ``bench_mlp.py``.

Run:  python benchmarks/bench_tiny_nn.py [--repeats 30] [--threads 1]
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
from _timing import compare, print_table  # noqa: E402
from bench_tiny import _dosage_data, _iris_like_data  # noqa: E402

import glassnet as gn  # noqa: E402

LR = 0.01


def _load(lib, model, params, torch=None):
    """Copy ``bench_tiny``'s (in, out) weights into the Linear layers' (out, in) ones."""
    linears = [m for m in model if isinstance(m, lib.Linear)]
    values = [(params["W1"], params["b1"]), (params["W2"], params["b2"])]
    for layer, (W, b) in zip(linears, values):
        if torch is None:
            layer.weight.data[...] = W.T
            layer.bias.data[...] = b
        else:
            with torch.no_grad():
                layer.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
                layer.bias.copy_(torch.from_numpy(b))


def _dosage_model(lib):
    return lib.Sequential(lib.Linear(1, 2), lib.Softplus(), lib.Linear(2, 1))


def _mlp_model(lib):
    return lib.Sequential(lib.Linear(4, 16), lib.ReLU(), lib.Linear(16, 3))


def _stepper(model, opt, loss_fn, x, t):
    def step():
        opt.zero_grad()
        loss = loss_fn(model(x), t)
        loss.backward()
        opt.step()

    return step


def gn_dosage_step():
    x, t, p = _dosage_data()
    model = _dosage_model(gn.nn)
    _load(gn.nn, model, p)
    opt = gn.optim.SGD(model.parameters(), lr=LR)
    return _stepper(model, opt, gn.nn.MSELoss(reduction="sum"), gn.from_numpy(x),
                    gn.from_numpy(t))


def torch_dosage_step(torch):
    x, t, p = _dosage_data()
    model = _dosage_model(torch.nn)
    _load(torch.nn, model, p, torch)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    return _stepper(model, opt, torch.nn.MSELoss(reduction="sum"), torch.from_numpy(x),
                    torch.from_numpy(t))


def gn_mlp_step():
    x, y, p = _iris_like_data()
    model = _mlp_model(gn.nn)
    _load(gn.nn, model, p)
    opt = gn.optim.SGD(model.parameters(), lr=LR, momentum=0.9)
    return _stepper(model, opt, gn.nn.CrossEntropyLoss(), gn.from_numpy(x), gn.from_numpy(y))


def torch_mlp_step(torch):
    x, y, p = _iris_like_data()
    model = _mlp_model(torch.nn)
    _load(torch.nn, model, p, torch)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9)
    return _stepper(model, opt, torch.nn.CrossEntropyLoss(), torch.from_numpy(x),
                    torch.from_numpy(y))


def section_nn_optim(torch):
    """Both networks built from layers, a loss module and an optimizer."""
    out = {}
    for title, gn_step, torch_step in [
        ("(a) dosage 1-2-1 softplus, 3 points, SSR, SGD", gn_dosage_step, torch_dosage_step),
        ("(b) 4-16-3 ReLU, 150x4, CrossEntropyLoss, SGD momentum",
         gn_mlp_step, torch_mlp_step),
    ]:
        cases = {"glassnet": gn_step()}
        if torch is not None:
            cases["torch"] = torch_step(torch)
        out[title] = cases
    return out


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30)
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
    print(f"glassnet {gn.__version__}, numpy {np.__version__}"
          + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else ""))
    print("times are medians of interleaved repeats, per training step\n")
    print("== nn + optim ==")
    for title, cases in section_nn_optim(torch).items():
        medians = compare(cases, repeats=args.repeats, warmup=20)
        print_table(title, medians, reference="torch" if torch else None)


if __name__ == "__main__":
    main()
