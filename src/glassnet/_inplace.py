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

import numpy as np

from .tensor import Tensor, writes

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


def _message(t: Tensor, now: int, where: str, then: int | None = None) -> str:
    from .dtypes import tensor_type_name

    used = f"expected version {then} instead" if then is not None else \
        "it was changed in place after the op used it"
    return (
        f"one of the variables needed for gradient computation has been modified by an "
        f"inplace operation: [{tensor_type_name(t.data.dtype)} {list(t.data.shape)}], which "
        f"is {where}, is at version {now}; {used}. Hint: the in-place change (+=, "
        f"x[i] = ..., fill_, an optimizer step) came after the op used the tensor; change a "
        f"copy instead (x = x + 1), or make the change before the forward pass."
    )


def check_node(fn) -> None:
    """Backward is about to run ``fn`` after some in-place write: refuse if one of its
    inputs changed under it."""
    epoch = fn._epoch
    for slot, p in enumerate(fn.parents):
        if not isinstance(p, Tensor) or getattr(p, "_wepoch", 0) <= epoch:
            continue  # not a tensor, or not written since fn ran
        creator = p._ctx
        moved = creator is not None and creator is not fn and creator._key < fn._key
        if moved or _saved(fn, p.data):
            raise RuntimeError(_message(p, p._version, f"input {slot} of {fn.name}"))
    fn._epoch = writes.epoch  # checked: a second pass (retain_graph) skips it


def output_changed(fn, t: Tensor) -> None:
    """``t``, the output of recorded op ``fn``, was just written in place: if ``fn`` saved
    it for its backward, that backward would use the new values, so make it refuse."""
    if fn.parents is None or "backward" in fn.__dict__ or not _saved(fn, t.data):
        return
    message = _message(t, t._version, f"output 0 of {fn.name}", t._version - 1)

    def refuse(gy):
        raise RuntimeError(message)

    fn.backward = refuse  # an instance attribute: only this node refuses
