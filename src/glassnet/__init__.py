"""glassnet: a deep-learning library on NumPy that can explain what it computes.

>>> import glassnet as gn
>>> x = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
>>> (x * x).sum().backward()
>>> x.grad
tensor([2., 4., 6.])
"""

__version__ = "0.1.0"

import numpy as _np

from . import (  # tune imports Optuna only when a study runs
    autograd,
    cuda,
    data,
    distributed,
    explain,
    interop,
    linalg,
    metrics,
    nn,
    onnx,
    optim,
    tune,
    utils,
    word2vec,
)
from . import dtypes as _dtypes
from .autograd import enable_grad, gradcheck, is_grad_enabled, no_grad, set_grad_enabled
from .creation import (
    arange,
    as_tensor,
    empty,
    empty_like,
    eye,
    from_numpy,
    full,
    full_like,
    is_tensor,
    linspace,
    logspace,
    numel,
    ones,
    ones_like,
    rand,
    rand_like,
    randint,
    randint_like,
    randn,
    randn_like,
    randperm,
    tensor,
    zeros,
    zeros_like,
)
from .device import device
from .dtypes import dtype, get_default_dtype, is_floating_point, set_default_dtype
from .explain import detect_anomaly
from .grad_mode import inference_mode
from .io import load, load_checkpoint, save, save_checkpoint
from .ops import _registry as _ops
from .random import Generator, get_rng_state, manual_seed, set_rng_state
from .tensor import Tensor
from .train import Trainer, fit

# Every op registered with top=True (glassnet/ops/_registry.py): gn.exp, gn.matmul, ...
globals().update(_ops.top_level())

# PyTorch's dtype names (gn.float, gn.int, gn.bool shadow builtins in this module only)
float32, float, float64, double = _dtypes.float32, _dtypes.float, _dtypes.float64, _dtypes.double
float16, half, int64, long = _dtypes.float16, _dtypes.half, _dtypes.int64, _dtypes.long
int32, int, int16, short = _dtypes.int32, _dtypes.int, _dtypes.int16, _dtypes.short
int8, uint8, bool = _dtypes.int8, _dtypes.uint8, _dtypes.bool
bool_ = bool


def __getattr__(name: str):
    if name == "special":  # glassnet.special (torch.special's names), imported on first use
        import importlib

        return importlib.import_module(".special", __name__)
    if name == "bfloat16":
        from .dtypes import NO_BFLOAT16

        raise AttributeError(f"glassnet.bfloat16: {NO_BFLOAT16}")
    raise AttributeError(f"module 'glassnet' has no attribute {name!r}")
