"""Recurrent layers with PyTorch's names, arguments, parameter names and gate order.

* cells, one time step: :class:`RNNCell`, :class:`LSTMCell`, :class:`GRUCell`;
* sequence layers: :class:`RNN`, :class:`LSTM`, :class:`GRU` (``num_layers``,
  ``bidirectional``, ``batch_first``, ``dropout`` between layers, optional initial
  states, unbatched 2-D input, variable lengths through a :class:`PackedSequence` or
  the ``lengths=`` argument of ``forward``).

The same weights are applied at every time step and a hidden state is carried forward:
``h_t = f(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)``. Each layer and direction runs as one
op over the whole sequence (``glassnet.ops.recurrent``), so a long sequence adds one
node to the graph, not thousands.

Weights copied from a PyTorch model give the same outputs and gradients: the
parameters are ``weight_ih_l{k}`` ``(G·H, I_k)``, ``weight_hh_l{k}`` ``(G·H, H)``,
``bias_ih_l{k}``, ``bias_hh_l{k}`` ``(G·H,)`` (``_reverse`` suffix for the backward
direction), ``G`` = 4 for LSTM (gates i, f, g, o), 3 for GRU (r, z, n), 1 for RNN, all
initialised uniform on ``±1/sqrt(hidden_size)``.
"""

from __future__ import annotations

import math

import numpy as np

from ..backend import DEFAULT_FLOAT, xp
from ..ops.recurrent import rnn_layer
from ..ops.shape import cat, stack
from ..random import resolve
from ..tensor import Tensor
from .module import Module
from .parameter import Parameter
from .utils_rnn import PackedSequence, pack_padded_sequence, pad_packed_sequence

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def _check_size(name: str, value, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")
    return int(value)


def _rnn_mode(nonlinearity: str) -> str:
    if nonlinearity == "tanh":
        return "RNN_TANH"
    if nonlinearity == "relu":
        return "RNN_RELU"
    raise ValueError(f"nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")


def _uniform_(params, hidden_size: int, generator=None) -> None:
    """The default init: every weight and bias uniform on [-1/sqrt(H), 1/sqrt(H)]."""
    k = 1.0 / math.sqrt(hidden_size)
    rng = resolve(generator)
    for p in params:
        p.data[...] = rng.uniform(-k, k, p.data.shape)


def _dropout(x: Tensor, p: float) -> Tensor:
    """Inverted dropout between layers (training only): zero with probability ``p``."""
    if p >= 1.0:
        return x * 0.0
    keep = resolve(None).random(x.shape) >= p
    return x * Tensor(keep.astype(x.dtype) / x.dtype.type(1.0 - p))


class RNNBase(Module):
    """Shared machinery of :class:`RNN`, :class:`LSTM` and :class:`GRU`."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype=None, generator=None) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = _check_size("input_size", input_size)
        self.hidden_size = _check_size("hidden_size", hidden_size)
        self.num_layers = _check_size("num_layers", num_layers)
        self.bias = bool(bias)
        self.batch_first = bool(batch_first)
        if isinstance(dropout, bool) or not 0.0 <= float(dropout) <= 1.0:
            raise ValueError(f"dropout must be a probability in [0, 1], got {dropout!r}")
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        dt = np.dtype(DEFAULT_FLOAT if dtype is None else dtype)
        G, H, D = _GATES[mode], self.hidden_size, 2 if self.bidirectional else 1
        self._names = []
        for layer in range(self.num_layers):
            in_size = self.input_size if layer == 0 else H * D
            for d in range(D):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                names = [f"weight_ih{sfx}", f"weight_hh{sfx}"]
                setattr(self, names[0], Parameter(xp.empty((G * H, in_size), dt)))
                setattr(self, names[1], Parameter(xp.empty((G * H, H), dt)))
                if self.bias:
                    names += [f"bias_ih{sfx}", f"bias_hh{sfx}"]
                    setattr(self, names[2], Parameter(xp.empty((G * H,), dt)))
                    setattr(self, names[3], Parameter(xp.empty((G * H,), dt)))
                self._names.append(names)
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        """Redraw every parameter uniform on ±1/sqrt(hidden_size)."""
        _uniform_(self.parameters(), self.hidden_size, generator)

    def flatten_parameters(self) -> None:
        """Accepted for compatibility; the weights are always used as they are."""

    @property
    def all_weights(self) -> list:
        return [[getattr(self, n) for n in names] for names in self._names]

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if not self.bias:
            s += ", bias=False"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s

    def _label(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"

    # --- checks ---------------------------------------------------------------------
    def _check_input(self, x: Tensor) -> None:
        I = self.input_size
        if x.ndim not in (2, 3) or x.shape[-1] != I:
            layout = "(N, T, {0})" if self.batch_first else "(T, N, {0})"
            raise ValueError(
                f"{self._label()}: expected input of shape {layout.format(I)} or (T, {I}) "
                f"unbatched, got {tuple(x.shape)}"
            )
        t_dim = 1 if self.batch_first and x.ndim == 3 else 0
        if x.shape[t_dim] == 0:  # PyTorch's words: h_n of an empty sequence is undefined
            raise RuntimeError(f"{self._label()}: Expected sequence length to be larger than 0 "
                               f"in RNN, got input of shape {tuple(x.shape)}")
        w = self.weight_ih_l0
        if x.dtype != w.dtype:
            raise TypeError(
                f"{self._label()}: input dtype {x.dtype} does not match the layer's "
                f"{w.dtype}; convert the input (x.to({w.dtype.name})) or the layer "
                f"(.to({x.dtype.name}))"
            )

    def _check_state(self, name: str, state, expected: tuple):
        if state is None:
            return None
        if not isinstance(state, Tensor):
            state = Tensor(state)
        if tuple(state.shape) != expected:
            raise ValueError(
                f"{self._label()}: expected {name} of shape {expected}, "
                f"got {tuple(state.shape)}"
            )
        w = self.weight_hh_l0
        if state.dtype != w.dtype:
            raise TypeError(
                f"{self._label()}: {name} dtype {state.dtype} does not match the layer's "
                f"{w.dtype}"
            )
        return state

    def _split_hx(self, hx):
        """(h0, c0) from the user's ``hx`` (a tuple for LSTM, one tensor otherwise)."""
        if self.mode == "LSTM":
            if hx is None:
                return None, None
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{self._label()}: hx must be a tuple (h_0, c_0)")
            return hx[0], hx[1]
        if isinstance(hx, (tuple, list)):
            raise TypeError(f"{self._label()}: hx must be one tensor h_0, got a tuple")
        return hx, None

    # --- forward --------------------------------------------------------------------
    def forward(self, input, hx=None, lengths=None):  # noqa: A002 - PyTorch's name
        """Run the whole sequence.

        ``input``: ``(T, N, input_size)`` (``(N, T, input_size)`` with ``batch_first``),
        ``(T, input_size)`` unbatched, or a :class:`PackedSequence`. ``hx``: ``h_0``
        ``(num_layers * D, N, H)`` (``(num_layers * D, H)`` unbatched), for LSTM a
        tuple ``(h_0, c_0)``; zeros when omitted. ``lengths`` ``(N,)``: the valid steps
        of each padded sequence (any order); padded steps then change neither the
        outputs nor the final states, and outputs there are zero.

        Returns ``(output, h_n)`` (LSTM: ``(output, (h_n, c_n))``); ``output`` has the
        input's layout with ``D * H`` features (a PackedSequence for packed input),
        ``h_n``/``c_n`` ``(num_layers * D, N, H)``.
        """
        h0, c0 = self._split_hx(hx)
        if isinstance(input, PackedSequence):
            if lengths is not None:
                raise ValueError(f"{self._label()}: lengths= cannot be combined with a "
                                 f"PackedSequence (it carries its own lengths)")
            return self._forward_packed(input, h0, c0)
        if not isinstance(input, Tensor):
            input = Tensor(input)
        self._check_input(input)
        unbatched = input.ndim == 2
        if unbatched:
            input = input.unsqueeze(1 if not self.batch_first else 0)
            h0 = None if h0 is None else self._unbatched_state("h_0", h0).unsqueeze(1)
            c0 = None if c0 is None else self._unbatched_state("c_0", c0).unsqueeze(1)
        if lengths is not None:
            T = input.shape[1] if self.batch_first else input.shape[0]
            packed = pack_padded_sequence(input, lengths, self.batch_first, enforce_sorted=False)
            out, hn, cn = self._forward_packed(packed, h0, c0, wrap=False)
            out, _ = pad_packed_sequence(out, self.batch_first, total_length=T)
        else:
            x = input.transpose(0, 1) if self.batch_first else input
            T, N = x.shape[0], x.shape[1]
            data = x.reshape(T * N, self.input_size)
            y, hn, cn = self._run(data, (N,) * T, h0, c0, N)
            out = y.reshape(T, N, y.shape[-1])
            if self.batch_first:
                out = out.transpose(0, 1)
        if unbatched:
            out = out.squeeze(1 if not self.batch_first else 0)
            hn = hn.squeeze(1)
            cn = None if cn is None else cn.squeeze(1)
        return (out, (hn, cn)) if self.mode == "LSTM" else (out, hn)

    def _unbatched_state(self, name: str, s):
        s = s if isinstance(s, Tensor) else Tensor(s)
        D = 2 if self.bidirectional else 1
        expected = (self.num_layers * D, self.hidden_size)
        if tuple(s.shape) != expected:
            raise ValueError(
                f"{self._label()}: for unbatched input expected {name} of shape {expected}, "
                f"got {tuple(s.shape)}"
            )
        return s

    def _forward_packed(self, packed: PackedSequence, h0, c0, wrap: bool = True):
        data = packed.data
        if data.ndim != 2 or data.shape[1] != self.input_size:
            raise ValueError(
                f"{self._label()}: expected packed data of shape (S, {self.input_size}), "
                f"got {tuple(data.shape)}"
            )
        self._check_input(data)
        bs = packed.batch_sizes_tuple()
        N = bs[0]
        order, unorder = packed.sorted_indices, packed.unsorted_indices
        if order is not None:
            D = 2 if self.bidirectional else 1
            expected = (self.num_layers * D, N, self.hidden_size)
            h0 = self._check_state("h_0", h0, expected)
            c0 = self._check_state("c_0", c0, expected)
            h0 = None if h0 is None else h0[:, order.data]
            c0 = None if c0 is None else c0[:, order.data]
        y, hn, cn = self._run(data, bs, h0, c0, N)
        if unorder is not None:
            hn = hn[:, unorder.data]
            cn = None if cn is None else cn[:, unorder.data]
        out = PackedSequence(y, packed.batch_sizes, order, unorder)
        if not wrap:
            return out, hn, cn
        return (out, (hn, cn)) if self.mode == "LSTM" else (out, hn)

    def _run(self, data: Tensor, batch_sizes: tuple, h0, c0, N: int):
        """All layers and directions over packed rows ``(S, I)`` -> ``(S, D·H)``,
        ``h_n`` and ``c_n`` ``(L·D, N, H)``."""
        D = 2 if self.bidirectional else 1
        expected = (self.num_layers * D, N, self.hidden_size)
        h0 = self._check_state("h_0", h0, expected)
        c0 = self._check_state("c_0", c0, expected) if self.mode == "LSTM" else None
        x = data
        hs, cs = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(D):
                k = layer * D + d
                params = [getattr(self, n) for n in self._names[k]]
                if not self.bias:
                    params += [None, None]
                y, hn, cn = rnn_layer(
                    self.mode, x, None if h0 is None else h0[k], None if c0 is None else c0[k],
                    *params, batch_sizes=batch_sizes, reverse=bool(d),
                )
                outs.append(y)
                hs.append(hn)
                cs.append(cn)
            x = outs[0] if D == 1 else cat(outs, 1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = _dropout(x, self.dropout)
        hn = hs[0].unsqueeze(0) if len(hs) == 1 else stack(hs, 0)
        cn = None
        if self.mode == "LSTM":
            cn = cs[0].unsqueeze(0) if len(cs) == 1 else stack(cs, 0)
        return x, hn, cn


class RNN(RNNBase):
    """Elman RNN: ``h_t = tanh(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh)`` (or relu).

    ``(T, N, input_size) -> (T, N, D·hidden_size), (num_layers·D, N, hidden_size)``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 nonlinearity: str = "tanh", bias: bool = True, batch_first: bool = False,
                 dropout: float = 0.0, bidirectional: bool = False, dtype=None,
                 generator=None) -> None:
        super().__init__(_rnn_mode(nonlinearity), input_size, hidden_size, num_layers, bias,
                         batch_first, dropout, bidirectional, dtype, generator)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory: a cell state ``c`` guarded by input, forget and output gates.

    ``i, f, o = σ(·)``, ``g = tanh(·)`` of ``W_ih x_t + b_ih + W_hh h_{t-1} + b_hh``
    (rows in that order: i, f, g, o); ``c_t = f c_{t-1} + i g``; ``h_t = o tanh(c_t)``.
    ``(T, N, input_size) -> (T, N, D·H), ((L·D, N, H), (L·D, N, H))``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, proj_size: int = 0, dtype=None,
                 generator=None) -> None:
        if proj_size:
            raise NotImplementedError("LSTM: proj_size > 0 is not supported")
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, dtype, generator)


class GRU(RNNBase):
    """Gated recurrent unit: reset gate r, update gate z, candidate n (rows r, z, n).

    ``n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))``, ``h' = (1 - z) n + z h``.
    ``(T, N, input_size) -> (T, N, D·H), (L·D, N, H)``.
    """

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1,
                 bias: bool = True, batch_first: bool = False, dropout: float = 0.0,
                 bidirectional: bool = False, dtype=None, generator=None) -> None:
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, dtype, generator)


# --- cells -----------------------------------------------------------------------------


class RNNCellBase(Module):
    """One time step of a recurrent layer: parameters ``weight_ih``, ``weight_hh``,
    ``bias_ih``, ``bias_hh`` shaped as in the sequence layers."""

    def __init__(self, mode: str, input_size: int, hidden_size: int, bias: bool = True,
                 dtype=None, generator=None) -> None:
        super().__init__()
        self.mode = mode
        self.input_size = _check_size("input_size", input_size)
        self.hidden_size = _check_size("hidden_size", hidden_size)
        self.bias = bool(bias)
        G, H = _GATES[mode], self.hidden_size
        dt = np.dtype(DEFAULT_FLOAT if dtype is None else dtype)
        self.weight_ih = Parameter(xp.empty((G * H, self.input_size), dt))
        self.weight_hh = Parameter(xp.empty((G * H, H), dt))
        if self.bias:
            self.bias_ih = Parameter(xp.empty((G * H,), dt))
            self.bias_hh = Parameter(xp.empty((G * H,), dt))
        else:
            self.bias_ih = None
            self.bias_hh = None
        self.reset_parameters(generator)

    def reset_parameters(self, generator=None) -> None:
        _uniform_(self.parameters(), self.hidden_size, generator)

    def extra_repr(self) -> str:
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if self.mode == "RNN_RELU":
            s += ", nonlinearity='relu'"
        return s

    def _step(self, input, h0, c0):
        if not isinstance(input, Tensor):
            input = Tensor(input)
        label = f"{type(self).__name__}({self.extra_repr()})"
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(
                f"{label}: expected input of shape (N, {self.input_size}) or "
                f"({self.input_size},), got {tuple(input.shape)}"
            )
        if input.dtype != self.weight_ih.dtype:
            raise TypeError(f"{label}: input dtype {input.dtype} does not match the layer's "
                            f"{self.weight_ih.dtype}")
        unbatched = input.ndim == 1
        x = input.unsqueeze(0) if unbatched else input
        N = x.shape[0]
        states = []
        for name, s in (("h_0", h0), ("c_0", c0)):
            if s is not None:
                s = s if isinstance(s, Tensor) else Tensor(s)
                expected = (self.hidden_size,) if unbatched else (N, self.hidden_size)
                if tuple(s.shape) != expected:
                    raise ValueError(f"{label}: expected {name} of shape {expected}, "
                                     f"got {tuple(s.shape)}")
                if unbatched:
                    s = s.unsqueeze(0)
            states.append(s)
        _, h, c = rnn_layer(self.mode, x, states[0], states[1], self.weight_ih, self.weight_hh,
                            self.bias_ih, self.bias_hh, batch_sizes=(N,))
        if unbatched:
            h = h.squeeze(0)
            c = None if c is None else c.squeeze(0)
        return h, c


class RNNCell(RNNCellBase):
    """``h' = tanh(W_ih x + b_ih + W_hh h + b_hh)`` (or relu): ``(N, I), (N, H) -> (N, H)``."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True,
                 nonlinearity: str = "tanh", dtype=None, generator=None) -> None:
        super().__init__(_rnn_mode(nonlinearity), input_size, hidden_size, bias, dtype,
                         generator)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):  # noqa: A002
        return self._step(input, hx, None)[0]


class LSTMCell(RNNCellBase):
    """One LSTM step: ``(N, I), ((N, H), (N, H)) -> (h', c')`` (gates i, f, g, o)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype=None,
                 generator=None) -> None:
        super().__init__("LSTM", input_size, hidden_size, bias, dtype, generator)

    def forward(self, input, hx=None):  # noqa: A002
        if hx is None:
            h0 = c0 = None
        elif isinstance(hx, (tuple, list)) and len(hx) == 2:
            h0, c0 = hx
        else:
            raise TypeError("LSTMCell: hx must be a tuple (h_0, c_0)")
        return self._step(input, h0, c0)


class GRUCell(RNNCellBase):
    """One GRU step: ``(N, I), (N, H) -> (N, H)`` (gates r, z, n)."""

    def __init__(self, input_size: int, hidden_size: int, bias: bool = True, dtype=None,
                 generator=None) -> None:
        super().__init__("GRU", input_size, hidden_size, bias, dtype, generator)

    def forward(self, input, hx=None):  # noqa: A002
        return self._step(input, hx, None)[0]
