"""gn.distributed: the single-rank world, collectives and DistributedSampler against their
single-process meaning, DistributedDataParallel's gradients, gn.fit(distributed=True),
and (through mpiexec with 2 ranks, every run bounded by a timeout) the same weights as
one process, faults that end the job instead of hanging it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

import glassnet as gn
import glassnet.distributed as dist
from glassnet import autograd
from glassnet.data import DistributedSampler

nn, F = gn.nn, gn.nn.functional


@pytest.fixture
def world():
    """A single-rank world for the test, torn down after it."""
    if dist.is_initialized():
        dist.destroy_process_group()
    dist.init_process_group(backend="single")
    yield
    dist.destroy_process_group()


def _mlp(seed=0, f=4, h=8, c=3):
    gn.manual_seed(seed)
    return nn.Sequential(nn.Linear(f, h), nn.ReLU(), nn.Linear(h, c))


def _grads(model):
    return {n: None if p.grad is None else p.grad.data.copy()
            for n, p in model.named_parameters()}


# --- the world ---------------------------------------------------------------------------
def test_single_rank_world_without_mpiexec_and_no_mpi4py_on_import():
    code = ("import sys, glassnet as gn; import glassnet.distributed as d; "
            "assert 'mpi4py' not in sys.modules; d.init_process_group(); "
            "print(d.get_rank(), d.get_world_size(), d.get_backend(), 'mpi4py' in sys.modules)")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PMI_", "OMPI_", "PMIX_"))}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, env=env)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["0", "1", "single", "False"]


def test_world_errors():
    if dist.is_initialized():
        dist.destroy_process_group()
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.get_rank()
    with pytest.raises(RuntimeError, match="init_process_group"):
        dist.DistributedDataParallel(_mlp())
    with pytest.raises(ValueError, match="'nccl' is not available.*mpiexec"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="timeout"):
        dist.init_process_group(timeout=0)
    with pytest.raises(ValueError, match="world_size=2 was given"):
        dist.init_process_group(backend="single", world_size=2)
    dist.init_process_group(backend="single")
    try:
        with pytest.raises(RuntimeError, match="already initialized"):
            dist.init_process_group()
    finally:
        dist.destroy_process_group()
    assert not dist.is_initialized()


def test_collectives_in_a_single_rank_world(world):
    t = gn.tensor([1.0, -2.0, 3.0])
    for op in (dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.MAX, dist.ReduceOp.MIN,
               dist.ReduceOp.PRODUCT):
        dist.all_reduce(t, op=op)  # the reduction over one rank is the value itself
        np.testing.assert_array_equal(t.data, [1.0, -2.0, 3.0])
    work = dist.all_reduce(t, async_op=True)
    assert work.wait() and work.is_completed()
    out = [gn.zeros(3)]
    dist.all_gather(out, t)
    np.testing.assert_array_equal(out[0].data, t.data)
    dist.broadcast(t, src=0)
    dist.barrier()
    objs = [None]
    dist.all_gather_object(objs, {"a": [1, 2]})
    assert objs == [{"a": [1, 2]}]
    with pytest.raises(ValueError, match="src=1 is not a rank"):
        dist.broadcast(t, src=1)
    with pytest.raises(ValueError, match="unknown op"):
        dist.all_reduce(t, op="mean")
    with pytest.raises(TypeError, match="AVG needs a floating-point tensor"):
        dist.all_reduce(gn.tensor([1, 2]), op=dist.ReduceOp.AVG)
    with pytest.raises(TypeError, match="expected a Tensor"):
        dist.all_reduce([1.0, 2.0])
    with pytest.raises(ValueError, match="list of world_size=1"):
        dist.all_gather([gn.zeros(3), gn.zeros(3)], t)
    with pytest.raises(ValueError, match=r"tensor_list\[0\] has shape \(2,\)"):
        dist.all_gather([gn.zeros(2)], t)
    with pytest.raises(TypeError, match="JSON"):
        dist.all_gather_object([None], object())


# --- DistributedSampler ------------------------------------------------------------------
@pytest.mark.parametrize("n", [0, 1, 5, 7, 10, 11])
@pytest.mark.parametrize("world_size", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_sampler_matches_torch_without_shuffle(torch, n, world_size, drop_last):
    from torch.utils.data import DistributedSampler as TorchSampler

    data = list(range(n))
    for rank in range(world_size):
        ours = DistributedSampler(data, world_size, rank, shuffle=False, drop_last=drop_last)
        ref = TorchSampler(data, world_size, rank, shuffle=False, drop_last=drop_last)
        assert list(ours) == list(ref) and len(ours) == len(ref)


@pytest.mark.parametrize("n, world_size", [(10, 2), (11, 4), (3, 4), (64, 4)])
def test_sampler_shards_are_one_shared_order(n, world_size):
    """The ranks' shards interleave back into one permutation (padded by repeating its
    head), the same on every rank for an epoch, new for the next epoch."""
    samplers = [DistributedSampler(range(n), world_size, r, seed=3) for r in range(world_size)]
    order = samplers[0].order()
    assert sorted(set(order.tolist())) == list(range(n)) and len(order) % world_size == 0
    np.testing.assert_array_equal(order[n:], np.resize(order[:n], len(order) - n))
    shards = [list(s) for s in samplers]
    assert {len(s) for s in shards} == {len(samplers[0])}
    np.testing.assert_array_equal(np.stack(shards, axis=1).reshape(-1), order)
    first = shards[0]
    for s in samplers:
        s.set_epoch(1)
    assert list(samplers[0]) != first or n < 4
    assert list(DistributedSampler(range(n), world_size, 0, seed=3)) == first  # same seed


def test_sampler_global_batches_equal_single_process_batches():
    """With per-rank batch B / N, the ranks' k-th batches together are the k-th batch of B
    samples of one process reading the same order: what makes N ranks train as one."""
    n, B, N = 40, 8, 4
    samplers = [DistributedSampler(range(n), N, r, seed=1) for r in range(N)]
    order = samplers[0].order()
    shards = [np.array(list(s)) for s in samplers]
    for k in range(n // B):
        together = np.concatenate([s[k * (B // N):(k + 1) * (B // N)] for s in shards])
        assert sorted(together.tolist()) == sorted(order[k * B:(k + 1) * B].tolist())


def test_sampler_errors(world):
    with pytest.raises(ValueError, match=r"rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="num_replicas must be positive"):
        DistributedSampler(range(4), num_replicas=0, rank=0)
    with pytest.raises(TypeError, match="no len"):
        DistributedSampler(iter(range(4)), 1, 0)
    s = DistributedSampler(range(5))  # the world's rank and size
    assert (s.rank, s.num_replicas, len(s)) == (0, 1, 5)
    data = list(range(5))
    s = DistributedSampler(data, 2, 0)
    data.append(5)
    with pytest.raises(RuntimeError, match="changed length"):
        list(s)


def test_sampler_needs_a_world_or_arguments():
    if dist.is_initialized():
        dist.destroy_process_group()
    with pytest.raises(RuntimeError, match="num_replicas and rank"):
        DistributedSampler(range(4))


# --- the engine's gradient-ready hook ----------------------------------------------------
def test_grad_ready_hook_fires_once_per_leaf_with_its_final_gradient():
    gn.manual_seed(0)
    w = gn.randn(3, 3, requires_grad=True)
    b = gn.randn(3, requires_grad=True)
    unused_path = gn.randn(3, requires_grad=True)
    x = gn.randn(4, 3)
    seen = []

    def hook(leaf):
        seen.append(None if leaf is None else (id(leaf), leaf.grad.data.copy()))

    autograd._grad_ready_hooks.append(hook)
    try:
        h = (x @ w + b).relu()
        loss = (h @ w).sum() + (unused_path * 0).sum() + b.sum()  # w and b used twice
        loss.backward()
    finally:
        autograd._grad_ready_hooks.remove(hook)
    assert seen[-1] is None and len(seen) == 4
    final = {id(t): t.grad.data for t in (w, b, unused_path)}
    for key, g in seen[:-1]:
        np.testing.assert_array_equal(g, final[key])
    assert {k for k, _ in seen[:-1]} == set(final)


# --- DistributedDataParallel in one process ----------------------------------------------
def test_ddp_gradients_equal_the_plain_model(world):
    ref = _mlp(h=32)
    model = _mlp(h=32)
    ddp = dist.DistributedDataParallel(model, bucket_cap_mb=0.0002)  # several buckets
    ddp._reduce_alone = True  # run the buckets although one rank has nothing to average
    assert len(ddp._buckets) > 1
    x, y = gn.randn(16, 4), gn.tensor(np.arange(16) % 3)
    for _ in range(2):
        for m in (ref, model):
            for p in m.parameters():
                p.grad = None
        F.cross_entropy(ref(x), y).backward()
        F.cross_entropy(ddp(x), y).backward()
        for (k, g), (_, g2) in zip(_grads(ref).items(), _grads(model).items()):
            np.testing.assert_array_equal(g2, g, err_msg=k)
    assert autograd._grad_ready_hooks == []  # disarmed after each backward
    assert list(ddp.state_dict()) == [f"module.{k}" for k in model.state_dict()]
    assert gn.nn.parallel.DistributedDataParallel is dist.DistributedDataParallel
    alone = dist.DistributedDataParallel(_mlp())  # one rank: nothing to average, no hooks
    alone(x)
    assert autograd._grad_ready_hooks == []


def test_ddp_starts_reductions_during_backward(world, monkeypatch):
    """Each bucket's all-reduce starts as soon as its last gradient is ready, in bucket
    order, while backward still has layers to go: the first bucket (the last layers) is
    sent before the first layer's gradients exist."""
    events = []
    model = nn.Sequential(nn.Linear(4, 64), nn.ReLU(), nn.Linear(64, 64), nn.ReLU(),
                          nn.Linear(64, 3))
    ddp = dist.DistributedDataParallel(model, bucket_cap_mb=0.0009)  # 3 buckets
    ddp._reduce_alone = True
    assert [len(b.params) for b in ddp._buckets] == [3, 1, 2]
    names = {id(p): n for n, p in model.named_parameters()}
    real = dist.process_group._all_reduce

    def spy(tensor, op, async_op, check):
        events.append(f"send {tensor.size}")
        return real(tensor, op, async_op, check)

    monkeypatch.setattr(dist.process_group, "_all_reduce", spy)

    def ready(leaf):
        events.append("end" if leaf is None else "ready " + names[id(leaf)])

    autograd._grad_ready_hooks.append(ready)  # before DDP's own, added by its forward
    try:
        ddp(gn.randn(8, 4)).sum().backward()
    finally:
        autograd._grad_ready_hooks.remove(ready)
    sends = [e for e in events if e.startswith("send")]
    assert sends == ["send 262", "send 4097", "send 322"]  # parameters + one flag each
    # a Linear hands over its weight and bias gradients together, layer after layer
    assert events[:-1] == ["ready 4.weight", "ready 4.bias", "ready 2.weight", "ready 2.bias",
                           "send 262", "send 4097", "ready 0.weight", "ready 0.bias",
                           "send 322"]
    assert events[-1] == "end" and autograd._grad_ready_hooks == []


def test_ddp_unused_parameters_no_sync_and_eval(world):
    class TwoHeads(nn.Module):
        def __init__(self):
            super().__init__()
            self.body, self.a, self.b = nn.Linear(4, 4), nn.Linear(4, 2), nn.Linear(4, 2)

        def forward(self, x):
            return self.a(self.body(x))  # self.b is never used

    model = TwoHeads()
    ddp = dist.DistributedDataParallel(model)
    ddp._reduce_alone = True
    x = gn.randn(3, 4)
    ddp(x).sum().backward()
    assert model.b.weight.grad is None and model.a.weight.grad is not None
    once = model.a.weight.grad.data.copy()
    with ddp.no_sync():  # accumulate locally, reduce with the next synced backward
        ddp(x).sum().backward()
    assert autograd._grad_ready_hooks == []
    ddp(x).sum().backward()
    np.testing.assert_allclose(model.a.weight.grad.data, 3 * once, rtol=1e-6)
    ddp.eval()
    with gn.no_grad():
        ddp(x)
    assert autograd._grad_ready_hooks == []
    with pytest.raises(TypeError, match="already wrapped"):
        dist.DistributedDataParallel(ddp)
    with pytest.raises(ValueError, match="CPU"):
        dist.DistributedDataParallel(model, device_ids=[0])


@pytest.mark.parametrize("shape", [(6, 4), (5, 4, 3), (3, 4, 5, 2)])
def test_sync_batchnorm_in_one_rank_is_batchnorm(world, shape):
    bn = {2: nn.BatchNorm1d, 3: nn.BatchNorm1d, 4: nn.BatchNorm2d}[len(shape)](4).double()
    sync = nn.SyncBatchNorm(4).double()
    for m in (bn, sync):
        m.weight.data[:] = np.arange(1.0, 5.0)
        m.bias.data[:] = 0.5
    x = np.random.default_rng(0).normal(size=shape)
    g = gn.tensor(np.random.default_rng(1).normal(size=shape))
    outs = []
    for m in (bn, sync):
        xt = gn.tensor(x, requires_grad=True)
        y = m(xt)
        (y * g).sum().backward()
        outs.append((y.data, xt.grad.data, m.weight.grad.data, m.bias.grad.data,
                     m.running_mean.data, m.running_var.data))
    for a, b in zip(*outs):
        np.testing.assert_allclose(b, a, rtol=1e-12, atol=1e-14)
    bn.eval()
    sync.eval()
    np.testing.assert_allclose(sync(gn.tensor(x)).data, bn(gn.tensor(x)).data, rtol=1e-12)
    model = nn.Sequential(nn.Linear(4, 4), nn.BatchNorm1d(4), nn.Sequential(nn.BatchNorm1d(4)))
    w = model[1].weight
    model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert isinstance(model[1], nn.SyncBatchNorm) and isinstance(model[2][0], nn.SyncBatchNorm)
    assert model[1].weight is w
    with pytest.raises(ValueError, match="expected input with 4 channels, got 3"):
        nn.SyncBatchNorm(4)(gn.randn(2, 3))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.SyncBatchNorm(4)(gn.randn(1, 4))


def test_fit_distributed_single_rank_equals_plain_fit(tmp_path):
    """distributed=True without mpiexec: a one-rank world, the same training as one
    process reading the same order; checkpoints resume as usual."""
    if dist.is_initialized():
        dist.destroy_process_group()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 4)).astype(np.float32)
    y = rng.integers(0, 3, 48)
    try:
        model = _mlp()
        h = gn.fit(model, (x, y), loss_fn=F.cross_entropy, epochs=3, batch_size=8,
                   optimizer=gn.optim.SGD(model.parameters(), lr=0.1), val_data=(x, y),
                   generator=gn.Generator(0), distributed=True, progress=False,
                   checkpoint=tmp_path / "d.ckpt")
        assert dist.is_initialized() and dist.get_world_size() == 1
        # the reference: the same shuffles (the sampler's seed from the same generator)
        seed = int(gn.Generator(0).np_rng.integers(0, 2**31 - 1))
        ref = _mlp()
        opt = gn.optim.SGD(ref.parameters(), lr=0.1)
        for epoch in range(1, 4):
            s = DistributedSampler(range(48), 1, 0, seed=seed)
            s.set_epoch(epoch)
            order = np.array(list(s))
            for i in range(0, 48, 8):
                opt.zero_grad()
                idx = order[i:i + 8]
                F.cross_entropy(ref(gn.tensor(x[idx])), gn.tensor(y[idx])).backward()
                opt.step()
        for (k, p), (_, q) in zip(model.named_parameters(), ref.named_parameters()):
            np.testing.assert_array_equal(p.data, q.data, err_msg=k)
        assert len(h) == 3 and h["val_loss"][-1] == pytest.approx(
            gn.train.evaluate(model, (x, y), loss_fn=F.cross_entropy)["loss"], rel=1e-6)
        ck = gn.load_checkpoint(tmp_path / "d.ckpt", restore_rng=False)
        assert ck["extra"]["sampler_seed"] == seed and "0.weight" in ck["model"]
    finally:
        dist.destroy_process_group()


# --- through mpiexec ---------------------------------------------------------------------
def _mpiexec() -> str:
    pytest.importorskip("mpi4py")
    exe = Path(sys.executable).parent / "mpiexec"
    found = str(exe) if exe.exists() else shutil.which("mpiexec")
    if found is None:
        pytest.skip("mpiexec not found (pip install mpich)")
    return found


def _env() -> dict:
    env = dict(os.environ)
    env.update(OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1",
               PYTHONUNBUFFERED="1")
    return env


def _mpirun(n: int, args: list, timeout: float = 120, cwd=None):
    cmd = [_mpiexec(), "-n", str(n), sys.executable, *args]
    start = time.monotonic()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=_env(),
                         cwd=cwd)
    return out, time.monotonic() - start


def test_example_two_ranks_give_one_process_weights(tmp_path):
    """The issue's equality test: same global batch and seed, N = 1 and N = 2 ranks end
    with the same weights to float32 round-off."""
    _mpiexec()
    example = ["-m", "glassnet.examples.distributed_digits", "--epochs", "3", "--no-progress"]
    one = subprocess.run([sys.executable, *example, "--out", str(tmp_path / "w1.safetensors")],
                         capture_output=True, text=True, timeout=120, env=_env())
    assert one.returncode == 0, one.stderr
    two, _ = _mpirun(2, [*example, "--out", str(tmp_path / "w2.safetensors")])
    assert two.returncode == 0, two.stderr
    assert two.stdout.count("held-out accuracy") == 1  # rank 0 only
    assert "2 rank(s), global batch 64 (32 per rank)" in two.stdout
    w1, w2 = gn.load(tmp_path / "w1.safetensors"), gn.load(tmp_path / "w2.safetensors")
    assert list(w1) == list(w2)
    for k in w1:
        a, b = w1[k].data, w2[k].data
        assert np.abs(a).max() > 0.05
        np.testing.assert_allclose(b, a, rtol=0, atol=1e-6, err_msg=k)
    acc = [ln.split("held-out accuracy ")[1][:6] for ln in (one.stdout, two.stdout)]
    assert acc[0] == acc[1] and float(acc[0]) > 0.9


WORKER = r'''
import json, sys
import numpy as np
import glassnet as gn
import glassnet.distributed as dist

nn, F = gn.nn, gn.nn.functional
dist.init_process_group()
r, n = dist.get_rank(), dist.get_world_size()
out = {"rank": r, "size": n, "backend": dist.get_backend()}

def mine(k):  # rank k's tensor in every test: known to all ranks
    return (np.arange(6, dtype=np.float64).reshape(2, 3) + 10 * k) * (-1) ** k

for op in ("sum", "avg", "max", "min", "product"):
    t = gn.tensor(mine(r))
    dist.all_reduce(t, op=op)
    out[op] = t.data.tolist()
flags = gn.tensor(np.array([r == 0, r == 1, True, False]))
dist.all_reduce(flags)  # booleans: sum is "any"
out["any"] = flags.data.tolist()
flags = gn.tensor(np.array([r == 0, r == 1, True, False]))
dist.all_reduce(flags, op="min")  # min is "all"
out["all"] = flags.data.tolist()
t = gn.tensor(mine(r).astype(np.float32))
w = dist.all_reduce(t, async_op=True)
w.wait()
out["async_sum32"] = t.data.tolist()
gathered = [gn.zeros(2, 3, dtype=gn.float64) for _ in range(n)]
dist.all_gather(gathered, gn.tensor(mine(r)))
out["gather"] = [g.data.tolist() for g in gathered]
t = gn.tensor(mine(r))
dist.broadcast(t, src=n - 1)
out["bcast"] = t.data.tolist()
objs = [None] * n
dist.all_gather_object(objs, {"r": r})
out["objects"] = objs

# DDP: the averaged gradient is the gradient of the union of the ranks' batches
gn.manual_seed(100 + r)  # different initial weights: DDP must broadcast rank 0's
model = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3))
ddp = dist.DistributedDataParallel(model, bucket_cap_mb=0.0005)
rng = np.random.default_rng(0)
X = rng.normal(size=(8 * n, 4)); Y = rng.integers(0, 3, 8 * n)
model.double()
F.cross_entropy(ddp(gn.tensor(X[r * 8:(r + 1) * 8])), gn.tensor(Y[r * 8:(r + 1) * 8])).backward()
out["ddp_weights"] = {k: v.data.tolist() for k, v in model.state_dict().items()}
out["ddp_grads"] = {k: p.grad.data.tolist() for k, p in model.named_parameters()}
out["X"], out["Y"] = X.tolist(), Y.tolist()

# SyncBatchNorm: 2 ranks with half batches compute one process's batch norm of the whole
gn.manual_seed(7)
sm = nn.Sequential(nn.Linear(4, 6), nn.SyncBatchNorm(6), nn.ReLU(), nn.Linear(6, 3)).double()
sddp = dist.DistributedDataParallel(sm)
sl = slice(r * 8, (r + 1) * 8)
F.cross_entropy(sddp(gn.tensor(X[sl])), gn.tensor(Y[sl])).backward()
out["sbn_grads"] = {k: p.grad.data.tolist() for k, p in sm.named_parameters()}
out["sbn_running_var"] = sm[1].running_var.data.tolist()

# fit: reduced logs, the same early-stopping decision on every rank, rank 0 checkpoints
ckpt = sys.argv[1]
gn.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))
Xf = rng.normal(size=(40, 4)).astype(np.float32); Yf = rng.integers(0, 3, 40)
h = gn.fit(model, (Xf, Yf), loss_fn=F.cross_entropy, epochs=int(sys.argv[2]),
           batch_size=4 // n, val_data=(Xf, (Yf + 1) % 3), generator=gn.Generator(5),
           optimizer=gn.optim.SGD(model.parameters(), lr=0.1), early_stopping=2,
           checkpoint=dict(path=ckpt, every=1), progress=False)
out["history"] = h.to_dict()
out["running_mean"] = model[1].running_mean.data.tolist()
out["stop_reason"] = h.stop_reason

# distributed=None inside a world of 2: automatic; a callback stopping rank 1 stops both
def stop(t, e, logs):
    if r == 1 and e == 2:
        t.stop_training = True

h = gn.fit(model, (Xf, Yf), loss_fn=F.cross_entropy, epochs=5, batch_size=2,
           optimizer=gn.optim.SGD(model.parameters(), lr=0.1), progress=False,
           callbacks=[gn.train.LambdaCallback(on_epoch_end=stop)])
out["stopped_after"] = len(h)
with open(f"{sys.argv[3]}.{r}.json", "w") as f:  # one file per rank: no interleaved lines
    json.dump(out, f)
'''


def _results(prefix: Path, n: int) -> list[dict]:
    return [json.loads(Path(f"{prefix}.{r}.json").read_text()) for r in range(n)]


def test_collectives_ddp_and_fit_over_two_ranks(tmp_path):
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    out, _ = _mpirun(2, [str(script), str(tmp_path / "run.ckpt"), "30", str(tmp_path / "res")])
    assert out.returncode == 0, out.stderr
    res = _results(tmp_path / "res", 2)
    assert [d["rank"] for d in res] == [0, 1] and {d["size"] for d in res} == {2}
    assert {d["backend"] for d in res} == {"mpi"}

    def mine(k):
        return (np.arange(6, dtype=np.float64).reshape(2, 3) + 10 * k) * (-1) ** k

    every = np.stack([mine(k) for k in range(2)])
    expect = {"sum": every.sum(0), "avg": every.mean(0), "max": every.max(0),
              "min": every.min(0), "product": every.prod(0), "async_sum32": every.sum(0),
              "bcast": mine(1)}
    for d in res:
        for key, value in expect.items():
            np.testing.assert_allclose(d[key], value, rtol=1e-6, err_msg=key)
        np.testing.assert_array_equal(d["gather"], every)
        assert d["any"] == [True, True, True, False] and d["all"] == [False, False, True, False]
        assert d["objects"] == [{"r": 0}, {"r": 1}]
    # DDP: rank 0's weights everywhere; the gradient of the 16 samples of both ranks
    r0, r1 = res
    assert r0["ddp_weights"] == r1["ddp_weights"] and r0["ddp_grads"] == r1["ddp_grads"]
    gn.manual_seed(100)
    ref = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3)).double()
    for k, v in ref.state_dict().items():
        np.testing.assert_allclose(r0["ddp_weights"][k], v.data, rtol=1e-7)
    F.cross_entropy(ref(gn.tensor(np.array(r0["X"]))), gn.tensor(np.array(r0["Y"]))).backward()
    for k, p in ref.named_parameters():
        np.testing.assert_allclose(r0["ddp_grads"][k], p.grad.data, rtol=1e-10, atol=1e-13,
                                   err_msg=k)
    # SyncBatchNorm over 2 ranks == BatchNorm over the whole batch in one process
    gn.manual_seed(7)
    ref = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3)).double()
    F.cross_entropy(ref(gn.tensor(np.array(r0["X"]))), gn.tensor(np.array(r0["Y"]))).backward()
    for k, p in ref.named_parameters():
        for d in res:
            np.testing.assert_allclose(d["sbn_grads"][k], p.grad.data, rtol=1e-9, atol=1e-12,
                                       err_msg=k)
    for d in res:
        np.testing.assert_allclose(d["sbn_running_var"], ref[1].running_var.data, rtol=1e-12)
    # fit: the same (reduced) history and early-stopping decision on both ranks
    assert r0["history"] == r1["history"] and r0["stop_reason"] == r1["stop_reason"]
    assert r0["running_mean"] == r1["running_mean"]  # rank 0's BatchNorm buffers everywhere
    assert r0["stopped_after"] == r1["stopped_after"] == 2
    assert r0["stop_reason"] and "early stopping" in r0["stop_reason"]
    assert len(r0["history"]["epoch"]) < 30
    ck = gn.load_checkpoint(tmp_path / "run.ckpt", restore_rng=False)
    assert ck["epoch"] == len(r0["history"]["epoch"])
    assert ck["extra"]["history"]["val_loss"] == r0["history"]["val_loss"]


RESUME = r'''
import sys
import numpy as np
import glassnet as gn
import glassnet.distributed as dist

nn, F = gn.nn, gn.nn.functional
dist.init_process_group()
n = dist.get_world_size()
gn.manual_seed(0)
model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3))
rng = np.random.default_rng(1)
X = rng.normal(size=(48, 4)).astype(np.float32); Y = rng.integers(0, 3, 48)
opt = gn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
epochs, ckpt, resume, out = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
gn.fit(model, (X, Y), loss_fn=F.cross_entropy, epochs=epochs, batch_size=8 // n,
       optimizer=opt, generator=gn.Generator(3), checkpoint=ckpt if ckpt != "-" else None,
       resume_from=resume if resume != "-" else None, progress=False, distributed=True)
if dist.get_rank() == 0:
    gn.save(model.state_dict(), out)
'''


def test_resume_with_a_different_number_of_ranks(tmp_path):
    """4 epochs on 1 rank == 2 epochs on 2 ranks, then 2 more on 1 rank from the
    checkpoint (the global batch stays 8), to float32 round-off."""
    script = tmp_path / "resume.py"
    script.write_text(RESUME)
    p = str(tmp_path)
    full = subprocess.run([sys.executable, str(script), "4", "-", "-", p + "/full.st"],
                          capture_output=True, text=True, timeout=120, env=_env())
    assert full.returncode == 0, full.stderr
    first, _ = _mpirun(2, [str(script), "2", p + "/half.ckpt", "-", p + "/half.st"])
    assert first.returncode == 0, first.stderr
    rest = subprocess.run([sys.executable, str(script), "4", "-", p + "/half.ckpt",
                           p + "/resumed.st"], capture_output=True, text=True, timeout=120,
                          env=_env())
    assert rest.returncode == 0, rest.stderr
    a, b = gn.load(p + "/full.st"), gn.load(p + "/resumed.st")
    for k in a:
        np.testing.assert_allclose(b[k].data, a[k].data, rtol=0, atol=1e-6, err_msg=k)


FAULTS = {
    "shapes": ("import glassnet as gn, glassnet.distributed as dist\n"
               "dist.init_process_group()\n"
               "r = dist.get_rank()\n"
               "m = gn.nn.Sequential(gn.nn.Linear(4, 8), gn.nn.ReLU(), "
               "gn.nn.Linear(8, 3 if r == 0 else 4))\n"
               "dist.DistributedDataParallel(m)\n"
               "print('not reached')\n"),
    "raises": ("import glassnet.distributed as dist\n"
               "dist.init_process_group()\n"
               "if dist.get_rank() == 1:\n"
               "    raise ValueError('rank 1 failed on purpose')\n"
               "dist.barrier()\n"
               "print('not reached')\n"),
    "sizes": ("import glassnet as gn, glassnet.distributed as dist\n"
              "dist.init_process_group()\n"
              "t = gn.zeros(3 + dist.get_rank())\n"
              "dist.all_reduce(t)\n"
              "print('not reached')\n"),
    "timeout": ("import glassnet.distributed as dist\n"
                "dist.init_process_group(timeout=1.0)\n"
                "if dist.get_rank() == 0:\n"
                "    dist.barrier()  # rank 1 never comes\n"
                "    print('not reached')\n"),
}


@pytest.mark.parametrize("case, message", [
    ("shapes", r"parameter #2 is '2.weight' of shape (3, 8) (float32) on rank 0 but "
               r"'2.weight' of shape (4, 8) (float32) on rank 1"),
    ("raises", "ValueError: rank 1 failed on purpose"),
    ("sizes", "all_reduce: the ranks passed different tensors: between 3 and 4 elements"),
    ("timeout", "barrier did not complete within 1 s"),
])
def test_faults_end_the_job_instead_of_hanging(tmp_path, case, message):
    script = tmp_path / f"{case}.py"
    script.write_text(FAULTS[case])
    out, elapsed = _mpirun(2, [str(script)], timeout=60)
    assert out.returncode != 0
    assert "not reached" not in out.stdout
    assert out.stderr.count(message) == 1, out.stderr  # printed once
    assert "aborting the job" in out.stderr
    assert elapsed < 30
