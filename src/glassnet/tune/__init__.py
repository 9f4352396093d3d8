"""Hyper-parameter tuning with Optuna (``glassnet[tune]``; Optuna is imported lazily).

>>> import glassnet as gn
>>> from glassnet.tune import MLP, PruningCallback, study
>>> def objective(trial):
...     model = MLP(64, 10, hidden=trial.suggest_int("hidden", 16, 256, log=True))
...     opt = gn.optim.Adam(model.parameters(), lr=trial.suggest_float("lr", 1e-4, 0.1, log=True))
...     h = gn.fit(model, (X, y), loss_fn="cross_entropy", optimizer=opt, epochs=30,
...                val_data=(X_val, y_val), callbacks=[PruningCallback(trial)], progress=False)
...     return min(h["val_loss"])
>>> s = study(objective, n_trials=40, n_jobs=2, storage="tune.log")   # doctest: +SKIP

- :class:`MLP`: the multi-layer perceptron most searches start from (width, depth,
  dropout and activation as constructor arguments).
- :class:`PruningCallback`: a ``gn.fit`` callback that reports a logged value to the
  trial after every epoch and stops a trial Optuna's pruner gives up on (deleting the
  checkpoints it wrote).
- :func:`study`: create or load a study (TPE sampler and median pruner, seeded) and run
  trials, in this process or in ``n_jobs`` worker processes sharing one storage.
- :func:`open_storage`: a storage from a file path (journal file, or SQLite for
  ``.db``) or any Optuna storage URL (``postgresql://``, ``mysql://``, ``redis://``).
- ``glassnet tune CONFIG``: a study from a small TOML/JSON file (:mod:`glassnet.tune.config`).
"""

from __future__ import annotations

import math
import os
import sys
import warnings

from .. import nn
from ..train import Callback, ModelCheckpoint

__all__ = ["MLP", "PruningCallback", "study", "open_storage", "ACTIVATIONS"]

ACTIVATIONS = {
    "relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU,
    "elu": nn.ELU, "leaky_relu": nn.LeakyReLU, "silu": nn.SiLU,
}


class MLP(nn.Sequential):
    """A multi-layer perceptron: ``depth`` blocks of ``Linear -> activation [-> Dropout]``
    of width ``hidden``, then ``Linear(hidden, out_features)``: ``(N, in_features) ->
    (N, out_features)`` raw scores. ``depth=0`` is a linear model.

    ``activation`` is one of ``relu tanh sigmoid gelu elu leaky_relu silu``. The
    arguments are what hyper-parameter searches vary (``module__hidden`` ... in
    :mod:`glassnet.sklearn`); ``in_features``/``out_features`` are filled in there from
    the data. State-dict keys are ``0.weight``, ``0.bias``, ... as for ``Sequential``.
    """

    def __init__(self, in_features: int, out_features: int, hidden: int = 64, depth: int = 1,
                 dropout: float = 0.0, activation: str = "relu"):
        for name, v, low in (("in_features", in_features, 1), ("out_features", out_features, 1),
                             ("hidden", hidden, 1), ("depth", depth, 0)):
            if isinstance(v, bool) or not isinstance(v, int) and not _is_np_int(v) or v < low:
                raise ValueError(f"MLP: {name} must be an integer >= {low}, got {v!r}")
        if not 0.0 <= float(dropout) < 1.0:
            raise ValueError(f"MLP: dropout must be in [0, 1), got {dropout!r}")
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP: unknown activation {activation!r}; choose one of "
                             f"{', '.join(ACTIVATIONS)}")
        layers = []
        width = int(in_features)
        for _ in range(int(depth)):
            layers += [nn.Linear(width, int(hidden)), ACTIVATIONS[activation]()]
            if dropout > 0:
                layers.append(nn.Dropout(float(dropout)))
            width = int(hidden)
        layers.append(nn.Linear(width, int(out_features)))
        super().__init__(*layers)


def _is_np_int(v) -> bool:
    import numpy as np

    return isinstance(v, np.integer)


# --- pruning -------------------------------------------------------------------------------
def _optuna():
    try:
        import optuna
    except ImportError:  # pragma: no cover - exercised only without the extra
        raise ImportError("glassnet.tune needs Optuna: pip install 'glassnet[tune]'") from None
    return optuna


class PruningCallback(Callback):
    """Report ``monitor`` to an Optuna ``trial`` after every epoch; when the study's
    pruner says so, stop training by raising ``optuna.TrialPruned`` (Optuna records the
    trial as pruned) and delete the checkpoints this run wrote.

    ``monitor`` must go the way the study optimizes (a loss for ``"minimize"``, an
    accuracy for ``"maximize"``): the pruner compares it with other trials' values at
    the same epoch. A mismatch draws a warning. ``pruned_epoch`` says where it stopped.
    The callback keeps its trial when copied (scikit-learn clones estimators' callbacks).
    """

    def __init__(self, trial, monitor: str = "val_loss"):
        self.trial, self.monitor = trial, monitor
        self.pruned_epoch: int | None = None

    def __deepcopy__(self, memo):
        return PruningCallback(self.trial, self.monitor)

    def on_train_begin(self, trainer) -> None:
        self.pruned_epoch = None
        study = getattr(self.trial, "study", None)
        direction = getattr(getattr(study, "direction", None), "name", None)
        m = self.monitor.lower()
        if (direction == "MAXIMIZE" and "loss" in m) or (direction == "MINIMIZE" and "acc" in m):
            warnings.warn(f"PruningCallback: the study is to {direction.lower()} but the "
                          f"monitored value is {self.monitor!r}; the pruner will compare "
                          f"trials the wrong way round", UserWarning, stacklevel=2)

    def on_epoch_end(self, trainer, epoch: int, logs: dict) -> None:
        if self.monitor not in logs:
            raise KeyError(f"PruningCallback: monitored value {self.monitor!r} is not "
                           f"logged; logged: {sorted(logs)} (val_* needs val_data)")
        value = float(logs[self.monitor])
        self.trial.report(value, step=epoch)
        if self.trial.should_prune():
            self.pruned_epoch = epoch
            trainer.stop_training = True
            trainer.stop_reason = (f"pruned at epoch {epoch}: {self.monitor}={value:.4g} "
                                   f"(trial {getattr(self.trial, 'number', '?')})")
            raise _optuna().TrialPruned(trainer.stop_reason)

    def on_train_end(self, trainer) -> None:
        if self.pruned_epoch is None:
            return
        paths = set()
        for cb in trainer.callbacks:
            if isinstance(cb, ModelCheckpoint):
                if "{" in cb.path:
                    paths.update(cb.path.format(epoch=e) for e in range(1, self.pruned_epoch + 1))
                else:
                    paths.add(cb.path)
        for p in paths:
            try:
                os.remove(p)
            except FileNotFoundError:
                pass


# --- storage -------------------------------------------------------------------------------
_SQLITE_SUFFIXES = (".db", ".sqlite", ".sqlite3")


class StorageError(RuntimeError):
    """A study storage could not be opened; the message names it."""


def open_storage(storage):
    """An Optuna storage from ``storage``.

    - None: in memory (this process only).
    - An Optuna storage object: as it is.
    - A URL: ``sqlite:///path.db``, ``postgresql://user:password@host/db``,
      ``mysql+pymysql://...`` (a relational database: many processes on many hosts) or
      ``redis://host:port`` (a journal in Redis).
    - A file path: ``*.db``/``*.sqlite`` is a SQLite file, anything else Optuna's journal
      file (an append-only log that processes on one machine, or on a shared file system
      with working locks, write to together).

    Raises :class:`StorageError` naming the storage when it cannot be opened.
    """
    optuna = _optuna()
    if storage is None or isinstance(storage, optuna.storages.BaseStorage):
        return storage
    if not isinstance(storage, (str, os.PathLike)):
        raise TypeError(f"storage: give None, a file path, a URL or an Optuna storage, got "
                        f"{type(storage).__name__}")
    spec = os.fspath(storage)
    try:
        if "://" in spec:
            if spec.startswith("sqlite:///"):
                _check_parent(spec[len("sqlite:///"):], spec)
            if spec.startswith("redis://") or spec.startswith("rediss://"):
                from optuna.storages.journal import JournalRedisBackend, JournalStorage

                return JournalStorage(JournalRedisBackend(spec))
            return optuna.storages.RDBStorage(spec)
        _check_parent(spec, spec)
        if spec.lower().endswith(_SQLITE_SUFFIXES):
            return optuna.storages.RDBStorage("sqlite:///" + os.path.abspath(spec))
        if os.path.isdir(spec):
            raise StorageError(f"cannot open study storage {spec!r}: it is a directory")
        with open(spec, "ab"):  # fails now, with the path, if it cannot be written
            pass
        from optuna.storages.journal import JournalFileBackend, JournalStorage

        return JournalStorage(JournalFileBackend(spec))
    except StorageError:
        raise
    except Exception as e:
        raise StorageError(f"cannot open study storage {spec!r}: {type(e).__name__}: "
                           f"{e}") from e


def _check_parent(path: str, spec: str) -> None:
    parent = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(parent):
        raise StorageError(f"cannot open study storage {spec!r}: folder {parent!r} does "
                           f"not exist")


# --- studies -------------------------------------------------------------------------------
def _sampler(sampler, seed):
    optuna = _optuna()
    if sampler is None or sampler == "tpe":
        return optuna.samplers.TPESampler(seed=seed)
    if sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    if isinstance(sampler, optuna.samplers.BaseSampler):
        return sampler
    raise ValueError(f"sampler: 'tpe', 'random' or an Optuna sampler, got {sampler!r}")


def _pruner(pruner):
    optuna = _optuna()
    if pruner is None or pruner == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=2)
    if pruner == "hyperband":
        return optuna.pruners.HyperbandPruner()
    if pruner in ("none", False):
        return optuna.pruners.NopPruner()
    if isinstance(pruner, optuna.pruners.BasePruner):
        return pruner
    raise ValueError(f"pruner: 'median', 'hyperband', 'none' or an Optuna pruner, got "
                     f"{pruner!r}")


def _shares(n_trials: int, n_jobs: int) -> list[int]:
    """``n_trials`` split over ``n_jobs`` workers, as evenly as possible."""
    return [n_trials // n_jobs + (1 if i < n_trials % n_jobs else 0) for i in range(n_jobs)]


def study(objective=None, *, storage=None, study_name: str | None = None,
          direction: str = "minimize", n_trials: int | None = None,
          timeout: float | None = None, n_jobs: int = 1, sampler=None, pruner=None,
          seed: int | None = 0, load_if_exists: bool = True, catch=(Exception,),
          progress: bool = False, callbacks=None):
    """Create (or load) an Optuna study and run ``n_trials`` trials of ``objective``.

    Args:
        objective: ``objective(trial) -> float``; None only creates/loads the study.
        storage: see :func:`open_storage`; None keeps the study in memory (with
            ``n_jobs > 1`` a temporary journal file carries it between the processes,
            and the returned study is an in-memory copy).
        study_name: the study's name in the storage (required to share a stored study;
            default ``"glassnet"``).
        direction: ``"minimize"`` or ``"maximize"``.
        n_trials: trials to run in this call, over all processes (each worker runs its
            share, so none is lost or run twice); None runs until ``timeout``.
        timeout: seconds after which no new trial starts (per process).
        n_jobs: worker processes (``-1``: one per CPU). Each opens the storage itself,
            so the objective must be picklable (closures are fine: it travels with
            cloudpickle) and ``storage`` a path or URL.
        sampler: ``"tpe"`` (default), ``"random"`` or an Optuna sampler. The default is
            seeded with ``seed``; worker ``i`` uses ``seed + i`` so workers propose
            different trials.
        pruner: ``"median"`` (default: a median pruner after 5 trials and 2 epochs),
            ``"hyperband"``, ``"none"`` or an Optuna pruner.
        catch: exceptions that fail a trial without stopping the study (default: any
            ``Exception``; Optuna records the trial as failed with the error).
        progress: a progress bar of finished trials with the best value so far.
        callbacks: Optuna callbacks ``cb(study, frozen_trial)``, called after each
            trial (with ``n_jobs > 1`` in the worker that ran it).

    Returns:
        The ``optuna.Study``.
    """
    optuna = _optuna()
    if direction not in ("minimize", "maximize"):
        raise ValueError(f"direction must be 'minimize' or 'maximize', got {direction!r}")
    if n_trials is not None and (isinstance(n_trials, bool) or int(n_trials) < 0):
        raise ValueError(f"n_trials must be a non-negative integer, got {n_trials!r}")
    n_jobs = (os.cpu_count() or 1) if n_jobs == -1 else int(n_jobs)
    if n_jobs < 1:
        raise ValueError(f"n_jobs must be >= 1 (or -1 for one per CPU), got {n_jobs}")
    if n_jobs > 1 and n_trials is None and timeout is None:
        raise ValueError("n_jobs > 1 needs n_trials or timeout")
    if isinstance(catch, type):
        catch = (catch,)
    study_name = study_name or "glassnet"
    tmpdir = None
    if n_jobs > 1 and storage is None:
        import tempfile  # here, with shutil below: they cost `import glassnet` ~5 ms

        tmpdir = tempfile.mkdtemp(prefix="glassnet-study-")
        storage = os.path.join(tmpdir, "study.log")
    if n_jobs > 1 and not isinstance(storage, (str, os.PathLike)):
        raise TypeError("n_jobs > 1: give storage as a file path or URL, which every worker "
                        "process opens for itself")
    try:
        st = optuna.create_study(storage=open_storage(storage), sampler=_sampler(sampler, seed),
                                 pruner=_pruner(pruner), study_name=study_name,
                                 direction=direction, load_if_exists=load_if_exists)
        if objective is None or n_trials == 0:
            return st
        if n_jobs == 1:
            bar = _Bar(st, n_trials, progress)
            try:
                st.optimize(objective, n_trials=n_trials, timeout=timeout, catch=tuple(catch),
                            callbacks=[*(callbacks or ()), bar.callback])
            finally:
                bar.close()
            return st
        _run_workers(st, objective, os.fspath(storage), study_name, n_trials, timeout,
                     n_jobs, sampler, pruner, seed, tuple(catch), progress, callbacks)
        if tmpdir is not None:  # an in-memory copy outlives the temporary file
            mem = optuna.storages.InMemoryStorage()
            optuna.copy_study(from_study_name=study_name, from_storage=st._storage,
                              to_storage=mem)
            return optuna.load_study(study_name=study_name, storage=mem,
                                     sampler=_sampler(sampler, seed), pruner=_pruner(pruner))
        return st
    finally:
        if tmpdir is not None:
            import shutil

            shutil.rmtree(tmpdir, ignore_errors=True)


def _worker(storage: str, study_name: str, objective, n_trials, timeout, sampler, pruner,
            seed, index: int, catch, verbosity: int, callbacks=None) -> int:
    """One worker process: open the shared storage, run this worker's trials."""
    optuna = _optuna()
    optuna.logging.set_verbosity(verbosity)
    if isinstance(sampler, optuna.samplers.BaseSampler):
        if index:
            sampler.reseed_rng()  # the same pickled sampler must not repeat worker 0
        smp = sampler
    else:
        smp = _sampler(sampler, None if seed is None else seed + index)
    st = optuna.load_study(study_name=study_name, storage=open_storage(storage), sampler=smp,
                           pruner=_pruner(pruner))
    st.optimize(objective, n_trials=n_trials, timeout=timeout, catch=catch,
                callbacks=callbacks)
    return index


def _run_workers(st, objective, storage, study_name, n_trials, timeout, n_jobs, sampler,
                 pruner, seed, catch, progress, callbacks) -> None:
    from concurrent.futures import FIRST_EXCEPTION, wait

    from joblib.externals.loky import get_reusable_executor

    optuna = _optuna()
    shares = [None] * n_jobs if n_trials is None else _shares(int(n_trials), n_jobs)
    jobs = [(i, k) for i, k in enumerate(shares) if k is None or k > 0]
    executor = get_reusable_executor(max_workers=len(jobs))
    before = len(st.get_trials(deepcopy=False))
    bar = _Bar(st, n_trials, progress, offset=before)
    verbosity = optuna.logging.get_verbosity()
    try:
        futures = [executor.submit(_worker, storage, study_name, objective, k, timeout,
                                   sampler, pruner, seed, i, catch, verbosity,
                                   list(callbacks or ()))
                   for i, k in jobs]
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_EXCEPTION)
            bar.poll()
            for f in done:
                f.result()  # a worker that died raises here, naming the error
        bar.poll()
    finally:
        bar.close()


class _Bar:
    """A tqdm bar of finished trials (complete, pruned or failed) with the best value."""

    def __init__(self, st, total, enabled: bool, offset: int = 0):
        self.st, self.offset, self.bar = st, offset, None
        if enabled:
            from tqdm import tqdm

            self.bar = tqdm(total=total, desc="trials", unit="trial", file=sys.stderr,
                            dynamic_ncols=True)
        self._shown: str | None = None

    def _update(self, n_done: int) -> None:
        bar = self.bar
        if bar is None:
            return
        if n_done <= bar.n and self._shown is not None:
            return
        try:
            best = self.st.best_value
        except ValueError:  # no complete trial yet
            best = None
        self._shown = "best=none" if best is None else f"best={best:.4g}"
        bar.set_postfix_str(self._shown, refresh=False)
        bar.update(max(0, n_done - bar.n))

    def callback(self, st, frozen) -> None:
        if self.bar is not None:
            self._update(self.bar.n + 1)

    def poll(self) -> None:
        if self.bar is None:
            return
        states = self.st.get_trials(deepcopy=False)
        finished = sum(1 for t in states[self.offset:] if t.state.is_finished())
        self._update(finished)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None


def trials_table(st, params=None, top: int | None = 10) -> str:
    """The study's trials as a text table, best first (then pruned, then failed)."""
    optuna = _optuna()
    trials = st.get_trials(deepcopy=False)
    sign = -1.0 if st.direction == optuna.study.StudyDirection.MAXIMIZE else 1.0
    order = {"COMPLETE": 0, "PRUNED": 1, "FAIL": 2}

    def key(t):
        v = t.value if t.value is not None else (t.intermediate_values[max(
            t.intermediate_values)] if t.intermediate_values else math.nan)
        return (order.get(t.state.name, 3), sign * v if math.isfinite(v) else math.inf,
                t.number)

    trials = sorted(trials, key=key)
    if params is None:
        params = []
        for t in trials:
            params += [p for p in t.params if p not in params]
    head = ["trial", "state", "value", "epochs", *params]
    rows = []
    for t in trials[:top] if top else trials:
        value = t.value
        if value is None and t.intermediate_values:
            value = t.intermediate_values[max(t.intermediate_values)]
        epochs = t.user_attrs.get("epochs", max(t.intermediate_values, default=""))
        rows.append([str(t.number), t.state.name.lower(),
                     "" if value is None else f"{value:.4f}", str(epochs),
                     # "-": not drawn (rprop draws no weight_decay)
                     *(_fmt(t.params[p]) if p in t.params else "-" for p in params)])
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h)
              for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip() for r in rows]
    return "\n".join(lines)


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.3g}" if v != 0 and (abs(v) < 1e-2 or abs(v) >= 1e4) else f"{v:.4g}"
    return str(v)


def counts(st) -> str:
    """``"12 complete, 7 pruned, 1 failed"``."""
    c = {}
    for t in st.get_trials(deepcopy=False):
        c[t.state.name] = c.get(t.state.name, 0) + 1
    parts = [f"{c.get('COMPLETE', 0)} complete", f"{c.get('PRUNED', 0)} pruned",
             f"{c.get('FAIL', 0)} failed"]
    if c.get("RUNNING"):
        parts.append(f"{c['RUNNING']} running")
    return ", ".join(parts)
