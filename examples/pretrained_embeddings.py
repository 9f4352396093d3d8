"""Pre-trained word vectors in a network: random vs Word2Vec embeddings on a tiny training set.

    python examples/pretrained_embeddings.py [--fast] [--plots DIR | --no-plots]

Runs ``glassnet.examples.pretrained_embeddings.run`` through
``glassnet demo --chapter pretrained-embeddings``.
"""

import sys

from glassnet.demo import main

if __name__ == "__main__":
    sys.exit(main(["--chapter", "pretrained-embeddings", *sys.argv[1:]]))
