"""Word embeddings: the Troll 2 example, then Word2Vec on the bundled corpus.

    python examples/troll2.py [--fast] [--plots DIR | --no-plots]

Runs ``glassnet.examples.word_embeddings.run`` through ``glassnet demo --chapter word2vec``.
"""

import sys

from glassnet.demo import main

if __name__ == "__main__":
    sys.exit(main(["--chapter", "word2vec", *sys.argv[1:]]))
