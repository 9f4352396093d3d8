"""Local derivatives as the curriculum writes them: for one op and one of its inputs, the
formula of d(output element)/d(input element) and the same formula with the numbers in.

Each op declares its own formula beside its forward and backward (``Function.formula`` or
``Function.local``, see ``glassnet.autograd.Local``); this module only turns that
declaration into text with the inputs' names and values. The numbers an explanation adds
up never come from here: they are the op's own backward applied to a one-hot gradient
(the exact Jacobian entry).
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._graph import Names, bindex, fmt_value

__all__ = ["Local", "local_formula", "expr_of"]

_SCALAR = (int, float, np.number)


# --- expressions: what a formula mentions ------------------------------------------------


class Expr:
    """A quantity in a formula: its text and its value at an element."""

    def text(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def value(self, idx: tuple) -> str:  # pragma: no cover - abstract
        raise NotImplementedError


class Leaf(Expr):
    """A named quantity (parameter, data, a node's output) read at the broadcast index."""

    def __init__(self, label: str, data):
        self.label = label
        self.data = np.asarray(data.data if isinstance(data, Tensor) else data)

    def text(self) -> str:
        return self.label

    def value(self, idx: tuple) -> str:
        return fmt_value(self.data[bindex(idx, self.data.shape)])


class Compose(Expr):
    """A small expression of other quantities, e.g. ``(observed - predicted)``."""

    def __init__(self, template: str, args: list, shape: tuple, index_map=None, op=True):
        self.template, self.args, self.shape = template, args, shape
        self.index_map = index_map
        self.op = op  # an operator template: negative numbers in it get parentheses

    def text(self) -> str:
        return self.template.format(*[a.text() for a in self.args])

    def value(self, idx: tuple) -> str:
        j = bindex(idx, self.shape)
        if self.index_map is not None:
            j = self.index_map(j)
        vals = [a.value(j) for a in self.args]
        if self.op:
            vals = [f"({v})" if v.startswith("-") else v for v in vals]
        return self.template.format(*vals)


class Elem(Expr):
    """One element of a quantity picked by the (output, input) index pair (matrix
    products: d(A B)[n, m] / dA[n, k] = B[k, m])."""

    def __init__(self, inner: Expr, letters: str, pick):
        self.inner, self.letters, self.pick = inner, letters, pick

    def text(self) -> str:
        t = self.inner.text()
        return f"{t}[{self.letters}]"

    def value(self, idx) -> str:  # idx is (out_idx, in_idx) here
        return self.inner.value(self.pick(*idx))


def expr_of(x, names: Names, depth: int = 2) -> Expr:
    """The expression for an op input: its name when it has one, a short inline
    expression of named things when it is simple, else the label of the op that made it."""
    if not isinstance(x, Tensor):
        return Leaf(fmt_value(x), x)
    fn = x._ctx
    if fn is None or names.named(x) or depth <= 0:
        return Leaf(names.tensor(x), x.data)
    p = fn.parents
    e = None
    template = getattr(fn, "expr", None)  # the op's own: "({0} + {1})", "{0}ᵀ", ...
    if template == "{0}ᵀ":
        e = Compose(template, [expr_of(p[0], names, depth - 1)], x.shape,
                    index_map=lambda j: j[::-1], op=False)
    elif template is not None:
        n = template.count("{1}") and 2 or 1
        e = Compose(template, [expr_of(a, names, depth - 1) for a in p[:n]], x.shape)
    if e is not None and len(e.text()) <= 28:
        return e
    return Leaf(fn.name.lower(), x.data)


# --- local derivative formulas --------------------------------------------------------------


class Local:
    """d out / d input for one op and one input slot: ``coef · template(args)``.

    ``template`` None means the derivative is the constant ``coef``; ``generic`` means no
    formula is known and only the number is shown.
    """

    def __init__(self, coef: float = 1.0, template: str | None = None, args=(),
                 generic: bool = False, at: str = "out"):
        self.coef, self.template, self.args = coef, template, list(args)
        self.generic = generic
        # where the args are read: at the output element ("out", elementwise ops), at the
        # input element ("in", reductions such as a loss), or both ("pair", Elem args)
        self.at = at

    @property
    def constant(self) -> bool:
        return self.template is None

    def text(self) -> str:
        return self.template.format(*[a.text() for a in self.args])

    def value(self, out_idx, in_idx) -> str | None:
        if self.generic or self.template is None:
            return None
        idx = {"out": out_idx, "in": in_idx, "pair": (out_idx, in_idx)}[self.at]
        vals = [a.value(idx) for a in self.args]
        if self.template != "{0}":  # inside an expression a negative number gets parentheses
            vals = [f"({v})" if v.startswith("-") else v for v in vals]
        return self.template.format(*vals)


def coef_text(c: float) -> str:
    """How a constant factor prints: 2, -2, 1/3, -0.5."""
    if c == int(c):
        return str(int(c))
    inv = 1 / c
    if abs(inv - round(inv)) < 1e-9:
        return f"{'-' if c < 0 else ''}1/{abs(round(inv))}"
    return f"{c:.4g}"


def with_coef(c: float, body: str | None) -> str:
    """``c · body`` with 1 and -1 folded in."""
    if body is None:
        return coef_text(c)
    if c == 1:
        return body
    if c == -1:
        return "-" + body if not body.startswith("-") else body[1:]
    if body.startswith("-"):
        body = f"({body})"
    return f"{coef_text(c)}·{body}"


def local_formula(fn, slot: int, names: Names, in_shape: tuple, out_shape: tuple) -> Local:
    """The formula of d fn(...)[o] / d input_slot[i] for op ``fn``, from its declaration."""
    n_in = int(np.prod(in_shape)) if in_shape else 1
    n_out = int(np.prod(out_shape)) if out_shape else 1
    spec = fn.local(slot, n_in, n_out)
    if spec is None:
        p = fn.parents
        which = f"input {slot}" if len([q for q in p if isinstance(q, Tensor)]) > 1 else "input"
        return Local(1.0, f"∂{fn.name}/∂{which}", [], generic=True)
    args = []
    for a in spec.args:
        if isinstance(a, tuple):  # ("elem", slot, letters, pick)
            _, k, letters, pick = a
            args.append(Elem(expr_of(fn.parents[k], names), letters, pick))
        else:
            args.append(expr_of(fn.parents[a], names))
    return Local(spec.coef, spec.template, args, generic=spec.generic, at=spec.at)
