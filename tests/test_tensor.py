"""The Tensor type: attributes, conversions, dtypes, factories and seeded randomness."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn


def test_attributes():
    t = gn.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], requires_grad=True)
    assert isinstance(t.data, np.ndarray)
    assert t.grad is None and t.requires_grad and t.is_leaf
    assert t.shape == (2, 3) and t.ndim == 2 and t.dtype == np.float32
    assert t.size == 6 and isinstance(t.size, int)
    assert t.size() == (2, 3) and t.size(1) == 3 and t.size(-2) == 2
    assert t.numel() == 6 and t.dim() == 2
    assert t.T.shape == (3, 2)
    np.testing.assert_array_equal(t.T.detach().numpy(), t.detach().numpy().T)


def test_conversions():
    t = gn.tensor([[1.0, 2.0], [3.0, 4.0]])
    assert isinstance(t.numpy(), np.ndarray)
    assert np.shares_memory(t.numpy(), t.data)
    assert t.tolist() == [[1.0, 2.0], [3.0, 4.0]]
    assert np.asarray(t).shape == (2, 2)
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert len(t) == 2
    rows = list(t)
    assert len(rows) == 2 and rows[1].tolist() == [3.0, 4.0]
    s = t.sum()
    assert isinstance(s.item(), float) and s.item() == 10.0
    assert float(s) == 10.0 and int(gn.tensor(3)) == 3
    with pytest.raises(ValueError, match=r"one-element.*\(2, 2\)"):
        t.item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(t)
    with pytest.raises(TypeError, match="0-d"):
        len(s)


def test_numpy_of_a_tensor_that_requires_grad_asks_for_detach():
    t = gn.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        t.numpy()
    assert t.detach().numpy().tolist() == [1.0]


def test_op_results_hold_arrays_even_for_scalars():
    a = gn.tensor(2.0, requires_grad=True)
    for out in (a * 3, a * a, (a + 1).sum(), gn.tensor([1.0, 2.0]).mean(), a.exp()):
        assert type(out.data) is np.ndarray and out.shape == ()


def test_repr_shows_values_dtype_and_the_op():
    t = gn.tensor([1.0, 2.5], requires_grad=True)
    assert repr(t) == "tensor([1. , 2.5], requires_grad=True)"
    assert "grad_fn=<mul>" in repr(t * 2)
    assert "grad_fn=<sum>" in repr((t * 2).sum())
    assert "dtype=int64" in repr(gn.tensor([1, 2]))
    assert "dtype=float64" in repr(gn.tensor([1.0], dtype=gn.float64))
    assert repr(gn.tensor([1.0, 2.0])) == "tensor([1., 2.])"


# --- dtypes -------------------------------------------------------------------------------


def test_float32_default_and_float64_kept():
    assert gn.tensor([1.0, 2.0]).dtype == np.float32
    assert gn.tensor(1.5).dtype == np.float32
    assert gn.tensor(np.array([1.0])).dtype == np.float64  # an array keeps its dtype
    assert gn.tensor([1.0], dtype=gn.float64).dtype == np.float64
    assert gn.tensor(np.array([1.0], np.float32), dtype="float64").dtype == np.float64
    x = gn.tensor([1.0], dtype=gn.float64, requires_grad=True)
    y = (x * 2.5 + 1).exp() / 3
    assert y.dtype == np.float64
    y.sum().backward()
    assert x.grad.dtype == np.float64


def test_numbers_never_promote_float32():
    x = gn.tensor([1.0, 2.0])
    for y in (
        x * 2.5,
        x + np.float64(1.5),
        x / np.float64(3.0),
        np.float64(2.0) * x,
        x * np.array([1.0, 2.0]),
        x**0.5,
        2.0**x,
    ):
        assert y.dtype == np.float32, y


def test_int_and_bool_tensors():
    i = gn.tensor([1, 2, 3])
    b = gn.tensor([True, False])
    assert i.dtype == np.int64 and b.dtype == np.bool_
    assert not i.requires_grad
    assert (i * 2).tolist() == [2, 4, 6] and (i * 2).dtype == np.int64
    assert i.float().dtype == np.float32 and i.double().dtype == np.float64
    assert gn.tensor([1.5, 2.7]).long().tolist() == [1, 2]
    assert i.to(gn.float64).dtype == np.float64 and i.to("cpu") is i
    assert (i > 1).tolist() == [False, True, True]


def test_integer_tensors_meet_floats_as_pytorch_does():
    i = gn.arange(4)
    w = gn.ones(4, requires_grad=True)
    assert (i / 2).dtype == np.float32 and (i / 2).tolist() == [0.0, 0.5, 1.0, 1.5]
    assert (i * 0.5).dtype == np.float32 and (0.5 + i).dtype == np.float32
    assert (i * w).dtype == np.float32 and (i * w).requires_grad
    assert (i * gn.ones(4, dtype=gn.float64)).dtype == np.float64
    assert (i * 2).dtype == np.int64 and (i - i).dtype == np.int64
    assert gn.maximum(i, w).dtype == np.float32
    assert (gn.ones(2, 4) @ i.reshape(4, 1)).dtype == np.float32


def test_tensor_copies_but_from_numpy_shares():
    a = np.array([1.0, 2.0, 3.0])
    t = gn.tensor(a)
    f = gn.from_numpy(a)
    a[0] = 10.0
    assert t.tolist()[0] == 1.0
    assert f.tolist()[0] == 10.0 and f.data is a and f.dtype == np.float64
    with pytest.raises(TypeError, match="list"):
        gn.from_numpy([1.0, 2.0])


@pytest.mark.parametrize(
    "bad,error,pattern",
    [
        ("text", TypeError, "str: 'text'"),
        (None, TypeError, "NoneType"),
        ([[1.0, 2.0], [3.0]], ValueError, "ragged"),
        ([1.0, "a"], TypeError, "dtype"),
        ([object()], TypeError, "object"),
    ],
)
def test_bad_data_says_what_it_got(bad, error, pattern):
    with pytest.raises(error, match=pattern):
        gn.tensor(bad)


# --- factories ----------------------------------------------------------------------------


def test_factories():
    assert gn.zeros(2, 3).tolist() == [[0.0] * 3] * 2 and gn.zeros(2, 3).dtype == np.float32
    assert gn.zeros((2, 3)).shape == (2, 3)
    assert gn.ones(4).tolist() == [1.0] * 4
    assert gn.ones(2, dtype=gn.float64).dtype == np.float64
    assert gn.full((2, 2), 7.0).tolist() == [[7.0, 7.0]] * 2
    assert gn.full((2,), 3).dtype == np.int64
    assert gn.empty(3, 2).shape == (3, 2)
    assert gn.arange(5).tolist() == [0, 1, 2, 3, 4] and gn.arange(5).dtype == np.int64
    assert gn.arange(1, 2, 0.5).tolist() == [1.0, 1.5] and gn.arange(1, 2, 0.5).dtype == np.float32
    np.testing.assert_allclose(gn.linspace(0, 1, 5).numpy(), [0, 0.25, 0.5, 0.75, 1])
    assert gn.eye(3).tolist() == np.eye(3).tolist()
    assert gn.eye(2, 3).shape == (2, 3)
    t = gn.tensor([[1.0, 2.0]], dtype=gn.float64)
    assert gn.zeros_like(t).dtype == np.float64 and gn.zeros_like(t).shape == (1, 2)
    assert gn.ones_like(t).tolist() == [[1.0, 1.0]]
    w = gn.zeros(3, requires_grad=True)
    assert w.requires_grad and w.is_leaf
    with pytest.raises(ValueError, match="non-negative"):
        gn.zeros(-1)


def test_random_factories_shapes_and_ranges():
    gn.manual_seed(0)
    u = gn.rand(1000)
    assert u.dtype == np.float32 and 0 <= u.data.min() and u.data.max() < 1
    n = gn.randn(2, 3)
    assert n.shape == (2, 3) and n.dtype == np.float32
    r = gn.randint(0, 5, (100,))
    assert r.dtype == np.int64 and set(r.tolist()) <= set(range(5))
    assert gn.randint(3, (4,)).shape == (4,)


def test_manual_seed_reproduces_numbers():
    gn.manual_seed(42)
    a = (gn.randn(3).tolist(), gn.rand(2).tolist(), gn.randint(0, 100, (3,)).tolist())
    gn.manual_seed(42)
    b = (gn.randn(3).tolist(), gn.rand(2).tolist(), gn.randint(0, 100, (3,)).tolist())
    assert a == b
    assert gn.randn(3).tolist() != a[0]


def test_generator_is_independent_of_the_global_seed():
    g1, g2 = gn.Generator(7), gn.Generator(7)
    x = gn.randn(4, generator=g1)
    gn.manual_seed(123)
    gn.randn(10)  # the global stream moves; g2 must not care
    y = gn.randn(4, generator=g2)
    assert x.tolist() == y.tolist()
    g1.manual_seed(7)
    assert gn.randn(4, generator=g1).tolist() == x.tolist()
    state = g1.get_state()
    first = gn.rand(3, generator=g1).tolist()
    g1.set_state(state)
    assert gn.rand(3, generator=g1).tolist() == first


# --- in-place helpers ---------------------------------------------------------------------


def test_in_place_changes_of_a_leaf_need_no_grad():
    w = gn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="no_grad"):
        w.zero_()
    with gn.no_grad():
        w.fill_(2.0)
        w[0] = 5.0
    assert w.tolist() == [5.0, 2.0, 2.0]
