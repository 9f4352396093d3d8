"""Sequence to sequence: an LSTM encoder-decoder that translates "Let's go" to "Vamos".

The curriculum's toy translation has two English phrases and their Spanish answers:

    let's go  ->  vamos <EOS>
    to go     ->  ir <EOS>

The **encoder** (an ``Embedding`` and an ``LSTM``) reads the English tokens; its final
long- and short-term memories (the *context vector*) become the **decoder**'s initial
state. The decoder (another ``Embedding``, ``LSTM`` and a ``Linear`` layer giving one score
per Spanish token) starts from ``<EOS>`` and predicts one token at a time.

Training uses **teacher forcing**: the decoder is fed the *correct* previous token
(``<EOS>, vamos``) rather than its own guess, so the whole target is one sequence and one
cross-entropy. Translating uses **greedy decoding**: feed ``<EOS>``, take the highest
scoring token, feed it back, and stop at ``<EOS>`` (or after a few tokens).
"""

from __future__ import annotations

import time

import numpy as np

import glassnet as gn
import glassnet.nn.functional as F

EOS = "<EOS>"
ENGLISH = ["let's", "to", "go", EOS]
SPANISH = ["ir", "vamos", "y", EOS]
PAIRS = [(["let's", "go"], ["vamos", EOS]), (["to", "go"], ["ir", EOS])]
MAX_LEN = 5


def encode(tokens, vocab) -> np.ndarray:
    """Tokens -> ids, with a clear error for a word the vocabulary lacks."""
    index = {w: i for i, w in enumerate(vocab)}
    bad = [t for t in tokens if t not in index]
    if bad:
        raise ValueError(f"unknown token(s) {bad}; the vocabulary is {vocab}")
    return np.array([index[t] for t in tokens], dtype=np.int64)


def batches():
    """Source ids ``(N, S)``, decoder inputs ``(N, T)`` (``<EOS>`` then the target shifted
    right: teacher forcing) and targets ``(N, T)``."""
    src = np.stack([encode(s, ENGLISH) for s, _ in PAIRS])
    tgt = np.stack([encode(t, SPANISH) for _, t in PAIRS])
    dec_in = np.concatenate([np.full((len(PAIRS), 1), SPANISH.index(EOS)), tgt[:, :-1]], 1)
    return src, dec_in, tgt


class Seq2Seq(gn.nn.Module):
    """LSTM encoder-decoder: ``src (N, S)`` ids, ``dec_in (N, T)`` ids -> scores ``(N, T, V)``."""

    def __init__(self, embed: int = 4, hidden: int = 8, generator=None):
        super().__init__()
        kw = {"generator": generator}
        self.enc_embed = gn.nn.Embedding(len(ENGLISH), embed, **kw)
        self.encoder = gn.nn.LSTM(embed, hidden, batch_first=True, **kw)
        self.dec_embed = gn.nn.Embedding(len(SPANISH), embed, **kw)
        self.decoder = gn.nn.LSTM(embed, hidden, batch_first=True, **kw)
        self.out = gn.nn.Linear(hidden, len(SPANISH), **kw)

    def encode(self, src):
        """Encoder outputs ``(N, S, H)`` and the context: its final ``(h, c)``."""
        return self.encoder(self.enc_embed(src))

    def decode(self, dec_in, state, enc_out=None):
        """Decoder scores ``(N, T, V)`` and its new state."""
        out, state = self.decoder(self.dec_embed(dec_in), state)
        return self.out(out), state

    def forward(self, src, dec_in):
        enc_out, context = self.encode(src)
        return self.decode(dec_in, context, enc_out)[0]


def train(model, steps: int, lr: float = 0.05, log=None) -> list:
    """Adam on both phrases at once with teacher forcing; returns the loss per step."""
    src, dec_in, tgt = (gn.tensor(a) for a in batches())
    opt = gn.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        scores = model(src, dec_in)
        loss = F.cross_entropy(scores.reshape(-1, len(SPANISH)), tgt.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
        if log and (step + 1) % log == 0:
            print(f"step {step + 1:4d}: loss {losses[-1]:.4f}")
    return losses


def translate(model, words, keep: list | None = None) -> list:
    """Greedy decoding: start from ``<EOS>``, feed back the best token, stop at ``<EOS>``.

    ``keep``, a list, receives each step's extra output (the attention weights of the
    attention chapter)."""
    with gn.no_grad():
        enc_out, state = model.encode(gn.tensor(encode(words, ENGLISH)[None]))
        token, out = SPANISH.index(EOS), []
        for _ in range(MAX_LEN):
            scores, state = model.decode(gn.tensor(np.array([[token]])), state, enc_out)
            if keep is not None and getattr(model, "last_weights", None) is not None:
                keep.append(model.last_weights[0, 0].copy())
            token = int(np.argmax(scores.data[0, -1]))
            out.append(SPANISH[token])
            if SPANISH[token] == EOS:
                break
    return out


def run(fast: bool = False, plot_dir: str | None = None) -> dict:
    """Train the encoder-decoder and translate both phrases back."""
    return _run(Seq2Seq, "seq2seq", fast, plot_dir)


def _run(cls, key: str, fast: bool, plot_dir, after=None) -> dict:
    gen = gn.Generator(0)
    model = cls(generator=gen)
    print(f"{key}: {model.num_parameters()} parameters; English {ENGLISH}, Spanish {SPANISH}")
    t0 = time.perf_counter()
    losses = train(model, 80 if fast else 200, log=40 if fast else 50)
    seconds = time.perf_counter() - t0
    translations = {}
    for words, target in PAIRS:
        got = translate(model, words)
        translations[" ".join(words)] = " ".join(got)
        mark = "ok" if got == target else f"expected {' '.join(target)}"
        print(f"  {' '.join(words):>9} -> {' '.join(got):<14} ({mark})")
    correct = sum(translations[" ".join(w)] == " ".join(t) for w, t in PAIRS)
    out = {"translations": translations, "correct": correct, "loss": losses[-1],
           "losses": losses, "plots": []}
    if after is not None:
        after(model, out, plot_dir)
    pairs = "; ".join(f"{k!r} -> {v!r}" for k, v in translations.items())
    out["result"] = (f"{correct}/{len(PAIRS)} phrases translated ({pairs}); final loss "
                     f"{losses[-1]:.4f} after {len(losses)} steps in {seconds:.1f} s")
    return out
