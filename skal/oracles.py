"""LABEL: oracles, the people and programs that answer queries.

An oracle is any callable ``oracle(X_rows, indices) -> labels``: it receives the
rows to label (as the learner stores them) and their indices in ``fit``'s
``X``, and returns one label per row. It may **abstain** on a row by answering
``None`` (or NaN, or the learner's ``missing_label``): the learner then sets the
row aside for the campaign (``ActiveLearner.abstained_indices_``) instead of
asking again.

The ready-made oracles are :class:`~sklearn.base.BaseEstimator` objects, so
``GridSearchCV`` reaches their parameters (``oracle__min_confidence``):

* :class:`SimulatedOracle` answers with known labels (what ``fit`` uses in a
  simulation);
* :class:`NoisyOracle` flips a share of another oracle's answers;
* :class:`ModelOracle` labels with another fitted model and abstains below a
  confidence (auto-labeling);
* :class:`OracleChain` asks each oracle in turn for the rows the previous one
  abstained on: the cheap one first, the expensive one for the rest;
* :class:`FunctionOracle` wraps a plain function (a labeling service's API, a
  script, a rules engine) with a name and a cost.

Every answer carries who gave it and what it cost: ``Oracle.answer`` returns an
:class:`Answers` record, which the learner writes into ``history_`` and totals
in ``label_cost_``.
"""

from dataclasses import dataclass
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, clone
from sklearn.utils import check_random_state

from .utils._model_outputs import predict_proba_or_softmax
from .utils._validation import (
    InstanceOf,
    Interval,
    Predicate,
    validate_parameter_constraints,
)


class OracleError(RuntimeError):
    """An oracle failed; the message names it and the rows it was asked."""


@dataclass(frozen=True)
class Answers:
    """One oracle call's answers, row by row.

    Attributes
    ----------
    labels : ndarray of object, shape (n_rows,)
        The labels; ``None`` where the oracle abstained.
    answered : ndarray of bool, shape (n_rows,)
        ``False`` where the oracle abstained.
    answered_by : ndarray of str, shape (n_rows,)
        Name of the oracle that answered (or last abstained on) each row.
    costs : ndarray of float, shape (n_rows,)
        What each row's answer cost (0 for an abstention unless the oracle
        charges for it).
    """

    labels: np.ndarray
    answered: np.ndarray
    answered_by: np.ndarray
    costs: np.ndarray

    @classmethod
    def by_hand(cls, labels, name="user", cost=1.0):
        """Labels given directly (by a person): every row answered by ``name``
        at ``cost`` each."""
        n = len(labels)
        values = np.empty(n, dtype=object)
        for k, label in enumerate(labels):  # a multi-label row stays one value
            values[k] = label
        return cls(values, np.ones(n, bool), np.full(n, name, object), np.full(n, cost))

    def counts(self):
        """``{name: rows answered}`` of the answered rows, by first answer."""
        counts = {}
        for name in self.answered_by[self.answered]:
            counts[name] = counts.get(name, 0) + 1
        return counts

    def total_cost(self):
        """What the answers cost, abstentions included."""
        return float(np.sum(self.costs))


def abstained(labels):
    """Mask of the answers that are abstentions: ``None`` or NaN."""
    return np.array(
        [
            label is None
            or (isinstance(label, (float, np.floating)) and np.isnan(label))
            for label in labels
        ],
        dtype=bool,
    )


def _is_cost(value):
    if callable(value):
        return True
    return (
        isinstance(value, Real)
        and not isinstance(value, bool)
        and np.isfinite(value)
        and value >= 0
    )


COST = [Predicate(_is_cost, "a number >= 0 or a callable (X_rows, indices) -> costs")]


class Oracle(BaseEstimator):
    """Base class of the ready-made oracles.

    A subclass implements ``_ask(X_rows, indices) -> labels`` (``None`` to
    abstain). Calling the oracle returns the labels; :meth:`answer` returns
    them with who answered and at what cost.

    Parameters
    ----------
    name : str or None
        How the oracle appears in ``history_`` (``None``: the class name).
    cost : float or callable
        Cost of one answered row, or ``cost(X_rows, indices) -> costs``.
    """

    _parameter_constraints = {
        "name": [None, InstanceOf(str, "a string")],
        "cost": COST,
    }

    def __call__(self, X_rows, indices):
        return self.answer(X_rows, indices).labels

    @property
    def display_name(self):
        """The name answers are recorded under."""
        return getattr(self, "name", None) or type(self).__name__

    def answer(self, X_rows, indices):
        """Ask for the labels of ``X_rows`` (rows ``indices`` of ``fit``'s ``X``).

        Returns
        -------
        answers : Answers
        """
        validate_parameter_constraints(self)
        indices = np.asarray(indices)
        name = self.display_name
        try:
            raw = list(self._ask(X_rows, indices))
        except Exception as error:
            raise OracleError(
                f"The oracle {name} failed on rows {indices[:10].tolist()}"
                f"{' ...' if indices.size > 10 else ''}: {type(error).__name__}: "
                f"{error}"
            ) from error
        if len(raw) != len(indices):
            raise ValueError(
                f"The oracle {name} returned {len(raw)} labels for {len(indices)} "
                "rows; it must answer one label (or None to abstain) per row."
            )
        labels = np.empty(len(indices), dtype=object)
        labels[:] = [
            label.item() if isinstance(label, np.generic) else label for label in raw
        ]
        answered = ~abstained(labels)
        labels[~answered] = None
        costs = np.where(answered, self._costs(X_rows, indices), 0.0)
        names = np.full(len(indices), self.display_name, dtype=object)
        return Answers(labels, answered, names, costs)

    def _costs(self, X_rows, indices):
        cost = getattr(self, "cost", 1.0)
        if callable(cost):
            values = np.asarray(cost(X_rows, indices), dtype=float)
            if values.shape != (len(indices),) or np.any(values < 0):
                raise ValueError(
                    f"{self.display_name}: cost(X_rows, indices) must return one "
                    f"non-negative number per row; got {values!r}."
                )
            return values
        return np.full(len(indices), float(cost))

    def _ask(self, X_rows, indices):
        raise NotImplementedError

    def uses_simulation_truth(self):
        """Whether the oracle answers from the ``y`` given to ``fit`` (a
        :class:`SimulatedOracle` without labels of its own, at any depth)."""
        return any(part.uses_simulation_truth() for part in self._parts())

    def with_truth(self, y):
        """A copy whose simulated parts answer from ``y``."""
        oracle = clone(self)
        oracle._bind(y)
        return oracle

    def _bind(self, y):
        for part in self._parts():
            part._bind(y)

    def _parts(self):
        return []


class SimulatedOracle(Oracle):
    """Answers with known labels: the oracle of a simulation.

    Parameters
    ----------
    y : array-like of shape (n_samples,) or None, default=None
        The labels, indexed like ``fit``'s ``X``. ``None`` answers from the
        ``y`` given to ``fit`` (with a ``budget``, ``fit`` then simulates a
        campaign on the rows whose label is known). A row whose label is
        missing in ``y`` (``None`` or NaN) gets an abstention.
    name : str or None, default=None
    cost : float or callable, default=1.0

    Examples
    --------
    >>> import numpy as np
    >>> from skal.oracles import SimulatedOracle
    >>> oracle = SimulatedOracle(np.array([3, 1, 4, 1, 5]))
    >>> oracle(None, [4, 0]).tolist()
    [5, 3]
    """

    def __init__(self, y=None, *, name=None, cost=1.0):
        self.y = y
        self.name = name
        self.cost = cost

    def uses_simulation_truth(self):
        return self.y is None and getattr(self, "truth_", None) is None

    def _bind(self, y):
        if self.y is None:
            self.truth_ = np.asarray(y)

    def _ask(self, X_rows, indices):
        truth = self.y if self.y is not None else getattr(self, "truth_", None)
        if truth is None:
            raise ValueError(
                "SimulatedOracle() without y answers from the y given to fit; "
                "give it y=... to use it on its own."
            )
        return np.asarray(truth)[indices]


class NoisyOracle(Oracle):
    """Flips a share of another oracle's answers: a fallible annotator.

    Each answered row is flipped with probability ``flip_rate`` to another
    class drawn uniformly, or, with a ``confusion`` matrix, its answer ``c`` is
    replaced by a class drawn from row ``c`` of the matrix (``flip_rate`` is
    then unused). Abstentions stay abstentions. A multi-label indicator row
    (``classes=[0, 1]``) has each of its entries flipped that way,
    independently; a row counts once in ``n_flipped_`` however many of its
    entries flipped.

    Parameters
    ----------
    oracle : callable
        The oracle whose answers are flipped.
    classes : array-like
        Every class, in the order of ``confusion``'s rows and columns.
    flip_rate : float in [0, 1], default=0.1
    confusion : array-like of shape (n_classes, n_classes) or None, default=None
        Row-stochastic: ``confusion[i, j]`` is the probability that true class
        ``classes[i]`` is answered as ``classes[j]``.
    random_state : int, RandomState instance or None, default=None
        Governs the flips (draws in call order).
    name : str or None, default=None
    cost : float or callable, default=1.0

    Attributes
    ----------
    n_flipped_ : int
        Answers flipped so far.
    flipped_indices_ : list of int
        Row indices whose answer was flipped, in call order.

    References
    ----------
    .. [1] B. Frénay and M. Verleysen. "Classification in the Presence of Label
       Noise: A Survey". IEEE Transactions on Neural Networks and Learning
       Systems 25(5), pp. 845-869, 2014.

    Examples
    --------
    >>> import numpy as np
    >>> from skal.oracles import NoisyOracle, SimulatedOracle
    >>> y = np.zeros(1000, dtype=int)
    >>> noisy = NoisyOracle(SimulatedOracle(y), classes=[0, 1], flip_rate=0.2,
    ...                     random_state=0)
    >>> answers = noisy(None, np.arange(1000))
    >>> 150 < int((answers == 1).sum()) < 250
    True
    """

    _parameter_constraints = {
        "oracle": [Predicate(callable, "a callable oracle")],
        "flip_rate": [Interval(Real, 0, 1)],
    }

    def __init__(
        self,
        oracle,
        classes,
        *,
        flip_rate=0.1,
        confusion=None,
        random_state=None,
        name=None,
        cost=1.0,
    ):
        self.oracle = oracle
        self.classes = classes
        self.flip_rate = flip_rate
        self.confusion = confusion
        self.random_state = random_state
        self.name = name
        self.cost = cost

    def _parts(self):
        return [self.oracle] if isinstance(self.oracle, Oracle) else []

    def _ask(self, X_rows, indices):
        classes = np.asarray(self.classes, dtype=object)
        if classes.ndim != 1 or len(classes) < 2:
            raise ValueError(
                f"NoisyOracle: classes must list at least two classes; got "
                f"{self.classes!r}."
            )
        if not hasattr(self, "rng_"):
            self.rng_ = check_random_state(self.random_state)
            self.n_flipped_, self.flipped_indices_ = 0, []
        labels = np.empty(len(indices), dtype=object)
        labels[:] = list(self.oracle(X_rows, indices))
        position = {label: k for k, label in enumerate(classes.tolist())}
        confusion = None
        if self.confusion is not None:
            confusion = np.asarray(self.confusion, dtype=float)
            if confusion.shape != (len(classes),) * 2 or not np.allclose(
                confusion.sum(axis=1), 1
            ):
                raise ValueError(
                    "NoisyOracle: confusion must be a row-stochastic matrix of "
                    f"shape ({len(classes)}, {len(classes)})."
                )
        for i, label in enumerate(labels):
            if label is None or (isinstance(label, float) and np.isnan(label)):
                continue
            if np.ndim(label) == 1:  # a multi-label indicator row
                row = np.asarray(label)
                noisy = np.array(
                    [classes[self._flip(position, e, confusion)] for e in row.tolist()]
                ).astype(row.dtype)
                changed = not np.array_equal(noisy, row)
                labels[i] = noisy
            else:
                new = self._flip(position, label, confusion)
                changed = classes[new] != label
                labels[i] = classes[new]
            if changed:
                self.n_flipped_ += 1
                self.flipped_indices_.append(int(indices[i]))
        return labels

    def _flip(self, position, label, confusion):
        """The position in ``classes`` of the (maybe flipped) answer ``label``."""
        if label not in position:
            raise ValueError(
                f"NoisyOracle: the wrapped oracle answered {label!r}, which is "
                f"not among classes={list(position)}."
            )
        k = position[label]
        if confusion is not None:
            return int(self.rng_.choice(len(position), p=confusion[k]))
        if self.rng_.random_sample() < self.flip_rate:
            others = [j for j in range(len(position)) if j != k]
            return int(others[self.rng_.randint(len(others))])
        return k


class ModelOracle(Oracle):
    """Labels with another fitted model, abstaining when it is unsure.

    Auto-labeling: a bigger model, a model trained on a related task, or a
    rules pipeline answers the rows it is confident about (the highest class
    probability at least ``min_confidence``) and abstains on the others, which
    an :class:`OracleChain` then sends to a person.

    Parameters
    ----------
    estimator : fitted classifier
        With ``predict_proba`` or ``decision_function`` (softmax of it).
    min_confidence : float in [0, 1], default=0.9
    name : str or None, default=None
    cost : float or callable, default=0.0
        A model's answers are usually (nearly) free.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal.oracles import ModelOracle
    >>> X, y = load_iris(return_X_y=True)
    >>> oracle = ModelOracle(LogisticRegression(max_iter=500).fit(X, y),
    ...                      min_confidence=0.9)
    >>> answers = oracle.answer(X[:3], [0, 1, 2])
    >>> answers.labels.tolist(), answers.costs.tolist()
    ([0, 0, 0], [0.0, 0.0, 0.0])
    """

    _parameter_constraints = {
        "min_confidence": [Interval(Real, 0, 1)],
    }

    def __init__(self, estimator, *, min_confidence=0.9, name=None, cost=0.0):
        self.estimator = estimator
        self.min_confidence = min_confidence
        self.name = name
        self.cost = cost

    def __sklearn_clone__(self):
        # the model is an input, already fitted: a clone shares it unfitted-free
        return type(self)(**self.get_params(deep=False))

    def _ask(self, X_rows, indices):
        proba = predict_proba_or_softmax(self.estimator, X_rows)
        best = proba.argmax(axis=1)
        labels = np.empty(len(best), dtype=object)
        labels[:] = list(np.asarray(self.estimator.classes_)[best])
        labels[proba.max(axis=1) < self.min_confidence] = None
        return labels


class OracleChain(Oracle):
    """Asks each oracle in turn for the rows the previous ones abstained on.

    Put the cheap oracle first (a :class:`ModelOracle`), the expensive one
    last (a person): each row is answered by the first oracle that does not
    abstain, and costs what that oracle charges. A row every oracle abstains
    on is an abstention of the chain.

    Parameters
    ----------
    oracles : list of callables
        Oracles (plain callables are wrapped in :class:`FunctionOracle`).

    Examples
    --------
    >>> import numpy as np
    >>> from skal.oracles import FunctionOracle, OracleChain
    >>> unsure = FunctionOracle(lambda X, idx: [0 if i < 2 else None for i in idx],
    ...                         name="rules", cost=0.0)
    >>> person = FunctionOracle(lambda X, idx: [1] * len(idx), name="person")
    >>> answers = OracleChain([unsure, person]).answer(None, np.arange(4))
    >>> answers.labels.tolist(), answers.answered_by.tolist()
    ([0, 0, 1, 1], ['rules', 'rules', 'person', 'person'])
    >>> answers.costs.tolist()
    [0.0, 0.0, 1.0, 1.0]
    """

    _parameter_constraints = {
        "oracles": [
            Predicate(
                lambda value: (
                    isinstance(value, (list, tuple))
                    and len(value) > 0
                    and all(callable(o) for o in value)
                ),
                "a non-empty list of oracles",
            )
        ],
    }

    def __init__(self, oracles, *, name=None):
        self.oracles = oracles
        self.name = name

    def _parts(self):
        return [o for o in self.oracles if isinstance(o, Oracle)]

    def answer(self, X_rows, indices):
        validate_parameter_constraints(self)
        from .utils._rows import take_rows

        indices = np.asarray(indices)
        n = len(indices)
        labels = np.empty(n, dtype=object)
        answered = np.zeros(n, dtype=bool)
        names = np.full(n, "", dtype=object)
        costs = np.zeros(n)
        for oracle in map(as_oracle, self.oracles):
            left = np.flatnonzero(~answered)
            if left.size == 0:
                break
            rows = X_rows if X_rows is None else take_rows(X_rows, left)
            part = oracle.answer(rows, indices[left])
            names[left] = part.answered_by
            got = left[part.answered]
            labels[got] = part.labels[part.answered]
            costs[left] += part.costs
            answered[got] = True
        return Answers(labels, answered, names, costs)


class FunctionOracle(Oracle):
    """A plain function as an oracle, with a name and a cost.

    Parameters
    ----------
    function : callable
        ``function(X_rows, indices) -> labels`` (``None`` to abstain): a
        labeling service's API, a script, a rules engine.
    name : str or None, default=None
        ``None`` uses the function's ``__name__``.
    cost : float or callable, default=1.0
    """

    _parameter_constraints = {
        "function": [Predicate(callable, "a callable (X_rows, indices) -> labels")],
    }

    def __init__(self, function, *, name=None, cost=1.0):
        self.function = function
        self.name = name
        self.cost = cost

    @property
    def display_name(self):
        return self.name or getattr(self.function, "__name__", "FunctionOracle")

    def _ask(self, X_rows, indices):
        return self.function(X_rows, indices)


def as_oracle(oracle):
    """``oracle`` as an :class:`Oracle` (a plain callable becomes a
    :class:`FunctionOracle`), or a ``TypeError`` naming the argument."""
    if isinstance(oracle, Oracle):
        return oracle
    if callable(oracle):
        return FunctionOracle(oracle)
    raise TypeError(
        "oracle must be None, an oracle from skal.oracles or a callable "
        f"(X_rows, indices) -> labels; got {oracle!r}."
    )


__all__ = [
    "OracleError",
    "Answers",
    "Oracle",
    "SimulatedOracle",
    "NoisyOracle",
    "ModelOracle",
    "OracleChain",
    "FunctionOracle",
    "as_oracle",
]
