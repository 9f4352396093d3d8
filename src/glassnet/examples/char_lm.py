"""A character-level language model: an LSTM that writes like Lewis Carroll.

The network reads text one character at a time and, at every step, predicts the next
character: an ``Embedding`` turns each character id into a vector, an ``LSTM`` carries
what it has read so far, and a ``Linear`` layer gives one score per character; the loss
is cross-entropy against the character that really comes next.

The text is the first two chapters of *Alice's Adventures in Wonderland* (public
domain; see ``glassnet/examples/data/README.md``). It is cut into ``batch`` parallel
streams that are read in chunks of ``seq_len`` characters. **Truncated back-propagation
through time**: the hidden state is carried from one chunk to the next, so the network
still sees the whole stream, but it is *detached* at each chunk boundary, so gradients
flow back at most ``seq_len`` steps and the graph never grows beyond one chunk.
Gradients are clipped (``clip_grad_norm_``) as usual for recurrent networks.

The text is small, so a 256-unit LSTM starts to memorise it after about 20 epochs
(training loss keeps falling while the held-out loss turns up); the chapter reports
the epoch with the lowest held-out loss beside the last one and marks it on its figure.
Sampling feeds the model's own guesses back in, one character at a time; the
**temperature** divides the scores before the softmax: below 1 the text is safer and
more repetitive, above 1 more surprising and more misspelt.
"""

from __future__ import annotations

import math
import time
from importlib import resources

import numpy as np

import glassnet as gn
import glassnet.nn.functional as F

from .black_box import new_figure, save_figure

TEXT_FILE = "alice_ch1-2.txt"


def load_text() -> str:
    """The bundled text (about 22,000 characters)."""
    return resources.files("glassnet.examples").joinpath("data", TEXT_FILE).read_text("ascii")


class CharLSTM(gn.nn.Module):
    """ids ``(N, T)`` and a state -> next-character scores ``(N, T, V)`` and the new state."""

    def __init__(self, vocab_size: int, embed: int = 32, hidden: int = 256, layers: int = 1,
                 generator=None):
        super().__init__()
        self.embed = gn.nn.Embedding(vocab_size, embed, generator=generator)
        self.lstm = gn.nn.LSTM(embed, hidden, num_layers=layers, batch_first=True,
                               generator=generator)
        self.head = gn.nn.Linear(hidden, vocab_size, generator=generator)

    def forward(self, ids, state=None):
        out, state = self.lstm(self.embed(ids), state)
        return self.head(out), state


def streams(ids: np.ndarray, batch: int) -> np.ndarray:
    """Cut ``ids`` into ``batch`` equal consecutive streams: ``(batch, len // batch)``."""
    n = len(ids) // batch
    return ids[: n * batch].reshape(batch, n)


def detach_state(state):
    """Cut the carried state from the graph (truncated back-propagation through time)."""
    return tuple(s.detach() for s in state)


def evaluate(model, data: np.ndarray, seq_len: int) -> float:
    """Mean cross-entropy (nats per character) over ``data`` ``(B, L)``, state carried."""
    total, count, state = 0.0, 0, None
    with gn.no_grad():
        for start in range(0, data.shape[1] - 1, seq_len):
            x = data[:, start : start + seq_len]
            y = data[:, start + 1 : start + seq_len + 1]
            x = x[:, : y.shape[1]]
            logits, state = model(gn.tensor(x), state)
            loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), gn.tensor(y.reshape(-1)))
            total += float(loss.item()) * y.size
            count += y.size
    return total / count


def sample(model, chars: list, prompt: str, length: int, temperature: float,
           rng: np.random.Generator) -> str:
    """Continue ``prompt`` by ``length`` characters drawn from softmax(scores / temperature)."""
    index = {c: i for i, c in enumerate(chars)}
    out = list(prompt)
    with gn.no_grad():
        logits, state = model(gn.tensor(np.array([[index[c] for c in prompt]])))
        for _ in range(length):
            p = gn.softmax(logits[0, -1], dim=-1, temperature=temperature).data.astype(np.float64)
            nxt = int(rng.choice(len(chars), p=p / p.sum()))
            out.append(chars[nxt])
            logits, state = model(gn.tensor(np.array([[nxt]])), state)
    return "".join(out)


def run(fast: bool = False, plot_dir: str | None = None) -> dict:
    """Train the model with truncated BPTT and print samples at two temperatures."""
    text = load_text()
    chars = sorted(set(text))
    ids = np.array([chars.index(c) for c in text], dtype=np.int64)
    split = int(len(ids) * 0.9)
    hidden, epochs, batch, seq_len = (96, 4, 32, 48) if fast else (256, 24, 32, 64)
    train_data = streams(ids[:split], batch)
    valid_data = streams(ids[split:], 4)
    counts = np.bincount(ids[:split], minlength=len(chars)) + 1.0
    unigram = float(-(counts / counts.sum() * np.log(counts / counts.sum())).sum())
    print(f"text: {len(text):,} characters, {len(chars)} distinct; {batch} streams of "
          f"{train_data.shape[1]} characters, chunks of {seq_len} (truncated BPTT)")
    print(f"a model that ignores context (character frequencies) scores {unigram:.2f} "
          f"nats per character")

    gen = gn.Generator(0)
    model = CharLSTM(len(chars), 32, hidden, generator=gen)
    opt = gn.optim.Adam(model.parameters(), lr=0.005)
    history = []
    t0 = time.perf_counter()
    for epoch in range(epochs):
        state, losses = None, []
        for start in range(0, train_data.shape[1] - 1, seq_len):
            x = train_data[:, start : start + seq_len]
            y = train_data[:, start + 1 : start + seq_len + 1]
            x = x[:, : y.shape[1]]
            if state is not None:
                state = detach_state(state)
            logits, state = model(gn.tensor(x), state)
            loss = F.cross_entropy(logits.reshape(-1, len(chars)), gn.tensor(y.reshape(-1)))
            opt.zero_grad()
            loss.backward()
            gn.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            losses.append(float(loss.item()))
        valid = evaluate(model, valid_data, seq_len)
        history.append((float(np.mean(losses)), valid))
        print(f"epoch {epoch + 1:3d}: train {history[-1][0]:.3f}, held-out {valid:.3f} nats/char")
    seconds = time.perf_counter() - t0
    # the text is small: the held-out loss can turn up while the training loss keeps
    # falling (memorising), so the best epoch is reported beside the last one
    best_epoch = int(np.argmin([h[1] for h in history])) + 1
    best_valid = history[best_epoch - 1][1]
    train_loss, valid_loss = history[-1]
    print(f"lowest held-out loss {best_valid:.3f} nats/char at epoch {best_epoch} of {epochs}; "
          f"after the last epoch {valid_loss:.3f}"
          + (" (rising since: the model starts to memorise its text)"
             if best_epoch < epochs else ""))

    rng = np.random.default_rng(1)
    samples = {}
    for temperature in (0.5, 1.0):
        samples[temperature] = sample(model, chars, "Alice ", 200 if fast else 400,
                                      temperature, rng)
        print(f"\n--- sample, temperature {temperature} ---\n{samples[temperature]}\n")

    plots = []
    if plot_dir:
        made = new_figure(5.5, 3.6)
        if made is not None:
            fig, (ax,) = made
            ep = np.arange(1, len(history) + 1)
            ax.plot(ep, [h[0] for h in history], "o-", label="training")
            ax.plot(ep, [h[1] for h in history], "o-",
                    label=f"held-out (last: {valid_loss:.3f})")
            ax.axhline(unigram, ls="--", c="gray", label="character frequencies only")
            ax.plot([best_epoch], [best_valid], "*", ms=14, c="tab:red", zorder=5,
                    label=f"lowest held-out: {best_valid:.3f} (epoch {best_epoch})")
            ax.set_xlabel("epoch")
            ax.xaxis.get_major_locator().set_params(integer=True)
            ax.set_ylabel("nats per character")
            ax.set_title("Character-level LSTM on Alice, ch. 1-2")
            ax.legend()
            plots.append(save_figure(fig, plot_dir, "char_lm_loss.png"))
    result = (f"char LSTM: held-out {best_valid:.2f} nats/char at best (epoch {best_epoch}), "
              f"{valid_loss:.2f} after epoch {epochs} (training {train_loss:.2f}; "
              f"context-free {unigram:.2f}) in {seconds:.0f} s; sample: "
              f"{samples[0.5][:60]!r}")
    return {"result": result, "train_loss": train_loss, "valid_loss": valid_loss,
            "best_epoch": best_epoch, "best_valid_loss": best_valid,
            "unigram": unigram, "bits_per_char": train_loss / math.log(2),
            "samples": {str(k): v for k, v in samples.items()}, "vocab": "".join(chars),
            "history": history, "plots": plots}
