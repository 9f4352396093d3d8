"""Differentiable operations, one module per family: the whole functional layer.

Each op is declared once in its family file — a ``Function`` subclass with forward,
backward and its explain formula, and the public function registered with
``@op(...)`` (``_registry.py``). Importing this package imports every family (each
``ops/<family>.py`` whose name does not start with ``_``) and installs the registered
methods and operators on ``Tensor``; ``gn.<name>`` and ``nn.functional.<name>`` are
built from the same registry (``_registry.top_level()``, ``_registry.functional()``).
"""

import importlib as _importlib
import pkgutil as _pkgutil

from ..tensor import Tensor as _Tensor
from . import _registry

FAMILIES = sorted(m.name for m in _pkgutil.iter_modules(__path__) if not m.name.startswith("_"))
"""The op family modules, imported in this order."""

for _name in FAMILIES:
    _importlib.import_module(f"{__name__}.{_name}")

_registry.install(_Tensor)
