"""Functional forms of the layers and losses (``import glassnet.nn.functional as F``).

Modules in ``glassnet.nn`` are thin: they hold parameters and mode, and call these.
Each differentiable op is one ``Function`` with its forward and backward side by side
(see ``nn/_functions.py`` and ``nn/_losses.py``).
"""

from ..ops.conv import conv1d, conv2d
from ..ops.elementwise import relu, sigmoid, tanh
from ..ops.embedding import embedding
from ..ops.norm import batch_norm, dropout1d, dropout2d, layer_norm
from ..ops.pool import (
    adaptive_avg_pool1d,
    adaptive_avg_pool2d,
    avg_pool1d,
    avg_pool2d,
    max_pool1d,
    max_pool2d,
)
from ._functions import (
    dropout,
    leaky_relu,
    linear,
    log_softmax,
    one_hot,
    softmax,
    softplus,
)
from ._losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    l1_loss,
    mse_loss,
    nll_loss,
    ssr,
)

__all__ = [
    "linear", "dropout", "one_hot",
    "relu", "leaky_relu", "sigmoid", "tanh", "softplus", "softmax", "log_softmax",
    "mse_loss", "l1_loss", "ssr", "cross_entropy", "nll_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "conv1d", "conv2d", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d",
    "adaptive_avg_pool1d", "adaptive_avg_pool2d", "batch_norm", "layer_norm", "dropout1d",
    "dropout2d",
    "embedding",
]
