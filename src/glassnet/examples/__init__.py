"""The curriculum's chapters as runnable examples.

Each chapter is a module with ``run(fast: bool = False, plot_dir: str | None = None) -> dict``:
it prints its story (what the network computes, with numbers) and returns a dict whose
``"result"`` is a one-line summary, plus the numbers the tests check. ``glassnet demo``
runs them in order; ``python examples/<chapter>.py`` runs one.
"""
