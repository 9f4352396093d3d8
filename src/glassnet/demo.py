"""glassnet demo: the curriculum's chapters end to end on the bundled data.

Each chapter is a module in ``glassnet.examples`` with ``run(fast, plot_dir) -> dict``;
the demo runs them in order, times them and closes with a summary table.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
import traceback

CHAPTERS: list[tuple[str, str, str]] = [
    # (key, title, module in glassnet.examples)
    ("black-box", "Inside the black box", "black_box"),
    ("backprop", "Backpropagation main ideas", "backprop"),
    ("relu", "ReLU in action", "relu"),
    ("multiple-io", "Multiple inputs and outputs", "multiple_io"),
    ("softmax", "ArgMax and SoftMax", "argmax_softmax"),
    ("cross-entropy", "Cross entropy and its derivative", "cross_entropy"),
    ("iris", "Iris classifier from random weights", "iris_classifier"),
    ("digits-mlp", "Digits MLP", "digits_mlp"),
    ("tuning", "Tuning the digits MLP (Optuna)", "tuning_digits"),
    ("cnn-o-vs-x", "Convolution: O versus X", "cnn_o_vs_x"),
    ("cnn-digits", "CNN on 8x8 digits with augmentation", "cnn_digits"),
    ("lstm-stock", "LSTM stock prices", "lstm_stock"),
    ("rnn-vs-lstm", "Why a plain RNN struggles", "rnn_vs_lstm"),
    ("char-lm", "Character language model", "char_lm"),
    ("seq-classifier", "Embedding + BiLSTM classifier", "seq_classifier"),
    ("word2vec", "Word embeddings and Word2Vec", "word_embeddings"),
    ("pretrained-embeddings", "Pre-trained word vectors in a classifier", "pretrained_embeddings"),
    ("seq2seq", "Seq2Seq: an LSTM encoder-decoder translates", "seq2seq"),
    ("seq2seq-attention", "Seq2Seq with attention", "seq2seq_attention"),
    ("transformer", "Decoder-only Transformer: What is StatQuest?", "transformer_statquest"),
    ("char-gpt", "Character-level GPT vs the char-LSTM", "char_gpt"),
    ("glass-box", "The glass box: chain rule, squiggle, anomalies", "glass_box"),
]


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="glassnet demo", description=__doc__.splitlines()[0])
    p.add_argument("--list", action="store_true", help="list the chapters and exit")
    p.add_argument("--chapter", action="append", metavar="KEY",
                   help="run only this chapter (repeatable); see --list")
    p.add_argument("--fast", action="store_true", help="shorter training everywhere")
    p.add_argument("--plots", default="glassnet-demo", metavar="DIR",
                   help="folder for figures when matplotlib is installed (default: %(default)s)")
    p.add_argument("--no-plots", action="store_true", help="save no figures")
    return p


def _have_matplotlib() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.list:
        for key, title, _ in CHAPTERS:
            print(f"{key:<16} {title}")
        return 0
    chosen = CHAPTERS
    if args.chapter:
        known = {k for k, _, _ in CHAPTERS}
        bad = [c for c in args.chapter if c not in known]
        if bad:
            print(f"glassnet demo: unknown chapter(s) {', '.join(bad)}; try --list",
                  file=sys.stderr)
            return 2
        chosen = [c for c in CHAPTERS if c[0] in args.chapter]
    plot_dir = None
    if not args.no_plots and _have_matplotlib():
        import matplotlib

        matplotlib.use("Agg")
        plot_dir = os.path.abspath(args.plots)
        os.makedirs(plot_dir, exist_ok=True)
    rows = []
    failed = 0
    for key, title, module in chosen:
        print(f"\n=== {title} ({key}) " + "=" * max(0, 60 - len(title) - len(key)))
        t0 = time.perf_counter()
        try:
            mod = importlib.import_module(f"glassnet.examples.{module}")
            out = mod.run(fast=args.fast, plot_dir=plot_dir)
            result = str(out.get("result", "done"))
        except Exception as e:  # a chapter failing must not hide the others
            traceback.print_exc()
            result = f"FAILED: {type(e).__name__}: {e}"
            failed += 1
        rows.append((title, result, time.perf_counter() - t0))
    _summary(rows)
    if plot_dir:
        print(f"\nFigures saved in {plot_dir}")
    return 1 if failed else 0


def _summary(rows, width: int = 80) -> None:
    """The closing table, at most ``width`` columns: titles and results wrap at spaces."""
    import textwrap

    w1 = min(22, max(len("chapter"), *(len(r[0]) for r in rows)))
    w2 = width - w1 - 2 - 8  # two spaces, then "  123.4s"
    rule = "-" * width
    print("\n" + "chapter".ljust(w1) + "  " + "result".ljust(w2) + "    time")
    print(rule)
    for title, result, secs in rows:
        left = textwrap.wrap(title, w1, break_long_words=False) or [""]
        right = textwrap.wrap(result, w2, break_long_words=False) or [""]
        for k in range(max(len(left), len(right))):
            a = left[k] if k < len(left) else ""
            b = right[k] if k < len(right) else ""
            tail = f"  {secs:5.1f}s" if k == 0 else ""
            print(f"{a.ljust(w1)}  {b.ljust(w2)}{tail}".rstrip())
    print(rule)
    print(f"{'total'.ljust(w1)}  {''.ljust(w2)}  {sum(r[2] for r in rows):5.1f}s")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
