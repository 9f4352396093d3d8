"""Activation modules: thin wrappers that call the functional forms. Any shape in,
the same shape out."""

from __future__ import annotations

from ..backend import DEFAULT_FLOAT, xp
from . import functional as F
from .module import Module
from .parameter import Parameter

__all__ = [
    "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softplus", "Softmax", "LogSoftmax",
    "GELU", "SiLU", "Mish", "ELU", "CELU", "SELU", "Hardtanh", "ReLU6", "Hardswish",
    "Hardsigmoid", "Softsign", "LogSigmoid", "Tanhshrink", "PReLU",
]


class ReLU(Module):
    """max(x, 0). ``inplace`` is accepted for PyTorch compatibility and ignored."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace

    def forward(self, input):
        return F.relu(input)

    def extra_repr(self) -> str:
        return "inplace=True" if self.inplace else ""


class LeakyReLU(Module):
    """max(x, 0) + negative_slope · min(x, 0)."""

    def __init__(self, negative_slope: float = 0.01, inplace: bool = False) -> None:
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace

    def forward(self, input):
        return F.leaky_relu(input, self.negative_slope)

    def extra_repr(self) -> str:
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class Sigmoid(Module):
    """1 / (1 + e^-x)."""

    def forward(self, input):
        return F.sigmoid(input)


class Tanh(Module):
    """tanh(x)."""

    def forward(self, input):
        return F.tanh(input)


class Softplus(Module):
    """log(1 + e^(βx)) / β, a smooth ReLU (linear where βx > threshold)."""

    def __init__(self, beta: float = 1.0, threshold: float = 20.0) -> None:
        super().__init__()
        self.beta, self.threshold = beta, threshold

    def forward(self, input):
        return F.softplus(input, self.beta, self.threshold)

    def extra_repr(self) -> str:
        return f"beta={self.beta}, threshold={self.threshold}"


class Softmax(Module):
    """exp(x_i) / Σ_j exp(x_j) along ``dim`` (without ``dim``: PyTorch's implicit rule,
    dim 0 for 0-, 1- and 3-D inputs, dim 1 otherwise)."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """log softmax along ``dim``, computed stably."""

    def __init__(self, dim: int | None = None) -> None:
        super().__init__()
        self.dim = dim

    def forward(self, input):
        return F.log_softmax(input, self.dim)

    def extra_repr(self) -> str:
        return f"dim={self.dim}"


# --- more activations: each forward is one call into ops/activation_more.py ----------------


class _InplaceAccepted(Module):
    """An activation whose ``inplace`` flag is accepted for PyTorch compatibility (the
    result is always a new tensor)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__()
        self.inplace = inplace


class GELU(Module):
    """x·Φ(x) (Φ the standard normal CDF); ``approximate='tanh'`` uses the tanh form."""

    def __init__(self, approximate: str = "none") -> None:
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, input):
        return F.gelu(input, approximate=self.approximate)

    def extra_repr(self) -> str:
        return f"approximate={self.approximate!r}"


class SiLU(_InplaceAccepted):
    """x·σ(x) (swish)."""

    def forward(self, input):
        return F.silu(input)


class Mish(_InplaceAccepted):
    """x·tanh(softplus(x))."""

    def forward(self, input):
        return F.mish(input)


class ELU(Module):
    """x for x > 0, α(eˣ - 1) otherwise."""

    def __init__(self, alpha: float = 1.0, inplace: bool = False) -> None:
        super().__init__()
        self.alpha, self.inplace = alpha, inplace

    def forward(self, input):
        return F.elu(input, self.alpha)

    def extra_repr(self) -> str:
        return f"alpha={self.alpha}"


class CELU(ELU):
    """max(0, x) + min(0, α(e^(x/α) - 1))."""

    def forward(self, input):
        return F.celu(input, self.alpha)


class SELU(_InplaceAccepted):
    """λ·ELU(x, α) with PyTorch's self-normalising constants (λ ≈ 1.0507, α ≈ 1.6733)."""

    def forward(self, input):
        return F.selu(input)


class Hardtanh(Module):
    """Clamp to [min_val, max_val]."""

    def __init__(self, min_val: float = -1.0, max_val: float = 1.0,
                 inplace: bool = False) -> None:
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"{type(self).__name__}: min_val ({min_val}) must not exceed "
                             f"max_val ({max_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace

    def forward(self, input):
        return F.hardtanh(input, self.min_val, self.max_val)

    def extra_repr(self) -> str:
        return f"min_val={self.min_val}, max_val={self.max_val}"


class ReLU6(Hardtanh):
    """min(max(x, 0), 6)."""

    def __init__(self, inplace: bool = False) -> None:
        super().__init__(0.0, 6.0, inplace)

    def extra_repr(self) -> str:
        return ""


class Hardswish(_InplaceAccepted):
    """x·relu6(x + 3)/6."""

    def forward(self, input):
        return F.hardswish(input)


class Hardsigmoid(Hardswish):
    """relu6(x + 3)/6."""

    def forward(self, input):
        return F.hardsigmoid(input)


class Softsign(Module):
    """x / (1 + |x|)."""

    def forward(self, input):
        return F.softsign(input)


class LogSigmoid(Module):
    """log σ(x), without overflow."""

    def forward(self, input):
        return F.logsigmoid(input)


class Tanhshrink(Module):
    """x - tanh(x)."""

    def forward(self, input):
        return F.tanhshrink(input)


class PReLU(Module):
    """x for x > 0, a·x otherwise, with the slope ``a`` learned: one shared value
    (``num_parameters=1``) or one per channel (input dim 1), all starting at ``init``."""

    def __init__(self, num_parameters: int = 1, init: float = 0.25, device=None,
                 dtype=None) -> None:
        super().__init__()
        if int(num_parameters) < 1:
            raise ValueError(f"PReLU: num_parameters must be positive, got {num_parameters}")
        self.num_parameters, self.init = int(num_parameters), init
        dt = DEFAULT_FLOAT if dtype is None else dtype
        self.weight = Parameter(xp.full(self.num_parameters, init, dtype=dt))

    def reset_parameters(self) -> None:
        self.weight.data[...] = self.init

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self) -> str:
        return f"num_parameters={self.num_parameters}"
