"""Consensus of several simulated annotators: majority vote against Dawid-Skene.

The true labels are ``load_digits``'s 10 classes. Each simulated annotator
flips a share of its labels uniformly to another class ("uniform noise"); a
*confusing* annotator instead answers a fixed other class for each class (a
random derangement of the 10 classes, fixed per seed) on 60 % of its rows.
Pools (noise rates per annotator, ``C`` the confusing one):

* ``3 uniform``: 0.05, 0.20, 0.40
* ``5 uniform``: 0.05, 0.15, 0.25, 0.30, 0.40
* ``3 + C``: 0.10, 0.20, 0.30 and C
* ``5 + C``: 0.05, 0.15, 0.25, 0.40 and C

Two regimes: ``dense`` (every annotator labels all 1797 rows) and ``100
each`` (150 random rows; each annotator labels 100 of them at random, so the
consensus of a row rests on 2 to 5 labels). Printed per pool and regime, over
the seeds: consensus accuracy against the truth (mean and standard
deviation) of :func:`skal.annotators.consensus_labels` with
``method="majority"``, ``"dawid_skene"`` and ``"model"`` (with the 5-fold
out-of-fold probabilities of a logistic regression on the pixels, trained on
the majority vote), each one's wins/ties/losses against majority vote (paired
by seed), and the mean absolute error of each
annotator's estimated accuracy (against the consensus) with respect to its
true accuracy on the rows it labeled, with the share of annotators whose 95 %
Wilson interval holds the true accuracy.

With cleanlab installed (a peer, never a dependency), its CROWDLAB
(``cleanlab.multiannotator.get_label_quality_multiannotator``) runs on the same
matrices with the same out-of-fold probabilities: its consensus accuracy, the
model-assisted consensus' wins/ties/losses against it, and the mean absolute
error of its annotators' ``agreement_with_consensus`` beside the
model-assisted consensus' estimate.

Run: ``python benchmarks/bench_consensus.py [--seeds 10]``.
"""

import argparse
import contextlib
import io
import os
import platform
import time
import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import KFold, cross_val_predict

from skal.annotators import consensus_labels

POOLS = {
    "3 uniform": (0.05, 0.20, 0.40),
    "5 uniform": (0.05, 0.15, 0.25, 0.30, 0.40),
    "3 + C": (0.10, 0.20, 0.30, "C"),
    "5 + C": (0.05, 0.15, 0.25, 0.40, "C"),
}
CONFUSION_RATE = 0.6


def _derangement(n_classes, rng):
    while True:
        order = rng.permutation(n_classes)
        if not (order == np.arange(n_classes)).any():
            return order


def simulate(truth, pool, rng, n_classes=10):
    """A label matrix (-1 where missing) of annotators described by ``pool``."""
    columns = []
    for rate in pool:
        if rate == "C":
            mapping = _derangement(n_classes, rng)
            confused = rng.random_sample(truth.size) < CONFUSION_RATE
            columns.append(np.where(confused, mapping[truth], truth))
        else:
            flip = rng.random_sample(truth.size) < rate
            other = (truth + rng.randint(1, n_classes, size=truth.size)) % n_classes
            columns.append(np.where(flip, other, truth))
    return np.column_stack(columns)


def out_of_fold(X, labels, seed):
    """Out-of-fold probabilities of a logistic regression trained on the
    majority vote (the model-assisted consensus' input)."""
    target = consensus_labels(labels, random_state=seed).labels
    folds = KFold(5, shuffle=True, random_state=seed)
    model = LogisticRegression(max_iter=1000)
    with warnings.catch_warnings():  # a rare class may miss a training fold
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", UserWarning)
        probs = cross_val_predict(model, X, target, cv=folds, method="predict_proba")
    full = np.zeros((X.shape[0], 10))
    full[:, np.unique(target)] = probs
    return full


def run_one(X, y, pool, regime, seed):
    rng = np.random.RandomState(seed)
    if regime == "dense":
        truth, rows = y, np.arange(y.size)
        labels = simulate(truth, pool, rng)
    else:
        rows = rng.choice(y.size, 150, replace=False)
        truth = y[rows]
        labels = simulate(truth, pool, rng)
        for j in range(labels.shape[1]):
            hidden = rng.choice(truth.size, truth.size - 100, replace=False)
            labels[hidden, j] = -1
        empty = (labels < 0).all(axis=1)
        labels[empty, 0] = truth[empty]  # never happens with 3+ annotators
    given = labels >= 0
    true_accuracy = ((labels == truth[:, None]) & given).sum(axis=0) / given.sum(axis=0)
    out = {}
    classes = np.unique(labels[labels >= 0])
    pred_probs = out_of_fold(X[rows], labels, seed)[:, classes]
    pred_probs /= pred_probs.sum(axis=1, keepdims=True)
    for method in ("majority", "dawid_skene", "model"):
        extra = {"pred_probs": pred_probs} if method == "model" else {}
        result = consensus_labels(labels, method=method, random_state=seed, **extra)
        low, high = result.accuracy_interval.T
        out[method] = (
            float(np.mean(result.labels == truth)),
            float(np.mean(np.abs(result.annotator_accuracy - true_accuracy))),
            float(np.mean((low <= true_accuracy) & (true_accuracy <= high))),
        )
    out["cleanlab"] = cleanlab_consensus(
        labels, classes, pred_probs, truth, true_accuracy
    )
    return out


def cleanlab_consensus(labels, classes, pred_probs, truth, true_accuracy):
    """cleanlab's CROWDLAB on the same matrix: ``(consensus accuracy, mean
    |estimated - true| annotator accuracy, nan)``, or ``None`` without it."""
    try:
        from cleanlab.multiannotator import get_label_quality_multiannotator
    except ImportError:
        return None
    matrix = np.searchsorted(classes, labels).astype(float)
    matrix[labels < 0] = np.nan
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        found = get_label_quality_multiannotator(matrix, pred_probs, verbose=False)
    consensus = classes[found["label_quality"]["consensus_label"].to_numpy()]
    agreement = found["annotator_stats"]["agreement_with_consensus"].sort_index()
    return (
        float(np.mean(consensus == truth)),
        float(np.mean(np.abs(agreement.to_numpy() - true_accuracy))),
        np.nan,
    )


def cleanlab_columns(runs, mod):
    """cleanlab's accuracy, the model-assisted consensus' wins/ties/losses
    against it, and both annotator-accuracy errors (``-`` without cleanlab)."""
    if runs[0]["cleanlab"] is None:
        return ("-", "-", f"{mod[:, 1].mean():.3f}", "-")
    cl = np.array([r["cleanlab"] for r in runs])
    diff = mod[:, 0] - cl[:, 0]
    return (
        f"{cl[:, 0].mean():.3f} ± {cl[:, 0].std():.3f}",
        f"{(diff > 0).sum()}/{(diff == 0).sum()}/{(diff < 0).sum()}",
        f"{mod[:, 1].mean():.3f}",
        f"{cl[:, 1].mean():.3f}",
    )


def main(seeds):
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    start = time.time()
    header = (
        "pool",
        "regime",
        "majority acc",
        "D-S acc",
        "D-S w/t/l",
        "model acc",
        "model w/t/l",
        "acc. MAE maj.",
        "acc. MAE D-S",
        "cover maj.",
        "cover D-S",
        "cleanlab acc",
        "model vs cl w/t/l",
        "acc. MAE model",
        "acc. MAE cl",
    )
    rows = []
    for name, pool in POOLS.items():
        for regime in ("dense", "100 each"):
            runs = [run_one(X, y, pool, regime, seed) for seed in range(seeds)]
            maj = np.array([r["majority"] for r in runs])
            ds = np.array([r["dawid_skene"] for r in runs])
            mod = np.array([r["model"] for r in runs])
            diff = ds[:, 0] - maj[:, 0]
            wtl = f"{(diff > 0).sum()}/{(diff == 0).sum()}/{(diff < 0).sum()}"
            diff = mod[:, 0] - maj[:, 0]
            mtl = f"{(diff > 0).sum()}/{(diff == 0).sum()}/{(diff < 0).sum()}"
            rows.append(
                (
                    name,
                    regime,
                    f"{maj[:, 0].mean():.3f} ± {maj[:, 0].std():.3f}",
                    f"{ds[:, 0].mean():.3f} ± {ds[:, 0].std():.3f}",
                    wtl,
                    f"{mod[:, 0].mean():.3f} ± {mod[:, 0].std():.3f}",
                    mtl,
                    f"{maj[:, 1].mean():.3f}",
                    f"{ds[:, 1].mean():.3f}",
                    f"{maj[:, 2].mean():.2f}",
                    f"{ds[:, 2].mean():.2f}",
                    *cleanlab_columns(runs, mod),
                )
            )
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    rule = "  ".join("=" * w for w in widths)
    print(rule)
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print(rule)
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
    print(rule)
    print(
        f"\n{seeds} seeds; {time.time() - start:.0f} s; {platform.platform()}, "
        f"{os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}; "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    main(parser.parse_args().seeds)
