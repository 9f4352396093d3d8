"""Exception classes shared by glassnet's ops.

glassnet's convention is ``ValueError`` for a bad shape or option and ``TypeError`` for a
dtype an op does not take; PyTorch raises ``RuntimeError`` in most of those places. The
classes here are both, so code written for either library catches them.
``glassnet.linalg.ArgumentError`` and ``glassnet.linalg.DtypeError`` are these classes.
"""

from __future__ import annotations

__all__ = ["ArgumentError", "DtypeError", "IndexBoundsError"]


class ArgumentError(ValueError, RuntimeError):
    """An op was given a bad shape or option. PyTorch raises ``RuntimeError`` there and
    glassnet's convention is ``ValueError``: this is both, so either catches it."""


class DtypeError(TypeError, RuntimeError):
    """An op was given a dtype it does not take (an integer matrix, operands of different
    dtypes): a ``TypeError`` that is also the ``RuntimeError`` PyTorch raises."""


class IndexBoundsError(IndexError, RuntimeError):
    """An index names a position outside the tensor (gather / scatter family): the
    ``IndexError`` glassnet raises that is also the ``RuntimeError`` PyTorch raises."""
