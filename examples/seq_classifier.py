"""Classifying variable-length sequences: Embedding + bidirectional LSTM.

    python examples/seq_classifier.py [--fast] [--plots DIR | --no-plots]

Runs ``glassnet.examples.seq_classifier.run`` through ``glassnet demo --chapter seq-classifier``.
"""

import sys

from glassnet.demo import main

if __name__ == "__main__":
    sys.exit(main(["--chapter", "seq-classifier", *sys.argv[1:]]))
