"""Neural-network building blocks with PyTorch's names, shapes and defaults."""

from .module import Module, StateDictError
from .parameter import Parameter
