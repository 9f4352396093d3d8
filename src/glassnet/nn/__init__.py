"""Neural-network building blocks with PyTorch's names, shapes and defaults.

>>> import glassnet as gn
>>> model = gn.nn.Sequential(gn.nn.Linear(4, 16), gn.nn.ReLU(), gn.nn.Linear(16, 3))
>>> logits = model(gn.randn(8, 4))
>>> loss = gn.nn.functional.cross_entropy(logits, gn.tensor([0, 1, 2, 0, 1, 2, 0, 1]))
"""

from . import extra as _extra
from . import extra2 as _extra2
from . import (
    functional,
    init,
    parallel,  # noqa: E402 - after Module: parallel wraps modules
    utils,
)
from .activation import (
    CELU,
    ELU,
    GELU,
    SELU,
    Hardsigmoid,
    Hardswish,
    Hardtanh,
    LeakyReLU,
    LogSigmoid,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    ReLU6,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Softsign,
    Tanh,
    Tanhshrink,
)
from .attention import MultiheadAttention
from .container import ModuleDict, ModuleList, ParameterList, Sequential
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .distance import CosineSimilarity, PairwiseDistance
from .dropout import Dropout, Dropout1d, Dropout2d, Dropout3d
from .embedding import Embedding
from .extra import (
    GLU,
    AdaptiveMaxPool1d,
    AdaptiveMaxPool2d,
    AlphaDropout,
    Bilinear,
    Fold,
    GaussianNLLLoss,
    Hardshrink,
    LazyLinear,
    LocalResponseNorm,
    MaxUnpool1d,
    MaxUnpool2d,
    MultiLabelMarginLoss,
    MultiLabelSoftMarginLoss,
    MultiMarginLoss,
    ParameterDict,
    PixelShuffle,
    PixelUnshuffle,
    PoissonNLLLoss,
    RMSNorm,
    RReLU,
    Softmin,
    Softshrink,
    Threshold,
    TripletMarginWithDistanceLoss,
    Unfold,
)
from .extra2 import (
    AdaptiveLogSoftmaxWithLoss,
    CTCLoss,
    EmbeddingBag,
    LPPool1d,
    LPPool2d,
)
from .flatten import Flatten, Unflatten
from .linear import Identity, Linear
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CosineEmbeddingLoss,
    CrossEntropyLoss,
    HingeEmbeddingLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MarginRankingLoss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
    SoftMarginLoss,
    SSRLoss,
    TripletMarginLoss,
)
from .module import Module, StateDictError
from .norm import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNorm3d,
    GroupNorm,
    InstanceNorm1d,
    InstanceNorm2d,
    InstanceNorm3d,
    LayerNorm,
)
from .padding import (
    CircularPad1d,
    CircularPad2d,
    CircularPad3d,
    ConstantPad1d,
    ConstantPad2d,
    ConstantPad3d,
    ReflectionPad1d,
    ReflectionPad2d,
    ReflectionPad3d,
    ReplicationPad1d,
    ReplicationPad2d,
    ReplicationPad3d,
    ZeroPad1d,
    ZeroPad2d,
    ZeroPad3d,
)
from .parallel import SyncBatchNorm  # noqa: E402
from .parameter import Parameter
from .pooling import (
    AdaptiveAvgPool1d,
    AdaptiveAvgPool2d,
    AdaptiveAvgPool3d,
    AdaptiveMaxPool3d,
    AvgPool1d,
    AvgPool2d,
    AvgPool3d,
    MaxPool1d,
    MaxPool2d,
    MaxPool3d,
    MaxUnpool3d,
)
from .recurrent import GRU, LSTM, RNN, GRUCell, LSTMCell, RNNCell
from .resample import Upsample, UpsamplingBilinear2d, UpsamplingNearest2d
from .transformer import (
    LearnedPositionalEncoding,
    PositionalEncoding,
    Transformer,
    TransformerDecoder,
    TransformerDecoderLayer,
    TransformerEncoder,
    TransformerEncoderLayer,
)
from .utils_rnn import PackedSequence

__all__ = [
    "functional", "init", "parallel", "utils",
    "Module", "Parameter", "StateDictError",
    "Sequential", "ModuleList", "ModuleDict", "ParameterList",
    "Linear", "Identity", "Flatten", "Unflatten", "Dropout",
    "ReLU", "LeakyReLU", "Sigmoid", "Tanh", "Softplus", "Softmax", "LogSoftmax",
    "GELU", "SiLU", "Mish", "ELU", "CELU", "SELU", "Hardtanh", "ReLU6", "Hardswish",
    "Hardsigmoid", "Softsign", "LogSigmoid", "Tanhshrink", "PReLU",
    "MSELoss", "L1Loss", "SSRLoss", "CrossEntropyLoss", "NLLLoss", "BCELoss",
    "BCEWithLogitsLoss", "SmoothL1Loss", "HuberLoss", "KLDivLoss", "MarginRankingLoss",
    "HingeEmbeddingLoss", "SoftMarginLoss", "CosineEmbeddingLoss", "TripletMarginLoss",
    "CosineSimilarity", "PairwiseDistance",
    "Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d",
    "ZeroPad1d", "ZeroPad2d", "ConstantPad1d", "ConstantPad2d", "ReflectionPad1d",
    "ReflectionPad2d", "ReplicationPad1d", "ReplicationPad2d", "CircularPad1d",
    "CircularPad2d", "ZeroPad3d", "ConstantPad3d", "ReflectionPad3d", "ReplicationPad3d",
    "CircularPad3d",
    "Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "MaxPool1d", "MaxPool2d",
    "AvgPool1d", "AvgPool2d",
    "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "BatchNorm1d", "BatchNorm2d", "LayerNorm",
    "GroupNorm", "InstanceNorm1d", "InstanceNorm2d", "SyncBatchNorm",
    "Dropout1d", "Dropout2d",
    "Conv3d", "ConvTranspose3d", "MaxPool3d", "AvgPool3d", "AdaptiveAvgPool3d",
    "AdaptiveMaxPool3d", "MaxUnpool3d", "BatchNorm3d", "InstanceNorm3d", "Dropout3d",
    "RNN", "LSTM", "GRU", "RNNCell", "LSTMCell", "GRUCell", "PackedSequence",
    "Embedding",
    "MultiheadAttention", "TransformerEncoderLayer", "TransformerEncoder",
    "TransformerDecoderLayer", "TransformerDecoder", "Transformer", "PositionalEncoding",
    "LearnedPositionalEncoding",
    *_extra.__all__,
    *_extra2.__all__,
]
