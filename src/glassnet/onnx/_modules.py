"""Layers exported as a whole: RNN, LSTM and GRU (and their cells) become ONNX's own
recurrent nodes, one per layer, with the gates reordered to ONNX's layout.

``MODULES`` maps a module class name to ``conv(b, r)``, where ``r`` is a
``ModuleRecord`` (``r.module``, ``r.args``, ``r.kwargs``, ``r.out``); the converter binds
each output tensor of the call to a value name.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ._export import Unsupported

# PyTorch stacks the gate blocks of weight_ih/weight_hh/biases in one order, ONNX in
# another: LSTM (i, f, g, o) -> (i, o, f, c); GRU (r, z, n) -> (z, r, h).
_GATE_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN_TANH": [0], "RNN_RELU": [0]}
_OP = {"LSTM": "LSTM", "GRU": "GRU", "RNN_TANH": "RNN", "RNN_RELU": "RNN"}


def _reorder(a: np.ndarray, mode: str, H: int) -> np.ndarray:
    blocks = [a[g * H:(g + 1) * H] for g in range(a.shape[0] // H)]
    return np.concatenate([blocks[g] for g in _GATE_ORDER[mode]], axis=0)


def _arg(r, i: int, name: str):
    if len(r.args) > i:
        return r.args[i]
    return r.kwargs.get(name)


def _layer(b, m, mode: str, x: str, weights: list, h0: str, c0: str, base: str,
           lengths: str = ""):
    """One ONNX recurrent node over ``x`` (T, N, I) for every direction of one layer
    (``lengths``: the valid steps of each sequence, int32, or ""); returns
    (Y (T, N, D·H), Y_h (D, N, H), Y_c or None)."""
    H = m.hidden_size
    D = len(weights)
    W = np.stack([_reorder(np.asarray(w[0].data), mode, H) for w in weights])
    R = np.stack([_reorder(np.asarray(w[1].data), mode, H) for w in weights])
    ins = [x, b.const(W, f"{base}.W"), b.const(R, f"{base}.R")]
    if len(weights[0]) > 2 and weights[0][2] is not None:
        B = np.stack([np.concatenate([_reorder(np.asarray(w[2].data), mode, H),
                                      _reorder(np.asarray(w[3].data), mode, H)])
                      for w in weights])
        ins.append(b.const(B, f"{base}.B"))
    else:
        ins.append("")
    ins += [lengths, h0 or ""]
    if mode == "LSTM":
        ins.append(c0 or "")
    while ins and ins[-1] == "":
        ins.pop()
    attrs = {"hidden_size": H, "direction": "bidirectional" if D == 2 else "forward"}
    if mode.startswith("RNN"):
        attrs["activations"] = ["Relu" if mode == "RNN_RELU" else "Tanh"] * D
    if mode == "GRU":
        attrs["linear_before_reset"] = 1  # PyTorch applies r after W_hn h + b_hn
    n_out = 3 if mode == "LSTM" else 2
    outs = b.node(_OP[mode], ins, n_out=n_out, **attrs)
    y = b.node("Transpose", [outs[0]], perm=[0, 2, 1, 3])  # (T, D, N, H) -> (T, N, D, H)
    y = b.node("Reshape", [y, b.ints([0, 0, -1], "shape")])
    return y, outs[1], outs[2] if mode == "LSTM" else None


def _state_slice(b, h: str, k: int, D: int) -> str:
    return b.node("Slice", [h, b.ints([k * D]), b.ints([(k + 1) * D]), b.ints([0])])


def _rnn(b, r):
    """RNN/LSTM/GRU over a padded batch: ``(T, N, I)`` (``(N, T, I)`` with batch_first) or
    unbatched ``(T, I)``, every layer and direction; ``hx`` optional; ``lengths`` (a tensor
    input or constant) becomes ONNX's ``sequence_lens``: padded steps leave the states alone
    and give zero outputs, as in glassnet."""
    m = r.module
    x = _arg(r, 0, "input")
    hx = _arg(r, 1, "hx")
    lengths = _arg(r, 2, "lengths")
    if not isinstance(x, Tensor):
        raise Unsupported(f"input of type {type(x).__name__} (a PackedSequence?); pass a "
                          f"padded tensor, with lengths= for sequences of different lengths")
    mode = m.mode
    D = 2 if m.bidirectional else 1
    unbatched = x.ndim == 2
    seq = ""
    if lengths is not None:
        seq = b.value(lengths) if isinstance(lengths, Tensor) else b.const(
            np.asarray(lengths, np.int64).reshape(-1), "lengths")
        seq = b.node("Cast", [seq], to=b.onnx.TensorProto.INT32)
    one = b.ints([1], "axes")
    h0 = c0 = None
    if hx is not None:
        h0, c0 = (hx[0], hx[1]) if mode == "LSTM" else (hx, None)
        h0 = b.value(h0)
        c0 = None if c0 is None else b.value(c0)
        if unbatched:
            h0 = b.node("Unsqueeze", [h0, one])
            c0 = None if c0 is None else b.node("Unsqueeze", [c0, one])
    xn = b.value(x)
    if unbatched:
        xn = b.node("Unsqueeze", [xn, one])  # (T, 1, I)
    elif m.batch_first:
        xn = b.node("Transpose", [xn], perm=[1, 0, 2])
    hs, cs = [], []
    for layer in range(m.num_layers):
        weights = [[getattr(m, n) for n in m._names[layer * D + d]] for d in range(D)]
        xn, hn, cn = _layer(b, m, mode, xn, weights,
                            None if h0 is None else _state_slice(b, h0, layer, D),
                            None if c0 is None else _state_slice(b, c0, layer, D),
                            f"{r.path or type(m).__name__.lower()}.l{layer}", seq)
        hs.append(hn)
        cs.append(cn)
    if unbatched:
        xn = b.node("Squeeze", [xn, one])
    elif m.batch_first:
        xn = b.node("Transpose", [xn], perm=[1, 0, 2])
    hn = hs[0] if len(hs) == 1 else b.node("Concat", hs, axis=0)
    cn = None
    if mode == "LSTM":
        cn = cs[0] if len(cs) == 1 else b.node("Concat", cs, axis=0)
    if unbatched:
        hn = b.node("Squeeze", [hn, one])
        cn = None if cn is None else b.node("Squeeze", [cn, one])
    out, states = r.out
    b.bind(out, xn)
    if mode == "LSTM":
        b.bind(states[0], hn)
        b.bind(states[1], cn)
    else:
        b.bind(states, hn)


def _cell(b, r):
    """RNNCell/LSTMCell/GRUCell: one step of the same ONNX node, ``(N, I) -> (N, H)``."""
    m = r.module
    x = _arg(r, 0, "input")
    hx = _arg(r, 1, "hx")
    if not isinstance(x, Tensor) or x.ndim != 2:
        raise Unsupported("an unbatched input; add a batch dim")
    mode = m.mode
    one = b.ints([0], "axes")
    h0 = c0 = None
    if hx is not None:
        if mode == "LSTM":
            h0 = b.node("Unsqueeze", [b.value(hx[0]), one])
            c0 = b.node("Unsqueeze", [b.value(hx[1]), one])
        else:
            h0 = b.node("Unsqueeze", [b.value(hx), one])
    xn = b.node("Unsqueeze", [b.value(x), one])
    weights = [[m.weight_ih, m.weight_hh, m.bias_ih, m.bias_hh]]
    _, hn, cn = _layer(b, m, mode, xn, weights, h0, c0, r.path or type(m).__name__.lower())
    hn = b.node("Squeeze", [hn, one])
    if mode == "LSTM":
        cn = b.node("Squeeze", [cn, one])
        b.bind(r.out[0], hn)
        b.bind(r.out[1], cn)
    else:
        b.bind(r.out, hn)


MODULES = {
    "RNN": _rnn,
    "LSTM": _rnn,
    "GRU": _rnn,
    "RNNCell": _cell,
    "LSTMCell": _cell,
    "GRUCell": _cell,
}
