"""Sequence to sequence: an LSTM encoder-decoder that translates "Let's go" to "Vamos".

    python examples/seq2seq.py [--fast] [--plots DIR | --no-plots]

Runs ``glassnet.examples.seq2seq.run`` through ``glassnet demo --chapter seq2seq``.
"""

import sys

from glassnet.demo import main

if __name__ == "__main__":
    sys.exit(main(["--chapter", "seq2seq", *sys.argv[1:]]))
