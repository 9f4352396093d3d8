"""glassnet Word2Vec with hierarchical softmax against gensim, side by side: training time
and quality.

    python benchmarks/bench_word2vec_hs.py [--data ../shared/data] [--seeds 3]
                                           [--corpora lee,head500] [--workers 1]

For CBOW and skip-gram, with hierarchical softmax alone (hs=1 negative=0) and with negative
sampling as well (hs=1 negative=5), on each corpus (``lee_background.cor``, 60k words, and
``head500.noblanks.cor``, 330k words), both libraries train the same model (vector_size 100,
window 5, sample 1e-3, min_count 5, 5 epochs) once per seed, interleaved seed by seed in
one process (glassnet's compiled kernel is loaded before any timing). Reported, as medians
over the seeds: seconds in ``train`` (corpus read from the file by each library's own
``corpus_file`` path; glassnet's time over gensim's as a ratio, below 1 = glassnet faster),
Spearman correlation on WordSim-353 and analogy accuracy on questions-words.txt (pairs and
questions with out-of-vocabulary words left out; both evaluated by glassnet's code, which
agrees with gensim's, on each model's vectors), and how many pairs/questions were covered.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import time

import numpy as np

PARAMS = dict(vector_size=100, window=5, sample=1e-3, min_count=5, epochs=5)
CORPORA = {"lee": "lee_background.cor", "head500": "head500.noblanks.cor"}
LAYERS = [(1, 0), (1, 5)]


def train_one(lib: str, path: str, sg: int, hs: int, negative: int, seed: int,
              workers: int):
    """Build the vocabulary, train (timed) and return (seconds, vectors as glassnet KV)."""
    from glassnet.word2vec import KeyedVectors

    kw = dict(sg=sg, hs=hs, negative=negative, seed=seed, workers=workers, **PARAMS)
    if lib == "glassnet":
        from glassnet.word2vec import Word2Vec

        model = Word2Vec(**kw)
        model.build_vocab(corpus_file=path)
        t = time.perf_counter()
        model.train(corpus_file=path, total_words=model.corpus_total_words,
                    epochs=model.epochs)
    else:
        from gensim.models import Word2Vec as G

        model = G(**kw)
        model.build_vocab(corpus_file=path)
        t = time.perf_counter()
        model.train(corpus_file=path, total_words=model.corpus_total_words,
                    total_examples=model.corpus_count, epochs=model.epochs)
    seconds = time.perf_counter() - t
    kv = KeyedVectors(model.wv.vector_size)
    kv._set_vocab(list(model.wv.index_to_key), np.array(model.wv.vectors))
    return seconds, kv


def quality(kv, data: str) -> tuple[float, float, int, int]:
    """(Spearman on WordSim-353, analogy accuracy, pairs covered, questions covered)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pearson, spearman, oov = kv.evaluate_word_pairs(os.path.join(data, "wordsim353.tsv"))
        acc, sections = kv.evaluate_word_analogies(os.path.join(data, "questions-words.txt"))
    total = next((s for s in sections if s["section"] == "Total accuracy"), None)
    questions = len(total["correct"]) + len(total["incorrect"]) if total else 0
    n_pairs = sum(1 for line in open(os.path.join(data, "wordsim353.tsv"), encoding="utf8")
                  if line.strip() and not line.startswith("#"))
    covered = round(n_pairs * (1 - oov / 100))
    return float(spearman[0]), float(acc), covered, questions


def main() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=os.path.join(here, "..", "..", "shared", "data"))
    p.add_argument("--seeds", type=int, default=3, help="seeds per cell (median)")
    p.add_argument("--corpora", default="lee,head500")
    p.add_argument("--workers", type=int, default=1)
    args = p.parse_args()
    logging.getLogger("gensim").setLevel(logging.ERROR)
    from glassnet.word2vec import Word2Vec, available_kernel

    Word2Vec([["a", "b", "c"]] * 20, min_count=1, vector_size=8, epochs=1, hs=1, negative=1,
             workers=1)  # load (compile) the kernel outside the timing
    print(f"glassnet kernel: {available_kernel()}; CPUs: {os.cpu_count()}; workers: "
          f"{args.workers}; seeds: {args.seeds}; params: {PARAMS}")
    head = (f"{'corpus':8s} {'mode':9s} {'layers':11s} {'library':8s} {'train s':>8s} "
            f"{'ratio':>6s} {'spearman':>8s} {'analogy%':>8s} {'pairs':>5s} {'quest':>5s}")
    print(head)
    for name in args.corpora.split(","):
        path = os.path.join(args.data, CORPORA[name])
        for sg in (0, 1):
            for hs, negative in LAYERS:
                runs: dict[str, list] = {"glassnet": [], "gensim": []}
                for seed in range(1, args.seeds + 1):
                    for lib in (("glassnet", "gensim") if seed % 2 else ("gensim", "glassnet")):
                        seconds, kv = train_one(lib, path, sg, hs, negative, seed,
                                                args.workers)
                        runs[lib].append((seconds, *quality(kv, args.data)))
                med = {lib: [statistics.median(r[i] for r in rs) for i in range(5)]
                       for lib, rs in runs.items()}
                layers = f"hs{'+neg' + str(negative) if negative else ''}"
                mode = "skip-gram" if sg else "CBOW"
                for lib in ("glassnet", "gensim"):
                    s, rho, acc, pairs, quest = med[lib]
                    ratio = f"{s / med['gensim'][0]:5.2f}x" if lib == "glassnet" else ""
                    print(f"{name:8s} {mode:9s} {layers:11s} {lib:8s} {s:8.2f} {ratio:>6s} "
                          f"{rho:8.3f} {100 * acc:8.2f} {pairs:5.0f} {quest:5.0f}", flush=True)
    print("ratio: glassnet seconds / gensim seconds (same corpus, parameters, seed count); "
          "quality: medians over seeds")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
