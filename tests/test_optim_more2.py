"""Rprop, Adafactor, SparseAdam, MultiplicativeLR and ChainedScheduler against PyTorch: the
same float64 start and hyper-parameters give the same trajectory (1e-12 relative), the
same state, state_dict round trips continue it exactly, and bad arguments fail like
PyTorch's."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

import glassnet as gn
from conftest import assert_close
from glassnet import optim
from glassnet.optim import lr_scheduler

torch = pytest.importorskip("torch")

STEPS = 30
# The parameters are O(1); an element crossing zero sees the engines' last-bit gradient
# differences grow over 30 steps to ~1e-13 (absolute), hence the absolute tolerance.
RTOL, ATOL = 1e-12, 1e-12


def _problem(seed=0):
    """Parameters of every rank Adafactor treats differently: a 0-D scale, a vector, two
    matrices (factored) and a stack of matrices (factored over the last two dims)."""
    rng = np.random.default_rng(seed)
    return {
        "W": rng.standard_normal((4, 3)), "b": rng.standard_normal(4),
        "V": rng.standard_normal((2, 4)), "T": rng.standard_normal((2, 3, 3)) * 0.5,
        "s": np.array(0.7),
        "x": rng.standard_normal((8, 3)), "y": rng.standard_normal((8, 2)),
        "A": rng.standard_normal((2, 3, 3)),
    }


def _loss(P, x, y, A):
    h = (x @ P["W"].T + P["b"]).tanh()
    fit = ((P["s"] * (h @ P["V"].T) - y) ** 2).mean()
    return fit + ((P["T"] @ P["T"] - A) ** 2).mean()


def _run(lib, make_opt, data, steps=STEPS, groups=False, opt_sd=None, start=None):
    """Parameters after each of ``steps`` steps (and the optimizer and parameters)."""
    src = start if start is not None else {k: data[k] for k in ("W", "b", "V", "T", "s")}
    if lib is gn:
        P = {k: gn.tensor(v, dtype=np.float64, requires_grad=True) for k, v in src.items()}
        x, y, A = (gn.tensor(data[k], dtype=np.float64) for k in ("x", "y", "A"))
        mod = optim
    else:
        P = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True)
             for k, v in src.items()}
        x, y, A = (torch.tensor(data[k]) for k in ("x", "y", "A"))
        mod = torch.optim
    params = ([{"params": [P["W"], P["b"], P["T"]]},
               {"params": [P["V"], P["s"]], "lr": 0.03}] if groups else list(P.values()))
    opt = make_opt(mod, params)
    if opt_sd is not None:
        opt.load_state_dict(opt_sd)
    trail = []
    for _ in range(steps):
        opt.zero_grad()
        _loss(P, x, y, A).backward()
        opt.step()
        trail.append([np.array(p.detach().numpy()) for p in P.values()])
    return trail, opt, P


OPTIMIZERS = [
    pytest.param(lambda m, p: m.Rprop(p), id="rprop"),
    pytest.param(lambda m, p: m.Rprop(p, lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2),
                                      maximize=True), id="rprop_bounds_maximize"),
    pytest.param(lambda m, p: m.Rprop(p, lr=0.1, etas=(0.6, 1.1), step_sizes=(0.0, 1.0)),
                 id="rprop_etas"),
    pytest.param(lambda m, p: m.Adafactor(p), id="adafactor"),
    pytest.param(lambda m, p: m.Adafactor(p, lr=0.05, beta2_decay=-0.5, eps=(1e-20, 1e-2),
                                          d=1.5, weight_decay=0.1), id="adafactor_wd_eps_d"),
    pytest.param(lambda m, p: m.Adafactor(p, lr=0.05, weight_decay=0.05, maximize=True),
                 id="adafactor_maximize"),
    pytest.param(lambda m, p: m.Adafactor(p, lr=0.1, beta2_decay=-0.3, eps=(1e-3, 0.0)),
                 id="adafactor_slow_decay_eps"),
]


@pytest.mark.parametrize("make_opt", OPTIMIZERS)
@pytest.mark.parametrize("groups", [False, True], ids=["one_group", "two_groups"])
def test_trajectory_and_state_match_torch(make_opt, groups):
    data = _problem()
    ours, opt, _ = _run(gn, make_opt, data, groups=groups)
    ref, ropt, _ = _run(torch, make_opt, data, groups=groups)
    moved = False
    for step, (a, b) in enumerate(zip(ours, ref)):
        for pa, pb in zip(a, b):
            assert_close(pa, pb, f"step {step + 1}", rtol=RTOL, atol=ATOL)
    for pa, p0 in zip(ours[-1], (data[k] for k in ("W", "b", "V", "T", "s"))):
        moved = moved or not np.allclose(pa, p0)
    assert moved
    # The state: the same names, shapes and values as PyTorch's, step counts as ints
    # (Rprop's ``prev`` is the last gradient, whose last bits differ between the engines).
    a, b = opt.state_dict()["state"], ropt.state_dict()["state"]
    assert sorted(a) == sorted(b) == [0, 1, 2, 3, 4]
    for i in a:
        assert set(a[i]) == set(b[i]), i
        for k, v in a[i].items():
            assert_close(v, b[i][k], f"state {i} {k}", rtol=1e-10, atol=1e-12)
    assert a[0]["step"] == STEPS and isinstance(a[0]["step"], int)


@pytest.mark.parametrize("make_opt", OPTIMIZERS[1::2] + [
    pytest.param(lambda m, p: m.SparseAdam(p, lr=0.02, maximize=True), id="sparse_adam")])
def test_state_dict_round_trip_continues_identically(make_opt):
    data = _problem(1)
    full, _, _ = _run(gn, make_opt, data, steps=8, groups=True)
    _, opt, P = _run(gn, make_opt, data, steps=4, groups=True)
    sd = opt.state_dict()
    saved = {"state": {str(k): v for k, v in sd["state"].items()},  # as if from JSON
             "param_groups": json.loads(json.dumps(sd["param_groups"]))}
    for entry in sd["state"].values():
        assert all(isinstance(v, (np.ndarray, int, float)) for v in entry.values())
    rest, opt2, _ = _run(gn, make_opt, data, steps=4, groups=True, opt_sd=saved,
                         start={k: v.data.copy() for k, v in P.items()})
    assert opt2.param_groups[1]["lr"] == 0.03
    for got, want in zip(rest, full[4:]):
        for pa, pb in zip(got, want):
            assert np.array_equal(pa, pb)


def test_state_of_another_optimizer_is_refused():
    p = [gn.zeros(2, 3, requires_grad=True)]
    with pytest.raises(ValueError, match="saved by Adafactor, not Rprop"):
        optim.Rprop(p).load_state_dict(optim.Adafactor(p).state_dict())
    with pytest.raises(ValueError, match="saved by Rprop, not Adafactor"):
        optim.Adafactor(p).load_state_dict(optim.Rprop(p).state_dict())
    with pytest.raises(ValueError, match="saved by SparseAdam, not Adam"):
        optim.Adam(p).load_state_dict(optim.SparseAdam(p).state_dict())
    with pytest.raises(ValueError, match="saved by Adam or AdamW, not SparseAdam"):
        optim.SparseAdam(p).load_state_dict(optim.Adam(p).state_dict())


def test_adafactor_factored_state_shapes_are_checked_on_load():
    p = gn.tensor(np.ones((2, 4, 3)), requires_grad=True)
    opt = optim.Adafactor([p])
    p.grad = gn.tensor(np.full((2, 4, 3), 0.5))
    opt.step()
    sd = opt.state_dict()
    assert sd["state"][0]["row_var"].shape == (2, 4, 1)
    assert sd["state"][0]["col_var"].shape == (2, 1, 3)
    optim.Adafactor([p]).load_state_dict(sd)
    sd["state"][0]["row_var"] = np.zeros((2, 4, 3))
    with pytest.raises(ValueError, match=r"'row_var' of parameter 0 has shape \(2, 4, 3\), "
                                         r"expected \(2, 4, 1\)"):
        optim.Adafactor([p]).load_state_dict(sd)


# --- hostile inputs --------------------------------------------------------------------------

BAD = [
    pytest.param(lambda m, p: m.Rprop(p, lr=-1), "Invalid learning rate", id="rprop_lr"),
    pytest.param(lambda m, p: m.Rprop(p, etas=(1.0, 1.2)), "Invalid eta values",
                 id="rprop_etaminus_1"),
    pytest.param(lambda m, p: m.Rprop(p, etas=(0.5, 1.0)), "Invalid eta values",
                 id="rprop_etaplus_1"),
    pytest.param(lambda m, p: m.Rprop(p, etas=(0.0, 1.2)), "Invalid eta values",
                 id="rprop_etaminus_0"),
    pytest.param(lambda m, p: m.Rprop(p, etas=(1.5, 0.5)), "Invalid eta values",
                 id="rprop_etas_swapped"),
    pytest.param(lambda m, p: m.Adafactor(p, lr=-0.1), "Learning rate|learning rate",
                 id="adafactor_lr"),
    pytest.param(lambda m, p: m.Adafactor(p, beta2_decay=0.1), "beta2_decay should be <= 0",
                 id="adafactor_beta2_decay"),
    pytest.param(lambda m, p: m.Adafactor(p, eps=(-1.0, 1e-3)), "epsilon1",
                 id="adafactor_eps1"),
    pytest.param(lambda m, p: m.Adafactor(p, eps=(None, -1.0)), "epsilon2",
                 id="adafactor_eps2"),
    pytest.param(lambda m, p: m.Adafactor(p, d=0.5), "Clipping threshold d", id="adafactor_d"),
    pytest.param(lambda m, p: m.Adafactor(p, weight_decay=-1), "weight_decay",
                 id="adafactor_wd"),
    pytest.param(lambda m, p: m.SparseAdam(p, lr=0.0), "Invalid learning rate",
                 id="sparse_adam_lr_0"),
    pytest.param(lambda m, p: m.SparseAdam(p, eps=0.0), "Invalid epsilon", id="sparse_adam_eps"),
    pytest.param(lambda m, p: m.SparseAdam(p, betas=(1.0, 0.999)), "beta parameter at index 0",
                 id="sparse_adam_beta1"),
    pytest.param(lambda m, p: m.SparseAdam(p, betas=(0.9, -0.1)), "beta parameter at index 1",
                 id="sparse_adam_beta2"),
]


@pytest.mark.parametrize("call, match", BAD)
def test_bad_arguments_fail_like_torch(call, match):
    with pytest.raises(ValueError, match=match):
        call(optim, [gn.zeros(2, requires_grad=True)])
    with pytest.raises(ValueError):
        call(torch.optim, [torch.zeros(2, requires_grad=True)])


def test_bad_arguments_beyond_torch():
    p = [gn.zeros(2, requires_grad=True)]
    # PyTorch takes these and pins every step size to the maximum (or lets one go < 0).
    with pytest.raises(ValueError, match="Invalid step_sizes: 1.0, 0.1"):
        optim.Rprop(p, step_sizes=(1.0, 0.1))
    with pytest.raises(ValueError, match="Invalid step_sizes"):
        optim.Rprop(p, step_sizes=(-1.0, 1.0))
    with pytest.raises(ValueError, match=r"Invalid etas: \(0.5,\)"):
        optim.Rprop(p, etas=(0.5,))
    with pytest.raises(TypeError, match="must be a number"):
        optim.Rprop(p, etas=("0.5", 1.2))
    with pytest.raises(ValueError, match="Invalid eps"):
        optim.Adafactor(p, eps=1e-3)
    with pytest.raises(ValueError, match="Invalid eta values"):  # a group's own etas too
        optim.Rprop([{"params": p, "etas": (0.5, 0.9)}])


def test_empty_and_scalar_parameters():
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((3, 2))
    for shape in [(0,), (0, 3), (3, 0), (2, 0, 4)]:
        e = gn.zeros(*shape, dtype=gn.float64, requires_grad=True)
        w = gn.tensor(w0, requires_grad=True)
        te = torch.zeros(shape, dtype=torch.float64, requires_grad=True)
        tw = torch.tensor(w0, requires_grad=True)
        # Rprop keeps the empty parameter (with empty state), as PyTorch does. Adafactor
        # (PyTorch divides by zero there) counts its step and leaves it alone.
        opt, ropt = optim.Rprop([w, e]), torch.optim.Rprop([tw, te])
        aopt = optim.Adafactor([e])
        for _ in range(4):
            g = rng.standard_normal((3, 2))
            w.grad, tw.grad = gn.tensor(g), torch.tensor(g)
            e.grad = gn.zeros(*shape, dtype=gn.float64)
            te.grad = torch.zeros(shape, dtype=torch.float64)
            opt.step()
            ropt.step()
            aopt.step()
        assert_close(w.data, tw.detach(), f"Rprop beside an empty {shape}", rtol=RTOL)
        assert opt.state[e]["prev"].shape == shape == tuple(ropt.state[te]["prev"].shape)
        assert aopt.state[e]["step"] == 4 and e.data.shape == shape
    # Adafactor on the non-factored path alone: a 0-D and a 1-D parameter.
    for value in (np.array(1.5), np.array([0.5, -2.0, 3.0])):
        p, tp = gn.tensor(value, requires_grad=True), torch.tensor(value, requires_grad=True)
        opt, ropt = optim.Adafactor([p], lr=0.1), torch.optim.Adafactor([tp], lr=0.1)
        for _ in range(5):
            opt.zero_grad()
            ropt.zero_grad()
            (p * p * p).sum().backward()
            (tp * tp * tp).sum().backward()
            opt.step()
            ropt.step()
        assert_close(p.data, tp.detach(), f"Adafactor, shape {value.shape}", rtol=RTOL)
        assert set(opt.state[p]) == {"step", "variance"}


def test_adafactor_beside_empty_parameter_matches_torch_without_it():
    rng = np.random.default_rng(1)
    w0 = rng.standard_normal((3, 2))
    e = gn.zeros(0, 3, dtype=gn.float64, requires_grad=True)
    w, tw = gn.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
    opt, ropt = optim.Adafactor([e, w], weight_decay=0.1), \
        torch.optim.Adafactor([tw], weight_decay=0.1)
    for _ in range(6):
        g = rng.standard_normal((3, 2))
        w.grad, tw.grad = gn.tensor(g), torch.tensor(g)
        e.grad = gn.zeros(0, 3, dtype=gn.float64)
        opt.step()
        ropt.step()
    assert_close(w.data, tw.detach(), "the non-empty parameter", rtol=RTOL, atol=ATOL)
    assert opt.state[e]["step"] == 6 and opt.state[e]["row_var"].shape == (0, 1)


def test_float32_parameters_stay_float32_and_match_torch():
    rng = np.random.default_rng(2)
    w0 = rng.standard_normal((5, 4)).astype(np.float32)
    for make in (lambda m, p: m.Rprop(p), lambda m, p: m.Adafactor(p, weight_decay=0.01),
                 lambda m, p: m.SparseAdam(p, lr=0.01)):
        w, tw = gn.tensor(w0, requires_grad=True), torch.tensor(w0, requires_grad=True)
        opt, ropt = make(optim, [w]), make(torch.optim, [tw])
        for _ in range(5):
            g = rng.standard_normal((5, 4)).astype(np.float32)
            g[1] = 0.0  # one unused row (SparseAdam's case)
            w.grad = gn.tensor(g)
            tw.grad = torch.tensor(g).to_sparse(1) if isinstance(ropt, torch.optim.SparseAdam) \
                else torch.tensor(g)
            opt.step()
            ropt.step()
        assert w.data.dtype == np.float32
        for v in opt.state[w].values():
            if isinstance(v, np.ndarray):
                assert v.dtype == np.float32, type(opt).__name__
        assert_close(w.data, tw.detach(), type(opt).__name__, rtol=2e-5, atol=1e-6)


def test_adafactor_default_eps1_comes_from_the_groups_first_parameter():
    """eps=(None, ...): float32's machine epsilon (1.2e-7) for a float32 parameter listed
    first serves the float64 one too, whose tiny gradients it then clamps, as in PyTorch."""
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((4, 2)) * 1e-5
    ps = [gn.tensor(a, requires_grad=True), gn.tensor(b, requires_grad=True)]
    ts = [torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)]
    opt, ropt = optim.Adafactor(ps), torch.optim.Adafactor(ts)
    alone = gn.tensor(b, requires_grad=True)
    aopt = optim.Adafactor([alone])
    for _ in range(5):
        ga, gb = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal((4, 2)) * 1e-6
        ps[0].grad, ps[1].grad, alone.grad = gn.tensor(ga), gn.tensor(gb), gn.tensor(gb)
        ts[0].grad, ts[1].grad = torch.tensor(ga), torch.tensor(gb)
        opt.step()
        ropt.step()
        aopt.step()
    assert_close(ps[1].data, ts[1].detach(), "float64 beside float32", rtol=1e-12, atol=0)
    assert_close(ps[0].data, ts[0].detach(), "float32", rtol=1e-6, atol=1e-6)
    assert not np.allclose(alone.data, ps[1].data, rtol=1e-3, atol=0)  # eps1 mattered


def test_updates_never_mutate_gradients_and_count_as_writes():
    p = gn.tensor([[1.0, 2.0], [0.5, 1.5]], dtype=np.float64, requires_grad=True)
    q = gn.tensor([[3.0, 4.0], [0.0, -1.0]], dtype=np.float64, requires_grad=True)
    g = np.array([[0.5, -0.5], [0.25, 0.0]])
    for make in (lambda: optim.Rprop([p, q], maximize=True),
                 lambda: optim.Adafactor([p, q], weight_decay=0.1, maximize=True),
                 lambda: optim.SparseAdam([p, q], maximize=True)):
        p.grad, q.grad = gn.Tensor(g), gn.Tensor(g)  # one array shared by two gradients
        opt = make()
        y = (p * p).sum()  # a graph that saved p before the step
        before = p.data.copy()
        opt.step()
        opt.step()
        assert np.array_equal(g, [[0.5, -0.5], [0.25, 0.0]])
        assert not np.array_equal(p.data, before)
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()


# --- SparseAdam with an embedding ---------------------------------------------------------


def _embedding_run(lib, kwargs, steps=12, padding_idx=None):
    """Two embedding tables in two groups, trained on batches that use a few rows each
    (rows 7-9 never): table weights after every step."""
    rng = np.random.default_rng(3)
    w1, w2 = rng.standard_normal((10, 4)), rng.standard_normal((6, 3))
    head = rng.standard_normal((7, 1))
    batches = [(rng.integers(0, 7, size=5), rng.integers(0, 6, size=5),
                rng.standard_normal((5, 1))) for _ in range(steps)]
    if lib is gn:
        e1 = gn.nn.Embedding(10, 4, padding_idx=padding_idx, _weight=gn.tensor(w1))
        e2 = gn.nn.Embedding(6, 3, _weight=gn.tensor(w2))
        H = gn.tensor(head)
        mod = optim
    else:
        e1 = torch.nn.Embedding(10, 4, padding_idx=padding_idx, sparse=True,
                                _weight=torch.tensor(w1))
        e2 = torch.nn.Embedding(6, 3, sparse=True, _weight=torch.tensor(w2))
        H = torch.tensor(head)
        mod = torch.optim
    opt = mod.SparseAdam([{"params": [e1.weight]}, {"params": [e2.weight], "lr": 0.02}],
                         **kwargs)
    trail = []
    for i1, i2, y in batches:
        opt.zero_grad()
        i1 = gn.tensor(i1) if lib is gn else torch.tensor(i1)
        i2 = gn.tensor(i2) if lib is gn else torch.tensor(i2)
        y = gn.tensor(y) if lib is gn else torch.tensor(y)
        h = lib.cat([e1(i1), e2(i2)], dim=1).tanh()
        ((h @ H - y) ** 2).mean().backward()
        opt.step()
        trail.append((e1.weight.detach().numpy().copy(), e2.weight.detach().numpy().copy()))
    return trail, opt, (w1, w2)


@pytest.mark.parametrize("kwargs, padding_idx", [
    ({}, None), ({"lr": 0.05, "betas": (0.8, 0.99), "eps": 1e-6}, None),
    ({"lr": 0.05, "maximize": True}, 2)], ids=["default", "betas_eps", "maximize_padding"])
def test_sparse_adam_matches_torch_with_sparse_embedding(kwargs, padding_idx):
    ours, opt, (w1, w2) = _embedding_run(gn, kwargs, padding_idx=padding_idx)
    ref, ropt, _ = _embedding_run(torch, kwargs, padding_idx=padding_idx)
    for step, ((a1, a2), (b1, b2)) in enumerate(zip(ours, ref)):
        assert_close(a1, b1, f"table 1, step {step + 1}", rtol=RTOL, atol=ATOL)
        assert_close(a2, b2, f"table 2, step {step + 1}", rtol=RTOL, atol=ATOL)
    assert np.array_equal(ours[-1][0][7:], w1[7:])  # rows never looked up: untouched
    if padding_idx is not None:
        assert np.array_equal(ours[-1][0][padding_idx], w1[padding_idx])
    a, b = opt.state_dict()["state"], ropt.state_dict()["state"]
    for i in (0, 1):
        assert a[i]["step"] == b[i]["step"] == 12
        for k in ("exp_avg", "exp_avg_sq"):
            assert_close(a[i][k], b[i][k], f"state {i} {k}", rtol=RTOL, atol=ATOL)


def test_sparse_adam_skips_rows_and_counts_steps():
    w = gn.tensor(np.ones((4, 2)), requires_grad=True)
    opt = optim.SparseAdam([w], lr=0.1)
    w.grad = gn.tensor(np.array([[1.0, 0.0], [0.0, 0.0], [0.0, -2.0], [0.0, 0.0]]))
    opt.step()
    # Rows 0 and 2 take Adam's first step, -lr · sign(g) on every element of the row (the
    # zero entry of row 0 included: 0 / (0 + eps) = 0, so it stays); rows 1 and 3 stay.
    assert_close(w.data, [[0.9, 1.0], [1.0, 1.0], [1.0, 1.1], [1.0, 1.0]], "first step",
                 rtol=0, atol=1e-7)
    w.grad = gn.tensor(np.zeros((4, 2)))  # nothing used: counted, nothing moves
    before = w.data.copy()
    opt.step()
    assert np.array_equal(w.data, before) and opt.state[w]["step"] == 2
    assert np.array_equal(opt.state[w]["exp_avg"][1], [0.0, 0.0])
    s, ts = gn.tensor(2.0, requires_grad=True), torch.tensor(2.0, requires_grad=True)
    sopt = optim.SparseAdam([s], lr=0.1)
    s.grad = gn.tensor(0.5)
    sopt.step()
    assert_close(s.data, 1.9, "a 0-D parameter", rtol=0, atol=1e-7)
    del ts


# --- schedulers -----------------------------------------------------------------------------


def _sched_trail(lib, make, steps=25, sd=None, start=0):
    groups = [{"params": [lib.zeros(2, requires_grad=True)]},
              {"params": [lib.zeros(3, requires_grad=True)], "lr": 0.05}]
    opt = lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    with warnings.catch_warnings():  # PyTorch's SequentialLR steps a chain before opt.step
        warnings.simplefilter("ignore", UserWarning)
        sched = make(lib.optim.lr_scheduler, opt)
    if sd is not None:
        opt_sd, sched_sd = sd
        opt.load_state_dict(opt_sd)
        sched.load_state_dict(sched_sd)
    trail = [[g["lr"] for g in opt.param_groups]]
    for _ in range(steps):
        opt.step()
        sched.step()
        trail.append([g["lr"] for g in opt.param_groups])
        assert sched.get_last_lr() == trail[-1]
    return np.array(trail), sched, opt


class Halve:
    """A callable object lr_lambda: its attributes are saved in the scheduler's state."""

    def __init__(self):
        self.factor = 0.5

    def __call__(self, epoch):
        return self.factor if epoch % 4 == 0 else 1.0


SCHEDULERS = {
    "multiplicative": lambda m, o: m.MultiplicativeLR(o, lambda e: 0.95),
    "multiplicative_per_group": lambda m, o: m.MultiplicativeLR(
        o, [lambda e: 0.9 if e % 3 else 1.1, lambda e: 1.0 - 0.01 * e]),
    "chained_constant_exponential": lambda m, o: m.ChainedScheduler(
        [m.ConstantLR(o, factor=0.1, total_iters=8), m.ExponentialLR(o, gamma=0.9)],
        optimizer=o),
    "chained_three": lambda m, o: m.ChainedScheduler(
        [m.MultiplicativeLR(o, lambda e: 0.97), m.StepLR(o, step_size=5, gamma=0.5),
         m.LinearLR(o, start_factor=0.25, total_iters=6)]),
    "chained_cosine_lambda": lambda m, o: m.ChainedScheduler(
        [m.CosineAnnealingLR(o, T_max=7, eta_min=0.01), m.MultiplicativeLR(o, Halve())]),
    # SequentialLR restarts a chain with one real step of each link, as PyTorch does
    "sequential_of_chained": lambda m, o: m.SequentialLR(
        o, [m.ChainedScheduler([m.ConstantLR(o, factor=0.5, total_iters=3),
                                m.ExponentialLR(o, 0.9)]), m.StepLR(o, 3, 0.5)],
        milestones=[6]),
    "sequential_of_chained_cosine": lambda m, o: m.SequentialLR(
        o, [m.ChainedScheduler([m.CosineAnnealingLR(o, T_max=4),
                                m.MultiplicativeLR(o, lambda e: 0.95)]),
            m.ExponentialLR(o, 0.9)], milestones=[5]),
}


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_trajectory_matches_torch(name):
    ours, _, _ = _sched_trail(gn, SCHEDULERS[name])
    ref, _, _ = _sched_trail(torch, SCHEDULERS[name])
    assert_close(ours, ref, "learning rates", rtol=1e-12, atol=0)
    assert np.ptp(ours[:, 0]) > 0


@pytest.mark.parametrize("name", list(SCHEDULERS))
def test_scheduler_state_dict_round_trip(name):
    full, _, _ = _sched_trail(gn, SCHEDULERS[name], steps=20)
    _, sched, opt = _sched_trail(gn, SCHEDULERS[name], steps=9)
    sd = json.loads(json.dumps(sched.state_dict()))  # plain data
    rest, sched2, _ = _sched_trail(gn, SCHEDULERS[name], steps=11,
                                   sd=(opt.state_dict(), sd))
    assert_close(rest, full[9:], "continued rates", rtol=0, atol=0)
    if name == "chained_cosine_lambda":
        assert sd["_schedulers"][1]["lr_lambdas"] == [{"factor": 0.5}, {"factor": 0.5}]
        sd["_schedulers"][1]["lr_lambdas"] = [{"factor": 0.25}] * 2
        sched2.load_state_dict(sd)
        assert sched2._schedulers[1].lr_lambdas[0].factor == 0.25


@pytest.mark.parametrize("name, kwargs", [
    ("ExponentialLR", {"gamma": 0.9}), ("CosineAnnealingLR", {"T_max": 5}),
    ("MultiplicativeLR", {"lr_lambda": lambda e: 0.9}), ("StepLR", {"step_size": 2})])
def test_resumed_scheduler_starts_where_it_was(name, kwargs):
    """last_epoch=4 (resuming): the constructor's step leaves the rate alone."""
    trails = []
    for lib in (gn, torch):
        opt = lib.optim.SGD([lib.zeros(1, requires_grad=True)], lr=0.1)
        opt.param_groups[0]["initial_lr"] = 0.2
        sched = getattr(lib.optim.lr_scheduler, name)(opt, last_epoch=4, **kwargs)
        trail = [opt.param_groups[0]["lr"]]
        for _ in range(4):
            opt.step()
            sched.step()
            trail.append(opt.param_groups[0]["lr"])
        trails.append(trail)
    assert trails[0][0] == 0.1
    assert_close(trails[0], trails[1], name, rtol=1e-12, atol=0)


def test_scheduler_errors():
    opt = optim.SGD([gn.zeros(2, requires_grad=True)], lr=0.1)
    other = optim.SGD([gn.zeros(2, requires_grad=True)], lr=0.1)
    S = lr_scheduler
    with pytest.raises(ValueError, match="expects at least one scheduler"):
        S.ChainedScheduler([])
    with pytest.raises(ValueError, match="scheduler 1 \\(StepLR\\) belongs to a different"):
        S.ChainedScheduler([S.ExponentialLR(opt, 0.9), S.StepLR(other, 2)])
    with pytest.raises(ValueError, match="scheduler 0 \\(ExponentialLR\\) belongs"):
        S.ChainedScheduler([S.ExponentialLR(opt, 0.9)], optimizer=other)
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        S.ChainedScheduler([S.ReduceLROnPlateau(opt)])
    with pytest.raises(TypeError, match="has no optimizer"):
        S.ChainedScheduler([object()])
    with pytest.raises(ValueError, match="expected 1 lr_lambdas"):
        S.MultiplicativeLR(opt, [lambda e: 0.9, lambda e: 0.8])
    with pytest.raises(TypeError, match="lr_lambda should be a function, got float"):
        S.MultiplicativeLR(opt, 0.9)
    chained = S.ChainedScheduler([S.ExponentialLR(opt, 0.9)])
    sd = chained.state_dict()
    sd["_schedulers"].append(sd["_schedulers"][0])
    with pytest.raises(ValueError, match="holds 2 schedulers, this one drives 1"):
        chained.load_state_dict(sd)
    # PyTorch raises the same kinds for the same mistakes
    topt = torch.optim.SGD([torch.zeros(2, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError):
        torch.optim.lr_scheduler.ChainedScheduler([])
    with pytest.raises(TypeError):
        torch.optim.lr_scheduler.MultiplicativeLR(topt, 0.9)
