"""Every ```python block of README.md and docs/*.md runs as written.

Each page is one pytest item: its blocks run in order in one namespace, in a fresh
temporary working directory. A ```text block directly after a python block (only blank
lines between) is that block's expected stdout: compared line by line after stripping
trailing spaces; a line holding only ``...`` matches any number of lines. The line
``<!-- docs: skip always: REASON -->`` right before a block skips that block.
"""

from __future__ import annotations

import contextlib
import io
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# Packages a page may import that `pip install glassnet` does not bring.
OPTIONAL = {"torch", "gensim", "matplotlib", "sklearn", "optuna", "pandas", "scipy", "mpi4py",
            "onnx", "onnxruntime", "starlette", "uvicorn", "httpx", "playwright", "numba"}
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```[ \t]*$", re.S | re.M)
SKIP = re.compile(r"<!--\s*docs:\s*skip\s+(always:[^>]*?)\s*-->\s*$")


def blocks(text: str) -> list[dict]:
    """The python blocks of a page: code, expected output (or None), skip reason, line."""
    found, fences = [], list(FENCE.finditer(text))
    for i, m in enumerate(fences):
        if m.group(1) != "python":
            continue
        before = text[: m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        skip = SKIP.search(before)
        expected = None
        nxt = fences[i + 1] if i + 1 < len(fences) else None
        if nxt is not None and nxt.group(1) == "text" and not text[m.end(): nxt.start()].strip():
            expected = nxt.group(2)
        found.append({"code": m.group(2), "expected": expected,
                      "skip": skip.group(1) if skip else None,
                      "line": text.count("\n", 0, m.start()) + 1})
    return found


def matches(expected: list[str], actual: list[str]) -> bool:
    """Line-by-line comparison where a line holding only '...' matches any number of lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(matches(expected[1:], actual[k:]) for k in range(len(actual) + 1))
    return bool(actual) and expected[0] == actual[0] and matches(expected[1:], actual[1:])


def lines(text: str) -> list[str]:
    out = [line.rstrip() for line in text.rstrip("\n").split("\n")]
    return [] if out == [""] else out


PAGE_BLOCKS = {p: blocks(p.read_text(encoding="utf-8")) for p in PAGES}


@pytest.mark.parametrize("page", [p for p in PAGES if PAGE_BLOCKS[p]],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_page_runs_as_written(page, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib").use("Agg")
    found = PAGE_BLOCKS[page]
    if all(b["skip"] for b in found):
        pytest.skip(found[0]["skip"])
    imported = set()
    for b in found:
        if not b["skip"]:
            imported |= set(re.findall(r"^\s*(?:from|import)\s+(\w+)", b["code"], re.M))
    for name in sorted(imported & OPTIONAL):
        pytest.importorskip(name)
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "__docs__"}
    name = page.relative_to(ROOT)
    for b in found:
        if b["skip"]:
            continue
        where = f"{name}:{b['line']}"
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(out):
                exec(compile(b["code"], where, "exec"), namespace)
        except ModuleNotFoundError as exc:
            if exc.name and exc.name.split(".")[0] in OPTIONAL:
                pytest.skip(f"{where} needs {exc.name}")
            raise
        finally:
            import matplotlib.pyplot as plt
            plt.close("all")
        if b["expected"] is not None:
            want, got = lines(b["expected"]), lines(out.getvalue())
            assert matches(want, got), (
                f"{where}: printed output differs\n--- expected\n" + "\n".join(want)
                + "\n--- printed\n" + "\n".join(got))
