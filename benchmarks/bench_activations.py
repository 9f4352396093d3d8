"""Forward + backward of the transcendental activations and special functions, glassnet
and PyTorch side by side.

Each case is one call = forward on a 256 x 1024 tensor, sum, backward (inputs' gradients
cleared first), timed interleaved (``_timing.compare``); medians and the ratio are printed.
Cases: GELU (exact and tanh, float32 and float64), SiLU, Mish, ELU, SELU, CELU, Softplus,
sigmoid, tanh, logsigmoid, hardswish, erf (float32), erfinv and ndtri (float32, float64).

On a shared machine, ``--cpu`` times CPU seconds of this process (``time.process_time``)
instead of wall-clock, and ``--torch-threads 1`` compares one core with one core.
``--only gelu,erfinv`` runs the cases whose name starts with those words.

``--sizes 64,1024,4096`` instead times sigmoid and softplus (float32) at those element
counts on both glassnet paths — NumPy (forced by a huge ``FUSED_MIN_SIZE``) and the fused
numba loop (``FUSED_MIN_SIZE`` 0) — beside PyTorch: where the two glassnet columns cross
is where ``glassnet.ops.elementwise.FUSED_MIN_SIZE`` belongs.

Run:  python benchmarks/bench_activations.py [--repeats 9] [--cpu] [--torch-threads N]
      python benchmarks/bench_activations.py --sizes 64,256,1024,4096,16384 --cpu
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import compare, forward_backward, print_table  # noqa: E402

import glassnet as gn  # noqa: E402
import glassnet.nn.functional as F  # noqa: E402


def cases(torch):
    tf = torch.nn.functional
    real, unit, prob = "real", "unit", "prob"
    # name: (glassnet fn, torch fn, dtype, input domain)
    return {
        "gelu f32": (F.gelu, tf.gelu, np.float32, real),
        "gelu tanh f32": (lambda x: F.gelu(x, approximate="tanh"),
                          lambda x: tf.gelu(x, approximate="tanh"), np.float32, real),
        "gelu f64": (F.gelu, tf.gelu, np.float64, real),
        "gelu tanh f64": (lambda x: F.gelu(x, approximate="tanh"),
                          lambda x: tf.gelu(x, approximate="tanh"), np.float64, real),
        "silu f32": (F.silu, tf.silu, np.float32, real),
        "mish f32": (F.mish, tf.mish, np.float32, real),
        "elu f32": (F.elu, tf.elu, np.float32, real),
        "selu f32": (F.selu, tf.selu, np.float32, real),
        "celu f32": (F.celu, tf.celu, np.float32, real),
        "softplus f32": (F.softplus, tf.softplus, np.float32, real),
        "sigmoid f32": (gn.sigmoid, torch.sigmoid, np.float32, real),
        "tanh f32": (gn.tanh, torch.tanh, np.float32, real),
        "logsigmoid f32": (F.logsigmoid, tf.logsigmoid, np.float32, real),
        "hardswish f32": (F.hardswish, tf.hardswish, np.float32, real),
        "erf f32": (gn.erf, torch.erf, np.float32, real),
        "erfinv f32": (gn.erfinv, torch.erfinv, np.float32, unit),
        "erfinv f64": (gn.erfinv, torch.erfinv, np.float64, unit),
        "ndtri f32": (gn.special.ndtri, torch.special.ndtri, np.float32, prob),
        "ndtri f64": (gn.special.ndtri, torch.special.ndtri, np.float64, prob),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=9)
    ap.add_argument("--shape", default="256x1024")
    ap.add_argument("--cpu", action="store_true", help="time CPU seconds, not wall-clock")
    ap.add_argument("--torch-threads", type=int, default=0, help="0: PyTorch's default")
    ap.add_argument("--only", default="", help="comma-separated name prefixes")
    ap.add_argument("--sizes", default="", help="element counts: the NumPy/numba crossover")
    args = ap.parse_args()
    import torch

    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    timer = time.process_time if args.cpu else time.perf_counter
    if args.sizes:
        crossover(torch, [int(n) for n in args.sizes.split(",")], args.repeats, timer)
        return
    shape = tuple(int(s) for s in args.shape.split("x"))
    rng = np.random.default_rng(0)
    draw = {"real": lambda: rng.standard_normal(shape) * 2,
            "unit": lambda: rng.uniform(-1, 1, shape),
            "prob": lambda: rng.uniform(0, 1, shape)}
    only = [w.strip() for w in args.only.split(",") if w.strip()]
    print(f"torch threads: {torch.get_num_threads()}; GLASSNET_KERNEL="
          f"{os.environ.get('GLASSNET_KERNEL', 'auto')}; timer: "
          f"{'CPU time' if args.cpu else 'wall-clock'}; shape {args.shape}")
    for name, (g_fn, t_fn, dtype, domain) in cases(torch).items():
        if only and not any(name.startswith(w) for w in only):
            continue
        data = draw[domain]().astype(dtype)
        gx = gn.tensor(data, requires_grad=True)
        tx = torch.tensor(data, requires_grad=True)
        g_out, t_out = g_fn(gx).data, t_fn(tx).detach().numpy()
        ok = np.isfinite(t_out)
        assert np.allclose(g_out[ok], t_out[ok], rtol=1e-4, atol=1e-5), name
        medians = compare({"glassnet": forward_backward(g_fn, gx),
                           "torch": forward_backward(t_fn, tx)},
                          repeats=args.repeats, warmup=2, timer=timer)
        print_table(name, medians, reference="torch")


def crossover(torch, sizes, repeats, timer) -> None:
    """Sigmoid and softplus forward+backward per element count, on glassnet's NumPy path,
    its fused path and PyTorch's."""
    from glassnet.ops import elementwise

    saved = elementwise.FUSED_MIN_SIZE

    def on_path(fn, min_size):
        def run():
            elementwise.FUSED_MIN_SIZE = min_size
            return fn()

        return run

    rng = np.random.default_rng(0)
    try:
        for name, g_fn, t_fn in [("sigmoid", gn.sigmoid, torch.sigmoid),
                                 ("softplus", F.softplus, torch.nn.functional.softplus)]:
            for n in sizes:
                data = (rng.standard_normal(n) * 2).astype(np.float32)
                gx = gn.tensor(data, requires_grad=True)
                tx = torch.tensor(data, requires_grad=True)
                g_step = forward_backward(g_fn, gx)
                medians = compare({"numpy path": on_path(g_step, 1 << 62),
                                   "numba path": on_path(g_step, 0),
                                   "torch": forward_backward(t_fn, tx)},
                                  repeats=repeats, warmup=3, timer=timer)
                print_table(f"{name} f32, {n} elements", medians, reference="numpy path")
    finally:
        elementwise.FUSED_MIN_SIZE = saved


if __name__ == "__main__":
    main()
