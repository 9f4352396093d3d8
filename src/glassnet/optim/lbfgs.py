"""L-BFGS, limited-memory quasi-Newton minimisation (Nocedal, 1980; Liu and Nocedal, 1989),
with an optional strong-Wolfe line search (Nocedal and Wright, algorithms 3.5 and 3.6)."""

from __future__ import annotations

import math

import numpy as np

from ..tensor import Tensor
from .optimizer import Optimizer, counts_own_writes, write_epoch

__all__ = ["LBFGS"]


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None) -> float:
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1 and g2,
    clipped to ``bounds`` (default: between x1 and x2); their midpoint when the cubic has
    no minimum."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 * d1 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = math.sqrt(d2_square)
    if x1 <= x2:
        x = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        x = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(x, lo), hi)


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """A step t along d with sufficient decrease (f(t) <= f + c1 t gtd) and a flat enough
    slope (|g(t)·d| <= c2 |gtd|): grow t by cubic extrapolation until an interval brackets
    such a step, then shrink the bracket by cubic interpolation ("zoom").
    ``evaluate(t)`` gives (loss, flat gradient) at θ + t d. Returns (f, g, t, evaluations)."""
    d_norm = float(np.abs(d).max())
    f_new, g_new = evaluate(t)
    evals = 1
    gtd_new = float(g_new @ d)
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    # Bracketing: each entry is (step, loss, gradient, slope).
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new, gtd_new]]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket = [[t, f_new, g_new, gtd_new]]
            done = True
            break
        if gtd_new >= 0:
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new, gtd_new]]
            break
        # extrapolate, at least 1% beyond t and at most 10 t
        t_next = _cubic_minimum(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket = [[0.0, f, g, None], [t, f_new, g_new, None]]

    # Zoom: keep `low` the end with the lower loss.
    insuf_progress = False
    low, high = (0, 1) if bracket[0][1] <= bracket[-1][1] else (1, 0)
    while not done and ls_iter < max_ls:
        (a, fa, _, ga), (b, fb, _, gb) = bracket
        if abs(b - a) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(a, fa, ga, b, fb, gb)
        # A step too close to an end of the bracket makes little progress: the second
        # time in a row (or when outside), move it to 10% of the bracket from that end.
        top, bottom = max(a, b), min(a, b)
        eps = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < eps:
            if insuf_progress or t >= top or t <= bottom:
                t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False
        f_new, g_new = evaluate(t)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
        if f_new > f + c1 * t * gtd or f_new >= bracket[low][1]:
            bracket[high] = [t, f_new, g_new, gtd_new]
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high][0] - bracket[low][0]) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = [t, f_new, g_new, gtd_new]
    t, f_new, g_new, _ = bracket[low]
    return f_new, g_new, t, evals


class LBFGS(Optimizer):
    """Limited-memory BFGS, PyTorch's algorithm. One ``step(closure)`` runs up to
    ``max_iter`` iterations (``max_eval`` loss evaluations) on all parameters as one flat
    vector θ, with gradient g:

    d = -H g, where H applies the inverse-Hessian estimate from the last ``history_size``
    pairs s = Δθ, y = Δg (two-loop recursion, H₀ = (s·y / y·y) I; a pair is kept when
    s·y > 1e-10);  θ ← θ + t d, with t = lr (on the very first iteration
    min(1, 1 / Σ|g|) · lr), or the step found by the strong-Wolfe line search when
    ``line_search_fn="strong_wolfe"``.

    It stops early when max |g| <= ``tolerance_grad``, or when the step or the loss change
    is below ``tolerance_change``. ``closure`` must zero the gradients, compute the loss,
    call ``backward()`` and return the loss; ``step`` returns the loss of its first
    evaluation. One parameter group only, as in PyTorch.
    """

    def __init__(self, params, lr: float = 1, max_iter: int = 20, max_eval: int | None = None,
                 tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,
                 history_size: int = 100, line_search_fn: str | None = None) -> None:
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        self._params = self.param_groups[0]["params"]

    def add_param_group(self, param_group: dict) -> None:
        if self.param_groups:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        super().add_param_group(param_group)

    def _validate(self, group: dict) -> None:
        super()._validate(group)
        for name in ("max_iter", "max_eval", "history_size"):
            v = group[name]
            if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) \
                    or not v >= 1 or (name == "history_size" and v != int(v)):
                raise ValueError(f"LBFGS: {name} must be a positive integer, got {v!r}")
        if group["line_search_fn"] not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got "
                             f"{group['line_search_fn']!r}")

    # --- the parameters as one flat vector ----------------------------------------------
    def _flat_grad(self) -> np.ndarray:
        return np.concatenate([p.grad.data.ravel() if p.grad is not None
                               else np.zeros(p.data.size, p.data.dtype) for p in self._params])

    def _written(self) -> None:
        w = write_epoch(self._params)  # in place, as in PyTorch: bump the versions
        for p in self._params:
            p._version += 1
            p._wepoch = w

    def _add_grad(self, t: float, d: np.ndarray) -> None:
        """θ ← θ + t d."""
        offset = 0
        for p in self._params:
            n = p.data.size
            p.data += t * d[offset:offset + n].reshape(p.data.shape)
            offset += n
        self._written()

    def _set_params(self, arrays) -> None:
        for p, a in zip(self._params, arrays):
            np.copyto(p.data, a)
        self._written()

    def _evaluate(self, closure) -> tuple[object, float, np.ndarray]:
        loss = self._closure(closure)
        if loss is None:
            raise TypeError("LBFGS: the closure returned None; it must return the loss")
        if all(p.grad is None for p in self._params):
            raise RuntimeError("LBFGS: no parameter has a gradient after the closure ran; "
                               "the closure must call loss.backward() before returning the "
                               "loss")
        return loss, float(loss), self._flat_grad()

    @counts_own_writes
    def step(self, closure=None):
        if closure is None or not callable(closure):
            raise TypeError("LBFGS.step needs a closure: a function that zeroes the "
                            "gradients, computes the loss, calls loss.backward() and returns "
                            "the loss (LBFGS evaluates the model several times per step)")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        history_size = group["history_size"]
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss, loss, flat_grad = self._evaluate(closure)
        evals = 1
        state["func_evals"] += 1
        if np.abs(flat_grad).max() <= tol_grad:
            return orig_loss

        d, t = state.get("d"), state.get("t")
        old_dirs, old_stps, ro = state.get("old_dirs"), state.get("old_stps"), state.get("ro")
        H_diag, prev_flat_grad = state.get("H_diag"), state.get("prev_flat_grad")
        prev_loss = state.get("prev_loss")
        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                H_diag = 1.0
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = float(y @ s)
                if ys > 1e-10:  # keep the pair only where the curvature is positive
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    H_diag = ys / float(y @ y)
                # two-loop recursion: d = -H g
                k = len(old_dirs)
                al = [0.0] * k
                q = -flat_grad
                for i in range(k - 1, -1, -1):
                    al[i] = float(old_stps[i] @ q) * ro[i]
                    q -= al[i] * old_dirs[i]
                d = r = q * H_diag
                for i in range(k):
                    be_i = float(old_dirs[i] @ r) * ro[i]
                    r += (al[i] - be_i) * old_stps[i]
            prev_flat_grad = flat_grad.copy()
            prev_loss = loss
            t = min(1.0, 1.0 / float(np.abs(flat_grad).sum())) * lr if state["n_iter"] == 1 \
                else lr
            gtd = float(flat_grad @ d)
            if gtd > -tol_change:  # not a descent direction
                break

            ls_evals = 0
            if group["line_search_fn"] is not None:
                x0 = [p.data.copy() for p in self._params]

                def evaluate(step_t, d=d, x0=x0):
                    self._add_grad(step_t, d)
                    _, f_t, g_t = self._evaluate(closure)
                    self._set_params(x0)
                    return f_t, g_t

                loss, flat_grad, t, ls_evals = _strong_wolfe(
                    evaluate, t, d, loss, flat_grad, gtd, max_ls=max_eval - evals)
                self._add_grad(t, d)
                opt_cond = np.abs(flat_grad).max() <= tol_grad
            else:
                self._add_grad(t, d)
                opt_cond = False
                if n_iter != max_iter:  # re-evaluate, unless this was the last iteration
                    _, loss, flat_grad = self._evaluate(closure)
                    opt_cond = np.abs(flat_grad).max() <= tol_grad
                    ls_evals = 1
            evals += ls_evals
            state["func_evals"] += ls_evals

            if n_iter == max_iter or evals >= max_eval or opt_cond:
                break
            if np.abs(d * t).max() <= tol_change or abs(loss - prev_loss) < tol_change:
                break

        state.update(d=d, t=t, old_dirs=old_dirs, old_stps=old_stps, ro=ro, H_diag=H_diag,
                     prev_flat_grad=prev_flat_grad, prev_loss=prev_loss)
        return orig_loss

    # --- state: flat vectors, not shaped like a parameter ---------------------------------
    def state_dict(self) -> dict:
        """As :meth:`Optimizer.state_dict`; the state (under parameter 0, as in PyTorch)
        holds flat vectors and the history as lists of them, all copies."""
        sd = super().state_dict()
        for entry in sd["state"].values():
            for k, v in entry.items():
                if isinstance(v, list):
                    entry[k] = [a.copy() if isinstance(a, np.ndarray) else a for a in v]
        return sd

    def load_state_dict(self, state_dict: dict) -> None:
        if not isinstance(state_dict, dict) or not isinstance(state_dict.get("state"), dict):
            return super().load_state_dict(state_dict)  # its error names the problem
        saved = state_dict["state"]
        super().load_state_dict({**state_dict, "state": {}})
        entry = next((s for k, s in saved.items() if int(k) == 0), None)
        self.state = {} if entry is None else {self._params[0]: self._restore(entry)}

    def _restore(self, entry: dict) -> dict:
        n = sum(p.data.size for p in self._params)
        dtype = np.result_type(*(p.data.dtype for p in self._params))

        def vector(k, v):
            if isinstance(v, Tensor):
                v = v.data
            if isinstance(v, (np.ndarray, np.generic)) and np.ndim(v) == 0:
                return v.item()
            if not isinstance(v, np.ndarray):
                return v
            if v.shape != (n,):
                raise ValueError(f"LBFGS.load_state_dict: state {k!r} has shape {v.shape}, "
                                 f"expected ({n},) (all parameters as one flat vector)")
            return v.astype(dtype)

        return {k: [vector(k, a) for a in v] if isinstance(v, (list, tuple)) else vector(k, v)
                for k, v in entry.items()}
