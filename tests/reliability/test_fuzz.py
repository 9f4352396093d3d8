"""Property-based fuzzing: random compositions of ops run in glassnet and in PyTorch on the
same float64 inputs must agree, forward and backward. Hypothesis draws a small program
(a few unary, binary, reduction and shape ops over two inputs with broadcastable shapes);
the example count is bounded and derandomized so the run is short and repeatable."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn

hypothesis = pytest.importorskip("hypothesis")
st = hypothesis.strategies

EXAMPLES = 150
COUNT = {"run": 0}

# name -> (glassnet fn, torch fn): smooth on the whole real line (domains made safe)
UNARY = {
    "exp": (lambda x: (x * 0.5).exp(), lambda x: (x * 0.5).exp()),
    "tanh": (lambda x: x.tanh(), lambda x: x.tanh()),
    "sigmoid": (lambda x: x.sigmoid(), lambda x: x.sigmoid()),
    "sin": (lambda x: x.sin(), lambda x: x.sin()),
    "cos": (lambda x: x.cos(), lambda x: x.cos()),
    "neg": (lambda x: -x, lambda x: -x),
    "square": (lambda x: x * x, lambda x: x * x),
    "softplus": (lambda x: x.softplus(), lambda x: __import__("torch").nn.functional.softplus(x)),
    "log1p_sq": (lambda x: (x * x + 1).log(), lambda x: (x * x + 1).log()),
    "sqrt_sq": (lambda x: (x * x + 1).sqrt(), lambda x: (x * x + 1).sqrt()),
    "pow1.5": (lambda x: (x * x + 1) ** 1.5, lambda x: (x * x + 1) ** 1.5),
    "scale": (lambda x: 3.0 - x * 2.0, lambda x: 3.0 - x * 2.0),
    "rsub": (lambda x: 1.0 / (x * x + 1.0), lambda x: 1.0 / (x * x + 1.0)),
}
BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / (b * b + 1), lambda a, b: a / (b * b + 1)),
}


def _dim(draw, ndim):
    return draw(st.integers(-ndim, ndim - 1))


@st.composite
def programs(draw):
    """(shapes of the two inputs, list of steps); a step names its op and operands."""
    base = draw(st.sampled_from([(3, 4), (2, 3, 4), (5,), (4, 1)]))
    other = draw(st.sampled_from([base, base[-1:], (1,) * len(base), ()]
                                 + ([base[:-1] + (1,)] if len(base) > 1 else [])))
    steps = []
    shapes = [base, other]
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["unary", "binary", "reduce", "softmax", "shape"]))
        i = draw(st.integers(0, len(shapes) - 1))
        s = shapes[i]
        if kind == "unary":
            steps.append(("unary", draw(st.sampled_from(sorted(UNARY))), i))
        elif kind == "binary":
            j = draw(st.integers(0, len(shapes) - 1))
            try:
                out = np.broadcast_shapes(s, shapes[j])
            except ValueError:
                continue
            steps.append(("binary", draw(st.sampled_from(sorted(BINARY))), i, j))
            shapes.append(out)
            continue
        elif kind == "reduce" and s:
            op = draw(st.sampled_from(["sum", "mean", "logsumexp", "amax", "var"]))
            d = _dim(draw, len(s))
            if op == "var" and s[d] < 2:
                op = "sum"
            keep = draw(st.booleans())
            steps.append(("reduce", op, i, d, keep))
            out = list(s)
            if keep:
                out[d] = 1
            else:
                del out[d]
            shapes.append(tuple(out))
            continue
        elif kind == "softmax" and s:
            steps.append(("softmax", draw(st.sampled_from(["softmax", "log_softmax"])), i,
                          _dim(draw, len(s))))
        elif kind == "shape" and len(s) >= 2:
            op = draw(st.sampled_from(["t", "flat", "unsqueeze", "slice"]))
            steps.append(("shape", op, i))
            if op == "t":
                shapes.append(s[:-2] + (s[-1], s[-2]))
            elif op == "flat":
                shapes.append((int(np.prod(s)),))
            elif op == "unsqueeze":
                shapes.append((1,) + s)
            else:
                shapes.append(((s[0] + 1) // 2,) + s[1:])
            continue
        else:
            continue
        shapes.append(s)
    return base, other, steps


def run(program, leaves, lib):
    import torch

    values = list(leaves)
    for step in program:
        kind, op, i = step[:3]
        x = values[i]
        if kind == "unary":
            y = UNARY[op][lib](x)
        elif kind == "binary":
            y = BINARY[op][lib](x, values[step[3]])
        elif kind == "reduce":
            d, keep = step[3], step[4]
            if op == "var":
                y = x.var(dim=d, keepdim=keep)
            elif op == "amax":
                y = x.amax(dim=d, keepdim=keep)
            elif op == "logsumexp":
                y = x.logsumexp(dim=d, keepdim=keep)
            else:
                y = getattr(x, op)(dim=d, keepdim=keep)
        elif kind == "softmax":
            y = getattr(x, op)(dim=step[3]) if lib == 0 else getattr(torch, op)(x, dim=step[3])
        else:
            if op == "t":
                y = x.transpose(-1, -2)
            elif op == "flat":
                y = x.reshape(-1)
            elif op == "unsqueeze":
                y = x.unsqueeze(0)
            else:
                y = x[::2]
        values.append(y)
    # every value feeds the loss, each weighted differently so no gradient cancels
    loss = 0
    for k, v in enumerate(values[2:] or values):
        loss = loss + (v * (0.5 + 0.25 * k)).sum()
    return values[-1], loss


@hypothesis.settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                     suppress_health_check=list(hypothesis.HealthCheck))
@hypothesis.given(programs(), st.integers(0, 2**31 - 1))
def test_random_op_compositions_match_pytorch(torch, prog, seed):
    base, other, steps = prog
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal(base), rng.standard_normal(other)]
    g = [gn.tensor(a, dtype=np.float64, requires_grad=True) for a in arrays]
    t = [torch.tensor(a, dtype=torch.float64, requires_grad=True) for a in arrays]
    gout, gloss = run(steps, g, 0)
    tout, tloss = run(steps, t, 1)
    np.testing.assert_allclose(np.asarray(gout.detach().numpy()), tout.detach().numpy(),
                               rtol=1e-9, atol=1e-12, err_msg=f"forward of {steps}")
    if not isinstance(tloss, int):
        gloss.backward()
        tloss.backward()
        for k, (a, b) in enumerate(zip(g, t)):
            expected = np.zeros(arrays[k].shape) if b.grad is None else b.grad.numpy()
            actual = np.zeros(arrays[k].shape) if a.grad is None else a.grad.numpy()
            np.testing.assert_allclose(actual, expected, rtol=1e-8, atol=1e-10,
                                       err_msg=f"gradient of input {k} through {steps}")
    COUNT["run"] += 1


def test_fuzz_figures(torch):
    """Prints how many fuzz cases ran (run with -s after the fuzz test)."""
    if not COUNT["run"]:
        pytest.skip("always: needs the fuzz test of this module to have run first")
    print(f"\nfuzz: {COUNT['run']} random op compositions matched PyTorch forward and "
          f"backward (float64)")
    assert COUNT["run"] >= EXAMPLES // 2
