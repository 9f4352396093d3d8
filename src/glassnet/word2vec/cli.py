"""``glassnet word2vec``: the original word2vec tool's command line.

    glassnet word2vec -train corpus.txt -output vectors.txt [-cbow 1] [-size 100]
        [-window 5] [-negative 5] [-sample 1e-3] [-min-count 5] [-iter 5] [-alpha A]
        [-threads N] [-binary 0] [-save-vocab FILE] [-seed 1] [-hs 0]

Flags and defaults are the original tool's (CBOW, alpha 0.05 for CBOW and 0.025 for
skip-gram); ``-threads`` defaults to the original's 12 capped at the number of CPUs.
The output is the word2vec text format (``-binary 1``: binary), readable by the
original tool and by gensim. A progress bar shows words per second and the learning
rate.
"""

from __future__ import annotations

import os
import sys

USAGE = """\
usage: glassnet word2vec -train FILE -output FILE [options]

Trains word vectors (word2vec) and writes them in word2vec format.
  -train FILE       corpus: one sentence per line, tokens separated by whitespace (UTF-8)
  -output FILE      where to write the vectors
  -cbow 0|1         1: continuous bag of words (default), 0: skip-gram
  -size N           vector dimensions (default 100)
  -window N         maximum distance between a word and its context (default 5)
  -negative N       noise words per prediction (default 5; 0 = off, needs -hs 1)
  -hs 0|1           1: hierarchical softmax as well (default 0); '-hs 1 -negative 0' alone
  -sample T         subsampling threshold for frequent words (default 1e-3; 0 = off)
  -min-count N      drop words seen fewer than N times (default 5)
  -iter N           passes over the corpus (default 5)
  -alpha A          starting learning rate (default 0.05 for CBOW, 0.025 for skip-gram)
  -threads N        training threads (default min(12, CPUs))
  -binary 0|1       1: binary output format (default 0: text)
  -save-vocab FILE  also write '<word> <count>' lines
  -seed N           random seed (default 1)
  -errors POLICY    bytes that are not UTF-8: strict (stop, default), replace, ignore
  -debug N          accepted for compatibility (progress is always shown)
"""

_INT = {"-cbow", "-size", "-window", "-negative", "-min-count", "-iter", "-threads",
        "-binary", "-hs", "-debug", "-seed", "-classes"}
_FLOAT = {"-sample", "-alpha"}
_STR = {"-train", "-output", "-save-vocab", "-errors"}


def _parse(argv: list[str]) -> dict:
    opts: dict = {}
    i = 0
    while i < len(argv):
        flag = argv[i]
        if flag not in _INT | _FLOAT | _STR:
            raise ValueError(f"unknown option {flag!r}")
        if i + 1 >= len(argv):
            raise ValueError(f"option {flag} needs a value")
        value = argv[i + 1]
        try:
            if flag in _INT:
                opts[flag] = int(value)
            elif flag in _FLOAT:
                opts[flag] = float(value)
            else:
                opts[flag] = value
        except ValueError:
            kind = "an integer" if flag in _INT else "a number"
            raise ValueError(f"option {flag} needs {kind}, got {value!r}") from None
        i += 2
    for need in ("-train", "-output"):
        if need not in opts:
            raise ValueError(f"missing {need} FILE")
    for flag in ("-cbow", "-binary", "-hs"):
        if opts.get(flag, 0) not in (0, 1):
            raise ValueError(f"option {flag} must be 0 or 1, got {opts[flag]}")
    if opts.get("-errors", "strict") not in ("strict", "replace", "ignore"):
        raise ValueError(f"option -errors must be strict, replace or ignore, "
                         f"got {opts['-errors']!r}")
    if opts.get("-hs", 0) == 0 and opts.get("-negative", 5) == 0:
        raise ValueError("-negative 0 with -hs 0 leaves nothing to train; "
                         "give -negative N or -hs 1")
    if opts.get("-classes", 0) != 0:
        raise ValueError("-classes (k-means word classes) is not supported")
    return opts


def _check_paths(opts: dict) -> None:
    """Fail before training: the corpus must be readable, the output folders writable."""
    train = opts["-train"]
    if not os.path.exists(train):
        raise FileNotFoundError(f"corpus file not found: {train!r}")
    if os.path.isdir(train):
        raise ValueError(f"-train {train!r} is a folder, not a corpus file")
    if not os.path.isfile(train) or os.path.getsize(train) == 0:
        with open(train, "rb") as f:  # /dev/null, a pipe, or an empty file
            if not f.read(1):
                raise ValueError(f"the corpus is empty: {train} holds no words")
    for flag in ("-output", "-save-vocab"):
        if flag not in opts:
            continue
        path = opts[flag]
        if os.path.isdir(path):
            raise ValueError(f"{flag} {path!r} is a folder; give a file name")
        folder = os.path.dirname(os.path.abspath(path))
        if not os.path.isdir(folder):
            raise ValueError(f"{flag} {path!r}: the folder {folder!r} does not exist")
        if not os.access(folder, os.W_OK | os.X_OK):
            raise ValueError(f"{flag} {path!r}: the folder {folder!r} is not writable")


def main(argv: list[str]) -> int:
    """Run the tool; returns the process exit status (0 ok, 1 failure, 2 bad usage)."""
    if not argv or argv[0] in ("-h", "-help", "--help"):
        print(USAGE, end="")
        return 0 if argv else 2
    try:
        opts = _parse(argv)
    except ValueError as e:
        print(f"glassnet word2vec: {e}\n\n{USAGE}", end="", file=sys.stderr)
        return 2
    from tqdm import tqdm

    from .corpus import CorpusError, LineSentence
    from .formats import FormatError
    from .model import Word2Vec

    cbow = opts.get("-cbow", 1)
    alpha = opts.get("-alpha", 0.05 if cbow else 0.025)
    threads = opts.get("-threads", min(12, os.cpu_count() or 1))
    errors = opts.get("-errors", "strict")
    try:
        _check_paths(opts)
        model = Word2Vec(vector_size=opts.get("-size", 100), window=opts.get("-window", 5),
                         negative=opts.get("-negative", 5), hs=opts.get("-hs", 0),
                         sample=opts.get("-sample", 1e-3),
                         min_count=opts.get("-min-count", 5), epochs=opts.get("-iter", 5),
                         alpha=alpha, min_alpha=alpha * 1e-4, workers=threads,
                         sg=0 if cbow else 1, seed=opts.get("-seed", 1))
        print(f"Starting training using file {opts['-train']}", file=sys.stderr)
        if errors == "strict":
            source = {"corpus_file": opts["-train"]}
        else:  # the file reader decodes strictly; a LineSentence applies the policy
            source = {"corpus_iterable": LineSentence(opts["-train"], errors=errors)}
        model.build_vocab(**source)
        print(f"Vocab size: {len(model.wv)}\nWords in train file: {model.corpus_total_words}",
              file=sys.stderr)
        bar = tqdm(total=model.corpus_total_words * model.epochs, unit="word",
                   unit_scale=True, desc="word2vec", file=sys.stderr, mininterval=0.5)

        def progress(raw_done, _effective, alpha_now, _total):
            bar.update(raw_done - bar.n)
            bar.set_postfix(alpha=f"{alpha_now:.6f}", refresh=False)

        try:
            model.train(**source, total_words=model.corpus_total_words,
                        epochs=model.epochs, progress=progress)
        finally:
            bar.close()
        stats = model.train_stats
        print(f"Trained on {stats['raw_words']} words in {stats['seconds']:.1f} s "
              f"({stats['raw_words_per_sec'] / 1e3:.0f}k words/s, {threads} threads, "
              f"{stats['kernel']} kernel)", file=sys.stderr)
        model.wv.save_word2vec_format(opts["-output"], binary=bool(opts.get("-binary", 0)),
                                      fvocab=opts.get("-save-vocab"))
    except (OSError, CorpusError, FormatError, ValueError) as e:
        message = str(e).replace("read it with LineSentence(path, errors='replace')",
                                 "pass -errors replace (or -errors ignore)")
        print(f"glassnet word2vec: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
