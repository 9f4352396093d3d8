"""Cross entropy and its derivative with respect to an output bias.

    python examples/cross_entropy.py [--fast] [--plots DIR | --no-plots]

Runs ``glassnet.examples.cross_entropy.run`` through ``glassnet demo --chapter cross-entropy``.
"""

import sys

from glassnet.demo import main

if __name__ == "__main__":
    sys.exit(main(["--chapter", "cross-entropy", *sys.argv[1:]]))
