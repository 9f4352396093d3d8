"""An Iris classifier trained from random weights, scored on a held-out 30%.

    python examples/iris_classifier.py [--fast] [--plots DIR | --no-plots]

Runs ``glassnet.examples.iris_classifier.run`` through ``glassnet demo --chapter iris``.
"""

import sys

from glassnet.demo import main

if __name__ == "__main__":
    sys.exit(main(["--chapter", "iris", *sys.argv[1:]]))
