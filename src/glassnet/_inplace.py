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

from . import grad_mode
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
        if _saved(fn, p.data):
            raise RuntimeError(_message(p, p._version, f"input {slot} of {fn.name}"))
        creator = p._ctx
        if creator is not None and creator is not fn and creator._key < fn._key:
            # p was changed by a recorded in-place op after fn used it: fn's gradient
            # belongs to the version fn saw, not to p's newer node (unless fn's output
            # may be a view of p, which then shows the new values: refused)
            seen = None if "view" in fn.__dict__ else _version_seen(p, fn._key)
            if seen is None:
                raise RuntimeError(_message(p, p._version, f"input {slot} of {fn.name}"))
            fn.parents = fn.parents[:slot] + (seen,) + fn.parents[slot + 1:]
    if "backward" not in fn.__dict__:  # not already refusing (output_changed)
        for where in _written_since(epoch):
            if _saved(fn, where):
                raise RuntimeError(_alias_message(fn))
    fn._epoch = writes.epoch  # checked: a second pass (retain_graph) skips it


def _version_seen(t: Tensor, key: int):
    """The stand-in for ``t`` as it was when the node with ``key`` ran: its version before
    the first recorded in-place change after that node (``t._prior``, kept by
    :func:`remember`), or None when there is none."""
    best = None
    for k, old in getattr(t, "_prior", None) or ():
        if k < key and (best is None or k > best[0]):
            best = (k, old)
    return None if best is None else best[1]


def remember(t: Tensor, node, old: Tensor) -> None:
    """``t`` was just changed by recorded in-place op ``node``; ``old`` stood for its value
    before. Keep a stand-in for that version, so a node that used ``t`` earlier can send
    its gradient there: no values (a broadcast zero of ``t``'s shape and dtype), only
    the node that made it. Versions whose node a backward has freed are dropped."""
    prior = [e for e in getattr(t, "_prior", None) or ()
             if e[1]._ctx is None or e[1]._ctx.parents is not None]
    stand = Tensor._wrap(np.broadcast_to(np.zeros((), old.data.dtype), old.data.shape))
    stand.requires_grad, stand._ctx, stand._version = old.requires_grad, old._ctx, old._version
    prior.append((node._key, stand))
    t._prior = tuple(prior)


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


# --- recorded in-place ops ------------------------------------------------------------------

LEAF = ("{what}: in-place change of a tensor that requires grad (a leaf: its .grad would "
        "no longer match the values); wrap it in gn.no_grad() or change .data")


def wants_record(t: Tensor, operands) -> bool:
    """Must an in-place op on ``t`` with ``operands`` be recorded? When grad mode is on and
    ``t`` or an operand requires grad (PyTorch records these; without it a gradient would
    silently go missing)."""
    if not grad_mode.state.enabled:
        return False
    if t.requires_grad:
        return True
    return any(isinstance(a, Tensor) and a.requires_grad for a in operands)


def record_inplace(t: Tensor, compute, what: str) -> Tensor:
    """Change ``t`` in place to ``compute(old)`` and record it, as PyTorch does for an
    in-place op on a tensor in a graph (``y = lin(x); y += x; y.relu_()``) or with an
    operand that requires grad (``acc = gn.zeros(3); acc += x``).

    ``old`` stands for ``t`` before the change: a copy of its values (the new op may save
    them for its backward) carrying the node that made ``t``. ``compute`` runs recorded
    ops on it; ``t`` takes their result's values in place (views of ``t`` see them) and
    becomes the output of the last node, so later uses of ``t`` differentiate through
    the change and earlier ones through the node before it. The version is bumped, so an
    op that saved ``t`` before the change refuses its backward, with PyTorch's message.

    A view ``t = base[key]`` of a tensor in a graph (``y[:, 0] += 1`` runs ``t += 1`` on
    such a view) is changed through its base, ``base[key] = new``, so the base's graph
    records it too. Refused: a leaf that requires grad or a view of one (as PyTorch), and
    other views of a tensor in a graph (reshape, transpose, expand: the change would reach
    the base's values but not its graph)."""
    fn = t._ctx
    if fn is None and t.requires_grad:
        raise RuntimeError(LEAF.format(what=what))
    base = None
    if fn is not None and _is_view(t, fn):
        base = _base_of(t, fn, what)
    old = Tensor._wrap(t.data.copy())
    old.requires_grad, old._ctx, old._version = t.requires_grad, fn, t._version
    new = checked_result(t, compute(old), what)
    if base is not None:  # t = base[key]: the change is recorded on the base too
        base[fn.key] = new
        fn.__dict__.pop("view", None)  # t is followed from here on, as the new output
    else:
        t.data[...] = new.data
    t._bump()  # against t's old node: it may have saved t for its backward
    node = new._ctx
    if node is None:  # nothing in compute required grad after all
        return t
    if fn is not None and fn._retained is t:  # retain_grad() follows the tensor (PyTorch)
        from .autograd import _HOOKED

        fn._retained = _HOOKED if fn.__dict__.get("_grad_hooks") else None
        node._retained = t
    remember(t, node, old)
    t._ctx = node
    t.requires_grad = True
    return t


def _base_of(t: Tensor, fn, what: str) -> Tensor:
    """``t`` is a view made by ``fn``: the tensor it indexes, when the change can be
    recorded there (``t = base[key]`` with basic indexing, ``base`` not itself a view and
    not a leaf that requires grad); otherwise refused."""
    from .ops.shape import GetItem

    base = fn.parents[0]
    if not isinstance(fn, GetItem) or not isinstance(base, Tensor) or (
            base._ctx is not None and _is_view(base, base._ctx)):
        raise RuntimeError(
            f"{what}: in-place change of a view of a tensor in the graph (made by "
            f"{fn.name}); the base tensor's gradient would not see it. Write the change "
            f"out of place (y = y + ...), or into the base by index (y[key] = value)")
    if base._ctx is None and base.requires_grad:
        raise RuntimeError(f"{what}: a view of a leaf tensor that requires grad is being "
                           f"changed in place; wrap it in gn.no_grad() or change .data")
    return base


def checked_result(t: Tensor, new: Tensor, what: str) -> Tensor:
    """``new``, the value an in-place op computed for ``t``, checked for writing into
    ``t``: the same shape (an in-place op cannot broadcast ``t`` itself) and a dtype
    ``t`` can hold (a floating result into an integer tensor is refused with PyTorch's
    RuntimeError; another float width is cast)."""
    if new.data.shape != t.data.shape:
        raise RuntimeError(f"{what}: output with shape {list(t.data.shape)} doesn't match "
                           f"the broadcast shape {list(new.data.shape)}")
    if new.data.dtype != t.data.dtype:
        if new.data.dtype.kind == "f" and t.data.dtype.kind in "biu":  # PyTorch refuses too
            base = what.rstrip("_")
            raise RuntimeError(f"{what}: result type {new.data.dtype} can't be cast to the "
                               f"desired output type {t.data.dtype}; use {base}(x) or "
                               f"convert first (x.float().{what}())")
        if new.requires_grad:
            new = new.to(t.data.dtype)
    return new


def _is_view(t: Tensor, fn) -> bool:
    """Does ``t`` share memory with an input of the op that made it (a view)?"""
    if t.data.base is None:
        return False
    parents = fn.parents or ()
    return any(isinstance(p, Tensor) and np.may_share_memory(p.data, t.data)
               for p in parents)
