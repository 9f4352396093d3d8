"""In-place writes and autograd: version counters and the checks backward makes.

Every in-place write (``x += 1``, ``x[0] = 5``, ``x.fill_(0)``, an optimizer step) bumps the
tensor's ``_version`` and the count of all writes, ``Tensor._writes``. A recorded op keeps
the versions of its tensor inputs and the write count when it ran (``fn._vs``,
``fn._epoch``), so backward re-checks a node only when a write happened after it ran: one
comparison per node otherwise. The check refuses, with PyTorch's message naming the op,
when an input's version moved and the op saved that array for its backward (or the
input was re-recorded by an in-place op since, so its gradient would go to the wrong
node). A write to an op's own output that the op saved (``y = w.exp(); y *= 0`` under
no_grad) marks that op, so its backward refuses too.
"""

from __future__ import annotations

import numpy as np

from .tensor import Tensor

__all__ = ["check_node", "output_changed"]


def _holds(value, arr, depth: int = 0) -> bool:
    if isinstance(value, Tensor):
        value = value.data
    if isinstance(value, np.ndarray):
        return value is arr or np.may_share_memory(value, arr)
    if isinstance(value, (tuple, list)) and depth < 2:
        return any(_holds(v, arr, depth + 1) for v in value)
    return False


def _saved(fn, arr) -> bool:
    """Did ``fn`` keep (a view of) ``arr`` for its backward?"""
    return any(_holds(v, arr) for v in fn.__dict__.values())


def _message(t: Tensor, now: int, then: int, where: str) -> str:
    from .dtypes import tensor_type_name

    return (
        f"one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{tensor_type_name(t.data.dtype)} {list(t.data.shape)}], which "
        f"is {where}, is at version {now}; expected version {then} instead. Hint: the "
        f"in-place change (+=, x[i] = ..., fill_, an optimizer step) came after the op used "
        f"the tensor; change a copy instead (x = x + 1), or make the change before the "
        f"forward pass."
    )


def check_node(fn) -> None:
    """Backward is about to run ``fn`` after some in-place write: refuse if one of its
    inputs changed under it."""
    vs = fn._vs
    i = 0
    for slot, p in enumerate(fn.parents):
        if not isinstance(p, Tensor):
            continue
        then, now = vs[i], p._version
        i += 1
        if now == then:
            continue
        creator = p._ctx
        moved = creator is not None and creator is not fn and creator._key < fn._key
        if moved or _saved(fn, p.data):
            raise RuntimeError(_message(p, now, then, f"input {slot} of {fn.name}"))
    fn._epoch = Tensor._writes  # checked: a second pass (retain_graph) skips it


def output_changed(fn, t: Tensor) -> None:
    """``t``, the output of recorded op ``fn``, was just written in place: if ``fn`` saved
    it for its backward, that backward would use the new values, so make it refuse."""
    if fn.parents is None or "backward" in fn.__dict__ or not _saved(fn, t.data):
        return
    message = _message(t, t._version, t._version - 1, f"output 0 of {fn.name}")

    def refuse(gy):
        raise RuntimeError(message)

    fn.backward = refuse  # an instance attribute: only this node refuses
