"""Word embeddings: Word2Vec (CBOW and skip-gram with negative sampling), KeyedVectors,
and the original tool's file formats.

>>> from glassnet.word2vec import Word2Vec
>>> model = Word2Vec(corpus_file="corpus.txt", vector_size=100, sg=1)  # doctest: +SKIP
>>> model.wv.most_similar("king", topn=5)  # doctest: +SKIP

Nothing here imports numba until training starts; see ``model.py`` for the threads and
the two training kernels.
"""

import os as _os

from .corpus import CorpusError, LineSentence
from .formats import FormatError
from .keyedvectors import KeyedVectors
from .model import Word2Vec, available_kernel

__all__ = [
    "Word2Vec",
    "KeyedVectors",
    "LineSentence",
    "CorpusError",
    "FormatError",
    "available_kernel",
    "data_path",
]


def data_path(name: str = "village.txt") -> str:
    """Path of a file bundled in ``glassnet/word2vec/data`` (e.g. the demo corpus)."""
    path = _os.path.join(_os.path.dirname(_os.path.abspath(__file__)), "data", name)
    if not _os.path.isfile(path):
        raise FileNotFoundError(f"no bundled word2vec data file {name!r} ({path})")
    return path
