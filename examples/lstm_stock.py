"""Long Short-Term Memory on the stock example: read four days, predict the fifth.

    python examples/lstm_stock.py [--fast] [--plots DIR]

Runs ``glassnet.examples.lstm_stock.run``.
"""

import argparse

from glassnet.examples import lstm_stock

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fast", action="store_true", help="a shorter run (what the tests use)")
    p.add_argument("--plots", metavar="DIR", help="save the figures in DIR")
    args = p.parse_args()
    out = lstm_stock.run(fast=args.fast, plot_dir=args.plots)
    print(out["result"])
