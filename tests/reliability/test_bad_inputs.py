# ruff: noqa: E501  (a table: one bad input per line reads best)
"""The bad-input catalogue: one table of distinct bad inputs across tensors, layers,
losses, optimizers, fit, data, every file loader and the CLI. Each must raise a clear
error: the expected exception type and a fragment of a message that names the problem
(argument, expected vs actual shape, file and offset) — never a silent wrong result or
a NumPy traceback from deep inside.

``python -m pytest -q tests/reliability/test_bad_inputs.py`` runs it; the summary test
prints "bad inputs tried / clear errors".
"""

from __future__ import annotations

import gzip
import io
import json
import os
import re
import struct
import tempfile
from contextlib import redirect_stderr, redirect_stdout

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from glassnet import nn
from glassnet.data import (
    DataLoader,
    StandardScaler,
    Subset,
    TensorDataset,
    one_hot,
    random_split,
    read_idx,
    train_test_split,
)
from glassnet.data.idx import IDXError
from glassnet.io import SaveFormatError
from glassnet.word2vec import CorpusError, FormatError, KeyedVectors, LineSentence, Word2Vec

_DIR = tempfile.mkdtemp(prefix="glassnet-bad-inputs-")


def _file(name: str, data: bytes) -> str:
    """A file in a scratch folder holding ``data`` (written when the case runs)."""
    path = os.path.join(_DIR, name)
    with open(path, "wb") as f:
        f.write(data)
    return path


def _st(header, data: bytes = b"") -> bytes:
    """safetensors framing around a header (a dict, or raw bytes)."""
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw)) + raw + data


def _gsave(meta: dict, arrays=None) -> bytes:
    from safetensors.numpy import save

    return save(arrays or {"x": np.zeros(2, np.float32)}, metadata=meta)


def _idx(magic: bytes, dims=(), data: bytes = b"") -> bytes:
    return magic + struct.pack(f">{len(dims)}I", *dims) + data


class CLIError(Exception):
    """A CLI run that exited non-zero; the message is its stderr."""


def _cli(*argv: str):
    from glassnet.cli import main

    err, out = io.StringIO(), io.StringIO()
    with redirect_stderr(err), redirect_stdout(out):
        rc = main(list(argv))
    if rc != 0:
        raise CLIError(f"exit {rc}: {err.getvalue()}")
    return rc


def _corpus(text: str) -> str:
    return _file("corpus.txt", text.encode())


def _leaf(*shape):
    return gn.ones(*shape, requires_grad=True)


def _backward_twice():
    y = (_leaf(2) * 2).sum()
    y.backward()
    y.backward()


def _inplace_leaf():
    x = _leaf(2)
    x += 1


def _step(opt_cls, **kw):
    return opt_cls([_leaf(2)], **kw)


def _opt_load(state):
    gn.optim.SGD([_leaf(2)], lr=0.1).load_state_dict(state)


def _fit(x, y, **kw):
    model = nn.Linear(2, 1)
    args = dict(loss_fn=F.mse_loss, optimizer=gn.optim.SGD(model.parameters(), lr=0.1),
                epochs=1, progress=False)
    args.update(kw)
    return gn.fit(model, (x, y), **args)


X4, Y4 = np.zeros((4, 2), np.float32), np.zeros((4, 1), np.float32)


def _sd(model, **changes):
    sd = {k: v.detach().numpy().copy() for k, v in model.state_dict().items()}
    for k, v in changes.items():
        if v is None:
            sd.pop(k)
        else:
            sd[k] = v
    model.load_state_dict(sd)


def _ckpt_plain():
    p = os.path.join(_DIR, "plain.safetensors")
    gn.save({"a": 1}, p)
    gn.load_checkpoint(p)


def _ckpt_no_model():
    p = os.path.join(_DIR, "nomodel.ckpt")
    gn.save_checkpoint(p, epoch=1)
    gn.load_checkpoint(p, model=nn.Linear(2, 2))


def _ckpt_wrong_model():
    p = os.path.join(_DIR, "model.ckpt")
    gn.save_checkpoint(p, model=nn.Linear(2, 2), epoch=1)
    gn.load_checkpoint(p, model=nn.Linear(3, 2))


def _ckpt_generator():
    p = os.path.join(_DIR, "gen.ckpt")
    gn.save_checkpoint(p, epoch=1)
    gn.load_checkpoint(p, generators={"loader": gn.Generator(0)})


def _kv_file():
    kv = KeyedVectors(2)
    kv.add_vectors(["a"], [[1.0, 2.0]])
    p = os.path.join(_DIR, "kv.safetensors")
    kv.save(p)
    return p


def _kv(*words):
    kv = KeyedVectors(2)
    kv.add_vectors(list(words), np.eye(len(words), 2))
    return kv


V2 = np.ones(2, "<f4").tobytes()

# (area, id, call, exception type, message fragment: a regular expression, case-insensitive
#  [, why it is a known failure: the case then runs as a strict xfail until fixed])
CASES = [
    # --- tensors: construction -------------------------------------------------------------
    ("tensor", "ragged nested list", lambda: gn.tensor([[1, 2], [3]]), ValueError, "ragged|inhomogeneous|sequence"),
    ("tensor", "string data", lambda: gn.tensor("abc"), TypeError, "str|string"),
    ("tensor", "object data", lambda: gn.tensor([object()]), TypeError, "object"),
    ("tensor", "dict data", lambda: gn.tensor({"a": 1}), TypeError, "dict"),
    ("tensor", "requires_grad on int", lambda: gn.tensor([1, 2], requires_grad=True), TypeError, r"only floating-point tensors can require gradients, got dtype int64"),
    ("tensor", "requires_grad on bool", lambda: gn.tensor([True], requires_grad=True), TypeError, r"only floating-point tensors can require gradients, got dtype bool"),
    ("tensor", "unknown dtype", lambda: gn.tensor([1.0], dtype="float7"), TypeError, "float7"),
    ("tensor", "zeros negative size", lambda: gn.zeros(-1), ValueError, "negative"),
    ("tensor", "ones float size", lambda: gn.ones(2.5), ValueError, r"sizes must be non-negative integers, got \(2.5,\)"),
    ("tensor", "ones string size", lambda: gn.ones("a"), ValueError, r"sizes must be non-negative integers"),
    ("tensor", "full bad shape", lambda: gn.full((2, -3), 1.0), ValueError, "negative"),
    ("tensor", "arange zero step", lambda: gn.arange(0, 5, 0), ValueError, "step"),
    ("tensor", "arange wrong direction", lambda: gn.arange(5, 0, 1), ValueError, r"step|bound",
     'creation.py: gn.arange(5, 0, 1) silently returns an empty tensor (PyTorch: upper bound and larger bound inconsistent with step sign)'),
    ("tensor", "linspace negative steps", lambda: gn.linspace(0, 1, -2), ValueError, "steps|negative"),
    ("tensor", "randn negative", lambda: gn.randn(2, -1), ValueError, "negative"),
    ("tensor", "randint low >= high", lambda: gn.randint(5, 5, (2,)), ValueError, "low|high"),
    ("tensor", "eye negative", lambda: gn.eye(-2), ValueError, "negative"),
    ("tensor", "randperm negative", lambda: gn.randperm(-1), ValueError, r"negative|n must",
     'creation.py: gn.randperm(-1) returns an empty tensor (PyTorch: n must be non-negative)'),
    # --- tensors: shapes -------------------------------------------------------------------
    ("tensor", "reshape wrong size", lambda: gn.ones(2, 3).reshape(4, 2), ValueError, r"cannot reshape a tensor of shape \(2, 3\) \(6 elements\) into \(4, 2\)"),
    ("tensor", "reshape two -1", lambda: gn.ones(6).reshape(-1, -1), ValueError, r"into \(-1, -1\)"),
    ("tensor", "view wrong size", lambda: gn.ones(6).view(4), ValueError, r"shape \(6,\) \(6 elements\) into \(4,\)"),
    ("tensor", "add broadcast mismatch", lambda: gn.ones(2, 3) + gn.ones(4), ValueError, r"add: shapes \(2, 3\) and \(4,\) cannot be broadcast"),
    ("tensor", "mul broadcast mismatch", lambda: gn.ones(3, 2) * gn.ones(2, 3), ValueError, r"mul: shapes \(3, 2\) and \(2, 3\) cannot be broadcast"),
    ("tensor", "matmul inner mismatch", lambda: gn.ones(2, 3) @ gn.ones(4, 5), ValueError, r"matmul: shapes \(2, 3\) and \(4, 5\) are not aligned"),
    ("tensor", "matmul 0-d", lambda: gn.tensor(1.0) @ gn.ones(2), ValueError, r"need at least 1 dim, got shapes \(\) and \(2,\)"),
    ("tensor", "mm on 1-d", lambda: gn.mm(gn.ones(3), gn.ones(3)), ValueError, r"mm: input must be a 2-D matrix, got shape \(3,\)"),
    ("tensor", "bmm on 2-d", lambda: gn.bmm(gn.ones(2, 2), gn.ones(2, 2)), ValueError, r"bmm: input must be a 3-D tensor"),
    ("tensor", "bmm batch mismatch", lambda: gn.bmm(gn.ones(2, 2, 3), gn.ones(3, 3, 2)), ValueError, r"bmm: batch sizes differ"),
    ("tensor", "sum dim out of range", lambda: gn.ones(2, 3).sum(dim=2), IndexError, r"sum: dim 2 out of range for a tensor of 2 dims"),
    ("tensor", "mean dim out of range", lambda: gn.ones(2, 3).mean(dim=-3), IndexError, r"mean: dim -3 out of range"),
    ("tensor", "max dim out of range", lambda: gn.ones(2).max(dim=1), IndexError, r"max: dim 1 out of range"),
    ("tensor", "argmax dim out of range", lambda: gn.ones(2).argmax(dim=3), IndexError, r"argmax: dim 3 out of range"),
    ("tensor", "softmax dim out of range", lambda: gn.ones(2, 3).softmax(dim=2), IndexError, r"softmax: dim 2 out of range"),
    ("tensor", "log_softmax dim out of range", lambda: gn.ones(2, 3).log_softmax(dim=-3), IndexError, r"log_softmax: dim -3 out of range"),
    ("tensor", "transpose dim out of range", lambda: gn.ones(2, 3).transpose(0, 2), IndexError, r"transpose: dim 2 out of range"),
    ("tensor", "permute wrong count", lambda: gn.ones(2, 3).permute(0), ValueError, r"permute: got 1 dims for a tensor of 2 dims"),
    ("tensor", "permute repeated dim", lambda: gn.ones(2, 3).permute(0, 0), ValueError, r"\(0, 0\) is not a permutation"),
    ("tensor", "squeeze dim out of range", lambda: gn.ones(2, 1).squeeze(3), IndexError, r"squeeze: dim 3 out of range"),
    ("tensor", "unsqueeze dim out of range", lambda: gn.ones(2).unsqueeze(3), IndexError, r"unsqueeze: dim 3 out of range"),
    ("tensor", "flatten start > end", lambda: gn.ones(2, 3, 4).flatten(2, 1), ValueError, r"start_dim 2 comes after end_dim 1"),
    ("tensor", "t on 3-d", lambda: gn.ones(2, 3, 4).t(), ValueError, r"t\(\) expects a tensor of at most 2 dims, got 3"),
    ("tensor", "expand incompatible", lambda: gn.ones(2, 3).expand(4, 3), ValueError, r"cannot expand shape \(2, 3\) to \(4, 3\)"),
    ("tensor", "expand fewer dims", lambda: gn.ones(2, 3).expand(3), ValueError, r"has fewer dims than the tensor's shape"),
    ("tensor", "cat empty list", lambda: gn.cat([]), (RuntimeError, ValueError), "non-empty|empty"),
    ("tensor", "cat shape mismatch", lambda: gn.cat([gn.ones(2, 3), gn.ones(2, 4)]), ValueError, r"cat: tensor 1 has shape \(2, 4\), incompatible with \(2, 3\)"),
    ("tensor", "cat dim out of range", lambda: gn.cat([gn.ones(2), gn.ones(2)], dim=1), IndexError, r"cat: dim 1 out of range"),
    ("tensor", "stack shape mismatch", lambda: gn.stack([gn.ones(2), gn.ones(3)]), ValueError, r"stack: tensor 1 has shape \(3,\), expected \(2,\)"),
    ("tensor", "split sizes do not sum", lambda: gn.ones(5).split([2, 2]), ValueError, r"sections \[2, 2\] do not add up to dim size 5"),
    ("tensor", "chunk zero", lambda: gn.ones(4).chunk(0), ValueError, r"chunks must be positive, got 0"),
    ("tensor", "index out of range", lambda: gn.ones(3)[5], IndexError, "out of bounds|out of range"),
    ("tensor", "too many indices", lambda: gn.ones(3)[0, 0], IndexError, "too many indices"),
    ("tensor", "float index tensor", lambda: gn.ones(3)[gn.tensor([0.5])], IndexError, "long|int|bool|byte"),
    ("tensor", "bool mask wrong shape", lambda: gn.ones(3)[gn.tensor([True, False])], IndexError, "mask|shape"),
    ("tensor", "setitem shape mismatch", lambda: gn.ones(3).__setitem__(slice(None), gn.ones(2)), ValueError, r"cannot be broadcast to the indexed shape \(3,\)"),
    ("tensor", "gather index dims", lambda: gn.ones(2, 3).gather(1, gn.tensor([0, 1])), ValueError, r"gather: index must have as many dims as input"),
    ("tensor", "gather index out of range", lambda: gn.ones(2, 3).gather(1, gn.tensor([[5], [0]])), (RuntimeError, IndexError), "out of bounds|out of range"),
    ("tensor", "topk k too large", lambda: gn.ones(3).topk(5), ValueError, r"topk: k \(5\) must be an int in \[0, 3\]"),
    ("tensor", "masked_fill mask shape", lambda: gn.ones(2, 3).masked_fill(gn.tensor([True, False]), 0.0), ValueError, r"mask of shape \(2,\) cannot be broadcast to the input's shape \(2, 3\)"),
    ("tensor", "masked_fill float mask", lambda: gn.ones(2).masked_fill(gn.ones(2), 0.0), TypeError, r"mask must be a bool tensor, got dtype float32"),
    ("tensor", "where shape mismatch", lambda: gn.where(gn.tensor([True, False]), gn.ones(3), gn.ones(3)), ValueError, r"where: shapes .* cannot be broadcast"),
    ("tensor", "index_select float index", lambda: gn.ones(3).index_select(0, gn.tensor([0.0])), (RuntimeError, IndexError, TypeError), "long|int|index"),
    # --- tensors: autograd and conversion --------------------------------------------------
    ("tensor", "backward non-scalar", lambda: (_leaf(2) * 2).backward(), RuntimeError, r"needs a scalar .*got shape \(2,\)"),
    ("tensor", "backward without grad", lambda: gn.ones(2).sum().backward(), RuntimeError, "does not require grad"),
    ("tensor", "backward twice", _backward_twice, RuntimeError, "second time|retain_graph"),
    ("tensor", "backward gradient shape", lambda: (_leaf(2) * 2).backward(gn.ones(3)), ValueError, r"gradient shape \(3,\) does not match the tensor's shape \(2,\)"),
    ("tensor", "in-place on leaf", _inplace_leaf, RuntimeError, r"in-place change of a tensor that requires grad"),
    ("tensor", "item on many", lambda: gn.ones(2).item(), ValueError, r"only one-element tensors, got shape \(2,\)"),
    ("tensor", "float() on many", lambda: float(gn.ones(2)), ValueError, r"only one-element tensors"),
    ("tensor", "bool() on many", lambda: bool(gn.ones(2)), ValueError, r"truth value of a tensor with 2 elements is ambiguous"),
    ("tensor", "numpy on requires_grad", lambda: _leaf(2).numpy(), RuntimeError, "requires grad.*detach"),
    ("tensor", "len of 0-d", lambda: len(gn.tensor(1.0)), TypeError, "0-d"),
    ("tensor", "iterate 0-d", lambda: list(gn.tensor(1.0)), TypeError, "0-d"),
    ("tensor", "requires_grad_ on int", lambda: gn.tensor([1]).requires_grad_(), TypeError, r"only floating-point tensors can require gradients"),
    # --- layers ----------------------------------------------------------------------------
    ("layer", "Linear negative features", lambda: nn.Linear(-1, 3), (ValueError, RuntimeError), "negative|in_features"),
    ("layer", "Linear wrong input width", lambda: nn.Linear(3, 2)(gn.ones(4, 5)), ValueError, r"expected input of shape \(\*, 3\), got \(4, 5\)"),
    ("layer", "Linear int input", lambda: nn.Linear(2, 2)(gn.tensor([[1, 2]])), TypeError, r"input dtype int64 does not match weight dtype float32"),
    ("layer", "Conv2d wrong channels", lambda: nn.Conv2d(3, 4, 3)(gn.ones(1, 2, 8, 8)), ValueError, r"expected input with 3 channels, got 2 channels"),
    ("layer", "Conv2d kernel larger than input", lambda: nn.Conv2d(1, 1, 5)(gn.ones(1, 1, 3, 3)), ValueError, r"kernel size \(5, 5\) .*is larger than the padded input \(3, 3\)"),
    ("layer", "Conv2d 5-d input", lambda: nn.Conv2d(1, 1, 1)(gn.ones(1, 1, 1, 1, 1)), ValueError, r"expected a 4-D input .*got shape \(1, 1, 1, 1, 1\)"),
    ("layer", "Conv2d groups", lambda: nn.Conv2d(4, 6, 3, groups=4), ValueError, r"out_channels=6 must both be divisible by groups=4"),
    ("layer", "Conv2d zero stride", lambda: nn.Conv2d(1, 1, 3, stride=0), (ValueError, RuntimeError), "stride"),
    ("layer", "Conv2d same with stride", lambda: nn.Conv2d(1, 1, 3, stride=2, padding="same"), ValueError, "padding='same' is not supported for strided convolutions"),
    ("layer", "Conv2d bad padding string", lambda: nn.Conv2d(1, 1, 3, padding="full"), ValueError, "padding"),
    ("layer", "Conv1d wrong channels", lambda: nn.Conv1d(2, 2, 3)(gn.ones(1, 3, 8)), ValueError, r"expected input with 2 channels, got 3 channels"),
    ("layer", "MaxPool2d too big", lambda: nn.MaxPool2d(5)(gn.ones(1, 1, 3, 3)), ValueError, r"kernel size \(5, 5\) .*larger than the padded input"),
    ("layer", "MaxPool2d padding too big", lambda: nn.MaxPool2d(2, padding=2)(gn.ones(1, 1, 4, 4)), ValueError, r"padding must be between 0 and half the kernel size"),
    ("layer", "AvgPool1d 4-d input", lambda: nn.AvgPool1d(2)(gn.ones(1, 1, 1, 4)), (RuntimeError, ValueError), "2D or 3D|3-d|dimensions"),
    ("layer", "BatchNorm1d wrong features", lambda: nn.BatchNorm1d(3)(gn.ones(4, 5)), (RuntimeError, ValueError), "3|5|running_mean|features"),
    ("layer", "BatchNorm1d one sample", lambda: nn.BatchNorm1d(3)(gn.ones(1, 3)), ValueError, "Expected more than 1 value per channel when training"),
    ("layer", "BatchNorm2d 3-d input", lambda: nn.BatchNorm2d(3)(gn.ones(3, 4, 4)), ValueError, r"BatchNorm2d\(3\): expected a 4-D input, got shape \(3, 4, 4\)"),
    ("layer", "LayerNorm shape mismatch", lambda: nn.LayerNorm(4)(gn.ones(2, 5)), ValueError, r"normalized_shape \(4,\) does not match the last dims of the input"),
    ("layer", "Embedding index out of range", lambda: nn.Embedding(5, 2)(gn.tensor([5])), IndexError, "index out of range|out of range"),
    ("layer", "Embedding negative index", lambda: nn.Embedding(5, 2)(gn.tensor([-1])), IndexError, "out of range"),
    ("layer", "Embedding float index", lambda: nn.Embedding(5, 2)(gn.tensor([1.0])), TypeError, r"indices must be integers .*got dtype float32"),
    ("layer", "Embedding padding_idx out of range", lambda: nn.Embedding(5, 2, padding_idx=7), ValueError, r"padding_idx 7 must be within \[-5, 4\]"),
    ("layer", "RNN wrong input size", lambda: nn.RNN(4, 5)(gn.ones(3, 2, 6)), ValueError, r"RNN\(4, 5\): expected input of shape \(T, N, 4\)"),
    ("layer", "LSTM wrong h0 shape", lambda: nn.LSTM(4, 5)(gn.ones(3, 2, 4), (gn.zeros(1, 3, 5), gn.zeros(1, 3, 5))), ValueError, r"expected h_0 of shape \(1, 2, 5\), got \(1, 3, 5\)"),
    ("layer", "GRU 4-d input", lambda: nn.GRU(4, 5)(gn.ones(1, 3, 2, 4)), (RuntimeError, ValueError), "2D or 3D|3-D|dimensions|batched"),
    ("layer", "LSTM proj_size", lambda: nn.LSTM(4, 5, proj_size=5), NotImplementedError, r"proj_size > 0 is not supported"),
    ("layer", "RNN bad nonlinearity", lambda: nn.RNN(4, 5, nonlinearity="gelu"), ValueError, r"nonlinearity must be 'tanh' or 'relu', got 'gelu'"),
    ("layer", "RNN dropout > 1", lambda: nn.RNN(2, 2, dropout=1.5), ValueError, r"dropout must be a probability in \[0, 1\], got 1.5"),
    ("layer", "Dropout p > 1", lambda: nn.Dropout(1.5), ValueError, r"probability p must be between 0 and 1, got 1.5"),
    ("layer", "F.dropout p < 0", lambda: F.dropout(gn.ones(2), p=-0.1), ValueError, "between 0 and 1"),
    ("layer", "Sequential non-module", lambda: nn.Sequential(nn.Linear(2, 2), 3), TypeError, "not a Module subclass|Module"),
    ("layer", "unknown attribute", lambda: nn.Linear(2, 2).wieght, AttributeError, "wieght"),
    ("layer", "add_module dotted name", lambda: nn.Module().add_module("a.b", nn.ReLU()), KeyError, r"can't contain",
     "nn/module.py: add_module('a.b') is accepted; its state_dict keys then cannot be told apart"),
    ("layer", "register_buffer non-tensor", lambda: nn.Module().register_buffer("b", 3), TypeError, r"buffer",
     "nn/module.py: register_buffer('b', 3) is accepted (PyTorch: cannot assign 'int' object to buffer)"),
    ("layer", "load_state_dict missing key", lambda: _sd(nn.Linear(2, 2), bias=None), (RuntimeError, KeyError), "Missing key.*bias"),
    ("layer", "load_state_dict unexpected key", lambda: _sd(nn.Linear(2, 2), extra=np.zeros(1)), (RuntimeError, KeyError), "Unexpected key.*extra"),
    ("layer", "load_state_dict wrong shape", lambda: _sd(nn.Linear(2, 2), weight=np.zeros((3, 2))), nn.StateDictError, r"shape mismatches: weight: expected \(2, 2\), got \(3, 2\)"),
    ("layer", "MultiheadAttention heads", lambda: nn.MultiheadAttention(10, 3), ValueError, r"embed_dim \(10\) must be divisible by num_heads \(3\)"),
    ("layer", "Unflatten wrong size", lambda: nn.Unflatten(1, (2, 2))(gn.ones(3, 5)), ValueError, r"cannot reshape a tensor of shape \(3, 5\)"),
    ("layer", "Softmax dim out of range", lambda: nn.Softmax(dim=3)(gn.ones(2, 2)), IndexError, r"dim 3 out of range"),
    ("layer", "PReLU parameters mismatch", lambda: nn.PReLU(3)(gn.ones(2, 4)), ValueError, r"weight has 3 slopes"),
    ("layer", "Flatten dims out of range", lambda: nn.Flatten(3)(gn.ones(2, 3)), IndexError, r"dim 3 out of range"),
    ("layer", "ModuleList index out of range", lambda: nn.ModuleList([nn.ReLU()])[3], IndexError, "index 3 is out of range"),
    ("layer", "Parameter int data", lambda: nn.Parameter(gn.tensor([1, 2])), TypeError, r"only floating-point tensors can require gradients"),
    # --- losses ----------------------------------------------------------------------------
    ("loss", "cross_entropy target out of range", lambda: F.cross_entropy(gn.ones(2, 3), gn.tensor([0, 3])), IndexError, r"target 3 at position \(1,\) is out of range for 3 classes"),
    ("loss", "cross_entropy negative target", lambda: F.cross_entropy(gn.ones(2, 3), gn.tensor([0, -2])), IndexError, r"target -2 at position \(1,\) is out of range"),
    ("loss", "cross_entropy batch mismatch", lambda: F.cross_entropy(gn.ones(2, 3), gn.tensor([0, 1, 2])), ValueError, r"target shape \(3,\) does not match input shape \(2, 3\)"),
    ("loss", "cross_entropy float target wrong shape", lambda: F.cross_entropy(gn.ones(2, 3), gn.ones(2, 4)), (RuntimeError, ValueError), "shape|size"),
    ("loss", "cross_entropy weight length", lambda: F.cross_entropy(gn.ones(2, 3), gn.tensor([0, 1]), weight=gn.ones(4)), ValueError, r"weight must have shape \(3,\) \(one per class\), got \(4,\)"),
    ("loss", "cross_entropy bad reduction", lambda: F.cross_entropy(gn.ones(2, 3), gn.tensor([0, 1]), reduction="avg"), ValueError, r"reduction must be 'mean', 'sum' or 'none', got 'avg'"),
    ("loss", "cross_entropy label_smoothing > 1", lambda: F.cross_entropy(gn.ones(2, 3), gn.tensor([0, 1]), label_smoothing=1.5), (ValueError, RuntimeError), "label_smoothing"),
    ("loss", "cross_entropy 0-d input", lambda: F.cross_entropy(gn.tensor(1.0), gn.tensor(0)), (RuntimeError, ValueError, IndexError), "dimension|0-d|shape|dim"),
    ("loss", "nll_loss target out of range", lambda: F.nll_loss(gn.ones(2, 3), gn.tensor([0, 5])), IndexError, r"target 5 at position \(1,\) is out of range"),
    ("loss", "nll_loss float target", lambda: F.nll_loss(gn.ones(2, 3), gn.tensor([0.0, 1.0])), TypeError, r"class-index targets must be integers"),
    ("loss", "mse_loss shape mismatch", lambda: F.mse_loss(gn.ones(2, 3), gn.ones(4)), ValueError, r"mse_loss.*\(2, 3\).*\(4,\)"),
    ("loss", "mse_loss bad reduction", lambda: F.mse_loss(gn.ones(2), gn.ones(2), reduction="total"), ValueError, r"got 'total'"),
    ("loss", "l1_loss shape mismatch", lambda: F.l1_loss(gn.ones(3), gn.ones(2)), ValueError, r"l1_loss.*\(3,\).*\(2,\)"),
    ("loss", "bce input above 1", lambda: F.binary_cross_entropy(gn.tensor([1.5]), gn.tensor([1.0])), ValueError, r"input must be probabilities in \[0, 1\]"),
    ("loss", "bce target size", lambda: F.binary_cross_entropy(gn.tensor([0.5, 0.5]), gn.tensor([1.0])), ValueError, r"target shape \(1,\) must equal input shape \(2,\)"),
    ("loss", "bce_with_logits target size", lambda: F.binary_cross_entropy_with_logits(gn.ones(2), gn.ones(3)), ValueError, r"target shape \(3,\) must equal input shape \(2,\)"),
    ("loss", "huber negative delta", lambda: F.huber_loss(gn.ones(2), gn.ones(2), delta=-1.0), (RuntimeError, ValueError), "delta"),
    ("loss", "smooth_l1 negative beta", lambda: F.smooth_l1_loss(gn.ones(2), gn.ones(2), beta=-1.0), (RuntimeError, ValueError), "beta"),
    ("loss", "kl_div bad reduction", lambda: F.kl_div(gn.ones(2), gn.ones(2), reduction="avg"), ValueError, r"kl_div: reduction must be .*got 'avg'"),
    ("loss", "margin_ranking shape", lambda: F.margin_ranking_loss(gn.ones(2), gn.ones(3), gn.ones(2)), (RuntimeError, ValueError), "size|shape|must match"),
    ("loss", "CrossEntropyLoss module target range", lambda: nn.CrossEntropyLoss()(gn.ones(1, 2), gn.tensor([2])), IndexError, r"target 2 at position \(0,\) is out of range for 2 classes"),
    ("loss", "MSELoss bad reduction", lambda: nn.MSELoss(reduction="bogus"), ValueError, r"MSELoss: reduction must be .*got 'bogus'"),
    ("loss", "one_hot too few classes", lambda: F.one_hot(gn.tensor([0, 3]), num_classes=2), ValueError, r"indices must lie in \[0, 1\], got values from 0 to 3"),
    ("loss", "one_hot negative", lambda: F.one_hot(gn.tensor([-1, 0])), ValueError, r"class index out of range.*from -1"),
    ("loss", "one_hot float", lambda: F.one_hot(gn.tensor([1.0])), TypeError, r"class indices must be integers, got dtype float32"),
    # --- optimizers ------------------------------------------------------------------------
    ("optim", "SGD negative lr", lambda: _step(gn.optim.SGD, lr=-0.1), ValueError, "Invalid learning rate: -0.1"),
    ("optim", "SGD string lr", lambda: _step(gn.optim.SGD, lr="0.1"), TypeError, "lr must be a number"),
    ("optim", "SGD negative momentum", lambda: _step(gn.optim.SGD, lr=0.1, momentum=-1), ValueError, "Invalid momentum value: -1"),
    ("optim", "SGD nesterov without momentum", lambda: _step(gn.optim.SGD, lr=0.1, nesterov=True), ValueError, "Nesterov momentum requires a momentum and zero dampening"),
    ("optim", "SGD negative weight_decay", lambda: _step(gn.optim.SGD, lr=0.1, weight_decay=-1), ValueError, "Invalid weight_decay value: -1"),
    ("optim", "Adam beta >= 1", lambda: _step(gn.optim.Adam, betas=(0.9, 1.0)), ValueError, "Invalid beta parameter at index 1: 1.0"),
    ("optim", "Adam negative eps", lambda: _step(gn.optim.Adam, eps=-1e-8), ValueError, "Invalid epsilon value"),
    ("optim", "RMSprop negative alpha", lambda: _step(gn.optim.RMSprop, alpha=-0.5), ValueError, "Invalid alpha value: -0.5"),
    ("optim", "Adagrad negative lr_decay", lambda: _step(gn.optim.Adagrad, lr_decay=-1), ValueError, "Invalid lr_decay value: -1"),
    ("optim", "empty parameter list", lambda: gn.optim.SGD([], lr=0.1), ValueError, "optimizer got an empty parameter list"),
    ("optim", "single tensor", lambda: gn.optim.SGD(_leaf(2), lr=0.1), TypeError, "got a single Tensor"),
    ("optim", "non-leaf parameter", lambda: gn.optim.SGD([_leaf(2) * 2], lr=0.1), ValueError, "can't optimize a non-leaf Tensor"),
    ("optim", "non-tensor parameter", lambda: gn.optim.SGD([np.ones(2)], lr=0.1), TypeError, "can only optimize Tensors, got ndarray"),
    ("optim", "duplicate parameter", lambda: (lambda p: gn.optim.SGD([p, p], lr=0.1))(_leaf(2)), ValueError, "the same parameter twice"),
    ("optim", "parameter in two groups", lambda: (lambda p: gn.optim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1))(_leaf(2)), ValueError, "more than one parameter group"),
    ("optim", "load state of Adam into SGD", lambda: _opt_load(gn.optim.Adam([_leaf(2)]).state_dict()), ValueError, "saved by Adam or AdamW, not SGD"),
    ("optim", "load state not a dict", lambda: _opt_load([1, 2]), ValueError, "expected a dict with 'state' and 'param_groups'"),
    ("optim", "load state group count", lambda: _opt_load({"state": {}, "param_groups": []}), ValueError, "0 parameter groups, the optimizer has 1"),
    ("optim", "load state parameter count", lambda: _opt_load(gn.optim.SGD([_leaf(2), _leaf(2)], lr=0.1).state_dict()), ValueError, "group 0 has 2 parameters, the optimizer's has 1"),
    ("optim", "load state wrong shape", lambda: _opt_load({"state": {0: {"momentum_buffer": np.zeros(3)}}, "param_groups": gn.optim.SGD([_leaf(2)], lr=0.1).state_dict()["param_groups"]}), ValueError, r"shape \(3,\), the parameter \(2,\)"),
    ("optim", "StepLR on non-optimizer", lambda: gn.optim.lr_scheduler.StepLR(object(), 2), TypeError, "Optimizer"),
    ("optim", "clip_grad_norm_ bad norm type", lambda: nn.utils.clip_grad_norm_([_leaf(2)], 1.0, norm_type="fro2"), ValueError, r"norm_type",
     "nn/utils.py: 'could not convert string to float: fro2' does not name norm_type"),
    # --- fit -------------------------------------------------------------------------------
    ("fit", "length mismatch", lambda: _fit(X4, np.zeros((3, 1), np.float32)), ValueError, "size mismatch in the first dimension"),
    ("fit", "zero batch size", lambda: _fit(X4, Y4, batch_size=0), ValueError, "batch_size"),
    ("fit", "wrong features", lambda: _fit(np.zeros((4, 3), np.float32), Y4), ValueError, r"expected input of shape \(\*, 2\), got \(4, 3\)"),
    ("fit", "loss_fn not callable", lambda: _fit(X4, Y4, loss_fn=3), TypeError, "loss_fn must be callable, got int"),
    ("fit", "optimizer not an optimizer", lambda: _fit(X4, Y4, optimizer="sgd"), TypeError, r"optimizer",
     'train.py: AttributeError "\'str\' object has no attribute \'zero_grad\'" from inside the loop'),
    ("fit", "unknown metric", lambda: _fit(X4, Y4, metrics=("acc_top7",)), (ValueError, KeyError), "acc_top7"),
    ("fit", "checkpoint every 0", lambda: _fit(X4, Y4, checkpoint={"path": os.path.join(_DIR, "c"), "every": 0}), ValueError, "checkpoint every must be positive"),
    ("fit", "checkpoint wrong type", lambda: _fit(X4, Y4, checkpoint=3), TypeError, "checkpoint: give a path"),
    ("fit", "bad on_nonfinite", lambda: _fit(X4, Y4, on_nonfinite="ignore-all"), ValueError, "on_nonfinite"),
    ("fit", "val_data mismatch", lambda: _fit(X4, Y4, val_data=(X4, np.zeros((2, 1), np.float32))), ValueError, "size mismatch"),
    ("fit", "resume from missing file", lambda: _fit(X4, Y4, resume_from=os.path.join(_DIR, "nope.ckpt")), FileNotFoundError, "nope.ckpt"),
    ("fit", "callback not a callback", lambda: _fit(X4, Y4, callbacks=[3]), TypeError, "callback|Callback"),
    ("fit", "train_data not data", lambda: _fit(3, 4), ValueError, r"0-d array; samples are rows"),
    ("fit", "early_stopping bad mode", lambda: _fit(X4, Y4, early_stopping=dict(patience=1, mode="up")), ValueError, "mode"),
    # --- data ------------------------------------------------------------------------------
    ("data", "DataLoader zero batch", lambda: DataLoader(TensorDataset(gn.ones(4)), batch_size=0), ValueError, r"batch_size must be positive, got 0"),
    ("data", "DataLoader not a dataset", lambda: list(DataLoader(3)), TypeError, "dataset|len|int"),
    ("data", "TensorDataset size mismatch", lambda: TensorDataset(gn.ones(4), gn.ones(3)), ValueError, "size mismatch"),
    ("data", "TensorDataset no tensors", lambda: TensorDataset(), ValueError, "at least one"),
    ("data", "random_split lengths", lambda: random_split(TensorDataset(gn.ones(4)), [2, 3]), ValueError, r"lengths \[2, 3\] sum to 5, but the dataset has 4 samples"),
    ("data", "random_split fractions", lambda: random_split(TensorDataset(gn.ones(4)), [0.5, 0.6]), ValueError, "sum"),
    ("data", "train_test_split size > 1", lambda: train_test_split(np.zeros((4, 2)), test_size=1.5), ValueError, "test_size"),
    ("data", "train_test_split lengths", lambda: train_test_split(np.zeros((4, 2)), np.zeros(3)), ValueError, r"argument 1 has 3 samples, argument 0 has 4"),
    ("data", "train_test_split stratify one member", lambda: train_test_split(np.zeros((4, 2)), np.array([0, 0, 0, 1]), test_size=0.5, stratify=np.array([0, 0, 0, 1])), ValueError, r"every class needs at least 2 samples to stratify"),
    ("data", "StandardScaler not fitted", lambda: StandardScaler().transform(np.zeros((2, 2))), (RuntimeError, ValueError), "not fitted|fit"),
    ("data", "StandardScaler feature count", lambda: StandardScaler().fit(np.zeros((3, 2))).transform(np.zeros((2, 3))), ValueError, r"fitted on 2 feature\(s\).*got data of shape \(2, 3\)"),
    ("data", "one_hot negative", lambda: one_hot(np.array([-1, 0])), ValueError, r"class index out of range.*from -1"),
    ("data", "Subset index out of range", lambda: Subset(TensorDataset(gn.ones(3)), [5])[0], IndexError, "out of range|out of bounds"),
    ("data", "DataLoader sampler and shuffle", lambda: DataLoader(TensorDataset(gn.ones(4)), sampler=[0, 1], shuffle=True), ValueError, r"sampler is mutually exclusive with shuffle"),
    ("data", "collate mismatched shapes", lambda: gn.data.default_collate([gn.ones(2), gn.ones(3)]), ValueError, r"collate.*shape",
     "data/loader.py: NumPy's 'all input arrays must have the same shape' without the sample index or shapes"),
    ("data", "Normalize channels", lambda: gn.data.transforms.Normalize([0.5, 0.5], [0.2, 0.2])(gn.ones(3, 4, 4)), (RuntimeError, ValueError), "channel|shape|must match"),
    ("data", "Normalize zero std", lambda: gn.data.transforms.Normalize([0.5], [0.0])(gn.ones(1, 2, 2)), ValueError, r"std must be positive, got \[0.0\]"),
    ("data", "load_mnist missing folder", lambda: gn.data.load_mnist(os.path.join(_DIR, "nope")), FileNotFoundError, "train-images-idx3-ubyte"),
    # --- files: gn.load / checkpoints --------------------------------------------------------
    ("file", "gn.load missing file", lambda: gn.load(os.path.join(_DIR, "missing.st")), FileNotFoundError, "missing.st"),
    ("file", "gn.load empty file", lambda: gn.load(_file("empty.st", b"")), SaveFormatError, "empty.st: truncated or not a safetensors file: 0 bytes"),
    ("file", "gn.load pickle", lambda: gn.load(_file("p.pt", b"\x80\x04\x95" + bytes(20))), SaveFormatError, "Python pickle"),
    ("file", "gn.load torch zip", lambda: gn.load(_file("z.pt", b"PK\x03\x04" + bytes(20))), SaveFormatError, "zip archive"),
    ("file", "gn.load npy", lambda: gn.load(_file("a.npy", b"\x93NUMPY" + bytes(20))), SaveFormatError, "NumPy .npy"),
    ("file", "gn.load hdf5", lambda: gn.load(_file("a.h5", b"\x89HDF\r\n" + bytes(20))), SaveFormatError, "HDF5"),
    ("file", "gn.load text file", lambda: gn.load(_file("t.txt", b"hello world, not a model")), SaveFormatError, "t.txt: not a safetensors file"),
    ("file", "gn.load header length lies", lambda: gn.load(_file("lie.st", struct.pack("<Q", 500) + b"{}")), SaveFormatError, "truncated: the header claims 500 bytes"),
    ("file", "gn.load header not JSON", lambda: gn.load(_file("nj.st", _st(b"{not json}"))), SaveFormatError, "is not valid JSON"),
    ("file", "gn.load header a list", lambda: gn.load(_file("list.st", _st(b"[1, 2]"))), SaveFormatError, "expected a JSON object"),
    ("file", "gn.load header not UTF-8", lambda: gn.load(_file("u8.st", _st(b'{"\xff": 1}'))), SaveFormatError, "not valid JSON"),
    ("file", "gn.load unknown dtype", lambda: gn.load(_file("dt.st", _st({"x": {"dtype": "F7", "shape": [1], "data_offsets": [0, 4]}}, bytes(4)))), SaveFormatError, "corrupt header entry for tensor 'x'"),
    ("file", "gn.load string offsets", lambda: gn.load(_file("so.st", _st({"x": {"dtype": "F32", "shape": [1], "data_offsets": ["0", "4"]}}, bytes(4)))), SaveFormatError, "data_offsets .* is not \\[begin, end\\] integers"),
    ("file", "gn.load negative shape", lambda: gn.load(_file("ns.st", _st({"x": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}, bytes(4)))), SaveFormatError, "not a list of non-negative integers"),
    ("file", "gn.load offsets disagree with shape", lambda: gn.load(_file("od.st", _st({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 4]}}, bytes(4)))), SaveFormatError, r"F32 \[2\] needs 8 bytes"),
    ("file", "gn.load data truncated", lambda: gn.load(_file("dtr.st", _st({"x": {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]}}, bytes(4)))), SaveFormatError, "truncated: tensor 'x' needs bytes up to offset"),
    ("file", "gn.load trailing bytes", lambda: gn.load(_file("tb.st", _st({"x": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}, bytes(9)))), SaveFormatError, "the tensors cover 4 data bytes but the file holds 9"),
    ("file", "gn.load nested header", lambda: gn.load(_file("deep.st", _st(b"[" * 100000 + b"]" * 100000))), SaveFormatError, "nested too deeply"),
    ("file", "gn.load metadata not object", lambda: gn.load(_file("mo.st", _st({"__metadata__": [1]}))), SaveFormatError, "__metadata__ is not an object"),
    ("file", "gn.load bf16", lambda: gn.load(_file("bf.st", _st({"x": {"dtype": "BF16", "shape": [1], "data_offsets": [0, 2]}}, bytes(2)))), SaveFormatError, "BF16, which NumPy cannot hold"),
    ("file", "gn.load newer format", lambda: gn.load(_file("v9.st", _gsave({"glassnet.format": "9", "glassnet.skeleton": "{}"}))), SaveFormatError, "glassnet format version '9'"),
    ("file", "gn.load skeleton not JSON", lambda: gn.load(_file("sk.st", _gsave({"glassnet.format": "1", "glassnet.skeleton": "{"}))), SaveFormatError, "corrupt metadata field 'glassnet.skeleton'"),
    ("file", "gn.load skeleton unknown key", lambda: gn.load(_file("sk2.st", _gsave({"glassnet.format": "1", "glassnet.skeleton": '{"$": "tensor", "key": "nope"}'}))), SaveFormatError, "corrupt skeleton at <root>"),
    ("file", "gn.load skeleton unknown node", lambda: gn.load(_file("sk3.st", _gsave({"glassnet.format": "1", "glassnet.skeleton": '{"$": "lambda"}'}))), SaveFormatError, "unknown node"),
    ("file", "gn.load skeleton bad float", lambda: gn.load(_file("sk4.st", _gsave({"glassnet.format": "1", "glassnet.skeleton": '{"$": "float", "value": "pi"}'}))), SaveFormatError, "corrupt skeleton"),
    ("file", "gn.load skeleton nested deep", lambda: gn.load(_file("sk5.st", _gsave({"glassnet.format": "1", "glassnet.skeleton": "[" * 50000 + "]" * 50000}))), SaveFormatError, "nested too deeply"),
    ("file", "gn.save unsupported object", lambda: gn.save({"f": lambda: 0}, os.path.join(_DIR, "f.st")), TypeError, "cannot store a function at 'f'"),
    ("file", "gn.save bool key... tuple key", lambda: gn.save({(1, 2): 1}, os.path.join(_DIR, "k.st")), TypeError, "dict keys must be str or int"),
    ("file", "gn.save complex array", lambda: gn.save(np.ones(2, complex), os.path.join(_DIR, "c.st")), TypeError, "dtype complex128"),
    ("file", "gn.save missing folder", lambda: gn.save({"a": 1}, os.path.join(_DIR, "no", "dir", "a.st")), FileNotFoundError, "does not exist"),
    ("file", "gn.save onto a folder", lambda: gn.save({"a": 1}, _DIR), IsADirectoryError, "it is a folder"),
    ("file", "load_checkpoint plain file", _ckpt_plain, SaveFormatError, "not a glassnet checkpoint"),
    ("file", "load_checkpoint no model", _ckpt_no_model, SaveFormatError, "holds no model state"),
    ("file", "load_checkpoint wrong model", _ckpt_wrong_model, nn.StateDictError, r"shape mismatches: weight: expected \(2, 3\), got \(2, 2\)"),
    ("file", "load_checkpoint unknown generator", _ckpt_generator, SaveFormatError, "no random state saved for generator 'loader'"),
    # --- files: IDX ------------------------------------------------------------------------
    ("file", "idx missing", lambda: read_idx(os.path.join(_DIR, "none.idx")), FileNotFoundError, "none.idx"),
    ("file", "idx empty", lambda: read_idx(_file("e.idx", b"")), IDXError, "truncated IDX header: 0 bytes at offset 0"),
    ("file", "idx wrong magic", lambda: read_idx(_file("m.idx", b"\x01\x00\x08\x01" + bytes(8))), IDXError, "wrong magic number 01 00 08 01 at offset 0"),
    ("file", "idx unknown type", lambda: read_idx(_file("t.idx", b"\x00\x00\x07\x01" + bytes(8))), IDXError, "wrong magic number 00 00 07 01"),
    ("file", "idx zero dims", lambda: read_idx(_file("z.idx", b"\x00\x00\x08\x00")), IDXError, "wrong magic"),
    ("file", "idx header cut", lambda: read_idx(_file("hc.idx", _idx(b"\x00\x00\x08\x03", (2,)))), IDXError, "announces 3 dimensions, but the file ends at offset 8 before the sizes end at offset 16"),
    ("file", "idx data cut", lambda: read_idx(_file("dc.idx", _idx(b"\x00\x00\x08\x01", (5,), bytes(3)))), IDXError, "needs 5 data bytes from offset 8, but the file ends at offset 11"),
    ("file", "idx extra data", lambda: read_idx(_file("xd.idx", _idx(b"\x00\x00\x08\x01", (2,), bytes(5)))), IDXError, "ends at offset 10, but the file has 3 more bytes"),
    ("file", "idx huge dims", lambda: read_idx(_file("hd.idx", _idx(b"\x00\x00\x08\x02", (2**32 - 1, 2**32 - 1)))), IDXError, "needs 18446744065119617025 data bytes"),
    ("file", "idx int32 cut", lambda: read_idx(_file("ic.idx", _idx(b"\x00\x00\x0c\x01", (2,), bytes(7)))), IDXError, "needs 8 data bytes"),
    ("file", "idx gzip truncated", lambda: read_idx(_file("gt.idx.gz", gzip.compress(_idx(b"\x00\x00\x08\x01", (4,), bytes(4)))[:-9])), IDXError, "corrupt or truncated gzip stream"),
    ("file", "idx gzip corrupt", lambda: read_idx(_file("gc.idx.gz", b"\x1f\x8b\x08\x00" + bytes(30))), IDXError, "corrupt or truncated gzip"),
    ("file", "idx gzip huge dims", lambda: read_idx(_file("gh.idx.gz", gzip.compress(_idx(b"\x00\x00\x08\x02", (65536, 65536))))), IDXError, "can expand to at most"),
    ("file", "idx gzip bomb", lambda: read_idx(_file("gb.idx.gz", gzip.compress(_idx(b"\x00\x00\x08\x01", (1,), bytes(1 << 20))))), IDXError, "ends at offset 9, but the file has more bytes"),
    ("file", "write_idx int64", lambda: gn.data.write_idx(os.path.join(_DIR, "w.idx"), np.arange(3)), TypeError, "IDX cannot store dtype int64"),
    ("file", "write_idx 0-d", lambda: gn.data.write_idx(os.path.join(_DIR, "w.idx"), np.uint8(3)), ValueError, "1 to 255 dimensions, got 0"),
    # --- files: word2vec formats -------------------------------------------------------------
    ("file", "w2v missing file", lambda: KeyedVectors.load_word2vec_format(os.path.join(_DIR, "none.txt")), FileNotFoundError, "none.txt"),
    ("file", "w2v no header", lambda: KeyedVectors.load_word2vec_format(_file("nh.txt", b"a 1 2\n")), FormatError, "line 1 should be the header"),
    ("file", "w2v header negative count", lambda: KeyedVectors.load_word2vec_format(_file("hn.txt", b"-1 2\n")), FormatError, "line 1 should be the header"),
    ("file", "w2v header zero dims", lambda: KeyedVectors.load_word2vec_format(_file("hz.txt", b"1 0\na\n")), FormatError, "line 1 should be the header"),
    ("file", "w2v header overlong", lambda: KeyedVectors.load_word2vec_format(_file("ho.txt", b"1" * 5000 + b" 2\n")), FormatError, "line 1 should be the header"),
    ("file", "w2v text too few lines", lambda: KeyedVectors.load_word2vec_format(_file("tf.txt", b"3 2\na 1 2\n")), FormatError, "says 3 vectors but the file has only 1"),
    ("file", "w2v text too many lines", lambda: KeyedVectors.load_word2vec_format(_file("tm.txt", b"1 2\na 1 2\nb 3 4\n")), FormatError, "says 1 vectors but line 3 holds another"),
    ("file", "w2v text short line", lambda: KeyedVectors.load_word2vec_format(_file("ts.txt", b"2 2\na 1 2\nb 3\n")), FormatError, "line 3 should hold a word and 2 numbers, got 1"),
    ("file", "w2v text not a number", lambda: KeyedVectors.load_word2vec_format(_file("tn.txt", b"1 2\na 1 x\n")), FormatError, "line 2: b'x' is not a number"),
    ("file", "w2v text empty line inside", lambda: KeyedVectors.load_word2vec_format(_file("te.txt", b"2 2\na 1 2\n\nb 3 4\n")), FormatError, "line 3 is empty"),
    ("file", "w2v text bad utf-8", lambda: KeyedVectors.load_word2vec_format(_file("tu.txt", b"1 2\n\xff 1 2\n")), FormatError, "line 2: the word is not valid utf8"),
    ("file", "w2v text huge header", lambda: KeyedVectors.load_word2vec_format(_file("th.txt", b"2000000 1000000\na 1 2\n")), FormatError, "line 2 should hold a word and 1000000 numbers"),
    ("file", "w2v text overlong line", lambda: KeyedVectors.load_word2vec_format(_file("tl.txt", b"1 1\n" + b"a" * 20000 + b" 1\n")), FormatError, "line 2 is longer than"),
    ("file", "w2v no_header binary", lambda: KeyedVectors.load_word2vec_format(_file("nb.bin", b"a 1\n"), binary=True, no_header=True), ValueError, "no_header=True is only supported for the text format"),
    ("file", "w2v no_header empty vector", lambda: KeyedVectors.load_word2vec_format(_file("nv.txt", b"a\n"), no_header=True), FormatError, "line 1 holds no vector values"),
    ("file", "w2v negative limit", lambda: KeyedVectors.load_word2vec_format(_file("nl.txt", b"1 2\na 1 2\n"), limit=-1), ValueError, "limit must be None or a non-negative integer"),
    ("file", "w2v binary record cut", lambda: KeyedVectors.load_word2vec_format(_file("bc.bin", b"2 2\na " + V2 + b"\nb " + bytes(5)), binary=True), FormatError, r"record 2 of 2 \('b'\) at byte offset 15: needs 8 bytes"),
    ("file", "w2v binary extra data", lambda: KeyedVectors.load_word2vec_format(_file("bx.bin", b"1 2\na " + V2 + b"\nb " + bytes(8)), binary=True), FormatError, "more data follows at byte offset 15"),
    ("file", "w2v binary no space", lambda: KeyedVectors.load_word2vec_format(_file("bs.bin", b"1 2\n" + b"a" * 12000), binary=True), FormatError, "no space within 10000 bytes"),
    ("file", "w2v binary huge header", lambda: KeyedVectors.load_word2vec_format(_file("bh.bin", b"2000000 1000000\nab " + bytes(100)), binary=True), FormatError, "record 1 of 2000000 .*needs 4000000 bytes"),
    ("file", "w2v binary bad utf-8", lambda: KeyedVectors.load_word2vec_format(_file("bu.bin", b"1 2\n\xff " + V2), binary=True), FormatError, "record 1 at byte offset 4: the word is not valid utf8"),
    ("file", "w2v binary read as text", lambda: KeyedVectors.load_word2vec_format(_file("bt.bin", b"1 2\na " + V2 + b"\n")), FormatError, "line 2"),
    ("file", "w2v gzip truncated", lambda: KeyedVectors.load_word2vec_format(_file("gt.txt.gz", gzip.compress(b"2 2\na 1 2\nb 3 4\n")[:-10])), FormatError, "gt.txt.gz: corrupt or truncated gzip stream"),
    ("file", "w2v gzip bomb", lambda: KeyedVectors.load_word2vec_format(_file("gb.txt.gz", gzip.compress(b"1 2\na 1 2\n" + b"\n" * (1 << 20)))), FormatError, "more than 65536 blank bytes follow"),
    ("file", "w2v fvocab bad line", lambda: KeyedVectors.load_word2vec_format(_file("fv.txt", b"1 2\na 1 2\n"), fvocab=_file("fv.vocab", b"a x\n")), FormatError, "fv.vocab: line 1 should be '<word> <count>'"),
    ("file", "w2v save key with space", lambda: _kv("a b").save_word2vec_format(os.path.join(_DIR, "ks.txt")), ValueError, "contains whitespace"),
    ("file", "w2v save total_vec wrong", lambda: _kv("a").save_word2vec_format(os.path.join(_DIR, "tv.txt"), total_vec=0), ValueError, "total_vec=0 is less than the 1 vectors"),
    # --- files: model files --------------------------------------------------------------------
    ("file", "Word2Vec.load missing", lambda: Word2Vec.load(os.path.join(_DIR, "none.model")), FileNotFoundError, "none.model"),
    ("file", "Word2Vec.load junk", lambda: Word2Vec.load(_file("junk.model", b"junk junk junk")), FormatError, "junk.model: not a readable safetensors file"),
    ("file", "Word2Vec.load foreign safetensors", lambda: Word2Vec.load(_file("foreign.model", _gsave({"x": "y"}))), FormatError, "not one written by glassnet"),
    ("file", "Word2Vec.load KeyedVectors file", lambda: Word2Vec.load(_kv_file()), FormatError, "holds a glassnet 'KeyedVectors', expected 'Word2Vec'"),
    ("file", "Word2Vec.load metadata not JSON", lambda: Word2Vec.load(_file("mj.model", _gsave({"glassnet": "{oops"}))), FormatError, "damaged glassnet metadata"),
    ("file", "Word2Vec.load metadata a list", lambda: Word2Vec.load(_file("ml.model", _gsave({"glassnet": "[1]"}))), FormatError, "not a JSON object"),
    ("file", "Word2Vec.load corpus_file param", lambda: Word2Vec.load(_file("cf.model", _gsave({"glassnet": json.dumps({"kind": "Word2Vec", "params": {"corpus_file": "/etc/passwd"}})}))), FormatError, r"unexpected model parameters \['corpus_file'\]"),
    ("file", "Word2Vec.load no params", lambda: Word2Vec.load(_file("np.model", _gsave({"glassnet": json.dumps({"kind": "Word2Vec"})}))), FormatError, "model parameters missing"),
    ("file", "Word2Vec.load no vectors", lambda: Word2Vec.load(_file("nv.model", _gsave({"glassnet": json.dumps({"kind": "Word2Vec", "params": {}, "wv": {"vector_size": 2, "index_to_key": []}})}))), FormatError, "array 'wv.vectors' is missing"),
    ("file", "KeyedVectors.load wrong kind", lambda: KeyedVectors.load(_file("wk.kv", _gsave({"glassnet": json.dumps({"kind": "Word2Vec"})}))), FormatError, "expected 'KeyedVectors'"),
    ("file", "KeyedVectors.load no wv", lambda: KeyedVectors.load(_file("nw.kv", _gsave({"glassnet": json.dumps({"kind": "KeyedVectors"})}))), FormatError, "vector metadata is a NoneType"),
    ("file", "KeyedVectors.load bad vector_size", lambda: KeyedVectors.load(_file("bv.kv", _gsave({"glassnet": json.dumps({"kind": "KeyedVectors", "wv": {"vector_size": 0, "index_to_key": []}})}))), FormatError, "vector_size 0 is not a positive integer"),
    ("file", "LineSentence missing", lambda: list(LineSentence(os.path.join(_DIR, "none.corpus"))), FileNotFoundError, "none.corpus"),
    ("file", "LineSentence bad utf-8", lambda: Word2Vec(corpus_file=_file("bad.corpus", b"a b\n\xff\xfe c\n"), min_count=1, workers=1), CorpusError, r"line 2 .*byte offset"),
    # --- word2vec model arguments --------------------------------------------------------------
    ("w2v", "vector_size 0", lambda: Word2Vec(vector_size=0), ValueError, "vector_size must be >= 1, got 0"),
    ("w2v", "window 0", lambda: Word2Vec(window=0), ValueError, "window must be >= 1, got 0"),
    ("w2v", "negative 0", lambda: Word2Vec(negative=0), ValueError, "hs=0 and negative=0 leave no output layer"),
    ("w2v", "sg 2", lambda: Word2Vec(sg=2), ValueError, "sg must be 0 \\(CBOW\\) or 1"),
    ("w2v", "empty corpus", lambda: Word2Vec([[]], min_count=1), CorpusError, "the corpus is empty"),
    ("w2v", "sentences a string", lambda: Word2Vec(["a b c"], min_count=1, workers=1), TypeError, "list of tokens"),
    ("w2v", "train before build_vocab", lambda: Word2Vec().train([["a"]], epochs=1), RuntimeError, "call build_vocab\\(\\) first"),
    ("w2v", "unknown key", lambda: _kv("a")["zebra"], KeyError, "zebra"),
    ("w2v", "most_similar unknown", lambda: _kv("a", "b").most_similar("zebra"), KeyError, "zebra"),
    ("w2v", "add_vectors wrong width", lambda: KeyedVectors(3).add_vectors(["a"], [[1.0, 2.0]]), ValueError, r"expected weights of shape \(1, 3\), got \(1, 2\)"),
    ("w2v", "KeyedVectors size 0", lambda: KeyedVectors(0), ValueError, "vector_size must be >= 1, got 0"),
    # --- the CLI ---------------------------------------------------------------------------
    ("cli", "unknown command", lambda: _cli("frobnicate"), CLIError, "exit 2: glassnet: unknown command 'frobnicate'"),
    ("cli", "word2vec no arguments", lambda: _cli("word2vec"), CLIError, "exit 2"),
    ("cli", "word2vec missing -output", lambda: _cli("word2vec", "-train", "x"), CLIError, "missing -output FILE"),
    ("cli", "word2vec missing -train", lambda: _cli("word2vec", "-output", "x"), CLIError, "missing -train FILE"),
    ("cli", "word2vec unknown flag", lambda: _cli("word2vec", "-train", "x", "-output", "y", "-dim", "5"), CLIError, "unknown option '-dim'"),
    ("cli", "word2vec flag without value", lambda: _cli("word2vec", "-train", "x", "-output"), CLIError, "option -output needs a value"),
    ("cli", "word2vec size not integer", lambda: _cli("word2vec", "-train", "x", "-output", "y", "-size", "abc"), CLIError, "option -size needs an integer, got 'abc'"),
    ("cli", "word2vec alpha not number", lambda: _cli("word2vec", "-train", "x", "-output", "y", "-alpha", "fast"), CLIError, "option -alpha needs a number, got 'fast'"),
    ("cli", "word2vec cbow 2", lambda: _cli("word2vec", "-train", "x", "-output", "y", "-cbow", "2"), CLIError, "option -cbow must be 0 or 1, got 2"),
    ("cli", "word2vec binary 3", lambda: _cli("word2vec", "-train", "x", "-output", "y", "-binary", "3"), CLIError, "option -binary must be 0 or 1, got 3"),
    ("cli", "word2vec hs 2", lambda: _cli("word2vec", "-train", "x", "-output", "y", "-hs", "2"), CLIError, "-hs must be 0 or 1"),
    ("cli", "word2vec nothing to train", lambda: _cli("word2vec", "-train", "x", "-output", "y", "-negative", "0"), CLIError, "nothing to train"),
    ("cli", "word2vec classes", lambda: _cli("word2vec", "-train", "x", "-output", "y", "-classes", "5"), CLIError, "k-means word classes"),
    ("cli", "word2vec missing corpus", lambda: _cli("word2vec", "-train", os.path.join(_DIR, "nope.txt"), "-output", os.path.join(_DIR, "o.txt")), CLIError, "exit 1: .*nope.txt"),
    ("cli", "word2vec empty corpus", lambda: _cli("word2vec", "-train", _corpus(""), "-output", os.path.join(_DIR, "o.txt"), "-threads", "1"), CLIError, "exit 1: .*empty"),
    ("cli", "word2vec size 0", lambda: _cli("word2vec", "-train", _corpus("a b\n"), "-output", os.path.join(_DIR, "o.txt"), "-size", "0", "-threads", "1"), CLIError, "exit 1: .*vector_size must be >= 1"),
    ("cli", "word2vec output folder missing", lambda: _cli("word2vec", "-train", _corpus("a b a b\n" * 5), "-output", os.path.join(_DIR, "no", "o.txt"), "-min-count", "1", "-threads", "1", "-iter", "1"), CLIError, "exit 1: .*does not exist"),
]

IDS = [f"{area}: {name}" for area, name, *_ in CASES]
PARAMS = [pytest.param(c[:5], id=i, marks=pytest.mark.xfail(strict=True, reason=c[5]))
          if len(c) > 5 else pytest.param(c, id=i) for c, i in zip(CASES, IDS)]
_RESULTS: dict[str, bool] = {}


def test_the_catalogue_is_large_and_distinct():
    assert len(set(IDS)) == len(IDS), "every bad input has its own name"
    assert len(CASES) >= 200
    assert {a for a, *_ in CASES} >= {"tensor", "layer", "loss", "optim", "fit", "data",
                                       "file", "cli"}


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("case", PARAMS)
def test_bad_input_gives_a_clear_error(case):
    area, name, call, exc, fragment = case
    _RESULTS[f"{area}: {name}"] = False
    with pytest.raises(exc) as e:
        call()
    message = str(e.value)
    assert re.search(fragment, message, re.IGNORECASE | re.DOTALL), (
        f"{area}: {name}: {type(e.value).__name__}: {message[:300]!r} does not say "
        f"{fragment!r}")
    _RESULTS[f"{area}: {name}"] = True


def test_bad_input_figures():
    """Prints "bad inputs tried / clear errors" (run with -s after the table)."""
    if len(_RESULTS) < len(CASES):
        pytest.skip("always: needs the table of this module to have run first")
    clear = sum(_RESULTS.values())
    unclear = sorted(k for k, ok in _RESULTS.items() if not ok)
    print(f"\nbad inputs: {len(_RESULTS)} tried, {clear} clear errors; not yet clear: "
          f"{unclear}")
