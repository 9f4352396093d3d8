"""``glassnet.special``: special functions under PyTorch's ``torch.special`` names.

>>> import glassnet as gn
>>> gn.special.ndtri(gn.tensor([0.025, 0.5, 0.975], dtype=gn.float64))
tensor([-1.96,  0.  ,  1.96], dtype=float64)

Every function is differentiable where PyTorch's is (the derivatives are declared beside
the ops in ``glassnet/ops/special.py``), keeps float32 in float32 and turns integer inputs
into the default float dtype. Many are also ``gn.<name>`` and ``Tensor.<name>``; those
that ``torch.special`` alone has (erfcx, i0e, i1, i1e, ndtr, ndtri, log_ndtr, entr,
xlog1py, zeta) live only here. No SciPy is needed.
"""

from __future__ import annotations

from .ops.activation import log_softmax as _log_softmax
from .ops.activation import softmax as _softmax
from .ops.activation_more import erf
from .ops.elementwise import sigmoid as expit
from .ops.reduce import logsumexp as _logsumexp
from .ops.rounding import round as _round
from .ops.special import (
    digamma,
    entr,
    erfc,
    erfcx,
    erfinv,
    i0,
    i0e,
    i1,
    i1e,
    log_ndtr,
    ndtr,
    ndtri,
    polygamma,
    sinc,
    xlog1py,
    zeta,
)
from .ops.special import lgamma as gammaln
from .ops.special import mvlgamma as _mvlgamma
from .ops.unary import exp2, expm1, log1p, logit, xlogy
from .tensor import Tensor

__all__ = ["expit", "logit", "erf", "erfc", "erfcx", "erfinv", "expm1", "exp2", "log1p",
           "gammaln", "digamma", "psi", "polygamma", "multigammaln", "i0", "i0e", "i1", "i1e",
           "xlogy", "xlog1py", "entr", "sinc", "ndtr", "ndtri", "log_ndtr", "logsumexp",
           "softmax", "log_softmax", "round", "zeta"]

psi = digamma


def multigammaln(input, p: int) -> Tensor:  # noqa: A002 - PyTorch's argument names
    """log of the multivariate gamma function of dimension ``p`` (``mvlgamma``)."""
    return _mvlgamma(input, p)


def logsumexp(input, dim, keepdim: bool = False) -> Tensor:  # noqa: A002
    """log Σ exp(input) along ``dim`` without overflow."""
    return _logsumexp(input, dim, keepdim)


def softmax(input, dim: int, *, dtype=None) -> Tensor:  # noqa: A002
    """Softmax along ``dim`` (required here, as in ``torch.special.softmax``)."""
    return _softmax(input, dim, dtype=dtype)


def log_softmax(input, dim: int, *, dtype=None) -> Tensor:  # noqa: A002
    """log(softmax(input)) along ``dim``, computed without overflow."""
    return _log_softmax(input, dim, dtype=dtype)


def round(input, *, decimals: int = 0) -> Tensor:  # noqa: A001,A002
    """Round half to even (to ``decimals`` places)."""
    return _round(input, decimals)
