"""``skal benchmark``: compare query strategies on a dataset.

Every user mistake (a missing file, an unknown column or strategy, an empty
cell, a regression target, a budget that leaves no loop) ends with a one-line
message on stderr that names the option or the column and says what to do,
and exit status 2; a strategy that fails on the data or the estimator during
the run is named in one line, with exit status 1. No traceback either way.

Estimator and strategy names are those of :mod:`skal.registry`, shared with
``skal label``. CSV files are read by :func:`skal.utils.read_csv`: the
delimiter (``,``, ``;``, tab or ``|``) is sniffed, so files exported where the
decimal mark is a comma (``;``-separated) are read; their decimal commas are
reported by cell.
"""

import json
import math
import re
import sys
import time
from pathlib import Path

import numpy as np

from .. import __version__, registry
from ..utils import CsvError, read_csv, sniff_delimiter, write_csv
from . import _arguments
from .stream import add_stream_arguments, run_stream_benchmark

BUNDLED = ("digits", "breast_cancer", "wine", "iris")
#: Multi-label sets: scikit-learn's generator (1,000 rows, 20 features, 6
#: labels) and skal's digits with four attribute labels.
MULTILABEL_BUNDLED = ("multilabel", "digits_attributes")
DEFAULT_STRATEGIES = "random,least_confident,margin,entropy"
MULTILABEL_STRATEGIES = (
    "random,multi_label_uncertainty,bin_min,mmc,adaptive_multi_label,cvirs"
)
OUTPUT_KINDS = (".png", ".csv", ".json")


class UsageError(Exception):
    """A mistake of the user: reported in one line, exit status 2."""


class RunError(Exception):
    """A run that failed on the data or the estimator: one line, exit status 1."""


# ------------------------------------------------------------ estimators
def benchmark_estimators():
    """The estimator names the benchmark takes: those of numeric columns."""
    return [
        name for name, entry in registry.ESTIMATORS.items() if entry.input == "columns"
    ]


ESTIMATOR_HELP = "; ".join(
    f"{name}: {registry.ESTIMATORS[name].description}"
    for name in benchmark_estimators()
)


def resolve_estimator(name):
    """The registry entry of ``--estimator``; a UsageError if the benchmark
    cannot use it."""
    choices = benchmark_estimators()
    try:
        entry = registry.resolve_estimator(name, choices=choices)
    except registry.UnknownNameError as error:
        raise UsageError(str(error)) from None
    if entry.name not in choices:
        raise UsageError(
            f"estimator {name!r} reads text, and skal benchmark compares models "
            f"of numeric features; choose from: {', '.join(choices)}"
        )
    return entry


# ------------------------------------------------------------ strategies
def available_strategies():
    """Name -> :class:`~skal.registry.StrategyEntry` of every strategy usable
    from the command line (:func:`skal.registry.strategy_table`)."""
    return registry.strategy_table()


def parse_strategies(text):
    """``"random,margin"`` -> {name: strategy}.

    Names are case-insensitive, ``-`` stands for ``_``, and the abbreviations of
    :data:`skal.registry.STRATEGY_ABBREVIATIONS` (``qbc``, ``lc``, ``coreset``,
    ...) are accepted. Every unknown name is reported at once, each with the
    closest known names, in one :class:`UsageError`.
    """
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise UsageError("--strategies needs at least one strategy name")
    try:
        entries = registry.resolve_strategies(names, table=available_strategies())
    except registry.UnknownNameError as error:
        raise UsageError(str(error)) from None
    if len({entry.key for entry in entries}) != len(entries):
        raise UsageError(f"--strategies names a strategy twice: {text!r}")
    return {name: entry.make() for name, entry in zip(names, entries)}


def check_classification_strategies(strategies):
    """Refuse, all at once, strategies that only make sense for a regressor."""
    wrong = [
        f"{name!r} ({type(strategy).__name__})"
        for name, strategy in strategies.items()
        if type(strategy).__name__ in registry.REGRESSION_ONLY
    ]
    if wrong:
        raise UsageError(
            f"strateg{'y' if len(wrong) == 1 else 'ies'} {', '.join(wrong)} "
            f"{'is' if len(wrong) == 1 else 'are'} for regressors, and skal "
            "benchmark compares classifiers: drop "
            f"{'it' if len(wrong) == 1 else 'them'} from --strategies"
        )


# --------------------------------------------------------------------- datasets
def load_dataset(name, target=None):
    """``(X, y, description)`` of a bundled dataset or a CSV file."""
    if name in MULTILABEL_BUNDLED:
        if target is not None:
            raise UsageError("--target only applies to a CSV file")
        if name == "multilabel":
            from sklearn.datasets import make_multilabel_classification

            X, y = make_multilabel_classification(
                n_samples=1000, n_features=20, n_classes=6, n_labels=2, random_state=0
            )
            return X, y, "multilabel (make_multilabel_classification)"
        from ..datasets import load_digits_attributes

        X, y = load_digits_attributes()
        return X, y, name
    if name in BUNDLED:
        if target is not None:
            raise UsageError("--target only applies to a CSV file")
        from sklearn import datasets

        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
        return X, y, name
    path = Path(name)
    if not path.is_file():
        raise UsageError(
            f"dataset {name!r} is neither a bundled one "
            f"({', '.join(BUNDLED + MULTILABEL_BUNDLED)}) "
            "nor an existing CSV file"
        )
    return _load_csv(path, target)


#: Cells read as a missing value (compared in lower case).
MISSING_CELLS = ("", "na", "n/a", "nan", "null", "none", "?")
FILL_OR_DROP = "every feature needs a number: fill it in or drop the row"


def _load_csv(path, target):
    try:
        table = read_csv(path)
    except CsvError as error:
        raise UsageError(str(error)) from None
    if table.header is None or not table.rows:
        raise UsageError(f"{path} needs a header line and at least one data row")
    header = table.header
    rows = list(zip(table.lines, table.rows))
    if target is None:
        target = header[-1]
    if target not in header:
        raise UsageError(
            f"{path} has no column {target!r}; its columns are: {', '.join(header)}"
        )
    column = header.index(target)
    features = [i for i in range(len(header)) if i != column]
    if not features:
        raise UsageError(f"{path} has no feature column besides {target!r}")
    X = np.empty((len(rows), len(features)))
    for r, (line, row) in enumerate(rows):
        for j, i in enumerate(features):
            X[r, j] = _feature(path, line, header[i], row[i])
    y = _labels(path, target, [(line, row[column].strip()) for line, row in rows])
    check_classes(y, path.name, target)
    return X, y, path.name


def _feature(path, line, name, cell):
    """The number in one feature cell; a one-line UsageError naming the cell."""
    text = cell.strip()
    if text.lower() in MISSING_CELLS:
        what = "empty cell" if not text else f"missing value {text!r}"
        raise UsageError(
            f"{path}, line {line}, column {name!r}: {what}; {FILL_OR_DROP}"
        )
    try:
        value = float(text)
    except ValueError:
        hint = ""
        if re.fullmatch(r"[+-]?\d+,\d+", text):
            hint = " (a decimal comma? write numbers with '.' as the decimal mark)"
        raise UsageError(
            f"{path}: column {name!r} is not numeric: {text!r} on line {line}{hint}; "
            "every feature column must hold numbers"
        ) from None
    if not math.isfinite(value):
        raise UsageError(
            f"{path}, line {line}, column {name!r}: {text!r} is not a finite number; "
            f"{FILL_OR_DROP}"
        )
    return value


def _labels(path, target, cells):
    """Class labels: integers when every label is an integral number, else the
    strings; a column of real numbers is refused as a regression target."""
    for line, label in cells:
        if label == "":
            raise UsageError(
                f"{path}, line {line}: column {target!r} has an empty label; give "
                "every row a label or drop the row"
            )
    labels = [label for _, label in cells]
    try:
        numbers = np.array([float(label) for label in labels])
    except ValueError:
        return np.array(labels)  # class names
    if np.all(np.isfinite(numbers)) and np.all(numbers == np.round(numbers)):
        return numbers.astype(np.int64)
    distinct = np.unique(numbers[np.isfinite(numbers)])
    example = next(label for label in labels if not float(label).is_integer())
    raise UsageError(
        f"{path}: column {target!r} holds {distinct.size} distinct real numbers "
        f"(such as {example}), a regression target, but skal benchmark compares "
        "classifiers: choose a column of class labels with --target"
    )


def check_classes(y, data_name, target):
    """Every class needs two rows: one may go to the stratified test split."""
    classes, counts = np.unique(y, return_counts=True)
    if classes.size < 2:
        raise UsageError(f"{data_name}: the target has a single class")
    rare = classes[counts < 2]
    if rare.size:
        shown = ", ".join(f"'{label}'" for label in rare[:5])
        more = f" and {rare.size - 5} more" if rare.size > 5 else ""
        where = f"column {target!r}" if target else "the target"
        raise UsageError(
            f"{data_name}: {where}: class{'es' if rare.size > 1 else ''} {shown}"
            f"{more} ha{'ve' if rare.size > 1 else 's'} a single row; the "
            "stratified test split needs at least 2 rows per class: drop or merge "
            "rare classes"
        )
    return classes


# ----------------------------------------------------------------------- output
def check_outputs(paths):
    """Fail before the run if an output cannot be written."""
    for path in paths:
        suffix = Path(path).suffix.lower()
        if suffix not in OUTPUT_KINDS:
            raise UsageError(
                f"--output {path}: unknown kind {suffix or '(none)'!r}; use a "
                ".png, .csv or .json file name"
            )
        if not Path(path).resolve().parent.is_dir():
            raise UsageError(f"--output {path}: folder does not exist")
        if suffix == ".png":
            try:
                import matplotlib  # noqa: F401
            except ImportError:
                raise UsageError(
                    "writing a PNG needs matplotlib: pip install 'scikit-al[plot]'"
                ) from None


def write_png(path, n_labeled, scores, title, score_name):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..plotting import ActiveLearningCurveDisplay

    fig, ax = plt.subplots(figsize=(7, 4.5))
    ActiveLearningCurveDisplay.from_results(
        n_labeled, scores, score_name=score_name, ax=ax
    )
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_scores_csv(path, n_labeled, scores):
    """One line per strategy, repeat and point of the curve."""
    write_csv(
        path,
        ["strategy", "repeat", "n_labeled", "score"],
        (
            [name, repeat, int(count), repr(float(score))]
            for name, table in scores.items()
            for repeat in range(table.shape[1])
            for count, score in zip(n_labeled[name], table[:, repeat], strict=True)
        ),
    )


def _strict(value):
    """``value`` with NaN and infinities as ``None``: strict JSON (RFC 8259)."""
    if isinstance(value, dict):
        return {key: _strict(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_strict(item) for item in value]
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.integer):
        return int(value)
    return value


def write_json(path, config, n_labeled, scores, rows):
    """Scores, summary and configuration as strict JSON: a score or p-value
    that does not exist (a single repeat, no model yet) is ``null``, not NaN."""
    results = {
        name: {
            "n_labeled": n_labeled[name].tolist(),
            "test_scores": scores[name].T.tolist(),  # one list per repeat
        }
        for name in scores
    }
    document = _strict({"config": config, "results": results, "summary": rows})
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=2, allow_nan=False)


# ----------------------------------------------------------------- the command
class ProgressBar:
    """``[#####.....] 3/8 campaigns, 12 s`` redrawn in place on a terminal."""

    def __init__(self, stream, width=30):
        self.stream = stream
        self.width = width
        self.start = time.perf_counter()

    def __call__(self, done, total):
        filled = int(self.width * done / total)
        bar = "#" * filled + "." * (self.width - filled)
        seconds = time.perf_counter() - self.start
        self.stream.write(f"\r[{bar}] {done}/{total} campaigns, {seconds:.0f} s")
        if done == total:
            self.stream.write("\r" + " " * (self.width + 40) + "\r")
        self.stream.flush()


def add_benchmark_parser(subparsers):
    """Register ``benchmark``: simulated campaigns of query strategies."""
    bench = subparsers.add_parser(
        "benchmark",
        help="compare query strategies on a dataset",
        description=(
            "Simulate active-learning campaigns (the dataset's labels act as the "
            "oracle) for each strategy over repeated random splits, and print the "
            "area under the learning curve (AULC), the final test score and the "
            "paired win/tie/loss count against random sampling (Wilcoxon "
            "signed-rank p-value on the per-repeat AULC)."
        ),
    )
    bench.add_argument(
        "--dataset",
        default="digits",
        help=f"{', '.join(BUNDLED)} (scikit-learn's bundled sets), "
        f"{' or '.join(MULTILABEL_BUNDLED)} (multi-label: micro-F1, estimators "
        "wrapped in a OneVsRestClassifier unless multi-label already, default "
        "strategies the multi-label ones), or the path of a "
        "CSV file with a header line, numeric features and a class column; its "
        "delimiter (, ; tab |) is detected (default: digits)",
    )
    bench.add_argument(
        "--target",
        metavar="COLUMN",
        help="label column of a CSV file (default: its last column)",
    )
    bench.add_argument(
        "--estimator",
        default="logreg",
        help=f"{ESTIMATOR_HELP} (default: logreg)",
    )
    bench.add_argument(
        "--strategies",
        default=DEFAULT_STRATEGIES,
        help="comma-separated strategy names, e.g. random,margin,entropy; "
        "case-insensitive, with common abbreviations (qbc, lc, coreset, eer); an "
        f"unknown name lists the available ones (default: {DEFAULT_STRATEGIES})",
    )
    bench.add_argument(
        "--batch-size",
        type=_arguments.positive_int,
        default=10,
        help="labels per loop (default: 10)",
    )
    bench.add_argument(
        "--budget",
        type=_arguments.budget,
        default=200,
        help="labels per campaign, initial set included: a count, or a fraction "
        "of the pool such as 0.5 (default: 200)",
    )
    bench.add_argument(
        "--n-initial",
        type=_arguments.positive_int,
        default=10,
        help="random initial labels, shared by the strategies (default: 10)",
    )
    bench.add_argument(
        "--test-size",
        type=_arguments.fraction,
        default=0.3,
        help="fraction of the rows held out for testing (default: 0.3)",
    )
    bench.add_argument(
        "--repeats",
        type=_arguments.positive_int,
        default=10,
        help="random splits and initial sets; the paired test needs at least 6 "
        "to reach p < 0.05 (default: 10)",
    )
    bench.add_argument(
        "--n-jobs",
        type=int,
        default=-1,
        help="parallel campaigns; -1 uses every core (default: -1)",
    )
    bench.add_argument(
        "--output",
        action="append",
        default=[],
        metavar="FILE",
        help="write the curves to FILE: .png (plot), .csv or .json (scores); "
        "may be repeated",
    )
    bench.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    bench.add_argument(
        "--quiet", action="store_true", help="no progress bar and no header"
    )
    bench.add_argument(
        "--suite",
        action="store_true",
        help="the cross-domain scoreboard instead of one dataset: every strategy "
        "of the suite (or of --strategies) on every dataset that installs "
        "offline, AULC relative to random with a bootstrap interval over "
        "--seeds paired seeds, wins/ties/losses, a rank table and the "
        "leave-one-dataset-out check of the recommendation; --output takes "
        ".png, .csv or .json",
    )
    bench.add_argument(
        "--seeds",
        type=_arguments.positive_int,
        default=20,
        help="paired seeds per dataset of --suite (default: 20)",
    )
    add_stream_arguments(bench)
    bench.set_defaults(handler=benchmark_command)
    return bench


def _fmt(mean, std):
    return f"{mean:.3f} ± {std:.3f}"


def format_table(rows, baseline, score_name):
    """The printed summary, one line per strategy."""
    versus = f"vs {baseline} W/T/L" if baseline else ""
    head = [
        "strategy",
        "AULC",
        f"final {score_name}",
        versus,
        "p" if baseline else "",
        "time/run",
    ]
    lines = []
    for row in rows:
        summary = row.get("vs_baseline")
        lines.append(
            [
                row["name"],
                _fmt(row["aulc_mean"], row["aulc_std"]),
                _fmt(row["final_mean"], row["final_std"]),
                "-"
                if summary is None
                else f"{summary['wins']}/{summary['ties']}/{summary['losses']}",
                "-"
                if summary is None or not np.isfinite(summary["p_value"])
                else f"{summary['p_value']:.3f}",
                f"{row['seconds']:.1f} s",
            ]
        )
    keep = [i for i, title in enumerate(head) if title]
    widths = [max(len(line[i]) for line in [head, *lines]) for i in keep]
    out = []
    for line in [head, *lines]:
        cells = [line[i] for i in keep]
        out.append(
            "  ".join(
                cell.ljust(width) if j == 0 else cell.rjust(width)
                for j, (cell, width) in enumerate(zip(cells, widths, strict=True))
            ).rstrip()
        )
    return "\n".join(out)


def check_budget(args, n_rows):
    """Refuse a budget that leaves no loop after the initial set.

    The pool is what the stratified split leaves for training, as in
    :class:`~sklearn.model_selection.StratifiedShuffleSplit`; a fractional
    budget is taken of it, as :func:`~skal.model_selection.active_learning_curve`
    does.
    """
    pool = n_rows - math.ceil(args.test_size * n_rows)
    split = f"{pool}-row pool left by --test-size {args.test_size:g}"
    if args.n_initial >= pool:
        raise UsageError(
            f"--n-initial {args.n_initial} takes the whole {split}: lower "
            f"--n-initial below {pool}"
        )
    budget = args.budget
    if isinstance(budget, float):
        budget = max(1, math.floor(budget * pool))
    if min(budget, pool) <= args.n_initial:
        of_pool = f" ({budget} labels of the {split})" if budget != args.budget else ""
        raise UsageError(
            f"--budget {args.budget}{of_pool} leaves no loop after the "
            f"{args.n_initial} initial labels (--n-initial): raise --budget above "
            f"{args.n_initial} or lower --n-initial"
        )


def _first_line(error):
    text = str(error).strip()
    return f"{type(error).__name__}: {text.splitlines()[0] if text else ''}"


def _run_error(error, learners, X, y, args, curve):
    """A RunError naming the strategies that fail, found by running each alone.

    The joint run stops at the first failing campaign without saying whose it
    was; each strategy then runs one repeat on its own (the same first split
    and seed), and every one that fails is named with its error's first line.
    """
    from ..model_selection import active_learning_curve

    failed = []
    for name, learner in learners.items():
        try:
            active_learning_curve(learner, X, y, n_repeats=1, **{**curve, "n_jobs": 1})
        except (ValueError, TypeError) as own:
            strategy = type(learner.query_strategy).__name__
            failed.append(f"strategy {name!r} ({strategy}) failed: {_first_line(own)}")
    if not failed:
        return RunError(f"the run failed: {_first_line(error)}")
    return RunError(
        "; ".join(failed)
        + f"; drop {'it' if len(failed) == 1 else 'them'} from --strategies or "
        "choose another --estimator than " + args.estimator
    )


def benchmark(args, stdout, stderr):
    # the model code is imported here, not with the parser: ``skal --help``
    # and an option error answer without loading scikit-learn
    from sklearn.base import clone
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.utils import get_tags

    from .. import ActiveLearner
    from ..metrics import summarize_learning_curves
    from ..model_selection import active_learning_curve

    if args.stream:
        return run_stream_benchmark(args, stdout, stderr)
    if args.suite:
        return suite_benchmark(args, stdout)
    X, y, data_name = load_dataset(args.dataset, args.target)
    entry = resolve_estimator(args.estimator)
    multilabel = np.ndim(y) == 2
    names = args.strategies
    if multilabel and names == DEFAULT_STRATEGIES:
        names = MULTILABEL_STRATEGIES
    strategies = parse_strategies(names)
    check_classification_strategies(strategies)
    check_outputs(args.output)
    if multilabel:
        classes = np.arange(y.shape[1])  # the labels
    else:
        classes = check_classes(y, data_name, args.target)
    check_budget(args, len(y))
    estimator = entry.make()
    if multilabel and not get_tags(estimator).target_tags.multi_output:
        estimator = OneVsRestClassifier(estimator)
    learners = {
        name: ActiveLearner(
            clone(estimator),
            strategy,
            batch_size=args.batch_size,
            budget=args.budget,
            n_initial=args.n_initial,
        )
        for name, strategy in strategies.items()
    }
    baseline = "random" if "random" in learners else None
    if not args.quiet:
        stdout.write(
            f"skal benchmark: {data_name} ({len(y)} rows, {X.shape[1]} features, "
            f"{classes.size} {'labels' if multilabel else 'classes'}), "
            f"estimator {args.estimator}, "
            f"{args.repeats} repeats\n"
            f"test split {args.test_size:g}, {args.n_initial} random initial labels, "
            f"batch size {args.batch_size}, budget {args.budget}\n"
        )
        bundled = BUNDLED + MULTILABEL_BUNDLED
        delimiter = "," if args.dataset in bundled else sniff_delimiter(args.dataset)
        if delimiter != ",":
            stdout.write(f"read {data_name} with delimiter {delimiter!r}\n")
        stdout.flush()
    progress = None
    if not args.quiet and stderr.isatty():
        progress = ProgressBar(stderr)
    start = time.perf_counter()
    curve = {
        "test_size": args.test_size,
        "n_jobs": args.n_jobs,
        "random_state": args.seed,
        "return_times": True,
        "scoring": "f1_micro" if multilabel else None,
    }
    try:
        n_labeled, scores, times = active_learning_curve(
            learners, X, y, n_repeats=args.repeats, progress=progress, **curve
        )
    except (ValueError, TypeError) as error:
        raise _run_error(error, learners, X, y, args, curve) from error
    wall = time.perf_counter() - start
    rows = summarize_learning_curves(n_labeled, scores, baseline=baseline)
    for row in rows:
        row["seconds"] = float(np.mean(times[row["name"]][-1]))
    score_name = "micro-F1" if multilabel else "accuracy"
    stdout.write(format_table(rows, baseline, score_name) + "\n")
    if not args.quiet:
        final = max(int(counts[-1]) for counts in n_labeled.values())
        stdout.write(
            f"AULC: mean test {score_name} over {min(args.n_initial, final)}.."
            f"{final} labels; W/T/L: repeats where the AULC beats, equals or trails "
            f"{baseline or 'a baseline'}; p: Wilcoxon signed-rank; "
            f"wall time {wall:.0f} s\n"
        )
    config = {
        key: value
        for key, value in vars(args).items()
        if key not in ("command", "handler")
    }
    config.update(dataset=data_name, version=__version__)
    title = f"{data_name}, {args.estimator}: {args.repeats} repeats, mean ± 1 std"
    for path in args.output:
        suffix = Path(path).suffix.lower()
        if suffix == ".png":
            write_png(path, n_labeled, scores, title, score_name.capitalize())
        elif suffix == ".csv":
            write_scores_csv(path, n_labeled, scores)
        else:
            write_json(path, config, n_labeled, scores, rows)
        if not args.quiet:
            stdout.write(f"wrote {path}\n")
    return 0


def suite_benchmark(args, stdout):
    """``skal benchmark --suite``: the scoreboard of :mod:`skal.scoreboard`."""
    from .. import scoreboard

    strategies = scoreboard.SUITE_STRATEGIES
    if args.strategies != DEFAULT_STRATEGIES:
        names = list(parse_strategies(args.strategies))
        strategies = tuple(dict.fromkeys(["random", *names]))
    check_outputs(args.output)
    resolve_estimator(args.estimator)
    result = scoreboard.run_suite(
        strategies=strategies,
        estimator=args.estimator,
        n_seeds=args.seeds,
        n_jobs=args.n_jobs,
        random_state=args.seed,
        progress=None if args.quiet else lambda name: stdout.write(f"... {name}\n"),
    )
    rows = scoreboard.relative_table(result)
    stdout.write(scoreboard.format_suite(result, rows) + "\n\n")
    if len(result.aulc) > 1 and "margin" in strategies:
        stdout.write(
            "leave one dataset out: the strategy of best mean rank on the others\n"
            + scoreboard.format_leave_one_out(scoreboard.leave_one_dataset_out(result))
            + "\n"
        )
    for path in args.output:
        scoreboard.write_suite(result, path, rows)
        if not args.quiet:
            stdout.write(f"wrote {path}\n")
    return 0


def benchmark_command(args, stdout=None, stderr=None):
    """Run ``benchmark``; returns the exit status."""
    stdout, stderr = stdout or sys.stdout, stderr or sys.stderr
    try:
        return benchmark(args, stdout, stderr)
    except UsageError as error:
        stderr.write(f"skal: error: {error}\n")
        return 2
    except RunError as error:
        stderr.write(f"skal: error: {error}\n")
        return 1
    except (ValueError, OSError) as error:
        # scikit-learn's own refusals (say, a continuous target given to a
        # classifier) are the data's problem, not a crash: one line, not a trace
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        stderr.write(f"skal: error: {type(error).__name__}: {message}\n")
        return 1
