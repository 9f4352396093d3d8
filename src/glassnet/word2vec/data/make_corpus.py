"""Write ``village.txt``: the small bundled corpus for the word-embedding demo.

    python src/glassnet/word2vec/data/make_corpus.py

A deterministic generator (seeded) of simple English sentences about a village: days,
months, colours, animals, fruit, numbers, family words and European cities with their
countries. Words of one kind appear in the same kinds of sentences, so Word2Vec trained on
the result puts them close together. Written for glassnet; the text is dedicated to the
public domain (CC0), see README.md.
"""

from __future__ import annotations

import os
import random

from glassnet.io import atomic_write_bytes

DAYS = "monday tuesday wednesday thursday friday saturday sunday".split()
MONTHS = ("january february march april may june july august september october november "
          "december").split()
COLOURS = "red green blue yellow white black brown grey orange purple".split()
ANIMALS = "cat dog horse cow sheep goat pig hen duck rabbit".split()
FRUIT = "apple pear plum cherry peach grape lemon apricot fig melon".split()
NUMBERS = "two three four five six seven eight nine ten twelve".split()
PAIRS = [("king", "queen"), ("man", "woman"), ("boy", "girl"), ("father", "mother"),
         ("son", "daughter"), ("brother", "sister"), ("uncle", "aunt"),
         ("prince", "princess"), ("husband", "wife"), ("grandfather", "grandmother")]
CAPITALS = [("paris", "france"), ("rome", "italy"), ("madrid", "spain"),
            ("berlin", "germany"), ("lisbon", "portugal"), ("vienna", "austria"),
            ("athens", "greece"), ("dublin", "ireland"), ("warsaw", "poland"),
            ("oslo", "norway")]
PLACES = "market mill church school bakery farm river bridge inn square".split()
VERBS_ANIMAL = "feeds washes brushes counts follows finds".split()
VERBS_FRUIT = "picks eats buys sells peels slices".split()


def sentence(r: random.Random) -> str:
    a, b = r.choice(PAIRS)
    person = r.choice([a, b])
    he_she = "he" if person == a else "she"
    day, month = r.choice(DAYS), r.choice(MONTHS)
    colour, animal, fruit = r.choice(COLOURS), r.choice(ANIMALS), r.choice(FRUIT)
    number, place = r.choice(NUMBERS), r.choice(PLACES)
    city, country = r.choice(CAPITALS)
    kind = r.randrange(12)
    if kind == 0:
        return f"on {day} the {person} goes to the {place} and " \
               f"{r.choice(VERBS_ANIMAL)} the {animal}"
    if kind == 1:
        return f"in {month} the {fruit} trees near the {place} are full and the {person} " \
               f"{r.choice(VERBS_FRUIT)} a {fruit}"
    if kind == 2:
        return f"the {colour} {animal} sleeps by the {place} every {day}"
    if kind == 3:
        return f"the {person} paints the door {colour} and the gate {r.choice(COLOURS)}"
    if kind == 4:
        return f"{number} {animal}s and {r.choice(NUMBERS)} {r.choice(ANIMALS)}s live on the farm"
    if kind == 5:
        return f"the {a} and the {b} walk to the {place} on {day}"
    if kind == 6:
        return f"{city} is the capital of {country} and the {person} visits {city} in {month}"
    if kind == 7:
        return f"the {person} travels from {city} in {country} to {r.choice(CAPITALS)[0]} " \
               f"by train"
    if kind == 8:
        return f"{he_she} is the {person} and {he_she} buys {number} {fruit}s at the market " \
               f"on {day}"
    if kind == 9:
        return f"the {a} is a man and the {b} is a woman"
    if kind == 10:
        return f"after {month} comes {MONTHS[(MONTHS.index(month) + 1) % 12]} and after " \
               f"{day} comes {DAYS[(DAYS.index(day) + 1) % 7]}"
    return f"the {fruit} is {colour} and the {animal} likes to eat it in {month}"


def main(path: str | None = None, n_sentences: int = 6000, seed: int = 2024) -> str:
    """Write ``n_sentences`` lines (atomically) to ``path`` (default: the bundled
    ``village.txt``); returns the path."""
    path = path or os.path.join(os.path.dirname(os.path.abspath(__file__)), "village.txt")
    r = random.Random(seed)
    text = "".join(sentence(r) + "\n" for _ in range(n_sentences))
    atomic_write_bytes(path, text.encode("utf-8"))
    return path


if __name__ == "__main__":
    print(main())
