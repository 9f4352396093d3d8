"""Walking a recorded graph: nodes in order, the tensor each node made, module records and
the labels the explanations print.

A graph is the chain of :class:`~glassnet.autograd.Function` nodes hanging off a tensor's
``grad_fn``; each node's ``parents`` are its inputs as given (Tensors or plain values).
Nothing here changes the graph: explanations read it and call ``backward`` on nodes, which
works on plain arrays and keeps no state.
"""

from __future__ import annotations

import contextlib

import numpy as np

from .. import autograd as _autograd
from ..nn import module as _module
from ..tensor import Tensor

MODULE_KEY = "_explain_module"
"""Where :func:`record` stores, on a node, the innermost module that was running."""

FREED = (
    "the graph of this tensor was freed by an earlier backward(); build the loss again, or "
    "call backward(retain_graph=True) before explaining it"
)


def walk(root: Tensor) -> tuple[list, dict]:
    """The nodes reachable from ``root`` in topological order (consumers first) and a map
    ``node -> the Tensor it produced``. Iterative: a 100,000-op chain is fine."""
    fn0 = root._ctx
    if fn0 is None:
        return [], {}
    out_of = {fn0: root}
    order: list = []
    seen = {fn0}
    stack = [(fn0, False)]
    while stack:
        fn, done = stack.pop()
        if done:
            order.append(fn)
            continue
        if fn.parents is None:
            raise RuntimeError(FREED)
        stack.append((fn, True))
        for p in fn.parents:
            if isinstance(p, Tensor) and p._ctx is not None:
                c = p._ctx
                out_of.setdefault(c, p)
                if c not in seen:
                    seen.add(c)
                    stack.append((c, False))
    order.reverse()
    return order, out_of


def leaves(order: list) -> list[Tensor]:
    """Every leaf tensor requiring grad that the nodes in ``order`` read (each once)."""
    out, seen = [], set()
    for fn in order:
        for p in fn.parents:
            if isinstance(p, Tensor) and p._ctx is None and p.requires_grad and id(p) not in seen:
                seen.add(id(p))
                out.append(p)
    return out


def autograd_gradient(loss: Tensor, target: Tensor):
    """d loss / d target from a real ``loss.backward(retain_graph=True)``, leaving every
    ``.grad`` in the graph as it was."""
    order, out_of = walk(loss)
    saved = [(t, t.grad) for t in leaves(order)]
    saved += [(t, t.grad) for t in out_of.values()]
    if target._ctx is not None:
        saved.append((target, target.grad))
    retained = target._ctx._retained if target._ctx is not None else None
    try:
        for t, _ in saved:
            t.grad = None
        if target._ctx is not None:
            target._ctx._retained = target
        loss.backward(retain_graph=True)
        g = target.grad
        return None if g is None else np.array(g.data)
    finally:
        if target._ctx is not None:
            target._ctx._retained = retained
        for t, g in saved:
            t.grad = g


# --- module records ----------------------------------------------------------------------

_record_depth = 0


def module_path() -> str:
    """The dotted name of the innermost module being called, from the call stack of
    module tracing ("" for the outermost model itself, "layer2", "encoder.0")."""
    stack = _module._call_stack
    if not stack:
        return ""
    parts = []
    for parent, child in zip(stack, stack[1:]):
        name = next((k for k, v in parent._modules.items() if v is child), None)
        parts.append(name if name is not None else type(child).__name__)
    return ".".join(parts)


def _record_hook(fn, out, args) -> None:
    m = _module.current_module()
    if m is not None and out._ctx is fn:
        fn.__dict__[MODULE_KEY] = (m, module_path())


def start_tracing(hook=None) -> None:
    """Turn module tracing on (nesting is fine) and add ``hook`` to the op hooks; undo
    with :func:`stop_tracing` and the same ``hook``."""
    global _record_depth
    if _record_depth == 0:
        _module.set_module_tracing(True)
    _record_depth += 1
    if hook is not None:
        _autograd._op_hooks.append(hook)


def stop_tracing(hook=None) -> None:
    """Undo one :func:`start_tracing` with the same ``hook``."""
    global _record_depth
    if hook is not None:
        _autograd._op_hooks.remove(hook)
    _record_depth -= 1
    if _record_depth == 0:
        _module.set_module_tracing(False)


@contextlib.contextmanager
def tracing(hook=None):
    """Module tracing on (nesting is fine) with ``hook`` added to the op hooks."""
    start_tracing(hook)
    try:
        yield
    finally:
        stop_tracing(hook)


class Tracer:
    """Base of the context managers that watch every op while active (anomaly mode,
    diagnostics): a subclass defines ``_hook(fn, out, args)``, called after each op."""

    _tracing = False

    def _start(self) -> None:
        start_tracing(self._hook)
        self._tracing = True

    def _stop(self) -> None:
        """Stop watching; does nothing when not watching."""
        if self._tracing:
            self._tracing = False
            stop_tracing(self._hook)


@contextlib.contextmanager
def record():
    """Within this block every op remembers the module that made it, so explanations,
    graph views and anomaly reports can say ``layer2 (Linear)``.

    >>> with gn.explain.record():
    ...     loss = loss_fn(model(x), y)
    """
    with tracing(_record_hook):
        yield


def module_of(fn):
    """The module that was running when ``fn`` was recorded (None if not recorded)."""
    d = getattr(fn, "__dict__", None)
    rec = None if d is None else d.get(MODULE_KEY)
    return None if rec is None else rec[0]


def path_of(fn) -> str | None:
    d = getattr(fn, "__dict__", None)
    rec = None if d is None else d.get(MODULE_KEY)
    return None if rec is None else rec[1]


def module_label(m, path: str) -> str:
    """``layer2 (Linear)``, or the type alone for the outermost model."""
    return f"{path} ({type(m).__name__})" if path else type(m).__name__


class Names:
    """Labels for tensors, modules and nodes: parameter and module names from a model
    (``named_parameters``/``named_modules``), ``Tensor.name``, then short defaults."""

    def __init__(self, model=None, names: dict | None = None):
        self.tensor_names: dict[int, str] = {}
        self.module_names: dict[int, str] = {}
        self._keep: list = []  # keeps labelled objects alive, so ids stay unique
        if model is not None:
            for n, m in model.named_modules():
                self.module_names[id(m)] = n or type(m).__name__.lower()
                self._keep.append(m)
            for n, p in model.named_parameters():
                self.tensor_names[id(p)] = n
                self._keep.append(p)
        for n, t in (names or {}).items():
            self.tensor_names[id(t)] = n
            self._keep.append(t)
        self._consts: dict[int, str] = {}

    def tensor(self, t) -> str:
        """The label of a leaf or named tensor (or a plain value)."""
        if not isinstance(t, Tensor):
            return fmt_value(t)
        n = self.tensor_names.get(id(t)) or t.name
        if n:
            return n
        if t._ctx is not None:
            return self.node(t._ctx)
        k = self._consts.get(id(t))
        if k is None:
            prefix = "p" if t.requires_grad else "c"
            k = f"{prefix}{sum(1 for v in self._consts.values() if v[0] == prefix) + 1}"
            self._consts[id(t)] = k
            self._keep.append(t)
        return k

    def named(self, t) -> bool:
        return isinstance(t, Tensor) and bool(self.tensor_names.get(id(t)) or t.name)

    def module(self, m, path: str | None = None) -> str:
        if m is None:
            return ""
        n = self.module_names.get(id(m))
        if n is None:
            n = path or ""
        return module_label(m, n)

    def node(self, fn) -> str:
        m = module_of(fn)
        return f"{fn.name} in {self.module(m, path_of(fn))}" if m is not None else fn.name


def fmt_value(v) -> str:
    """A number as the explanations print it (4 significant digits)."""
    if isinstance(v, Tensor):
        v = v.data
    if isinstance(v, str):
        return repr(v)
    if v is None:
        return "None"
    a = np.asarray(v)
    if a.size == 1:
        x = a.reshape(()).item()
        if isinstance(x, bool):
            return str(x)
        if isinstance(x, int) or float(x).is_integer() and abs(x) < 1e15:
            return str(int(x))
        return f"{x:.4g}"
    return f"array{tuple(a.shape)}"


def summary(a) -> str:
    """Short description of an array: its values when few, else shape and statistics."""
    a = np.asarray(a)
    if a.size == 0:
        return f"empty {tuple(a.shape)}"
    if a.dtype.kind not in "fiub":
        return f"{a.dtype} {tuple(a.shape)}"
    if a.size <= 6:
        if not a.ndim:
            return fmt_value(a)
        return "[" + ", ".join(fmt_value(x) for x in a.reshape(-1)) + "]"
    f = a.astype(np.float64)
    fin = np.isfinite(f)
    s = f"mean {fmt_value(f[fin].mean()) if fin.any() else 'nan'}"
    if fin.any():
        g = f[fin]
        s += f" std {fmt_value(g.std())} min {fmt_value(g.min())} max {fmt_value(g.max())}"
    if not fin.all():
        s += f" ({int((~fin).sum())} non-finite)"
    return s


def bindex(idx: tuple, shape: tuple) -> tuple:
    """The element of an array of ``shape`` that broadcasting pairs with output ``idx``."""
    idx = tuple(idx)[len(idx) - len(shape):] if len(shape) else ()
    return tuple(0 if n == 1 else i for i, n in zip(idx, shape))
