"""Multiple inputs and outputs: Iris petal and sepal width in, three species out.

    python examples/multiple_io.py [--fast] [--plots DIR | --no-plots]

Runs ``glassnet.examples.multiple_io.run`` through ``glassnet demo --chapter multiple-io``.
"""

import sys

from glassnet.demo import main

if __name__ == "__main__":
    sys.exit(main(["--chapter", "multiple-io", *sys.argv[1:]]))
