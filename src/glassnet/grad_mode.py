"""Gradient mode: whether ops record the graph (``no_grad``, ``enable_grad``,
``set_grad_enabled``, ``inference_mode``).

The mode belongs to a thread, as in PyTorch: ``no_grad()`` in one thread (an evaluation
loop, a server answering requests) leaves training in another thread recording its graph.
It lives here, below both ``tensor.py`` and the engine, so either can read it without
importing the other.
"""

from __future__ import annotations

import contextlib
import threading

__all__ = ["no_grad", "enable_grad", "set_grad_enabled", "is_grad_enabled", "inference_mode",
           "is_inference_mode_enabled"]


class _State(threading.local):
    """Per-thread mode; a new thread starts with the defaults below (PyTorch's too)."""

    enabled = True
    """Read by ``Function.apply`` on every op: True when the graph is recorded."""
    inference = False


state = _State()


def is_grad_enabled() -> bool:
    return state.enabled


class _GradMode(contextlib.ContextDecorator):
    """Set the mode to ``mode`` inside the block; put the previous one back after."""

    mode = True

    def __enter__(self):
        self.prev = state.enabled
        state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        state.enabled = self.prev
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
        self.prev = state.enabled
        self.mode = bool(mode)
        state.enabled = self.mode

    def __enter__(self):  # the mode is already set: keep the one from before the call
        state.enabled = self.mode
        return self

    def __call__(self, func):
        # Used as a decorator: making this object set the mode at once; undo that, so the
        # mode changes only while the decorated function runs.
        state.enabled = self.prev
        return super().__call__(func)


class inference_mode(_GradMode):
    """``no_grad`` for inference, as PyTorch's ``inference_mode(mode=True)``: no graph is
    recorded inside. (glassnet has no separate inference tensors; the block behaves as
    ``no_grad``, or as a no-op with ``mode=False``.)"""

    def __init__(self, mode: bool = True):
        self.mode = not mode
        self.inference = bool(mode)

    def __enter__(self):
        self.prev_inference = state.inference
        state.inference = self.inference
        return super().__enter__()

    def __exit__(self, *exc):
        state.inference = self.prev_inference
        return super().__exit__(*exc)


def is_inference_mode_enabled() -> bool:
    return state.inference
