"""ArgMax and SoftMax (with temperature) on one flower's raw outputs.

    python examples/argmax_softmax.py [--fast] [--plots DIR | --no-plots]

Runs ``glassnet.examples.argmax_softmax.run`` through ``glassnet demo --chapter softmax``.
"""

import sys

from glassnet.demo import main

if __name__ == "__main__":
    sys.exit(main(["--chapter", "softmax", *sys.argv[1:]]))
