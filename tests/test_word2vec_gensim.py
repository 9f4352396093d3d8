"""Word2Vec interoperability with gensim: files both ways, and the same query answers."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.word2vec import KeyedVectors, Word2Vec

gensim_models = pytest.importorskip("gensim.models")
GKV = gensim_models.KeyedVectors


def trained_kv():
    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(40)] + ["café", "über"]
    sents = [list(rng.choice(words, 12)) for _ in range(300)]
    return Word2Vec(sents, vector_size=12, min_count=1, workers=1, epochs=2).wv


@pytest.mark.parametrize("binary", [False, True])
def test_gensim_reads_ours(tmp_path, binary):
    kv = trained_kv()
    path = str(tmp_path / "ours.vec")
    kv.save_word2vec_format(path, binary=binary)
    g = GKV.load_word2vec_format(path, binary=binary)
    assert g.index_to_key == kv.index_to_key
    assert np.array_equal(g.vectors, kv.vectors)


@pytest.mark.parametrize("binary", [False, True])
def test_we_read_gensims(tmp_path, binary):
    kv = trained_kv()
    g = GKV(kv.vector_size)
    g.add_vectors(kv.index_to_key, kv.vectors)
    path = str(tmp_path / "gensim.vec")
    g.save_word2vec_format(path, binary=binary)
    back = KeyedVectors.load_word2vec_format(path, binary=binary)
    assert back.index_to_key == g.index_to_key
    assert np.array_equal(back.vectors, g.vectors)


def test_we_read_a_gensim_trained_model_with_vocab_counts(tmp_path):
    sents = [["a", "b", "c", "a"], ["b", "a", "d"]] * 20
    gm = gensim_models.Word2Vec(sents, vector_size=5, min_count=1, workers=1, epochs=1)
    path, vocab = str(tmp_path / "g.bin"), str(tmp_path / "g.vocab")
    gm.wv.save_word2vec_format(path, fvocab=vocab, binary=True)
    back = KeyedVectors.load_word2vec_format(path, fvocab=vocab, binary=True)
    assert np.array_equal(back.vectors, gm.wv.vectors)
    assert back.get_vecattr("a", "count") == gm.wv.get_vecattr("a", "count") == 60


def test_queries_and_evaluations_agree_with_gensim(tmp_path):
    kv = trained_kv()
    g = GKV(kv.vector_size)
    g.add_vectors(kv.index_to_key, kv.vectors)
    for ours, theirs in (
        (kv.most_similar("w3", topn=5), g.most_similar("w3", topn=5)),
        (kv.most_similar(positive=["w1", "w2"], negative=["w5"], topn=5),
         g.most_similar(positive=["w1", "w2"], negative=["w5"], topn=5)),
        (kv.most_similar_cosmul(positive=["w1", "w2"], negative=["w5"], topn=5),
         g.most_similar_cosmul(positive=["w1", "w2"], negative=["w5"], topn=5)),
    ):
        assert [w for w, _ in ours] == [w for w, _ in theirs]
        assert np.allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-5)
    assert np.isclose(kv.similarity("w1", "café"), g.similarity("w1", "café"), atol=1e-6)
    words = ["w1", "w2", "w3", "über"]
    assert kv.doesnt_match(words) == g.doesnt_match(words)
    rng = np.random.default_rng(1)
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("# w1\tw2\tscore\n" + "".join(
        f"w{rng.integers(45)}\tw{rng.integers(45)}\t{rng.uniform(0, 10):.2f}\n"
        for _ in range(60)))
    ours, theirs = kv.evaluate_word_pairs(str(pairs)), g.evaluate_word_pairs(str(pairs))
    assert np.allclose([ours[0][0], ours[1][0], ours[2]],
                       [theirs[0][0], theirs[1][0], theirs[2]], atol=1e-9)
    assert np.allclose([ours[0][1], ours[1][1]], [theirs[0][1], theirs[1][1]], rtol=1e-5)
    qs = tmp_path / "q.txt"
    lines = []
    for s in range(3):
        lines.append(f": section{s}\n")
        lines += [" ".join(f"w{i}" for i in rng.integers(0, 45, 4)) + "\n" for _ in range(30)]
    qs.write_text("".join(lines))
    ours, theirs = kv.evaluate_word_analogies(str(qs)), g.evaluate_word_analogies(str(qs))
    assert np.isclose(ours[0], theirs[0])
    assert [(s["section"], len(s["correct"]), len(s["incorrect"])) for s in ours[1]] == \
        [(s["section"], len(s["correct"]), len(s["incorrect"])) for s in theirs[1]]
