"""The curriculum's O-versus-X convolutional network.

    python examples/cnn_o_vs_x.py [--fast] [--plots DIR]

The chapter lives in ``glassnet.examples.cnn_o_vs_x``; ``glassnet demo --chapter`` runs it too.
"""

import sys

from glassnet.examples import cnn_o_vs_x

if __name__ == "__main__":
    args = sys.argv[1:]
    plots = args[args.index("--plots") + 1] if "--plots" in args[:-1] else None
    cnn_o_vs_x.run(fast="--fast" in args, plot_dir=plots)
