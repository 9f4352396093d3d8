"""The word-embedding chapter (Troll 2, the bundled corpus) and the word2vec command line."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet.examples import troll2, word_embeddings
from glassnet.word2vec import KeyedVectors, data_path
from glassnet.word2vec.cli import main


def test_troll2_predicts_successors_and_pairs_the_two_films(tmp_path):
    out = troll2.run(plot_dir=str(tmp_path))
    assert out["ok"]
    assert set(out["p_next"]) == {"Troll2 -> is", "is -> great", "Gymkata -> is"}
    assert min(out["p_next"].values()) >= 0.99
    assert out["nearest"]["Troll2"] == "Gymkata" and out["nearest"]["Gymkata"] == "Troll2"
    assert out["embeddings"].shape == (4, 2)
    assert out["losses"][-1] < out["losses"][0]
    if out["plot"] is not None:  # matplotlib installed
        assert out["plot"].endswith("troll2_embeddings.png")
    assert "Troll2 <-> Gymkata" in out["result"]


def test_troll2_cross_entropy_is_built_from_log_softmax():
    import glassnet as gn

    scores = gn.tensor(np.array([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]]), requires_grad=True)
    loss = troll2.cross_entropy(scores, np.array([1, 2]))
    s = scores.detach().numpy().astype(np.float64)
    logp = s - np.log(np.exp(s).sum(1, keepdims=True))
    assert np.isclose(loss.item(), -(logp[0, 1] + logp[1, 2]) / 2, atol=1e-6)
    loss.backward()
    p = np.exp(logp)
    assert np.allclose(scores.grad.numpy(), (p - np.eye(3)[[1, 2]]) / 2, atol=1e-6)


def test_word_embeddings_chapter_finds_the_days():
    out = word_embeddings.run(fast=True)
    days = {"tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
    assert len(days & set(out["neighbours"]["monday"])) >= 4
    assert out["troll2"]["ok"]
    assert isinstance(out["result"], str) and "\n" not in out["result"]


def test_bundled_corpus_is_there():
    with open(data_path("village.txt"), encoding="utf-8") as f:
        assert sum(1 for _ in f) == 6000
    with pytest.raises(FileNotFoundError):
        data_path("missing.txt")


@pytest.mark.parametrize("binary", [0, 1])
def test_cli_trains_and_writes_word2vec_format(tmp_path, capsys, binary):
    out = tmp_path / "vec.out"
    vocab = tmp_path / "vocab.txt"
    rc = main(["-train", data_path("village.txt"), "-output", str(out), "-size", "20",
               "-iter", "1", "-threads", "2", "-binary", str(binary), "-cbow", "0",
               "-save-vocab", str(vocab)])
    assert rc == 0
    kv = KeyedVectors.load_word2vec_format(str(out), binary=bool(binary))
    assert kv.vectors.shape == (175, 20)
    first = vocab.read_text().splitlines()[0].split()
    assert first[0] == kv.index_to_key[0] and int(first[1]) > 0
    err = capsys.readouterr().err
    assert "Vocab size: 175" in err and "word/s" in err and "alpha=" in err


def test_cli_hs_trains_the_same_model_as_the_api(tmp_path, capsys):
    from glassnet.word2vec import Word2Vec

    out = tmp_path / "hs.txt"
    assert main(["-train", data_path("village.txt"), "-output", str(out), "-size", "12",
                 "-iter", "1", "-threads", "1", "-cbow", "0", "-hs", "1", "-negative", "0",
                 "-min-count", "5", "-seed", "3"]) == 0
    capsys.readouterr()
    kv = KeyedVectors.load_word2vec_format(str(out))
    model = Word2Vec(corpus_file=data_path("village.txt"), vector_size=12, window=5, hs=1,
                     negative=0, sample=1e-3, min_count=5, epochs=1, alpha=0.025,
                     min_alpha=0.025 * 1e-4, workers=1, sg=1, seed=3)
    assert model.syn1.shape == (len(model.wv), 12)  # the hierarchical-softmax weights
    assert kv.index_to_key == model.wv.index_to_key
    assert np.allclose(kv.vectors, model.wv.vectors, atol=1e-5)


@pytest.mark.parametrize("argv,rc,message", [
    (["-train", "x"], 2, "missing -output"),
    (["-train", "x", "-output", "y", "-size", "ten"], 2, "-size needs an integer"),
    (["-train", "x", "-output", "y", "-bogus", "1"], 2, "unknown option '-bogus'"),
    (["-train", "x", "-output", "y", "-hs", "2"], 2, "-hs must be 0 or 1"),
    (["-train", "x", "-output", "y", "-negative", "0"], 2, "nothing to train"),
    (["-train", "/no/such/corpus.txt", "-output", "y"], 1, "not found"),
])
def test_cli_bad_usage(argv, rc, message, capsys):
    assert main(argv) == rc
    assert message in capsys.readouterr().err


def test_cli_help(capsys):
    assert main(["-h"]) == 0
    assert "-min-count" in capsys.readouterr().out
