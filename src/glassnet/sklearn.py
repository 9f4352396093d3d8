"""scikit-learn estimators around glassnet modules: :class:`NeuralNetClassifier` and
:class:`NeuralNetRegressor` (needs ``glassnet[tune]``: scikit-learn).

>>> from glassnet.sklearn import NeuralNetClassifier, MLP
>>> from sklearn.model_selection import GridSearchCV
>>> clf = NeuralNetClassifier(MLP, max_epochs=20, lr=0.01, random_state=0)
>>> search = GridSearchCV(clf, {"module__hidden": [8, 32], "lr": [0.01, 0.1]}, n_jobs=2)
>>> search.fit(X, y).best_params_                                    # doctest: +SKIP

``module`` is a Module class or any factory returning a Module; ``module__NAME=value``
sets its constructor arguments, ``optimizer__NAME`` / ``criterion__NAME`` those of the
optimizer and the loss, so a grid can search architecture and training together. A
factory that takes ``in_features`` / ``out_features`` gets them from the data when they
are not set (the number of features; the number of classes, or of regression targets).
``fit`` builds a fresh module and trains it with :func:`glassnet.fit`; ``partial_fit``
trains one more epoch on what is there. Parameters follow scikit-learn's rules: stored
as given, checked in ``fit``.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import inspect
import math
import numbers
import sys
import time

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import check_is_fitted, validate_data

from . import nn, optim
from . import random as _random
from .autograd import no_grad
from .data.dataset import Dataset
from .data.loader import DataLoader
from .nn import functional as F
from .tensor import Tensor
from .train import Callback, History
from .train import fit as _gn_fit
from .tune import MLP

__all__ = ["NeuralNet", "NeuralNetClassifier", "NeuralNetRegressor", "MLP"]

PREFIXES = ("module", "optimizer", "criterion")
"""``PREFIX__name=value`` keyword arguments are routed to these objects' constructors."""


# --- helpers -------------------------------------------------------------------------------
def _signature_params(factory) -> tuple[list[str] | None, bool]:
    """(named parameters, accepts **kwargs) of a class's constructor or a function; None
    when the signature cannot be read."""
    try:
        sig = inspect.signature(factory)
    except (TypeError, ValueError):
        return None, True
    names, var_kw = [], False
    for p in sig.parameters.values():
        if p.kind is p.VAR_KEYWORD:
            var_kw = True
        elif p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY):
            names.append(p.name)
    return names, var_kw


def _describe(obj) -> str:
    return getattr(obj, "__qualname__", None) or type(obj).__name__


def _check_names(prefix: str, target, names, where: str) -> None:
    """Every ``prefix__name`` must be a constructor argument of ``target``."""
    if not names or target is None or isinstance(target, nn.Module):
        return
    if not callable(target):
        return
    accepted, var_kw = _signature_params(target)
    if accepted is None or var_kw:
        return
    if prefix == "optimizer":  # the first argument is the parameters, given by fit
        accepted = accepted[1:]
    bad = sorted(n for n in names if n not in accepted)
    if bad:
        raise ValueError(
            f"{where}: unknown parameter(s) {', '.join(f'{prefix}__{b}' for b in bad)}: "
            f"{_describe(target)}() accepts {', '.join(accepted) or 'no arguments'}"
        )


def _seed_from(random_state) -> int | None:
    """An int seed from ``random_state`` (None, an int, or a NumPy RandomState/Generator,
    from which a seed is drawn as scikit-learn does)."""
    if random_state is None:
        return None
    if isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool):
        return int(random_state)
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(np.iinfo(np.int32).max))
    raise ValueError(f"random_state must be None, an int or a numpy RandomState, got "
                     f"{random_state!r}")


class _SparseRows(Dataset):
    """Rows of a SciPy sparse matrix, made dense one batch at a time (the loader's
    ``collate_fn`` gathers them), so a large sparse X is never densified whole."""

    def __init__(self, X, y, dtype):
        self.X, self.y, self.dtype = X, y, dtype

    def __len__(self) -> int:
        return self.X.shape[0]

    def __getitem__(self, i):
        return i

    def collate(self, indices):
        idx = np.asarray(indices, dtype=np.int64)
        xb = Tensor._wrap(np.asarray(self.X[idx].toarray(), dtype=self.dtype))
        if self.y is None:
            return (xb,)
        return xb, Tensor._wrap(self.y[idx])


def _loader(X, y, batch_size, shuffle, generator, dtype):
    if hasattr(X, "toarray"):  # scipy.sparse
        ds = _SparseRows(X, y, dtype)
        return DataLoader(ds, batch_size=batch_size, shuffle=shuffle, generator=generator,
                          collate_fn=ds.collate)
    from .data.dataset import TensorDataset

    X = np.asarray(X, dtype=dtype)  # the module's dtype: glassnet does not mix float widths
    arrays = (X,) if y is None else (X, y)
    return DataLoader(TensorDataset(*arrays), batch_size=batch_size, shuffle=shuffle,
                      generator=generator)


class _EpochPrinter(Callback):
    """``verbose=1``: one line per epoch on stdout (epoch, logged values, seconds)."""

    def __init__(self, offset: int = 0):
        self.offset = offset
        self._t0 = 0.0

    def on_epoch_begin(self, trainer, epoch):
        self._t0 = time.perf_counter()

    def on_epoch_end(self, trainer, epoch, logs):
        values = "  ".join(f"{k}={v:.4f}" for k, v in logs.items() if k != "lr")
        print(f"epoch {self.offset + epoch:>3}  {values}  "
              f"({time.perf_counter() - self._t0:.2f}s)", file=sys.stdout, flush=True)


@contextlib.contextmanager
def _forked_rng(state):
    """Run with glassnet's global generator set to ``state`` (a dict holder), keeping
    the caller's global state untouched; the state after the block goes back into the
    holder. ``state=None`` runs on the global generator itself."""
    if state is None:
        yield
        return
    saved = _random.get_rng_state()
    _random.set_rng_state(state["global"])
    try:
        yield
    finally:
        state["global"] = _random.get_rng_state()
        _random.set_rng_state(saved)


# --- the estimators ------------------------------------------------------------------------
class NeuralNet(BaseEstimator):
    """Shared machinery of :class:`NeuralNetClassifier` and :class:`NeuralNetRegressor`.

    Args:
        module: a ``gn.nn.Module`` subclass or a factory returning a Module (called with
            the ``module__*`` arguments, plus ``in_features``/``out_features`` from the
            data when it takes them and they are not set), or a Module instance (each fit
            starts from a copy of its weights).
        criterion: the loss: a function ``loss(output, target)`` (``criterion__*`` bound
            as keyword arguments), a loss Module class (built with ``criterion__*``) or
            instance. Default: ``F.cross_entropy`` (classifier), ``F.mse_loss``
            (regressor).
        optimizer: a ``gn.optim`` optimizer class, built as
            ``optimizer(params, lr=lr, **optimizer__*)``.
        lr: the learning rate.
        max_epochs: epochs per ``fit`` (``partial_fit`` trains one).
        batch_size: mini-batch size for training and prediction.
        train_split: None (train on everything), a fraction in (0, 1) held out for
            validation (stratified for a classifier; logged as ``val_loss`` ...), or a
            callable ``(X, y) -> (train_indices, val_indices)``.
        callbacks: ``gn.train.Callback`` instances (copied at each fit, so their state
            never leaks between fits), e.g. ``EarlyStopping(patience=5)``.
        random_state: seed of the initial weights, the shuffling, dropout and the
            validation split; None uses glassnet's global generator. With a seed the
            caller's global generator is left as it was.
        verbose: 0 silent, 1 one line per epoch.
    """

    _estimator_kind = "estimator"

    def __init__(self, module, *, criterion=None, optimizer=optim.Adam, lr=0.01,
                 max_epochs=10, batch_size=128, train_split=None, callbacks=None,
                 random_state=None, verbose=0, **kwargs):
        self.module = module
        self.criterion = criterion
        self.optimizer = optimizer
        self.lr = lr
        self.max_epochs = max_epochs
        self.batch_size = batch_size
        self.train_split = train_split
        self.callbacks = callbacks
        self.random_state = random_state
        self.verbose = verbose
        # routed parameters live in a private dict (scikit-learn forbids other public
        # attributes in __init__); get_params / set_params expose them
        self._routed = dict(kwargs)

    # --- parameters ----------------------------------------------------------------------
    def get_params(self, deep=True):
        params = super().get_params(deep=deep)
        params.update(self.__dict__.get("_routed", {}))
        return params

    def set_params(self, **params):
        routed = {k: v for k, v in params.items() if self._is_routed(k)}
        plain = {k: v for k, v in params.items() if k not in routed}
        if plain:
            super().set_params(**plain)
        if routed:
            for prefix in PREFIXES:
                names = [k.split("__", 1)[1] for k in routed if k.startswith(prefix + "__")]
                _check_names(prefix, self._target(prefix), names,
                             f"{type(self).__name__}.set_params")
            self._routed.update(routed)
        return self

    @staticmethod
    def _is_routed(key: str) -> bool:
        return "__" in key and key.split("__", 1)[0] in PREFIXES

    def __getattr__(self, name):
        # est.module__hidden reads a routed parameter (as in skorch)
        routed = self.__dict__.get("_routed")
        if routed is not None and name in routed:
            return routed[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _prefixed(self, prefix: str) -> dict:
        n = len(prefix) + 2
        return {k[n:]: v for k, v in self._routed.items() if k.startswith(prefix + "__")}

    def _target(self, prefix: str):
        if prefix == "module":
            return self.module
        if prefix == "optimizer":
            return self.optimizer
        return self.criterion if self.criterion is not None else self._default_criterion()

    def _check_params(self) -> None:
        name = type(self).__name__
        bad = [k for k in self._routed if not self._is_routed(k)]
        if bad:
            raise ValueError(
                f"{name}: unknown parameter(s) {', '.join(map(repr, sorted(bad)))}; routed "
                f"parameters take a prefix: {', '.join(p + '__NAME' for p in PREFIXES)}"
            )
        for prefix in PREFIXES:
            _check_names(prefix, self._target(prefix), list(self._prefixed(prefix)), name)
        for key, low in (("max_epochs", 0), ("batch_size", 1)):
            v = getattr(self, key)
            if not isinstance(v, numbers.Integral) or isinstance(v, bool) or v < low:
                raise ValueError(f"{name}: {key} must be an integer >= {low}, got {v!r}")
        if not isinstance(self.lr, numbers.Real) or not self.lr > 0:
            raise ValueError(f"{name}: lr must be a positive number, got {self.lr!r}")
        ts = self.train_split
        if not (ts is None or callable(ts) or (isinstance(ts, numbers.Real)
                                               and not isinstance(ts, bool) and 0 < ts < 1)):
            raise ValueError(f"{name}: train_split must be None, a fraction in (0, 1) or a "
                             f"callable (X, y) -> (train_indices, val_indices), got {ts!r}")
        cbs = [] if self.callbacks is None else self.callbacks
        if not isinstance(cbs, (list, tuple)) or not all(isinstance(c, Callback) for c in cbs):
            raise TypeError(f"{name}: callbacks must be a list of gn.train.Callback "
                            f"instances, got {self.callbacks!r}")
        if not (isinstance(self.optimizer, type) or callable(self.optimizer)):
            raise TypeError(f"{name}: optimizer must be an optimizer class, got "
                            f"{self.optimizer!r}")

    # --- building ------------------------------------------------------------------------
    def _default_criterion(self):
        raise NotImplementedError

    def _out_features(self) -> int:
        raise NotImplementedError

    def _build_module(self, n_features: int):
        name = type(self).__name__
        spec = self.module
        kwargs = self._prefixed("module")
        if isinstance(spec, nn.Module):
            if kwargs:
                raise ValueError(f"{name}: module is a Module instance; module__* "
                                 f"parameters ({', '.join(kwargs)}) need a class or factory")
            return copy.deepcopy(spec)
        if not callable(spec):
            raise TypeError(f"{name}: module must be a gn.nn.Module class, a factory "
                            f"returning a Module, or a Module instance, got {spec!r}")
        accepted, var_kw = _signature_params(spec)
        accepted = accepted or []
        if "in_features" in accepted and "in_features" not in kwargs:
            kwargs["in_features"] = n_features
        if "out_features" in accepted and "out_features" not in kwargs:
            kwargs["out_features"] = self._out_features()
        try:
            module = spec(**kwargs)
        except TypeError as e:
            raise TypeError(f"{name}: building {_describe(spec)}(**{kwargs}) failed: "
                            f"{e}") from e
        if not isinstance(module, nn.Module):
            raise TypeError(f"{name}: module factory {_describe(spec)} returned "
                            f"{type(module).__name__}, not a gn.nn.Module")
        return module

    def _build_criterion(self):
        crit = self.criterion if self.criterion is not None else self._default_criterion()
        kwargs = self._prefixed("criterion")
        if isinstance(crit, type):
            return crit(**kwargs)
        if isinstance(crit, nn.Module) or not kwargs:
            if not callable(crit):
                raise TypeError(f"{type(self).__name__}: criterion must be a loss function "
                                f"or loss Module, got {crit!r}")
            return crit
        return functools.partial(crit, **kwargs)

    def _build_optimizer(self, module):
        try:
            return self.optimizer(module.parameters(), lr=self.lr,
                                  **self._prefixed("optimizer"))
        except TypeError as e:
            raise TypeError(f"{type(self).__name__}: building optimizer "
                            f"{_describe(self.optimizer)} failed: {e}") from e

    def _dtype(self):
        for p in self.module_.parameters():
            return p.data.dtype
        return np.dtype(np.float32)

    # --- data ----------------------------------------------------------------------------
    def _validate_X(self, X, reset: bool):
        X = validate_data(self, X, reset=reset, accept_sparse=("csr", "csc", "coo"),
                          dtype=(np.float64, np.float32))
        return X.tocsr() if hasattr(X, "tocsr") else X

    def _check_output(self, X) -> None:
        """One forward pass on two rows: the module's output must fit the targets."""
        want = self._out_features()
        rows = X[:2].toarray() if hasattr(X, "toarray") else X[:2]
        was = self.module_.training
        self.module_.eval()
        try:
            with no_grad():
                out = self.module_(Tensor._wrap(np.asarray(rows, dtype=self._dtype())))
        except Exception as e:
            raise ValueError(f"{type(self).__name__}: the module failed on input of shape "
                             f"(N, {X.shape[1]}): {e}") from e
        finally:
            self.module_.train(was)
        shape = tuple(out.shape)
        if len(shape) != 2 or shape[1] != want:
            what = "classes" if isinstance(self, ClassifierMixin) else "targets"
            raise ValueError(
                f"{type(self).__name__}: the module returns shape {shape} for 2 samples; "
                f"expected (2, {want}) for {want} {what}. Give the module an out_features "
                f"argument (filled in from the data) or set module__out_features={want}"
            )

    def _split(self, X, y):
        ts = self.train_split
        if ts is None:
            return X, y, None
        n = X.shape[0]
        if callable(ts):
            tr, va = ts(X, y)
            tr, va = np.asarray(tr), np.asarray(va)
        else:
            rng = np.random.default_rng(self._seed)
            n_val = max(1, int(math.floor(ts * n + 0.5)))
            if n_val >= n:
                raise ValueError(f"{type(self).__name__}: train_split={ts} leaves no "
                                 f"training samples out of {n}")
            va = self._val_indices(y, n_val, rng)
            tr = np.setdiff1d(np.arange(n), va)
        return X[tr], y[tr], (X[va], y[va])

    def _val_indices(self, y, n_val, rng):
        return np.sort(rng.permutation(y.shape[0])[:n_val])

    # --- training ------------------------------------------------------------------------
    def _initialize(self, X, y):
        self._check_params()
        self._seed = _seed_from(self.random_state)
        self._rng = None if self._seed is None else {
            "global": np.random.default_rng(self._seed).bit_generator.state}
        self._shuffle = None if self._seed is None else _random.Generator(self._seed + 1)
        with _forked_rng(self._rng):
            self.module_ = self._build_module(X.shape[1])
        self._check_output(X)
        self.criterion_ = self._build_criterion()
        self.optimizer_ = self._build_optimizer(self.module_)
        self.history_ = History()

    def _train(self, X, y, epochs: int):
        X_tr, y_tr, val = self._split(X, y)
        dtype = self._dtype()
        train = _loader(X_tr, y_tr, int(self.batch_size), True, self._shuffle, dtype)
        val_loader = None if val is None else _loader(*val, int(self.batch_size), False,
                                                      None, dtype)
        callbacks = copy.deepcopy(list(self.callbacks or ()))
        done = len(self.history_)
        if self.verbose:
            callbacks.append(_EpochPrinter(done))
        with _forked_rng(self._rng):
            history = _gn_fit(self.module_, train, loss_fn=self.criterion_,
                              optimizer=self.optimizer_, epochs=epochs, val_data=val_loader,
                              metrics=self._metrics(), callbacks=callbacks, progress=False,
                              generator=self._shuffle)
        self.optimizer_.zero_grad()  # no gradients travel with a pickled estimator
        for e in history.epoch:
            self.history_.append(done + e, {k: v[e - 1] for k, v in history.history.items()})
        self.history_.stop_reason = history.stop_reason
        self.module_.eval()
        return self

    def _metrics(self):
        return ()

    def _forward(self, X) -> np.ndarray:
        """The module's outputs for X in eval mode, batch by batch, as float64."""
        check_is_fitted(self)
        X = self._validate_X(X, reset=False)
        module = self.module_
        was = module.training
        module.eval()
        outs = []
        try:
            with no_grad():
                for (xb,) in _loader(X, None, int(self.batch_size), False, None,
                                     self._dtype()):
                    outs.append(np.asarray(module(xb).data, dtype=np.float64))
        finally:
            module.train(was)
        return np.concatenate(outs, axis=0)

    def __sklearn_is_fitted__(self) -> bool:
        return hasattr(self, "module_")

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        tags.non_deterministic = self.random_state is None
        return tags

    def __repr__(self, N_CHAR_MAX=700):
        return super().__repr__(N_CHAR_MAX)


class NeuralNetClassifier(ClassifierMixin, NeuralNet):
    """A glassnet module as a scikit-learn classifier (see :class:`NeuralNet` for the
    arguments).

    The module maps ``(N, n_features)`` to ``(N, n_classes)`` raw scores (logits);
    ``predict_proba`` is their softmax (log-probabilities from a ``log_softmax`` output
    give the same probabilities). Labels may be of any type (strings, non-contiguous
    integers): ``classes_`` holds them sorted and the module sees their indices.

    Attributes after ``fit``: ``module_``, ``optimizer_``, ``criterion_``, ``classes_``,
    ``n_features_in_`` (and ``feature_names_in_`` for a DataFrame), ``history_`` (a
    ``gn.train.History``: ``history_["loss"]``, ``["val_accuracy"]`` ...).
    """

    def _default_criterion(self):
        return F.cross_entropy

    def _out_features(self) -> int:
        return len(self.classes_)

    def _metrics(self):
        return ("accuracy",)

    def _val_indices(self, y, n_val, rng):
        # stratified: each class gives its share (rounded), at least one sample when it can
        classes, inverse = np.unique(y, return_inverse=True)
        picks = []
        for c in range(len(classes)):
            idx = rng.permutation(np.flatnonzero(inverse == c))
            k = int(round(n_val * len(idx) / len(y)))
            picks.append(idx[:min(k, len(idx) - 1)])
        return np.sort(np.concatenate(picks))

    def _encode(self, y, fitting: bool, classes=None):
        name = type(self).__name__
        if fitting:
            check_classification_targets(y)
            self.classes_ = np.unique(y) if classes is None else np.unique(np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError(
                    f"{name}: y has only one class ({self.classes_[0]!r}); a classifier "
                    f"needs at least 2 classes")
        pos = np.searchsorted(self.classes_, y)
        pos = np.clip(pos, 0, len(self.classes_) - 1)
        unseen = self.classes_[pos] != y
        if unseen.any():
            new = np.unique(np.asarray(y)[unseen])
            shown = ", ".join(map(repr, new[:10].tolist()))
            raise ValueError(
                f"{name}: y has label(s) {shown}{' ...' if len(new) > 10 else ''} not seen "
                f"at fit time; known classes: {self.classes_.tolist()}. Pass every label "
                f"in classes=... to the first partial_fit"
            )
        return pos.astype(np.int64)

    def fit(self, X, y):
        """Build a fresh module and train it ``max_epochs`` epochs on (X, y)."""
        X, y = validate_data(self, X, y, accept_sparse=("csr", "csc", "coo"),
                             dtype=(np.float64, np.float32))
        X = X.tocsr() if hasattr(X, "tocsr") else X
        t = self._encode(y, fitting=True)
        self._initialize(X, t)
        return self._train(X, t, int(self.max_epochs))

    def partial_fit(self, X, y, classes=None):
        """Train one epoch on (X, y), building the module on the first call.

        ``classes``: every label the classifier will see, required on the first call
        when this batch does not show them all."""
        first = not hasattr(self, "module_")
        if first:
            X, y = validate_data(self, X, y, accept_sparse=("csr", "csc", "coo"),
                                 dtype=(np.float64, np.float32))
            X = X.tocsr() if hasattr(X, "tocsr") else X
            if classes is not None:
                check_classification_targets(y)
            t = self._encode(y, fitting=True, classes=classes)
            self._initialize(X, t)
        else:
            X, y = validate_data(self, X, y, reset=False,
                                 accept_sparse=("csr", "csc", "coo"),
                                 dtype=(np.float64, np.float32))
            X = X.tocsr() if hasattr(X, "tocsr") else X
            if classes is not None and not np.array_equal(np.unique(classes), self.classes_):
                raise ValueError(f"{type(self).__name__}: classes={list(classes)} differs "
                                 f"from the first call's {self.classes_.tolist()}")
            t = self._encode(y, fitting=False)
        return self._train(X, t, 1)

    def predict_proba(self, X):
        """Class probabilities ``(N, n_classes)``: the softmax of the module's output."""
        z = self._forward(X)
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        return p / p.sum(axis=1, keepdims=True)

    def predict_log_proba(self, X):
        z = self._forward(X)
        z = z - z.max(axis=1, keepdims=True)
        return z - np.log(np.exp(z).sum(axis=1, keepdims=True))

    def predict(self, X):
        """The most probable class label for each row."""
        scores = self._forward(X)  # first: it raises NotFittedError before fit
        return self.classes_[scores.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


class NeuralNetRegressor(RegressorMixin, NeuralNet):
    """A glassnet module as a scikit-learn regressor (see :class:`NeuralNet` for the
    arguments).

    The module maps ``(N, n_features)`` to ``(N, n_targets)``; a 1-D ``y`` is one target
    (the module then returns ``(N, 1)``, and ``predict`` a 1-D array). Targets are
    trained as the module's dtype (float32 by default); predictions come back as
    float64. Attributes after ``fit`` as for :class:`NeuralNetClassifier` (no
    ``classes_``; ``n_outputs_`` instead)."""

    def _default_criterion(self):
        return F.mse_loss

    def _out_features(self) -> int:
        return self.n_outputs_

    def _targets(self, y):
        y = np.asarray(y)
        self._y_1d = y.ndim == 1
        return y.reshape(len(y), -1)

    def fit(self, X, y):
        """Build a fresh module and train it ``max_epochs`` epochs on (X, y)."""
        X, y = validate_data(self, X, y, accept_sparse=("csr", "csc", "coo"),
                             dtype=(np.float64, np.float32), multi_output=True,
                             y_numeric=True)
        X = X.tocsr() if hasattr(X, "tocsr") else X
        y2 = self._targets(y)
        self.n_outputs_ = y2.shape[1]
        self._initialize(X, y2)
        return self._train(X, y2.astype(self._dtype()), int(self.max_epochs))

    def partial_fit(self, X, y):
        """Train one epoch on (X, y), building the module on the first call."""
        if not hasattr(self, "module_"):
            return self._first_partial_fit(X, y)
        X, y = validate_data(self, X, y, reset=False, accept_sparse=("csr", "csc", "coo"),
                             dtype=(np.float64, np.float32), multi_output=True,
                             y_numeric=True)
        X = X.tocsr() if hasattr(X, "tocsr") else X
        one_d = self._y_1d
        y2 = self._targets(y)
        self._y_1d = one_d
        if y2.shape[1] != self.n_outputs_:
            raise ValueError(f"{type(self).__name__}: y has {y2.shape[1]} target(s), the "
                             f"model was fit with {self.n_outputs_}")
        return self._train(X, y2.astype(self._dtype()), 1)

    def _first_partial_fit(self, X, y):
        X, y = validate_data(self, X, y, accept_sparse=("csr", "csc", "coo"),
                             dtype=(np.float64, np.float32), multi_output=True,
                             y_numeric=True)
        X = X.tocsr() if hasattr(X, "tocsr") else X
        y2 = self._targets(y)
        self.n_outputs_ = y2.shape[1]
        self._initialize(X, y2)
        return self._train(X, y2.astype(self._dtype()), 1)

    def predict(self, X):
        """Predicted targets: ``(N,)`` when fit on a 1-D y, else ``(N, n_targets)``."""
        out = self._forward(X)
        return out.ravel() if self._y_1d else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

