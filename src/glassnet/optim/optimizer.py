"""The Optimizer base: parameter groups, per-parameter state, zero_grad, state_dict.

Optimizers update ``param.data`` (in place) from ``param.grad.data``. Gradient arrays
are never changed in place: the autograd engine may hand one array to several tensors.
State is plain NumPy arrays and Python numbers, so ``state_dict()`` can be saved as
safetensors plus JSON with no pickle.
"""

from __future__ import annotations

import functools

import numpy as np

from ..autograd import enable_grad
from ..tensor import Tensor, writes

__all__ = ["Optimizer", "required"]


class _Required:
    def __repr__(self) -> str:
        return "<required parameter>"


required = _Required()
"""Marks a hyper-parameter with no default (every group must give it)."""


def _check_hyper(name: str, value, low: float = 0.0) -> None:
    if not isinstance(value, (int, float, np.floating, np.integer)) or isinstance(value, bool):
        raise TypeError(f"{name} must be a number, got {type(value).__name__}")
    if not value >= low:
        what = "learning rate" if name == "lr" else name
        raise ValueError(f"Invalid {what}: {value} (must be >= {low})")


def _pair(value):
    """A list or tuple hyper-parameter as a tuple (anything else kept, for the check)."""
    return tuple(value) if isinstance(value, (list, tuple)) else value


def _check_betas(betas) -> None:
    """Adam-family ``betas``: two numbers, each in [0, 1)."""
    if not isinstance(betas, (tuple, list)) or len(betas) != 2:
        raise ValueError(f"Invalid betas: {betas!r} (expected a pair (beta1, beta2))")
    for i, b in enumerate(betas):
        _check_hyper(f"beta parameter at index {i}", b)
        if not b < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {b} (must be in [0, 1))")


_SCALAR_STATE = {"step", "mu_product", "eta", "mu"}
"""State entries that are numbers, not per-element arrays (PyTorch saves them 0-D)."""

_SCHEDULER_KEYS = {"initial_lr", "max_lr", "min_lr", "max_momentum", "base_momentum"}
"""Keys learning-rate schedulers add to parameter groups (OneCycleLR the last four)."""


def _guess_optimizer(keys: set) -> str:
    """The glassnet optimizer(s) whose hyper-parameters are exactly ``keys``."""
    import inspect

    from .. import optim

    names = []
    for cls in (getattr(optim, n) for n in optim.__all__
                if n not in ("Optimizer", "lr_scheduler")):
        try:
            opt = cls([Tensor(np.zeros(1), requires_grad=True)])
        except (TypeError, ValueError):  # a required lr: give one
            params = inspect.signature(cls).parameters
            if "lr" not in params:
                continue
            opt = cls([Tensor(np.zeros(1), requires_grad=True)], lr=0.1)
        if set(opt.defaults) == keys:
            names.append(cls.__name__)
    return " or ".join(names) if names else f"another optimizer (keys {sorted(keys)})"


def write_epoch(params) -> int:
    """Open a write epoch for an optimizer writing ``params`` (a group's list) in place and
    log it; the caller bumps ``_version`` and sets ``_wepoch`` to it on each parameter it
    writes (see ``glassnet._inplace``)."""
    w = writes.epoch = writes.epoch + 1
    writes.log.append((w, params))
    return w


def counts_own_writes(step):
    """Mark an optimizer's ``step`` as bumping the versions of the parameters it writes
    itself (through ``Optimizer._grads`` or by hand), so it is not wrapped to do it again."""
    step._counts_writes = True
    return step


class Optimizer:
    """Base class. ``params`` is an iterable of Parameters or of dicts (parameter groups,
    each ``{"params": [...], **hyper-parameters}``); ``defaults`` fills what a group
    leaves out. Subclasses implement ``step``."""

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_counts_writes", False):
            @functools.wraps(step)
            def counted_step(self, *args, **kwargs):
                loss = step(self, *args, **kwargs)
                self._count_writes()
                return loss

            counted_step._counts_writes = True
            cls.step = counted_step

    def _count_writes(self) -> None:
        """A step writes each parameter with a gradient in place: bump their versions, so
        a backward through a graph built before the step refuses, as in PyTorch.

        A subclass's ``step`` is wrapped to call this afterwards, unless it is marked with
        :func:`counts_own_writes` (the built-in optimizers: ``_grads`` bumps each parameter
        it hands out, which saves a second pass over the parameters on every step)."""
        for group in self.param_groups:
            w = write_epoch(group["params"])
            for p in group["params"]:
                if p.grad is not None:
                    p._version += 1
                    p._wepoch = w

    def __init__(self, params, defaults: dict) -> None:
        self.defaults = dict(defaults)
        self.state: dict = {}
        self.param_groups: list[dict] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params must be an iterable of Tensors or dicts, got a single Tensor; "
                "pass [tensor] or model.parameters()"
            )
        groups = list(params)
        if not groups:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for g in groups:
            self.add_param_group(g)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group of parameters with its own hyper-parameters (e.g. a new layer)."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param group must be a dict, got {type(param_group).__name__}")
        params = param_group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, got {type(p).__name__}")
            if not p.is_leaf:
                raise ValueError("optimizer can't optimize a non-leaf Tensor")
        group = dict(param_group)
        group["params"] = params
        for k, v in self.defaults.items():
            if v is required and k not in group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {k}")
            group.setdefault(k, v)
        self._validate(group)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a parameter group contains the same parameter twice")
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def _validate(self, group: dict) -> None:
        """Check a group's hyper-parameters (subclasses extend)."""
        _check_hyper("lr", group["lr"])

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Drop (or zero) every parameter's gradient before the next backward."""
        for group in self.param_groups:
            for p in group["params"]:
                if set_to_none or p.grad is None:
                    p.grad = None
                else:
                    p.grad.data = np.zeros_like(p.grad.data)

    def step(self, closure=None):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def _grads(group: dict, weight_decay=None):
        """``(p, g)`` for each parameter of ``group`` that has a gradient, where g is the
        gradient array negated with ``maximize``, plus ``weight_decay · θ`` (the group's
        unless given; 0 for decoupled decay). A changed g is a new array: ``p.grad`` is
        never written."""
        maximize = group["maximize"]
        wd = group["weight_decay"] if weight_decay is None else weight_decay
        params = group["params"]
        w = write_epoch(params)  # the caller writes each p in place (see counts_own_writes)
        for p in params:
            g = p.grad
            if g is None:
                continue
            g = g.data
            if maximize:
                g = -g
            if wd:
                g = g + wd * p.data
            p._version += 1
            p._wepoch = w
            yield p, g

    def _closure(self, closure):
        if closure is None:
            return None
        with enable_grad():
            return closure()

    # --- state -------------------------------------------------------------------------
    def state_dict(self) -> dict:
        """``{"state": {index: {name: array or number}}, "param_groups": [...]}``.

        Parameters are numbered in group order; each group lists its indices under
        ``"params"``. Arrays are copies.
        """
        index: dict[int, int] = {}
        groups = []
        for g in self.param_groups:
            packed = {k: v for k, v in g.items() if k != "params"}
            ids = []
            for p in g["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {}
        for p, s in self.state.items():
            if id(p) in index:
                state[index[id(p)]] = {
                    k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in s.items()
                }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict) -> None:
        """Restore hyper-parameters and state saved by :meth:`state_dict` (arrays copied
        and cast to each parameter's dtype; JSON's string keys are accepted)."""
        if not isinstance(state_dict, dict) or not {"state", "param_groups"} <= set(state_dict):
            got = (sorted(state_dict) if isinstance(state_dict, dict)
                   else type(state_dict).__name__)
            raise ValueError(
                f"{type(self).__name__}.load_state_dict: expected a dict with 'state' and "
                f"'param_groups' (from optimizer.state_dict()), got {got}"
            )
        saved_groups = state_dict["param_groups"]
        if not isinstance(saved_groups, (list, tuple)) \
                or not all(isinstance(g, dict) and "params" in g for g in saved_groups):
            raise ValueError(f"{type(self).__name__}.load_state_dict: 'param_groups' must be "
                             f"a list of dicts each with 'params'")
        self._check_same_kind(saved_groups)
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups, the optimizer "
                f"has {len(self.param_groups)}"
            )
        mapping = {}
        for i, (g, sg) in enumerate(zip(self.param_groups, saved_groups)):
            if len(g["params"]) != len(sg["params"]):
                raise ValueError(
                    f"loaded state dict's parameter group {i} has {len(sg['params'])} "
                    f"parameters, the optimizer's has {len(g['params'])}"
                )
            for idx, p in zip(sg["params"], g["params"]):
                mapping[int(idx)] = p
        new_state = {}
        for idx, s in state_dict["state"].items():
            p = mapping.get(int(idx))
            if p is None:
                continue
            entry = {}
            for k, v in s.items():
                if isinstance(v, Tensor):
                    v = v.data
                # a 0-D parameter's per-element state is 0-D too: kept an array
                if isinstance(v, np.ndarray) and (v.ndim or (
                        p.data.ndim == 0 and k not in _SCALAR_STATE)):
                    want = self._state_shape(p, k)
                    if v.shape != want:
                        what = ("the parameter" if want == p.data.shape
                                else f"expected {want} for the parameter's")
                        raise ValueError(
                            f"optimizer state {k!r} of parameter {idx} has shape {v.shape}, "
                            f"{what} {p.data.shape}"
                        )
                    v = v.astype(p.data.dtype) if v.dtype.kind == "f" else v.copy()
                elif isinstance(v, (np.ndarray, np.generic)):
                    v = v.item()
                entry[k] = v
            new_state[p] = entry
        for g, sg in zip(self.param_groups, saved_groups):
            for k, v in sg.items():
                if k != "params":
                    g[k] = tuple(v) if isinstance(v, list) else v
        self.state = new_state

    def _state_shape(self, p: Tensor, key: str) -> tuple:
        """The shape a state array ``key`` of parameter ``p`` must have when loaded (the
        parameter's own; Adafactor's factored moments differ)."""
        return p.data.shape

    def _check_same_kind(self, saved_groups) -> None:
        """Refuse another optimizer's state (Adam's into SGD would silently bring its
        lr and betas along): the saved groups must hold this optimizer's hyper-parameters
        and no foreign ones."""
        own = set(self.defaults)
        for i, sg in enumerate(saved_groups):
            keys = set(sg) - {"params"} - _SCHEDULER_KEYS
            mine = set(self.param_groups[i]) if i < len(self.param_groups) else own
            foreign, missing = keys - mine - own, own - keys
            if foreign or missing:
                saved = _guess_optimizer(keys)
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: the state was saved by {saved}, "
                    f"not {type(self).__name__} (its parameter group {i} has "
                    f"{sorted(foreign) or 'no'} {'key' if len(foreign) == 1 else 'keys'} "
                    f"{type(self).__name__} does not use and lacks {sorted(missing) or 'none'}); "
                    f"load it into the optimizer that saved it"
                )

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, g in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for k in sorted(g):
                if k != "params":
                    lines.append(f"    {k}: {g[k]}")
        lines.append(")")
        return "\n".join(lines)


class _AdamFamily(Optimizer):
    """Base of the optimizers with Adam's hyper-parameters lr, betas, eps, weight_decay
    (Adam, AdamW, Adamax, NAdam, RAdam): checks them."""

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        _check_hyper("epsilon value", group["eps"])
        _check_betas(group["betas"])
        _check_hyper("weight_decay value", group["weight_decay"])
