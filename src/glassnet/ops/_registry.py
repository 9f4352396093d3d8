"""The op registry: where each op's public entry points come from.

An op is declared once, in its family file: a :class:`~glassnet.autograd.Function` subclass
(forward, backward and the explain formula side by side) and the public function that
applies it, decorated with :func:`op`. The decorator records which entry points the
function has — a ``Tensor`` method (and operator dunders), a top-level ``gn.`` function, a
``nn.functional`` function, an in-place method — and :func:`install` (run once, when
``glassnet.ops`` is imported) puts the methods on ``Tensor``. ``gn.__init__`` and
``nn.functional`` take their names from :data:`REGISTRY`, so adding an op edits nothing
else.

This module depends on ``grad_mode`` only; the op families depend on it and on the engine.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .._inplace import checked_result, record_inplace, wants_record
from ..grad_mode import no_grad

__all__ = ["op", "OpEntry", "REGISTRY", "install", "top_level", "functional", "inplace_method"]


@dataclass
class OpEntry:
    """One public op: its function and where it is exposed."""

    name: str
    func: object
    module: str
    methods: tuple = ()          # Tensor method names
    top: bool = True             # gn.<name>
    functional: bool = False     # nn.functional.<name>
    dunders: tuple = ()          # operator methods calling func(self, other)
    rdunders: tuple = ()         # reflected operator methods calling func(other, self)
    inplace: tuple = ()          # in-place Tensor method names (e.g. "relu_")
    aliases: tuple = ()          # further top-level / functional names
    functions: tuple = field(default_factory=tuple)  # Function classes it records


REGISTRY: dict[str, OpEntry] = {}


def op(name: str | None = None, *, method=True, top: bool = True, functional: bool = False,
       dunder=(), rdunder=(), inplace=(), aliases=(), records=()):
    """Register the decorated public function of an op.

    ``method``: True installs ``Tensor.<name>``, a string or tuple of strings installs those
    names, False none. ``dunder``/``rdunder``: operator methods (``"__add__"``) that call the
    function with ``self`` first / second. ``inplace``: the name of an in-place variant
    (``"add_"``; a tuple for several), which computes the op without recording it and
    writes the result into ``self`` (bumping its version). ``aliases``: more names for the
    same function (top level and functional, where those apply). ``records``: the Function
    classes the op records, so the op tests can check each has its formula.
    """

    def deco(func):
        key = name or func.__name__
        if key in REGISTRY and REGISTRY[key].func is not func:
            raise ValueError(f"op {key!r} is registered twice "
                             f"({REGISTRY[key].module} and {func.__module__})")
        if method is True:
            methods = (key,)
        elif method is False or method is None:
            methods = ()
        elif isinstance(method, str):
            methods = (method,)
        else:
            methods = tuple(method)
        REGISTRY[key] = OpEntry(
            name=key, func=func, module=func.__module__, methods=methods, top=top,
            functional=functional, dunders=_tuple(dunder), rdunders=_tuple(rdunder),
            inplace=_tuple(inplace), aliases=_tuple(aliases), functions=_tuple(records),
        )
        if _installed_on is not None:  # an op registered after install (a plug-in family)
            _install_entry(_installed_on, REGISTRY[key])
        return func

    return deco


def _tuple(v) -> tuple:
    if v is None:
        return ()
    return (v,) if isinstance(v, (str, type)) else tuple(v)


_installed_on = None


def _reflected(func):
    def method(self, other):
        return func(other, self)

    method.__name__ = f"r{func.__name__}"
    method.__doc__ = func.__doc__
    return method


def inplace_method(func, name: str):
    """``x.<name>(...)``: compute ``func(x, ...)`` and write the result into ``x``
    (PyTorch's in-place variants); a floating result is refused by an integer or bool
    tensor rather than truncated. Recorded (``glassnet._inplace.record_inplace``) when
    ``x`` or an argument requires grad; otherwise computed without a graph and written by
    ``Tensor._write``, which bumps the version, so a backward that saved ``x`` before the
    write refuses to run."""

    def method(self, *args, **kwargs):
        if wants_record(self, args) or (kwargs and wants_record(self, kwargs.values())):
            return record_inplace(self, lambda old: func(
                old, *[old if a is self else a for a in args], **kwargs), name)
        with no_grad():
            out = func(self, *args, **kwargs)
        self._write(checked_result(self, out, name).data, name)
        return self

    method.__name__ = name
    method.__doc__ = f"In-place :func:`{func.__name__}`: writes the result into this tensor."
    return method


def _install_entry(cls, entry: OpEntry) -> None:
    func = entry.func
    for m in entry.methods:
        setattr(cls, m, func)
    for d in entry.dunders:
        setattr(cls, d, func)
    for d in entry.rdunders:
        setattr(cls, d, _reflected(func))
    for name in entry.inplace:
        setattr(cls, name, inplace_method(func, name))


def install(cls) -> None:
    """Put every registered op's methods on ``cls`` (``Tensor``); ops registered later are
    installed as they register."""
    global _installed_on
    for entry in REGISTRY.values():
        _install_entry(cls, entry)
    _installed_on = cls


def top_level() -> dict:
    """name -> function for ``gn.<name>``."""
    out = {}
    for e in REGISTRY.values():
        if e.top:
            out[e.name] = e.func
            for a in e.aliases:
                out[a] = e.func
    return out


def functional() -> dict:
    """name -> function for ``nn.functional.<name>``."""
    out = {}
    for e in REGISTRY.values():
        if e.functional:
            out[e.name] = e.func
            for a in e.aliases:
                out[a] = e.func
    return out
