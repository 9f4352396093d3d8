"""Pictures of what a convolutional layer learned: its filters and one image's feature
maps (used by the CNN chapters; needs matplotlib)."""

from __future__ import annotations

import numpy as np


def plot_filters_and_maps(weight, image, maps, path: str, title: str = "",
                          max_maps: int = 16, map_titles=None) -> str | None:
    """Save one figure: a layer's filters (``weight`` ``(C_out, 1, KH, KW)``) on the top
    row beside the input ``image`` ``(H, W)``, feature maps ``maps`` ``(M, H', W')`` below
    (one per filter, or any M maps titled by ``map_titles``).

    Returns the file's path, or None without matplotlib.
    """
    try:
        from matplotlib.figure import Figure
    except ImportError:
        return None
    from glassnet.explain.plot import save_figure

    w = np.asarray(getattr(weight, "data", weight))[:, 0]
    m = np.asarray(getattr(maps, "data", maps))
    k = min(max_maps, max(len(w), len(m)))
    fig = Figure(figsize=(1.3 * (k + 1), 3.0), layout="tight")  # no pyplot state
    axes = fig.subplots(2, k + 1, squeeze=False)
    axes[0, 0].imshow(np.asarray(image), cmap="gray_r")
    axes[0, 0].set_title("input", fontsize=8)
    axes[1, 0].axis("off")
    lim = float(np.abs(w[:k]).max()) or 1.0
    for i in range(k):
        if i < len(w):
            axes[0, i + 1].imshow(w[i], cmap="RdBu_r", vmin=-lim, vmax=lim)
            axes[0, i + 1].set_title(f"filter {i}", fontsize=8)
        else:
            axes[0, i + 1].axis("off")
        if i < len(m):
            axes[1, i + 1].imshow(m[i], cmap="viridis")
            name = map_titles[i] if map_titles is not None else f"map {i}"
            axes[1, i + 1].set_title(name, fontsize=8)
        else:
            axes[1, i + 1].axis("off")
    for ax in axes.ravel():
        ax.set_xticks([])
        ax.set_yticks([])
    if title:
        fig.suptitle(title, fontsize=10)
    return save_figure(fig, path, dpi=110)  # atomically
