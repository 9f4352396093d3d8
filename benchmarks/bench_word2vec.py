"""glassnet Word2Vec against gensim, side by side: throughput, quality, peak memory.

    python benchmarks/bench_word2vec.py [--data ../shared/data] [--repeats 3]
                                        [--big-repeats 1] [--skip-big]

For skip-gram and CBOW with 1 and 2 threads (vector_size 100, window 5, negative 5,
sample 1e-3, min_count 5, 5 epochs), each run is a fresh subprocess (so peak memory is
its own) and the runs of glassnet and gensim are interleaved, repeat by repeat:

- glassnet: ``Word2Vec(corpus_file=...)`` (the numba kernel when installed);
- gensim ``LineSentence``: ``Word2Vec(LineSentence(path))``, the classic path;
- gensim ``corpus_file``: its own fast reader (note: it decays the learning rate per
  worker, so with 2 workers its rate only falls about half as far each epoch).

Corpora: ``head500.noblanks.cor`` and the same text concatenated 10 times (a temporary
file) for throughput. Reported: training words per second (raw words read / seconds in
``train``), the ratio to the faster gensim path, Spearman on WordSim-353, analogy accuracy
on questions-words.txt (both evaluated by glassnet's code, which agrees with gensim's), and
the process's peak resident memory. Medians over the repeats.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

PARAMS = dict(vector_size=100, window=5, negative=5, sample=1e-3, min_count=5, epochs=5)


def _one(lib: str, path: str, sg: int, workers: int, data: str) -> dict:
    """Runs in the child process: build the vocabulary, train (timed), evaluate."""
    if lib == "glassnet":
        from glassnet.word2vec import KeyedVectors, Word2Vec

        warm = Word2Vec([["a", "b", "c"]] * 20, min_count=1, vector_size=8, epochs=1, sg=sg,
                        workers=1)  # load the compiled kernel outside the timing
        model = Word2Vec(sg=sg, workers=workers, **PARAMS)
        model.build_vocab(corpus_file=path)
        t = time.perf_counter()
        eff, raw = model.train(corpus_file=path, total_words=model.corpus_total_words,
                               epochs=model.epochs)
        seconds = time.perf_counter() - t
        kernel = model.kernel
        del warm
    else:
        import logging

        from gensim.models import Word2Vec as G
        from gensim.models.word2vec import LineSentence

        from glassnet.word2vec import KeyedVectors

        logging.disable(logging.CRITICAL)
        model = G(sg=sg, workers=workers, **PARAMS)
        if lib == "gensim-file":
            model.build_vocab(corpus_file=path)
            t = time.perf_counter()
            eff, raw = model.train(corpus_file=path, total_words=model.corpus_total_words,
                                   total_examples=model.corpus_count, epochs=model.epochs)
        else:
            corpus = LineSentence(path)
            model.build_vocab(corpus)
            t = time.perf_counter()
            eff, raw = model.train(corpus, total_examples=model.corpus_count,
                                   epochs=model.epochs)
        seconds = time.perf_counter() - t
        kernel = "cython"
    kv = KeyedVectors(model.wv.vector_size)
    kv._set_vocab(list(model.wv.index_to_key), model.wv.vectors)
    spearman = kv.evaluate_word_pairs(os.path.join(data, "wordsim353.tsv"))[1][0]
    analogy = kv.evaluate_word_analogies(os.path.join(data, "questions-words.txt"))[0]
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return dict(lib=lib, sg=sg, workers=workers, raw=raw, eff=eff, seconds=seconds,
                wps=raw / seconds, spearman=spearman, analogy=analogy, peak_mb=peak_mb,
                kernel=kernel)


def run_child(lib, path, sg, workers, data) -> dict:
    cmd = [sys.executable, __file__, "--child", lib, path, str(sg), str(workers), data]
    out = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{lib} run failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench(corpus: str, label: str, repeats: int, data: str) -> list[str]:
    libs = ["glassnet", "gensim-line", "gensim-file"]
    rows = []
    for sg in (1, 0):
        for workers in (1, 2):
            runs = {lib: [] for lib in libs}
            for _ in range(repeats):  # interleaved
                for lib in libs:
                    runs[lib].append(run_child(lib, corpus, sg, workers, data))
            med = {lib: {k: statistics.median(r[k] for r in rs) for k in
                         ("wps", "spearman", "analogy", "peak_mb")} for lib, rs in runs.items()}
            best = max(med["gensim-line"]["wps"], med["gensim-file"]["wps"])
            mode = "skip-gram" if sg else "CBOW"
            for lib in libs:
                m = med[lib]
                ratio = f"{m['wps'] / best:5.2f}x" if lib == "glassnet" else ""
                rows.append(f"{label:9s} {mode:9s} {workers:>2}  {lib:12s} "
                            f"{m['wps'] / 1e3:8.0f}k {ratio:>7s}  {m['spearman']:7.3f} "
                            f"{100 * m['analogy']:7.2f}  {m['peak_mb']:7.0f}")
            print("\n".join(rows[-3:]), flush=True)
    return rows


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        lib, path, sg, workers, data = sys.argv[2:7]
        print(json.dumps(_one(lib, path, int(sg), int(workers), data)))
        return 0
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", default=os.path.join(here, "..", "..", "shared", "data"))
    p.add_argument("--repeats", type=int, default=3, help="repeats on head500 (median)")
    p.add_argument("--big-repeats", type=int, default=1, help="repeats on the 10x corpus")
    p.add_argument("--skip-big", action="store_true", help="skip the 10x corpus")
    args = p.parse_args()
    src = os.path.join(args.data, "head500.noblanks.cor")
    from glassnet.word2vec import available_kernel

    print(f"glassnet kernel: {available_kernel()}; CPUs: {os.cpu_count()}; params: {PARAMS}")
    print(f"{'corpus':9s} {'mode':9s} {'th':>2}  {'library':12s} {'words/s':>9s} "
          f"{'ratio':>7s}  {'spearman':>7s} {'analogy%':>7s}  {'peakMB':>7s}")
    bench(src, "head500", args.repeats, args.data)
    if not args.skip_big:
        with open(src, "rb") as f:
            text = f.read()
        with tempfile.NamedTemporaryFile(suffix=".cor", delete=False) as tmp:
            for _ in range(10):
                tmp.write(text if text.endswith(b"\n") else text + b"\n")
        try:
            bench(tmp.name, "head500x10", args.big_repeats, args.data)
        finally:
            os.unlink(tmp.name)
    print("ratio: glassnet words/s over the faster gensim path (same corpus, params, threads)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
