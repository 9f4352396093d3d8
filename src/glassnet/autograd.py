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

import contextlib
import itertools
from heapq import heappop, heappush

import numpy as np

from .backend import ndarray, sum_first, xp

__all__ = [
    "Function",
    "backward",
    "no_grad",
    "enable_grad",
    "set_grad_enabled",
    "is_grad_enabled",
    "gradcheck",
    "GradcheckError",
    "unbroadcast",
]

_grad_enabled = True

_op_hooks: list = []
"""Callables ``hook(fn, out, args)`` run after every op's forward (diagnostics, anomaly
mode, graph tracing). Empty in normal use, so the hot path pays one truth test."""


class Function:
    """One differentiable operation.

    Subclasses implement ``forward(*arrays, **kwargs) -> array`` and
    ``backward(gy) -> gx or tuple of gx`` (one entry per positional input, ``None`` for
    inputs that get no gradient). State needed by backward is kept as attributes.
    ``parents`` holds the inputs as given (Tensors or plain values). Backward must not
    change ``gy`` or saved arrays in place: gradient arrays may be shared.
    """

    __slots__ = ("parents", "_retained", "_key", "__dict__")

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
        if need and _grad_enabled:
            fn.parents = args
            fn._retained = None
            fn._key = next(_keys)
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

    @property
    def name(self) -> str:
        return type(self).__name__

    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, gy):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} has no backward")


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


def backward(tensor: Tensor, gradient=None, retain_graph: bool = False) -> None:
    """Accumulate d(tensor)/d(leaf) into ``leaf.grad`` for every leaf requiring grad.

    Nodes are visited newest first (a heap keyed by creation order). A node is made
    after all of its inputs, so when it is popped every consumer of its output has
    already handed over its gradient: the order is topological, found without recursion
    and without a separate pass over the graph.
    """
    if not tensor.requires_grad:
        raise RuntimeError(
            "backward() on a tensor that does not require grad: it has no graph. It is an "
            "integer or bool tensor, the result of an op without a gradient (argmax, a "
            "comparison), made under no_grad(), or computed from leaves that do not "
            "require grad."
        )
    data = tensor.data
    if gradient is None:
        if data.size != 1:
            raise RuntimeError(
                f"backward() without a gradient argument needs a scalar (one-element) "
                f"tensor, got shape {tuple(data.shape)}; pass gradient= of that shape"
            )
        g = xp.array(1, dtype=data.dtype)
        if data.ndim:
            g = g.reshape(data.shape)
    else:
        g = gradient.data if isinstance(gradient, Tensor) else xp.asarray(gradient)
        if g.shape != data.shape:
            raise ValueError(
                f"backward(): gradient shape {tuple(g.shape)} does not match the tensor's "
                f"shape {tuple(data.shape)}"
            )
        g = xp.array(g, dtype=data.dtype)  # a private copy: leaves may keep it as .grad
    root = tensor._ctx
    if root is None:
        _accumulate_leaf(tensor, g, set())
        return
    if root.parents is None:
        raise RuntimeError(_FREED)

    grads = {root: g}
    heap = [(root._key, root)]
    given: set = set()  # ids of arrays already handed to a leaf as its .grad
    pop, push, tensor_type = heappop, heappush, Tensor  # locals: this loop is the hot path
    while heap:
        fn = pop(heap)[1]
        parents = fn.parents
        if parents is None:
            raise RuntimeError(_FREED)
        gy = grads.pop(fn)
        if fn._retained is not None:
            fn._retained.grad = Tensor._wrap(xp.array(gy))
        gxs = fn.backward(gy)
        if type(gxs) is not tuple:
            gxs = (gxs,)
        for p, gx in zip(parents, gxs):
            if gx is None or not isinstance(p, tensor_type) or not p.requires_grad:
                continue
            pd = p.data
            if gx.shape != pd.shape:
                gx = unbroadcast(gx, pd.shape)
            if gx.dtype is not pd.dtype and gx.dtype != pd.dtype:  # dtypes are mostly shared
                gx = gx.astype(pd.dtype)
            c = p._ctx
            if c is None:
                _accumulate_leaf(p, gx, given)
            elif c in grads:
                grads[c] = grads[c] + gx
            else:
                grads[c] = gx
                push(heap, (c._key, c))
        if not retain_graph:
            fn.parents = None
            fn.__dict__.clear()


def _accumulate_leaf(t: Tensor, g, given: set) -> None:
    """Add ``g`` into ``t.grad``, never changing an existing array in place.

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


# --- gradient mode ---------------------------------------------------------------------


def is_grad_enabled() -> bool:
    return _grad_enabled


class _GradMode(contextlib.ContextDecorator):
    """Set the mode to ``mode`` inside the block; put the previous one back after."""

    mode = True

    def __enter__(self):
        global _grad_enabled
        self.prev = _grad_enabled
        _grad_enabled = self.mode
        return self

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self.prev
        return False


class no_grad(_GradMode):
    """Within this block (or decorated function) ops record no graph."""

    mode = False


class enable_grad(_GradMode):
    """Within this block (or decorated function) ops record the graph, even inside
    ``no_grad``."""

    mode = True


class set_grad_enabled(_GradMode):
    """Turn graph recording on or off (a context manager, a decorator, or a plain call)."""

    def __init__(self, mode: bool):
        global _grad_enabled
        self.prev = _grad_enabled
        self.mode = bool(mode)
        _grad_enabled = self.mode

    def __enter__(self):  # the mode is already set: keep the one from before the call
        global _grad_enabled
        _grad_enabled = self.mode
        return self

    def __call__(self, func):
        # Used as a decorator: making this object set the mode at once; undo that, so the
        # mode changes only while the decorated function runs.
        global _grad_enabled
        _grad_enabled = self.prev
        return super().__call__(func)


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


# Imported last: tensor.py imports this module at its end, so either can be imported first.
from .tensor import Tensor  # noqa: E402
