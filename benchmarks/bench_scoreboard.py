"""The scoreboard of doc/scoreboard.rst: every strategy against random, everywhere.

Runs :func:`skal.scoreboard.run_suite` (paired repeats of every strategy of
:data:`skal.scoreboard.SUITE_STRATEGIES` on every offline data set, the
standardised logistic regression of ``skal benchmark``), prints the relative
AULC table, the rank table and the leave-one-data-set-out check of the
recommendation, and writes the plot and the per-repeat AULCs (JSON, plain
data) next to it. ``--lu`` adds the reproduction of Lu, Hsieh & Lin's protocol
on WDBC (scikit-learn's breast cancer) and banana (when ``river`` is
installed) beside their published numbers; ``--scale`` times one query of the
herding strategies, DropQuery and Falcun on large pools and reports the peak
of traced allocations (O(N) memory: no N x N matrix).

Run: ``OMP_NUM_THREADS=1 nice python benchmarks/bench_scoreboard.py --seeds 20
--output doc/_static/scoreboard.png [--lu] [--lu-batch 50] [--scale 20000,100000]``.
"""

import argparse
import json
import os
import platform
import time
import tracemalloc
from datetime import datetime, timezone

import numpy as np


def machine_line():
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (
        f"{datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.machine()} "
        f"{platform.processor() or ''} ({os.cpu_count()} cores), Python "
        f"{platform.python_version()}, load average {load:.1f}"
    )


def suite(args):
    from skal.scoreboard import (
        SUITE_STRATEGIES,
        SuiteResult,
        format_leave_one_out,
        format_suite,
        leave_one_dataset_out,
        rank_table,
        read_suite,
        relative_table,
        run_suite,
        suite_datasets,
        write_suite,
    )

    tic = time.perf_counter()
    datasets = args.datasets.split(",") if args.datasets else suite_datasets()
    checkpoint = os.path.splitext(args.output)[0] + ".json" if args.output else ""
    result = SuiteResult()
    if args.resume and checkpoint and os.path.exists(checkpoint):
        result = read_suite(checkpoint)
    for name in datasets:  # one at a time, saved after each
        missing = [s for s in SUITE_STRATEGIES if s not in result.aulc.get(name, {})]
        if not missing:
            continue
        part = run_suite(
            [name],
            ("random", *[s for s in missing if s != "random"]),
            n_seeds=args.seeds,
            n_jobs=args.n_jobs,
            max_rows=args.max_rows,
            progress=lambda name: print(f"... {name}", flush=True),
        )
        if name in result.aulc:  # strategies added later: same seeds, paired
            assert np.allclose(part.aulc[name]["random"], result.aulc[name]["random"])
            result.aulc[name].update(part.aulc[name])
            result.curves[name].update(part.curves[name])
        else:
            for key in ("aulc", "info", "curves"):
                getattr(result, key).update(getattr(part, key))
        result.config = {**part.config, "strategies": list(SUITE_STRATEGIES)}
        if checkpoint:
            write_suite(result, checkpoint)
    rows = relative_table(result)
    print(format_suite(result, rows, rank_table(result)))
    print()
    print("leave one data set out: the strategy of best mean rank on the others")
    print(format_leave_one_out(leave_one_dataset_out(result)))
    print(f"\n{args.seeds} paired seeds; wall {time.perf_counter() - tic:.0f} s")
    print(machine_line())
    if args.output:
        write_suite(result, args.output, rows)
        print(f"wrote {args.output}")


def lu(args):
    from skal.scoreboard import LU_PUBLISHED, run_lu_protocol, suite_datasets

    print("Lu, Hsieh & Lin's protocol: 40% test, 20 initial labels, RBF-SVM, AUBC")
    lines = []
    batches = {"breast_cancer": 1, "banana": args.lu_batch}
    for dataset in args.lu_datasets.split(","):
        batch = batches[dataset]
        if dataset not in suite_datasets():
            print(f"{dataset}: not available offline (pip install river)")
            continue
        tic = time.perf_counter()
        ours = run_lu_protocol(
            dataset, n_seeds=args.lu_seeds, batch_size=batch, n_jobs=args.n_jobs
        )
        for name, values in ours.items():
            mean, std = LU_PUBLISHED[dataset][name]
            lines.append(
                f"{dataset:14s} {name:7s} batch {batch:3d}: ours "
                f"{values.mean():.4f} ± {values.std():.4f} ({values.size} seeds)"
                f"   published {mean:.4f} ± {std:.4f}"
            )
        lines.append(f"  ({time.perf_counter() - tic:.0f} s)")
        print("\n".join(lines[-3:]), flush=True)
    print(machine_line())


def scale(args):
    from sklearn.datasets import make_classification
    from sklearn.linear_model import LogisticRegression

    from skal.strategies import DropQuery, Falcun, MaxHerding, QueryContext

    for n in (int(v) for v in args.scale.split(",")):
        X, y = make_classification(
            n_samples=n, n_features=20, n_informative=10, n_classes=4, random_state=0
        )
        labeled = np.arange(100)
        rows = (X[labeled], y[labeled])
        model = LogisticRegression(max_iter=500).fit(X[labeled], y[labeled])
        for strategy in (MaxHerding(), DropQuery(), Falcun()):
            if isinstance(strategy, MaxHerding) and n > args.herding_max_rows:
                print(
                    f"MaxHerding   pool {n - 100:>8,d}: skipped (O(N^2) kernel "
                    f"evaluations; above --herding-max-rows {args.herding_max_rows})"
                )
                continue
            context = QueryContext(
                X=X,
                pool_indices=np.arange(100, n),
                estimator=model,
                labeled=lambda rows=rows: rows,
                labeled_indices=labeled,
                random_state=np.random.RandomState(0),
            )
            tracemalloc.start()
            tic = time.perf_counter()
            strategy.select(context, 10)
            seconds = time.perf_counter() - tic
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            print(
                f"{type(strategy).__name__:12s} pool {n - 100:>8,d}: {seconds:7.1f} s,"
                f" peak {peak:7.1f} MiB (an N x N float matrix: "
                f"{(n - 100) ** 2 * 8 / 2**20:,.0f} MiB)",
                flush=True,
            )
    print(machine_line())


def train_lal(args):
    """Simulated campaigns on iris, wine and breast cancer; digits held out."""
    from scipy.stats import spearmanr

    from skal.registry import make_estimator
    from skal.scoreboard import load_suite_dataset
    from skal.strategies import fit_lal_model, simulate_lal_samples
    from skal.strategies._lal import predict_lal

    estimator = make_estimator("logreg")
    samples = {}
    for name in ("iris", "wine", "breast_cancer", "digits"):
        X, y = load_suite_dataset(name)
        samples[name] = simulate_lal_samples(
            X, y, estimator, n_states=args.lal_states, random_state=0
        )
    train = ("iris", "wine", "breast_cancer")
    model = fit_lal_model(
        np.vstack([samples[n][0] for n in train]),
        np.concatenate([samples[n][1] for n in train]),
        description="simulated campaigns of a standardised LogisticRegression "
        f"on {', '.join(train)} ({args.lal_states} states x 20 rows each)",
    )
    print(json.dumps(model, indent=1))
    print(
        "Spearman correlation with the true one-row accuracy change, over all "
        "samples / mean within a state (the ranking a query uses):"
    )
    for name, (features, targets) in samples.items():
        learned = predict_lal(model, features)
        within = [
            (
                spearmanr(learned[i : i + 20], targets[i : i + 20]).statistic,
                spearmanr(features[i : i + 20, 0], targets[i : i + 20]).statistic,
            )
            for i in range(0, len(targets), 20)
            if np.ptp(targets[i : i + 20]) > 0
        ]
        within = np.nanmean(np.array(within, dtype=float), axis=0)
        pooled = spearmanr(learned, targets).statistic
        margin_only = spearmanr(features[:, 0], targets).statistic
        held = "held out" if name not in train else "trained on"
        print(
            f"  {name:14s} ({held:10s}): LAL {pooled:+.3f} / {within[0]:+.3f}, "
            f"margin alone {margin_only:+.3f} / {within[1]:+.3f}"
        )
    print(machine_line())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--datasets", default="")
    parser.add_argument("--max-rows", type=int, default=None)
    parser.add_argument("--n-jobs", type=int, default=1)
    parser.add_argument("--output", default="")
    parser.add_argument("--resume", action="store_true")
    parser.add_argument("--lu", action="store_true")
    parser.add_argument("--lu-seeds", type=int, default=20)
    parser.add_argument("--lu-batch", type=int, default=10)
    parser.add_argument("--lu-datasets", default="breast_cancer,banana")
    parser.add_argument("--no-suite", action="store_true")
    parser.add_argument("--scale", default="")
    parser.add_argument("--herding-max-rows", type=int, default=50_000)
    parser.add_argument("--train-lal", action="store_true")
    parser.add_argument("--lal-states", type=int, default=40)
    args = parser.parse_args()
    if not args.no_suite:
        suite(args)
    if args.lu:
        lu(args)
    if args.scale:
        scale(args)
    if args.train_lal:
        train_lal(args)


if __name__ == "__main__":
    main()
