"""Tune the digits MLP: an Optuna search over width, depth, learning rate, weight decay
and dropout, with pruning and early stopping; over-fitting of an over-sized network.

    python examples/tuning_digits.py [--fast] [--plots DIR | --no-plots]

Runs ``glassnet.examples.tuning_digits.run`` through ``glassnet demo --chapter tuning``.
"""

import sys

from glassnet.demo import main

if __name__ == "__main__":
    sys.exit(main(["--chapter", "tuning", *sys.argv[1:]]))
