"""Inference of the same models in glassnet, ONNX Runtime (the file gn.onnx.export wrote)
and PyTorch (the model interop.to_torch built), side by side; plus how long exporting takes.

Models (float32, eval mode, batch 64): an MLP 784-256-256-10, a CNN on 1x28x28 images
(two conv-batchnorm-relu-pool blocks and a linear head) and an LSTM classifier (input 32,
hidden 128, 50 steps). The cases run interleaved (``_timing.compare``); the table gives
medians and how many times faster than ONNX Runtime each one is. ONNX Runtime and PyTorch
get the same number of threads (``--threads``, default 1, as NumPy's BLAS here).

Run:  python benchmarks/bench_interop.py [--repeats 15] [--threads 1]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

parser = argparse.ArgumentParser()
parser.add_argument("--repeats", type=int, default=15)
parser.add_argument("--threads", type=int, default=1)
args = parser.parse_args()
for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, str(args.threads))

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import compare, format_seconds, print_table  # noqa: E402

import glassnet as gn  # noqa: E402
from glassnet import interop, nn  # noqa: E402


class LSTMClassifier(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(32, 128, batch_first=True)
        self.head = nn.Linear(128, 10)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


def models():
    gn.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                        nn.Linear(256, 10))
    cnn = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
    rng = np.random.default_rng(0)
    return [
        ("MLP 784-256-256-10", mlp, rng.standard_normal((64, 784)).astype(np.float32)),
        ("CNN 1x28x28", cnn, rng.standard_normal((64, 1, 28, 28)).astype(np.float32)),
        ("LSTM 32-128, 50 steps", LSTMClassifier(),
         rng.standard_normal((64, 50, 32)).astype(np.float32)),
    ]


def bench(title, model, x, folder, opts) -> None:
    import onnxruntime as ort
    import torch

    model.eval()
    path = os.path.join(folder, "model.onnx")
    t0 = time.perf_counter()
    gn.onnx.export(model, gn.tensor(x), path, input_names=["x"],
                   dynamic_axes={"x": {0: "batch"}})
    export_s = time.perf_counter() - t0
    session = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    xg, xt = gn.tensor(x), torch.tensor(x)
    with gn.no_grad():
        ours = model(xg).numpy()
    theirs = session.run(None, {"x": x})[0]

    def run_gn():
        with gn.no_grad():
            return model(xg)

    def run_ort():
        return session.run(None, {"x": x})

    cases = {"glassnet": run_gn, "onnxruntime": run_ort}
    if not isinstance(model, LSTMClassifier):  # a class of our own: no to_torch
        tmodel = interop.to_torch(model).eval()

        def run_torch():
            with torch.no_grad():
                return tmodel(xt)

        cases["torch"] = run_torch
    medians = compare(cases, repeats=args.repeats, warmup=3)
    print_table(f"{title}: inference, batch 64 (export {format_seconds(export_s)}, "
                f"max |onnxruntime - glassnet| {np.abs(theirs - ours).max():.1e})",
                medians, reference="onnxruntime")


def main() -> None:
    import onnxruntime as ort
    import torch

    torch.set_num_threads(args.threads)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = args.threads
    opts.inter_op_num_threads = 1
    folder = tempfile.mkdtemp()
    gn.onnx.export(nn.Linear(2, 2), gn.randn(1, 2), os.path.join(folder, "warm.onnx"))
    for title, model, x in models():
        bench(title, model, x, folder, opts)


if __name__ == "__main__":
    main()
