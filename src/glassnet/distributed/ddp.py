"""DistributedDataParallel: the same model on every rank, gradients averaged over ranks.

At wrap time the ranks compare their parameter and buffer shapes (one small all-gather;
a mismatch is an error on every rank naming the first differing parameter, never a
hang) and rank 0's parameters and buffers are broadcast, so every rank starts from the
same weights. The parameters are grouped into buckets (about ``bucket_cap_mb`` MB each,
the first one 1 MB, in reverse registration order, which is roughly the order backward
produces their gradients). During ``loss.backward()`` the engine reports each parameter
whose gradient is complete; when a bucket's last gradient arrives, the bucket is copied
into one flat buffer and its all-reduce starts without blocking, while backward goes on
with the layers below. When backward ends, the remaining buckets are sent, every
reduction is awaited, and each ``p.grad`` becomes the average over the ranks: after
``backward()`` returns, every rank holds the same gradients, ready for
``optimizer.step()``.

Buckets are started strictly in order, so every rank issues the same collectives in the
same order even if its graph reports gradients in another order.
"""

from __future__ import annotations

import contextlib

import numpy as np

from .. import autograd
from ..autograd import is_grad_enabled
from ..nn.module import Module
from ..tensor import Tensor
from . import process_group as pg

__all__ = ["DistributedDataParallel"]

_FIRST_BUCKET_BYTES = 1 << 20


class _Bucket:
    __slots__ = ("params", "offsets", "size", "dtype", "left", "buffer", "work")

    def __init__(self, params: list, dtype):
        self.params = params
        self.dtype = dtype
        sizes = [int(p.data.size) for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        # one extra slot per parameter counts the ranks that produced a gradient for it,
        # so a parameter unused on every rank keeps grad None, as in a single process
        self.size = int(self.offsets[-1]) + len(params)
        self.left = len(params)
        self.buffer = None
        self.work = None


class DistributedDataParallel(Module):
    """Wrap ``module`` for data-parallel training over the ranks of
    ``gn.distributed`` (call :func:`init_process_group` first).

    ``ddp(x)`` runs ``module(x)``; ``loss.backward()`` then leaves in every ``p.grad``
    the average of the ranks' gradients (bucketed all-reduces overlapped with backward).
    ``ddp.module`` is the wrapped model (save ``ddp.module.state_dict()`` to get keys
    without the ``"module."`` prefix).

    Args:
        module: the model; its parameters and buffers must have the same names and
            shapes on every rank.
        broadcast_buffers: send rank 0's buffers (BatchNorm running statistics) to every
            rank at the start of each training forward pass, as PyTorch does.
        bucket_cap_mb: the size of a gradient bucket in MB (the first one is 1 MB).
        find_unused_parameters: accepted for PyTorch compatibility: unused parameters
            are always handled (their gradient is averaged with zeros from the ranks
            that did not use them, and stays None where no rank used them).
        device_ids, output_device, dim, process_group, check_reduction,
        gradient_as_bucket_view, static_graph: accepted for PyTorch compatibility (CPU
            only: ``device_ids`` must be None or ``["cpu"]``).
    """

    def __init__(self, module: Module, device_ids=None, output_device=None, dim: int = 0,
                 broadcast_buffers: bool = True, process_group=None,
                 bucket_cap_mb: float | None = None, find_unused_parameters: bool = False,
                 check_reduction: bool = False, gradient_as_bucket_view: bool = False,
                 static_graph: bool = False):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: expected a gn.nn.Module, got "
                            f"{type(module).__name__}")
        if isinstance(module, DistributedDataParallel):
            raise TypeError("DistributedDataParallel: the module is already wrapped")
        if device_ids not in (None, ["cpu"], ("cpu",)) or output_device not in (None, "cpu"):
            raise ValueError("DistributedDataParallel: glassnet runs on the CPU; leave "
                             "device_ids and output_device as None")
        cap = 25.0 if bucket_cap_mb is None else float(bucket_cap_mb)
        if not cap > 0:
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be positive, "
                             f"got {bucket_cap_mb}")
        world = pg._get()
        self.module = module
        self.broadcast_buffers = bool(broadcast_buffers)
        self.bucket_cap_mb = cap
        named = [(n, p) for n, p in module.named_parameters() if p.requires_grad]
        self._check_shapes(named, list(module.named_buffers()))
        self._sync_start_state(named)
        d = self.__dict__  # plain attributes: not parameters, not submodules
        d["_world_size"] = world.size
        d["_params"] = [p for _, p in named]
        d["_names"] = [n for n, _ in named]
        d["_buckets"] = self._make_buckets(d["_params"], cap)
        d["_where"] = {id(p): b for b in d["_buckets"] for p in b.params}
        d["_armed"] = False
        d["_sync"] = True
        d["_next"] = 0
        d["_seen"] = 0
        # one rank has nothing to average: its gradients are used as they are; tests set
        # this to run the bucket machinery in one process
        d["_reduce_alone"] = False

    # --- wrap time -------------------------------------------------------------------
    @staticmethod
    def _check_shapes(named: list, buffers: list) -> None:
        mine = [[n, list(p.shape), str(p.data.dtype)] for n, p in named]
        mine += [["buffer " + n, list(b.shape), str(np.asarray(b.data).dtype)]
                 for n, b in buffers]
        world = pg._get()
        if world.size == 1:
            return
        everyone = pg._allgather_json(mine, "DistributedDataParallel shape check")
        ref = everyone[0]
        for r, theirs in enumerate(everyone[1:], 1):
            for i in range(max(len(ref), len(theirs))):
                a = ref[i] if i < len(ref) else None
                b = theirs[i] if i < len(theirs) else None
                if a != b:
                    def show(e):
                        return "nothing" if e is None else \
                            f"{e[0]!r} of shape {tuple(e[1])} ({e[2]})"
                    raise ValueError(
                        f"DistributedDataParallel: the ranks hold different models: "
                        f"parameter #{i} is {show(a)} on rank 0 but {show(b)} on rank {r}; "
                        f"build the same model on every rank")

    def _sync_start_state(self, named: list) -> None:
        """Rank 0's parameters and buffers, coalesced into one broadcast per dtype."""
        if pg._get().size == 1:
            return
        tensors = [p for _, p in named] + [b for _, b in self.module.named_buffers()]
        _broadcast_coalesced(tensors)

    def _make_buckets(self, params: list, cap_mb: float) -> list:
        full = int(cap_mb * (1 << 20))
        buckets, current, nbytes, cap = [], [], 0, min(_FIRST_BUCKET_BYTES, full)
        for p in reversed(params):  # roughly the order backward finishes them
            if current and (p.data.dtype != current[0].data.dtype or nbytes >= cap):
                buckets.append(_Bucket(current, current[0].data.dtype))
                current, nbytes, cap = [], 0, full
            current.append(p)
            nbytes += p.data.nbytes
        if current:
            buckets.append(_Bucket(current, current[0].data.dtype))
        return buckets

    # --- forward ---------------------------------------------------------------------
    def forward(self, *args, **kwargs):
        if self.training and is_grad_enabled():
            if self.broadcast_buffers and self._world_size > 1:
                bufs = [b for _, b in self.module.named_buffers()]
                if bufs:
                    _broadcast_coalesced(bufs)
            if self._sync and self._buckets and (self._world_size > 1 or self._reduce_alone):
                self._arm()
        return self.module(*args, **kwargs)

    @contextlib.contextmanager
    def no_sync(self):
        """Inside this context backward only accumulates local gradients (no
        communication); the first backward after it averages the accumulated ones."""
        old = self._sync
        self.__dict__["_sync"] = False
        try:
            yield
        finally:
            self.__dict__["_sync"] = old

    # --- backward --------------------------------------------------------------------
    def _arm(self) -> None:
        d = self.__dict__
        for b in self._buckets:
            b.left, b.buffer, b.work = len(b.params), None, None
        d["_next"], d["_seen"] = 0, 0
        if not self._armed:
            d["_armed"] = True
            autograd._grad_ready_hooks.append(self._on_ready)

    def _disarm(self) -> None:
        if self._armed:
            self.__dict__["_armed"] = False
            autograd._grad_ready_hooks.remove(self._on_ready)

    def _on_ready(self, leaf) -> None:
        if leaf is None:
            if self._seen:  # this pass went through our parameters: finish the reduction
                try:
                    self._finish()
                finally:
                    self._disarm()
            return
        b = self._where.get(id(leaf))
        if b is None:
            return
        self.__dict__["_seen"] += 1
        b.left -= 1
        if b.left == 0:
            self._launch_ready()
        else:
            self._progress()

    def _launch_ready(self) -> None:
        """Start the ready buckets in order (bucket k never before bucket k - 1)."""
        buckets = self._buckets
        while self._next < len(buckets) and buckets[self._next].left == 0:
            self._launch(buckets[self._next])
            self.__dict__["_next"] += 1
        self._progress()

    def _launch(self, b: _Bucket) -> None:
        # the parameters' dtype now (a model may be cast after wrapping); a fresh buffer
        # each step, since the gradients become views of it
        buf = np.empty(b.size, dtype=np.result_type(*[p.data.dtype for p in b.params]))
        off, n = b.offsets, len(b.params)
        flags = buf[off[-1]:]
        for i, p in enumerate(b.params):
            g = p.grad
            if g is None:
                buf[off[i]:off[i + 1]] = 0
                flags[i] = 0
            else:
                buf[off[i]:off[i + 1]] = g.data.reshape(-1)
                flags[i] = 1
        assert flags.size == n
        b.buffer = buf
        # shapes were compared at wrap time: no per-call check
        b.work = pg._all_reduce(buf, pg.ReduceOp.SUM, async_op=True, check=False)

    def _progress(self) -> None:
        """Let MPI move the started reductions along (it progresses inside MPI calls)."""
        for b in self._buckets[:self._next]:
            if b.work is not None and not b.work._finished:
                b.work.is_completed()

    def _finish(self) -> None:
        for b in self._buckets[self._next:]:  # parameters the pass never reached
            b.left = 0
        self._launch_ready()
        scale = 1.0 / self._world_size
        for b in self._buckets:
            b.work.wait()
            buf, off = b.buffer, b.offsets
            used = buf[off[-1]:]
            grads = buf[:off[-1]]
            if scale != 1.0:
                np.multiply(grads, scale, out=grads, casting="unsafe")
            for i, p in enumerate(b.params):
                if used[i] == 0:
                    p.grad = None
                else:
                    p.grad = Tensor._wrap(grads[off[i]:off[i + 1]].reshape(p.data.shape))
            b.buffer = b.work = None

    def __del__(self):
        try:
            self._disarm()
        except Exception:  # noqa: BLE001 - interpreter shutdown
            pass

    def extra_repr(self) -> str:
        sizes = ", ".join(str(len(b.params)) for b in self._buckets)
        return f"world_size={self._world_size}, buckets of [{sizes}] parameters"


def _broadcast_coalesced(tensors: list, src: int = 0) -> None:
    by_dtype: dict = {}
    for t in tensors:
        a = t.data if isinstance(t, Tensor) else t
        by_dtype.setdefault(np.asarray(a).dtype, []).append(t)
    for dtype, group in by_dtype.items():
        arrays = [t.data if isinstance(t, Tensor) else t for t in group]
        flat = np.concatenate([np.asarray(a, dtype=dtype).reshape(-1) for a in arrays])
        pg.broadcast(flat, src)
        off = 0
        for t, a in zip(group, arrays):
            n = a.size
            new = flat[off:off + n].reshape(a.shape)
            if isinstance(t, Tensor):
                t.data = new.copy()
            else:
                np.copyto(a, new)
            off += n
