"""The glass box: a chain-rule derivation, the squiggle, a planted NaN found.

    python examples/glass_box.py [--fast] [--plots DIR]

The chapter lives in ``glassnet.examples.glass_box``; ``glassnet demo --chapter glass-box``
runs it too.
"""

import sys

from glassnet.examples import glass_box

if __name__ == "__main__":
    args = sys.argv[1:]
    plots = args[args.index("--plots") + 1] if "--plots" in args[:-1] else None
    glass_box.run(fast="--fast" in args, plot_dir=plots)
