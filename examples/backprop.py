"""Backpropagation: gradient descent on b3, then on all seven parameters.

    python examples/backprop.py [--fast] [--plots DIR | --no-plots]

Runs ``glassnet.examples.backprop.run`` through ``glassnet demo --chapter backprop``.
"""

import sys

from glassnet.demo import main

if __name__ == "__main__":
    sys.exit(main(["--chapter", "backprop", *sys.argv[1:]]))
