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
    "Conv3d": _CONV,
    "ConvTranspose3d": _CONV + ["output_padding"],
    "MaxPool3d": ["kernel_size", "stride", "padding", "dilation", "return_indices", "ceil_mode"],
    "AvgPool3d": ["kernel_size", "stride", "padding", "ceil_mode", "count_include_pad",
                  "divisor_override"],
    "AdaptiveAvgPool3d": ["output_size"],
    "AdaptiveMaxPool3d": ["output_size", "return_indices"],
    "MaxUnpool3d": ["kernel_size", "stride", "padding"],
    "BatchNorm3d": ["num_features", "eps", "momentum", "affine", "track_running_stats"],
    "InstanceNorm3d": ["num_features", "eps", "momentum", "affine", "track_running_stats"],
    "Dropout3d": ["p"],
    "ZeroPad3d": ["padding"],
    "ConstantPad3d": ["padding", "value"],
    "ReflectionPad3d": ["padding"],
    "ReplicationPad3d": ["padding"],
    "CircularPad3d": ["padding"],
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
    "EmbeddingBag": ["num_embeddings", "embedding_dim", "max_norm", "norm_type",
                     "scale_grad_by_freq", "mode", "sparse", "include_last_offset",
                     "padding_idx"],
    "LPPool1d": ["norm_type", "kernel_size", "stride", "ceil_mode"],
    "LPPool2d": ["norm_type", "kernel_size", "stride", "ceil_mode"],
    "CTCLoss": ["blank", "reduction", "zero_infinity"],
    "RNN": _RNN + ["nonlinearity"],
    "LSTM": _RNN + [("proj_size", _proj_size)],
    "GRU": _RNN,
    "RNNCell": _CELL + ["nonlinearity"],
    "LSTMCell": _CELL,
    "GRUCell": _CELL,
    "Flatten": ["start_dim", "end_dim"],
    "Unflatten": ["dim", "unflattened_size"],
    "Upsample": ["size", "scale_factor", "mode", "align_corners"],
    "InstanceNorm1d": ["num_features", "eps", "momentum", "affine", "track_running_stats"],
    "InstanceNorm2d": ["num_features", "eps", "momentum", "affine", "track_running_stats"],
    "CELU": ["alpha"],
    "SELU": [],
    "Hardtanh": ["min_val", "max_val"],
    "ReLU6": [],
    "Hardswish": [],
    "Hardsigmoid": [],
    "Softsign": [],
    "LogSigmoid": [],
    "Tanhshrink": [],
    "PReLU": ["num_parameters"],
    "ZeroPad1d": ["padding"],
    "ZeroPad2d": ["padding"],
    "ConstantPad1d": ["padding", "value"],
    "ConstantPad2d": ["padding", "value"],
    "ReflectionPad1d": ["padding"],
    "ReflectionPad2d": ["padding"],
    "ReplicationPad1d": ["padding"],
    "ReplicationPad2d": ["padding"],
    "CircularPad1d": ["padding"],
    "CircularPad2d": ["padding"],
    "UpsamplingNearest2d": ["size", "scale_factor"],
    "UpsamplingBilinear2d": ["size", "scale_factor"],
    "CosineSimilarity": ["dim", "eps"],
    "MSELoss": ["reduction"],
    "L1Loss": ["reduction"],
    "SmoothL1Loss": ["reduction", "beta"],
    "HuberLoss": ["reduction", "delta"],
    "CrossEntropyLoss": ["ignore_index", "reduction", "label_smoothing"],
    "NLLLoss": ["ignore_index", "reduction"],
    "BCELoss": ["reduction"],
    "BCEWithLogitsLoss": ["reduction"],
    "RMSNorm": ["normalized_shape", "eps", "elementwise_affine"],
    "GLU": ["dim"],
    "Softmin": ["dim"],
    "Softshrink": ["lambd"],
    "Hardshrink": ["lambd"],
    "Threshold": ["threshold", "value"],
    "RReLU": ["lower", "upper"],
    "PixelShuffle": ["upscale_factor"],
    "PixelUnshuffle": ["downscale_factor"],
    "AdaptiveMaxPool1d": ["output_size", "return_indices"],
    "AdaptiveMaxPool2d": ["output_size", "return_indices"],
    "MaxUnpool1d": ["kernel_size", "stride", "padding"],
    "MaxUnpool2d": ["kernel_size", "stride", "padding"],
    "Unfold": ["kernel_size", "dilation", "padding", "stride"],
    "Fold": ["output_size", "kernel_size", "dilation", "padding", "stride"],
    "AlphaDropout": ["p"],
    "LocalResponseNorm": ["size", "alpha", "beta", "k"],
}
_CONTAINERS = ("Sequential", "ModuleList", "ModuleDict")


# Layers built from sub-layers that exist on both sides under the same names: built from
# their arguments (sub-layers converted first), then every parameter and buffer is copied
# by its dotted name.


def _activation_name(m) -> str:
    a = m.activation
    name = (getattr(a, "__name__", None) or type(a).__name__).strip("_").lower()
    if name not in ("relu", "gelu"):
        raise ConversionError(f"{type(m).__name__} with activation {a!r}: only 'relu' and "
                              f"'gelu' convert")
    return name


def _mha(m, convert):
    return {"embed_dim": m.embed_dim, "num_heads": m.num_heads, "dropout": m.dropout,
            "bias": m.in_proj_bias is not None, "add_bias_kv": m.bias_k is not None,
            "add_zero_attn": m.add_zero_attn, "kdim": m.kdim, "vdim": m.vdim,
            "batch_first": m.batch_first}


def _block(m, convert):
    return {"d_model": m.linear1.in_features, "nhead": m.self_attn.num_heads,
            "dim_feedforward": m.linear1.out_features, "dropout": m.dropout.p,
            "activation": _activation_name(m), "layer_norm_eps": m.norm1.eps,
            "batch_first": m.self_attn.batch_first, "norm_first": m.norm_first,
            "bias": m.linear1.bias is not None}


def _stack(kind: str):
    def kwargs(m, convert):
        kw = {f"{kind}_layer": convert(m.layers[0]), "num_layers": len(m.layers),
              "norm": None if m.norm is None else convert(m.norm)}
        if kind == "encoder":  # PyTorch's fast path for padded batches: not in glassnet
            kw["enable_nested_tensor"] = False
        return kw
    return kwargs


def _adaptive_softmax(m, convert):
    return {"in_features": m.in_features, "n_classes": m.n_classes,
            "cutoffs": list(m.cutoffs[:-1]), "div_value": m.div_value,
            "head_bias": m.head_bias}


def _transformer(m, convert):
    return dict(_block(m.encoder.layers[0], convert), num_encoder_layers=len(m.encoder.layers),
                num_decoder_layers=len(m.decoder.layers))


_COMPOSITES = {
    "MultiheadAttention": _mha,
    "TransformerEncoderLayer": _block,
    "TransformerDecoderLayer": _block,
    "TransformerEncoder": _stack("encoder"),
    "TransformerDecoder": _stack("decoder"),
    "Transformer": _transformer,
    "AdaptiveLogSoftmaxWithLoss": _adaptive_softmax,
}


def supported_layers() -> list:
    """The layer names both libraries have and :func:`from_torch` / :func:`to_torch` map."""
    import glassnet.nn as gnn

    return sorted(n for n in list(_LAYERS) + list(_CONTAINERS) + list(_COMPOSITES)
                  if hasattr(gnn, n))


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
    known = list(_LAYERS) + list(_CONTAINERS) + list(_COMPOSITES)
    stack = [("", src)]
    while stack:
        path, m = stack.pop()
        name = type(m).__name__
        if name not in known or getattr(src_nn, name, None) is not type(m) or \
                not hasattr(dst_nn, name):
            bad.append(f"{path or '(the model itself)'} ({name})")
        elif name not in _COMPOSITES:  # a composite's parts convert with it
            stack += [(f"{path}.{k}" if path else k, c) for k, c in
                      reversed(m._modules.items()) if c is not None]
    if bad:
        others = ", ".join(n for n in known if hasattr(src_nn, n) and hasattr(dst_nn, n))
        raise ConversionError(
            f"{direction}: no counterpart for {', '.join(bad)}; the layers that convert are "
            f"{others} (a model class of your own: convert its layers one by one and write "
            f"the same forward on the other side)")


def _copy_state(src, dst, name: str, to_array, assign, recurse: bool) -> None:
    for kind, s, d in (
        ("parameter", dict(src.named_parameters(recurse=recurse)),
         dict(dst.named_parameters(recurse=recurse))),
        ("buffer", dict(src.named_buffers(recurse=recurse)),
         dict(dst.named_buffers(recurse=recurse))),
    ):
        if kind == "buffer" and not recurse:
            for k in set(s) - set(d):  # a buffer left None by the constructor (loss weights)
                if k in dst._buffers:
                    dst.register_buffer(k, assign(None, to_array(s[k]), False))
                    d[k] = getattr(dst, k)
        if set(s) != set(d):
            raise ConversionError(f"{name}: {kind}s differ: {sorted(s)} vs {sorted(d)}")
        for k, t in s.items():
            arr = to_array(t)
            if tuple(arr.shape) != tuple(d[k].shape):
                raise ConversionError(f"{name}.{k}: shape {tuple(arr.shape)} does not match "
                                      f"the new layer's {tuple(d[k].shape)}")
            assign(d[k], arr, bool(getattr(t, "requires_grad", False)))


def _convert(src, src_nn, dst_nn, to_array, assign, memo=None):
    """The counterpart of ``src``; a module used in several places is converted once, so
    the copies share it (and its weights) as the original does."""
    memo = {} if memo is None else memo
    if id(src) not in memo:
        memo[id(src)] = _convert_one(src, src_nn, dst_nn, to_array, assign, memo)
    return memo[id(src)]


def _convert_one(src, src_nn, dst_nn, to_array, assign, memo):
    name = type(src).__name__
    if name in _COMPOSITES:
        def convert(m):
            return _convert(m, src_nn, dst_nn, to_array, assign, memo)

        dst = getattr(dst_nn, name)(**_COMPOSITES[name](src, convert))
        _copy_state(src, dst, name, to_array, assign, recurse=True)
        modes = dict(src.named_modules())
        for path, m in dst.named_modules():
            if path in modes:
                m.train(bool(modes[path].training))
        return dst
    if name in _CONTAINERS:
        children = [(k, _convert(c, src_nn, dst_nn, to_array, assign, memo))
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
        _copy_state(src, dst, name, to_array, assign, recurse=False)
    dst.train(bool(src.training))
    return dst


def from_torch(torch_module):
    """The glassnet equivalent of a ``torch.nn.Module`` built from the standard layers, with
    the same weights (dtypes kept), ``requires_grad`` flags and train/eval mode."""
    import torch

    import glassnet as gn
    import glassnet.nn as gnn

    if not isinstance(torch_module, torch.nn.Module):
        raise TypeError(f"from_torch: expected a torch.nn.Module, got "
                        f"{type(torch_module).__name__}")
    _unsupported(torch_module, torch.nn, gnn, "from_torch")

    def to_array(t):
        return t.detach().cpu().numpy().copy()

    def assign(dst, arr, requires_grad):
        if dst is None:
            return gn.Tensor(arr)
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
        if dst is None:
            return torch.from_numpy(arr)
        with torch.no_grad():
            dst.data = torch.from_numpy(arr)
        if arr.dtype.kind == "f":
            dst.requires_grad_(requires_grad)

    return _convert(gn_module, gnn, torch.nn, to_array, assign)
