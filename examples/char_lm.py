"""A character-level language model: an LSTM that writes like Lewis Carroll.

    python examples/char_lm.py [--fast] [--plots DIR]

Runs ``glassnet.examples.char_lm.run``.
"""

import argparse

from glassnet.examples import char_lm

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fast", action="store_true", help="a shorter run (what the tests use)")
    p.add_argument("--plots", metavar="DIR", help="save the figures in DIR")
    args = p.parse_args()
    out = char_lm.run(fast=args.fast, plot_dir=args.plots)
    print(out["result"])
