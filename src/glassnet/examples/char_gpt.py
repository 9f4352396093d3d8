"""A character-level GPT: a decoder-only Transformer that writes like Lewis Carroll.

The same job as the character LSTM chapter (predict the next character of *Alice*), done
by a small GPT: token ``Embedding`` plus ``LearnedPositionalEncoding``, a stack of
pre-norm ``TransformerEncoderLayer`` blocks (``norm_first=True``, GELU) run with the
causal mask so position t attends to positions 0..t only, a final ``LayerNorm`` and a
``Linear`` head. Every position of every window is a training example, all computed in
one pass: that is what makes Transformers fast to train.

Training reads random windows of ``block`` characters from the first 90 % of the text;
the held-out loss is measured on the last 10 % (the split of the char-LSTM chapter). For
comparison the chapter trains that chapter's ``CharLSTM`` on the same batches for the same
number of steps and reports both held-out losses.

Sampling: the scores of the next character are divided by the **temperature** (below 1:
safer, above 1: more surprising) and only the **top-k** most likely characters are kept
before drawing.
"""

from __future__ import annotations

import math
import time

import numpy as np

import glassnet as gn
import glassnet.nn.functional as F

from .black_box import new_figure, save_figure
from .char_lm import CharLSTM, load_text


class CharGPT(gn.nn.Module):
    """ids ``(N, T)`` -> next-character scores ``(N, T, V)``, T <= ``block``."""

    def __init__(self, vocab_size: int, d_model: int = 64, nhead: int = 4, layers: int = 4,
                 block: int = 64, dropout: float = 0.1, generator=None):
        super().__init__()
        self.block = block
        self.tok = gn.nn.Embedding(vocab_size, d_model, generator=generator)
        self.pos = gn.nn.LearnedPositionalEncoding(d_model, max_len=block, dropout=dropout,
                                                   batch_first=True, generator=generator)
        layer = gn.nn.TransformerEncoderLayer(d_model, nhead, 4 * d_model, dropout=dropout,
                                              activation="gelu", batch_first=True,
                                              norm_first=True, generator=generator)
        self.blocks = gn.nn.TransformerEncoder(layer, layers, norm=gn.nn.LayerNorm(d_model))
        self.head = gn.nn.Linear(d_model, vocab_size, generator=generator)

    def forward(self, ids):
        T = ids.shape[1]
        mask = gn.nn.Transformer.generate_square_subsequent_mask(T)
        x = self.blocks(self.pos(self.tok(ids)), mask=mask, is_causal=True)
        return self.head(x)


def windows(ids: np.ndarray, starts: np.ndarray, block: int):
    """Inputs and next-character targets ``(len(starts), block)`` read at ``starts``."""
    idx = starts[:, None] + np.arange(block)
    return ids[idx], ids[idx + 1]


def held_out_loss(model, ids: np.ndarray, block: int) -> float:
    """Mean cross-entropy (nats per character) over consecutive windows of ``ids``."""
    starts = np.arange(0, len(ids) - block - 1, block)
    total = 0.0
    with gn.no_grad():
        for i in range(0, len(starts), 16):
            x, y = windows(ids, starts[i:i + 16], block)
            out = model(gn.tensor(x))
            logits = out[0] if isinstance(out, tuple) else out
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), gn.tensor(y.reshape(-1)))
            total += float(loss.item()) * y.size
    return total / (len(starts) * block)


def sample(model, chars: list, prompt: str, length: int, temperature: float = 1.0,
           top_k: int | None = None, rng: np.random.Generator | None = None) -> str:
    """Continue ``prompt``: scores / temperature, keep the ``top_k`` best, draw, repeat."""
    rng = rng or np.random.default_rng(0)
    index = {c: i for i, c in enumerate(chars)}
    out = [index[c] for c in prompt]
    with gn.no_grad():
        for _ in range(length):
            ctx = np.array([out[-model.block:]])
            logits = model(gn.tensor(ctx)).data[0, -1].astype(np.float64) / temperature
            if top_k is not None and top_k < len(logits):
                cut = np.partition(logits, -top_k)[-top_k]
                logits = np.where(logits < cut, -np.inf, logits)
            p = np.exp(logits - logits.max())
            out.append(int(rng.choice(len(p), p=p / p.sum())))
    return "".join(chars[i] for i in out)


def _train(model, ids, steps, batch, block, lr, rng, recurrent=False, label=""):
    opt = gn.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    model.train()
    losses = []
    t0 = time.perf_counter()
    for i in range(steps):
        x, y = windows(ids, rng.integers(0, len(ids) - block - 1, batch), block)
        out = model(gn.tensor(x))
        logits = out[0] if recurrent else out
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), gn.tensor(y.reshape(-1)))
        opt.zero_grad()
        loss.backward()
        gn.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        losses.append(float(loss.item()))
        if label and (i + 1) % max(1, steps // 4) == 0:
            print(f"  {label} step {i + 1:4d}: loss {np.mean(losses[-20:]):.3f} "
                  f"({time.perf_counter() - t0:.0f} s)")
    model.eval()
    return losses


def run(fast: bool = False, plot_dir: str | None = None) -> dict:
    """Train the char-GPT and, on the same batches, the char-LSTM; compare; sample."""
    text = load_text()
    chars = sorted(set(text))
    ids = np.array([chars.index(c) for c in text], dtype=np.int64)
    split = int(len(ids) * 0.9)
    train_ids, valid_ids = ids[:split], ids[split:]
    if fast:
        d, layers, block, batch, steps, hidden = 32, 2, 32, 16, 40, 64
    else:
        d, layers, block, batch, steps, hidden = 64, 4, 64, 16, 600, 256
    print(f"text: {len(text):,} characters, {len(chars)} distinct; windows of {block}, "
          f"batches of {batch}, {steps} steps")
    gen = gn.Generator(0)
    gpt = CharGPT(len(chars), d, 4, layers, block, dropout=0.0 if fast else 0.1, generator=gen)
    print(f"char-GPT: {layers} layers, d_model {d}, 4 heads: {gpt.num_parameters():,} "
          f"parameters")
    t0 = time.perf_counter()
    gpt_losses = _train(gpt, train_ids, steps, batch, block, 3e-3, np.random.default_rng(1),
                        label="char-GPT")
    gpt_seconds = time.perf_counter() - t0
    gpt_valid = held_out_loss(gpt, valid_ids, block)
    print(f"char-GPT: training {np.mean(gpt_losses[-20:]):.3f}, held-out {gpt_valid:.3f} "
          f"nats/char ({gpt_seconds:.0f} s)")

    lstm = CharLSTM(len(chars), 32, hidden, generator=gn.Generator(0))
    t0 = time.perf_counter()
    lstm_losses = _train(lstm, train_ids, steps, batch, block, 3e-3, np.random.default_rng(1),
                         recurrent=True, label="char-LSTM")
    lstm_seconds = time.perf_counter() - t0
    lstm_valid = held_out_loss(lstm, valid_ids, block)
    print(f"char-LSTM ({hidden} units, {lstm.num_parameters():,} parameters): training "
          f"{np.mean(lstm_losses[-20:]):.3f}, held-out {lstm_valid:.3f} nats/char "
          f"({lstm_seconds:.0f} s)")

    rng = np.random.default_rng(2)
    samples = {}
    for temperature, top_k in ((0.8, 5), (1.0, None)):
        key = f"T={temperature}, top_k={top_k}"
        samples[key] = sample(gpt, chars, "Alice ", 120 if fast else 300, temperature, top_k,
                              rng)
        print(f"\n--- char-GPT sample, temperature {temperature}, top-k {top_k} ---\n"
              f"{samples[key]}\n")

    plots = []
    if plot_dir:
        made = new_figure(5.5, 3.6)
        if made is not None:
            fig, (ax,) = made
            k = max(1, steps // 50)

            def smooth(v):
                return np.convolve(v, np.ones(k) / k, mode="valid")
            ax.plot(smooth(gpt_losses), label=f"char-GPT (held-out {gpt_valid:.2f})")
            ax.plot(smooth(lstm_losses), label=f"char-LSTM (held-out {lstm_valid:.2f})")
            ax.set_xlabel("step")
            ax.set_ylabel("training loss, nats per character")
            ax.set_title("Character models on Alice, ch. 1-2")
            ax.legend()
            plots.append(save_figure(fig, plot_dir, "char_gpt_loss.png"))
    first = next(iter(samples.values()))
    result = (f"char-GPT held-out {gpt_valid:.2f} nats/char vs char-LSTM {lstm_valid:.2f} "
              f"({steps} steps each, {gpt_seconds:.0f} s vs {lstm_seconds:.0f} s); sample: "
              f"{first[:50]!r}")
    return {"result": result, "gpt_valid": gpt_valid, "lstm_valid": lstm_valid,
            "gpt_train": float(np.mean(gpt_losses[-20:])),
            "bits_per_char": gpt_valid / math.log(2), "samples": samples, "plots": plots,
            "gpt_seconds": gpt_seconds, "lstm_seconds": lstm_seconds}
