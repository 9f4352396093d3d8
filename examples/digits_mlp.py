"""An MLP on the bundled 8x8 handwritten digits.

    python examples/digits_mlp.py [--fast] [--plots DIR | --no-plots]

Runs ``glassnet.examples.digits_mlp.run`` through ``glassnet demo --chapter digits-mlp``.
"""

import sys

from glassnet.demo import main

if __name__ == "__main__":
    sys.exit(main(["--chapter", "digits-mlp", *sys.argv[1:]]))
