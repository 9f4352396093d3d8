"""Reverse-mode automatic differentiation: the Function base, the backward engine,
gradient mode (``no_grad``) and the finite-difference ``gradcheck``.

A :class:`Function` is one differentiable op: ``forward`` on plain arrays and, beside it,
``backward`` mapping the output gradient ``gy`` to one gradient per input (plain arrays,
``None`` where no gradient flows). The engine walks the recorded nodes in reverse
topological order without recursion, sums the gradients of reused tensors, undoes
broadcasting once (:func:`unbroadcast`) and frees each node after use unless asked to
retain the graph.
"""

from __future__ import annotations

import itertools
import weakref
from heapq import heappop, heappush
from typing import NamedTuple

import numpy as np

from . import grad_mode as _mode
from ._inplace import check_node as _check_node
from .backend import ndarray, sum_first, xp
from .grad_mode import enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .tensor import Tensor
from .tensor import writes as _writes

__all__ = [
    "Function",
    "Elementwise",
    "Local",
    "backward",
    "grad",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "gradcheck",
    "GradcheckError",
    "unbroadcast",
]

_op_hooks: list = []
"""Callables ``hook(fn, out, args)`` run after every op's forward (diagnostics, anomaly
mode, graph tracing). Empty in normal use, so the hot path pays one truth test."""


class Local(NamedTuple):
    """What explain prints for d out[o] / d input_slot[i] of one op: ``coef · template``.

    ``template`` None means the derivative is the constant ``coef``. ``args`` fills the
    template's ``{0}, {1}, ...``: an int is the op's input in that slot (printed by name,
    or as a short expression), ``("elem", slot, "k, m", pick)`` is one element of that
    input chosen by ``pick(out_index, in_index)`` (matrix products). ``at`` says where the
    args are read: at the output element ("out", elementwise ops), at the input element
    ("in", a loss reducing its input), or both ("pair"). ``generic`` marks a formula shown
    as text only, without numbers substituted.
    """

    coef: float = 1.0
    template: str | None = None
    args: tuple = ()
    at: str = "out"
    generic: bool = False


class Function:
    """One differentiable operation, declared in one place.

    Subclasses implement ``forward(*arrays, **kwargs) -> array`` and
    ``backward(gy) -> gx or tuple of gx`` (one entry per positional input, ``None`` for
    inputs that get no gradient). State needed by backward is kept as attributes.
    ``parents`` holds the inputs as given (Tensors or plain values). Backward must not
    change ``gy`` or saved arrays in place: gradient arrays may be shared.

    Beside them each op declares what :mod:`glassnet.explain` prints for it: ``name`` (the
    op's public name, as the user wrote it) and ``formula``, the local derivative
    d out / d input — a template string over the inputs ``{0}, {1}, ...`` (the same for
    every slot), a number (a constant derivative), a tuple with one of those per input
    slot (None where no gradient flows), or, for the hard cases, a ``local(slot, n_in,
    n_out) -> Local`` method. An op without one is a test failure, never a silent
    generic printout.
    """

    __slots__ = ("parents", "_retained", "_key", "_epoch", "__dict__")
    name: str = ""
    formula = None
    elementwise = False  # one output element per input element (explain follows 1:1 links)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("name"):
            cls.name = cls.__name__

    def local(self, slot: int, n_in: int, n_out: int) -> Local | None:
        """The local derivative for input ``slot`` (``n_in``/``n_out``: element counts).
        Reads ``formula``; ops whose derivative depends on their arguments override it."""
        f = self.formula
        if isinstance(f, tuple):
            f = f[slot] if slot < len(f) else None
        if f is None:
            return None
        if isinstance(f, Local):
            return f
        if isinstance(f, (int, float)):
            return Local(float(f))
        n = 1 + max((k for k in range(len(self.parents)) if f"{{{k}}}" in f), default=-1)
        return Local(1.0, f, tuple(range(n)))

    @classmethod
    def apply(cls, *args, **kwargs):
        """Run ``forward`` on the inputs' arrays; record the node when a gradient is wanted."""
        fn = _new(cls)
        datas = []
        need = False
        for a in args:
            if isinstance(a, Tensor):
                datas.append(a.data)
                if a.requires_grad:
                    need = True
            else:
                datas.append(a)
        out = fn.forward(*datas, **kwargs)
        if type(out) is not ndarray:  # NumPy returns scalars from 0-d arithmetic
            out = xp.asarray(out)
        t = _new(Tensor)
        t.data = out
        t.grad = None
        t.name = None
        t._version = 0
        if need and _mode.state.enabled:
            fn.parents = args
            fn._retained = None
            fn._key = next(_keys)
            fn._epoch = _writes.epoch
            if out.base is not None:  # out may be a view of an input (glassnet._inplace)
                fn.view = True
            t.requires_grad = True
            t._ctx = fn
        else:
            t.requires_grad = False
            t._ctx = None
        if _op_hooks:
            for hook in _op_hooks:
                hook(fn, t, args)
        return t

    @property
    def needs_input_grad(self) -> tuple:
        """For each positional input: is it a Tensor that requires grad?"""
        return tuple([isinstance(p, Tensor) and p.requires_grad for p in self.parents])

    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, gy):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} has no backward")


class Elementwise(Function):
    """Base of the elementwise ops: output element o depends on input element o only
    (after broadcasting), which lets explain keep a link whose derivative is 0."""

    elementwise = True


_new = object.__new__
_keys = itertools.count(0, -1)
"""Node keys: each new node gets a smaller one, so a min-heap pops the newest first."""


def unbroadcast(g, shape: tuple):
    """Sum ``g`` down to ``shape``: the reverse of NumPy broadcasting.

    Leading axes that broadcasting added are summed away; axes where ``shape`` has
    size 1 are summed with ``keepdims``. This is the one place broadcasting is undone.
    """
    gshape = g.shape
    if gshape == shape:
        return g
    lead = len(gshape) - len(shape)
    if lead == 1 and gshape[1:] == shape:  # the common case: a bias over a batch
        return sum_first(g)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and gshape[i + lead] != 1
    )
    if axes:
        g = g.sum(axis=axes, keepdims=True)
    if lead:
        g = g.reshape(shape)
    return g


_FREED = (
    "Trying to backward through the graph a second time (or to use tensors after their "
    "graph was freed). Pass retain_graph=True to the first backward() to keep it."
)


_NO_GRAPH = (
    "{what} on a tensor that does not require grad: it has no graph. It is an integer or "
    "bool tensor, the result of an op without a gradient (argmax, a comparison), made "
    "under no_grad(), or computed from leaves that do not require grad."
)


def _seed(tensor, gradient, what: str):
    """The starting gradient for ``tensor`` (ones for a one-element tensor), checked."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"{what}: expected Tensors to differentiate, got "
                        f"{type(tensor).__name__}")
    if not tensor.requires_grad:
        raise RuntimeError(_NO_GRAPH.format(what=what))
    data = tensor.data
    if gradient is None:
        if data.size != 1:
            raise RuntimeError(
                f"{what} without a gradient argument needs a scalar (one-element) "
                f"tensor, got shape {tuple(data.shape)}; pass gradient= of that shape"
            )
        g = xp.array(1, dtype=data.dtype)
        return g.reshape(data.shape) if data.ndim else g
    g = gradient.data if isinstance(gradient, Tensor) else xp.asarray(gradient)
    if g.shape != data.shape:
        from .errors import ArgumentError  # (a ValueError that is also PyTorch's RuntimeError)

        raise ArgumentError(
            f"{what}: gradient shape {tuple(g.shape)} does not match the tensor's "
            f"shape {tuple(data.shape)}"
        )
    return xp.array(g, dtype=data.dtype)  # a private copy: leaves may keep it as .grad


def _as_list(x, what: str) -> list:
    if isinstance(x, Tensor) or x is None:
        return [x]
    try:
        return list(x)
    except TypeError:
        raise TypeError(f"{what}: expected a Tensor or a sequence of Tensors, got "
                        f"{type(x).__name__}") from None


def backward(tensors, grad_tensors=None, retain_graph: bool | None = None,
             create_graph: bool = False, inputs=None) -> None:
    """Accumulate the gradient of ``tensors`` (one or a sequence; ``grad_tensors`` gives
    each one's output gradient, None for a one-element tensor) into the ``.grad`` of
    every leaf that requires grad — or, with ``inputs``, into those tensors' ``.grad``
    only (leaves or not), as ``torch.autograd.backward``."""
    _no_create_graph(create_graph, "backward()")
    if inputs is None and isinstance(tensors, Tensor):  # the everyday loss.backward()
        _run([(tensors, _seed(tensors, grad_tensors, "backward()"))], bool(retain_graph), None)
        return
    outs = _as_list(tensors, "backward()")
    grads = _as_list(grad_tensors, "backward()") if grad_tensors is not None else \
        [None] * len(outs)
    if len(grads) != len(outs):
        raise ValueError(f"backward(): {len(outs)} tensors but {len(grads)} gradients")
    seeds = [(t, _seed(t, g, "backward()")) for t, g in zip(outs, grads)]
    if inputs is None:
        _run(seeds, bool(retain_graph), None)
        return
    targets = _targets(inputs, "backward()")
    given: set = set()
    for t, g in zip(targets, _run(seeds, bool(retain_graph), targets)):
        if g is not None:
            _accumulate_leaf(t, g, given)


def grad(outputs, inputs, grad_outputs=None, retain_graph: bool | None = None,
         create_graph: bool = False, only_inputs: bool = True, allow_unused: bool | None = None,
         is_grads_batched: bool = False, materialize_grads: bool = False) -> tuple:
    """The gradients of ``outputs`` with respect to ``inputs``, returned as a tuple (one
    Tensor per input) instead of added to any ``.grad``, as ``torch.autograd.grad``.

    ``grad_outputs`` gives each output's gradient (None: a one-element output gets 1).
    An input the outputs do not depend on raises, unless ``allow_unused=True`` (its entry
    is None) or ``materialize_grads=True`` (zeros). The graph is freed afterwards unless
    ``retain_graph=True``. ``create_graph=True`` (a gradient of a gradient) is not
    supported: glassnet's backward computes on arrays and records nothing.
    """
    _no_create_graph(create_graph, "autograd.grad()")
    if is_grads_batched:
        raise NotImplementedError("autograd.grad(is_grads_batched=True) is not supported; "
                                  "call grad() once per gradient")
    outs = _as_list(outputs, "autograd.grad()")
    if grad_outputs is None:
        gouts = [None] * len(outs)
    else:
        gouts = _as_list(grad_outputs, "autograd.grad()")
        if len(gouts) != len(outs):
            raise ValueError(f"autograd.grad(): grad_outputs has {len(gouts)} entries for "
                             f"{len(outs)} outputs")
    seeds = [(t, _seed(t, g, "autograd.grad()")) for t, g in zip(outs, gouts)]
    targets = _targets(inputs, "autograd.grad()")
    got = _run(seeds, bool(retain_graph), targets)
    result = []
    for i, (t, g) in enumerate(zip(targets, got)):
        if g is None:
            if materialize_grads:
                g = xp.zeros_like(t.data)
            elif not allow_unused:
                raise RuntimeError(
                    f"autograd.grad(): input {i} (shape {tuple(t.shape)}) was not used to "
                    f"compute the outputs; pass allow_unused=True to get None for it")
            else:
                result.append(None)
                continue
        result.append(Tensor._wrap(xp.array(g, dtype=t.data.dtype)))
    return tuple(result)


def _no_create_graph(create_graph: bool, what: str) -> None:
    if create_graph:
        raise NotImplementedError(
            f"{what} with create_graph=True is not supported: glassnet's backward computes "
            f"on arrays and records no graph, so there is no gradient of a gradient; check "
            f"second derivatives with finite differences (gn.autograd.gradcheck)")


def _targets(inputs, what: str) -> list:
    targets = _as_list(inputs, what)
    if not targets:
        from .errors import ArgumentError  # (a ValueError that is also PyTorch's RuntimeError)

        raise ArgumentError(f"{what}: inputs is empty")
    for i, t in enumerate(targets):
        if not isinstance(t, Tensor):
            raise TypeError(f"{what}: input {i} is a {type(t).__name__}, not a Tensor")
        if not t.requires_grad:
            raise RuntimeError(f"{what}: input {i} (shape {tuple(t.shape)}) does not "
                               f"require grad")
    return targets


def _run(seeds: list, retain_graph: bool, targets: list | None):
    """Walk the graph back from ``seeds`` ((tensor, gradient array) pairs).

    ``targets`` None: add each leaf's gradient to its ``.grad``. Otherwise no ``.grad``
    changes; returns the gradient array reaching each target (None where none does).

    Nodes are visited newest first (a heap keyed by creation order). A node is made
    after all of its inputs, so when it is popped every consumer of its output has
    already handed over its gradient: the order is topological, found without recursion
    and without a separate pass over the graph.
    """
    capture = None if targets is None else {id(t): [t, None] for t in targets}
    grads: dict = {}
    heap: list = []
    given: set = set()  # ids of arrays already handed to a leaf as its .grad
    pending: dict = {}  # leaves with hooks: their gradient is summed, hooked once at the end
    leaf_hooks = _leaf_hooks
    post_hooks = _post_accumulate_hooks  # leaves with either get their gradient at the end
    for t, g in seeds:
        c = t._ctx
        if c is None:  # differentiating a leaf by itself
            if capture is not None:
                slot = capture.get(id(t))
                if slot is not None:
                    slot[1] = g if slot[1] is None else slot[1] + g
            elif (leaf_hooks or post_hooks) and (id(t) in leaf_hooks or id(t) in post_hooks):
                prev = pending.get(id(t))
                pending[id(t)] = (t, g if prev is None else prev[1] + g)
            else:
                _accumulate_leaf(t, g, given)
            continue
        if c.parents is None:
            raise RuntimeError(_FREED)
        if capture is not None and id(t) in capture:
            slot = capture[id(t)]
            slot[1] = g if slot[1] is None else slot[1] + g
        if c in grads:
            grads[c] = grads[c] + g
        else:
            grads[c] = g
            heappush(heap, (c._key, c))
    ready = _count_leaf_uses(heap) if _grad_ready_hooks and capture is None else None
    pop, push, tensor_type = heappop, heappush, Tensor  # locals: this loop is the hot path
    epoch = _writes.epoch  # a node made after the last in-place write needs no check
    while heap:
        fn = pop(heap)[1]
        parents = fn.parents
        if parents is None:
            raise RuntimeError(_FREED)
        if fn._epoch != epoch:  # some tensor was written in place after fn ran
            _check_node(fn)
            parents = fn.parents  # an input changed by a recorded op since: its old version
        gy = grads.pop(fn)
        if fn._retained is not None:  # retain_grad() or register_hook() on this output
            gy = _tensor_hooks(fn, gy)
        gxs = fn.backward(gy)
        if type(gxs) is not tuple:
            gxs = (gxs,)
        if len(gxs) < len(parents):
            _check_dropped(fn, parents, len(gxs))
        for p, gx in zip(parents, gxs):
            if gx is None or not isinstance(p, tensor_type) or not p.requires_grad:
                continue
            pd = p.data
            if gx.shape != pd.shape:
                gx = unbroadcast(gx, pd.shape)
            if gx.dtype is not pd.dtype and gx.dtype != pd.dtype:  # dtypes are mostly shared
                gx = gx.astype(pd.dtype)
            c = p._ctx
            if capture is not None:
                slot = capture.get(id(p))
                if slot is not None:
                    slot[1] = gx if slot[1] is None else slot[1] + gx
                if c is None:
                    continue
            if c is None:
                if (leaf_hooks or post_hooks) and (id(p) in leaf_hooks or id(p) in post_hooks):
                    prev = pending.get(id(p))
                    pending[id(p)] = (p, gx if prev is None else prev[1] + gx)
                    continue
                _accumulate_leaf(p, gx, given)
            elif c in grads:
                grads[c] = grads[c] + gx
            else:
                grads[c] = gx
                push(heap, (c._key, c))
        if ready is not None:
            _release_leaves(parents, ready)
        if not retain_graph:
            fn.parents = None
            fn.__dict__.clear()
    for p, gx in pending.values():
        entry = leaf_hooks.get(id(p))
        if entry is not None:
            gx = _run_hooks(entry[1], gx, p.data)
        _accumulate_leaf(p, gx, given)
    if ready is not None:
        _ready_end(ready)
    if capture is None:
        return None
    for slot in capture.values():  # a leaf input's hooks see its whole gradient, once
        t, g = slot
        if g is not None and t._ctx is None and leaf_hooks and id(t) in leaf_hooks:
            slot[1] = _run_hooks(leaf_hooks[id(t)][1], g, t.data)
    return [capture[id(t)][1] for t in targets]


def _check_dropped(fn, parents, n: int) -> None:
    """A backward returned fewer gradients than the op has inputs: fine for trailing
    options, never for an input that requires grad (it would silently get none)."""
    for i in range(n, len(parents)):
        p = parents[i]
        if isinstance(p, Tensor) and p.requires_grad:
            raise RuntimeError(f"{type(fn).__name__} ({fn.name}) gives no gradient for its "
                               f"input {i}, which requires grad: this op cannot "
                               f"differentiate with respect to that argument")


# --- gradient-ready hooks (distributed data parallel) ------------------------------------

_grad_ready_hooks: list = []
"""Callables ``hook(leaf)`` run during backward as soon as a leaf's ``.grad`` holds its
whole gradient for this pass (every use of the leaf in the graph has handed over its
share), then ``hook(None)`` once when the pass ends. ``gn.distributed``'s
DistributedDataParallel starts each gradient bucket's all-reduce from here while the
rest of backward runs. Empty in normal use: backward then pays one test per node."""


def _count_leaf_uses(heap: list) -> dict:
    """id(leaf) -> [uses left, leaf] for the leaves requiring grad under the heap's nodes."""
    uses: dict = {}
    stack = [fn for _, fn in heap]
    seen = set(stack)
    while stack:
        for p in stack.pop().parents or ():
            if not isinstance(p, Tensor) or not p.requires_grad:
                continue
            c = p._ctx
            if c is None:
                e = uses.get(id(p))
                if e is None:
                    uses[id(p)] = [1, p]
                else:
                    e[0] += 1
            elif c not in seen:
                seen.add(c)
                stack.append(c)
    return uses


def _release_leaves(parents, ready: dict) -> None:
    """A node is done: its uses of leaves are counted off; a leaf with none left is ready
    (one with ``register_hook`` or post-accumulate hooks gets its gradient only at the
    end: ready then)."""
    for p in parents:
        e = ready.get(id(p))
        if e is not None:
            e[0] -= 1
            if e[0] == 0 and id(p) not in _leaf_hooks and id(p) not in _post_accumulate_hooks:
                del ready[id(p)]
                for hook in tuple(_grad_ready_hooks):
                    hook(p)


def _ready_end(ready: dict) -> None:
    for _, p in list(ready.values()):  # leaves reached only through None gradients
        for hook in tuple(_grad_ready_hooks):
            hook(p)
    for hook in tuple(_grad_ready_hooks):
        hook(None)


# --- tensor hooks ------------------------------------------------------------------------

_leaf_hooks: dict = {}
"""id(leaf) -> (weak reference, {handle id: hook}) for leaves with ``register_hook`` hooks.
Empty normally, so the engine pays one truth test per leaf gradient. A non-leaf's hooks
live on the node that made it (``_grad_hooks``), freed with the node."""

_HOOKED = object()
"""``node._retained`` for a node whose output has hooks but does not retain its grad."""

_hook_ids = itertools.count()


class RemovableHandle:
    """What ``register_hook`` (and the Module hook registrations) return:
    ``handle.remove()`` takes the hook off again; also a context manager."""

    def __init__(self, store: dict, on_remove=None) -> None:
        self.id = next(_hook_ids)
        self._store, self._on_remove = store, on_remove

    def remove(self) -> None:
        if self._store is not None:
            self._store.pop(self.id, None)
            if self._on_remove is not None:
                self._on_remove()
            self._store = None

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc) -> None:
        self.remove()

    def __repr__(self) -> str:
        return f"<RemovableHandle id={self.id}>"


def register_hook(tensor: Tensor, hook) -> RemovableHandle:
    """Call ``hook(grad)`` each time the gradient with respect to ``tensor`` is computed;
    a non-None return value (a Tensor of the same shape) replaces that gradient. For a
    leaf the hook sees the gradient summed over all its uses, before it is added to
    ``.grad``. Returns a handle whose ``remove()`` takes the hook off."""
    if not callable(hook):
        raise TypeError(f"register_hook: hook must be callable, got {type(hook).__name__}")
    if not tensor.requires_grad:
        raise RuntimeError("register_hook: cannot register a hook on a tensor that does not "
                           "require grad")
    fn = tensor._ctx
    if fn is None:
        return _add_leaf_hook(_leaf_hooks, tensor, hook)
    if fn.parents is None:
        raise RuntimeError("register_hook: the graph of this tensor was already freed by a "
                           "backward pass")
    hooks = fn.__dict__.setdefault("_grad_hooks", {})
    if fn._retained is None:
        fn._retained = _HOOKED
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    return handle


def _add_leaf_hook(store: dict, tensor: Tensor, hook) -> RemovableHandle:
    """Keep ``hook`` for a leaf in ``store`` (id(leaf) -> (weak reference, {handle id:
    hook})); the entry goes when the leaf is collected or its last hook is removed."""
    key = id(tensor)
    entry = store.get(key)
    if entry is None:
        # The dict is bound now: at interpreter exit the module's globals may be gone.
        ref = weakref.ref(tensor, lambda _r, store=store: store.pop(key, None))
        entry = store[key] = (ref, {})
    hooks = entry[1]

    def forget():
        if store.get(key) is entry and not hooks:
            del store[key]

    handle = RemovableHandle(hooks, forget)
    hooks[handle.id] = hook
    return handle


def _tensor_hooks(fn, gy):
    """Run the hooks of the node's output tensor, then store its grad if it is retained."""
    hooks = fn.__dict__.get("_grad_hooks")
    if hooks:
        gy = _run_hooks(hooks, gy, gy)
    t = fn._retained
    if t is not _HOOKED:  # accumulated over backward passes, like a leaf's .grad
        t.grad = Tensor._wrap(xp.array(gy)) if t.grad is None else \
            Tensor._wrap(t.grad.data + gy)
    return gy


def _run_hooks(hooks: dict, g, like):
    for hook in list(hooks.values()):
        r = hook(Tensor._wrap(xp.array(g)))  # a copy: the engine may share g elsewhere
        if r is not None:
            r = r.data if isinstance(r, Tensor) else xp.asarray(r)
            if r.shape != like.shape:
                raise RuntimeError(f"tensor hook {getattr(hook, '__qualname__', hook)!r} "
                                   f"returned a gradient of shape {tuple(r.shape)} for a "
                                   f"tensor of shape {tuple(like.shape)}")
            g = r.astype(like.dtype, copy=False)
    return g


_post_accumulate_hooks: dict = {}
"""id(leaf) -> (weak reference, {handle id: hook}) for ``register_post_accumulate_grad_hook``;
empty normally (one truth test per leaf gradient)."""


def register_post_accumulate_grad_hook(tensor: Tensor, hook) -> RemovableHandle:
    """Call ``hook(tensor)`` each time backward has added into the leaf's ``.grad`` (e.g.
    to step an optimizer for this parameter during backward). Returns a removable
    handle. Leaves only, as in PyTorch."""
    if not callable(hook):
        raise TypeError(f"register_post_accumulate_grad_hook: hook must be callable, got "
                        f"{type(hook).__name__}")
    if tensor._ctx is not None:
        raise RuntimeError("register_post_accumulate_grad_hook: only leaf tensors have an "
                           "accumulated .grad; use register_hook on a non-leaf")
    if not tensor.requires_grad:
        raise RuntimeError("register_post_accumulate_grad_hook: the tensor does not require "
                           "grad")
    return _add_leaf_hook(_post_accumulate_hooks, tensor, hook)


def _accumulate_leaf(t: Tensor, g, given: set) -> None:
    """Add ``g`` into ``t.grad``, never changing an existing array in place, then run
    the leaf's post-accumulate hooks.

    The first gradient a leaf gets becomes its ``.grad`` directly when the engine owns
    it outright; a view, a NumPy scalar, or an array already given to another leaf
    (``a + b`` hands the same ``gy`` to both) is copied first, so ``a.grad.zero_()``
    can never touch ``b.grad``.
    """
    if t.grad is None:
        if type(g) is not ndarray or g.base is not None or id(g) in given:
            g = xp.array(g)
        given.add(id(g))
        t.grad = Tensor._wrap(g)
    else:
        t.grad.data = t.grad.data + g
    if _post_accumulate_hooks:
        entry = _post_accumulate_hooks.get(id(t))
        if entry is not None:
            for hook in list(entry[1].values()):
                r = hook(t)
                if r is not None:  # as PyTorch: a returned value would be silently lost
                    raise RuntimeError(
                        f"register_post_accumulate_grad_hook: a hook must return None (change "
                        f"t.grad in place instead), got a {type(r).__name__}")


# --- finite differences ----------------------------------------------------------------


class GradcheckError(AssertionError):
    """Raised by :func:`gradcheck` when analytic and numeric gradients disagree."""


def gradcheck(fn, inputs, eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3,
              n_projections: int = 2, seed: int = 0) -> bool:
    """Check ``fn``'s gradients against central finite differences in float64.

    ``inputs`` is a Tensor or a sequence of them (non-Tensors are passed through).
    Floating inputs are copied to float64; the gradient of ``sum(fn(*inputs) * v)`` for
    a few random ``v`` is compared element by element with
    ``(f(x + eps) - f(x - eps)) / (2 eps)``. Returns True, or raises
    :class:`GradcheckError` naming the input, the element and both values.
    """
    if isinstance(inputs, Tensor) or not isinstance(inputs, (tuple, list)):
        inputs = (inputs,)
    xs = []
    for x in inputs:
        if isinstance(x, Tensor) and np.issubdtype(x.dtype, np.floating):
            xs.append(Tensor(np.array(x.data, dtype=np.float64), requires_grad=x.requires_grad))
        else:
            xs.append(x)
    if not any(isinstance(x, Tensor) and x.requires_grad for x in xs):
        raise ValueError("gradcheck: no input requires grad")

    def call():
        out = fn(*xs)
        if isinstance(out, (tuple, list)):
            raise TypeError("gradcheck: fn must return a single Tensor")
        if not isinstance(out, Tensor):
            raise TypeError(f"gradcheck: fn must return a Tensor, got {type(out).__name__}")
        return out

    out = call()
    rng = np.random.default_rng(seed)
    vs = [rng.standard_normal(out.shape) for _ in range(n_projections)]
    analytic = []
    for v in vs:
        for x in xs:
            if isinstance(x, Tensor):
                x.grad = None
        out = call()
        if not out.requires_grad:
            raise GradcheckError("gradcheck: the output does not depend on any input")
        (out * Tensor(v)).sum().backward()
        analytic.append([
            None if not (isinstance(x, Tensor) and x.requires_grad)
            else (np.zeros(x.shape) if x.grad is None else np.array(x.grad.data, np.float64))
            for x in xs
        ])
    with no_grad():
        for i, x in enumerate(xs):
            if not (isinstance(x, Tensor) and x.requires_grad):
                continue
            flat = x.data.reshape(-1)
            for j in range(flat.size):
                orig = flat[j]
                flat[j] = orig + eps
                fp = np.array(call().data, np.float64)
                flat[j] = orig - eps
                fm = np.array(call().data, np.float64)
                flat[j] = orig
                for k, v in enumerate(vs):
                    num = float(np.sum((fp - fm) * v) / (2 * eps))
                    ana = float(analytic[k][i].reshape(-1)[j])
                    if not abs(num - ana) <= atol + rtol * abs(num):
                        idx = np.unravel_index(j, x.shape) if x.ndim else ()
                        raise GradcheckError(
                            f"gradcheck failed for input {i} (shape {tuple(x.shape)}) at "
                            f"element {tuple(int(t) for t in idx)}: numeric {num:.8g} vs "
                            f"analytic {ana:.8g} (projection {k})"
                        )
    return True
