"""A character-level GPT: a decoder-only Transformer that writes like Lewis Carroll.

    python examples/char_gpt.py [--fast] [--plots DIR | --no-plots]

Runs ``glassnet.examples.char_gpt.run`` through ``glassnet demo --chapter char-gpt``.
"""

import sys

from glassnet.demo import main

if __name__ == "__main__":
    sys.exit(main(["--chapter", "char-gpt", *sys.argv[1:]]))
