"""glassnet: a deep-learning library on NumPy that can explain what it computes.

>>> import glassnet as gn
>>> x = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
tensor([2., 4., 6.])
"""

__version__ = "0.1.0"

import numpy as _np

from . import autograd, data, explain, metrics, nn, optim, word2vec
from .autograd import enable_grad, gradcheck, is_grad_enabled, no_grad, set_grad_enabled
from .creation import (
    arange,
    empty,
    eye,
    from_numpy,
    full,
    full_like,
    linspace,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .explain import detect_anomaly
from .io import load, load_checkpoint, save, save_checkpoint
from .ops.activation import log_softmax, softmax
from .ops.arithmetic import add, div, matmul, mul, neg, pow, sub
from .ops.compare import allclose, eq, ge, gt, isfinite, isnan, le, lt, ne
from .ops.elementwise import (
    abs,
    clamp,
    cos,
    exp,
    leaky_relu,
    log,
    maximum,
    minimum,
    relu,
    sigmoid,
    sin,
    softplus,
    sqrt,
    tanh,
    where,
)
from .ops.reduce import amax, amin, argmax, argmin, logsumexp, max, mean, min, norm, std, sum, var
from .ops.shape import (
    cat,
    chunk,
    expand,
    flatten,
    pad,
    permute,
    reshape,
    split,
    squeeze,
    stack,
    transpose,
    unsqueeze,
)
from .random import Generator, get_rng_state, manual_seed, set_rng_state
from .tensor import Tensor
from .train import Trainer, fit

clip = clamp

float32 = _np.float32
float64 = _np.float64
float16 = _np.float16
int64 = _np.int64
int32 = _np.int32
bool_ = _np.bool_
long = _np.int64
double = _np.float64
