"""The process group: who this process is in the job, and the collectives.

The world comes from MPI (through mpi4py, imported only here and only when the job was
started by ``mpiexec``/``mpirun``/``srun``, or when ``backend="mpi"`` is asked for);
without a launcher it is a single-rank world in which every collective is the identity,
so the same script runs with ``python script.py`` and ``mpiexec -n 4 python script.py``.

Every collective waits with a deadline (``timeout`` of :func:`init_process_group`,
default 30 minutes): a rank that waits longer (another rank died, stopped early or
called a different collective) prints which collective timed out and aborts the whole
job through ``MPI_Abort``, so nothing hangs for ever. An uncaught exception on any rank
also aborts the job, with its traceback printed once.
"""

from __future__ import annotations

import json
import os
import sys
import time
import traceback
from datetime import timedelta

import numpy as np

from ..tensor import Tensor

__all__ = [
    "ReduceOp", "Work", "is_available", "is_mpi_available", "is_initialized",
    "init_process_group", "destroy_process_group", "get_rank", "get_world_size",
    "get_backend", "barrier", "all_reduce", "broadcast", "all_gather", "all_gather_object",
    "broadcast_object_list",
]

DEFAULT_TIMEOUT = timedelta(minutes=30)

# environment variables a launcher sets in every process it starts
_LAUNCHER_VARS = ("PMI_RANK", "PMI_SIZE", "PMIX_RANK", "OMPI_COMM_WORLD_SIZE",
                  "MPI_LOCALNRANKS", "MV2_COMM_WORLD_SIZE", "I_MPI_HYDRA_HOST_FILE")


class ReduceOp:
    """How :func:`all_reduce` combines the ranks' values (PyTorch's names)."""

    SUM = "sum"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"
    AVG = "avg"


class _World:
    def __init__(self, backend: str, rank: int, size: int, comm, mpi, timeout: float):
        self.backend, self.rank, self.size = backend, rank, size
        self.comm, self.MPI, self.timeout = comm, mpi, timeout


_world: _World | None = None


def is_available() -> bool:
    """True: the single-rank world always works; see :func:`is_mpi_available`."""
    return True


def is_mpi_available() -> bool:
    """Whether mpi4py (``pip install "glassnet[mpi]"``) can be imported."""
    import importlib.util

    return importlib.util.find_spec("mpi4py") is not None


def is_initialized() -> bool:
    """Whether :func:`init_process_group` has run (and :func:`destroy_process_group` not)."""
    return _world is not None


def _launched() -> bool:
    return any(v in os.environ for v in _LAUNCHER_VARS) or int(
        os.environ.get("SLURM_NTASKS", "1") or 1) > 1


def _seconds(timeout) -> float | None:
    if timeout is None:
        return None
    s = timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)
    if not s > 0:
        raise ValueError(f"init_process_group: timeout must be positive, got {timeout!r}")
    return s


def init_process_group(backend: str | None = None, init_method: str | None = None,
                       timeout=DEFAULT_TIMEOUT, world_size: int = -1, rank: int = -1,
                       store=None, group_name: str = "", pg_options=None) -> None:
    """Join the job's world of processes.

    Args:
        backend: ``"mpi"`` (the world of ``mpiexec``; needs mpi4py), ``"single"`` (this
            process alone) or None: MPI when a launcher started this process, else a
            single-rank world. PyTorch's ``"gloo"``/``"nccl"`` are refused with a message.
        timeout: how long any collective may wait (a ``timedelta`` or seconds; None: for
            ever) before the job is aborted with a message naming the collective.
        world_size, rank: optional checks: when given they must match what the launcher
            set up (the world always comes from MPI).
        init_method, store, group_name, pg_options: accepted for PyTorch compatibility;
            MPI needs none of them.
    """
    global _world
    if _world is not None:
        raise RuntimeError("init_process_group: the process group is already initialized "
                           "(call destroy_process_group() first)")
    if backend is not None:
        backend = str(backend).lower()
    if backend not in (None, "mpi", "single"):
        raise ValueError(f"init_process_group: backend {backend!r} is not available; glassnet "
                         f"runs over MPI: use backend='mpi' (or None) and start the job with "
                         f"mpiexec -n N python script.py")
    seconds = _seconds(timeout)
    if backend == "single" or (backend is None and not _launched()):
        world = _World("single", 0, 1, None, None, seconds)
    else:
        try:
            from mpi4py import MPI
        except ImportError as e:
            raise ImportError(
                "glassnet.distributed: this process was started by an MPI launcher (or "
                "backend='mpi' was asked for) but mpi4py cannot be imported "
                f"({e}); install it with: pip install \"glassnet[mpi]\"") from None
        comm = MPI.COMM_WORLD.Dup()  # our own communicator: user traffic cannot interleave
        world = _World("mpi", comm.Get_rank(), comm.Get_size(), comm, MPI, seconds)
    for name, given, actual in (("world_size", world_size, world.size), ("rank", rank, world.rank)):
        if given is not None and int(given) >= 0 and int(given) != actual:
            raise ValueError(f"init_process_group: {name}={given} was given, but the launcher "
                             f"started this process with {name} {actual}")
    _world = world
    if world.size > 1:
        _install_abort_hook()


def destroy_process_group(group=None) -> None:
    """Leave the world (MPI itself is finalized when the process exits)."""
    global _world
    w = _world
    _world = None
    if w is not None and w.comm is not None:
        w.comm.Free()
    if sys.excepthook is _abort_hook:
        sys.excepthook = _previous_hook[0]


def _get() -> _World:
    if _world is None:
        raise RuntimeError("glassnet.distributed: the default process group has not been "
                           "initialized; call gn.distributed.init_process_group() first "
                           "(without mpiexec it makes a single-rank world)")
    return _world


def get_rank(group=None) -> int:
    """This process's rank, 0 .. world_size - 1."""
    return _get().rank


def get_world_size(group=None) -> int:
    """The number of processes in the job."""
    return _get().size


def get_backend(group=None) -> str:
    """``"mpi"`` or ``"single"``."""
    return _get().backend


# --- failure handling -------------------------------------------------------------------
_previous_hook = [sys.excepthook]


def _abort_hook(exc_type, exc, tb) -> None:
    """An uncaught exception on one rank: print it (once) and abort every rank."""
    w = _world
    if w is None or w.comm is None:
        return _previous_hook[0](exc_type, exc, tb)
    if w.rank != 0:
        # when every rank raises the same error, rank 0's abort arrives first and the
        # traceback is printed once; a rank failing alone prints after this wait (long
        # enough for an abort to arrive on a busy machine)
        time.sleep(2.0)
    text = "".join(traceback.format_exception(exc_type, exc, tb))
    sys.stderr.write(f"[rank {w.rank} of {w.size}] {text}"
                     f"[rank {w.rank}] glassnet.distributed: aborting the job\n")
    sys.stderr.flush()
    _abort(w)


def _abort(w: _World) -> None:
    """MPI_Abort; should it return (a rank that already finalized cannot be reached), the
    process exits with status 1, which makes the launcher stop the other ranks. A short
    pause first lets the launcher forward what this rank just wrote to stderr: an abort
    can tear the job down before that output has left the node."""
    time.sleep(0.5)
    try:
        w.MPI.COMM_WORLD.Abort(1)
    finally:
        os._exit(1)


def _install_abort_hook() -> None:
    if sys.excepthook is not _abort_hook:
        _previous_hook[0] = sys.excepthook
        sys.excepthook = _abort_hook


def _abort_timeout(what: str) -> None:
    w = _world
    sys.stderr.write(
        f"[rank {w.rank} of {w.size}] glassnet.distributed: {what} did not complete within "
        f"{w.timeout:g} s: another rank has stopped, failed or called a different "
        f"collective; aborting the job\n")
    sys.stderr.flush()
    _abort(w)


def _wait(req, what: str) -> None:
    """Wait for an MPI request, aborting the job past the deadline. Spins briefly, then
    sleeps in short steps so a waiting rank leaves the core to the ranks still busy."""
    w = _world
    if w.timeout is None:
        req.Wait()
        return
    if req.Test():
        return
    start = time.monotonic()
    deadline = start + w.timeout
    pause = 0.0
    while not req.Test():
        now = time.monotonic()
        if now > deadline:
            _abort_timeout(what)
        if now - start > 2e-4:
            pause = min(pause * 2 or 1e-5, 5e-4)
            time.sleep(pause)


class Work:
    """The handle of a collective started with ``async_op=True``: ``wait()`` blocks until
    it is done (and returns True), ``is_completed()`` asks without blocking."""

    def __init__(self, req=None, what: str = "", done=None):
        self._req, self._what, self._done = req, what, done
        self._finished = req is None

    def is_completed(self) -> bool:
        if not self._finished and self._req.Test():
            self._finish()
        return self._finished

    def wait(self, timeout=None) -> bool:
        if not self._finished:
            _wait(self._req, self._what)
            self._finish()
        return True

    def _finish(self) -> None:
        self._finished = True
        if self._done is not None:
            self._done()
            self._done = None


# --- collectives ------------------------------------------------------------------------
def _array(tensor, what: str) -> np.ndarray:
    if isinstance(tensor, Tensor):
        return tensor.data
    if isinstance(tensor, np.ndarray):
        return tensor
    raise TypeError(f"{what}: expected a Tensor (or NumPy array), got {type(tensor).__name__}")


_OPS = ("sum", "avg", "product", "min", "max")


def _check_op(op, dtype) -> None:
    if op not in _OPS:
        raise ValueError(f"all_reduce: unknown op {op!r}; use gn.distributed.ReduceOp.SUM, "
                         f"AVG, PRODUCT, MIN or MAX")
    if op == ReduceOp.AVG and dtype.kind not in "fc":
        raise TypeError(f"all_reduce: ReduceOp.AVG needs a floating-point tensor, got {dtype}")


def _mpi_op(op, dtype):
    MPI = _world.MPI
    if dtype.kind == "b":  # MPI combines booleans with logical operations only
        return {"sum": MPI.LOR, "max": MPI.LOR, "min": MPI.LAND, "product": MPI.LAND}[op]
    return {"sum": MPI.SUM, "avg": MPI.SUM, "product": MPI.PROD, "min": MPI.MIN,
            "max": MPI.MAX}[op]


def _wire(a: np.ndarray) -> np.ndarray:
    """A contiguous array MPI can carry (float16 travels as float32)."""
    if a.dtype == np.float16:
        return a.astype(np.float32)
    return a if a.flags.c_contiguous and a.flags.writeable else np.ascontiguousarray(a).copy()


def _check_same(a: np.ndarray, what: str) -> None:
    """Every rank must pass the same number of elements and dtype: one tiny all-reduce
    (the max of each value and of its negative) lets every rank see a mismatch and raise
    the same error, instead of MPI silently reducing the common part or waiting."""
    w = _world
    v = np.array([a.size, -a.size, a.dtype.num, -a.dtype.num], dtype=np.int64)
    _wait(w.comm.Iallreduce(w.MPI.IN_PLACE, v, op=w.MPI.MAX), what)
    if v[0] != -v[1] or v[2] != -v[3]:
        raise ValueError(
            f"{what}: the ranks passed different tensors: between {-v[1]} and {v[0]} "
            f"elements{'' if v[2] == -v[3] else ' and different dtypes'} (this rank: "
            f"{a.size} of {a.dtype}); every rank must pass the same shape and dtype")


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op: bool = False):
    """Combine ``tensor`` over all ranks with ``op``, in place: afterwards every rank holds
    the same result (e.g. the sum of every rank's tensor). Returns a :class:`Work` when
    ``async_op`` (the tensor holds the result after ``wait()``), else None. Ranks passing
    different sizes or dtypes get a ValueError on every rank."""
    return _all_reduce(tensor, op, async_op, check=True)


def _all_reduce(tensor, op, async_op: bool, check: bool):
    w = _get()
    a = _array(tensor, "all_reduce")
    _check_op(op, a.dtype)
    if w.comm is None or w.size == 1:
        return Work() if async_op else None
    mop = _mpi_op(op, a.dtype)
    if check:
        _check_same(a, "all_reduce")
    buf = _wire(a)
    req = w.comm.Iallreduce(w.MPI.IN_PLACE, buf, op=mop)

    def done():
        if op == ReduceOp.AVG:
            np.divide(buf, w.size, out=buf)
        if buf is not a:
            np.copyto(a, buf, casting="unsafe")

    work = Work(req, "all_reduce", done)
    if async_op:
        return work
    work.wait()
    return None


def broadcast(tensor, src: int = 0, group=None, async_op: bool = False):
    """Copy rank ``src``'s ``tensor`` into ``tensor`` on every rank, in place."""
    w = _get()
    a = _array(tensor, "broadcast")
    _check_rank(src, "broadcast", "src")
    if w.comm is None or w.size == 1:
        return Work() if async_op else None
    _check_same(a, "broadcast")
    buf = _wire(a)
    req = w.comm.Ibcast(buf, root=src)

    def done():
        if buf is not a:
            np.copyto(a, buf, casting="unsafe")

    work = Work(req, "broadcast", done)
    if async_op:
        return work
    work.wait()
    return None


def all_gather(tensor_list: list, tensor, group=None, async_op: bool = False):
    """Fill ``tensor_list`` (one Tensor per rank, each shaped like ``tensor``) with every
    rank's ``tensor``: ``tensor_list[r]`` gets rank ``r``'s, in place."""
    w = _get()
    a = _array(tensor, "all_gather")
    if not isinstance(tensor_list, list) or len(tensor_list) != w.size:
        raise ValueError(f"all_gather: tensor_list must be a list of world_size={w.size} "
                         f"tensors, got {type(tensor_list).__name__} of "
                         f"{len(tensor_list) if hasattr(tensor_list, '__len__') else '?'}")
    outs = [_array(t, "all_gather") for t in tensor_list]
    for r, o in enumerate(outs):
        if o.shape != a.shape:
            raise ValueError(f"all_gather: tensor_list[{r}] has shape {tuple(o.shape)}, the "
                             f"input tensor {tuple(a.shape)}")
    if w.comm is None or w.size == 1:
        np.copyto(outs[0], a, casting="unsafe")
        return Work() if async_op else None
    _check_same(a, "all_gather")
    send = _wire(a)
    recv = np.empty((w.size,) + a.shape, dtype=send.dtype)
    req = w.comm.Iallgather(send, recv)

    def done():
        for r, o in enumerate(outs):
            np.copyto(o, recv[r], casting="unsafe")

    work = Work(req, "all_gather", done)
    if async_op:
        return work
    work.wait()
    return None


def barrier(group=None, async_op: bool = False, device_ids=None):
    """Wait until every rank has reached this call."""
    w = _get()
    if w.comm is None or w.size == 1:
        return Work() if async_op else None
    work = Work(w.comm.Ibarrier(), "barrier")
    if async_op:
        return work
    work.wait()
    return None


def all_gather_object(object_list: list, obj, group=None) -> None:
    """``object_list[r]`` = rank ``r``'s ``obj``. Objects travel as JSON (numbers, strings,
    bools, None, lists and dicts with string keys; tuples arrive as lists): glassnet
    never unpickles."""
    w = _get()
    if not isinstance(object_list, list) or len(object_list) != w.size:
        raise ValueError(f"all_gather_object: object_list must be a list of world_size="
                         f"{w.size} entries")
    object_list[:] = _allgather_json(obj, "all_gather_object")


def broadcast_object_list(object_list: list, src: int = 0, group=None) -> None:
    """Replace the entries of ``object_list`` by rank ``src``'s (JSON, as
    :func:`all_gather_object`)."""
    w = _get()
    _check_rank(src, "broadcast_object_list", "src")
    if w.comm is None or w.size == 1:
        return
    data = np.frombuffer(_dumps(list(object_list), "broadcast_object_list"), np.uint8) \
        if w.rank == src else None
    n = np.array([0 if data is None else data.size], np.int64)
    broadcast(n, src)
    buf = data.copy() if data is not None else np.empty(int(n[0]), np.uint8)
    broadcast(buf, src)
    object_list[:] = json.loads(buf.tobytes().decode())


def _dumps(obj, what: str) -> bytes:
    try:
        return json.dumps(obj).encode()
    except TypeError as e:
        raise TypeError(f"{what}: objects travel as JSON; {e}") from None


def _allgather_json(obj, what: str) -> list:
    w = _get()
    if w.comm is None or w.size == 1:
        return [json.loads(_dumps(obj, what))]
    data = np.frombuffer(_dumps(obj, what), np.uint8)
    sizes = np.empty(w.size, np.int64)
    all_gather_list = [sizes[r:r + 1] for r in range(w.size)]
    all_gather(all_gather_list, np.array([data.size], np.int64))
    recv = np.empty(int(sizes.sum()), np.uint8)
    offsets = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    req = w.comm.Iallgatherv(data.copy(), [recv, sizes.tolist(), offsets.tolist(),
                                           w.MPI.BYTE])
    _wait(req, what)
    return [json.loads(recv[o:o + s].tobytes().decode()) for o, s in zip(offsets, sizes)]


def _check_rank(r, what: str, name: str) -> None:
    size = _get().size
    if isinstance(r, bool) or not isinstance(r, (int, np.integer)) or not 0 <= r < size:
        raise ValueError(f"{what}: {name}={r!r} is not a rank of this world (0 .. {size - 1})")
