"""Random sampling with PyTorch's names: ``bernoulli``, ``multinomial``, ``normal``,
``poisson`` and the in-place fills ``uniform_ normal_ bernoulli_ random_ exponential_
geometric_ log_normal_ cauchy_``.

Every one takes ``generator=`` (a ``gn.Generator``; default: the global one seeded by
``gn.manual_seed``). Samples are not differentiable. The in-place fills follow PyTorch's
rule: they are refused on a tensor that requires grad unless under ``no_grad``
(``with gn.no_grad(): w.normal_(0, 0.02)``). Note that glassnet's ``w.data`` is the NumPy
array itself, so PyTorch's ``w.data.uniform_(...)`` becomes ``w.detach().uniform_(...)``
(the same memory) or the ``no_grad`` form.
"""

from __future__ import annotations

import numpy as np

from ..backend import xp
from ..random import resolve
from ..tensor import Tensor
from ._registry import op

__all__ = ["bernoulli", "multinomial", "normal", "poisson", "uniform_", "normal_",
           "bernoulli_", "random_", "exponential_", "geometric_", "log_normal_", "cauchy_"]


def _arr(x):
    return x.data if isinstance(x, Tensor) else xp.asarray(x)


def _fill(t: Tensor, values, name: str) -> Tensor:
    t._check_inplace(name)
    t._write(values.astype(t.data.dtype, copy=False), name)
    return t


def _float_only(t: Tensor, name: str) -> None:
    if t.data.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating tensor, got {t.data.dtype}")


@op(method="uniform_", top=False)
def uniform_(self, a: float = 0.0, b: float = 1.0, *, generator=None) -> Tensor:
    """Fill with draws from U[a, b)."""
    _float_only(self, "uniform_")
    return _fill(self, resolve(generator).uniform(a, b, self.shape), "uniform_")


@op(method="normal_", top=False)
def normal_(self, mean: float = 0.0, std: float = 1.0, *, generator=None) -> Tensor:
    """Fill with draws from N(mean, std²)."""
    _float_only(self, "normal_")
    return _fill(self, resolve(generator).normal(mean, std, self.shape), "normal_")


@op(method="bernoulli_", top=False)
def bernoulli_(self, p=0.5, *, generator=None) -> Tensor:
    """Fill with 1 (probability ``p``, a number or a tensor broadcast to this one) or 0."""
    p = _arr(p)
    if np.any((p < 0) | (p > 1)):
        raise ValueError("bernoulli_: p must lie in [0, 1]")
    draws = resolve(generator).random(self.shape) < p
    return _fill(self, draws, "bernoulli_")


@op(method="random_", top=False)
def random_(self, from_: int = 0, to: int | None = None, *, generator=None) -> Tensor:
    """Fill with integers uniform on [from, to) (``random_(to)``: [0, to)). Without
    bounds: [0, 2^mantissa] for floats, the dtype's range for integers."""
    if to is None and from_ != 0:
        from_, to = 0, from_
    if to is None:
        d = self.data.dtype
        to = 2 ** (np.finfo(d).nmant + 1) if d.kind == "f" else (
            2 if d.kind == "b" else int(np.iinfo(d).max))
    if to <= from_:
        raise ValueError(f"random_: expects from < to, got from={from_}, to={to}")
    return _fill(self, resolve(generator).integers(from_, to, self.shape), "random_")


@op(method="exponential_", top=False)
def exponential_(self, lambd: float = 1.0, *, generator=None) -> Tensor:
    """Fill with draws from the exponential distribution with rate ``lambd``."""
    _float_only(self, "exponential_")
    return _fill(self, resolve(generator).exponential(1.0 / lambd, self.shape), "exponential_")


@op(method="geometric_", top=False)
def geometric_(self, p: float, *, generator=None) -> Tensor:
    """Fill with the number of Bernoulli(p) trials up to the first success (1, 2, ...)."""
    return _fill(self, resolve(generator).geometric(p, self.shape), "geometric_")


@op(method="log_normal_", top=False)
def log_normal_(self, mean: float = 1.0, std: float = 2.0, *, generator=None) -> Tensor:
    """Fill with exp(N(mean, std²)) draws."""
    _float_only(self, "log_normal_")
    return _fill(self, resolve(generator).lognormal(mean, std, self.shape), "log_normal_")


@op(method="cauchy_", top=False)
def cauchy_(self, median: float = 0.0, sigma: float = 1.0, *, generator=None) -> Tensor:
    """Fill with draws from the Cauchy distribution."""
    _float_only(self, "cauchy_")
    draws = median + sigma * resolve(generator).standard_cauchy(self.shape)
    return _fill(self, draws, "cauchy_")


@op()
def bernoulli(input, p=None, *, generator=None) -> Tensor:  # noqa: A002 - PyTorch's names
    """1 with probability ``input`` (elementwise; or the number ``p``) else 0, in input's
    dtype."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    probs = x.data if p is None else p
    if np.any((np.asarray(probs) < 0) | (np.asarray(probs) > 1)):
        raise ValueError("bernoulli: probabilities must lie in [0, 1]")
    draws = resolve(generator).random(x.shape) < probs
    return Tensor._wrap(draws.astype(x.data.dtype))


@op()
def multinomial(input, num_samples: int, replacement: bool = False, *,  # noqa: A002
                generator=None) -> Tensor:
    """Indices drawn with probabilities proportional to the (non-negative) weights in each
    row of ``input`` ((C,) or (N, C)); int64 of shape (num_samples,) or (N, num_samples)."""
    w = np.asarray(_arr(input), dtype=np.float64)
    if w.ndim not in (1, 2):
        raise ValueError(f"multinomial: input must be 1-D or 2-D, got shape {w.shape}")
    rows = w.reshape(-1, w.shape[-1])
    if (rows < 0).any() or not np.isfinite(rows).all():
        raise ValueError("multinomial: weights must be finite and non-negative")
    if (rows.sum(1) <= 0).any():
        raise ValueError("multinomial: every row needs a positive total weight")
    if not replacement and num_samples > rows.shape[1]:
        raise ValueError(f"multinomial: cannot draw {num_samples} samples without "
                         f"replacement from {rows.shape[1]} categories")
    if not replacement and num_samples > (rows > 0).sum(1).min():
        raise ValueError("multinomial: fewer categories with non-zero weight than samples "
                         "(without replacement)")
    rng = resolve(generator)
    out = np.stack([rng.choice(r.size, size=num_samples, replace=replacement, p=r / r.sum())
                    for r in rows]).astype(np.int64)
    return Tensor._wrap(out.reshape(w.shape[:-1] + (num_samples,)))


@op(method=False)
def normal(mean=0.0, std=1.0, size=None, *, generator=None, dtype=None) -> Tensor:
    """Draws from N(mean, std²): ``mean`` and ``std`` numbers (then ``size`` is needed) or
    tensors broadcast together."""
    from ..backend import DEFAULT_FLOAT

    m, s = _arr(mean), _arr(std)
    if size is None:
        if m.ndim == 0 and s.ndim == 0:
            raise TypeError("normal: with a number mean and std, give size")
        shape = np.broadcast_shapes(m.shape, s.shape)
    else:
        shape = tuple(size)
    if np.any(s < 0):
        raise ValueError("normal: std must be non-negative")
    dt = next((a.dtype for a in (m, s) if isinstance(a, np.ndarray) and a.ndim
               and a.dtype.kind == "f"), np.dtype(DEFAULT_FLOAT))
    if dtype is not None:
        from ..dtypes import to_numpy

        dt = to_numpy(dtype, "normal")
    return Tensor._wrap(resolve(generator).normal(m, s, shape).astype(dt))


@op()
def poisson(input, generator=None) -> Tensor:  # noqa: A002
    """Poisson draws with rates ``input`` (same shape and dtype)."""
    x = input if isinstance(input, Tensor) else Tensor(input)
    return Tensor._wrap(resolve(generator).poisson(x.data).astype(x.data.dtype))
