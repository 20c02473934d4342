"""Evaluation of stream learners: prequential replay and ``skal benchmark --stream``.

:func:`prequential_evaluation` replays a dataset as a stream and scores the
model on every chunk *before* it learns from it (test-then-train), the
standard protocol for data streams [1]_. :func:`run_stream_benchmark` compares
decision rules at one budget over paired seeds; :func:`add_stream_arguments`
adds its options to the ``skal benchmark`` parser.

References
----------
.. [1] J. Gama, R. Sebastião and P. P. Rodrigues. "On evaluating stream
   learning algorithms". Machine Learning 90(3):317-346, 2013.
"""

import argparse
import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state

from ..utils._rows import n_rows, take_rows
from ..utils._validation import check_int
from ._budget import EstimatedBudget, check_budget
from ._learner import StreamActiveLearner
from ._rules import (
    BalancedQuantileFilter,
    FixedUncertainty,
    PeriodicRule,
    RandomizedVariableUncertainty,
    RandomRule,
    SplitRule,
    VariableUncertainty,
)

STREAM_RULES = {
    "random": RandomRule,
    "periodic": PeriodicRule,
    "fixed": FixedUncertainty,
    "variable": VariableUncertainty,
    "randomized": RandomizedVariableUncertainty,
    "split": SplitRule,
    "biqf": BalancedQuantileFilter,
}
DEFAULT_STREAM_RULES = "random,periodic,fixed,variable,randomized,split,biqf"
STREAM_DATASETS = ("drift", "digits", "breast_cancer", "wine", "iris")
STREAM_ESTIMATORS = ("sgd", "nb", "logreg")


# ------------------------------------------------------------------- the data
def make_drifting_stream(
    n_samples=10_000,
    n_features=10,
    n_classes=2,
    *,
    drift_at=(0.5,),
    noise=0.05,
    random_state=None,
):
    """A stream whose concept changes abruptly at given points.

    Rows are standard normal; under concept 0 the class of a row is the argmax
    of ``X @ W`` for a random weight matrix ``W``, and at every drift point
    each class region passes to the next class (``k`` becomes ``k + 1`` modulo
    ``n_classes``; two classes swap). A share ``noise`` of the labels is then
    replaced by random classes. A model fitted before a drift is confidently
    wrong after it: what it learned must be unlearned, and a rule that only
    asks when the model is unsure never finds out.

    Parameters
    ----------
    n_samples : int, default=10_000
    n_features : int, default=10
    n_classes : int, default=2
    drift_at : sequence of float, default=(0.5,)
        Where the concept changes, as fractions of the stream in (0, 1).
    noise : float, default=0.05
        Share of labels replaced by a uniformly drawn class.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    concept : ndarray of shape (n_samples,)
        Which concept (0, 1, ...) generated each row.

    Examples
    --------
    >>> from skal.stream import make_drifting_stream
    >>> X, y, concept = make_drifting_stream(1000, drift_at=(0.3, 0.7),
    ...                                      random_state=0)
    >>> X.shape, sorted(set(concept.tolist()))
    ((1000, 10), [0, 1, 2])
    """
    n_samples = check_int("n_samples", n_samples, minimum=1)
    n_features = check_int("n_features", n_features, minimum=1)
    n_classes = check_int("n_classes", n_classes, minimum=2)
    points = sorted(float(p) for p in drift_at)
    if any(not 0.0 < p < 1.0 for p in points):
        raise ValueError(f"drift_at must hold fractions in (0, 1); got {drift_at!r}.")
    if not 0.0 <= noise <= 1.0:
        raise ValueError(f"noise must be in [0, 1]; got {noise!r}.")
    rng = check_random_state(random_state)
    X = rng.standard_normal((n_samples, n_features))
    bounds = [int(p * n_samples) for p in points]
    concept = np.searchsorted(bounds, np.arange(n_samples), side="right")
    y = np.empty(n_samples, dtype=int)
    weights = rng.standard_normal((n_features, n_classes))
    for k in range(len(points) + 1):
        rows = concept == k
        # concept k: the class regions of concept 0, each handed to the next
        # class (k steps on): every row changes class at a drift
        y[rows] = (np.argmax(X[rows] @ weights, axis=1) + k) % n_classes
    flip = rng.random_sample(n_samples) < noise
    y[flip] = rng.randint(n_classes, size=int(flip.sum()))
    return X, y, concept


# ---------------------------------------------------------- the replay itself
@dataclass
class PrequentialResult:
    """What a prequential replay measured, one entry per chunk.

    Attributes
    ----------
    n_seen : ndarray of int
        Rows seen after each chunk.
    accuracy : ndarray of float
        Accuracy on each chunk before learning from it (NaN while no model).
    n_requested : ndarray of int
        Labels requested up to each chunk (what the budget counts).
    n_labeled : ndarray of int
        Labels learned up to each chunk (fewer than requested while some are
        late).
    mean_accuracy : float
        Accuracy over every row scored by a model (test-then-train).
    seconds : float
        Wall time of the decisions and updates, scoring excluded.
    learner : StreamActiveLearner
        The learner at the end of the stream.
    """

    n_seen: np.ndarray
    accuracy: np.ndarray
    n_requested: np.ndarray
    n_labeled: np.ndarray
    mean_accuracy: float
    seconds: float
    learner: Any


def prequential_evaluation(learner, X, y, *, chunk_size=100, delay=0):
    """Replay ``(X, y)`` as a stream: test on each chunk, then let it learn.

    A fresh clone of ``learner`` sees the rows in the given order, ``chunk_size``
    at a time. Each chunk is first scored by the current model, then decided;
    the labels of the requested rows come back ``delay`` chunks later (through
    :meth:`StreamActiveLearner.teach`, by row id) or at once when ``delay`` is 0
    (:meth:`StreamActiveLearner.step`).

    Parameters
    ----------
    learner : StreamActiveLearner
        Not changed; a clone is replayed. Its ``classes`` default to those of
        ``y``.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    chunk_size : int, default=100
    delay : int, default=0
        Chunks between a request and its answer.

    Returns
    -------
    result : PrequentialResult

    Examples
    --------
    >>> from sklearn.linear_model import SGDClassifier
    >>> from skal.stream import (StreamActiveLearner, make_drifting_stream,
    ...                          prequential_evaluation)
    >>> X, y, _ = make_drifting_stream(2000, random_state=0)
    >>> result = prequential_evaluation(
    ...     StreamActiveLearner(SGDClassifier(random_state=0), random_state=0),
    ...     X, y, chunk_size=200)
    >>> bool(result.n_requested[-1] <= 0.1 * 2000), result.mean_accuracy > 0.6
    (True, True)
    """
    if not isinstance(learner, StreamActiveLearner):
        raise TypeError(f"learner must be a StreamActiveLearner; got {learner!r}.")
    chunk_size = check_int("chunk_size", chunk_size, minimum=1)
    delay = check_int("delay", delay, minimum=0)
    y = np.asarray(y)
    n = n_rows(X)
    if y.shape[0] != n:
        raise ValueError(f"X and y have different numbers of rows: {n} and {len(y)}.")
    learner = clone(learner)
    if learner.classes is None:
        learner.set_params(classes=np.unique(y))
    seen, accuracy, requested, labeled = [], [], [], []
    correct = scored = 0
    waiting = []  # (due chunk, ids, labels)
    seconds = 0.0
    for index, start in enumerate(range(0, n, chunk_size)):
        rows = np.arange(start, min(start + chunk_size, n))
        X_chunk, y_chunk = take_rows(X, rows), y[rows]
        model = getattr(learner, "estimator_", None)
        if model is None:
            accuracy.append(np.nan)
        else:
            hits = int(np.sum(model.predict(X_chunk) == y_chunk))
            correct, scored = correct + hits, scored + rows.size
            accuracy.append(hits / rows.size)
        tic = time.perf_counter()
        if delay == 0:
            learner.step(X_chunk, y_chunk)
        else:
            while waiting and waiting[0][0] <= index:
                _, ids, answers = waiting.pop(0)
                learner.teach(ids, answers)
            mask, ids = learner.decide(X_chunk, return_ids=True)
            waiting.append((index + delay, ids, y_chunk[mask]))
        seconds += time.perf_counter() - tic
        seen.append(int(rows[-1]) + 1)
        requested.append(learner.n_requested_)
        labeled.append(learner.n_labeled_)
    return PrequentialResult(
        n_seen=np.asarray(seen),
        accuracy=np.asarray(accuracy, dtype=float),
        n_requested=np.asarray(requested),
        n_labeled=np.asarray(labeled),
        mean_accuracy=correct / scored if scored else float("nan"),
        seconds=seconds,
        learner=learner,
    )


# ------------------------------------------------------------- the benchmark
def _stream_rules(text):
    names = [name.strip().lower() for name in text.split(",") if name.strip()]
    if not names:
        raise argparse.ArgumentTypeError("--rules needs at least one rule name")
    unknown = [name for name in names if name not in STREAM_RULES]
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown rule {unknown[0]!r}; choose from: {', '.join(STREAM_RULES)}"
        )
    if len(set(names)) != len(names):
        raise argparse.ArgumentTypeError(f"--rules names a rule twice: {text!r}")
    return names


def _label_rate(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    try:
        return check_budget(value, "--label-rate")
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
    return value


def add_stream_arguments(parser):
    """Add the options of ``skal benchmark --stream`` to ``parser``.

    ``--stream`` switches the benchmark to stream rules; the other options are
    read only then. The shared options of ``skal benchmark`` (``--dataset``,
    ``--repeats``, ``--seed``, ``--output``, ``--quiet``) keep their meaning.
    """
    group = parser.add_argument_group(
        "stream mode",
        "With --stream, compare stream decision rules at one label rate: each "
        "repeat replays the same shuffled (or generated) stream for every rule, "
        "scoring each chunk before learning from it (prequential accuracy).",
    )
    group.add_argument(
        "--stream",
        action="store_true",
        help="benchmark stream-based rules (skal.stream) instead of pool strategies",
    )
    group.add_argument(
        "--rules",
        type=_stream_rules,
        default=_stream_rules(DEFAULT_STREAM_RULES),
        help=f"comma-separated stream rules (default: {DEFAULT_STREAM_RULES})",
    )
    group.add_argument(
        "--label-rate",
        type=_label_rate,
        default=0.1,
        help="share of the arriving rows that may be labeled, in (0, 1] (default: 0.1)",
    )
    group.add_argument(
        "--budget-window",
        type=_positive_int,
        default=100,
        help="rows over which the label rate is a hard cap (default: 100)",
    )
    group.add_argument(
        "--chunk-size",
        type=_positive_int,
        default=50,
        help="rows per arriving chunk (default: 50)",
    )
    group.add_argument(
        "--stream-rows",
        type=_positive_int,
        default=5000,
        help="rows of the generated 'drift' dataset (default: 5000)",
    )
    group.add_argument(
        "--stream-estimator",
        choices=STREAM_ESTIMATORS,
        default="sgd",
        help="sgd: SGDClassifier(log_loss) with partial_fit; nb: GaussianNB with "
        "partial_fit; logreg: LogisticRegression refit on a sliding window of "
        "--forget labeled rows (default: sgd)",
    )
    group.add_argument(
        "--forget",
        type=_positive_int,
        default=None,
        metavar="N",
        help="refit on the latest N labeled rows instead of partial_fit "
        "(default: none; 200 for logreg)",
    )
    return parser


def _stream_dataset(name, seed, n_rows_drift):
    """``(X, y)`` of one repeat: a generated drifting stream or a shuffled
    bundled dataset, features standardized."""
    if name == "drift":
        X, y, _ = make_drifting_stream(n_rows_drift, drift_at=(0.5,), random_state=seed)
    else:
        from sklearn import datasets

        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
        order = check_random_state(seed).permutation(len(y))
        X, y = X[order], y[order]
    scale = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(scale > 0, scale, 1.0), y


def _stream_estimator(name, seed):
    if name == "sgd":
        from sklearn.linear_model import SGDClassifier

        return SGDClassifier(loss="log_loss", random_state=seed)
    if name == "nb":
        from sklearn.naive_bayes import GaussianNB

        return GaussianNB()
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=1000)


def stream_benchmark_table(rows, baseline):
    """The printed table, one line per rule."""
    head = [
        "rule",
        "prequential accuracy",
        "labels",
        f"vs {baseline} W/T/L",
        "p",
        "time/run",
    ]
    lines = [head]
    for row in rows:
        lines.append(
            [
                row["rule"],
                f"{row['accuracy_mean']:.3f} ± {row['accuracy_std']:.3f}",
                f"{row['labels_mean']:.0f}",
                row.get("wtl", "-"),
                row.get("p", "-"),
                f"{row['seconds']:.2f} s",
            ]
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(head))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if j == 0 else cell.rjust(width)
            for j, (cell, width) in enumerate(zip(line, widths))
        ).rstrip()
        for line in lines
    )


def run_stream_benchmark(args, stdout, stderr=None):
    """``skal benchmark --stream``: print a table of rules at one label rate.

    Every repeat ``r`` replays one stream (seed ``args.seed + r``) through every
    rule with the same estimator seed and learner ``random_state``: the
    accuracies are paired, and the W/T/L count and the Wilcoxon signed-rank
    p-value compare each rule with random sampling.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options: those of :func:`add_stream_arguments` plus
        ``dataset``, ``repeats``, ``seed``, ``output`` and ``quiet``.
    stdout, stderr : text streams

    Returns
    -------
    status : int
        0; a bad option raises ``ValueError`` naming it.
    """
    from scipy.stats import wilcoxon

    dataset = getattr(args, "dataset", "drift")
    if dataset not in STREAM_DATASETS:
        raise ValueError(
            f"--dataset {dataset!r}: the stream benchmark takes one of "
            f"{', '.join(STREAM_DATASETS)}"
        )
    repeats = getattr(args, "repeats", 5)
    seed = getattr(args, "seed", 0)
    outputs = getattr(args, "output", []) or []
    quiet = getattr(args, "quiet", False)
    for path in outputs:
        if not str(path).lower().endswith((".png", ".csv")):
            raise ValueError(
                f"--output {path}: the stream benchmark writes .png or .csv"
            )
    forget = args.forget
    if args.stream_estimator == "logreg" and forget is None:
        forget = 200
    accuracy = {name: [] for name in args.rules}
    labels = {name: [] for name in args.rules}
    seconds = {name: [] for name in args.rules}
    curves = {name: [] for name in args.rules}
    x_axis = None
    for repeat in range(repeats):
        X, y = _stream_dataset(dataset, seed + repeat, args.stream_rows)
        for name in args.rules:
            learner = StreamActiveLearner(
                _stream_estimator(args.stream_estimator, seed + repeat),
                STREAM_RULES[name](),
                EstimatedBudget(budget=args.label_rate, window=args.budget_window),
                window=forget,
                random_state=seed + repeat,
            )
            # a model that has not seen every class yet (GaussianNB's zero
            # priors) warns on every chunk: not the benchmark's news
            with np.errstate(divide="ignore", invalid="ignore"):
                result = prequential_evaluation(
                    learner, X, y, chunk_size=args.chunk_size
                )
            accuracy[name].append(result.mean_accuracy)
            labels[name].append(result.n_requested[-1])
            seconds[name].append(result.seconds)
            curves[name].append(result.accuracy)
            x_axis = result.n_seen
    baseline = "random" if "random" in args.rules else args.rules[0]
    rows = []
    for name in args.rules:
        scores = np.asarray(accuracy[name])
        row = {
            "rule": name,
            "accuracy_mean": float(scores.mean()),
            "accuracy_std": float(scores.std()),
            "labels_mean": float(np.mean(labels[name])),
            "seconds": float(np.mean(seconds[name])),
        }
        if name != baseline:
            diff = scores - np.asarray(accuracy[baseline])
            wins, ties = int(np.sum(diff > 1e-12)), int(np.sum(np.abs(diff) <= 1e-12))
            row["wtl"] = f"{wins}/{ties}/{len(diff) - wins - ties}"
            row["p"] = (
                f"{wilcoxon(diff).pvalue:.3f}"
                if np.any(np.abs(diff) > 1e-12)
                else "1.000"
            )
        rows.append(row)
    if not quiet:
        stdout.write(
            f"skal benchmark --stream: {dataset}, estimator {args.stream_estimator}"
            f"{f' (window {forget})' if forget else ''}, label rate "
            f"{args.label_rate:g} (hard cap over {args.budget_window} rows), chunks "
            f"of {args.chunk_size}, {repeats} paired repeats\n"
        )
    stdout.write(stream_benchmark_table(rows, baseline) + "\n")
    if not quiet:
        stdout.write(
            "prequential accuracy: each chunk scored before the model learns from "
            f"it; labels: requested per stream; W/T/L and p (Wilcoxon) vs {baseline}\n"
        )
    for path in outputs:
        if str(path).lower().endswith(".csv"):
            _write_curves_csv(path, x_axis, curves)
        else:
            _write_curves_png(path, x_axis, curves, dataset, args.label_rate)
        if not quiet:
            stdout.write(f"wrote {path}\n")
    return 0


def _write_curves_csv(path, x_axis, curves):
    import csv

    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["rule", "repeat", "n_seen", "accuracy"])
        for name, runs in curves.items():
            for repeat, run in enumerate(runs):
                for seen, value in zip(x_axis, run):
                    writer.writerow([name, repeat, int(seen), repr(float(value))])


def _write_curves_png(path, x_axis, curves, dataset, rate):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4.5))
    for name, runs in curves.items():
        runs = np.vstack(runs)
        scored = np.sum(~np.isnan(runs), axis=0)  # 0 before the first model
        mean = np.nansum(runs, axis=0) / np.maximum(scored, 1)
        ax.plot(x_axis, np.where(scored > 0, mean, np.nan), label=name)
    ax.set_xlabel("rows seen")
    ax.set_ylabel("prequential accuracy (per chunk)")
    ax.set_title(f"{dataset}: label rate {rate:g}, mean over repeats")
    ax.legend(loc="lower right")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
