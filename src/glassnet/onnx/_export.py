"""The exporter: record the ops a model runs, turn each into ONNX nodes, check, write.

Tracing uses the engine's op hooks (the same ones the explain tools use) with module
tracing on, so every recorded op knows the module path that ran it. Layers listed in
``_modules.MODULES`` (the recurrent ones) are recorded as one call each, with the ops
inside them hidden, and exported as ONNX's own recurrent nodes.

The model runs twice: the second time on inputs one larger along each dynamic axis, with
their values shuffled. Comparing the two recordings tells which dims of every value follow
the batch, so reshapes can be written with 0 (copy) and -1 (infer); and a tensor an op
reads that is neither an input, a parameter, a buffer nor an op's output (it would be
baked in as a constant) must be the same in both runs, or it was computed from the input
outside the recorded ops, which is an error rather than a silently wrong model.
"""

from __future__ import annotations

import os

import numpy as np

from ..tensor import Tensor
from . import OnnxExporterError, UnsupportedOperatorError
from ._trace import (
    OpRecord,
    _align,
    _check_constants,
    _flatten_out,
    _grow,
    _needed,
    _produced,
    _run,
    _values_differ,
    _where,
)

DEFAULT_OPSET = 17
MIN_OPSET = 17


class Unsupported(Exception):
    """Raised by a converter: the reason this particular use cannot be exported."""


def op_key(name: str) -> str:
    """The table key of an op name: lowercase without underscores (``MaxPool2d``,
    ``max_pool2d`` -> ``maxpool2d``), so the table survives renames of that kind."""
    return name.lower().replace("_", "")


# --- the graph being built ----------------------------------------------------------------


class Builder:
    """ONNX nodes, initializers and value names; what converters call."""

    def __init__(self, onnx, opset: int, model):
        self.onnx, self.helper, self.opset = onnx, onnx.helper, opset
        self.nodes: list = []
        self.initializers: list = []
        self.names: dict = {}  # id(Tensor or array) -> value name
        self.shape2: dict = {}  # id(Tensor or array) -> its shape in the second run
        self._keep: list = []  # objects whose ids are in names: keep them alive
        self._used: set = set()
        self.params: dict = {}
        for n, p in model.named_parameters():
            self.params.setdefault(id(p), (n, p))
            self.params.setdefault(id(p.data), (n, p))
        for n, b in model.named_buffers():
            if b is not None:
                self.params.setdefault(id(b), (n, b))
                self.params.setdefault(id(b.data), (n, b))
        self.record = None  # the record being converted (for error messages)

    # names
    def fresh(self, base: str) -> str:
        base = base or "v"
        name, k = base, 0
        while name in self._used:
            k += 1
            name = f"{base}_{k}"
        self._used.add(name)
        return name

    def bind(self, obj, name: str, shape2=None) -> None:
        self.names[id(obj)] = name
        self._keep.append(obj)
        if shape2 is not None:
            self.shape2[id(obj)] = tuple(shape2)
        if isinstance(obj, Tensor):
            self.names[id(obj.data)] = name
            self._keep.append(obj.data)
            if shape2 is not None:
                self.shape2[id(obj.data)] = tuple(shape2)

    def known(self, obj) -> bool:
        return id(obj) in self.names or id(obj) in self.params

    def shape2_of(self, obj) -> tuple:
        """``obj``'s shape in the second run (its shape here when there was none)."""
        s = self.shape2.get(id(obj))
        return s if s is not None else tuple(np.shape(obj.data if isinstance(obj, Tensor) else obj))

    # values
    def value(self, obj, dtype=None) -> str:
        """The value name of a Tensor or array argument (an initializer for parameters,
        buffers and constants); a Python number becomes a constant of ``dtype``."""
        n = self.names.get(id(obj))
        if n is not None:
            return n
        p = self.params.get(id(obj))
        if p is not None:  # an initializer under its state_dict name (unless an input has it)
            name, t = p
            name = self.fresh(name)
            self._initializer(name, np.asarray(t.data))
            self.bind(t, name)
            return name
        if isinstance(obj, (Tensor, np.ndarray)):  # a constant, one initializer however used
            name = self.const(obj.data if isinstance(obj, Tensor) else obj)
            self.bind(obj, name)
            return name
        if isinstance(obj, (np.generic, int, float, bool)):
            return self.const(np.asarray(obj, dtype=dtype))
        raise Unsupported(f"an argument of type {type(obj).__name__} ({obj!r})")

    def const(self, arr, base: str = "const") -> str:
        name = self.fresh(base)
        self._initializer(name, np.asarray(arr))
        return name

    def ints(self, values, base: str = "ints") -> str:
        return self.const(np.asarray(values, dtype=np.int64).reshape(-1), base)

    def scalar(self, v, dtype) -> str:
        return self.const(np.asarray(v, dtype=dtype), "const")

    def _initializer(self, name: str, arr) -> None:
        if arr.dtype.kind not in "biuf":
            raise Unsupported(f"a constant of dtype {arr.dtype}")
        if not arr.flags.c_contiguous:  # (not ascontiguousarray: it makes 0-d arrays 1-d)
            arr = arr.copy()
        self.initializers.append(self.onnx.numpy_helper.from_array(arr, name))

    # nodes
    def node(self, op_type: str, inputs, n_out: int = 1, **attrs):
        """Add a node; returns its output name (a list when ``n_out`` > 1)."""
        base = (self.record.path if self.record is not None and self.record.path else "") or ""
        stem = f"{base}/{op_type}" if base else op_type
        outs = [self.fresh(stem) for _ in range(n_out)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.helper.make_node(op_type, list(inputs), outs,
                                                name=self.fresh("node:" + stem), **attrs))
        return outs[0] if n_out == 1 else outs

    def reduce(self, op_type: str, x: str, axes, keepdims: bool) -> str:
        """A Reduce* node; ``axes`` None reduces every axis. Axes are an attribute before
        opset 18 (ReduceSum: before 13) and an input after."""
        as_input = self.opset >= (13 if op_type == "ReduceSum" else 18)
        keep = int(bool(keepdims))
        if axes is None:
            return self.node(op_type, [x], keepdims=keep)
        axes = [int(a) for a in axes]
        if as_input:
            return self.node(op_type, [x, self.ints(axes, "axes")], keepdims=keep)
        return self.node(op_type, [x], axes=axes, keepdims=keep)


# --- driver -------------------------------------------------------------------------------


def _as_args(args) -> tuple:
    if isinstance(args, (Tensor, np.ndarray)):
        args = (args,)
    elif isinstance(args, list):
        args = tuple(args)
    if not isinstance(args, tuple):
        raise TypeError(f"export: args must be a Tensor or a tuple of Tensors, got "
                        f"{type(args).__name__}")
    if args and isinstance(args[-1], dict):
        if args[-1]:
            raise OnnxExporterError("export: keyword arguments to forward are not supported; "
                                    "pass every input positionally")
        args = args[:-1]
    out = []
    for i, a in enumerate(args):
        if isinstance(a, np.ndarray):
            a = Tensor(a)
        if not isinstance(a, Tensor):
            raise TypeError(f"export: input {i} must be a Tensor, got {type(a).__name__}")
        out.append(a)
    return tuple(out)


def _names(given, n: int, default: str, what: str) -> list:
    if given is None:
        given = []
    given = list(given)
    if len(given) > n:
        raise ValueError(f"export: {len(given)} {what} given for {n} {what.split('_')[0]}s")
    if len(set(given)) != len(given):
        raise ValueError(f"export: duplicate names in {what}: {given}")
    defaults = [default] if n == 1 else [f"{default}_{i}" for i in range(n)]
    return given + defaults[len(given):]


def _dyn_spec(dynamic_axes, all_names: list) -> dict:
    """{value name: {axis: dim name}} from PyTorch's forms (lists or dicts of axes)."""
    spec: dict = {}
    for name, axes in (dynamic_axes or {}).items():
        if name not in all_names:
            raise ValueError(f"export: dynamic_axes names {name!r}, which is not among the "
                             f"input or output names {all_names}")
        if isinstance(axes, dict):
            spec[name] = {int(a): str(d) for a, d in axes.items()}
        else:
            spec[name] = {int(a): f"{name}_dynamic_axes_{k + 1}" for k, a in enumerate(axes)}
    return spec


def _import_onnx():
    try:
        import onnx
    except ImportError:
        raise ImportError("gn.onnx.export needs the onnx package: pip install 'glassnet[onnx]' "
                          "(or pip install onnx)") from None
    return onnx


def export(model, args, f, *, input_names=None, output_names=None, dynamic_axes=None,
           opset_version: int | None = None) -> None:
    """See :func:`glassnet.onnx.export`."""
    onnx = _import_onnx()
    from . import _modules, _ops

    opset = DEFAULT_OPSET if opset_version is None else int(opset_version)
    top = onnx.defs.onnx_opset_version()
    if not MIN_OPSET <= opset <= top:
        raise ValueError(f"export: opset_version must be between {MIN_OPSET} and {top} (the "
                         f"installed onnx's newest), got {opset_version}")
    if not callable(model) or not hasattr(model, "named_modules"):
        raise TypeError(f"export: model must be a glassnet Module, got {type(model).__name__}")
    args = _as_args(args)
    modes = [(m, m.training) for _, m in model.named_modules()]
    model.eval()
    try:
        records, out = _run(model, args, _modules.MODULES)
        outs = _flatten_out(out)
        in_names = _names(input_names, len(args), "input", "input_names")
        out_names = _names(output_names, len(outs), "output", "output_names")
        spec = _dyn_spec(dynamic_axes, in_names + out_names)
        rng = np.random.default_rng(0)
        args2 = tuple(_grow(a, spec.get(n, {}).keys(), rng) for a, n in zip(args, in_names))
        records2, out2 = _run(model, args2, _modules.MODULES)
        outs2 = _flatten_out(out2)
        if len(outs2) != len(outs):
            raise OnnxExporterError(
                f"export: the model returned {len(outs)} tensors, then {len(outs2)} on inputs "
                f"of another batch size (or other values)")
    finally:
        for m, mode in modes:
            m.__dict__["training"] = mode

    b = Builder(onnx, opset, model)
    helper = onnx.helper
    graph_inputs = []
    for a, a2, n in zip(args, args2, in_names):
        b._used.add(n)
        b.bind(a, n, a2.shape)
        dims = _dims(a.shape, a2.shape, spec.get(n, {}), n, "input")
        graph_inputs.append(helper.make_tensor_value_info(n, _elem(onnx, a.data.dtype), dims))
    for n in out_names:
        b._used.add(n)
    known1, known2 = _produced(args, records), _produced(args2, records2)
    if len(records) != len(records2):
        raise OnnxExporterError(
            "export: the model ran a different number of ops on inputs of another batch size "
            "(or other values): data-dependent control flow cannot be exported as one ONNX graph")
    pos = {id(r): i for i, r in enumerate(records)}
    records = _needed(records, outs)
    seconds = [records2[pos[id(r)]] for r in records]
    _align(records, seconds, b)

    for r, s in zip(records, seconds):
        b.record = r
        try:
            if isinstance(r, OpRecord):
                conv = _ops.OPS.get(op_key(r.name)) or _ops.OPS.get(op_key(type(r.fn).__name__))
                if conv is None:
                    family = type(r.fn).__module__.rsplit(".", 1)[-1]
                    raise Unsupported("a loss has no ONNX form: export the model that makes "
                                      "the predictions" if "loss" in family else "no ONNX form")
                name = conv(b, r)
                b.bind(r.out, name, r.shape2)
            else:
                conv = _modules.MODULES[type(r.module).__name__]
                conv(b, r)
            _check_constants(r, s, b, known1, known2, getattr(conv, "constants", None))
        except Unsupported as e:
            raise UnsupportedOperatorError(
                f"cannot export op {r.name!r} in {_where(r)} to ONNX: {e}") from None
        except OnnxExporterError:
            raise
        except Exception as e:  # a converter meeting arguments it does not know
            raise OnnxExporterError(
                f"export: converting op {r.name!r} in {_where(r)} failed: "
                f"{type(e).__name__}: {e}") from e
    b.record = None

    graph_outputs = []
    for o, o2, n in zip(outs, outs2, out_names):
        made = id(o) in b.params or id(o) in known1
        if not made and (id(o2) in known2 or _values_differ(o, o2)):
            raise OnnxExporterError(
                f"export: output {n!r} is not computed by recorded ops (argmax, comparisons, "
                f".numpy() or NumPy made it?), yet it changes with the input: it cannot be "
                f"exported")
        src = b.value(o)
        b.nodes.append(helper.make_node("Identity", [src], [n], name=b.fresh("node:" + n)))
        dims = _dims(o.shape, o2.shape, spec.get(n, {}), n, "output")
        graph_outputs.append(helper.make_tensor_value_info(n, _elem(onnx, o.data.dtype), dims))
    used = {i for n in b.nodes for i in n.input}
    inits = [t for t in b.initializers if t.name in used]
    graph = helper.make_graph(b.nodes, type(model).__name__, graph_inputs, graph_outputs,
                              initializer=inits)
    opsets = [helper.make_opsetid("", opset)]
    proto = helper.make_model(graph, producer_name="glassnet", opset_imports=opsets)
    # The oldest IR version the opset allows: older ONNX Runtime releases refuse newer ones.
    proto.ir_version = helper.find_min_ir_version_for(opsets)
    try:
        onnx.checker.check_model(proto, full_check=True)
    except Exception as e:
        raise OnnxExporterError(f"export: the ONNX graph failed onnx.checker: {e}") from None
    data = proto.SerializeToString()
    if hasattr(f, "write"):
        f.write(data)
        return
    from ..io import atomic_open

    with atomic_open(os.fspath(f), "wb") as fh:
        fh.write(data)


def _dims(s1, s2, named: dict, name: str, what: str) -> list:
    nd = len(s1)
    named = {a % nd if nd else a: d for a, d in named.items()}
    dims = []
    for i, (a, c) in enumerate(zip(s1, s2)):
        if i in named:
            dims.append(named[i])
        elif a != c:
            dims.append(f"{name}_dim_{i}")
        else:
            dims.append(int(a))
    if len(s1) != len(s2):
        raise OnnxExporterError(f"export: {what} {name!r} changed rank between runs")
    return dims


def _elem(onnx, dtype) -> int:
    return onnx.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
