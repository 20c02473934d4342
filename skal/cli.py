"""The ``skal`` command line: ``skal benchmark`` compares query strategies.

Run ``skal benchmark --help`` for the options. Every user mistake (a missing
file, an unknown column or strategy) ends with a one-line message on stderr and
a non-zero exit status.
"""

import argparse
import csv
import json
import re
import sys
import time
from pathlib import Path

import numpy as np
from sklearn.base import clone

from . import ActiveLearner, __version__
from . import strategies as strategies_module
from .metrics import summarize_learning_curves
from .model_selection import active_learning_curve

BUNDLED = ("digits", "breast_cancer", "wine", "iris")
DEFAULT_STRATEGIES = "random,least_confident,margin,entropy"
OUTPUT_KINDS = (".png", ".csv", ".json")


class UsageError(Exception):
    """A mistake of the user: reported in one line, exit status 2."""


# ------------------------------------------------------------------ estimators
def _estimators():
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.svm import SVC

    return {
        "logreg": make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)),
        "svm": make_pipeline(StandardScaler(), SVC(gamma="scale")),
        "rf": RandomForestClassifier(n_estimators=50, random_state=0),
        "knn": make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=5)),
        "nb": GaussianNB(),
    }


ESTIMATOR_HELP = (
    "logreg: standardised LogisticRegression; svm: standardised RBF SVC; "
    "rf: RandomForestClassifier(50 trees); knn: standardised 5-nearest neighbours; "
    "nb: GaussianNB"
)


# ------------------------------------------------------------------ strategies
def _snake(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def _aliases(class_name):
    """Names of a strategy class, the shortest first: ``KCenterGreedy`` ->
    ``k_center``, ``kcenter``, ``k_center_greedy``, ``kcentergreedy``."""
    snake = _snake(class_name)
    short = snake
    for affix in ("_sampling", "query_by_", "_greedy", "_strategy"):
        short = short.replace(affix, "")
    names = [short, short.replace("_", ""), snake, class_name.lower()]
    return list(dict.fromkeys(name for name in names if name))


def available_strategies():
    """Name -> factory of every strategy usable from the command line.

    The uncertainty measures have their own names; every other public strategy
    of :mod:`skal.strategies` that needs no argument is reachable by its class
    name in snake case and by shorter aliases (``QueryByCommittee`` as
    ``committee``, ``KCenterGreedy`` as ``kcenter``), so strategies added to the
    package appear here without a change to this file.
    """
    found = {
        "random": strategies_module.RandomSampling,
        "least_confident": lambda: strategies_module.UncertaintySampling(
            "least_confident"
        ),
        "margin": lambda: strategies_module.UncertaintySampling("margin"),
        "entropy": lambda: strategies_module.UncertaintySampling("entropy"),
    }
    base = (
        strategies_module.QueryStrategy,
        strategies_module.RankingStrategy,
    )
    for class_name in getattr(strategies_module, "__all__", dir(strategies_module)):
        cls = getattr(strategies_module, class_name, None)
        if (
            not isinstance(cls, type)
            or not issubclass(cls, strategies_module.QueryStrategy)
            or cls in base
        ):
            continue
        try:
            cls()
        except Exception:  # needs arguments (a wrapper): not usable by name
            continue
        for alias in _aliases(class_name):
            found.setdefault(alias, cls)
    return found


def _primary_names(found):
    """One name per distinct factory, for messages."""
    seen, names = set(), []
    for name, factory in found.items():
        if factory not in seen or name in ("least_confident", "margin", "entropy"):
            seen.add(factory)
            names.append(name)
    return names


def parse_strategies(text):
    """``"random,margin"`` -> {name: strategy}; unknown names raise UsageError."""
    found = available_strategies()
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise UsageError("--strategies needs at least one strategy name")
    unknown = [name for name in names if name.lower() not in found]
    if unknown:
        raise UsageError(
            f"unknown strategy {unknown[0]!r}; choose from: "
            + ", ".join(_primary_names(found))
        )
    if len(set(names)) != len(names):
        raise UsageError(f"--strategies names a strategy twice: {text!r}")
    return {name: found[name.lower()]() for name in names}


# --------------------------------------------------------------------- datasets
def load_dataset(name, target=None):
    """``(X, y, description)`` of a bundled dataset or a CSV file."""
    if name in BUNDLED:
        if target is not None:
            raise UsageError("--target only applies to a CSV file")
        from sklearn import datasets

        X, y = getattr(datasets, f"load_{name}")(return_X_y=True)
        return X, y, name
    path = Path(name)
    if not path.is_file():
        raise UsageError(
            f"dataset {name!r} is neither a bundled one ({', '.join(BUNDLED)}) "
            "nor an existing CSV file"
        )
    return _load_csv(path, target)


def _load_csv(path, target):
    try:
        with open(path, newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {path}: {error}") from None
    rows = [row for row in rows if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        raise UsageError(f"{path} needs a header line and at least one data row")
    header = [cell.strip() for cell in rows[0]]
    if target is None:
        target = header[-1]
    if target not in header:
        raise UsageError(
            f"{path} has no column {target!r}; its columns are: {', '.join(header)}"
        )
    column = header.index(target)
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise UsageError(
                f"{path}, line {line}: {len(row)} fields, the header has {len(header)}"
            )
    features = [i for i in range(len(header)) if i != column]
    if not features:
        raise UsageError(f"{path} has no feature column besides {target!r}")
    X = np.empty((len(rows) - 1, len(features)))
    for j, i in enumerate(features):
        try:
            X[:, j] = [float(row[i]) for row in rows[1:]]
        except ValueError:
            raise UsageError(
                f"{path}: column {header[i]!r} is not numeric (every feature "
                "column must hold numbers)"
            ) from None
    if np.isnan(X).any():
        raise UsageError(f"{path} has missing feature values")
    labels = [row[column].strip() for row in rows[1:]]
    if any(label == "" for label in labels):
        raise UsageError(f"{path}: column {target!r} has empty labels")
    try:
        y = np.array([int(label) for label in labels])
    except ValueError:
        y = np.array(labels)
    return X, y, path.name


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

    from .plotting import ActiveLearningCurveDisplay

    fig, ax = plt.subplots(figsize=(7, 4.5))
    ActiveLearningCurveDisplay.from_results(
        n_labeled, scores, score_name=score_name, ax=ax
    )
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_csv(path, n_labeled, scores):
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["strategy", "repeat", "n_labeled", "score"])
        for name, table in scores.items():
            for repeat in range(table.shape[1]):
                for count, score in zip(n_labeled[name], table[:, repeat], strict=True):
                    writer.writerow([name, repeat, int(count), repr(float(score))])


def write_json(path, config, n_labeled, scores, rows):
    results = {
        name: {
            "n_labeled": n_labeled[name].tolist(),
            "test_scores": scores[name].T.tolist(),  # one list per repeat
        }
        for name in scores
    }
    summary = [
        {
            key: (value.tolist() if isinstance(value, np.ndarray) else value)
            for key, value in row.items()
        }
        for row in rows
    ]
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(
            {"config": config, "results": results, "summary": summary},
            handle,
            indent=2,
            allow_nan=True,
        )


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


def _positive(kind):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if value <= 0:
            raise argparse.ArgumentTypeError(f"must be positive: {text!r}")
        return value

    return parse


def _budget(text):
    value = _positive(float)(text)
    if value.is_integer() and "." not in text:
        return int(value)
    if value > 1:
        raise argparse.ArgumentTypeError(
            f"a fractional budget must be in (0, 1]: {text!r}"
        )
    return value


def _fraction(text):
    value = _positive(float)(text)
    if value >= 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1): {text!r}")
    return value


def build_parser():
    parser = argparse.ArgumentParser(
        prog="skal",
        description="Active learning as a scikit-learn estimator.",
    )
    parser.add_argument("--version", action="version", version=f"skal {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    bench = commands.add_parser(
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
        help=f"{', '.join(BUNDLED)} (scikit-learn's bundled sets) or the path of a "
        "CSV file with a header line (default: digits)",
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
        help="comma-separated strategy names, e.g. random,margin,entropy; an "
        f"unknown name lists the available ones (default: {DEFAULT_STRATEGIES})",
    )
    bench.add_argument(
        "--batch-size",
        type=_positive(int),
        default=10,
        help="labels per loop (default: 10)",
    )
    bench.add_argument(
        "--budget",
        type=_budget,
        default=200,
        help="labels per campaign, initial set included: a count, or a fraction "
        "of the pool such as 0.5 (default: 200)",
    )
    bench.add_argument(
        "--n-initial",
        type=_positive(int),
        default=10,
        help="random initial labels, shared by the strategies (default: 10)",
    )
    bench.add_argument(
        "--test-size",
        type=_fraction,
        default=0.3,
        help="fraction of the rows held out for testing (default: 0.3)",
    )
    bench.add_argument(
        "--repeats",
        type=_positive(int),
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
    return parser


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
                "-" if summary is None else f"{summary['p_value']:.3f}",
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


def benchmark(args, stdout, stderr):
    X, y, data_name = load_dataset(args.dataset, args.target)
    estimators = _estimators()
    if args.estimator not in estimators:
        raise UsageError(
            f"unknown estimator {args.estimator!r}; choose from: "
            + ", ".join(estimators)
        )
    strategies = parse_strategies(args.strategies)
    check_outputs(args.output)
    classes = np.unique(y)
    if classes.size < 2:
        raise UsageError(f"{data_name}: the target has a single class")
    estimator = estimators[args.estimator]
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
            f"{classes.size} classes), estimator {args.estimator}, "
            f"{args.repeats} repeats\n"
            f"test split {args.test_size:g}, {args.n_initial} random initial labels, "
            f"batch size {args.batch_size}, budget {args.budget}\n"
        )
        stdout.flush()
    progress = None
    if not args.quiet and stderr.isatty():
        progress = ProgressBar(stderr)
    start = time.perf_counter()
    n_labeled, scores, times = active_learning_curve(
        learners,
        X,
        y,
        test_size=args.test_size,
        n_repeats=args.repeats,
        n_jobs=args.n_jobs,
        random_state=args.seed,
        return_times=True,
        progress=progress,
    )
    wall = time.perf_counter() - start
    rows = summarize_learning_curves(n_labeled, scores, baseline=baseline)
    for row in rows:
        row["seconds"] = float(np.mean(times[row["name"]][-1]))
    score_name = "accuracy"
    stdout.write(format_table(rows, baseline, score_name) + "\n")
    if not args.quiet:
        final = max(int(counts[-1]) for counts in n_labeled.values())
        stdout.write(
            f"AULC: mean test {score_name} over {min(args.n_initial, final)}.."
            f"{final} labels; W/T/L: repeats where the AULC beats, equals or trails "
            f"{baseline or 'a baseline'}; p: Wilcoxon signed-rank; "
            f"wall time {wall:.0f} s\n"
        )
    config = {key: value for key, value in vars(args).items() if key != "command"}
    config.update(dataset=data_name, version=__version__)
    title = f"{data_name}, {args.estimator}: {args.repeats} repeats, mean ± 1 std"
    for path in args.output:
        suffix = Path(path).suffix.lower()
        if suffix == ".png":
            write_png(path, n_labeled, scores, title, score_name.capitalize())
        elif suffix == ".csv":
            write_csv(path, n_labeled, scores)
        else:
            write_json(path, config, n_labeled, scores, rows)
        if not args.quiet:
            stdout.write(f"wrote {path}\n")
    return 0


def main(argv=None):
    """Entry point of the ``skal`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return benchmark(args, sys.stdout, sys.stderr)
    except UsageError as error:
        sys.stderr.write(f"skal: error: {error}\n")
        return 2
    except (ValueError, OSError) as error:
        # scikit-learn's own refusals (say, a continuous target given to a
        # classifier) are the data's problem, not a crash: one line, not a trace
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        sys.stderr.write(f"skal: error: {type(error).__name__}: {message}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
