"""Training loop: :func:`fit` / :class:`Trainer`, callbacks, history and checkpoints.

>>> history = gn.fit(model, (X_train, y_train), loss_fn=F.cross_entropy,
...                  optimizer=gn.optim.Adam(model.parameters(), lr=1e-2),
...                  epochs=50, batch_size=32, val_data=(X_val, y_val),
...                  early_stopping=dict(patience=5), checkpoint="run.ckpt")
>>> history["val_accuracy"][-1]

The :class:`Trainer` runs the loop; everything around it is a :class:`Callback`. One
epoch: for every batch ``zero_grad -> forward -> loss -> backward -> clip -> step``, then
validation (``eval()`` mode, no graph), the learning-rate scheduler (a
``ReduceLROnPlateau`` steps on the monitored value), the history, and the callbacks'
``on_epoch_end``. What ``fit``'s arguments switch on are built-in callbacks, added after
the user's in this order: :class:`EarlyStopping` (``early_stopping=``),
:class:`NonFinitePolicy` (``on_nonfinite=``: a NaN or infinite loss stops training with
an error naming the epoch and batch before that batch touches the weights; ``"skip"``
drops such batches, ``"continue"`` trains on them with a warning), :class:`ProgressBar`
(``progress=``) and :class:`ModelCheckpoint` (``checkpoint=``), last, so a checkpoint
holds the others' state after the epoch.

With ``distributed=True`` (or inside an initialised ``gn.distributed`` world of more
than one rank) each rank trains on its shard of the data through a
``DistributedDataParallel`` wrapper; the logged values are reduced over the ranks, so
every rank takes the same early-stopping and scheduler decisions, and only rank 0 shows
the progress bar and writes checkpoints.
"""

from __future__ import annotations

import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Iterable

import numpy as np

from . import metrics as _metrics
from .autograd import no_grad
from .data.dataset import Dataset, Subset, TensorDataset
from .data.loader import DataLoader
from .random import Generator
from .tensor import Tensor

__all__ = [
    "fit", "evaluate", "Trainer", "History", "Callback", "EarlyStopping", "LambdaCallback",
    "ModelCheckpoint", "NonFiniteLossError", "NonFinitePolicy", "ProgressBar",
]


class NonFiniteLossError(FloatingPointError):
    """The loss (or the gradient norm) became NaN or infinite during training.

    ``epoch`` and ``batch`` (both 1-based) say where; ``history`` holds the finished
    epochs. The model keeps the weights from before the offending batch."""

    def __init__(self, message: str, epoch: int, batch: int, history: History):
        super().__init__(message)
        self.epoch, self.batch, self.history = epoch, batch, history


# --- history -----------------------------------------------------------------------------
class History:
    """Per-epoch values: ``history["loss"]``, ``["val_loss"]``, ``["accuracy"]``,
    ``["val_accuracy"]``, ``["lr"]`` (the learning rate used during the epoch), one list
    entry per epoch; ``epoch`` lists the epoch numbers (1-based). ``stop_reason`` says why
    training ended early (None when it ran all epochs)."""

    def __init__(self):
        self.epoch: list[int] = []
        self.history: dict[str, list[float]] = {}
        self.stop_reason: str | None = None

    def append(self, epoch: int, logs: dict) -> None:
        n = len(self.epoch)
        self.epoch.append(int(epoch))
        for k, v in logs.items():
            col = self.history.setdefault(k, [math.nan] * n)
            col.append(float(v))
        for col in self.history.values():
            if len(col) < n + 1:
                col.append(math.nan)

    def __getitem__(self, key: str) -> list[float]:
        try:
            return self.history[key]
        except KeyError:
            raise KeyError(f"history has no {key!r}; it has {sorted(self.history)}") from None

    def __contains__(self, key: str) -> bool:
        return key in self.history

    def __len__(self) -> int:
        return len(self.epoch)

    def to_dict(self) -> dict:
        """``{"epoch": [...], "loss": [...], ...}`` (plain lists; JSON- and save-able)."""
        out = {"epoch": list(self.epoch)}
        out.update({k: list(v) for k, v in self.history.items()})
        return out

    @classmethod
    def from_dict(cls, d: dict) -> History:
        h = cls()
        h.epoch = [int(e) for e in d.get("epoch", [])]
        h.history = {k: [float(x) for x in v] for k, v in d.items() if k != "epoch"}
        return h

    def __repr__(self) -> str:
        if not self.epoch:
            return "History(empty)"
        last = ", ".join(f"{k}={v[-1]:.4g}" for k, v in self.history.items())
        return f"History({len(self.epoch)} epochs; last: {last})"


# --- callbacks ---------------------------------------------------------------------------
class Callback:
    """Base class for training callbacks: override the hooks you need.

    Hooks, in the order the :class:`Trainer` calls them (``epoch`` and ``batch`` are
    1-based; ``trainer`` gives access to ``trainer.model``, ``trainer.optimizer``,
    ``trainer.history``, ``trainer.epoch``, ``trainer.epochs`` (the total),
    ``trainer.num_batches`` (this epoch's; None for a stream without a length),
    ``trainer.last_batch`` = (inputs, target, output), ``trainer.running_logs()`` (the
    epoch's means so far),
    ``trainer.is_main_process`` (False on ranks other than 0 of a distributed run) and
    ``trainer.stop_training``, which a callback sets to True to stop after the current
    epoch):

    - ``on_train_begin(trainer)``
    - ``on_epoch_begin(trainer, epoch)``
    - ``on_nonfinite(trainer, batch, what, value)``: the loss (``what="loss"``) or the
      clipped gradient norm (``"gradient norm"``) is NaN or infinite, before it touches
      the weights; return True to skip the batch, or raise to stop
    - ``on_after_backward(trainer, batch)``: gradients are in ``p.grad``, before
      clipping and the optimizer step (the place to inspect raw gradients)
    - ``on_batch_end(trainer, batch, logs)``: after the optimizer step; ``logs`` has
      ``"loss"`` (float) and ``"batch_size"`` (int)
    - ``on_epoch_end(trainer, epoch, logs)``: after validation and the scheduler step;
      ``logs`` holds the epoch's values (``"loss"``, ``"accuracy"``, ``"val_loss"``,
      ``"val_accuracy"``, ``"lr"``, ...), already appended to ``trainer.history``
    - ``on_train_end(trainer)``: also runs when training stops early or on an error

    ``state_dict()`` / ``load_state_dict(state)`` let a callback's state travel in
    checkpoints (return plain data: numbers, strings, arrays, lists, dicts).
    """

    def on_train_begin(self, trainer: Trainer) -> None:
        pass

    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None:
        pass

    def on_nonfinite(self, trainer: Trainer, batch: int, what: str, value: float) -> bool | None:
        return None

    def on_after_backward(self, trainer: Trainer, batch: int) -> None:
        pass

    def on_batch_end(self, trainer: Trainer, batch: int, logs: dict) -> None:
        pass

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict) -> None:
        pass

    def on_train_end(self, trainer: Trainer) -> None:
        pass

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda t, e, logs:
    print(e, logs))``. Each keyword names a hook and takes that hook's arguments."""

    _HOOKS = ("on_train_begin", "on_epoch_begin", "on_nonfinite", "on_after_backward",
              "on_batch_end", "on_epoch_end", "on_train_end")

    def __init__(self, **hooks: Callable):
        for name, fn in hooks.items():
            if name not in self._HOOKS:
                raise TypeError(f"LambdaCallback: unknown hook {name!r}; hooks: {self._HOOKS}")
            setattr(self, name, fn)


class EarlyStopping(Callback):
    """Stop when ``monitor`` has not improved by more than ``min_delta`` for ``patience``
    epochs in a row.

    ``mode`` is ``"min"`` (losses), ``"max"`` (accuracies) or ``"auto"`` (``"max"`` when
    the name contains "acc", else ``"min"``). ``monitor=None`` watches ``"val_loss"`` when
    there is validation data, else ``"loss"``. With ``restore_best`` the model gets the
    weights of the best epoch back when training ends.
    """

    def __init__(self, patience: int = 5, monitor: str | None = None, min_delta: float = 0.0,
                 mode: str = "auto", restore_best: bool = True):
        if int(patience) < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"EarlyStopping: mode must be 'auto', 'min' or 'max', got {mode!r}")
        self.patience, self.monitor, self.min_delta = int(patience), monitor, abs(min_delta)
        self.mode, self.restore_best = mode, restore_best
        self.best: float | None = None
        self.best_epoch = 0
        self.wait = 0
        self.best_state: dict | None = None

    def _sign(self) -> float:
        mode = self.mode
        if mode == "auto":
            mode = "max" if "acc" in (self.monitor or "") else "min"
        return 1.0 if mode == "min" else -1.0

    def on_train_begin(self, trainer: Trainer) -> None:
        if self.monitor is None:
            self.monitor = trainer.monitor

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict) -> None:
        value = _monitored(logs, self.monitor, "EarlyStopping")
        s = self._sign()
        if math.isfinite(value) and (self.best is None
                                     or s * value < s * self.best - self.min_delta):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best:
                self.best_state = {k: v.data.copy() for k, v in trainer.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            trainer.stop_training = True
            best = "none" if self.best is None else f"{self.best:.4g} at epoch {self.best_epoch}"
            trainer.stop_reason = (
                f"early stopping at epoch {epoch}: {self.monitor} did not improve for "
                f"{self.wait} epoch(s) (best {best})"
            )

    def on_train_end(self, trainer: Trainer) -> None:
        if self.restore_best and self.best_state is not None:
            trainer.model.load_state_dict(self.best_state)

    def state_dict(self) -> dict:
        return {"best": self.best, "best_epoch": self.best_epoch, "wait": self.wait,
                "monitor": self.monitor, "best_state": self.best_state}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.best_epoch = state["best"], int(state["best_epoch"])
        self.wait, self.monitor = int(state["wait"]), state["monitor"]
        self.best_state = state.get("best_state")


def _monitored(logs: dict, name: str, who: str) -> float:
    if name not in logs:
        raise KeyError(f"{who}: monitored value {name!r} is not logged; logged: {sorted(logs)}")
    return float(logs[name])


class NonFinitePolicy(Callback):
    """What to do when the loss (or the clipped gradient norm) is NaN or infinite.

    ``"stop"`` raises :class:`NonFiniteLossError` naming the epoch and batch, before the
    batch changes the weights; ``"skip"`` drops such batches (one warning per epoch
    listing them); ``"continue"`` trains on them (one warning per epoch). ``fit`` adds
    one from its ``on_nonfinite`` argument unless ``callbacks`` already holds one."""

    MODES = ("stop", "skip", "continue")

    def __init__(self, mode: str = "stop"):
        if mode not in self.MODES:
            raise ValueError(f"on_nonfinite must be 'stop', 'skip' or 'continue', got {mode!r}")
        self.mode = mode
        self._skipped: list[int] = []
        self._warned_epoch = 0

    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None:
        self._skipped = []

    def on_nonfinite(self, trainer: Trainer, batch: int, what: str, value: float) -> bool:
        epoch = trainer.epoch
        where = f"epoch {epoch}, batch {batch}" + (
            f" of {trainer.num_batches}" if trainer.num_batches is not None else "")
        if self.mode == "stop":
            trainer.stop_reason = f"non-finite {what} ({value}) at {where}"
            raise NonFiniteLossError(
                f"non-finite {what} ({value}) at {where}: training stopped before this batch "
                f"changed the weights. Try a lower learning rate, gradient clipping "
                f"(clip_grad_norm=...), or check the data for NaN/inf; "
                f"on_nonfinite='skip' drops such batches, 'continue' trains on them.",
                epoch, batch, trainer.history,
            )
        if self.mode == "skip":
            self._skipped.append(batch)
            return True
        if self._warned_epoch != epoch and trainer.is_main_process:  # once per epoch
            self._warned_epoch = epoch
            warnings.warn(f"non-finite {what} ({value}) at {where}; training on "
                          f"(on_nonfinite='continue')", RuntimeWarning, stacklevel=2)
        return False

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict) -> None:
        s = self._skipped
        if s and trainer.is_main_process:
            warnings.warn(
                f"epoch {epoch}: skipped {len(s)} batch(es) with a non-finite loss or "
                f"gradient: {s[:10]}{' ...' if len(s) > 10 else ''}",
                RuntimeWarning, stacklevel=2,
            )


def _num(v: float) -> str:
    """A logged value for the progress bar: 4 decimals, or 4 significant digits in
    exponent form when that would hide it."""
    a = abs(v)
    if a == 0 or 1e-3 <= a < 1e5 or not math.isfinite(a):
        return f"{v:.4f}"
    return f"{v:.3e}"


class ProgressBar(Callback):
    """A tqdm bar per epoch with the running loss and metrics, and the epoch's values
    (validation included) when it ends.

    Shown only on a terminal or in a notebook (never in logs), and in a distributed run
    only by rank 0. Every epoch's line has the same width: ``ncols`` characters (default:
    the terminal's width when training starts, at most 120); the epoch counter is padded
    ("epoch  9/10", "epoch 10/10") and the bar segment takes up the difference as the
    numbers change."""

    def __init__(self, ncols: int | None = None):
        if ncols is not None and int(ncols) < 20:
            raise ValueError(f"ProgressBar: ncols must be >= 20, got {ncols}")
        self.ncols = ncols
        self.bar = None
        self._enabled = False
        self._room: int | None = None
        self._next_refresh = 0.0

    def on_train_begin(self, trainer: Trainer) -> None:
        self._enabled = trainer.is_main_process and _progress_enabled(True)
        if self.ncols is not None:
            self._ncols = int(self.ncols)
        else:
            import shutil

            self._ncols = min(shutil.get_terminal_size((100, 20)).columns, 120)

    def on_epoch_begin(self, trainer: Trainer, epoch: int) -> None:
        if not self._enabled:
            return
        width = len(str(trainer.epochs))
        desc = f"epoch {epoch:>{width}}/{trainer.epochs}"
        kw = dict(total=trainer.num_batches, desc=desc, unit="batch", leave=True,
                  file=sys.stderr)
        self._room = None
        if "ipykernel" in sys.modules:  # a notebook widget lays itself out
            from tqdm.auto import tqdm
        else:
            from tqdm import tqdm

            # no rate: "1234.56batch/s" would take the room of a logged value
            kw.update(ncols=self._ncols, dynamic_ncols=False,
                      bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} "
                                 "[{elapsed}<{remaining}{postfix}]")
            n = len(str(trainer.num_batches or 99999))
            # what is left for the values after the fixed parts and a 10-character bar
            self._room = self._ncols - (len(desc) + 9 + 2 * n + 2 + 11 + 10 + 2)
        self.bar = tqdm(**kw)
        self._next_refresh = 0.0

    def on_batch_end(self, trainer: Trainer, batch: int, logs: dict) -> None:
        bar = self.bar
        if bar is None:
            return
        bar.update(batch - bar.n)  # skipped batches count as done too
        now = time.monotonic()
        if now >= self._next_refresh:
            bar.set_postfix_str(self._postfix(trainer.running_logs()), refresh=False)
            self._next_refresh = now + 0.2

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict) -> None:
        bar = self.bar
        if bar is None:
            return
        if bar.total is not None:  # a stream without a length has no total to fill
            bar.update(bar.total - bar.n)
        bar.set_postfix_str(self._postfix(logs), refresh=False)
        self._close()

    def on_train_end(self, trainer: Trainer) -> None:
        self._close()

    def _close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def _postfix(self, logs: dict) -> str:
        """``"loss=0.1234, accuracy=0.9000, ..."``: whole fields only, as many as fit."""
        fields = [f"{k}={_num(float(v))}" for k, v in logs.items() if k != "lr"]
        text = ", ".join(fields)
        room = self._room
        while room is not None and len(text) > room and fields:
            fields.pop()
            text = ", ".join(fields) + ", ..." if fields else "..."
        return text


class ModelCheckpoint(Callback):
    """Save a full checkpoint (:meth:`Trainer.save_checkpoint`) every ``every`` epochs and
    after the last epoch (also when training stops early). ``"{epoch}"`` in ``path`` is
    replaced by the epoch number. In a distributed run only rank 0 writes. ``fit``'s
    ``checkpoint=`` argument adds one, after every other callback, so the checkpoint
    holds their state after the epoch."""

    def __init__(self, path, every: int = 1):
        every = int(every)
        if every <= 0:
            raise ValueError(f"checkpoint every must be positive, got {every}")
        self.path, self.every = os.fspath(path), every

    def on_epoch_end(self, trainer: Trainer, epoch: int, logs: dict) -> None:
        last = epoch == trainer.epochs or trainer.stop_training
        if trainer.is_main_process and (epoch % self.every == 0 or last):
            trainer.save_checkpoint(_format_path(self.path, epoch))


# --- data and helpers --------------------------------------------------------------------
def as_loader(data, batch_size: int, shuffle: bool, generator=None, what: str = "data"):
    """A DataLoader from a DataLoader (as is), a Dataset, or a tuple ``(X, y, ...)`` of
    Tensors/arrays."""
    if isinstance(data, DataLoader):
        return data
    if isinstance(data, Dataset):
        return DataLoader(data, batch_size=batch_size, shuffle=shuffle, generator=generator)
    if isinstance(data, (tuple, list)) and len(data) >= 2:
        return DataLoader(TensorDataset(*data), batch_size=batch_size, shuffle=shuffle,
                          generator=generator)
    raise TypeError(
        f"{what}: expected a DataLoader, a Dataset or a tuple (X, y), got {type(data).__name__}"
    )


def _resolve_loss(loss_fn):
    if isinstance(loss_fn, str):
        from .nn import functional as F

        fn = getattr(F, loss_fn, None) or getattr(F, loss_fn + "_loss", None)
        if fn is None:
            raise ValueError(f"unknown loss {loss_fn!r} (give a function or a gn.nn loss module)")
        return fn
    if not callable(loss_fn):
        raise TypeError(f"loss_fn must be callable, got {type(loss_fn).__name__}")
    return loss_fn


def _resolve_metrics(metrics) -> dict[str, Callable]:
    if metrics is None:
        return {}
    if isinstance(metrics, str) or callable(metrics):
        metrics = (metrics,)
    items = metrics.items() if isinstance(metrics, dict) else (
        (m if isinstance(m, str) else getattr(m, "__name__", type(m).__name__), m)
        for m in metrics)
    out = {}
    for name, m in items:
        if isinstance(m, str):
            fn = getattr(_metrics, m, None)
            if fn is None or m not in ("accuracy",):
                raise ValueError(
                    f"unknown metric {m!r}: give 'accuracy' or a function "
                    f"metric(output, target) -> float"
                )
            m = fn
        out[name] = m
    return out


def _split_batch(batch):
    if isinstance(batch, (tuple, list)) and len(batch) >= 2:
        return tuple(batch[:-1]), batch[-1]
    raise ValueError(
        "training batches must be tuples (inputs..., target); got "
        f"{type(batch).__name__}{'' if not hasattr(batch, '__len__') else f' of {len(batch)}'}"
    )


def _batch_len(t) -> int:
    return int(t.shape[0]) if hasattr(t, "shape") and len(t.shape) else 1


def _is_plateau(scheduler) -> bool:
    try:
        from .optim.lr_scheduler import ReduceLROnPlateau
    except ImportError:  # pragma: no cover - optim not built
        return type(scheduler).__name__ == "ReduceLROnPlateau"
    return isinstance(scheduler, ReduceLROnPlateau)


def _progress_enabled(progress: bool) -> bool:
    if not progress:
        return False
    if "ipykernel" in sys.modules:
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _early_stopping(early_stopping) -> EarlyStopping | None:
    if early_stopping is None or early_stopping is False:
        return None
    if isinstance(early_stopping, EarlyStopping):
        return early_stopping
    if isinstance(early_stopping, dict):
        return EarlyStopping(**early_stopping)
    if isinstance(early_stopping, int) and not isinstance(early_stopping, bool):
        return EarlyStopping(patience=early_stopping)
    raise TypeError("early_stopping: give a patience (int), a dict of EarlyStopping "
                    f"arguments or an EarlyStopping, got {early_stopping!r}")


# --- the trainer -------------------------------------------------------------------------
class Trainer:
    """Trains ``model`` with ``loss_fn`` and ``optimizer``; :meth:`fit` runs the epochs.

    ``loss_fn(output, target)`` returns a scalar Tensor (a function such as
    ``F.cross_entropy``, a loss module, or its name: ``"cross_entropy"``). ``metrics``:
    ``"accuracy"`` or functions ``metric(output, target) -> float``, averaged over the
    batches weighted by batch size (exact for accuracy), logged for training and
    validation (``"val_"`` prefix). ``callbacks`` run in the order given, followed by the
    built-in ones the other arguments switch on (see the module docstring). See
    :func:`fit` for the other arguments.
    """

    def __init__(self, model, *, loss_fn, optimizer, scheduler=None, metrics=("accuracy",),
                 clip_grad_norm: float | None = None, callbacks: Iterable[Callback] = (),
                 early_stopping=None, checkpoint=None, progress: bool = True,
                 on_nonfinite: str = "stop", monitor: str | None = None,
                 distributed: bool | None = None):
        if clip_grad_norm is not None and not clip_grad_norm > 0:
            raise ValueError(f"clip_grad_norm must be positive, got {clip_grad_norm}")
        callbacks = list(callbacks)
        for cb in callbacks:
            if not isinstance(cb, Callback):
                raise TypeError(f"callbacks: expected gn.train.Callback instances, got "
                                f"{type(cb).__name__}")
        self._net = model  # what the forward pass calls (a DistributedDataParallel wrapper)
        if hasattr(model, "module") and type(model).__name__ == "DistributedDataParallel":
            model = model.module  # train, evaluate and save the model itself
        self.model, self.optimizer, self.scheduler = model, optimizer, scheduler
        self.loss_fn = _resolve_loss(loss_fn)
        self.metrics = _resolve_metrics(metrics)
        self.clip_grad_norm = clip_grad_norm
        self.on_nonfinite = on_nonfinite
        policy = NonFinitePolicy(on_nonfinite)  # validates the mode even when not used
        es = _early_stopping(early_stopping)
        self.checkpoint_path, self.checkpoint_every = _parse_checkpoint(checkpoint)

        def have(kind):
            return any(isinstance(cb, kind) for cb in callbacks)

        builtin = [es]
        builtin.append(None if have(NonFinitePolicy) else policy)
        builtin.append(ProgressBar() if progress and not have(ProgressBar) else None)
        if self.checkpoint_path is not None:
            builtin.append(ModelCheckpoint(self.checkpoint_path, self.checkpoint_every))
        self.callbacks = callbacks + [cb for cb in builtin if cb is not None]
        self.progress = progress
        self.distributed = distributed
        self._monitor = monitor
        self.monitor = monitor or "loss"
        self.history = History()
        self.epoch = 0
        self.epochs = 0
        self.num_batches = 0
        self.stop_training = False
        self.stop_reason: str | None = None
        self.last_batch = None
        self.nonfinite_batches: list[tuple[int, int]] = []
        self.rank, self.world_size = 0, 1
        self._sampler_seed = 0
        self._generators: dict = {}
        self._totals: dict = {}
        self._n = 0
        self._metrics_checked = False

    @property
    def is_main_process(self) -> bool:
        """True on rank 0 (and when not distributed): the rank that prints and saves."""
        return self.rank == 0

    def running_logs(self) -> dict:
        """The current epoch's mean loss and metrics over the batches so far (this rank)."""
        n = self._n
        return {k: v / n for k, v in self._totals.items()} if n else {}

    # --- state ---------------------------------------------------------------------------
    def _collect_generators(self, generator, loader) -> dict:
        gens = {}
        if generator is not None:
            gens["fit"] = generator
        if getattr(loader, "generator", None) is not None:
            gens["train_loader"] = loader.generator
        for name, m in self.model.named_modules():
            g = getattr(m, "generator", None)
            if isinstance(g, (Generator, np.random.Generator)):
                gens[f"module:{name}"] = g
        # augmentation transforms (and those inside a Compose) with their own generator
        stack = [("transform", getattr(loader, "transform", None)),
                 ("batch_transform", getattr(loader, "batch_transform", None))]
        while stack:
            name, t = stack.pop()
            g = getattr(t, "generator", None)
            if isinstance(g, (Generator, np.random.Generator)):
                gens[name] = g
            for i, inner in enumerate(getattr(t, "transforms", None) or ()):
                stack.append((f"{name}.{i}", inner))
        return gens

    def save_checkpoint(self, path) -> None:
        """Everything to resume: model, optimizer, scheduler, finished epochs, random
        state, history and callback state."""
        from .io import save_checkpoint

        extra = {
            "sampler_seed": self._sampler_seed,
            "history": self.history.to_dict(),
            "callbacks": [[type(cb).__name__, cb.state_dict()] for cb in self.callbacks],
        }
        save_checkpoint(path, model=self.model, optimizer=self.optimizer,
                        scheduler=self.scheduler, epoch=self.epoch, extra=extra,
                        generators=self._generators)

    def load_checkpoint(self, path) -> int:
        """Restore what :meth:`save_checkpoint` wrote; returns the finished epochs.

        Callback state goes to the callback of the same class and the same position
        among the callbacks of that class (the second ``EarlyStopping`` gets the second
        saved one), so adding or removing callbacks of other kinds keeps it."""
        from .io import load_checkpoint

        ckpt = load_checkpoint(path, model=self.model, optimizer=self.optimizer,
                               scheduler=self.scheduler, generators=self._generators)
        extra = ckpt.get("extra") or {}
        self.history = History.from_dict(extra.get("history", {}))
        saved: dict[str, list] = {}
        for name, state in extra.get("callbacks", []):
            saved.setdefault(name, []).append(state)
        seen: dict[str, int] = {}
        for cb in self.callbacks:
            name = type(cb).__name__
            i = seen[name] = seen.get(name, -1) + 1
            if i < len(saved.get(name, ())):
                cb.load_state_dict(saved[name][i])
        self._sampler_seed = int(extra.get("sampler_seed", self._sampler_seed))
        self.epoch = int(ckpt.get("epoch") or 0)
        return self.epoch

    # --- one pass ------------------------------------------------------------------------
    def evaluate(self, loader) -> dict:
        """Mean loss and metrics over ``loader`` in eval mode without building a graph
        (in a distributed run, over every rank's part of the data)."""
        was_training = self.model.training
        self.model.eval()
        totals, n = {}, 0
        try:
            with no_grad():
                for batch in loader:
                    inputs, target = _split_batch(batch)
                    output = self.model(*inputs)
                    loss = float(self.loss_fn(output, target).data)
                    n += self._accumulate(totals, loss, output, target)
        finally:
            self.model.train(was_training)
        totals, n = self._reduce(totals, n)
        return {k: v / n for k, v in totals.items()} if n else {"loss": math.nan}

    def _reduce(self, totals: dict, n: int) -> tuple[dict, int]:
        """Sum an epoch's weighted totals and sample count over the ranks."""
        if self.world_size == 1:
            return totals, n
        from . import distributed as dist

        keys = ["loss", *self.metrics]
        v = np.array([n] + [totals.get(k, 0.0) for k in keys], dtype=np.float64)
        dist.all_reduce(v)
        return dict(zip(keys, v[1:].tolist())), int(v[0])

    def _accumulate(self, totals: dict, loss: float, output, target) -> int:
        """Add one batch's loss and metrics, weighted by its size, to ``totals``; returns
        the batch size."""
        if not self._metrics_checked:
            self._check_regression_metrics(target)
        b = _batch_len(target)
        totals["loss"] = totals.get("loss", 0.0) + loss * b
        for name, fn in self.metrics.items():
            totals[name] = totals.get(name, 0.0) + float(fn(output, target)) * b
        return b

    def _nonfinite(self, value: float, what: str, batch: int) -> bool:
        """Ask the callbacks about a NaN/inf value; True when the batch is to be skipped."""
        self.nonfinite_batches.append((self.epoch, batch))
        answers = [cb.on_nonfinite(self, batch, what, value) for cb in self.callbacks]
        return any(answers)

    def _train_epoch(self, loader, epoch: int) -> dict:
        from .nn.utils import clip_grad_norm_

        net, opt, loss_fn, callbacks = self._net, self.optimizer, self.loss_fn, self.callbacks
        self.model.train()
        totals = self._totals = {}
        self._n = 0
        for i, batch in enumerate(loader, 1):
            inputs, target = _split_batch(batch)
            if not self._metrics_checked:
                self._check_regression_metrics(target)
            opt.zero_grad()
            output = net(*inputs)
            loss = loss_fn(output, target)
            if not isinstance(loss, Tensor) or loss.data.size != 1:
                raise ValueError(
                    "loss_fn must return a scalar Tensor (use reduction='mean' or 'sum'), "
                    f"got {type(loss).__name__} of shape {getattr(loss, 'shape', None)}"
                )
            value = float(loss.data)
            seen = self._sync_value(value)
            if not math.isfinite(seen) and self._nonfinite(
                    value if not math.isfinite(value) else seen, "loss", i):
                continue
            loss.backward()
            for cb in callbacks:
                cb.on_after_backward(self, i)
            if self.clip_grad_norm is not None:
                norm = float(clip_grad_norm_(self.model.parameters(), self.clip_grad_norm).data)
                if not math.isfinite(norm) and self._nonfinite(norm, "gradient norm", i):
                    continue
            opt.step()
            self.last_batch = (inputs, target, output)
            b = self._accumulate(totals, value, output.detach(), target)
            self._n += b
            logs = {"loss": value, "batch_size": b}
            for cb in callbacks:
                cb.on_batch_end(self, i, logs)
        totals, n = self._reduce(totals, self._n)
        if n == 0:
            return {"loss": math.nan}
        return {k: v / n for k, v in totals.items()}

    def _sync_value(self, value: float) -> float:
        """The loss summed over the ranks (a NaN anywhere makes it NaN everywhere, so every
        rank takes the same skip or stop decision); the loss itself on one rank."""
        if self.world_size == 1:
            return value
        from . import distributed as dist

        v = np.array([value], dtype=np.float64)
        dist.process_group._all_reduce(v, "sum", False, check=False)  # one value per rank
        return float(v[0])

    # --- the loop ------------------------------------------------------------------------
    def fit(self, train_data, *, epochs: int, batch_size: int = 32, shuffle: bool = True,
            val_data=None, val_batch_size: int | None = None, generator=None,
            resume_from=None) -> History:
        """Train for ``epochs`` epochs in total (counting those finished before a resume);
        returns the :class:`History`. See :func:`fit`."""
        if int(epochs) < 0:
            raise ValueError(f"epochs must be >= 0, got {epochs}")
        self.epochs = int(epochs)
        loader = as_loader(train_data, batch_size, shuffle, generator, "train_data")
        val_loader = None if val_data is None else as_loader(
            val_data, val_batch_size or batch_size, False, None, "val_data")
        self.monitor = self._monitor or ("val_loss" if val_loader is not None else "loss")
        self._generators = self._collect_generators(generator, loader)
        self.stop_training, self.stop_reason = False, None
        self._metrics_checked = False
        distributed = self._join_world()
        if distributed:
            self._sampler_seed = self._shared_seed(generator, loader)
        start = 0
        if resume_from is not None:
            start = self.load_checkpoint(resume_from)
        else:
            self.history = History()
            self.epoch = 0
        if distributed:
            loader = _Shard(loader, self.rank, self.world_size, train=True)
            if val_loader is not None:
                val_loader = _Shard(val_loader, self.rank, self.world_size, train=False)
            self._wrap_model()
        plateau = self.scheduler is not None and _is_plateau(self.scheduler)
        for cb in self.callbacks:
            cb.on_train_begin(self)
        try:
            for epoch in range(start + 1, self.epochs + 1):
                self.epoch = epoch
                if distributed:
                    loader.set_epoch(epoch, self._sampler_seed)
                try:
                    self.num_batches = len(loader)
                except TypeError:  # a stream (IterableDataset) without a length
                    self.num_batches = None
                for cb in self.callbacks:
                    cb.on_epoch_begin(self, epoch)
                logs = self._train_epoch(loader, epoch)
                if distributed:
                    self._sync_buffers()
                if val_loader is not None:
                    logs.update({f"val_{k}": v for k, v in self.evaluate(val_loader).items()})
                logs["lr"] = float(self.optimizer.param_groups[0]["lr"])
                if self.scheduler is not None:
                    if plateau:
                        self.scheduler.step(_monitored(logs, self.monitor, "ReduceLROnPlateau"))
                    else:
                        self.scheduler.step()
                self.history.append(epoch, logs)
                for cb in self.callbacks:
                    cb.on_epoch_end(self, epoch, logs)
                if distributed:  # a callback stopping one rank stops them all
                    self.stop_training = self._any_rank(self.stop_training)
                if self.stop_training:
                    break
        finally:
            self.history.stop_reason = self.stop_reason
            for cb in self.callbacks:
                cb.on_train_end(self)
        return self.history

    # --- distributed ---------------------------------------------------------------------
    def _join_world(self) -> bool:
        """Decide whether this run is distributed; set ``rank`` and ``world_size``."""
        wrapped = self._net is not self.model
        want = self.distributed
        if want is None:  # automatic: inside a world of several ranks, or a wrapped model
            d = sys.modules.get("glassnet.distributed")
            want = wrapped or (d is not None and d.is_initialized() and d.get_world_size() > 1)
        if not want:
            self.rank, self.world_size = 0, 1
            return False
        from . import distributed as dist

        if not dist.is_initialized():
            dist.init_process_group()  # MPI under a launcher, else a one-rank world
        self.rank, self.world_size = dist.get_rank(), dist.get_world_size()
        return True

    def _shared_seed(self, generator, loader) -> int:
        """The shuffling seed of the ranks' DistributedSampler: drawn by rank 0 from the
        shuffling generator (``generator``, the loader's, or the global one) and sent to
        every rank; saved in checkpoints, so a resumed run shuffles as the first did."""
        from . import distributed as dist
        from .random import resolve

        seed = [0]
        if self.rank == 0:
            seed = [int(resolve(generator or getattr(loader, "generator", None))
                        .integers(0, 2**31 - 1))]
        dist.broadcast_object_list(seed, src=0)
        return int(seed[0])

    def _any_rank(self, flag: bool) -> bool:
        if self.world_size == 1:
            return bool(flag)
        from . import distributed as dist

        v = np.array([float(bool(flag))])
        dist.all_reduce(v, dist.ReduceOp.MAX)
        return bool(v[0])

    def _sync_buffers(self) -> None:
        """Rank 0's buffers (BatchNorm running statistics, which each rank updated from its
        own batches) on every rank before validation and checkpoints, so all ranks
        evaluate and keep the same model."""
        bufs = [b for _, b in self.model.named_buffers()]
        if bufs and self.world_size > 1:
            from .distributed.ddp import _broadcast_coalesced

            _broadcast_coalesced(bufs)

    def _wrap_model(self) -> None:
        if self._net is self.model:
            from .distributed import DistributedDataParallel

            self._net = DistributedDataParallel(self.model)

    def _check_regression_metrics(self, target) -> None:
        """Drop 'accuracy' (with a warning) when the first batch's targets are not class
        labels (floats that are not whole numbers, and not one-hot/probability rows)."""
        self._metrics_checked = True
        if _metrics.accuracy not in self.metrics.values():
            return
        t = np.asarray(target.data if isinstance(target, Tensor) else target)
        if t.dtype.kind != "f" or (t.ndim >= 2 and t.shape[-1] > 1):
            return
        drop = not np.array_equal(t, np.rint(t))
        if self.world_size > 1:  # every rank must log the same values
            from . import distributed as dist

            flag = np.array([float(drop)])
            dist.all_reduce(flag, dist.ReduceOp.MAX)
            drop = bool(flag[0])
        if drop:
            self.metrics = {k: v for k, v in self.metrics.items() if v is not _metrics.accuracy}
            if self.is_main_process:
                warnings.warn("accuracy is not computed: the targets are not class labels "
                              "(pass metrics=() for regression)", UserWarning, stacklevel=5)


class _Shard:
    """One rank's part of a loader's data, as a loader.

    Training data goes through a :class:`~glassnet.data.DistributedSampler` (the loader's
    ``shuffle``, padded so every rank gets the same number of batches), re-drawn each
    epoch from the shared seed; validation data is split exactly, without padding
    (rank ``r`` takes samples ``r, r + world, ...``), since the totals are summed over the
    ranks. A loader that already has a ``DistributedSampler`` is used as it is."""

    def __init__(self, loader, rank: int, world: int, train: bool):
        from .data.dataset import IterableDataset
        from .data.distributed import DistributedSampler

        if isinstance(getattr(loader, "dataset", None), IterableDataset):
            raise ValueError("distributed fit: the loader reads a stream (IterableDataset); "
                             "split it per rank inside its __iter__ (gn.distributed's "
                             "get_rank()) and give each rank a plain loader, or use a "
                             "map-style dataset")
        self.loader, self.rank, self.world, self.train = loader, rank, world, train
        own = getattr(loader, "sampler", None)
        self.own = own if isinstance(own, DistributedSampler) else None
        self.sampler = None
        if train and self.own is None:
            self.sampler = DistributedSampler(loader.dataset, world, rank,
                                              shuffle=bool(getattr(loader, "shuffle", False)))

    def set_epoch(self, epoch: int, seed: int) -> None:
        if self.own is not None:
            self.own.set_epoch(epoch)
        elif self.sampler is not None:
            self.sampler.seed = int(seed)
            self.sampler.set_epoch(epoch)

    def _indices(self) -> np.ndarray:
        if self.sampler is not None:
            return np.fromiter(iter(self.sampler), dtype=np.int64)
        return np.arange(self.rank, len(self.loader.dataset), self.world, dtype=np.int64)

    def __len__(self) -> int:
        if self.own is not None:
            return len(self.loader)
        n, b = len(self._indices()), self.loader.batch_size
        return n // b if self.loader.drop_last else -(-n // b)

    def __iter__(self):
        if self.own is not None:
            return iter(self.loader)
        idx = self._indices()
        if idx.size == 0:
            return iter(())
        src = self.loader
        part = DataLoader(Subset(src.dataset, idx), batch_size=src.batch_size, shuffle=False,
                          drop_last=src.drop_last and idx.size >= src.batch_size,
                          collate_fn=src.collate_fn, transform=src.transform,
                          batch_transform=src.batch_transform)
        return iter(part)


def _parse_checkpoint(checkpoint) -> tuple[str | None, int]:
    if checkpoint is None or checkpoint is False:
        return None, 1
    if isinstance(checkpoint, (str, os.PathLike)):
        return os.fspath(checkpoint), 1
    if isinstance(checkpoint, dict):
        every = int(checkpoint.get("every", 1))
        if every <= 0:
            raise ValueError(f"checkpoint every must be positive, got {every}")
        return os.fspath(checkpoint["path"]), every
    raise TypeError(f"checkpoint: give a path or dict(path=..., every=...), got {checkpoint!r}")


def _format_path(path: str, epoch: int) -> str:
    return path.format(epoch=epoch) if "{" in path else path


def fit(model, train_data, *, loss_fn, optimizer, epochs: int, batch_size: int = 32,
        shuffle: bool = True, val_data=None, val_batch_size: int | None = None,
        metrics=("accuracy",), scheduler=None, clip_grad_norm: float | None = None,
        callbacks: Iterable[Callback] = (), early_stopping=None, checkpoint=None,
        progress: bool = True, on_nonfinite: str = "stop", monitor: str | None = None,
        generator=None, resume_from=None, distributed: bool | None = None) -> History:
    """Train ``model`` and return its :class:`History`.

    Args:
        train_data: a DataLoader, a Dataset, or a tuple ``(X, y)`` (or ``(X1, X2, y)``:
            every field but the last goes to the model) of Tensors/arrays.
        loss_fn: ``loss_fn(output, target) -> scalar Tensor``, e.g. ``F.cross_entropy``.
        optimizer: a ``gn.optim`` optimizer over ``model.parameters()``.
        epochs: total number of epochs (a resumed run continues up to this number).
        batch_size, shuffle: used when ``train_data`` is not already a DataLoader.
        val_data: evaluated after every epoch (``val_loss``, ``val_accuracy``, ...).
        metrics: ``"accuracy"`` and/or functions ``metric(output, target) -> float``, or
            a dict name -> function. Dropped with a warning for non-class targets.
        scheduler: a learning-rate scheduler stepped once per epoch;
            ``ReduceLROnPlateau`` is stepped with the monitored value.
        clip_grad_norm: clip the gradients' total 2-norm to this before each step.
        callbacks: :class:`Callback` instances, run before the built-in ones below.
        early_stopping: a patience (int), a dict of :class:`EarlyStopping` arguments
            (``patience``, ``monitor``, ``min_delta``, ``mode``, ``restore_best``) or an
            :class:`EarlyStopping`.
        checkpoint: a path, or ``dict(path=..., every=k)``: a :class:`ModelCheckpoint`
            saving a full checkpoint every ``k`` epochs and at the end (``"{epoch}"`` in
            the path is replaced).
        progress: a :class:`ProgressBar` per epoch (only on a terminal or in a notebook).
        on_nonfinite: the :class:`NonFinitePolicy`: ``"stop"`` (raise
            :class:`NonFiniteLossError` naming the epoch and batch), ``"skip"`` (drop the
            batch, warn) or ``"continue"`` (warn, train on).
        monitor: the value early stopping and ReduceLROnPlateau watch (default
            ``"val_loss"`` with validation data, else ``"loss"``).
        generator: a ``gn.Generator`` for shuffling (default: the global generator).
        resume_from: a checkpoint path: restore model, optimizer, scheduler, random
            state, history and callbacks, then continue after its last epoch. Same seeds
            give bit-identical weights to an uninterrupted run.
        distributed: train data-parallel over the ranks of ``gn.distributed`` (started
            with ``mpiexec -n N``): each rank trains on its shard of ``train_data``
            (``batch_size`` per rank: the global batch is ``batch_size * N``) through a
            ``DistributedDataParallel`` wrapper, logged values are reduced over the
            ranks, only rank 0 shows progress and writes checkpoints. None (default):
            on when ``init_process_group`` made a world of more than one rank or the
            model is already wrapped; True without ``mpiexec``: a one-rank world.
    """
    trainer = Trainer(model, loss_fn=loss_fn, optimizer=optimizer, scheduler=scheduler,
                      metrics=metrics, clip_grad_norm=clip_grad_norm, callbacks=callbacks,
                      early_stopping=early_stopping, checkpoint=checkpoint, progress=progress,
                      on_nonfinite=on_nonfinite, monitor=monitor, distributed=distributed)
    return trainer.fit(train_data, epochs=epochs, batch_size=batch_size, shuffle=shuffle,
                       val_data=val_data, val_batch_size=val_batch_size, generator=generator,
                       resume_from=resume_from)


def evaluate(model, data, *, loss_fn, metrics=("accuracy",), batch_size: int = 256) -> dict:
    """Mean loss and metrics of ``model`` on ``data`` (DataLoader, Dataset or (X, y))."""
    trainer = Trainer(model, loss_fn=loss_fn, optimizer=None, metrics=metrics, progress=False)
    return trainer.evaluate(as_loader(data, batch_size, False, None, "data"))
