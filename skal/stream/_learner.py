"""StreamActiveLearner: decide on arrival, under a labeling budget."""

from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from .._delegation import DelegatesToModel, copy_input_tags
from .._learner_base import LearnerBase, all_or_nothing
from ..utils._model_outputs import predict_proba_or_softmax
from ..utils._rows import concat_rows, n_rows, take_rows
from ..utils._validation import (
    InstanceOf,
    Interval,
    Predicate,
    validate_parameter_constraints,
)
from ._budget import BudgetManager, EstimatedBudget
from ._model import ModelUpdate, owned_rows
from ._rules import StreamRule, VariableUncertainty


def _rows_of(X, rows):
    """Rows ``rows`` (integer positions) of ``X``: ``ndarray.take`` for a numpy
    array (a copy of a few rows; a third of the time of fancy indexing),
    :func:`take_rows` for anything else."""
    if type(X) is np.ndarray:
        return X.take(rows, 0)
    return take_rows(X, rows)


def _all_known(y, classes):
    """Whether every label of ``y`` is one of ``classes`` (sorted, unique): the
    cheap test before the one that names them. Integer labels of consecutive
    integer classes (``0, 1``, say) are compared with the two ends; others are
    looked up by binary search."""
    if y.dtype.kind in "iu" and classes.dtype.kind in "iu" and y.size:
        low, high = int(classes[0]), int(classes[-1])
        if high - low == classes.size - 1:
            if low == 0:  # as unsigned, a negative label is above `high`
                return bool(y.view(y.dtype.str.replace("i", "u")).max() <= high)
            return bool(low <= y.min() and y.max() <= high)
    try:
        positions = np.minimum(np.searchsorted(classes, y), classes.size - 1)
        return bool(np.all(classes[positions] == y))
    except TypeError:  # labels that do not compare with the classes
        return False


def _take_back(rng, draws):
    """Move ``rng`` (the learner's PCG64 generator) back to before ``draws``
    were drawn from it (``None``: nothing was drawn). Each float64 of
    ``Generator.random`` is one 64-bit step of the generator, and stepping
    ``2**128 - k`` forward is stepping ``k`` back: cheaper than saving the
    state on every call, as only a failing or looking call pays for it. (The
    generator's buffered 32-bit draw, which ``advance`` clears, is never used:
    the rules draw only float64.)"""
    if draws is not None and draws.size:
        rng.bit_generator.advance(-draws.size % 2**128)


def _is_classifier_with_fit(estimator):
    return hasattr(estimator, "fit") and is_classifier(estimator)


#: The learner's state: what a stream starts from and every call replaces.
_STATE = (
    "estimator_",
    "rule_",
    "budget_manager_",
    "n_labeled_",
    "_rng",
    "_rule_state",
    "_budget_state",
    "_pending_ids",
    "_pending_X",
    "_memory",
    "_classes",
    "_n_features",
)


class StreamActiveLearner(
    LearnerBase, DelegatesToModel, MetaEstimatorMixin, BaseEstimator
):
    """Stream-based active learning around a scikit-learn classifier.

    Rows arrive in chunks and are never stored as a pool. For each chunk,
    :meth:`decide` says, row by row in arrival order, whether to ask for the
    label: a decision ``rule`` wants it, a ``budget_manager`` grants it while
    the labeling budget allows. The labels that come back (now, from an oracle
    or ``y`` in :meth:`step`; or later, through :meth:`teach` by row id)
    update the model with its ``partial_fit``, or refit it on a sliding
    ``window`` of the latest labeled rows.

    :meth:`fit` replays ``(X, y)`` as a stream, with ``y`` as the oracle, so
    that ``GridSearchCV`` can tune the rule's and the budget manager's
    parameters (``rule__step``, ``budget_manager__budget``) by the model a
    stream campaign would have produced.

    Parameters
    ----------
    estimator : classifier
        Any scikit-learn classifier. Without ``window`` it needs
        ``partial_fit``; ``predict_proba`` (or ``decision_function``) feeds the
        uncertainty rules. A clone of it is trained and stored in
        ``estimator_``.

    rule : StreamRule, default=None
        The decision rule, from :mod:`skal.stream`. ``None`` means
        ``VariableUncertainty()``. Its parameters are reachable as
        ``rule__<param>``.

    budget_manager : BudgetManager, default=None
        The budget, from :mod:`skal.stream`. ``None`` means
        ``EstimatedBudget(budget=0.1, window=100)``: at most 10 labels among
        any 100 consecutive rows. Reachable as ``budget_manager__<param>``.

    window : int or None, default=None
        Forget: refit a fresh clone of ``estimator`` on the latest ``window``
        labeled rows after every answer, instead of ``partial_fit``. Required
        for an estimator without ``partial_fit``; it also lets the model drop
        an old concept under drift.

    classes : array-like or None, default=None
        Every class. Needed before the first label is learned with
        ``partial_fit`` (``fit`` takes them from ``y``; :meth:`partial_fit`
        accepts them as its ``classes`` argument).

    chunk_size : int, default=1000
        Rows per chunk when :meth:`fit` replays a dataset.

    random_state : int, RandomState instance or None, default=None
        Governs every random draw of the rules. The same seed on the same
        stream gives the same decisions.

    Attributes
    ----------
    estimator_ : estimator or None
        The trained model; ``None`` while no label was learned (or, with
        ``window``, while the window holds a single class).

    rule_ : StreamRule
        The rule in use (a clone of ``rule``).

    budget_manager_ : BudgetManager
        The budget manager in use (a clone of ``budget_manager``).

    n_seen_ : int
        Rows that arrived through :meth:`decide` or :meth:`step`; row ids
        count from 0 in arrival order.

    n_requested_ : int
        Labels requested so far: what the budget counts, answered or not.

    n_labeled_ : int
        Requested labels that came back and were learned.

    pending_ids_ : ndarray of int
        Ids of the rows whose label was requested and has not come back yet.

    classes_ : ndarray
        The classes.

    n_features_in_ : int
        Number of features of the rows, when they come as a 2-D array.

    Notes
    -----
    The rule and the budget manager are validated and cloned when the stream
    starts (the first call to :meth:`decide`, :meth:`step` or
    :meth:`partial_fit`, or :meth:`fit`); their state (the threshold, the
    labels in the window) lives in the learner. Parameters changed with
    ``set_params`` afterwards take effect at the next :meth:`fit`, which starts
    a new stream.

    Cost per chunk of ``n`` rows: one ``predict_proba`` (uncertainty rules),
    an O(n) numpy pass, and for the variable rules and the quantile filter one
    loop over the rows in plain Python floats (a few tenths of a µs a row); the
    requested rows are kept until answered (memory: the pending rows only).

    See Also
    --------
    skal.ActiveLearner : Pool-based active learning: every unlabeled row
        waits in a pool and the strategy picks among all of them.

    References
    ----------
    .. [1] I. Žliobaitė, A. Bifet, B. Pfahringer and G. Holmes. "Active
       Learning With Drifting Streaming Data". IEEE Transactions on Neural
       Networks and Learning Systems 25(1):27-39, 2014.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn.linear_model import SGDClassifier
    >>> from skal.stream import EstimatedBudget, StreamActiveLearner
    >>> X, y = make_classification(n_samples=3000, random_state=0)
    >>> learner = StreamActiveLearner(SGDClassifier(random_state=0),
    ...                               budget_manager=EstimatedBudget(budget=0.05),
    ...                               classes=[0, 1], random_state=0)
    >>> for start in range(0, 3000, 500):
    ...     mask = learner.step(X[start:start + 500], y[start:start + 500])
    >>> learner.n_requested_ <= 0.05 * 3000
    True
    >>> learner.score(X, y) > 0.8
    True

    Labels that come back later are given by row id:

    >>> mask, ids = learner.decide(X[:200], return_ids=True)
    >>> learner = learner.teach(ids, y[:200][mask])
    """

    def __init__(
        self,
        estimator,
        rule=None,
        budget_manager=None,
        *,
        window=None,
        classes=None,
        chunk_size=1000,
        random_state=None,
    ):
        self.estimator = estimator
        self.rule = rule
        self.budget_manager = budget_manager
        self.window = window
        self.classes = classes
        self.chunk_size = chunk_size
        self.random_state = random_state

    # ------------------------------------------------------------------ checks
    _parameter_constraints = {
        "estimator": [
            Predicate(
                _is_classifier_with_fit,
                "a scikit-learn classifier with fit (the stream rules read class "
                "probabilities)",
            )
        ],
        "rule": [None, InstanceOf(StreamRule, "a rule from skal.stream")],
        "budget_manager": [
            None,
            InstanceOf(
                BudgetManager,
                "a budget manager from skal.stream (EstimatedBudget, FixedShareBudget)",
            ),
        ],
        "window": [None, Interval(Integral, 1)],
        "chunk_size": [Interval(Integral, 1)],
    }

    def _check_params(self):
        """The parameters against the table, then what it cannot say; returns
        clones of the rule and the budget manager, checked."""
        validate_parameter_constraints(self)
        if self.window is None and not hasattr(self.estimator, "partial_fit"):
            raise ValueError(
                f"estimator {type(self.estimator).__name__} has no partial_fit: "
                "set window=<int> to refit it on the latest labeled rows (a "
                "sliding window), or use an estimator with partial_fit."
            )
        rule = VariableUncertainty() if self.rule is None else clone(self.rule)
        manager = (
            EstimatedBudget()
            if self.budget_manager is None
            else clone(self.budget_manager)
        )
        for name, part in (("rule", rule), ("budget_manager", manager)):
            try:
                part._validate_params()
            except (TypeError, ValueError) as error:
                raise type(error)(f"{name}: {error}") from None
        return rule, manager

    def _fresh(self, classes):
        """The state of a learner that has seen nothing (not yet assigned)."""
        rule, manager = self._check_params()
        if classes is not None:
            classes = np.unique(np.asarray(classes))
            if classes.size < 2:
                raise ValueError(
                    f"classes must hold at least two classes; got {classes.tolist()}."
                )
        return {
            "estimator_": None,
            "rule_": rule,
            "budget_manager_": manager,
            "n_labeled_": 0,
            # the rules' draws come from a PCG64 generator seeded by
            # random_state: its state is two integers, cheap to put back when a
            # call fails or only looks (spend=False)
            "_rng": np.random.default_rng(
                check_random_state(self.random_state).randint(2**32, dtype=np.uint64)
            ),
            "_rule_state": rule._initial_state(),
            "_budget_state": manager._initial_state(),
            "_pending_ids": np.empty(0, dtype=np.int64),
            "_pending_X": None,
            "_memory": None,
            "_classes": classes,
            "_n_features": None,
        }

    def _current(self, classes=None):
        """The learner's state; a fresh one (validated) before the first call."""
        attributes = self.__dict__
        if "rule_" not in attributes:
            return self._fresh(self.classes if classes is None else classes)
        return {name: attributes[name] for name in _STATE}

    def _commit(self, state):
        """Replace the state in one step (one ``dict.update``: an interrupt
        cannot land half-way)."""
        self.__dict__.update(state)
        return self

    def _check_chunk(self, X, state, name="X"):
        """``X`` made indexable; its width must match the rows seen before."""
        if type(X) is np.ndarray and X.ndim == 2:  # the common case, checked fast
            expected = state["_n_features"]
            if expected is None or X.shape[1] == expected:
                return X, X.shape[1]
        X = self._check_rows(X, name, allow_empty=True)
        shape = getattr(X, "shape", None)
        if shape is not None and len(shape) == 1:
            raise ValueError(
                f"{name} must be 2-D (one row per sample); got a 1-D array of shape "
                f"{shape}. Reshape a single sample with X.reshape(1, -1)."
            )
        width = shape[1] if shape is not None and len(shape) == 2 else None
        expected = state["_n_features"]
        if width is not None and expected is not None and width != expected:
            raise ValueError(
                f"{name} has {width} features, but StreamActiveLearner is expecting "
                f"{expected} features as input (the width of the rows seen so far)."
            )
        return X, (expected if width is None else width)

    def _check_labels(self, y, n_expected, name="y"):
        if (
            type(y) is np.ndarray
            and y.ndim == 1
            and y.dtype.kind in "iub"
            and y.shape[0] == n_expected
        ):  # the common case: integer labels, one per row, nothing to convert
            return y
        y = self._labels_per_row(y, n_expected, name, max_ndim=1)
        if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
            raise ValueError(f"{name} contains NaN or infinity; labels must be finite.")
        return y

    def _model_update(self):
        return ModelUpdate(self.estimator, self.window)

    def _learn(self, state, X_new, y_new):
        """The entries of ``state`` that learning ``(X_new, y_new)`` changes:
        the model and the window of labeled rows."""
        classes = state["_classes"]
        if self.window is None and classes is None:
            raise ValueError(
                "classes must be known before the first label is learned with "
                "partial_fit: pass classes= to StreamActiveLearner or to partial_fit."
            )
        if classes is not None and not _all_known(y_new, classes):
            self._check_known_classes(
                y_new,
                classes,
                f"classes={classes.tolist()}: give every class up front.",
            )
        model, memory = self._model_update().learn(
            state["estimator_"], state["_memory"], X_new, y_new, classes
        )
        return {"estimator_": model, "_memory": memory}

    # ---------------------------------------------------------------- deciding
    @staticmethod
    def _draws(state, X):
        """The rule's uniform draws for the rows of ``X`` (``None`` if it makes
        none), from the learner's generator, which they move forward."""
        k = state["rule_"].n_draws
        return state["_rng"].random((n_rows(X), k)) if k else None

    def _decide(self, state, X, draws):
        """``(mask, the positions of its true rows, state after the decisions)``
        from the rule's ``draws`` for ``X``; ``state`` is left untouched."""
        n = n_rows(X)
        rule, manager = state["rule_"], state["budget_manager_"]
        model = state["estimator_"]
        n_classes = 2 if state["_classes"] is None else len(state["_classes"])
        if not rule.requires_model or n == 0:
            values = np.zeros(n)
        elif model is None:
            values = np.full(n, rule.no_model_value)
        else:
            proba = predict_proba_or_softmax(model, X)
            values = np.asarray(rule._values(proba), dtype=float)
            n_classes = max(proba.shape[1], 2)
        gate = manager._gate(state["_budget_state"].copy())
        rule_state = dict(state["_rule_state"])
        mask = rule._scan(
            values, draws, gate, float(manager.budget), n_classes, rule_state
        )
        rows = gate.rows if mask is gate.mask else np.flatnonzero(mask)
        after = {**state, "_budget_state": gate.state, "_rule_state": rule_state}
        return mask, rows, after

    def decide(self, X, *, spend=True, return_ids=False):
        """Which rows of an arriving chunk to ask the label of.

        Rows are decided in arrival order, so the budget is exact: a row's
        decision sees every request made before it, in this chunk and the
        earlier ones. The requested rows are kept until their label comes back
        through :meth:`teach`; the budget counts them now.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or list of shape (n_rows, ...)
            The arriving rows, in arrival order.
        spend : bool, default=True
            ``False`` only looks: the decisions are computed and returned but
            the budget, the rule and the random generator are left as they
            were, and no row is recorded.
        return_ids : bool, default=False
            Also return the ids of the requested rows.

        Returns
        -------
        mask : ndarray of bool of shape (n_rows,)
            ``True`` for the rows whose label is requested.
        ids : ndarray of int
            Their row ids (``n_seen_`` before the chunk plus their position),
            when ``return_ids`` is true; pass them to :meth:`teach`.
        """
        # the new state is built aside and committed in one step: only the
        # random generator is changed in place, so only it is put back when
        # the call fails or only looks (the rollback of LearnerBase, reduced to
        # what this method touches: the draws, taken back)
        state = self._current()
        draws = None
        try:
            X, width = self._check_chunk(X, state)
            start = state["_budget_state"].n_seen
            draws = self._draws(state, X)
            mask, rows, after = self._decide(state, X, draws)
            if rows.size:
                # the requested rows wait for their labels: keep a copy, the
                # caller may reuse the chunk's buffer
                X_new = owned_rows(_rows_of(X, rows))
                waiting = state["_pending_X"]
                after["_pending_X"] = (
                    X_new if waiting is None else concat_rows([waiting, X_new])
                )
                after["_pending_ids"] = (
                    start + rows
                    if state["_pending_ids"].size == 0
                    else np.concatenate([state["_pending_ids"], start + rows])
                )
            after["_n_features"] = width
        except BaseException:
            _take_back(state["_rng"], draws)
            raise
        if spend:
            self._commit(after)
        else:
            _take_back(state["_rng"], draws)
        return (mask, start + rows) if return_ids else mask

    # ---------------------------------------------------------------- labeling
    def teach(self, ids, y):
        """Learn the labels of requested rows, now or any time later.

        Parameters
        ----------
        ids : array-like of int
            Row ids returned by :meth:`decide` whose label has not come back
            yet (see ``pending_ids_``), in any order.
        y : array-like of shape (len(ids),)
            Their labels.

        Returns
        -------
        self : StreamActiveLearner
            If anything fails, the learner is left exactly as it was.
        """
        # all or nothing: the entries of the state that change (a snapshot of
        # the model that learned, the rows still waiting) are built aside and
        # committed in one step; nothing is changed in place
        if "rule_" not in self.__dict__:
            raise ValueError(
                "ids were never requested: no row has been decided yet; call "
                "decide (or step) first."
            )
        state = self._current()
        ids = np.asarray(ids)
        pending = state["_pending_ids"]
        if (
            ids.shape == pending.shape
            and ids.dtype == pending.dtype
            and ids.tobytes() == pending.tobytes()
        ):  # every waiting row answered, in order: the common case (ids as
            # decide returned them; compared as bytes, two numpy calls fewer)
            positions = None
        else:
            positions = self._positions_of(ids, pending)
        y = self._check_labels(y, ids.size)
        if ids.size == 0:
            return self
        waiting = state["_pending_X"]
        if positions is None or ids.size == pending.size:  # nothing left waiting
            X_new = waiting if positions is None else _rows_of(waiting, positions)
            after = self._learn(state, X_new, y)
            after["_pending_ids"], after["_pending_X"] = pending[:0], None
        else:
            after = self._learn(state, _rows_of(waiting, positions), y)
            keep = np.ones(pending.size, dtype=bool)
            keep[positions] = False
            kept = np.flatnonzero(keep)
            after["_pending_ids"] = pending[kept]
            after["_pending_X"] = _rows_of(waiting, kept)
        after["n_labeled_"] = state["n_labeled_"] + ids.size
        return self._commit(after)

    @staticmethod
    def _positions_of(ids, pending):
        """Where the rows ``ids`` wait in ``pending`` (sorted); refuses ids that
        are not 1-D integers, repeated, or not waiting."""
        if ids.ndim != 1 or (ids.size and ids.dtype.kind not in "iu"):
            raise ValueError("ids must be a 1-D array of row ids returned by decide.")
        increasing = ids.size < 2 or bool(np.all(ids[1:] > ids[:-1]))
        if not increasing and np.unique(ids).size != ids.size:
            raise ValueError("ids contain duplicates; give each row's label once.")
        positions = np.searchsorted(pending, ids)
        found = positions < pending.size
        found[found] = pending[positions[found]] == ids[found]
        if not np.all(found):
            raise ValueError(
                f"ids {ids[~found][:10].tolist()} were never requested by decide, "
                "or their label was already given; pending_ids_ lists the rows "
                "waiting for a label."
            )
        return positions

    @all_or_nothing
    def step(self, X, y):
        """Decide on an arriving chunk and learn the labels that come back now.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or list of shape (n_rows, ...)
            The arriving rows.
        y : array-like of shape (n_rows,) or callable
            The oracle: the labels of the chunk, of which only the requested
            ones are read (a simulation), or a function called with the
            requested rows that returns their labels.

        Returns
        -------
        mask : ndarray of bool of shape (n_rows,)
            The rows whose label was requested and learned. If anything fails
            (say the oracle), the learner is left exactly as it was.
        """
        state = self._current()
        X, width = self._check_chunk(X, state)
        if not callable(y):
            y = self._check_labels(y, n_rows(X))
        mask, rows, after = self._decide(state, X, self._draws(state, X))
        after["_n_features"] = width
        if rows.size:
            X_new = _rows_of(X, rows)
            answers = y(X_new) if callable(y) else y[rows]
            answers = self._check_labels(answers, rows.size, name="the oracle's labels")
            after.update(self._learn(after, X_new, answers))
            after["n_labeled_"] = after["n_labeled_"] + rows.size
        self._commit(after)
        return mask

    @all_or_nothing
    def partial_fit(self, X, y, classes=None):
        """Learn labeled rows directly: no decision, no budget spent.

        For labels obtained outside the stream (an initial labeled set, say).
        The rows get no id and do not count in ``n_seen_``.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or list of shape (n_rows, ...)
        y : array-like of shape (n_rows,)
        classes : array-like, default=None
            Every class; on the first call, when the ``classes`` parameter is
            not set (and no ``window`` is used).

        Returns
        -------
        self : StreamActiveLearner
        """
        state = self._current(classes)
        if classes is not None and state["_classes"] is not None:
            if not np.array_equal(np.unique(np.asarray(classes)), state["_classes"]):
                raise ValueError(
                    f"classes={np.unique(np.asarray(classes)).tolist()} differs from "
                    f"the classes already known, {state['_classes'].tolist()}."
                )
        X, width = self._check_chunk(X, state)
        y = self._check_labels(y, n_rows(X))
        self._check_rows(X)  # not empty
        after = {**state, **self._learn(state, X, y)}
        after["_n_features"] = width
        return self._commit(after)

    @all_or_nothing
    def fit(self, X, y):
        """Replay ``(X, y)`` as a stream from scratch, ``y`` acting as the oracle.

        The rows arrive in the given order, in chunks of ``chunk_size``; each
        chunk is decided and the requested labels are learned at once
        (:meth:`step`). The classes are those of ``y`` unless ``classes`` is
        set.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or list of shape (n_samples, ...)
        y : array-like of shape (n_samples,)

        Returns
        -------
        self : StreamActiveLearner
        """
        self._require_y(y)
        self._check_params()
        X, _ = self._check_chunk(X, {"_n_features": None})
        X = self._check_rows(X)  # not empty
        n = n_rows(X)
        y = self._check_labels(y, n)
        classes = self.classes if self.classes is not None else np.unique(y)
        if np.unique(classes).size < 2:
            raise ValueError(
                "fit needs at least two classes to tell apart; y holds 1 class, "
                f"{np.unique(classes).tolist()}."
            )
        self._commit(self._fresh(classes))
        for start in range(0, n, self.chunk_size):
            rows = np.arange(start, min(start + self.chunk_size, n))
            self.step(take_rows(X, rows), y[rows])
        return self

    # ------------------------------------------------------------- inspection
    @property
    def n_seen_(self):
        check_is_fitted(self, "rule_")
        return self._budget_state.n_seen

    @property
    def n_requested_(self):
        check_is_fitted(self, "rule_")
        return self._budget_state.n_granted

    @property
    def pending_ids_(self):
        check_is_fitted(self, "rule_")
        return self._pending_ids.copy()

    @property
    def classes_(self):
        estimator = getattr(self, "estimator_", None)
        if estimator is not None and hasattr(estimator, "classes_"):
            return estimator.classes_
        classes = getattr(self, "_classes", None)
        if classes is None:
            raise AttributeError("classes_ is only known once classes are given.")
        return classes

    @property
    def n_features_in_(self):
        width = getattr(self, "_n_features", None)
        if width is None:
            estimator = getattr(self, "estimator_", None)
            if estimator is None or not hasattr(estimator, "n_features_in_"):
                raise AttributeError("n_features_in_ is known once rows have arrived.")
            return estimator.n_features_in_
        return width

    @property
    def feature_names_in_(self):
        estimator = getattr(self, "estimator_", None)
        if estimator is None:
            raise AttributeError("feature_names_in_ is known once a model is trained.")
        return estimator.feature_names_in_

    def _model(self):
        check_is_fitted(self, "rule_")
        if self.estimator_ is None:
            raise NotFittedError(
                "This StreamActiveLearner has no trained model yet: no label has "
                "been learned (or the window holds a single class)."
            )
        return self.estimator_

    def __sklearn_tags__(self):
        tags, _ = copy_input_tags(super().__sklearn_tags__(), self.estimator)
        return tags
