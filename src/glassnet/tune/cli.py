"""``glassnet tune CONFIG``: run an Optuna study described by a TOML/JSON file on a
bundled dataset, with a progress bar and a summary table; then retrain the best
configuration on training + validation data and score it on the held-out test part.

``glassnet tune --example`` prints a config to start from; ``docs/tuning.md``
describes every entry. More processes (here or on other hosts) join the same study by
running the same command against the same storage.
"""

from __future__ import annotations

import argparse
import sys
import time


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="glassnet tune", description=__doc__.splitlines()[0])
    p.add_argument("config", nargs="?", help="the study's .toml or .json file")
    p.add_argument("--example", action="store_true", help="print an example config and exit")
    p.add_argument("--n-trials", type=int, metavar="N", help="override [study] n_trials")
    p.add_argument("--n-jobs", type=int, metavar="N",
                   help="override [study] n_jobs (worker processes)")
    p.add_argument("--storage", metavar="URL_OR_PATH", help="override [study] storage")
    p.add_argument("--top", type=int, default=10, metavar="K",
                   help="rows in the summary table (default: %(default)s)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--no-final", action="store_true",
                   help="skip retraining the best configuration on the test split")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    from . import config as C

    if args.example:
        print(C.EXAMPLE, end="")
        return 0
    if not args.config:
        print("glassnet tune: give a CONFIG file (glassnet tune --example prints one)",
              file=sys.stderr)
        return 2
    try:
        import optuna
    except ImportError:
        print("glassnet tune needs Optuna: pip install 'glassnet[tune]'", file=sys.stderr)
        return 2
    from . import StorageError, counts, study, trials_table

    try:
        cfg = C.load(args.config)
    except C.ConfigError as e:
        print(f"glassnet tune: {e}", file=sys.stderr)
        return 2
    st_cfg = cfg["study"]
    for key in ("n_trials", "n_jobs", "storage"):
        v = getattr(args, key)
        if v is not None:
            st_cfg[key] = v
    if st_cfg["n_trials"] < 1 or st_cfg["n_jobs"] < 1:
        print("glassnet tune: --n-trials and --n-jobs must be >= 1", file=sys.stderr)
        return 2
    metric = cfg["train"]["metric"]
    where = st_cfg["storage"] or "memory"
    print(f"study {st_cfg['name']!r} in {where}: {st_cfg['n_trials']} trial(s) in "
          f"{st_cfg['n_jobs']} process(es), {st_cfg['direction']} {metric} on "
          f"{cfg['data']['dataset']}")
    if cfg["space"]:
        print("search: " + ", ".join(_space_text(k, v) for k, v in cfg["space"].items()))
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    t0 = time.perf_counter()
    try:
        st = study(C.Objective(cfg), storage=st_cfg["storage"], study_name=st_cfg["name"],
                   direction=st_cfg["direction"], n_trials=st_cfg["n_trials"],
                   timeout=st_cfg.get("timeout"), n_jobs=st_cfg["n_jobs"],
                   sampler=st_cfg.get("sampler"), pruner=st_cfg.get("pruner"),
                   seed=st_cfg["seed"], progress=not args.no_progress)
    except (StorageError, ValueError, TypeError) as e:
        print(f"glassnet tune: {e}", file=sys.stderr)
        return 2
    print(f"\n{counts(st)} in {time.perf_counter() - t0:.1f}s "
          f"({len(st.trials)} in the study in all)")
    print(trials_table(st, params=list(cfg["space"]), top=args.top))
    complete = [t for t in st.trials if t.state.name == "COMPLETE"]
    if not complete:
        print("no trial completed", file=sys.stderr)
        return 1
    best = st.best_trial
    params = {**cfg["fixed"], **best.params}
    print(f"\nbest trial {best.number}: {metric} {best.value:.4f} at epoch "
          f"{best.user_attrs.get('best_epoch', '?')} with "
          + ", ".join(f"{k}={_fmt(v)}" for k, v in best.params.items()))
    if not args.no_final:
        data = C.load_data(cfg)
        epochs = int(best.user_attrs.get("best_epoch", cfg["train"]["epochs"]))
        with C.one_blas_thread():
            model, _ = C.train_model(params, data, cfg, train="rest", val=None,
                                     epochs=epochs)
        import glassnet as gn

        res = gn.train.evaluate(model, data["test_for_rest"],
                                loss_fn=gn.nn.functional.cross_entropy)
        n = len(data["test_for_rest"][1])
        print(f"retrained on training + validation data for {epochs} epochs: held-out "
              f"test accuracy {res['accuracy']:.1%} ({n} samples)")
    return 0


def _fmt(v) -> str:
    from . import _fmt as f

    return f(v)


def _space_text(name, s) -> str:
    if "choices" in s:
        return f"{name} in {s['choices']}"
    return f"{name} {s['low']}..{s['high']}{' (log)' if s['log'] else ''}"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
