"""Multi-label strategies: paired learning curves against random, and scale.

``paired`` (the default): on two data sets, every multi-label strategy and
random sampling run the same campaigns (same split, same initial set, same
seed per repeat; ``active_learning_curve``): a ``OneVsRestClassifier`` of
``LogisticRegression(solver="liblinear")``, 20 random initial rows, batches of
10 up to 200 labels, a quarter of the rows held out per repeat, scored by
micro-F1. Printed per data set and strategy: the mean area under the micro-F1
curve (AULC, :func:`skal.metrics.area_under_learning_curve`), the final
micro-F1, the mean AULC difference with random, wins/ties/losses over the
repeats and the Wilcoxon signed-rank p-value of the paired AULCs.

Data sets (no download): ``synthetic``, scikit-learn's
``make_multilabel_classification`` (1,000 rows, 20 features, 6 labels, 2
labels per row on average); ``digits-attributes``,
:func:`skal.datasets.load_digits_attributes` (1,797 handwritten digits,
pixels scaled to [0, 1], 4 attribute labels).

``scale``: one query of 100 rows by every multi-label strategy from a pool of
``--n-pool`` rows x 50 features x 20 labels (``make_multilabel_classification``)
with a model trained on 200 labeled rows: wall time and the ``tracemalloc``
peak of the query (Python and numpy allocations). With modAL installed in the
running Python (``--modal``), its ``multilabel`` module's strategies with the
same formula are run on a small pool to compare picks, and on the big pool
for the speed ratio.

Run::

    python benchmarks/bench_multilabel.py paired [--repeats 10]
    python benchmarks/bench_multilabel.py scale [--n-pool 100000] [--modal]
"""

import argparse
import os
import platform
import sys
import time
import tracemalloc
import warnings

import numpy as np
from sklearn.datasets import make_multilabel_classification
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier
from threadpoolctl import threadpool_limits

from skal import ActiveLearner
from skal.datasets import load_digits_attributes
from skal.metrics import summarize_learning_curves
from skal.model_selection import active_learning_curve
from skal.strategies import (
    BADGE,
    CVIRS,
    MMC,
    AdaptiveMultiLabel,
    BinMin,
    MultiLabelUncertainty,
    QueryContext,
    RandomSampling,
)
from skal.utils._multilabel import trainable_multilabel

STRATEGIES = {
    "random": RandomSampling,
    "uncertainty mean": lambda: MultiLabelUncertainty("mean"),
    "uncertainty max": lambda: MultiLabelUncertainty("max"),
    "BinMin": BinMin,
    "MMC": MMC,
    "Adaptive beta=0.5": lambda: AdaptiveMultiLabel(0.5),
    "CVIRS": CVIRS,
    "BADGE": BADGE,
}


def estimator():
    return OneVsRestClassifier(LogisticRegression(solver="liblinear"))


def datasets():
    X_s, Y_s = make_multilabel_classification(
        n_samples=1000, n_features=20, n_classes=6, n_labels=2, random_state=0
    )
    X_d, Y_d = load_digits_attributes()
    return {"synthetic": (X_s, Y_s), "digits-attributes": (X_d / 16.0, Y_d)}


def paired(args):
    print(machine())
    header = (
        f"{'data set':<18} {'strategy':<18} {'AULC micro-F1':>15} {'final':>7} "
        f"{'vs random':>10} {'W/T/L':>8} {'p':>7}"
    )
    print(header)
    print("-" * len(header))
    for data_name, (X, Y) in datasets().items():
        learners = {
            name: ActiveLearner(
                estimator(), make(), budget=200, n_initial=20, batch_size=10
            )
            for name, make in STRATEGIES.items()
        }
        start = time.perf_counter()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            n_labeled, scores = active_learning_curve(
                learners,
                X,
                Y,
                n_repeats=args.repeats,
                scoring="f1_micro",
                random_state=0,
            )
        rows = summarize_learning_curves(n_labeled, scores, baseline="random")
        for row in rows:
            versus = row["vs_baseline"]
            if versus is None:
                diff, wtl, p = "", "", ""
            else:
                diff = f"{versus['mean_difference']:+.4f}"
                wtl = f"{versus['wins']}/{versus['ties']}/{versus['losses']}"
                p = f"{versus['p_value']:.3f}"
            print(
                f"{data_name:<18} {row['name']:<18} "
                f"{row['aulc_mean']:.4f} ± {row['aulc_std']:.3f} "
                f"{row['final_mean']:>7.3f} {diff:>10} {wtl:>8} {p:>7}"
            )
        print(f"  ({data_name}: {time.perf_counter() - start:.0f} s)")


def machine():
    return (
        f"# {time.strftime('%Y-%m-%d', time.gmtime())}, {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, "
        f"{platform.processor() or platform.system()}"
    )


def scale_context(X, Y, n_labeled, seed=0):
    """A model trained on ``n_labeled`` random rows in which every label is
    both present and absent (no constant per-label predictor, whose decision
    values would tie every row)."""
    rng = np.random.RandomState(seed)
    labeled = rng.choice(len(X), n_labeled, replace=False)
    while not trainable_multilabel(Y[labeled]):
        labeled = rng.choice(len(X), n_labeled, replace=False)
    model = estimator().fit(X[labeled], Y[labeled])
    pool = np.setdiff1d(np.arange(len(X)), labeled)
    return QueryContext(
        X=X,
        pool_indices=pool,
        estimator=model,
        labeled=lambda: (X[labeled], Y[labeled]),
        labeled_indices=labeled,
        random_state=np.random.RandomState(seed),
    )


def measure(query):
    start = time.perf_counter()
    picks = query()
    seconds = time.perf_counter() - start
    tracemalloc.start()
    query()
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return picks, seconds, peak


# modAL's multilabel module has one strategy with one of our formulas:
# SVM_binary_minimum is BinMin on the per-label decision values (it returns one
# row). Its min_confidence / avg_confidence rank rows by the raw label
# probabilities (the smallest, the mean), not by their uncertainty, and its
# max_loss / mean_max_loss are Li et al. (2004), not MMC: no same-picks peer.
MODAL_PEERS = {"BinMin": "SVM_binary_minimum"}


def scale(args):
    print(machine())
    X, Y = make_multilabel_classification(
        n_samples=args.n_pool,
        n_features=50,
        n_classes=20,
        n_labels=3,
        random_state=0,
    )
    print(
        f"# pool {args.n_pool} x 50 features x 20 labels, 200 labeled rows, "
        "one query of 100 rows, OneVsRestClassifier(LogisticRegression(liblinear))"
    )
    header = f"{'strategy':<22} {'time s':>8} {'peak MiB':>9}"
    print(header)
    print("-" * len(header))
    context = scale_context(X, Y, 200)
    for name, make in STRATEGIES.items():
        if name == "random":
            continue
        strategy = make()
        _, seconds, peak = measure(lambda s=strategy: s.select(context, 100))
        print(f"{name:<22} {seconds:>8.2f} {peak:>9.1f}")
    if args.modal:
        compare_modal(X, Y)


def compare_modal(X, Y):
    from types import SimpleNamespace

    from modAL import multilabel

    print()
    print("# modAL: the same pick on 20 small pools (2,000 rows, 6 labels, seeds")
    print("# 0-19); time of one query (1 row, what modAL returns) on the big pool")
    header = (
        f"{'skal':<10} {'modAL':<20} {'same picks':>10} {'skal s':>8} "
        f"{'modAL s':>8} {'modAL/skal':>10}"
    )
    print(header)
    print("-" * len(header))
    for name, peer in MODAL_PEERS.items():
        function = getattr(multilabel, peer)

        def both(context, name=name, function=function):
            X_pool = context.X[context.pool_indices]
            start = time.perf_counter()
            ours = STRATEGIES[name]().select(context, 1)
            ours_s = time.perf_counter() - start
            start = time.perf_counter()
            theirs = function(SimpleNamespace(estimator=context.estimator), X_pool)
            theirs_s = time.perf_counter() - start
            return int(ours[0]), int(np.ravel(theirs)[0]), ours_s, theirs_s

        same = 0
        frequent = np.argsort(-Y.sum(axis=0))[:6]
        for seed in range(20):
            rows = np.random.RandomState(seed).choice(len(X), 2000, replace=False)
            # the 6 most frequent labels, so 200 labeled rows show each one
            small = Y[rows][:, frequent]
            ours, theirs, _, _ = both(scale_context(X[rows], small, 200, seed))
            same += ours == theirs
        _, _, ours_s, theirs_s = both(scale_context(X, Y, 200))
        print(
            f"{name:<10} {peer:<20} {f'{same}/20':>10} {ours_s:>8.3f} "
            f"{theirs_s:>8.3f} {theirs_s / ours_s:>10.1f}"
        )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "mode", nargs="?", default="paired", choices=["paired", "scale"]
    )
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--n-pool", type=int, default=100_000)
    parser.add_argument("--modal", action="store_true")
    args = parser.parse_args(argv)
    with threadpool_limits(1):
        (paired if args.mode == "paired" else scale)(args)


if __name__ == "__main__":
    main()
