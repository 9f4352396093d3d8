"""Module: the base class of layers and models.

Attribute assignment registers Parameters, sub-Modules and buffers in insertion order;
``state_dict`` uses dotted keys (``features.0.weight``), and ``load_state_dict`` is strict
and reports every missing, unexpected and mis-shaped key in one error.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor
from . import _hooks
from ._hooks import RemovableHandle
from .parameter import Parameter

__all__ = ["Module", "StateDictError", "set_module_tracing", "current_module", "RemovableHandle"]

_call_stack: list | None = None
"""Modules being called, innermost last, while tracing is on (None when off)."""

_hooked = False
"""Has any module ever had a hook registered (in this process)?"""

_plain = True
"""Tracing off and no module ever hooked: a call is just ``forward``, one test."""


def set_module_tracing(on: bool) -> None:
    """Turn module-call tracking on or off (used by anomaly mode and graph views)."""
    global _call_stack, _plain
    _call_stack = [] if on else None
    _plain = _call_stack is None and not _hooked


def _note_hooked() -> None:
    """A hook was registered on some module: calls look for hooks from now on."""
    global _hooked, _plain
    _hooked, _plain = True, False


def current_module():
    """The innermost module being called, or None (always None when tracing is off)."""
    return _call_stack[-1] if _call_stack else None


class StateDictError(RuntimeError):
    """``load_state_dict`` found missing, unexpected or mis-shaped keys."""


class Module:
    """Base class for all layers: subclasses set attributes in ``__init__`` and define
    ``forward``. Calling the module calls ``forward``."""

    training: bool
    _has_hooks = False  # set on an instance when a hook is registered (one test per call)

    def __init__(self) -> None:
        d = self.__dict__
        d["training"] = True
        d["_parameters"] = OrderedDict()
        d["_buffers"] = OrderedDict()
        d["_non_persistent"] = set()
        d["_modules"] = OrderedDict()

    # --- registration ------------------------------------------------------------------
    def __setattr__(self, name: str, value) -> None:
        d = self.__dict__
        if "_parameters" not in d:
            raise AttributeError(
                f"cannot assign {name!r} before Module.__init__() is called "
                f"(call super().__init__() first in {type(self).__name__}.__init__)"
            )
        params, modules, buffers = d["_parameters"], d["_modules"], d["_buffers"]
        if isinstance(value, Parameter):
            modules.pop(name, None)
            buffers.pop(name, None)
            d.pop(name, None)
            params[name] = value
        elif isinstance(value, Module):
            params.pop(name, None)
            buffers.pop(name, None)
            d.pop(name, None)
            modules[name] = value
        elif name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign {type(value).__name__} to parameter {name!r} of "
                    f"{type(self).__name__} (expected a Parameter or None)"
                )
            params[name] = None
        elif name in buffers:
            if value is not None and not isinstance(value, Tensor):
                value = Tensor(value)
            buffers[name] = value
        elif name in modules:
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} to sub-module {name!r}")
            modules[name] = None
        else:
            d[name] = value

    def __getattr__(self, name: str):
        # Called only when normal lookup fails: parameters, buffers and sub-modules.
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            s = d.get(store)
            if s is not None and name in s:
                return s[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        for store in ("_parameters", "_buffers", "_modules"):
            s = self.__dict__[store]
            if name in s:
                del s[name]
                return
        object.__delattr__(self, name)

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: expected a Parameter, got {type(param).__name__}")
        self.__dict__["_parameters"][name] = param

    def register_buffer(self, name: str, tensor, persistent: bool = True) -> None:
        """A tensor that is state but not learnable (running statistics, masks).

        Buffers move with ``.to()``/``.double()`` and are listed by ``named_buffers()``; a
        ``persistent=False`` buffer is left out of ``state_dict()``.
        """
        d = self.__dict__
        if not isinstance(name, str):
            raise TypeError(f"register_buffer: name must be a str, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"register_buffer: buffer name must be non-empty and contain no "
                           f"'.', got {name!r}")
        if name not in d["_buffers"] and (name in d or name in d["_parameters"]
                                           or name in d["_modules"]):
            raise KeyError(f"register_buffer: attribute {name!r} already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            tensor = Tensor(tensor)
        d["_buffers"][name] = tensor
        if persistent:
            d["_non_persistent"].discard(name)
        else:
            d["_non_persistent"].add(name)

    def register_module(self, name: str, module: Module | None) -> None:
        self.__dict__["_modules"][name] = module

    add_module = register_module

    # --- calling -----------------------------------------------------------------------
    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args, **kwargs):
        if _plain:
            return self.forward(*args, **kwargs)
        if _call_stack is None and not self._has_hooks:
            return self.forward(*args, **kwargs)
        if _call_stack is None:
            return _hooks.call_with_hooks(self, args, kwargs)
        # Tracing is on (anomaly mode, graph views): ops made inside know their module.
        _call_stack.append(self)
        try:
            if self._has_hooks:
                return _hooks.call_with_hooks(self, args, kwargs)
            return self.forward(*args, **kwargs)
        finally:
            _call_stack.pop()

    # --- hooks -------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook, *, prepend: bool = False,
                                  with_kwargs: bool = False) -> RemovableHandle:
        """``hook(module, args)`` runs before ``forward``; a non-None result replaces the
        positional inputs (a single value is wrapped in a tuple). With ``with_kwargs``:
        ``hook(module, args, kwargs)`` returning None or ``(args, kwargs)``."""
        return _hooks.add(self, "forward_pre", hook, prepend, with_kwargs=with_kwargs)

    def register_forward_hook(self, hook, *, prepend: bool = False, with_kwargs: bool = False,
                              always_call: bool = False) -> RemovableHandle:
        """``hook(module, args, output)`` runs after ``forward``; a non-None result replaces
        the output. With ``with_kwargs``: ``hook(module, args, kwargs, output)``. With
        ``always_call`` the hook also runs when ``forward`` raises."""
        return _hooks.add(self, "forward", hook, prepend, with_kwargs=with_kwargs,
                          always_call=always_call)

    def register_full_backward_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_input, grad_output)`` runs when the gradients with respect to
        the module's positional inputs have been computed (tuples of Tensors, None where an
        input is not a tensor or needs no gradient); a non-None result (a tuple of the same
        length) replaces ``grad_input``."""
        return _hooks.add(self, "backward", hook, prepend)

    def register_full_backward_pre_hook(self, hook, prepend: bool = False) -> RemovableHandle:
        """``hook(module, grad_output)`` runs when the gradients with respect to the
        module's outputs are known, before the module's own backward; a non-None result
        replaces ``grad_output``."""
        return _hooks.add(self, "backward_pre", hook, prepend)

    # --- traversal ---------------------------------------------------------------------
    def named_modules(self, prefix: str = "", memo: set | None = None) -> Iterator:
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self
        for name, m in self._modules.items():
            if m is not None:
                yield from m.named_modules(f"{prefix}.{name}" if prefix else name, memo)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_children(self) -> Iterator:
        seen = set()
        for name, m in self._modules.items():
            if m is not None and id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self) -> Iterator[Module]:
        for _, m in self.named_children():
            yield m

    def named_parameters(self, prefix: str = "", recurse: bool = True) -> Iterator:
        """(dotted name, Parameter) pairs; a tied (shared) parameter is listed once."""
        seen = set()
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mname, m in mods:
            for name, p in m._parameters.items():
                if p is None or id(p) in seen:
                    continue
                seen.add(id(p))
                yield (f"{mname}.{name}" if mname else name), p

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def named_buffers(self, prefix: str = "", recurse: bool = True) -> Iterator:
        mods = self.named_modules(prefix) if recurse else [(prefix, self)]
        for mname, m in mods:
            for name, b in m._buffers.items():
                if b is not None:
                    yield (f"{mname}.{name}" if mname else name), b

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    # --- modes -------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        for m in self.modules():
            m.__dict__["training"] = bool(mode)
        return self

    def eval(self) -> Module:
        return self.train(False)

    def requires_grad_(self, requires_grad: bool = True) -> Module:
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if set_to_none or p.grad is None:
                p.grad = None
            else:
                p.grad.data = np.zeros_like(p.grad.data)

    def apply(self, fn) -> Module:
        for m in self.children():
            m.apply(fn)
        fn(self)
        return self

    # --- state -------------------------------------------------------------------------
    def state_dict(self, prefix: str = "") -> OrderedDict:
        """Dotted names to Tensors (parameters and persistent buffers; shared memory)."""
        out = OrderedDict()
        for mname, m in self.named_modules(prefix.rstrip(".")):
            pre = f"{mname}." if mname else ""
            for name, p in m._parameters.items():
                if p is not None:
                    out[pre + name] = p
            for name, b in m._buffers.items():
                if b is not None and name not in m._non_persistent:
                    out[pre + name] = b
        return out

    def load_state_dict(self, state_dict, strict: bool = True):
        """Copy values (Tensors, NumPy arrays, or anything ``numpy.asarray`` accepts, such as
        CPU tensors of other libraries) into this module's parameters and buffers.

        With ``strict`` (the default), missing keys, unexpected keys and shape mismatches
        are all reported in one :class:`StateDictError`; without it only shape mismatches
        are errors. Returns (missing, unexpected).
        """
        own = self.state_dict()
        missing = [k for k in own if k not in state_dict]
        unexpected = [k for k in state_dict if k not in own]
        mismatched, arrays = [], {}
        for k, target in own.items():
            if k not in state_dict:
                continue
            try:
                arr = _to_numpy(state_dict[k])
            except (TypeError, ValueError) as e:
                mismatched.append(f"{k}: cannot convert {type(state_dict[k]).__name__} ({e})")
                continue
            if arr.shape != target.data.shape:
                mismatched.append(f"{k}: expected {tuple(target.shape)}, got {tuple(arr.shape)}")
            arrays[k] = arr
        if mismatched or (strict and (missing or unexpected)):
            lines = [f"Error(s) in loading state_dict for {type(self).__name__}:"]
            if missing:
                lines.append("  missing keys: " + ", ".join(missing))
            if unexpected:
                lines.append("  unexpected keys: " + ", ".join(unexpected))
            if mismatched:
                lines.append("  shape mismatches: " + "; ".join(mismatched))
            raise StateDictError("\n".join(lines))
        with no_grad():
            for k, arr in arrays.items():
                target = own[k]
                if target.data.dtype.kind == "f":
                    target.data[...] = arr.astype(target.data.dtype, copy=False)
                else:
                    target.data[...] = arr
        return missing, unexpected

    def to(self, dtype=None, *args, **kwargs) -> Module:
        """Convert floating parameters and buffers to ``dtype`` (in place; returns self).

        The device ``"cpu"`` is accepted (``model.to(device)`` code runs); glassnet
        computes with NumPy on the CPU, so any other device is an error.
        """
        from ..device import parse_to  # to(device), to(dtype), to(device, dtype), to(tensor)

        _, dtype, _ = parse_to(((dtype,) if dtype is not None else ()) + args, kwargs,
                               "Module.to()")
        if dtype is None:
            return self
        if dtype.kind != "f":
            raise TypeError(f"Module.to: only floating dtypes are supported, got {dtype}")
        for t in list(self.parameters()) + list(self.buffers()):
            if t.data.dtype.kind == "f" and t.data.dtype != dtype:
                t.data = t.data.astype(dtype)
                if t.grad is not None:
                    t.grad.data = t.grad.data.astype(dtype)
        return self

    def cpu(self) -> Module:
        return self

    def double(self) -> Module:
        return self.to(np.float64)

    def float(self) -> Module:
        return self.to(np.float32)

    # --- display -----------------------------------------------------------------------
    def extra_repr(self) -> str:
        return ""

    def num_parameters(self, only_trainable: bool = False) -> int:
        """The number of parameter elements (a tied parameter counted once)."""
        return int(sum(p.data.size for p in self.parameters()
                       if p.requires_grad or not only_trainable))

    def __repr__(self) -> str:
        # PyTorch's layout, with each leaf layer's parameter count as a comment and the
        # total on the closing line: "  (0): Linear(in_features=4, ...)  # 80 params".
        lines = []
        for name, m in self._modules.items():
            child = repr(m)
            if m is not None and "\n" not in child:
                n = m.num_parameters()
                if n:
                    child += f"  # {n:,} params"
            lines.append(f"({name}): " + child.replace("\n", "\n  "))
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        body = "\n  ".join(lines)
        n = self.num_parameters()
        tail = f"{n:,} parameters"
        frozen = n - self.num_parameters(only_trainable=True)
        if frozen:
            tail += f" ({frozen:,} frozen)"
        return f"{head}\n  {body}\n)  # {tail}"

    def get_submodule(self, target: str) -> Module:
        """The sub-module at dotted path ``target`` (``"features.0"``); "" is self."""
        m = self
        for part in target.split(".") if target else []:
            sub = m._modules.get(part)
            if sub is None:
                raise AttributeError(f"{type(m).__name__} has no sub-module {part!r} "
                                     f"(looking up {target!r})")
            m = sub
        return m

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._modules)
                      | set(self._buffers))


def _to_numpy(v) -> np.ndarray:
    if isinstance(v, Tensor):
        return v.data
    if hasattr(v, "detach") and hasattr(v, "numpy"):  # a tensor of another library
        v = v.detach()
        if hasattr(v, "cpu"):
            v = v.cpu()
        return np.asarray(v.numpy())
    arr = np.asarray(v)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"expected numeric data, got dtype {arr.dtype}")
    return arr
