"""A session's configuration as plain data, and the objects it names.

The configuration travels in the journal as JSON: names of
:mod:`skal.registry` (estimators and strategies, the same names as ``skal
benchmark``'s) with JSON parameters. Nothing else is ever turned into an
object, so opening a session file someone sent you cannot import a module or
run code of their choosing.

Parameters go through an allow-list: an estimator takes only the
``set_params`` names its registry entry lists (:attr:`skal.registry.
EstimatorEntry.params`), a strategy only the plain-valued parameters of its
constraint table (:attr:`skal.registry.StrategyEntry.settable`), each with
its type and range checked. So a file cannot set a ``Pipeline``'s ``memory``
(a folder of pickles joblib would load), a path, or a callable, and a value
out of range is refused in one line when the configuration is read, before
any model is built.
"""

import json
from dataclasses import MISSING, asdict, dataclass, field, fields

from .. import registry
from . import _tags
from ._errors import SessionError

_JSON_SCALARS = (str, int, float, bool, type(None))

#: The strategy of a multi-label session when none is given. Of the five
#: multi-label strategies, BinMin came closest to random (mean micro-F1 0.578
#: against 0.581) on the real multi-label data measured in issue 24, where
#: every one of them trailed random; change it with the evidence.
MULTILABEL_STRATEGY = "bin_min"

#: Strategy classes that measure single-label class probabilities (or fit a
#: single-label committee or error model): refused in a multi-label session.
#: ``tests/test_session_tags.py`` runs every strategy of the registry on a
#: small multi-label problem and checks this list against what fails.
SINGLE_LABEL_ONLY = (
    "UncertaintySampling",
    "QueryByCommittee",
    "ExpectedErrorReduction",
    "InformationDensity",
    "RankedBatch",
    "ClusterMargin",
    "TwoStepKMeans",
    "ConsistencySampling",
    "UncertaintyHerding",
    "DropQuery",
    "Falcun",
    "LearningActiveLearning",
)


def _check_params(what, params):
    if not isinstance(params, dict):
        raise SessionError(f"{what}: parameters must be a JSON object; got {params!r}")
    for key, value in params.items():
        values = value if isinstance(value, list) else [value]
        if not isinstance(key, str) or not all(
            isinstance(v, _JSON_SCALARS) for v in values
        ):
            raise SessionError(
                f"{what}: parameter {key!r} must be a JSON number, string, boolean "
                f"or null (or a list of them); got {value!r}"
            )


@dataclass
class SessionConfig:
    """Everything needed to rebuild a session's learner, as plain data.

    Parameters
    ----------
    classes : list of str
        The answers a person may give, in the order they are numbered.
    text_column : str or None
        The CSV column holding the text to label (TF-IDF features).
    columns : list of str or None
        The CSV columns holding numeric features (when there is no text).
    id_column : str or None
        A column of stable row ids; ``None`` identifies rows by a hash of
        their content.
    estimator : str
        A name of :data:`skal.registry.ESTIMATORS` that gives probabilities
        (or an alias); ``None`` picks ``"tfidf-logreg"`` for text and
        ``"logreg"`` for columns.
    estimator_params : dict
        JSON parameters set on the estimator (``set_params`` names), only
        those its registry entry allows (:attr:`skal.registry.
        EstimatorEntry.params`), each in its range.
    strategy : str or None
        A strategy name of :mod:`skal.registry`: ``"margin"`` (the default,
        ``None`` picks it; :data:`MULTILABEL_STRATEGY` in a multi-label
        session),
        ``"least_confident"``, ``"entropy"``, ``"random"``, ``"kcenter"``
        (``"coreset"``), ``"qbc"``, ... or a class name of
        :mod:`skal.strategies` whose constructor needs no object.
    strategy_params : dict
        JSON parameters of that class: plain values of its constraint table
        only (:attr:`skal.registry.StrategyEntry.settable`).
    initial_strategy : str
        The strategy while no model exists (cold start): ``"typiclust"``
        (typical rows of distinct clusters, Hacohen et al. 2022) by default,
        which of five first-batch options was never worse than random and
        best where they differed, on four data sets (see the honest-estimates
        benchmark page).
    audit : float
        Share of the questions that are random audit rows (see
        :class:`~skal.ActiveLearner`'s ``audit``): the honest estimate of the
        model's accuracy that ``skal status`` and the page show rests on them.
        0.2 by default for new sessions (0.0 for sessions created before
        audits existed).
    batch_size : int
        Questions per batch; the model is retrained between batches.
    budget : int or None
        Labels to collect; ``None`` means every row.
    random_state : int
        Seed of the first batch; later batches continue from the journaled
        generator state.
    data : str
        The CSV file the session was created with (informative; commands
        accept another path).
    multi_label : bool
        Each row gets a set of tags (any of the classes, or none) rather than
        one class; fixed when the session is created (``False`` for files
        written before tags existed). See ``skal.session._tags`` for how a
        tag set is journaled.
    """

    classes: list
    text_column: str | None = None
    columns: list | None = None
    id_column: str | None = None
    estimator: str | None = None
    estimator_params: dict = field(default_factory=dict)
    strategy: str | None = None
    strategy_params: dict = field(default_factory=dict)
    initial_strategy: str = "typiclust"
    audit: float = 0.2
    batch_size: int = 10
    budget: int | None = None
    random_state: int = 0
    data: str = ""
    multi_label: bool = False

    def __post_init__(self):
        self._fill_defaults()
        self.validate()

    def _fill_defaults(self):
        if self.estimator is None:
            self.estimator = "tfidf-logreg" if self.text_column else "logreg"
        if self.strategy is None:
            self.strategy = (
                MULTILABEL_STRATEGY if self.multi_label is True else "margin"
            )

    # ------------------------------------------------------------ validation
    def validate(self):
        """Refuse anything but plain, known data, and strategies that cannot
        run in a session (a :class:`SessionError`, in one line)."""
        self.check_data()
        self.check_strategies()

    def check_strategies(self):
        """Refuse a strategy or initial strategy a session cannot run (one
        for regression only, or for multi-label classification only)."""
        for what, name in (
            ("strategy", self.strategy),
            ("initial_strategy", self.initial_strategy),
        ):
            problem = strategy_problem(name, self.multi_label)
            if problem is not None:
                raise SessionError(
                    f"{what} {name!r} cannot run in a session: {problem}"
                )

    def check_data(self):
        """Refuse anything but plain, known data (a :class:`SessionError`):
        known names, allowed parameters in their ranges. What a stored
        configuration must pass to be opened at all."""
        classes = self.classes
        if not isinstance(classes, list) or len(classes) < 2:
            raise SessionError("--classes needs at least two class names")
        if not all(isinstance(c, str) and c.strip() == c and c for c in classes):
            raise SessionError(f"class names must be non-empty text; got {classes!r}")
        from ._rows import plain_text

        if any(plain_text(c) != c for c in classes):
            raise SessionError(f"class names must be printable text; got {classes!r}")
        if len(set(classes)) != len(classes):
            raise SessionError(f"--classes names a class twice: {classes!r}")
        if not isinstance(self.multi_label, bool):
            raise SessionError(
                f"multi_label must be true or false; got {self.multi_label!r}"
            )
        for name in classes if self.multi_label else ():
            if name.casefold() in _tags.NO_TAG:
                raise SessionError(
                    f"tag name {name!r} would clash with the answer for no tag "
                    f"({' or '.join(_tags.NO_TAG)}); choose another name"
                )
        for name in classes:
            if name in ("s", "u", "r", "q") or name.isdigit():
                raise SessionError(
                    f"class name {name!r} would clash with a key (s, u, r, q or a "
                    "number); choose another name"
                )
        for what, value in (
            ("text_column", self.text_column),
            ("id_column", self.id_column),
        ):
            if value is not None and not isinstance(value, str):
                raise SessionError(f"{what} must be a column name; got {value!r}")
        if not isinstance(self.data, str):
            raise SessionError(f"data must be a file name; got {self.data!r}")
        if (self.text_column is None) == (self.columns is None):
            raise SessionError("give either --text-column or --columns")
        if self.columns is not None and (
            not isinstance(self.columns, list)
            or not self.columns
            or not all(isinstance(c, str) for c in self.columns)
        ):
            raise SessionError(f"--columns must name columns; got {self.columns!r}")
        entry = estimator_entry(self.estimator)
        wants = entry.input
        has = "text" if self.text_column else "columns"
        if wants != has:
            raise SessionError(
                f"estimator {self.estimator!r} takes "
                f"{'a --text-column' if wants == 'text' else '--columns'}"
            )
        _check_params("estimator", self.estimator_params)
        _check_params("strategy", self.strategy_params)
        try:
            entry.check_params(self.estimator_params)
        except registry.InvalidParameterError as error:
            raise SessionError(f"estimator_params: {error}") from None
        for name in (self.strategy, self.initial_strategy):
            strategy_class(name)
        try:
            strategy_entry(self.strategy).check_params(self.strategy_params)
        except registry.InvalidParameterError as error:
            raise SessionError(f"strategy_params: {error}") from None
        audit = self.audit
        if (
            isinstance(audit, bool)
            or not isinstance(audit, (int, float))
            or not 0 <= audit < 1
        ):
            raise SessionError(f"audit must be a share in [0, 1); got {audit!r}")
        for what, value, low in (
            ("batch_size", self.batch_size, 1),
            ("random_state", self.random_state, 0),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise SessionError(f"{what} must be an int >= {low}; got {value!r}")
        if self.budget is not None and (
            isinstance(self.budget, bool)
            or not isinstance(self.budget, int)
            or self.budget < 1
        ):
            raise SessionError(f"budget must be a positive int; got {self.budget!r}")

    @staticmethod
    def strategy_problem(name, multi_label=False):
        """Why a session (single-label classification, or multi-label with
        ``multi_label``) cannot run the strategy ``name``, in a few words;
        ``None`` if it can.

        Raises
        ------
        SessionError
            ``name`` is no strategy's name.
        """
        return strategy_problem(name, multi_label)

    # ------------------------------------------------------------ answers
    def parse_tags(self, text):
        """A typed answer of a multi-label session as its journaled label
        (``skal.session._tags.parse_answer``: ``1,3``, ``bug, ui``, ``-``
        for no tag); a :class:`SessionError` saying the syntax otherwise."""
        if _tags.is_tag_set(text, self.classes):  # journaled already
            return text
        return _tags.parse_answer(text, self.classes)

    def import_tags(self, text):
        """A tag set given before the session (an imported cell: a JSON
        list, or tag names separated by commas; numbers are not read as tag
        numbers) as its journaled label, or ``None`` if it is none."""
        try:
            return _tags.parse_answer(text, self.classes, numbers=False)
        except SessionError:
            return None

    def read_label(self, value):
        """A label posted by the page as the journaled label: a class name in
        a single-label session, a JSON list of tag names in a multi-label
        one (any order); a :class:`SessionError` naming what is expected
        otherwise."""
        if self.multi_label:
            return _tags.read_list(value, self.classes)
        if not isinstance(value, str) or value not in self.classes:
            raise SessionError("label: one of " + ", ".join(self.classes))
        return value

    def labels(self):
        """What a journaled label may be (``label in config.labels()``): the
        classes, or the tag sets of a multi-label session."""
        return _tags.TagSets(self.classes) if self.multi_label else self.classes

    def describe(self, label):
        """A journaled label for people: the class, or the tags joined by
        commas (``no tag`` for none)."""
        return _tags.describe(label, self.classes) if self.multi_label else label

    def per_class(self, label_counts):
        """Class -> rows labeled with it (with the tag in a multi-label
        session), from :meth:`SessionState.label_counts`."""
        if self.multi_label:
            return _tags.tag_counts(label_counts, self.classes)
        return {c: label_counts.get(c, 0) for c in self.classes}

    # ------------------------------------------------------------ plain data
    def to_json(self):
        """The configuration as a JSON text. ``multi_label`` is written only
        when true: a single-label session's file stays one that a skal from
        before tags (which refuses unknown fields) opens."""
        data = asdict(self)
        if data["multi_label"] is False:
            del data["multi_label"]
        return json.dumps(data, sort_keys=True)

    @classmethod
    def from_json(cls, text):
        """A configuration from :meth:`to_json`'s text (validated)."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as error:
            raise SessionError(
                f"the session's configuration is not JSON: {error}"
            ) from None
        if not isinstance(data, dict):
            raise SessionError("the session's configuration is not a JSON object")
        # written before audit rows existed: the session asks as it did
        data.setdefault("audit", 0.0)
        # written before tags existed: one class per row
        data.setdefault("multi_label", False)
        known = set(cls.__dataclass_fields__)
        unknown = sorted(set(data) - known)
        if unknown:
            raise SessionError(
                f"the session's configuration has unknown fields {unknown}; it was "
                "written by a newer skal"
            )
        # the data are checked as at creation, but a stored strategy that
        # cannot run is let through: the command line offers to replace it
        config = cls.__new__(cls)
        for spec in fields(cls):
            if spec.name in data:
                value = data[spec.name]
            elif spec.default is not MISSING:
                value = spec.default
            elif spec.default_factory is not MISSING:
                value = spec.default_factory()
            else:
                raise SessionError(
                    f"the session's configuration is invalid: it lacks {spec.name!r}"
                )
            setattr(config, spec.name, value)
        config._fill_defaults()
        config.check_data()
        return config

    # ------------------------------------------------------------- objects
    def make_estimator(self):
        """A fresh, unfitted estimator for this configuration (its parameters
        checked against the allow-list again)."""
        try:
            estimator = estimator_entry(self.estimator).make(**self.estimator_params)
        except (registry.InvalidParameterError, TypeError) as error:
            raise SessionError(f"estimator_params: {error}") from None
        return _tags.one_vs_rest(estimator) if self.multi_label else estimator

    def make_strategy(self, initial=False):
        """A fresh query strategy (the cold-start one with ``initial=True``)."""
        name = self.initial_strategy if initial else self.strategy
        entry = strategy_entry(name)
        try:
            params = {} if initial else entry.check_params(self.strategy_params)
            return entry.make(**params)
        except (registry.InvalidParameterError, TypeError) as error:
            raise SessionError(f"strategy {name!r}: {error}") from None


def session_estimators():
    """Names of the estimators a session takes: those with probabilities."""
    return [name for name, entry in registry.ESTIMATORS.items() if entry.probabilities]


def estimator_entry(name):
    """The registry entry of an estimator name a session takes."""
    try:
        entry = registry.resolve_estimator(name, choices=session_estimators())
    except registry.UnknownNameError as error:
        raise SessionError(str(error)) from None
    if not entry.probabilities:
        raise SessionError(
            f"estimator {name!r} gives no probabilities, which a session needs "
            "(confidences, export --predictions); choose from: "
            + ", ".join(session_estimators())
        )
    return entry


def strategy_entry(name):
    """The registry entry of a strategy name; only known names."""
    try:
        return registry.resolve_strategy(name)
    except registry.UnknownNameError as error:
        raise SessionError(str(error)) from None


def strategy_class(name):
    """``(class, fixed parameters)`` of a strategy name; only known names."""
    entry = strategy_entry(name)
    return entry.cls, dict(entry.params)


def strategy_problem(name, multi_label=False):
    """Why a session (single-label classification, or multi-label with
    ``multi_label``) cannot run the strategy ``name``, in a few words;
    ``None`` if it can. Unknown names raise."""
    entry = strategy_entry(name)
    why = _why_not(entry, multi_label)
    if why is None:
        return None
    choices = [
        choice
        for choice in registry.strategy_choices()
        if _why_not(strategy_entry(choice), multi_label) is None
    ]
    shown = ", ".join(choices[:6])
    return f"{entry.cls.__name__} {why}; choose another (e.g. {shown}, ...)"


def _why_not(entry, multi_label):
    if entry.regression_only:
        return (
            "is for regression only (it reads the model's predictions as "
            "numbers), and a session labels classes"
        )
    if entry.multilabel_only and not multi_label:
        return (
            "is for multi-label classification only, and this session gives "
            "each row one class (a new session with --multi-label gives tags)"
        )
    if multi_label and entry.cls.__name__ in SINGLE_LABEL_ONLY:
        return (
            "measures single-label class probabilities, and this session "
            "gives each row a set of tags"
        )
    return None
