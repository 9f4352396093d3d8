"""Word embeddings: from the two-phrase toy to Word2Vec on a real (small) corpus.

First the Troll 2 example (:mod:`glassnet.examples.troll2`): a 2-number embedding learned
with glassnet's autograd by predicting the next word. Then the same idea at scale:
``glassnet.word2vec.Word2Vec`` (CBOW with negative sampling and subsampling, the compiled
kernel when numba is installed) trains 50-number vectors on ``village.txt``, a small
public-domain corpus bundled with glassnet, and the nearest neighbours of a few words show
that words used in the same contexts end up close together.

>>> from glassnet.examples import word_embeddings
>>> out = word_embeddings.run(fast=True)  # doctest: +SKIP
"""

from __future__ import annotations

from glassnet.word2vec import Word2Vec, data_path

from . import troll2

QUERIES = ["monday", "red", "paris", "cat", "king", "apple"]


def train_village(epochs: int = 10, seed: int = 1) -> Word2Vec:
    """CBOW, 50 dimensions, on the bundled corpus (2 threads)."""
    return Word2Vec(corpus_file=data_path("village.txt"), vector_size=50, window=5,
                    min_count=5, sg=0, alpha=0.05, epochs=epochs, workers=2, seed=seed)


def run(fast: bool = False, plot_dir: str | None = None) -> dict:
    """Run the Troll 2 example, then train Word2Vec and print nearest neighbours.

    ``fast`` trains Word2Vec for 5 epochs instead of 10. ``plot_dir`` is passed to the
    Troll 2 example (its 2-D embedding plot).
    """
    toy = troll2.run(fast=fast, plot_dir=plot_dir)
    print()
    model = train_village(epochs=5 if fast else 10)
    stats = model.train_stats
    print(f"Word2Vec (CBOW) on the bundled village corpus: {len(model.wv)} words, "
          f"{stats['raw_words']} words read in {stats['seconds']:.2f} s "
          f"({stats['kernel']} kernel, {stats['workers']} threads)")
    neighbours = {}
    for w in QUERIES:
        near = model.wv.most_similar(w, topn=5)
        neighbours[w] = [k for k, _ in near]
        print(f"  {w:8s} -> " + ", ".join(f"{k} ({s:.2f})" for k, s in near))
    analogy = model.wv.most_similar(positive=["rome", "france"], negative=["paris"], topn=1)
    print(f"  paris : france :: rome : {analogy[0][0]}")
    return {
        "result": f"{toy['result']}; word2vec: monday -> {', '.join(neighbours['monday'][:3])}",
        "troll2": toy,
        "neighbours": neighbours,
        "analogy": analogy[0][0],
        "kernel": stats["kernel"],
        "plot": toy.get("plot"),
    }


if __name__ == "__main__":  # pragma: no cover
    run()
