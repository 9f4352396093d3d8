"""Sequence to sequence with attention: the decoder looks back at every encoder output.

    python examples/seq2seq_attention.py [--fast] [--plots DIR | --no-plots]

Runs ``glassnet.examples.seq2seq_attention.run`` through
``glassnet demo --chapter seq2seq-attention``.
"""

import sys

from glassnet.demo import main

if __name__ == "__main__":
    sys.exit(main(["--chapter", "seq2seq-attention", *sys.argv[1:]]))
