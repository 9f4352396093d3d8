"""Tagging variable-length sequences: Embedding + bidirectional LSTM.

The task (synthetic): sequences of 3 to 15 tokens drawn from 7 symbols (1 to 7); every
token gets a label, 1 when **its left neighbour is smaller than its right neighbour**
(a missing neighbour, before the first or after the last token, counts as 0). The
label of token ``t`` depends on token ``t - 1`` and on token ``t + 1``: a one-directional
LSTM reading left to right has not seen ``t + 1`` yet and can only guess (at best about
76% right); a bidirectional LSTM has read it with its backward direction.

The sequences have different lengths, so they are padded with token 0
(``Embedding(..., padding_idx=0)``) and packed with ``pack_padded_sequence``: the LSTM
never computes on padding, and the backward direction starts at each sequence's own
last token (otherwise the last token's "right neighbour" would be padding read
backwards). The loss and the accuracy use the packed rows, which are exactly the valid
tokens; ``pad_packed_sequence`` turns predictions back into a padded ``(N, T)`` grid.
The example also checks that padding changes nothing: a sequence tagged alone gets
exactly the scores it gets inside a padded batch.
"""

from __future__ import annotations

import numpy as np

import glassnet as gn
import glassnet.nn.functional as F
from glassnet.nn.utils_rnn import pack_padded_sequence, pad_packed_sequence

from .black_box import new_figure, save_figure

VOCAB = 8  # token 0 is padding; 1..7 are symbols
MIN_LEN, MAX_LEN = 3, 15


def tags(seq: np.ndarray) -> np.ndarray:
    """1 where the left neighbour is smaller than the right one (missing ones are 0)."""
    padded = np.r_[0, seq, 0]
    return (padded[:-2] < padded[2:]).astype(np.int64)


def make_data(n: int, rng: np.random.Generator):
    """``(ids (n, MAX_LEN), lengths (n,), labels (n, MAX_LEN))``, zero-padded."""
    lengths = rng.integers(MIN_LEN, MAX_LEN + 1, n)
    ids = np.zeros((n, MAX_LEN), dtype=np.int64)
    labels = np.zeros((n, MAX_LEN), dtype=np.int64)
    for k, L in enumerate(lengths):
        seq = rng.integers(1, VOCAB, L)
        ids[k, :L] = seq
        labels[k, :L] = tags(seq)
    return ids, lengths, labels


class SequenceTagger(gn.nn.Module):
    """ids ``(N, T)`` zero-padded and lengths ``(N,)`` -> tag scores of the valid tokens,
    packed: ``(sum(lengths), 2)``, plus the PackedSequence bookkeeping."""

    def __init__(self, embed: int = 16, hidden: int = 32, bidirectional: bool = True,
                 generator=None):
        super().__init__()
        self.embed = gn.nn.Embedding(VOCAB, embed, padding_idx=0, generator=generator)
        self.lstm = gn.nn.LSTM(embed, hidden, batch_first=True, bidirectional=bidirectional,
                               generator=generator)
        self.head = gn.nn.Linear(hidden * (2 if bidirectional else 1), 2, generator=generator)

    def forward(self, ids, lengths):
        packed = pack_padded_sequence(self.embed(ids), lengths, batch_first=True,
                                      enforce_sorted=False)
        out, _ = self.lstm(packed)  # out.data: (S, D*H), one row per valid token
        return self.head(out.data), out


def packed_labels(labels: np.ndarray, lengths) -> gn.Tensor:
    """The labels of the valid tokens, in the packed order the model's scores use."""
    return pack_padded_sequence(gn.tensor(labels), lengths, batch_first=True,
                                enforce_sorted=False).data


def accuracy(model, ids, lengths, labels) -> float:
    """The fraction of valid tokens tagged right."""
    with gn.no_grad():
        scores, _ = model(gn.tensor(ids), lengths)
    return float((scores.data.argmax(axis=1) == packed_labels(labels, lengths).data).mean())


def train(model, data, epochs: int, batch: int = 64, lr: float = 0.01, seed: int = 0):
    """Adam on mini-batches; returns the held-out accuracy after each epoch."""
    (ids, lengths, labels), test = data
    opt = gn.optim.Adam(model.parameters(), lr=lr)
    rng = np.random.default_rng(seed)
    curve = []
    for _ in range(epochs):
        order = rng.permutation(len(ids))
        for start in range(0, len(ids), batch):
            k = order[start : start + batch]
            scores, _ = model(gn.tensor(ids[k]), lengths[k])
            loss = F.cross_entropy(scores, packed_labels(labels[k], lengths[k]))
            opt.zero_grad()
            loss.backward()
            opt.step()
        curve.append(accuracy(model, *test))
    return curve


def padded_scores(model, ids, lengths) -> np.ndarray:
    """Tag scores as a padded grid ``(N, T, 2)`` (zeros at padding)."""
    with gn.no_grad():
        scores, out = model(gn.tensor(ids), lengths)
        grid, _ = pad_packed_sequence(out._replace(data=scores), batch_first=True,
                                      total_length=ids.shape[1])
    return grid.data


def padding_invariant(model, ids, lengths) -> bool:
    """Scores of each sequence alone (unpadded) equal its scores inside the padded batch."""
    batch = padded_scores(model, ids, lengths)
    for k, L in enumerate(lengths):
        alone = padded_scores(model, ids[k : k + 1, :L], lengths[k : k + 1])
        if not np.allclose(alone[0], batch[k, :L], atol=1e-5):
            return False
    return True


def run(fast: bool = False, plot_dir: str | None = None) -> dict:
    """Train the bidirectional tagger (and a one-directional one unless ``fast``)."""
    rng = np.random.default_rng(0)
    n_train, epochs = (1500, 5) if fast else (4000, 12)
    data = (make_data(n_train, rng), make_data(1000, rng))
    print(f"{n_train} training sequences of {MIN_LEN}-{MAX_LEN} tokens; each token's tag: "
          f"left neighbour < right neighbour")
    bi = SequenceTagger(bidirectional=True, generator=gn.Generator(0))
    bi_curve = train(bi, data, epochs)
    print("bidirectional LSTM: held-out accuracy by epoch "
          + ", ".join(f"{a:.2f}" for a in bi_curve))
    uni_curve = None
    if not fast:
        uni = SequenceTagger(bidirectional=False, generator=gn.Generator(0))
        uni_curve = train(uni, data, epochs)
        print("one-directional LSTM: held-out accuracy by epoch "
              + ", ".join(f"{a:.2f}" for a in uni_curve))
    ids, lengths, _ = data[1]
    invariant = padding_invariant(bi, ids[:40], lengths[:40])
    print(f"padding changes nothing (40 sequences scored alone and in a batch): {invariant}")
    grid = padded_scores(bi, ids[:1], lengths[:1])[0].argmax(axis=1)[: lengths[0]]
    print(f"example: tokens {ids[0, : lengths[0]].tolist()}\n"
          f"         tags   {tags(ids[0, : lengths[0]]).tolist()}\n"
          f"    predicted   {grid.tolist()}")
    plots = []
    if plot_dir:
        made = new_figure(5.5, 3.6)
        if made is not None:
            fig, (ax,) = made
            ax.plot(np.arange(1, epochs + 1), bi_curve, "o-", label="bidirectional")
            if uni_curve:
                ax.plot(np.arange(1, epochs + 1), uni_curve, "o-", label="one direction")
            ax.set_xlabel("epoch")
            ax.set_ylabel("held-out accuracy")
            ax.set_title("tag: left neighbour < right neighbour?")
            ax.legend()
            plots.append(save_figure(fig, plot_dir, "seq_classifier_accuracy.png"))
    result = (f"Embedding + bidirectional LSTM tagging variable-length sequences: held-out "
              f"token accuracy "
              f"{bi_curve[-1]:.3f}"
              + (f" (one direction: {uni_curve[-1]:.3f})" if uni_curve else "")
              + f" after {epochs} epochs; padding-invariant: {invariant}")
    return {"result": result, "accuracy": bi_curve[-1], "curve": bi_curve,
            "uni_curve": uni_curve, "padding_invariant": invariant, "plots": plots}
