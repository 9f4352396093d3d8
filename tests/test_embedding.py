"""Embedding against PyTorch: lookup, scatter-add gradients, padding_idx, max_norm,
from_pretrained, and bad indices."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F

torch = pytest.importorskip("torch")

V, D = 7, 4
IDX = np.array([[1, 3, 3, 0], [6, 1, 1, 1]])  # repeated indices on purpose

CASES = [
    # (name, kwargs)
    ("plain", {}),
    ("padding_idx", {"padding_idx": 1}),
    ("negative padding_idx", {"padding_idx": -1}),
    ("max_norm", {"max_norm": 1.0}),
    ("max_norm l1", {"max_norm": 1.5, "norm_type": 1.0}),
    ("scale_grad_by_freq", {"scale_grad_by_freq": True}),
    ("everything", {"padding_idx": 3, "max_norm": 0.8, "scale_grad_by_freq": True}),
]


@pytest.mark.parametrize("name,kw", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("shape", [(8,), (2, 4), (2, 2, 2)])
def test_embedding_matches_torch(name, kw, shape):
    rng = np.random.default_rng(0)
    w = rng.standard_normal((V, D))
    idx = IDX.reshape(shape)
    g = gn.nn.Embedding(V, D, dtype=np.float64, **kw)
    t = torch.nn.Embedding(V, D, **kw).double()
    with torch.no_grad():
        t.weight.copy_(torch.tensor(w))
    g.weight.data[...] = w
    out_g = g(gn.tensor(idx))
    out_t = t(torch.tensor(idx))
    np.testing.assert_allclose(out_g.data, out_t.detach().numpy(), rtol=1e-12, atol=1e-12)
    # max_norm renormalises the weight in place, like PyTorch
    np.testing.assert_allclose(g.weight.data, t.weight.detach().numpy(), rtol=1e-12)
    gy = rng.standard_normal(out_t.shape)
    (out_g * gn.tensor(gy)).sum().backward()
    (out_t * torch.tensor(gy)).sum().backward()
    np.testing.assert_allclose(g.weight.grad.data, t.weight.grad.numpy(), rtol=1e-12,
                               atol=1e-12)


def test_repeated_indices_accumulate():
    e = gn.nn.Embedding(5, 3)
    e(gn.tensor([2, 2, 2, 4])).sum().backward()
    assert e.weight.grad.data[2].tolist() == [3.0, 3.0, 3.0]
    assert e.weight.grad.data[4].tolist() == [1.0, 1.0, 1.0]
    assert not e.weight.grad.data[[0, 1, 3]].any()


def test_padding_row_starts_at_zero_and_gets_no_gradient():
    e = gn.nn.Embedding(5, 3, padding_idx=0)
    assert not e.weight.data[0].any()
    assert e.weight.data[1:].std() > 0.3  # N(0, 1) elsewhere
    e(gn.tensor([0, 0, 1])).sum().backward()
    assert not e.weight.grad.data[0].any()


def test_from_pretrained():
    w = np.arange(12, dtype=np.float32).reshape(4, 3)
    e = gn.nn.Embedding.from_pretrained(gn.tensor(w))
    assert not e.weight.requires_grad
    assert (e.num_embeddings, e.embedding_dim) == (4, 3)
    np.testing.assert_array_equal(e(gn.tensor([3, 0])).data, w[[3, 0]])
    w[0, 0] = 100  # a copy, not a view
    assert e.weight.data[0, 0] == 0
    e2 = gn.nn.Embedding.from_pretrained(w, freeze=False, padding_idx=1)
    assert e2.weight.requires_grad
    assert e2.weight.data[1].tolist() == [3.0, 4.0, 5.0]  # pretrained padding row kept
    e2(gn.tensor([1, 2])).sum().backward()
    assert not e2.weight.grad.data[1].any()
    assert e2.weight.grad.data[2].tolist() == [1.0, 1.0, 1.0]


def test_functional_and_gradcheck():
    rng = np.random.default_rng(1)
    w = gn.tensor(rng.standard_normal((6, 2)), requires_grad=True)
    idx = gn.tensor([[0, 5, 5], [2, 0, 1]])
    assert F.embedding(idx, w).shape == (2, 3, 2)
    assert gn.gradcheck(lambda w: F.embedding(idx, w), [w])


BAD = [
    ("too large", lambda e: e(gn.tensor([1, 10])), IndexError,
     r"index 10 is out of range for a vocabulary of 10 rows"),
    ("negative", lambda e: e(gn.tensor([-1, 2])), IndexError,
     r"index -1 is out of range for a vocabulary of 10"),
    ("float ids", lambda e: e(gn.tensor([1.0, 2.0])), TypeError, "integers"),
    ("bad padding_idx", lambda e: gn.nn.Embedding(10, 3, padding_idx=10), ValueError,
     "padding_idx 10"),
    ("bad size", lambda e: gn.nn.Embedding(0, 3), ValueError, "num_embeddings"),
    ("from_pretrained 1-D", lambda e: gn.nn.Embedding.from_pretrained(np.zeros(3)), ValueError,
     "2-D"),
]


@pytest.mark.parametrize("name,call,exc,match", BAD, ids=[b[0] for b in BAD])
def test_bad_input(name, call, exc, match):
    with pytest.raises(exc, match=match):
        call(gn.nn.Embedding(10, 3))


@pytest.mark.parametrize("n", [0, 1, 7, 500])
def test_scatter_add_rows_equals_add_at(n):
    from glassnet.backend import scatter_add_rows

    rng = np.random.default_rng(n)
    rows = rng.integers(0, 5, n)
    vals = rng.standard_normal((n, 3))
    for start in (np.zeros((5, 3)), np.ones((5, 3))):
        want = start.copy()
        np.add.at(want, rows, vals)
        got = start.copy()
        scatter_add_rows(got, rows, vals)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)  # float64: rounding only
    assert (got[np.setdiff1d(np.arange(5), rows)] == 1.0).all()  # untouched rows stay
