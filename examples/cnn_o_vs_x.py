"""The curriculum's O-versus-X convolutional network.

    python examples/cnn_o_vs_x.py [--fast] [--plots DIR | --no-plots]

Runs ``glassnet.examples.cnn_o_vs_x.run`` through ``glassnet demo --chapter cnn-o-vs-x``.
"""

import sys

from glassnet.demo import main

if __name__ == "__main__":
    sys.exit(main(["--chapter", "cnn-o-vs-x", *sys.argv[1:]]))
