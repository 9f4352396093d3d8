"""Why a plain RNN struggles where an LSTM does not: gradients over time steps.

    python examples/rnn_vs_lstm.py [--fast] [--plots DIR]

Runs ``glassnet.examples.rnn_vs_lstm.run``.
"""

import argparse

from glassnet.examples import rnn_vs_lstm

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fast", action="store_true", help="a shorter run (what the tests use)")
    p.add_argument("--plots", metavar="DIR", help="save the figures in DIR")
    args = p.parse_args()
    out = rnn_vs_lstm.run(fast=args.fast, plot_dir=args.plots)
    print(out["result"])
