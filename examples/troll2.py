"""Word embeddings: the Troll 2 example, then Word2Vec on the bundled corpus.

    python examples/troll2.py [--fast] [--plots DIR]

Runs ``glassnet.examples.word_embeddings.run`` (which runs ``glassnet.examples.troll2``).
"""

import argparse
import sys

from glassnet.examples import word_embeddings

if __name__ == "__main__":
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fast", action="store_true", help="shorter Word2Vec training")
    p.add_argument("--plots", metavar="DIR", help="save the 2-D embedding plot in DIR")
    args = p.parse_args()
    out = word_embeddings.run(fast=args.fast, plot_dir=args.plots)
    print(out["result"])
    sys.exit(0 if out["troll2"]["ok"] else 1)
