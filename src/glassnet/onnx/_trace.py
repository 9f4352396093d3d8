"""Recording what a model runs: the ops (with the module that ran each), whole calls of
the layers exported as one node, and the checks that compare two runs (which sizes follow
the dynamic axes; which constants were really computed from the input)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import autograd as _autograd
from ..explain import _graph
from ..nn import module as _module
from ..tensor import Tensor
from . import OnnxExporterError


@dataclass
class OpRecord:
    fn: object
    out: Tensor
    args: tuple
    path: str
    module: object
    shape2: tuple | None = None  # the output's shape in the second run

    @property
    def name(self) -> str:
        return self.fn.name


@dataclass
class ModuleRecord:
    module: object
    path: str
    args: tuple
    kwargs: dict
    out: object

    @property
    def name(self) -> str:
        return type(self.module).__name__


class _Recorder:
    def __init__(self, model, module_table: dict):
        self.records: list = []
        self.hidden = 0  # > 0 inside a layer recorded whole: its ops are not recorded
        self.wrapped: list = []
        for path, m in model.named_modules():
            if type(m).__name__ in module_table and "forward" not in m.__dict__:
                self._wrap(m, path)

    def _wrap(self, m, path: str) -> None:
        orig = m.forward
        rec = self

        def forward(*args, **kwargs):
            rec.hidden += 1
            try:
                out = orig(*args, **kwargs)
            finally:
                rec.hidden -= 1
            if not rec.hidden:
                rec.records.append(ModuleRecord(m, path, args, kwargs, out))
            return out

        m.__dict__["forward"] = forward
        self.wrapped.append(m)

    def unwrap(self) -> None:
        for m in self.wrapped:
            m.__dict__.pop("forward", None)
        self.wrapped = []

    def hook(self, fn, out, args) -> None:
        if self.hidden:
            return
        m = _module.current_module()
        self.records.append(OpRecord(fn, out, tuple(args), _graph.module_path(), m))


def _run(model, args: tuple, module_table: dict):
    rec = _Recorder(model, module_table)
    try:
        with _autograd.no_grad(), _graph.tracing(rec.hook):
            out = model(*args)
    finally:
        rec.unwrap()
    return rec.records, out


def _flatten_out(out, where: str = "output") -> list:
    if isinstance(out, Tensor):
        return [out]
    if isinstance(out, (tuple, list)):
        flat = []
        for i, o in enumerate(out):
            if o is not None:
                flat += _flatten_out(o, f"{where}[{i}]")
        return flat
    raise OnnxExporterError(f"export: the model returned {type(out).__name__} at {where}; "
                            f"expected Tensors (or tuples of them)")


def _grow(t: Tensor, axes, rng) -> Tensor:
    """A second input: one larger along each dynamic axis, its values shuffled."""
    a = np.asarray(t.data)
    for ax in sorted(axes):
        if not -a.ndim <= ax < a.ndim:
            raise ValueError(f"export: dynamic axis {ax} is out of range for an input of "
                             f"shape {tuple(a.shape)}")
        first = np.take(a, [0], axis=ax) if a.shape[ax] else np.zeros(
            a.shape[:ax] + (1,) + a.shape[ax + 1:], a.dtype)
        a = np.concatenate([a, first], axis=ax)
    # Shuffled values: the same ones (so the same domain: positive, valid indices), in
    # other places, so anything computed from them outside the recorded ops changes.
    a = rng.permutation(a.reshape(-1)).reshape(a.shape)
    return Tensor(a)


def _values_differ(a, b) -> bool:
    if isinstance(a, Tensor):
        a = a.data
    if isinstance(b, Tensor):
        b = b.data
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape or a.dtype != b.dtype:
        return True
    if a.dtype.kind == "f":
        return not np.array_equal(a, b, equal_nan=True)
    return not np.array_equal(a, b)


def _produced(args: tuple, records: list) -> set:
    """ids of the inputs and of every recorded output (Tensors and their arrays)."""
    ids = set()
    for t in list(args) + [o for r in records for o in
                           (_flatten_out(r.out) if isinstance(r, ModuleRecord) else [r.out])]:
        ids.add(id(t))
        ids.add(id(t.data))
    return ids


def _align(recs1: list, recs2: list, b) -> None:
    """Attach second-run shapes to the first run's records."""
    def kind(r):
        return type(r.fn if isinstance(r, OpRecord) else r.module)

    if any(kind(r) is not kind(s) for r, s in zip(recs1, recs2)):
        raise OnnxExporterError(
            "export: the model ran different ops on inputs of another batch size (or other "
            "values): data-dependent control flow cannot be exported as one ONNX graph")
    for r, s in zip(recs1, recs2):
        if isinstance(r, OpRecord):
            r.shape2 = tuple(s.out.shape)
            b.shape2[id(r.out)] = r.shape2
            b.shape2[id(r.out.data)] = r.shape2
        else:
            for o1, o2 in zip(_flatten_out(r.out), _flatten_out(s.out)):
                b.shape2[id(o1)] = tuple(o2.shape)


def _inputs(r) -> list:
    return list(r.args) + (list(r.kwargs.values()) if isinstance(r, ModuleRecord) else [])


def _arrays(args) -> list:
    """The Tensors and arrays among ``args``, looking inside tuples and lists (index keys)."""
    out = []
    for a in args:
        if isinstance(a, (Tensor, np.ndarray)):
            out.append(a)
        elif isinstance(a, (tuple, list)):
            out += _arrays(a)
    return out


def _check_constants(r, s, b, known1: set, known2: set, pick=None) -> None:
    """Refuse a constant (a tensor the op reads that no input, parameter, buffer or recorded
    op made) that differs between the two runs: it was computed from the input. ``pick``
    (a converter's ``constants``) chooses the arguments the ONNX form uses from the op's
    arguments (leaving out what only backward needs)."""
    ins1, ins2 = _inputs(r), _inputs(s)
    if pick is not None:
        ins1, ins2 = pick(ins1), pick(ins2)
    arrays1, arrays2 = _arrays(ins1), _arrays(ins2)
    if len(arrays1) != len(arrays2):
        arrays2 = [None] * len(arrays1)
    for a1, a2 in zip(arrays1, arrays2):
        if id(a1) in b.params or id(a1) in known1:
            continue
        if a2 is None or id(a2) in known2 or _values_differ(a1, a2):
            raise OnnxExporterError(
                f"export: op {r.name} in {_where(r)} reads a tensor that is neither an input, "
                f"a parameter, a buffer nor the output of a recorded op, and it changes with "
                f"the input (computed through .data, .numpy(), .item(), comparisons or "
                f"NumPy?): it cannot be exported as a constant")


def _where(r) -> str:
    m = r.module
    if not r.path and m is None:
        return "the model's forward"
    t = type(m).__name__ if m is not None else "?"
    return f"module {r.path!r} ({t})" if r.path else f"the top-level module ({t})"


def _needed(records: list, outs: list) -> list:
    """The records whose outputs the model's outputs depend on, in order."""
    need = {id(o) for o in outs} | {id(o.data) for o in outs}
    keep = []
    for r in reversed(records):
        produced = _flatten_out(r.out) if isinstance(r, ModuleRecord) else [r.out]
        if not any(id(o) in need or id(o.data) in need for o in produced):
            continue
        keep.append(r)
        for a in _arrays(_inputs(r)):
            need.add(id(a))
            if isinstance(a, Tensor):
                need.add(id(a.data))
    keep.reverse()
    return keep
