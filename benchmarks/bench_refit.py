"""Compute-saving training: refit="full" against partial updates and warm starts.

A 100-loop simulation on ``load_digits`` (pixels scaled to [0, 1]) with
``SGDClassifier(loss="log_loss")`` and margin uncertainty sampling: 20 initial
labels, 10 per loop, up to 1,020 labels; a stratified quarter of the rows is the
test set. Every configuration sees the same splits, initial sets and seeds
(paired). Printed per configuration: the area under the learning curve (test
accuracy, :func:`skal.metrics.area_under_learning_curve`), its paired
difference to ``refit="full"``, the final accuracy, and the query + training
seconds of a whole campaign, with the speed-up over ``refit="full"``.

Run: ``python benchmarks/bench_refit.py [--repeats 3]``.
"""

import argparse
import os
import platform
import time

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import SGDClassifier

from skal import ActiveLearner
from skal.metrics import area_under_learning_curve
from skal.model_selection import active_learning_curve
from skal.strategies import UncertaintySampling

CONFIGURATIONS = {
    'refit="full"': dict(refit="full"),
    'refit="partial" (defaults: "auto" epochs, replay)': dict(refit="partial"),
    "  old defaults: partial_epochs=1, replay=0": dict(
        refit="partial", partial_epochs=1, replay=0
    ),
    'refit="partial", partial_epochs=5, replay=100': dict(
        refit="partial", partial_epochs=5, replay=100
    ),
    'refit="partial", partial_epochs=10, replay=100': dict(
        refit="partial", partial_epochs=10, replay=100
    ),
    "  same, refit_every=10": dict(
        refit="partial", partial_epochs=10, replay=100, refit_every=10
    ),
    'refit="warm_start"': dict(refit="warm_start"),
}


def by_hand(refit, X_train, y_train, X_test, y_test, seed, n_loops=100):
    """The loop driven by hand: partial_fit (or fit) on 20 rows, then
    query/teach (or query/label) 10 rows at a time; test accuracy per loop."""
    rng = np.random.RandomState(seed)
    first = rng.choice(len(y_train), 20, replace=False)
    learner = ActiveLearner(
        SGDClassifier(loss="log_loss", random_state=seed),
        UncertaintySampling(measure="margin"),
        batch_size=10,
        classes=np.arange(10),
        refit=refit,
        random_state=seed,
    )
    start = time.perf_counter()
    if refit == "partial":
        learner.partial_fit(X_train[first], y_train[first])
        pool = np.setdiff1d(np.arange(len(y_train)), first)
    else:
        y_partial = np.full_like(y_train, -1)
        y_partial[first] = y_train[first]
        learner.fit(X_train, y_partial)
    n_labeled, scores = [20], [learner.score(X_test, y_test)]
    for _ in range(n_loops):
        if refit == "partial":
            picked = pool[learner.query(X_train[pool])]
            learner.teach(X_train[picked], y_train[picked])
            pool = np.setdiff1d(pool, picked)
        else:
            rows = learner.query()
            learner.label(rows, y_train[rows])
        n_labeled.append(n_labeled[-1] + 10)
        scores.append(learner.score(X_test, y_test))
    seconds = time.perf_counter() - start
    return area_under_learning_curve(n_labeled, scores), seconds


def main_by_hand(n_repeats=3, random_state=0):
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    rows = {"full": [], "partial": []}
    for repeat in range(n_repeats):
        seed = random_state + repeat
        split = train_test_split(X, y, test_size=0.25, stratify=y, random_state=seed)
        X_train, X_test, y_train, y_test = split
        for refit in rows:
            rows[refit].append(by_hand(refit, X_train, y_train, X_test, y_test, seed))
    full = np.array(rows["full"])
    partial = np.array(rows["partial"])
    print()
    print(
        "By hand (partial_fit on 20 rows, then query/teach 10 at a time, 100 loops; "
        'refit="full": fit, then query/label), same splits and seeds:'
    )
    header = (
        f"{'configuration':48s} {'AULC':>7s} {'dAULC':>7s} {'seconds':>8s} "
        f"{'speed-up':>8s}"
    )
    print(header)
    print("-" * len(header))
    for name, values in (
        ('refit="full"', full),
        ('refit="partial" (defaults)', partial),
    ):
        diff = values[:, 0] - full[:, 0]
        speedup = full[:, 1].mean() / values[:, 1].mean()
        print(
            f"{name:48s} {values[:, 0].mean():7.4f} {diff.mean():+7.4f} "
            f"{values[:, 1].mean():8.2f} {speedup:7.1f}x"
        )
    print("(seconds: the whole hand-driven campaign, scoring the test set included)")


def main(n_repeats=3, random_state=0):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    learners = {
        name: ActiveLearner(
            SGDClassifier(loss="log_loss", random_state=0),
            UncertaintySampling(measure="margin"),
            budget=1020,
            batch_size=10,
            n_initial=20,
            classes=np.arange(10),
            **params,
        )
        for name, params in CONFIGURATIONS.items()
    }
    start = time.perf_counter()
    n_labeled, scores, times = active_learning_curve(
        learners,
        X,
        y,
        n_repeats=n_repeats,
        random_state=random_state,
        return_times=True,
    )
    wall = time.perf_counter() - start
    reference = 'refit="full"'
    areas = {
        name: area_under_learning_curve(n_labeled[name], scores[name].T)
        for name in learners
    }
    seconds = {name: times[name][-1] for name in learners}  # per repeat
    n_loops = len(n_labeled[reference]) - 1
    print(
        f"load_digits, SGDClassifier(loss='log_loss'), margin sampling, {n_loops} "
        f"loops of 10 after 20 initial labels, {n_repeats} paired repeats"
    )
    print(
        f"{time.strftime('%Y-%m-%d')}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}"
    )
    header = (
        f"{'configuration':48s} {'AULC':>7s} {'dAULC':>7s} {'final':>6s} "
        f"{'seconds':>8s} {'speed-up':>8s}"
    )
    print(header)
    print("-" * len(header))
    for name in learners:
        diff = areas[name] - areas[reference]
        speedup = seconds[reference].mean() / seconds[name].mean()
        print(
            f"{name:48s} {areas[name].mean():7.4f} {diff.mean():+7.4f} "
            f"{scores[name][-1].mean():6.3f} {seconds[name].mean():8.2f} "
            f"{speedup:7.1f}x"
        )
    print(
        f"(AULC, final accuracy and seconds are means over repeats; dAULC is the "
        f"paired mean difference to {reference}; seconds count query + training "
        f"of one campaign; total wall time {wall:.0f} s)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    main(n_repeats=args.repeats, random_state=args.seed)
    main_by_hand(n_repeats=args.repeats, random_state=args.seed)
