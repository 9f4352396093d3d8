"""A decoder-only Transformer that answers "What is StatQuest?" with "Awesome <EOS>".

The vocabulary has five tokens: ``what, is, statquest, awesome, <EOS>``. The model is the
curriculum's decoder-only Transformer, piece by piece:

1. **word embedding** (``Embedding``) turns each token into ``d_model`` numbers;
2. **positional encoding** (``PositionalEncoding``: sines and cosines of the position)
   adds where each token sits, so "what is statquest" and "statquest is what" differ;
3. **masked self-attention** (``MultiheadAttention`` with one head and the causal mask
   ``Transformer.generate_square_subsequent_mask``): each token's query is compared with
   the keys of itself and the tokens *before* it, never after;
4. a **residual connection** adds the attention output back to its input;
5. a ``Linear`` layer gives one score per vocabulary token: the next token.

Training asks it to predict every next token of ``what is statquest <EOS> awesome <EOS>``
(and of ``statquest is what <EOS> awesome <EOS>``). To answer, the prompt and ``<EOS>``
go in and the model appends its best guess until it writes ``<EOS>``.
"""

from __future__ import annotations

import os
import time

import numpy as np

import glassnet as gn
import glassnet.nn.functional as F

VOCAB = ["what", "is", "statquest", "awesome", "<EOS>"]
EOS = "<EOS>"
SENTENCES = [["what", "is", "statquest", EOS, "awesome", EOS],
             ["statquest", "is", "what", EOS, "awesome", EOS]]


def ids(tokens) -> np.ndarray:
    index = {w: i for i, w in enumerate(VOCAB)}
    bad = [t for t in tokens if t not in index]
    if bad:
        raise ValueError(f"unknown token(s) {bad}; the vocabulary is {VOCAB}")
    return np.array([index[t] for t in tokens], dtype=np.int64)


class DecoderOnlyTransformer(gn.nn.Module):
    """ids ``(N, T)`` -> next-token scores ``(N, T, V)``; ``need_weights`` also returns the
    masked self-attention weights ``(N, T, T)``."""

    def __init__(self, d_model: int = 4, max_len: int = 8, generator=None):
        super().__init__()
        self.embed = gn.nn.Embedding(len(VOCAB), d_model, generator=generator)
        self.pos = gn.nn.PositionalEncoding(d_model, max_len=max_len, batch_first=True)
        self.self_attn = gn.nn.MultiheadAttention(d_model, 1, bias=False, batch_first=True,
                                                  generator=generator)
        self.fc = gn.nn.Linear(d_model, len(VOCAB), generator=generator)

    def forward(self, tokens, need_weights: bool = False):
        x = self.pos(self.embed(tokens))
        T = tokens.shape[1]
        mask = gn.nn.Transformer.generate_square_subsequent_mask(T)
        a, w = self.self_attn(x, x, x, attn_mask=mask, need_weights=need_weights,
                              is_causal=not need_weights)
        scores = self.fc(x + a)  # the residual connection, then the output layer
        return (scores, w) if need_weights else scores


def answer(model, prompt, max_new: int = 4) -> list:
    """Greedy: append the best next token until ``<EOS>`` (or ``max_new`` tokens)."""
    tokens = list(prompt)
    with gn.no_grad():
        for _ in range(max_new):
            scores = model(gn.tensor(ids(tokens)[None]))
            nxt = VOCAB[int(np.argmax(scores.data[0, -1]))]
            tokens.append(nxt)
            if nxt == EOS:
                break
    return tokens[len(prompt):]


def run(fast: bool = False, plot_dir: str | None = None) -> dict:
    """Train on the two sentences, answer both questions, show the attention weights."""
    gen = gn.Generator(0)
    model = DecoderOnlyTransformer(d_model=4, generator=gen)
    data = np.stack([ids(s) for s in SENTENCES])
    x, y = gn.tensor(data[:, :-1]), gn.tensor(data[:, 1:])
    opt = gn.optim.Adam(model.parameters(), lr=0.03)
    steps = 80 if fast else 200
    t0 = time.perf_counter()
    for step in range(steps):
        loss = F.cross_entropy(model(x).reshape(-1, len(VOCAB)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if (step + 1) % (steps // 3) == 0:
            print(f"step {step + 1:4d}: loss {float(loss.item()):.4f}")
    seconds = time.perf_counter() - t0

    answers = {}
    for s in SENTENCES:
        prompt = s[:4]
        got = answer(model, prompt)
        answers[" ".join(prompt)] = " ".join(got)
        print(f"  {' '.join(prompt):>26} -> {' '.join(got)}")
    question = SENTENCES[0][:-1]  # what is statquest <EOS> awesome
    with gn.no_grad():
        _, w = model(gn.tensor(ids(question)[None]), need_weights=True)
    w = w.data[0]
    print("\nmasked self-attention (rows: each token's query; columns: the keys it may see;"
          " above the diagonal is masked)")
    print(" " * 11 + "".join(f"{t[:9]:>10}" for t in question))
    for tok, row in zip(question, w):
        print(f"{tok[:9]:>10} " + "".join(f"{v:10.2f}" for v in row))
    plots = []
    if plot_dir:
        try:
            from ..explain import plot
            path = os.path.join(plot_dir, "transformer_statquest_attention.png")
            plot.attention(w, question, save=path, title="masked self-attention")
            plots.append(path)
        except ImportError:  # pragma: no cover - no matplotlib
            pass
    correct = sum(v == "awesome <EOS>" for v in answers.values())
    result = (f"{correct}/2 answered 'awesome <EOS>' ({'; '.join(answers.values())}); loss "
              f"{float(loss.item()):.4f} after {steps} steps in {seconds:.1f} s")
    return {"result": result, "answers": answers, "correct": correct,
            "loss": float(loss.item()), "weights": w.tolist(), "plots": plots}
