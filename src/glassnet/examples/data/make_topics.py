"""Write ``topics.tsv``: labelled sentences for the pre-trained embeddings chapter.

    python src/glassnet/examples/data/make_topics.py

A deterministic generator (seeded) of short English sentences, each about one of four
topics — animals, fruit, colours, countries (European capitals and their countries) — with
the topic's words taken from the word lists of the bundled unlabelled corpus
``glassnet/word2vec/data/village.txt`` (see ``make_corpus.py`` there). The sentence frames
are new and the same for every topic: the label is carried only by the one or two topic
words, the rest (people, days, months, numbers, the frame) says nothing about it. Written
for glassnet; the text is dedicated to the public domain (CC0), see README.md.
"""

from __future__ import annotations

import os
import random

from glassnet.io import atomic_write_bytes

TOPICS = {
    "animals": "cat dog horse cow sheep goat pig hen duck rabbit".split(),
    "fruit": "apple pear plum cherry peach grape lemon apricot fig melon".split(),
    "colours": "red green blue yellow white black brown grey orange purple".split(),
    "countries": ("paris france rome italy madrid spain berlin germany lisbon portugal "
                  "vienna austria athens greece dublin ireland warsaw poland oslo "
                  "norway").split(),
}
PEOPLE = ("king queen man woman boy girl father mother son daughter brother sister uncle "
          "aunt prince princess husband wife grandfather grandmother").split()
DAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
MONTHS = ("january february march april may june july august september october november "
          "december").split()
NUMBERS = "two three four five six seven eight nine ten twelve".split()
FRAMES = [
    "the {p} talks about the {w} on {d}",
    "on {d} the {p} asks the {q} about the {w}",
    "my {p} says the {w} is the best",
    "the {p} and the {q} talk about the {w} and the {v}",
    "in {m} the {p} writes a story about the {w}",
    "everyone in the village knows the {w}",
    "the {p} draws the {w} for the {q}",
    "{n} children ask about the {w} and the {v}",
    "the {w} is the favourite of the {p}",
    "the {p} dreams of the {w} every {d}",
    "a song about the {w} and the {v} wins in {m}",
    "the {p} learns a new word today and it is {w}",
]
SPLITS = (("train", 600), ("test", 600))


def sentence(r: random.Random, topic: str) -> str:
    w, v = r.sample(TOPICS[topic], 2)
    p, q = r.sample(PEOPLE, 2)
    return r.choice(FRAMES).format(w=w, v=v, p=p, q=q, d=r.choice(DAYS), m=r.choice(MONTHS),
                                   n=r.choice(NUMBERS))


def main(path: str | None = None, seed: int = 15) -> str:
    """Write ``split<TAB>label<TAB>sentence`` lines (atomically) to ``path`` (default: the
    bundled ``topics.tsv``); each split has its topics in equal numbers, shuffled."""
    path = path or os.path.join(os.path.dirname(os.path.abspath(__file__)), "topics.tsv")
    r = random.Random(seed)
    lines = []
    for split, n in SPLITS:
        labels = [t for t in TOPICS for _ in range(n // len(TOPICS))]
        r.shuffle(labels)
        lines += [f"{split}\t{t}\t{sentence(r, t)}\n" for t in labels]
    atomic_write_bytes(path, "".join(lines).encode("utf-8"))
    return path


if __name__ == "__main__":
    print(main())
