"""Long Short-Term Memory on the stock example: read four days, predict the fifth.

    python examples/lstm_stock.py [--fast] [--plots DIR | --no-plots]

Runs ``glassnet.examples.lstm_stock.run`` through ``glassnet demo --chapter lstm-stock``.
"""

import sys

from glassnet.demo import main

if __name__ == "__main__":
    sys.exit(main(["--chapter", "lstm-stock", *sys.argv[1:]]))
