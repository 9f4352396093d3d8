"""Per-step time of two tiny networks in glassnet and PyTorch, side by side.

One training step is forward, backward and a plain SGD update:

(a) the dosage network: 1 input, 2 softplus hidden nodes, 1 output, on 3 points
    (dosages 0, 0.5, 1 -> effect 0, 1, 0), squared-error loss;
(b) a 4-16-3 ReLU network on 150x4 random inputs with softmax cross-entropy written from
    ops (log_softmax, then indexing the target column).

Each section builds its cases (label -> zero-argument step function) and hands them to
``_timing.compare``, which times them interleaved and takes medians. A hand-written
NumPy step is included as the floor. The second section builds the same networks from
``gn.nn`` layers, a loss module and ``gn.optim.SGD`` (momentum 0.9 for (b)), against
``torch.nn`` + ``torch.optim``. Add a section by writing one more ``section_*``
function and listing it in ``SECTIONS``.

Run:  python benchmarks/bench_tiny.py [--repeats 30] [--torch-threads 1] [--cpu-time]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import compare, format_seconds, import_times, print_table, train_step  # noqa: E402

import glassnet as gn  # noqa: E402

LR = 0.01


def _dosage_data():
    x = np.array([[0.0], [0.5], [1.0]], dtype=np.float32)
    t = np.array([[0.0], [1.0], [0.0]], dtype=np.float32)
    rng = np.random.default_rng(0)
    params = {
        "W1": rng.standard_normal((1, 2)).astype(np.float32),
        "b1": rng.standard_normal(2).astype(np.float32),
        "W2": rng.standard_normal((2, 1)).astype(np.float32),
        "b2": np.zeros(1, np.float32),
    }
    return x, t, params


def _iris_like_data():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((150, 4)).astype(np.float32)
    y = rng.integers(0, 3, 150)
    params = {
        "W1": (rng.standard_normal((4, 16)) * 0.5).astype(np.float32),
        "b1": np.zeros(16, np.float32),
        "W2": (rng.standard_normal((16, 3)) * 0.25).astype(np.float32),
        "b2": np.zeros(3, np.float32),
    }
    return x, y, params


# --- glassnet, raw tensors -------------------------------------------------------------


def _gn_sgd(params):
    with gn.no_grad():
        for p in params:
            p.data = p.data - LR * p.grad.data
            p.grad = None


def gn_dosage_step():
    x, t, p = _dosage_data()
    x, t = gn.from_numpy(x), gn.from_numpy(t)
    W1, b1, W2, b2 = (gn.tensor(p[k], requires_grad=True) for k in ("W1", "b1", "W2", "b2"))
    params = [W1, b1, W2, b2]

    def step():
        y = gn.softplus(x @ W1 + b1) @ W2 + b2
        loss = ((y - t) ** 2).sum()
        loss.backward()
        _gn_sgd(params)

    return step


def gn_mlp_step():
    x, y, p = _iris_like_data()
    x = gn.from_numpy(x)
    rows, y = np.arange(len(y)), y
    W1, b1, W2, b2 = (gn.tensor(p[k], requires_grad=True) for k in ("W1", "b1", "W2", "b2"))
    params = [W1, b1, W2, b2]

    def step():
        logits = gn.relu(x @ W1 + b1) @ W2 + b2
        loss = -gn.log_softmax(logits, dim=1)[rows, y].mean()
        loss.backward()
        _gn_sgd(params)

    return step


# --- PyTorch ---------------------------------------------------------------------------


def _torch_sgd(torch, params):
    with torch.no_grad():
        for p in params:
            p -= LR * p.grad
            p.grad = None


def torch_dosage_step(torch):
    x, t, p = _dosage_data()
    x, t = torch.from_numpy(x), torch.from_numpy(t)
    W1, b1, W2, b2 = (torch.tensor(p[k], requires_grad=True) for k in ("W1", "b1", "W2", "b2"))
    params = [W1, b1, W2, b2]
    softplus = torch.nn.functional.softplus

    def step():
        y = softplus(x @ W1 + b1) @ W2 + b2
        loss = ((y - t) ** 2).sum()
        loss.backward()
        _torch_sgd(torch, params)

    return step


def torch_mlp_step(torch):
    x, y, p = _iris_like_data()
    x = torch.from_numpy(x)
    rows, y = torch.arange(len(y)), torch.from_numpy(y)
    W1, b1, W2, b2 = (torch.tensor(p[k], requires_grad=True) for k in ("W1", "b1", "W2", "b2"))
    params = [W1, b1, W2, b2]

    def step():
        logits = torch.relu(x @ W1 + b1) @ W2 + b2
        loss = -torch.log_softmax(logits, dim=1)[rows, y].mean()
        loss.backward()
        _torch_sgd(torch, params)

    return step


# --- hand-written NumPy: the floor -----------------------------------------------------


def numpy_dosage_step():
    x, t, p = _dosage_data()
    W1, b1, W2, b2 = (p[k].copy() for k in ("W1", "b1", "W2", "b2"))

    def step():
        nonlocal W1, b1, W2, b2
        z = x @ W1 + b1
        h = np.logaddexp(0, z)
        y = h @ W2 + b2
        gy = 2 * (y - t)
        gW2, gb2 = h.T @ gy, gy.sum(0)
        gz = (gy @ W2.T) / (1 + np.exp(-z))
        gW1, gb1 = x.T @ gz, gz.sum(0)
        W1, b1, W2, b2 = W1 - LR * gW1, b1 - LR * gb1, W2 - LR * gW2, b2 - LR * gb2

    return step


def numpy_mlp_step():
    x, y, p = _iris_like_data()
    rows = np.arange(len(y))
    W1, b1, W2, b2 = (p[k].copy() for k in ("W1", "b1", "W2", "b2"))

    def step():
        nonlocal W1, b1, W2, b2
        h = np.maximum(x @ W1 + b1, 0)
        z = h @ W2 + b2
        z = z - z.max(1, keepdims=True)
        e = np.exp(z)
        prob = e / e.sum(1, keepdims=True)
        g = prob
        g[rows, y] -= 1
        g /= len(y)
        gW2, gb2 = h.T @ g, g.sum(0)
        gh = (g @ W2.T) * (h > 0)
        gW1, gb1 = x.T @ gh, gh.sum(0)
        W1, b1, W2, b2 = W1 - LR * gW1, b1 - LR * gb1, W2 - LR * gW2, b2 - LR * gb2

    return step


# --- sections --------------------------------------------------------------------------


def section_raw_tensors(torch):
    """Both networks written with raw tensors and ops (no nn module)."""
    out = {}
    for title, gn_step, torch_step, np_step in [
        (
            "(a) dosage 1-2-1 softplus, 3 points, squared error",
            gn_dosage_step,
            torch_dosage_step,
            numpy_dosage_step,
        ),
        (
            "(b) 4-16-3 ReLU, 150x4, softmax cross-entropy",
            gn_mlp_step,
            torch_mlp_step,
            numpy_mlp_step,
        ),
    ]:
        cases = {"glassnet": gn_step()}
        if torch is not None:
            cases["torch"] = torch_step(torch)
        cases["numpy (by hand)"] = np_step()
        out[title] = cases
    return out


# --- the same networks with gn.nn + gn.optim (torch.nn + torch.optim) ---------------


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


def gn_nn_dosage_step():
    x, t, p = _dosage_data()
    model = _dosage_model(gn.nn)
    _load(gn.nn, model, p)
    opt = gn.optim.SGD(model.parameters(), lr=LR)
    return train_step(model, opt, gn.nn.MSELoss(reduction="sum"), gn.from_numpy(x),
                    gn.from_numpy(t))


def torch_nn_dosage_step(torch):
    x, t, p = _dosage_data()
    model = _dosage_model(torch.nn)
    _load(torch.nn, model, p, torch)
    opt = torch.optim.SGD(model.parameters(), lr=LR)
    return train_step(model, opt, torch.nn.MSELoss(reduction="sum"), torch.from_numpy(x),
                    torch.from_numpy(t))


def gn_nn_mlp_step():
    x, y, p = _iris_like_data()
    model = _mlp_model(gn.nn)
    _load(gn.nn, model, p)
    opt = gn.optim.SGD(model.parameters(), lr=LR, momentum=0.9)
    return train_step(model, opt, gn.nn.CrossEntropyLoss(), gn.from_numpy(x), gn.from_numpy(y))


def torch_nn_mlp_step(torch):
    x, y, p = _iris_like_data()
    model = _mlp_model(torch.nn)
    _load(torch.nn, model, p, torch)
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=0.9)
    return train_step(model, opt, torch.nn.CrossEntropyLoss(), torch.from_numpy(x),
                    torch.from_numpy(y))


def section_nn_optim(torch):
    """Both networks built from layers, a loss module and an optimizer."""
    out = {}
    for title, gn_step, torch_step in [
        ("(a) dosage 1-2-1 softplus, 3 points, SSR, SGD", gn_nn_dosage_step, torch_nn_dosage_step),
        ("(b) 4-16-3 ReLU, 150x4, CrossEntropyLoss, SGD momentum",
         gn_nn_mlp_step, torch_nn_mlp_step),
    ]:
        cases = {"glassnet": gn_step()}
        if torch is not None:
            cases["torch"] = torch_step(torch)
        out[title] = cases
    return out


SECTIONS = [("raw tensors", section_raw_tensors), ("nn + optim", section_nn_optim)]


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=30)
    ap.add_argument("--import-repeats", type=int, default=7)
    ap.add_argument(
        "--torch-threads",
        type=int,
        default=None,
        help="torch.set_num_threads(N) first (default: leave PyTorch's own choice)",
    )
    ap.add_argument(
        "--cpu-time",
        action="store_true",
        help="time CPU seconds of this process instead of wall-clock (steadier on a "
        "busy machine; fair to PyTorch only with --torch-threads 1)",
    )
    args = ap.parse_args(argv)
    timer = time.process_time if args.cpu_time else time.perf_counter
    try:
        import torch
    except ImportError:
        torch = None
        print("torch is not installed: timing glassnet and NumPy only")
    if torch is not None and args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    print(
        f"glassnet {gn.__version__}, numpy {np.__version__}"
        + (f", torch {torch.__version__} ({torch.get_num_threads()} threads)" if torch else "")
    )
    clock = "CPU time" if args.cpu_time else "wall-clock"
    print(f"{clock} per training step, medians of {args.repeats} interleaved repeats\n")
    for section, build in SECTIONS:
        print(f"== {section} ==")
        for title, cases in build(torch).items():
            medians = compare(cases, repeats=args.repeats, warmup=20, timer=timer)
            print_table(title, medians, reference="torch" if torch else None)
        print()
    mods = ["glassnet"] + (["torch"] if torch else [])
    times = import_times(mods, repeats=args.import_repeats)
    print("== import time (fresh process, median) ==")
    for m, s in times.items():
        print(f"  import {m:<9} {format_seconds(s):>10}")
    if torch:
        print(f"  import glassnet is {times['torch'] / times['glassnet']:.1f}x faster")


if __name__ == "__main__":
    main()
