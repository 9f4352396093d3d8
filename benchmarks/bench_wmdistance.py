"""Word Mover's Distance: glassnet's exact solver (numba and NumPy kernels) against gensim's
``wmdistance`` (POT's network simplex), side by side on the same vectors and documents.

    python benchmarks/bench_wmdistance.py [--sizes 5,10,20,50,100]

For each document length (unique words per document), 300-dimensional random vectors for
2,000 words and pairs of documents drawn from them; every case computes the distance of
the same pair (interleaved timing, medians). The values are checked to agree to 1e-9
before timing. Ratios above 1: glassnet faster than gensim.
"""

from __future__ import annotations

import argparse
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _timing import compare, print_table  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="5,10,20,50,100")
    args = ap.parse_args()

    from gensim.models import KeyedVectors as GensimKV

    from glassnet.word2vec import KeyedVectors

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(2000)]
    vectors = rng.standard_normal((len(words), 300)).astype(np.float32)
    ours, theirs = KeyedVectors(300), GensimKV(300)
    ours.add_vectors(words, vectors)
    theirs.add_vectors(words, vectors)
    for size in map(int, args.sizes.split(",")):
        doc1 = list(rng.choice(words, size, replace=False)) * 2 + [words[0]]
        doc2 = list(rng.choice(words, size, replace=False))

        def run(kv, kernel: str | None, d1=doc1, d2=doc2):
            def call():
                if kernel:
                    os.environ["GLASSNET_KERNEL"] = kernel
                return kv.wmdistance(d1, d2)
            return call

        cases = {"glassnet numba": run(ours, "numba"), "glassnet numpy": run(ours, "numpy"),
                 "gensim+POT": run(theirs, None)}
        values = {name: fn() for name, fn in cases.items()}
        ref = values["gensim+POT"]
        assert all(abs(v - ref) <= 1e-9 * max(1.0, ref) for v in values.values()), values
        if size > 50:
            del cases["glassnet numpy"]
        medians = compare(cases, repeats=7 if size > 50 else 15, warmup=1, min_time=0.02)
        print_table(f"wmdistance, {size} unique words per document (distance {ref:.6f})",
                    medians, reference="gensim+POT")
    os.environ.pop("GLASSNET_KERNEL", None)


if __name__ == "__main__":
    main()
