"""The README's Python examples run as written (in a temporary folder) and print what
the README says they print."""

from __future__ import annotations

import pathlib
import re

import pytest

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"
BLOCKS = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)

# A line of each example -> what its output must match.
EXPECTED = {
    "y = x**3 - 2 * x": r"mean squared error 0\.0\d+",
    "gn.data.load_iris(": r"held-out accuracy (9[5-9]|100)\.\d%",
    "nn.Conv2d(1, 16, 3": r"\(64, 10\)",
    "gn.nn.LSTM(input_size=8": r"\(4, 10, 32\) \(4, 4, 16\)",
    "Word2Vec(corpus_file=": r"\[\('\w+', 0\.\d+\)",
    "gn.explain.chain_rule(": r"autograd: -?[\d.]+, equal",
}


def _expected(code: str) -> str:
    hits = [pattern for line, pattern in EXPECTED.items() if line in code]
    assert len(hits) == 1, "each README example needs exactly one entry in EXPECTED"
    return hits[0]


def test_every_example_is_checked():
    assert len(BLOCKS) == len(EXPECTED)
    for code in BLOCKS:
        _expected(code)


@pytest.mark.parametrize("i", range(len(BLOCKS)))
def test_readme_example_runs(i, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    code = BLOCKS[i]
    exec(compile(code, f"README.md python block {i}", "exec"), {"__name__": "__readme__"})
    out = capsys.readouterr().out
    assert re.search(_expected(code), out), out[-2000:]
