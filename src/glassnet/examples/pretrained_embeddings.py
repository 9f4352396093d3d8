"""Pre-trained word vectors: do they help when the labelled data is tiny?

The task: sort short sentences into four topics — animals, fruit, colours, countries
(``topics.tsv``, bundled; the label is carried only by the sentence's one or two topic
words). The model is the simplest that reads words: an ``Embedding``, the mean of the
sentence's word vectors (padding left out), and a ``Linear`` layer to the four topics.

With a handful of labelled sentences most topic words of the test set never occur in
training: a randomly initialised embedding has learned nothing about ``goat`` when the
training set only said that ``cat`` and ``dog`` are animals. Vectors pre-trained with
Word2Vec on the bundled *unlabelled* corpus ``village.txt`` put ``goat`` next to ``cat``
already, so a classifier trained on a few examples can generalise to words it never saw
labelled. The chapter measures this — held-out accuracy, mean ± standard deviation over
several seeds (each seed draws another tiny training set and another initialisation) —
for a random embedding trained with the classifier, the pre-trained vectors frozen, and
the pre-trained vectors fine-tuned, and for several training-set sizes.

The path from word vectors to a model is three lines::

    vocab = gn.data.Vocab.from_keyed_vectors(w2v.wv)           # <pad>=0, <unk>=1, words
    embedding = gn.nn.Embedding.from_keyed_vectors(w2v.wv, vocab, freeze=True)
    ids, lengths = vocab.encode([sentence.split() for sentence in batch])

>>> from glassnet.examples import pretrained_embeddings
>>> out = pretrained_embeddings.run(fast=True)  # doctest: +SKIP
"""

from __future__ import annotations

import os

import numpy as np

import glassnet as gn
import glassnet.nn.functional as F
from glassnet.word2vec import Word2Vec, data_path

from .black_box import new_figure, save_figure

TOPICS = ["animals", "fruit", "colours", "countries"]
METHODS = {  # name -> (pre-trained, freeze)
    "random, trained": (False, False),
    "pre-trained, frozen": (True, True),
    "pre-trained, fine-tuned": (True, False),
}


def load_topics() -> dict[str, tuple[list[list[str]], np.ndarray]]:
    """The bundled labelled sentences: ``{"train": (token lists, labels), "test": ...}``;
    labels index :data:`TOPICS`."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "topics.tsv")
    out: dict[str, tuple[list, list]] = {"train": ([], []), "test": ([], [])}
    with open(path, encoding="utf-8") as f:
        for line in f:
            split, label, text = line.rstrip("\n").split("\t")
            out[split][0].append(text.split())
            out[split][1].append(TOPICS.index(label))
    return {k: (sents, np.array(labels, dtype=np.int64)) for k, (sents, labels) in out.items()}


def pretrain(epochs: int = 5, seed: int = 1) -> Word2Vec:
    """Word2Vec (CBOW, 50 dimensions) on the unlabelled ``village.txt``; one thread, so the
    vectors are the same on every run."""
    return Word2Vec(corpus_file=data_path("village.txt"), vector_size=50, window=5,
                    min_count=5, sg=0, alpha=0.05, epochs=epochs, workers=1, seed=seed)


class MeanEmbeddingClassifier(gn.nn.Module):
    """ids ``(N, T)`` padded with 0, lengths ``(N,)`` -> topic scores ``(N, C)``: the mean
    of each sentence's word vectors, then a linear layer."""

    def __init__(self, embedding: gn.nn.Embedding, num_classes: int, generator=None):
        super().__init__()
        self.embedding = embedding
        self.head = gn.nn.Linear(embedding.embedding_dim, num_classes, generator=generator)

    def forward(self, ids, lengths):
        summed = self.embedding(ids).sum(dim=1)  # the padding row is zero: adds nothing
        return self.head(summed / lengths.clamp(min=1).float().unsqueeze(1))


def tiny_split(labels: np.ndarray, per_class: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of ``per_class`` sentences of each topic, drawn without replacement."""
    return np.concatenate([rng.choice(np.flatnonzero(labels == c), per_class, replace=False)
                           for c in range(len(TOPICS))])


def train_and_score(kv, train, test, method: str, seed: int, steps: int = 150,
                    lr: float = 0.05, fine_tune_lr: float = 0.005) -> float:
    """Train one classifier (full batch, Adam) and return its held-out accuracy.

    The vocabulary is the pre-trained words plus the training sentences' own words, the
    same for every method. The random embedding trains at ``lr`` with the classifier; the
    fine-tuned pre-trained one at the smaller ``fine_tune_lr`` (the usual practice: a
    large step soon overwrites what pre-training put there).
    """
    (sents, y), (test_sents, test_y) = train, test
    vocab = gn.data.Vocab.from_keyed_vectors(kv)
    for tok in sorted({t for s in sents for t in s} - set(vocab.get_itos())):
        vocab.append_token(tok)
    pretrained, freeze = METHODS[method]
    g = gn.Generator(seed)
    if pretrained:
        embedding = gn.nn.Embedding.from_keyed_vectors(kv, vocab, freeze=freeze)
    else:
        embedding = gn.nn.Embedding(len(vocab), kv.vector_size, padding_idx=vocab.pad_index,
                                    generator=g)
    model = MeanEmbeddingClassifier(embedding, len(TOPICS), generator=g)
    groups = [{"params": list(model.head.parameters())}]
    if not freeze:  # a frozen weight has requires_grad=False: no gradient, no update
        groups.append({"params": [embedding.weight],
                       "lr": fine_tune_lr if pretrained else lr})
    opt = gn.optim.Adam(groups, lr=lr)
    ids, lengths = vocab.encode(sents)
    target = gn.tensor(y)
    for _ in range(steps):
        loss = F.cross_entropy(model(ids, lengths), target)
        opt.zero_grad()
        loss.backward()
        opt.step()
    with gn.no_grad():
        scores = model(*vocab.encode(test_sents))
    return float((scores.numpy().argmax(axis=1) == test_y).mean())


def unseen_fraction(train_sents, test_sents) -> float:
    """The fraction of held-out sentences with no topic word the training set contains."""
    from .data.make_topics import TOPICS as WORDS

    topic_words = {w for ws in WORDS.values() for w in ws}
    seen = {t for s in train_sents for t in s} & topic_words
    return float(np.mean([not (set(s) & topic_words & seen) for s in test_sents]))


def compare(kv, sizes=(2,), seeds=range(5), methods=tuple(METHODS), steps: int = 150,
            data=None) -> dict:
    """Held-out accuracies ``{size: {method: [one per seed]}}`` and the fraction of test
    sentences whose topic words are all unseen in training ``{size: [one per seed]}``."""
    data = data or load_topics()
    (pool, pool_y), test = data["train"], data["test"]
    acc = {n: {m: [] for m in methods} for n in sizes}
    unseen = {n: [] for n in sizes}
    for n in sizes:
        for seed in seeds:
            pick = tiny_split(pool_y, n, np.random.default_rng(seed))
            train = ([pool[i] for i in pick], pool_y[pick])
            unseen[n].append(unseen_fraction(train[0], test[0]))
            for m in methods:
                acc[n][m].append(train_and_score(kv, train, test, m, seed, steps=steps))
    return {"accuracy": acc, "unseen": unseen}


def run(fast: bool = False, plot_dir: str | None = None) -> dict:
    """Pre-train Word2Vec on the unlabelled corpus, then compare random and pre-trained
    embeddings on tiny labelled training sets over several seeds.

    ``fast``: 5 seeds and training sets of 1 and 4 sentences per topic; otherwise 10 seeds
    and 1, 2, 4, 8, 16 and 32 per topic. The vectors are pre-trained once (seed 1); each
    seed draws another training set and another initialisation of the classifier.
    ``plot_dir``: accuracy against training-set size.
    """
    seeds = range(5 if fast else 10)
    sizes = (1, 4) if fast else (1, 2, 4, 8, 16, 32)
    w2v = pretrain(epochs=5 if fast else 10)
    kv = w2v.wv
    data = load_topics()
    print(f"pre-trained: Word2Vec CBOW, {kv.vector_size} dimensions, on the unlabelled "
          f"village.txt ({len(kv)} words, {w2v.train_stats['seconds']:.1f} s)")
    print(f"labelled: {len(data['train'][1])} training sentences to draw from, "
          f"{len(data['test'][1])} held out; topics {', '.join(TOPICS)}")
    missing = gn.data.Vocab.from_iterator(data["train"][0]).missing_from(kv)
    print(f"words of the labelled sentences the vectors lack ({len(missing)}): "
          + ", ".join(missing[:8]) + (", ..." if len(missing) > 8 else ""))
    out = compare(kv, sizes, seeds, data=data)
    acc, unseen = out["accuracy"], out["unseen"]
    print(f"\nheld-out accuracy, mean ± sd over {len(seeds)} seeds (chance: 25%)")
    print(f"{'per topic':>9}  {'unseen':>6}  " + "  ".join(f"{m:>23}" for m in METHODS))
    for n in sizes:
        cells = [f"{100 * np.mean(acc[n][m]):5.1f}% ± {100 * np.std(acc[n][m]):4.1f}"
                 for m in METHODS]
        print(f"{n:>9}  {100 * np.mean(unseen[n]):5.0f}%  " + "  ".join(f"{c:>23}"
                                                                   for c in cells))
    print("('unseen': held-out sentences none of whose topic words is in the training set)")
    small = sizes[0]
    means = {m: float(np.mean(acc[small][m])) for m in METHODS}
    best = max(means, key=means.get)
    print(f"with {small} labelled sentence(s) per topic, {best} is best: "
          f"{100 * means[best]:.1f}% against {100 * means['random, trained']:.1f}% for a "
          f"random embedding")
    frozen, tuned = (float(np.mean(acc[4][m])) for m in METHODS if METHODS[m][0])
    if tuned < frozen:
        print("fine-tuning (embedding lr 0.005) moves only the rows of words in the training "
              "set; with few sentences they drift away from the unseen words' rows, which "
              "the classifier then reads less well")
    plot = None
    if plot_dir:
        made = new_figure(5.5, 3.6)
        if made is not None:
            fig, (ax,) = made
            for m in METHODS:
                mean = np.array([np.mean(acc[n][m]) for n in sizes])
                sd = np.array([np.std(acc[n][m]) for n in sizes])
                ax.errorbar(sizes, 100 * mean, yerr=100 * sd, marker="o", capsize=3, label=m)
            ax.set_xscale("log", base=2)
            ax.set_xticks(sizes, [str(n) for n in sizes])
            ax.set_xlabel("labelled sentences per topic")
            ax.set_ylabel("held-out accuracy (%)")
            ax.set_title("Random vs pre-trained word vectors")
            ax.axhline(25, color="grey", lw=0.8, ls=":")
            ax.legend(fontsize=8)
            plot = save_figure(fig, plot_dir, "pretrained_embeddings.png")
    at4 = {m: 100 * float(np.mean(acc[4][m])) for m in METHODS}
    return {
        "result": (f"4 sentences/topic: random {at4['random, trained']:.0f}%, pre-trained "
                   f"frozen {at4['pre-trained, frozen']:.0f}%, fine-tuned "
                   f"{at4['pre-trained, fine-tuned']:.0f}% held-out"),
        "accuracy": acc,
        "unseen": unseen,
        "sizes": list(sizes),
        "seeds": len(seeds),
        "missing": missing,
        "plot": plot,
    }


if __name__ == "__main__":  # pragma: no cover
    run()
