"""Inside the black box: the dosage network's weights at work, then trained from random.

    python examples/black_box.py [--fast] [--plots DIR | --no-plots]

Runs ``glassnet.examples.black_box.run`` through ``glassnet demo --chapter black-box``.
"""

import sys

from glassnet.demo import main

if __name__ == "__main__":
    sys.exit(main(["--chapter", "black-box", *sys.argv[1:]]))
