"""Every differentiable op, driven by one table.

Each row is ``case(name, fn, shapes, domain, ref=...)``. ``fn(lib, *xs)`` is written once
for both libraries: ``lib`` is ``glassnet`` or a PyTorch namespace that also finds names
in ``torch.nn.functional``; ``ref`` replaces it on the PyTorch side where the spelling
differs. Inputs are drawn from ``conftest.DOMAINS`` with the given shapes. Each row is
checked four ways:

* gradcheck: analytic gradients against central finite differences in float64;
* forward against PyTorch in float64;
* backward against PyTorch: the gradient of ``sum(out * v)`` for a random ``v``;
* float32 in, float32 out (values and gradients), no silent promotion.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import glassnet as gn
from conftest import assert_close, gn_leaves, make_arrays, torch_leaves


def case(name, fn, shapes, domain="real", ref=None):
    return pytest.param(fn, shapes, domain, ref, id=name)


M = (4, 5)  # the default matrix shape
COL = np.array([[1.5], [-2.0], [0.5], [3.0]])  # a float64 ndarray operand


def F(m):
    """``nn.functional`` on the glassnet side (the PyTorch namespace falls back to it)."""
    return gn.nn.functional if m is gn else m


CASES = [
    # --- arithmetic, with broadcasting and reversed operands ---------------------------
    case("add", lambda m, a, b: a + b, [M, M]),
    case("add_bcast_col", lambda m, a, b: a + b, [M, (4, 1)]),
    case("add_bcast_row", lambda m, a, b: a + b, [M, (5,)]),
    case("add_scalar_tensor", lambda m, a, b: a + b, [(), M]),
    case("add_python_scalar", lambda m, a: 3 + a + 2.5, [M]),
    case("sub", lambda m, a, b: a - b, [M, (4, 1)]),
    case("rsub_scalar", lambda m, a: 2 - a, [M]),
    case("sub_ndarray", lambda m, a: a - COL, [M], ref=lambda m, a: a - m.tensor(COL)),
    case("mul", lambda m, a, b: a * b, [M, M]),
    case("mul_bcast_3d", lambda m, a, b: a * b, [(3, 1, 5), (1, 4, 1)]),
    case("mul_ndarray_left", lambda m, a: COL * a, [M], ref=lambda m, a: m.tensor(COL) * a),
    case("mul_scalar_matrix", lambda m, a, b: b * a, [M, ()]),
    case("div", lambda m, a, b: a / b, [M, (4, 1)], "pos"),
    case("rdiv_scalar", lambda m, a: 2 / a, [M], "pos"),
    case("pow_tensor_tensor", lambda m, a, b: a**b, [M, (5,)], "pos"),
    case("pow_square", lambda m, a: a**2, [M]),
    case("pow_int3", lambda m, a: a**3, [M]),
    case("pow_half", lambda m, a: a**0.5, [M], "pos"),
    case("pow_negative", lambda m, a: a**-1.5, [M], "pos"),
    case("rpow", lambda m, a: 2**a, [M]),
    case("neg", lambda m, a: -a, [M]),
    case("method_forms", lambda m, a, b: a.add(b).mul(b).sub(a).div(b * b + 1), [M, (5,)]),
    # --- matmul: 1-D, 2-D, batched, broadcast batch dims -------------------------------
    case("matmul_vec_vec", lambda m, a, b: a @ b, [(3,), (3,)]),
    case("matmul_mat_vec", lambda m, a, b: a @ b, [(4, 3), (3,)]),
    case("matmul_vec_mat", lambda m, a, b: a @ b, [(3,), (3, 5)]),
    case("matmul_mat_mat", lambda m, a, b: m.matmul(a, b), [(4, 3), (3, 5)]),
    case("matmul_batched", lambda m, a, b: a @ b, [(2, 4, 3), (2, 3, 5)]),
    case("matmul_bcast_batch", lambda m, a, b: a @ b, [(2, 1, 4, 3), (3, 3, 5)]),
    case("matmul_mat_batched", lambda m, a, b: a @ b, [(4, 3), (2, 3, 5)]),
    case("matmul_batched_vec", lambda m, a, b: a @ b, [(2, 4, 3), (3,)]),
    case(
        "matmul_ndarray",
        lambda m, a: a @ COL[:, 0],
        [(3, 4)],
        ref=lambda m, a: a @ m.tensor(COL[:, 0]),
    ),
    # --- elementwise -------------------------------------------------------------------
    case("exp", lambda m, a: m.exp(a), [M]),
    case("log", lambda m, a: m.log(a), [M], "pos"),
    case("sqrt", lambda m, a: a.sqrt(), [M], "pos"),
    case("abs", lambda m, a: m.abs(a), [M], "away0"),
    case("sin", lambda m, a: m.sin(a), [M]),
    case("cos", lambda m, a: a.cos(), [M]),
    case("tanh", lambda m, a: m.tanh(a), [M]),
    case("sigmoid", lambda m, a: m.sigmoid(a * 4), [M]),
    case("relu", lambda m, a: m.relu(a), [M], "away0"),
    case("leaky_relu", lambda m, a: m.leaky_relu(a, 0.1), [M], "away0"),
    case("softplus", lambda m, a: m.softplus(a * 3), [M]),
    case("softplus_beta", lambda m, a: m.softplus(a * 10, beta=2.0, threshold=5.0), [M]),
    case("clamp", lambda m, a: m.clamp(a, min=-0.5, max=0.7), [M], "away0"),
    case("clamp_min", lambda m, a: a.clamp(min=0.3), [M], "away0"),
    case("clamp_max", lambda m, a: a.clamp(max=-0.3), [M], "away0"),
    case("maximum", lambda m, a, b: m.maximum(a, b), [M, (4, 1)]),
    case("minimum", lambda m, a, b: m.minimum(a, b), [(3, 1, 5), (1, 4, 1)]),
    case("where", lambda m, a, b: m.where(a > 0, a, b), [M, (5,)], "away0"),
    case("where_scalar", lambda m, a: m.where(a < 0, a * a, 0.5), [M], "away0"),
    # --- more activations (ops/activation_more.py) -------------------------------------
    case("gelu", lambda m, a: F(m).gelu(a * 2), [M]),
    case("gelu_tanh", lambda m, a: F(m).gelu(a * 2, approximate="tanh"), [M]),
    case("silu", lambda m, a: F(m).silu(a * 3), [M]),
    case("mish", lambda m, a: F(m).mish(a * 3), [M]),
    case("elu", lambda m, a: F(m).elu(a, alpha=0.7), [M], "away0"),
    case("selu", lambda m, a: m.selu(a), [M], "away0"),
    case("celu", lambda m, a: m.celu(a * 2, alpha=0.5), [M]),
    case("hardtanh", lambda m, a: F(m).hardtanh(a * 2, -0.5, 1.5), [M], "away0"),
    case("relu6", lambda m, a: F(m).relu6(a * 5), [M], "away0"),
    case("hardswish", lambda m, a: F(m).hardswish(a * 3), [M], "away0"),
    case("hardsigmoid", lambda m, a: F(m).hardsigmoid(a * 3), [M], "away0"),
    case("softsign", lambda m, a: F(m).softsign(a * 2), [M]),
    case("logsigmoid", lambda m, a: F(m).logsigmoid(a * 4), [M]),
    case("tanhshrink", lambda m, a: F(m).tanhshrink(a), [M]),
    case("prelu_channels", lambda m, a, w: m.prelu(a, w), [M, (5,)], "away0"),
    case("prelu_shared", lambda m, a, w: F(m).prelu(a, w), [(2, 3, 4), (1,)], "away0"),
    case("erf", lambda m, a: m.erf(a), [M]),
    # --- reductions --------------------------------------------------------------------
    case("sum_all", lambda m, a: a.sum(), [M]),
    case("sum_all_keep", lambda m, a: m.sum(a, dim=None, keepdim=True), [M]),
    case("sum_dim", lambda m, a: a.sum(dim=1), [M]),
    case("sum_neg_dim_keep", lambda m, a: a.sum(-2, keepdim=True), [(2, 3, 4)]),
    case("sum_tuple", lambda m, a: m.sum(a, dim=(0, 2)), [(2, 3, 4)]),
    case("sum_tuple_keep", lambda m, a: a.sum(dim=(0, 2), keepdim=True), [(2, 3, 4)]),
    case("mean_all", lambda m, a: a.mean(), [M]),
    case("mean_dim_keep", lambda m, a: a.mean(0, keepdim=True), [M]),
    case("mean_tuple", lambda m, a: m.mean(a, dim=(1, 2)), [(2, 3, 4)]),
    case("max_all", lambda m, a: a.max(), [M]),
    case("max_dim_values", lambda m, a: a.max(dim=1).values, [M]),
    case("max_dim_keep", lambda m, a: m.max(a, 0, keepdim=True)[0], [M]),
    case("min_all", lambda m, a: m.min(a), [M]),
    case("min_dim_keep", lambda m, a: m.min(a, dim=0, keepdim=True).values, [M]),
    case("min_dim_values", lambda m, a: a.min(dim=-1).values, [(2, 3, 4)]),
    case("amax_tuple", lambda m, a: m.amax(a, dim=(0, 2)), [(2, 3, 4)]),
    case("amin_keep", lambda m, a: a.amin(dim=1, keepdim=True), [M]),
    case("var_all", lambda m, a: a.var(), [M]),
    case("var_dim", lambda m, a: a.var(dim=1), [M]),
    case("var_biased_keep", lambda m, a: a.var(0, unbiased=False, keepdim=True), [M]),
    case("var_tuple_correction0", lambda m, a: m.var(a, dim=(0, 2), correction=0), [(2, 3, 4)]),
    case("std_all", lambda m, a: a.std(), [M]),
    case("std_dim_keep", lambda m, a: a.std(dim=0, keepdim=True), [M]),
    case("std_tuple", lambda m, a: m.std(a, dim=(0, 2)), [(2, 3, 4)]),
    case("logsumexp_dim", lambda m, a: m.logsumexp(a, dim=1), [M]),
    case("logsumexp_tuple_keep", lambda m, a: a.logsumexp(dim=(0, 2), keepdim=True), [(2, 3, 4)]),
    case("norm_all", lambda m, a: a.norm(), [M]),
    # --- shape -------------------------------------------------------------------------
    case("reshape", lambda m, a: a.reshape(2, 10) * a.reshape(2, 10), [M]),
    case("reshape_tuple_neg1", lambda m, a: m.reshape(a, (5, -1)), [M]),
    case("view", lambda m, a: a.view(-1), [M]),
    case("flatten", lambda m, a: a.flatten(), [(2, 3, 4)]),
    case("flatten_start", lambda m, a: m.flatten(a, 1), [(2, 3, 4)]),
    case("flatten_range", lambda m, a: a.flatten(0, 1), [(2, 3, 4)]),
    case("squeeze_all", lambda m, a: a.squeeze(), [(4, 1, 5, 1)]),
    case("squeeze_dim", lambda m, a: m.squeeze(a, 1), [(4, 1, 5, 1)]),
    case("unsqueeze", lambda m, a: a.unsqueeze(0), [M]),
    case("unsqueeze_last", lambda m, a: m.unsqueeze(a, -1) * a.unsqueeze(1), [M]),
    case("transpose", lambda m, a: m.transpose(a, 0, 2), [(2, 3, 4)]),
    case("T", lambda m, a: a.T * a.T, [M]),
    case("permute", lambda m, a: a.permute(2, 0, 1), [(2, 3, 4)]),
    case("permute_tuple", lambda m, a: m.permute(a, (1, 2, 0)), [(2, 3, 4)]),
    case("expand", lambda m, a: a.expand(3, 4, 5), [(4, 1)]),
    case("expand_neg1", lambda m, a: a.expand(-1, 6), [(4, 1)]),
    # --- indexing ----------------------------------------------------------------------
    case("index_int", lambda m, a: a[1], [M]),
    case("index_neg_int", lambda m, a: a[-1, 2], [M]),
    case("index_slice", lambda m, a: a[1:3, ::2], [M]),
    case("index_none", lambda m, a: a[:, None, 1:], [M]),
    case("index_ellipsis", lambda m, a: a[..., 0], [(2, 3, 4)]),
    case("index_ellipsis_none", lambda m, a: a[None, ..., 1], [(2, 3, 4)]),
    case("index_list_repeats", lambda m, a: a[[0, 2, 2, 0]], [M]),
    case("index_array_pairs", lambda m, a: a[np.array([0, 0, 3]), np.array([1, 1, 4])], [M]),
    case("index_array_negative", lambda m, a: a[np.array([-1, 0, -1]), np.array([2, -5, 2])], [M]),
    case("index_array_slice", lambda m, a: a[1:, np.array([4, 4, 0])], [M]),
    case("index_bool_mask", lambda m, a: a[a > 0], [M], "away0"),
    case("index_bool_rows", lambda m, a: a[np.array([True, False, True, True])], [M]),
    # --- joining and splitting ---------------------------------------------------------
    case("cat", lambda m, a, b: m.cat([a, b * 2], dim=1), [M, (4, 2)]),
    case("cat_dim0", lambda m, a, b: m.cat((a, b, a)), [M, (1, 5)]),
    case("stack", lambda m, a, b: m.stack([a, b]), [M, M]),
    case("stack_last", lambda m, a, b: m.stack([a, b, a], dim=-1), [M, M]),
    case("split_size", lambda m, a: a.split(2, dim=1)[2] * 3, [M]),
    case("split_sections", lambda m, a: m.cat(m.split(a, [1, 3], 0)[::-1], 0), [(4, 2)]),
    case("chunk", lambda m, a: m.cat(a.chunk(3, dim=1)[1:], dim=1), [M]),
    case("pad_last", lambda m, a: m.pad(a, (1, 2)), [M]),
    case("pad_two_dims", lambda m, a: m.pad(a, (0, 1, 2, 0), value=0.5), [(2, 3, 4)]),
    # --- softmax family ----------------------------------------------------------------
    case("softmax", lambda m, a: m.softmax(a, dim=1), [M]),
    case("softmax_dim0_method", lambda m, a: a.softmax(0), [(2, 3, 4)]),
    case(
        "softmax_temperature",
        lambda m, a: m.softmax(a, dim=-1, temperature=0.5),
        [M],
        ref=lambda m, a: m.softmax(a / 0.5, dim=-1),
    ),
    case("log_softmax", lambda m, a: m.log_softmax(a, dim=1), [M]),
    case("log_softmax_dim0", lambda m, a: a.log_softmax(0), [(2, 3, 4)]),
    case(
        "cross_entropy_from_ops",
        lambda m, a: -m.log_softmax(a, dim=1)[np.arange(4), np.array([0, 4, 2, 2])].mean(),
        [M],
    ),
    # --- composites: shared subexpressions and long expressions ------------------------
    case("shared_subexpression", lambda m, a: (lambda s: s * s + s.exp())(a.sin()), [M]),
    case("tiny_mlp", lambda m, x, w, b: m.tanh(x @ w + b).sum(1), [(6, 3), (3, 4), (4,)]),
]


class _TorchNamespace:
    """``torch``, falling back to ``torch.nn.functional`` for names like softplus, pad."""

    def __init__(self, torch):
        self.torch = torch

    def __getattr__(self, name):
        if hasattr(self.torch, name):
            return getattr(self.torch, name)
        return getattr(self.torch.nn.functional, name)


def _project(out, v):
    """sum(out * v): a scalar whose gradient checks every output element at once."""
    return (out * v).sum()


@pytest.mark.parametrize("fn,shapes,domain,ref", CASES)
def test_gradcheck(fn, shapes, domain, ref):
    xs = gn_leaves(make_arrays(shapes, domain))
    assert gn.autograd.gradcheck(lambda *t: fn(gn, *t), xs)


@pytest.mark.parametrize("fn,shapes,domain,ref", CASES)
def test_against_torch(fn, shapes, domain, ref, torch):
    arrays = make_arrays(shapes, domain, seed=1)
    xs, ts = gn_leaves(arrays), torch_leaves(torch, arrays)
    out = fn(gn, *xs)
    tout = (ref or fn)(_TorchNamespace(torch), *ts)
    assert isinstance(out, gn.Tensor)
    assert out.dtype == np.float64
    assert_close(out.data, tout, "forward")
    v = np.random.default_rng(2).standard_normal(out.shape)
    _project(out, gn.tensor(v)).backward()
    _project(tout, torch.tensor(v)).backward()
    for i, (x, t) in enumerate(zip(xs, ts)):
        expected = t.grad if t.grad is not None else torch.zeros_like(t)
        assert x.grad is not None, f"input {i} got no gradient"
        assert_close(x.grad.data, expected, f"gradient of input {i}")


@pytest.mark.parametrize("fn,shapes,domain,ref", CASES)
def test_float32_stays_float32(fn, shapes, domain, ref):
    xs = gn_leaves(make_arrays(shapes, domain, seed=3), dtype=np.float32)
    out = fn(gn, *xs)
    assert out.dtype == np.float32, f"float32 inputs gave a {out.dtype} output"
    out.sum().backward()
    for i, x in enumerate(xs):
        assert x.grad.dtype == np.float32, f"input {i}: gradient dtype {x.grad.dtype}"
        assert x.grad.shape == x.shape


# --- ops without a gradient ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("kwargs", [{}, {"dim": 1}, {"dim": -1, "keepdim": True}, {"dim": 0}])
def test_argmax_argmin(name, kwargs, torch):
    a = make_arrays([(3, 4, 5)], seed=4)[0]
    x = gn.tensor(a, requires_grad=True)
    got = getattr(x, name)(**kwargs)
    want = getattr(torch.tensor(a), name)(**kwargs)
    assert got.dtype == np.int64 and not got.requires_grad
    assert got.shape == tuple(want.shape)
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    np.testing.assert_array_equal(getattr(gn, name)(x, **kwargs).numpy(), want.numpy())


def test_max_with_dim_returns_values_and_indices(torch):
    a = make_arrays([(3, 4)], seed=5)[0]
    values, indices = gn.max(gn.tensor(a), dim=1)
    tv, ti = torch.max(torch.tensor(a), dim=1)
    assert_close(values.data, tv)
    np.testing.assert_array_equal(indices.numpy(), ti.numpy())


@pytest.mark.parametrize("op", ["__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__"])
def test_comparisons_return_bool_tensors(op):
    a = np.array([[1.0, 2.0, 3.0], [3.0, 2.0, 1.0]])
    b = np.array([2.0, 2.0, 2.0])
    x = gn.tensor(a, requires_grad=True)
    for other in (gn.tensor(b), b, 2.0):
        got = getattr(x, op)(other)
        assert isinstance(got, gn.Tensor) and got.dtype == np.bool_
        assert not got.requires_grad
        np.testing.assert_array_equal(got.numpy(), getattr(a, op)(np.asarray(other)))


def test_softmax_and_log_softmax_finite_at_large_logits(torch):
    a = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, -1e4], [1e4, 1e4, -1e4]])
    for f, tf in [
        (lambda x: gn.softmax(x, dim=1), lambda t: torch.softmax(t, dim=1)),
        (lambda x: gn.log_softmax(x, dim=1), lambda t: torch.log_softmax(t, dim=1)),
        (lambda x: gn.logsumexp(x, dim=1), lambda t: torch.logsumexp(t, dim=1)),
    ]:
        for dtype in (np.float32, np.float64):
            x = gn.tensor(a, dtype=dtype, requires_grad=True)
            out = f(x)
            assert np.isfinite(out.data).all()
            out.backward(gn.ones_like(out))
            assert np.isfinite(x.grad.data).all()
        t = torch.tensor(a, requires_grad=True)
        assert_close(out.data, tf(t), "forward at +-1e4", rtol=1e-6)


def test_relu_derivative_at_zero_is_zero():
    x = gn.tensor([-1.0, 0.0, 2.0], requires_grad=True)
    gn.relu(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 1.0])


def test_repeated_indices_accumulate():
    x = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_split_and_chunk_return_pieces(torch):
    a = make_arrays([(7, 2)])[0]
    for got, want in [
        (gn.tensor(a).split(3), torch.tensor(a).split(3)),
        (gn.tensor(a).chunk(3), torch.tensor(a).chunk(3)),
        (gn.split(gn.tensor(a), [2, 5]), torch.tensor(a).split([2, 5])),
    ]:
        assert len(got) == len(want)
        for g, w in zip(got, want):
            assert_close(g.data, w)


# --- bad input ----------------------------------------------------------------------------


def test_matmul_shape_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 5\)"):
        gn.ones(2, 3) @ gn.ones(4, 5)


def test_broadcast_mismatch_names_both_shapes():
    for op in (lambda a, b: a + b, lambda a, b: a * b, lambda a, b: a - b, gn.maximum):
        with pytest.raises(ValueError, match=r"\(3,\).*\(4,\)"):
            op(gn.ones(3), gn.ones(4))


def test_matmul_batch_mismatch_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 4, 3\).*\(5, 3, 2\)"):
        gn.ones(2, 4, 3) @ gn.ones(5, 3, 2)


@pytest.mark.parametrize(
    "bad,error,pattern",
    [
        ("abc", TypeError, "str"),
        ([[1, 2], [3]], ValueError, "ragged"),
        ([1, None], TypeError, "object|None"),
        ({"a": 1}, TypeError, "dict"),
    ],
)
def test_non_numeric_operand_says_what_it_got(bad, error, pattern):
    with pytest.raises(error, match=pattern):
        gn.ones(2) + bad
    with pytest.raises(error, match=pattern):
        gn.tensor(bad)


def test_bad_dim_and_reshape_errors_are_clear():
    x = gn.ones(2, 3)
    with pytest.raises(IndexError, match="dim 2 out of range"):
        x.sum(dim=2)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4, 2\)"):
        x.reshape(4, 2)
    with pytest.raises(IndexError, match=r"\(2, 3\)"):
        x[5]


# --- broadcasting, property-based -----------------------------------------------------------


@st.composite
def broadcastable_shapes(draw):
    """Two shapes that broadcast: each dim of each is either the common size or 1."""
    ndim = draw(st.integers(0, 3))
    base = draw(st.lists(st.integers(1, 3), min_size=ndim, max_size=ndim))
    shapes = []
    for _ in range(2):
        keep = draw(st.integers(0, ndim))
        dims = [n if draw(st.booleans()) else 1 for n in base[ndim - keep :]]
        shapes.append(tuple(dims))
    return shapes


@settings(max_examples=40, deadline=None)
@given(shapes=broadcastable_shapes(), op=st.sampled_from(["add", "sub", "mul", "div", "maximum"]))
def test_broadcast_gradients_match_numpy_sums(shapes, op):
    a, b = make_arrays(shapes, "pos", seed=7)
    x, y = gn_leaves([a, b])
    out = getattr(gn, op)(x, y)
    assert out.shape == np.broadcast_shapes(a.shape, b.shape)
    out.backward(gn.ones_like(out))
    assert x.grad.shape == a.shape and y.grad.shape == b.shape
    # d/dx sum(x + y) counts how many output elements each x element reaches
    if op == "add":
        reach = np.broadcast_shapes(a.shape, b.shape)
        assert_close(x.grad.data, np.full(a.shape, np.prod(reach) / max(a.size, 1)))
    assert gn.autograd.gradcheck(getattr(gn, op), gn_leaves([a, b]))


# --- one op, one place: every declaration carries its formula and its entry points ------


def _function_classes():
    """Every concrete Function subclass the op families declare."""
    from glassnet.autograd import Function

    seen, todo = [], list(Function.__subclasses__())
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        # concrete ops only: the shared bases (Elementwise, a family's private base) are
        # named for their subclasses
        if (cls.__module__.startswith("glassnet.ops.") and not cls.__name__.startswith("_")
                and not cls.__subclasses__()):
            seen.append(cls)
    return sorted(set(seen), key=lambda c: (c.__module__, c.__name__))


@pytest.mark.parametrize("cls", _function_classes(), ids=lambda c: f"{c.__module__}.{c.__name__}")
def test_every_function_declares_its_name_and_formula(cls):
    from glassnet.autograd import Function

    assert cls.name and cls.name != cls.__name__, f"{cls.__name__} declares no op name"
    has_local = cls.local is not Function.local
    assert has_local or cls.formula is not None, f"{cls.__name__} declares no explain formula"
    # A Function never reuses an nn Module's class name: tracebacks name the op.
    assert not hasattr(gn.nn, cls.__name__) or cls.__name__ in ("Identity",), cls.__name__


def test_registry_entry_points_are_installed():
    from glassnet.ops._registry import REGISTRY

    F = gn.nn.functional
    assert len(REGISTRY) > 100
    for name, e in REGISTRY.items():
        for m in e.methods + e.dunders:
            assert getattr(gn.Tensor, m) is e.func, f"Tensor.{m} is not {name}"
        if e.top:
            assert getattr(gn, name) is e.func, f"gn.{name} is not the registered op"
        if e.functional:
            assert getattr(F, name) is e.func, f"F.{name} is not the registered op"
        for name in e.inplace:
            assert callable(getattr(gn.Tensor, name)), f"Tensor.{name} missing"
        for cls in e.functions:
            assert cls.formula is not None or "local" in vars(cls) or any(
                "local" in vars(b) for b in cls.__mro__[1:-2]), f"{cls.__name__}: no formula"


def test_a_new_op_needs_only_its_declaration():
    """Registering an op (as a plug-in family would) gives it every entry point at once,
    and explain prints its declared formula."""
    from glassnet.autograd import Function
    from glassnet.ops._registry import REGISTRY, op

    class Cube(Function):
        name, formula = "cube_test", "3·{0}²"

        def forward(self, x):
            self.x = x
            return x**3

        def backward(self, gy):
            return gy * 3 * self.x**2

    @op(records=Cube)
    def cube_test(input):
        return Cube.apply(input)

    try:
        x = gn.tensor([2.0], requires_grad=True, name="x")
        y = x.cube_test()
        y.name = "y"
        assert y.item() == 8.0
        text = str(gn.explain.chain_rule(y, x, index=0))
        assert "3·x²" in text and "12" in text
    finally:
        del REGISTRY["cube_test"]
        delattr(gn.Tensor, "cube_test")
