"""EmbeddingBag, CTC loss, grid_sample/affine_grid, LP pooling and the adaptive softmax:
forward and backward against PyTorch in float64 on the same inputs, finite differences on
small sizes, and the hostile inputs (bad offsets and lengths, impossible alignments, empty
bags and targets) each with PyTorch's result or a clear error."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from conftest import assert_close, check_against_torch

RNG = np.random.default_rng(0)


def _int(torch, a):
    return torch.tensor(np.asarray(a), dtype=torch.long)


@pytest.fixture(params=["numpy", "numba"])
def kernel(request, monkeypatch):
    """Run the test with each kernel (the NumPy one, and numba's where installed)."""
    if request.param == "numba":
        pytest.importorskip("numba")
    monkeypatch.setenv("GLASSNET_KERNEL", request.param)
    return request.param


# --- EmbeddingBag -------------------------------------------------------------------------

_BAG_INPUT = np.array([1, 2, 4, 5, 4, 3, 2, 7, 4])
_BAG_CASES = [
    # (mode, offsets, padding_idx, include_last_offset, per_sample_weights)
    (mode, off, pad, ilo, psw)
    for mode in ("sum", "mean", "max")
    for off, ilo in (([0, 2, 2, 5], False), ([0, 2, 2, 5, 9], True), ([0], False))
    for pad in (None, 4)
    for psw in (False, True)
    if not (psw and mode != "sum")
]


@pytest.mark.parametrize("mode,offsets,padding_idx,ilo,psw", _BAG_CASES)
def test_embedding_bag_matches_torch(torch, kernel, mode, offsets, padding_idx, ilo, psw):
    W = RNG.standard_normal((8, 4))
    w = RNG.standard_normal(len(_BAG_INPUT))
    g = [gn.tensor(W, requires_grad=True)] + ([gn.tensor(w, requires_grad=True)] if psw else [])
    t = [torch.tensor(W, requires_grad=True)] + (
        [torch.tensor(w, requires_grad=True)] if psw else [])

    def gfn(W, w=None):
        return F.embedding_bag(gn.tensor(_BAG_INPUT), W, gn.tensor(offsets), mode=mode,
                               per_sample_weights=w, include_last_offset=ilo,
                               padding_idx=padding_idx)

    def tfn(W, w=None):
        return torch.nn.functional.embedding_bag(
            _int(torch, _BAG_INPUT), W, _int(torch, offsets), mode=mode, per_sample_weights=w,
            include_last_offset=ilo, padding_idx=padding_idx)

    out = check_against_torch(torch, gfn, tfn, g, t)
    if offsets == [0, 2, 2, 5]:
        assert np.all(out.data[1] == 0)  # the empty bag


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_2d_input_max_norm_and_freq(torch, kernel, mode):
    W = RNG.standard_normal((6, 3)) * 2
    idx = np.array([[0, 5, 5], [2, 2, 1], [3, 3, 3]])
    g, t = [gn.tensor(W, requires_grad=True)], [torch.tensor(W, requires_grad=True)]
    check_against_torch(
        torch, lambda W: F.embedding_bag(gn.tensor(idx), W, mode=mode),
        lambda W: torch.nn.functional.embedding_bag(_int(torch, idx), W, mode=mode), g, t)
    if mode != "max":
        # scale_grad_by_freq: each row's gradient divided by how often the row occurs in
        # the batch, as F.embedding does (PyTorch's CPU embedding_bag divides some rows by
        # another row's count: [3,3,3,5,5,0] gives row 5 a gradient of 2/3, not 1)
        for a in g + t:
            a.grad = None
        reduce = "sum" if mode == "sum" else "mean"
        check_against_torch(
            torch, lambda W: F.embedding_bag(gn.tensor(idx), W, mode=mode,
                                             scale_grad_by_freq=True),
            lambda W: getattr(torch.nn.functional.embedding(
                _int(torch, idx), W, scale_grad_by_freq=True), reduce)(dim=1), g, t)
    # max_norm rescales the looked-up rows in place, as PyTorch does
    gw, tw = gn.tensor(W.copy()), torch.tensor(W.copy())
    out = F.embedding_bag(gn.tensor(idx), gw, mode=mode, max_norm=1.0)
    with torch.no_grad():
        tout = torch.nn.functional.embedding_bag(_int(torch, idx), tw, mode=mode, max_norm=1.0)
    assert_close(out.data, tout)
    assert_close(gw.data, tw)


def test_embedding_bag_module_matches_torch(torch, kernel):
    tm = torch.nn.EmbeddingBag(10, 3, mode="sum", padding_idx=0).double()
    m = gn.nn.EmbeddingBag(10, 3, mode="sum", padding_idx=0, dtype=np.float64)
    assert repr(m) == repr(tm) == "EmbeddingBag(10, 3, mode='sum', padding_idx=0)"
    assert np.all(m.weight.data[0] == 0)
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    idx, off = np.array([0, 3, 9, 0, 0, 2]), np.array([0, 3, 4])
    psw = RNG.standard_normal(6)
    out = m(gn.tensor(idx), gn.tensor(off), gn.tensor(psw))
    tout = tm(_int(torch, idx), _int(torch, off), torch.tensor(psw))
    assert_close(out.data, tout)
    out.sum().backward()
    tout.sum().backward()
    assert_close(m.weight.grad.data, tm.weight.grad)
    assert np.all(out.data[1] == 0)  # a bag holding only padding entries

    pre = RNG.standard_normal((5, 2))
    fm = gn.nn.EmbeddingBag.from_pretrained(pre, mode="max")
    tfm = torch.nn.EmbeddingBag.from_pretrained(torch.tensor(pre), mode="max")
    assert not fm.weight.requires_grad and repr(fm) == repr(tfm)
    assert_close(fm(gn.tensor([[1, 4], [0, 0]])).data, tfm(_int(torch, [[1, 4], [0, 0]])))
    assert gn.nn.EmbeddingBag.from_pretrained(pre, freeze=False).weight.requires_grad


def test_embedding_bag_gradcheck(kernel):
    W = gn.tensor(RNG.standard_normal((5, 3)), requires_grad=True)
    w = gn.tensor(RNG.standard_normal(6), requires_grad=True)
    idx, off = gn.tensor([0, 3, 3, 1, 4, 2]), gn.tensor([0, 2, 2])
    assert gn.autograd.gradcheck(
        lambda W, w: F.embedding_bag(idx, W, off, mode="sum", per_sample_weights=w), [W, w])
    for mode in ("mean", "max"):
        assert gn.autograd.gradcheck(
            lambda W, mode=mode: F.embedding_bag(idx, W, off, mode=mode), [W])


def test_embedding_bag_bad_inputs(kernel):
    W = gn.randn(6, 2)
    bag = gn.nn.EmbeddingBag(6, 2)
    with pytest.raises(ValueError, match=r"offsets\[0\] has to be 0"):
        F.embedding_bag(gn.tensor([1, 2, 3]), W, gn.tensor([1, 2]))
    with pytest.raises(ValueError, match="non-decreasing"):
        F.embedding_bag(gn.tensor([1, 2, 3, 4]), W, gn.tensor([0, 3, 2]))
    with pytest.raises(ValueError, match="greater than the input's length 3"):
        F.embedding_bag(gn.tensor([1, 2, 3]), W, gn.tensor([0, 5]))
    with pytest.raises(IndexError, match=r"EmbeddingBag\(6, 2, mode='mean'\).*index 9 is out "
                                         r"of range"):
        bag(gn.tensor([1, 9]), gn.tensor([0]))
    with pytest.raises(IndexError, match="index -1"):
        bag(gn.tensor([[1, -1]]))
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        F.embedding_bag(gn.tensor([1, 2]), W, gn.tensor([0]), mode="mean",
                        per_sample_weights=gn.ones(2))
    with pytest.raises(ValueError, match="offsets has to be None"):
        bag(gn.tensor([[1, 2]]), gn.tensor([0]))
    with pytest.raises(ValueError, match="offsets has to be a 1-D tensor"):
        bag(gn.tensor([1, 2]))
    with pytest.raises(TypeError, match="integers"):
        bag(gn.tensor([1.0, 2.0]), gn.tensor([0]))
    with pytest.raises(ValueError, match="per_sample_weights has shape"):
        F.embedding_bag(gn.tensor([1, 2]), W, gn.tensor([0]), mode="sum",
                        per_sample_weights=gn.ones(3))
    with pytest.raises(ValueError, match="mode"):
        gn.nn.EmbeddingBag(6, 2, mode="median")
    # (B, 0) input: B empty bags
    out = F.embedding_bag(gn.zeros(3, 0, dtype=gn.int64), W, mode="max")
    assert out.shape == (3, 2) and np.all(out.data == 0)
    # an empty input: every bag is empty, every row zero
    out = bag(gn.tensor(np.zeros(0, np.int64)), gn.tensor([0, 0]))
    assert out.shape == (2, 2) and np.all(out.data == 0)


# --- CTC loss -----------------------------------------------------------------------------

_T, _N, _C = 8, 6, 5
_TARGETS = np.array([[1, 1, 2, 3], [2, 2, 2, 2], [1, 2, 3, 4], [0, 0, 0, 0], [4, 3, 3, 1],
                     [1, 2, 1, 2]])
_TLEN = np.array([4, 3, 4, 0, 2, 4])
_ILEN = np.array([8, 6, 8, 3, 2, 3])  # the last: 4 labels in 3 steps is impossible (inf)


def _ctc_pair(torch):
    x = RNG.standard_normal((_T, _N, _C))
    g, t = [gn.tensor(x, requires_grad=True)], [torch.tensor(x, requires_grad=True)]
    return g, t


@pytest.mark.parametrize("reduction", ["none", "mean", "sum"])
@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_matches_torch(torch, kernel, reduction, zero_infinity):
    g, t = _ctc_pair(torch)
    il, tl = (_ILEN, _TLEN) if zero_infinity else (_ILEN[:5], _TLEN[:5])
    n = len(il)

    def gfn(x):
        lp = x[:, :n].log_softmax(dim=2)
        return F.ctc_loss(lp, gn.tensor(_TARGETS[:n]), gn.tensor(il), gn.tensor(tl),
                          reduction=reduction, zero_infinity=zero_infinity)

    def tfn(x):
        lp = x[:, :n].log_softmax(dim=2)
        return torch.nn.functional.ctc_loss(lp, _int(torch, _TARGETS[:n]), _int(torch, il),
                                            _int(torch, tl), reduction=reduction,
                                            zero_infinity=zero_infinity)

    out = check_against_torch(torch, gfn, tfn, g, t, rtol=1e-9, atol=1e-11)
    if reduction == "none" and zero_infinity:
        assert out.data[5] == 0  # the impossible alignment


def test_ctc_gradient_on_raw_log_probs_is_torchs(torch, kernel):
    """PyTorch returns exp(lp) - posterior for d loss / d log_probs: so does glassnet, on
    un-normalised inputs too; an infinite loss gives NaN gradients, as PyTorch's."""
    g, t = _ctc_pair(torch)
    out = F.ctc_loss(g[0], gn.tensor(_TARGETS), gn.tensor(_ILEN), gn.tensor(_TLEN),
                     reduction="none")
    tout = torch.nn.functional.ctc_loss(t[0], _int(torch, _TARGETS), _int(torch, _ILEN),
                                        _int(torch, _TLEN), reduction="none")
    assert_close(out.data, tout, rtol=1e-10)
    assert np.isinf(out.data[5])
    out.sum().backward()
    tout.sum().backward()
    np.testing.assert_allclose(g[0].grad.data, t[0].grad.numpy(), rtol=1e-9, atol=1e-11)


def test_ctc_numba_and_numpy_agree(monkeypatch):
    pytest.importorskip("numba")
    x = gn.tensor(RNG.standard_normal((30, 4, 7))).log_softmax(dim=2)
    tg = gn.tensor(RNG.integers(1, 7, (4, 10)))
    il, tl = gn.tensor([30, 25, 12, 30]), gn.tensor([10, 7, 5, 0])
    res = {}
    for kernel in ("numpy", "numba"):
        monkeypatch.setenv("GLASSNET_KERNEL", kernel)
        lp = gn.tensor(x.data, requires_grad=True)
        loss = F.ctc_loss(lp, tg, il, tl, reduction="sum")
        loss.backward()
        res[kernel] = (loss.item(), lp.grad.data)
    assert res["numpy"][0] == pytest.approx(res["numba"][0], rel=1e-12)
    np.testing.assert_allclose(res["numpy"][1], res["numba"][1], rtol=1e-9, atol=1e-12)


def test_ctc_target_forms_and_unbatched(torch, kernel):
    x = RNG.standard_normal((_T, 3, _C))
    lp, tlp = gn.tensor(x).log_softmax(dim=2), torch.tensor(x).log_softmax(2)
    tg, tl, il = _TARGETS[:3], (4, 3, 4), (8, 6, 7)
    flat = np.concatenate([tg[i, :tl[i]] for i in range(3)])
    ref = torch.nn.functional.ctc_loss(tlp, _int(torch, tg), il, tl, reduction="none")
    # padded and concatenated targets, lengths as tuples or tensors: the same losses
    assert_close(F.ctc_loss(lp, gn.tensor(tg), il, tl, reduction="none").data, ref)
    assert_close(F.ctc_loss(lp, gn.tensor(flat), gn.tensor(il), gn.tensor(tl),
                            reduction="none").data, ref)
    assert_close(torch.nn.functional.ctc_loss(tlp, _int(torch, flat), il, tl,
                                              reduction="none"), ref)
    # unbatched (T, C) with (S,) targets and 0-D lengths
    out = F.ctc_loss(lp[:, 1], gn.tensor(tg[1, :3]), gn.tensor(6), gn.tensor(3),
                     reduction="none")
    tout = torch.nn.functional.ctc_loss(tlp[:, 1], _int(torch, tg[1, :3]), torch.tensor(6),
                                        torch.tensor(3), reduction="none")
    assert out.shape == () and tuple(tout.shape) == ()
    assert_close(out.data, tout)
    # the module, with a non-zero blank
    crit, tcrit = gn.nn.CTCLoss(blank=4), torch.nn.CTCLoss(blank=4)
    assert repr(crit) == "CTCLoss()"
    tg0 = np.array([[0, 1, 1], [2, 3, 0], [1, 0, 2]])
    assert_close(crit(lp, gn.tensor(tg0), il, (3, 2, 1)).data,
                 tcrit(tlp, _int(torch, tg0), il, (3, 2, 1)))


def test_ctc_known_answers(kernel):
    """Hand-computable cases: the uniform distribution over C classes gives every path the
    probability C^-T, so the loss is T log C - log(number of alignments)."""
    T, C = 3, 3
    lp = gn.full((T, 1, C), -np.log(C), dtype=gn.float64)

    def loss(tg, tl, il=T):
        return F.ctc_loss(lp, gn.tensor([tg]), (il,), (tl,), reduction="sum").item()

    # empty target: only the all-blank path
    assert loss([0, 0], 0) == pytest.approx(T * np.log(C))
    # "1 1" needs a blank between: in 3 steps only 1-blank-1, one path
    assert loss([1, 1], 2) == pytest.approx(T * np.log(C))
    # "1 1" in 2 steps: impossible
    assert loss([1, 1], 2, il=2) == np.inf
    # "1 2" in 3 steps: 11 2, 1 22, _1 2, 1_ 2, 1 2_ ... = 5 alignments
    assert loss([1, 2], 2) == pytest.approx(T * np.log(C) - np.log(5))
    # no steps at all: an empty target costs nothing, any other is impossible
    assert loss([0, 0], 0, il=0) == 0 and loss([1, 0], 1, il=0) == np.inf


def test_ctc_empty_batch_and_no_steps(kernel):
    lp = gn.zeros(4, 0, 3, requires_grad=True)
    none = F.ctc_loss(lp, gn.zeros(0, 2, dtype=gn.int64), (), (), reduction="none")
    assert none.shape == (0,)
    F.ctc_loss(lp, gn.zeros(0, 2, dtype=gn.int64), (), (), reduction="sum").backward()
    assert lp.grad.shape == (4, 0, 3)
    # T = 0 (PyTorch refuses an empty log_probs): the empty target is certain, others not
    out = F.ctc_loss(gn.zeros(0, 2, 3), gn.tensor([[1], [1]]), (0, 0), (0, 1),
                     reduction="none")
    assert out.tolist() == [0.0, np.inf]
    # only the blank class: the loss is -Σ lp[t, blank]
    lp1 = gn.full((4, 1, 1), -0.5, dtype=gn.float64)
    assert F.ctc_loss(lp1, gn.zeros(1, 0, dtype=gn.int64), (4,), (0,)).item() == 2.0


def test_ctc_gradcheck(kernel):
    logits = gn.tensor(RNG.standard_normal((5, 2, 4)), requires_grad=True)
    tg, il, tl = gn.tensor([[1, 1], [2, 3]]), gn.tensor([5, 4]), gn.tensor([2, 2])
    assert gn.autograd.gradcheck(
        lambda z: F.ctc_loss(z.log_softmax(dim=2), tg, il, tl, reduction="none"), [logits])


def test_ctc_bad_inputs():
    lp = gn.randn(5, 2, 4).log_softmax(dim=2)
    tg = gn.tensor([[1, 2, 3], [1, 1, 0]])
    with pytest.raises(ValueError, match="input_lengths must be at most T = 5.*got 6"):
        F.ctc_loss(lp, tg, (6, 5), (3, 2))
    with pytest.raises(ValueError, match=r"CTCLoss\(\).*blank must be in the label range"):
        gn.nn.CTCLoss(blank=4)(lp, tg, (5, 5), (3, 2))
    with pytest.raises(ValueError, match="blank"):
        F.ctc_loss(lp, tg, (5, 5), (3, 2), blank=-1)
    with pytest.raises(ValueError, match="target_lengths .4. must be at most"):
        F.ctc_loss(lp, tg, (5, 5), (4, 2))
    with pytest.raises(IndexError, match="target label 7 is out of range for C = 4"):
        F.ctc_loss(lp, gn.tensor([[1, 7, 3], [1, 1, 0]]), (5, 5), (3, 2))
    with pytest.raises(ValueError, match="one entry per sequence"):
        F.ctc_loss(lp, tg, (5, 5, 5), (3, 2))
    with pytest.raises(ValueError, match="add up to 5"):
        F.ctc_loss(lp, gn.tensor([1, 2, 3]), (5, 5), (3, 2))
    with pytest.raises(ValueError, match="non-negative"):
        F.ctc_loss(lp, tg, (5, -1), (3, 2))
    with pytest.raises(ValueError, match=r"\(T, N, C\)"):
        F.ctc_loss(gn.randn(5), tg, (5,), (3,))
    with pytest.raises(ValueError, match="reduction"):
        F.ctc_loss(lp, tg, (5, 5), (3, 2), reduction="avg")


# --- grid_sample / affine_grid ------------------------------------------------------------


@pytest.mark.parametrize("mode", ["bilinear", "nearest"])
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_matches_torch(torch, kernel, mode, padding_mode, align_corners):
    x = RNG.standard_normal((2, 3, 5, 4))
    grid = RNG.uniform(-2.5, 2.5, (2, 6, 3, 2))  # many points outside, folded or padded
    grid[0, 0, 0] = [1.0, -1.0]                   # corners exactly
    g = [gn.tensor(x, requires_grad=True), gn.tensor(grid, requires_grad=True)]
    t = [torch.tensor(x, requires_grad=True), torch.tensor(grid, requires_grad=True)]
    check_against_torch(
        torch, lambda a, b: F.grid_sample(a, b, mode, padding_mode, align_corners),
        lambda a, b: torch.nn.functional.grid_sample(a, b, mode, padding_mode, align_corners),
        g, t)


@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid_and_spatial_transformer_match_torch(torch, kernel, align_corners):
    x = RNG.standard_normal((2, 2, 6, 5))
    # grid points off the pixel lines, where bilinear sampling has a kink
    theta = np.array([[[0.9, 0.2, 0.1], [-0.1, 1.1, 0.05]],
                      [[1.2, -0.3, -0.2], [0.4, 0.8, 0.3]]]) + 0.0123
    g = [gn.tensor(theta, requires_grad=True), gn.tensor(x, requires_grad=True)]
    t = [torch.tensor(theta, requires_grad=True), torch.tensor(x, requires_grad=True)]
    check_against_torch(
        torch, lambda th, _: F.affine_grid(th, (2, 2, 4, 3), align_corners),
        lambda th, _: torch.nn.functional.affine_grid(th, (2, 2, 4, 3), align_corners),
        g[:1] + [gn.tensor(x)], t[:1] + [torch.tensor(x)])
    for a in g + t:
        a.grad = None

    def gfn(th, img):
        return F.grid_sample(img, F.affine_grid(th, (2, 2, 4, 3), align_corners),
                             align_corners=align_corners)

    def tfn(th, img):
        return torch.nn.functional.grid_sample(
            img, torch.nn.functional.affine_grid(th, (2, 2, 4, 3), align_corners),
            align_corners=align_corners)

    check_against_torch(torch, gfn, tfn, g, t)


def test_grid_sample_gradcheck_and_identity(kernel):
    x = gn.tensor(RNG.standard_normal((1, 2, 4, 3)), requires_grad=True)
    # away from pixel boundaries, where bilinear sampling bends
    grid = gn.tensor(RNG.uniform(-0.9, 0.9, (1, 3, 2, 2)) * 0.97 + 0.013, requires_grad=True)
    for pm in ("zeros", "border", "reflection"):
        assert gn.autograd.gradcheck(lambda a, b, pm=pm: F.grid_sample(a, b, padding_mode=pm),
                                     [x, grid])
    # the identity map reads every pixel back exactly
    eye = gn.tensor([[[1.0, 0, 0], [0, 1.0, 0]]], dtype=gn.float64)
    for ac in (False, True):
        same = F.grid_sample(x, F.affine_grid(eye, (1, 2, 4, 3), ac), align_corners=ac)
        np.testing.assert_allclose(same.data, x.data, atol=1e-12)


def test_grid_sample_points_at_infinity_and_nan(torch, kernel):
    """±inf and NaN grid points read what PyTorch reads: NaN for a bilinear zeros read,
    0 for nearest, the clipped edge for 'border', pixel 0 where a reflection or a clip
    meets NaN."""
    grid = np.full((1, 2, 2, 2), np.inf)
    grid[0, 0, 0] = [-np.inf, 0.2]
    grid[0, 1, 1] = [np.nan, 0.0]
    x = np.arange(12.0).reshape(1, 1, 3, 4)
    for pm in ("zeros", "border", "reflection"):
        for mode in ("bilinear", "nearest"):
            out = F.grid_sample(gn.tensor(x), gn.tensor(grid), mode, pm)
            ref = torch.nn.functional.grid_sample(torch.tensor(x), torch.tensor(grid), mode,
                                                  pm, align_corners=False)
            np.testing.assert_allclose(out.data, ref.numpy(), equal_nan=True,
                                       err_msg=f"{mode} {pm}")
    empty = F.grid_sample(gn.tensor(x), gn.zeros(1, 0, 3, 2, dtype=gn.float64))
    assert empty.shape == (1, 1, 0, 3)


def test_grid_sample_bad_inputs():
    x = gn.randn(1, 2, 4, 4)
    with pytest.raises(ValueError, match=r"grid must be \(N, Ho, Wo, 2\)"):
        F.grid_sample(x, gn.randn(1, 3, 3, 3))
    with pytest.raises(ValueError, match="same batch size"):
        F.grid_sample(x, gn.randn(2, 3, 3, 2))
    with pytest.raises(ValueError, match="4-D input"):
        F.grid_sample(gn.randn(2, 4, 4), gn.randn(2, 3, 3, 2))
    with pytest.raises(ValueError, match="mode"):
        F.grid_sample(x, gn.randn(1, 3, 3, 2), mode="bicubic")
    with pytest.raises(ValueError, match="padding_mode"):
        F.grid_sample(x, gn.randn(1, 3, 3, 2), padding_mode="circular")
    with pytest.raises(TypeError, match="same dtype"):
        F.grid_sample(x, gn.randn(1, 3, 3, 2, dtype=gn.float64))
    with pytest.raises(ValueError, match=r"theta of shape \(1, 2, 3\)"):
        F.affine_grid(gn.randn(1, 3, 3), (1, 2, 4, 4))


# --- LP pooling ---------------------------------------------------------------------------


@pytest.mark.parametrize("p", [1, 2, 3.5])
@pytest.mark.parametrize("ceil_mode", [False, True])
def test_lp_pool_matches_torch(torch, p, ceil_mode):
    x = np.abs(RNG.standard_normal((2, 3, 8, 7))) + 0.1
    g, t = [gn.tensor(x, requires_grad=True)], [torch.tensor(x, requires_grad=True)]
    out = check_against_torch(
        torch, lambda a: F.lp_pool2d(a, p, (3, 2), stride=(2, 2), ceil_mode=ceil_mode),
        lambda a: torch.nn.functional.lp_pool2d(a, p, (3, 2), stride=(2, 2),
                                                ceil_mode=ceil_mode), g, t)
    assert out.shape == ((2, 3, 4, 4) if ceil_mode else (2, 3, 3, 3))
    for a in g + t:
        a.grad = None
    check_against_torch(
        torch, lambda a: gn.nn.LPPool1d(p, 3, ceil_mode=ceil_mode)(a[0]),
        lambda a: torch.nn.LPPool1d(p, 3, ceil_mode=ceil_mode)(a[0]), g, t)


def test_lp_pool_modules_and_signs(torch):
    assert repr(gn.nn.LPPool2d(2, 3)) == repr(torch.nn.LPPool2d(2, 3))
    assert repr(gn.nn.LPPool1d(1.5, 2, 1, True)) == repr(torch.nn.LPPool1d(1.5, 2, 1, True))
    # odd p on signed inputs: a negative window sum keeps its sign (its root is NaN)
    x = RNG.standard_normal((1, 2, 6))
    out = F.lp_pool1d(gn.tensor(x), 3, 2)
    tout = torch.nn.functional.lp_pool1d(torch.tensor(x), 3, 2)
    np.testing.assert_allclose(out.data, tout.numpy(), equal_nan=True)
    xs = gn.tensor(np.abs(x) + 0.2, requires_grad=True)
    assert gn.autograd.gradcheck(lambda a: F.lp_pool1d(a, 2, 2), [xs])
    v = np.abs(RNG.standard_normal((1, 2, 5, 4, 5))) + 0.1
    check_against_torch(
        torch, lambda a: F.lp_pool3d(a, 2, (2, 2, 3), ceil_mode=True),
        lambda a: torch.nn.functional.lp_pool3d(a, 2, (2, 2, 3), ceil_mode=True),
        [gn.tensor(v, requires_grad=True)], [torch.tensor(v, requires_grad=True)])
    with pytest.raises(ValueError, match="norm_type"):
        F.lp_pool2d(gn.randn(1, 1, 4, 4), 0, 2)
    with pytest.raises(ValueError, match=r"LPPool2d\(.*kernel_size"):
        gn.nn.LPPool2d(2, (2, 2, 2))(gn.randn(1, 1, 4, 4))


# --- adaptive softmax ---------------------------------------------------------------------


def test_adaptive_log_softmax_matches_torch(torch):
    torch.manual_seed(0)
    tm = torch.nn.AdaptiveLogSoftmaxWithLoss(8, 12, [3, 7], div_value=2.0,
                                             head_bias=True).double()
    m = gn.nn.AdaptiveLogSoftmaxWithLoss(8, 12, [3, 7], div_value=2.0, head_bias=True,
                                         dtype=np.float64)
    assert list(m.state_dict()) == list(tm.state_dict())
    m.load_state_dict({k: v.detach().numpy() for k, v in tm.state_dict().items()})
    x, y = RNG.standard_normal((7, 8)), np.array([0, 5, 11, 2, 8, 4, 2])
    gx, tx = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, tout = m(gx, gn.tensor(y)), tm(tx, _int(torch, y))
    assert out._fields == ("output", "loss")
    assert_close(out.output.data, tout.output)
    assert_close(out.loss.data, tout.loss)
    out.loss.backward()
    tout.loss.backward()
    assert_close(gx.grad.data, tx.grad)
    for (name, p), tp in zip(m.named_parameters(), tm.parameters()):
        assert_close(p.grad.data, tp.grad, name)
    assert_close(m.log_prob(gx).data, tm.log_prob(tx))
    assert np.array_equal(m.predict(gx).data, tm.predict(tx).numpy())
    one = m(gx[1], gn.tensor(5))
    assert one.output.shape == () and one.output.item() == pytest.approx(out.output.data[1])
    with pytest.raises(IndexError, match=r"target values should be in \[0, 11\]"):
        m(gx, gn.tensor([0, 1, 2, 3, 4, 5, 12]))
    with pytest.raises(ValueError, match="cutoffs"):
        gn.nn.AdaptiveLogSoftmaxWithLoss(8, 12, [7, 3])
    with pytest.raises(ValueError, match="in_features=8"):
        m.log_prob(gn.randn(2, 5))
