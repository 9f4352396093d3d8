"""The fused linear map ``y = x Wᵀ + b`` (``nn.Linear`` and ``F.linear``)."""

from __future__ import annotations

from ..autograd import Function, Local
from ..backend import sum_first
from ..tensor import Tensor
from ._registry import op
from ._util import check_dtypes, operand

__all__ = ["linear"]


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
        # one test on the happy path; _check says what is wrong (an inner size that
        # differs makes dot raise, caught below)
        if W.ndim != 2 or not x.ndim or x.dtype is not W.dtype or (
                b is not None and (b.dtype is not W.dtype or b.shape != W.shape[:1])):
            _check(x, W, b)
        self.x, self.W = x, W
        try:
            if x.ndim > 2:  # BLAS runs on 2-D operands only: (*, in) -> (rows, in)
                y = x.reshape(-1, x.shape[-1]).dot(W.T).reshape(x.shape[:-1] + W.shape[:1])
            else:
                y = x.dot(W.T)  # the method: np.dot's result without its dispatch wrapper
        except ValueError:
            _check(x, W, b)
            raise
        if b is not None:
            y += b  # same dtype, shape (out,): adds in place
        return y

    def backward(self, gy):
        x, W = self.x, self.W
        # needs_input_grad, inlined: this op is on every small network's hot path.
        tx, tW, tb = self.parents
        gx = gW = gb = None
        if isinstance(tx, Tensor) and tx.requires_grad:
            if gy.ndim > 2:
                gx = gy.reshape(-1, gy.shape[-1]).dot(W).reshape(gy.shape[:-1] + W.shape[1:])
            else:
                gx = gy.dot(W)
        need_W = isinstance(tW, Tensor) and tW.requires_grad
        need_b = isinstance(tb, Tensor) and tb.requires_grad
        if need_W or need_b:
            if gy.ndim != 2:
                gy = gy.reshape(-1, W.shape[0])
                x = x.reshape(-1, W.shape[1])
            if need_W:
                gW = gy.T.dot(x)
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
    return LinearOp.apply(input, weight, bias)  # forward checks shapes and dtypes


def _check(x, W, b) -> None:
    """Raise the error that names what is wrong with linear's operands, if anything is."""
    if W.ndim != 2:
        raise ValueError(f"linear: weight must be 2-D (out_features, in_features), "
                         f"got {W.shape}")
    if x.shape[-1:] != W.shape[1:]:
        raise ValueError(
            f"linear: input of shape {x.shape} does not match weight of shape {W.shape}: "
            f"expected input shape (*, {W.shape[1]})"
        )
    if b is not None and b.shape != W.shape[:1]:
        raise ValueError(f"linear: bias must have shape ({W.shape[0]},), got {b.shape}")
    check_dtypes("linear", x, weight=W, bias=b)
