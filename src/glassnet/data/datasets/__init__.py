"""Small datasets shipped inside the package (no network needed).

Each loader returns a :class:`Bunch` (a dict whose keys are also attributes) with
``data`` and ``target`` NumPy arrays plus names and a description; ``return_X_y=True``
returns ``(data, target)`` instead. Sources and licences: ``README.md`` in this folder.
"""

from __future__ import annotations

import gzip

import numpy as np

__all__ = ["Bunch", "load_dosage", "load_iris", "load_digits"]


class Bunch(dict):
    """A dict whose keys can also be read as attributes: ``b.data is b["data"]``."""

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"Bunch has no field {name!r} (fields: {list(self)})") from None

    def __setattr__(self, name: str, value) -> None:
        self[name] = value

    def __dir__(self):
        return list(self.keys())


def _open(name: str):
    from importlib import resources  # here: importing it costs ~15 ms of `import glassnet`

    return resources.files(__package__).joinpath(name)


def _read_text(name: str) -> list[str]:
    ref = _open(name)
    try:
        raw = ref.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"bundled dataset file {name!r} is missing from the glassnet installation "
            f"(expected at {ref}); reinstall glassnet"
        ) from None
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return [line for line in raw.decode("ascii").splitlines() if line and not line.startswith("#")]


def load_dosage(*, return_X_y: bool = False, dtype=np.float32):
    """The curriculum's drug-dosage toy: dosages 0, 0.5, 1 with effectiveness 0, 1, 0.

    ``data``: ``(3, 1)`` dosages; ``target``: ``(3,)`` effectiveness (a low and a high
    dose do nothing, a medium dose works, so no straight line fits: a small network
    has to bend a "squiggle" through the points).
    """
    rows = [line.split(",") for line in _read_text("dosage.csv")[1:]]
    values = np.array(rows, dtype=np.float64).astype(dtype)
    data, target = values[:, :1], values[:, 1]
    if return_X_y:
        return data, target
    return Bunch(
        data=data, target=target, feature_names=["dosage"], target_names=["effectiveness"],
        DESCR="Drug dosage (0 = low, 0.5 = medium, 1 = high) and effectiveness (0 or 1).",
    )


_IRIS_TARGETS = ["setosa", "versicolor", "virginica"]


def load_iris(*, return_X_y: bool = False, dtype=np.float32):
    """Fisher's Iris flowers: 150 samples, 4 measurements in cm, 3 species of 50 each.

    ``data``: ``(150, 4)`` (sepal length, sepal width, petal length, petal width);
    ``target``: ``(150,)`` int64 class index 0, 1, 2 for ``target_names``
    (setosa, versicolor, virginica), in the order of the original table.
    """
    lines = _read_text("iris.csv")
    header, rows = lines[0].split(","), [line.split(",") for line in lines[1:]]
    data = np.array([r[:4] for r in rows], dtype=np.float64).astype(dtype)
    target = np.array([_IRIS_TARGETS.index(r[4]) for r in rows], dtype=np.int64)
    if return_X_y:
        return data, target
    return Bunch(
        data=data, target=target,
        feature_names=["sepal length (cm)", "sepal width (cm)", "petal length (cm)",
                       "petal width (cm)"],
        target_names=list(_IRIS_TARGETS), columns=header,
        DESCR="Iris flowers (R. A. Fisher, 1936; UCI Machine Learning Repository), CC BY 4.0.",
    )


def load_digits(*, n_class: int = 10, return_X_y: bool = False, dtype=np.float32):
    """Optical handwritten digits: 1,797 images of 8x8 pixels with values 0..16.

    ``data``: ``(N, 64)`` (row-major pixels); ``images``: ``(N, 8, 8)``; ``target``:
    ``(N,)`` int64 digit 0..9. ``n_class`` keeps only digits ``0 .. n_class-1``
    (N = 1797 for all ten).
    """
    if not 1 <= n_class <= 10:
        raise ValueError(f"load_digits: n_class must lie in [1, 10], got {n_class}")
    values = np.array([line.split(",") for line in _read_text("digits.csv.gz")], dtype=np.int64)
    if values.shape != (1797, 65):
        raise ValueError(f"bundled digits file has shape {values.shape}, expected (1797, 65)")
    keep = values[:, 64] < n_class
    data = values[keep, :64].astype(dtype)
    target = values[keep, 64]
    if return_X_y:
        return data, target
    return Bunch(
        data=data, target=target, images=data.reshape(-1, 8, 8),
        feature_names=[f"pixel_{r}_{c}" for r in range(8) for c in range(8)],
        target_names=np.arange(n_class),
        DESCR="Optical recognition of handwritten digits (E. Alpaydin, C. Kaynak, 1998; UCI "
              "Machine Learning Repository), CC BY 4.0: 8x8 images, pixel values 0..16.",
    )
