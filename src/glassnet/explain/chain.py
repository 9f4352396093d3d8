"""The chain rule, written out: why the gradient of a loss for one parameter element is
what it is.

``chain_rule(loss, param, index)`` finds every path of ops from the loss down to the
parameter, and along each path every chain of single elements (one per data point, per
hidden unit, ...). Each link's number is the op's exact local derivative: the op's own
``backward`` applied to a one-hot gradient, on the retained graph. Terms are products of
links; the explanation's total is their sum, and it is checked against a real
``loss.backward()``.

When there are too many paths to list (an unrolled recurrent network has millions), the
explanation falls back to the last link of the chain rule: one term per use of the
parameter, d loss/d(that op's output) times the op's local derivative, with the upstream
gradients computed exactly.
"""

from __future__ import annotations

import numpy as np

from ..autograd import unbroadcast
from ..tensor import Tensor
from ._graph import FREED, Names, autograd_gradient, bindex, fmt_value, walk
from .formulas import coef_text, local_formula, with_coef

__all__ = ["chain_rule", "ChainRule", "Path"]


class _Budget(Exception):
    pass


def _normalise_index(t: Tensor, index, label: str) -> tuple:
    shape = t.shape
    if index is None:
        if t.data.size != 1:
            raise ValueError(
                f"chain_rule: {label} has shape {tuple(shape)} ({t.data.size} elements); pass "
                f"index= to pick one element, e.g. index={(0,) * len(shape)}"
            )
        return (0,) * len(shape)
    if isinstance(index, (int, np.integer)):
        index = (int(index),)
    index = tuple(int(i) for i in index)
    if len(index) != len(shape):
        raise IndexError(
            f"chain_rule: index {index} has {len(index)} entries but {label} has "
            f"{len(shape)} dims (shape {tuple(shape)})"
        )
    out = []
    for i, n in zip(index, shape):
        if not -n <= i < n:
            raise IndexError(f"chain_rule: index {index} is out of range for {label} of shape "
                             f"{tuple(shape)}")
        out.append(i % n)
    return tuple(out)


class _Rows:
    """Exact Jacobian rows of nodes, by calling ``backward`` with one-hot gradients."""

    def __init__(self, out_of: dict, max_calls: int):
        self.out_of = out_of
        self.cache: dict = {}
        self.calls = 0
        self.max_calls = max_calls

    def __call__(self, fn, out_idx: tuple) -> tuple:
        key = (id(fn), out_idx)
        r = self.cache.get(key)
        if r is not None:
            return r
        self.calls += 1
        if self.calls > self.max_calls:
            raise _Budget
        y = self.out_of[fn].data
        gy = np.zeros(y.shape, dtype=y.dtype if y.dtype.kind == "f" else np.float64)
        gy[out_idx] = 1
        gxs = fn.backward(gy)
        if type(gxs) is not tuple:
            gxs = (gxs,)
        rows = []
        for p, gx in zip(fn.parents, gxs):
            if gx is None or not isinstance(p, Tensor):
                rows.append(None)
                continue
            gx = np.asarray(gx)
            if gx.shape != p.data.shape:
                gx = unbroadcast(gx, p.data.shape)
            rows.append(gx)
        r = tuple(rows)
        self.cache[key] = r
        return r


class Path:
    """One path of ops from the loss to the parameter, with its element-level terms.

    ``steps``: (node, input slot) pairs from the loss down; ``contribution``: this path's
    exact share of the gradient; ``terms``: (element indices, link values) per chain of
    elements (None when too many to list); ``n_terms``: how many there are.
    """

    def __init__(self, steps: list, contribution: float):
        self.steps = steps
        self.contribution = contribution
        self.terms: list | None = None
        self.n_terms: int | None = None
        self.columns: list = []  # (step positions, formula text) after folding constants


class ChainRule:
    """The derivation of d loss / d param[index]; ``print()`` it. ``total`` is the gradient
    (equal to autograd's), ``paths`` the paths with their terms, ``uses`` (when paths are
    too many to list) one term per use of the parameter."""

    def __init__(self, loss_label, param_label, index, total, autograd, dtype):
        self.loss_label, self.param_label, self.index = loss_label, param_label, index
        self.total = total
        self.autograd = autograd
        self.dtype = dtype
        self.paths: list[Path] = []
        self.n_paths = 0
        self.uses: list | None = None
        self.no_path = False
        self.note = ""
        self.max_rows = 8
        self._labels: dict = {}

    # --- text ---------------------------------------------------------------------------
    @property
    def target(self) -> str:
        idx = "" if not self.index else "[" + ", ".join(map(str, self.index)) + "]"
        return f"{self.param_label}{idx}"

    def __str__(self) -> str:
        d = f"∂{self.loss_label}/∂{self.target}"
        if self.no_path:
            return (f"{d} = 0: no path leads from {self.loss_label} to {self.param_label} in "
                    f"the graph, so {self.loss_label} does not depend on it and the gradient "
                    f"is zero because there is no path.")
        lines = []
        if self.uses is not None:
            lines.append(
                f"{d}: {self.n_paths:,} paths lead from {self.loss_label} to "
                f"{self.param_label}, too many to list; the last link of the chain rule, one "
                f"term per use of {self.param_label}:")
            lines.append(f"{d} = Σ over {len(self.uses)} uses  ∂{self.loss_label}/∂(use "
                         f"output) · ∂(use output)/∂{self.target}")
            for k, (label, gnorm, value) in enumerate(self.uses[: 2 * self.max_rows]):
                lines.append(f"  use {k + 1:>3}: {label:<34} |∂{self.loss_label}/∂output| = "
                             f"{fmt_value(gnorm):<10} term = {fmt_value(value)}")
            if len(self.uses) > 2 * self.max_rows:
                rest = sum(u[2] for u in self.uses[2 * self.max_rows:])
                lines.append(f"  … {len(self.uses) - 2 * self.max_rows} more uses "
                             f"(their sum: {fmt_value(rest)})")
        else:
            npath = len(self.paths)
            lines.append(f"{d}: the chain rule as autograd computed it "
                         f"({npath} path{'s' if npath != 1 else ''} from "
                         f"{self.loss_label} to {self.param_label})")
            for k, path in enumerate(self.paths):
                lines.append("")
                lines.extend(self._path_lines(k, path, d))
            if npath > 1:
                parts = " + ".join(fmt_value(p.contribution) for p in self.paths)
                lines.append("")
                lines.append(f"{d} = sum over paths = {parts}")
        ok = "equal" if self._agrees() else "DIFFERENT"
        lines.append(f"{d} = {fmt_value(self.total)}   (autograd: "
                     f"{fmt_value(self.autograd)}, {ok})")
        if self.note:
            lines.append(self.note)
        return "\n".join(lines)

    __repr__ = __str__

    def _path_lines(self, k: int, path: Path, d: str) -> list:
        chain = " ← ".join([self._labels[id(fn)] for fn, _ in path.steps] + [self.target])
        lines = [f"path {k + 1}: {chain}"]
        cols = path.columns
        body = " · ".join(c[1] for c in cols)
        if path.terms is None:
            lines.append(f"  = Σ over {path.n_terms:,} terms of  {body}"
                         f"  = {fmt_value(path.contribution)}  (too many terms to list)")
            return lines
        n = path.n_terms
        what = "term" if n == 1 else f"{n:,} terms"
        lines.append(f"  {d} = Σ over {what} of  {body}" if n > 1 else f"  {d} = {body}")
        header = ["term"] + [c[1] for c in cols] + ["= term"]
        rows = []
        for labels, factor_cells, value in path.terms[: self.max_rows]:
            rows.append([labels] + factor_cells + [fmt_value(value)])
        widths = [max(len(r[j]) for r in [header] + rows) for j in range(len(header))]
        fmt_row = lambda r: "    " + "   ".join(c.ljust(w) for c, w in zip(r, widths))  # noqa: E731
        lines.append(fmt_row(header).rstrip())
        for r in rows:
            lines.append(fmt_row(r).rstrip())
        if n > self.max_rows:
            rest = sum(t[2] for t in path.terms[self.max_rows:])
            lines.append(f"    … {n - self.max_rows:,} more terms (their sum: {fmt_value(rest)})")
        if n > 1:
            lines.append(f"  sum of the terms = {fmt_value(path.contribution)}")
        return lines

    def _agrees(self) -> bool:
        a, b = float(self.total), float(self.autograd)
        tol = 1e-4 if self.dtype != np.float64 else 1e-9
        return abs(a - b) <= tol * max(1.0, abs(a), abs(b), self._scale)

    _scale = 0.0


def chain_rule(loss: Tensor, param, index=None, *, model=None, names: dict | None = None,
               max_paths: int = 12, max_rows: int = 8, max_terms: int = 20000,
               max_calls: int = 50000) -> ChainRule:
    """Explain d loss / d param[index] with the chain rule, with the numbers autograd used.

    ``loss``: a one-element tensor whose graph is still there (explain before
    ``backward()``, or use ``retain_graph=True``). ``param``: a tensor the loss was
    computed from (a Parameter, an input, an intermediate tensor), or a parameter name
    such as ``"2.bias"`` when ``model`` is given. ``index``: the element, needed when the
    parameter has more than one. ``model`` names parameters and, inside
    :func:`glassnet.explain.record`, modules; ``names`` maps extra labels to tensors
    (``{"observed": y}``); ``Tensor.name`` labels a tensor too.

    Returns a :class:`ChainRule`: print it to see every path, the per-element terms (each
    a product of local derivatives) and their sum; ``.total`` is the gradient. Raises
    ValueError for a loss with more than one element.
    """
    if not isinstance(loss, Tensor):
        raise TypeError(f"chain_rule: loss must be a Tensor, got {type(loss).__name__}")
    if loss.data.size != 1:
        raise ValueError(
            f"chain_rule: the loss must be a scalar (one element) to have a gradient per "
            f"parameter, got shape {tuple(loss.shape)}; reduce it first (loss.sum() or "
            f"loss.mean())"
        )
    lab = Names(model, names)
    if isinstance(param, str):
        if model is None:
            raise ValueError(f"chain_rule: param {param!r} is a name; pass model= to look it up")
        params = dict(model.named_parameters())
        if param not in params:
            raise KeyError(f"chain_rule: {type(model).__name__} has no parameter {param!r}; "
                           f"it has {', '.join(params) or 'none'}")
        param = params[param]
    if not isinstance(param, Tensor):
        raise TypeError(f"chain_rule: param must be a Tensor or a parameter name, got "
                        f"{type(param).__name__}")
    plabel = lab.tensor(param) if (param._ctx is None or lab.named(param)) else "target"
    index = _normalise_index(param, index, plabel)
    llabel = loss.name or "loss"
    if not loss.requires_grad or loss._ctx is None:
        raise ValueError(f"chain_rule: {llabel} has no graph (it does not require grad, or was "
                         f"made under no_grad()); nothing to explain")
    if loss._ctx.parents is None:
        raise RuntimeError(f"chain_rule: {FREED}")
    if param is loss:
        raise ValueError("chain_rule: param is the loss itself (d loss/d loss = 1)")
    if not param.requires_grad:
        raise ValueError(f"chain_rule: {plabel} does not require grad, so autograd computes no "
                         f"gradient for it; call requires_grad_() on it before the forward pass")
    order, out_of = walk(loss)

    # Which nodes lead to the parameter, and how many op paths go through each.
    stop = param._ctx  # a non-leaf target: paths end at it, not below it
    count: dict = {}
    for fn in reversed(order):
        if fn is stop:
            continue
        c = 0
        for p in fn.parents:
            if p is param:
                c += 1
            elif isinstance(p, Tensor) and p._ctx is not None and p._ctx is not stop:
                c += count.get(p._ctx, 0)
        count[fn] = c
    root = loss._ctx
    n_paths = count.get(root, 0)
    ag = autograd_gradient(loss, param)
    dtype = param.data.dtype
    ag_value = 0.0 if ag is None else float(ag[index])
    res = ChainRule(llabel, plabel, index, 0.0, ag_value, dtype)
    res.max_rows = max_rows
    res.n_paths = n_paths
    if n_paths == 0:
        res.no_path = True
        return res
    for fn in order:
        res._labels[id(fn)] = _node_label(fn, out_of, lab)
    if n_paths > max_paths:
        _explain_uses(res, loss, param, index, order, out_of, count, lab)
    else:
        _explain_paths(res, param, index, root, out_of, count, lab, max_terms, max_calls)
    if not res._agrees():
        raise AssertionError(
            f"chain_rule: the explanation's total {res.total!r} differs from autograd's "
            f"gradient {res.autograd!r} for {res.target}; this is a bug in glassnet.explain"
        )
    return res


def _node_label(fn, out_of: dict, lab: Names) -> str:
    t = out_of.get(fn)
    if t is not None and lab.named(t):
        return f"{lab.tensor(t)} ({fn.name})"
    return lab.node(fn)


def _enumerate_paths(root, param, count: dict) -> list:
    paths = []
    stack = [(root, [])]
    while stack:
        fn, prefix = stack.pop()
        for s, p in enumerate(fn.parents):
            if p is param:
                paths.append(prefix + [(fn, s)])
            elif isinstance(p, Tensor) and count.get(p._ctx, 0):
                stack.append((p._ctx, prefix + [(fn, s)]))
    paths.reverse()
    return paths


def _vjp_path(steps: list, out_of: dict, param: Tensor):
    """This path's share of the gradient: backward through its links only."""
    fn0 = steps[0][0]
    g = np.ones(out_of[fn0].data.shape, dtype=out_of[fn0].data.dtype)
    for fn, s in steps:
        gx = fn.backward(g)
        if type(gx) is not tuple:
            gx = (gx,)
        g = np.asarray(gx[s])
        shape = fn.parents[s].data.shape
        if g.shape != shape:
            g = unbroadcast(g, shape)
    return g


def _explain_paths(res: ChainRule, param, index, root, out_of, count, lab, max_terms,
                   max_calls) -> None:
    rows = _Rows(out_of, max_calls)
    total = 0.0
    scale = 0.0
    for steps in _enumerate_paths(root, param, count):
        contrib = float(np.asarray(_vjp_path(steps, out_of, param), np.float64)[index])
        path = Path(steps, contrib)
        _columns(path, lab, out_of)
        try:
            _terms(path, rows, index, max_terms, lab)
        except _Budget:
            path.terms = None
            if path.n_terms is None:
                path.n_terms = 0
                res.note = ("(element terms not listed: the graph is too large for the "
                            f"max_calls={max_calls} budget; path totals are exact)")
        if path.terms is not None:
            s = float(np.sum([t[2] for t in path.terms], dtype=np.float64))
            if not np.isclose(s, contrib, rtol=1e-4, atol=1e-6 * max(1.0, abs(contrib))):
                raise AssertionError(f"chain_rule: terms sum to {s!r}, path gives {contrib!r}")
        total += contrib
        scale += abs(contrib)
        res.paths.append(path)
    res.total = total
    res._scale = scale


def _columns(path: Path, lab: Names, out_of: dict) -> None:
    """Group a path's links into printed factors: every link with a formula that varies
    starts a factor; constant links (1, -1, 2, 1/N) fold into their neighbour."""
    forms = []
    for fn, s in path.steps:
        y = fn.parents[s]
        forms.append(local_formula(fn, s, lab, y.data.shape, out_of[fn].data.shape))
    path.forms = forms
    groups: list = []
    for j, f in enumerate(forms):
        if f.constant:
            if groups:
                groups[-1][0].append(j)
            else:
                groups.append([[j], None])
        else:
            if groups and groups[-1][1] is None:
                groups[-1][0].append(j)
                groups[-1][1] = j
            else:
                groups.append([[j], j])
    cols = []
    for js, main in groups:
        c = 1.0
        for j in js:
            if j != main:
                c *= forms[j].coef
        if main is None:
            text = coef_text(c)
        else:
            c *= forms[main].coef
            text = with_coef(c, forms[main].text())
        cols.append((js, text, main, c))
    path.columns = cols


def _terms(path: Path, rows: _Rows, index: tuple, max_terms: int, lab: Names) -> None:
    steps = path.steps
    k = len(steps) - 1
    memo: dict = {}

    # links[(j, e)] = [(next element, link value)], only towards the parameter element
    def links(j: int, e: tuple) -> list:
        key = (j, e)
        got = memo.get(key)
        if got is not None:
            return got
        fn, s = steps[j]
        r = rows(fn, e)[s]
        out = []
        if r is not None:
            if j == k:
                v = r[index]
                if v != 0 or (fn.elementwise and bindex(e, r.shape) == index):
                    out.append((None, float(v)))
            elif fn.elementwise:
                # one input element per output element: keep the link even when its
                # derivative is 0 (a ReLU that is off), so the term shows why it vanishes
                e2 = bindex(e, r.shape)
                if _reach(j + 1, e2):
                    out.append((e2, float(r[e2])))
            else:
                shape = r.shape
                for q in np.flatnonzero(r):
                    e2 = tuple(int(x) for x in np.unravel_index(q, shape)) if shape else ()
                    if _reach(j + 1, e2):
                        out.append((e2, float(r.reshape(-1)[q])))
        memo[key] = out
        return out

    def _reach(j, e):
        return bool(links(j, e))

    if k > 400:
        raise _Budget
    import sys

    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 3 * k + 1000))
    try:
        start = ()
        y0 = rows.out_of[steps[0][0]].data
        start = tuple(0 for _ in y0.shape)
        top = links(0, start)
    finally:
        sys.setrecursionlimit(old)
    # count chains of elements
    nmemo: dict = {}

    def n_chains(j, e):
        key = (j, e)
        if key in nmemo:
            return nmemo[key]
        c = 0
        for e2, _ in memo[key]:
            c += 1 if e2 is None else n_chains(j + 1, e2)
        nmemo[key] = c
        return c

    path.n_terms = sum(1 if e2 is None else n_chains(1, e2) for e2, _ in top)
    if path.n_terms > max_terms:
        path.terms = None
        return
    chains = []
    stack = [(0, start, [start], [])]
    while stack:
        j, e, elems, vals = stack.pop()
        for e2, v in reversed(memo[(j, e)]):
            if e2 is None:
                chains.append((elems, vals + [v]))
            else:
                stack.append((j + 1, e2, elems + [e2], vals + [v]))
    path.terms = [_term_row(path, elems, vals, index) for elems, vals in chains]
    _label_terms(path, chains)


def _term_row(path: Path, elems: list, vals: list, index: tuple):
    cells = []
    value = 1.0
    for v in vals:
        value *= v
    for js, _text, main, c in path.columns:
        v = 1.0
        for j in js:
            v *= vals[j]
        if main is None:
            cells.append(fmt_value(v))
            continue
        out_idx = elems[main]
        in_idx = elems[main + 1] if main + 1 < len(elems) else index
        sub = path.forms[main].value(out_idx, in_idx)
        if sub is None:
            cells.append(fmt_value(v))
        else:
            shown = with_coef(c, sub)
            cells.append(f"{shown} = {fmt_value(v)}" if shown != fmt_value(v) else shown)
    return ["", cells, value]


def _label_terms(path: Path, chains: list) -> None:
    """Name each term by the element indices where the terms branch apart."""
    if not chains:
        return
    n = len(chains[0][0])
    chosen: list = []
    for j in range(n):
        seen: dict = {}
        branching = False
        for elems, _ in chains:
            key = tuple(elems[i] for i in chosen)
            v = seen.setdefault(key, elems[j])
            if v != elems[j]:
                branching = True
                break
        if branching:
            chosen.append(j)
    for t, (elems, _) in zip(path.terms, chains):
        if not chosen:
            t[0] = "1"
        else:
            t[0] = " ".join("[" + ", ".join(map(str, elems[i])) + "]" for i in chosen)
    path.terms = [tuple(t) for t in path.terms]


def _explain_uses(res: ChainRule, loss, param, index, order, out_of, count, lab) -> None:
    """One term per use of the parameter: (upstream gradient) x (local derivative)."""
    grads = {loss._ctx: np.ones(loss.data.shape, loss.data.dtype)}
    uses = []
    for fn in order:
        if not count.get(fn):
            continue
        gy = grads.pop(fn, None)
        if gy is None:
            continue
        gxs = fn.backward(gy)
        if type(gxs) is not tuple:
            gxs = (gxs,)
        for s, (p, gx) in enumerate(zip(fn.parents, gxs)):
            if gx is None or not isinstance(p, Tensor):
                continue
            gx = np.asarray(gx)
            if gx.shape != p.data.shape:
                gx = unbroadcast(gx, p.data.shape)
            if p is param:
                gnorm = float(np.sqrt(np.sum(np.asarray(gy, np.float64) ** 2)))
                uses.append((res._labels[id(fn)] + (f" (input {s})" if len(fn.parents) > 1
                                                    else ""), gnorm, float(gx[index])))
            elif p._ctx is not None and count.get(p._ctx):
                prev = grads.get(p._ctx)
                grads[p._ctx] = gx if prev is None else prev + gx
    uses.reverse()  # first use in the forward pass first
    res.uses = uses
    res.total = float(np.sum([u[2] for u in uses], dtype=np.float64))
    res._scale = float(np.sum([abs(u[2]) for u in uses]))
