"""A CNN with augmentation on the bundled 8x8 handwritten digits.

    python examples/cnn_digits.py [--fast] [--plots DIR]

The chapter lives in ``glassnet.examples.cnn_digits``; ``glassnet demo --chapter`` runs it too.
"""

import sys

from glassnet.examples import cnn_digits

if __name__ == "__main__":
    args = sys.argv[1:]
    plots = args[args.index("--plots") + 1] if "--plots" in args[:-1] else None
    cnn_digits.run(fast="--fast" in args, plot_dir=plots)
