"""Products and distances beyond ``matmul``: mm, bmm, einsum, outer, cdist.

``einsum``'s backward is itself a set of einsums: the gradient of operand ``i`` contracts
the output gradient with every other operand onto operand ``i``'s subscripts. Letters
that appear only in operand ``i`` (summed out in the forward) are broadcast back; a
repeated letter (``"ii->i"``, a diagonal) writes the gradient onto that diagonal.
"""

from __future__ import annotations

import numpy as np

from ..autograd import Function
from ..backend import xp
from ..errors import ArgumentError, DtypeError
from ..tensor import Tensor
from . import arithmetic as _arith
from ._registry import op
from ._util import operand, shape_of

__all__ = ["ArgumentError", "DtypeError", "mm", "bmm", "einsum", "outer", "cdist"]


def _as_tensor(x, like=None):
    return x if isinstance(x, Tensor) else Tensor._wrap(xp.asarray(operand(x, like)))


def _pair(a, b):
    """Both operands as Tensors (a number or list takes the other's dtype)."""
    a = _as_tensor(a, b if isinstance(b, Tensor) else None)
    return a, _as_tensor(b, a)


def _same_dtype(what: str, names: str, *ts: Tensor) -> None:
    """Matrix products do not promote (PyTorch refuses float32 @ float64, int @ float)."""
    if any(t.dtype != ts[0].dtype for t in ts[1:]):
        raise DtypeError(f"{what}: expected {names} to have the same dtype, got "
                         f"{', '.join(str(t.dtype) for t in ts)} (convert one first, e.g. "
                         f".double())")


@op()
def mm(input, mat2) -> Tensor:
    """Matrix product of two 2-D tensors: ``(n, k) @ (k, m) -> (n, m)`` (no broadcasting)."""
    for name, t in (("input", input), ("mat2", mat2)):
        if len(shape_of(t)) != 2:
            raise ArgumentError(f"mm: {name} must be a 2-D matrix, got shape {tuple(shape_of(t))}")
    a, b = _pair(input, mat2)
    if a.shape[1] != b.shape[0]:
        raise ArgumentError(f"mm: input and mat2 shapes cannot be multiplied ({a.shape[0]}x"
                            f"{a.shape[1]} and {b.shape[0]}x{b.shape[1]})")
    _same_dtype("mm", "input and mat2", a, b)
    return _arith.matmul(a, b)


@op()
def bmm(input, mat2) -> Tensor:
    """Batched matrix product of 3-D tensors: ``(B, n, k) @ (B, k, m) -> (B, n, m)``
    (no broadcasting of the batch dim, as in PyTorch)."""
    sa, sb = tuple(shape_of(input)), tuple(shape_of(mat2))
    for name, s in (("input", sa), ("mat2", sb)):
        if len(s) != 3:
            raise ArgumentError(f"bmm: {name} must be a 3-D tensor (B, n, m), got shape {s}")
    if sa[0] != sb[0]:
        raise ArgumentError(f"bmm: batch sizes differ: input {sa} and mat2 {sb}")
    if sa[2] != sb[1]:
        raise ArgumentError(
            f"bmm: shapes {sa} and {sb} are not aligned: input's last dim ({sa[2]}) must "
            f"equal mat2's second dim ({sb[1]})"
        )
    a, b = _pair(input, mat2)
    _same_dtype("bmm", "input and mat2", a, b)
    return _arith.matmul(a, b)


@op(aliases=("ger",))
def outer(input, vec2) -> Tensor:
    """Outer product of two 1-D tensors: ``(n,), (m,) -> (n, m)``; ``out[i, j] = a[i] b[j]``."""
    for name, t in (("input", input), ("vec2", vec2)):
        if len(shape_of(t)) != 1:
            raise ArgumentError(f"outer: {name} must be 1-D, got shape {tuple(shape_of(t))}")
    a = _as_tensor(input, vec2 if isinstance(vec2, Tensor) else None)
    b = _as_tensor(vec2, a)
    return _arith.mul(a.reshape(-1, 1), b.reshape(1, -1))


# --- einsum ------------------------------------------------------------------------------
_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _parse_einsum(equation: str, shapes: list) -> tuple[list[str], str]:
    """Explicit subscripts without ellipses: (one string per operand, output string)."""
    eq = equation.replace(" ", "")
    if "->" in eq:
        lhs, out = eq.split("->", 1)
        explicit = True
    else:
        lhs, out, explicit = eq, "", False
    ins = lhs.split(",")
    if len(ins) != len(shapes):
        raise ArgumentError(
            f"einsum: the equation {equation!r} names {len(ins)} operand(s), "
            f"got {len(shapes)}"
        )
    used = set(c for c in eq if c.isalpha())
    for c in eq:
        if not (c.isalpha() or c in ",->."):
            raise ArgumentError(f"einsum: invalid character {c!r} in equation {equation!r}")
    spare = [c for c in _LETTERS if c not in used]
    n_ell = 0
    for s, shape in zip(ins, shapes):
        if "..." in s:
            n_ell = max(n_ell, len(shape) - (len(s) - 3))
    ell = "".join(spare[:n_ell])
    subs = []
    for i, (s, shape) in enumerate(zip(ins, shapes)):
        if "..." in s:
            k = len(shape) - (len(s) - 3)
            if k < 0:
                raise ArgumentError(f"einsum: operand {i} has {len(shape)} dims, fewer than "
                                    f"{s!r} names")
            s = s.replace("...", ell[n_ell - k:] if k else "")
        if "." in s:
            raise ArgumentError(f"einsum: a lone '.' in {equation!r} (an ellipsis is '...')")
        if len(s) != len(shape):
            raise ArgumentError(
                f"einsum: operand {i} has shape {tuple(shape)} ({len(shape)} dims) but its "
                f"subscripts {s!r} name {len(s)}"
            )
        subs.append(s)
    if explicit:
        out = out.replace("...", ell)
    else:
        counts: dict = {}
        for s in subs:
            for c in s:
                counts[c] = counts.get(c, 0) + 1
        out = ell + "".join(sorted(c for c, n in counts.items() if n == 1 and c not in ell))
    return subs, out


class Einsum(Function):
    """``np.einsum`` with explicit subscripts; backward = one einsum per operand."""

    name = "einsum"
    formula = "Σ(products of the other operands)"

    def forward(self, *arrays, subs, out, sizes):
        # size-1 dims broadcast against the other operands (PyTorch's rule); the engine
        # sums their gradients back down
        arrays = tuple(
            a if all(n == sizes[c] for c, n in zip(s, a.shape))
            else xp.broadcast_to(a, [sizes[c] for c in s])
            for s, a in zip(subs, arrays)
        )
        self.arrays, self.subs, self.out = arrays, subs, out
        return xp.einsum(",".join(subs) + "->" + out, *arrays, optimize=len(arrays) > 2)

    def backward(self, gy):
        grads = []
        for i, p in enumerate(self.parents):
            if not (isinstance(p, Tensor) and p.requires_grad):
                grads.append(None)
                continue
            grads.append(self._grad(i, gy))
        return tuple(grads)

    def _grad(self, i: int, gy):
        arrays, subs = self.arrays, self.subs
        target = subs[i]
        others = [(s, a) for j, (s, a) in enumerate(zip(subs, arrays)) if j != i]
        avail = set(self.out).union(*[set(s) for s, _ in others])
        sizes = dict(zip(target, arrays[i].shape))
        uniq = "".join(dict.fromkeys(target))           # letters of operand i, once each
        reach = "".join(c for c in uniq if c in avail)  # those the gradient can carry
        eq = ",".join([self.out] + [s for s, _ in others]) + "->" + reach
        g = xp.einsum(eq, gy, *[a for _, a in others], optimize=len(others) > 1)
        if reach != uniq:  # letters summed out in the forward: their gradient is broadcast
            g = g.reshape([sizes[c] if c in reach else 1 for c in uniq])
            g = xp.broadcast_to(g, [sizes[c] for c in uniq])
        if uniq == target:
            return xp.ascontiguousarray(g)
        full = xp.zeros(arrays[i].shape, dtype=g.dtype)
        xp.einsum(target + "->" + uniq, full)[...] = g  # a writeable view of the diagonal
        return full


@op(method=False, records=(Einsum,))
def einsum(equation: str, *operands) -> Tensor:
    """Einstein summation, as ``torch.einsum``: ``einsum("bij,bjk->bik", a, b)``.

    Operands may also be passed as one list. Ellipsis (``...``) and the implicit form
    (no ``->``: the output is the letters that appear once, in alphabetical order) work
    as in PyTorch. Differentiable in every operand.
    """
    if not isinstance(equation, str):
        raise DtypeError(f"einsum: the first argument must be the equation string, got "
                        f"{type(equation).__name__}")
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    if not operands:
        raise ArgumentError("einsum: no operands")
    like = next((o for o in operands if isinstance(o, Tensor)), None)
    ts = [_as_tensor(o, like) for o in operands]
    subs, out = _parse_einsum(equation, [t.shape for t in ts])
    sizes: dict = {}
    for k, (s, t) in enumerate(zip(subs, ts)):
        for c, n in zip(s, t.shape):
            if c in sizes and sizes[c] != n and (1 not in (n, sizes[c]) or s.count(c) > 1):
                raise ArgumentError(
                    f"einsum {equation!r}: subscript {c!r} has size {sizes[c]} in one operand "
                    f"and {n} in operand {k} (shapes {[tuple(t.shape) for t in ts]})"
                )
            sizes[c] = n if c not in sizes or sizes[c] == 1 else sizes[c]
    for c in out:
        if c not in sizes:
            raise ArgumentError(f"einsum {equation!r}: output subscript {c!r} is not in any input")
    if len(set(out)) != len(out):
        raise ArgumentError(f"einsum {equation!r}: output subscript repeated in {out!r}")
    dts = {t.dtype for t in ts}
    if len(dts) > 1:
        raise DtypeError(f"einsum: operands have different dtypes {sorted(map(str, dts))}; "
                        f"convert them first (e.g. .float())")
    return Einsum.apply(*ts, subs=subs, out=out, sizes=sizes)


# --- cdist -------------------------------------------------------------------------------
class CDist(Function):
    """``D[..., i, j] = ‖x1[..., i, :] - x2[..., j, :]‖_p``.

    Backward (finite p): ∂D/∂x1 = sign(d)|d|^(p-1) / D^(p-1) with d = x1_i - x2_j, and
    the negative of that for x2; 0 where D = 0 (PyTorch's choice). p = ∞: the gradient
    goes to the coordinate(s) reaching the maximum.
    """

    name = "cdist"
    formula = "sign(d)·|d|^(p-1) / D^(p-1), d = x1_i - x2_j"

    def forward(self, x1, x2, p):
        self.p = p
        self.diff = x1[..., :, None, :] - x2[..., None, :, :]  # (..., P, R, M)
        a = xp.abs(self.diff)
        if p == 2:
            self.d = xp.sqrt(xp.einsum("...k,...k->...", self.diff, self.diff))
        elif p == 1:
            self.d = a.sum(-1)
        elif p == np.inf:
            self.d = a.max(-1) if a.shape[-1] else xp.zeros(a.shape[:-1], a.dtype)
        elif p == 0:
            self.d = (a != 0).sum(-1).astype(x1.dtype)
        else:
            self.d = (a**p).sum(-1) ** (1.0 / p)
        return self.d

    def backward(self, gy):
        diff, d, p = self.diff, self.d, self.p
        if p == 0:
            g = xp.zeros_like(diff)
        elif p == 1:
            g = xp.sign(diff)
        elif p == np.inf:
            a = xp.abs(diff)
            hit = (a == d[..., None]).astype(diff.dtype)
            g = xp.sign(diff) * hit / xp.maximum(hit.sum(-1, keepdims=True), 1)
        else:
            safe = xp.where(d == 0, 1, d)[..., None]
            if p == 2:
                g = diff / safe
            else:
                with np.errstate(divide="ignore", invalid="ignore"):
                    g = xp.sign(diff) * xp.abs(diff) ** (p - 1) / safe ** (p - 1)
            g = xp.where(d[..., None] == 0, 0, g)
        g = g * gy[..., None]
        return g.sum(-2), -g.sum(-3), None


@op(method=False, records=(CDist,))
def cdist(x1, x2, p: float = 2.0) -> Tensor:
    """Pairwise p-norm distances: ``(B, P, M), (B, R, M) -> (B, P, R)`` (or without B)."""
    x1 = _as_tensor(x1, x2 if isinstance(x2, Tensor) else None)
    x2 = _as_tensor(x2, x1)
    if x1.ndim < 2 or x2.ndim < 2:
        raise ArgumentError(f"cdist: x1 and x2 need at least 2 dims (P, M), got shapes "
                            f"{tuple(x1.shape)} and {tuple(x2.shape)}")
    if x1.shape[-1] != x2.shape[-1]:
        raise ArgumentError(f"cdist: x1 {tuple(x1.shape)} and x2 {tuple(x2.shape)} must have "
                            f"the same last dim (the feature size)")
    if x1.dtype.kind != "f" or x2.dtype.kind != "f":
        raise DtypeError(f"cdist: only floating tensors, got {x1.dtype} and {x2.dtype}")
    _same_dtype("cdist", "x1 and x2", x1, x2)
    if p < 0:
        raise ArgumentError(f"cdist: p must be non-negative, got {p}")
    try:
        np.broadcast_shapes(x1.shape[:-2], x2.shape[:-2])
    except ValueError:
        raise ArgumentError(f"cdist: batch dims of {tuple(x1.shape)} and {tuple(x2.shape)} "
                            f"cannot be broadcast") from None
    return CDist.apply(x1, x2, float(p))


# --- vector and matrix helpers (composed from matmul, einsum and the core ops) ------------
@op()
def dot(input, tensor) -> Tensor:  # noqa: A002 - PyTorch's names
    """Inner product of two 1-D tensors of the same length (a 0-d tensor)."""
    sa, sb = tuple(shape_of(input)), tuple(shape_of(tensor))
    if len(sa) != 1 or len(sb) != 1 or sa != sb:
        raise ArgumentError(f"dot: expected two 1-D tensors of the same length, got shapes "
                            f"{sa} and {sb}")
    a, b = _pair(input, tensor)
    _same_dtype("dot", "both vectors", a, b)
    return _arith.matmul(a, b)


@op()
def vdot(input, other) -> Tensor:  # noqa: A002
    """``dot`` (real tensors: no conjugation needed)."""
    return dot(input, other)


@op()
def mv(input, vec) -> Tensor:  # noqa: A002
    """Matrix-vector product: ``(n, m) @ (m,) -> (n,)``."""
    if len(shape_of(input)) != 2 or len(shape_of(vec)) != 1:
        raise ArgumentError(f"mv: expected a 2-D matrix and a 1-D vector, got shapes "
                            f"{tuple(shape_of(input))} and {tuple(shape_of(vec))}")
    a, v = _pair(input, vec)
    if a.shape[1] != v.shape[0]:
        raise ArgumentError(f"mv: size mismatch: the matrix {tuple(a.shape)} needs a vector of "
                            f"{a.shape[1]}, got {v.shape[0]}")
    _same_dtype("mv", "the matrix and the vector", a, v)
    return _arith.matmul(a, v)


@op()
def inner(input, other) -> Tensor:  # noqa: A002
    """Sum of products over the last dims: ``(..., k), (..., k) -> (...a, ...b)``."""
    a, b = _pair(input, other)
    if a.ndim == 0 or b.ndim == 0:
        return _arith.mul(a, b)
    if a.shape[-1] != b.shape[-1]:
        raise ArgumentError(f"inner: the last dimension must match on both inputs, got shapes "
                            f"{tuple(a.shape)} and {tuple(b.shape)}")
    return einsum("...k,...k", a, b) if a.ndim == b.ndim == 1 else \
        _arith.matmul(a.reshape(-1, a.shape[-1]), b.reshape(-1, b.shape[-1]).T).reshape(
            *(a.shape[:-1] + b.shape[:-1]))


@op()
def trace(input) -> Tensor:  # noqa: A002
    """Sum of the main diagonal of a 2-D tensor."""
    x = _as_tensor(input)
    if x.ndim != 2:
        raise ArgumentError(f"trace: expected a 2-D tensor, got shape {tuple(x.shape)}")
    return einsum("ii->", x[:, :min(x.shape)][:min(x.shape)])


def _scaled(what: str, input, beta, prod: Tensor, alpha) -> Tensor:  # noqa: A002
    """beta · input + alpha · prod, ``input`` broadcast to prod's shape; beta = 0 ignores
    input (its nan and inf do not spread), as in PyTorch."""
    x = _as_tensor(input, prod)
    try:
        full = np.broadcast_shapes(tuple(x.shape), tuple(prod.shape))
    except ValueError:
        full = None
    if full != tuple(prod.shape):
        raise ArgumentError(f"{what}: input of shape {tuple(x.shape)} cannot be broadcast to "
                            f"the product's shape {tuple(prod.shape)}")
    out = prod if alpha == 1 else alpha * prod
    if beta == 0:
        return out
    return (x if beta == 1 else x * beta) + out


@op(inplace="addmm_")
def addmm(input, mat1, mat2, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """beta · input + alpha · (mat1 @ mat2)."""
    return _scaled("addmm", input, beta, mm(mat1, mat2), alpha)


@op(inplace="baddbmm_")
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1) -> Tensor:  # noqa: A002
    """beta · input + alpha · bmm(batch1, batch2)."""
    return _scaled("baddbmm", input, beta, bmm(batch1, batch2), alpha)


@op()
def kron(input, other) -> Tensor:  # noqa: A002
    """Kronecker product; the tensor with fewer dims gets leading dims of size 1 (as in
    PyTorch): ``(2,) x (2, 3) -> (2, 6)``."""
    a, b = _pair(input, other)
    n = max(a.ndim, b.ndim)
    a = a.reshape(*((1,) * (n - a.ndim) + tuple(a.shape)))
    b = b.reshape(*((1,) * (n - b.ndim) + tuple(b.shape)))
    la, lb = _LETTERS[:n], _LETTERS[n:2 * n]
    out = einsum(f"{la},{lb}->" + "".join(x + y for x, y in zip(la, lb)), a, b)
    return out.reshape(*[p * q for p, q in zip(a.shape, b.shape)])
