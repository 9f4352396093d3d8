"""ConstantLR, LinearLR, PolynomialLR, CosineAnnealingWarmRestarts, OneCycleLR and
SequentialLR against PyTorch's schedulers: the whole trajectory (rates of two parameter
groups, and the momentum / beta1 OneCycleLR cycles), and a state_dict round trip halfway."""

from __future__ import annotations

import copy
import json
import warnings

import numpy as np
import pytest

import glassnet as gn


def _optimizer(lib, kind):
    groups = [{"params": [lib.zeros(3, requires_grad=True)]},
              {"params": [lib.zeros(2, requires_grad=True)], "lr": 0.05}]
    if kind == "sgd":
        return lib.optim.SGD(groups, lr=0.1, momentum=0.9)
    return lib.optim.Adam(groups, lr=0.1)


def _sched(name):
    return {
        "constant": lambda m, o: m.ConstantLR(o, factor=0.5, total_iters=4),
        "constant_default": lambda m, o: m.ConstantLR(o),
        "linear": lambda m, o: m.LinearLR(o, start_factor=0.25, end_factor=0.9, total_iters=7),
        "linear_down": lambda m, o: m.LinearLR(o, start_factor=1.0, end_factor=0.0,
                                               total_iters=10),
        "polynomial": lambda m, o: m.PolynomialLR(o, total_iters=9, power=2.0),
        "polynomial_default": lambda m, o: m.PolynomialLR(o),
        "warm_restarts_mult2": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2,
                                                                           eta_min=0.001),
        "warm_restarts": lambda m, o: m.CosineAnnealingWarmRestarts(o, T_0=4),
        "one_cycle": lambda m, o: m.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=40),
        "one_cycle_three_phase_linear": lambda m, o: m.OneCycleLR(
            o, max_lr=1.0, epochs=4, steps_per_epoch=10, three_phase=True,
            anneal_strategy="linear", pct_start=0.25),
        "one_cycle_no_momentum": lambda m, o: m.OneCycleLR(o, max_lr=0.3, total_steps=40,
                                                           cycle_momentum=False),
        "sequential": lambda m, o: m.SequentialLR(
            o, [m.LinearLR(o, 0.1, total_iters=5), m.CosineAnnealingLR(o, T_max=10),
                m.ExponentialLR(o, 0.9)], milestones=[5, 12]),
        "sequential_constant_step": lambda m, o: m.SequentialLR(
            o, [m.ConstantLR(o, factor=0.1, total_iters=2), m.StepLR(o, 3, gamma=0.5)],
            milestones=[2]),
    }[name]


NAMES = ["constant", "constant_default", "linear", "linear_down", "polynomial",
         "polynomial_default", "warm_restarts_mult2", "warm_restarts", "one_cycle",
         "one_cycle_three_phase_linear", "one_cycle_no_momentum", "sequential",
         "sequential_constant_step"]


def _trajectory(lib, name, kind, steps):
    opt = _optimizer(lib, kind)
    sched = _sched(name)(lib.optim.lr_scheduler, opt)
    out = []
    for _ in range(steps):
        opt.step()
        sched.step()
        g = opt.param_groups[0]
        mom = g["momentum"] if "momentum" in g else g["betas"][0]
        out.append(list(sched.get_last_lr()) + [opt.param_groups[1]["lr"], mom])
    return np.array(out)


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("name", NAMES)
def test_trajectory_matches_pytorch(torch, name, kind):
    steps = 39 if name.startswith("one_cycle") else 30
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = _trajectory(torch, name, kind, steps)
    ours = _trajectory(gn, name, kind, steps)
    np.testing.assert_allclose(ours, ref, rtol=1e-13, atol=1e-15)


@pytest.mark.parametrize("name", NAMES)
def test_state_dict_round_trip(name):
    opt = _optimizer(gn, "sgd")
    sched = _sched(name)(gn.optim.lr_scheduler, opt)
    for _ in range(13):
        opt.step()
        sched.step()
    saved = json.loads(json.dumps(sched.state_dict()))  # plain numbers and lists only
    opt_saved = copy.deepcopy(opt.state_dict())
    opt2 = _optimizer(gn, "sgd")
    sched2 = _sched(name)(gn.optim.lr_scheduler, opt2)
    opt2.load_state_dict(opt_saved)
    sched2.load_state_dict(saved)
    a, b = [], []
    for _ in range(15):
        for o, s, rec in ((opt, sched, a), (opt2, sched2, b)):
            o.step()
            s.step()
            rec.append(s.get_last_lr() + [o.param_groups[0].get("momentum")])
    assert a == b


def test_warm_restarts_fractional_epochs(torch):
    """``step(epoch + i / n)`` within epochs, as in PyTorch's documented use."""
    lrs = []
    for lib in (gn, torch):
        opt = _optimizer(lib, "sgd")
        sched = lib.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=3)
        out = []
        for epoch in range(12):
            for i in range(4):
                sched.step(epoch + i / 4)
                out.append(sched.get_last_lr()[0])
        lrs.append(out)
    np.testing.assert_allclose(lrs[0], lrs[1], rtol=1e-13)


def test_closed_form_epoch_argument(torch):
    for name in ("constant", "linear", "polynomial"):
        got = []
        for lib in (gn, torch):
            opt = _optimizer(lib, "sgd")
            sched = _sched(name)(lib.optim.lr_scheduler, opt)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                sched.step(6)
            got.append(sched.get_last_lr())
        np.testing.assert_allclose(got[0], got[1], rtol=1e-13)


def test_bad_arguments():
    sch = gn.optim.lr_scheduler
    opt = _optimizer(gn, "sgd")
    with pytest.raises(ValueError, match="factor"):
        sch.ConstantLR(opt, factor=2.0)
    with pytest.raises(ValueError, match="start_factor"):
        sch.LinearLR(opt, start_factor=0.0)
    with pytest.raises(ValueError, match="T_0"):
        sch.CosineAnnealingWarmRestarts(opt, T_0=0)
    with pytest.raises(ValueError, match="total_steps"):
        sch.OneCycleLR(opt, max_lr=1.0)
    with pytest.raises(ValueError, match="pct_start"):
        sch.OneCycleLR(opt, max_lr=1.0, total_steps=10, pct_start=2.0)
    with pytest.raises(ValueError, match="max_lr"):
        sch.OneCycleLR(opt, max_lr=[1.0, 2.0, 3.0], total_steps=10)
    with pytest.raises(ValueError, match="momentum"):
        sch.OneCycleLR(gn.optim.Adagrad([gn.zeros(2, requires_grad=True)]), max_lr=1.0,
                       total_steps=10)
    with pytest.raises(ValueError, match="milestones"):
        sch.SequentialLR(opt, [sch.ConstantLR(opt), sch.ConstantLR(opt)], milestones=[])
    other = _optimizer(gn, "sgd")
    with pytest.raises(ValueError, match="different optimizer"):
        sch.SequentialLR(opt, [sch.ConstantLR(opt), sch.ConstantLR(other)], milestones=[2])
    one = sch.OneCycleLR(_optimizer(gn, "sgd"), max_lr=1.0, total_steps=3)
    one.step()
    one.step()
    one.step()
    with pytest.raises(ValueError, match="total_steps"):
        one.step()
