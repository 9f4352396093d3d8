"""Sequence to sequence with attention: the decoder looks back at every encoder output.

The plain encoder-decoder squeezes the whole English phrase into one context vector.
With **attention**, each decoder step also compares its output with every encoder output
(a dot product: the similarity of the two), turns the similarities into weights with a
softmax, and adds up the encoder outputs with those weights. The decoder's output and
this weighted sum go together into the final ``Linear`` layer.

The weighted sum is ``F.scaled_dot_product_attention(decoder_out, encoder_out,
encoder_out, scale=1.0)``: one fused op with its own backward. Printed and plotted:
for each Spanish token the decoder produced, how much it looked at each English word.
"""

from __future__ import annotations

import os

import numpy as np

import glassnet as gn
import glassnet.nn.functional as F

from ..ops.attention import attention_weights
from .seq2seq import ENGLISH, EOS, PAIRS, SPANISH, Seq2Seq, _run, translate


class Seq2SeqAttention(Seq2Seq):
    """:class:`Seq2Seq` whose output layer also sees an attention-weighted sum of the
    encoder outputs: ``Linear(2·hidden, V)`` on ``[decoder output, context]``."""

    def __init__(self, embed: int = 4, hidden: int = 8, generator=None):
        super().__init__(embed, hidden, generator)
        self.out = gn.nn.Linear(2 * hidden, len(SPANISH), generator=generator)
        self.last_weights = None

    def decode(self, dec_in, state, enc_out=None):
        out, state = self.decoder(self.dec_embed(dec_in), state)
        # similarity = dot product (scale 1), softmax over the English words, weighted sum
        context = F.scaled_dot_product_attention(out, enc_out, enc_out, scale=1.0)
        if not gn.is_grad_enabled():  # translating: keep the weights to show them
            self.last_weights = attention_weights(out, enc_out, scale=1.0).data
        return self.out(gn.cat([out, context], dim=-1)), state


def _show_attention(model, out: dict, plot_dir) -> None:
    out["weights"] = {}
    for words, _ in PAIRS:
        steps: list = []
        got = translate(model, words, steps)
        w = np.stack(steps)  # (decoder steps, English words)
        out["weights"][" ".join(words)] = w.tolist()
        print(f"\nattention while translating {' '.join(words)!r} (rows: the token fed to "
              f"the decoder; columns: the English words)")
        fed = [EOS] + got[:-1]
        print(" " * 10 + "".join(f"{t:>8}" for t in words))
        for tok, row in zip(fed, w):
            print(f"{tok:>10}" + "".join(f"{v:8.2f}" for v in row))
        if plot_dir:
            try:
                from ..explain import plot
            except ImportError:  # pragma: no cover
                continue
            stem = words[0].replace("'", "")
            path = os.path.join(plot_dir, f"seq2seq_attention_{stem}.png")
            plot.attention(w, words, [f"in: {t}" for t in fed], save=path,
                           title=f"attention: {' '.join(words)} -> {' '.join(got)}")
            out["plots"].append(path)


def run(fast: bool = False, plot_dir: str | None = None) -> dict:
    """Train the encoder-decoder with attention, translate, and show the weights."""
    out = _run(Seq2SeqAttention, "seq2seq with attention", fast, plot_dir, _show_attention)
    out["english"], out["spanish"] = ENGLISH, SPANISH
    return out
