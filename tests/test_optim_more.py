"""Adadelta, Adamax, NAdam, RAdam, ASGD, LBFGS and CyclicLR against PyTorch: the same
float64 start and hyper-parameters give the same trajectory (1e-12 relative), state_dict
round trips continue it exactly, and bad arguments fail like PyTorch's."""

from __future__ import annotations

import contextlib
import json
import warnings

import numpy as np
import pytest

import glassnet as gn
from conftest import assert_close
from glassnet import optim
from glassnet.optim import lr_scheduler

torch = pytest.importorskip("torch")

from test_optim import _loss, _problem, _run  # noqa: E402  (the shared small MLP problem)

STEPS = 25
RTOL, ATOL = 1e-12, 1e-14


@contextlib.contextmanager
def _torch_float64():
    """PyTorch keeps scalar state (NAdam's mu_product, ASGD's eta and mu) in the default
    dtype, float32 unless changed: compare against its float64 arithmetic, which is
    glassnet's (Python floats)."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        yield
    finally:
        torch.set_default_dtype(old)


def _torch_run(*args, **kwargs):
    with _torch_float64():
        return _run(torch, *args, **kwargs)


OPTIMIZERS = [
    pytest.param(lambda m, p: m.Adadelta(p), id="adadelta"),
    pytest.param(lambda m, p: m.Adadelta(p, lr=0.5, rho=0.8, eps=1e-5, weight_decay=0.05,
                                         maximize=True), id="adadelta_wd_maximize"),
    pytest.param(lambda m, p: m.Adamax(p), id="adamax"),
    pytest.param(lambda m, p: m.Adamax(p, lr=0.01, betas=(0.8, 0.99), weight_decay=0.1),
                 id="adamax_wd"),
    pytest.param(lambda m, p: m.Adamax(p, lr=0.01, maximize=True), id="adamax_maximize"),
    pytest.param(lambda m, p: m.NAdam(p), id="nadam"),
    pytest.param(lambda m, p: m.NAdam(p, lr=0.01, betas=(0.85, 0.99), weight_decay=0.1,
                                      momentum_decay=0.01), id="nadam_wd"),
    pytest.param(lambda m, p: m.NAdam(p, lr=0.01, weight_decay=0.2,
                                      decoupled_weight_decay=True, maximize=True),
                 id="nadamw_maximize"),
    pytest.param(lambda m, p: m.RAdam(p), id="radam"),
    pytest.param(lambda m, p: m.RAdam(p, lr=0.01, betas=(0.8, 0.9), weight_decay=0.1),
                 id="radam_wd"),
    pytest.param(lambda m, p: m.RAdam(p, lr=0.01, weight_decay=0.2,
                                      decoupled_weight_decay=True, maximize=True),
                 id="radamw_maximize"),
    pytest.param(lambda m, p: m.ASGD(p), id="asgd"),
    pytest.param(lambda m, p: m.ASGD(p, lr=0.05, lambd=1e-3, alpha=0.6, t0=5,
                                     weight_decay=0.02), id="asgd_averaging_wd"),
    pytest.param(lambda m, p: m.ASGD(p, lr=0.05, t0=3, maximize=True), id="asgd_maximize"),
]


@pytest.mark.parametrize("make_opt", OPTIMIZERS)
@pytest.mark.parametrize("groups", [False, True], ids=["one_group", "two_groups"])
def test_trajectory_matches_torch(make_opt, groups):
    data = _problem()
    ours, opt, _ = _run(gn, make_opt, data, steps=STEPS, groups=groups)
    ref, ropt, _ = _torch_run(make_opt, data, steps=STEPS, groups=groups)
    for step, (a, b) in enumerate(zip(ours, ref)):
        for pa, pb in zip(a, b):
            assert_close(pa, pb, f"step {step + 1}", rtol=RTOL, atol=ATOL)
    # The state too: the same names and values as PyTorch's, step counts as ints.
    a, b = opt.state_dict()["state"], ropt.state_dict()["state"]
    assert sorted(a) == sorted(b)
    for i in a:
        assert set(a[i]) == set(b[i])
        for k, v in a[i].items():
            assert_close(v, b[i][k], f"state {i} {k}", rtol=RTOL, atol=ATOL)
    assert a[0]["step"] == STEPS and isinstance(a[0]["step"], int)


@pytest.mark.parametrize("make_opt", OPTIMIZERS[1::2])
def test_state_dict_round_trip_continues_identically(make_opt):
    data = _problem(1)
    full, _, _ = _run(gn, make_opt, data, steps=8, groups=True)
    _, opt, P = _run(gn, make_opt, data, steps=4, groups=True)
    sd = opt.state_dict()
    json.dumps(sd["param_groups"])
    for entry in sd["state"].values():
        assert all(isinstance(v, (np.ndarray, int, float)) for v in entry.values())
    # A fresh optimizer on copies of the parameters, the state loaded as if from JSON.
    P2 = {k: gn.tensor(v.data.copy(), requires_grad=True) for k, v in P.items()}
    opt2 = make_opt(optim, [{"params": [P2["W"], P2["b"]]}, {"params": [P2["V"]]}])
    opt2.load_state_dict({"state": {str(k): v for k, v in sd["state"].items()},
                          "param_groups": json.loads(json.dumps(sd["param_groups"]))})
    assert opt2.param_groups[1]["lr"] == 0.03  # the saved group's rate, not the default
    x, y = (gn.tensor(data[k], dtype=np.float64) for k in ("x", "y"))
    for _ in range(4):
        opt2.zero_grad()
        _loss(gn, P2, x, y).backward()
        opt2.step()
    for pa, pb in zip(P2.values(), full[-1]):
        assert np.array_equal(pa.data, pb)


def test_state_of_another_optimizer_is_refused():
    p = [gn.zeros(2, requires_grad=True)]
    sd = optim.NAdam(p).state_dict()
    with pytest.raises(ValueError, match="saved by NAdam, not RAdam"):
        optim.RAdam(p).load_state_dict(sd)
    with pytest.raises(ValueError, match="saved by Adadelta, not ASGD"):
        optim.ASGD(p).load_state_dict(optim.Adadelta(p).state_dict())


def test_updates_never_mutate_gradients_and_count_as_writes():
    p = gn.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    q = gn.tensor([3.0, 4.0], dtype=np.float64, requires_grad=True)
    g = np.array([0.5, -0.5])
    for make in (lambda: optim.Adadelta([p, q], weight_decay=0.1, maximize=True),
                 lambda: optim.Adamax([p, q]), lambda: optim.NAdam([p, q]),
                 lambda: optim.RAdam([p, q], weight_decay=0.1, decoupled_weight_decay=True),
                 lambda: optim.ASGD([p, q], t0=0)):
        p.grad, q.grad = gn.Tensor(g), gn.Tensor(g)  # one array shared by two gradients
        opt = make()
        y = (p * p).sum()  # a graph that saved p before the step
        opt.step()
        opt.step()
        assert np.array_equal(g, [0.5, -0.5])
        with pytest.raises(RuntimeError, match="modified by an inplace operation"):
            y.backward()


# --- LBFGS ---------------------------------------------------------------------------------


def _rosenbrock(lib, P):
    x = P["x"]
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def _least_squares(lib, P, A, b):
    r = A @ P["W"].T + P["c"] - b
    return (r * r).sum() + 0.1 * (P["W"] * P["W"]).sum()


def _lbfgs_run(lib, problem, kwargs, steps):
    """Iterates and returned losses of ``steps`` LBFGS steps on ``problem``."""
    rng = np.random.default_rng(0)
    if problem == "rosenbrock":
        arrays = {"x": np.array([-1.2, 1.0, -0.5, 0.8])}
    else:
        arrays = {"W": rng.standard_normal((2, 5)), "c": rng.standard_normal(2),
                  "unused": np.ones(3)}
        A, b = rng.standard_normal((30, 5)), rng.standard_normal((30, 2))
    make = (lambda a: gn.tensor(a, dtype=np.float64, requires_grad=True)) if lib is gn else \
        (lambda a: torch.tensor(a, dtype=torch.float64, requires_grad=True))
    P = {k: make(v) for k, v in arrays.items()}
    if problem != "rosenbrock":
        A, b = (gn.tensor(v) if lib is gn else torch.tensor(v) for v in (A, b))
    opt = (optim if lib is gn else torch.optim).LBFGS(list(P.values()), **kwargs)

    def closure():
        opt.zero_grad()
        loss = _rosenbrock(lib, P) if problem == "rosenbrock" else _least_squares(lib, P, A, b)
        loss.backward()
        return loss

    trail, losses = [], []
    for _ in range(steps):
        losses.append(float(opt.step(closure).detach()))
        trail.append(np.concatenate([np.array(p.detach().numpy()).ravel() for p in P.values()]))
    return np.array(trail), np.array(losses), opt


# Rosenbrock's valley amplifies a last-bit difference (a dot product summed in another
# order) by up to 1e4 per step: few steps, a tolerance of 1e-9, and the evaluation and
# iteration counts equal, so every branch taken is PyTorch's.
LBFGS_CASES = [
    pytest.param("rosenbrock", {"max_iter": 5}, id="rosenbrock"),
    pytest.param("rosenbrock", {"line_search_fn": "strong_wolfe"}, id="rosenbrock_wolfe"),
    pytest.param("rosenbrock", {"lr": 0.5, "max_iter": 4, "history_size": 3},
                 id="rosenbrock_short_history"),
    pytest.param("rosenbrock", {"max_iter": 4, "max_eval": 5, "history_size": 2,
                                "line_search_fn": "strong_wolfe"}, id="rosenbrock_wolfe_max_eval"),
    pytest.param("least_squares", {"lr": 0.3}, id="least_squares"),
    pytest.param("least_squares", {"line_search_fn": "strong_wolfe"}, id="least_squares_wolfe"),
]


@pytest.mark.parametrize("problem, kwargs", LBFGS_CASES)
def test_lbfgs_matches_torch(problem, kwargs):
    ours, our_losses, opt = _lbfgs_run(gn, problem, kwargs, steps=4)
    ref, ref_losses, ropt = _lbfgs_run(torch, problem, kwargs, steps=4)
    assert_close(ours, ref, "iterates after each step", rtol=1e-9, atol=1e-10)
    assert_close(our_losses, ref_losses, "losses", rtol=1e-9, atol=1e-10)
    a, b = opt.state_dict()["state"][0], ropt.state_dict()["state"][0]
    assert (a["n_iter"], a["func_evals"]) == (b["n_iter"], b["func_evals"])
    assert len(a["old_dirs"]) == len(b["old_dirs"])
    assert set(a) == set(b) - {"al"}  # PyTorch also keeps the two-loop's scratch list


def test_lbfgs_converges_on_rosenbrock():
    trail, losses, _ = _lbfgs_run(gn, "rosenbrock", {"line_search_fn": "strong_wolfe"}, 8)
    assert_close(trail[-1], np.ones(4), "the minimum (1, 1, 1, 1)", rtol=0, atol=1e-6)


@pytest.mark.parametrize("kwargs", [{}, {"line_search_fn": "strong_wolfe", "history_size": 3}])
def test_lbfgs_state_dict_round_trip(tmp_path, kwargs):
    full, _, _ = _lbfgs_run(gn, "least_squares", dict(kwargs, max_iter=4), steps=4)
    _, _, opt = _lbfgs_run(gn, "least_squares", dict(kwargs, max_iter=4), steps=2)
    sd = opt.state_dict()
    sd_before = json.dumps({k: v if not isinstance(v, np.ndarray) else v.tolist()
                            for k, v in sd["state"][0].items() if not isinstance(v, list)})
    gn.save(sd, tmp_path / "lbfgs.gn")
    opt.step(lambda: (sum((p * p).sum() for p in opt.param_groups[0]["params"])))
    assert json.dumps({k: v if not isinstance(v, np.ndarray) else v.tolist()
                       for k, v in sd["state"][0].items()
                       if not isinstance(v, list)}) == sd_before  # a copy, not a view
    # Continue from the saved state on fresh parameters at the saved point.
    rng = np.random.default_rng(0)
    rng.standard_normal((2, 5)), rng.standard_normal(2)
    A, b = gn.tensor(rng.standard_normal((30, 5))), gn.tensor(rng.standard_normal((30, 2)))
    W = gn.tensor(full[1][:10].reshape(2, 5), requires_grad=True)
    c = gn.tensor(full[1][10:12], requires_grad=True)
    unused = gn.tensor(full[1][12:], requires_grad=True)
    opt2 = optim.LBFGS([W, c, unused], **dict(kwargs, max_iter=4))
    opt2.load_state_dict(gn.load(tmp_path / "lbfgs.gn"))
    P = {"W": W, "c": c}

    def closure():
        opt2.zero_grad()
        loss = _least_squares(gn, P, A, b)
        loss.backward()
        return loss

    for want in full[2:]:
        opt2.step(closure)
        got = np.concatenate([W.data.ravel(), c.data.ravel(), unused.data.ravel()])
        assert np.array_equal(got, want)


def test_lbfgs_step_counts_as_a_write():
    w = gn.tensor([0.5, 2.0, -1.0], dtype=np.float64, requires_grad=True)
    opt = optim.LBFGS([w], line_search_fn="strong_wolfe")
    before = (w * w).sum()  # a graph that saved w before the step

    def closure():
        opt.zero_grad()
        loss = ((w - 1) ** 2).sum()
        loss.backward()
        return loss

    opt.step(closure)
    assert_close(w, np.ones(3), "the minimum", rtol=0, atol=1e-9)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        before.backward()


def test_lbfgs_load_checks_flat_state_shape():
    p = [gn.zeros(3, requires_grad=True)]
    opt = optim.LBFGS(p)
    opt.step(lambda: ((p[0] - 1) ** 2).sum().backward() or ((p[0] - 1) ** 2).sum())
    sd = opt.state_dict()
    sd["state"][0]["d"] = np.zeros(4)
    with pytest.raises(ValueError, match=r"'d' has shape \(4,\), expected \(3,\)"):
        optim.LBFGS(p).load_state_dict(sd)


# --- errors, the same as PyTorch's ---------------------------------------------------------

BAD = [
    pytest.param(lambda m, p: m.Adadelta(p, lr=-1), ValueError, "Invalid learning rate",
                 id="adadelta_lr"),
    pytest.param(lambda m, p: m.Adadelta(p, rho=1.5), ValueError, "Invalid rho value",
                 id="adadelta_rho"),
    pytest.param(lambda m, p: m.Adadelta(p, eps=-1e-6), ValueError, "Invalid epsilon",
                 id="adadelta_eps"),
    pytest.param(lambda m, p: m.Adamax(p, lr=-0.1), ValueError, "Invalid learning rate",
                 id="adamax_lr"),
    pytest.param(lambda m, p: m.Adamax(p, betas=(0.9, 1.0)), ValueError,
                 "beta parameter at index 1", id="adamax_beta2"),
    pytest.param(lambda m, p: m.NAdam(p, betas=(-0.1, 0.9)), ValueError,
                 "beta parameter at index 0", id="nadam_beta1"),
    pytest.param(lambda m, p: m.NAdam(p, momentum_decay=-1), ValueError, "momentum_decay",
                 id="nadam_momentum_decay"),
    pytest.param(lambda m, p: m.RAdam(p, lr=-1e-3), ValueError, "Invalid learning rate",
                 id="radam_lr"),
    pytest.param(lambda m, p: m.RAdam(p, betas=(1.0, 0.999)), ValueError,
                 "beta parameter at index 0", id="radam_beta1"),
    pytest.param(lambda m, p: m.RAdam(p, weight_decay=-1), ValueError, "weight_decay",
                 id="radam_wd"),
    pytest.param(lambda m, p: m.ASGD(p, lr=-1), ValueError, "Invalid learning rate",
                 id="asgd_lr"),
    pytest.param(lambda m, p: m.ASGD(p, weight_decay=-1), ValueError, "weight_decay",
                 id="asgd_wd"),
    pytest.param(lambda m, p: m.LBFGS(p, lr=-1), ValueError, "Invalid learning rate",
                 id="lbfgs_lr"),
    pytest.param(lambda m, p: m.LBFGS([{"params": p[:1]}, {"params": p[1:]}]), ValueError,
                 "doesn't support per-parameter options", id="lbfgs_two_groups"),
    pytest.param(lambda m, p: m.LBFGS(p).step(), TypeError, "closure", id="lbfgs_no_closure"),
    pytest.param(lambda m, p: m.LBFGS(p).step(None), TypeError, "closure",
                 id="lbfgs_none_closure"),
]


@pytest.mark.parametrize("call, error, match", BAD)
def test_bad_arguments_fail_like_torch(call, error, match):
    with pytest.raises(error, match=match):
        call(optim, [gn.zeros(2, requires_grad=True), gn.zeros(3, requires_grad=True)])
    with pytest.raises(error):
        call(torch.optim, [torch.zeros(2, requires_grad=True), torch.zeros(3, requires_grad=True)])


def test_lbfgs_errors_beyond_torch():
    p = [gn.zeros(2, requires_grad=True)]
    opt = optim.LBFGS(p)
    with pytest.raises(ValueError, match="per-parameter options"):
        opt.add_param_group({"params": [gn.zeros(1, requires_grad=True)]})
    # PyTorch finds these only at the first step (or never): glassnet at construction.
    with pytest.raises(ValueError, match="line_search_fn must be None or 'strong_wolfe'"):
        optim.LBFGS(p, line_search_fn="wolfe")
    for bad in ({"max_iter": 0}, {"max_eval": -1}, {"history_size": 2.5}, {"max_iter": True}):
        with pytest.raises(ValueError, match=f"{next(iter(bad))} must be a positive integer"):
            optim.LBFGS(p, **bad)
    optim.LBFGS(p, max_eval=1e3)  # a float count is accepted, as in PyTorch
    # Closures that forget the loss or the backward pass: said, not a float() traceback
    # (PyTorch) or a silent return with nothing done (PyTorch, no gradients).
    with pytest.raises(TypeError, match="closure returned None"):
        opt.step(lambda: (p[0] * p[0]).sum().backward())
    p[0].grad = None
    with pytest.raises(RuntimeError, match=r"must call loss.backward\(\)"):
        opt.step(lambda: (p[0] * p[0]).sum())


def test_float32_parameters_stay_float32():
    for make in (optim.Adadelta, optim.Adamax, optim.NAdam, optim.RAdam, optim.ASGD,
                 optim.LBFGS):
        w = gn.tensor([0.5, -1.5, 2.0], dtype=np.float32, requires_grad=True)
        opt = make([w])

        def closure(opt=opt, w=w):
            opt.zero_grad()
            loss = ((w - 1) ** 2).sum()
            loss.backward()
            return loss

        for _ in range(3):
            opt.step(closure)
        assert w.data.dtype == np.float32, make.__name__
        for v in opt.state[w].values():
            if isinstance(v, np.ndarray):
                assert v.dtype == np.float32, make.__name__


# --- CyclicLR ------------------------------------------------------------------------------

CYCLIC = [
    pytest.param("sgd", dict(base_lr=0.01, max_lr=0.1, step_size_up=4), id="triangular"),
    pytest.param("sgd", dict(base_lr=[0.01, 0.02], max_lr=[0.1, 0.3], step_size_up=3,
                             step_size_down=5, mode="triangular2"), id="triangular2_down"),
    pytest.param("sgd", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, mode="exp_range",
                             gamma=0.95, base_momentum=[0.7, 0.75], max_momentum=0.95),
                 id="exp_range"),
    pytest.param("adam", dict(base_lr=1e-3, max_lr=1e-2, step_size_up=2, step_size_down=6,
                              mode="triangular2"), id="adam_beta1"),
    pytest.param("nadam", dict(base_lr=1e-3, max_lr=1e-2, step_size_up=5, mode="exp_range",
                               gamma=0.9), id="nadam_beta1"),
    pytest.param("rmsprop", dict(base_lr=1e-3, max_lr=1e-2, step_size_up=3,
                                 scale_fn=lambda x: 1 / (1 + x), scale_mode="cycle"),
                 id="scale_fn_cycle"),
    pytest.param("sgd", dict(base_lr=0.01, max_lr=0.1, step_size_up=3, step_size_down=2,
                             scale_fn=lambda x: 0.97**x, scale_mode="iterations"),
                 id="scale_fn_iterations"),
    pytest.param("adagrad", dict(base_lr=0.01, max_lr=0.1, step_size_up=4,
                                 cycle_momentum=False), id="no_momentum"),
]


def _cyclic_trail(lib, kind, kwargs, steps=30, sched_sd=None, opt_sd=None):
    """(lr, momentum or beta1) of both groups after each scheduler step."""
    ps = [lib.zeros(1, requires_grad=True), lib.zeros(1, requires_grad=True)]
    mod = optim if lib is gn else torch.optim
    make = {"sgd": lambda g: mod.SGD(g, lr=0.1, momentum=0.9),
            "adam": lambda g: mod.Adam(g), "nadam": lambda g: mod.NAdam(g),
            "rmsprop": lambda g: mod.RMSprop(g, momentum=0.5),
            "adagrad": lambda g: mod.Adagrad(g)}[kind]
    opt = make([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.05}])
    sched = (lr_scheduler if lib is gn else torch.optim.lr_scheduler).CyclicLR(opt, **kwargs)
    if opt_sd is not None:
        opt.load_state_dict(opt_sd)
        sched.load_state_dict(sched_sd)

    def now():
        return [(g["lr"], g["betas"][0] if "betas" in g else g.get("momentum", 0.0))
                for g in opt.param_groups]

    trail = [now()]
    for _ in range(steps):
        opt.step()
        sched.step()
        trail.append(now())
    assert [lr for lr, _ in trail[-1]] == sched.get_last_lr()
    return np.array(trail), sched, opt


@pytest.mark.parametrize("kind, kwargs", CYCLIC)
def test_cyclic_lr_matches_torch(kind, kwargs):
    ours, _, _ = _cyclic_trail(gn, kind, kwargs)
    ref, _, _ = _cyclic_trail(torch, kind, kwargs)
    assert_close(ours, ref, "learning rates and momenta", rtol=1e-12, atol=0)
    assert np.ptp(ours[:, 0, 0]) > 0  # it did cycle


@pytest.mark.parametrize("kind, kwargs", [CYCLIC[1], CYCLIC[3], CYCLIC[5]])
def test_cyclic_lr_state_dict_resumes(kind, kwargs):
    full, _, _ = _cyclic_trail(gn, kind, kwargs, steps=20)
    _, sched, opt = _cyclic_trail(gn, kind, kwargs, steps=7)
    sd = json.loads(json.dumps(sched.state_dict()))  # plain data only
    rest, _, _ = _cyclic_trail(gn, kind, kwargs, steps=13, sched_sd=sd,
                               opt_sd=opt.state_dict())
    assert_close(rest, full[7:], "resumed schedule", rtol=1e-12, atol=0)


def _cyclic_elsewhere(lib):
    """CyclicLR made with last_epoch (resuming), stepped to an epoch, and in SequentialLR."""
    mod = optim if lib is gn else torch.optim
    p = [lib.zeros(1, requires_grad=True)]
    opt = mod.Adam(p)
    sched = mod.lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=3, mode="triangular2")
    out = []
    for _ in range(4):
        opt.step()
        sched.step()
    sched = mod.lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=3, mode="triangular2",
                                      last_epoch=4)
    for _ in range(5):
        opt.step()
        sched.step()
        out.append((opt.param_groups[0]["lr"], opt.param_groups[0]["betas"][0]))
    with warnings.catch_warnings():  # PyTorch deprecates step(epoch); glassnet keeps it
        warnings.simplefilter("ignore", UserWarning)
        sched.step(20)
    out.append((opt.param_groups[0]["lr"], opt.param_groups[0]["betas"][0]))
    opt = mod.SGD(p, lr=0.1, momentum=0.9)
    warmup = mod.lr_scheduler.LinearLR(opt, start_factor=0.5, total_iters=3)
    cyclic = mod.lr_scheduler.CyclicLR(opt, 0.01, 0.1, step_size_up=2)
    seq = mod.lr_scheduler.SequentialLR(opt, [warmup, cyclic], milestones=[3])
    for _ in range(8):
        opt.step()
        seq.step()
        out.append((opt.param_groups[0]["lr"], opt.param_groups[0]["momentum"]))
    return np.array(out)


def test_cyclic_lr_resumed_stepped_to_and_sequenced_like_torch():
    assert_close(_cyclic_elsewhere(gn), _cyclic_elsewhere(torch), "rates and momenta",
                 rtol=1e-12, atol=0)


def test_cyclic_lr_errors():
    p = [gn.zeros(1, requires_grad=True)]
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        lr_scheduler.CyclicLR(optim.Adagrad(p), 0.01, 0.1)
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        lr_scheduler.CyclicLR(optim.LBFGS(p), 0.01, 0.1)
    with pytest.raises(ValueError, match="mode must be"):
        lr_scheduler.CyclicLR(optim.SGD(p), 0.01, 0.1, mode="cosine")
    with pytest.raises(ValueError, match="expected 1 values for max_lr"):
        lr_scheduler.CyclicLR(optim.SGD(p), 0.01, [0.1, 0.2])
    with pytest.raises(ValueError, match="step_size_up must be positive"):
        lr_scheduler.CyclicLR(optim.SGD(p), 0.01, 0.1, step_size_up=0)
    with pytest.raises(TypeError, match="expected an Optimizer"):
        lr_scheduler.CyclicLR([p], 0.01, 0.1)
