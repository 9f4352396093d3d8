"""Optimizers and schedulers against PyTorch: the same start and hyper-parameters give the
same parameter trajectory (float64, 1e-6), state_dict round trips, and the bad-input
errors."""

from __future__ import annotations

import json

import numpy as np
import pytest

import glassnet as gn
from conftest import assert_close
from glassnet import nn, optim
from glassnet.optim import lr_scheduler

torch = pytest.importorskip("torch")

STEPS = 6


def _problem(seed=0):
    rng = np.random.default_rng(seed)
    return {
        "W": rng.standard_normal((4, 3)), "b": rng.standard_normal(4),
        "V": rng.standard_normal((2, 4)),
        "x": rng.standard_normal((8, 3)), "y": rng.standard_normal((8, 2)),
    }


def _loss(lib, P, x, y):
    h = lib.tanh(x @ P["W"].T + P["b"])
    return ((h @ P["V"].T - y) ** 2).mean()


def _run(lib, make_opt, data, steps=STEPS, groups=False):
    tensor = (lambda a: gn.tensor(a, dtype=np.float64, requires_grad=True)) if lib is gn else \
        (lambda a: torch.tensor(a, dtype=torch.float64, requires_grad=True))
    P = {k: tensor(data[k]) for k in ("W", "b", "V")}
    x, y = (gn.tensor(data[k], dtype=np.float64) if lib is gn else torch.tensor(data[k])
            for k in ("x", "y"))
    mod = optim if lib is gn else torch.optim
    params = ([{"params": [P["W"], P["b"]]}, {"params": [P["V"]], "lr": 0.03}] if groups
              else list(P.values()))
    opt = make_opt(mod, params)
    trail = []
    for _ in range(steps):
        opt.zero_grad()
        _loss(lib, P, x, y).backward()
        opt.step()
        trail.append([np.array(p.detach().numpy()) for p in P.values()])
    return trail, opt, P


OPTIMIZERS = [
    pytest.param(lambda m, p: m.SGD(p, lr=0.1), id="sgd"),
    pytest.param(lambda m, p: m.SGD(p, lr=0.1, momentum=0.9), id="sgd_momentum"),
    pytest.param(lambda m, p: m.SGD(p, lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01),
                 id="sgd_dampening_wd"),
    pytest.param(lambda m, p: m.SGD(p, lr=0.05, momentum=0.8, nesterov=True, maximize=True),
                 id="sgd_nesterov_maximize"),
    pytest.param(lambda m, p: m.Adam(p, lr=0.01), id="adam"),
    pytest.param(lambda m, p: m.Adam(p, lr=0.01, betas=(0.8, 0.99), weight_decay=0.1,
                                     amsgrad=True), id="adam_amsgrad_wd"),
    pytest.param(lambda m, p: m.Adam(p, lr=0.02, maximize=True), id="adam_maximize"),
    pytest.param(lambda m, p: m.AdamW(p, lr=0.01), id="adamw"),
    pytest.param(lambda m, p: m.AdamW(p, lr=0.01, weight_decay=0.3, amsgrad=True),
                 id="adamw_amsgrad"),
    pytest.param(lambda m, p: m.RMSprop(p, lr=0.01), id="rmsprop"),
    pytest.param(lambda m, p: m.RMSprop(p, lr=0.01, alpha=0.9, momentum=0.5, centered=True,
                                        weight_decay=0.05), id="rmsprop_centered_momentum"),
    pytest.param(lambda m, p: m.Adagrad(p, lr=0.1), id="adagrad"),
    pytest.param(lambda m, p: m.Adagrad(p, lr=0.1, lr_decay=0.05, weight_decay=0.02,
                                        initial_accumulator_value=0.1), id="adagrad_decay"),
]


@pytest.mark.parametrize("make_opt", OPTIMIZERS)
@pytest.mark.parametrize("groups", [False, True], ids=["one_group", "two_groups"])
def test_trajectory_matches_torch(make_opt, groups):
    data = _problem()
    ours, _, _ = _run(gn, make_opt, data, groups=groups)
    ref, _, _ = _run(torch, make_opt, data, groups=groups)
    for step, (a, b) in enumerate(zip(ours, ref)):
        for pa, pb in zip(a, b):
            assert_close(pa, pb, f"step {step + 1}", rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("make_opt", OPTIMIZERS[1:2] + OPTIMIZERS[5:6] + OPTIMIZERS[10:12])
def test_state_dict_round_trip_continues_identically(make_opt):
    data = _problem(1)
    full, _, _ = _run(gn, make_opt, data, steps=6)
    _, opt, P = _run(gn, make_opt, data, steps=3)
    sd = opt.state_dict()
    # Plain data only: arrays and numbers, groups JSON-serialisable.
    json.dumps(sd["param_groups"])
    for entry in sd["state"].values():
        assert all(isinstance(v, (np.ndarray, int, float)) for v in entry.values())
    # A fresh optimizer on copies of the parameters, state restored (as if loaded from JSON).
    P2 = {k: gn.tensor(v.data.copy(), requires_grad=True) for k, v in P.items()}
    opt2 = make_opt(optim, list(P2.values()))
    opt2.load_state_dict({"state": {str(k): v for k, v in sd["state"].items()},
                          "param_groups": json.loads(json.dumps(sd["param_groups"]))})
    x, y = (gn.tensor(data[k], dtype=np.float64) for k in ("x", "y"))
    for _ in range(3):
        opt2.zero_grad()
        _loss(gn, P2, x, y).backward()
        opt2.step()
    for pa, pb in zip(P2.values(), full[-1]):
        assert np.array_equal(pa.data, pb)


def test_state_dict_layout_matches_torch():
    data = _problem()
    make = OPTIMIZERS[5].values[0]
    _, ours, _ = _run(gn, make, data, steps=2, groups=True)
    _, ref, _ = _run(torch, make, data, steps=2, groups=True)
    a, b = ours.state_dict(), ref.state_dict()
    assert [g["params"] for g in a["param_groups"]] == [g["params"] for g in b["param_groups"]]
    assert sorted(a["state"]) == sorted(b["state"])
    assert set(a["state"][0]) == set(b["state"][0])
    for k in ("exp_avg", "exp_avg_sq", "max_exp_avg_sq"):
        assert_close(a["state"][2][k], b["state"][2][k], k, rtol=1e-6)
    assert a["state"][0]["step"] == int(b["state"][0]["step"])


def test_update_never_mutates_gradient_arrays():
    p = gn.tensor([1.0, 2.0], dtype=np.float64, requires_grad=True)
    q = gn.tensor([3.0, 4.0], dtype=np.float64, requires_grad=True)
    g = np.array([0.5, -0.5])
    p.grad, q.grad = gn.Tensor(g), gn.Tensor(g)  # one array shared by two gradients
    for opt in (optim.SGD([p, q], lr=0.1, momentum=0.9, weight_decay=0.1, maximize=True),
                optim.Adam([p, q]), optim.RMSprop([p, q], centered=True),
                optim.Adagrad([p, q])):
        opt.step()
        opt.step()
    assert np.array_equal(g, [0.5, -0.5])


@pytest.mark.parametrize("call, match", [
    (lambda p: optim.SGD(p, lr=-0.1), "Invalid learning rate: -0.1"),
    (lambda p: optim.Adam(p, lr=-1), "Invalid learning rate"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.9)), "beta parameter at index 0"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov"),
    (lambda p: optim.RMSprop(p, eps=-1), "epsilon"),
    (lambda p: optim.SGD([], lr=0.1), "empty parameter list"),
    (lambda p: optim.SGD(p + p, lr=0.1), "same parameter twice"),
    (lambda p: optim.SGD([{"params": p}, {"params": p[:1]}], lr=0.1), "more than one"),
])
def test_bad_hyper_parameters(call, match):
    params = [gn.zeros(2, requires_grad=True), gn.zeros(3, requires_grad=True)]
    with pytest.raises(ValueError, match=match):
        call(params)


def test_zero_grad_add_param_group_and_closure():
    a = gn.ones(2, requires_grad=True)
    b = gn.ones(3, requires_grad=True)
    opt = optim.SGD([a], lr=0.5)
    opt.add_param_group({"params": [b], "lr": 0.1, "momentum": 0.9})
    assert opt.param_groups[1]["momentum"] == 0.9 and opt.param_groups[0]["momentum"] == 0

    def closure():
        opt.zero_grad()
        loss = (a * a).sum() + b.sum()
        loss.backward()
        return loss

    assert float(opt.step(closure)) == 5.0
    assert_close(a, [0.0, 0.0], "a after one step") and assert_close(b, [0.9] * 3, "b")
    opt.zero_grad(set_to_none=False)
    assert np.all(a.grad.data == 0)
    with pytest.raises(TypeError, match="single Tensor"):
        optim.SGD(a, lr=0.1)


def test_module_training_loop_decreases_loss():
    gen = gn.Generator(0)
    model = nn.Sequential(nn.Linear(2, 16, generator=gen), nn.Tanh(),
                          nn.Linear(16, 1, generator=gen))
    x = gn.tensor(np.random.default_rng(0).uniform(-1, 1, (64, 2)), dtype=np.float32)
    y = (x[:, :1] * x[:, 1:]).detach()
    opt = optim.Adam(model.parameters(), lr=0.02)
    first = None
    for _ in range(200):
        opt.zero_grad()
        loss = nn.functional.mse_loss(model(x), y)
        loss.backward()
        opt.step()
        first = first if first is not None else loss.item()
    assert loss.item() < 0.2 * first


# --- schedulers --------------------------------------------------------------------------

SCHEDULERS = [
    pytest.param(lambda m, o: m.StepLR(o, step_size=3, gamma=0.5), None, id="step"),
    pytest.param(lambda m, o: m.MultiStepLR(o, milestones=[2, 5, 5, 9], gamma=0.3), None,
                 id="multistep"),
    pytest.param(lambda m, o: m.ExponentialLR(o, gamma=0.9), None, id="exponential"),
    pytest.param(lambda m, o: m.CosineAnnealingLR(o, T_max=5, eta_min=0.01), None,
                 id="cosine"),
    pytest.param(lambda m, o: m.LambdaLR(o, lambda e: 1 / (1 + e)), None, id="lambda"),
    pytest.param(lambda m, o: m.LambdaLR(o, [lambda e: 0.9**e, lambda e: 1 + e]), None,
                 id="lambda_per_group"),
    pytest.param(lambda m, o: m.ReduceLROnPlateau(o, patience=2, cooldown=1, factor=0.5,
                                                  min_lr=0.011),
                 [1.0, 0.9, 0.95, 0.95, 0.95, 0.95, 0.8, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9],
                 id="plateau_min"),
    pytest.param(lambda m, o: m.ReduceLROnPlateau(o, mode="max", patience=1,
                                                  threshold_mode="abs", threshold=0.05),
                 [0.5, 0.52, 0.6, 0.61, 0.62, 0.7, 0.7, 0.7], id="plateau_max_abs"),
]


def _lr_trail(lib, make_sched, metrics, epochs=14):
    if lib is gn:
        ps = [gn.zeros(1, requires_grad=True), gn.zeros(1, requires_grad=True)]
        opt = optim.SGD([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.05}], lr=0.1)
        mod = lr_scheduler
    else:
        ps = [torch.zeros(1, requires_grad=True), torch.zeros(1, requires_grad=True)]
        opt = torch.optim.SGD([{"params": ps[:1]}, {"params": ps[1:], "lr": 0.05}], lr=0.1)
        mod = torch.optim.lr_scheduler
    sched = make_sched(mod, opt)
    trail = [[g["lr"] for g in opt.param_groups]]
    for e in range(len(metrics) if metrics else epochs):
        opt.step()
        sched.step(metrics[e]) if metrics else sched.step()
        trail.append(list(sched.get_last_lr()))
    return np.array(trail), sched, opt


@pytest.mark.parametrize("make_sched, metrics", SCHEDULERS)
def test_scheduler_matches_torch(make_sched, metrics):
    ours, _, _ = _lr_trail(gn, make_sched, metrics)
    ref, _, _ = _lr_trail(torch, make_sched, metrics)
    assert_close(ours, ref, "learning rates", rtol=1e-12)


@pytest.mark.parametrize("make_sched, metrics", SCHEDULERS)
def test_scheduler_state_dict_resumes(make_sched, metrics):
    n = len(metrics) if metrics else 14
    full, _, _ = _lr_trail(gn, make_sched, metrics)
    _, sched, opt = _lr_trail(gn, make_sched, metrics[: n // 2] if metrics else None, n // 2)
    sd = json.loads(json.dumps(sched.state_dict()))  # plain data only
    opt_sd = opt.state_dict()
    _, sched2, opt2 = _lr_trail(gn, make_sched, [] if metrics else None, 0)
    opt2.load_state_dict(opt_sd)
    sched2.load_state_dict(sd)
    rest = []
    for e in range(n // 2, n):
        opt2.step()
        sched2.step(metrics[e]) if metrics else sched2.step()
        rest.append(sched2.get_last_lr())
    assert_close(np.array(rest), full[n // 2 + 1:], "resumed schedule", rtol=1e-12)


def test_scheduler_errors():
    opt = optim.SGD([gn.zeros(1, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="factor"):
        lr_scheduler.ReduceLROnPlateau(opt, factor=1.5)
    with pytest.raises(KeyError, match="initial_lr"):
        lr_scheduler.StepLR(opt, 2, last_epoch=4)
    with pytest.raises(TypeError, match="Optimizer"):
        lr_scheduler.StepLR([1], 2)
