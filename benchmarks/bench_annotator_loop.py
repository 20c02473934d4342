"""Several annotators in the loop: second opinions and annotator choice.

``load_digits`` (pixels / 16) is split 70/30 per seed (the 30 % scores the
final model). Three simulated annotators label the training rows; their
answers are drawn once per seed, before any run, so every method of a seed
sees the same answer from the same annotator on the same row (paired). Pools:

* ``uniform 30%``: three annotators with 30 % uniform noise;
* ``mixed``: 5 %, 20 % and 40 % uniform noise;
* ``confusion``: 10 %, 30 % and one annotator who answers a fixed other class
  for each class (a derangement, fixed per seed) on 60 % of its rows.

Every run is a :class:`skal.CrowdLearner` around ``ActiveLearner(
LogisticRegression, margin uncertainty, batch_size=20)``, model-assisted
consensus, ``budget`` labels (each costs 1), 20 initial rows, differing only
in how the labels are spent:

* ``one/row``: one label per new row, annotator at random;
* ``two/row``: two labels per new row (fixed double labeling), at random;
* ``decision``: one label per new row or a second opinion, by skal's
  ActiveLab scores (``second_opinions="activelab"``), annotator at random;
* ``cleanlab AL``: the same decision with cleanlab's
  ``get_active_learning_scores`` (skipped without cleanlab);
* ``IEThresh``: the decision, with the annotator chosen by IEThresh.

Printed per pool: test accuracy of the final model and accuracy of the
consensus labels against the truth (mean ± standard deviation over the
seeds), and each method's wins/ties/losses against ``one/row`` paired by
seed on test accuracy; the share of labels IEThresh gave to the most
accurate annotator; and, where IEThresh is comparable with scikit-activeml's
``IntervalEstimationAnnotModel`` (the same upper bounds on agreement with the
majority vote, on the final label matrix of the ``two/row`` runs), the mean
absolute difference of the bounds and how often the two pick the same
annotators (``epsilon=0.8``).

Run: ``python benchmarks/bench_annotator_loop.py [--seeds 10] [--budget 200]``.
"""

import argparse
import contextlib
import io
import os
import platform
import time
import warnings

import numpy as np
from bench_consensus import simulate  # the same simulated annotators
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from skal import ActiveLearner, CrowdLearner
from skal.annotators import consensus_labels, interval_estimation
from skal.oracles import FunctionOracle

POOLS = {
    "uniform 30%": (0.3, 0.3, 0.3),
    "mixed": (0.05, 0.2, 0.4),
    "confusion": (0.1, 0.3, "C"),
}
N_CLASSES = 10


def annotators_of(answers):
    return [
        FunctionOracle(lambda X, rows, j=j: answers[rows, j], name=f"a{j}")
        for j in range(answers.shape[1])
    ]


def methods():
    found = {
        "one/row": dict(n_per_row=1, second_opinions="never", choice="random"),
        "two/row": dict(n_per_row=2, second_opinions="never", choice="random"),
        "decision": dict(n_per_row=1, second_opinions="activelab", choice="random"),
    }
    try:
        from cleanlab.multiannotator import get_active_learning_scores
    except ImportError:
        print("cleanlab not installed: its column is skipped")
    else:

        def cleanlab_scores(labels, pred_probs, pred_probs_unlabeled):
            with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
                warnings.simplefilter("ignore")
                return get_active_learning_scores(
                    labels, pred_probs, pred_probs_unlabeled
                )

        found["cleanlab AL"] = dict(
            n_per_row=1, second_opinions=cleanlab_scores, choice="random"
        )
    found["IEThresh"] = dict(n_per_row=1, second_opinions="activelab")
    return found


def skactiveml_comparison(matrix, seed):
    """Mean |difference| of the upper bounds and whether the chosen sets
    agree, skal's interval_estimation against scikit-activeml's, both on
    agreement with the majority vote of ``matrix`` (-1: missing)."""
    try:
        from skactiveml.pool.multiannotator._interval_estimation_threshold import (
            IntervalEstimationAnnotModel,
        )
    except ImportError:
        return None
    rows = (matrix >= 0).any(axis=1)
    matrix = matrix[rows].astype(float)
    matrix[matrix < 0] = np.nan
    model = IntervalEstimationAnnotModel(
        classes=np.arange(N_CLASSES), alpha=0.05, random_state=seed
    ).fit(np.zeros((matrix.shape[0], 1)), matrix)
    theirs = model.A_perf_[:, 2]
    vote = consensus_labels(np.nan_to_num(matrix, nan=-1).astype(int), random_state=0)
    given = ~np.isnan(matrix)
    agree = (given & (matrix == vote.labels[:, None])).sum(axis=0)
    ours, chosen = interval_estimation(agree, given.sum(axis=0), epsilon=0.8)
    # scikit-activeml thresholds the bounds shifted by 1 (A_perf + 1)
    their_chosen = theirs + 1 >= 0.8 * (theirs + 1).max()
    return (
        float(np.mean(np.abs(ours - theirs))),
        bool(np.array_equal(chosen, their_chosen)),
        bool(np.array_equal(chosen, theirs >= 0.8 * theirs.max())),
    )


def run_seed(X, y, pool, seed, budget, found):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.3, stratify=y, random_state=seed
    )
    answers = simulate(y_train, pool, np.random.RandomState(seed))
    best = int(np.argmax((answers == y_train[:, None]).mean(axis=0)))
    out = {}
    for name, params in found.items():
        learner = ActiveLearner(LogisticRegression(max_iter=300), batch_size=20)
        crowd = CrowdLearner(
            learner,
            annotators_of(answers),
            budget=budget,
            n_initial=20,
            random_state=seed,
            **params,
        )
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            crowd.fit(X_train, y_train)
        rows = crowd.labeled_rows_
        consensus = np.asarray(crowd.consensus_.labels.tolist())
        names = np.concatenate([r["annotators"] for r in crowd.history_])
        out[name] = (
            crowd.score(X_test, y_test),
            float(np.mean(consensus == y_train[rows])),
            float(np.mean(names == f"a{best}")),
            rows.size,
        )
        if name == "two/row":
            matrix = np.full(crowd.label_matrix_.shape, -1)
            given = np.not_equal(crowd.label_matrix_, None)
            matrix[given] = crowd.label_matrix_[given].astype(int)
            out["skactiveml"] = skactiveml_comparison(matrix, seed)
    return out


def main(seeds, budget):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    found = methods()
    start = time.time()
    header = ("pool", "method", "test acc", "w/t/l vs one/row", "consensus acc", "rows")
    table, notes = [], []
    for pool_name, pool in POOLS.items():
        runs = [run_seed(X, y, pool, seed, budget, found) for seed in range(seeds)]
        base = np.array([r["one/row"][0] for r in runs])
        for name in found:
            values = np.array([r[name][:2] for r in runs])
            diff = values[:, 0] - base
            wtl = f"{(diff > 0).sum()}/{(diff == 0).sum()}/{(diff < 0).sum()}"
            table.append(
                (
                    pool_name,
                    name,
                    f"{values[:, 0].mean():.3f} ± {values[:, 0].std():.3f}",
                    "-" if name == "one/row" else wtl,
                    f"{values[:, 1].mean():.3f} ± {values[:, 1].std():.3f}",
                    f"{np.mean([r[name][3] for r in runs]):.0f}",
                )
            )
        share = {n: np.mean([r[n][2] for r in runs]) for n in ("decision", "IEThresh")}
        notes.append(
            f"{pool_name}: share of labels from the most accurate annotator: "
            f"random {share['decision']:.2f}, IEThresh {share['IEThresh']:.2f}"
        )
        compared = [r["skactiveml"] for r in runs if r["skactiveml"] is not None]
        if compared:
            notes.append(
                f"{pool_name}: skal vs scikit-activeml IE bounds: mean |diff| "
                f"{np.mean([c[0] for c in compared]):.3f}; same annotators chosen "
                f"{np.mean([c[1] for c in compared]):.2f} (their +1 shift), "
                f"{np.mean([c[2] for c in compared]):.2f} (unshifted)"
            )
    widths = [max(len(str(r[i])) for r in [header, *table]) for i in range(len(header))]
    rule = "  ".join("=" * w for w in widths)
    print(rule)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print(rule)
    for row in table:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
    print(rule)
    print("\n".join(notes))
    print(
        f"\n{seeds} seeds, budget {budget}; {time.time() - start:.0f} s; "
        f"{platform.platform()}, {os.cpu_count()} cores, load "
        f"{os.getloadavg()[0]:.1f}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--budget", type=int, default=200)
    args = parser.parse_args()
    main(args.seeds, args.budget)
