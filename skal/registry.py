"""The names of estimators and query strategies, in one place.

``skal benchmark --estimator rf --strategies coreset,qbc``, ``skal label
--strategy margin`` and a session file's stored configuration all name their
objects here, so a name means one object everywhere: ``rf`` is
``RandomForestClassifier(n_estimators=100, random_state=0)`` for the
benchmark and for a labeling session alike.

Names are case-insensitive, ``-``, ``_`` and spaces are interchangeable, and
common abbreviations from the literature are accepted (``qbc``, ``lc``,
``coreset``, ``eer``, ``random_forest``). Every public strategy of
:mod:`skal.strategies` that needs no argument is reachable by its class name
and by shorter aliases (``KCenterGreedy`` as ``kcenter`` or ``k_center``), so a
strategy added to the package appears here without a change to this module.

Examples
--------
>>> from skal.registry import make_estimator, resolve_strategy
>>> make_estimator("random_forest").n_estimators
100
>>> entry = resolve_strategy("coreset")
>>> entry.name, entry.cls.__name__
('k_center', 'KCenterGreedy')
>>> resolve_strategy("Least-Confident").make().measure
'least_confident'
"""

import difflib
import re
from dataclasses import dataclass, field
from functools import lru_cache

__all__ = [
    "ESTIMATORS",
    "ESTIMATOR_ALIASES",
    "STRATEGY_ABBREVIATIONS",
    "REGRESSION_ONLY",
    "EstimatorEntry",
    "StrategyEntry",
    "UnknownNameError",
    "resolve_estimator",
    "make_estimator",
    "resolve_strategy",
    "resolve_strategies",
    "make_strategy",
    "strategy_aliases",
    "strategy_table",
    "strategy_choices",
    "normalize_strategy_name",
]


class UnknownNameError(ValueError):
    """A name no registry knows; the message lists the known ones."""


# ----------------------------------------------------------------- estimators
def _logreg():
    from sklearn.linear_model import LogisticRegression

    return LogisticRegression(max_iter=1000)


def _scaled(estimator):
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), estimator)


def _tfidf(estimator):
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import make_pipeline

    return make_pipeline(TfidfVectorizer(sublinear_tf=True, min_df=1), estimator)


def _svm():
    from sklearn.svm import SVC

    return _scaled(SVC(gamma="scale"))


def _rf():
    from sklearn.ensemble import RandomForestClassifier

    return RandomForestClassifier(n_estimators=100, random_state=0)


def _knn():
    from sklearn.neighbors import KNeighborsClassifier

    return _scaled(KNeighborsClassifier(n_neighbors=5))


def _gaussian_nb():
    from sklearn.naive_bayes import GaussianNB

    return GaussianNB()


def _complement_nb():
    from sklearn.naive_bayes import ComplementNB

    return ComplementNB()


@dataclass(frozen=True)
class EstimatorEntry:
    """One named estimator.

    Attributes
    ----------
    name : str
        Its canonical name.
    input : {"columns", "text"}
        What it reads: numeric feature columns, or one column of texts.
    probabilities : bool
        Whether it has ``predict_proba`` (a labeling session shows
        confidences, so it needs them).
    description : str
        One line for ``--help``.
    build : callable
        Returns a fresh, unfitted estimator.
    """

    name: str
    input: str
    probabilities: bool
    description: str
    build: object = field(repr=False)

    def make(self):
        """A fresh, unfitted estimator."""
        return self.build()


#: Canonical name -> :class:`EstimatorEntry`.
ESTIMATORS = {
    entry.name: entry
    for entry in (
        EstimatorEntry(
            "logreg",
            "columns",
            True,
            "standardised LogisticRegression",
            lambda: _scaled(_logreg()),
        ),
        EstimatorEntry("svm", "columns", False, "standardised RBF SVC", _svm),
        EstimatorEntry("rf", "columns", True, "RandomForestClassifier(100 trees)", _rf),
        EstimatorEntry(
            "knn", "columns", True, "standardised 5-nearest neighbours", _knn
        ),
        EstimatorEntry("nb", "columns", True, "GaussianNB", _gaussian_nb),
        EstimatorEntry(
            "tfidf-logreg",
            "text",
            True,
            "TF-IDF then LogisticRegression",
            lambda: _tfidf(_logreg()),
        ),
        EstimatorEntry(
            "tfidf-nb",
            "text",
            True,
            "TF-IDF then ComplementNB",
            lambda: _tfidf(_complement_nb()),
        ),
    )
}

#: Other names of the estimators (normalised: lower case, ``-`` for ``_``).
ESTIMATOR_ALIASES = {
    "logistic-regression": "logreg",
    "svc": "svm",
    "random-forest": "rf",
    "kneighbors": "knn",
    "k-neighbors": "knn",
    "naive-bayes": "nb",
    "gaussian-nb": "nb",
    "gaussiannb": "nb",
    "tfidf-logistic-regression": "tfidf-logreg",
    "tfidf-naive-bayes": "tfidf-nb",
}


def _estimator_key(name):
    return re.sub(r"[\s_-]+", "-", name.strip().lower())


def resolve_estimator(name, *, choices=None):
    """The :class:`EstimatorEntry` of an estimator name or alias.

    Parameters
    ----------
    name : str
        A name of :data:`ESTIMATORS` or :data:`ESTIMATOR_ALIASES`, in any case.
    choices : list of str, optional
        The names listed when ``name`` is unknown (default: all).

    Returns
    -------
    entry : EstimatorEntry

    Raises
    ------
    UnknownNameError
        Naming ``name``, the closest known name and the choices.
    """
    if isinstance(name, str):
        key = _estimator_key(name)
        key = ESTIMATOR_ALIASES.get(key, key)
        if key in ESTIMATORS:
            return ESTIMATORS[key]
    raise UnknownNameError(
        _unknown(
            "estimator",
            [name],
            [*ESTIMATORS, *ESTIMATOR_ALIASES],
            choices if choices is not None else list(ESTIMATORS),
            _estimator_key,
        )
    )


def make_estimator(name):
    """A fresh, unfitted estimator of an estimator name or alias."""
    return resolve_estimator(name).make()


# ----------------------------------------------------------------- strategies
#: Common names from the literature and other libraries -> our name.
STRATEGY_ABBREVIATIONS = {
    "qbc": "committee",
    "lc": "least_confident",
    "least_confidence": "least_confident",
    "max_entropy": "entropy",
    "smallest_margin": "margin",
    "coreset": "k_center",
    "core_set": "k_center",
    "eer": "expected_error_reduction",
    "passive": "random",
    "gsx": "greedy_x",
    "gsy": "greedy_target",
    "igs": "improved",
}

#: Strategies that read the model's predictions as numbers (regression only):
#: on a classifier they would run, silently ranking rows by class codes.
REGRESSION_ONLY = (
    "GreedySamplingTarget",
    "ImprovedGreedySampling",
    "PredictiveStdSampling",
)

#: The uncertainty measures, each reachable by its own name.
_MEASURES = ("least_confident", "margin", "entropy")


@dataclass(frozen=True)
class StrategyEntry:
    """One named strategy: a class of :mod:`skal.strategies` and fixed
    parameters (``margin`` is ``UncertaintySampling(measure="margin")``).

    Attributes
    ----------
    name : str
        Its primary (shortest) name.
    cls : type
        The strategy class.
    params : tuple of (str, object)
        Fixed constructor parameters, as ``(name, value)`` pairs.
    """

    name: str
    cls: type
    params: tuple = ()

    @property
    def key(self):
        """What two names of the same strategy share."""
        return (self.cls, self.params)

    @property
    def regression_only(self):
        """Whether the strategy only makes sense for a regressor."""
        return self.cls.__name__ in REGRESSION_ONLY

    def make(self, **params):
        """A fresh strategy; ``params`` are added to the fixed ones."""
        return self.cls(**{**dict(self.params), **params})


def _snake(name):
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def strategy_aliases(class_name):
    """Names of a strategy class, the shortest first: ``KCenterGreedy`` ->
    ``k_center``, ``kcenter``, ``k_center_greedy``, ``kcentergreedy``."""
    snake = _snake(class_name)
    short = snake
    for affix in ("_sampling", "query_by_", "_greedy", "_strategy"):
        short = short.replace(affix, "")
    names = [short, short.replace("_", ""), snake, class_name.lower()]
    return list(dict.fromkeys(name for name in names if name))


@lru_cache(maxsize=1)
def _table():
    from . import strategies

    found = {
        "random": StrategyEntry("random", strategies.RandomSampling),
        **{
            measure: StrategyEntry(
                measure, strategies.UncertaintySampling, (("measure", measure),)
            )
            for measure in _MEASURES
        },
    }
    base = (strategies.QueryStrategy, strategies.RankingStrategy)
    for class_name in strategies.__all__:
        cls = getattr(strategies, class_name, None)
        if (
            not isinstance(cls, type)
            or not issubclass(cls, strategies.QueryStrategy)
            or cls in base
        ):
            continue
        try:
            cls()
        except Exception:  # needs arguments (a wrapper): not usable by name
            continue
        aliases = strategy_aliases(class_name)
        entry = StrategyEntry(aliases[0], cls)
        for alias in aliases:
            found.setdefault(alias, entry)
    return found


def strategy_table():
    """Name -> :class:`StrategyEntry` of every strategy reachable by name
    (abbreviations excluded; see :data:`STRATEGY_ABBREVIATIONS`)."""
    return dict(_table())


def normalize_strategy_name(name):
    """``" Least-Confident "`` -> ``"least_confident"``; abbreviations resolved."""
    key = re.sub(r"[\s-]+", "_", name.strip().lower())
    return STRATEGY_ABBREVIATIONS.get(key, key)


def strategy_choices(table=None, *, classification=True):
    """One name per distinct strategy, for messages and ``--help``."""
    table = _table() if table is None else table
    seen, names = set(), []
    for name, entry in table.items():
        if entry.key in seen or (classification and entry.regression_only):
            continue
        seen.add(entry.key)
        names.append(name)
    return names


def resolve_strategy(name, *, table=None):
    """The :class:`StrategyEntry` of a strategy name, alias or class name.

    Parameters
    ----------
    name : str
        ``"margin"``, ``"KCenterGreedy"``, ``"coreset"``, ``"qbc"``, ...
    table : dict, optional
        Name -> entry to look in (default: :func:`strategy_table`).

    Raises
    ------
    UnknownNameError
        Naming ``name``, the closest known name and the choices.
    """
    return resolve_strategies([name], table=table)[0]


def resolve_strategies(names, *, table=None):
    """The entries of several names; every unknown one is reported at once."""
    table = _table() if table is None else table
    unknown = [
        name
        for name in names
        if not isinstance(name, str) or normalize_strategy_name(name) not in table
    ]
    if unknown:
        raise UnknownNameError(
            _unknown(
                "strategy",
                unknown,
                [*table, *STRATEGY_ABBREVIATIONS],
                strategy_choices(table),
                normalize_strategy_name,
            )
        )
    return [table[normalize_strategy_name(name)] for name in names]


def make_strategy(name, **params):
    """A fresh strategy of a name; ``params`` go to its constructor."""
    return resolve_strategy(name).make(**params)


# ------------------------------------------------------------------- messages
def _unknown(kind, names, known, choices, normalize):
    described = []
    for name in names:
        if not isinstance(name, str):
            described.append(f"{name!r} (not text)")
            continue
        close = difflib.get_close_matches(normalize(name), known, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        described.append(f"{name!r}{hint}")
    plural = {"strategy": "strategies", "estimator": "estimators"}[kind]
    return (
        f"unknown {kind if len(names) == 1 else plural} "
        + ", ".join(described)
        + "; choose from: "
        + ", ".join(choices)
    )
