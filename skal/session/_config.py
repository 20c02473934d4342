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
from ._errors import SessionError

_JSON_SCALARS = (str, int, float, bool, type(None))


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
    strategy : str
        A strategy name of :mod:`skal.registry`: ``"margin"``,
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
    """

    classes: list
    text_column: str | None = None
    columns: list | None = None
    id_column: str | None = None
    estimator: str | None = None
    estimator_params: dict = field(default_factory=dict)
    strategy: str = "margin"
    strategy_params: dict = field(default_factory=dict)
    initial_strategy: str = "typiclust"
    audit: float = 0.2
    batch_size: int = 10
    budget: int | None = None
    random_state: int = 0
    data: str = ""

    def __post_init__(self):
        if self.estimator is None:
            self.estimator = "tfidf-logreg" if self.text_column else "logreg"
        self.validate()

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
            problem = self.strategy_problem(name)
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
    def strategy_problem(name):
        """Why a session (single-label classification) cannot run the
        strategy ``name``, in a few words; ``None`` if it can.

        Raises
        ------
        SessionError
            ``name`` is no strategy's name.
        """
        return strategy_problem(name)

    # ------------------------------------------------------------ plain data
    def to_json(self):
        """The configuration as a JSON text."""
        return json.dumps(asdict(self), sort_keys=True)

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
        if config.estimator is None:
            config.estimator = "tfidf-logreg" if config.text_column else "logreg"
        config.check_data()
        return config

    # ------------------------------------------------------------- objects
    def make_estimator(self):
        """A fresh, unfitted estimator for this configuration (its parameters
        checked against the allow-list again)."""
        try:
            return estimator_entry(self.estimator).make(**self.estimator_params)
        except (registry.InvalidParameterError, TypeError) as error:
            raise SessionError(f"estimator_params: {error}") from None

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


def strategy_problem(name):
    """Why a session (single-label classification) cannot run the strategy
    ``name``, in a few words; ``None`` if it can. Unknown names raise."""
    entry = strategy_entry(name)
    if entry.regression_only:
        why = (
            "is for regression only (it reads the model's predictions as "
            "numbers), and a session labels classes"
        )
    elif entry.multilabel_only:
        why = (
            "is for multi-label classification only, and a session gives each "
            "row one class"
        )
    else:
        return None
    choices = ", ".join(registry.strategy_choices()[:6])
    return f"{entry.cls.__name__} {why}; choose another (e.g. {choices}, ...)"
