"""In-place writes and autograd: version counters and the checks backward makes.

Every in-place write (``x += 1``, ``x[0] = 5``, ``x.fill_(0)``, an optimizer step) bumps the
tensor's ``_version`` and the write epoch of all tensors, ``tensor.writes.epoch``, and the
tensor keeps the epoch of its latest write (``_wepoch``). A recorded op keeps the epoch it
ran in (``fn._epoch``), so backward re-checks a node only when a write happened after it
ran (one comparison per node otherwise), and an input was changed under the node exactly
when its ``_wepoch`` is later than the node's epoch: the node stores nothing per input.
The check refuses, with PyTorch's message naming the op, when such an input was saved by
the op for its backward (or the input was re-recorded by an in-place op since, so its
gradient would go to the wrong node). A write to an op's own output that the op saved
(``y = w.exp(); y *= 0`` under no_grad) marks that op, so its backward refuses too.
"""

from __future__ import annotations

import weakref

import numpy as np

from .tensor import Tensor, writes

__all__ = ["check_node", "output_changed"]


class Region:
    """Where an in-place write landed: the written array's byte range and a weak reference
    to the array owning that memory (once the owner is gone, nothing alive can hold a view
    of it, and the range may be reused, so the region matches nothing)."""

    __slots__ = ("owner", "lo", "hi")

    def __init__(self, arr: np.ndarray) -> None:
        root = arr
        while isinstance(root.base, np.ndarray):
            root = root.base
        self.owner = weakref.ref(root)
        self.lo, self.hi = _bounds(arr)

    def overlaps(self, arr: np.ndarray) -> bool:
        if self.owner() is None:
            return False
        lo, hi = _bounds(arr)
        return lo < self.hi and self.lo < hi


def _bounds(a: np.ndarray) -> tuple[int, int]:
    lo = hi = a.__array_interface__["data"][0]
    for n, step in zip(a.shape, a.strides):
        if n == 0:
            return lo, lo
        if step > 0:
            hi += (n - 1) * step
        else:
            lo += (n - 1) * step
    return lo, hi + a.itemsize


def _holds(value, arr, depth: int = 0) -> bool:
    """Does ``value`` (an array, a Tensor, or a short tuple/list of them) share memory with
    ``arr`` (an array or a :class:`Region`)?"""
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray):
        if isinstance(arr, Region):
            return arr.overlaps(value)
        return value is arr or np.may_share_memory(value, arr)
    if isinstance(value, (tuple, list)) and depth < 2:
        return any(_holds(v, arr, depth + 1) for v in value)
    return False


def _saved(fn, arr) -> bool:
    """Did ``fn`` keep (a view of) ``arr`` (an array or a :class:`Region`) for its
    backward?"""
    return any(_holds(v, arr) for v in fn.__dict__.values())


def _message(t: Tensor, now: int, where: str, then: int | None = None) -> str:
    from .dtypes import tensor_type_name

    if then is None:
        state = f"is at version {now}; it was changed in place after the op used it"
    else:
        state = f"is at version {now}; expected version {then} instead"
    return (
        f"one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{tensor_type_name(t.data.dtype)} {list(t.data.shape)}], which "
        f"is {where}, {state}. Hint: the in-place change (+=, x[i] = ..., fill_, an "
        f"optimizer step) came after the op used the tensor; change a copy instead "
        f"(x = x + 1), or make the change before the forward pass."
    )


def check_node(fn) -> None:
    """Backward is about to run ``fn`` after some in-place write: refuse if one of its
    inputs changed under it, or if a write through another tensor (a view, ``detach()``)
    changed memory that ``fn`` saved."""
    epoch = fn._epoch
    for slot, p in enumerate(fn.parents):
        if not isinstance(p, Tensor) or getattr(p, "_wepoch", 0) <= epoch:
            continue  # not a tensor, or not written since fn ran
        creator = p._ctx
        moved = creator is not None and creator is not fn and creator._key < fn._key
        if moved or _saved(fn, p.data):
            raise RuntimeError(_message(p, p._version, f"input {slot} of {fn.name}"))
    if "backward" not in fn.__dict__:  # not already refusing (output_changed)
        for where in _written_since(epoch):
            if _saved(fn, where):
                raise RuntimeError(_alias_message(fn))
    fn._epoch = writes.epoch  # checked: a second pass (retain_graph) skips it


def _written_since(epoch: int):
    """Where in-place writes after ``epoch`` landed, as far as the write log still holds
    (it keeps the latest 64 writes; an older write through a view goes unseen)."""
    for e, written in writes.log:
        if e <= epoch:
            continue
        for w in written:
            if isinstance(w, Tensor):  # an optimizer group: the parameters stamped e
                if getattr(w, "_wepoch", 0) == e:
                    yield w.data
            else:
                yield w


def _alias_message(fn) -> str:
    return (
        f"one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: memory that {fn.name} saved for its backward was changed in "
        f"place through another tensor sharing it (a view, detach(), a transposed "
        f"weight) after {fn.name} ran. Hint: change a copy instead (x = x + 1), or make "
        f"the change before the forward pass."
    )


def output_changed(fn, t: Tensor) -> None:
    """``t``, the output of recorded op ``fn``, was just written in place: if ``fn`` saved
    it for its backward, that backward would use the new values, so make it refuse."""
    if fn.parents is None or "backward" in fn.__dict__ or not _saved(fn, t.data):
        return
    message = _message(t, t._version, f"output 0 of {fn.name}", t._version - 1)

    def refuse(gy):
        raise RuntimeError(message)

    fn.backward = refuse  # an instance attribute: only this node refuses
