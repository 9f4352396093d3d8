"""Move models between glassnet and PyTorch: :func:`from_torch` and :func:`to_torch`.

Both walk the module tree and build the same layer on the other side from its constructor
arguments (``_LAYERS``: one entry per layer type, the arguments both libraries share),
then copy every parameter and buffer as an array (dtype kept), the ``requires_grad`` flags
and the train/eval mode. Layers with no counterpart, including user-defined modules,
raise one error naming every one of them with its path.

>>> import torch, glassnet as gn
>>> net = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 2))
>>> model = gn.interop.from_torch(net)        # a gn.nn.Sequential with the same weights
>>> back = gn.interop.to_torch(model)         # and back

PyTorch is imported only inside these functions.
"""

from __future__ import annotations

import numpy as np

__all__ = ["from_torch", "to_torch", "supported_layers", "ConversionError"]


class ConversionError(TypeError):
    """A module (or several) has no counterpart in the other library."""


def _has(attr: str):
    """``bias=True`` when the layer has that parameter (or the flag is set)."""
    def get(m):
        v = getattr(m, attr, None)
        return v is True or (v is not None and v is not False)
    return get


def _proj_size(m):
    if getattr(m, "proj_size", 0):
        raise ConversionError(f"LSTM with proj_size={m.proj_size} has no glassnet equivalent")
    return None


_CONV = ["in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
         "groups", ("bias", _has("bias")), "padding_mode"]
_RNN = ["input_size", "hidden_size", "num_layers", ("bias", _has("bias")), "batch_first",
        "dropout", "bidirectional"]
_CELL = ["input_size", "hidden_size", ("bias", _has("bias"))]

_LAYERS: dict = {
    # name: constructor arguments, each an attribute of the same name on both sides or
    # (keyword, getter); a getter returning None leaves the keyword out.
    "Linear": ["in_features", "out_features", ("bias", _has("bias"))],
    "Identity": [],
    "Bilinear": ["in1_features", "in2_features", "out_features", ("bias", _has("bias"))],
    "Conv1d": _CONV,
    "Conv2d": _CONV,
    "ConvTranspose1d": _CONV + ["output_padding"],
    "ConvTranspose2d": _CONV + ["output_padding"],
    "MaxPool1d": ["kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"],
    "MaxPool2d": ["kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"],
    "AvgPool1d": ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"],
    "AvgPool2d": ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                  "divisor_override"],
    "AdaptiveAvgPool1d": ["output_size"],
    "AdaptiveAvgPool2d": ["output_size"],
    "BatchNorm1d": ["num_features", "eps", "momentum", "affine", "track_running_stats"],
    "BatchNorm2d": ["num_features", "eps", "momentum", "affine", "track_running_stats"],
    "LayerNorm": ["normalized_shape", "eps", "elementwise_affine", ("bias", _has("bias"))],
    "GroupNorm": ["num_groups", "num_channels", "eps", "affine"],
    "ReLU": [],
    "Sigmoid": [],
    "Tanh": [],
    "SiLU": [],
    "Mish": [],
    "LeakyReLU": ["negative_slope"],
    "ELU": ["alpha"],
    "GELU": ["approximate"],
    "Softplus": ["beta", "threshold"],
    "Softmax": ["dim"],
    "LogSoftmax": ["dim"],
    "Dropout": ["p"],
    "Dropout1d": ["p"],
    "Dropout2d": ["p"],
    "Embedding": ["num_embeddings", "embedding_dim", "padding_idx", "max_norm", "norm_type",
                  "scale_grad_by_freq", "sparse"],
    "RNN": _RNN + ["nonlinearity"],
    "LSTM": _RNN + [("proj_size", _proj_size)],
    "GRU": _RNN,
    "RNNCell": _CELL + ["nonlinearity"],
    "LSTMCell": _CELL,
    "GRUCell": _CELL,
    "Flatten": ["start_dim", "end_dim"],
    "Unflatten": ["dim", "unflattened_size"],
    "Upsample": ["size", "scale_factor", "mode", "align_corners"],
    "MultiheadAttention": ["embed_dim", "num_heads", "dropout", ("bias", _has("in_proj_bias")),
                           "batch_first"],
}
_CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")


def supported_layers() -> list:
    """The layer names both libraries have and :func:`from_torch` / :func:`to_torch` map."""
    import glassnet.nn as gnn

    return sorted(n for n in list(_LAYERS) + list(_CONTAINERS) if hasattr(gnn, n))


def _kwargs(m, name: str) -> dict:
    kw = {}
    for spec in _LAYERS[name]:
        key, get = (spec, None) if isinstance(spec, str) else spec
        v = get(m) if get is not None else getattr(m, key)
        if v is not None or get is None:
            kw[key] = tuple(v) if isinstance(v, list) else v
    return kw


def _unsupported(src, src_nn, dst_nn, direction: str) -> None:
    """One error naming every module with no counterpart (path and type)."""
    bad = []
    for path, m in src.named_modules():
        name = type(m).__name__
        ok = (name in _LAYERS or name in _CONTAINERS) and \
            getattr(src_nn, name, None) is type(m) and hasattr(dst_nn, name)
        if not ok:
            bad.append(f"{path or '(the model itself)'} ({name})")
    if bad:
        others = ", ".join(n for n in list(_LAYERS) + list(_CONTAINERS)
                           if hasattr(src_nn, n) and hasattr(dst_nn, n))
        raise ConversionError(
            f"{direction}: no counterpart for {', '.join(bad)}; the layers that convert are "
            f"{others} (a model class of your own: convert its layers one by one and write "
            f"the same forward on the other side)")


def _convert(src, src_nn, dst_nn, to_array, assign):
    name = type(src).__name__
    if name in _CONTAINERS:
        children = [(k, _convert(c, src_nn, dst_nn, to_array, assign))
                    for k, c in src._modules.items() if c is not None]
        cls = getattr(dst_nn, name)
        if name == "Sequential":
            from collections import OrderedDict

            dst = cls(OrderedDict(children))
        elif name == "ModuleList":
            dst = cls([c for _, c in children])
        else:
            dst = cls(dict(children))
    else:
        dst = getattr(dst_nn, name)(**_kwargs(src, name))
        for kind, s, d in (
            ("parameter", dict(src.named_parameters(recurse=False)),
             dict(dst.named_parameters(recurse=False))),
            ("buffer", dict(src.named_buffers(recurse=False)),
             dict(dst.named_buffers(recurse=False))),
        ):
            if set(s) != set(d):
                raise ConversionError(f"{name}: {kind}s differ: {sorted(s)} vs {sorted(d)}")
            for k, t in s.items():
                arr = to_array(t)
                if tuple(arr.shape) != tuple(d[k].shape):
                    raise ConversionError(f"{name}.{k}: shape {tuple(arr.shape)} does not match "
                                          f"the new layer's {tuple(d[k].shape)}")
                assign(d[k], arr, bool(getattr(t, "requires_grad", False)))
    dst.train(bool(src.training))
    return dst


def from_torch(torch_module):
    """The glassnet equivalent of a ``torch.nn.Module`` built from the standard layers, with
    the same weights (dtypes kept), ``requires_grad`` flags and train/eval mode."""
    import torch

    import glassnet.nn as gnn

    if not isinstance(torch_module, torch.nn.Module):
        raise TypeError(f"from_torch: expected a torch.nn.Module, got "
                        f"{type(torch_module).__name__}")
    _unsupported(torch_module, torch.nn, gnn, "from_torch")

    def to_array(t):
        return t.detach().cpu().numpy().copy()

    def assign(dst, arr, requires_grad):
        dst.data = arr
        if arr.dtype.kind == "f":
            dst.requires_grad = requires_grad

    return _convert(torch_module, torch.nn, gnn, to_array, assign)


def to_torch(gn_module):
    """The ``torch.nn.Module`` equivalent of a glassnet module built from the standard
    layers, with the same weights (dtypes kept), ``requires_grad`` flags and mode."""
    import torch

    import glassnet.nn as gnn

    if not isinstance(gn_module, gnn.Module):
        raise TypeError(f"to_torch: expected a glassnet Module, got {type(gn_module).__name__}")
    _unsupported(gn_module, gnn, torch.nn, "to_torch")

    def to_array(t):
        return np.array(t.data, copy=True)

    def assign(dst, arr, requires_grad):
        with torch.no_grad():
            dst.data = torch.from_numpy(arr)
        if arr.dtype.kind == "f":
            dst.requires_grad_(requires_grad)

    return _convert(gn_module, gnn, torch.nn, to_array, assign)
