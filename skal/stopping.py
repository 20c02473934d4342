"""Stopping criteria: when an active-learning campaign should end early.

``ActiveLearner(stopping=...)`` asks its criterion after every training whether
to stop; the simulation in ``fit`` ends as soon as it says so and the reason is
kept in ``stop_reason_`` and in the last ``history_`` record.

A criterion is a scikit-learn estimator (so ``GridSearchCV`` reaches
``stopping__threshold``) with one method, :meth:`StoppingCriterion.check`,
which receives the loop's :class:`~skal.strategies.QueryContext` (the freshly
trained estimator, the remaining pool, the labeled rows, the learner's
``random_state``) and returns a sentence saying why to stop, or ``None``. The
learner works on a clone, ``stopping_``, which keeps the criterion's state
across loops (the stop set, past predictions, past scores).
"""

from numbers import Integral, Real

import numpy as np
from scipy import stats
from sklearn.base import BaseEstimator, clone
from sklearn.metrics import check_scoring
from sklearn.model_selection import cross_val_score

from .utils import MEASURES, UNCERTAINTY
from .utils._rows import n_rows, take_rows
from .utils._validation import (
    InstanceOf,
    Interval,
    Options,
    Predicate,
    ValidatedParameters,
    resolve_size,
)

#: Any finite number.
ANY_REAL = [Interval(Real, None, None, closed="neither")]


def cohen_kappa(a, b):
    r"""Cohen's kappa between two label vectors (any label type).

    .. math:: \kappa = \frac{p_o - p_e}{1 - p_e}, \qquad
              p_e = \sum_k p_{a}(k)\, p_{b}(k)

    with :math:`p_o` the share of rows where ``a`` and ``b`` agree and
    :math:`p_a(k)`, :math:`p_b(k)` the share of rows each gives label :math:`k`.
    When both vectors hold the same single label (:math:`p_e = 1`) the kappa is
    undefined; agreement is then perfect and 1.0 is returned (0.0 if they
    disagree, which cannot happen with a single label).
    """
    a, b = np.asarray(a), np.asarray(b)
    labels, codes = np.unique(np.concatenate([a, b]), return_inverse=True)
    code_a, code_b = codes[: a.size], codes[a.size :]
    p_o = np.mean(code_a == code_b)
    p_a = np.bincount(code_a, minlength=labels.size) / a.size
    p_b = np.bincount(code_b, minlength=labels.size) / b.size
    p_e = float(p_a @ p_b)
    if np.isclose(p_e, 1.0):
        return 1.0 if p_o == 1.0 else 0.0
    return float((p_o - p_e) / (1.0 - p_e))


class StoppingCriterion(ValidatedParameters, BaseEstimator):
    """Base class of the stopping criteria.

    The public entry point is :meth:`check`, called once after every training
    with a model: it validates the parameters against the class's
    ``_parameter_constraints`` tables and calls ``_check(context)``, which a
    subclass implements (checks across several parameters go in an override of
    ``_validate_params``). A criterion may keep state on itself between calls
    (the learner calls a clone, ``stopping_``).
    """

    def check(self, context):
        """Why to stop after this training, or ``None`` to go on.

        Parameters
        ----------
        context : QueryContext
            The loop's state; ``context.estimator`` is the model just trained and
            ``context.pool_indices`` the rows still unlabeled.

        Returns
        -------
        reason : str or None
        """
        self._validate_params()
        return self._check(context)

    def _check(self, context):
        raise NotImplementedError(f"{type(self).__name__} implements no _check.")


class StabilizingPredictions(StoppingCriterion):
    r"""Stop once consecutive models agree on a fixed stop set.

    The stabilizing-predictions rule of Bloodgood and Vijay-Shanker [1]_. A stop
    set :math:`S` of unlabeled rows is drawn once, at the first check, and never
    changes (it needs no labels). After training model :math:`f_t`, its
    predictions on :math:`S` are compared with those of the previous model by
    Cohen's kappa

    .. math:: \kappa_t = \frac{p_o - p_e}{1 - p_e}

    (:math:`p_o`: share of :math:`S` on which :math:`f_{t-1}` and :math:`f_t`
    agree; :math:`p_e`: agreement expected by chance from each model's label
    frequencies). Learning stops when the mean of the last ``window`` kappas is
    at least ``threshold``:

    .. math:: \frac{1}{w} \sum_{i=t-w+1}^{t} \kappa_i \ \ge\ \mathrm{threshold}

    so at least ``window + 1`` models are needed. The published setting is
    ``window=3`` and ``threshold=0.99``; lower thresholds stop earlier (the paper
    argues the threshold is the user's knob for the label/accuracy trade-off).

    Parameters
    ----------
    window : int, default=3
        Number of consecutive kappas averaged.
    threshold : float, default=0.99
        Stop when the mean kappa reaches it, in [-1, 1].
    stop_set_size : int or float, default=1000
        Rows in the stop set: an int, or a float in (0, 1] for a share of the
        pool at the first check (capped by the pool size). Drawn with the
        learner's ``random_state``.

    Attributes
    ----------
    stop_set_ : ndarray of int
        Rows of the learner's ``X`` in the stop set.
    kappas_ : list of float
        Kappa between each pair of consecutive models.

    Notes
    -----
    Cost per loop: one ``predict`` over the stop set; memory: one prediction per
    stop-set row. Kappa equals 1.0 when both models predict one and the same
    label for every row (the formula is 0/0 there).

    References
    ----------
    .. [1] M. Bloodgood and K. Vijay-Shanker. "A Method for Stopping Active
       Learning Based on Stabilizing Predictions and the Need for User-Adjustable
       Stopping". CoNLL 2009.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.stopping import StabilizingPredictions
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=500), budget=1000,
    ...                         batch_size=20, random_state=0,
    ...                         stopping=StabilizingPredictions(threshold=0.97))
    >>> learner.fit(X, y).stop_reason_ is not None
    True
    """

    _parameter_constraints = {
        "window": [Interval(Integral, 1, None)],
        "threshold": [Interval(Real, -1, 1)],
        "stop_set_size": [
            Interval(Integral, 1, None),
            Interval(Real, 0, 1, closed="right"),
        ],
    }

    def __init__(self, window=3, threshold=0.99, stop_set_size=1000):
        self.window = window
        self.threshold = threshold
        self.stop_set_size = stop_set_size

    def _check(self, context):
        window, threshold = int(self.window), float(self.threshold)
        if not context.is_classifier:
            raise TypeError(
                "StabilizingPredictions compares predicted labels (Cohen's kappa) "
                "and needs a classifier."
            )
        if not hasattr(self, "stop_set_"):
            if context.n_pool == 0:
                return None
            size = resolve_size(
                "stop_set_size", self.stop_set_size, context.n_pool, allow_none=False
            )
            size = min(size, context.n_pool)
            positions = context.random_state.choice(context.n_pool, size, replace=False)
            self.stop_set_ = np.sort(context.pool_indices[positions])
            self.kappas_ = []
            self._previous = context.estimator.predict(
                take_rows(context.X, self.stop_set_)
            )
            return None
        predictions = context.estimator.predict(take_rows(context.X, self.stop_set_))
        self.kappas_.append(cohen_kappa(self._previous, predictions))
        self._previous = predictions
        if len(self.kappas_) >= window:
            mean = float(np.mean(self.kappas_[-window:]))
            if mean >= threshold:
                return (
                    f"StabilizingPredictions: mean kappa of the last {window} "
                    f"models on the stop set is {mean:.4f} >= {threshold}"
                )
        return None


class _PoolUncertainty(StoppingCriterion):
    """Shared by MaxUncertainty and OverallUncertainty: pool uncertainty < threshold."""

    _aggregate = None
    _word = None

    _parameter_constraints = {"threshold": ANY_REAL, "measure": [Options(MEASURES)]}

    def __init__(self, threshold=0.01, measure="entropy"):
        self.threshold = threshold
        self.measure = measure

    def _check(self, context):
        if context.n_pool == 0:
            return None
        measure = UNCERTAINTY[self.measure]
        values = context.map_pool(
            lambda X_chunk, rows: measure(context.proba(X_chunk, rows)),
            with_rows=True,
        )
        value = float(type(self)._aggregate(values))
        if value < self.threshold:
            return (
                f"{type(self).__name__}: {self._word} {self.measure} of the pool "
                f"is {value:.4g} < {self.threshold}"
            )
        return None


_POOL_UNCERTAINTY_DOC = """
    Parameters
    ----------
    threshold : float, default=0.01
        Stop when the {word} uncertainty falls below it (entropy in nats).
    measure : {{"entropy", "margin", "least_confident"}}, default="entropy"
        The uncertainty measure, as in
        :class:`~skal.strategies.UncertaintySampling`.

    Notes
    -----
    Cost per loop: one ``predict_proba`` pass over the pool, chunk by chunk
    (memory: one float per pool row).

    References
    ----------
    .. [1] J. Zhu, H. Wang and E. Hovy. "Multi-Criteria-Based Strategy to Stop
       Active Learning for Data Annotation". COLING 2008.
    .. [2] J. Zhu, H. Wang, E. Hovy and M. Ma. "Confidence-Based Stopping
       Criteria for Active Learning for Data Annotation". ACM Transactions on
       Speech and Language Processing 6(3), 2010.

    Examples
    --------
    >>> from skal.stopping import {name}
    >>> {name}(threshold=0.05, measure="margin")
    {name}(measure='margin', threshold=0.05)
    """


class MaxUncertainty(_PoolUncertainty):
    _aggregate = staticmethod(np.max)
    _word = "largest"


MaxUncertainty.__doc__ = r"""Stop when the most uncertain pool row is nearly certain.

    The maximum-uncertainty criterion of Zhu, Wang and Hovy [1]_ [2]_: stop when

    .. math:: \max_{x \in U} u(x) < \mathrm{threshold}

    where :math:`U` is the unlabeled pool and :math:`u` an uncertainty measure
    (entropy in the paper), i.e. when the row uncertainty sampling would query
    next is no longer uncertain.
    """ + _POOL_UNCERTAINTY_DOC.format(word="largest", name="MaxUncertainty")


class OverallUncertainty(_PoolUncertainty):
    _aggregate = staticmethod(np.mean)
    _word = "mean"


OverallUncertainty.__doc__ = r"""Stop when the pool as a whole is nearly certain.

    The overall-uncertainty criterion of Zhu, Wang and Hovy [1]_ [2]_: stop when
    the mean uncertainty of the unlabeled pool :math:`U` is below a threshold,

    .. math:: \frac{1}{|U|} \sum_{x \in U} u(x) < \mathrm{threshold}.
    """ + _POOL_UNCERTAINTY_DOC.format(word="mean", name="OverallUncertainty")


class ClassificationChange(StoppingCriterion):
    r"""Stop when the model's predictions on the pool no longer change.

    After each training, the predictions on the rows still in the pool are
    compared with those of the previous model on the same rows; learning stops
    when the share of rows whose predicted label changed is at most
    ``tolerance`` (default: no change at all), ``patience`` times in a row:

    .. math:: \frac{1}{|U_t|} \sum_{x \in U_t}
              [\,f_t(x) \ne f_{t-1}(x)\,] \ \le\ \mathrm{tolerance}

    where :math:`U_t` is the current pool. This is the classification-change
    criterion in the spirit of Laws and Schütze [1]_ (stop once the learner's
    view of the unlabeled data has converged) and of the label-change factor of
    Zhu et al. [2]_.

    Parameters
    ----------
    tolerance : float, default=0.0
        Largest share of changed predictions still counted as "no change", in
        [0, 1].
    patience : int, default=1
        Consecutive loops that must satisfy the rule.

    Attributes
    ----------
    change_rates_ : list of float
        Share of pool predictions that changed at each check.

    Notes
    -----
    Cost per loop: one ``predict`` pass over the pool; memory: one prediction per
    row of the learner's ``X`` (kept by row, so rows leaving the pool are simply
    no longer compared).

    References
    ----------
    .. [1] F. Laws and H. Schütze. "Stopping Criteria for Active Learning of
       Named Entity Recognition". COLING 2008.
    .. [2] J. Zhu, H. Wang, E. Hovy and M. Ma. "Confidence-Based Stopping
       Criteria for Active Learning for Data Annotation". ACM Transactions on
       Speech and Language Processing 6(3), 2010.

    Examples
    --------
    >>> from skal.stopping import ClassificationChange
    >>> ClassificationChange(tolerance=0.001, patience=2)
    ClassificationChange(patience=2, tolerance=0.001)
    """

    _parameter_constraints = {
        "tolerance": [Interval(Real, 0, 1)],
        "patience": [Interval(Integral, 1, None)],
    }

    def __init__(self, tolerance=0.0, patience=1):
        self.tolerance = tolerance
        self.patience = patience

    def _check(self, context):
        tolerance, patience = float(self.tolerance), int(self.patience)
        if context.n_pool == 0:
            return None
        predictions = context.map_pool(context.predict, with_rows=True)
        if not hasattr(self, "change_rates_"):
            self.change_rates_ = []
            self._predictions = np.empty(n_rows(context.X), dtype=predictions.dtype)
            self._seen = np.zeros(n_rows(context.X), dtype=bool)
        else:
            pool = context.pool_indices
            seen = self._seen[pool]
            if seen.any():
                changed = self._predictions[pool[seen]] != predictions[seen]
                self.change_rates_.append(float(np.mean(changed)))
        if self._predictions.dtype != predictions.dtype:
            self._predictions = self._predictions.astype(object)
        self._predictions[context.pool_indices] = predictions
        self._seen[context.pool_indices] = True
        recent = self.change_rates_[-patience:]
        if len(recent) == patience and max(recent) <= tolerance:
            return (
                f"ClassificationChange: at most {max(recent):.4g} of the pool "
                f"predictions changed in each of the last {patience} loops"
            )
        return None


def _is_splitter(value):
    """A cross-validation generator, or an iterable of splits (not a string)."""
    return hasattr(value, "split") or (
        hasattr(value, "__iter__") and not isinstance(value, (str, bytes))
    )


class PerformancePlateau(StoppingCriterion):
    """Stop when the model's score stops improving.

    After each training the model is scored, on a held-out labeled set
    ``(X_val, y_val)`` when given (the estimator's ``score``, or ``scoring``),
    otherwise by cross-validation on the labeled rows (``cross_val_score`` of a
    clone of the model, ``cv`` folds). Learning stops when the best score has
    not improved by more than ``tol`` for ``patience`` consecutive loops:

    ``best - max(scores of the last patience loops) >= -tol``, i.e. no recent
    score beats the best earlier one by more than ``tol``.

    Parameters
    ----------
    X_val, y_val : array-like or None, default=None
        A labeled validation set. Both or neither.
    cv : int or cross-validation generator, default=5
        Folds for cross-validation on the labeled rows when no validation set is
        given. Loops where cross-validation is impossible (too few rows per
        class) are skipped.
    scoring : str, callable or None, default=None
        scikit-learn scoring; ``None`` uses the estimator's ``score``.
    tol : float, default=1e-3
        Smallest improvement that counts.
    patience : int, default=3
        Loops without improvement before stopping.

    Attributes
    ----------
    scores_ : list of float
        Score after each check (cross-validation failures are left out).

    Notes
    -----
    Cost per loop: one ``predict`` over the validation set, or ``cv`` model fits
    on the labeled rows (the dominant cost of a loop for many models; prefer a
    validation set when one exists). Scores measured by cross-validation on
    actively chosen rows are biased (those rows are the hard ones), but their
    plateau is still informative. Laws and Schütze [1]_ stop on the
    convergence of an estimate of performance in the same way (their
    gradient-based criterion); this version needs either a labeled validation
    set or enough labeled rows for cross-validation.

    References
    ----------
    .. [1] F. Laws and H. Schütze. "Stopping Criteria for Active Learning of
       Named Entity Recognition". COLING 2008.

    Examples
    --------
    >>> from skal.stopping import PerformancePlateau
    >>> PerformancePlateau(tol=0.01, patience=2)
    PerformancePlateau(patience=2, tol=0.01)
    """

    _parameter_constraints = {
        "cv": [
            Interval(Integral, 2, None),
            Predicate(
                _is_splitter,
                "a cross-validation generator or an iterable of (train, test) splits",
            ),
        ],
        "scoring": [
            None,
            InstanceOf(str, "a scorer name"),
            Predicate(callable, "a callable scorer"),
        ],
        "tol": ANY_REAL,
        "patience": [Interval(Integral, 1, None)],
    }

    def __init__(
        self, X_val=None, y_val=None, *, cv=5, scoring=None, tol=1e-3, patience=3
    ):
        self.X_val = X_val
        self.y_val = y_val
        self.cv = cv
        self.scoring = scoring
        self.tol = tol
        self.patience = patience

    def _score(self, context):
        scorer = None
        if self.scoring is not None:
            scorer = check_scoring(context.estimator, scoring=self.scoring)
        if self.X_val is not None:
            if scorer is None:
                return float(context.estimator.score(self.X_val, self.y_val))
            return float(scorer(context.estimator, self.X_val, self.y_val))
        X_labeled, y_labeled = context.labeled()
        if y_labeled is None:
            return None
        if isinstance(self.cv, Integral) and len(y_labeled) < self.cv:
            return None
        try:
            scores = cross_val_score(
                clone(context.estimator),
                X_labeled,
                y_labeled,
                cv=self.cv,
                scoring=self.scoring,
                error_score="raise",
            )
        except ValueError:
            return None
        return float(np.mean(scores))

    def _validate_params(self):
        super()._validate_params()
        if (self.X_val is None) != (self.y_val is None):
            raise ValueError("X_val and y_val must be given together.")

    def _check(self, context):
        patience = int(self.patience)
        if not hasattr(self, "scores_"):
            self.scores_ = []
        score = self._score(context)
        if score is None:
            return None
        self.scores_.append(score)
        if len(self.scores_) <= patience:
            return None
        best_before = max(self.scores_[:-patience])
        recent = max(self.scores_[-patience:])
        if recent - best_before <= self.tol:
            return (
                f"PerformancePlateau: no score gain above {self.tol} in the last "
                f"{patience} loops (best {best_before:.4f}, recent {recent:.4f})"
            )
        return None


def paired_gain_interval(n_gained, n_lost, n_rows, confidence=0.95):
    r"""Interval of an accuracy gain measured on the same rows twice.

    Two models scored on the same ``n_rows`` rows: ``n_gained`` rows the new
    model gets right and the old one wrong, ``n_lost`` the reverse. The gain
    in accuracy, :math:`(b - c) / n`, gets the adjusted Wald interval of
    Agresti and Min [1]_ ("Wald+2": half a row added to each of the four
    cells of the paired table),

    .. math:: \tilde\theta = \frac{b - c}{n + 2}, \qquad
              \tilde\theta \pm z \,
              \frac{\sqrt{(b + c + 1) - (b - c)^2 / (n + 2)}}{n + 2}

    clipped to [-1, 1], with :math:`z` the normal quantile of
    :math:`(1 + \text{confidence}) / 2`. Unlike the plain Wald interval it
    keeps a width when the models never disagree (:math:`b = c = 0`), and its
    coverage stays near the nominal level on small samples [1]_.

    Parameters
    ----------
    n_gained, n_lost : int
        The discordant rows, :math:`b` and :math:`c`.
    n_rows : int
        All rows scored by both models, :math:`n \ge b + c`.
    confidence : float, default=0.95

    Returns
    -------
    gain, low, high : float
        The observed gain :math:`(b - c) / n` and the interval.

    References
    ----------
    .. [1] A. Agresti and Y. Min. "Simple improved confidence intervals for
       comparing matched proportions". Statistics in Medicine 24(5),
       pp. 729-740, 2005.

    Examples
    --------
    >>> from skal.stopping import paired_gain_interval
    >>> gain, low, high = paired_gain_interval(6, 2, 50)
    >>> round(gain, 3), round(low, 4), round(high, 4)
    (0.08, -0.0342, 0.188)
    """
    b, c, n = int(n_gained), int(n_lost), int(n_rows)
    if min(b, c) < 0 or b + c > n or n < 1:
        raise ValueError(
            "paired_gain_interval needs 0 <= n_gained, n_lost and "
            f"n_gained + n_lost <= n_rows >= 1; got {b}, {c}, {n}."
        )
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1); got {confidence!r}.")
    z = float(stats.norm.ppf((1 + confidence) / 2))
    center = (b - c) / (n + 2)
    half = z * np.sqrt((b + c + 1) - (b - c) ** 2 / (n + 2)) / (n + 2)
    return (b - c) / n, float(max(-1.0, center - half)), float(min(1.0, center + half))


class AuditPlateau(StoppingCriterion):
    r"""Stop when the model no longer gains accuracy on random audit rows.

    An honest plateau: the gain is measured on **audit rows**, rows the
    learner drew uniformly at random from the pool (``ActiveLearner(audit=)``,
    ``context.audit_indices``), never on the actively chosen ones (those are
    the hard rows, and a score on them reads low and moves erratically).

    At each check a clone of the estimator is trained on every labeled row
    but the audits and predicts the audit rows; the predictions are kept by
    row. The current audit-free model is then compared with the one of
    ``window`` checks earlier on the audit rows both scored (the audits of
    that earlier check, which neither model trained on): :math:`b` rows the
    new model gets right and the old one wrong, :math:`c` the reverse, and
    the gain :math:`(b - c) / n` gets the paired interval of
    :func:`paired_gain_interval` (Agresti and Min [1]_). Stopping on the
    convergence of an estimate of performance is the idea of Laws and
    Schütze's gradient criterion [2]_, here on an estimate that is not biased
    by the selection. Learning stops when the whole interval lies
    within ``(-min_gain, min_gain)``: the accuracy gained over the last
    ``window`` loops is, with the given confidence, less than ``min_gain``,
    and the model is not losing that much either (a model that just lost
    accuracy on the audits is still moving, not on a plateau).

    Parameters
    ----------
    min_gain : float, default=0.02
        The smallest gain in accuracy over ``window`` loops worth labeling
        for, in (0, 1). The interval can only fit within ``+-min_gain`` with
        enough audits: when the two models never disagree it is about
        :math:`1.96 / (n + 2)` (:math:`n` audit rows), so 0.02 needs about 100
        audit rows and 0.01 about 200 (see Notes).
    window : int, default=3
        Compare with the audit-free model of this many checks earlier (with
        ``batch_size=10``, 30 labels earlier). A longer window sees slow
        climbs that one loop hides in noise.
    confidence : float, default=0.95
        Of the paired interval.
    min_audits : int, default=20
        Never stop on fewer audit rows scored by both models (below that the
        interval rests on too few rows for its normal approximation).

    Attributes
    ----------
    audit_accuracies_ : list of (int, float)
        At each check with audits: the number of audit rows and the accuracy
        of the audit-free model on them.
    gains_ : list of (float, float, float, int)
        At each comparison: gain, low, high and the rows compared.

    Notes
    -----
    Cost per loop: one extra fit on the labeled rows and one ``predict`` on
    the audit rows; memory: the predictions of the last ``window + 1`` checks
    on the audit rows.

    **How the thresholds were chosen** (``benchmarks/bench_audit_stop.py``,
    ``doc/honest_estimates.rst``, "A stop that can be trusted").
    ``min_gain=0.02`` over ``window=3`` loops asks the last 30 labels (batches
    of 10) to have bought less than two points of accuracy; the interval, not
    the point estimate, must fit, so a lucky run of agreeing audits on few
    rows does not stop the campaign (with 20 audits and no disagreement the
    interval is +-0.09). With ``audit=0.2`` and margin sampling over 10 seeds
    it stopped at most 0.004 of held-out accuracy short of the end of an
    800-label budget on ``load_digits`` (at about 510 labels) and 0.014 on a
    synthetic 4-class set; 0.05 stopped at 255 labels on digits, 0.022 short
    in the worst seed; 0.01 never stopped within 800 labels. On small pools
    that plateau early (breast cancer) 0.02 did not stop within 380 labels
    and 0.05 did at 220, with nothing left to gain. ``min_audits=20`` keeps
    the normal approximation away from tiny samples. The audit-free model is
    trained on fewer labels than the model in use (audits included), so it
    is a slightly pessimistic stand-in for the model whose plateau is judged.

    The check is repeated every loop, so over a long campaign the chance that
    one of the intervals misses is larger than ``1 - confidence``; a
    ``window`` of several loops and ``min_audits`` temper this. Rows taught
    from outside the learner's ``X`` cannot be told apart from its rows in
    the context; while there are any, checks are skipped (``n_skipped_``).

    References
    ----------
    .. [1] A. Agresti and Y. Min. "Simple improved confidence intervals for
       comparing matched proportions". Statistics in Medicine 24(5),
       pp. 729-740, 2005.
    .. [2] F. Laws and H. Schütze. "Stopping Criteria for Active Learning of
       Named Entity Recognition". COLING 2008.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.stopping import AuditPlateau
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=500), audit=0.2,
    ...                         batch_size=20, budget=1000, random_state=0,
    ...                         stopping=AuditPlateau(min_gain=0.05))
    >>> learner.fit(X / 16.0, y).stop_reason_.startswith("AuditPlateau")
    True
    >>> 100 < learner.labeled_ids_.size < 1000
    True
    """

    _parameter_constraints = {
        "min_gain": [Interval(Real, 0, 1, closed="neither")],
        "window": [Interval(Integral, 1, None)],
        "confidence": [Interval(Real, 0, 1, closed="neither")],
        "min_audits": [Interval(Integral, 1, None)],
    }

    def __init__(self, min_gain=0.02, window=3, confidence=0.95, min_audits=20):
        self.min_gain = min_gain
        self.window = window
        self.confidence = confidence
        self.min_audits = min_audits

    def _audit_free_predictions(self, context):
        """``(audit rows, their labels, predictions)`` of a clone trained
        without the audits; ``None`` when there is nothing to judge yet."""
        audit = np.asarray(context.audit_indices, dtype=np.intp)
        if audit.size == 0:
            return None
        X_labeled, y_labeled = context.labeled()
        rows = np.asarray(context.labeled_indices, dtype=np.intp)
        if y_labeled is None:
            return None
        if len(rows) != len(y_labeled):  # rows taught from outside X
            self.n_skipped_ += 1
            return None
        y_labeled = np.asarray(y_labeled)
        is_audit = np.isin(rows, audit)
        train = np.flatnonzero(~is_audit)
        if np.unique(y_labeled[train]).size < 2:
            return None
        model = clone(context.estimator).fit(
            take_rows(X_labeled, train), y_labeled[train]
        )
        audit_rows = rows[is_audit]
        predictions = model.predict(take_rows(X_labeled, np.flatnonzero(is_audit)))
        return audit_rows, y_labeled[is_audit], predictions

    def _check(self, context):
        window, min_gain = int(self.window), float(self.min_gain)
        if not context.is_classifier:
            raise TypeError(
                "AuditPlateau compares accuracies on audit rows and needs a classifier."
            )
        if not hasattr(self, "gains_"):
            self.audit_accuracies_, self.gains_, self.n_skipped_ = [], [], 0
            self._checks = []  # per check: {audit row: prediction}
        found = self._audit_free_predictions(context)
        if found is None:
            self._checks.clear()  # a gap: compare only unbroken runs of checks
            return None
        rows, labels, predictions = found
        truth = dict(zip(rows.tolist(), labels.tolist()))
        self.audit_accuracies_.append(
            (rows.size, float(np.mean(predictions == labels)))
        )
        self._checks.append(dict(zip(rows.tolist(), predictions.tolist())))
        del self._checks[: -(window + 1)]
        if len(self._checks) <= window:
            return None
        old, new = self._checks[0], self._checks[-1]
        both = [row for row in old if row in new]
        old_right = np.array([old[row] == truth[row] for row in both], dtype=bool)
        new_right = np.array([new[row] == truth[row] for row in both], dtype=bool)
        b = int(np.sum(new_right & ~old_right))
        c = int(np.sum(old_right & ~new_right))
        gain, low, high = paired_gain_interval(b, c, len(both), self.confidence)
        self.gains_.append((gain, low, high, len(both)))
        if len(both) >= int(self.min_audits) and -min_gain < low and high < min_gain:
            return (
                f"AuditPlateau: accuracy gained over the last {window} loops on "
                f"{len(both)} random audit rows is {gain:+.3f}, "
                f"{self.confidence:.0%} interval [{low:+.4f}, {high:+.4f}], "
                f"within +-{min_gain}"
            )
        return None


def _is_criteria_list(value):
    return (
        isinstance(value, (list, tuple))
        and len(value) > 0
        and all(isinstance(item, StoppingCriterion) for item in value)
    )


class _Combination(StoppingCriterion):
    _parameter_constraints = {
        "criteria": [
            Predicate(
                _is_criteria_list, "a non-empty list of criteria from skal.stopping"
            )
        ]
    }

    def __init__(self, criteria):
        self.criteria = criteria

    def _reasons(self, context):
        if not hasattr(self, "criteria_"):
            self.criteria_ = [clone(criterion) for criterion in self.criteria]
        # every criterion is checked, so each keeps its state up to date
        return [criterion.check(context) for criterion in self.criteria_]


class AnyOf(_Combination):
    """Stop as soon as any of several criteria says so.

    Every criterion is checked after each training (so each keeps its own
    state), and the reasons of those that fire are joined.

    Parameters
    ----------
    criteria : list of StoppingCriterion
        Reachable as ``criteria`` (replace the list) in ``set_params``.

    Attributes
    ----------
    criteria_ : list of StoppingCriterion
        The clones in use.

    Examples
    --------
    >>> from skal.stopping import AnyOf, MaxUncertainty, StabilizingPredictions
    >>> AnyOf([StabilizingPredictions(), MaxUncertainty()])
    AnyOf(criteria=[StabilizingPredictions(), MaxUncertainty()])
    """

    def _check(self, context):
        reasons = [reason for reason in self._reasons(context) if reason]
        return "; ".join(reasons) if reasons else None


class AllOf(_Combination):
    """Stop only when all of several criteria say so in the same loop.

    Parameters
    ----------
    criteria : list of StoppingCriterion

    Attributes
    ----------
    criteria_ : list of StoppingCriterion
        The clones in use.

    Examples
    --------
    >>> from skal.stopping import AllOf, ClassificationChange, OverallUncertainty
    >>> AllOf([ClassificationChange(), OverallUncertainty(threshold=0.05)])
    AllOf(criteria=[ClassificationChange(), OverallUncertainty(threshold=0.05)])
    """

    def _check(self, context):
        reasons = self._reasons(context)
        return "; ".join(reasons) if all(reasons) else None


__all__ = [
    "StoppingCriterion",
    "StabilizingPredictions",
    "MaxUncertainty",
    "OverallUncertainty",
    "ClassificationChange",
    "PerformancePlateau",
    "AuditPlateau",
    "AnyOf",
    "AllOf",
    "cohen_kappa",
    "paired_gain_interval",
]
