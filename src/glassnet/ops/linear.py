"""The fused linear map ``y = x Wᵀ + b`` (``nn.Linear`` and ``F.linear``)."""

from __future__ import annotations

from ..autograd import Function, Local
from ..backend import sum_first, xp
from ..tensor import Tensor
from ._registry import op
from ._util import check_dtypes, operand

__all__ = ["linear"]


_dot = xp.dot


class LinearOp(Function):
    """y = x Wᵀ + b, one op: ``(*, in) , (out, in) , (out,) -> (*, out)``.

    gx = gy W, gW = gyᵀ x (leading dims flattened), gb = Σ gy over the leading dims.
    """

    name = "linear"

    def local(self, slot, n_in, n_out):
        # y[…, m] = Σ_k x[…, k] W[m, k] + b[m]
        if slot == 0:
            return Local(1.0, "{0}", (("elem", 1, "m, k", lambda o, i: (o[-1], i[-1])),),
                         at="pair")
        if slot == 1:
            return Local(1.0, "{0}", (("elem", 0, "…, k", lambda o, i: o[:-1] + (i[-1],)),),
                         at="pair")
        return Local(1.0)

    def forward(self, x, W, b):
        self.x, self.W = x, W
        if x.ndim > 2:  # np.dot runs BLAS on 2-D operands only: (*, in) -> (rows, in)
            y = _dot(x.reshape(-1, x.shape[-1]), W.T).reshape(x.shape[:-1] + W.shape[:1])
        else:
            y = _dot(x, W.T)  # np.dot: matmul's result, less call overhead on small arrays
        if b is not None:
            if y.dtype == b.dtype and y.ndim:
                y += b
            else:
                y = y + b
        return y

    def backward(self, gy):
        x, W = self.x, self.W
        # needs_input_grad, inlined: this op is on every small network's hot path.
        tx, tW, tb = self.parents
        gx = gW = gb = None
        if isinstance(tx, Tensor) and tx.requires_grad:
            if gy.ndim > 2:
                gx = _dot(gy.reshape(-1, gy.shape[-1]), W).reshape(gy.shape[:-1] + W.shape[1:])
            else:
                gx = _dot(gy, W)
        need_W = isinstance(tW, Tensor) and tW.requires_grad
        need_b = isinstance(tb, Tensor) and tb.requires_grad
        if need_W or need_b:
            if gy.ndim != 2:
                gy = gy.reshape(-1, W.shape[0])
                x = x.reshape(-1, W.shape[1])
            if need_W:
                gW = _dot(gy.T, x)
            if need_b:
                gb = sum_first(gy)
        return gx, gW, gb


@op(method=False, top=False, functional=True, records=LinearOp)
def linear(input, weight, bias=None) -> Tensor:  # noqa: A002
    """``input @ weight.T + bias``: ``(*, in_features) -> (*, out_features)``.

    ``weight`` has shape ``(out_features, in_features)`` and ``bias`` ``(out_features,)``,
    as in PyTorch.
    """
    if not isinstance(weight, Tensor):
        weight = Tensor(weight)
    if bias is not None and not isinstance(bias, Tensor):
        bias = Tensor(bias)
    if not isinstance(input, Tensor):
        input = Tensor(operand(input, weight))
    ws, xs = weight.data.shape, input.data.shape
    if len(ws) != 2 or not xs or xs[-1] != ws[1] or (bias is not None
                                                     and bias.data.shape != ws[:1]):
        if len(ws) != 2:
            raise ValueError(f"linear: weight must be 2-D (out_features, in_features), "
                             f"got {ws}")
        if not xs or xs[-1] != ws[1]:
            raise ValueError(
                f"linear: input of shape {tuple(xs)} does not match weight of shape "
                f"{tuple(ws)}: expected input shape (*, {ws[1]})"
            )
        raise ValueError(f"linear: bias must have shape ({ws[0]},), got {tuple(bias.shape)}")
    if input.data.dtype is not weight.data.dtype:
        check_dtypes("linear", input, weight=weight, bias=bias)
    return LinearOp.apply(input, weight, bias)
