"""Anomaly mode: stop at the first NaN or Inf and name the op and the module that made it.

>>> with gn.detect_anomaly():
...     loss = loss_fn(model(x), y)
...     loss.backward()
AnomalyError: Log in layer2 (Linear) produced NaN in its output (2 of 6 elements, first at
[0, 1]) from finite inputs ...
"""

from __future__ import annotations

import contextlib

import numpy as np

from ..nn import module as _module
from ..tensor import Tensor
from ._graph import Tracer, module_label, module_path

__all__ = ["detect_anomaly", "AnomalyError"]


class AnomalyError(FloatingPointError):
    """Raised by :class:`detect_anomaly` at the first non-finite value.

    ``op``: the op's name; ``module``: the module label (or None); ``phase``: "forward" or
    "backward"; ``kind``: "NaN" or "Inf".
    """

    def __init__(self, message: str, op: str, module: str | None, phase: str, kind: str):
        super().__init__(message)
        self.op, self.module, self.phase, self.kind = op, module, phase, kind


def _bad(a) -> tuple | None:
    """(kind, count, first index) for the first non-finite values in a float array."""
    if not isinstance(a, np.ndarray) or a.dtype.kind not in "fc":
        return None
    fin = np.isfinite(a)
    if fin.all():
        return None
    nan = np.isnan(a)
    kind = "NaN" if nan.any() else "Inf"
    mask = nan if kind == "NaN" else ~fin
    first = tuple(int(i) for i in np.argwhere(mask)[0]) if a.ndim else ()
    return kind, int(mask.sum()), first


def _where() -> str | None:
    m = _module.current_module()
    return None if m is None else module_label(m, module_path())


class detect_anomaly(Tracer, contextlib.ContextDecorator):
    """Within this block every op's output is checked; the first NaN or Inf raises
    :class:`AnomalyError` naming the op and the innermost module being called (e.g.
    ``Log in layer2 (Linear) produced NaN``). With ``check_backward`` (the default) the
    gradients each op's backward produces for graphs recorded here are checked too.

    Usable as a context manager or a decorator; nests with :func:`glassnet.explain.record`.
    Costs one ``isfinite`` pass per op: a debugging tool, not for every run.
    """

    def __init__(self, check_backward: bool = True):
        self.check_backward = check_backward

    def _hook(self, fn, out, args) -> None:
        where = _where()
        bad = _bad(out.data)
        if bad is not None:
            kind, n, first = bad
            bad_in = [i for i, a in enumerate(args)
                      if isinstance(a, Tensor) and _bad(a.data) is not None]
            loc = f" in {where}" if where else ""
            if bad_in:
                msg = (f"{fn.name}{loc} received a non-finite input (input {bad_in[0]}), "
                       f"which no op recorded here produced: it came from data or a "
                       f"parameter that already held {kind}")
            else:
                ins = ", ".join(_describe_input(a) for a in args)
                msg = (f"{fn.name}{loc} produced {kind} in its output ({n} of "
                       f"{out.data.size} elements, first at {list(first)}) from finite "
                       f"inputs: {ins}")
            raise AnomalyError(msg, fn.name, where, "forward", kind)
        if self.check_backward and out._ctx is fn:
            inner = fn.backward
            name = fn.name

            def checked(gy, _inner=inner, _name=name, _where=where):
                gxs = _inner(gy)
                for i, g in enumerate(gxs if isinstance(gxs, tuple) else (gxs,)):
                    b = _bad(g) if g is not None else None
                    if b is not None and _bad(np.asarray(gy)) is None:
                        loc = f" in {_where}" if _where else ""
                        raise AnomalyError(
                            f"the backward of {_name}{loc} produced {b[0]} in the gradient "
                            f"for input {i} ({b[1]} elements, first at {list(b[2])}) from a "
                            f"finite incoming gradient", _name, _where, "backward", b[0])
                return gxs

            fn.__dict__["backward"] = checked

    def __enter__(self):
        # NumPy's own "invalid value" warnings would only repeat what the error says
        self._err = np.errstate(divide="ignore", invalid="ignore", over="ignore")
        self._err.__enter__()
        self._start()
        return self

    def __exit__(self, *exc):
        self._stop()
        self._err.__exit__(*exc)
        return False


def _describe_input(a) -> str:
    if not isinstance(a, Tensor):
        return repr(a) if not isinstance(a, np.ndarray) else f"array{a.shape}"
    d = a.data
    if d.dtype.kind != "f" or d.size == 0:
        return f"{tuple(d.shape)} {d.dtype}"
    return f"{tuple(d.shape)} min {float(d.min()):.4g} max {float(d.max()):.4g}"
