"""ReLU in action: bent lines that add up to the dosage tent.

    python examples/relu.py [--fast] [--plots DIR | --no-plots]

Runs ``glassnet.examples.relu.run`` through ``glassnet demo --chapter relu``.
"""

import sys

from glassnet.demo import main

if __name__ == "__main__":
    sys.exit(main(["--chapter", "relu", *sys.argv[1:]]))
