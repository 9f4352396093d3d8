"""A CNN with augmentation on the bundled 8x8 handwritten digits.

    python examples/cnn_digits.py [--fast] [--plots DIR | --no-plots]

Runs ``glassnet.examples.cnn_digits.run`` through ``glassnet demo --chapter cnn-digits``.
"""

import sys

from glassnet.demo import main

if __name__ == "__main__":
    sys.exit(main(["--chapter", "cnn-digits", *sys.argv[1:]]))
