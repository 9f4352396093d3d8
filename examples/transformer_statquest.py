"""A decoder-only Transformer that answers "What is StatQuest?" with "Awesome <EOS>".

    python examples/transformer_statquest.py [--fast] [--plots DIR | --no-plots]

Runs ``glassnet.examples.transformer_statquest.run`` through
``glassnet demo --chapter transformer``.
"""

import sys

from glassnet.demo import main

if __name__ == "__main__":
    sys.exit(main(["--chapter", "transformer", *sys.argv[1:]]))
