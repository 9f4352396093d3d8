"""Word embeddings from scratch: "Troll 2 is great" and "Gymkata is great".

Four tokens (``Troll2``, ``is``, ``great``, ``Gymkata``) each get a 2-number embedding: the
row of a weight matrix picked by the token's one-hot vector (``one_hot @ W`` is exactly an
``Embedding`` lookup). No activation follows; a linear layer maps the two numbers to one
score per vocabulary token, SoftMax turns the scores into probabilities, and the network
learns to predict the next token of each phrase (cross entropy, Adam, learning rate 0.1):

    Troll2 -> is,   is -> great,   Gymkata -> is

``Troll2`` and ``Gymkata`` are never seen together, yet both predict ``is``: the training
pushes their embeddings to the same place, so they end up each other's nearest
neighbours. That is the idea behind word2vec: words used in the same contexts get
similar vectors.

>>> from glassnet.examples import troll2
>>> out = troll2.run()  # doctest: +SKIP
"""

from __future__ import annotations

import numpy as np

import glassnet as gn

from .black_box import new_figure, save_figure

TOKENS = ["Troll2", "is", "great", "Gymkata"]
PHRASES = [["Troll2", "is", "great"], ["Gymkata", "is", "great"]]


class NextToken(gn.nn.Module):
    """ids ``(N,)`` -> scores ``(N, V)``: a 2-d embedding, no activation, a linear output."""

    def __init__(self, vocab_size: int, dim: int = 2, generator=None):
        super().__init__()
        self.embed = gn.nn.Embedding(vocab_size, dim, generator=generator)
        self.out = gn.nn.Linear(dim, vocab_size, bias=False, generator=generator)

    def forward(self, ids):
        return self.out(self.embed(ids))


def cross_entropy(scores, targets):
    """Mean of ``-log softmax(scores)[i, targets[i]]`` over the rows, from glassnet ops:
    scores ``(N, V)``, targets ``(N,)`` int -> scalar."""
    logp = gn.log_softmax(scores, dim=1)
    picked = logp[np.arange(len(targets)), targets]
    return -picked.mean()


def training_pairs() -> tuple[np.ndarray, np.ndarray]:
    """Each token and the token after it, as vocabulary ids ``(N,)`` and ``(N,)``."""
    index = {t: i for i, t in enumerate(TOKENS)}
    x, y = [], []
    for phrase in PHRASES:
        for a, b in zip(phrase, phrase[1:]):
            x.append(index[a])
            y.append(index[b])
    return np.array(x), np.array(y)


def nearest(emb: np.ndarray, i: int) -> int:
    """Index of the embedding closest (Euclidean) to row ``i`` of ``emb (V, 2)``."""
    d = np.linalg.norm(emb - emb[i], axis=1)
    d[i] = np.inf
    return int(np.argmin(d))


def train(steps: int = 300, lr: float = 0.1, seed: int = 0):
    """Train the next-token network; returns (model, losses)."""
    gen = gn.Generator(seed)
    model = NextToken(len(TOKENS), 2, generator=gen)
    opt = gn.optim.Adam(model.parameters(), lr=lr)
    x, y = training_pairs()
    ids = gn.tensor(x)
    losses = []
    for _ in range(steps):
        opt.zero_grad()
        loss = cross_entropy(model(ids), y)
        loss.backward()
        opt.step()
        losses.append(float(loss.item()))
    return model, losses


def run(fast: bool = False, plot_dir: str | None = None) -> dict:
    """Train, print the predictions and the embeddings, and check the two claims.

    ``fast`` changes nothing (training takes a fraction of a second). With matplotlib and
    ``plot_dir``, saves ``troll2_embeddings.png`` (the labelled 2-D embeddings).
    """
    model, losses = train()
    x, y = training_pairs()
    with gn.no_grad():
        probs = gn.softmax(model(gn.tensor(np.arange(len(TOKENS)))), dim=1).numpy()
    emb = model.embed.weight.detach().numpy().copy()
    print("Troll 2 and Gymkata: learning 2-number word embeddings by predicting the next word")
    print(f"  cross entropy: {losses[0]:.3f} at the start, {losses[-1]:.5f} after "
          f"{len(losses)} Adam steps")
    p_next = {}
    for a, b in sorted(set(zip(x.tolist(), y.tolist()))):
        p_next[f"{TOKENS[a]} -> {TOKENS[b]}"] = float(probs[a, b])
        print(f"  P({TOKENS[b]!r} | {TOKENS[a]!r}) = {probs[a, b]:.4f}")
    print("  embeddings:")
    for t, (e1, e2) in zip(TOKENS, emb):
        print(f"    {t:8s} ({e1:+.3f}, {e2:+.3f})")
    nn = {TOKENS[i]: TOKENS[nearest(emb, i)] for i in range(len(TOKENS))}
    print(f"  nearest neighbour of Troll2: {nn['Troll2']}, of Gymkata: {nn['Gymkata']}")
    plot = _plot(emb, plot_dir) if plot_dir else None
    ok = min(p_next.values()) >= 0.99 and nn["Troll2"] == "Gymkata" and nn["Gymkata"] == "Troll2"
    return {
        "result": (f"next-token p >= {min(p_next.values()):.3f}; Troll2 <-> {nn['Troll2']}, "
                   f"Gymkata <-> {nn['Gymkata']} nearest"),
        "ok": ok,
        "p_next": p_next,
        "nearest": nn,
        "embeddings": emb,
        "losses": losses,
        "plot": plot,
    }


def _plot(emb: np.ndarray, plot_dir: str) -> str | None:
    made = new_figure(4.8, 4.2)
    if made is None:  # no matplotlib
        return None
    from glassnet.explain.plot import label_points

    fig, (ax,) = made
    ax.scatter(emb[:, 0], emb[:, 1], s=40)
    ax.set_xlabel("embedding 1")
    ax.set_ylabel("embedding 2")
    ax.set_title("Troll 2 and Gymkata land together")
    ax.margins(0.25)
    # the two films sit almost on top of each other: place labels clear of one another
    label_points(ax, emb[:, 0], emb[:, 1], TOKENS, fontsize=10, marker_size=8)
    return save_figure(fig, plot_dir, "troll2_embeddings.png")


if __name__ == "__main__":  # pragma: no cover
    run()
