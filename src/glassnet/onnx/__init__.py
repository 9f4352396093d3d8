"""Export a glassnet model to ONNX, checked by ``onnx.checker`` and runnable in ONNX Runtime.

>>> import glassnet as gn
>>> model = gn.nn.Sequential(gn.nn.Linear(4, 8), gn.nn.ReLU(), gn.nn.Linear(8, 3))
>>> gn.onnx.export(model, gn.randn(2, 4), "model.onnx", input_names=["x"],
...                output_names=["logits"], dynamic_axes={"x": {0: "batch"}})

The model runs on ``args`` (and once more on altered inputs, see ``_export``) while every op
it executes is recorded; each op becomes ONNX nodes (``_ops.OPS``), recurrent layers become
ONNX's own RNN/LSTM/GRU nodes (``_modules.MODULES``), parameters and buffers become
initializers.
Needs the ``onnx`` package (``pip install 'glassnet[onnx]'``). The exporter itself is
imported on the first export, so ``import glassnet`` does not pay for it.
"""

from __future__ import annotations

__all__ = ["export", "OnnxExporterError", "UnsupportedOperatorError"]


class OnnxExporterError(RuntimeError):
    """The model could not be exported (bad arguments, inconsistent traces, checker)."""


class UnsupportedOperatorError(OnnxExporterError):
    """An op (or a use of it) that has no ONNX form; names the op and the module path."""


def export(model, args, f, *, input_names=None, output_names=None, dynamic_axes=None,
           opset_version: int | None = None) -> None:
    """Write ``model`` as an ONNX file ``f`` (a path or a binary file object), traced on
    ``args`` (a Tensor or a tuple of Tensors, the positional inputs of ``forward``).

    The model is exported in eval mode (dropout off, batch norm on its running statistics)
    and put back in its mode afterwards. ``input_names``/``output_names`` name the graph's
    inputs and outputs (default ``input``, ``output``; ``input_0``, ``input_1``, ... when
    several). ``dynamic_axes`` maps a name to the axes that may change size, as a list
    (``{"x": [0]}``) or with dim names (``{"x": {0: "batch"}}``). ``opset_version``:
    17 (the default) or newer. An op without an ONNX form raises
    :class:`UnsupportedOperatorError` naming it and its module path; nothing is written
    unless the whole model converts and passes ``onnx.checker``.
    """
    from ._export import export as _export

    _export(model, args, f, input_names=input_names, output_names=output_names,
            dynamic_axes=dynamic_axes, opset_version=opset_version)
