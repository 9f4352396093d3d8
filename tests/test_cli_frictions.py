"""Small frictions a new user hits: word2vec command-line checks, the MNIST download
message without network, the demo's help text and its 80-column summary table."""

from __future__ import annotations

import urllib.request

import pytest

from glassnet import demo
from glassnet.data import idx
from glassnet.word2vec import cli


def _run(capsys, *argv):
    status = cli.main(list(argv))
    return status, capsys.readouterr().err


@pytest.mark.parametrize("make", ["empty", "devnull"])
def test_word2vec_empty_corpus(make, tmp_path, capsys):
    corpus = "/dev/null" if make == "devnull" else tmp_path / "empty.txt"
    if make == "empty":
        corpus.write_text("")
    status, err = _run(capsys, "-train", str(corpus), "-output", str(tmp_path / "v.txt"))
    assert status == 1
    assert "the corpus is empty" in err and "not found" not in err


def test_word2vec_checks_output_folder_before_training(tmp_path, capsys):
    corpus = tmp_path / "c.txt"
    corpus.write_text("a b c\n" * 10)
    status, err = _run(capsys, "-train", str(corpus), "-output", str(tmp_path / "no" / "v.txt"))
    assert status == 1 and "does not exist" in err and "Starting training" not in err
    status, err = _run(capsys, "-train", str(corpus), "-output", str(tmp_path))
    assert status == 1 and "is a folder" in err and "Starting training" not in err


def test_word2vec_errors_policy(tmp_path, capsys):
    corpus = tmp_path / "bad.txt"
    corpus.write_bytes(b"alpha beta \xff gamma\n" * 5)
    out = tmp_path / "v.txt"
    status, err = _run(capsys, "-train", str(corpus), "-output", str(out), "-min-count", "1")
    assert status == 1 and "byte offset 11" in err and "-errors replace" in err
    assert "LineSentence" not in err
    status, err = _run(capsys, "-train", str(corpus), "-output", str(out), "-errors", "bogus")
    assert status == 2 and "-errors must be strict, replace or ignore" in err
    status, err = _run(capsys, "-train", str(corpus), "-output", str(out), "-min-count", "1",
                       "-errors", "ignore", "-size", "4", "-iter", "1", "-threads", "1")
    assert status == 0, err
    words = {line.split()[0] for line in out.read_text().splitlines()[1:]}
    assert words == {"alpha", "beta", "gamma"}  # the undecodable byte dropped


def test_download_mnist_without_network(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(OSError) as info:
        idx.download_mnist("mnist", cache_dir=tmp_path)
    message = str(info.value)
    base, files = idx._SOURCES["mnist"]
    assert base in message and str(tmp_path) in message
    assert all(name in message for name in files)


def test_demo_help_has_no_rst_markup(capsys):
    with pytest.raises(SystemExit):
        demo._parser().parse_args(["--help"])
    assert "``" not in capsys.readouterr().out


def test_demo_summary_fits_80_columns(capsys):
    long = ("trained from random weights to an SSR of 0.0012 after 2000 steps; "
            "held-out accuracy 97.8% (44 of 45 flowers), spread 88.9%-100.0%")
    rows = [("Inside the black box", long, 1.25),
            ("Decoder-only Transformer: What is StatQuest?", "short", 3.5)]
    demo._summary(rows)
    out = capsys.readouterr().out
    assert max(len(line) for line in out.splitlines()) <= 80
    body = out.split("-" * 80)[1].strip("\n").splitlines()  # between the two rules
    words = " ".join(line[24:72] for line in body).split()
    assert words == long.split() + ["short"]  # every word whole, in order
