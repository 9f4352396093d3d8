"""Containers: Sequential, ModuleList, ModuleDict and ParameterList.

Sub-modules are registered under their index (``"0"``, ``"1"``, ...) or key, so
``state_dict`` keys read ``features.0.weight`` as in PyTorch.
"""

from __future__ import annotations

import operator
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping

from .module import Module
from .parameter import Parameter

__all__ = ["Sequential", "ModuleList", "ModuleDict", "ParameterList"]


def _check_module(m, where: str) -> Module:
    if not isinstance(m, Module):
        raise TypeError(f"{where}: expected a Module, got {type(m).__name__}")
    return m


class _IndexedModules(Module):
    """Modules kept in order under the keys "0", "1", ...: the shared list behaviour of
    Sequential and ModuleList."""

    def _index(self, idx) -> int:
        n = len(self._modules)
        i = operator.index(idx)
        if not -n <= i < n:
            raise IndexError(f"{type(self).__name__} index {i} is out of range ({n} modules)")
        return i % n

    def _renumber(self, modules: Iterable[Module]) -> None:
        self._modules.clear()
        for i, m in enumerate(modules):
            self._modules[str(i)] = m

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            if isinstance(self, Sequential):
                return Sequential(OrderedDict(list(self._modules.items())[idx]))
            return ModuleList(list(self._modules.values())[idx])
        return self._modules[self._key(idx)]

    def _key(self, idx) -> str:
        # Position, not name: a Sequential built from an OrderedDict is indexed 0, 1, ...
        return list(self._modules)[self._index(idx)]

    def __setitem__(self, idx, module: Module) -> None:
        self._modules[self._key(idx)] = _check_module(module, type(self).__name__)

    def __delitem__(self, idx) -> None:
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            del mods[idx]
        else:
            del mods[self._index(idx)]
        self._renumber(mods)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def append(self, module: Module):
        self._modules[str(len(self._modules))] = _check_module(module, "append")
        return self

    def extend(self, modules: Iterable[Module]):
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        mods = list(self._modules.values())
        mods.insert(index, _check_module(module, "insert"))
        self._renumber(mods)

    def __iadd__(self, modules: Iterable[Module]):
        return self.extend(modules)


class Sequential(_IndexedModules):
    """Modules applied one after another: ``Sequential(Linear(4, 16), ReLU(), Linear(16, 3))``.

    Also built from an ``OrderedDict`` of named modules. Supports indexing (a slice gives
    a Sequential), ``len``, iteration, ``append``, ``insert`` and ``extend``.
    """

    def __init__(self, *args) -> None:
        super().__init__()
        if len(args) == 1 and isinstance(args[0], Mapping):
            for name, m in args[0].items():
                self._modules[str(name)] = _check_module(m, f"Sequential[{name!r}]")
        else:
            for i, m in enumerate(args):
                self._modules[str(i)] = _check_module(m, f"Sequential[{i}]")

    def forward(self, input):
        for name, m in self._modules.items():
            try:
                input = m(input)
            except ValueError as e:
                # Say which layer: "Sequential layer (2): Linear(...): expected ...".
                if e.args and isinstance(e.args[0], str):
                    e.args = (f"Sequential layer ({name}): {e.args[0]}",) + e.args[1:]
                raise
        return input


class ModuleList(_IndexedModules):
    """A list of modules, registered so their parameters are found; no forward of its own."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __add__(self, other: Iterable[Module]) -> ModuleList:
        return ModuleList(list(self) + list(other))


class ModuleDict(Module):
    """An ordered dict of modules (string keys), registered as sub-modules."""

    def __init__(self, modules: Mapping | Iterable | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        try:
            return self._modules[key]
        except KeyError:
            raise KeyError(f"ModuleDict has no key {key!r}; keys: {list(self._modules)}") from None

    def __setitem__(self, key: str, module: Module) -> None:
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict keys must be strings, got {type(key).__name__}")
        self._modules[key] = _check_module(module, f"ModuleDict[{key!r}]")

    def __delitem__(self, key: str) -> None:
        del self._modules[key]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key) -> bool:
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def pop(self, key: str) -> Module:
        return self._modules.pop(key)

    def clear(self) -> None:
        self._modules.clear()

    def update(self, modules) -> None:
        items = modules.items() if isinstance(modules, Mapping) else modules
        for key, m in items:
            self[key] = m


class ParameterList(Module):
    """A list of Parameters registered under "0", "1", ... (e.g. one weight per step)."""

    def __init__(self, values: Iterable | None = None) -> None:
        super().__init__()
        for v in values or ():
            self.append(v)

    def append(self, value) -> ParameterList:
        if not isinstance(value, Parameter):
            value = Parameter(value)
        self._parameters[str(len(self._parameters))] = value
        return self

    def extend(self, values: Iterable) -> ParameterList:
        for v in values:
            self.append(v)
        return self

    def __getitem__(self, idx: int) -> Parameter:
        n = len(self._parameters)
        i = operator.index(idx)
        if not -n <= i < n:
            raise IndexError(f"ParameterList index {i} is out of range ({n} parameters)")
        return self._parameters[str(i % n)]

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._parameters.values())

    def extra_repr(self) -> str:
        return ", ".join(
            f"({k}): Parameter of shape {tuple(p.shape)}" for k, p in self._parameters.items()
        )
