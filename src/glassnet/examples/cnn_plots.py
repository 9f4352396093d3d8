"""Pictures of what a convolutional layer learned: its filters and one image's feature
maps (used by the CNN chapters; needs matplotlib)."""

from __future__ import annotations

import numpy as np


def _heat(ax, a, cmap, vmin, vmax, title, annotate, fmt="{:.2g}"):
    """One array as an image on a shared colour scale, optionally with its values."""
    im = ax.imshow(a, cmap=cmap, vmin=vmin, vmax=vmax)
    ax.set_title(title, fontsize=8)
    ax.set_xticks([])
    ax.set_yticks([])
    if annotate:
        mid = (vmin + vmax) / 2
        span = (vmax - vmin) or 1.0
        for (r, c), v in np.ndenumerate(a):
            dark = abs(v - mid) > 0.3 * span if cmap == "RdBu_r" else v < mid
            text = fmt.format(float(v))
            if text.startswith("-") and not text.strip("-0.e+"):
                text = text[1:]  # "-0.00" reads as a sign that is not there
            ax.text(c, r, text, ha="center", va="center", fontsize=7,
                    color="white" if dark else "black")
    return im


def _grid_shape(n: int) -> tuple[int, int]:
    cols = max(1, int(np.ceil(np.sqrt(n))))
    return max(1, int(np.ceil(n / cols))), cols


def plot_filters_and_maps(weight, image, maps, path: str, title: str = "",
                          max_maps: int = 16, map_titles=None, annotate=None) -> str | None:
    """Save one figure in three parts: the input ``image`` ``(H, W)``; a layer's filters
    (``weight`` ``(C_out, 1, KH, KW)``) in a grid on one colour scale centred on 0 (red +,
    blue -) with its colour bar; the feature maps ``maps`` ``(M, H', W')`` (one per filter,
    or any M maps titled by ``map_titles``) in a grid on one shared scale with its colour
    bar. ``annotate`` writes each value in its cell (default: when every array is at most
    6x6 and there are at most 4 of each).

    Returns the file's path, or None without matplotlib.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    from glassnet.explain.plot import save_figure

    w = np.asarray(getattr(weight, "data", weight))[:max_maps, 0]
    m = np.asarray(getattr(maps, "data", maps))[:max_maps]
    img = np.asarray(getattr(image, "data", image))
    if annotate is None:
        annotate = (len(w) <= 4 and len(m) <= 4 and w.shape[-1] * w.shape[-2] <= 36
                    and m.shape[-1] * m.shape[-2] <= 36)
    (rw, cw), (rm, cm) = _grid_shape(len(w)), _grid_shape(len(m))
    rows = max(rw, rm)
    cell = 1.25 if annotate else 0.95
    fig = Figure(figsize=(cell * (1 + cw + cm) + 2.2, cell * rows + 0.9),
                 layout="constrained")  # no pyplot state
    parts = fig.subfigures(1, 3, width_ratios=[1.0, cw + 0.35, cm + 0.35])
    ax = parts[0].subplots(1, 1)
    _heat(ax, img, "gray_r", float(img.min()), float(img.max()) or 1.0, "input", False)
    lim = float(np.abs(w).max()) or 1.0
    axes = parts[1].subplots(rw, cw, squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        if i < len(w):
            im = _heat(ax, w[i], "RdBu_r", -lim, lim, f"filter {i}", annotate)
        else:
            ax.axis("off")
    parts[1].colorbar(im, ax=axes.ravel().tolist(), shrink=0.8, label="weight")
    parts[1].suptitle(f"{len(w)} filter{'s' if len(w) != 1 else ''}", fontsize=9)
    lo, hi = float(m.min()), float(m.max())
    if lo < 0 < hi:  # signed maps: a diverging scale centred on 0
        cmap, lo, hi = "RdBu_r", -max(-lo, hi), max(-lo, hi)
    else:
        cmap, hi = "viridis", hi if hi > lo else lo + 1.0
    axes = parts[2].subplots(rm, cm, squeeze=False)
    for i, ax in enumerate(axes.ravel()):
        if i < len(m):
            name = map_titles[i] if map_titles is not None else f"map {i}"
            im = _heat(ax, m[i], cmap, lo, hi, name, annotate)
        else:
            ax.axis("off")
    parts[2].colorbar(im, ax=axes.ravel().tolist(), shrink=0.8, label="activation")
    parts[2].suptitle(f"{len(m)} feature map{'s' if len(m) != 1 else ''}", fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    return save_figure(fig, path, dpi=110)  # atomically


def plot_value_grids(rows, path: str, title: str = "") -> str | None:
    """Save :func:`value_grids_figure` as a PNG at ``path`` (atomically); returns the path,
    or None without matplotlib."""
    fig = value_grids_figure(rows, title)
    if fig is None:
        return None
    from glassnet.explain.plot import save_figure

    return save_figure(fig, path, dpi=110)


def value_grids_figure(rows, title: str = ""):
    """Small arrays with their values written in: ``rows`` is a list of
    ``(row title, [(panel title, array, format), ...])``; each row shares one colour scale
    centred on 0 (red +, blue -) and has its colour bar. Returns the Figure (None without
    matplotlib)."""
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None

    ncols = max(len(panels) for _, panels in rows)
    fig = Figure(figsize=(1.9 * ncols + 1.0, 2.3 * len(rows) + 0.4), layout="constrained")
    subs = fig.subfigures(len(rows), 1, squeeze=False)[:, 0]
    for sub, (row_title, panels) in zip(subs, rows):
        axes = sub.subplots(1, ncols, squeeze=False)[0]
        lim = max(float(np.abs(np.asarray(a)).max()) for _, a, _ in panels) or 1.0
        for ax, (name, a, fmt) in zip(axes, panels):
            im = _heat(ax, np.asarray(a, dtype=float), "RdBu_r", -lim, lim, name, True, fmt)
        for ax in axes[len(panels):]:
            ax.axis("off")
        sub.colorbar(im, ax=axes.tolist(), shrink=0.8)
        sub.suptitle(row_title, fontsize=9)
    if title:
        fig.suptitle(title, fontsize=10)
    return fig
