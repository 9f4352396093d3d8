"""Neural-network building blocks with PyTorch's names, shapes and defaults.

>>> import glassnet as gn
>>> model = gn.nn.Sequential(gn.nn.Linear(4, 16), gn.nn.ReLU(), gn.nn.Linear(16, 3))
>>> logits = model(gn.randn(8, 4))
>>> loss = gn.nn.functional.cross_entropy(logits, gn.tensor([0, 1, 2, 0, 1, 2, 0, 1]))
"""

from . import functional, init, utils
from .activation import LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, Softplus, Tanh
from .container import ModuleDict, ModuleList, ParameterList, Sequential
from .conv import Conv1d, Conv2d
from .dropout import Dropout
from .embedding import Embedding
from .flatten import Flatten, Unflatten
from .linear import Identity, Linear
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SSRLoss,
)
from .module import Module, StateDictError
from .norm import BatchNorm1d, BatchNorm2d, Dropout1d, Dropout2d, LayerNorm
from .parameter import Parameter
from .pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AvgPool1d,
    AvgPool2d,
    MaxPool1d,
    MaxPool2d,
)
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .utils_rnn import PackedSequence

__all__ = [
    "functional", "init", "utils",
    "Module", "Parameter", "StateDictError",
    "Sequential", "ModuleList", "ModuleDict", "ParameterList",
    "Linear", "Identity", "Flatten", "Unflatten", "Dropout",
    "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softplus", "Softmax", "LogSoftmax",
    "MSELoss", "L1Loss", "SSRLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
    "BCEWithLogitsLoss",
    "Conv1d", "Conv2d", "MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm",
    "Dropout1d", "Dropout2d",
    "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "PackedSequence",
    "Embedding",
]
