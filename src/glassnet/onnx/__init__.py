"""Export a glassnet model to ONNX, checked by ``onnx.checker`` and runnable in ONNX Runtime.

>>> import glassnet as gn
>>> model = gn.nn.Sequential(gn.nn.Linear(4, 8), gn.nn.ReLU(), gn.nn.Linear(8, 3))
>>> gn.onnx.export(model, gn.randn(2, 4), "model.onnx", input_names=["x"],
...                output_names=["logits"], dynamic_axes={"x": {0: "batch"}})

The model runs once (twice with ``dynamic_axes``) on ``args`` while every op it executes is
recorded; each op becomes ONNX nodes (``_ops.OPS``), recurrent layers become ONNX's own
RNN/LSTM/GRU nodes (``_modules.MODULES``), parameters and buffers become initializers.
Needs the ``onnx`` package (``pip install 'glassnet[onnx]'``), imported only here.
"""

from ._export import OnnxExporterError, UnsupportedOperatorError, export

__all__ = ["export", "OnnxExporterError", "UnsupportedOperatorError"]
