"""Why a plain RNN struggles where an LSTM does not: gradients over time steps.

A plain (vanilla) RNN applies the same weights at every step and carries one hidden
state: ``h_t = tanh(w_x x_t + w_h h_{t-1} + b)``. Back-propagation through time
multiplies, for every step a gradient travels back, by ``w_h · tanh'(a_t)``. Over many
steps that product shrinks towards 0 (|w_h tanh'| < 1: the *vanishing* gradient, early
days stop influencing learning) or grows without bound (> 1, e.g. a ReLU RNN with
w_h > 1: the *exploding* gradient). An LSTM adds a path that avoids both: the long-term
memory ``c_t = f_t c_{t-1} + i_t g_t`` is multiplied only by the forget gate ``f`` on
the way back, no weight and no squashing derivative, and the network itself learns to
hold ``f`` near 1 when it needs to remember.

Three parts:

1. the stock example (four days, A -> 0 and B -> 1) with a one-unit plain RNN and a
   one-unit LSTM: the per-day gradient norms of each trained model;
2. the same data stretched to 50 days (day 1 must travel 49 steps): how much day ``t``
   can still move the last hidden state, ``|dh_50/dx_t|``, for a tanh RNN, a ReLU RNN
   and an LSTM with its forget gate half or fully open;
3. gradient clipping: a ReLU RNN whose gradients explode (norm ~10^5 on the first
   step) fails at once without clipping (NaN after one SGD step) and trains with
   ``clip_grad_norm_(max_norm=1)``.
"""

from __future__ import annotations

import numpy as np

import glassnet as gn

from .black_box import new_figure, save_figure
from .lstm_stock import PRICES, TARGETS, TOLERANCE


def stretched(days: int) -> np.ndarray:
    """The stock example over ``days`` days: day 1 differs, then the middle day repeats.

    ``(2, days)``: A = [0, 0.5, ..., 0.5, 0.25, 1], B = [1, 0.5, ..., 0.5, 0.25, 1].
    """
    mid = np.full(days - 3, 0.5)
    return np.stack([np.r_[0.0, mid, 0.25, 1.0], np.r_[1.0, mid, 0.25, 1.0]]).astype(np.float32)


class Predictor(gn.nn.Module):
    """A recurrent layer (``kind`` = RNN or LSTM, one input) read at the last day by a
    Linear(H, 1): prices ``(N, T)`` -> guesses ``(N,)``."""

    def __init__(self, kind: str, hidden: int = 1, generator=None, **kw):
        super().__init__()
        self.rnn = getattr(gn.nn, kind)(1, hidden, generator=generator, **kw)
        self.out = gn.nn.Linear(hidden, 1, generator=generator)

    def forward(self, prices):
        n, days = prices.shape
        out, _ = self.rnn(prices.transpose(0, 1).reshape(days, n, 1))
        return self.out(out[-1]).reshape(n)


def day_gradients(model, prices: np.ndarray) -> np.ndarray:
    """``|d loss / d x_t|`` for each day ``t`` (summed over the batch): ``(T,)``."""
    x = gn.tensor(prices, requires_grad=True)
    loss = ((model(x) - gn.tensor(TARGETS)) ** 2).sum()
    loss.backward()
    return np.abs(x.grad.data).sum(axis=0)


def last_state_gradients(layer, days: int) -> np.ndarray:
    """``|d h_T / d x_t|`` for each day of the stretched sequence (summed over A and B)."""
    x = gn.tensor(stretched(days).T.reshape(days, 2, 1), requires_grad=True)
    out, _ = layer(x)
    out[-1].sum().backward()
    return np.abs(x.grad.data).sum(axis=(1, 2))


def train_on_stock(kind: str, seeds=range(5), max_steps: int = 2000):
    """Adam (lr 0.1) on the four-day data from the first seed that reaches the answer."""
    x, y = gn.tensor(PRICES), gn.tensor(TARGETS)
    for seed in seeds:
        model = Predictor(kind, 1, generator=gn.Generator(seed))
        opt = gn.optim.Adam(model.parameters(), lr=0.1)
        for step in range(max_steps):
            opt.zero_grad()
            pred = model(x)
            if np.all(np.abs(pred.data - TARGETS) < TOLERANCE):
                return model, {"ok": True, "steps": step, "seed": seed,
                               "predictions": pred.data.tolist()}
            ((pred - y) ** 2).sum().backward()
            opt.step()
    return model, {"ok": False, "steps": max_steps, "seed": seed,
                   "predictions": pred.data.tolist()}


def one_unit(kind: str, w_h: float, forget_bias: float = 0.0, **kw):
    """A one-unit layer with chosen weights and no biases except, for the LSTM, the
    forget-gate bias and a bias of -0.25 on the potential memory g, so the repeated
    middle day (0.5) writes nothing: its long-term memory only carries day 1 forward.
    Input weight 1 (RNN) or 0.5 (LSTM, every gate), recurrent weight ``w_h``."""
    layer = getattr(gn.nn, kind)(1, 1, **kw)
    with gn.no_grad():
        for p in layer.parameters():
            p.data[...] = 0.0
        if kind == "RNN":
            layer.weight_ih_l0.data[...] = 1.0
            layer.weight_hh_l0.data[...] = w_h
        else:
            layer.weight_ih_l0.data[...] = 0.5
            layer.weight_hh_l0.data[...] = w_h
            layer.bias_ih_l0.data[1] = forget_bias  # gate rows i, f, g, o
            layer.bias_ih_l0.data[2] = -0.25
    return layer


def clipping_demo(clip: float | None, steps: int = 1500, days: int = 20, seed: int = 0):
    """SGD (lr 0.01) on the stretched data with a ReLU RNN (8 units) whose recurrent
    weight starts at 1.2·I, so gradients grow like 1.2^days. Returns a summary dict."""
    model = Predictor("RNN", 8, generator=gn.Generator(seed), nonlinearity="relu")
    with gn.no_grad():
        model.rnn.weight_hh_l0.data[...] = 1.2 * np.eye(8)
        model.rnn.bias_hh_l0.data[...] = 0.0
    params = list(model.parameters())
    opt = gn.optim.SGD(params, lr=0.01)
    x, y = gn.tensor(stretched(days)), gn.tensor(TARGETS)
    norms, losses = [], []
    for step in range(steps):
        opt.zero_grad()
        with np.errstate(over="ignore", invalid="ignore"):
            pred = model(x)
            loss = ((pred - y) ** 2).sum()
        losses.append(float(loss.item()))
        if not np.isfinite(losses[-1]):
            return {"ok": False, "steps": step, "diverged": True, "first_norm": norms[0],
                    "norms": norms, "losses": losses}
        if np.all(np.abs(pred.data - TARGETS) < TOLERANCE):
            return {"ok": True, "steps": step, "diverged": False, "first_norm": norms[0],
                    "norms": norms, "losses": losses}
        loss.backward()
        total = gn.nn.utils.clip_grad_norm_(params, clip if clip else float("inf"))
        norms.append(float(total.item()))
        opt.step()
    return {"ok": False, "steps": steps, "diverged": False, "first_norm": norms[0],
            "norms": norms, "losses": losses}


def run(fast: bool = False, plot_dir: str | None = None) -> dict:
    """All three parts; returns the gradient ratios and training outcomes."""
    print("1) the stock example, four days, one unit each (Adam, lr 0.1)")
    stock = {}
    for kind in ("RNN", "LSTM"):
        model, info = train_on_stock(kind)
        g = day_gradients(model, PRICES)
        info["day_gradients"] = g.tolist()
        stock[kind] = info
        print(f"   {kind:4s}: A -> {info['predictions'][0]:.3f}, B -> "
              f"{info['predictions'][1]:.3f} after {info['steps']} steps (seed {info['seed']}); "
              f"|dL/dx_t| by day: " + ", ".join(f"{v:.2g}" for v in g))

    days = 50
    print(f"2) the same data stretched to {days} days: |dh_{days}/dx_t|, day 1 vs day {days}")
    cases = {
        "tanh RNN, w_h = 0.5": one_unit("RNN", 0.5),
        "tanh RNN, w_h = 1.0": one_unit("RNN", 1.0),
        "tanh RNN, w_h = 3.0": one_unit("RNN", 3.0),
        "ReLU RNN, w_h = 1.2": one_unit("RNN", 1.2, nonlinearity="relu"),
        "LSTM, forget gate half open (bias 0)": one_unit("LSTM", 0.0, 0.0),
        "LSTM, forget gate open (bias 5)": one_unit("LSTM", 0.0, 5.0),
    }
    ratios, curves = {}, {}
    for name, layer in cases.items():
        with np.errstate(under="ignore"):
            g = last_state_gradients(layer, days)
        ratios[name] = float(g[0] / g[-1])
        curves[name] = g
        print(f"   {name:38s} day 1 / day {days} = {ratios[name]:.3g}")

    print("3) exploding gradients and clipping (ReLU RNN, recurrent weight 1.2·I, 20 days, "
          "SGD lr 0.01)")
    steps = 800 if fast else 1500
    plain = clipping_demo(None, steps)
    clipped = clipping_demo(1.0, steps)
    print(f"   without clipping: first gradient norm {plain['first_norm']:.3g}; "
          + (f"loss is NaN after {plain['steps']} step(s)" if plain["diverged"]
             else f"{'reached' if plain['ok'] else 'did not reach'} the answer"))
    print("   clip_grad_norm_(max_norm=1): "
          + (f"reached the answer in {clipped['steps']} steps" if clipped["ok"]
             else f"did not reach the answer in {clipped['steps']} steps"))

    plots = []
    if plot_dir:
        made = new_figure(8.5, 4.0)
        if made is not None:
            fig, (ax,) = made
            t = np.arange(1, days + 1)
            floor = 1e-40  # the axis's bottom: curves that fall below it say so
            top = 1.0
            for name, g in curves.items():
                with np.errstate(divide="ignore", invalid="ignore"):
                    r = g / g[-1]
                top = max(top, float(np.nanmax(r)))
                (line,) = ax.semilogy(t, np.where(r >= floor, r, np.nan), label=name)
                below = np.flatnonzero(~(r >= floor))
                if below.size:  # leaves the axis: mark where and why
                    first = int(below.max()) + 1  # first day back on the axis (0-based)
                    zero = np.flatnonzero(r == 0)
                    why = (f"exactly 0 (underflow) for days 1-{int(zero.max()) + 1}"
                           if zero.size else f"below {floor:.0e} for days 1-{first}")
                    x0 = t[min(first, days - 1)]
                    y0 = r[first] if first < days else floor
                    ax.annotate(f"{name}:\n{why},\noff this log scale", (x0, y0),
                                xytext=(x0 - 3, floor * 1e5), ha="right", fontsize=8,
                                color=line.get_color(),
                                arrowprops=dict(arrowstyle="->", color=line.get_color()))
                    ax.annotate("", (x0, floor), xytext=(x0, y0),
                                arrowprops=dict(arrowstyle="-", ls=":",
                                                color=line.get_color()))
            ax.set_ylim(floor, top * 100)
            ax.set_xlabel("day t")
            ax.set_ylabel(f"|dh_{days}/dx_t|, relative to day {days}")
            ax.set_title("How far back the gradient reaches")
            ax.legend(fontsize=7, loc="center left", bbox_to_anchor=(1.01, 0.5))
            plots.append(save_figure(fig, plot_dir, "rnn_vs_lstm_gradients.png"))

    van = ratios["tanh RNN, w_h = 1.0"]
    exp = ratios["ReLU RNN, w_h = 1.2"]
    keep = ratios["LSTM, forget gate open (bias 5)"]
    result = (f"RNN vs LSTM: over {days} days the day-1 gradient shrinks to {van:.1g} of the "
              f"last day's in a tanh RNN and grows {exp:.3g}x in a ReLU RNN, while an LSTM "
              f"with an open forget gate keeps {keep:.2f}; clipping turns a NaN after "
              f"{plain['steps']} step(s) into a solution in {clipped['steps']} steps")
    return {"result": result, "stock": stock, "ratios": ratios,
            "clipping": {"without": {k: plain[k] for k in ("ok", "steps", "diverged",
                                                          "first_norm")},
                         "with": {k: clipped[k] for k in ("ok", "steps", "diverged",
                                                         "first_norm")}},
            "plots": plots}
