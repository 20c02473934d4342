"""``skal benchmark --stream``: stream decision rules compared at one label rate.

:func:`add_stream_arguments` adds the options to the ``skal benchmark``
parser; :func:`run_stream_benchmark` replays the same streams through every
rule with :func:`skal.stream.prequential_evaluation` and prints a paired table.
"""

import argparse

import numpy as np

from ..utils import write_csv
from . import _arguments

#: Rule names -> classes of :mod:`skal.stream` (imported when a stream
#: benchmark runs: building the parser imports no model code).
STREAM_RULES = {
    "random": "RandomRule",
    "periodic": "PeriodicRule",
    "fixed": "FixedUncertainty",
    "variable": "VariableUncertainty",
    "randomized": "RandomizedVariableUncertainty",
    "split": "SplitRule",
    "biqf": "BalancedQuantileFilter",
}
DEFAULT_STREAM_RULES = "random,periodic,fixed,variable,randomized,split,biqf"
STREAM_DATASETS = ("drift", "digits", "breast_cancer", "wine", "iris")
STREAM_ESTIMATORS = ("sgd", "nb", "logreg")


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
        type=_arguments.share,
        default=0.1,
        help="share of the arriving rows that may be labeled, in (0, 1] (default: 0.1)",
    )
    group.add_argument(
        "--budget-window",
        type=_arguments.positive_int,
        default=100,
        help="rows over which the label rate is a hard cap (default: 100)",
    )
    group.add_argument(
        "--chunk-size",
        type=_arguments.positive_int,
        default=50,
        help="rows per arriving chunk (default: 50)",
    )
    group.add_argument(
        "--stream-rows",
        type=_arguments.positive_int,
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
        type=_arguments.positive_int,
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
        from ..stream import make_drifting_stream

        X, y, _ = make_drifting_stream(n_rows_drift, drift_at=(0.5,), random_state=seed)
    else:
        from sklearn import datasets
        from sklearn.utils import check_random_state

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

    from .. import stream
    from ..stream import EstimatedBudget, StreamActiveLearner, prequential_evaluation

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
                getattr(stream, STREAM_RULES[name])(),
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
    write_csv(
        path,
        ["rule", "repeat", "n_seen", "accuracy"],
        (
            [name, repeat, int(seen), repr(float(value))]
            for name, runs in curves.items()
            for repeat, run in enumerate(runs)
            for seen, value in zip(x_axis, run)
        ),
    )


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
