"""The computation graph of a tensor as a text tree and as Graphviz DOT.

>>> with gn.explain.record():          # optional: group ops by the module that made them
...     loss = loss_fn(model(x), y)
>>> g = gn.explain.graph(loss, model=model)
>>> print(g)                           # text tree: op, shape, values or statistics
>>> with gn.io.atomic_open("graph.dot", "w") as f:   # render with `dot -Tpng graph.dot`
...     f.write(g.to_dot())
"""

from __future__ import annotations

from ..tensor import Tensor
from ._graph import Names, module_of, path_of, summary, walk

__all__ = ["graph", "GraphView"]


class GraphView:
    """A recorded graph ready to print (``str``) or export (:meth:`to_dot`).

    ``nodes``: the op nodes, consumers first; ``out_of``: node -> the tensor it made.
    """

    def __init__(self, root: Tensor, names: Names, max_nodes: int = 400):
        self.root = root
        self.names = names
        self.max_nodes = max_nodes
        self.nodes, self.out_of = walk(root)
        self.ids = {fn: i + 1 for i, fn in enumerate(self.nodes)}

    def __len__(self) -> int:
        return len(self.nodes)

    # --- text ---------------------------------------------------------------------------
    def _describe(self, t) -> str:
        if not isinstance(t, Tensor):
            return f"value {t!r}"
        shape = tuple(t.shape)
        return f"{shape} {t.data.dtype}  {summary(t.data)}"

    def _leaf_line(self, t) -> str:
        if not isinstance(t, Tensor):
            return f"value {t!r}"
        kind = "param" if t.requires_grad else "const"
        return f"{kind} {self.names.tensor(t)}  {self._describe(t)}"

    def __str__(self) -> str:
        if not self.nodes:
            return f"leaf tensor (no graph): {self._leaf_line(self.root)}"
        lines: list[str] = []
        shown: set = set()
        stack = [(self.root._ctx, 0)]
        count = 0
        while stack:
            item, depth = stack.pop()
            pad = "  " * depth
            if not hasattr(item, "parents"):
                lines.append(f"{pad}└ {self._leaf_line(item)}")
                continue
            fn = item
            nid = self.ids[fn]
            if fn in shown:
                lines.append(f"{pad}└ #{nid} {fn.name} (shown above)")
                continue
            count += 1
            if count > self.max_nodes:
                lines.append(f"{pad}… {len(self.nodes) - self.max_nodes} more nodes not shown "
                             f"(raise max_nodes)")
                break
            shown.add(fn)
            t = self.out_of[fn]
            label = self.names.tensor(t) if self.names.named(t) else ""
            mod = module_of(fn)
            where = f" in {self.names.module(mod, path_of(fn))}" if mod is not None else ""
            name = f" '{label}'" if label else ""
            lines.append(f"{pad}{'└ ' if depth else ''}#{nid} {fn.name}{name}{where}  "
                         f"{self._describe(t)}")
            kids = []
            for p in fn.parents:
                if isinstance(p, Tensor) and p._ctx is not None:
                    kids.append(p._ctx)
                elif isinstance(p, Tensor):
                    kids.append(p)
            for k in reversed(kids):
                stack.append((k, depth + 1))
        return "\n".join(lines)

    __repr__ = __str__

    # --- DOT ----------------------------------------------------------------------------
    def to_dot(self, name: str = "glassnet") -> str:
        """Graphviz DOT text: op nodes as boxes, parameters as green ellipses, data as
        grey ones, edges in the direction data flows, one cluster per module."""
        out = [f'digraph "{_esc(name)}" {{', "  rankdir=BT;",
               '  node [fontname="Helvetica", fontsize=10];']
        clusters: dict = {}
        leaf_ids: dict = {}
        body: list[str] = []

        def leaf_id(t) -> str:
            k = id(t)
            if k not in leaf_ids:
                lid = f"t{len(leaf_ids) + 1}"
                leaf_ids[k] = lid
                lab = self.names.tensor(t)
                color = "palegreen" if t.requires_grad else "lightgrey"
                line = (f'  {lid} [label="{_esc(lab)}\\n{tuple(t.shape)}", shape=ellipse, '
                        f'style=filled, fillcolor={color}];')
                mname = self._param_module(t)
                (clusters.setdefault(mname, []) if mname else body).append(line)
            return leaf_ids[k]

        nodes = self.nodes[: self.max_nodes]
        keep = set(nodes)
        for fn in nodes:
            t = self.out_of[fn]
            nid = f"n{self.ids[fn]}"
            lab = fn.name
            if self.names.named(t):
                lab += f" '{self.names.tensor(t)}'"
            line = f'  {nid} [label="{_esc(lab)}\\n{tuple(t.shape)}", shape=box];'
            mod = module_of(fn)
            if mod is not None:
                clusters.setdefault(self.names.module(mod, path_of(fn)), []).append(line)
            else:
                body.append(line)
            for p in fn.parents:
                if not isinstance(p, Tensor):
                    continue
                if p._ctx is None:
                    src = leaf_id(p)
                elif p._ctx in keep:
                    src = f"n{self.ids[p._ctx]}"
                else:
                    continue
                body.append(f"  {src} -> {nid};")
        for i, (mname, lines) in enumerate(clusters.items()):
            out.append(f"  subgraph cluster_{i} {{")
            out.append(f'    label="{_esc(mname)}"; style=rounded; color=steelblue;')
            out.extend("  " + ln for ln in lines)
            out.append("  }")
        out.extend(body)
        out.append("}")
        return "\n".join(out) + "\n"

    def _param_module(self, t) -> str | None:
        n = self.names.tensor_names.get(id(t))
        if not n or "." not in n:
            return None
        prefix = n.rsplit(".", 1)[0]
        for m_id, mname in self.names.module_names.items():
            if mname == prefix:
                m = next(m for m in self.names._keep if id(m) == m_id)
                return self.names.module(m)
        return None


def _esc(s: str) -> str:
    return str(s).replace("\\", "\\\\").replace('"', '\\"')


def graph(tensor: Tensor, model=None, names: dict | None = None,
          max_nodes: int = 400) -> GraphView:
    """The graph that made ``tensor``: ``print()`` it for a text tree (op, shape, values or
    mean/std/min/max), ``.to_dot()`` for Graphviz. ``model`` names parameters and modules
    (ops recorded inside :func:`glassnet.explain.record` are grouped by module)."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"graph: expected a Tensor, got {type(tensor).__name__}")
    return GraphView(tensor, Names(model, names), max_nodes)
