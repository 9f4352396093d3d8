"""Pictures of what a network computes (needs matplotlib: ``pip install glassnet[plot]``).

Every function returns a matplotlib ``Figure`` drawn on the Agg canvas (no display, no
pyplot state, works headless) and saves it as a PNG when given ``save=path`` (written
atomically). matplotlib is imported only when one of these is called.

- :func:`squiggle` — data, the fitted curve, and each hidden node's scaled shape that
  adds up to it (1 input, 1 hidden layer, 1 output);
- :func:`decision_regions` — the class a 2-input classifier picks at every point;
- :func:`history_curves` — loss and metric curves from a training History;
- :func:`confusion_matrix`;
- :func:`conv_filters`, :func:`feature_maps` — a conv layer's kernels and one image's maps;
- :func:`lstm_activations` — an LSTM's gates, cell and hidden state over time;
- :func:`embeddings` — vectors projected to 2-D with PCA, labelled;
- :func:`attention` — attention weights as heatmaps, per head and averaged.
"""

from __future__ import annotations

import os

import numpy as np

from ..autograd import no_grad
from ..io import atomic_open
from ..tensor import Tensor

__all__ = ["squiggle", "decision_regions", "history_curves", "confusion_matrix",
           "conv_filters", "feature_maps", "lstm_activations", "lstm_trace", "embeddings",
           "save_figure", "squiggle_parts", "pca_2d", "gradient_over_time", "attention",
           "label_points"]


def _figure(w: float = 6.4, h: float = 4.2, nrows: int = 1, ncols: int = 1):
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - depends on the environment
        raise ImportError("glassnet.explain.plot needs matplotlib: pip install "
                          "'glassnet[plot]'") from None
    fig = Figure(figsize=(w, h), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(nrows, ncols, squeeze=False)
    return fig, axes


def save_figure(fig, path, dpi: int = 100) -> str:
    """Write ``fig`` as a PNG at ``path`` atomically (temp file, fsync, rename)."""
    path = os.fspath(path)
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    with atomic_open(path, "wb") as f:
        fig.savefig(f, format="png", dpi=dpi)
    return path


def _done(fig, save, dpi=100):
    if save is not None:
        save_figure(fig, save, dpi)
    return fig


def _np(x) -> np.ndarray:
    if isinstance(x, Tensor):
        return np.asarray(x.data)
    return np.asarray(x)


# --- the squiggle -------------------------------------------------------------------------

_NEEDS = ("the squiggle needs a network with 1 input, one hidden layer and 1 output: "
          "Sequential(Linear(1, H), activation, Linear(H, 1)), or pass hidden=, activation= "
          "and output= explicitly")


def _squiggle_layers(model, hidden, activation, output):
    from ..nn.linear import Linear

    if hidden is None or output is None or activation is None:
        kids = list(model.children()) if hasattr(model, "children") else []
        lins = [k for k in kids if isinstance(k, Linear)]
        if len(kids) != 3 or len(lins) != 2 or not isinstance(kids[0], Linear) \
                or not isinstance(kids[2], Linear):
            raise ValueError(f"{_NEEDS}; got {type(model).__name__} with children "
                             f"{[type(k).__name__ for k in kids]}")
        hidden, activation, output = kids
    W1 = _np(hidden.weight)
    W2 = _np(output.weight)
    if W1.shape[1] != 1:
        raise ValueError(f"{_NEEDS}; got a first layer with {W1.shape[1]} inputs "
                         f"(weight {W1.shape})")
    if W2.shape[0] != 1:
        raise ValueError(f"{_NEEDS}; got a last layer with {W2.shape[0]} outputs "
                         f"(weight {W2.shape})")
    if W2.shape[1] != W1.shape[0]:
        raise ValueError(f"{_NEEDS}; the hidden layer has {W1.shape[0]} nodes but the output "
                         f"layer expects {W2.shape[1]}")
    return hidden, activation, output


def squiggle_parts(model, xs, hidden=None, activation=None, output=None) -> dict:
    """The pieces of the squiggle at inputs ``xs`` ``(n,)``: ``"hidden"`` ``(n, H)`` each
    node's activation, ``"scaled"`` ``(n, H)`` times its output weight, ``"bias"``, and
    ``"output"`` ``(n,)`` = Σ scaled + bias (equal to the model's output)."""
    hidden, activation, output = _squiggle_layers(model, hidden, activation, output)
    xs = np.asarray(xs, dtype=np.float64).reshape(-1)
    with no_grad():
        dt = _np(hidden.weight).dtype
        pre = hidden(Tensor(xs.reshape(-1, 1).astype(dt)))
        act = _np(activation(pre)).astype(np.float64)
    w2 = _np(output.weight).astype(np.float64)[0]
    b2 = float(_np(output.bias)[0]) if getattr(output, "bias", None) is not None else 0.0
    scaled = act * w2
    return {"x": xs, "hidden": act, "scaled": scaled, "bias": b2,
            "output": scaled.sum(axis=1) + b2}


def squiggle(model, x=None, y=None, *, hidden=None, activation=None, output=None,
             xlim=None, n: int = 200, ax=None, title: str | None = None, save=None,
             xlabel: str = "input", ylabel: str = "output"):
    """Data, the fitted curve, and each hidden node's scaled shape that sums into it.

    ``model``: ``Sequential(Linear(1, H), activation, Linear(H, 1))`` (or pass the three
    layers as ``hidden=, activation=, output=``); ``x``, ``y``: the data points (optional).
    The dashed curves are ``w2_j · act(w1_j x + b1_j)``; the thick one is their sum plus
    the output bias. Raises ValueError naming what the picture needs for other shapes.
    """
    _squiggle_layers(model, hidden, activation, output)
    if xlim is None:
        if x is not None:
            xv = _np(x).reshape(-1)
            span = float(xv.max() - xv.min()) or 1.0
            xlim = (float(xv.min()) - 0.05 * span, float(xv.max()) + 0.05 * span)
        else:
            xlim = (0.0, 1.0)
    xs = np.linspace(xlim[0], xlim[1], n)
    parts = squiggle_parts(model, xs, hidden, activation, output)
    if ax is None:
        fig, axes = _figure()
        ax = axes[0, 0]
    else:
        fig = ax.figure
    H = parts["scaled"].shape[1]
    for j in range(H):
        ax.plot(xs, parts["scaled"][:, j], "--", lw=1.2, alpha=0.8,
                label=f"node {j + 1} × its weight" if H <= 6 else None)
    if parts["bias"]:
        ax.axhline(parts["bias"], color="grey", lw=0.8, ls=":", label="output bias")
    ax.plot(xs, parts["output"], color="black", lw=2.5, label="squiggle = sum + bias")
    if x is not None and y is not None:
        ax.scatter(_np(x).reshape(-1), _np(y).reshape(-1), s=50, zorder=5, color="tab:red",
                   label="data")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title or f"the squiggle: {H} hidden node{'s' if H != 1 else ''} added up")
    ax.legend(fontsize=8, loc="best")
    return _done(fig, save)


# --- classifiers --------------------------------------------------------------------------


def decision_regions(model, X, y=None, *, resolution: int = 200, feature_names=None,
                     class_names=None, ax=None, title: str | None = None, save=None):
    """The class a 2-input classifier picks over the plane of its two inputs, with the
    data points. ``X`` ``(N, 2)``; the model maps ``(M, 2) -> (M, C)`` logits (argmax) or
    ``(M, 1)``/``(M,)`` scores (> 0 is class 1)."""
    X = _np(X)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"decision_regions needs 2 input features, X of shape (N, 2); got "
                         f"{X.shape}")
    pad = 0.08 * (X.max(axis=0) - X.min(axis=0) + 1e-12)
    lo, hi = X.min(axis=0) - pad, X.max(axis=0) + pad
    g0, g1 = np.meshgrid(np.linspace(lo[0], hi[0], resolution),
                         np.linspace(lo[1], hi[1], resolution))
    grid = np.stack([g0.ravel(), g1.ravel()], axis=1)
    dt = next(iter(model.parameters())).data.dtype if hasattr(model, "parameters") else None
    with no_grad():
        out = model(Tensor(grid.astype(dt or np.float32)))
    out = _np(out)
    if out.shape[0] != grid.shape[0]:
        raise ValueError(f"decision_regions: the model returned shape {out.shape} for "
                         f"{grid.shape[0]} points; it must map (M, 2) to (M, classes)")
    pred = (out.reshape(-1) > 0).astype(int) if out.ndim == 1 or out.shape[1] == 1 \
        else out.argmax(axis=1)
    C = int(max(pred.max(), (_np(y).max() if y is not None else 0))) + 1
    if ax is None:
        fig, axes = _figure(6, 5)
        ax = axes[0, 0]
    else:
        fig = ax.figure
    cmap = _cmap("tab10")
    ax.contourf(g0, g1, pred.reshape(g0.shape), levels=np.arange(C + 1) - 0.5, cmap=cmap,
                vmin=-0.5, vmax=9.5, alpha=0.3)
    if y is not None:
        yv = _np(y).reshape(-1).astype(int)
        for c in range(C):
            m = yv == c
            if m.any():
                name = class_names[c] if class_names is not None else f"class {c}"
                ax.scatter(X[m, 0], X[m, 1], s=18, color=cmap(c), edgecolor="k", lw=0.4,
                           label=name)
        ax.legend(fontsize=8)
    fn = feature_names or ("feature 0", "feature 1")
    ax.set_xlabel(fn[0])
    ax.set_ylabel(fn[1])
    ax.set_title(title or "decision regions")
    return _done(fig, save)


def _cmap(name):
    import matplotlib

    return matplotlib.colormaps[name]


def history_curves(history, metrics=None, *, title: str | None = None, save=None,
                   labels=("training", "validation")):
    """Loss (and validation loss) and each metric per epoch from a training History (or
    a dict of lists, as ``History.to_dict()`` gives): one panel per quantity, training
    solid and validation (``val_*``) dashed, named in the legend by ``labels``."""
    d = history.to_dict() if hasattr(history, "to_dict") else dict(history)
    epochs = d.pop("epoch", None)
    d.pop("lr", None)
    base = sorted({k[4:] if k.startswith("val_") else k for k in d})
    if metrics is not None:
        base = [m for m in base if m in metrics or m == "loss"]
    base = (["loss"] if "loss" in base else []) + [b for b in base if b != "loss"]
    if not base:
        raise ValueError(f"history_curves: nothing to plot; the history has {sorted(d)}")
    fig, axes = _figure(4.2 * len(base), 3.6, 1, len(base))
    for ax, name in zip(axes[0], base):
        for key, style, who in ((name, "-", labels[0]), ("val_" + name, "--", labels[1])):
            if key in d:
                v = np.asarray(d[key], dtype=float)
                ep = np.asarray(epochs) if epochs is not None else np.arange(1, len(v) + 1)
                ax.plot(ep, v, style, marker="o", ms=3, label=f"{who} ({key})")
        ax.set_xlabel("epoch")
        ax.set_ylabel(name.replace("_", " "))
        ax.set_title(name.replace("_", " "))
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return _done(fig, save)


def confusion_matrix(cm=None, *, y_true=None, y_pred=None, class_names=None,
                     title: str | None = None, save=None):
    """A confusion matrix (rows: true class, columns: predicted), from a ``(C, C)`` array or
    from ``y_true`` and ``y_pred``, with the counts written in."""
    if cm is None:
        if y_true is None or y_pred is None:
            raise ValueError("confusion_matrix: pass a (C, C) matrix or y_true= and y_pred=")
        t = _np(y_true).reshape(-1).astype(int)
        p = _np(y_pred).reshape(-1).astype(int)
        if t.shape != p.shape:
            raise ValueError(f"confusion_matrix: y_true has {t.size} labels, y_pred {p.size}")
        C = int(max(t.max(), p.max())) + 1
        cm = np.zeros((C, C), dtype=np.int64)
        np.add.at(cm, (t, p), 1)
    cm = _np(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"confusion_matrix: expected a square (C, C) matrix, got {cm.shape}")
    C = cm.shape[0]
    fig, axes = _figure(1.2 + 0.7 * C, 1.0 + 0.7 * C)
    ax = axes[0, 0]
    ax.imshow(cm, cmap="Blues")
    names = class_names or [str(c) for c in range(C)]
    ax.set_xticks(range(C), names, rotation=45 if C > 4 else 0, fontsize=8)
    ax.set_yticks(range(C), names, fontsize=8)
    top = cm.max() if cm.size else 0
    for i in range(C):
        for j in range(C):
            v = cm[i, j]
            ax.text(j, i, f"{v:g}", ha="center", va="center", fontsize=8,
                    color="white" if top and v > top / 2 else "black")
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title or "confusion matrix")
    return _done(fig, save)


# --- convolutional networks -----------------------------------------------------------------


def _grid(n: int) -> tuple[int, int]:
    cols = int(np.ceil(np.sqrt(n)))
    return int(np.ceil(n / cols)), cols


def conv_filters(layer, *, in_channel: int | None = None, max_filters: int = 64,
                 title: str | None = None, save=None):
    """A conv layer's kernels as small images: ``weight`` ``(C_out, C_in, kH, kW)``; shows
    input channel ``in_channel`` or, by default, the mean over input channels."""
    W = _np(layer.weight if hasattr(layer, "weight") else layer)
    if W.ndim != 4:
        raise ValueError(f"conv_filters needs a 2-D conv weight (C_out, C_in, kH, kW); got "
                         f"shape {W.shape}")
    k = W[:, in_channel] if in_channel is not None else W.mean(axis=1)
    k = k[:max_filters]
    r, c = _grid(len(k))
    fig, axes = _figure(1.1 * c + 0.4, 1.1 * r + 0.5, r, c)
    lim = float(np.abs(k).max()) or 1.0
    for i, ax in enumerate(axes.ravel()):
        ax.axis("off")
        if i < len(k):
            ax.imshow(k[i], cmap="RdBu_r", vmin=-lim, vmax=lim)
            ax.set_title(str(i), fontsize=7)
    fig.suptitle(title or f"{W.shape[0]} filters {W.shape[2]}×{W.shape[3]} "
                 f"(red +, blue -)", fontsize=9)
    return _done(fig, save)


def feature_maps(layer, image, *, max_maps: int = 32, title: str | None = None, save=None):
    """One image's feature maps after ``layer`` (a conv layer or any module/callable
    mapping ``(1, C, H, W)`` to ``(1, K, H', W')``). ``image``: ``(C, H, W)``, ``(H, W)``
    or ``(1, C, H, W)``."""
    a = _np(image)
    if a.ndim == 2:
        a = a[None, None]
    elif a.ndim == 3:
        a = a[None]
    if a.ndim != 4 or a.shape[0] != 1:
        raise ValueError(f"feature_maps needs one image (C, H, W) or (1, C, H, W); got "
                         f"{_np(image).shape}")
    dt = next(iter(layer.parameters())).data.dtype if hasattr(layer, "parameters") else None
    with no_grad():
        out = _np(layer(Tensor(a.astype(dt or np.float32))))
    if out.ndim != 4:
        raise ValueError(f"feature_maps: the layer returned shape {out.shape}; it must "
                         f"return (1, K, H', W') maps")
    maps = out[0][:max_maps]
    n = len(maps) + 1
    r, c = _grid(n)
    fig, axes = _figure(1.3 * c + 0.4, 1.3 * r + 0.5, r, c)
    axs = axes.ravel()
    for ax in axs:
        ax.axis("off")
    axs[0].imshow(a[0].mean(axis=0), cmap="gray")
    axs[0].set_title("input", fontsize=7)
    for i, m in enumerate(maps):
        axs[i + 1].imshow(m, cmap="viridis")
        axs[i + 1].set_title(f"map {i}", fontsize=7)
    fig.suptitle(title or f"{out.shape[1]} feature maps {out.shape[2]}×{out.shape[3]}",
                 fontsize=9)
    return _done(fig, save)


# --- recurrent networks ---------------------------------------------------------------------


def _sig(z):
    return 0.5 * np.tanh(0.5 * z) + 0.5


def lstm_trace(lstm, x) -> dict:
    """Re-run the first layer (forward direction) of an LSTM on one sequence and return its
    internals per time step: ``"input"``, ``"forget"``, ``"cell_candidate"``, ``"output"``
    (the gates, ``(T, H)``), ``"cell"`` and ``"hidden"`` ``(T, H)``. ``x``: ``(T,
    input_size)`` (or with a batch of one). Gate order i, f, g, o as in PyTorch."""
    W_ih = _np(lstm.weight_ih_l0).astype(np.float64)
    W_hh = _np(lstm.weight_hh_l0).astype(np.float64)
    H = W_hh.shape[1]
    if W_ih.shape[0] != 4 * H:
        raise ValueError(f"lstm_activations needs an LSTM (4 gates); {type(lstm).__name__} "
                         f"has weight_ih_l0 of shape {W_ih.shape} for hidden size {H}")
    b = np.zeros(4 * H)
    if getattr(lstm, "bias", True) and hasattr(lstm, "bias_ih_l0"):
        b = _np(lstm.bias_ih_l0).astype(np.float64) + _np(lstm.bias_hh_l0).astype(np.float64)
    a = _np(x).astype(np.float64)
    if a.ndim == 3:
        if 1 not in a.shape[:2]:
            raise ValueError(f"lstm_activations takes one sequence; got a batch {a.shape}")
        a = a[0] if getattr(lstm, "batch_first", False) else a[:, 0]
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2 or a.shape[1] != W_ih.shape[1]:
        raise ValueError(f"lstm_activations: expected a sequence (T, {W_ih.shape[1]}), got "
                         f"{_np(x).shape}")
    T = a.shape[0]
    h = np.zeros(H)
    c = np.zeros(H)
    rec = {k: np.zeros((T, H)) for k in
           ("input", "forget", "cell_candidate", "output", "cell", "hidden")}
    for t in range(T):
        z = W_ih @ a[t] + W_hh @ h + b
        i, f, g, o = _sig(z[:H]), _sig(z[H:2 * H]), np.tanh(z[2 * H:3 * H]), _sig(z[3 * H:])
        c = f * c + i * g
        h = o * np.tanh(c)
        for k, v in (("input", i), ("forget", f), ("cell_candidate", g), ("output", o),
                     ("cell", c), ("hidden", h)):
            rec[k][t] = v
    return rec


def lstm_activations(lstm, x, *, title: str | None = None, save=None):
    """An LSTM's gates (input, forget, output), candidate, cell and hidden state over the
    time steps of one sequence ``x`` ``(T, input_size)``: one panel each, a line per
    unit (a heat map when there are more than 8 units)."""
    rec = lstm_trace(lstm, x)
    keys = ["input", "forget", "cell_candidate", "output", "cell", "hidden"]
    fig, axes = _figure(10, 5.5, 2, 3)
    T, H = rec["hidden"].shape
    for ax, k in zip(axes.ravel(), keys):
        v = rec[k]
        if H <= 8:
            for j in range(H):
                ax.plot(np.arange(1, T + 1), v[:, j], marker="o", ms=3, label=f"unit {j}")
            if k in ("input", "forget", "output"):
                ax.set_ylim(-0.05, 1.05)
        else:
            ax.imshow(v.T, aspect="auto", cmap="RdBu_r", vmin=-1, vmax=1)
            ax.set_ylabel("unit")
        ax.set_title(k.replace("_", " ") + (" gate" if k in ("input", "forget", "output")
                                            else ""), fontsize=9)
        ax.set_xlabel("time step", fontsize=8)
    if H <= 8 and H > 1:
        axes[0, 0].legend(fontsize=7)
    fig.suptitle(title or "LSTM activations over time", fontsize=10)
    return _done(fig, save)


# --- embeddings -----------------------------------------------------------------------------


def pca_2d(vectors) -> np.ndarray:
    """``(N, D) -> (N, 2)``: the data centred and projected on its two main directions."""
    V = _np(vectors).astype(np.float64)
    if V.ndim != 2 or V.shape[0] < 2:
        raise ValueError(f"embeddings: expected at least 2 vectors (N, D); got {V.shape}")
    V = V - V.mean(axis=0)
    _, _, vt = np.linalg.svd(V, full_matrices=False)
    P = V @ vt[:2].T
    if P.shape[1] < 2:
        P = np.pad(P, ((0, 0), (0, 2 - P.shape[1])))
    return P


def embeddings(vectors, labels=None, *, words=None, title: str | None = None, save=None):
    """Vectors projected to 2-D with PCA, each point labelled.

    ``vectors``: an ``(N, D)`` array or Tensor, an ``Embedding`` (its weight), or word
    vectors with ``.vectors`` and ``.index_to_key`` (pick some with ``words=[...]``).
    """
    if hasattr(vectors, "index_to_key") and hasattr(vectors, "vectors"):
        keys = list(vectors.index_to_key)
        if words is not None:
            missing = [w for w in words if w not in set(keys)]
            if missing:
                raise KeyError(f"embeddings: not in the vocabulary: {missing[:10]}")
            pos = {k: i for i, k in enumerate(keys)}
            V = _np(vectors.vectors)[[pos[w] for w in words]]
            labels = list(words)
        else:
            V = _np(vectors.vectors)[:100]
            labels = keys[:100] if labels is None else labels
    elif hasattr(vectors, "weight") and not isinstance(vectors, (np.ndarray, Tensor)):
        V = _np(vectors.weight)
    else:
        V = _np(vectors)
    P = pca_2d(V)
    if labels is not None and len(labels) != len(P):
        raise ValueError(f"embeddings: {len(labels)} labels for {len(P)} vectors")
    fig, axes = _figure(6, 5)
    ax = axes[0, 0]
    ax.scatter(P[:, 0], P[:, 1], s=14, color="tab:blue")
    if labels is not None:
        label_points(ax, P[:, 0], P[:, 1], labels)
    ax.set_xlabel("principal component 1")
    ax.set_ylabel("principal component 2")
    ax.set_title(title or f"{len(P)} embeddings (PCA to 2-D)")
    return _done(fig, save)


_OFFSETS = [(5, 3), (5, -11), (-5, 3), (-5, -11), (0, 8), (0, -16), (10, -4), (-10, -4)]


def _boxes_overlap(a, b, pad: float = 1.0) -> bool:
    return not (a.x1 + pad <= b.x0 or b.x1 + pad <= a.x0 or a.y1 + pad <= b.y0
                or b.y1 + pad <= a.y0)


def label_points(ax, x, y, labels, *, fontsize: float = 8, marker_size: float = 4.0):
    """Write ``labels`` beside the points ``(x, y)`` so that no two labels overlap and no
    label covers a point: each label takes the first of a ring of offsets (right, below,
    left, above, then rings farther out) that is clear of the labels placed before it and
    of every marker (a square of ``marker_size`` points around each). Returns the
    annotations. Greedy, so dense clouds may still need a larger figure."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.transforms import Bbox

    fig = ax.figure
    if not isinstance(fig.canvas, FigureCanvasAgg):
        FigureCanvasAgg(fig)
    x = np.asarray(x, dtype=float).reshape(-1)
    y = np.asarray(y, dtype=float).reshape(-1)
    if not (len(x) == len(y) == len(labels)):
        raise ValueError(f"label_points: {len(x)} x, {len(y)} y and {len(labels)} labels")
    notes = [ax.annotate(str(t), (px, py), fontsize=fontsize, textcoords="offset points",
                         xytext=_OFFSETS[0], va="bottom", ha="left")
             for px, py, t in zip(x, y, labels)]
    for _ in range(3):  # the layout can move the points once labels are in: settle it
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        half = marker_size / 2 * fig.dpi / 72
        pts = ax.transData.transform(np.column_stack([x, y])) if len(x) else np.zeros((0, 2))
        markers = [Bbox([[px - half, py - half], [px + half, py + half]]) for px, py in pts]
        placed = []
        for note in notes:
            choice = None
            for ring in (1, 2, 3, 4):
                for dx, dy in _OFFSETS:
                    off = (dx * ring, dy * ring)
                    note.set_position(off)
                    note.set_horizontalalignment("right" if dx < 0 else
                                                 "center" if dx == 0 else "left")
                    box = note.get_window_extent(renderer)
                    if not any(_boxes_overlap(box, b) for b in placed) and not any(
                            _boxes_overlap(box, m, 0.0) for m in markers):
                        choice = off
                        break
                if choice is not None:
                    break
            if choice is None:  # nothing clear: keep the first spot
                note.set_position(_OFFSETS[0])
                note.set_horizontalalignment("left")
            placed.append(note.get_window_extent(renderer))
        fig.canvas.draw()
        after = [n.get_window_extent(fig.canvas.get_renderer()) for n in notes]
        if all(not _boxes_overlap(a, b) for i, a in enumerate(after) for b in after[:i]):
            break
    return notes


def gradient_over_time(norms, *, title: str | None = None, save=None):
    """The gradient norm reaching each time step (from
    :func:`glassnet.explain.time_gradients`), on a log scale: a plain RNN's vanishing
    gradients show as a steep slope."""
    v = np.asarray(norms, dtype=float).reshape(-1)
    if v.size == 0:
        raise ValueError("gradient_over_time: no time steps")
    fig, axes = _figure(6, 3.6)
    ax = axes[0, 0]
    pos = np.where(v > 0, v, np.nan)
    ax.semilogy(np.arange(1, v.size + 1), pos, marker="o", ms=3)
    ax.set_xlabel("time step")
    ax.set_ylabel("‖∂loss/∂input at step‖")
    ax.set_title(title or "gradient reaching each time step")
    ax.grid(True, which="both", alpha=0.3)
    return _done(fig, save)


def attention(weights, tokens=None, query_tokens=None, *, batch_index: int = 0,
              average: bool = True, title: str | None = None, save=None):
    """Attention weights as heatmaps: one panel per head and, with several heads, their
    average. ``weights`` is ``(L, S)``, ``(H, L, S)`` or ``(N, H, L, S)`` (sample
    ``batch_index`` is drawn), e.g. ``MultiheadAttention(..., average_attn_weights=False)``'s
    second output. ``tokens`` label the S keys (columns), ``query_tokens`` the L queries
    (rows; the keys' labels when L == S). Each row sums to 1: where a query looks."""
    w = _np(weights).astype(float)
    if w.ndim == 4:
        w = w[batch_index]
    if w.ndim == 2:
        w = w[None]
    if w.ndim != 3 or w.shape[-1] == 0:
        raise ValueError(f"attention: expected weights of shape (L, S), (H, L, S) or "
                         f"(N, H, L, S), got {_np(weights).shape}")
    H, L, S = w.shape
    if tokens is not None and len(tokens) != S:
        raise ValueError(f"attention: weights have {S} key tokens (columns), got "
                         f"{len(tokens)} labels")
    if query_tokens is None and tokens is not None and L == S:
        query_tokens = tokens
    if query_tokens is not None and len(query_tokens) != L:
        raise ValueError(f"attention: weights have {L} query tokens (rows), got "
                         f"{len(query_tokens)} labels")
    panels = [(w[h], f"head {h}") for h in range(H)] if H > 1 else [(w[0], "weights")]
    if H > 1 and average:
        panels.append((w.mean(0), "average over heads"))
    n = len(panels)
    ncols = min(n, 4)
    nrows = -(-n // ncols)
    side = 0.35 * max(L, S) + 1.5
    fig, axes = _figure(min(4.2 * ncols, side * ncols + 1), min(4.0 * nrows, side * nrows + 1),
                        nrows, ncols)
    for i, ax in enumerate(axes.flat):
        if i >= n:
            ax.set_axis_off()
            continue
        a, name = panels[i]
        im = ax.imshow(a, vmin=0.0, vmax=1.0, cmap="viridis", aspect="auto")
        ax.set_title(name, fontsize=9)
        ax.set_xticks(range(S))
        ax.set_yticks(range(L))
        if tokens is not None:
            ax.set_xticklabels([str(t) for t in tokens], rotation=90, fontsize=8)
        if query_tokens is not None:
            ax.set_yticklabels([str(t) for t in query_tokens], fontsize=8)
        if L * S <= 100:
            for (r, c), val in np.ndenumerate(a):
                ax.text(c, r, f"{val:.2f}", ha="center", va="center", fontsize=6,
                        color="white" if val < 0.6 else "black")
    fig.colorbar(im, ax=axes.ravel().tolist(), shrink=0.8, label="attention weight")
    fig.suptitle(title or "attention: rows are queries, columns the keys they look at",
                 fontsize=10)
    return _done(fig, save)
