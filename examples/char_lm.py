"""A character-level language model: an LSTM that writes like Lewis Carroll.

    python examples/char_lm.py [--fast] [--plots DIR | --no-plots]

Runs ``glassnet.examples.char_lm.run`` through ``glassnet demo --chapter char-lm``.
"""

import sys

from glassnet.demo import main

if __name__ == "__main__":
    sys.exit(main(["--chapter", "char-lm", *sys.argv[1:]]))
