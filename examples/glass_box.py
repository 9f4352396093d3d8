"""The glass box: a chain-rule derivation, the squiggle, a planted NaN found.

    python examples/glass_box.py [--fast] [--plots DIR | --no-plots]

Runs ``glassnet.examples.glass_box.run`` through ``glassnet demo --chapter glass-box``.
"""

import sys

from glassnet.demo import main

if __name__ == "__main__":
    sys.exit(main(["--chapter", "glass-box", *sys.argv[1:]]))
