"""Why a plain RNN struggles where an LSTM does not: gradients over time steps.

    python examples/rnn_vs_lstm.py [--fast] [--plots DIR | --no-plots]

Runs ``glassnet.examples.rnn_vs_lstm.run`` through ``glassnet demo --chapter rnn-vs-lstm``.
"""

import sys

from glassnet.demo import main

if __name__ == "__main__":
    sys.exit(main(["--chapter", "rnn-vs-lstm", *sys.argv[1:]]))
