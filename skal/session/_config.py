"""A session's configuration as plain data, and the objects it names.

The configuration travels in the journal as JSON: names of
:mod:`skal.registry` (estimators and strategies, the same names as ``skal
benchmark``'s) with JSON parameters. Nothing else is ever turned into an
object, so opening a session file someone sent you cannot import a module or
run code of their choosing.
"""

import json
from dataclasses import asdict, dataclass, field

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
        JSON parameters set on the estimator (``set_params`` names).
    strategy : str
        A strategy name of :mod:`skal.registry`: ``"margin"``,
        ``"least_confident"``, ``"entropy"``, ``"random"``, ``"kcenter"``
        (``"coreset"``), ``"qbc"``, ... or a class name of
        :mod:`skal.strategies` whose constructor needs no object.
    strategy_params : dict
        JSON parameters of that class.
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
        """Refuse anything but plain, known data (a :class:`SessionError`)."""
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
        for name in (self.strategy, self.initial_strategy):
            strategy_class(name)
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
        try:
            return cls(**data)
        except TypeError as error:
            raise SessionError(
                f"the session's configuration is invalid: {error}"
            ) from None

    # ------------------------------------------------------------- objects
    def make_estimator(self):
        """A fresh, unfitted estimator for this configuration."""
        estimator = estimator_entry(self.estimator).make()
        if self.estimator_params:
            try:
                estimator.set_params(**self.estimator_params)
            except ValueError as error:
                raise SessionError(f"estimator parameters: {error}") from None
        return estimator

    def make_strategy(self, initial=False):
        """A fresh query strategy (the cold-start one with ``initial=True``)."""
        name = self.initial_strategy if initial else self.strategy
        cls, fixed = strategy_class(name)
        params = dict(fixed)
        if not initial:
            params.update(self.strategy_params)
        try:
            return cls(**params)
        except TypeError as error:
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


def strategy_class(name):
    """``(class, fixed parameters)`` of a strategy name; only known names."""
    try:
        entry = registry.resolve_strategy(name)
    except registry.UnknownNameError as error:
        raise SessionError(str(error)) from None
    return entry.cls, dict(entry.params)
