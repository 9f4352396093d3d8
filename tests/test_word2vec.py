"""Word2Vec: vocabulary, subsampling, learning-rate decay, training, files, bad input."""

from __future__ import annotations

import os

import numpy as np
import pytest

from glassnet.word2vec import CorpusError, FormatError, KeyedVectors, LineSentence, Word2Vec
from glassnet.word2vec.corpus import Vocabulary, alias_table, cum_table, keep_probability
from glassnet.word2vec.model import available_kernel
from glassnet.word2vec.stats import pearsonr, rankdata, spearmanr

KERNELS = ["numpy"] + (["numba"] if available_kernel() == "numba" else [])


def two_topic_corpus(n_sentences=600, seed=0):
    """Sentences drawn from one of two disjoint word groups; 'the' joins both."""
    rng = np.random.default_rng(seed)
    groups = [[f"a{i}" for i in range(6)], [f"b{i}" for i in range(6)]]
    out = []
    for s in range(n_sentences):
        g = groups[s % 2]
        words = list(rng.choice(g, size=10))
        words.insert(int(rng.integers(0, 10)), "the")
        out.append(words)
    return out


def write_corpus(path, sentences):
    with open(path, "w", encoding="utf-8") as f:
        for s in sentences:
            f.write(" ".join(s) + "\n")
    return str(path)


# --- vocabulary and tables -----------------------------------------------------------------


def test_vocabulary_sorted_by_frequency_with_min_count():
    sents = [["b", "a", "c", "a"], ["c", "a", "d", "b", "e"], ["e"]]
    model = Word2Vec(vector_size=4, min_count=2)
    model.build_vocab(sents)
    # a:3, then b, c, e with 2 each in first-seen order; d (1) dropped
    assert model.wv.index_to_key == ["a", "b", "c", "e"]
    assert model.wv.key_to_index == {"a": 0, "b": 1, "c": 2, "e": 3}
    assert [model.wv.get_vecattr(w, "count") for w in "abce"] == [3, 2, 2, 2]
    assert model.corpus_count == 3 and model.corpus_total_words == 10
    assert model.wv.vectors.shape == (4, 4) and model.wv.vectors.dtype == np.float32
    assert np.abs(model.wv.vectors).max() <= 1.0 / 4
    assert model.syn1neg.shape == (4, 4) and not model.syn1neg.any()


def test_max_vocab_size_prunes_rare_words_while_counting():
    v = Vocabulary()
    v.scan([["x", "x", "y"], ["z"], ["x", "w"]], max_vocab_size=2)
    # after sentence 2 ({x, y, z} > 2) words seen < 1 time... none; after sentence 3
    # ({x,y,z,w} > 2) words with count < 2 go: only x survives
    assert v.raw_counts == {"x": 3}


@pytest.mark.parametrize("sample", [1e-3, 1e-2, 0.0, 5.0])
def test_subsampling_formula(sample):
    counts = np.array([5000, 800, 120, 7, 1])
    p = keep_probability(counts, sample)
    total = counts.sum()
    if sample == 0:
        assert np.allclose(p, 1.0)
        return
    t = sample * total if sample < 1 else sample * (3 + 5**0.5) / 2
    expected = np.minimum(1.0, (np.sqrt(counts / t) + 1) * t / counts)
    assert np.allclose(p, expected, atol=1e-9)


def test_subsampling_drops_frequent_words_at_the_formula_rate():
    sents = [["the"] * 50 + [f"w{i}"] for i in range(400)]
    model = Word2Vec(sents, vector_size=4, min_count=1, sample=1e-3, epochs=1, workers=1,
                     window=1)
    eff, raw = model.train(sents, epochs=1)
    p_the = keep_probability(np.array([20000, 1]), 1e-3 * 20400 / 20001)[0]
    expected = 20000 * keep_probability(model.wv.expandos["count"], 1e-3)[0] + 400
    assert raw == 20400
    assert abs(eff - expected) < 4 * np.sqrt(20000 * p_the) + 5


def test_negative_sampling_tables_follow_unigram_075():
    counts = np.array([1000, 300, 50, 10, 1])
    w = counts**0.75 / (counts**0.75).sum()
    cum = cum_table(counts)
    assert np.allclose(np.diff(np.r_[0, cum]) / cum[-1], w, atol=1e-9)
    thresh, alias = alias_table(counts)
    rng = np.random.default_rng(0)
    i = rng.integers(0, len(counts), 400_000)
    u = rng.integers(0, 2**32, 400_000, dtype=np.uint64)
    freq = np.bincount(np.where(u < thresh[i], i, alias[i]), minlength=5) / 400_000
    assert np.allclose(freq, w, atol=3e-3)


def test_learning_rate_decays_linearly_over_all_epochs():
    sents = two_topic_corpus(200)
    model = Word2Vec(vector_size=8, min_count=1, workers=1, batch_words=100, alpha=0.05,
                     min_alpha=0.001)
    model.build_vocab(sents)
    seen = []
    model.train(sents, epochs=3, progress=lambda raw, eff, a, tot: seen.append((raw, a, tot)))
    raw = np.array([s[0] for s in seen])
    alpha = np.array([s[1] for s in seen])
    total = seen[0][2]
    assert total == 3 * model.corpus_total_words == raw[-1]
    # the rate after each job: alpha - (alpha - min_alpha) * words done / all words
    assert np.allclose(alpha, 0.05 - (0.05 - 0.001) * raw / total, atol=1e-9)
    assert np.isclose(alpha[-1], 0.001)


# --- training --------------------------------------------------------------------------------


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("sg", [0, 1])
def test_training_separates_two_word_clusters(kernel, sg):
    sents = two_topic_corpus()
    model = Word2Vec(sents, vector_size=16, window=3, min_count=1, sg=sg, epochs=5,
                     workers=2, seed=3, sample=0, kernel=kernel,
                     alpha=0.025 if sg else 0.05)
    assert model.kernel == kernel
    n = model.wv.get_normed_vectors()
    a = n[[model.wv.get_index(f"a{i}") for i in range(6)]]
    b = n[[model.wv.get_index(f"b{i}") for i in range(6)]]
    within = (np.mean(a @ a.T) + np.mean(b @ b.T)) / 2
    across = np.mean(a @ b.T)
    assert within > across + 0.3, (within, across)
    for word in [f"{g}{i}" for g in "ab" for i in range(6)]:
        top = [w for w, _ in model.wv.most_similar(word, topn=5)]
        assert all(w[0] == word[0] for w in top), (word, top)


@pytest.mark.parametrize("kernel", KERNELS)
def test_one_worker_same_seed_is_reproducible(kernel):
    sents = two_topic_corpus(100)
    kw = dict(vector_size=8, min_count=1, workers=1, epochs=2, seed=7, kernel=kernel)
    m1, m2 = Word2Vec(sents, **kw), Word2Vec(sents, **kw)
    assert np.array_equal(m1.wv.vectors, m2.wv.vectors)
    m3 = Word2Vec(sents, **{**kw, "seed": 8})
    assert not np.array_equal(m1.wv.vectors, m3.wv.vectors)


def test_corpus_file_streams_and_long_lines_are_cut(tmp_path):
    path = write_corpus(tmp_path / "c.txt", two_topic_corpus(50) + [["a1", "b1"] * 6000])
    model = Word2Vec(corpus_file=path, vector_size=8, min_count=1, workers=2, epochs=1)
    assert model.corpus_count == 50 + 2  # the 12000-word line is two sentences
    assert model.corpus_total_words == 50 * 11 + 12000
    assert model.train_stats["raw_words"] == model.corpus_total_words
    assert len(list(LineSentence(path))) == 52


def test_generator_and_empty_inputs_are_refused(tmp_path):
    with pytest.raises(TypeError, match="one-shot iterator"):
        Word2Vec((s for s in [["a", "b"]]), min_count=1)
    with pytest.raises(CorpusError, match="empty"):
        Word2Vec([], min_count=1)
    with pytest.raises(CorpusError, match="empty"):
        Word2Vec([[], []], min_count=1)
    empty = tmp_path / "empty.txt"
    empty.write_text("\n\n")
    with pytest.raises(CorpusError, match="empty"):
        Word2Vec(corpus_file=str(empty))
    with pytest.raises(CorpusError, match="min_count=5"):
        Word2Vec([["a", "b", "a"]])
    with pytest.raises(FileNotFoundError, match="nope.txt"):
        Word2Vec(corpus_file=str(tmp_path / "nope.txt"))
    with pytest.raises(TypeError, match="list of tokens"):
        Word2Vec(["a sentence as one string"], min_count=1)
    with pytest.raises(RuntimeError, match="build_vocab"):
        Word2Vec(min_count=1).train([["a"]], epochs=1)
    with pytest.raises(ValueError, match="epochs"):
        m = Word2Vec(min_count=1)
        m.build_vocab([["a"]])
        m.train([["a"]])
    with pytest.raises(ValueError, match="window"):
        Word2Vec(window=0)
    with pytest.raises(ValueError, match="nothing would train"):
        Word2Vec(hs=0, negative=0)


def test_undecodable_corpus_bytes_fail_before_training_naming_the_place(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_bytes(b"good words here\nmore caf\xe9 words\n")
    with pytest.raises(CorpusError, match=r"line 2 .*byte offset 24"):
        Word2Vec(corpus_file=str(path), min_count=1)
    tokens = list(LineSentence(str(path), errors="replace"))
    assert tokens[1] == ["more", "caf\ufffd", "words"]


# --- KeyedVectors ----------------------------------------------------------------------------


def small_kv(seed=0, n=30, d=6):
    rng = np.random.default_rng(seed)
    kv = KeyedVectors(d)
    kv.add_vectors([f"w{i}" for i in range(n)], rng.standard_normal((n, d)).astype(np.float32))
    return kv


def test_most_similar_matches_brute_force_cosines():
    kv = small_kv()
    v = kv.vectors.astype(np.float64)
    unit = v / np.linalg.norm(v, axis=1, keepdims=True)
    q = unit[1] + unit[2] - unit[3]
    q /= np.linalg.norm(q) * 3 / 3
    cos = unit @ (q / np.linalg.norm(q))
    cos[[1, 2, 3]] = -np.inf
    want = [f"w{i}" for i in np.argsort(-cos)[:4]]
    got = kv.most_similar(positive=["w1", "w2"], negative=["w3"], topn=4)
    assert [w for w, _ in got] == want
    assert np.allclose([s for _, s in got], np.sort(cos)[::-1][:4], atol=1e-5)
    assert kv.most_similar("w0", topn=None).shape == (30,)
    assert np.isclose(kv.similarity("w4", "w5"), unit[4] @ unit[5], atol=1e-6)
    assert kv["w4"].shape == (6,) and kv[["w4", "w5"]].shape == (2, 6)


def test_doesnt_match_and_cosmul():
    kv = KeyedVectors(2)
    kv.add_vectors(["a", "b", "c", "z"], [[1, 0.1], [1, 0.0], [1, -0.1], [-0.2, 1]])
    assert kv.doesnt_match(["a", "b", "c", "z"]) == "z"
    with pytest.warns(UserWarning, match="not in the vocabulary"):
        assert kv.doesnt_match(["a", "b", "z", "nope"]) == "z"
    assert kv.most_similar_cosmul(positive=["a"], topn=1)[0][0] == "b"


@pytest.mark.parametrize("call", [
    lambda kv: kv.most_similar("nope"),
    lambda kv: kv.most_similar(positive=["w1"], negative=["nope"]),
    lambda kv: kv.similarity("w1", "nope"),
    lambda kv: kv["nope"],
    lambda kv: kv.most_similar_cosmul(positive=["nope"]),
])
def test_unknown_word_raises_key_error_naming_it(call):
    with pytest.raises(KeyError, match="nope"):
        call(small_kv())


def test_evaluate_word_pairs_and_analogies(tmp_path):
    kv = KeyedVectors(2)
    kv.add_vectors(["man", "woman", "king", "queen", "apple"],
                   [[1, 0], [1, 1], [3, 0], [3, 1], [-1, 5]])
    pairs = tmp_path / "pairs.tsv"
    pairs.write_text("# comment\nman\twoman\t8\nking\tqueen\t9\nman\tapple\t1\n"
                     "king\tapple\t0.5\nfoo\tbar\t3\nbroken line\n")
    pearson, spearman, oov = kv.evaluate_word_pairs(str(pairs))
    gold = [8, 9, 1, 0.5]
    model = [kv.similarity("man", "woman"), kv.similarity("king", "queen"),
             kv.similarity("man", "apple"), kv.similarity("king", "apple")]
    assert np.isclose(pearson[0], np.corrcoef(gold, model)[0, 1])
    assert np.isclose(spearman[0], np.corrcoef(rankdata(gold), rankdata(model))[0, 1])
    assert np.isclose(oov, 100 * 1 / 5)
    qs = tmp_path / "q.txt"
    qs.write_text(": family\nman woman king queen\nwoman man queen king\n"
                  "man king woman apple\n: other\nfoo bar baz qux\n")
    score, sections = kv.evaluate_word_analogies(str(qs))
    assert sections[0]["section"] == "family"
    assert len(sections[0]["correct"]) == 2 and len(sections[0]["incorrect"]) == 1
    assert sections[-1]["section"] == "Total accuracy"
    assert np.isclose(score, 2 / 3)


def test_pearson_spearman_pvalues_match_scipy():
    stats = pytest.importorskip("scipy.stats")
    rng = np.random.default_rng(1)
    x = rng.standard_normal(40)
    y = 0.3 * x + rng.standard_normal(40)
    y[:5] = y[5]  # ties
    for ours, ref in ((pearsonr(x, y), stats.pearsonr(x, y)),
                      (spearmanr(x, y), stats.spearmanr(x, y))):
        assert np.isclose(ours[0], ref[0], atol=1e-12)
        assert np.isclose(ours[1], ref[1], rtol=1e-6)


# --- files -----------------------------------------------------------------------------------


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_format_round_trip_is_exact(tmp_path, binary):
    kv = small_kv()
    kv.vectors[0, 0] = 1e-30
    kv.vectors[1, 1] = -123456.789
    kv.add_vectors(["café", "naïve"], np.ones((2, 6)))
    path = str(tmp_path / ("v.bin" if binary else "v.txt"))
    kv.save_word2vec_format(path, binary=binary)
    back = KeyedVectors.load_word2vec_format(path, binary=binary)
    assert back.index_to_key == kv.index_to_key
    assert np.array_equal(back.vectors, kv.vectors)
    lim = KeyedVectors.load_word2vec_format(path, binary=binary, limit=3)
    assert lim.index_to_key == kv.index_to_key[:3]
    assert sorted(os.listdir(tmp_path)) == [os.path.basename(path)]  # no temporary file left


@pytest.mark.parametrize("binary", [False, True])
def test_gz_names_are_written_compressed_and_read_back(tmp_path, binary):
    import gzip

    kv = small_kv()
    path = str(tmp_path / "v.txt.gz")
    kv.save_word2vec_format(path, binary=binary)
    with gzip.open(path, "rb") as f:
        assert f.readline() == b"30 6\n"
    back = KeyedVectors.load_word2vec_format(path, binary=binary)
    assert back.index_to_key == kv.index_to_key
    assert np.array_equal(back.vectors, kv.vectors)


def _text(n, d, rows):
    return (f"{n} {d}\n" + "".join(rows)).encode()


@pytest.mark.parametrize("binary,data,match", [
    (False, b"oops\na 1 2\n", r"line 1 .*header"),
    (False, _text(3, 2, ["a 1 2\n", "b 3 4\n"]), r"says 3 vectors .* only 2"),
    (False, _text(1, 2, ["a 1 2\n", "b 3 4\n"]), r"says 1 vectors but line 3"),
    (False, _text(2, 2, ["a 1 2\n", "b 3\n"]), r"line 3 should hold a word and 2 numbers"),
    (False, _text(2, 2, ["a 1 2\n", "b 3 x4\n"]), r"line 3: b'x4' is not a number"),
    (True, b"2 2\na " + np.ones(2, "<f4").tobytes() + b"\nb " + b"\x00" * 5,
     r"record 2 of 2 \('b'\) at byte offset 15: needs 8 bytes"),
    (True, b"1 2\na " + np.ones(2, "<f4").tobytes() + b"\nb " + b"\x00" * 8,
     r"more data follows at byte offset 15"),
    (True, b"3 2\na " + np.ones(2, "<f4").tobytes() + b"\nbb",
     r"record 2 of 3 at byte offset 15"),
])
def test_malformed_vector_files_name_the_place(tmp_path, binary, data, match):
    path = tmp_path / "bad"
    path.write_bytes(data)
    with pytest.raises(FormatError, match=match):
        KeyedVectors.load_word2vec_format(str(path), binary=binary)


def test_whole_model_save_load_round_trip_and_keeps_training(tmp_path):
    sents = two_topic_corpus(100)
    model = Word2Vec(sents, vector_size=8, min_count=1, workers=1, epochs=1, sg=1, window=3)
    path = str(tmp_path / "m.safetensors")
    model.save(path)
    back = Word2Vec.load(path)
    assert back.wv.index_to_key == model.wv.index_to_key
    assert np.array_equal(back.wv.vectors, model.wv.vectors)
    assert np.array_equal(back.syn1neg, model.syn1neg)
    assert (back.sg, back.window, back.vector_size) == (1, 3, 8)
    assert back.wv.get_vecattr("the", "count") == model.wv.get_vecattr("the", "count")
    before = back.wv.vectors.copy()
    back.train(sents, epochs=1)
    assert not np.array_equal(before, back.wv.vectors)
    model.wv.save(str(tmp_path / "kv.safetensors"))
    kv = KeyedVectors.load(str(tmp_path / "kv.safetensors"))
    assert np.array_equal(kv.vectors, model.wv.vectors)
    with pytest.raises(FormatError, match="expected 'Word2Vec'"):
        Word2Vec.load(str(tmp_path / "kv.safetensors"))
    (tmp_path / "junk").write_bytes(b"not a model")
    with pytest.raises(FormatError, match="junk"):
        Word2Vec.load(str(tmp_path / "junk"))


def test_encoded_corpus_cache_gives_the_same_training():
    sents = two_topic_corpus(300)
    kw = dict(vector_size=8, min_count=1, workers=1, epochs=3, seed=5, batch_words=500)
    cached = Word2Vec(sents, **kw)
    reread = Word2Vec(sents, cache_encoded=False, **kw)
    assert cached.train_stats["raw_words"] == reread.train_stats["raw_words"] == 3 * 3300
    assert np.array_equal(cached.wv.vectors, reread.wv.vectors)


@pytest.mark.skipif("numba" not in KERNELS, reason="numba not installed")
def test_compiled_kernel_releases_the_gil():
    from glassnet.word2vec import _numba_kernel

    assert _numba_kernel.train_job.targetoptions.get("nogil") is True


def test_falls_back_to_numpy_without_numba(monkeypatch):
    import sys

    import glassnet.backend as backend

    monkeypatch.setitem(sys.modules, "numba", None)  # `import numba` now fails
    monkeypatch.setattr(backend, "_warned_no_numba", False)
    monkeypatch.delenv("GLASSNET_KERNEL", raising=False)
    with pytest.warns(RuntimeWarning, match="numba could not be imported"):
        assert available_kernel() == "numpy"
    model = Word2Vec(two_topic_corpus(40), vector_size=8, min_count=1, epochs=1, workers=2)
    assert model.kernel == "numpy" and model.train_stats["kernel"] == "numpy"
    with pytest.raises(ImportError, match="GLASSNET_KERNEL=numpy"):
        Word2Vec([["a", "b"]] * 5, min_count=1, kernel="numba")


def test_glassnet_kernel_selects_the_numpy_kernels(monkeypatch):
    monkeypatch.setenv("GLASSNET_KERNEL", "numpy")
    assert available_kernel() == "numpy"
    model = Word2Vec(two_topic_corpus(20), vector_size=8, min_count=1, epochs=1, workers=1)
    assert model.kernel == "numpy"
    monkeypatch.setenv("GLASSNET_KERNEL", "cuda")
    with pytest.raises(ValueError, match="GLASSNET_KERNEL"):
        available_kernel()


# --- the `glassnet word2vec` command ---------------------------------------------------------


def _read_like_the_c_tool(path):
    """Read a binary vectors file the way the original tool's readers do: the header with
    scanf, then per word: skip a newline, bytes up to a space, D raw float32 values."""
    data = open(path, "rb").read()
    end = data.index(b"\n")
    n, d = map(int, data[:end].split())
    pos, words, vecs = end + 1, [], []
    for _ in range(n):
        while data[pos:pos + 1] == b"\n":
            pos += 1
        sp = data.index(b" ", pos)
        words.append(data[pos:sp].decode())
        vecs.append(np.frombuffer(data, "<f4", d, sp + 1))
        pos = sp + 1 + 4 * d
    assert data[pos:] == b"\n"
    return words, np.array(vecs)


def test_glassnet_command_runs_word2vec_with_the_original_defaults(tmp_path, capsys):
    from glassnet.cli import main

    sents = two_topic_corpus(300)
    sents.append(["rare"] * 4)  # 4 < the default -min-count 5: left out
    corpus = write_corpus(tmp_path / "corpus.txt", sents)
    out = tmp_path / "vectors.txt"
    assert main(["word2vec", "-train", corpus, "-output", str(out)]) == 0
    err = capsys.readouterr().err
    assert "Vocab size: 13" in err and " kernel)" in err
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "13 100"  # the 13 words seen >= 5 times, -size 100
    rows = [line.split() for line in lines[1:]]
    assert rows[0][0] == "the" and "rare" not in [r[0] for r in rows]
    assert all(len(r) == 101 for r in rows) and np.isfinite(np.array(
        [r[1:] for r in rows], dtype=np.float64)).all()
    umask = os.umask(0)
    os.umask(umask)
    assert os.stat(out).st_mode & 0o777 == 0o666 & ~umask  # an ordinary file, not 0600
    kv = KeyedVectors.load_word2vec_format(str(out))
    binary = tmp_path / "vectors.bin"
    assert main(["word2vec", "-train", corpus, "-output", str(binary), "-binary", "1",
                 "-size", "10", "-iter", "1", "-threads", "1"]) == 0
    words, vectors = _read_like_the_c_tool(binary)
    assert words == kv.index_to_key and vectors.shape == (13, 10)
    assert sorted(os.listdir(tmp_path)) == ["corpus.txt", "vectors.bin", "vectors.txt"]


@pytest.mark.parametrize("content,message", [
    (b"", "empty"),
    (b"a b c\n" * 2, "min_count=5"),
    (b"good words\nbad caf\xe9\n" * 5, "byte offset"),
])
def test_glassnet_command_reports_a_bad_corpus(tmp_path, capsys, content, message):
    from glassnet.cli import main

    corpus = tmp_path / "corpus.txt"
    corpus.write_bytes(content)
    out = tmp_path / "out.txt"
    assert main(["word2vec", "-train", str(corpus), "-output", str(out)]) == 1
    err = capsys.readouterr().err
    assert "glassnet word2vec:" in err and message in err and "Traceback" not in err
    assert not out.exists()
