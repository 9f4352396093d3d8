"""A short memory soak: thousands of training steps of an MLP and of an LSTM must keep the
process's resident memory flat (no graph, gradient or optimizer state kept alive from one
step to the next)."""

from __future__ import annotations

import sys

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from glassnet import nn

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads resident memory from /proc/self/statm")


def rss_mib() -> float:
    import os

    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def soak(step, steps: int, warmup: int) -> list[float]:
    """RSS (MiB) after the warm-up and then at five evenly spaced points."""
    marks = []
    for i in range(steps):
        step(i)
        if i + 1 == warmup or (i + 1 > warmup and (i + 1 - warmup) % ((steps - warmup) // 5) == 0):
            marks.append(rss_mib())
    return marks


def assert_flat(marks: list[float], what: str, slack_mib: float = 6.0) -> None:
    growth = max(marks[1:]) - marks[0]
    assert growth < slack_mib, f"{what}: resident memory grew {growth:.1f} MiB: {marks}"


def test_mlp_training_keeps_memory_flat():
    gn.manual_seed(0)
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 64), nn.Tanh(),
                          nn.Linear(64, 5))
    opt = gn.optim.Adam(model.parameters(), lr=1e-3)
    x = gn.tensor(rng.standard_normal((32, 20)).astype(np.float32))
    y = gn.tensor(rng.integers(0, 5, 32))
    losses = []

    def step(i):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()
        if i % 500 == 0:
            losses.append(loss.item())

    marks = soak(step, 3000, 600)
    assert losses[-1] < losses[0]  # it trained
    assert_flat(marks, "MLP")


def test_lstm_training_keeps_memory_flat():
    gn.manual_seed(0)
    rng = np.random.default_rng(1)
    lstm, head = nn.LSTM(6, 16, batch_first=True), nn.Linear(16, 1)
    opt = gn.optim.SGD([*lstm.parameters(), *head.parameters()], lr=0.05, momentum=0.9)
    x = gn.tensor(rng.standard_normal((8, 12, 6)).astype(np.float32))
    y = gn.tensor(rng.standard_normal((8, 1)).astype(np.float32))
    losses = []

    def step(i):
        opt.zero_grad()
        out, (h, c) = lstm(x)
        loss = F.mse_loss(head(out[:, -1]), y)
        loss.backward()
        nn.utils.clip_grad_norm_(lstm.parameters(), 1.0)
        opt.step()
        if i % 500 == 0:
            losses.append(loss.item())

    marks = soak(step, 1500, 300)
    assert losses[-1] < losses[0]
    assert_flat(marks, "LSTM")
