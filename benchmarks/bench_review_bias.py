"""Review without false alarms: does the label review mistake hard rows for
wrong labels?

An active learner picks the rows its model is least sure of, so a model
cross-validated on them is unsure of many labels that are right. A review that
reads "unsure of the given label" as "suspicious label" then flags correct
answers. This script measures it.

Campaigns: margin sampling with a ``LogisticRegression`` (10 random rows, then
batches of 10), every answer correct, on ``load_digits`` (pool 1,000 rows),
``load_breast_cancer`` (standardised, pool 400), ``load_wine`` (standardised,
all 178 rows) and a synthetic 4-class ``make_classification`` set (no label
noise, pool 1,000); each seed draws its own pool. At 50, 100 and 300 labels
(wine: 50 and 100), the labeled rows are scored out of fold (stratified
5-fold ``cross_val_predict``, as :func:`skal.label_quality.suspicious_labels`
does), and each flagging rule below decides which labels it flags:

* ``disagree``: the out-of-fold prediction is not the given label -- where the
  self-confidence and normalized-margin scores cross from "fits" to "does not
  fit" (self-confidence below the other classes'); this is what a review that
  reads the cross-validated predictions flags;
* ``top 10``: the 10 labels of lowest self-confidence (what ``LabelReview``
  sends to its reviewer with its defaults, whatever their scores);
* ``odds >= r``: another class is at least ``r`` times as likely as the given
  one; ``odds >= 10 (default)`` is :func:`skal.label_quality.suspicious_labels`
  with its defaults (``method="odds"``, ``min_odds=10``);
* ``p(given) <= 0.05``, ``p(other) >= t``, ``margin <= -0.5``: fixed cut-offs
  on the self-confidence, on the most probable other class, and on the
  normalized margin;
* ``CL (cleanlab)``: confident learning (Northcutt, Jiang and Chuang, JAIR
  2021): per-class thresholds ``t_k`` = the mean out-of-fold probability of
  ``k`` among rows labeled ``k``; a row is off the diagonal of the confident
  joint when the class it confidently belongs to (the one above its threshold;
  the most probable if several) is not its label; as cleanlab's
  ``find_label_issues(filter_by="confident_learning")``, rows whose most
  probable class is their label are dropped;
* ``CL other``: the per-class thresholds, but the most probable other class
  itself must pass its threshold and beat the given label.

Table 1: the share of correct labels flagged (false alarms) and flags per
campaign, for active and (as a reference) random selection of the same number
of rows. Table 2: the same rows with 5% of the given labels (at least one)
flipped to another class at random after the campaign (the selection is that of
the clean campaign, so both tables read the same rows): recall and precision of
the flags on the flipped labels.

Run: ``python benchmarks/bench_review_bias.py [--repeats 20] [--quick]``
(about 30 s on one core).
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
    load_wine,
    make_classification,
)
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import StratifiedKFold, cross_val_predict  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from skal import ActiveLearner  # noqa: E402
from skal.label_quality import MIN_ODDS, label_scores  # noqa: E402
from skal.strategies import UncertaintySampling  # noqa: E402

N_INITIAL, BATCH, FLIP = 10, 10, 0.05


def model():
    return LogisticRegression(max_iter=1000)


def load_sets():
    X, y = load_digits(return_X_y=True)
    sets = {"digits": (X / 16.0, y, 1000, (50, 100, 300))}
    X, y = load_breast_cancer(return_X_y=True)
    sets["breast_cancer"] = (StandardScaler().fit_transform(X), y, 400, (50, 100, 300))
    X, y = load_wine(return_X_y=True)
    sets["wine"] = (StandardScaler().fit_transform(X), y, 178, (50, 100))
    X, y = make_classification(
        n_samples=3000,
        n_features=20,
        n_informative=8,
        n_classes=4,
        flip_y=0.0,
        random_state=0,
    )
    sets["synthetic"] = (X, y, 1000, (50, 100, 300))
    return sets


# --- flagging rules on out-of-fold probabilities -----------------------------


def _best_other(proba, g):
    rows = np.arange(len(g))
    others = proba.copy()
    others[rows, g] = -np.inf
    j = others.argmax(axis=1)
    return proba[rows, g], j, proba[rows, j]


def _thresholds(proba, g):
    """Confident learning's per-class thresholds: mean p(k) over rows labeled k."""
    t = np.ones(proba.shape[1])
    for k in np.unique(g):
        t[k] = proba[g == k, k].mean()
    return t


def rule_disagree(proba, g):
    return proba.argmax(axis=1) != g


def rule_top(n):
    def flag(proba, g):
        quality = label_scores(proba, g, "self_confidence")
        order = np.argsort(quality, kind="stable")[:n]
        out = np.zeros(len(g), bool)
        out[order] = True
        return out

    return flag


def rule_other_at_least(t):
    def flag(proba, g):
        return _best_other(proba, g)[2] >= t

    return flag


def rule_odds(r):
    def flag(proba, g):
        given, _, other = _best_other(proba, g)
        return other >= r * given

    return flag


def rule_cleanlab(proba, g):
    t = _thresholds(proba, g)
    above = proba >= t - 1e-6
    n_above = above.sum(axis=1)
    guess = np.where(n_above > 1, proba.argmax(axis=1), above.argmax(axis=1))
    off = (n_above > 0) & (guess != g)
    return off & (proba.argmax(axis=1) != g)


def rule_cl_other(proba, g):
    given, j, other = _best_other(proba, g)
    return (other > given) & (other >= _thresholds(proba, g)[j])


def rule_default(proba, g):
    """``suspicious_labels``' default: method="odds", min_odds=MIN_ODDS."""
    return -label_scores(proba, g, "odds") >= np.log(MIN_ODDS)


def rule_given_below(t):
    def flag(proba, g):
        return _best_other(proba, g)[0] <= t

    return flag


def rule_margin(m):
    def flag(proba, g):
        given, _, other = _best_other(proba, g)
        return other - given >= m

    return flag


RULES = {
    "disagree": rule_disagree,
    "top 10": rule_top(10),
    "p(given) <= 0.05": rule_given_below(0.05),
    "p(other) >= 0.8": rule_other_at_least(0.8),
    "p(other) >= 0.9": rule_other_at_least(0.9),
    "margin <= -0.5": rule_margin(0.5),
    "odds >= 2": rule_odds(2.0),
    "odds >= 4": rule_odds(4.0),
    "odds >= 10 (default)": rule_default,
    "odds >= 20": rule_odds(20.0),
    "CL (cleanlab)": rule_cleanlab,
    "CL other": rule_cl_other,
}


def out_of_fold(X, g, seed):
    """Stratified 5-fold out-of-fold probabilities, as suspicious_labels."""
    counts = np.bincount(g)
    counts = counts[counts > 0]
    folds = StratifiedKFold(
        n_splits=int(min(5, max(counts.min(), 2))), shuffle=True, random_state=seed
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        proba = cross_val_predict(model(), X, g, cv=folds, method="predict_proba")
    full = np.zeros((len(g), g.max() + 1))
    full[:, np.unique(g)] = proba
    return full


def active_order(X, y, budget, seed):
    learner = ActiveLearner(
        model(),
        UncertaintySampling("margin"),
        budget=budget,
        batch_size=BATCH,
        n_initial=N_INITIAL,
        random_state=seed,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        learner.fit(X, y)
    return np.asarray(learner.labeled_ids_)


def flip(g, n_classes, rng):
    n = max(1, int(round(FLIP * len(g))))
    rows = rng.choice(len(g), n, replace=False)
    out = g.copy()
    out[rows] = (g[rows] + rng.randint(1, n_classes, n)) % n_classes
    return out, rows


def main(n_repeats=20, names=None):
    sets = load_sets()
    names = names or list(sets)
    clean = defaultdict(list)  # (set, n, selection, rule) -> (rate, flags)
    noisy = defaultdict(list)  # (set, n, rule) -> (recall, precision or nan)
    start, cpu = time.perf_counter(), time.process_time()
    for name in names:
        X_all, y_all, n_pool, stops = sets[name]
        n_classes = int(y_all.max()) + 1
        for seed in range(n_repeats):
            rng = np.random.RandomState(seed)
            pool = rng.permutation(len(y_all))[:n_pool]
            X, y = X_all[pool], y_all[pool]
            order = active_order(X, y, max(stops), seed)
            random_order = rng.permutation(len(y))
            for n in stops:
                for selection, rows in (
                    ("active", order[:n]),
                    ("random", random_order[:n]),
                ):
                    g = y[rows]
                    proba = out_of_fold(X[rows], g, seed)
                    for rule, flag in RULES.items():
                        flagged = flag(proba, g)
                        clean[name, n, selection, rule].append(
                            (flagged.mean(), flagged.sum())
                        )
                    if selection != "active":
                        continue
                    g_noisy, flipped = flip(g, n_classes, rng)
                    proba = out_of_fold(X[rows], g_noisy, seed)
                    is_flipped = np.zeros(n, bool)
                    is_flipped[flipped] = True
                    for rule, flag in RULES.items():
                        flagged = flag(proba, g_noisy)
                        hits = (flagged & is_flipped).sum()
                        noisy[name, n, rule].append(
                            (
                                hits / is_flipped.sum(),
                                hits / flagged.sum() if flagged.any() else np.nan,
                                (flagged & ~is_flipped).mean(),
                            )
                        )
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(
        f"# {time.strftime('%Y-%m-%d')}, Python {platform.python_version()}, "
        f"scikit-learn {sklearn.__version__}, {platform.machine()}, "
        f"{os.cpu_count()} cores; {n_repeats} seeds; wall {wall:.0f} s, "
        f"CPU {cpu:.0f} s"
    )
    print(
        "# LogisticRegression, margin sampling (10 random, then batches of 10), "
        "every answer correct; out-of-fold: stratified 5-fold"
    )
    for name in names:
        stops = sets[name][3]
        print(f"\n## {name}: false alarms (share of correct labels flagged)")
        head = f"{'rule':21s}" + "".join(
            f" {f'{sel[:3]} {n}':>10s}" for n in stops for sel in ("active", "random")
        )
        print(head + "   flags/campaign at " + str(max(stops)))
        print("-" * (len(head) + 24))
        for rule in RULES:
            cells = []
            for n in stops:
                for sel in ("active", "random"):
                    a = np.array(clean[name, n, sel, rule])
                    cells.append(f" {a[:, 0].mean():10.1%}")
            a = np.array(clean[name, max(stops), "active", rule])
            print(f"{rule:21s}" + "".join(cells) + f"   {a[:, 1].mean():8.1f}")
        print(
            f"\n## {name}: {FLIP:.0%} of the labels flipped (active rows): "
            "recall / precision on the flipped labels; false alarms"
        )
        head = f"{'rule':21s}" + "".join(f" {f'at {n}':>20s}" for n in stops)
        print(head)
        print("-" * len(head))
        for rule in RULES:
            cells = []
            for n in stops:
                a = np.array(noisy[name, n, rule])
                precision = np.nanmean(a[:, 1]) if np.isfinite(a[:, 1]).any() else 0
                cells.append(
                    f" {a[:, 0].mean():5.0%} /{precision:4.0%} /{a[:, 2].mean():5.1%}"
                )
            print(f"{rule:21s}" + "".join(cells))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--quick", action="store_true", help="2 seeds")
    parser.add_argument("--sets", nargs="*", default=None)
    args = parser.parse_args()
    main(2 if args.quick else args.repeats, args.sets)
