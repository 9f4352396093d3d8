"""Gradient mode: whether ops record the graph (``no_grad``, ``enable_grad``,
``set_grad_enabled``, ``inference_mode``).

The flag lives here, below both ``tensor.py`` and the engine, so either can read it
without importing the other.
"""

from __future__ import annotations

import contextlib

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
           "is_inference_mode_enabled"]

enabled = True
"""Read by ``Function.apply`` on every op: True when the graph is recorded."""


def is_grad_enabled() -> bool:
    return enabled


class _GradMode(contextlib.ContextDecorator):
    """Set the mode to ``mode`` inside the block; put the previous one back after."""

    mode = True

    def __enter__(self):
        global enabled
        self.prev = enabled
        enabled = self.mode
        return self

    def __exit__(self, *exc):
        global enabled
        enabled = self.prev
        return False


class no_grad(_GradMode):
    """Within this block (or decorated function) ops record no graph."""

    mode = False


class enable_grad(_GradMode):
    """Within this block (or decorated function) ops record the graph, even inside
    ``no_grad``."""

    mode = True


class set_grad_enabled(_GradMode):
    """Turn graph recording on or off (a context manager, a decorator, or a plain call)."""

    def __init__(self, mode: bool):
        global enabled
        self.prev = enabled
        self.mode = bool(mode)
        enabled = self.mode

    def __enter__(self):  # the mode is already set: keep the one from before the call
        global enabled
        enabled = self.mode
        return self

    def __call__(self, func):
        # Used as a decorator: making this object set the mode at once; undo that, so the
        # mode changes only while the decorated function runs.
        global enabled
        enabled = self.prev
        return super().__call__(func)


_inference = False


class inference_mode(_GradMode):
    """``no_grad`` for inference, as PyTorch's ``inference_mode(mode=True)``: no graph is
    recorded inside. (glassnet has no separate inference tensors; the block behaves as
    ``no_grad``, or as a no-op with ``mode=False``.)"""

    def __init__(self, mode: bool = True):
        self.mode = not mode
        self.inference = bool(mode)

    def __enter__(self):
        global _inference
        self.prev_inference = _inference
        _inference = self.inference
        return super().__enter__()

    def __exit__(self, *exc):
        global _inference
        _inference = self.prev_inference
        return super().__exit__(*exc)


def is_inference_mode_enabled() -> bool:
    return _inference
