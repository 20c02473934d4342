"""k-center greedy against scikit-activeml's CoreSet: paired repeats, one thread.

The pool of ``bench_strategies.py`` (``make_classification``, ``--n-pool``
rows, 20 features, 10 informative, 4 classes, seed 0) with the first
``--n-labeled`` rows labeled; one query of ``--n-instances`` rows by
:class:`skal.strategies.KCenterGreedy` (through ``ActiveLearner.query``, model
training excluded) and by ``skactiveml.pool.CoreSet`` (``query``), both in this
process under one BLAS/OpenMP thread. The two run back to back ``--repeats``
times, alternating which goes first; the script prints each pair, the median
of the per-pair ratios (CoreSet time / skal time) and the median times, so
that a load change during the run hits both sides of a pair alike. Times are
the CPU time of this process (``time.process_time``; one thread, so a busy
machine does not add the time spent waiting for a core) and the wall time.

Run with the Python of an environment that has scikit-activeml (see
``bench_strategies.py``)::

    PYTHONPATH=. /work/benchvenv/bin/python benchmarks/bench_kcenter.py
"""

import argparse
import os
import platform
import time
import warnings
from datetime import datetime, timezone

import numpy as np
from threadpoolctl import threadpool_limits

SEED = 0


def make_pool(n_pool, n_labeled):
    from sklearn.datasets import make_classification

    X, y = make_classification(
        n_samples=n_pool + n_labeled,
        n_features=20,
        n_informative=10,
        n_classes=4,
        random_state=SEED,
    )
    return X, y


def skal_query(X, y, n_labeled, n_instances):
    from sklearn.linear_model import LogisticRegression

    from skal import ActiveLearner
    from skal.strategies import KCenterGreedy

    y_partial = np.full_like(y, -1)
    y_partial[:n_labeled] = y[:n_labeled]
    learner = ActiveLearner(
        LogisticRegression(max_iter=1000), KCenterGreedy(), random_state=SEED
    ).fit(X, y_partial)
    return lambda: learner.query(n_instances=n_instances)


def skactiveml_query(X, y, n_labeled, n_instances):
    from skactiveml.pool import CoreSet

    y_partial = np.full(y.shape, np.nan)
    y_partial[:n_labeled] = y[:n_labeled]
    strategy = CoreSet(random_state=SEED)
    return lambda: strategy.query(X, y_partial, batch_size=n_instances)


def cpu_seconds(query):
    """``(CPU seconds, wall seconds)`` of one call."""
    tic, wall = time.process_time(), time.perf_counter()
    query()
    return time.process_time() - tic, time.perf_counter() - wall


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-pool", type=int, default=100_000)
    parser.add_argument("--n-labeled", type=int, default=100)
    parser.add_argument("--n-instances", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    warnings.simplefilter("ignore", category=FutureWarning)
    X, y = make_pool(args.n_pool, args.n_labeled)
    print(
        f"# k-center vs CoreSet, {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"{platform.machine()} {os.cpu_count()} cores, load "
        f"{os.getloadavg()[0]:.1f}; pool {args.n_pool:,} x 20, "
        f"{args.n_labeled} labeled, batch {args.n_instances}, one thread"
    )
    with threadpool_limits(limits=1):
        ours = skal_query(X, y, args.n_labeled, args.n_instances)
        theirs = skactiveml_query(X, y, args.n_labeled, args.n_instances)
        ours(), theirs()  # warm up both
        rows = []
        for repeat in range(args.repeats):
            if repeat % 2:
                their_s, our_s = cpu_seconds(theirs), cpu_seconds(ours)
            else:
                our_s, their_s = cpu_seconds(ours), cpu_seconds(theirs)
            rows.append((*our_s, *their_s))
            print(
                f"repeat {repeat}: skal {our_s[0]:.3f} s CPU ({our_s[1]:.3f} wall), "
                f"CoreSet {their_s[0]:.3f} s CPU ({their_s[1]:.3f} wall), ratio "
                f"{their_s[0] / our_s[0]:.2f} CPU, {their_s[1] / our_s[1]:.2f} wall"
            )
    ours_cpu, ours_wall, theirs_cpu, theirs_wall = np.array(rows).T
    for label, ours_s, theirs_s in (
        ("CPU", ours_cpu, theirs_cpu),
        ("wall", ours_wall, theirs_wall),
    ):
        print(
            f"median {label}: skal {np.median(ours_s):.3f} s, CoreSet "
            f"{np.median(theirs_s):.3f} s; CoreSet / skal = "
            f"{np.median(theirs_s / ours_s):.2f} (median of {args.repeats} paired "
            "ratios)"
        )


if __name__ == "__main__":
    main()
