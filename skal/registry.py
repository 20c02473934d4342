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

Parameters are an allow-list too: :attr:`EstimatorEntry.params` lists the
``set_params`` names each estimator may be given, with their types and
ranges, and :attr:`StrategyEntry.settable` the plain-valued parameters of a
strategy's constraint table. A session file's stored configuration goes
through them, so it cannot reach anything that touches the file system or
loads a pickle (a ``Pipeline``'s ``memory``), nor a callable.

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
from numbers import Integral, Real

from .utils._validation import (
    InstanceOf,
    Interval,
    Options,
    Predicate,
    check_value,
    parameter_constraints,
)

__all__ = [
    "ESTIMATORS",
    "ESTIMATOR_ALIASES",
    "STRATEGY_ABBREVIATIONS",
    "REGRESSION_ONLY",
    "MULTILABEL_ONLY",
    "EstimatorEntry",
    "StrategyEntry",
    "UnknownNameError",
    "InvalidParameterError",
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


class InvalidParameterError(ValueError):
    """A parameter the allow-list of a named object does not take, or a value
    out of its range; the message (one line) names it and what is allowed."""


def _check_allowed(what, params, allowed):
    """``params`` checked against ``allowed`` (name -> list of constraints)."""
    if not isinstance(params, dict):
        raise InvalidParameterError(
            f"{what}: parameters must be a mapping of names to values; got "
            f"{type(params).__name__}"
        )
    for name, value in params.items():
        if name not in allowed:
            known = ", ".join(sorted(allowed)) or "none"
            raise InvalidParameterError(
                f"{what} takes no parameter {name!r} here; it takes: {known}"
            )
        try:
            check_value(name, value, allowed[name])
        except (TypeError, ValueError) as error:
            raise InvalidParameterError(f"{what}: {error}") from None
    return dict(params)


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


# The parameters a name's estimator may be given (``set_params`` names), with
# their types and ranges: an allow-list, so a configuration read from a file
# cannot reach anything that touches the file system or loads a pickle (a
# ``Pipeline``'s ``memory``, a vectorizer's ``input="filename"``), run code (a
# callable), or pick a parameter nobody reviewed.
_BOOL = InstanceOf(bool, "true or false")
_POSITIVE = Interval(Real, 0, None, closed="neither")
_SEED = Interval(Integral, 0, 2**32 - 1)


def _ngram_range(value):
    return (
        isinstance(value, (list, tuple))
        and len(value) == 2
        and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
        and 1 <= value[0] <= value[1] <= 5
    )


def _step(step, table):
    return {f"{step}__{name}": allowed for name, allowed in table.items()}


_SCALER = _step("standardscaler", {"with_mean": [_BOOL], "with_std": [_BOOL]})
_LOGREG = {
    "C": [_POSITIVE],
    "max_iter": [Interval(Integral, 1, 100_000)],
    "tol": [_POSITIVE],
    "fit_intercept": [_BOOL],
    "class_weight": [None, Options(("balanced",))],
}
_TFIDF = _step(
    "tfidfvectorizer",
    {
        "lowercase": [_BOOL],
        "strip_accents": [None, Options(("ascii", "unicode"))],
        "stop_words": [None, Options(("english",))],
        "analyzer": [Options(("word", "char", "char_wb"))],
        "ngram_range": [
            Predicate(_ngram_range, "a list [low, high] of ints, 1 <= low <= high <= 5")
        ],
        "min_df": [Interval(Integral, 1, None), Interval(Real, 0, 1)],
        "max_df": [Interval(Integral, 1, None), Interval(Real, 0, 1)],
        "max_features": [None, Interval(Integral, 1, None)],
        "binary": [_BOOL],
        "norm": [None, Options(("l1", "l2"))],
        "use_idf": [_BOOL],
        "smooth_idf": [_BOOL],
        "sublinear_tf": [_BOOL],
    },
)
_SVC = {
    "C": [_POSITIVE],
    "kernel": [Options(("linear", "poly", "rbf", "sigmoid"))],
    "degree": [Interval(Integral, 1, 10)],
    "gamma": [Options(("scale", "auto")), _POSITIVE],
    "class_weight": [None, Options(("balanced",))],
}
_FOREST = {
    "n_estimators": [Interval(Integral, 1, 10_000)],
    "criterion": [Options(("gini", "entropy", "log_loss"))],
    "max_depth": [None, Interval(Integral, 1, None)],
    "min_samples_split": [Interval(Integral, 2, None)],
    "min_samples_leaf": [Interval(Integral, 1, None)],
    "max_features": [None, Options(("sqrt", "log2")), Interval(Integral, 1, None)],
    "max_leaf_nodes": [None, Interval(Integral, 2, None)],
    "bootstrap": [_BOOL],
    "class_weight": [None, Options(("balanced", "balanced_subsample"))],
    "random_state": [None, _SEED],
}
_KNN = {
    "n_neighbors": [Interval(Integral, 1, 10_000)],
    "weights": [Options(("uniform", "distance"))],
    "p": [Interval(Real, 1, None)],
    "metric": [Options(("minkowski", "euclidean", "manhattan", "cosine"))],
}


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
    params : dict
        The allow-list: the ``set_params`` names the estimator may be given
        (``logisticregression__C``), each with its allowed values (types and
        ranges). Nothing else is ever set, so a session file cannot set a
        ``Pipeline``'s ``memory`` (a folder whose pickles it would load) or a
        callable.
    """

    name: str
    input: str
    probabilities: bool
    description: str
    build: object = field(repr=False)
    params: dict = field(default_factory=dict, repr=False)

    def check_params(self, params):
        """``params`` if the allow-list takes every one of them.

        Raises
        ------
        InvalidParameterError
            In one line: the parameter at fault and what is allowed.
        """
        return _check_allowed(f"estimator {self.name!r}", params, self.params)

    def make(self, **params):
        """A fresh, unfitted estimator; ``params`` (checked against
        :attr:`params`) are set on it.

        >>> ESTIMATORS["logreg"].make(logisticregression__C=0.5)[-1].C
        0.5
        >>> ESTIMATORS["logreg"].make(memory="cache")
        Traceback (most recent call last):
        ...
        skal.registry.InvalidParameterError: estimator 'logreg' takes no ...
        """
        params = self.check_params(params)
        estimator = self.build()
        if params:
            # JSON has no tuples: ``ngram_range`` arrives as a list
            estimator.set_params(
                **{k: tuple(v) if isinstance(v, list) else v for k, v in params.items()}
            )
        return estimator


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
            {**_SCALER, **_step("logisticregression", _LOGREG)},
        ),
        EstimatorEntry(
            "svm",
            "columns",
            False,
            "standardised RBF SVC",
            _svm,
            {**_SCALER, **_step("svc", _SVC)},
        ),
        EstimatorEntry(
            "rf", "columns", True, "RandomForestClassifier(100 trees)", _rf, _FOREST
        ),
        EstimatorEntry(
            "knn",
            "columns",
            True,
            "standardised 5-nearest neighbours",
            _knn,
            {**_SCALER, **_step("kneighborsclassifier", _KNN)},
        ),
        EstimatorEntry(
            "nb",
            "columns",
            True,
            "GaussianNB",
            _gaussian_nb,
            {"var_smoothing": [_POSITIVE]},
        ),
        EstimatorEntry(
            "tfidf-logreg",
            "text",
            True,
            "TF-IDF then LogisticRegression",
            lambda: _tfidf(_logreg()),
            {**_TFIDF, **_step("logisticregression", _LOGREG)},
        ),
        EstimatorEntry(
            "tfidf-nb",
            "text",
            True,
            "TF-IDF then ComplementNB",
            lambda: _tfidf(_complement_nb()),
            {
                **_TFIDF,
                **_step(
                    "complementnb",
                    {
                        "alpha": [Interval(Real, 0, None)],
                        "fit_prior": [_BOOL],
                        "norm": [_BOOL],
                    },
                ),
            },
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
    "lci": "label_cardinality_inconsistency",
    "uherding": "uncertainty_herding",
    "herding": "max_herding",
    "lal": "learning_active_learning",
}

#: Strategies that read the model's predictions as numbers (regression only):
#: on a classifier they fail, or would rank rows by class codes.
REGRESSION_ONLY = (
    "GreedySamplingTarget",
    "ImprovedGreedySampling",
    "PredictiveStdSampling",
)

#: Strategies for multi-label classification only (a label-indicator ``y``):
#: on a session's single-label classes they fail at the first query.
MULTILABEL_ONLY = (
    "MultiLabelUncertainty",
    "BinMin",
    "MMC",
    "AdaptiveMultiLabel",
    "CVIRS",
    "LabelCardinalityInconsistency",
    "LabelWiseUncertainty",
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

    @property
    def multilabel_only(self):
        """Whether the strategy only runs on multi-label classification."""
        return self.cls.__name__ in MULTILABEL_ONLY

    @property
    def settable(self):
        """The allow-list of parameters a configuration may give: name ->
        allowed values, read off the class's constraint table. Only plain
        values (numbers in a range, one of some words, ``None``), never an
        object (a committee, a base strategy); fixed parameters excluded."""
        taken = self.cls().get_params(deep=False)
        fixed = dict(self.params)
        return {
            name: allowed
            for name, allowed in parameter_constraints(self.cls).items()
            if name in taken
            and name not in fixed
            and all(c is None or isinstance(c, (Interval, Options)) for c in allowed)
        }

    def check_params(self, params):
        """``params`` if :attr:`settable` takes every one of them (else an
        :class:`InvalidParameterError` in one line)."""
        return _check_allowed(f"strategy {self.name!r}", params, self.settable)

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
