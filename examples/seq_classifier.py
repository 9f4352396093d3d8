"""Classifying variable-length sequences: Embedding + bidirectional LSTM.

    python examples/seq_classifier.py [--fast] [--plots DIR]

Runs ``glassnet.examples.seq_classifier.run``.
"""

import argparse

from glassnet.examples import seq_classifier

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fast", action="store_true", help="a shorter run (what the tests use)")
    p.add_argument("--plots", metavar="DIR", help="save the figures in DIR")
    args = p.parse_args()
    out = seq_classifier.run(fast=args.fast, plot_dir=args.plots)
    print(out["result"])
