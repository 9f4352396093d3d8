"""Module hooks: forward pre-hooks, forward hooks and full backward (pre-)hooks.

A module with no hooks is called directly (``Module.__call__`` tests one flag); the code
here runs only for modules that have some.

Backward hooks are three identity ops around the module's forward, made in this order:

1. an *anchor* node whose parents are the module's tensor inputs (and a private leaf that
   always requires grad, so the anchor is recorded even when no input needs a gradient);
2. one *input* node per positional input that requires grad: the module sees its output,
   and its backward only records the gradient arriving for that input;
3. the forward itself, then one *output* node per tensor output, which records (and, for
   a backward pre-hook, may replace) the gradient arriving for that output, and also feeds
   a zero gradient to the anchor so that the anchor is in the backward pass.

The engine runs nodes newest first, so every output node runs before the module's own
ops, every input node after them, and the anchor last: by then each input's gradient is
known, the hooks see them all at once, and the anchor hands the (possibly replaced)
gradients on to the inputs.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict

from .. import autograd
from ..autograd import Function, RemovableHandle
from ..backend import xp
from ..tensor import Tensor

__all__ = ["RemovableHandle", "add", "call_with_hooks"]

_KINDS = ("forward_pre", "forward", "backward", "backward_pre")


def add(module, kind: str, hook, prepend: bool, **opts) -> RemovableHandle:
    if not callable(hook):
        raise TypeError(f"register_{kind}_hook: hook must be callable, got "
                        f"{type(hook).__name__}")
    store = module.__dict__.setdefault("_hook_store", {k: OrderedDict() for k in _KINDS})
    hooks = store[kind]

    def on_remove():
        module.__dict__["_has_hooks"] = any(store.values())

    handle = RemovableHandle(hooks, on_remove)
    hooks[handle.id] = (hook, opts)
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    module.__dict__["_has_hooks"] = True
    from .module import _note_hooked  # here: module.py imports this file

    _note_hooked()
    return handle


def call_with_hooks(module, args: tuple, kwargs: dict):
    """Run ``module.forward`` with the module's hooks around it (PyTorch's order)."""
    store = module.__dict__["_hook_store"]
    for hook, opts in list(store["forward_pre"].values()):
        if opts["with_kwargs"]:
            r = hook(module, args, kwargs)
            if r is not None:
                if not (isinstance(r, tuple) and len(r) == 2):
                    raise RuntimeError(
                        f"forward pre-hook {_name(hook)} registered with with_kwargs=True must "
                        f"return None or a tuple (new_args, new_kwargs), got {type(r).__name__}"
                    )
                args, kwargs = r
        else:
            r = hook(module, args)
            if r is not None:
                args = r if isinstance(r, tuple) else (r,)
    backward, backward_pre = store["backward"], store["backward_pre"]
    state = None
    if (backward or backward_pre) and autograd.is_grad_enabled():
        state = _BackwardState(module, [h for h, _ in backward.values()],
                               [h for h, _ in backward_pre.values()])
        if backward:
            args = state.wrap_inputs(args)
    try:
        out = module.forward(*args, **kwargs)
    except Exception:
        for hook, opts in list(store["forward"].values()):
            if opts["always_call"]:
                try:
                    _call_forward_hook(module, hook, opts, args, kwargs, None)
                except Exception as e:  # the forward's own error is the one to report
                    warnings.warn(f"forward hook {_name(hook)} (always_call=True) raised "
                                  f"{type(e).__name__}: {e}", stacklevel=2)
        raise
    for hook, opts in list(store["forward"].values()):
        r = _call_forward_hook(module, hook, opts, args, kwargs, out)
        if r is not None:
            out = r
    if state is not None:
        out = state.wrap_outputs(out)
    return out


def _call_forward_hook(module, hook, opts, args, kwargs, out):
    if opts["with_kwargs"]:
        return hook(module, args, kwargs, out)
    return hook(module, args, out)


def _name(hook) -> str:
    return getattr(hook, "__qualname__", None) or repr(hook)


# --- backward hooks -------------------------------------------------------------------------

_ALWAYS = Tensor(xp.zeros(()), requires_grad=True)
"""A private leaf that makes the anchor node record even when no input requires grad."""


def _wrap(g):
    return None if g is None else Tensor._wrap(g)


def _unwrap(g, what: str):
    if g is None:
        return None
    if isinstance(g, Tensor):
        return g.data
    raise TypeError(f"{what}: expected a Tensor or None, got {type(g).__name__}")


class _BackwardState:
    def __init__(self, module, hooks: list, pre_hooks: list) -> None:
        self.module, self.hooks, self.pre_hooks = module, hooks, pre_hooks
        self.anchor = None
        self.grad_input: list = []
        self.grad_output: list = []
        self.n_out = 0

    def wrap_inputs(self, args: tuple) -> tuple:
        self.positions = [i for i, a in enumerate(args) if isinstance(a, Tensor)]
        self.tensors = [args[i] for i in self.positions]
        self.anchor = ModuleHookAnchor.apply(_ALWAYS, *self.tensors, state=self)
        self.n_in = len(args)
        self.grad_input = [None] * len(args)
        return tuple(
            ModuleHookInput.apply(a, self, i) if isinstance(a, Tensor) and a.requires_grad
            else a
            for i, a in enumerate(args)
        )

    def wrap_outputs(self, out):
        single = isinstance(out, Tensor)
        outs = (out,) if single else tuple(out) if isinstance(out, (tuple, list)) else None
        if outs is None:
            return out
        if self.pre_hooks and not single:
            raise RuntimeError(
                f"register_full_backward_pre_hook: {type(self.module).__name__} returns "
                f"{len(outs)} values; backward pre-hooks support modules with one tensor "
                f"output only"
            )
        self.n_out = len(outs)
        self.grad_output = [None] * len(outs)
        wrapped = []
        for j, o in enumerate(outs):
            if isinstance(o, Tensor) and o.requires_grad:
                o = ModuleHookOutput.apply(o, self.anchor, self, j)
            wrapped.append(o)
        if single:
            return wrapped[0]
        return type(out)(wrapped) if isinstance(out, list) else tuple(wrapped)

    def run_pre_hooks(self, gy):
        for hook in self.pre_hooks:
            r = hook(self.module, (_wrap(gy),))
            if r is not None:
                r = tuple(r) if isinstance(r, (tuple, list)) else (r,)
                if len(r) != 1:
                    raise RuntimeError(f"backward pre-hook {_name(hook)} returned {len(r)} "
                                       f"gradients for 1 output")
                gy = _unwrap(r[0], f"backward pre-hook {_name(hook)}")
        return gy

    def run_hooks(self) -> list:
        gin = self.grad_input
        if any(a.requires_grad for a in self.tensors):
            # As in PyTorch: once some input needs a gradient, every tensor input gets one
            # (zeros where none arrived); with none needing one, all are None.
            for i, a in zip(self.positions, self.tensors):
                if gin[i] is None:
                    gin[i] = xp.zeros(a.shape, dtype=a.data.dtype)
        grad_input = tuple(_wrap(g) for g in gin)
        grad_output = tuple(_wrap(g) for g in self.grad_output)
        for hook in self.hooks:
            r = hook(self.module, grad_input, grad_output)
            if r is not None:
                r = tuple(r) if isinstance(r, (tuple, list)) else (r,)
                if len(r) != len(grad_input):
                    raise RuntimeError(
                        f"backward hook {_name(hook)} returned {len(r)} gradients, expected "
                        f"{len(grad_input)} (one per positional input of "
                        f"{type(self.module).__name__})"
                    )
                grad_input = r
        return [_unwrap(g, f"backward hook of {type(self.module).__name__}")
                for g in grad_input]


class ModuleHookAnchor(Function):
    """Runs the module's full backward hooks once every input's gradient is known, then
    hands those gradients to the inputs."""

    name, formula = "module_backward_hook", 1.0

    def forward(self, _always, *xs, state):
        self.state = state
        return xp.zeros((), dtype=xp.float64)

    def backward(self, gy):
        st = self.state
        gin = st.run_hooks()
        return (None,) + tuple(gin[i] for i in st.positions)


class ModuleHookInput(Function):
    """Identity on one input; its backward only records the gradient for the anchor."""

    name, formula = "module_input", 1.0

    def forward(self, x, state, i):
        self.state, self.i = state, i
        return x.view()

    def backward(self, gy):
        self.state.grad_input[self.i] = gy
        return None


class ModuleHookOutput(Function):
    """Identity on one output; records (and lets a backward pre-hook replace) its
    gradient, and sends a zero gradient to the anchor so that the anchor runs."""

    name, formula = "module_output", (1.0, None)

    def forward(self, y, anchor, state, j):
        self.state, self.j = state, j
        return y.view()

    def backward(self, gy):
        st = self.state
        if st.pre_hooks:
            gy = st.run_pre_hooks(gy)
        st.grad_output[self.j] = gy
        # The anchor is None when the module has backward pre-hooks only.
        return gy, (None if st.anchor is None else xp.zeros((), dtype=xp.float64))
