"""Transformer training steps in glassnet and PyTorch, side by side: time and peak memory.

Two steps, float32, both libraries from the same weights and data:

1. ``TransformerEncoderLayer(d_model=128, nhead=4, dim_feedforward=512)``, batch_first,
   on a batch of 32 sequences of 64: forward, MSE loss, backward, Adam update;
2. a 4-layer character GPT (the ``char-gpt`` chapter's model: embedding, learned
   positions, 4 pre-norm GELU encoder layers with the causal mask, final LayerNorm, linear
   head; d_model 64, 4 heads, 65 characters, windows of 64, batch 32): cross-entropy,
   backward, AdamW update.

Time: median seconds per step, the cases interleaved (``_timing.compare``), and the
glassnet / PyTorch ratio (below 1: glassnet is faster). Both use ``--threads`` BLAS /
intra-op threads (default 1: steady on a shared machine).

Peak memory of one step (after a warm-up step, so optimizer state already exists): the
most bytes each library had allocated at any moment of the step, above what was live
when it started (the activations kept for backward, the gradients, temporaries).
glassnet: ``tracemalloc`` (NumPy reports its buffers to it). PyTorch: its own profiler
(``profile_memory=True``): every allocation (+bytes) and free (-bytes) of its CPU
allocator during the step, replayed in time order.

Run:  python benchmarks/bench_transformer.py [--repeats 15] [--threads 1] [--dropout 0.1]
"""

from __future__ import annotations

import argparse
import os
import sys


def _args(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--dropout", type=float, default=0.1)
    ap.add_argument("--only", nargs="*", default=["encoder-layer", "char-gpt"])
    return ap.parse_args(argv)


ARGS = _args()
for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = str(ARGS.threads)  # before NumPy loads

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import compare, format_seconds  # noqa: E402

import glassnet as gn  # noqa: E402
import glassnet.nn.functional as F  # noqa: E402

D, H, FF, T, N = 128, 4, 512, 64, 32
V, GD, GL, GT = 65, 64, 4, 64


# --- the two models in each library ---------------------------------------------------------


def gn_encoder_layer(dropout):
    gn.manual_seed(0)
    return gn.nn.TransformerEncoderLayer(D, H, FF, dropout=dropout, batch_first=True)


def gn_char_gpt(dropout):
    from glassnet.examples.char_gpt import CharGPT

    return CharGPT(V, GD, 4, GL, GT, dropout=dropout, generator=gn.Generator(0))


def torch_models(torch, dropout):
    nn = torch.nn

    class Positions(nn.Module):
        def __init__(self):
            super().__init__()
            self.weight = nn.Parameter(torch.zeros(GT, GD))
            self.dropout = nn.Dropout(dropout)

        def forward(self, x):
            return self.dropout(x + self.weight[: x.shape[1]])

    class TorchCharGPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.tok = nn.Embedding(V, GD)
            self.pos = Positions()
            layer = nn.TransformerEncoderLayer(GD, 4, 4 * GD, dropout=dropout,
                                               activation="gelu", batch_first=True,
                                               norm_first=True)
            self.blocks = nn.TransformerEncoder(layer, GL, norm=nn.LayerNorm(GD),
                                                enable_nested_tensor=False)
            self.head = nn.Linear(GD, V)
            self.register_buffer("mask", nn.Transformer.generate_square_subsequent_mask(GT),
                                 persistent=False)

        def forward(self, ids):
            x = self.blocks(self.pos(self.tok(ids)), mask=self.mask, is_causal=True)
            return self.head(x)

    layer = nn.TransformerEncoderLayer(D, H, FF, dropout=dropout, batch_first=True)
    return layer, TorchCharGPT()


def _same_weights(torch, tmodel, gmodel):
    tmodel.load_state_dict({k: torch.from_numpy(np.array(v.data))
                            for k, v in gmodel.state_dict().items()})


def make_steps(case: str, lib: str, torch=None, dropout: float = 0.1):
    """A no-argument training step for ``lib`` ("glassnet" / "torch") on ``case``, and a
    dropout-free forward loss (to check that both compute the same thing)."""
    rng = np.random.default_rng(0)
    if case == "encoder-layer":
        x = rng.standard_normal((N, T, D)).astype(np.float32)
        y = rng.standard_normal((N, T, D)).astype(np.float32)
        g = gn_encoder_layer(dropout)
        if lib == "glassnet":
            xt, yt, model = gn.tensor(x), gn.tensor(y), g
            opt = gn.optim.Adam(model.parameters(), lr=1e-4)
            loss_fn = F.mse_loss
        else:
            model = torch_models(torch, dropout)[0]
            _same_weights(torch, model, g)
            xt, yt = torch.from_numpy(x), torch.from_numpy(y)
            opt = torch.optim.Adam(model.parameters(), lr=1e-4)
            loss_fn = torch.nn.functional.mse_loss

        def loss():
            return loss_fn(model(xt), yt)
    else:
        ids = rng.integers(0, V, (N, GT + 1))
        g = gn_char_gpt(dropout)
        if lib == "glassnet":
            xt, yt, model = gn.tensor(ids[:, :-1]), gn.tensor(ids[:, 1:].reshape(-1)), g
            opt = gn.optim.AdamW(model.parameters(), lr=1e-3)
            ce = F.cross_entropy
        else:
            model = torch_models(torch, dropout)[1]
            _same_weights(torch, model, g)
            xt = torch.from_numpy(ids[:, :-1])
            yt = torch.from_numpy(ids[:, 1:].reshape(-1))
            opt = torch.optim.AdamW(model.parameters(), lr=1e-3)
            ce = torch.nn.functional.cross_entropy

        def loss():
            return ce(model(xt).reshape(-1, V), yt)

    def step():
        opt.zero_grad()
        out = loss()
        out.backward()
        opt.step()
        return out

    def eval_loss():
        model.eval()
        out = float(loss().item())
        model.train()
        return out

    return step, eval_loss


# --- peak memory ------------------------------------------------------------------------------


def peak_glassnet(step) -> int:
    import tracemalloc

    step()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    step()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak - base


def peak_torch(torch, step) -> int:
    """Replay the profiler's allocation (+) and free (-) events of one step in order."""
    from torch.profiler import ProfilerActivity, profile

    step()
    with profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        step()
    events = [e for e in prof.profiler.kineto_results.events() if e.name() == "[memory]"]
    live = peak = 0
    for e in sorted(events, key=lambda e: e.start_ns()):
        live += e.nbytes()  # negative for a free
        peak = max(peak, live)
    return peak


def main() -> None:
    import torch

    torch.set_num_threads(ARGS.threads)
    print(f"float32 training steps, {ARGS.threads} thread(s), dropout {ARGS.dropout}; torch "
          f"{torch.__version__}, numpy {np.__version__}")
    rows = []
    for case in ARGS.only:
        g_step, g_eval = make_steps(case, "glassnet", dropout=ARGS.dropout)
        t_step, t_eval = make_steps(case, "torch", torch, ARGS.dropout)
        lg, lt = g_eval(), t_eval()
        if abs(lg - lt) > 1e-4 * max(1.0, abs(lt)):
            print(f"  warning: {case}: losses differ: glassnet {lg:.6f}, torch {lt:.6f}")
        med = compare({"glassnet": g_step, "torch": t_step}, repeats=ARGS.repeats, warmup=2,
                      min_time=0.05)
        mg, mt = peak_glassnet(g_step), peak_torch(torch, t_step)
        rows.append((case, med["glassnet"], med["torch"], mg, mt))
    mib = 2.0**20
    print(f"\n{'step':<14} {'glassnet':>10} {'torch':>10} {'ratio':>6}   "
          f"{'peak memory gn':>14} {'torch':>9} {'ratio':>6}")
    for case, tg, tt, mg, mt in rows:
        print(f"{case:<14} {format_seconds(tg):>10} {format_seconds(tt):>10} {tg / tt:5.2f}x"
              f"   {mg / mib:10.1f} MiB {mt / mib:5.1f} MiB {mg / max(mt, 1):5.2f}x")
    print("\n(ratios below 1: glassnet faster / smaller; peak memory: the most bytes live "
          "during one step above those live when it starts)")


if __name__ == "__main__":
    main()
