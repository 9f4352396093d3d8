"""The glass box: explain and picture what a network computes.

- :func:`chain_rule` — the chain rule written out with numbers for one parameter element;
- :func:`graph` / :class:`GraphView` — the computation graph as a text tree or Graphviz DOT;
- :class:`Diagnostics`, :class:`DiagnosticsCallback` — per-layer activation and gradient
  statistics, warnings on vanishing or exploding gradients;
- :class:`detect_anomaly` — stop at the first NaN or Inf and name the op and module;
- :mod:`glassnet.explain.plot` — pictures (matplotlib, imported only when used).
"""

from ._graph import record
from .anomaly import AnomalyError, detect_anomaly
from .chain import ChainRule, chain_rule
from .diagnostics import Diagnostics, DiagnosticsCallback, GradientWarning, time_gradients
from .graphview import GraphView, graph

__all__ = [
    "chain_rule", "ChainRule", "record", "graph", "GraphView",
    "Diagnostics", "DiagnosticsCallback", "GradientWarning", "time_gradients",
    "detect_anomaly", "AnomalyError", "plot",
]


def __getattr__(name: str):
    # The pictures need matplotlib: imported on first use only, so `import glassnet`
    # stays fast and works without it.
    if name == "plot":
        import importlib

        return importlib.import_module(".plot", __name__)
    raise AttributeError(f"module 'glassnet.explain' has no attribute {name!r}")
