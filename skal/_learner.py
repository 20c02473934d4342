"""ActiveLearner: the active-learning loop as a scikit-learn meta-estimator.

The file reads as the loop, top to bottom:

* **fit** (``fit`` → ``_fit`` → ``_start``): validate, store the pool, then, with
  a ``budget``, run ``_campaign``: the initial set, then query → ask → ... until
  the budget, the pool or the stopping criterion ends it;
* **SELECT** (``query`` → ``_query`` → the strategy's ``select`` on the loop's
  ``_context``): the picks come back carrying their ``QueryRecord``;
* **LABEL** (``label`` by hand, ``ask`` an oracle, ``teach`` rows from
  elsewhere, ``partial_fit``): checked, then handed to
* **TRAIN → stop check → commit** (``_learn`` → ``_train``, ``_stop_check``,
  ``_commit``): the model is trained on a copy, the stopping criterion judges
  it, and only then are the labeled set, the model and one ``history_`` record
  (a :class:`~skal._loop_record.LoopRecord`) committed.

Suspicious labels, relabeling and the label review live in
``_relabeling.py``; the rollback and the input checks shared with the stream
learner in ``_learner_base.py``; the prediction methods in ``_delegation.py``.
"""

import copy
import time
import warnings
from dataclasses import replace
from numbers import Integral, Real
from typing import Any, NamedTuple

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.exceptions import NotFittedError
from sklearn.utils import check_random_state, get_tags
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted, column_or_1d

from ._delegation import DelegatesToModel, copy_input_tags, estimator_has
from ._labeled_set import (
    UNKNOWN,
    LabeledSet,
    known_filled,
    takes_partial_rows,
    unlabeled_rows,
)
from ._learner_base import KeepProgress, LearnerBase, all_or_nothing
from ._loop_record import LoopRecord
from ._query import QueriedRows, QueryRecord, query_record_of
from ._relabeling import Relabeling
from ._training import Trainer, takes_unlabeled, warm_start_params
from .label_quality import LabelReview
from .oracles import Answers, SimulatedOracle, as_oracle
from .schedules import batch_size_at, check_batch_size
from .stopping import StoppingCriterion
from .strategies import (
    MultiLabelUncertainty,
    QueryContext,
    QueryStrategy,
    RandomSampling,
    TwoStepKMeans,
    UncertaintySampling,
)
from .utils._contract import (
    conform_labels,
    conform_rows,
    pandas_labels,
    rows_with_nan,
)
from .utils._feature_space import FeatureSpace
from .utils._frozen import FrozenPrefix, split_frozen_prefix
from .utils._model_outputs import PoolOutputs
from .utils._multilabel import (
    as_dense_labels,
    check_label_shape,
    check_multilabel_target,
    is_label_indicator,
)
from .utils._rows import as_indexable, n_rows, take_rows
from .utils._validation import (
    InstanceOf,
    Interval,
    Options,
    Predicate,
    missing_mask,
    resolve_size,
    validate_parameter_constraints,
)

REFIT_OPTIONS = ("full", "partial", "warm_start", "auto")
#: ``"auto"`` beside numbers: any other value is of the wrong type.
AUTO = Predicate(lambda value: isinstance(value, str) and value == "auto", "'auto'")
STRATEGY = InstanceOf(QueryStrategy, "a strategy from skal.strategies")


class Trained(NamedTuple):
    """What TRAIN returns: the model (``None``: none yet), how it learned
    (``None``: it did not), the classes known, the seconds it took, and the
    unlabeled and pseudo-labeled rows the fit received."""

    model: Any
    refit: str | None
    classes: Any
    seconds: float
    n_unlabeled: int = 0
    n_pseudo: int = 0


class Verdict(NamedTuple):
    """What the stop check returns: the criterion's updated copy, its reason
    to stop (or ``None``), the new model's pool outputs and the seconds."""

    stopping: Any
    reason: str | None
    outputs: Any
    seconds: float


class ActiveLearner(
    Relabeling, LearnerBase, DelegatesToModel, MetaEstimatorMixin, BaseEstimator
):
    """Active learning around any scikit-learn estimator.

    The learner repeats one loop: a query strategy SELECTs rows of the unlabeled
    pool, an oracle LABELs them, the estimator is TRAINed again, and its
    predictions on the pool feed the next SELECT (INFER).

    Used with a ``budget``, :meth:`fit` simulates that loop with the known
    labels of ``y`` as the oracle, so the fitted model is the one a real labeling
    campaign with that budget would have produced; this is what makes
    ``GridSearchCV`` over ``batch_size`` or the strategy's parameters
    meaningful. Without a ``budget``, :meth:`fit` trains on the labeled rows
    and :meth:`query`, :meth:`label` and :meth:`teach` run the loop by hand.

    Parameters
    ----------
    estimator : estimator object
        Any scikit-learn classifier or regressor, a ``Pipeline`` included. A
        clone of it is trained and stored in ``estimator_``. ``X`` may be
        whatever it accepts: arrays, sparse matrices, DataFrames, lists of
        documents. Leading steps of a ``Pipeline`` wrapped in
        :class:`sklearn.frozen.FrozenEstimator` (an embedding trained
        elsewhere) run once per row: their output is cached (see
        ``cache_dir`` and :ref:`transfer`) and only the later steps are
        trained and scored in the loop.

    query_strategy : QueryStrategy, default=None
        How rows are picked, an object from :mod:`skal.strategies`. ``None``
        means ``UncertaintySampling(measure="margin")`` for a classifier
        (``TwoStepKMeans(MultiLabelUncertainty("max"), beta=30)`` for a
        multi-label ``y``: the least confident label, batches spread by
        weighted k-means; see :ref:`multilabel` for the evidence) and
        ``RandomSampling()`` for a regressor. Its parameters are reachable as
        ``query_strategy__<param>`` (e.g. in ``GridSearchCV``).

    batch_size : int, list of int, callable or schedule, default=1
        Rows picked per loop (the loop size): an int for every loop; a list of
        sizes, one per loop after the initial set, the last one repeating; a
        callable ``(loop, n_labeled) -> int`` (``loop`` counts the query loops
        already run, 0 for the first one after the initial set; ``n_labeled``
        the labeled rows before the loop); or a schedule from
        :mod:`skal.schedules` (``GeometricSchedule``, ``FractionOfLabeled``,
        ...), whose parameters are reachable as ``batch_size__<param>``.

    budget : int, float or None, default=None
        Labeled rows the campaign in :meth:`fit` ends with, the initial set
        included: an int, or a float in (0, 1] for a fraction of the rows whose
        label is known (a simulation) or of all rows (a real campaign with an
        ``oracle``, whose known labels count towards it). ``None`` means no
        campaign: :meth:`fit` trains on the labeled rows only.

    n_initial : int, default=10
        Size of the initial set drawn by ``initial_strategy`` at the start of a
        simulation (capped by ``budget``).

    initial_strategy : QueryStrategy, default=None
        How the initial set, and any query made before a model exists, is
        drawn. ``None`` means ``RandomSampling()``. It must need no labels.

    refit : {"full", "partial", "warm_start", "auto"}, default="full"
        How the model learns new labels: ``"full"`` trains a fresh clone on all
        labeled rows; ``"partial"`` updates the model with the estimator's
        ``partial_fit`` on the new rows (``partial_epochs`` passes, each mixed
        with ``replay`` earlier labeled rows); ``"warm_start"`` sets the
        estimator's ``warm_start`` parameter(s) and keeps fitting the same model
        on all labeled rows, starting from its previous solution (a fresh fit
        when the set of classes grew); ``"auto"`` is ``"partial"`` when the
        estimator has ``partial_fit`` and ``"full"`` otherwise. Forests with
        ``warm_start`` only add trees when ``n_estimators`` grows, so
        ``"warm_start"`` suits iterative solvers (linear models, MLPs,
        gradient boosting with early stopping off).

    refit_every : int or None, default=None
        With ``refit`` other than ``"full"``: train from scratch on all labeled
        rows every ``refit_every`` trainings (the first included) and update in
        between. ``None``: never retrain from scratch once a model exists. No
        effect with ``refit="full"``.

    partial_epochs : int or "auto", default="auto"
        With ``refit="partial"``: ``partial_fit`` passes per update.
        ``"auto"`` is 10 passes (see ``replay``).

    replay : int, float or "auto", default="auto"
        With ``refit="partial"``: earlier labeled rows mixed into each pass over
        the new rows (an int, or a float in (0, 1] for a share of the earlier
        labeled rows), drawn afresh for each pass with ``random_state``. Replay
        keeps a stochastic-gradient model from drifting towards the latest
        (actively chosen, so atypical) rows; see :ref:`adaptive-loop`.
        ``"auto"`` replays ten earlier rows per new row (at most every earlier
        row). With both ``"auto"`` defaults, 100 loops of 10 on digits with an
        ``SGDClassifier`` end within 0.01 AULC of full refits at several times
        the speed, where one pass without replay loses 0.2 (see
        :ref:`adaptive-loop`).

    stopping : StoppingCriterion or None, default=None
        A criterion from :mod:`skal.stopping`, asked after every training that
        yields a model; the simulation in :meth:`fit` stops when it fires. Its
        parameters are reachable as ``stopping__<param>``.

    oracle : callable or None, default=None
        Who answers queries (LABEL), an oracle from :mod:`skal.oracles` or any
        callable ``oracle(X_rows, indices) -> labels`` (``None`` on a row to
        abstain). With an oracle and a ``budget``, :meth:`fit` runs a real
        campaign: the labels known in ``y`` are the starting set and the
        oracle is asked about the unlabeled rows, each at most once, until
        ``budget`` labeled rows (the known ones included) or the stopping
        criterion; if the oracle fails, the loops completed before are kept.
        ``None`` with a ``budget`` simulates, with ``y`` as the oracle (a
        :class:`~skal.oracles.SimulatedOracle`); an oracle built on
        ``SimulatedOracle()`` (without labels of its own, e.g. wrapped in a
        :class:`~skal.oracles.NoisyOracle`) simulates too, answering from
        ``y``. Its parameters are reachable as ``oracle__<param>``.

    audit : float, default=0.0
        Share of the queried labels spent on **audit rows**: rows drawn
        uniformly at random from the pool (by ``random_state``) and mixed,
        in random order, into the rows of each :meth:`query` of ``fit``'s
        ``X``; the strategy picks the rest. The model trains on every label,
        audit rows included, but a model trained without them can be scored
        on them honestly (:meth:`estimate`): actively chosen rows are the hard
        ones, so a score computed on them reads low. The audits' share of the
        queried labels is kept at ``audit`` (rounded down), so with
        ``audit=0.2`` and ``batch_size=10`` every query holds 2 audit rows.
        0.2 estimated accuracy within 0.033 with 94% coverage of the 95%
        interval at 300 labels, for at most 0.004 of accuracy, on four data
        sets (see the honest-estimates benchmark page).

    review : LabelReview or None, default=None
        With a budget: every ``review.every`` loops, the most suspicious labels
        (:meth:`suspicious_labels`) go to ``review.oracle`` and a different
        answer replaces the label (:meth:`relabel`). For studying fallible
        annotators (see :class:`~skal.label_quality.LabelReview`).

    missing_label : "auto", scalar or None, default="auto"
        The value of ``y`` that marks an unlabeled row. ``"auto"``: ``-1`` for a
        classifier with numeric labels (scikit-learn's semi-supervised
        convention), ``None`` for string or object labels, and NaN for float
        labels (so ``-1`` stays a valid regression target). ``-1``, ``np.nan``,
        ``None`` or any label value may be given explicitly.

    classes : array-like or None, default=None
        Every class, for ``refit="partial"`` (passed to the first
        ``partial_fit`` call). ``None`` takes the labels known at ``fit``; a
        later label of a class outside them then raises a ``ValueError``.

    unlabeled : "auto", "none" or int, default="auto"
        Unlabeled rows given to an estimator that learns from them. With
        ``"auto"``, when the estimator (or the last step of a ``Pipeline``,
        after any frozen prefix) is one of scikit-learn's semi-supervised
        estimators (``SelfTrainingClassifier``, ``LabelSpreading``,
        ``LabelPropagation``) or has an attribute ``skal_takes_unlabeled =
        True``, every fit under ``refit="full"`` or ``"warm_start"`` receives
        the rows of ``fit``'s ``X`` that are not labeled, labeled ``-1``
        (scikit-learn's convention; the labels must then be numbers other than
        ``-1``: encode text labels with a ``LabelEncoder``). ``partial_fit``
        updates receive none (they learn the new labels only). ``"none"``:
        never. An int: at most that many, drawn afresh for each fit with
        ``random_state`` (for large pools). The same int caps the rows
        ``pseudo_labels`` considers. Other estimators draw nothing, so their
        queries do not depend on this parameter.

    pseudo_labels : float, callable or None, default=None
        Self-training for any classifier with ``predict_proba``: after each
        full or warm-start fit, the unlabeled rows whose top predicted
        probability reaches this threshold are labeled with the prediction and
        the model is fitted again with them (one round per training). A
        callable ``threshold(n_labeled) -> float`` is a schedule. Pseudo-labels
        live only in that fit: they never enter the labeled set,
        :meth:`get_labeled_data`, ``labeled_indices_`` or a session journal;
        ``history_`` counts them (``n_pseudo``). ``None``: off. Not with an
        estimator that takes unlabeled rows itself, nor with
        ``refit="partial"``.

    chunk_size : int or None, default=None
        Pool rows scored at once; bounds the memory of a query. ``None`` sizes
        chunks to ``working_memory / 64`` bytes of rows (scikit-learn's
        ``working_memory`` setting), clamped to 1,000-1,000,000 rows; see the
        Scaling page.

    cache_dir : str, path or None, default=None
        With a frozen prefix (see ``estimator``): a directory where the pool's
        embeddings are kept in a memory-mapped ``.npy`` file, named by a
        fingerprint of ``X`` and the frozen steps, and reused by a later
        ``fit`` on the same data and steps (a restarted session). ``None``
        keeps them in memory.

    n_jobs : int or None, default=None
        Parallel jobs for pool scoring (chunks) and for strategies that fit
        several models. Picks do not depend on it.

    random_state : int, RandomState instance or None, default=None
        Governs every random draw: the initial set, random picks and ties. The
        same seed gives the same queries.

    Attributes
    ----------
    estimator_ : estimator or None
        The trained estimator; ``None`` while no model could be trained yet (no
        labels, or a single class for a classifier).

    query_strategy_ : QueryStrategy
        The strategy in use (a clone of ``query_strategy``).

    initial_strategy_ : QueryStrategy
        The cold-start strategy in use.

    labeled_indices_ : ndarray of int
        Rows of ``fit``'s ``X`` that are labeled, in the order they were labeled
        (rows given through :meth:`teach` are kept too, see
        :meth:`get_labeled_data`).

    history_ : list of dict
        One record per batch of labels learned (and per label review). The
        learner's state is what this list says: the labeled rows are the
        records' ``indices`` in order, and the loop count is the number of
        answered queries. Keys:

        * ``loop``: the record's position in ``history_`` (0, 1, ...), *not* a
          loop count: a loop is an answered query (``n_iter_``, the ``loop``
          given to a ``batch_size`` callable and to strategies), and one loop
          may take several records (answers in several calls);
        * ``kind``: ``"initial"`` (the initial set), ``"query"`` (answers to a
          :meth:`query`), ``"given"`` (the labels of ``fit``'s ``y``),
          ``"label"`` (:meth:`label` with indices that did not come from a
          query), ``"teach"``, ``"partial_fit"``, ``"relabel"``
          (:meth:`relabel`, with ``ids``, ``old_labels`` and ``new_labels``)
          or ``"review"`` (a ``review`` round, with ``ids``, ``n_changed``
          and ``at_loop``);
        * ``query_id``: the answered query, ``None`` otherwise;
        * ``indices``: rows of ``fit``'s ``X`` learned, ``None`` for rows from
          elsewhere;
        * ``n_new``, ``n_labeled``: rows added, and labeled after the record;
        * ``strategy``: who picked the rows, or the kind for labels given
          without a query;
        * ``batch_size``: rows asked for. One quantity under its names along
          the loop: the ``batch_size`` parameter gives a loop its size, which
          is the ``n_instances`` of :meth:`query` (and of the strategy's
          ``select``), carried by the query's record as ``n_asked`` and
          recorded here; ``None`` without a query (a review: the rows sent);
        * ``refit``: how the model learned them, ``"full"``, ``"partial"``,
          ``"warm_start"``, or ``None`` without a new model; ``model_trained``:
          whether it did;
        * ``n_unlabeled`` and ``n_pseudo``: unlabeled rows (marked ``-1``)
          and pseudo-labeled rows the training received besides the labeled
          ones (see ``unlabeled`` and ``pseudo_labels``);
        * ``query_seconds``, ``fit_seconds``, ``stop_seconds``,
          ``embed_seconds``: time in the strategy, the training and the
          stopping criterion; time in a frozen prefix's ``transform`` since
          the previous record is left out of them and counted in
          ``embed_seconds``;
        * ``stop_reason``: the stopping criterion's verdict after the record;
        * ``answered_by`` (``{name: rows answered}``), ``cost`` and
          ``abstained`` (rows of ``fit``'s ``X`` the oracle abstained on);
        * ``audit``: the rows of ``indices`` that were random audit rows
          (see ``audit``), and ``audit_correct``: for each, whether the model
          before this record, which had not seen it, predicted its label
          (``None`` without a model or for a regressor): an honest, if
          lagging, learning curve at no extra training.

    stopping_ : StoppingCriterion or None
        The criterion in use (a clone of ``stopping``), with its state.

    stop_reason_ : str or None
        Why ``stopping_`` said to stop at its latest check, ``None`` when it
        said to go on (or there is no criterion).

    oracle_ : Oracle
        The oracle of ``fit``'s campaign (the simulation's, answering from
        ``y``, when ``oracle`` is ``None``).

    labeled_ids_ : ndarray of int
        Stable id of every labeled row, in labeling order: a row of ``fit``'s
        ``X`` by its index; the ``k``-th row added by :meth:`teach` or
        :meth:`partial_fit` by ``n_rows(X) + k``.

    abstained_indices_ : ndarray of int
        Rows of ``fit``'s ``X`` an oracle abstained on: out of the pool for
        good.

    audit_indices_ : ndarray of int
        Rows of ``fit``'s ``X`` labeled as random audit rows, in labeling
        order (see ``audit`` and :meth:`estimate`).

    label_cost_ : float
        What the labels cost so far: the oracles' costs, 1 per label given by
        hand, 0 for the labels of ``fit``'s ``y``.

    n_iter_ : int
        Number of answered query loops after the initial set (labels given
        through :meth:`teach`, :meth:`partial_fit` or plain indices are not
        loops).

    classes_ : ndarray
        The estimator's classes (classifiers only).

    n_features_in_ : int
        Number of features seen by the estimator.

    feature_names_in_ : ndarray of str
        Feature names seen by the estimator, when ``X`` had them.

    See Also
    --------
    sklearn.semi_supervised.SelfTrainingClassifier : Labels the pool with the
        model's own predictions instead of asking an oracle.

    References
    ----------
    .. [1] B. Settles. "Active Learning Literature Survey". Computer Sciences
       Technical Report 1648, University of Wisconsin-Madison, 2009.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import UncertaintySampling
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=1000),
    ...                         UncertaintySampling(measure="margin"),
    ...                         budget=100, batch_size=10, random_state=0)
    >>> learner.fit(X, y).labeled_indices_.shape
    (100,)
    >>> learner.n_iter_
    9

    By hand, with ``-1`` marking the unlabeled rows:

    >>> import numpy as np
    >>> y_partial = np.full_like(y, -1)
    >>> y_partial[:20] = y[:20]
    >>> learner = ActiveLearner(LogisticRegression(max_iter=1000), batch_size=5,
    ...                         random_state=0).fit(X, y_partial)
    >>> rows = learner.query()
    >>> learner = learner.label(rows, y[rows])     # the oracle answers
    >>> len(learner.labeled_indices_)
    25
    """

    def __init__(
        self,
        estimator,
        query_strategy=None,
        *,
        batch_size=1,
        budget=None,
        n_initial=10,
        initial_strategy=None,
        refit="full",
        refit_every=None,
        partial_epochs="auto",
        replay="auto",
        stopping=None,
        oracle=None,
        review=None,
        audit=0.0,
        missing_label="auto",
        classes=None,
        unlabeled="auto",
        pseudo_labels=None,
        chunk_size=None,
        cache_dir=None,
        n_jobs=None,
        random_state=None,
    ):
        self.estimator = estimator
        self.query_strategy = query_strategy
        self.batch_size = batch_size
        self.budget = budget
        self.n_initial = n_initial
        self.initial_strategy = initial_strategy
        self.refit = refit
        self.refit_every = refit_every
        self.partial_epochs = partial_epochs
        self.replay = replay
        self.stopping = stopping
        self.oracle = oracle
        self.review = review
        self.audit = audit
        self.missing_label = missing_label
        self.classes = classes
        self.unlabeled = unlabeled
        self.pseudo_labels = pseudo_labels
        self.chunk_size = chunk_size
        self.cache_dir = cache_dir
        self.n_jobs = n_jobs
        self.random_state = random_state

    # ------------------------------------------------------------------ checks
    _parameter_constraints = {
        "estimator": [
            Predicate(lambda e: hasattr(e, "fit"), "a scikit-learn estimator with fit")
        ],
        "query_strategy": [None, STRATEGY],
        "initial_strategy": [None, STRATEGY],
        "budget": [None, Interval(Integral, 1), Interval(Real, 0, 1, "right")],
        "n_initial": [Interval(Integral, 0)],
        "refit": [Options(REFIT_OPTIONS)],
        "refit_every": [None, Interval(Integral, 1)],
        "partial_epochs": [AUTO, Interval(Integral, 1)],
        "replay": [AUTO, Interval(Integral, 0), Interval(Real, 0, 1, "right")],
        "stopping": [
            None,
            InstanceOf(StoppingCriterion, "a criterion from skal.stopping"),
        ],
        "oracle": [
            None,
            Predicate(
                callable,
                "an oracle from skal.oracles or a callable (X_rows, indices) -> labels",
            ),
        ],
        "review": [None, InstanceOf(LabelReview, "a skal.label_quality.LabelReview")],
        "audit": [Interval(Real, 0, 1, "left")],
        "unlabeled": [Options(("auto", "none")), Interval(Integral, 1)],
        "pseudo_labels": [
            None,
            Interval(Real, 0, 1, "right"),
            Predicate(callable, "a callable n_labeled -> threshold"),
        ],
        "chunk_size": [None, Interval(Integral, 1)],
    }

    def _check_params(self):
        """The parameters against the table (as the strategies check theirs),
        then what it cannot say: the objects' own checks (``batch_size``,
        ``review``) and the checks across parameters."""
        validate_parameter_constraints(self)
        check_batch_size(self.batch_size)
        if self.review is not None:
            self.review.validate()
        mode, trained = self._refit_mode(), self._trained_part()
        if mode == "partial" and not hasattr(trained, "partial_fit"):
            raise ValueError(
                f"refit='partial' needs an estimator with partial_fit; "
                f"{type(self.estimator).__name__} has none."
            )
        if mode == "warm_start" and not warm_start_params(trained):
            raise ValueError(
                "refit='warm_start' needs an estimator with a warm_start "
                f"parameter; {type(self.estimator).__name__} has none."
            )
        if self.pseudo_labels is not None:
            if self._takes_unlabeled() or self.unlabeled == "none":
                raise ValueError(
                    "pseudo_labels needs the unlabeled rows for itself: not with "
                    "unlabeled='none', nor with an estimator that takes them."
                )
            if not self._is_classifier() or not hasattr(trained, "predict_proba"):
                raise ValueError(
                    "pseudo_labels needs a classifier with predict_proba; "
                    f"{type(self.estimator).__name__} is not one."
                )
            if mode == "partial":
                raise ValueError(
                    "pseudo_labels needs refit='full' or 'warm_start': partial_fit "
                    "updates learn the new labels only."
                )

    def _takes_unlabeled(self):
        """Whether every full fit receives the unlabeled rows (``unlabeled``)."""
        return self.unlabeled != "none" and takes_unlabeled(self._trained_part())

    def _unlabeled_rows(self, labeled, rng=None):
        """Rows of ``fit``'s ``X`` outside ``labeled``; at most ``unlabeled``
        of them, drawn at random by ``rng`` (default: the learner's generator,
        only then drawn from)."""
        outside = np.ones(n_rows(self._X), dtype=bool)
        outside[labeled.pool_indices] = False
        rows = np.flatnonzero(outside)
        if isinstance(self.unlabeled, Integral) and rows.size > self.unlabeled:
            rng = self._rng if rng is None else rng
            rows = np.sort(rng.choice(rows, self.unlabeled, replace=False))
        return take_rows(self._X, rows)

    def _refit_mode(self):
        if self.refit == "auto":
            partial = hasattr(self._trained_part(), "partial_fit")
            return "partial" if partial else "full"
        return self.refit

    def _trained_part(self):
        """What the loop trains: the estimator, or the steps after its frozen
        prefix (:mod:`skal.utils._frozen`)."""
        return split_frozen_prefix(self.estimator)[1]

    def _is_classifier(self):
        return is_classifier(self.estimator)

    def _check_X_y(self, X, y):
        """``X`` made indexable and ``y`` as a 1-D array; errors name the argument."""
        X = self._check_rows(X)
        self._require_y(y)
        y = np.asarray(pandas_labels(as_dense_labels(y), self._missing_value(y)))
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        if y.ndim == 0:
            raise ValueError("y must be an array of labels, one per row of X.")
        if y.shape[0] != n_rows(X):
            raise ValueError(
                f"X and y have different numbers of rows: {n_rows(X)} and {y.shape[0]}."
            )
        if y.dtype.kind in "iuf" and np.any(np.isinf(y)):
            raise ValueError("Input y contains infinity; labels must be finite.")
        if y.ndim == 2 and self._is_classifier():
            missing = self._missing(y)  # refuses partial rows of other kinds
            if is_label_indicator(self._filled(y), missing):
                check_multilabel_target(
                    self.estimator, y, missing, refit=self._refit_mode()
                )
        return X, y

    def _missing_value(self, y):
        """The value standing for a missing label in ``y`` (for pandas' NA)."""
        if self.missing_label != "auto":
            return self.missing_label
        numpy_dtype = getattr(getattr(y, "dtype", None), "numpy_dtype", None)
        if numpy_dtype is None or numpy_dtype.kind not in "iubf":
            return None
        return -1 if self._is_classifier() and numpy_dtype.kind != "f" else np.nan

    def _check_missing_label(self, y, missing):
        """Refuse a ``missing_label`` that can never match ``y``; warn when an
        explicit one occurs nowhere."""
        marker = self.missing_label
        if marker == "auto" or marker is None or missing.any():
            return
        numeric_marker = isinstance(marker, (int, float, np.number)) and not isinstance(
            marker, bool
        )
        if y.dtype.kind in "iuf" and not numeric_marker:
            raise ValueError(
                f"missing_label={marker!r} cannot mark a row of a numeric y; use "
                "-1 or np.nan, or leave missing_label='auto'."
            )
        if y.dtype.kind in "US" and not isinstance(marker, str):
            raise ValueError(
                f"missing_label={marker!r} cannot mark a row of a text y; use None "
                "or a string, or leave missing_label='auto'."
            )
        warnings.warn(
            f"missing_label={marker!r} occurs nowhere in y: every row is labeled.",
            UserWarning,
            stacklevel=4,
        )

    def _check_pool_values(self, X, missing):
        """NaN or infinity in unlabeled rows would break every later query:
        refuse them now, naming the rows (unless the estimator takes NaN)."""
        if get_tags(self.estimator).input_tags.allow_nan:
            return
        bad = rows_with_nan(X)
        bad = bad[missing[bad]] if bad.size else bad
        if bad.size:
            raise ValueError(
                f"X has NaN or infinite values in {bad.size} unlabeled rows "
                f"(first: {bad[:10].tolist()}); {type(self.estimator).__name__} "
                "cannot score them. Impute them (e.g. a SimpleImputer in a "
                "Pipeline) or drop those rows."
            )

    def _missing(self, y):
        """The unlabeled rows of ``y``; a multi-label row with some labels
        unknown (``-1``) is labeled (see :func:`takes_partial_rows`)."""
        if self._partial_rows(y):
            return unlabeled_rows(y)
        return missing_mask(y, self.missing_label, self._is_classifier())

    def _partial_rows(self, y):
        return takes_partial_rows(y, self.missing_label, self._is_classifier())

    def _filled(self, y):
        """``y`` with unknown entries of partially labeled rows read as 0."""
        return known_filled(y) if self._partial_rows(y) else y

    # --------------------------------------------------------------------- fit
    @all_or_nothing
    def fit(self, X, y):
        """Train on the labeled rows of ``X``; with a ``budget``, simulate the loop.

        All or nothing: if anything fails or is interrupted (``KeyboardInterrupt``
        included), the learner is left exactly as it was before the call.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or list of shape (n_samples, ...)
            All rows: labeled ones and the unlabeled pool.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Labels, with ``missing_label`` marking the unlabeled rows. In a
            simulation (``budget`` set) the known labels act as the oracle and
            only rows with a known label can be queried. A multi-label ``y``
            is a label-indicator matrix (dense or sparse) for a multi-label
            estimator; a row is unlabeled when all its entries are
            ``missing_label`` (a row of ``-1``), and partially labeled rows
            are refused (see :ref:`multilabel`).

        Returns
        -------
        self : ActiveLearner
        """
        self._check_params()
        X, y = self._check_X_y(X, y)
        missing = self._missing(y)
        self._check_missing_label(y, missing)
        self._check_pool_values(X, missing)
        known = np.flatnonzero(~missing)
        classes = self.classes
        if self._is_classifier() and classes is None and known.size:
            classes = np.unique(y[known])
        self._start(X, classes, self.classes is not None, y[known][:1])
        self.oracle_ = self._campaign_oracle(y)
        simulation = self.oracle_.uses_simulation_truth()
        if simulation:
            self.oracle_ = self.oracle_.with_truth(y)
        self.review_oracle_ = None
        if self.review is not None:
            self.review_oracle_ = as_oracle(self.review.oracle)
            if self.review_oracle_.uses_simulation_truth():
                self.review_oracle_ = self.review_oracle_.with_truth(y)
        if self.budget is None or not simulation:
            if known.size:
                given = LoopRecord("given", indices=known)
                self._learn(self._labeled.with_pool_rows(known, y[known]), given)
            if self.estimator_ is None and known.size and self.budget is None:
                warnings.warn(
                    "No model could be trained on the labeled rows yet "
                    f"({self._why_untrainable()}); query and label more rows.",
                    UserWarning,
                    stacklevel=3,
                )
            if self.budget is None:
                return self
        # a simulation asks y's oracle about the rows whose label is known; a
        # real campaign starts from them and asks the oracle about the others
        askable = np.zeros(n_rows(X), dtype=bool)
        askable[known] = True
        if not simulation:
            askable = ~askable
        n_total = known.size if simulation else n_rows(X)
        budget = resolve_size("budget", self.budget, n_total)
        self._campaign(askable, budget, keep_progress=not simulation)
        return self

    def _campaign_oracle(self, y):
        """The oracle of ``fit``'s campaign: a clone of ``oracle``, or the
        simulation's (``y`` answers)."""
        if self.oracle is None:
            return SimulatedOracle()
        oracle = as_oracle(self.oracle)
        return clone(oracle) if oracle is self.oracle else oracle

    def _start(self, X, classes, classes_fixed, y_example):
        """Fresh fitted state around the stored pool ``X``; ``y_example``, a
        (possibly empty) slice of the known labels, fixes their kind."""
        is_clf = self._is_classifier()
        default = UncertaintySampling() if is_clf else RandomSampling()
        if is_clf and is_label_indicator(
            self._filled(y_example), np.zeros(len(y_example), bool)
        ):
            default = TwoStepKMeans(MultiLabelUncertainty("max"), beta=30)
        initial = RandomSampling()
        if self.query_strategy is not None:
            default = self.query_strategy
        if self.initial_strategy is not None:
            initial = self.initial_strategy
        self.query_strategy_ = clone(default)
        self.initial_strategy_ = clone(initial)
        self._rng = check_random_state(self.random_state)
        self._frozen = FrozenPrefix(self.estimator, self.cache_dir)
        self._X = self._frozen.pool(X)  # a frozen prefix: rows embedded once
        self._labeled = LabeledSet(self._X)
        self._classes = np.asarray(classes) if is_clf and classes is not None else None
        self._classes_fixed = bool(classes_fixed)
        stopping = None if self.stopping is None else clone(self.stopping)
        self.stopping_ = self._frozen.stopping(stopping)  # X_val embedded once
        self.stop_reason_ = None
        self.estimator_ = None
        self._tail_model = None  # estimator_ without its frozen prefix
        self._embed_mark = 0.0
        self._outputs = self._pool_outputs(None)
        self._query_count = 0
        self._y_example = y_example
        self.history_ = []

    def _campaign(self, askable, budget, keep_progress):
        """SELECT → LABEL (the oracle) → TRAIN until ``budget`` labeled rows,
        no askable row left, or the stopping criterion fires.

        With a real oracle (``keep_progress``) a failure keeps every loop
        completed before it: the labels are not thrown away. A simulation is
        all or nothing, like ``fit``.
        """
        try:
            if self.estimator_ is None:  # cold start: the initial set
                candidates = np.flatnonzero(self._pool_mask() & askable)
                n_instances = min(
                    self.n_initial, budget - self._labeled.n_labeled, candidates.size
                )
                if n_instances > 0:
                    rows = self._query(self._X, candidates, n_instances, initial=True)
                    self.ask(rows, oracle=self.oracle_)
            while self._labeled.n_labeled < budget and self.stop_reason_ is None:
                candidates = np.flatnonzero(self._pool_mask() & askable)
                if candidates.size == 0:
                    break
                n_instances = min(
                    self._next_batch_size(),
                    budget - self._labeled.n_labeled,
                    candidates.size,
                )
                rows = self._query(self._X, candidates, n_instances)
                self.ask(rows, oracle=self.oracle_)
                self._review_if_due()
        except BaseException as error:
            if not keep_progress:
                raise
            self.stop_reason_ = f"interrupted: {type(error).__name__}: {error}"
            raise KeepProgress(error) from None
        if self.estimator_ is None and self._labeled.n_labeled:
            warnings.warn(
                "The campaign ended without a trained model "
                f"({self._why_untrainable()}).",
                UserWarning,
                stacklevel=4,
            )

    # ------------------------------------------------------------------- query
    @all_or_nothing
    def query(self, X=None, n_instances=None):
        """Pick the rows to label next.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or list, default=None
            An external pool. ``None`` queries the unlabeled rows of ``fit``'s
            ``X``.
        n_instances : int, default=None
            How many rows; ``None`` means the size ``batch_size`` gives for
            this loop (at most the pool).

        Returns
        -------
        indices : QueriedRows (an ndarray of int)
            Rows of ``X`` when given, else rows of ``fit``'s ``X``: pass them
            to :meth:`label` with their labels. They carry the query's record
            (``indices.record``), so the answers are recorded as this query's
            loop; only answered queries advance the loop count and the
            ``batch_size`` schedule.
        """
        check_is_fitted(self)
        if X is None:
            X, pool = self._X, np.flatnonzero(self._pool_mask())
        else:
            X = self._outside_rows(X)
            pool = np.arange(n_rows(X))
        if pool.size == 0:
            raise ValueError(
                "The pool is empty: every row of fit's X is labeled. Pass an "
                "external pool, query(X_new), or add rows with teach()."
            )
        if n_instances is None:
            n_instances = self._next_batch_size()
            if n_instances > pool.size:
                warnings.warn(
                    f"batch_size gives {n_instances} rows for this loop but the "
                    f"pool holds {pool.size}: querying {pool.size}.",
                    UserWarning,
                    stacklevel=3,
                )
                n_instances = pool.size
        return self._query(X, pool, n_instances)

    def _n_loops(self):
        """Query loops answered so far (the initial set is not a loop)."""
        return len({r["query_id"] for r in self.history_ if r["kind"] == "query"})

    def _next_batch_size(self):
        """The size ``batch_size`` gives to the next query loop."""
        return batch_size_at(self.batch_size, self._n_loops(), self._labeled.n_labeled)

    def _query(self, X, pool, n_instances, initial=False):
        """SELECT: the strategy's picks as rows of ``X``, carrying their record;
        with ``audit``, random audit rows mixed in (drawn first, so the strategy
        picks among the rest)."""
        strategy = self.initial_strategy_ if initial else self.query_strategy_
        n_audit = 0
        valid = isinstance(n_instances, Integral) and 0 < n_instances <= pool.size
        if valid and not initial and X is self._X:  # else select says what's wrong
            n_audit = self._audit_quota(n_instances)
        audit = np.empty(0, dtype=np.intp)
        if n_audit:  # no draw otherwise: the same seed gives the same picks
            audit = np.sort(self._rng.choice(pool.size, n_audit, replace=False))
        picks = np.delete(pool, audit)
        clock = self._clock()
        if n_audit == 0 or n_instances > n_audit:
            context = self._context(X, picks)
            n_picks = n_instances - n_audit if n_audit else n_instances
            picks = picks[strategy.select(context, n_picks)]
        else:
            picks = picks[:0]
        rows = np.concatenate([picks, pool[audit]])
        if n_audit:  # the annotator cannot tell audit rows from the others
            rows = rows[self._rng.permutation(rows.size)]
        self._query_count += 1
        record = QueryRecord(
            query_id=self._query_count,
            strategy=strategy.picked_by_ if picks.size else "audit",
            n_asked=int(n_instances),
            seconds=self._seconds_since(clock),
            initial=initial,
            audit=tuple(pool[audit].tolist()),
        )
        return QueriedRows(rows, record)

    def _audit_quota(self, n_instances):
        """Audit rows in a query of ``n_instances``: enough to keep the audits'
        share of the queried labels (this query's included) at ``audit``."""
        queried = sum(r["n_new"] for r in self.history_ if r["kind"] == "query")
        target = int(np.floor(self.audit * (queried + n_instances) + 1e-9))
        return int(np.clip(target - self.audit_indices_.size, 0, n_instances))

    def _clock(self):
        return time.perf_counter(), self._frozen.seconds

    def _seconds_since(self, clock):
        """Seconds since ``clock``, without those in a frozen prefix's
        ``transform`` (counted in ``embed_seconds``)."""
        start, embedded = clock
        return time.perf_counter() - start - (self._frozen.seconds - embedded)

    def _pool_mask(self):
        """Rows of fit's ``X`` neither labeled nor set aside by an abstaining
        oracle (derived from the labeled set and ``history_``)."""
        mask = np.ones(n_rows(self._X), dtype=bool)
        mask[self._labeled.pool_indices] = False
        for record in self.history_:
            mask[record["abstained"]] = False
        return mask

    def _pool_outputs(self, model):
        """A memo of ``model``'s outputs on the stored rows, shared by the
        stopping check and the next query (enabled with a stopping criterion)."""
        enabled = self.stopping is not None and model is not None
        return PoolOutputs(model, n_rows(self._X), enabled=enabled)

    def _context(self, X, pool, model=None, labeled=None, outputs=None, audit=None):
        """The loop's context; ``model``/``labeled``/``outputs`` override the
        current ones (the stopping check judges a model not committed yet)."""
        model = self._tail_model if model is None else model
        labeled = self._labeled if labeled is None else labeled
        if outputs is None:
            outputs = self._outputs
        if X is not self._X:  # the memo is keyed by rows of the stored X
            outputs = None
        fitted = model is not None
        estimator = model if fitted else self._frozen.tail
        return QueryContext(
            X=X,
            pool_indices=pool,
            estimator=model,
            labeled=labeled.data,
            labeled_indices=labeled.pool_indices,
            random_state=self._rng,
            feature_space=FeatureSpace(
                estimator, fitted, X_fallback=None if fitted else X
            ),
            history=tuple(self.history_),
            loop=self._n_loops(),
            is_classifier=self._is_classifier(),
            classes=getattr(model, "classes_", self._classes),
            n_jobs=self.n_jobs,
            chunk_size=self.chunk_size,
            outputs=outputs,
            audit_indices=self.audit_indices_ if audit is None else audit,
        )

    # ---------------------------------------------------------------- labeling
    @all_or_nothing
    def label(self, indices, y):
        """Label rows of the stored pool (as returned by :meth:`query`).

        The rows leave the pool and the model learns their labels. If anything
        fails, the learner is left exactly as it was.

        Parameters
        ----------
        indices : array-like of int
            Rows of ``fit``'s ``X`` that are still in the pool. The array
            :meth:`query` returned (or a slice of it) records the answers as
            that query's loop; other indices are recorded as labels given
            without a query.
        y : array-like of shape (len(indices),)
            Their labels.

        Returns
        -------
        self : ActiveLearner
        """
        check_is_fitted(self)
        query = query_record_of(indices)
        indices = self._check_pool_indices(indices)
        y = self._check_new_labels(y, indices.size)
        return self._learn_rows(indices, y, query, Answers.by_hand(y))

    @all_or_nothing
    def ask(self, indices, oracle=None):
        """LABEL rows of the stored pool by asking an oracle, then learn them.

        Rows the oracle abstains on leave the pool for good
        (``abstained_indices_``); the others are labeled as by :meth:`label`.
        ``history_`` records who answered how many rows at what cost.

        Parameters
        ----------
        indices : array-like of int
            Rows of ``fit``'s ``X`` still in the pool, as :meth:`query`
            returned them (the answers then close that query's loop).
        oracle : callable or None, default=None
            ``None`` asks the learner's ``oracle`` (or, after a simulation, its
            known labels).

        Returns
        -------
        self : ActiveLearner

        Raises
        ------
        OracleError
            The oracle raised; the learner is left exactly as it was.
        ValueError
            The oracle answered the wrong number of labels, labels of another
            kind than the labels so far, or (with ``refit="partial"``) a class
            unknown to the model; the learner is left exactly as it was.
        """
        check_is_fitted(self)
        query = query_record_of(indices)
        indices = self._check_pool_indices(indices)
        if oracle is None:
            oracle = getattr(self, "oracle_", None)
            if oracle is None or oracle.uses_simulation_truth():
                raise ValueError(
                    "ask() needs an oracle: pass ActiveLearner(oracle=...) or "
                    "ask(indices, oracle=...)."
                )
        oracle = as_oracle(oracle)
        answers = oracle.answer(self._raw_rows(indices), indices)
        answered = answers.answered.copy()  # a missing label is an abstention
        try:
            given = answers.labels[answered]
            answered[answered] = ~self._missing(np.asarray(given.tolist()))
            labels = np.asarray(answers.labels[answered].tolist())
            if labels.size:
                labels = self._check_new_labels(labels, len(labels))
                self._grown_classes(labels, self._refit_mode())
        except (TypeError, ValueError) as error:
            raise ValueError(
                f"The oracle {oracle.display_name} gave unusable labels: {error}"
            ) from None
        answers = replace(answers, answered=answered)
        rows, abstained = indices[answered], indices[~answered]
        return self._learn_rows(rows, labels, query, answers, abstained)

    def _learn_rows(self, indices, y, query, answers, abstained=()):
        """Labels of rows of ``fit``'s ``X`` (answers to ``query``, or given
        without one) on to TRAIN → stop check → commit."""
        kind = "label" if query is None else ("initial" if query.initial else "query")
        record = LoopRecord(kind, query, indices, answers, abstained)
        return self._learn(self._labeled.with_pool_rows(indices, y), record)

    def _check_pool_indices(self, indices):
        """``indices`` as distinct rows of ``fit``'s ``X`` still in the pool."""
        indices = np.asarray(indices)
        if indices.ndim != 1 or (indices.size and indices.dtype.kind not in "iu"):
            raise ValueError("indices must be a 1-D array of row indices.")
        indices = indices.astype(np.intp)
        n_stored = n_rows(self._X)
        if indices.size and (indices.min() < 0 or indices.max() >= n_stored):
            raise ValueError(f"indices must be rows of fit's X, in [0, {n_stored}).")
        if np.unique(indices).size != indices.size:
            raise ValueError("indices contain duplicates.")
        in_pool = self._pool_mask()[indices]
        if not np.all(in_pool):
            raise ValueError(
                "indices contain rows that are already labeled or were set aside: "
                f"{indices[~in_pool][:10].tolist()}."
            )
        return indices

    @all_or_nothing
    def teach(self, X, y):
        """Add labeled rows from outside the stored pool and update the model.

        If anything fails (say the estimator rejects the rows), the learner is
        left exactly as it was. Teaching does not answer a query: it is
        recorded as its own entry of ``history_`` and does not advance the
        loop count.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or list
            The new rows.
        y : array-like of shape (n_rows,)
            Their labels.

        Returns
        -------
        self : ActiveLearner
        """
        check_is_fitted(self)
        X = self._outside_rows(X)
        y = self._check_new_labels(y, n_rows(X))
        teach = LoopRecord("teach", answers=Answers.by_hand(y))
        return self._learn(self._labeled.with_external_rows(X, y), teach)

    def _outside_rows(self, X):
        """Rows from outside the stored pool, checked against its schema and,
        with a frozen prefix, embedded (once)."""
        X = conform_rows(as_indexable(X), self._frozen.raw(self._X))
        return self._frozen.outside(X)

    def _raw_rows(self, indices):
        """Rows of ``fit``'s ``X`` as given (before any frozen prefix)."""
        return take_rows(self._frozen.raw(self._X), indices)

    def _check_new_labels(self, y, n_expected):
        y = self._labels_per_row(y, n_expected)
        if n_expected == 0:
            raise ValueError(
                "No rows given (X or indices, and y, are empty): pass at least "
                "one row and its label."
            )
        if np.any(self._missing(y)):
            raise ValueError("y contains missing labels; give every row a label.")
        check_label_shape(self._filled(y), self._filled(self._label_example()))
        return conform_labels(y, self._label_example())

    def _label_example(self):
        """Labels given so far (a few), whose kind new labels must have."""
        for _, _, y in self._labeled.blocks:
            return y[:1]
        return self._y_example

    # ------------------------------------------- TRAIN → stop check → commit
    def _learn(self, labeled, record, *, mode=None, fresh=False):
        """TRAIN on ``labeled`` (the labeled set with the new labels), check the
        stopping criterion, then commit it with ``record`` completed.

        ``record`` holds what LABEL knows (a :class:`LoopRecord`); ``mode``
        overrides ``refit`` (``partial_fit``); ``fresh`` trains from scratch on
        every labeled row (a relabel). The steps before the commit change
        nothing, so a failure leaves the learner as it was.
        """
        record = replace(record, audit_correct=self._audit_outcomes(labeled, record))
        trained = self._train(labeled, mode or self._refit_mode(), fresh)
        verdict = self._stop_check(trained.model, labeled, record)
        return self._commit(labeled, trained, verdict, record)

    def _audit_outcomes(self, labeled, record):
        """Whether the current model (which has not seen them) predicts the
        labels of ``record``'s audit rows; ``None`` when it cannot say."""
        rows = record.audit_rows()
        model = self._tail_model
        if not rows.size or model is None or not self._is_classifier():
            return None
        _, y_new = labeled.newest()
        y_rows = np.asarray(y_new)[np.isin(np.asarray(record.indices), rows)]
        correct = np.asarray(model.predict(take_rows(self._X, rows))) == y_rows
        if self._partial_rows(y_rows):  # labels not answered are not judged
            correct |= y_rows == UNKNOWN
        # a multi-label row is right when every label is (subset accuracy)
        return correct.all(axis=1) if correct.ndim > 1 else correct

    def _train(self, labeled, mode, fresh):
        """TRAIN: a :class:`Trained` after learning the rows ``labeled`` adds
        (all of them if ``fresh``); the current model is never changed."""
        clock = self._clock()
        X_new, y_new = labeled.data() if fresh else labeled.newest()
        n_new = 0 if y_new is None else len(y_new)
        classes = self._grown_classes(y_new, mode) if n_new else self._classes
        model, refit = self._tail_model, None  # all abstained: nothing to learn
        extra_rows = (0, 0)
        if n_new or fresh:
            previous = None if fresh else self._tail_model
            trainer = self._trainer(mode)
            model, refit = trainer.train(
                previous,
                self._n_trainings(),
                self._labeled,
                labeled,
                X_new,
                y_new,
                classes,
            )
            extra_rows = trainer.extra_rows
        seconds = self._seconds_since(clock)
        return Trained(model, refit, classes, seconds, *extra_rows)

    def _stop_check(self, model, labeled, record):
        """The criterion's :class:`Verdict` on a new ``model`` trained on
        ``labeled`` (the current one's when the model did not change), which
        ``record`` completes."""
        abstained = record.abstained
        clock = self._clock()
        outputs = self._pool_outputs(model)
        stopping, reason = self.stopping_, self.stop_reason_
        if model is not self._tail_model:
            reason = None
            if stopping is not None and model is not None:
                in_pool = self._pool_mask()  # rows set aside by an oracle stay out
                in_pool[labeled.pool_indices] = False
                in_pool[np.asarray(abstained, dtype=np.intp)] = False
                # the criterion's state is copied, so a failure leaves the learner
                # as it was; its parameters (a validation set) are shared
                params = stopping.get_params(deep=True).values()
                stopping = copy.deepcopy(stopping, memo={id(v): v for v in params})
                pool = np.flatnonzero(in_pool)
                audit = np.concatenate([self.audit_indices_, record.audit_rows()])
                reason = stopping.check(
                    self._context(self._X, pool, model, labeled, outputs, audit)
                )
        return Verdict(stopping, reason, outputs, self._seconds_since(clock))

    def _commit(self, labeled, trained, verdict, record):
        """Commit the labeled set, the model, the criterion and ``record``
        completed, appended to ``history_``. Nothing here can fail."""
        n_before = self._labeled.n_labeled
        self._labeled, self._classes = labeled, trained.classes
        if trained.model is not self._tail_model:
            self._outputs = verdict.outputs
            self.estimator_ = self._frozen.assemble(trained.model)
        self._tail_model = trained.model
        embed_seconds = self._frozen.seconds - self._embed_mark
        self._embed_mark = self._frozen.seconds
        self.stopping_, self.stop_reason_ = verdict.stopping, verdict.reason
        record = replace(
            record,
            n_new=labeled.n_labeled - n_before,
            n_labeled=labeled.n_labeled,
            refit=trained.refit,
            n_unlabeled=trained.n_unlabeled,
            n_pseudo=trained.n_pseudo,
            fit_seconds=trained.seconds,
            stop_seconds=verdict.seconds,
            embed_seconds=embed_seconds,
            stop_reason=verdict.reason,
        )
        self.history_.append(record.as_dict(len(self.history_)))
        return self

    def _n_trainings(self):
        """Trainings that produced a model so far (for ``refit_every``)."""
        return sum(record["model_trained"] for record in self.history_)

    def should_stop(self):
        """Whether the stopping criterion said to stop after the latest training.

        Returns
        -------
        stop : bool
            ``True`` when ``stop_reason_`` is set.
        """
        check_is_fitted(self)
        return self.stop_reason_ is not None

    def _grown_classes(self, y_new, mode):
        """Known classes after ``y_new``; fixed once a partial model exists."""
        if not self._is_classifier():
            return None
        if mode == "partial" and (self.estimator_ is not None or self._classes_fixed):
            unseen = np.setdiff1d(np.unique(y_new), self._classes)
            if unseen.size:
                raise ValueError(
                    f"y contains classes {unseen.tolist()} unknown to the model; "
                    "refit='partial' needs every class up front: pass classes= "
                    "to ActiveLearner, or use refit='full'."
                )
            return self._classes
        new = np.unique(y_new)
        return new if self._classes is None else np.union1d(self._classes, new)

    def _why_untrainable(self):
        if self._labeled.n_labeled == 0:
            return "no labeled rows"
        if self._label_example().ndim == 2:
            return (
                "a multi-label classifier needs a label column holding two values "
                "(a multi-output one, two values in every column)"
            )
        return "a classifier needs labels of at least two classes"

    def _trainer(self, mode, unlabeled=None):
        return Trainer(
            estimator=self._frozen.tail,
            mode=mode,
            is_classifier=self._is_classifier(),
            refit_every=self.refit_every,
            partial_epochs=self.partial_epochs,
            replay=self.replay,
            random_state=self._rng,
            unlabeled=unlabeled or self._unlabeled_rows,
            takes_unlabeled=self._takes_unlabeled(),
            pseudo_labels=self.pseudo_labels,
        )

    @available_if(estimator_has("partial_fit"))
    @all_or_nothing
    def partial_fit(self, X, y, classes=None):
        """Learn labeled rows incrementally, with the estimator's ``partial_fit``.

        The first call starts a learner with no stored pool (query an external
        pool with ``query(X_pool)``); later calls update the model like
        :meth:`teach` does with ``refit="partial"``. Every row given is kept.

        Parameters
        ----------
        X : array-like, sparse matrix, DataFrame or list
        y : array-like of shape (n_rows,)
        classes : array-like, default=None
            Every class; needed on the first call for a classifier unless the
            ``classes`` parameter is set.

        Returns
        -------
        self : ActiveLearner
        """
        if hasattr(self, "history_"):
            # before replay joins these rows to stored ones, as teach does
            X = self._outside_rows(X)
        else:
            self._check_params()
            X, y = self._check_X_y(X, y)
            if classes is None:
                classes = self.classes
            if self._is_classifier() and classes is None:
                raise ValueError(
                    "classes must be given on the first call to partial_fit."
                )
            y = np.asarray(y)
            self._start(take_rows(X, np.arange(0)), classes, classes is not None, y[:1])
            X = self._frozen.outside(X)
        y = self._check_new_labels(y, n_rows(X))
        record = LoopRecord("partial_fit", answers=Answers.by_hand(y))
        labeled = self._labeled.with_external_rows(X, y)
        return self._learn(labeled, record, mode="partial")

    # ------------------------------------------------------------- inspection
    def get_labeled_data(self):
        """Every labeled row and its label, in the order they were labeled.

        Returns
        -------
        X_labeled : same kind as ``X``, or None if nothing is labeled
        y_labeled : ndarray or None
        """
        check_is_fitted(self)
        return self._frozen.raw_labeled(self._labeled)

    @property
    def labeled_indices_(self):
        check_is_fitted(self)
        return self._labeled.pool_indices

    @property
    def audit_indices_(self):
        records = getattr(self, "history_", ())
        parts = [record["audit"] for record in records if "audit" in record]
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.intp)

    def estimate(self, scoring="accuracy", *, confidence=0.95):
        """An honest estimate of the model's quality, from the audit rows.

        A clone of ``estimator`` is trained on every label except the random
        audit rows (see ``audit``) and scored on them: an ordinary random
        sample of the pool, so the interval holds (Wilson's for accuracy; see
        :func:`skal.evaluation.audit_estimate` for other scorers). The model in
        use, ``estimator_``, was trained on the audit rows too, so the estimate
        is of a model with fewer labels: a slightly conservative estimate of
        ``estimator_``, and of its quality on rows like the unlabeled pool's.
        Scores computed on the actively chosen rows themselves (cross-validation
        on the labeled set) read low, because those rows are the hard ones; see
        the honest-estimates page for the measurements.

        Parameters
        ----------
        scoring : str or callable, default="accuracy"
            A scikit-learn scorer name or callable ``scorer(estimator, X, y)``.
        confidence : float, default=0.95
            Nominal coverage of the interval.

        Returns
        -------
        estimate : skal.evaluation.Estimate
            The value, its interval, the rows it rests on and what they are
            (``str(estimate)`` reads as a status line).

        References
        ----------
        .. [1] S. Farquhar, Y. Gal and T. Rainforth. "On Statistical Bias in
           Active Learning: How and When to Fix It". ICLR 2021.

        Examples
        --------
        >>> from sklearn.datasets import load_digits
        >>> from sklearn.linear_model import LogisticRegression
        >>> from skal import ActiveLearner
        >>> X, y = load_digits(return_X_y=True)
        >>> learner = ActiveLearner(LogisticRegression(max_iter=1000), budget=110,
        ...                         batch_size=10, audit=0.2, random_state=0)
        >>> learner = learner.fit(X, y)
        >>> learner.audit_indices_.size
        20
        >>> estimate = learner.estimate()
        >>> estimate.n_rows, estimate.low < estimate.value < estimate.high
        (20, True)
        """
        from .evaluation import audit_estimate

        check_is_fitted(self)
        audit = self.audit_indices_
        if audit.size == 0:
            raise ValueError(
                "No audit rows to estimate from: set audit= (0.2, say) so that "
                "a share of each query is drawn at random from the pool, or "
                "score the model on rows you drew at random yourself with "
                "skal.evaluation.audit_estimate."
            )
        ids = self._labeled.ids(n_rows(self._X))
        is_audit = np.isin(ids, audit)
        X_all, y_all = self._labeled.data()
        without = LabeledSet(self._X).with_external_rows(
            take_rows(X_all, np.flatnonzero(~is_audit)), y_all[~is_audit]
        )
        X_train, y_train = without.data()
        # the pool's unlabeled rows, not the audit rows (scored below), drawn
        # by a copy of the generator: an estimate changes no later query
        rng = copy.deepcopy(self._rng)
        trainer = self._trainer(
            "full", lambda _: self._unlabeled_rows(self._labeled, rng)
        )
        model, _ = trainer.train(
            None, 0, without, without, X_train, y_train, self._classes
        )
        if model is None:
            raise ValueError(
                "The labels other than the audit rows cannot train a model yet "
                f"({self._why_untrainable()}): label more rows first."
            )
        order = np.argsort(ids[is_audit], kind="stable")
        audit_rows = np.sort(ids[is_audit])
        y_audit = y_all[is_audit][order]
        found = estimate = audit_estimate(
            model,
            take_rows(self._X, audit_rows),
            y_audit,
            scoring=scoring,
            confidence=confidence,
        )
        n_other = int(y_train.shape[0])
        return replace(
            found,
            basis=f"{estimate.basis}, drawn at random from the pool; model "
            f"trained on the {n_other} other labels",
        )

    @property
    def labeled_ids_(self):
        check_is_fitted(self)
        return self._labeled.ids(n_rows(self._X))

    @property
    def abstained_indices_(self):
        check_is_fitted(self)
        parts = [record["abstained"] for record in self.history_]
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.intp)

    @property
    def label_cost_(self):
        check_is_fitted(self)
        return float(sum(record["cost"] for record in self.history_))

    @property
    def n_iter_(self):
        check_is_fitted(self)
        return self._n_loops()

    def _model(self):
        check_is_fitted(self)
        if self.estimator_ is None:
            raise NotFittedError(
                f"This ActiveLearner has no trained model yet "
                f"({self._why_untrainable()}): label more rows first."
            )
        return self.estimator_

    @property
    def classes_(self):
        return self._model_attribute("classes_")

    @property
    def n_features_in_(self):
        return self._model_attribute("n_features_in_")

    @property
    def feature_names_in_(self):
        return self._model_attribute("feature_names_in_")

    def _model_attribute(self, name):
        estimator = getattr(self, "estimator_", None)
        if estimator is None:
            raise AttributeError(f"{name} is only available once a model is trained.")
        return getattr(estimator, name)

    # -------------------------------------------------------------- delegation
    @available_if(estimator_has("transform"))
    def transform(self, X, **params):
        """Transform with the trained estimator."""
        return self._model().transform(X, **params)

    def __sklearn_tags__(self):
        tags, inner = copy_input_tags(super().__sklearn_tags__(), self.estimator)
        tags.regressor_tags = inner.regressor_tags
        tags.target_tags.multi_output = inner.target_tags.multi_output
        tags.target_tags.single_output = inner.target_tags.single_output
        tags.input_tags.pairwise = inner.input_tags.pairwise
        return tags
