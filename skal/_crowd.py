"""CrowdLearner: active learning with several fallible annotators.

An :class:`~skal.ActiveLearner` picks new rows and trains; around it,
:class:`CrowdLearner` keeps the **label matrix** (rows x annotators) of every
answer, asks the annotators, and feeds the learner the *consensus* of each
row, never one annotator's answer. One loop reads top to bottom:

* **SELECT** (``_plan``): the learner's strategy proposes new rows; with
  ``second_opinions="activelab"`` they compete, at the cost of one label,
  with a second opinion on an already labeled row (:func:`activelab_scores`);
  each chosen row goes to the annotators IEThresh picks
  (:func:`interval_estimation` on their agreement with the consensus);
* **LABEL** (``_ask``): each annotator answers its rows; every answer (and
  every abstention) enters the matrix and the loop's ``history_`` record;
* **CONSENSUS → TRAIN** (``_learn``): the consensus of every labeled row is
  recomputed from the whole matrix (:func:`consensus_labels`); rows whose
  consensus changed are relabeled in the learner
  (:meth:`~skal.ActiveLearner.relabel`), the new rows labeled with theirs
  (:meth:`~skal.ActiveLearner.label`, closing the learner's query).

The learner is only driven through its public methods.
"""

from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone
from sklearn.exceptions import NotFittedError
from sklearn.model_selection import KFold
from sklearn.pipeline import Pipeline
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted

from ._delegation import DelegatesToModel
from ._learner import ActiveLearner
from ._learner_base import KeepProgress, LearnerBase, all_or_nothing
from .annotators import (
    activelab_scores,
    consensus_labels,
    encode_label_matrix,
    interval_estimation,
)
from .oracles import FunctionOracle, as_oracle
from .schedules import batch_size_at
from .utils._rows import n_rows, take_rows
from .utils._validation import (
    InstanceOf,
    Interval,
    Options,
    Predicate,
    missing_mask,
    validate_parameter_constraints,
)

_SEED = np.iinfo(np.int32).max
#: sets aside the rows no annotator answered (or that cannot be asked)
_SET_ASIDE = FunctionOracle(lambda X, rows: [None] * len(rows), name="set aside")


def _is_annotator_list(value):
    return (
        isinstance(value, (list, tuple))
        and len(value) > 0
        and all(callable(a) for a in value)
    )


class CrowdLearner(DelegatesToModel, LearnerBase, MetaEstimatorMixin, BaseEstimator):
    """Active learning with a pool of annotators who disagree and differ in skill.

    Every row may be labeled by several annotators; the model learns each
    row's **consensus** (:func:`skal.annotators.consensus_labels`),
    recomputed from all the answers after every loop, never the last answer.
    Each loop chooses *which rows* (the learner's strategy, and, with
    ``second_opinions="activelab"``, whether a label is worth more on a new
    row or as a second opinion on a labeled one: ActiveLab, Goh and Mueller
    2023) and *whom to ask* (``choice="iethresh"``: IEThresh, Donmez,
    Carbonell and Schneider 2009, on each annotator's agreement with the
    consensus).

    Parameters
    ----------
    learner : ActiveLearner
        The learner that picks new rows and trains (its ``estimator``,
        ``query_strategy``, ``batch_size``, ``refit``, ...). A clone is used,
        seeded from ``random_state``; it must have no ``budget``, ``oracle``
        or ``review`` of its own: this object runs the campaign.
    annotators : list of callables
        The annotators, oracles from :mod:`skal.oracles` or callables
        ``(X_rows, indices) -> labels`` (``None`` to abstain), with distinct
        names. Each answer costs the oracle's ``cost`` (1 for a plain
        callable). Oracles built on ``SimulatedOracle()`` answer from the
        ``y`` given to :meth:`fit` (e.g. a
        :class:`~skal.oracles.NoisyOracle` around it: a simulation).
    budget : float
        What the campaign in :meth:`fit` may spend, in the annotators' cost
        units (with costs of 1: the number of labels). A loop's plan is cut
        where the next answer would exceed it (a callable cost is counted as
        1 in that plan, and charged what it returns).
    n_initial : int, default=10
        New rows of the first loop (drawn by the learner's strategy, which
        picks at random while there is no model).
    n_per_row : int or None, default=1
        Annotators asked about each new row; ``None`` asks every annotator
        IEThresh selects (the paper's rule; with ``choice="random"``, every
        annotator). A second opinion is one label.
    choice : {"iethresh", "random"}, default="iethresh"
        Whom to ask. ``"iethresh"``: among the annotators still to ask about
        the row, those whose upper confidence bound on their agreement with
        the consensus reaches ``epsilon`` times the best
        (:func:`skal.annotators.interval_estimation`); of those, the cheapest
        (ties at random); if they are too few, the next best bounds.
        ``"random"``: uniformly at random.
    epsilon : float in [0, 1], default=0.8
        IEThresh's threshold.
    confidence : float in (0, 1), default=0.95
        Level of IEThresh's intervals.
    second_opinions : {"activelab", "never"} or callable, default="activelab"
        ``"activelab"``: once the model predicts probabilities, the learner's
        picks (a loop's worth) and the labeled rows that an annotator has not
        labeled yet are scored by :func:`skal.annotators.activelab_scores`
        (out-of-fold probabilities for the labeled rows, ``cv`` folds); the
        lowest scores get the loop's labels, so a row may get a second (third,
        ...) opinion instead of a new row being labeled. ``"never"``: new rows
        only. A callable ``scores(labels, pred_probs, pred_probs_unlabeled) ->
        (scores_labeled, scores_unlabeled)`` replaces ActiveLab's scores
        (cleanlab's ``get_active_learning_scores`` has that signature):
        ``labels`` holds class indices as floats, NaN where missing.
    consensus : {"model", "majority", "dawid_skene"}, default="model"
        How each row's label is found (:func:`skal.annotators.consensus_labels`).
        ``"model"`` weighs in out-of-fold probabilities of the learner's
        estimator (``cv`` folds) for the rows labeled before the loop and the
        current model's for the new ones (majority vote while there is no
        model). Dawid-Skene needs rows with several labels: on rows with one
        label each its EM drifts (see the annotators page).
    weights : {None, "confidence"}, default=None
        ``"confidence"``: ``estimator_`` is trained at the end of :meth:`fit`
        with each row's consensus confidence as its ``sample_weight`` (the
        model in the loop, ``learner_.estimator_``, trains unweighted).
    cv : int, default=5
        Folds of the out-of-fold probabilities.
    random_state : int, RandomState instance or None, default=None
        Governs every draw: the learner's seed, the annotators chosen, ties
        and folds.

    Attributes
    ----------
    learner_ : ActiveLearner
        The learner, trained on the consensus labels (its ``history_`` holds
        a ``"relabel"`` record for every change of consensus).
    estimator_ : estimator or None
        The model: ``learner_.estimator_``, or with ``weights="confidence"``
        a clone trained with the weights.
    annotators_ : list of Oracle
        The annotators asked (clones; simulated ones bound to ``y``).
    annotator_names_ : ndarray of str
        Their names, the columns of ``label_matrix_``.
    label_matrix_ : ndarray of object, shape (n_samples, n_annotators)
        Every answer; ``None`` where an annotator was not asked or abstained.
    labeled_rows_ : ndarray of int
        Rows with at least one answer, sorted.
    consensus_ : skal.annotators.Consensus
        The consensus of ``labeled_rows_`` (with each annotator's estimated
        accuracy and its interval).
    history_ : list of dict
        One record per loop: ``loop``; ``new_rows`` and ``second_opinions``
        (the rows asked about); ``rows``, ``annotators``, ``labels`` and
        ``answered`` (one entry per question: who was asked about which row,
        the answer, ``False`` for an abstention) and ``costs``; ``cost``;
        ``upper_bounds`` (each annotator's IEThresh bound when the loop was
        planned); ``consensus_rows``, ``consensus`` and ``confidence`` (every
        labeled row's consensus after the loop), ``changed`` (labeled rows
        whose consensus changed), ``annotator_accuracy``; ``kind``:
        ``"loop"``, or ``"interrupted"`` for the answers of a loop an
        annotator's failure cut short (kept, not learned).
    label_cost_ : float
        What the answers cost.
    n_iter_ : int
        Loops run.

    References
    ----------
    .. [1] P. Donmez, J. G. Carbonell and J. Schneider. "Efficiently Learning
       the Accuracy of Labeling Sources for Selective Sampling". KDD 2009.
    .. [2] H. W. Goh and J. Mueller. "ActiveLab: Active Learning with
       Re-Labeling by Multiple Annotators". arXiv:2301.11856, 2023.
    .. [3] A. P. Dawid and A. M. Skene. "Maximum Likelihood Estimation of
       Observer Error-Rates Using the EM Algorithm". Journal of the Royal
       Statistical Society C 28(1), pp. 20-28, 1979.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner, CrowdLearner
    >>> from skal.oracles import NoisyOracle, SimulatedOracle
    >>> X, y = load_digits(return_X_y=True)
    >>> annotators = [NoisyOracle(SimulatedOracle(), classes=range(10),
    ...                           flip_rate=rate, random_state=k, name=name)
    ...               for k, (rate, name) in enumerate(
    ...                   [(0.05, "ann"), (0.2, "bob"), (0.4, "cy")])]
    >>> crowd = CrowdLearner(
    ...     ActiveLearner(LogisticRegression(max_iter=200), batch_size=20),
    ...     annotators, budget=100, random_state=0).fit(X / 16, y)
    >>> crowd.label_cost_, crowd.annotator_names_.tolist()
    (100.0, ['ann', 'bob', 'cy'])
    """

    def __init__(
        self,
        learner,
        annotators,
        *,
        budget,
        n_initial=10,
        n_per_row=1,
        choice="iethresh",
        epsilon=0.8,
        confidence=0.95,
        second_opinions="activelab",
        consensus="model",
        weights=None,
        cv=5,
        random_state=None,
    ):
        self.learner = learner
        self.annotators = annotators
        self.budget = budget
        self.n_initial = n_initial
        self.n_per_row = n_per_row
        self.choice = choice
        self.epsilon = epsilon
        self.confidence = confidence
        self.second_opinions = second_opinions
        self.consensus = consensus
        self.weights = weights
        self.cv = cv
        self.random_state = random_state

    _parameter_constraints = {
        "learner": [InstanceOf(ActiveLearner, "an unfitted skal.ActiveLearner")],
        "annotators": [Predicate(_is_annotator_list, "a non-empty list of oracles")],
        "budget": [Interval(Real, 0, None, "neither")],
        "n_initial": [Interval(Integral, 1)],
        "n_per_row": [None, Interval(Integral, 1)],
        "choice": [Options(("iethresh", "random"))],
        "epsilon": [Interval(Real, 0, 1)],
        "confidence": [Interval(Real, 0, 1, "neither")],
        "second_opinions": [
            Options(("activelab", "never")),
            Predicate(callable, "a callable (labels, pred_probs, unlabeled)"),
        ],
        "consensus": [Options(("dawid_skene", "majority", "model"))],
        "weights": [None, Options(("confidence",))],
        "cv": [Interval(Integral, 2)],
    }

    @property
    def estimator(self):
        """The learner's estimator (what the prediction methods delegate to)."""
        return self.learner.estimator

    # --------------------------------------------------------------------- fit
    def _check_params(self):
        validate_parameter_constraints(self)
        for name in ("budget", "oracle", "review"):
            if getattr(self.learner, name) is not None:
                raise ValueError(
                    f"learner must have no {name}: CrowdLearner runs the "
                    f"campaign (its budget, its annotators); got "
                    f"{name}={getattr(self.learner, name)!r}."
                )
        if self.n_per_row is not None and self.n_per_row > len(self.annotators):
            raise ValueError(
                f"n_per_row={self.n_per_row} exceeds the {len(self.annotators)} "
                "annotators; ask at most that many per row."
            )

    def _bind_annotators(self, y):
        """``(annotators, names, simulation)``: clones of the annotators,
        simulated ones answering from ``y``, and whether there is one."""
        annotators, simulation = [], False
        for given in self.annotators:
            oracle = as_oracle(given)
            oracle = clone(oracle) if oracle is given else oracle
            if oracle.uses_simulation_truth():
                simulation = True
                if y is None:
                    raise ValueError(
                        f"The annotator {oracle.display_name} answers from the y "
                        "given to fit (a SimulatedOracle without y): pass y."
                    )
                oracle = oracle.with_truth(y)
            annotators.append(oracle)
        names = [oracle.display_name for oracle in annotators]
        if len(set(names)) != len(names):
            raise ValueError(
                f"annotators must have distinct names; got {names}. Give each "
                "oracle a name=..."
            )
        return annotators, np.asarray(names, dtype=object), simulation

    @all_or_nothing
    def fit(self, X, y=None):
        """Run the labeling campaign until ``budget`` is spent.

        A simulation (annotators answering from ``y``) is all or nothing. With
        real annotators, a failure keeps the loops completed before it, and
        the answers of the failing loop in ``label_matrix_`` and an
        ``"interrupted"`` record of ``history_``, then raises.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or list of shape (n_samples, ...)
            The pool.
        y : array-like of shape (n_samples,) or None, default=None
            The true labels, for simulated annotators; only rows whose label
            is known (not the learner's ``missing_label``) are asked about.
            The model never trains on ``y`` itself, only on the consensus of
            the annotators' answers.

        Returns
        -------
        self : CrowdLearner
        """
        self._check_params()
        X = self._check_rows(X)
        n = n_rows(X)
        askable = np.ones(n, dtype=bool)
        if y is not None:
            y = self._labels_per_row(y, n, max_ndim=1)
            askable = ~missing_mask(y, self.learner.missing_label, True)
        self.annotators_, self.annotator_names_, simulation = self._bind_annotators(y)
        rng = check_random_state(self.random_state)
        self._X, self._askable = X, askable
        self._learner_seed = rng.randint(_SEED)
        known = y[askable] if y is not None else np.empty(0, dtype=object)
        self.learner_ = self._start_learner(known.dtype)
        # without y, the labels' kind is known from the first answers
        self._untyped = known.dtype.kind == "O"
        self._rng = rng
        self.label_matrix_ = np.full((n, len(self.annotators_)), None, dtype=object)
        self._asked = np.zeros(self.label_matrix_.shape, dtype=bool)
        self._given = np.full(n, None, dtype=object)  # what the learner was told
        self.labeled_rows_ = np.empty(0, dtype=np.intp)
        self.consensus_ = None
        self.history_ = []
        self.estimator_ = None
        try:
            while self.label_cost_ < self.budget:
                if not self._loop():
                    break
        except BaseException as error:
            if simulation:
                raise
            raise KeepProgress(error) from None
        self.estimator_ = self._final_model()
        return self

    def _start_learner(self, dtype):
        """A fitted clone of ``learner`` with no label yet, for labels of
        ``dtype``; the rows that cannot be asked are set aside."""
        n = n_rows(self._X)
        if dtype.kind in "iu":
            y_start = np.full(n, -1, dtype=dtype)
        elif dtype.kind == "f":
            y_start = np.full(n, np.nan)
        else:
            y_start = np.full(n, None, dtype=object)
        learner = clone(self.learner).set_params(
            random_state=self._learner_seed, missing_label="auto"
        )
        learner.fit(self._X, y_start)
        if not self._askable.all():
            learner.ask(np.flatnonzero(~self._askable), oracle=_SET_ASIDE)
        return learner

    def _loop(self):
        """One loop: SELECT → LABEL → CONSENSUS → TRAIN; ``False`` when there
        is nothing left to ask within the budget."""
        upper = self._upper_bounds()
        plan, new_rows, second = self._plan(upper)
        if not plan:
            return False
        answers = self._ask(plan)
        record = {
            "loop": len(self.history_),
            "kind": "loop",
            "new_rows": np.asarray(new_rows, dtype=np.intp),
            "second_opinions": np.asarray(second, dtype=np.intp),
            "upper_bounds": upper,
            **answers,
        }
        try:
            self._learn(new_rows, record)
        except BaseException:
            record["kind"] = "interrupted"  # the answers are kept
            self.history_.append(record)
            raise
        return True

    # ------------------------------------------------------------------ select
    def _upper_bounds(self):
        """Each annotator's IEThresh bound on its agreement with the consensus,
        on the rows with two labels or more."""
        n_agree = np.zeros(len(self.annotators_), dtype=int)
        n_labels = np.zeros(len(self.annotators_), dtype=int)
        if self.consensus_ is not None:
            matrix = self.label_matrix_[self.labeled_rows_]
            given = np.not_equal(matrix, None)
            # a row with one label agrees with itself: no evidence
            given &= given.sum(axis=1, keepdims=True) >= 2
            same = given & (matrix == self.consensus_.labels[:, None])
            n_agree, n_labels = same.sum(axis=0), given.sum(axis=0)
        upper, _ = interval_estimation(
            n_agree, n_labels, epsilon=self.epsilon, confidence=self.confidence
        )
        return upper

    def _plan(self, upper):
        """``(plan, new_rows, second)``: the questions of this loop, in order,
        as ``(row, annotator)`` pairs cut at the budget; the learner's picks
        (a ``QueriedRows`` slice) and the rows getting a second opinion."""
        learner = self.learner_
        n_pool = n_rows(self._X) - learner.labeled_indices_.size
        n_pool -= learner.abstained_indices_.size
        if self.history_:
            size = batch_size_at(
                learner.batch_size, len(self.history_) - 1, self.labeled_rows_.size
            )
        else:
            size = self.n_initial
        size = min(size, n_pool)
        picks = learner.query(n_instances=size) if size > 0 else np.empty(0, int)
        order = [("new", int(row)) for row in picks]
        if self._second_opinions_possible():
            order = self._activelab_order(picks, size)
        plan, spent, costs = [], self.label_cost_, self._unit_costs()
        new_rows, second = [], []
        for kind, row in order:
            k = self.n_per_row if kind == "new" else 1
            chosen = self._choose(row, k, upper, costs)
            fits = []
            for j in chosen:
                if spent + costs[j] > self.budget + 1e-9:
                    break
                spent += costs[j]
                fits.append(j)
            if fits:
                plan += [(row, j) for j in fits]
                (new_rows if kind == "new" else second).append(row)
            if len(fits) < len(chosen):  # the budget is spent
                break
        kept = np.isin(picks, new_rows)
        return plan, picks[kept], second

    def _unit_costs(self):
        """Each annotator's cost of one answer (1 for a callable cost)."""
        return np.array(
            [
                float(a.cost) if isinstance(getattr(a, "cost", 1.0), Real) else 1.0
                for a in self.annotators_
            ]
        )

    def _second_opinions_possible(self):
        model = self.learner_.estimator_
        return (
            self.second_opinions != "never"
            and model is not None
            and hasattr(model, "predict_proba")
            and (~self._asked[self.labeled_rows_]).any()
        )

    def _activelab_order(self, picks, size):
        """The ``size`` lowest ActiveLab scores among the learner's picks and
        the labeled rows an annotator has not labeled yet, as
        ``("new" | "old", row)`` pairs, lowest first (ties at random)."""
        rows = self.labeled_rows_
        codes, classes = self._codes(rows)
        pred_probs = self._out_of_fold(rows, self.consensus_.labels, classes)
        unlabeled = self._model_probs(picks, classes) if len(picks) else None
        if callable(self.second_opinions):
            scorer = self.second_opinions
        else:
            seed = self._rng.randint(_SEED)

            def scorer(labels, pred_probs, pred_probs_unlabeled):
                return activelab_scores(
                    labels, pred_probs, pred_probs_unlabeled, random_state=seed
                )

        scored, scored_new = scorer(codes, pred_probs, unlabeled)
        open_rows = (~self._asked[rows]).any(axis=1)
        kinds = ["old"] * int(open_rows.sum()) + ["new"] * len(picks)
        candidates = np.concatenate([rows[open_rows], np.asarray(picks, dtype=int)])
        scores = np.concatenate(
            [np.asarray(scored, float)[open_rows], np.asarray(scored_new, float)]
        )
        shuffle = self._rng.permutation(scores.size)
        best = shuffle[np.argsort(scores[shuffle], kind="stable")][:size]
        return [(kinds[k], int(candidates[k])) for k in best]

    def _choose(self, row, k, upper, costs):
        """The annotators to ask about ``row``: ``k`` of those not asked yet
        (``None``: every one IEThresh selects)."""
        available = np.flatnonzero(~self._asked[row])
        if available.size == 0:
            return []
        if self.choice == "random":
            k = available.size if k is None else min(k, available.size)
            return self._rng.choice(available, k, replace=False).tolist()
        bounds = upper[available]
        selected = bounds >= self.epsilon * bounds.max()
        tie = self._rng.random_sample(available.size)
        # the selected first, cheapest first; then the others, best bound first
        order = np.lexsort(
            (tie, np.where(selected, costs[available], -bounds), ~selected)
        )
        k = int(selected.sum()) if k is None else min(k, available.size)
        return available[order[:k]].tolist()

    # ------------------------------------------------------------------- label
    def _ask(self, plan):
        """Ask each annotator its rows of ``plan``; every question and answer
        enters ``label_matrix_`` and the returned record entries."""
        rows = np.array([row for row, _ in plan], dtype=np.intp)
        who = np.array([j for _, j in plan], dtype=np.intp)
        labels = np.full(rows.size, None, dtype=object)
        answered = np.zeros(rows.size, dtype=bool)
        costs = np.zeros(rows.size)

        def entries():
            return {
                "rows": rows.copy(),
                "annotators": self.annotator_names_[who],
                "labels": labels.copy(),
                "answered": answered.copy(),
                "costs": costs.copy(),
                "cost": float(costs.sum()),
            }

        done = np.zeros(rows.size, dtype=bool)
        try:
            for j in np.unique(who):
                mine = np.flatnonzero(who == j)
                oracle = self.annotators_[j]
                answers = oracle.answer(take_rows(self._X, rows[mine]), rows[mine])
                labels[mine] = answers.labels
                answered[mine] = answers.answered
                costs[mine] = answers.costs
                done[mine] = True
                self._asked[rows[mine], j] = True
                self.label_matrix_[rows[mine], j] = answers.labels
        except BaseException:
            record = entries()
            kept = {key: value[done] for key, value in record.items() if key != "cost"}
            kept["cost"] = float(costs[done].sum())
            self.history_.append(
                {"loop": len(self.history_), "kind": "interrupted", **kept}
            )
            raise
        return entries()

    # ------------------------------------------------------- consensus → train
    def _codes(self, rows):
        """The label matrix of ``rows`` as class indices (floats, NaN where
        missing) and the classes."""
        codes, classes = encode_label_matrix(self.label_matrix_[rows])
        return np.where(codes < 0, np.nan, codes.astype(float)), classes

    def _learn(self, new_rows, record):
        """The consensus of every labeled row from the whole matrix; the
        learner relabels the rows whose consensus changed and learns the new
        rows' consensus; then ``record`` is completed and appended."""
        has_label = np.not_equal(self.label_matrix_, None).any(axis=1)
        rows = np.flatnonzero(has_label)
        result = self._consensus(rows, new_rows)
        labels = np.asarray(result.labels.tolist())
        if self._untyped and labels.dtype.kind != "O":
            # the first answers fix the labels' kind: a learner for them
            self.learner_ = self._start_learner(labels.dtype)
            new_rows = np.asarray(new_rows)  # not a query of this learner
            self._untyped = False
        learner = self.learner_
        in_learner = np.isin(rows, learner.labeled_indices_)
        before = self._given[rows[in_learner]]
        changed = rows[in_learner][before != labels[in_learner]]
        if changed.size:
            learner.relabel(changed, labels[np.searchsorted(rows, changed)])
        answered = np.isin(new_rows, rows)
        if answered.any():  # the slice of the query closes it
            fresh = new_rows[answered]
            learner.label(fresh, labels[np.searchsorted(rows, np.asarray(fresh))])
        if not answered.all():  # every annotator asked abstained: set aside
            learner.ask(np.asarray(new_rows)[~answered], oracle=_SET_ASIDE)
        self._given[rows] = list(labels)
        self.labeled_rows_, self.consensus_ = rows, result
        record.update(
            consensus_rows=rows,
            consensus=labels,
            confidence=result.confidence,
            changed=changed,
            annotator_accuracy=result.annotator_accuracy,
        )
        self.history_.append(record)

    def _consensus(self, rows, new_rows):
        seed = self._rng.randint(_SEED)
        if self.consensus != "model" or self.learner_.estimator_ is None:
            method = "majority" if self.consensus == "model" else self.consensus
            return consensus_labels(
                self.label_matrix_[rows], method=method, random_state=seed
            )
        _, classes = encode_label_matrix(self.label_matrix_[rows])
        majority = consensus_labels(self.label_matrix_[rows], random_state=seed)
        old = ~np.isin(rows, new_rows)
        pred_probs = np.empty((rows.size, classes.size))
        pred_probs[old] = self._out_of_fold(rows[old], majority.labels[old], classes)
        pred_probs[~old] = self._model_probs(rows[~old], classes)
        return consensus_labels(
            self.label_matrix_[rows],
            method="model",
            pred_probs=pred_probs,
            random_state=seed,
        )

    def _model_probs(self, rows, classes, model=None):
        """Class probabilities of ``rows`` in the columns of ``classes`` (a
        class the model does not know gets 0), smoothed away from 0."""
        model = self.learner_.estimator_ if model is None else model
        probs = np.zeros((len(rows), classes.size))
        if not len(rows):
            return probs
        known = np.asarray(model.classes_)
        columns = np.searchsorted(classes, known)
        inside = (columns < classes.size) & (
            classes[np.minimum(columns, classes.size - 1)] == known
        )
        found = model.predict_proba(take_rows(self._X, np.asarray(rows)))
        probs[:, columns[inside]] = found[:, inside]
        return _smooth(probs)

    def _out_of_fold(self, rows, target, classes):
        """Out-of-fold probabilities of ``rows`` from clones of the learner's
        estimator trained on ``target`` (``cv`` shuffled folds)."""
        probs = np.full((rows.size, classes.size), 1.0 / classes.size)
        n_splits = min(self.cv, rows.size)
        if n_splits < 2:
            return probs
        folds = KFold(n_splits, shuffle=True, random_state=self._rng.randint(_SEED))
        target = np.asarray(target.tolist())
        for train, test in folds.split(rows):
            if np.unique(target[train]).size < 2:
                probs[test] = np.asarray(classes.tolist()) == target[train][0]
                continue
            model = clone(self.learner.estimator)
            model.fit(take_rows(self._X, rows[train]), target[train])
            probs[test] = self._model_probs(rows[test], classes, model)
        return _smooth(probs)

    def _final_model(self):
        """``learner_``'s model, or one trained with the consensus confidence
        as sample weights."""
        model = self.learner_.estimator_
        if self.weights is None or model is None:
            return model
        rows = self.labeled_rows_
        labels = np.asarray(self.consensus_.labels.tolist())
        estimator = clone(self.learner.estimator)
        name = "sample_weight"
        if isinstance(estimator, Pipeline):
            name = f"{estimator.steps[-1][0]}__sample_weight"
        estimator.fit(
            take_rows(self._X, rows), labels, **{name: self.consensus_.confidence}
        )
        return estimator

    # ------------------------------------------------------------- inspection
    @property
    def label_cost_(self):
        check_is_fitted(self, "history_")
        return float(sum(record["cost"] for record in self.history_))

    @property
    def n_iter_(self):
        check_is_fitted(self, "history_")
        return sum(record["kind"] == "loop" for record in self.history_)

    @property
    def classes_(self):
        return self._model().classes_

    def _model(self):
        check_is_fitted(self, "history_")
        if self.estimator_ is None:
            raise NotFittedError(
                "This CrowdLearner has no trained model yet: the consensus "
                "labels hold a single class, or no annotator answered."
            )
        return self.estimator_


def _smooth(probs, floor=1e-3):
    """``probs`` pulled away from 0 (and renormalized): no class impossible."""
    probs = np.asarray(probs, dtype=float) + floor
    return probs / probs.sum(axis=1, keepdims=True)
