"""A stop that can be trusted: where do stopping criteria stop, and how much
accuracy was still to gain?

Margin sampling with a ``LogisticRegression`` (10 random rows, then batches of
10), a fifth of every batch spent on audit rows drawn at random from the pool
(``ActiveLearner(audit=0.2)``), on ``load_digits`` (pool 1,300 rows, 497 held
out), ``load_breast_cancer`` (standardised; pool 400, 169 held out) and a
synthetic 4-class ``make_classification`` set (pool 2,000, 2,000 held out);
each seed draws its own pool. Every campaign runs to its budget (800 labels;
380 on breast cancer) with the criteria watching (``AnyOf``, so each keeps its
own state), and for each criterion the table gives where it first said
"stop":

* ``AuditPlateau(min_gain=g)``: the accuracy gained over the last 3 loops on
  the audit rows, its 95% paired interval within ``(-g, g)``
  (:class:`skal.stopping.AuditPlateau`; read off one instance's ``gains_``, so
  all ``g`` share the campaign);
* ``PerformancePlateau()``: 5-fold cross-validated accuracy on the labeled
  rows (chosen rows, audits included) no better by 0.001 for 3 loops;
* ``StabilizingPredictions()``: mean kappa of the last 3 models on a stop set
  of 1,000 pool rows (fewer when the pool is smaller) >= 0.99.

Columns: labels at the stop (mean, min-max), held-out accuracy at the stop,
the accuracy still to gain (held-out accuracy at the end of the budget minus
at the stop: mean and worst seed), and the campaigns that never stopped.

Run: ``python benchmarks/bench_audit_stop.py [--repeats 10] [--quick]``.
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections import defaultdict  # noqa: E402

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.datasets import (  # noqa: E402
    load_breast_cancer,
    load_digits,
    make_classification,
)
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skal import ActiveLearner  # noqa: E402
from skal.stopping import (  # noqa: E402
    AnyOf,
    AuditPlateau,
    PerformancePlateau,
    StabilizingPredictions,
)
from skal.strategies import UncertaintySampling  # noqa: E402

N_INITIAL, BATCH, AUDIT = 10, 10, 0.2
GAINS = (0.01, 0.02, 0.03, 0.05)


def load_sets():
    X, y = load_digits(return_X_y=True)
    sets = {"digits": (X / 16.0, y, 1300, 800)}
    X, y = load_breast_cancer(return_X_y=True)
    sets["breast_cancer"] = (StandardScaler().fit_transform(X), y, 400, 380)
    X, y = make_classification(
        n_samples=4000,
        n_features=20,
        n_informative=8,
        n_classes=4,
        flip_y=0.0,
        random_state=0,
    )
    sets["synthetic"] = (X, y, 2000, 800)
    return sets


def campaign(X, y, X_test, y_test, budget, seed):
    """``[(labels, held-out accuracy, audit gain or None, reason)]`` per batch."""
    watch = AnyOf(
        [AuditPlateau(min_gain=1e-12), PerformancePlateau(), StabilizingPredictions()]
    )
    learner = ActiveLearner(
        LogisticRegression(max_iter=1000),
        UncertaintySampling("margin"),
        audit=AUDIT,
        batch_size=BATCH,
        n_initial=N_INITIAL,
        stopping=watch,
        random_state=seed,
    )
    learner.fit(X, np.full(len(y), -1))
    log, n = [], 0
    while n < budget:
        rows = learner.query(n_instances=N_INITIAL if n == 0 else BATCH)
        learner.label(rows, y[rows])
        n += len(rows)
        audit = learner.stopping_.criteria_[0]
        gain = audit.gains_[-1] if getattr(audit, "gains_", None) else None
        reason = learner.history_[-1]["stop_reason"] or ""
        log.append((n, learner.score(X_test, y_test), gain, reason))
    return log


def first_stop(log, rule):
    return next(((n, acc) for n, acc, gain, reason in log if rule(gain, reason)), None)


def rules():
    found = {}
    for g in GAINS:
        found[f"AuditPlateau(min_gain={g})"] = lambda gain, reason, g=g: (
            gain is not None and gain[3] >= 20 and -g < gain[1] and gain[2] < g
        )
    found["PerformancePlateau()"] = lambda gain, reason: "PerformancePlateau" in reason
    found["StabilizingPredictions()"] = lambda gain, reason: (
        "StabilizingPredictions" in reason
    )
    return found


def main(n_repeats=10):
    sets = load_sets()
    results = defaultdict(list)  # (set, rule) -> (n, acc at stop, still to gain)
    start, cpu = time.perf_counter(), time.process_time()
    for name, (X_all, y_all, n_pool, budget) in sets.items():
        for seed in range(n_repeats):
            order = np.random.RandomState(seed).permutation(len(y_all))
            pool, test = order[:n_pool], order[n_pool:][:2000]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                log = campaign(
                    X_all[pool], y_all[pool], X_all[test], y_all[test], budget, seed
                )
            final = log[-1][1]
            for rule, fired in rules().items():
                stop = first_stop(log, fired)
                results[name, rule].append(
                    (stop[0], stop[1], final - stop[1])
                    if stop
                    else (np.nan, np.nan, np.nan)
                )
            results[name, "end of budget"].append((log[-1][0], final, 0.0))
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"# {time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
        f"scikit-learn {sklearn.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} cores; {n_repeats} seeds; wall {wall:.0f} s, "
        f"CPU {cpu:.0f} s"
    )
    print(
        f"# LogisticRegression, margin sampling, batches of {BATCH}, "
        f"audit={AUDIT}; 'to gain': held-out accuracy at the end of the budget "
        "minus at the stop"
    )
    for name in sets:
        print(f"\n## {name}: budget {sets[name][3]} labels")
        head = (
            f"{'criterion':28s} {'labels':>7s} {'min-max':>9s} {'accuracy':>9s} "
            f"{'to gain':>8s} {'worst':>7s} {'never':>6s}"
        )
        print(head)
        print("-" * len(head))
        for rule in [*rules(), "end of budget"]:
            a = np.array(results[name, rule], dtype=float)
            stopped = np.isfinite(a[:, 0])
            if not stopped.any():
                print(
                    f"{rule:28s} {'-':>7s} {'-':>9s} {'-':>9s} {'-':>8s} "
                    f"{'-':>7s} {n_repeats:6d}"
                )
                continue
            s = a[stopped]
            span = f"{s[:, 0].min():.0f}-{s[:, 0].max():.0f}"
            print(
                f"{rule:28s} {s[:, 0].mean():7.0f} {span:>9s} {s[:, 1].mean():9.3f} "
                f"{s[:, 2].mean():+8.3f} {s[:, 2].max():+7.3f} "
                f"{int((~stopped).sum()):6d}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--quick", action="store_true", help="2 seeds")
    args = parser.parse_args()
    main(2 if args.quick else args.repeats)
