"""Local derivatives as the curriculum writes them: for one op and one of its inputs, the
formula of d(output element)/d(input element) and the same formula with the numbers in.

The numbers an explanation adds up never come from here: they are the op's own backward
applied to a one-hot gradient (the exact Jacobian entry). These formulas only print them
readably; an op missing from the table prints as ``∂Op/∂input`` with its number.
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


_INLINE = {"Add": "({0} + {1})", "Sub": "({0} - {1})", "Mul": "{0}·{1}", "Div": "{0}/{1}"}


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
    if fn.name in _INLINE and len(p) == 2:
        e = Compose(_INLINE[fn.name], [expr_of(a, names, depth - 1) for a in p], x.shape)
    elif fn.name == "Neg":
        e = Compose("-{0}", [expr_of(p[0], names, depth - 1)], x.shape)
    elif fn.name == "Permute" and x.ndim == 2 and tuple(p[1]) == (1, 0):
        e = Compose("{0}ᵀ", [expr_of(p[0], names, depth - 1)], x.shape,
                    index_map=lambda j: j[::-1], op=False)
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


_UNARY = {
    "Exp": "e^{0}",
    "Log": "1/{0}",
    "Sqrt": "1/(2·√{0})",
    "Abs": "sign({0})",
    "Sin": "cos({0})",
    "Cos": "-sin({0})",
    "Tanh": "(1 - tanh²({0}))",
    "Sigmoid": "σ({0})·(1 - σ({0}))",
    "ReLU": "[{0} > 0]",
    "Softplus": "e^{0}/(1 + e^{0})",
    "Clamp": "[{0} inside the clamp]",
    "Maximum": "[{0} is the larger]",
    "Minimum": "[{0} is the smaller]",
    "_Extreme": "[{0} is the extreme]",
}
_IDENTITY = {"Add", "Cast", "Clone", "Reshape", "Permute", "Expand", "GetItem", "Cat", "Pad",
             "Sum", "MaxAlong", "Dropout"}


def local_formula(fn, slot: int, names: Names, in_shape: tuple, out_shape: tuple) -> Local:
    """The formula of d fn(...)[o] / d input_slot[i] for op ``fn``."""
    name = fn.name
    p = fn.parents
    n_in = int(np.prod(in_shape)) if in_shape else 1
    n_out = int(np.prod(out_shape)) if out_shape else 1

    def e(k):
        return expr_of(p[k], names)

    if name in _IDENTITY or (name == "Sub" and slot == 0):
        if name == "Dropout":
            return Local(1.0, "mask/(1 - p)", [], generic=True)
        return Local(1.0)
    if name in ("Sub", "Neg"):
        return Local(-1.0)
    if name == "Mean":
        return Local(n_out / n_in)
    if name == "Mul":
        other = p[1 - slot]
        if isinstance(other, _SCALAR):
            return Local(float(other))
        return Local(1.0, "{0}", [e(1 - slot)])
    if name == "Div":
        if slot == 0:
            if isinstance(p[1], _SCALAR):
                return Local(1.0 / float(p[1]))
            return Local(1.0, "1/{0}", [e(1)])
        return Local(-1.0, "{0}/{1}²", [e(0), e(1)])
    if name == "Pow":
        if slot == 0 and isinstance(p[1], _SCALAR):
            k = float(p[1])
            if k == 1:
                return Local(1.0)
            if k == 2:
                return Local(2.0, "{0}", [e(0)])
            return Local(k, "{0}^" + fmt_value(k - 1), [e(0)])
        if slot == 0:
            return Local(1.0, "{1}·{0}^({1} - 1)", [e(0), e(1)])
        return Local(1.0, "{0}^{1}·ln({0})", [e(0), e(1)])
    if name == "LeakyReLU":
        return Local(1.0, "[{0} > 0 else " + fmt_value(p[1]) + "]", [e(0)])
    if name in _UNARY:
        return Local(1.0, _UNARY[name], [e(0)])
    if name == "Where":
        return Local(1.0, "[the condition picks this input]", [], generic=True)
    if name == "MatMul" and len(in_shape) >= 2 and len(out_shape) >= 2:
        # (…, n, k) @ (…, k, m): dY[n, m]/dA[n, k] = B[k, m]; dY[n, m]/dB[k, m] = A[n, k]
        if slot == 0:
            B = e(1)
            return Local(1.0, "{0}", [Elem(B, "k, m", lambda o, i: o[:-2] + (i[-1], o[-1]))],
                         at="pair")
        A = e(0)
        return Local(1.0, "{0}", [Elem(A, "n, k", lambda o, i: o[:-2] + (o[-2], i[-2]))],
                     at="pair")
    if name == "Linear":
        # y[…, m] = Σ_k x[…, k] W[m, k] + b[m]
        if slot == 0:
            return Local(1.0, "{0}", [Elem(e(1), "m, k", lambda o, i: (o[-1], i[-1]))], at="pair")
        if slot == 1:
            return Local(1.0, "{0}", [Elem(e(0), "…, k", lambda o, i: o[:-1] + (i[-1],))],
                         at="pair")
        return Local(1.0)
    if name == "MSELoss":
        scale = 1.0 if p[2] == "sum" else (1.0 / n_in if p[2] == "mean" else 1.0)
        c = -2.0 * scale if slot == 0 else 2.0 * scale
        return Local(c, "({1} - {0})", [e(0), e(1)], at="in")
    if name == "CrossEntropy" and slot == 0:
        return Local(1.0, "(softmax - target)" + ("/N" if p[5] == "mean" else ""), [],
                     generic=True)
    which = f"input {slot}" if len([q for q in p if isinstance(q, Tensor)]) > 1 else "input"
    return Local(1.0, f"∂{name}/∂{which}", [], generic=True)
